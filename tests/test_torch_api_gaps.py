"""PyTorch names pyengine lacked (torch_functions_numeric.py, torch_tensor_gaps.py,
torch_inplace.py): values against NumPy float64, and against torch where it is installed
(values, dtypes, gradients); gradcheck for the differentiable ones; error cases."""
import numpy as np
import pytest

import pyengine as pe
from pyengine.testing import gradcheck

R = np.random.default_rng(0)


def t64(a, grad=False):
    return pe.tensor(np.asarray(a, np.float64), requires_grad=grad)


# ---- values against NumPy float64 ------------------------------------------------------------
@pytest.mark.parametrize("interpolation", ["linear", "lower", "higher", "midpoint", "nearest"])
def test_quantile_matches_numpy(interpolation):
    a = R.standard_normal((3, 7))
    q = np.array([0.0, 0.3, 0.5, 1.0])
    got = pe.quantile(t64(a), t64(q), dim=1, interpolation=interpolation)
    np.testing.assert_allclose(got.numpy(), np.quantile(a, q, axis=1, method=interpolation))
    got = t64(a).quantile(0.25, interpolation=interpolation)  # over all elements
    np.testing.assert_allclose(got.numpy(), np.quantile(a, 0.25, method=interpolation))


def test_quantile_shapes_and_nans():
    x = t64(R.standard_normal((2, 3, 4)))
    assert pe.quantile(x, 0.5, dim=1, keepdim=True).shape == (2, 1, 4)
    assert pe.quantile(x, t64([0.2, 0.8]), dim=-1, keepdim=True).shape == (2, 2, 3, 1)
    assert pe.quantile(x, 0.5, keepdim=True).shape == (1, 1, 1)
    a = np.array([[np.nan, 1.0, 2.0, 4.0], [np.nan] * 4])
    assert np.isnan(pe.quantile(t64(a), 0.5, dim=1).numpy()).all()
    with pytest.warns(RuntimeWarning):  # NumPy's all-NaN slice
        ref = np.nanquantile(a, 0.5, axis=1)
    np.testing.assert_allclose(pe.nanquantile(t64(a), 0.5, dim=1).numpy(), ref)


def test_statistics_match_numpy():
    a = R.standard_normal((3, 6))
    a_nan = a.copy()
    a_nan[0, 2] = a_nan[2, :] = np.nan
    with np.errstate(invalid="ignore"), pytest.warns(RuntimeWarning):
        ref = np.nanmean(a_nan, axis=1)
    np.testing.assert_allclose(pe.nanmean(t64(a_nan), dim=1).numpy(), ref)
    np.testing.assert_allclose(t64(a_nan).nanmean().numpy(), np.nanmean(a_nan))
    fw, aw = np.array([1, 2, 1, 3, 1, 2]), R.uniform(0.5, 2, 6)
    np.testing.assert_allclose(pe.cov(t64(a)).numpy(), np.cov(a))
    np.testing.assert_allclose(pe.cov(t64(a), correction=0).numpy(), np.cov(a, ddof=0))
    np.testing.assert_allclose(
        pe.cov(t64(a), fweights=pe.tensor(fw), aweights=t64(aw)).numpy(),
        np.cov(a, fweights=fw, aweights=aw))
    np.testing.assert_allclose(pe.corrcoef(t64(a)).numpy(), np.corrcoef(a))
    np.testing.assert_allclose(pe.cov(t64(a[0])).numpy(), np.cov(a[0]))
    assert pe.cov(pe.tensor([[1, 2, 4]])).dtype == pe.float32


