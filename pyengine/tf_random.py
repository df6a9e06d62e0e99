"""More of tf.random for programs run as `import pyengine as tf` (pe.random holds normal /
uniform / gamma; these are attached to it in pyengine/__init__.py): set_seed, truncated_normal,
categorical, shuffle and the stateless draws seeded by a pair of ints. Draws come from
pyengine's generator (pe.random, the one tf.random.set_seed reseeds) unless an op-level `seed`
is given, which draws from a generator of its own, so a given seed repeats the draw. The
streams are pyengine's (NumPy's), not TensorFlow's: the same seed gives the same values here,
not the values TensorFlow gives."""
import numpy as np

from . import random as _random
from .tensor import Tensor
from .tf_names import _t


def set_seed(seed):
    """tf.random.set_seed: reseeds the generator every draw (tf.random.*, Keras initializers,
    dropout, shuffles) takes its numbers from; None makes it unseeded again."""
    if seed is None:
        _random._generator = np.random.default_rng()
        return
    if isinstance(seed, bool) or not isinstance(seed, (int, np.integer)):
        raise TypeError(f"[tf.random.set_seed] seed must be an int or None, got {seed!r}")
    _random.manual_seed(int(seed) % 2 ** 64)  # TensorFlow takes any int64; NumPy non-negative


def _gen(seed):
    return _random._generator if seed is None else np.random.default_rng(int(seed) % 2 ** 64)


def _shape(shape):
    shape = getattr(shape, "_data", shape)
    if isinstance(shape, (int, np.integer)):
        return (int(shape),)
    shape = tuple(int(s) for s in np.asarray(shape, dtype=np.int64).reshape(-1))
    if any(s < 0 for s in shape):
        raise ValueError(f"[tf.random] shape must be non-negative, got {shape}")
    return shape


def truncated_normal(shape, mean=0.0, stddev=1.0, dtype=None, seed=None, name=None):
    """tf.random.truncated_normal: N(mean, stddev^2) draws, each one more than two standard
    deviations from the mean drawn again; float32 (default) or float64."""
    npd = _random._random_dtype(dtype, "tf.random.truncated_normal", ints=False)
    gen, shape = _gen(seed), _shape(shape)
    z = gen.standard_normal(shape)
    bad = np.abs(z) > 2.0
    while bad.any():  # about 4.6 % redrawn each round
        z[bad] = gen.standard_normal(int(bad.sum()))
        bad = np.abs(z) > 2.0
    return Tensor._wrap((z * float(stddev) + float(mean)).astype(npd))


def categorical(logits, num_samples, dtype=None, seed=None, name=None):
    """tf.random.categorical: `num_samples` class indices per row of `logits` (batch_size,
    num_classes) (unnormalized log-probabilities; -inf never drawn), an int64 (default) or
    int32 tensor (batch_size, num_samples). Drawn as argmax(logits + Gumbel noise)."""
    lg = np.asarray(getattr(logits, "_data", logits), dtype=np.float64)
    if lg.ndim != 2:
        raise ValueError(f"[tf.random.categorical] logits must be 2-D (batch_size, "
                         f"num_classes), got shape {lg.shape}")
    npd = np.dtype(np.int64) if dtype is None else _np_dtype(dtype)
    if npd not in (np.dtype(np.int32), np.dtype(np.int64)):
        raise ValueError(f"[tf.random.categorical] dtype must be int32 or int64, got {dtype!r}")
    n = int(num_samples)
    if n < 0:
        raise ValueError(f"[tf.random.categorical] num_samples must be >= 0, got {n}")
    if lg.shape[1] == 0 and n and lg.shape[0]:
        raise ValueError("[tf.random.categorical] num_classes must be at least 1")
    g = -np.log(-np.log(_gen(seed).uniform(np.finfo(np.float64).tiny, 1.0,
                                           (lg.shape[0], n, lg.shape[1]))))
    return Tensor._wrap(np.argmax(lg[:, None, :] + g, axis=-1).astype(npd))


