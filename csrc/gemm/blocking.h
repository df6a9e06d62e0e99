// GEMM cache blocking from the cache sizes of the CPU we run on, read at run time, instead of
// constants tuned for one machine.
//
// Sizes come from Linux sysfs (/sys/devices/system/cpu/cpu0/cache), else CPUID (AMD leaf
// 0x8000001D, Intel leaf 4), else a Zen 4 default (L1d 32 KiB, L2 1 MiB, L3 32 MiB); the
// environment variables PYENGINE_L1D / PYENGINE_L2 / PYENGINE_L3 (bytes) override them (tests,
// experiments). The blocks follow from the macro-kernel's loop order (ir, the A micro-panel,
// outside jr, the B micro-panels):
//   KC: the MR x KC micro-panel of A stays in L1 next to the streaming B micro-panel and C tile:
//       MR * KC * sizeof(T) ~ 0.56 L1d (18 KiB of 32 KiB: KC 384 fp32 for a 12-row tile);
//   NC: the packed KC x NC block of B stays in L2 with room for the A panels and C tiles:
//       KC * NC * sizeof(T) ~ 0.56 L2 (576 KiB of 1 MiB);
//   MC: the MC x KC block of A packed per pass is served from L2/L3: MC * KC * sizeof(T)
//       ~ 0.35 L2, at most 1/8 of L3.
// KC and NC are multiples of 8 and NR, MC of MR. KC depends on the machine and k only, never on
// the thread count, so results stay bitwise identical for any number of threads.
#pragma once
#include <cstdint>

#include "gemm/ukernel.h"

namespace pyengine {
namespace gemm_detail {

struct CacheSizes {
  int64_t l1d, l2, l3;  // bytes; L1d and L2 per core, L3 as seen by one core
  const char* source;   // "sysfs", "cpuid", "default" (+ "env" overrides)
};

const CacheSizes& cache_sizes();

// `base` with mc / kc / nc derived from `caches` (register tile and kernels unchanged).
template <class T>
KernelInfo<T> blocked_for(const KernelInfo<T>& base, const CacheSizes& caches);

}  // namespace gemm_detail
}  // namespace pyengine
