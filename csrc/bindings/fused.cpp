// Binding of the fused MLP trainer (csrc/fused): type-checks every argument (each list element
// must be a float32 array or None where allowed), validates shapes, row indices and sparse labels
// before touching memory, then releases the GIL for the whole run of batches.
#include <pybind11/numpy.h>
#include <pybind11/stl.h>

#include <algorithm>
#include <cmath>
#include <string>
#include <utility>
#include <vector>

#include "bindings/array_args.h"
#include "bindings/bindings.h"
#include "fused/mlp_train.h"

namespace pyengine {
namespace py = pybind11;

namespace {

// By value: a list element arrives as a temporary handle, so a reference to it would dangle
// (ASan: stack-use-after-scope in the layer loop below).
py::array as_array(const py::handle& h, const char* op, const std::string& name) {
  return array_arg(h, op, name.c_str());
}

float* opt_array(const py::handle& h, const char* op, const std::string& name, int64_t n) {
  if (h.is_none()) return nullptr;
  const py::array a = as_array(h, op, name);
  float* p = array_ptr<float>(a, op, name.c_str(), true);
  check(a.size() == n, op, name, " has ", a.size(), " elements, expected ", n);
  return p;
}

}  // namespace

void init_fused(py::module_& m) {
  m.def(
      "mlp_train",
      [](const py::array& x, const py::array& y, const py::array& idx, int64_t batch,
         const py::list& weights, const py::list& biases, const std::vector<int>& acts,
         const std::vector<float>& dropouts, const std::vector<bool>& trainable,
         const py::list& state1, const py::list& state2, int loss, int metric, int opt_kind,
         const std::vector<double>& hyper, int64_t step, uint64_t seed) {
        const char* op = "mlp_train";
        const size_t L = acts.size();
        check(L >= 1 && py::len(weights) == L && py::len(biases) == L && dropouts.size() == L &&
                  trainable.size() == L && py::len(state1) == 2 * L && py::len(state2) == 2 * L,
              op, "per-layer lists differ in length");
        check(x.ndim() == 2 && y.ndim() == 2 && idx.ndim() == 1, op,
              "expected x (n, in), y (n, k), idx (m,), got ", shape_text(shape_of(x)), ", ",
              shape_text(shape_of(y)), ", ", shape_text(shape_of(idx)));
        const float* px = array_ptr<float>(x, op, "x");
        const float* py_ = array_ptr<float>(y, op, "y");
        const int64_t* pidx = array_ptr<int64_t>(idx, op, "idx");
        const int64_t n = x.shape(0), ydim = y.shape(1), n_idx = idx.shape(0);
        check(y.shape(0) == n, op, "x has ", n, " rows but y has ", y.shape(0));
        check(batch >= 1, op, "batch size must be positive, got ", batch);
        for (int64_t i = 0; i < n_idx; ++i)
          check(pidx[i] >= 0 && pidx[i] < n, op, "row index ", pidx[i], " out of range [0, ", n,
                ")");
        check(loss >= 0 && loss <= 3 && metric >= 0 && metric <= 3 && opt_kind >= 0 &&
                  opt_kind <= 2,
              op, "bad loss / metric / optimizer code");
        check(hyper.size() == 6, op, "expected 6 hyperparameters");
        check(step >= 0, op, "step must be non-negative, got ", step);
        std::vector<MlpLayer> layers(L);
        int64_t width = x.shape(1);
        for (size_t l = 0; l < L; ++l) {
          const std::string nm = "layer " + std::to_string(l);
          const py::array w = as_array(weights[l], op, nm + " kernel");
          check(w.ndim() == 2 && w.shape(0) == width, op, nm, " kernel has shape ",
                shape_text(shape_of(w)), ", expected (", width, ", units)");
          MlpLayer& ly = layers[l];
          ly.in = width;
          ly.out = w.shape(1);
          ly.w = array_ptr<float>(w, op, "kernel", true);
          ly.b = opt_array(biases[l], op, nm + " bias", ly.out);
          check(acts[l] >= 0 && acts[l] <= 4, op, "bad activation code ", acts[l]);
          ly.act = static_cast<MlpAct>(acts[l]);
          check(dropouts[l] >= 0.f && dropouts[l] < 1.f, op, "dropout rate must be in [0, 1)");
          ly.dropout = dropouts[l];
          ly.trainable = trainable[l];
          ly.w_s1 = opt_array(state1[2 * l], op, nm + " kernel state", ly.in * ly.out);
          ly.w_s2 = opt_array(state2[2 * l], op, nm + " kernel state", ly.in * ly.out);
          ly.b_s1 = opt_array(state1[2 * l + 1], op, nm + " bias state", ly.out);
          ly.b_s2 = opt_array(state2[2 * l + 1], op, nm + " bias state", ly.out);
          const bool need1 = ly.trainable && (opt_kind == 1 || opt_kind == 2 || hyper[1] != 0.0);
          const bool need2 = ly.trainable && (opt_kind == 1 || (opt_kind == 2 && hyper[1] != 0.0));
          check(!need1 || (ly.w_s1 && (!ly.b || ly.b_s1)), op, nm, " is missing optimizer state");
          check(!need2 || (ly.w_s2 && (!ly.b || ly.b_s2)), op, nm, " is missing optimizer state");
          width = ly.out;
        }
        // Every kernel, bias and optimizer state is written in place while x, y, idx and the
        // other layers' arrays are read: none may share memory with another.
        std::vector<std::pair<py::handle, std::string>> outs;
        for (size_t l = 0; l < L; ++l) {
          const std::string nm = "layer " + std::to_string(l);
          outs.emplace_back(weights[l], nm + " kernel");
          outs.emplace_back(biases[l], nm + " bias");
          for (int s = 0; s < 2; ++s) {
            outs.emplace_back(state1[2 * l + s], nm + (s ? " bias" : " kernel") + " state");
            outs.emplace_back(state2[2 * l + s], nm + (s ? " bias" : " kernel") + " state 2");
          }
        }
        for (size_t i = 0; i < outs.size(); ++i) {
          if (outs[i].first.is_none()) continue;
          const py::array o = as_array(outs[i].first, op, outs[i].second);
          check_no_overlap(op, o, outs[i].second.c_str(), x, "x");
          check_no_overlap(op, o, outs[i].second.c_str(), y, "y");
          check_no_overlap(op, o, outs[i].second.c_str(), idx, "idx");
          for (size_t j = i + 1; j < outs.size(); ++j)
            check_no_overlap(op, o, outs[i].second.c_str(), outs[j].first,
                             outs[j].second.c_str());
        }
        // A batch larger than the rows trained on is one batch of them all; the kernel sizes its
        // buffers by the batch, so use the real one (batch = 2**62 wrapped batch * width to 0).
        batch = std::min<int64_t>(batch, std::max<int64_t>(n_idx, 1));
        int64_t widest = x.shape(1);
        for (const MlpLayer& ly : layers) {
          widest = std::max(widest, ly.out);
          numel_checked(op, "per-batch workspace", batch, ly.in, ly.out);
        }
        numel_checked(op, "per-batch workspace", batch, std::max(widest, ydim));
        const bool sparse = loss == static_cast<int>(MlpLoss::scce_logits);
        check(sparse ? ydim == 1 : ydim == width, op, "y has ", ydim,
              " columns, the model outputs ", width);
        if (sparse)  // every label used must be a class index of the output
          for (int64_t i = 0; i < n_idx; ++i) {
            const float v = py_[pidx[i]];
            check(std::floor(v) == v && v >= 0.f && v < static_cast<float>(width), op,
                  "sparse label ", v, " (row ", pidx[i], ") is not a class index in [0, ", width,
                  ")");
          }
        // hyper: lr, momentum, beta1 / rho, beta2, eps, nesterov
        MlpOptimizer opt{};
        opt.kind = static_cast<MlpOpt>(opt_kind);
        opt.sgd = SgdHyper{hyper[0], hyper[1], 0.0, 0.0, hyper[5] != 0.0, false};
        opt.adam = AdamHyper{hyper[0], hyper[2], hyper[3], hyper[4], 0.0, false, false, false};
        opt.rmsprop = RmspropHyper{hyper[0], hyper[2], hyper[4], 0.0, hyper[1], false, false};
        opt.step = step;
        MlpStats st;
        {
          py::gil_scoped_release nogil;
          mlp_train(layers, opt, px, py_, ydim, pidx, n_idx, batch, static_cast<MlpLoss>(loss),
                    static_cast<MlpMetric>(metric), seed, st);
        }
        return py::make_tuple(st.loss_sum, st.correct, st.rows, st.batches, st.nonfinite);
      },
      py::arg("x"), py::arg("y"), py::arg("idx"), py::arg("batch_size"), py::arg("kernels"),
      py::arg("biases"), py::arg("activations"), py::arg("dropouts"), py::arg("trainable"),
      py::arg("state1"), py::arg("state2"), py::arg("loss"), py::arg("metric"),
      py::arg("optimizer"), py::arg("hyper"), py::arg("step"), py::arg("seed"),
      "Trains a Dense-only MLP on x[idx] in batches, in place; returns (loss_sum, hits, rows, "
      "batches, nonfinite). See csrc/fused/mlp_train.h.");
}

}  // namespace pyengine
