// GEMM driver, GotoBLAS/BLIS style: the three outer loops (jc over N by NC, pc over K by KC,
// ic over M by MC) with packing, the thread split, the small-shape path and the batched entry.
// The two inner loops are in macrokernel.cpp, the register tile in ukernel_<isa>.cpp.
//
// Threads partition C, never K: every element of C is the same sequence of FMAs whatever the
// thread count (the K blocking does not depend on it, and a micro-kernel gives an element the
// same bits wherever tile boundaries fall), so results are bitwise identical for any count.
#include <omp.h>

#include <algorithm>
#include <array>
#include <atomic>
#include <chrono>
#include <memory>
#include <thread>
#include <cstdlib>
#include <new>
#include <utility>

#if defined(__x86_64__) || defined(__i386__)
#include <immintrin.h>  // _mm_pause
#endif

#include "common/grow_buffer.h"
#include "common/parallel.h"
#include "gemm/blocking.h"
#include "gemm/gemm.h"
#include "gemm/macrokernel.h"
#include "gemm/ukernel.h"

namespace pyengine {
namespace gemm_detail {

// Each ISA's table with its cache blocks derived from this CPU's caches (blocking.h), built once.
template <class T>
const KernelInfo<T>& active_kernel() {
  static const std::array<KernelInfo<T>, 3> tables = [] {
    const CacheSizes& c = cache_sizes();
    if constexpr (sizeof(T) == 4)
      return std::array<KernelInfo<T>, 3>{blocked_for(generic::kSgemm, c),
                                          blocked_for(avx2::kSgemm, c),
                                          blocked_for(avx512::kSgemm, c)};
    else
      return std::array<KernelInfo<T>, 3>{blocked_for(generic::kDgemm, c),
                                          blocked_for(avx2::kDgemm, c),
                                          blocked_for(avx512::kDgemm, c)};
  }();
  switch (active_isa()) {
    case Isa::avx512: return tables[2];
    case Isa::avx2: return tables[1];
    default: return tables[0];
  }
}

namespace {

// Below this many flops a row-major B is used unpacked (use_direct): about what an OpenMP
// fork/join with two barriers costs on an idle machine (a few microseconds of one core).
constexpr int64_t kThreadFlops = 2 * 64 * 64 * 64;

// Threads are used from this many flops up (threads_for): each of 2 threads then gets at least
// 3 MFLOP (~30 us of one core), ten times a fork/join with spinning workers, so the split pays
// even when the worker has to be woken. History: from kThreadFlops (2 * 64^3) up, the MLP loop
// (bench/bench_mlp_loop.py, batch 64) ran 2-5x slower on 2 threads than on 1 at widths 64-256
// on the oversubscribed shared machine; 2 * 192^3 (14 MFLOP) cured that but left the MNIST
// seed products (32x784x128 and its two backward products, 6.4 MFLOP each) on one thread at
// 0.55-0.85x NumPy's two-thread OpenBLAS. 6 Mi flops threads those and keeps every product of
// the MLP loop up to width 512 at batch 10 (10x512x512: 5.2 MFLOP) and width 128 at batch 64
// (2.1 MFLOP) on one thread. The unpacked-path choice (use_direct) keeps kThreadFlops, so no
// product changes path or bits (and the thread count never changes bits anyway).
constexpr int64_t kThreadMinFlops = int64_t{6} << 20;

// Products with no side below 64 (no small batch, no short K: full tiles and full-depth K
// blocks on both threads) are threaded from 4 Mi flops: square 128 (4.2 MFLOP) ran at 0.81x
// NumPy's two-thread OpenBLAS on one thread (lead's quiet run) and 1.42x on two (2026-11-23).
// The MLP loop's products below 6 Mi flops all have a side of 10-32 (batch) or 10 (classes).
constexpr int64_t kThreadMinFlopsFull = int64_t{4} << 20;
constexpr int64_t kThreadMinSide = 64;

// Per-thread, 64-byte aligned scratch that grows on demand and is kept, so a call allocates
// nothing in the steady state (matters for the small shapes of the seed models).
using Scratch = GrowBuffer;  // common/grow_buffer.h

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

// The blocked algorithm for one thread: ia (a band of up to MA rows of A) / pc (KC deep) /
// jc (NC columns of B) / ic (MC rows). Each A block is packed while the first jc block runs (so
// that macro-kernel finds it hot in L2) and kept for the band's other jc blocks: Goto's order
// (jc outside pc) repacks all of A for every NC columns, 3x per thread on a 2048^3 product with
// the column split, which perf put at ~2/3 of the packing time. The band of packed A is bounded
// by kApanelBytes; every element still gets its K blocks in order (pc = 0, 1, ...), so results
// do not change.
constexpr int64_t kApanelBytes = int64_t{4} << 20;

// Equal-sized K blocks no larger than the registered KC (k = 512 gives 256 + 256, not 384 + 128),
// so no block is a sliver with poor reuse; N blocks likewise. KC depends on k alone, never on
// the thread split, so the summation order of every element is fixed.
template <class T>
int64_t k_block(const KernelInfo<T>& kern, int64_t k) {
  return ceil_div(ceil_div(k, ceil_div(k, kern.kc)), 8) * 8;
}

// Rows per band of packed A: whole MC blocks (MC is a multiple of MR, so block i of a band
// starts at i * MC * kc in the buffer) within kApanelBytes, at least one block.
template <class T>
int64_t a_band_rows(const KernelInfo<T>& kern, int64_t k) {
  const int64_t kc_max = std::min(k_block(kern, k), k);
  return std::max<int64_t>(1, kApanelBytes / int64_t(sizeof(T)) / (kern.mc * kc_max)) * kern.mc;
}

template <class T>
int64_t a_band_elems(const KernelInfo<T>& kern, int64_t m, int64_t k) {
  return std::min(a_band_rows(kern, k), ceil_div(m, kern.mr) * kern.mr) *
         std::min(k_block(kern, k), k);
}

// A team of threads that split C by columns shares the packing of A (each thread's column strip
// needs all of A): the band's MC blocks are dealt out, thread t packing an equal share of them,
// and every thread uses every block. Instead of barriers around the packing, each block carries a
// ready tag (the step that packed it) and each thread its count of finished steps (a step is one
// (ia, pc) iteration): a thread packs its own blocks and computes them at once, while they are
// hot in its L2, then takes the others' blocks, waiting only if one is not packed yet (rare:
// their owner packed them at the same time); before repacking a buffer it waits until every
// thread has finished the step that last used it. Two band buffers alternate by step, so a fast
// thread can pack step s + 1 while a slow one still reads step s. The packed layout and every
// element's K order are the same as without threads, so results do not change.
template <class T>
struct SharedA {
  T* buf[2];                       // band buffers, step s uses buf[s % 2]
  std::atomic<int64_t>* ready;     // [2][max_blocks]: step + 1 once block b of buf[s % 2] is packed
  std::atomic<int64_t>* done;      // [team]: steps finished by each thread
  int64_t max_blocks;
  int t, nt;
};

// Waiting for another thread of the team: spin (pause) at first, as a block is normally packed
// within microseconds, yielding now and then; once 0.2 ms have passed (the other thread was
// descheduled on a busy machine) sleep between looks, so that the core goes to whoever runs
// there, maybe the thread waited for, as libgomp's barrier does when its spin count runs out.
class SpinWait {
 public:
  void operator()() {
#if defined(__x86_64__) || defined(__i386__)
    _mm_pause();
#endif
    if (++spins_ % 256 != 0) return;
    const auto now = std::chrono::steady_clock::now();
    if (spins_ == 256) start_ = now;
    if (now - start_ < std::chrono::microseconds(200)) return std::this_thread::yield();
    std::this_thread::sleep_for(std::chrono::microseconds(50));
  }