def shuffle(value, seed=None, name=None):
    """tf.random.shuffle: `value` with its first dimension randomly permuted (the rows move
    together); a gather, so the gradient flows back to the rows."""
    x = _t(value)
    if x.ndim == 0:
        raise ValueError("[tf.random.shuffle] value must have at least one dimension")
    return x[Tensor._wrap(_gen(seed).permutation(x.shape[0]).astype(np.int64))]


_ALGS = {"auto_select": "philox", "philox": "philox", 1: "philox", 3: "philox"}


def _stateless_gen(seed, alg, op):
    s = np.asarray(getattr(seed, "_data", seed))
    if s.shape != (2,) or s.dtype.kind not in "iu":
        raise ValueError(f"[tf.random.{op}] seed must be a shape [2] integer tensor, got "
                         f"{seed!r}")
    alg = getattr(alg, "value", alg)
    alg = alg.lower() if isinstance(alg, str) else alg
    if alg not in _ALGS:
        raise ValueError(f"[tf.random.{op}] alg must be 'auto_select' or 'philox' ('threefry' "
                         f"is not implemented), got {alg!r}")
    key = [int(v) % 2 ** 64 for v in s]
    return np.random.Generator(np.random.Philox(np.random.SeedSequence(key)))


def split(seed, num=2, alg="auto_select"):
    """tf.random.split (tf.random.experimental.stateless_split): `num` new seeds, an int64
    tensor of shape (num, 2), derived from `seed` (shape [2]) alone."""
    if isinstance(num, bool) or not isinstance(num, (int, np.integer)) or num < 1:
        raise ValueError(f"[tf.random.split] num must be a positive int, got {num!r}")
    gen = _stateless_gen(seed, alg, "split")
    return Tensor._wrap(gen.integers(0, 2 ** 63 - 1, (int(num), 2), dtype=np.int64))


def log_uniform_candidate_sampler(true_classes, num_true, num_sampled, unique, range_max,
                                  seed=None, name=None):
    """tf.random.log_uniform_candidate_sampler: `num_sampled` classes from [0, range_max)
    drawn with P(c) = (log(c + 2) - log(c + 1)) / log(range_max + 1) (Zipf-like: small ids,
    the frequent words of a sorted vocabulary, come more often), without repeats when
    `unique`. Returns (sampled_candidates int64 (num_sampled,), true_expected_count float32
    of true_classes' shape (batch, num_true), sampled_expected_count float32
    (num_sampled,)): the expected number of times each class appears in the draws (num_sampled
    * P, or with unique, 1 - (1 - P)^tries over the draws made)."""
    op = "tf.random.log_uniform_candidate_sampler"
    tc = np.asarray(getattr(true_classes, "_data", true_classes))
    if tc.ndim != 2 or tc.shape[1] != int(num_true) or tc.dtype.kind not in "iu":
        raise ValueError(f"[{op}] true_classes must be an integer (batch, num_true={num_true}) "
                         f"tensor, got shape {tc.shape} dtype {tc.dtype}")
    num_sampled, range_max = int(num_sampled), int(range_max)
    if range_max < 1 or num_sampled < 1 or (unique and num_sampled > range_max):
        raise ValueError(f"[{op}] need 1 <= num_sampled (<= range_max when unique) and "
                         f"range_max >= 1; got num_sampled={num_sampled}, range_max={range_max}")
    gen, log_range = _gen(seed), np.log(range_max + 1.0)

    def draw(n):
        return np.minimum(np.floor(np.exp(gen.uniform(0.0, 1.0, n) * log_range)) - 1,
                          range_max - 1).astype(np.int64)

    def prob(c):
        c = np.asarray(c, dtype=np.float64)
        return (np.log(c + 2.0) - np.log(c + 1.0)) / log_range
    if unique:
        picked, seen, tries = [], set(), 0
        while len(picked) < num_sampled:
            for c in draw(num_sampled).tolist():
                tries += 1
                if c not in seen:
                    seen.add(c)
                    picked.append(c)
                    if len(picked) == num_sampled:
                        break
        sampled = np.asarray(picked, np.int64)

        def expected(c):
            return -np.expm1(tries * np.log1p(-prob(c)))
    else:
        sampled = draw(num_sampled)

        def expected(c):
            return num_sampled * prob(c)
    return (Tensor._wrap(sampled), Tensor._wrap(expected(tc).astype(np.float32)),
            Tensor._wrap(expected(sampled).astype(np.float32)))


