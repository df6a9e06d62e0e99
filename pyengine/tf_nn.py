"""More of tf.nn's functions (`import pyengine as tf` makes tf.nn pe.nn, which re-exports
these): dropout, the cross-entropies on logits, bias_add, l2_loss, embedding_lookup. Each is
pe.nn.functional / Tensor ops, so autograd flows through."""
import numpy as np

from .nn import functional as F
from .ops.dropout import dropout as _dropout
from .tf_names import _t, symbolic_aware


@symbolic_aware
def nn_dropout(x, rate, noise_shape=None, seed=None, name=None):
    """Elements zeroed with probability `rate`, the rest scaled by 1 / (1 - rate), always (tf.nn
    has no training flag). noise_shape: the mask's shape, broadcast over x (None entries take
    x's size); seed: a generator of its own for this call."""
    t = _t(x)
    if not 0 <= float(rate) < 1:
        raise ValueError(f"[tf.nn.dropout] rate must be in [0, 1). Received: rate={rate}")
    shape = None
    if noise_shape is not None:
        ns = [int(getattr(d, "item", lambda: d)()) if d is not None else None
              for d in (np.asarray(noise_shape._data).tolist() if hasattr(noise_shape, "_data")
                        else noise_shape)]
        if len(ns) != t.ndim:
            raise ValueError(f"[tf.nn.dropout] noise_shape {ns} must have the input's rank "
                             f"{t.ndim}")
        shape = tuple(n if d is None else d for d, n in zip(ns, t.shape))
        if any(d not in (1, n) for d, n in zip(shape, t.shape)):
            raise ValueError(f"[tf.nn.dropout] noise_shape {ns} does not broadcast to the "
                             f"input shape {tuple(t.shape)}")
    gen = None if seed is None else np.random.default_rng(int(seed))
    return _dropout(t, float(rate), True, mask_shape=shape, generator=gen)


@symbolic_aware
def nn_sigmoid_cross_entropy_with_logits(labels=None, logits=None, name=None):
    """Elementwise max(x, 0) - x z + log(1 + exp(-|x|)) (the stable form TensorFlow uses)."""
    x, z = _t(logits), _t(labels)
    if tuple(x.shape) != tuple(z.shape):
        raise ValueError(f"[tf.nn.sigmoid_cross_entropy_with_logits] logits {tuple(x.shape)} "
                         f"and labels {tuple(z.shape)} must have the same shape")
    return F.relu(x) - x * z + F.softplus(-x.abs())


@symbolic_aware
def nn_softmax_cross_entropy_with_logits(labels, logits, axis=-1, name=None):
    """-sum(labels * log_softmax(logits)) over `axis` (labels: probabilities)."""
    return -(_t(labels) * F.log_softmax(_t(logits), dim=axis)).sum(axis)


@symbolic_aware
def nn_sparse_softmax_cross_entropy_with_logits(labels, logits, name=None):
    """-log_softmax(logits)[label] per row (labels: class indices, one fewer dimension)."""
    lg = _t(logits)
    lab = np.asarray(getattr(labels, "_data", labels)).astype(np.int64)
    if lab.shape != tuple(lg.shape[:-1]):
        raise ValueError(f"[tf.nn.sparse_softmax_cross_entropy_with_logits] labels "
                         f"{lab.shape} must be logits' shape without the last axis "
                         f"{tuple(lg.shape[:-1])}")
    if lab.size and (lab.min() < 0 or lab.max() >= lg.shape[-1]):
        raise ValueError(f"[tf.nn.sparse_softmax_cross_entropy_with_logits] labels must be in "
                         f"[0, {lg.shape[-1]})")
    lp = F.log_softmax(lg, dim=-1)
    return -lp.gather(-1, _t(lab[..., None])).squeeze(-1)


@symbolic_aware
def nn_bias_add(value, bias, data_format=None, name=None):
    if data_format not in (None, "NHWC", "N...C"):
        raise ValueError(f"[tf.nn.bias_add] only channels-last data is supported, got "
                         f"{data_format!r}")
    return _t(value) + _t(bias)


@symbolic_aware
def nn_l2_loss(t, name=None):
    """sum(t ** 2) / 2."""
    x = _t(t)
    return (x * x).sum() * 0.5


def nn_embedding_lookup(params, ids, max_norm=None, name=None):
    """Rows of `params` at `ids` (any shape)."""
    if max_norm is not None:
        raise ValueError("[tf.nn.embedding_lookup] max_norm is not supported")
    return F.embedding(_t(ids), _t(params))
