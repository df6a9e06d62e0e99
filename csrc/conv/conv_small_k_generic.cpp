// Small-K convolution kernels compiled for the generic path (flags from CMake by file-name suffix).
#define PE_ISA_NS generic
#include "conv/conv_small_k_impl.h"
