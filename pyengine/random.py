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
