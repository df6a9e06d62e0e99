// RBM unit kernels compiled for the generic path (flags from CMake by file-name suffix).
#define PE_ISA_NS generic
#include "rbm/rbm_units_impl.h"
