// RBM unit kernels compiled for the avx2 path (flags from CMake by file-name suffix).
#define PE_ISA_NS avx2
#include "rbm/rbm_units_impl.h"
