// Bindings of the channels-last convolution and pooling kernels (csrc/conv/conv2d_nhwc.h).
// Padding arrives as (top, bottom, left, right); every argument, shape and dtype is checked
// here before any memory is touched, and the GIL is released around the kernels.
#include <pybind11/numpy.h>

#include <algorithm>
#include <utility>
#include <string>

#include "bindings/array_args.h"
#include "bindings/bindings.h"
#include "bindings/lazy_checks.h"
#include "conv/conv2d_nhwc.h"

namespace pyengine {
namespace py = pybind11;

namespace {

void check_shape_is(const py::array& a, const std::vector<long long>& want, const char* op,
                    const char* name) {
  bool same = a.ndim() == static_cast<py::ssize_t>(want.size());
  for (py::ssize_t i = 0; same && i < a.ndim(); ++i) same = a.shape(i) == want[i];
  PE_CHECK(same, op, name, " has shape ", shape_text(shape_of(a)), ", expected ",
           shape_text(want));  // formatted only on failure: these run every step
}

void check_dtypes(const py::array& a, const py::array& b, const char* op, const char* na,
                  const char* nb) {
  if (!same_dtype(a.dtype(), b.dtype()))
    throw py::type_error(std::string("[") + op + "] " + na + " and " + nb + " dtypes differ: " +
                         std::string(py::str(a.dtype())) + " vs " + std::string(py::str(b.dtype())));
}

// Output size along one axis with checked arithmetic (padding, dilation, kernel and stride come
// straight from the user and may be near 2**63); 0 when the dilated kernel does not fit. Every
// index the kernels form (oh * sh - pt + i * dh) then lies within the padded extent, which fits.
int64_t checked_out_size(const char* op, int64_t in, int64_t k, int64_t s, int64_t before,
                         int64_t after, int64_t d, int64_t& padded) {
  padded = add_checked(add_checked(in, before, op, "padded size"), after, op, "padded size");
  const int64_t span = add_checked(mul_checked(d, k - 1, op, "dilated kernel size"), 1, op,
                                   "dilated kernel size");
  const int64_t diff = padded - span;  // both in [1, 2**63): cannot overflow
  return diff < 0 ? 0 : diff / s + 1;
}

// Largest padded extent along an axis. The kernels form positions a few windows past the last
// one (a 16-wide block's (ow + 15) * sw); with every extent below 2**56 none of those overflows.
constexpr int64_t kMaxPadded = int64_t{1} << 56;

void check_padded(const char* op, int64_t PH, int64_t PW) {
  check(PH < kMaxPadded && PW < kMaxPadded, op, "the padded input (", PH, ", ", PW,
        ") is larger than the supported 2**56 per axis; check padding");
}

struct Pads {
  int64_t t, b, l, r;
};

void check_window(const char* op, int64_t sh, int64_t sw, int64_t dh, int64_t dw, const Pads& p) {
  check(sh >= 1 && sw >= 1, op, "stride must be positive, got (", sh, ", ", sw, ")");
  check(dh >= 1 && dw >= 1, op, "dilation must be positive, got (", dh, ", ", dw, ")");
  check(p.t >= 0 && p.b >= 0 && p.l >= 0 && p.r >= 0, op,
        "padding must be non-negative, got (", p.t, ", ", p.b, ", ", p.l, ", ", p.r, ")");
}

ConvNhwcGeom conv_geom(const char* op, const py::array& x, const py::array& w, int64_t sh,
                       int64_t sw, const Pads& p, int64_t dh, int64_t dw, int64_t groups) {
  check(x.ndim() == 4, op, "input must be 4-D (N, H, W, C), got shape ", shape_text(shape_of(x)));
  check(w.ndim() == 4, op, "weight must be 4-D (KH, KW, C / groups, OC), got shape ",
        shape_text(shape_of(w)));
  check_window(op, sh, sw, dh, dw, p);
  check(groups >= 1, op, "groups must be positive, got ", groups);
  ConvNhwcGeom g{};
  g.n = x.shape(0); g.h = x.shape(1); g.w = x.shape(2); g.c = x.shape(3);
  g.kh = w.shape(0); g.kw = w.shape(1); g.oc = w.shape(3);
  g.sh = sh; g.sw = sw; g.pt = p.t; g.pl = p.l; g.dh = dh; g.dw = dw; g.groups = groups;
  check(g.c % groups == 0 && w.shape(2) == g.c / groups, op, "input has ", g.c,
        " channels but weight ", shape_text(shape_of(w)), " with groups=", groups, " expects ",
        mul_checked(w.shape(2), groups, op, "weight channels * groups"));
  check(g.oc % groups == 0, op, "groups=", groups, " does not divide the ", g.oc,
        " output channels");
  check(g.kh >= 1 && g.kw >= 1, op, "kernel size must be positive, got weight ",
        shape_text(shape_of(w)));
  int64_t PH, PW;
  g.oh = checked_out_size(op, g.h, g.kh, sh, p.t, p.b, dh, PH);
  g.ow = checked_out_size(op, g.w, g.kw, sw, p.l, p.r, dw, PW);
  check_padded(op, PH, PW);
  check(g.oh >= 1 && g.ow >= 1, op, "kernel size (", (g.kh - 1) * dh + 1, ", ",
        (g.kw - 1) * dw + 1, ") (dilated) is larger than the padded input (", PH, ", ", PW,
        "); input ", shape_text(shape_of(x)), ", weight ", shape_text(shape_of(w)));
  // The output, the im2col block (rows x K) and the weight: keep every product in range.
  numel_checked(op, "output size", g.n, g.oh, g.ow, g.oc);
  numel_checked(op, "weight size", g.kh, g.kw, g.c, g.oc);
  // A stride only spaces the second and later windows: with one output row (column) use the
  // smallest stride that still gives one window, so that no kernel forms oh * sh near 2**63.
  if (g.oh == 1) g.sh = std::min(g.sh, PH - ((g.kh - 1) * dh + 1) + 1);
  if (g.ow == 1) g.sw = std::min(g.sw, PW - ((g.kw - 1) * dw + 1) + 1);
  return g;
}

ConvAct parse_act(const py::object& name, double p0, const char* op) {
  ConvAct a;
  if (name.is_none()) return a;
  const std::string s = name.cast<std::string>();
  a.on = true;
  a.prm.p0 = p0;
  if (s == "relu") a.act = Act::relu;
  else if (s == "leaky_relu" && p0 >= 0) a.act = Act::leaky_relu;
  else if (s == "elu" && p0 >= 0) a.act = Act::elu;
  else if (s == "sigmoid") a.act = Act::sigmoid;
  else if (s == "tanh") a.act = Act::tanh;
  else
    check(false, op, "activation must be relu, leaky_relu (slope >= 0), elu (alpha >= 0), "
          "sigmoid or tanh, got ", s, " (p0=", p0, ")");
  return a;
}

template <class T>
T* optional_out(const py::object& o, const std::vector<long long>& shape, const char* op,
                const char* name) {
  if (o.is_none()) return nullptr;
  py::array a = array_arg(o, op, name);  // never a converted copy: the result would be lost
  T* p = array_ptr<T>(a, op, name, true);
  check_shape_is(a, shape, op, name);
  return p;
}

template <class T>
const T* optional_in(const py::object& o, const std::vector<long long>& shape, const char* op,
                     const char* name) {
  if (o.is_none()) return nullptr;
  py::array a = array_arg(o, op, name);
  const T* p = array_ptr<T>(a, op, name);
  check_shape_is(a, shape, op, name);
  return p;
}

template <class T>
void conv_forward_t(const py::array& x, const py::array& w, const py::object& b,
                    const py::array& y, const ConvNhwcGeom& g, ConvAct act) {
  const char* op = "conv2d_nhwc";
  const T* px = array_ptr<T>(x, op, "input");
  const T* pw = array_ptr<T>(w, op, "weight");
  T* py_ = array_ptr<T>(y, op, "out", true);
  const T* pb = optional_in<T>(b, {g.oc}, op, "bias");
  check_shape_is(y, {g.n, g.oh, g.ow, g.oc}, op, "out");
  check_no_overlap(op, y, "out", x, "input");
  check_no_overlap(op, y, "out", w, "weight");
  check_no_overlap(op, y, "out", b, "bias");
  py::gil_scoped_release nogil;
  conv2d_nhwc_forward<T>(g, px, pw, pb, act, py_);
}

template <class T>
void conv_backward_t(const py::array& x, const py::array& dy, const py::array& w,
                     const py::object& y, const py::object& dx, const py::object& dw,
                     const py::object& db, const ConvNhwcGeom& g, ConvAct act) {
  const char* op = "conv2d_nhwc_backward";
  const T* px = array_ptr<T>(x, op, "input");
  const T* pdy = array_ptr<T>(dy, op, "grad");
  const T* pw = array_ptr<T>(w, op, "weight");
  const std::vector<long long> yshape{g.n, g.oh, g.ow, g.oc};
  check_shape_is(dy, yshape, op, "grad");
  const T* pyv = optional_in<T>(y, yshape, op, "output");
  check(!act.on || pyv, op, "a fused activation needs the forward output");
  T* pdx = optional_out<T>(dx, shape_of(x), op, "grad_input");
  T* pdw = optional_out<T>(dw, shape_of(w), op, "grad_weight");
  T* pdb = optional_out<T>(db, {g.oc}, op, "grad_bias");
  // every output must be disjoint from every input and from the other outputs
  const std::pair<py::handle, const char*> ins[] = {
      {x, "input"}, {dy, "grad"}, {w, "weight"}, {y, "output"}};
  const std::pair<py::handle, const char*> outs[] = {
      {dx, "grad_input"}, {dw, "grad_weight"}, {db, "grad_bias"}};
  for (size_t i = 0; i < 3; ++i) {
    if (outs[i].first.is_none()) continue;
    const py::array oa = py::reinterpret_borrow<py::array>(outs[i].first);
    for (const auto& [in, iname] : ins) check_no_overlap(op, oa, outs[i].second, in, iname);
    for (size_t j = i + 1; j < 3; ++j)
      check_no_overlap(op, oa, outs[i].second, outs[j].first, outs[j].second);
  }
  py::gil_scoped_release nogil;
  conv2d_nhwc_backward<T>(g, px, pdy, pw, act, pyv, pdx, pdw, pdb);
}

PoolNhwcGeom pool_geom(const char* op, const std::vector<long long>& xs, int64_t kh, int64_t kw,
                       int64_t sh, int64_t sw, const Pads& p) {
  check(xs.size() == 4, op, "input must be 4-D (N, H, W, C), got shape ", shape_text(xs));
  check(kh >= 1 && kw >= 1, op, "kernel must be positive, got (", kh, ", ", kw, ")");
  check_window(op, sh, sw, 1, 1, p);
  check(p.t < kh && p.b < kh && p.l < kw && p.r < kw, op, "padding (", p.t, ", ", p.b, ", ", p.l,
        ", ", p.r, ") must be smaller than the kernel (", kh, ", ", kw, ") on each side");
  check(numel_checked(op, "input plane", xs[1], xs[2]) < (int64_t{1} << 31), op,
        "input planes of 2^31 pixels or more are not supported, got ", shape_text(xs));
  PoolNhwcGeom g{xs[0], xs[1], xs[2], xs[3], 0, 0, kh, kw, sh, sw, p.t, p.l};
  int64_t PH, PW;
  g.oh = checked_out_size(op, g.h, kh, sh, p.t, p.b, 1, PH);
  g.ow = checked_out_size(op, g.w, kw, sw, p.l, p.r, 1, PW);
  check_padded(op, PH, PW);
  check(g.oh >= 1 && g.ow >= 1, op, "kernel (", kh, ", ", kw, ") is larger than the padded input (",
        PH, ", ", PW, "); input ", shape_text(xs));
  numel_checked(op, "output size", g.n, g.oh, g.ow, g.c);
  // The kernels size their thread grain as OW * C * KH * KW, and the average's divisor is KH * KW.
  numel_checked(op, "window work (out width * channels * kernel area)", g.ow, g.c, kh, kw);
  if (g.oh == 1) g.sh = std::min(g.sh, PH - kh + 1);
  if (g.ow == 1) g.sw = std::min(g.sw, PW - kw + 1);
  return g;
}

#define PE_NHWC_FLOAT_SWITCH(arr, op, CALL) \
  do {                                      \
    if (is_double(arr, op)) {               \
      using T = double;                     \
      CALL;                                 \
    } else {                                \
      using T = float;                      \
      CALL;                                 \
    }                                       \
  } while (0)

}  // namespace

void init_conv_nhwc(py::module_& m) {
  m.def(
      "conv2d_nhwc_forward",
      [](const py::array& x, const py::array& w, const py::object& b, const py::array& out,
         int64_t sh, int64_t sw, int64_t pt, int64_t pb, int64_t pl, int64_t pr, int64_t dh,
         int64_t dw, int64_t groups, const py::object& act, double act_p0) {
        const char* op = "conv2d_nhwc";
        check_dtypes(x, w, op, "input", "weight");
        const ConvNhwcGeom g = conv_geom(op, x, w, sh, sw, {pt, pb, pl, pr}, dh, dw, groups);
        const ConvAct a = parse_act(act, act_p0, op);
        PE_NHWC_FLOAT_SWITCH(x, op, conv_forward_t<T>(x, w, b, out, g, a));
      },
      py::arg("x"), py::arg("weight"), py::arg("bias"), py::arg("out"), py::arg("stride_h"),
      py::arg("stride_w"), py::arg("pad_top"), py::arg("pad_bottom"), py::arg("pad_left"),
      py::arg("pad_right"), py::arg("dil_h"), py::arg("dil_w"), py::arg("groups"),
      py::arg("activation") = py::none(), py::arg("act_p0") = 0.0,
      "out = activation(conv2d(x, weight) + bias), x (N, H, W, C), weight (KH, KW, C/groups, OC),"
      " out (N, OH, OW, OC); bias and activation may be None.");
  m.def(
      "conv2d_nhwc_backward",
      [](const py::array& x, const py::array& dy, const py::array& w, const py::object& y,
         const py::object& dx, const py::object& dw_out, const py::object& db, int64_t sh,
         int64_t sw, int64_t pt, int64_t pb, int64_t pl, int64_t pr, int64_t dh, int64_t dw,
         int64_t groups, const py::object& act, double act_p0) {
        const char* op = "conv2d_nhwc_backward";
        check_dtypes(x, dy, op, "input", "grad");
        check_dtypes(x, w, op, "input", "weight");
        const ConvNhwcGeom g = conv_geom(op, x, w, sh, sw, {pt, pb, pl, pr}, dh, dw, groups);
        const ConvAct a = parse_act(act, act_p0, op);
        PE_NHWC_FLOAT_SWITCH(x, op, conv_backward_t<T>(x, dy, w, y, dx, dw_out, db, g, a));
      },
      py::arg("x"), py::arg("grad"), py::arg("weight"), py::arg("output"), py::arg("grad_input"),
      py::arg("grad_weight"), py::arg("grad_bias"), py::arg("stride_h"), py::arg("stride_w"),
      py::arg("pad_top"), py::arg("pad_bottom"), py::arg("pad_left"), py::arg("pad_right"),
      py::arg("dil_h"), py::arg("dil_w"), py::arg("groups"), py::arg("activation") = py::none(),
      py::arg("act_p0") = 0.0,
      "Gradients of conv2d_nhwc_forward w.r.t. input, weight and bias, each written to its out "
      "array or skipped when None; with an activation, output is the forward's output.");
  m.def(
      "max_pool2d_nhwc_forward",
      [](const py::array& x, const py::array& y, int64_t kh, int64_t kw, int64_t sh, int64_t sw,
         int64_t pt, int64_t pb, int64_t pl, int64_t pr, const py::object& index) {
        const char* op = "max_pool2d_nhwc";
        const PoolNhwcGeom g = pool_geom(op, shape_of(x), kh, kw, sh, sw, {pt, pb, pl, pr});
        check_dtypes(x, y, op, "input", "out");
        check_shape_is(y, {g.n, g.oh, g.ow, g.c}, op, "out");
        uint8_t* pidx = nullptr;
        py::array idx;
        if (!index.is_none()) {
          check(max_pool2d_nhwc_indexable(g), op, "index is only for 2x2 windows at stride 2 "
                "inside the input (no top / left padding)");
          idx = array_arg(index, op, "index");
          PE_CHECK(same_dtype(idx.dtype(), py::dtype::of<uint8_t>()), op, "index must be uint8, got ",
                   std::string(py::str(idx.dtype())));
          check_shape_is(idx, {g.n, g.oh, g.ow, g.c}, op, "index");
          pidx = array_ptr<uint8_t>(idx, op, "index", true);
          check_no_overlap(op, idx, "index", x, "input");
          check_no_overlap(op, idx, "index", y, "out");
        }
        PE_NHWC_FLOAT_SWITCH(x, op, {
          const T* px = array_ptr<T>(x, op, "input");
          T* py_ = array_ptr<T>(y, op, "out", true);
          check_no_overlap(op, y, "out", x, "input");
          py::gil_scoped_release nogil;
          if (pidx)
            max_pool2d_nhwc_forward_index<T>(g, px, py_, pidx);
          else
            max_pool2d_nhwc_forward<T>(g, px, py_);
        });
      },
      py::arg("x"), py::arg("out"), py::arg("kernel_h"), py::arg("kernel_w"), py::arg("stride_h"),
      py::arg("stride_w"), py::arg("pad_top"), py::arg("pad_bottom"), py::arg("pad_left"),
      py::arg("pad_right"), py::arg("index") = py::none(),
      "out = max over windows of x (N, H, W, C); NaN propagates. index (uint8, out's shape, "
      "2x2 windows at stride 2 only): which pixel of each window won, 0..3 in window order.");
  m.def(
      "max_pool2d_nhwc_backward_index",
      [](const py::array& index, const py::array& dy, const py::array& dx, int64_t kh,
         int64_t kw, int64_t sh, int64_t sw, int64_t pt, int64_t pb, int64_t pl, int64_t pr) {
        const char* op = "max_pool2d_nhwc_backward";
        const PoolNhwcGeom g = pool_geom(op, shape_of(dx), kh, kw, sh, sw, {pt, pb, pl, pr});
        check(max_pool2d_nhwc_indexable(g), op, "index is only for 2x2 windows at stride 2 "
              "inside the input (no top / left padding)");
        PE_CHECK(same_dtype(index.dtype(), py::dtype::of<uint8_t>()), op, "index must be uint8, got ",
                 std::string(py::str(index.dtype())));
        check_dtypes(dy, dx, op, "grad", "out");
        check_shape_is(dy, {g.n, g.oh, g.ow, g.c}, op, "grad");
        check_shape_is(index, {g.n, g.oh, g.ow, g.c}, op, "index");
        PE_NHWC_FLOAT_SWITCH(dy, op, {
          const uint8_t* pidx = array_ptr<uint8_t>(index, op, "index");
          const T* pdy = array_ptr<T>(dy, op, "grad");
          T* pdx = array_ptr<T>(dx, op, "out", true);
          check_no_overlap(op, dx, "out", dy, "grad");
          check_no_overlap(op, dx, "out", index, "index");
          py::gil_scoped_release nogil;
          max_pool2d_nhwc_backward_index<T>(g, pidx, pdy, pdx);
        });
      },
      py::arg("index"), py::arg("grad"), py::arg("out"), py::arg("kernel_h"), py::arg("kernel_w"),
      py::arg("stride_h"), py::arg("stride_w"), py::arg("pad_top"), py::arg("pad_bottom"),
      py::arg("pad_left"), py::arg("pad_right"),
      "out (N, H, W, C) = grad scattered to the pixel index names in each 2x2 window; pixels no "
      "window covers get 0.");
  m.def(
      "max_pool2d_nhwc_backward",
      [](const py::array& x, const py::array& dy, const py::array& dx, int64_t kh, int64_t kw,
         int64_t sh, int64_t sw, int64_t pt, int64_t pb, int64_t pl, int64_t pr) {
        const char* op = "max_pool2d_nhwc_backward";
        const PoolNhwcGeom g = pool_geom(op, shape_of(x), kh, kw, sh, sw, {pt, pb, pl, pr});
        check_dtypes(x, dy, op, "input", "grad");
        check_dtypes(x, dx, op, "input", "out");
        check_shape_is(dy, {g.n, g.oh, g.ow, g.c}, op, "grad");
        check_shape_is(dx, shape_of(x), op, "out");
        check(dx.data() != x.data() && dx.data() != dy.data(), op,
              "out must not be the input or grad array");
        PE_NHWC_FLOAT_SWITCH(x, op, {
          const T* px = array_ptr<T>(x, op, "input");
          const T* pdy = array_ptr<T>(dy, op, "grad");
          T* pdx = array_ptr<T>(dx, op, "out", true);
          check_no_overlap(op, dx, "out", x, "input");
          check_no_overlap(op, dx, "out", dy, "grad");
          py::gil_scoped_release nogil;
          max_pool2d_nhwc_backward<T>(g, px, pdy, pdx);
        });
      },
      py::arg("x"), py::arg("grad"), py::arg("out"), py::arg("kernel_h"), py::arg("kernel_w"),
      py::arg("stride_h"), py::arg("stride_w"), py::arg("pad_top"), py::arg("pad_bottom"),
      py::arg("pad_left"), py::arg("pad_right"),
      "out (N, H, W, C) = grad scattered to the argmax of each window of x (found again).");
  m.def(
      "avg_pool2d_nhwc_forward",
      [](const py::array& x, const py::array& y, int64_t kh, int64_t kw, int64_t sh, int64_t sw,
         int64_t pt, int64_t pb, int64_t pl, int64_t pr, bool count_include_pad) {
        const char* op = "avg_pool2d_nhwc";
        const PoolNhwcGeom g = pool_geom(op, shape_of(x), kh, kw, sh, sw, {pt, pb, pl, pr});
        check_dtypes(x, y, op, "input", "out");
        check_shape_is(y, {g.n, g.oh, g.ow, g.c}, op, "out");
        PE_NHWC_FLOAT_SWITCH(x, op, {
          const T* px = array_ptr<T>(x, op, "input");
          T* py_ = array_ptr<T>(y, op, "out", true);
          check_no_overlap(op, y, "out", x, "input");
          py::gil_scoped_release nogil;
          avg_pool2d_nhwc_forward<T>(g, px, py_, count_include_pad);
        });
      },
      py::arg("x"), py::arg("out"), py::arg("kernel_h"), py::arg("kernel_w"), py::arg("stride_h"),
      py::arg("stride_w"), py::arg("pad_top"), py::arg("pad_bottom"), py::arg("pad_left"),
      py::arg("pad_right"), py::arg("count_include_pad"),
      "out = mean over windows of x (N, H, W, C); the divisor counts the padding or not.");
  m.def(
      "avg_pool2d_nhwc_backward",
      [](const py::array& dy, const py::array& dx, int64_t kh, int64_t kw, int64_t sh,
         int64_t sw, int64_t pt, int64_t pb, int64_t pl, int64_t pr, bool count_include_pad) {
        const char* op = "avg_pool2d_nhwc_backward";
        const PoolNhwcGeom g = pool_geom(op, shape_of(dx), kh, kw, sh, sw, {pt, pb, pl, pr});
        check_dtypes(dy, dx, op, "grad", "out");
        check_shape_is(dy, {g.n, g.oh, g.ow, g.c}, op, "grad");
        PE_NHWC_FLOAT_SWITCH(dy, op, {
          const T* pdy = array_ptr<T>(dy, op, "grad");
          T* pdx = array_ptr<T>(dx, op, "out", true);
          check_no_overlap(op, dx, "out", dy, "grad");
          py::gil_scoped_release nogil;
          avg_pool2d_nhwc_backward<T>(g, pdy, pdx, count_include_pad);
        });
      },
      py::arg("grad"), py::arg("out"), py::arg("kernel_h"), py::arg("kernel_w"),
      py::arg("stride_h"), py::arg("stride_w"), py::arg("pad_top"), py::arg("pad_bottom"),
      py::arg("pad_left"), py::arg("pad_right"), py::arg("count_include_pad"),
      "out (N, H, W, C) = gradient of avg_pool2d_nhwc_forward w.r.t. its input.");
}

}  // namespace pyengine
