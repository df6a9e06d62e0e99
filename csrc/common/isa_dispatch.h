// Picks the per-ISA implementation of a kernel at call time. Kernels written once in an
// *_impl.h are compiled in namespaces pyengine::generic / avx2 / avx512; a family's dispatch file
// forwards each entry point with PE_DISPATCH(fn, args...).
#pragma once
#include "common/cpu_features.h"

#define PE_DISPATCH(fn, ...)                                    \
  do {                                                          \
    switch (::pyengine::active_isa()) {                         \
      case ::pyengine::Isa::avx512: return avx512::fn(__VA_ARGS__); \
      case ::pyengine::Isa::avx2: return avx2::fn(__VA_ARGS__);     \
      default: return generic::fn(__VA_ARGS__);                     \
    }                                                           \
  } while (0)
