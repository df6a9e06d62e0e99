// Argument checks for kernel entry points. They throw std::invalid_argument, which the bindings
// turn into a Python ValueError; messages start with the op name: "[matmul] ...".
#pragma once
#include <cstdint>
#include <sstream>
#include <stdexcept>
#include <string>
#include <vector>

namespace pyengine {

template <class... Parts>
[[noreturn]] void fail(const char* op, const Parts&... parts) {
  std::ostringstream s;
  s << "[" << op << "] ";
  (s << ... << parts);
  throw std::invalid_argument(s.str());
}

template <class... Parts>
inline void check(bool ok, const char* op, const Parts&... parts) {
  if (!ok) fail(op, parts...);
}

// Size arithmetic on caller-supplied numbers (shapes, strides, padding) goes through these before
// any allocation or indexing: a wrapped int64 would turn into a tiny buffer or a negative index.
inline int64_t mul_checked(int64_t a, int64_t b, const char* op, const char* what) {
  int64_t r;
  if (__builtin_mul_overflow(a, b, &r)) fail(op, what, " overflows int64: ", a, " * ", b);
  return r;
}

inline int64_t add_checked(int64_t a, int64_t b, const char* op, const char* what) {
  int64_t r;
  if (__builtin_add_overflow(a, b, &r)) fail(op, what, " overflows int64: ", a, " + ", b);
  return r;
}

// Product of non-negative sizes, checked: numel_checked(op, "workspace", n, c, h, w).
template <class... Sizes>
int64_t numel_checked(const char* op, const char* what, Sizes... sizes) {
  int64_t r = 1;
  ((r = mul_checked(r, static_cast<int64_t>(sizes), op, what)), ...);
  return r;
}

inline std::string shape_str(const std::vector<long long>& shape) {
  std::ostringstream s;
  s << "(";
  for (size_t i = 0; i < shape.size(); ++i) s << (i ? ", " : "") << shape[i];
  if (shape.size() == 1) s << ",";
  s << ")";
  return s.str();
}

}  // namespace pyengine
