"""Keras 2's `keras.wrappers.scikit_learn`: KerasClassifier / KerasRegressor, estimators with
scikit-learn's interface (fit, predict, predict_proba, score, get_params, set_params) around a
`build_fn` that returns a compiled model, as in Keras 2.0-2.3 (used with GridSearchCV,
cross_val_score, Pipeline). scikit-learn itself is not needed to use them.

`sk_params` are the build function's arguments together with fit / predict / evaluate's
(`epochs`, `batch_size`, `verbose` ...); each call receives those it accepts. A parameter that
none of them accepts is refused when the wrapper is made or set_params is called."""
import copy
import inspect
import types

import numpy as np

_FIT_ONLY_ALIASES = ("nb_epoch",)  # Keras 1 spelling that fit accepts through **kwargs


def _has_arg(fn, name):
    try:
        params = inspect.signature(fn).parameters
    except (TypeError, ValueError):
        return False
    p = params.get(name)
    return p is not None and p.kind not in (p.VAR_POSITIONAL, p.VAR_KEYWORD)


def _is_categorical_crossentropy(loss):
    """Keras 2's losses.is_categorical_crossentropy: the name, the function or the class."""
    from ..losses import CategoricalCrossentropy
    if isinstance(loss, CategoricalCrossentropy):
        return True
    return getattr(loss, "__name__", loss) in ("categorical_crossentropy",
                                               "CategoricalCrossentropy")


def _model_methods():
    from ..model import Model
    return {"fit": Model.fit, "predict": Model.predict, "evaluate": Model.evaluate}


class BaseWrapper:
    """What KerasClassifier and KerasRegressor share. `build_fn`: a function (or a callable
    object) returning a compiled keras model; None means this object's `__call__` (a
    subclass defining it)."""

    def __init__(self, build_fn=None, **sk_params):
        self.build_fn = build_fn
        self.sk_params = sk_params
        self.check_params(sk_params)

    def _build_callable(self):
        if self.build_fn is None:
            if type(self).__call__ is object.__call__ or not callable(self):
                raise TypeError(f"[{type(self).__name__}] build_fn is None and the class "
                                "defines no __call__ that builds the model")
            return self.__call__
        if isinstance(self.build_fn, (types.FunctionType, types.MethodType)):
            return self.build_fn
        if not callable(self.build_fn):
            raise TypeError(f"[{type(self).__name__}] build_fn must be callable. Received: "
                            f"{type(self.build_fn).__name__}")
        return self.build_fn.__call__

    def check_params(self, params):
        """Raises ValueError for a parameter that neither build_fn nor fit / predict /
        evaluate accepts."""
        fns = list(_model_methods().values()) + [self._build_callable()]
        for name in params:
            if name in _FIT_ONLY_ALIASES:
                continue
            if not any(_has_arg(fn, name) for fn in fns):
                raise ValueError(f"[{type(self).__name__}] {name} is not a legal parameter "
                                 "(not an argument of build_fn, fit, predict or evaluate)")

    def get_params(self, **params):
        """The parameters, build_fn included (scikit-learn's clone rebuilds from them)."""
        res = copy.deepcopy(self.sk_params)
        res.update({"build_fn": self.build_fn})
        return res

    def set_params(self, **params):
        self.check_params(params)
        self.sk_params.update(params)
        return self

    def filter_sk_params(self, fn, override=None):
        """The sk_params that `fn` accepts, updated with `override`."""
        res = {k: v for k, v in self.sk_params.items() if _has_arg(fn, k)}
        res.update(override or {})
        return res

    def fit(self, x, y, **kwargs):
        """Builds a new model with build_fn and trains it; returns fit's History."""
        build = self._build_callable()
        self.model = build(**self.filter_sk_params(build))
        if _is_categorical_crossentropy(getattr(self.model, "loss", None)) and np.ndim(y) != 2:
            from ..utils import to_categorical
            y = to_categorical(y, getattr(self, "n_classes_", None))
        fit_args = self.filter_sk_params(_model_methods()["fit"])
        fit_args.update({k: v for k, v in self.sk_params.items() if k in _FIT_ONLY_ALIASES})
        fit_args.update(kwargs)
        return self.model.fit(x, y, **fit_args)

    def _fitted(self, what):
        if not hasattr(self, "model"):
            raise RuntimeError(f"[{type(self).__name__}.{what}] call fit first (no model yet)")
        return self.model


