"""Losses by Keras name and as classes; each is callable as loss_fn(y_true, y_pred) and returns
the batch mean as a scalar Tensor. Each runs the loss op of pe.nn.functional (mse_loss, l1_loss,
binary_cross_entropy[_with_logits], cross_entropy, nll_loss) with reduction='none' and Keras'
axis and reduction conventions around it; probability inputs are clipped at epsilon = 1e-7 as
Keras does.
`validate(y, y_pred_shape)` checks labels once per fit with a clear message."""
import warnings

import numpy as np

from ..nn import functional as F
from ..tensor import Tensor
from .utils import resolve

EPSILON = 1e-7


def _t(y, like=None):
    if isinstance(y, Tensor):
        return y
    return Tensor._wrap(np.ascontiguousarray(np.asarray(y, dtype=np.float32)))


class Reduction:
    """tf.keras.losses.Reduction (TF 2's names of the reductions; AUTO means
    SUM_OVER_BATCH_SIZE, as it does outside a distribution strategy)."""
    AUTO = "auto"
    NONE = "none"
    SUM = "sum"
    SUM_OVER_BATCH_SIZE = "sum_over_batch_size"

    @classmethod
    def all(cls):
        return (cls.AUTO, cls.NONE, cls.SUM, cls.SUM_OVER_BATCH_SIZE)


class Loss:
    """Base: subclasses define `fn(y_true, y_pred) -> per-sample Tensor` and a `kind` that the
    fused trainer understands ('mse', 'bce', 'cce', 'scce'), or None."""

    kind = None
    from_logits = False

    def __init__(self, name=None, reduction="sum_over_batch_size"):
        if reduction == Reduction.AUTO:  # TF 2
            reduction = Reduction.SUM_OVER_BATCH_SIZE
        if reduction is None:  # Keras 3: None is 'none'
            reduction = Reduction.NONE
        if reduction not in ("sum_over_batch_size", "sum", "none"):
            raise ValueError(f"[{type(self).__name__}] reduction must be 'sum_over_batch_size', "
                             f"'sum', 'none' (or None) or 'auto'. Received: "
                             f"reduction={reduction}")
        self.name = name or type(self).__name__
        self.reduction = reduction

    def __call__(self, y_true, y_pred, sample_weight=None):
        from .symbolic import is_symbolic, symbolic_op
        if is_symbolic((y_true, y_pred, sample_weight)):
            # a loss of a functional graph's tensors (Keras 2's VAE: `binary_crossentropy(
            # inputs, outputs)` then `model.add_loss(...)`) is a node of that graph
            return symbolic_op(type(self).__call__, self, y_true, y_pred, sample_weight,
                               name=self.name)
        if type(self).fn is Loss.fn and isinstance(y_pred, (list, tuple, dict)):
            # a Loss subclass's call() gets structures leaf by leaf, as Keras 3 maps them
            # (keras-io GauGAN's feature matching loss over the discriminator's 5 outputs)
            from . import tree
            y_pred = tree.map_structure(_t, y_pred)
        else:
            y_pred = _t(y_pred)
        per = self.fn(y_true, y_pred)
        if sample_weight is not None:
            per = per * _weights_like(_t(sample_weight), per.shape)
        per = self._masked(y_pred, per)
        if self.reduction == "none":
            return per
        return per.sum() if self.reduction == "sum" else per.mean()

    def _masked(self, y_pred, per):
        """Keras 3: a masked y_pred (its `_keras_mask`, e.g. from Embedding(mask_zero=True) or a
        layer's compute_mask) zeroes the masked positions' losses, and the mean is then over
        the unmasked positions only (weights total / valid; no valid position: a zero loss)."""
        from .layers.masking import get_mask, mask_weights
        mask = mask_weights(y_pred, per.shape, self.name)
        own = get_mask(per)  # positions the loss itself leaves out (ignore_class)
        if own is not None:
            own = own.astype(np.float32)
            mask = own if mask is None else mask * own
        if mask is None:
            return per
        if self.reduction == "sum_over_batch_size":
            valid = float(mask.sum())
            mask = mask * np.float32(mask.size / valid) if valid else mask
        return per * Tensor._wrap(mask.astype(per._data.dtype, copy=False))

    def fn(self, y_true, y_pred):
        """Per-sample losses; Keras 3 subclasses define call(y_true, y_pred) instead."""
        if isinstance(y_true, (list, tuple, dict)) and not isinstance(y_pred, Tensor):
            from . import tree
            return _t(self.call(tree.map_structure(_t, y_true), y_pred))
        return self.call(_t(y_true), y_pred)

    def call(self, y_true, y_pred):
        raise NotImplementedError(f"[{type(self).__name__}] Loss subclasses must define "
                                  "call(self, y_true, y_pred)")

    def validate(self, y, out_shape):
        """Returns y converted for this loss (float32 targets or int64 labels) or raises."""
        y = np.asarray(y)
        if y.dtype.kind not in "biuf":
            raise ValueError(f"[{self.name}] labels must be numeric, received dtype {y.dtype}")
        return np.ascontiguousarray(y, dtype=np.float32)


