"""pyengine.distributed: real ranks on localhost (mpiexec -n 2 and -n 3 on the worker scripts in
tests/dist_workers/, OMP_NUM_THREADS=1, under a timeout) and the parts that need no MPI job.
Skipped when the extra (pip install 'pyengine[dist]': mpi4py + mpich) is absent, except the
check that pyengine works without it."""
import os
import shutil
import signal
import subprocess
import sys

import numpy as np
import pytest

import pyengine as pe

WORKERS = os.path.join(os.path.dirname(__file__), "dist_workers")
ROOT = os.path.dirname(os.path.dirname(os.path.abspath(pe.__file__)))
TIMEOUT = 90  # seconds per job; a healthy job takes 2-5 s on 2 busy cores


def _mpiexec():
    beside = os.path.join(os.path.dirname(sys.executable), "mpiexec")
    return beside if os.path.exists(beside) else shutil.which("mpiexec")


def _have_mpi():
    try:
        import mpi4py  # noqa: F401
    except ImportError:
        return False
    return _mpiexec() is not None


needs_mpi = pytest.mark.skipif(not _have_mpi(), reason="needs pyengine[dist] (mpi4py, mpiexec)")


def run_job(n, script, *args, **environ):
    """Run `mpiexec -n n python script args` (environ: extra variables); returns (returncode,
    stdout + stderr)."""
    env = dict(os.environ, OMP_NUM_THREADS="1",
               PYTHONPATH=os.pathsep.join([ROOT, WORKERS, os.environ.get("PYTHONPATH", "")]))
    env.update(environ)
    cmd = [_mpiexec(), "-n", str(n), sys.executable, os.path.join(WORKERS, script), *args]
    proc = subprocess.Popen(cmd, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                            text=True, start_new_session=True)
    try:
        out, _ = proc.communicate(timeout=TIMEOUT)
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, signal.SIGKILL)
        out, _ = proc.communicate()
        pytest.fail(f"mpiexec -n {n} {script} hung (> {TIMEOUT} s):\n{out}")
    return proc.returncode, out


def test_pyengine_works_without_the_extra_and_distributed_names_it():
    """Without mpi4py, pyengine.distributed imports, as torch.distributed does on a build without
    it (pytorch/examples imagenet/main.py imports it at the top): is_available() is False, and
    everything that needs a job raises the ImportError naming the extra."""
    code = ("import sys; sys.modules['mpi4py'] = None\n"  # as if mpi4py were not installed
            "import numpy as np\n"
            "import pyengine, pyengine.nn, pyengine.optim, pyengine.keras\n"
            "assert 'pyengine.distributed' not in sys.modules\n"
            "import pyengine.distributed as dist\n"
            "import pyengine.distributed.keras as hvd_keras\n"
            "import pyengine.utils.data.distributed as tud\n"
            "assert pyengine.distributed is dist\n"
            "assert not dist.is_available() and not dist.is_initialized()\n"
            "assert not dist.is_gloo_available() and not dist.is_mpi_available()\n"
            "model = pyengine.nn.Linear(2, 2)\n"
            "assert not isinstance(model, dist.DistributedDataParallel)\n"
            "s = tud.DistributedSampler(list(range(10)), num_replicas=2, rank=1, shuffle=False)\n"
            "assert list(s) == [1, 3, 5, 7, 9]\n"
            "calls = [dist.init, lambda: dist.init_process_group('gloo'), dist.get_rank,\n"
            "         dist.rank, lambda: dist.all_reduce(pyengine.ones(2)), hvd_keras.init,\n"
            "         lambda: dist.DistributedDataParallel(model),\n"
            "         lambda: tud.DistributedSampler(list(range(10)))]\n"
            "for call in calls:\n"
            "    try:\n        call()\n"
            "    except ImportError as e:\n        print(e)\n"
            "    else:\n        print('no error')\n")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         env=dict(os.environ, PYTHONPATH=ROOT), timeout=TIMEOUT,
                         cwd=ROOT)
    assert out.returncode == 0, out.stderr
    assert out.stdout.count("pip install 'pyengine[dist]'") == 8 and "mpi4py" in out.stdout, \
        out.stdout


@needs_mpi
@pytest.mark.parametrize("n", [2, 3])
def test_torch_style_loop(n):
    rc, out = run_job(n, "torch_loop.py")
    assert rc == 0, out
    assert all(f"OK torch_loop rank {r} of {n}" in out for r in range(n)), out


