"""Dataset.rejection_resample (tf.data's): elements re-drawn so that their classes follow
`target_dist`, yielded as (class, element) pairs. As TensorFlow: with the ratios
r_i = target_i / initial_i and m = min(r), an element is taken straight from the input with
probability m (no rejection), otherwise from a second pass that keeps an element of class i
with probability (r_i - m) / (max(r) - m); the mixture has the target distribution and wastes
fewer elements than plain rejection. The stream ends when either pass does. Without
initial_dist the class distribution is estimated as the data streams (counts started at 2 per
class, TensorFlow's smoothing). With a seed every pass repeats the same stream."""
import itertools

import numpy as np

from .. import random as _random
from . import structure as _st

_TINY = np.finfo(np.float32).tiny


def _dist(values, name, k=None):
    d = np.asarray(getattr(values, "_data", values), np.float64)
    if d.ndim != 1 or (k is not None and d.size != k) or (d < 0).any() or \
            not np.isclose(d.sum(), 1.0, atol=1e-4):
        want = f"{k} " if k is not None else ""
        raise ValueError(f"[Dataset.rejection_resample] {name} must be a 1-D distribution of "
                         f"{want}non-negative probabilities summing to 1, got {d.tolist()}")
    return d


def _mixing(initial, target):
    """(acceptance per class, probability of taking an input element as it is)."""
    ratio = target / (initial + _TINY)
    m, top = ratio.min(), ratio.max()
    accept = np.zeros_like(ratio) if top == m else (ratio - m) / (top - m)
    return accept, min(m, 1.0)


def rejection_resample(src, class_func, target_dist, initial_dist=None, seed=None):
    """The recipe (a function returning a fresh iterator) of the resampled (class, element)
    stream over the recipe `src`."""
    target = _dist(target_dist, "target_dist")
    k = target.size
    initial = None if initial_dist is None else _dist(initial_dist, "initial_dist", k)
    fixed = int(_random.get_generator().integers(0, 2 ** 62)) if seed is None else int(seed)
    passes = itertools.count()

    def class_of(e):
        t = _st.to_tensors(e)
        c = class_func(*t) if isinstance(t, tuple) else class_func(t)
        c = np.asarray(getattr(c, "_data", c))
        if c.ndim != 0 or c.dtype.kind not in "iu" or not 0 <= int(c) < k:
            raise ValueError(f"[Dataset.rejection_resample] class_func must return a scalar "
                             f"int class in [0, {k}), got {c!r}")
        return np.int32(c)

    def make():
        # a seed gives every pass the same draws (a fresh iterator restarts the seeded op's
        # stream, as in tf.data); without one each pass draws anew
        rng = np.random.default_rng([fixed, 0 if seed is not None else next(passes)])
        counts = np.full(k, 2.0)  # the estimate's smoothing, when initial_dist is None

        def estimate(c):
            counts[c] += 1
            return counts / counts.sum()

        def filtered():
            for e in src():
                c = class_of(e)
                dist = initial if initial is not None else estimate(c)
                if rng.random() < _mixing(dist, target)[0][c]:
                    yield c, e
        original, kept = src(), filtered()
        while True:
            dist = initial if initial is not None else counts / counts.sum()
            take_original = rng.random() < _mixing(dist, target)[1]
            e = next(original, None) if take_original else None
            if take_original:
                if e is None:
                    return
                yield class_of(e), e
                continue
            pair = next(kept, None)
            if pair is None:
                return
            yield pair
    return make
