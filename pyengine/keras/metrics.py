"""Metrics (Keras 3's protocol, kept simple so new metrics are a few lines):

    m.update_state(...)   accumulate a batch (Tensors or arrays; sample_weight optional)
    m.result()            the value so far, a Python float (MetricValue: also .numpy(), as
                          the 0-d tensor Keras 3 returns)
    m.reset_state()       start again (fit does it at each epoch for every model.metrics entry)
    m(...)                update_state then result

`Mean` averages values; `MeanMetricWrapper(fn)` averages fn(y_true, y_pred) per sample, which is
how every per-sample metric here is written (a subclass sets `values(y_true, y_pred)` on NumPy
arrays). A metric with other state overrides reset_state / update_state / result. 'accuracy'
resolves against the loss, as Keras does: binary / categorical / sparse categorical accuracy.
Metrics assigned as attributes of a model are listed by `model.metrics`."""
import functools

import numpy as np

from ..tensor import Tensor
from .utils import snake_case


def _np(x):
    return np.asarray(x._data if isinstance(x, Tensor) else x)


def _metric_dtype(dtype, owner):
    """float32 (default) or float64: the states accumulate in float64 either way and result()
    is a Python float, at least as exact as either dtype (docs/hardening.md)."""
    if dtype is None:
        return "float32"
    from ..dtypes import as_dtype
    name = as_dtype(dtype).name
    if name not in ("float32", "float64"):
        raise ValueError(f"[{owner}] dtype={dtype!r} is not supported: a metric's dtype must be "
                         "float32 or float64")
    return name


def _pyengine_reset(cls):
    """True when the reset_state `cls` uses is one of pyengine's own."""
    for klass in cls.__mro__:
        if "reset_state" in vars(klass):
            return klass.__module__.startswith(__package__ + ".")
    return True


class MetricValue(float):
    """A metric's result: a Python float, which logs and format strings take as they are, that
    also answers `.numpy()` (a float32 scalar) as the tensor Keras 3's result() returns does
    (keras-io sklearn_metric_callbacks: `metric.result().numpy().astype(float)`)."""

    def numpy(self):
        return np.float32(self)


def _float_result(result):
    @functools.wraps(result)
    def wrapper(self):
        value = result(self)
        if isinstance(value, (float, int, np.floating, np.integer)) and \
                not isinstance(value, (bool, MetricValue)):
            return MetricValue(value)
        return value
    return wrapper