@needs_mpi
@pytest.mark.parametrize("n", [1, 2, 3])
def test_torch_distributed_names_and_ddp(n):
    """init_process_group, the in-place collectives and DistributedDataParallel (gradients
    against the ranks' own, computed without the wrapper; no_sync; unused parameters)."""
    rc, out = run_job(n, "torch_ddp.py")
    assert rc == 0, out
    assert all(f"OK torch_ddp rank {r} of {n}" in out for r in range(n)), out


@needs_mpi
def test_torchrun_command_line_runs_the_ranks(tmp_path):
    """python -m pyengine.distributed.run with torchrun's options (a rendezvous address given,
    as torchrun programs' launch lines do) starts the script's ranks under mpiexec. Run from
    another folder: `-m` and `-c` put the working directory first on sys.path, and a source
    checkout's pyengine there has no compiled extension when the package is installed."""
    env = dict(os.environ, OMP_NUM_THREADS="1",
               PYTHONPATH=os.pathsep.join([ROOT, WORKERS, os.environ.get("PYTHONPATH", "")]))
    proc = subprocess.run([sys.executable, "-m", "pyengine.distributed.run", "--standalone",
                           "--nproc_per_node=2", "--master-port", "29500",
                           os.path.join(WORKERS, "torch_ddp.py")], cwd=str(tmp_path),
                          env=env, capture_output=True, text=True, timeout=TIMEOUT)
    out = proc.stdout + proc.stderr
    assert proc.returncode == 0 and all(f"OK torch_ddp rank {r} of 2" in out for r in (0, 1)), out
    # torchrun's variables are set before the program runs (programs read them first). Each
    # rank writes its own file: mpiexec forwards the ranks' stdout in chunks that can interleave
    # within a line ("ENVENV 0 ..."), so a shared stdout is no place to compare lines.
    code = ("import os, pyengine.distributed as d; "
            "open('env%s.txt' % os.environ['RANK'], 'w').write(' '.join(map(str, ["
            "os.environ['RANK'], os.environ['LOCAL_RANK'], os.environ['WORLD_SIZE'], "
            "os.environ['MASTER_ADDR'], os.environ['MASTER_PORT'], "
            "d.is_torchelastic_launched()])))")
    proc = subprocess.run([sys.executable, "-m", "pyengine.distributed.run", "--nproc-per-node",
                           "2", "--master_port", "12345", "--no-python", sys.executable, "-c",
                           code], cwd=str(tmp_path), env=env, capture_output=True, text=True,
                          timeout=TIMEOUT)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    got = [(tmp_path / f"env{r}.txt").read_text() for r in (0, 1)]
    assert got == [f"{r} {r} 2 127.0.0.1 12345 True" for r in (0, 1)], \
        proc.stdout + proc.stderr


@needs_mpi
def test_torchrun_command_line_options():
    from pyengine.distributed.run import command
    cmd = command(["--nproc-per-node", "3", "-m", "pkg.train", "--lr", "0.1"])
    assert cmd[1:3] == ["-n", "3"] and cmd[6:9] == ["127.0.0.1", "29500", "none"]
    assert cmd[9:] == [sys.executable, "-m", "pkg.train", "--lr", "0.1"]
    cmd = command(["--no-python", "--nnodes", "1:1", "--rdzv-endpoint", "host:1234",
                   "--rdzv_id", "job7", "prog", "x"])
    assert cmd[6:] == ["host", "1234", "job7", "prog", "x"]
    for bad in (["--nnodes", "2", "t.py"], ["--node-rank", "1", "t.py"],
                ["--nproc-per-node", "gpu", "t.py"], ["--nproc-per-node", "0", "t.py"]):
        with pytest.raises(SystemExit, match=r"pyengine.distributed.run"):
            command(bad)


@needs_mpi
@pytest.mark.parametrize("mode", ["default", "chosen"])
def test_ranks_share_the_cores_unless_the_program_chose(mode):
    rc, out = run_job(2, "threads_share.py", mode, OMP_NUM_THREADS="")
    assert rc == 0 and out.count("OK threads_share") == 2, out


