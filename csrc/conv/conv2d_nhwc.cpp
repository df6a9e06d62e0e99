// conv2d on channels-last buffers (conv2d_nhwc.h) through the project GEMM.
//
// Why NHWC is the GEMM's own layout: the output positions of the whole batch, p = (n, oh, ow),
// are the rows of y (P x OC, row-major) and the weight (KH, KW, Cg, OC) already is a K x OC
// matrix with K = (i, j, c). So
//   forward        y[block]   = col[block] (rows x K) * w (K x OC)      (+ bias, activation)
//   input grad     dcol[block] = dy[block] (rows x OC) * w^T              then col2im into dx
//   weight grad    dw (K x OC) = sum over blocks col[block]^T * dy[block]
// with no transposes anywhere: a 1x1 stride-1 unpadded convolution is one GEMM on x itself, and
// im2col rows are runs of Cg contiguous channels. Blocks of positions may span images (the
// GEMM sees M = positions of several small images at once, as in the MNIST layers, instead of a
// 121-row GEMM per image), sized so that the block of col stays in L2.
//
// Threads: items (blocks) split over threads with a single-threaded GEMM each, or run in turn
// with the GEMM threading itself; the weight and bias gradients sum a fixed number of chunks
// (from the geometry, never the thread count) in chunk order: bitwise equal for any thread count.
#include <algorithm>
#include <memory>
#include <vector>

#include "common/isa_dispatch.h"
#include "common/parallel.h"
#include "conv/conv2d_nhwc.h"
#include "conv/conv_items.h"
#include "conv/winograd_nhwc.h"
#include "gemm/gemm.h"

