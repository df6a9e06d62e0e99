// Convolutions with a short reduction, K = C * KH * KW <= 32 and groups 1 (the 1- and 3-channel
// first layers: MNIST 1->32 3x3, K = 9; DCGAN's 1->32 4x4 stride 2 and the transposed 32->1 that
// is its input gradient, K = 16), compiled per ISA: conv_small_k_<isa>.cpp defines PE_ISA_NS and
// includes this file; CMake gives the TU the matching -m flags.
//
// Why not the row-vectorised direct kernels (conv_direct_impl.h): MNIST's 26-wide output rows
// fill 26 of every 32 lanes, each output channel re-reads the input plane, and the last rows of a
// plane ran as single-row blocks (one FMA chain, latency-bound). Why not im2col + the GEMM: with
// K = 9..32 the GEMM's packing and its transposed (positions x channels) result cost more than
// the FMAs. Here, per block of output positions of one image (the flat oh * ow range, so every
// lane is used but the block's last):
//   col (K x P)     the block's im2col, built in scratch (~100 KiB, stays in L2), zero tail
//   forward         y[o][p]   = b[o] + sum_t w[o][t] col[t][p]     O channels x NV vectors of
//                   sums in registers, each col vector loaded once feeds O channels
//   weight grad     dw[o][t] += sum_p dy[o][p] col[t][p]           O x T sums in registers, dy
//                   read in place (the row's last vector through a partial load)
//   bias grad       db[o]    += sum_p dy[o][p]
//   input grad      dcol[t][p] = sum_o w[o][t] dy[o][p], then added back into dx (col2im)
// Every sum runs over t (or o, or p) in one fixed order whatever the tiling, and threads own
// whole blocks (forward, weight gradient: per-block partials added in block order afterwards)
// or whole images (input gradient), so results do not depend on the thread count.
#include <omp.h>

#include <algorithm>
#include <cstdlib>
#include <cstring>
#include <type_traits>

#include "common/check.h"
#include "conv/conv2d.h"
#include "conv/winograd_simd.h"  // copy_n: masked row-tail copies

// The lane vectors never cross a call boundary (everything is inlined into this TU).
#pragma GCC diagnostic ignored "-Wpsabi"

