"""Transposed convolution (NCHW), PyTorch semantics, on conv2d's own kernels (csrc/conv).

A transposed convolution is conv2d's input gradient: y = conv_transpose2d(x, w) is the dx that
conv2d(., w) would send back for dy = x. So forward, backward and every fast path come from the
kernels conv2d already has, nothing is written twice:

  forward    y  = conv2d_backward_input(dy=x, w) + b        (y has the "conv input" shape;
                                                             conv_transpose2d_forward)
  backward   dx = conv2d(g, w)                              (the conv forward)
             dw = conv2d_backward_weight(x_conv=g, dy=x)    (roles swapped)
             db = sum of g over (N, H, W)

Shapes: x (N, Cin, H, W), w (Cin, Cout / groups, kH, kW), bias (Cout,) ->
(N, Cout, OH, OW), OH = (H - 1) * stride - 2 * padding + dilation * (kH - 1) + output_padding + 1.
"""
import numpy as np

from ..autograd import Function
from .conv import _float_arrays, _pair, check_1d, pair_1d


class ConvTranspose2d(Function):
    @staticmethod
    def forward(ctx, x, w, b=None, stride=(1, 1), padding=(0, 0), output_padding=(0, 0),
                dilation=(1, 1), groups=1):
        x, w, b = _float_arrays("conv_transpose2d", x, w, b)
        n, cin, h, wd = x.shape
        cout = w.shape[1] * groups
        oh = (h - 1) * stride[0] - 2 * padding[0] + dilation[0] * (w.shape[2] - 1) + \
            output_padding[0] + 1
        ow = (wd - 1) * stride[1] - 2 * padding[1] + dilation[1] * (w.shape[3] - 1) + \
            output_padding[1] + 1
        args = (*stride, *padding, *dilation, groups)
        x = _zero_extend(x, oh, ow, w.shape[2:], args)
        y = ctx.backend.conv_transpose2d(x, w, b, (n, cout, oh, ow), args)
        ctx.save_for_backward(x, w)
        ctx.params = (args, b is not None, (h, wd))
        return y

    @staticmethod
    def backward(ctx, g):
        x, w = ctx.saved_tensors
        args, has_bias, (h, wd) = ctx.params
        need_x, need_w, need_b = (tuple(ctx.needs_input_grad) + (False,))[:3]
        g = np.ascontiguousarray(g, dtype=x.dtype)
        gx = gw = gb = None
        if need_x:
            gx = ctx.backend.conv2d(g, w, None, x.shape, args)
            if gx.shape[2:] != (h, wd):  # the zero rows / columns _zero_extend added
                gx = np.ascontiguousarray(gx[:, :, :h, :wd])
        if need_w:
            _, gw, _ = ctx.backend.conv2d_backward(g, x, w, False, True, False, args)
        if need_b and has_bias:
            gb = ctx.backend.conv2d_bias_grad(g)
        ctx.grads_are_fresh = True
        return gx, gw, gb


def _zero_extend(x, oh, ow, k, args):
    """x with zero rows / columns appended up to the size conv2d gives for an (oh, ow) input.
    With output_padding >= stride (allowed while it is below the dilation) that size exceeds
    x's by output_padding // stride: those conv outputs exist but no input pixel feeds them."""
    sh, sw, ph, pw, dh, dw, _ = args
    hc = (oh + 2 * ph - dh * (k[0] - 1) - 1) // sh + 1
    wc = (ow + 2 * pw - dw * (k[1] - 1) - 1) // sw + 1
    if (hc, wc) == x.shape[2:]:
        return x
    xz = np.zeros(x.shape[:2] + (hc, wc), x.dtype)
    xz[:, :, :x.shape[2], :x.shape[3]] = x
    return xz


