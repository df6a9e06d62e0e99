"""3-D convolution and pooling composed from the 2-D kernels (no 3-D kernel of their own).

conv3d:  y[n, o, od, oh, ow] = b[o] + sum_{kd} conv2d(x_pad[n, :, od*sd + kd*dd], w[o, :, kd])
The kD depth slices each output depth reads are stacked along the channel axis, so one conv2d
call over (N * OD) images of kD * C channels (weight (O, kD * C / g, kH, kW)) does every depth
tap and the sum over them: the depth slicing, stacking and reshapes are autograd ops, and the
2-D kernel's backward gives dx (scattered back through the slices) and dw. Channels-last
(N, D, H, W, C) with Keras' kernel (kD, kH, kW, C / g, O) runs the same way on conv2d_nhwc.

Pooling is separable: a max (mean) over a kD x kH x kW box is the max (mean) over the depth
window of the 2-D pool of each depth slice; padding counts as -inf for max and, for the mean,
is included (count_include_pad=True) or excluded, whose divisor is also a product over axes.
Shapes: OD = (D + before + after - dd (kD - 1) - 1) // sd + 1, likewise OH, OW."""
import numpy as np

from .shape_errors import InputTooSmallError
from .conv import conv2d
from .conv_nhwc import avg_pool2d_nhwc, conv2d_nhwc, max_pool2d_nhwc, same_pads
from .pad import pad as _pad
from .pool import avg_pool2d, max_pool2d
from .shape import stack


def triple(v, name, op, low=1):
    t = tuple(v) if isinstance(v, (tuple, list)) else (v, v, v)
    if len(t) != 3 or not all(isinstance(i, (int, np.integer)) and not isinstance(i, bool)
                              for i in t) or min(t) < low:
        need = "positive" if low else "non-negative"
        raise ValueError(f"[{op}] {name} must be a {need} int or a triple of them, got {v!r}")
    return tuple(int(i) for i in t)


def resolve_pads(padding, sizes, kernel, stride, dilation, op, torch_same=True):
    """((before, after),) * 3 from an int, a triple, 'valid' or 'same' (torch_same: PyTorch's
    rule, stride 1 only; else Keras' rule, the odd pad after, any stride)."""
    if isinstance(padding, str):
        if padding == "valid":
            return ((0, 0),) * 3
        if padding != "same":
            raise ValueError(f"[{op}] padding must be 'valid', 'same', an int or a triple, got "
                             f"{padding!r}")
        if torch_same and stride != (1, 1, 1):
            raise ValueError(f"[{op}] padding='same' is not supported for strided "
                             f"convolutions, got stride={stride}")
        return tuple(same_pads(n, k, s, d) for n, k, s, d in zip(sizes, kernel, stride,
                                                                   dilation))
    return tuple((p, p) for p in triple(padding, "padding", op, low=0))


def out_size(n, k, s, pads, d=1):
    span = n + pads[0] + pads[1] - d * (k - 1) - 1
    return span // s + 1 if span >= 0 else 0


def depth_taps(x, axis, k, s, d, od):
    """The k strided slices of `x` along `axis`: tap kd holds depths kd*d + od*s, od < OD."""
    lead = (slice(None),) * axis
    return [x[lead + (slice(kd * d, kd * d + s * (od - 1) + 1, s),)] for kd in range(k)]


def _pad_depth(x, axis, pads, value=0.0):
    if pads == (0, 0):
        return x
    amounts = [0, 0] * (x.ndim - 1 - axis) + list(pads)
    return _pad(x, tuple(amounts), value=value)


def _check(op, x, w, groups, bias, channels_last):
    if x.ndim != 5:
        layout = "(N, D, H, W, C)" if channels_last else "(N, C, D, H, W)"
        raise ValueError(f"[{op}] input must be 5-D {layout}, got shape {tuple(x.shape)}")
    if w.ndim != 5:
        layout = "(kD, kH, kW, C / groups, O)" if channels_last else \
            "(O, C / groups, kD, kH, kW)"
        raise ValueError(f"[{op}] weight must be 5-D {layout}, got shape {tuple(w.shape)}")
    if not isinstance(groups, (int, np.integer)) or isinstance(groups, bool) or groups < 1:
        raise ValueError(f"[{op}] groups must be a positive int, got {groups!r}")
    c = x.shape[4] if channels_last else x.shape[1]
    cg, o = (w.shape[3], w.shape[4]) if channels_last else (w.shape[1], w.shape[0])
    if c != cg * groups or o % groups:
        raise ValueError(f"[{op}] input has {c} channels but weight {tuple(w.shape)} with "
                         f"groups={groups} expects {cg * groups} (and out channels divisible "
                         f"by groups)")
    if bias is not None and tuple(bias.shape) != (o,):
        raise ValueError(f"[{op}] bias has shape {tuple(bias.shape)}, expected ({o},)")


