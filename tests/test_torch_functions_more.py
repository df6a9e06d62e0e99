"""PyTorch's tensor functions added in the seventh session (tensor_math_habits.py,
torch_functions.py, ops/torch_math.py): values against NumPy float64 and, when installed,
against torch; gradients through gradcheck and against torch's; error messages."""
import numpy as np
import pytest

import pyengine as pe
from pyengine.testing import gradcheck

RNG = np.random.default_rng(0)
A = RNG.standard_normal((3, 4)).astype(np.float32)
POS = (RNG.random((3, 4)) + 0.5).astype(np.float32)


def np64(x):
    return np.asarray(x, np.float64)


# (name, method call on a Tensor, NumPy float64 reference, input, differentiable)
CASES = [
    ("cumsum", lambda t: t.cumsum(1), lambda a: np.cumsum(a, 1), A, True),
    ("cumprod", lambda t: t.cumprod(0), lambda a: np.cumprod(a, 0), A, True),
    ("prod_dim", lambda t: t.prod(1), lambda a: np.prod(a, 1), A, True),
    ("prod_keep", lambda t: t.prod(0, keepdim=True), lambda a: np.prod(a, 0, keepdims=True), A,
     True),
    ("prod_all", lambda t: t.prod(), lambda a: np.prod(a), A, True),
    ("amax", lambda t: t.amax(1), lambda a: a.max(1), A, True),
    ("amin", lambda t: t.amin((0, 1)), lambda a: a.min(), A, True),
    ("diff", lambda t: t.diff(), lambda a: np.diff(a), A, True),
    ("diff2", lambda t: t.diff(2, 0), lambda a: np.diff(a, 2, 0), A, True),
    ("flip", lambda t: t.flip(0, 1), lambda a: a[::-1, ::-1], A, True),
    ("roll", lambda t: t.roll(1, 1), lambda a: np.roll(a, 1, 1), A, True),
    ("roll2", lambda t: t.roll((2, -1), (0, 1)), lambda a: np.roll(a, (2, -1), (0, 1)), A, True),
    ("roll_flat", lambda t: t.roll(5), lambda a: np.roll(a, 5), A, True),
    ("repeat_interleave", lambda t: t.repeat_interleave(2, 0), lambda a: np.repeat(a, 2, 0), A,
     True),
    ("repeat_interleave_counts", lambda t: t.repeat_interleave(pe.tensor([1, 0, 2, 1]), 1),
     lambda a: np.repeat(a, [1, 0, 2, 1], 1), A, True),
    ("tile", lambda t: t.tile((2, 1, 2)), lambda a: np.tile(a, (2, 1, 2)), A, True),
    ("diag_of_matrix", lambda t: t.diag(1), lambda a: np.diag(a, 1), A, True),
    ("diag_low", lambda t: t.diag(-1), lambda a: np.diag(a, -1), A, True),
    ("diag_of_vector", lambda t: t[0].diag(-1), lambda a: np.diag(a[0], -1), A, True),
    ("diagonal", lambda t: t.diagonal(1), lambda a: np.diagonal(a, 1), A, True),
    ("trace", lambda t: t.trace(), lambda a: np.trace(a), A, True),
    ("outer", lambda t: t[0].outer(t[1]), lambda a: np.outer(a[0], a[1]), A, True),
    ("dot", lambda t: t[0].dot(t[1]), lambda a: a[0] @ a[1], A, True),
    ("mv", lambda t: t.mv(t[0]), lambda a: a @ a[0], A, True),
    ("tril", lambda t: t.tril(), lambda a: np.tril(a), A, True),
    ("triu", lambda t: t.triu(1), lambda a: np.triu(a, 1), A, True),
    ("lerp", lambda t: t.lerp(t * 2, 0.25), lambda a: a + 0.25 * a, A, True),
    ("movedim", lambda t: t.unsqueeze(0).movedim(0, 2), lambda a: np.moveaxis(a[None], 0, 2), A,
     True),
    ("mT", lambda t: t.mT, lambda a: a.T, A, True),
    ("unflatten", lambda t: t.unflatten(1, (2, 2)), lambda a: a.reshape(3, 2, 2), A, True),
    ("tan", lambda t: t.tan(), np.tan, A, True),
    ("atan", lambda t: t.atan(), np.arctan, A, True),
    ("sinh", lambda t: t.sinh(), np.sinh, A, True),
    ("cosh", lambda t: t.cosh(), np.cosh, A, True),
    ("asinh", lambda t: t.asinh(), np.arcsinh, A, True),
    ("asin", lambda t: (t * 0.3).asin(), lambda a: np.arcsin(a * 0.3), A, True),
    ("acos", lambda t: (t * 0.3).acos(), lambda a: np.arccos(a * 0.3), A, True),
    ("atanh", lambda t: (t * 0.3).atanh(), lambda a: np.arctanh(a * 0.3), A, True),
    ("acosh", lambda t: (t + 1.5).acosh(), lambda a: np.arccosh(a + 1.5), POS, True),
    ("expm1", lambda t: t.expm1(), np.expm1, A, True),
    ("log2", lambda t: t.log2(), np.log2, POS, True),
    ("log10", lambda t: t.log10(), np.log10, POS, True),
    ("exp2", lambda t: t.exp2(), np.exp2, A, True),
    ("reciprocal", lambda t: t.reciprocal(), lambda a: 1 / a, POS, True),
    ("rsqrt", lambda t: t.rsqrt(), lambda a: 1 / np.sqrt(a), POS, True),
    ("frac", lambda t: (t * 3).frac(), lambda a: a * 3 - np.trunc(a * 3), A, True),
    ("atan2", lambda t: t.atan2(t[0] + 0.1), lambda a: np.arctan2(a, a[0] + 0.1), A, True),
    ("masked_select", lambda t: t.masked_select(pe.tensor(A > 0)), lambda a: a[A > 0], A, True),
    ("scatter", lambda t: t.scatter(1, pe.tensor([[0, 2], [1, 3], [3, 0]]), t[:, :2] * 5),
     None, A, True),
    ("scatter_add", lambda t: t.scatter_add(0, pe.tensor([[0, 1, 0, 2], [0, 0, 0, 0]]),
                                            t[:2] * 2), None, A, True),
    ("index_add", lambda t: t.index_add(0, pe.tensor([2, 0, 2]), t * 3, alpha=0.5), None, A,
     True),
    ("median_dim", lambda t: t.median(1).values, lambda a: np.sort(a, 1)[:, 1], A, True),
    ("median_all", lambda t: t.median(), lambda a: np.sort(a.ravel())[5], A, True),
    ("nan_to_num", lambda t: t.nan_to_num(), lambda a: a, A, True),
]


