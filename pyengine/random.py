"""The one random generator behind rand/randn/randint, init and dropout. `manual_seed` makes it
reproducible. It is module state by design (as in PyTorch); pass `generator=` to avoid it."""
import threading

import numpy as np

_initial_seed = int(np.random.SeedSequence().entropy % (2 ** 63))  # torch.initial_seed()
_generator = np.random.default_rng(_initial_seed)


def manual_seed(seed):
    """Reseed pyengine's generator; returns it."""
    global _generator, _initial_seed
    if not isinstance(seed, (int, np.integer)) or seed < 0:
        raise ValueError(f"[manual_seed] seed must be a non-negative int, got {seed!r}")
    _initial_seed = int(seed)
    _generator = np.random.default_rng(int(seed))
    return _generator


def initial_seed():
    """The seed of pyengine's generator: manual_seed's, or the one drawn at import."""
    return _initial_seed


# get_rng_state / set_rng_state: the PCG64 bit generator's whole state as bytes, a uint8
# tensor as torch's ByteTensor (PyTorch's is 5056 bytes of Mersenne Twister; this one is 45:
# a magic tag, the 128-bit state and increment, and the buffered 32-bit half of a draw).
_STATE_MAGIC = b"PEPCG64\x01"
_STATE_BYTES = len(_STATE_MAGIC) + 16 + 16 + 1 + 4


def _pack_state(bit_generator):
    st = bit_generator.state
    if st.get("bit_generator") != "PCG64":
        raise RuntimeError(f"[get_rng_state] only PCG64 generators have a state here, got "
                           f"{st.get('bit_generator')}")
    raw = (_STATE_MAGIC + st["state"]["state"].to_bytes(16, "little")
           + st["state"]["inc"].to_bytes(16, "little") + bytes([st["has_uint32"]])
           + int(st["uinteger"]).to_bytes(4, "little"))
    from .tensor import Tensor
    return Tensor._wrap(np.frombuffer(raw, np.uint8).copy())


def _unpack_state(new_state, op):
    data = getattr(new_state, "_data", None)
    if data is None:
        raise TypeError(f"[{op}] expected a pe.Tensor from get_rng_state(), got "
                        f"{type(new_state).__name__}")
    if data.dtype != np.uint8 or data.ndim != 1:
        raise TypeError(f"[{op}] expected a 1-D uint8 (ByteTensor) state, got {data.ndim}-D "
                        f"{data.dtype}")
    raw = data.tobytes()
    if len(raw) != _STATE_BYTES or not raw.startswith(_STATE_MAGIC):
        raise ValueError(f"[{op}] not a pyengine generator state: expected {_STATE_BYTES} bytes "
                         f"from get_rng_state() starting with {_STATE_MAGIC!r}, got {len(raw)} "
                         "bytes (a PyTorch state cannot be used)")
    k = len(_STATE_MAGIC)
    if raw[k + 32] not in (0, 1):
        raise ValueError(f"[{op}] corrupt generator state (has_uint32 byte {raw[k + 32]})")
    return {"bit_generator": "PCG64",
            "state": {"state": int.from_bytes(raw[k:k + 16], "little"),
                      "inc": int.from_bytes(raw[k + 16:k + 32], "little")},
            "has_uint32": raw[k + 32], "uinteger": int.from_bytes(raw[k + 33:k + 37], "little")}


def get_rng_state():
    """pyengine's generator state as a uint8 tensor (torch.get_rng_state): set_rng_state
    with it makes the following draws repeat."""
    return _pack_state(_generator.bit_generator)


def set_rng_state(new_state):
    """Restore a state from get_rng_state() into pyengine's generator (in place: every holder
    of the generator sees it)."""
    _generator.bit_generator.state = _unpack_state(new_state, "set_rng_state")


seed = manual_seed


class _VmapGuard(threading.local):
    error = 0  # > 0 inside pe.func.vmap(randomness="error")


_vmap_guard = _VmapGuard()


def get_generator(generator=None):
    """The numpy Generator to draw from: the global one, `generator`'s, or `generator` itself.
    Inside vmap(randomness="error") (pyengine/func.py) any draw raises, as in torch."""
    if _vmap_guard.error:
        raise RuntimeError("[vmap] a random operation was called inside vmap with "
                           "randomness='error'; pass randomness='different' or 'same' to vmap, "
                           "or draw the random values outside vmap")
    if generator is None:
        return _generator
    return generator._rng if isinstance(generator, Generator) else generator


