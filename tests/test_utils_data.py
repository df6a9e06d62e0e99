"""pe.utils.data: datasets, samplers, collate and DataLoader (torch.utils.data semantics)."""
import collections
import threading

import numpy as np
import pytest

import pyengine as pe
from pyengine.utils.data import (BatchSampler, ChainDataset, ConcatDataset, DataLoader, Dataset,
                                 IterableDataset, RandomSampler, SequentialSampler, StackDataset,
                                 Subset, SubsetRandomSampler, TensorDataset,
                                 WeightedRandomSampler, default_collate, get_worker_info,
                                 random_split)


def _xy(n=10):
    x = np.arange(n * 3, dtype=np.float32).reshape(n, 3)
    return x, np.arange(n)


def test_tensor_dataset_subset_concat():
    x, y = _xy()
    ds = TensorDataset(pe.from_numpy(x), pe.from_numpy(y))
    assert len(ds) == 10
    xi, yi = ds[3]
    np.testing.assert_array_equal(xi.numpy(), x[3])
    assert int(yi) == 3
    sub = Subset(ds, [5, 1])
    assert len(sub) == 2 and int(sub[0][1]) == 5
    cat = ds + sub
    assert len(cat) == 12 and int(cat[11][1]) == 1 and int(cat[-1][1]) == 1
    with pytest.raises(IndexError):
        cat[12]
    with pytest.raises(ValueError, match="size mismatch"):
        TensorDataset(pe.zeros(3), pe.zeros(4))
    st = StackDataset(a=ds, b=list(range(10)))
    assert st[2]["b"] == 2


def test_random_split_fractions_and_reproducible():
    ds = list(range(10))
    pe.manual_seed(1)
    a = [list(s) for s in random_split(ds, [0.75, 0.25])]
    pe.manual_seed(1)
    b = [list(s) for s in random_split(ds, [0.75, 0.25])]
    assert a == b and [len(s) for s in a] == [8, 2]
    assert sorted(a[0] + a[1]) == ds
    g1 = [list(s) for s in random_split(ds, [5, 5], generator=pe.Generator().manual_seed(3))]
    g2 = [list(s) for s in random_split(ds, [5, 5], generator=pe.Generator().manual_seed(3))]
    assert g1 == g2
    with pytest.raises(ValueError, match="does not equal"):
        random_split(ds, [3, 3])


def test_samplers():
    assert list(SequentialSampler(range(4))) == [0, 1, 2, 3]
    r = list(RandomSampler(range(20), generator=pe.Generator().manual_seed(0)))
    assert sorted(r) == list(range(20)) and r != list(range(20))
    r2 = list(RandomSampler(range(5), replacement=True, num_samples=50))
    assert len(r2) == 50 and set(r2) <= set(range(5))
    assert len(list(RandomSampler(range(3), num_samples=7))) == 7
    assert sorted(SubsetRandomSampler([4, 7, 9])) == [4, 7, 9]
    w = list(WeightedRandomSampler([0, 0, 1.0, 0], 20))
    assert w == [2] * 20
    with pytest.raises(ValueError, match="without replacement"):
        WeightedRandomSampler([1, 0, 0], 2, replacement=False)
    assert list(BatchSampler(range(5), 2, False)) == [[0, 1], [2, 3], [4]]
    assert list(BatchSampler(range(5), 2, True)) == [[0, 1], [2, 3]]
    assert len(BatchSampler(range(5), 2, False)) == 3


def test_default_collate_rules():
    b = default_collate([(np.zeros(3), 1, 0.5, "a"), (np.ones(3), 2, 1.5, "b")])
    assert b[0].shape == (2, 3) and b[1].dtype == pe.int64 and b[2].dtype == pe.float64
    assert b[3] == ["a", "b"]
    d = default_collate([{"x": pe.ones(2), "y": 1}, {"x": pe.zeros(2), "y": 0}])
    assert d["x"].shape == (2, 2) and d["y"].tolist() == [1, 0]
    P = collections.namedtuple("P", "a b")
    p = default_collate([P(1, 2), P(3, 4)])
    assert isinstance(p, P) and p.a.tolist() == [1, 3]
    with pytest.raises(RuntimeError, match="different shapes"):
        default_collate([np.zeros(3), np.zeros(4)])


@pytest.mark.parametrize("workers", [0, 1, 3])
def test_loader_batches_match_reference(workers):
    x, y = _xy(11)
    ds = TensorDataset(pe.from_numpy(x), pe.from_numpy(y))
    got = list(DataLoader(ds, batch_size=4, num_workers=workers))
    assert len(got) == 3 == len(DataLoader(ds, batch_size=4))
    for k, (xb, yb) in enumerate(got):
        np.testing.assert_array_equal(xb.numpy(), x[4 * k:4 * k + 4])
        np.testing.assert_array_equal(yb.numpy(), y[4 * k:4 * k + 4])
    assert len(list(DataLoader(ds, batch_size=4, drop_last=True, num_workers=workers))) == 2


class _Rows(Dataset):
    """A generic map-style dataset (the general fetch path, not TensorDataset's gather)."""

    def __init__(self, x, y):
        self.x, self.y = x, y

    def __len__(self):
        return len(self.x)

    def __getitem__(self, i):
        return self.x[i], self.y[i]