def _reference_scatter(name, a):
    out = np64(a).copy()
    if name == "scatter":
        idx = np.array([[0, 2], [1, 3], [3, 0]])
        for i in range(3):
            for j in range(2):
                out[i, idx[i, j]] = a[i, j] * 5
    elif name == "scatter_add":
        idx = np.array([[0, 1, 0, 2], [0, 0, 0, 0]])
        for i in range(2):
            for j in range(4):
                out[idx[i, j], j] += a[i, j] * 2
    else:  # index_add
        for i, k in enumerate([2, 0, 2]):
            out[k] += 0.5 * 3 * np64(a[i])
    return out


@pytest.mark.parametrize("name, call, ref, data, diff", CASES, ids=[c[0] for c in CASES])
def test_values_and_gradients(name, call, ref, data, diff):
    t = pe.tensor(data.astype(np.float64))
    want = _reference_scatter(name, data) if ref is None else ref(np64(data))
    np.testing.assert_allclose(call(t).numpy(), want, rtol=1e-6, atol=1e-6)
    if diff:
        x = pe.tensor(data.astype(np.float64), requires_grad=True)
        assert gradcheck(lambda v: call(v), (x,)), name


def test_against_torch():
    torch = pytest.importorskip("torch")
    pairs = [
        (lambda m: m.cumsum(1), lambda m: m.cumsum(1)),
        (lambda m: m.cumprod(1), lambda m: m.cumprod(1)),
        (lambda m: m.prod(0), lambda m: m.prod(0)),
        (lambda m: m.roll((1, -2), (0, 1)), lambda m: m.roll((1, -2), (0, 1))),
        (lambda m: m.flip(1), lambda m: m.flip(1)),
        (lambda m: m.diag(1), lambda m: m.diag(1)),
        (lambda m: m.repeat_interleave(3, 1), lambda m: m.repeat_interleave(3, 1)),
        (lambda m: m.atan2(m[1]), lambda m: m.atan2(m[1])),
        (lambda m: m.expm1(), lambda m: m.expm1()),
        (lambda m: m.median(0).values, lambda m: m.median(0).values),
        (lambda m: m.amax(1), lambda m: m.amax(1)),
        (lambda m: m.scatter_add(1, pe.tensor([[0, 0, 1, 3]] * 3), m * 2),
         lambda m: m.scatter_add(1, torch.tensor([[0, 0, 1, 3]] * 3), m * 2)),
        (lambda m: m.index_add(1, pe.tensor([3, 3]), m[:, :2], alpha=2),
         lambda m: m.index_add(1, torch.tensor([3, 3]), m[:, :2], alpha=2)),
    ]
    for f_pe, f_t in pairs:
        a = A.astype(np.float64) + np.arange(12).reshape(3, 4) * 0.01
        xp = pe.tensor(a, requires_grad=True)
        xt = torch.tensor(a, requires_grad=True)
        yp, yt = f_pe(xp), f_t(xt)
        np.testing.assert_allclose(yp.detach().numpy(), yt.detach().numpy(), rtol=1e-10)
        w = RNG.standard_normal(yt.shape)
        (yp * pe.tensor(w)).sum().backward()
        (yt * torch.tensor(w)).sum().backward()
        np.testing.assert_allclose(xp.grad.numpy(), xt.grad.numpy(), rtol=1e-8, atol=1e-12)


