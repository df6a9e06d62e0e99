// im2col / col2im for one image and one group of input channels (NCHW).
//
// col is a (cg * KH * KW) x (number of output positions) row-major matrix for a block of output
// positions: row (c, i, j) holds the input pixel that kernel tap (i, j) of channel c sees at each
// output position, zero where it falls in the padding. Then y_group[:, block] = w_group
// (OCg x K) * col is one GEMM. Doing a block at a time keeps col in L2 (see conv2d.cpp).
#pragma once
#include <algorithm>
#include <cstdint>
#include <cstring>
#include <vector>

#include "conv/conv2d.h"

#if defined(__SSE2__)
#include <emmintrin.h>
#endif

namespace pyengine {

// Stride 2 along a row, the 4x4 stride-2 layers of DCGAN (32 <-> 64 channels): d[q] = src[2 q]
// for q in [q0, q1), src valid up to (not including) src[n]. SSE2 (every x86-64 build): two
// loads split into their even lanes, 4 floats / 2 doubles at a time while the second load
// stays inside the n values; scalar elsewhere. The scalar loop was half of im2col_cols' time
// (14 % of a DCGAN step, 1 thread).
template <class T>
inline void gather_even(T* d, const T* src, int64_t q0, int64_t q1, int64_t n) {
  int64_t q = q0;
#if defined(__SSE2__)
  if constexpr (sizeof(T) == 4) {
    for (; q + 4 <= q1 && 2 * q + 8 <= n; q += 4) {
      const __m128 a = _mm_loadu_ps(src + 2 * q), b = _mm_loadu_ps(src + 2 * q + 4);
      _mm_storeu_ps(d + q, _mm_shuffle_ps(a, b, _MM_SHUFFLE(2, 0, 2, 0)));
    }
  } else if constexpr (sizeof(T) == 8) {
    for (; q + 2 <= q1 && 2 * q + 4 <= n; q += 2) {
      const __m128d a = _mm_loadu_pd(src + 2 * q), b = _mm_loadu_pd(src + 2 * q + 2);
      _mm_storeu_pd(d + q, _mm_unpacklo_pd(a, b));
    }
  }
#endif
  for (; q < q1; ++q) d[q] = src[2 * q];
}

// The adjoint: d[2 q] += s[q] for q in [q0, q1), d valid up to d[n]: s interleaved with zeros
// and added to 8 floats / 4 doubles of d (the odd ones get + 0).
template <class T>
inline void scatter_add_even(T* d, const T* s, int64_t q0, int64_t q1, int64_t n) {
  int64_t q = q0;
#if defined(__SSE2__)
  if constexpr (sizeof(T) == 4) {
    const __m128 z = _mm_setzero_ps();
    for (; q + 4 <= q1 && 2 * q + 8 <= n; q += 4) {
      const __m128 v = _mm_loadu_ps(s + q);
      _mm_storeu_ps(d + 2 * q, _mm_add_ps(_mm_loadu_ps(d + 2 * q), _mm_unpacklo_ps(v, z)));
      _mm_storeu_ps(d + 2 * q + 4,
                    _mm_add_ps(_mm_loadu_ps(d + 2 * q + 4), _mm_unpackhi_ps(v, z)));
    }
  } else if constexpr (sizeof(T) == 8) {
    const __m128d z = _mm_setzero_pd();
    for (; q + 2 <= q1 && 2 * q + 4 <= n; q += 2) {
      const __m128d v = _mm_loadu_pd(s + q);
      _mm_storeu_pd(d + 2 * q, _mm_add_pd(_mm_loadu_pd(d + 2 * q), _mm_unpacklo_pd(v, z)));
      _mm_storeu_pd(d + 2 * q + 2,
                    _mm_add_pd(_mm_loadu_pd(d + 2 * q + 2), _mm_unpackhi_pd(v, z)));
    }
  }
#endif
  for (; q < q1; ++q) d[2 * q] += s[q];
}

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

// col for the output positions l = oh * OW + ow in [l0, l1): row (c, i, j) of length l1 - l0.
// Any column range, so that callers can cut blocks to the GEMM's tile sizes. Output rows are
// short (11 positions in a 13x13 layer), so the loop is arranged to do no division and no call
// per segment: one pass per (c, i) over the output rows, the kw taps inside. Plain loops rather
// than memcpy calls for the short rows (MNIST conv2 forward, one thread: 10.2-10.6 ms against
// 11.1-11.3 ms with memcpy); the attribute stops GCC from turning them back into memcpy calls.
template <class T>
__attribute__((optimize("no-tree-loop-distribute-patterns")))
void im2col_cols(const Conv2dGeom& g, const T* x, T* col, int64_t l0, int64_t l1) {
  const int64_t L = l1 - l0;
  if (L <= 0) return;
  // Per tap column j: the output columns [o0, o1) whose input column lies inside the row.
  std::vector<int64_t> valid(static_cast<size_t>(2 * g.kw));
  for (int64_t j = 0; j < g.kw; ++j)
    valid_range(g.ow, g.w, g.sw, g.pw, j * g.dw, valid[2 * j], valid[2 * j + 1]);
  for (int64_t c = 0; c < g.cg(); ++c)
    for (int64_t i = 0; i < g.kh; ++i) {
      T* rows = col + (c * g.kh + i) * g.kw * L;  // the kw rows (c, i, 0..kw-1)
      int64_t oh = l0 / g.ow, ow = l0 % g.ow;
      for (int64_t pos = 0; pos < L; ++oh, ow = 0) {
        const int64_t seg = std::min(g.ow - ow, L - pos);  // positions [ow, ow + seg) of row oh
        const int64_t ih = oh * g.sh - g.ph + i * g.dh;
        if (ih < 0 || ih >= g.h) {
          for (int64_t j = 0; j < g.kw; ++j) {
            T* d = rows + j * L + pos;
            for (int64_t q = 0; q < seg; ++q) d[q] = T(0);
          }
        } else {
          const T* xrow = x + (c * g.h + ih) * g.w;
          for (int64_t j = 0; j < g.kw; ++j) {
            const int64_t o0 = valid[2 * j], o1 = valid[2 * j + 1];
            const int64_t v0 = std::min(ow + seg, std::max(ow, o0));
            const int64_t v1 = std::max(v0, std::min(ow + seg, o1));
            T* d = rows + j * L + pos - ow;  // indexed by output column
            const T* src = xrow + j * g.dw - g.pw;
            for (int64_t q = ow; q < v0; ++q) d[q] = T(0);
            if (g.sw == 1) {
              for (int64_t q = v0; q < v1; ++q) d[q] = src[q];
            } else if (g.sw == 2) {  // src[0 .. w - off) lies inside the row
              gather_even(d, src, v0, v1, g.w - (j * g.dw - g.pw));
            } else {
              for (int64_t q = v0; q < v1; ++q) d[q] = src[q * g.sw];
            }
            for (int64_t q = v1; q < ow + seg; ++q) d[q] = T(0);
          }
        }
        pos += seg;
      }
    }
}

// col for the output rows [oh0, oh1).
template <class T>
void im2col(const Conv2dGeom& g, const T* x, T* col, int64_t oh0, int64_t oh1) {
  im2col_cols(g, x, col, oh0 * g.ow, oh1 * g.ow);
}

// dx_group += col2im(col): the adjoint of im2col (dx must be initialised by the caller). col's
// rows are ld apart (ld = 0: (oh1 - oh0) * OW; larger for the images side by side of
// conv2d.cpp's image blocks). For the input gradient's small planes this row form measured
// faster than a padded-plane scatter (DCGAN 32->64 4x4 stride 2, 1 thread: 3.2 vs 3.65 ms).
template <class T>
void col2im_add(const Conv2dGeom& g, const T* col, T* dx, int64_t oh0, int64_t oh1,
                int64_t ld = 0) {
  const int64_t L = ld > 0 ? ld : (oh1 - oh0) * g.ow;
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
          } else if (g.sw == 2) {
            scatter_add_even(d, s, o0, o1, g.w - off);
          } else {
            for (int64_t ow = o0; ow < o1; ++ow) d[ow * g.sw] += s[ow];
          }
        }
      }
}

