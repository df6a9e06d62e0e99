"""Keras metrics with their own state (confusion counts): Precision, Recall, AUC, F1Score /
FBetaScore; top-k accuracies; a few per-sample metrics. Keras 3's definitions; registered in
keras.metrics (names and objects). Inputs may be Tensors or arrays; sample_weight weighs each
sample."""
import numpy as np

from . import metrics as _m

_EPS = 1e-7


def _weights(sample_weight, shape):
    """sample_weight broadcast against `shape` (one weight per sample, or per element)."""
    if sample_weight is None:
        return np.ones(shape)
    w = _m._np(sample_weight).astype(np.float64)
    if w.ndim and w.shape[0] != shape[0]:
        raise ValueError(f"[metric] sample_weight has {w.shape[0]} entries for a batch of "
                         f"{shape[0]} samples")
    w = w.reshape(w.shape + (1,) * (len(shape) - w.ndim)) if w.ndim < len(shape) else w
    return np.broadcast_to(w, shape)


def _div(a, b):
    a, b = np.asarray(a, np.float64), np.asarray(b, np.float64)
    return np.where(b > 0, a / np.where(b > 0, b, 1.0), 0.0)


class _Confusion(_m.Metric):
    """Counts of tp / fp / fn / tn at one or several thresholds (prediction > threshold), over
    every element, or over one class (class_id), or over each row's top_k predictions."""

    def __init__(self, thresholds=None, top_k=None, class_id=None, name=None, dtype=None):
        self._list = isinstance(thresholds, (list, tuple))
        t = [0.5] if thresholds is None else (list(thresholds) if self._list else [thresholds])
        for v in t:
            if not 0.0 <= float(v) <= 1.0:
                raise ValueError(f"[{type(self).__name__}] thresholds must be in [0, 1]. "
                                 f"Received: {thresholds}")
        if top_k is not None and (not isinstance(top_k, int) or top_k < 1):
            raise ValueError(f"[{type(self).__name__}] top_k must be a positive int. Received: "
                             f"top_k={top_k!r}")
        # Keras' attribute: 0.5 by default, else as given (a float or a list): also what
        # model.save writes for the compile config (saving_state reads constructor arguments)
        self.thresholds = 0.5 if thresholds is None else \
            ([float(v) for v in t] if self._list else float(thresholds))
        self._thresholds = np.asarray(t, np.float64)
        self.top_k, self.class_id = top_k, class_id
        super().__init__(name, dtype)

    def reset_state(self):
        n = len(self._thresholds)
        self.tp, self.fp, self.fn, self.tn = (np.zeros(n) for _ in range(4))

    def _prepare(self, y_true, y_pred):
        y = _m._np(y_true).astype(np.float64)
        p = _m._np(y_pred).astype(np.float64)
        if y.size != p.size:
            raise ValueError(f"[{self.name}] y_true has shape {y.shape} but y_pred {p.shape}")
        y = y.reshape(p.shape)
        if self.top_k is not None:
            if p.ndim < 1:
                raise ValueError(f"[{self.name}] top_k needs predictions with a class axis")
            kth = np.sort(p, axis=-1)[..., -self.top_k][..., None]
            p = np.where(p >= kth, p, -np.inf)
        if self.class_id is not None:
            y, p = y[..., self.class_id], p[..., self.class_id]
        return y, p

    def update_state(self, y_true, y_pred, sample_weight=None):
        y, p = self._prepare(y_true, y_pred)
        w = _weights(sample_weight, y.shape).reshape(-1)
        y, p = (y.reshape(-1) > 0.5), p.reshape(-1)
        above = p[None, :] > self._thresholds[:, None]
        self.tp += (above & y).astype(np.float64) @ w
        self.fp += (above & ~y).astype(np.float64) @ w
        self.fn += (~above & y).astype(np.float64) @ w
        self.tn += (~above & ~y).astype(np.float64) @ w

    def _out(self, v):
        return [float(x) for x in v] if self._list else float(v[0])


class Precision(_Confusion):
    """tp / (tp + fp), predictions counted positive above `thresholds` (default 0.5)."""

    def __init__(self, thresholds=None, top_k=None, class_id=None, name="precision", dtype=None):
        super().__init__(thresholds, top_k, class_id, name, dtype)

    def result(self):
        return self._out(_div(self.tp, self.tp + self.fp))


class Recall(_Confusion):
    """tp / (tp + fn)."""

    def __init__(self, thresholds=None, top_k=None, class_id=None, name="recall", dtype=None):
        super().__init__(thresholds, top_k, class_id, name, dtype)

    def result(self):
        return self._out(_div(self.tp, self.tp + self.fn))


class _Count(_Confusion):
    """One confusion count (weighted), at `thresholds` (default 0.5)."""
    count = None

    def __init__(self, thresholds=None, name=None, dtype=None):
        super().__init__(thresholds, None, None, name, dtype)

    def result(self):
        return self._out(getattr(self, self.count))


class TruePositives(_Count):
    count = "tp"


class FalsePositives(_Count):
    count = "fp"


