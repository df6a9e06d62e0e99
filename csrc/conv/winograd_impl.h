// Winograd F(2x2, 3x3) tile loop (winograd.h), written once as plain loops and compiled per ISA:
// winograd_<isa>.cpp defines PE_ISA_NS and includes this file; CMake gives the TU its -m flags.
//
// A block of tiles runs input transform -> 16 GEMMs -> output transform on one thread. Tiles are
// numbered (image, tile row, tile column) and a block may span images, so small planes (the 6x6
// tiles of a 13x13 MNIST layer) still fill the GEMM. V and M are stored (k, channel, tile): the
// transforms run along tiles with unit stride (vectorised by the compiler), and each GEMM reads
// V_k in place as a row-major B with M = OC rows. The weight gradient transposes V and M to
// (k, tile, channel) first (winograd_simd.h), since its GEMMs sum over tiles.
#include <omp.h>

#include <cstdlib>

#include "common/check.h"
#include "conv/winograd.h"
#include "conv/winograd_simd.h"
#include "gemm/gemm.h"

namespace pyengine {
namespace PE_ISA_NS {

namespace {

// Per-thread scratch without std containers (per-ISA TU: keep every instantiation local).
// Outside a parallel region a failed allocation throws (MemoryError); inside one it is recorded
// in `region` (p stays null, the thread skips its work) and the caller rethrows after the region.
template <class T>
struct WgScratch {
  T* p;
  explicit WgScratch(int64_t n, RegionAlloc* region = nullptr)
      : p(static_cast<T*>(std::aligned_alloc(64, ((sizeof(T) * (n > 0 ? n : 1)) + 63) / 64 * 64))) {
    RegionAlloc here;
    (region ? *region : here).ok(p, n > 0 ? n : 1, sizeof(T));
    here.rethrow("conv2d");
  }
  ~WgScratch() { std::free(p); }
  WgScratch(const WgScratch&) = delete;
  WgScratch& operator=(const WgScratch&) = delete;
};

// Tiles per block: V and M of a block (16 * (C + OC) * tiles values) within ~1 MiB (a Zen 4
// core's L2), in multiples of 32 (the widest GEMM micro-tile's NR), from 128 to 256. Measured
// (float, one thread): 1 MiB against 512 KiB took the MNIST input gradient from 9.1 to 8.2 ms;
// the 128 floor is for wide layers, where each block re-packs all of U_k and 32 tiles made the
// packing cost as much as the multiplies (C = OC = 256 on 7x7, batch 16: 14.5 ms at 32 tiles,
// 12.5 at 128; C = OC = 512: 49.6 against 41.9). Depends on the geometry only, never on the
// thread count.
// Fewer channels: blocks small enough that each of the 16 GEMMs (C x OC x tiles multiply-adds)
// stays under the size the GEMM runs unpacked (2 * 64^3 flops, gemm.cpp's kThreadFlops), from
// 96 tiles up, when that is below the size above: the GEMMs then read U_k and V_k in place
// instead of packing U_k for every block. MNIST conv2 (32 -> 64 on 13x13, batch 128; float, one
// thread), 160 tiles -> 96: forward 5.0 -> 4.8 ms, input gradient 6.6 -> 6.3, weight gradient
// 6.6-7.0 -> 6.0; 64 tiles: 4.9, 6.5, 6.3. ResNet 64 -> 64 (no such size from 96) keeps 128:
// at 96 it measured slower (forward 12.4 -> 12.8, input gradient 12.2 -> 13.0).
template <class T>
int64_t tiles_per_block(const WinogradGeom& g) {
  const int64_t per_tile = 16 * (g.c + g.oc) * int64_t(sizeof(T));
  const int64_t t = imin(256, imax(128, (int64_t{1} << 20) / per_tile / 32 * 32));
  const int64_t unpacked = (int64_t{64} * 64 * 64 - 1) / imax(1, g.c * g.oc) / 32 * 32;
  return unpacked >= 96 && unpacked < t ? unpacked : t;
}

// Distance between the 16 matrices of V (or M): channels * ld plus one cache line, so that the
// 16 rows a transform writes (or reads) together are not 4 KiB apart. With 64 channels and
// ld = 80 floats they were (20480 bytes), all in one L1 set: the MNIST input gradient's input
// transform ran at a third of the speed.
template <class T>
int64_t k_stride(int64_t channels, int64_t ld) {
  return channels * ld + 64 / int64_t(sizeof(T));
}

// A block's tiles [t0, t0 + nt) as row segments: tile (n, ti, tj0 + q) is the block's tile
// pos + q for q < len. Computed once per block (the transforms loop over it per channel).
struct Segment {
  int64_t n, ti, tj0, len, pos;
};

inline int64_t make_segments(int64_t t0, int64_t nt, int64_t th, int64_t tw, Segment* seg) {
  const int64_t per = th * tw;
  int64_t t = t0, pos = 0, count = 0;
  while (pos < nt) {
    const int64_t n = t / per, r = t % per, ti = r / tw, tj0 = r % tw;
    const int64_t len = imin(tw - tj0, nt - pos);
    seg[count++] = {n, ti, tj0, len, pos};
    t += len;
    pos += len;
  }
  return count;
}

// One staging copy of a block: n values from plane offset src (of channel 0; channel c adds
// c * plane) to stage offset dst. Built once per block, replayed for every channel.
struct Copy {
  int64_t dst, src, n;
};

// V[k][c][q] = (B^T d B)[k] for the 4x4 input patch d of the block's tile q, channel c.
// The patch rows are first staged as lo[r][2q + s] = d[r][s] and hi[r][2q + s] = d[r][2 + s]
// (contiguous copies per tile row segment), so the transform is one vector loop over all the
// block's tiles whatever the plane width (a 13x13 plane has tile rows of only 6). The staging
// is zeroed once per block and the copies (the in-plane parts of the rows, the same for every
// channel) are computed once: padding stays zero, and each channel replays only the copies.
template <class T>
__attribute__((optimize("no-tree-loop-distribute-patterns")))
void input_transform(const WinogradGeom& g, const T* x, int64_t grp, const Segment* segs,
                     int64_t nseg, int64_t nt, int64_t ld, T* __restrict v, T* __restrict stage,
                     Copy* copies) {
  const int64_t plane = g.h * g.w, kstride = k_stride<T>(g.c, ld), sl = 2 * nt;
  T* lo = stage;            // 4 rows of 2 nt
  T* hi = stage + 4 * sl;   // 4 rows of 2 nt
  zero_n(stage, 8 * sl);
  int64_t ncopy = 0;
  for (int64_t i = 0; i < nseg; ++i) {
    const Segment& sg = segs[i];
    const int64_t base = (sg.n * g.groups + grp) * g.c * plane, span = 2 * sg.len;
    for (int64_t r = 0; r < 4; ++r) {
      const int64_t ih = 2 * sg.ti - g.ph + r;
      if (ih < 0 || ih >= g.h) continue;
      for (int64_t half = 0; half < 2; ++half) {  // lo: columns c0.., hi: c0 + 2..
        const int64_t c0 = 2 * sg.tj0 - g.pw + 2 * half;
        const int64_t a = imin(span, imax(0, -c0)), b = imax(a, imin(span, g.w - c0));
        if (b > a)
          copies[ncopy++] = {(half * 4 + r) * sl + 2 * sg.pos + a, base + ih * g.w + c0 + a, b - a};
      }
    }
  }
  for (int64_t c = 0; c < g.c; ++c) {
    const T* xc = x + c * plane;
    for (int64_t i = 0; i < ncopy; ++i) {
      // The next channel's rows: short pieces of C planes that the prefetchers do not follow.
      __builtin_prefetch(xc + plane + copies[i].src);
      copy_n(stage + copies[i].dst, xc + copies[i].src, copies[i].n);
    }
    T* out = v + c * ld;
#pragma omp simd
    for (int64_t q = 0; q < nt; ++q) {
      T h[4][4];  // rows: h = d B
      for (int i = 0; i < 4; ++i) {
        const T d0 = lo[i * sl + 2 * q], d1 = lo[i * sl + 2 * q + 1];
        const T d2 = hi[i * sl + 2 * q], d3 = hi[i * sl + 2 * q + 1];
        h[i][0] = d0 - d2;
        h[i][1] = d1 + d2;
        h[i][2] = d2 - d1;
        h[i][3] = d1 - d3;
      }
      for (int s = 0; s < 4; ++s) {  // columns: V = B^T h
        out[(0 * 4 + s) * kstride + q] = h[0][s] - h[2][s];
        out[(1 * 4 + s) * kstride + q] = h[1][s] + h[2][s];
        out[(2 * 4 + s) * kstride + q] = h[2][s] - h[1][s];
        out[(3 * 4 + s) * kstride + q] = h[1][s] - h[3][s];
      }
    }
  }
}

// Output tile q, channel o = A^T M[.][o][q] A + bias: one vector loop over the block's tiles
// into stage[a][2q + b] (output row 2 ti + a, column 2 tj + b), then contiguous row copies per
// segment, cropped to the plane.
template <class T>
__attribute__((optimize("no-tree-loop-distribute-patterns")))
void output_transform(const WinogradGeom& g, const T* __restrict m, const T* b, int64_t grp,
                      const Segment* segs, int64_t nseg, int64_t nt, int64_t ld, T* y,
                      T* __restrict stage) {
  const int64_t plane = g.oh * g.ow, kstride = k_stride<T>(g.oc, ld), sl = 2 * nt;
  T* y0 = stage;
  T* y1 = stage + sl;
  for (int64_t o = 0; o < g.oc; ++o) {
    const T bias = b ? b[grp * g.oc + o] : T(0);
    const T* in = m + o * ld;
#pragma omp simd
    for (int64_t q = 0; q < nt; ++q) {
      T t[2][4];  // rows: t = A^T M
      for (int s = 0; s < 4; ++s) {
        const T m0 = in[(0 * 4 + s) * kstride + q], m1 = in[(1 * 4 + s) * kstride + q];
        const T m2 = in[(2 * 4 + s) * kstride + q], m3 = in[(3 * 4 + s) * kstride + q];
        t[0][s] = m0 + m1 + m2;
        t[1][s] = m1 - m2 - m3;
      }
      y0[2 * q] = t[0][0] + t[0][1] + t[0][2] + bias;
      y0[2 * q + 1] = t[0][1] - t[0][2] - t[0][3] + bias;
      y1[2 * q] = t[1][0] + t[1][1] + t[1][2] + bias;
      y1[2 * q + 1] = t[1][1] - t[1][2] - t[1][3] + bias;
    }
    for (int64_t i = 0; i < nseg; ++i) {
      const Segment& sg = segs[i];
      T* dst = y + ((sg.n * g.groups + grp) * g.oc + o) * plane;
      const int64_t c0 = 2 * sg.tj0, cols = imin(2 * sg.len, g.ow - c0);
      for (int a = 0; a < 2; ++a) {
        const int64_t oh = 2 * sg.ti + a;
        if (oh >= g.oh) break;
        const T* s = (a == 0 ? y0 : y1) + 2 * sg.pos;
        __builtin_prefetch(dst + plane + oh * g.ow + c0, 1);  // the next channel's row
        copy_n(dst + oh * g.ow + c0, s, cols);
      }
    }
  }
}

// The adjoint of output_transform for the weight gradient: M[k][o][q] = (A e A^T)[k] for the
// 2x2 block e of dy under the block's tile q (zero where the tile overhangs the output plane).
// Staged like input_transform: zeroed once, copies computed once, replayed per channel.
template <class T>
__attribute__((optimize("no-tree-loop-distribute-patterns")))
void grad_output_transform(const WinogradGeom& g, const T* dy, int64_t grp, const Segment* segs,
                           int64_t nseg, int64_t nt, int64_t ld, T* __restrict m,
                           T* __restrict stage, Copy* copies) {
  const int64_t plane = g.oh * g.ow, kstride = k_stride<T>(g.oc, ld), sl = 2 * nt;
  T* e0 = stage;
  T* e1 = stage + sl;
  zero_n(stage, 2 * sl);
  int64_t ncopy = 0;
  for (int64_t i = 0; i < nseg; ++i) {
    const Segment& sg = segs[i];
    const int64_t base = (sg.n * g.groups + grp) * g.oc * plane;
    const int64_t cols = imin(2 * sg.len, g.ow - 2 * sg.tj0);
    for (int64_t a = 0; a < 2; ++a) {
      const int64_t oh = 2 * sg.ti + a;
      if (oh < g.oh && cols > 0)
        copies[ncopy++] = {a * sl + 2 * sg.pos, base + oh * g.ow + 2 * sg.tj0, cols};
    }
  }
  for (int64_t o = 0; o < g.oc; ++o) {
    const T* dyo = dy + o * plane;
    for (int64_t i = 0; i < ncopy; ++i) {
      __builtin_prefetch(dyo + plane + copies[i].src);
      copy_n(stage + copies[i].dst, dyo + copies[i].src, copies[i].n);
    }
    T* out = m + o * ld;
#pragma omp simd
    for (int64_t q = 0; q < nt; ++q) {
      const T a0 = e0[2 * q], a1 = e0[2 * q + 1], b0 = e1[2 * q], b1 = e1[2 * q + 1];
      const T f[4][2] = {{a0, a1}, {a0 + b0, a1 + b1}, {a0 - b0, a1 - b1}, {-b0, -b1}};  // A e
      for (int r = 0; r < 4; ++r) {  // (A e) A^T
        out[(r * 4 + 0) * kstride + q] = f[r][0];
        out[(r * 4 + 1) * kstride + q] = f[r][0] + f[r][1];
        out[(r * 4 + 2) * kstride + q] = f[r][0] - f[r][1];
        out[(r * 4 + 3) * kstride + q] = -f[r][1];
      }
    }
  }
}

// Block layout shared by the entry points: tiles per block, row strides, scratch offsets.
template <class T>
struct Plan {
  int64_t th, tw, total, tb, ld, nblocks, vk, mk, vsize, msize, ssize, seg_bytes, scratch;
  int64_t vtk, mtk;  // weight gradient only: k strides of the tile-major copies of V and M
  Plan(const WinogradGeom& g, bool weight_grad) {
    th = (g.oh + 1) / 2;
    tw = (g.ow + 1) / 2;
    total = g.n * th * tw;
    tb = tiles_per_block<T>(g);
    // Row stride of V and M: one cache line past the block width, so that a power-of-two
    // width does not map the rows of a GEMM panel onto one cache set.
    ld = tb + 64 / int64_t(sizeof(T));
    nblocks = (total + tb - 1) / tb;
    vk = k_stride<T>(g.c, ld);
    mk = k_stride<T>(g.oc, ld);
    vsize = 16 * vk;
    msize = 16 * mk;
    ssize = 16 * tb;
    vtk = weight_grad ? tb * g.c + 64 / int64_t(sizeof(T)) : 0;
    mtk = weight_grad ? tb * g.oc + 64 / int64_t(sizeof(T)) : 0;
    ssize += 16 * (vtk + mtk);
    // Scratch: V, M, the transforms' staging rows (and the weight gradient's tile-major V and
    // M), then the segment list (tb at most) and the staging copies (8 per segment at most).
    seg_bytes = (tb * int64_t(sizeof(Segment)) + 63) / 64 * 64;
    const int64_t list_bytes = seg_bytes + 8 * tb * int64_t(sizeof(Copy));
    scratch = vsize + msize + ssize + (list_bytes + int64_t(sizeof(T)) - 1) / int64_t(sizeof(T));
  }
  T* v(T* s) const { return s; }
  T* m(T* s) const { return s + vsize; }
  T* stage(T* s) const { return s + vsize + msize; }
  T* vt(T* s) const { return s + vsize + msize + 16 * tb; }
  T* mt(T* s) const { return vt(s) + 16 * vtk; }
  Segment* segs(T* s) const { return reinterpret_cast<Segment*>(s + vsize + msize + ssize); }
  Copy* copies(T* s) const {
    return reinterpret_cast<Copy*>(reinterpret_cast<char*>(segs(s)) + seg_bytes);
  }
};

// Runs body(item, scratch) for item in [0, items), split over threads (each with its own
// scratch) when there are enough items, else in turn so that the GEMMs inside may thread.
template <class T, class Body>
void run_items(int64_t items, int64_t scratch, Body&& body) {
  const int nthreads = omp_in_parallel() ? 1 : omp_get_max_threads();
  if (nthreads > 1 && items >= nthreads) {
    RegionAlloc alloc;
#pragma omp parallel num_threads(nthreads)
    {
      WgScratch<T> s(scratch, &alloc);
#pragma omp for schedule(static)
      for (int64_t it = 0; it < items; ++it)
        if (s.p) body(it, s.p);
    }
    alloc.rethrow("conv2d");
  } else {
    WgScratch<T> s(scratch);
    for (int64_t it = 0; it < items; ++it) body(it, s.p);
  }
}

template <class T>
void forward_impl(const WinogradGeom& g, const T* x, const T* u, const T* b, T* y) {
  const Plan<T> p(g, false);
  if (p.total <= 0 || g.oc <= 0) return;
  run_items<T>(g.groups * p.nblocks, p.scratch, [&](int64_t it, T* s) {
    const int64_t grp = it / p.nblocks, t0 = it % p.nblocks * p.tb, nt = imin(p.tb, p.total - t0);
    Segment* segs = p.segs(s);
    const int64_t nseg = make_segments(t0, nt, p.th, p.tw, segs);
    input_transform(g, x, grp, segs, nseg, nt, p.ld, p.v(s), p.stage(s), p.copies(s));
    // M_k (OC x nt) = U_k (OC x C) * V_k (C x nt), k = 0..15. U_k is stored C x OC (unit stride
    // along the GEMM's M), so packing it is plain copies.
    gemm_batched<T>(16, g.oc, nt, g.c, T(1), u + grp * 16 * g.oc * g.c, g.oc * g.c, 1, g.oc,
                    p.v(s), p.vk, p.ld, 1, T(0), p.m(s), p.mk, p.ld, 1);
    output_transform(g, p.m(s), b, grp, segs, nseg, nt, p.ld, y, p.stage(s));
  });
}

// dw = G^T [ sum over tiles of (A dy_t A^T) .* (B^T x_t B) ] G: the adjoint of the forward
// (Y_t = A^T [U .* V_t] A with U = G w G^T). Summed over a block's tiles, the 16 products are
// GEMMs Z_k (OC x C) += Mdy_k (OC x tiles) * V_k^T (tiles x C). The blocks are cut into a FIXED
// number of chunks (never the thread count); each chunk sums its blocks in order into its own
// Z, and the chunks' Z are added in chunk order, so the result does not depend on the threads.
template <class T>
void weight_grad_impl(const WinogradGeom& g, const T* x, const T* dy, T* dw) {
  const Plan<T> p(g, true);
  const int64_t zsize = g.groups * 16 * g.oc * g.c;  // Z of all groups, one chunk
  if (p.total <= 0) {
    for (int64_t i = 0; i < g.groups * g.oc * g.c * 9; ++i) dw[i] = T(0);
    return;
  }
  // Partials capped at 64 MiB in all.
  const int64_t cap = imax(1, (int64_t{64} << 20) / int64_t(sizeof(T)) / zsize);
  // At least ~1024 tiles per chunk (at most 16 chunks): MNIST conv2's weight gradient (4608
  // tiles) on 2 threads took 4.3 ms with 16 chunks, 4.1 with 9 (>= 512 tiles) and 3.5 with 4;
  // ResNet 64->64 (6272 tiles): 9.8 ms with 12 chunks, 9.3 with 6. Fewer chunks also cap the
  // threads that can share the work, hence still up to 16 on large layers.
  const int64_t chunks = imax(1, imin(imin(p.total / 1024, 16), cap));
  WgScratch<T> z(chunks * zsize);
  // Unpacked GEMMs (few channels, see tiles_per_block): the operand with more channels is read
  // in place (one broadcast per value) and only the other one transposed.
  const bool unpacked = g.c * g.oc * p.tb < int64_t{64} * 64 * 64;
  const bool m_in_place = unpacked && g.c < g.oc, v_in_place = unpacked && !m_in_place;
  // Z is (C x OC) when V_k is the GEMM's A, (OC x C) when Mdy_k is.
  const bool z_transposed = unpacked ? v_in_place : g.c < g.oc;
  run_items<T>(g.groups * chunks, p.scratch, [&](int64_t it, T* s) {
    const int64_t grp = it / chunks, ch = it % chunks;
    const int64_t b0 = p.nblocks * ch / chunks, b1 = p.nblocks * (ch + 1) / chunks;
    T* zc = z.p + ch * zsize + grp * 16 * g.oc * g.c;
    for (int64_t blk = b0; blk < b1; ++blk) {
      const int64_t t0 = blk * p.tb, nt = imin(p.tb, p.total - t0);
      Segment* segs = p.segs(s);
      const int64_t nseg = make_segments(t0, nt, p.th, p.tw, segs);
      input_transform(g, x, grp, segs, nseg, nt, p.ld, p.v(s), p.stage(s), p.copies(s));
      grad_output_transform(g, dy, grp, segs, nseg, nt, p.ld, p.m(s), p.stage(s), p.copies(s));
      // V and M are (channel x tile); the GEMMs want them (tile x channel): K = tiles is the
      // contiguous dimension of both operands, which the GEMM would pack with scalar
      // transposes (18 % of the MNIST weight gradient, more than the multiplies).
      // Exception: when the GEMMs are small enough to run unpacked (few channels, see
      // tiles_per_block), the GEMM reads the operand with more channels (Mdy_k or V_k, row-major)
      // in place as its A, one broadcast per value, and only the other is transposed (MNIST
      // conv2's weight gradient, 1 thread: 6.15 ms transposing both, 5.6-5.9 reading V in
      // place, 5.4 reading Mdy in place; the same sums, bitwise).
      T* vt = p.vt(s);
      T* mt = p.mt(s);
      for (int k = 0; k < 16; ++k) {
        if (!v_in_place) transpose(p.v(s) + k * p.vk, p.ld, g.c, nt, vt + k * p.vtk, g.c);
        if (!m_in_place) transpose(p.m(s) + k * p.mk, p.ld, g.oc, nt, mt + k * p.mtk, g.oc);
      }
      // Z_k (OC x C) += Mdy_k (OC x nt) * V_k^T (nt x C), both now read along their rows. The
      // fewer channels go on the GEMM's M side (the operand it packs), the others on N (read in
      // place): Z is kept transposed (C x OC) when C < OC. MNIST conv2 (C = 32, OC = 64): packing
      // took 7 % of the weight gradient with OC on M.
      const T beta = blk == b0 ? T(0) : T(1);
      if (m_in_place)
        gemm_batched<T>(16, g.oc, g.c, nt, T(1), p.m(s), p.mk, p.ld, 1, vt, p.vtk, g.c, 1, beta,
                        zc, g.oc * g.c, g.c, 1);
      else if (v_in_place)
        gemm_batched<T>(16, g.c, g.oc, nt, T(1), p.v(s), p.vk, p.ld, 1, mt, p.mtk, g.oc, 1, beta,
                        zc, g.oc * g.c, g.oc, 1);
      else if (z_transposed)
        gemm_batched<T>(16, g.c, g.oc, nt, T(1), vt, p.vtk, 1, g.c, mt, p.mtk, g.oc, 1, beta, zc,
                        g.oc * g.c, g.oc, 1);
      else
        gemm_batched<T>(16, g.oc, g.c, nt, T(1), mt, p.mtk, 1, g.oc, vt, p.vtk, g.c, 1, beta, zc,
                        g.oc * g.c, g.c, 1);
    }
  });
  // Chunks in order, then dw = G^T Z G with G^T = [1 1/2 1/2 0; 0 1/2 -1/2 0; 0 1/2 1/2 1].
  const int64_t pairs = g.groups * g.oc * g.c;
  const int nthreads = omp_in_parallel() ? 1 : omp_get_max_threads();
#pragma omp parallel for num_threads(nthreads) schedule(static) if (pairs > 1024)
  for (int64_t pr = 0; pr < pairs; ++pr) {
    const int64_t grp = pr / (g.oc * g.c), oc = pr % (g.oc * g.c);  // oc = o * C + c
    const int64_t zt = oc % g.c * g.oc + oc / g.c;                     // c * OC + o
    T zk[4][4];
    for (int k = 0; k < 16; ++k) {
      const int64_t at = (grp * 16 + k) * g.oc * g.c + (z_transposed ? zt : oc);
      T acc = z.p[at];
      for (int64_t ch = 1; ch < chunks; ++ch) acc += z.p[ch * zsize + at];
      zk[k / 4][k % 4] = acc;
    }
    T q[3][4];  // G^T Z
    for (int s = 0; s < 4; ++s) {
      const T h = (zk[1][s] + zk[2][s]) * T(0.5);
      q[0][s] = zk[0][s] + h;
      q[1][s] = (zk[1][s] - zk[2][s]) * T(0.5);
      q[2][s] = h + zk[3][s];
    }
    T* out = dw + pr * 9;  // (grp * OC + o) * C + c == pr
    for (int i = 0; i < 3; ++i) {  // (G^T Z) G
      const T h = (q[i][1] + q[i][2]) * T(0.5);
      out[i * 3 + 0] = q[i][0] + h;
      out[i * 3 + 1] = (q[i][1] - q[i][2]) * T(0.5);
      out[i * 3 + 2] = h + q[i][3];
    }
  }
}

}  // namespace

// The bodies live in the anonymous namespace above (their lambdas capture its types).
template <class T>
void winograd_conv3x3(const WinogradGeom& g, const T* x, const T* u, const T* b, T* y) {
  forward_impl(g, x, u, b, y);
}

template <class T>
void winograd_conv3x3_backward_weight(const WinogradGeom& g, const T* x, const T* dy, T* dw) {
  weight_grad_impl(g, x, dy, dw);
}

template void winograd_conv3x3<float>(const WinogradGeom&, const float*, const float*,
                                      const float*, float*);
template void winograd_conv3x3<double>(const WinogradGeom&, const double*, const double*,
                                       const double*, double*);
template void winograd_conv3x3_backward_weight<float>(const WinogradGeom&, const float*,
                                                      const float*, float*);
template void winograd_conv3x3_backward_weight<double>(const WinogradGeom&, const double*,
                                                       const double*, double*);

}  // namespace PE_ISA_NS
}  // namespace pyengine
