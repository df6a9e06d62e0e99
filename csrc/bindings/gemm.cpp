// Binding of GEMM: one entry that serves `@`, pe.matmul, Linear and the backward passes.
// Operands may be any strided NumPy view (transposes, slices, broadcast batch dims with stride 0),
// so no copy is made for `a.T @ b`. matmul_ref runs the reference kernel with the same checks,
// for tests.
#include <pybind11/numpy.h>

#include <cstdint>
#include <initializer_list>
#include <new>
#include <string>
#include <vector>

#include "bindings/array_args.h"
#include "bindings/bindings.h"
#include "bindings/output_array.h"
#include "gemm/blocking.h"
#include "gemm/gemm.h"
#include "gemm/linear.h"

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
                  shape_text(shape_of(a)), " @ ", shape_text(shape_of(b)), " -> ",
                  shape_text(shape_of(out)));
  PE_MATMUL_CHECK(nd <= kMaxRank, "rank ", nd, " is above the supported ", kMaxRank);
  const int64_t m = a.shape(nd - 2), k = a.shape(nd - 1), n = b.shape(nd - 1);
  PE_MATMUL_CHECK(b.shape(nd - 2) == k, "inner dimensions differ: ", shape_text(shape_of(a)), " @ ",
                  shape_text(shape_of(b)));
  PE_MATMUL_CHECK(out.shape(nd - 2) == m && out.shape(nd - 1) == n, "out has shape ",
                  shape_text(shape_of(out)), ", expected (..., ", m, ", ", n, ")");
  int64_t batch = 1;
  for (int i = 0; i < nd - 2; ++i) {
    PE_MATMUL_CHECK(a.shape(i) == b.shape(i) && a.shape(i) == out.shape(i),
                    "batch dimensions differ: ", shape_text(shape_of(a)), " @ ",
                    shape_text(shape_of(b)), " -> ", shape_text(shape_of(out)));
    batch = mul_checked(batch, a.shape(i), op, "batch size");  // views may broadcast (stride 0)
  }
  const py::dtype dt = py::dtype::of<T>();
  if (!same_dtype(a.dtype(), dt) || !same_dtype(b.dtype(), dt))
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

// out=None: a new C-contiguous (batch..., M, N) array of a's dtype is allocated and returned
// (beta must then be 0: there is nothing to scale). Allocating here instead of np.empty in the
// caller saves ~0.2 us, a fifth of a seed-model product.
template <bool Ref>
py::array matmul_entry(const py::array& a, const py::array& b, const py::object& out_obj,
                       double alpha, double beta) {
  py::array out;
  if (out_obj.is_none()) {
    PE_MATMUL_CHECK(beta == 0.0, "beta must be 0 when out is None (nothing to scale)");
    const py::ssize_t nd = a.ndim();
    PE_MATMUL_CHECK(nd >= 2 && b.ndim() == nd,
                    "expected operands of equal rank >= 2 (batch dims broadcast by the caller), "
                    "got ", shape_text(shape_of(a)), " @ ", shape_text(shape_of(b)));
    std::vector<py::ssize_t> shape(a.shape(), a.shape() + nd);
    shape[nd - 1] = b.shape(nd - 1);
    out = new_output_array(is_double(a, "matmul"), shape);
  } else {
    out = array_arg(out_obj, "matmul", "out");
  }
  if (is_double(out, "matmul")) matmul_t<double>(a, b, out, alpha, beta, Ref);
  else matmul_t<float>(a, b, out, alpha, beta, Ref);
  return out;
}

// ---- matmul2d: the 2-D fast entry ---------------------------------------------------------
// a @ b for two 2-D arrays of one native float dtype, as a raw METH_FASTCALL function: the seed
// models' products (10x11 @ 11x6: ~0.3 us of FMAs) cost less than pybind11's argument
// dispatch, dtype objects and out/alpha/beta defaults of `matmul`. Same gemm<T> call as
// matmul_t for rank 2, so the same bits. Returns None (the caller then takes the general path,
// which also words the errors) for anything else: other ranks or dtypes, non-native byte
// order, an inner dimension that differs, strides or data not aligned to the item size.

constexpr int64_t kReleaseGilFlops = int64_t{1} << 16;  // below: a few us, the GIL is kept