class TrueNegatives(_Count):
    count = "tn"


class FalseNegatives(_Count):
    count = "fn"


class AUC(_Confusion):
    """Area under the ROC or PR curve, from confusion counts at `num_thresholds` thresholds
    spread over [0, 1] (plus -eps and 1 + eps), summed as Keras does: 'interpolation'
    (trapezoids for ROC; Davis & Goadrich for PR), 'minoring' or 'majoring'. from_logits
    applies a sigmoid first. multi_label=True averages one AUC per label column."""

    def __init__(self, num_thresholds=200, curve="ROC", summation_method="interpolation",
                 name="auc", dtype=None, thresholds=None, multi_label=False, num_labels=None,
                 label_weights=None, from_logits=False):
        if curve not in ("ROC", "PR"):
            raise ValueError(f"[AUC] curve must be 'ROC' or 'PR'. Received: curve={curve!r}")
        if summation_method not in ("interpolation", "minoring", "majoring"):
            raise ValueError(f"[AUC] invalid summation_method {summation_method!r}")
        if label_weights is not None:
            raise ValueError("[AUC] label_weights is not supported")
        if num_labels is not None and (not isinstance(num_labels, (int, np.integer))
                                       or isinstance(num_labels, bool) or num_labels < 1):
            raise ValueError(f"[AUC] num_labels must be a positive int. Received: "
                             f"num_labels={num_labels!r}")
        # multi_label: the label columns every batch must have (None: the first batch's)
        self.num_labels = None if num_labels is None else int(num_labels)
        if thresholds is None:
            if num_thresholds <= 1:
                raise ValueError(f"[AUC] num_thresholds must be > 1. Received: {num_thresholds}")
            inner = [(i + 1) / (num_thresholds - 1) for i in range(num_thresholds - 2)]
        else:
            inner = sorted(float(t) for t in thresholds)
        self.curve, self.summation_method = curve, summation_method
        self.multi_label, self.from_logits = multi_label, from_logits
        self.num_thresholds = len(inner) + 2
        self._labels = None
        super().__init__([0.0], None, None, name, dtype)
        self._thresholds = np.asarray([-_EPS] + inner + [1.0 + _EPS])
        self.thresholds = None if thresholds is None else inner  # the constructor's value
        self._list = False
        self.reset_state()

    def reset_state(self):
        super().reset_state()
        self._per_label = None

    def update_state(self, y_true, y_pred, sample_weight=None):
        p = _m._np(y_pred).astype(np.float64)
        if self.from_logits:
            p = 1.0 / (1.0 + np.exp(-p))
        if not self.multi_label:
            return super().update_state(y_true, p, sample_weight)
        y = _m._np(y_true).astype(np.float64).reshape(p.shape)
        want = self.num_labels if self._per_label is None else len(self._per_label)
        if want is not None and p.shape[-1] != want:
            raise ValueError(f"[AUC] multi_label expects {want} label columns"
                             f"{' (num_labels)' if self._per_label is None else ''}, received "
                             f"y_pred of shape {p.shape}")
        if self._per_label is None:
            self._per_label = [AUC(self.num_thresholds, self.curve, self.summation_method)
                               for _ in range(p.shape[-1])]
            for a in self._per_label:
                a._thresholds = self._thresholds
                a.reset_state()
        for j, a in enumerate(self._per_label):
            a.update_state(y[..., j], p[..., j], sample_weight)

    def result(self):
        if self.multi_label:
            return float(np.mean([a.result() for a in self._per_label])) if self._per_label \
                else 0.0
        tp, fp, fn, tn = self.tp, self.fp, self.fn, self.tn
        if self.curve == "PR" and self.summation_method == "interpolation":
            dtp = tp[:-1] - tp[1:]
            p = tp + fp
            dp = p[:-1] - p[1:]
            slope = _div(dtp, np.maximum(dp, 0))
            intercept = tp[1:] - slope * p[1:]
            ratio = np.where((p[:-1] > 0) & (p[1:] > 0), _div(p[:-1], np.maximum(p[1:], 0)), 1.0)
            inc = _div(slope * (dtp + intercept * np.log(ratio)), np.maximum(tp[1:] + fn[1:], 0))
            return float(inc.sum())
        recall = _div(tp, tp + fn)
        if self.curve == "ROC":
            x, y = _div(fp, fp + tn), recall
        else:
            x, y = recall, _div(tp, tp + fp)
        if self.summation_method == "interpolation":
            h = (y[:-1] + y[1:]) / 2.0
        elif self.summation_method == "minoring":
            h = np.minimum(y[:-1], y[1:])
        else:
            h = np.maximum(y[:-1], y[1:])
        return float(((x[:-1] - x[1:]) * h).sum())


