// Small-plane convolutions with the batch in the vector lanes (groups 1), compiled per ISA:
// conv_batch_lanes_<isa>.cpp defines PE_ISA_NS and the register-tile sizes, then includes this
// file; CMake gives the TU the matching -m flags.
//
// Why: on DCGAN's 14x14 -> 7x7 and 7x7 -> 4x4 layers the zero padding is 13-30 % of the
// multiply-adds that im2col + GEMM performs (4x4 stride 2 pad 1: 26 of 28 taps per axis are
// real; 3x3 stride 2 on 7x7: 10 of 12), and at PyTorch's speed there the 1.2x of issue 12 needs
// more than the FMA peak if the padding is multiplied (docs/conv.md, "Seventh session"). Here the
// images of a panel of NB lie side by side in the lanes, so every output position is one
// register tile of MR channels x NB images whose reduction runs over the taps that are inside
// the input only: a tap in the padding is skipped for all NB images at once.
//
// Layouts (NB = kNV vectors of kVL lanes; panel p holds images [p NB, p NB + NB), zero lanes
// past the batch):
//   lanes(src)  [panel][position][channel][NB]   x (forward), dy (input grad), packed once per
//               call, each position's block a cache line longer than channel x NB
//   forward     y[o][pos]   = b[o] + sum_(tap inside) sum_c w[o][c][tap] x[c][pos @ tap]
//               A = weights in place, or packed [o-panel][tap][c][MR] (WeightPanels),
//               B = x lanes at the tap's input position
//   input grad  dx[c][pos] = sum_(tap, output pos hitting pos) sum_o w[o][c][tap] dy[o][opos]
//               (+ b[c]: a transposed convolution's bias)
//               A = weights transposed (WeightPanels), B = dy lanes at the output position
//   weight grad dw[o][c][tap] = sum_(pos inside) sum_images dy[o][pos] x[c][pos @ tap]: a tile
//               of MR output x NB input channels with the images as the reduction, dy and x
//               packed in channel panels [panel][position][image][width]
//   4x4 stride 2 forward and input gradient: Winograd F(4x4, 2x2) on the same tiles; weight
//               gradient: F(2x2, 4x4) on the weight gradient's tiles
//               (conv_batch_lanes_winograd.h, included at the end)
// Every sum runs in one fixed order (forward and input gradient: weights read in place, the
// reduction channels ascending and the taps in (kh, kw) order within each; packed, the taps
// outside and the channels inside; the weight gradient's positions and images ascending, in
// partial sums of at most kPartial terms added in order) and each thread owns whole output
// tiles, so results do not depend on the thread count.
#include <omp.h>

#include <algorithm>
#include <cstdint>
#include <cstring>
#include <memory>
#include <type_traits>

#include "common/grow_buffer.h"
#include "conv/conv2d.h"

#if defined(__AVX512F__)
#include <immintrin.h>
#endif

// The lane vectors never cross a call boundary (everything is inlined into this TU).
#pragma GCC diagnostic ignored "-Wpsabi"