def stateless_uniform(shape, seed, minval=0, maxval=None, dtype=None, name=None,
                      alg="auto_select"):
    """tf.random.stateless_uniform: U[minval, maxval) draws that depend only on `seed` (two
    ints) and the shape: the same seed gives the same values on every call. float32 (default)
    or float64 with maxval defaulting to 1; int32 / int64 need both bounds, or neither for the
    dtype's whole range."""
    npd = _random._random_dtype(dtype, "tf.random.stateless_uniform", ints=True)
    gen, shape = _stateless_gen(seed, alg, "stateless_uniform"), _shape(shape)
    if npd.kind == "i":
        if minval is None and maxval is None:
            info = np.iinfo(npd)
            return Tensor._wrap(gen.integers(info.min, info.max, shape, dtype=npd,
                                             endpoint=True))
        if minval is None or maxval is None:
            raise ValueError("[tf.random.stateless_uniform] an integer dtype needs both minval "
                             "and maxval, or neither")
        if int(maxval) <= int(minval):
            raise ValueError(f"[tf.random.stateless_uniform] need minval < maxval, got "
                             f"{minval} and {maxval}")
        return Tensor._wrap(gen.integers(int(minval), int(maxval), shape).astype(npd))
    lo = 0.0 if minval is None else float(minval)
    hi = 1.0 if maxval is None else float(maxval)
    return Tensor._wrap(gen.uniform(lo, hi, shape).astype(npd))


def stateless_normal(shape, seed, mean=0.0, stddev=1.0, dtype=None, name=None,
                     alg="auto_select"):
    """tf.random.stateless_normal: N(mean, stddev^2) draws that depend only on `seed`."""
    npd = _random._random_dtype(dtype, "tf.random.stateless_normal", ints=False)
    gen = _stateless_gen(seed, alg, "stateless_normal")
    return Tensor._wrap((gen.standard_normal(_shape(shape)) * float(stddev)
                         + float(mean)).astype(npd))


def _np_dtype(dtype):
    from . import dtypes
    return np.dtype(dtypes.as_dtype(dtype).np)


def random_uniform(shape, minval=0, maxval=None, dtype=None, seed=None, name=None):
    """TensorFlow 1's tf.random_uniform (tf.compat.v1.random_uniform): tf.random.uniform with
    maxval None meaning 1 for floats (an integer dtype needs maxval). The shape may hold 0-d
    integer tensors (`[tf.shape(x)[0]]`)."""
    if maxval is None:
        if dtype is not None and _np_dtype(dtype).kind in "iu":
            raise ValueError("[random_uniform] an integer dtype needs maxval")
        maxval = 1.0
    return _random.uniform(_shape(shape), float(_t(minval)._data) if isinstance(minval, Tensor)
                           else minval, float(maxval._data) if isinstance(maxval, Tensor)
                           else maxval, dtype=dtype, seed=seed)


def random_normal(shape, mean=0.0, stddev=1.0, dtype=None, seed=None, name=None):
    """TensorFlow 1's tf.random_normal (tf.compat.v1.random_normal) = tf.random.normal."""
    return _random.normal(_shape(shape), mean, stddev, dtype=dtype, seed=seed)
