// CUDA runtime queries. Device kernels and the caching allocator arrive with the CUDA issue.
#include <cuda_runtime.h>

#include <stdexcept>
#include <string>

#include "cuda_api.h"

namespace pyengine {
namespace cuda {
bool built() { return true; }

int device_count() {
  int n = 0;
  // No driver or no device is not an error for a library: it means "not available".
  if (cudaGetDeviceCount(&n) != cudaSuccess) {
    cudaGetLastError();
    return 0;
  }
  return n;
}

std::string device_name(int index) {
  const int n = device_count();
  if (index < 0 || index >= n)
    throw std::runtime_error("[cuda] device " + std::to_string(index) + " not available (" +
                             std::to_string(n) + " devices)");
  cudaDeviceProp prop;
  if (cudaGetDeviceProperties(&prop, index) != cudaSuccess)
    throw std::runtime_error("[cuda] cannot read properties of device " + std::to_string(index));
  return prop.name;
}
}  // namespace cuda
}  // namespace pyengine
