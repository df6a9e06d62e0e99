// The forward of a one-input-channel convolution (groups 1: a network's grayscale first layer,
// DCGAN's 1 -> 32 4x4 stride 2) with many output channels per pass. Part of the direct-kernel
// translation unit: conv_direct_impl.h includes this file after its helpers (lane vectors,
// phase_planes, store_rows, Scratch).
//
// Why: every output channel reads the same input plane, so one vector of an input row (kLanes
// output columns at one tap) feeds kOneChannelBlock output channels' sums: one load for O FMAs
// whose weights are broadcast from memory. correlate_plane (one output channel, 4 rows in
// registers) needs a load per FMA, and the small-K im2col + GEMM path spent 30 % of its time
// gathering the stride-2 columns (DCGAN's conv1, 2 threads: 0.123 ms, 46 % of the FMA peak).
// Each sum adds its taps in (kh, kw) order after the bias, as correlate_plane does.
#pragma once

namespace pyengine {
namespace PE_ISA_NS {
namespace {

// Output channels per pass: sums in registers next to the input vector. A lane vector is one
// zmm (float) or two (double) on AVX-512; on AVX2 and SSE2 it spans 2-8 registers of 16.
#if defined(__AVX512F__)
template <class T> constexpr int kOneChannelBlock = sizeof(T) == 4 ? 16 : 8;
#elif defined(__AVX2__)
template <class T> constexpr int kOneChannelBlock = sizeof(T) == 4 ? 6 : 3;
#else
template <class T> constexpr int kOneChannelBlock = sizeof(T) == 4 ? 3 : 1;
#endif

// O output planes (oh, ow), `OHW` apart, from the column phase planes of one padded input
// (rows ld apart, phases `plane` apart); k packed as (tap, channel), init[o] the biases. A plane
// is written in ascending (row, column block) order, so a block that runs past its row may be
// stored whole (its extra lanes land on the next row's first columns, written after it); only
// the plane's last values are stored masked.
// Tap t = (i, j) reads in + toff[t] + (output row) * sh * ld + (column block).
template <class T, int O>
void correlate_one_channel(const T* in, const Conv2dGeom& g, int64_t ld, const int64_t* toff,
                           const T* k, const T* init, T* out, int64_t OHW) {
  using V = typename LanesOf<T>::type;
  const int64_t KK = g.kh * g.kw;
  for (int64_t oh = 0; oh < g.oh; ++oh)
    for (int64_t c0 = 0; c0 < g.ow; c0 += kLanes) {
      V acc[O];
#pragma GCC unroll 16
      for (int o = 0; o < O; ++o) acc[o] = V{} + init[o];
      const T* base = in + oh * g.sh * ld + c0;
      for (int64_t t = 0; t < KK; ++t) {
        const V v = load_lanes(base + toff[t]);
        const T* kt = k + t * O;
#pragma GCC unroll 16
        for (int o = 0; o < O; ++o) acc[o] += kt[o] * v;
      }
      const int64_t pos = oh * g.ow + c0;
      for (int o = 0; o < O; ++o) {
        T* dst = out + o * OHW + pos;
        if (pos + kLanes <= OHW) {
          std::memcpy(dst, &acc[o], sizeof acc[o]);
        } else {
          store_lanes_partial(dst, acc[o], OHW - pos);
        }
      }
    }
}

// Threads take whole images; per image the padded input is split into column phases once, then
// each block of O output channels runs over it (a channel block past oc computes with zero
// weights and stores nothing).
template <class T>
void direct_forward_one_channel(const Conv2dGeom& g, const T* x, const T* w, const T* b, T* y) {
  constexpr int O = kOneChannelBlock<T>;
  const int64_t PH = g.h + 2 * g.ph, PW = g.w + 2 * g.pw, sw = g.sw, KK = g.kh * g.kw;
  const int64_t ld = (PW + sw - 1) / sw, plane = PH * ld, OHW = g.oh * g.ow;
  const int64_t blocks = (g.oc + O - 1) / O;
  // The last row's block reads up to kLanes past the plane's end: zeros.
  const int64_t padn = sw * plane + kLanes;
  // Weights (block, tap, channel) and biases (block, channel), zero past oc.
  Scratch<T> kpack(blocks * KK * O), init(blocks * O);
  Scratch<int64_t> toff(KK);
  for (int64_t t = 0; t < KK; ++t) {
    const int64_t i = t / g.kw, j = t % g.kw;
    toff.p[t] = i * g.dh * ld + (j * g.dw) % sw * plane + (j * g.dw) / sw;
  }
  for (int64_t q = 0; q < blocks * O; ++q) {
    init.p[q] = b && q < g.oc ? b[q] : T(0);  // q: the output channel
    for (int64_t t = 0; t < KK; ++t)
      kpack.p[(q / O * KK + t) * O + q % O] = q < g.oc ? w[q * KK + t] : T(0);
  }
  RegionAlloc alloc;
#pragma omp parallel num_threads(threads_for(g.n))
  {
    Scratch<T> pad(padn, &alloc), part(g.oc % O ? O * OHW : 0, &alloc);
    for (int64_t q = sw * plane; pad.p && q < padn; ++q) pad.p[q] = T(0);
#pragma omp for schedule(static)
    for (int64_t n = 0; n < g.n; ++n) {
      if (!pad.p || !part.p) continue;
      phase_planes(x + n * g.h * g.w, pad.p, 1, g.h, g.w, g.ph, g.pw, sw, ld);
      for (int64_t blk = 0; blk < blocks; ++blk) {
        T* yb = y + (n * g.oc + blk * O) * OHW;
        const T* kb = kpack.p + blk * KK * O;
        if (blk * O + O <= g.oc) {
          correlate_one_channel<T, O>(pad.p, g, ld, toff.p, kb, init.p + blk * O, yb, OHW);
        } else {  // the last, partial block: through a scratch of O planes
          correlate_one_channel<T, O>(pad.p, g, ld, toff.p, kb, init.p + blk * O, part.p, OHW);
          std::memcpy(yb, part.p, sizeof(T) * (g.oc - blk * O) * OHW);
        }
      }
    }
  }
  alloc.rethrow("conv2d");
}

}  // namespace
}  // namespace PE_ISA_NS
}  // namespace pyengine
