// Entry point of dropout.h: forwards to the translation unit of the active ISA.
#include "common/isa_dispatch.h"
#include "dropout/dropout.h"

namespace pyengine {

#define PE_DECLARE_ISA(ns)                                                                    \
  namespace ns {                                                                              \
  template <class T> void dropout_apply(const T*, T*, int64_t, uint64_t, uint64_t, T);        \
  }
PE_DECLARE_ISA(generic)
PE_DECLARE_ISA(avx2)
PE_DECLARE_ISA(avx512)
#undef PE_DECLARE_ISA

template <class T>
void dropout_apply(const T* x, T* y, int64_t n, uint64_t seed, uint64_t threshold, T scale) {
  PE_DISPATCH(dropout_apply<T>, x, y, n, seed, threshold, scale);
}

template void dropout_apply<float>(const float*, float*, int64_t, uint64_t, uint64_t, float);
template void dropout_apply<double>(const double*, double*, int64_t, uint64_t, uint64_t, double);

}  // namespace pyengine
