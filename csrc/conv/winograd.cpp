// Winograd F(2x2, 3x3): weight transform, when to use it, and dispatch of the tile loop
// (winograd_impl.h) to the active ISA.
#include "conv/winograd.h"

#include <omp.h>

#include "common/isa_dispatch.h"

namespace pyengine {

#define PE_DECLARE_ISA(ns)                                                                     \
  namespace ns {                                                                               \
  template <class T> void winograd_conv3x3(const WinogradGeom&, const T*, const T*, const T*, \
                                           T*);                                                \
  template <class T> void winograd_conv3x3_backward_weight(const WinogradGeom&, const T*,      \
                                                           const T*, T*);                      \
  }
PE_DECLARE_ISA(generic)
PE_DECLARE_ISA(avx2)
PE_DECLARE_ISA(avx512)
#undef PE_DECLARE_ISA

template <class T>
void winograd_conv3x3(const WinogradGeom& g, const T* x, const T* u, const T* b, T* y) {
  PE_DISPATCH(winograd_conv3x3<T>, g, x, u, b, y);
}

template <class T>
void winograd_conv3x3_backward_weight(const WinogradGeom& g, const T* x, const T* dy, T* dw) {
  PE_DISPATCH(winograd_conv3x3_backward_weight<T>, g, x, dy, dw);
}

// When Winograd pays (measured against im2col, float, one thread; docs/conv.md): at least 8
// channels per group on both sides (4 input channels: 0.94-1.04x), at least 16 input channels
// for the input gradient (whose GEMMs have M = input channels; 8 of them: 0.80x), at least 16
// on both sides for the weight gradient (its GEMMs are OC x C, long in K), and at least 128
// output tiles (2x2) in all, one block: with fewer, the weight transform (16 * C * OC values)
// is not amortised and one thread does all the work (4 x 256 x 7 x 7: 0.73x).
bool winograd_fits(const Conv2dGeom& g, bool backward) {
  if (g.kh != 3 || g.kw != 3 || g.sh != 1 || g.sw != 1 || g.dh != 1 || g.dw != 1) return false;
  if (g.n * ((g.oh + 1) / 2) * ((g.ow + 1) / 2) < 128) return false;
  return g.cg() >= (backward ? 16 : 8) && g.ocg() >= 8;
}

bool winograd_fits_weight_grad(const Conv2dGeom& g) {
  return winograd_fits(g, false) && g.cg() >= 16 && g.ocg() >= 16;
}

WinogradGeom winograd_geom(const Conv2dGeom& g, bool backward) {
  if (!backward) return {g.n, g.groups, g.cg(), g.ocg(), g.h, g.w, g.oh, g.ow, g.ph, g.pw};
  // dx = full correlation of dy with the rotated weights: padding 2 - p, output H x W.
  return {g.n, g.groups, g.ocg(), g.cg(), g.oh, g.ow, g.h, g.w, 2 - g.ph, 2 - g.pw};
}

template <class T>
void winograd_weights(const Conv2dGeom& g, const T* w, bool backward, T* u) {
  const int64_t cg = g.cg(), ocg = g.ocg();
  // U[k] for one 3x3 kernel f: G f G^T with G = [1 0 0; 1/2 1/2 1/2; 1/2 -1/2 1/2; 0 0 1].
  // Each kernel's 16 values are its own, so threads may share the kernels (on 2 threads this
  // serial step was ~1.5 % of MNIST conv2's fwd+bwd, run for the forward and the input
  // gradient).
  const int64_t pairs = g.groups * ocg;
  const int nt = omp_in_parallel() ? 1 : omp_get_max_threads();
#pragma omp parallel for num_threads(nt) schedule(static) if (pairs * cg >= 1024)
  for (int64_t pr = 0; pr < pairs; ++pr)
    for (int64_t c = 0; c < cg; ++c) {
      const int64_t grp = pr / ocg, o = pr % ocg;
      const T* src = w + ((grp * ocg + o) * cg + c) * 9;
      T f[3][3];
      for (int i = 0; i < 3; ++i)
        for (int j = 0; j < 3; ++j) f[i][j] = backward ? src[(2 - i) * 3 + (2 - j)] : src[i * 3 + j];
      T t[4][3];  // G f
      for (int j = 0; j < 3; ++j) {
        t[0][j] = f[0][j];
        t[1][j] = (f[0][j] + f[1][j] + f[2][j]) * T(0.5);
        t[2][j] = (f[0][j] - f[1][j] + f[2][j]) * T(0.5);
        t[3][j] = f[2][j];
      }
      // U_k is stored (Winograd input channel) x (Winograd output channel), the GEMM's A
      // transposed: unit stride along the GEMM's M, which packs with plain copies.
      const int64_t wo = backward ? c : o, wi = backward ? o : c, wocount = backward ? cg : ocg;
      T* dst = u + grp * 16 * cg * ocg + wi * wocount + wo;
      for (int i = 0; i < 4; ++i) {
        const T v[4] = {t[i][0], (t[i][0] + t[i][1] + t[i][2]) * T(0.5),
                        (t[i][0] - t[i][1] + t[i][2]) * T(0.5), t[i][2]};
        for (int j = 0; j < 4; ++j) dst[(i * 4 + j) * cg * ocg] = v[j];
      }
    }
}

template void winograd_weights<float>(const Conv2dGeom&, const float*, bool, float*);
template void winograd_weights<double>(const Conv2dGeom&, const double*, bool, double*);
template void winograd_conv3x3<float>(const WinogradGeom&, const float*, const float*,
                                      const float*, float*);
template void winograd_conv3x3<double>(const WinogradGeom&, const double*, const double*,
                                       const double*, double*);
template void winograd_conv3x3_backward_weight<float>(const WinogradGeom&, const float*,
                                                      const float*, float*);
template void winograd_conv3x3_backward_weight<double>(const WinogradGeom&, const double*,
                                                       const double*, double*);

}  // namespace pyengine
