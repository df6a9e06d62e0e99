"""pe.linalg.pinv and pe.linalg.lstsq (torch.linalg), and torch.pinverse: autograd Functions
over NumPy's SVD (eigh for a hermitian pinv), batched over leading dims, float32 and float64.
Both differentiate with the pseudo-inverse's own formula (Golub and Pereyra, as torch's
pinv_backward), which holds while the rank stays constant and, unlike a path through the SVD's
backward, has no trouble with repeated singular values."""
from collections import namedtuple

import numpy as np

from .autograd import Function
from .linalg_decompositions import _matrix, _mT
from .tensor import Tensor

LstsqResult = namedtuple("linalg_lstsq", ["solution", "residuals", "rank", "singular_values"])
_DRIVERS = ("gels", "gelsy", "gelsd", "gelss")


def _pinv_backward(g, x, a):
    """gA for X = pinv(A) (A m x n, X n x m) and gX = g:
    gA = -X^T g X^T + (I - A X) g^T X X^T + X^T X g^T (I - X A)."""
    gt, xt = _mT(g), _mT(x)
    mid = gt @ x @ xt                        # g^T X X^T   (m x n)
    left = xt @ x @ gt                       # X^T X g^T   (m x n)
    return -xt @ g @ xt + mid - a @ (x @ mid) + left - (left @ x) @ a


def _pinv_array(a, atol, rtol, hermitian):
    """pinv(a) keeping the singular values (|eigenvalues| with hermitian) above
    max(atol, rtol * largest), batched; also (s, kept) of the SVD for lstsq."""
    with np.errstate(divide="ignore"):
        if hermitian:
            w, v = np.linalg.eigh(a)
            big = np.abs(w).max(-1, initial=0)
            keep = np.abs(w) > np.maximum(atol, rtol * big)[..., None]
            inv = np.where(keep, 1 / np.where(keep, w, 1), 0).astype(a.dtype)
            return (v * inv[..., None, :]) @ _mT(v), np.abs(w), keep
        u, s, vh = np.linalg.svd(a, full_matrices=False)
        keep = s > np.maximum(atol, rtol * s.max(-1, initial=0))[..., None]
        inv = np.where(keep, 1 / np.where(keep, s, 1), 0).astype(a.dtype)
        return _mT(vh) @ (inv[..., :, None] * _mT(u)), s, keep


class _Pinv(Function):
    @staticmethod
    def forward(ctx, a, atol=0.0, rtol=0.0, hermitian=False):
        x = _pinv_array(a, atol, rtol, hermitian)[0]
        ctx.save_for_backward(a, x)
        return x

    @staticmethod
    def backward(ctx, g):
        a, x = ctx.saved_tensors
        return _pinv_backward(g, x, a)


def _tolerance(t, dtype):
    return np.asarray(t._data if isinstance(t, Tensor) else t, dtype)


def pinv(A, rcond=None, hermitian=False, *, atol=None, rtol=None):
    """torch.linalg.pinv: the Moore-Penrose pseudo-inverse (..., n, m) of A (..., m, n), from
    the SVD (from eigh with hermitian=True, reading A's lower triangle), with the singular values
    at or below max(atol, rtol * sigma_max) treated as zero. Defaults as torch's: atol 0; rtol
    eps * max(m, n) when atol is not given (or <= 0), else 0. rcond (torch's older argument) is
    rtol with atol 0. atol / rtol may be floats or tensors broadcast over the batch.

    Differentiable where the rank does not change near A (gA by Golub and Pereyra's formula).

    >>> pe.linalg.pinv(pe.tensor([[1.0, 0.0], [0.0, 2.0], [0.0, 0.0]])).tolist()
    [[1.0, 0.0, 0.0], [0.0, 0.5, 0.0]]
    """
    a = _matrix("linalg.pinv", A, square=bool(hermitian))
    dt = a._data.dtype
    if rcond is not None:
        atol, rtol = 0.0, rcond
    atol = _tolerance(0.0 if atol is None else atol, dt)
    if rtol is None:
        rtol = np.where(atol > 0, 0, np.finfo(dt).eps * max(a.shape[-2:])).astype(dt)
    return _Pinv.apply(a, atol=atol, rtol=_tolerance(rtol, dt), hermitian=bool(hermitian))


