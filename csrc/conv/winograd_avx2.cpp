// Winograd F(2x2, 3x3) tile loops, NCHW and NHWC, for the avx2 path (flags by file-name suffix).
#define PE_ISA_NS avx2
#include "conv/winograd_impl.h"
#include "conv/winograd_nhwc_impl.h"  // channels-last tile loop, sharing its helpers