template <class T>
PyObject* matmul2d_run(PyObject* descr, const py::detail::PyArray_Proxy* a,
                       const py::detail::PyArray_Proxy* b) {
  const int64_t m = a->dimensions[0], k = a->dimensions[1], n = b->dimensions[1];
  const int64_t it = static_cast<int64_t>(sizeof(T));
  const int64_t s[4] = {a->strides[0], a->strides[1], b->strides[0], b->strides[1]};
  for (int64_t x : s)
    if (x % it != 0) Py_RETURN_NONE;
  if (reinterpret_cast<uintptr_t>(a->data) % sizeof(T) != 0 ||
      reinterpret_cast<uintptr_t>(b->data) % sizeof(T) != 0)
    Py_RETURN_NONE;
  const Py_intptr_t dims[2] = {static_cast<Py_intptr_t>(m), static_cast<Py_intptr_t>(n)};
  PyObject* out = new_output_array(descr, 2, dims);
  if (out == nullptr) return nullptr;
  T* c = reinterpret_cast<T*>(py::detail::array_proxy(out)->data);
  const T* pa = reinterpret_cast<const T*>(a->data);
  const T* pb = reinterpret_cast<const T*>(b->data);
  try {
    int64_t work = 0;
    const bool release = !__builtin_mul_overflow(2 * m, n, &work) &&
                                 !__builtin_mul_overflow(work, k, &work)
                             ? work >= kReleaseGilFlops
                             : true;
    if (release) {
      py::gil_scoped_release nogil;
      gemm<T>(m, n, k, T(1), pa, s[0] / it, s[1] / it, pb, s[2] / it, s[3] / it, T(0), c, n, 1);
    } else {
      gemm<T>(m, n, k, T(1), pa, s[0] / it, s[1] / it, pb, s[2] / it, s[3] / it, T(0), c, n, 1);
    }
  } catch (const std::bad_alloc&) {
    Py_DECREF(out);
    PyErr_SetString(PyExc_MemoryError, "[matmul] out of memory for the packing buffers");
    return nullptr;
  }
  return out;
}

PyObject* matmul2d(PyObject*, PyObject* const* args, Py_ssize_t nargs) {
  if (nargs != 2) {
    PyErr_SetString(PyExc_TypeError, "[matmul] matmul2d(a, b) takes two arrays");
    return nullptr;
  }
  auto& api = py::detail::npy_api::get();
  if (!api.PyArray_Check_(args[0]) || !api.PyArray_Check_(args[1])) Py_RETURN_NONE;
  const auto* a = py::detail::array_proxy(args[0]);
  const auto* b = py::detail::array_proxy(args[1]);
  if (a->nd != 2 || b->nd != 2 || a->descr != b->descr || a->dimensions[1] != b->dimensions[0])
    Py_RETURN_NONE;
  // The canonical descriptors (what np.dtype(np.float32) is): native byte order, no metadata.
  static PyObject* const f32 = api.PyArray_DescrFromType_(py::detail::npy_api::NPY_FLOAT_);
  static PyObject* const f64 = api.PyArray_DescrFromType_(py::detail::npy_api::NPY_DOUBLE_);
  if (a->descr == f32) return matmul2d_run<float>(f32, a, b);
  if (a->descr == f64) return matmul2d_run<double>(f64, a, b);
  Py_RETURN_NONE;
}

PyMethodDef kMatmul2dDef = {
    "matmul2d", reinterpret_cast<PyCFunction>(reinterpret_cast<void (*)()>(&matmul2d)),
    METH_FASTCALL,
    "matmul2d(a, b): a new C-contiguous a @ b for 2-D arrays of one dtype, float32 or float64 "
    "(any strides), or None when the operands need the general path (other ranks or dtypes, "
    "inner dimensions that differ, unaligned data). The same GEMM and bits as matmul."};

// ---- fused dense layer (gemm/linear.h) ------------------------------------------------------

LinearAct parse_linear_act(const std::string& name) {
  if (name == "none") return LinearAct::none;
  if (name == "relu") return LinearAct::relu;
  if (name == "sigmoid") return LinearAct::sigmoid;
  if (name == "tanh") return LinearAct::tanh;
  fail("linear", "unsupported fused activation '", name, "'; valid: none, relu, sigmoid, tanh");
}