namespace pyengine {
namespace PE_ISA_NS {
namespace {

template <class T> struct BatchLanesVec {
  typedef T type __attribute__((vector_size(PE_BL_VBYTES)));
};
template <class T>
using VecL = typename BatchLanesVec<T>::type;

template <class T>
constexpr int64_t kVL = PE_BL_VBYTES / int64_t(sizeof(T));  // lanes per vector
constexpr int kNV = 2;                                        // vectors per panel row
template <class T>
constexpr int64_t kNB = kNV * kVL<T>;  // images per panel
constexpr int kMR = PE_BL_MR;          // channels per tile row block (the broadcast side)

template <class T>
constexpr int64_t kLine = 64 / int64_t(sizeof(T));  // values per cache line

template <class T>
__attribute__((always_inline)) inline VecL<T> vload(const T* p) {
  VecL<T> v;
  std::memcpy(&v, p, sizeof v);
  return v;
}

// Scratch of n values for buffer `Slot` of a call (the slots a call holds at once differ),
// kept by the calling thread between calls (common/grow_buffer.h) and 64-byte aligned. A fresh
// new T[] per call was 16-byte aligned (every whole-vector access of a lane layout straddled two
// cache lines), and when glibc had returned the freed block to the system, its pages faulted
// again on every call: the 0.8 MB input lanes of DCGAN's 64->128 layer took 250 us to pack
// instead of 20 (MALLOC_TRIM_THRESHOLD_ at its default with a raised mmap threshold).
template <class T, int Slot>
T* call_scratch(int64_t n) {
  thread_local GrowBuffer buffer;
  return static_cast<T*>(buffer.get(static_cast<size_t>(n > 0 ? n : 1) * sizeof(T)));
}

inline int threads_for(int64_t items) {
  if (omp_in_parallel()) return 1;
  return static_cast<int>(std::max<int64_t>(1, std::min<int64_t>(items, omp_get_max_threads())));
}

#if defined(__AVX512F__)
// GCC 12 reports the unpack intrinsics' undefined pass-through operand (_mm512_undefined_ps) as
// uninitialized once they are inlined here; nothing is read from it.
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wuninitialized"
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"
// d[q * ds + r] = s[r * ss + q] for a 16 x 16 block of floats: three rounds of unpacks and two
// of 128-bit lane shuffles, the rows loaded and the columns stored as whole vectors.
inline void transpose16(const float* s, int64_t ss, float* d, int64_t ds) {
  __m512 r[16], t[16];
  for (int i = 0; i < 16; ++i) r[i] = _mm512_loadu_ps(s + i * ss);
  for (int i = 0; i < 8; ++i) {
    t[2 * i] = _mm512_unpacklo_ps(r[2 * i], r[2 * i + 1]);
    t[2 * i + 1] = _mm512_unpackhi_ps(r[2 * i], r[2 * i + 1]);
  }
  for (int i = 0; i < 4; ++i) {
    const __m512d a = _mm512_castps_pd(t[4 * i]), b = _mm512_castps_pd(t[4 * i + 2]);
    const __m512d c = _mm512_castps_pd(t[4 * i + 1]), e = _mm512_castps_pd(t[4 * i + 3]);
    r[4 * i] = _mm512_castpd_ps(_mm512_unpacklo_pd(a, b));
    r[4 * i + 1] = _mm512_castpd_ps(_mm512_unpackhi_pd(a, b));
    r[4 * i + 2] = _mm512_castpd_ps(_mm512_unpacklo_pd(c, e));
    r[4 * i + 3] = _mm512_castpd_ps(_mm512_unpackhi_pd(c, e));
  }
  for (int i = 0; i < 2; ++i)
    for (int j = 0; j < 4; ++j) {
      t[8 * i + j] = _mm512_shuffle_f32x4(r[8 * i + j], r[8 * i + j + 4], 0x88);
      t[8 * i + j + 4] = _mm512_shuffle_f32x4(r[8 * i + j], r[8 * i + j + 4], 0xdd);
    }
  for (int j = 0; j < 8; ++j) {
    _mm512_storeu_ps(d + j * ds, _mm512_shuffle_f32x4(t[j], t[j + 8], 0x88));
    _mm512_storeu_ps(d + (j + 8) * ds, _mm512_shuffle_f32x4(t[j], t[j + 8], 0xdd));
  }
}
#pragma GCC diagnostic pop
#endif

// d[q * ds + r] = s[r * ss + q] for r < rows, q < cols. Both packs below are such transposes
// with strides that are often multiples of 4 KiB; element by element (rows read as separate
// streams, or columns written to lines of one cache set) they took 13-27 % of a DCGAN layer.
// AVX-512 floats go through 16 x 16 register blocks; the rest element by element, the next
// lines of each row asked for ahead.
template <class T>
void transpose_rows(const T* s, int64_t ss, int64_t rows, int64_t cols, T* d, int64_t ds) {
  int64_t r0 = 0;
#if defined(__AVX512F__)
  if constexpr (std::is_same<T, float>::value) {
    for (; r0 + 16 <= rows; r0 += 16) {
      int64_t q = 0;
      for (; q + 16 <= cols; q += 16) transpose16(s + r0 * ss + q, ss, d + q * ds + r0, ds);
      for (; q < cols; ++q)
        for (int64_t r = r0; r < r0 + 16; ++r) d[q * ds + r] = s[r * ss + q];
    }
  }
#endif
  if (r0 == rows) return;
  for (int64_t q = 0; q < cols; ++q) {
    if (q % kLine<T> == 0)
      for (int64_t r = r0; r < rows; ++r) __builtin_prefetch(s + r * ss + q + 2 * kLine<T>);
    for (int64_t r = r0; r < rows; ++r) d[q * ds + r] = s[r * ss + q];
  }
}

// Values from one position of the lane layout to the next: ch NB and a cache line. ch NB alone
// is a multiple of 4 KiB on DCGAN's layers (8 KiB for 64 channels), so that the transposes of
// pack_lanes wrote a panel's positions into one cache set: 5 % of the 64->128 forward on one
// thread (1.07 -> 1.01 ms).
template <class T>
int64_t lane_position_stride(int64_t ch) {
  return ch * kNB<T> + kLine<T>;
}

// src (n, ch, hw) C-contiguous into the lane layout [panel][hw][pos], position blocks pos
// (lane_position_stride) apart holding [ch][NB], lanes past n zero: per (panel, channel) a
// transpose of the panel's images' planes.
template <class T>
void pack_lanes(const T* src, int64_t n, int64_t ch, int64_t hw, T* dst, int64_t pos) {
  constexpr int64_t NB = kNB<T>;
  const int64_t panels = (n + NB - 1) / NB;
#pragma omp parallel for num_threads(threads_for(panels * ch)) schedule(static)
  for (int64_t it = 0; it < panels * ch; ++it) {
    const int64_t p = it / ch, c = it % ch, n0 = p * NB, nb = std::min(NB, n - n0);
    T* d = dst + p * hw * pos + c * NB;
    transpose_rows(src + (n0 * ch + c) * hw, ch * hw, nb, hw, d, pos);
    for (int64_t q = 0; q < hw && nb < NB; ++q) std::fill(d + q * pos + nb, d + q * pos + NB, T(0));
  }
}

// src (n, ch, hw) C-contiguous into [channel panel][hw][n][pw] (panels of pw channels,
// channels past ch zero): per image and panel a transpose of the panel's planes. A tile then
// reads its panel as one contiguous run (rows of a layout [hw][n][ch] would each be read in
// part: 30 % slower on 64->64 3x3 8x8 planes).
// Positions are pos apart (at least n pw; n pw + kLine avoids the cache-set conflict that
// lane_position_stride describes).
template <class T>
void pack_panels(const T* src, int64_t n, int64_t ch, int64_t hw, int64_t pw, T* dst,
                 int64_t pos) {
  const int64_t panels = (ch + pw - 1) / pw;
#pragma omp parallel for num_threads(threads_for(n * panels)) schedule(static)
  for (int64_t it = 0; it < n * panels; ++it) {
    const int64_t i = it / panels, c0 = it % panels * pw, rows = std::min(pw, ch - c0);
    T* d = dst + c0 / pw * hw * pos + i * pw;
    transpose_rows(src + (i * ch + c0) * hw, hw, rows, hw, d, pos);
    for (int64_t q = 0; q < hw && rows < pw; ++q)
      std::fill(d + q * pos + rows, d + q * pos + pw, T(0));
  }
}

// acc[MR][NV] += A (k x MR: element (p, i) at a + p as_a + i ar) * B (k x NB, row p at
// b + p rs_b). The steps are std::integral_constant for the packed layouts, so the loop compiles
// with fixed offsets; A read in place from the weights has run-time steps (WeightPanels).
template <class T, class StepA, class StepR, class StepB>
__attribute__((always_inline)) inline void tile_accumulate(int64_t k, const T* a, StepA as_a,
                                                           StepR ar, const T* b, StepB rs_b,
                                                           VecL<T> (&acc)[kMR][kNV]) {
  constexpr int64_t NB = kNB<T>, VL = kVL<T>;
#pragma GCC unroll 4
  for (int64_t p = 0; p < k; ++p) {
    VecL<T> bv[kNV];
    // B rows stream: ask for the lines 8 rows ahead.
#pragma GCC unroll 4
    for (int64_t off = 0; off < NB; off += 64 / int64_t(sizeof(T)))
      __builtin_prefetch(b + 8 * rs_b + off);
#pragma GCC unroll 4
    for (int v = 0; v < kNV; ++v) bv[v] = vload(b + v * VL);
#pragma GCC unroll 16
    for (int i = 0; i < kMR; ++i) {
      const T ai = a[i * ar];
#pragma GCC unroll 4
      for (int v = 0; v < kNV; ++v) acc[i][v] += ai * bv[v];
    }
    a += as_a;
    b += rs_b;
  }
}

// sum += acc; acc = 0.
template <class T>
__attribute__((always_inline)) inline void add_tile(VecL<T> (&sum)[kMR][kNV],
                                                    VecL<T> (&acc)[kMR][kNV]) {
  for (int i = 0; i < kMR; ++i)
    for (int v = 0; v < kNV; ++v) {
      sum[i][v] += acc[i][v];
      acc[i][v] = VecL<T>{};
    }
}

// Terms a weight-gradient tile sums in registers before adding them to its total (the GEMM's
// K block is 384).
constexpr int64_t kPartial = 512;

template <class T>
using PackedStep = std::integral_constant<int64_t, kNB<T>>;
using PanelStep = std::integral_constant<int64_t, kMR>;
using UnitStep = std::integral_constant<int64_t, 1>;

// Writes the tile (mr channels x NB images, plus bias[i]) at position q of a stage laid out
// [position][channel i][image j]: whole vectors, one run per position. copy_stage then moves
// the stage to the output by transposes. Storing each value straight into the output (or into
// a stage in its order) wrote 32 images' rows a power-of-two stride apart (8 KiB on DCGAN's
// 64->128 layer): all in one cache set, every store a miss.
// All kMR rows are written (copy_stage reads the first mr): a loop to a run-time mr indexed acc
// by a variable, which kept a copy of the tile in memory, zeroed by a rep stos at every output
// position (1.4 % of the DCGAN 64->128 forward's samples).
template <class T>
inline void store_tile(const VecL<T> (&acc)[kMR][kNV], const T* bias, int64_t mr, int64_t q,
                       T* stage) {
  constexpr int64_t NB = kNB<T>, VL = kVL<T>;
  T* row = stage + q * kMR * NB;
#pragma GCC unroll 16
  for (int i = 0; i < kMR; ++i) {
    const T bo = bias && i < mr ? bias[i] : T(0);
    for (int v = 0; v < kNV; ++v) {
      const VecL<T> out = acc[i][v] + bo;
      std::memcpy(row + i * NB + v * VL, &out, sizeof out);
    }
  }
}

// Images n0 .. n0 + nb, channels ch0 .. ch0 + mr of out (n, chans, L) from the stage: per
// channel, a transpose of its (L positions x nb images) block.
template <class T>
inline void copy_stage(const T* stage, int64_t ch0, int64_t mr, int64_t n0, int64_t nb,
                       int64_t chans, int64_t L, T* out) {
  constexpr int64_t NB = kNB<T>;
  for (int64_t i = 0; i < mr; ++i)
    transpose_rows(stage + i * NB, kMR * NB, L, nb, out + (n0 * chans + ch0 + i) * L, chans * L);
}

// Runs body(panel, row panel, rows, stage) for every (image panel, channel panel) tile of an
// output out (n, chans, L) on the threads, then moves the tile's stage (filled by store_tile)
// into out. Items are panel-major: with two image panels and two threads each thread keeps one
// panel's lanes in its own L2. Each thread has its own stage.
template <class T, class Body>
void for_each_lane_tile(int64_t n, int64_t chans, int64_t L, T* out, Body&& body) {
  constexpr int64_t NB = kNB<T>;
  const int64_t panels = (n + NB - 1) / NB, rpanels = (chans + kMR - 1) / kMR;
  const int nt = threads_for(panels * rpanels);
  T* const stages = call_scratch<T, 3>(nt * NB * kMR * L);
#pragma omp parallel for num_threads(nt) schedule(static)
  for (int64_t it = 0; it < panels * rpanels; ++it) {
    T* stage = stages + omp_get_thread_num() * NB * kMR * L;
    const int64_t p = it / rpanels, rp = it % rpanels;
    const int64_t n0 = p * NB, nb = std::min(NB, n - n0);
    const int64_t r0 = rp * kMR, mr = std::min<int64_t>(kMR, chans - r0);
    body(p, rp, mr, stage);
    copy_stage(stage, r0, mr, n0, nb, chans, L, out);
  }
}

// Positions per plane, input and output, at most (conv2d_batch_lanes_fits).
constexpr int64_t kMaxLanePlane = 256;

// The taps that reach one output tile's position, in (kh, kw) order: tap index and the offset of
// its B operand in the lane layout. Distinct taps of one position reach distinct positions of
// the other plane, so there are at most kMaxLanePlane.
struct TapList {
  static constexpr int64_t kMax = kMaxLanePlane;
  int n = 0;
  int64_t tap[kMax], off[kMax];
  void add(int64_t t, int64_t o) {
    tap[n] = t;
    off[n++] = o;
  }
};

}  // namespace

// The weights (oc, c, taps) as the tiles' A operand: rows are output channels (transposed =
// false: k = input channel) or input channels (transposed = true: k = output channel); tap t of
// row i of panel rp, k index kk, at panel(rp).a + i * row + kk * k_step + t * tap_step.
// - Up to a cache line of taps (3x3 float: DCGAN's 3x3 stride-2 layers), read in place: packing
//   every weight each call cost 5-9 % of DCGAN's 64->128 forward, and the tile's A values are
//   broadcasts, one per row, so they need not be adjacent. A last panel with fewer than MR rows
//   reads a copy of its rows padded with zero rows, so a tile never reads past w.
// - More taps, packed into [panel][tap][k][MR]: in place, a 5x5 kernel's rows put each k step
//   of a tile on 8-13 new cache lines (32->64 5x5 on 14x14: forward 5.0 -> 5.3 ms, input
//   gradient 5.0 -> 5.9), and its 14x14 planes amortise the packing 12x more than DCGAN's 4x4.
template <class T>
class WeightPanels {
 public:
  struct Panel {
    const T* a;
    int64_t k_step;
  };

