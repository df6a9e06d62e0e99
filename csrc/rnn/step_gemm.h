// The products of one step, C (+)= A @ W, for a block of batch rows: A is (m, k) row-major
// (x_t and h_prev forward, the gate gradients backward), W (k, n) is a weight matrix that stays
// the same for all T steps, so it is packed ONCE per call into panels of NR columns
// (zero-padded), and the per-step product reads A where it lies (no packing per step).
//
// Why not csrc/gemm: its register tile is 12 rows, and the row blocks here are 16, 32 or 64 rows
// (rnn_impl.h: rows_per_block), so a 16-row block ran a full 12-row tile plus a 4-row tile computed
// as 12 (1.5x the FMAs), and at 16 x 64 x 256 (LSTM, hidden 64) the product took the packed path,
// packing A every step. Here the tile is 8 rows (4 on AVX2 / SSE2), which divides every block.
//
// Compiled in each ISA's translation unit (rnn_<isa>.cpp): the vector type is one zmm on AVX-512,
// one ymm on AVX2, one xmm on SSE2, picked from the target macros of that translation unit.
// Summation order: every element of C is sum_p A[i, p] W[p, j] accumulated in p order from zero,
// then added to C (accumulate) or stored: independent of m, of the row block and of the thread
// count, so results are bitwise identical for any number of threads.
#pragma once
#include <immintrin.h>

#include <algorithm>
#include <cstdint>
#include <cstring>

