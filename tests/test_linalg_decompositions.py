"""pe.linalg svd / svdvals / qr / eigh / eigvalsh / pinv / lstsq and torch's legacy pe.svd /
qr / pinverse / cholesky (functions and Tensor methods): values against NumPy float64
(reconstructions, orthonormality, residuals), batched / wide / tall / empty / 1x1 shapes,
float32, gradcheck of gauge-invariant losses, values and gradients against torch, errors."""
import numpy as np
import pytest

import pyengine as pe
from pyengine.testing import gradcheck

L = pe.linalg
RNG = np.random.default_rng(0)
SHAPES = [(4, 3), (3, 4), (3, 3), (2, 5, 3), (2, 3, 5), (2, 1, 3, 3)]


def _mT(a):
    return np.swapaxes(a, -1, -2)


def _orthonormal_cols(q, atol):
    k = q.shape[-1]
    np.testing.assert_allclose(_mT(q) @ q, np.broadcast_to(np.eye(k), q.shape[:-2] + (k, k)),
                               atol=atol)


def _sym(x):
    return (x + x.mT) / 2


# ---- values ------------------------------------------------------------------------------------
@pytest.mark.parametrize("shape", SHAPES)
@pytest.mark.parametrize("dtype,tol", [(np.float64, 1e-12), (np.float32, 1e-5)])
def test_svd_values(shape, dtype, tol):
    a = RNG.standard_normal(shape).astype(dtype)
    m, n = shape[-2:]
    k = min(m, n)
    for full in (False, True):
        U, S, Vh = L.svd(pe.tensor(a), full_matrices=full)
        assert U.shape == shape[:-2] + ((m, m) if full else (m, k))
        assert S.shape == shape[:-2] + (k,)
        assert Vh.shape == shape[:-2] + ((n, n) if full else (k, n))
        assert U.dtype == S.dtype == Vh.dtype == pe.tensor(a).dtype
        u, s, vh = U.numpy(), S.numpy(), Vh.numpy()
        np.testing.assert_allclose((u[..., :k] * s[..., None, :]) @ vh[..., :k, :], a,
                                   atol=tol * 10)
        _orthonormal_cols(u, tol * 10)
        _orthonormal_cols(_mT(vh), tol * 10)
        np.testing.assert_allclose(s, np.linalg.svd(a.astype(np.float64), compute_uv=False),
                                   rtol=tol * 10, atol=tol * 10)
    np.testing.assert_allclose(L.svdvals(pe.tensor(a)).numpy(), s, rtol=tol * 10)
    res = L.svd(pe.tensor(a))
    assert res.U is res[0] and res.S is res[1] and res.Vh is res[2]


@pytest.mark.parametrize("shape", SHAPES)
@pytest.mark.parametrize("dtype,tol", [(np.float64, 1e-12), (np.float32, 1e-5)])
def test_qr_values(shape, dtype, tol):
    a = RNG.standard_normal(shape).astype(dtype)
    m, n = shape[-2:]
    k = min(m, n)
    for mode, (qs, rs) in {"reduced": ((m, k), (k, n)), "complete": ((m, m), (m, n))}.items():
        Q, R = L.qr(pe.tensor(a), mode=mode)
        assert Q.shape == shape[:-2] + qs and R.shape == shape[:-2] + rs
        np.testing.assert_allclose(Q.numpy() @ R.numpy(), a, atol=tol * 10)
        _orthonormal_cols(Q.numpy(), tol * 10)
        np.testing.assert_allclose(R.numpy(), np.triu(R.numpy()))
    Q, R = L.qr(pe.tensor(a), mode="r")
    assert Q.shape == (0,) and R.shape == shape[:-2] + (k, n)
    np.testing.assert_allclose(np.abs(R.numpy()), np.abs(L.qr(pe.tensor(a)).R.numpy()),
                               atol=tol * 10)
    res = L.qr(pe.tensor(a))
    assert res.Q is res[0] and res.R is res[1]


