// Bindings of the recurrent kernels (csrc/rnn): whole-sequence forward and backward of RNN,
// LSTM and GRU. Every array is checked (dtype, C order, shape, size overflow, outputs
// overlapping inputs) before the kernel runs without the GIL.
#include <pybind11/numpy.h>

#include <cstdint>
#include <limits>
#include <string>
#include <utility>
#include <vector>

#include "bindings/array_args.h"
#include "bindings/bindings.h"
#include "rnn/rnn.h"

namespace pyengine {
namespace py = pybind11;

namespace {

constexpr const char* kOp = "rnn";

const char* mode_name(int mode) {
  static const char* names[] = {"rnn_tanh", "rnn_relu", "lstm", "gru", "gru_reset_before"};
  return names[mode];
}

int64_t checked_mul(std::initializer_list<int64_t> dims) {
  int64_t p = 1;
  for (int64_t d : dims) {
    check(d >= 0 && (d == 0 || p <= std::numeric_limits<int64_t>::max() / 8 / d), kOp,
          "sizes overflow: the sequence workspace would exceed the address space");
    p *= d;
  }
  return p;
}

// One array argument: checked dtype / order / shape; null for None when optional.
template <class T>
struct Args {
  std::vector<std::pair<const char*, const py::array*>> inputs, outputs;

  T* get(const py::object& o, const char* name, std::vector<long long> want, bool output,
         bool optional) {
    if (o.is_none()) {
      check(optional, kOp, name, " is required");
      return nullptr;
    }
    check(py::isinstance<py::array>(o), kOp, name, " must be a NumPy array or None");
    const auto& a = keep_.emplace_back(py::reinterpret_borrow<py::array>(o));
    T* p = array_ptr<T>(a, kOp, name, output);
    check(shape_of(a) == want, kOp, name, " must have shape ", shape_text(want), ", got ",
          shape_text(shape_of(a)));
    (output ? outputs : inputs).emplace_back(name, &a);
    return p;
  }

  // No output may share memory with an input or with another output.
  void check_overlap() const {
    auto range = [](const py::array* a) {
      const char* b = static_cast<const char*>(a->data());
      return std::make_pair(b, b + a->nbytes());
    };
    for (size_t i = 0; i < outputs.size(); ++i) {
      const auto ro = range(outputs[i].second);
      auto clash = [&](const std::pair<const char*, const py::array*>& other) {
        const auto r = range(other.second);
        check(ro.first >= r.second || r.first >= ro.second || ro.first == ro.second, kOp,
              outputs[i].first, " overlaps ", other.first, " in memory");
      };
      for (const auto& in : inputs) clash(in);
      for (size_t j = i + 1; j < outputs.size(); ++j) clash(outputs[j]);
    }
  }

