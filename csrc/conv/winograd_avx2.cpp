// Winograd F(2x2, 3x3) tile loop compiled for the avx2 path (flags from CMake by file-name suffix).
#define PE_ISA_NS avx2
#include "conv/winograd_impl.h"
