// RBM layer pass and CD update (rbm.h). Each phase is a list of fixed output blocks shared out
// by `omp for` inside one parallel region; a block is a GEMM on the calling thread (csrc/gemm)
// followed at once by the unit function and sampling on the block while it is in cache.
#include "rbm/rbm.h"

#include <omp.h>

#include <algorithm>
#include <vector>

#include "common/parallel.h"
#include "gemm/gemm.h"
#include "rbm/denormals.h"

namespace pyengine {
namespace rbm {

namespace {

// Output block of a layer pass: big enough that a GEMM call amortises its packing, small enough
// that the block is still in L2 when the unit function runs over it.
constexpr int64_t kRowBlock = 256, kColBlock = 128;
// Weight-gradient block (n_hidden rows x n_visible columns).
constexpr int64_t kGradRows = 64, kGradCols = 256;
// Below this many flops per call the whole update runs on one thread: a team costs a fork and
// one barrier per phase (~7 per CD step), which a 2-core machine busy with other processes turns
// into scheduler waits (measured: a 12.8 MFLOP layer pass 5x slower on two threads than on one).
constexpr double kThreadFlops = 3e7;

int64_t ceil_div(int64_t a, int64_t b) { return (a + b - 1) / b; }

// Runs body() on a team of nt threads (each with denormals flushed), or on the calling thread
// alone with nested GEMM threading off, so that every element is computed under the same
// floating-point mode whatever the thread count.
template <class Fn>
void run_team(int nt, Fn&& body) {
  if (nt <= 1) {
    const int saved = omp_get_max_threads();
    omp_set_num_threads(1);
    {
      FlushDenormals ftz;
      body();
    }
    omp_set_num_threads(saved);
    return;
  }
#pragma omp parallel num_threads(nt)
  {
    FlushDenormals ftz;
    body();
  }
}

int team_for(double flops, int64_t max_tasks) {
  if (flops < kThreadFlops) return 1;
  return static_cast<int>(std::max<int64_t>(1, std::min<int64_t>(max_threads(), max_tasks)));
}

int64_t layer_tasks(int64_t rows, int64_t n_out) {
  return ceil_div(rows, kRowBlock) * ceil_div(n_out, kColBlock);
}

// The blocks of one layer pass, shared out over the current team (orphaned `omp for`: inside a
// parallel region it splits the loop, outside it runs it all). Ends with the loop's barrier.
template <class T>
void layer_blocks(Unit unit, int64_t rows, int64_t n_in, int64_t n_out, const T* x, const T* w,
                  bool w_rows_are_outputs, const T* bias, T* mean, T* sample, uint64_t seed,
                  uint64_t stream) {
  const int64_t ncb = ceil_div(n_out, kColBlock), tasks = layer_tasks(rows, n_out);
#pragma omp for schedule(static)
  for (int64_t t = 0; t < tasks; ++t) {
    const int64_t r0 = (t / ncb) * kRowBlock, c0 = (t % ncb) * kColBlock;
    const int64_t nr = std::min(kRowBlock, rows - r0), nc = std::min(kColBlock, n_out - c0);
    // W' (n_in, n_out): element (i, j) at W[j * n_in + i] or W[i * n_out + j].
    const T* wb = w_rows_are_outputs ? w + c0 * n_in : w + c0;
    const int64_t rs_b = w_rows_are_outputs ? 1 : n_out, cs_b = w_rows_are_outputs ? n_in : 1;
    T* mb = mean + r0 * n_out + c0;
    gemm<T>(nr, nc, n_in, T(1), x + r0 * n_in, n_in, 1, wb, rs_b, cs_b, T(0), mb, n_out, 1);
    activate_block<T>(unit, nr, nc, mb, n_out, bias + c0,
                      sample ? sample + r0 * n_out + c0 : nullptr, n_out, seed, stream, r0, c0,
                      n_out);
  }
}

}  // namespace

template <class T>
void layer(Unit unit, int64_t rows, int64_t n_in, int64_t n_out, const T* x, const T* w,
           bool w_rows_are_outputs, const T* bias, T* mean, T* sample, uint64_t seed,
           uint64_t stream) {
  if (rows <= 0 || n_out <= 0) return;
  const int nt = team_for(2.0 * rows * n_in * n_out, layer_tasks(rows, n_out));
  run_team(nt, [&] {
    layer_blocks(unit, rows, n_in, n_out, x, w, w_rows_are_outputs, bias, mean, sample, seed,
                 stream);
  });
}

template <class T>
double cd_step(const CdParams<T>& p, int64_t batch, int64_t nv, int64_t nh, const T* v_pos, T* w,
               T* b_h, T* b_v, T* vel_w, T* vel_h, T* vel_v, T* chain, int64_t chain_rows) {
  const int64_t bc = p.persistent ? chain_rows : batch;
  const bool bern = p.visible == Unit::bernoulli;
  std::vector<T> h_pos(batch * nh), h_samp(p.persistent ? 0 : batch * nh), h_neg(bc * nh);
  std::vector<T> v_mean(bc * nv), v_samp(bern ? bc * nv : 0), shift_h(nh), mean_v(nv);
  T* h_chain = p.persistent ? chain : h_samp.data();
  const T* v_drive = bern ? v_samp.data() : v_mean.data();
  const T inv_b = T(1) / T(batch), inv_c = T(1) / T(bc);
  const bool sparse = p.sparsity_cost != T(0);
  double err = 0.0;

  const double flops = 2.0 * nv * nh * (batch * 2 + bc * (2 * p.k + 1));
  const int64_t tasks = std::max({layer_tasks(batch, nh), layer_tasks(bc, nv),
                                  ceil_div(nh, kGradRows) * ceil_div(nv, kGradCols)});
  run_team(team_for(flops, tasks), [&] {
    // Positive phase; for CD the chain starts from a sample of it.
    layer_blocks<T>(Unit::bernoulli, batch, nv, nh, v_pos, w, true, b_h, h_pos.data(),
                    p.persistent ? nullptr : h_samp.data(), p.seed, p.stream);
    for (int s = 0; s < p.k; ++s) {
      layer_blocks<T>(p.visible, bc, nh, nv, h_chain, w, false, b_v, v_mean.data(),
                      bern ? v_samp.data() : nullptr, p.seed, p.stream + 1 + 2 * s);
      const bool last = s + 1 == p.k;
      layer_blocks<T>(Unit::bernoulli, bc, nv, nh, v_drive, w, true, b_h, h_neg.data(),
                      (!last || p.persistent) ? h_chain : nullptr, p.seed, p.stream + 2 + 2 * s);
    }
    // Bias gradients and updates; the sparsity shift per hidden unit. Sums run down the batch
    // in order, one column per iteration: no sum is split between threads.
#pragma omp for schedule(static) nowait
    for (int64_t j = 0; j < nh; ++j) {
      T sp = 0, sn = 0;
      for (int64_t r = 0; r < batch; ++r) sp += h_pos[r * nh + j];
      for (int64_t r = 0; r < bc; ++r) sn += h_neg[r * nh + j];
      const T shift = sparse ? p.sparsity_cost * (p.sparsity_target - sp * inv_b) : T(0);
      shift_h[j] = shift;
      vel_h[j] = p.momentum * vel_h[j] + p.learning_rate * (sp * inv_b - sn * inv_c + shift);
      b_h[j] += vel_h[j];
    }
#pragma omp for schedule(static)
    for (int64_t i = 0; i < nv; ++i) {
      T sp = 0, sn = 0;
      for (int64_t r = 0; r < batch; ++r) sp += v_pos[r * nv + i];
      for (int64_t r = 0; r < bc; ++r) sn += v_drive[r * nv + i];
      mean_v[i] = sp * inv_b;
      vel_v[i] = p.momentum * vel_v[i] + p.learning_rate * (sp * inv_b - sn * inv_c);
      b_v[i] += vel_v[i];
    }
    // Weight gradient and update, block by block: G = h+^T v+ / batch - h-^T v- / bc.
    const int64_t ncb = ceil_div(nv, kGradCols), wtasks = ceil_div(nh, kGradRows) * ncb;
    std::vector<T> g(kGradRows * kGradCols);
#pragma omp for schedule(static) nowait
    for (int64_t t = 0; t < wtasks; ++t) {
      const int64_t j0 = (t / ncb) * kGradRows, i0 = (t % ncb) * kGradCols;
      const int64_t nr = std::min(kGradRows, nh - j0), nc = std::min(kGradCols, nv - i0);
      gemm<T>(nr, nc, batch, inv_b, h_pos.data() + j0, 1, nh, v_pos + i0, nv, 1, T(0), g.data(),
              nc, 1);
      gemm<T>(nr, nc, bc, -inv_c, h_neg.data() + j0, 1, nh, v_drive + i0, nv, 1, T(1), g.data(),
              nc, 1);
      for (int64_t j = 0; j < nr; ++j) {
        T* wr = w + (j0 + j) * nv + i0;
        T* vr = vel_w + (j0 + j) * nv + i0;
        const T* gr = g.data() + j * nc;
        const T shift = shift_h[j0 + j];
        const T* mv = mean_v.data() + i0;
#pragma omp simd
        for (int64_t i = 0; i < nc; ++i) {
          const T grad = gr[i] + shift * mv[i] - p.weight_decay * wr[i];
          vr[i] = p.momentum * vr[i] + p.learning_rate * grad;
          wr[i] += vr[i];
        }
      }
    }
    if (!p.persistent) {
#pragma omp single nowait
      {
        for (int64_t e = 0; e < batch * nv; ++e) {
          const double d = static_cast<double>(v_pos[e]) - static_cast<double>(v_mean[e]);
          err += d * d;
        }
      }
    }
  });
  return err;
}

template <class T>
double cd_epoch(const CdParams<T>& p, int64_t n_batches, const int64_t* bounds, int64_t nv,
                int64_t nh, const T* x, T* w, T* b_h, T* b_v, T* vel_w, T* vel_h, T* vel_v,
                T* chain, int64_t chain_rows) {
  double err = 0.0;
  CdParams<T> q = p;
  for (int64_t b = 0; b < n_batches; ++b) {
    q.stream = p.stream + static_cast<uint64_t>(b) * (2 * static_cast<uint64_t>(p.k) + 2);
    err += cd_step<T>(q, bounds[b + 1] - bounds[b], nv, nh, x + bounds[b] * nv, w, b_h, b_v,
                      vel_w, vel_h, vel_v, chain, chain_rows);
  }
  return err;
}

template void layer<float>(Unit, int64_t, int64_t, int64_t, const float*, const float*, bool,
                           const float*, float*, float*, uint64_t, uint64_t);
template void layer<double>(Unit, int64_t, int64_t, int64_t, const double*, const double*, bool,
                            const double*, double*, double*, uint64_t, uint64_t);
template double cd_step<float>(const CdParams<float>&, int64_t, int64_t, int64_t, const float*,
                               float*, float*, float*, float*, float*, float*, float*, int64_t);
template double cd_step<double>(const CdParams<double>&, int64_t, int64_t, int64_t, const double*,
                                double*, double*, double*, double*, double*, double*, double*,
                                int64_t);
template double cd_epoch<float>(const CdParams<float>&, int64_t, const int64_t*, int64_t,
                                int64_t, const float*, float*, float*, float*, float*, float*,
                                float*, float*, int64_t);
template double cd_epoch<double>(const CdParams<double>&, int64_t, const int64_t*, int64_t,
                                 int64_t, const double*, double*, double*, double*, double*,
                                 double*, double*, double*, int64_t);

}  // namespace rbm
}  // namespace pyengine