// Byte range [lo, hi) an array's elements span (strides may be negative or zero).
void byte_span(const py::array& a, const char*& lo, const char*& hi) {
  lo = hi = static_cast<const char*>(a.data());
  if (a.size() == 0) return;
  for (py::ssize_t i = 0; i < a.ndim(); ++i) {
    const py::ssize_t ext = (a.shape(i) - 1) * a.strides(i);
    (ext < 0 ? lo : hi) += ext;
  }
  hi += a.itemsize();
}

void check_disjoint(const py::array& out, const char* name,
                    std::initializer_list<const py::array*> ins) {
  const char *olo, *ohi;
  byte_span(out, olo, ohi);
  for (const py::array* in : ins) {
    if (in == nullptr || in->size() == 0 || out.size() == 0) continue;
    const char *lo, *hi;
    byte_span(*in, lo, hi);
    check(ohi <= lo || hi <= olo, "linear", name, " overlaps an input");
  }
}

// x and w: 2-D, any element strides; the rest C-contiguous. Returns element strides of x, w.
template <class T>
void linear_args(const py::array& x, const py::array& w, int64_t* sx, int64_t* sw) {
  if (x.ndim() != 2 || w.ndim() != 2)
    fail("linear", "expected 2-D x and weight, got ", shape_text(shape_of(x)), " and ",
         shape_text(shape_of(w)));
  if (x.shape(1) != w.shape(1))
    fail("linear", "x has ", x.shape(1), " features but weight ", shape_text(shape_of(w)),
         " expects ", w.shape(1));
  const py::dtype dt = py::dtype::of<T>();
  if (!same_dtype(x.dtype(), dt) || !same_dtype(w.dtype(), dt))
    throw py::type_error(std::string("[linear] x and weight must both be ") + dtype_name<T>() +
                         ", got " + std::string(py::str(x.dtype())) + " and " +
                         std::string(py::str(w.dtype())));
  elem_strides<T>(x, "x", sx);
  elem_strides<T>(w, "weight", sw);
}

// The message is built only on failure (an ostringstream per call would cost more than a
// small layer's whole product).
void check_shape(const py::array& arr, const char* name, const std::vector<py::ssize_t>& shape) {
  bool ok = arr.ndim() == static_cast<py::ssize_t>(shape.size());
  for (size_t i = 0; ok && i < shape.size(); ++i) ok = arr.shape(i) == shape[i];
  if (!ok)
    fail("linear", name, " has shape ", shape_text(shape_of(arr)), ", expected ",
         shape_text(std::vector<long long>(shape.begin(), shape.end())));
}

template <class T>
const T* opt_in(const py::object& a, const char* name, const std::vector<py::ssize_t>& shape) {
  if (a.is_none()) return nullptr;
  const py::array arr = a.cast<py::array>();
  check_shape(arr, name, shape);
  return array_ptr<T>(arr, "linear", name);
}

template <class T>
T* opt_out(const py::object& a, const char* name, const std::vector<py::ssize_t>& shape,
           std::initializer_list<const py::array*> ins) {
  if (a.is_none()) return nullptr;
  const py::array arr = a.cast<py::array>();
  check_shape(arr, name, shape);
  T* p = array_ptr<T>(arr, "linear", name, true);
  check_disjoint(arr, name, ins);
  return p;
}

template <class T>
void linear_forward_t(const py::array& x, const py::array& w, const py::object& b,
                      const py::array& out, LinearAct act) {
  int64_t sx[2], sw[2];
  linear_args<T>(x, w, sx, sw);
  const int64_t n = x.shape(0), k = x.shape(1), o = w.shape(0);
  const T* pb = opt_in<T>(b, "bias", {static_cast<py::ssize_t>(o)});
  py::array barr = b.is_none() ? py::array() : b.cast<py::array>();
  T* py_ = opt_out<T>(out, "out", {static_cast<py::ssize_t>(n), static_cast<py::ssize_t>(o)},
                      {&x, &w, b.is_none() ? nullptr : &barr});
  const T* px = static_cast<const T*>(x.data());
  const T* pw = static_cast<const T*>(w.data());
  py::gil_scoped_release nogil;
  linear_forward<T>(n, k, o, px, sx[0], sx[1], pw, sw[0], sw[1], pb, act, py_);
}

// A 2-D array that is the transpose of a C-contiguous one (and not C-contiguous itself).
bool is_kmajor(const py::array& a) {
  return a.ndim() == 2 && !(a.flags() & py::array::c_style) && (a.flags() & py::array::f_style);
}