class Metric:
    kind = None  # what the fused trainer computes for this metric ('binary', 'categorical',
    #              'sparse'), or None

    def __init__(self, name=None, dtype=None):
        self.name = name or snake_case(type(self).__name__)
        self.dtype = _metric_dtype(dtype, type(self).__name__)
        self._state_variables = []
        # pyengine's own metrics create their state in reset_state. A user subclass's override
        # may read variables its __init__ creates after this call (Keras 3's Metric.__init__
        # resets nothing), so only the nearest reset_state defined by pyengine runs here.
        for klass in type(self).__mro__:
            fn = vars(klass).get("reset_state")
            if fn is not None and klass.__module__.startswith(__package__ + "."):
                fn(self)
                break

    def __init_subclass__(cls, **kwargs):
        # A subclass that keeps its state in plain attributes made by its own reset_state
        # (pyengine's documented way before Keras 3's state variables) still gets them: once
        # its outermost __init__ has returned, its reset_state runs. Not for subclasses that
        # leave reset_state to this class (it would zero a variable made with another
        # initializer, which Keras leaves as made until the first reset).
        super().__init_subclass__(**kwargs)
        # every result() that returns a number returns a MetricValue (a float with .numpy());
        # a subclass whose result() returns a tensor keeps it
        if "result" in vars(cls):
            cls.result = _float_result(vars(cls)["result"])
        init = cls.__dict__.get("__init__")
        if init is None or getattr(init, "_resets_after", False):
            return

        @functools.wraps(init)
        def wrapped(self, *args, **kw):
            depth = self.__dict__.get("_init_depth", 0)
            self.__dict__["_init_depth"] = depth + 1
            try:
                init(self, *args, **kw)
            finally:
                self.__dict__["_init_depth"] = depth
            if depth == 0 and not _pyengine_reset(type(self)):
                self.reset_state()
        wrapped._resets_after = True
        cls.__init__ = wrapped

    def add_variable(self, shape=(), initializer="zeros", dtype=None, aggregation="sum",
                     name=None):
        """A state variable (Keras 3's Metric.add_variable / add_weight): non-trainable, not
        one of the model's weights, set back to zeros by the default reset_state."""
        from . import initializers as _init
        from .layers.base import Variable
        if aggregation not in ("none", "sum", "mean", "only_first_replica"):
            raise ValueError(f"[{self.name}] add_variable: aggregation must be 'none', 'sum', "
                             f"'mean' or 'only_first_replica'. Received: {aggregation!r}")
        dtype = _metric_dtype(dtype, self.name)
        if dtype != "float32":
            raise ValueError(f"[{self.name}] add_variable: state variables are float32 "
                             f"(Keras weights here). Received: dtype={dtype}")
        shape = tuple(int(d) for d in (shape or ()))
        arr = np.array(_init.get(initializer or "zeros")(shape, "float32"), dtype=np.float32,
                       order="C")  # (ascontiguousarray would make a scalar state 1-D)
        v = Variable(Tensor._wrap(arr), requires_grad=False)
        v.path = f"{self.name}/{name or 'variable'}"
        self._state_variables.append(v)
        return v

    def add_weight(self, shape=(), initializer=None, dtype=None, name=None):
        return self.add_variable(shape, initializer, dtype, name=name)

    @property
    def variables(self):
        return list(getattr(self, "_state_variables", ()))

    def reset_state(self):
        """Keras 3's default: every state variable back to zeros."""
        for v in self.variables:
            v.assign(np.zeros(v.shape, np.float32))

    def reset_states(self):  # Keras 2 spelling; runs a subclass's reset_state
        self.reset_state()

    def update_state(self, *args, **kwargs):
        raise NotImplementedError

    def result(self):
        raise NotImplementedError

    last_called = None  # the metric whose __call__ ran last (Layer.add_metric recognises it)

    def __call__(self, *args, **kwargs):
        self.update_state(*args, **kwargs)
        Metric.last_called = self
        return self.result()

    def __repr__(self):
        return f"<{type(self).__name__} name={self.name}>"


class Mean(Metric):
    """The (weighted) mean of every value given to update_state."""

    def reset_state(self):
        self.total, self.count = 0.0, 0.0

    def update_state(self, values, sample_weight=None):
        v = _np(values).astype(np.float64)
        if sample_weight is None:
            self.total += float(v.sum())
            self.count += float(v.size)
            return
        w = _np(sample_weight).astype(np.float64)
        while w.ndim > v.ndim and w.shape[-1] == 1:  # (N, 1) weights for (N,) values, as Keras
            w = w[..., 0]
        if 0 < w.ndim < v.ndim and w.shape == v.shape[:w.ndim]:
            # one weight per sample for (N, steps...) values: Keras 3 weighs each sample's mean
            # (broadcasting (N,) against the last axis instead was wrong, silently when N ==
            # steps)
            w = w.reshape(w.shape + (1,) * (v.ndim - w.ndim))
        w = np.broadcast_to(w, v.shape) if v.ndim else w
        self.total += float((v * w).sum())
        self.count += float(np.sum(w)) if v.ndim else float(w)

    def result(self):
        return self.total / self.count if self.count else 0.0


class Sum(Mean):
    """The sum of every value given to update_state."""

    def result(self):
        return self.total


class MeanMetricWrapper(Mean):
    """Mean over samples of fn(y_true, y_pred) (fn on NumPy arrays, one value per sample)."""

    def __init__(self, fn=None, name=None, dtype=None, **fn_kwargs):
        self._fn, self._fn_kwargs = fn, fn_kwargs
        super().__init__(name or getattr(fn, "__name__", None), dtype)

    def values(self, y_true, y_pred):
        return self._fn(y_true, y_pred, **self._fn_kwargs)

    def update_state(self, y_true, y_pred, sample_weight=None):
        values = self.values(_np(y_true), _np(y_pred))
        if sample_weight is not None:
            # Keras 3: a masked y_pred's mask multiplies the sample weights; without weights
            # the mask is not used (`metrics=` of compile get none: every position counts,
            # `weighted_metrics=` with sample_weight / class_weight count the unmasked ones)
            from .layers.masking import mask_weights
            mask = mask_weights(y_pred, np.shape(values), self.name)
            if mask is not None:
                w = _np(sample_weight).astype(np.float32)
                w = w.reshape(w.shape + (1,) * (mask.ndim - w.ndim)) if w.ndim < mask.ndim else w
                sample_weight = mask * w
        super().update_state(values, sample_weight)


