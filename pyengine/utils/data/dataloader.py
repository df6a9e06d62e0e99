"""DataLoader: batches from a dataset, optionally loaded ahead by worker threads.

Workers are threads, not processes (measured in bench/bench_dataloader.py, see docs/data.md):
a batch of tensor rows is one NumPy gather that runs without the GIL, thread start-up is free,
nothing is pickled, and threads are fork-safe (no OpenMP pool or open file is duplicated into a
child). Work that holds the GIL in pure Python does not speed up, but is still loaded ahead of
the training step that runs the C++ kernels (which release the GIL).

Batch ``k`` is given to worker ``k % num_workers`` and read back in order, so the batches and
their order are those of ``num_workers=0``; ``num_workers * prefetch_factor`` batches are in
flight at a time. in_order=False hands out whichever batch is ready first instead.
persistent_workers=True keeps the worker threads (and what worker_init_fn set up in them, and
their WorkerInfo seed) from one epoch to the next, as torch's persistent workers.
"""
import collections
import queue
import threading
import weakref

import numpy as np

from ... import random as _random
from ...tensor import Tensor
from .collate import default_collate, default_convert
from .dataset import IterableDataset, TensorDataset
from .sampler import BatchSampler, RandomSampler, Sampler, SequentialSampler

WorkerInfo = collections.namedtuple("WorkerInfo", "id num_workers seed dataset")
_local = threading.local()


def get_worker_info():
    """Inside a worker: WorkerInfo(id, num_workers, seed, dataset); in the main thread: None."""
    return getattr(_local, "info", None)


class _Exhausted:
    """A worker's iterable dataset has no more samples."""


class _Failure:
    def __init__(self, worker_id, exc):
        self.worker_id, self.exc = worker_id, exc


def _check_int(value, name, low):
    if not isinstance(value, int) or isinstance(value, bool) or value < low:
        raise ValueError(f"[DataLoader] {name} should be an int >= {low}, got {value!r}")


