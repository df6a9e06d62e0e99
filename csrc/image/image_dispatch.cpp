// Entry points of image.h: forward to the translation unit of the active ISA.
#include "common/isa_dispatch.h"
#include "image/image.h"

namespace pyengine {

#define PE_DECLARE_ISA(ns)                                                                 \
  namespace ns {                                                                           \
  template <class T> void resize_forward(const ResizeGeom&, const T*, T*);                 \
  template <class T> void resize_backward(const ResizeGeom&, const T*, T*);                \
  template <class T> void warp_forward(const WarpGeom&, const T*, const float*, T*);       \
  template <class T> void warp_backward(const WarpGeom&, const T*, const float*, T*);      \
  }
PE_DECLARE_ISA(generic)
PE_DECLARE_ISA(avx2)
PE_DECLARE_ISA(avx512)
#undef PE_DECLARE_ISA

template <class T>
void resize_forward(const ResizeGeom& g, const T* x, T* y) {
  PE_DISPATCH(resize_forward<T>, g, x, y);
}
template <class T>
void resize_backward(const ResizeGeom& g, const T* dy, T* dx) {
  PE_DISPATCH(resize_backward<T>, g, dy, dx);
}
template <class T>
void warp_forward(const WarpGeom& g, const T* x, const float* t, T* y) {
  PE_DISPATCH(warp_forward<T>, g, x, t, y);
}
template <class T>
void warp_backward(const WarpGeom& g, const T* dy, const float* t, T* dx) {
  PE_DISPATCH(warp_backward<T>, g, dy, t, dx);
}

PE_IMAGE_INSTANTIATE(float)
PE_IMAGE_INSTANTIATE(double)

}  // namespace pyengine
