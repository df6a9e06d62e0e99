"""keras.random: draws from pyengine's one generator (pe.manual_seed reproduces them), or from
a SeedGenerator's own stream."""
import numpy as np

from .. import random as _random
from ..tensor import Tensor

__all__ = ["SeedGenerator", "normal", "uniform", "randint", "truncated_normal", "shuffle",
           "categorical", "dropout", "gamma", "beta"]


class SeedGenerator:
    """Keras 3's seed state: a layer keeps one and passes it as seed= to each draw."""

    def __init__(self, seed=None):
        self.generator = np.random.default_rng(seed)


def normal(shape, mean=0.0, stddev=1.0, dtype=None, seed=None):
    """N(mean, stddev^2) draws of `shape`; dtype float32 (default) or float64."""
    npd = _random._random_dtype(dtype, "keras.random.normal", ints=False)
    if isinstance(seed, SeedGenerator):
        return Tensor._wrap(seed.generator.normal(mean, stddev, _shape(shape)).astype(npd))
    return _random.normal(shape, mean, stddev, dtype=npd, seed=_seed(seed))


def uniform(shape, minval=0.0, maxval=1.0, dtype=None, seed=None):
    """U[minval, maxval) draws of `shape`; a floating dtype as Keras requires (float32 default,
    float64)."""
    npd = _random._random_dtype(dtype, "keras.random.uniform", ints=False)
    if isinstance(seed, SeedGenerator):
        return Tensor._wrap(seed.generator.uniform(minval, maxval, _shape(shape)).astype(npd))
    return _random.uniform(shape, minval, maxval, dtype=npd, seed=_seed(seed))


def gamma(shape, alpha, dtype=None, seed=None):
    """Gamma(alpha, 1) draws of `shape` (Keras 3's keras.random.gamma); float32 default."""
    npd = _random._random_dtype(dtype, "keras.random.gamma", ints=False)
    if float(alpha) <= 0:
        raise ValueError(f"[keras.random.gamma] alpha must be positive. Received: {alpha}")
    return Tensor._wrap(_generator(seed).gamma(float(alpha), 1.0, _shape(shape)).astype(npd))


def beta(shape, alpha, beta, dtype=None, seed=None):
    """Beta(alpha, beta) draws of `shape` (Keras 3's keras.random.beta: mixup's lambda)."""
    npd = _random._random_dtype(dtype, "keras.random.beta", ints=False)
    a, b = np.asarray(getattr(alpha, "_data", alpha), np.float64), \
        np.asarray(getattr(beta, "_data", beta), np.float64)
    if (a <= 0).any() or (b <= 0).any():
        raise ValueError("[keras.random.beta] alpha and beta must be positive")
    return Tensor._wrap(_generator(seed).beta(a, b, _shape(shape)).astype(npd))


def _generator(seed):
    """The stream a draw takes: a SeedGenerator's own, a fresh one for an int, or pyengine's."""
    if isinstance(seed, SeedGenerator):
        return seed.generator
    seed = _seed(seed)
    return _random.get_generator() if seed is None else np.random.default_rng(seed)


def randint(shape, minval, maxval, dtype="int32", seed=None):
    """Integers uniformly from [minval, maxval) of `shape`; dtype int32 (Keras' default) or
    int64."""
    npd = _random._random_dtype(dtype, "keras.random.randint", ints=True)
    if npd.kind != "i":
        raise ValueError(f"[keras.random.randint] dtype must be int32 or int64. Received: "
                         f"dtype={dtype!r}")
    if int(minval) != minval or int(maxval) != maxval or maxval <= minval:
        raise ValueError(f"[keras.random.randint] needs integer bounds minval < maxval. "
                         f"Received: minval={minval}, maxval={maxval}")
    draw = _generator(seed).integers(int(minval), int(maxval), _shape(shape))
    return Tensor._wrap(draw.astype(npd))


def truncated_normal(shape, mean=0.0, stddev=1.0, dtype=None, seed=None):
    """N(mean, stddev^2) draws of `shape` redrawn until within two standard deviations of the
    mean (Keras' rule)."""
    npd = _random._random_dtype(dtype, "keras.random.truncated_normal", ints=False)
    gen = _generator(seed)
    z = gen.standard_normal(_shape(shape))
    bad = np.abs(z) > 2.0
    while bad.any():
        z[bad] = gen.standard_normal(int(bad.sum()))
        bad = np.abs(z) > 2.0
    return Tensor._wrap((mean + stddev * z).astype(npd))


def shuffle(x, axis=0, seed=None):
    """x with its entries along `axis` in a random order (a new tensor)."""
    a = np.asarray(x._data if isinstance(x, Tensor) else x)
    if not -a.ndim <= axis < max(a.ndim, 1) or a.ndim == 0:
        raise ValueError(f"[keras.random.shuffle] axis {axis} is out of range for a "
                         f"{a.ndim}-d input")
    order = _generator(seed).permutation(a.shape[axis])
    return Tensor._wrap(np.take(a, order, axis=axis))


def categorical(logits, num_samples, dtype="int32", seed=None):
    """(batch, num_samples) class indices drawn from the softmax of each row of `logits`
    (batch, num_classes)."""
    lg = np.asarray(logits._data if isinstance(logits, Tensor) else logits, np.float64)
    if lg.ndim != 2 or lg.shape[1] == 0:
        raise ValueError(f"[keras.random.categorical] logits must be 2-D (batch, num_classes). "
                         f"Received: shape={lg.shape}")
    npd = _random._random_dtype(dtype, "keras.random.categorical", ints=True)
    p = np.exp(lg - lg.max(1, keepdims=True))
    cdf = np.cumsum(p / p.sum(1, keepdims=True), axis=1)
    u = _generator(seed).random((lg.shape[0], int(num_samples)))
    # per row, the first class whose cumulative probability exceeds the draw (no
    # (batch, samples, classes) temporary); the clip guards a cdf that rounds below 1
    idx = np.stack([np.searchsorted(c, r, side="right") for c, r in zip(cdf, u)]) \
        if len(u) else np.zeros(u.shape, np.int64)
    idx = np.minimum(idx, lg.shape[1] - 1)
    return Tensor._wrap(idx.astype(npd))


def dropout(inputs, rate, noise_shape=None, seed=None):
    """Keras 3's keras.random.dropout: zeroes each element with probability `rate` and scales
    the kept ones by 1 / (1 - rate) (always, as Keras does: it is not a layer). noise_shape
    broadcasts one draw over dimensions of size 1 (None: that dimension of `inputs`)."""
    from ..nn import functional as F
    x = inputs if isinstance(inputs, Tensor) else Tensor._wrap(np.asarray(inputs, np.float32))
    if not 0.0 <= float(rate) < 1.0:
        raise ValueError(f"[keras.random.dropout] rate must be in [0, 1). Received: rate={rate}")
    if noise_shape is None and seed is None:
        return F.dropout(x, float(rate), training=True)
    shape = tuple(x.shape) if noise_shape is None else tuple(
        d if n is None else int(n) for n, d in zip(noise_shape, x.shape))
    keep = np.asarray(uniform(shape, seed=seed)) >= np.float32(rate)
    return x * Tensor._wrap((keep / np.float32(1.0 - rate)).astype(np.asarray(x).dtype))


def _shape(shape):
    return tuple(int(s) for s in shape)


def _seed(seed):
    if seed is not None and not isinstance(seed, int):
        raise ValueError(f"[keras.random] seed must be an int, SeedGenerator or None. "
                         f"Received: seed={seed!r}")
    return seed