def test_elementwise_match_numpy():
    a, b = R.standard_normal(8) * 30, R.standard_normal(8) * 30
    a[:2], b[:2] = -np.inf, [-np.inf, 1.0]
    np.testing.assert_allclose(pe.logaddexp(t64(a), t64(b)).numpy(), np.logaddexp(a, b))
    np.testing.assert_allclose(pe.logaddexp2(t64(a), t64(b)).numpy(), np.logaddexp2(a, b))
    np.testing.assert_array_equal(pe.signbit(t64([-0.0, 1.0, -2.0])).numpy(), [True, False, True])
    np.testing.assert_allclose(pe.copysign(t64(a), t64(b)).numpy(), np.copysign(a, b))
    np.testing.assert_allclose(t64(a).copysign(-1.0).numpy(), -np.abs(a))
    x, v = t64([-1.0, 0.0, 2.0]), t64([0.5])
    np.testing.assert_allclose(pe.heaviside(x, v).numpy(), np.heaviside(x.numpy(), 0.5))
    np.testing.assert_allclose(pe.deg2rad(t64(a)).numpy(), np.deg2rad(a))
    np.testing.assert_allclose(pe.rad2deg(t64(a)).numpy(), np.rad2deg(a))
    i, j = np.array([4, 0, -6, 9]), np.array([6, 3, 4, 0])
    np.testing.assert_array_equal(pe.gcd(pe.tensor(i), pe.tensor(j)).numpy(), np.gcd(i, j))
    np.testing.assert_array_equal(pe.lcm(pe.tensor(i), pe.tensor(j)).numpy(), np.lcm(i, j))
    m, e = pe.frexp(t64(a[2:]))
    np.testing.assert_allclose(m.numpy(), np.frexp(a[2:])[0])
    assert e.dtype == pe.int32
    np.testing.assert_allclose(pe.ldexp(t64(a), pe.tensor([3])).numpy(), np.ldexp(a, 3))
    np.testing.assert_array_equal(pe.nextafter(t64(a), t64(b)).numpy(), np.nextafter(a, b))


def test_selection_and_builders_match_numpy():
    a = R.standard_normal((4, 3))
    np.testing.assert_allclose(pe.msort(t64(a)).numpy(), np.sort(a, axis=0))
    np.testing.assert_allclose(pe.diagflat(t64(a[:2]), 1).numpy(), np.diagflat(a[:2], 1))
    np.testing.assert_allclose(pe.vander(t64(a[:, 0])).numpy(), np.vander(a[:, 0]))
    np.testing.assert_allclose(pe.vander(t64(a[:, 0]), N=2, increasing=True).numpy(),
                               np.vander(a[:, 0], 2, increasing=True))
    assert pe.vander(pe.tensor([1, 2, 3])).dtype == pe.int64
    np.testing.assert_array_equal(pe.isin(pe.tensor([1, 2, 3]), pe.tensor([2, 5])).numpy(),
                                  [False, True, False])
    np.testing.assert_array_equal(pe.isin(pe.tensor([1, 2, 3]), 2, invert=True).numpy(),
                                  [True, False, True])
    assert pe.dstack([pe.tensor([1, 2]), pe.tensor([3, 4])]).shape == (1, 2, 2)
    np.testing.assert_allclose(pe.trapz(t64(a), dim=0).numpy(), np.trapezoid(a, axis=0)
                               if hasattr(np, "trapezoid") else np.trapz(a, axis=0))


def test_methods_and_aliases():
    x = t64([[-1.0, 2.0], [3.0, -4.0]])
    np.testing.assert_array_equal(x.absolute().numpy(), np.abs(x.numpy()))
    np.testing.assert_allclose(pe.angle(x).numpy(), [[np.pi, 0], [0, np.pi]])
    assert x.conj() is x and x.resolve_conj() is x and pe.positive(x) is x
    assert not x.is_complex() and bool(pe.isreal(x).all())
    np.testing.assert_allclose(x.clamp_min(0).numpy(), np.maximum(x.numpy(), 0))
    np.testing.assert_allclose(pe.clamp_max(x, 0).numpy(), np.minimum(x.numpy(), 0))
    np.testing.assert_allclose(x.arcsinh().numpy(), np.arcsinh(x.numpy()))
    cond = pe.tensor([[True, False], [False, True]])
    np.testing.assert_allclose(x.where(cond, 0.0).numpy(), [[-1, 0], [0, -4]])
    np.testing.assert_allclose(x.addmm(x, x, beta=2).numpy(), 2 * x.numpy() + x.numpy() @ x.numpy())
    np.testing.assert_allclose(x.kron(x).numpy(), np.kron(x.numpy(), x.numpy()))
    np.testing.assert_array_equal(x.greater(0).numpy(), x.numpy() > 0)
    np.testing.assert_array_equal(x.not_equal(2.0).numpy(), x.numpy() != 2)
    np.testing.assert_allclose(x.negative().numpy(), -x.numpy())
    assert [p.shape[0] for p in pe.arange(5).split_with_sizes([2, 3])] == [2, 3]
    np.testing.assert_allclose(pe.ones(2, 3).sum_to_size(1, 3).numpy(), [[2, 2, 2]])
    np.testing.assert_allclose(pe.ones(2, 3).sum_to_size(3).numpy(), [2, 2, 2])


