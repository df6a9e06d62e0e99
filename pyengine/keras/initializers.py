"""Weight initializers by Keras name. Kernels are (fan_in, fan_out) in Keras layout (conv kernels
(kh, kw, in, out)); every draw uses pyengine's generator, so pe.manual_seed reproduces it."""
import math

import numpy as np

from .. import random as _random
from ..tensor import Tensor
from .utils import resolve


def _fans(shape):
    if len(shape) < 1:
        return 1, 1
    if len(shape) == 1:
        return shape[0], shape[0]
    receptive = int(np.prod(shape[:-2])) if len(shape) > 2 else 1
    return shape[-2] * receptive, shape[-1] * receptive


class Initializer:
    def __call__(self, shape, dtype=None):
        """A tensor of `shape` (float32 unless `dtype`), as Keras 3 returns a backend tensor:
        `float(initializer(shape=(1, 1)))` and NumPy functions of it work."""
        # np.array, not ascontiguousarray: that makes a scalar (shape ()) weight 1-D
        return Tensor._wrap(np.array(self.sample(tuple(shape)), dtype=dtype or "float32",
                                     order="C"))

    def get_config(self):
        return dict(vars(self))


class Zeros(Initializer):
    def sample(self, shape):
        return np.zeros(shape)


class Ones(Initializer):
    def sample(self, shape):
        return np.ones(shape)


class Constant(Initializer):
    def __init__(self, value=0.0):
        self.value = value

    def sample(self, shape):
        return np.full(shape, self.value)


class RandomUniform(Initializer):
    """'uniform': U(minval, maxval), Keras default (-0.05, 0.05)."""

    def __init__(self, minval=-0.05, maxval=0.05, seed=None):
        self.minval, self.maxval, self.seed = minval, maxval, seed

    def sample(self, shape):
        return _rng(self.seed).uniform(self.minval, self.maxval, shape)


class RandomNormal(Initializer):
    def __init__(self, mean=0.0, stddev=0.05, seed=None):
        self.mean, self.stddev, self.seed = mean, stddev, seed

    def sample(self, shape):
        return _rng(self.seed).normal(self.mean, self.stddev, shape)


class TruncatedNormal(Initializer):
    """N(mean, stddev^2) with draws farther than 2 stddev from the mean drawn again (Keras'
    TruncatedNormal; its default stddev is 0.05)."""

    def __init__(self, mean=0.0, stddev=0.05, seed=None):
        self.mean, self.stddev, self.seed = mean, stddev, seed

    def sample(self, shape):
        return self.mean + _truncated(_rng(self.seed), self.stddev, shape)


def _truncated(rng, std, shape):
    out = rng.normal(0.0, std, shape)
    bad = np.abs(out) > 2 * std
    while bad.any():
        out[bad] = rng.normal(0.0, std, int(bad.sum()))
        bad = np.abs(out) > 2 * std
    return out


class VarianceScaling(Initializer):
    """scale / fan with fan by `mode`; 'uniform' draws U(-sqrt(3 var), sqrt(3 var)),
    'truncated_normal' (also 'normal', Keras' alias) a normal truncated at 2 std (std corrected
    by 0.8796...), 'untruncated_normal' N(0, var), as Keras does."""

    def __init__(self, scale=1.0, mode="fan_in", distribution="truncated_normal", seed=None):
        if mode not in ("fan_in", "fan_out", "fan_avg"):
            raise ValueError(f"[VarianceScaling] mode must be fan_in, fan_out or fan_avg. "
                             f"Received: mode={mode}")
        if distribution == "normal":
            distribution = "truncated_normal"
        if distribution not in ("uniform", "truncated_normal", "untruncated_normal"):
            raise ValueError(f"[VarianceScaling] distribution must be uniform, truncated_normal "
                             f"(or normal) or untruncated_normal. Received: "
                             f"distribution={distribution!r}")
        self.scale, self.mode, self.distribution, self.seed = scale, mode, distribution, seed

    def sample(self, shape):
        fan_in, fan_out = _fans(shape)
        fan = {"fan_in": fan_in, "fan_out": fan_out, "fan_avg": (fan_in + fan_out) / 2}[self.mode]
        var = self.scale / max(1.0, fan)
        rng = _rng(self.seed)
        if self.distribution == "uniform":
            lim = math.sqrt(3.0 * var)
            return rng.uniform(-lim, lim, shape)
        if self.distribution == "truncated_normal":
            return _truncated(rng, math.sqrt(var) / 0.87962566103423978, shape)
        return rng.normal(0.0, math.sqrt(var), shape)


class _Preset(VarianceScaling):
    """VarianceScaling with Keras' fixed arguments for a named scheme; its config is the seed."""
    _ARGS = ()

    def __init__(self, seed=None):
        super().__init__(*self._ARGS, seed=seed)

    def get_config(self):
        return {"seed": self.seed}


class GlorotUniform(_Preset):
    _ARGS = (1.0, "fan_avg", "uniform")


class GlorotNormal(_Preset):
    _ARGS = (1.0, "fan_avg", "truncated_normal")


class HeUniform(_Preset):
    _ARGS = (2.0, "fan_in", "uniform")


