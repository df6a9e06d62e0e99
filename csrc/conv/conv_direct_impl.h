// Direct convolution written once as plain loops and compiled per ISA: conv_direct_<isa>.cpp
// defines PE_ISA_NS and includes this file; CMake gives the TU the matching -m flags.
//
// Scheme: each group's input planes are copied into a zero-padded scratch plane, so the inner
// loops have no bounds tests.
// - forward, one input channel (groups 1): 16 output channels' sums per input row vector
//   (conv_direct_one_channel.h, included below);
// - forward (any stride): correlate_plane keeps a block of 4 output rows x 16 columns in
//   registers over all taps and stores it once, straight into y; a column stride above 1 first
//   splits the padded planes into column phases (phase_planes) so every tap is a unit-stride load;
// - backward, stride 1: one pass over dy gives all three gradients (direct_backward_s1): dx
//   gathered the same way from the padded dy with the flipped kernel, dw as register dot
//   products of dy (read in place for 3x3) with the shifted input plane, db as dy's sum;
// - backward, strided: the 3x3 weight and bias gradients take the same per-image pass on the
//   input's column phases (dy in place); the input gradient and other kernels, plain row loops.
// These layers are memory-bound (9 FMAs per value), so the design goal is to touch x, y, dy and
// dx once each. Threads own (image, group) pairs, or output channels in the strided weight
// gradient: no reduction is ever split across threads.
#include <omp.h>

#include <algorithm>
#include <cstdlib>
#include <cstring>

#include "common/check.h"
#include "conv/conv2d.h"
#include "conv/winograd_simd.h"  // copy_n: masked row-tail stores

// The lane vectors below never cross a call boundary (everything is inlined into this TU), so
// GCC's note that an AVX-512-sized vector argument would change the ABI of a non-AVX-512 build
// does not apply.
#pragma GCC diagnostic ignored "-Wpsabi"