  WeightPanels(const Conv2dGeom& g, const T* w, bool transposed) {
    const int64_t taps = g.kh * g.kw, rows = transposed ? g.c : g.oc, k = transposed ? g.oc : g.c;
    const int64_t panels = (rows + kMR - 1) / kMR;
    if (taps * int64_t(sizeof(T)) > 64) {
      T* const wp = call_scratch<T, 4>(panels * taps * k * kMR);
      packed_ = true;
      // In the destination's order: its writes are sequential, the reads stay within w.
#pragma omp parallel for num_threads(threads_for(panels * taps)) schedule(static)
      for (int64_t it = 0; it < panels * taps; ++it) {
        const int64_t rp = it / taps, t = it % taps;
        T* d = wp + it * k * kMR;
        for (int64_t kk = 0; kk < k; ++kk)
          for (int64_t i = 0; i < kMR; ++i, ++d) {
            const int64_t r = rp * kMR + i;
            *d = r >= rows ? T(0)
                           : w[((transposed ? kk : r) * g.c + (transposed ? r : kk)) * taps + t];
          }
      }
      w_ = wp;
      row = 1;
      tap_step = k * kMR;
      k_step_ = kMR;
      full_ = panels;  // zero rows included
      panel_ = taps * k * kMR;
      return;
    }
    w_ = w;
    full_ = rows / kMR;
    row = transposed ? taps : g.c * taps;
    tap_step = 1;
    k_step_ = transposed ? g.c * taps : taps;
    panel_ = kMR * row;
    const int64_t left = rows - full_ * kMR;
    if (left == 0) return;
    // Forward: rows [MR][c][taps], the same steps as w. Transposed: [oc][MR][taps].
    tail_.reset(new T[static_cast<size_t>(kMR * k * taps)]());
    tail_k_step_ = transposed ? kMR * taps : taps;
    for (int64_t kk = 0; kk < k; ++kk)
      for (int64_t i = 0; i < left; ++i) {
        const int64_t r = full_ * kMR + i;
        const T* src = w + (transposed ? kk * g.c + r : r * g.c + kk) * taps;
        std::memcpy(tail_.get() + i * row + kk * tail_k_step_, src, taps * sizeof(T));
      }
  }

