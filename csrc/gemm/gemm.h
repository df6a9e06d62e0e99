// General matrix multiply: C = alpha * A * B + beta * C, all operands given by pointer and
// (row stride, column stride) in elements, BLIS-style. A transposed operand is just swapped
// strides, so `a.T @ b` and a Dense layer's backward pass need no copies.
//
//   A is M x K: element (i, p) at A[i * rs_a + p * cs_a]
//   B is K x N: element (p, j) at B[p * rs_b + j * cs_b]
//   C is M x N: element (i, j) at C[i * rs_c + j * cs_c]
//
// beta == 0 means C is write-only (NaNs in C are not propagated), as in BLAS.
// Callable from inside an OpenMP parallel region: it then runs on the calling thread only.
// Results are bitwise identical for any thread count (threads split C, never the K loop).
#pragma once
#include <cstdint>

namespace pyengine {

template <class T>
void gemm(int64_t m, int64_t n, int64_t k, T alpha, const T* a, int64_t rs_a, int64_t cs_a,
          const T* b, int64_t rs_b, int64_t cs_b, T beta, T* c, int64_t rs_c, int64_t cs_c);

// Strided batched GEMM: batch i uses a + i * stride_a, b + i * stride_b, c + i * stride_c.
// A stride of 0 broadcasts that operand over the batch.
template <class T>
void gemm_batched(int64_t batch, int64_t m, int64_t n, int64_t k, T alpha, const T* a,
                  int64_t stride_a, int64_t rs_a, int64_t cs_a, const T* b, int64_t stride_b,
                  int64_t rs_b, int64_t cs_b, T beta, T* c, int64_t stride_c, int64_t rs_c,
                  int64_t cs_c);

// Portable reference kernel: always compiled, the oracle for tests of the fast paths.
template <class T>
void gemm_ref(int64_t m, int64_t n, int64_t k, T alpha, const T* a, int64_t rs_a, int64_t cs_a,
              const T* b, int64_t rs_b, int64_t cs_b, T beta, T* c, int64_t rs_c, int64_t cs_c);

}  // namespace pyengine