def test_products_with_zeros_are_exact():
    a = np.array([[2.0, 0.0, 3.0, 4.0], [0.0, 0.0, 5.0, 1.0]])
    for call in (lambda t: t.prod(1), lambda t: t.cumprod(1)):
        x = pe.tensor(a, requires_grad=True)
        assert gradcheck(call, (x,))
    x = pe.tensor(a[0], requires_grad=True)
    x.prod().backward()
    np.testing.assert_array_equal(x.grad.numpy(), [0.0, 24.0, 0.0, 0.0])


def test_top_level_functions():
    x = pe.tensor(A)
    np.testing.assert_array_equal(pe.flip(x, [0]).numpy(), A[::-1])
    np.testing.assert_array_equal(pe.sort(x, 1).values.numpy(), np.sort(A, 1))
    np.testing.assert_array_equal(pe.topk(x, 2).indices.numpy(), np.argsort(-A, 1)[:, :2])
    assert pe.numel(x) == 12 and pe.is_tensor(x) and not pe.is_tensor(A)
    assert pe.allclose(x, A) and pe.isclose(x, A + 1e-9).all()
    np.testing.assert_array_equal(pe.nonzero(pe.tensor([0, 3, 0, 1])).numpy(), [[1], [3]])
    rows, cols = pe.nonzero(pe.tensor([[0, 1], [1, 0]]), as_tuple=True)
    assert rows.tolist() == [0, 1] and cols.tolist() == [1, 0]
    assert pe.isnan(pe.tensor([1.0, np.nan])).tolist() == [False, True]
    assert pe.isinf(pe.tensor([np.inf, 1.0])).tolist() == [True, False]
    assert pe.count_nonzero(pe.tensor([0, 2, 3])).item() == 2
    u, inv, counts = pe.unique(pe.tensor([3, 1, 3, 2]), return_inverse=True, return_counts=True)
    assert u.tolist() == [1, 2, 3] and inv.tolist() == [2, 0, 2, 1] and counts.tolist() == [1, 1, 2]
    assert pe.bincount(pe.tensor([0, 2, 2])).tolist() == [1, 0, 2]
    assert pe.searchsorted(pe.tensor([1, 3, 5]), pe.tensor([3, 6])).tolist() == [1, 3]
    assert pe.searchsorted(pe.tensor([1, 3, 5]), pe.tensor([3]), right=True).tolist() == [2]
    assert pe.bucketize(pe.tensor([0, 4]), pe.tensor([1, 3])).tolist() == [0, 2]
    gx, gy = pe.meshgrid(pe.arange(3), pe.arange(2), indexing="ij")
    np.testing.assert_array_equal(gx.numpy(), np.meshgrid(np.arange(3), np.arange(2),
                                                          indexing="ij")[0])
    gx, gy = pe.meshgrid(pe.arange(3), pe.arange(2), indexing="xy")
    np.testing.assert_array_equal(gy.numpy(), np.meshgrid(np.arange(3), np.arange(2))[1])
    d = pe.cdist(pe.tensor(A), pe.tensor(A[:2]))
    np.testing.assert_allclose(d.numpy(), np.linalg.norm(A[:, None] - A[None, :2], axis=-1),
                               rtol=1e-5, atol=1e-6)
    s, m = pe.std_mean(x, 1)
    np.testing.assert_allclose(s.numpy(), A.std(1, ddof=1), rtol=1e-5)
    np.testing.assert_allclose(m.numpy(), A.mean(1), rtol=1e-5)
    assert pe.vstack([pe.ones(3), pe.zeros(3)]).shape == (2, 3)
    assert pe.hstack([pe.ones(3), pe.zeros(2)]).shape == (5,)
    assert [t.shape for t in pe.unbind(x, 1)] == [(3,)] * 4