 private:
  std::vector<py::array> keep_;  // stable storage for the pointers in inputs / outputs
 public:
  Args() { keep_.reserve(32); }
};

struct Shapes {
  int mode;
  int64_t T, B, I, H, G;
};

Shapes shapes(int mode, const py::array& x, const py::array& w_hh) {
  check(mode >= kRnnTanh && mode <= kGruResetBefore, kOp, "unknown mode ", mode);
  const char* mn = mode_name(mode);
  check(x.ndim() == 3, kOp, mn, ": input must be (T, B, I), got ", shape_text(shape_of(x)));
  const int64_t T = x.shape(0), B = x.shape(1), I = x.shape(2);
  check(T >= 1, kOp, mn, ": empty sequence (0 time steps), input shape ",
        shape_text(shape_of(x)));
  check(B >= 1, kOp, mn, ": zero batch, input shape ", shape_text(shape_of(x)));
  check(I >= 1, kOp, mn, ": input has no features, shape ", shape_text(shape_of(x)));
  check(w_hh.ndim() == 2 && w_hh.shape(1) >= 1, kOp, mn, ": weight_hh must be (G*H, H), got ",
        shape_text(shape_of(w_hh)));
  const int64_t H = w_hh.shape(1), G = rnn_gate_count(mode) * H;
  checked_mul({T, B, G});
  checked_mul({G, std::max(I, H)});
  return {mode, T, B, I, H, G};
}

template <class T>
RnnArgs<T> common_args(Args<T>& c, const Shapes& s, bool reverse, const py::array& x,
                       const py::array& w_ih, const py::array& w_hh, const py::object& b_ih,
                       const py::object& b_hh, const py::object& h0, const py::object& c0,
                       const py::object& mask) {
  RnnArgs<T> a{};
  a.mode = s.mode, a.steps = s.T, a.batch = s.B, a.in = s.I, a.hid = s.H, a.reverse = reverse;
  if (w_ih.ndim() == 2 && w_ih.shape(0) == s.G && w_ih.shape(1) != s.I)
    fail(kOp, mode_name(s.mode), ": input has ", s.I, " features but weight_ih expects ",
         w_ih.shape(1));
  a.x = c.get(x, "input", {s.T, s.B, s.I}, false, false);
  a.w_ih = c.get(w_ih, "weight_ih", {s.G, s.I}, false, false);
  a.w_hh = c.get(w_hh, "weight_hh", {s.G, s.H}, false, false);
  a.b_ih = c.get(b_ih, "bias_ih", {s.G}, false, true);
  a.b_hh = c.get(b_hh, "bias_hh", {s.G}, false, true);
  a.h0 = c.get(h0, "h0", {s.B, s.H}, false, false);
  a.c0 = c.get(c0, "c0", {s.B, s.H}, false, s.mode != kLstm);
  a.mask = c.get(mask, "mask", {s.T, s.B}, false, true);
  return a;
}

template <class T>
void forward_t(int mode, bool reverse, const py::array& x, const py::array& w_ih,
               const py::array& w_hh, const py::object& b_ih, const py::object& b_hh,
               const py::object& h0, const py::object& c0, const py::object& mask,
               const py::object& y, const py::object& h_n, const py::object& c_n,
               const py::object& gates, const py::object& extra) {
  const Shapes s = shapes(mode, x, w_hh);
  Args<T> c;
  const RnnArgs<T> a = common_args(c, s, reverse, x, w_ih, w_hh, b_ih, b_hh, h0, c0, mask);
  T* py_ = c.get(y, "y", {s.T, s.B, s.H}, true, false);
  T* phn = c.get(h_n, "h_n", {s.B, s.H}, true, true);
  T* pcn = c.get(c_n, "c_n", {s.B, s.H}, true, true);
  T* pg = c.get(gates, "gates", {s.T, s.B, s.G}, true, true);
  T* pe = c.get(extra, "extra", {s.T, s.B, s.H}, true, !rnn_has_extra(mode));
  c.check_overlap();
  py::gil_scoped_release nogil;
  rnn_forward<T>(a, py_, phn, pcn, pg, pe);
}

template <class T>
void backward_t(int mode, bool reverse, const py::array& x, const py::array& w_ih,
                const py::array& w_hh, const py::object& b_ih, const py::object& b_hh,
                const py::object& h0, const py::object& c0, const py::object& mask,
                const py::object& y, const py::object& gates, const py::object& extra,
                const py::object& dy, const py::object& dh_n, const py::object& dc_n,
                const py::object& dx, const py::object& dw_ih, const py::object& dw_hh,
                const py::object& db_ih, const py::object& db_hh, const py::object& dh0,
                const py::object& dc0) {
  const Shapes s = shapes(mode, x, w_hh);
  Args<T> c;
  const RnnArgs<T> a = common_args(c, s, reverse, x, w_ih, w_hh, b_ih, b_hh, h0, c0, mask);
  const T* py_ = c.get(y, "y", {s.T, s.B, s.H}, false, false);
  const T* pg = c.get(gates, "gates", {s.T, s.B, s.G}, false, false);
  const T* pe = c.get(extra, "extra", {s.T, s.B, s.H}, false, !rnn_has_extra(mode));
  const T* pdy = c.get(dy, "dy", {s.T, s.B, s.H}, false, true);
  const T* pdhn = c.get(dh_n, "dh_n", {s.B, s.H}, false, true);
  const T* pdcn = c.get(dc_n, "dc_n", {s.B, s.H}, false, true);
  T* pdx = c.get(dx, "dx", {s.T, s.B, s.I}, true, true);
  T* pdwi = c.get(dw_ih, "dw_ih", {s.G, s.I}, true, true);
  T* pdwh = c.get(dw_hh, "dw_hh", {s.G, s.H}, true, true);
  T* pdbi = c.get(db_ih, "db_ih", {s.G}, true, true);
  T* pdbh = c.get(db_hh, "db_hh", {s.G}, true, true);
  T* pdh0 = c.get(dh0, "dh0", {s.B, s.H}, true, true);
  T* pdc0 = c.get(dc0, "dc0", {s.B, s.H}, true, true);
  c.check_overlap();
  py::gil_scoped_release nogil;
  rnn_backward<T>(a, py_, pg, pe, pdy, pdhn, pdcn, pdx, pdwi, pdwh, pdbi, pdbh, pdh0, pdc0);
}

}  // namespace

void init_rnn(py::module_& m) {
  m.def(
      "rnn_forward",
      [](int mode, bool reverse, const py::array& x, const py::array& w_ih, const py::array& w_hh,
         const py::object& b_ih, const py::object& b_hh, const py::object& h0,
         const py::object& c0, const py::object& mask, const py::object& y,
         const py::object& h_n, const py::object& c_n, const py::object& gates,
         const py::object& extra) {
        if (is_double(x, kOp))
          forward_t<double>(mode, reverse, x, w_ih, w_hh, b_ih, b_hh, h0, c0, mask, y, h_n, c_n,
                            gates, extra);
        else
          forward_t<float>(mode, reverse, x, w_ih, w_hh, b_ih, b_hh, h0, c0, mask, y, h_n, c_n,
                           gates, extra);
      },
      py::arg("mode"), py::arg("reverse"), py::arg("x"), py::arg("w_ih"), py::arg("w_hh"),
      py::arg("b_ih"), py::arg("b_hh"), py::arg("h0"), py::arg("c0"), py::arg("mask"),
      py::arg("y"), py::arg("h_n"), py::arg("c_n"), py::arg("gates"), py::arg("extra"),
      "Whole-sequence recurrence (mode 0 rnn_tanh, 1 rnn_relu, 2 lstm, 3 gru, 4 gru with reset "
      "before the matmul) over x (T, B, I): writes y (T, B, H), h_n / c_n (B, H) and the "
      "workspace gates (T, B, G*H) / extra (T, B, H) that rnn_backward reads (gates None: "
      "no backward follows, the gate activations stay in per-step scratch).");
  m.def(
      "rnn_backward",
      [](int mode, bool reverse, const py::array& x, const py::array& w_ih, const py::array& w_hh,
         const py::object& b_ih, const py::object& b_hh, const py::object& h0,
         const py::object& c0, const py::object& mask, const py::object& y,
         const py::object& gates, const py::object& extra, const py::object& dy,
         const py::object& dh_n, const py::object& dc_n, const py::object& dx,
         const py::object& dw_ih, const py::object& dw_hh, const py::object& db_ih,
         const py::object& db_hh, const py::object& dh0, const py::object& dc0) {
        if (is_double(x, kOp))
          backward_t<double>(mode, reverse, x, w_ih, w_hh, b_ih, b_hh, h0, c0, mask, y, gates,
                             extra, dy, dh_n, dc_n, dx, dw_ih, dw_hh, db_ih, db_hh, dh0, dc0);
        else
          backward_t<float>(mode, reverse, x, w_ih, w_hh, b_ih, b_hh, h0, c0, mask, y, gates,
                            extra, dy, dh_n, dc_n, dx, dw_ih, dw_hh, db_ih, db_hh, dh0, dc0);
      },
      py::arg("mode"), py::arg("reverse"), py::arg("x"), py::arg("w_ih"), py::arg("w_hh"),
      py::arg("b_ih"), py::arg("b_hh"), py::arg("h0"), py::arg("c0"), py::arg("mask"),
      py::arg("y"), py::arg("gates"), py::arg("extra"), py::arg("dy"), py::arg("dh_n"),
      py::arg("dc_n"), py::arg("dx"), py::arg("dw_ih"), py::arg("dw_hh"), py::arg("db_ih"),
      py::arg("db_hh"), py::arg("dh0"), py::arg("dc0"),
      "Backpropagation through time for rnn_forward: gradients from dy (T, B, H) and dh_n / "
      "dc_n (B, H) (None = zero) into each output array that is not None.");
}

}  // namespace pyengine
