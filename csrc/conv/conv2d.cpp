// conv2d entry points: choose the algorithm, run it over the batch.
//
// Algorithm choice (measured on Zen 4, see docs/conv.md):
// - groups 1 and K = C*KH*KW <= 32 (use_small_k; the 1-channel first layers, DCGAN's 1-channel
//   4x4 stride-2 conv and transposed conv, the 3-channel stride-2 stem): per block of output
//   positions an im2col in scratch and register-tiled products over it (conv_small_k_impl.h),
//   every gradient, any stride / padding / dilation. The 2-4-channel stride-1 layers below stay
//   on the row-vectorised direct kernels, which measured faster there, and so does the forward
//   of a one-channel layer with 16 taps or more (use_one_channel_forward: 16 output channels'
//   sums per input vector, conv_direct_one_channel.h).
// - Each output channel sees ONE input channel (depthwise, groups == C, or the C == 1 first layer
//   of a convnet): direct convolution (conv_direct_impl.h, vectorised per ISA). The GEMM would
//   have K = KH*KW (9), far too short to amortise packing, and im2col would multiply the memory
//   traffic by KH*KW for a handful of FLOPs per byte. Also 2-4 input channels per group (the RGB
//   first layer) at stride 1 with output rows of 16 or more: kernel-level, 3x3 pad 1 on 32x32,
//   2 threads, direct against im2col: 2->32 forward 0.78 vs 1.5 ms, backward 1.8-2.0 vs 3.8-4.1;
//   3->32 (batch 128) 2.1-2.3 vs 4.1-5.0, 5.0-6.0 vs 11.7-14.7; 4->64 2.9-3.0 vs 3.9-4.4,
//   7.3 vs 8.3-8.5. At 6-7 channels they tie; on 5x5 planes direct lost 2.5x (16-lane rows
//   mostly empty). Strided, only the forward is direct (use_direct_forward).
// - 3x3, stride 1, dilation 1 with enough channels and output tiles (winograd_fits in
//   winograd.cpp): Winograd F(2x2, 3x3) (winograd.h), for the forward, the input gradient and the
//   weight gradient. The GEMM already runs near peak, so the lever left is fewer multiplies: 16
//   per 2x2 output tile instead of 36 (2.25x fewer; 1.9x on a 13x13 plane, whose 11x11 output is
//   covered by 6x6 tiles). Kernel-level, one thread, float, AVX-512: MNIST conv2 (32->64,
//   13x13, batch 128) forward 8.9 -> 4.6 ms, input gradient 8.4 -> 6.2, weight gradient 10.4 ->
//   5.8; ResNet 64->64 on 56x56, batch 8: 22.5 -> 12.9, 23.6 -> 11.6, 27.3 -> 14.7. Below 8
//   input channels (and for few tiles with many channels) im2col's single GEMM with K = 9 C wins.
// - Otherwise im2col + the project GEMM: K = C/groups*KH*KW is large enough for the packed GEMM to
//   run near peak, and one GEMM per (image, group) reuses all of its blocking. A 1x1 stride-1
//   unpadded convolution needs no im2col at all: the input planes already are the column matrix.
//   On small planes (DCGAN's 7x7 and 4x4 outputs) one GEMM per (block of several images, group)
//   instead (image_blocks): per image, M or N would be only 16-49 positions.
//
// Threads: with at least as many images (or image blocks) as threads, each thread takes whole
// images (blocks) and calls the GEMM single-threaded (gemm.h allows this inside a parallel
// region); otherwise they run in turn and the GEMM threads itself. Winograd's threads take
// blocks of tiles (forward, input gradient) or fixed chunks of them (weight gradient). All
// partition only the output, and the weight gradients sum fixed chunks in a fixed order, so
// results never depend on the thread count.
#include <omp.h>

#include <algorithm>
#include <array>
#include <cstdlib>
#include <vector>

#include "common/isa_dispatch.h"
#include "conv/conv2d.h"
#include "conv/conv_items.h"
#include "conv/im2col.h"
#include "conv/winograd.h"
#include "gemm/gemm.h"

