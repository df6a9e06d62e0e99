"""pe.special, the special functions as pe.* and tensor methods (lgamma, digamma, polygamma,
erfinv, erfc, i0, ndtri ...), tensordot, histc and set_default_dtype: values against math /
NumPy float64 references and known values, against torch when it is importable, derivatives by
gradcheck, and the errors."""
import math

import numpy as np
import pytest

import pyengine as pe
from pyengine.testing import gradcheck


def t64(a, grad=False):
    return pe.tensor(np.asarray(a, np.float64), dtype=pe.float64, requires_grad=grad)


# points away from the poles, negative ones included
X = np.array([-3.7, -2.5, -0.5, 0.01, 0.3, 1.0, 1.5, 2.0, 4.25, 9.9, 17.0, 120.5, 1e4])
EULER = 0.57721566490153286061


def test_lgamma_matches_math():
    ref = np.array([math.lgamma(v) for v in X])
    np.testing.assert_allclose(pe.lgamma(t64(X)).numpy(), ref, rtol=1e-15, atol=1e-15)
    assert pe.lgamma(t64([0.0, -2.0])).numpy().tolist() == [math.inf, math.inf]


def test_digamma_known_values_and_lgamma_differences():
    d = pe.digamma(t64([1.0, 0.5, 2.0])).numpy()
    np.testing.assert_allclose(d, [-EULER, -EULER - 2 * math.log(2), 1 - EULER], atol=3e-15)
    h = 1e-5  # digamma = lgamma', a central difference of math.lgamma (error ~h^2)
    pts = X[(np.abs(X) > 0.1) & (X < 1e3)]
    fd = [(math.lgamma(v + h) - math.lgamma(v - h)) / (2 * h) for v in pts]
    np.testing.assert_allclose(pe.special.psi(t64(pts)).numpy(), fd, rtol=1e-8)
    out = pe.digamma(t64([0.0, -1.0])).numpy()
    assert out[0] == -math.inf and math.isnan(out[1])


def test_polygamma_known_values_and_series():
    # psi'(1) = pi^2 / 6, psi''(1) = -2 zeta(3), psi'(1/2) = pi^2 / 2
    np.testing.assert_allclose(pe.polygamma(1, t64([1.0, 0.5])).numpy(),
                               [math.pi ** 2 / 6, math.pi ** 2 / 2], rtol=1e-15)
    np.testing.assert_allclose(pe.polygamma(2, t64([1.0])).numpy(), [-2 * 1.2020569031595942],
                               rtol=1e-14)
    # psi^(n)(x) = (-1)^(n+1) n! sum_k 1 / (x + k)^(n+1), with the Euler-Maclaurin tail
    for n in (1, 3):
        for x in (0.7, 3.2):
            k = np.arange(200000.0)
            e = x + 2e5
            s = np.sum(1.0 / (x + k) ** (n + 1)) + 1.0 / (n * e ** n) + 0.5 / e ** (n + 1)
            want = (-1) ** (n + 1) * math.factorial(n) * s
            np.testing.assert_allclose(pe.polygamma(n, t64([x])).numpy(), [want], rtol=1e-12)
    np.testing.assert_allclose(pe.polygamma(0, t64(X)).numpy(), pe.digamma(t64(X)).numpy(),
                               rtol=0, atol=0)


def test_erfinv_inverts_erf_and_edges():
    y = np.linspace(-0.999999, 0.999999, 2001)
    x = pe.erfinv(t64(y)).numpy()
    np.testing.assert_allclose([math.erf(v) for v in x], y, rtol=0, atol=4e-16)
    np.testing.assert_allclose(pe.special.erfinv(t64([0.5])).numpy(), [0.4769362762044699],
                               rtol=1e-15)
    e = t64([1.0, -1.0, 1.5, 0.0]).erfinv().numpy()
    assert e[0] == math.inf and e[1] == -math.inf and math.isnan(e[2]) and e[3] == 0
    assert pe.tensor([0.5]).erfinv().dtype == pe.float32


