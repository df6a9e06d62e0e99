"""What fit / evaluate / predict accept besides arrays, turned into one stream of batches
`(x, y, sample_weight)` per epoch:

- a `keras.utils.PyDataset` / `Sequence` (batches by index; shuffled batch order when
  fit(shuffle=True); on_epoch_end() after each epoch),
- a re-iterable source: a pe.data.Dataset (tf.data), a pe.utils.data.DataLoader, any object
  whose iter() starts afresh,
- a one-shot iterator or Python generator.

Elements are x, (x,), (x, y) or (x, y, sample_weight) of Tensors, arrays or nested dicts/lists
of them. With steps_per_epoch the same iterator continues across epochs, and a source that
can start again (a Sequence, a Dataset, a DataLoader) starts again when it is used up, as Keras
3 does; a one-shot generator that runs out before `steps_per_epoch * epochs` batches stops
training with a warning.
class_weight turns each batch's y into per-sample weights.
"""
import itertools
import warnings

import numpy as np

from ..tensor import Tensor
from . import batching as _b
from . import tree


class PyDataset:
    """keras.utils.PyDataset (Keras 3) / keras.utils.Sequence (Keras 2): ``__getitem__(i)``
    returns batch i, ``__len__()`` the number of batches; on_epoch_end() runs after each epoch.
    workers > 1 reads batches in that many threads, up to max_queue_size batches ahead, and
    hands them to fit in index order (Keras 3's thread pool); use_multiprocessing=True is
    refused when the data is read (processes are not supported)."""

    def __init__(self, workers=1, use_multiprocessing=False, max_queue_size=10):
        self.workers, self.use_multiprocessing = workers, use_multiprocessing
        self.max_queue_size = max_queue_size

    def __getitem__(self, index):
        raise NotImplementedError(f"[{type(self).__name__}] a PyDataset must define "
                                  "__getitem__(index)")

    def __len__(self):
        raise NotImplementedError(f"[{type(self).__name__}] a PyDataset must define __len__()")

    @property
    def num_batches(self):
        return len(self)

    def on_epoch_begin(self):
        pass

    def on_epoch_end(self):
        pass

    def __iter__(self):
        for i in range(len(self)):
            yield self[i]


Sequence = PyDataset


def is_indexed(x):
    """A PyDataset / Sequence-like source: batches by index, with a length."""
    return isinstance(x, PyDataset) or (
        hasattr(x, "__getitem__") and hasattr(x, "__len__") and hasattr(x, "on_epoch_end")
        and not isinstance(x, (np.ndarray, Tensor, list, tuple, dict)))


def is_source(x):
    return is_indexed(x) or _b.is_dataset(x)


def _known_length(x):
    if is_indexed(x):
        return len(x)
    card = getattr(x, "cardinality", None)
    if callable(card):
        c = card()
        return int(c) if c >= 0 else None
    if hasattr(x, "__len__") and iter(x) is not x:
        try:
            return len(x)
        except TypeError:
            return None
    return None