def test_tensor_dataset_fast_path_equals_general_path():
    x, y = _xy(9)
    fast = list(DataLoader(TensorDataset(pe.from_numpy(x), pe.from_numpy(y)), batch_size=4,
                           shuffle=True, generator=pe.Generator().manual_seed(5)))
    slow = list(DataLoader(_Rows(x, y), batch_size=4, shuffle=True,
                           generator=pe.Generator().manual_seed(5)))
    for (a, b), (c, d) in zip(fast, slow):
        np.testing.assert_array_equal(a.numpy(), c.numpy())
        np.testing.assert_array_equal(b.numpy(), d.numpy())


def test_shuffle_reproducible_and_independent_of_workers():
    x, y = _xy(20)
    ds = _Rows(x, y)

    def run(workers):
        pe.manual_seed(7)
        return [[b[1].tolist() for b in DataLoader(ds, batch_size=6, shuffle=True,
                                                   num_workers=workers)] for _ in range(2)]
    a, b = run(0), run(2)
    assert a == b
    assert a[0] != a[1]  # each epoch reshuffles
    assert sorted(sum(a[0], [])) == list(range(20))


def test_workers_really_run_in_parallel():
    barrier = threading.Barrier(2, timeout=10)  # breaks unless two fetches overlap in time

    class Meeting(Dataset):
        def __len__(self):
            return 4

        def __getitem__(self, i):
            barrier.wait()
            return i

    assert sum((b.tolist() for b in DataLoader(Meeting(), batch_size=1, num_workers=2)),
               []) == [0, 1, 2, 3]
    barrier.reset()
    with pytest.raises(threading.BrokenBarrierError):
        barrier2 = threading.Barrier(2, timeout=0.2)

        class Alone(Meeting):
            def __getitem__(self, i):
                barrier2.wait()
        list(DataLoader(Alone(), batch_size=1, num_workers=0))


def test_worker_init_and_info_and_errors():
    seen = []
    lock = threading.Lock()

    def init(wid):
        with lock:
            seen.append((wid, get_worker_info().id, get_worker_info().num_workers))
    assert get_worker_info() is None
    list(DataLoader(list(range(8)), batch_size=2, num_workers=2, worker_init_fn=init))
    assert sorted(seen) == [(0, 0, 2), (1, 1, 2)]

    class Bad(Dataset):
        def __len__(self):
            return 6

        def __getitem__(self, i):
            if i == 3:
                raise KeyError("sample 3 is broken")
            return i
    with pytest.raises(KeyError, match="sample 3"):
        list(DataLoader(Bad(), batch_size=2, num_workers=2))


class _Stream(IterableDataset):
    def __init__(self, n):
        self.n = n

    def __iter__(self):
        info = get_worker_info()
        start, step = (0, 1) if info is None else (info.id, info.num_workers)
        return iter(range(start, self.n, step))


def test_iterable_dataset_with_and_without_workers():
    assert [b.tolist() for b in DataLoader(_Stream(7), batch_size=3)] == [[0, 1, 2], [3, 4, 5],
                                                                          [6]]
    got = sorted(sum((b.tolist() for b in DataLoader(_Stream(9), batch_size=2, num_workers=2)),
                     []))
    assert got == list(range(9))
    assert [int(b) for b in DataLoader(_Stream(3), batch_size=None)] == [0, 1, 2]
    assert list(ChainDataset([_Stream(2), _Stream(2)])) == [0, 1, 0, 1]
    with pytest.raises(ValueError, match="shuffle"):
        DataLoader(_Stream(3), shuffle=True)


def test_loader_argument_errors():
    ds = list(range(4))
    with pytest.raises(ValueError, match="mutually exclusive with shuffle"):
        DataLoader(ds, sampler=SequentialSampler(ds), shuffle=True)
    with pytest.raises(ValueError, match="batch_sampler"):
        DataLoader(ds, batch_sampler=BatchSampler(ds, 2, False), batch_size=3)
    with pytest.raises(ValueError, match="batch_size"):
        DataLoader(ds, batch_size=0)
    with pytest.raises(ValueError, match="num_workers"):
        DataLoader(ds, num_workers=-1)
    with pytest.raises(TypeError):
        DataLoader(ds, no_such_option=1)
    custom = DataLoader(ds, batch_size=2, collate_fn=lambda b: sum(b), pin_memory=True)
    assert list(custom) == [1, 5]
    bs = DataLoader(ds, batch_sampler=[[3, 0], [1]])
    assert [b.tolist() for b in bs] == [[3, 0], [1]]


def test_worker_timeout_is_a_clear_error():
    release = threading.Event()

    class Slow(Dataset):
        def __len__(self):
            return 2

        def __getitem__(self, i):
            release.wait(5)
            return i
    with pytest.raises(RuntimeError, match="timed out after 0.2 s"):
        list(DataLoader(Slow(), batch_size=1, num_workers=1, timeout=0.2))
    release.set()
    with pytest.raises(ValueError, match="prefetch_factor"):
        DataLoader(Slow(), prefetch_factor=2)


def test_workers_load_ahead_of_the_loop():
    """Batches are fetched before the loop asks for them: num_workers * prefetch_factor batches
    are requested as soon as the epoch's iterator exists."""
    fetched = []
    started = threading.Event()

    class Slow(Dataset):
        def __len__(self):
            return 32

        def __getitem__(self, i):
            fetched.append(i)
            if len(fetched) >= 8:
                started.set()
            return np.float32(i)
    it = iter(DataLoader(Slow(), batch_size=2, num_workers=2, prefetch_factor=2))
    assert started.wait(10)  # 4 batches (8 samples) loaded while the loop has taken none
    assert sorted(fetched) == list(range(8))
    assert [float(b[0]) for b in it] == [float(k) for k in range(0, 32, 2)]
