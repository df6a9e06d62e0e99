// Channels-last pooling (conv2d_nhwc.h) written once and compiled per ISA
// (pool_nhwc_<isa>.cpp defines PE_ISA_NS). Every inner loop runs over the C contiguous channels
// of one pixel, so it vectorises without gathers; windows are clipped to the input once per
// output pixel. Threads split output rows (forward) or images (backward, whose windows overlap
// only within an image): results never depend on the thread count.
#include <algorithm>
#include <cstdint>
#include <cstring>
#include <vector>

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

namespace {

// Max over the window of output pixel (r = n * OH + oh, ow) per channel into best; with pos,
// also the argmax (pixel index ih * W + iw). PyTorch's rule: take v when v > best or v is NaN,
// so a NaN always wins. The backward re-runs this scan instead of storing indices: x is kept
// alive by the graph anyway, and an int64 index per output cost more memory traffic than the
// scan (MNIST pool1: 5.5 MB written and read back per step).
// pos is int32 (the binding checks H * W < 2^31) so that the select vectorises with the floats.
template <class T>
inline void max_window(const PoolNhwcGeom& g, const T* __restrict img, int64_t oh, int64_t ow,
                       T* __restrict best, int32_t* __restrict pos) {
  const int64_t hs = oh * g.sh - g.pt, ws = ow * g.sw - g.pl, C = g.c;
  int64_t i0, i1, j0, j1;
  clip(hs, g.kh, g.h, i0, i1);
  clip(ws, g.kw, g.w, j0, j1);
  bool first = true;  // padding never wins: every window holds an input pixel (pads < kernel)
  for (int64_t i = i0; i < i1; ++i)
    for (int64_t j = j0; j < j1; ++j) {
      const int32_t at = static_cast<int32_t>((hs + i) * g.w + ws + j);
      const T* s = img + at * C;
      if (first) {
        for (int64_t c = 0; c < C; ++c) best[c] = s[c];
        if (pos)
          for (int64_t c = 0; c < C; ++c) pos[c] = at;
        first = false;
      } else if (pos) {
#pragma omp simd
        for (int64_t c = 0; c < C; ++c) {
          const bool take = s[c] > best[c] || s[c] != s[c];
          best[c] = take ? s[c] : best[c];
          pos[c] = take ? at : pos[c];
        }
      } else {
#pragma omp simd
        for (int64_t c = 0; c < C; ++c) {
          const bool take = s[c] > best[c] || s[c] != s[c];
          best[c] = take ? s[c] : best[c];
        }
      }
    }
}

}  // namespace