@needs_mpi
def test_ddp_mnist_example_runs_on_two_ranks(tmp_path):
    """examples/ddp_mnist.py on a small generated MNIST-shaped file (tests do not read
    ../shared/data): it trains, and its own check finds the ranks' weights identical."""
    example = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))),
                           "examples", "ddp_mnist.py")
    if not os.path.exists(example):
        pytest.skip("examples/ not in this checkout")
    rng = np.random.default_rng(0)
    data = tmp_path / "mnist.npz"
    np.savez(data, x_train=rng.integers(0, 256, (256, 28, 28), dtype=np.uint8),
             y_train=rng.integers(0, 10, 256), x_test=rng.integers(0, 256, (64, 28, 28),
                                                                    dtype=np.uint8),
             y_test=rng.integers(0, 10, 64))
    rc, out = run_job(2, example, "--data", str(data), "--train-samples", "256",
                      "--batch-size", "32")
    assert rc == 0, out
    assert "2 rank(s) (gloo), 128 samples per rank per epoch" in out, out
    assert "weights identical on every rank: True" in out, out


@needs_mpi
def test_ddp_program_gives_torchs_weights(tmp_path):
    """The same DistributedDataParallel program under torchrun (torch, gloo) and under mpiexec
    (pyengine): the final weights agree on every rank. Needs PyTorch (optional cross-check)."""
    pytest.importorskip("torch")
    script = os.path.join(WORKERS, "ddp_vs_torch.py")
    env = dict(os.environ, OUT=str(tmp_path), OMP_NUM_THREADS="1")
    out = subprocess.run([sys.executable, "-m", "torch.distributed.run", "--nproc-per-node", "2",
                          "--master-port", "29531", script],  # torchrun
                         env=env, capture_output=True, text=True, timeout=TIMEOUT)
    assert out.returncode == 0, out.stdout + out.stderr
    rc, text = run_job(2, "ddp_vs_torch.py", LIB="pe", OUT=str(tmp_path))
    assert rc == 0 and text.count("OK ddp_vs_torch") == 2, text
    for r in range(2):
        got, want = (np.load(tmp_path / f"{lib}_{r}.npy") for lib in ("pe", "torch"))
        np.testing.assert_allclose(got, want, rtol=1e-5, atol=1e-6)


@needs_mpi
@pytest.mark.parametrize("mode", ["train", "fail", "queue"])
def test_mp_spawn_ddp_program(mode, tmp_path):
    """PyTorch's CPU DDP program shape, started with `python script.py` (no mpiexec):
    mp.spawn starts its ranks under mpiexec (pyengine/multiprocessing/mpi_launch.py), fn defined
    in the script; DDP's weights equal one process training on the mean loss; a rank raising
    inside a collective reaches the parent as ProcessRaisedException; a Queue argument falls
    back to plain processes."""
    env = dict(os.environ, OMP_NUM_THREADS="1",
               PYTHONPATH=os.pathsep.join([ROOT, os.environ.get("PYTHONPATH", "")]))
    proc = subprocess.run([sys.executable, os.path.join(WORKERS, "spawn_ddp.py"), mode,
                           str(tmp_path)], env=env, capture_output=True, text=True,
                          timeout=TIMEOUT)
    assert proc.returncode == 0 and proc.stdout.strip().endswith("OK"), \
        proc.stdout + proc.stderr


@needs_mpi
def test_mp_spawn_at_a_scripts_top_level_raises_instead_of_spawning_again(tmp_path):
    """Without the __main__ guard each child would run the script's spawn() again while loading
    it (processes without end); it raises, as multiprocessing does."""
    script = tmp_path / "noguard.py"
    script.write_text("import pyengine.multiprocessing as mp\n"
                      "def f(rank):\n    pass\n"
                      "mp.spawn(f, nprocs=2)\n")
    env = dict(os.environ, OMP_NUM_THREADS="1",
               PYTHONPATH=os.pathsep.join([ROOT, os.environ.get("PYTHONPATH", "")]))
    proc = subprocess.run([sys.executable, str(script)], env=env, capture_output=True,
                          text=True, timeout=TIMEOUT)
    assert proc.returncode != 0 and "if __name__ == '__main__'" in proc.stderr, \
        proc.stdout + proc.stderr


def test_mp_spawn_uses_mpi_only_when_it_can(monkeypatch):
    """The MPI launch needs several 'spawn' processes, mpi4py, an mpiexec and arguments that
    can be pickled outside multiprocessing; PYENGINE_SPAWN_MPI=0 turns it off."""
    from pyengine.multiprocessing import mpi_launch
    assert mpi_launch.payload(abs, (1, pe.zeros(2))) is not None
    import multiprocessing
    assert mpi_launch.payload(abs, (multiprocessing.get_context("spawn").SimpleQueue(),)) is None
    assert not mpi_launch.usable(1, "spawn") and not mpi_launch.usable(2, "fork")
    assert mpi_launch.usable(2, "spawn") == _have_mpi()
    monkeypatch.setenv("PYENGINE_SPAWN_MPI", "0")
    assert not mpi_launch.usable(2, "spawn")


