// Winograd F(2x2, 3x3) tile loops, NCHW and NHWC, for the generic path (flags by file-name suffix).
#define PE_ISA_NS generic
#include "conv/winograd_impl.h"
#include "conv/winograd_nhwc_impl.h"  // channels-last tile loop, sharing its helpers
