// Bindings of the fused loss kernels: per-row / per-element loss and, optionally, its gradient.
#include <pybind11/numpy.h>

#include <string>
#include <utility>

#include "bindings/array_args.h"
#include "bindings/bindings.h"
#include "bindings/lazy_checks.h"
#include "loss/loss.h"

namespace pyengine {
namespace py = pybind11;

namespace {

// Optional array argument: null for None, else validated like any input.
template <class T>
T* opt_ptr(const py::object& o, const py::array& like, const char* op, const char* name,
           bool writeable = false) {
  if (o.is_none()) return nullptr;
  py::array a = array_arg(o, op, name);
  T* p = array_ptr<T>(a, op, name, writeable);
  PE_SAME_SHAPE(like, a, op, "input", name);
  return p;
}

// Returns (denom, total): denom is the 'mean' divisor (the non-ignored rows' count, or their
// summed class weights; N for probability targets), total the sum of the per-row losses
// (double accumulation, row order). With mean_scale the gradient is also divided by denom (when
// it is not 0), so the op needs no pass of its own over the targets or the loss.
template <class T>
double row_total(const T* loss, int64_t n) {
  double t = 0.0;
  for (int64_t i = 0; i < n; ++i) t += static_cast<double>(loss[i]);
  return t;
}

template <class T>
py::tuple xent_t(const py::array& z, const py::array& target, const py::object& weight,
                 double smoothing, int64_t ignore_index, double grad_scale, const py::array& loss,
                 const py::object& grad, bool mean_scale) {
  const char* op = "cross_entropy";
  if (z.ndim() != 2) fail(op, "logits must be (N, C), got ", shape_text(shape_of(z)));
  const int64_t n = z.shape(0), c = z.shape(1);
  if (c < 1) fail(op, "need at least one class, got shape ", shape_text(shape_of(z)));
  const T* pz = array_ptr<T>(z, op, "input");
  T* pl = array_ptr<T>(loss, op, "loss", true);
  PE_CHECK(loss.ndim() == 1 && loss.shape(0) == n, op, "loss must be (", n, ",), got ",
        shape_text(shape_of(loss)));
  T* pg = opt_ptr<T>(grad, z, op, "grad", true);
  const T* pw = nullptr;
  if (!weight.is_none()) {
    py::array w = array_arg(weight, op, "weight");
    pw = array_ptr<T>(w, op, "weight");
    PE_CHECK(w.ndim() == 1 && w.shape(0) == c, op, "weight must be (", c, ",), got ",
          shape_text(shape_of(w)));
  }
  check_no_overlap(op, loss, "loss", z, "input");
  check_no_overlap(op, loss, "loss", target, "target");
  check_no_overlap(op, loss, "loss", weight, "weight");
  check_no_overlap(op, loss, "loss", grad, "grad");
  if (!grad.is_none()) {
    const py::array ga = py::reinterpret_borrow<py::array>(grad);  // checked by opt_ptr
    check_no_overlap(op, ga, "grad", z, "input");
    check_no_overlap(op, ga, "grad", target, "target");
    check_no_overlap(op, ga, "grad", weight, "weight");
  }
  check(smoothing >= 0.0 && smoothing <= 1.0, op, "label_smoothing must be in [0, 1], got ",
        smoothing);
  if (same_dtype(target.dtype(), py::dtype::of<int64_t>())) {
    PE_CHECK(target.ndim() == 1 && target.shape(0) == n, op, "target must be (", n, ",), got ",
          shape_text(shape_of(target)));
    check(target.flags() & py::array::c_style, op, "target must be C-contiguous");
    const int64_t* py_ = static_cast<const int64_t*>(target.data());
    double denom = 0.0;
    for (int64_t i = 0; i < n; ++i) {
      if (py_[i] == ignore_index) continue;
      check(py_[i] >= 0 && py_[i] < c, op, "target ", py_[i], " is out of bounds for ", c,
            " classes (sample ", i, ")");
      denom += pw ? static_cast<double>(pw[py_[i]]) : 1.0;
    }
    if (mean_scale && denom != 0.0) grad_scale /= denom;
    {
      py::gil_scoped_release nogil;
      softmax_xent_index<T>(pz, py_, pw, smoothing, ignore_index, grad_scale, pl, pg, n, c);
    }
    return py::make_tuple(denom, row_total(pl, n));
  }
  const T* pt = array_ptr<T>(target, op, "target");
  PE_SAME_SHAPE(z, target, op, "input", "target");
  const double denom = static_cast<double>(n);
  if (mean_scale && denom != 0.0) grad_scale /= denom;
  {
    py::gil_scoped_release nogil;
    softmax_xent_prob<T>(pz, pt, pw, smoothing, grad_scale, pl, pg, n, c);
  }
  return py::make_tuple(denom, row_total(pl, n));
}

template <class T>
void bce_t(bool logits, const py::array& x, const py::array& y, const py::object& weight,
           const py::object& pos_weight, const py::array& loss, const py::object& grad) {
  const char* op = logits ? "binary_cross_entropy_with_logits" : "binary_cross_entropy";
  const T* px = array_ptr<T>(x, op, "input");
  const T* py_ = array_ptr<T>(y, op, "target");
  PE_SAME_SHAPE(x, y, op, "input", "target");
  T* pl = array_ptr<T>(loss, op, "loss", true);
  PE_SAME_SHAPE(x, loss, op, "input", "loss");
  T* pg = opt_ptr<T>(grad, x, op, "grad", true);
  const T* pw = opt_ptr<T>(weight, x, op, "weight");
  const T* ppw = opt_ptr<T>(pos_weight, x, op, "pos_weight");
  const std::pair<py::handle, const char*> ins[] = {
      {x, "input"}, {y, "target"}, {weight, "weight"}, {pos_weight, "pos_weight"}};
  for (const auto& [in, name] : ins) {
    check_no_overlap(op, loss, "loss", in, name);
    if (pg) check_no_overlap(op, py::reinterpret_borrow<py::array>(grad), "grad", in, name);
  }
  check_no_overlap(op, loss, "loss", grad, "grad");
  const int64_t n = x.size();
  if (!logits) {  // as PyTorch: probabilities outside [0, 1] are an error, not a loss. A NaN
    // (a diverged model) gives a NaN loss instead, so training loops stop on it as they do for
    // every other loss (keras' fit raises FloatingPointError naming the batch).
    for (int64_t i = 0; i < n; ++i)
      if (px[i] < T(0) || px[i] > T(1))
        fail(op, "all elements of input should be between 0 and 1, got ", px[i], " at flat index ",
             i, " (use binary_cross_entropy_with_logits for logits)");
  }
  py::gil_scoped_release nogil;
  if (logits) bce_logits<T>(px, py_, pw, ppw, pl, pg, n);
  else bce<T>(px, py_, pw, pl, pg, n);
}

}  // namespace

void init_loss(py::module_& m) {
  m.def(
      "softmax_cross_entropy",
      [](const py::array& z, const py::array& target, const py::object& weight, double smoothing,
         int64_t ignore_index, const py::array& loss, const py::object& grad, double grad_scale,
         bool mean_scale) {
        if (is_double(z, "cross_entropy"))
          return xent_t<double>(z, target, weight, smoothing, ignore_index, grad_scale, loss, grad,
                                mean_scale);
        return xent_t<float>(z, target, weight, smoothing, ignore_index, grad_scale, loss, grad,
                             mean_scale);
      },
      py::arg("input"), py::arg("target"), py::arg("weight"), py::arg("label_smoothing"),
      py::arg("ignore_index"), py::arg("loss"), py::arg("grad"), py::arg("grad_scale") = 1.0,
      py::arg("mean_scale") = false,
      "Per-row cross-entropy of softmax(input) (N, C) against int64 class indices (N,) or "
      "probabilities (N, C); writes grad_scale * d loss_i / d input_i into grad unless it is "
      "None (divided by denom too with mean_scale). Returns (denom, total): the mean's divisor "
      "(non-ignored rows, or their summed class weights; N for probabilities) and the sum of "
      "the per-row losses (double).");
  m.def(
      "binary_cross_entropy",
      [](const py::array& x, const py::array& y, const py::object& weight, const py::array& loss,
         const py::object& grad) {
        if (is_double(x, "binary_cross_entropy"))
          bce_t<double>(false, x, y, weight, py::none(), loss, grad);
        else
          bce_t<float>(false, x, y, weight, py::none(), loss, grad);
      },
      py::arg("input"), py::arg("target"), py::arg("weight"), py::arg("loss"), py::arg("grad"));
  m.def(
      "binary_cross_entropy_with_logits",
      [](const py::array& x, const py::array& y, const py::object& weight,
         const py::object& pos_weight, const py::array& loss, const py::object& grad) {
        if (is_double(x, "binary_cross_entropy_with_logits"))
          bce_t<double>(true, x, y, weight, pos_weight, loss, grad);
        else
          bce_t<float>(true, x, y, weight, pos_weight, loss, grad);
      },
      py::arg("input"), py::arg("target"), py::arg("weight"), py::arg("pos_weight"),
      py::arg("loss"), py::arg("grad"));
}

}  // namespace pyengine
