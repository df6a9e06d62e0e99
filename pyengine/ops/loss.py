"""Loss functions as Functions. Cross-entropy and binary cross-entropy run fused C++ kernels
(csrc/loss) that compute the loss and its input gradient in one pass; backward only scales that
gradient by the upstream one. All are numerically stable: log-sum-exp for softmax, softplus for
logits, logs clamped at -100 for probabilities (as PyTorch), so no log(0) is ever taken.

Reductions: 'mean' (default), 'sum', 'none'. Targets are constants (no gradient), except for
mse_loss and l1_loss, whose target may require grad.
"""
import warnings

import numpy as np

from ..autograd import Function

_REDUCTIONS = ("mean", "sum", "none")


def legacy_reduction(reduction, op):
    """torch's deprecated reduction='elementwise_mean' (PyTorch 0.4 programs) is 'mean', with
    torch's warning; any other value is returned as given."""
    if reduction == "elementwise_mean":
        warnings.warn(f"[{op}] reduction='elementwise_mean' is deprecated. Please use "
                      "reduction='mean' instead.", UserWarning, stacklevel=3)
        return "mean"
    return reduction


def check_reduction(reduction, op):
    if reduction not in _REDUCTIONS:
        raise ValueError(f"[{op}] reduction must be 'mean', 'sum' or 'none', got {reduction!r}")


def _reduce(loss, reduction, denom=None):
    """Reduce an elementwise loss; `denom` replaces the element count for 'mean'."""
    if reduction == "none":
        return loss
    total = loss.sum(dtype=loss.dtype)
    if reduction == "sum":
        return np.asarray(total)
    d = loss.size if denom is None else denom
    return np.asarray(total / d if d else np.nan, dtype=loss.dtype)  # all ignored: NaN, as PyTorch


def _scale(ctx, g):
    """Upstream gradient of the reduced loss as a factor for the per-element gradient."""
    if ctx.reduction == "none":
        return g
    return g / ctx.denom if ctx.reduction == "mean" else g


def _float(x):
    return x if x.dtype.kind == "f" else x.astype(np.float32)


def _same_shape(x, t, op):
    if x.shape != t.shape:
        raise ValueError(f"[{op}] target shape {t.shape} differs from input shape {x.shape}")


def _warn_broadcast(x, t, op):
    """PyTorch's warning: a target of another shape broadcasts, e.g. (3, 1) - (3,) -> (3, 3),
    which is almost never what was meant."""
    if np.shape(x) != np.shape(t):
        warnings.warn(f"[{op}] target shape {np.shape(t)} differs from input shape "
                      f"{np.shape(x)}: they broadcast, which is likely not intended; pass "
                      "tensors of the same shape", UserWarning, stacklevel=5)


class MSELoss(Function):
    """mean((x - y)^2); d/dx = 2 (x - y) / n."""

    @staticmethod
    def forward(ctx, x, y, reduction="mean"):
        _warn_broadcast(x, y, "mse_loss")
        d = ctx.backend.sub(x, y)
        ctx.save_for_backward(d)
        ctx.reduction, ctx.denom = reduction, d.size
        return _reduce(d * d, reduction)

    @staticmethod
    def backward(ctx, g):
        (d,) = ctx.saved_tensors
        gx = 2 * _scale(ctx, g) * d
        return gx, -gx


class L1Loss(Function):
    """mean(|x - y|); d/dx = sign(x - y) / n (0 where x == y)."""

    @staticmethod
    def forward(ctx, x, y, reduction="mean"):
        _warn_broadcast(x, y, "l1_loss")
        d = ctx.backend.sub(x, y)
        ctx.save_for_backward(d)
        ctx.reduction, ctx.denom = reduction, d.size
        return _reduce(ctx.backend.abs(d), reduction)

    @staticmethod
    def backward(ctx, g):
        (d,) = ctx.saved_tensors
        gx = _scale(ctx, g) * ctx.backend.sign(d)
        return gx, -gx


class BinaryCrossEntropy(Function):
    """-w (y log p + (1 - y) log(1 - p)) on probabilities p (logits=False), or on logits x with
    p = sigmoid(x) and positive weight pw (logits=True), computed as softplus terms."""

    @staticmethod
    def forward(ctx, x, y, weight=None, pos_weight=None, logits=False, reduction="mean"):
        op = "binary_cross_entropy_with_logits" if logits else "binary_cross_entropy"
        x = _float(x)
        y = np.asarray(y)
        _same_shape(x, y, op)
        y = np.ascontiguousarray(y, dtype=x.dtype)
        if weight is not None:
            weight = np.ascontiguousarray(np.broadcast_to(weight.astype(x.dtype), x.shape))
        if pos_weight is not None:
            pos_weight = np.ascontiguousarray(np.broadcast_to(pos_weight.astype(x.dtype), x.shape))
        loss, grad = ctx.backend.binary_cross_entropy(
            x, y, weight, pos_weight, logits, ctx.needs_input_grad is not None)
        ctx.save_for_backward(grad)
        ctx.reduction, ctx.denom = reduction, loss.size
        return _reduce(loss, reduction)

    @staticmethod
    def backward(ctx, g):
        (grad,) = ctx.saved_tensors
        return _scale(ctx, g) * grad, None


