// Thin helpers over OpenMP so kernels share one policy for when threading pays.
//
// Determinism rule (DESIGN.md): threads partition the *output*; no reduction is ever split across
// threads, so results are bitwise identical for any thread count.
#pragma once
#include <omp.h>

#include <algorithm>
#include <cstdint>

namespace pyengine {

// Below this many elements an elementwise kernel runs on one thread: forking costs more.
constexpr int64_t kParallelGrain = 1 << 15;

static inline int max_threads() { return omp_in_parallel() ? 1 : omp_get_max_threads(); }

// Calls fn(begin, end) on contiguous chunks of [0, n). Runs inline when n is small or when already
// inside a parallel region (kernels may be called from a parallel conv/batch loop).
template <class Fn>
void parallel_for(int64_t n, int64_t grain, Fn&& fn) {
  if (n <= 0) return;
  const int nt = max_threads();
  if (nt <= 1 || n <= grain) {
    fn(int64_t{0}, n);
    return;
  }
  const int64_t chunks = std::min<int64_t>(nt, (n + grain - 1) / grain);
#pragma omp parallel for num_threads(static_cast<int>(chunks)) schedule(static)
  for (int64_t c = 0; c < chunks; ++c) {
    const int64_t b = n * c / chunks, e = n * (c + 1) / chunks;
    fn(b, e);
  }
}

}  // namespace pyengine
