// Bindings of the fused optimizer updates: one call updates every parameter of a group.
// Each takes parallel lists (params, grads, state buffers...), validates every array before any
// is touched (dtype, C order, writeable, matching shapes), then releases the GIL and loops.
#include <pybind11/numpy.h>
#include <pybind11/stl.h>

#include <algorithm>
#include <climits>
#include <cmath>
#include <string>
#include <vector>

#include "bindings/array_args.h"
#include "bindings/bindings.h"
#include "optim/optim.h"
#include "optim/optim_extra.h"

namespace pyengine {
namespace py = pybind11;

namespace {

// One tensor of a group, validated: raw pointers (null for an absent optional buffer).
struct Slot {
  bool dbl;
  int64_t n;
  void* p;
  const void* g;
  void* s[3];
};

// dtype of a validated array: 0 float32, 1 float64, -1 anything else.
int float_type(const py::array& a) {
  const int num = a.dtype().num();
  if (num == py::detail::npy_api::NPY_FLOAT_) return 0;
  if (num == py::detail::npy_api::NPY_DOUBLE_) return 1;
  return -1;
}

const char* const kTypeNames[] = {"float32", "float64"};

// Checks one array of tensor i against its parameter (dtype, C order, shape, writeability) and
// returns its data. Messages are built only on failure: this runs for every array every step.
void* checked(const char* op, py::handle h, const char* what, size_t i, int ftype,
              const py::array* like, bool writeable) {
  if (!py::isinstance<py::array>(h))
    fail(op, what, " ", i, " is not an array but ", std::string(py::str(py::type::handle_of(h))));
  auto a = py::reinterpret_borrow<py::array>(h);
  const int t = float_type(a);
  if (t != ftype) {
    throw py::type_error(std::string("[") + op + "] " + what + " " + std::to_string(i) +
                         " must be " + kTypeNames[ftype] + " like its parameter, got " +
                         std::string(py::str(a.dtype())));
  }
  check(a.flags() & py::array::c_style, op, what, " ", i, " must be C-contiguous");
  check(a.flags() & kNpyAligned, op, what, " ", i, " is not aligned to its item size");
  if (writeable) check(a.writeable(), op, what, " ", i, " must be writeable");
  if (like && (a.ndim() != like->ndim() ||
               !std::equal(a.shape(), a.shape() + a.ndim(), like->shape())))
    fail(op, "param ", i, " and ", what, " ", i, " shapes differ: ", shape_text(shape_of(*like)),
         " vs ", shape_text(shape_of(a)));
  return const_cast<void*>(a.data());
}

// Validates params[i], grads[i] and states[k][i]; `optional[k]` lets states[k][i] be None.
// state_at(k, i): state buffer k of param i (None when absent); n_states of them per param.
template <class StateAt>
std::vector<Slot> collect_slots(const char* op, const py::list& params, const py::list& grads,
                                size_t n_states, StateAt state_at,
                                const std::vector<bool>& optional) {
  static const char* const kStateNames[] = {"state 0 of param", "state 1 of param",
                                            "state 2 of param"};
  const size_t n = params.size();
  std::vector<Slot> slots(n);
  for (size_t i = 0; i < n; ++i) {
    py::handle ph = params[i];
    if (!py::isinstance<py::array>(ph))
      fail(op, "param ", i, " is not an array but ", std::string(py::str(py::type::handle_of(ph))));
    auto p = py::reinterpret_borrow<py::array>(ph);
    const int ft = float_type(p);
    if (ft < 0)
      throw py::type_error(std::string("[") + op + "] param " + std::to_string(i) +
                           " must be float32 or float64, got " + std::string(py::str(p.dtype())));
    Slot& s = slots[i];
    s.dbl = ft == 1;
    s.n = p.size();
    s.p = checked(op, ph, "param", i, ft, nullptr, true);
    s.g = checked(op, grads[i], "grad", i, ft, &p, false);
    for (size_t k = 0; k < 3; ++k) s.s[k] = nullptr;
    for (size_t k = 0; k < n_states; ++k) {
      py::handle h = state_at(k, i);
      if (h.is_none()) {
        check(optional[k], op, "state ", k, " of param ", i, " is None");
        continue;
      }
      s.s[k] = checked(op, h, kStateNames[k], i, ft, &p, true);
      // The update reads the grad and the other states while writing these: no sharing.
      const py::array st = py::reinterpret_borrow<py::array>(h);
      check_no_overlap(op, st, kStateNames[k], ph, "its param");
      check_no_overlap(op, st, kStateNames[k], grads[i], "its grad");
      for (size_t k2 = 0; k2 < k; ++k2)
        check_no_overlap(op, st, kStateNames[k], state_at(k2, i), "another state of that param");
    }
    if (!params.is(grads))  // clip_grad_norm passes one list as both: it scales in place
      check_no_overlap(op, p, "param", grads[i], "its grad");
  }
  return slots;
}

std::vector<Slot> collect(const char* op, const py::list& params, const py::list& grads,
                          const std::vector<py::list>& states,
                          const std::vector<bool>& optional) {
  const size_t n = params.size();
  check(grads.size() == n, op, "got ", n, " params but ", grads.size(), " grads");
  for (size_t k = 0; k < states.size(); ++k)
    check(states[k].size() == n, op, "got ", n, " params but ", states[k].size(),
          " entries in state list ", k);
  return collect_slots(
      op, params, grads, states.size(),
      [&](size_t k, size_t i) -> py::handle { return states[k][i]; }, optional);
}

template <class T>
T* as(void* p) {
  return static_cast<T*>(p);
}
template <class T>
const T* as(const void* p) {
  return static_cast<const T*>(p);
}

void check_steps(const char* op, const std::vector<int64_t>& steps, size_t n) {
  check(steps.size() == n, op, "got ", n, " params but ", steps.size(), " step counts");
  for (int64_t s : steps) check(s >= 1, op, "step counts start at 1, got ", s);
}

// ---- the per-tensor loops, shared by the list entries (*_step) and the foreach entries -------
void run_sgd(const SgdHyper& h, const std::vector<Slot>& slots, const std::vector<bool>& fresh) {
  for (size_t i = 0; i < slots.size(); ++i) {
    const Slot& s = slots[i];
    const bool f = !fresh.empty() && fresh[i];
    if (s.dbl) sgd_update(h, as<double>(s.p), as<double>(s.g), as<double>(s.s[0]), f, s.n);
    else sgd_update(h, as<float>(s.p), as<float>(s.g), as<float>(s.s[0]), f, s.n);
  }
}

void run_adam(const AdamHyper& h, const std::vector<Slot>& slots,
              const std::vector<int64_t>& steps) {
  for (size_t i = 0; i < slots.size(); ++i) {
    const Slot& s = slots[i];
    if (s.dbl)
      adam_update(h, steps[i], as<double>(s.p), as<double>(s.g), as<double>(s.s[0]),
                  as<double>(s.s[1]), h.amsgrad ? as<double>(s.s[2]) : nullptr, s.n);
    else
      adam_update(h, steps[i], as<float>(s.p), as<float>(s.g), as<float>(s.s[0]),
                  as<float>(s.s[1]), h.amsgrad ? as<float>(s.s[2]) : nullptr, s.n);
  }
}

void run_rmsprop(const RmspropHyper& h, const std::vector<Slot>& slots) {
  const bool centered = h.centered, mom = h.momentum != 0.0;
  for (const Slot& s : slots) {
    if (s.dbl)
      rmsprop_update(h, as<double>(s.p), as<double>(s.g), as<double>(s.s[0]),
                     centered ? as<double>(s.s[1]) : nullptr, mom ? as<double>(s.s[2]) : nullptr,
                     s.n);
    else
      rmsprop_update(h, as<float>(s.p), as<float>(s.g), as<float>(s.s[0]),
                     centered ? as<float>(s.s[1]) : nullptr, mom ? as<float>(s.s[2]) : nullptr,
                     s.n);
  }
}

void run_adagrad(const AdagradHyper& h, const std::vector<Slot>& slots,
                 const std::vector<int64_t>& steps) {
  for (size_t i = 0; i < slots.size(); ++i) {
    const Slot& s = slots[i];
    if (s.dbl)
      adagrad_update(h, steps[i], as<double>(s.p), as<double>(s.g), as<double>(s.s[0]), s.n);
    else
      adagrad_update(h, steps[i], as<float>(s.p), as<float>(s.g), as<float>(s.s[0]), s.n);
  }
}

void run_adadelta(const AdadeltaHyper& h, const std::vector<Slot>& slots) {
  for (const Slot& s : slots) {
    if (s.dbl)
      adadelta_update(h, as<double>(s.p), as<double>(s.g), as<double>(s.s[0]),
                      as<double>(s.s[1]), s.n);
    else
      adadelta_update(h, as<float>(s.p), as<float>(s.g), as<float>(s.s[0]), as<float>(s.s[1]),
                      s.n);
  }
}

void run_adamax(const AdamaxHyper& h, const std::vector<Slot>& slots,
                const std::vector<int64_t>& steps) {
  for (size_t i = 0; i < slots.size(); ++i) {
    const Slot& s = slots[i];
    if (s.dbl)
      adamax_update(h, steps[i], as<double>(s.p), as<double>(s.g), as<double>(s.s[0]),
                    as<double>(s.s[1]), s.n);
    else
      adamax_update(h, steps[i], as<float>(s.p), as<float>(s.g), as<float>(s.s[0]),
                    as<float>(s.s[1]), s.n);
  }
}

// ---- foreach: the optimizers' steady state in one call -----------------------------------
// params[i] / grads[i]: arrays, states[i]: the parameter's state dict (PyTorch's keys). The
// buffers named by `keys` (those with used[k]) are read from the dicts and, when `counted`, each
// dict's "step" is incremented here (steps gets the new counts), so the Python side does no
// per-parameter work. Returns false, having touched nothing, when the general path (which copies
// grads and creates state) is needed: a grad of another dtype or layout than its param needs, a
// state dict without one of the buffers, a step that is not a non-negative int. Everything else
// is validated by `collect` (dtype, C order, shapes, overlap) and raises naming the op; no
// memory and no dict is written before every tensor passed.
bool prepare_foreach(const char* op, const py::list& params, const py::list& grads,
                     const py::list& states, const std::vector<PyObject*>& keys,
                     const std::vector<bool>& used, bool counted, std::vector<Slot>& slots,
                     std::vector<int64_t>& steps) {
  static PyObject* const kStep = PyUnicode_InternFromString("step");
  const size_t n = params.size(), nk = keys.size();
  check(grads.size() == n && states.size() == n, op, "got ", n, " params, ", grads.size(),
        " grads and ", states.size(), " state dicts");
  std::vector<PyObject*> found(n * nk, Py_None);  // borrowed from the dicts; no Python runs
  steps.assign(counted ? n : 0, 0);
  for (size_t i = 0; i < n; ++i) {
    py::handle p = params[i], g = grads[i];
    if (py::isinstance<py::array>(p) && py::isinstance<py::array>(g)) {
      auto pa = py::reinterpret_borrow<py::array>(p), ga = py::reinterpret_borrow<py::array>(g);
      const int ft = float_type(pa);
      if (ft >= 0 && (float_type(ga) != ft || !(ga.flags() & py::array::c_style) ||
                      !(ga.flags() & kNpyAligned)))
        return false;
    }  // else: collect_slots raises the error
    PyObject* st = states[i].ptr();
    check(PyDict_Check(st), op, "state ", i, " is not a dict but ",
          std::string(py::str(py::type::handle_of(states[i]))));
    for (size_t k = 0; k < nk; ++k) {
      if (!used[k]) continue;
      PyObject* v = PyDict_GetItem(st, keys[k]);  // borrowed; the keys are interned
      if (v == nullptr || v == Py_None) return false;
      found[i * nk + k] = v;
    }
    if (counted) {
      PyObject* s = PyDict_GetItem(st, kStep);
      if (s == nullptr || !PyLong_CheckExact(s)) return false;
      int overflow = 0;
      const long long t = PyLong_AsLongLongAndOverflow(s, &overflow);
      if (overflow != 0 || t < 0 || t == LLONG_MAX) return false;
      steps[i] = t + 1;
    }
  }
  std::vector<bool> optional(nk);
  for (size_t k = 0; k < nk; ++k) optional[k] = !used[k];
  slots = collect_slots(
      op, params, grads, nk,
      [&](size_t k, size_t i) { return py::handle(found[i * nk + k]); }, optional);
  for (size_t i = 0; i < steps.size(); ++i) {
    py::int_ t(steps[i]);
    if (PyDict_SetItem(states[i].ptr(), kStep, t.ptr()) != 0) throw py::error_already_set();
  }
  return true;
}

// An interned dict key, made once.
PyObject* key(const char* name) { return PyUnicode_InternFromString(name); }

}  // namespace

void init_optim(py::module_& m) {
  m.def(
      "sgd_step",
      [](const py::list& params, const py::list& grads, const py::list& bufs,
         const std::vector<bool>& fresh, double lr, double momentum, double dampening,
         double weight_decay, bool nesterov, bool maximize) {
        const char* op = "sgd";
        auto slots = collect(op, params, grads, {bufs}, {true});
        check(fresh.size() == slots.size(), op, "fresh flags and params differ in length");
        const SgdHyper h{lr, momentum, dampening, weight_decay, nesterov, maximize};
        py::gil_scoped_release nogil;
        run_sgd(h, slots, fresh);
      },
      py::arg("params"), py::arg("grads"), py::arg("momentum_buffers"), py::arg("fresh"),
      py::arg("lr"), py::arg("momentum"), py::arg("dampening"), py::arg("weight_decay"),
      py::arg("nesterov"), py::arg("maximize"),
      "In-place SGD step over a parameter group; momentum_buffers[i] None when momentum == 0.");
  m.def(
      "adam_step",
      [](const py::list& params, const py::list& grads, const py::list& exp_avgs,
         const py::list& exp_avg_sqs, const py::list& max_exp_avg_sqs,
         const std::vector<int64_t>& steps, double lr, double beta1, double beta2, double eps,
         double weight_decay, bool decoupled, bool amsgrad, bool maximize) {
        const char* op = "adam";
        auto slots = collect(op, params, grads, {exp_avgs, exp_avg_sqs, max_exp_avg_sqs},
                             {false, false, !amsgrad});
        check_steps(op, steps, slots.size());
        const AdamHyper h{lr, beta1, beta2, eps, weight_decay, decoupled, amsgrad, maximize};
        py::gil_scoped_release nogil;
        run_adam(h, slots, steps);
      },
      py::arg("params"), py::arg("grads"), py::arg("exp_avgs"), py::arg("exp_avg_sqs"),
      py::arg("max_exp_avg_sqs"), py::arg("steps"), py::arg("lr"), py::arg("beta1"),
      py::arg("beta2"), py::arg("eps"), py::arg("weight_decay"), py::arg("decoupled"),
      py::arg("amsgrad"), py::arg("maximize"),
      "In-place Adam (decoupled=False) or AdamW (decoupled=True) step over a parameter group.");
  m.def(
      "rmsprop_step",
      [](const py::list& params, const py::list& grads, const py::list& square_avgs,
         const py::list& grad_avgs, const py::list& bufs, double lr, double alpha, double eps,
         double weight_decay, double momentum, bool centered, bool maximize) {
        const char* op = "rmsprop";
        auto slots = collect(op, params, grads, {square_avgs, grad_avgs, bufs},
                             {false, !centered, momentum == 0.0});
        const RmspropHyper h{lr, alpha, eps, weight_decay, momentum, centered, maximize};
        py::gil_scoped_release nogil;
        run_rmsprop(h, slots);
      },
      py::arg("params"), py::arg("grads"), py::arg("square_avgs"), py::arg("grad_avgs"),
      py::arg("momentum_buffers"), py::arg("lr"), py::arg("alpha"), py::arg("eps"),
      py::arg("weight_decay"), py::arg("momentum"), py::arg("centered"), py::arg("maximize"));
  m.def(
      "adagrad_step",
      [](const py::list& params, const py::list& grads, const py::list& sums,
         const std::vector<int64_t>& steps, double lr, double lr_decay, double weight_decay,
         double eps, bool maximize) {
        const char* op = "adagrad";
        auto slots = collect(op, params, grads, {sums}, {false});
        check_steps(op, steps, slots.size());
        const AdagradHyper h{lr, lr_decay, weight_decay, eps, maximize};
        py::gil_scoped_release nogil;
        run_adagrad(h, slots, steps);
      },
      py::arg("params"), py::arg("grads"), py::arg("sums"), py::arg("steps"), py::arg("lr"),
      py::arg("lr_decay"), py::arg("weight_decay"), py::arg("eps"), py::arg("maximize"));
  m.def(
      "clip_grad_norm",
      [](const py::list& grads, double max_norm, double eps) {
        // Returns the total 2-norm of all grads; scales them by max_norm / (norm + eps) when larger.
        const char* op = "clip_grad_norm";
        auto slots = collect(op, grads, grads, {}, {});
        double total = 0.0;
        {
          py::gil_scoped_release nogil;
          for (const Slot& s : slots)
            total += s.dbl ? sum_squares(as<double>(s.g), s.n) : sum_squares(as<float>(s.g), s.n);
          total = std::sqrt(total);
          const double coef = max_norm / (total + eps);
          if (coef < 1.0)
            for (const Slot& s : slots) {
              if (s.dbl) scale_inplace(as<double>(s.p), coef, s.n);
              else scale_inplace(as<float>(s.p), coef, s.n);
            }
        }
        return total;
      },
      py::arg("grads"), py::arg("max_norm"), py::arg("eps") = 1e-6,
      "Total 2-norm of grads (in double); scales them in place when it exceeds max_norm.");
  // ---- foreach entries (see prepare_foreach): True when done, False for the general path ---
  m.def(
      "sgd_foreach",
      [](const py::list& params, const py::list& grads, const py::list& states, double lr,
         double momentum, double dampening, double weight_decay, bool nesterov, bool maximize) {
        std::vector<Slot> slots;
        std::vector<int64_t> steps;
        static const std::vector<PyObject*> keys{key("momentum_buffer")};
        if (!prepare_foreach("sgd", params, grads, states, keys,
                             {momentum != 0.0}, false, slots, steps))
          return false;
        const SgdHyper h{lr, momentum, dampening, weight_decay, nesterov, maximize};
        py::gil_scoped_release nogil;
        run_sgd(h, slots, {});  // every buffer holds history: the first step took the general path
        return true;
      },
      py::arg("params"), py::arg("grads"), py::arg("states"), py::arg("lr"), py::arg("momentum"),
      py::arg("dampening"), py::arg("weight_decay"), py::arg("nesterov"), py::arg("maximize"),
      "SGD step over a group whose state exists (momentum_buffer read from states[i]); False, "
      "touching nothing, when the general path (sgd_step) is needed.");
  m.def(
      "adam_foreach",
      [](const py::list& params, const py::list& grads, const py::list& states, double lr,
         double beta1, double beta2, double eps, double weight_decay, bool decoupled,
         bool amsgrad, bool maximize) {
        std::vector<Slot> slots;
        std::vector<int64_t> steps;
        static const std::vector<PyObject*> keys{key("exp_avg"), key("exp_avg_sq"),
                                                 key("max_exp_avg_sq")};
        if (!prepare_foreach("adam", params, grads, states, keys, {true, true, amsgrad},
                             true, slots, steps))
          return false;
        const AdamHyper h{lr, beta1, beta2, eps, weight_decay, decoupled, amsgrad, maximize};
        py::gil_scoped_release nogil;
        run_adam(h, slots, steps);
        return true;
      },
      py::arg("params"), py::arg("grads"), py::arg("states"), py::arg("lr"), py::arg("beta1"),
      py::arg("beta2"), py::arg("eps"), py::arg("weight_decay"), py::arg("decoupled"),
      py::arg("amsgrad"), py::arg("maximize"),
      "Adam/AdamW step over a group whose state exists; increments each states[i]['step'].");
  m.def(
      "rmsprop_foreach",
      [](const py::list& params, const py::list& grads, const py::list& states, double lr,
         double alpha, double eps, double weight_decay, double momentum, bool centered,
         bool maximize) {
        std::vector<Slot> slots;
        std::vector<int64_t> steps;
        static const std::vector<PyObject*> keys{key("square_avg"), key("grad_avg"),
                                                 key("momentum_buffer")};
        if (!prepare_foreach("rmsprop", params, grads, states, keys,
                             {true, centered, momentum != 0.0}, true, slots, steps))
          return false;
        const RmspropHyper h{lr, alpha, eps, weight_decay, momentum, centered, maximize};
        py::gil_scoped_release nogil;
        run_rmsprop(h, slots);
        return true;
      },
      py::arg("params"), py::arg("grads"), py::arg("states"), py::arg("lr"), py::arg("alpha"),
      py::arg("eps"), py::arg("weight_decay"), py::arg("momentum"), py::arg("centered"),
      py::arg("maximize"), "RMSprop step over a group whose state exists.");
  m.def(
      "adagrad_foreach",
      [](const py::list& params, const py::list& grads, const py::list& states, double lr,
         double lr_decay, double weight_decay, double eps, bool maximize) {
        std::vector<Slot> slots;
        std::vector<int64_t> steps;
        static const std::vector<PyObject*> keys{key("sum")};
        if (!prepare_foreach("adagrad", params, grads, states, keys, {true}, true, slots, steps))
          return false;
        const AdagradHyper h{lr, lr_decay, weight_decay, eps, maximize};
        py::gil_scoped_release nogil;
        run_adagrad(h, slots, steps);
        return true;
      },
      py::arg("params"), py::arg("grads"), py::arg("states"), py::arg("lr"), py::arg("lr_decay"),
      py::arg("weight_decay"), py::arg("eps"), py::arg("maximize"),
      "Adagrad step over a group whose state exists.");
  m.def(
      "adadelta_foreach",
      [](const py::list& params, const py::list& grads, const py::list& states, double lr,
         double rho, double eps, double weight_decay, bool maximize) {
        std::vector<Slot> slots;
        std::vector<int64_t> steps;
        static const std::vector<PyObject*> keys{key("square_avg"), key("acc_delta")};
        if (!prepare_foreach("adadelta", params, grads, states, keys, {true, true}, true, slots,
                             steps))
          return false;
        const AdadeltaHyper h{lr, rho, eps, weight_decay, maximize};
        py::gil_scoped_release nogil;
        run_adadelta(h, slots);
        return true;
      },
      py::arg("params"), py::arg("grads"), py::arg("states"), py::arg("lr"), py::arg("rho"),
      py::arg("eps"), py::arg("weight_decay"), py::arg("maximize"),
      "Adadelta step over a group whose state exists.");
  m.def(
      "adamax_foreach",
      [](const py::list& params, const py::list& grads, const py::list& states, double lr,
         double beta1, double beta2, double eps, double weight_decay, bool maximize) {
        std::vector<Slot> slots;
        std::vector<int64_t> steps;
        static const std::vector<PyObject*> keys{key("exp_avg"), key("exp_inf")};
        if (!prepare_foreach("adamax", params, grads, states, keys, {true, true}, true, slots,
                             steps))
          return false;
        const AdamaxHyper h{lr, beta1, beta2, eps, weight_decay, maximize};
        py::gil_scoped_release nogil;
        run_adamax(h, slots, steps);
        return true;
      },
      py::arg("params"), py::arg("grads"), py::arg("states"), py::arg("lr"), py::arg("beta1"),
      py::arg("beta2"), py::arg("eps"), py::arg("weight_decay"), py::arg("maximize"),
      "Adamax step over a group whose state exists.");
  // ---- Adadelta / Adamax / NAdam (csrc/optim/optim_extra.h) --------------------------------
  m.def(
      "adadelta_step",
      [](const py::list& params, const py::list& grads, const py::list& square_avgs,
         const py::list& acc_deltas, double lr, double rho, double eps, double weight_decay,
         bool maximize) {
        const char* op = "adadelta";
        auto slots = collect(op, params, grads, {square_avgs, acc_deltas}, {false, false});
        const AdadeltaHyper h{lr, rho, eps, weight_decay, maximize};
        py::gil_scoped_release nogil;
        run_adadelta(h, slots);
      },
      py::arg("params"), py::arg("grads"), py::arg("square_avgs"), py::arg("acc_deltas"),
      py::arg("lr"), py::arg("rho"), py::arg("eps"), py::arg("weight_decay"), py::arg("maximize"),
      "In-place Adadelta step over a parameter group.");
  m.def(
      "adamax_step",
      [](const py::list& params, const py::list& grads, const py::list& exp_avgs,
         const py::list& exp_infs, const std::vector<int64_t>& steps, double lr, double beta1,
         double beta2, double eps, double weight_decay, bool maximize) {
        const char* op = "adamax";
        auto slots = collect(op, params, grads, {exp_avgs, exp_infs}, {false, false});
        check_steps(op, steps, slots.size());
        const AdamaxHyper h{lr, beta1, beta2, eps, weight_decay, maximize};
        py::gil_scoped_release nogil;
        run_adamax(h, slots, steps);
      },
      py::arg("params"), py::arg("grads"), py::arg("exp_avgs"), py::arg("exp_infs"),
      py::arg("steps"), py::arg("lr"), py::arg("beta1"), py::arg("beta2"), py::arg("eps"),
      py::arg("weight_decay"), py::arg("maximize"), "In-place Adamax step over a parameter group.");
  m.def(
      "nadam_step",
      [](const py::list& params, const py::list& grads, const py::list& exp_avgs,
         const py::list& exp_avg_sqs, const std::vector<double>& coef_g,
         const std::vector<double>& coef_m, const std::vector<double>& bc2, double lr,
         double beta1, double beta2, double eps, double weight_decay, bool decoupled,
         bool maximize) {
        const char* op = "nadam";
        auto slots = collect(op, params, grads, {exp_avgs, exp_avg_sqs}, {false, false});
        const size_t n = slots.size();
        check(coef_g.size() == n && coef_m.size() == n && bc2.size() == n, op, "got ", n,
              " params but ", coef_g.size(), "/", coef_m.size(), "/", bc2.size(),
              " per-parameter coefficients");
        for (double b : bc2) check(b > 0.0 && b <= 1.0, op, "bias correction must be in (0, 1]");
        const NadamHyper h{lr, beta1, beta2, eps, weight_decay, decoupled, maximize};
        py::gil_scoped_release nogil;
        for (size_t i = 0; i < n; ++i) {
          const Slot& s = slots[i];
          if (s.dbl)
            nadam_update(h, coef_g[i], coef_m[i], bc2[i], as<double>(s.p), as<double>(s.g),
                         as<double>(s.s[0]), as<double>(s.s[1]), s.n);
          else
            nadam_update(h, coef_g[i], coef_m[i], bc2[i], as<float>(s.p), as<float>(s.g),
                         as<float>(s.s[0]), as<float>(s.s[1]), s.n);
        }
      },
      py::arg("params"), py::arg("grads"), py::arg("exp_avgs"), py::arg("exp_avg_sqs"),
      py::arg("coef_g"), py::arg("coef_m"), py::arg("bc2"), py::arg("lr"), py::arg("beta1"),
      py::arg("beta2"), py::arg("eps"), py::arg("weight_decay"), py::arg("decoupled"),
      py::arg("maximize"), "In-place NAdam step; step-dependent coefficients per parameter.");
}

}  // namespace pyengine