@needs_mpi
@pytest.mark.parametrize("n", [2, 3])
def test_keras_fit(n, tmp_path):
    ckpt = tmp_path / "ckpt.npz"
    rc, out = run_job(n, "keras_fit.py", str(ckpt))
    assert rc == 0, out
    assert all(f"OK keras_fit rank {r} of {n}" in out for r in range(n)), out
    assert all(f"OK keras_fit steps check rank {r}" in out for r in range(n)), out
    assert out.count("Epoch 1/3") == 1, out  # one progress bar: rank 0's
    assert ckpt.exists()


@needs_mpi
def test_a_rank_that_raises_fails_the_job_with_its_error():
    rc, out = run_job(2, "raise_on_one_rank.py")
    assert rc != 0, out
    assert "[rank 1] RuntimeError: deliberate failure on rank 1" in out, out
    assert "passed the allreduce" not in out, out


@needs_mpi
def test_ranks_of_a_foreign_launcher_that_each_see_one_rank_are_an_error():
    """mpiexec of one MPI, library of another: each process would train alone, silently."""
    code = "import pyengine.distributed as hvd\nhvd.init()\n"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         env=dict(os.environ, PYTHONPATH=ROOT, OMPI_COMM_WORLD_SIZE="2"),
                         timeout=TIMEOUT, cwd=ROOT)
    assert out.returncode != 0
    assert "the launcher started 2 processes (OMPI_COMM_WORLD_SIZE=2) but MPI sees one" in \
        out.stderr, out.stderr


# ---- no MPI job needed -------------------------------------------------------------------
@pytest.fixture
def hvd():
    if not _have_mpi():
        pytest.skip("needs pyengine[dist] (mpi4py, mpiexec)")
    import pyengine.distributed
    return pyengine.distributed


