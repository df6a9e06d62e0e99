// Batch-lane convolution kernels for the avx512 path (flags from CMake by file-name suffix).
// Tiles: 8 channels x 32 images (16 zmm accumulators, 2 B vectors, 1 broadcast: the 4-cycle FMA
// latency hidden by 16 chains).
#define PE_ISA_NS avx512
#define PE_BL_VBYTES 64
#define PE_BL_MR 8
#include "conv/conv_batch_lanes_impl.h"
