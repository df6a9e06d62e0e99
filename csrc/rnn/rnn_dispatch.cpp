// Entry points of rnn.h: forward to the translation unit of the active ISA.
#include "common/isa_dispatch.h"
#include "rnn/rnn.h"

namespace pyengine {

#define PE_DECLARE_ISA(ns)                                                                   \
  namespace ns {                                                                             \
  template <class T> void rnn_forward(const RnnArgs<T>&, T*, T*, T*, T*, T*);                \
  template <class T> void rnn_backward(const RnnArgs<T>&, const T*, const T*, const T*,      \
                                       const T*, const T*, const T*, T*, T*, T*, T*, T*, T*, \
                                       T*);                                                  \
  }
PE_DECLARE_ISA(generic)
PE_DECLARE_ISA(avx2)
PE_DECLARE_ISA(avx512)
#undef PE_DECLARE_ISA

template <class T>
void rnn_forward(const RnnArgs<T>& a, T* y, T* h_n, T* c_n, T* gates, T* extra) {
  PE_DISPATCH(rnn_forward<T>, a, y, h_n, c_n, gates, extra);
}
template <class T>
void rnn_backward(const RnnArgs<T>& a, const T* y, const T* gates, const T* extra, const T* dy,
                  const T* dh_n, const T* dc_n, T* dx, T* dw_ih, T* dw_hh, T* db_ih, T* db_hh,
                  T* dh0, T* dc0) {
  PE_DISPATCH(rnn_backward<T>, a, y, gates, extra, dy, dh_n, dc_n, dx, dw_ih, dw_hh, db_ih,
              db_hh, dh0, dc0);
}

PE_RNN_INSTANTIATE(float)
PE_RNN_INSTANTIATE(double)

}  // namespace pyengine