class Adapter:
    """Batches for `what` ('fit', 'evaluate', 'predict') from one of the sources above."""

    def __init__(self, x, what, steps=None, shuffle=False, class_weight=None, need_y=False,
                 text=False, input_keys=None, check_counts=True, int_inputs=None):
        if steps is not None and (not isinstance(steps, (int, np.integer)) or steps < 1):
            raise ValueError(f"[{what}] steps must be a positive int or None. Received: "
                             f"{steps!r}")
        self.x, self.what, self.steps = x, what, None if steps is None else int(steps)
        self.shuffle, self.class_weight, self.need_y = shuffle, class_weight, need_y
        self.text = text  # str inputs kept (batching.as_arrays)
        self.input_keys = input_keys  # a dict x's keys that name model inputs (as_arrays)
        self.int_inputs = int_inputs  # which inputs keep integer arrays (as_arrays)
        # x / y / sample_weight sample counts must agree for the built-in steps; a model's own
        # train_step / test_step may pair batches of different sizes (keras-io NNCLR zips an
        # unlabeled and a labeled dataset)
        self.check_counts = check_counts
        self.indexed = is_indexed(x)
        self.one_shot = not self.indexed and iter(x) is x
        self._it = None
        self.exhausted = False
        n = _known_length(x)
        self.steps_per_epoch = self.steps if self.steps is not None else n

    def _fresh(self):
        if self.indexed:
            n = len(self.x)
            order = [int(i) for i in (np.random.permutation(n) if self.shuffle else range(n))]
            workers = getattr(self.x, "workers", 1) or 1
            if getattr(self.x, "use_multiprocessing", False):
                raise ValueError(f"[{self.what}] use_multiprocessing=True is not supported: "
                                 f"batches are read by threads (workers={workers})")
            if workers > 1:
                return _read_ahead(self.x, order, int(workers),
                                   int(getattr(self.x, "max_queue_size", 10) or 10))
            return (self.x[i] for i in order)
        return iter(self.x)

    def epoch(self):
        """(step, (x, y, sample_weight) packed for train_step) for one epoch."""
        if self.indexed and hasattr(self.x, "on_epoch_begin"):
            self.x.on_epoch_begin()
        if self.steps is None:
            it = self._it if self.one_shot and self._it is not None else self._fresh()
            if self.one_shot:
                self._it = it
            count = 0
            for count, e in enumerate(it, 1):
                yield count - 1, self._batch(e, count - 1)
            if count == 0 and self.what == "fit":
                self._ran_out()
        else:
            if self._it is None:
                self._it = self._fresh()
            for step in range(self.steps):
                try:
                    e = next(self._it)
                except StopIteration:
                    # Keras 3 (and Keras 2's Sequence enqueuer): a source that can start
                    # again does, so steps_per_epoch may exceed or not divide its length;
                    # only a one-shot generator, or a source with no batches, runs out
                    e = None if self.one_shot else next(self._restart(), None)
                    if e is None:
                        self._it = None if not self.one_shot else self._it
                        self._ran_out()
                        break
                yield step, self._batch(e, step)
        if self.indexed:
            self.x.on_epoch_end()

    def _restart(self):
        if self.indexed:
            self.x.on_epoch_end()
        self._it = self._fresh()
        return self._it

    def _ran_out(self):
        self.exhausted = True
        warnings.warn(f"[{self.what}] your input ran out of data; interrupting training. Make "
                      "sure that your dataset or generator can generate at least "
                      "`steps_per_epoch * epochs` batches (use .repeat() on a pe.data "
                      "Dataset).", stacklevel=3)

    def _batch(self, e, step):
        if isinstance(e, list):  # a DataLoader's [x, y]; Keras' rule: a list is a tuple
            e = tuple(e)
        if isinstance(e, tuple) and not 1 <= len(e) <= 3:
            raise ValueError(f"[{self.what}] each element of the data must be x, (x, y) or "
                             f"(x, y, sample_weight); element {step} is a tuple of {len(e)}")
        x, y, sw = _b.unpack_x_y_sample_weight(e)
        if self.need_y and y is None:
            raise ValueError(f"[{self.what}] each element of the data must be (x, y) or "
                             f"(x, y, sample_weight) for a model compiled with a loss; element "
                             f"{step} is {_describe(e)}")
        x = _b.as_arrays(x, self.what, text=self.text, input_keys=self.input_keys,
                         keep_floats=True, int_inputs=self.int_inputs)
        if self.what == "predict":
            return _b.pack(x)
        # inputs of different lengths (a batch of graphs merged into one: atoms, bonds) are
        # Keras' to take: a batch counts its first input's rows, and y is not compared with x.
        # A model's own train_step / test_step checks nothing (check_counts False).
        lengths = {len(a) if np.ndim(a) else 0 for a in tree.flatten(x)}
        n = None
        if self.check_counts:
            n = _b.num_samples(x, self.what) if len(lengths) == 1 else _b.first_leaf_samples(x)
        if y is not None:
            y = _b.as_arrays(y, self.what, floating=False)
            if self.check_counts:
                ny = _b.num_samples(y, self.what, "y")
                if ny != n and len(lengths) == 1:
                    raise ValueError(f"[{self.what}] element {step}: x and y have different "
                                     f"numbers of samples: {n} vs {ny}")
        if sw is not None:
            # one weight per sample, or per position of a sequence loss ((n, steps): keras-io's
            # masked language model weighs only the masked tokens), as Keras
            sw = np.asarray(sw._data if isinstance(sw, Tensor) else sw, np.float32)
            sw = sw.reshape(-1) if sw.ndim == 2 and sw.shape[1] == 1 else sw
            if self.check_counts:
                rows = len(sw) if sw.ndim else 0
                want = n if y is None else len(tree.flatten(y)[0])  # one weight per target
                if rows != want:
                    raise ValueError(f"[{self.what}] element {step}: sample_weight has {rows} "
                                     f"entries (shape {sw.shape}) for a batch of {want} samples")
        if self.class_weight is not None and y is not None:
            cw = _b.class_weights_to_sample_weights(self.class_weight, y, self.what)
            sw = cw if sw is None else sw * cw.reshape((-1,) + (1,) * (sw.ndim - 1))
        return _b.pack(x, y, sw)


def _read_ahead(source, order, workers, depth):
    """source[i] for i in order, read by `workers` threads at most max(depth, workers) batches
    ahead, yielded in order (so a run's batches do not depend on the number of workers)."""
    import collections
    from concurrent.futures import ThreadPoolExecutor
    with ThreadPoolExecutor(workers, thread_name_prefix="pydataset") as pool:
        pending, rest = collections.deque(), iter(order)
        for i in itertools.islice(rest, max(depth, workers)):
            pending.append(pool.submit(source.__getitem__, i))
        while pending:
            batch = pending.popleft().result()
            i = next(rest, None)
            if i is not None:
                pending.append(pool.submit(source.__getitem__, i))
            yield batch


def _describe(e):
    if isinstance(e, tuple):
        return f"a tuple of {len(e)}"
    leaves = tree.flatten(e)
    return f"{type(e).__name__}" + (f" of shape {np.shape(leaves[0])}" if len(leaves) == 1
                                    else "")
