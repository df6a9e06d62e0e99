"""Weight initializers by Keras name. Kernels are (fan_in, fan_out) in Keras layout (conv kernels
(kh, kw, in, out)); every draw uses pyengine's generator, so pe.manual_seed reproduces it."""
import math

import numpy as np

from .. import random as _random
from .utils import resolve


def _fans(shape):
    if len(shape) < 1:
        return 1, 1
    if len(shape) == 1:
        return shape[0], shape[0]
    receptive = int(np.prod(shape[:-2])) if len(shape) > 2 else 1
    return shape[-2] * receptive, shape[-1] * receptive


class Initializer:
    def __call__(self, shape, dtype="float32"):
        return np.asarray(self.sample(tuple(shape)), dtype=dtype)

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


class VarianceScaling(Initializer):
    """scale / fan with fan by `mode`; 'uniform' draws U(-sqrt(3 var), sqrt(3 var)), 'normal' a
    normal truncated at 2 std (std corrected by 0.8796...), as Keras does."""

    def __init__(self, scale=1.0, mode="fan_in", distribution="truncated_normal", seed=None):
        if mode not in ("fan_in", "fan_out", "fan_avg"):
            raise ValueError(f"[VarianceScaling] mode must be fan_in, fan_out or fan_avg. "
                             f"Received: mode={mode}")
        self.scale, self.mode, self.distribution, self.seed = scale, mode, distribution, seed

    def sample(self, shape):
        fan_in, fan_out = _fans(shape)
        fan = {"fan_in": fan_in, "fan_out": fan_out, "fan_avg": (fan_in + fan_out) / 2}[self.mode]
        var = self.scale / max(1.0, fan)
        rng = _rng(self.seed)
        if self.distribution == "uniform":
            lim = math.sqrt(3.0 * var)
            return rng.uniform(-lim, lim, shape)
        std = math.sqrt(var) / (0.87962566103423978 if "truncated" in self.distribution else 1.0)
        out = rng.normal(0.0, std, shape)
        if "truncated" in self.distribution:
            bad = np.abs(out) > 2 * std
            while bad.any():
                out[bad] = rng.normal(0.0, std, int(bad.sum()))
                bad = np.abs(out) > 2 * std
        return out


def GlorotUniform(seed=None):
    return VarianceScaling(1.0, "fan_avg", "uniform", seed)


def GlorotNormal(seed=None):
    return VarianceScaling(1.0, "fan_avg", "truncated_normal", seed)


def HeUniform(seed=None):
    return VarianceScaling(2.0, "fan_in", "uniform", seed)


def HeNormal(seed=None):
    return VarianceScaling(2.0, "fan_in", "truncated_normal", seed)


def LecunUniform(seed=None):
    return VarianceScaling(1.0, "fan_in", "uniform", seed)


def LecunNormal(seed=None):
    return VarianceScaling(1.0, "fan_in", "truncated_normal", seed)


def Orthogonal(gain=1.0, seed=None):
    return _Orthogonal(gain, seed)


class _Orthogonal(Initializer):
    def __init__(self, gain=1.0, seed=None):
        self.gain, self.seed = gain, seed

    def sample(self, shape):
        rows, cols = int(np.prod(shape[:-1])), shape[-1]
        a = _rng(self.seed).normal(size=(max(rows, cols), min(rows, cols)))
        q, r = np.linalg.qr(a)
        q *= np.sign(np.diag(r))
        q = q if rows >= cols else q.T
        return self.gain * q[:rows, :cols].reshape(shape)


class Identity(Initializer):
    """gain * eye(rows, cols) (Keras' 'identity'; the IRNN recurrent kernel). 2-D shapes only."""

    def __init__(self, gain=1.0):
        self.gain = gain

    def sample(self, shape):
        if len(shape) != 2:
            raise ValueError(f"[Identity] the identity initializer needs a 2-D shape. "
                             f"Received: shape={shape}")
        return self.gain * np.eye(*shape)


class TruncatedNormal(Initializer):
    """N(mean, stddev) redrawn outside mean +- 2 stddev (Keras' 'truncated_normal')."""

    def __init__(self, mean=0.0, stddev=0.05, seed=None):
        self.mean, self.stddev, self.seed = mean, stddev, seed

    def sample(self, shape):
        rng = _rng(self.seed)
        out = rng.normal(0.0, self.stddev, shape)
        bad = np.abs(out) > 2 * self.stddev
        while bad.any():
            out[bad] = rng.normal(0.0, self.stddev, int(bad.sum()))
            bad = np.abs(out) > 2 * self.stddev
        return self.mean + out


def _rng(seed):
    return _random.get_generator() if seed is None else np.random.default_rng(seed)


_TABLE = {"zeros": Zeros, "ones": Ones, "uniform": RandomUniform, "random_uniform": RandomUniform,
          "normal": RandomNormal, "random_normal": RandomNormal, "glorot_uniform": GlorotUniform,
          "glorot_normal": GlorotNormal, "he_uniform": HeUniform, "he_normal": HeNormal,
          "lecun_uniform": LecunUniform, "lecun_normal": LecunNormal, "orthogonal": Orthogonal,
          "constant": Constant, "identity": Identity, "truncated_normal": TruncatedNormal}


def get(identifier):
    if identifier is None:
        return None
    return resolve("initializer", identifier, _TABLE, (Initializer,))
