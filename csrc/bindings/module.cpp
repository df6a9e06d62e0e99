// The compiled module pyengine._C: a short list of areas, one binding file each.
#include "bindings/bindings.h"
#include "common/heap_tuning.h"

PYBIND11_MODULE(_C, m) {
  m.doc() = "pyengine compiled kernels (C++17/OpenMP)";
  pyengine::tune_heap_for_large_arrays();  // heap_tuning.cpp: no page faults per step
  pyengine::init_runtime(m);
  pyengine::init_output_arrays(m);
  pyengine::init_activations(m);
  pyengine::init_gemm(m);
  pyengine::init_cuda(m);
  pyengine::init_loss(m);
  pyengine::init_optim(m);
  pyengine::init_fused(m);
  pyengine::init_conv(m);
  pyengine::init_rnn(m);
  pyengine::init_conv_nhwc(m);
  pyengine::init_image(m);
  pyengine::init_rbm(m);
  pyengine::init_dropout(m);
}
