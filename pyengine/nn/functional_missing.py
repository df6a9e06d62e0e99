"""PyTorch functional forms composed of existing differentiable ops (docs/nn_more.md): rrelu,
lp_pool1d / lp_pool2d, soft_margin_loss, multi_margin_loss, bilinear, rms_norm, alpha_dropout,
feature_alpha_dropout and channel_shuffle. Random draws come from pyengine's generator
(pe.manual_seed). Imported at the end of nn/functional.py."""
import math as _math

import numpy as _np

from .. import random as _random
from ..tensor import Tensor
from .functional import _inplace_result, _loss_reduction, leaky_relu, relu, where
from .functional_loss_more import _as_tensor, _reduce, _same_shape
from .functional_more import _check_tensor, avg_pool1d, logsigmoid
from ..ops.pool import avg_pool2d as _avg_pool2d

__all__ = ["rrelu", "lp_pool1d", "lp_pool2d", "soft_margin_loss", "multi_margin_loss",
           "bilinear", "rms_norm", "alpha_dropout", "feature_alpha_dropout", "channel_shuffle"]


def _const(values, like):
    return Tensor._wrap(_np.asarray(values, like._data.dtype), like.device)


def rrelu(input, lower=1.0 / 8, upper=1.0 / 3, training=False, inplace=False):
    """x for x >= 0, a * x below: in training a ~ U(lower, upper) drawn per element from pe's
    generator, in evaluation the mean slope (lower + upper) / 2.

    >>> F.rrelu(pe.tensor([-2.0, 3.0]))
    tensor([-0.45833334,  3.        ])
    """
    _check_tensor(input, "rrelu")
    if not lower <= upper:
        raise ValueError(f"[rrelu] lower must not exceed upper, got lower={lower}, upper={upper}")
    if not training:
        return leaky_relu(input, (lower + upper) / 2, inplace)
    a = _random.get_generator(None).uniform(lower, upper, tuple(input.shape))
    out = where(input >= 0, input, input * _const(a, input))
    return _inplace_result(input, out, inplace, "rrelu")


def _lp_finish(pooled, norm_type, window):
    # torch's formula, kept as written: sign(f) relu(|f|) (= f) * window, then ^(1 / p); a
    # negative window sum (odd p) gives nan there, as in torch
    return (pooled.sign() * relu(pooled.abs()) * float(window)) ** (1.0 / norm_type)


def _check_norm_type(norm_type, op):
    if isinstance(norm_type, bool) or not isinstance(norm_type, (int, float)) or norm_type == 0:
        raise ValueError(f"[{op}] norm_type must be a non-zero number, got {norm_type!r}")
    return float(norm_type)


def lp_pool1d(input, norm_type, kernel_size, stride=None, ceil_mode=False):
    """(sum over each window of x^p)^(1/p) on (N, C, L) or (C, L): avg_pool1d of x^p times the
    window size, then ^(1/p), as torch computes it."""
    p = _check_norm_type(norm_type, "lp_pool1d")
    k = kernel_size[0] if isinstance(kernel_size, (tuple, list)) else kernel_size
    pooled = avg_pool1d(input ** p, kernel_size, stride, 0, ceil_mode)
    return _lp_finish(pooled, p, k)


def lp_pool2d(input, norm_type, kernel_size, stride=None, ceil_mode=False):
    """(sum over each window of x^p)^(1/p) on (N, C, H, W) or (C, H, W): avg_pool2d of x^p
    times kh * kw, then ^(1/p), as torch computes it."""
    p = _check_norm_type(norm_type, "lp_pool2d")
    _check_tensor(input, "lp_pool2d")
    kh, kw = kernel_size if isinstance(kernel_size, (tuple, list)) else (kernel_size,) * 2
    pooled = _avg_pool2d(input ** p, kernel_size, stride, 0, ceil_mode)
    return _lp_finish(pooled, p, kh * kw)


def soft_margin_loss(input, target, size_average=None, reduce=None, reduction="mean"):
    """log(1 + exp(-y x)) per element (y = +1 / -1), then the reduction; -logsigmoid(y x), stable
    for any y x."""
    r = _loss_reduction(reduction, size_average, reduce, "soft_margin_loss")
    _check_tensor(input, "soft_margin_loss")
    target = _as_tensor(target, input, "soft_margin_loss", "target")
    _same_shape(input, target, "soft_margin_loss", "input", "target")
    return _reduce(-logsigmoid(input * target), r)