class HeNormal(_Preset):
    _ARGS = (2.0, "fan_in", "truncated_normal")


class LecunUniform(_Preset):
    _ARGS = (1.0, "fan_in", "uniform")


class LecunNormal(_Preset):
    _ARGS = (1.0, "fan_in", "truncated_normal")


class Orthogonal(Initializer):
    def __init__(self, gain=1.0, seed=None):
        self.gain, self.seed = gain, seed

    def sample(self, shape):
        rows, cols = int(np.prod(shape[:-1])), shape[-1]
        a = _rng(self.seed).normal(size=(max(rows, cols), min(rows, cols)))
        q, r = np.linalg.qr(a)
        q *= np.sign(np.diag(r))
        q = q if rows >= cols else q.T
        return self.gain * q[:rows, :cols].reshape(shape)


_Orthogonal = Orthogonal  # the class name configs saved before Orthogonal was a class hold


class Identity(Initializer):
    """gain * eye(rows, cols) (Keras' 'identity'; the IRNN recurrent kernel). 2-D shapes only."""

    def __init__(self, gain=1.0):
        self.gain = gain

    def sample(self, shape):
        if len(shape) != 2:
            raise ValueError(f"[Identity] the identity initializer needs a 2-D shape. "
                             f"Received: shape={shape}")
        return self.gain * np.eye(*shape)


def _rng(seed):
    return _random.get_generator() if seed is None else np.random.default_rng(seed)


_TABLE = {"zeros": Zeros, "ones": Ones, "uniform": RandomUniform, "random_uniform": RandomUniform,
          "normal": RandomNormal, "random_normal": RandomNormal, "glorot_uniform": GlorotUniform,
          "glorot_normal": GlorotNormal, "he_uniform": HeUniform, "he_normal": HeNormal,
          "lecun_uniform": LecunUniform, "lecun_normal": LecunNormal, "orthogonal": Orthogonal,
          "constant": Constant, "identity": Identity, "truncated_normal": TruncatedNormal}


# Keras 3's lowercase aliases of the classes (`keras.initializers.glorot_uniform()(shape)`,
# `glorot_uniform is GlorotUniform`)
(zeros, ones, constant, random_uniform, random_normal, truncated_normal, variance_scaling,
 glorot_uniform, glorot_normal, he_uniform, he_normal, lecun_uniform, lecun_normal, orthogonal,
 identity) = (Zeros, Ones, Constant, RandomUniform, RandomNormal, TruncatedNormal,
              VarianceScaling, GlorotUniform, GlorotNormal, HeUniform, HeNormal, LecunUniform,
              LecunNormal, Orthogonal, Identity)


# Keras' class names (a serialized initializer's class_name, or `get("HeNormal")`)
_CLASSES = {"Zeros": Zeros, "Ones": Ones, "Constant": Constant, "RandomUniform": RandomUniform,
            "RandomNormal": RandomNormal, "TruncatedNormal": TruncatedNormal,
            "VarianceScaling": VarianceScaling,
            "GlorotUniform": GlorotUniform, "GlorotNormal": GlorotNormal, "HeUniform": HeUniform,
            "HeNormal": HeNormal, "LecunUniform": LecunUniform, "LecunNormal": LecunNormal,
            "Orthogonal": Orthogonal, "_Orthogonal": Orthogonal, "Identity": Identity}


def serialize(initializer):
    """Keras 3's dict of a built-in initializer: {'module', 'class_name', 'config',
    'registered_name'} (what a custom layer's get_config stores; `get` / `deserialize` read it).

    >>> serialize(Constant(2.0))["config"]
    {'value': 2.0}
    """
    if not isinstance(initializer, Initializer):
        raise TypeError(f"[initializers.serialize] expected a keras initializer object, "
                        f"received: {initializer!r}")
    return {"module": "keras.initializers", "class_name": type(initializer).__name__,
            "config": initializer.get_config(), "registered_name": None}


def deserialize(config, custom_objects=None):
    """The initializer a serialize() dict (or TF 2's {'class_name', 'config'}) describes."""
    if not isinstance(config, dict) or "class_name" not in config:
        raise ValueError(f"[initializers.deserialize] expected a dict with 'class_name' and "
                         f"'config', received: {config!r}")
    name = config["class_name"]
    cls = (custom_objects or {}).get(name) or _CLASSES.get(name)
    if cls is None:
        raise ValueError(f"[initializers.deserialize] unknown initializer class {name!r}. Valid "
                         f"class names: {', '.join(sorted(k for k in _CLASSES if k[0] != '_'))}")
    return cls(**(config.get("config") or {}))


def get(identifier):
    """None, a name ('he_normal' or Keras' class name 'HeNormal'), a serialize() dict, an
    Initializer or any callable (shape, dtype) -> array."""
    if identifier is None:
        return None
    if isinstance(identifier, dict):
        return deserialize(identifier)
    if isinstance(identifier, str) and identifier in _CLASSES and identifier[0] != "_":
        return _CLASSES[identifier]()
    return resolve("initializer", identifier, _TABLE, (Initializer,))


# keras.initializers.STFTInitializer (STFTSpectrogram's kernels; keras/initializers_stft.py)
from .initializers_stft import STFTInitializer  # noqa: E402,F401