namespace pyengine {
namespace PE_ISA_NS {
namespace {

constexpr int64_t kLanes = 16;  // one zmm of floats; two ymm / four xmm elsewhere (GCC splits)
template <class T> struct SmallKLanes;
template <> struct SmallKLanes<float> { typedef float type __attribute__((vector_size(64))); };
template <> struct SmallKLanes<double> { typedef double type __attribute__((vector_size(128))); };

template <class T>
using VecK = typename SmallKLanes<T>::type;

template <class T>
__attribute__((always_inline)) inline VecK<T> vload(const T* p) {
  VecK<T> v;
  std::memcpy(&v, p, sizeof v);
  return v;
}

// The first n < kLanes values at p, other lanes zero (nothing past p + n is read). AVX-512:
// masked loads straight into the register (through a stack copy, the 64-byte reload waited on
// the masked store: DCGAN's 14-wide rows are all partial vectors).
template <class T>
inline VecK<T> vload_partial(const T* p, int64_t n) {
#if defined(__AVX512F__)
  if constexpr (sizeof(T) == 4) {
    return (VecK<T>)_mm512_maskz_loadu_ps(static_cast<__mmask16>((1u << n) - 1), p);
  } else {
    const int64_t n0 = n < 8 ? n : 8, n1 = n - n0;
    const __m512d a = _mm512_maskz_loadu_pd(static_cast<__mmask8>((1u << n0) - 1), p);
    const __m512d b = _mm512_maskz_loadu_pd(static_cast<__mmask8>((1u << n1) - 1), p + 8);
    return VecK<T>{a[0], a[1], a[2], a[3], a[4], a[5], a[6], a[7],
                   b[0], b[1], b[2], b[3], b[4], b[5], b[6], b[7]};
  }
#else
  T tmp[kLanes] = {};
  copy_n(tmp, p, n);
  return vload(tmp);
#endif
}

// Stores v at p, only its first n lanes when n < kLanes (nothing past p + n is written).
template <class T>
__attribute__((always_inline)) inline void vstore(T* p, const VecK<T>& v, int64_t n) {
  if (n >= kLanes) {
    std::memcpy(p, &v, sizeof v);
    return;
  }
#if defined(__AVX512F__)
  if constexpr (sizeof(T) == 4) {
    _mm512_mask_storeu_ps(p, static_cast<__mmask16>((1u << n) - 1), (__m512)v);
    return;
  }
#endif
  T tmp[kLanes];  // through a copy, so that v itself needs no address (it stays in a register)
  std::memcpy(tmp, &v, sizeof tmp);
  copy_n(p, tmp, n);
}

template <class T>
inline T vsum(const VecK<T>& a) {
  T s = T(0);
  for (int64_t q = 0; q < kLanes; ++q) s += a[q];
  return s;
}

// Register tiles per ISA and type (sums + operands within the vector registers: 32 zmm on
// AVX-512, 16 ymm / xmm elsewhere, where one lane vector spans 2-8 registers).
#if defined(__AVX512F__)
template <class T> constexpr int kFwdO = sizeof(T) == 4 ? 8 : 4;   // forward: channels
template <class T> constexpr int kFwdV = 3;                         // ... x vectors
template <class T> constexpr int kDgT = sizeof(T) == 4 ? 8 : 4;    // input grad: taps
template <class T> constexpr int kDgV = 3;                          // ... x vectors
#elif defined(__AVX2__)
template <class T> constexpr int kFwdO = sizeof(T) == 4 ? 4 : 2;
template <class T> constexpr int kFwdV = 1;
template <class T> constexpr int kDgT = sizeof(T) == 4 ? 4 : 2;
template <class T> constexpr int kDgV = 1;
#else
template <class T> constexpr int kFwdO = sizeof(T) == 4 ? 2 : 1;
template <class T> constexpr int kFwdV = 1;
template <class T> constexpr int kDgT = sizeof(T) == 4 ? 2 : 1;
template <class T> constexpr int kDgV = 1;
#endif

// Stride 2 along a row: d[c] = row[2 c] for c in [0, m) (m <= kLanes; reads row[0, 2 m - 1)),
// as two partial loads split into their even lanes (one permute on AVX-512) instead of m
// scalar copies: DCGAN's 4x4 stride-2 im2col was half as many scalar moves as FMAs.
template <class T>
inline VecK<T> even_lanes(const T* row, int64_t m) {
  using M = typename std::conditional<sizeof(T) == 4, int32_t, int64_t>::type;
  typedef M MV __attribute__((vector_size(sizeof(VecK<T>))));
  MV even;
  for (int q = 0; q < int(kLanes); ++q) even[q] = 2 * q;  // folded to a constant
  const int64_t n = 2 * m - 1;
  const VecK<T> a = n >= kLanes ? vload(row) : vload_partial(row, n);
  const VecK<T> b = n - kLanes >= kLanes ? vload(row + kLanes)
                    : n > kLanes         ? vload_partial(row + kLanes, n - kLanes)
                                         : VecK<T>{};
  return __builtin_shuffle(a, b, even);
}

template <class T>
inline void gather_stride2(T* d, const T* row, int64_t n) {
  for (int64_t c = 0; c < n; c += kLanes) {
    const int64_t m = std::min(kLanes, n - c);
    vstore(d + c, even_lanes(row + 2 * c, m), m);
  }
}

// The adjoint: row[2 c] += s[c] for c in [0, n): s interleaved with zeros into two vectors
// added to the row's 2 n - 1 values (partial loads and stores at the end).
template <class T>
inline void scatter_add_stride2(T* row, const T* s, int64_t n) {
  using M = typename std::conditional<sizeof(T) == 4, int32_t, int64_t>::type;
  typedef M MV __attribute__((vector_size(sizeof(VecK<T>))));
  MV lo, hi;
  for (int q = 0; q < int(kLanes); ++q) {  // lane 2k takes s[k]; odd lanes a zero
    lo[q] = q % 2 == 0 ? q / 2 : int(kLanes);
    hi[q] = q % 2 == 0 ? (q + int(kLanes)) / 2 : int(kLanes);
  }
  for (int64_t c = 0; c < n; c += kLanes) {
    const int64_t m = std::min(kLanes, n - c), len = 2 * m - 1;
    const VecK<T> sv = m >= kLanes ? vload(s + c) : vload_partial(s + c, m), z = {};
    T* r = row + 2 * c;
    const int64_t n0 = std::min(kLanes, len), n1 = len - n0;
    VecK<T> a = n0 >= kLanes ? vload(r) : vload_partial(r, n0);
    a += __builtin_shuffle(sv, z, lo);
    vstore(r, a, n0);
    if (n1 > 0) {
      VecK<T> b = n1 >= kLanes ? vload(r + kLanes) : vload_partial(r + kLanes, n1);
      b += __builtin_shuffle(sv, z, hi);
      vstore(r + kLanes, b, n1);
    }
  }
}

// The block's im2col: col[t * ldc + (p - p0)] = padded input value under tap t = (m, i, j) of
// output position p, for p in [p0, p1); zeros from p1 - p0 up to ldc.
template <class T>
void im2col_block(const Conv2dGeom& g, const T* x, T* col, int64_t ldc, int64_t p0, int64_t p1) {
  const int64_t KK = g.kh * g.kw, K = g.c * KK, n = p1 - p0;
  for (int64_t t = 0; t < K; ++t) {
    const int64_t m = t / KK, i = t / g.kw % g.kh, j = t % g.kw;
    const T* xm = x + m * g.h * g.w;
    T* dst = col + t * ldc;
    // Input column of output column c: c sw + off; inside the row for c in [lo, hi].
    const int64_t off = j * g.dw - g.pw;
    const int64_t lo = off >= 0 ? 0 : (-off + g.sw - 1) / g.sw;
    const int64_t hi = g.w - 1 - off < 0 ? -1 : (g.w - 1 - off) / g.sw;
    // Output row segments: row r from column c0 (no division per segment: 2 per segment were
    // more cycles than the block's FMAs on MNIST's 26-wide rows).
    for (int64_t p = p0, r = p0 / g.ow, c0 = p0 % g.ow; p < p1; p += g.ow - c0, ++r, c0 = 0) {
      const int64_t c1 = std::min(g.ow, c0 + (p1 - p));
      T* d = dst + (p - p0) - c0;  // d[c] for c in [c0, c1)
      const int64_t ih = r * g.sh - g.ph + i * g.dh;
      if (ih < 0 || ih >= g.h) {
        for (int64_t c = c0; c < c1; ++c) d[c] = T(0);
      } else {
        const T* row = xm + ih * g.w + off;  // row[c sw] for c in [lo, hi]
        const int64_t a = std::max(c0, lo), b = std::min(c1, hi + 1);
        for (int64_t c = c0; c < std::min(c1, a); ++c) d[c] = T(0);
        if (g.sw == 1) {
          if (b > a) copy_n(d + a, row + a, b - a);
        } else if (g.sw == 2) {
          if (b > a) gather_stride2(d + a, row + 2 * a, b - a);
        } else {
          for (int64_t c = a; c < b; ++c) d[c] = row[c * g.sw];
        }
        for (int64_t c = std::max(a, b); c < c1; ++c) d[c] = T(0);
      }
    }
    for (int64_t q = n; q < ldc; ++q) dst[q] = T(0);
  }
}

// The adjoint: dx (the image's C planes) += dcol scattered back, same positions as above.
template <class T>
void col2im_block_add(const Conv2dGeom& g, const T* dcol, int64_t ldc, T* dx, int64_t p0,
                      int64_t p1) {
  const int64_t KK = g.kh * g.kw, K = g.c * KK;
  for (int64_t t = 0; t < K; ++t) {
    const int64_t m = t / KK, i = t / g.kw % g.kh, j = t % g.kw;
    T* xm = dx + m * g.h * g.w;
    const T* src = dcol + t * ldc;
    const int64_t off = j * g.dw - g.pw;
    const int64_t lo = off >= 0 ? 0 : (-off + g.sw - 1) / g.sw;
    const int64_t hi = g.w - 1 - off < 0 ? -1 : (g.w - 1 - off) / g.sw;
    for (int64_t p = p0, r = p0 / g.ow, c0 = p0 % g.ow; p < p1; p += g.ow - c0, ++r, c0 = 0) {
      const int64_t c1 = std::min(g.ow, c0 + (p1 - p));
      const T* s = src + (p - p0) - c0;
      const int64_t ih = r * g.sh - g.ph + i * g.dh;
      if (ih >= 0 && ih < g.h) {
        T* row = xm + ih * g.w + off;
        const int64_t a = std::max(c0, lo), b = std::min(c1, hi + 1);
        if (g.sw == 1) {
#pragma omp simd
          for (int64_t c = a; c < b; ++c) row[c] += s[c];
        } else if (g.sw == 2) {
          if (b > a) scatter_add_stride2(row + 2 * a, s + a, b - a);
        } else {
          for (int64_t c = a; c < b; ++c) row[c * g.sw] += s[c];
        }
      }
    }
  }
}

// Forward tile: O output channels x NV vectors of positions [q, q + NV kLanes) of the block.
// wp: the O channels' weights packed (tap, channel). Stores at most `left` positions.
template <class T, int O, int NV>
inline void fwd_tile(const T* col, int64_t ldc, int64_t K, const T* wp, const T* init, T* y,
                     int64_t ldy, int64_t left) {
  using V = VecK<T>;
  V acc[O][NV];
#pragma GCC unroll 8
  for (int o = 0; o < O; ++o)
#pragma GCC unroll 4
    for (int v = 0; v < NV; ++v) acc[o][v] = V{} + init[o];
  for (int64_t t = 0; t < K; ++t) {
    V c[NV];
#pragma GCC unroll 4
    for (int v = 0; v < NV; ++v) c[v] = vload(col + t * ldc + v * kLanes);
    const T* wt = wp + t * O;
#pragma GCC unroll 8
    for (int o = 0; o < O; ++o)
#pragma GCC unroll 4
      for (int v = 0; v < NV; ++v) acc[o][v] += wt[o] * c[v];
  }
#pragma GCC unroll 8
  for (int o = 0; o < O; ++o)
#pragma GCC unroll 4
    for (int v = 0; v < NV; ++v)
      if (left > v * kLanes) vstore(y + o * ldy + v * kLanes, acc[o][v], left - v * kLanes);
}

// Output channels [o0, o0 + O) of a block of n positions (y at the block's first position).
template <class T, int O>
inline void fwd_channels(const T* col, int64_t ldc, int64_t K, int64_t n, const T* wp,
                         const T* init, T* y, int64_t ldy) {
  constexpr int NV = kFwdV<T>;
  int64_t q = 0;
  for (; q + NV * kLanes <= ldc; q += NV * kLanes)
    fwd_tile<T, O, NV>(col + q, ldc, K, wp, init, y + q, ldy, n - q);
  for (; q < ldc; q += kLanes) fwd_tile<T, O, 1>(col + q, ldc, K, wp, init, y + q, ldy, n - q);
}

// Positions per block: a multiple of kLanes whose col (K rows) and, for the weight gradient,
// nothing else stays within ~128 KiB; the whole image when it fits.
template <class T>
int64_t block_positions(const Conv2dGeom& g) {
  const int64_t L = g.oh * g.ow, K = g.c * g.kh * g.kw;
  const int64_t budget = (int64_t{128} << 10) / int64_t(sizeof(T)) / K / kLanes * kLanes;
  return std::max(kLanes, std::min(budget, (L + kLanes - 1) / kLanes * kLanes));
}

inline int threads_for_tasks(int64_t tasks) {
  if (omp_in_parallel()) return 1;
  const int64_t nt = omp_get_max_threads();
  return static_cast<int>(std::max<int64_t>(1, std::min<int64_t>(tasks, nt)));
}

// Weight-gradient tile: O channels x TT taps of dot products over the positions of ni images
// (image i: dy rows at dy + i dys, ldy apart, n valid values; col rows at col + i cs, ldc apart,
// zero past n), stored to ac[o * K + t]. Summing several small images in the same registers
// before the lane sums keeps those (24 per tile) from costing as much as the FMAs on 14x14
// outputs.
template <class T, int O, int TT>
inline void dw_tile(const T* dy, int64_t ldy, int64_t dys, const T* col, int64_t ldc, int64_t cs,
                    int64_t ni, int64_t n, T* ac, int64_t K) {
  using V = VecK<T>;
  V acc[O][TT];
#pragma GCC unroll 8
  for (int o = 0; o < O; ++o)
#pragma GCC unroll 8
    for (int t = 0; t < TT; ++t) acc[o][t] = V{};
  for (int64_t im = 0; im < ni; ++im) {
    const T* di = dy + im * dys;
    const T* ci = col + im * cs;
    int64_t q = 0;
    for (; q + kLanes <= n; q += kLanes) {
      V c[TT];
#pragma GCC unroll 8
      for (int t = 0; t < TT; ++t) c[t] = vload(ci + t * ldc + q);
#pragma GCC unroll 8
      for (int o = 0; o < O; ++o) {
        const V d = vload(di + o * ldy + q);
#pragma GCC unroll 8
        for (int t = 0; t < TT; ++t) acc[o][t] += d * c[t];
      }
    }
    if (q < n) {  // the image's last, partial vector: dy read only up to n
      V c[TT];
#pragma GCC unroll 8
      for (int t = 0; t < TT; ++t) c[t] = vload(ci + t * ldc + q);
#pragma GCC unroll 8
      for (int o = 0; o < O; ++o) {
        const V d = vload_partial(di + o * ldy + q, n - q);
#pragma GCC unroll 8
        for (int t = 0; t < TT; ++t) acc[o][t] += d * c[t];
      }
    }
  }
#pragma GCC unroll 8
  for (int o = 0; o < O; ++o)
#pragma GCC unroll 8
    for (int t = 0; t < TT; ++t) ac[o * K + t] = vsum<T>(acc[o][t]);
}

// All (o, t) dot products of one task: tiles of O x TT, the remainders in smaller tiles (the
// same per-(o, t) sums in the same order).
template <class T, int O, int TT>
void dw_block(const T* dy, int64_t ldy, int64_t dys, int64_t oc, const T* col, int64_t ldc,
              int64_t cs, int64_t ni, int64_t n, int64_t K, T* ac) {
  int64_t o = 0;
  for (; o + O <= oc; o += O) {
    int64_t t = 0;
    for (; t + TT <= K; t += TT)
      dw_tile<T, O, TT>(dy + o * ldy, ldy, dys, col + t * ldc, ldc, cs, ni, n, ac + o * K + t, K);
    for (; t < K; ++t)
      dw_tile<T, O, 1>(dy + o * ldy, ldy, dys, col + t * ldc, ldc, cs, ni, n, ac + o * K + t, K);
  }
  for (; o < oc; ++o) {
    int64_t t = 0;
    for (; t + TT <= K; t += TT)
      dw_tile<T, 1, TT>(dy + o * ldy, ldy, dys, col + t * ldc, ldc, cs, ni, n, ac + o * K + t, K);
    for (; t < K; ++t)
      dw_tile<T, 1, 1>(dy + o * ldy, ldy, dys, col + t * ldc, ldc, cs, ni, n, ac + o * K + t, K);
  }
}

// Input-gradient tile: TT taps x NV vectors of dcol = sum over the oc channels of w[o][t] dy[o].
// dy rows ldy apart with n valid values from this tile's first position (partial loads past).
template <class T, int TT, int NV>
inline void dcol_tile(const T* dy, int64_t ldy, int64_t oc, const T* w, int64_t K, T* dcol,
                      int64_t ldc, int64_t n) {
  using V = VecK<T>;
  V acc[TT][NV];
#pragma GCC unroll 8
  for (int t = 0; t < TT; ++t)
#pragma GCC unroll 4
    for (int v = 0; v < NV; ++v) acc[t][v] = V{};
  const bool full = n >= NV * kLanes;
  for (int64_t o = 0; o < oc; ++o) {
    V d[NV];
    if (full) {
#pragma GCC unroll 4
      for (int v = 0; v < NV; ++v) d[v] = vload(dy + o * ldy + v * kLanes);
    } else {
#pragma GCC unroll 4
      for (int v = 0; v < NV; ++v)
        d[v] = n - v * kLanes >= kLanes ? vload(dy + o * ldy + v * kLanes)
               : n > v * kLanes        ? vload_partial(dy + o * ldy + v * kLanes, n - v * kLanes)
                                       : V{};
    }
    const T* wo = w + o * K;
#pragma GCC unroll 8
    for (int t = 0; t < TT; ++t)
#pragma GCC unroll 4
      for (int v = 0; v < NV; ++v) acc[t][v] += wo[t] * d[v];
  }
#pragma GCC unroll 8
  for (int t = 0; t < TT; ++t)
#pragma GCC unroll 4
    for (int v = 0; v < NV; ++v) std::memcpy(dcol + t * ldc + v * kLanes, &acc[t][v], sizeof(V));
}

template <class T, int TT>
inline void dcol_taps(const T* dy, int64_t ldy, int64_t oc, const T* w, int64_t K, T* dcol,
                      int64_t ldc, int64_t n) {
  constexpr int NV = kDgV<T>;
  int64_t q = 0;
  for (; q + NV * kLanes <= ldc; q += NV * kLanes)
    dcol_tile<T, TT, NV>(dy + q, ldy, oc, w, K, dcol + q, ldc, n - q);
  for (; q < ldc; q += kLanes) dcol_tile<T, TT, 1>(dy + q, ldy, oc, w, K, dcol + q, ldc, n - q);
}

}  // namespace

template <class T>
void conv2d_small_k_forward(const Conv2dGeom& g, const T* x, const T* w, const T* b, T* y) {
  constexpr int O = kFwdO<T>;
  const int64_t K = g.c * g.kh * g.kw, L = g.oh * g.ow, P = block_positions<T>(g);
  const int64_t nb = (L + P - 1) / P, tasks = g.n * nb, ob = (g.oc + O - 1) / O;
  // Weights packed per block of O channels as (tap, channel), zero channels past oc; bias too.
  T* wp = static_cast<T*>(std::malloc(sizeof(T) * (ob * O * K + ob * O)));
  RegionAlloc here;
  here.ok(wp, ob * O * K + ob * O, sizeof(T));
  here.rethrow("conv2d");
  T* bp = wp + ob * O * K;
  for (int64_t o = 0; o < ob * O; ++o) {
    bp[o] = b && o < g.oc ? b[o] : T(0);
    for (int64_t t = 0; t < K; ++t)
      wp[(o / O * K + t) * O + o % O] = o < g.oc ? w[o * K + t] : T(0);
  }
  RegionAlloc alloc;
#pragma omp parallel num_threads(threads_for_tasks(tasks))
  {
    T* col = static_cast<T*>(std::malloc(sizeof(T) * K * P));
    const bool ok = alloc.ok(col, K * P, sizeof(T));
#pragma omp for schedule(static)
    for (int64_t it = 0; it < tasks; ++it) {
      if (!ok) continue;
      const int64_t n = it / nb, p0 = it % nb * P, p1 = std::min(L, p0 + P), np = p1 - p0;
      const int64_t ldc = (np + kLanes - 1) / kLanes * kLanes;
      im2col_block(g, x + n * g.c * g.h * g.w, col, ldc, p0, p1);
      T* yn = y + n * g.oc * L + p0;
      int64_t o = 0;
      for (; o + O <= g.oc; o += O)
        fwd_channels<T, O>(col, ldc, K, np, wp + o * K, bp + o, yn + o * L, L);
      if (o < g.oc) {  // the last oc % O channels: one at a time (their own packing)
        for (; o < g.oc; ++o) {
          const T* wo = wp + o / O * O * K;
          T w1[64];  // K <= 32 (use_small_k)
          for (int64_t t = 0; t < K; ++t) w1[t] = wo[t * O + o % O];
          fwd_channels<T, 1>(col, ldc, K, np, w1, bp + o, yn + o * L, L);
        }
      }
    }
    std::free(col);
  }
  std::free(wp);
  alloc.rethrow("conv2d");
}

// Weight and bias gradients (either may be null). Tasks are (image, block of positions), or,
// when a block holds a whole image, groups of G images whose im2col together stays within the
// block budget (G a constant of the geometry); each task writes its own partial, and the
// partials are added in task order.
template <class T>
void conv2d_small_k_backward_weight(const Conv2dGeom& g, const T* x, const T* dy, T* dw, T* db) {
  const int64_t K = g.c * g.kh * g.kw, L = g.oh * g.ow, P = block_positions<T>(g);
  const int64_t nb = (L + P - 1) / P, per = g.oc * K + g.oc;
  const int64_t Lp = (L + kLanes - 1) / kLanes * kLanes;
  const int64_t G = nb > 1 ? 1
                           : std::max<int64_t>(1, std::min<int64_t>(
                                 g.n, (int64_t{128} << 10) / int64_t(sizeof(T)) / K / Lp));
  const int64_t ng = (g.n + G - 1) / G, tasks = ng * nb;
  // Partials for at most `round` tasks at a time (<= 4 MiB; a constant of the geometry).
  const int64_t round =
      std::max<int64_t>(1, std::min<int64_t>(tasks, (int64_t{4} << 20) / int64_t(sizeof(T)) / per));
  T* part = static_cast<T*>(std::malloc(sizeof(T) * round * per));
  RegionAlloc here;
  here.ok(part, round * per, sizeof(T));
  here.rethrow("conv2d_backward");
  if (dw) std::fill(dw, dw + g.oc * K, T(0));
  if (db) std::fill(db, db + g.oc, T(0));
  const int64_t colsize = G * K * std::min(P, Lp);
  RegionAlloc alloc;
  for (int64_t t0 = 0; t0 < tasks; t0 += round) {
    const int64_t t1 = std::min(tasks, t0 + round);
#pragma omp parallel num_threads(threads_for_tasks(t1 - t0))
    {
      T* col = dw ? static_cast<T*>(std::malloc(sizeof(T) * colsize)) : nullptr;
      const bool ok = !dw || alloc.ok(col, colsize, sizeof(T));
#pragma omp for schedule(static)
      for (int64_t it = t0; it < t1; ++it) {
        if (!ok) continue;
        const int64_t n0 = it / nb * G, ni = std::min(g.n, n0 + G) - n0;
        const int64_t p0 = it % nb * P, p1 = std::min(L, p0 + P), np = p1 - p0;
        const int64_t ldc = (np + kLanes - 1) / kLanes * kLanes, cs = K * ldc;
        const T* dyn = dy + n0 * g.oc * L + p0;
        T* pt = part + (it - t0) * per;
        if (dw) {
          for (int64_t i = 0; i < ni; ++i)
            im2col_block(g, x + (n0 + i) * g.c * g.h * g.w, col + i * cs, ldc, p0, p1);
          const int64_t dys = g.oc * L;
#if defined(__AVX512F__)
          if (sizeof(T) == 4 && K % 4 == 0 && g.oc % 6 == 0)
            dw_block<T, 6, 4>(dyn, L, dys, g.oc, col, ldc, cs, ni, np, K, pt);
          else if (sizeof(T) == 4 && K % 4 == 0)
            dw_block<T, 4, 4>(dyn, L, dys, g.oc, col, ldc, cs, ni, np, K, pt);
          else if (sizeof(T) == 4)
            dw_block<T, 8, 3>(dyn, L, dys, g.oc, col, ldc, cs, ni, np, K, pt);
          else
            dw_block<T, 3, 3>(dyn, L, dys, g.oc, col, ldc, cs, ni, np, K, pt);
#elif defined(__AVX2__)
          dw_block<T, 2, sizeof(T) == 4 ? 2 : 1>(dyn, L, dys, g.oc, col, ldc, cs, ni, np, K, pt);
#else
          dw_block<T, 1, 1>(dyn, L, dys, g.oc, col, ldc, cs, ni, np, K, pt);
#endif
        }
        if (db)
          for (int64_t o = 0; o < g.oc; ++o) {
            VecK<T> s = {};
            for (int64_t i = 0; i < ni; ++i) {
              const T* d = dyn + i * g.oc * L + o * L;
              int64_t q = 0;
              for (; q + kLanes <= np; q += kLanes) s += vload(d + q);
              if (q < np) s += vload_partial(d + q, np - q);
            }
            pt[g.oc * K + o] = vsum<T>(s);
          }
      }
      std::free(col);
    }
    alloc.rethrow("conv2d_backward");
    for (int64_t it = t0; it < t1; ++it) {  // task order: the same sums for any thread count
      const T* pt = part + (it - t0) * per;
      if (dw)
        for (int64_t q = 0; q < g.oc * K; ++q) dw[q] += pt[q];
      if (db)
        for (int64_t o = 0; o < g.oc; ++o) db[o] += pt[g.oc * K + o];
    }
  }
  std::free(part);
}

// Input gradient: tasks are images (their blocks overlap in dx, so they run in turn).
template <class T>
void conv2d_small_k_backward_input(const Conv2dGeom& g, const T* dy, const T* w, T* dx) {
  constexpr int TT = kDgT<T>;
  const int64_t K = g.c * g.kh * g.kw, L = g.oh * g.ow, P = block_positions<T>(g);
  RegionAlloc alloc;
#pragma omp parallel num_threads(threads_for_tasks(g.n))
  {
    T* dcol = static_cast<T*>(std::malloc(sizeof(T) * K * P));
    const bool ok = alloc.ok(dcol, K * P, sizeof(T));
#pragma omp for schedule(static)
    for (int64_t n = 0; n < g.n; ++n) {
      if (!ok) continue;
      T* dxn = dx + n * g.c * g.h * g.w;
      std::fill(dxn, dxn + g.c * g.h * g.w, T(0));
      for (int64_t p0 = 0; p0 < L; p0 += P) {
        const int64_t p1 = std::min(L, p0 + P), np = p1 - p0;
        const int64_t ldc = (np + kLanes - 1) / kLanes * kLanes;
        const T* dyn = dy + n * g.oc * L + p0;
        int64_t t = 0;
        for (; t + TT <= K; t += TT)
          dcol_taps<T, TT>(dyn, L, g.oc, w + t, K, dcol + t * ldc, ldc, np);
        for (; t < K; ++t) dcol_taps<T, 1>(dyn, L, g.oc, w + t, K, dcol + t * ldc, ldc, np);
        col2im_block_add(g, dcol, ldc, dxn, p0, p1);
      }
    }
    std::free(dcol);
  }
  alloc.rethrow("conv2d_backward");
}

template void conv2d_small_k_forward<float>(const Conv2dGeom&, const float*, const float*,
                                            const float*, float*);
template void conv2d_small_k_forward<double>(const Conv2dGeom&, const double*, const double*,
                                             const double*, double*);
template void conv2d_small_k_backward_weight<float>(const Conv2dGeom&, const float*,
                                                    const float*, float*, float*);
template void conv2d_small_k_backward_weight<double>(const Conv2dGeom&, const double*,
                                                     const double*, double*, double*);
template void conv2d_small_k_backward_input<float>(const Conv2dGeom&, const float*, const float*,
                                                   float*);
template void conv2d_small_k_backward_input<double>(const Conv2dGeom&, const double*,
                                                    const double*, double*);

}  // namespace PE_ISA_NS
}  // namespace pyengine
