// Binding of GEMM: one entry that serves `@`, pe.matmul, Linear and the backward passes.
// Operands may be any strided NumPy view (transposes, slices, broadcast batch dims with stride 0),
// so no copy is made for `a.T @ b`.
#include <pybind11/numpy.h>

#include <vector>

#include "bindings/array_args.h"
#include "bindings/bindings.h"
#include "gemm/gemm.h"

namespace pyengine {
namespace py = pybind11;

namespace {

template <class T>
std::vector<int64_t> elem_strides(const py::array& a, const char* name) {
  std::vector<int64_t> s(a.ndim());
  for (py::ssize_t i = 0; i < a.ndim(); ++i) {
    check(a.strides(i) % static_cast<py::ssize_t>(sizeof(T)) == 0, "matmul", name,
          " has a stride that is not a multiple of its item size");
    s[i] = a.strides(i) / static_cast<py::ssize_t>(sizeof(T));
  }
  return s;
}

template <class T>
void matmul_t(const py::array& a, const py::array& b, const py::array& out, double alpha,
              double beta) {
  const char* op = "matmul";
  const int nd = static_cast<int>(a.ndim());
  check(nd >= 2 && b.ndim() == nd && out.ndim() == nd, op,
        "expected operands of equal rank >= 2 (batch dims broadcast by the caller), got ",
        shape_str(shape_of(a)), " @ ", shape_str(shape_of(b)), " -> ", shape_str(shape_of(out)));
  const int64_t m = a.shape(nd - 2), k = a.shape(nd - 1), n = b.shape(nd - 1);
  check(b.shape(nd - 2) == k, op, "inner dimensions differ: ", shape_str(shape_of(a)), " @ ",
        shape_str(shape_of(b)));
  check(out.shape(nd - 2) == m && out.shape(nd - 1) == n, op, "out has shape ",
        shape_str(shape_of(out)), ", expected (..., ", m, ", ", n, ")");
  int64_t batch = 1;
  for (int i = 0; i < nd - 2; ++i) {
    check(a.shape(i) == b.shape(i) && a.shape(i) == out.shape(i), op, "batch dimensions differ: ",
          shape_str(shape_of(a)), " @ ", shape_str(shape_of(b)));
    batch *= a.shape(i);
  }
  if (!a.dtype().is(py::dtype::of<T>()) || !b.dtype().is(py::dtype::of<T>()))
    throw py::type_error(std::string("[matmul] operands must both be ") + dtype_name<T>() +
                         ", got " + std::string(py::str(a.dtype())) + " and " +
                         std::string(py::str(b.dtype())));
  T* pc = array_ptr<T>(out, op, "out", true);
  const std::vector<int64_t> sa = elem_strides<T>(a, "a"), sb = elem_strides<T>(b, "b");
  const T* pa = static_cast<const T*>(a.data());
  const T* pb = static_cast<const T*>(b.data());
  const std::vector<long long> full = shape_of(a);
  const std::vector<int64_t> shape(full.begin(), full.end() - 2);
  py::gil_scoped_release nogil;
  std::vector<int64_t> idx(shape.size(), 0);
  for (int64_t t = 0; t < batch; ++t) {
    int64_t off_a = 0, off_b = 0;
    for (size_t d = 0; d < shape.size(); ++d) {
      off_a += idx[d] * sa[d];
      off_b += idx[d] * sb[d];
    }
    gemm<T>(m, n, k, static_cast<T>(alpha), pa + off_a, sa[nd - 2], sa[nd - 1], pb + off_b,
            sb[nd - 2], sb[nd - 1], static_cast<T>(beta), pc + t * m * n, n, 1);
    for (int d = static_cast<int>(shape.size()) - 1; d >= 0; --d) {  // next batch index
      if (++idx[d] < shape[d]) break;
      idx[d] = 0;
    }
  }
}

}  // namespace

void init_gemm(py::module_& m) {
  m.def(
      "matmul",
      [](const py::array& a, const py::array& b, const py::array& out, double alpha, double beta) {
        if (is_double(out, "matmul")) matmul_t<double>(a, b, out, alpha, beta);
        else matmul_t<float>(a, b, out, alpha, beta);
      },
      py::arg("a"), py::arg("b"), py::arg("out"), py::arg("alpha") = 1.0, py::arg("beta") = 0.0,
      "out = alpha * a @ b + beta * out over (batch..., M, K) @ (batch..., K, N); a and b may be "
      "strided views (batch strides may be 0); out must be C-contiguous.");
}

}  // namespace pyengine
