// Entry points of the channels-last pooling kernels: forward to the active ISA's translation unit.
#include "common/isa_dispatch.h"
#include "conv/conv2d_nhwc.h"

namespace pyengine {

#define PE_DECLARE_ISA(ns)                                                                    \
  namespace ns {                                                                              \
  template <class T> void max_pool2d_nhwc_forward(const PoolNhwcGeom&, const T*, T*);         \
  template <class T> void max_pool2d_nhwc_backward(const PoolNhwcGeom&, const T*, const T*,   \
                                                   T*);                                       \
  template <class T> void max_pool2d_nhwc_forward_index(const PoolNhwcGeom&, const T*, T*,    \
                                                        uint8_t*);                            \
  template <class T> void max_pool2d_nhwc_backward_index(const PoolNhwcGeom&, const uint8_t*, \
                                                         const T*, T*);                       \
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
// (The binding lowers the stride of a single output row / column to what still gives one
// window; the loops never use the stride of an axis with one window.)
bool max_pool2d_nhwc_indexable(const PoolNhwcGeom& g) {
  return g.kh == 2 && g.kw == 2 && (g.sh == 2 || g.oh == 1) && (g.sw == 2 || g.ow == 1) &&
         g.pt == 0 && g.pl == 0 && 2 * g.oh <= g.h && 2 * g.ow <= g.w;
}
template <class T>
void max_pool2d_nhwc_forward_index(const PoolNhwcGeom& g, const T* x, T* y, uint8_t* idx) {
  PE_DISPATCH(max_pool2d_nhwc_forward_index<T>, g, x, y, idx);
}
template <class T>
void max_pool2d_nhwc_backward_index(const PoolNhwcGeom& g, const uint8_t* idx, const T* dy,
                                    T* dx) {
  PE_DISPATCH(max_pool2d_nhwc_backward_index<T>, g, idx, dy, dx);
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
