// Image resampling kernels compiled for the avx512 path (flags from CMake by file-name suffix).
#define PE_ISA_NS avx512
#include "image/image_impl.h"
