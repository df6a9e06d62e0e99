"""tf.data's interleave and list_files (data/dataset.py's Dataset.interleave / list_files call
these): `cycle_length` child datasets are open at a time and visited in turn, `block_length`
consecutive elements from each; a child that ends makes room for the next one, as in
TensorFlow's deterministic order.

    files = tf.data.Dataset.list_files("fonts/*.csv")          # shuffled each pass
    rows = files.interleave(lambda path: tf.data.experimental.CsvDataset(path, types,
                                                                        header=True),
                            cycle_length=3)
"""
import os

import numpy as np

from . import structure as _st

_DONE = object()


def interleave_iterators(iterators, cycle, block=1):
    """tf.data's interleave order: `cycle` slots visited in turn, up to `block` items from
    each; a slot whose iterator ends is emptied and, at its next visit, opens the next
    iterator."""
    pending = iter(iterators)
    slots = [None] * cycle
    idx, open_, exhausted = 0, 0, False
    while not exhausted or open_:
        if slots[idx] is not None:
            for _ in range(block):
                item = next(slots[idx], _DONE)
                if item is _DONE:
                    slots[idx] = None
                    open_ -= 1
                    break
                yield item
            idx = (idx + 1) % cycle
        elif not exhausted:
            slots[idx] = next(pending, None)
            if slots[idx] is None:
                exhausted = True
            else:
                open_ += 1
        else:
            idx = (idx + 1) % cycle


def interleave(dataset, map_func, cycle_length, block_length):
    """The Dataset of map_func(element)'s elements, interleaved (Dataset.interleave)."""
    from .dataset import AUTOTUNE, UNKNOWN_CARDINALITY, Dataset, _positive
    # TensorFlow's default (and AUTOTUNE) cycle length: the number of schedulable CPU cores
    cycle = (len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity")
             else os.cpu_count() or 1) if cycle_length is None or cycle_length == AUTOTUNE \
        else _positive(cycle_length, "cycle_length", "interleave")
    block = 1 if block_length is None else _positive(block_length, "block_length",
                                                     "interleave")
    src = dataset._iter

    def child(e):
        t = _st.to_tensors(e)
        out = map_func(*t) if isinstance(t, tuple) else map_func(t)
        if not isinstance(out, Dataset):
            raise TypeError(f"[Dataset.interleave] map_func must return a Dataset, got "
                            f"{type(out).__name__}")
        return out._iter()

    return Dataset(lambda: interleave_iterators((child(e) for e in src()), cycle, block),
                   UNKNOWN_CARDINALITY)


def sample_from_datasets(datasets, weights, seed, stop_on_empty_dataset, rerandomize):
    """Dataset.sample_from_datasets: each element from datasets[i] with probability
    weights[i] (normalised; uniform when None). A dataset that runs out ends the result with
    stop_on_empty_dataset=True, else it is dropped and the others' weights renormalised, as
    in tf.data. seed=None draws a seed from pyengine's generator. Every pass makes the same
    choices unless `rerandomize` (TensorFlow's rerandomize_each_iteration)."""
    import itertools

    from .. import random as _random
    from .dataset import INFINITE_CARDINALITY, UNKNOWN_CARDINALITY, Dataset
    op = "Dataset.sample_from_datasets"
    datasets = list(datasets)
    if not datasets or not all(isinstance(d, Dataset) for d in datasets):
        raise TypeError(f"[{op}] datasets must be a non-empty list of Datasets")
    w = np.full(len(datasets), 1.0) if weights is None else \
        np.asarray(getattr(weights, "_data", weights), dtype=np.float64).reshape(-1)
    if w.shape != (len(datasets),) or (w < 0).any() or not np.isfinite(w).all() or w.sum() <= 0:
        raise ValueError(f"[{op}] weights must be {len(datasets)} non-negative numbers with a "
                         f"positive sum, got {weights!r}")
    fixed = int(_random.get_generator().integers(0, 2 ** 62)) if seed is None else int(seed)
    passes = itertools.count()

    def make():
        rng = np.random.default_rng([fixed, next(passes) if rerandomize else 0])
        its = [d._iter() for d in datasets]
        live = w.copy()
        while live.sum() > 0:
            i = int(rng.choice(len(its), p=live / live.sum()))
            item = next(its[i], _DONE)
            if item is _DONE:
                if stop_on_empty_dataset:
                    return
                live[i] = 0.0
                continue
            yield item
    cards = [d._cardinality for d in datasets]
    card = INFINITE_CARDINALITY if all(c == INFINITE_CARDINALITY for c, x in zip(cards, w)
                                       if x > 0) else UNKNOWN_CARDINALITY
    return Dataset(make, card)
