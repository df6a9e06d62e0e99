// Batch-lane convolution kernels for the generic path (plain x86-64: SSE2).
// Tiles: 6 channels x 8 images (12 xmm accumulators of 16 registers).
#define PE_ISA_NS generic
#define PE_BL_VBYTES 16
#define PE_BL_MR 6
#include "conv/conv_batch_lanes_impl.h"
