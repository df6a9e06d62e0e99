// Channels-last Winograd F(2x2, 3x3) and F(4x4, 3x3) tile loops (winograd_nhwc.h), compiled per
// ISA: included by winograd_<isa>.cpp after winograd_impl.h, whose per-TU scratch (WgScratch),
// threading (run_items) and helpers it shares.
//
// Each transform is one loop over the channels of a tile (vectorised by the compiler, unit
// stride in x / y and in V / M): T*T input pixels read in place (a zero row stands in for the
// padding), T*T rows of V written (T = m + 2 = 4 or 6). V and M are (k, tile, channel), so each
// GEMM is M_k (tiles x OC) = V_k (tiles x C) * U_k (C x OC) and the weight gradient's
// Z_k (C x OC) += V_k^T (C x tiles) * M_k (tiles x OC), both with plain row-major operands.
// The loops are written once over the tile size; the 1-D transforms of each F(m x m, 3 x 3)
// (WgF2, WgF4) are spelled out, since a generic matrix product would multiply by the zeros
// (which the compiler may not drop: 0 * inf is NaN).
#include <cstring>

#include "conv/winograd_nhwc.h"

namespace pyengine {
namespace PE_ISA_NS {
namespace {

#define PE_WG_INLINE __attribute__((always_inline)) static inline
// Loops over the tile's T or T*T positions, unrolled before the vectoriser runs (otherwise GCC
// 12 leaves the 6-wide loops of F(4x4) in place and the channel loop scalar).
#define PE_UNROLL _Pragma("GCC unroll 36")

// The transforms run on kLanes channels at a time as one GCC vector (a zmm on AVX-512, split by
// the compiler on narrower ISAs; one source for every ISA's translation unit), the last
// C % kLanes channels one by one through the same functions with V = T. Written out rather
// than left to the vectoriser: GCC 12 kept the F(4x4) channel loops scalar (each value is read
// through a pointer table, and the 6-wide loops are not unrolled before it runs).
// (Vectors pass by value only between always-inline functions: no ABI crosses a call.)
#pragma GCC diagnostic ignored "-Wpsabi"
template <class T>
struct WgLanes {
  static constexpr int64_t n = 64 / int64_t(sizeof(T));
  typedef T type __attribute__((vector_size(64)));
};
template <class V, class T>
PE_WG_INLINE V wg_load(const T* p) {
  V v;
  std::memcpy(&v, p, sizeof v);
  return v;
}
template <class V, class T>
PE_WG_INLINE void wg_store(T* p, const V& v) {
  std::memcpy(p, &v, sizeof v);
}

// F(2x2, 3x3): B^T = [1 0 -1 0; 0 1 1 0; 0 -1 1 0; 0 1 0 -1], A^T = [1 1 1 0; 0 1 -1 -1].
struct WgF2 {
  static constexpr int M = 2, TT = 4;
  template <class S, class V> PE_WG_INLINE void in(const V* d, V* r) {  // r = B^T d
    r[0] = d[0] - d[2];
    r[1] = d[1] + d[2];
    r[2] = d[2] - d[1];
    r[3] = d[1] - d[3];
  }
  template <class S, class V> PE_WG_INLINE void out(const V* m, V* r) {  // r = A^T m
    r[0] = m[0] + m[1] + m[2];
    r[1] = m[1] - m[2] - m[3];
  }
  template <class S, class V> PE_WG_INLINE void adj_out(const V* e, V* r) {  // r = A e
    r[0] = e[0];
    r[1] = e[0] + e[1];
    r[2] = e[0] - e[1];
    r[3] = -e[1];
  }
  template <class S, class V> PE_WG_INLINE void adj_w(const V* z, V* r) {  // r = G^T z
    const V h = (z[1] + z[2]) * S(0.5);
    r[0] = z[0] + h;
    r[1] = (z[1] - z[2]) * S(0.5);
    r[2] = h + z[3];
  }
};

// F(4x4, 3x3), points 0, 1, -1, 2, -2, infinity:
//   B^T = [4 0 -5 0 1 0; 0 -4 -4 1 1 0; 0 4 -4 -1 1 0; 0 -2 -1 2 1 0; 0 2 -1 -2 1 0;
//          0 4 0 -5 0 1]
//   A^T = [1 1 1 1 1 0; 0 1 -1 2 -2 0; 0 1 1 4 4 0; 0 1 -1 8 -8 1]
//   G   = [1/4 0 0; -1/6 -1/6 -1/6; -1/6 1/6 -1/6; 1/24 1/12 1/6; 1/24 -1/12 1/6; 0 0 1]
struct WgF4 {
  static constexpr int M = 4, TT = 6;
  template <class S, class V> PE_WG_INLINE void in(const V* d, V* r) {
    const V a = d[4] - S(4) * d[2], b = d[3] - S(4) * d[1];
    const V c = d[4] - d[2], e = S(2) * (d[3] - d[1]);
    r[0] = S(4) * d[0] - S(5) * d[2] + d[4];
    r[1] = a + b;
    r[2] = a - b;
    r[3] = c + e;
    r[4] = c - e;
    r[5] = S(4) * d[1] - S(5) * d[3] + d[5];
  }
  template <class S, class V> PE_WG_INLINE void out(const V* m, V* r) {
    const V a = m[1] + m[2], b = m[1] - m[2], c = m[3] + m[4], e = m[3] - m[4];
    r[0] = m[0] + a + c;
    r[1] = b + S(2) * e;
    r[2] = a + S(4) * c;
    r[3] = b + S(8) * e + m[5];
  }
  template <class S, class V> PE_WG_INLINE void adj_out(const V* e, V* r) {  // A = (A^T)^T, 6 x 4
    const V s02 = e[0] + e[2], s13 = e[1] + e[3];
    const V q02 = e[0] + S(4) * e[2], q13 = S(2) * e[1] + S(8) * e[3];
    r[0] = e[0];
    r[1] = s02 + s13;
    r[2] = s02 - s13;
    r[3] = q02 + q13;
    r[4] = q02 - q13;
    r[5] = e[3];
  }
  template <class S, class V> PE_WG_INLINE void adj_w(const V* z, V* r) {  // G^T z, 3 values
    const V p12 = z[1] + z[2], m12 = z[1] - z[2], p34 = z[3] + z[4], m34 = z[3] - z[4];
    r[0] = z[0] * S(0.25) - p12 / S(6) + p34 / S(24);
    r[1] = -m12 / S(6) + m34 / S(12);
    r[2] = -p12 / S(6) + p34 / S(6) + z[5];
  }
};

// Tiles per block: V and M (T*T * (C + OC) * tiles values) within ~1 MiB of L2, in multiples of
// 48 (whole GEMM micro-tiles for MR 6, 12, 16), 96 to 288. Geometry only.
template <class W, class T>
int64_t nhwc_tiles_per_block(const WinogradNhwcGeom& g) {
  const int64_t per_tile = W::TT * W::TT * (g.c + g.oc) * int64_t(sizeof(T));
  return imin(288, imax(96, (int64_t{1} << 20) / per_tile / 48 * 48));
}

template <class W>
struct NhwcPlan {
  static constexpr int64_t KK = W::TT * W::TT;  // transformed positions
  int64_t th, tw, total, tb, nblocks, vk, mk, scratch;
  template <class T>
  NhwcPlan(const WinogradNhwcGeom& g, T*) {
    th = (g.oh + W::M - 1) / W::M;
    tw = (g.ow + W::M - 1) / W::M;
    total = g.n * th * tw;
    tb = nhwc_tiles_per_block<W, T>(g);
    nblocks = (total + tb - 1) / tb;
    // One cache line between the KK matrices, so that a power-of-two size does not put the
    // rows a transform touches together into one cache set.
    vk = tb * g.c + 64 / int64_t(sizeof(T));
    mk = tb * g.oc + 64 / int64_t(sizeof(T));
    // V, M, a zero row (the padding's pixel, a missing bias) and a dump pixel (outputs off the
    // plane).
    scratch = KK * (vk + mk) + imax(g.c, g.oc) + g.oc;
  }
};

// Tile t's image and top-left output pixel.
struct TilePos {
  int64_t n, oh, ow;
};
inline TilePos tile_pos(int64_t t, int64_t th, int64_t tw, int64_t m) {
  const int64_t per = th * tw, r = t % per;
  return {t / per, m * (r / tw), m * (r % tw)};
}

// V[k][q][ch..] = (B^T d B)[k] for channels ch.. (one vector V, or one value) of the T x T
// patch d (d[k]: pixel k's channels).
template <class W, class T, class V>
PE_WG_INLINE void input_lanes(const T* const* d, int64_t ch, T* out, int64_t vk) {
  constexpr int TT = W::TT;
  V h[TT][TT];  // rows: h = d B
  PE_UNROLL
  for (int i = 0; i < TT; ++i) {
    V row[TT];
    PE_UNROLL
    for (int s = 0; s < TT; ++s) row[s] = wg_load<V>(d[i * TT + s] + ch);
    W::template in<T>(row, h[i]);
  }
  PE_UNROLL
  for (int s = 0; s < TT; ++s) {  // columns: V = B^T h
    V col[TT], r[TT];
    PE_UNROLL
    for (int i = 0; i < TT; ++i) col[i] = h[i][s];
    W::template in<T>(col, r);
    PE_UNROLL
    for (int i = 0; i < TT; ++i) wg_store(out + (i * TT + s) * vk + ch, r[i]);
  }
}

// V[k][q][c] = (B^T d B)[k] for the T x T input patch d (channel c) under tile t0 + q.
template <class W, class T>
void nhwc_input_transform(const WinogradNhwcGeom& g, const NhwcPlan<W>& p, const T* x,
                          int64_t t0, int64_t nt, T* __restrict v, const T* zeros) {
  constexpr int TT = W::TT;
  using Vec = typename WgLanes<T>::type;
  constexpr int64_t L = WgLanes<T>::n;
  const int64_t c = g.c, vk = p.vk;
  for (int64_t q = 0; q < nt; ++q) {
    const TilePos tp = tile_pos(t0 + q, p.th, p.tw, W::M);
    const T* img = x + tp.n * g.h * g.w * c;
    const T* d[TT * TT];
    for (int r = 0; r < TT; ++r) {
      const int64_t ih = tp.oh - g.pt + r;
      for (int s = 0; s < TT; ++s) {
        const int64_t iw = tp.ow - g.pl + s;
        d[r * TT + s] = (ih < 0 || ih >= g.h || iw < 0 || iw >= g.w)
                            ? zeros : img + (ih * g.w + iw) * c;
      }
    }
    T* out = v + q * c;
    int64_t ch = 0;
    for (; ch + L <= c; ch += L) input_lanes<W, T, Vec>(d, ch, out, vk);
    for (; ch < c; ++ch) input_lanes<W, T, T>(d, ch, out, vk);
  }
}

// One tile's m x m outputs for channels o.. (one vector V, or one value):
// y_ab[o] = (A^T M[.][o] A)_ab + b[o], relu'd when RELU (x <= 0 -> 0 keeps NaN, as
// act_forward).
template <class W, class T, class V, bool RELU>
PE_WG_INLINE void output_lanes(const T* in, int64_t mk, const T* b, int64_t o, T* const* ys) {
  constexpr int TT = W::TT, M = W::M;
  V t[M][TT];  // rows: t = A^T M
  PE_UNROLL
  for (int s = 0; s < TT; ++s) {
    V col[TT], r[M];
    PE_UNROLL
    for (int i = 0; i < TT; ++i) col[i] = wg_load<V>(in + (i * TT + s) * mk + o);
    W::template out<T>(col, r);
    PE_UNROLL
    for (int a = 0; a < M; ++a) t[a][s] = r[a];
  }
  const V bias = wg_load<V>(b + o), zero{};
  PE_UNROLL
  for (int a = 0; a < M; ++a) {
    V r[M];
    W::template out<T>(t[a], r);
    PE_UNROLL
    for (int bb = 0; bb < M; ++bb) {
      V val = r[bb] + bias;
      if (RELU) val = val <= zero ? zero : val;
      wg_store(ys[a * M + bb] + o, val);
    }
  }
}

template <class W, class T, bool RELU>
void output_tile(const T* in, int64_t mk, const T* b, int64_t oc, T* const* ys) {
  using Vec = typename WgLanes<T>::type;
  constexpr int64_t L = WgLanes<T>::n;
  int64_t o = 0;
  for (; o + L <= oc; o += L) output_lanes<W, T, Vec, RELU>(in, mk, b, o, ys);
  for (; o < oc; ++o) output_lanes<W, T, T, RELU>(in, mk, b, o, ys);
}

// The m x m outputs of tile t0 + q = A^T M[.][q][o] A + b[o] (b: the bias, or a zero row), then
// the activation; pixels off the output plane go to the dump row. relu runs inside the loop,
// the other activations per output pixel afterwards.
template <class W, class T>
void nhwc_output_transform(const WinogradNhwcGeom& g, const NhwcPlan<W>& p,
                           const T* __restrict m, const T* b, const ConvAct& act, int64_t t0,
                           int64_t nt, T* y, T* dump) {
  constexpr int M = W::M;
  const int64_t oc = g.oc, mk = p.mk;
  const bool relu = act.on && act.act == Act::relu, other = act.on && !relu;
  for (int64_t q = 0; q < nt; ++q) {
    const TilePos tp = tile_pos(t0 + q, p.th, p.tw, M);
    T* img = y + tp.n * g.oh * g.ow * oc;
    T* o_[M * M];
    PE_UNROLL
    for (int a = 0; a < M; ++a)
      PE_UNROLL
      for (int bb = 0; bb < M; ++bb) {
        const int64_t oh = tp.oh + a, ow = tp.ow + bb;
        o_[a * M + bb] = (oh < g.oh && ow < g.ow) ? img + (oh * g.ow + ow) * oc : dump;
      }
    if (relu)
      output_tile<W, T, true>(m + q * oc, mk, b, oc, o_);
    else
      output_tile<W, T, false>(m + q * oc, mk, b, oc, o_);
    if (other)
      PE_UNROLL
      for (int i = 0; i < M * M; ++i)
        if (o_[i] != dump) act_forward<T>(act.act, act.prm, o_[i], o_[i], oc);
  }
}

// M[k][q][o..] = (A e A^T)[k] for channels o.. (one vector V, or one value) of the m x m
// block e of dy (e[k]: pixel k's channels).
template <class W, class T, class V>
PE_WG_INLINE void grad_output_lanes(const T* const* e, int64_t o, T* out, int64_t mk) {
  constexpr int TT = W::TT, M = W::M;
  V f[TT][M];  // A e, column by column
  PE_UNROLL
  for (int bb = 0; bb < M; ++bb) {
    V col[M], r[TT];
    PE_UNROLL
    for (int a = 0; a < M; ++a) col[a] = wg_load<V>(e[a * M + bb] + o);
    W::template adj_out<T>(col, r);
    PE_UNROLL
    for (int k = 0; k < TT; ++k) f[k][bb] = r[k];
  }
  PE_UNROLL
  for (int k = 0; k < TT; ++k) {  // (A e) A^T, row by row
    V r[TT];
    W::template adj_out<T>(f[k], r);
    PE_UNROLL
    for (int s = 0; s < TT; ++s) wg_store(out + (k * TT + s) * mk + o, r[s]);
  }
}

// The adjoint of the output transform: M[k][q][o] = (A e A^T)[k] for the m x m block e of dy
// under tile t0 + q (zeros where the tile overhangs the output plane).
template <class W, class T>
void nhwc_grad_output_transform(const WinogradNhwcGeom& g, const NhwcPlan<W>& p, const T* dy,
                                int64_t t0, int64_t nt, T* __restrict m, const T* zeros) {
  constexpr int M = W::M;
  using Vec = typename WgLanes<T>::type;
  constexpr int64_t L = WgLanes<T>::n;
  const int64_t oc = g.oc, mk = p.mk;
  for (int64_t q = 0; q < nt; ++q) {
    const TilePos tp = tile_pos(t0 + q, p.th, p.tw, M);
    const T* img = dy + tp.n * g.oh * g.ow * oc;
    const T* e[M * M];
    for (int a = 0; a < M; ++a)
      for (int bb = 0; bb < M; ++bb) {
        const int64_t oh = tp.oh + a, ow = tp.ow + bb;
        e[a * M + bb] = (oh < g.oh && ow < g.ow) ? img + (oh * g.ow + ow) * oc : zeros;
      }
    T* out = m + q * oc;
    int64_t o = 0;
    for (; o + L <= oc; o += L) grad_output_lanes<W, T, Vec>(e, o, out, mk);
    for (; o < oc; ++o) grad_output_lanes<W, T, T>(e, o, out, mk);
  }
}

template <class W, class T>
void nhwc_forward_impl(const WinogradNhwcGeom& g, const T* x, const T* u, const T* b,
                       const ConvAct& act, T* y) {
  const NhwcPlan<W> p(g, static_cast<T*>(nullptr));
  if (p.total <= 0 || g.oc <= 0) return;
  run_items<T>(p.nblocks, p.scratch, [&](int64_t blk, T* s) {
    T* v = s;
    T* m = v + p.KK * p.vk;
    T* zeros = m + p.KK * p.mk;  // max(C, OC) zeros: the padding's pixel, or the missing bias
    T* dump = zeros + imax(g.c, g.oc);
    zero_n(zeros, imax(g.c, g.oc));
    const int64_t t0 = blk * p.tb, nt = imin(p.tb, p.total - t0);
    nhwc_input_transform(g, p, x, t0, nt, v, zeros);
    gemm_batched<T>(p.KK, nt, g.oc, g.c, T(1), v, p.vk, g.c, 1, u, g.c * g.oc, g.oc, 1, T(0), m,
                    p.mk, g.oc, 1);
    nhwc_output_transform(g, p, m, b ? b : zeros, act, t0, nt, y, dump);
  });
}

// Fixed chunks of blocks (about 16384 transformed tile positions each, at most 16; never the
// thread count), each summing its blocks in order into its own Z; the chunks' Z added in chunk
// order, then dw = G^T Z G.
template <class W, class T>
void nhwc_weight_grad_impl(const WinogradNhwcGeom& g, const T* x, const T* dy, T* dw) {
  constexpr int TT = W::TT;
  const NhwcPlan<W> p(g, static_cast<T*>(nullptr));
  const int64_t pairs = g.c * g.oc, zsize = p.KK * pairs;
  if (p.total <= 0) {
    for (int64_t i = 0; i < 9 * pairs; ++i) dw[i] = T(0);
    return;
  }
  const int64_t cap = imax(1, (int64_t{64} << 20) / int64_t(sizeof(T)) / zsize);
  const int64_t chunks = imax(1, imin(imin(p.total * p.KK / 16384, 16), cap));
  WgScratch<T> z(chunks * zsize);
  run_items<T>(chunks, p.scratch, [&](int64_t ch, T* s) {
    T* v = s;
    T* m = v + p.KK * p.vk;
    T* zeros = m + p.KK * p.mk;
    zero_n(zeros, imax(g.c, g.oc));
    const int64_t b0 = p.nblocks * ch / chunks, b1 = p.nblocks * (ch + 1) / chunks;
    for (int64_t blk = b0; blk < b1; ++blk) {
      const int64_t t0 = blk * p.tb, nt = imin(p.tb, p.total - t0);
      nhwc_input_transform(g, p, x, t0, nt, v, zeros);
      nhwc_grad_output_transform(g, p, dy, t0, nt, m, zeros);
      gemm_batched<T>(p.KK, g.c, g.oc, nt, T(1), v, p.vk, 1, g.c, m, p.mk, g.oc, 1,
                      blk == b0 ? T(0) : T(1), z.p + ch * zsize, pairs, g.oc, 1);
    }
  });
  const int nthreads = omp_in_parallel() ? 1 : omp_get_max_threads();
#pragma omp parallel for num_threads(nthreads) schedule(static) if (pairs > 1024)
  for (int64_t pr = 0; pr < pairs; ++pr) {  // pr = c * OC + o
    T zk[TT][TT];
    PE_UNROLL
    for (int k = 0; k < TT * TT; ++k) {
      T acc = z.p[k * pairs + pr];
      for (int64_t ch = 1; ch < chunks; ++ch) acc += z.p[ch * zsize + k * pairs + pr];
      zk[k / TT][k % TT] = acc;
    }
    T q[3][TT];  // G^T Z, column by column
    PE_UNROLL
    for (int s = 0; s < TT; ++s) {
      T col[TT], r[3];
      PE_UNROLL
      for (int i = 0; i < TT; ++i) col[i] = zk[i][s];
      W::template adj_w<T>(col, r);
      PE_UNROLL
      for (int i = 0; i < 3; ++i) q[i][s] = r[i];
    }
    PE_UNROLL
    for (int i = 0; i < 3; ++i) {  // (G^T Z) G, into dw[i][j][c][o]
      T r[3];
      W::template adj_w<T>(q[i], r);
      PE_UNROLL
      for (int j = 0; j < 3; ++j) dw[(i * 3 + j) * pairs + pr] = r[j];
    }
  }
}

#undef PE_WG_INLINE
#undef PE_UNROLL

}  // namespace

template <class T>
void winograd_nhwc_conv3x3(const WinogradNhwcGeom& g, const T* x, const T* u, const T* b,
                           ConvAct act, T* y) {
  if (g.m == 4) return nhwc_forward_impl<WgF4>(g, x, u, b, act, y);
  nhwc_forward_impl<WgF2>(g, x, u, b, act, y);
}

template <class T>
void winograd_nhwc_conv3x3_backward_weight(const WinogradNhwcGeom& g, const T* x, const T* dy,
                                           T* dw) {
  if (g.m == 4) return nhwc_weight_grad_impl<WgF4>(g, x, dy, dw);
  nhwc_weight_grad_impl<WgF2>(g, x, dy, dw);
}

template void winograd_nhwc_conv3x3<float>(const WinogradNhwcGeom&, const float*, const float*,
                                           const float*, ConvAct, float*);
template void winograd_nhwc_conv3x3<double>(const WinogradNhwcGeom&, const double*,
                                            const double*, const double*, ConvAct, double*);
template void winograd_nhwc_conv3x3_backward_weight<float>(const WinogradNhwcGeom&, const float*,
                                                           const float*, float*);
template void winograd_nhwc_conv3x3_backward_weight<double>(const WinogradNhwcGeom&,
                                                            const double*, const double*,
                                                            double*);

}  // namespace PE_ISA_NS
}  // namespace pyengine
