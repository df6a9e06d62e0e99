"""Channels-last (NHWC) convolution and pooling, Keras layouts, asymmetric padding.

conv2d_nhwc:  y[n, oh, ow, o] = b[o] + sum_{i, j, c in group(o)}
                  x_pad[n, oh*sh + i*dh, ow*sw + j*dw, c] * w[i, j, c - g0(o), o]
              x (N, H, W, C), w (KH, KW, C / groups, OC) (Keras' kernel layout), y (N, OH, OW, OC)
              OH = (H + top + bottom - dh (KH - 1) - 1) // sh + 1, likewise OW.
max / avg pool over (N, H, W, C) windows, padding counted as -inf (max) or excluded from the
divisor (avg, count_include_pad=False) or included as zeros (count_include_pad=True).

Backward, side by side with each forward: dx = conv_transpose(dy, w), dw = sum_n x (x) dy,
db = sum of dy over (N, OH, OW); pooling scatters dy to the argmax / spreads dy / divisor.
"""
import numpy as np

from ..autograd import Function
from .shape_errors import InputTooSmallError
from .conv import _float_arrays, _pair


def _pads(padding, op):
    """int, (ph, pw) or ((top, bottom), (left, right)) -> (top, bottom, left, right)."""
    if type(padding) is int and padding >= 0:  # the common form, without the general checks
        return (padding,) * 4
    if isinstance(padding, (int, np.integer)) and not isinstance(padding, bool):
        p = int(padding)
        t = (p, p, p, p)
    elif isinstance(padding, (tuple, list)) and len(padding) == 2 and all(
            isinstance(v, (tuple, list)) for v in padding):
        t = tuple(padding[0]) + tuple(padding[1])
        if len(t) != 4:
            t = None
    elif isinstance(padding, (tuple, list)) and len(padding) == 2:
        ph, pw = _pair(padding, "padding", op)
        t = (ph, ph, pw, pw)
    else:
        t = None
    if t is None or not all(isinstance(v, (int, np.integer)) and not isinstance(v, bool)
                            for v in t):
        raise ValueError(f"[{op}] padding must be an int, (ph, pw) or ((top, bottom), "
                         f"(left, right)), got {padding!r}")
    if min(t) < 0:
        raise ValueError(f"[{op}] padding must be non-negative, got {padding!r}")
    return tuple(int(v) for v in t)


