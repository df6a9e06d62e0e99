// GEMM driver, GotoBLAS/BLIS style: the three outer loops (jc over N by NC, pc over K by KC,
// ic over M by MC) with packing, the thread split, the small-shape path and the batched entry.
// The two inner loops are in macrokernel.cpp, the register tile in ukernel_<isa>.cpp.
//
// Threads partition C, never K: every element of C is the same sequence of FMAs whatever the
// thread count, because block boundaries (MC/KC/NC, MR/NR) do not depend on it and the thread
// split is on MR/NR panel boundaries. So results are bitwise identical for 1, 2 ... threads.
#include <omp.h>

#include <algorithm>
#include <cstdlib>
#include <utility>

#include "common/parallel.h"
#include "gemm/gemm.h"
#include "gemm/macrokernel.h"
#include "gemm/pack.h"
#include "gemm/ukernel.h"

namespace pyengine {
namespace gemm_detail {

template <class T>
const KernelInfo<T>& active_kernel() {
  if constexpr (sizeof(T) == 4) {
    switch (active_isa()) {
      case Isa::avx512: return avx512::kSgemm;
      case Isa::avx2: return avx2::kSgemm;
      default: return generic::kSgemm;
    }
  } else {
    switch (active_isa()) {
      case Isa::avx512: return avx512::kDgemm;
      case Isa::avx2: return avx2::kDgemm;
      default: return generic::kDgemm;
    }
  }
}

namespace {

// Below this many flops one thread is faster: an OpenMP fork/join with two barriers costs a few
// microseconds, about what 2 * 64^3 flops take on one core.
constexpr int64_t kThreadFlops = 2 * 64 * 64 * 64;

// Per-thread, 64-byte aligned scratch that grows on demand and is kept, so a call allocates
// nothing in the steady state (matters for the small shapes of the seed models).
class Scratch {
 public:
  ~Scratch() { std::free(p_); }
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

template <class T>
T* scratch(int slot, int64_t elems) {
  thread_local Scratch bufs[2];
  return static_cast<T*>(bufs[slot].get(static_cast<size_t>(elems) * sizeof(T)));
}

template <class T>
struct Operands {
  int64_t m, n, k;
  T alpha;
  const T* a;
  int64_t rs_a, cs_a;
  const T* b;
  int64_t rs_b, cs_b;
  T beta;
  T* c;
  int64_t rs_c, cs_c;
};

template <class T>
void scale_c(const Operands<T>& o) {  // C = beta * C, for k == 0 or alpha == 0
  for (int64_t i = 0; i < o.m; ++i)
    for (int64_t j = 0; j < o.n; ++j) {
      T& cij = o.c[i * o.rs_c + j * o.cs_c];
      cij = o.beta == T(0) ? T(0) : o.beta * cij;
    }
}

inline int64_t ceil_div(int64_t x, int64_t y) { return (x + y - 1) / y; }

// The blocked algorithm on `nt` threads (nt == 1: no OpenMP region at all).
template <class T>
void gemm_blocked(const KernelInfo<T>& kern, const Operands<T>& o, int nt) {
  const int64_t MR = kern.mr, NR = kern.nr, MC = kern.mc, KC = kern.kc, NC = kern.nc;
  const int64_t m = o.m, n = o.n, k = o.k;
  // A row-major B is used in place when packing would cost more than it saves: few rows of A
  // to reuse each packed B panel (m small), or a B so small it sits in L1/L2 anyway. Large B is
  // always packed: in place, a power-of-two row stride maps the k rows of a panel to one cache
  // set.
  const bool b_in_place = o.cs_b == 1 && (m <= 96 || k * n * int64_t(sizeof(T)) <= (64 << 10));
  const int64_t nc_max = std::min(NC, ceil_div(n, NR) * NR);
  const int64_t kc_max = std::min(KC, k);
  T* b_buf = scratch<T>(1, b_in_place ? kc_max * NR : kc_max * nc_max);

  // Thread grid: split the rows of C when there are enough MR panels, else the columns.
  const int64_t m_panels = ceil_div(m, MR);
  const int tm = m_panels >= 4 * nt ? nt : 1;
  const int tn = nt / tm;

  auto body = [&](int tid) {
    const int mi = tm > 1 ? tid : 0, ni = tm > 1 ? 0 : tid;
    const int64_t i_begin = std::min(m, m_panels * mi / tm * MR);
    const int64_t i_end = std::min(m, m_panels * (mi + 1) / tm * MR);
    const int64_t mc_max = std::min(MC, ceil_div(std::max<int64_t>(i_end - i_begin, 1), MR) * MR);
    T* a_buf = scratch<T>(0, mc_max * kc_max);
    for (int64_t jc = 0; jc < n; jc += NC) {
      const int64_t nc = std::min(NC, n - jc);
      const int64_t n_panels = ceil_div(nc, NR);
      const int64_t j0 = n_panels * ni / tn, j1 = n_panels * (ni + 1) / tn;  // my C panels
      for (int64_t pc = 0; pc < k; pc += KC) {
        const int64_t kc = std::min(KC, k - pc);
        const T beta = pc == 0 ? o.beta : T(1);
        const T* b_blk = o.b + pc * o.rs_b + jc * o.cs_b;
        const T* b_edge = nullptr;
        if (b_in_place) {
          if (nc % NR != 0) {
            b_edge = b_buf;
            if (tid == 0)
              pack_b(kc, nc % NR, b_blk + (n_panels - 1) * NR * o.cs_b, o.rs_b, o.cs_b, int(NR), b_buf);
          }
        } else {  // every thread packs its share of the B block's panels
          const int64_t q0 = n_panels * tid / nt, q1 = n_panels * (tid + 1) / nt;
          if (q1 > q0)
            pack_b(kc, std::min(nc, q1 * NR) - q0 * NR, b_blk + q0 * NR * o.cs_b, o.rs_b, o.cs_b,
                   int(NR), b_buf + q0 * NR * kc);
        }
        if (nt > 1) {
#pragma omp barrier
        }
        if (j1 > j0) {
          const int64_t ncols = std::min(nc, j1 * NR) - j0 * NR;
          const T* b_mine = b_in_place ? b_blk + j0 * NR : b_buf + j0 * NR * kc;
          const int64_t rs_b = b_in_place ? o.rs_b : NR;
          const int64_t stride = b_in_place ? NR : NR * kc;
          for (int64_t ic = i_begin; ic < i_end; ic += MC) {
            const int64_t mc = std::min(MC, i_end - ic);
            pack_a(mc, kc, o.a + ic * o.rs_a + pc * o.cs_a, o.rs_a, o.cs_a, int(MR), a_buf);
            macrokernel(kern, mc, ncols, kc, o.alpha, a_buf, b_mine, rs_b, stride, b_edge, beta,
                        o.c + ic * o.rs_c + (jc + j0 * NR) * o.cs_c, o.rs_c, o.cs_c);
          }
        }
        if (nt > 1) {
#pragma omp barrier
        }
      }
    }
  };
  if (nt <= 1) {
    body(0);
    return;
  }
#pragma omp parallel num_threads(nt)
  body(omp_get_thread_num());
}

template <class T>
int threads_for(const Operands<T>& o) {
  if (2 * o.m * o.n * o.k < kThreadFlops) return 1;
  return max_threads();
}

// Normalises the problem (empty, k == 0, column-major C) and runs it on `nt` threads.
template <class T>
void gemm_one(const KernelInfo<T>& kern, Operands<T> o, int nt) {
  if (o.m <= 0 || o.n <= 0) return;
  if (o.k <= 0 || o.alpha == T(0)) return scale_c(o);
  if (o.cs_c != 1 && o.rs_c == 1) {  // column-major C: compute C^T = B^T A^T instead
    std::swap(o.m, o.n);
    std::swap(o.a, o.b);
    const int64_t ra = o.rs_a, ca = o.cs_a;
    o.rs_a = o.cs_b;
    o.cs_a = o.rs_b;
    o.rs_b = ca;
    o.cs_b = ra;
    std::swap(o.rs_c, o.cs_c);
  }
  gemm_blocked(kern, o, nt);
}

}  // namespace
}  // namespace gemm_detail

template <class T>
void gemm(int64_t m, int64_t n, int64_t k, T alpha, const T* a, int64_t rs_a, int64_t cs_a,
          const T* b, int64_t rs_b, int64_t cs_b, T beta, T* c, int64_t rs_c, int64_t cs_c) {
  using namespace gemm_detail;
  const Operands<T> o{m, n, k, alpha, a, rs_a, cs_a, b, rs_b, cs_b, beta, c, rs_c, cs_c};
  gemm_one(active_kernel<T>(), o, threads_for(o));
}

template <class T>
void gemm_batched(int64_t batch, int64_t m, int64_t n, int64_t k, T alpha, const T* a,
                  int64_t stride_a, int64_t rs_a, int64_t cs_a, const T* b, int64_t stride_b,
                  int64_t rs_b, int64_t cs_b, T beta, T* c, int64_t stride_c, int64_t rs_c,
                  int64_t cs_c) {
  using namespace gemm_detail;
  if (batch <= 0 || m <= 0 || n <= 0) return;
  const KernelInfo<T>& kern = active_kernel<T>();
  const Operands<T> o{m, n, k, alpha, a, rs_a, cs_a, b, rs_b, cs_b, beta, c, rs_c, cs_c};
  const int nt = threads_for(o);
  auto item = [&](int64_t i, int threads) {
    Operands<T> oi = o;
    oi.a += i * stride_a;
    oi.b += i * stride_b;
    oi.c += i * stride_c;
    gemm_one(kern, oi, threads);
  };
  // Small items: one thread per item (each item's result is the single-thread result, which is
  // every thread count's result). Large items: items in order, each threaded inside.
  const int nb = max_threads();
  if (nt == 1 && nb > 1 && batch > 1 && stride_c != 0) {
#pragma omp parallel for num_threads(static_cast<int>(std::min<int64_t>(nb, batch))) schedule(static)
    for (int64_t i = 0; i < batch; ++i) item(i, 1);
    return;
  }
  for (int64_t i = 0; i < batch; ++i) item(i, nt);
}

#define PYENGINE_GEMM_INSTANTIATE(T)                                                          \
  template void gemm<T>(int64_t, int64_t, int64_t, T, const T*, int64_t, int64_t, const T*,   \
                        int64_t, int64_t, T, T*, int64_t, int64_t);                           \
  template void gemm_batched<T>(int64_t, int64_t, int64_t, int64_t, T, const T*, int64_t,     \
                                int64_t, int64_t, const T*, int64_t, int64_t, int64_t, T, T*, \
                                int64_t, int64_t, int64_t);                                   \
  template const gemm_detail::KernelInfo<T>& gemm_detail::active_kernel<T>();
PYENGINE_GEMM_INSTANTIATE(float)
PYENGINE_GEMM_INSTANTIATE(double)
#undef PYENGINE_GEMM_INSTANTIATE

}  // namespace pyengine