 private:
  int64_t spins_ = 0;
  std::chrono::steady_clock::time_point start_;
};

// Blocks per band for a shared A: a multiple of the team size (so each thread packs as many
// blocks as the others), each at most MC rows. Every thread computes the same value.
template <class T>
int64_t shared_blocks(const KernelInfo<T>& kern, int64_t ma, int nt) {
  return ceil_div(ceil_div(ma, kern.mc), nt) * nt;
}

// A B that gemm_blocked uses in place whatever the number of rows (nothing of it is packed).
template <class T>
bool b_fits_in_place(const Operands<T>& o) {
  return o.k * o.n * int64_t(sizeof(T)) <= (64 << 10);
}

// A column-major A (a transposed view: the weight gradient A.T @ g reads the activations A
// (batch, in) as (in, batch)) is read in place, as the micro-panel layout with the column stride
// for step: panel element (i, p) at a[p * cs_a + i]; only a last, partial panel is copied
// (zero-padded, so no row past A's end is read). The values and their order are those of the
// packed panel, so the bits are the same. One thread, CPU time, packed -> in place: 784x32 @
// 32x128 64.5 -> 62.8 us (packing was 4 % of the micro-kernel's time in perf), 784x128x128
// 249 -> 233, 784x384x128 745 -> 690, 1000x256x1000 5060 -> 4868, 1000x32x1000 level. An
// unpacked micro-panel spans one cache line per k step instead of MR * sizeof(T) / 64, so a
// column stride that is a multiple of 512 bytes, which puts the lines in at most 8 of the 64 L1
// sets, keeps the packing: 1024x32x1024 (4 KiB stride, B packed) ran 675-707 -> 727-767 us in
// place.
template <class T>
bool a_in_place(const Operands<T>& o) {
  return o.rs_a == 1 && (o.cs_a * int64_t(sizeof(T))) % 512 != 0;
}

template <class T>
void gemm_blocked(const KernelInfo<T>& kern, const Operands<T>& o,
                  const SharedA<T>* shared = nullptr) {
  const int64_t MR = kern.mr, NR = kern.nr;
  const int64_t m = o.m, n = o.n, k = o.k;
  const PackFn<T> pack_a_fn = kern.pack_a, pack_b_fn = kern.pack_b;
  const int64_t KC = k_block(kern, k);
  const int64_t NC = ceil_div(ceil_div(n, ceil_div(n, kern.nc)), NR) * NR;
  // A row-major B is used in place when packing would cost more than it saves: few rows of A
  // to reuse each packed B panel (m small), or a B so small it sits in L1/L2 anyway. Large B is
  // always packed: in place, a power-of-two row stride maps the k rows of a panel to one cache
  // set. (Either way the micro-kernel sees the same values in the same order.)
  const bool b_in_place = o.cs_b == 1 && (m <= 96 || b_fits_in_place(o));
  const int64_t kc_max = std::min(KC, k);
  const int64_t nc_max = std::min(NC, ceil_div(n, NR) * NR);
  const int64_t MA = a_band_rows(kern, k);
  T* b_buf = scratch<T>(1, b_in_place ? kc_max * NR : kc_max * nc_max);
  const bool a_unpacked = !shared && a_in_place(o);  // a shared A is never in place (gemm_threaded)
  T* a_own = shared ? nullptr : scratch<T>(0, a_unpacked ? MR * kc_max : a_band_elems(kern, m, k));
  int64_t step = 0;
  for (int64_t ia = 0; ia < m; ia += MA) {
    const int64_t ma = std::min(MA, m - ia);
    // MC blocks of this band: kern.mc rows each; with a shared A, a multiple of the team size
    // of equal blocks (MR multiples), block `bi` owned by thread bi * nt / nblocks.
    const int64_t nblocks = shared ? shared_blocks(kern, ma, shared->nt) : ceil_div(ma, kern.mc);
    const int64_t MC = ceil_div(ceil_div(ma, MR), nblocks) * MR;
    const int64_t own0 = shared ? nblocks * shared->t / shared->nt : 0;
    for (int64_t pc = 0; pc < k; pc += KC, ++step) {
      const int64_t kc = std::min(KC, k - pc);
      const T beta = pc == 0 ? o.beta : T(1);  // later K blocks accumulate onto C
      T* a_buf = shared ? shared->buf[step % 2] : a_own;
      std::atomic<int64_t>* ready = shared ? shared->ready + (step % 2) * shared->max_blocks : nullptr;
      if (shared && step >= 2) {  // buf[step % 2] was last read in step - 2: all must be past it
        SpinWait wait;
        for (int u = 0; u < shared->nt; ++u)
          while (shared->done[u].load(std::memory_order_acquire) < step - 1) wait();
      }
      for (int64_t jc = 0; jc < n; jc += NC) {
        const int64_t nc = std::min(NC, n - jc);
        const T* b_blk = o.b + pc * o.rs_b + jc * o.cs_b;
        const T* b_edge = nullptr;
        if (!b_in_place) {
          pack_b_fn(kc, nc, b_blk, o.rs_b, o.cs_b, int(NR), b_buf);
        } else if (nc % NR != 0) {  // only the last, partial panel needs a zero-padded copy
          pack_b_fn(kc, nc % NR, b_blk + (nc - nc % NR), o.rs_b, o.cs_b, int(NR), b_buf);
          b_edge = b_buf;
        }
        const BlockOperand<T> bo{b_in_place ? b_blk : b_buf, b_in_place ? o.rs_b : NR,
                                 b_in_place ? NR : NR * kc, b_edge};
        // Own blocks first (a shared A): they are packed here, the others meanwhile.
        for (int64_t bj = 0; bj < nblocks; ++bj) {
          const int64_t bi = (own0 + bj) % nblocks;
          const int64_t ic = ia + bi * MC;
          if (ic >= ia + ma) continue;  // blocks past the band's end (rounding up to the team)
          const int64_t mc = std::min(MC, ia + ma - ic);
          const T* a_src = o.a + ic * o.rs_a + pc * o.cs_a;
          if (a_unpacked) {  // only a last, partial panel is packed (MC is a multiple of MR)
            const int64_t full = mc / MR * MR;
            if (jc == 0 && full < mc)
              pack_a_fn(mc - full, kc, a_src + full * o.rs_a, o.rs_a, o.cs_a, int(MR), a_own);
            macrokernel(kern, mc, nc, kc, o.alpha,
                        BlockOperand<T>{a_src, o.cs_a, MR, full < mc ? a_own : nullptr}, bo, beta,
                        o.c + ic * o.rs_c + jc * o.cs_c, o.rs_c, o.cs_c);
            continue;
          }
          T* a_blk = a_buf + bi * MC * kc;
          const bool mine = !shared || bi * shared->nt / nblocks == shared->t;
          if (jc == 0 && mine) {
            pack_a_fn(mc, kc, o.a + ic * o.rs_a + pc * o.cs_a, o.rs_a, o.cs_a, int(MR), a_blk);
            if (shared) ready[bi].store(step + 1, std::memory_order_release);
          } else if (jc == 0) {
            SpinWait wait;
            while (ready[bi].load(std::memory_order_acquire) != step + 1) wait();
          }
          macrokernel(kern, mc, nc, kc, o.alpha, BlockOperand<T>{a_blk, MR, MR * kc, nullptr}, bo,
                      beta, o.c + ic * o.rs_c + jc * o.cs_c, o.rs_c, o.cs_c);
        }
      }
      if (shared) shared->done[shared->t].store(step + 1, std::memory_order_release);
    }
  }
}

// Row split with a small row-major B (e.g. the weight gradient A.T @ g = 784x32 @ 32x128): no
// operand is shared, so instead of one fixed strip per thread the threads take blocks of rows
// from a counter, about four each. A thread slowed down by another process (on a shared
// machine, or a library's idle worker that still spins: OpenBLAS's spin for ~0.1 s after a
// call) then takes fewer blocks instead of holding up the team. Each block runs the same
// blocked algorithm on its rows, so the bits do not depend on who computes which block.
// The blocks are 4 * nt slices of the MR-row panels as equal as the panel count allows (block b:
// panels [P * b / nb, P * (b + 1) / nb)), so with nothing else running every thread takes the
// same number of panels. Blocks of a fixed ceil(P / (4 nt)) panels left a short last block: on
// 784x32 @ 32x128 (66 panels, 8 blocks of 9 and a last of 3 panels) one thread computed 36
// panels and the other 30, a tenth of the product's time spent waiting at the join.
template <class T>
void gemm_row_blocks_dynamic(const KernelInfo<T>& kern, const Operands<T>& o, int nt) {
  const int64_t panels = ceil_div(o.m, kern.mr);
  const int64_t nb = std::min(panels, 4 * int64_t(nt));
  std::atomic<int64_t> next{0};
#pragma omp parallel num_threads(nt)
  for (int64_t b; (b = next.fetch_add(1, std::memory_order_relaxed)) < nb;) {
    const int64_t i0 = panels * b / nb * kern.mr;
    const int64_t i1 = std::min(o.m, panels * (b + 1) / nb * kern.mr);
    Operands<T> p = o;
    p.m = i1 - i0;
    p.a += i0 * o.rs_a;
    p.c += i0 * o.rs_c;
    gemm_blocked(kern, p);
  }
}

// Splits C into `nt` strips on NR (or MR) panel boundaries, one blocked GEMM per thread with
// private B packing buffers, so each core keeps its own B block in its own L2. Every column
// strip needs all of A, which the threads then pack together (SharedA, no barriers); every row
// strip needs all of B, packed per thread unless it is small enough to be read in place (then
// row blocks are dealt dynamically). The split shares the smaller operand (columns when
// M <= N), if that dimension has panels enough for all threads.
template <class T>
void gemm_threaded(const KernelInfo<T>& kern, const Operands<T>& o, int nt) {
  const int64_t n_panels = ceil_div(o.n, kern.nr), m_panels = ceil_div(o.m, kern.mr);
  const bool split_n = o.m <= o.n ? n_panels >= 2 * nt || n_panels >= m_panels
                                  : !(m_panels >= 2 * nt || m_panels >= n_panels);
  const int64_t panels = split_n ? n_panels : m_panels;
  nt = static_cast<int>(std::min<int64_t>(nt, panels));
  if (nt <= 1) return gemm_blocked(kern, o);
  if (!split_n && o.cs_b == 1 && b_fits_in_place(o)) return gemm_row_blocks_dynamic(kern, o, nt);
  // A column split shares the packing of A (SharedA) when every thread gets an MC block of it.
  // An A read in place (a_in_place) is not packed at all, so there is nothing to share.
  const bool share_a = split_n && ceil_div(o.m, kern.mc) >= nt && !a_in_place(o);
  const int64_t band = share_a ? a_band_elems(kern, o.m, o.k) : 0;
  // Room for a band's blocks rounded up to a multiple of the team (shared_blocks; the team
  // formed may be smaller than nt): fewer than its MC blocks + nt.
  const int64_t max_blocks =
      share_a ? ceil_div(std::min(o.m, a_band_rows(kern, o.k)), kern.mc) + nt : 0;
  T* shared_buf = share_a ? scratch<T>(0, 2 * band) : nullptr;
  std::unique_ptr<std::atomic<int64_t>[]> flags(
      share_a ? new std::atomic<int64_t>[2 * max_blocks + nt] : nullptr);
  for (int64_t i = 0; share_a && i < 2 * max_blocks + nt; ++i) flags[i].store(0);
#pragma omp parallel num_threads(nt)
  {
    // The team actually formed (the runtime may give fewer threads than asked for, e.g. with
    // OMP_DYNAMIC), so that every panel is covered and every share of A is packed.
    const int t = omp_get_thread_num(), team = omp_get_num_threads();
    const int64_t w = split_n ? kern.nr : kern.mr, len = split_n ? o.n : o.m;
    const int64_t begin = std::min(len, panels * t / team * w);
    const int64_t end = std::min(len, panels * (t + 1) / team * w);
    Operands<T> p = o;
    if (split_n) {
      p.n = end - begin;
      p.b += begin * o.cs_b;
      p.c += begin * o.cs_c;
    } else {
      p.m = end - begin;
      p.a += begin * o.rs_a;
      p.c += begin * o.rs_c;
    }
    const SharedA<T> shared{{shared_buf, shared_buf + band}, flags.get(),
                            flags.get() + 2 * max_blocks, max_blocks, t, team};
    // Every strip is non-empty (team <= nt <= panels).
    gemm_blocked(kern, p, share_a ? &shared : nullptr);
  }
}

template <class T>
int threads_for(const Operands<T>& o) {
  const int64_t flops = 2 * o.m * o.n * o.k;
  const bool full = std::min({o.m, o.n, o.k}) >= kThreadMinSide;
  if (flops < (full ? kThreadMinFlopsFull : kThreadMinFlops)) return 1;
  return max_threads();
}

// Products too small to thread (below kThreadFlops) with a row-major B run unpacked
// (ukernel_direct): packing is O(mk + kn) copies for O(mnk) FMAs, and at these sizes the copies
// (a transposing pack of a row-major A above all) cost as much as the arithmetic. Measured
// against the packed path: 32x128x10 1.6 vs 3.6 us, 10x784x10 3.1 vs 16.3 us, 48^3 2.4 vs
// 4.2 us; at 64^3 the packed path on two threads wins (docs/gemm.md).

template <class T>
bool use_direct(const KernelInfo<T>& kern, const Operands<T>& o) {
  return kern.direct != nullptr && o.cs_b == 1 && o.cs_c == 1 &&
         2 * o.m * o.n * o.k < kThreadFlops;
}

// The same small products with a B that is not row-major (x @ w.T in a Linear layer's forward,
// w (out, in) row-major): B is copied row-major into scratch (k * n elements, less than the
// product's k * n * m FMAs) and run unpacked. The packed path cost 3.2 us on 10x64 @ (16x64).T
// against 0.6 us with a row-major B: its A packing and setup dominate at these sizes.
template <class T>
bool use_direct_copying_b(const KernelInfo<T>& kern, const Operands<T>& o) {
  return kern.direct != nullptr && o.cs_b != 1 && o.cs_c == 1 &&
         2 * o.m * o.n * o.k < kThreadFlops;
}

template <class T>
Operands<T> with_row_major_b(Operands<T> o) {
  T* b = scratch<T>(1, o.k * o.n);
  if (o.rs_b == 1) {  // column-major B (a transposed view): read each column contiguously
    for (int64_t j = 0; j < o.n; ++j)
      for (int64_t p = 0; p < o.k; ++p) b[p * o.n + j] = o.b[p + j * o.cs_b];
  } else {
    for (int64_t p = 0; p < o.k; ++p)
      for (int64_t j = 0; j < o.n; ++j) b[p * o.n + j] = o.b[p * o.rs_b + j * o.cs_b];
  }
  o.b = b;
  o.rs_b = o.n;
  o.cs_b = 1;
  return o;
}

template <class T>
void gemm_direct(const KernelInfo<T>& kern, const Operands<T>& o) {
  const int64_t MR = kern.mr, NR = kern.nr;
  for (int64_t j = 0; j < o.n; j += NR) {
    const int64_t nr = std::min(NR, o.n - j);
    const UkernelDirectFn<T> uk = 2 * nr <= NR ? kern.direct_half : kern.direct;
    for (int64_t i = 0; i < o.m; i += MR)
      uk(o.k, o.a + i * o.rs_a, o.rs_a, o.cs_a, o.b + j, o.rs_b, o.c + i * o.rs_c + j, o.rs_c,
         std::min(MR, o.m - i), nr, o.alpha, o.beta);
  }
}

template <class T>
Operands<T> transposed(Operands<T> o) {  // C^T = B^T A^T: same products, same sums
  std::swap(o.m, o.n);
  std::swap(o.a, o.b);
  const int64_t ra = o.rs_a, ca = o.cs_a;
  o.rs_a = o.cs_b;
  o.cs_a = o.rs_b;
  o.rs_b = ca;
  o.cs_b = ra;
  std::swap(o.rs_c, o.cs_c);
  return o;
}

// Normalises the problem (empty, k == 0, column-major C), picks unpacked or packed, and runs it
// on `nt` threads. The choice depends on the shape and strides only, never on `nt`.
template <class T>
void gemm_one(const KernelInfo<T>& kern, Operands<T> o, int nt) {
  if (o.m <= 0 || o.n <= 0) return;
  if (o.k <= 0 || o.alpha == T(0)) return scale_c(o);
  // Compute C^T = B^T A^T instead when C is column-major, or, on the packed path, when C is so
  // narrow (n < NR) that most of the vector dimension of every tile would be padding while m
  // would fill it better (e.g. 32 x 784 @ 784 x 10).
  const auto padded = [](int64_t x, int64_t r) { return ceil_div(x, r) * r; };
  const bool col_major = o.cs_c != 1 && o.rs_c == 1;
  const bool narrow = o.n < kern.nr && 2 * padded(o.m, kern.mr) * padded(o.n, kern.nr) >
                                           3 * padded(o.n, kern.mr) * padded(o.m, kern.nr);
  const Operands<T> t = transposed(o);
  const Operands<T>& row_major_c = col_major ? t : o;
  if (use_direct(kern, row_major_c)) return gemm_direct(kern, row_major_c);
  if (use_direct_copying_b(kern, row_major_c))
    return gemm_direct(kern, with_row_major_b(row_major_c));
  gemm_threaded(kern, col_major || narrow ? t : o, nt);
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
  // every thread count's result), when all of them together are worth a fork (kThreadMinFlops,
  // as for one product). Large items: items in order, each threaded inside.
  const int nb = max_threads();
  const bool worth_a_fork = 2 * m * n * k >= kThreadMinFlops / batch;
  if (nt == 1 && nb > 1 && batch > 1 && stride_c != 0 && worth_a_fork) {
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
