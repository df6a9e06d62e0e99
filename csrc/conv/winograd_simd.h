// Short copies, fills and register transposes for the Winograd tile loop (winograd_impl.h; the
// direct kernels in conv_direct_impl.h use copy_n for their row tails), compiled per ISA like
// them: included with PE_ISA_NS defined, using AVX-512 / AVX2 intrinsics where the TU's flags
// allow.
#pragma once
#include <cstdint>

#if defined(__AVX512F__) || defined(__AVX2__)
#include <immintrin.h>
#endif

namespace pyengine {
namespace PE_ISA_NS {
namespace {

inline int64_t imin(int64_t a, int64_t b) { return a < b ? a : b; }
inline int64_t imax(int64_t a, int64_t b) { return a > b ? a : b; }

// Short copies and fills (a segment's rows are 12-28 values in the benchmark layers, and there
// are 8 per segment and channel): one masked AVX-512 load/store per 16 values where available,
// plain loops elsewhere. The attribute keeps GCC from turning the loops into memcpy calls.
template <class T>
__attribute__((optimize("no-tree-loop-distribute-patterns"), always_inline))
inline void copy_n(T* __restrict dst, const T* __restrict src, int64_t n) {
#if defined(__AVX512F__)
  if constexpr (sizeof(T) == 4) {
    int64_t q = 0;
    for (; q + 16 <= n; q += 16) _mm512_storeu_ps(dst + q, _mm512_loadu_ps(src + q));
    if (q < n) {
      const __mmask16 k = static_cast<__mmask16>((1u << (n - q)) - 1);
      _mm512_mask_storeu_ps(dst + q, k, _mm512_maskz_loadu_ps(k, src + q));
    }
    return;
  } else {
    int64_t q = 0;
    for (; q + 8 <= n; q += 8) _mm512_storeu_pd(dst + q, _mm512_loadu_pd(src + q));
    if (q < n) {
      const __mmask8 k = static_cast<__mmask8>((1u << (n - q)) - 1);
      _mm512_mask_storeu_pd(dst + q, k, _mm512_maskz_loadu_pd(k, src + q));
    }
    return;
  }
#endif
  for (int64_t q = 0; q < n; ++q) dst[q] = src[q];
}

template <class T>
__attribute__((optimize("no-tree-loop-distribute-patterns"), always_inline))
inline void zero_n(T* __restrict dst, int64_t n) {
#if defined(__AVX512F__)
  if constexpr (sizeof(T) == 4) {
    int64_t q = 0;
    for (; q + 16 <= n; q += 16) _mm512_storeu_ps(dst + q, _mm512_setzero_ps());
    if (q < n)
      _mm512_mask_storeu_ps(dst + q, static_cast<__mmask16>((1u << (n - q)) - 1),
                            _mm512_setzero_ps());
    return;
  } else {
    int64_t q = 0;
    for (; q + 8 <= n; q += 8) _mm512_storeu_pd(dst + q, _mm512_setzero_pd());
    if (q < n)
      _mm512_mask_storeu_pd(dst + q, static_cast<__mmask8>((1u << (n - q)) - 1),
                            _mm512_setzero_pd());
    return;
  }
#endif
  for (int64_t q = 0; q < n; ++q) dst[q] = T(0);
}

// dst[q * ldd + r] = src[r * lds + q] for r < rows, q < cols. AVX-512: 16x16 (float) or 8x8
// (double) blocks transposed in registers (a 4x4 transpose inside each 128-bit lane, then a 4x4
// transpose of the lanes); AVX2 likewise with 8x8 / 4x4; generic, and at the edges, plain loops.
#if defined(__AVX512F__)
// GCC 12 flags the unpack / shuffle intrinsics' internal _mm512_undefined_* pass-through.
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wuninitialized"
inline void transpose_block(const float* s, int64_t ls, float* d, int64_t ld) {
  __m512 r[16], t[16];
  for (int i = 0; i < 16; ++i) r[i] = _mm512_loadu_ps(s + i * ls);
  for (int g = 0; g < 4; ++g) {  // rows 4g..4g+3: lane j of r[4g + m] = column 4j + m
    const __m512 a = r[4 * g], b = r[4 * g + 1], c = r[4 * g + 2], e = r[4 * g + 3];
    const __m512d t0 = _mm512_castps_pd(_mm512_unpacklo_ps(a, b));
    const __m512d t1 = _mm512_castps_pd(_mm512_unpackhi_ps(a, b));
    const __m512d t2 = _mm512_castps_pd(_mm512_unpacklo_ps(c, e));
    const __m512d t3 = _mm512_castps_pd(_mm512_unpackhi_ps(c, e));
    t[4 * g + 0] = _mm512_castpd_ps(_mm512_unpacklo_pd(t0, t2));
    t[4 * g + 1] = _mm512_castpd_ps(_mm512_unpackhi_pd(t0, t2));
    t[4 * g + 2] = _mm512_castpd_ps(_mm512_unpacklo_pd(t1, t3));
    t[4 * g + 3] = _mm512_castpd_ps(_mm512_unpackhi_pd(t1, t3));
  }
  for (int m = 0; m < 4; ++m) {  // output row 4j + m = lane j of t[m], t[4 + m], t[8 + m], t[12 + m]
    const __m512 u0 = _mm512_shuffle_f32x4(t[m], t[4 + m], 0x44);
    const __m512 u1 = _mm512_shuffle_f32x4(t[m], t[4 + m], 0xEE);
    const __m512 u2 = _mm512_shuffle_f32x4(t[8 + m], t[12 + m], 0x44);
    const __m512 u3 = _mm512_shuffle_f32x4(t[8 + m], t[12 + m], 0xEE);
    _mm512_storeu_ps(d + (0 + m) * ld, _mm512_shuffle_f32x4(u0, u2, 0x88));
    _mm512_storeu_ps(d + (4 + m) * ld, _mm512_shuffle_f32x4(u0, u2, 0xDD));
    _mm512_storeu_ps(d + (8 + m) * ld, _mm512_shuffle_f32x4(u1, u3, 0x88));
    _mm512_storeu_ps(d + (12 + m) * ld, _mm512_shuffle_f32x4(u1, u3, 0xDD));
  }
}

inline void transpose_block(const double* s, int64_t ls, double* d, int64_t ld) {
  __m512d r[8], t[8];
  for (int i = 0; i < 8; ++i) r[i] = _mm512_loadu_pd(s + i * ls);
  for (int g = 0; g < 4; ++g) {  // rows 2g, 2g+1: lane j of t[2g + m] = column 2j + m
    t[2 * g] = _mm512_unpacklo_pd(r[2 * g], r[2 * g + 1]);
    t[2 * g + 1] = _mm512_unpackhi_pd(r[2 * g], r[2 * g + 1]);
  }
  for (int m = 0; m < 2; ++m) {  // output row 2j + m = lane j of t[m], t[2 + m], t[4 + m], t[6 + m]
    const __m512d u0 = _mm512_shuffle_f64x2(t[m], t[2 + m], 0x44);
    const __m512d u1 = _mm512_shuffle_f64x2(t[m], t[2 + m], 0xEE);
    const __m512d u2 = _mm512_shuffle_f64x2(t[4 + m], t[6 + m], 0x44);
    const __m512d u3 = _mm512_shuffle_f64x2(t[4 + m], t[6 + m], 0xEE);
    _mm512_storeu_pd(d + (0 + m) * ld, _mm512_shuffle_f64x2(u0, u2, 0x88));
    _mm512_storeu_pd(d + (2 + m) * ld, _mm512_shuffle_f64x2(u0, u2, 0xDD));
    _mm512_storeu_pd(d + (4 + m) * ld, _mm512_shuffle_f64x2(u1, u3, 0x88));
    _mm512_storeu_pd(d + (6 + m) * ld, _mm512_shuffle_f64x2(u1, u3, 0xDD));
  }
}
#pragma GCC diagnostic pop
#endif

#if defined(__AVX2__) && !defined(__AVX512F__)
// AVX2: 8x8 (float) or 4x4 (double) blocks, the same scheme on 256-bit registers.
inline void transpose_block(const float* s, int64_t ls, float* d, int64_t ld) {
  __m256 r[8], t[8], u[8];
  for (int i = 0; i < 8; ++i) r[i] = _mm256_loadu_ps(s + i * ls);
  for (int i = 0; i < 4; ++i) {
    t[2 * i] = _mm256_unpacklo_ps(r[2 * i], r[2 * i + 1]);
    t[2 * i + 1] = _mm256_unpackhi_ps(r[2 * i], r[2 * i + 1]);
  }
  for (int h = 0; h < 2; ++h) {  // rows 4h..4h+3: lane j of u[4h + m] = column 4j + m
    u[4 * h + 0] = _mm256_shuffle_ps(t[4 * h], t[4 * h + 2], 0x44);
    u[4 * h + 1] = _mm256_shuffle_ps(t[4 * h], t[4 * h + 2], 0xEE);
    u[4 * h + 2] = _mm256_shuffle_ps(t[4 * h + 1], t[4 * h + 3], 0x44);
    u[4 * h + 3] = _mm256_shuffle_ps(t[4 * h + 1], t[4 * h + 3], 0xEE);
  }
  for (int m = 0; m < 4; ++m) {
    _mm256_storeu_ps(d + m * ld, _mm256_permute2f128_ps(u[m], u[4 + m], 0x20));
    _mm256_storeu_ps(d + (4 + m) * ld, _mm256_permute2f128_ps(u[m], u[4 + m], 0x31));
  }
}

inline void transpose_block(const double* s, int64_t ls, double* d, int64_t ld) {
  const __m256d r0 = _mm256_loadu_pd(s), r1 = _mm256_loadu_pd(s + ls);
  const __m256d r2 = _mm256_loadu_pd(s + 2 * ls), r3 = _mm256_loadu_pd(s + 3 * ls);
  const __m256d t0 = _mm256_unpacklo_pd(r0, r1), t1 = _mm256_unpackhi_pd(r0, r1);
  const __m256d t2 = _mm256_unpacklo_pd(r2, r3), t3 = _mm256_unpackhi_pd(r2, r3);
  _mm256_storeu_pd(d, _mm256_permute2f128_pd(t0, t2, 0x20));
  _mm256_storeu_pd(d + ld, _mm256_permute2f128_pd(t1, t3, 0x20));
  _mm256_storeu_pd(d + 2 * ld, _mm256_permute2f128_pd(t0, t2, 0x31));
  _mm256_storeu_pd(d + 3 * ld, _mm256_permute2f128_pd(t1, t3, 0x31));
}
#endif

template <class T>
void transpose(const T* __restrict src, int64_t lds, int64_t rows, int64_t cols,
               T* __restrict dst, int64_t ldd) {
#if defined(__AVX512F__)
  constexpr int64_t B = 64 / int64_t(sizeof(T));  // block edge: one register of T
#else
  constexpr int64_t B = 32 / int64_t(sizeof(T));
#endif
  int64_t r0 = 0;
#if defined(__AVX512F__) || defined(__AVX2__)
  for (; r0 + B <= rows; r0 += B) {
    int64_t q0 = 0;
    for (; q0 + B <= cols; q0 += B) transpose_block(src + r0 * lds + q0, lds, dst + q0 * ldd + r0, ldd);
    for (int64_t q = q0; q < cols; ++q)
      for (int64_t r = r0; r < r0 + B; ++r) dst[q * ldd + r] = src[r * lds + q];
  }
#endif
  for (; r0 < rows; r0 += B) {
    const int64_t r1 = imin(rows, r0 + B);
    for (int64_t q = 0; q < cols; ++q)
      for (int64_t r = r0; r < r1; ++r) dst[q * ldd + r] = src[r * lds + q];
  }
}

}  // namespace
}  // namespace PE_ISA_NS
}  // namespace pyengine
