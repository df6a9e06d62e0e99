"""GEMM (`_C.matmul`) against NumPy float64: shapes incl. 0/1/primes and tall-skinny, the four
transposition combinations as strided views, alpha/beta, batched with broadcast, both dtypes,
every ISA path this CPU can run, and 1 vs 2 threads bitwise equal."""
import contextlib

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from pyengine import _C

ISAS = ["generic", "avx2", "avx512"]
AVAILABLE = ISAS[: ISAS.index(_C.cpu_isa_detected()) + 1]
DTYPES = [np.float32, np.float64]
SIZES = [0, 1, 2, 3, 5, 7, 13, 17, 31, 32, 33, 64, 97]


@contextlib.contextmanager
def isa(name):
    old = _C.cpu_isa()
    _C.set_cpu_isa(name)
    try:
        yield
    finally:
        _C.set_cpu_isa(old)


@contextlib.contextmanager
def threads(n):
    old = _C.get_num_threads()
    _C.set_num_threads(n)
    try:
        yield
    finally:
        _C.set_num_threads(old)


def operand(rng, rows, cols, dtype, transposed):
    """A rows x cols operand; transposed=True gives a strided view (x.T) of a (cols, rows) array."""
    if transposed:
        return rng.standard_normal((cols, rows)).astype(dtype).T
    return rng.standard_normal((rows, cols)).astype(dtype)


def expected(a, b, c, alpha, beta):
    ab = np.matmul(a.astype(np.float64), b.astype(np.float64))
    return alpha * ab + (beta * c.astype(np.float64) if beta != 0 else 0.0)


def check_close(got, want, k, dtype):
    eps = np.finfo(dtype).eps
    scale = np.abs(want).max() if want.size else 1.0
    np.testing.assert_allclose(got, want, rtol=0, atol=8 * eps * (k + 2) * max(scale, 1.0))


def run_case(rng, m, n, k, dtype, ta=False, tb=False, alpha=1.0, beta=0.0, batch=None):
    shape_a, shape_b, shape_c = (m, k), (k, n), (m, n)
    if batch is None:
        a, b = operand(rng, m, k, dtype, ta), operand(rng, k, n, dtype, tb)
    else:
        a = np.stack([operand(rng, m, k, dtype, ta) for _ in range(batch)])
        b = np.stack([operand(rng, k, n, dtype, tb) for _ in range(batch)])
        shape_c = (batch,) + shape_c
    c = rng.standard_normal(shape_c).astype(dtype)
    want = expected(a, b, c, alpha, beta)
    _C.matmul(a, b, c, alpha, beta)
    check_close(c, want, k, dtype)


@pytest.mark.parametrize("name", AVAILABLE)
@pytest.mark.parametrize("dtype", DTYPES)
def test_shapes_each_isa(name, dtype):
    rng = np.random.default_rng(0)
    with isa(name):
        for m in SIZES:
            for n in SIZES:
                k = SIZES[(m + 3 * n) % len(SIZES)]
                run_case(rng, m, n, k, dtype, ta=bool(m % 2), tb=bool(n % 3 == 0),
                         alpha=0.5, beta=(m * n) % 3 - 1.0)


@pytest.mark.parametrize("name", AVAILABLE)
@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("ta", [False, True])
@pytest.mark.parametrize("tb", [False, True])
def test_transposes_blocked(name, dtype, ta, tb):
    # Larger than one cache block in every dimension (MC/KC/NC), with ragged edges.
    rng = np.random.default_rng(1)
    with isa(name):
        run_case(rng, 263, 409, 421, dtype, ta, tb, alpha=1.5, beta=0.25)


@pytest.mark.parametrize("m,n,k", [(1, 1, 5000), (3000, 1, 7), (1, 3000, 7), (2000, 3, 3),
                                   (3, 2000, 3), (7, 5, 1), (200, 200, 1)])
def test_tall_skinny(m, n, k):
    run_case(np.random.default_rng(2), m, n, k, np.float32, alpha=1.0, beta=1.0)


@settings(max_examples=60, deadline=None)
@given(m=st.integers(0, 150), n=st.integers(0, 150), k=st.integers(0, 150),
       ta=st.booleans(), tb=st.booleans(), dtype=st.sampled_from(DTYPES),
       alpha=st.sampled_from([1.0, -2.0, 0.0, 0.3]), beta=st.sampled_from([0.0, 1.0, -0.5]),
       seed=st.integers(0, 2**31))
def test_random_shapes(m, n, k, ta, tb, dtype, alpha, beta, seed):
    run_case(np.random.default_rng(seed), m, n, k, dtype, ta, tb, alpha, beta)


