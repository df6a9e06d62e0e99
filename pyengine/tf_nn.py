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


def nn_compute_average_loss(per_example_loss, sample_weight=None, global_batch_size=None):
    """tf.nn.compute_average_loss: the per-example losses (times sample_weight) summed and
    divided by the global batch size (default: this batch's size times the replicas in sync,
    one here), the loss a replica of a tf.distribute custom loop returns."""
    from .tf_distribute import get_strategy
    loss = _t(per_example_loss)
    if loss.ndim == 0:
        loss = loss.reshape(1)
    if sample_weight is not None:
        loss = loss * _t(sample_weight).astype(loss.dtype)
    if global_batch_size is None:
        global_batch_size = loss.shape[0] * get_strategy().num_replicas_in_sync
    elif isinstance(global_batch_size, bool) or not isinstance(global_batch_size, (int, np.integer)) \
            or global_batch_size <= 0:
        raise ValueError(f"[tf.nn.compute_average_loss] global_batch_size must be a positive "
                         f"int, got {global_batch_size!r}")
    if global_batch_size == 0:
        return loss.sum() * 0
    return loss.sum() / float(global_batch_size)


def nn_scale_regularization_loss(regularization_loss):
    """tf.nn.scale_regularization_loss: divided by the replicas in sync (one here)."""
    from .tf_distribute import get_strategy
    return _t(regularization_loss) / float(get_strategy().num_replicas_in_sync)
