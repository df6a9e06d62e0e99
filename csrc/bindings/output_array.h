// New NumPy arrays for kernel outputs: C-contiguous, uninitialised, and from kAlignFromBytes up
// with their data on a 64-byte boundary (output_array.cpp says why).
#pragma once
#include <pybind11/numpy.h>

namespace pyengine {

constexpr Py_ssize_t kAlignFromBytes = Py_ssize_t{64} << 10;  // below: NumPy's block as it is
constexpr Py_ssize_t kOutputAlign = 64;                        // one cache line, one zmm vector

// A new reference, or nullptr with a Python error set (NumPy's: too big, out of memory).
// `descr` is borrowed.
PyObject* new_output_array(PyObject* descr, int nd, const Py_intptr_t* dims);

// The same for pybind11 callers: a float32 or float64 array of `shape`.
pybind11::array new_output_array(bool dbl, const std::vector<pybind11::ssize_t>& shape);

}  // namespace pyengine
