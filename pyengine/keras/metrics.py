"""Metrics by Keras name. Each keeps a running (total, count) over NumPy outputs:
update_state(y_true, y_pred), result(), reset_state(). 'accuracy' resolves against the loss, as
Keras does: binary / categorical / sparse categorical accuracy."""
import numpy as np

from .utils import as_array


class Metric:
    kind = None

    def __init__(self, name=None):
        self.name = name or type(self).__name__
        self.reset_state()

    def reset_state(self):
        self.total, self.count = 0.0, 0

    def update_state(self, y_true, y_pred, sample_weight=None):
        v = self.values(np.asarray(y_true), as_array(y_pred))
        self.total += float(np.sum(v))
        self.count += int(np.size(v))

    def result(self):
        return self.total / max(self.count, 1)


class BinaryAccuracy(Metric):
    kind = "binary"

    def __init__(self, name="binary_accuracy", threshold=0.5):
        self.threshold = threshold
        super().__init__(name)

    def values(self, y, p):
        return ((p > self.threshold) == (y.reshape(p.shape) > 0.5)).mean(axis=-1)


class CategoricalAccuracy(Metric):
    kind = "categorical"

    def __init__(self, name="categorical_accuracy"):
        super().__init__(name)

    def values(self, y, p):
        return p.argmax(-1) == y.argmax(-1)


class SparseCategoricalAccuracy(Metric):
    kind = "sparse"

    def __init__(self, name="sparse_categorical_accuracy"):
        super().__init__(name)

    def values(self, y, p):
        return p.argmax(-1) == y.reshape(-1)


class MeanSquaredError(Metric):
    def __init__(self, name="mean_squared_error"):
        super().__init__(name)

    def values(self, y, p):
        return ((p - y.reshape(p.shape)) ** 2).mean(axis=-1)


class MeanAbsoluteError(Metric):
    def __init__(self, name="mean_absolute_error"):
        super().__init__(name)

    def values(self, y, p):
        return np.abs(p - y.reshape(p.shape)).mean(axis=-1)


_TABLE = {"binary_accuracy": BinaryAccuracy, "categorical_accuracy": CategoricalAccuracy,
          "sparse_categorical_accuracy": SparseCategoricalAccuracy,
          "mse": MeanSquaredError, "mean_squared_error": MeanSquaredError,
          "mae": MeanAbsoluteError, "mean_absolute_error": MeanAbsoluteError}


def get(identifier, loss=None):
    if isinstance(identifier, Metric):
        return identifier
    if isinstance(identifier, str) and identifier.lower() in ("accuracy", "acc"):
        kind = getattr(loss, "kind", None)
        cls = {"bce": BinaryAccuracy, "scce": SparseCategoricalAccuracy}.get(kind,
                                                                             CategoricalAccuracy)
        if kind == "mse":
            cls = BinaryAccuracy
        return cls(name=identifier.lower())
    if isinstance(identifier, str):
        key = identifier.lower()
        if key not in _TABLE:
            raise ValueError(f"[metric] unknown metric '{identifier}'. Valid names: accuracy, "
                             f"acc, {', '.join(sorted(_TABLE))}")
        m = _TABLE[key]()
        m.name = identifier
        return m
    raise TypeError(f"[metric] expected a metric name or Metric object, received {identifier!r}")
