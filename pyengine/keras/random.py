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
    if isinstance(seed, SeedGenerator):
        return Tensor._wrap(seed.generator.normal(mean, stddev, _shape(shape)).astype(np.float32))
    return _random.normal(shape, mean, stddev, seed=_seed(seed))


def uniform(shape, minval=0.0, maxval=1.0, dtype=None, seed=None):
    if isinstance(seed, SeedGenerator):
        return Tensor._wrap(seed.generator.uniform(minval, maxval, _shape(shape))
                            .astype(np.float32))
    return _random.uniform(shape, minval, maxval, seed=_seed(seed))


def _shape(shape):
    return tuple(int(s) for s in shape)


def _seed(seed):
    if seed is not None and not isinstance(seed, int):
        raise ValueError(f"[keras.random] seed must be an int, SeedGenerator or None. "
                         f"Received: seed={seed!r}")
    return seed