def _classes_last(x, op):
    """(N, C, d1, ...) -> (N * d1 * ..., C) with classes last; (C,) -> (1, C)."""
    if x.ndim == 0:
        raise ValueError(f"[{op}] input must have a class dimension, got a scalar")
    if x.ndim == 1:
        return x.reshape(1, -1)
    if x.ndim == 2:
        return x
    return np.moveaxis(x, 1, -1).reshape(-1, x.shape[1])


def _classes_back(g2, shape):
    if len(shape) <= 2:
        return g2.reshape(shape)
    moved = (shape[0],) + tuple(shape[2:]) + (shape[1],)
    return np.moveaxis(g2.reshape(moved), -1, 1)


class CrossEntropy(Function):
    """Cross-entropy of softmax(x) over the class dimension (dim 1; dim 0 for unbatched input)
    against class indices (int) or class probabilities (float, same shape as x), with optional
    class weights, label smoothing and ignore_index. One fused kernel gives loss and gradient."""

    @staticmethod
    def forward(ctx, x, target, weight=None, ignore_index=-100, label_smoothing=0.0,
                reduction="mean"):
        op = "cross_entropy"
        x = _float(x)
        target = np.asarray(target)
        x2 = _classes_last(x, op)
        if weight is not None:
            weight = np.ascontiguousarray(weight, dtype=x.dtype)
        if target.dtype.kind in "iu":
            expected = x.shape[:1] + x.shape[2:] if x.ndim >= 2 else ()
            if target.shape != expected:
                raise ValueError(f"[{op}] class-index target must have shape {expected} for "
                                 f"input {x.shape}, got {target.shape}")
            t2 = target.reshape(-1).astype(np.int64, copy=False)
        else:
            _same_shape(x, target, op)
            t2 = _classes_last(target.astype(x.dtype, copy=False), op)
        # The kernel checks the targets' range, counts the mean's divisor (non-ignored rows or
        # their summed weights) and folds 1/denom into the gradient, so backward of
        # loss.backward() (upstream gradient 1) returns it untouched: no pass of our own over
        # the targets, the loss or (N, C).
        mean = reduction == "mean"
        loss, grad, denom, total = ctx.backend.softmax_cross_entropy(
            x2, t2, weight, float(label_smoothing), int(ignore_index),
            ctx.needs_input_grad is not None, 1.0, mean)
        ctx.save_for_backward(grad)
        ctx.folded = (mean and denom != 0) or reduction == "sum"
        ctx.shape, ctx.reduction, ctx.denom = x.shape, reduction, denom
        if reduction == "none":
            return loss.reshape(x.shape[:1] + x.shape[2:] if x.ndim >= 2 else ())
        if not mean:
            return np.array(total, dtype=x.dtype)
        return np.array(total / denom if denom else np.nan, dtype=x.dtype)  # all ignored: NaN

    @staticmethod
    def backward(ctx, g):
        (grad,) = ctx.saved_tensors
        if ctx.reduction == "none":
            s = np.reshape(g, (-1, 1))  # per-row factors, rows in (N, d1, ...) order
        elif ctx.folded:  # 1/denom already applied by the kernel
            s = None if g.ndim == 0 and g == 1.0 else g  # g: an array (the backward loop's)
        else:
            s = _scale(ctx, g)
        return _classes_back(grad if s is None else s * grad, ctx.shape), None


class NLLLoss(Function):
    """-w[y] x[y] over log-probabilities x (N, C[, d1, ...]) and class indices y; 'mean'
    divides by the summed weights of the non-ignored targets."""

    @staticmethod
    def forward(ctx, x, target, weight=None, ignore_index=-100, reduction="mean"):
        op = "nll_loss"
        target = np.asarray(target)
        if target.dtype.kind not in "iu":
            raise TypeError(f"[{op}] target must hold class indices (int), got {target.dtype}")
        x2 = _classes_last(x, op)
        n, c = x2.shape
        t = target.reshape(-1).astype(np.int64, copy=False)
        if t.size != n:
            raise ValueError(f"[{op}] target shape {target.shape} does not match input {x.shape}")
        keep = t != ignore_index
        if np.any((t[keep] < 0) | (t[keep] >= c)):
            bad = t[keep][(t[keep] < 0) | (t[keep] >= c)][0]
            raise ValueError(f"[{op}] target {bad} is out of bounds for {c} classes")
        safe = np.where(keep, t, 0)
        w = (np.ones(n, dtype=x.dtype) if weight is None else
             np.asarray(weight, dtype=x.dtype)[safe]) * keep
        loss = -x2[np.arange(n), safe] * w
        ctx.save_for_backward(w, safe)
        ctx.shape, ctx.reduction, ctx.denom = x.shape, reduction, float(w.sum(dtype=np.float64))
        if reduction == "none":
            return loss.reshape(x.shape[:1] + x.shape[2:] if x.ndim >= 2 else ())
        return _reduce(loss.astype(x.dtype, copy=False), reduction, ctx.denom)

    @staticmethod
    def backward(ctx, g):
        w, safe = ctx.saved_tensors
        s = np.reshape(_scale(ctx, g), -1) if ctx.reduction == "none" else _scale(ctx, g)
        n = safe.size
        g2 = np.zeros((n, ctx.shape[1] if len(ctx.shape) >= 2 else ctx.shape[0]),
                      dtype=w.dtype)
        g2[np.arange(n), safe] = -w * s
        return _classes_back(g2, ctx.shape), None
