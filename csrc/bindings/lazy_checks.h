// Argument checks whose error message is built only when they fail. `check(cond, op, ...,
// shape_text(shape_of(a)))` evaluates its message arguments (vectors, ostringstreams: ~0.3-0.5 us
// each) on every call, more than a small kernel's whole work; hot bindings use these instead.
#pragma once
#include <pybind11/numpy.h>

#include "bindings/array_args.h"
#include "common/check.h"

namespace pyengine {

inline bool same_shape(const pybind11::array& a, const pybind11::array& b) {
  if (a.ndim() != b.ndim()) return false;
  for (pybind11::ssize_t i = 0; i < a.ndim(); ++i)
    if (a.shape(i) != b.shape(i)) return false;
  return true;
}

}  // namespace pyengine

// check(cond, op, message parts...) with the parts evaluated only when cond is false.
#define PE_CHECK(cond, ...)                 \
  do {                                      \
    if (!(cond)) ::pyengine::fail(__VA_ARGS__); \
  } while (0)

// check_same_shape, formatting its message only when the shapes differ.
#define PE_SAME_SHAPE(a, b, op, na, nb) \
  do {                                  \
    if (!::pyengine::same_shape(a, b)) ::pyengine::check_same_shape(a, b, op, na, nb); \
  } while (0)
