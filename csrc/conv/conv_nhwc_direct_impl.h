// Direct (no im2col, no GEMM) channels-last convolution for the layers where a GEMM cannot pay,
// written once and compiled per ISA (conv_nhwc_direct_<isa>.cpp defines PE_ISA_NS):
//
// - small K = KH*KW*C with groups == 1 (the first layer of a convnet: 1 or 3 input channels):
//   a GEMM with K = 9 or 27 spends more on packing and on writing / reading im2col than on its
//   FMAs. Here each output pixel's OC outputs are accumulated in a block of kOB registers
//   (vectorised over the output channels) across the taps, then stored once.
// - depthwise (C / groups == 1 and OC == C): one GEMM per channel with N = 1; here every tap is
//   a vector multiply-add over the contiguous channels of a pixel.
//
// Each function handles a range of output positions p = (n, oh, ow) and leaves threading to
// conv2d_nhwc.cpp, which partitions the output (forward, input gradient by whole images) or
// sums fixed chunks (weight and bias gradients): results never depend on the thread count.
#include <algorithm>
#include <cstdlib>
#include <cstring>

#include "conv/conv2d_nhwc.h"

// The lane vectors below never cross a call boundary (all inlined into this TU), so GCC's note
// that an AVX-512-sized vector would change the ABI of a non-AVX-512 build does not apply.
#pragma GCC diagnostic ignored "-Wpsabi"