def _weights_like(w, shape):
    """Sample weights for per-position losses of `shape`: one weight per sample ((n,) or
    (n, 1)) spreads over a sequence's positions, as TF-Keras broadcasts it; otherwise the
    weights must hold one value per loss."""
    shape = tuple(shape)
    if w.ndim < len(shape) and tuple(w.shape) == shape[:w.ndim]:
        return w.reshape(tuple(w.shape) + (1,) * (len(shape) - w.ndim))
    if w.ndim == 2 and w.shape[-1] == 1 and len(shape) > 1 and w.shape[0] == shape[0]:
        return w.reshape((shape[0],) + (1,) * (len(shape) - 1))
    return w.reshape(shape)


def _match_shape(name, y, out_shape, broadcast=False):
    """Labels checked against the model's output shape. broadcast=True (Keras 3's regression
    losses) also accepts labels that broadcast against the output, a 1 on either side; there
    one label per sample, shape (n,), is a column (n, 1) against a rank-2 output of any width,
    as TF-Keras' compile_utils.match_dtype_and_rank makes it (each label compared with every
    output unit)."""
    if y.ndim == 1 and len(out_shape) == 2 and (out_shape[1] == 1 or broadcast):
        y = y.reshape(-1, 1)
    if len(y.shape) != len(out_shape) or any(  # None: a dimension the model leaves free
            o is not None and d != o and not (broadcast and 1 in (d, o))
            for d, o in zip(y.shape[1:], out_shape[1:])):
        also = " or broadcast against it" if broadcast else ""
        raise ValueError(f"[{name}] labels have shape {y.shape} but the model outputs "
                         f"(None,) + {tuple(out_shape[1:])}; shapes must match{also}")
    return y


def _like(y_true, y_pred):
    """y_true laid out as y_pred: reshaped when it holds as many values, otherwise brought to
    y_pred's rank (same_rank) so that it broadcasts against it, as in Keras 3's losses
    ((8, 10) targets for a (8, 1) output: every target compared with the sample's output)."""
    y = _t(y_true)
    if y._data.size == y_pred._data.size:
        return y.reshape(y_pred.shape)
    return same_rank(y, y_pred)[0]


class MeanSquaredError(Loss):
    kind = "mse"

    def fn(self, y_true, y_pred):
        y = _like(y_true, y_pred)
        if y.shape != y_pred.shape:  # Keras 3 broadcasts; F.mse_loss would warn as torch does
            d = y_pred - y
            return (d * d).mean(-1)
        return F.mse_loss(y_pred, y, reduction="none").mean(-1)

    def validate(self, y, out_shape):
        return _match_shape(self.name, super().validate(y, out_shape), out_shape, broadcast=True)


class MeanAbsoluteError(MeanSquaredError):
    kind = None

    def fn(self, y_true, y_pred):
        y = _like(y_true, y_pred)
        if y.shape != y_pred.shape:  # broadcast, as MeanSquaredError
            return (y_pred - y).abs().mean(-1)
        return F.l1_loss(y_pred, y, reduction="none").mean(-1)


