// Macro-kernel: one packed A block (mc x kc) times one B block (kc x nc) into C, as a grid of
// MR x NR micro-kernel calls.
#pragma once
#include <cstdint>

#include "gemm/ukernel.h"

namespace pyengine {
namespace gemm_detail {

// A block: panel i (rows i*MR ...) starts at a + i * a_panel_stride with k step as_a. Packed A:
// a_panel_stride = kc * MR, as_a = MR. Unpacked column-major A: a_panel_stride = MR, as_a = lda,
// and a_edge points to a packed copy of the last, partial panel (nullptr if none).
// B block: panel j (columns j*NR ...) starts at b + j * b_panel_stride with row stride rs_b.
// Packed B: b_panel_stride = kc * NR, rs_b = NR. Unpacked row-major B: b_panel_stride = NR,
// rs_b = ldb, and b_edge points to a packed copy of the last, partial panel (nullptr if none).
template <class T>
struct BlockOperand {
  const T* p;
  int64_t step;          // as_a for A panels, rs_b for B panels
  int64_t panel_stride;
  const T* edge;         // packed last partial panel, or nullptr
};

template <class T>
void macrokernel(const KernelInfo<T>& kern, int64_t mc, int64_t nc, int64_t kc, T alpha,
                 const BlockOperand<T>& a, const BlockOperand<T>& b, T beta, T* c, int64_t rs_c,
                 int64_t cs_c);

}  // namespace gemm_detail
}  // namespace pyengine
