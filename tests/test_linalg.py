"""pe.linalg: inv, solve, det, slogdet, cholesky (values against NumPy float64, gradients by
gradcheck and against torch), the norms, pe.inverse / det / logdet, and clear errors."""
import numpy as np
import pytest

import pyengine as pe
from pyengine.testing import gradcheck

RNG = np.random.default_rng(0)
A = RNG.standard_normal((2, 3, 3)) + 3 * np.eye(3)
SPD = A @ np.swapaxes(A, -1, -2) + np.eye(3)
B_VEC, B_MAT = RNG.standard_normal((2, 3)), RNG.standard_normal((2, 3, 4))


def test_values():
    L = pe.linalg
    np.testing.assert_allclose(L.inv(pe.tensor(A)).numpy(), np.linalg.inv(A), rtol=1e-12)
    np.testing.assert_allclose(L.solve(pe.tensor(A), pe.tensor(B_VEC)).numpy(),
                               np.linalg.solve(A, B_VEC[..., None])[..., 0], rtol=1e-12)
    np.testing.assert_allclose(L.solve(pe.tensor(A), pe.tensor(B_MAT)).numpy(),
                               np.linalg.solve(A, B_MAT), rtol=1e-12)
    np.testing.assert_allclose(L.det(pe.tensor(A)).numpy(), np.linalg.det(A), rtol=1e-12)
    sign, logabs = L.slogdet(pe.tensor(-A))
    np.testing.assert_allclose(sign.numpy(), np.linalg.slogdet(-A)[0])
    np.testing.assert_allclose(logabs.numpy(), np.linalg.slogdet(-A)[1], rtol=1e-12)
    np.testing.assert_allclose(L.cholesky(pe.tensor(SPD)).numpy(), np.linalg.cholesky(SPD),
                               rtol=1e-12)
    np.testing.assert_allclose(L.cholesky(pe.tensor(SPD), upper=True).numpy(),
                               np.swapaxes(np.linalg.cholesky(SPD), -1, -2), rtol=1e-12)
    np.testing.assert_allclose(pe.inverse(pe.tensor(A[0])).numpy(), np.linalg.inv(A[0]))
    assert np.isnan(pe.logdet(pe.tensor(np.diag([-1.0, 2.0]))).item())


@pytest.mark.parametrize("name", ["inv", "det", "logabsdet", "solve_vec", "solve_mat",
                                  "cholesky", "cholesky_upper"])
def test_gradcheck(name):
    L = pe.linalg
    a = pe.tensor(A, requires_grad=True)
    s = pe.tensor(SPD, requires_grad=True)
    b = pe.tensor(B_VEC, requires_grad=True)
    bm = pe.tensor(B_MAT, requires_grad=True)
    sym = (lambda x: (x + x.mT) / 2)  # cholesky reads a symmetric matrix, as torch assumes
    fn, args = {
        "inv": (L.inv, (a,)), "det": (L.det, (a,)),
        "logabsdet": (lambda x: L.slogdet(x).logabsdet, (a,)),
        "solve_vec": (L.solve, (a, b)), "solve_mat": (L.solve, (a, bm)),
        "cholesky": (lambda x: L.cholesky(sym(x)), (s,)),
        "cholesky_upper": (lambda x: L.cholesky(sym(x), upper=True), (s,)),
    }[name]
    assert gradcheck(fn, args)


def test_gradients_match_torch():
    torch = pytest.importorskip("torch")
    w = RNG.standard_normal((2, 3, 3))
    for f_pe, f_t, data in [
            (pe.linalg.inv, torch.linalg.inv, A),
            (pe.linalg.cholesky, torch.linalg.cholesky, SPD),
            (lambda x: pe.linalg.solve(x, pe.tensor(B_MAT[..., :3])),
             lambda x: torch.linalg.solve(x, torch.tensor(B_MAT[..., :3])), A)]:
        xp, xt = pe.tensor(data, requires_grad=True), torch.tensor(data, requires_grad=True)
        (f_pe(xp) * pe.tensor(w)).sum().backward()
        (f_t(xt) * torch.tensor(w)).sum().backward()
        np.testing.assert_allclose(xp.grad.numpy(), xt.grad.numpy(), rtol=1e-9, atol=1e-12)


