// Binding of GEMM: one entry that serves `@`, pe.matmul, Linear and the backward passes.
// Operands may be any strided NumPy view (transposes, slices, broadcast batch dims with stride 0),
// so no copy is made for `a.T @ b`. matmul_ref runs the reference kernel with the same checks,
// for tests.
#include <pybind11/numpy.h>

#include <string>

#include "bindings/array_args.h"
#include "bindings/bindings.h"
#include "gemm/gemm.h"

namespace pyengine {
namespace py = pybind11;

namespace {

// Messages (shape strings) are built only on failure: an ostringstream per call would cost
// more than the whole product for the small shapes of the seed models.
#define PE_MATMUL_CHECK(cond, ...) \
  do {                             \
    if (!(cond)) fail("matmul", __VA_ARGS__); \
  } while (0)

template <class T>
void elem_strides(const py::array& a, const char* name, int64_t* s) {
  for (py::ssize_t i = 0; i < a.ndim(); ++i) {
    PE_MATMUL_CHECK(a.strides(i) % static_cast<py::ssize_t>(sizeof(T)) == 0, name,
                    " has a stride that is not a multiple of its item size");
    s[i] = a.strides(i) / static_cast<py::ssize_t>(sizeof(T));
  }
}

constexpr int kMaxRank = 32;  // NumPy's limit is 32 (64 in NumPy 2); checked below

template <class T>
void matmul_t(const py::array& a, const py::array& b, const py::array& out, double alpha,
              double beta, bool ref) {
  const char* op = "matmul";
  const int nd = static_cast<int>(a.ndim());
  PE_MATMUL_CHECK(nd >= 2 && b.ndim() == nd && out.ndim() == nd,
                  "expected operands of equal rank >= 2 (batch dims broadcast by the caller), got ",
                  shape_str(shape_of(a)), " @ ", shape_str(shape_of(b)), " -> ",
                  shape_str(shape_of(out)));
  PE_MATMUL_CHECK(nd <= kMaxRank, "rank ", nd, " is above the supported ", kMaxRank);
  const int64_t m = a.shape(nd - 2), k = a.shape(nd - 1), n = b.shape(nd - 1);
  PE_MATMUL_CHECK(b.shape(nd - 2) == k, "inner dimensions differ: ", shape_str(shape_of(a)), " @ ",
                  shape_str(shape_of(b)));
  PE_MATMUL_CHECK(out.shape(nd - 2) == m && out.shape(nd - 1) == n, "out has shape ",
                  shape_str(shape_of(out)), ", expected (..., ", m, ", ", n, ")");
  int64_t batch = 1;
  for (int i = 0; i < nd - 2; ++i) {
    PE_MATMUL_CHECK(a.shape(i) == b.shape(i) && a.shape(i) == out.shape(i),
                    "batch dimensions differ: ", shape_str(shape_of(a)), " @ ",
                    shape_str(shape_of(b)), " -> ", shape_str(shape_of(out)));
    batch = mul_checked(batch, a.shape(i), op, "batch size");  // views may broadcast (stride 0)
  }
  const py::dtype dt = py::dtype::of<T>();
  if (!a.dtype().is(dt) || !b.dtype().is(dt))
    throw py::type_error(std::string("[matmul] operands must both be ") + dtype_name<T>() +
                         " like out, got " + std::string(py::str(a.dtype())) + " and " +
                         std::string(py::str(b.dtype())));
  T* pc = array_ptr<T>(out, op, "out", true);
  check_no_overlap(op, out, "out", a, "a");
  check_no_overlap(op, out, "out", b, "b");
  int64_t sa[kMaxRank], sb[kMaxRank];
  elem_strides<T>(a, "a", sa);
  elem_strides<T>(b, "b", sb);
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
  const int n_outer = nb > 1 ? nb - 1 : 0;
  int64_t shape[kMaxRank], idx[kMaxRank] = {};
  for (int d = 0; d < n_outer; ++d) shape[d] = a.shape(d);
  py::gil_scoped_release nogil;
  for (int64_t t = 0; t < outer; ++t) {
    int64_t off_a = 0, off_b = 0;
    for (int d = 0; d < n_outer; ++d) {
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
    for (int d = n_outer - 1; d >= 0; --d) {  // next outer batch index
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
