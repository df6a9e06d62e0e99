"""Convolution (NCHW) on the backend's kernels (csrc/conv on the CPU): conv2d, and conv1d as a conv2d of height 1.

y[n, o] = b[o] + sum_{c in group(o), i, j} w[o, c, i, j] * x_pad[n, c, oh*sh + i*dh, ow*sw + j*dw]

Backward, side by side with forward below: dx = conv_transpose(dy, w), dw = sum_n dy (x) x,
db = sum of dy over (N, H, W); one kernel call computes those that some input needs.
"""
import numpy as np

from .. import autograd as _ag
from ..autograd import Function
from .shape_errors import ShapeError


def _pair(v, name, op):
    if type(v) is int:  # the usual call (bool, a subclass, takes the checked path below)
        return v, v
    t = tuple(v) if isinstance(v, (tuple, list)) else (v, v)
    if len(t) != 2 or not all(isinstance(i, (int, np.integer)) and not isinstance(i, bool) for i in t):
        raise ValueError(f"[{op}] {name} must be an int or a pair of ints, got {v!r}")
    return int(t[0]), int(t[1])


_F32 = np.dtype(np.float32)


def _float_arrays(op, *arrays):
    """Common float dtype (float32 unless an input is float64), C-contiguous."""
    for a in arrays:
        if a is not None and (a.dtype is not _F32 or not a.flags.c_contiguous):
            break
    else:
        return arrays  # already what the kernels take (the usual case): no checks more
    kinds = [a.dtype for a in arrays if a is not None]
    dtype = np.float64 if any(k == np.float64 for k in kinds) else np.float32
    return [None if a is None else np.ascontiguousarray(a, dtype=dtype) for a in arrays]


def _out_size(n, k, s, p, d):
    if s < 1:
        return 1  # the kernel raises the precise error
    return (n + 2 * p - d * (k - 1) - 1) // s + 1


class Conv2d(Function):
    """y = conv2d(x, w) + b with resolved ints; `extra` pads one more row/column at the bottom/right
    (padding='same' with an even dilated kernel, as PyTorch does)."""

    @staticmethod
    def forward(ctx, x, w, b=None, stride=(1, 1), padding=(0, 0), dilation=(1, 1), groups=1,
                extra=(0, 0), activation=None, act_p0=0.0):
        x, w, b = _float_arrays("conv2d", x, w, b)
        if x.ndim != 4:
            raise ValueError(f"[conv2d] input must be 3-D (C, H, W) or 4-D (N, C, H, W), got shape "
                             f"{x.shape}")
        if extra != (0, 0):
            x = np.pad(x, ((0, 0), (0, 0), (0, extra[0]), (0, extra[1])))
        args = (*stride, *padding, *dilation, groups)
        if w.ndim == 4 and x.shape[1] == w.shape[1] * groups and groups >= 1:
            oh = _out_size(x.shape[2], w.shape[2], stride[0], padding[0], dilation[0])
            ow = _out_size(x.shape[3], w.shape[3], stride[1], padding[1], dilation[1])
            out_shape = (x.shape[0], w.shape[0], max(oh, 0), max(ow, 0))
        else:
            if w.ndim == 4 and groups >= 1 and x.shape[1] % groups == 0 and \
                    w.shape[0] % groups == 0:
                # torch raises this one as a RuntimeError (a program's `except RuntimeError`
                # around a mis-sized layer): ShapeError is both
                raise ShapeError(f"[conv2d] input has {x.shape[1]} channels but weight expects "
                                 f"{w.shape[1] * groups} (weight {w.shape}, groups={groups})")
            out_shape = (1, 1, 1, 1)  # the kernel raises the precise error
        y = ctx.backend.conv2d(x, w, b, out_shape, args)
        if activation is not None:
            y = ctx.backend.activation(activation, y, act_p0)
        ctx.save_for_backward(x, w, y if activation is not None else None)
        ctx.params = (args, extra, b is not None, activation, act_p0)
        return y

    @staticmethod
    def backward(ctx, g):
        x, w, y = ctx.saved_tensors
        args, extra, has_bias, activation, act_p0 = ctx.params
        need_x, need_w, need_b = (tuple(ctx.needs_input_grad) + (False,))[:3]
        g = np.ascontiguousarray(g, dtype=x.dtype)
        if activation is not None:  # the pre-activation's gradient, act'(y) * g, from y alone
            g = ctx.backend.activation_backward(activation, y, y, g, act_p0)
        gx, gw, gb = ctx.backend.conv2d_backward(x, g, w, need_x, need_w, need_b and has_bias,
                                                 args)
        if gx is not None and extra != (0, 0):
            gx = gx[:, :, :gx.shape[2] - extra[0], :gx.shape[3] - extra[1]]
        ctx.grads_are_fresh = True  # three new arrays (gx may be a view of its own new array)
        return gx, gw, gb


