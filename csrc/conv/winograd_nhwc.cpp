// Channels-last Winograd F(2x2, 3x3) and F(4x4, 3x3) (winograd_nhwc.h): when to use which, the
// weight transform, and dispatch of the tile loop (winograd_nhwc_impl.h, compiled into winograd_<isa>.cpp).
#include "conv/winograd_nhwc.h"

#include <algorithm>
#include <cstring>
#include <vector>

#include "common/isa_dispatch.h"
#include "common/parallel.h"

// The weight transform's vectors never cross a call (always inline or by pointer).
#pragma GCC diagnostic ignored "-Wpsabi"

namespace pyengine {

#define PE_DECLARE_ISA(ns)                                                                    \
  namespace ns {                                                                              \
  template <class T> void winograd_nhwc_conv3x3(const WinogradNhwcGeom&, const T*, const T*,  \
                                                const T*, ConvAct, T*);                       \
  template <class T> void winograd_nhwc_conv3x3_backward_weight(const WinogradNhwcGeom&,      \
                                                                const T*, const T*, T*);      \
  }
PE_DECLARE_ISA(generic)
PE_DECLARE_ISA(avx2)
PE_DECLARE_ISA(avx512)
#undef PE_DECLARE_ISA

template <class T>
void winograd_nhwc_conv3x3(const WinogradNhwcGeom& g, const T* x, const T* u, const T* b,
                           ConvAct act, T* y) {
  PE_DISPATCH(winograd_nhwc_conv3x3<T>, g, x, u, b, act, y);
}

template <class T>
void winograd_nhwc_conv3x3_backward_weight(const WinogradNhwcGeom& g, const T* x, const T* dy,
                                           T* dw) {
  PE_DISPATCH(winograd_nhwc_conv3x3_backward_weight<T>, g, x, dy, dw);
}

// The same bounds as the NCHW Winograd (winograd.cpp): enough channels on both sides that the
// 16 GEMMs are not dominated by the transforms, and at least 128 output tiles (2x2) so the
// weight transform is amortised. groups == 1 (the grouped layers' channel slices would need
// strided transforms; depthwise runs direct).
bool winograd_nhwc_fits(const ConvNhwcGeom& g, bool backward) {
  if (g.kh != 3 || g.kw != 3 || g.sh != 1 || g.sw != 1 || g.dh != 1 || g.dw != 1) return false;
  if (g.groups != 1 || g.n * ((g.oh + 1) / 2) * ((g.ow + 1) / 2) < 128) return false;
  return g.c >= 8 && g.oc >= (backward ? 16 : 8);
}

bool winograd_nhwc_fits_weight_grad(const ConvNhwcGeom& g) {
  return winograd_nhwc_fits(g, false) && g.c >= 16 && g.oc >= 16;
}

namespace {

// Transformed-domain products per image of an oh x ow output with m x m tiles: (m+2)^2 per tile.
int64_t winograd_products(int64_t oh, int64_t ow, int64_t m) {
  return (m + 2) * (m + 2) * ((oh + m - 1) / m) * ((ow + m - 1) / m);
}

// G f for the 3 taps f of one kernel row or column: M + 2 values (S the scalar type, V S or
// a vector of S).
template <int M, class S, class V>
inline void g_times(const V* f, V* r) {
  if (M == 2) {  // G = [1 0 0; 1/2 1/2 1/2; 1/2 -1/2 1/2; 0 0 1]
    r[0] = f[0];
    r[1] = (f[0] + f[1] + f[2]) * S(0.5);
    r[2] = (f[0] - f[1] + f[2]) * S(0.5);
    r[3] = f[2];
    return;
  }
  // G = [1/4 0 0; -1/6 -1/6 -1/6; -1/6 1/6 -1/6; 1/24 1/12 1/6; 1/24 -1/12 1/6; 0 0 1]
  const S sixth = S(1) / S(6);
  const V a = f[0] + f[2], b = f[0] * S(0.25) + f[2];
  r[0] = f[0] * S(0.25);
  r[1] = -(a + f[1]) * sixth;
  r[2] = -(a - f[1]) * sixth;
  r[3] = (b + f[1] * S(0.5)) * sixth;
  r[4] = (b - f[1] * S(0.5)) * sixth;
  r[5] = f[2];
}

// u[k][r][col..] = (G f G^T)[k] for the columns col.. (one vector V, or one value) of row r:
// f[i][j] = src[tap][r][col], tap = (i, j), or (2 - i, 2 - j) when ROTATE. `at` = r * cols +
// col, the same offset in every plane of src (9 of them) and of u (TT * TT).
template <int M, bool ROTATE, class S, class V>
inline void weights_lanes(const S* src, S* u, int64_t plane, int64_t at) {
  constexpr int TT = M + 2;
  V f[3][3];
  for (int i = 0; i < 3; ++i)
    for (int j = 0; j < 3; ++j) {
      const int tap = ROTATE ? (2 - i) * 3 + (2 - j) : i * 3 + j;
      std::memcpy(&f[i][j], src + tap * plane + at, sizeof(V));
    }
  V t[TT][3];  // G f, column by column
  for (int j = 0; j < 3; ++j) {
    const V col[3] = {f[0][j], f[1][j], f[2][j]};
    V r[TT];
    g_times<M, S>(col, r);
    for (int i = 0; i < TT; ++i) t[i][j] = r[i];
  }
  for (int i = 0; i < TT; ++i) {  // (G f) G^T, row by row
    V v[TT];
    g_times<M, S>(t[i], v);
    for (int j = 0; j < TT; ++j) std::memcpy(u + (i * TT + j) * plane + at, &v[j], sizeof(V));
  }
}

// u for rows [r0, r1) of src (9, rows, cols), along the unit-stride columns: whole vectors, then
// the remainder one by one through the same arithmetic (no contraction in this translation
// unit: every column rounds alike).
template <int M, bool ROTATE, class T>
void weights_rows(const T* src, T* u, int64_t rows, int64_t cols, int64_t r0, int64_t r1) {
  typedef T V __attribute__((vector_size(32)));
  constexpr int64_t L = 32 / int64_t(sizeof(T));
  const int64_t plane = rows * cols;
  for (int64_t r = r0; r < r1; ++r) {
    int64_t col = 0;
    for (; col + L <= cols; col += L) weights_lanes<M, ROTATE, T, V>(src, u, plane, r * cols + col);
    for (; col < cols; ++col) weights_lanes<M, ROTATE, T, T>(src, u, plane, r * cols + col);
  }
}

}  // namespace

// F(4x4) where it needs at most 85 % of F(2x2)'s transformed-domain products (their GEMMs are
// most of the time, and the transforms cost about the same per output): MNIST conv2's 11x11
// output takes 9 tiles of 36 against 36 of 16 (56 %), its 13x13 input gradient 16 of 36
// against 49 of 16 (73 %); a 5x5 or 6x6 plane stays on F(2x2) (100 %).
WinogradNhwcGeom winograd_nhwc_geom(const ConvNhwcGeom& g, bool backward) {
  // Backward: dx = full correlation of dy with the rotated weights, padding 2 - p, output H x W.
  WinogradNhwcGeom r = backward
      ? WinogradNhwcGeom{g.n, g.oc, g.c, g.oh, g.ow, g.h, g.w, 2 - g.pt, 2 - g.pl, 2}
      : WinogradNhwcGeom{g.n, g.c, g.oc, g.h, g.w, g.oh, g.ow, g.pt, g.pl, 2};
  if (100 * winograd_products(r.oh, r.ow, 4) <= 85 * winograd_products(r.oh, r.ow, 2)) r.m = 4;
  return r;
}

template <class T>
void winograd_nhwc_weights(const ConvNhwcGeom& g, const WinogradNhwcGeom& wg, const T* w,
                           bool backward, T* u) {
  // The forward's u[k][c][o] runs along o, as w (3, 3, C, OC) does. The input gradient's
  // u[k][o][c] (channels swapped, kernel rotated) runs along c: w's taps are transposed to
  // (3, 3, OC, C) first, so both read and write with unit stride. Each element is written once:
  // any split over threads gives the same u.
  std::vector<T> wt;
  const T* src = w;
  const int64_t rows = backward ? g.oc : g.c, cols = backward ? g.c : g.oc;
  if (backward) {
    wt.resize(static_cast<size_t>(9 * g.c * g.oc));
    for (int64_t tap = 0; tap < 9; ++tap)
      for (int64_t c = 0; c < g.c; ++c)
        for (int64_t o = 0; o < g.oc; ++o)
          wt[(tap * g.oc + o) * g.c + c] = w[(tap * g.c + c) * g.oc + o];
    src = wt.data();
  }
  parallel_for(rows, std::max<int64_t>(1, kParallelGrain / std::max<int64_t>(1, 36 * cols)),
               [&](int64_t r0, int64_t r1) {
    if (wg.m == 4 && backward) weights_rows<4, true>(src, u, rows, cols, r0, r1);
    else if (wg.m == 4) weights_rows<4, false>(src, u, rows, cols, r0, r1);
    else if (backward) weights_rows<2, true>(src, u, rows, cols, r0, r1);
    else weights_rows<2, false>(src, u, rows, cols, r0, r1);
  });
}

#define PE_WINOGRAD_NHWC_INSTANTIATE(T)                                                        \
  template void winograd_nhwc_weights<T>(const ConvNhwcGeom&, const WinogradNhwcGeom&,        \
                                          const T*, bool, T*);                                 \
  template void winograd_nhwc_conv3x3<T>(const WinogradNhwcGeom&, const T*, const T*,          \
                                         const T*, ConvAct, T*);                               \
  template void winograd_nhwc_conv3x3_backward_weight<T>(const WinogradNhwcGeom&, const T*,    \
                                                         const T*, T*);
PE_WINOGRAD_NHWC_INSTANTIATE(float)
PE_WINOGRAD_NHWC_INSTANTIATE(double)
#undef PE_WINOGRAD_NHWC_INSTANTIATE

}  // namespace pyengine
