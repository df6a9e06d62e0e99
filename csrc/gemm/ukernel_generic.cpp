// Portable micro-kernel in plain C++ (no -m flags: SSE2 on x86-64, whatever the compiler
// vectorises elsewhere). The fallback for CPUs without AVX2 and a check that the driver does not
// depend on any one ISA. Tile 4 x 8 (fp32) / 4 x 4 (fp64): 8 SSE accumulators, half the 16 xmm.
// Blocks: A micro-panel 4 x 256 (4-8 KiB) in L1, B block 256 x 256 (256-512 KiB) in L2.
#include "gemm/pack_impl.h"
#include "gemm/ukernel.h"

namespace pyengine {
namespace gemm_detail {
namespace generic {
namespace {

template <class T, int MR, int NR>
void ukernel_plain(int64_t k, const T* a, int64_t as_a, const T* b, int64_t rs_b, T* c,
                   int64_t rs_c, int64_t cs_c, int64_t mr, int64_t nr, T alpha, T beta) {
  T acc[MR][NR] = {};
  for (int64_t p = 0; p < k; ++p) {
    for (int i = 0; i < MR; ++i) {
      const T ai = a[i];
      for (int j = 0; j < NR; ++j) acc[i][j] += ai * b[j];
    }
    a += as_a;
    b += rs_b;
  }
  for (int64_t i = 0; i < mr; ++i)
    for (int64_t j = 0; j < nr; ++j) {
      T& cij = c[i * rs_c + j * cs_c];
      const T ab = alpha * acc[i][j];
      cij = beta == T(0) ? ab : ab + beta * cij;
    }
}

}  // namespace

extern const KernelInfo<float> kSgemm = {Isa::generic, &ukernel_plain<float, 4, 8>, 4, 8,
                                         128, 256, 256, nullptr, nullptr,
                                         &pack_a_impl<float>, &pack_b_impl<float>};
extern const KernelInfo<double> kDgemm = {Isa::generic, &ukernel_plain<double, 4, 4>, 4, 4,
                                          128, 256, 256, nullptr, nullptr,
                                          &pack_a_impl<double>, &pack_b_impl<double>};

}  // namespace generic
}  // namespace gemm_detail
}  // namespace pyengine