def test_norms():
    L, x = pe.linalg, pe.tensor(A)
    np.testing.assert_allclose(L.norm(x).item(), np.linalg.norm(A.ravel()), rtol=1e-12)
    np.testing.assert_allclose(L.norm(x, dim=(-2, -1)).numpy(),
                               np.linalg.norm(A, axis=(-2, -1)), rtol=1e-12)
    for ord_ in (1, -1, np.inf, -np.inf):
        np.testing.assert_allclose(L.matrix_norm(x, ord_).numpy(),
                                   np.linalg.norm(A, ord_, axis=(-2, -1)), rtol=1e-12)
    for ord_ in (1, 2, 3, np.inf, 0):
        np.testing.assert_allclose(L.vector_norm(x, ord_, dim=-1).numpy(),
                                   np.linalg.norm(A, ord_, axis=-1), rtol=1e-12)
    for ord_ in ("nuc", 2, -2):  # from the singular values (linalg.svdvals)
        np.testing.assert_allclose(L.matrix_norm(x, ord_).numpy(),
                                   np.linalg.norm(A, ord_, axis=(-2, -1)), rtol=1e-12)
        np.testing.assert_allclose(L.norm(x, ord_, dim=(0, 2), keepdim=True).numpy(),
                                   np.linalg.norm(A, ord_, axis=(0, 2), keepdims=True),
                                   rtol=1e-12)
    with pytest.raises(ValueError, match=r"\[linalg.matrix_norm\] ord must be"):
        L.matrix_norm(x, 3)
    for bad in ((0, 3), (1, 1), (-1, 2), (0,), 0):  # out of range (used to wrap), repeated, not 2
        with pytest.raises(ValueError, match=r"\[linalg.matrix_norm\] dim must be two"):
            L.matrix_norm(x, "nuc", dim=bad)


def test_nuclear_and_spectral_norm_gradients():
    rng = np.random.default_rng(5)
    for ord_ in ("nuc", 2, -2):
        x = pe.tensor(rng.standard_normal((2, 4, 3)), dtype=pe.float64, requires_grad=True)
        assert gradcheck(lambda t: pe.linalg.matrix_norm(t, ord_), (x,))


def test_errors():
    with pytest.raises(RuntimeError, match=r"\[linalg.inv\] the matrix is singular"):
        pe.linalg.inv(pe.zeros(2, 2))
    with pytest.raises(RuntimeError, match=r"\[linalg.inv\] expects square matrices"):
        pe.linalg.inv(pe.zeros(2, 3))
    with pytest.raises(RuntimeError, match="not positive-definite"):
        pe.linalg.cholesky(pe.tensor(-np.eye(2)))
    with pytest.raises(RuntimeError, match="does not fit A"):
        pe.linalg.solve(pe.eye(3), pe.ones(4))


@pytest.mark.parametrize("upper", [False, True])
@pytest.mark.parametrize("unit", [False, True])
def test_solve_triangular(upper, unit):
    tri = np.triu if upper else np.tril
    a = tri(A).copy()
    if unit:
        a[..., np.arange(3), np.arange(3)] = 1.0
    want = np.linalg.solve(a, B_MAT)
    # A's other triangle is ignored (and, with unitriangular, its diagonal)
    got = pe.linalg.solve_triangular(pe.tensor(A), pe.tensor(B_MAT), upper=upper,
                                     unitriangular=unit)
    np.testing.assert_allclose(got.numpy(), want, rtol=1e-10)
    x = pe.tensor(A, requires_grad=True)
    b = pe.tensor(B_MAT, requires_grad=True)
    assert gradcheck(lambda m, v: pe.linalg.solve_triangular(m, v, upper=upper,
                                                             unitriangular=unit), (x, b))
    torch = pytest.importorskip("torch")
    xt, bt = torch.tensor(A, requires_grad=True), torch.tensor(B_MAT, requires_grad=True)
    yt = torch.linalg.solve_triangular(xt, bt, upper=upper, unitriangular=unit)
    np.testing.assert_allclose(got.numpy(), yt.detach().numpy(), rtol=1e-10)
    w = RNG.standard_normal(yt.shape)
    (yt * torch.tensor(w)).sum().backward()
    xp, bp = pe.tensor(A, requires_grad=True), pe.tensor(B_MAT, requires_grad=True)
    (pe.linalg.solve_triangular(xp, bp, upper=upper, unitriangular=unit) * pe.tensor(w)).sum() \
        .backward()
    np.testing.assert_allclose(xp.grad.numpy(), xt.grad.numpy(), rtol=1e-8, atol=1e-12)
    np.testing.assert_allclose(bp.grad.numpy(), bt.grad.numpy(), rtol=1e-8, atol=1e-12)