@pytest.mark.parametrize("dtype,tol", [(np.float64, 1e-12), (np.float32, 1e-5)])
def test_eigh_values(dtype, tol):
    a = RNG.standard_normal((2, 3, 4, 4))
    sym = (a + _mT(a)).astype(dtype)
    w, v = L.eigh(pe.tensor(sym))
    assert w.shape == (2, 3, 4) and v.shape == (2, 3, 4, 4) and w.dtype == v.dtype
    w, v = w.numpy(), v.numpy()
    assert np.all(np.diff(w, axis=-1) >= 0)  # ascending
    np.testing.assert_allclose(sym @ v, v * w[..., None, :], atol=tol * 100)
    _orthonormal_cols(v, tol * 10)
    np.testing.assert_allclose(w, np.linalg.eigvalsh(sym.astype(np.float64)), atol=tol * 100)
    np.testing.assert_allclose(L.eigvalsh(pe.tensor(sym)).numpy(), w, atol=tol * 100)
    # only the named triangle is read
    low = np.tril(sym.astype(np.float64))
    np.testing.assert_allclose(L.eigvalsh(pe.tensor(low)).numpy(), w, atol=tol * 100)
    np.testing.assert_allclose(L.eigh(pe.tensor(_mT(low)), UPLO="U").eigenvalues.numpy(), w,
                               atol=tol * 100)
    res = L.eigh(pe.tensor(sym))
    assert res.eigenvalues is res[0] and res.eigenvectors is res[1]


@pytest.mark.parametrize("shape", SHAPES)
def test_pinv_and_lstsq_values(shape):
    a = RNG.standard_normal(shape)
    np.testing.assert_allclose(L.pinv(pe.tensor(a)).numpy(), np.linalg.pinv(a), atol=1e-12)
    np.testing.assert_allclose(pe.pinverse(pe.tensor(a)).numpy(), np.linalg.pinv(a), atol=1e-12)
    b = RNG.standard_normal(shape[:-1] + (2,))
    x = L.lstsq(pe.tensor(a), pe.tensor(b)).solution
    assert x.shape == shape[:-2] + (shape[-1], 2)
    np.testing.assert_allclose(x.numpy(), np.linalg.pinv(a) @ b, atol=1e-12)
    xv = L.lstsq(pe.tensor(a), pe.tensor(b[..., 0])).solution  # a vector right-hand side
    np.testing.assert_allclose(xv.numpy(), x.numpy()[..., 0], atol=1e-12)


def test_pinv_tolerances_and_hermitian():
    a = np.diag([3.0, 1e-3, 0.0])
    keep_one = np.diag([1 / 3.0, 0.0, 0.0])
    np.testing.assert_allclose(L.pinv(pe.tensor(a), atol=1e-2).numpy(), keep_one)
    np.testing.assert_allclose(L.pinv(pe.tensor(a), rtol=1e-2).numpy(), keep_one)
    np.testing.assert_allclose(L.pinv(pe.tensor(a), 1e-2).numpy(), keep_one)  # rcond
    np.testing.assert_allclose(pe.pinverse(pe.tensor(a), rcond=1e-2).numpy(), keep_one)
    np.testing.assert_allclose(L.pinv(pe.tensor(a)).numpy(), np.diag([1 / 3.0, 1e3, 0.0]))
    s = RNG.standard_normal((2, 4, 4))
    s = s + _mT(s)
    np.testing.assert_allclose(L.pinv(pe.tensor(s), hermitian=True).numpy(), np.linalg.inv(s),
                               atol=1e-9)


def test_lstsq_fields():
    a, b = RNG.standard_normal((2, 5, 3)), RNG.standard_normal((2, 5, 2))
    x = np.linalg.pinv(a) @ b
    r = L.lstsq(pe.tensor(a), pe.tensor(b))  # gelsy: rank only
    assert r.residuals.shape == (0,) and r.singular_values.shape == (0,)
    assert r.rank.tolist() == [3, 3] and r.rank.dtype == pe.int64
    r = L.lstsq(pe.tensor(a), pe.tensor(b), driver="gelsd")
    np.testing.assert_allclose(r.residuals.numpy(), ((a @ x - b) ** 2).sum(-2), rtol=1e-10)
    np.testing.assert_allclose(r.singular_values.numpy(), np.linalg.svd(a, compute_uv=False))
    r = L.lstsq(pe.tensor(a), pe.tensor(b), driver="gels")
    assert r.rank.shape == (0,) and r.residuals.shape == (2, 2)
    deficient = np.concatenate([a[..., :2], a[..., :1]], -1)  # rank 2: no residuals
    r = L.lstsq(pe.tensor(deficient), pe.tensor(b), driver="gelsd")
    assert r.rank.tolist() == [2, 2] and r.residuals.shape == (0,)
    np.testing.assert_allclose(r.solution.numpy(), np.linalg.pinv(deficient) @ b, atol=1e-10)
    # batch dims broadcast
    r = L.lstsq(pe.tensor(a[:1]), pe.tensor(b))
    assert r.solution.shape == (2, 3, 2)


