// Fused updates of the optimizers added after the first four (Adadelta, Adamax, NAdam): one
// tensor at a time, in place, float and double, contiguous buffers; the binding
// (bindings/optim.cpp) validates a whole group, releases the GIL and calls these per tensor.
// Step-dependent scalars (bias corrections, NAdam's momentum schedule) are folded in Python
// (pyengine/optim/*.py), which also keeps their per-parameter state; the element loops are here.
#pragma once
#include <cstdint>

namespace pyengine {

struct AdadeltaHyper {
  double lr, rho, eps, weight_decay;
  bool maximize;
};
// v: running mean of g^2; u: running mean of delta^2.
template <class T>
void adadelta_update(const AdadeltaHyper& h, T* p, const T* g, T* v, T* u, int64_t n);

struct AdamaxHyper {
  double lr, beta1, beta2, eps, weight_decay;
  bool maximize;
};
// m: first moment; u: exponentially weighted infinity norm; step counts from 1.
template <class T>
void adamax_update(const AdamaxHyper& h, int64_t step, T* p, const T* g, T* m, T* u, int64_t n);

struct NadamHyper {
  double lr, beta1, beta2, eps, weight_decay;
  bool decoupled, maximize;
};
// coef_g = lr (1 - mu_t) / (1 - prod mu_1..t); coef_m = lr mu_{t+1} / (1 - prod mu_1..t+1);
// bc2 = 1 - beta2^t.
template <class T>
void nadam_update(const NadamHyper& h, double coef_g, double coef_m, double bc2, T* p,
                  const T* g, T* m, T* v, int64_t n);

#define PE_OPTIM_EXTRA_INSTANTIATE(T)                                                          \
  template void adadelta_update<T>(const AdadeltaHyper&, T*, const T*, T*, T*, int64_t);       \
  template void adamax_update<T>(const AdamaxHyper&, int64_t, T*, const T*, T*, T*, int64_t);  \
  template void nadam_update<T>(const NadamHyper&, double, double, double, T*, const T*, T*,   \
                                T*, int64_t);

}  // namespace pyengine