def test_put_and_index_put():
    x = pe.zeros(2, 3)
    y = x.put(pe.tensor([0, -1, 0]), pe.tensor([1.0, 2.0, 3.0]), accumulate=True)
    np.testing.assert_allclose(y.numpy(), [[4, 0, 0], [0, 0, 2]])
    assert float(x.sum()) == 0
    x.index_put_((pe.tensor([0, 1]), pe.tensor([2, 0])), pe.tensor(5.0))
    np.testing.assert_allclose(x.numpy(), [[0, 0, 5], [5, 0, 0]])
    x.index_put_((pe.tensor([1, 1]),), pe.ones(3), accumulate=True)
    np.testing.assert_allclose(x.numpy(), [[0, 0, 5], [7, 2, 2]])
    x.put_(pe.tensor([1]), pe.tensor([9.0]))
    assert float(x[0, 1]) == 9


def test_facts():
    x = pe.ones(2, 3)
    assert x.is_signed() and not pe.tensor([1], dtype=pe.uint8).is_signed()
    assert not pe.tensor([True]).is_signed()
    assert pe.tensor([2.0]).is_nonzero() and not pe.tensor([0]).is_nonzero()
    assert x.is_same_size(pe.zeros(2, 3)) and not x.is_same_size(pe.zeros(3))
    assert (x.nbytes, x.itemsize, x.get_device(), x.is_meta, x.is_inference()) == \
        (24, 4, -1, False, False)
    assert (x.short().dtype, x.char().dtype, x.byte().dtype) == (pe.int16, pe.int8, pe.uint8)
    assert x.pin_memory() is x and x.new_empty_strided((2, 2), (2, 1)).shape == (2, 2)
    w = pe.ones(2, requires_grad=True)
    h = w * 2
    assert not h.retains_grad
    h.retain_grad()
    assert h.retains_grad and not w.retains_grad


# ---- in-place forms ----------------------------------------------------------------------
@pytest.mark.parametrize("name,args", [
    ("acosh_", ()), ("arcsin_", ()), ("atan2_", (2.0,)), ("cumsum_", (1,)), ("cumprod_", (0,)),
    ("eq_", (1.5,)), ("ge_", (1.5,)), ("less_", (1.5,)), ("logical_not_", ()),
    ("subtract_", (1.0,)), ("multiply_", (2.0,)), ("true_divide_", (2.0,)), ("tril_", ()),
    ("triu_", (1,)), ("nan_to_num_", ()), ("negative_", ()), ("fmod_", (0.7,)),
    ("remainder_", (0.7,)), ("sinc_", ()), ("logit_", (0.1,)), ("exp2_", ()), ("fix_", ())])
def test_inplace_forms(name, args):
    base = np.array([[1.2, 1.5], [2.5, 3.0]])
    x = t64(base)
    expected = getattr(t64(base), name[:-1])(*args)
    out = getattr(x, name)(*args)
    assert out is x
    np.testing.assert_allclose(x.numpy(), expected.numpy().astype(np.float64))


def test_inplace_view_forms():
    x = pe.arange(6).reshape(2, 3)
    assert x.swapaxes_(0, 1) is x and x.shape == (3, 2)
    assert x.swapdims_(0, 1).shape == (2, 3)
    y = pe.ones(2, 2)
    y.addmm_(y, y, alpha=2)
    np.testing.assert_allclose(y.numpy(), np.full((2, 2), 5.0))
    assert pe.acosh_(pe.tensor([2.0])) is not None and hasattr(pe, "xlogy_")


