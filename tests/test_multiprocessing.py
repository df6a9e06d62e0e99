"""pe.multiprocessing (torch.multiprocessing's face): shared tensors sent to child processes by
reference, Module.share_memory() + Process (Hogwild), spawn() and its error reporting."""
import gc
import os
import pickle
from multiprocessing.reduction import ForkingPickler

import numpy as np
import pytest

import pyengine as pe
import pyengine.multiprocessing as mp
import pyengine.nn as nn
import pyengine.nn.functional as F
from pyengine.multiprocessing import shared_tensors


def test_share_memory_moves_values_once():
    t = pe.arange(12.0).reshape(3, 4)
    values = t.numpy().copy()
    assert not t.is_shared()
    assert t.share_memory_() is t and t.is_shared()
    np.testing.assert_array_equal(t.numpy(), values)
    data = t._data
    t.share_memory_()  # already shared: the same memory
    assert t._data is data
    # views of a shared tensor are shared too (same mapping)
    assert t[1:].is_shared() and t.t().is_shared()


@pytest.mark.parametrize("shape", [(0,), (1,), (5, 0, 2), (3, 7)])
def test_child_pickler_maps_the_same_memory(shape):
    t = pe.tensor(np.random.default_rng(0).standard_normal(shape).astype(np.float32))
    t.share_memory_()
    u = pickle.loads(ForkingPickler.dumps(t))  # what a child process receives
    assert u.shape == t.shape and u.is_shared()
    if t.numel():
        u.add_(1.0)  # in place: seen through the other tensor
        np.testing.assert_array_equal(t.numpy(), u.numpy())


def test_non_contiguous_view_and_parameter_round_trip():
    base = pe.arange(20.0).reshape(4, 5).share_memory_()
    view = base[:, 1::2]
    u = pickle.loads(ForkingPickler.dumps(view))
    np.testing.assert_array_equal(u.numpy(), view.numpy())
    u.mul_(0)
    assert base.numpy()[:, 1::2].sum() == 0 and base.numpy()[:, 0].sum() == 30
    p = nn.Parameter(pe.ones(3)).share_memory_()
    q = pickle.loads(ForkingPickler.dumps(p))
    assert type(q) is nn.Parameter and q.requires_grad and q.is_shared()


def test_ordinary_pickle_stores_values():
    t = pe.ones(4).share_memory_()
    u = pickle.loads(pickle.dumps(t))
    assert not u.is_shared()
    u.add_(1.0)
    np.testing.assert_array_equal(t.numpy(), np.ones(4, np.float32))


def test_unshared_tensor_through_child_pickler_is_a_copy():
    t = pe.ones(3)
    u = pickle.loads(ForkingPickler.dumps(t))
    u.add_(1.0)
    assert not u.is_shared() and t.numpy().sum() == 3


def test_file_removed_when_collected():
    t = pe.ones(8).share_memory_()
    path, _ = shared_tensors.shared_path(t._data)
    assert os.path.exists(path) and oct(os.stat(path).st_mode & 0o777) == "0o600"
    del t
    gc.collect()
    assert not os.path.exists(path)


def _hogwild_worker(rank, model, steps):
    pe.manual_seed(rank)
    opt = pe.optim.SGD(model.parameters(), lr=0.05, momentum=0.5)
    for _ in range(steps):
        x = pe.randn(16, 4)
        opt.zero_grad()
        F.mse_loss(model(x), x.sum(1, keepdim=True)).backward()
        opt.step()


def test_hogwild_children_train_the_parents_module():
    model = nn.Linear(4, 1).share_memory()
    assert all(p.is_shared() for p in model.parameters())
    ctx = mp.get_context("spawn")
    procs = [ctx.Process(target=_hogwild_worker, args=(r, model, 150)) for r in range(2)]
    for p in procs:
        p.start()
    for p in procs:
        p.join(120)
    assert [p.exitcode for p in procs] == [0, 0]
    # y = sum(x): both children's steps land in the parent's weights
    np.testing.assert_allclose(model.weight.detach().numpy(), np.ones((1, 4)), atol=0.05)
    np.testing.assert_allclose(model.bias.detach().numpy(), [0.0], atol=0.05)


def _add_rank(rank, t):
    t[rank].add_(rank + 1.0)


def _fail_on_one(rank):
    if rank == 1:
        raise ValueError("rank one is broken")


def test_spawn_runs_each_rank_and_reports_failures():
    t = pe.zeros(3).share_memory_()
    assert mp.spawn(_add_rank, args=(t,), nprocs=3) is None
    np.testing.assert_array_equal(t.numpy(), [1.0, 2.0, 3.0])
    with pytest.raises(mp.ProcessRaisedException, match="rank one is broken") as e:
        mp.spawn(_fail_on_one, nprocs=2)
    assert e.value.error_index == 1
    with pytest.raises(ValueError, match="nprocs must be a positive int"):
        mp.spawn(_add_rank, nprocs=0)


def test_stdlib_names_and_sharing_strategy():
    assert mp.Process is not None and mp.Queue is not None and callable(mp.set_start_method)
    assert mp.get_sharing_strategy() == "file_system"
    mp.set_sharing_strategy("file_system")
    with pytest.raises(ValueError, match="unknown strategy 'file_descriptor'"):
        mp.set_sharing_strategy("file_descriptor")


def test_hogwild_example_quick(tmp_path):
    """examples/mnist_hogwild.py's quick mode: two spawned workers, then the parent's test."""
    import subprocess
    import sys
    examples = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))),
                            "examples")
    if not os.path.isdir(examples):
        pytest.skip("examples/ not in this checkout")
    root = os.path.dirname(os.path.dirname(os.path.abspath(pe.__file__)))
    r = subprocess.run([sys.executable, os.path.join(examples, "mnist_hogwild.py"), "--quick",
                        "--log-interval", "4"], cwd=examples, capture_output=True, text=True,
                       env=dict(os.environ, PYTHONPATH=root), timeout=300)
    assert r.returncode == 0, r.stdout[-2000:] + r.stderr[-3000:]
    assert r.stdout.count("Train Epoch: 1 [0/512]") == 2  # both workers ran
    assert "trained 1 epoch(s) in 2 processes" in r.stdout and "Test set: Average loss" in r.stdout
