// Entry points of the channels-last pooling kernels: forward to the active ISA's translation unit.
#include "common/isa_dispatch.h"
#include "conv/conv2d_nhwc.h"

namespace pyengine {

#define PE_DECLARE_ISA(ns)                                                                    \
  namespace ns {                                                                              \
  template <class T> void max_pool2d_nhwc_forward(const PoolNhwcGeom&, const T*, T*);         \
  template <class T> void max_pool2d_nhwc_backward(const PoolNhwcGeom&, const T*, const T*,   \
                                                   T*);                                       \
  template <class T> void avg_pool2d_nhwc_forward(const PoolNhwcGeom&, const T*, T*, bool);   \
  template <class T> void avg_pool2d_nhwc_backward(const PoolNhwcGeom&, const T*, T*, bool);  \
  }
PE_DECLARE_ISA(generic)
PE_DECLARE_ISA(avx2)
PE_DECLARE_ISA(avx512)
#undef PE_DECLARE_ISA

template <class T>
void max_pool2d_nhwc_forward(const PoolNhwcGeom& g, const T* x, T* y) {
  PE_DISPATCH(max_pool2d_nhwc_forward<T>, g, x, y);
}
template <class T>
void max_pool2d_nhwc_backward(const PoolNhwcGeom& g, const T* x, const T* dy, T* dx) {
  PE_DISPATCH(max_pool2d_nhwc_backward<T>, g, x, dy, dx);
}
template <class T>
void avg_pool2d_nhwc_forward(const PoolNhwcGeom& g, const T* x, T* y, bool pad) {
  PE_DISPATCH(avg_pool2d_nhwc_forward<T>, g, x, y, pad);
}
template <class T>
void avg_pool2d_nhwc_backward(const PoolNhwcGeom& g, const T* dy, T* dx, bool pad) {
  PE_DISPATCH(avg_pool2d_nhwc_backward<T>, g, dy, dx, pad);
}

PE_POOL_NHWC_INSTANTIATE(float)
PE_POOL_NHWC_INSTANTIATE(double)

}  // namespace pyengine
