// Adadelta / Adamax / NAdam updates compiled for the avx2 path (flags by file-name suffix).
#define PE_ISA_NS avx2
#include "optim/optim_extra_impl.h"
