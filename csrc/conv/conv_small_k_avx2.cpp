// Small-K convolution kernels compiled for the avx2 path (flags from CMake by file-name suffix).
#define PE_ISA_NS avx2
#include "conv/conv_small_k_impl.h"