template <class T>
void linear_backward_t(const py::array& x, const py::array& w, const py::object& y,
                       const py::array& g, const py::object& gx, const py::object& gw,
                       const py::object& gb, LinearAct act) {
  int64_t sx[2], sw[2];
  linear_args<T>(x, w, sx, sw);
  const py::ssize_t n = x.shape(0), k = x.shape(1), o = w.shape(0);
  const T* pg = opt_in<T>(g, "grad", {n, o});
  const T* pyv = act == LinearAct::none ? nullptr : opt_in<T>(y, "y", {n, o});
  check(act == LinearAct::none || pyv != nullptr, "linear", "the activation's backward needs y");
  py::array yarr = y.is_none() ? py::array() : y.cast<py::array>();
  const py::array* ins_y = y.is_none() ? nullptr : &yarr;
  T* pgx = opt_out<T>(gx, "grad_x", {n, k}, {&x, &w, &g, ins_y});
  // grad_weight may also be the transpose of a C-contiguous (k, o) array (see kmajor_grad)
  const bool gw_kmajor = !gw.is_none() && is_kmajor(gw.cast<py::array>());
  T* pgw = gw_kmajor ? opt_out<T>(gw.attr("T"), "grad_weight", {k, o}, {&x, &w, &g, ins_y})
                     : opt_out<T>(gw, "grad_weight", {o, k}, {&x, &w, &g, ins_y});
  T* pgb = opt_out<T>(gb, "grad_bias", {o}, {&x, &w, &g, ins_y});
  {  // the outputs must not overlap each other either
    py::array ax = gx.is_none() ? py::array() : gx.cast<py::array>();
    py::array aw = gw.is_none() ? py::array() : gw.cast<py::array>();
    py::array ab = gb.is_none() ? py::array() : gb.cast<py::array>();
    if (pgw != nullptr) check_disjoint(aw, "grad_weight", {pgx ? &ax : nullptr});
    if (pgb != nullptr) check_disjoint(ab, "grad_bias", {pgx ? &ax : nullptr, pgw ? &aw : nullptr});
  }
  const T* px = static_cast<const T*>(x.data());
  const T* pw = static_cast<const T*>(w.data());
  py::gil_scoped_release nogil;
  std::vector<T> gz(act == LinearAct::none ? 0 : static_cast<size_t>(n) * static_cast<size_t>(o));
  linear_backward<T>(n, k, o, px, sx[0], sx[1], pw, sw[0], sw[1], pyv, pg, act,
                     gz.empty() ? nullptr : gz.data(), pgx, pgw, pgb, gw_kmajor);
}

// out=None: allocated here ((N, O) of x's dtype) and returned, as for matmul.
py::array linear_forward_entry(const py::array& x, const py::array& w, const py::object& b,
                               const py::object& out_obj, const std::string& act) {
  const LinearAct a = parse_linear_act(act);
  py::array out;
  if (out_obj.is_none()) {
    if (x.ndim() != 2 || w.ndim() != 2)
      fail("linear", "expected 2-D x and weight, got ", shape_text(shape_of(x)), " and ",
           shape_text(shape_of(w)));
    const std::vector<py::ssize_t> shape{x.shape(0), w.shape(0)};
    out = new_output_array(is_double(x, "linear"), shape);
  } else {
    out = array_arg(out_obj, "linear", "out");
  }
  if (is_double(out, "linear")) linear_forward_t<double>(x, w, b, out, a);
  else linear_forward_t<float>(x, w, b, out, a);
  return out;
}

// An output argument: None or False (not wanted), True (allocated here with `shape`: cheaper
// than np.empty in the caller), or an array to write into.
py::object output_arg(const py::object& o, bool dbl, std::vector<py::ssize_t> shape) {
  if (py::isinstance<py::bool_>(o)) {
    if (!o.cast<bool>()) return py::none();
    return new_output_array(dbl, shape);
  }
  return o;
}

