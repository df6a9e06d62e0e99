#include "common/cpu_features.h"

#include <cpuid.h>
#include <cstdint>
#include <cstdlib>
#include <stdexcept>

namespace pyengine {
namespace {

// XCR0 tells whether the OS saves the wide registers; CPUID alone is not enough.
uint64_t read_xcr0() {
  uint32_t eax, edx;
  __asm__ volatile("xgetbv" : "=a"(eax), "=d"(edx) : "c"(0));
  return (static_cast<uint64_t>(edx) << 32) | eax;
}

Isa detect() {
  unsigned a, b, c, d;
  if (!__get_cpuid(1, &a, &b, &c, &d)) return Isa::generic;
  const bool osxsave = c & (1u << 27), fma = c & (1u << 12), avx = c & (1u << 28);
  if (!osxsave || !avx) return Isa::generic;
  const uint64_t xcr0 = read_xcr0();
  if ((xcr0 & 0x6) != 0x6) return Isa::generic;  // XMM + YMM state
  if (__get_cpuid_max(0, nullptr) < 7) return Isa::generic;
  __cpuid_count(7, 0, a, b, c, d);
  const bool avx2 = b & (1u << 5);
  const bool avx512f = b & (1u << 16), avx512dq = b & (1u << 17), avx512bw = b & (1u << 30),
             avx512vl = b & (1u << 31);
  const bool zmm_state = (xcr0 & 0xE6) == 0xE6;  // opmask + ZMM_Hi256 + Hi16_ZMM
  if (avx2 && fma && avx512f && avx512dq && avx512bw && avx512vl && zmm_state) return Isa::avx512;
  if (avx2 && fma) return Isa::avx2;
  return Isa::generic;
}

Isa parse(const std::string& name) {
  if (name == "generic") return Isa::generic;
  if (name == "avx2") return Isa::avx2;
  if (name == "avx512") return Isa::avx512;
  throw std::invalid_argument("[cpu] unknown ISA '" + name + "'; valid: generic, avx2, avx512");
}

Isa initial_isa() {
  const char* env = std::getenv("PYENGINE_CPU");
  if (env == nullptr || *env == '\0') return detected_isa();
  const Isa want = parse(env);
  if (static_cast<int>(want) > static_cast<int>(detected_isa()))
    throw std::invalid_argument(std::string("[cpu] PYENGINE_CPU=") + env +
                                " but this CPU supports at most " + isa_name(detected_isa()));
  return want;
}

Isa g_active = Isa::generic;
bool g_initialised = false;

}  // namespace

Isa detected_isa() {
  static const Isa isa = detect();
  return isa;
}

Isa active_isa() {
  if (!g_initialised) {  // first call happens at module import (single-threaded, GIL held)
    g_active = initial_isa();
    g_initialised = true;
  }
  return g_active;
}

void set_active_isa(const std::string& name) {
  const Isa want = parse(name);
  if (static_cast<int>(want) > static_cast<int>(detected_isa()))
    throw std::invalid_argument("[cpu] cannot use " + name + ": this CPU supports at most " +
                                std::string(isa_name(detected_isa())));
  g_active = want;
  g_initialised = true;
}

const char* isa_name(Isa isa) {
  switch (isa) {
    case Isa::avx512: return "avx512";
    case Isa::avx2: return "avx2";
    default: return "generic";
  }
}

}  // namespace pyengine
