// The dropout loop (dropout.h), compiled once per ISA: dropout_<isa>.cpp defines PE_ISA_NS and
// includes this file; CMake's per-suffix flags make the 64-bit hash AVX-512 (vpmullq) or AVX2
// code. Integer hashing and one multiply per element: every ISA gives the same bits.
#include "common/parallel.h"
#include "dropout/dropout.h"

namespace pyengine {
namespace PE_ISA_NS {

template <class T>
void dropout_apply(const T* x, T* y, int64_t n, uint64_t seed, uint64_t threshold, T scale) {
  parallel_for(n, kParallelGrain, [&](int64_t b, int64_t e) {
    const T keep = scale, drop = T(0);
    const uint64_t s = seed, t = threshold;
#pragma omp simd
    for (int64_t i = b; i < e; ++i) {
      y[i] = x[i] * (uint64_t{dropout_bits(s, uint64_t(i))} >= t ? keep : drop);
    }
  });
}

template void dropout_apply<float>(const float*, float*, int64_t, uint64_t, uint64_t, float);
template void dropout_apply<double>(const double*, double*, int64_t, uint64_t, uint64_t, double);

}  // namespace PE_ISA_NS
}  // namespace pyengine
