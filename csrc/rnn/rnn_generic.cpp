// Recurrent kernels compiled for the generic path (flags from CMake by file-name suffix).
#define PE_ISA_NS generic
#include "rnn/rnn_impl.h"
