"""Batch and layer normalization with fused backward passes (one Function each, not a chain of
small ops: the backward is the closed form below, two reductions and one elementwise pass).

With x_hat = (x - mean) * inv_std over N reduced elements and dx_hat = g * weight:
    dx = inv_std / N * (N * dx_hat - sum(dx_hat) - x_hat * sum(dx_hat * x_hat))
    dweight = sum(g * x_hat), dbias = sum(g)
"""
import numpy as np

from ..autograd import Function


def _stats_shape(x, axes):
    return tuple(1 if i in axes else s for i, s in enumerate(x.shape))


def _reduce_axes(ndim, channel_axis):
    return tuple(i for i in range(ndim) if i != channel_axis)


class BatchNormTrain(Function):
    """Normalise over every axis but channel_axis with the batch's own statistics."""

    @staticmethod
    def forward(ctx, x, weight, bias, running_mean=None, running_var=None, momentum=0.1,
                eps=1e-5, channel_axis=1, unbiased_running_var=True):
        axes = _reduce_axes(x.ndim, channel_axis)
        mean = x.mean(axis=axes, keepdims=True)
        xc = x - mean
        var = np.mean(xc * xc, axis=axes, keepdims=True)
        inv_std = (1.0 / np.sqrt(var + eps)).astype(x.dtype)
        x_hat = xc * inv_std
        ctx.axes, ctx.inv_std, ctx.x_hat, ctx.weight = axes, inv_std, x_hat, weight
        ctx.eps = eps  # for create_graph's composite (autograd_higher.py)
        n = x.size // x.shape[channel_axis]
        if running_mean is not None:  # in place: r = (1 - m) r + m batch_stat
            running_mean *= 1 - momentum
            running_mean += (momentum * mean.reshape(-1)).astype(running_mean.dtype)
        if running_var is not None:  # PyTorch: the unbiased variance; Keras: the biased one
            running_var *= 1 - momentum
            factor = momentum * n / (n - 1) if unbiased_running_var else momentum
            running_var += (factor * var.reshape(-1)).astype(running_var.dtype)
        pshape = _stats_shape(x, axes)
        y = x_hat if weight is None else x_hat * weight.reshape(pshape)
        return y if bias is None else y + bias.reshape(pshape)

    @staticmethod
    def backward(ctx, g):
        axes, inv_std, x_hat, w = ctx.axes, ctx.inv_std, ctx.x_hat, ctx.weight
        need_x, need_w, need_b = ctx.needs_input_grad
        gx = gw = gb = None
        sum_g = g.sum(axis=axes)
        sum_gx = (g * x_hat).sum(axis=axes)
        if need_x:
            n = g.size // sum_g.size
            pshape = _stats_shape(g, axes)
            scale = inv_std if w is None else inv_std * w.reshape(pshape)
            gx = scale / n * (n * g - sum_g.reshape(pshape) - x_hat * sum_gx.reshape(pshape))
        if need_w:
            gw = sum_gx
        if need_b:
            gb = sum_g
        return gx, gw, gb


class BatchNormEval(Function):
    """y = (x - running_mean) / sqrt(running_var + eps) * weight + bias, statistics fixed:
    computed as one per-channel scale and shift (two passes over x; inference's hot path,
    e.g. 53 of ResNet50's layers), x_hat formed only in the backward."""

    @staticmethod
    def forward(ctx, x, weight, bias, running_mean=None, running_var=None, eps=1e-5,
                channel_axis=1):
        axes = _reduce_axes(x.ndim, channel_axis)
        pshape = _stats_shape(x, axes)
        inv_std = 1.0 / np.sqrt(running_var.astype(np.float64) + eps)
        scale = inv_std if weight is None else inv_std * weight
        shift = -running_mean * scale if bias is None else bias - running_mean * scale
        y = x * scale.astype(x.dtype).reshape(pshape)
        y += shift.astype(x.dtype).reshape(pshape)
        ctx.axes, ctx.weight = axes, weight
        ctx.inv_std = inv_std.astype(x.dtype).reshape(pshape)
        ctx.mean, ctx.x = running_mean.copy(), x
        return y

    @staticmethod
    def backward(ctx, g):
        axes, inv_std, w = ctx.axes, ctx.inv_std, ctx.weight
        need_x, need_w, need_b = ctx.needs_input_grad
        pshape = _stats_shape(g, axes)
        gx = (g * inv_std * (1 if w is None else w.reshape(pshape))) if need_x else None
        gw = None
        if need_w:
            x_hat = (ctx.x - ctx.mean.reshape(pshape)) * inv_std
            gw = (g * x_hat).sum(axis=axes)
        gb = g.sum(axis=axes) if need_b else None
        return gx, gw, gb


