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
    for (int64_t i = 0; i < g.kh; ++i) {
      T* dwi = dw + i * KWC * OC;
      V acc[KWC][OCV];
#pragma GCC unroll 12
      for (int k = 0; k < KWC; ++k)
#pragma GCC unroll 4
        for (int v = 0; v < OCV; ++v) acc[k][v] = vload(dwi + k * OC + v * kVL);
      int64_t oh = p0 / g.ow, ow = p0 % g.ow;
      for (int64_t r = 0; r < rows; ++r) {
        const T* base = pad + ((oh * g.sh + i) * Wp + ow * g.sw) * C;
        V gv[OCV];
#pragma GCC unroll 4
        for (int v = 0; v < OCV; ++v) gv[v] = vload(gb + r * OC + v * kVL);
#pragma GCC unroll 12
        for (int k = 0; k < KWC; ++k) {
          const T xv = base[k];
#pragma GCC unroll 4
          for (int v = 0; v < OCV; ++v) acc[k][v] += xv * gv[v];
        }
        if (++ow == g.ow) ow = 0, ++oh;
      }
#pragma GCC unroll 12
      for (int k = 0; k < KWC; ++k)
#pragma GCC unroll 4
        for (int v = 0; v < OCV; ++v) std::memcpy(dwi + k * OC + v * kVL, &acc[k][v], sizeof(V));
    }
  }
}

}  // namespace
