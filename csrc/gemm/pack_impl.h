// Packing of A and B into the micro-panel layouts the micro-kernels stream through (the layouts:
// PackFn in ukernel.h), compiled once per instruction set: each ukernel_<isa>.cpp includes this
// and puts its pack_a_impl / pack_b_impl into its KernelInfo, so the generic table's copy is
// plain x86-64 (SSE2) and the AVX2 / AVX-512 ones the same loops vectorise with 256- / 512-bit moves (the row-major B copy of a
// 344 x 352 block: 35 -> 42 GB/s from L2 and 12 -> 22 GB/s from memory with AVX-512 moves).
// Everything is in an anonymous namespace, so each translation unit keeps its own copy compiled
// with its own flags. A packed panel is a plain copy, so the results do not depend on which
// copy ran.
#pragma once
#include <algorithm>
#include <cstdint>
#include <cstring>
#include <type_traits>
#if defined(__SSE2__)  // baseline on x86-64
#include <emmintrin.h>
#endif

namespace pyengine {
namespace gemm_detail {
namespace {

#if defined(__SSE2__)
// One cache line (16 floats) of each of 4 rows, transposed 4 x 4 at a time into the packed
// layout dst[q * W + r]: 4 loads, 8 shuffles and 4 stores per 16 elements instead of 16 scalar
// stores. The transposing pack of a row-major A was 12 % of a 2048^3 product's time in perf
// with scalar copies.
template <int W>
inline void transpose_line_4rows(const float* x, int64_t rs, float* dst) {
  for (int q = 0; q < 16; q += 4) {
    __m128 r0 = _mm_loadu_ps(x + q), r1 = _mm_loadu_ps(x + rs + q);
    __m128 r2 = _mm_loadu_ps(x + 2 * rs + q), r3 = _mm_loadu_ps(x + 3 * rs + q);
    _MM_TRANSPOSE4_PS(r0, r1, r2, r3);
    _mm_storeu_ps(dst + (q + 0) * W, r0);
    _mm_storeu_ps(dst + (q + 1) * W, r1);
    _mm_storeu_ps(dst + (q + 2) * W, r2);
    _mm_storeu_ps(dst + (q + 3) * W, r3);
  }
}
#endif

// Packs one panel of `w` <= W rows of a matrix X given as (row r, k p) at x[r * rs + p * cs]
// into dst[p * W + r], zero-filling rows w..W-1. A-panels use (rs_a, cs_a); B-panels are the
// same operation on B^T, i.e. (cs_b, rs_b).
template <class T, int W>
void pack_panel(int64_t w, int64_t kc, const T* x, int64_t rs, int64_t cs, T* dst) {
  if (w == W && rs == 1) {
    for (int64_t p = 0; p < kc; ++p) {
      const T* src = x + p * cs;
      for (int r = 0; r < W; ++r) dst[p * W + r] = src[r];
    }
  } else if (w == W && cs == 1) {
    // Transpose in chunks of one cache line per source row: with a power-of-two row stride all
    // W rows map to the same L1 set, so each line is consumed whole before moving on.
    constexpr int Q = 64 / sizeof(T);
    int64_t p = 0;
#if defined(__SSE2__)
    if constexpr (std::is_same_v<T, float> && W % 4 == 0) {
      for (; p + Q <= kc; p += Q)
        for (int r = 0; r < W; r += 4) transpose_line_4rows<W>(x + r * rs + p, rs, dst + p * W + r);
    }
#endif
    for (; p + Q <= kc; p += Q)
      for (int r = 0; r < W; ++r) {
        const T* src = x + r * rs + p;
        for (int q = 0; q < Q; ++q) dst[(p + q) * W + r] = src[q];
      }
    for (; p < kc; ++p)
      for (int r = 0; r < W; ++r) dst[p * W + r] = x[r * rs + p];
  } else {  // edge panel (w < W) or general strides: copy w rows, zero the padding
    for (int64_t p = 0; p < kc; ++p) {
      T* d = dst + p * W;
      const T* src = x + p * cs;
      for (int64_t r = 0; r < w; ++r) d[r] = src[r * rs];
      for (int64_t r = w; r < W; ++r) d[r] = T(0);
    }
  }
}

template <class T, int W>
void pack_all(int64_t n, int64_t kc, const T* x, int64_t rs, int64_t cs, T* dst) {
  if (rs == 1 && n > W) {
    // Panel dimension contiguous (a row-major B): walk each source row once, left to right,
    // dealing its W-wide pieces out to the panels. Panel by panel, every row was touched once per
    // panel with the row stride between touches (4 KiB for a 1024-wide float B, so the hardware
    // prefetchers, which stay within a page, missed every row): perf put half of a 1024^3
    // product's packing time in that copy. Row by row: packing 7.2 -> 6.5 % of the micro-kernel's
    // time (mean of 3 perf runs each, 1 thread; a software prefetch of the next rows did not help).
    const int64_t full = n / W * W;
    for (int64_t p = 0; p < kc; ++p) {
      const T* src = x + p * cs;
      T* d = dst + p * W;
      // A fixed-size memcpy is emitted as vector moves for every W (12 floats: one ymm and one
      // xmm move); the element loop was vectorised for W = 32 but left as 12 scalar moves for
      // W = 12, which made packing the transposed A of A.T @ g (784x32 @ 32x128) 11 % of the
      // micro-kernel's time (perf, one thread).
      for (int64_t r0 = 0; r0 < full; r0 += W, d += W * kc) std::memcpy(d, src + r0, W * sizeof(T));
    }
    if (full < n) pack_panel<T, W>(n - full, kc, x + full, rs, cs, dst + full * kc);
    return;
  }
  for (int64_t r0 = 0; r0 < n; r0 += W, dst += W * kc)
    pack_panel<T, W>(std::min<int64_t>(W, n - r0), kc, x + r0 * rs, rs, cs, dst);
}

template <class T>
void pack_dispatch(int64_t n, int64_t kc, const T* x, int64_t rs, int64_t cs, int w, T* dst) {
  switch (w) {  // the MR / NR values of the registered kernels
    case 4: return pack_all<T, 4>(n, kc, x, rs, cs, dst);
    case 6: return pack_all<T, 6>(n, kc, x, rs, cs, dst);
    case 8: return pack_all<T, 8>(n, kc, x, rs, cs, dst);
    case 12: return pack_all<T, 12>(n, kc, x, rs, cs, dst);
    case 16: return pack_all<T, 16>(n, kc, x, rs, cs, dst);
    case 32: return pack_all<T, 32>(n, kc, x, rs, cs, dst);
    default: break;
  }
  for (int64_t r0 = 0; r0 < n; r0 += w, dst += w * kc)  // unregistered width: slow but correct
    for (int64_t p = 0; p < kc; ++p)
      for (int r = 0; r < w; ++r)
        dst[p * w + r] = r0 + r < n ? x[(r0 + r) * rs + p * cs] : T(0);
}


template <class T>
void pack_a_impl(int64_t mc, int64_t kc, const T* a, int64_t rs_a, int64_t cs_a, int mr, T* dst) {
  pack_dispatch(mc, kc, a, rs_a, cs_a, mr, dst);
}

template <class T>
void pack_b_impl(int64_t kc, int64_t nc, const T* b, int64_t rs_b, int64_t cs_b, int nr, T* dst) {
  pack_dispatch(nc, kc, b, cs_b, rs_b, nr, dst);
}

}  // namespace
}  // namespace gemm_detail
}  // namespace pyengine
