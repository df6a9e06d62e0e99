// Loss kernels compiled for the avx2 path (flags from CMake by file-name suffix).
#define PE_ISA_NS avx2
#include "loss/loss_impl.h"
