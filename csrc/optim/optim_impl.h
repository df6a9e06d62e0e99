// Optimizer updates written once as plain loops and compiled once per ISA (optim_<isa>.cpp
// defines PE_ISA_NS). Scalars are folded in double and cast once; the element loop runs in T.
// Elements are independent, so threads split them without changing any result.
#include <cmath>

#include "common/parallel.h"
#include "optim/optim.h"

namespace pyengine {
namespace PE_ISA_NS {

namespace {
// Below this many elements an update (3-5 streams per element, one pass) runs on one thread.
// A fork/join that has to wake a sleeping worker costs tens of microseconds on this VM (a
// whole time slice when a neighbour holds the other core); the update of a 512 x 512 weight
// (262,144 elements, ~0.1 ms on one core) gained less than that: the MLP loop at width 512,
// batch 10 (bench/bench_mlp_loop.py), whose only parallel region per step was that update,
// ran 1.4x slower on 2 threads than on 1. From 2^18 up each thread gets at least 2^17.
constexpr int64_t kOptimGrain = int64_t{1} << 18;

template <class F>
void for_chunks(int64_t n, F f) {
  parallel_for(n, kOptimGrain, f);
}
}  // namespace

template <class T>
void sgd_update(const SgdHyper& h, T* p, const T* g, T* buf, bool fresh, int64_t n) {
  const T lr = T(h.lr), mu = T(h.momentum), damp = T(1.0 - h.dampening), wd = T(h.weight_decay);
  const T sign = h.maximize ? T(-1) : T(1);
  const bool nesterov = h.nesterov;
  for_chunks(n, [&](int64_t b, int64_t e) {
    if (!buf) {
#pragma omp simd
      for (int64_t i = b; i < e; ++i) p[i] -= lr * (sign * g[i] + wd * p[i]);
      return;
    }
#pragma omp simd
    for (int64_t i = b; i < e; ++i) {
      const T d = sign * g[i] + wd * p[i];
      const T v = fresh ? d : mu * buf[i] + damp * d;
      buf[i] = v;
      p[i] -= lr * (nesterov ? d + mu * v : v);
    }
  });
}

template <class T>
void adam_update(const AdamHyper& h, int64_t step, T* p, const T* g, T* m, T* v, T* vmax,
                 int64_t n) {
  const double bc1 = 1.0 - std::pow(h.beta1, double(step));
  const double bc2 = 1.0 - std::pow(h.beta2, double(step));
  const T step_size = T(h.lr / bc1), inv_sqrt_bc2 = T(1.0 / std::sqrt(bc2)), eps = T(h.eps);
  const T b1 = T(h.beta1), b2 = T(h.beta2), c1 = T(1.0 - h.beta1), c2 = T(1.0 - h.beta2);
  const T sign = h.maximize ? T(-1) : T(1);
  // Adam adds wd * p to the gradient; AdamW shrinks p directly.
  const T l2 = h.decoupled ? T(0) : T(h.weight_decay);
  const T shrink = h.decoupled ? T(1.0 - h.lr * h.weight_decay) : T(1);
  for_chunks(n, [&](int64_t b, int64_t e) {
    if (!vmax) {  // separate loop: a conditional store inside keeps the loop from vectorizing
#pragma omp simd
      for (int64_t i = b; i < e; ++i) {
        const T pi = p[i] * shrink;
        const T d = sign * g[i] + l2 * p[i];
        const T mi = b1 * m[i] + c1 * d;
        const T vi = b2 * v[i] + c2 * d * d;
        m[i] = mi;
        v[i] = vi;
        p[i] = pi - step_size * mi / (std::sqrt(vi) * inv_sqrt_bc2 + eps);
      }
      return;
    }
#pragma omp simd
    for (int64_t i = b; i < e; ++i) {
      const T pi = p[i] * shrink;
      const T d = sign * g[i] + l2 * p[i];
      const T mi = b1 * m[i] + c1 * d;
      const T vi = b2 * v[i] + c2 * d * d;
      m[i] = mi;
      v[i] = vi;
      const T vhat = vmax[i] > vi ? vmax[i] : vi;
      vmax[i] = vhat;
      p[i] = pi - step_size * mi / (std::sqrt(vhat) * inv_sqrt_bc2 + eps);
    }
  });
}

template <class T>
void rmsprop_update(const RmspropHyper& h, T* p, const T* g, T* sq, T* gavg, T* buf, int64_t n) {
  const T lr = T(h.lr), a = T(h.alpha), c = T(1.0 - h.alpha), eps = T(h.eps);
  const T wd = T(h.weight_decay), mu = T(h.momentum), sign = h.maximize ? T(-1) : T(1);
  for_chunks(n, [&](int64_t b, int64_t e) {
#pragma omp simd
    for (int64_t i = b; i < e; ++i) {
      const T d = sign * g[i] + wd * p[i];
      const T s = a * sq[i] + c * d * d;
      sq[i] = s;
      T var = s;
      if (gavg) {
        const T ga = a * gavg[i] + c * d;
        gavg[i] = ga;
        var = s - ga * ga;
      }
      const T upd = d / (std::sqrt(var) + eps);
      if (buf) {
        const T bi = mu * buf[i] + upd;
        buf[i] = bi;
        p[i] -= lr * bi;
      } else {
        p[i] -= lr * upd;
      }
    }
  });
}

template <class T>
void adagrad_update(const AdagradHyper& h, int64_t step, T* p, const T* g, T* sum, int64_t n) {
  const T clr = T(h.lr / (1.0 + double(step - 1) * h.lr_decay));
  const T wd = T(h.weight_decay), eps = T(h.eps), sign = h.maximize ? T(-1) : T(1);
  for_chunks(n, [&](int64_t b, int64_t e) {
#pragma omp simd
    for (int64_t i = b; i < e; ++i) {
      const T d = sign * g[i] + wd * p[i];
      const T s = sum[i] + d * d;
      sum[i] = s;
      p[i] -= clr * d / (std::sqrt(s) + eps);
    }
  });
}

template <class T>
double sum_squares(const T* x, int64_t n) {
  // One thread, fixed order: the norm must not depend on the thread count.
  double s = 0.0;
#pragma omp simd reduction(+ : s)
  for (int64_t i = 0; i < n; ++i) s += double(x[i]) * double(x[i]);
  return s;
}

template <class T>
void scale_inplace(T* x, double s, int64_t n) {
  const T f = T(s);
  for_chunks(n, [&](int64_t b, int64_t e) {
#pragma omp simd
    for (int64_t i = b; i < e; ++i) x[i] *= f;
  });
}

PE_OPTIM_INSTANTIATE(float)
PE_OPTIM_INSTANTIATE(double)

}  // namespace PE_ISA_NS
}  // namespace pyengine
