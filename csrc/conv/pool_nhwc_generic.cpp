// Channels-last pooling kernels compiled for the generic path (flags from CMake by file-name suffix).
#define PE_ISA_NS generic
#include "conv/pool_nhwc_impl.h"
