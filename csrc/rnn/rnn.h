// Recurrent layers over a whole sequence in one call: simple RNN (tanh / relu), LSTM and GRU,
// forward and backpropagation through time. PyTorch's weight layout and gate order:
//   w_ih (G*H, I), w_hh (G*H, H), b_ih / b_hh (G*H,); LSTM gates i, f, g, o (G = 4);
//   GRU gates r, z, n (G = 3); RNN G = 1.
// GRU (reset after the hidden matmul, PyTorch and Keras reset_after=True):
//   r = s(x_r + h_r), z = s(x_z + h_z), n = tanh(x_n + r * h_n), h' = (1 - z) n + z h
//   with x_* = x W_i*^T + b_i*, h_* = h W_h*^T + b_h*.
// GRU reset before (Keras reset_after=False): n = tanh(x_n + (r * h) W_hn^T + b_hn).
//
// Layout: x (T, B, I), y (T, B, H) = the state after every step, in time order (for `reverse`
// the recurrence runs from t = T-1 down to 0). h0 (B, H) is required (zeros for none), c0 (B, H)
// for LSTM. mask (T, B) or null: where mask[t, b] == 0, step t leaves row b's state unchanged
// (y[t, b] = the carried state), as Keras' masking does.
// Workspace the backward pass reads: gates (T, B, G*H) = gate activations (RNN: the new state
// before masking), extra (T, B, H) = LSTM c_t, GRU h_n (reset after) or r * h (reset before);
// no extra for RNN.
//
// Threads own fixed blocks of batch rows (rows are independent through the recurrence) for the
// whole time loop: no barrier per step, and the block size depends
// on B only, so results are bitwise identical for any thread count. The input projection runs
// per step and row block inside the loop (with the recurrent product: one product of
// (x_t | h_prev) for RNN / LSTM); the weight gradients are whole-sequence GEMMs (csrc/gemm),
// threaded over their output. gates may be null in rnn_forward when no backward follows: the
// gate activations then live in per-block scratch of one step.
#pragma once
#include <cstdint>

namespace pyengine {

enum RnnMode : int { kRnnTanh = 0, kRnnRelu = 1, kLstm = 2, kGru = 3, kGruResetBefore = 4 };

inline int rnn_gate_count(int mode) { return mode == kLstm ? 4 : (mode >= kGru ? 3 : 1); }
inline bool rnn_has_extra(int mode) { return mode >= kLstm; }

template <class T>
struct RnnArgs {
  int mode;
  int64_t steps, batch, in, hid;
  bool reverse;
  const T* x;     // (T, B, I)
  const T* w_ih;  // (G*H, I)
  const T* w_hh;  // (G*H, H)
  const T* b_ih;  // (G*H,) or null
  const T* b_hh;  // (G*H,) or null
  const T* h0;    // (B, H)
  const T* c0;    // (B, H), LSTM only
  const T* mask;  // (T, B) or null
};

// y (T, B, H); h_n, c_n (B, H) or null; gates, extra: the workspace described above.
template <class T>
void rnn_forward(const RnnArgs<T>& a, T* y, T* h_n, T* c_n, T* gates, T* extra);

// Gradients from dy (T, B, H) (null: zero), dh_n / dc_n (B, H) (null: zero). Each output may be
// null when not wanted; dx (T, B, I), dw_ih, dw_hh, db_ih, db_hh, dh0, dc0 are overwritten.
template <class T>
void rnn_backward(const RnnArgs<T>& a, const T* y, const T* gates, const T* extra, const T* dy,
                  const T* dh_n, const T* dc_n, T* dx, T* dw_ih, T* dw_hh, T* db_ih, T* db_hh,
                  T* dh0, T* dc0);

#define PE_RNN_INSTANTIATE(T)                                                                 \
  template void rnn_forward<T>(const RnnArgs<T>&, T*, T*, T*, T*, T*);                        \
  template void rnn_backward<T>(const RnnArgs<T>&, const T*, const T*, const T*, const T*,    \
                                const T*, const T*, T*, T*, T*, T*, T*, T*, T*);

}  // namespace pyengine
