"""Every per-op fast path against the general path it short-cuts (issue 12 items 1 and 6):
the 2-D matmul of backend/cpu.py and MatMul.backward, the parameter-free relu/sigmoid/tanh,
the full sum. Non-contiguous, broadcast, 1-D and integer operands must still take the general
path and give its answer."""
import numpy as np
import pytest

import pyengine as pe
import pyengine.nn.functional as F
from pyengine.backend import cpu
from pyengine.ops.activation import Activation, ReLU, Sigmoid, Tanh
from pyengine.ops import elementwise as _ew
from pyengine.ops.matmul import MatMul
from pyengine.ops.reduce import Sum, SumAll

RNG = np.random.default_rng(0)


def _arr(shape, dtype=np.float32):
    return RNG.standard_normal(shape).astype(dtype)


def _views():
    """(a, b) pairs for a 2-D @ 2-D product: contiguous, transposed, sliced, size 0 and 1."""
    a, b = _arr((10, 11)), _arr((11, 6))
    yield a, b
    yield _arr((11, 10)).T, b                      # transposed A
    yield a, _arr((6, 11)).T                        # transposed B (a backward's g @ W^T)
    yield _arr((20, 22))[::2, ::2], _arr((11, 12))[:, ::2]   # strided views
    yield _arr((32, 784)), _arr((784, 128))
    yield _arr((0, 5)), _arr((5, 3))
    yield _arr((4, 0)), _arr((0, 3))
    yield _arr((1, 1)), _arr((1, 1))
    yield _arr((10, 11), np.float64), _arr((11, 6), np.float64)


@pytest.mark.parametrize("pair", list(_views()), ids=lambda p: f"{p[0].shape}@{p[1].shape}")
def test_matmul_2d_fast_path_equals_general(isa, pair):
    a, b = pair
    fast = cpu.matmul(a, b)
    general = cpu._matmul_general(a, b)
    np.testing.assert_array_equal(fast, general)
    assert fast.dtype == a.dtype and fast.flags.c_contiguous
    ref = a.astype(np.float64) @ b.astype(np.float64)
    np.testing.assert_allclose(fast, ref, rtol=1e-4, atol=1e-4)


@pytest.mark.parametrize("shapes", [((7,), (7, 3)), ((4, 7), (7,)), ((7,), (7,)),
                                    ((2, 4, 7), (7, 3)), ((4, 7), (3, 7, 2)),
                                    ((1, 4, 7), (5, 7, 2))])
def test_matmul_other_ranks_take_the_general_path(shapes):
    a, b = _arr(shapes[0], np.float64), _arr(shapes[1], np.float64)
    np.testing.assert_allclose(cpu.matmul(a, b), a @ b, rtol=1e-12, atol=1e-12)


def test_matmul_other_dtypes_take_the_general_path():
    a = np.arange(6, dtype=np.int64).reshape(2, 3)
    np.testing.assert_array_equal(cpu.matmul(a, a.T), a @ a.T)
    f32, f64 = _arr((2, 3)), _arr((3, 2), np.float64)
    np.testing.assert_allclose(cpu.matmul(f32, f64), f32 @ f64, rtol=1e-6)
    big = _arr((3, 4)).astype(">f4")                 # non-native byte order
    np.testing.assert_allclose(cpu.matmul(big, big.T), big.astype(np.float64) @ big.T, rtol=1e-5)


def test_matmul2d_entry_answers_none_for_the_general_path_and_matches_matmul():
    """_C.matmul2d serves 2-D same-dtype float32/float64 operands with any aligned strides
    (negative ones included) with matmul's bits, and answers None for everything else."""
    a, b = _arr((9, 13)), _arr((13, 7))
    for x, y in [(a, b), (a[::-1], b[:, ::-1]), (_arr((13, 9)).T, _arr((7, 13)).T),
                 (a.astype(np.float64), b.astype(np.float64)), (_arr((300, 200)), _arr((200, 90)))]:
        out = pe._C.matmul2d(x, y)
        assert out.flags.c_contiguous and out.dtype == x.dtype
        assert out.tobytes() == pe._C.matmul(x, y).tobytes()
    raw = np.zeros(13 * 7 * 4 + 1, np.uint8)[1:].view(np.float32).reshape(13, 7)  # unaligned
    for x, y in [(a, b.astype(np.float64)), (a.astype(np.int64), b.astype(np.int64)),
                 (a[0], b), (a, b[:, 0]), (a[None], b), (a, b[:5]), (a.astype(">f4"), b),
                 (a, raw), ([[1.0]], [[2.0]])]:
        assert pe._C.matmul2d(x, y) is None
    np.testing.assert_array_equal(cpu.matmul(a, raw), cpu._matmul_general(a, raw))
    with pytest.raises(TypeError, match=r"\[matmul\] matmul2d\(a, b\) takes two arrays"):
        pe._C.matmul2d(a)
    # 32x784 @ 784x128 (6.4 MFLOP) is threaded, 10x512 @ 512x512 (5.2) is not: the same bits
    # on 1 and 2 threads either way
    before = pe.get_num_threads()
    try:
        for x, y in [(_arr((32, 784)), _arr((784, 128))), (_arr((10, 512)), _arr((512, 512))),
                     (_arr((784, 32)).T, _arr((784, 128)))]:
            bits = set()
            for t in (1, 2):
                pe.set_num_threads(t)
                bits.add(pe._C.matmul2d(x, y).tobytes())
            assert len(bits) == 1
    finally:
        pe.set_num_threads(before)


