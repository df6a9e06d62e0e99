// RBM unit kernels compiled for the avx512 path (flags from CMake by file-name suffix).
#define PE_ISA_NS avx512
#include "rbm/rbm_units_impl.h"
