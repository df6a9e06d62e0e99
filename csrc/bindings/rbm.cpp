// Bindings of the RBM kernels (csrc/rbm): rbm_layer, rbm_cd_step, rbm_cd_epoch, rbm_uniform. Every array is
// checked (dtype, C order, shape, writeability, no output overlapping another array) before the
// kernel touches memory; the kernels run without the GIL.
#include <pybind11/numpy.h>

#include <cstdint>
#include <string>
#include <vector>

#include "bindings/array_args.h"
#include "bindings/bindings.h"
#include "rbm/rbm.h"

namespace pyengine {
namespace py = pybind11;

namespace {

rbm::Unit parse_unit(const std::string& name, const char* op) {
  if (name == "bernoulli") return rbm::Unit::bernoulli;
  if (name == "gaussian") return rbm::Unit::gaussian;
  fail(op, "unknown unit type '", name, "'; valid: bernoulli, gaussian");
}

void check_shape(const py::array& a, std::vector<long long> want, const char* op,
                 const char* name) {
  check(shape_of(a) == want, op, name, " has shape ", shape_text(shape_of(a)), ", expected ",
        shape_text(want));
}

// Byte ranges of the arrays given; an output may share no byte with any other array.
struct Ranges {
  std::vector<std::pair<const char*, const char*>> spans;
  std::vector<const char*> names;
  void add(const py::array& a, const char* name) {
    const char* p = static_cast<const char*>(a.data());
    spans.emplace_back(p, p + a.nbytes());
    names.push_back(name);
  }
  void check_output(size_t idx, const char* op) const {
    for (size_t j = 0; j < spans.size(); ++j) {
      if (j == idx || spans[idx].first == spans[idx].second || spans[j].first == spans[j].second)
        continue;
      check(spans[idx].second <= spans[j].first || spans[j].second <= spans[idx].first, op,
            names[idx], " overlaps ", names[j], " in memory");
    }
  }
};

template <class T>
void layer_t(const py::array& x, const py::array& w, bool w_rows_are_outputs,
             const py::array& bias, const py::array& mean, const py::object& sample,
             rbm::Unit unit, uint64_t seed, uint64_t stream) {
  const char* op = "rbm_layer";
  const T* px = array_ptr<T>(x, op, "x");
  const T* pw = array_ptr<T>(w, op, "w");
  const T* pb = array_ptr<T>(bias, op, "bias");
  T* pm = array_ptr<T>(mean, op, "mean", true);
  check(x.ndim() == 2 && w.ndim() == 2, op, "x and w must be 2-D, got ", shape_text(shape_of(x)),
        " and ", shape_text(shape_of(w)));
  const long long rows = x.shape(0), n_in = x.shape(1);
  const long long n_out = w_rows_are_outputs ? w.shape(0) : w.shape(1);
  const long long w_in = w_rows_are_outputs ? w.shape(1) : w.shape(0);
  check(w_in == n_in, op, "x has ", n_in, " features but w expects ", w_in, " (w shape ",
        shape_text(shape_of(w)), ")");
  check_shape(bias, {n_out}, op, "bias");
  check_shape(mean, {rows, n_out}, op, "mean");
  Ranges rg;
  rg.add(x, "x");
  rg.add(w, "w");
  rg.add(bias, "bias");
  rg.add(mean, "mean");
  T* ps = nullptr;
  if (!sample.is_none()) {
    const py::array s = array_arg(sample, op, "sample");  // never a converted copy (lost)
    ps = array_ptr<T>(s, op, "sample", true);
    check_shape(s, {rows, n_out}, op, "sample");
    rg.add(s, "sample");
    rg.check_output(4, op);
  }
  rg.check_output(3, op);
  py::gil_scoped_release nogil;
  rbm::layer<T>(unit, rows, n_in, n_out, px, pw, w_rows_are_outputs, pb, pm, ps, seed, stream);
}

// One update (bounds None) or one epoch of updates on the batches bounds[b] .. bounds[b + 1]
// of v (bounds: int64, from 0 to v's rows, strictly increasing).
template <class T>
double cd_step_t(const py::array& v, const py::array& w, const py::array& b_h,
                 const py::array& b_v, const py::array& vel_w, const py::array& vel_h,
                 const py::array& vel_v, const py::object& chain, const rbm::CdParams<T>& prm,
                 const py::object& bounds, const char* op) {
  const T* pv = array_ptr<T>(v, op, "v");
  T* pw = array_ptr<T>(w, op, "w", true);
  T* pbh = array_ptr<T>(b_h, op, "b_h", true);
  T* pbv = array_ptr<T>(b_v, op, "b_v", true);
  T* pvw = array_ptr<T>(vel_w, op, "vel_w", true);
  T* pvh = array_ptr<T>(vel_h, op, "vel_h", true);
  T* pvv = array_ptr<T>(vel_v, op, "vel_v", true);
  check(v.ndim() == 2 && w.ndim() == 2, op, "v and w must be 2-D, got ", shape_text(shape_of(v)),
        " and ", shape_text(shape_of(w)));
  const long long batch = v.shape(0), nv = v.shape(1), nh = w.shape(0);
  check(batch >= 1, op, "empty batch");
  check(w.shape(1) == nv, op, "v has ", nv, " features but w has shape ", shape_text(shape_of(w)));
  check_shape(b_h, {nh}, op, "b_h");
  check_shape(b_v, {nv}, op, "b_v");
  check_shape(vel_w, {nh, nv}, op, "vel_w");
  check_shape(vel_h, {nh}, op, "vel_h");
  check_shape(vel_v, {nv}, op, "vel_v");
  check(prm.k >= 1, op, "k must be >= 1, got ", prm.k);
  Ranges rg;
  rg.add(v, "v");
  rg.add(w, "w");
  rg.add(b_h, "b_h");
  rg.add(b_v, "b_v");
  rg.add(vel_w, "vel_w");
  rg.add(vel_h, "vel_h");
  rg.add(vel_v, "vel_v");
  T* pc = nullptr;
  long long chain_rows = 0;
  check(prm.persistent == !chain.is_none(), op,
        prm.persistent ? "persistent CD needs a chain" : "a chain is only used by persistent CD");
  if (!chain.is_none()) {
    const py::array c = array_arg(chain, op, "chain");
    pc = array_ptr<T>(c, op, "chain", true);
    check(c.ndim() == 2 && c.shape(1) == nh && c.shape(0) >= 1, op, "chain has shape ",
          shape_text(shape_of(c)), ", expected (rows >= 1, ", nh, ")");
    chain_rows = c.shape(0);
    rg.add(c, "chain");
  }
  for (size_t i = 1; i < rg.spans.size(); ++i) rg.check_output(i, op);
  if (bounds.is_none()) {
    py::gil_scoped_release nogil;
    return rbm::cd_step<T>(prm, batch, nv, nh, pv, pw, pbh, pbv, pvw, pvh, pvv, pc, chain_rows);
  }
  const py::array bd = bounds.cast<py::array>();
  check(bd.ndim() == 1 && bd.shape(0) >= 2, op, "bounds must be 1-D with at least 2 entries, "
        "got shape ", shape_text(shape_of(bd)));
  check(same_dtype(bd.dtype(), py::dtype::of<int64_t>()) && (bd.flags() & py::array::c_style), op,
        "bounds must be a C-contiguous int64 array");
  const int64_t* pb = static_cast<const int64_t*>(bd.data());
  const int64_t nb = bd.shape(0) - 1;
  check(pb[0] == 0 && pb[nb] == batch, op, "bounds must run from 0 to ", batch, ", got ", pb[0],
        " .. ", pb[nb]);
  for (int64_t b = 0; b < nb; ++b)
    check(pb[b + 1] > pb[b], op, "bounds must be strictly increasing (empty batch ", b, ")");
  std::vector<int64_t> own(pb, pb + nb + 1);  // the kernel runs without the GIL
  py::gil_scoped_release nogil;
  return rbm::cd_epoch<T>(prm, nb, own.data(), nv, nh, pv, pw, pbh, pbv, pvw, pvh, pvv, pc,
                          chain_rows);
}

void layer_entry(const py::array& x, const py::array& w, bool w_rows_are_outputs,
                 const py::array& bias, const py::array& mean, const py::object& sample,
                 const std::string& unit, uint64_t seed, uint64_t stream) {
  const rbm::Unit u = parse_unit(unit, "rbm_layer");
  if (is_double(mean, "rbm_layer"))
    layer_t<double>(x, w, w_rows_are_outputs, bias, mean, sample, u, seed, stream);
  else
    layer_t<float>(x, w, w_rows_are_outputs, bias, mean, sample, u, seed, stream);
}

template <class T>
rbm::CdParams<T> make_params(int k, bool persistent, rbm::Unit visible, double lr, double momentum,
                             double weight_decay, double sparsity_target, double sparsity_cost,
                             uint64_t seed, uint64_t stream) {
  return rbm::CdParams<T>{k, persistent, visible, T(lr), T(momentum), T(weight_decay),
                          T(sparsity_target), T(sparsity_cost), seed, stream};
}

double cd_any(const py::array& v, const py::array& w, const py::array& b_h,
              const py::array& b_v, const py::array& vel_w, const py::array& vel_h,
              const py::array& vel_v, const py::object& chain, int k, const std::string& visible,
              double lr, double momentum, double weight_decay, double sparsity_target,
              double sparsity_cost, uint64_t seed, uint64_t stream, const py::object& bounds,
              const char* op) {
  const rbm::Unit u = parse_unit(visible, op);
  const bool pers = !chain.is_none();
  if (is_double(w, op))
    return cd_step_t<double>(v, w, b_h, b_v, vel_w, vel_h, vel_v, chain,
                             make_params<double>(k, pers, u, lr, momentum, weight_decay,
                                                 sparsity_target, sparsity_cost, seed, stream),
                             bounds, op);
  return cd_step_t<float>(v, w, b_h, b_v, vel_w, vel_h, vel_v, chain,
                          make_params<float>(k, pers, u, lr, momentum, weight_decay,
                                             sparsity_target, sparsity_cost, seed, stream),
                          bounds, op);
}

double cd_step_entry(const py::array& v, const py::array& w, const py::array& b_h,
                     const py::array& b_v, const py::array& vel_w, const py::array& vel_h,
                     const py::array& vel_v, const py::object& chain, int k,
                     const std::string& visible, double lr, double momentum, double weight_decay,
                     double sparsity_target, double sparsity_cost, uint64_t seed,
                     uint64_t stream) {
  return cd_any(v, w, b_h, b_v, vel_w, vel_h, vel_v, chain, k, visible, lr, momentum,
                weight_decay, sparsity_target, sparsity_cost, seed, stream, py::none(),
                "rbm_cd_step");
}

double cd_epoch_entry(const py::array& x, const py::array& bounds, const py::array& w,
                      const py::array& b_h, const py::array& b_v, const py::array& vel_w,
                      const py::array& vel_h, const py::array& vel_v, const py::object& chain,
                      int k, const std::string& visible, double lr, double momentum,
                      double weight_decay, double sparsity_target, double sparsity_cost,
                      uint64_t seed, uint64_t stream) {
  return cd_any(x, w, b_h, b_v, vel_w, vel_h, vel_v, chain, k, visible, lr, momentum,
                weight_decay, sparsity_target, sparsity_cost, seed, stream, bounds,
                "rbm_cd_epoch");
}

void uniform_entry(const py::array& out, uint64_t seed, uint64_t stream) {
  if (is_double(out, "rbm_uniform")) {
    double* p = array_ptr<double>(out, "rbm_uniform", "out", true);
    py::gil_scoped_release nogil;
    rbm::uniform_stream<double>(p, out.size(), seed, stream);
  } else {
    float* p = array_ptr<float>(out, "rbm_uniform", "out", true);
    py::gil_scoped_release nogil;
    rbm::uniform_stream<float>(p, out.size(), seed, stream);
  }
}

}  // namespace

void init_rbm(py::module_& m) {
  m.def("rbm_layer", &layer_entry, py::arg("x"), py::arg("w"), py::arg("w_rows_are_outputs"),
        py::arg("bias"), py::arg("mean"), py::arg("sample"), py::arg("unit"), py::arg("seed"),
        py::arg("stream"),
        "mean = unit(x @ W' + bias) (W' = w.T when w_rows_are_outputs), and a sample of the units "
        "into `sample` unless None; Philox(seed, stream) random numbers. Bitwise identical for "
        "any thread count.");
  m.def("rbm_cd_step", &cd_step_entry, py::arg("v"), py::arg("w"), py::arg("b_h"),
        py::arg("b_v"), py::arg("vel_w"), py::arg("vel_h"), py::arg("vel_v"), py::arg("chain"),
        py::arg("k"), py::arg("visible"), py::arg("learning_rate"), py::arg("momentum"),
        py::arg("weight_decay"), py::arg("sparsity_target"), py::arg("sparsity_cost"),
        py::arg("seed"), py::arg("stream"),
        "One CD-k (chain None) or persistent-CD update of w, b_h, b_v in place (rbm.h); returns "
        "the batch's summed squared reconstruction error (CD) or 0 (PCD).");
  m.def("rbm_cd_epoch", &cd_epoch_entry, py::arg("x"), py::arg("bounds"), py::arg("w"),
        py::arg("b_h"), py::arg("b_v"), py::arg("vel_w"), py::arg("vel_h"), py::arg("vel_v"),
        py::arg("chain"), py::arg("k"), py::arg("visible"), py::arg("learning_rate"),
        py::arg("momentum"), py::arg("weight_decay"), py::arg("sparsity_target"),
        py::arg("sparsity_cost"), py::arg("seed"), py::arg("stream"),
        "One epoch: rbm_cd_step on x[bounds[b]:bounds[b + 1]] for every b in order, batch b on "
        "streams stream + b * (2k + 2) onwards (bitwise the same as those calls); returns the "
        "summed errors.");
  m.def("rbm_uniform", &uniform_entry, py::arg("out"), py::arg("seed"), py::arg("stream"),
        "out.flat[i] = the uniform [0, 1) number of element i of Philox(seed, stream).");
}

}  // namespace pyengine
