"""More of PyTorch's loss functions (F.kl_div, F.triplet_margin_loss ...), each an elementwise
formula over differentiable pe ops followed by the usual reduction, so autograd supplies the
gradients for every input (targets included, where PyTorch differentiates them too).

Imported at the end of nn/functional.py; the loss modules in nn/loss_more.py call these."""
import math as _math

import numpy as _np

from ..ops import elementwise as _ew
from ..ops import loss as _loss
from ..tensor import Tensor
from .functional import _loss_reduction
from .functional_more import logsigmoid, pairwise_distance

__all__ = ["kl_div", "triplet_margin_loss", "margin_ranking_loss", "hinge_embedding_loss",
           "cosine_embedding_loss", "poisson_nll_loss", "gaussian_nll_loss",
           "multilabel_soft_margin_loss"]


def _as_tensor(x, like, op, name):
    if isinstance(x, Tensor):
        return x
    if like is None:
        raise TypeError(f"[{op}] {name} must be a pe.Tensor, got {type(x).__name__}")
    try:
        return Tensor._wrap(_np.asarray(x, like._data.dtype), like.device)
    except (TypeError, ValueError):
        raise TypeError(f"[{op}] {name} must be a pe.Tensor or array-like, got "
                        f"{type(x).__name__}") from None


def _const(value, like):
    return Tensor._wrap(_np.asarray(value, like._data.dtype), like.device)


def _reduce(loss, reduction):
    if reduction == "none":
        return loss
    return loss.sum() if reduction == "sum" else loss.mean()


def _same_shape(a, b, op, an, bn):
    if tuple(a.shape) != tuple(b.shape):
        raise ValueError(f"[{op}] {an} {tuple(a.shape)} and {bn} {tuple(b.shape)} must have the "
                         f"same shape")


def kl_div(input, target, size_average=None, reduce=None, reduction="mean", log_target=False):
    """Pointwise KL divergence for log-probabilities `input`: target * (log target - input)
    (0 where target is 0), or exp(target) * (target - input) with log_target=True.
    reduction 'batchmean' divides the sum by the batch size input.shape[0] (the true KL
    divergence per sample); 'mean' averages over all elements, as PyTorch does."""
    op = "kl_div"
    if reduction not in ("mean", "batchmean", "sum", "none"):
        raise ValueError(f"[{op}] reduction must be 'mean', 'batchmean', 'sum' or 'none', got "
                         f"{reduction!r}")
    if reduction == "batchmean" and size_average is None and reduce is None:
        r = "batchmean"
    else:
        r = _loss_reduction(reduction, size_average, reduce, op)
    input = _as_tensor(input, None, op, "input")
    target = _as_tensor(target, input, op, "target")
    if log_target:
        loss = target.exp() * (target - input)
    else:  # xlogy(t, t): the log taken of 1 where t <= 0 so its gradient there stays finite
        pos = target > 0
        t_log_t = _ew.where(pos, target * _ew.where(pos, target, _const(1, target)).log(),
                            _const(0, target))
        loss = t_log_t - target * input
    if r == "batchmean":
        return loss.sum() / (input.shape[0] if input.ndim else 1)
    return _reduce(loss, r)


def triplet_margin_loss(anchor, positive, negative, margin=1.0, p=2, eps=1e-6, swap=False,
                        size_average=None, reduce=None, reduction="mean"):
    """max(d(a, p) - d(a, n) + margin, 0), d = pairwise_distance(., ., p, eps); swap=True uses
    min(d(a, n), d(p, n)) as the negative distance (Balntas et al.)."""
    op = "triplet_margin_loss"
    r = _loss_reduction(reduction, size_average, reduce, op)
    for name, t in (("anchor", anchor), ("positive", positive), ("negative", negative)):
        _as_tensor(t, None, op, name)
    dims = (anchor.ndim, positive.ndim, negative.ndim)
    if len(set(dims)) != 1:
        raise ValueError(f"[{op}] anchor, positive and negative must have the same number of "
                         f"dimensions, got {dims[0]}, {dims[1]} and {dims[2]}")
    if margin <= 0:
        raise ValueError(f"[{op}] margin must be greater than 0, got {margin}")
    d_pos = pairwise_distance(anchor, positive, p, eps)
    d_neg = pairwise_distance(anchor, negative, p, eps)
    if swap:
        d_neg = d_neg.minimum(pairwise_distance(positive, negative, p, eps))
    return _reduce((d_pos - d_neg + margin).clamp(min=0.0), r)


def margin_ranking_loss(input1, input2, target, margin=0.0, size_average=None, reduce=None,
                        reduction="mean"):
    """max(0, -target * (input1 - input2) + margin), target +1 (input1 should rank higher) or
    -1; the three broadcast."""
    op = "margin_ranking_loss"
    r = _loss_reduction(reduction, size_average, reduce, op)
    input1 = _as_tensor(input1, None, op, "input1")
    input2 = _as_tensor(input2, input1, op, "input2")
    target = _as_tensor(target, input1, op, "target")
    if not input1.ndim == input2.ndim == target.ndim:
        raise ValueError(f"[{op}] input1 {tuple(input1.shape)}, input2 {tuple(input2.shape)} and "
                         f"target {tuple(target.shape)} must have the same number of dimensions")
    return _reduce((-target * (input1 - input2) + margin).clamp(min=0.0), r)