@pytest.mark.parametrize("name", ["relu", "gelu", "sigmoid", "tanh"])
def test_act_fast_entry_matches_act_forward_and_answers_none_otherwise(isa, name):
    """_C.act_fast (the raw entry backend.activation takes for the parameterless activations)
    gives act_forward's bits for C-contiguous float32/float64 of any shape, and None for
    layouts and dtypes that need act_forward."""
    code = pe._C.act_codes[name]
    for x in [_arr((10, 10)), _arr((3, 1, 7), np.float64), _arr(0), _arr(()), _arr(40000),
              np.array([np.nan, -np.inf, np.inf, -0.0], np.float32)]:
        y = pe._C.act_fast(x, code)
        assert y.shape == x.shape and y.dtype == x.dtype and y.flags.c_contiguous
        assert y.tobytes() == pe._C.act_forward(name, x).tobytes()
        assert cpu.activation(name, x).tobytes() == y.tobytes()
    a = _arr((6, 8))
    raw = np.zeros(6 * 8 * 4 + 1, np.uint8)[1:].view(np.float32).reshape(6, 8)   # unaligned
    for x in [a.T, a[:, ::2], a.astype(np.int64), a.astype(">f4"), raw, [1.0, 2.0]]:
        assert pe._C.act_fast(x, code) is None
    np.testing.assert_array_equal(cpu.activation(name, a.T), pe._C.act_forward(name, a.T.copy()))
    with pytest.raises(ValueError, match=r"\[activation\] act_fast code"):
        pe._C.act_fast(a, 1)                               # leaky_relu has a parameter
    with pytest.raises(TypeError, match=r"\[activation\] act_fast\(x, code\)"):
        pe._C.act_fast(a, "relu")


def test_matmul_fast_path_errors():
    with pytest.raises(ValueError, match=r"\[matmul\] inner dimensions differ: \(2, 3\) @ \(4, 5\)"):
        cpu.matmul(_arr((2, 3)), _arr((4, 5)))
    with pytest.raises(ValueError, match=r"\[matmul\] inner dimensions differ"):
        pe.randn(2, 3) @ pe.randn(4, 5)


@pytest.mark.parametrize("sa,sb", [((5, 4), (4, 3)), ((4,), (4, 3)), ((5, 4), (4,)),
                                   ((2, 5, 4), (4, 3)), ((5, 4), (2, 4, 3))])
def test_matmul_backward_fast_and_general(sa, sb):
    """2-D products use MatMul.backward's direct path, the others the general one; both must
    match the float64 reference gradients."""
    a = pe.tensor(_arr(sa, np.float64), requires_grad=True)
    b = pe.tensor(_arr(sb, np.float64), requires_grad=True)
    y = a @ b
    g = _arr(y.shape, np.float64)
    y.backward(g)
    A = a.data if a.ndim > 1 else a.data[None]
    B = b.data if b.ndim > 1 else b.data[:, None]
    G = g.reshape(np.broadcast_shapes(A.shape[:-2], B.shape[:-2]) + (A.shape[-2], B.shape[-1]))
    ga = (G @ np.swapaxes(B, -1, -2))
    gb = (np.swapaxes(A, -1, -2) @ G)
    ga = ga.reshape((-1,) + A.shape[-2:]).sum(0) if ga.ndim > A.ndim else ga
    gb = gb.reshape((-1,) + B.shape[-2:]).sum(0) if gb.ndim > B.ndim else gb
    np.testing.assert_allclose(a.grad.data, ga.reshape(sa), rtol=1e-12, atol=1e-12)
    np.testing.assert_allclose(b.grad.data, gb.reshape(sb), rtol=1e-12, atol=1e-12)
    assert pe.testing.gradcheck(lambda a, b: a @ b, [a, b])