class DataLoader:
    """Iterate over `dataset` in batches (torch.utils.data.DataLoader's arguments).

    batch_size (None: no batching), shuffle (a fresh permutation every epoch, drawn from
    `generator` or pyengine's global generator, so ``pe.manual_seed`` reproduces it), sampler /
    batch_sampler (custom index order), drop_last, collate_fn (default: `default_collate`),
    num_workers (threads loading ahead; 0 loads in the caller), prefetch_factor (batches in
    flight per worker, default 2), worker_init_fn(worker_id) (called once in each worker),
    timeout (seconds to wait for a worker's batch; 0 waits forever), pin_memory (accepted for
    PyTorch code: pinned host memory only matters for GPU copies, so on CPU it changes nothing),
    persistent_workers (keep the workers across epochs: worker_init_fn runs once per worker for
    the loader's life), in_order (False: batches as they become ready, not in sampler order).
    A dataset with ``__getitems__(indices)`` is asked for each batch's samples in one call.

    >>> loader = DataLoader(TensorDataset(x, y), batch_size=32, shuffle=True, num_workers=2)
    >>> for xb, yb in loader: ...
    """

    def __init__(self, dataset, batch_size=1, shuffle=None, sampler=None, batch_sampler=None,
                 num_workers=0, collate_fn=None, pin_memory=False, drop_last=False, timeout=0,
                 worker_init_fn=None, generator=None, *, prefetch_factor=None,
                 persistent_workers=False, in_order=True):
        _check_int(num_workers, "num_workers", 0)
        if persistent_workers and num_workers == 0:
            raise ValueError("[DataLoader] persistent_workers option needs num_workers > 0")
        if timeout < 0:
            raise ValueError(f"[DataLoader] timeout should be non-negative, got {timeout!r}")
        if prefetch_factor is not None:
            if num_workers == 0:
                raise ValueError("[DataLoader] prefetch_factor option could only be specified in "
                                 "multiprocessing: let num_workers > 0 to enable it")
            _check_int(prefetch_factor, "prefetch_factor", 1)
        if batch_size is not None:
            _check_int(batch_size, "batch_size", 1)
        self.dataset, self.num_workers, self.timeout = dataset, num_workers, timeout
        self.prefetch_factor = 2 if prefetch_factor is None and num_workers else prefetch_factor
        self.pin_memory, self.worker_init_fn, self.generator = bool(pin_memory), worker_init_fn, \
            generator
        self.persistent_workers, self.in_order = bool(persistent_workers), bool(in_order)
        self._workers = None  # the persistent workers' iterator, made at the first epoch
        self._iterable = isinstance(dataset, IterableDataset)
        if self._iterable:
            if shuffle:
                raise ValueError("[DataLoader] with IterableDataset: expected unspecified shuffle "
                                 f"option, but got shuffle={shuffle}")
            if sampler is not None or batch_sampler is not None:
                raise ValueError("[DataLoader] with IterableDataset: expected unspecified sampler "
                                 "and batch_sampler options")
        if sampler is not None and shuffle:
            raise ValueError("[DataLoader] sampler option is mutually exclusive with shuffle")
        if batch_sampler is not None:
            if batch_size != 1 or shuffle or sampler is not None or drop_last:
                raise ValueError("[DataLoader] batch_sampler option is mutually exclusive with "
                                 "batch_size, shuffle, sampler, and drop_last")
            batch_size, drop_last = None, False
        elif batch_size is None and drop_last:
            raise ValueError("[DataLoader] batch_size=None option disables auto-batching and is "
                             "mutually exclusive with drop_last")
        if sampler is None and not self._iterable:
            sampler = RandomSampler(dataset, generator=generator) if shuffle else \
                SequentialSampler(dataset)
        if batch_size is not None and batch_sampler is None and not self._iterable:
            batch_sampler = BatchSampler(sampler, batch_size, drop_last)
        self.batch_size, self.drop_last = batch_size, drop_last
        self.sampler, self.batch_sampler = sampler, batch_sampler
        self._auto_collation = batch_sampler is not None or (self._iterable and batch_size)
        if collate_fn is None:
            collate_fn = default_collate if self._auto_collation else default_convert
        self.collate_fn = collate_fn

    def __len__(self):
        if self._iterable:
            n = len(self.dataset)  # TypeError when the stream has no length, as in PyTorch
            if self.batch_size is None:
                return n
            return n // self.batch_size if self.drop_last else -(-n // self.batch_size)
        return len(self.batch_sampler if self._auto_collation else self.sampler)

    def __iter__(self):
        if self.num_workers == 0:
            return self._single()
        if not self.persistent_workers:
            return _WorkerIter(self)
        if self._workers is None:
            self._workers = _WorkerIter(self)
        else:
            self._workers._new_epoch()
        return self._workers

    # ---- loading one batch (used in the caller and in the workers) ---------------------
    def _index_batches(self):
        return iter(self.batch_sampler if self._auto_collation else self.sampler)

    def _fetch(self, indices):
        ds = self.dataset
        if not self._auto_collation:
            return self.collate_fn(ds[indices])
        if self.collate_fn is default_collate and type(ds) is TensorDataset:
            # One gather per tensor instead of a Python loop of rows + stack: same batch.
            idx = np.asarray(indices, dtype=np.int64)
            return [Tensor._wrap(np.asarray(t._data if isinstance(t, Tensor) else t)[idx])
                    for t in ds.tensors]
        getitems = getattr(ds, "__getitems__", None)
        if getitems:  # torch's batched fetch: one call for the batch's samples
            return self.collate_fn(getitems(list(indices)))
        return self.collate_fn([ds[i] for i in indices])

    def _fetch_stream(self, it):
        """Next batch from a per-consumer iterator of an IterableDataset; _Exhausted at the end."""
        if not self._auto_collation:
            for sample in it:
                return self.collate_fn(sample)
            return _Exhausted
        batch = []
        for sample in it:
            batch.append(sample)
            if len(batch) == self.batch_size:
                break
        if not batch or (len(batch) < self.batch_size and self.drop_last):
            return _Exhausted
        return self.collate_fn(batch)

    def _base_seed(self):
        # Drawn after the sampler's own seed, with or without workers, so that the shuffles of
        # a run under pe.manual_seed do not depend on num_workers.
        return int(_random.get_generator(self.generator).integers(0, 2 ** 62))

    def _single(self):
        batches = None if self._iterable else self._index_batches()
        self._base_seed()
        if self._iterable:
            it = iter(self.dataset)
            while True:
                b = self._fetch_stream(it)
                if b is _Exhausted:
                    return
                yield b
        for indices in batches:
            yield self._fetch(indices)


