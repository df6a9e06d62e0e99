// Packing of A and B into the micro-panel layouts the micro-kernels stream through (pack.h), for
// the generic table; the loops are in pack_impl.h, compiled again in each ISA's translation unit.
#include "gemm/pack.h"

#include "gemm/pack_impl.h"

namespace pyengine {
namespace gemm_detail {

template <class T>
void pack_a(int64_t mc, int64_t kc, const T* a, int64_t rs_a, int64_t cs_a, int mr, T* dst) {
  pack_a_impl(mc, kc, a, rs_a, cs_a, mr, dst);
}

template <class T>
void pack_b(int64_t kc, int64_t nc, const T* b, int64_t rs_b, int64_t cs_b, int nr, T* dst) {
  pack_b_impl(kc, nc, b, rs_b, cs_b, nr, dst);
}

template void pack_a<float>(int64_t, int64_t, const float*, int64_t, int64_t, int, float*);
template void pack_a<double>(int64_t, int64_t, const double*, int64_t, int64_t, int, double*);
template void pack_b<float>(int64_t, int64_t, const float*, int64_t, int64_t, int, float*);
template void pack_b<double>(int64_t, int64_t, const double*, int64_t, int64_t, int, double*);

}  // namespace gemm_detail
}  // namespace pyengine
