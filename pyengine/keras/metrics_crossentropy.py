"""Keras 3's cross-entropy metrics: BinaryCrossentropy, CategoricalCrossentropy and
SparseCategoricalCrossentropy, the mean over samples of the loss of the same name (computed by
keras/losses.py with reduction="none", so the math exists once), also by their string names
(`metrics=["categorical_crossentropy"]`, Keras' migration guide)."""
import numpy as np

from . import losses as _losses
from . import metrics as _m


def _last_axis(axis, owner):
    if axis != -1:
        raise ValueError(f"[{owner}] only axis=-1 (the class axis last) is supported. "
                         f"Received: axis={axis!r}")


class _LossMetric(_m.MeanMetricWrapper):
    def values(self, y_true, y_pred):
        per = self._loss(y_true, y_pred.astype(np.float32, copy=False))
        return np.asarray(per._data, dtype=np.float64)


class BinaryCrossentropy(_LossMetric):
    def __init__(self, name="binary_crossentropy", dtype=None, from_logits=False,
                 label_smoothing=0.0):
        self.from_logits, self.label_smoothing = from_logits, label_smoothing
        self._loss = _losses.BinaryCrossentropy(from_logits, label_smoothing, reduction="none")
        super().__init__(name=name, dtype=dtype)


class CategoricalCrossentropy(_LossMetric):
    def __init__(self, name="categorical_crossentropy", dtype=None, from_logits=False,
                 label_smoothing=0.0, axis=-1):
        _last_axis(axis, "CategoricalCrossentropy")
        self.from_logits, self.label_smoothing, self.axis = from_logits, label_smoothing, axis
        self._loss = _losses.CategoricalCrossentropy(from_logits, label_smoothing,
                                                     reduction="none")
        super().__init__(name=name, dtype=dtype)


class SparseCategoricalCrossentropy(_LossMetric):
    def __init__(self, name="sparse_categorical_crossentropy", dtype=None, from_logits=False,
                 axis=-1):
        _last_axis(axis, "SparseCategoricalCrossentropy")
        self.from_logits, self.axis = from_logits, axis
        self._loss = _losses.SparseCategoricalCrossentropy(from_logits, reduction="none")
        super().__init__(name=name, dtype=dtype)

    def values(self, y_true, y_pred):
        return super().values(np.asarray(y_true).astype(np.int64), y_pred)


NAMES = {"binary_crossentropy": BinaryCrossentropy,
         "categorical_crossentropy": CategoricalCrossentropy,
         "sparse_categorical_crossentropy": SparseCategoricalCrossentropy}
