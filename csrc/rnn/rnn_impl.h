// Recurrent kernels written once and compiled once per ISA (rnn_<isa>.cpp defines PE_ISA_NS).
// The algorithm (rnn.h): each thread runs the whole time loop for its own block of batch rows:
// per step the products with the weights (step_gemm.h: weights packed once per call, the rows
// read in place; RNN / LSTM take x_t W_ih^T + h_prev W_hh^T as one product) and the fused gate
// math. Backward walks the steps in reverse the same way, storing the pre-activation gate
// gradients of all steps, from which whole-sequence GEMMs (csrc/gemm) give dx, dW_ih and dW_hh
// afterwards.
#include <algorithm>
#include <cstring>
#include <cstdlib>
#include <new>
#include <vector>

#include "common/grow_buffer.h"
#include "common/parallel.h"
#include "common/vmath.h"
#include "gemm/gemm.h"
#include "rnn/rnn.h"
#include "rnn/step_gemm.h"

namespace pyengine {
namespace PE_ISA_NS {

// Outside the anonymous namespace: the kernels' lambdas capture it.
template <class T>
struct Geometry {
  int64_t T_, B, I, H, G;  // steps, batch, input size, hidden size, gate width G*H
  bool reverse;
  int64_t t_of(int64_t s) const { return reverse ? T_ - 1 - s : s; }  // s-th step processed
};

template <class T>
Geometry<T> geometry(const RnnArgs<T>& a) {
  return {a.steps, a.batch, a.in, a.hid, rnn_gate_count(a.mode) * a.hid, a.reverse};
}

namespace {

// Row stride for a weight copy the per-step GEMMs read in place: one cache line more than the
// row. With a power-of-two stride (H or G*H = 256, 1024 ...) the k rows of a micro-panel fall
// into a few L1 sets and evict each other (LSTM H = 256 ran at ~1/4 speed).
template <class T>
int64_t padded_ld(int64_t cols) {
  return cols + 64 / int64_t(sizeof(T));
}

// Workspace kept per thread between calls, in slots (one per buffer a call needs at once): a
// fresh multi-megabyte buffer per call is a fresh mmap, and faulting its pages in cost ~5 % of an
// LSTM training step (H = 256, B = 128). Slots 0-2 and 4 belong to the calling thread's
// whole-call buffers, slot 3 to the per-row-block buffers (which may run on the calling thread
// too).
using Workspace = GrowBuffer;  // common/grow_buffer.h

enum WorkSlot : int {
  kSlotGates = 0, kSlotGatesH = 1, kSlotWeight = 2, kSlotBlock = 3, kSlotWeightH = 4
};

template <class T>
T* workspace(int slot, int64_t n) {
  thread_local Workspace slots[5];
  return static_cast<T*>(slots[slot].get(sizeof(T) * static_cast<size_t>(std::max<int64_t>(n, 1))));
}

// Batch rows per thread block: a function of B alone (never of the thread count), so every
// recurrent GEMM has the same shape -- and every element the same summation order -- whatever
// the number of threads. 16-64 rows keep the per-step GEMM efficient and still give two
// blocks from B = 32; from B = 128 blocks of 64 rows (two blocks at B = 128, one per core)
// read W_hh once per step and thread instead of twice (blocks of 32: the same step took ~10 %
// longer on one thread).
inline int64_t rows_per_block(int64_t batch) { return batch >= 128 ? 64 : batch >= 64 ? 32 : 16; }

// Runs fn(r0, r1) over the row blocks, one thread per block at a time, in a single fork.
template <class Fn>
void for_row_blocks(int64_t batch, Fn&& fn) {
  const int64_t rows = rows_per_block(batch);
  const int64_t blocks = (batch + rows - 1) / rows;
  const int nt = static_cast<int>(std::min<int64_t>(max_threads(), blocks));
  if (nt <= 1) {
    for (int64_t b = 0; b < blocks; ++b) fn(b * rows, std::min(batch, (b + 1) * rows));
    return;
  }
#pragma omp parallel for num_threads(nt) schedule(static)
  for (int64_t b = 0; b < blocks; ++b) fn(b * rows, std::min(batch, (b + 1) * rows));
}

// Bias folded into the per-step gate math: bx = b_ih + b_hh, except the GRU candidate, whose
// b_hn sits inside r * (h W_hn^T + b_hn) and is kept apart in bhn.
template <class T>
void fold_bias(const RnnArgs<T>& a, const Geometry<T>& g, std::vector<T>& bx,
               std::vector<T>& bhn) {
  bx.assign(g.G, T(0));
  bhn.assign(g.H, T(0));
  const bool gru = a.mode >= kGru;
  for (int64_t j = 0; j < g.G; ++j) {
    const bool cand = gru && j >= 2 * g.H;
    if (a.b_ih) bx[j] += a.b_ih[j];
    if (a.b_hh) (cand ? bhn[j - 2 * g.H] : bx[j]) += a.b_hh[j];
  }
}

// ------------------------------------------------------------------------------------------
// Forward gate math of one row at one step. xg: the row's gate block (x W_ih^T, for RNN / LSTM
// plus h_prev W_hh^T, in; activations out); hp: h_prev W_hh^T for the row (GRU); hprev / cprev:
// the previous state; on: the mask bit. Writes the new state to y (and c / extra).

template <class T>
void rnn_row(bool relu, T* xg, const T* bx, const T* hprev, bool on, T* y, int64_t H) {
#pragma omp simd
  for (int64_t j = 0; j < H; ++j) {
    const T v = xg[j] + bx[j];
    xg[j] = relu ? std::max(v, T(0)) : vmath::tanh(v);
  }
  std::memcpy(y, on ? xg : hprev, sizeof(T) * H);
}

template <class T>
void lstm_row(T* xg, const T* bx, const T* hprev, const T* cprev, bool on, T* y, T* c,
              int64_t H) {
  T *gi = xg, *gf = xg + H, *gg = xg + 2 * H, *go = xg + 3 * H;
#pragma omp simd
  for (int64_t j = 0; j < H; ++j) {
    const T i = vmath::sigmoid(gi[j] + bx[j]);
    const T f = vmath::sigmoid(gf[j] + bx[H + j]);
    const T g = vmath::tanh(gg[j] + bx[2 * H + j]);
    const T o = vmath::sigmoid(go[j] + bx[3 * H + j]);
    const T cn = f * cprev[j] + i * g;
    gi[j] = i, gf[j] = f, gg[j] = g, go[j] = o;
    c[j] = cn;
    y[j] = o * vmath::tanh(cn);
  }
  if (!on) {
    std::memcpy(c, cprev, sizeof(T) * H);
    std::memcpy(y, hprev, sizeof(T) * H);
  }
}

template <class T>
void gru_row(T* xg, const T* hp, const T* bx, const T* bhn, const T* hprev, bool on, T* y,
             T* hn_out, int64_t H) {
  T *gr = xg, *gz = xg + H, *gn = xg + 2 * H;
#pragma omp simd
  for (int64_t j = 0; j < H; ++j) {
    const T r = vmath::sigmoid(gr[j] + hp[j] + bx[j]);
    const T z = vmath::sigmoid(gz[j] + hp[H + j] + bx[H + j]);
    const T hn = hp[2 * H + j] + bhn[j];
    const T n = vmath::tanh(gn[j] + bx[2 * H + j] + r * hn);
    gr[j] = r, gz[j] = z, gn[j] = n;
    hn_out[j] = hn;
    y[j] = (T(1) - z) * n + z * hprev[j];
  }
  if (!on) std::memcpy(y, hprev, sizeof(T) * H);
}

// Reset-before GRU, first half: r and z, and rh = r * h_prev (the candidate GEMM's input).
template <class T>
void gru_rb_rz(T* xg, const T* hp, const T* bx, const T* hprev, T* rh, int64_t H) {
#pragma omp simd
  for (int64_t j = 0; j < H; ++j) {
    const T r = vmath::sigmoid(xg[j] + hp[j] + bx[j]);
    xg[j] = r;
    xg[H + j] = vmath::sigmoid(xg[H + j] + hp[H + j] + bx[H + j]);
    rh[j] = r * hprev[j];
  }
}

template <class T>
void gru_rb_out(T* xg, const T* hp, const T* bx, const T* bhn, const T* hprev, bool on, T* y,
                int64_t H) {
  T *gz = xg + H, *gn = xg + 2 * H;
#pragma omp simd
  for (int64_t j = 0; j < H; ++j) {
    const T n = vmath::tanh(gn[j] + hp[2 * H + j] + bx[2 * H + j] + bhn[j]);
    gn[j] = n;
    y[j] = (T(1) - gz[j]) * n + gz[j] * hprev[j];
  }
  if (!on) std::memcpy(y, hprev, sizeof(T) * H);
}

}  // namespace

template <class T>
void rnn_forward(const RnnArgs<T>& a, T* y, T* h_n, T* c_n, T* gates, T* extra) {
  const Geometry<T> g = geometry(a);
  const int64_t H = g.H, G = g.G, B = g.B, I = g.I, NR = StepVec<T>::NR;
  std::vector<T> bx, bhn;
  fold_bias(a, g, bx, bhn);
  // The weights, packed once for the per-step products (step_gemm.h). RNN / LSTM: one matrix
  // (W_ih^T ; W_hh^T) of I + H rows, so that (x_t | h_prev) times it is the step's whole
  // pre-activation in one product (the input projection runs inside the time loop, on the
  // block's own rows, instead of as a (T*B, G) GEMM whose output went through memory once
  // more). GRU: W_ih^T and W_hh^T apart (its candidate needs h W_hn^T on its own); the
  // reset-before GRU, whose two recurrent products read column ranges, takes a row-major W_hh^T
  // copy for csrc/gemm, rows padded by a cache line (see padded_ld).
  const bool rb = a.mode == kGruResetBefore, fused = a.mode <= kLstm;
  const int64_t ldt = padded_ld<T>(G);
  const auto w_ih_t = [&](int64_t p, int64_t j) { return a.w_ih[j * I + p]; };
  const auto w_hh_t = [&](int64_t p, int64_t j) { return a.w_hh[j * H + p]; };
  T* w_x = workspace<T>(kSlotWeight, step_packed_size<T>(fused ? I + H : I, G));
  T* w_h = fused ? nullptr : workspace<T>(kSlotWeightH, rb ? H * ldt : step_packed_size<T>(H, G));
  if (fused) {
    step_pack<T>(I + H, G, [&](int64_t p, int64_t j) {
      return p < I ? w_ih_t(p, j) : w_hh_t(p - I, j); }, w_x);
  } else {
    step_pack<T>(I, G, w_ih_t, w_x);
    if (rb) {
      for (int64_t j = 0; j < G; ++j)
        for (int64_t k = 0; k < H; ++k) w_h[k * ldt + j] = a.w_hh[j * H + k];
    } else {
      step_pack<T>(H, G, w_hh_t, w_h);
    }
  }
  const int64_t x_stride = (fused ? I + H : I) * NR;  // panel stride of w_x

  for_row_blocks(B, [&](int64_t r0, int64_t r1) {
    const int64_t nr = r1 - r0;
    // hp: h W_hh^T (GRU); xg: the block's gate block of the current step, computed here (in
    // L1) and, when a backward follows, streamed to `gates` afterwards (stream_copy).
    T* hp = workspace<T>(kSlotBlock, 2 * nr * G);
    T* xg = hp + nr * G;
    for (int64_t s = 0; s < g.T_; ++s) {
      const int64_t t = g.t_of(s), tp = s ? g.t_of(s - 1) : -1;
      const T* hprev = (tp < 0 ? a.h0 : y + tp * B * H) + r0 * H;
      const T* cprev = a.mode == kLstm ? (tp < 0 ? a.c0 : extra + tp * B * H) + r0 * H : nullptr;
      const T* xt = a.x + (t * B + r0) * I;
      T* yt = y + (t * B + r0) * H;
      T* et = extra ? extra + (t * B + r0) * H : nullptr;
      const T* m = a.mask ? a.mask + t * B + r0 : nullptr;
      if (fused) {
        step_gemm<T>(nr, G, {xt, I, I, hprev, H, H}, w_x, x_stride, xg, G, false);
      } else {
        step_gemm<T>(nr, G, {xt, I, I}, w_x, x_stride, xg, G, false);
      }
      if (!rb) {
        // GRU keeps h W_hh^T apart: its candidate needs h W_hn^T on its own.
        if (!fused) step_gemm<T>(nr, G, {hprev, H, H}, w_h, H * NR, hp, G, false);
        for (int64_t b = 0; b < nr; ++b) {
          const bool on = !m || m[b] != T(0);
          T* xr = xg + b * G;
          const T* hpr = hprev + b * H;
          switch (a.mode) {
            case kRnnTanh:
            case kRnnRelu: rnn_row(a.mode == kRnnRelu, xr, bx.data(), hpr, on, yt + b * H, H);
              break;
            case kLstm:
              lstm_row(xr, bx.data(), hpr, cprev + b * H, on, yt + b * H, et + b * H, H);
              break;
            default:
              gru_row(xr, hp + b * G, bx.data(), bhn.data(), hpr, on, yt + b * H, et + b * H, H);
          }
        }
      } else {  // r and z first: the candidate's GEMM reads r * h_prev
        gemm<T>(nr, 2 * H, H, T(1), hprev, H, 1, w_h, ldt, 1, T(0), hp, G, 1);
        for (int64_t b = 0; b < nr; ++b)
          gru_rb_rz(xg + b * G, hp + b * G, bx.data(), hprev + b * H, et + b * H, H);
        gemm<T>(nr, H, H, T(1), et, H, 1, w_h + 2 * H, ldt, 1, T(0), hp + 2 * H, G, 1);
        for (int64_t b = 0; b < nr; ++b)
          gru_rb_out(xg + b * G, hp + b * G, bx.data(), bhn.data(), hprev + b * H,
                     !m || m[b] != T(0), yt + b * H, H);
      }
      if (gates) stream_copy(gates + (t * B + r0) * G, xg, nr * G);
    }
    if (gates) _mm_sfence();  // this thread's streamed stores, before the join
  });
  const int64_t last = g.t_of(g.T_ - 1);
  if (h_n) std::memcpy(h_n, y + last * B * H, sizeof(T) * B * H);
  if (c_n && a.mode == kLstm) std::memcpy(c_n, extra + last * B * H, sizeof(T) * B * H);
}

// ------------------------------------------------------------------------------------------
// Backward. dh (the gradient reaching the state after step t) is turned into the pre-activation
// gate gradients dgi (input side) and dgh (recurrent side; they differ only for GRU), and into
// `carry`, the part of dh_prev that bypasses W_hh. dh_prev = carry + dgh W_hh afterwards.

namespace {

template <class T>
void rnn_row_bwd(bool relu, const T* y_new, const T* dh, T* dg, int64_t H) {
#pragma omp simd
  for (int64_t j = 0; j < H; ++j)
    dg[j] = relu ? (y_new[j] > T(0) ? dh[j] : T(0)) : dh[j] * (T(1) - y_new[j] * y_new[j]);
}

// dc in: gradient reaching c_t; out: gradient reaching c_{t-1}.
template <class T>
void lstm_row_bwd(const T* gt, const T* c, const T* cprev, const T* dh, T* dc, T* dg,
                  int64_t H) {
  const T *gi = gt, *gf = gt + H, *gg = gt + 2 * H, *go = gt + 3 * H;
#pragma omp simd
  for (int64_t j = 0; j < H; ++j) {
    const T i = gi[j], f = gf[j], gv = gg[j], o = go[j];
    const T tc = vmath::tanh(c[j]);
    const T dct = dc[j] + dh[j] * o * (T(1) - tc * tc);
    dg[j] = dct * gv * i * (T(1) - i);
    dg[H + j] = dct * cprev[j] * f * (T(1) - f);
    dg[2 * H + j] = dct * i * (T(1) - gv * gv);
    dg[3 * H + j] = dh[j] * tc * o * (T(1) - o);
    dc[j] = dct * f;
  }
}

template <class T>
void gru_row_bwd(const T* gt, const T* hn, const T* hprev, const T* dh, T* dgi, T* dgh,
                 T* carry, int64_t H) {
  const T *gr = gt, *gz = gt + H, *gn = gt + 2 * H;
#pragma omp simd
  for (int64_t j = 0; j < H; ++j) {
    const T r = gr[j], z = gz[j], n = gn[j];
    const T dnp = dh[j] * (T(1) - z) * (T(1) - n * n);
    const T drp = dnp * hn[j] * r * (T(1) - r);
    const T dzp = dh[j] * (hprev[j] - n) * z * (T(1) - z);
    dgi[j] = drp, dgi[H + j] = dzp, dgi[2 * H + j] = dnp;
    dgh[j] = drp, dgh[H + j] = dzp, dgh[2 * H + j] = dnp * r;
    carry[j] = dh[j] * z;
  }
}

// Reset-before GRU: the candidate's pre-activation gradient first (its GEMM gives d(r h)).
template <class T>
void gru_rb_bwd_n(const T* gt, const T* dh, T* dg, int64_t H) {
  const T *gz = gt + H, *gn = gt + 2 * H;
#pragma omp simd
  for (int64_t j = 0; j < H; ++j) dg[2 * H + j] = dh[j] * (T(1) - gz[j]) * (T(1) - gn[j] * gn[j]);
}

template <class T>
void gru_rb_bwd_rz(const T* gt, const T* hprev, const T* dh, const T* drh, T* dg, T* carry,
                   int64_t H) {
  const T *gr = gt, *gz = gt + H, *gn = gt + 2 * H;
#pragma omp simd
  for (int64_t j = 0; j < H; ++j) {
    const T r = gr[j], z = gz[j];
    dg[j] = drh[j] * hprev[j] * r * (T(1) - r);
    dg[H + j] = dh[j] * (hprev[j] - gn[j]) * z * (T(1) - z);
    carry[j] = dh[j] * z + drh[j] * r;
  }
}

// Column sums of a (rows, cols) matrix into out (cols,): threads split columns, each sums its
// columns over all rows in row order (no split reduction).
template <class T>
void column_sums(const T* m, int64_t rows, int64_t cols, int64_t ld, T* out) {
  // A fork costs more than summing fewer than ~kParallelGrain * 4 elements on one thread.
  const int64_t grain = rows * cols < 4 * kParallelGrain
                            ? cols
                            : std::max<int64_t>(16, kParallelGrain / std::max<int64_t>(rows, 1));
  parallel_for(cols, grain,
               [&](int64_t c0, int64_t c1) {
                 for (int64_t j = c0; j < c1; ++j) out[j] = T(0);
                 for (int64_t r = 0; r < rows; ++r) {
                   const T* row = m + r * ld;
#pragma omp simd
                   for (int64_t j = c0; j < c1; ++j) out[j] += row[j];
                 }
               });
}

}  // namespace

template <class T>
void rnn_backward(const RnnArgs<T>& a, const T* y, const T* gates, const T* extra, const T* dy,
                  const T* dh_n, const T* dc_n, T* dx, T* dw_ih, T* dw_hh, T* db_ih, T* db_hh,
                  T* dh0, T* dc0) {
  const Geometry<T> g = geometry(a);
  const int64_t TB = g.T_ * g.B, H = g.H, G = g.G, B = g.B;
  const bool gru = a.mode == kGru, rb = a.mode == kGruResetBefore, lstm = a.mode == kLstm;
  T* dgi = workspace<T>(kSlotGates, TB * G);
  T* dgh = gru ? workspace<T>(kSlotGatesH, TB * G) : dgi;  // recurrent side differs for GRU only
  // W_hh (G, H) for the per-step dh_prev products: packed once (step_gemm.h), or for the
  // reset-before GRU (row ranges, csrc/gemm) a copy with padded rows read in place.
  const int64_t ldw = padded_ld<T>(H);
  T* wp = workspace<T>(kSlotWeight, rb ? G * ldw : step_packed_size<T>(G, H));
  if (rb) {
    for (int64_t j = 0; j < G; ++j) std::memcpy(wp + j * ldw, a.w_hh + j * H, sizeof(T) * H);
  } else {
    step_pack<T>(G, H, [&](int64_t p, int64_t j) { return a.w_hh[p * H + j]; }, wp);
  }

  for_row_blocks(B, [&](int64_t r0, int64_t r1) {
    const int64_t nr = r1 - r0;
    // The gate gradients are written straight into dgi / dgh: the GEMMs after the loop read
    // them, so they should stay in cache (streamed stores made the backward ~8 % slower).
    T* work = workspace<T>(kSlotBlock, 4 * nr * H);
    T *dh = work, *dh_next = dh + nr * H, *dc = dh_next + nr * H, *drh = dc + nr * H;
    for (int64_t i = 0; i < nr * H; ++i) {
      dh[i] = dh_n ? dh_n[r0 * H + i] : T(0);
      dc[i] = lstm && dc_n ? dc_n[r0 * H + i] : T(0);
    }
    for (int64_t s = g.T_ - 1; s >= 0; --s) {
      const int64_t t = g.t_of(s), tp = s ? g.t_of(s - 1) : -1;
      const T* hprev = (tp < 0 ? a.h0 : y + tp * B * H) + r0 * H;
      const T* cprev = lstm ? (tp < 0 ? a.c0 : extra + tp * B * H) + r0 * H : nullptr;
      const T* gt = gates + (t * B + r0) * G;
      const T* et = extra ? extra + (t * B + r0) * H : nullptr;
      const T* m = a.mask ? a.mask + t * B + r0 : nullptr;
      T* dgit = dgi + (t * B + r0) * G;
      T* dght = dgh + (t * B + r0) * G;
      if (dy) {
        const T* d = dy + (t * B + r0) * H;
#pragma omp simd
        for (int64_t i = 0; i < nr * H; ++i) dh[i] += d[i];
      }
      // carry (into dh_next): the part of dh_prev outside dgh W_hh; masked rows pass dh through.
      for (int64_t b = 0; b < nr; ++b) {
        const bool on = !m || m[b] != T(0);
        const int64_t o = b * H;
        if (!on) {
          std::memset(dgit + b * G, 0, sizeof(T) * G);
          if (gru) std::memset(dght + b * G, 0, sizeof(T) * G);
          std::memcpy(dh_next + o, dh + o, sizeof(T) * H);
          continue;
        }
        switch (a.mode) {
          case kRnnTanh:
          case kRnnRelu:
            rnn_row_bwd(a.mode == kRnnRelu, gt + b * G, dh + o, dgit + b * G, H);
            break;
          case kLstm:
            lstm_row_bwd(gt + b * G, et + o, cprev + o, dh + o, dc + o, dgit + b * G, H);
            break;
          case kGru:
            gru_row_bwd(gt + b * G, et + o, hprev + o, dh + o, dgit + b * G, dght + b * G,
                        dh_next + o, H);
            break;
          default: gru_rb_bwd_n(gt + b * G, dh + o, dgit + b * G, H);
        }
      }
      if (rb) {  // d(r h) = dn W_hn, then r and z, whose gradients need it
        gemm<T>(nr, H, H, T(1), dgit + 2 * H, G, 1, wp + 2 * H * ldw, ldw, 1, T(0), drh, H, 1);
        for (int64_t b = 0; b < nr; ++b)
          if (!m || m[b] != T(0))
            gru_rb_bwd_rz(gt + b * G, hprev + b * H, dh + b * H, drh + b * H, dgit + b * G,
                          dh_next + b * H, H);
        gemm<T>(nr, H, 2 * H, T(1), dgit, G, 1, wp, ldw, 1, T(1), dh_next, H, 1);
      } else {
        // GRU adds onto its carry; RNN / LSTM have none, so the product overwrites dh_next
        // and masked rows (zero gate gradients) then take dh unchanged.
        step_gemm<T>(nr, H, {dght, G, G}, wp, G * StepVec<T>::NR, dh_next, H, gru);
        if (m && !gru)
          for (int64_t b = 0; b < nr; ++b)
            if (m[b] == T(0)) std::memcpy(dh_next + b * H, dh + b * H, sizeof(T) * H);
      }
      std::swap(dh, dh_next);
    }
    if (dh0) std::memcpy(dh0 + r0 * H, dh, sizeof(T) * nr * H);
    if (dc0 && lstm) std::memcpy(dc0 + r0 * H, dc, sizeof(T) * nr * H);
  });

  // The input gradient dx = dG_i W_ih and the weight gradients, which sum over every row of
  // every step: whole-sequence GEMMs, threaded over their outputs. (dx per step and row block
  // inside the loop was 40-80 calls of a 16-32 x I x G product per sequence, each paying the
  // call, the packing and the narrow-output transposition.)
  if (dx) gemm<T>(TB, g.I, G, T(1), dgi, G, 1, a.w_ih, g.I, 1, T(0), dx, g.I, 1);
  if (dw_ih) gemm<T>(G, g.I, TB, T(1), dgi, 1, G, a.x, g.I, 1, T(0), dw_ih, g.I, 1);
  if (dw_hh) {
    // sum over steps of dgh[t]^T h_prev(t): h0 for the first step processed, then y of the
    // step before, which is y[t - 1] (forward) or y[t + 1] (reverse): one contiguous range.
    const int64_t rows = rb ? 2 * H : G;  // reset-before candidate rows use r * h instead
    const int64_t first = g.t_of(0);
    gemm<T>(rows, H, B, T(1), dgh + first * B * G, 1, G, a.h0, H, 1, T(0), dw_hh, H, 1);
    const T* d_rest = dgh + (g.reverse ? 0 : B * G);
    const T* h_rest = y + (g.reverse ? B * H : 0);
    gemm<T>(rows, H, (g.T_ - 1) * B, T(1), d_rest, 1, G, h_rest, H, 1, T(1), dw_hh, H, 1);
    if (rb)
      gemm<T>(H, H, TB, T(1), dgi + 2 * H, 1, G, extra, H, 1, T(0), dw_hh + 2 * H * H, H, 1);
  }
  if (db_ih) column_sums(dgi, TB, G, G, db_ih);
  if (db_hh) {  // the same sums unless GRU's two sides differ: one pass over (T*B, G) less
    if (db_ih && dgh == dgi)
      std::memcpy(db_hh, db_ih, sizeof(T) * G);
    else
      column_sums(dgh, TB, G, G, db_hh);
  }
}

PE_RNN_INSTANTIATE(float)
PE_RNN_INSTANTIATE(double)

}  // namespace PE_ISA_NS
}  // namespace pyengine