namespace {

// ---- 2x2 windows, stride 2, every window inside the input (MaxPooling2D(2) on 'valid') --------
// The common case gets its own loops: four pixel vectors per window, kLanes channels at a time
// as one GCC vector (a zmm on AVX-512, split by the compiler on narrower ISAs), the last
// C % kLanes channels one by one through the same code with V = T. The general loops above
// clip every window and scan an argmax table; with C = 32 that overhead was most of MNIST
// pool1's time. Same rule as max_window: a value wins when greater or NaN, in window order.
#pragma GCC diagnostic ignored "-Wpsabi"  // lane vectors never cross a call (all inlined)
template <class T>
struct PoolLanes {
  static constexpr int64_t n = 64 / int64_t(sizeof(T));
  typedef T type __attribute__((vector_size(64)));
};
// One uint8 per lane (the window winners), spelled per type: GCC drops a vector_size whose
// size depends on a template parameter.
template <class T> struct PoolIndexLanes;
template <> struct PoolIndexLanes<float> { typedef uint8_t type __attribute__((vector_size(16))); };
template <> struct PoolIndexLanes<double> { typedef uint8_t type __attribute__((vector_size(8))); };

template <class V, class T>
__attribute__((always_inline)) inline V pl_load(const T* p) {
  V v;
  std::memcpy(&v, p, sizeof v);
  return v;
}
template <class V, class T>
__attribute__((always_inline)) inline void pl_store(T* p, const V& v) {
  std::memcpy(p, &v, sizeof v);
}

inline bool is_pool2x2(const PoolNhwcGeom& g) { return max_pool2d_nhwc_indexable(g); }

// Window pixels a (0, 0), b (0, 1), c (1, 0), d (1, 1) at channel offset ch: their max, and
// which one is the argmax (tb / tc / td: "b / c / d took over", the last one set wins).
template <class T, class V>
__attribute__((always_inline)) inline V max4(const T* a, const T* b, const T* c, const T* d,
                                             int64_t ch, decltype(V{} > V{})* tk) {
  V best = pl_load<V>(a + ch);
  const T* ps[3] = {b, c, d};
#pragma GCC unroll 3
  for (int i = 0; i < 3; ++i) {
    const V v = pl_load<V>(ps[i] + ch);
    const auto take = (v > best) | (v != v);
    best = take ? v : best;
    if (tk) tk[i] = take;
  }
  return best;
}

template <class T, class V>
__attribute__((always_inline)) inline void max4_backward(const T* a, const T* b, const T* c,
                                                         const T* d, const T* g, int64_t ch,
                                                         T* da, T* db, T* dc, T* dd) {
  using Mk = decltype(V{} > V{});
  Mk tk[3];
  max4<T, V>(a, b, c, d, ch, tk);
  const Mk no{};
  const V gv = pl_load<V>(g + ch), zero{};
  const auto nd = tk[2] == no, ncd = nd & (tk[1] == no);
  pl_store(dd + ch, tk[2] ? gv : zero);
  pl_store(dc + ch, (nd & tk[1]) ? gv : zero);
  pl_store(db + ch, (ncd & tk[0]) ? gv : zero);
  pl_store(da + ch, (ncd & (tk[0] == no)) ? gv : zero);
}

// Which pixel of the window won (0 a, 1 b, 2 c, 3 d) from max4's "took over" masks (0 / -1
// lanes): a later taker overrides, so the winner is in the second row iff c or d took over, and
// in the second column iff d did, or b did and c did not.
template <class Mk>
__attribute__((always_inline)) inline Mk winner(const Mk* tk) {
  return ((tk[1] | tk[2]) & 2) | ((tk[2] | (tk[0] & ~tk[1])) & 1);
}

// Output rows [r0, r1) (r = n * OH + oh); with idx, also each output's winner.
template <class T>
void max_pool2x2_forward_rows(const PoolNhwcGeom& g, const T* x, T* y, uint8_t* idx,
                              int64_t r0, int64_t r1) {
  using Vec = typename PoolLanes<T>::type;
  using Mk = decltype(Vec{} > Vec{});
  using Idx = typename PoolIndexLanes<T>::type;
  constexpr int64_t L = PoolLanes<T>::n;
  const int64_t C = g.c, rs = g.w * C;
  for (int64_t r = r0; r < r1; ++r) {
    const T* row = x + (r / g.oh * g.h + 2 * (r % g.oh)) * rs;
    for (int64_t ow = 0; ow < g.ow; ++ow) {
      const T* a = row + 2 * ow * C;
      const int64_t o = (r * g.ow + ow) * C;
      int64_t ch = 0;
      if (idx) {
        for (; ch + L <= C; ch += L) {
          Mk tk[3];
          pl_store(y + o + ch, max4<T, Vec>(a, a + C, a + rs, a + rs + C, ch, tk));
          pl_store(idx + o + ch, __builtin_convertvector(winner(tk), Idx));
        }
        for (; ch < C; ++ch) {
          bool tk[3];
          y[o + ch] = max4<T, T>(a, a + C, a + rs, a + rs + C, ch, tk);
          idx[o + ch] = static_cast<uint8_t>(tk[2] ? 3 : tk[1] ? 2 : tk[0] ? 1 : 0);
        }
        continue;
      }
      for (; ch + L <= C; ch += L)
        pl_store(y + o + ch, max4<T, Vec>(a, a + C, a + rs, a + rs + C, ch, nullptr));
      for (; ch < C; ++ch) y[o + ch] = max4<T, T>(a, a + C, a + rs, a + rs + C, ch, nullptr);
    }
  }
}

// Zero the pixels of image n that no window covers (a last odd row / column).
template <class T>
void zero_uncovered(const PoolNhwcGeom& g, T* dx, int64_t n) {
  const int64_t C = g.c, rs = g.w * C, plane = g.h * rs;
  if (2 * g.ow < g.w)
    for (int64_t r = 0; r < 2 * g.oh; ++r) {
      T* d = dx + n * plane + r * rs + 2 * g.ow * C;
      std::fill(d, d + (g.w - 2 * g.ow) * C, T(0));
    }
  std::fill(dx + n * plane + 2 * g.oh * rs, dx + (n + 1) * plane, T(0));
}

// Images [n0, n1) from the forward's winners: each covered pixel written once.
template <class T>
void max_pool2x2_backward_index_images(const PoolNhwcGeom& g, const uint8_t* idx, const T* dy,
                                       T* dx, int64_t n0, int64_t n1) {
  using Vec = typename PoolLanes<T>::type;
  using Mk = decltype(Vec{} > Vec{});
  using Idx = typename PoolIndexLanes<T>::type;
  constexpr int64_t L = PoolLanes<T>::n;
  const int64_t C = g.c, rs = g.w * C, plane = g.h * rs;
  for (int64_t n = n0; n < n1; ++n) {
    for (int64_t oh = 0; oh < g.oh; ++oh)
      for (int64_t ow = 0; ow < g.ow; ++ow) {
        T* d = dx + n * plane + 2 * oh * rs + 2 * ow * C;
        T* ds[4] = {d, d + C, d + rs, d + rs + C};
        const int64_t o = ((n * g.oh + oh) * g.ow + ow) * C;
        int64_t ch = 0;
        for (; ch + L <= C; ch += L) {
          const Mk w = __builtin_convertvector(pl_load<Idx>(idx + o + ch), Mk);
          const Vec gv = pl_load<Vec>(dy + o + ch), zero{};
#pragma GCC unroll 4
          for (int k = 0; k < 4; ++k) pl_store(ds[k] + ch, w == Mk{} + k ? gv : zero);
        }
        for (; ch < C; ++ch)
          for (int k = 0; k < 4; ++k) ds[k][ch] = idx[o + ch] == k ? dy[o + ch] : T(0);
      }
    zero_uncovered(g, dx, n);
  }
}

// Images [n0, n1): every covered pixel written once; a last odd row / column zero-filled.
template <class T>
void max_pool2x2_backward_images(const PoolNhwcGeom& g, const T* x, const T* dy, T* dx,
                                 int64_t n0, int64_t n1) {
  using Vec = typename PoolLanes<T>::type;
  constexpr int64_t L = PoolLanes<T>::n;
  const int64_t C = g.c, rs = g.w * C, plane = g.h * rs;
  for (int64_t n = n0; n < n1; ++n) {
    for (int64_t oh = 0; oh < g.oh; ++oh) {
      const int64_t off = n * plane + 2 * oh * rs;
      for (int64_t ow = 0; ow < g.ow; ++ow) {
        const int64_t o = off + 2 * ow * C;
        const T* a = x + o;
        T* da = dx + o;
        const T* gg = dy + ((n * g.oh + oh) * g.ow + ow) * C;
        int64_t ch = 0;
        for (; ch + L <= C; ch += L)
          max4_backward<T, Vec>(a, a + C, a + rs, a + rs + C, gg, ch, da, da + C, da + rs,
                                da + rs + C);
        for (; ch < C; ++ch)
          max4_backward<T, T>(a, a + C, a + rs, a + rs + C, gg, ch, da, da + C, da + rs,
                              da + rs + C);
      }
    }
    zero_uncovered(g, dx, n);
  }
}

}  // namespace