@pytest.mark.parametrize("cls,name", [(ReLU, "relu"), (Sigmoid, "sigmoid"), (Tanh, "tanh")])
@pytest.mark.parametrize("make", [lambda: _arr((10, 10)), lambda: _arr((10, 12))[:, ::2],
                                  lambda: _arr((6, 5)).T, lambda: _arr(()),
                                  lambda: _arr((3, 4), np.float64),
                                  lambda: np.arange(-3, 3, dtype=np.int64)])
def test_fixed_activations_equal_activation(isa, cls, name, make):
    a = make()
    rg = a.dtype.kind == "f"
    x1, x0 = pe.tensor(a, requires_grad=rg), pe.tensor(a, requires_grad=rg)
    y1, y0 = cls.apply(x1), Activation.apply(x0, name=name)
    np.testing.assert_array_equal(y1.data, y0.data)
    assert y1.dtype == y0.dtype
    assert getattr(pe.tensor(a), name)().detach().numpy().tobytes() == y0.detach().detach().numpy().tobytes()
    assert getattr(F, name)(pe.tensor(a)).detach().numpy().tobytes() == y0.detach().detach().numpy().tobytes()
    if rg:
        g = _arr(y0.shape, a.dtype)
        y1.backward(g)
        y0.backward(g)
        np.testing.assert_array_equal(x1.grad.data, x0.grad.data)


@pytest.mark.parametrize("make", [lambda: _arr((10, 10)), lambda: _arr((4, 6))[:, ::3],
                                  lambda: _arr(()), lambda: _arr((0, 3)),
                                  lambda: np.arange(5, dtype=np.int64)])
def test_sum_all_equals_sum(make):
    a = make()
    rg = a.dtype.kind == "f"
    x1, x0 = pe.tensor(a, requires_grad=rg), pe.tensor(a, requires_grad=rg)
    y1, y0 = x1.sum(), Sum.apply(x0, axis=None, keepdims=False)
    assert y1.grad_fn is None or y1.grad_fn.fn is SumAll
    np.testing.assert_array_equal(y1.data, y0.data)
    assert y1.shape == () and y1.dtype == y0.dtype
    if rg:
        y1.backward()
        y0.backward()
        np.testing.assert_array_equal(x1.grad.data, x0.grad.data)
    # axis / keepdims forms still go through Sum
    assert pe.tensor(a).sum(keepdims=True).shape == (1,) * a.ndim
    assert pe.tensor(a).sum(dim=None, keepdim=True).shape == (1,) * a.ndim


# Storage arrays are read with np.asarray(tensor) (Tensor.__array__), which works whether `.data`
# is the array or a Tensor view of it (PyTorch's meaning).
# ---- the C++ full sum (float32), the allocating kernel entries, apply1 / apply2 -------------
@pytest.mark.parametrize("n", [0, 1, 7, 8, 9, 100, 1000, 65535, 65536, 100003])
def test_sum_all_kernel_against_float64(isa, n):
    a = _arr(n)
    s = pe._C.sum_all(a)
    assert s.shape == () and s.dtype == np.float32
    # double accumulation: only the final rounding to float32 is lost
    np.testing.assert_allclose(s, a.astype(np.float64).sum(), rtol=2e-7, atol=1e-6)
    assert np.asarray(pe.tensor(a).sum()).tobytes() == s.tobytes()
    assert np.asarray(pe.tensor(a).sum(dim=0)).tobytes() == s.tobytes()           # Sum, every axis
    assert np.asarray(pe.tensor(a).sum(keepdims=True)).reshape(()).tobytes() == s.tobytes()


def test_sum_all_same_bits_for_any_thread_count_and_views():
    a = _arr((300, 301))
    before = pe.get_num_threads()
    try:
        bits = set()
        for t in (1, 2):
            pe.set_num_threads(t)
            bits.add(np.asarray(pe.tensor(a).sum()).tobytes())
        assert len(bits) == 1
    finally:
        pe.set_num_threads(before)
    v = a[:, ::2]                      # not contiguous: NumPy's reduce (the general path)
    np.testing.assert_allclose(pe.tensor(v).sum().data, v.astype(np.float64).sum(), rtol=1e-5)
    with pytest.raises(ValueError, match=r"\[sum\] x must be C-contiguous"):
        pe._C.sum_all(v)
    with pytest.raises(TypeError, match=r"\[sum\] x must be float32"):
        pe._C.sum_all(a.astype(np.float64))


