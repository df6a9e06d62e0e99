// Straightforward GEMM. It is the oracle for the fast paths and, until those exist, the kernel.
#include <vector>

#include "common/parallel.h"
#include "gemm/gemm.h"

namespace pyengine {

template <class T>
void gemm_ref(int64_t m, int64_t n, int64_t k, T alpha, const T* a, int64_t rs_a, int64_t cs_a,
              const T* b, int64_t rs_b, int64_t cs_b, T beta, T* c, int64_t rs_c, int64_t cs_c) {
  // Rows of C are independent, so splitting them over threads keeps results thread-count free.
  parallel_for(m, 8, [&](int64_t i0, int64_t i1) {
    std::vector<T> acc(static_cast<size_t>(n));
    for (int64_t i = i0; i < i1; ++i) {
      for (int64_t j = 0; j < n; ++j) acc[j] = T(0);
      for (int64_t p = 0; p < k; ++p) {
        const T aip = a[i * rs_a + p * cs_a];
        const T* brow = b + p * rs_b;
        for (int64_t j = 0; j < n; ++j) acc[j] += aip * brow[j * cs_b];
      }
      T* crow = c + i * rs_c;
      for (int64_t j = 0; j < n; ++j) {
        const T prev = beta == T(0) ? T(0) : beta * crow[j * cs_c];
        crow[j * cs_c] = alpha * acc[j] + prev;
      }
    }
  });
}

template <class T>
void gemm(int64_t m, int64_t n, int64_t k, T alpha, const T* a, int64_t rs_a, int64_t cs_a,
          const T* b, int64_t rs_b, int64_t cs_b, T beta, T* c, int64_t rs_c, int64_t cs_c) {
  gemm_ref(m, n, k, alpha, a, rs_a, cs_a, b, rs_b, cs_b, beta, c, rs_c, cs_c);
}

template <class T>
void gemm_batched(int64_t batch, int64_t m, int64_t n, int64_t k, T alpha, const T* a,
                  int64_t stride_a, int64_t rs_a, int64_t cs_a, const T* b, int64_t stride_b,
                  int64_t rs_b, int64_t cs_b, T beta, T* c, int64_t stride_c, int64_t rs_c,
                  int64_t cs_c) {
  for (int64_t i = 0; i < batch; ++i)
    gemm(m, n, k, alpha, a + i * stride_a, rs_a, cs_a, b + i * stride_b, rs_b, cs_b, beta,
         c + i * stride_c, rs_c, cs_c);
}

#define PYENGINE_GEMM_INSTANTIATE(T)                                                            \
  template void gemm_ref<T>(int64_t, int64_t, int64_t, T, const T*, int64_t, int64_t, const T*, \
                            int64_t, int64_t, T, T*, int64_t, int64_t);                         \
  template void gemm<T>(int64_t, int64_t, int64_t, T, const T*, int64_t, int64_t, const T*,     \
                        int64_t, int64_t, T, T*, int64_t, int64_t);                             \
  template void gemm_batched<T>(int64_t, int64_t, int64_t, int64_t, T, const T*, int64_t,       \
                                int64_t, int64_t, const T*, int64_t, int64_t, int64_t, T, T*,   \
                                int64_t, int64_t, int64_t);
PYENGINE_GEMM_INSTANTIATE(float)
PYENGINE_GEMM_INSTANTIATE(double)

}  // namespace pyengine