@pytest.mark.parametrize("n", [0, 1, 5, 6, 7, 23])
@pytest.mark.parametrize("size", [1, 2, 3, 4])
def test_shard_indices(hvd, n, size):
    parts = [hvd.shard_indices(n, r, size) for r in range(size)]
    assert len({len(p) for p in parts}) == 1  # equal step counts on every rank
    assert set(np.concatenate(parts).tolist()) == set(range(n))  # every sample is used
    assert len(parts[0]) == -(-n // size)
    dropped = [hvd.shard_indices(n, r, size, drop_remainder=True) for r in range(size)]
    flat = np.concatenate(dropped)
    assert len({len(p) for p in dropped}) == 1 and len(flat) == len(set(flat.tolist()))
    assert len(flat) == n - n % size


def test_shard_arrays_datasets_and_pipelines(hvd):
    x, y = np.arange(10).reshape(5, 2), np.arange(5)
    xs, ys = hvd.shard((x, y), rank=1, size=2)
    assert xs.tolist() == [[2, 3], [6, 7], [0, 1]] and ys.tolist() == [1, 3, 0]  # padded
    t = hvd.shard(pe.tensor(y), rank=0, size=2)
    assert isinstance(t, pe.Tensor) and t.numpy().tolist() == [0, 2, 4]

    class MapDataset:
        def __len__(self):
            return 5

        def __getitem__(self, i):
            return i * 10

    part = hvd.shard(MapDataset(), rank=1, size=2)
    assert [part[i] for i in range(len(part))] == [10, 30, 0]

    class Pipeline:  # the tf.data methods shard() relies on, over a list
        def __init__(self, items, known=True):
            self.items, self.known = list(items), known

        def cardinality(self):
            return len(self.items) if self.known else -2

        def shard(self, num_shards, index):
            return Pipeline(self.items[index::num_shards], self.known)

        def repeat(self):
            return Pipeline(self.items * 100, self.known)

        def take(self, count):
            return Pipeline(self.items[:count], self.known)

    parts = [hvd.shard(Pipeline(range(7)), rank=r, size=3).items for r in range(3)]
    assert parts == [[0, 3, 6], [1, 4, 1], [2, 5, 2]]  # wrapped around: 3 elements each
    parts = [hvd.shard(Pipeline(range(7)), rank=r, size=3, drop_remainder=True).items
             for r in range(3)]
    assert parts == [[0, 3], [1, 4], [2, 5]]
    assert hvd.shard(Pipeline(range(7), known=False), rank=1, size=3).items == [1, 4]

    class Loader:
        dataset, batch_size = MapDataset(), 2

        def __iter__(self):
            return iter(())

    with pytest.raises(TypeError, match="DistributedSampler"):
        hvd.shard(Loader(), rank=0, size=2)
    with pytest.raises(ValueError, match="same first dimension"):
        hvd.shard((x, y[:4]), rank=0, size=2)
    with pytest.raises(ValueError, match="rank < size"):
        hvd.shard(x, rank=2, size=2)


def test_shard_pe_data_and_utils_data(hvd):
    """The real pipelines, when pyengine has them (pe.data, pe.utils.data)."""
    data = pytest.importorskip("pyengine.data")
    utils_data = pytest.importorskip("pyengine.utils.data")
    ds = data.Dataset.from_tensor_slices(np.arange(7))
    parts = [[int(e) for e in hvd.shard(ds, rank=r, size=3)] for r in range(3)]
    assert parts == [[0, 3, 6], [1, 4, 1], [2, 5, 2]]
    tds = utils_data.TensorDataset(pe.arange(7))
    part = hvd.shard(tds, rank=1, size=3)
    assert [int(part[i][0]) for i in range(len(part))] == [1, 4, 0]
    sampler = hvd.DistributedSampler(tds, num_replicas=3, rank=1, shuffle=False)
    batches = [b[0].numpy().tolist() for b in utils_data.DataLoader(tds, batch_size=2,
                                                                      sampler=sampler)]
    assert batches == [[1, 4], [0]]
    with pytest.raises(TypeError, match="DistributedSampler"):
        hvd.shard(utils_data.DataLoader(tds, batch_size=2), rank=0, size=2)


def test_distributed_sampler(hvd):
    samplers = [hvd.DistributedSampler(range(11), num_replicas=3, rank=r, seed=5)
                for r in range(3)]
    for s in samplers:
        s.set_epoch(1)
    parts = [list(s) for s in samplers]
    assert {len(p) for p in parts} == {4} and all(len(s) == 4 for s in samplers)
    assert set(sum(parts, [])) == set(range(11))
    samplers[0].set_epoch(2)
    assert list(samplers[0]) != parts[0]  # a new order each epoch


def test_distributed_sampler_at_torch_paths(hvd):
    """torch.utils.data.distributed.DistributedSampler and torch.utils.data.DistributedSampler
    are pyengine's."""
    from pyengine.utils.data import DataLoader
    from pyengine.utils.data.distributed import DistributedSampler
    import pyengine.utils.data as data
    assert DistributedSampler is hvd.DistributedSampler is data.DistributedSampler
    sampler = DistributedSampler(list(range(10)), num_replicas=2, rank=1, shuffle=False)
    assert list(sampler) == [1, 3, 5, 7, 9]
    loader = DataLoader(pe.arange(10.0), batch_size=2, sampler=sampler)
    assert [b.tolist() for b in loader] == [[1.0, 3.0], [5.0, 7.0], [9.0]]


def test_calls_before_init_and_bad_arguments(hvd):
    if hvd.is_initialized():
        pytest.skip("init() already ran in this process")
    with pytest.raises(RuntimeError, match="call pyengine.distributed.init"):
        hvd.rank()
    opt = pe.optim.SGD([pe.zeros(2, requires_grad=True)], lr=0.1)
    with pytest.raises(RuntimeError, match="not initialized"):
        hvd.DistributedOptimizer(opt)
    with pytest.raises(TypeError, match="pyengine.optim optimizer"):
        hvd.DistributedOptimizer(object())
    with pytest.raises(TypeError, match=r"pass model.state_dict\(\)"):
        hvd.broadcast_parameters(pe.nn.Linear(2, 2))
    with pytest.raises(TypeError, match="a pyengine Tensor or a NumPy array, got list"):
        hvd.allreduce([1.0, 2.0])


def test_named_parameters_must_cover_the_optimizer(hvd):
    from pyengine.distributed.optimizer import _check_named
    a, b = pe.zeros(2, requires_grad=True), pe.zeros(3, requires_grad=True)
    opt = pe.optim.SGD([a, b], lr=0.1)
    _check_named(opt, [("a", a), ("b", b)])
    with pytest.raises(ValueError, match="1 of the optimizer's parameters are not in it"):
        _check_named(opt, [("a", a)])
    with pytest.raises(ValueError, match=r"duplicate names: \['a'\]"):
        _check_named(opt, [("a", a), ("a", b)])
