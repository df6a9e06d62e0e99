"""Functional forms of the ops, PyTorch names and argument names (`import pyengine.nn.functional
as F`). Each is one line over an op in pyengine/ops; see there for forward and backward."""
import numpy as _np

from ..ops import elementwise as _ew
from ..ops import loss as _loss
from ..ops.activation import Activation, Softmax
from ..ops.conv import conv1d, conv2d  # noqa: F401
from ..ops.pool import adaptive_avg_pool2d, avg_pool2d, max_pool2d  # noqa: F401
from ..ops.conv_nhwc import avg_pool2d_nhwc, conv2d_nhwc, max_pool2d_nhwc  # noqa: F401
from ..tensor import Tensor


def relu(x, inplace=False):
    """relu(x) = max(x, 0), elementwise; any shape.

    >>> F.relu(pe.tensor([-1.0, 2.0]))
    tensor([0., 2.])
    """
    return Activation.apply(x, name="relu")


def leaky_relu(x, negative_slope=0.01, inplace=False):
    """leaky_relu(x) = x if x > 0 else negative_slope * x, elementwise.

    >>> F.leaky_relu(pe.tensor([-1.0, 2.0]), 0.1)
    tensor([-0.1,  2. ])
    """
    return Activation.apply(x, name="leaky_relu", p0=float(negative_slope))


def elu(x, alpha=1.0, inplace=False):
    """elu(x) = x if x > 0 else alpha * (exp(x) - 1), elementwise.

    >>> F.elu(pe.tensor([0.0, 2.0]))
    tensor([0., 2.])
    """
    return Activation.apply(x, name="elu", p0=float(alpha))


def gelu(x, approximate="none"):
    """gelu(x) = x * Phi(x), Phi the standard normal CDF (exact erf form), elementwise.

    >>> F.gelu(pe.tensor([0.0, 10.0]))
    tensor([ 0., 10.])
    """
    if approximate != "none":
        raise ValueError(f"[gelu] only approximate='none' is supported, got {approximate!r}")
    return Activation.apply(x, name="gelu")


def sigmoid(x):
    """sigmoid(x) = 1 / (1 + exp(-x)), elementwise.

    >>> F.sigmoid(pe.tensor([0.0]))
    tensor([0.5])
    """
    return Activation.apply(x, name="sigmoid")


def tanh(x):
    """tanh(x), elementwise.

    >>> F.tanh(pe.tensor([0.0]))
    tensor([0.])
    """
    return Activation.apply(x, name="tanh")


def softplus(x, beta=1.0, threshold=20.0):
    """softplus(x) = (1/beta) * log(1 + exp(beta * x)), linear where beta * x > threshold.

    >>> F.softplus(pe.tensor([30.0]))
    tensor([30.])
    """
    if beta <= 0:
        raise ValueError(f"[softplus] beta must be positive, got {beta}")
    return Activation.apply(x, name="softplus", p0=float(beta), p1=float(threshold))


def softmax(x, dim=-1, axis=None):
    """softmax(x)_i = exp(x_i) / sum_j exp(x_j) along `dim`; output has x's shape.

    >>> F.softmax(pe.tensor([[0.0, 0.0]]), dim=1)
    tensor([[0.5, 0.5]])
    """
    return Softmax.apply(x, axis=dim if axis is None else axis, log=False)


def log_softmax(x, dim=-1, axis=None):
    """log_softmax(x)_i = x_i - logsumexp(x) along `dim`, computed stably; x's shape.

    >>> F.log_softmax(pe.tensor([[0.0, 0.0]]), dim=1).exp()
    tensor([[0.5, 0.5]])
    """
    return Softmax.apply(x, axis=dim if axis is None else axis, log=True)


def linear(x, weight, bias=None):
    """x @ weight.T + bias, weight of shape (out_features, in_features)."""
    if x.shape[-1] != weight.shape[-1]:
        raise ValueError(f"[linear] input has {x.shape[-1]} features but weight expects "
                         f"{weight.shape[-1]} (input {x.shape}, weight {weight.shape})")
    y = x @ weight.T
    return y if bias is None else y + bias


def where(condition, x, y):
    return _ew.where(condition, x, y)




# ---- nn layers' functional forms (dropout, normalization, embedding) ----------------------------
from ..ops.dropout import dropout as _dropout  # noqa: E402


def dropout(input, p=0.5, training=True, inplace=False):
    """Zero elements with probability p, scale the rest by 1 / (1 - p); identity if not training."""
    return _dropout(input, p, training)


def dropout1d(input, p=0.5, training=True, inplace=False):
    """Zero whole channels of (N, C, L) input with probability p."""
    if input.ndim not in (2, 3):
        raise ValueError(f"[dropout1d] expected a 2-D or 3-D input, got shape {input.shape}")
    return _dropout(input, p, training, mask_shape=input.shape[:-1] + (1,))


def dropout2d(input, p=0.5, training=True, inplace=False):
    """Zero whole channels of (N, C, H, W) input with probability p."""
    if input.ndim not in (3, 4):
        raise ValueError(f"[dropout2d] expected a 3-D or 4-D input, got shape {input.shape}")
    return _dropout(input, p, training, mask_shape=input.shape[:-2] + (1, 1))


from ..ops.normalization import batch_norm, layer_norm  # noqa: E402,F401
from ..ops.embedding import embedding as _embedding  # noqa: E402


