// 4x4 stride-2 convolutions (DCGAN's discriminator: 32->64 on 14x14) as Winograd F(4x4, 2x2)
// over their four polyphase components, on the batch lanes: the forward, described below, the
// input gradient (conv2d_batch_lanes_winograd_backward_input, the same transforms per phase of
// dx; also conv_transpose2d's forward) and the weight gradient (F(2x2, 4x4), the same matrices
// transposed: conv2d_batch_lanes_winograd_backward_weight; also conv_transpose2d's weight
// gradient). Part of the batch-lane translation
// unit: conv_batch_lanes_impl.h includes this file after its helpers (lane vectors, packing,
// tile_accumulate, the stage).
//
// Why: the batch-lane forward of that layer runs its real taps at ~87 % of the FMA peak, and
// 1.2x of PyTorch there needs ~97 % (docs/conv.md, "Batch lanes"). Fewer multiplies are the lever
// left. With xpad the zero-padded input, y[oh][ow] = sum_(a, b in {0, 1}) sum_(u, v in {0, 1})
// w[2u + a][2v + b] * xpad[2(oh + u) + a][2(ow + v) + b]: for each phase (a, b) a 2x2 stride-1
// correlation of the phase plane P_ab[i][j] = xpad[2i + a][2j + b]. Winograd F(4x4, 2x2) computes
// a 4x4 output tile of each from a 5x5 patch with 25 products instead of 64; the four phases
// and all input channels add up in the transformed domain, so per tile and transformed position
// it is one product of (output channels x 4 C) and (4 C x images):
//   V = B^T d B     (5x5 patch of a phase plane, per channel, 32 images in the lanes)
//   U = G g G^T     (2x2 phase kernel, per output and input channel)
//   M = sum_(c, phase) U .* V   (25 register-tile GEMMs of 8 channels x 32 images, K = 4 C)
//   Y = A^T M A     (4x4 outputs) + bias
// Points 0, 1, -1, -2 and infinity (of the three sets tried, the smallest float32 error: 1.5e-6
// of the largest output for one channel, against 2.4-2.5e-6 with 2 or 1/2 as the fourth point),
// B^T's rows scaled to integers and the scales moved into G. DCGAN's 7x7 output takes 2x2 tiles
// (49 of 64 outputs used): 400 multiply-adds per channel pair and image against 676 for the
// direct kernel's real taps.
#pragma once

