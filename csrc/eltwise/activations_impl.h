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

template <class T, class F>
void map1(const T* x, T* y, int64_t n, F f) {
  parallel_for(n, kParallelGrain, [&](int64_t b, int64_t e) {
#pragma omp simd
    for (int64_t i = b; i < e; ++i) y[i] = f(x[i]);
  });
}

template <class T, class F>
void map3(const T* x, const T* y, const T* dy, T* dx, int64_t n, F f) {
  parallel_for(n, kParallelGrain, [&](int64_t b, int64_t e) {
#pragma omp simd
    for (int64_t i = b; i < e; ++i) dx[i] = f(x ? x[i] : T(0), y ? y[i] : T(0), dy[i]);
  });
}

constexpr double kInvSqrt2 = 0.70710678118654752440;
constexpr double kInvSqrt2Pi = 0.39894228040143267794;

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
      return map1(x, y, n, [a](T v) { return v > T(0) ? v : a * (vmath::exp(v) - T(1)); });
    case Act::gelu:
      return map1(x, y, n, [](T v) {
        return T(0.5) * v * (T(1) + vmath::erf(v * T(kInvSqrt2)));
      });
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
      return map3(x, y, dy, dx, n, [](T v, T, T g) {
        const T cdf = T(0.5) * (T(1) + vmath::erf(v * T(kInvSqrt2)));
        const T pdf = T(kInvSqrt2Pi) * vmath::exp(T(-0.5) * v * v);
        return g * (cdf + v * pdf);
      });
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

template <class T>
void softmax_forward(bool log, const T* x, T* y, int64_t outer, int64_t dim, int64_t inner) {
  if (dim == 0) return;
  // One task per (outer, inner-block); each owns its output slice, so threads never share sums.
  const int64_t tasks = outer * inner;
  parallel_for(tasks, std::max<int64_t>(1, kParallelGrain / std::max<int64_t>(dim, 1)),
               [&](int64_t b, int64_t e) {
    for (int64_t t = b; t < e; ++t) {
      const int64_t o = t / inner, in = t % inner;
      const T* xs = x + o * dim * inner + in;
      T* ys = y + o * dim * inner + in;
      T mx = -INFINITY;
      for (int64_t j = 0; j < dim; ++j) mx = std::max(mx, xs[j * inner]);
      if (std::isinf(mx) && mx < 0) mx = T(0);  // all -inf: avoid (-inf) - (-inf)
      T sum = 0;
      if (inner == 1) {
#pragma omp simd reduction(+ : sum)
        for (int64_t j = 0; j < dim; ++j) {
          const T ev = vmath::exp(xs[j] - mx);
          ys[j] = ev;
          sum += ev;
        }
      } else {
        for (int64_t j = 0; j < dim; ++j) {
          const T ev = vmath::exp(xs[j * inner] - mx);
          ys[j * inner] = ev;
          sum += ev;
        }
      }
      if (log) {
        const T lse = mx + vmath::log(sum);
        for (int64_t j = 0; j < dim; ++j) ys[j * inner] = xs[j * inner] - lse;
      } else {
        const T inv = T(1) / sum;
        for (int64_t j = 0; j < dim; ++j) ys[j * inner] *= inv;
      }
    }
  });
}

template <class T>
void softmax_backward(bool log, const T* y, const T* dy, T* dx, int64_t outer, int64_t dim,
                      int64_t inner) {
  if (dim == 0) return;
  const int64_t tasks = outer * inner;
  parallel_for(tasks, std::max<int64_t>(1, kParallelGrain / std::max<int64_t>(dim, 1)),
               [&](int64_t b, int64_t e) {
    for (int64_t t = b; t < e; ++t) {
      const int64_t o = t / inner, in = t % inner, base = o * dim * inner + in;
      T s = 0;
      if (log) {
        for (int64_t j = 0; j < dim; ++j) s += dy[base + j * inner];
        for (int64_t j = 0; j < dim; ++j) {
          const int64_t k = base + j * inner;
          dx[k] = dy[k] - vmath::exp(y[k]) * s;
        }
      } else {
        for (int64_t j = 0; j < dim; ++j) s += dy[base + j * inner] * y[base + j * inner];
        for (int64_t j = 0; j < dim; ++j) {
          const int64_t k = base + j * inner;
          dx[k] = y[k] * (dy[k] - s);
        }
      }
    }
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
