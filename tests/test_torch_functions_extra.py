"""pe.normal / logspace / addmm / kron / cross / linalg.cross / remainder / fmod / finfo / iinfo
and Tensor.remainder / fmod (torch_functions_more.py, ops/remainder.py, dtype_info.py): values
against NumPy float64, gradients by gradcheck, torch when it imports, and the errors."""
import numpy as np
import pytest

import pyengine as pe
from pyengine.testing import gradcheck

TOL = dict(rtol=1e-12, atol=1e-12)


def rnd(*shape, seed=0):
    return np.random.default_rng(seed).standard_normal(shape)


def t64(a, grad=False):
    return pe.tensor(np.asarray(a, np.float64), dtype=pe.float64, requires_grad=grad)


# ---- remainder / fmod -------------------------------------------------------------------------
@pytest.mark.parametrize("name, ref", [("remainder", np.remainder), ("fmod", np.fmod)])
def test_remainder_fmod_values_and_signs(name, ref):
    x, y = rnd(4, 3) * 5, rnd(3, seed=1) * 2
    fn = getattr(pe, name)
    np.testing.assert_allclose(fn(t64(x), t64(y)).numpy(), ref(x, y), **TOL)
    np.testing.assert_allclose(getattr(t64(x), name)(1.5).numpy(), ref(x, 1.5), **TOL)
    np.testing.assert_allclose(fn(7.0, t64(y)).numpy(), ref(7.0, y), **TOL)
    signs = fn(pe.tensor([-3, 3, -3, 3]), pe.tensor([2, 2, -2, -2])).numpy()
    expected = [1, 1, -1, -1] if name == "remainder" else [-1, 1, -1, 1]
    np.testing.assert_array_equal(signs, expected)  # Python's % vs C's fmod
    assert fn(pe.tensor([5, 6]), 4).dtype == pe.int64
    assert fn(pe.tensor([5, 6]), 4.0).dtype == pe.float32
    assert np.isnan(fn(pe.tensor([1.0]), 0.0).numpy()).all()


@pytest.mark.parametrize("name, q", [("remainder", np.floor), ("fmod", np.trunc)])
def test_remainder_fmod_gradients(name, q):
    x, y = t64(rnd(3, 4) * 5 + 0.3, True), t64(rnd(4, seed=2) + 2.5, True)
    assert gradcheck(lambda a, b: getattr(pe, name)(a, b), [x, y])
    x.grad = y.grad = None
    getattr(pe, name)(x, y).sum().backward()
    np.testing.assert_allclose(x.grad.numpy(), np.ones((3, 4)))
    np.testing.assert_allclose(y.grad.numpy(), -q(x.detach().numpy() / y.detach().numpy()).sum(0))


def test_remainder_fmod_against_torch():
    torch = pytest.importorskip("torch")
    x, y = rnd(5, 3) * 4, rnd(5, 3, seed=3) * 2
    for name in ("remainder", "fmod"):
        a, b = t64(x, True), t64(y, True)
        ta, tb = torch.tensor(x, requires_grad=True), torch.tensor(y, requires_grad=True)
        out, ref = getattr(pe, name)(a, b), getattr(torch, name)(ta, tb)
        np.testing.assert_allclose(out.detach().numpy(), ref.detach().numpy(), **TOL)
        out.sum().backward()
        ref.sum().backward()
        np.testing.assert_allclose(b.grad.numpy(), tb.grad.numpy(), **TOL)


def test_remainder_errors():
    with pytest.raises(ZeroDivisionError, match=r"\[remainder\] integer division by zero"):
        pe.remainder(pe.tensor([1, 2]), 0)
    with pytest.raises(ValueError, match=r"\[fmod\] shapes \(2,\) and \(3,\) do not broadcast"):
        pe.fmod(pe.zeros(2), pe.ones(3))
    with pytest.raises(TypeError, match=r"\[remainder\] expects at least one pe.Tensor"):
        pe.remainder(3, 2)


# ---- normal ------------------------------------------------------------------------------------
def test_normal_forms():
    pe.manual_seed(0)
    a = pe.normal(2.0, 3.0, (4000,))
    assert a.shape == (4000,) and a.dtype == pe.float32
    assert abs(a.numpy().mean() - 2.0) < 0.2 and abs(a.numpy().std() - 3.0) < 0.2
    assert pe.normal(0.0, 1.0, size=(2, 3), dtype=pe.float64).dtype == pe.float64
    assert pe.normal(0.0, 1.0, (2,), requires_grad=True).requires_grad
    mean = t64(np.arange(6.0).reshape(2, 3))
    np.testing.assert_array_equal(pe.normal(mean, 0.0).numpy(), mean.numpy())   # std 0: mean
    np.testing.assert_array_equal(pe.normal(mean, pe.zeros(3, dtype=pe.float64)).numpy(),
                                  mean.numpy())
    b = pe.normal(5.0, pe.full((3000,), 0.5))
    assert b.dtype == pe.float32 and abs(b.numpy().mean() - 5.0) < 0.05
    assert abs(b.numpy().std() - 0.5) < 0.05
    g1 = pe.normal(0.0, 1.0, (5,), generator=pe.Generator().manual_seed(3))
    g2 = pe.normal(0.0, 1.0, (5,), generator=pe.Generator().manual_seed(3))
    np.testing.assert_array_equal(g1.numpy(), g2.numpy())


