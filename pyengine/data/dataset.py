"""pe.data.Dataset: tf.data's pipeline, streaming. Each Dataset holds a recipe (`_iter`, a
function returning a fresh iterator of elements); transformations wrap it lazily, so nothing is
materialised except the buffers a step asks for (shuffle's buffer, prefetch's queue, cache).

>>> ds = (pe.data.Dataset.from_tensor_slices((x, y)).shuffle(1000, seed=0).batch(32)
...       .prefetch(pe.data.AUTOTUNE))
>>> for xb, yb in ds: ...            # pe Tensors; ds.as_numpy_iterator() yields NumPy arrays

TensorFlow's `name=` (an op name) is accepted everywhere and cannot act: pyengine runs eagerly
and has no op names. map's `deterministic` and batch's `num_parallel_calls` / `deterministic`
cannot change the result either: elements always come in order (docs/hardening.md).
"""
import itertools
import queue
import threading
from concurrent.futures import ThreadPoolExecutor

import numpy as np

from .. import random as _random
from . import structure as _st

AUTOTUNE = -1
INFINITE_CARDINALITY = -1
UNKNOWN_CARDINALITY = -2
_DEFAULT_PARALLEL = 2  # what AUTOTUNE means for map's threads and prefetch's buffer


def _positive(value, name, op, allow_autotune=False):
    if allow_autotune and value == AUTOTUNE:
        return _DEFAULT_PARALLEL
    if not isinstance(value, (int, np.integer)) or isinstance(value, bool) or value < 1:
        raise ValueError(f"[Dataset.{op}] {name} must be a positive int"
                         f"{' or AUTOTUNE' if allow_autotune else ''}, got {value!r}")
    return int(value)


