// The per-ISA part of the RBM kernels: the unit functions applied to a GEMM output block while
// it is still in cache (bias, sigmoid or identity, Bernoulli or Gaussian sampling), and the
// Philox stream behind the sampling. Compiled once per ISA from rbm_units_impl.h.
#pragma once
#include <cstdint>

namespace pyengine {
namespace rbm {

enum class Unit : int { bernoulli = 0, gaussian = 1 };

// z: rows x cols block (row stride ldz) holding x @ W for those units. In place it becomes the
// units' means: sigmoid(z + bias) for Bernoulli units (values below the smallest normal number
// flushed to 0), z + bias for unit-variance Gaussian units. When `sample` is not null it also
// gets a sample of each unit (row stride lds): 1 if u < p else 0 for Bernoulli, mean + N(0, 1)
// for Gaussian. The random numbers of element (r, c) are Philox(seed, stream, index) with
// index = (row0 + r) * total_cols + col0 + c: the index in the whole (rows, total_cols) layer,
// so any split of the layer into blocks draws the same numbers.
template <class T>
void activate_block(Unit unit, int64_t rows, int64_t cols, T* z, int64_t ldz, const T* bias,
                    T* sample, int64_t lds, uint64_t seed, uint64_t stream, int64_t row0,
                    int64_t col0, int64_t total_cols);

// out[i] = uniform [0, 1) number of element `i` of (seed, stream): the numbers activate_block
// compares Bernoulli means against (tests rebuild the samples from them).
template <class T>
void uniform_stream(T* out, int64_t n, uint64_t seed, uint64_t stream);

}  // namespace rbm
}  // namespace pyengine