class Accuracy(MeanMetricWrapper):
    """keras.metrics.Accuracy: how often y_pred EQUALS y_true, value for value (labels against
    predicted labels; on probabilities it is near 0, as in Keras). The string 'accuracy' in
    compile is not this: it picks the binary / categorical / sparse accuracy that fits."""

    def __init__(self, name="accuracy", dtype=None):
        super().__init__(name=name, dtype=dtype)

    def values(self, y, p):
        if y.ndim == p.ndim + 1 and y.shape[-1] == 1:  # Keras squeezes / expands to one rank
            y = y[..., 0]
        elif p.ndim == y.ndim + 1 and p.shape[-1] == 1:
            p = p[..., 0]
        eq = (p == y.astype(p.dtype).reshape(p.shape)).astype(np.float32)
        return eq.mean(axis=-1) if eq.ndim > 1 else eq


class BinaryAccuracy(MeanMetricWrapper):
    kind = "binary"

    def __init__(self, name="binary_accuracy", dtype=None, threshold=0.5):
        self.threshold = threshold
        super().__init__(name=name, dtype=dtype)

    def values(self, y, p):
        """Keras': mean over the last axis of y_true == (y_pred > threshold), y_true compared
        exactly (a soft label such as 0.9 matches neither class) and broadcast (a scalar
        y_true, keras-io GAN-ADA's `real_accuracy.update_state(1.0, step(logits))`)."""
        y = np.asarray(y)
        if y.ndim == p.ndim - 1:
            y = y[..., None]
        elif y.ndim == p.ndim + 1 and y.shape[-1] == 1:
            y = y[..., 0]
        elif y.ndim == p.ndim and y.shape != p.shape and y.size == p.size:
            y = y.reshape(p.shape)
        if y.dtype == bool:
            y = y.astype(np.float32)
        return (y == (p > self.threshold)).mean(axis=-1)


class CategoricalAccuracy(MeanMetricWrapper):
    kind = "categorical"

    def __init__(self, name="categorical_accuracy", dtype=None):
        super().__init__(name=name, dtype=dtype)

    def values(self, y, p):
        return p.argmax(-1) == y.argmax(-1)


class ShapeAccuracy(MeanMetricWrapper):
    """'accuracy' beside a loss that does not say which accuracy fits (a custom function, or
    no loss): chosen from the data's shapes as Keras 3 does: one output unit is binary
    accuracy, labels of lower rank than the predictions (or one label column for several
    units) sparse categorical, anything else categorical. (It used to be categorical whatever
    the shapes: on one sigmoid unit that compares argmaxes of length 1, always equal, and
    reported 1.0.)"""

    def __init__(self, name="accuracy", dtype=None):
        super().__init__(name=name, dtype=dtype)

    def values(self, y, p):
        if p.ndim == 0 or p.shape[-1] == 1:
            return BinaryAccuracy.values(self, y, p) if p.ndim else (p > 0.5) == (y > 0.5)
        if y.ndim < p.ndim or (y.shape[-1] == 1 and p.shape[-1] != 1):
            return SparseCategoricalAccuracy.values(self, y, p)
        return CategoricalAccuracy.values(self, y, p)

    threshold = 0.5  # BinaryAccuracy.values reads it


class SparseCategoricalAccuracy(MeanMetricWrapper):
    kind = "sparse"

    def __init__(self, name="sparse_categorical_accuracy", dtype=None):
        super().__init__(name=name, dtype=dtype)

    def values(self, y, p):
        return p.argmax(-1) == y.reshape(p.shape[:-1])


def _targets_like(y, p):
    """Regression targets laid out as the predictions p: reshaped when they hold as many
    values, else given trailing axes of 1 to broadcast against p (one target per sample
    against several outputs, as the MSE / MAE losses read it)."""
    if y.size == p.size:
        return y.reshape(p.shape)
    return y.reshape(y.shape + (1,) * max(p.ndim - y.ndim, 0))