def test_normal_errors():
    with pytest.raises(ValueError, match=r"\[normal\] std must be >= 0"):
        pe.normal(0.0, -1.0, (2,))
    with pytest.raises(ValueError, match=r"\[normal\] std must be >= 0"):
        pe.normal(pe.zeros(2), pe.tensor([1.0, -1.0]))
    with pytest.raises(TypeError, match=r"\[normal\] .*needs a size"):
        pe.normal(0.0, 1.0)
    with pytest.raises(TypeError, match=r"\[normal\] size, dtype and requires_grad"):
        pe.normal(pe.zeros(2), pe.ones(2), (2,))
    with pytest.raises(ValueError, match=r"\[normal\] mean \(2,\) and std \(3,\) do not"):
        pe.normal(pe.zeros(2), pe.ones(3))
    with pytest.raises(ValueError, match=r"\[normal\] negative dimension"):
        pe.normal(0.0, 1.0, (-1,))


# ---- finfo / iinfo -----------------------------------------------------------------------------
@pytest.mark.parametrize("dtype, npd", [(pe.float32, np.float32), (pe.float64, np.float64),
                                        (np.float32, np.float32), ("float64", np.float64)])
def test_finfo(dtype, npd):
    f, ref = pe.finfo(dtype), np.finfo(npd)
    assert (f.eps, f.max, f.min, f.tiny, f.bits) == (ref.eps, ref.max, ref.min,
                                                     ref.smallest_normal, ref.bits)
    assert f.smallest_normal == f.tiny and f.resolution == 10.0 ** -ref.precision
    assert f.dtype == np.dtype(npd).name


def test_iinfo_and_errors():
    assert (pe.iinfo(pe.int32).max, pe.iinfo(pe.int32).min, pe.iinfo(pe.int32).bits) == \
        (2 ** 31 - 1, -2 ** 31, 32)
    assert pe.iinfo(np.uint8).max == 255 and pe.iinfo(pe.int64).min == -2 ** 63
    assert pe.finfo().eps == np.finfo(np.float32).eps
    with pytest.raises(TypeError, match=r"\[finfo\] requires a floating point dtype"):
        pe.finfo(pe.int32)
    with pytest.raises(TypeError, match=r"\[iinfo\] requires an integer dtype"):
        pe.iinfo(pe.float32)
    with pytest.raises(TypeError, match=r"\[finfo\] cannot interpret"):
        pe.finfo("nope")


def test_finfo_against_torch():
    torch = pytest.importorskip("torch")
    for pd, td in ((pe.float32, torch.float32), (pe.float64, torch.float64)):
        a, b = pe.finfo(pd), torch.finfo(td)
        for attr in ("eps", "max", "min", "tiny", "smallest_normal", "resolution", "bits"):
            assert getattr(a, attr) == getattr(b, attr), attr
    assert pe.iinfo(pe.int64).max == torch.iinfo(torch.int64).max


# ---- logspace / addmm / kron / cross ---------------------------------------------------------
def test_logspace():
    np.testing.assert_allclose(pe.logspace(-1, 2, 4, dtype=pe.float64).numpy(),
                               np.logspace(-1, 2, 4), **TOL)
    np.testing.assert_allclose(pe.logspace(0, 3, 4, base=2).numpy(), [1, 2, 4, 8])
    assert pe.logspace(0, 1, 0).shape == (0,) and pe.logspace(0, 1, 3).dtype == pe.float32
    with pytest.raises(ValueError, match=r"\[logspace\] negative dimension"):
        pe.logspace(0, 1, -2)