def multi_margin_loss(input, target, p=1, margin=1.0, weight=None, size_average=None,
                      reduce=None, reduction="mean"):
    """Per sample, sum over classes i != y of w_y max(0, margin - x_y + x_i)^p, divided by the
    number of classes C; input (N, C) or (C,), target (N,) or () class indices, p 1 or 2."""
    op = "multi_margin_loss"
    r = _loss_reduction(reduction, size_average, reduce, op)
    _check_tensor(input, op)
    if p not in (1, 2) or isinstance(p, bool):
        raise ValueError(f"[{op}] only p == 1 and p == 2 are supported, got p={p!r}")
    if input.ndim not in (1, 2):
        raise ValueError(f"[{op}] input must be 1-D (C,) or 2-D (N, C), got shape "
                         f"{tuple(input.shape)}")
    x = input.reshape(1, -1) if input.ndim == 1 else input
    n, c = x.shape
    y = target._data if isinstance(target, Tensor) else _np.asarray(target)
    if y.dtype.kind not in "iu":
        raise TypeError(f"[{op}] target must hold class indices (integers), got {y.dtype}")
    y = y.reshape(-1).astype(_np.int64)
    if y.shape != (n,):
        raise ValueError(f"[{op}] target has {y.size} entries for {n} samples (input "
                         f"{tuple(input.shape)})")
    if y.size and (y.min() < 0 or y.max() >= c):
        raise IndexError(f"[{op}] target values must be in [0, {c}), got {y.min()}..{y.max()}")
    if weight is not None and tuple(weight.shape) != (c,):
        raise ValueError(f"[{op}] weight has shape {tuple(weight.shape)}, expected ({c},)")
    rows = _np.arange(n)
    x_y = x[Tensor._wrap(rows), Tensor._wrap(y)].reshape(n, 1)
    z = relu(float(margin) - x_y + x)
    if p == 2:
        z = z * z
    if weight is not None:
        z = z * weight[Tensor._wrap(y)].reshape(n, 1)
    others = _np.ones((n, c), x._data.dtype)
    others[rows, y] = 0
    loss = (z * _const(others, x)).sum(1) / c
    return _reduce(loss if input.ndim == 2 else loss.reshape(()), r)


def bilinear(input1, input2, weight, bias=None):
    """y_o = sum_ij x1_i W_oij x2_j + b_o; input1 (*, in1), input2 (*, in2), weight
    (out, in1, in2), bias (out,) -> (*, out). One matmul, then a product and sum over in2.

    >>> F.bilinear(pe.ones(4, 2), pe.ones(4, 3), pe.ones(5, 2, 3)).shape
    (4, 5)
    """
    op = "bilinear"
    for name, t in (("input1", input1), ("input2", input2), ("weight", weight)):
        _check_tensor(t, op, name)
    if weight.ndim != 3:
        raise ValueError(f"[{op}] weight must be 3-D (out, in1, in2), got {tuple(weight.shape)}")
    o, i1, i2 = weight.shape
    if input1.shape[-1] != i1 or input2.shape[-1] != i2 or \
            tuple(input1.shape[:-1]) != tuple(input2.shape[:-1]):
        raise ValueError(f"[{op}] inputs {tuple(input1.shape)} and {tuple(input2.shape)} do not "
                         f"match weight {tuple(weight.shape)}: expected (*, {i1}) and (*, {i2})")
    if bias is not None and tuple(bias.shape) != (o,):
        raise ValueError(f"[{op}] bias has shape {tuple(bias.shape)}, expected ({o},)")
    lead = tuple(input1.shape[:-1])
    x1, x2 = input1.reshape(-1, i1), input2.reshape(-1, i2)
    t = (x1 @ weight.permute(1, 0, 2).reshape(i1, o * i2)).reshape(-1, o, i2)
    y = (t * x2.reshape(-1, 1, i2)).sum(-1)
    if bias is not None:
        y = y + bias
    return y.reshape(lead + (o,))


