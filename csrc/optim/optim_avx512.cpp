// Optimizer updates compiled for the avx512 path (flags from CMake by file-name suffix).
#define PE_ISA_NS avx512
#include "optim/optim_impl.h"
