// Image resampling kernels: resize (nearest / bilinear, PyTorch's and Keras' coordinate rules) and
// a batched projective warp (Keras' augmentation layers), forward and backward, float and double.
//
// Layout: every buffer is (P, H, W, C) C-contiguous. NHWC images are P = N planes of C channels;
// NCHW tensors are P = N * C planes of C = 1. Threads split planes (images), and each backward
// scatters one plane on one thread, so results never depend on the thread count.
#pragma once
#include <cstdint>

namespace pyengine {

// How an output coordinate maps to the input along one axis.
enum class ResizeMode : int {
  nearest = 0,        // PyTorch 'nearest': src = floor(dst * scale)
  nearest_exact = 1,  // half-pixel nearest (PyTorch 'nearest-exact', TF/Keras 'nearest')
  bilinear = 2,       // align_corners=False: src = (dst + 0.5) * scale - 0.5, clamped at 0
  bilinear_align = 3  // align_corners=True: src = dst * (in - 1) / (out - 1)
};

struct ResizeGeom {
  int64_t planes, h, w, c, oh, ow;
  double scale_h, scale_w;  // input pixels per output pixel (ignored by bilinear_align)
  ResizeMode mode;
};

template <class T>
void resize_forward(const ResizeGeom& g, const T* x, T* y);
// dx is overwritten with the adjoint of resize_forward applied to dy.
template <class T>
void resize_backward(const ResizeGeom& g, const T* dy, T* dx);

// Keras / TF fill modes for points that map outside the input.
enum class FillMode : int { reflect = 0, wrap = 1, constant = 2, nearest = 3 };

struct WarpGeom {
  int64_t n, h, w, c, oh, ow;
  bool bilinear;  // false: nearest (round half away from zero, as TF)
  FillMode fill;
  double fill_value;
};

// y[n, i, j] = x[n] sampled at the input point of output pixel (x=j, y=i) under the projective
// transform t[n] = (a0, a1, a2, b0, b1, b2, c0, c1): k = c0 j + c1 i + 1,
// x_in = (a0 j + a1 i + a2) / k, y_in = (b0 j + b1 i + b2) / k (TF's ImageProjectiveTransformV3).
template <class T>
void warp_forward(const WarpGeom& g, const T* x, const float* t, T* y);
// dx (overwritten) = adjoint of warp_forward in x (the fill value contributes no gradient).
template <class T>
void warp_backward(const WarpGeom& g, const T* dy, const float* t, T* dx);

#define PE_IMAGE_INSTANTIATE(T)                                           \
  template void resize_forward<T>(const ResizeGeom&, const T*, T*);       \
  template void resize_backward<T>(const ResizeGeom&, const T*, T*);      \
  template void warp_forward<T>(const WarpGeom&, const T*, const float*, T*); \
  template void warp_backward<T>(const WarpGeom&, const T*, const float*, T*);

}  // namespace pyengine