def _smoothing(name, value):
    value = float(value)
    if not 0.0 <= value <= 1.0:
        raise ValueError(f"[{name}] label_smoothing must be in [0, 1]. Received: "
                         f"label_smoothing={value}")
    return value


class BinaryCrossentropy(Loss):
    kind = "bce"
    _warned_range = False  # set on the instance at its first labels outside [0, 1]

    def __init__(self, from_logits=False, label_smoothing=0.0, name=None, **kwargs):
        super().__init__(name, **kwargs)
        self.from_logits = bool(from_logits)
        self.label_smoothing = _smoothing(type(self).__name__, label_smoothing)

    def fn(self, y_true, y_pred):
        y = _t(y_true).reshape(y_pred.shape)
        if self.label_smoothing:  # Keras: targets squeezed toward 0.5
            y = y * (1.0 - self.label_smoothing) + 0.5 * self.label_smoothing
        if self.from_logits:
            return F.binary_cross_entropy_with_logits(y_pred, y, reduction="none").mean(axis=-1)
        p = y_pred.clamp(EPSILON, 1.0 - EPSILON)
        return F.binary_cross_entropy(p, y, reduction="none").mean(axis=-1)

    def validate(self, y, out_shape):
        y = _match_shape(self.name, super().validate(y, out_shape), out_shape)
        if y.size and (y.min() < 0 or y.max() > 1) and not self._warned_range:
            # Keras computes the formula for any target (keras-team/keras cifar10_acgan smooths
            # its labels to U(0.7, 1.2)); class indices given by mistake get a warning
            self._warned_range = True
            warnings.warn(f"[{self.name}] labels outside [0, 1] (values in [{y.min():g}, "
                          f"{y.max():g}]): the loss is computed as Keras does, but class "
                          f"indices belong to sparse_categorical_crossentropy", stacklevel=2)
        return y


class CategoricalCrossentropy(Loss):
    kind = "cce"

    def __init__(self, from_logits=False, label_smoothing=0.0, name=None, **kwargs):
        super().__init__(name, **kwargs)
        self.from_logits = bool(from_logits)
        self.label_smoothing = _smoothing(type(self).__name__, label_smoothing)

    def fn(self, y_true, y_pred):
        y = _t(y_true)
        if self.label_smoothing:  # Keras: y * (1 - ls) + ls / num_classes
            y = y * (1.0 - self.label_smoothing) + self.label_smoothing / y_pred.shape[-1]
        if self.from_logits and y_pred.ndim == 2:
            return F.cross_entropy(y_pred, y.reshape(y_pred.shape), reduction="none")
        if self.from_logits:
            return -(y * F.log_softmax(y_pred, axis=-1)).sum(axis=-1)
        q = (y_pred / y_pred.sum(axis=-1, keepdims=True)).clamp(EPSILON, 1.0 - EPSILON)
        return -(y * q.log()).sum(axis=-1)

    def validate(self, y, out_shape):
        y = super().validate(y, out_shape)
        if y.ndim == 1 or (y.ndim == 2 and y.shape[1] == 1 and out_shape[-1] != 1):
            raise ValueError(f"[{self.name}] expects one-hot labels of shape (n, "
                             f"{out_shape[-1]}), received {y.shape}; use "
                             "'sparse_categorical_crossentropy' for integer labels or "
                             "keras.utils.to_categorical")
        return _match_shape(self.name, y, out_shape)