class FBetaScore(_m.Metric):
    """F-beta per class from thresholded predictions (threshold None: each row's largest
    prediction is the positive one); average None (one value per class, an array), 'micro',
    'macro' or 'weighted' (by each class's true count)."""

    def __init__(self, average=None, beta=1.0, threshold=None, name="fbeta_score", dtype=None):
        if average not in (None, "micro", "macro", "weighted"):
            raise ValueError(f"[{type(self).__name__}] invalid average {average!r}: expected "
                             "None, 'micro', 'macro' or 'weighted'")
        if not beta > 0:
            raise ValueError(f"[{type(self).__name__}] beta must be > 0. Received: beta={beta}")
        self.average, self.beta, self.threshold = average, float(beta), threshold
        super().__init__(name, dtype)

    def reset_state(self):
        self.tp = self.fp = self.fn = self.support = None

    def update_state(self, y_true, y_pred, sample_weight=None):
        p = _m._np(y_pred).astype(np.float64)
        y = _m._np(y_true).astype(np.float64)
        if p.ndim != 2 or y.shape != p.shape:
            raise ValueError(f"[{self.name}] expects y_true and y_pred of shape (batch, classes); "
                             f"received {y.shape} and {p.shape}")
        if self.threshold is None:
            pred = (p == p.max(axis=-1, keepdims=True)).astype(np.float64)
        else:
            pred = (p > self.threshold).astype(np.float64)
        w = _weights(sample_weight, y.shape)
        sums = [(pred * y * w).sum(0), (pred * (1 - y) * w).sum(0), ((1 - pred) * y * w).sum(0),
                (y * w).sum(0)]
        if self.tp is None:
            self.tp, self.fp, self.fn, self.support = sums
        else:
            self.tp, self.fp, self.fn, self.support = (a + b for a, b in
                                                       zip((self.tp, self.fp, self.fn,
                                                            self.support), sums))

    def result(self):
        if self.tp is None:
            return 0.0
        tp, fp, fn = self.tp, self.fp, self.fn
        if self.average == "micro":
            tp, fp, fn = tp.sum(), fp.sum(), fn.sum()
        precision, recall = _div(tp, tp + fp), _div(tp, tp + fn)
        b2 = self.beta ** 2
        f = _div((1 + b2) * precision * recall, b2 * precision + recall)
        if self.average == "weighted":
            return float((f * _div(self.support, self.support.sum())).sum())
        if self.average == "macro":
            return float(f.mean())
        return float(f) if self.average == "micro" else f


class F1Score(FBetaScore):
    def __init__(self, average=None, threshold=None, name="f1_score", dtype=None):
        super().__init__(average, 1.0, threshold, name, dtype)


class TopKCategoricalAccuracy(_m.MeanMetricWrapper):
    """1 when the true class (one-hot y_true) is among the k largest predictions."""

    def __init__(self, k=5, name="top_k_categorical_accuracy", dtype=None):
        self.k = k
        super().__init__(name=name, dtype=dtype)

    def values(self, y, p):
        return _in_top_k(p, y.reshape(p.shape).argmax(-1), self.k)


class SparseTopKCategoricalAccuracy(_m.MeanMetricWrapper):
    """1 when the true class (integer y_true) is among the k largest predictions."""

    def __init__(self, k=5, name="sparse_top_k_categorical_accuracy", dtype=None):
        self.k = k
        super().__init__(name=name, dtype=dtype)

    def values(self, y, p):
        return _in_top_k(p, y.reshape(p.shape[:-1]).astype(np.int64), self.k)


def _in_top_k(p, labels, k):
    target = np.take_along_axis(p, labels[..., None], -1)
    return ((p > target).sum(-1) < k).astype(np.float64)


class MeanAbsolutePercentageError(_m.MeanMetricWrapper):
    def __init__(self, name="mean_absolute_percentage_error", dtype=None):
        super().__init__(name=name, dtype=dtype)

    def values(self, y, p):
        y = y.reshape(p.shape)
        return 100.0 * np.abs((y - p) / np.maximum(np.abs(y), _EPS)).mean(-1)


class RootMeanSquaredError(_m.Mean):
    """sqrt of the (weighted) mean squared error over all elements."""

    def __init__(self, name="root_mean_squared_error", dtype=None):
        super().__init__(name, dtype)

    def update_state(self, y_true, y_pred, sample_weight=None):
        p = _m._np(y_pred).astype(np.float64)
        y = _m._np(y_true).astype(np.float64).reshape(p.shape)
        w = None if sample_weight is None else _weights(sample_weight, p.shape)
        super().update_state((p - y) ** 2, w)

    def result(self):
        return float(np.sqrt(super().result()))


NAMES = {"true_positives": TruePositives, "false_positives": FalsePositives,
         "true_negatives": TrueNegatives, "false_negatives": FalseNegatives, "auc": AUC, "precision": Precision, "recall": Recall, "f1_score": F1Score,
         "fbeta_score": FBetaScore, "top_k_categorical_accuracy": TopKCategoricalAccuracy,
         "sparse_top_k_categorical_accuracy": SparseTopKCategoricalAccuracy,
         "mape": MeanAbsolutePercentageError,
         "mean_absolute_percentage_error": MeanAbsolutePercentageError,
         "root_mean_squared_error": RootMeanSquaredError, "mean": _m.Mean, "sum": _m.Sum}
