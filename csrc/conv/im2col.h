// im2col / col2im for one image and one group of input channels (NCHW).
//
// col is a (cg * KH * KW) x ((oh1 - oh0) * OW) row-major matrix for output rows [oh0, oh1): row
// (c, i, j) holds the input pixel that kernel tap (i, j) of channel c sees at each output
// position, zero where it falls in the padding. Then y_group[:, rows] = w_group (OCg x K) * col
// is one GEMM. Doing a few output rows at a time keeps col in L2 (see conv2d.cpp).
#pragma once
#include <algorithm>
#include <cstdint>
#include <cstring>

#include "conv/conv2d.h"

namespace pyengine {

// Output columns [ow0, ow1) whose input column ow * s - p + j * d lies inside [0, w).
inline void valid_range(int64_t out, int64_t in, int64_t s, int64_t p, int64_t off, int64_t& o0,
                        int64_t& o1) {
  const int64_t lo = p - off;           // need ow * s >= lo
  const int64_t hi = in - 1 + p - off;  // need ow * s <= hi
  o0 = lo <= 0 ? 0 : (lo + s - 1) / s;
  o1 = hi < 0 ? 0 : std::min(out, hi / s + 1);
  o0 = std::min(o0, out);
  if (o1 < o0) o1 = o0;
}

template <class T>
void im2col(const Conv2dGeom& g, const T* x, T* col, int64_t oh0, int64_t oh1) {
  const int64_t L = (oh1 - oh0) * g.ow;
  for (int64_t c = 0; c < g.cg(); ++c)
    for (int64_t i = 0; i < g.kh; ++i)
      for (int64_t j = 0; j < g.kw; ++j) {
        T* dst = col + ((c * g.kh + i) * g.kw + j) * L;
        int64_t o0, o1;
        valid_range(g.ow, g.w, g.sw, g.pw, j * g.dw, o0, o1);
        const int64_t off = j * g.dw - g.pw;
        for (int64_t oh = oh0; oh < oh1; ++oh) {
          T* d = dst + (oh - oh0) * g.ow;
          const int64_t ih = oh * g.sh - g.ph + i * g.dh;
          if (ih < 0 || ih >= g.h) {
            std::memset(d, 0, sizeof(T) * g.ow);
            continue;
          }
          const T* src = x + (c * g.h + ih) * g.w + off;
          for (int64_t ow = 0; ow < o0; ++ow) d[ow] = T(0);
          if (g.sw == 1) {
            std::memcpy(d + o0, src + o0, sizeof(T) * (o1 - o0));
          } else {
            for (int64_t ow = o0; ow < o1; ++ow) d[ow] = src[ow * g.sw];
          }
          for (int64_t ow = o1; ow < g.ow; ++ow) d[ow] = T(0);
        }
      }
}

// dx_group += col2im(col): the adjoint of im2col (dx must be initialised by the caller).
template <class T>
void col2im_add(const Conv2dGeom& g, const T* col, T* dx, int64_t oh0, int64_t oh1) {
  const int64_t L = (oh1 - oh0) * g.ow;
  for (int64_t c = 0; c < g.cg(); ++c)
    for (int64_t i = 0; i < g.kh; ++i)
      for (int64_t j = 0; j < g.kw; ++j) {
        const T* srcrow = col + ((c * g.kh + i) * g.kw + j) * L;
        int64_t o0, o1;
        valid_range(g.ow, g.w, g.sw, g.pw, j * g.dw, o0, o1);
        const int64_t off = j * g.dw - g.pw;
        for (int64_t oh = oh0; oh < oh1; ++oh) {
          const int64_t ih = oh * g.sh - g.ph + i * g.dh;
          if (ih < 0 || ih >= g.h) continue;
          const T* s = srcrow + (oh - oh0) * g.ow;
          T* d = dx + (c * g.h + ih) * g.w + off;
          if (g.sw == 1) {
            for (int64_t ow = o0; ow < o1; ++ow) d[ow] += s[ow];
          } else {
            for (int64_t ow = o0; ow < o1; ++ow) d[ow * g.sw] += s[ow];
          }
        }
      }
}

}  // namespace pyengine
