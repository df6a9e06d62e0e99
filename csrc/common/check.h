// Argument checks for kernel entry points. They throw std::invalid_argument, which the bindings
// turn into a Python ValueError; messages start with the op name: "[matmul] ...".
#pragma once
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

inline std::string shape_str(const std::vector<long long>& shape) {
  std::ostringstream s;
  s << "(";
  for (size_t i = 0; i < shape.size(); ++i) s << (i ? ", " : "") << shape[i];
  if (shape.size() == 1) s << ",";
  s << ")";
  return s.str();
}

}  // namespace pyengine
