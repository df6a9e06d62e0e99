// Bindings of the activation kernels: act_forward/act_backward/softmax_forward/softmax_backward.
#include <pybind11/numpy.h>

#include <cstdint>
#include <string>
#include <vector>

#include "bindings/array_args.h"
#include "bindings/bindings.h"
#include "bindings/lazy_checks.h"
#include "bindings/output_array.h"
#include "eltwise/activations.h"
#include "eltwise/sum_all.h"

namespace pyengine {
namespace py = pybind11;

namespace {

Act parse_act(const std::string& name) {
  if (name == "relu") return Act::relu;
  if (name == "leaky_relu") return Act::leaky_relu;
  if (name == "elu") return Act::elu;
  if (name == "gelu") return Act::gelu;
  if (name == "sigmoid") return Act::sigmoid;
  if (name == "tanh") return Act::tanh;
  if (name == "softplus") return Act::softplus;
  fail("activation", "unknown activation '", name,
       "'; valid: relu, leaky_relu, elu, gelu, sigmoid, tanh, softplus");
}

template <class T>
void forward_t(Act act, ActParams prm, const py::array& x, const py::array& y) {
  const T* px = array_ptr<T>(x, "activation", "x");
  T* py_ = array_ptr<T>(y, "activation", "out", true);
  PE_SAME_SHAPE(x, y, "activation", "x", "out");
  check_no_overlap("activation", y, "out", x, "x");
  const int64_t n = x.size();
  py::gil_scoped_release nogil;
  act_forward<T>(act, prm, px, py_, n);
}

template <class T>
void backward_t(Act act, ActParams prm, const py::array& x, const py::array& y,
                const py::array& dy, const py::array& dx) {
  const T* px = array_ptr<T>(x, "activation_backward", "x");
  const T* pyv = array_ptr<T>(y, "activation_backward", "y");
  const T* pdy = array_ptr<T>(dy, "activation_backward", "grad");
  T* pdx = array_ptr<T>(dx, "activation_backward", "out", true);
  PE_SAME_SHAPE(x, y, "activation_backward", "x", "y");
  PE_SAME_SHAPE(x, dy, "activation_backward", "x", "grad");
  PE_SAME_SHAPE(x, dx, "activation_backward", "x", "out");
  check_no_overlap("activation_backward", dx, "out", x, "x");
  check_no_overlap("activation_backward", dx, "out", y, "y");
  check_no_overlap("activation_backward", dx, "out", dy, "grad");
  const int64_t n = x.size();
  py::gil_scoped_release nogil;
  act_backward<T>(act, prm, px, pyv, pdy, pdx, n);
}

// A new C-contiguous array of x's shape, float64 or float32 (contents uninitialised).
py::array new_like(const py::array& x, bool dbl) {
  std::vector<py::ssize_t> shape(x.shape(), x.shape() + x.ndim());
  return new_output_array(dbl, shape);
}

// Splits shape around `axis` into (outer, dim, inner).
void split_axis(const py::array& a, int axis, const char* op, int64_t& outer, int64_t& dim,
                int64_t& inner) {
  const int nd = static_cast<int>(a.ndim());
  check(nd >= 1, op, "expected at least 1 dimension, got a scalar");
  check(axis >= -nd && axis < nd, op, "axis ", axis, " out of range for ", nd, "-d input");
  if (axis < 0) axis += nd;
  outer = 1;
  inner = 1;
  for (int i = 0; i < axis; ++i) outer = mul_checked(outer, a.shape(i), op, "size");
  dim = a.shape(axis);
  for (int i = axis + 1; i < nd; ++i) inner = mul_checked(inner, a.shape(i), op, "size");
}

template <class T>
void softmax_t(bool log, const py::array& x, const py::array& y, int axis) {
  const char* op = log ? "log_softmax" : "softmax";
  const T* px = array_ptr<T>(x, op, "x");
  T* py_ = array_ptr<T>(y, op, "out", true);
  PE_SAME_SHAPE(x, y, op, "x", "out");
  check_no_overlap(op, y, "out", x, "x");
  int64_t outer, dim, inner;
  split_axis(x, axis, op, outer, dim, inner);
  py::gil_scoped_release nogil;
  softmax_forward<T>(log, px, py_, outer, dim, inner);
}

template <class T>
void softmax_back_t(bool log, const py::array& y, const py::array& dy, const py::array& dx,
                    int axis) {
  const char* op = log ? "log_softmax_backward" : "softmax_backward";
  const T* py_ = array_ptr<T>(y, op, "y");
  const T* pdy = array_ptr<T>(dy, op, "grad");
  T* pdx = array_ptr<T>(dx, op, "out", true);
  PE_SAME_SHAPE(y, dy, op, "y", "grad");
  PE_SAME_SHAPE(y, dx, op, "y", "out");
  check_no_overlap(op, dx, "out", y, "y");
  check_no_overlap(op, dx, "out", dy, "grad");
  int64_t outer, dim, inner;
  split_axis(y, axis, op, outer, dim, inner);
  py::gil_scoped_release nogil;
  softmax_backward<T>(log, py_, pdy, pdx, outer, dim, inner);
}

// act_fast(x, code): y = act(x) for the activations without parameters (relu, gelu, sigmoid,
// tanh; code = int(Act), see act_codes) on a C-contiguous aligned float32/float64 array, as a
// raw METH_FASTCALL function: on a 10x10 tensor pybind11's dispatch of act_forward (the name
// string, the out/p0/p1 defaults, dtype objects) costs more than the kernel. The same
// act_forward<T> call, so the same bits. None for anything else: the caller then takes
// act_forward, which also words the errors.
constexpr int64_t kReleaseGilElems = int64_t{1} << 14;  // below: ~1 us, the GIL is kept

template <class T>
PyObject* act_fast_run(Act act, PyObject* descr, const py::detail::PyArray_Proxy* x) {
  if (reinterpret_cast<uintptr_t>(x->data) % sizeof(T) != 0) Py_RETURN_NONE;
  int64_t n = 1;
  for (int i = 0; i < x->nd; ++i) n *= x->dimensions[i];  // a valid array's size fits
  PyObject* y = new_output_array(descr, x->nd, x->dimensions);
  if (y == nullptr) return nullptr;
  const T* px = reinterpret_cast<const T*>(x->data);
  T* py_ = reinterpret_cast<T*>(py::detail::array_proxy(y)->data);
  if (n >= kReleaseGilElems) {
    py::gil_scoped_release nogil;
    act_forward<T>(act, ActParams{}, px, py_, n);
  } else {
    act_forward<T>(act, ActParams{}, px, py_, n);
  }
  return y;
}

PyObject* act_fast(PyObject*, PyObject* const* args, Py_ssize_t nargs) {
  if (nargs != 2 || !PyLong_Check(args[1])) {
    PyErr_SetString(PyExc_TypeError, "[activation] act_fast(x, code) takes an array and an int");
    return nullptr;
  }
  const long code = PyLong_AsLong(args[1]);
  if (code != long(Act::relu) && code != long(Act::gelu) && code != long(Act::sigmoid) &&
      code != long(Act::tanh)) {
    if (PyErr_Occurred()) return nullptr;
    PyErr_Format(PyExc_ValueError, "[activation] act_fast code %ld is not an activation "
                 "without parameters (see act_codes)", code);
    return nullptr;
  }
  auto& api = py::detail::npy_api::get();
  if (!api.PyArray_Check_(args[0])) Py_RETURN_NONE;
  const auto* x = py::detail::array_proxy(args[0]);
  if (!(x->flags & py::detail::npy_api::NPY_ARRAY_C_CONTIGUOUS_)) Py_RETURN_NONE;
  static PyObject* const f32 = api.PyArray_DescrFromType_(py::detail::npy_api::NPY_FLOAT_);
  static PyObject* const f64 = api.PyArray_DescrFromType_(py::detail::npy_api::NPY_DOUBLE_);
  const Act act = static_cast<Act>(code);
  if (x->descr == f32) return act_fast_run<float>(act, f32, x);
  if (x->descr == f64) return act_fast_run<double>(act, f64, x);
  Py_RETURN_NONE;
}

PyMethodDef kActFastDef = {
    "act_fast", reinterpret_cast<PyCFunction>(reinterpret_cast<void (*)()>(&act_fast)),
    METH_FASTCALL,
    "act_fast(x, code): a new act(x) for code in act_codes (relu, gelu, sigmoid, tanh) and a "
    "C-contiguous float32/float64 x, or None when x needs act_forward (other dtypes, layouts). "
    "The same kernel and bits as act_forward."};

}  // namespace

void init_activations(py::module_& m) {
  m.add_object("act_fast", py::reinterpret_steal<py::object>(
                               PyCFunction_NewEx(&kActFastDef, nullptr, nullptr)));
  py::dict codes;
  for (Act a : {Act::relu, Act::gelu, Act::sigmoid, Act::tanh})
    codes[a == Act::relu ? "relu" : a == Act::gelu ? "gelu" : a == Act::sigmoid ? "sigmoid"
                                                                                  : "tanh"] =
        static_cast<int>(a);
  m.attr("act_codes") = codes;
  // out=None: the binding allocates the output (shape of x) and returns it, which saves the
  // caller's np.empty (~0.2 us, as much as the whole call on a 10x10 tensor).
  m.def(
      "act_forward",
      [](const std::string& name, const py::array& x, const py::object& out, double p0,
         double p1) {
        const Act act = parse_act(name);
        ActParams prm{p0, p1};
        const bool dbl = is_double(x, "activation");
        const py::array y = out.is_none() ? new_like(x, dbl) : array_arg(out, "activation", "out");
        if (dbl) forward_t<double>(act, prm, x, y);
        else forward_t<float>(act, prm, x, y);
        return y;
      },
      py::arg("name"), py::arg("x"), py::arg("out") = py::none(), py::arg("p0") = 0.0,
      py::arg("p1") = 0.0,
      "out = act(x) for a named activation; p0/p1 are its parameters (slope, alpha, beta...). "
      "out=None allocates it. Returns out.");
  m.def(
      "act_backward",
      [](const std::string& name, const py::array& x, const py::array& y, const py::array& dy,
         const py::object& out, double p0, double p1) {
        const Act act = parse_act(name);
        ActParams prm{p0, p1};
        const bool dbl = is_double(x, "activation_backward");
        const py::array dx =
            out.is_none() ? new_like(x, dbl) : array_arg(out, "activation_backward", "out");
        if (dbl) backward_t<double>(act, prm, x, y, dy, dx);
        else backward_t<float>(act, prm, x, y, dy, dx);
        return dx;
      },
      py::arg("name"), py::arg("x"), py::arg("y"), py::arg("grad"), py::arg("out") = py::none(),
      py::arg("p0") = 0.0, py::arg("p1") = 0.0,
      "grad_x of act_forward; out=None allocates it. Returns out.");
  m.def(
      "sum_all",
      [](const py::array& x) {
        const float* px = array_ptr<float>(x, "sum", "x");
        const int64_t n = x.size();
        py::array_t<float> out{std::vector<py::ssize_t>{}};
        float s;
        if (n < (1 << 16)) {  // < ~10 us of work: releasing and retaking the GIL costs more
          s = sum_all_f32(px, n);
        } else {
          py::gil_scoped_release nogil;
          s = sum_all_f32(px, n);
        }
        *out.mutable_data() = s;
        return out;
      },
      py::arg("x"),
      "Sum of every element of a C-contiguous float32 array as a 0-d float32 array, accumulated "
      "in double (eight lanes, fixed order: the same bits on every ISA and thread count).");
  m.def(
      "softmax",
      [](const py::array& x, const py::array& out, int axis, bool log) {
        if (is_double(x, "softmax")) softmax_t<double>(log, x, out, axis);
        else softmax_t<float>(log, x, out, axis);
      },
      py::arg("x"), py::arg("out"), py::arg("axis"), py::arg("log") = false);
  m.def(
      "softmax_backward",
      [](const py::array& y, const py::array& dy, const py::array& dx, int axis, bool log) {
        if (is_double(y, "softmax_backward")) softmax_back_t<double>(log, y, dy, dx, axis);
        else softmax_back_t<float>(log, y, dy, dx, axis);
      },
      py::arg("y"), py::arg("grad"), py::arg("out"), py::arg("axis"), py::arg("log") = false);
}

}  // namespace pyengine
