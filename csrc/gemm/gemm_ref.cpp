// Straightforward GEMM: the oracle the fast paths (gemm.cpp) are tested against.
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

#define PYENGINE_GEMM_INSTANTIATE(T)                                                            \
  template void gemm_ref<T>(int64_t, int64_t, int64_t, T, const T*, int64_t, int64_t, const T*, \
                            int64_t, int64_t, T, T*, int64_t, int64_t);
PYENGINE_GEMM_INSTANTIATE(float)
PYENGINE_GEMM_INSTANTIATE(double)

}  // namespace pyengine
