// UBSan probe of the vector-math helpers on NaN, infinities and values past the exp range, built
// and run first by .ci/sanitize (one small TU: seconds, where the full instrumented build takes
// many minutes). Issue 13: vmath.h shifted a negative int left for NaN input (elu, sigmoid,
// cross-entropy on NaN). Exits non-zero on a wrong special value; UBSan aborts on any UB.
#include <cmath>
#include <cstdio>

#include "common/vmath.h"

int main() {
  struct Case { float x, want; };
  const Case cases[] = {{NAN, NAN}, {-NAN, NAN}, {INFINITY, INFINITY}, {-INFINITY, 0.f},
                        {89.f, INFINITY}, {-88.f, 0.f}, {0.f, 1.f}, {1e30f, INFINITY},
                        {-1e30f, 0.f}};
  int bad = 0;
  for (const Case& c : cases) {
    volatile float x = c.x;  // keep the call at run time
    const float got = pyengine::vmath::exp(x);
    const bool ok = std::isnan(c.want) ? std::isnan(got)
                                       : (got == c.want || std::fabs(got - c.want) < 1e-6f);
    if (!ok) std::printf("exp(%g) = %g, expected %g\n", double(c.x), double(got), double(c.want));
    bad += !ok;
  }
  return bad;
}
