"""pe.linalg decompositions (torch.linalg): svd / svdvals, qr, eigh / eigvalsh as autograd
Functions over NumPy's LAPACK, forward and backward side by side, batched over leading dims,
float32 and float64. pinv and lstsq (pyengine/linalg_solvers.py) build on them.

autograd records one output per Function, so a decomposition returns its factors flattened side
by side along one last axis (`_pack`) and `_split` hands back differentiable views of them; the
backward unpacks the incoming gradient the same way. A factor the loss does not use gets an
all-zero gradient, which the backward treats as absent (as torch treats an undefined one): an
unused U of an svd with repeated singular values then gives no 0/0."""
from collections import namedtuple

import numpy as np

from .autograd import Function
from .tensor import Tensor

SVDResult = namedtuple("linalg_svd", ["U", "S", "Vh"])
LegacySVDResult = namedtuple("svd", ["U", "S", "V"])
QRResult = namedtuple("linalg_qr", ["Q", "R"])
EighResult = namedtuple("linalg_eigh", ["eigenvalues", "eigenvectors"])


def _matrix(op, A, square=False):
    """A as a float32 / float64 Tensor of matrices (..., m, n), or an error naming op."""
    a = A if isinstance(A, Tensor) else Tensor._from_data(A)
    if a.ndim < 2:
        raise RuntimeError(f"[{op}] expects matrices (..., m, n) of at least 2 dimensions, got "
                           f"shape {tuple(a.shape)}")
    if a._data.dtype not in (np.float32, np.float64):
        raise RuntimeError(f"[{op}] expects a float32 or float64 tensor, got {a.dtype}")
    if square and a.shape[-1] != a.shape[-2]:
        raise RuntimeError(f"[{op}] expects square matrices (..., n, n), got shape "
                           f"{tuple(a.shape)}")
    return a


def _mT(a):
    return np.swapaxes(a, -1, -2)


def _pack(nbatch, *arrays):
    batch = arrays[0].shape[:nbatch]
    return np.concatenate([x.reshape(batch + (int(np.prod(x.shape[nbatch:])),))
                           for x in arrays], -1)


def _unpack(g, shapes):
    """The gradient pieces of a packed output; None for one that is all zeros (unused)."""
    out, off, batch = [], 0, g.shape[:-1]
    for shape in shapes:
        size = int(np.prod(shape))
        piece = g[..., off:off + size].reshape(batch + shape)
        out.append(piece if piece.any() else None)
        off += size
    return out


def _split(packed, shapes):
    out, off, batch = [], 0, tuple(packed.shape[:-1])
    for shape in shapes:
        size = int(np.prod(shape))
        out.append(packed[..., off:off + size].reshape(batch + shape))
        off += size
    return out


def _diag_embed(v):
    return v[..., :, None] * np.eye(v.shape[-1], dtype=v.dtype)


# ---- svd ---------------------------------------------------------------------------------------
def _svd_backward(gu, gs, gvh, u, s, vh):
    """gA of the reduced SVD A = U diag(S) Vh (U m x k, Vh k x n), as torch's svd_backward:
    gA = U [(skew(U^T gU) S + S skew(V^T gV)) / E + diag(gS)] Vh
         + (I - U U^T) gU S^-1 Vh + U S^-1 gVh (I - V V^T),  E_jk = S_k^2 - S_j^2 (j != k).
    Repeated singular values make E zero off the diagonal (the singular vectors are not unique);
    a zero singular value makes S^-1 infinite, where the extra terms are needed."""
    m, n = u.shape[-2], vh.shape[-1]
    ga = np.zeros(s.shape + s.shape[-1:], s.dtype)
    if gu is not None or gvh is not None:
        s2 = s * s
        e = s2[..., None, :] - s2[..., :, None]
        e += np.eye(s.shape[-1], dtype=s.dtype)  # the diagonal of the skew parts is zero
        if gu is not None:
            utgu = _mT(u) @ gu
            ga += (utgu - _mT(utgu)) * s[..., None, :]
        if gvh is not None:
            vtgv = vh @ _mT(gvh)
            ga += s[..., :, None] * (vtgv - _mT(vtgv))
        ga /= e
    if gs is not None:
        ga += _diag_embed(gs)
    if m > n and gu is not None:
        gus = gu / s[..., None, :]
        return (u @ ga + gus - u @ (_mT(u) @ gus)) @ vh
    if m < n and gvh is not None:
        sgvh = gvh / s[..., :, None]
        return u @ (ga @ vh + sgvh - (sgvh @ _mT(vh)) @ vh)
    return u @ ga @ vh


