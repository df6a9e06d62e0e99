// Adadelta / Adamax / NAdam updates compiled for the generic path (flags by file-name suffix).
#define PE_ISA_NS generic
#include "optim/optim_extra_impl.h"