@pytest.mark.parametrize("name", AVAILABLE)
@pytest.mark.parametrize("dtype", DTYPES)
def test_small_products_unpacked_edges(name, dtype):
    # Small products with a row-major B run unpacked, reading B rows with lane masks and A in
    # place: every row/column edge of the register tiles (MR 4/6/12, NR 8/16/32), B a column
    # slice of a wider array (row stride > n), A in both orientations.
    rng = np.random.default_rng(8)
    with isa(name):
        for m in (1, 5, 11, 12, 13, 25, 32):
            for n in (1, 6, 10, 16, 17, 31, 32, 33, 47):
                for k, ta in ((1, False), (7, True), (128, False)):
                    a = operand(rng, m, k, dtype, ta)
                    b = rng.standard_normal((k, n + 3)).astype(dtype)[:, 1 : n + 1]
                    c = rng.standard_normal((m, n)).astype(dtype)
                    want = expected(a, b, c, -1.5, 0.5)
                    _C.matmul(a, b, c, -1.5, 0.5)
                    check_close(c, want, k, dtype)
        # Negative strides on both operands (B's rows reversed, its columns still unit-stride).
        a = rng.standard_normal((13, 9)).astype(dtype)[::-1, ::-1]
        b = rng.standard_normal((9, 20)).astype(dtype)[::-1]
        c = np.empty((13, 20), dtype)
        _C.matmul(a, b, c)
        check_close(c, expected(a, b, c, 1.0, 0.0), 9, dtype)


@pytest.mark.parametrize("dtype", DTYPES)
def test_beta_zero_ignores_nan(dtype):
    rng = np.random.default_rng(3)
    for m, n, k in [(5, 7, 3), (100, 70, 40), (4, 4, 0)]:
        a, b = operand(rng, m, k, dtype, False), operand(rng, k, n, dtype, True)
        c = np.full((m, n), np.nan, dtype)
        _C.matmul(a, b, c, 1.0, 0.0)
        assert np.isfinite(c).all()
        check_close(c, expected(a, b, c, 1.0, 0.0), k, dtype)


@pytest.mark.parametrize("dtype", DTYPES)
def test_batched_and_broadcast(dtype):
    rng = np.random.default_rng(4)
    run_case(rng, 10, 6, 11, dtype, batch=7, beta=0.5)
    run_case(rng, 70, 90, 50, dtype, ta=True, batch=3)
    # Broadcast: one weight matrix for every batch item (batch stride 0), 4-D batch dims.
    x = rng.standard_normal((2, 5, 9, 13)).astype(dtype)
    w = np.broadcast_to(rng.standard_normal((13, 4)).astype(dtype), (2, 5, 13, 4))
    out = np.empty((2, 5, 9, 4), dtype)
    _C.matmul(x, w, out)
    check_close(out, expected(x, w, out, 1.0, 0.0), 13, dtype)
    empty = np.empty((0, 3, 4), dtype)
    _C.matmul(empty, np.empty((0, 4, 2), dtype), np.empty((0, 3, 2), dtype))


def test_sliced_and_negative_strides():
    rng = np.random.default_rng(7)
    a = rng.standard_normal((300, 200)).astype(np.float32)[::-2, 1::3]
    b = rng.standard_normal((400, 90)).astype(np.float32)[: 2 * a.shape[1] : 2, ::-1]
    c = np.empty((a.shape[0], b.shape[1]), np.float32)
    _C.matmul(a, b, c)
    check_close(c, expected(a, b, c, 1.0, 0.0), a.shape[1], np.float32)


def test_matches_reference_kernel():
    rng = np.random.default_rng(5)
    a, b = operand(rng, 45, 67, np.float64, True), operand(rng, 67, 38, np.float64, False)
    c1 = rng.standard_normal((45, 38))
    c2 = c1.copy()
    _C.matmul(a, b, c1, 2.0, -1.0)
    _C.matmul_ref(a, b, c2, 2.0, -1.0)
    np.testing.assert_allclose(c1, c2, rtol=1e-12, atol=1e-12)


@pytest.mark.parametrize("name", AVAILABLE)
# (600, 900, 700): a column split whose threads pack A together (3 threads: uneven shares);
# (500, 700, 1300): the same in four K blocks, so the two alternating A buffers are each reused
# (a thread waits until the others are past the step that last read the buffer).
@pytest.mark.parametrize("m,n,k", [(500, 300, 700), (37, 1001, 129), (1001, 37, 129),
                                   (32, 784, 128), (64, 64, 64), (13, 40, 9), (600, 900, 700),
                                   (500, 700, 1300)])
