// Entry points of pool2d.h: forward to the translation unit of the active ISA.
#include "common/isa_dispatch.h"
#include "conv/pool2d.h"

namespace pyengine {

#define PE_DECLARE_ISA(ns)                                                                      \
  namespace ns {                                                                                \
  template <class T> void max_pool2d_forward(const Pool2dGeom&, const T*, T*, int64_t*);        \
  template <class T> bool max_pool2d_backward(const Pool2dGeom&, const T*, const int64_t*, T*); \
  template <class T> void avg_pool2d_forward(const Pool2dGeom&, const T*, T*, bool, int64_t);   \
  template <class T> void avg_pool2d_backward(const Pool2dGeom&, const T*, T*, bool, int64_t);  \
  template <class T> void adaptive_avg_pool2d_forward(const Pool2dGeom&, const T*, T*);         \
  template <class T> void adaptive_avg_pool2d_backward(const Pool2dGeom&, const T*, T*);        \
  }
PE_DECLARE_ISA(generic)
PE_DECLARE_ISA(avx2)
PE_DECLARE_ISA(avx512)
#undef PE_DECLARE_ISA

template <class T>
void max_pool2d_forward(const Pool2dGeom& g, const T* x, T* y, int64_t* idx) {
  PE_DISPATCH(max_pool2d_forward<T>, g, x, y, idx);
}
template <class T>
bool max_pool2d_backward(const Pool2dGeom& g, const T* dy, const int64_t* idx, T* dx) {
  PE_DISPATCH(max_pool2d_backward<T>, g, dy, idx, dx);
}
template <class T>
void avg_pool2d_forward(const Pool2dGeom& g, const T* x, T* y, bool pad, int64_t div) {
  PE_DISPATCH(avg_pool2d_forward<T>, g, x, y, pad, div);
}
template <class T>
void avg_pool2d_backward(const Pool2dGeom& g, const T* dy, T* dx, bool pad, int64_t div) {
  PE_DISPATCH(avg_pool2d_backward<T>, g, dy, dx, pad, div);
}
template <class T>
void adaptive_avg_pool2d_forward(const Pool2dGeom& g, const T* x, T* y) {
  PE_DISPATCH(adaptive_avg_pool2d_forward<T>, g, x, y);
}
template <class T>
void adaptive_avg_pool2d_backward(const Pool2dGeom& g, const T* dy, T* dx) {
  PE_DISPATCH(adaptive_avg_pool2d_backward<T>, g, dy, dx);
}

PE_POOL_INSTANTIATE(float)
PE_POOL_INSTANTIATE(double)

}  // namespace pyengine
