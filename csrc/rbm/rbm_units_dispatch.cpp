// Entry points of rbm_units.h: forward to the translation unit of the active ISA.
#include "common/isa_dispatch.h"
#include "rbm/rbm_units.h"

namespace pyengine {
namespace rbm {

#define PE_DECLARE_ISA(ns)                                                                     \
  namespace ns {                                                                               \
  template <class T> void activate_block(Unit, int64_t, int64_t, T*, int64_t, const T*, T*,    \
                                         int64_t, uint64_t, uint64_t, int64_t, int64_t,        \
                                         int64_t);                                             \
  template <class T> void uniform_stream(T*, int64_t, uint64_t, uint64_t);                     \
  }
PE_DECLARE_ISA(generic)
PE_DECLARE_ISA(avx2)
PE_DECLARE_ISA(avx512)
#undef PE_DECLARE_ISA

template <class T>
void activate_block(Unit unit, int64_t rows, int64_t cols, T* z, int64_t ldz, const T* bias,
                    T* sample, int64_t lds, uint64_t seed, uint64_t stream, int64_t row0,
                    int64_t col0, int64_t total_cols) {
  PE_DISPATCH(activate_block<T>, unit, rows, cols, z, ldz, bias, sample, lds, seed, stream, row0,
              col0, total_cols);
}
template <class T>
void uniform_stream(T* out, int64_t n, uint64_t seed, uint64_t stream) {
  PE_DISPATCH(uniform_stream<T>, out, n, seed, stream);
}

template void activate_block<float>(Unit, int64_t, int64_t, float*, int64_t, const float*, float*,
                                    int64_t, uint64_t, uint64_t, int64_t, int64_t, int64_t);
template void activate_block<double>(Unit, int64_t, int64_t, double*, int64_t, const double*,
                                     double*, int64_t, uint64_t, uint64_t, int64_t, int64_t,
                                     int64_t);
template void uniform_stream<float>(float*, int64_t, uint64_t, uint64_t);
template void uniform_stream<double>(double*, int64_t, uint64_t, uint64_t);

}  // namespace rbm
}  // namespace pyengine
