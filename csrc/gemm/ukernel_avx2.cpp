// AVX2 + FMA micro-kernels (compiled with -mavx2 -mfma by file-name suffix).
//
// fp32 tile 6 x 16 (two ymm of B per k, 6 broadcasts of A), the Haswell shape of BLIS and
// OpenBLAS: 12 accumulators + 2 B registers + 1 broadcast = 15 of 16 ymm; 12 independent FMA
// chains cover 2 pipes x 4-5 cycles of latency. fp64 tile 6 x 8, same register shape.
//
// Cache blocks: A micro-panel MR x KC in L1 (6 * 384 * 4 B = 9 KiB; fp64 6 * 256 * 8 = 12 KiB),
// packed B block KC x NC in about half of a 1 MiB L2 (384 * 384 * 4 B = 576 KiB; fp64
// 256 * 256 * 8 = 512 KiB). On CPUs with a 256 KiB L2 the B block spills to L3, which costs a few
// per cent, not correctness.
#include <immintrin.h>

#define PE_ISA_NS avx2
#include "gemm/ukernel_simd.h"

namespace pyengine {
namespace gemm_detail {
namespace avx2 {
namespace {

struct F32 {
  using T = float;
  using R = __m256;
  static constexpr int W = 8;
  static R zero() { return _mm256_setzero_ps(); }
  static R set1(T x) { return _mm256_set1_ps(x); }
  static R load(const T* p) { return _mm256_loadu_ps(p); }
  using M = __m256i;  // lanes 0..n-1 all ones
  static M mask(int n) {
    return _mm256_cmpgt_epi32(_mm256_set1_epi32(n), _mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7));
  }
  static R load_m(const T* p, M m) { return _mm256_maskload_ps(p, m); }
  static void store_m(T* p, R x, M m) { _mm256_maskstore_ps(p, m, x); }
  static R bcast(const T* p) { return _mm256_broadcast_ss(p); }
  static R fma(R a, R b, R c) { return _mm256_fmadd_ps(a, b, c); }
  static R mul(R a, R b) { return _mm256_mul_ps(a, b); }
  static R add(R a, R b) { return _mm256_add_ps(a, b); }
  static void store(T* p, R x) { _mm256_storeu_ps(p, x); }
  static void prefetch(const T* p) { _mm_prefetch(reinterpret_cast<const char*>(p), _MM_HINT_T0); }
};

struct F64 {
  using T = double;
  using R = __m256d;
  static constexpr int W = 4;
  static R zero() { return _mm256_setzero_pd(); }
  static R set1(T x) { return _mm256_set1_pd(x); }
  static R load(const T* p) { return _mm256_loadu_pd(p); }
  using M = __m256i;
  static M mask(int n) {
    return _mm256_cmpgt_epi64(_mm256_set1_epi64x(n), _mm256_setr_epi64x(0, 1, 2, 3));
  }
  static R load_m(const T* p, M m) { return _mm256_maskload_pd(p, m); }
  static void store_m(T* p, R x, M m) { _mm256_maskstore_pd(p, m, x); }
  static R bcast(const T* p) { return _mm256_broadcast_sd(p); }
  static R fma(R a, R b, R c) { return _mm256_fmadd_pd(a, b, c); }
  static R mul(R a, R b) { return _mm256_mul_pd(a, b); }
  static R add(R a, R b) { return _mm256_add_pd(a, b); }
  static void store(T* p, R x) { _mm256_storeu_pd(p, x); }
  static void prefetch(const T* p) { _mm_prefetch(reinterpret_cast<const char*>(p), _MM_HINT_T0); }
};

}  // namespace

extern const KernelInfo<float> kSgemm = {
    Isa::avx2, &ukernel_simd<F32, 6, 2>, 6, 16, 240, 384, 384,
    &ukernel_direct<F32, 6, 2>, &ukernel_direct<F32, 6, 1>};
extern const KernelInfo<double> kDgemm = {
    Isa::avx2, &ukernel_simd<F64, 6, 2>, 6, 8, 240, 256, 256,
    &ukernel_direct<F64, 6, 2>, &ukernel_direct<F64, 6, 1>};

}  // namespace avx2
}  // namespace gemm_detail
}  // namespace pyengine