class _SVD(Function):
    """(U, S, Vh) packed; full_matrices adds the columns of U and rows of Vh past k = min(m, n),
    whose gradient is ignored (they are any basis of the complement, as torch documents)."""

    @staticmethod
    def forward(ctx, a, full_matrices=True):
        u, s, vh = np.linalg.svd(a, full_matrices=full_matrices)
        k = s.shape[-1]
        ctx.shapes = (u.shape[-2:], s.shape[-1:], vh.shape[-2:])
        ctx.save_for_backward(u[..., :k], s, vh[..., :k, :])
        return _pack(a.ndim - 2, u, s, vh)

    @staticmethod
    def backward(ctx, g):
        u, s, vh = ctx.saved_tensors
        gu, gs, gvh = _unpack(g, ctx.shapes)
        k = s.shape[-1]
        gu = None if gu is None else gu[..., :k]
        gvh = None if gvh is None else gvh[..., :k, :]
        return _svd_backward(gu, gs, gvh, u, s, vh)


class _SVDVals(Function):
    """S alone: gA = U diag(gS) Vh, defined for repeated singular values too."""

    @staticmethod
    def forward(ctx, a):
        if ctx.needs_input_grad is None:
            return np.linalg.svd(a, compute_uv=False)
        u, s, vh = np.linalg.svd(a, full_matrices=False)
        ctx.save_for_backward(u, vh)
        return s

    @staticmethod
    def backward(ctx, g):
        u, vh = ctx.saved_tensors
        return (u * g[..., None, :]) @ vh


def svd(A, full_matrices=True):
    """torch.linalg.svd: A = U diag(S) Vh with S descending, A (..., m, n), k = min(m, n):
    U (..., m, k) or (..., m, m), S (..., k), Vh (..., k, n) or (..., n, n) with full_matrices.
    Returns a named tuple (U, S, Vh).

    Gradients flow through all three (the reduced-SVD formula). With full_matrices=True the
    gradient of U[..., k:] and Vh[..., k:, :] is ignored, as in torch. The singular vectors are
    unique only up to sign, and not at all for repeated singular values: a loss that depends on
    them is differentiable only if it is invariant to those choices (U diag(S) Vh, |U| ...), and
    the gradient is infinite or NaN where singular values repeat (or, for m != n, are zero).

    >>> U, S, Vh = pe.linalg.svd(pe.randn(4, 3), full_matrices=False)
    >>> ((U * S[..., None, :]) @ Vh).shape     # A back
    (4, 3)
    """
    a = _matrix("linalg.svd", A)
    m, n = a.shape[-2:]
    k = min(m, n)
    shapes = ((m, m if full_matrices else k), (k,), (n if full_matrices else k, n))
    return SVDResult(*_split(_SVD.apply(a, full_matrices=bool(full_matrices)), shapes))


def svdvals(A):
    """torch.linalg.svdvals: the singular values (..., min(m, n)), descending; differentiable
    (gA = U diag(gS) Vh) even where they repeat."""
    return _SVDVals.apply(_matrix("linalg.svdvals", A))


def svd_legacy(input, some=True, compute_uv=True):  # noqa: A002
    """torch.svd: (U, S, V) with V = Vh^T (not Vh); some=False gives the full U and V. With
    compute_uv=False, U and V are zero-filled (m, m) and (n, n) matrices, as torch returns."""
    if not compute_uv:
        a = _matrix("svd", input)
        m, n = a.shape[-2:]
        zeros = np.zeros  # torch's placeholders: no gradient, zeros of the full shapes
        return LegacySVDResult(Tensor._from_data(zeros(a.shape[:-2] + (m, m), a._data.dtype)),
                               svdvals(a),
                               Tensor._from_data(zeros(a.shape[:-2] + (n, n), a._data.dtype)))
    u, s, vh = svd(_matrix("svd", input), full_matrices=not some)
    return LegacySVDResult(u, s, vh.mT)


