// Validation of NumPy arrays handed to kernels. Every binding goes through these before it
// touches memory: dtype, C-contiguity, writeability and shape are checked and a ValueError/TypeError
// naming the op is raised. The Python backend makes inputs contiguous before calling; a kernel
// never copies silently.
#pragma once
#include <pybind11/numpy.h>
#include <pybind11/pybind11.h>

#include <string>
#include <vector>

#include "common/check.h"

namespace pyengine {
namespace py = pybind11;

inline std::vector<long long> shape_of(const py::array& a) {
  return std::vector<long long>(a.shape(), a.shape() + a.ndim());
}

template <class T>
const char* dtype_name() {
  return sizeof(T) == 4 ? "float32" : "float64";
}

// Checks that `a` holds T in C order (and is writeable if `writeable`), then returns its data.
template <class T>
T* array_ptr(const py::array& a, const char* op, const char* name, bool writeable = false) {
  if (!py::isinstance<py::array_t<T>>(a) || !a.dtype().is(py::dtype::of<T>()))
    throw py::type_error(std::string("[") + op + "] " + name + " must be " + dtype_name<T>() +
                         ", got " + std::string(py::str(a.dtype())));
  check(a.flags() & py::array::c_style, op, name, " must be C-contiguous");
  if (writeable) check(a.writeable(), op, name, " must be writeable");
  return static_cast<T*>(const_cast<void*>(a.data()));
}

inline void check_same_shape(const py::array& a, const py::array& b, const char* op,
                             const char* na, const char* nb) {
  check(shape_of(a) == shape_of(b), op, na, " and ", nb, " shapes differ: ",
        shape_str(shape_of(a)), " vs ", shape_str(shape_of(b)));
}

// True when `a` is float64, false when float32; anything else is a TypeError.
inline bool is_double(const py::array& a, const char* op) {
  if (a.dtype().is(py::dtype::of<double>())) return true;
  if (a.dtype().is(py::dtype::of<float>())) return false;
  throw py::type_error(std::string("[") + op + "] expected float32 or float64, got " +
                       std::string(py::str(a.dtype())));
}

}  // namespace pyengine
