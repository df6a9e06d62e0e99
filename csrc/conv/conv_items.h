// Threading helper shared by the GEMM-based convolutions (NCHW conv2d.cpp, NHWC conv2d_nhwc.cpp).
#pragma once
#include <omp.h>

#include <cstdint>
#include <new>
#include <vector>

#include "common/check.h"

namespace pyengine {

inline int conv_outer_threads() { return omp_in_parallel() ? 1 : omp_get_max_threads(); }

// Runs body(item, scratch) for item in [0, items): items split over threads when there are
// enough of them (each with its own scratch), else in turn so that the GEMM inside can thread.
// Each item writes its own part of the output, so the thread count never changes a result.
template <class T, class Body>
void for_each_conv_item(int64_t items, int64_t scratch_size, Body&& body) {
  const int nt = conv_outer_threads();
  if (nt > 1 && items >= nt) {
    RegionAlloc alloc;  // bad_alloc must not leave the region: noted, rethrown after it
#pragma omp parallel num_threads(nt)
    {
      std::vector<T> scratch;
      bool ok = true;
      try {
        scratch.resize(static_cast<size_t>(scratch_size));
      } catch (const std::bad_alloc&) {
        ok = alloc.ok(nullptr, scratch_size, sizeof(T));
      }
#pragma omp for schedule(static)
      for (int64_t it = 0; it < items; ++it)
        if (ok) body(it, scratch.data());
    }
    alloc.rethrow("conv2d");
  } else {
    std::vector<T> scratch(static_cast<size_t>(scratch_size));
    for (int64_t it = 0; it < items; ++it) body(it, scratch.data());
  }
}

}  // namespace pyengine
