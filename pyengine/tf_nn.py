"""More of tf.nn's functions (`import pyengine as tf` makes tf.nn pe.nn, which re-exports
these): the cross-entropies on logits, bias_add, l2_loss (tf.nn.dropout and embedding_lookup
are in tf_names.py). Each is pe.nn.functional / Tensor ops, so autograd flows through."""
import numpy as np

from .nn import functional as F
from .tf_names import _t, symbolic_aware


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
