// Batch-lane convolution kernels for the avx2 path (flags from CMake by file-name suffix).
// Tiles: 6 channels x 16 images (12 ymm accumulators + 2 B vectors + 1 broadcast of 16
// registers).
#define PE_ISA_NS avx2
#define PE_BL_VBYTES 32
#define PE_BL_MR 6
#include "conv/conv_batch_lanes_impl.h"
