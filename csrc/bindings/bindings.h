// One init_<area>(m) per binding file; module.cpp calls them in order.
#pragma once
#include <pybind11/pybind11.h>

namespace pyengine {
void init_runtime(pybind11::module_& m);
void init_output_arrays(pybind11::module_& m);
void init_activations(pybind11::module_& m);
void init_gemm(pybind11::module_& m);
void init_cuda(pybind11::module_& m);
void init_loss(pybind11::module_& m);
void init_optim(pybind11::module_& m);
void init_fused(pybind11::module_& m);
void init_conv(pybind11::module_& m);
void init_conv_nhwc(pybind11::module_& m);
void init_image(pybind11::module_& m);
void init_rnn(pybind11::module_& m);
void init_rbm(pybind11::module_& m);
void init_dropout(pybind11::module_& m);
}  // namespace pyengine