def test_empty_and_1x1():
    for shape in [(0, 3), (3, 0), (0, 0), (2, 0, 0)]:
        a = pe.tensor(np.zeros(shape))
        U, S, Vh = L.svd(a, full_matrices=False)
        k = min(shape[-2:])
        assert S.shape == shape[:-2] + (k,) and U.shape == shape[:-1] + (k,)
        U, S, Vh = L.svd(a)  # full: identity completions, as torch
        assert U.shape == shape[:-1] + (shape[-2],) and Vh.shape == shape[:-2] + (shape[-1],) * 2
        Q, R = L.qr(a)
        assert Q.shape == shape[:-1] + (k,) and R.shape == shape[:-2] + (k, shape[-1])
        assert L.pinv(a).shape == shape[:-2] + (shape[-1], shape[-2])
    w, v = L.eigh(pe.tensor(np.zeros((0, 0))))
    assert w.shape == (0,) and v.shape == (0, 0)
    one = pe.tensor([[-2.0]])
    assert L.svdvals(one).tolist() == [2.0]
    assert L.eigvalsh(one).tolist() == [-2.0]
    np.testing.assert_allclose(L.pinv(one).numpy(), [[-0.5]])
    assert abs(L.qr(one).R.item()) == 2.0


def test_legacy_forms_and_methods():
    a = RNG.standard_normal((4, 3))
    t = pe.tensor(a)
    U, S, V = pe.svd(t)
    assert V.shape == (3, 3)
    np.testing.assert_allclose((U.numpy() * S.numpy()) @ V.numpy().T, a, atol=1e-12)
    assert t.svd(some=False).U.shape == (4, 4)
    U0, S0, V0 = t.svd(compute_uv=False)  # torch: zero-filled full U and V
    assert U0.shape == (4, 4) and V0.shape == (3, 3) and not U0.numpy().any()
    np.testing.assert_allclose(S0.numpy(), S.numpy())
    Q, R = pe.qr(t)
    assert Q.shape == (4, 3) and t.qr(some=False).Q.shape == (4, 4)
    np.testing.assert_allclose(t.pinverse().numpy(), np.linalg.pinv(a), atol=1e-12)
    spd = a.T @ a + np.eye(3)
    np.testing.assert_allclose(pe.cholesky(pe.tensor(spd)).numpy(), np.linalg.cholesky(spd))
    np.testing.assert_allclose(pe.tensor(spd).cholesky(upper=True).numpy(),
                               np.linalg.cholesky(spd).T)


# ---- gradients ---------------------------------------------------------------------------------
def _svd_recon(x):
    U, S, Vh = L.svd(x, full_matrices=False)
    return (U * S[..., None, :]) @ Vh


def _svd_abs(x):
    U, S, Vh = L.svd(x, full_matrices=False)
    return U.abs(), S, Vh.abs()


def _svd_full_abs(x):  # the reduced part of the full factors (the rest gets no gradient)
    U, S, Vh = L.svd(x)
    k = S.shape[-1]
    return U[..., :k].abs(), S, Vh[..., :k, :].abs()


def _eigh_fn(x):
    w, v = L.eigh(_sym(x))
    return w, v.abs(), (v * w[..., None, :]) @ v.mT


GRAD_FNS = {
    "svd_recon": _svd_recon, "svd_abs": _svd_abs, "svd_full": _svd_full_abs,
    "svdvals": L.svdvals, "qr": lambda x: tuple(L.qr(x)),
    "legacy_svd": lambda x: (lambda r: (r.U.abs(), r.S, r.V.abs()))(pe.svd(x)),
    "pinv": L.pinv, "pinverse": pe.pinverse,
}


@pytest.mark.parametrize("shape", [(4, 3), (3, 4), (3, 3), (2, 4, 3), (2, 3, 4)])
@pytest.mark.parametrize("name", sorted(GRAD_FNS))
def test_gradcheck(name, shape):
    x = pe.tensor(RNG.standard_normal(shape), requires_grad=True)
    assert gradcheck(GRAD_FNS[name], [x])