template <class T>
void max_pool2d_nhwc_forward(const PoolNhwcGeom& g, const T* x, T* y) {
  if (is_pool2x2(g))
    return parallel_for(g.n * g.oh, row_grain(g), [&](int64_t r0, int64_t r1) {
      max_pool2x2_forward_rows(g, x, y, static_cast<uint8_t*>(nullptr), r0, r1);
    });
  parallel_for(g.n * g.oh, row_grain(g), [&](int64_t r0, int64_t r1) {
    for (int64_t r = r0; r < r1; ++r) {
      const T* img = x + r / g.oh * g.h * g.w * g.c;
      for (int64_t ow = 0; ow < g.ow; ++ow)
        max_window<T>(g, img, r % g.oh, ow, y + (r * g.ow + ow) * g.c, nullptr);
    }
  });
}

// Windows that do not overlap (stride >= kernel, the usual 2x2 / 2): each pixel gets the
// gradient of at most one window, so it is written once as a select (vectorised over channels)
// instead of zero-filled and scatter-added; the zero fill remains only where windows leave
// pixels uncovered. MNIST pool1 backward: 2.7 -> see docs/conv.md.
template <class T>
void max_pool2d_nhwc_backward(const PoolNhwcGeom& g, const T* x, const T* dy, T* dx) {
  const int64_t plane = g.h * g.w * g.c, out = g.oh * g.ow * g.c, C = g.c;
  if (is_pool2x2(g))
    return parallel_for(g.n, std::max<int64_t>(1, kParallelGrain / std::max<int64_t>(1, plane + out)),
                        [&](int64_t n0, int64_t n1) {
      max_pool2x2_backward_images(g, x, dy, dx, n0, n1);
    });
  const bool disjoint = g.sh >= g.kh && g.sw >= g.kw;
  const bool tiled = disjoint && g.pt == 0 && g.pl == 0 && g.sh == g.kh && g.sw == g.kw &&
                     g.oh * g.kh == g.h && g.ow * g.kw == g.w;
  parallel_for(g.n, std::max<int64_t>(1, kParallelGrain / std::max<int64_t>(1, plane + out)),
               [&](int64_t n0, int64_t n1) {
    std::vector<T> best(static_cast<size_t>(C));
    std::vector<int32_t> pos(static_cast<size_t>(C));
    for (int64_t n = n0; n < n1; ++n) {
      T* __restrict d = dx + n * plane;
      if (!tiled) std::fill(d, d + plane, T(0));
      for (int64_t oh = 0; oh < g.oh; ++oh)
        for (int64_t ow = 0; ow < g.ow; ++ow) {
          max_window<T>(g, x + n * plane, oh, ow, best.data(), pos.data());
          const T* __restrict gg = dy + n * out + (oh * g.ow + ow) * C;
          const int32_t* __restrict ps = pos.data();
          if (!disjoint) {
            for (int64_t c = 0; c < C; ++c) d[int64_t{ps[c]} * C + c] += gg[c];
            continue;
          }
          const int64_t hs = oh * g.sh - g.pt, ws = ow * g.sw - g.pl;
          int64_t i0, i1, j0, j1;
          clip(hs, g.kh, g.h, i0, i1);
          clip(ws, g.kw, g.w, j0, j1);
          for (int64_t i = i0; i < i1; ++i)
            for (int64_t j = j0; j < j1; ++j) {
              const int32_t at = static_cast<int32_t>((hs + i) * g.w + ws + j);
              T* __restrict dp = d + int64_t{at} * C;
#pragma omp simd
              for (int64_t c = 0; c < C; ++c) dp[c] = ps[c] == at ? gg[c] : T(0);
            }
        }
    }
  });
}

// The caller (the binding) has checked is_pool2x2.
template <class T>
void max_pool2d_nhwc_forward_index(const PoolNhwcGeom& g, const T* x, T* y, uint8_t* idx) {
  parallel_for(g.n * g.oh, row_grain(g), [&](int64_t r0, int64_t r1) {
    max_pool2x2_forward_rows(g, x, y, idx, r0, r1);
  });
}

template <class T>
void max_pool2d_nhwc_backward_index(const PoolNhwcGeom& g, const uint8_t* idx, const T* dy,
                                    T* dx) {
  const int64_t plane = g.h * g.w * g.c, out = g.oh * g.ow * g.c;
  parallel_for(g.n, std::max<int64_t>(1, kParallelGrain / std::max<int64_t>(1, plane + out)),
               [&](int64_t n0, int64_t n1) {
    max_pool2x2_backward_index_images(g, idx, dy, dx, n0, n1);
  });
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
