// Dropout with a counter-based random stream: element i of a call keeps its value when
//   bits(seed, i) >= threshold,   bits(seed, i) = the high 32 bits of splitmix64(seed, i),
//   splitmix64(seed, i) = mix(seed + (i + 1) * 0x9E3779B97F4A7C15)
// (Steele, Lea and Flood's SplitMix64 output for a stream starting at `seed`: element i's bits
// depend on (seed, i) alone, never on the thread split or the ISA). P(keep) = 1 - threshold / 2^32.
//   y[i] = x[i] * (keep ? scale : 0)
// (a multiply even where dropped, so a NaN or inf in x stays visible, as x * mask does). The
// backward is the same call on the gradient with the same seed: no mask is stored.
#pragma once
#include <cstdint>

namespace pyengine {

// The 32 random bits of element i of stream `seed`.
inline uint32_t dropout_bits(uint64_t seed, uint64_t i) {
  uint64_t z = seed + (i + 1) * 0x9E3779B97F4A7C15ull;
  z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
  z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
  return static_cast<uint32_t>((z ^ (z >> 31)) >> 32);
}

// y[i] = x[i] * (dropout_bits(seed, i) >= threshold ? scale : 0) for i in [0, n); threshold in
// [0, 2^32]. y may equal x (in place); threads split [0, n).
template <class T>
void dropout_apply(const T* x, T* y, int64_t n, uint64_t seed, uint64_t threshold, T scale);

}  // namespace pyengine
