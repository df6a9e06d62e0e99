"""Channels-last transposed convolution (Keras' Conv2DTranspose) on the NHWC conv kernels.

The transposed convolution of x is the input gradient that conv2d_nhwc(., w) sends back for
dy = x, so it runs on conv2d_nhwc's own kernels, NHWC in and out (no layout copies), with
Keras' kernel layout (kh, kw, filters, in_channels) as is: that is conv2d_nhwc's weight
(KH, KW, C, OC) for a convolution from `filters` channels to `in_channels`.

  forward    y  = conv2d_nhwc_backward_input(dy=x, w)        y (N, OH, OW, filters)
  backward   dx = conv2d_nhwc(g, w)                           (the conv forward)
             dw = conv2d_nhwc_backward_weight(x_conv=g, dy=x) (roles swapped)

pads = (top, bottom, left, right) are the padding of that convolution over the (OH, OW) output:
OH + top + bottom - dilation (kh - 1) - 1 must reach the last of x's rows with stride steps.
"""
import numpy as np

from ..autograd import Function
from .conv import _float_arrays


class ConvTranspose2dNHWC(Function):
    @staticmethod
    def forward(ctx, x, w, stride=(1, 1), pads=(0, 0, 0, 0), dilation=(1, 1), out_hw=(1, 1)):
        x, w = _float_arrays("conv_transpose2d_nhwc", x, w)
        # The conv input is read only for the weight gradient: here a shape carrier.
        carrier = np.empty((x.shape[0], *out_hw, w.shape[2]), x.dtype)
        y, _, _ = ctx.backend.conv2d_nhwc_backward(carrier, x, w, True, False, False, stride,
                                                   pads, dilation, 1)
        ctx.save_for_backward(x, w)
        ctx.params = (stride, pads, dilation)
        return y

    @staticmethod
    def backward(ctx, g):
        x, w = ctx.saved_tensors
        stride, pads, dilation = ctx.params
        need_x, need_w = (tuple(ctx.needs_input_grad) + (False, False))[:2]
        g = np.ascontiguousarray(g, dtype=x.dtype)
        gx = ctx.backend.conv2d_nhwc(g, w, None, stride, pads, dilation, 1) if need_x else None
        gw = ctx.backend.conv2d_nhwc_backward(g, x, w, False, True, False, stride, pads,
                                              dilation, 1)[1] if need_w else None
        ctx.grads_are_fresh = True
        return gx, gw


def conv_transpose2d_nhwc(x, weight, stride, pads, dilation, out_hw):
    """x (N, H, W, in), weight (kh, kw, filters, in) -> (N, OH, OW, filters), where
    conv2d_nhwc(y, weight, stride, pads, dilation) has x's shape. Arguments resolved ints (the
    Keras layer checks its configuration and computes out_hw and pads)."""
    op = "conv_transpose2d_nhwc"
    if x.ndim != 4 or weight.ndim != 4 or x.shape[3] != weight.shape[3]:
        raise ValueError(f"[{op}] expected x (N, H, W, C) and weight (kh, kw, filters, C), got "
                         f"{tuple(x.shape)} and {tuple(weight.shape)}")
    for i in range(2):
        k = dilation[i] * (weight.shape[i] - 1) + 1
        reach = (out_hw[i] + pads[2 * i] + pads[2 * i + 1] - k) // stride[i] + 1
        side = pads[2 * i:2 * i + 2]
        if reach != x.shape[1 + i] or min(side) < 0 or max(side) >= weight.shape[i]:
            raise ValueError(f"[{op}] output size {tuple(out_hw)} with pads {tuple(pads)} does "
                             f"not invert a convolution to {tuple(x.shape[1:3])}")
    return ConvTranspose2dNHWC.apply(x, weight, stride=tuple(stride), pads=tuple(pads),
                                     dilation=tuple(dilation), out_hw=tuple(out_hw))