# ---- qr ----------------------------------------------------------------------------------------
_QR_MODES = ("reduced", "complete", "r")


def _qr_backward_tall(gq, gr, q, r):
    """gA of A = Q R for m >= n (Q m x n, R n x n upper): with M = R gR^T - gQ^T Q,
    gA = (gQ + Q copyltu(M)) R^-T, copyltu(M) = tril(M) + tril(M, -1)^T."""
    mm = r @ _mT(gr) - _mT(gq) @ q
    low = np.tril(mm, -1)
    b = gq + q @ (low + _mT(low) + _diag_embed(np.einsum("...ii->...i", mm)))
    try:
        return _mT(np.linalg.solve(r, _mT(b)))  # b R^-T
    except np.linalg.LinAlgError:
        raise RuntimeError("[linalg.qr] backward: R is singular (A has linearly dependent "
                           "columns), the gradient is not defined") from None


class _QR(Function):
    """(Q, R) packed (mode 'r': R only)."""

    @staticmethod
    def forward(ctx, a, mode="reduced"):
        if mode == "r":
            r = np.linalg.qr(a, mode="r")
            ctx.mode, ctx.shapes = mode, (r.shape[-2:],)
            return _pack(a.ndim - 2, r)
        q, r = np.linalg.qr(a, mode=mode)
        ctx.mode, ctx.shapes = mode, (q.shape[-2:], r.shape[-2:])
        ctx.save_for_backward(q, r)
        return _pack(a.ndim - 2, q, r)

    @staticmethod
    def backward(ctx, g):
        if ctx.mode == "r":
            raise RuntimeError("[linalg.qr] the derivative depends on Q, which mode='r' does not "
                               "compute; use mode='reduced' to differentiate through linalg.qr")
        q, r = ctx.saved_tensors
        m, n = q.shape[-2], r.shape[-1]
        if ctx.mode == "complete" and m > n:
            raise RuntimeError("[linalg.qr] the QR decomposition is not differentiable when "
                               f"mode='complete' and rows > columns (got {m} x {n})")
        gq, gr = _unpack(g, ctx.shapes)
        gq = np.zeros_like(q) if gq is None else gq
        gr = np.zeros_like(r) if gr is None else gr
        if m >= n:
            return _qr_backward_tall(gq, gr, q, r)
        # A = [X | Y] with X = Q U square, R = [U | V], V = Q^T Y: V feeds back into Q's
        # gradient (gQ + Y gV^T) and gY = Q gV
        a_y = q @ r[..., m:]
        gx = _qr_backward_tall(gq + a_y @ _mT(gr[..., m:]), gr[..., :m], q, r[..., :m])
        return np.concatenate([gx, q @ gr[..., m:]], -1)


def qr(A, mode="reduced"):
    """torch.linalg.qr: A = Q R, A (..., m, n), k = min(m, n), Q with orthonormal columns, R
    upper triangular. mode 'reduced': Q (..., m, k), R (..., k, n); 'complete': Q (..., m, m),
    R (..., m, n); 'r': R only (Q is an empty tensor). Returns a named tuple (Q, R).

    Differentiable for mode='reduced' (and 'complete' when m <= n, where it is the same); the
    backward of 'r' and of 'complete' with m > n raises, as torch's. The signs of R's diagonal
    are LAPACK's (not made positive), as torch's.

    >>> Q, R = pe.linalg.qr(pe.randn(5, 3))
    >>> Q.shape, R.shape
    ((5, 3), (3, 3))
    """
    if mode not in _QR_MODES:
        raise RuntimeError(f"[linalg.qr] mode must be 'reduced', 'complete' or 'r', got {mode!r}")
    a = _matrix("linalg.qr", A)
    m, n = a.shape[-2:]
    k = min(m, n)
    out = _QR.apply(a, mode=mode)
    if mode == "r":
        (r,) = _split(out, ((k, n),))
        return QRResult(Tensor._from_data(np.zeros((0,), a._data.dtype)), r)
    shapes = ((m, k), (k, n)) if mode == "reduced" else ((m, m), (m, n))
    return QRResult(*_split(out, shapes))