def pinverse(input, rcond=1e-15):  # noqa: A002
    """torch.pinverse: pe.linalg.pinv(input, atol=0, rtol=rcond)."""
    return pinv(_matrix("pinverse", input), atol=0.0, rtol=rcond)


class _LstsqSolution(Function):
    """X = pinv(A) B with pinv(A) computed by the caller (which also needs the SVD's rank and
    singular values); gA = pinv_backward(gX B^T), gB = pinv(A)^T gX (as torch's)."""

    @staticmethod
    def forward(ctx, a, b, pinv_a=None, vector=False):
        bm = b[..., None] if vector else b
        x = pinv_a @ bm
        ctx.vector = vector
        ctx.save_for_backward(a, bm, pinv_a)
        return x[..., 0] if vector else x

    @staticmethod
    def backward(ctx, g):
        a, bm, pinv_a = ctx.saved_tensors
        gm = g[..., None] if ctx.vector else g
        ga = _pinv_backward(gm @ _mT(bm), pinv_a, a) if ctx.needs_input_grad[0] else None
        gb = _mT(pinv_a) @ gm if ctx.needs_input_grad[1] else None
        return ga, (gb[..., 0] if ctx.vector and gb is not None else gb)


def lstsq(A, B, rcond=None, *, driver=None):
    """torch.linalg.lstsq: X minimising ||A X - B||_F, A (..., m, n), B (..., m, k) or (..., m)
    (batch dims broadcast); for rank-deficient or wide A the minimum-norm X. Computed from the
    SVD whatever the driver, with singular values at or below rcond * sigma_max (default
    rcond: eps * max(m, n)) treated as zero. Returns a named tuple; as torch's on the CPU:

    - solution (..., n, k) (or (..., n)): differentiable in A and B (the pseudo-inverse's
      gradient, valid while the rank is constant);
    - residuals (..., k): the squared column norms of A X - B, for driver 'gels', 'gelsd' or
      'gelss' when m > n and every A is full rank; otherwise empty. No gradient;
    - rank (...,) int64: for 'gelsy' (the default), 'gelsd', 'gelss'; empty for 'gels';
    - singular_values (..., min(m, n)): for 'gelsd' and 'gelss'; otherwise empty.

    >>> X = pe.linalg.lstsq(pe.randn(5, 3), pe.randn(5, 2)).solution
    >>> X.shape
    (3, 2)
    """
    driver = "gelsy" if driver is None else driver
    if driver not in _DRIVERS:
        raise RuntimeError(f"[linalg.lstsq] driver must be one of {_DRIVERS}, got {driver!r}")
    a, b = _matrix("linalg.lstsq", A), B if isinstance(B, Tensor) else Tensor._from_data(B)
    vector = b.ndim == 1 or (b.ndim == a.ndim - 1 and tuple(b.shape) == tuple(a.shape[:-1]))
    if b.ndim < 1 or b.shape[-1 if vector else -2] != a.shape[-2] or (b.ndim < 2
                                                                        and not vector):
        raise RuntimeError(f"[linalg.lstsq] B of shape {tuple(b.shape)} does not fit A of shape "
                           f"{tuple(a.shape)}: expected (..., {a.shape[-2]}, k) or "
                           f"(..., {a.shape[-2]})")
    if b._data.dtype != a._data.dtype:
        raise RuntimeError(f"[linalg.lstsq] A and B must have the same dtype, got {a.dtype} "
                           f"and {b.dtype}")
    dt, (m, n) = a._data.dtype, a.shape[-2:]
    rcond = np.finfo(dt).eps * max(m, n) if rcond is None else rcond
    pinv_a, s, keep = _pinv_array(a._data, 0.0, rcond, False)
    x = _LstsqSolution.apply(a, b, pinv_a=pinv_a, vector=vector)
    rank = keep.sum(-1).astype(np.int64)
    empty = Tensor._from_data(np.zeros((0,), dt))
    residuals = empty
    if driver != "gelsy" and m > n and bool(np.all(rank == n)):
        xm = x._data[..., None] if vector else x._data
        bm = b._data[..., None] if vector else b._data
        residuals = Tensor._from_data(np.sum((a._data @ xm - bm) ** 2, axis=-2).astype(dt))
    return LstsqResult(x, residuals,
                       Tensor._from_data(np.zeros((0,), np.int64) if driver == "gels" else rank),
                       Tensor._from_data(s) if driver in ("gelsd", "gelss") else empty)
