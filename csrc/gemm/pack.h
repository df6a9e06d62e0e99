// Packing of A and B into the micro-panel layouts the micro-kernels stream through
// (see ukernel.h). Panels past the matrix edge are zero-padded, so a micro-kernel always runs a
// full MR x NR tile and only its write-back needs to know the true size.
#pragma once
#include <cstdint>

namespace pyengine {
namespace gemm_detail {

// A block (mc x kc, any strides) -> ceil(mc / mr) panels of kc * mr, (i, p) at p * mr + i.
template <class T>
void pack_a(int64_t mc, int64_t kc, const T* a, int64_t rs_a, int64_t cs_a, int mr, T* dst);

// B block (kc x nc, any strides) -> ceil(nc / nr) panels of kc * nr, (p, j) at p * nr + j.
template <class T>
void pack_b(int64_t kc, int64_t nc, const T* b, int64_t rs_b, int64_t cs_b, int nr, T* dst);

}  // namespace gemm_detail
}  // namespace pyengine
