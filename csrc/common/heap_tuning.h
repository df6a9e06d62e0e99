// Process heap settings for an engine that allocates and frees multi-megabyte arrays every step.
#pragma once

namespace pyengine {

// Called once when pyengine._C is imported (csrc/bindings/module.cpp); see heap_tuning.cpp.
void tune_heap_for_large_arrays();

}  // namespace pyengine