class SparseCategoricalCrossentropy(Loss):
    """Cross-entropy of integer labels. ignore_class (Keras 3): positions labelled with it
    add no loss and the mean is over the other positions (keras-io's translation Transformer
    ignores the padding token 0)."""
    kind = "scce"

    def __init__(self, from_logits=False, ignore_class=None, name=None, **kwargs):
        super().__init__(name, **kwargs)
        self.from_logits = bool(from_logits)
        if ignore_class is not None and (isinstance(ignore_class, bool) or
                                         not float(ignore_class).is_integer()):
            raise ValueError(f"[{type(self).__name__}] ignore_class must be an integer class "
                             f"index or None. Received: ignore_class={ignore_class!r}")
        self.ignore_class = None if ignore_class is None else int(ignore_class)

    def fn(self, y_true, y_pred):
        labels = np.asarray(y_true._data if isinstance(y_true, Tensor) else y_true)
        c = y_pred.shape[-1]
        labels = labels.reshape(-1).astype(np.int64)
        flat = y_pred.reshape(-1, c)
        if labels.size != flat.shape[0]:
            raise ValueError(f"[{self.name}] {labels.size} labels for predictions of shape "
                             f"{tuple(y_pred.shape)}")
        keep = None if self.ignore_class is None else labels != self.ignore_class
        if keep is not None:
            labels = np.where(keep, labels, 0)
        if labels.size and (labels.min() < 0 or labels.max() >= c):
            raise ValueError(f"[{self.name}] labels must be in [0, {c}), received values in "
                             f"[{labels.min()}, {labels.max()}]")
        if self.from_logits:
            per = F.cross_entropy(flat, labels, reduction="none")
        else:
            q = (flat / flat.sum(axis=-1, keepdims=True)).clamp(EPSILON, 1.0 - EPSILON)
            per = F.nll_loss(q.log(), labels, reduction="none")
        per = per.reshape(y_pred.shape[:-1])
        if keep is None:
            return per
        from .layers.masking import set_mask
        keep = keep.reshape(per.shape)
        return set_mask(per * Tensor._wrap(keep.astype(per._data.dtype)), keep)

    def validate(self, y, out_shape):
        y = np.asarray(y)
        steps = tuple(out_shape[1:-1])  # (n, steps..., classes) predictions: (n, steps...) labels
        if y.ndim == len(steps) + 2 and y.shape[-1] == 1:
            y = y[..., 0]
        if y.ndim != len(steps) + 1 or any(d is not None and d != s
                                           for d, s in zip(steps, y.shape[1:])):
            want = "(n,)" if not steps else "(n, " + ", ".join(
                "steps" if d is None else str(d) for d in steps) + ")"
            raise ValueError(f"[{self.name}] expects integer class labels of shape {want} for "
                             f"predictions of shape (None,) + {tuple(out_shape[1:])}, received "
                             f"{y.shape}; use 'categorical_crossentropy' for one-hot")
        if y.dtype.kind not in "biuf":
            raise ValueError(f"[{self.name}] labels must be numeric, received dtype {y.dtype}")
        if y.dtype.kind == "f" and not np.all(np.mod(y, 1) == 0):
            raise ValueError(f"[{self.name}] labels must be integer class indices")
        n_classes = out_shape[-1]
        seen = y if self.ignore_class is None else y[y != self.ignore_class]  # ignored: any
        if seen.size and (seen.min() < 0 or seen.max() >= n_classes):
            raise ValueError(f"[{self.name}] labels must be in [0, {n_classes}) for a model with "
                             f"{n_classes} outputs, received values in [{seen.min()}, "
                             f"{seen.max()}]")
        return np.ascontiguousarray(y, dtype=np.int64)


def mean_squared_error(y_true, y_pred):
    """Per-sample mean over the last axis of (y_pred - y_true)^2 (no batch reduction, as Keras)."""
    return MeanSquaredError(reduction="none")(y_true, y_pred)


def mean_absolute_error(y_true, y_pred):
    return MeanAbsoluteError(reduction="none")(y_true, y_pred)


def binary_crossentropy(y_true, y_pred, from_logits=False, label_smoothing=0.0):
    """Per-sample binary cross-entropy, averaged over the last axis only."""
    return BinaryCrossentropy(from_logits, label_smoothing, reduction="none")(y_true, y_pred)


def categorical_crossentropy(y_true, y_pred, from_logits=False, label_smoothing=0.0):
    return CategoricalCrossentropy(from_logits, label_smoothing, reduction="none")(y_true,
                                                                                   y_pred)