namespace pyengine {

#define PE_DECLARE_ISA(ns)                                                                       \
  namespace ns {                                                                                 \
  template <class T> void conv2d_direct_forward(const Conv2dGeom&, const T*, const T*, const T*, \
                                                T*);                                             \
  template <class T> void conv2d_direct_backward_input(const Conv2dGeom&, const T*, const T*,    \
                                                       T*);                                      \
  template <class T> void conv2d_direct_backward_weight(const Conv2dGeom&, const T*, const T*,   \
                                                        T*);                                     \
  template <class T> void conv2d_direct_backward(const Conv2dGeom&, const T*, const T*, const T*,\
                                                 T*, T*, T*);                                    \
  template <class T> void conv2d_small_k_forward(const Conv2dGeom&, const T*, const T*,          \
                                                 const T*, T*);                                  \
  template <class T> void conv2d_small_k_backward_weight(const Conv2dGeom&, const T*, const T*,  \
                                                         T*, T*);                                \
  template <class T> void conv2d_small_k_backward_input(const Conv2dGeom&, const T*, const T*,   \
                                                        T*);                                     \
  template <class T> bool conv2d_batch_lanes_fits(const Conv2dGeom&, bool);                     \
  template <class T> bool conv2d_batch_lanes_winograd_fits(const Conv2dGeom&, bool);             \
  template <class T> bool conv2d_batch_lanes_winograd_weight_fits(const Conv2dGeom&);            \
  template <class T> void conv2d_batch_lanes_winograd_backward_weight(const Conv2dGeom&,         \
                                                                      const T*, const T*, T*);   \
  template <class T> void conv2d_batch_lanes_winograd_backward_input(const Conv2dGeom&, const T*,\
                                                                     const T*, T*, const T*);    \
  template <class T> void conv2d_batch_lanes_winograd_forward(const Conv2dGeom&, const T*,       \
                                                              const T*, const T*, T*);           \
  template <class T> void conv2d_batch_lanes_forward(const Conv2dGeom&, const T*, const T*,      \
                                                     const T*, T*);                              \
  template <class T> void conv2d_batch_lanes_backward_input(const Conv2dGeom&, const T*,         \
                                                            const T*, T*, const T*);             \
  template <class T> void conv2d_batch_lanes_backward_weight(const Conv2dGeom&, const T*,        \
                                                             const T*, T*);                      \
  }
PE_DECLARE_ISA(generic)
PE_DECLARE_ISA(avx2)
PE_DECLARE_ISA(avx512)
#undef PE_DECLARE_ISA

template <class T>
void conv2d_direct_forward(const Conv2dGeom& g, const T* x, const T* w, const T* b, T* y) {
  PE_DISPATCH(conv2d_direct_forward<T>, g, x, w, b, y);
}
template <class T>
void conv2d_direct_backward_input(const Conv2dGeom& g, const T* dy, const T* w, T* dx) {
  PE_DISPATCH(conv2d_direct_backward_input<T>, g, dy, w, dx);
}
template <class T>
void conv2d_direct_backward_weight(const Conv2dGeom& g, const T* x, const T* dy, T* dw) {
  PE_DISPATCH(conv2d_direct_backward_weight<T>, g, x, dy, dw);
}
template <class T>
void conv2d_direct_backward(const Conv2dGeom& g, const T* x, const T* dy, const T* w, T* dx,
                            T* dw, T* db) {
  PE_DISPATCH(conv2d_direct_backward<T>, g, x, dy, w, dx, dw, db);
}

namespace {

template <class T>
void small_k_forward(const Conv2dGeom& g, const T* x, const T* w, const T* b, T* y) {
  PE_DISPATCH(conv2d_small_k_forward<T>, g, x, w, b, y);
}
template <class T>
void small_k_backward_weight(const Conv2dGeom& g, const T* x, const T* dy, T* dw, T* db) {
  PE_DISPATCH(conv2d_small_k_backward_weight<T>, g, x, dy, dw, db);
}
template <class T>
void small_k_backward_input(const Conv2dGeom& g, const T* dy, const T* w, T* dx) {
  PE_DISPATCH(conv2d_small_k_backward_input<T>, g, dy, w, dx);
}

template <class T>
bool batch_lanes_fits(const Conv2dGeom& g, bool weight_grad) {
  PE_DISPATCH(conv2d_batch_lanes_fits<T>, g, weight_grad);
}
template <class T>
bool batch_lanes_winograd_fits(const Conv2dGeom& g, bool input_grad) {
  PE_DISPATCH(conv2d_batch_lanes_winograd_fits<T>, g, input_grad);
}
template <class T>
bool batch_lanes_winograd_weight_fits(const Conv2dGeom& g) {
  PE_DISPATCH(conv2d_batch_lanes_winograd_weight_fits<T>, g);
}
template <class T>
void batch_lanes_winograd_backward_weight(const Conv2dGeom& g, const T* x, const T* dy, T* dw) {
  PE_DISPATCH(conv2d_batch_lanes_winograd_backward_weight<T>, g, x, dy, dw);
}
template <class T>
void batch_lanes_winograd_backward_input(const Conv2dGeom& g, const T* dy, const T* w, T* dx,
                                         const T* b = nullptr) {
  PE_DISPATCH(conv2d_batch_lanes_winograd_backward_input<T>, g, dy, w, dx, b);
}
template <class T>
void batch_lanes_winograd_forward(const Conv2dGeom& g, const T* x, const T* w, const T* b, T* y) {
  PE_DISPATCH(conv2d_batch_lanes_winograd_forward<T>, g, x, w, b, y);
}
template <class T>
void batch_lanes_forward(const Conv2dGeom& g, const T* x, const T* w, const T* b, T* y) {
  PE_DISPATCH(conv2d_batch_lanes_forward<T>, g, x, w, b, y);
}
template <class T>
void batch_lanes_backward_input(const Conv2dGeom& g, const T* dy, const T* w, T* dx,
                                const T* b = nullptr) {
  PE_DISPATCH(conv2d_batch_lanes_backward_input<T>, g, dy, w, dx, b);
}
template <class T>
void batch_lanes_backward_weight(const Conv2dGeom& g, const T* x, const T* dy, T* dw) {
  PE_DISPATCH(conv2d_batch_lanes_backward_weight<T>, g, x, dy, dw);
}

// One input channel per output channel, or 2-4 (an RGB first layer) at stride 1 on rows of at
// least one vector (docs/conv.md has the measurements behind each bound).
bool use_direct(const Conv2dGeom& g) {
  return g.cg() == 1 || (g.cg() <= 4 && g.sh == 1 && g.sw == 1 && g.ow >= 16);
}

// Short reductions, groups 1: K = C * KH * KW <= 32 (conv_small_k_impl.h), any stride, padding
// and dilation (the block's im2col absorbs them), except the 2-4-channel stride-1 layers that the
// row-vectorised direct kernels serve better (CIFAR conv1 3->32, kernels alone, 1 thread:
// forward 2.9 ms direct vs 3.6-3.8 small-K, weight + bias gradient 3.7 vs 5.9).
bool use_small_k(const Conv2dGeom& g) {
  return g.groups == 1 && g.c * g.kh * g.kw <= 32 && (g.c == 1 || !use_direct(g));
}

// One input channel (groups 1) and at least 16 taps: the forward keeps 16 output channels' sums
// per input vector (conv_direct_one_channel.h). Kernels alone, 2 threads, float: 1->32 4x4
// stride 2 on 28x28, batch 64 (DCGAN's conv1): 0.100 ms against 0.122 on small-K; 1->6 5x5 pad 2
// on 28x28: 0.263 / 0.333; 1->16 5x5: 0.439 / 0.594. 3x3 stays on small-K (1->32 on 28x28, batch
// 128: 0.465 against 0.425): 9 taps amortise the 16 sums' stores too little.
bool use_one_channel_forward(const Conv2dGeom& g) {
  return g.groups == 1 && g.c == 1 && g.kh * g.kw >= 16;
}

// The forward also at other strides with 2-4 channels (the stride-2 RGB stem): 3x3 stride 2
// has a row-sharing direct form on column phases. 3->32 stride 2 on 112x112, batch 8:
// 0.50 ms direct against 0.73-0.93 im2col (PyTorch 0.33-0.38). The strided backward stays on
// im2col: the direct one is plain row loops.
bool use_direct_forward(const Conv2dGeom& g) {
  return use_direct(g) || (g.cg() <= 4 && g.ow >= 16);
}

// Winograd F(2x2, 3x3) for conv2d's forward (backward = false) or input gradient (backward =
// true): 3x3, stride 1, dilation 1, enough channels and tiles (winograd.cpp).
bool use_winograd(const Conv2dGeom& g, bool backward) {
  return !(backward ? use_direct(g) : use_direct_forward(g)) && winograd_fits(g, backward);
}

// Small planes with the batch in the vector lanes (conv_batch_lanes_impl.h, whose
// conv2d_batch_lanes_fits has the bounds and the measurements behind them): taps in the
// padding are skipped for a whole panel of images.
template <class T>
bool use_batch_lanes(const Conv2dGeom& g, bool weight_grad) {
  return batch_lanes_fits<T>(g, weight_grad);
}

// Runs conv2d's forward (b: bias or null) or input gradient through Winograd.
template <class T>
void run_winograd(const Conv2dGeom& g, bool backward, const T* in, const T* w, const T* b,
                  T* out) {
  std::vector<T> u(static_cast<size_t>(winograd_weights_size(g)));
  winograd_weights(g, w, backward, u.data());
  winograd_conv3x3(winograd_geom(g, backward), in, u.data(), b, out);
}

bool is_pointwise(const Conv2dGeom& g) {
  return g.kh == 1 && g.kw == 1 && g.sh == 1 && g.sw == 1 && g.ph == 0 && g.pw == 0;
}

int outer_threads() { return conv_outer_threads(); }

// Output rows per im2col block: the column block (K x rows*OW) stays within ~256 KiB, half of a
// Zen 4 core's L2, so the GEMM packs it from L2 instead of DRAM. The whole-image column matrix
// of a ResNet 64->64 3x3 layer on 56x56 is 7 MiB; blocking it measured faster (docs/conv.md).
// Depends on the geometry only, never on the thread count.
template <class T>
int64_t block_rows(const Conv2dGeom& g, int64_t K) {
  const int64_t budget = (int64_t{256} << 10) / int64_t(sizeof(T));
  return std::max<int64_t>(1, std::min<int64_t>(g.oh, budget / std::max<int64_t>(1, K * g.ow)));
}

// Output positions per forward block: a multiple of 48 (whole micro-tiles for MR = 12 and 6)
// with the column block (K x cols) within ~384 KiB of a Zen 4 core's 1 MiB L2, or the whole
// image when it fits. Depends on the geometry only, never on the thread count.
template <class T>
int64_t block_cols(const Conv2dGeom& g, int64_t K) {
  const int64_t L = g.oh * g.ow;
  const int64_t budget = (int64_t{384} << 10) / int64_t(sizeof(T)) / std::max<int64_t>(1, K);
  if (budget >= L) return std::max<int64_t>(1, L);
  return std::min(L, std::max<int64_t>(48, budget / 48 * 48));
}

// Small planes: blocks of output positions that span several images. With 16 or 49 positions
// per image (DCGAN's 7x7 and 4x4 outputs) a GEMM per image has M = 16..49 and the per-call
// packing and threading overhead dominated (docs/conv.md, "Blocks across images"). When at least
// two whole images fit a block of ~768 KiB (its col and its y or dy rows, within a Zen 4 core's
// 1 MiB L2; 384 KiB measured 3-10 % slower on DCGAN's layers, 1536 no better), the batch is
// cut into nb blocks of consecutive images, block b holding images [n b / nb, n (b + 1) / nb):
// their columns side by side in one matrix, one GEMM per (block, group). nb covers the batch at
// the budget, rounded up to a multiple of 4 (an even split over 2 or 4 threads; at most n).
// Returns 0 where one image per block is better (large planes, batch 1). Depends on the
// geometry only, never on the thread count.
template <class T>
int64_t image_blocks(const Conv2dGeom& g, int64_t K) {
  const int64_t L = g.oh * g.ow;
  // The block's col (K rows) and its y or dy rows (OCg) share the budget.
  const int64_t budget = (int64_t{768} << 10) / int64_t(sizeof(T)) / (K + g.ocg());
  // The padded plane of im2col_image stays small (it is allocated per item).
  const int64_t plane = (g.h + 2 * g.ph) * (g.w + 2 * g.pw);
  if (g.n < 2 || L <= 0 || budget < 2 * L || plane > 65536) return 0;
  const int64_t nb = (g.n * L + budget - 1) / budget;
  return std::min(g.n, (nb + 3) / 4 * 4);
}

// Images [first, last) of block b out of nb.
inline void image_block(const Conv2dGeom& g, int64_t nb, int64_t b, int64_t& n0, int64_t& n1) {
  n0 = g.n * b / nb;
  n1 = g.n * (b + 1) / nb;
}

// dy's rows of images [n0, n1) and output channels [o0, o0 + ocg) as one OCg x ((n1 - n0) L)
// matrix: the images' positions side by side, as the image blocks' columns are.
template <class T>
void gather_dy_block(const Conv2dGeom& g, const T* dy, int64_t n0, int64_t n1, int64_t o0,
                     T* dyb) {
  const int64_t L = g.oh * g.ow, ld = (n1 - n0) * L;
  for (int64_t n = n0; n < n1; ++n)
    for (int64_t o = 0; o < g.ocg(); ++o) {
      const T* src = dy + (n * g.oc + o0 + o) * L;
      std::copy(src, src + L, dyb + o * ld + (n - n0) * L);
    }
}

// The algorithm each pass runs, chosen in one place: the entry points below and
// conv2d_algorithms (tests, docs) both ask these.
enum class ConvAlgo {
  small_k, direct, winograd, batch_lanes, batch_lanes_winograd, image_blocks, im2col
};

const char* algo_name(ConvAlgo a) {
  switch (a) {
    case ConvAlgo::small_k: return "small_k";
    case ConvAlgo::direct: return "direct";
    case ConvAlgo::winograd: return "winograd";
    case ConvAlgo::batch_lanes: return "batch_lanes";
    case ConvAlgo::batch_lanes_winograd: return "batch_lanes_winograd";
    case ConvAlgo::image_blocks: return "im2col_image_blocks";
    default: return "im2col";
  }
}

template <class T>
ConvAlgo im2col_algo(const Conv2dGeom& g) {
  return image_blocks<T>(g, g.cg() * g.kh * g.kw) > 0 ? ConvAlgo::image_blocks : ConvAlgo::im2col;
}

template <class T>
ConvAlgo forward_algo(const Conv2dGeom& g) {
  if (use_one_channel_forward(g)) return ConvAlgo::direct;
  if (use_small_k(g)) return ConvAlgo::small_k;
  if (use_direct_forward(g)) return ConvAlgo::direct;
  if (use_winograd(g, false)) return ConvAlgo::winograd;
  if (batch_lanes_winograd_fits<T>(g, false)) return ConvAlgo::batch_lanes_winograd;
  if (use_batch_lanes<T>(g, false)) return ConvAlgo::batch_lanes;
  return im2col_algo<T>(g);
}

template <class T>
ConvAlgo input_grad_algo(const Conv2dGeom& g) {
  if (use_small_k(g)) return ConvAlgo::small_k;
  if (use_direct(g)) return ConvAlgo::direct;
  if (use_winograd(g, true)) return ConvAlgo::winograd;
  if (batch_lanes_winograd_fits<T>(g, true)) return ConvAlgo::batch_lanes_winograd;
  if (use_batch_lanes<T>(g, false)) return ConvAlgo::batch_lanes;
  return im2col_algo<T>(g);
}

template <class T>
ConvAlgo weight_grad_algo(const Conv2dGeom& g) {
  if (use_small_k(g)) return ConvAlgo::small_k;
  if (use_direct(g)) return ConvAlgo::direct;
  if (winograd_fits_weight_grad(g)) return ConvAlgo::winograd;
  if (batch_lanes_winograd_weight_fits<T>(g)) return ConvAlgo::batch_lanes_winograd;
  if (use_batch_lanes<T>(g, true)) return ConvAlgo::batch_lanes;
  return im2col_algo<T>(g);
}

}  // namespace

template <class T>
std::array<const char*, 3> conv2d_algorithms(const Conv2dGeom& g) {
  return {algo_name(forward_algo<T>(g)), algo_name(input_grad_algo<T>(g)),
          algo_name(weight_grad_algo<T>(g))};
}

// Forward as y_group^T (positions x OCg) = col^T (positions x K) * w_group^T (K x OCg): the
// GEMM's M is the output positions and its N the output channels. Channel counts are multiples
// of the micro-kernel's NR (32 on AVX-512) far more often than of its MR (12), and a block of
// positions can be cut to a multiple of MR; the other orientation (M = OCg = 64) padded 64 rows
// to 72 and a 112-column block to 128 (78% of the tiles' work useful). Measured on the ResNet
// 64->64 layer's blocks: 110-155 GFLOP/s before, 175-190 after. col^T is read with unit stride
// along M, which packs with plain copies; the transposed result goes to y with the bias added.
template <class T>
void conv2d_forward(const Conv2dGeom& g, const T* x, const T* w, const T* b, T* y) {
  switch (forward_algo<T>(g)) {
    case ConvAlgo::small_k: return small_k_forward(g, x, w, b, y);
    case ConvAlgo::direct: return conv2d_direct_forward(g, x, w, b, y);
    case ConvAlgo::winograd: return run_winograd(g, false, x, w, b, y);
    case ConvAlgo::batch_lanes: return batch_lanes_forward(g, x, w, b, y);
    case ConvAlgo::batch_lanes_winograd: return batch_lanes_winograd_forward(g, x, w, b, y);
    default: break;  // im2col + GEMM, below
  }
  const int64_t L = g.oh * g.ow, K = g.cg() * g.kh * g.kw, ocg = g.ocg();
  if (const int64_t ib = image_blocks<T>(g, K)) {
    // Items are (block of images, group): col is K x (images * L), the images side by side,
    // and y_group's columns for the block = w_group (OCg x K) * col, copied row by row to the
    // images (unit-stride copies; positions as M, the per-image orientation below, needs a
    // strided scatter of y^T). Alternating builds on DCGAN's layers, 1 thread: 3.46-3.52 ms
    // against 3.57-3.67 for positions as M on 32->64 4x4 s2, but identical builds differed by up
    // to 4-8 % in such runs: within noise. A pre-transposed weight (cheaper A packing) was no
    // faster.
    const int64_t cols = (g.n + ib - 1) / ib * L;
    for_each_conv_item<T>(ib * g.groups, (K + ocg) * cols, [&](int64_t it, T* scratch) {
      const int64_t blk = it / g.groups, grp = it % g.groups;
      int64_t n0, n1;
      image_block(g, ib, blk, n0, n1);
      const int64_t lb = (n1 - n0) * L;
      T* col = scratch;
      T* yb = scratch + K * cols;  // OCg x lb
      PaddedPlanes<T> pp(g);
      for (int64_t n = n0; n < n1; ++n)
        im2col_image(g, x + (n * g.c + grp * g.cg()) * g.h * g.w, col + (n - n0) * L, lb, pp);
      gemm<T>(ocg, lb, K, T(1), w + grp * ocg * K, K, 1, col, lb, 1, T(0), yb, lb, 1);
      for (int64_t n = n0; n < n1; ++n)
        for (int64_t o = 0; o < ocg; ++o) {
          const T bo = b ? b[grp * ocg + o] : T(0);
          const T* src = yb + o * lb + (n - n0) * L;
          T* row = y + (n * g.oc + grp * ocg + o) * L;
          for (int64_t l = 0; l < L; ++l) row[l] = src[l] + bo;
        }
    });
    return;
  }
  const bool pw = is_pointwise(g);
  std::vector<T> wt(static_cast<size_t>(g.oc * K));  // per group: K x OCg, row-major
  for (int64_t grp = 0; grp < g.groups; ++grp)
    for (int64_t o = 0; o < ocg; ++o)
      for (int64_t p = 0; p < K; ++p) wt[(grp * K + p) * ocg + o] = w[(grp * ocg + o) * K + p];
  const int64_t cols = block_cols<T>(g, K), nb = (L + cols - 1) / cols;
  // Items are (image, group, block of positions): each writes its own part of y.
  const int64_t col_size = pw ? 0 : K * cols;
  for_each_conv_item<T>(g.n * g.groups * nb, col_size + cols * ocg, [&](int64_t it, T* scratch) {
    const int64_t n = it / (g.groups * nb), grp = it / nb % g.groups, blk = it % nb;
    const int64_t l0 = blk * cols, lb = std::min(L, l0 + cols) - l0;
    const T* xg = x + (n * g.c + grp * g.cg()) * g.h * g.w;
    T* col = scratch;
    T* yt = scratch + col_size;  // lb x OCg
    if (!pw) im2col_cols(g, xg, col, l0, l0 + lb);
    gemm<T>(lb, ocg, K, T(1), pw ? xg + l0 : col, 1, pw ? L : lb, wt.data() + grp * K * ocg, ocg,
            1, T(0), yt, ocg, 1);
    T* yg = y + (n * g.oc + grp * ocg) * L + l0;
    for (int64_t o = 0; o < ocg; ++o) {
      const T bo = b ? b[grp * ocg + o] : T(0);
      T* row = yg + o * L;
      for (int64_t l = 0; l < lb; ++l) row[l] = yt[l * ocg + o] + bo;
    }
  });
}

template <class T>
void conv2d_backward_input(const Conv2dGeom& g, const T* dy, const T* w, T* dx) {
  switch (input_grad_algo<T>(g)) {
    case ConvAlgo::small_k: return small_k_backward_input(g, dy, w, dx);
    case ConvAlgo::direct: return conv2d_direct_backward_input(g, dy, w, dx);
    case ConvAlgo::winograd: return run_winograd<T>(g, true, dy, w, nullptr, dx);
    case ConvAlgo::batch_lanes: return batch_lanes_backward_input(g, dy, w, dx);
    case ConvAlgo::batch_lanes_winograd: return batch_lanes_winograd_backward_input(g, dy, w, dx);
    default: break;  // im2col + GEMM, below
  }
  const int64_t L = g.oh * g.ow, K = g.cg() * g.kh * g.kw, ocg = g.ocg();
  const bool pw = is_pointwise(g);
  if (const int64_t ib = image_blocks<T>(g, K)) {
    // Items are (block of images, group): col (K x images * L) = w_group^T * dy's rows of the
    // block, then col2im image by image (the images' dx planes are disjoint).
    const int64_t cols = (g.n + ib - 1) / ib * L;
    for_each_conv_item<T>(ib * g.groups, (K + ocg) * cols, [&](int64_t it, T* scratch) {
      const int64_t blk = it / g.groups, grp = it % g.groups;
      int64_t n0, n1;
      image_block(g, ib, blk, n0, n1);
      const int64_t lb = (n1 - n0) * L;
      T* dyb = scratch;  // OCg x lb
      T* col = scratch + ocg * cols;
      gather_dy_block(g, dy, n0, n1, grp * ocg, dyb);
      gemm<T>(K, lb, ocg, T(1), w + grp * ocg * K, 1, K, dyb, lb, 1, T(0), col, lb, 1);
      for (int64_t n = n0; n < n1; ++n) {
        T* dxg = dx + (n * g.c + grp * g.cg()) * g.h * g.w;
        std::fill(dxg, dxg + g.cg() * g.h * g.w, T(0));
        col2im_add(g, col + (n - n0) * L, dxg, 0, g.oh, lb);
      }
    });
    return;
  }
  const int64_t rows = block_rows<T>(g, K);
  // Items are images: the row blocks of one image overlap in dx, so they run in turn.
  for_each_conv_item<T>(g.n, pw ? 0 : K * rows * g.ow, [&](int64_t n, T* col) {
    for (int64_t grp = 0; grp < g.groups; ++grp) {
      const T* dyg = dy + (n * g.oc + grp * ocg) * L;
      T* dxg = dx + (n * g.c + grp * g.cg()) * g.h * g.w;
      const T* wg = w + grp * ocg * K;
      if (pw) {  // dx_group = w_group^T (K x OCg) * dy_group (OCg x L)
        gemm<T>(K, L, ocg, T(1), wg, 1, K, dyg, L, 1, T(0), dxg, L, 1);
        continue;
      }
      std::fill(dxg, dxg + g.cg() * g.h * g.w, T(0));
      for (int64_t oh0 = 0; oh0 < g.oh; oh0 += rows) {
        const int64_t oh1 = std::min(g.oh, oh0 + rows), lb = (oh1 - oh0) * g.ow;
        gemm<T>(K, lb, ocg, T(1), wg, 1, K, dyg + oh0 * g.ow, L, 1, T(0), col, lb, 1);
        col2im_add(g, col, dxg, oh0, oh1);
      }
    }
  });
}

template <class T>
void conv2d_backward_weight(const Conv2dGeom& g, const T* x, const T* dy, T* dw) {
  switch (weight_grad_algo<T>(g)) {
    case ConvAlgo::small_k: return small_k_backward_weight<T>(g, x, dy, dw, nullptr);
    case ConvAlgo::direct: return conv2d_direct_backward_weight(g, x, dy, dw);
    case ConvAlgo::winograd:
      return winograd_conv3x3_backward_weight(winograd_geom(g, false), x, dy, dw);
    case ConvAlgo::batch_lanes: return batch_lanes_backward_weight(g, x, dy, dw);
    case ConvAlgo::batch_lanes_winograd:
      return batch_lanes_winograd_backward_weight(g, x, dy, dw);
    default: break;  // im2col + GEMM, below
  }
  const int64_t L = g.oh * g.ow, K = g.cg() * g.kh * g.kw, ocg = g.ocg();
  const int64_t wsize = g.oc * K;
  const bool pw = is_pointwise(g);
  const int64_t rows = block_rows<T>(g, K);
  // The batch is cut into a FIXED number of chunks (never the thread count): each chunk sums its
  // images into its own partial weight gradient, then the partials are added in chunk order.
  // Partials are capped at 64 MiB in all. On small planes (image_blocks) there are at most as
  // many chunks as image blocks, and a chunk's images go through the GEMM a block at a time:
  // dw_group += dy rows of the block (OCg x images * L) * col^T (images * L x K).
  const int64_t cap = std::max<int64_t>(1, (int64_t{64} << 20) / int64_t(sizeof(T)) / wsize);
  const int64_t ib = image_blocks<T>(g, K);
  const int64_t chunks =
      std::max<int64_t>(1, std::min<int64_t>({ib > 0 ? ib : g.n, int64_t{16}, cap}));
  const int64_t bcols = ib > 0 ? (g.n + ib - 1) / ib * L : 0;  // positions per block, at most
  std::vector<T> partial(chunks > 1 ? static_cast<size_t>(chunks * wsize) : 0);
  const int64_t scratch = ib > 0 ? (K + ocg) * bcols : pw ? 0 : K * rows * g.ow;
  for_each_conv_item<T>(chunks, scratch, [&](int64_t ch, T* col) {
    T* out = chunks > 1 ? partial.data() + ch * wsize : dw;
    const int64_t n0 = g.n * ch / chunks, n1 = g.n * (ch + 1) / chunks;
    if (n0 == n1) std::fill(out, out + wsize, T(0));
    if (ib > 0) {
      // sb blocks of the chunk's images, evenly split, each within bcols positions.
      const int64_t per = bcols / L, sb = (n1 - n0 + per - 1) / per;
      T* dyb = col + K * bcols;
      PaddedPlanes<T> pp(g);
      for (int64_t s = 0; s < sb; ++s) {
        const int64_t m0 = n0 + (n1 - n0) * s / sb, m1 = n0 + (n1 - n0) * (s + 1) / sb;
        const int64_t lb = (m1 - m0) * L;
        for (int64_t grp = 0; grp < g.groups; ++grp) {
          for (int64_t n = m0; n < m1; ++n)
            im2col_image(g, x + (n * g.c + grp * g.cg()) * g.h * g.w, col + (n - m0) * L, lb, pp);
          gather_dy_block(g, dy, m0, m1, grp * ocg, dyb);
          gemm<T>(ocg, K, lb, T(1), dyb, lb, 1, col, 1, lb, s == 0 ? T(0) : T(1),
                  out + grp * ocg * K, K, 1);
        }
      }
      return;
    }
    for (int64_t n = n0; n < n1; ++n)
      for (int64_t grp = 0; grp < g.groups; ++grp) {
        const T* xg = x + (n * g.c + grp * g.cg()) * g.h * g.w;
        const T* dyg = dy + (n * g.oc + grp * ocg) * L;
        const int64_t step = pw ? g.oh : rows;
        for (int64_t oh0 = 0; oh0 < g.oh; oh0 += step) {
          const int64_t oh1 = std::min(g.oh, oh0 + step), lb = (oh1 - oh0) * g.ow;
          if (!pw) im2col(g, xg, col, oh0, oh1);
          // dw_group (OCg x K) += dy_group[:, rows] (OCg x lb) * col^T (lb x K)
          const bool first = n == n0 && oh0 == 0;
          gemm<T>(ocg, K, lb, T(1), dyg + oh0 * g.ow, L, 1, pw ? xg : col, 1, pw ? L : lb,
                  first ? T(0) : T(1), out + grp * ocg * K, K, 1);
        }
      }
  });
  if (chunks > 1) {
    const int nt = outer_threads();
#pragma omp parallel for num_threads(nt) schedule(static) if (wsize > 4096)
    for (int64_t i = 0; i < wsize; ++i) {
      T s = partial[i];
      for (int64_t ch = 1; ch < chunks; ++ch) s += partial[ch * wsize + i];
      dw[i] = s;
    }
  }
}

// y (the conv's input shape) = conv2d_backward_input(dy = x) + b per channel. The batch-lane
// kernels add the bias as they store; the others in one more pass over y (it replaces NumPy's
// broadcast add, 72 us on DCGAN's 64->32 transposed conv, batch 64).
template <class T>
void conv_transpose2d_forward(const Conv2dGeom& g, const T* x, const T* w, const T* b, T* y) {
  const ConvAlgo algo = input_grad_algo<T>(g);
  if (b && algo == ConvAlgo::batch_lanes) return batch_lanes_backward_input(g, x, w, y, b);
  if (b && algo == ConvAlgo::batch_lanes_winograd)
    return batch_lanes_winograd_backward_input(g, x, w, y, b);
  conv2d_backward_input(g, x, w, y);
  if (!b) return;
  const int64_t hw = g.h * g.w, planes = g.n * g.c;
  const int nt = outer_threads();
#pragma omp parallel for num_threads(nt) schedule(static) if (planes * hw > 32768)
  for (int64_t pl = 0; pl < planes; ++pl) {
    const T bc = b[pl % g.c];
    T* row = y + pl * hw;
    for (int64_t q = 0; q < hw; ++q) row[q] += bc;
  }
}

// Each thread owns a range of output channels and walks dy image by image, reading its channels'
// rows of one image as one contiguous run (channel by channel, dy's rows of a channel lie one
// image apart: short runs the prefetchers did not follow, 2.3 % of MNIST conv2's fwd+bwd). Per
// channel the sum is the same as before, and independent of the thread count: row sums added in
// image order.
template <class T>
void conv2d_backward_bias(const Conv2dGeom& g, const T* dy, T* db) {
  const int64_t L = g.oh * g.ow;
  const int nt = outer_threads();
#pragma omp parallel num_threads(nt) if (g.n * g.oc * L > 32768)
  {
    const int64_t t = omp_get_thread_num(), nth = omp_get_num_threads();
    const int64_t o0 = g.oc * t / nth, o1 = g.oc * (t + 1) / nth;
    for (int64_t o = o0; o < o1; ++o) db[o] = T(0);
    for (int64_t n = 0; n < g.n; ++n)
      for (int64_t o = o0; o < o1; ++o) {
        const T* row = dy + (n * g.oc + o) * L;
        T s = T(0);
#pragma omp simd reduction(+ : s)
        for (int64_t l = 0; l < L; ++l) s += row[l];
        db[o] += s;
      }
  }
}

// The direct kernels read dy once for all three gradients; the others are separate passes.
template <class T>
void conv2d_backward(const Conv2dGeom& g, const T* x, const T* dy, const T* w, T* dx, T* dw,
                     T* db) {
  if (use_small_k(g)) {
    if (dx) small_k_backward_input(g, dy, w, dx);
    if (dw || db) small_k_backward_weight(g, x, dy, dw, db);
    return;
  }
  if (use_direct(g)) return conv2d_direct_backward(g, x, dy, w, dx, dw, db);
  if (dx) conv2d_backward_input(g, dy, w, dx);
  if (dw) conv2d_backward_weight(g, x, dy, dw);
  if (db) conv2d_backward_bias(g, dy, db);
}

#define PE_CONV_INSTANTIATE(T)                                                                  \
  template void conv2d_forward<T>(const Conv2dGeom&, const T*, const T*, const T*, T*);         \
  template void conv2d_backward_input<T>(const Conv2dGeom&, const T*, const T*, T*);            \
  template void conv2d_backward_weight<T>(const Conv2dGeom&, const T*, const T*, T*);           \
  template void conv2d_backward_bias<T>(const Conv2dGeom&, const T*, T*);                       \
  template void conv_transpose2d_forward<T>(const Conv2dGeom&, const T*, const T*, const T*, T*); \
  template void conv2d_backward<T>(const Conv2dGeom&, const T*, const T*, const T*, T*, T*, T*); \
  template std::array<const char*, 3> conv2d_algorithms<T>(const Conv2dGeom&);                  \
  template void conv2d_direct_forward<T>(const Conv2dGeom&, const T*, const T*, const T*, T*);  \
  template void conv2d_direct_backward_input<T>(const Conv2dGeom&, const T*, const T*, T*);     \
  template void conv2d_direct_backward_weight<T>(const Conv2dGeom&, const T*, const T*, T*);   \
  template void conv2d_direct_backward<T>(const Conv2dGeom&, const T*, const T*, const T*, T*, T*,\
                                          T*);
PE_CONV_INSTANTIATE(float)
PE_CONV_INSTANTIATE(double)
#undef PE_CONV_INSTANTIATE

}  // namespace pyengine
