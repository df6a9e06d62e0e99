// Binding of GEMM: one entry that serves `@`, pe.matmul, Linear and the backward passes.
// Operands may be any strided NumPy view (transposes, slices, broadcast batch dims with stride 0),
// so no copy is made for `a.T @ b`. matmul_ref runs the reference kernel with the same checks,
// for tests.
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
              double beta, bool ref) {
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
          shape_str(shape_of(a)), " @ ", shape_str(shape_of(b)), " -> ",
          shape_str(shape_of(out)));
    batch *= a.shape(i);
  }
  if (!a.dtype().is(py::dtype::of<T>()) || !b.dtype().is(py::dtype::of<T>()))
    throw py::type_error(std::string("[matmul] operands must both be ") + dtype_name<T>() +
                         " like out, got " + std::string(py::str(a.dtype())) + " and " +
                         std::string(py::str(b.dtype())));
  T* pc = array_ptr<T>(out, op, "out", true);
  const std::vector<int64_t> sa = elem_strides<T>(a, "a"), sb = elem_strides<T>(b, "b");
  const T* pa = static_cast<const T*>(a.data());
  const T* pb = static_cast<const T*>(b.data());
  const T al = static_cast<T>(alpha), be = static_cast<T>(beta);
  if (batch == 0) return;
  // The innermost batch dim goes to gemm_batched in one call (it threads over small items); any
  // outer batch dims are walked here.
  const int nb = nd - 2;
  const int64_t inner = nb > 0 ? a.shape(nb - 1) : 1;
  const int64_t sa_in = nb > 0 ? sa[nb - 1] : 0, sb_in = nb > 0 ? sb[nb - 1] : 0;
  const int64_t outer = batch / (inner > 0 ? inner : 1);
  std::vector<int64_t> shape(nb > 1 ? nb - 1 : 0);
  for (size_t d = 0; d < shape.size(); ++d) shape[d] = a.shape(d);
  py::gil_scoped_release nogil;
  std::vector<int64_t> idx(shape.size(), 0);
  for (int64_t t = 0; t < outer; ++t) {
    int64_t off_a = 0, off_b = 0;
    for (size_t d = 0; d < shape.size(); ++d) {
      off_a += idx[d] * sa[d];
      off_b += idx[d] * sb[d];
    }
    T* c0 = pc + t * inner * m * n;
    if (ref) {
      for (int64_t i = 0; i < inner; ++i)
        gemm_ref<T>(m, n, k, al, pa + off_a + i * sa_in, sa[nd - 2], sa[nd - 1],
                    pb + off_b + i * sb_in, sb[nd - 2], sb[nd - 1], be, c0 + i * m * n, n, 1);
    } else if (inner == 1) {
      gemm<T>(m, n, k, al, pa + off_a, sa[nd - 2], sa[nd - 1], pb + off_b, sb[nd - 2],
              sb[nd - 1], be, c0, n, 1);
    } else {
      gemm_batched<T>(inner, m, n, k, al, pa + off_a, sa_in, sa[nd - 2], sa[nd - 1], pb + off_b,
                      sb_in, sb[nd - 2], sb[nd - 1], be, c0, m * n, n, 1);
    }
    for (int d = static_cast<int>(shape.size()) - 1; d >= 0; --d) {  // next outer batch index
      if (++idx[d] < shape[d]) break;
      idx[d] = 0;
    }
  }
}

template <bool Ref>
void matmul_entry(const py::array& a, const py::array& b, const py::array& out, double alpha,
                  double beta) {
  if (is_double(out, "matmul")) matmul_t<double>(a, b, out, alpha, beta, Ref);
  else matmul_t<float>(a, b, out, alpha, beta, Ref);
}

}  // namespace

void init_gemm(py::module_& m) {
  m.def("matmul", &matmul_entry<false>, py::arg("a"), py::arg("b"), py::arg("out"),
        py::arg("alpha") = 1.0, py::arg("beta") = 0.0,
        "out = alpha * a @ b + beta * out over (batch..., M, K) @ (batch..., K, N); a and b may be "
        "strided views (batch strides may be 0); out must be C-contiguous. Bitwise identical "
        "for any thread count.");
  m.def("matmul_ref", &matmul_entry<true>, py::arg("a"), py::arg("b"), py::arg("out"),
        py::arg("alpha") = 1.0, py::arg("beta") = 0.0,
        "matmul through the plain reference kernel (the test oracle); same arguments and checks.");
}

}  // namespace pyengine