namespace pyengine {
namespace PE_ISA_NS {
namespace {

constexpr int kWinA = 5;  // transformed tile
constexpr int kWinM = 4;  // output tile

// o = B^T d over one axis; B^T = [[2, 1, -2, -1, 0], [0, 2, 3, 1, 0], [0, -2, 1, 1, 0],
// [0, 1, 0, -1, 0], [0, -2, -1, 2, 1]].
template <class V>
__attribute__((always_inline)) inline void winograd_bt(const V& d0, const V& d1, const V& d2,
                                                       const V& d3, const V& d4, V (&o)[kWinA]) {
  o[0] = (d0 + d0) + d1 - (d2 + d2) - d3;
  o[1] = (d1 + d1) + (d2 + d2 + d2) + d3;
  o[2] = d2 + d3 - (d1 + d1);
  o[3] = d1 - d3;
  o[4] = (d3 + d3) + d4 - (d1 + d1) - d2;
}

// o = A^T m over one axis; A^T = [[1, 1, 1, 1, 0], [0, 1, -1, -2, 0], [0, 1, 1, 4, 0],
// [0, 1, -1, -8, 1]].
template <class V>
__attribute__((always_inline)) inline void winograd_at(const V& m0, const V& m1, const V& m2,
                                                       const V& m3, const V& m4, V (&o)[kWinM]) {
  const V s = m1 + m2, d = m1 - m2, m3x2 = m3 + m3, m3x4 = m3x2 + m3x2;
  o[0] = m0 + s + m3;
  o[1] = d - m3x2;
  o[2] = s + m3x4;
  o[3] = d - (m3x4 + m3x4) + m4;
}

// The weight gradient's F(2, 4) (two outputs of a 4-tap correlation from 5 inputs) is F(4, 2)
// transposed: sum_(u, r) y[u] g[r] d[u + r] = sum_j (G y)_j (A g)_j (B^T d)_j for the same
// three matrices, read with the roles of the output and the filter swapped. So a 4x4 tile of
// dy (the filter) is transformed by A (5x4), a 5x5 patch of a phase plane by the forward's B^T,
// and the 25 sums of products come back to the 2x2 phase kernel by G^T.
// o = A g over one axis: A's rows are A^T's columns, [1, 0, 0, 0], [1, 1, 1, 1],
// [1, -1, 1, -1], [1, -2, 4, -8], [0, 0, 0, 1].
template <class V>
__attribute__((always_inline)) inline void winograd_a(const V& g0, const V& g1, const V& g2,
                                                      const V& g3, V (&o)[kWinA]) {
  const V e = g0 + g2, f = g1 + g3, g2x2 = g2 + g2, g3x2 = g3 + g3, g3x4 = g3x2 + g3x2;
  o[0] = g0;
  o[1] = e + f;
  o[2] = e - f;
  o[3] = g0 - (g1 + g1) + (g2x2 + g2x2) - (g3x4 + g3x4);
  o[4] = g3;
}

// o = G^T m over one axis: G's columns, [1/2, 1/6, 1/2, 1/6, 0] and [0, 1/6, -1/2, -1/3, 1].
template <class V, class T>
__attribute__((always_inline)) inline void winograd_gt(const V& m0, const V& m1, const V& m2,
                                                       const V& m3, const V& m4, V (&o)[2]) {
  const T half = T(0.5), sixth = T(1) / T(6), third = T(1) / T(3);
  o[0] = (m0 + m2) * half + (m1 + m3) * sixth;
  o[1] = m1 * sixth - m2 * half - m3 * third + m4;
}

// U = G g G^T for the 2x2 kernels g of kMR output channels at once (lane i: channel i);
// G = [[1/2, 0], [1/6, 1/6], [1/2, -1/2], [1/6, -1/3], [0, 1]] (the rows of F(4, 2)'s G divided
// by B^T's row scales).
template <class T>
__attribute__((always_inline)) inline void winograd_g(const T (&g)[2][2][kMR],
                                                      T (&u)[kWinA][kWinA][kMR]) {
  static constexpr T G[kWinA][2] = {{T(0.5), T(0)},
                                    {T(1) / T(6), T(1) / T(6)},
                                    {T(0.5), T(-0.5)},
                                    {T(1) / T(6), T(-1) / T(3)},
                                    {T(0), T(1)}};
  T t[kWinA][2][kMR];
  for (int r = 0; r < kWinA; ++r)
    for (int v = 0; v < 2; ++v)
      for (int i = 0; i < kMR; ++i) t[r][v][i] = G[r][0] * g[0][v][i] + G[r][1] * g[1][v][i];
  for (int r = 0; r < kWinA; ++r)
    for (int s = 0; s < kWinA; ++s)
      for (int i = 0; i < kMR; ++i) u[r][s][i] = t[r][0][i] * G[s][0] + t[r][1][i] * G[s][1];
}

// Output tiles along an axis of n outputs.
inline int64_t winograd_tiles(int64_t n) { return (n + kWinM - 1) / kWinM; }

// V = B^T d B for the 5x5 patch d[r][s] = lanes + offset(r, s) (kNV vectors; offset < 0: zero,
// outside the plane), written at out + (r * 5 + s) * stride.
template <class T, class Offset>
__attribute__((always_inline)) inline void winograd_input_tile(const T* lanes, Offset&& offset,
                                                               T* out, int64_t stride) {
  constexpr int64_t VL = kVL<T>;
  int64_t off[kWinA][kWinA];
  for (int r = 0; r < kWinA; ++r)
    for (int s = 0; s < kWinA; ++s) off[r][s] = offset(r, s);
  for (int v = 0; v < kNV; ++v) {
    VecL<T> d[kWinA][kWinA], t[kWinA][kWinA], o[kWinA];
    for (int r = 0; r < kWinA; ++r)
      for (int s = 0; s < kWinA; ++s)
        d[r][s] = off[r][s] >= 0 ? vload(lanes + off[r][s] + v * VL) : VecL<T>{};
    for (int s = 0; s < kWinA; ++s) {  // columns: t = B^T d
      winograd_bt(d[0][s], d[1][s], d[2][s], d[3][s], d[4][s], o);
      for (int r = 0; r < kWinA; ++r) t[r][s] = o[r];
    }
    for (int r = 0; r < kWinA; ++r) {  // rows: V = t B
      winograd_bt(t[r][0], t[r][1], t[r][2], t[r][3], t[r][4], o);
      for (int s = 0; s < kWinA; ++s)
        std::memcpy(out + (r * kWinA + s) * stride + v * VL, &o[s], sizeof o[s]);
    }
  }
}

// The 25 register-tile GEMMs of one tile (M[q] = U[q] V[q], K values each, U's q-th block at
// u + q * ustride, V's at v + q * vstride), then Y = A^T M A + bias[i] for each of the mr rows,
// put(r, s) giving the stage address of output (r, s) of the tile, or null where it is outside.
template <class T, class Put>
inline void winograd_output_tiles(int64_t K, const T* u, int64_t ustride, const T* v,
                                  int64_t vstride, const T* bias, int64_t mr, Put&& put) {
  constexpr int64_t NB = kNB<T>, VL = kVL<T>;
  constexpr int P = kWinA * kWinA;
  VecL<T> m[P][kMR][kNV];
  for (int q = 0; q < P; ++q) {
    VecL<T> acc[kMR][kNV] = {};
    tile_accumulate<T>(K, u + q * ustride, PanelStep{}, UnitStep{}, v + q * vstride,
                       PackedStep<T>{}, acc);
    std::memcpy(&m[q], &acc, sizeof acc);
  }
  T* dst[kWinM][kWinM];
  for (int r = 0; r < kWinM; ++r)
    for (int s = 0; s < kWinM; ++s) dst[r][s] = put(r, s);
  for (int64_t i = 0; i < mr; ++i) {
    const T bi = bias ? bias[i] : T(0);
    for (int v = 0; v < kNV; ++v) {
      VecL<T> t[kWinA][kWinM], out[kWinM];
      for (int r = 0; r < kWinA; ++r) {  // rows: t = m A
        winograd_at(m[r * kWinA][i][v], m[r * kWinA + 1][i][v], m[r * kWinA + 2][i][v],
                    m[r * kWinA + 3][i][v], m[r * kWinA + 4][i][v], out);
        for (int s = 0; s < kWinM; ++s) t[r][s] = out[s];
      }
      for (int s = 0; s < kWinM; ++s) {  // columns: Y = A^T t
        winograd_at(t[0][s], t[1][s], t[2][s], t[3][s], t[4][s], out);
        for (int r = 0; r < kWinM; ++r)
          if (dst[r][s]) {
            const VecL<T> val = out[r] + bi;
            std::memcpy(dst[r][s] + i * NB + v * VL, &val, sizeof val);
          }
      }
    }
  }
}

// U = G g G^T for every (row panel, k) of a weight, kMR rows side by side: row r, k and the
// 2x2 kernel from kernel(r, k, u, v) (rows past `rows` zero); U's block for position q and row
// panel rp at u + (q * rpanels + rp) * ublk, the k-th kMR values of it. Work split over
// (row panel, k / kpp) items, kpp values of k each.
template <class T, class Kernel>
void winograd_weights(int64_t rows, int64_t K, int64_t ublk, Kernel&& kernel, T* u) {
  constexpr int P = kWinA * kWinA;
  const int64_t rpanels = (rows + kMR - 1) / kMR;
#pragma omp parallel for num_threads(threads_for(rpanels * K)) schedule(static)
  for (int64_t it = 0; it < rpanels * K; ++it) {
    const int64_t rp = it / K, k = it % K;
    T gk[2][2][kMR], uk[kWinA][kWinA][kMR];
    for (int a = 0; a < 2; ++a)
      for (int b = 0; b < 2; ++b)
        for (int i = 0; i < kMR; ++i) {
          const int64_t r = rp * kMR + i;
          gk[a][b][i] = r < rows ? kernel(r, k, a, b) : T(0);
        }
    winograd_g(gk, uk);
    for (int q = 0; q < P; ++q)
      std::memcpy(u + (q * rpanels + rp) * ublk + k * kMR, uk[q / kWinA][q % kWinA],
                  sizeof(T) * kMR);
  }
}

}  // namespace

// Where F(4x4, 2x2) runs: the batch-lane bounds, a 4x4 kernel at stride 2 without dilation, and
// at least 70 % of the tiles' outputs inside the output: the conv's output for the forward
// (DCGAN's 7x7: 49 of 64), the input plane for the input gradient (four phase planes of tiles:
// 14x14 with padding 1, 196 of 256).
template <class T>
bool conv2d_batch_lanes_winograd_fits(const Conv2dGeom& g, bool input_grad) {
  if (!conv2d_batch_lanes_fits<T>(g, false)) return false;
  if (g.kh != 4 || g.kw != 4 || g.sh != 2 || g.sw != 2 || g.dh != 1 || g.dw != 1) return false;
  if (!input_grad) {
    const int64_t computed = winograd_tiles(g.oh) * winograd_tiles(g.ow) * kWinM * kWinM;
    return 10 * g.oh * g.ow >= 7 * computed;
  }
  const int64_t ti = winograd_tiles((g.h + g.ph + 1) / 2), tj = winograd_tiles((g.w + g.pw + 1) / 2);
  return 10 * g.h * g.w >= 7 * 4 * ti * tj * kWinM * kWinM;
}

template <class T>
void conv2d_batch_lanes_winograd_forward(const Conv2dGeom& g, const T* x, const T* w, const T* b,
                                         T* y) {
  constexpr int64_t NB = kNB<T>;
  constexpr int P = kWinA * kWinA;  // transformed positions
  const int64_t hw = g.h * g.w, L = g.oh * g.ow, K = 4 * g.c;  // K: (channel, phase)
  const int64_t th = winograd_tiles(g.oh), tw = winograd_tiles(g.ow), tiles = th * tw;
  const int64_t panels = (g.n + NB - 1) / NB, opanels = (g.oc + kMR - 1) / kMR;
  const int64_t pos = lane_position_stride<T>(g.c);
  T* const xl = call_scratch<T, 0>(panels * hw * pos);
  pack_lanes(x, g.n, g.c, hw, xl, pos);

  // V[panel][tile][position][k][NB], k = 4 c + 2 a + b, each position's block one cache line
  // longer than K * NB: an input transform writes the same k of all 25 positions, which K * NB
  // apart (16 KiB on DCGAN's layer) would all fall in one cache set. Likewise U's blocks.
  const int64_t vpos = K * NB + kLine<T>, ublk = K * kMR + kLine<T>;
  T* const vt = call_scratch<T, 1>(panels * tiles * P * vpos);
#pragma omp parallel for num_threads(threads_for(panels * tiles * g.c)) schedule(static)
  for (int64_t it = 0; it < panels * tiles * g.c; ++it) {
    const int64_t p = it / (tiles * g.c), tile = it / g.c % tiles, c = it % g.c;
    const int64_t i0 = tile / tw * kWinM, j0 = tile % tw * kWinM;  // phase-plane origin
    const T* xp = xl + p * hw * pos + c * NB;
    T* vout = vt + (p * tiles + tile) * P * vpos;
    for (int a = 0; a < 2; ++a)
      for (int bb = 0; bb < 2; ++bb)
        winograd_input_tile<T>(xp, [&](int r, int s) -> int64_t {
          const int64_t ih = 2 * (i0 + r) + a - g.ph, iw = 2 * (j0 + s) + bb - g.pw;
          return ih >= 0 && ih < g.h && iw >= 0 && iw < g.w ? (ih * g.w + iw) * pos : -1;
        }, vout + (4 * c + 2 * a + bb) * NB, vpos);
  }

  // U[position][output channel panel][k][MR]: the phase (a, b) kernel w[o][c][2u + a][2v + b].
  T* const ut = call_scratch<T, 2>(P * opanels * ublk);
  winograd_weights<T>(g.oc, K, ublk, [&](int64_t o, int64_t k, int u, int v) {
    return w[((o * g.c + k / 4) * 4 + 2 * u + k / 2 % 2) * 4 + 2 * v + k % 2];
  }, ut);

  for_each_lane_tile(g.n, g.oc, L, y, [&](int64_t p, int64_t op, int64_t mr, T* stage) {
    for (int64_t tile = 0; tile < tiles; ++tile) {
      const int64_t oh0 = tile / tw * kWinM, ow0 = tile % tw * kWinM;
      winograd_output_tiles<T>(K, ut + op * ublk, opanels * ublk,
                               vt + (p * tiles + tile) * P * vpos, vpos,
                               b ? b + op * kMR : nullptr, mr, [&](int r, int s) -> T* {
        const int64_t oh = oh0 + r, ow = ow0 + s;
        return oh < g.oh && ow < g.ow ? stage + (oh * g.ow + ow) * kMR * NB : nullptr;
      });
    }
  });
}

// The input gradient (and a transposed convolution's forward, bias added) of a 4x4 stride-2
// convolution. With ih + ph = 2 i + a, only the taps kh = 2 u + a reach row ih, from output row
// oh = i - u: each phase (a, b) of dx, dx_ab[i][j] = sum_(u, v) w[2u + a][2v + b] dy[i - u][j - v],
// is a 2x2 correlation of dy (shifted by one) with the phase kernel flipped. The four phases
// share dy's transformed tiles; each has its own 25 GEMMs (K = output channels) and output
// transform, whose values land on every other row and column of dx.
template <class T>
void conv2d_batch_lanes_winograd_backward_input(const Conv2dGeom& g, const T* dy, const T* w,
                                                T* dx, const T* b) {
  constexpr int64_t NB = kNB<T>;
  constexpr int P = kWinA * kWinA;
  const int64_t hw = g.h * g.w, L = g.oh * g.ow, K = g.oc;
  const int64_t ti = winograd_tiles((g.h + g.ph + 1) / 2), tj = winograd_tiles((g.w + g.pw + 1) / 2);
  const int64_t tiles = ti * tj;
  const int64_t panels = (g.n + NB - 1) / NB, cpanels = (g.c + kMR - 1) / kMR;
  const int64_t pos = lane_position_stride<T>(g.oc);
  T* const dyl = call_scratch<T, 0>(panels * L * pos);
  pack_lanes(dy, g.n, g.oc, L, dyl, pos);

  // V[panel][tile][position][o][NB] (blocks padded as in the forward): tile (i0, j0) of every
  // phase reads dy rows i0 - 1 .. i0 + 3 and columns j0 - 1 .. j0 + 3.
  const int64_t vpos = K * NB + kLine<T>, ublk = K * kMR + kLine<T>;
  T* const vt = call_scratch<T, 1>(panels * tiles * P * vpos);
#pragma omp parallel for num_threads(threads_for(panels * tiles * g.oc)) schedule(static)
  for (int64_t it = 0; it < panels * tiles * g.oc; ++it) {
    const int64_t p = it / (tiles * g.oc), tile = it / g.oc % tiles, o = it % g.oc;
    const int64_t i0 = tile / tj * kWinM, j0 = tile % tj * kWinM;
    winograd_input_tile<T>(dyl + p * L * pos + o * NB, [&](int r, int s) -> int64_t {
      const int64_t oh = i0 - 1 + r, ow = j0 - 1 + s;
      return oh >= 0 && oh < g.oh && ow >= 0 && ow < g.ow ? (oh * g.ow + ow) * pos : -1;
    }, vt + (p * tiles + tile) * P * vpos + o * NB, vpos);
  }

  // U[phase][position][input channel panel][o][MR]: phase (a, b), flipped kernel
  // g'[u][v] = w[o][c][2 (1 - u) + a][2 (1 - v) + b].
  const int64_t ustride = P * cpanels * ublk;  // one phase
  T* const ut = call_scratch<T, 2>(4 * ustride);
  for (int ph = 0; ph < 4; ++ph)
    winograd_weights<T>(g.c, K, ublk, [&](int64_t c, int64_t o, int u, int v) {
      return w[((o * g.c + c) * 4 + 2 * (1 - u) + ph / 2) * 4 + 2 * (1 - v) + ph % 2];
    }, ut + ph * ustride);

  for_each_lane_tile(g.n, g.c, hw, dx, [&](int64_t p, int64_t cp, int64_t mr, T* stage) {
    for (int64_t tile = 0; tile < tiles; ++tile) {
      const int64_t i0 = tile / tj * kWinM, j0 = tile % tj * kWinM;
      for (int ph = 0; ph < 4; ++ph)
        winograd_output_tiles<T>(K, ut + ph * ustride + cp * ublk, cpanels * ublk,
                                 vt + (p * tiles + tile) * P * vpos, vpos,
                                 b ? b + cp * kMR : nullptr, mr, [&](int r, int s) -> T* {
          const int64_t ih = 2 * (i0 + r) + ph / 2 - g.ph, iw = 2 * (j0 + s) + ph % 2 - g.pw;
          return ih >= 0 && ih < g.h && iw >= 0 && iw < g.w ? stage + (ih * g.w + iw) * kMR * NB
                                                            : nullptr;
        });
    }
  });
}

// Where the weight gradient runs on F(2x2, 4x4): the batch-lane weight gradient's bounds (its
// tile of kMR output x NB input channels useful enough), a 4x4 kernel at stride 2 without
// dilation, and dy's 4x4 tiles at least 70 % inside dy (DCGAN's 7x7: 49 of 64).
template <class T>
bool conv2d_batch_lanes_winograd_weight_fits(const Conv2dGeom& g) {
  if (!conv2d_batch_lanes_fits<T>(g, true)) return false;
  if (g.kh != 4 || g.kw != 4 || g.sh != 2 || g.sw != 2 || g.dh != 1 || g.dw != 1) return false;
  const int64_t computed = winograd_tiles(g.oh) * winograd_tiles(g.ow) * kWinM * kWinM;
  return 10 * g.oh * g.ow >= 7 * computed;
}

// The weight gradient of a 4x4 stride-2 convolution. With kh = 2u + a, kw = 2v + b, the tap
// reads xpad[2 (oh + u) + a][2 (ow + v) + b] = P_ab[oh + u][ow + v], so each phase kernel
//   dw_ab[o][c][u][v] = sum_(images, oh, ow) dy[o][oh][ow] P_ab[c][oh + u][ow + v]
// is a 2x2 correlation of the phase plane with dy as the filter. Over a 4x4 tile of dy (zero
// outside it) and the 5x5 patch of P_ab it reaches, F(2x2, 4x4) takes 25 products instead of
// 64, and the images and tiles add up in the transformed domain:
//   U = A dy_tile A^T  (per output channel; kMR channels side by side)
//   V = B^T d B        (per phase; NB input channels in the lanes)
//   M = sum_(images, tiles) U .* V   (25 register-tile GEMMs of kMR x NB per phase, K = images
//                                     x tiles)
//   dw_ab = G^T M G    (2x2)
// DCGAN's 7x7 dy takes 2x2 tiles: 400 multiply-adds per channel pair and image against the
// direct kernel's 676 real taps. The layouts are the direct weight gradient's (channel panels,
// position-major); every M is summed in one fixed order by one thread, so the bits do not
// depend on the thread count.
template <class T>
void conv2d_batch_lanes_winograd_backward_weight(const Conv2dGeom& g, const T* x, const T* dy,
                                                 T* dw) {
  constexpr int64_t NB = kNB<T>;
  constexpr int P = kWinA * kWinA;
  const int64_t hw = g.h * g.w, L = g.oh * g.ow;
  const int64_t th = winograd_tiles(g.oh), tw = winograd_tiles(g.ow), tiles = th * tw;
  const int64_t K = g.n * tiles;  // the GEMMs' reduction: k = image * tiles + tile
  const int64_t opanels = (g.oc + kMR - 1) / kMR, cpanels = (g.c + NB - 1) / NB;
  const int64_t xpos = g.n * NB + kLine<T>;
  T* const xt = call_scratch<T, 0>(cpanels * hw * xpos);
  pack_panels(x, g.n, g.c, hw, NB, xt, xpos);

  // V[c panel][phase][position][k][NB], each position's block a cache line longer than K NB
  // (a transform writes the same k of all 25 positions; see the forward). Items are
  // phase-major here and in the GEMMs below, so with two threads each one multiplies the V
  // blocks it wrote (3.3 MB in all on DCGAN's layer), from its own L2.
  const int64_t vq = K * NB + kLine<T>;
  T* const vt = call_scratch<T, 2>(cpanels * 4 * P * vq);
#pragma omp parallel for num_threads(threads_for(cpanels * 4 * K)) schedule(static)
  for (int64_t it = 0; it < cpanels * 4 * K; ++it) {
    const int64_t cp = it / (4 * K), ph = it / K % 4, k = it % K;
    const int64_t img = k / tiles, tile = k % tiles;
    const int64_t i0 = tile / tw * kWinM, j0 = tile % tw * kWinM;
    winograd_input_tile<T>(xt + cp * hw * xpos + img * NB, [&](int r, int s) -> int64_t {
      const int64_t ih = 2 * (i0 + r) + ph / 2 - g.ph, iw = 2 * (j0 + s) + ph % 2 - g.pw;
      return ih >= 0 && ih < g.h && iw >= 0 && iw < g.w ? (ih * g.w + iw) * xpos : -1;
    }, vt + (cp * 4 + ph) * P * vq + k * NB, vq);
  }

  // U[o panel][position][k][MR] = A dy_tile A^T, dy zero past its last row and column, read in
  // place: an item is one image's planes of a panel's kMR channels (a packed copy of dy in
  // panels cost as much as this transform: its 8-row transposes have no SIMD form).
  const int64_t uq = K * kMR + kLine<T>;
  T* const ut = call_scratch<T, 3>(opanels * P * uq);
#pragma omp parallel for num_threads(threads_for(opanels * K)) schedule(static)
  for (int64_t it = 0; it < opanels * K; ++it) {
    const int64_t op = it / K, k = it % K, img = k / tiles, tile = k % tiles;
    const int64_t oh0 = tile / tw * kWinM, ow0 = tile % tw * kWinM;
    const int64_t mr = std::min<int64_t>(kMR, g.oc - op * kMR);
    const T* planes = dy + (img * g.oc + op * kMR) * L;
    T d[kWinM][kWinM][kMR], t[kWinA][kWinM][kMR];
    for (int r = 0; r < kWinM; ++r)
      for (int s = 0; s < kWinM; ++s) {
        const int64_t oh = oh0 + r, ow = ow0 + s;
        const bool inside = oh < g.oh && ow < g.ow;
        for (int i = 0; i < kMR; ++i)
          d[r][s][i] = inside && i < mr ? planes[i * L + oh * g.ow + ow] : T(0);
      }
    for (int s = 0; s < kWinM; ++s)  // columns: t = A d
      for (int i = 0; i < kMR; ++i) {
        T o[kWinA];
        winograd_a(d[0][s][i], d[1][s][i], d[2][s][i], d[3][s][i], o);
        for (int r = 0; r < kWinA; ++r) t[r][s][i] = o[r];
      }
    T* out = ut + op * P * uq + k * kMR;
    for (int r = 0; r < kWinA; ++r)  // rows: U = t A^T
      for (int i = 0; i < kMR; ++i) {
        T o[kWinA];
        winograd_a(t[r][0][i], t[r][1][i], t[r][2][i], t[r][3][i], o);
        for (int s = 0; s < kWinA; ++s) out[(r * kWinA + s) * uq + i] = o[s];
      }
  }

  // M[c panel][phase][o panel][position][MR][NB]: items (c panel, phase, position), each
  // running all output-channel panels against its V block (which stays in L1 / L2). The sum
  // over k runs in partial sums of at most kPartial terms, as the direct weight gradient's.
  T* const mt = call_scratch<T, 4>(cpanels * 4 * opanels * P * kMR * NB);
#pragma omp parallel for num_threads(threads_for(cpanels * 4 * P)) schedule(static)
  for (int64_t it = 0; it < cpanels * 4 * P; ++it) {
    const int64_t cp = it / (4 * P), ph = it / P % 4, q = it % P;
    const T* v = vt + ((cp * 4 + ph) * P + q) * vq;
    for (int64_t op = 0; op < opanels; ++op) {
      const T* u = ut + (op * P + q) * uq;
      VecL<T> sum[kMR][kNV] = {}, acc[kMR][kNV] = {};
      for (int64_t k0 = 0; k0 < K; k0 += kPartial) {
        tile_accumulate<T>(std::min(kPartial, K - k0), u + k0 * kMR, PanelStep{}, UnitStep{},
                           v + k0 * NB, PackedStep<T>{}, acc);
        add_tile<T>(sum, acc);
      }
      std::memcpy(mt + (((cp * 4 + ph) * opanels + op) * P + q) * kMR * NB, &sum, sizeof sum);
    }
  }

  // dw_ab = G^T M G, into dw[o][c][2u + a][2v + b].
#pragma omp parallel for num_threads(threads_for(cpanels * 4 * opanels)) schedule(static)
  for (int64_t it = 0; it < cpanels * 4 * opanels; ++it) {
    const int64_t cp = it / (4 * opanels), ph = it / opanels % 4, op = it % opanels;
    const int64_t c0 = cp * NB, o0 = op * kMR;
    const int64_t mr = std::min<int64_t>(kMR, g.oc - o0), nc = std::min(NB, g.c - c0);
    const T* m = mt + ((cp * 4 + ph) * opanels + op) * P * kMR * NB;
    for (int64_t i = 0; i < mr; ++i) {
      T out[2][2][NB];
      for (int v = 0; v < kNV; ++v) {
        VecL<T> t[kWinA][2], o[2];
        for (int r = 0; r < kWinA; ++r) {  // rows: t = M G
          const T* row = m + (r * kWinA * kMR + i) * NB + v * kVL<T>;
          const int64_t qs = kMR * NB;
          winograd_gt<VecL<T>, T>(vload(row), vload(row + qs), vload(row + 2 * qs),
                                  vload(row + 3 * qs), vload(row + 4 * qs), o);
          t[r][0] = o[0];
          t[r][1] = o[1];
        }
        for (int s = 0; s < 2; ++s) {  // columns: G^T t
          winograd_gt<VecL<T>, T>(t[0][s], t[1][s], t[2][s], t[3][s], t[4][s], o);
          std::memcpy(&out[0][s][v * kVL<T>], &o[0], sizeof o[0]);
          std::memcpy(&out[1][s][v * kVL<T>], &o[1], sizeof o[1]);
        }
      }
      for (int64_t j = 0; j < nc; ++j)
        for (int u = 0; u < 2; ++u)
          for (int s = 0; s < 2; ++s)
            dw[((o0 + i) * g.c + c0 + j) * 16 + (2 * u + ph / 2) * 4 + 2 * s + ph % 2] =
                out[u][s][j];
    }
  }
}

template bool conv2d_batch_lanes_winograd_fits<float>(const Conv2dGeom&, bool);
template bool conv2d_batch_lanes_winograd_fits<double>(const Conv2dGeom&, bool);
template void conv2d_batch_lanes_winograd_forward<float>(const Conv2dGeom&, const float*,
                                                         const float*, const float*, float*);
template void conv2d_batch_lanes_winograd_forward<double>(const Conv2dGeom&, const double*,
                                                          const double*, const double*, double*);
template void conv2d_batch_lanes_winograd_backward_input<float>(const Conv2dGeom&, const float*,
                                                                const float*, float*,
                                                                const float*);
template bool conv2d_batch_lanes_winograd_weight_fits<float>(const Conv2dGeom&);
template bool conv2d_batch_lanes_winograd_weight_fits<double>(const Conv2dGeom&);
template void conv2d_batch_lanes_winograd_backward_weight<float>(const Conv2dGeom&, const float*,
                                                                 const float*, float*);
template void conv2d_batch_lanes_winograd_backward_weight<double>(const Conv2dGeom&,
                                                                  const double*, const double*,
                                                                  double*);
template void conv2d_batch_lanes_winograd_backward_input<double>(const Conv2dGeom&,
                                                                 const double*, const double*,
                                                                 double*, const double*);

}  // namespace PE_ISA_NS
}  // namespace pyengine
