// Channels-last Winograd F(2x2, 3x3) tile loop (winograd_nhwc.h), compiled per ISA: included by
// winograd_<isa>.cpp after winograd_impl.h, whose per-TU scratch (WgScratch), threading
// (run_items) and helpers it shares.
//
// Each transform is one loop over the channels of a tile (vectorised by the compiler, unit
// stride in x / y and in V / M): 16 input pixels read in place (a zero row stands in for the
// padding), 16 rows of V written. V and M are (k, tile, channel), so each GEMM is
// M_k (tiles x OC) = V_k (tiles x C) * U_k (C x OC) and the weight gradient's
// Z_k (C x OC) += V_k^T (C x tiles) * M_k (tiles x OC), both with plain row-major operands.
#include "conv/winograd_nhwc.h"

namespace pyengine {
namespace PE_ISA_NS {
namespace {

// Tiles per block: V and M (16 * (C + OC) * tiles values) within ~1 MiB of L2, in multiples of
// 48 (whole GEMM micro-tiles for MR 6, 12, 16), 96 to 288. Geometry only.
template <class T>
int64_t nhwc_tiles_per_block(const WinogradNhwcGeom& g) {
  const int64_t per_tile = 16 * (g.c + g.oc) * int64_t(sizeof(T));
  return imin(288, imax(96, (int64_t{1} << 20) / per_tile / 48 * 48));
}

struct NhwcPlan {
  int64_t th, tw, total, tb, nblocks, vk, mk, scratch;
  template <class T>
  NhwcPlan(const WinogradNhwcGeom& g, T*) {
    th = (g.oh + 1) / 2;
    tw = (g.ow + 1) / 2;
    total = g.n * th * tw;
    tb = nhwc_tiles_per_block<T>(g);
    nblocks = (total + tb - 1) / tb;
    // One cache line between the 16 matrices, so that a power-of-two size does not put the 16
    // rows a transform touches together into one cache set.
    vk = tb * g.c + 64 / int64_t(sizeof(T));
    mk = tb * g.oc + 64 / int64_t(sizeof(T));
    // V, M, a zero pixel (stands in for the padding) and a dump pixel (outputs off the plane).
    scratch = 16 * (vk + mk) + g.c + g.oc;
  }
};

// Tile t's image and top-left output pixel.
struct TilePos {
  int64_t n, oh, ow;
};
inline TilePos tile_pos(int64_t t, int64_t th, int64_t tw) {
  const int64_t per = th * tw, r = t % per;
  return {t / per, 2 * (r / tw), 2 * (r % tw)};
}

// V[k][q][c] = (B^T d B)[k] for the 4x4 input patch d (channel c) under tile t0 + q.
template <class T>
void nhwc_input_transform(const WinogradNhwcGeom& g, const NhwcPlan& p, const T* x, int64_t t0,
                          int64_t nt, T* __restrict v, const T* zeros) {
  const int64_t c = g.c, vk = p.vk;
  for (int64_t q = 0; q < nt; ++q) {
    const TilePos tp = tile_pos(t0 + q, p.th, p.tw);
    const T* img = x + tp.n * g.h * g.w * c;
    const T* d[16];
    for (int r = 0; r < 4; ++r) {
      const int64_t ih = tp.oh - g.pt + r;
      for (int s = 0; s < 4; ++s) {
        const int64_t iw = tp.ow - g.pl + s;
        d[r * 4 + s] = (ih < 0 || ih >= g.h || iw < 0 || iw >= g.w) ? zeros
                                                                     : img + (ih * g.w + iw) * c;
      }
    }
    T* out = v + q * c;
#pragma omp simd
    for (int64_t ch = 0; ch < c; ++ch) {
      T h[4][4];  // rows: h = d B
      for (int i = 0; i < 4; ++i) {
        const T d0 = d[i * 4][ch], d1 = d[i * 4 + 1][ch], d2 = d[i * 4 + 2][ch],
                d3 = d[i * 4 + 3][ch];
        h[i][0] = d0 - d2;
        h[i][1] = d1 + d2;
        h[i][2] = d2 - d1;
        h[i][3] = d1 - d3;
      }
      for (int s = 0; s < 4; ++s) {  // columns: V = B^T h
        out[(0 * 4 + s) * vk + ch] = h[0][s] - h[2][s];
        out[(1 * 4 + s) * vk + ch] = h[1][s] + h[2][s];
        out[(2 * 4 + s) * vk + ch] = h[2][s] - h[1][s];
        out[(3 * 4 + s) * vk + ch] = h[1][s] - h[3][s];
      }
    }
  }
}

// The 2x2 outputs of tile t0 + q = A^T M[.][q][o] A + b[o], then the activation; pixels off the
// output plane go to the dump row. relu runs inside the loop (x <= 0 -> 0 keeps NaN, as
// act_forward), the other activations per output pixel afterwards.
template <class T>
void nhwc_output_transform(const WinogradNhwcGeom& g, const NhwcPlan& p, const T* __restrict m,
                           const T* b, const ConvAct& act, int64_t t0, int64_t nt, T* y,
                           T* dump) {
  const int64_t oc = g.oc, mk = p.mk;
  const bool relu = act.on && act.act == Act::relu, other = act.on && !relu;
  for (int64_t q = 0; q < nt; ++q) {
    const TilePos tp = tile_pos(t0 + q, p.th, p.tw);
    T* img = y + tp.n * g.oh * g.ow * oc;
    T* o_[4];
    for (int a = 0; a < 2; ++a)
      for (int bb = 0; bb < 2; ++bb) {
        const int64_t oh = tp.oh + a, ow = tp.ow + bb;
        o_[a * 2 + bb] = (oh < g.oh && ow < g.ow) ? img + (oh * g.ow + ow) * oc : dump;
      }
    T* __restrict y00 = o_[0];
    T* __restrict y01 = o_[1];
    T* __restrict y10 = o_[2];
    T* __restrict y11 = o_[3];
    const T* in = m + q * oc;
#pragma omp simd
    for (int64_t o = 0; o < oc; ++o) {
      T t[2][4];  // rows: t = A^T M
      for (int s = 0; s < 4; ++s) {
        const T m0 = in[(0 * 4 + s) * mk + o], m1 = in[(1 * 4 + s) * mk + o];
        const T m2 = in[(2 * 4 + s) * mk + o], m3 = in[(3 * 4 + s) * mk + o];
        t[0][s] = m0 + m1 + m2;
        t[1][s] = m1 - m2 - m3;
      }
      const T bias = b ? b[o] : T(0);
      T r00 = t[0][0] + t[0][1] + t[0][2] + bias, r01 = t[0][1] - t[0][2] - t[0][3] + bias;
      T r10 = t[1][0] + t[1][1] + t[1][2] + bias, r11 = t[1][1] - t[1][2] - t[1][3] + bias;
      if (relu) {
        r00 = r00 <= T(0) ? T(0) : r00;
        r01 = r01 <= T(0) ? T(0) : r01;
        r10 = r10 <= T(0) ? T(0) : r10;
        r11 = r11 <= T(0) ? T(0) : r11;
      }
      y00[o] = r00;
      y01[o] = r01;
      y10[o] = r10;
      y11[o] = r11;
    }
    if (other)
      for (int i = 0; i < 4; ++i)
        if (o_[i] != dump) act_forward<T>(act.act, act.prm, o_[i], o_[i], oc);
  }
}

// The adjoint of the output transform: M[k][q][o] = (A e A^T)[k] for the 2x2 block e of dy
// under tile t0 + q (zeros where the tile overhangs the output plane).
template <class T>
void nhwc_grad_output_transform(const WinogradNhwcGeom& g, const NhwcPlan& p, const T* dy,
                                int64_t t0, int64_t nt, T* __restrict m, const T* zeros) {
  const int64_t oc = g.oc, mk = p.mk;
  for (int64_t q = 0; q < nt; ++q) {
    const TilePos tp = tile_pos(t0 + q, p.th, p.tw);
    const T* img = dy + tp.n * g.oh * g.ow * oc;
    const T* e[4];
    for (int a = 0; a < 2; ++a)
      for (int bb = 0; bb < 2; ++bb) {
        const int64_t oh = tp.oh + a, ow = tp.ow + bb;
        e[a * 2 + bb] = (oh < g.oh && ow < g.ow) ? img + (oh * g.ow + ow) * oc : zeros;
      }
    T* out = m + q * oc;
#pragma omp simd
    for (int64_t o = 0; o < oc; ++o) {
      const T a0 = e[0][o], a1 = e[1][o], b0 = e[2][o], b1 = e[3][o];
      const T f[4][2] = {{a0, a1}, {a0 + b0, a1 + b1}, {a0 - b0, a1 - b1}, {-b0, -b1}};  // A e
      for (int r = 0; r < 4; ++r) {  // (A e) A^T
        out[(r * 4 + 0) * mk + o] = f[r][0];
        out[(r * 4 + 1) * mk + o] = f[r][0] + f[r][1];
        out[(r * 4 + 2) * mk + o] = f[r][0] - f[r][1];
        out[(r * 4 + 3) * mk + o] = -f[r][1];
      }
    }
  }
}

template <class T>
void nhwc_forward_impl(const WinogradNhwcGeom& g, const T* x, const T* u, const T* b,
                       const ConvAct& act, T* y) {
  const NhwcPlan p(g, static_cast<T*>(nullptr));
  if (p.total <= 0 || g.oc <= 0) return;
  run_items<T>(p.nblocks, p.scratch, [&](int64_t blk, T* s) {
    T* v = s;
    T* m = v + 16 * p.vk;
    T* zeros = m + 16 * p.mk;
    T* dump = zeros + g.c;
    zero_n(zeros, g.c);
    const int64_t t0 = blk * p.tb, nt = imin(p.tb, p.total - t0);
    nhwc_input_transform(g, p, x, t0, nt, v, zeros);
    gemm_batched<T>(16, nt, g.oc, g.c, T(1), v, p.vk, g.c, 1, u, g.c * g.oc, g.oc, 1, T(0), m,
                    p.mk, g.oc, 1);
    nhwc_output_transform(g, p, m, b, act, t0, nt, y, dump);
  });
}

// Fixed chunks of blocks (min(tiles / 1024, 16), never the thread count), each summing its
// blocks in order into its own Z; the chunks' Z added in chunk order, then dw = G^T Z G.
template <class T>
void nhwc_weight_grad_impl(const WinogradNhwcGeom& g, const T* x, const T* dy, T* dw) {
  const NhwcPlan p(g, static_cast<T*>(nullptr));
  const int64_t pairs = g.c * g.oc, zsize = 16 * pairs;
  if (p.total <= 0) {
    for (int64_t i = 0; i < 9 * pairs; ++i) dw[i] = T(0);
    return;
  }
  const int64_t cap = imax(1, (int64_t{64} << 20) / int64_t(sizeof(T)) / zsize);
  const int64_t chunks = imax(1, imin(imin(p.total / 1024, 16), cap));
  WgScratch<T> z(chunks * zsize);
  run_items<T>(chunks, p.scratch, [&](int64_t ch, T* s) {
    T* v = s;
    T* m = v + 16 * p.vk;
    T* zeros = m + 16 * p.mk;
    zero_n(zeros, imax(g.c, g.oc));  // the dump row follows: room for both widths
    const int64_t b0 = p.nblocks * ch / chunks, b1 = p.nblocks * (ch + 1) / chunks;
    for (int64_t blk = b0; blk < b1; ++blk) {
      const int64_t t0 = blk * p.tb, nt = imin(p.tb, p.total - t0);
      nhwc_input_transform(g, p, x, t0, nt, v, zeros);
      nhwc_grad_output_transform(g, p, dy, t0, nt, m, zeros);
      gemm_batched<T>(16, g.c, g.oc, nt, T(1), v, p.vk, 1, g.c, m, p.mk, g.oc, 1,
                      blk == b0 ? T(0) : T(1), z.p + ch * zsize, pairs, g.oc, 1);
    }
  });
  const int nthreads = omp_in_parallel() ? 1 : omp_get_max_threads();
#pragma omp parallel for num_threads(nthreads) schedule(static) if (pairs > 1024)
  for (int64_t pr = 0; pr < pairs; ++pr) {  // pr = c * OC + o
    T zk[4][4];
    for (int k = 0; k < 16; ++k) {
      T acc = z.p[k * pairs + pr];
      for (int64_t ch = 1; ch < chunks; ++ch) acc += z.p[ch * zsize + k * pairs + pr];
      zk[k / 4][k % 4] = acc;
    }
    T q[3][4];  // G^T Z
    for (int s = 0; s < 4; ++s) {
      const T h = (zk[1][s] + zk[2][s]) * T(0.5);
      q[0][s] = zk[0][s] + h;
      q[1][s] = (zk[1][s] - zk[2][s]) * T(0.5);
      q[2][s] = h + zk[3][s];
    }
    for (int i = 0; i < 3; ++i) {  // (G^T Z) G, into dw[i][j][c][o]
      const T h = (q[i][1] + q[i][2]) * T(0.5);
      dw[(i * 3 + 0) * pairs + pr] = q[i][0] + h;
      dw[(i * 3 + 1) * pairs + pr] = (q[i][1] - q[i][2]) * T(0.5);
      dw[(i * 3 + 2) * pairs + pr] = h + q[i][3];
    }
  }
}

}  // namespace

template <class T>
void winograd_nhwc_conv3x3(const WinogradNhwcGeom& g, const T* x, const T* u, const T* b,
                           ConvAct act, T* y) {
  nhwc_forward_impl(g, x, u, b, act, y);
}

template <class T>
void winograd_nhwc_conv3x3_backward_weight(const WinogradNhwcGeom& g, const T* x, const T* dy,
                                           T* dw) {
  nhwc_weight_grad_impl(g, x, dy, dw);
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