# ---- gradients ---------------------------------------------------------------------------
@pytest.mark.parametrize("fn", [
    lambda x: pe.quantile(x, 0.3, dim=1),
    lambda x: pe.quantile(x, t64([0.1, 0.9]), interpolation="midpoint"),
    lambda x: pe.nanquantile(x, 0.6, dim=0, keepdim=True),
    lambda x: pe.nanmean(x, dim=1),
    lambda x: pe.cov(x, aweights=t64([1.0, 2.0, 0.5, 1.0])),
    lambda x: pe.corrcoef(x),
    lambda x: pe.logaddexp(x, x.flip(0)),
    lambda x: pe.logaddexp2(x, x * 0.5),
    lambda x: pe.copysign(x, t64([[1.0, -1.0, 1.0, -0.0]])),
    lambda x: pe.deg2rad(x) + pe.rad2deg(x),
    lambda x: pe.ldexp(x, pe.tensor([1, 2, 0, 3])),
    lambda x: pe.msort(x) + pe.diagflat(x[0])[:3, :4],
    lambda x: pe.vander(x[1], N=3),
    lambda x: x.put(pe.tensor([0, 5, 0]), x[0, :3] * 2, accumulate=True),
    lambda x: x.index_put((pe.tensor([2, 0]),), x[1] * 3),
    lambda x: x.sum_to_size(1, 4),
], ids=["quantile", "quantile_q", "nanquantile", "nanmean", "cov", "corrcoef", "logaddexp",
        "logaddexp2", "copysign", "deg_rad", "ldexp", "msort_diagflat", "vander", "put",
        "index_put", "sum_to_size"])
def test_gradcheck(fn):
    x = t64(R.standard_normal((3, 4)) + 0.1, grad=True)
    assert gradcheck(fn, [x])


# ---- errors name the op ------------------------------------------------------------------
@pytest.mark.parametrize("call,match", [
    (lambda: pe.quantile(pe.ones(3), 1.5), r"\[quantile\] q must be in the range"),
    (lambda: pe.quantile(pe.tensor([1, 2]), 0.5), r"\[quantile\] input tensor must be"),
    (lambda: pe.quantile(pe.ones(0), 0.5), r"\[quantile\] input tensor must be non-empty"),
    (lambda: pe.quantile(pe.ones(3), pe.ones(1, 1) * 0.5), r"\[quantile\] q must be a scalar"),
    (lambda: pe.quantile(pe.ones(3), 0.5, interpolation="foo"), r"\[quantile\] interpolation"),
    (lambda: pe.nanquantile(pe.ones(3), 0.5, dim=2), r"\[nanquantile\] dim 2 is out of range"),
    (lambda: pe.nanmean(pe.tensor([1, 2])), r"\[nanmean\]"),
    (lambda: pe.cov(pe.ones(2, 2, 2)), r"\[cov\] expected input to have two or fewer"),
    (lambda: pe.cov(pe.ones(3), fweights=pe.ones(3)), r"\[cov\] expected fweights to have int"),
    (lambda: pe.cov(pe.ones(3), fweights=pe.tensor([1, 2])), r"\[cov\] expected fweights to "
     "have the same numel"),
    (lambda: pe.cov(pe.ones(3), aweights=pe.tensor([-1.0, 1, 1])), r"\[cov\] aweights cannot"),
    (lambda: pe.logaddexp(pe.ones(2), pe.ones(3)), r"\[logaddexp\] shapes"),
    (lambda: pe.logaddexp(pe.tensor([1]), pe.tensor([1])), r"\[logaddexp\] expects floating"),
    (lambda: pe.gcd(pe.ones(2), pe.ones(2)), r"\[gcd\] expects integer"),
    (lambda: pe.frexp(pe.tensor([1])), r"\[frexp\]"),
    (lambda: pe.heaviside(pe.ones(2), pe.tensor([1])), r"\[heaviside\]"),
    (lambda: pe.vander(pe.ones(2, 2)), r"\[vander\] x must be a one-dimensional"),
    (lambda: pe.ones(2).put(pe.tensor([5]), pe.ones(1)), r"\[put\] out of range"),
    (lambda: pe.ones(2).index_put((pe.tensor([0]),), pe.tensor([1])), r"\[index_put\]"),
    (lambda: pe.ones(2, 3).sum_to_size(2, 2), r"\[sum_to_size\]"),
    (lambda: pe.ones(5).split_with_sizes([2, 2]), r"\[split_with_sizes\]"),
    (lambda: pe.ones(2).is_nonzero(), r"\[is_nonzero\] .*more than one value"),
    (lambda: pe.positive(pe.tensor([True])), r"\[positive\]"),
])
def test_errors(call, match):
    with pytest.raises((RuntimeError, TypeError, IndexError, ValueError), match=match):
        call()


