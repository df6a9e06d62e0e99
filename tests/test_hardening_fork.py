"""Fork safety (issue 13 item 3): after the parent ran multi-threaded kernels, a child started
with fork computes correctly instead of hanging in libgomp. Each scenario runs in a fresh
interpreter (a hang there must not hang pytest) with a timeout."""
import os
import subprocess
import sys
import textwrap

from hardening_battery import package_path

PARENT = """
import multiprocessing as mp, threading, numpy as np, pyengine as pe, pyengine.nn.functional as F
pe.set_num_threads(2)
pe.manual_seed(0)
a, x, w = pe.randn(300, 300), pe.randn(4, 3, 32, 32), pe.randn(8, 3, 3, 3)
for _ in range(3):  # the parent's OpenMP pool is now running
    ref_mm, ref_conv = (a @ a).numpy(), F.conv2d(x, w, padding=1).numpy()

def work(q):
    q.put((np.array_equal((a @ a).numpy(), ref_mm),
           np.allclose(F.conv2d(x, w, padding=1).numpy(), ref_conv, atol=1e-5),
           pe.get_num_threads()))
"""


def run(body, timeout=120):
    code = textwrap.dedent(PARENT) + textwrap.dedent(body)
    p = subprocess.run([sys.executable, "-c", code], env=dict(os.environ, PYTHONPATH=package_path()),
                       cwd=package_path(),
                       capture_output=True, text=True, timeout=timeout)
    assert p.returncode == 0, p.stderr[-2000:]
    return p.stdout


def test_fork_child_computes_after_parent_used_threads():
    out = run("""
        ctx = mp.get_context("fork")
        q = ctx.Queue()
        procs = [ctx.Process(target=work, args=(q,)) for _ in range(3)]
        for p in procs: p.start()
        for p in procs: p.join(60)
        assert not any(p.is_alive() for p in procs), "a forked child hung"
        print([q.get(timeout=5) for _ in procs])
    """)
    assert out.strip() == str([(True, True, 1)] * 3)


def test_fork_pool_map():
    out = run("""
        def job(i):
            return float((a @ a).sum()) + i
        with mp.get_context("fork").Pool(2) as pool:
            got = pool.map_async(job, range(4)).get(60)
        print(all(abs(g - (float((a @ a).sum()) + i)) < 1e-3 * abs(g) + 1e-3 for i, g in enumerate(got)))
    """)
    assert out.strip() == "True"


def test_parent_keeps_its_threads_and_child_threads_may_use_a_pool():
    """The at-fork handler touches only the child; in the child a new thread (which gets a new
    OpenMP pool) can run multi-threaded, and asking the forked thread for more threads raises."""
    out = run("""
        def child(q):
            try:
                pe.set_num_threads(2)
                q.put("no error")
            except RuntimeError as e:
                q.put("raised" if "spawn" in str(e) else str(e))
            res = []
            t = threading.Thread(target=lambda: (pe.set_num_threads(2), res.append((pe.get_num_threads(),
                                 np.array_equal((a @ a).numpy(), ref_mm)))))
            t.start(); t.join(60)
            q.put(res)
        ctx = mp.get_context("fork")
        q = ctx.Queue()
        p = ctx.Process(target=child, args=(q,)); p.start(); p.join(60)
        assert not p.is_alive(), "child hung"
        print(q.get(timeout=5), q.get(timeout=5), pe.get_num_threads())
    """)
    assert out.strip() == "raised [(2, True)] 2"
