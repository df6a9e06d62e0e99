// Per-thread scratch that grows on demand and is kept between calls (held `thread_local` by its
// users), so a kernel allocates nothing in the steady state: a fresh multi-megabyte buffer per call
// is a fresh mmap whose page faults cost several per cent of a step (GEMM packing on the seed
// models' small shapes; the recurrent kernels' gate buffers). 64-byte aligned, size rounded up to
// whole pages; throws std::bad_alloc when the allocation fails.
#pragma once

#include <cstddef>
#include <cstdlib>
#include <new>

namespace pyengine {

class GrowBuffer {
 public:
  GrowBuffer() = default;
  GrowBuffer(const GrowBuffer&) = delete;
  GrowBuffer& operator=(const GrowBuffer&) = delete;
  ~GrowBuffer() { std::free(p_); }

  void* get(size_t bytes) {
    if (bytes > cap_) {
      std::free(p_);
      cap_ = (bytes + 4095) / 4096 * 4096;
      p_ = std::aligned_alloc(64, cap_);
      if (p_ == nullptr) {
        cap_ = 0;
        throw std::bad_alloc();
      }
    }
    return p_;
  }

 private:
  void* p_ = nullptr;
  size_t cap_ = 0;
};

}  // namespace pyengine