# ---- against torch -------------------------------------------------------------------------
# torch has no derivative for heaviside, and its vander backward fails (an in-place cumprod)
_NO_TORCH_GRAD = ("heaviside", "vander")


def _torch_pair(fn_name, *arrays, **kwargs):
    torch = pytest.importorskip("torch")
    grad = fn_name not in _NO_TORCH_GRAD
    pt = [torch.tensor(a, requires_grad=grad and a.dtype.kind == "f") for a in arrays]
    ps = [pe.tensor(a, requires_grad=grad and a.dtype.kind == "f") for a in arrays]
    want = getattr(torch, fn_name)(*pt, **kwargs)
    got = getattr(pe, fn_name)(*ps, **kwargs)
    return torch, pt, ps, want, got


@pytest.mark.parametrize("name,arrays,kwargs", [
    ("quantile", (R.standard_normal((3, 5)).astype(np.float32),), {"q": 0.4, "dim": 1}),
    ("nanquantile", (np.array([[np.nan, 1, 3, 2], [4, 0, 1, 2]], np.float32),),
     {"q": 0.7, "dim": 1, "interpolation": "nearest"}),
    ("nanmean", (np.array([[np.nan, 1, 3], [4, 0, 1]], np.float32),), {"dim": 0}),
    ("cov", (R.standard_normal((2, 5)).astype(np.float32),), {"correction": 0}),
    ("corrcoef", (R.standard_normal((3, 5)).astype(np.float32),), {}),
    ("logaddexp", (np.float32([1, -3, 50]), np.float32([2, -4, -50])), {}),
    ("logaddexp2", (np.float32([1, -3, 50]), np.float32([2, -4, -50])), {}),
    ("copysign", (np.float32([1, -3, 5]), np.float32([-2, 4, -0.0])), {}),
    ("deg2rad", (np.float32([30, 90]),), {}),
    ("ldexp", (np.float32([1.5, -3]), np.int64([3, 1])), {}),
    ("msort", (np.float32([[3, 1], [2, 4], [0, 9]]),), {}),
    ("diagflat", (np.float32([[3, 1], [2, 4]]),), {"offset": -1}),
    ("vander", (np.float32([3, 1, 2]),), {"N": 4}),
    ("heaviside", (np.float32([-1, 0, 2, np.nan]), np.float32([0.5, 0.5, 0.5, 0.5])), {}),
    ("signbit", (np.float32([-1, 0, 2]),), {}),
    ("gcd", (np.int64([12, 7]), np.int64([18, 0])), {}),
    ("deg2rad", (np.int64([180]),), {}),
    ("copysign", (np.int64([1, 2]), np.int64([-1, 1])), {}),
])
def test_against_torch(name, arrays, kwargs):
    torch, pt, ps, want, got = _torch_pair(name, *arrays, **kwargs)
    np.testing.assert_allclose(got.numpy(), want.detach().numpy(), rtol=1e-5, atol=1e-6)
    assert str(got.dtype).split(".")[-1] == str(want.dtype).split(".")[-1]
    if want.requires_grad:
        want.sum().backward()
        got.sum().backward()
        for a, b in zip(ps, pt):
            if b.grad is not None and a.grad is not None:
                np.testing.assert_allclose(a.grad.numpy(), b.grad.numpy(), rtol=1e-5, atol=1e-6)


def test_frexp_and_method_forms_against_torch():
    torch = pytest.importorskip("torch")
    a = np.float32([8.0, 0.3, -5.0, 0.0])
    m, e = pe.frexp(pe.tensor(a))
    tm, te = torch.frexp(torch.tensor(a))
    np.testing.assert_array_equal(m.numpy(), tm.numpy())
    np.testing.assert_array_equal(e.numpy(), te.numpy())
    assert e.dtype == pe.int32
    x = np.float32([[1.0, -2.0], [3.0, 4.0]])
    c = np.array([[True, False], [False, True]])
    np.testing.assert_array_equal(pe.tensor(x).where(pe.tensor(c), pe.zeros(2, 2)).numpy(),
                                  torch.tensor(x).where(torch.tensor(c), torch.zeros(2, 2)))
    ix = (np.array([0, 1, 1]), np.array([1, 0, 0]))
    want = torch.tensor(x).index_put(tuple(torch.tensor(i) for i in ix),
                                     torch.tensor([5.0, 6.0, 7.0]), accumulate=True)
    got = pe.tensor(x).index_put(tuple(pe.tensor(i) for i in ix), pe.tensor([5.0, 6.0, 7.0]),
                                 accumulate=True)
    np.testing.assert_array_equal(got.numpy(), want.numpy())
    np.testing.assert_array_equal(pe.tensor(x).sum_to_size(2, 1).numpy(),
                                  torch.tensor(x).sum_to_size(2, 1).numpy())


