// Binding of the dropout kernel (dropout/dropout.h): dropout_apply(x, out, seed, threshold, scale).
#include <pybind11/numpy.h>

#include <cstdint>

#include "bindings/array_args.h"
#include "bindings/bindings.h"
#include "bindings/lazy_checks.h"
#include "dropout/dropout.h"

namespace pyengine {
namespace py = pybind11;

namespace {

template <class T>
void apply_t(const py::array& x, const py::array& out, uint64_t seed, uint64_t threshold,
             double scale) {
  const T* px = array_ptr<T>(x, "dropout", "x");
  T* po = array_ptr<T>(out, "dropout", "out", true);
  PE_SAME_SHAPE(x, out, "dropout", "x", "out");
  if (po != px) check_no_overlap("dropout", out, "out", x, "x");  // in place is fine
  const int64_t n = x.size();
  py::gil_scoped_release nogil;
  dropout_apply<T>(px, po, n, seed, threshold, static_cast<T>(scale));
}

}  // namespace

void init_dropout(py::module_& m) {
  m.def(
      "dropout_apply",
      [](const py::array& x, const py::array& out, uint64_t seed, uint64_t threshold,
         double scale) {
        PE_CHECK(threshold <= (uint64_t{1} << 32), "dropout",
                 "threshold must be at most 2^32, got ", threshold);
        PE_CHECK(same_dtype(out.dtype(), x.dtype()), "dropout", "out dtype ",
                 std::string(py::str(out.dtype())), " differs from x dtype ",
                 std::string(py::str(x.dtype())));  // formatted only on failure
        if (is_double(x, "dropout")) apply_t<double>(x, out, seed, threshold, scale);
        else apply_t<float>(x, out, seed, threshold, scale);
      },
      py::arg("x"), py::arg("out"), py::arg("seed"), py::arg("threshold"), py::arg("scale"),
      "out[i] = x[i] * (bits(seed, i) >= threshold ? scale : 0), bits = the high half of "
      "splitmix64(seed, i) (csrc/dropout/dropout.h); out may be x.");
}

}  // namespace pyengine
