// AVX-512 micro-kernels (compiled with -mavx512f/dq/bw/vl -mfma by file-name suffix).
//
// fp32 tile 12 x 32 (two zmm of B per k, 12 broadcasts of A): 24 accumulators + 2 B registers
// + 1 broadcast = 27 of 32 zmm. 24 independent FMA chains hide the 4-cycle FMA latency on both
// pipes (Zen 4 runs a zmm FMA as two 256-bit halves, Skylake-X on two 512-bit ports); per k it
// loads 2 vectors + 12 scalars for 24 FMAs, well under the load ports' limit.
// fp64 tile 12 x 16: the same register shape with 8 doubles per vector.
//
// Cache blocks (Zen 4: L1d 32 KiB, L2 1 MiB per core, L3 32 MiB shared). Loop order in the
// macro-kernel is ir (A micro-panel) outside jr (B micro-panel), so:
//   A micro-panel MR x KC stays in L1:      12 * 384 * 4 B = 18 KiB (fp32), 12 * 192 * 8 = 18 KiB
//   packed B block KC x NC stays in L2:     384 * 384 * 4 B = 576 KiB (fp32), 192 * 384 * 8 = 576
//   KiB, about half of L2 so that the streaming A panels and C tiles do not evict it.
//   MC rows of A are packed per pass; 240 x 384 x 4 B = 360 KiB per thread, served from L2/L3.
#include <immintrin.h>

#define PE_ISA_NS avx512
#include "gemm/ukernel_simd.h"

namespace pyengine {
namespace gemm_detail {
namespace avx512 {
namespace {

struct F32 {
  using T = float;
  using R = __m512;
  static constexpr int W = 16;
  static R zero() { return _mm512_setzero_ps(); }
  static R set1(T x) { return _mm512_set1_ps(x); }
  static R load(const T* p) { return _mm512_loadu_ps(p); }
  using M = __mmask16;  // lanes 0..n-1
  static M mask(int n) { return static_cast<M>((1u << n) - 1); }
  static R load_m(const T* p, M m) { return _mm512_maskz_loadu_ps(m, p); }
  static void store_m(T* p, R x, M m) { _mm512_mask_storeu_ps(p, m, x); }
  static R bcast(const T* p) { return _mm512_set1_ps(*p); }
  static R fma(R a, R b, R c) { return _mm512_fmadd_ps(a, b, c); }
  static R mul(R a, R b) { return _mm512_mul_ps(a, b); }
  static R add(R a, R b) { return _mm512_add_ps(a, b); }
  static void store(T* p, R x) { _mm512_storeu_ps(p, x); }
  static void prefetch(const T* p) { _mm_prefetch(reinterpret_cast<const char*>(p), _MM_HINT_T0); }
};

struct F64 {
  using T = double;
  using R = __m512d;
  static constexpr int W = 8;
  static R zero() { return _mm512_setzero_pd(); }
  static R set1(T x) { return _mm512_set1_pd(x); }
  static R load(const T* p) { return _mm512_loadu_pd(p); }
  using M = __mmask8;
  static M mask(int n) { return static_cast<M>((1u << n) - 1); }
  static R load_m(const T* p, M m) { return _mm512_maskz_loadu_pd(m, p); }
  static void store_m(T* p, R x, M m) { _mm512_mask_storeu_pd(p, m, x); }
  static R bcast(const T* p) { return _mm512_set1_pd(*p); }
  static R fma(R a, R b, R c) { return _mm512_fmadd_pd(a, b, c); }
  static R mul(R a, R b) { return _mm512_mul_pd(a, b); }
  static R add(R a, R b) { return _mm512_add_pd(a, b); }
  static void store(T* p, R x) { _mm512_storeu_pd(p, x); }
  static void prefetch(const T* p) { _mm_prefetch(reinterpret_cast<const char*>(p), _MM_HINT_T0); }
};

}  // namespace

extern const KernelInfo<float> kSgemm = {
    Isa::avx512, &ukernel_simd<F32, 12, 2>, 12, 32, 240, 384, 384,
    &ukernel_direct<F32, 12, 2>, &ukernel_direct<F32, 12, 1>};
extern const KernelInfo<double> kDgemm = {
    Isa::avx512, &ukernel_simd<F64, 12, 2>, 12, 16, 240, 192, 384,
    &ukernel_direct<F64, 12, 2>, &ukernel_direct<F64, 12, 1>};

}  // namespace avx512
}  // namespace gemm_detail
}  // namespace pyengine
