// What the rest of the code may ask of the CUDA side. Implemented by runtime.cu when built with
// CUDA, and by cuda_stub.cpp otherwise; nothing outside cuda/ includes CUDA headers.
#pragma once
#include <string>

namespace pyengine {
namespace cuda {
bool built();             // compiled with the CUDA toolkit?
int device_count();       // 0 when not built, no driver or no device
std::string device_name(int index);  // throws std::runtime_error when unavailable
}  // namespace cuda
}  // namespace pyengine