def embedding(input, weight, padding_idx=None, max_norm=None):
    """weight[input]: rows of the (num_embeddings, dim) table for integer indices of any shape."""
    if max_norm is not None:
        raise NotImplementedError("[embedding] max_norm is not supported")
    return _embedding(input, weight, padding_idx)

# ---- losses (pyengine/ops/loss.py) -------------------------------------------------------------
def _arr(x):
    return None if x is None else (x.data if isinstance(x, Tensor) else _np.asarray(x))


def _loss_reduction(reduction, size_average, reduce, op):
    if size_average is not None or reduce is not None:  # PyTorch's deprecated pair
        reduce = True if reduce is None else reduce
        size_average = True if size_average is None else size_average
        reduction = ("mean" if size_average else "sum") if reduce else "none"
    _loss.check_reduction(reduction, op)
    return reduction


def mse_loss(input, target, size_average=None, reduce=None, reduction="mean"):
    """mean((input - target)^2) (or 'sum' / 'none'); target may require grad."""
    r = _loss_reduction(reduction, size_average, reduce, "mse_loss")
    return _loss.MSELoss.apply(input, target, reduction=r)


def l1_loss(input, target, size_average=None, reduce=None, reduction="mean"):
    """mean(|input - target|) (or 'sum' / 'none')."""
    r = _loss_reduction(reduction, size_average, reduce, "l1_loss")
    return _loss.L1Loss.apply(input, target, reduction=r)


def binary_cross_entropy(input, target, weight=None, size_average=None, reduce=None,
                         reduction="mean"):
    """-weight * (t log p + (1 - t) log(1 - p)) for probabilities p = input; logs clamped at -100.

    >>> F.binary_cross_entropy(pe.tensor([0.8, 0.1]), pe.tensor([1.0, 0.0]))
    tensor(0.16425204)
    """
    r = _loss_reduction(reduction, size_average, reduce, "binary_cross_entropy")
    return _loss.BinaryCrossEntropy.apply(input, _arr(target), weight=_arr(weight), reduction=r)


def binary_cross_entropy_with_logits(input, target, weight=None, size_average=None, reduce=None,
                                     reduction="mean", pos_weight=None):
    """binary_cross_entropy(sigmoid(input), target) computed stably from logits; pos_weight
    (broadcast over the last dimension) weights the positive term."""
    r = _loss_reduction(reduction, size_average, reduce, "binary_cross_entropy_with_logits")
    return _loss.BinaryCrossEntropy.apply(input, _arr(target), weight=_arr(weight),
                                          pos_weight=_arr(pos_weight), logits=True, reduction=r)


def cross_entropy(input, target, weight=None, size_average=None, ignore_index=-100, reduce=None,
                  reduction="mean", label_smoothing=0.0):
    """-sum_c q_c log softmax(input)_c over the class dim (1), q the one-hot (class-index target)
    or given probabilities, smoothed: q = (1 - label_smoothing) q + label_smoothing / C.

    >>> F.cross_entropy(pe.tensor([[2.0, 0.5, -1.0]]), pe.tensor([0]))
    tensor(0.24131131)
    """
    r = _loss_reduction(reduction, size_average, reduce, "cross_entropy")
    if not 0.0 <= label_smoothing <= 1.0:
        raise ValueError(f"[cross_entropy] label_smoothing must be in [0, 1], got {label_smoothing}")
    return _loss.CrossEntropy.apply(input, _arr(target), weight=_arr(weight),
                                    ignore_index=ignore_index, label_smoothing=label_smoothing,
                                    reduction=r)


def nll_loss(input, target, weight=None, size_average=None, ignore_index=-100, reduce=None,
             reduction="mean"):
    """-weight[t] * input[t] for log-probabilities input (N, C[, ...]) and class indices t."""
    r = _loss_reduction(reduction, size_average, reduce, "nll_loss")
    return _loss.NLLLoss.apply(input, _arr(target), weight=_arr(weight),
                               ignore_index=ignore_index, reduction=r)


__all__ = [n for n in dir() if not n.startswith("_") and n != "Tensor"]


# ---- transposed convolution, resampling, PReLU (ops/conv_transpose.py, ops/image.py) ----------
from ..ops.conv_transpose import conv_transpose2d  # noqa: E402,F401
from ..ops.image import affine_warp, interpolate  # noqa: E402,F401


def upsample(input, size=None, scale_factor=None, mode="nearest", align_corners=None):
    """Alias of interpolate (PyTorch's deprecated name)."""
    return interpolate(input, size, scale_factor, mode, align_corners)


def prelu(input, weight):
    """max(0, x) + weight * min(0, x); weight (1,) or (C,) broadcast along dim 1.

    >>> F.prelu(pe.tensor([-2.0, 3.0]), pe.tensor([0.25]))
    """
    if weight.ndim != 1:
        raise ValueError(f"[prelu] weight must be 1-D, got shape {tuple(weight.shape)}")
    c = weight.shape[0]
    if c != 1:
        if input.ndim < 2 or input.shape[1] != c:
            raise ValueError(f"[prelu] weight has {c} slopes but input {tuple(input.shape)} has "
                             f"{input.shape[1] if input.ndim >= 2 else 'no'} channels (dim 1)")
        weight = weight.reshape((c,) + (1,) * (input.ndim - 2))
    return relu(input) - weight * relu(-input)
from ..ops.pad import pad  # noqa: E402,F401
