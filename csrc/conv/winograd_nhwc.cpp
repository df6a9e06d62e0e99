// Channels-last Winograd F(2x2, 3x3) and F(4x4, 3x3) (winograd_nhwc.h): when to use which, the
// weight transform, and dispatch of the tile loop (winograd_nhwc_impl.h, compiled into winograd_<isa>.cpp).
#include "conv/winograd_nhwc.h"

#include <algorithm>

#include "common/isa_dispatch.h"
#include "common/parallel.h"

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

// G f for the 3 taps f of one kernel row or column: M + 2 values.
template <int M, class T>
inline void g_times(const T* f, T* r) {
  if (M == 2) {  // G = [1 0 0; 1/2 1/2 1/2; 1/2 -1/2 1/2; 0 0 1]
    r[0] = f[0];
    r[1] = (f[0] + f[1] + f[2]) * T(0.5);
    r[2] = (f[0] - f[1] + f[2]) * T(0.5);
    r[3] = f[2];
    return;
  }
  // G = [1/4 0 0; -1/6 -1/6 -1/6; -1/6 1/6 -1/6; 1/24 1/12 1/6; 1/24 -1/12 1/6; 0 0 1]
  const T a = f[0] + f[2], b = f[0] * T(0.25) + f[2], sixth = T(1) / T(6);
  r[0] = f[0] * T(0.25);
  r[1] = -(a + f[1]) * sixth;
  r[2] = -(a - f[1]) * sixth;
  r[3] = (b + f[1] * T(0.5)) * sixth;
  r[4] = (b - f[1] * T(0.5)) * sixth;
  r[5] = f[2];
}

// u for input channels [c0, c1): the inner loop runs along the unit-stride axis of u (o for
// the forward, c for the input gradient's u[k][o][c]) so that it vectorises.
template <int M, bool BACKWARD, class T>
void weights_range(const ConvNhwcGeom& g, const T* w, T* u, int64_t c0, int64_t c1) {
  constexpr int TT = M + 2;
  const int64_t C = g.c, OC = g.oc, pairs = C * OC;
  auto one = [&](int64_t c, int64_t o) {
    T f[3][3];
    for (int i = 0; i < 3; ++i)
      for (int j = 0; j < 3; ++j)
        f[i][j] = BACKWARD ? w[((2 - i) * 3 + (2 - j)) * pairs + c * OC + o]
                           : w[(i * 3 + j) * pairs + c * OC + o];
    T t[TT][3];  // G f, column by column
    for (int j = 0; j < 3; ++j) {
      const T col[3] = {f[0][j], f[1][j], f[2][j]};
      T r[TT];
      g_times<M>(col, r);
      for (int i = 0; i < TT; ++i) t[i][j] = r[i];
    }
    // Forward: u[k][c][o]; input gradient (channels swapped): u[k][o][c].
    T* dst = u + (BACKWARD ? o * C + c : c * OC + o);
    for (int i = 0; i < TT; ++i) {  // (G f) G^T, row by row
      T v[TT];
      g_times<M>(t[i], v);
      for (int j = 0; j < TT; ++j) dst[(i * TT + j) * pairs] = v[j];
    }
  };
  if (BACKWARD) {
    for (int64_t o = 0; o < OC; ++o)
      for (int64_t c = c0; c < c1; ++c) one(c, o);
  } else {
    for (int64_t c = c0; c < c1; ++c)
      for (int64_t o = 0; o < OC; ++o) one(c, o);
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
  // Each (c, o) pair is written once: any split over threads gives the same u.
  parallel_for(g.c, std::max<int64_t>(1, kParallelGrain / std::max<int64_t>(1, 36 * g.oc)),
               [&](int64_t c0, int64_t c1) {
    if (wg.m == 4 && backward) weights_range<4, true>(g, w, u, c0, c1);
    else if (wg.m == 4) weights_range<4, false>(g, w, u, c0, c1);
    else if (backward) weights_range<2, true>(g, w, u, c0, c1);
    else weights_range<2, false>(g, w, u, c0, c1);
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
