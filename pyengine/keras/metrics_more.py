"""More Keras 3 metrics, on NumPy (float64 states, results as Python floats):

- per-sample means (MeanMetricWrapper): CosineSimilarity, Hinge, SquaredHinge,
  CategoricalHinge, KLDivergence, Poisson, LogCoshError (Keras' metric forms of the losses);
- R2Score (coefficient of determination; class_aggregation, num_regressors for adjusted R2);
- the IoU family over a weighted confusion matrix: IoU, MeanIoU, BinaryIoU, OneHotIoU,
  OneHotMeanIoU. IoU of class c = tp / (tp + fp + fn); the result is the mean over the target
  classes that occur (denominator > 0), with Keras 3's epsilon (1e-7) in both divisions;
- PrecisionAtRecall, RecallAtPrecision, SensitivityAtSpecificity, SpecificityAtSensitivity:
  confusion counts at num_thresholds thresholds ([0.5] for one; else 0, (i + 1) / (n - 1) for
  i < n - 2, and 1; a prediction counts positive above a threshold), and the best dependent
  rate among the thresholds whose constrained rate is >= the given value (0 when none is)."""
import numpy as np

from . import metrics as _m
from .metrics_extra import _Confusion, _div, _weights

_EPS = 1e-7


def _pm1(y):
    """Hinge labels: {0, 1} become {-1, 1} as Keras converts them."""
    return 2.0 * y - 1.0 if y.size and np.isin(y, (0, 1)).all() else y


class _PerSample(_m.MeanMetricWrapper):
    default_name = None

    def __init__(self, name=None, dtype=None):
        super().__init__(name=name or self.default_name, dtype=dtype)


class Hinge(_PerSample):
    default_name = "hinge"

    def __init__(self, name="hinge", dtype=None):
        super().__init__(name, dtype)

    def values(self, y, p):
        return np.maximum(1.0 - _pm1(y.reshape(p.shape)) * p, 0.0).mean(-1)


class SquaredHinge(_PerSample):
    def __init__(self, name="squared_hinge", dtype=None):
        super().__init__(name, dtype)

    def values(self, y, p):
        return np.square(np.maximum(1.0 - _pm1(y.reshape(p.shape)) * p, 0.0)).mean(-1)


class CategoricalHinge(_PerSample):
    def __init__(self, name="categorical_hinge", dtype=None):
        super().__init__(name, dtype)

    def values(self, y, p):
        y = y.reshape(p.shape)
        return np.maximum(((1.0 - y) * p).max(-1) - (y * p).sum(-1) + 1.0, 0.0)


class KLDivergence(_PerSample):
    def __init__(self, name="kl_divergence", dtype=None):
        super().__init__(name, dtype)

    def values(self, y, p):
        y = np.clip(y.reshape(p.shape), _EPS, 1.0)
        return (y * np.log(y / np.clip(p, _EPS, 1.0))).sum(-1)


class Poisson(_PerSample):
    def __init__(self, name="poisson", dtype=None):
        super().__init__(name, dtype)

    def values(self, y, p):
        return (p - y.reshape(p.shape) * np.log(p + _EPS)).mean(-1)


class LogCoshError(_PerSample):
    def __init__(self, name="logcosh", dtype=None):
        super().__init__(name, dtype)

    def values(self, y, p):
        e = p - y.reshape(p.shape)
        return (e + np.logaddexp(0.0, -2.0 * e) - np.log(2.0)).mean(-1)


class CosineSimilarity(_PerSample):
    """Mean cosine similarity between y_true and y_pred along `axis` (1: same direction)."""

    def __init__(self, name="cosine_similarity", dtype=None, axis=-1):
        if isinstance(axis, bool) or not isinstance(axis, (int, np.integer)):
            raise ValueError(f"[CosineSimilarity] axis must be an int. Received: axis={axis!r}")
        self.axis = int(axis)
        super().__init__(name, dtype)

    def values(self, y, p):
        y = y.reshape(p.shape)

        def unit(a):
            return a / np.sqrt(np.maximum((a * a).sum(self.axis, keepdims=True), 1e-12))
        return (unit(y) * unit(p)).sum(self.axis)


