// Recurrent kernels compiled for the avx2 path (flags from CMake by file-name suffix).
#define PE_ISA_NS avx2
#include "rnn/rnn_impl.h"
