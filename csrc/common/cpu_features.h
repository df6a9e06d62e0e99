// Run-time CPU feature detection and ISA selection.
//
// Hot kernels are compiled once per ISA in their own translation units (files ending in
// _avx2.cpp / _avx512.cpp get the matching -m flags from CMake). Which one runs is decided here,
// once at start-up from CPUID, or forced with PYENGINE_CPU=generic|avx2|avx512 (for tests).
#pragma once
#include <string>

namespace pyengine {

enum class Isa { generic = 0, avx2 = 1, avx512 = 2 };

// The best ISA this CPU supports (independent of any override).
Isa detected_isa();
// The ISA kernels dispatch to now: detected_isa() unless PYENGINE_CPU or set_active_isa chose another.
Isa active_isa();
// Force an ISA. Throws std::invalid_argument for an unknown name or one this CPU cannot run.
void set_active_isa(const std::string& name);
const char* isa_name(Isa isa);

}  // namespace pyengine
