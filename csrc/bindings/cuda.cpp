// CUDA queries; works the same whether cuda/runtime.cu or cuda/cuda_stub.cpp was compiled.
#include "bindings/bindings.h"
#include "cuda_api.h"

namespace pyengine {
namespace py = pybind11;

void init_cuda(py::module_& m) {
  m.def("cuda_built", &cuda::built, "True when compiled with the CUDA toolkit.");
  m.def("cuda_device_count", &cuda::device_count);
  m.def("cuda_device_name", &cuda::device_name, py::arg("index") = 0);
}

}  // namespace pyengine
