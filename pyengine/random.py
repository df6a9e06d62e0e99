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
    """The numpy Generator to draw from: the global one, `generator`'s, or `generator` itself."""
    if generator is None:
        return _generator
    return generator._rng if isinstance(generator, Generator) else generator


class Generator:
    """torch.Generator's habit: an explicit random stream, ``pe.Generator().manual_seed(42)``,
    accepted wherever ``generator=`` is (samplers, random_split, rand/randn). CPU only."""

    def __init__(self, device="cpu"):
        if str(device) != "cpu":
            raise ValueError(f"[Generator] only device='cpu' is supported, got {device!r}")
        self._seed = int(np.random.SeedSequence().entropy % (2 ** 63))
        self._rng = np.random.default_rng(self._seed)

    def manual_seed(self, seed):
        if not isinstance(seed, (int, np.integer)) or seed < 0:
            raise ValueError(f"[Generator.manual_seed] seed must be a non-negative int, got "
                             f"{seed!r}")
        self._seed = int(seed)
        self._rng = np.random.default_rng(self._seed)
        return self

    def initial_seed(self):
        return self._seed

    def seed(self):
        return self.manual_seed(int(np.random.SeedSequence().entropy % (2 ** 63))).initial_seed()


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
