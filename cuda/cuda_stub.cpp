// Built when CUDA is off or not found: every query answers "no CUDA", clearly.
#include <stdexcept>

#include "cuda_api.h"

namespace pyengine {
namespace cuda {
bool built() { return false; }
int device_count() { return 0; }
std::string device_name(int) {
  throw std::runtime_error("[cuda] pyengine was built without CUDA (PYENGINE_CUDA=OFF or no toolkit)");
}
}  // namespace cuda
}  // namespace pyengine