def test_gradcheck_square_only():
    x = pe.tensor(RNG.standard_normal((2, 4, 4)), requires_grad=True)
    assert gradcheck(_eigh_fn, [x])
    assert gradcheck(lambda t: L.eigvalsh(_sym(t)), [x])
    assert gradcheck(lambda t: L.pinv(_sym(t), hermitian=True), [x])
    assert gradcheck(lambda t: tuple(L.qr(t, mode="complete")), [x])
    w = pe.tensor(RNG.standard_normal((3, 5)), requires_grad=True)  # complete == reduced, m < n
    assert gradcheck(lambda t: tuple(L.qr(t, mode="complete")), [w])


@pytest.mark.parametrize("shape", [(5, 3), (3, 5)])
def test_gradcheck_lstsq(shape):
    a = pe.tensor(RNG.standard_normal((2,) + shape), requires_grad=True)
    b = pe.tensor(RNG.standard_normal((2, shape[0], 2)), requires_grad=True)
    bv = pe.tensor(RNG.standard_normal((2, shape[0])), requires_grad=True)
    assert gradcheck(lambda x, y: L.lstsq(x, y).solution, [a, b])
    assert gradcheck(lambda x, y: L.lstsq(x, y).solution, [a, bv])


def test_repeated_values_unused_vectors():
    """Only the values used: the gradient is defined even where they repeat (no 0/0)."""
    x = pe.tensor(np.eye(3), requires_grad=True)
    L.svd(x).S.sum().backward()
    np.testing.assert_allclose(x.grad.numpy(), np.eye(3))
    x.grad = None
    L.eigh(x).eigenvalues.sum().backward()
    np.testing.assert_allclose(x.grad.numpy(), np.eye(3))
    x.grad = None
    L.pinv(x).sum().backward()  # pinv's own formula: no singular-value gaps
    np.testing.assert_allclose(x.grad.numpy(), -np.ones((3, 3)))


# ---- against torch -----------------------------------------------------------------------------
def test_against_torch():
    torch = pytest.importorskip("torch")
    cases = [
        ("svd_recon", _svd_recon, lambda t: (lambda r: (r.U * r.S[..., None, :]) @ r.Vh)(
            torch.linalg.svd(t, full_matrices=False)), (2, 4, 3)),
        ("svd_abs_wide", _svd_abs, lambda t: (lambda r: (r.U.abs(), r.S, r.Vh.abs()))(
            torch.linalg.svd(t, full_matrices=False)), (2, 3, 5)),
        ("svd_full", _svd_full_abs, lambda t: (lambda r: (r.U[..., :3].abs(), r.S,
                                                          r.Vh[..., :3, :].abs()))(
            torch.linalg.svd(t)), (5, 3)),
        ("svdvals", L.svdvals, torch.linalg.svdvals, (3, 4)),
        ("qr", lambda x: tuple(L.qr(x)), lambda t: tuple(torch.linalg.qr(t)), (2, 5, 3)),
        ("qr_wide", lambda x: tuple(L.qr(x)), lambda t: tuple(torch.linalg.qr(t)), (3, 5)),
        ("eigh", _eigh_fn, lambda t: (lambda r: (r[0], r[1].abs(),
                                                 (r[1] * r[0][..., None, :]) @ r[1].mT))(
            torch.linalg.eigh((t + t.mT) / 2)), (2, 4, 4)),
        ("pinv", L.pinv, torch.linalg.pinv, (2, 3, 5)),
        ("pinverse", pe.pinverse, torch.pinverse, (5, 3)),
        ("legacy_svd", lambda x: (lambda r: (r.U.abs(), r.S, r.V.abs()))(pe.svd(x)),
         lambda t: (lambda r: (r.U.abs(), r.S, r.V.abs()))(torch.svd(t)), (4, 3)),
    ]
    for name, f_pe, f_t, shape in cases:
        a = RNG.standard_normal(shape)
        xp, xt = pe.tensor(a, requires_grad=True), torch.tensor(a, requires_grad=True)
        op, ot = f_pe(xp), f_t(xt)
        op, ot = (op if isinstance(op, tuple) else (op,)), (ot if isinstance(ot, tuple) else (ot,))
        ws = [RNG.standard_normal(tuple(o.shape)) for o in op]
        for o, t_, w in zip(op, ot, ws):
            if name.startswith("qr"):  # LAPACK's signs in both: compare up to them
                np.testing.assert_allclose(np.abs(o.detach().numpy()), np.abs(t_.detach().numpy()),
                                           atol=1e-10, err_msg=name)
            else:
                np.testing.assert_allclose(o.detach().numpy(), t_.detach().numpy(), atol=1e-10,
                                           err_msg=name)
        sum((o * pe.tensor(w)).sum() for o, w in zip(op, ws)).backward()
        sum((o * torch.tensor(w)).sum() for o, w in zip(ot, ws)).backward()
        if not name.startswith("qr") or np.allclose(op[0].detach().numpy(), ot[0].detach().numpy()):
            np.testing.assert_allclose(xp.grad.numpy(), xt.grad.numpy(), atol=1e-9,
                                       err_msg=name)