namespace pyengine {
namespace PE_ISA_NS {

namespace {

constexpr int64_t kOB = 32;  // output channels accumulated in registers at a time

// Position p -> (n, oh, ow), stepped without divisions.
struct Pos {
  int64_t n, oh, ow;
  Pos(const ConvNhwcGeom& g, int64_t p) : n(p / (g.oh * g.ow)), oh(p / g.ow % g.oh), ow(p % g.ow) {}
  void next(const ConvNhwcGeom& g) {
    if (++ow == g.ow) {
      ow = 0;
      if (++oh == g.oh) oh = 0, ++n;
    }
  }
};

// The input pixel offset (in elements, from x) under tap (i, j) of position q, or -1.
inline int64_t tap(const ConvNhwcGeom& g, const Pos& q, int64_t i, int64_t j) {
  const int64_t ih = q.oh * g.sh - g.pt + i * g.dh, iw = q.ow * g.sw - g.pl + j * g.dw;
  if (ih < 0 || ih >= g.h || iw < 0 || iw >= g.w) return -1;
  return ((q.n * g.h + ih) * g.w + iw) * g.c;
}

// 16 values of T as one GCC vector (one zmm of floats on AVX-512, split by the compiler on
// narrower ISAs), so one source serves every ISA's translation unit.
constexpr int64_t kVL = 16;
template <class T> struct NhwcLanes;
template <> struct NhwcLanes<float> { typedef float type __attribute__((vector_size(64))); };
template <> struct NhwcLanes<double> { typedef double type __attribute__((vector_size(128))); };

template <class T>
__attribute__((always_inline)) inline typename NhwcLanes<T>::type vload(const T* p) {
  typename NhwcLanes<T>::type v;
  std::memcpy(&v, p, sizeof v);
  return v;
}

// Offsets of the K = KH*KW*C window values from the window's first pixel (K <= 27).
struct SmallTaps {
  int64_t off[27];
  explicit SmallTaps(const ConvNhwcGeom& g) {
    int64_t k = 0;
    for (int64_t i = 0; i < g.kh; ++i)
      for (int64_t j = 0; j < g.kw; ++j)
        for (int64_t c = 0; c < g.c; ++c) off[k++] = (i * g.dh * g.w + j * g.dw) * g.c + c;
  }
};

// col rows (K values each, zeros in the padding) of positions [q, q + rows): windows inside
// the input (most of them) are a gather through the offset table, the others go tap by tap.
template <class T>
void small_cols(const ConvNhwcGeom& g, const SmallTaps& st, const T* x, Pos q, int64_t rows,
                T* col) {
  const int64_t K = g.kh * g.kw * g.c;
  const int64_t hspan = (g.kh - 1) * g.dh, wspan = (g.kw - 1) * g.dw;
  for (int64_t r = 0; r < rows; ++r, q.next(g)) {
    T* d = col + r * K;
    const int64_t ih = q.oh * g.sh - g.pt, iw = q.ow * g.sw - g.pl;
    if (ih >= 0 && iw >= 0 && ih + hspan < g.h && iw + wspan < g.w) {
      const T* base = x + ((q.n * g.h + ih) * g.w + iw) * g.c;
      for (int64_t k = 0; k < K; ++k) d[k] = base[st.off[k]];
      continue;
    }
    for (int64_t i = 0; i < g.kh; ++i)
      for (int64_t j = 0; j < g.kw; ++j, d += g.c) {
        const int64_t off = tap(g, q, i, j);
        for (int64_t c = 0; c < g.c; ++c) d[c] = off < 0 ? T(0) : x[off + c];
      }
  }
}

// kPB output pixels x OCV * kVL channels held in registers across the K products:
// per k, OCV weight vectors and kPB broadcasts feed kPB * OCV FMAs.
constexpr int64_t kPB = 4;

// Window value k of pixel r of the block is src[r * rstep + off[k]]: the col rows (rstep = K,
// off = 0, 1, 2, ...) or, for kPB pixels of one output row whose windows lie inside the input,
// the input itself (rstep = stride * C, off = the window offsets): no gather at all.
template <class T, int OCV>
void small_block(const T* src, int64_t rstep, const int64_t* off, int64_t K, const T* w,
                 const T* b, T* y, int64_t OC) {
  using V = typename NhwcLanes<T>::type;
  V acc[kPB][OCV];
  for (int v = 0; v < OCV; ++v) {
    const V bv = b ? vload(b + v * kVL) : V{};
#pragma GCC unroll 4
    for (int r = 0; r < kPB; ++r) acc[r][v] = bv;
  }
  for (int64_t k = 0; k < K; ++k) {
    V wv[OCV];
#pragma GCC unroll 4
    for (int v = 0; v < OCV; ++v) wv[v] = vload(w + k * OC + v * kVL);
#pragma GCC unroll 4
    for (int r = 0; r < kPB; ++r) {
      const T xv = src[r * rstep + off[k]];
#pragma GCC unroll 4
      for (int v = 0; v < OCV; ++v) acc[r][v] += xv * wv[v];
    }
  }
#pragma GCC unroll 4
  for (int r = 0; r < kPB; ++r)
#pragma GCC unroll 4
    for (int v = 0; v < OCV; ++v) std::memcpy(y + r * OC + v * kVL, &acc[r][v], sizeof(V));
}

template <class T, int OCV>
void small_forward_blocked(const ConvNhwcGeom& g, const T* x, const T* w, const T* b, T* y,
                           int64_t p0, int64_t p1) {
  const int64_t K = g.kh * g.kw * g.c, OC = g.oc;
  T col[kPB * 27 * 4];  // K <= 27 (conv2d_nhwc.cpp's is_small), room to spare
  T tail[kPB * 4 * kVL];
  const SmallTaps st(g);
  int64_t ident[27];
  for (int64_t k = 0; k < K; ++k) ident[k] = k;
  const int64_t hspan = (g.kh - 1) * g.dh, wspan = (g.kw - 1) * g.dw;
  Pos q(g, p0);
  for (int64_t p = p0; p < p1; p += kPB) {
    const int64_t rows = std::min(kPB, p1 - p);
    const int64_t ih = q.oh * g.sh - g.pt, iw = q.ow * g.sw - g.pl;
    const int64_t iw_last = (q.ow + kPB - 1) * g.sw - g.pl;
    if (rows == kPB && q.ow + kPB <= g.ow && ih >= 0 && iw >= 0 && ih + hspan < g.h &&
        iw_last + wspan < g.w) {  // one output row, every window inside: read x in place
      const T* base = x + ((q.n * g.h + ih) * g.w + iw) * g.c;
      small_block<T, OCV>(base, g.sw * g.c, st.off, K, w, b, y + p * OC, OC);
      for (int64_t r = 0; r < kPB; ++r) q.next(g);
      continue;
    }
    if (rows < kPB) std::fill(col, col + kPB * K, T(0));
    small_cols(g, st, x, q, rows, col);
    for (int64_t r = 0; r < rows; ++r) q.next(g);
    if (rows == kPB) {
      small_block<T, OCV>(col, K, ident, K, w, b, y + p * OC, OC);
    } else {
      small_block<T, OCV>(col, K, ident, K, w, b, tail, OC);
      std::copy(tail, tail + rows * OC, y + p * OC);
    }
  }
}

// dw[k, :] += sum_p col[p, k] dy[p, :] and db += sum_p dy[p, :] over blocks of kWB positions,
// kVL-lane partial sums in registers, positions in order.
constexpr int64_t kWB = 64;
constexpr int kKB = 4;

template <class T, int OCV>
void small_weight_blocked(const ConvNhwcGeom& g, const T* x, const T* dy, T* dw, T* db,
                          int64_t p0, int64_t p1) {
  using V = typename NhwcLanes<T>::type;
  const int64_t K = g.kh * g.kw * g.c, OC = g.oc;
  T col[kWB * 27];
  const SmallTaps st(g);
  Pos q(g, p0);
  for (int64_t p = p0; p < p1; p += kWB) {
    const int64_t rows = std::min(kWB, p1 - p);
    const T* gb = dy + (p - p0) * OC;
    if (db)
      for (int v = 0; v < OCV; ++v) {
        V s = vload(db + v * kVL);
        for (int64_t r = 0; r < rows; ++r) s += vload(gb + r * OC + v * kVL);
        std::memcpy(db + v * kVL, &s, sizeof s);
      }
    if (!dw) continue;
    small_cols(g, st, x, q, rows, col);
    for (int64_t r = 0; r < rows; ++r) q.next(g);
    // kKB rows of dw at a time: each dy vector loaded once feeds kKB * OCV independent FMA
    // chains (one chain per accumulator waited on the FMA latency).
    int64_t k = 0;
    for (; k + kKB <= K; k += kKB) {
      V acc[kKB][OCV];
#pragma GCC unroll 4
      for (int kk = 0; kk < kKB; ++kk)
#pragma GCC unroll 4
        for (int v = 0; v < OCV; ++v) acc[kk][v] = vload(dw + (k + kk) * OC + v * kVL);
      for (int64_t r = 0; r < rows; ++r) {
        V gv[OCV];
#pragma GCC unroll 4
        for (int v = 0; v < OCV; ++v) gv[v] = vload(gb + r * OC + v * kVL);
#pragma GCC unroll 4
        for (int kk = 0; kk < kKB; ++kk) {
          const T xv = col[r * K + k + kk];
#pragma GCC unroll 4
          for (int v = 0; v < OCV; ++v) acc[kk][v] += xv * gv[v];
        }
      }
#pragma GCC unroll 4
      for (int kk = 0; kk < kKB; ++kk)
#pragma GCC unroll 4
        for (int v = 0; v < OCV; ++v)
          std::memcpy(dw + (k + kk) * OC + v * kVL, &acc[kk][v], sizeof(V));
    }
    for (; k < K; ++k) {
      V acc[OCV];
#pragma GCC unroll 4
      for (int v = 0; v < OCV; ++v) acc[v] = vload(dw + k * OC + v * kVL);
      for (int64_t r = 0; r < rows; ++r) {
        const T xv = col[r * K + k];
#pragma GCC unroll 4
        for (int v = 0; v < OCV; ++v) acc[v] += xv * vload(gb + r * OC + v * kVL);
      }
#pragma GCC unroll 4
      for (int v = 0; v < OCV; ++v) std::memcpy(dw + k * OC + v * kVL, &acc[v], sizeof(V));
    }
  }
}

// One pass over the positions when the K x OCV weight accumulators fit in registers with room
// to spare (K * OCV <= 18: the 1-channel 3x3 first layer, K = 9, up to 32 output channels):
// each dy row is read once for the bias and all K weight rows, and with RELU the activation's
// gradient dy * (y > 0) is formed in registers (the multi-pass kernel above needs it written
// out first: 11 MB for MNIST conv1, read back four times). Same order of additions per
// element as small_weight_blocked: bitwise the same sums.
template <class T, int K, int OCV, bool RELU>
void small_weight_onepass(const ConvNhwcGeom& g, const T* x, const T* dy, const T* y, T* dw,
                          T* db, int64_t p0, int64_t p1) {
  using V = typename NhwcLanes<T>::type;
  const int64_t OC = g.oc;
  T col[kWB * K];
  const SmallTaps st(g);
  V acc[K][OCV], bacc[OCV];
  const V zero{};
#pragma GCC unroll 4
  for (int v = 0; v < OCV; ++v) {
    bacc[v] = db ? vload(db + v * kVL) : zero;
#pragma GCC unroll 9
    for (int k = 0; k < K; ++k) acc[k][v] = dw ? vload(dw + k * OC + v * kVL) : zero;
  }
  Pos q(g, p0);
  for (int64_t p = p0; p < p1; p += kWB) {
    const int64_t rows = std::min(kWB, p1 - p);
    if (dw) small_cols(g, st, x, q, rows, col);
    for (int64_t r = 0; r < rows; ++r) q.next(g);
    const T* gb = dy + (p - p0) * OC;
    const T* yb = RELU ? y + (p - p0) * OC : nullptr;
    for (int64_t r = 0; r < rows; ++r) {
      V gv[OCV];
#pragma GCC unroll 4
      for (int v = 0; v < OCV; ++v) {
        gv[v] = vload(gb + r * OC + v * kVL);
        if (RELU) gv[v] = vload(yb + r * OC + v * kVL) > zero ? gv[v] : zero;
        bacc[v] += gv[v];
      }
      if (!dw) continue;
#pragma GCC unroll 9
      for (int k = 0; k < K; ++k) {
        const T xv = col[r * K + k];
#pragma GCC unroll 4
        for (int v = 0; v < OCV; ++v) acc[k][v] += xv * gv[v];
      }
    }
  }
#pragma GCC unroll 4
  for (int v = 0; v < OCV; ++v) {
    if (db) std::memcpy(db + v * kVL, &bacc[v], sizeof(V));
#pragma GCC unroll 9
    for (int k = 0; k < K; ++k)
      if (dw) std::memcpy(dw + k * OC + v * kVL, &acc[k][v], sizeof(V));
  }
}

}  // namespace

#include "conv/depthwise_nhwc_impl.h"
#include "conv/small_k_nhwc_impl.h"

// Forward of image n, Winograd F(4, 3) along the rows (small_k_nhwc_impl.h), where
// conv2d_nhwc.cpp's small_winograd_fits holds (3x3, stride 1, dilation 1, 1-3 input channels,
// OC % 16 == 0). u: the transformed weights (6 per kernel row and input channel, x OC); scratch:
// conv_nhwc_small_winograd_scratch(g) values. No activation (the caller's epilogue).
template <class T>
void conv_nhwc_small_winograd(const ConvNhwcGeom& g, const T* __restrict x, const T* __restrict u,
                              const T* __restrict b, T* __restrict y, int64_t n,
                              T* __restrict scratch) {
  constexpr int TT = kWinoTiles<T>;
  const int64_t tiles = (g.ow + 4 * TT - 1) / (4 * TT) * TT;
  T* d = scratch;
  T* v = scratch + (4 * tiles + 2) * g.c;
  wino_rows_input(g, x, n, tiles, d, v);
  T* yn = y + n * g.oh * g.ow * g.oc;
  if (g.c == 1) return wino_rows_image<T, 1, TT>(g, v, u, b, tiles, yn);
  if (g.c == 2) return wino_rows_image<T, 2, TT>(g, v, u, b, tiles, yn);
  wino_rows_image<T, 3, TT>(g, v, u, b, tiles, yn);
}

// Weight and bias gradient partials of image n through its zero-padded copy (pad: Hp x Wp x C
// scratch, small_k_nhwc_impl.h), added to dw / db (either may be null); dy points at image n's
// rows. Only where conv2d_nhwc.cpp's small_padded_fits holds (KW * C == 9, dilation 1, 16 or
// 32 output channels).
template <class T>
void conv_nhwc_small_weight_padded(const ConvNhwcGeom& g, const T* __restrict x,
                                   const T* __restrict dy, T* __restrict dw, T* __restrict db,
                                   int64_t n, T* __restrict pad) {
  if (dw) pad_image(g, x, n, pad);
  if (g.oc == 32) return small_weight_padded_image<T, 9, 2>(g, pad, dy, dw, db);
  small_weight_padded_image<T, 9, 1>(g, pad, dy, dw, db);
}

// The one-pass weight and bias gradient (small_weight_onepass) where it applies: small dense
// layers with K = KH*KW*C = 9 and 16 or 32 output channels. y: the layer's relu output (dy is
// then the gradient of relu(conv + b)), or null. Returns false, touching nothing, elsewhere.
template <class T>
bool conv_nhwc_small_weight_onepass(const ConvNhwcGeom& g, const T* __restrict x,
                                    const T* __restrict dy, const T* __restrict y,
                                    T* __restrict dw, T* __restrict db, int64_t p0, int64_t p1) {
  if (g.groups != 1 || g.kh * g.kw * g.c != 9 || (g.oc != 16 && g.oc != 32)) return false;
  const bool two = g.oc == 32;
  if (y) {
    if (two) small_weight_onepass<T, 9, 2, true>(g, x, dy, y, dw, db, p0, p1);
    else small_weight_onepass<T, 9, 1, true>(g, x, dy, y, dw, db, p0, p1);
  } else {
    if (two) small_weight_onepass<T, 9, 2, false>(g, x, dy, y, dw, db, p0, p1);
    else small_weight_onepass<T, 9, 1, false>(g, x, dy, y, dw, db, p0, p1);
  }
  return true;
}

// y[p, :] = b + sum over taps and channels of x[tap, c] * w[i, j, c, :], groups == 1.
template <class T>
void conv_nhwc_small_forward(const ConvNhwcGeom& g, const T* __restrict x,
                             const T* __restrict w, const T* __restrict b, T* __restrict y,
                             int64_t p0, int64_t p1) {
  const int64_t OC = g.oc;
  if (OC % kVL == 0 && g.kh * g.kw * g.c <= 27) {
    switch (OC / kVL) {
      case 1: return small_forward_blocked<T, 1>(g, x, w, b, y, p0, p1);
      case 2: return small_forward_blocked<T, 2>(g, x, w, b, y, p0, p1);
      case 3: return small_forward_blocked<T, 3>(g, x, w, b, y, p0, p1);
      case 4: return small_forward_blocked<T, 4>(g, x, w, b, y, p0, p1);
      default: break;
    }
  }
  Pos q(g, p0);
  for (int64_t p = p0; p < p1; ++p, q.next(g)) {
    T* yr = y + p * OC;
    for (int64_t o0 = 0; o0 < OC; o0 += kOB) {
      const int64_t nb = std::min(kOB, OC - o0);
      T acc[kOB];
      for (int64_t o = 0; o < kOB; ++o) acc[o] = (b && o < nb) ? b[o0 + o] : T(0);
      for (int64_t i = 0; i < g.kh; ++i)
        for (int64_t j = 0; j < g.kw; ++j) {
          const int64_t off = tap(g, q, i, j);
          if (off < 0) continue;
          const T* xs = x + off;
          const T* wk = w + (i * g.kw + j) * g.c * OC + o0;
          for (int64_t c = 0; c < g.c; ++c) {
            const T v = xs[c];
            const T* wr = wk + c * OC;
            if (nb == kOB) {
#pragma omp simd
              for (int64_t o = 0; o < kOB; ++o) acc[o] += v * wr[o];
            } else {
              for (int64_t o = 0; o < nb; ++o) acc[o] += v * wr[o];
            }
          }
        }
      for (int64_t o = 0; o < nb; ++o) yr[o0 + o] = acc[o];
    }
  }
}

// Depthwise: y[p, c] = b[c] + sum over taps of x[tap, c] * w[i, j, 0, c] (depthwise_nhwc_impl.h).
template <class T>
void conv_nhwc_depthwise_forward(const ConvNhwcGeom& g, const T* __restrict x,
                                 const T* __restrict w, const T* __restrict b, T* __restrict y,
                                 int64_t p0, int64_t p1) {
  depthwise_forward_rows(g, x, w, b, y, p0, p1);
}

// Depthwise input gradient for whole images [n0, n1): dx (overwritten) = sum over positions and
// taps of dy[p, c] * w[i, j, 0, c] at the tap's pixel. Stride 1: the forward on dy with the
// kernel flipped and padding (k - 1) d - p (each dx value gathered and written once); strided,
// dy scattered tap by tap.
template <class T>
void conv_nhwc_depthwise_backward_input(const ConvNhwcGeom& g, const T* __restrict dy,
                                        const T* __restrict w, T* __restrict dx, int64_t n0,
                                        int64_t n1) {
  const int64_t C = g.c, L = g.oh * g.ow, KK = g.kh * g.kw;
  if (g.sh == 1 && g.sw == 1) {
    ConvNhwcGeom f = g;  // dy (n, oh, ow, C) -> dx (n, h, w, C)
    f.h = g.oh, f.w = g.ow, f.oh = g.h, f.ow = g.w;
    f.pt = (g.kh - 1) * g.dh - g.pt, f.pl = (g.kw - 1) * g.dw - g.pl;
    T* wf = static_cast<T*>(std::malloc(sizeof(T) * KK * C));
    if (wf != nullptr) {  // (else the scatter below, which needs no scratch)
      for (int64_t t = 0; t < KK; ++t)
        std::memcpy(wf + t * C, w + (KK - 1 - t) * C, sizeof(T) * C);
      depthwise_forward_rows(f, dy, wf, static_cast<const T*>(nullptr), dx, n0 * g.h * g.w,
                             n1 * g.h * g.w);
      std::free(wf);
      return;
    }
  }
  std::fill(dx + n0 * g.h * g.w * C, dx + n1 * g.h * g.w * C, T(0));
  Pos q(g, n0 * L);
  for (int64_t p = n0 * L; p < n1 * L; ++p, q.next(g)) {
    const T* gr = dy + p * C;
    for (int64_t i = 0; i < g.kh; ++i)
      for (int64_t j = 0; j < g.kw; ++j) {
        const int64_t off = tap(g, q, i, j);
        if (off < 0) continue;
        T* d = dx + off;
        const T* wk = w + (i * g.kw + j) * C;
#pragma omp simd
        for (int64_t c = 0; c < C; ++c) d[c] += gr[c] * wk[c];
      }
  }
}

// Weight and bias gradient partials over positions [p0, p1), added to dw (KH*KW*Cg x OC) and
// db (OC) in position order; either may be null; dy points at position p0's row. Small-K dense
// or depthwise, as in forward.
template <class T>
void conv_nhwc_direct_backward_weight(const ConvNhwcGeom& g, const T* __restrict x,
                                      const T* __restrict dy, T* __restrict dw,
                                      T* __restrict db, int64_t p0, int64_t p1) {
  const int64_t OC = g.oc;
  const bool depthwise = g.cg() == 1 && g.groups > 1;
  if (depthwise && g.kh == 3 && g.kw == 3)
    return depthwise_weight_rows_3x3(g, x, dy, dw, db, p0, p1);
  if (!depthwise && OC % kVL == 0 && g.kh * g.kw * g.c <= 27) {
    switch (OC / kVL) {
      case 1: return small_weight_blocked<T, 1>(g, x, dy, dw, db, p0, p1);
      case 2: return small_weight_blocked<T, 2>(g, x, dy, dw, db, p0, p1);
      case 3: return small_weight_blocked<T, 3>(g, x, dy, dw, db, p0, p1);
      case 4: return small_weight_blocked<T, 4>(g, x, dy, dw, db, p0, p1);
      default: break;
    }
  }
  Pos q(g, p0);
  for (int64_t p = p0; p < p1; ++p, q.next(g)) {
    const T* gr = dy + (p - p0) * OC;
    if (db) {
#pragma omp simd
      for (int64_t o = 0; o < OC; ++o) db[o] += gr[o];
    }
    if (!dw) continue;
    for (int64_t i = 0; i < g.kh; ++i)
      for (int64_t j = 0; j < g.kw; ++j) {
        const int64_t off = tap(g, q, i, j);
        if (off < 0) continue;
        const T* xs = x + off;
        if (depthwise) {
          T* d = dw + (i * g.kw + j) * OC;
#pragma omp simd
          for (int64_t c = 0; c < OC; ++c) d[c] += xs[c] * gr[c];
          continue;
        }
        for (int64_t c = 0; c < g.c; ++c) {
          const T v = xs[c];
          T* d = dw + ((i * g.kw + j) * g.c + c) * OC;
#pragma omp simd
          for (int64_t o = 0; o < OC; ++o) d[o] += v * gr[o];
        }
      }
  }
}

#define PE_CONV_NHWC_DIRECT_INSTANTIATE(T)                                                       \
  template void conv_nhwc_small_forward<T>(const ConvNhwcGeom&, const T*, const T*, const T*, T*, \
                                           int64_t, int64_t);                                    \
  template void conv_nhwc_depthwise_forward<T>(const ConvNhwcGeom&, const T*, const T*,          \
                                               const T*, T*, int64_t, int64_t);                  \
  template void conv_nhwc_depthwise_backward_input<T>(const ConvNhwcGeom&, const T*, const T*,   \
                                                      T*, int64_t, int64_t);                     \
  template void conv_nhwc_direct_backward_weight<T>(const ConvNhwcGeom&, const T*, const T*, T*, \
                                                    T*, int64_t, int64_t);                       \
  template bool conv_nhwc_small_weight_onepass<T>(const ConvNhwcGeom&, const T*, const T*,       \
                                                  const T*, T*, T*, int64_t, int64_t);            \
  template void conv_nhwc_small_winograd<T>(const ConvNhwcGeom&, const T*, const T*, const T*,    \
                                            T*, int64_t, T*);                                    \
  template void conv_nhwc_small_weight_padded<T>(const ConvNhwcGeom&, const T*, const T*, T*, T*,  \
                                                 int64_t, T*);
PE_CONV_NHWC_DIRECT_INSTANTIATE(float)
PE_CONV_NHWC_DIRECT_INSTANTIATE(double)
#undef PE_CONV_NHWC_DIRECT_INSTANTIATE

}  // namespace PE_ISA_NS
}  // namespace pyengine
