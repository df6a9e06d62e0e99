// rbm_units.h written once, compiled per ISA: rbm_units_<isa>.cpp defines PE_ISA_NS and CMake
// gives it the -m flags. The loops are plain and vectorise (Philox is 32x32->64 products).
#include <cfloat>
#include <cstdint>

#include "common/vmath.h"
#include "rbm/philox.h"
#include "rbm/rbm_units.h"

namespace pyengine {
namespace rbm {
namespace PE_ISA_NS {

namespace {
template <class T>
constexpr T kTiny = sizeof(T) == 4 ? T(FLT_MIN) : T(DBL_MIN);
}  // namespace

template <class T>
void activate_block(Unit unit, int64_t rows, int64_t cols, T* z, int64_t ldz, const T* bias,
                    T* sample, int64_t lds, uint64_t seed, uint64_t stream, int64_t row0,
                    int64_t col0, int64_t total_cols) {
  for (int64_t r = 0; r < rows; ++r) {
    T* zr = z + r * ldz;
    const uint64_t base = static_cast<uint64_t>((row0 + r) * total_cols + col0);
    if (unit == Unit::bernoulli) {
#pragma omp simd
      for (int64_t c = 0; c < cols; ++c) {
        const T p = vmath::sigmoid(zr[c] + bias[c]);
        zr[c] = p < kTiny<T> ? T(0) : p;  // a denormal mean would slow every later product
      }
      if (sample) {
        T* sr = sample + r * lds;
#pragma omp simd
        for (int64_t c = 0; c < cols; ++c) {
          const T u = uniform_at<T>(base + c, stream, seed);
          sr[c] = u < zr[c] ? T(1) : T(0);
        }
      }
    } else {
#pragma omp simd
      for (int64_t c = 0; c < cols; ++c) zr[c] += bias[c];
      if (sample) {
        T* sr = sample + r * lds;
        for (int64_t c = 0; c < cols; ++c)
          sr[c] = zr[c] + normal_at<T>(base + c, stream, seed);
      }
    }
  }
}

template <class T>
void uniform_stream(T* out, int64_t n, uint64_t seed, uint64_t stream) {
#pragma omp simd
  for (int64_t i = 0; i < n; ++i)
    out[i] = uniform_at<T>(static_cast<uint64_t>(i), stream, seed);
}

#define PE_RBM_INSTANTIATE(T)                                                                  \
  template void activate_block<T>(Unit, int64_t, int64_t, T*, int64_t, const T*, T*, int64_t, \
                                  uint64_t, uint64_t, int64_t, int64_t, int64_t);              \
  template void uniform_stream<T>(T*, int64_t, uint64_t, uint64_t);
PE_RBM_INSTANTIATE(float)
PE_RBM_INSTANTIATE(double)
#undef PE_RBM_INSTANTIATE

}  // namespace PE_ISA_NS
}  // namespace rbm
}  // namespace pyengine