def test_erfc_ndtr_ndtri():
    x = np.linspace(-6, 26, 321)
    np.testing.assert_allclose(pe.special.erfc(t64(x)).numpy(), [math.erfc(v) for v in x],
                               rtol=1e-14, atol=0)
    phi = [0.5 * math.erfc(-v / math.sqrt(2)) for v in x]
    np.testing.assert_allclose(pe.special.ndtr(t64(x)).numpy(), phi, rtol=1e-14, atol=0)
    p = np.array([1e-300, 1e-20, 1e-5, 0.025, 0.3, 0.5, 0.9, 0.975, 1 - 1e-12])
    q = pe.special.ndtri(t64(p)).numpy()
    np.testing.assert_allclose(pe.special.ndtr(t64(q)).numpy(), p, rtol=1e-12)
    np.testing.assert_allclose(q[[3, 5, 7]], [-1.959963984540054, 0, 1.959963984540054],
                               atol=1e-14)
    assert pe.special.ndtri(t64([0.0, 1.0])).numpy().tolist() == [-math.inf, math.inf]


def test_composed_special_functions():
    x = np.array([0.0, 0.25, 1.0, 3.0])
    S = pe.special
    np.testing.assert_allclose(S.entr(t64(x)).numpy(), [0.0] + [-v * math.log(v) for v in x[1:]])
    assert S.entr(t64([-1.0])).item() == -math.inf
    np.testing.assert_allclose(S.sinc(t64(x)).numpy(),
                               [1.0] + [math.sin(math.pi * v) / (math.pi * v) for v in x[1:]])
    np.testing.assert_allclose(S.xlogy(t64(x), t64([0.0, 2.0, 3.0, 4.0])).numpy(),
                               [0.0, 0.25 * math.log(2), math.log(3), 3 * math.log(4)])
    assert math.isnan(S.xlogy(t64([0.0]), t64([math.nan])).item())
    p = np.array([0.1, 0.5, 0.8])
    np.testing.assert_allclose(S.logit(t64(p)).numpy(), np.log(p / (1 - p)), rtol=1e-15)
    np.testing.assert_allclose(S.logit(t64([0.0]), eps=0.1).numpy(), [math.log(0.1 / 0.9)])
    np.testing.assert_allclose(S.expit(t64(x)).numpy(), 1 / (1 + np.exp(-x)), rtol=1e-15)
    np.testing.assert_allclose(S.gammaln(t64([5.0])).numpy(), [math.log(24)], rtol=1e-15)
    np.testing.assert_allclose(S.exp2(t64(x)).numpy(), 2 ** x)
    np.testing.assert_allclose(S.expm1(t64(x)).numpy(), np.expm1(x))
    np.testing.assert_allclose(S.log1p(t64(x)).numpy(), np.log1p(x))
    np.testing.assert_allclose(S.erf(t64(x)).numpy(), [math.erf(v) for v in x], rtol=1e-15)
    # I0 by its series, to many more terms than needed
    ks = np.arange(80.0)
    want = [np.sum((v / 2) ** (2 * ks) / np.array([math.factorial(int(k)) ** 2 for k in ks],
                                                  dtype=float)) for v in (0.5, 7.0, -12.0)]
    np.testing.assert_allclose(S.i0(t64([0.5, 7.0, -12.0])).numpy(), want, rtol=1e-14)
    m = np.array([[1.0, 2.0, 3.0]])
    np.testing.assert_allclose(S.softmax(t64(m), 1).numpy(), np.exp(m) / np.exp(m).sum())
    np.testing.assert_allclose(S.log_softmax(t64(m), dim=1).numpy(),
                               m - np.log(np.exp(m).sum()))
    np.testing.assert_allclose(S.logsumexp(t64(m), 1).numpy(), [np.log(np.exp(m).sum())])
    assert S.softmax(pe.tensor(m), 1, dtype=pe.float64).dtype == pe.float64


def test_existing_functions_are_reexported():
    assert pe.special.erf is pe.nn.functional.erf
    assert pe.special.expit is pe.nn.functional.sigmoid
    assert pe.special.psi is pe.special.digamma


