// Macro-kernel: one packed A block (mc x kc) times one B block (kc x nc) into C, as a grid of
// MR x NR micro-kernel calls.
#pragma once
#include <cstdint>

#include "gemm/ukernel.h"

namespace pyengine {
namespace gemm_detail {

// B block: panel j (columns j*NR ...) starts at b + j * b_panel_stride with row stride rs_b.
// Packed B: b_panel_stride = kc * NR, rs_b = NR. Unpacked row-major B: b_panel_stride = NR,
// rs_b = ldb, and b_edge points to a packed copy of the last, partial panel (nullptr if none).
template <class T>
void macrokernel(const KernelInfo<T>& kern, int64_t mc, int64_t nc, int64_t kc, T alpha,
                 const T* a_packed, const T* b, int64_t rs_b, int64_t b_panel_stride,
                 const T* b_edge, T beta, T* c, int64_t rs_c, int64_t cs_c);

}  // namespace gemm_detail
}  // namespace pyengine
