// Philox4x32-10 (Salmon et al., "Parallel random numbers: as easy as 1, 2, 3", SC 2011): a
// counter-based generator. The random bits of an element are a pure function of (seed, stream,
// element index), so a kernel may hand any element to any thread and still draw the same number:
// sampling is bitwise identical for every thread count and every split of the work.
//
//   counter = (index lo, index hi, stream lo, stream hi), key = (seed lo, seed hi)
//
// Written with 64-bit products of 32-bit words only, so GCC vectorises a loop over indices.
#pragma once
#include <cmath>
#include <cstdint>

namespace pyengine {
namespace rbm {
namespace {

#define PE_PHILOX_INLINE inline __attribute__((always_inline))

// The four output words of block `index`; plain scalars (no struct), so that the vectoriser
// keeps every word in a register lane instead of spilling a struct to memory.
PE_PHILOX_INLINE void philox4x32(uint64_t index, uint64_t stream, uint64_t seed, uint32_t& o0,
                                 uint32_t& o1, uint32_t& o2, uint32_t& o3) {
  uint32_t c0 = static_cast<uint32_t>(index), c1 = static_cast<uint32_t>(index >> 32);
  uint32_t c2 = static_cast<uint32_t>(stream), c3 = static_cast<uint32_t>(stream >> 32);
  uint32_t k0 = static_cast<uint32_t>(seed), k1 = static_cast<uint32_t>(seed >> 32);
  for (int r = 0; r < 10; ++r) {
    const uint64_t p0 = static_cast<uint64_t>(0xD2511F53u) * c0;
    const uint64_t p1 = static_cast<uint64_t>(0xCD9E8D57u) * c2;
    const uint32_t hi0 = static_cast<uint32_t>(p0 >> 32), lo0 = static_cast<uint32_t>(p0);
    const uint32_t hi1 = static_cast<uint32_t>(p1 >> 32), lo1 = static_cast<uint32_t>(p1);
    c0 = hi1 ^ c1 ^ k0;
    c1 = lo1;
    c2 = hi0 ^ c3 ^ k1;
    c3 = lo0;
    k0 += 0x9E3779B9u;
    k1 += 0xBB67AE85u;
  }
  o0 = c0;
  o1 = c1;
  o2 = c2;
  o3 = c3;
}

// Uniform in [0, 1) from words 0 (and 1): 24 random bits for float, 53 for double (the widest
// exact fractions).
PE_PHILOX_INLINE float uniform01(float, uint32_t w0, uint32_t) {
  return static_cast<float>(w0 >> 8) * 5.9604644775390625e-8f;  // 2^-24
}
PE_PHILOX_INLINE double uniform01(double, uint32_t w0, uint32_t w1) {
  const uint64_t bits = (static_cast<uint64_t>(w0) << 21) ^ (w1 >> 11);
  return static_cast<double>(bits & ((uint64_t{1} << 53) - 1)) * 1.1102230246251565e-16;  // 2^-53
}

// The uniform number of element `index`.
template <class T>
PE_PHILOX_INLINE T uniform_at(uint64_t index, uint64_t stream, uint64_t seed) {
  uint32_t w0, w1, w2, w3;
  philox4x32(index, stream, seed, w0, w1, w2, w3);
  return uniform01(T(0), w0, w1);
}

// Standard normal of element `index` by Box-Muller from words 2 and 3 (u1 in (0, 1], so the
// log is finite).
template <class T>
inline T normal_at(uint64_t index, uint64_t stream, uint64_t seed) {
  uint32_t w0, w1, w2, w3;
  philox4x32(index, stream, seed, w0, w1, w2, w3);
  const double u1 = (static_cast<double>(w2) + 1.0) * 2.3283064365386963e-10;  // 2^-32
  const double u2 = static_cast<double>(w3) * 2.3283064365386963e-10;
  return static_cast<T>(std::sqrt(-2.0 * std::log(u1)) * std::cos(6.283185307179586 * u2));
}

}  // namespace
}  // namespace rbm
}  // namespace pyengine