// Whole-image forms for small planes (conv2d.cpp's blocks of several images): col's rows are ld
// apart, so that the images of a block sit side by side in one matrix. Each channel plane is
// copied into a zero-padded plane (H + 2 PH) x (W + 2 PW) once, then every tap row is a gather
// through one table of the output positions' offsets in it: no bounds tests, no per-row segment
// arithmetic. On 7x7 and 4x4 outputs the row-segment form above spent most of its time on
// 4-7-element segments (22 % of DCGAN's 32->64 4x4 stride-2 forward, 1 thread).
template <class T>
struct PaddedPlanes {
  int64_t pw, plane;
  std::vector<T> buf;          // one padded plane, borders zero
  std::vector<int64_t> offs;   // offs[l]: output position l's tap (0, 0) in the padded plane
  explicit PaddedPlanes(const Conv2dGeom& g)
      : pw(g.w + 2 * g.pw), plane((g.h + 2 * g.ph) * pw),
        buf(static_cast<size_t>(plane), T(0)), offs(static_cast<size_t>(g.oh * g.ow)) {
    for (int64_t oh = 0; oh < g.oh; ++oh)
      for (int64_t ow = 0; ow < g.ow; ++ow) offs[oh * g.ow + ow] = oh * g.sh * pw + ow * g.sw;
  }
  int64_t tap(const Conv2dGeom& g, int64_t i, int64_t j) const { return i * g.dh * pw + j * g.dw; }
};

// col[:, 0:L] (rows ld apart) = im2col of one image and group, all L = OH * OW positions.
template <class T>
void im2col_image(const Conv2dGeom& g, const T* x, T* col, int64_t ld, PaddedPlanes<T>& pp) {
  const int64_t L = g.oh * g.ow;
  const int64_t* offs = pp.offs.data();
  for (int64_t c = 0; c < g.cg(); ++c) {
    for (int64_t r = 0; r < g.h; ++r)
      std::copy(x + (c * g.h + r) * g.w, x + (c * g.h + r + 1) * g.w,
                pp.buf.data() + (r + g.ph) * pp.pw + g.pw);
    for (int64_t i = 0; i < g.kh; ++i)
      for (int64_t j = 0; j < g.kw; ++j) {
        const T* s = pp.buf.data() + pp.tap(g, i, j);
        T* d = col + ((c * g.kh + i) * g.kw + j) * ld;
        for (int64_t l = 0; l < L; ++l) d[l] = s[offs[l]];
      }
  }
}

}  // namespace pyengine
