// Branch-free float32 approximations of exp/log/tanh/erfc that GCC auto-vectorises (no libm calls
// in the loop). Each is within a few ulp over its domain and propagates NaN and +-inf like libm.
// float64 uses libm: that path serves gradient checks, where accuracy matters more than speed.
#pragma once
#include <cmath>
#include <cstdint>
#include <cstring>

namespace pyengine {
// Anonymous namespace: each per-ISA translation unit keeps its own copy, so the linker can never
// hand AVX-512 code to the generic path (an ODR trap of per-ISA compilation).
namespace vmath {
namespace {

// Forced inlining: a call left in a `#pragma omp simd` loop stops it from vectorising, and GCC's
// heuristics decline to inline exp/erfc-sized bodies into every activation lambda.
#define PE_VINLINE inline __attribute__((always_inline))

PE_VINLINE float bits_to_float(int32_t i) {
  float f;
  std::memcpy(&f, &i, sizeof f);
  return f;
}
PE_VINLINE int32_t float_to_bits(float f) {
  int32_t i;
  std::memcpy(&i, &f, sizeof i);
  return i;
}

// 2^k * exp(r) for |r| <~ ln2 / 2 + 0.05 and integral k in [-126, 128]: degree-6 polynomial,
// 2^k split in two factors so k = 128 (x near 88.7) does not overflow the exponent field.
PE_VINLINE float exp_scaled(float k, float r) {
  float p = 1.9875691500e-4f;
  p = p * r + 1.3981999507e-3f;
  p = p * r + 8.3334519073e-3f;
  p = p * r + 4.1665795894e-2f;
  p = p * r + 1.6666665459e-1f;
  p = p * r + 5.0000001201e-1f;
  p = p * r * r + r + 1.0f;
  const int32_t ki = static_cast<int32_t>(k);
  const int32_t k1 = ki >> 1, k2 = ki - k1;
  // Shift as unsigned: a NaN input reaches here as k = INT_MIN, and a left shift of a negative
  // int is undefined (UBSan); the bits (and the NaN the caller returns) are the same.
  return p * bits_to_float(static_cast<int32_t>(static_cast<uint32_t>(k1 + 127) << 23)) *
         bits_to_float(static_cast<int32_t>(static_cast<uint32_t>(k2 + 127) << 23));
}

// Round to nearest integer by adding and subtracting 1.5 * 2^23 (|t| <= 2^22): plain adds that
// vectorise on every ISA, where std::floor is a libm call without SSE4.1.
PE_VINLINE float round_small(float t) { return (t + 12582912.0f) - 12582912.0f; }

// exp(x): range reduction x = k ln2 + r (Cody-Waite: x - k * 0.693359375 is exact), |r| <= ln2/2.
PE_VINLINE float exp(float x) {
  const float xc = x < -87.33654f ? -87.33654f : (x > 88.72283f ? 88.72283f : x);
  const float k = round_small(xc * 1.44269504088896341f);
  float y = exp_scaled(k, (xc - k * 0.693359375f) + k * 2.12194440e-4f);
  y = x < -87.33654f ? 0.0f : y;
  y = x > 88.72283f ? INFINITY : y;
  return x != x ? x : y;
}

// exp(hi + lo) for hi in [-200, 0] and lo in [-1.3, 0.05], keeping the bits of lo that hi + lo
// would round away: r = (hi - k ln2) + lo. Callers handle NaN / inf inputs.
PE_VINLINE float exp2(float hi, float lo) {
  const float s = hi + lo;
  const float sc = s < -87.33654f ? -87.33654f : s;
  const float k = round_small(sc * 1.44269504088896341f);
  const float hc = s < -87.33654f ? sc : hi;  // underflow: the result is 0 below anyway
  const float y = exp_scaled(k, ((hc - k * 0.693359375f) + k * 2.12194440e-4f) + lo);
  return s < -87.33654f ? 0.0f : y;
}

// log(1 + f) for f in [sqrt(1/2) - 1, sqrt(2) - 1]: the polynomial core of log and log1p_pos.
PE_VINLINE float log1p_core(float f) {
  const float z = f * f;
  float p = 7.0376836292e-2f;
  p = p * f - 1.1514610310e-1f;
  p = p * f + 1.1676998740e-1f;
  p = p * f - 1.2420140846e-1f;
  p = p * f + 1.4249322787e-1f;
  p = p * f - 1.6668057665e-1f;
  p = p * f + 2.0000714765e-1f;
  p = p * f - 2.4999993993e-1f;
  p = p * f + 3.3333331174e-1f;
  return f + (f * z * p - 0.5f * z);
}

// log(x) for x > 0: x = m 2^e with m in [sqrt(1/2), sqrt(2)), polynomial in (m - 1).
PE_VINLINE float log(float x) {
  int32_t bits = float_to_bits(x);
  int32_t e = ((bits >> 23) & 0xff) - 127;
  float m = bits_to_float((bits & 0x007fffff) | 0x3f800000);  // in [1, 2)
  const bool big = m > 1.41421356f;
  m = big ? m * 0.5f : m;
  e = big ? e + 1 : e;
  float y = log1p_core(m - 1.0f) + static_cast<float>(e) * 0.693147180559945f;
  y = x == 0.0f ? -INFINITY : y;
  y = x < 0.0f ? NAN : y;
  y = x == INFINITY ? INFINITY : y;
  // Subnormal inputs (x < 2^-126) are rare in activations; fall back to a correct value.
  y = (x > 0.0f && x < 1.17549435e-38f) ? -87.3365447f : y;
  return x != x ? x : y;
}

// log(1 + y) for y in [0, 1] (softplus's log1p(exp(-|z|))), accurate for tiny y:
// log(u) * y / (u - 1) with u = 1 + y in [1, 2], so no exponent extraction or edge cases.
PE_VINLINE float log1p_pos(float y) {
  const float u = 1.0f + y;
  const float d = u - 1.0f;
  const bool big = u > 1.41421356f;
  const float lu = log1p_core((big ? 0.5f * u : u) - 1.0f) + (big ? 0.693147180559945f : 0.0f);
  return d == 0.0f ? y : lu * (y / d);
}

PE_VINLINE float sigmoid(float x) { return 1.0f / (1.0f + vmath::exp(-x)); }

// tanh(x) as a rational function x P(x^2) / Q(x^2) on x clamped to [-7.9, 7.9] (beyond it tanh
// rounds to +-1 in float): no exp, one division. Coefficients from Eigen's fast float tanh.
PE_VINLINE float tanh(float x) {
  const float c = 7.90531110763549805f;
  const float xc = x > c ? c : (x < -c ? -c : x);
  const float z = xc * xc;
  float p = -2.76076847742355e-16f;
  p = p * z + 2.00018790482477e-13f;
  p = p * z - 8.60467152213735e-11f;
  p = p * z + 5.12229709037114e-08f;
  p = p * z + 1.48572235717979e-05f;
  p = p * z + 6.37261928875436e-04f;
  p = p * z + 4.89352455891786e-03f;
  float q = 1.19825839466702e-06f;
  q = q * z + 1.18534705686654e-04f;
  q = q * z + 2.26843463243900e-03f;
  q = q * z + 4.89352518554385e-03f;
  const float y = xc * (p / q);  // not (xc * p) / q: that would go subnormal for tiny x
  return x != x ? x : y;
}

// exp(x) - 1 without the cancellation of exp(x) - 1 near 0: Taylor series for |x| < 0.35
// (truncation < 2e-8 relative), exp(x) - 1 elsewhere (|result| > 0.29: at most 2 bits lost).
PE_VINLINE float expm1(float x) {
  float p = 1.0f / 5040;
  p = p * x + 1.0f / 720;
  p = p * x + 1.0f / 120;
  p = p * x + 1.0f / 24;
  p = p * x + 1.0f / 6;
  p = p * x + 0.5f;
  const float small = p * x * x + x;
  return std::fabs(x) < 0.35f ? small : vmath::exp(x) - 1.0f;
}

// exp(-v^2 / 2 + extra) for a small `extra`, without the error of rounding v^2 (which exp would
// amplify to ~1e-5 relative at |v| = 9): v = vh + vl with vh rounded to 12 bits, so vh^2 / 2 is
// exact in float and exp(-vh^2 / 2) * exp(extra - vl (v + vh) / 2) carries no large rounded term.
PE_VINLINE float exp_m_half_sq(float v, float extra) {
  const float vh = bits_to_float(float_to_bits(v) & static_cast<int32_t>(0xfffff000u));
  const float vl = v - vh;
  const float y = vmath::exp2(-0.5f * vh * vh, extra - 0.5f * vl * (v + vh));
  return std::fabs(v) > 20.0f ? 0.0f : y;  // also keeps v = +-inf from making inf - inf
}

// Q(a) = 1 - Phi(a) = erfc(a / sqrt 2) / 2 for a >= 0, the standard normal upper tail, with
// ~1e-6 *relative* error even where it is tiny (so gelu keeps its accuracy for negative x, where
// 1 + erf would cancel). Numerical Recipes' erfcc: erfc(z) = t exp(-z^2 + P(t)), t = 1/(1 + z/2),
// fractional error < 1.2e-7.
PE_VINLINE float erfcc_poly(float t) {  // P(t) of the erfcc form below
  float p = 0.17087277f;
  p = p * t - 0.82215223f;
  p = p * t + 1.48851587f;
  p = p * t - 1.13520398f;
  p = p * t + 0.27886807f;
  p = p * t - 0.18628806f;
  p = p * t + 0.09678418f;
  p = p * t + 0.37409196f;
  p = p * t + 1.00002368f;
  return p * t - 1.26551223f;
}

PE_VINLINE float normal_sf(float a) {
  const float t = 1.0f / (1.0f + 0.35355339059327376f * a);  // z / 2 = a / (2 sqrt 2)
  return 0.5f * t * exp_m_half_sq(a, erfcc_poly(t));
}

// Q(a) as above and phi(a) = exp(-a^2 / 2) / sqrt(2 pi) sharing one exp(-a^2 / 2), for gelu's
// backward (two exps).
PE_VINLINE float normal_sf_pdf(float a, float& pdf) {
  const float t = 1.0f / (1.0f + 0.35355339059327376f * a);
  pdf = 0.3989422804014327f * exp_m_half_sq(a, 0.0f);
  return 0.5f * t * exp_m_half_sq(a, erfcc_poly(t));
}

// Same names for double, from libm.
PE_VINLINE double exp(double x) { return std::exp(x); }
PE_VINLINE double log(double x) { return std::log(x); }
PE_VINLINE double log1p_pos(double y) { return std::log1p(y); }
PE_VINLINE double sigmoid(double x) { return 1.0 / (1.0 + std::exp(-x)); }
PE_VINLINE double tanh(double x) { return std::tanh(x); }
PE_VINLINE double expm1(double x) { return std::expm1(x); }
PE_VINLINE double exp_m_half_sq(double v, double extra) { return std::exp(-0.5 * v * v + extra); }
PE_VINLINE double normal_sf(double a) { return 0.5 * std::erfc(a * 0.70710678118654752440); }
PE_VINLINE double normal_sf_pdf(double a, double& pdf) {
  pdf = 0.39894228040143267794 * std::exp(-0.5 * a * a);
  return normal_sf(a);
}

}  // namespace
}  // namespace vmath
}  // namespace pyengine