def test_threads_bitwise_equal(name, m, n, k):
    rng = np.random.default_rng(6)
    a, b = operand(rng, m, k, np.float32, False), operand(rng, k, n, np.float32, True)
    c0 = rng.standard_normal((m, n)).astype(np.float32)
    outs = []
    with isa(name):
        for nt in (1, 2, 3):
            c = c0.copy()
            with threads(nt):
                _C.matmul(a, b, c, 1.0, 0.5)
            outs.append(c)
    assert np.array_equal(outs[0], outs[1]) and np.array_equal(outs[0], outs[2])
    # small items: below the fork threshold all together (one thread), and above it (16 x 64^3
    # = 8.4 MFLOP: one thread per item); both the single-thread bits
    for shape in [(9, 10, 11, 6), (16, 64, 64, 64)]:
        bt, m_, k_, n_ = shape
        xb = rng.standard_normal((bt, m_, k_)).astype(np.float32)
        wb = rng.standard_normal((bt, k_, n_)).astype(np.float32)
        batched = []
        for nt in (1, 2):
            out = np.empty((bt, m_, n_), np.float32)
            with threads(nt):
                _C.matmul(xb, wb, out)
            batched.append(out)
        assert np.array_equal(batched[0], batched[1])
        assert np.array_equal(batched[0][3], _C.matmul(xb[3], wb[3]))


@pytest.mark.parametrize("name", AVAILABLE)
@pytest.mark.parametrize("m,n,k", [(784, 128, 32), (1001, 40, 200), (2000, 37, 64)])
def test_row_blocks_taken_dynamically(name, m, n, k):
    """Row split with a B small enough to be used in place (the weight gradient A.T @ g): the
    threads take row blocks from a counter; 1, 2 and 3 threads agree bitwise, and with float64."""
    rng = np.random.default_rng(8)
    a = rng.standard_normal((k, m)).astype(np.float32).T  # a transposed view, as in A.T @ g
    b = rng.standard_normal((k, n)).astype(np.float32)
    outs = []
    with isa(name):
        for nt in (1, 2, 3):
            c = np.full((m, n), np.nan, np.float32)
            with threads(nt):
                _C.matmul(a, b, c)
            outs.append(c)
    assert np.array_equal(outs[0], outs[1]) and np.array_equal(outs[0], outs[2])
    np.testing.assert_allclose(outs[0], a.astype(np.float64) @ b, rtol=1e-4, atol=1e-4)


@pytest.mark.parametrize("name", AVAILABLE)
@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("m,n,k,lead", [
    (784, 128, 32, 784),   # A.T @ g of the MNIST layer: the column stride is m
    (1001, 40, 200, 1003),  # a last, partial panel; A a slice of a wider array
    (300, 700, 80, 300),   # column split (m <= n): A is read in place, not shared
    (3000, 20, 40, 3000),  # narrow C: the transposed problem (B^T column-major read in place)
    (97, 500, 900, 97),    # several K blocks
    (600, 130, 64, 640),   # a column stride of 2560 bytes (a multiple of 512): A is packed
])
def test_column_major_a_read_in_place(name, dtype, m, n, k, lead):
    """A column-major A (the weight gradient's A.T view) is read in place by the micro-kernel,
    except a last partial panel, which is packed (its rows past A's end must not be read: the
    view here ends where its buffer ends, which ASan checks in CI). Bitwise equal to the packed
    product of a row-major copy of A, with 1, 2 and 3 threads, and alpha / beta."""
    rng = np.random.default_rng(11)
    base = rng.standard_normal((k, lead)).astype(dtype)
    a = base[:, lead - m:].T  # (m, k) view, column stride `lead`, ending at the buffer's end
    b = rng.standard_normal((k, n)).astype(dtype)
    c0 = rng.standard_normal((m, n)).astype(dtype)
    with isa(name):
        with threads(1):
            want = _C.matmul(np.ascontiguousarray(a), b)
            want_ab = c0.copy()
            _C.matmul(np.ascontiguousarray(a), b, want_ab, 0.5, 1.5)
        for nt in (1, 2, 3):
            with threads(nt):
                c = np.full((m, n), np.nan, dtype)
                _C.matmul(a, b, c)
                assert np.array_equal(c, want), nt
                c = c0.copy()
                _C.matmul(a, b, c, 0.5, 1.5)
                assert np.array_equal(c, want_ab), nt
    check_close(want, expected(a, b, c0, 1.0, 0.0), k, dtype)


@pytest.mark.parametrize("name", AVAILABLE)
@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("k,n,ta", [(128, 10, False),   # unpacked small-product kernel, half width
                                    (10, 128, False),   # unpacked, full width
                                    (512, 512, False),  # packed A
                                    (160, 2000, True)])  # A read in place
