// Validation of NumPy arrays handed to kernels. Every binding goes through these before it
// touches memory: dtype, C-contiguity, writeability and shape are checked and a ValueError/TypeError
// naming the op is raised. The Python backend makes inputs contiguous before calling; a kernel
// never copies silently.
#pragma once
#include <pybind11/numpy.h>
#include <pybind11/pybind11.h>

#include <cstdint>
#include <string>
#include <type_traits>
#include <vector>

#include "common/check.h"

namespace pyengine {
namespace py = pybind11;

inline std::vector<long long> shape_of(const py::array& a) {
  return std::vector<long long>(a.shape(), a.shape() + a.ndim());
}

template <class T>
const char* dtype_name() {
  if constexpr (std::is_same_v<T, float>) return "float32";
  else if constexpr (std::is_same_v<T, double>) return "float64";
  else if constexpr (std::is_same_v<T, int64_t>) return "int64";
  else if constexpr (std::is_same_v<T, int32_t>) return "int32";
  else return "of another type";
}

// An argument typed py::object (optional arrays) as an array: a TypeError naming the op when it
// is anything else. Never reinterpret_borrow an unchecked object as an array: its dtype() and
// data() would read the wrong object's memory.
inline py::array array_arg(const py::handle& o, const char* op, const char* name) {
  if (!py::isinstance<py::array>(o))
    throw py::type_error(std::string("[") + op + "] " + name + " must be a NumPy array, got " +
                         std::string(py::str(py::type::of(o).attr("__name__"))));
  return py::reinterpret_borrow<py::array>(o);
}

constexpr int kNpyAligned = 0x0100;  // NPY_ARRAY_ALIGNED: data and strides fit the item size

// Equal dtypes, not only the same dtype object: NumPy gives every unpickled array a new dtype
// object (np.dtype(..., copy=True)), so an identity test refused float32 arrays read from a
// pickle ("expected float32, got float32"). Type number, size and byte order decide.
inline bool same_dtype(const py::dtype& a, const py::dtype& b) {
  if (a.is(b)) return true;
  auto order = [](char c) { return c == '|' ? '=' : c; };  // not applicable ~ native
  return a.num() == b.num() && a.itemsize() == b.itemsize() &&
         order(a.byteorder()) == order(b.byteorder());
}

// Checks that `a` holds T in C order (aligned, and writeable if `writeable`), then returns its
// data.
template <class T>
T* array_ptr(const py::array& a, const char* op, const char* name, bool writeable = false) {
  if (!py::isinstance<py::array_t<T>>(a) || !same_dtype(a.dtype(), py::dtype::of<T>()))
    throw py::type_error(std::string("[") + op + "] " + name + " must be " + dtype_name<T>() +
                         ", got " + std::string(py::str(a.dtype())));
  check(a.flags() & py::array::c_style, op, name, " must be C-contiguous");
  check(a.flags() & kNpyAligned, op, name, " is not aligned to its item size");
  if (writeable) check(a.writeable(), op, name, " must be writeable");
  return static_cast<T*>(const_cast<void*>(a.data()));
}

inline void check_same_shape(const py::array& a, const py::array& b, const char* op,
                             const char* na, const char* nb) {
  check(shape_of(a) == shape_of(b), op, na, " and ", nb, " shapes differ: ",
        shape_text(shape_of(a)), " vs ", shape_text(shape_of(b)));
}

// Byte range [lo, hi) that `a`'s elements span (strides may be negative or zero); empty for an
// array without elements.
inline void byte_bounds(const py::array& a, std::uintptr_t& lo, std::uintptr_t& hi) {
  lo = hi = reinterpret_cast<std::uintptr_t>(a.data());
  if (a.size() == 0) return;
  for (py::ssize_t i = 0; i < a.ndim(); ++i) {
    const py::ssize_t ext = (a.shape(i) - 1) * a.strides(i);
    if (ext < 0) lo -= static_cast<std::uintptr_t>(-ext);
    else hi += static_cast<std::uintptr_t>(ext);
  }
  hi += static_cast<std::uintptr_t>(a.itemsize());
}

// Kernels write their output while still reading their inputs (blocked GEMM, im2col, scatter),
// so an output that shares memory with an input gives wrong answers: rejected, by byte range
// (like np.may_share_memory: interleaved views count as overlapping). `in` may be None.
inline void check_no_overlap(const char* op, const py::array& out, const char* out_name,
                             const py::handle& in, const char* in_name) {
  if (in.is_none() || !py::isinstance<py::array>(in)) return;
  std::uintptr_t lo1, hi1, lo2, hi2;
  byte_bounds(out, lo1, hi1);
  byte_bounds(py::reinterpret_borrow<py::array>(in), lo2, hi2);
  check(!(lo1 < hi2 && lo2 < hi1), op, out_name, " overlaps ", in_name,
        " in memory; pass a separate output array");
}

// True when `a` is float64, false when float32; anything else is a TypeError.
inline bool is_double(const py::array& a, const char* op) {
  if (same_dtype(a.dtype(), py::dtype::of<double>())) return true;
  if (same_dtype(a.dtype(), py::dtype::of<float>())) return false;
  throw py::type_error(std::string("[") + op + "] expected float32 or float64, got " +
                       std::string(py::str(a.dtype())));
}

}  // namespace pyengine
