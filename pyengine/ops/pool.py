"""Pooling (NCHW) on the backend's kernels (csrc/conv on the CPU): max, average and adaptive average.

max:  y = max over the window, argmax kept; backward scatters dy to the argmax.
avg:  y = sum over the window / divisor; backward spreads dy / divisor over the window.
Window rules (padding, ceil_mode, count_include_pad, divisor_override) follow PyTorch.
"""
import numpy as np

from ..autograd import Function
from .conv import _pair


def _float(x):
    return np.ascontiguousarray(x, dtype=x.dtype if x.dtype in (np.float32, np.float64)
                                else np.float32)


def _out(n, k, s, p, d, ceil):
    if s < 1:
        return 1  # the kernel raises the precise error
    num = n + 2 * p - d * (k - 1) - 1 + (s - 1 if ceil else 0)
    out = num // s + 1 if num >= 0 else 0
    if ceil and out > 0 and (out - 1) * s >= n + p:
        out -= 1
    return max(out, 0)


def _out_shape(x, k, s, p, d, ceil):
    if x.ndim != 4:
        return (1, 1, 1, 1)  # the kernel raises the precise error
    return (x.shape[0], x.shape[1], _out(x.shape[2], k[0], s[0], p[0], d[0], ceil),
            _out(x.shape[3], k[1], s[1], p[1], d[1], ceil))


class MaxPool2d(Function):
    @staticmethod
    def forward(ctx, x, kernel=(2, 2), stride=(2, 2), padding=(0, 0), dilation=(1, 1),
                ceil_mode=False, indices_out=None):
        """indices_out: a list that receives the argmax array (return_indices=True)."""
        x = _float(x)
        shape = _out_shape(x, kernel, stride, padding, dilation, ceil_mode)
        # Indices only when a gradient will be needed or they are asked for (like PyTorch's
        # no-grad fast path); one kernel pass gives both.
        want_idx = bool(ctx.needs_input_grad) or indices_out is not None
        y, idx = ctx.backend.max_pool2d(x, shape, want_idx, kernel, stride, padding, dilation,
                                        ceil_mode)
        if indices_out is not None:
            indices_out.append(idx)
        ctx.save_for_backward(idx)
        ctx.params = (x.shape, x.dtype)
        return y

    @staticmethod
    def backward(ctx, g):
        (idx,) = ctx.saved_tensors
        shape, dtype = ctx.params
        return ctx.backend.max_pool2d_backward(g, idx, shape, dtype)


class AvgPool2d(Function):
    @staticmethod
    def forward(ctx, x, kernel=(2, 2), stride=(2, 2), padding=(0, 0), ceil_mode=False,
                count_include_pad=True, divisor=0):
        x = _float(x)
        args = (*kernel, *stride, *padding, ceil_mode, count_include_pad, divisor)
        y = ctx.backend.avg_pool2d(
            x, _out_shape(x, kernel, stride, padding, (1, 1), ceil_mode), args)
        ctx.params = (x.shape, x.dtype, args)
        return y

    @staticmethod
    def backward(ctx, g):
        shape, dtype, args = ctx.params
        return ctx.backend.avg_pool2d_backward(g, shape, dtype, args)


class AdaptiveAvgPool2d(Function):
    @staticmethod
    def forward(ctx, x, output_size=(1, 1)):
        x = _float(x)
        if x.ndim != 4:
            raise ValueError(f"[adaptive_avg_pool2d] input must be 3-D or 4-D, got shape {x.shape}")
        y = ctx.backend.adaptive_avg_pool2d(x, output_size)
        ctx.params = (x.shape, x.dtype)
        return y

    @staticmethod
    def backward(ctx, g):
        shape, dtype = ctx.params
        return ctx.backend.adaptive_avg_pool2d_backward(g, shape, dtype)