def test_lstsq_against_torch():
    torch = pytest.importorskip("torch")
    for shape in [(2, 5, 3), (2, 3, 5)]:
        a, b = RNG.standard_normal(shape), RNG.standard_normal(shape[:-1] + (2,))
        ap, bp = pe.tensor(a, requires_grad=True), pe.tensor(b, requires_grad=True)
        at, bt = torch.tensor(a, requires_grad=True), torch.tensor(b, requires_grad=True)
        rp = L.lstsq(ap, bp, driver="gelsd")
        rt = torch.linalg.lstsq(at, bt, driver="gelsd")
        for f in ("solution", "residuals", "rank", "singular_values"):
            np.testing.assert_allclose(getattr(rp, f).detach().numpy(),
                                       getattr(rt, f).detach().numpy(), atol=1e-10, err_msg=f)
        w = RNG.standard_normal(tuple(rp.solution.shape))
        (rp.solution * pe.tensor(w)).sum().backward()
        (rt.solution * torch.tensor(w)).sum().backward()
        np.testing.assert_allclose(ap.grad.numpy(), at.grad.numpy(), atol=1e-9)
        np.testing.assert_allclose(bp.grad.numpy(), bt.grad.numpy(), atol=1e-9)


# ---- errors ------------------------------------------------------------------------------------
def test_errors():
    v, m = pe.randn(3), pe.randn(3, 4)
    for fn, name in [(L.svd, "linalg.svd"), (L.svdvals, "linalg.svdvals"),
                     (L.qr, "linalg.qr"), (L.eigh, "linalg.eigh"), (L.pinv, "linalg.pinv"),
                     (pe.svd, "svd"), (pe.pinverse, "pinverse")]:
        with pytest.raises(RuntimeError, match=rf"\[{name}\] expects matrices"):
            fn(v)
    with pytest.raises(RuntimeError, match=r"\[linalg.svd\] expects a float32 or float64"):
        L.svd(pe.tensor([[1, 2], [3, 4]]))
    with pytest.raises(RuntimeError, match=r"\[linalg.eigh\] expects square"):
        L.eigh(m)
    with pytest.raises(RuntimeError, match=r"\[linalg.eigvalsh\] expects square"):
        L.eigvalsh(m)
    with pytest.raises(RuntimeError, match=r"\[linalg.eigh\] UPLO must be 'L' or 'U'"):
        L.eigh(pe.eye(3), UPLO="X")
    with pytest.raises(RuntimeError, match=r"\[linalg.qr\] mode must be"):
        L.qr(m, mode="full")
    with pytest.raises(RuntimeError, match=r"\[linalg.lstsq\] driver must be"):
        L.lstsq(m, pe.randn(3, 2), driver="foo")
    with pytest.raises(RuntimeError, match=r"\[linalg.lstsq\] B of shape"):
        L.lstsq(m, pe.randn(4, 2))
    with pytest.raises(RuntimeError, match=r"\[linalg.lstsq\] A and B must have the same"):
        L.lstsq(m, pe.randn(3, 2, dtype=pe.float64))


def test_backward_errors():
    x = pe.tensor(RNG.standard_normal((4, 3)), requires_grad=True)
    with pytest.raises(RuntimeError, match=r"\[linalg.qr\] the derivative depends on Q"):
        L.qr(x, mode="r").R.sum().backward()
    with pytest.raises(RuntimeError, match=r"\[linalg.qr\] .*mode='complete' and rows > col"):
        L.qr(x, mode="complete").R.sum().backward()
    dep = pe.tensor([[1.0, 0.0], [2.0, 0.0], [2.0, 0.0]], requires_grad=True)  # R[1, 1] = 0
    with pytest.raises(RuntimeError, match=r"\[linalg.qr\] backward: R is singular"):
        L.qr(dep).Q.sum().backward()
