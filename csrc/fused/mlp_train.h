// Fused training of a plain MLP (a Keras Sequential of Dense layers, optional Dropout after a
// layer): forward, loss, backward and the optimizer update for every batch of an epoch in ONE call.
// Per-batch Python overhead dominates small models (the churn ANN runs 800 steps of 10 rows per
// epoch); this removes it. The math is the unfused autograd path's, step for step:
//   z_l = a_{l-1} @ W_l + b_l   (W_l is (in, out), Keras layout)    h_l = act_l(z_l)
//   a_l = h_l * mask_l / (1 - rate_l)   (training dropout, counter-based RNG from `seed`)
// Losses take the mean over the batch (and over outputs for mse / binary cross-entropy), Keras'
// reduction; probability losses clip at eps = 1e-7 as Keras does. Optimizers are the kernels of
// csrc/optim (PyTorch's update rules), so fused and unfused updates are the same code.
#pragma once
#include <cstdint>
#include <vector>

#include "optim/optim.h"

namespace pyengine {

enum class MlpAct : int { linear = 0, relu = 1, sigmoid = 2, tanh = 3, softmax = 4 };
enum class MlpLoss : int { mse = 0, bce = 1, bce_logits = 2, cce = 3, cce_logits = 4,
                           scce = 5, scce_logits = 6 };
enum class MlpMetric : int { none = 0, binary = 1, categorical = 2, sparse = 3 };
enum class MlpOpt : int { sgd = 0, adam = 1, rmsprop = 2 };

struct MlpLayer {
  int64_t in, out;
  float* w;         // (in, out)
  float* b;         // (out,) or null
  MlpAct act;
  float dropout;    // rate applied to this layer's output while training, 0 for none
  bool trainable;
  // optimizer state per weight (null where unused): s1 = momentum / exp_avg / square_avg,
  // s2 = exp_avg_sq (Adam)
  float *w_s1, *w_s2, *b_s1, *b_s2;
};

struct MlpOptimizer {
  MlpOpt kind;
  SgdHyper sgd;
  AdamHyper adam;
  RmspropHyper rmsprop;
  int64_t step;  // updates done so far (Keras' optimizer.iterations); advanced per batch
};

struct MlpStats {
  double loss_sum = 0.0;   // sum over batches of batch_mean_loss * batch_rows
  double correct = 0.0;    // metric hits (accuracy numerator over rows)
  int64_t rows = 0;        // rows seen
  int64_t batches = 0;     // batches completed
  bool nonfinite = false;  // stopped because a batch loss was NaN / inf (weights not updated)
};

// Trains on rows x[idx[i]] (x: (n, in0), y: (n, ydim)) in batches of `batch` rows, in idx order.
void mlp_train(std::vector<MlpLayer>& layers, MlpOptimizer& opt, const float* x, const float* y,
               int64_t ydim, const int64_t* idx, int64_t n_idx, int64_t batch, MlpLoss loss,
               MlpMetric metric, uint64_t seed, MlpStats& stats);

}  // namespace pyengine
