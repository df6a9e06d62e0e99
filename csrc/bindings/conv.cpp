// Bindings of the convolution and pooling kernels (csrc/conv). Python resolves padding modes and
// pairs into plain ints; every argument and shape is checked here before any memory is touched.
#include <pybind11/numpy.h>

#include <algorithm>
#include <string>
#include <utility>

#include "bindings/array_args.h"
#include "bindings/bindings.h"
#include "conv/conv2d.h"
#include "conv/pool2d.h"

namespace pyengine {
namespace py = pybind11;

namespace {

void check_rank(const py::array& a, int rank, const char* op, const char* name) {
  check(a.ndim() == rank, op, name, " must be ", rank, "-D (N, C, H, W), got shape ",
        shape_text(shape_of(a)));
}

void check_shape(const py::array& a, const std::vector<long long>& want, const char* op,
                 const char* name) {
  check(shape_of(a) == want, op, name, " has shape ", shape_text(shape_of(a)), ", expected ",
        shape_text(want));
}

// Output size along one axis, computed with checked arithmetic (padding, dilation and stride
// come straight from the user and may be near 2**63); 0 when the dilated kernel does not fit.
int64_t checked_out_size(const char* op, int64_t in, int64_t k, int64_t s, int64_t p, int64_t d,
                         bool ceil, int64_t& padded) {
  padded = add_checked(in, mul_checked(2, p, op, "padding"), op, "padded size");
  const int64_t span = add_checked(mul_checked(d, k - 1, op, "dilated kernel size"), 1, op,
                                   "dilated kernel size");
  // PyTorch's (padded - span + (ceil ? s - 1 : 0)) / s + 1, without overflowing for s near 2**63
  const int64_t diff = padded - span;  // both in [1, 2**63): cannot overflow
  if (diff >= 0) return diff / s + 1 + (ceil && diff % s ? 1 : 0);
  return ceil && -diff < s ? 1 : 0;
}

// Largest padded input (one image's channels of one group, in elements) that a kernel may copy
// into its per-thread scratch (the direct kernels pad whole groups; their malloc runs inside an
// OpenMP region, where it cannot raise): past it the scratch would be gigabytes for an output
// that is mostly padding.
constexpr int64_t kMaxPaddedInput = int64_t(1) << 31;

// Geometry of conv2d from the input shape (N, C, H, W) and the weight shape, fully checked.
Conv2dGeom conv_geom(const char* op, const std::vector<long long>& xs, const py::array& w,
                     int64_t sh, int64_t sw, int64_t ph, int64_t pw, int64_t dh, int64_t dw,
                     int64_t groups) {
  check(w.ndim() == 4, op, "weight must be 4-D (out_channels, in_channels / groups, kH, kW), got shape ",
        shape_text(shape_of(w)));
  check(sh >= 1 && sw >= 1, op, "stride must be positive, got (", sh, ", ", sw, ")");
  check(dh >= 1 && dw >= 1, op, "dilation must be positive, got (", dh, ", ", dw, ")");
  check(ph >= 0 && pw >= 0, op, "padding must be non-negative, got (", ph, ", ", pw, ")");
  check(groups >= 1, op, "groups must be positive, got ", groups);
  Conv2dGeom g{};
  g.n = xs[0]; g.c = xs[1]; g.h = xs[2]; g.w = xs[3];
  g.oc = w.shape(0); g.kh = w.shape(2); g.kw = w.shape(3);
  g.sh = sh; g.sw = sw; g.ph = ph; g.pw = pw; g.dh = dh; g.dw = dw; g.groups = groups;
  check(g.c % groups == 0, op, "groups=", groups, " does not divide the ", g.c, " input channels");
  check(g.oc % groups == 0, op, "groups=", groups, " does not divide the ", g.oc,
        " output channels");
  check(w.shape(1) * groups == g.c, op, "input has ", g.c, " channels but weight expects ",
        w.shape(1) * groups, " (weight ", shape_text(shape_of(w)), ", groups=", groups, ")");
  check(g.kh >= 1 && g.kw >= 1, op, "kernel size must be positive, got weight ",
        shape_text(shape_of(w)));
  int64_t PH, PW;
  g.oh = checked_out_size(op, g.h, g.kh, sh, ph, dh, false, PH);
  g.ow = checked_out_size(op, g.w, g.kw, sw, pw, dw, false, PW);
  check(g.oh >= 1 && g.ow >= 1, op, "kernel size (", (g.kh - 1) * dh + 1, ", ", (g.kw - 1) * dw + 1,
        ") (dilated) is larger than the padded input (", PH, ", ", PW,
        "); input ", shape_text(xs), ", weight ", shape_text(shape_of(w)));
  check(numel_checked(op, "padded input", g.cg(), PH, PW) <= kMaxPaddedInput, op, "padding (", ph,
        ", ", pw, ") makes a padded input of ", g.cg(), " x ", PH, " x ", PW,
        " per image and group, above the supported 2**31 elements");
  numel_checked(op, "output size", g.n, g.oc, g.oh, g.ow);
  // A stride only spaces the second and later windows: with one output row (column) any stride
  // past the padded input's slack gives the same result, and the direct kernels' column-phase
  // scratch grows with the stride (1.2 GB at stride 1e8 on a 3x3 input). Use the smallest stride
  // with one window, which keeps the geometry consistent (kernels derive coverage from it).
  if (g.oh == 1) g.sh = std::min(g.sh, PH - ((g.kh - 1) * dh + 1) + 1);
  if (g.ow == 1) g.sw = std::min(g.sw, PW - ((g.kw - 1) * dw + 1) + 1);
  return g;
}

// A bias argument: null for None, else a C-contiguous T array of shape (size,).
template <class T>
const T* optional_bias(const py::object& b, int64_t size, const char* op) {
  if (b.is_none()) return nullptr;
  py::array ba = array_arg(b, op, "bias");
  const T* p = array_ptr<T>(ba, op, "bias");
  check_shape(ba, {size}, op, "bias");
  return p;
}

template <class T>
void conv_forward_t(const py::array& x, const py::array& w, const py::object& b,
                    const py::array& y, const Conv2dGeom& g) {
  const char* op = "conv2d";
  const T* px = array_ptr<T>(x, op, "input");
  const T* pw = array_ptr<T>(w, op, "weight");
  T* py_ = array_ptr<T>(y, op, "out", true);
  const T* pb = optional_bias<T>(b, g.oc, op);
  check_shape(y, {g.n, g.oc, g.oh, g.ow}, op, "out");
  check_no_overlap(op, y, "out", x, "input");
  check_no_overlap(op, y, "out", w, "weight");
  check_no_overlap(op, y, "out", b, "bias");
  if (g.n == 0) return;
  py::gil_scoped_release nogil;
  conv2d_forward<T>(g, px, pw, pb, py_);
}

template <class T>
void conv_bwd_input_t(const py::array& dy, const py::array& w, const py::array& dx,
                      const Conv2dGeom& g) {
  const char* op = "conv2d_backward_input";
  const T* pdy = array_ptr<T>(dy, op, "grad");
  const T* pw = array_ptr<T>(w, op, "weight");
  T* pdx = array_ptr<T>(dx, op, "out", true);
  check_shape(dy, {g.n, g.oc, g.oh, g.ow}, op, "grad");
  check_no_overlap(op, dx, "out", dy, "grad");
  check_no_overlap(op, dx, "out", w, "weight");
  if (g.n == 0) return;
  py::gil_scoped_release nogil;
  conv2d_backward_input<T>(g, pdy, pw, pdx);
}

template <class T>
void conv_transpose_t(const py::array& x, const py::array& w, const py::object& b,
                      const py::array& y, const Conv2dGeom& g) {
  const char* op = "conv_transpose2d";
  const T* px = array_ptr<T>(x, op, "input");
  const T* pw = array_ptr<T>(w, op, "weight");
  T* py_ = array_ptr<T>(y, op, "out", true);
  const T* pb = optional_bias<T>(b, g.c, op);
  check_shape(x, {g.n, g.oc, g.oh, g.ow}, op, "input");
  check_no_overlap(op, y, "out", x, "input");
  check_no_overlap(op, y, "out", w, "weight");
  check_no_overlap(op, y, "out", b, "bias");
  if (g.n == 0) return;
  py::gil_scoped_release nogil;
  conv_transpose2d_forward<T>(g, px, pw, pb, py_);
}

template <class T>
void conv_bwd_weight_t(const py::array& x, const py::array& dy, const py::array& dw,
                       const Conv2dGeom& g) {
  const char* op = "conv2d_backward_weight";
  const T* px = array_ptr<T>(x, op, "input");
  const T* pdy = array_ptr<T>(dy, op, "grad");
  T* pdw = array_ptr<T>(dw, op, "out", true);
  check_shape(dy, {g.n, g.oc, g.oh, g.ow}, op, "grad");
  check_no_overlap(op, dw, "out", x, "input");
  check_no_overlap(op, dw, "out", dy, "grad");
  py::gil_scoped_release nogil;
  if (g.n == 0) {
    for (int64_t i = 0; i < g.oc * g.cg() * g.kh * g.kw; ++i) pdw[i] = T(0);
    return;
  }
  conv2d_backward_weight<T>(g, px, pdy, pdw);
}

template <class T>
void conv_bwd_bias_t(const py::array& dy, const py::array& db) {
  const char* op = "conv2d_backward_bias";
  check_rank(dy, 4, op, "grad");
  const T* pdy = array_ptr<T>(dy, op, "grad");
  T* pdb = array_ptr<T>(db, op, "out", true);
  check_shape(db, {static_cast<long long>(dy.shape(1))}, op, "out");
  check_no_overlap(op, db, "out", dy, "grad");
  Conv2dGeom g{};
  g.n = dy.shape(0); g.oc = dy.shape(1); g.oh = dy.shape(2); g.ow = dy.shape(3);
  py::gil_scoped_release nogil;
  conv2d_backward_bias<T>(g, pdy, pdb);
}

// Optional output: null for None, else checked to be a writable C-contiguous T array of `shape`.
template <class T>
T* optional_out(const py::object& o, const std::vector<long long>& shape, const char* op,
                const char* name) {
  if (o.is_none()) return nullptr;
  py::array a = array_arg(o, op, name);
  T* p = array_ptr<T>(a, op, name, true);
  check_shape(a, shape, op, name);
  return p;
}

template <class T>
void conv_bwd_t(const py::array& x, const py::array& dy, const py::array& w, const py::object& dx,
                const py::object& dw, const py::object& db, const Conv2dGeom& g) {
  const char* op = "conv2d_backward";
  const T* px = array_ptr<T>(x, op, "input");
  const T* pdy = array_ptr<T>(dy, op, "grad");
  const T* pw = array_ptr<T>(w, op, "weight");
  check_shape(dy, {g.n, g.oc, g.oh, g.ow}, op, "grad");
  T* pdx = optional_out<T>(dx, shape_of(x), op, "grad_input");
  T* pdw = optional_out<T>(dw, shape_of(w), op, "grad_weight");
  T* pdb = optional_out<T>(db, {g.oc}, op, "grad_bias");
  const std::pair<const py::object*, const char*> outs[] = {
      {&dx, "grad_input"}, {&dw, "grad_weight"}, {&db, "grad_bias"}};
  for (const auto& [o, on] : outs) {
    if (o->is_none()) continue;
    const py::array a = py::reinterpret_borrow<py::array>(*o);  // checked by optional_out
    check_no_overlap(op, a, on, x, "input");
    check_no_overlap(op, a, on, dy, "grad");
    check_no_overlap(op, a, on, w, "weight");
    for (const auto& [o2, on2] : outs)
      if (o2 != o) check_no_overlap(op, a, on, *o2, on2);
  }
  py::gil_scoped_release nogil;
  if (g.n == 0) {  // no images: zero weight and bias gradients, an empty input gradient
    if (pdw) std::fill(pdw, pdw + g.oc * g.cg() * g.kh * g.kw, T(0));
    if (pdb) std::fill(pdb, pdb + g.oc, T(0));
    return;
  }
  conv2d_backward<T>(g, px, pdy, pw, pdx, pdw, pdb);
}

void check_same_dtype(const py::array& a, const py::array& b, const char* op, const char* na,
                      const char* nb) {
  if (!same_dtype(a.dtype(), b.dtype()))
    throw py::type_error(std::string("[") + op + "] " + na + " and " + nb + " dtypes differ: " +
                         std::string(py::str(a.dtype())) + " vs " + std::string(py::str(b.dtype())));
}

// Pooling geometry from the input (N, C, H, W) and the window parameters, fully checked.
Pool2dGeom pool_geom(const char* op, const std::vector<long long>& xs, int64_t kh, int64_t kw,
                     int64_t sh, int64_t sw, int64_t ph, int64_t pw, int64_t dh, int64_t dw,
                     bool ceil_mode) {
  check(xs.size() == 4, op, "input must be 4-D (N, C, H, W), got shape ", shape_text(xs));
  check(kh >= 1 && kw >= 1, op, "kernel_size must be positive, got (", kh, ", ", kw, ")");
  check(sh >= 1 && sw >= 1, op, "stride must be positive, got (", sh, ", ", sw, ")");
  check(dh >= 1 && dw >= 1, op, "dilation must be positive, got (", dh, ", ", dw, ")");
  check(ph >= 0 && pw >= 0 && ph <= kh / 2 && pw <= kw / 2, op,
        "padding must be non-negative and at most half the kernel size, got padding (", ph, ", ",
        pw, ") for kernel (", kh, ", ", kw, ")");
  // The average's divisor is kh * kw (or the clipped window's area): it must be a real number.
  mul_checked(kh, kw, op, "kernel area");
  Pool2dGeom g{};
  g.planes = xs[0] * xs[1]; g.h = xs[2]; g.w = xs[3];
  g.kh = kh; g.kw = kw; g.sh = sh; g.sw = sw; g.ph = ph; g.pw = pw; g.dh = dh; g.dw = dw;
  int64_t PH, PW;
  g.oh = checked_out_size(op, g.h, kh, sh, ph, dh, ceil_mode, PH);
  g.ow = checked_out_size(op, g.w, kw, sw, pw, dw, ceil_mode, PW);
  // With ceil_mode the last window must start inside the input or the left padding.
  auto starts_past = [](int64_t o, int64_t s, int64_t limit) {
    int64_t v;
    return __builtin_mul_overflow(o, s, &v) || v >= limit;
  };
  if (ceil_mode && g.oh > 1 && starts_past(g.oh - 1, sh, g.h + ph)) --g.oh;
  if (ceil_mode && g.ow > 1 && starts_past(g.ow - 1, sw, g.w + pw)) --g.ow;
  numel_checked(op, "output size", xs[0], xs[1], g.oh, g.ow);
  check(g.oh >= 1 && g.ow >= 1, op, "kernel (", (kh - 1) * dh + 1, ", ", (kw - 1) * dw + 1,
        ") is larger than the padded input (", PH, ", ", PW, "); input ", shape_text(xs));
  return g;
}

// A dilated window can fall between the input's rows (or columns) and see only padding; its max
// and argmax would be undefined (PyTorch returns an index outside the input). Checked per axis:
// for every output position some tap must land inside [0, in).
void check_windows_touch_input(const char* op, int64_t out, int64_t in, int64_t k, int64_t s,
                               int64_t p, int64_t d, const char* axis) {
  if (d == 1) return;  // padding <= kernel / 2: an undilated window always reaches the input
  for (int64_t o = 0; o < out; ++o) {
    const int64_t start = o * s - p;  // first tap; o * s <= in + p here, no overflow
    const int64_t i0 = start >= 0 ? 0 : (-start + d - 1) / d;  // first tap index at >= 0
    check(i0 < k && start + i0 * d < in, op, "the window at output ", axis, " ", o,
          " lies entirely in the padding (kernel ", k, ", stride ", s, ", padding ", p,
          ", dilation ", d, ", input size ", in, ")");
  }
}

#define PE_FLOAT_SWITCH(arr, op, CALL) \
  do {                                  \
    if (is_double(arr, op)) {           \
      using T = double;                 \
      CALL;                             \
    } else {                            \
      using T = float;                  \
      CALL;                             \
    }                                   \
  } while (0)

}  // namespace

void init_conv(py::module_& m) {
  m.def(
      "conv2d_forward",
      [](const py::array& x, const py::array& w, const py::object& b, const py::array& out,
         int64_t sh, int64_t sw, int64_t ph, int64_t pw, int64_t dh, int64_t dw, int64_t groups) {
        check_rank(x, 4, "conv2d", "input");
        check_same_dtype(x, w, "conv2d", "input", "weight");
        const Conv2dGeom g = conv_geom("conv2d", shape_of(x), w, sh, sw, ph, pw, dh, dw, groups);
        PE_FLOAT_SWITCH(x, "conv2d", conv_forward_t<T>(x, w, b, out, g));
      },
      py::arg("x"), py::arg("weight"), py::arg("bias"), py::arg("out"), py::arg("stride_h"),
      py::arg("stride_w"), py::arg("pad_h"), py::arg("pad_w"), py::arg("dil_h"), py::arg("dil_w"),
      py::arg("groups"),
      "out = conv2d(x, weight) + bias (NCHW); bias may be None. out must have the output shape.");
  m.def(
      "conv2d_algorithms",
      [](const py::array& x, const py::array& w, int64_t sh, int64_t sw, int64_t ph, int64_t pw,
         int64_t dh, int64_t dw, int64_t groups) {
        check_rank(x, 4, "conv2d_algorithms", "input");
        check_same_dtype(x, w, "conv2d_algorithms", "input", "weight");
        const Conv2dGeom g =
            conv_geom("conv2d_algorithms", shape_of(x), w, sh, sw, ph, pw, dh, dw, groups);
        std::array<const char*, 3> names{};
        PE_FLOAT_SWITCH(x, "conv2d_algorithms", names = conv2d_algorithms<T>(g));
        return py::make_tuple(names[0], names[1], names[2]);
      },
      py::arg("x"), py::arg("weight"), py::arg("stride_h"), py::arg("stride_w"), py::arg("pad_h"),
      py::arg("pad_w"), py::arg("dil_h"), py::arg("dil_w"), py::arg("groups"),
      "(forward, input gradient, weight gradient): the algorithm each pass of conv2d runs for "
      "these shapes on the active ISA.");
  m.def(
      "conv2d_backward_input",
      [](const py::array& dy, const py::array& w, const py::array& dx, int64_t sh, int64_t sw,
         int64_t ph, int64_t pw, int64_t dh, int64_t dw, int64_t groups) {
        const char* op = "conv2d_backward_input";
        check_rank(dx, 4, op, "out");
        check_rank(dy, 4, op, "grad");
        check_same_dtype(dy, w, op, "grad", "weight");
        const Conv2dGeom g = conv_geom(op, shape_of(dx), w, sh, sw, ph, pw, dh, dw, groups);
        PE_FLOAT_SWITCH(dy, op, conv_bwd_input_t<T>(dy, w, dx, g));
      },
      py::arg("grad"), py::arg("weight"), py::arg("out"), py::arg("stride_h"), py::arg("stride_w"),
      py::arg("pad_h"), py::arg("pad_w"), py::arg("dil_h"), py::arg("dil_w"), py::arg("groups"),
      "out (shaped like the input) = gradient of conv2d w.r.t. its input.");
  m.def(
      "conv_transpose2d_forward",
      [](const py::array& x, const py::array& w, const py::object& b, const py::array& out,
         int64_t sh, int64_t sw, int64_t ph, int64_t pw, int64_t dh, int64_t dw, int64_t groups) {
        const char* op = "conv_transpose2d";
        check_rank(out, 4, op, "out");
        check_rank(x, 4, op, "input");
        check_same_dtype(x, w, op, "input", "weight");
        const Conv2dGeom g = conv_geom(op, shape_of(out), w, sh, sw, ph, pw, dh, dw, groups);
        PE_FLOAT_SWITCH(x, op, conv_transpose_t<T>(x, w, b, out, g));
      },
      py::arg("x"), py::arg("weight"), py::arg("bias"), py::arg("out"), py::arg("stride_h"),
      py::arg("stride_w"), py::arg("pad_h"), py::arg("pad_w"), py::arg("dil_h"), py::arg("dil_w"),
      py::arg("groups"),
      "out = conv_transpose2d(x, weight) + bias: the input gradient of the conv2d whose input has "
      "out's shape and whose output has x's (weight (C_x, C_out / groups, KH, KW)); bias may be "
      "None.");
  m.def(
      "conv2d_backward_weight",
      [](const py::array& x, const py::array& dy, const py::array& dw_out, int64_t sh, int64_t sw,
         int64_t ph, int64_t pw, int64_t dh, int64_t dw, int64_t groups) {
        const char* op = "conv2d_backward_weight";
        check_rank(x, 4, op, "input");
        check_rank(dy, 4, op, "grad");
        check_same_dtype(x, dy, op, "input", "grad");
        const Conv2dGeom g = conv_geom(op, shape_of(x), dw_out, sh, sw, ph, pw, dh, dw, groups);
        PE_FLOAT_SWITCH(x, op, conv_bwd_weight_t<T>(x, dy, dw_out, g));
      },
      py::arg("x"), py::arg("grad"), py::arg("out"), py::arg("stride_h"), py::arg("stride_w"),
      py::arg("pad_h"), py::arg("pad_w"), py::arg("dil_h"), py::arg("dil_w"), py::arg("groups"),
      "out (shaped like the weight) = gradient of conv2d w.r.t. its weight.");
  m.def(
      "conv2d_backward",
      [](const py::array& x, const py::array& dy, const py::array& w, const py::object& dx,
         const py::object& dw_out, const py::object& db, int64_t sh, int64_t sw, int64_t ph,
         int64_t pw, int64_t dh, int64_t dw, int64_t groups) {
        const char* op = "conv2d_backward";
        check_rank(x, 4, op, "input");
        check_rank(dy, 4, op, "grad");
        check_same_dtype(x, dy, op, "input", "grad");
        check_same_dtype(x, w, op, "input", "weight");
        const Conv2dGeom g = conv_geom(op, shape_of(x), w, sh, sw, ph, pw, dh, dw, groups);
        PE_FLOAT_SWITCH(x, op, conv_bwd_t<T>(x, dy, w, dx, dw_out, db, g));
      },
      py::arg("x"), py::arg("grad"), py::arg("weight"), py::arg("grad_input"),
      py::arg("grad_weight"), py::arg("grad_bias"), py::arg("stride_h"), py::arg("stride_w"),
      py::arg("pad_h"), py::arg("pad_w"), py::arg("dil_h"), py::arg("dil_w"), py::arg("groups"),
      "The gradients of conv2d w.r.t. input, weight and bias at once, each written to its out "
      "array or skipped when None (the direct kernels read grad once for all three).");
  m.def(
      "conv2d_backward_bias",
      [](const py::array& dy, const py::array& db) {
        PE_FLOAT_SWITCH(dy, "conv2d_backward_bias", conv_bwd_bias_t<T>(dy, db));
      },
      py::arg("grad"), py::arg("out"), "out[o] = sum of grad over (N, H, W).");

  m.def(
      "max_pool2d_forward",
      [](const py::array& x, const py::array& out, const py::object& indices, int64_t kh,
         int64_t kw, int64_t sh, int64_t sw, int64_t ph, int64_t pw, int64_t dh, int64_t dw,
         bool ceil_mode) {
        const char* op = "max_pool2d";
        const Pool2dGeom g = pool_geom(op, shape_of(x), kh, kw, sh, sw, ph, pw, dh, dw, ceil_mode);
        check_windows_touch_input(op, g.oh, g.h, kh, sh, ph, dh, "row");
        check_windows_touch_input(op, g.ow, g.w, kw, sw, pw, dw, "column");
        const std::vector<long long> os{x.shape(0), x.shape(1), g.oh, g.ow};
        check_no_overlap(op, out, "out", x, "input");
        check_shape(out, os, op, "out");
        int64_t* pi = nullptr;
        if (!indices.is_none()) {
          py::array ia = array_arg(indices, op, "indices");
          pi = array_ptr<int64_t>(ia, op, "indices", true);
          check_shape(ia, os, op, "indices");
          check_no_overlap(op, ia, "indices", x, "input");
          check_no_overlap(op, ia, "indices", out, "out");
        }
        PE_FLOAT_SWITCH(x, op, {
          const T* px = array_ptr<T>(x, op, "input");
          T* po = array_ptr<T>(out, op, "out", true);
          py::gil_scoped_release nogil;
          max_pool2d_forward<T>(g, px, po, pi);
        });
      },
      py::arg("x"), py::arg("out"), py::arg("indices"), py::arg("kernel_h"), py::arg("kernel_w"),
      py::arg("stride_h"), py::arg("stride_w"), py::arg("pad_h"), py::arg("pad_w"),
      py::arg("dil_h"), py::arg("dil_w"), py::arg("ceil_mode") = false,
      "out = max over each window; indices (int64 or None) = argmax as h * W + w per plane.");
  m.def(
      "max_pool2d_backward",
      [](const py::array& dy, const py::array& indices, const py::array& dx) {
        const char* op = "max_pool2d_backward";
        check_rank(dx, 4, op, "out");
        check_rank(dy, 4, op, "grad");
        check(dy.shape(0) == dx.shape(0) && dy.shape(1) == dx.shape(1), op,
              "grad ", shape_text(shape_of(dy)), " and out ", shape_text(shape_of(dx)),
              " differ in (N, C)");
        check_shape(indices, shape_of(dy), op, "indices");
        const int64_t* pi = array_ptr<int64_t>(indices, op, "indices");
        check_no_overlap(op, dx, "out", dy, "grad");
        check_no_overlap(op, dx, "out", indices, "indices");
        Pool2dGeom g{};
        g.planes = dx.shape(0) * dx.shape(1); g.h = dx.shape(2); g.w = dx.shape(3);
        g.oh = dy.shape(2); g.ow = dy.shape(3);
        bool ok = true;
        PE_FLOAT_SWITCH(dy, op, {
          check_same_dtype(dy, dx, op, "grad", "out");
          const T* pdy = array_ptr<T>(dy, op, "grad");
          T* pdx = array_ptr<T>(dx, op, "out", true);
          py::gil_scoped_release nogil;
          ok = max_pool2d_backward<T>(g, pdy, pi, pdx);
        });
        check(ok, op, "indices out of range for input planes of size ", g.h, "x", g.w);
      },
      py::arg("grad"), py::arg("indices"), py::arg("out"),
      "out (shaped like the input) = grad scattered to the argmax positions.");

  m.def(
      "avg_pool2d_forward",
      [](const py::array& x, const py::array& out, int64_t kh, int64_t kw, int64_t sh, int64_t sw,
         int64_t ph, int64_t pw, bool ceil_mode, bool count_include_pad, int64_t divisor) {
        const char* op = "avg_pool2d";
        check(divisor >= 0, op, "divisor_override must be positive, got ", divisor);
        const Pool2dGeom g = pool_geom(op, shape_of(x), kh, kw, sh, sw, ph, pw, 1, 1, ceil_mode);
        check_shape(out, {x.shape(0), x.shape(1), g.oh, g.ow}, op, "out");
        check_no_overlap(op, out, "out", x, "input");
        PE_FLOAT_SWITCH(x, op, {
          const T* px = array_ptr<T>(x, op, "input");
          T* po = array_ptr<T>(out, op, "out", true);
          py::gil_scoped_release nogil;
          avg_pool2d_forward<T>(g, px, po, count_include_pad, divisor);
        });
      },
      py::arg("x"), py::arg("out"), py::arg("kernel_h"), py::arg("kernel_w"), py::arg("stride_h"),
      py::arg("stride_w"), py::arg("pad_h"), py::arg("pad_w"), py::arg("ceil_mode") = false,
      py::arg("count_include_pad") = true, py::arg("divisor_override") = 0,
      "out = mean over each window (PyTorch semantics; divisor_override 0 means none).");
  m.def(
      "avg_pool2d_backward",
      [](const py::array& dy, const py::array& dx, int64_t kh, int64_t kw, int64_t sh, int64_t sw,
         int64_t ph, int64_t pw, bool ceil_mode, bool count_include_pad, int64_t divisor) {
        const char* op = "avg_pool2d_backward";
        check(divisor >= 0, op, "divisor_override must be positive, got ", divisor);
        check_rank(dx, 4, op, "out");
        const Pool2dGeom g = pool_geom(op, shape_of(dx), kh, kw, sh, sw, ph, pw, 1, 1, ceil_mode);
        check_shape(dy, {dx.shape(0), dx.shape(1), g.oh, g.ow}, op, "grad");
        check_no_overlap(op, dx, "out", dy, "grad");
        PE_FLOAT_SWITCH(dy, op, {
          check_same_dtype(dy, dx, op, "grad", "out");
          const T* pdy = array_ptr<T>(dy, op, "grad");
          T* pdx = array_ptr<T>(dx, op, "out", true);
          py::gil_scoped_release nogil;
          avg_pool2d_backward<T>(g, pdy, pdx, count_include_pad, divisor);
        });
      },
      py::arg("grad"), py::arg("out"), py::arg("kernel_h"), py::arg("kernel_w"),
      py::arg("stride_h"), py::arg("stride_w"), py::arg("pad_h"), py::arg("pad_w"),
      py::arg("ceil_mode") = false, py::arg("count_include_pad") = true,
      py::arg("divisor_override") = 0);

  m.def(
      "adaptive_avg_pool2d_forward",
      [](const py::array& x, const py::array& out) {
        const char* op = "adaptive_avg_pool2d";
        check_rank(x, 4, op, "input");
        check_rank(out, 4, op, "out");
        check(out.shape(0) == x.shape(0) && out.shape(1) == x.shape(1) && out.shape(2) >= 1 &&
                  out.shape(3) >= 1, op, "out shape ", shape_text(shape_of(out)),
              " does not fit input ", shape_text(shape_of(x)));
        check(x.shape(2) >= 1 && x.shape(3) >= 1, op, "input has an empty plane: ",
              shape_text(shape_of(x)));
        Pool2dGeom g{};
        g.planes = x.shape(0) * x.shape(1); g.h = x.shape(2); g.w = x.shape(3);
        g.oh = out.shape(2); g.ow = out.shape(3);
        check_no_overlap(op, out, "out", x, "input");
        PE_FLOAT_SWITCH(x, op, {
          const T* px = array_ptr<T>(x, op, "input");
          T* po = array_ptr<T>(out, op, "out", true);
          py::gil_scoped_release nogil;
          adaptive_avg_pool2d_forward<T>(g, px, po);
        });
      },
      py::arg("x"), py::arg("out"), "out (N, C, oh, ow) = adaptive average pooling of x.");
  m.def(
      "adaptive_avg_pool2d_backward",
      [](const py::array& dy, const py::array& dx) {
        const char* op = "adaptive_avg_pool2d_backward";
        check_rank(dy, 4, op, "grad");
        check_rank(dx, 4, op, "out");
        check(dy.shape(0) == dx.shape(0) && dy.shape(1) == dx.shape(1) && dy.shape(2) >= 1 &&
                  dy.shape(3) >= 1 && dx.shape(2) >= 1 && dx.shape(3) >= 1, op,
              "grad ", shape_text(shape_of(dy)), " does not fit out ", shape_text(shape_of(dx)));
        Pool2dGeom g{};
        g.planes = dx.shape(0) * dx.shape(1); g.h = dx.shape(2); g.w = dx.shape(3);
        g.oh = dy.shape(2); g.ow = dy.shape(3);
        check_no_overlap(op, dx, "out", dy, "grad");
        PE_FLOAT_SWITCH(dy, op, {
          check_same_dtype(dy, dx, op, "grad", "out");
          const T* pdy = array_ptr<T>(dy, op, "grad");
          T* pdx = array_ptr<T>(dx, op, "out", true);
          py::gil_scoped_release nogil;
          adaptive_avg_pool2d_backward<T>(g, pdy, pdx);
        });
      },
      py::arg("grad"), py::arg("out"));
}

}  // namespace pyengine
