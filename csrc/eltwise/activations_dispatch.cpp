// Entry points of activations.h: forward to the translation unit of the active ISA.
#include "common/isa_dispatch.h"
#include "eltwise/activations.h"

namespace pyengine {

#define PE_DECLARE_ISA(ns)                                                                      \
  namespace ns {                                                                                \
  template <class T> void act_forward(Act, ActParams, const T*, T*, int64_t);                   \
  template <class T> void act_backward(Act, ActParams, const T*, const T*, const T*, T*,        \
                                       int64_t);                                                \
  template <class T> void softmax_forward(bool, const T*, T*, int64_t, int64_t, int64_t);       \
  template <class T> void softmax_backward(bool, const T*, const T*, T*, int64_t, int64_t,      \
                                           int64_t);                                            \
  }
PE_DECLARE_ISA(generic)
PE_DECLARE_ISA(avx2)
PE_DECLARE_ISA(avx512)
#undef PE_DECLARE_ISA

template <class T>
void act_forward(Act act, ActParams prm, const T* x, T* y, int64_t n) {
  PE_DISPATCH(act_forward<T>, act, prm, x, y, n);
}
template <class T>
void act_backward(Act act, ActParams prm, const T* x, const T* y, const T* dy, T* dx, int64_t n) {
  PE_DISPATCH(act_backward<T>, act, prm, x, y, dy, dx, n);
}
template <class T>
void softmax_forward(bool log, const T* x, T* y, int64_t outer, int64_t dim, int64_t inner) {
  PE_DISPATCH(softmax_forward<T>, log, x, y, outer, dim, inner);
}
template <class T>
void softmax_backward(bool log, const T* y, const T* dy, T* dx, int64_t outer, int64_t dim,
                      int64_t inner) {
  PE_DISPATCH(softmax_backward<T>, log, y, dy, dx, outer, dim, inner);
}

template void act_forward<float>(Act, ActParams, const float*, float*, int64_t);
template void act_forward<double>(Act, ActParams, const double*, double*, int64_t);
template void act_backward<float>(Act, ActParams, const float*, const float*, const float*,
                                  float*, int64_t);
template void act_backward<double>(Act, ActParams, const double*, const double*, const double*,
                                   double*, int64_t);
template void softmax_forward<float>(bool, const float*, float*, int64_t, int64_t, int64_t);
template void softmax_forward<double>(bool, const double*, double*, int64_t, int64_t, int64_t);
template void softmax_backward<float>(bool, const float*, const float*, float*, int64_t, int64_t,
                                      int64_t);
template void softmax_backward<double>(bool, const double*, const double*, double*, int64_t,
                                       int64_t, int64_t);

}  // namespace pyengine
