// Cache sizes at run time and the GEMM blocks derived from them (see blocking.h).
#include "gemm/blocking.h"

#include <algorithm>
#include <cstdlib>
#include <fstream>
#include <string>

#if defined(__x86_64__) || defined(__i386__)
#include <cpuid.h>
#endif

namespace pyengine {
namespace gemm_detail {
namespace {

// The caches every ISA table in ukernel_<isa>.cpp was tuned for (Zen 4: L1d 32 KiB, L2 1 MiB).
constexpr int64_t kRefL1d = int64_t{32} << 10;
constexpr int64_t kRefL2 = int64_t{1} << 20;

int64_t parse_size(const std::string& s) {  // "32K", "1024K", "32768K", "2M"
  if (s.empty()) return 0;
  char* end = nullptr;
  const long long v = std::strtoll(s.c_str(), &end, 10);
  if (v <= 0) return 0;
  const char unit = end != nullptr ? *end : '\0';
  return unit == 'K' ? v << 10 : unit == 'M' ? v << 20 : unit == 'G' ? v << 30 : v;
}

std::string read_line(const std::string& path) {
  std::ifstream f(path);
  std::string s;
  if (f) std::getline(f, s);
  return s;
}

bool from_sysfs(CacheSizes& c) {
  bool any = false;
  for (int i = 0; i < 8; ++i) {
    const std::string d = "/sys/devices/system/cpu/cpu0/cache/index" + std::to_string(i) + "/";
    const std::string level = read_line(d + "level"), type = read_line(d + "type");
    const int64_t size = parse_size(read_line(d + "size"));
    if (level.empty() || size <= 0 || type == "Instruction") continue;
    if (level == "1") c.l1d = size;
    else if (level == "2") c.l2 = size;
    else if (level == "3") c.l3 = size;
    any = true;
  }
  return any && c.l1d > 0 && c.l2 > 0;
}

bool from_cpuid(CacheSizes& c) {
#if defined(__x86_64__) || defined(__i386__)
  unsigned a, b, cx, d;
  if (!__get_cpuid(0, &a, &b, &cx, &d)) return false;
  const bool amd = b == 0x68747541;  // "Auth"enticAMD
  unsigned leaf = 4;
  if (amd) {
    if (!__get_cpuid(0x80000000, &a, &b, &cx, &d) || a < 0x8000001D) return false;
    leaf = 0x8000001D;
  } else if (a < 4) {
    return false;
  }
  bool any = false;
  for (unsigned i = 0; i < 8; ++i) {
    __cpuid_count(leaf, i, a, b, cx, d);
    const unsigned type = a & 0x1F, level = (a >> 5) & 0x7;
    if (type == 0) break;
    if (type == 2) continue;  // instruction cache
    const int64_t size = int64_t((b >> 22) + 1) * ((b >> 12 & 0x3FF) + 1) * ((b & 0xFFF) + 1) *
                         (int64_t(cx) + 1);
    if (level == 1) c.l1d = size;
    else if (level == 2) c.l2 = size;
    else if (level == 3) c.l3 = size;
    any = true;
  }
  return any && c.l1d > 0 && c.l2 > 0;
#else
  (void)c;
  return false;
#endif
}

void env_override(const char* name, int64_t& v, bool& used) {
  const char* s = std::getenv(name);
  if (s == nullptr || *s == '\0') return;
  const int64_t x = parse_size(s);
  if (x > 0) {
    v = x;
    used = true;
  }
}

CacheSizes detect() {
  CacheSizes c{0, 0, 0, "default"};
  if (from_sysfs(c)) c.source = "sysfs";
  else if (CacheSizes t{0, 0, 0, "cpuid"}; from_cpuid(t)) c = t;
  if (c.l1d <= 0 || c.l2 <= 0) c = CacheSizes{kRefL1d, kRefL2, int64_t{32} << 20, "default"};
  if (c.l3 <= 0) c.l3 = 4 * c.l2;
  bool env = false;
  env_override("PYENGINE_L1D", c.l1d, env);
  env_override("PYENGINE_L2", c.l2, env);
  env_override("PYENGINE_L3", c.l3, env);
  if (env) c.source = c.source[0] == 's' ? "sysfs+env" : c.source[0] == 'c' ? "cpuid+env" : "env";
  return c;
}

int64_t round_to(double x, int64_t step, int64_t lo) {
  return std::max(lo, static_cast<int64_t>(x / static_cast<double>(step)) * step);
}

}  // namespace

const CacheSizes& cache_sizes() {
  static const CacheSizes c = detect();
  return c;
}

// Each table's blocks were tuned on the reference caches; they scale with the caches found:
// KC (the L1-resident A micro-panel depth) with L1d, the KC x NC block of B and the MC x KC block
// of A with L2 (the B block also bounded by half of L3). With the reference caches this gives
// the tables' own values.
template <class T>
KernelInfo<T> blocked_for(const KernelInfo<T>& base, const CacheSizes& c) {
  KernelInfo<T> k = base;
  const double l1 = static_cast<double>(c.l1d) / kRefL1d;
  k.kc = static_cast<int>(std::min<int64_t>(2048, round_to(base.kc * l1, 8, 64)));
  const double kc_ratio = static_cast<double>(base.kc) / k.kc;
  const double l2 = static_cast<double>(c.l2) / kRefL2;
  const double l3_cap = 0.5 * static_cast<double>(c.l3) / (double(k.kc) * sizeof(T));
  k.nc = static_cast<int>(std::min<int64_t>(
      8192, round_to(std::min(base.nc * l2 * kc_ratio, l3_cap), base.nr, base.nr)));
  k.mc = static_cast<int>(std::min<int64_t>(
      4096, round_to(std::min(base.mc * l2 * kc_ratio, l3_cap), base.mr, base.mr)));
  return k;
}

template KernelInfo<float> blocked_for(const KernelInfo<float>&, const CacheSizes&);
template KernelInfo<double> blocked_for(const KernelInfo<double>&, const CacheSizes&);

}  // namespace gemm_detail
}  // namespace pyengine
