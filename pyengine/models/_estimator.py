"""What makes a pyengine.models class a scikit-learn-style estimator without importing
scikit-learn: get_params / set_params from the __init__ signature, a repr, input checks with
messages naming the estimator and the method, and the tags scikit-learn's Pipeline asks for
(built only when scikit-learn itself calls, so it stays optional)."""
import inspect

import numpy as np


class NotFittedError(ValueError, AttributeError):
    """Raised when a method needs a fitted estimator (scikit-learn raises a class of the same
    bases, so `except ValueError` / `except AttributeError` catch either)."""


class Estimator:
    """Base class: parameters are the keyword arguments of __init__, stored as attributes of
    the same name and never changed by fit (learned state ends in an underscore)."""

    @classmethod
    def _param_names(cls):
        sig = inspect.signature(cls.__init__)
        return sorted(p.name for p in sig.parameters.values()
                      if p.name != "self" and p.kind != p.VAR_KEYWORD)

    def get_params(self, deep=True):
        """The constructor parameters as a dict (scikit-learn's contract). `deep` cannot change
        it: these estimators hold no nested estimators."""
        return {name: getattr(self, name) for name in self._param_names()}

    def set_params(self, **params):
        """Sets constructor parameters; an unknown name is a ValueError listing the valid ones."""
        valid = self._param_names()
        for name, value in params.items():
            if name not in valid:
                raise ValueError(f"[{type(self).__name__}.set_params] unknown parameter "
                                 f"{name!r}; valid: {', '.join(valid)}")
            setattr(self, name, value)
        return self

    def __repr__(self):
        sig = inspect.signature(type(self).__init__)
        parts = [f"{n}={getattr(self, n)!r}" for n, p in sig.parameters.items()
                 if n != "self" and getattr(self, n) is not p.default
                 and getattr(self, n) != p.default]
        return f"{type(self).__name__}({', '.join(parts)})"

    def __sklearn_tags__(self):
        from sklearn.utils import InputTags, Tags, TargetTags, TransformerTags
        return Tags(estimator_type=None, target_tags=TargetTags(required=False),
                    transformer_tags=TransformerTags(), input_tags=InputTags())

    def _check_fitted(self, method, attr="components_"):
        if not hasattr(self, attr):
            raise NotFittedError(f"[{type(self).__name__}.{method}] this {type(self).__name__} "
                                 f"is not fitted yet; call fit first")


def check_2d(X, where, dtype=None):
    """X as a C-contiguous 2-D float array (float32/float64 kept, others to `dtype` or float64);
    NaN / inf and non-numeric data are ValueErrors naming `where`."""
    if hasattr(X, "numpy") and not isinstance(X, np.ndarray):
        X = X.numpy()  # a pyengine Tensor
    try:
        X = np.asarray(X)
    except (TypeError, ValueError) as exc:
        raise ValueError(f"[{where}] expected a 2-D array of numbers: {exc}") from None
    if X.dtype.kind not in "biuf":
        raise ValueError(f"[{where}] expected numeric data, got dtype {X.dtype}")
    if X.ndim != 2:
        raise ValueError(f"[{where}] expected a 2-D array (n_samples, n_features), got shape "
                         f"{X.shape}")
    if dtype is None:
        dtype = X.dtype if X.dtype in (np.float32, np.float64) else np.float64
    X = np.ascontiguousarray(X, dtype=dtype)
    if not np.isfinite(X).all():
        raise ValueError(f"[{where}] X contains NaN or infinity")
    return X


def seed_from(random_state):
    """A 64-bit seed from scikit-learn's random_state forms: None (pyengine's generator, so
    pe.manual_seed makes it reproducible), an int, or a numpy RandomState / Generator."""
    if random_state is None:
        from .. import random as pe_random
        return int(pe_random.get_generator().integers(0, 2**63))
    if isinstance(random_state, (int, np.integer)) and not isinstance(random_state, bool):
        if random_state < 0:
            raise ValueError(f"random_state must be >= 0, got {random_state}")
        return int(random_state)
    if isinstance(random_state, np.random.RandomState):
        return int(random_state.randint(0, 2**31 - 1))
    if isinstance(random_state, np.random.Generator):
        return int(random_state.integers(0, 2**63))
    raise ValueError(f"random_state must be None, an int, a RandomState or a Generator, got "
                     f"{random_state!r}")