py::tuple linear_backward_entry(const py::array& x, const py::array& w, const py::object& y,
                                const py::array& g, const py::object& gx_in,
                                const py::object& gw_in, const py::object& gb_in,
                                const std::string& act) {
  const LinearAct a = parse_linear_act(act);
  const bool dbl = is_double(g, "linear");
  if (x.ndim() != 2 || w.ndim() != 2)
    fail("linear", "expected 2-D x and weight, got ", shape_text(shape_of(x)), " and ",
         shape_text(shape_of(w)));
  const py::object gx = output_arg(gx_in, dbl, {x.shape(0), x.shape(1)});
  // A weight given as the transpose of a (k, o) array (Keras' Dense passes kernel.T) gets its
  // gradient in that layout: the transpose of a new (k, o) array, which the optimizer then
  // reads without a copy.
  const bool kmajor = py::isinstance<py::bool_>(gw_in) && gw_in.cast<bool>() && is_kmajor(w);
  const py::object gw = kmajor ? output_arg(gw_in, dbl, {w.shape(1), w.shape(0)}).attr("T")
                               : output_arg(gw_in, dbl, {w.shape(0), w.shape(1)});
  const py::object gb = output_arg(gb_in, dbl, {w.shape(0)});
  if (dbl) linear_backward_t<double>(x, w, y, g, gx, gw, gb, a);
  else linear_backward_t<float>(x, w, y, g, gx, gw, gb, a);
  return py::make_tuple(gx, gw, gb);
}

template <class T>
py::dict blocks_of() {
  const gemm_detail::KernelInfo<T>& k = gemm_detail::active_kernel<T>();
  py::dict d;
  d["mr"] = k.mr;
  d["nr"] = k.nr;
  d["mc"] = k.mc;
  d["kc"] = k.kc;
  d["nc"] = k.nc;
  return d;
}

py::dict gemm_blocks() {
  const gemm_detail::CacheSizes& c = gemm_detail::cache_sizes();
  py::dict d;
  d["l1d"] = c.l1d;
  d["l2"] = c.l2;
  d["l3"] = c.l3;
  d["source"] = c.source;
  d["float32"] = blocks_of<float>();
  d["float64"] = blocks_of<double>();
  return d;
}

void init_gemm_blocks(py::module_& m) {
  m.def("gemm_blocks", &gemm_blocks,
        "Cache sizes found at run time (bytes; source sysfs, cpuid or default, +env for "
        "PYENGINE_L1D/L2/L3 overrides) and the GEMM blocks of the active ISA derived from them.");
}

}  // namespace

void init_gemm(py::module_& m) {
  init_gemm_blocks(m);
  m.add_object("matmul2d", py::reinterpret_steal<py::object>(
                              PyCFunction_NewEx(&kMatmul2dDef, nullptr, nullptr)));
  m.def("linear_forward", &linear_forward_entry, py::arg("x"), py::arg("weight"),
        py::arg("bias"), py::arg("out") = py::none(), py::arg("act") = "none",
        "out = act(x @ weight.T + bias) for x (N, K), weight (O, K) (any strides), bias (O,) or "
        "None, out (N, O) C-contiguous (None: allocated; returned); act in none, relu, sigmoid, tanh. Bitwise equal to "
        "matmul, then + bias, then the activation kernel.");
  m.def("linear_backward", &linear_backward_entry, py::arg("x"), py::arg("weight"), py::arg("y"),
        py::arg("grad"), py::arg("grad_x"), py::arg("grad_weight"), py::arg("grad_bias"),
        py::arg("act"),
        "Backward of linear_forward: gz = grad * act'(y) and grad_bias = gz.sum(0) in one pass, "
        "then grad_x = gz @ weight, grad_weight = gz.T @ x; an output may be None or False "
        "(not wanted), True (allocated) or an array. Returns (grad_x, grad_weight, grad_bias).");
  m.def("matmul", &matmul_entry<false>, py::arg("a"), py::arg("b"), py::arg("out") = py::none(),
        py::arg("alpha") = 1.0, py::arg("beta") = 0.0,
        "out = alpha * a @ b + beta * out over (batch..., M, K) @ (batch..., K, N); a and b may be "
        "strided views (batch strides may be 0); out must be C-contiguous (None: allocated, "
        "beta 0). Returns out. Bitwise identical for any thread count.");
  m.def("matmul_ref", &matmul_entry<true>, py::arg("a"), py::arg("b"), py::arg("out") = py::none(),
        py::arg("alpha") = 1.0, py::arg("beta") = 0.0,
        "matmul through the plain reference kernel (the test oracle); same arguments and checks.");
}

}  // namespace pyengine