def test_kernel_entries_allocate_when_out_is_none():
    a, b = _arr((5, 4)), _arr((4, 3))
    out = np.empty((5, 3), np.float32)
    assert pe._C.matmul(a, b, out) is out
    np.testing.assert_array_equal(pe._C.matmul(a, b), out)
    ab, bb = _arr((2, 5, 4)), _arr((2, 4, 3))
    outb = np.empty((2, 5, 3), np.float32)
    pe._C.matmul(ab, bb, outb)
    np.testing.assert_array_equal(pe._C.matmul(ab, bb), outb)
    with pytest.raises(ValueError, match=r"\[matmul\] beta must be 0 when out is None"):
        pe._C.matmul(a, b, None, 1.0, 1.0)
    with pytest.raises(ValueError, match=r"\[matmul\] expected operands of equal rank"):
        pe._C.matmul(a[0], b)
    with pytest.raises(TypeError, match=r"\[matmul\] out must be a NumPy array"):
        pe._C.matmul(a, b, [1, 2])
    y = np.empty_like(a)
    pe._C.act_forward("relu", a, y)
    np.testing.assert_array_equal(pe._C.act_forward("relu", a), y)
    w, bias = _arr((3, 4)), _arr(3)
    yl = np.empty((5, 3), np.float32)
    pe._C.linear_forward(a, w, bias, yl, "relu")
    np.testing.assert_array_equal(pe._C.linear_forward(a, w, bias, None, "relu"), yl)


class _Sub(pe.Tensor):
    __slots__ = ()


@pytest.mark.parametrize("op", ["+", "-", "*", "@"])
def test_tensor_operators_fast_and_general_forms_agree(op):
    """Tensor (op) Tensor takes apply2; scalars, arrays, subclasses (Parameter) and broadcasting
    operands must give the general path's answer, and grads must flow the same way."""
    f = {"+": lambda p, q: p + q, "-": lambda p, q: p - q, "*": lambda p, q: p * q,
         "@": lambda p, q: p @ q}[op]
    a, b = _arr((4, 4), np.float64), _arr((4, 4), np.float64)
    ref = f(a, b)
    for x, y in [(pe.tensor(a), pe.tensor(b)), (pe.nn.Parameter(pe.tensor(a)), pe.tensor(b)),
                 (pe.tensor(a), b)]:
        np.testing.assert_array_equal(f(x, y).data, ref)
    if op != "@":
        np.testing.assert_array_equal(f(pe.tensor(a), pe.tensor(b[0])).data, f(a, b[0]))
        np.testing.assert_array_equal(f(pe.tensor(a), 2.5).data, f(a, 2.5))
    x, y = pe.tensor(a, requires_grad=True), pe.tensor(b, requires_grad=True)
    out = f(x, y)
    assert out.requires_grad and out.grad_fn is not None
    out.sum().backward()
    x2, y2 = pe.tensor(a, requires_grad=True), pe.tensor(b, requires_grad=True)
    general = {"+": _ew.Add, "-": _ew.Sub, "*": _ew.Mul, "@": MatMul}[op].apply(x2, y2)
    np.testing.assert_array_equal(general.data, out.data)
    general.sum().backward()
    np.testing.assert_array_equal(x.grad.data, x2.grad.data)
    np.testing.assert_array_equal(y.grad.data, y2.grad.data)
    assert pe.testing.gradcheck(f, [x, y])
    with pe.no_grad():
        z = f(x, y)
    assert not z.requires_grad and z.grad_fn is None
    xs = pe.tensor(a, requires_grad=True)
    assert f(xs, pe.tensor(b)).grad_fn is not None   # one operand requiring grad records


def test_unary_fast_forms_record_only_when_needed():
    a = _arr((3, 4))
    x = pe.tensor(a, requires_grad=True)
    for name in ("relu", "sigmoid", "tanh", "sum"):
        y = getattr(x, name)()
        assert y.grad_fn is not None and y.requires_grad
        with pe.no_grad():
            assert getattr(x, name)().grad_fn is None
        assert getattr(pe.tensor(a), name)().grad_fn is None