def _work(loader_ref, wid, base_seed, tasks, out, ready):
    """A worker thread: runs the tasks (epoch, batch indices) given to it, puts (epoch, batch)."""
    loader = loader_ref()
    if loader is None:
        return
    _local.info = WorkerInfo(wid, loader.num_workers, base_seed + wid, loader.dataset)
    try:
        if loader.worker_init_fn is not None:
            loader.worker_init_fn(wid)
    except BaseException as e:  # reported at the first batch this worker owes
        init_error = _Failure(wid, e)
    else:
        init_error = None
    del loader
    stream, stream_epoch = None, None
    while True:
        task = tasks.get()
        if task is None:
            return
        loader = loader_ref()
        if loader is None:
            return
        epoch, indices = task
        if init_error is not None:
            res = init_error
        else:
            try:
                if loader._iterable and stream_epoch != epoch:  # each epoch iterates anew
                    stream, stream_epoch = iter(loader.dataset), epoch
                res = loader._fetch_stream(stream) if loader._iterable else loader._fetch(indices)
            except BaseException as e:
                res = _Failure(wid, e)
        del loader
        out.put((epoch, res))
        ready.put(wid)


class _WorkerIter:
    """An epoch with worker threads (every epoch with persistent_workers); see the module
    docstring for the ordering rule."""

    def __init__(self, loader):
        self._loader = loader
        n = loader.num_workers
        self._epoch = 0
        self._indices = None if loader._iterable else loader._index_batches()
        base_seed = loader._base_seed()
        self._tasks = [queue.Queue() for _ in range(n)]
        self._results = [queue.Queue() for _ in range(n)]
        self._ready = queue.Queue()  # in_order=False: the id of each worker as it puts a result
        # The threads hold the loader only weakly (and this iterator not at all), so dropping
        # the iterator (a loop left early) or a persistent loader ends them (close / __del__).
        self._threads = [threading.Thread(
            target=_work, args=(weakref.ref(loader), w, base_seed, self._tasks[w],
                                self._results[w], self._ready),
            daemon=True, name=f"pyengine-dataloader-{w}") for w in range(n)]
        for t in self._threads:
            t.start()
        self._closed = False
        self._start_epoch()

    def _start_epoch(self):
        self._active = list(range(self._loader.num_workers))
        self._pending = collections.deque()  # worker id of each batch in flight, in order
        self._sent = 0
        for _ in range(self._loader.num_workers * self._loader.prefetch_factor):
            if not self._send():
                break

    def _new_epoch(self):
        """persistent_workers: the same threads serve the next epoch. Batches still in flight
        from an epoch left early are dropped when they arrive (their results carry the epoch)."""
        loader = self._loader
        if self._closed:
            raise RuntimeError("[DataLoader] the persistent workers were closed after an error; "
                               "make a new DataLoader")
        self._epoch += 1
        self._indices = None if loader._iterable else loader._index_batches()
        loader._base_seed()  # drawn as every epoch does; the workers keep their first seed
        self._start_epoch()

    def _send(self):
        if not self._active:
            return False
        if self._indices is not None:
            indices = next(self._indices, None)
            if indices is None:
                return False
            wid = self._sent % self._loader.num_workers
        else:
            indices, wid = True, self._active[self._sent % len(self._active)]
        self._tasks[wid].put((self._epoch, indices))
        self._pending.append(wid)
        self._sent += 1
        return True

    def __iter__(self):
        return self

    def _next_worker(self):
        """The worker whose result comes next: the oldest batch's, or with in_order=False the
        first worker to finish one of this epoch's batches."""
        if self._loader.in_order:
            return self._pending.popleft()
        timeout = self._loader.timeout or None
        while True:
            wid = self._ready.get(timeout=timeout)
            if wid in self._pending:
                self._pending.remove(wid)
                return wid

    def _result(self, wid):
        """Worker wid's next result of this epoch (older epochs' results are dropped)."""
        while True:
            epoch, res = self._results[wid].get(timeout=self._loader.timeout or None)
            if epoch == self._epoch:
                return res

    def __next__(self):
        if self._closed:
            raise StopIteration
        while self._pending:
            wid = None
            try:
                wid = self._next_worker()
                res = self._result(wid)
            except queue.Empty:
                self.close()
                who = f"worker {wid}" if wid is not None else "any worker"
                raise RuntimeError(f"[DataLoader] timed out after {self._loader.timeout} s "
                                   f"waiting for a batch from {who}") from None
            if res is _Exhausted:
                if wid in self._active:
                    self._active.remove(wid)
                continue
            if isinstance(res, _Failure):
                self.close()
                if hasattr(res.exc, "add_note"):
                    res.exc.add_note(f"(raised in DataLoader worker {res.worker_id})")
                raise res.exc
            self._send()
            return res
        if not self._loader.persistent_workers:
            self.close()
        raise StopIteration

    def close(self):
        if not self._closed:
            self._closed = True
            for q in self._tasks:
                q.put(None)

    def __del__(self):
        self.close()