def qr_legacy(input, some=True):  # noqa: A002
    """torch.qr: linalg.qr with mode 'reduced' (some=True) or 'complete'."""
    return qr(input, "reduced" if some else "complete")


# ---- eigh --------------------------------------------------------------------------------------
class _Eigh(Function):
    """(eigenvalues, eigenvectors) packed.
    gA = V (diag(gL) + skew(V^T gV) / 2 / E) V^T,  E_ij = L_j - L_i (i != j)."""

    @staticmethod
    def forward(ctx, a, uplo="L"):
        w, v = np.linalg.eigh(a, UPLO=uplo)
        ctx.shapes = (w.shape[-1:], v.shape[-2:])
        ctx.save_for_backward(w, v)
        return _pack(a.ndim - 2, w, v)

    @staticmethod
    def backward(ctx, g):
        w, v = ctx.saved_tensors
        gw, gv = _unpack(g, ctx.shapes)
        inner = np.zeros(v.shape, v.dtype)
        if gv is not None:
            vtgv = _mT(v) @ gv
            e = w[..., None, :] - w[..., :, None]
            e += np.eye(w.shape[-1], dtype=w.dtype)
            inner = 0.5 * (vtgv - _mT(vtgv)) / e
        if gw is not None:
            inner += _diag_embed(gw)
        return v @ inner @ _mT(v)


class _EigvalsH(Function):
    """Eigenvalues alone: gA = V diag(gL) V^T, defined for repeated eigenvalues too."""

    @staticmethod
    def forward(ctx, a, uplo="L"):
        if ctx.needs_input_grad is None:
            return np.linalg.eigvalsh(a, UPLO=uplo)
        w, v = np.linalg.eigh(a, UPLO=uplo)
        ctx.save_for_backward(v)
        return w

    @staticmethod
    def backward(ctx, g):
        (v,) = ctx.saved_tensors
        return (v * g[..., None, :]) @ _mT(v)


def _uplo(op, UPLO):
    if UPLO not in ("L", "U"):
        raise RuntimeError(f"[{op}] UPLO must be 'L' or 'U', got {UPLO!r}")
    return UPLO


def eigh(A, UPLO="L"):
    """torch.linalg.eigh: A = V diag(L) V^T for symmetric A (..., n, n), reading only its lower
    (UPLO='L') or upper triangle. Returns a named tuple (eigenvalues (..., n) ascending,
    eigenvectors (..., n, n) as columns).

    The gradient is the symmetric one (as torch's: it assumes A is symmetric, whichever triangle
    is read). Eigenvectors are unique only up to sign, and not at all for repeated eigenvalues:
    a loss of them must be invariant to that, and its gradient is infinite or NaN where
    eigenvalues repeat (the gaps L_j - L_i divide it).

    >>> L, V = pe.linalg.eigh(pe.tensor([[2.0, 1.0], [1.0, 2.0]]))
    >>> L.tolist()
    [1.0, 3.0]
    """
    a = _matrix("linalg.eigh", A, square=True)
    n = a.shape[-1]
    out = _Eigh.apply(a, uplo=_uplo("linalg.eigh", UPLO))
    return EighResult(*_split(out, ((n,), (n, n))))


def eigvalsh(A, UPLO="L"):
    """torch.linalg.eigvalsh: the eigenvalues of symmetric A, ascending; differentiable
    (gA = V diag(gL) V^T) even where they repeat."""
    a = _matrix("linalg.eigvalsh", A, square=True)
    return _EigvalsH.apply(a, uplo=_uplo("linalg.eigvalsh", UPLO))
