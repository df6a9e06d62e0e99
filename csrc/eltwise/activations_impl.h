// Activation kernels written once as plain loops and compiled once per ISA: each
// activations_<isa>.cpp defines PE_ISA_NS and includes this file, and CMake gives it the
// matching -m flags, so the same loops become SSE2, AVX2+FMA or AVX-512 code.
#include <algorithm>
#include <cmath>
#include <vector>

#include "common/parallel.h"
#include "common/vmath.h"
#include "eltwise/activations.h"

namespace pyengine {
namespace PE_ISA_NS {

namespace {

// Each chunk works on a local copy of `f`: read through the reference, its captured parameters
// could alias the output (both T), which forces a reload per element and blocks vectorisation.
template <class T, class F>
void map1(const T* x, T* y, int64_t n, F f) {
  parallel_for(n, kParallelGrain, [&](int64_t b, int64_t e) {
    const F fl = f;
#pragma omp simd
    for (int64_t i = b; i < e; ++i) y[i] = fl(x[i]);
  });
}

template <class T, class F>
void map3(const T* x, const T* y, const T* dy, T* dx, int64_t n, F f) {
  parallel_for(n, kParallelGrain, [&](int64_t b, int64_t e) {
    const F fl = f;
#pragma omp simd
    for (int64_t i = b; i < e; ++i) dx[i] = fl(x[i], y[i], dy[i]);
  });
}

// Phi(x), the standard normal CDF, from the upper tail so that the left tail keeps relative
// accuracy.
template <class T>
PE_VINLINE T normal_cdf(T v) {
  const T q = vmath::normal_sf(std::fabs(v));
  return v < T(0) ? q : T(1) - q;
}

// gelu(x) = x Phi(x); the limit 0 at x = -inf (not -inf * 0 = NaN).
template <class T>
PE_VINLINE T gelu_fwd(T v) {
  const T cdf = normal_cdf(v);
  return cdf == T(0) ? T(0) : v * cdf;
}

// gelu'(x) = Phi(x) + x phi(x); x phi(x) -> 0 as |x| -> inf (not inf * 0 = NaN).
template <class T>
PE_VINLINE T gelu_grad(T v) {
  T pdf;
  const T q = vmath::normal_sf_pdf(std::fabs(v), pdf);
  const T cdf = v < T(0) ? q : T(1) - q;
  return cdf + (pdf == T(0) ? T(0) : v * pdf);
}

}  // namespace

template <class T>
void act_forward(Act act, ActParams prm, const T* x, T* y, int64_t n) {
  const T a = static_cast<T>(prm.p0), th = static_cast<T>(prm.p1);
  switch (act) {
    case Act::relu:
      // x > 0 ? x : 0 keeps NaN as NaN (std::max would not).
      return map1(x, y, n, [](T v) { return v > T(0) ? v : (v != v ? v : T(0)); });
    case Act::leaky_relu:
      return map1(x, y, n, [a](T v) { return v > T(0) ? v : v * a; });
    case Act::elu:
      return map1(x, y, n, [a](T v) { return v > T(0) ? v : a * vmath::expm1(v); });
    case Act::gelu:
      return map1(x, y, n, [](T v) { return gelu_fwd(v); });
    case Act::sigmoid:
      return map1(x, y, n, [](T v) { return vmath::sigmoid(v); });
    case Act::tanh:
      return map1(x, y, n, [](T v) { return vmath::tanh(v); });
    case Act::softplus:
      // (1/beta) log(1 + exp(beta x)), linear above the threshold as in PyTorch; written as
      // max(z, 0) + log1p(exp(-|z|)) so that it never overflows.
      return map1(x, y, n, [a, th](T v) {
        const T z = a * v;
        const T s = (z > T(0) ? z : T(0)) + vmath::log1p_pos(vmath::exp(-std::fabs(z)));
        return z > th ? v : s / a;
      });
  }
}

template <class T>
void act_backward(Act act, ActParams prm, const T* x, const T* y, const T* dy, T* dx, int64_t n) {
  const T a = static_cast<T>(prm.p0), th = static_cast<T>(prm.p1);
  switch (act) {
    case Act::relu:
      return map3(x, y, dy, dx, n, [](T v, T, T g) { return v > T(0) ? g : T(0); });
    case Act::leaky_relu:
      return map3(x, y, dy, dx, n, [a](T v, T, T g) { return v > T(0) ? g : g * a; });
    case Act::elu:
      return map3(x, y, dy, dx, n, [a](T v, T out, T g) { return v > T(0) ? g : g * (out + a); });
    case Act::gelu:
      return map3(x, y, dy, dx, n, [](T v, T, T g) { return g * gelu_grad(v); });
    case Act::sigmoid:
      return map3(x, y, dy, dx, n, [](T, T out, T g) { return g * out * (T(1) - out); });
    case Act::tanh:
      return map3(x, y, dy, dx, n, [](T, T out, T g) { return g * (T(1) - out * out); });
    case Act::softplus:
      return map3(x, y, dy, dx, n, [a, th](T v, T, T g) {
        const T z = a * v;
        return z > th ? g : g * vmath::sigmoid(z);
      });
  }
}

// Softmax over the middle axis of a contiguous (outer, dim, inner) array. Sums accumulate in
// double: a float32 sum over a long row would lose ~1e-4 relative. Threads own whole rows (or
// blocks of columns), never part of a sum, so any thread count gives bitwise the same result.
//
// inner == 1 (last axis): one task per row, loops along the row vectorise.
// inner > 1 (a middle axis): one task per (outer, block of kCols columns); every loop runs over
// the contiguous columns of the block, so it vectorises too and reads whole cache lines.
constexpr int64_t kCols = 128;

template <class T>
void softmax_row(bool log, const T* xs, T* ys, int64_t dim) {
  T mx = -INFINITY;
#pragma omp simd reduction(max : mx)
  for (int64_t j = 0; j < dim; ++j) mx = xs[j] > mx ? xs[j] : mx;
  if (mx == -INFINITY) mx = T(0);  // all -inf: avoid (-inf) - (-inf); the row ends up NaN
  double sum = 0;
#pragma omp simd reduction(+ : sum)
  for (int64_t j = 0; j < dim; ++j) {
    const T ev = vmath::exp(xs[j] - mx);
    ys[j] = ev;
    sum += ev;
  }
  if (log) {
    // (x - mx) - log(sum), not x - (mx + log(sum)): the latter rounds to the ulp of mx.
    const T ls = vmath::log(static_cast<T>(sum));
#pragma omp simd
    for (int64_t j = 0; j < dim; ++j) ys[j] = (xs[j] - mx) - ls;
  } else {
    const T inv = static_cast<T>(1.0 / sum);
#pragma omp simd
    for (int64_t j = 0; j < dim; ++j) ys[j] *= inv;
  }
}

template <class T>
void softmax_cols(bool log, const T* xs, T* ys, int64_t dim, int64_t inner, int64_t w) {
  T mx[kCols];
  double sum[kCols];
  for (int64_t i = 0; i < w; ++i) mx[i] = -INFINITY, sum[i] = 0;
  for (int64_t j = 0; j < dim; ++j) {
    const T* xr = xs + j * inner;
#pragma omp simd
    for (int64_t i = 0; i < w; ++i) mx[i] = xr[i] > mx[i] ? xr[i] : mx[i];
  }
  for (int64_t i = 0; i < w; ++i) mx[i] = mx[i] == -INFINITY ? T(0) : mx[i];
  for (int64_t j = 0; j < dim; ++j) {
    const T* xr = xs + j * inner;
    T* yr = ys + j * inner;
#pragma omp simd
    for (int64_t i = 0; i < w; ++i) {
      const T ev = vmath::exp(xr[i] - mx[i]);
      yr[i] = ev;
      sum[i] += ev;
    }
  }
  T f[kCols];  // log(sum) or 1 / sum
  for (int64_t i = 0; i < w; ++i)
    f[i] = log ? vmath::log(static_cast<T>(sum[i])) : static_cast<T>(1.0 / sum[i]);
  for (int64_t j = 0; j < dim; ++j) {
    const T* xr = xs + j * inner;
    T* yr = ys + j * inner;
    if (log) {
#pragma omp simd
      for (int64_t i = 0; i < w; ++i) yr[i] = (xr[i] - mx[i]) - f[i];
    } else {
#pragma omp simd
      for (int64_t i = 0; i < w; ++i) yr[i] *= f[i];
    }
  }
}

template <class T>
void softmax_back_row(bool log, const T* y, const T* dy, T* dx, int64_t dim) {
  double s = 0;
  if (log) {
#pragma omp simd reduction(+ : s)
    for (int64_t j = 0; j < dim; ++j) s += dy[j];
    const T st = static_cast<T>(s);
#pragma omp simd
    for (int64_t j = 0; j < dim; ++j) dx[j] = dy[j] - vmath::exp(y[j]) * st;
  } else {
#pragma omp simd reduction(+ : s)
    for (int64_t j = 0; j < dim; ++j) s += dy[j] * y[j];
    const T st = static_cast<T>(s);
#pragma omp simd
    for (int64_t j = 0; j < dim; ++j) dx[j] = y[j] * (dy[j] - st);
  }
}

template <class T>
void softmax_back_cols(bool log, const T* y, const T* dy, T* dx, int64_t dim, int64_t inner,
                       int64_t w) {
  double s[kCols];
  for (int64_t i = 0; i < w; ++i) s[i] = 0;
  for (int64_t j = 0; j < dim; ++j) {
    const T* yr = y + j * inner;
    const T* gr = dy + j * inner;
    if (log) {
#pragma omp simd
      for (int64_t i = 0; i < w; ++i) s[i] += gr[i];
    } else {
#pragma omp simd
      for (int64_t i = 0; i < w; ++i) s[i] += gr[i] * yr[i];
    }
  }
  T st[kCols];
  for (int64_t i = 0; i < w; ++i) st[i] = static_cast<T>(s[i]);
  for (int64_t j = 0; j < dim; ++j) {
    const T* yr = y + j * inner;
    const T* gr = dy + j * inner;
    T* dr = dx + j * inner;
    if (log) {
#pragma omp simd
      for (int64_t i = 0; i < w; ++i) dr[i] = gr[i] - vmath::exp(yr[i]) * st[i];
    } else {
#pragma omp simd
      for (int64_t i = 0; i < w; ++i) dr[i] = yr[i] * (gr[i] - st[i]);
    }
  }
}

// Runs fn(offset, width) over every (outer, column block) task, in parallel when large.
template <class Fn>
void for_softmax_tasks(int64_t outer, int64_t dim, int64_t inner, Fn&& fn) {
  if (dim == 0 || outer == 0 || inner == 0) return;
  const int64_t blocks = (inner + kCols - 1) / kCols;
  const int64_t per_task = dim * std::min(inner, kCols);
  parallel_for(outer * blocks, std::max<int64_t>(1, kParallelGrain / per_task),
               [&](int64_t b, int64_t e) {
    for (int64_t t = b; t < e; ++t) {
      const int64_t o = t / blocks, c0 = (t % blocks) * kCols;
      fn(o * dim * inner + c0, std::min(kCols, inner - c0));
    }
  });
}

template <class T>
void softmax_forward(bool log, const T* x, T* y, int64_t outer, int64_t dim, int64_t inner) {
  for_softmax_tasks(outer, dim, inner, [&](int64_t off, int64_t w) {
    if (inner == 1) softmax_row(log, x + off, y + off, dim);
    else softmax_cols(log, x + off, y + off, dim, inner, w);
  });
}

template <class T>
void softmax_backward(bool log, const T* y, const T* dy, T* dx, int64_t outer, int64_t dim,
                      int64_t inner) {
  for_softmax_tasks(outer, dim, inner, [&](int64_t off, int64_t w) {
    if (inner == 1) softmax_back_row(log, y + off, dy + off, dx + off, dim);
    else softmax_back_cols(log, y + off, dy + off, dx + off, dim, inner, w);
  });
}

#define PE_INSTANTIATE(T)                                                                   \
  template void act_forward<T>(Act, ActParams, const T*, T*, int64_t);                      \
  template void act_backward<T>(Act, ActParams, const T*, const T*, const T*, T*, int64_t); \
  template void softmax_forward<T>(bool, const T*, T*, int64_t, int64_t, int64_t);          \
  template void softmax_backward<T>(bool, const T*, const T*, T*, int64_t, int64_t, int64_t);
PE_INSTANTIATE(float)
PE_INSTANTIATE(double)
#undef PE_INSTANTIATE

}  // namespace PE_ISA_NS
}  // namespace pyengine
