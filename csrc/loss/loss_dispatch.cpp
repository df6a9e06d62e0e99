// Entry points of loss.h: forward to the translation unit of the active ISA.
#include "common/isa_dispatch.h"
#include "loss/loss.h"

namespace pyengine {

#define PE_DECLARE_ISA(ns)                                                                     \
  namespace ns {                                                                               \
  template <class T> void softmax_xent_index(const T*, const int64_t*, const T*, double,      \
                                             int64_t, double, T*, T*, int64_t, int64_t);      \
  template <class T> void softmax_xent_prob(const T*, const T*, const T*, double, double, T*, \
                                            T*, int64_t, int64_t);                             \
  template <class T> void bce(const T*, const T*, const T*, T*, T*, int64_t);                  \
  template <class T> void bce_logits(const T*, const T*, const T*, const T*, T*, T*, int64_t); \
  }
PE_DECLARE_ISA(generic)
PE_DECLARE_ISA(avx2)
PE_DECLARE_ISA(avx512)
#undef PE_DECLARE_ISA

template <class T>
void softmax_xent_index(const T* z, const int64_t* y, const T* w, double smoothing,
                        int64_t ignore_index, double grad_scale, T* loss, T* grad, int64_t n,
                        int64_t c) {
  PE_DISPATCH(softmax_xent_index<T>, z, y, w, smoothing, ignore_index, grad_scale, loss, grad, n,
              c);
}
template <class T>
void softmax_xent_prob(const T* z, const T* t, const T* w, double smoothing, double grad_scale,
                       T* loss, T* grad, int64_t n, int64_t c) {
  PE_DISPATCH(softmax_xent_prob<T>, z, t, w, smoothing, grad_scale, loss, grad, n, c);
}
template <class T>
void bce(const T* p, const T* y, const T* w, T* loss, T* grad, int64_t n) {
  PE_DISPATCH(bce<T>, p, y, w, loss, grad, n);
}
template <class T>
void bce_logits(const T* x, const T* y, const T* w, const T* pw, T* loss, T* grad, int64_t n) {
  PE_DISPATCH(bce_logits<T>, x, y, w, pw, loss, grad, n);
}

PE_LOSS_INSTANTIATE(float)
PE_LOSS_INSTANTIATE(double)

}  // namespace pyengine