def rms_norm(input, normalized_shape, weight=None, eps=None):
    """x / sqrt(mean(x^2) + eps) * weight over the last len(normalized_shape) dims; eps None is
    the input dtype's machine epsilon, as torch."""
    op = "rms_norm"
    _check_tensor(input, op)
    shape = (normalized_shape,) if isinstance(normalized_shape, int) else tuple(normalized_shape)
    k = len(shape)
    if k == 0 or tuple(input.shape[input.ndim - k:]) != shape or input.ndim < k:
        raise ValueError(f"[{op}] normalized_shape {shape} must match the trailing dims of input "
                         f"{tuple(input.shape)}")
    if weight is not None and tuple(weight.shape) != shape:
        raise ValueError(f"[{op}] weight has shape {tuple(weight.shape)}, expected {shape}")
    if eps is None:
        eps = float(_np.finfo(input._data.dtype).eps) if input._data.dtype.kind == "f" else \
            float(_np.finfo(_np.float32).eps)
    dims = tuple(range(input.ndim - k, input.ndim))
    y = input * ((input * input).mean(dims, keepdims=True) + eps) ** -0.5
    return y if weight is None else y * weight


_SELU_NEG = 1.7580993408473766  # -SELU(-inf) = alpha * scale: where dropped units are set


def _alpha_dropout(input, p, training, inplace, op, feature):
    _check_tensor(input, op)
    if not 0.0 <= p <= 1.0:
        raise ValueError(f"[{op}] dropout probability has to be between 0 and 1, got p={p}")
    if not training or p == 0:
        return input
    if p == 1:
        return _inplace_result(input, input * 0.0, inplace, op)
    if feature and input.ndim < 2:
        raise ValueError(f"[{op}] expected an input of at least 2 dims (N, C, *), got shape "
                         f"{tuple(input.shape)}")
    shape = tuple(input.shape[:2]) + (1,) * (input.ndim - 2) if feature else tuple(input.shape)
    keep = (_random.get_generator(None).random(shape) >= p).astype(input._data.dtype)
    # torch's affine correction: y = a (x keep + alpha' (keep - 1) + alpha' p) keeps a SELU
    # network's zero mean and unit variance
    a = 1.0 / _math.sqrt((_SELU_NEG ** 2 * p + 1) * (1 - p))
    b = (keep - 1.0) * (_SELU_NEG * a) + _SELU_NEG * a * p
    out = input * _const(keep * a, input) + _const(b, input)
    return _inplace_result(input, out, inplace, op)


def alpha_dropout(input, p=0.5, training=False, inplace=False):
    """Dropout for SELU networks: dropped units take SELU's negative saturation value and an
    affine map restores zero mean and unit variance; identity when not training."""
    return _alpha_dropout(input, p, training, inplace, "alpha_dropout", feature=False)


def feature_alpha_dropout(input, p=0.5, training=False, inplace=False):
    """alpha_dropout of whole channels of (N, C, *) input."""
    return _alpha_dropout(input, p, training, inplace, "feature_alpha_dropout", feature=True)


def channel_shuffle(input, groups):
    """(N, C, *): channels viewed as (groups, C / groups), transposed and flattened back.

    >>> F.channel_shuffle(pe.arange(4.0).reshape(1, 4, 1), 2).reshape(-1)
    tensor([0., 2., 1., 3.])
    """
    _check_tensor(input, "channel_shuffle")
    if isinstance(groups, bool) or not isinstance(groups, (int, _np.integer)) or groups <= 0:
        raise ValueError(f"[channel_shuffle] groups must be a positive int, got {groups!r}")
    if input.ndim < 3:
        raise ValueError(f"[channel_shuffle] expected an input of at least 3 dims (N, C, *), got "
                         f"shape {tuple(input.shape)}")
    n, c, rest = input.shape[0], input.shape[1], tuple(input.shape[2:])
    if c % groups:
        raise ValueError(f"[channel_shuffle] the number of channels ({c}) must be divisible by "
                         f"groups ({groups})")
    x = input.reshape(n, int(groups), c // int(groups), *rest).transpose(1, 2)
    return x.reshape(n, c, *rest)