class Generator:
    """torch.Generator's habit: an explicit random stream, ``pe.Generator().manual_seed(42)``,
    accepted wherever ``generator=`` is (samplers, random_split, rand/randn). CPU only."""

    def __init__(self, device="cpu"):
        if str(device) != "cpu":
            raise ValueError(f"[Generator] only device='cpu' is supported, got {device!r}")
        self._alg = "auto_select"
        self._seed = int(np.random.SeedSequence().entropy % (2 ** 63))
        self._rng = _bit_rng(self._alg, self._seed)

    def manual_seed(self, seed):
        if not isinstance(seed, (int, np.integer)) or seed < 0:
            raise ValueError(f"[Generator.manual_seed] seed must be a non-negative int, got "
                             f"{seed!r}")
        self._seed = int(seed)
        self._rng = _bit_rng(self._alg, self._seed)
        return self

    def initial_seed(self):
        return self._seed

    def seed(self):
        return self.manual_seed(int(np.random.SeedSequence().entropy % (2 ** 63))).initial_seed()

    def make_seeds(self, count=1):
        """tf.random.Generator.make_seeds: `count` seeds for the stateless ops, an int64
        tensor of shape (2, count) (a column each), drawn from this generator."""
        from .tensor import Tensor
        return Tensor._wrap(self._rng.integers(0, 2 ** 63 - 1, (2, int(count)), dtype=np.int64))

    def get_state(self):
        """This generator's state as a uint8 tensor (torch.Generator.get_state)."""
        return _pack_state(self._rng.bit_generator)

    def set_state(self, new_state):
        self._rng.bit_generator.state = _unpack_state(new_state, "Generator.set_state")
        return self

    # ---- tf.random.Generator (TensorFlow's random_numbers guide): the same stream object ----
    @classmethod
    def from_seed(cls, seed, alg=None):
        """A generator seeded with `seed`; alg 'philox' draws from NumPy's Philox, None /
        'auto_select' from PCG64 (TensorFlow's streams themselves are not reproduced)."""
        g = cls()
        g._alg = _tf_alg(alg)
        return g.manual_seed(seed)

    @classmethod
    def from_non_deterministic_state(cls, alg=None):
        g = cls()
        g._alg = _tf_alg(alg)
        return g.manual_seed(int(np.random.SeedSequence().entropy % (2 ** 63)))

    @property
    def algorithm(self):
        return self._alg

    def reset_from_seed(self, seed):
        self.manual_seed(seed)

    def normal(self, shape, mean=0.0, stddev=1.0, dtype=None, name=None):
        return normal(shape, mean, stddev, dtype, _rng=self._rng)

    def uniform(self, shape, minval=0, maxval=None, dtype=None, name=None):
        if maxval is None:
            if _random_dtype(dtype, "Generator.uniform", ints=True).kind == "i":
                raise ValueError("[Generator.uniform] an integer dtype needs maxval")
            maxval = 1.0
        return uniform(shape, minval, maxval, dtype, _rng=self._rng)

    def split(self, count=1):
        """`count` new generators, independent of each other and of this one (NumPy's
        SeedSequence spawning from a draw of this stream, which advances it)."""
        base = np.random.SeedSequence(int(self._rng.integers(2 ** 63)))
        out = []
        for child in base.spawn(int(count)):
            g = type(self)()
            g._alg = self._alg
            out.append(g.manual_seed(int(child.generate_state(1, np.uint64)[0] % (2 ** 63))))
        return out


_ALGS = {None: "auto_select", "auto_select": "auto_select", "philox": "philox"}


def _check_alg(alg):
    key = getattr(alg, "name", alg)
    key = key.lower() if isinstance(key, str) else key
    if key not in _ALGS:
        raise ValueError(f"[Generator] alg must be None, 'auto_select' or 'philox' ('threefry' "
                         f"is not implemented: NumPy has no ThreeFry). Received: alg={alg!r}")
    return _ALGS[key]


def _tf_alg(alg):
    """TensorFlow's from_seed / from_non_deterministic_state: auto_select is Philox on a CPU,
    so both names draw the same stream, as in TensorFlow."""
    _check_alg(alg)
    return "philox"