namespace pyengine {
namespace PE_ISA_NS {
namespace {

#if defined(__AVX512F__)
constexpr int kStepVecBytes = 64, kStepMR = 8, kStepNV = 2;  // 16 zmm accumulators of 32
#elif defined(__AVX2__)
constexpr int kStepVecBytes = 32, kStepMR = 4, kStepNV = 3;  // 12 ymm accumulators of 16
#else
constexpr int kStepVecBytes = 16, kStepMR = 4, kStepNV = 2;  // 8 xmm accumulators of 16
#endif

template <class T>
struct StepVec {
  typedef T type __attribute__((vector_size(kStepVecBytes)));
  static constexpr int W = kStepVecBytes / int(sizeof(T));  // lanes
  static constexpr int NR = W * kStepNV;                      // columns per panel
};

template <class T>
__attribute__((always_inline)) inline typename StepVec<T>::type step_load(const T* p) {
  typename StepVec<T>::type v;
  std::memcpy(&v, p, sizeof v);
  return v;
}

// dst[0:n] = src[0:n] with non-temporal stores where the ISA has them: for the whole-sequence
// workspaces (gate activations forward, gate gradients backward: (T, B, G*H), 5 MB at
// LSTM(64) B = 128) that are written once per step and read only after the time loop, so a
// plain store's read-for-ownership of every line is wasted traffic. The bits are those of a
// plain copy.
template <class T>
void stream_copy(T* dst, const T* src, int64_t n) {
  int64_t i = 0;
  for (; i < n && (reinterpret_cast<uintptr_t>(dst + i) & 63) != 0; ++i) dst[i] = src[i];
  if constexpr (sizeof(T) == 4) {
#if defined(__AVX512F__)
    for (; i + 16 <= n; i += 16) _mm512_stream_ps(dst + i, _mm512_loadu_ps(src + i));
#elif defined(__AVX__)
    for (; i + 8 <= n; i += 8) _mm256_stream_ps(dst + i, _mm256_loadu_ps(src + i));
#else
    for (; i + 4 <= n; i += 4) _mm_stream_ps(dst + i, _mm_loadu_ps(src + i));
#endif
  } else {
#if defined(__AVX512F__)
    for (; i + 8 <= n; i += 8) _mm512_stream_pd(dst + i, _mm512_loadu_pd(src + i));
#elif defined(__AVX__)
    for (; i + 4 <= n; i += 4) _mm256_stream_pd(dst + i, _mm256_loadu_pd(src + i));
#else
    for (; i + 2 <= n; i += 2) _mm_stream_pd(dst + i, _mm_loadu_pd(src + i));
#endif
  }
  for (; i < n; ++i) dst[i] = src[i];
}

// Elements of the packed form of a (k, n) matrix.
template <class T>
int64_t step_packed_size(int64_t k, int64_t n) {
  constexpr int64_t NR = StepVec<T>::NR;
  return (n + NR - 1) / NR * NR * k;
}

// Packs W (k, n), element (p, j) = w(p, j), into panels: panel q holds columns q*NR ...
// q*NR+NR-1 as k rows of NR values (zeros past n), panels k*NR apart.
template <class T, class At>
void step_pack(int64_t k, int64_t n, At w, T* out) {
  constexpr int64_t NR = StepVec<T>::NR;
  for (int64_t j0 = 0; j0 < n; j0 += NR) {
    const int64_t nr = std::min(NR, n - j0);
    T* panel = out + j0 * k;
    for (int64_t p = 0; p < k; ++p) {
      T* row = panel + p * NR;
      for (int64_t jj = 0; jj < nr; ++jj) row[jj] = w(p, j0 + jj);
      for (int64_t jj = nr; jj < NR; ++jj) row[jj] = T(0);
    }
  }
}

// The left operand: k1 columns from a1 (rows lda1 apart), then k2 columns from a2 (rows lda2
// apart), i.e. [a1 | a2] without copying; the packed W has k1 + k2 rows in the same order.
// (x_t | h_prev) against (W_ih^T ; W_hh^T) gives an RNN / LSTM step's whole pre-activation in
// one product.
template <class T>
struct StepA {
  const T* a1;
  int64_t lda1, k1;
  const T* a2 = nullptr;
  int64_t lda2 = 0, k2 = 0;
};

template <class T, int MR, int NV>
__attribute__((always_inline)) inline void step_accumulate(
    typename StepVec<T>::type (&acc)[MR][NV], const T* const (&ar)[MR], int64_t k,
    const T*& b) {
  using V = typename StepVec<T>::type;
  constexpr int W = StepVec<T>::W, NR = StepVec<T>::NR;
#pragma GCC unroll 2
  for (int64_t p = 0; p < k; ++p) {
    V bv[NV];
#pragma GCC unroll 4
    for (int v = 0; v < NV; ++v) bv[v] = step_load(b + p * NR + v * W);
#pragma GCC unroll 8
    for (int i = 0; i < MR; ++i) {
      const T s = ar[i][p];
#pragma GCC unroll 4
      for (int v = 0; v < NV; ++v) acc[i][v] += s * bv[v];
    }
  }
  b += k * NR;
}

// One MR x NR tile: rows i0 ... i0 + mr - 1 of A (rows past mr repeat row mr - 1, computed and
// never stored), panel b (k1 + k2 rows of NR), C tile at c (ldc), nr <= NR columns.
template <class T>
__attribute__((always_inline)) inline void step_tile(const StepA<T>& a, int64_t i0, const T* b,
                                                     T* c, int64_t ldc, int64_t mr, int64_t nr,
                                                     bool accumulate) {
  using V = typename StepVec<T>::type;
  constexpr int MR = kStepMR, NV = kStepNV, W = StepVec<T>::W, NR = StepVec<T>::NR;
  V acc[MR][NV];
#pragma GCC unroll 8
  for (int i = 0; i < MR; ++i)
#pragma GCC unroll 4
    for (int v = 0; v < NV; ++v) acc[i][v] = V{};
  const T* ar[MR];
#pragma GCC unroll 8
  for (int i = 0; i < MR; ++i) ar[i] = a.a1 + (i0 + (i < mr ? i : mr - 1)) * a.lda1;
  step_accumulate<T, MR, NV>(acc, ar, a.k1, b);
  if (a.k2 > 0) {
#pragma GCC unroll 8
    for (int i = 0; i < MR; ++i) ar[i] = a.a2 + (i0 + (i < mr ? i : mr - 1)) * a.lda2;
    step_accumulate<T, MR, NV>(acc, ar, a.k2, b);
  }
  if (nr == NR) {
#pragma GCC unroll 8
    for (int i = 0; i < MR; ++i) {
      if (i >= mr) break;
#pragma GCC unroll 4
      for (int v = 0; v < NV; ++v) {
        T* cp = c + i * ldc + v * W;
        V r = acc[i][v];
        if (accumulate) r += step_load(cp);
        std::memcpy(cp, &r, sizeof r);
      }
    }
    return;
  }
  for (int i = 0; i < MR; ++i) {  // last, partial panel: through a copy, nr columns stored
    if (i >= mr) break;
    T tile[NR];
    std::memcpy(tile, acc[i], sizeof tile);
    T* cp = c + i * ldc;
    for (int64_t j = 0; j < nr; ++j) cp[j] = accumulate ? cp[j] + tile[j] : tile[j];
  }
}

// C (m, n) (+)= A (m, k1 + k2) @ W, W packed by step_pack; panel_stride = the packed matrix's
// rows * NR (more than (k1 + k2) * NR when A uses the first rows of a larger packed W).
template <class T>
void step_gemm(int64_t m, int64_t n, const StepA<T>& a, const T* w_packed, int64_t panel_stride,
               T* c, int64_t ldc, bool accumulate) {
  constexpr int64_t MR = kStepMR, NR = StepVec<T>::NR;
  // Panel outside, row tiles inside: the panel ((k1 + k2) x NR) stays in L1 across the row
  // tiles, and the block's rows of A (at most 64 rows) are re-read from L1 / L2.
  for (int64_t j0 = 0, q = 0; j0 < n; j0 += NR, ++q) {
    const int64_t nr = std::min(NR, n - j0);
    const T* panel = w_packed + q * panel_stride;
    for (int64_t i0 = 0; i0 < m; i0 += MR)
      step_tile(a, i0, panel, c + i0 * ldc + j0, ldc, std::min(MR, m - i0), nr, accumulate);
  }
}

}  // namespace
}  // namespace PE_ISA_NS
}  // namespace pyengine