class Dataset:
    """A re-iterable stream of elements (arrays, or tuples/dicts of arrays)."""

    def __init__(self, make_iter, cardinality=UNKNOWN_CARDINALITY, spec=None):
        self._iter = make_iter
        self._cardinality = cardinality
        self._spec = spec

    # ---- sources ----------------------------------------------------------------------
    @staticmethod
    def from_tensor_slices(tensors, name=None):
        """One element per row of the first dimension of every leaf (all the same length)."""
        data = _st.normalize(tensors, "from_tensor_slices")
        arrays = _st.leaves(data)
        for a in arrays:
            if a.ndim == 0:
                raise ValueError("[from_tensor_slices] every component needs a first dimension "
                                 "to slice; got a scalar")
        sizes = {a.shape[0] for a in arrays}
        if len(sizes) != 1:
            raise ValueError(f"[from_tensor_slices] components have different first dimensions "
                             f"{sorted(sizes)}")
        n = sizes.pop()
        return Dataset(lambda: (_st.map_leaves(lambda a, i=i: a[i], data) for i in range(n)),
                       n, _st.map_leaves(lambda a: _st.TensorSpec(a.shape[1:], _dtype(a)), data))

    @staticmethod
    def list_files(file_pattern, shuffle=None, seed=None, name=None):
        """The paths matching a glob pattern (or a list of patterns) as a dataset of strings,
        sorted, then shuffled unless shuffle=False (anew each pass; seed fixes the order). No
        match raises tf.errors.InvalidArgumentError, as TensorFlow."""
        from ..tf_debugging import InvalidArgumentError
        from ..tf_gfile import glob
        paths = glob(file_pattern)
        if not paths:
            raise InvalidArgumentError(None, "list_files", f"[Dataset.list_files] No files "
                                                           f"matched pattern: {file_pattern}")
        ds = Dataset.from_tensor_slices(np.array(paths, dtype=np.str_))
        return ds if shuffle is False else ds.shuffle(len(paths), seed=seed)

    @staticmethod
    def from_tensors(tensors, name=None):
        """A dataset of one element: `tensors` itself."""
        data = _st.normalize(tensors, "from_tensors")
        return Dataset(lambda: iter([data]), 1, _st.spec_of(data))

    @staticmethod
    def range(*args, dtype=None, name=None):
        """Like Python's range(start, stop, step): int64 scalars."""
        r = range(*args)
        npd = np.int64 if dtype is None else _dtype_np(dtype)
        return Dataset(lambda: (np.asarray(i, npd) for i in r), len(r), _st.TensorSpec((), npd))

    @staticmethod
    def from_generator(generator, output_types=None, output_shapes=None, args=None,
                       output_signature=None, name=None):
        """Elements from calling ``generator(*args)`` afresh at each pass. With
        `output_signature` (TensorSpecs) or `output_shapes`, every element is checked against
        it; without, every element must have the structure and shapes of the first (None in a
        spec's shape accepts any size)."""
        if not callable(generator):
            raise TypeError(f"[from_generator] generator must be callable (a function returning "
                            f"an iterator), got {type(generator).__name__}")
        spec = output_signature
        if spec is None and output_shapes is not None:
            spec = _shapes_to_spec(output_shapes)
        args = tuple(args or ())
        # output_types (TensorFlow's older form): every element is cast to these dtypes
        types = None if output_types is None or output_signature is not None else \
            _st.map_leaves(_dtype_np, output_types)

        def make():
            first = None
            for k, e in enumerate(generator(*args)):
                e = _st.normalize(e, "from_generator")
                if types is not None:
                    e = _cast_to_types(e, types, k)
                if spec is not None:
                    _check_spec(e, spec, k)
                elif first is None:
                    first = _st.spec_of(e)
                else:
                    _check_spec(e, first, k)
                yield e
        return Dataset(make, UNKNOWN_CARDINALITY, spec)

    @staticmethod
    def sample_from_datasets(datasets, weights=None, seed=None, stop_on_empty_dataset=False,
                             rerandomize_each_iteration=None):
        """Elements drawn from `datasets` at random, datasets[i] with probability weights[i]
        (also tf.data.experimental.sample_from_datasets). data/interleave.py."""
        from .interleave import sample_from_datasets
        return sample_from_datasets(datasets, weights, seed, stop_on_empty_dataset,
                                    bool(rerandomize_each_iteration))

    @staticmethod
    def zip(*datasets, name=None):
        """Elements are tuples (or the given structure, nested tuples / dicts of Datasets:
        `zip((images, (counter, counter)))`) of the datasets' elements; it ends with the
        shortest."""
        struct = datasets[0] if len(datasets) == 1 and isinstance(datasets[0], (tuple, dict)) \
            else datasets
        parts = []

        def flatten(node):
            if isinstance(node, dict):
                return {k: flatten(v) for k, v in node.items()}
            if isinstance(node, (tuple, list)):
                return tuple(flatten(v) for v in node)
            if not isinstance(node, Dataset):
                raise TypeError(f"[Dataset.zip] expected Datasets (in tuples / dicts), got "
                                f"{type(node).__name__}")
            parts.append(node)
            return len(parts) - 1
        layout = flatten(struct)

        def pack(node, items):
            if isinstance(node, dict):
                return {k: pack(v, items) for k, v in node.items()}
            if isinstance(node, tuple):
                return tuple(pack(v, items) for v in node)
            return items[node]

        def make():
            its = [d._iter() for d in parts]
            for items in zip(*its):
                yield pack(layout, items)
        cards = [d._cardinality for d in parts]
        known = [c for c in cards if c >= 0]
        card = min(known) if known else (INFINITE_CARDINALITY if all(c == -1 for c in cards)
                                         else UNKNOWN_CARDINALITY)
        return Dataset(make, card)

    # ---- iteration ----------------------------------------------------------------------
    def __iter__(self):
        return (_st.to_tensors(e) for e in self._iter())

    def as_numpy_iterator(self):
        """The elements as NumPy arrays (tuples/dicts of them); scalar elements as NumPy
        scalars (np.int64(3), not array(3)), as tf.data gives them."""
        return _NumpyIterator(_st.map_leaves(
            lambda a: a[()] if isinstance(a, np.ndarray) and a.ndim == 0 else a, e)
                              for e in self._iter())

    def cardinality(self):
        """Number of elements as a scalar int64 tensor, as tf.data returns it (`.numpy()`,
        `int()`, comparisons); INFINITE_CARDINALITY (-1) or UNKNOWN_CARDINALITY (-2)."""
        from ..creation import tensor
        from ..dtypes import int64
        return tensor(self._cardinality, dtype=int64)

    def __len__(self):
        if self._cardinality == INFINITE_CARDINALITY:
            raise TypeError("The dataset is infinite.")
        if self._cardinality < 0:
            raise TypeError("The dataset length is unknown.")
        return self._cardinality

    @property
    def element_spec(self):
        if self._spec is None:
            first = next(iter(self._iter()), None)
            if first is None:
                raise ValueError("[element_spec] the dataset is empty and its spec is unknown")
            self._spec = _st.spec_of(first)
        return self._spec

    # ---- transformations ------------------------------------------------------------------
    def map(self, map_func, num_parallel_calls=None, deterministic=None, name=None):
        """``map_func(*element)`` for tuple elements (``map_func(element)`` otherwise), on pe
        Tensors. num_parallel_calls > 1 (or AUTOTUNE) runs it on that many threads; the output
        order is always the input order."""
        src = self._iter
        workers = 1 if num_parallel_calls is None else \
            _positive(num_parallel_calls, "num_parallel_calls", "map", True)

        def call(e):
            t = _st.to_tensors(e)
            out = map_func(*t) if isinstance(t, tuple) else map_func(t)
            if isinstance(out, list):
                # tf.data treats a returned Python list as a tuple of components (keras-io
                # GauGAN's crop returns [segmentation_map, image, labels]), not one array
                out = tuple(out)
            return _st.normalize(out, "Dataset.map")

        def make():
            if workers == 1:
                return (call(e) for e in src())
            return _parallel_map(call, src(), workers)

        def call_or_error(e):
            try:
                return call(e)
            except Exception as exc:  # noqa: BLE001 (handed to ignore_errors as a value)
                return _MapError(exc)

        def make_tolerant():
            # for ignore_errors(): an element whose map_func raised comes as a _MapError, so
            # the elements after it still come (a generator that raised is finished)
            if workers == 1:
                return (call_or_error(e) for e in src())
            return _parallel_map(call_or_error, src(), workers)
        out = Dataset(make, self._cardinality)
        out._tolerant_iter = make_tolerant
        return out

    def interleave(self, map_func, cycle_length=None, block_length=None,
                   num_parallel_calls=None, deterministic=None, name=None):
        """The elements of the Datasets ``map_func(element)`` returns, `cycle_length` of them
        open at a time (default: the number of CPU cores, as in TensorFlow), `block_length`
        (default 1) consecutive elements from each in turn. The order is tf.data's
        deterministic one whatever num_parallel_calls is. data/interleave.py."""
        from .interleave import interleave
        if num_parallel_calls is not None:
            _positive(num_parallel_calls, "num_parallel_calls", "interleave", True)
        return interleave(self, map_func, cycle_length, block_length)

    def ignore_errors(self, log_warning=False, name=None):
        """The elements whose map function raised are dropped (tf.data's ignore_errors; also
        `.apply(tf.data.experimental.ignore_errors())`): put it after the `.map(...)` whose
        failures it should skip. An error raised further upstream (a generator, a batch of
        elements of different shapes) is not skipped: it propagates, as a finished Python
        iterator cannot give the elements after it. log_warning prints each skipped error."""
        tolerant = getattr(self, "_tolerant_iter", None)
        src = self._iter

        def make():
            if tolerant is None:
                yield from src()
                return
            for e in tolerant():
                if isinstance(e, _MapError):
                    if log_warning:
                        print(f"[Dataset.ignore_errors] skipped an element: "
                              f"{type(e.error).__name__}: {e.error}")
                    continue
                yield e
        return Dataset(make, UNKNOWN_CARDINALITY, self._spec)

    def filter(self, predicate, name=None):
        src = self._iter

        def keep(e):
            t = _st.to_tensors(e)
            return bool(predicate(*t) if isinstance(t, tuple) else predicate(t))
        return Dataset(lambda: (e for e in src() if keep(e)), UNKNOWN_CARDINALITY, self._spec)

    def rejection_resample(self, class_func, target_dist, initial_dist=None, seed=None,
                           name=None):
        """(class, element) pairs whose classes follow target_dist (data/resample.py)."""
        from .resample import rejection_resample
        return Dataset(rejection_resample(self._iter, class_func, target_dist, initial_dist,
                                          seed))

    def batch(self, batch_size, drop_remainder=False, num_parallel_calls=None,
              deterministic=None, name=None):
        """Stacks `batch_size` consecutive elements (leaf by leaf) into one; the last batch is
        shorter unless drop_remainder."""
        batch_size = _positive(batch_size, "batch_size", "batch")
        return self._batched(batch_size, drop_remainder, lambda chunk: _st.zip_leaves(
            lambda xs: _st.stack(xs, "Dataset.batch"), chunk, "Dataset.batch"))

    def padded_batch(self, batch_size, padded_shapes=None, padding_values=None,
                     drop_remainder=False, name=None):
        """batch() of elements of different shapes: each leaf is padded at the end of its
        dimensions to the longest in the batch (or to `padded_shapes`; None / -1 dims: the
        longest), with `padding_values` (default 0, "" for text). data/padding.py."""
        from .padding import padded_stack
        batch_size = _positive(batch_size, "batch_size", "padded_batch")

        def combine(chunk):
            _st.zip_leaves(lambda xs: None, chunk, "Dataset.padded_batch")  # same structure
            return padded_stack(chunk, padded_shapes, padding_values)
        return self._batched(batch_size, drop_remainder, combine)

    def _batched(self, batch_size, drop_remainder, combine):
        """The Dataset of combine(list of `batch_size` consecutive elements): batch() and
        padded_batch()."""
        src = self._iter

        def make():
            it = src()
            while True:
                chunk = list(itertools.islice(it, batch_size))
                if not chunk or (drop_remainder and len(chunk) < batch_size):
                    return
                yield combine(chunk)
        c = self._cardinality
        card = c if c < 0 else (c // batch_size if drop_remainder else -(-c // batch_size))
        return Dataset(make, card)

    def unbatch(self, name=None):
        """Splits every element along its first dimension (the inverse of batch)."""
        src = self._iter

        def make():
            for e in src():
                n = {a.shape[0] if a.ndim else None for a in _st.leaves(e)}
                if None in n or len(n) != 1:
                    raise ValueError(f"[Dataset.unbatch] every component needs the same first "
                                     f"dimension, got {sorted(map(str, n))}")
                for i in range(n.pop()):
                    yield _st.map_leaves(lambda a: a[i], e)
        return Dataset(make, UNKNOWN_CARDINALITY)

    def shuffle(self, buffer_size, seed=None, reshuffle_each_iteration=True, name=None):
        """tf.data's buffered shuffle: keep `buffer_size` elements, emit a random one and put
        the next element in its place (buffer_size >= the dataset size is a full shuffle).
        seed=None draws from pyengine's generator (``pe.manual_seed`` makes it reproducible);
        with reshuffle_each_iteration=False every pass has the same order."""
        buffer_size = _positive(buffer_size, "buffer_size", "shuffle")
        src = self._iter
        fixed = int(_random.get_generator().integers(0, 2 ** 62)) if seed is None else int(seed)
        passes = itertools.count()

        def make():
            k = next(passes) if reshuffle_each_iteration else 0
            rng = np.random.default_rng([fixed, k])
            buf = []
            for e in src():
                if len(buf) < buffer_size:
                    buf.append(e)
                    continue
                j = int(rng.integers(len(buf)))
                yield buf[j]
                buf[j] = e
            rng.shuffle(buf)
            yield from buf
        return Dataset(make, self._cardinality, self._spec)

    def repeat(self, count=None, name=None):
        """The dataset `count` times (forever when None or -1)."""
        src = self._iter
        forever = count is None or count == -1
        if not forever:
            count = int(count)

        def make():
            for _ in (itertools.count() if forever else range(count)):
                yield from src()
        c = self._cardinality
        if forever:
            card = 0 if c == 0 else INFINITE_CARDINALITY
        else:
            card = c * count if c >= 0 else c
        return Dataset(make, card, self._spec)

    def take(self, count, name=None):
        src = self._iter
        count = int(count)
        if count < 0:
            return self
        c = self._cardinality
        card = count if c == INFINITE_CARDINALITY else (min(c, count) if c >= 0 else c)
        return Dataset(lambda: itertools.islice(src(), count), card, self._spec)

    def skip(self, count, name=None):
        src = self._iter
        count = int(count)
        c = self._cardinality
        card = c if c < 0 else max(c - count, 0)
        return Dataset(lambda: itertools.islice(src(), max(count, 0), None), card, self._spec)

    def concatenate(self, dataset, name=None):
        a, b = self._iter, dataset._iter
        c1, c2 = self._cardinality, dataset._cardinality
        card = c1 + c2 if c1 >= 0 and c2 >= 0 else (-1 if -1 in (c1, c2) else -2)
        return Dataset(lambda: itertools.chain(a(), b()), card, self._spec)

    def enumerate(self, start=0, name=None):
        src = self._iter
        return Dataset(lambda: ((np.asarray(i, np.int64), e) for i, e in
                                enumerate(src(), start)), self._cardinality)

    def shard(self, num_shards, index, name=None):
        num_shards = _positive(num_shards, "num_shards", "shard")
        if not 0 <= index < num_shards:
            raise ValueError(f"[Dataset.shard] index must be in [0, {num_shards}), got {index}")
        src = self._iter
        c = self._cardinality
        card = c if c < 0 else len(range(index, c, num_shards))
        return Dataset(lambda: itertools.islice(src(), index, None, num_shards), card, self._spec)

    def with_options(self, options, name=None):
        """This dataset with `options` merged into its tf.data.Options (data/options.py:
        they tune execution, not the elements)."""
        from .options import Options
        if not isinstance(options, Options):
            raise TypeError(f"[Dataset.with_options] options must be a pe.data.Options, got "
                            f"{type(options).__name__}")
        out = Dataset(self._iter, self._cardinality, self._spec)
        out._options = self.options().merge(options)
        return out

    def options(self):
        from .options import Options
        return getattr(self, "_options", None) or Options()

    def prefetch(self, buffer_size, name=None):
        """A background thread keeps up to `buffer_size` elements ready (AUTOTUNE: 2)."""
        buffer_size = _positive(buffer_size, "buffer_size", "prefetch", True)
        src = self._iter
        return Dataset(lambda: _prefetch(src, buffer_size), self._cardinality, self._spec)

    def cache(self, filename="", name=None):
        """Keeps the elements of the first complete pass in memory; later passes replay them
        without running the upstream pipeline again."""
        if filename:
            raise ValueError("[Dataset.cache] only the in-memory cache (filename='') is "
                             "supported; a file cache is not implemented")
        src = self._iter
        store = []

        def make():
            if store and store[0] is not None:
                yield from store[0]
                return
            seen = []
            for e in src():
                seen.append(e)
                yield e
            store[:] = [seen]
        return Dataset(make, self._cardinality, self._spec)

    def apply(self, transformation_func):
        return transformation_func(self)

    def __repr__(self):
        return f"<pe.data.Dataset cardinality={self._cardinality}>"


class _NumpyIterator:
    """as_numpy_iterator()'s iterator: also answers TensorFlow's `.next()`
    (`image_batch, label_batch = test_dataset.as_numpy_iterator().next()`)."""

    def __init__(self, it):
        self._it = it

    def __iter__(self):
        return self

    def __next__(self):
        return next(self._it)

    next = __next__


def _dtype(a):
    from .. import dtypes as _dt
    from .. import string_dtype as _sd
    return _sd.string if a.dtype.kind in "SUO" else _dt.from_numpy_dtype(a.dtype)


def _dtype_np(dtype):
    from .. import dtypes as _dt
    from .. import string_dtype as _sd
    if _sd.is_string(dtype):
        return np.dtype(np.str_)  # tf.string: text (any length)
    return _dt.as_dtype(dtype).np


def _cast_to_types(element, types, k):
    """element's leaves cast to `types` (one dtype for every leaf, or the element's structure)."""
    if not isinstance(types, (tuple, dict)):
        return _st.map_leaves(lambda a: a.astype(types, copy=False), element)
    if type(element) is not type(types) or len(element) != len(types) or \
            (isinstance(types, dict) and element.keys() != types.keys()):
        raise ValueError(f"[from_generator] element {k} does not have the structure of "
                         f"output_types: {element!r}")
    keys = types.keys() if isinstance(types, dict) else range(len(types))
    cast = {i: _cast_to_types(element[i], types[i], k) for i in keys}
    return cast if isinstance(types, dict) else tuple(cast[i] for i in keys)


def _shapes_to_spec(shapes):
    if isinstance(shapes, dict):
        return {k: _shapes_to_spec(v) for k, v in shapes.items()}
    if isinstance(shapes, tuple) and shapes and all(isinstance(s, (tuple, list, dict))
                                                    for s in shapes):
        return tuple(_shapes_to_spec(s) for s in shapes)
    return _ShapeOnly(shapes)


class _ShapeOnly(_st.TensorSpec):
    """output_shapes without dtypes: checks the shape only."""

    def __init__(self, shape):
        self.shape = tuple(None if d is None else int(d) for d in shape)
        self.dtype, self.name = None, None


def _check_spec(element, spec, k):
    def check(pair):
        a, s = pair
        if not s.matches(a):
            raise ValueError(f"[from_generator] element {k} has shape {tuple(a.shape)}, expected "
                             f"{s.shape} (the generator yields inconsistent shapes)")
    try:
        _st.zip_leaves(lambda xs: check(xs), [element, spec], "from_generator")
    except ValueError as e:
        if "different structures" in str(e):
            raise ValueError(f"[from_generator] element {k} does not match the expected "
                             f"structure: {e}") from None
        raise


class _MapError:
    """An element whose map function raised (Dataset.map's tolerant iteration)."""

    def __init__(self, error):
        self.error = error


def _parallel_map(call, it, workers):
    """call(e) for each e on `workers` threads, at most 2 * workers in flight, in order."""
    with ThreadPoolExecutor(workers, thread_name_prefix="pyengine-data-map") as pool:
        window = []
        for e in it:
            window.append(pool.submit(call, e))
            if len(window) >= 2 * workers:
                yield window.pop(0).result()
        for f in window:
            yield f.result()


_END = object()


def _prefetch(src, size):
    q = queue.Queue(size)
    stop = threading.Event()

    def fill():
        try:
            for e in src():
                while not stop.is_set():
                    try:
                        q.put((e, None), timeout=0.1)
                        break
                    except queue.Full:
                        continue
                if stop.is_set():
                    return
            q.put((_END, None))
        except BaseException as exc:  # re-raised in the consumer
            q.put((_END, exc))
    t = threading.Thread(target=fill, daemon=True, name="pyengine-data-prefetch")
    t.start()
    try:
        while True:
            e, exc = q.get()
            if e is _END:
                if exc is not None:
                    raise exc
                return
            yield e
    finally:
        stop.set()
