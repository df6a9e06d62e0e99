// Register-blocked micro-kernel written once over a tiny vector trait V (load, broadcast, fma)
// and compiled per ISA: ukernel_avx2.cpp and ukernel_avx512.cpp define PE_ISA_NS and their
// traits, then include this file. Everything here lives in that ISA's namespace (and an
// anonymous one), so no inline code is shared between translation units with different -m flags.
//
// Shape: MR rows x NV vectors. Per k step: NV vector loads of B, MR broadcasts of A, MR*NV FMAs
// into MR*NV accumulators that stay in registers for the whole k loop.
#include <cstdint>
#include <type_traits>

#include "gemm/ukernel.h"

namespace pyengine {
namespace gemm_detail {
namespace PE_ISA_NS {
namespace {

// The k loop of ukernel_simd: acc += A_panel * B_panel, A's columns `as_a` apart. Step is
// std::integral_constant<int64_t, MR> for a packed A, so that loop is compiled exactly as with
// a fixed step (immediate offsets in the unrolled body), or int64_t for an A read in place.
template <class V, int MR, int NV, class Step>
__attribute__((always_inline)) inline void accumulate(int64_t k, const typename V::T* a,
                                                      Step as_a, const typename V::T* b,
                                                      int64_t rs_b, typename V::R (&acc)[MR][NV]) {
  using T = typename V::T;
  using R = typename V::R;
  constexpr int W = V::W;
  constexpr int NR = NV * W;
#pragma GCC unroll 4
  for (int64_t p = 0; p < k; ++p) {
    R bv[NV];
#pragma GCC unroll 4
    for (int v = 0; v < NV; ++v) bv[v] = V::load(b + v * W);
    // No software prefetch of B here: the packed B panel is read sequentially and the hardware
    // prefetcher keeps ahead of it. A prefetch of the row 8 k-steps ahead stood here, but GCC 12
    // dropped it (the _mm_prefetch inside this always_inline loop emitted nothing); emitted with
    // __builtin_prefetch it changed nothing measurable (square 256-2048, 1 thread, CPU time, six
    // alternated runs: medians within 1 % both ways, 2026-12-01).
#pragma GCC unroll 32
    for (int i = 0; i < MR; ++i) {
      const R ai = V::bcast(a + i);
#pragma GCC unroll 4
      for (int v = 0; v < NV; ++v) acc[i][v] = V::fma(ai, bv[v], acc[i][v]);
    }
    a += as_a;
    b += rs_b;
  }
}

template <class V, int MR, int NV>
void ukernel_rows(int64_t k, const typename V::T* a, int64_t as_a, const typename V::T* b,
                  int64_t rs_b, typename V::T* c, int64_t rs_c, int64_t cs_c, int64_t mr,
                  int64_t nr, typename V::T alpha, typename V::T beta) {
  using T = typename V::T;
  using R = typename V::R;
  constexpr int W = V::W;
  constexpr int NR = NV * W;
  R acc[MR][NV];
#pragma GCC unroll 32
  for (int i = 0; i < MR; ++i)
#pragma GCC unroll 4
    for (int v = 0; v < NV; ++v) acc[i][v] = V::zero();

  // Ask for the C tile now so that its lines (often out of L1 and L2: the previous K block
  // touched them a whole block of C ago) arrive during the k loop instead of stalling the
  // write-back. Prefetches never fault; only rows and columns inside C are named anyway.
  if (cs_c == 1)
    for (int64_t i = 0; i < mr; ++i) {
      V::prefetch(c + i * rs_c);
      V::prefetch(c + i * rs_c + (nr - 1));
    }
  if (as_a == MR)
    accumulate<V, MR, NV>(k, a, std::integral_constant<int64_t, MR>{}, b, rs_b, acc);
  else
    accumulate<V, MR, NV>(k, a, as_a, b, rs_b, acc);

  const R va = V::set1(alpha);
  if (mr == MR && nr == NR && cs_c == 1) {
    if (alpha == T(1) && (beta == T(0) || beta == T(1))) {
      // The common case (C = A B, or a later K block adding onto C) without the multiplications
      // by 1: acc * 1 and fma(acc, 1, c * 1) round to exactly acc and acc + c, so the bits are
      // those of the general write-back below. With a short k (e.g. 784x32 @ 32x128, 32 steps)
      // the 24 multiplications were 3 % of the tile's vector operations.
#pragma GCC unroll 32
      for (int i = 0; i < MR; ++i)
#pragma GCC unroll 4
        for (int v = 0; v < NV; ++v) {
          T* cp = c + i * rs_c + v * W;
          V::store(cp, beta == T(0) ? acc[i][v] : V::add(acc[i][v], V::load(cp)));
        }
    } else if (beta == T(0)) {
#pragma GCC unroll 32
      for (int i = 0; i < MR; ++i)
#pragma GCC unroll 4
        for (int v = 0; v < NV; ++v) V::store(c + i * rs_c + v * W, V::mul(acc[i][v], va));
    } else {
      const R vb = V::set1(beta);
#pragma GCC unroll 32
      for (int i = 0; i < MR; ++i)
#pragma GCC unroll 4
        for (int v = 0; v < NV; ++v) {
          T* cp = c + i * rs_c + v * W;
          V::store(cp, V::fma(acc[i][v], va, V::mul(V::load(cp), vb)));
        }
    }
    return;
  }
  // Edge tile or strided C: stage the valid part of C in a stack tile and run the same vector
  // arithmetic as above, so an element's bits do not depend on where tile boundaries fall.
  alignas(64) T tmp[MR * NR];
  if (beta != T(0))
    for (int64_t i = 0; i < mr; ++i)
      for (int64_t j = 0; j < nr; ++j) tmp[i * NR + j] = c[i * rs_c + j * cs_c];
  const R vb = V::set1(beta);
#pragma GCC unroll 32
  for (int i = 0; i < MR; ++i)
#pragma GCC unroll 4
    for (int v = 0; v < NV; ++v) {
      T* tp = tmp + i * NR + v * W;
      V::store(tp, beta == T(0) ? V::mul(acc[i][v], va)
                                : V::fma(acc[i][v], va, V::mul(V::load(tp), vb)));
    }
  for (int64_t i = 0; i < mr; ++i)
    for (int64_t j = 0; j < nr; ++j) c[i * rs_c + j * cs_c] = tmp[i * NR + j];
}

// Unpacked variant for small products (BLIS's "sup" idea): A and B are read where they lie,
// A(i, p) at a[i * rs_a + p * cs_a] broadcast, B(p, j) at b[p * rs_b + j] loaded with a lane mask,
// so neither operand is packed and nothing outside A[0:mr, 0:k], B[0:k, 0:nr], C[0:mr, 0:nr] is
// read or written. Rows mr..MR-1 repeat row mr-1 (in bounds); they are computed, never stored.
// C must have unit column stride. Same FMA order per element as ukernel_simd with one K block.
template <class V, int MR, int NV>
void ukernel_direct_rows(int64_t k, const typename V::T* a, int64_t rs_a, int64_t cs_a,
                    const typename V::T* b, int64_t rs_b, typename V::T* c, int64_t rs_c,
                    int64_t mr, int64_t nr, typename V::T alpha, typename V::T beta) {
  using T = typename V::T;
  using R = typename V::R;
  using M = typename V::M;
  constexpr int W = V::W;
  M mask[NV];
#pragma GCC unroll 4
  for (int v = 0; v < NV; ++v) {
    const int64_t lanes = nr - v * W;
    mask[v] = V::mask(lanes < 0 ? 0 : lanes > W ? W : int(lanes));
  }
  const T* ar[MR];
#pragma GCC unroll 32
  for (int i = 0; i < MR; ++i) ar[i] = a + (i < mr ? i : mr - 1) * rs_a;
  R acc[MR][NV];
#pragma GCC unroll 32
  for (int i = 0; i < MR; ++i)
#pragma GCC unroll 4
    for (int v = 0; v < NV; ++v) acc[i][v] = V::zero();

  for (int64_t p = 0, pa = 0; p < k; ++p, pa += cs_a) {
    R bv[NV];
#pragma GCC unroll 4
    for (int v = 0; v < NV; ++v) bv[v] = V::load_m(b + p * rs_b + v * W, mask[v]);
#pragma GCC unroll 32
    for (int i = 0; i < MR; ++i) {
      const R ai = V::bcast(ar[i] + pa);
#pragma GCC unroll 4
      for (int v = 0; v < NV; ++v) acc[i][v] = V::fma(ai, bv[v], acc[i][v]);
    }
  }

  const R va = V::set1(alpha), vb = V::set1(beta);
#pragma GCC unroll 32
  for (int i = 0; i < MR; ++i) {
    if (i >= mr) break;
#pragma GCC unroll 4
    for (int v = 0; v < NV; ++v) {
      T* cp = c + i * rs_c + v * W;
      V::store_m(cp, beta == T(0) ? V::mul(acc[i][v], va)
                                  : V::fma(acc[i][v], va, V::mul(V::load_m(cp, mask[v]), vb)),
                 mask[v]);
    }
  }
}

// The registered kernels: a tile of at most a third or two thirds of MR rows runs the MR / 3 or
// 2 MR / 3 row instantiation of the same code instead of computing MR rows and storing fewer
// (32 rows were 12 + 12 + a 12-row tile for 8 of them: 36 rows of FMAs for 32). An element's
// FMA sequence and write-back are the same in every instantiation, so are its bits. A packed A
// panel keeps its MR step (as_a), which the smaller instantiations read through their run-time
// step loop.
template <class V, int MR, int NV>
void ukernel_simd(int64_t k, const typename V::T* a, int64_t as_a, const typename V::T* b,
                  int64_t rs_b, typename V::T* c, int64_t rs_c, int64_t cs_c, int64_t mr,
                  int64_t nr, typename V::T alpha, typename V::T beta) {
  if constexpr (MR % 3 == 0) {
    if (mr <= MR / 3)
      return ukernel_rows<V, MR / 3, NV>(k, a, as_a, b, rs_b, c, rs_c, cs_c, mr, nr, alpha, beta);
    if (mr <= 2 * MR / 3)
      return ukernel_rows<V, 2 * MR / 3, NV>(k, a, as_a, b, rs_b, c, rs_c, cs_c, mr, nr, alpha,
                                             beta);
  }
  ukernel_rows<V, MR, NV>(k, a, as_a, b, rs_b, c, rs_c, cs_c, mr, nr, alpha, beta);
}

template <class V, int MR, int NV>
void ukernel_direct(int64_t k, const typename V::T* a, int64_t rs_a, int64_t cs_a,
                    const typename V::T* b, int64_t rs_b, typename V::T* c, int64_t rs_c,
                    int64_t mr, int64_t nr, typename V::T alpha, typename V::T beta) {
  if constexpr (MR % 3 == 0) {
    if (mr <= MR / 3)
      return ukernel_direct_rows<V, MR / 3, NV>(k, a, rs_a, cs_a, b, rs_b, c, rs_c, mr, nr,
                                                alpha, beta);
    if (mr <= 2 * MR / 3)
      return ukernel_direct_rows<V, 2 * MR / 3, NV>(k, a, rs_a, cs_a, b, rs_b, c, rs_c, mr, nr,
                                                    alpha, beta);
  }
  ukernel_direct_rows<V, MR, NV>(k, a, rs_a, cs_a, b, rs_b, c, rs_c, mr, nr, alpha, beta);
}

}  // namespace
}  // namespace PE_ISA_NS
}  // namespace gemm_detail
}  // namespace pyengine
