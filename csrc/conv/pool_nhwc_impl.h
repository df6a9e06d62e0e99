// Channels-last pooling (conv2d_nhwc.h) written once and compiled per ISA
// (pool_nhwc_<isa>.cpp defines PE_ISA_NS). Every inner loop runs over the C contiguous channels
// of one pixel, so it vectorises without gathers; windows are clipped to the input once per
// output pixel. Threads split output rows (forward) or images (backward, whose windows overlap
// only within an image): results never depend on the thread count.
#include <algorithm>

#include "common/parallel.h"
#include "conv/conv2d_nhwc.h"

namespace pyengine {
namespace PE_ISA_NS {

namespace {

// Taps [k0, k1) of a window starting at `start` that fall inside [0, in).
inline void clip(int64_t start, int64_t k, int64_t in, int64_t& k0, int64_t& k1) {
  k0 = std::max<int64_t>(0, -start);
  k1 = std::min<int64_t>(k, in - start);
  if (k1 < k0) k1 = k0;
}

inline int64_t row_grain(const PoolNhwcGeom& g) {
  return std::max<int64_t>(1, kParallelGrain / std::max<int64_t>(1, g.ow * g.c * g.kh * g.kw));
}

}  // namespace

template <class T>
void max_pool2d_nhwc_forward(const PoolNhwcGeom& g, const T* x, T* y, int64_t* idx) {
  parallel_for(g.n * g.oh, row_grain(g), [&](int64_t r0, int64_t r1) {
    for (int64_t r = r0; r < r1; ++r) {
      const int64_t n = r / g.oh, hs = r % g.oh * g.sh - g.pt;
      int64_t i0, i1;
      clip(hs, g.kh, g.h, i0, i1);
      const T* img = x + n * g.h * g.w * g.c;
      for (int64_t ow = 0; ow < g.ow; ++ow) {
        const int64_t ws = ow * g.sw - g.pl;
        int64_t j0, j1;
        clip(ws, g.kw, g.w, j0, j1);
        T* yo = y + (r * g.ow + ow) * g.c;
        int64_t* io = idx ? idx + (r * g.ow + ow) * g.c : nullptr;
        bool first = true;
        for (int64_t i = i0; i < i1; ++i)
          for (int64_t j = j0; j < j1; ++j) {
            const int64_t pos = (hs + i) * g.w + ws + j;
            const T* s = img + pos * g.c;
            if (first) {
              for (int64_t c = 0; c < g.c; ++c) yo[c] = s[c];
              if (io)
                for (int64_t c = 0; c < g.c; ++c) io[c] = pos;
              first = false;
            } else if (io) {
              // PyTorch's rule: take v when v > best or v is NaN (a NaN always wins).
              for (int64_t c = 0; c < g.c; ++c) {
                const bool take = s[c] > yo[c] || s[c] != s[c];
                yo[c] = take ? s[c] : yo[c];
                io[c] = take ? pos : io[c];
              }
            } else {
              for (int64_t c = 0; c < g.c; ++c) {
                const bool take = s[c] > yo[c] || s[c] != s[c];
                yo[c] = take ? s[c] : yo[c];
              }
            }
          }
      }
    }
  });
}

template <class T>
bool max_pool2d_nhwc_backward(const PoolNhwcGeom& g, const T* dy, const int64_t* idx, T* dx) {
  const int64_t plane = g.h * g.w, out = g.oh * g.ow * g.c;
  bool ok = true;
  parallel_for(g.n, std::max<int64_t>(1, kParallelGrain / std::max<int64_t>(1, out)),
               [&](int64_t n0, int64_t n1) {
    bool good = true;
    for (int64_t n = n0; n < n1; ++n) {
      T* img = dx + n * plane * g.c;
      std::fill(img, img + plane * g.c, T(0));
      const int64_t* ii = idx + n * out;
      const T* gg = dy + n * out;
      for (int64_t q = 0; q < g.oh * g.ow; ++q)
        for (int64_t c = 0; c < g.c; ++c) {
          const int64_t pos = ii[q * g.c + c];
          if (pos < 0 || pos >= plane) {
            good = false;
            continue;
          }
          img[pos * g.c + c] += gg[q * g.c + c];
        }
    }
    if (!good) {
#pragma omp atomic write
      ok = false;
    }
  });
  return ok;
}

template <class T>
void avg_pool2d_nhwc_forward(const PoolNhwcGeom& g, const T* x, T* y, bool count_include_pad) {
  parallel_for(g.n * g.oh, row_grain(g), [&](int64_t r0, int64_t r1) {
    for (int64_t r = r0; r < r1; ++r) {
      const int64_t n = r / g.oh, hs = r % g.oh * g.sh - g.pt;
      int64_t i0, i1;
      clip(hs, g.kh, g.h, i0, i1);
      const T* img = x + n * g.h * g.w * g.c;
      for (int64_t ow = 0; ow < g.ow; ++ow) {
        const int64_t ws = ow * g.sw - g.pl;
        int64_t j0, j1;
        clip(ws, g.kw, g.w, j0, j1);
        T* yo = y + (r * g.ow + ow) * g.c;
        std::fill(yo, yo + g.c, T(0));
        for (int64_t i = i0; i < i1; ++i)
          for (int64_t j = j0; j < j1; ++j) {
            const T* s = img + ((hs + i) * g.w + ws + j) * g.c;
            for (int64_t c = 0; c < g.c; ++c) yo[c] += s[c];
          }
        const T div = T(count_include_pad ? g.kh * g.kw : (i1 - i0) * (j1 - j0));
        for (int64_t c = 0; c < g.c; ++c) yo[c] /= div;
      }
    }
  });
}

template <class T>
void avg_pool2d_nhwc_backward(const PoolNhwcGeom& g, const T* dy, T* dx, bool count_include_pad) {
  const int64_t plane = g.h * g.w, out = g.oh * g.ow * g.c;
  parallel_for(g.n, std::max<int64_t>(1, kParallelGrain / std::max<int64_t>(1, out * g.kh * g.kw)),
               [&](int64_t n0, int64_t n1) {
    for (int64_t n = n0; n < n1; ++n) {
      T* img = dx + n * plane * g.c;
      std::fill(img, img + plane * g.c, T(0));
      for (int64_t oh = 0; oh < g.oh; ++oh) {
        const int64_t hs = oh * g.sh - g.pt;
        int64_t i0, i1;
        clip(hs, g.kh, g.h, i0, i1);
        for (int64_t ow = 0; ow < g.ow; ++ow) {
          const int64_t ws = ow * g.sw - g.pl;
          int64_t j0, j1;
          clip(ws, g.kw, g.w, j0, j1);
          const T div = T(count_include_pad ? g.kh * g.kw : (i1 - i0) * (j1 - j0));
          const T* gg = dy + n * out + (oh * g.ow + ow) * g.c;
          for (int64_t i = i0; i < i1; ++i)
            for (int64_t j = j0; j < j1; ++j) {
              T* d = img + ((hs + i) * g.w + ws + j) * g.c;
              for (int64_t c = 0; c < g.c; ++c) d[c] += gg[c] / div;
            }
        }
      }
    }
  });
}

PE_POOL_NHWC_INSTANTIATE(float)
PE_POOL_NHWC_INSTANTIATE(double)

}  // namespace PE_ISA_NS
}  // namespace pyengine