namespace pyengine {

// The direct kernels (conv_nhwc_direct_impl.h), one translation unit per ISA.
#define PE_DECLARE_ISA(ns)                                                                      \
  namespace ns {                                                                                \
  template <class T> void conv_nhwc_small_forward(const ConvNhwcGeom&, const T*, const T*,      \
                                                  const T*, T*, int64_t, int64_t);              \
  template <class T> void conv_nhwc_depthwise_forward(const ConvNhwcGeom&, const T*, const T*,  \
                                                      const T*, T*, int64_t, int64_t);          \
  template <class T> void conv_nhwc_depthwise_backward_input(const ConvNhwcGeom&, const T*,     \
                                                             const T*, T*, int64_t, int64_t);   \
  template <class T> void conv_nhwc_direct_backward_weight(const ConvNhwcGeom&, const T*,       \
                                                           const T*, T*, T*, int64_t, int64_t); \
  template <class T> bool conv_nhwc_small_weight_onepass(const ConvNhwcGeom&, const T*,         \
                                                         const T*, const T*, T*, T*, int64_t,   \
                                                         int64_t);                              \
  template <class T> void conv_nhwc_small_winograd(const ConvNhwcGeom&, const T*, const T*,     \
                                                   const T*, T*, int64_t, T*);                  \
  template <class T> void conv_nhwc_small_weight_padded(const ConvNhwcGeom&, const T*, const T*,\
                                                        T*, T*, int64_t, T*);                   \
  }
PE_DECLARE_ISA(generic)
PE_DECLARE_ISA(avx2)
PE_DECLARE_ISA(avx512)
#undef PE_DECLARE_ISA

namespace {

// Depthwise (one input channel per group, one output channel per group) and small-K dense
// layers (K = KH*KW*C <= 27, groups 1: the 1- and 3-channel first layers) run direct: their
// GEMMs would have N = 1 or K <= 27, where packing and im2col cost more than the FMAs.
bool is_depthwise(const ConvNhwcGeom& g) { return g.groups > 1 && g.cg() == 1 && g.ocg() == 1; }
bool is_small(const ConvNhwcGeom& g) { return g.groups == 1 && g.kh * g.kw * g.c <= 27; }

template <class T>
void direct_forward(const ConvNhwcGeom& g, const T* x, const T* w, const T* b, T* y, int64_t p0,
                    int64_t p1) {
  if (is_depthwise(g)) PE_DISPATCH(conv_nhwc_depthwise_forward<T>, g, x, w, b, y, p0, p1);
  PE_DISPATCH(conv_nhwc_small_forward<T>, g, x, w, b, y, p0, p1);
}
template <class T>
void direct_backward_input(const ConvNhwcGeom& g, const T* dy, const T* w, T* dx, int64_t n0,
                           int64_t n1) {
  PE_DISPATCH(conv_nhwc_depthwise_backward_input<T>, g, dy, w, dx, n0, n1);
}
template <class T>
bool small_weight_onepass(const ConvNhwcGeom& g, const T* x, const T* dy, const T* y, T* dw,
                          T* db, int64_t p0, int64_t p1) {
  PE_DISPATCH(conv_nhwc_small_weight_onepass<T>, g, x, dy, y, dw, db, p0, p1);
}
template <class T>
void direct_backward_weight(const ConvNhwcGeom& g, const T* x, const T* dy, T* dw, T* db,
                            int64_t p0, int64_t p1) {
  PE_DISPATCH(conv_nhwc_direct_backward_weight<T>, g, x, dy, dw, db, p0, p1);
}

// Small dense layers whose window rows are 9 contiguous values (3x3 x 3 channels, dilation 1)
// and 16 or 32 output channels: weight and bias gradients image by image through a zero-padded
// copy (small_k_nhwc_impl.h) instead of gathered col blocks.
bool small_padded_fits(const ConvNhwcGeom& g) {
  return is_small(g) && g.dh == 1 && g.dw == 1 && g.kw * g.c == 9 && (g.oc == 16 || g.oc == 32);
}
template <class T>
void small_weight_padded(const ConvNhwcGeom& g, const T* x, const T* dy, T* dw, T* db, int64_t n,
                         T* pad) {
  PE_DISPATCH(conv_nhwc_small_weight_padded<T>, g, x, dy, dw, db, n, pad);
}

// 3x3 stride-1 dense layers with 1-3 input channels and whole vectors of output channels: the
// forward as Winograd F(4, 3) along the rows (small_k_nhwc_impl.h), image by image. Rows of
// fewer than 8 pixels would waste much of their 4-pixel tiles: they stay direct.
bool small_winograd_fits(const ConvNhwcGeom& g) {
  return is_small(g) && g.kh == 3 && g.kw == 3 && g.sh == 1 && g.sw == 1 && g.dh == 1 &&
         g.dw == 1 && g.oc % 16 == 0 && g.ow >= 8;
}
// Scratch per image: one padded input row and the V rows (tiles per row rounded up to a
// multiple of the kernel's register block, at most 4).
int64_t small_winograd_scratch(const ConvNhwcGeom& g) {
  const int64_t tiles = (g.ow + 3) / 4 + 3;
  return (4 * tiles + 2) * g.c + (g.oh + 2) * tiles * g.c * 6;
}
// U[i][c][k][o] = sum_j G[k][j] w[i, j, c, o], G of F(4, 3) (interpolation points 0, +-1, +-2).
template <class T>
void small_winograd_weights(const ConvNhwcGeom& g, const T* w, T* u) {
  const int64_t OC = g.oc, C = g.c;
  for (int64_t i = 0; i < 3; ++i)
    for (int64_t c = 0; c < C; ++c) {
      const T* w0 = w + (i * 3 * C + c) * OC;
      const T* w1 = w0 + C * OC;
      const T* w2 = w1 + C * OC;
      T* ud = u + (i * C + c) * 6 * OC;
      for (int64_t o = 0; o < OC; ++o) {
        const T a = w0[o], m = w1[o], e = w2[o];
        ud[o] = a / T(4);
        ud[OC + o] = -(a + m + e) / T(6);
        ud[2 * OC + o] = -(a - m + e) / T(6);
        ud[3 * OC + o] = a / T(24) + m / T(12) + e / T(6);
        ud[4 * OC + o] = a / T(24) - m / T(12) + e / T(6);
        ud[5 * OC + o] = e;
      }
    }
}
template <class T>
void small_winograd(const ConvNhwcGeom& g, const T* x, const T* u, const T* b, T* y, int64_t n,
                    T* scratch) {
  PE_DISPATCH(conv_nhwc_small_winograd<T>, g, x, u, b, y, n, scratch);
}

// Positions per item of the direct kernels: enough work to amortise a fork, few enough that
// both threads get several items. Geometry only.
int64_t direct_rows(const ConvNhwcGeom& g) {
  const int64_t per = std::max<int64_t>(1, g.kh * g.kw * g.c * (g.groups == 1 ? g.oc : 1));
  return std::max<int64_t>(16, (int64_t{1} << 18) / per);
}

bool is_pointwise(const ConvNhwcGeom& g) {
  return g.kh == 1 && g.kw == 1 && g.sh == 1 && g.sw == 1 && g.pt == 0 && g.pl == 0 &&
         g.oh == g.h && g.ow == g.w;
}

// Positions per block: the col block (rows x K) within ~384 KiB of a core's L2 (1 MiB on Zen 4
// and Zen 5), a multiple of 48 rows (whole micro-tiles for MR 6, 12, 16). Geometry only.
template <class T>
int64_t block_rows(int64_t P, int64_t K) {
  const int64_t budget = (int64_t{384} << 10) / int64_t(sizeof(T)) / std::max<int64_t>(1, K);
  if (budget >= P) return std::max<int64_t>(1, P);
  return std::min(P, std::max<int64_t>(48, budget / 48 * 48));
}

// col rows for positions [p0, p1) of group grp: row p holds, for each tap (i, j), the Cg
// channels of the input pixel the tap sees (zeros in the padding), K = KH * KW * Cg long.
template <class T>
void im2col_nhwc(const ConvNhwcGeom& g, const T* x, int64_t grp, int64_t p0, int64_t p1,
                 T* col) {
  const int64_t cg = g.cg(), K = g.kh * g.kw * cg, L = g.oh * g.ow;
  int64_t n = p0 / L, oh = p0 % L / g.ow, ow = p0 % g.ow;
  for (int64_t p = p0; p < p1; ++p) {
    T* row = col + (p - p0) * K;
    const T* img = x + n * g.h * g.w * g.c + grp * cg;
    for (int64_t i = 0; i < g.kh; ++i) {
      const int64_t ih = oh * g.sh - g.pt + i * g.dh;
      for (int64_t j = 0; j < g.kw; ++j) {
        const int64_t iw = ow * g.sw - g.pl + j * g.dw;
        T* d = row + (i * g.kw + j) * cg;
        if (ih < 0 || ih >= g.h || iw < 0 || iw >= g.w) {
          for (int64_t c = 0; c < cg; ++c) d[c] = T(0);
        } else {
          const T* s = img + (ih * g.w + iw) * g.c;
          for (int64_t c = 0; c < cg; ++c) d[c] = s[c];
        }
      }
    }
    if (++ow == g.ow) {
      ow = 0;
      if (++oh == g.oh) oh = 0, ++n;
    }
  }
}

// dx += col2im(dcol) for positions [p0, p1) of group grp (the adjoint of im2col_nhwc).
template <class T>
void col2im_nhwc_add(const ConvNhwcGeom& g, const T* col, int64_t grp, int64_t p0, int64_t p1,
                     T* dx) {
  const int64_t cg = g.cg(), K = g.kh * g.kw * cg, L = g.oh * g.ow;
  int64_t n = p0 / L, oh = p0 % L / g.ow, ow = p0 % g.ow;
  for (int64_t p = p0; p < p1; ++p) {
    const T* row = col + (p - p0) * K;
    T* img = dx + n * g.h * g.w * g.c + grp * cg;
    for (int64_t i = 0; i < g.kh; ++i) {
      const int64_t ih = oh * g.sh - g.pt + i * g.dh;
      if (ih < 0 || ih >= g.h) continue;
      for (int64_t j = 0; j < g.kw; ++j) {
        const int64_t iw = ow * g.sw - g.pl + j * g.dw;
        if (iw < 0 || iw >= g.w) continue;
        const T* s = row + (i * g.kw + j) * cg;
        T* d = img + (ih * g.w + iw) * g.c;
        for (int64_t c = 0; c < cg; ++c) d[c] += s[c];
      }
    }
    if (++ow == g.ow) {
      ow = 0;
      if (++oh == g.oh) oh = 0, ++n;
    }
  }
}

// y rows [0, rows) of one group (row stride ld): + bias, then the activation, in place.
template <class T>
void epilogue(const T* b, const ConvAct& act, T* y, int64_t rows, int64_t cols, int64_t ld) {
  if (b)
    for (int64_t r = 0; r < rows; ++r) {
      T* row = y + r * ld;
      for (int64_t c = 0; c < cols; ++c) row[c] += b[c];
    }
  if (!act.on) return;
  if (ld == cols) return act_forward<T>(act.act, act.prm, y, y, rows * cols);
  for (int64_t r = 0; r < rows; ++r) act_forward<T>(act.act, act.prm, y + r * ld, y + r * ld, cols);
}

}  // namespace

template <class T>
void conv2d_nhwc_forward(const ConvNhwcGeom& g, const T* x, const T* w, const T* b, ConvAct act,
                         T* y) {
  const int64_t P = g.n * g.oh * g.ow, K = g.kh * g.kw * g.cg(), ocg = g.ocg();
  if (P == 0) return;
  if (small_winograd_fits(g)) {  // images as items
    std::vector<T> u(static_cast<size_t>(3 * g.c * 6 * g.oc));
    small_winograd_weights(g, w, u.data());
    const int64_t L = g.oh * g.ow;
    for_each_conv_item<T>(g.n, small_winograd_scratch(g), [&](int64_t n, T* scratch) {
      small_winograd(g, x, u.data(), b, y, n, scratch);
      epilogue<T>(nullptr, act, y + n * L * g.oc, L, g.oc, g.oc);
    });
    return;
  }
  if (is_depthwise(g) || is_small(g)) {
    int64_t rows = direct_rows(g);
    // Depthwise: items of whole pairs of output rows, which the 3x3 stride-1 kernel computes
    // in one pass (an item boundary inside a row left ~2 of its 8 rows unpaired).
    if (is_depthwise(g)) rows = std::max<int64_t>(1, (rows + g.ow) / (2 * g.ow)) * 2 * g.ow;
    const int64_t nb = (P + rows - 1) / rows;
    for_each_conv_item<T>(nb, 0, [&](int64_t it, T*) {
      const int64_t p0 = it * rows, p1 = std::min(P, p0 + rows);
      direct_forward(g, x, w, b, y, p0, p1);
      epilogue<T>(nullptr, act, y + p0 * g.oc, p1 - p0, g.oc, g.oc);
    });
    return;
  }
  if (winograd_nhwc_fits(g, false)) {  // 3x3 stride 1 with enough channels (winograd_nhwc.h)
    const WinogradNhwcGeom wg = winograd_nhwc_geom(g, false);
    std::vector<T> u(static_cast<size_t>(wg.u_size()));
    winograd_nhwc_weights(g, wg, w, false, u.data());
    return winograd_nhwc_conv3x3(wg, x, u.data(), b, act, y);
  }
  const bool pw = is_pointwise(g);
  const int64_t rows = block_rows<T>(P, K), nb = (P + rows - 1) / rows;
  for_each_conv_item<T>(nb * g.groups, pw ? 0 : rows * K, [&](int64_t it, T* col) {
    const int64_t grp = it % g.groups, p0 = it / g.groups * rows;
    const int64_t pb = std::min(P, p0 + rows) - p0;
    if (!pw) im2col_nhwc(g, x, grp, p0, p0 + pb, col);
    const T* a = pw ? x + p0 * g.c + grp * g.cg() : col;
    T* yb = y + p0 * g.oc + grp * ocg;
    gemm<T>(pb, ocg, K, T(1), a, pw ? g.c : K, 1, w + grp * ocg, g.oc, 1, T(0), yb, g.oc, 1);
    epilogue(b ? b + grp * ocg : nullptr, act, yb, pb, ocg, g.oc);
  });
}

template <class T>
void conv2d_nhwc_backward(const ConvNhwcGeom& g, const T* x, const T* dy, const T* w,
                          ConvAct act, const T* y, T* dx, T* dw, T* db) {
  const int64_t P = g.n * g.oh * g.ow, L = g.oh * g.ow, K = g.kh * g.kw * g.cg();
  const int64_t cg = g.cg(), ocg = g.ocg(), wsize = K * g.oc;
  if (P == 0) {
    if (dw) std::fill(dw, dw + wsize, T(0));
    if (db) std::fill(db, db + g.oc, T(0));
    if (dx) std::fill(dx, dx + g.n * g.h * g.w * g.c, T(0));
    return;
  }
  const bool pw = is_pointwise(g), direct = is_depthwise(g) || is_small(g);
  // The gradient of the pre-activation, act'(y) * dy, elementwise (any thread split): as a
  // whole array where the input gradient or a GEMM reads it, else block by block inside the
  // direct weight pass below (the first layer's 11 MB gz of MNIST is then never written).
  const bool act_blocks = act.on && direct && !dx;
  std::unique_ptr<T[]> gz_buf;  // fully written below: no zero fill (4 MB for MNIST conv2)
  const T* gz = dy;
  if (act.on && !act_blocks) {
    gz_buf.reset(new T[static_cast<size_t>(P * g.oc)]);
    T* out = gz_buf.get();
    parallel_for(P * g.oc, kParallelGrain, [&](int64_t b0, int64_t b1) {
      act_backward<T>(act.act, act.prm, y + b0, y + b0, dy + b0, out + b0, b1 - b0);
    });
    gz = out;
  }
  const int64_t rows = block_rows<T>(P, K);
  if (dx && is_depthwise(g)) {  // items: runs of whole images (their windows overlap in dx)
    const int64_t imgs = std::max<int64_t>(1, direct_rows(g) / L);
    const int64_t items = (g.n + imgs - 1) / imgs;
    for_each_conv_item<T>(items, 0, [&](int64_t it, T*) {
      direct_backward_input(g, gz, w, dx, it * imgs, std::min(g.n, (it + 1) * imgs));
    });
  } else if (dx && winograd_nhwc_fits(g, true)) {  // the forward's kernel on gz, rotated w
    const WinogradNhwcGeom wg = winograd_nhwc_geom(g, true);
    std::vector<T> u(static_cast<size_t>(wg.u_size()));
    winograd_nhwc_weights(g, wg, w, true, u.data());
    const T* no_bias = nullptr;
    winograd_nhwc_conv3x3(wg, gz, u.data(), no_bias, ConvAct{}, dx);
  } else if (dx && pw) {  // dx (P x Cg) = dy_group (P x OCg) * w_group^T, per block of positions
    const int64_t nb = (P + rows - 1) / rows;
    for_each_conv_item<T>(nb * g.groups, 0, [&](int64_t it, T*) {
      const int64_t grp = it % g.groups, p0 = it / g.groups * rows;
      const int64_t pb = std::min(P, p0 + rows) - p0;
      gemm<T>(pb, cg, ocg, T(1), gz + p0 * g.oc + grp * ocg, g.oc, 1, w + grp * ocg, 1, g.oc,
              T(0), dx + p0 * g.c + grp * cg, g.c, 1);
    });
  } else if (dx) {
    // Items are runs of whole images (windows of one image overlap in dx, of two never).
    const int64_t imgs = std::max<int64_t>(1, rows / L), items = (g.n + imgs - 1) / imgs;
    for_each_conv_item<T>(items, imgs * L * K, [&](int64_t it, T* col) {
      const int64_t n0 = it * imgs, n1 = std::min(g.n, n0 + imgs);
      const int64_t p0 = n0 * L, pb = (n1 - n0) * L;
      std::fill(dx + n0 * g.h * g.w * g.c, dx + n1 * g.h * g.w * g.c, T(0));
      for (int64_t grp = 0; grp < g.groups; ++grp) {
        gemm<T>(pb, K, ocg, T(1), gz + p0 * g.oc + grp * ocg, g.oc, 1, w + grp * ocg, 1, g.oc,
                T(0), col, K, 1);
        col2im_nhwc_add(g, col, grp, p0, p0 + pb, dx);
      }
    });
  }
  if (dw && winograd_nhwc_fits_weight_grad(g)) {
    winograd_nhwc_conv3x3_backward_weight(winograd_nhwc_geom(g, false), x, gz, dw);
    dw = nullptr;  // done: the pass below forms db alone
  }
  if (!dw && !db) return;
  // Weight and bias gradients: blocks of positions in a fixed number of chunks, each summing
  // into its own partials (at most 64 MiB of them), then the partials added in chunk order.
  // padded: items are whole images through their zero-padded copies (small_padded_fits).
  const bool padded = direct && !act_blocks && small_padded_fits(g);
  const int64_t wrows = direct ? direct_rows(g) : rows;
  const int64_t nb = padded ? g.n : (P + wrows - 1) / wrows;
  const int64_t cap = std::max<int64_t>(1, (int64_t{64} << 20) / int64_t(sizeof(T)) /
                                               (wsize + g.oc));
  const int64_t chunks = std::max<int64_t>(1, std::min<int64_t>({nb, int64_t{16}, cap}));
  std::vector<T> part(static_cast<size_t>(chunks * (wsize + g.oc)));
  const int64_t scratch = padded ? padded_rows(g) * padded_cols(g) * g.c
                         : direct ? (act_blocks ? wrows * g.oc : 0) : (dw && !pw ? rows * K : 0);
  for_each_conv_item<T>(chunks, scratch, [&](int64_t ch, T* col) {
    T* pdw = part.data() + ch * (wsize + g.oc);
    T* pdb = pdw + wsize;
    std::fill(pdb, pdb + g.oc, T(0));
    if (dw) std::fill(pdw, pdw + wsize, T(0));
    for (int64_t blk = nb * ch / chunks; blk < nb * (ch + 1) / chunks; ++blk) {
      if (padded) {  // blk: an image
        small_weight_padded(g, x, gz + blk * L * g.oc, dw ? pdw : nullptr, db ? pdb : nullptr,
                            blk, col);
        continue;
      }
      const int64_t p0 = blk * wrows, pb = std::min(P, p0 + wrows) - p0;
      if (direct) {
        T* bw = dw ? pdw : nullptr;
        T* bb = db ? pdb : nullptr;
        // relu's gradient formed in registers, or no activation: one pass where it applies.
        if ((!act_blocks || act.act == Act::relu) &&
            small_weight_onepass(g, x, (act_blocks ? dy : gz) + p0 * g.oc,
                                 act_blocks ? y + p0 * g.oc : static_cast<const T*>(nullptr),
                                 bw, bb, p0, p0 + pb))
          continue;
        const T* gzb = gz + p0 * g.oc;
        if (act_blocks) {  // col is this item's scratch: act'(y) * dy for the block
          act_backward<T>(act.act, act.prm, y + p0 * g.oc, y + p0 * g.oc, dy + p0 * g.oc, col,
                          pb * g.oc);
          gzb = col;
        }
        direct_backward_weight(g, x, gzb, dw ? pdw : nullptr, db ? pdb : nullptr, p0, p0 + pb);
        continue;
      }
      if (db)
        for (int64_t p = p0; p < p0 + pb; ++p) {
          const T* row = gz + p * g.oc;
          for (int64_t o = 0; o < g.oc; ++o) pdb[o] += row[o];
        }
      if (!dw) continue;
      for (int64_t grp = 0; grp < g.groups; ++grp) {
        if (!pw) im2col_nhwc(g, x, grp, p0, p0 + pb, col);
        const T* a = pw ? x + p0 * g.c + grp * cg : col;  // read transposed: K x pb
        gemm<T>(K, ocg, pb, T(1), a, 1, pw ? g.c : K, gz + p0 * g.oc + grp * ocg, g.oc, 1, T(1),
                pdw + grp * ocg, g.oc, 1);
      }
    }
  });
  auto reduce = [&](T* out, int64_t off, int64_t size) {
    parallel_for(size, kParallelGrain / chunks + 1, [&](int64_t i0, int64_t i1) {
      for (int64_t i = i0; i < i1; ++i) {
        T s = part[off + i];
        for (int64_t ch = 1; ch < chunks; ++ch) s += part[ch * (wsize + g.oc) + off + i];
        out[i] = s;
      }
    });
  };
  if (dw) reduce(dw, 0, wsize);
  if (db) reduce(db, wsize, g.oc);
}

#define PE_CONV_NHWC_INSTANTIATE(T)                                                           \
  template void conv2d_nhwc_forward<T>(const ConvNhwcGeom&, const T*, const T*, const T*,     \
                                       ConvAct, T*);                                          \
  template void conv2d_nhwc_backward<T>(const ConvNhwcGeom&, const T*, const T*, const T*,    \
                                        ConvAct, const T*, T*, T*, T*);
PE_CONV_NHWC_INSTANTIATE(float)
PE_CONV_NHWC_INSTANTIATE(double)
#undef PE_CONV_NHWC_INSTANTIATE

}  // namespace pyengine
