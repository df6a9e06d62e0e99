"""keras.random: draws from pyengine's one generator (pe.manual_seed reproduces them), or from
a SeedGenerator's own stream."""
import numpy as np

from .. import random as _random
from ..tensor import Tensor


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