def sparse_categorical_crossentropy(y_true, y_pred, from_logits=False, ignore_class=None):
    """Per-position losses; those labelled ignore_class are 0 (and masked, as Keras 3)."""
    return SparseCategoricalCrossentropy(from_logits, ignore_class,
                                         reduction="none")(y_true, y_pred)


mse, mae = mean_squared_error, mean_absolute_error
MSE, MAE = mse, mae  # tf.keras' upper-case aliases (TensorFlow's basics guide: losses.MSE)


def same_rank(y_true, y_pred):
    """Keras' squeeze_or_expand_to_same_rank, applied before a user's loss or metric function
    sees (y_true, y_pred): when the ranks differ by one and the longer has a trailing 1, a rank-1
    side gains that axis, otherwise the trailing 1 goes. Labels (n,) for an output (n, 1) become
    (n, 1), so `y_true * y_pred` stays per sample instead of broadcasting to (n, n)."""
    r1, r2 = len(y_true.shape), len(y_pred.shape)
    if r1 == r2 + 1 and y_true.shape[-1] == 1:
        if r2 == 1:
            y_pred = y_pred.reshape(tuple(y_pred.shape) + (1,))
        else:
            y_true = y_true.reshape(tuple(y_true.shape[:-1]))
    elif r2 == r1 + 1 and y_pred.shape[-1] == 1:
        if r1 == 1:
            y_true = y_true.reshape(tuple(y_true.shape) + (1,))
        else:
            y_pred = y_pred.reshape(tuple(y_pred.shape[:-1]))
    return y_true, y_pred


class _FunctionLoss(Loss):
    """A user function fn(y_true, y_pred) used as a loss."""

    def __init__(self, fn):
        super().__init__(getattr(fn, "__name__", "loss"))
        self._fn = fn

    def fn(self, y_true, y_pred):
        out = self._fn(*same_rank(_t(y_true), y_pred))
        return out if isinstance(out, Tensor) else _t(out)


_TABLE = {"mse": MeanSquaredError, "mean_squared_error": MeanSquaredError,
          "mae": MeanAbsoluteError, "mean_absolute_error": MeanAbsoluteError,
          "binary_crossentropy": BinaryCrossentropy,
          "categorical_crossentropy": CategoricalCrossentropy,
          "sparse_categorical_crossentropy": SparseCategoricalCrossentropy}


def get(identifier):
    """A Loss from a Keras name, a Loss object, or a function fn(y_true, y_pred)."""
    if identifier is None:
        raise ValueError("[compile] a loss is required, e.g. loss='binary_crossentropy'. Valid "
                         f"names: {', '.join(sorted(_TABLE))}")
    if identifier in (mean_squared_error, mean_absolute_error, binary_crossentropy,
                      categorical_crossentropy, sparse_categorical_crossentropy,
                      *_extra.FUNCTIONS, *_more.FUNCTIONS):
        identifier = identifier.__name__
    obj = resolve("loss", identifier, _TABLE, (Loss,))
    return obj if isinstance(obj, Loss) else _FunctionLoss(obj)


# ---- Hinge, Huber, KLDivergence, CosineSimilarity, LogCosh (keras/losses_extra.py) ---------
from . import losses_extra as _extra  # noqa: E402
from .losses_extra import (CosineSimilarity, Hinge, Huber, KLDivergence, LogCosh,  # noqa: E402,F401
                           SquaredHinge, cosine_similarity, hinge, huber, kl_divergence,
                           log_cosh, squared_hinge)

KLD = kld = kl_divergence  # tf.keras' short names
_TABLE.update(_extra.NAMES)

# ---- Poisson, CategoricalHinge, focal cross-entropies, Dice, Tversky (keras/losses_more.py) --
from . import losses_more as _more  # noqa: E402
from .losses_more import (BinaryFocalCrossentropy, CategoricalFocalCrossentropy,  # noqa: E402,F401
                          CategoricalHinge, Dice, Poisson, Tversky, binary_focal_crossentropy,
                          categorical_focal_crossentropy, categorical_hinge, dice, poisson,
                          tversky)

_TABLE.update(_more.NAMES)
