"""The two differentiable linear-algebra ops MultivariateNormal needs, on NumPy (batched over
leading axes): a Cholesky factor and a lower-triangular solve, each with its backward."""
import numpy as np

from ..autograd import Function


def _t(a):
    return np.swapaxes(a, -1, -2)


def _tri_solve(L, B, transpose=False):
    """L^{-1} B (or L^{-T} B): NumPy has no batched triangular solve, so a general solve is used;
    L is small here (an event dimension) and well conditioned when it is a Cholesky factor."""
    return np.linalg.solve(_t(L) if transpose else L, B)


class Cholesky(Function):
    """L = cholesky(A), A symmetric positive definite. Backward (Murray, 2016):
    Phi(X) = tril(X) with a halved diagonal; S = L^{-T} Phi(L^T gL) L^{-1}; gA = (S + S^T) / 2."""

    @staticmethod
    def forward(ctx, a):
        try:
            L = np.linalg.cholesky(a)
        except np.linalg.LinAlgError:
            raise ValueError("[cholesky] the matrix is not positive definite") from None
        ctx.save_for_backward(L)
        return L

    @staticmethod
    def backward(ctx, g):
        (L,) = ctx.saved_tensors
        phi = np.tril(_t(L) @ g)
        phi -= 0.5 * np.eye(L.shape[-1]) * phi  # halve the diagonal
        s = _tri_solve(L, _t(_tri_solve(L, _t(phi), transpose=True)), transpose=True)
        return 0.5 * (s + _t(s))


class SolveLower(Function):
    """X = L^{-1} B for lower-triangular L (..., n, n) and B (..., n, m), batch axes broadcast.
    Backward: gB = L^{-T} gX, gL = -tril(gB X^T)."""

    @staticmethod
    def forward(ctx, L, B):
        X = _solve_broadcast(L, B)
        ctx.save_for_backward(L, X)
        return X

    @staticmethod
    def backward(ctx, g):
        L, X = ctx.saved_tensors
        shape = np.broadcast_shapes(L.shape[:-2], X.shape[:-2])
        Lb = np.broadcast_to(L, shape + L.shape[-2:])
        gB = _tri_solve(Lb, g, transpose=True)
        gL = -np.tril(gB @ _t(X))
        return gL, gB


def _solve_broadcast(L, B):
    shape = np.broadcast_shapes(L.shape[:-2], B.shape[:-2])
    return _tri_solve(np.broadcast_to(L, shape + L.shape[-2:]),
                      np.broadcast_to(B, shape + B.shape[-2:]))


def cholesky(a):
    return Cholesky.apply(a)


def solve_lower(L, B):
    return SolveLower.apply(L, B)