  Panel panel(int64_t rp) const {
    if (rp < full_) return {w_ + rp * panel_, k_step_};
    return {tail_.get(), tail_k_step_};
  }

  // f(std::true_type) for the packed layout, f(std::false_type) in place: callers take the
  // choice once, outside their position loops.
  template <class F>
  void with_layout(F&& f) const {
    if (packed_)
      f(std::true_type{});
    else
      f(std::false_type{});
  }

  // acc += sum over the listed taps t of (k x MR block of panel pn at t) * (k x NB lanes at
  // b + off(t)), Packed as with_layout says.
  // - Packed: tap by tap, k ascending within each; the steps are compile-time (run-time ones
  //   cost 5 % on the 5x5 forward).
  // - In place: k by k, the taps ascending within each. A row's taps at one k are adjacent
  //   (w[o][c][:]), so each k step reads MR short runs; tap by tap, each k step read one value
  //   from each of MR lines that the lane stream evicted before the next tap came back to them
  //   (DCGAN's 64->128 forward on one thread: 1018 -> 993 us).
  template <bool Packed>
  __attribute__((always_inline)) void accumulate(const Panel& pn, const TapList& taps, int64_t k,
                                                 const T* b, VecL<T> (&acc)[kMR][kNV]) const {
    if constexpr (Packed) {
      for (int j = 0; j < taps.n; ++j)
        tile_accumulate<T>(k, pn.a + taps.tap[j] * tap_step, PanelStep{}, UnitStep{},
                           b + taps.off[j], PackedStep<T>{}, acc);
    } else {
      const int64_t r = row;
      for (int64_t kk = 0; kk < k; ++kk) {
        const T* a = pn.a + kk * pn.k_step;
        const T* bk = b + kk * kNB<T>;
        for (int j = 0; j < taps.n; ++j) {
          VecL<T> bv[kNV];
          for (int v = 0; v < kNV; ++v) bv[v] = vload(bk + taps.off[j] + v * kVL<T>);
          const T* at = a + taps.tap[j];
#pragma GCC unroll 16
          for (int i = 0; i < kMR; ++i) {
            const T ai = at[i * r];
            for (int v = 0; v < kNV; ++v) acc[i][v] += ai * bv[v];
          }
        }
      }
    }
  }