# ---- nn-function aliases and the other top-level names (torch_nn_aliases.py) ----------------
def test_nn_aliases_and_helpers():
    a = R.standard_normal((4, 3))
    ref = np.array([np.linalg.norm(a[i] - a[j]) for i in range(4) for j in range(i + 1, 4)])
    np.testing.assert_allclose(pe.pdist(t64(a)).numpy(), ref)
    ref1 = [np.abs(a[i] - a[j]).sum() for i in range(4) for j in range(i + 1, 4)]
    np.testing.assert_allclose(pe.pdist(t64(a), p=1).numpy(), ref1)
    x = t64(np.vstack([a, a[:1]]), grad=True)
    assert gradcheck(lambda t: pe.pdist(t[:4], p=3), [x])
    pe.pdist(x).sum().backward()  # equal rows 0 and 4: a zero gradient from that pair
    assert np.isfinite(x.grad.numpy()).all()
    w = pe.eye(3)
    np.testing.assert_allclose(pe.embedding(w, pe.tensor([2, 0])).numpy(), [[0, 0, 1], [1, 0, 0]])
    np.testing.assert_allclose(pe.dropout(pe.ones(3), 0.5, False).numpy(), np.ones(3))
    assert pe.conv2d is pe.nn.functional.conv2d and pe.selu is pe.nn.functional.selu
    np.testing.assert_allclose(pe.tensor([-1.0, 0.2]).hardshrink(0.5).numpy(), [-1, 0])
    np.testing.assert_allclose(pe.slogdet(pe.eye(2) * 2)[1].numpy(), np.log(4), rtol=1e-6)
    arr = np.ones(3, np.float32)
    assert pe.asarray(arr).dtype == pe.float32 and pe.asarray(pe.ones(2)).shape == (2,)
    buf = bytearray(np.int32([1, 2]).tobytes())
    t = pe.frombuffer(buf, dtype=pe.int32)
    t[0] = 7
    assert t.tolist() == [7, 2] and buf[0] == 7
    assert (pe.typename(pe.ones(1)), pe.typename(3), pe.typename(arr)) == \
        ("pyengine.FloatTensor", "int", "numpy.ndarray")
    with pytest.raises(RuntimeError, match=r"\[pdist\] only supports 2D"):
        pe.pdist(pe.ones(3))


def test_pdist_against_torch():
    torch = pytest.importorskip("torch")
    a = R.standard_normal((5, 3)).astype(np.float32)
    for p in (1, 2, 3, float("inf")):
        tx, px = torch.tensor(a, requires_grad=True), pe.tensor(a, requires_grad=True)
        want, got = torch.pdist(tx, p=p), pe.pdist(px, p=p)
        np.testing.assert_allclose(got.numpy(), want.detach().numpy(), rtol=1e-5)
        want.sum().backward()
        got.sum().backward()
        np.testing.assert_allclose(px.grad.numpy(), tx.grad.numpy(), rtol=1e-4, atol=1e-6)


def test_inplace_writes_in_a_graph_against_torch():
    torch = pytest.importorskip("torch")
    grads = []
    for m in (torch, pe):
        w = m.ones(2, 3, requires_grad=True)
        v = m.tensor([2.0, 3.0], requires_grad=True)
        x = w * 2
        x.index_put_((m.tensor([0, 1]), m.tensor([1, 2])), v * 5, accumulate=True)
        x.put_(m.tensor([0]), v[:1] * 7)
        x.cumsum_(1)
        (x * m.arange(6.0).reshape(2, 3)).sum().backward()
        grads.append((w.grad.tolist(), v.grad.tolist()))
    assert grads[0] == grads[1]
