// Loss kernels written once and compiled once per ISA (loss_<isa>.cpp defines PE_ISA_NS).
// Rows (cross-entropy) or elements (BCE) are independent: threads split them, results do not
// depend on the thread count.
#include <algorithm>
#include <cmath>

#include "common/parallel.h"
#include "common/vmath.h"
#include "loss/loss.h"

namespace pyengine {
namespace PE_ISA_NS {

namespace {

// max and log-sum-exp of one row.
template <class T>
T row_lse(const T* z, int64_t c, T& mx) {
  mx = z[0];
  for (int64_t k = 1; k < c; ++k) mx = z[k] > mx ? z[k] : mx;
  T s = T(0);
#pragma omp simd reduction(+ : s)
  for (int64_t k = 0; k < c; ++k) s += vmath::exp(z[k] - mx);
  return mx + vmath::log(s);
}

// Loss and grad of one row for coefficients a_k = w_k (cw + tscale t_k) + [k == hot] hot_a
// (w_k = 1 when w is null, no t term when t is null, no hot class when hot < 0).
template <class T>
void xent_row(const T* z, int64_t c, T lse, const T* w, const T* t, T tscale, T cw, int64_t hot,
              T hot_a, T* loss, T* grad) {
  T l = T(0), asum = T(0);
  for (int64_t k = 0; k < c; ++k) {
    const T wk = w ? w[k] : T(1);
    T a = wk * cw + (t ? wk * tscale * t[k] : T(0));
    if (k == hot) a += hot_a;
    l += a != T(0) ? a * (lse - z[k]) : T(0);  // a masked logit (-inf) with a = 0 adds 0
    asum += a;
    if (grad) grad[k] = -a;  // softmax part added below, once asum is known
  }
  *loss = l;
  if (grad) {
#pragma omp simd
    for (int64_t k = 0; k < c; ++k) grad[k] += vmath::exp(z[k] - lse) * asum;
  }
}

}  // namespace

template <class T>
void softmax_xent_index(const T* z, const int64_t* y, const T* w, double smoothing,
                        int64_t ignore_index, T* loss, T* grad, int64_t n, int64_t c) {
  const T cw = T(smoothing / double(c)), keep = T(1.0 - smoothing);
  parallel_for(n, std::max<int64_t>(1, kParallelGrain / std::max<int64_t>(c, 1)),
               [&](int64_t b, int64_t e) {
    for (int64_t i = b; i < e; ++i) {
      const T* zi = z + i * c;
      T* gi = grad ? grad + i * c : nullptr;
      if (y[i] == ignore_index) {
        loss[i] = T(0);
        if (gi) for (int64_t k = 0; k < c; ++k) gi[k] = T(0);
        continue;
      }
      T mx;
      const T lse = row_lse(zi, c, mx);
      const T hot_a = keep * (w ? w[y[i]] : T(1));
      xent_row(zi, c, lse, w, static_cast<const T*>(nullptr), T(0), cw, y[i], hot_a, loss + i, gi);
    }
  });
}

template <class T>
void softmax_xent_prob(const T* z, const T* t, const T* w, double smoothing, T* loss, T* grad,
                       int64_t n, int64_t c) {
  const T cw = T(smoothing / double(c)), keep = T(1.0 - smoothing);
  parallel_for(n, std::max<int64_t>(1, kParallelGrain / std::max<int64_t>(c, 1)),
               [&](int64_t b, int64_t e) {
    for (int64_t i = b; i < e; ++i) {
      const T* zi = z + i * c;
      T mx;
      const T lse = row_lse(zi, c, mx);
      xent_row(zi, c, lse, w, t + i * c, keep, cw, int64_t(-1), T(0), loss + i,
               grad ? grad + i * c : nullptr);
    }
  });
}

template <class T>
void bce(const T* p, const T* y, const T* w, T* loss, T* grad, int64_t n) {
  parallel_for(n, kParallelGrain, [&](int64_t b, int64_t e) {
#pragma omp simd
    for (int64_t i = b; i < e; ++i) {
      const T pi = p[i], yi = y[i], wi = w ? w[i] : T(1);
      T lp = vmath::log(pi), lq = vmath::log(T(1) - pi);
      lp = lp > T(-100) ? lp : T(-100);  // also maps log(0) = -inf to -100
      lq = lq > T(-100) ? lq : T(-100);
      loss[i] = -wi * (yi * lp + (T(1) - yi) * lq);
      if (grad) {
        const T d = pi * (T(1) - pi);
        grad[i] = wi * (pi - yi) / (d > T(1e-12) ? d : T(1e-12));
      }
    }
  });
}

template <class T>
void bce_logits(const T* x, const T* y, const T* w, const T* pw, T* loss, T* grad, int64_t n) {
  parallel_for(n, kParallelGrain, [&](int64_t b, int64_t e) {
#pragma omp simd
    for (int64_t i = b; i < e; ++i) {
      const T xi = x[i], yi = y[i], wi = w ? w[i] : T(1), pwi = pw ? pw[i] : T(1);
      // softplus(-x) = log(1 + exp(-|x|)) + max(-x, 0): no overflow for any x.
      const T sp = vmath::log1p_pos(vmath::exp(-std::fabs(xi))) + (xi < T(0) ? -xi : T(0));
      loss[i] = wi * ((T(1) - yi) * xi + (T(1) + (pwi - T(1)) * yi) * sp);
      if (grad) grad[i] = wi * (vmath::sigmoid(xi) * (pwi * yi + T(1) - yi) - pwi * yi);
    }
  });
}

#define PE_INSTANTIATE(T)                                                                     \
  template void softmax_xent_index<T>(const T*, const int64_t*, const T*, double, int64_t, T*, \
                                      T*, int64_t, int64_t);                                  \
  template void softmax_xent_prob<T>(const T*, const T*, const T*, double, T*, T*, int64_t,   \
                                     int64_t);                                                \
  template void bce<T>(const T*, const T*, const T*, T*, T*, int64_t);                        \
  template void bce_logits<T>(const T*, const T*, const T*, const T*, T*, T*, int64_t);
PE_INSTANTIATE(float)
PE_INSTANTIATE(double)
#undef PE_INSTANTIATE

}  // namespace PE_ISA_NS
}  // namespace pyengine
