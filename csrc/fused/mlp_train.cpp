// Fused MLP training epoch; see mlp_train.h. Each op calls the shared kernel of its family;
// every buffer is allocated once per call and reused across batches.
#include "fused/mlp_train.h"

#include <algorithm>
#include <cmath>
#include <cstring>

#include <omp.h>

#include "dropout/dropout.h"
#include "eltwise/activations.h"
#include "gemm/gemm.h"
#include "loss/loss.h"

namespace pyengine {
namespace {

constexpr float kEps = 1e-7f;  // Keras' backend epsilon: the clip of probability losses

// Dropout runs the kernel nn.Dropout and Keras' Dropout run (csrc/dropout), on a stream per
// (batch, layer) whose seed is drawn from the call's seed by that kernel's hash; the backward
// regenerates the mask from it (nothing stored). threshold / scale as ops/dropout.py forms them.
struct DropoutStream {
  uint64_t seed, threshold;
  float scale;
  DropoutStream(uint64_t call_seed, uint64_t batch, uint64_t layers, uint64_t layer, float p) {
    const uint64_t c = 2 * (batch * layers + layer);
    seed = uint64_t{dropout_bits(call_seed, c)} << 32 | dropout_bits(call_seed, c + 1);
    threshold = std::min<uint64_t>(uint64_t{1} << 32,
                                   static_cast<uint64_t>(std::llround(double(p) * 4294967296.0)));
    scale = static_cast<float>(1.0 / (1.0 - double(p)));
  }
  void apply(const float* x, float* y, int64_t n) const {
    dropout_apply<float>(x, y, n, seed, threshold, scale);
  }
};

// h = act(z) in place, through the eltwise kernels F.relu / F.sigmoid / F.tanh / F.softmax run.
void activation_forward(MlpAct act, float* z, int64_t rows, int64_t cols) {
  const int64_t n = rows * cols;
  switch (act) {
    case MlpAct::linear: break;
    case MlpAct::relu: act_forward<float>(Act::relu, {}, z, z, n); break;
    case MlpAct::sigmoid: act_forward<float>(Act::sigmoid, {}, z, z, n); break;
    case MlpAct::tanh: act_forward<float>(Act::tanh, {}, z, z, n); break;
    case MlpAct::softmax: softmax_forward<float>(false, z, z, rows, cols, 1); break;
  }
}

// g <- dL/dz from g = dL/dh, h = act(z), through the same kernels' backward. relu's backward
// reads x > 0; h > 0 exactly where z > 0, so h serves for x (z is not kept).
void activation_backward(MlpAct act, const float* h, float* g, int64_t rows, int64_t cols) {
  const int64_t n = rows * cols;
  switch (act) {
    case MlpAct::linear: break;
    case MlpAct::relu: act_backward<float>(Act::relu, {}, h, h, g, g, n); break;
    case MlpAct::sigmoid: act_backward<float>(Act::sigmoid, {}, h, h, g, g, n); break;
    case MlpAct::tanh: act_backward<float>(Act::tanh, {}, h, h, g, g, n); break;
    case MlpAct::softmax: softmax_backward<float>(false, h, g, g, rows, cols, 1); break;
  }
}

struct LossScratch {
  std::vector<float> per, clipped;
  std::vector<int64_t> labels;
};

// Mean batch loss (Keras' reduction); writes dL/d(output) into g. out: (rows, cols).
double loss_and_grad(MlpLoss loss, const float* out, const float* y, float* g, int64_t rows,
                     int64_t cols, LossScratch& s) {
  const int64_t n = rows * cols;
  double total = 0.0;
  switch (loss) {
    case MlpLoss::bce: {  // clamp(p, eps, 1 - eps) -> bce; the clamp passes no gradient outside
      s.clipped.assign(out, out + n);
      for (float& p : s.clipped) p = std::min(std::max(p, kEps), 1.f - kEps);
      s.per.resize(n);
      pyengine::bce<float>(s.clipped.data(), y, nullptr, s.per.data(), g, n);
      const float sc = 1.f / static_cast<float>(n);
      for (int64_t i = 0; i < n; ++i) g[i] = (out[i] >= kEps && out[i] <= 1.f - kEps) ? g[i] * sc
                                                                                     : 0.f;
      for (int64_t i = 0; i < n; ++i) total += s.per[i];
      return total / static_cast<double>(n);
    }
    case MlpLoss::bce_logits: {
      s.per.resize(n);
      bce_logits<float>(out, y, nullptr, nullptr, s.per.data(), g, n);
      const float sc = 1.f / static_cast<float>(n);
      for (int64_t i = 0; i < n; ++i) g[i] *= sc;
      for (int64_t i = 0; i < n; ++i) total += s.per[i];
      return total / static_cast<double>(n);
    }
    case MlpLoss::cce_logits:
      s.per.resize(rows);
      softmax_xent_prob<float>(out, y, nullptr, 0.0, 1.0 / rows, s.per.data(), g, rows, cols);
      break;
    case MlpLoss::scce_logits:
      s.per.resize(rows);
      s.labels.resize(rows);
      for (int64_t r = 0; r < rows; ++r) s.labels[r] = static_cast<int64_t>(y[r]);
      softmax_xent_index<float>(out, s.labels.data(), nullptr, 0.0, -100, 1.0 / rows,
                                s.per.data(), g, rows, cols);
      break;
  }
  for (int64_t r = 0; r < rows; ++r) total += s.per[r];
  return total / static_cast<double>(rows);
}

// Per-batch GEMMs of a small MLP (MNIST's 32 x 784 x 128 is 3.2M multiply-adds) are too small
// for threads to pay: a fork/join per GEMM, thousands of times an epoch, costs more than it saves
// and collapses when cores are shared. Below this size the whole run stays on the calling thread
// (results do not depend on the thread count either way).
constexpr int64_t kSerialGemmWork = int64_t{1} << 22;

struct SerialScope {  // omp_set_num_threads for this thread, restored on exit
  int saved;
  explicit SerialScope(bool on) : saved(on ? omp_get_max_threads() : 0) {
    if (on) omp_set_num_threads(1);
  }
  ~SerialScope() {
    if (saved) omp_set_num_threads(saved);
  }
};

int64_t argmax(const float* v, int64_t n) { return std::max_element(v, v + n) - v; }

// Accuracy hits, as keras.metrics' BinaryAccuracy / CategoricalAccuracy / Sparse... count them.
double hits(MlpMetric metric, const float* out, const float* y, int64_t ydim, int64_t rows,
            int64_t cols) {
  double c = 0.0;
  for (int64_t r = 0; r < rows; ++r) {
    const float* o = out + r * cols;
    const float* yr = y + r * ydim;
    switch (metric) {
      case MlpMetric::none: break;
      case MlpMetric::binary: {
        double k = 0.0;
        for (int64_t j = 0; j < cols; ++j) k += ((o[j] > 0.5f) == (yr[j] > 0.5f)) ? 1.0 : 0.0;
        c += k / cols;
        break;
      }
      case MlpMetric::categorical: c += argmax(o, cols) == argmax(yr, ydim) ? 1.0 : 0.0; break;
      case MlpMetric::sparse:
        c += argmax(o, cols) == static_cast<int64_t>(yr[0]) ? 1.0 : 0.0;
        break;
    }
  }
  return c;
}

void update(MlpOptimizer& opt, float* p, const float* g, float* s1, float* s2, int64_t n) {
  switch (opt.kind) {
    case MlpOpt::sgd: sgd_update(opt.sgd, p, g, s1, opt.step == 1, n); break;
    case MlpOpt::adam:
      adam_update(opt.adam, opt.step, p, g, s1, s2, static_cast<float*>(nullptr), n);
      break;
    case MlpOpt::rmsprop:
      rmsprop_update(opt.rmsprop, p, g, s1, static_cast<float*>(nullptr), s2, n);
      break;
  }
}

}  // namespace

void mlp_train(std::vector<MlpLayer>& layers, MlpOptimizer& opt, const float* x, const float* y,
               int64_t ydim, const int64_t* idx, int64_t n_idx, int64_t batch, MlpLoss loss,
               MlpMetric metric, uint64_t seed, MlpStats& stats) {
  const size_t L = layers.size();
  const int64_t in0 = layers[0].in, outL = layers[L - 1].out;
  // a[0] = input rows; a[l+1] = output of layer l after dropout; h[l] = before dropout.
  std::vector<std::vector<float>> a(L + 1), h(L), dw(L), db(L);
  a[0].resize(batch * in0);
  for (size_t l = 0; l < L; ++l) {
    a[l + 1].resize(batch * layers[l].out);
    h[l].resize(batch * layers[l].out);
    dw[l].resize(layers[l].in * layers[l].out);
    db[l].resize(layers[l].out);
  }
  std::vector<float> yb(batch * ydim), g(batch * outL);
  int64_t max_w = in0;
  for (auto& ly : layers) max_w = std::max({max_w, ly.in, ly.out});
  std::vector<float> gbuf(batch * max_w), gbuf2(batch * max_w);
  LossScratch scratch;
  int64_t work = 0;
  for (auto& ly : layers) work = std::max(work, batch * ly.in * ly.out);
  SerialScope serial(work < kSerialGemmWork);

  for (int64_t start = 0; start < n_idx; start += batch) {
    const int64_t B = std::min(batch, n_idx - start);
    for (int64_t r = 0; r < B; ++r) {
      const int64_t i = idx[start + r];
      std::memcpy(&a[0][r * in0], x + i * in0, sizeof(float) * in0);
      std::memcpy(&yb[r * ydim], y + i * ydim, sizeof(float) * ydim);
    }
    // forward
    for (size_t l = 0; l < L; ++l) {
      const MlpLayer& ly = layers[l];
      float* z = h[l].data();
      gemm<float>(B, ly.out, ly.in, 1.f, a[l].data(), ly.in, 1, ly.w, ly.out, 1, 0.f, z, ly.out, 1);
      if (ly.b)
        for (int64_t r = 0; r < B; ++r)
          for (int64_t j = 0; j < ly.out; ++j) z[r * ly.out + j] += ly.b[j];
      activation_forward(ly.act, z, B, ly.out);
      float* out = a[l + 1].data();
      if (ly.dropout > 0.f) {
        DropoutStream(seed, stats.batches, L, l, ly.dropout).apply(z, out, B * ly.out);
      } else {
        std::memcpy(out, z, sizeof(float) * B * ly.out);
      }
    }
    const float* out = a[L].data();
    const double bl = loss_and_grad(loss, out, yb.data(), g.data(), B, outL, scratch);
    if (!std::isfinite(bl)) {
      stats.nonfinite = true;
      return;
    }
    stats.loss_sum += bl * B;
    stats.correct += hits(metric, out, yb.data(), ydim, B, outL);
    stats.rows += B;
    // backward: cur = dL/d(a[l+1])
    float* cur = g.data();
    for (size_t li = L; li-- > 0;) {
      const MlpLayer& ly = layers[li];
      const int64_t n = B * ly.out;
      if (ly.dropout > 0.f)
        DropoutStream(seed, stats.batches, L, li, ly.dropout).apply(cur, cur, n);
      activation_backward(ly.act, h[li].data(), cur, B, ly.out);
      if (ly.trainable) {
        gemm<float>(ly.in, ly.out, B, 1.f, a[li].data(), 1, ly.in, cur, ly.out, 1, 0.f,
                    dw[li].data(), ly.out, 1);
        if (ly.b) {
          std::fill(db[li].begin(), db[li].end(), 0.f);
          for (int64_t r = 0; r < B; ++r)
            for (int64_t j = 0; j < ly.out; ++j) db[li][j] += cur[r * ly.out + j];
        }
      }
      if (li > 0) {
        float* next = (cur == gbuf.data()) ? gbuf2.data() : gbuf.data();
        gemm<float>(B, ly.in, ly.out, 1.f, cur, ly.out, 1, ly.w, 1, ly.out, 0.f, next, ly.in, 1);
        cur = next;
      }
    }
    ++opt.step;
    for (size_t l = 0; l < L; ++l) {
      MlpLayer& ly = layers[l];
      if (!ly.trainable) continue;
      update(opt, ly.w, dw[l].data(), ly.w_s1, ly.w_s2, ly.in * ly.out);
      if (ly.b) update(opt, ly.b, db[l].data(), ly.b_s1, ly.b_s2, ly.out);
    }
    ++stats.batches;
  }
}

}  // namespace pyengine