def test_unrecorded_fast_forms_share_a_read_only_context_and_agree_with_recording():
    """apply1 / apply2 hand a CPU forward that records nothing one shared read-only context
    (no Context per op): the same bits as the recording call and Function.apply, and a forward
    that stored into that context would fail loudly instead of sharing state between calls."""
    from pyengine import autograd as ag
    a, b = _arr((6, 5)), _arr((6, 5))
    x, y = pe.tensor(a), pe.tensor(b)
    xr = pe.tensor(a, requires_grad=True)
    for f, cls in [(lambda p: p + y, _ew.Add), (lambda p: p - y, _ew.Sub),
                   (lambda p: p * y, _ew.Mul), (lambda p: p @ y.T, None),
                   (lambda p: p.relu(), None), (lambda p: p.sigmoid(), None),
                   (lambda p: p.tanh(), None), (lambda p: p.sum(), None)]:
        plain, recorded = f(x), f(xr)
        assert plain.grad_fn is None and recorded.grad_fn is not None
        assert plain.numpy().tobytes() == recorded.detach().numpy().tobytes()
        if cls is not None:
            assert cls.apply(x, y).numpy().tobytes() == plain.numpy().tobytes()
    ctx = ag._UNRECORDED
    assert ctx.needs_input_grad is None and ctx.backend is pe.backend.cpu
    with pytest.raises(AttributeError):
        ctx.saved = 1

    class Stores(ag.Function):  # a forward that (wrongly) stores without checking
        @staticmethod
        def forward(ctx, p, q):
            ctx.shape = p.shape
            return p + q

    with pytest.raises(AttributeError):
        ag.apply2(Stores, x, y)
    assert ag.apply2(Stores, xr, y).grad_fn is not None   # a recording call gets its own ctx


@pytest.mark.parametrize("m,k,n", [(10, 64, 16), (10, 11, 6), (32, 128, 10), (1, 7, 1),
                                   (3, 5, 33), (64, 64, 63)])
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_small_matmul_with_column_major_b_equals_row_major_b(isa, m, k, n, dtype):
    """Small products with a B that is not row-major (a Linear forward's x @ w.T) copy B
    row-major and run the unpacked kernel: the same bits as the row-major B, any B strides."""
    x, w = _arr((m, k), dtype), _arr((n, k), dtype)
    want = pe._C.matmul(x, np.ascontiguousarray(w.T))
    assert pe._C.matmul(x, w.T).tobytes() == want.tobytes()
    wide = _arr((n, 2 * k), dtype)[:, ::2]             # neither unit row nor column stride
    assert pe._C.matmul(x, wide.T).tobytes() == \
        pe._C.matmul(x, np.ascontiguousarray(wide.T)).tobytes()
    np.testing.assert_allclose(want, x.astype(np.float64) @ w.T.astype(np.float64),
                               rtol=1e-4, atol=1e-4)
    out = np.full((m, n), 3.0, dtype)                  # beta != 0 reads C
    pe._C.matmul(x, w.T, out, 2.0, 0.5)
    np.testing.assert_allclose(out, 2.0 * want + 1.5, rtol=1e-4, atol=1e-4)
    xs = [pe._C.matmul(x, w.T).tobytes()]
    before = pe.get_num_threads()
    try:
        pe.set_num_threads(1 if before != 1 else 2)
        xs.append(pe._C.matmul(x, w.T).tobytes())
    finally:
        pe.set_num_threads(before)
    assert xs[0] == xs[1]


def test_linear_backward_allocates_requested_outputs():
    """True: the kernel allocates that gradient; False / None: not computed; an array: written.
    Allocated and given outputs hold the same bits."""
    x, w, b = _arr((5, 4)), _arr((3, 4)), _arr(3)
    y = pe._C.linear_forward(x, w, b, None, "relu")
    g = _arr((5, 3))
    gx, gw, gb = pe._C.linear_backward(x, w, y, g, True, True, True, "relu")
    outs = (np.empty((5, 4), np.float32), np.empty((3, 4), np.float32), np.empty(3, np.float32))
    got = pe._C.linear_backward(x, w, y, g, *outs, "relu")
    assert all(a is o for a, o in zip(got, outs))
    for a, o in zip((gx, gw, gb), outs):
        assert a.tobytes() == o.tobytes()
    assert pe._C.linear_backward(x, w, y, g, False, None, True, "relu")[:2] == (None, None)
    with pytest.raises(ValueError, match=r"\[linear\] grad_x has shape"):
        pe._C.linear_backward(x, w, y, g, np.empty((2, 2), np.float32), None, None, "relu")
