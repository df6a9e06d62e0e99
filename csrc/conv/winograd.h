// Winograd F(2x2, 3x3) convolution: 3x3 kernel, stride 1, dilation 1 (Lavin & Gray, 2016).
//
// Each 2x2 block of outputs ("tile") is computed from the 4x4 input patch under it as
//   Y = A^T [ (G g G^T) .* (B^T d B) ] A
// which takes 16 multiplies per (tile, input channel, output channel) instead of 36. Summed over
// the input channels, the 16 elementwise products become 16 GEMMs:
//   M_k (OC x tiles) = U_k (OC x C) * V_k (C x tiles),  k = 0..15,
// with U = G g G^T the transformed weights (once per call) and V = B^T d B the transformed input
// tiles. Tiles are taken a block at a time (transform -> 16 GEMMs -> output transform) so the
// block's V and M stay in L2. Edge tiles read zeros outside the input and drop outputs outside
// the output plane, so any padding and any H, W work.
//
// The weight gradient is the adjoint: dw = G^T [ sum over tiles (A dy_t A^T) .* (B^T x_t B) ] G,
// again 16 GEMMs per block (winograd_conv3x3_backward_weight).
//
// The same kernel computes the gradient w.r.t. the input of a 3x3 stride-1 convolution: dx is the
// full correlation of dy with the weights rotated by 180 degrees and with in/out channels swapped,
// i.e. a convolution with padding 2 - p (winograd_weights(..., backward = true) builds its U).
//
// Floating point: the transforms add and subtract up to 9 values per element (and halve them in
// G), so results differ from the direct sum by a few units in the last place of the largest
// intermediate (measured: ~1e-15 of the largest output in float64, 2e-7 to 2e-6 in float32);
// tests use the same tolerances as im2col, 1e-10 (float64) and 1e-4 (float32) (docs/conv.md).
#pragma once
#include <cstdint>

#include "conv/conv2d.h"

namespace pyengine {

// One Winograd convolution, per group: x (n, groups * c, h, w) -> y (n, groups * oc, oh, ow);
// output (i, j) sees input rows i - ph .. i - ph + 2 and columns j - pw .. j - pw + 2 (zero
// outside the plane). ph, pw may be negative (backward with padding > 2).
struct WinogradGeom {
  int64_t n, groups, c, oc;  // c, oc: channels per group
  int64_t h, w, oh, ow;
  int64_t ph, pw;
};

// Whether conv2d's forward (backward = false) or input gradient (backward = true) can and should
// run through Winograd for geometry g (reasons and measurements in conv2d.cpp).
bool winograd_fits(const Conv2dGeom& g, bool backward);
// The same for conv2d's weight gradient.
bool winograd_fits_weight_grad(const Conv2dGeom& g);

// The Winograd problem that computes conv2d's forward or input gradient for g.
WinogradGeom winograd_geom(const Conv2dGeom& g, bool backward);

// Number of elements of the transformed weights for g: groups * 16 * c * oc.
inline int64_t winograd_weights_size(const Conv2dGeom& g) { return g.oc * g.cg() * 16; }

// u[grp][k][c'][o'] = (G g G^T)[k] for the forward (o' = output channel, c' = input channel), or
// for the rotated, transposed weights of the input gradient (o' = input channel, c' = output).
template <class T>
void winograd_weights(const Conv2dGeom& g, const T* w, bool backward, T* u);

// y = Winograd convolution of x with transformed weights u, plus bias b (per output channel, or
// null). Dispatched on the active ISA; threads split blocks of tiles, so results do not depend on
// the thread count.
template <class T>
void winograd_conv3x3(const WinogradGeom& g, const T* x, const T* u, const T* b, T* y);

// dw (groups * oc, c, 3, 3) = gradient w.r.t. the weights of the forward Winograd problem g
// (x its input, dy its output gradient), overwritten. Threads split fixed chunks of tiles whose
// partial sums are added in chunk order, so results do not depend on the thread count.
template <class T>
void winograd_conv3x3_backward_weight(const WinogradGeom& g, const T* x, const T* dy, T* dw);

}  // namespace pyengine
