// Small-K convolution kernels compiled for the avx512 path (flags from CMake by file-name suffix).
#define PE_ISA_NS avx512
#include "conv/conv_small_k_impl.h"
