// Fused dense layer (see linear.h): GEMM + bias + activation epilogue, and the backward pass
// with the bias gradient taken in the same pass as the activation derivative.
#include "gemm/linear.h"

#include <algorithm>

#include "common/parallel.h"
#include "eltwise/activations.h"
#include "gemm/gemm.h"

namespace pyengine {
namespace {

Act to_act(LinearAct a) {
  switch (a) {
    case LinearAct::sigmoid: return Act::sigmoid;
    case LinearAct::tanh: return Act::tanh;
    default: return Act::relu;
  }
}

// Rows per epilogue chunk: a band of y that fits in L1/L2 alongside the bias.
int64_t band_rows(int64_t o) {
  return std::max<int64_t>(1, (int64_t{16} << 10) / std::max<int64_t>(o, 1));
}

}  // namespace

template <class T>
void linear_forward(int64_t n, int64_t k, int64_t o, const T* x, int64_t rs_x, int64_t cs_x,
                    const T* w, int64_t rs_w, int64_t cs_w, const T* b, LinearAct act, T* y) {
  if (n <= 0 || o <= 0) return;
  // y = x @ w^T: w^T (k, o) is w read with its strides swapped.
  gemm<T>(n, o, k, T(1), x, rs_x, cs_x, w, cs_w, rs_w, T(0), y, o, 1);
  if (b == nullptr && act == LinearAct::none) return;
  const Act a = to_act(act);
  const int64_t band = band_rows(o);
  const int64_t bands = (n + band - 1) / band;
  // Each band: bias, then activation, while it is hot. Elementwise: any split gives the same bits.
  const int64_t grain = std::max<int64_t>(1, kParallelGrain / (band * o));
  parallel_for(bands, grain, [&](int64_t b0, int64_t b1) {
    for (int64_t bi = b0; bi < b1; ++bi) {
      const int64_t r0 = bi * band, r1 = std::min(n, r0 + band);
      if (b != nullptr) {
        for (int64_t i = r0; i < r1; ++i) {
          T* yr = y + i * o;
#pragma omp simd
          for (int64_t j = 0; j < o; ++j) yr[j] = yr[j] + b[j];
        }
      }
      if (act != LinearAct::none)
        act_forward<T>(a, ActParams{}, y + r0 * o, y + r0 * o, (r1 - r0) * o);
    }
  });
}

template <class T>
void linear_backward(int64_t n, int64_t k, int64_t o, const T* x, int64_t rs_x, int64_t cs_x,
                     const T* w, int64_t rs_w, int64_t cs_w, const T* y, const T* g,
                     LinearAct act, T* gz, T* gx, T* gw, T* gb, bool gw_kmajor) {
  const T* dz = act == LinearAct::none ? g : gz;
  if (o > 0 && (act != LinearAct::none || gb != nullptr)) {
    // Threads split the bias columns; every column is summed over the rows in order 0..n-1,
    // the order of the unfused column sum, whatever the split.
    const Act a = to_act(act);
    const int64_t grain = std::max<int64_t>(16, kParallelGrain / std::max<int64_t>(n, 1));
    parallel_for(o, grain, [&](int64_t j0, int64_t j1) {
      const int64_t w_ = j1 - j0;
      if (gb != nullptr) std::fill(gb + j0, gb + j1, T(0));
      for (int64_t i = 0; i < n; ++i) {
        if (act != LinearAct::none)
          act_backward<T>(a, ActParams{}, y + i * o + j0, y + i * o + j0, g + i * o + j0,
                          gz + i * o + j0, w_);
        if (gb != nullptr) {
          const T* zr = dz + i * o + j0;
          T* bb = gb + j0;
#pragma omp simd
          for (int64_t j = 0; j < w_; ++j) bb[j] = bb[j] + zr[j];
        }
      }
    });
  }
  // gx (n, k) = dz (n, o) @ w (o, k); gw (o, k) = dz^T (o, n) @ x (n, k).
  if (gx != nullptr) gemm<T>(n, k, o, T(1), dz, o, 1, w, rs_w, cs_w, T(0), gx, k, 1);
  // gw_kmajor: gw^T (k, o) = x^T (k, n) @ dz (n, o)
  if (gw != nullptr && gw_kmajor) gemm<T>(k, o, n, T(1), x, cs_x, rs_x, dz, o, 1, T(0), gw, o, 1);
  else if (gw != nullptr) gemm<T>(o, k, n, T(1), dz, 1, o, x, rs_x, cs_x, T(0), gw, k, 1);
}

#define PE_LINEAR_INSTANTIATE(T)                                                             \
  template void linear_forward<T>(int64_t, int64_t, int64_t, const T*, int64_t, int64_t,     \
                                  const T*, int64_t, int64_t, const T*, LinearAct, T*);      \
  template void linear_backward<T>(int64_t, int64_t, int64_t, const T*, int64_t, int64_t,    \
                                   const T*, int64_t, int64_t, const T*, const T*, LinearAct, \
                                   T*, T*, T*, T*, bool);
PE_LINEAR_INSTANTIATE(float)
PE_LINEAR_INSTANTIATE(double)
#undef PE_LINEAR_INSTANTIATE

}  // namespace pyengine
