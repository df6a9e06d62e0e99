// Small dense channels-last layers (groups 1, K = KH*KW*C <= 27: an RGB first layer) through a
// zero-padded copy of each image: included by conv_nhwc_direct_impl.h inside its per-ISA
// namespace (uses its NhwcLanes / vload / kVL / kWB).
//
// The general direct kernels gather every window into a col block (a scalar copy per value,
// a third of CIFAR conv1's weight-gradient time in `perf`) and send every window that touches
// the border through a checked per-tap loop. With the image padded once (34x34x3 floats for
// CIFAR: 14 KiB, L1-resident) every window is interior, and a window row (KW pixels x C
// channels, dilation 1) is KW*C contiguous values read in place.
#pragma once

namespace {

// pad (Hp x Wp x C) = image n of x placed at (pt, pl), zeros around it.
template <class T>
void pad_image(const ConvNhwcGeom& g, const T* x, int64_t n, T* pad) {
  const int64_t C = g.c, Hp = padded_rows(g), Wp = padded_cols(g);
  const int64_t a = std::min(std::max<int64_t>(g.pl, 0), Wp);
  const int64_t e = std::min(std::max(g.pl + g.w, a), Wp);
  for (int64_t r = 0; r < Hp; ++r) {
    T* d = pad + r * Wp * C;
    const int64_t ih = r - g.pt;
    if (ih < 0 || ih >= g.h) {
      std::fill(d, d + Wp * C, T(0));
      continue;
    }
    std::fill(d, d + a * C, T(0));
    std::memcpy(d + a * C, x + ((n * g.h + ih) * g.w + (a - g.pl)) * C,
                sizeof(T) * size_t((e - a) * C));
    std::fill(d + e * C, d + Wp * C, T(0));
  }
}

// dw[(i, j, c), :] += sum_p pad[window row i of p][j * C + c] * dy[p, :] for the positions of
// one image, kWB positions at a time and one kernel row per pass: KWC * OCV sums in registers,
// each dy vector feeding KWC of them; positions in order (db likewise).
template <class T, int KWC, int OCV>
void small_weight_padded_image(const ConvNhwcGeom& g, const T* pad, const T* dy, T* dw, T* db) {
  using V = typename NhwcLanes<T>::type;
  const int64_t OC = g.oc, C = g.c, L = g.oh * g.ow, Wp = padded_cols(g);
  for (int64_t p0 = 0; p0 < L; p0 += kWB) {
    const int64_t rows = std::min(kWB, L - p0);
    const T* gb = dy + p0 * OC;
    if (db)
#pragma GCC unroll 4
      for (int v = 0; v < OCV; ++v) {
        V s = vload(db + v * kVL);
        for (int64_t r = 0; r < rows; ++r) s += vload(gb + r * OC + v * kVL);
        std::memcpy(db + v * kVL, &s, sizeof s);
      }
    if (!dw) continue;
    // One pass per kernel row and channel vector: each window value then feeds one FMA, which
    // GCC issues with an embedded broadcast operand (a window value shared by two channel
    // vectors was a separate broadcast instruction, and the loop ran at ~55 % of the FMA peak).
    for (int64_t i = 0; i < g.kh; ++i)
      for (int v = 0; v < OCV; ++v) {
        T* dwi = dw + i * KWC * OC + v * kVL;
        V acc[KWC];
#pragma GCC unroll 12
        for (int k = 0; k < KWC; ++k) acc[k] = vload(dwi + k * OC);
        int64_t oh = p0 / g.ow, ow = p0 % g.ow;
        for (int64_t r = 0; r < rows; ++r) {
          const T* base = pad + ((oh * g.sh + i) * Wp + ow * g.sw) * C;
          const V gv = vload(gb + r * OC + v * kVL);
#pragma GCC unroll 12
          for (int k = 0; k < KWC; ++k) acc[k] += base[k] * gv;
          if (++ow == g.ow) ow = 0, ++oh;
        }
#pragma GCC unroll 12
        for (int k = 0; k < KWC; ++k) std::memcpy(dwi + k * OC, &acc[k], sizeof(V));
      }
  }
}


// ---- Forward, 3x3 stride 1 with 1-3 input channels: Winograd F(4, 3) along the rows ----------
// Per output row, tile t of 4 pixels (columns 4t .. 4t + 3) and kernel row i, the 1-D Winograd
// transform over the tile's 6 input columns d = x[row i, 4t - pl .. 4t - pl + 5, c]:
//   y[4t .. 4t + 3] = b + A^T sum_{i, c} (G w[i, :, c, :]) .* (B^T d)      (6 products)
// 6 products per (i, c) for 4 output pixels instead of 12: 54 + 10 vector operations per 4
// pixels x 16 channels where the direct kernel does 108 FMAs (CIFAR conv1: K = 27). U = G w
// (conv2d_nhwc.cpp, once per call) is (i, c, k, OC); V = B^T d is computed once per input row
// and image (the three output rows that read a row share it) as (row, tile, c, k), whose
// values the FMAs take as broadcast operands. kWinoTiles tiles x 6 sums of one channel vector
// stay in registers over the (i, c) products (AVX-512 float: 24 sums + 6 U vectors). The bias
// enters through M1, whose coefficient is 1 in each of the 4 outputs. Transform errors: about
// 1e-6 of the output's scale in float32 (coefficients 4, 5 and 8; tests hold 1e-4).
#if defined(__AVX512F__)
template <class T>
constexpr int kWinoTiles = sizeof(T) == 4 ? 4 : 2;
#else
template <class T>
constexpr int kWinoTiles = 1;
#endif

// V rows of image n: for padded rows r in [0, oh + 2) (input row r - pt; zeros outside the
// input) and tiles t < tiles, V[r][t][c][0..5] = B^T x[r - pt, 4t - pl + 0..5, c]. d: scratch
// of (4 tiles + 2) * C values.
template <class T>
void wino_rows_input(const ConvNhwcGeom& g, const T* x, int64_t n, int64_t tiles, T* d, T* v) {
  const int64_t C = g.c, cols = 4 * tiles + 2, vrow = tiles * C * 6;
  const int64_t a = std::min(std::max<int64_t>(g.pl, 0), cols);
  const int64_t e = std::min(std::max(g.pl + g.w, a), cols);
  for (int64_t r = 0; r < g.oh + 2; ++r) {
    T* vr = v + r * vrow;
    const int64_t ih = r - g.pt;
    if (ih < 0 || ih >= g.h) {  // never read (its kernel rows are skipped): zeros all the same
      std::fill(vr, vr + vrow, T(0));
      continue;
    }
    std::fill(d, d + a * C, T(0));
    std::memcpy(d + a * C, x + ((n * g.h + ih) * g.w + (a - g.pl)) * C,
                sizeof(T) * size_t((e - a) * C));
    std::fill(d + e * C, d + cols * C, T(0));
    for (int64_t t = 0; t < tiles; ++t)
      for (int64_t c = 0; c < C; ++c) {
        const T* s = d + 4 * t * C + c;
        const T d0 = s[0], d1 = s[C], d2 = s[2 * C], d3 = s[3 * C], d4 = s[4 * C], d5 = s[5 * C];
        T* o = vr + (t * C + c) * 6;
        o[0] = T(4) * d0 - T(5) * d2 + d4;
        o[1] = (d3 + d4) - T(4) * (d1 + d2);
        o[2] = (d4 - d3) + T(4) * (d1 - d2);
        o[3] = (d4 - d2) + T(2) * (d3 - d1);
        o[4] = (d4 - d2) - T(2) * (d3 - d1);
        o[5] = T(4) * d1 - T(5) * d3 + d5;
      }
  }
}

// y rows of one image (y: its first pixel) from its V rows and U; tiles: a multiple of TT.
template <class T, int CC, int TT>
void wino_rows_image(const ConvNhwcGeom& g, const T* v, const T* u, const T* b, int64_t tiles,
                     T* y) {
  using V = typename NhwcLanes<T>::type;
  const int64_t OC = g.oc, vrow = tiles * CC * 6;
  for (int64_t oh = 0; oh < g.oh; ++oh) {
    // Kernel rows whose input row lies inside the input (the others would add zeros).
    const int64_t i0 = std::max<int64_t>(0, g.pt - oh), i1 = std::min<int64_t>(3, g.h + g.pt - oh);
    T* yr = y + oh * g.ow * OC;
    // The next row of y, fetched for writing while this one computes: a store that misses
    // waits on the line's read (CIFAR conv1's 16.8 MB output: 15 us per image with y in cache,
    // 20 us streaming it out).
    const char* ynext = reinterpret_cast<const char*>(yr + g.ow * OC);
    const int64_t ylines = oh + 1 < g.oh ? g.ow * OC * int64_t(sizeof(T)) / 64 : 0;
    const int64_t groups = OC / kVL * (tiles / TT);
    const int64_t per_group = (ylines + groups - 1) / groups;
    int64_t line = 0;
    for (int64_t o0 = 0; o0 < OC; o0 += kVL) {
      const V bv = b ? vload(b + o0) : V{};
      for (int64_t t0 = 0; t0 < tiles; t0 += TT) {
        for (int64_t l = 0; l < per_group && line < ylines; ++l, ++line)
          __builtin_prefetch(ynext + 64 * line, 1, 3);
        V acc[TT][6];
#pragma GCC unroll 4
        for (int tt = 0; tt < TT; ++tt)
#pragma GCC unroll 6
          for (int k = 0; k < 6; ++k) acc[tt][k] = k == 1 ? bv : V{};
        for (int64_t i = i0; i < i1; ++i) {
          const T* vr = v + (oh + i) * vrow + t0 * CC * 6;
#pragma GCC unroll 3
          for (int c = 0; c < CC; ++c) {
            const T* uc = u + (i * CC + c) * 6 * OC + o0;
#pragma GCC unroll 6
            for (int k = 0; k < 6; ++k) {
              const V uk = vload(uc + k * OC);
#pragma GCC unroll 4
              for (int tt = 0; tt < TT; ++tt) acc[tt][k] += vr[(tt * CC + c) * 6 + k] * uk;
            }
          }
        }
#pragma GCC unroll 4
        for (int tt = 0; tt < TT; ++tt) {
          const V* m = acc[tt];
          const V s12 = m[1] + m[2], d12 = m[1] - m[2], s34 = m[3] + m[4], d34 = m[3] - m[4];
          V out[4];
          out[0] = m[0] + s12 + s34;
          out[1] = d12 + T(2) * d34;
          out[2] = s12 + T(4) * s34;
          out[3] = d12 + T(8) * d34 + m[5];
          const int64_t px = (t0 + tt) * 4;
#pragma GCC unroll 4
          for (int s = 0; s < 4; ++s)
            if (px + s < g.ow) std::memcpy(yr + (px + s) * OC + o0, &out[s], sizeof(V));
        }
      }
    }
  }
}

}  // namespace