  int64_t row, tap_step;

 private:
  const T* w_;
  int64_t full_, k_step_, panel_, tail_k_step_ = 0;
  bool packed_ = false;
  std::unique_ptr<T[]> tail_;
};

// Where these kernels run (conv2d.cpp asks after small-K, direct and Winograd declined): groups
// 1, at least 8 channels on both sides (the reduction per tap), output and input planes of at
// most 256 positions, and a batch that fills at least 3/4 of its panels' lanes. Measured against
// im2col + GEMM, 2 threads, batch 64 (docs/conv.md, "Batch lanes"): DCGAN's layers 1.4-1.8x
// faster per pass, 5x5 pad 2 on 14x14 1.6-1.9x, 1x1 on 7x7 1.2x. The weight gradient's tile is
// MR output x NB input channels: with few input channels most of its columns would be padding,
// so below 0.6 of the tile useful it stays on im2col (20->50 5x5, 0.56 useful: 1.98 ms against
// 1.79; 65->128, 0.68: 0.82 against 1.23).
template <class T>
bool conv2d_batch_lanes_fits(const Conv2dGeom& g, bool weight_grad) {
  constexpr int64_t NB = kNB<T>;
  if (g.groups != 1 || g.c < 8 || g.oc < 8 || g.oh * g.ow > kMaxLanePlane ||
      g.h * g.w > kMaxLanePlane)
    return false;
  if (4 * g.n < 3 * ((g.n + NB - 1) / NB * NB)) return false;
  if (!weight_grad) return true;
  const double cols = double(g.c) / double((g.c + NB - 1) / NB * NB);
  const double rows = double(g.oc) / double((g.oc + kMR - 1) / kMR * kMR);
  return cols * rows >= 0.6;
}

template <class T>
void conv2d_batch_lanes_forward(const Conv2dGeom& g, const T* x, const T* w, const T* b, T* y) {
  constexpr int64_t NB = kNB<T>;
  const int64_t hw = g.h * g.w, L = g.oh * g.ow;
  const int64_t panels = (g.n + NB - 1) / NB;
  const int64_t pos = lane_position_stride<T>(g.c);
  T* const xl = call_scratch<T, 0>(panels * hw * pos);
  pack_lanes(x, g.n, g.c, hw, xl, pos);
  const WeightPanels<T> wp(g, w, false);
  wp.with_layout([&](auto packed) {
    for_each_lane_tile(g.n, g.oc, L, y, [&](int64_t p, int64_t op, int64_t mr, T* stage) {
      const T* xp = xl + p * hw * pos;
      const auto wo = wp.panel(op);
      const T* bo = b ? b + op * kMR : nullptr;
      for (int64_t oh = 0; oh < g.oh; ++oh)
        for (int64_t ow = 0; ow < g.ow; ++ow) {
          TapList taps;
          for (int64_t kh = 0; kh < g.kh; ++kh) {
            const int64_t ih = oh * g.sh - g.ph + kh * g.dh;
            if (ih < 0 || ih >= g.h) continue;
            for (int64_t kw = 0; kw < g.kw; ++kw) {
              const int64_t iw = ow * g.sw - g.pw + kw * g.dw;
              if (iw >= 0 && iw < g.w) taps.add(kh * g.kw + kw, (ih * g.w + iw) * pos);
            }
          }
          VecL<T> acc[kMR][kNV] = {};
          wp.template accumulate<decltype(packed)::value>(wo, taps, g.c, xp, acc);
          store_tile<T>(acc, bo, mr, oh * g.ow + ow, stage);
        }
    });
  });
}

template <class T>
void conv2d_batch_lanes_backward_input(const Conv2dGeom& g, const T* dy, const T* w, T* dx,
                                       const T* b) {
  constexpr int64_t NB = kNB<T>;
  const int64_t hw = g.h * g.w, L = g.oh * g.ow;
  const int64_t panels = (g.n + NB - 1) / NB;
  const int64_t pos = lane_position_stride<T>(g.oc);
  T* const dyl = call_scratch<T, 0>(panels * L * pos);
  pack_lanes(dy, g.n, g.oc, L, dyl, pos);
  const WeightPanels<T> wp(g, w, true);
  wp.with_layout([&](auto packed) {
    for_each_lane_tile(g.n, g.c, hw, dx, [&](int64_t p, int64_t cp, int64_t mr, T* stage) {
      const T* dp = dyl + p * L * pos;
      const auto wc = wp.panel(cp);
      const T* bc = b ? b + cp * kMR : nullptr;
      for (int64_t ih = 0; ih < g.h; ++ih)
        for (int64_t iw = 0; iw < g.w; ++iw) {
          // The output positions whose tap (kh, kw) lands on (ih, iw).
          TapList taps;
          for (int64_t kh = 0; kh < g.kh; ++kh) {
            const int64_t th = ih + g.ph - kh * g.dh;
            if (th < 0 || th % g.sh != 0 || th / g.sh >= g.oh) continue;
            for (int64_t kw = 0; kw < g.kw; ++kw) {
              const int64_t tw = iw + g.pw - kw * g.dw;
              if (tw >= 0 && tw % g.sw == 0 && tw / g.sw < g.ow)
                taps.add(kh * g.kw + kw, (th / g.sh * g.ow + tw / g.sw) * pos);
            }
          }
          VecL<T> acc[kMR][kNV] = {};
          wp.template accumulate<decltype(packed)::value>(wc, taps, g.oc, dp, acc);
          store_tile<T>(acc, bc, mr, ih * g.w + iw, stage);
        }
    });
  });
}

template <class T>
void conv2d_batch_lanes_backward_weight(const Conv2dGeom& g, const T* x, const T* dy, T* dw) {
  constexpr int64_t NB = kNB<T>;
  const int64_t hw = g.h * g.w, L = g.oh * g.ow, taps = g.kh * g.kw;
  // Rows of the tile are output channels (dy broadcast), columns input channels (x vectors);
  // both operands in panels, position-major, the images as the reduction (k) index.
  const int64_t opanels = (g.oc + kMR - 1) / kMR, cpanels = (g.c + NB - 1) / NB;
  const int64_t xpos = g.n * NB + kLine<T>, dpos = g.n * kMR + kLine<T>;
  T* const xt = call_scratch<T, 0>(cpanels * hw * xpos);
  T* const dyt = call_scratch<T, 1>(opanels * L * dpos);
  pack_panels(x, g.n, g.c, hw, NB, xt, xpos);
  pack_panels(dy, g.n, g.oc, L, int64_t{kMR}, dyt, dpos);
  // Items (panel of input channels, panel of output channels), all taps, input panel major:
  // consecutive items (and each thread's share) read the same x panel, which stays in L2; the
  // dy panel of an item is the same for every tap.
#pragma omp parallel for num_threads(threads_for(opanels * cpanels)) schedule(static)
  for (int64_t it = 0; it < opanels * cpanels; ++it) {
    const int64_t cp = it / opanels, op = it % opanels, c0 = cp * NB, o0 = op * kMR;
    const int64_t mr = std::min<int64_t>(kMR, g.oc - o0), nc = std::min(NB, g.c - c0);
    const T* xpanel = xt + cp * hw * xpos;
    const T* dpanel = dyt + op * L * dpos;
    for (int64_t kh = 0; kh < g.kh; ++kh)
      for (int64_t kw = 0; kw < g.kw; ++kw) {
        // The reduction runs over every image at every position (6,000+ terms on a batch of
        // 128): the registers sum at most kPartial terms, then are added into `sum`, so that
        // rounding grows as in the GEMM's K blocks rather than over the whole run.
        VecL<T> sum[kMR][kNV] = {}, acc[kMR][kNV] = {};
        int64_t terms = 0;
        for (int64_t oh = 0; oh < g.oh; ++oh) {
          const int64_t ih = oh * g.sh - g.ph + kh * g.dh;
          if (ih < 0 || ih >= g.h) continue;
          for (int64_t ow = 0; ow < g.ow; ++ow) {
            const int64_t iw = ow * g.sw - g.pw + kw * g.dw;
            if (iw < 0 || iw >= g.w) continue;
            tile_accumulate<T>(g.n, dpanel + (oh * g.ow + ow) * dpos, PanelStep{}, UnitStep{},
                               xpanel + (ih * g.w + iw) * xpos, PackedStep<T>{}, acc);
            if ((terms += g.n) >= kPartial) {
              add_tile<T>(sum, acc);
              terms = 0;
            }
          }
        }
        add_tile<T>(sum, acc);
        T tmp[NB];
        for (int64_t i = 0; i < mr; ++i) {
          for (int v = 0; v < kNV; ++v)
            std::memcpy(tmp + v * kVL<T>, &sum[i][v], sizeof(VecL<T>));
          T* row = dw + ((o0 + i) * g.c + c0) * taps + kh * g.kw + kw;
          for (int64_t j = 0; j < nc; ++j) row[j * taps] = tmp[j];
        }
      }
  }
}

template bool conv2d_batch_lanes_fits<float>(const Conv2dGeom&, bool);
template bool conv2d_batch_lanes_fits<double>(const Conv2dGeom&, bool);
template void conv2d_batch_lanes_forward<float>(const Conv2dGeom&, const float*, const float*,
                                                const float*, float*);
template void conv2d_batch_lanes_forward<double>(const Conv2dGeom&, const double*, const double*,
                                                 const double*, double*);
template void conv2d_batch_lanes_backward_input<float>(const Conv2dGeom&, const float*,
                                                       const float*, float*, const float*);
template void conv2d_batch_lanes_backward_input<double>(const Conv2dGeom&, const double*,
                                                        const double*, double*, const double*);
template void conv2d_batch_lanes_backward_weight<float>(const Conv2dGeom&, const float*,
                                                        const float*, float*);
template void conv2d_batch_lanes_backward_weight<double>(const Conv2dGeom&, const double*,
                                                         const double*, double*);

}  // namespace PE_ISA_NS
}  // namespace pyengine

// The 4x4 stride-2 passes on Winograd's transforms: same translation unit, same helpers.
#include "conv/conv_batch_lanes_winograd.h"
