// Why: a training step allocates and frees the same multi-megabyte arrays every time (NumPy
// outputs and gradients, kernel scratch: the MNIST convnet's 128 x 26 x 26 x 32 activations are
// 11 MB). With glibc's defaults, once the process also holds a large array (the training set),
// those frees trim the heap top or madvise non-main arenas away, and the next step faults every
// page back in: 1,300 page faults and ~3.5 ms of kernel time per Keras convnet step (of ~30 ms,
// one thread), none with the settings below (PyTorch keeps its own caching allocator instead).
// So: blocks up to 32 MiB come from the heap (no mmap / munmap per array) and up to 256 MiB of
// freed memory stays mapped for reuse. Skipped when the user tunes malloc (MALLOC_*_ or
// GLIBC_TUNABLES) or sets PYENGINE_HEAP_TUNING=0; a no-op without glibc.
#include "common/heap_tuning.h"

#include <cstdlib>
#include <cstring>

#if defined(__GLIBC__)
#include <malloc.h>
#endif

namespace pyengine {

void tune_heap_for_large_arrays() {
#if defined(__GLIBC__)
  const char* off = std::getenv("PYENGINE_HEAP_TUNING");
  if (off && std::strcmp(off, "0") == 0) return;
  const char* tunables = std::getenv("GLIBC_TUNABLES");
  if (std::getenv("MALLOC_MMAP_THRESHOLD_") || std::getenv("MALLOC_TRIM_THRESHOLD_") ||
      (tunables && std::strstr(tunables, "malloc")))
    return;
  mallopt(M_MMAP_THRESHOLD, 32 << 20);
  mallopt(M_TRIM_THRESHOLD, 256 << 20);
#endif
}

}  // namespace pyengine