def _bit_rng(alg, seed):
    if alg == "philox":
        return np.random.Generator(np.random.Philox(seed))
    return np.random.default_rng(seed)


_global_tf_generator = []


def get_global_generator():
    """tf.random.get_global_generator: created from a non-deterministic state at the first
    call, as TensorFlow does (pe.manual_seed seeds pyengine's own global stream, not this)."""
    if not _global_tf_generator:
        _global_tf_generator.append(Generator.from_non_deterministic_state())
    return _global_tf_generator[0]


def set_global_generator(generator):
    if not isinstance(generator, Generator):
        raise TypeError(f"[set_global_generator] expects a tf.random.Generator, got "
                        f"{type(generator).__name__}")
    _global_tf_generator[:] = [generator]


def normal(shape, mean=0.0, stddev=1.0, dtype=None, seed=None, _rng=None):
    """A tensor of `shape` drawn from N(mean, stddev^2) (tf.random.normal); dtype float32
    (default) or float64."""
    npd = _random_dtype(dtype, "normal", ints=False)
    return _draw("normal", shape, seed, npd, _rng, loc=mean, scale=stddev)


def uniform(shape, minval=0.0, maxval=1.0, dtype=None, seed=None, _rng=None):
    """A tensor of `shape` drawn from U[minval, maxval) (tf.random.uniform); dtype float32
    (default), float64, or int32/int64 (integers in [minval, maxval), as TensorFlow)."""
    npd = _random_dtype(dtype, "uniform", ints=True)
    if npd.kind == "i":
        if int(minval) != minval or int(maxval) != maxval or maxval <= minval:
            raise ValueError(f"[uniform] an integer dtype needs integer bounds minval < maxval. "
                             f"Received: minval={minval}, maxval={maxval}")
        return _draw("integers", shape, seed, npd, _rng, low=int(minval), high=int(maxval))
    return _draw("uniform", shape, seed, npd, _rng, low=minval, high=maxval)


def gamma(shape, alpha, beta=None, dtype=None, seed=None):
    """tf.random.gamma: draws of Gamma(alpha, rate beta) (beta None: 1), of shape
    `shape` + the broadcast shape of alpha and beta (one block of `shape` draws per parameter
    pair, as TensorFlow lays them out); dtype float32 (default) or float64."""
    npd = _random_dtype(dtype, "gamma", ints=False)
    a = np.asarray(getattr(alpha, "_data", alpha), dtype=np.float64)
    b = np.ones(()) if beta is None else np.asarray(getattr(beta, "_data", beta), np.float64)
    if (a <= 0).any() or (b <= 0).any():
        raise ValueError("[gamma] alpha and beta must be positive")
    pshape = np.broadcast_shapes(a.shape, b.shape)
    lead = (int(shape),) if isinstance(shape, (int, np.integer)) else \
        tuple(int(getattr(s, "item", lambda: s)()) for s in shape)
    gen = _generator if seed is None else np.random.default_rng(int(seed))
    draw = gen.gamma(np.broadcast_to(a, lead + pshape), 1.0 / np.broadcast_to(b, lead + pshape))
    from .tensor import Tensor
    return Tensor._wrap(draw.astype(npd))


def _random_dtype(dtype, op, ints):
    """The NumPy dtype of a draw: float32 by default, float64, and int32/int64 where allowed."""
    if dtype is None:
        return np.dtype(np.float32)
    from . import dtypes
    npd = dtypes.as_dtype(dtype).np
    if npd.kind == "f" or (ints and npd in (np.dtype(np.int32), np.dtype(np.int64))):
        return npd
    raise ValueError(f"[{op}] dtype={dtype!r} is not supported: use float32 or float64"
                     + (", int32 or int64" if ints else ""))


def _draw(method, shape, seed, npd, rng=None, **params):
    from .tensor import Tensor
    gen = rng if rng is not None else \
        _generator if seed is None else np.random.default_rng(int(seed))
    shape = (int(shape),) if isinstance(shape, (int, np.integer)) else \
        tuple(int(getattr(s, "item", lambda: s)()) for s in shape)
    return Tensor._wrap(getattr(gen, method)(size=shape, **params).astype(npd))
