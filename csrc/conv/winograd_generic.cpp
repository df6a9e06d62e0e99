// Winograd F(2x2, 3x3) tile loop compiled for the generic path (flags from CMake by file-name suffix).
#define PE_ISA_NS generic
#include "conv/winograd_impl.h"