namespace pyengine {
namespace PE_ISA_NS {

namespace {

// Per-thread scratch without std containers (per-ISA TU: keep every instantiation local).
// Outside a parallel region a failed malloc throws (MemoryError); inside one it is recorded in
// `region` (p stays null, the thread skips its work) and the caller rethrows after the region.
template <class T>
struct Scratch {
  T* p;
  explicit Scratch(int64_t n, RegionAlloc* region = nullptr)
      : p(static_cast<T*>(std::malloc(sizeof(T) * (n > 0 ? n : 1)))) {
    RegionAlloc here;
    (region ? *region : here).ok(p, n > 0 ? n : 1, sizeof(T));
    here.rethrow("conv2d");
  }
  ~Scratch() { std::free(p); }
  Scratch(const Scratch&) = delete;
  Scratch& operator=(const Scratch&) = delete;
};

// Copies `planes` planes of (h, w) into (h + 2 ph)-row planes with a zero border, rows `ld`
// apart (ld = 0: w + 2 pw; a wider ld leaves zero columns after the right border).
template <class T>
void pad_planes(const T* src, T* dst, int64_t planes, int64_t h, int64_t w, int64_t ph,
                int64_t pw, int64_t ld = 0) {
  const int64_t PH = h + 2 * ph, PW = ld > 0 ? ld : w + 2 * pw;
  std::memset(dst, 0, sizeof(T) * planes * PH * PW);
  for (int64_t c = 0; c < planes; ++c)
    for (int64_t i = 0; i < h; ++i)
      std::memcpy(dst + (c * PH + i + ph) * PW + pw, src + (c * h + i) * w, sizeof(T) * w);
}

// The inverse: the interior (h, w) of `planes` padded planes, copied out to dst.
template <class T>
void crop_planes(const T* src, T* dst, int64_t planes, int64_t h, int64_t w, int64_t ph,
                 int64_t pw) {
  const int64_t PH = h + 2 * ph, PW = w + 2 * pw;
  for (int64_t c = 0; c < planes; ++c)
    for (int64_t i = 0; i < h; ++i)
      std::memcpy(dst + (c * h + i) * w, src + (c * PH + i + ph) * PW + pw, sizeof(T) * w);
}

inline int threads_for(int64_t tasks) {
  if (omp_in_parallel()) return 1;
  const int64_t nt = omp_get_max_threads();
  return static_cast<int>(tasks < nt ? (tasks > 0 ? tasks : 1) : nt);
}

bool unit_stride(const Conv2dGeom& g) { return g.sh == 1 && g.sw == 1; }

// kLanes values of T as one GCC vector: one zmm of floats on AVX-512, two ymm on AVX2, four xmm
// on SSE2 (the compiler splits it), so this one source serves every ISA's translation unit.
constexpr int64_t kLanes = 16;
template <class T> struct LanesOf;
template <> struct LanesOf<float> { typedef float type __attribute__((vector_size(64))); };
template <> struct LanesOf<double> { typedef double type __attribute__((vector_size(128))); };

// Integer lane indices matching LanesOf, for __builtin_shuffle.
template <class T> struct MaskOf;
template <> struct MaskOf<float> { typedef int32_t type __attribute__((vector_size(64))); };
template <> struct MaskOf<double> { typedef int64_t type __attribute__((vector_size(128))); };

// {first, first + 2, first + 4, ...}: the even (first = 0) or odd (1) lanes of two vectors.
template <class M>
inline M lane_pattern(int first) {
  M m{};
  for (int q = 0; q < int(kLanes); ++q) m[q] = first + 2 * q;
  return m;
}

template <class T>
__attribute__((always_inline)) inline typename LanesOf<T>::type load_lanes(const T* p) {
  typename LanesOf<T>::type v;
  std::memcpy(&v, p, sizeof v);
  return v;
}

// The first n <= kLanes values at p, the other lanes zero (nothing past p + n is read), and the
// first n lanes of v stored at p. AVX-512 masks each zmm of the vector directly: through a stack
// copy, a masked store followed by a full reload of it defeats store-to-load forwarding (half
// of the one-channel forward's row splitting waited on it).
template <class T>
inline typename LanesOf<T>::type load_lanes_partial(const T* p, int64_t n) {
  typename LanesOf<T>::type v;
#if defined(__AVX512F__)
  constexpr int64_t per = 64 / int64_t(sizeof(T));  // values per zmm
  for (int64_t r = 0; r < kLanes / per; ++r) {
    const int64_t m = std::min(std::max<int64_t>(n - r * per, 0), per);
    const unsigned mask = (1u << m) - 1;
    if constexpr (sizeof(T) == 4) {
      const __m512 z = _mm512_maskz_loadu_ps(static_cast<__mmask16>(mask), p + r * per);
      std::memcpy(reinterpret_cast<char*>(&v) + 64 * r, &z, 64);
    } else {
      const __m512d z = _mm512_maskz_loadu_pd(static_cast<__mmask8>(mask), p + r * per);
      std::memcpy(reinterpret_cast<char*>(&v) + 64 * r, &z, 64);
    }
  }
#else
  T tmp[kLanes] = {};
  copy_n(tmp, p, n);
  std::memcpy(&v, tmp, sizeof v);
#endif
  return v;
}

template <class T>
inline void store_lanes_partial(T* p, const typename LanesOf<T>::type& v, int64_t n) {
#if defined(__AVX512F__)
  constexpr int64_t per = 64 / int64_t(sizeof(T));
  for (int64_t r = 0; r < kLanes / per; ++r) {
    const int64_t m = std::min(std::max<int64_t>(n - r * per, 0), per);
    const unsigned mask = (1u << m) - 1;
    if constexpr (sizeof(T) == 4) {
      __m512 z;
      std::memcpy(&z, reinterpret_cast<const char*>(&v) + 64 * r, 64);
      _mm512_mask_storeu_ps(p + r * per, static_cast<__mmask16>(mask), z);
    } else {
      __m512d z;
      std::memcpy(&z, reinterpret_cast<const char*>(&v) + 64 * r, 64);
      _mm512_mask_storeu_pd(p + r * per, static_cast<__mmask8>(mask), z);
    }
  }
#else
  T tmp[kLanes];
  std::memcpy(tmp, &v, sizeof tmp);
  copy_n(p, tmp, n);
#endif
}

}  // namespace

// Stores R row sums of kLanes columns at out + rr * ow + c0, the last block of a row masked.
template <class T, int R>
inline void store_rows(const typename LanesOf<T>::type* acc, T* out, int64_t ow, int64_t c0) {
#pragma GCC unroll 8
  for (int rr = 0; rr < R; ++rr) {
    T* dst = out + rr * ow + c0;
    if (ow - c0 >= kLanes) {
      std::memcpy(dst, &acc[rr], sizeof acc[rr]);  // a fixed size: one vector store
    } else {  // through a copy, so that acc itself never needs an address (it stays in registers)
      T tail[kLanes];
      std::memcpy(tail, &acc[rr], sizeof tail);
      copy_n(dst, tail, ow - c0);
    }
  }
}

// Where an output block's taps read: input planes `pstride` apart with rows `ld` apart;
// consecutive output rows `row_step` apart (stride * ld); tap (i, j) at i * dh * ld + coff[j]
// (coff[j] = j * dw at stride 1; strided, the columns come from phase planes, see
// direct_forward_strided).
struct Taps {
  int64_t pstride, ld, row_step, dh;
  const int64_t* coff;
};

// Any kernel size, dilation and stride.
template <class T, int R>
inline void correlate_rows(const T* in, int64_t planes, const Taps& tp, const T* k, int64_t kh,
                           int64_t kw, T init, T* out, int64_t ow) {
  using V = typename LanesOf<T>::type;
  for (int64_t c0 = 0; c0 < ow; c0 += kLanes) {
    V acc[R];
#pragma GCC unroll 8
    for (int rr = 0; rr < R; ++rr) acc[rr] = V{} + init;
    for (int64_t m = 0; m < planes; ++m)
      for (int64_t i = 0; i < kh; ++i)
        for (int64_t j = 0; j < kw; ++j) {
          const T wv = k[(m * kh + i) * kw + j];
          const T* src = in + m * tp.pstride + i * tp.dh * tp.ld + tp.coff[j] + c0;
#pragma GCC unroll 8
          for (int rr = 0; rr < R; ++rr) acc[rr] += wv * load_lanes(src + rr * tp.row_step);
        }
    store_rows<T, R>(acc, out, ow, c0);
  }
}

// K x K (3 or 5), dilation 1, stride S (1, or 2 on column phase planes with phase 1 `phs`
// after phase 0): output row rr reads input rows S rr .. S rr + K - 1, so each of the block's
// (R - 1) S + K input rows is loaded once per tap column and feeds every output row it touches
// (3x3 at R = 4: 18 loads for 36 FMAs at stride 1, 27 at stride 2; 5x5: 40 for 100). Tap column
// j is padded column S c + j: phase j % S at column c + j / S. Offsets are compile-time.
template <class T, int R, int K, int S>
inline void correlate_rows_square(const T* in, int64_t planes, int64_t pstride, int64_t ld,
                                  int64_t phs, const T* k, T init, T* out, int64_t ow) {
  using V = typename LanesOf<T>::type;
  // One column block; wt(m, q) is tap q's weight of plane m (a scalar, or a vector already
  // broadcast).
  auto block = [&](int64_t c0, auto&& wt) __attribute__((always_inline)) {
    V acc[R];
#pragma GCC unroll 8
    for (int rr = 0; rr < R; ++rr) acc[rr] = V{} + init;
    for (int64_t m = 0; m < planes; ++m) {
      const T* base = in + m * pstride + c0;
#pragma GCC unroll 16
      for (int p = 0; p < (R - 1) * S + K; ++p) {
        const T* row = base + p * ld;
        V v[K];
#pragma GCC unroll 8
        for (int j = 0; j < K; ++j) {
          v[j] = load_lanes(row + (j % S) * phs + j / S);
#if defined(__AVX512F__)
          // Kept in a register: folded into each FMA as a memory operand, a row vector was
          // loaded once per output row that uses it (36 loads for 36 FMAs at 3x3, most
          // splitting a cache line), which bound the depthwise forward.
          if constexpr (sizeof(V) == 64) asm("" : "+v"(v[j]));
#endif
        }
#pragma GCC unroll 8
        for (int i = 0; i < K; ++i)
          if ((p - i) % S == 0 && p - i >= 0 && (p - i) / S < R)
#pragma GCC unroll 8
            for (int j = 0; j < K; ++j) acc[(p - i) / S] += wt(m, i * K + j) * v[j];
      }
    }
    store_rows<T, R>(acc, out, ow, c0);
  };
  if (K == 3 && planes == 1) {  // one plane (depthwise): its 9 weights broadcast once
    V kv[K * K];
    for (int q = 0; q < K * K; ++q) kv[q] = V{} + k[q];
    for (int64_t c0 = 0; c0 < ow; c0 += kLanes)
      block(c0, [&](int64_t, int q) __attribute__((always_inline)) { return kv[q]; });
    return;
  }
  for (int64_t c0 = 0; c0 < ow; c0 += kLanes)
    block(c0, [&](int64_t m, int q) __attribute__((always_inline)) { return k[m * K * K + q]; });
}

// Output channels per pass of the 3x3 stride-1 forward (correlate_plane_oc): O x 4 row sums in
// registers. O = 2 on AVX-512 (float and double); 1 (the one-channel form above) where a lane
// vector spans several narrower registers and more sums would spill. Measured on CIFAR conv1
// (3 -> 32, 32x32, batch 128; float, 1 thread): O = 1 4.1 ms, O = 4 3.1 (its 16 sums and
// the weights' addressing left GCC spilling sums to the stack), O = 2 2.6.
#if defined(__AVX512F__)
template <class T> constexpr int kOcBlock = 2;
#else
template <class T> constexpr int kOcBlock = 1;
#endif

// correlate_rows_square<T, R, 3, 1> for O output channels at once: k packed as (plane, tap,
// channel), so one base pointer and constant offsets address every weight; output planes
// `ostride` apart, init[o] each. Every input row vector loaded feeds the 9 O taps that read it,
// 18 loads for 36 O FMAs. Each sum adds the same products in the same (plane, i, j) order as
// the one-channel form: bitwise the same outputs.
template <class T, int R, int O>
inline void correlate_rows_3x3_oc(const T* in, int64_t planes, int64_t pstride, int64_t ld,
                                  const T* k, const T* init, T* out, int64_t ostride,
                                  int64_t ow) {
  using V = typename LanesOf<T>::type;
  for (int64_t c0 = 0; c0 < ow; c0 += kLanes) {
    V acc[O][R];
#pragma GCC unroll 8
    for (int o = 0; o < O; ++o)
#pragma GCC unroll 8
      for (int rr = 0; rr < R; ++rr) acc[o][rr] = V{} + init[o];
    for (int64_t m = 0; m < planes; ++m) {
      const T* base = in + m * pstride + c0;
#pragma GCC unroll 16
      for (int p = 0; p < R + 2; ++p) {
        // The weights are read where they are used (FMAs with a broadcast memory operand):
        // GCC otherwise kept each broadcast weight, used by up to R input rows, as a whole
        // vector, 9 O of them, and spilled them to the stack (a 64-byte reload per FMA). The
        // empty asm hides that km is the same pointer for every row.
        const T* km = k + m * 9 * O;
        asm("" : "+r"(km));
        const T* row = base + p * ld;
        V v[3];
#pragma GCC unroll 3
        for (int j = 0; j < 3; ++j) v[j] = load_lanes(row + j);
#pragma GCC unroll 8
        for (int o = 0; o < O; ++o)
#pragma GCC unroll 3
          for (int i = 0; i < 3; ++i)
            if (p - i >= 0 && p - i < R)
#pragma GCC unroll 3
              for (int j = 0; j < 3; ++j) acc[o][p - i] += km[(i * 3 + j) * O + o] * v[j];
      }
    }
#pragma GCC unroll 8
    for (int o = 0; o < O; ++o) store_rows<T, R>(acc[o], out + o * ostride, ow, c0);
  }
}

// O output planes of a 3x3, stride 1, dilation 1 correlation (rows ld apart in the input, the
// output planes (oh, ow) ostride apart): correlate_plane for O channels in one pass.
template <class T, int O>
void correlate_plane_oc(const T* in, int64_t planes, int64_t pstride, int64_t ld, const T* k,
                        const T* init, T* out, int64_t ostride, int64_t oh, int64_t ow) {
  constexpr int R = 4;
  int64_t r = 0;
  for (; r + R <= oh; r += R)
    correlate_rows_3x3_oc<T, R, O>(in + r * ld, planes, pstride, ld, k, init, out + r * ow,
                                   ostride, ow);
  for (; r < oh; ++r)
    correlate_rows_3x3_oc<T, 1, O>(in + r * ld, planes, pstride, ld, k, init, out + r * ow,
                                   ostride, ow);
}

// out[r][c] = init + sum_m sum_ij k[m][i][j] * in_m[(r + i dh) ld + c + j dw] for an (oh, ow)
// output plane (rows ow apart): `planes` input planes `pstride` apart, rows `ld` apart, each
// with its own kh x kw kernel (k: planes x kh x kw). A block of R rows by kLanes columns keeps its
// sums in R registers over all taps and planes and is stored once, straight into the output
// (the tap-by-tap form loaded and stored a plane-sized sum per tap). R = 4 independent FMA
// chains cover the FMA latency (one row alone waited on it). Reads up to kLanes - 1 values past
// the last plane's last row (the caller's slack); those lanes are never stored.
// R output rows from src: the row-sharing forms for 3x3 / 5x5 at stride 1 (sq = 3, 5) and 3x3
// at stride 2 (sq = -3), else the general one.
template <class T, int R>
inline void correlate_block(int sq, const T* src, int64_t planes, const Taps& tp, const T* k,
                            int64_t kh, int64_t kw, T init, T* dst, int64_t ow) {
  if (sq == -3)
    correlate_rows_square<T, R, 3, 2>(src, planes, tp.pstride, tp.ld, tp.coff[1], k, init, dst,
                                      ow);
  else if (sq == 3)
    correlate_rows_square<T, R, 3, 1>(src, planes, tp.pstride, tp.ld, 0, k, init, dst, ow);
  else if (sq == 5)
    correlate_rows_square<T, R, 5, 1>(src, planes, tp.pstride, tp.ld, 0, k, init, dst, ow);
  else
    correlate_rows<T, R>(src, planes, tp, k, kh, kw, init, dst, ow);
}

template <class T>
void correlate_plane(const T* in, int64_t planes, const Taps& tp, const T* k, int64_t kh,
                     int64_t kw, T init, T* out, int64_t oh, int64_t ow) {
  constexpr int R = 4;
  // Square 3x3 / 5x5 kernels at stride 1, dilation 1 take the row-sharing form.
  bool unit = kh == kw && tp.dh == 1 && tp.row_step == tp.ld;
  for (int64_t j = 0; unit && j < kw; ++j) unit = tp.coff[j] == j;
  // 3x3 at stride 2 (two column phases, offsets {0, phase 1, 1}) has its own form: sq = -3.
  const bool s2 = kh == 3 && kw == 3 && tp.dh == 1 && tp.row_step == 2 * tp.ld &&
                  tp.coff[0] == 0 && tp.coff[2] == 1 && tp.coff[1] > 1;
  const int sq = unit && (kh == 3 || kh == 5) ? int(kh) : s2 ? -3 : 0;
  int64_t r = 0;
  for (; r + R <= oh; r += R)
    correlate_block<T, R>(sq, in + r * tp.row_step, planes, tp, k, kh, kw, init, out + r * ow, ow);
  for (; r < oh; ++r)  // the last oh % R rows, one at a time
    correlate_block<T, 1>(sq, in + r * tp.row_step, planes, tp, k, kh, kw, init, out + r * ow, ow);
}

// Tap column offsets j * dw (stride 1).
inline void unit_offsets(int64_t* coff, int64_t kw, int64_t dw) {
  for (int64_t j = 0; j < kw; ++j) coff[j] = j * dw;
}

// Copies `planes` planes of (h, w) zero-padded by (ph, pw) into `sw` column phase planes each:
// phase q of plane c holds the padded columns q, q + sw, q + 2 sw, ... (ceil((w + 2 pw) / sw) of
// them, rows `ld` = that count apart), so that a strided convolution reads each tap with unit
// stride: padded column ow * sw + j * dw is column ow + (j * dw) / sw of phase (j * dw) % sw.
template <class T>
inline void deinterleave_row(const T* row, int64_t w, int64_t pw, T* even_phase, T* odd_phase);

template <class T>
void phase_planes(const T* src, T* dst, int64_t planes, int64_t h, int64_t w, int64_t ph,
                  int64_t pw, int64_t sw, int64_t ld) {
  const int64_t PH = h + 2 * ph, plane = PH * ld;
  std::memset(dst, 0, sizeof(T) * planes * sw * plane);
  if (sw == 2) {  // the common stride: vector deinterleave
    for (int64_t c = 0; c < planes; ++c)
      for (int64_t i = 0; i < h; ++i)
        deinterleave_row(src + (c * h + i) * w, w, pw, dst + (c * 2 * PH + ph + i) * ld,
                         dst + ((c * 2 + 1) * PH + ph + i) * ld);
    return;
  }
  for (int64_t c = 0; c < planes; ++c)
    for (int64_t q = 0; q < sw; ++q) {
      const int64_t x0 = ((q - pw) % sw + sw) % sw;  // first input column landing in phase q
      T* dq = dst + (c * sw + q) * plane + ph * ld + (x0 + pw) / sw;
      for (int64_t i = 0; i < h; ++i) {
        const T* row = src + (c * h + i) * w;
        T* d = dq + i * ld;
        for (int64_t xx = x0, col = 0; xx < w; xx += sw, ++col) d[col] = row[xx];
      }
    }
}

// One input row into the two column phases of its padded row (padded column = x + pw): 32
// values at a time as two vectors split into their even and odd lanes (vpermt2ps on AVX-512).
template <class T>
inline void deinterleave_row(const T* row, int64_t w, int64_t pw, T* even_phase, T* odd_phase) {
  using V = typename LanesOf<T>::type;
  using M = typename MaskOf<T>::type;
  const M kEven = lane_pattern<M>(0), kOdd = lane_pattern<M>(1);  // folded to constants
  // Inputs x = 2t land in phase pw % 2 at column (2t + pw) / 2, inputs 2t + 1 in the other
  // phase at (2t + 1 + pw) / 2.
  T* de = pw % 2 == 0 ? even_phase : odd_phase;
  T* dodd = pw % 2 == 0 ? odd_phase : even_phase;
  const int64_t e0 = pw / 2, o0 = (1 + pw) / 2;
  int64_t x = 0;
  for (; x + 2 * kLanes <= w; x += 2 * kLanes) {
    const V a = load_lanes(row + x), b = load_lanes(row + x + kLanes);
    const V ev = __builtin_shuffle(a, b, kEven), od = __builtin_shuffle(a, b, kOdd);
    std::memcpy(de + e0 + x / 2, &ev, sizeof ev);
    std::memcpy(dodd + o0 + x / 2, &od, sizeof od);
  }
  if (x == w) return;
  // The tail (all of a row shorter than 2 kLanes: MNIST's 28 columns) the same way, masked:
  // element by element it took ~10 % of the one-channel forward.
  const int64_t left = w - x, na = std::min<int64_t>(left, kLanes);
  const V a = load_lanes_partial(row + x, na), b = load_lanes_partial(row + x + na, left - na);
  store_lanes_partial(de + e0 + x / 2, __builtin_shuffle(a, b, kEven), (left + 1) / 2);
  store_lanes_partial(dodd + o0 + x / 2, __builtin_shuffle(a, b, kOdd), left / 2);
}

}  // namespace PE_ISA_NS
}  // namespace pyengine

