// 2-D pooling (NCHW) forward and backward, float and double, on C-contiguous buffers.
// Planes (N * C of them) are independent: threads split planes, so results never depend on the
// thread count. Semantics follow PyTorch (padding, dilation, ceil_mode windows, NaN propagation
// of max, count_include_pad / divisor_override of avg, adaptive bin edges).
#pragma once
#include <cstdint>

namespace pyengine {

struct Pool2dGeom {
  int64_t planes, h, w;  // input (N * C, H, W)
  int64_t oh, ow;        // output spatial size (computed by the caller, with ceil_mode)
  int64_t kh, kw, sh, sw, ph, pw, dh, dw;
};

// Output size of a pooling window along one axis (PyTorch's pooling_output_shape).
inline int64_t pool_out_size(int64_t in, int64_t k, int64_t s, int64_t p, int64_t d, bool ceil) {
  int64_t num = in + 2 * p - d * (k - 1) - 1 + (ceil ? s - 1 : 0);
  if (num < 0) return 0;
  int64_t out = num / s + 1;
  // With ceil_mode the last window must start inside the input or the left padding.
  if (ceil && (out - 1) * s >= in + p) --out;
  return out;
}

// y = max over each window; idx (may be null) = argmax as h * W + w within the plane.
template <class T>
void max_pool2d_forward(const Pool2dGeom& g, const T* x, T* y, int64_t* idx);
// dx = scatter-add of dy at idx (dx is overwritten). Returns false if an index is out of range.
template <class T>
bool max_pool2d_backward(const Pool2dGeom& g, const T* dy, const int64_t* idx, T* dx);

// divisor == 0: divide by the window size (clipped to the input unless count_include_pad).
template <class T>
void avg_pool2d_forward(const Pool2dGeom& g, const T* x, T* y, bool count_include_pad,
                        int64_t divisor);
template <class T>
void avg_pool2d_backward(const Pool2dGeom& g, const T* dy, T* dx, bool count_include_pad,
                         int64_t divisor);

// Output bin i covers rows [floor(i H / OH), ceil((i + 1) H / OH)); only planes/h/w/oh/ow used.
template <class T>
void adaptive_avg_pool2d_forward(const Pool2dGeom& g, const T* x, T* y);
template <class T>
void adaptive_avg_pool2d_backward(const Pool2dGeom& g, const T* dy, T* dx);

// Explicit instantiations, expanded once in the dispatch namespace and once in each ISA's.
#define PE_POOL_INSTANTIATE(T)                                                           \
  template void max_pool2d_forward<T>(const Pool2dGeom&, const T*, T*, int64_t*);        \
  template bool max_pool2d_backward<T>(const Pool2dGeom&, const T*, const int64_t*, T*); \
  template void avg_pool2d_forward<T>(const Pool2dGeom&, const T*, T*, bool, int64_t);   \
  template void avg_pool2d_backward<T>(const Pool2dGeom&, const T*, T*, bool, int64_t);  \
  template void adaptive_avg_pool2d_forward<T>(const Pool2dGeom&, const T*, T*);         \
  template void adaptive_avg_pool2d_backward<T>(const Pool2dGeom&, const T*, T*);

}  // namespace pyengine
