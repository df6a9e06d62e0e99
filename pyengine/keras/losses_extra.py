"""More Keras losses (Keras 3 definitions and defaults), each composed from Tensor ops so the
gradient comes from the existing Functions: Hinge, SquaredHinge, Huber, KLDivergence,
CosineSimilarity, LogCosh, and their function forms (keras.losses.hinge ...)."""
import math

import numpy as np

from ..nn import functional as F
from . import losses as _l

_EPS = 1e-7


def _pm1(y_true):
    """Hinge labels: {0, 1} become {-1, 1} (Keras converts them); -1 / 1 stay."""
    y = np.asarray(y_true)
    if y.size and np.isin(y, (0, 1)).all():
        return _l._t((2.0 * y - 1.0).astype(np.float32))
    return _l._t(y_true)


def _like(y, y_pred, op):
    """y_true laid out as y_pred: reshaped when it holds as many values ((N,) against (N, 1)),
    else broadcast (a scalar label: keras-io GauGAN's hinge loss of a patch map against
    1.0 / -1.0, as TensorFlow's broadcasting allows)."""
    if y.numel() == y_pred.numel():
        return y.reshape(y_pred.shape)
    try:
        np.broadcast_shapes(tuple(y.shape), tuple(y_pred.shape))
    except ValueError:
        raise ValueError(f"[{op}] y_true of shape {tuple(y.shape)} does not match or "
                         f"broadcast to y_pred of shape {tuple(y_pred.shape)}") from None
    return y


class Hinge(_l.Loss):
    """mean(max(1 - y_true * y_pred, 0)) over the last axis."""

    def fn(self, y_true, y_pred):
        y = _like(_pm1(np.asarray(y_true)), y_pred, "hinge")
        return F.relu(1.0 - y * y_pred).mean(-1)


class SquaredHinge(_l.Loss):
    def fn(self, y_true, y_pred):
        y = _like(_pm1(np.asarray(y_true)), y_pred, "squared_hinge")
        m = F.relu(1.0 - y * y_pred)
        return (m * m).mean(-1)


class Huber(_l.Loss):
    """mean(0.5 e^2 if |e| <= delta else delta (|e| - 0.5 delta)), e = y_pred - y_true."""

    def __init__(self, delta=1.0, name=None, reduction="sum_over_batch_size"):
        super().__init__(name, reduction)
        self.delta = float(delta)

    def fn(self, y_true, y_pred):
        y_true = _l._t(y_true).reshape(y_pred.shape).to(y_pred.dtype)  # F.huber_loss: one formula
        return F.huber_loss(y_pred, y_true, reduction="none", delta=self.delta).mean(-1)


class KLDivergence(_l.Loss):
    """sum(y_true * log(y_true / y_pred)), both clipped to [1e-7, 1]."""

    def fn(self, y_true, y_pred):
        y = _l._t(y_true).reshape(y_pred.shape).clamp(_EPS, 1.0)
        p = y_pred.clamp(_EPS, 1.0)
        return (y * (y.log() - p.log())).sum(-1)


class CosineSimilarity(_l.Loss):
    """-sum(l2_normalize(y_true) * l2_normalize(y_pred), axis)."""

    def __init__(self, axis=-1, name=None, reduction="sum_over_batch_size"):
        super().__init__(name, reduction)
        self.axis = int(axis)

    def fn(self, y_true, y_pred):
        y = _l._t(y_true).reshape(y_pred.shape)

        def unit(t):
            return t / (t * t).sum(self.axis, True).clamp(min=1e-12).sqrt()
        return -(unit(y) * unit(y_pred)).sum(self.axis)


class LogCosh(_l.Loss):
    """mean(log(cosh(e))) = mean(e + softplus(-2 e) - log 2), e = y_pred - y_true."""

    def fn(self, y_true, y_pred):
        e = y_pred - _l._t(y_true).reshape(y_pred.shape)
        return (e + F.softplus(-2.0 * e) - math.log(2.0)).mean(-1)


def hinge(y_true, y_pred): return Hinge(reduction="none")(y_true, y_pred)
def squared_hinge(y_true, y_pred): return SquaredHinge(reduction="none")(y_true, y_pred)
def huber(y_true, y_pred, delta=1.0): return Huber(delta, reduction="none")(y_true, y_pred)
def kl_divergence(y_true, y_pred): return KLDivergence(reduction="none")(y_true, y_pred)
def log_cosh(y_true, y_pred): return LogCosh(reduction="none")(y_true, y_pred)


def cosine_similarity(y_true, y_pred, axis=-1):
    return CosineSimilarity(axis, reduction="none")(y_true, y_pred)


NAMES = {"hinge": Hinge, "squared_hinge": SquaredHinge, "huber": Huber,
         "kl_divergence": KLDivergence, "kld": KLDivergence, "cosine_similarity": CosineSimilarity,
         "log_cosh": LogCosh, "logcosh": LogCosh}
FUNCTIONS = (hinge, squared_hinge, huber, kl_divergence, log_cosh, cosine_similarity)
