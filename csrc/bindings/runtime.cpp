// Threads and ISA selection.
#include <omp.h>

#include "bindings/bindings.h"
#include "common/check.h"
#include "common/cpu_features.h"

namespace pyengine {
namespace py = pybind11;

void init_runtime(py::module_& m) {
  // Reading PYENGINE_CPU here makes a bad value an ImportError with a clear message, not a
  // surprise at the first kernel call.
  active_isa();
  m.def("set_num_threads", [](int n) {
    check(n >= 1, "set_num_threads", "expected a positive thread count, got ", n);
    omp_set_num_threads(n);
  });
  m.def("get_num_threads", [] { return omp_get_max_threads(); });
  m.def("cpu_isa", [] { return std::string(isa_name(active_isa())); },
        "ISA the kernels dispatch to now: 'generic', 'avx2' or 'avx512'.");
  m.def("cpu_isa_detected", [] { return std::string(isa_name(detected_isa())); });
  m.def("set_cpu_isa", &set_active_isa, py::arg("name"),
        "Force an ISA path (tests). Raises ValueError if unknown or unsupported by this CPU.");
}

}  // namespace pyengine
