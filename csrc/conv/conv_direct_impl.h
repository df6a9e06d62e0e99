// Direct convolution written once as plain loops and compiled per ISA: conv_direct_<isa>.cpp
// defines PE_ISA_NS and includes this file; CMake gives the TU the matching -m flags.
//
// Scheme: each group's input planes are copied into a zero-padded scratch plane, so the inner
// loops have no bounds tests. With stride 1 the output is computed "wide": as if it were PW (the
// padded width) columns wide, so a kernel tap is ONE contiguous loop over the whole plane
// (OH * PW elements) instead of OH short rows (a 26-wide row is 1 vector + a scalar tail); the
// extra PW - OW columns are junk and are cropped. Strided convolutions use the row loops.
// (Measured on par with the row loops for the MNIST and depthwise layers, which are
// memory-bound; the wide form has no scalar tails for any width.) Threads own (image, group) pairs (forward, input gradient) or output
// channels (weight gradient): no reduction is ever split across threads.
#include <omp.h>

#include <cstdlib>
#include <cstring>

#include "conv/conv2d.h"

namespace pyengine {
namespace PE_ISA_NS {

namespace {

// Per-thread scratch without std containers (per-ISA TU: keep every instantiation local).
template <class T>
struct Scratch {
  T* p;
  explicit Scratch(int64_t n) : p(static_cast<T*>(std::malloc(sizeof(T) * (n > 0 ? n : 1)))) {}
  ~Scratch() { std::free(p); }
  Scratch(const Scratch&) = delete;
  Scratch& operator=(const Scratch&) = delete;
};

// Copies `planes` planes of (h, w) into (h + 2 ph, w + 2 pw) planes with a zero border.
template <class T>
void pad_planes(const T* src, T* dst, int64_t planes, int64_t h, int64_t w, int64_t ph,
                int64_t pw) {
  const int64_t PH = h + 2 * ph, PW = w + 2 * pw;
  std::memset(dst, 0, sizeof(T) * planes * PH * PW);
  for (int64_t c = 0; c < planes; ++c)
    for (int64_t i = 0; i < h; ++i)
      std::memcpy(dst + (c * PH + i + ph) * PW + pw, src + (c * h + i) * w, sizeof(T) * w);
}

// The inverse: the interior (h, w) of `planes` padded planes, copied out to dst.
template <class T>
void crop_planes(const T* src, T* dst, int64_t planes, int64_t h, int64_t w, int64_t ph,
                 int64_t pw) {
  const int64_t PH = h + 2 * ph, PW = w + 2 * pw;
  for (int64_t c = 0; c < planes; ++c)
    for (int64_t i = 0; i < h; ++i)
      std::memcpy(dst + (c * h + i) * w, src + (c * PH + i + ph) * PW + pw, sizeof(T) * w);
}

inline int threads_for(int64_t tasks) {
  if (omp_in_parallel()) return 1;
  const int64_t nt = omp_get_max_threads();
  return static_cast<int>(tasks < nt ? (tasks > 0 ? tasks : 1) : nt);
}

bool wide_ok(const Conv2dGeom& g) { return g.sh == 1 && g.sw == 1; }

// Zeros past the padded planes that the wide loops may read (last plane's junk columns, and
// the weight gradient's round-up to a whole vector block).
constexpr int64_t kBlk = 16;
inline int64_t wide_slack(const Conv2dGeom& g) { return (g.kw - 1) * g.dw + 2 * kBlk; }

}  // namespace

template <class T>
void direct_forward_wide(const Conv2dGeom& g, const T* x, const T* w, const T* b, T* y) {
  const int64_t cg = g.cg(), ocg = g.ocg(), PH = g.h + 2 * g.ph, PW = g.w + 2 * g.pw;
  const int64_t OHW = g.oh * g.ow, tasks = g.n * g.groups, KK = g.kh * g.kw, LW = g.oh * PW;
  const int64_t padn = cg * PH * PW, slack = wide_slack(g);
#pragma omp parallel num_threads(threads_for(tasks))
  {
    Scratch<T> pad(padn + slack);
    Scratch<T> wide(LW);
    for (int64_t q = padn; q < padn + slack; ++q) pad.p[q] = T(0);
#pragma omp for schedule(static)
    for (int64_t t = 0; t < tasks; ++t) {
      const int64_t n = t / g.groups, grp = t % g.groups;
      pad_planes(x + (n * g.c + grp * cg) * g.h * g.w, pad.p, cg, g.h, g.w, g.ph, g.pw);
      for (int64_t o = grp * ocg; o < (grp + 1) * ocg; ++o) {
        const T* wo = w + o * cg * KK;
        const T bias = b ? b[o] : T(0);
        T* wd = wide.p;
        for (int64_t q = 0; q < LW; ++q) wd[q] = bias;
        for (int64_t c = 0; c < cg; ++c)
          for (int64_t i = 0; i < g.kh; ++i)
            for (int64_t j = 0; j < g.kw; ++j) {
              const T wv = wo[(c * g.kh + i) * g.kw + j];
              const T* src = pad.p + c * PH * PW + i * g.dh * PW + j * g.dw;
#pragma omp simd
              for (int64_t q = 0; q < LW; ++q) wd[q] += wv * src[q];
            }
        T* yp = y + (n * g.oc + o) * OHW;
        for (int64_t oh = 0; oh < g.oh; ++oh)
          std::memcpy(yp + oh * g.ow, wd + oh * PW, sizeof(T) * g.ow);
      }
    }
  }
}

template <class T>
void conv2d_direct_forward(const Conv2dGeom& g, const T* x, const T* w, const T* b, T* y) {
  if (wide_ok(g)) return direct_forward_wide(g, x, w, b, y);
  const int64_t cg = g.cg(), ocg = g.ocg(), PH = g.h + 2 * g.ph, PW = g.w + 2 * g.pw;
  const int64_t OHW = g.oh * g.ow, tasks = g.n * g.groups, KK = g.kh * g.kw;
#pragma omp parallel num_threads(threads_for(tasks))
  {
    Scratch<T> pad(cg * PH * PW);
#pragma omp for schedule(static)
    for (int64_t t = 0; t < tasks; ++t) {
      const int64_t n = t / g.groups, grp = t % g.groups;
      pad_planes(x + (n * g.c + grp * cg) * g.h * g.w, pad.p, cg, g.h, g.w, g.ph, g.pw);
      for (int64_t o = grp * ocg; o < (grp + 1) * ocg; ++o) {
        T* yp = y + (n * g.oc + o) * OHW;
        const T* wo = w + o * cg * KK;
        const T bias = b ? b[o] : T(0);
        for (int64_t oh = 0; oh < g.oh; ++oh) {
          T* dst = yp + oh * g.ow;
          for (int64_t ow = 0; ow < g.ow; ++ow) dst[ow] = bias;
          for (int64_t c = 0; c < cg; ++c)
            for (int64_t i = 0; i < g.kh; ++i) {
              const T* row = pad.p + (c * PH + oh * g.sh + i * g.dh) * PW;
              for (int64_t j = 0; j < g.kw; ++j) {
                const T wv = wo[(c * g.kh + i) * g.kw + j];
                const T* src = row + j * g.dw;
                if (g.sw == 1) {
#pragma omp simd
                  for (int64_t ow = 0; ow < g.ow; ++ow) dst[ow] += wv * src[ow];
                } else {
                  for (int64_t ow = 0; ow < g.ow; ++ow) dst[ow] += wv * src[ow * g.sw];
                }
              }
            }
        }
      }
    }
  }
}

// dy widened to PW columns (zeros in the junk columns), so the wide loops add exact zeros there.
template <class T>
void widen(const Conv2dGeom& g, const T* plane, T* wide, int64_t PW, int64_t len) {
  for (int64_t q = 0; q < len; ++q) wide[q] = T(0);
  for (int64_t oh = 0; oh < g.oh; ++oh)
    std::memcpy(wide + oh * PW, plane + oh * g.ow, sizeof(T) * g.ow);
}

template <class T>
void direct_backward_input_wide(const Conv2dGeom& g, const T* dy, const T* w, T* dx) {
  const int64_t cg = g.cg(), ocg = g.ocg(), PH = g.h + 2 * g.ph, PW = g.w + 2 * g.pw;
  const int64_t OHW = g.oh * g.ow, tasks = g.n * g.groups, KK = g.kh * g.kw, LW = g.oh * PW;
  const int64_t padn = cg * PH * PW, slack = wide_slack(g);
#pragma omp parallel num_threads(threads_for(tasks))
  {
    Scratch<T> pad(padn + slack);
    Scratch<T> wide(LW);
#pragma omp for schedule(static)
    for (int64_t t = 0; t < tasks; ++t) {
      const int64_t n = t / g.groups, grp = t % g.groups;
      std::memset(pad.p, 0, sizeof(T) * (padn + slack));
      for (int64_t o = grp * ocg; o < (grp + 1) * ocg; ++o) {
        widen(g, dy + (n * g.oc + o) * OHW, wide.p, PW, LW);
        const T* wd = wide.p;
        const T* wo = w + o * cg * KK;
        for (int64_t c = 0; c < cg; ++c)
          for (int64_t i = 0; i < g.kh; ++i)
            for (int64_t j = 0; j < g.kw; ++j) {
              const T wv = wo[(c * g.kh + i) * g.kw + j];
              T* dst = pad.p + c * PH * PW + i * g.dh * PW + j * g.dw;
#pragma omp simd
              for (int64_t q = 0; q < LW; ++q) dst[q] += wv * wd[q];
            }
      }
      crop_planes(pad.p, dx + (n * g.c + grp * cg) * g.h * g.w, cg, g.h, g.w, g.ph, g.pw);
    }
  }
}

template <class T>
void conv2d_direct_backward_input(const Conv2dGeom& g, const T* dy, const T* w, T* dx) {
  if (wide_ok(g)) return direct_backward_input_wide(g, dy, w, dx);
  const int64_t cg = g.cg(), ocg = g.ocg(), PH = g.h + 2 * g.ph, PW = g.w + 2 * g.pw;
  const int64_t OHW = g.oh * g.ow, tasks = g.n * g.groups, KK = g.kh * g.kw;
#pragma omp parallel num_threads(threads_for(tasks))
  {
    Scratch<T> pad(cg * PH * PW);
#pragma omp for schedule(static)
    for (int64_t t = 0; t < tasks; ++t) {
      const int64_t n = t / g.groups, grp = t % g.groups;
      std::memset(pad.p, 0, sizeof(T) * cg * PH * PW);
      for (int64_t o = grp * ocg; o < (grp + 1) * ocg; ++o) {
        const T* dyp = dy + (n * g.oc + o) * OHW;
        const T* wo = w + o * cg * KK;
        for (int64_t oh = 0; oh < g.oh; ++oh) {
          const T* src = dyp + oh * g.ow;
          for (int64_t c = 0; c < cg; ++c)
            for (int64_t i = 0; i < g.kh; ++i) {
              T* row = pad.p + (c * PH + oh * g.sh + i * g.dh) * PW;
              for (int64_t j = 0; j < g.kw; ++j) {
                const T wv = wo[(c * g.kh + i) * g.kw + j];
                T* dst = row + j * g.dw;
                if (g.sw == 1) {
#pragma omp simd
                  for (int64_t ow = 0; ow < g.ow; ++ow) dst[ow] += wv * src[ow];
                } else {
                  for (int64_t ow = 0; ow < g.ow; ++ow) dst[ow * g.sw] += wv * src[ow];
                }
              }
            }
        }
      }
      crop_planes(pad.p, dx + (n * g.c + grp * cg) * g.h * g.w, cg, g.h, g.w, g.ph, g.pw);
    }
  }
}

// Stride 1: each tap is a dot product of the widened dy plane with the shifted padded input,
// summed in kBlk lanes and then across the lanes in a fixed order, once per image.
template <class T>
void direct_backward_weight_wide(const Conv2dGeom& g, const T* x, const T* dy, T* dw) {
  const int64_t cg = g.cg(), ocg = g.ocg(), PH = g.h + 2 * g.ph, PW = g.w + 2 * g.pw;
  const int64_t OHW = g.oh * g.ow, KK = g.kh * g.kw;
  const int64_t LW = (g.oh * PW + kBlk - 1) / kBlk * kBlk, slack = wide_slack(g);
  const int nt = threads_for(g.oc);
#pragma omp parallel num_threads(nt)
  {
    const int t = omp_get_thread_num(), nth = omp_get_num_threads();
    const int64_t o0 = g.oc * t / nth, o1 = g.oc * (t + 1) / nth;
    Scratch<T> pad(PH * PW + slack);
    Scratch<T> wide(LW);
    Scratch<T> acc((o1 - o0) * cg * KK);
    for (int64_t q = 0; q < PH * PW + slack; ++q) pad.p[q] = T(0);
    for (int64_t q = 0; q < (o1 - o0) * cg * KK; ++q) acc.p[q] = T(0);
    for (int64_t n = 0; n < g.n; ++n) {
      int64_t padded = -1;  // input channel now in `pad`
      for (int64_t o = o0; o < o1; ++o) {
        widen(g, dy + (n * g.oc + o) * OHW, wide.p, PW, LW);
        const T* wd = wide.p;
        for (int64_t c = 0; c < cg; ++c) {
          const int64_t ch = (o / ocg) * cg + c;
          if (ch != padded) {
            pad_planes(x + (n * g.c + ch) * g.h * g.w, pad.p, 1, g.h, g.w, g.ph, g.pw);
            padded = ch;
          }
          T* ac = acc.p + ((o - o0) * cg + c) * KK;
          for (int64_t i = 0; i < g.kh; ++i)
            for (int64_t j = 0; j < g.kw; ++j) {
              const T* src = pad.p + i * g.dh * PW + j * g.dw;
              T lanes[kBlk] = {};
              for (int64_t q0 = 0; q0 < LW; q0 += kBlk)
#pragma omp simd
                for (int64_t q = 0; q < kBlk; ++q) lanes[q] += wd[q0 + q] * src[q0 + q];
              T s = T(0);
              for (int64_t q = 0; q < kBlk; ++q) s += lanes[q];
              ac[i * g.kw + j] += s;
            }
        }
      }
    }
    for (int64_t o = o0; o < o1; ++o)
      for (int64_t q = 0; q < cg * KK; ++q) dw[o * cg * KK + q] = acc.p[(o - o0) * cg * KK + q];
  }
}

template <class T>
void conv2d_direct_backward_weight(const Conv2dGeom& g, const T* x, const T* dy, T* dw) {
  if (wide_ok(g)) return direct_backward_weight_wide(g, x, dy, dw);
  const int64_t cg = g.cg(), ocg = g.ocg(), PH = g.h + 2 * g.ph, PW = g.w + 2 * g.pw;
  const int64_t OHW = g.oh * g.ow, KK = g.kh * g.kw;
  const int64_t OWp = (g.ow + 15) / 16 * 16;  // accumulator rows padded to a vector multiple
  // Each thread owns a contiguous range of output channels. For each tap it keeps a whole row of
  // partial sums (one per output column) and adds dy * x over n and oh with plain vector FMAs;
  // the row is summed once at the end. Per channel the order is fixed (n, oh, then ow), so the
  // result is independent of how channels are split over threads.
  const int nt = threads_for(g.oc);
#pragma omp parallel num_threads(nt)
  {
    const int t = omp_get_thread_num(), nth = omp_get_num_threads();
    const int64_t o0 = g.oc * t / nth, o1 = g.oc * (t + 1) / nth;
    Scratch<T> pad(PH * PW);
    Scratch<T> acc((o1 - o0) * cg * KK * OWp);
    for (int64_t q = 0; q < (o1 - o0) * cg * KK * OWp; ++q) acc.p[q] = T(0);
    for (int64_t n = 0; n < g.n; ++n) {
      int64_t padded = -1;  // input channel now in `pad`
      for (int64_t o = o0; o < o1; ++o) {
        const T* dyp = dy + (n * g.oc + o) * OHW;
        for (int64_t c = 0; c < cg; ++c) {
          const int64_t ch = (o / ocg) * cg + c;
          if (ch != padded) {
            pad_planes(x + (n * g.c + ch) * g.h * g.w, pad.p, 1, g.h, g.w, g.ph, g.pw);
            padded = ch;
          }
          T* ac = acc.p + ((o - o0) * cg + c) * KK * OWp;
          for (int64_t oh = 0; oh < g.oh; ++oh) {
            const T* d = dyp + oh * g.ow;
            for (int64_t i = 0; i < g.kh; ++i)
              for (int64_t j = 0; j < g.kw; ++j) {
                const T* src = pad.p + (oh * g.sh + i * g.dh) * PW + j * g.dw;
                T* a = ac + (i * g.kw + j) * OWp;
                if (g.sw == 1) {
#pragma omp simd
                  for (int64_t ow = 0; ow < g.ow; ++ow) a[ow] += d[ow] * src[ow];
                } else {
                  for (int64_t ow = 0; ow < g.ow; ++ow) a[ow] += d[ow] * src[ow * g.sw];
                }
              }
          }
        }
      }
    }
    for (int64_t o = o0; o < o1; ++o)
      for (int64_t q = 0; q < cg * KK; ++q) {
        const T* a = acc.p + ((o - o0) * cg * KK + q) * OWp;
        T s = T(0);
        for (int64_t ow = 0; ow < g.ow; ++ow) s += a[ow];
        dw[o * cg * KK + q] = s;
      }
  }
}

template void conv2d_direct_forward<float>(const Conv2dGeom&, const float*, const float*,
                                           const float*, float*);
template void conv2d_direct_forward<double>(const Conv2dGeom&, const double*, const double*,
                                            const double*, double*);
template void conv2d_direct_backward_input<float>(const Conv2dGeom&, const float*, const float*,
                                                  float*);
template void conv2d_direct_backward_input<double>(const Conv2dGeom&, const double*,
                                                   const double*, double*);
template void conv2d_direct_backward_weight<float>(const Conv2dGeom&, const float*, const float*,
                                                   float*);
template void conv2d_direct_backward_weight<double>(const Conv2dGeom&, const double*,
                                                    const double*, double*);

}  // namespace PE_ISA_NS
}  // namespace pyengine
