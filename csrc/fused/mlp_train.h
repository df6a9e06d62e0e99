// Fused training of a plain MLP (a Keras Sequential of Dense layers, optional Dropout after a
// layer): forward, loss, backward and the optimizer update for every batch of an epoch in ONE call.
// Per-batch Python overhead dominates small models (the churn ANN runs 800 steps of 10 rows per
// epoch); this removes it. It has no math of its own: every step calls the kernel the generic
// (autograd) path calls for the same op --
//   z_l = a_{l-1} @ W_l (+ b_l)         gemm (csrc/gemm), W_l (in, out) in Keras layout
//   h_l = act_l(z_l), its backward      act_forward / act_backward, softmax_forward / _backward
//                                        (csrc/eltwise)
//   loss and d loss / d output          bce, bce_logits, softmax_xent_prob, softmax_xent_index
//                                        (csrc/loss), Keras' reduction: mean over the batch (and
//                                        over outputs for binary cross-entropy)
//   the update                          sgd_update, adam_update, rmsprop_update (csrc/optim)
// What is left here is plumbing: gathering the batch rows, the bias add and its column sum,
// Keras' epsilon clip of probabilities (the generic path's clamp op), dropout masks (counter-based
// RNG from `seed`), and the accuracy count.
#pragma once
#include <cstdint>
#include <vector>

#include "optim/optim.h"

namespace pyengine {

enum class MlpAct : int { linear = 0, relu = 1, sigmoid = 2, tanh = 3, softmax = 4 };
// Losses with a shared kernel. bce: Keras' BinaryCrossentropy on probabilities (clipped to
// [1e-7, 1 - 1e-7] first); *_logits: from_logits=True forms.
enum class MlpLoss : int { bce = 0, bce_logits = 1, cce_logits = 2, scce_logits = 3 };
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
  // s2 = exp_avg_sq (Adam) / momentum buffer (RMSprop)
  float *w_s1, *w_s2, *b_s1, *b_s2;
};

struct MlpOptimizer {
  MlpOpt kind;
  SgdHyper sgd;
  AdamHyper adam;
  RmspropHyper rmsprop;
  int64_t step;  // updates done so far (pe.optim's per-variable step); advanced per batch
};

struct MlpStats {
  double loss_sum = 0.0;   // sum over batches of batch_mean_loss * batch_rows
  double correct = 0.0;    // metric hits (accuracy numerator over rows)
  int64_t rows = 0;        // rows seen
  int64_t batches = 0;     // batches completed
  bool nonfinite = false;  // stopped because a batch loss was NaN / inf (weights not updated)
};

// Trains on rows x[idx[i]] (x: (n, in0), y: (n, ydim)) in batches of `batch` rows, in idx order.
// For scce_logits y holds the class index (checked in [0, classes) by the binding).
void mlp_train(std::vector<MlpLayer>& layers, MlpOptimizer& opt, const float* x, const float* y,
               int64_t ydim, const int64_t* idx, int64_t n_idx, int64_t batch, MlpLoss loss,
               MlpMetric metric, uint64_t seed, MlpStats& stats);

}  // namespace pyengine