def batch_norm(x, running_mean, running_var, weight=None, bias=None, training=False,
               momentum=0.1, eps=1e-5, channel_axis=1, unbiased_running_var=True):
    """Batch normalization over (N, C) or (N, C, *) input, PyTorch's F.batch_norm;
    channel_axis=-1 normalises channels-last input (N, *, C) (Keras' BatchNormalization).

    training: normalise with batch statistics (biased variance) and, when running stats are
    given, update them in place: r = (1 - momentum) * r + momentum * batch_stat, the variance
    unbiased (n / (n - 1); unbiased_running_var=False: the biased batch variance, Keras'
    moving-variance rule, which also accepts one value per channel: x_hat = 0 there).
    momentum=None means a cumulative average (caller passes 1/steps).
    Not training: normalise with the running statistics.
    """
    if x.ndim < 2:
        raise ValueError(f"[batch_norm] expected input of shape (N, C, *), got {x.shape}")
    if not isinstance(channel_axis, int) or not -x.ndim <= channel_axis < x.ndim \
            or channel_axis % x.ndim == 0:
        raise ValueError(f"[batch_norm] channel_axis must be a non-batch axis of the "
                         f"{x.ndim}-D input, got {channel_axis!r}")
    channel_axis %= x.ndim
    c = x.shape[channel_axis]
    for name, t in (("weight", weight), ("bias", bias), ("running_mean", running_mean),
                    ("running_var", running_var)):
        if t is not None and t.shape != (c,):
            raise ValueError(f"[batch_norm] {name} has shape {t.shape}, expected ({c},) for "
                             f"input {x.shape}")
    if not training:
        if running_mean is None or running_var is None:
            raise ValueError("[batch_norm] running_mean and running_var are required when "
                             "training=False")
        return BatchNormEval.apply(x, weight, bias, running_mean=running_mean._data,
                                   running_var=running_var._data, eps=eps,
                                   channel_axis=channel_axis)
    n = x._data.size // c
    # PyTorch refuses one value per channel (its unbiased running variance divides by n - 1);
    # Keras' rule (biased variance) normalises it to 0, i.e. outputs beta, as TensorFlow does
    # for a last batch of one 1x1 feature map
    if n == 0 or (n == 1 and unbiased_running_var):
        raise ValueError(f"[batch_norm] expected more than 1 value per channel when training, "
                         f"got input size {x.shape}")
    return BatchNormTrain.apply(
        x, weight, bias, eps=eps, momentum=0.1 if momentum is None else momentum,
        channel_axis=channel_axis, unbiased_running_var=bool(unbiased_running_var),
        running_mean=None if running_mean is None else running_mean._data,
        running_var=None if running_var is None else running_var._data)


class LayerNorm(Function):
    """Normalise over the trailing `k` axes; weight and bias have those axes' shape."""

    @staticmethod
    def forward(ctx, x, weight, bias, k=1, eps=1e-5):
        axes = tuple(range(x.ndim - k, x.ndim))
        mean = x.mean(axis=axes, keepdims=True)
        xc = x - mean
        var = np.mean(xc * xc, axis=axes, keepdims=True)
        inv_std = (1.0 / np.sqrt(var + eps)).astype(x.dtype)
        x_hat = xc * inv_std
        ctx.axes, ctx.inv_std, ctx.x_hat, ctx.weight = axes, inv_std, x_hat, weight
        ctx.eps = eps  # for create_graph's composite (autograd_higher.py)
        y = x_hat if weight is None else x_hat * weight
        return y if bias is None else y + bias

    @staticmethod
    def backward(ctx, g):
        axes, inv_std, x_hat, w = ctx.axes, ctx.inv_std, ctx.x_hat, ctx.weight
        need_x, need_w, need_b = ctx.needs_input_grad
        gx = gw = gb = None
        lead = tuple(range(g.ndim - len(axes)))
        if need_x:
            gh = g if w is None else g * w
            n = int(np.prod([g.shape[a] for a in axes]))
            gx = inv_std / n * (n * gh - gh.sum(axis=axes, keepdims=True)
                                - x_hat * (gh * x_hat).sum(axis=axes, keepdims=True))
        if need_w:
            gw = (g * x_hat).sum(axis=lead)
        if need_b:
            gb = g.sum(axis=lead)
        return gx, gw, gb


def layer_norm(x, normalized_shape, weight=None, bias=None, eps=1e-5):
    """(x - mean) / sqrt(var + eps) * weight + bias over the trailing `normalized_shape` dims
    (biased variance), PyTorch's F.layer_norm."""
    shape = (normalized_shape,) if isinstance(normalized_shape, int) else tuple(normalized_shape)
    k = len(shape)
    if k == 0 or x.shape[x.ndim - k:] != shape:
        raise ValueError(f"[layer_norm] normalized_shape {shape} does not match the trailing "
                         f"dims of input {x.shape}")
    for name, t in (("weight", weight), ("bias", bias)):
        if t is not None and t.shape != shape:
            raise ValueError(f"[layer_norm] {name} has shape {t.shape}, expected {shape}")
    return LayerNorm.apply(x, weight, bias, k=k, eps=eps)