#include "conv/conv_direct_one_channel.h"

namespace pyengine {
namespace PE_ISA_NS {

// Any stride: each output plane is one correlate_plane over the group's padded input planes
// (split into column phases when the column stride is above 1; a row stride only spaces the
// output rows' reads further apart).
template <class T>
void direct_forward(const Conv2dGeom& g, const T* x, const T* w, const T* b, T* y) {
  const int64_t cg = g.cg(), ocg = g.ocg(), PH = g.h + 2 * g.ph, PW = g.w + 2 * g.pw;
  const int64_t OHW = g.oh * g.ow, tasks = g.n * g.groups, KK = g.kh * g.kw, sw = g.sw;
  const int64_t ld = (PW + sw - 1) / sw, plane = PH * ld;  // one (phase) plane
  const int64_t padn = cg * sw * plane, slack = kLanes;
  Scratch<int64_t> coff(g.kw);
  for (int64_t j = 0; j < g.kw; ++j) coff.p[j] = (j * g.dw) % sw * plane + (j * g.dw) / sw;
  const Taps tp{sw * plane, ld, g.sh * ld, g.dh, coff.p};
  // 2-4 input channels: 27-36 weights per output channel, more than stay in registers next to
  // the sums (one input channel: 9, which GCC keeps in registers; the blocked form, with its
  // weights read per use, was slower there: MNIST conv1 1.35 -> 1.52 ms).
  const bool k3s1 = g.kh == 3 && g.kw == 3 && unit_stride(g) && g.dh == 1 && g.dw == 1 &&
                    kOcBlock<T> > 1 && cg >= 2;
  RegionAlloc alloc;
#pragma omp parallel num_threads(threads_for(tasks))
  {
    Scratch<T> pad(padn + slack, &alloc);
    Scratch<T> kpack(k3s1 ? cg * 9 * kOcBlock<T> : 0, &alloc);
    for (int64_t q = padn; pad.p && q < padn + slack; ++q) pad.p[q] = T(0);
#pragma omp for schedule(static)
    for (int64_t t = 0; t < tasks; ++t) {
      if (!pad.p || !kpack.p) continue;
      const int64_t n = t / g.groups, grp = t % g.groups;
      const T* xg = x + (n * g.c + grp * cg) * g.h * g.w;
      if (sw == 1)
        pad_planes(xg, pad.p, cg, g.h, g.w, g.ph, g.pw);
      else
        phase_planes(xg, pad.p, cg, g.h, g.w, g.ph, g.pw, sw, ld);
      int64_t o = grp * ocg;
      if (k3s1) {  // kOcBlock output channels per pass over the padded input
        constexpr int O = kOcBlock<T>;
        for (; o + O <= (grp + 1) * ocg; o += O) {
          T init[O];
          for (int q = 0; q < O; ++q) init[q] = b ? b[o + q] : T(0);
          for (int64_t m = 0; m < cg; ++m)  // (plane, tap, channel)
            for (int t = 0; t < 9; ++t)
              for (int q = 0; q < O; ++q) kpack.p[(m * 9 + t) * O + q] = w[((o + q) * cg + m) * 9 + t];
          correlate_plane_oc<T, O>(pad.p, cg, plane, ld, kpack.p, init,
                                   y + (n * g.oc + o) * OHW, OHW, g.oh, g.ow);
        }
      }
      for (; o < (grp + 1) * ocg; ++o)
        correlate_plane(pad.p, cg, tp, w + o * cg * KK, g.kh, g.kw, b ? b[o] : T(0),
                        y + (n * g.oc + o) * OHW, g.oh, g.ow);
    }
  }
  alloc.rethrow("conv2d");
}

template <class T>
void conv2d_direct_forward(const Conv2dGeom& g, const T* x, const T* w, const T* b, T* y) {
  if (g.c == 1 && g.groups == 1) return direct_forward_one_channel(g, x, w, b, y);
  direct_forward(g, x, w, b, y);
}

// Any stride (the fallback for strided convolutions and for padding wider than the kernel's
// reach): dy scattered tap by tap into a padded dx plane, which is then cropped.
template <class T>
void direct_backward_input_rows(const Conv2dGeom& g, const T* dy, const T* w, T* dx) {
  const int64_t cg = g.cg(), ocg = g.ocg(), PH = g.h + 2 * g.ph, PW = g.w + 2 * g.pw;
  const int64_t OHW = g.oh * g.ow, tasks = g.n * g.groups, KK = g.kh * g.kw;
  RegionAlloc alloc;
#pragma omp parallel num_threads(threads_for(tasks))
  {
    Scratch<T> pad(cg * PH * PW, &alloc);
#pragma omp for schedule(static)
    for (int64_t t = 0; t < tasks; ++t) {
      if (!pad.p) continue;
      const int64_t n = t / g.groups, grp = t % g.groups;
      std::memset(pad.p, 0, sizeof(T) * cg * PH * PW);
      for (int64_t o = grp * ocg; o < (grp + 1) * ocg; ++o) {
        const T* dyp = dy + (n * g.oc + o) * OHW;
        const T* wo = w + o * cg * KK;
        for (int64_t oh = 0; oh < g.oh; ++oh) {
          const T* src = dyp + oh * g.ow;
          for (int64_t c = 0; c < cg; ++c)
            for (int64_t i = 0; i < g.kh; ++i) {
              T* row = pad.p + (c * PH + oh * g.sh + i * g.dh) * PW;
              for (int64_t j = 0; j < g.kw; ++j) {
                const T wv = wo[(c * g.kh + i) * g.kw + j];
                T* dst = row + j * g.dw;
                if (g.sw == 1) {
#pragma omp simd
                  for (int64_t ow = 0; ow < g.ow; ++ow) dst[ow] += wv * src[ow];
                } else {
                  for (int64_t ow = 0; ow < g.ow; ++ow) dst[ow * g.sw] += wv * src[ow];
                }
              }
            }
        }
      }
      crop_planes(pad.p, dx + (n * g.c + grp * cg) * g.h * g.w, cg, g.h, g.w, g.ph, g.pw);
    }
  }
  alloc.rethrow("conv2d_backward");
}

// Any stride: for each tap a whole row of partial sums (one per output column) takes dy * x over
// n and oh with plain vector FMAs and is summed once at the end.
template <class T>
void direct_backward_weight_rows(const Conv2dGeom& g, const T* x, const T* dy, T* dw) {
  const int64_t cg = g.cg(), ocg = g.ocg(), PH = g.h + 2 * g.ph, PW = g.w + 2 * g.pw;
  const int64_t OHW = g.oh * g.ow, KK = g.kh * g.kw;
  const int64_t OWp = (g.ow + 15) / 16 * 16;  // accumulator rows padded to a vector multiple
  // Each thread owns a contiguous range of output channels. For each tap it keeps a whole row of
  // partial sums (one per output column) and adds dy * x over n and oh with plain vector FMAs;
  // the row is summed once at the end. Per channel the order is fixed (n, oh, then ow), so the
  // result is independent of how channels are split over threads.
  const int nt = threads_for(g.oc);
  RegionAlloc alloc;
#pragma omp parallel num_threads(nt)
  {
    const int t = omp_get_thread_num(), nth = omp_get_num_threads();
    int64_t o0 = g.oc * t / nth, o1 = g.oc * (t + 1) / nth;
    Scratch<T> pad(PH * PW, &alloc);
    Scratch<T> acc((o1 - o0) * cg * KK * OWp, &alloc);
    if (!pad.p || !acc.p) o1 = o0;  // no work (no barrier in this region)
    for (int64_t q = 0; q < (o1 - o0) * cg * KK * OWp; ++q) acc.p[q] = T(0);
    for (int64_t n = 0; n < g.n; ++n) {
      int64_t padded = -1;  // input channel now in `pad`
      for (int64_t o = o0; o < o1; ++o) {
        const T* dyp = dy + (n * g.oc + o) * OHW;
        for (int64_t c = 0; c < cg; ++c) {
          const int64_t ch = (o / ocg) * cg + c;
          if (ch != padded) {
            pad_planes(x + (n * g.c + ch) * g.h * g.w, pad.p, 1, g.h, g.w, g.ph, g.pw);
            padded = ch;
          }
          T* ac = acc.p + ((o - o0) * cg + c) * KK * OWp;
          for (int64_t oh = 0; oh < g.oh; ++oh) {
            const T* d = dyp + oh * g.ow;
            for (int64_t i = 0; i < g.kh; ++i)
              for (int64_t j = 0; j < g.kw; ++j) {
                const T* src = pad.p + (oh * g.sh + i * g.dh) * PW + j * g.dw;
                T* a = ac + (i * g.kw + j) * OWp;
                if (g.sw == 1) {
#pragma omp simd
                  for (int64_t ow = 0; ow < g.ow; ++ow) a[ow] += d[ow] * src[ow];
                } else {
                  for (int64_t ow = 0; ow < g.ow; ++ow) a[ow] += d[ow] * src[ow * g.sw];
                }
              }
          }
        }
      }
    }
    for (int64_t o = o0; o < o1; ++o)
      for (int64_t q = 0; q < cg * KK; ++q) {
        const T* a = acc.p + ((o - o0) * cg * KK + q) * OWp;
        T s = T(0);
        for (int64_t ow = 0; ow < g.ow; ++ow) s += a[ow];
        dw[o * cg * KK + q] = s;
      }
  }
  alloc.rethrow("conv2d_backward");
}

template <class T>
inline T lane_sum(const typename LanesOf<T>::type& a) {
  T s = T(0);
  for (int64_t q = 0; q < kLanes; ++q) s += a[q];
  return s;
}

// ac[i kw + j] += sum over q < len (a multiple of kLanes) of wd[q] * src[i dh ld + j dw + q].
// With the kernel size fixed at compile time (3x3) every tap runs in the same pass over wd, with
// a register of partial sums each: 9 independent FMA chains and one wd load for 9 products (tap
// by tap, one chain waited on the FMA latency). Otherwise tap by tap. Lanes are summed in a
// fixed order, so the result does not depend on the thread count.
template <class T, int KH, int KW>
void tap_dots(const T* wd, const T* src, int64_t len, int64_t ld, int64_t kh, int64_t kw,
              int64_t dh, int64_t dw, T* ac) {
  using V = typename LanesOf<T>::type;
  if constexpr (KH > 0 && KW > 0) {
    V acc[KH * KW] = {};
    for (int64_t q0 = 0; q0 < len; q0 += kLanes) {
      const V d = load_lanes(wd + q0);
      for (int i = 0; i < KH; ++i)
        for (int j = 0; j < KW; ++j)
          acc[i * KW + j] += d * load_lanes(src + i * dh * ld + j * dw + q0);
    }
    for (int t = 0; t < KH * KW; ++t) ac[t] += lane_sum<T>(acc[t]);
  } else {
    for (int64_t i = 0; i < kh; ++i)
      for (int64_t j = 0; j < kw; ++j) {
        const T* s = src + i * dh * ld + j * dw;
        V acc = {};
        for (int64_t q0 = 0; q0 < len; q0 += kLanes) acc += load_lanes(wd + q0) * load_lanes(s + q0);
        ac[i * kw + j] += lane_sum<T>(acc);
      }
  }
}

// The 3x3, dilation 1 case of tap_dots, by blocks of R rows, for O output channels (dy planes
// `ldo` apart) against one input plane: each input row vector loaded feeds every tap and dy row
// it meets ((R + 2) * 3 + O R loads for 9 O R FMAs: 26 for 72 at R = 4, O = 2; 22 for 36 at
// O = 1, where the wide loop loads 10 for 9). Rows are ld apart, ld a multiple of kLanes, and
// wd is zero past its ow real columns, so the column blocks never straddle two rows. Inlined
// into tap_dots_3x3, whose sums then stay in registers (as an out-of-line function taking them
// by pointer, GCC stored and reloaded them around every load: they might alias the planes).
template <class T, int R, int O>
__attribute__((always_inline)) inline void tap_rows_3x3(const T* wd, int64_t ldo, int64_t ldd,
                                                        const T* pf, const T* src, int64_t ldx,
                                                        int64_t ow,
                                                        typename LanesOf<T>::type (&acc)[O][9]) {
  using V = typename LanesOf<T>::type;
  for (int64_t c0 = 0; c0 < ow; c0 += kLanes) {
    V d[O][R];
    if (ow - c0 >= kLanes) {
#pragma GCC unroll 8
      for (int o = 0; o < O; ++o)
#pragma GCC unroll 8
        for (int rr = 0; rr < R; ++rr) {
          d[o][rr] = load_lanes(wd + o * ldo + rr * ldd + c0);
          __builtin_prefetch(pf + o * ldo + rr * ldd + c0);
        }
    } else {  // the row's last, partial block: lanes past ow are zero, so x's junk adds nothing
#pragma GCC unroll 8
      for (int o = 0; o < O; ++o)
#pragma GCC unroll 8
        for (int rr = 0; rr < R; ++rr)
          d[o][rr] = load_lanes_partial(wd + o * ldo + rr * ldd + c0, ow - c0);
    }
#pragma GCC unroll 8
    for (int p = 0; p < R + 2; ++p)
#pragma GCC unroll 8
      for (int j = 0; j < 3; ++j) {
        const V v = load_lanes(src + p * ldx + c0 + j);
#pragma GCC unroll 8
        for (int o = 0; o < O; ++o)
#pragma GCC unroll 8
          for (int i = 0; i < 3; ++i)
            if (p - i >= 0 && p - i < R) acc[o][i * 3 + j] += d[o][p - i] * v;
      }
  }
}

// Output channels per pass of the 3x3 weight gradient: 2 for float on AVX-512 (18 sums + 8 dy
// vectors in its 32 zmm), else 1.
template <class T> constexpr int kDwOcBlock = sizeof(T) == 4 && kOcBlock<T> >= 2 ? 2 : 1;

// dy rows ldd apart (its own plane, or a padded copy), O dy planes ldo apart, x rows ldx apart;
// ac[o * acs + tap] += the taps' dot products. Per output channel the same sums in the same
// order for any O. dy comes from memory, once, so it is prefetched: its rows two blocks ahead,
// or with `next` (the last input channel's pass, whose dy is already in cache) the same rows of
// the planes at `next`, the dy the next call will read first. CIFAR conv1's weight and bias
// gradient, 1 thread: 4.7 ms without prefetches, 4.0-4.4 with rows ahead (16 rows ahead the
// same).
template <class T, int O>
void tap_dots_3x3(const T* wd, int64_t ldo, int64_t ldd, const T* src, int64_t ldx, int64_t oh,
                  int64_t ow, T* ac, int64_t acs, const T* next = nullptr) {
  using V = typename LanesOf<T>::type;
  constexpr int R = 4;  // (for O = 2, R = 2 or 3 spill less: CIFAR conv1 4.7 -> 5.9, 3.7 -> 4.0 ms)
  V acc[O][9];
#pragma GCC unroll 8
  for (int o = 0; o < O; ++o)
#pragma GCC unroll 9
    for (int t = 0; t < 9; ++t) acc[o][t] = V{};
  const T* pf = next ? next : wd + 2 * R * ldd;
  int64_t r = 0;
  for (; r + R <= oh; r += R)
    tap_rows_3x3<T, R, O>(wd + r * ldd, ldo, ldd, pf + r * ldd, src + r * ldx, ldx, ow, acc);
  for (; r < oh; ++r)
    tap_rows_3x3<T, 1, O>(wd + r * ldd, ldo, ldd, pf + r * ldd, src + r * ldx, ldx, ow, acc);
  for (int o = 0; o < O; ++o)
    for (int t = 0; t < 9; ++t) ac[o * acs + t] += lane_sum<T>(acc[o][t]);
}

// The 3x3 weight gradient at any stride and dilation: dy read in place, row by row (a masked
// load for each row's last block), against the input's column phase planes (phase_planes):
// tap (i, j) of output row r reads row r sh + i dh at column offset coff[j].
template <class T>
void tap_dots_3x3_strided(const T* wd, const T* src, int64_t ldx, int64_t row_step, int64_t dh,
                          const int64_t* coff, int64_t oh, int64_t ow, T* ac) {
  using V = typename LanesOf<T>::type;
  V acc[9] = {};
  const int64_t o0 = coff[0], o1 = coff[1], o2 = coff[2];
  for (int64_t r = 0; r < oh; ++r) {
    const T* drow = wd + r * ow;
    const T* xrow = src + r * row_step;
    for (int64_t c0 = 0; c0 < ow; c0 += kLanes) {
      const V d = ow - c0 >= kLanes ? load_lanes(drow + c0) : load_lanes_partial(drow + c0, ow - c0);
#pragma GCC unroll 3
      for (int i = 0; i < 3; ++i) {
        const T* x = xrow + i * dh * ldx + c0;
        acc[i * 3 + 0] += d * load_lanes(x + o0);
        acc[i * 3 + 1] += d * load_lanes(x + o1);
        acc[i * 3 + 2] += d * load_lanes(x + o2);
      }
    }
  }
  for (int t = 0; t < 9; ++t) ac[t] += lane_sum<T>(acc[t]);
}

// Stride 1 with padding no wider than the dilated kernel's reach, all three gradients in one
// pass over dy (each read once from memory instead of once per gradient):
// - dx is the correlation of dy, zero-padded by q = (k - 1) d - p on each side, with the flipped
//   kernels, summed over the group's output channels: gathered per dx plane by correlate_plane
//   (each value written once, sums in registers), not scattered tap by tap and cropped.
// - dw[o][c][i][j] = sum of dy[o] * x_pad[c] shifted by (i dh, j dw): tap_dots over the padded dy
//   plane read "wide", as rows of the common stride ld. Both padded planes have zeros past their
//   real columns, so the junk lanes add exact zeros.
// - db[o] = sum of dy[o], from the same padded plane.
// Threads own (image, group) pairs; dw and db are summed per image into partials which are then
// added in image order, so no reduction depends on the thread count.
// Strided 3x3: the weight and bias gradients take direct_backward_s1 with phase planes.
inline bool strided_3x3(const Conv2dGeom& g) {
  return !unit_stride(g) && g.kh == 3 && g.kw == 3;
}

inline bool gather_ok(const Conv2dGeom& g) {
  return unit_stride(g) && g.ph <= (g.kh - 1) * g.dh && g.pw <= (g.kw - 1) * g.dw;
}

// The bias gradient's share of one dy plane: its padded copy read wide (len values, zeros
// past the real columns), or the plane itself (ohw values).
template <class T>
T dy_sum(const T* wd, bool padded, int64_t len, int64_t ohw) {
  typename LanesOf<T>::type s = {};
  if (padded) {
    for (int64_t q0 = 0; q0 < len; q0 += kLanes) s += load_lanes(wd + q0);
  } else {
    int64_t q0 = 0;
    for (; q0 + kLanes <= ohw; q0 += kLanes) s += load_lanes(wd + q0);
    if (q0 < ohw) s += load_lanes_partial(wd + q0, ohw - q0);
  }
  return lane_sum<T>(s);
}

template <class T>
void direct_backward_s1(const Conv2dGeom& g, const T* x, const T* dy, const T* w, T* dx, T* dw,
                        T* db) {
  const int64_t cg = g.cg(), ocg = g.ocg(), KK = g.kh * g.kw, OHW = g.oh * g.ow;
  // Strided (3x3 weight and bias gradients only, dx == null): the input goes into column phase
  // planes, dy is read in place.
  const bool strided = !unit_stride(g);
  const int64_t qh = strided ? 0 : (g.kh - 1) * g.dh - g.ph;
  const int64_t qw = strided ? 0 : (g.kw - 1) * g.dw - g.pw;
  const int64_t DH = g.oh + 2 * qh, PH = g.h + 2 * g.ph;
  // Rows of both padded planes are ld apart: a whole number of vectors (tap_dots_3x3's blocks)
  // at least as wide as either padded plane.
  const int64_t ld = (std::max(g.ow + 2 * qw, g.w + 2 * g.pw) + kLanes - 1) / kLanes * kLanes;
  // Padded dy planes sit dps apart: the gap after each stays zero, so the vectors that run past a
  // plane's last row (wide reads, and the gather's junk lanes) see zeros, never the next plane.
  const int64_t dps = DH * ld + ld + kLanes;
  const int64_t ldx = (g.w + 2 * g.pw + g.sw - 1) / g.sw, xplane = PH * ldx;  // strided phases
  const int64_t xpadn = strided ? cg * g.sw * xplane : cg * PH * ld;
  const int64_t xslack = (g.kw - 1) * g.dw + 2 * kLanes;
  const int64_t len = (g.oh * ld + kLanes - 1) / kLanes * kLanes;  // wide dy length, whole vectors
  const bool want_w = dw != nullptr || db != nullptr;
  // The 3x3 weight gradient reads dy in place (its last partial block per row through a masked
  // load); the padded copy is made only for the input gradient's gather and the wide loops.
  const bool k3d1 = g.kh == 3 && g.kw == 3 && g.dh == 1 && g.dw == 1;
  const bool pad_dy = dx != nullptr || !(k3d1 || strided);
  const int64_t dpadn = pad_dy ? ocg * dps : 0;
  // wf[c][o - group's first][i][j] = w[o][c - group's first][kh - 1 - i][kw - 1 - j]
  Scratch<int64_t> coff(g.kw), xoff(g.kw);
  unit_offsets(coff.p, g.kw, g.dw);
  for (int64_t j = 0; j < g.kw; ++j) xoff.p[j] = (j * g.dw) % g.sw * xplane + (j * g.dw) / g.sw;
  const Taps tp{dps, ld, ld, g.dh, coff.p};  // the gather's reads of the padded dy planes
  Scratch<T> wf(dx ? g.c * ocg * KK : 0);
  if (dx)
    for (int64_t c = 0; c < g.c; ++c)
      for (int64_t m = 0; m < ocg; ++m)
        for (int64_t q = 0; q < KK; ++q)
          wf.p[(c * ocg + m) * KK + q] =
              w[(((c / cg) * ocg + m) * cg + c % cg) * KK + (KK - 1 - q)];
  // Per-image partials of (dw, db), for at most `chunk` images at a time: 64, or fewer where
  // that would pass 4 MiB (the chunk is a constant of the geometry, never of the thread count).
  const int64_t per = g.oc * cg * KK + g.oc;
  const int64_t chunk =
      want_w ? std::max<int64_t>(1, std::min<int64_t>({g.n, int64_t{64},
                                                       (int64_t{4} << 20) / int64_t(sizeof(T)) / per}))
             : g.n;
  Scratch<T> part(want_w ? chunk * per : 0);
  if (dw) std::fill(dw, dw + g.oc * cg * KK, T(0));
  if (db) std::fill(db, db + g.oc, T(0));
  for (int64_t n0 = 0; n0 < g.n; n0 += chunk) {
    const int64_t n1 = std::min(g.n, n0 + chunk), tasks = (n1 - n0) * g.groups;
    RegionAlloc alloc;
#pragma omp parallel num_threads(threads_for(tasks))
    {
      Scratch<T> dpad(dpadn, &alloc);
      Scratch<T> xpad(want_w ? xpadn + xslack : 0, &alloc);
      const bool ok = dpad.p && xpad.p;
      for (int64_t q = 0; ok && q < dpadn; ++q) dpad.p[q] = T(0);
      if (want_w && ok)
        for (int64_t q = xpadn; q < xpadn + xslack; ++q) xpad.p[q] = T(0);
#pragma omp for schedule(static)
      for (int64_t t = 0; t < tasks; ++t) {
        if (!ok) continue;
        const int64_t n = n0 + t / g.groups, grp = t % g.groups;
        if (pad_dy)
          for (int64_t m = 0; m < ocg; ++m)
            pad_planes(dy + (n * g.oc + grp * ocg + m) * OHW, dpad.p + m * dps, 1, g.oh, g.ow,
                       qh, qw, ld);
        if (dx)
          for (int64_t c = grp * cg; c < (grp + 1) * cg; ++c)
            correlate_plane(dpad.p, ocg, tp, wf.p + c * ocg * KK, g.kh, g.kw, T(0),
                            dx + (n * g.c + c) * g.h * g.w, g.h, g.w);
        if (!want_w) continue;
        const T* xg = x + (n * g.c + grp * cg) * g.h * g.w;
        if (strided)
          phase_planes(xg, xpad.p, cg, g.h, g.w, g.ph, g.pw, g.sw, ldx);
        else
          pad_planes(xg, xpad.p, cg, g.h, g.w, g.ph, g.pw, ld);
        T* pw_n = part.p + (n - n0) * per;  // this image's dw, then its db
        // The 3x3 stride-1 weight gradient takes kDwOcBlock output channels per pass.
        const int64_t ldo = pad_dy ? dps : OHW;
        int64_t o = grp * ocg;
        constexpr int O = kDwOcBlock<T>;
        if (O > 1 && k3d1 && !strided && dw && cg >= 2)  // (cg = 1: 2.0 -> 2.3 ms on MNIST conv1)
          for (; o + O <= (grp + 1) * ocg; o += O) {
            const T* wd = pad_dy ? dpad.p + (o - grp * ocg) * dps + qh * ld + qw
                                 : dy + (n * g.oc + o) * OHW;
            for (int64_t c = 0; c < cg; ++c) {
              T* ac = pw_n + (o * cg + c) * KK;
              for (int q = 0; q < O; ++q)
                for (int64_t t = 0; t < KK; ++t) ac[q * cg * KK + t] = T(0);
              tap_dots_3x3<T, O>(wd, ldo, pad_dy ? ld : g.ow, xpad.p + c * PH * ld, ld, g.oh,
                                 g.ow, ac, cg * KK, c == cg - 1 ? wd + O * ldo : nullptr);
            }
            for (int q = 0; q < O; ++q)
              pw_n[g.oc * cg * KK + o + q] = dy_sum(wd + q * ldo, pad_dy, len, OHW);
          }
        for (; o < (grp + 1) * ocg; ++o) {
          const T* dyo = dy + (n * g.oc + o) * OHW;
          const T* wd = pad_dy ? dpad.p + (o - grp * ocg) * dps + qh * ld + qw : dyo;
          for (int64_t c = 0; dw && c < cg; ++c) {  // (db alone: no dot products)
            T* ac = pw_n + (o * cg + c) * KK;
            for (int64_t q = 0; q < KK; ++q) ac[q] = T(0);
            if (strided)
              tap_dots_3x3_strided(wd, xpad.p + c * g.sw * xplane, ldx, g.sh * ldx, g.dh, xoff.p,
                                   g.oh, g.ow, ac);
            else if (k3d1)
              tap_dots_3x3<T, 1>(wd, 0, pad_dy ? ld : g.ow, xpad.p + c * PH * ld, ld, g.oh, g.ow,
                                 ac, 0, c == cg - 1 ? wd + ldo : nullptr);
            else if (g.kh == 3 && g.kw == 3)
              tap_dots<T, 3, 3>(wd, xpad.p + c * PH * ld, len, ld, g.kh, g.kw, g.dh, g.dw, ac);
            else
              tap_dots<T, 0, 0>(wd, xpad.p + c * PH * ld, len, ld, g.kh, g.kw, g.dh, g.dw, ac);
          }
          pw_n[g.oc * cg * KK + o] = dy_sum(wd, pad_dy, len, OHW);
        }
      }
    }
    alloc.rethrow("conv2d_backward");
    for (int64_t n = n0; n < n1; ++n) {  // image order: the same sums for any thread count
      const T* pn = part.p + (n - n0) * per;
      if (dw)
        for (int64_t q = 0; q < g.oc * cg * KK; ++q) dw[q] += pn[q];
      if (db)
        for (int64_t o = 0; o < g.oc; ++o) db[o] += pn[g.oc * cg * KK + o];
    }
  }
}

template <class T>
void conv2d_direct_backward_input(const Conv2dGeom& g, const T* dy, const T* w, T* dx) {
  if (gather_ok(g)) return direct_backward_s1<T>(g, nullptr, dy, w, dx, nullptr, nullptr);
  direct_backward_input_rows(g, dy, w, dx);
}

template <class T>
void conv2d_direct_backward_weight(const Conv2dGeom& g, const T* x, const T* dy, T* dw) {
  if (gather_ok(g) || strided_3x3(g))
    return direct_backward_s1<T>(g, x, dy, nullptr, nullptr, dw, nullptr);
  direct_backward_weight_rows(g, x, dy, dw);
}

template <class T>
void conv2d_direct_backward(const Conv2dGeom& g, const T* x, const T* dy, const T* w, T* dx,
                            T* dw, T* db) {
  if (gather_ok(g)) return direct_backward_s1(g, x, dy, w, dx, dw, db);
  if (dx) direct_backward_input_rows(g, dy, w, dx);
  if (strided_3x3(g) && (dw || db)) return direct_backward_s1<T>(g, x, dy, w, nullptr, dw, db);
  if (dw) direct_backward_weight_rows(g, x, dy, dw);
  if (db) conv2d_backward_bias(g, dy, db);
}

template void conv2d_direct_forward<float>(const Conv2dGeom&, const float*, const float*,
                                           const float*, float*);
template void conv2d_direct_forward<double>(const Conv2dGeom&, const double*, const double*,
                                            const double*, double*);
template void conv2d_direct_backward_input<float>(const Conv2dGeom&, const float*, const float*,
                                                  float*);
template void conv2d_direct_backward_input<double>(const Conv2dGeom&, const double*,
                                                   const double*, double*);
template void conv2d_direct_backward_weight<float>(const Conv2dGeom&, const float*, const float*,
                                                   float*);
template void conv2d_direct_backward_weight<double>(const Conv2dGeom&, const double*,
                                                    const double*, double*);
template void conv2d_direct_backward<float>(const Conv2dGeom&, const float*, const float*,
                                            const float*, float*, float*, float*);
template void conv2d_direct_backward<double>(const Conv2dGeom&, const double*, const double*,
                                             const double*, double*, double*, double*);

}  // namespace PE_ISA_NS
}  // namespace pyengine