def same_pads(size, k, s, d=1):
    """Keras / TensorFlow 'same' padding along one axis: (before, after), the odd one after."""
    out = -(-size // s)
    total = max((out - 1) * s + (k - 1) * d + 1 - size, 0)
    return total // 2, total - total // 2


def _resolve_pads(padding, hw, k, s, d, op):
    if isinstance(padding, str):
        if padding == "valid":
            return (0, 0, 0, 0)
        if padding == "same":
            return same_pads(hw[0], k[0], s[0], d[0]) + same_pads(hw[1], k[1], s[1], d[1])
        raise ValueError(f"[{op}] padding must be 'valid', 'same', an int, (ph, pw) or "
                         f"((top, bottom), (left, right)), got {padding!r}")
    return _pads(padding, op)


def _positive_pair(v, name, op):
    if type(v) is tuple and len(v) == 2 and type(v[0]) is int and type(v[1]) is int and \
            v[0] >= 1 and v[1] >= 1:  # the common form (a pair of Python ints; bool excluded)
        return v
    p = _pair(v, name, op)
    if min(p) < 1:
        raise ValueError(f"[{op}] {name} must be positive, got {v!r}")
    return p


def _out(n, k, s, before, after, d=1):
    span = n + before + after - d * (k - 1) - 1
    return span // s + 1 if span >= 0 else 0


class Conv2dNHWC(Function):
    """y = act(conv2d(x, w) + b) on NHWC input, Keras kernel layout, pads = (top, bottom, left,
    right); act None or a name from FUSED_ACTIVATIONS, applied in the kernel's epilogue."""

    @staticmethod
    def forward(ctx, x, w, b=None, stride=(1, 1), pads=(0, 0, 0, 0), dilation=(1, 1), groups=1,
                activation=None, act_p0=0.0):
        x, w, b = _float_arrays("conv2d_nhwc", x, w, b)
        y = ctx.backend.conv2d_nhwc(x, w, b, stride, pads, dilation, groups, activation, act_p0)
        ctx.save_for_backward(x, w, y if activation else None)
        ctx.params = (stride, pads, dilation, groups, b is not None, activation, act_p0)
        return y

    @staticmethod
    def backward(ctx, g):
        x, w, y = ctx.saved_tensors
        stride, pads, dilation, groups, has_bias, activation, act_p0 = ctx.params
        need_x, need_w, need_b = (tuple(ctx.needs_input_grad) + (False,))[:3]
        g = np.ascontiguousarray(g, dtype=x.dtype)
        gx, gw, gb = ctx.backend.conv2d_nhwc_backward(
            x, g, w, need_x, need_w, need_b and has_bias, stride, pads, dilation, groups, y,
            activation, act_p0)
        ctx.grads_are_fresh = True  # three new arrays
        return gx, gw, gb


# Activations the convolution kernels apply in their epilogue, with their parameter's default:
# those whose derivative follows from the output alone (the backward then needs no second array).
FUSED_ACTIVATIONS = {"relu": 0.0, "leaky_relu": 0.01, "elu": 1.0, "sigmoid": 0.0, "tanh": 0.0}


def fused_activation(activation, param, op):
    """(name or None, kernel parameter) for an activation= argument, checked."""
    if activation is None:
        if param is not None:
            raise ValueError(f"[{op}] activation_param={param!r} needs an activation")
        return None, 0.0
    if activation not in FUSED_ACTIVATIONS:
        raise ValueError(f"[{op}] activation must be None or one of {sorted(FUSED_ACTIVATIONS)} "
                         f"(whose derivative follows from the output), got {activation!r}; apply "
                         f"other activations after the convolution")
    p = FUSED_ACTIVATIONS[activation] if param is None else float(param)
    if p < 0:
        raise ValueError(f"[{op}] activation_param of {activation} must be >= 0 to be fused, "
                         f"got {p}")
    return activation, p


def conv2d_nhwc(x, weight, bias=None, stride=(1, 1), padding=((0, 0), (0, 0)), dilation=(1, 1),
                groups=1, activation=None, activation_param=None):
    """2-D convolution over channels-last input, Keras' kernel layout.

    x (N, H, W, C), weight (KH, KW, C / groups, OC), bias (OC,) or None -> (N, OH, OW, OC),
    OH = (H + top + bottom - dh (KH - 1) - 1) // sh + 1. padding: ((top, bottom), (left, right)),
    (ph, pw), an int, 'valid', or 'same' (Keras: the odd pixel at the bottom / right).
    activation: None or 'relu', 'leaky_relu' (activation_param = slope, default 0.01), 'elu'
    (alpha, default 1), 'sigmoid', 'tanh', applied in the same kernel pass (conv + bias +
    activation as one op; the same values as the unfused composition).

    >>> F.conv2d_nhwc(pe.randn(2, 8, 8, 3), pe.randn(3, 3, 3, 4), padding="same").shape
    (2, 8, 8, 4)
    """
    op = "conv2d_nhwc"
    if x.ndim != 4:
        raise ValueError(f"[{op}] input must be 4-D (N, H, W, C), got shape {tuple(x.shape)}")
    if weight.ndim != 4:
        raise ValueError(f"[{op}] weight must be 4-D (KH, KW, C / groups, OC), got shape "
                         f"{tuple(weight.shape)}")
    if not isinstance(groups, (int, np.integer)) or isinstance(groups, bool) or groups < 1:
        raise ValueError(f"[{op}] groups must be a positive int, got {groups!r}")
    kh, kw, cg, oc = weight.shape
    if x.shape[3] != cg * groups:
        raise ValueError(f"[{op}] input has {x.shape[3]} channels but weight {tuple(weight.shape)} "
                         f"with groups={groups} expects {cg * groups}")
    if oc % groups:
        raise ValueError(f"[{op}] out channels {oc} not divisible by groups={groups}")
    if bias is not None and tuple(bias.shape) != (oc,):
        raise ValueError(f"[{op}] bias has shape {tuple(bias.shape)}, expected ({oc},)")
    s = _positive_pair(stride, "stride", op)
    d = _positive_pair(dilation, "dilation", op)
    pads = _resolve_pads(padding, x.shape[1:3], (kh, kw), s, d, op)
    if kh < 1 or kw < 1:
        raise ValueError(f"[{op}] kernel must be at least 1x1, got weight {tuple(weight.shape)}")
    if (_out(x.shape[1], kh, s[0], pads[0], pads[1], d[0]) < 1
            or _out(x.shape[2], kw, s[1], pads[2], pads[3], d[1]) < 1):
        raise InputTooSmallError(f"[{op}] kernel {kh}x{kw} (dilation {d}) larger than the "
                                 f"padded input {tuple(x.shape)} with padding {pads}")
    act, p0 = fused_activation(activation, activation_param, op)
    return Conv2dNHWC.apply(x, weight, bias, stride=s, pads=pads, dilation=d, groups=int(groups),
                            activation=act, act_p0=p0)


def _indexable(x_shape, kernel, stride, pads):
    """2x2 windows at stride 2, all inside the input (Keras' MaxPooling2D(2)): the kernels can
    record each window's winner (one uint8 per output)."""
    if tuple(kernel) != (2, 2) or tuple(stride) != (2, 2) or pads[0] or pads[2]:
        return False
    return (2 * _out(x_shape[1], 2, 2, pads[0], pads[1]) <= x_shape[1]
            and 2 * _out(x_shape[2], 2, 2, pads[2], pads[3]) <= x_shape[2])


class MaxPool2dNHWC(Function):
    @staticmethod
    def forward(ctx, x, kernel=(2, 2), stride=(2, 2), pads=(0, 0, 0, 0)):
        x = _float_arrays("max_pool2d_nhwc", x)[0]
        ctx.params = (kernel, stride, pads)
        if _indexable(x.shape, kernel, stride, pads) and x.size:
            # One uint8 per output says which pixel won: the backward reads it instead of x
            # (MNIST pool1: 0.7 MB instead of 11 MB).
            y, index = ctx.backend.max_pool2d_nhwc_indexed(x, pads)
            ctx.index = (index, x.shape, x.dtype)
            return y
        # Other windows: the backward finds each window's argmax again from x (kept alive by
        # the graph anyway).
        ctx.index = None
        ctx.save_for_backward(x)
        return ctx.backend.max_pool2d_nhwc(x, kernel, stride, pads)

    @staticmethod
    def backward(ctx, g):
        ctx.grads_are_fresh = True
        if ctx.index is not None:
            index, shape, dtype = ctx.index
            return ctx.backend.max_pool2d_nhwc_backward_index(index, g, shape, dtype,
                                                              ctx.params[2])
        (x,) = ctx.saved_tensors
        return ctx.backend.max_pool2d_nhwc_backward(x, g, *ctx.params)


class AvgPool2dNHWC(Function):
    @staticmethod
    def forward(ctx, x, kernel=(2, 2), stride=(2, 2), pads=(0, 0, 0, 0), count_include_pad=False):
        x = _float_arrays("avg_pool2d_nhwc", x)[0]
        args = (kernel, stride, pads, count_include_pad)
        y = ctx.backend.avg_pool2d_nhwc(x, *args)
        ctx.params = (x.shape, x.dtype, args)
        return y

    @staticmethod
    def backward(ctx, g):
        shape, dtype, args = ctx.params
        ctx.grads_are_fresh = True
        return ctx.backend.avg_pool2d_nhwc_backward(g, shape, dtype, *args)


def _pool_args(op, x, kernel, stride, padding):
    if x.ndim != 4:
        raise ValueError(f"[{op}] input must be 4-D (N, H, W, C), got shape {tuple(x.shape)}")
    k = _positive_pair(kernel, "kernel", op)
    s = k if stride is None else _positive_pair(stride, "stride", op)
    pads = _resolve_pads(padding, x.shape[1:3], k, s, (1, 1), op)
    if pads[0] >= k[0] or pads[1] >= k[0] or pads[2] >= k[1] or pads[3] >= k[1]:
        raise ValueError(f"[{op}] padding {pads} must be smaller than the kernel {k} on each side")
    if _out(x.shape[1], k[0], s[0], pads[0], pads[1]) < 1 or \
            _out(x.shape[2], k[1], s[1], pads[2], pads[3]) < 1:
        raise InputTooSmallError(f"[{op}] kernel {k} larger than the padded input "
                                 f"{tuple(x.shape)} with padding {pads}")
    return k, s, pads


def max_pool2d_nhwc(x, kernel=(2, 2), stride=None, padding=((0, 0), (0, 0))):
    """Max over (KH, KW) windows of (N, H, W, C) input per channel; padding counts as -inf;
    stride defaults to the kernel. padding as conv2d_nhwc ('valid' / 'same' too).

    >>> F.max_pool2d_nhwc(pe.randn(1, 4, 4, 2), (2, 2)).shape
    (1, 2, 2, 2)
    """
    k, s, pads = _pool_args("max_pool2d_nhwc", x, kernel, stride, padding)
    return MaxPool2dNHWC.apply(x, kernel=k, stride=s, pads=pads)


def avg_pool2d_nhwc(x, kernel=(2, 2), stride=None, padding=((0, 0), (0, 0)),
                    count_include_pad=False):
    """Mean over (KH, KW) windows of (N, H, W, C) input per channel. The divisor counts only
    input pixels (Keras) unless count_include_pad, which counts the zero padding too.

    >>> F.avg_pool2d_nhwc(pe.randn(1, 4, 4, 2), (2, 2)).shape
    (1, 2, 2, 2)
    """
    k, s, pads = _pool_args("avg_pool2d_nhwc", x, kernel, stride, padding)
    return AvgPool2dNHWC.apply(x, kernel=k, stride=s, pads=pads,
                               count_include_pad=bool(count_include_pad))
