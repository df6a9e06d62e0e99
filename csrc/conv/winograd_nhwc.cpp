// Channels-last Winograd F(2x2, 3x3) (winograd_nhwc.h): when to use it, the weight transform,
// and dispatch of the tile loop (winograd_nhwc_impl.h, compiled into winograd_<isa>.cpp).
#include "conv/winograd_nhwc.h"

#include "common/isa_dispatch.h"

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

WinogradNhwcGeom winograd_nhwc_geom(const ConvNhwcGeom& g, bool backward) {
  if (!backward) return {g.n, g.c, g.oc, g.h, g.w, g.oh, g.ow, g.pt, g.pl};
  // dx = full correlation of dy with the rotated weights: padding 2 - p, output H x W.
  return {g.n, g.oc, g.c, g.oh, g.ow, g.h, g.w, 2 - g.pt, 2 - g.pl};
}

template <class T>
void winograd_nhwc_weights(const ConvNhwcGeom& g, const T* w, bool backward, T* u) {
  const int64_t C = g.c, OC = g.oc, pairs = C * OC;
  for (int64_t c = 0; c < C; ++c)
    for (int64_t o = 0; o < OC; ++o) {
      T f[3][3];
      for (int i = 0; i < 3; ++i)
        for (int j = 0; j < 3; ++j)
          f[i][j] = backward ? w[((2 - i) * 3 + (2 - j)) * pairs + c * OC + o]
                             : w[(i * 3 + j) * pairs + c * OC + o];
      T t[4][3];  // G f, G = [1 0 0; 1/2 1/2 1/2; 1/2 -1/2 1/2; 0 0 1]
      for (int j = 0; j < 3; ++j) {
        t[0][j] = f[0][j];
        t[1][j] = (f[0][j] + f[1][j] + f[2][j]) * T(0.5);
        t[2][j] = (f[0][j] - f[1][j] + f[2][j]) * T(0.5);
        t[3][j] = f[2][j];
      }
      // Forward: u[k][c][o]; input gradient (channels swapped): u[k][o][c].
      T* dst = u + (backward ? o * C + c : c * OC + o);
      for (int i = 0; i < 4; ++i) {
        const T v[4] = {t[i][0], (t[i][0] + t[i][1] + t[i][2]) * T(0.5),
                        (t[i][0] - t[i][1] + t[i][2]) * T(0.5), t[i][2]};
        for (int j = 0; j < 4; ++j) dst[(i * 4 + j) * pairs] = v[j];
      }
    }
}

#define PE_WINOGRAD_NHWC_INSTANTIATE(T)                                                        \
  template void winograd_nhwc_weights<T>(const ConvNhwcGeom&, const T*, bool, T*);             \
  template void winograd_nhwc_conv3x3<T>(const WinogradNhwcGeom&, const T*, const T*,          \
                                         const T*, ConvAct, T*);                               \
  template void winograd_nhwc_conv3x3_backward_weight<T>(const WinogradNhwcGeom&, const T*,    \
                                                         const T*, T*);
PE_WINOGRAD_NHWC_INSTANTIATE(float)
PE_WINOGRAD_NHWC_INSTANTIATE(double)
#undef PE_WINOGRAD_NHWC_INSTANTIATE

}  // namespace pyengine