def conv3d(input, weight, bias=None, stride=1, padding=0, dilation=1, groups=1):
    """3-D convolution over (N, C, D, H, W) (or unbatched (C, D, H, W)), PyTorch semantics.

    weight (O, C / groups, kD, kH, kW), bias (O,) -> (N, O, OD, OH, OW). padding: int, triple,
    'valid' or 'same' (stride 1; an odd total pad puts the extra one after).

    >>> F.conv3d(pe.randn(1, 2, 5, 6, 6), pe.randn(4, 2, 3, 3, 3), padding=1).shape
    (1, 4, 5, 6, 6)
    """
    op = "conv3d"
    unbatched = input.ndim == 4
    if unbatched:
        input = input.unsqueeze(0)
    _check(op, input, weight, groups, bias, False)
    s, d = triple(stride, "stride", op), triple(dilation, "dilation", op)
    k = tuple(weight.shape[2:])
    pads = resolve_pads(padding, input.shape[2:], k, s, d, op)
    n, c = input.shape[:2]
    sizes = [out_size(input.shape[2 + i], k[i], s[i], pads[i], d[i]) for i in range(3)]
    if min(sizes) < 1 or min(k) < 1:
        raise InputTooSmallError(f"[{op}] kernel {k} (dilation {d}) larger than the padded input "
                                 f"{tuple(input.shape)} with padding {pads}")
    x = _pad_depth(input, 2, pads[0])
    hw = (pads[1][0], pads[2][0])
    if pads[1][0] != pads[1][1] or pads[2][0] != pads[2][1]:  # asymmetric: pad explicitly
        x = _pad(x, (pads[2][0], pads[2][1], pads[1][0], pads[1][1]))
        hw = (0, 0)
    od, g = sizes[0], int(groups)
    taps = stack(depth_taps(x, 2, k[0], s[0], d[0], od), 2)  # (N, C, kD, OD, H, W)
    h, w_ = taps.shape[4:]
    cols = taps.reshape(n, g, c // g, k[0], od, h, w_).permute(0, 4, 1, 3, 2, 5, 6)
    cols = cols.reshape(n * od, c * k[0], h, w_)
    o = weight.shape[0]
    w2 = weight.permute(0, 2, 1, 3, 4).reshape(o, k[0] * weight.shape[1], k[1], k[2])
    y = conv2d(cols, w2, bias, s[1:], hw, d[1:], g)  # (N * OD, O, OH, OW)
    y = y.reshape(n, od, o, y.shape[2], y.shape[3]).permute(0, 2, 1, 3, 4)
    return y.squeeze(0) if unbatched else y


def conv3d_ndhwc(x, weight, bias=None, stride=(1, 1, 1), padding="valid", dilation=(1, 1, 1),
                 groups=1):
    """Channels-last 3-D convolution, Keras' layout: x (N, D, H, W, C), weight
    (kD, kH, kW, C / groups, O) -> (N, OD, OH, OW, O). padding: 'valid', 'same' (Keras' rule:
    the odd pad after, any stride), an int or a triple."""
    op = "conv3d_ndhwc"
    _check(op, x, weight, groups, bias, True)
    s, d = triple(stride, "stride", op), triple(dilation, "dilation", op)
    k = tuple(weight.shape[:3])
    pads = resolve_pads(padding, x.shape[1:4], k, s, d, op, torch_same=False)
    sizes = [out_size(x.shape[1 + i], k[i], s[i], pads[i], d[i]) for i in range(3)]
    if min(sizes) < 1 or min(k) < 1:
        raise InputTooSmallError(f"[{op}] kernel {k} (dilation {d}) larger than the padded input "
                                 f"{tuple(x.shape)} with padding {pads}")
    n, c, od, g = x.shape[0], x.shape[4], sizes[0], int(groups)
    xp = _pad_depth(x, 1, pads[0])
    taps = stack(depth_taps(xp, 1, k[0], s[0], d[0], od), 4)  # (N, OD, H, W, kD, C)
    h, w_ = taps.shape[2:4]
    if g > 1:
        taps = taps.reshape(n, od, h, w_, k[0], g, c // g).permute(0, 1, 2, 3, 5, 4, 6)
    cols = taps.reshape(n * od, h, w_, k[0] * c)
    o = weight.shape[4]
    w2 = weight.permute(1, 2, 0, 3, 4).reshape(k[1], k[2], k[0] * weight.shape[3], o)
    y = conv2d_nhwc(cols, w2, bias, s[1:], (pads[1], pads[2]), d[1:], g)
    return y.reshape(n, od, y.shape[1], y.shape[2], o)


def _depth_reduce(y, axis, k, s, pads, od, kind, count_include_pad):
    """Max / mean over the depth windows of y (already pooled over H, W)."""
    fill = float("-inf") if kind == "max" else 0.0
    taps = depth_taps(_pad_depth(y, axis, pads, fill), axis, k, s, 1, od)
    if kind == "max":
        out = taps[0]
        for t in taps[1:]:
            out = out.maximum(t)
        return out
    total = taps[0]
    for t in taps[1:]:
        total = total + t
    if count_include_pad or pads == (0, 0):
        return total / k
    depth = y.shape[axis]
    starts = np.arange(od) * s - pads[0]
    counts = np.minimum(starts + k, depth) - np.maximum(starts, 0)
    shape = [1] * y.ndim
    shape[axis] = od
    from ..tensor import Tensor
    return total / Tensor._wrap(counts.reshape(shape).astype(y._data.dtype))


def pool3d(kind, input, kernel_size, stride=None, padding=0, count_include_pad=True):
    """max / avg pooling over (N, C, D, H, W) (or (C, D, H, W)), PyTorch semantics (floor
    mode; padding at most half the kernel)."""
    op = f"{kind}_pool3d"
    unbatched = input.ndim == 4
    if unbatched:
        input = input.unsqueeze(0)
    if input.ndim != 5:
        raise ValueError(f"[{op}] input must be 4-D or 5-D (N, C, D, H, W), got shape "
                         f"{tuple(input.shape)}")
    k = triple(kernel_size, "kernel_size", op)
    s = k if stride is None else triple(stride, "stride", op)
    p = triple(padding, "padding", op, low=0)
    if any(pi > ki // 2 for pi, ki in zip(p, k)):
        raise ValueError(f"[{op}] padding should be at most half of kernel size, got padding="
                         f"{p}, kernel_size={k}")
    n, c, dep, h, w = input.shape
    od = out_size(dep, k[0], s[0], (p[0], p[0]))
    if od < 1 or out_size(h, k[1], s[1], (p[1], p[1])) < 1 \
            or out_size(w, k[2], s[2], (p[2], p[2])) < 1:
        raise InputTooSmallError(f"[{op}] kernel {k} larger than the padded input "
                                 f"{tuple(input.shape)}")
    flat = input.reshape(n * c * dep, 1, h, w)
    if kind == "max":
        y = max_pool2d(flat, k[1:], s[1:], p[1:])
    else:
        y = avg_pool2d(flat, k[1:], s[1:], p[1:], count_include_pad=count_include_pad)
    y = y.reshape(n, c, dep, y.shape[2], y.shape[3])
    y = _depth_reduce(y, 2, k[0], s[0], (p[0], p[0]), od, kind, count_include_pad)
    return y.squeeze(0) if unbatched else y


def max_pool3d(input, kernel_size, stride=None, padding=0):
    """Max over kD x kH x kW windows of (N, C, D, H, W); stride defaults to kernel_size."""
    return pool3d("max", input, kernel_size, stride, padding)


def avg_pool3d(input, kernel_size, stride=None, padding=0, count_include_pad=True):
    """Mean over kD x kH x kW windows of (N, C, D, H, W); stride defaults to kernel_size."""
    return pool3d("avg", input, kernel_size, stride, padding, count_include_pad)


def pool3d_ndhwc(kind, x, pool_size, strides=None, padding="valid"):
    """Keras' 3-D pooling over (N, D, H, W, C): 'valid' or 'same' (padding excluded from the
    mean and from the max)."""
    op = f"{kind}_pool3d_ndhwc"
    if x.ndim != 5:
        raise ValueError(f"[{op}] input must be 5-D (N, D, H, W, C), got shape "
                         f"{tuple(x.shape)}")
    k = triple(pool_size, "pool_size", op)
    s = k if strides is None else triple(strides, "strides", op)
    pads = resolve_pads(padding, x.shape[1:4], k, s, (1, 1, 1), op, torch_same=False)
    n, dep, h, w, c = x.shape
    od = out_size(dep, k[0], s[0], pads[0])
    if od < 1 or out_size(h, k[1], s[1], pads[1]) < 1 or out_size(w, k[2], s[2], pads[2]) < 1:
        raise InputTooSmallError(f"[{op}] pool_size {k} larger than the input "
                                 f"{tuple(x.shape)}")
    flat = x.reshape(n * dep, h, w, c)
    fn = max_pool2d_nhwc if kind == "max" else avg_pool2d_nhwc
    y = fn(flat, k[1:], s[1:], (pads[1], pads[2]))
    y = y.reshape(n, dep, y.shape[1], y.shape[2], c)
    return _depth_reduce(y, 1, k[0], s[0], pads[0], od, kind, False)
