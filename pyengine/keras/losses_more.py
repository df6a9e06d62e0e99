"""Keras 3 losses composed from Tensor ops (the gradient comes from the existing Functions):
Poisson, CategoricalHinge, BinaryFocalCrossentropy, CategoricalFocalCrossentropy, Dice, Tversky,
and their function forms (keras.losses.poisson ...). Keras 3's formulas, defaults and names;
epsilon is 1e-7 as keras.config.epsilon().

    poisson                  mean(y_pred - y_true * log(y_pred + eps), axis=-1)
    categorical_hinge        max(0, max((1 - y) * p) - sum(y * p) + 1)
    binary_focal             mean((1 - p_t)^gamma * bce [* (y a + (1 - y)(1 - a))], axis)
    categorical_focal        sum(alpha (1 - q)^gamma * (-y log q), axis), q clipped softmax / sum
    dice                     1 - 2 sum(y p) / (sum(y) + sum(p) + eps)        (over `axis`)
    tversky                  1 - tp / (tp + alpha fp + beta fn + eps), as Keras names fp / fn
"""
import numpy as np

from ..nn import functional as F
from . import losses as _l

_EPS = 1e-7


def _float(value, what, owner, low=None, high=None):
    if isinstance(value, bool) or not isinstance(value, (int, float, np.integer, np.floating)) \
            or (low is not None and value < low) or (high is not None and value > high):
        rng = "" if low is None else f" in [{low}, {'inf' if high is None else high}]"
        raise ValueError(f"[{owner}] {what} must be a number{rng}. Received: {what}={value!r}")
    return float(value)


def _dtype(dtype, owner):
    if dtype is not None and str(getattr(dtype, "name", dtype)) not in ("float32",):
        raise ValueError(f"[{owner}] only dtype='float32' (or None) is supported: pyengine "
                         f"computes losses in float32. Received: dtype={dtype!r}")
    return dtype


def _axis(axis, owner, allow_none=False):
    if axis is None and allow_none:
        return None
    if isinstance(axis, (list, tuple)) and axis and all(
            isinstance(a, (int, np.integer)) and not isinstance(a, bool) for a in axis):
        return tuple(int(a) for a in axis)
    if isinstance(axis, (int, np.integer)) and not isinstance(axis, bool):
        return int(axis)
    kinds = "an int, a tuple of ints or None" if allow_none else "an int"
    raise ValueError(f"[{owner}] axis must be {kinds}. Received: axis={axis!r}")


_like = _l._like


class _KerasLoss(_l.Loss):
    """Keras 3's Loss arguments (reduction, name, dtype) with Keras' default name."""

    def __init__(self, reduction="sum_over_batch_size", name=None, dtype=None):
        self.dtype = _dtype(dtype, type(self).__name__)
        super().__init__(name or self.default_name, reduction)


class Poisson(_KerasLoss):
    default_name = "poisson"

    def __init__(self, reduction="sum_over_batch_size", name="poisson", dtype=None):
        super().__init__(reduction, name, dtype)

    def fn(self, y_true, y_pred):
        y = _like(y_true, y_pred)
        return (y_pred - y * (y_pred + _EPS).log()).mean(-1)


class CategoricalHinge(_KerasLoss):
    default_name = "categorical_hinge"

    def __init__(self, reduction="sum_over_batch_size", name="categorical_hinge", dtype=None):
        super().__init__(reduction, name, dtype)

    def fn(self, y_true, y_pred):
        y = _like(y_true, y_pred)
        pos = (y * y_pred).sum(-1)
        neg = ((1.0 - y) * y_pred).max(axis=-1)
        return F.relu(neg - pos + 1.0)


class BinaryFocalCrossentropy(_KerasLoss):
    """Focal loss (Lin et al. 2017) on binary targets: the cross-entropy of each element times
    (1 - p_t)^gamma, p_t the probability given to the true label; apply_class_balancing also
    weighs positives by alpha and negatives by 1 - alpha. label_smoothing squeezes targets
    toward 0.5 first."""
    default_name = "binary_focal_crossentropy"

    def __init__(self, apply_class_balancing=False, alpha=0.25, gamma=2.0, from_logits=False,
                 label_smoothing=0.0, axis=-1, reduction="sum_over_batch_size",
                 name="binary_focal_crossentropy", dtype=None):
        owner = type(self).__name__
        super().__init__(reduction, name, dtype)
        if apply_class_balancing not in (True, False):
            raise ValueError(f"[{owner}] apply_class_balancing must be a bool. Received: "
                             f"apply_class_balancing={apply_class_balancing!r}")
        self.apply_class_balancing = bool(apply_class_balancing)
        self.alpha = _float(alpha, "alpha", owner, 0.0, 1.0)
        self.gamma = _float(gamma, "gamma", owner, 0.0)
        self.from_logits = bool(from_logits)
        self.label_smoothing = _l._smoothing(owner, label_smoothing)
        self.axis = _axis(axis, owner)

    def fn(self, y_true, y_pred):
        y = _like(y_true, y_pred)
        if self.label_smoothing:
            y = y * (1.0 - self.label_smoothing) + 0.5 * self.label_smoothing
        if self.from_logits:
            bce = F.binary_cross_entropy_with_logits(y_pred, y, reduction="none")
            p = F.sigmoid(y_pred)
        else:
            bce = F.binary_cross_entropy(y_pred.clamp(_EPS, 1.0 - _EPS), y, reduction="none")
            p = y_pred
        p_t = y * p + (1.0 - y) * (1.0 - p)
        focal = (1.0 - p_t) ** self.gamma * bce
        if self.apply_class_balancing:
            focal = (y * self.alpha + (1.0 - y) * (1.0 - self.alpha)) * focal
        return focal.mean(self.axis)


