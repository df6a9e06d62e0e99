// Fused optimizer updates, one tensor at a time, in place, for float and double on contiguous
// buffers. The binding (bindings/optim.cpp) validates a whole parameter group, releases the GIL
// and calls these once per tensor, so one Python call updates every parameter of a group.
// Each update follows PyTorch's rule for the same hyperparameters (see pyengine/optim/*.py).
#pragma once
#include <cstdint>

namespace pyengine {

struct SgdHyper {
  double lr, momentum, dampening, weight_decay;
  bool nesterov, maximize;
};
// buf may be null when momentum == 0. `fresh`: buf holds no history yet (first step): buf = g.
template <class T>
void sgd_update(const SgdHyper& h, T* p, const T* g, T* buf, bool fresh, int64_t n);

struct AdamHyper {
  double lr, beta1, beta2, eps, weight_decay;
  bool decoupled, amsgrad, maximize;  // decoupled: AdamW's p *= 1 - lr * wd
};
// m, v: first and second moments; vmax (amsgrad only, else null); step counts from 1.
template <class T>
void adam_update(const AdamHyper& h, int64_t step, T* p, const T* g, T* m, T* v, T* vmax,
                 int64_t n);

struct RmspropHyper {
  double lr, alpha, eps, weight_decay, momentum;
  bool centered, maximize;
};
// sq: running mean of g^2; gavg (centered only) running mean of g; buf (momentum > 0 only).
template <class T>
void rmsprop_update(const RmspropHyper& h, T* p, const T* g, T* sq, T* gavg, T* buf, int64_t n);

struct AdagradHyper {
  double lr, lr_decay, weight_decay, eps;
  bool maximize;
};
template <class T>
void adagrad_update(const AdagradHyper& h, int64_t step, T* p, const T* g, T* sum, int64_t n);

// sum of squares of x (accumulated in double), for clip_grad_norm_.
template <class T>
double sum_squares(const T* x, int64_t n);
// x *= s
template <class T>
void scale_inplace(T* x, double s, int64_t n);

// Explicit instantiations, expanded once in the dispatch namespace and once in each ISA's.
#define PE_OPTIM_INSTANTIATE(T)                                                               \
  template void sgd_update<T>(const SgdHyper&, T*, const T*, T*, bool, int64_t);              \
  template void adam_update<T>(const AdamHyper&, int64_t, T*, const T*, T*, T*, T*, int64_t); \
  template void rmsprop_update<T>(const RmspropHyper&, T*, const T*, T*, T*, T*, int64_t);    \
  template void adagrad_update<T>(const AdagradHyper&, int64_t, T*, const T*, T*, int64_t);   \
  template double sum_squares<T>(const T*, int64_t);                                          \
  template void scale_inplace<T>(T*, double, int64_t);

}  // namespace pyengine