def _resolve_padding(padding, kernel, stride, dilation, op):
    """PyTorch's padding forms -> (symmetric pad, extra bottom/right pad)."""
    if isinstance(padding, str):
        if padding == "valid":
            return (0, 0), (0, 0)
        if padding == "same":
            if stride != (1, 1):
                raise ValueError(f"[{op}] padding='same' is not supported for strided "
                                 f"convolutions, got stride={stride}")
            total = [d * (k - 1) for k, d in zip(kernel, dilation)]
            return (total[0] // 2, total[1] // 2), (total[0] % 2, total[1] % 2)
        raise ValueError(f"[{op}] padding must be 'valid', 'same', an int or a pair, got {padding!r}")
    return _pair(padding, "padding", op), (0, 0)


def _channels_last_output(out, input, weight):
    """torch's rule: a convolution whose input or weight is channels_last returns channels_last
    (the same values, laid out NHWC; see pyengine/memory_formats.py)."""
    from .. import memory_formats as _mf
    fmt = _mf.suggested(input._data, weight._data)
    if fmt is not _mf.contiguous_format and out.ndim == input.ndim:
        out._data = _mf.laid_out(out._data, fmt, "conv2d")


def conv2d(input, weight, bias=None, stride=1, padding=0, dilation=1, groups=1, activation=None,
           activation_param=None):
    """2-D convolution over an NCHW input (or unbatched CHW), PyTorch semantics.

    input (N, C, H, W), weight (OC, C / groups, kH, kW), bias (OC,) or None -> (N, OC, OH, OW) with
    OH = (H + 2 pad - dilation (kH - 1) - 1) // stride + 1. padding: int, pair, 'valid' or 'same'.
    activation (a pyengine extension): None or 'relu', 'leaky_relu' (activation_param = slope,
    default 0.01), 'elu' (alpha, default 1), 'sigmoid', 'tanh': act(conv + bias) as one op,
    the same values as F.relu(F.conv2d(...)) with one graph node and no intermediate kept.

    >>> x = pe.randn(1, 3, 8, 8); w = pe.randn(4, 3, 3, 3)
    >>> F.conv2d(x, w, padding=1).shape
    (1, 4, 8, 8)
    """
    if type(stride) is int and type(padding) is int and type(dilation) is int and \
            type(groups) is int and activation is None and activation_param is None and \
            stride > 0 and padding >= 0 and dilation > 0 and groups > 0:
        # The usual call (4-D tensors, int geometry, no activation): the same Function with the
        # argument parsing below already done (~2 us of a 6 us dispatch on a small conv).
        T = _ag.Tensor
        if isinstance(input, T) and isinstance(weight, T) and input.ndim == 4 and \
                weight.ndim == 4 and (bias is None or isinstance(bias, T)):
            params = {"stride": (stride, stride), "padding": (padding, padding),
                      "dilation": (dilation, dilation), "groups": groups}
            out = _ag.apply_tensors(Conv2d, (input, weight) if bias is None else
                                    (input, weight, bias), params)
            if not (input._data.flags.c_contiguous and weight._data.flags.c_contiguous):
                _channels_last_output(out, input, weight)
            return out
    op = "conv2d"
    if input.ndim not in (3, 4):
        raise ValueError(f"[{op}] input must be 3-D (C, H, W) or 4-D (N, C, H, W), got shape "
                         f"{tuple(input.shape)}")
    if weight.ndim != 4:
        raise ValueError(f"[{op}] weight must be 4-D (out_channels, in_channels / groups, kH, kW), "
                         f"got shape {tuple(weight.shape)}")
    if not isinstance(groups, (int, np.integer)) or isinstance(groups, bool) or groups < 1:
        raise ValueError(f"[{op}] groups must be a positive int, got {groups!r}")
    stride, dilation = _pair(stride, "stride", op), _pair(dilation, "dilation", op)
    if min(stride) < 1:
        raise ValueError(f"[{op}] stride must be positive, got {stride}")
    if min(dilation) < 1:
        raise ValueError(f"[{op}] dilation must be positive, got {dilation}")
    pad, extra = _resolve_padding(padding, tuple(weight.shape[2:]), stride, dilation, op)
    if activation is None and activation_param is None:
        act, p0 = None, 0.0  # the usual call: no import statement to run (~0.5 us)
    else:
        from .conv_nhwc import fused_activation  # (conv_nhwc imports this module)
        act, p0 = fused_activation(activation, activation_param, op)
    unbatched = input.ndim == 3
    if unbatched:
        input = input.unsqueeze(0)
    y = Conv2d.apply(input, weight, bias, stride=stride, padding=pad, dilation=dilation,
                     groups=int(groups), extra=extra, activation=act, act_p0=p0)
    if unbatched:
        return y.squeeze(0)
    if not (input._data.flags.c_contiguous and weight._data.flags.c_contiguous):
        _channels_last_output(y, input, weight)
    return y


def check_1d(op, input, weight, layout):
    """A 1-D convolution's operands, before they become a 2-D one of height 1."""
    if input.ndim not in (2, 3):
        raise ValueError(f"[{op}] input must be 2-D (C, L) or 3-D (N, C, L), got shape "
                         f"{tuple(input.shape)}")
    if weight.ndim != 3:
        raise ValueError(f"[{op}] weight must be 3-D {layout}, got shape {tuple(weight.shape)}")


def pair_1d(op, v, name, height):
    """An int or 1-tuple of a 1-D convolution as the (height, width) pair of its 2-D form."""
    t = tuple(v) if isinstance(v, (tuple, list)) else (v,)
    if len(t) != 1:
        raise ValueError(f"[{op}] {name} must be an int or a 1-tuple, got {v!r}")
    return (height, t[0])


def conv1d(input, weight, bias=None, stride=1, padding=0, dilation=1, groups=1):
    """1-D convolution over (N, C, L) (or unbatched (C, L)) with weight (OC, C / groups, K):
    a conv2d of height 1, so it shares conv2d's kernels, forward and backward.

    >>> F.conv1d(pe.randn(2, 3, 10), pe.randn(5, 3, 3)).shape
    (2, 5, 8)
    """
    op = "conv1d"
    check_1d(op, input, weight, "(out_channels, in_channels / groups, kW)")
    if not isinstance(padding, str):
        padding = pair_1d(op, padding, "padding", 0)
    y = conv2d(input.unsqueeze(-2), weight.unsqueeze(-2), bias, pair_1d(op, stride, "stride", 1),
               padding, pair_1d(op, dilation, "dilation", 1), groups)
    return y.squeeze(-2)