# ---- R2Score ---------------------------------------------------------------------------------
class R2Score(_m.Metric):
    """1 - SS_res / SS_tot per output column (inputs (n,) or (n, outputs)), aggregated by
    class_aggregation: 'uniform_average' (mean), 'variance_weighted_average' (weighted by each
    column's SS_tot) or None (one value per column, a list). num_regressors > 0 gives the
    adjusted R2, 1 - (1 - R2) (n - 1) / (n - p - 1), when n - p - 1 > 0."""

    def __init__(self, class_aggregation="uniform_average", num_regressors=0, name="r2_score",
                 dtype=None):
        if class_aggregation not in (None, "uniform_average", "variance_weighted_average"):
            raise ValueError("[R2Score] class_aggregation must be None, 'uniform_average' or "
                             "'variance_weighted_average'. Received: class_aggregation="
                             f"{class_aggregation!r}")
        if isinstance(num_regressors, bool) or not isinstance(num_regressors, (int, np.integer)) \
                or num_regressors < 0:
            raise ValueError(f"[R2Score] num_regressors must be an int >= 0. Received: "
                             f"num_regressors={num_regressors!r}")
        self.class_aggregation, self.num_regressors = class_aggregation, int(num_regressors)
        super().__init__(name, dtype)

    def reset_state(self):
        self.num_samples = 0
        self.sum = self.squared_sum = self.total_mse = self.count = None

    def update_state(self, y_true, y_pred, sample_weight=None):
        y = _m._np(y_true).astype(np.float64)
        p = _m._np(y_pred).astype(np.float64)
        y = y[:, None] if y.ndim == 1 else y
        p = p[:, None] if p.ndim == 1 else p
        if y.ndim != 2 or y.shape != p.shape:
            raise ValueError(f"[R2Score] expects y_true and y_pred of the same shape (n,) or "
                             f"(n, outputs); received {_m._np(y_true).shape} and "
                             f"{_m._np(y_pred).shape}")
        if self.sum is not None and y.shape[1] != self.sum.shape[0]:
            raise ValueError(f"[R2Score] got {y.shape[1]} output columns after "
                             f"{self.sum.shape[0]} in earlier batches")
        w = _weights(sample_weight, y.shape)
        sums = [(y * w).sum(0), (y * y * w).sum(0), ((y - p) ** 2 * w).sum(0), w.sum(0)]
        if self.sum is None:
            self.sum, self.squared_sum, self.total_mse, self.count = sums
        else:
            self.sum, self.squared_sum, self.total_mse, self.count = (
                a + b for a, b in zip((self.sum, self.squared_sum, self.total_mse, self.count),
                                      sums))
        self.num_samples += y.shape[0]

    def result(self):
        if self.sum is None:
            return 0.0
        mean = _div(self.sum, self.count)
        total = self.squared_sum - self.sum * mean
        with np.errstate(divide="ignore", invalid="ignore"):
            raw = 1.0 - self.total_mse / total
        raw = np.where(np.isinf(raw), 0.0, raw)
        if self.class_aggregation == "uniform_average":
            r2 = float(np.mean(raw))
        elif self.class_aggregation == "variance_weighted_average":
            r2 = float(_div((raw * total).sum(), total.sum()))
        else:
            r2 = raw
        n, k = self.num_samples, self.num_regressors
        if k and n - k - 1 > 0:
            r2 = 1.0 - (1.0 - r2) * (n - 1) / (n - k - 1)
        return [float(v) for v in r2] if isinstance(r2, np.ndarray) else float(r2)


# ---- IoU family ------------------------------------------------------------------------------
def _class_count(v, owner):
    if isinstance(v, bool) or not isinstance(v, (int, np.integer)) or v < 1:
        raise ValueError(f"[{owner}] num_classes must be a positive int. Received: "
                         f"num_classes={v!r}")
    return int(v)


