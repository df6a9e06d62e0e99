// Pooling kernels written once and compiled per ISA (pool_<isa>.cpp defines PE_ISA_NS).
// Pooling is memory-bound: a direct loop per plane, with a branch-free interior fast path for
// the common undilated, unpadded window, beats any reformulation (no GEMM, no im2col).
#include <algorithm>
#include <cmath>
#include <cstring>

#include "common/parallel.h"
#include "conv/pool2d.h"

namespace pyengine {
namespace PE_ISA_NS {

namespace {

// Planes per parallel chunk: enough work to amortise a fork.
inline int64_t plane_grain(const Pool2dGeom& g) {
  const int64_t per = std::max<int64_t>(1, g.h * g.w + g.oh * g.ow);
  return std::max<int64_t>(1, kParallelGrain / per);
}

// First and one-past-last dilated tap k of a window starting at `start` that lies in [0, in).
inline void taps(int64_t start, int64_t k, int64_t d, int64_t in, int64_t& k0, int64_t& k1) {
  k0 = start >= 0 ? 0 : (-start + d - 1) / d;
  const int64_t last = in - 1 - start;  // need start + t * d <= in - 1
  k1 = last < 0 ? 0 : std::min(k, last / d + 1);
  if (k1 < k0) k1 = k0;
}

}  // namespace

namespace {

// One output of max pooling through the general window (padding, dilation, clipping).
// PyTorch's rule: take v when v > best or v is NaN, so a NaN always wins (the last one seen).
template <class T>
inline void max_one(const Pool2dGeom& g, const T* xp, int64_t oh, int64_t ow, T& out,
                    int64_t& arg) {
  const int64_t hs = oh * g.sh - g.ph, ws = ow * g.sw - g.pw;
  int64_t i0, i1, j0, j1;
  taps(hs, g.kh, g.dh, g.h, i0, i1);
  taps(ws, g.kw, g.dw, g.w, j0, j1);
  T best = -INFINITY;
  arg = (hs + i0 * g.dh) * g.w + ws + j0 * g.dw;
  for (int64_t i = i0; i < i1; ++i)
    for (int64_t j = j0; j < j1; ++j) {
      const int64_t at = (hs + i * g.dh) * g.w + ws + j * g.dw;
      const T v = xp[at];
      if (v > best || v != v) {
        best = v;
        arg = at;
      }
    }
  out = best;
}

// Interior outputs [ow0, ow1) of row oh, whose windows lie inside the plane: taps in order,
// branch-free selects over a block of columns, which the compiler vectorises. The winning tap is
// kept as an int32 offset (same lane width as float) and turned into the index once at the end.
template <class T, bool kIdx>
inline void max_row_interior(const Pool2dGeom& g, const T* xp, int64_t oh, int64_t ow0,
                             int64_t ow1, T* yr, int64_t* ir) {
  constexpr int64_t kCols = 64;
  const int64_t hs = oh * g.sh - g.ph;
  for (int64_t c0 = ow0; c0 < ow1; c0 += kCols) {
    const int64_t len = std::min(kCols, ow1 - c0);
    T best[kCols];
    int32_t toff[kCols];
    const T* row0 = xp + hs * g.w + c0 * g.sw - g.pw;
    for (int64_t q = 0; q < len; ++q) {
      best[q] = row0[q * g.sw];
      toff[q] = 0;
    }
    for (int64_t i = 0; i < g.kh; ++i)
      for (int64_t j = (i == 0 ? 1 : 0); j < g.kw; ++j) {
        const int32_t off = static_cast<int32_t>(i * g.dh * g.w + j * g.dw);
        const T* src = row0 + off;
        for (int64_t q = 0; q < len; ++q) {
          const T v = src[q * g.sw];
          const bool up = v > best[q] || v != v;
          best[q] = up ? v : best[q];
          toff[q] = up ? off : toff[q];
        }
      }
    for (int64_t q = 0; q < len; ++q) yr[c0 + q] = best[q];
    if (kIdx) {
      const int64_t at0 = hs * g.w + c0 * g.sw - g.pw;
      for (int64_t q = 0; q < len; ++q) ir[c0 + q] = at0 + q * g.sw + toff[q];
    }
  }
}

}  // namespace

template <class T>
void max_pool2d_forward(const Pool2dGeom& g, const T* x, T* y, int64_t* idx) {
  // Output columns whose window lies inside the plane horizontally (same for every row).
  int64_t cw0, cw1;
  taps(-g.pw, g.ow, g.sw, g.w, cw0, cw1);  // ow with ow * sw - pw >= 0 and <= w - 1
  const int64_t span = (g.kw - 1) * g.dw;
  const int64_t last = g.w - 1 - span + g.pw;  // need ow * sw <= last
  cw1 = last < 0 ? cw0 : std::max(cw0, std::min(cw1, last / g.sw + 1));
  const bool small_plane = g.h * g.w < (int64_t{1} << 31);
  parallel_for(g.planes, plane_grain(g), [&](int64_t p0, int64_t p1) {
    for (int64_t p = p0; p < p1; ++p) {
      const T* xp = x + p * g.h * g.w;
      T* yp = y + p * g.oh * g.ow;
      int64_t* ip = idx ? idx + p * g.oh * g.ow : nullptr;
      for (int64_t oh = 0; oh < g.oh; ++oh) {
        const int64_t hs = oh * g.sh - g.ph;
        // (planes of 2^31 elements or more would overflow the int32 tap offsets: general path)
        const bool rows_inside = hs >= 0 && hs + (g.kh - 1) * g.dh <= g.h - 1 && small_plane;
        const int64_t a = rows_inside ? cw0 : g.ow, b = rows_inside ? cw1 : g.ow;
        T* yr = yp + oh * g.ow;
        int64_t* ir = ip ? ip + oh * g.ow : nullptr;
        int64_t arg;
        for (int64_t ow = 0; ow < g.ow; ++ow) {
          if (ow == a && a < b) {
            if (ir) max_row_interior<T, true>(g, xp, oh, a, b, yr, ir);
            else max_row_interior<T, false>(g, xp, oh, a, b, yr, nullptr);
            ow = b - 1;
            continue;
          }
          max_one(g, xp, oh, ow, yr[ow], arg);
          if (ir) ir[ow] = arg;
        }
      }
    }
  });
}

template <class T>
bool max_pool2d_backward(const Pool2dGeom& g, const T* dy, const int64_t* idx, T* dx) {
  const int64_t hw = g.h * g.w, ohw = g.oh * g.ow;
  bool ok = true;
  parallel_for(g.planes, plane_grain(g), [&](int64_t p0, int64_t p1) {
    bool good = true;
    for (int64_t p = p0; p < p1; ++p) {
      T* dxp = dx + p * hw;
      std::memset(dxp, 0, sizeof(T) * hw);
      const T* dyp = dy + p * ohw;
      const int64_t* ip = idx + p * ohw;
      for (int64_t o = 0; o < ohw; ++o) {
        const int64_t at = ip[o];
        if (at < 0 || at >= hw) {
          good = false;
          continue;
        }
        dxp[at] += dyp[o];
      }
    }
    if (!good) {
#pragma omp atomic write
      ok = false;
    }
  });
  return ok;
}

namespace {

// The window of output (oh, ow) in PyTorch's avg_pool2d: clipped bounds and the divisor.
struct AvgWindow {
  int64_t h0, h1, w0, w1;
  int64_t div;
};

inline AvgWindow avg_window(const Pool2dGeom& g, int64_t oh, int64_t ow, bool include_pad,
                            int64_t divisor) {
  AvgWindow a;
  int64_t hs = oh * g.sh - g.ph, ws = ow * g.sw - g.pw;
  int64_t he = std::min(hs + g.kh, g.h + g.ph), we = std::min(ws + g.kw, g.w + g.pw);
  const int64_t pool = (he - hs) * (we - ws);
  a.h0 = std::max<int64_t>(hs, 0);
  a.w0 = std::max<int64_t>(ws, 0);
  a.h1 = std::min(he, g.h);
  a.w1 = std::min(we, g.w);
  a.div = divisor ? divisor : (include_pad ? pool : (a.h1 - a.h0) * (a.w1 - a.w0));
  return a;
}

}  // namespace

template <class T>
void avg_pool2d_forward(const Pool2dGeom& g, const T* x, T* y, bool include_pad,
                        int64_t divisor) {
  parallel_for(g.planes, plane_grain(g), [&](int64_t p0, int64_t p1) {
    for (int64_t p = p0; p < p1; ++p) {
      const T* xp = x + p * g.h * g.w;
      T* yp = y + p * g.oh * g.ow;
      for (int64_t oh = 0; oh < g.oh; ++oh)
        for (int64_t ow = 0; ow < g.ow; ++ow) {
          const AvgWindow a = avg_window(g, oh, ow, include_pad, divisor);
          if (a.h0 >= a.h1 || a.w0 >= a.w1) {
            yp[oh * g.ow + ow] = T(0);
            continue;
          }
          T s = T(0);
          for (int64_t i = a.h0; i < a.h1; ++i)
            for (int64_t j = a.w0; j < a.w1; ++j) s += xp[i * g.w + j];
          yp[oh * g.ow + ow] = s / static_cast<T>(a.div);
        }
    }
  });
}

template <class T>
void avg_pool2d_backward(const Pool2dGeom& g, const T* dy, T* dx, bool include_pad,
                         int64_t divisor) {
  parallel_for(g.planes, plane_grain(g), [&](int64_t p0, int64_t p1) {
    for (int64_t p = p0; p < p1; ++p) {
      T* dxp = dx + p * g.h * g.w;
      const T* dyp = dy + p * g.oh * g.ow;
      std::memset(dxp, 0, sizeof(T) * g.h * g.w);
      for (int64_t oh = 0; oh < g.oh; ++oh)
        for (int64_t ow = 0; ow < g.ow; ++ow) {
          const AvgWindow a = avg_window(g, oh, ow, include_pad, divisor);
          if (a.h0 >= a.h1 || a.w0 >= a.w1) continue;
          const T v = dyp[oh * g.ow + ow] / static_cast<T>(a.div);
          for (int64_t i = a.h0; i < a.h1; ++i)
            for (int64_t j = a.w0; j < a.w1; ++j) dxp[i * g.w + j] += v;
        }
    }
  });
}

template <class T>
void adaptive_avg_pool2d_forward(const Pool2dGeom& g, const T* x, T* y) {
  parallel_for(g.planes, plane_grain(g), [&](int64_t p0, int64_t p1) {
    for (int64_t p = p0; p < p1; ++p) {
      const T* xp = x + p * g.h * g.w;
      T* yp = y + p * g.oh * g.ow;
      for (int64_t oh = 0; oh < g.oh; ++oh) {
        const int64_t h0 = oh * g.h / g.oh, h1 = ((oh + 1) * g.h + g.oh - 1) / g.oh;
        for (int64_t ow = 0; ow < g.ow; ++ow) {
          const int64_t w0 = ow * g.w / g.ow, w1 = ((ow + 1) * g.w + g.ow - 1) / g.ow;
          T s = T(0);
          for (int64_t i = h0; i < h1; ++i)
            for (int64_t j = w0; j < w1; ++j) s += xp[i * g.w + j];
          yp[oh * g.ow + ow] = s / static_cast<T>((h1 - h0) * (w1 - w0));
        }
      }
    }
  });
}

template <class T>
void adaptive_avg_pool2d_backward(const Pool2dGeom& g, const T* dy, T* dx) {
  parallel_for(g.planes, plane_grain(g), [&](int64_t p0, int64_t p1) {
    for (int64_t p = p0; p < p1; ++p) {
      T* dxp = dx + p * g.h * g.w;
      const T* dyp = dy + p * g.oh * g.ow;
      std::memset(dxp, 0, sizeof(T) * g.h * g.w);
      for (int64_t oh = 0; oh < g.oh; ++oh) {
        const int64_t h0 = oh * g.h / g.oh, h1 = ((oh + 1) * g.h + g.oh - 1) / g.oh;
        for (int64_t ow = 0; ow < g.ow; ++ow) {
          const int64_t w0 = ow * g.w / g.ow, w1 = ((ow + 1) * g.w + g.ow - 1) / g.ow;
          const T v = dyp[oh * g.ow + ow] / static_cast<T>((h1 - h0) * (w1 - w0));
          for (int64_t i = h0; i < h1; ++i)
            for (int64_t j = w0; j < w1; ++j) dxp[i * g.w + j] += v;
        }
      }
    }
  });
}

PE_POOL_INSTANTIATE(float)
PE_POOL_INSTANTIATE(double)

}  // namespace PE_ISA_NS
}  // namespace pyengine
