// 2-D convolution (NCHW), forward and backward, for float and double on C-contiguous buffers.
//
//   x  (N, C, H, W)            w  (OC, C / groups, KH, KW)      b (OC) or null
//   y  (N, OC, OH, OW)         OH = (H + 2 ph - dh (KH - 1) - 1) / sh + 1, likewise OW
//
// Every entry point partitions the output over threads and keeps each reduction on one thread in
// a fixed order, so results are bitwise identical for any thread count (DESIGN.md).
// Which algorithm runs is decided in conv2d.cpp (the reasons are written there).
#pragma once
#include <array>
#include <cstdint>

namespace pyengine {

struct Conv2dGeom {
  int64_t n, c, h, w;        // input
  int64_t oc, kh, kw;        // weight: (oc, c / groups, kh, kw)
  int64_t sh, sw, ph, pw, dh, dw, groups;
  int64_t oh, ow;            // output spatial size (from the formula above)
  int64_t cg() const { return c / groups; }    // input channels per group
  int64_t ocg() const { return oc / groups; }  // output channels per group
};

// Output size along one axis, or a value < 1 when the dilated kernel does not fit.
inline int64_t conv_out_size(int64_t in, int64_t k, int64_t s, int64_t p, int64_t d) {
  const int64_t span = in + 2 * p - d * (k - 1) - 1;
  return span < 0 ? 0 : span / s + 1;
}

template <class T>
void conv2d_forward(const Conv2dGeom& g, const T* x, const T* w, const T* b, T* y);
// dx = conv_transpose(dy, w): gradient w.r.t. the input (dx is overwritten).
template <class T>
void conv2d_backward_input(const Conv2dGeom& g, const T* dy, const T* w, T* dx);
// A transposed convolution: y = conv2d_backward_input(dy = x, w) + b[c] at every position of
// channel c (b may be null). y has the conv's input shape (n, c, h, w); x its output's.
template <class T>
void conv_transpose2d_forward(const Conv2dGeom& g, const T* x, const T* w, const T* b, T* y);
// dw = sum over the batch of dy (x) x: gradient w.r.t. the weight (dw is overwritten).
template <class T>
void conv2d_backward_weight(const Conv2dGeom& g, const T* x, const T* dy, T* dw);
// db[o] = sum over n, oh, ow of dy (db is overwritten).
template <class T>
void conv2d_backward_bias(const Conv2dGeom& g, const T* dy, T* db);
// The three gradients at once, each output optional (null: not wanted). Same results as the
// three calls above up to summation order; the direct kernels read dy once for all of them.
template <class T>
void conv2d_backward(const Conv2dGeom& g, const T* x, const T* dy, const T* w, T* dx, T* dw,
                     T* db);

// Names of the algorithms conv2d_forward / _backward_input / _backward_weight run for g on the
// active ISA ("small_k", "direct", "winograd", "batch_lanes", "im2col_image_blocks", "im2col"):
// for tests that must know which path they cover, and for docs.
template <class T>
std::array<const char*, 3> conv2d_algorithms(const Conv2dGeom& g);

// Direct (no im2col) kernels, compiled per ISA in conv_direct_<isa>.cpp and dispatched on the
// active ISA. Used where each output channel sees one input channel (depthwise, and the
// one-channel first layer): there K = KH*KW is too small for a GEMM to pay.
template <class T>
void conv2d_direct_forward(const Conv2dGeom& g, const T* x, const T* w, const T* b, T* y);
template <class T>
void conv2d_direct_backward_input(const Conv2dGeom& g, const T* dy, const T* w, T* dx);
template <class T>
void conv2d_direct_backward_weight(const Conv2dGeom& g, const T* x, const T* dy, T* dw);
template <class T>
void conv2d_direct_backward(const Conv2dGeom& g, const T* x, const T* dy, const T* w, T* dx,
                            T* dw, T* db);

}  // namespace pyengine