class IoU(_m.Metric):
    """Intersection over union of the classes in target_class_ids, from a confusion matrix
    accumulated over every element (weighted by sample_weight). Labels are class indices
    (sparse_y_true / sparse_y_pred False: argmax over `axis` first); ignore_class positions
    count for nothing."""

    def __init__(self, num_classes, target_class_ids, name=None, dtype=None, ignore_class=None,
                 sparse_y_true=True, sparse_y_pred=True, axis=-1):
        owner = type(self).__name__
        self.num_classes = _class_count(num_classes, owner)
        ids = list(target_class_ids) if isinstance(target_class_ids, (list, tuple, range)) \
            else None
        if not ids or not all(isinstance(i, (int, np.integer)) and not isinstance(i, bool)
                              and 0 <= i < self.num_classes for i in ids):
            raise ValueError(f"[{owner}] target_class_ids must be a non-empty list of class "
                             f"indices in [0, {self.num_classes}). Received: target_class_ids="
                             f"{target_class_ids!r}")
        self.target_class_ids = [int(i) for i in ids]
        if ignore_class is not None and (isinstance(ignore_class, bool)
                                         or not isinstance(ignore_class, (int, np.integer))):
            raise ValueError(f"[{owner}] ignore_class must be an int or None. Received: "
                             f"ignore_class={ignore_class!r}")
        self.ignore_class = None if ignore_class is None else int(ignore_class)
        self.sparse_y_true, self.sparse_y_pred = bool(sparse_y_true), bool(sparse_y_pred)
        if isinstance(axis, bool) or not isinstance(axis, (int, np.integer)):
            raise ValueError(f"[{owner}] axis must be an int. Received: axis={axis!r}")
        self.axis = int(axis)
        super().__init__(name, dtype)

    def reset_state(self):
        self.total_cm = np.zeros((self.num_classes, self.num_classes))

    def _labels(self, y_true, y_pred):
        y, p = _m._np(y_true), _m._np(y_pred)
        if not self.sparse_y_true:
            y = y.argmax(self.axis)
        if not self.sparse_y_pred:
            p = p.argmax(self.axis)
        return y, p

    def update_state(self, y_true, y_pred, sample_weight=None):
        y, p = self._labels(y_true, y_pred)
        if y.size != p.size:
            raise ValueError(f"[{type(self).__name__}] y_true holds {y.size} labels but "
                             f"y_pred {p.size} (shapes {y.shape} and {p.shape})")
        p = p.reshape(y.shape) if y.ndim else p.reshape(())
        w = _weights(sample_weight, y.shape).reshape(-1) if y.ndim else \
            np.ones(1) * (1.0 if sample_weight is None else float(np.asarray(sample_weight)))
        y = y.reshape(-1).astype(np.float64).astype(np.int64)  # Keras casts to int (truncates)
        p = p.reshape(-1).astype(np.float64).astype(np.int64)
        if self.ignore_class is not None:
            keep = y != self.ignore_class
            y, p, w = y[keep], p[keep], w[keep]
        for what, v in (("y_true", y), ("y_pred", p)):
            if v.size and (v.min() < 0 or v.max() >= self.num_classes):
                raise ValueError(f"[{type(self).__name__}] {what} labels must be in [0, "
                                 f"{self.num_classes}); received values in [{v.min()}, "
                                 f"{v.max()}]")
        np.add.at(self.total_cm, (y, p), w)

    def result(self):
        cm = self.total_cm
        tp = np.diag(cm)
        denominator = cm.sum(0) + cm.sum(1) - tp
        ids = self.target_class_ids
        tp, denominator = tp[ids], denominator[ids]
        valid = float((denominator > 1e-9).sum())
        return float((tp / (denominator + _EPS)).sum() / (valid + _EPS))


class MeanIoU(IoU):
    """IoU averaged over all num_classes classes."""

    def __init__(self, num_classes, name=None, dtype=None, ignore_class=None, sparse_y_true=True,
                 sparse_y_pred=True, axis=-1):
        super().__init__(num_classes, list(range(_class_count(num_classes, "MeanIoU"))), name,
                         dtype, ignore_class, sparse_y_true, sparse_y_pred, axis)


class BinaryIoU(IoU):
    """IoU of binary labels, predictions thresholded at `threshold` (>= threshold: class 1);
    target_class_ids from (0, 1)."""

    def __init__(self, target_class_ids=(0, 1), threshold=0.5, name=None, dtype=None):
        if isinstance(threshold, bool) or not isinstance(threshold, (int, float, np.integer,
                                                                     np.floating)):
            raise ValueError(f"[BinaryIoU] threshold must be a number. Received: "
                             f"threshold={threshold!r}")
        self.threshold = float(threshold)
        super().__init__(2, list(target_class_ids) if isinstance(target_class_ids, (list, tuple))
                         else target_class_ids, name, dtype)

    def update_state(self, y_true, y_pred, sample_weight=None):
        p = (_m._np(y_pred).astype(np.float64) >= self.threshold).astype(np.float64)
        super().update_state(y_true, p, sample_weight)