class KerasClassifier(BaseWrapper):
    """scikit-learn classifier: y is class labels (any sortable values, kept in `classes_`) or
    a one-hot matrix; predict returns labels, predict_proba the model's probabilities (two
    columns for a one-unit sigmoid output), score the accuracy metric of evaluate."""

    def fit(self, x, y, sample_weight=None, **kwargs):
        y = np.array(y)
        if y.ndim == 2 and y.shape[1] > 1:
            self.classes_ = np.arange(y.shape[1])
        elif (y.ndim == 2 and y.shape[1] == 1) or y.ndim == 1:
            self.classes_ = np.unique(y)
            y = np.searchsorted(self.classes_, y)
        else:
            raise ValueError(f"[KerasClassifier.fit] invalid shape for y: {y.shape} (labels "
                             "(n,) / (n, 1) or a one-hot (n, classes) matrix)")
        self.n_classes_ = len(self.classes_)
        if sample_weight is not None:
            kwargs["sample_weight"] = sample_weight
        return super().fit(x, y, **kwargs)

    def predict_proba(self, x, **kwargs):
        model = self._fitted("predict_proba")
        probs = np.asarray(model.predict(x, **self.filter_sk_params(_model_methods()["predict"],
                                                                    kwargs)))
        if probs.ndim == 2 and probs.shape[1] == 1:  # binary: P(class 0), P(class 1)
            probs = np.hstack([1 - probs, probs])
        return probs

    def predict(self, x, **kwargs):
        model = self._fitted("predict")
        proba = np.asarray(model.predict(x, **self.filter_sk_params(_model_methods()["predict"],
                                                                    kwargs)))
        if proba.shape[-1] > 1:
            classes = proba.argmax(axis=-1)
        else:
            classes = (proba > 0.5).astype("int32").reshape(proba.shape[:-1])
        return self.classes_[classes]

    def score(self, x, y, **kwargs):
        """The accuracy evaluate reports (the model must be compiled with an accuracy
        metric), for labels as given to fit."""
        model = self._fitted("score")
        y = np.asarray(y)
        if not (y.ndim == 2 and y.shape[1] > 1):
            y = np.searchsorted(self.classes_, y)
        if _is_categorical_crossentropy(model.loss) and y.ndim != 2:
            from ..utils import to_categorical
            y = to_categorical(y, len(self.classes_))
        outputs = model.evaluate(x, y, **self.filter_sk_params(_model_methods()["evaluate"],
                                                              kwargs))
        outputs = outputs if isinstance(outputs, list) else [outputs]
        for metric, value in zip(model.metrics_names, outputs):
            if metric in ("accuracy", "acc"):
                return float(value)
        raise ValueError("[KerasClassifier.score] the model is not configured to compute "
                         "accuracy; pass metrics=['accuracy'] to model.compile()")


class KerasRegressor(BaseWrapper):
    """scikit-learn regressor: predict squeezes the last axis; score is minus the loss."""

    def predict(self, x, **kwargs):
        model = self._fitted("predict")
        out = np.asarray(model.predict(x, **self.filter_sk_params(_model_methods()["predict"],
                                                                  kwargs)))
        return np.squeeze(out, axis=-1) if out.shape[-1] == 1 else out

    def score(self, x, y, **kwargs):
        model = self._fitted("score")
        loss = model.evaluate(x, y, **self.filter_sk_params(_model_methods()["evaluate"],
                                                           kwargs))
        return -float(loss[0] if isinstance(loss, list) else loss)