@pytest.mark.parametrize("fn", [
    lambda x: x.lgamma(), lambda x: x.digamma(), lambda x: x.polygamma(1),
    lambda x: x.polygamma(2), lambda x: pe.special.i0(x), lambda x: x.sinc(),
    lambda x: pe.special.entr(x), lambda x: x.erfc(), lambda x: pe.special.ndtr(x),
], ids=["lgamma", "digamma", "polygamma1", "polygamma2", "i0", "sinc", "entr", "erfc", "ndtr"])
def test_gradcheck_on_positive_inputs(fn):
    assert gradcheck(fn, [t64([0.3, 1.7, 4.0, 11.5], grad=True)])


def test_gradcheck_on_unit_interval():
    for fn in (lambda p: p.erfinv(), lambda p: pe.special.ndtri(p * 0.5 + 0.5),
               lambda p: (p * 0.5 + 0.5).logit()):
        assert gradcheck(fn, [t64([-0.9, -0.3, 0.1, 0.6, 0.95], grad=True)])
    x, y = t64([0.5, 2.0, 3.0], grad=True), t64([1.5, 0.2, 7.0], grad=True)
    assert gradcheck(lambda a, b: a.xlogy(b), [x, y])
    s = t64([0.0, 0.4], grad=True)
    s.sinc().sum().backward()
    assert s.grad.numpy()[0] == 0.0


def test_special_errors():
    with pytest.raises(ValueError, match=r"\[polygamma\] n must be a non-negative int"):
        pe.polygamma(-1, t64([1.0]))
    with pytest.raises(ValueError, match=r"\[polygamma\]"):
        t64([1.0]).polygamma(1.5)


def test_tensordot_int_and_lists_forms():
    rng = np.random.default_rng(0)
    a, b = rng.standard_normal((3, 4, 5)), rng.standard_normal((4, 5, 2))
    np.testing.assert_allclose(pe.tensordot(t64(a), t64(b)).numpy(), np.tensordot(a, b, 2))
    np.testing.assert_allclose(pe.tensordot(t64(a), t64(b), dims=1 - 1).numpy(),
                               np.tensordot(a, b, 0))
    c = rng.standard_normal((5, 3, 6))
    np.testing.assert_allclose(pe.tensordot(t64(a), t64(c), dims=([0, 2], [1, 0])).numpy(),
                               np.tensordot(a, c, ([0, 2], [1, 0])))
    np.testing.assert_allclose(pe.tensordot(t64(a), t64(c), dims=([2], [0])).numpy(),
                               np.tensordot(a, c, ([2], [0])))
    assert gradcheck(lambda x, y: pe.tensordot(x, y, dims=([0, 2], [1, 0])),
                     [t64(a, True), t64(c, True)])
    with pytest.raises(RuntimeError, match=r"\[tensordot\] contracted dimensions differ"):
        pe.tensordot(t64(a), t64(c))
    with pytest.raises(TypeError, match=r"\[tensordot\] dims must be"):
        pe.tensordot(t64(a), t64(c), dims="x")
    np.testing.assert_allclose(pe.tensordot(t64(a), t64(c), dims=([-1], [0])).numpy(),
                               np.tensordot(a, c, ([-1], [0])))
    with pytest.raises(RuntimeError, match=r"\[tensordot\] dim 5 of a is out of range"):
        pe.tensordot(t64(a), t64(c), dims=([5], [0]))  # used to wrap round to dim 2
    with pytest.raises(RuntimeError, match=r"name a dimension twice"):
        pe.tensordot(t64(a), t64(c), dims=([2, -1], [0, 0]))


def test_histc():
    x = np.array([1.0, 2.0, 1.0, 2.5, -1.0, 3.0])
    h = pe.histc(pe.tensor(x.tolist()), bins=4, min=0, max=3)
    assert h.numpy().tolist() == [0.0, 2.0, 1.0, 2.0] and h.dtype == pe.float32
    assert not pe.histc(t64(x, grad=True)).requires_grad
    auto = pe.histc(t64(x), bins=2).numpy()  # min == max: the data's range [-1, 3]
    assert auto.tolist() == [1.0, 5.0]
    assert pe.histc(t64([2.0, 2.0]), bins=2).numpy().tolist() == [0.0, 2.0]
    with pytest.raises(TypeError, match=r"\[histc\] input must be a floating tensor"):
        pe.histc(pe.tensor([1, 2]))
    with pytest.raises(ValueError, match=r"\[histc\] max must be larger than min"):
        pe.histc(t64(x), min=2, max=1)