class OneHotIoU(IoU):
    """IoU with one-hot y_true (and y_pred probabilities unless sparse_y_pred)."""

    def __init__(self, num_classes, target_class_ids, name=None, dtype=None, ignore_class=None,
                 sparse_y_pred=False, axis=-1):
        super().__init__(num_classes, target_class_ids, name, dtype, ignore_class,
                         sparse_y_true=False, sparse_y_pred=sparse_y_pred, axis=axis)


class OneHotMeanIoU(MeanIoU):
    def __init__(self, num_classes, name=None, dtype=None, ignore_class=None,
                 sparse_y_pred=False, axis=-1):
        super().__init__(num_classes, name, dtype, ignore_class, sparse_y_true=False,
                         sparse_y_pred=sparse_y_pred, axis=axis)


# ---- best rate under a constraint ------------------------------------------------------------
class _AtValue(_Confusion):
    value_name = None  # the constructor argument: 'recall', 'precision', ...

    def __init__(self, value, num_thresholds=200, class_id=None, name=None, dtype=None):
        owner = type(self).__name__
        what = self.value_name
        if isinstance(value, bool) or not isinstance(value, (int, float, np.integer,
                                                             np.floating)) or not 0 <= value <= 1:
            raise ValueError(f"[{owner}] {what} must be in the range [0, 1]. Received: "
                             f"{what}={value!r}")
        if isinstance(num_thresholds, bool) or not isinstance(num_thresholds, (int, np.integer)) \
                or num_thresholds < 1:
            raise ValueError(f"[{owner}] num_thresholds must be an int > 0. Received: "
                             f"num_thresholds={num_thresholds!r}")
        if class_id is not None and (isinstance(class_id, bool)
                                     or not isinstance(class_id, (int, np.integer))
                                     or class_id < 0):
            raise ValueError(f"[{owner}] class_id must be an int >= 0 or None. Received: "
                             f"class_id={class_id!r}")
        setattr(self, what, float(value))
        self.value = float(value)
        self.num_thresholds = int(num_thresholds)
        n = self.num_thresholds
        thresholds = [0.5] if n == 1 else \
            [0.0] + [(i + 1) / (n - 1) for i in range(n - 2)] + [1.0]
        super().__init__(thresholds, None, class_id, name, dtype)

    def _rates(self):
        return {"recall": _div(self.tp, self.tp + self.fn),
                "precision": _div(self.tp, self.tp + self.fp),
                "sensitivity": _div(self.tp, self.tp + self.fn),
                "specificity": _div(self.tn, self.tn + self.fp)}

    def result(self):
        rates = self._rates()
        feasible = rates[self.value_name] >= self.value
        return float(rates[self.dependent][feasible].max(initial=0.0)) if feasible.any() else 0.0


class PrecisionAtRecall(_AtValue):
    value_name, dependent = "recall", "precision"

    def __init__(self, recall, num_thresholds=200, class_id=None, name=None, dtype=None):
        super().__init__(recall, num_thresholds, class_id, name, dtype)


class RecallAtPrecision(_AtValue):
    value_name, dependent = "precision", "recall"

    def __init__(self, precision, num_thresholds=200, class_id=None, name=None, dtype=None):
        super().__init__(precision, num_thresholds, class_id, name, dtype)


class SensitivityAtSpecificity(_AtValue):
    value_name, dependent = "specificity", "sensitivity"

    def __init__(self, specificity, num_thresholds=200, class_id=None, name=None, dtype=None):
        super().__init__(specificity, num_thresholds, class_id, name, dtype)


class SpecificityAtSensitivity(_AtValue):
    value_name, dependent = "sensitivity", "specificity"

    def __init__(self, sensitivity, num_thresholds=200, class_id=None, name=None, dtype=None):
        super().__init__(sensitivity, num_thresholds, class_id, name, dtype)


NAMES = {"cosine_similarity": CosineSimilarity, "hinge": Hinge, "squared_hinge": SquaredHinge,
         "categorical_hinge": CategoricalHinge, "kl_divergence": KLDivergence,
         "kld": KLDivergence, "poisson": Poisson, "logcosh": LogCoshError,
         "log_cosh": LogCoshError, "r2_score": R2Score}
