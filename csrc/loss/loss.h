// Fused loss kernels: each computes the per-element (or per-row) loss and, when `grad` is not
// null, d loss / d input in the same pass, so backward is a scale by the upstream gradient.
// float and double on contiguous buffers; log-sum-exp and clamped logs keep them finite.
#pragma once
#include <cstdint>

namespace pyengine {

// Cross-entropy of softmax(z) over rows of a (n, c) matrix, against class indices y.
// Row loss = sum_k a_k (lse - z_k), a_k = (1 - s) w_y [k == y] + (s / c) w_k (w = 1 when null,
// s the label smoothing); grad_k = grad_scale (softmax(z)_k sum(a) - a_k), grad_scale folding a
// mean's 1/N into the same pass. Rows with y == ignore_index give 0.
// Indices must be in [0, c) or ignore_index (the binding checks).
template <class T>
void softmax_xent_index(const T* z, const int64_t* y, const T* w, double smoothing,
                        int64_t ignore_index, double grad_scale, T* loss, T* grad, int64_t n,
                        int64_t c);
// Same against class probabilities t (n, c): a_k = w_k ((1 - s) t_k + s / c).
template <class T>
void softmax_xent_prob(const T* z, const T* t, const T* w, double smoothing, double grad_scale,
                       T* loss, T* grad, int64_t n, int64_t c);
// Binary cross-entropy of probabilities p against y, logs clamped at -100 as in PyTorch:
// loss = -w (y log p + (1 - y) log(1 - p)); grad = w (p - y) / max(p (1 - p), 1e-12).
template <class T>
void bce(const T* p, const T* y, const T* w, T* loss, T* grad, int64_t n);
// Binary cross-entropy on logits x with positive-class weight pw (null = 1), never overflowing:
// loss = w ((1 - y) x + (1 + (pw - 1) y) softplus(-x)); grad = w (sigmoid(x)(pw y + 1 - y) - pw y).
template <class T>
void bce_logits(const T* x, const T* y, const T* w, const T* pw, T* loss, T* grad, int64_t n);

// Explicit instantiations, expanded once in the dispatch namespace and once in each ISA's.
#define PE_LOSS_INSTANTIATE(T)                                                             \
  template void softmax_xent_index<T>(const T*, const int64_t*, const T*, double, int64_t, \
                                      double, T*, T*, int64_t, int64_t);                   \
  template void softmax_xent_prob<T>(const T*, const T*, const T*, double, double, T*, T*, \
                                     int64_t, int64_t);                                    \
  template void bce<T>(const T*, const T*, const T*, T*, T*, int64_t);                     \
  template void bce_logits<T>(const T*, const T*, const T*, const T*, T*, T*, int64_t);

}  // namespace pyengine