def test_set_default_dtype_round_trip():
    assert pe.get_default_dtype() == pe.float32
    try:
        pe.set_default_dtype(pe.float64)
        assert pe.get_default_dtype() == pe.float64
        for t in (pe.tensor([1.5]), pe.zeros(2), pe.ones(2), pe.empty(2), pe.rand(2),
                  pe.randn(2), pe.full((2,), 1.5), pe.arange(0.0, 1.0, 0.5), pe.linspace(0, 1, 3),
                  pe.nn.Linear(2, 3).weight, pe.nn.Conv2d(1, 1, 3).bias):
            assert t.dtype == pe.float64
        assert pe.arange(3).dtype == pe.int64 and pe.tensor([1]).dtype == pe.int64
        assert pe.tensor(np.zeros(2, np.float32)).dtype == pe.float32  # arrays keep theirs
        i, f32 = pe.tensor([1, 2]), pe.tensor(np.ones(2, np.float32))
        # int / int and int (op) Python float follow the default; a float32 operand decides
        assert (i / i).dtype == (i + 0.5).dtype == (i / 2).dtype == pe.float64
        assert (i * f32).dtype == pe.float32
    finally:
        pe.set_default_dtype(pe.float32)
    assert pe.get_default_dtype() == pe.float32 and pe.tensor([1.5]).dtype == pe.float32
    assert (pe.tensor([1, 2]) / pe.tensor([2, 2])).dtype == pe.float32
    with pytest.raises(TypeError, match=r"\[set_default_dtype\] only float32 and float64"):
        pe.set_default_dtype(pe.int64)


def test_against_torch():
    torch = pytest.importorskip("torch")
    x = np.concatenate([np.linspace(-9.7, 30, 397), [1e-3, 250.0]])
    x = x[np.abs(x - np.round(x)) > 1e-6]
    tx = torch.tensor(x)
    np.testing.assert_allclose(pe.lgamma(t64(x)).numpy(), torch.lgamma(tx).numpy(),
                               rtol=1e-13, atol=1e-13)
    np.testing.assert_allclose(pe.digamma(t64(x)).numpy(), torch.digamma(tx).numpy(),
                               rtol=1e-11, atol=1e-11)
    for n in (1, 2, 3):  # torch's trigamma is itself good to ~5e-10
        np.testing.assert_allclose(pe.polygamma(n, t64(x)).numpy(),
                                   torch.polygamma(n, tx).numpy(), rtol=1e-8)
    y = np.linspace(-0.9999, 0.9999, 501)
    np.testing.assert_allclose(pe.erfinv(t64(y)).numpy(), torch.erfinv(torch.tensor(y)).numpy(),
                               rtol=1e-12, atol=1e-14)
    z = np.linspace(-30, 30, 241)
    for name in ("i0", "ndtr", "sinc", "entr", "erfc"):
        np.testing.assert_allclose(getattr(pe.special, name)(t64(np.abs(z) if name == "entr"
                                                                 else z)).numpy(),
                                   getattr(torch.special, name)(
                                       torch.tensor(np.abs(z) if name == "entr" else z)).numpy(),
                                   rtol=1e-13, atol=1e-16)  # torch.special.ndtr(-30) is 0
    p = np.array([1e-30, 1e-8, 0.1, 0.5, 0.7, 0.999])
    np.testing.assert_allclose(pe.special.ndtri(t64(p)).numpy(),
                               torch.special.ndtri(torch.tensor(p)).numpy(), rtol=1e-12)
    a, b = np.random.default_rng(1).standard_normal((2, 3, 4)), np.ones((4, 3, 5))
    np.testing.assert_allclose(pe.tensordot(t64(a), t64(b), dims=([1, 2], [1, 0])).numpy(),
                               torch.tensordot(torch.tensor(a), torch.tensor(b),
                                               dims=([1, 2], [1, 0])).numpy())
    h = np.random.default_rng(2).standard_normal(1000)
    np.testing.assert_array_equal(pe.histc(t64(h), bins=17, min=-2, max=2).numpy(),
                                  torch.histc(torch.tensor(h), bins=17, min=-2, max=2).numpy())
