// Dropout kernel compiled for the generic path (flags from CMake by file-name suffix).
#define PE_ISA_NS generic
#include "dropout/dropout_impl.h"
