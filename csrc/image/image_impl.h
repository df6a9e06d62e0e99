// Resize and projective-warp kernels, written once and compiled per ISA (image_<isa>.cpp defines
// PE_ISA_NS). Both are gathers: per output row the source rows, columns and weights are computed
// once, then the inner loop over (columns x channels) is a contiguous blend the compiler
// vectorises for NHWC. The backward passes are the matching scatters, one plane per thread.
#include <algorithm>
#include <cmath>
#include <cstring>
#include <vector>

#include "common/parallel.h"
#include "image/image.h"

namespace pyengine {
namespace PE_ISA_NS {

namespace image_detail {

// Source taps of one output index: value = (1 - l) * in[i0] + l * in[i1].
struct Tap {
  int64_t i0, i1;
  double l;
};

std::vector<Tap> axis_taps(int64_t in, int64_t out, double scale, ResizeMode mode) {
  std::vector<Tap> taps(static_cast<size_t>(out));
  for (int64_t o = 0; o < out; ++o) {
    Tap t{0, 0, 0.0};
    switch (mode) {
      case ResizeMode::nearest:
        t.i0 = t.i1 = std::min<int64_t>(static_cast<int64_t>(std::floor(o * scale)), in - 1);
        break;
      case ResizeMode::nearest_exact:
        t.i0 = t.i1 = std::min<int64_t>(static_cast<int64_t>(std::floor((o + 0.5) * scale)), in - 1);
        break;
      case ResizeMode::bilinear:
      case ResizeMode::bilinear_align: {
        double src = mode == ResizeMode::bilinear_align
                         ? (out > 1 ? o * double(in - 1) / double(out - 1) : 0.0)
                         : std::max(0.0, (o + 0.5) * scale - 0.5);
        int64_t i0 = std::min<int64_t>(static_cast<int64_t>(std::floor(src)), in - 1);
        t.i0 = i0;
        t.i1 = std::min<int64_t>(i0 + 1, in - 1);
        t.l = src - double(i0);
        if (t.i1 == t.i0) t.l = 0.0;
        break;
      }
    }
    taps[static_cast<size_t>(o)] = t;
  }
  return taps;
}

inline int64_t plane_grain(int64_t per_plane) {
  return std::max<int64_t>(1, kParallelGrain / std::max<int64_t>(1, per_plane));
}

}  // namespace image_detail
using namespace image_detail;

template <class T>
void resize_forward(const ResizeGeom& g, const T* x, T* y) {
  const auto th = axis_taps(g.h, g.oh, g.scale_h, g.mode);
  const auto tw = axis_taps(g.w, g.ow, g.scale_w, g.mode);
  const int64_t c = g.c, in_plane = g.h * g.w * c, out_plane = g.oh * g.ow * c;
  parallel_for(g.planes, plane_grain(out_plane), [&](int64_t p0, int64_t p1) {
    for (int64_t p = p0; p < p1; ++p) {
      const T* xp = x + p * in_plane;
      T* yp = y + p * out_plane;
      for (int64_t i = 0; i < g.oh; ++i) {
        const Tap& a = th[static_cast<size_t>(i)];
        const T* r0 = xp + a.i0 * g.w * c;
        const T* r1 = xp + a.i1 * g.w * c;
        const T ly = static_cast<T>(a.l), ky = static_cast<T>(1.0 - a.l);
        T* yr = yp + i * g.ow * c;
        for (int64_t j = 0; j < g.ow; ++j) {
          const Tap& b = tw[static_cast<size_t>(j)];
          const T lx = static_cast<T>(b.l), kx = static_cast<T>(1.0 - b.l);
          const T *p00 = r0 + b.i0 * c, *p01 = r0 + b.i1 * c, *p10 = r1 + b.i0 * c,
                  *p11 = r1 + b.i1 * c;
          T* out = yr + j * c;
          for (int64_t k = 0; k < c; ++k)
            out[k] = ky * (kx * p00[k] + lx * p01[k]) + ly * (kx * p10[k] + lx * p11[k]);
        }
      }
    }
  });
}

template <class T>
void resize_backward(const ResizeGeom& g, const T* dy, T* dx) {
  const auto th = axis_taps(g.h, g.oh, g.scale_h, g.mode);
  const auto tw = axis_taps(g.w, g.ow, g.scale_w, g.mode);
  const int64_t c = g.c, in_plane = g.h * g.w * c, out_plane = g.oh * g.ow * c;
  parallel_for(g.planes, plane_grain(out_plane), [&](int64_t p0, int64_t p1) {
    for (int64_t p = p0; p < p1; ++p) {
      T* xp = dx + p * in_plane;
      std::memset(xp, 0, sizeof(T) * static_cast<size_t>(in_plane));
      const T* yp = dy + p * out_plane;
      for (int64_t i = 0; i < g.oh; ++i) {
        const Tap& a = th[static_cast<size_t>(i)];
        T* r0 = xp + a.i0 * g.w * c;
        T* r1 = xp + a.i1 * g.w * c;
        const T ly = static_cast<T>(a.l), ky = static_cast<T>(1.0 - a.l);
        const T* yr = yp + i * g.ow * c;
        for (int64_t j = 0; j < g.ow; ++j) {
          const Tap& b = tw[static_cast<size_t>(j)];
          const T lx = static_cast<T>(b.l), kx = static_cast<T>(1.0 - b.l);
          const T* gin = yr + j * c;
          // Sequential adds in a fixed order: taps that coincide (edges) accumulate exactly.
          for (int64_t k = 0; k < c; ++k) {
            const T v = gin[k];
            r0[b.i0 * c + k] += ky * kx * v;
            r0[b.i1 * c + k] += ky * lx * v;
            r1[b.i0 * c + k] += ly * kx * v;
            r1[b.i1 * c + k] += ly * lx * v;
          }
        }
      }
    }
  });
}

namespace image_detail {

// TF's map_coord: fold a continuous coordinate into [0, len - 1] by the fill mode (constant leaves
// it alone; its out-of-range taps read the fill value). Whole periods are counted with trunc, not
// an int64 cast, which is undefined past 2**63 (a transform mapping to 1e30).
inline double map_coord(double v, int64_t len, FillMode mode) {
  const double n = double(len);
  switch (mode) {
    case FillMode::reflect:
      if (v < 0) {
        if (len <= 1) return 0;
        const double sz2 = 2 * n;
        if (v < -sz2) v = sz2 * std::trunc(-v / sz2) + v;
        v = v < -n ? v + sz2 : -v - 1;
      } else if (v > n - 1) {
        if (len <= 1) return 0;
        const double sz2 = 2 * n;
        v -= sz2 * std::trunc(v / sz2);
        if (v >= n) v = sz2 - v - 1;
      }
      return std::min(std::max(v, 0.0), n - 1);
    case FillMode::wrap:
      if (v < 0) {
        if (len <= 1) return 0;
        v += n * (std::trunc(-v / n) + 1);
      } else if (v > n - 1) {
        if (len <= 1) return 0;
        v -= n * std::trunc(v / n);
      }
      return std::min(std::max(v, 0.0), n - 1);
    case FillMode::nearest:
      return std::min(std::max(v, 0.0), n - 1);
    case FillMode::constant:
      break;
  }
  return v;
}

// Up to four taps (row, column, weight) of one output pixel; row < 0 marks a fill-value tap.
struct Taps4 {
  int64_t r[4], q[4];
  double wt[4];
  int n;
  double fill_weight;  // total weight that falls on the fill value
};

inline Taps4 warp_taps(const WarpGeom& g, const float* t, int64_t i, int64_t j) {
  Taps4 s{};
  const double k = double(t[6]) * j + double(t[7]) * i + 1.0;
  if (k == 0.0 || !std::isfinite(k)) {
    s.fill_weight = 1.0;
    return s;
  }
  double xi = (double(t[0]) * j + double(t[1]) * i + double(t[2])) / k;
  double yi = (double(t[3]) * j + double(t[4]) * i + double(t[5])) / k;
  if (!std::isfinite(xi) || !std::isfinite(yi)) {
    s.fill_weight = 1.0;
    return s;
  }
  xi = map_coord(xi, g.w, g.fill);
  yi = map_coord(yi, g.h, g.fill);
  auto add = [&](double r, double q, double w) {
    if (w == 0.0) return;
    if (r < 0 || r > double(g.h - 1) || q < 0 || q > double(g.w - 1)) {
      s.fill_weight += w;
      return;
    }
    s.r[s.n] = static_cast<int64_t>(r);
    s.q[s.n] = static_cast<int64_t>(q);
    s.wt[s.n] = w;
    ++s.n;
  };
  if (!g.bilinear) {
    add(std::round(yi), std::round(xi), 1.0);
    return s;
  }
  const double y0 = std::floor(yi), x0 = std::floor(xi);
  const double ly = yi - y0, lx = xi - x0;
  add(y0, x0, (1 - ly) * (1 - lx));
  add(y0, x0 + 1, (1 - ly) * lx);
  add(y0 + 1, x0, ly * (1 - lx));
  add(y0 + 1, x0 + 1, ly * lx);
  return s;
}

}  // namespace image_detail

template <class T>
void warp_forward(const WarpGeom& g, const T* x, const float* t, T* y) {
  const int64_t c = g.c, in_img = g.h * g.w * c, out_img = g.oh * g.ow * c;
  const T fill = static_cast<T>(g.fill_value);
  parallel_for(g.n, plane_grain(out_img * 4), [&](int64_t n0, int64_t n1) {
    for (int64_t n = n0; n < n1; ++n) {
      const T* xp = x + n * in_img;
      const float* tn = t + n * 8;
      const bool affine = tn[6] == 0.0f && tn[7] == 0.0f;
      T* yp = y + n * out_img;
      for (int64_t i = 0; i < g.oh; ++i)
        for (int64_t j = 0; j < g.ow; ++j) {
          T* out = yp + (i * g.ow + j) * c;
          if (affine && g.bilinear) {
            // Fast path: all four taps inside the image, where every fill mode is the identity.
            const double xi = double(tn[0]) * j + double(tn[1]) * i + double(tn[2]);
            const double yi = double(tn[3]) * j + double(tn[4]) * i + double(tn[5]);
            if (xi >= 0 && yi >= 0 && xi < double(g.w - 1) && yi < double(g.h - 1)) {
              const int64_t x0 = static_cast<int64_t>(xi), y0 = static_cast<int64_t>(yi);
              const double lx = xi - double(x0), ly = yi - double(y0);
              const T w00 = static_cast<T>((1 - ly) * (1 - lx)), w01 = static_cast<T>((1 - ly) * lx);
              const T w10 = static_cast<T>(ly * (1 - lx)), w11 = static_cast<T>(ly * lx);
              const T* p0 = xp + (y0 * g.w + x0) * c;
              const T* p1 = p0 + g.w * c;
              for (int64_t k = 0; k < c; ++k)
                out[k] = w00 * p0[k] + w01 * p0[c + k] + w10 * p1[k] + w11 * p1[c + k];
              continue;
            }
          }
          const Taps4 s = warp_taps(g, tn, i, j);
          const T fw = static_cast<T>(s.fill_weight);
          for (int64_t k = 0; k < c; ++k) out[k] = fw * fill;
          for (int q = 0; q < s.n; ++q) {
            const T* src = xp + (s.r[q] * g.w + s.q[q]) * c;
            const T w = static_cast<T>(s.wt[q]);
            for (int64_t k = 0; k < c; ++k) out[k] += w * src[k];
          }
        }
    }
  });
}

template <class T>
void warp_backward(const WarpGeom& g, const T* dy, const float* t, T* dx) {
  const int64_t c = g.c, in_img = g.h * g.w * c, out_img = g.oh * g.ow * c;
  parallel_for(g.n, plane_grain(out_img * 4), [&](int64_t n0, int64_t n1) {
    for (int64_t n = n0; n < n1; ++n) {
      T* xp = dx + n * in_img;
      std::memset(xp, 0, sizeof(T) * static_cast<size_t>(in_img));
      const float* tn = t + n * 8;
      const T* yp = dy + n * out_img;
      for (int64_t i = 0; i < g.oh; ++i)
        for (int64_t j = 0; j < g.ow; ++j) {
          const Taps4 s = warp_taps(g, tn, i, j);
          const T* gin = yp + (i * g.ow + j) * c;
          for (int q = 0; q < s.n; ++q) {
            T* dst = xp + (s.r[q] * g.w + s.q[q]) * c;
            const T w = static_cast<T>(s.wt[q]);
            for (int64_t k = 0; k < c; ++k) dst[k] += w * gin[k];
          }
        }
    }
  });
}

PE_IMAGE_INSTANTIATE(float)
PE_IMAGE_INSTANTIATE(double)

}  // namespace PE_ISA_NS
}  // namespace pyengine