def hinge_embedding_loss(input, target, margin=1.0, size_average=None, reduce=None,
                         reduction="mean"):
    """input where target is 1, max(0, margin - input) where target is -1 (input usually a
    distance); PyTorch's rule for other target values: the first term where target != -1,
    the second where target != 1, added."""
    op = "hinge_embedding_loss"
    r = _loss_reduction(reduction, size_average, reduce, op)
    input = _as_tensor(input, None, op, "input")
    target = _as_tensor(target, input, op, "target")
    zero = _const(0, input)
    hinge = _ew.where(target != 1, (margin - input).clamp(min=0.0), zero)
    own = _ew.where(target != -1, input, zero)
    return _reduce(hinge + own, r)


def cosine_embedding_loss(input1, input2, target, margin=0.0, size_average=None, reduce=None,
                          reduction="mean"):
    """1 - cos(x1, x2) where target is 1, max(0, cos(x1, x2) - margin) where target is -1;
    cos over the last dim of (N, D) or (D,) inputs, with PyTorch's 1e-12 added to each squared
    norm."""
    op = "cosine_embedding_loss"
    r = _loss_reduction(reduction, size_average, reduce, op)
    input1 = _as_tensor(input1, None, op, "input1")
    input2 = _as_tensor(input2, input1, op, "input2")
    target = _as_tensor(target, input1, op, "target")
    if input1.ndim not in (1, 2) or tuple(input1.shape) != tuple(input2.shape):
        raise ValueError(f"[{op}] input1 {tuple(input1.shape)} and input2 "
                         f"{tuple(input2.shape)} must be the same (N, D) or (D,) shape")
    if target.ndim != input1.ndim - 1 or (target.ndim and target.shape[0] != input1.shape[0]):
        raise ValueError(f"[{op}] target {tuple(target.shape)} must be "
                         f"{'(N,)' if input1.ndim == 2 else 'a scalar'} for inputs "
                         f"{tuple(input1.shape)}")
    eps = 1e-12
    dot = (input1 * input2).sum(dim=-1)
    mag = ((input1 * input1).sum(dim=-1) + eps) * ((input2 * input2).sum(dim=-1) + eps)
    cos = dot / mag.sqrt()
    zero = _const(0, cos)
    loss = _ew.where(target == 1, 1.0 - cos, zero) + \
        _ew.where(target == -1, (cos - margin).clamp(min=0.0), zero)
    return _reduce(loss, r)


def poisson_nll_loss(input, target, log_input=True, full=False, size_average=None, eps=1e-8,
                     reduce=None, reduction="mean"):
    """Negative log-likelihood of target under Poisson(rate): exp(input) - target * input with
    log_input=True (input is the log-rate), else input - target * log(input + eps). full=True
    adds Stirling's approximation of log(target!) where target > 1."""
    op = "poisson_nll_loss"
    r = _loss_reduction(reduction, size_average, reduce, op)
    input = _as_tensor(input, None, op, "input")
    target = _as_tensor(target, input, op, "target")
    if log_input:
        loss = input.exp() - target * input
    else:
        loss = input - target * (input + eps).log()
    if full:
        big = target > 1
        t = _ew.where(big, target, _const(1, target))  # keeps log finite where masked out
        stirling = t * t.log() - t + 0.5 * (2 * _math.pi * t).log()
        loss = loss + _ew.where(big, stirling, _const(0, stirling))
    return _reduce(loss, r)


def gaussian_nll_loss(input, target, var, full=False, eps=1e-6, reduction="mean"):
    """0.5 * (log(var) + (input - target)^2 / var) (+ 0.5 log(2 pi) with full=True). var has
    input's shape, or input's shape with the last dim 1 or missing (one variance per sample),
    or is a float. var is clamped to eps in the forward pass only: the gradient flows as if
    unclamped, as in PyTorch (its clamp runs under no_grad)."""
    op = "gaussian_nll_loss"
    _loss.check_reduction(reduction, op)
    input = _as_tensor(input, None, op, "input")
    target = _as_tensor(target, input, op, "target")
    if not isinstance(var, Tensor):
        var = _const(_np.full(tuple(input.shape), float(var)), input)
    if tuple(var.shape) != tuple(input.shape):
        if tuple(input.shape[:-1]) == tuple(var.shape):
            var = var.unsqueeze(-1)
        elif not (tuple(input.shape[:-1]) == tuple(var.shape[:-1]) and var.ndim
                  and var.shape[-1] == 1):
            raise ValueError(f"[{op}] var {tuple(var.shape)} has the wrong size for input "
                             f"{tuple(input.shape)}: it must match it, or match it with the "
                             f"last dim 1 or missing")
    if bool((var._data < 0).any()):
        raise ValueError(f"[{op}] var has negative entries")
    clamped = var.clamp(min=eps)
    var = var + (clamped - var).detach()  # forward: clamped; backward: identity
    diff = input - target
    loss = 0.5 * (var.log() + diff * diff / var)
    if full:
        loss = loss + 0.5 * _math.log(2 * _math.pi)
    return _reduce(loss, reduction)


def multilabel_soft_margin_loss(input, target, weight=None, size_average=None, reduce=None,
                                reduction="mean"):
    """-mean_c w_c (t_c log sigmoid(x_c) + (1 - t_c) log sigmoid(-x_c)) over the classes
    (the last dim), per sample; then the reduction over samples."""
    op = "multilabel_soft_margin_loss"
    r = _loss_reduction(reduction, size_average, reduce, op)
    input = _as_tensor(input, None, op, "input")
    target = _as_tensor(target, input, op, "target")
    if input.ndim == 0:
        raise ValueError(f"[{op}] input must have a class dimension, got a scalar")
    _same_shape(input, target, op, "input", "target")
    loss = -(target * logsigmoid(input) + (1.0 - target) * logsigmoid(-input))
    if weight is not None:
        loss = loss * _as_tensor(weight, input, op, "weight")
    loss = loss.sum(dim=-1) / input.shape[-1]
    return _reduce(loss, r)
