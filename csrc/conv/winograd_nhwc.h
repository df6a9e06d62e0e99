// Winograd F(2x2, 3x3) and F(4x4, 3x3) on channels-last buffers (the NHWC counterpart of
// winograd.h, same math; F(4x4) with Lavin and Gray's matrices, points 0, +-1, +-2, infinity).
//
// In NHWC the channels of a pixel are contiguous, so the transforms vectorise over channels and
// read x / write y in place: no staging copies (the NCHW tile loop stages short row pieces of
// every plane). A block of tiles (which may span images) runs
//   input transform   V[k][q][c]  = (B^T d_q B)[k]                  (tile q, channel c)
//   T*T GEMMs         M_k (tiles x OC) = V_k (tiles x C) * U_k (C x OC)
//   output transform  y[m x m pixels of tile q][o] = A^T M[.][q][o] A + b[o], activation
// (k over the T*T = 16 or 36 transformed positions, T = m + 2 the input tile of m x m outputs,
// m = 2 or 4), and the weight gradient is the adjoint: Z_k (C x OC) = sum over blocks V_k^T * (A dy_q A^T)_k,
// dw = G^T Z G. Both GEMM orientations read their operands with unit stride along M or N (V_k^T
// has unit stride along C), so neither needs the register transposes of the NCHW version.
//
// The input gradient is the same forward on dy with the rotated weights, channels swapped
// (winograd_nhwc_weights(..., backward = true)) and padding 2 - p (winograd_nhwc_geom).
// groups == 1 only (grouped and depthwise layers take the other kernels).
#pragma once
#include <cstdint>

#include "conv/conv2d_nhwc.h"

namespace pyengine {

// One channels-last Winograd problem: x (n, h, w, c) -> y (n, oh, ow, oc); output (i, j) sees
// input rows i - pt .. i - pt + 2 and columns j - pl .. j - pl + 2 (zero outside; pt, pl may be
// negative for the input gradient of a layer padded by more than 2). m: outputs per tile side,
// 2 or 4 (F(4x4) does 36 products per 16 outputs against F(2x2)'s 16 per 4; chosen by
// winograd_nhwc_geom from the output plane, see winograd_nhwc.cpp).
struct WinogradNhwcGeom {
  int64_t n, c, oc, h, w, oh, ow, pt, pl, m;
  int64_t tile() const { return m + 2; }
  // Values of the transformed weights u: (m + 2)^2 * c * oc.
  int64_t u_size() const { return tile() * tile() * c * oc; }
};

// Whether the forward (backward = false) / input gradient (true) / weight gradient of g should
// run through Winograd (thresholds measured in winograd_nhwc.cpp).
bool winograd_nhwc_fits(const ConvNhwcGeom& g, bool backward);
bool winograd_nhwc_fits_weight_grad(const ConvNhwcGeom& g);
WinogradNhwcGeom winograd_nhwc_geom(const ConvNhwcGeom& g, bool backward);

// u ((m+2)^2, ci, co) = G w G^T for each (c, o) of the Keras kernel w (3, 3, C, OC): ci = C,
// co = OC for the forward; for the input gradient ci = OC, co = C and w rotated by 180 degrees.
// wg: the problem winograd_nhwc_geom(g, backward) gave (its m, its u_size()).
template <class T>
void winograd_nhwc_weights(const ConvNhwcGeom& g, const WinogradNhwcGeom& wg, const T* w,
                           bool backward, T* u);

// y = Winograd convolution of x with transformed weights u ((m+2)^2, g.c, g.oc), plus bias b (or
// null), then act (act.on). Threads split blocks of tiles: thread count independent.
template <class T>
void winograd_nhwc_conv3x3(const WinogradNhwcGeom& g, const T* x, const T* u, const T* b,
                           ConvAct act, T* y);

// dw (3, 3, c, oc) (Keras layout, overwritten) = gradient w.r.t. the weights of the forward
// problem g. Fixed chunks of tiles summed in chunk order: thread count independent.
template <class T>
void winograd_nhwc_conv3x3_backward_weight(const WinogradNhwcGeom& g, const T* x, const T* dy,
                                           T* dw);

}  // namespace pyengine
