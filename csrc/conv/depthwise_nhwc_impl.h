// Depthwise NHWC convolution (one input and one output channel per group, OC = C), vectorised
// along the channels: included by conv_nhwc_direct_impl.h inside its per-ISA namespace (uses its
// NhwcLanes / vload / Pos / tap). y[n, oh, ow, c] = b[c] + sum_ij x[n, ih, iw, c] w[i, j, 0, c].
//
// The first form added each tap's products into y (a load and a store of y per tap, per pixel);
// here a block of R output pixels x one vector of channels keeps its sums in registers over all
// taps and is stored once. At stride 1 and dilation 1 the block's R + KW - 1 input pixels of a
// tap row are each loaded once for the KW taps that read them. Pixels whose window leaves the
// input (the border) take a checked per-pixel loop; channels past the last whole vector, a
// scalar one. The input gradient at stride 1 is the same forward on dy with the kernel flipped
// (a gather: each dx value written once); the weight gradient keeps a vector of sums per tap.
#pragma once

namespace {

constexpr int kDwR = 4;  // output pixels per register block

template <class T>
using DwV = typename NhwcLanes<T>::type;

template <class T>
__attribute__((always_inline)) inline void dw_store(T* p, const DwV<T>& v) {
  std::memcpy(p, &v, sizeof v);
}

// Output columns whose windows lie inside the input columns: [lo, hi).
inline void dw_interior(int64_t in, int64_t out, int64_t k, int64_t s, int64_t p, int64_t d,
                        int64_t* lo, int64_t* hi) {
  // ow s - p >= 0 and ow s - p + (k - 1) d <= in - 1
  *lo = p <= 0 ? 0 : (p + s - 1) / s;
  const int64_t top = in - 1 - (k - 1) * d + p;
  *hi = top < 0 ? 0 : std::min(out, top / s + 1);
  if (*hi < *lo) *hi = *lo;
}

// One output pixel, channels [c0, c0 + kVL), window checked tap by tap.
template <class T>
inline DwV<T> dw_pixel(const ConvNhwcGeom& g, const T* x, const T* w, const Pos& q, int64_t c0,
                       DwV<T> acc) {
  for (int64_t i = 0; i < g.kh; ++i)
    for (int64_t j = 0; j < g.kw; ++j) {
      const int64_t off = tap(g, q, i, j);
      if (off >= 0) acc += vload(w + (i * g.kw + j) * g.c + c0) * vload(x + off + c0);
    }
  return acc;
}

// kDwR interior pixels from column ow of row (n, oh), channels [c0, c0 + kVL). xr: the input at
// (n, row oh sh - pt, column ow sw - pl, channel c0) — rows ih outside the input are skipped.
template <class T, bool S1K3>
inline void dw_block(const ConvNhwcGeom& g, const T* xr, const T* w, int64_t ih0, int64_t c0,
                     DwV<T> init, T* y) {
  using V = DwV<T>;
  const int64_t C = g.c;
  V acc[kDwR];
#pragma GCC unroll 4
  for (int r = 0; r < kDwR; ++r) acc[r] = init;
  for (int64_t i = 0; i < g.kh; ++i) {
    const int64_t ih = ih0 + i * g.dh;
    if (ih < 0 || ih >= g.h) continue;
    const T* row = xr + i * g.dh * g.w * C;
    const T* wi = w + i * g.kw * C + c0;
    if constexpr (S1K3) {  // pixels r .. r + 2 of the row feed pixel r's taps 0, 1, 2
      V xv[kDwR + 2];
#pragma GCC unroll 6
      for (int u = 0; u < kDwR + 2; ++u) xv[u] = vload(row + u * C);
      if (i == 2)  // the next output row's new input row: fetched while this one computes
#pragma GCC unroll 4
        for (int u = 2; u < kDwR + 2; ++u) __builtin_prefetch(row + g.w * C + u * C);
#pragma GCC unroll 3
      for (int j = 0; j < 3; ++j) {
        const V wv = vload(wi + j * C);
#pragma GCC unroll 4
        for (int r = 0; r < kDwR; ++r) acc[r] += wv * xv[r + j];
      }
    } else {
      for (int64_t j = 0; j < g.kw; ++j) {
        const V wv = vload(wi + j * C);
        const T* xj = row + j * g.dw * C;
#pragma GCC unroll 4
        for (int r = 0; r < kDwR; ++r) acc[r] += wv * vload(xj + r * g.sw * C);
      }
    }
  }
#pragma GCC unroll 4
  for (int r = 0; r < kDwR; ++r) dw_store(y + r * C, acc[r]);
}

// Channels [cv, C) (past the last whole vector) of one output pixel, scalar.
template <class T>
inline void dw_pixel_tail(const ConvNhwcGeom& g, const T* x, const T* w, const T* b,
                          const Pos& q, int64_t cv, T* yp) {
  for (int64_t c = cv; c < g.c; ++c) yp[c] = b ? b[c] : T(0);
  for (int64_t i = 0; i < g.kh; ++i)
    for (int64_t j = 0; j < g.kw; ++j) {
      const int64_t off = tap(g, q, i, j);
      if (off < 0) continue;
      const T* wk = w + (i * g.kw + j) * g.c;
      for (int64_t c = cv; c < g.c; ++c) yp[c] += x[off + c] * wk[c];
    }
}

// 3x3, stride 1, dilation 1: output row (n, oh), pixels [ow0, ow1), y at (n, oh, 0). Per vector
// of channels the 9 weight vectors and the bias stay in registers while the pixels slide along
// the row: each output pixel loads one new input column (one vector per kernel row) for its 9
// FMAs (dw_block reloaded the weights and 6 columns per 4 pixels, and sent every pixel whose
// window touched the border through the checked per-tap loop). Columns outside the input read
// as zero vectors; rows outside it are skipped (ALL: all three rows inside, no checks).
// Sum order per pixel: bias, then taps (0, 0), (0, 1), ..., (2, 2).
template <class T, bool ALL, bool PF>
inline void dw3x3s1_vector(const ConvNhwcGeom& g, const T* const* row_ptrs, const bool* in,
                           const T* w, const T* b, int64_t c0, int64_t ow0, int64_t ow1,
                           int64_t lo, int64_t hi, const T* next, T* yrow) {
  using V = DwV<T>;
  const int64_t C = g.c, W = g.w;
  // Local copies: y's stores cannot alias them, so they stay in registers.
  const T* const rows[3] = {row_ptrs[0], row_ptrs[1], row_ptrs[2]};
  const int64_t lines = (C * int64_t(sizeof(T)) + 63) / 64;
  V wv[9];
#pragma GCC unroll 9
  for (int t = 0; t < 9; ++t) wv[t] = vload(w + t * C + c0);
  const V bv = b ? vload(b + c0) : V{};
  auto col = [&](int i, int64_t iw) -> V {
    return (iw >= 0 && iw < W) ? vload(rows[i] + iw * C + c0) : V{};
  };
  V xa[3], xb[3];
#pragma GCC unroll 3
  for (int i = 0; i < 3; ++i) {
    const bool r = ALL || in[i];
    xa[i] = r ? col(i, ow0 - g.pl) : V{};
    xb[i] = r ? col(i, ow0 - g.pl + 1) : V{};
  }
  // PF (the first channel pass of a row): the next output row's new input row, fetched while
  // this one computes (the hardware prefetchers missed it: a third of the samples stalled on
  // its loads). Only for columns inside the input.
  auto prefetch = [&](int64_t iw) __attribute__((always_inline)) {
    if (PF)
      for (int64_t l = 0; l < lines; ++l)
        __builtin_prefetch(reinterpret_cast<const char*>(next + iw * C) + 64 * l);
  };
  auto pixel = [&](int64_t ow) __attribute__((always_inline)) {  // with checks
    const int64_t iw = ow - g.pl + 2;  // the new input column
    V acc = bv;
#pragma GCC unroll 3
    for (int i = 0; i < 3; ++i) {
      if (!ALL && !in[i]) continue;
      const V xc = col(i, iw);
      acc += wv[3 * i] * xa[i];
      acc += wv[3 * i + 1] * xb[i];
      acc += wv[3 * i + 2] * xc;
      xa[i] = xb[i];
      xb[i] = xc;
    }
    dw_store(yrow + ow * C + c0, acc);
    if (iw >= 0 && iw < W) prefetch(iw);
  };
  // [lo, hi): pixels whose new column lies inside the input (no check); two pixels at a time
  // (two independent sums: one pixel's 9 FMAs form a single dependency chain).
  const int64_t a = std::min(std::max(ow0, lo), ow1), e = std::max(a, std::min(ow1, hi));
  int64_t ow = ow0;
  for (; ow < a; ++ow) pixel(ow);
  for (; ow + 2 <= e; ow += 2) {
    const int64_t iw = ow - g.pl + 2;
    V acc0 = bv, acc1 = bv;
#pragma GCC unroll 3
    for (int i = 0; i < 3; ++i) {
      if (!ALL && !in[i]) continue;
      const V xc = vload(rows[i] + iw * C + c0), xd = vload(rows[i] + (iw + 1) * C + c0);
      acc0 += wv[3 * i] * xa[i];
      acc1 += wv[3 * i] * xb[i];
      acc0 += wv[3 * i + 1] * xb[i];
      acc1 += wv[3 * i + 1] * xc;
      acc0 += wv[3 * i + 2] * xc;
      acc1 += wv[3 * i + 2] * xd;
      xa[i] = xc;
      xb[i] = xd;
    }
    dw_store(yrow + ow * C + c0, acc0);
    dw_store(yrow + (ow + 1) * C + c0, acc1);
    prefetch(iw);
    prefetch(iw + 1);
  }
  for (; ow < ow1; ++ow) pixel(ow);
}

// Two whole output rows (oh, oh + 1) whose four input rows lie inside the input: each new
// input column is 4 loads for the 18 FMAs of two output pixels (one row: 3 loads for 9), and
// each input row is walked by half as many passes. Per pixel the same sum order as
// dw3x3s1_vector (bias, then taps (0, 0) .. (2, 2)). PF: this pass's channels of the next
// pair's two new input rows (next, next + rs) are prefetched: every pass fetches its own lines,
// two per pixel, rather than the first pass all of them (a burst of 8 per pixel that the miss
// queues could not hold: the bench_conv.py row measured 0.211-0.219 ms that way, 0.203-0.210
// this way).
template <class T, bool PF>
inline void dw3x3s1_pair_vector(const ConvNhwcGeom& g, const T* r0, const T* w, const T* b,
                                int64_t c0, int64_t lo, int64_t hi, const T* next, T* yrow) {
  using V = DwV<T>;
  const int64_t C = g.c, W = g.w, rs = W * C, ys = g.ow * C;
  const T* const rows[4] = {r0, r0 + rs, r0 + 2 * rs, r0 + 3 * rs};
  V wv[9];
#pragma GCC unroll 9
  for (int t = 0; t < 9; ++t) wv[t] = vload(w + t * C + c0);
  const V bv = b ? vload(b + c0) : V{};
  auto col = [&](int i, int64_t iw) -> V {
    return (iw >= 0 && iw < W) ? vload(rows[i] + iw * C + c0) : V{};
  };
  V xa[4], xb[4];
#pragma GCC unroll 4
  for (int i = 0; i < 4; ++i) xa[i] = col(i, -g.pl), xb[i] = col(i, 1 - g.pl);
  auto pixel = [&](int64_t ow, bool checked) __attribute__((always_inline)) {
    const int64_t iw = ow - g.pl + 2;  // the new input column
    V xc[4];
#pragma GCC unroll 4
    for (int i = 0; i < 4; ++i) xc[i] = checked ? col(i, iw) : vload(rows[i] + iw * C + c0);
    V acc0 = bv, acc1 = bv;
#pragma GCC unroll 3
    for (int i = 0; i < 3; ++i) {
      acc0 += wv[3 * i] * xa[i];
      acc1 += wv[3 * i] * xa[i + 1];
      acc0 += wv[3 * i + 1] * xb[i];
      acc1 += wv[3 * i + 1] * xb[i + 1];
      acc0 += wv[3 * i + 2] * xc[i];
      acc1 += wv[3 * i + 2] * xc[i + 1];
    }
#pragma GCC unroll 4
    for (int i = 0; i < 4; ++i) xa[i] = xb[i], xb[i] = xc[i];
    dw_store(yrow + ow * C + c0, acc0);
    dw_store(yrow + ys + ow * C + c0, acc1);
    if (PF && iw >= 0 && iw < W) {
      __builtin_prefetch(next + iw * C + c0);
      __builtin_prefetch(next + rs + iw * C + c0);
    }
  };
  const int64_t a = std::min(std::max<int64_t>(0, lo), g.ow), e = std::max(a, std::min(g.ow, hi));
  int64_t ow = 0;
  for (; ow < a; ++ow) pixel(ow, true);
  for (; ow < e; ++ow) pixel(ow, false);
  for (; ow < g.ow; ++ow) pixel(ow, true);
}

// Output rows (n, oh) and (n, oh + 1), whole, input rows oh - pt .. oh - pt + 3 all inside.
template <class T>
void dw3x3s1_pair(const ConvNhwcGeom& g, const T* x, const T* w, const T* b, const Pos& q,
                  T* yrow) {
  const int64_t C = g.c, cv = C / kVL * kVL, ih0 = q.oh - g.pt;
  const T* r0 = x + (q.n * g.h + ih0) * g.w * C;
  const int64_t lo = g.pl - 2, hi = g.w + g.pl - 2;
  // The next pair's new input rows (ih0 + 4, ih0 + 5), when both exist and that pair does.
  const T* next = q.oh + 3 < g.oh && ih0 + 5 < g.h ? r0 + 4 * g.w * C : nullptr;
  for (int64_t c0 = 0; c0 < cv; c0 += kVL) {
    if (next) dw3x3s1_pair_vector<T, true>(g, r0, w, b, c0, lo, hi, next, yrow);
    else dw3x3s1_pair_vector<T, false>(g, r0, w, b, c0, lo, hi, next, yrow);
  }
  if (cv < C) {
    Pos qq = q;
    for (int r = 0; r < 2; ++r, ++qq.oh)
      for (int64_t ow = 0; ow < g.ow; ++ow) {
        qq.ow = ow;
        dw_pixel_tail(g, x, w, b, qq, cv, yrow + (r * g.ow + ow) * C);
      }
  }
}

template <class T>
void dw3x3s1_segment(const ConvNhwcGeom& g, const T* x, const T* w, const T* b, const Pos& q,
                     int64_t ow1, T* yrow) {
  const int64_t C = g.c, cv = C / kVL * kVL;
  const T* rows[3];
  bool in[3];
  for (int i = 0; i < 3; ++i) {
    const int64_t ih = q.oh - g.pt + i;
    in[i] = ih >= 0 && ih < g.h;
    rows[i] = in[i] ? x + (q.n * g.h + ih) * g.w * C : x;
  }
  // New column ow - pl + 2 inside [0, W) for ow in [pl - 2, W + pl - 2).
  const int64_t lo = g.pl - 2, hi = g.w + g.pl - 2;
  const bool all = in[0] && in[1] && in[2];
  const int64_t ihn = q.oh - g.pt + 3;  // the next output row's new input row, if any
  const T* next = q.oh + 1 < g.oh && ihn >= 0 && ihn < g.h ? x + (q.n * g.h + ihn) * g.w * C
                                                           : nullptr;
  for (int64_t c0 = 0; c0 < cv; c0 += kVL) {
    if (c0 == 0 && next) {  // the whole pixel's lines, during the first pass
      if (all) dw3x3s1_vector<T, true, true>(g, rows, in, w, b, c0, q.ow, ow1, lo, hi, next, yrow);
      else dw3x3s1_vector<T, false, true>(g, rows, in, w, b, c0, q.ow, ow1, lo, hi, next, yrow);
    } else {
      if (all) dw3x3s1_vector<T, true, false>(g, rows, in, w, b, c0, q.ow, ow1, lo, hi, next, yrow);
      else dw3x3s1_vector<T, false, false>(g, rows, in, w, b, c0, q.ow, ow1, lo, hi, next, yrow);
    }
  }
  if (cv < C) {
    Pos qq = q;
    for (int64_t ow = q.ow; ow < ow1; ++ow) {
      qq.ow = ow;
      dw_pixel_tail(g, x, w, b, qq, cv, yrow + ow * C);
    }
  }
}

// Output positions [p0, p1) (rows of y, C values each), in output-row segments.
template <class T>
void depthwise_forward_rows(const ConvNhwcGeom& g, const T* x, const T* w, const T* b, T* y,
                            int64_t p0, int64_t p1) {
  using V = DwV<T>;
  const int64_t C = g.c, cv = C / kVL * kVL;
  const bool s1k3 = g.sw == 1 && g.dw == 1 && g.kw == 3;
  int64_t lo, hi;
  dw_interior(g.w, g.ow, g.kw, g.sw, g.pl, g.dw, &lo, &hi);
  Pos q(g, p0);
  if (g.kh == 3 && g.kw == 3 && g.sh == 1 && g.sw == 1 && g.dh == 1 && g.dw == 1) {
    for (int64_t p = p0; p < p1;) {
      const int64_t ih0 = q.oh - g.pt;
      if (q.ow == 0 && p + 2 * g.ow <= p1 && q.oh + 1 < g.oh && ih0 >= 0 && ih0 + 3 < g.h) {
        dw3x3s1_pair(g, x, w, b, q, y + p * C);
        p += 2 * g.ow;
        q.oh += 2;
        if (q.oh == g.oh) q.oh = 0, ++q.n;
        continue;
      }
      const int64_t ow0 = q.ow, ow1 = std::min(g.ow, ow0 + (p1 - p));
      dw3x3s1_segment(g, x, w, b, q, ow1, y + (p - ow0) * C);
      p += ow1 - ow0;
      q.ow = 0;
      if (++q.oh == g.oh) q.oh = 0, ++q.n;
    }
    return;
  }
  for (int64_t p = p0; p < p1;) {
    const int64_t ow0 = q.ow, ow1 = std::min(g.ow, ow0 + (p1 - p));
    const int64_t ih0 = q.oh * g.sh - g.pt;
    const T* xrow = x + ((q.n * g.h + ih0) * g.w) * C;  // may point outside: rows are checked
    T* yrow = y + (p - ow0) * C;                         // y at (n, oh, 0)
    Pos qq = q;
    for (int64_t ow = ow0; ow < ow1;) {
      if (ow >= lo && ow + kDwR <= std::min(hi, ow1)) {  // kDwR interior pixels
        const T* xr = xrow + (ow * g.sw - g.pl) * C;
        for (int64_t c0 = 0; c0 < cv; c0 += kVL) {
          const V init = b ? vload(b + c0) : V{};
          if (s1k3)
            dw_block<T, true>(g, xr + c0, w, ih0, c0, init, yrow + ow * C + c0);
          else
            dw_block<T, false>(g, xr + c0, w, ih0, c0, init, yrow + ow * C + c0);
        }
        if (cv < C)
          for (int r = 0; r < kDwR; ++r) {
            qq.ow = ow + r;
            dw_pixel_tail(g, x, w, b, qq, cv, yrow + (ow + r) * C);
          }
        ow += kDwR;
        continue;
      }
      qq.ow = ow;
      for (int64_t c0 = 0; c0 < cv; c0 += kVL)
        dw_store(yrow + ow * C + c0, dw_pixel(g, x, w, qq, c0, b ? vload(b + c0) : V{}));
      if (cv < C) dw_pixel_tail(g, x, w, b, qq, cv, yrow + ow * C);
      ++ow;
    }
    p += ow1 - ow0;
    q.ow = 0;
    if (++q.oh == g.oh) q.oh = 0, ++q.n;
  }
}

// 3x3 weight and bias gradient sums over positions [p0, p1), added to dw / db: per output-row
// segment and vector of channels, 9 + 1 vectors of sums in registers over the segment's pixels
// (in order), then added to dw / db once.
template <class T>
void depthwise_weight_rows_3x3(const ConvNhwcGeom& g, const T* x, const T* dy, T* dw, T* db,
                               int64_t p0, int64_t p1) {
  using V = DwV<T>;
  const int64_t C = g.c, cv = C / kVL * kVL;
  Pos q(g, p0);
  for (int64_t p = p0; p < p1;) {
    const int64_t ow0 = q.ow, ow1 = std::min(g.ow, ow0 + (p1 - p));
    const T* dyr = dy + (p - p0 - ow0) * C;  // dy at (n, oh, 0), relative to p0's row
    const int64_t ih0 = q.oh * g.sh - g.pt;
    const bool rows_in = ih0 >= 0 && ih0 + 2 * g.dh < g.h;
    const bool slide = g.sw == 1 && g.dw == 1;
    for (int64_t c0 = 0; c0 < cv; c0 += kVL) {
      V acc[9], sb = {};
#pragma GCC unroll 9
      for (int t = 0; t < 9; ++t) acc[t] = V{};
      Pos qq = q;
      for (int64_t ow = ow0; ow < ow1; ++ow) {
        const int64_t iw0 = ow * g.sw - g.pl;
        if (slide && dw && rows_in && iw0 >= 0 && iw0 + 2 < g.w) {
          // A run of interior pixels at stride 1: each tap row's window slides by one pixel,
          // so one new input vector per tap row and pixel feeds its 3 taps (3 + 1 loads for 9
          // FMAs instead of 9 + 1). The same sums in the same pixel order.
          const int64_t e = std::min(ow1, g.w - 2 + g.pl), rs = g.dh * g.w * C;
          const T* xw = x + ((q.n * g.h + ih0) * g.w + iw0) * C + c0;
          V xa[3], xb[3];
#pragma GCC unroll 3
          for (int i = 0; i < 3; ++i) xa[i] = vload(xw + i * rs), xb[i] = vload(xw + i * rs + C);
          for (int64_t u = 0; u < e - ow; ++u) {
            const V d = vload(dyr + (ow + u) * C + c0);
            sb += d;
#pragma GCC unroll 3
            for (int i = 0; i < 3; ++i) {
              const V xc = vload(xw + i * rs + (u + 2) * C);
              acc[i * 3] += d * xa[i];
              acc[i * 3 + 1] += d * xb[i];
              acc[i * 3 + 2] += d * xc;
              xa[i] = xb[i];
              xb[i] = xc;
            }
          }
          ow = e - 1;
          continue;
        }
        const V d = vload(dyr + ow * C + c0);
        sb += d;
        if (!dw) continue;
        if (rows_in && iw0 >= 0 && iw0 + 2 * g.dw < g.w) {  // the window inside the input
          const T* xw = x + ((q.n * g.h + ih0) * g.w + iw0) * C + c0;
#pragma GCC unroll 3
          for (int i = 0; i < 3; ++i)
#pragma GCC unroll 3
            for (int j = 0; j < 3; ++j)
              acc[i * 3 + j] += d * vload(xw + (i * g.dh * g.w + j * g.dw) * C);
          continue;
        }
        qq.ow = ow;
#pragma GCC unroll 9
        for (int t = 0; t < 9; ++t) {
          const int64_t off = tap(g, qq, t / 3, t % 3);
          if (off >= 0) acc[t] += d * vload(x + off + c0);
        }
      }
      if (db) dw_store(db + c0, vload(db + c0) + sb);
      if (dw)
#pragma GCC unroll 9
        for (int t = 0; t < 9; ++t) dw_store(dw + t * C + c0, vload(dw + t * C + c0) + acc[t]);
    }
    const int64_t kk = 9;
    for (int64_t c = cv; c < C; ++c) {  // channels past the last whole vector
      T sb = T(0);
      Pos qq = q;
      for (int64_t ow = ow0; ow < ow1; ++ow) {
        qq.ow = ow;
        const T d = dyr[ow * C + c];
        sb += d;
        for (int64_t t = 0; dw && t < kk; ++t) {
          const int64_t off = tap(g, qq, t / g.kw, t % g.kw);
          if (off >= 0) dw[t * C + c] += d * x[off + c];
        }
      }
      if (db) db[c] += sb;
    }
    p += ow1 - ow0;
    q.ow = 0;
    if (++q.oh == g.oh) q.oh = 0, ++q.n;
  }
}

}  // namespace