def conv_transpose2d(input, weight, bias=None, stride=1, padding=0, output_padding=0, groups=1,
                     dilation=1):
    """2-D transposed convolution ("deconvolution") over NCHW input (or unbatched CHW).

    input (N, Cin, H, W), weight (Cin, Cout / groups, kH, kW), bias (Cout,) or None ->
    (N, Cout, (H - 1) * stride - 2 * padding + dilation * (kH - 1) + output_padding + 1, ...).
    output_padding must be smaller than stride or dilation (PyTorch's rule).

    >>> F.conv_transpose2d(pe.randn(1, 4, 5, 5), pe.randn(4, 2, 3, 3), stride=2).shape
    (1, 2, 11, 11)
    """
    op = "conv_transpose2d"
    if input.ndim not in (3, 4):
        raise ValueError(f"[{op}] input must be 3-D (C, H, W) or 4-D (N, C, H, W), got shape "
                         f"{tuple(input.shape)}")
    if weight.ndim != 4:
        raise ValueError(f"[{op}] weight must be 4-D (in_channels, out_channels / groups, kH, kW),"
                         f" got shape {tuple(weight.shape)}")
    if not isinstance(groups, (int, np.integer)) or isinstance(groups, bool) or groups < 1:
        raise ValueError(f"[{op}] groups must be a positive int, got {groups!r}")
    stride, dilation = _pair(stride, "stride", op), _pair(dilation, "dilation", op)
    padding, output_padding = _pair(padding, "padding", op), _pair(output_padding,
                                                                   "output_padding", op)
    if min(stride) < 1 or min(dilation) < 1:
        raise ValueError(f"[{op}] stride and dilation must be positive, got stride={stride}, "
                         f"dilation={dilation}")
    if min(padding) < 0 or min(output_padding) < 0:
        raise ValueError(f"[{op}] padding and output_padding must be non-negative, got "
                         f"padding={padding}, output_padding={output_padding}")
    for i in range(2):
        if output_padding[i] >= max(stride[i], dilation[i]):
            raise ValueError(f"[{op}] output_padding must be smaller than either stride or "
                             f"dilation, got output_padding={output_padding}, stride={stride}, "
                             f"dilation={dilation}")
    unbatched = input.ndim == 3
    if unbatched:
        input = input.unsqueeze(0)
    cin = input.shape[1]
    if weight.shape[0] != cin:
        raise ValueError(f"[{op}] input has {cin} channels but weight {tuple(weight.shape)} "
                         f"expects {weight.shape[0]} (weight is (in, out / groups, kH, kW))")
    if cin % groups:
        raise ValueError(f"[{op}] groups={groups} does not divide the {cin} input channels")
    if bias is not None and tuple(bias.shape) != (weight.shape[1] * groups,):
        raise ValueError(f"[{op}] bias must have shape ({weight.shape[1] * groups},), got "
                         f"{tuple(bias.shape)}")
    for i, name in ((0, "height"), (1, "width")):
        size = (input.shape[2 + i] - 1) * stride[i] - 2 * padding[i] + \
            dilation[i] * (weight.shape[2 + i] - 1) + output_padding[i] + 1
        if size < 1:
            raise ValueError(f"[{op}] output {name} would be {size} (input "
                             f"{tuple(input.shape)}, weight {tuple(weight.shape)}, "
                             f"stride={stride}, padding={padding})")
    y = ConvTranspose2d.apply(input, weight, bias, stride=stride, padding=padding,
                              output_padding=output_padding, dilation=dilation, groups=int(groups))
    return y.squeeze(0) if unbatched else y


def conv_transpose1d(input, weight, bias=None, stride=1, padding=0, output_padding=0, groups=1,
                     dilation=1):
    """1-D transposed convolution over (N, Cin, L) (or unbatched (Cin, L)), weight
    (Cin, Cout / groups, k): conv_transpose2d of height 1, so the same kernels forward and
    backward. L_out = (L - 1) stride - 2 padding + dilation (k - 1) + output_padding + 1.

    >>> F.conv_transpose1d(pe.randn(1, 4, 5), pe.randn(4, 2, 3), stride=2).shape
    (1, 2, 11)
    """
    op = "conv_transpose1d"
    check_1d(op, input, weight, "(in_channels, out_channels / groups, k)")
    y = conv_transpose2d(input.unsqueeze(-2), weight.unsqueeze(-2), bias,
                         pair_1d(op, stride, "stride", 1), pair_1d(op, padding, "padding", 0),
                         pair_1d(op, output_padding, "output_padding", 0), groups,
                         pair_1d(op, dilation, "dilation", 1))
    return y.squeeze(-2)
