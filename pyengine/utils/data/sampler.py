"""Samplers (torch.utils.data names): which indices a DataLoader reads, in which order.
Random samplers draw from `generator` (a ``pe.Generator`` or numpy Generator) or, when None,
take a fresh seed from pyengine's global generator at every ``iter()``: so ``pe.manual_seed``
makes a whole training run's shuffles reproducible, and each epoch is shuffled differently."""
import numpy as np

from ... import random as _random
from ...tensor import Tensor


def _rng(generator):
    """A numpy Generator for one pass: from `generator`, or seeded from the global one."""
    if generator is not None:
        return _random.get_generator(generator)
    return np.random.default_rng(int(_random.get_generator().integers(0, 2 ** 63 - 1)))


def _randperm(n, generator=None):
    return _rng(generator).permutation(n)


class Sampler:
    """Base: ``__iter__`` yields indices (or lists of indices for a batch sampler)."""

    def __init__(self, data_source=None):
        pass

    def __iter__(self):
        raise NotImplementedError


class SequentialSampler(Sampler):
    """0, 1, ..., len(data_source) - 1."""

    def __init__(self, data_source):
        self.data_source = data_source

    def __iter__(self):
        return iter(range(len(self.data_source)))

    def __len__(self):
        return len(self.data_source)


class RandomSampler(Sampler):
    """A random permutation (or, with replacement=True, `num_samples` uniform draws)."""

    def __init__(self, data_source, replacement=False, num_samples=None, generator=None):
        if not isinstance(replacement, bool):
            raise TypeError(f"[RandomSampler] replacement should be a bool, got {replacement!r}")
        if num_samples is not None and (not isinstance(num_samples, int) or num_samples <= 0):
            raise ValueError(f"[RandomSampler] num_samples should be a positive int, got "
                             f"{num_samples!r}")
        self.data_source, self.replacement = data_source, replacement
        self._num_samples, self.generator = num_samples, generator

    @property
    def num_samples(self):
        return len(self.data_source) if self._num_samples is None else self._num_samples

    def __iter__(self):
        n, rng = len(self.data_source), _rng(self.generator)
        if self.replacement:
            return iter(rng.integers(0, n, size=self.num_samples).tolist())
        perms = [rng.permutation(n) for _ in range(-(-self.num_samples // max(n, 1)))]
        idx = np.concatenate(perms) if perms else np.zeros(0, np.int64)
        return iter(idx[:self.num_samples].tolist())

    def __len__(self):
        return self.num_samples


class SubsetRandomSampler(Sampler):
    """The given indices in a random order."""

    def __init__(self, indices, generator=None):
        self.indices, self.generator = list(indices), generator

    def __iter__(self):
        perm = _randperm(len(self.indices), self.generator)
        return (self.indices[i] for i in perm.tolist())

    def __len__(self):
        return len(self.indices)


class WeightedRandomSampler(Sampler):
    """`num_samples` indices drawn with probability proportional to `weights`."""

    def __init__(self, weights, num_samples, replacement=True, generator=None):
        if not isinstance(num_samples, int) or isinstance(num_samples, bool) or num_samples <= 0:
            raise ValueError(f"[WeightedRandomSampler] num_samples should be a positive int, got "
                             f"{num_samples!r}")
        w = np.asarray(weights._data if isinstance(weights, Tensor) else weights, dtype=np.float64)
        if w.ndim != 1 or w.size == 0 or (w < 0).any() or not np.isfinite(w).all() or w.sum() == 0:
            raise ValueError("[WeightedRandomSampler] weights must be a non-empty 1-D sequence of "
                             "finite non-negative numbers, not all zero")
        if not replacement and num_samples > np.count_nonzero(w):
            raise ValueError(f"[WeightedRandomSampler] can't draw {num_samples} samples without "
                             f"replacement from {np.count_nonzero(w)} non-zero weights")
        self.weights, self.num_samples = w, num_samples
        self.replacement, self.generator = replacement, generator

    def __iter__(self):
        rng = _rng(self.generator)
        idx = rng.choice(self.weights.size, size=self.num_samples, replace=self.replacement,
                         p=self.weights / self.weights.sum())
        return iter(idx.tolist())

    def __len__(self):
        return self.num_samples


class BatchSampler(Sampler):
    """Groups the indices of `sampler` into lists of `batch_size` (the last one shorter unless
    drop_last)."""

    def __init__(self, sampler, batch_size, drop_last):
        if not isinstance(batch_size, int) or isinstance(batch_size, bool) or batch_size <= 0:
            raise ValueError(f"[BatchSampler] batch_size should be a positive int, got "
                             f"{batch_size!r}")
        if not isinstance(drop_last, bool):
            raise ValueError(f"[BatchSampler] drop_last should be a bool, got {drop_last!r}")
        self.sampler, self.batch_size, self.drop_last = sampler, batch_size, drop_last

    def __iter__(self):
        batch = []
        for i in self.sampler:
            batch.append(i)
            if len(batch) == self.batch_size:
                yield batch
                batch = []
        if batch and not self.drop_last:
            yield batch

    def __len__(self):
        n = len(self.sampler)
        return n // self.batch_size if self.drop_last else -(-n // self.batch_size)