class CategoricalFocalCrossentropy(_KerasLoss):
    """Focal loss on one-hot targets: sum over classes of alpha (1 - q)^gamma * (-y log q), q
    the predictions normalised to sum to 1 (softmax first with from_logits) and clipped to
    [eps, 1 - eps]; label_smoothing as CategoricalCrossentropy."""
    default_name = "categorical_focal_crossentropy"

    def __init__(self, alpha=0.25, gamma=2.0, from_logits=False, label_smoothing=0.0, axis=-1,
                 reduction="sum_over_batch_size", name="categorical_focal_crossentropy",
                 dtype=None):
        owner = type(self).__name__
        super().__init__(reduction, name, dtype)
        self.alpha = _float(alpha, "alpha", owner, 0.0)
        self.gamma = _float(gamma, "gamma", owner, 0.0)
        self.from_logits = bool(from_logits)
        self.label_smoothing = _l._smoothing(owner, label_smoothing)
        self.axis = _axis(axis, owner)

    def fn(self, y_true, y_pred):
        y = _like(y_true, y_pred)
        if self.label_smoothing:
            y = y * (1.0 - self.label_smoothing) + self.label_smoothing / y_pred.shape[-1]
        p = F.softmax(y_pred, axis=self.axis) if self.from_logits else y_pred
        q = (p / p.sum(self.axis, keepdims=True)).clamp(_EPS, 1.0 - _EPS)
        return (self.alpha * (1.0 - q) ** self.gamma * (-(y * q.log()))).sum(self.axis)


class _Overlap(_KerasLoss):
    """Dice / Tversky: one value per reduction over `axis` (None: the whole batch, one scalar,
    which sample weights then scale by their mean, as Keras broadcasts them)."""

    def __call__(self, y_true, y_pred, sample_weight=None):
        y_pred = _l._t(y_pred)
        per = self.fn(y_true, y_pred)
        if sample_weight is not None:
            w = _l._t(sample_weight)
            if per.ndim == 0:
                per = per * w.reshape(-1)
            else:
                per = per * _l._weights_like(w, per.shape)
        if self.reduction == "none":
            return per
        return per.sum() if self.reduction == "sum" else per.mean()

    def _sums(self, y_true, y_pred):
        y = _like(y_true, y_pred)
        return y, (y * y_pred).sum(self.axis)


class Dice(_Overlap):
    default_name = "dice"

    def __init__(self, reduction="sum_over_batch_size", name="dice", axis=None, dtype=None):
        super().__init__(reduction, name, dtype)
        self.axis = _axis(axis, "Dice", allow_none=True)

    def fn(self, y_true, y_pred):
        y, inter = self._sums(y_true, y_pred)
        return 1.0 - 2.0 * inter / (y.sum(self.axis) + y_pred.sum(self.axis) + _EPS)


class Tversky(_Overlap):
    default_name = "tversky"

    def __init__(self, alpha=0.5, beta=0.5, reduction="sum_over_batch_size", name="tversky",
                 axis=None, dtype=None):
        super().__init__(reduction, name, dtype)
        self.alpha = _float(alpha, "alpha", "Tversky", 0.0)
        self.beta = _float(beta, "beta", "Tversky", 0.0)
        self.axis = _axis(axis, "Tversky", allow_none=True)

    def fn(self, y_true, y_pred):
        y, inter = self._sums(y_true, y_pred)
        fp = ((1.0 - y_pred) * y).sum(self.axis)  # Keras' names: alpha weighs this term
        fn = (y_pred * (1.0 - y)).sum(self.axis)
        return 1.0 - inter / (inter + self.alpha * fp + self.beta * fn + _EPS)


def poisson(y_true, y_pred):
    return Poisson(reduction="none")(y_true, y_pred)


def categorical_hinge(y_true, y_pred):
    return CategoricalHinge(reduction="none")(y_true, y_pred)


def binary_focal_crossentropy(y_true, y_pred, apply_class_balancing=False, alpha=0.25, gamma=2.0,
                              from_logits=False, label_smoothing=0.0, axis=-1):
    return BinaryFocalCrossentropy(apply_class_balancing, alpha, gamma, from_logits,
                                   label_smoothing, axis, reduction="none")(y_true, y_pred)


def categorical_focal_crossentropy(y_true, y_pred, alpha=0.25, gamma=2.0, from_logits=False,
                                   label_smoothing=0.0, axis=-1):
    return CategoricalFocalCrossentropy(alpha, gamma, from_logits, label_smoothing, axis,
                                        reduction="none")(y_true, y_pred)


def dice(y_true, y_pred, axis=None):
    return Dice(reduction="none", axis=axis)(y_true, y_pred)


def tversky(y_true, y_pred, alpha=0.5, beta=0.5, axis=None):
    return Tversky(alpha, beta, reduction="none", axis=axis)(y_true, y_pred)


NAMES = {"poisson": Poisson, "categorical_hinge": CategoricalHinge,
         "binary_focal_crossentropy": BinaryFocalCrossentropy,
         "categorical_focal_crossentropy": CategoricalFocalCrossentropy, "dice": Dice,
         "tversky": Tversky}
FUNCTIONS = (poisson, categorical_hinge, binary_focal_crossentropy,
             categorical_focal_crossentropy, dice, tversky)