# (every m of a case stays on one path: the unpacked path sums K in one block, the packed one in
# KC blocks, so a case crossing the unpacked bound with k > KC would compare different sums)
def test_tiles_of_every_height(name, dtype, k, n, ta):
    """Tiles of 1..MR rows run micro-kernels of MR/3, 2MR/3 or MR rows (ukernel_simd.h): each
    row of an m-row product has the bits of the same row inside a product of full tiles."""
    rng = np.random.default_rng(12)
    a = operand(rng, 48, k, dtype, ta)
    b = rng.standard_normal((k, n)).astype(dtype)
    with isa(name):
        full = _C.matmul(a, b)
        for m in range(1, 17):
            c = np.full((m, n), np.nan, dtype)
            _C.matmul(a[:m], b, c)
            assert np.array_equal(c, full[:m]), m
            c = full[48 - m:] * dtype(0.5)  # alpha / beta through the staged write-back too
            want = c.copy()
            _C.matmul(a[48 - m:], b, c, 2.0, 1.0)
            with threads(1):
                _C.matmul(a[48 - m:], b, want, 2.0, 1.0)
            assert np.array_equal(c, want), m
    check_close(full, expected(a, b, full, 1.0, 0.0), k, dtype)


def test_bad_inputs():
    f = np.zeros
    with pytest.raises(ValueError, match=r"^\[matmul\] inner dimensions differ"):
        _C.matmul(f((2, 3), np.float32), f((4, 5), np.float32), f((2, 5), np.float32))
    with pytest.raises(ValueError, match=r"^\[matmul\] out has shape"):
        _C.matmul(f((2, 3), np.float32), f((3, 5), np.float32), f((5, 2), np.float32))
    with pytest.raises(TypeError, match=r"^\[matmul\]"):
        _C.matmul(f((2, 3), np.float64), f((3, 5), np.float32), f((2, 5), np.float32))
    with pytest.raises(TypeError, match=r"^\[matmul\]"):
        _C.matmul(f((2, 3), np.int32), f((3, 5), np.int32), f((2, 5), np.int32))
    with pytest.raises(ValueError, match=r"^\[matmul\] out must be C-contiguous"):
        _C.matmul(f((2, 3), np.float32), f((3, 5), np.float32), f((5, 2), np.float32).T)
    with pytest.raises(ValueError, match=r"^\[matmul\] expected operands of equal rank"):
        _C.matmul(f((3,), np.float32), f((3, 5), np.float32), f((5,), np.float32))
    with pytest.raises(ValueError, match=r"^\[matmul\] batch dimensions differ"):
        _C.matmul(f((2, 2, 3), np.float32), f((3, 3, 5), np.float32), f((2, 2, 5), np.float32))
    with pytest.raises(ValueError, match=r"^\[matmul\] out must be writeable"):
        out = f((2, 5), np.float32)
        out.flags.writeable = False
        _C.matmul(f((2, 3), np.float32), f((3, 5), np.float32), out)


def test_tall_a_in_several_packed_bands():
    """A taller than one packed band of A (4 MiB: 2640 rows at k = 768 on AVX-512, fp32, KC = 384,
    MC = 240; other ISAs' bands differ, the test holds for any), column split:
    the threads pack each band together; 1, 2 and 3 threads agree bitwise and with NumPy."""
    rng = np.random.default_rng(7)
    m, n, k = 2700, 2710, 768
    a = rng.standard_normal((m, k)).astype(np.float32)
    b = rng.standard_normal((k, n)).astype(np.float32)
    outs = []
    for nt in (1, 2, 3):
        c = np.empty((m, n), np.float32)
        with threads(nt):
            _C.matmul(a, b, c)
        outs.append(c)
    assert np.array_equal(outs[0], outs[1]) and np.array_equal(outs[0], outs[2])
    rows = np.r_[0:5, 2635:2645, m - 5:m]  # both sides of the band edge
    want = a[rows].astype(np.float64) @ b.astype(np.float64)
    np.testing.assert_allclose(outs[0][rows], want, rtol=1e-4, atol=1e-3)


def test_fewer_threads_than_asked_still_cover_c(tmp_path):
    """With OMP_THREAD_LIMIT=1 the runtime forms a team of one although two threads are asked
    for; the split must follow the team, or half of C would never be computed."""
    import os
    import subprocess
    import sys
    code = ("import numpy as np, pyengine as pe\n"
            "pe.set_num_threads(2)\n"
            "r = np.random.default_rng(0)\n"
            "a = r.standard_normal((700, 500)).astype(np.float32)\n"
            "b = r.standard_normal((500, 900)).astype(np.float32)\n"
            "c = np.full((700, 900), np.nan, np.float32)\n"
            "pe._C.matmul(a, b, c)\n"
            "print(float(np.abs(c - a.astype(np.float64) @ b).max()))\n")
    import pyengine
    # The child imports the same pyengine as this process (installed, or the source tree).
    env = dict(os.environ, OMP_THREAD_LIMIT="1", OMP_DYNAMIC="true",
               PYTHONPATH=os.path.dirname(os.path.dirname(os.path.abspath(pyengine.__file__))))
    out = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True,
                         check=True, cwd=str(tmp_path))
    assert float(out.stdout) < 1e-3