def test_randperm_and_multinomial_follow_the_seed():
    pe.manual_seed(3)
    a, pa = pe.randperm(10), pe.tensor([0.1, 0.0, 0.6, 0.3]).multinomial(3)
    pe.manual_seed(3)
    b, pb = pe.randperm(10), pe.tensor([0.1, 0.0, 0.6, 0.3]).multinomial(3)
    assert a.tolist() == b.tolist() and sorted(a.tolist()) == list(range(10))
    assert a.dtype == pe.int64 and pa.tolist() == pb.tolist()
    assert 1 not in pa.tolist() and len(set(pa.tolist())) == 3  # no zero-weight, no repeats
    draws = pe.tensor([[1.0, 3.0], [0.0, 1.0]]).multinomial(20000, replacement=True).numpy()
    assert abs((draws[0] == 1).mean() - 0.75) < 0.02 and (draws[1] == 1).all()
    with pytest.raises(RuntimeError, match="cannot draw 3 samples without replacement"):
        pe.tensor([1.0, 0.0, 1.0]).multinomial(3)
    with pytest.raises(RuntimeError, match="num_samples must be positive, got 0"):
        pe.tensor([1.0, 2.0]).multinomial(0)
    with pytest.raises(RuntimeError, match="finite and non-negative"):
        pe.tensor([1.0, -1.0]).multinomial(1)
    with pytest.raises(ValueError, match="non-negative int"):
        pe.randperm(-1)


def test_inference_mode():
    x = pe.ones(2, requires_grad=True)
    with pe.inference_mode():
        assert not (x * 2).requires_grad
    assert (x * 2).requires_grad
    with pe.inference_mode(False):
        assert (x * 2).requires_grad

    @pe.inference_mode()
    def f(v):
        return v * 3

    @pe.inference_mode
    def g(v):
        return v * 3
    assert not f(x).requires_grad and not g(x).requires_grad and (x * 2).requires_grad


def test_in_place_scatter_and_errors():
    t = pe.zeros(2, 3)
    t.scatter_(1, pe.tensor([[2], [0]]), value=7.0)
    assert t.tolist() == [[0, 0, 7], [7, 0, 0]]
    t.index_add_(0, pe.tensor([1]), pe.ones(1, 3))
    assert t.tolist() == [[0, 0, 7], [8, 1, 1]]
    with pytest.raises(IndexError, match=r"\[scatter_add\] index out of range"):
        pe.zeros(2, 3).scatter_add(1, pe.tensor([[3]]), pe.ones(1, 1))
    with pytest.raises(RuntimeError, match=r"\[scatter\] index has 1 dims"):
        pe.zeros(2, 3).scatter(1, pe.tensor([1]), pe.ones(1))
    with pytest.raises(RuntimeError, match=r"\[index_add\] source has shape"):
        pe.zeros(2, 3).index_add(0, pe.tensor([0]), pe.ones(2, 3))
    with pytest.raises(IndexError, match=r"\[cumsum\] dim 2 out of range"):
        pe.zeros(2, 3).cumsum(2)
    with pytest.raises(RuntimeError, match=r"\[roll\] shifts"):
        pe.zeros(2, 3).roll((1, 2), 0)
    with pytest.raises(RuntimeError, match=r"\[diag\] expects a 1-D or 2-D"):
        pe.zeros(2, 2, 2).diag()
    with pytest.raises(RuntimeError, match=r"\[repeat_interleave\] repeats must have 3"):
        pe.zeros(3).repeat_interleave(pe.tensor([1, 2]))


@pytest.mark.parametrize("shape", [(0,), (1,), (1, 1), (2, 0, 3)])
def test_empty_and_size_one(shape):
    a = np.ones(shape, np.float32)
    t = pe.tensor(a)
    np.testing.assert_array_equal(t.cumsum(0).numpy(), np.cumsum(a, 0))
    np.testing.assert_array_equal(t.prod(0).numpy(), np.prod(a, 0))
    np.testing.assert_array_equal(t.flip(0).numpy(), a[::-1])
    np.testing.assert_array_equal(t.roll(1, 0).numpy(), np.roll(a, 1, 0))
