"""The one random generator behind rand/randn/randint, init and dropout. `manual_seed` makes it
reproducible. It is module state by design (as in PyTorch); pass `generator=` to avoid it."""
import numpy as np

_generator = np.random.default_rng()


def manual_seed(seed):
    """Reseed pyengine's generator; returns it."""
    global _generator
    if not isinstance(seed, (int, np.integer)) or seed < 0:
        raise ValueError(f"[manual_seed] seed must be a non-negative int, got {seed!r}")
    _generator = np.random.default_rng(int(seed))
    return _generator


seed = manual_seed


def get_generator(generator=None):
    return _generator if generator is None else generator


def normal(shape, mean=0.0, stddev=1.0, dtype=None, seed=None):
    """A float32 tensor of `shape` drawn from N(mean, stddev^2) (tf.random.normal)."""
    return _draw("normal", shape, seed, loc=mean, scale=stddev)


def uniform(shape, minval=0.0, maxval=1.0, dtype=None, seed=None):
    """A float32 tensor of `shape` drawn from U[minval, maxval) (tf.random.uniform)."""
    return _draw("uniform", shape, seed, low=minval, high=maxval)


def _draw(method, shape, seed, **params):
    from .tensor import Tensor
    gen = _generator if seed is None else np.random.default_rng(int(seed))
    shape = (int(shape),) if isinstance(shape, (int, np.integer)) else \
        tuple(int(getattr(s, "item", lambda: s)()) for s in shape)
    return Tensor._wrap(getattr(gen, method)(size=shape, **params).astype(np.float32))
