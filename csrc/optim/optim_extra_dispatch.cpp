// Entry points of optim_extra.h: forward to the translation unit of the active ISA.
#include "common/isa_dispatch.h"
#include "optim/optim_extra.h"

namespace pyengine {

#define PE_DECLARE_ISA(ns)                                                                      \
  namespace ns {                                                                                \
  template <class T> void adadelta_update(const AdadeltaHyper&, T*, const T*, T*, T*, int64_t); \
  template <class T> void adamax_update(const AdamaxHyper&, int64_t, T*, const T*, T*, T*,      \
                                        int64_t);                                               \
  template <class T> void nadam_update(const NadamHyper&, double, double, double, T*, const T*, \
                                       T*, T*, int64_t);                                        \
  }
PE_DECLARE_ISA(generic)
PE_DECLARE_ISA(avx2)
PE_DECLARE_ISA(avx512)
#undef PE_DECLARE_ISA

template <class T>
void adadelta_update(const AdadeltaHyper& h, T* p, const T* g, T* v, T* u, int64_t n) {
  PE_DISPATCH(adadelta_update<T>, h, p, g, v, u, n);
}
template <class T>
void adamax_update(const AdamaxHyper& h, int64_t step, T* p, const T* g, T* m, T* u, int64_t n) {
  PE_DISPATCH(adamax_update<T>, h, step, p, g, m, u, n);
}
template <class T>
void nadam_update(const NadamHyper& h, double coef_g, double coef_m, double bc2, T* p,
                  const T* g, T* m, T* v, int64_t n) {
  PE_DISPATCH(nadam_update<T>, h, coef_g, coef_m, bc2, p, g, m, v, n);
}

PE_OPTIM_EXTRA_INSTANTIATE(float)
PE_OPTIM_EXTRA_INSTANTIATE(double)

}  // namespace pyengine
