// Loss kernels written once and compiled once per ISA (loss_<isa>.cpp defines PE_ISA_NS).
// Rows (cross-entropy) or elements (BCE) are independent: threads split them, results do not
// depend on the thread count.
#include <algorithm>
#include <cmath>
#include <type_traits>
#include <vector>

#include "common/parallel.h"
#include "common/vmath.h"
#include "loss/loss.h"

namespace pyengine {
namespace PE_ISA_NS {

namespace {

// Cross-entropy rows are processed in fixed blocks of about kXentBlock elements (boundaries
// depend only on n and c, never on the thread count). Per row, z - max(z) goes into a buffer (the
// gradient itself when it is wanted, else scratch); one flat loop then takes exp over the whole
// block -- long enough to vectorise even for 10 classes -- and `finish(i, e, max)` turns row i's
// exponentials into its loss and gradient. One exp per element.
constexpr int64_t kXentBlock = 4096;

template <class T, class Finish>
void xent_blocks(const T* z, T* grad, int64_t n, int64_t c, Finish finish) {
  const int64_t rows = std::max<int64_t>(1, kXentBlock / c);
  const int64_t nblocks = (n + rows - 1) / rows;
  parallel_for(nblocks, std::max<int64_t>(1, kParallelGrain / (rows * c)),
               [&](int64_t bb, int64_t be) {
    std::vector<T> scratch(grad ? 0 : rows * c), mx(rows);
    for (int64_t blk = bb; blk < be; ++blk) {
      const int64_t r0 = blk * rows, r1 = std::min(n, r0 + rows);
      T* buf = grad ? grad + r0 * c : scratch.data();
      for (int64_t i = r0; i < r1; ++i) {
        const T* zi = z + i * c;
        T* bi = buf + (i - r0) * c;
        T m = zi[0];
        for (int64_t k = 1; k < c; ++k) m = zi[k] > m ? zi[k] : m;
        mx[i - r0] = m;
#pragma omp simd
        for (int64_t k = 0; k < c; ++k) bi[k] = zi[k] - m;
      }
      const int64_t len = (r1 - r0) * c;
#pragma omp simd
      for (int64_t j = 0; j < len; ++j) buf[j] = vmath::exp(buf[j]);
      for (int64_t i = r0; i < r1; ++i) finish(i, buf + (i - r0) * c, mx[i - r0]);
    }
  });
}

// Loss and scaled grad of one row from its exponentials e_k = exp(z_k - mx). The loss is
// sum_k a_k (lse - z_k) with a_k = coef(k) + [k == hot] hot_a (no hot class when hot < 0;
// `dense` false when coef is 0 everywhere, the plain one-hot case, which then costs no pass).
// grad_k = scale (softmax_k sum(a) - a_k), written over e (grad is e's buffer or null).
// `coef` is a small functor without branches on null pointers, so every loop vectorises.
template <class T, class Coef>
void xent_row(const T* z, const T* e, T mx, int64_t c, Coef coef, bool dense, int64_t hot,
              T hot_a, T scale, T* loss, T* grad) {
  T s = T(0);
#pragma omp simd reduction(+ : s)
  for (int64_t k = 0; k < c; ++k) s += e[k];
  const T lse = mx + vmath::log(s);
  T l = T(0), asum = T(0);
  if (dense) {
#pragma omp simd reduction(+ : l, asum)
    for (int64_t k = 0; k < c; ++k) {
      const T a = coef(k);
      l += a != T(0) ? a * (lse - z[k]) : T(0);  // a masked logit (-inf) with a = 0 adds 0
      asum += a;
    }
  }
  if (hot >= 0) {
    l += hot_a * (lse - z[hot]);
    asum += hot_a;
  }
  *loss = l;
  if (!grad) return;
  const T f = asum * scale / s;
  if (dense) {
#pragma omp simd
    for (int64_t k = 0; k < c; ++k) grad[k] = e[k] * f - coef(k) * scale;
  } else {
#pragma omp simd
    for (int64_t k = 0; k < c; ++k) grad[k] = e[k] * f;
  }
  if (hot >= 0) grad[hot] -= hot_a * scale;
}

}  // namespace

template <class T>
void softmax_xent_index(const T* z, const int64_t* y, const T* w, double smoothing,
                        int64_t ignore_index, double grad_scale, T* loss, T* grad, int64_t n,
                        int64_t c) {
  const T cw = T(smoothing / double(c)), keep = T(1.0 - smoothing), scale = T(grad_scale);
  const bool dense = cw != T(0);
  auto run = [&](auto coef) {
    xent_blocks(z, grad, n, c, [&](int64_t i, T* e, T mx) {
      T* gi = grad ? e : nullptr;
      if (y[i] == ignore_index) {
        loss[i] = T(0);
        if (gi) std::fill(gi, gi + c, T(0));
        return;
      }
      const T hot_a = keep * (w ? w[y[i]] : T(1));
      xent_row(z + i * c, e, mx, c, coef, dense, y[i], hot_a, scale, loss + i, gi);
    });
  };
  if (w) run([w, cw](int64_t k) { return w[k] * cw; });
  else run([cw](int64_t) { return cw; });
}

template <class T>
void softmax_xent_prob(const T* z, const T* t, const T* w, double smoothing, double grad_scale,
                       T* loss, T* grad, int64_t n, int64_t c) {
  const T cw = T(smoothing / double(c)), keep = T(1.0 - smoothing), scale = T(grad_scale);
  auto run = [&](auto make_coef) {
    xent_blocks(z, grad, n, c, [&](int64_t i, T* e, T mx) {
      xent_row(z + i * c, e, mx, c, make_coef(t + i * c), true, int64_t(-1), T(0), scale,
               loss + i, grad ? e : nullptr);
    });
  };
  if (w)
    run([w, cw, keep](const T* ti) {
      return [w, cw, keep, ti](int64_t k) { return w[k] * (cw + keep * ti[k]); };
    });
  else
    run([cw, keep](const T* ti) { return [cw, keep, ti](int64_t k) { return cw + keep * ti[k]; }; });
}

// Calls body(std::bool_constant<weighted>, std::bool_constant<with_grad>) so that the element
// loops below carry no branch on a null pointer (which would keep them from vectorising).
template <class Body>
void with_flags(bool weighted, bool with_grad, Body body) {
  if (weighted) {
    if (with_grad) body(std::true_type{}, std::true_type{});
    else body(std::true_type{}, std::false_type{});
  } else {
    if (with_grad) body(std::false_type{}, std::true_type{});
    else body(std::false_type{}, std::false_type{});
  }
}

template <class T>
void bce(const T* p, const T* y, const T* w, T* loss, T* grad, int64_t n) {
  with_flags(w != nullptr, grad != nullptr, [&](auto weighted, auto with_grad) {
    parallel_for(n, kParallelGrain, [&](int64_t b, int64_t e) {
#pragma omp simd
      for (int64_t i = b; i < e; ++i) {
        const T pi = p[i], yi = y[i];
        const T wi = weighted ? w[i] : T(1);
        T lp = vmath::log(pi), lq = vmath::log(T(1) - pi);
        // maps log(0) = -inf to -100 and keeps NaN (a NaN probability must give a NaN loss)
        lp = (lp > T(-100) || lp != lp) ? lp : T(-100);
        lq = (lq > T(-100) || lq != lq) ? lq : T(-100);
        loss[i] = -wi * (yi * lp + (T(1) - yi) * lq);
        if constexpr (with_grad) {
          const T d = pi * (T(1) - pi);
          grad[i] = wi * (pi - yi) / (d > T(1e-12) ? d : T(1e-12));
        }
      }
    });
  });
}

template <class T>
void bce_logits(const T* x, const T* y, const T* w, const T* pw, T* loss, T* grad, int64_t n) {
  // pos_weight and weight fold into one flag pair: absent ones read a broadcast 1 instead.
  const T one = T(1);
  const bool weighted = w != nullptr || pw != nullptr;
  with_flags(weighted, grad != nullptr, [&](auto weighted_c, auto with_grad) {
    parallel_for(n, kParallelGrain, [&](int64_t b, int64_t e) {
      const int64_t ws = w ? 1 : 0, ps = pw ? 1 : 0;  // stride 0 reads `one` for absent ones
      const T* wv = w ? w : &one;
      const T* pv = pw ? pw : &one;
#pragma omp simd
      for (int64_t i = b; i < e; ++i) {
        const T xi = x[i], yi = y[i];
        const T wi = weighted_c ? wv[i * ws] : T(1), pwi = weighted_c ? pv[i * ps] : T(1);
        // softplus(-x) = log(1 + exp(-|x|)) + max(-x, 0): no overflow for any x.
        const T sp = vmath::log1p_pos(vmath::exp(-std::fabs(xi))) + (xi < T(0) ? -xi : T(0));
        loss[i] = wi * ((T(1) - yi) * xi + (T(1) + (pwi - T(1)) * yi) * sp);
        if constexpr (with_grad)
          grad[i] = wi * (vmath::sigmoid(xi) * (pwi * yi + T(1) - yi) - pwi * yi);
      }
    });
  });
}

PE_LOSS_INSTANTIATE(float)
PE_LOSS_INSTANTIATE(double)

}  // namespace PE_ISA_NS
}  // namespace pyengine
