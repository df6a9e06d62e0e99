// Adadelta / Adamax / NAdam updates compiled for the avx512 path (flags by file-name suffix).
#define PE_ISA_NS avx512
#include "optim/optim_extra_impl.h"
