// Entry points of optim.h: forward to the translation unit of the active ISA.
#include "common/isa_dispatch.h"
#include "optim/optim.h"

namespace pyengine {

#define PE_DECLARE_ISA(ns)                                                                      \
  namespace ns {                                                                                \
  template <class T> void sgd_update(const SgdHyper&, T*, const T*, T*, bool, int64_t);         \
  template <class T> void adam_update(const AdamHyper&, int64_t, T*, const T*, T*, T*, T*,      \
                                      int64_t);                                                 \
  template <class T> void rmsprop_update(const RmspropHyper&, T*, const T*, T*, T*, T*,         \
                                         int64_t);                                              \
  template <class T> void adagrad_update(const AdagradHyper&, int64_t, T*, const T*, T*,        \
                                         int64_t);                                              \
  template <class T> double sum_squares(const T*, int64_t);                                    \
  template <class T> void scale_inplace(T*, double, int64_t);                                   \
  }
PE_DECLARE_ISA(generic)
PE_DECLARE_ISA(avx2)
PE_DECLARE_ISA(avx512)
#undef PE_DECLARE_ISA

template <class T>
void sgd_update(const SgdHyper& h, T* p, const T* g, T* buf, bool fresh, int64_t n) {
  PE_DISPATCH(sgd_update<T>, h, p, g, buf, fresh, n);
}
template <class T>
void adam_update(const AdamHyper& h, int64_t step, T* p, const T* g, T* m, T* v, T* vmax,
                 int64_t n) {
  PE_DISPATCH(adam_update<T>, h, step, p, g, m, v, vmax, n);
}
template <class T>
void rmsprop_update(const RmspropHyper& h, T* p, const T* g, T* sq, T* gavg, T* buf, int64_t n) {
  PE_DISPATCH(rmsprop_update<T>, h, p, g, sq, gavg, buf, n);
}
template <class T>
void adagrad_update(const AdagradHyper& h, int64_t step, T* p, const T* g, T* sum, int64_t n) {
  PE_DISPATCH(adagrad_update<T>, h, step, p, g, sum, n);
}
template <class T>
double sum_squares(const T* x, int64_t n) {
  PE_DISPATCH(sum_squares<T>, x, n);
}
template <class T>
void scale_inplace(T* x, double s, int64_t n) {
  PE_DISPATCH(scale_inplace<T>, x, s, n);
}

PE_OPTIM_INSTANTIATE(float)
PE_OPTIM_INSTANTIATE(double)

}  // namespace pyengine
