// Sum of every element of a contiguous float32 buffer, accumulated in double.
#pragma once
#include <cstdint>

namespace pyengine {

// Eight double accumulators (element i goes to lane i % 8), combined pairwise at the end, then
// rounded once to float: the order depends on n alone (no threads, no ISA dispatch), so the
// result is the same bits on every machine path, and more accurate than a float32 pairwise sum.
float sum_all_f32(const float* x, int64_t n);

}  // namespace pyengine
