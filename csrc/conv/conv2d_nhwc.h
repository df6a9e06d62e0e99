// 2-D convolution and pooling on channels-last (NHWC) buffers, Keras' layouts, float and double.
//
//   x  (N, H, W, C)     w  (KH, KW, C / groups, OC)     b (OC) or null     y  (N, OH, OW, OC)
//   y[n, oh, ow, o] = b[o] + sum_{i, j, c} x[n, oh*sh - pt + i*dh, ow*sw - pl + j*dw, g0 + c]
//                                          * w[i, j, c, o]          (zero outside the input)
//
// Padding is asymmetric: only the top / left pads (pt, pl) place the windows; the bottom / right
// ones only enter OH / OW, which the caller computes. Results are bitwise identical for any
// thread count: threads partition the output, and every reduction (weight and bias gradients)
// is cut into chunks fixed by the geometry and summed in chunk order.
#pragma once
#include <cstdint>

#include "eltwise/activations.h"

namespace pyengine {

struct ConvNhwcGeom {
  int64_t n, h, w, c;      // input
  int64_t kh, kw, oc;      // weight (kh, kw, c / groups, oc)
  int64_t sh, sw, pt, pl, dh, dw, groups;
  int64_t oh, ow;          // output spatial size
  int64_t cg() const { return c / groups; }
  int64_t ocg() const { return oc / groups; }
};

// A zero-padded copy of one image holding every window of the output (small_k_nhwc_impl.h).
inline int64_t padded_rows(const ConvNhwcGeom& g) { return (g.oh - 1) * g.sh + g.kh; }
inline int64_t padded_cols(const ConvNhwcGeom& g) { return (g.ow - 1) * g.sw + g.kw; }

// Optional activation applied to conv + bias in the same pass (the fused layer op). Only
// activations whose derivative is a function of their output are allowed (relu, leaky_relu with
// slope >= 0, elu, sigmoid, tanh): the backward then needs y alone, never the pre-activation.
struct ConvAct {
  bool on = false;
  Act act = Act::relu;
  ActParams prm{};
};

template <class T>
void conv2d_nhwc_forward(const ConvNhwcGeom& g, const T* x, const T* w, const T* b, ConvAct act,
                         T* y);
// Gradients, each output optional (null: not wanted); dx, dw, db are overwritten. With act.on,
// dy is the gradient of act(conv + b) and y its output: the pre-activation gradient is
// act'(y) * dy, formed block by block.
template <class T>
void conv2d_nhwc_backward(const ConvNhwcGeom& g, const T* x, const T* dy, const T* w,
                          ConvAct act, const T* y, T* dx, T* dw, T* db);

struct PoolNhwcGeom {
  int64_t n, h, w, c, oh, ow, kh, kw, sh, sw, pt, pl;
};

// Max over each window (padding never wins; a NaN does).
template <class T>
void max_pool2d_nhwc_forward(const PoolNhwcGeom& g, const T* x, T* y);
// dx (overwritten) = dy scattered to each window's argmax, found again from x by the forward's
// scan (the first maximum, or the last NaN).
template <class T>
void max_pool2d_nhwc_backward(const PoolNhwcGeom& g, const T* x, const T* dy, T* dx);
// 2x2 windows at stride 2, every one inside the input (pt = pl = 0, 2 OH <= H, 2 OW <= W:
// Keras' MaxPooling2D(2)): the forward can also write which of the window's pixels won, per
// output (uint8: 0 (0, 0), 1 (0, 1), 2 (1, 0), 3 (1, 1); same rule as the scan), and the
// backward scatter from it without reading x again (0.7 MB of index instead of the 11 MB
// input for MNIST pool1).
bool max_pool2d_nhwc_indexable(const PoolNhwcGeom& g);
template <class T>
void max_pool2d_nhwc_forward_index(const PoolNhwcGeom& g, const T* x, T* y, uint8_t* idx);
template <class T>
void max_pool2d_nhwc_backward_index(const PoolNhwcGeom& g, const uint8_t* idx, const T* dy,
                                    T* dx);
// Mean over the window; divisor KH*KW (count_include_pad) or the pixels inside the input.
template <class T>
void avg_pool2d_nhwc_forward(const PoolNhwcGeom& g, const T* x, T* y, bool count_include_pad);
template <class T>
void avg_pool2d_nhwc_backward(const PoolNhwcGeom& g, const T* dy, T* dx, bool count_include_pad);

#define PE_POOL_NHWC_INSTANTIATE(T)                                                           \
  template void max_pool2d_nhwc_forward<T>(const PoolNhwcGeom&, const T*, T*);                \
  template void max_pool2d_nhwc_backward<T>(const PoolNhwcGeom&, const T*, const T*, T*);     \
  template void max_pool2d_nhwc_forward_index<T>(const PoolNhwcGeom&, const T*, T*, uint8_t*); \
  template void max_pool2d_nhwc_backward_index<T>(const PoolNhwcGeom&, const uint8_t*,        \
                                                  const T*, T*);                              \
  template void avg_pool2d_nhwc_forward<T>(const PoolNhwcGeom&, const T*, T*, bool);          \
  template void avg_pool2d_nhwc_backward<T>(const PoolNhwcGeom&, const T*, T*, bool);

}  // namespace pyengine
