// Dropout kernel compiled for the avx2 path (flags from CMake by file-name suffix).
#define PE_ISA_NS avx2
#include "dropout/dropout_impl.h"
