// Dropout kernel compiled for the avx512 path (flags from CMake by file-name suffix).
#define PE_ISA_NS avx512
#include "dropout/dropout_impl.h"