class MeanSquaredError(MeanMetricWrapper):
    def __init__(self, name="mean_squared_error", dtype=None):
        super().__init__(name=name, dtype=dtype)

    def values(self, y, p):
        return ((p - _targets_like(y, p)) ** 2).mean(axis=-1)


class MeanAbsoluteError(MeanMetricWrapper):
    def __init__(self, name="mean_absolute_error", dtype=None):
        super().__init__(name=name, dtype=dtype)

    def values(self, y, p):
        return np.abs(p - _targets_like(y, p)).mean(axis=-1)


_TABLE = {"binary_accuracy": BinaryAccuracy, "categorical_accuracy": CategoricalAccuracy,
          "sparse_categorical_accuracy": SparseCategoricalAccuracy,
          "mse": MeanSquaredError, "mean_squared_error": MeanSquaredError,
          "mae": MeanAbsoluteError, "mean_absolute_error": MeanAbsoluteError}


def get(identifier, loss=None):
    """A Metric from a name ('accuracy' picks the accuracy that fits `loss`), a Metric, or a
    function fn(y_true, y_pred) (wrapped in MeanMetricWrapper)."""
    if isinstance(identifier, Metric):
        return identifier
    if isinstance(identifier, str) and identifier.lower() in ("accuracy", "acc"):
        # beside mean squared error (or no known loss) the shapes decide, as in every Keras:
        # binary on one unit, categorical on one-hot rows (mse on 11 units is not 11 binary
        # decisions)
        kind = getattr(loss, "kind", None)
        cls = {"bce": BinaryAccuracy, "cce": CategoricalAccuracy,
               "scce": SparseCategoricalAccuracy}.get(kind, ShapeAccuracy)
        return cls(name=identifier.lower())
    if isinstance(identifier, str):
        key = identifier.lower()
        if key not in _TABLE:
            raise ValueError(f"[metric] unknown metric '{identifier}'. Valid names: accuracy, "
                             f"acc, {', '.join(sorted(_TABLE))}")
        m = _TABLE[key]()
        m.name = identifier
        return m
    if callable(identifier) and not isinstance(identifier, type):
        def fn(y, p):
            from .losses import same_rank
            out = identifier(*same_rank(y, p))
            return _np(out)
        return MeanMetricWrapper(fn, name=getattr(identifier, "__name__", "metric"))
    raise TypeError(f"[metric] expected a metric name, Metric object or function, received "
                    f"{identifier!r}")


# ---- metrics with their own state (keras/metrics_extra.py), registered by name ---------------
from .metrics_extra import (AUC, F1Score, FBetaScore, MeanAbsolutePercentageError,  # noqa: E402
                            Precision, Recall, RootMeanSquaredError,
                            SparseTopKCategoricalAccuracy, TopKCategoricalAccuracy)
from .metrics_extra import (FalseNegatives, FalsePositives, TrueNegatives,  # noqa: E402
                            TruePositives)
from .metrics_extra import NAMES as _EXTRA_NAMES  # noqa: E402

_TABLE.update(_EXTRA_NAMES)

# ---- IoU family, R2Score, per-sample metric forms of losses, *At* confusion metrics ----------
from .metrics_more import (BinaryIoU, CategoricalHinge, CosineSimilarity, Hinge,  # noqa: E402
                           IoU, KLDivergence, LogCoshError, MeanIoU, OneHotIoU, OneHotMeanIoU,
                           Poisson, PrecisionAtRecall, R2Score, RecallAtPrecision,
                           SensitivityAtSpecificity, SpecificityAtSensitivity, SquaredHinge)
from .metrics_more import NAMES as _MORE_NAMES  # noqa: E402

_TABLE.update(_MORE_NAMES)

# ---- cross-entropy metrics (the losses' mean over samples), keras/metrics_crossentropy.py ---
from .metrics_crossentropy import (BinaryCrossentropy, CategoricalCrossentropy,  # noqa: E402
                                   SparseCategoricalCrossentropy)
from .metrics_crossentropy import NAMES as _CE_NAMES  # noqa: E402

_TABLE.update(_CE_NAMES)