def test_addmm():
    a, b, c = rnd(3, 4), rnd(4, 2, seed=1), rnd(3, 2, seed=2)
    out = pe.addmm(t64(c), t64(a), t64(b), beta=0.5, alpha=-2.0)
    np.testing.assert_allclose(out.numpy(), 0.5 * c - 2.0 * a @ b, **TOL)
    np.testing.assert_allclose(pe.addmm(t64(c[0]), t64(a), t64(b)).numpy(), c[0] + a @ b, **TOL)
    nan = t64(np.full((3, 2), np.nan))
    np.testing.assert_allclose(pe.addmm(nan, t64(a), t64(b), beta=0).numpy(), a @ b, **TOL)
    xs = [t64(c, True), t64(a, True), t64(b, True)]
    assert gradcheck(lambda i, m1, m2: pe.addmm(i, m1, m2, beta=0.3, alpha=1.7), xs)
    with pytest.raises(ValueError, match=r"\[addmm\] inner dimensions differ: \(3, 4\) @ \(2, 2\)"):
        pe.addmm(t64(c), t64(a), t64(c[:2]))
    with pytest.raises(ValueError, match=r"\[addmm\] input \(4,\) does not broadcast"):
        pe.addmm(t64(a[0]), t64(a), t64(b))
    with pytest.raises(ValueError, match=r"\[addmm\] mat1 must be a 2-D"):
        pe.addmm(t64(c), t64(a[0]), t64(b))


@pytest.mark.parametrize("sa, sb", [((2, 3), (4, 5)), ((3,), (2,)), ((2, 3), (4, 1, 2)),
                                    ((1,), (3, 3))])
def test_kron(sa, sb):
    a, b = rnd(*sa), rnd(*sb, seed=1)
    np.testing.assert_allclose(pe.kron(t64(a), t64(b)).numpy(), np.kron(a, b), **TOL)
    assert gradcheck(pe.kron, [t64(a, True), t64(b, True)])


def test_cross():
    a, b = rnd(4, 3, 2), rnd(3, 1, seed=1)
    np.testing.assert_allclose(pe.cross(t64(a), t64(b)).numpy(),
                               np.cross(a, np.broadcast_to(b, a.shape), axis=1), **TOL)
    c, d = rnd(2, 3, 3, seed=2), rnd(2, 3, 3, seed=3)
    np.testing.assert_allclose(pe.linalg.cross(t64(c), t64(d)).numpy(), np.cross(c, d), **TOL)
    np.testing.assert_allclose(pe.cross(t64(c), t64(d)).numpy(), np.cross(c, d, axis=1), **TOL)
    np.testing.assert_allclose(pe.cross(t64(c), t64(d), dim=0 - 1).numpy(), np.cross(c, d),
                               **TOL)
    assert gradcheck(lambda x, y: pe.linalg.cross(x, y), [t64(c, True), t64(d, True)])
    with pytest.raises(ValueError, match=r"\[cross\] no dimension of size 3"):
        pe.cross(pe.zeros(2, 4), pe.zeros(2, 4))
    with pytest.raises(ValueError, match=r"\[linalg.cross\] dimension 1 must have size 3"):
        pe.linalg.cross(pe.zeros(3, 2), pe.zeros(3, 2))
    with pytest.raises(IndexError, match=r"\[cross\] dim 5 out of range"):
        pe.cross(pe.zeros(3), pe.zeros(3), dim=5)


def test_cross_kron_addmm_against_torch():
    torch = pytest.importorskip("torch")
    a, b = rnd(2, 3), rnd(3, 2, seed=1)
    np.testing.assert_allclose(pe.kron(t64(a), t64(b)).numpy(),
                               torch.kron(torch.tensor(a), torch.tensor(b)).numpy(), **TOL)
    c, d = rnd(3, 3, seed=2), rnd(1, 3, seed=3)
    np.testing.assert_allclose(pe.linalg.cross(t64(c), t64(d)).numpy(),
                               torch.linalg.cross(torch.tensor(c), torch.tensor(d)).numpy(), **TOL)
    np.testing.assert_allclose(
        pe.addmm(t64(d), t64(c), t64(c), beta=2, alpha=3).numpy(),
        torch.addmm(torch.tensor(d), torch.tensor(c), torch.tensor(c), beta=2, alpha=3).numpy(),
        **TOL)
    np.testing.assert_allclose(pe.logspace(0, 2, 5, base=3, dtype=pe.float64).numpy(),
                               torch.logspace(0, 2, 5, base=3, dtype=torch.float64).numpy(), **TOL)


def test_percent_operator_is_remainder():
    """x % y and y % x are pe.remainder: the same values, differentiable (PyTorch's %)."""
    x = pe.tensor(np.array([5.5, -3.25, 7.0]), requires_grad=True)
    y = x % 2
    assert y.requires_grad
    np.testing.assert_array_equal(y.detach().numpy(), np.remainder([5.5, -3.25, 7.0], 2))
    y.sum().backward()
    np.testing.assert_array_equal(x.grad.numpy(), [1.0, 1.0, 1.0])
    z = 7.0 % x
    np.testing.assert_array_equal(z.detach().numpy(), np.remainder(7.0, [5.5, -3.25, 7.0]))
    assert gradcheck(lambda t: 7.0 % t, (pe.tensor(np.array([2.5, -3.0, 4.5]),
                                                   requires_grad=True),))
    assert (pe.tensor([5, -3]) % 2).numpy().tolist() == [1, 1]
