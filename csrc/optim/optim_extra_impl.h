// Adadelta / Adamax / NAdam element loops, written once and compiled per ISA
// (optim_extra_<isa>.cpp defines PE_ISA_NS). Elements are independent: threads split them
// without changing any result. Formulas: PyTorch's (see pyengine/optim/adadelta.py ...).
#include <cmath>

#include "common/parallel.h"
#include "optim/optim_extra.h"

namespace pyengine {
namespace PE_ISA_NS {

namespace {
constexpr int64_t kOptimExtraGrain = int64_t{1} << 18;  // 4-5 streams: as optim_impl.h
}

template <class T>
void adadelta_update(const AdadeltaHyper& h, T* p, const T* g, T* v, T* u, int64_t n) {
  const T lr = T(h.lr), rho = T(h.rho), c = T(1.0 - h.rho), eps = T(h.eps);
  const T wd = T(h.weight_decay), sign = h.maximize ? T(-1) : T(1);
  parallel_for(n, kOptimExtraGrain, [&](int64_t b, int64_t e) {
#pragma omp simd
    for (int64_t i = b; i < e; ++i) {
      const T d = sign * g[i] + wd * p[i];
      const T vi = rho * v[i] + c * d * d;
      const T delta = std::sqrt(u[i] + eps) / std::sqrt(vi + eps) * d;
      v[i] = vi;
      u[i] = rho * u[i] + c * delta * delta;
      p[i] -= lr * delta;
    }
  });
}

template <class T>
void adamax_update(const AdamaxHyper& h, int64_t step, T* p, const T* g, T* m, T* u, int64_t n) {
  const T clr = T(h.lr / (1.0 - std::pow(h.beta1, double(step))));
  const T b1 = T(h.beta1), c1 = T(1.0 - h.beta1), b2 = T(h.beta2), eps = T(h.eps);
  const T wd = T(h.weight_decay), sign = h.maximize ? T(-1) : T(1);
  parallel_for(n, kOptimExtraGrain, [&](int64_t b, int64_t e) {
#pragma omp simd
    for (int64_t i = b; i < e; ++i) {
      const T d = sign * g[i] + wd * p[i];
      const T mi = b1 * m[i] + c1 * d;
      const T a = std::abs(d) + eps, w = b2 * u[i];
      const T ui = w > a ? w : a;
      m[i] = mi;
      u[i] = ui;
      p[i] -= clr * mi / ui;
    }
  });
}

template <class T>
void nadam_update(const NadamHyper& h, double coef_g, double coef_m, double bc2, T* p,
                  const T* g, T* m, T* v, int64_t n) {
  const T cg = T(coef_g), cm = T(coef_m), inv_bc2 = T(1.0 / bc2), eps = T(h.eps);
  const T b1 = T(h.beta1), c1 = T(1.0 - h.beta1), b2 = T(h.beta2), c2 = T(1.0 - h.beta2);
  const T sign = h.maximize ? T(-1) : T(1);
  const T l2 = h.decoupled ? T(0) : T(h.weight_decay);
  const T shrink = h.decoupled ? T(1.0 - h.lr * h.weight_decay) : T(1);
  parallel_for(n, kOptimExtraGrain, [&](int64_t b, int64_t e) {
#pragma omp simd
    for (int64_t i = b; i < e; ++i) {
      const T d = sign * g[i] + l2 * p[i];
      const T mi = b1 * m[i] + c1 * d;
      const T vi = b2 * v[i] + c2 * d * d;
      m[i] = mi;
      v[i] = vi;
      const T denom = std::sqrt(vi * inv_bc2) + eps;
      p[i] = p[i] * shrink - (cg * d + cm * mi) / denom;
    }
  });
}

PE_OPTIM_EXTRA_INSTANTIATE(float)
PE_OPTIM_EXTRA_INSTANTIATE(double)

}  // namespace PE_ISA_NS
}  // namespace pyengine
