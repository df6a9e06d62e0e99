// Activation kernels, forward and backward, for float and double on contiguous buffers.
// Dispatch (activations_dispatch.cpp) picks the translation unit compiled for the active ISA.
#pragma once
#include <cstdint>

namespace pyengine {

enum class Act { relu, leaky_relu, elu, gelu, sigmoid, tanh, softplus };

// Parameters an activation may use: leaky_relu slope (p0), elu alpha (p0),
// softplus beta (p0) and threshold (p1). Unused ones are ignored.
struct ActParams {
  double p0 = 0.0;
  double p1 = 0.0;
};

template <class T>
void act_forward(Act act, ActParams prm, const T* x, T* y, int64_t n);
// dx = dy * act'(x). Uses x for relu/leaky/gelu/softplus, y for sigmoid/tanh, both for elu; both
// pointers must be valid (pass one for the other when unused): a branch on them in the loop
// would stop it from vectorising.
template <class T>
void act_backward(Act act, ActParams prm, const T* x, const T* y, const T* dy, T* dx, int64_t n);

// Softmax / log-softmax over the middle axis of a contiguous (outer, dim, inner) view.
template <class T>
void softmax_forward(bool log, const T* x, T* y, int64_t outer, int64_t dim, int64_t inner);
// softmax:     dx = y * (dy - sum(dy * y))
// log_softmax: dx = dy - exp(y) * sum(dy)
template <class T>
void softmax_backward(bool log, const T* y, const T* dy, T* dx, int64_t outer, int64_t dim,
                      int64_t inner);

}  // namespace pyengine