def _batched(op, input, fn):
    """Runs fn on a 4-D input; a 3-D (C, H, W) input gets a batch axis added and removed."""
    if input.ndim not in (3, 4):
        raise ValueError(f"[{op}] input must be 3-D (C, H, W) or 4-D (N, C, H, W), got shape "
                         f"{tuple(input.shape)}")
    if input.ndim == 4:
        return fn(input)
    out = fn(input.unsqueeze(0))
    return tuple(o.squeeze(0) for o in out) if isinstance(out, tuple) else out.squeeze(0)


def _window(op, kernel_size, stride, padding, dilation=1):
    k = _pair(kernel_size, "kernel_size", op)
    s = k if stride is None or (isinstance(stride, (tuple, list)) and len(stride) == 0) \
        else _pair(stride, "stride", op)
    return k, s, _pair(padding, "padding", op), _pair(dilation, "dilation", op)


def max_pool2d(input, kernel_size, stride=None, padding=0, dilation=1, ceil_mode=False,
               return_indices=False):
    """Max over kernel_size windows (stride defaults to kernel_size; padding counts as -inf).
    return_indices=True also returns the argmax as h * W + w within each plane (int64).

    >>> F.max_pool2d(pe.randn(1, 2, 4, 4), 2).shape
    (1, 2, 2, 2)
    """
    k, s, p, d = _window("max_pool2d", kernel_size, stride, padding, dilation)

    def run(x):
        idx = [] if return_indices else None
        y = MaxPool2d.apply(x, kernel=k, stride=s, padding=p, dilation=d, ceil_mode=bool(ceil_mode),
                            indices_out=idx)
        if not return_indices:
            return y
        from ..tensor import Tensor
        return y, Tensor._wrap(idx[0], x.device)

    return _batched("max_pool2d", input, run)


def avg_pool2d(input, kernel_size, stride=None, padding=0, ceil_mode=False,
               count_include_pad=True, divisor_override=None):
    """Mean over kernel_size windows (stride defaults to kernel_size). count_include_pad counts
    zero padding in the divisor; divisor_override replaces the divisor.

    >>> F.avg_pool2d(pe.randn(1, 2, 4, 4), 2).shape
    (1, 2, 2, 2)
    """
    k, s, p, _ = _window("avg_pool2d", kernel_size, stride, padding)
    if divisor_override is not None and (not isinstance(divisor_override, (int, np.integer))
                                         or divisor_override < 1):
        raise ValueError(f"[avg_pool2d] divisor_override must be a positive int, got "
                         f"{divisor_override!r}")
    return _batched("avg_pool2d", input, lambda x: AvgPool2d.apply(
        x, kernel=k, stride=s, padding=p, ceil_mode=bool(ceil_mode),
        count_include_pad=bool(count_include_pad), divisor=int(divisor_override or 0)))


def adaptive_avg_pool2d(input, output_size):
    """Average over adaptive bins: output bin i covers [floor(i H / OH), ceil((i + 1) H / OH)).
    output_size: int or pair; None in the pair keeps that input size.

    >>> F.adaptive_avg_pool2d(pe.randn(2, 8, 7, 7), 1).shape
    (2, 8, 1, 1)
    """
    op = "adaptive_avg_pool2d"
    size = adaptive_size(op, output_size, input.shape)
    return _batched(op, input, lambda x: AdaptiveAvgPool2d.apply(x, output_size=size))


def adaptive_size(op, output_size, shape):
    """An adaptive pool's (OH, OW) from an int or a pair (None keeps that input size), checked:
    positive ints (bools are not sizes)."""
    size = tuple(output_size) if isinstance(output_size, (tuple, list)) else (output_size,) * 2
    if len(size) != 2:
        raise ValueError(f"[{op}] output_size must be an int or a pair, got {output_size!r}")
    size = tuple(shape[-2 + i] if v is None else v for i, v in enumerate(size))
    if not all(isinstance(v, (int, np.integer)) and not isinstance(v, bool) and v >= 1
               for v in size):
        raise ValueError(f"[{op}] output_size must be positive ints (or None), got "
                         f"{output_size!r}")
    return int(size[0]), int(size[1])
