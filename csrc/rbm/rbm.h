// Restricted Boltzmann machine kernels: a layer pass (GEMM + unit function + sampling, fused per
// output block) and one contrastive-divergence update (CD-k or persistent CD) in one call.
//
// Layout: W is (n_hidden, n_visible) row-major (scikit-learn's components_), so
//   hidden pre-activation  = v @ W^T + b_h   (rows, n_hidden)
//   visible pre-activation = h @ W   + b_v   (rows, n_visible)
//
// Determinism: work is cut into fixed blocks (kRowBlock x kColBlock outputs) that depend on the
// shapes only; every random number comes from Philox(seed, stream, element index). Any thread
// count gives bitwise the same result. Denormals are flushed inside every thread of the kernel.
#pragma once
#include <cstdint>

#include "rbm/rbm_units.h"

namespace pyengine {
namespace rbm {

// mean = unit(x @ W' + bias) for x (rows, n_in); W' = W^T when `w_rows_are_outputs` (W is
// (n_out, n_in)), else W is (n_in, n_out). `sample` (rows, n_out) may be null.
template <class T>
void layer(Unit unit, int64_t rows, int64_t n_in, int64_t n_out, const T* x, const T* w,
           bool w_rows_are_outputs, const T* bias, T* mean, T* sample, uint64_t seed,
           uint64_t stream);

template <class T>
struct CdParams {
  int k;                  // Gibbs steps in the negative phase (>= 1)
  bool persistent;        // negative chain continues from `chain` (PCD) instead of the data
  Unit visible;           // Bernoulli or unit-variance Gaussian visible units
  T learning_rate, momentum, weight_decay, sparsity_target, sparsity_cost;
  uint64_t seed, stream;  // the update draws from streams stream .. stream + 2k + 1
};

// One CD update on the batch v_pos (batch, n_visible). Hidden units are Bernoulli.
//   positive:  h+ = sigmoid(v+ W^T + b_h)
//   negative:  h~ = chain (PCD, (chain_rows, n_hidden) binary) or a sample of h+ (CD);
//              k times: v- = visible unit(h~ W + b_v) (a sample for Bernoulli units, the mean
//              for Gaussian), h- = sigmoid(v- W^T + b_h), h~ = sample of h-
//   gradient:  G = h+^T v+ / batch - h-^T v- / chain_rows  (and the bias analogues), plus the
//              sparsity term c (target - q_j) (on b_h, and times mean v+_i on W_ji), q = mean h+
//   update:    V = momentum V + lr (G - weight_decay W);  W += V  (biases: no weight decay)
// With PCD the chain keeps the final h~. Returns sum over the batch of ||v+ - v-||^2 when the
// negative chain started at the data (CD), else 0.
template <class T>
double cd_step(const CdParams<T>& p, int64_t batch, int64_t n_visible, int64_t n_hidden,
               const T* v_pos, T* w, T* b_h, T* b_v, T* vel_w, T* vel_h, T* vel_v, T* chain,
               int64_t chain_rows);

// One epoch of updates: batch b is rows bounds[b] .. bounds[b + 1] of x (n_batches batches, in
// order) and draws from streams p.stream + b * (2k + 2) onwards, so the result is bitwise that
// of n_batches cd_step calls; one call saves the per-batch Python and binding overhead, which
// dominates for small batches (scikit-learn's default of 10). Returns the summed errors.
template <class T>
double cd_epoch(const CdParams<T>& p, int64_t n_batches, const int64_t* bounds,
                int64_t n_visible, int64_t n_hidden, const T* x, T* w, T* b_h, T* b_v, T* vel_w,
                T* vel_h, T* vel_v, T* chain, int64_t chain_rows);

}  // namespace rbm
}  // namespace pyengine
