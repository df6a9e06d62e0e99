// Argument checks for kernel entry points. They throw std::invalid_argument, which the bindings
// turn into a Python ValueError; messages start with the op name: "[matmul] ...".
#pragma once
#include <atomic>
#include <cstdint>
#include <new>
#include <sstream>
#include <stdexcept>
#include <string>
#include <utility>
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

// An allocation failure with a message. pybind11 turns std::bad_alloc into MemoryError(what()).
class AllocError : public std::bad_alloc {
 public:
  explicit AllocError(std::string msg) : msg_(std::move(msg)) {}
  const char* what() const noexcept override { return msg_.c_str(); }

 private:
  std::string msg_;
};

// Scratch allocated inside an OpenMP parallel region. An exception must not leave a region (the
// process would terminate), so each thread reports its allocation here (ok(): false when it
// failed, and the thread then skips its share of the work, still reaching every worksharing
// construct), and the caller throws after the region: rethrow() raises MemoryError naming the op.
class RegionAlloc {
 public:
  bool ok(const void* p, int64_t elems, int64_t elem_size) noexcept {
    if (p != nullptr || elems <= 0) return true;
    failed_bytes_.store(elems * elem_size, std::memory_order_relaxed);
    return false;
  }
  void rethrow(const char* op) const {
    const int64_t b = failed_bytes_.load(std::memory_order_relaxed);
    if (b == 0) return;
    std::ostringstream s;
    s << "[" << op << "] cannot allocate " << b << " bytes of per-thread scratch";
    throw AllocError(s.str());
  }

 private:
  std::atomic<int64_t> failed_bytes_{0};
};

// A shape for an error message, "(2, 3)" or "(5,)", formatted only when streamed into one.
// check(cond, op, ..., shape_text(a)) evaluates its parts on every call; a std::string built
// through an ostringstream there cost ~0.5 us per part (the locale's facets), a quarter of a
// small conv2d call, though the message is almost never printed.
struct ShapeText {
  std::vector<long long> dims;
};

inline ShapeText shape_text(std::vector<long long> shape) { return ShapeText{std::move(shape)}; }

inline std::ostream& operator<<(std::ostream& s, const ShapeText& t) {
  s << "(";
  for (size_t i = 0; i < t.dims.size(); ++i) s << (i ? ", " : "") << t.dims[i];
  if (t.dims.size() == 1) s << ",";
  return s << ")";
}

}  // namespace pyengine
