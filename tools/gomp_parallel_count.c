// Counts the OpenMP parallel regions a process enters (libgomp's GOMP_parallel, by the team size
// asked for) while GOMP_COUNT_ON is set in its environment; prints the counts at exit. Used by
// tools/mlp_loop_parallel_regions.py to show which cells of bench/bench_mlp_loop.py fork at all
// (docs/tensor.md, "Threads in the MLP loop"). Build:
//   gcc -O2 -shared -fPIC tools/gomp_parallel_count.c -o /tmp/libgomp_parallel_count.so -ldl
#define _GNU_SOURCE
#include <dlfcn.h>
#include <stdio.h>
#include <stdlib.h>
static long calls[65];
typedef void (*par_fn)(void (*)(void *), void *, unsigned, unsigned);
void GOMP_parallel(void (*fn)(void *), void *data, unsigned nthreads, unsigned flags) {
  static par_fn real;
  if (!real) real = (par_fn)dlsym(RTLD_NEXT, "GOMP_parallel");
  if (getenv("GOMP_COUNT_ON")) calls[nthreads > 64 ? 64 : nthreads]++;
  real(fn, data, nthreads, flags);
}
long gomp_count_get(int n) { return calls[n]; }
void gomp_count_reset(void) { for (int i = 0; i < 65; ++i) calls[i] = 0; }
__attribute__((destructor)) static void report(void) {
  for (int i = 0; i < 65; ++i) if (calls[i]) fprintf(stderr, "GOMP_parallel num_threads=%d: %ld\n", i, calls[i]);
}
