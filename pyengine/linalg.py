"""pe.linalg (torch.linalg): norms composed of differentiable ops, and inv / det / slogdet /
solve / solve_triangular / cholesky as autograd Functions over NumPy's LAPACK (forward and backward side by side),
batched over leading dimensions. Errors name the function: a singular matrix in inv / solve,
a matrix that is not positive-definite in cholesky. The decompositions (svd, svdvals, qr, eigh,
eigvalsh) are in linalg_decompositions.py, pinv and lstsq in linalg_solvers.py."""
import numpy as np

from .autograd import Function
from .tensor import Tensor


def _T(x):
    return x if isinstance(x, Tensor) else Tensor._from_data(x)


def _square(op, a):
    if a.ndim < 2 or a.shape[-1] != a.shape[-2]:
        raise RuntimeError(f"[linalg.{op}] expects square matrices (..., n, n), got shape "
                           f"{tuple(a.shape)}")


def _mT(a):
    return np.swapaxes(a, -1, -2)


class _Inv(Function):
    @staticmethod
    def forward(ctx, a):
        try:
            out = np.linalg.inv(a)
        except np.linalg.LinAlgError:
            raise RuntimeError("[linalg.inv] the matrix is singular (not invertible)") from None
        ctx.save_for_backward(out)
        return out

    @staticmethod
    def backward(ctx, g):
        (inv,) = ctx.saved_tensors
        return -_mT(inv) @ g @ _mT(inv)  # d(A^-1) = -A^-1 dA A^-1


class _Solve(Function):
    """x = A^-1 b; b is (..., n) or (..., n, k)."""

    @staticmethod
    def forward(ctx, a, b):
        vec = b.ndim == a.ndim - 1
        try:
            x = np.linalg.solve(a, b[..., None] if vec else b)
        except np.linalg.LinAlgError:
            raise RuntimeError("[linalg.solve] the matrix is singular") from None
        x = x[..., 0] if vec else x
        ctx.vec = vec
        ctx.save_for_backward(a, x)
        return x

    @staticmethod
    def backward(ctx, g):
        a, x = ctx.saved_tensors
        gm, xm = (g[..., None], x[..., None]) if ctx.vec else (g, x)
        gb = np.linalg.solve(_mT(a), gm)  # A^-T g
        ga = -gb @ _mT(xm)
        return ga, gb[..., 0] if ctx.vec else gb


class _SlogDet(Function):
    @staticmethod
    def forward(ctx, a):
        sign, logabs = np.linalg.slogdet(a)
        ctx.save_for_backward(a)
        ctx.sign = sign
        return np.stack([sign, logabs], 0)

    @staticmethod
    def backward(ctx, g):
        (a,) = ctx.saved_tensors
        with np.errstate(all="ignore"):
            inv_t = _mT(np.linalg.inv(a))  # d log|det A| = A^-T
        return g[1][..., None, None] * inv_t


class _Cholesky(Function):
    @staticmethod
    def forward(ctx, a, upper=False):
        try:
            low = np.linalg.cholesky(a)
        except np.linalg.LinAlgError:
            raise RuntimeError("[linalg.cholesky] the matrix is not positive-definite") from None
        ctx.upper = upper
        ctx.save_for_backward(low)
        return _mT(low).copy() if upper else low

    @staticmethod
    def backward(ctx, g):
        (low,) = ctx.saved_tensors
        g = _mT(g) if ctx.upper else g
        # Murray (2016): Phi(L^T G) with Phi taking the lower triangle, diagonal halved; then
        # S = L^-T Phi L^-1, symmetrised
        p = np.tril(_mT(low) @ g)
        p -= 0.5 * np.einsum("...ii->...i", p)[..., None] * np.eye(p.shape[-1], dtype=p.dtype)
        linv = np.linalg.inv(low)
        s = _mT(linv) @ p @ linv
        return 0.5 * (s + _mT(s))


class _SolveTriangular(Function):
    """X = A^-1 B for triangular A (..., n, n) and B (..., n, k), batch axes broadcast.
    Backward: gB = A^-T gX, gA = -tri(gB X^T) (the triangle A is read from)."""

    @staticmethod
    def forward(ctx, a, b, upper=False, unitriangular=False):
        tri = np.triu if upper else np.tril
        a = tri(a)
        if unitriangular:
            a = a - np.einsum("...ii->...i", a)[..., None] * np.eye(a.shape[-1], dtype=a.dtype) \
                + np.eye(a.shape[-1], dtype=a.dtype)
        shape = np.broadcast_shapes(a.shape[:-2], b.shape[:-2])
        ab = np.broadcast_to(a, shape + a.shape[-2:])
        try:  # NumPy has no batched triangular solve; a general solve of the triangle
            x = np.linalg.solve(ab, np.broadcast_to(b, shape + b.shape[-2:]))
        except np.linalg.LinAlgError:
            raise RuntimeError("[linalg.solve_triangular] the matrix is singular (a zero on "
                               "its diagonal)") from None
        ctx.tri, ctx.unit = tri, unitriangular
        ctx.save_for_backward(ab, x)
        return x

    @staticmethod
    def backward(ctx, g):
        ab, x = ctx.saved_tensors
        gb = np.linalg.solve(_mT(ab), g)
        ga = -ctx.tri(gb @ _mT(x))
        if ctx.unit:
            ga = ga * (1 - np.eye(ga.shape[-1], dtype=ga.dtype))
        return ga, gb


def solve_triangular(A, B, *, upper, left=True, unitriangular=False):
    """torch.linalg.solve_triangular: X with A X = B, reading only A's upper or lower triangle
    (and, with unitriangular, taking its diagonal as ones)."""
    if not left:
        raise NotImplementedError("[linalg.solve_triangular] left=False is not implemented; "
                                  "solve the transposed system")
    a, b = _T(A), _T(B)
    _square("solve_triangular", a)
    if b.ndim < 2 or b.shape[-2] != a.shape[-1]:
        raise RuntimeError(f"[linalg.solve_triangular] B of shape {tuple(b.shape)} does not fit "
                           f"A of shape {tuple(a.shape)}")
    return _SolveTriangular.apply(a, b, upper=bool(upper), unitriangular=bool(unitriangular))


def inv(A):
    a = _T(A)
    _square("inv", a)
    return _Inv.apply(a)


def solve(A, B, left=True):
    if not left:
        raise NotImplementedError("[linalg.solve] left=False is not implemented; solve the "
                                  "transposed system")
    a, b = _T(A), _T(B)
    _square("solve", a)
    if not (b.ndim in (a.ndim, a.ndim - 1) and b.shape[a.ndim - 2 if b.ndim == a.ndim else -1]
            == a.shape[-1]):
        raise RuntimeError(f"[linalg.solve] B of shape {tuple(b.shape)} does not fit A of shape "
                           f"{tuple(a.shape)}")
    return _Solve.apply(a, b)


def slogdet(A):
    """(sign, log |det A|); the log differentiates (the sign is piecewise constant)."""
    a = _T(A)
    _square("slogdet", a)
    out = _SlogDet.apply(a)
    from collections import namedtuple
    return namedtuple("slogdet", ["sign", "logabsdet"])(out[0].detach(), out[1])


def det(A):
    """det A = sign * exp(log |det A|), differentiable where det A != 0."""
    sign, logabs = slogdet(A)
    return sign * logabs.exp()


def matrix_exp(A):
    """e^A of square matrices, batched (torch.matrix_exp, tf.linalg.expm): scaling and
    squaring of a degree-18 Taylor polynomial (Horner form) whose argument has 1-norm at most
    1/2, built of matmuls so that it differentiates through autograd (the truncation error,
    below 1e-22 relative, is far under float64 rounding)."""
    a = _T(A)
    _square("matrix_exp", a)
    if not a.is_floating_point():
        raise TypeError(f"[linalg.matrix_exp] expects a floating-point tensor, got {a.dtype}")
    if a.numel() == 0:
        return a.clone()
    norm1 = float(np.abs(a.detach().numpy().astype(np.float64)).sum(-2).max())
    s = int(np.ceil(np.log2(norm1 / 0.5))) if np.isfinite(norm1) and norm1 > 0.5 else 0
    x = a / float(2 ** s)
    from .creation import eye
    ident = eye(a.shape[-1], dtype=a.dtype)
    p = ident + x / 18.0
    for k in range(17, 0, -1):
        p = ident + (x @ p) / float(k)
    for _ in range(s):
        p = p @ p
    return p


expm = matrix_exp


def householder_product(A, tau):
    """The first n columns of H_1 ... H_k, H_i = I - tau_i v_i v_i^T with v_i the i-th column
    of A (m, n) below the diagonal and 1 on it (LAPACK's orgqr; torch.linalg.householder_product),
    batched, built of differentiable ops (gradients reach A and tau)."""
    a, t = _T(A), _T(tau)
    if a.ndim < 2 or a.shape[-2] < a.shape[-1]:
        raise RuntimeError(f"[linalg.householder_product] A must be (..., m, n) with m >= n, got "
                           f"{tuple(a.shape)}")
    m, n = a.shape[-2], a.shape[-1]
    if t.ndim != a.ndim - 1 or t.shape[-1] > n or tuple(t.shape[:-1]) != tuple(a.shape[:-2]):
        raise RuntimeError(f"[linalg.householder_product] tau of shape {tuple(t.shape)} does not "
                           f"fit A of shape {tuple(a.shape)} (expected (..., k), k <= {n})")
    from .creation import eye, tensor
    rows = np.arange(m)
    q = eye(m, dtype=a.dtype)
    for i in range(t.shape[-1]):
        below = tensor((rows > i).astype(a._data.dtype))
        unit = tensor((rows == i).astype(a._data.dtype))
        v = a[..., :, i] * below + unit  # (..., m)
        qv = (q @ v[..., None])  # (..., m, 1)
        q = q - (t[..., i][..., None, None] * qv) * v[..., None, :]
    return q[..., :, :n]


def cholesky(A, upper=False):
    a = _T(A)
    _square("cholesky", a)
    return _Cholesky.apply(a, upper=bool(upper))


def vector_norm(x, ord=2, dim=None, keepdim=False):  # noqa: A002
    x = _T(x)
    ax = dim if dim is None or isinstance(dim, int) else tuple(dim)
    if ord == 2:
        return (x * x).sum(dim=ax, keepdim=keepdim).sqrt()
    if ord == 1:
        return x.abs().sum(dim=ax, keepdim=keepdim)
    if ord == float("inf"):
        return x.abs().amax(() if ax is None else ax, keepdim)
    if ord == -float("inf"):
        return x.abs().amin(() if ax is None else ax, keepdim)
    if ord == 0:
        return (x != 0).astype(x.dtype).sum(dim=ax, keepdim=keepdim)
    return (x.abs() ** ord).sum(dim=ax, keepdim=keepdim) ** (1.0 / ord)


def matrix_norm(A, ord="fro", dim=(-2, -1), keepdim=False):  # noqa: A002
    a = _T(A)
    dims = tuple(dim) if isinstance(dim, (tuple, list)) else None
    if dims is None or len(dims) != 2 or not all(
            isinstance(d, (int, np.integer)) and -a.ndim <= d < a.ndim for d in dims) or \
            dims[0] % max(a.ndim, 1) == dims[1] % max(a.ndim, 1):
        raise ValueError(f"[linalg.matrix_norm] dim must be two different dimensions of the "
                         f"{a.ndim}-D input, got {dim!r}")
    if ord == "fro":
        return vector_norm(a, 2, dim, keepdim)
    d0, d1 = (int(d) % a.ndim for d in dims)
    if ord in (1, -1):  # the largest / smallest column sum of |a|
        s = a.abs().sum(dim=d0, keepdim=True)
        red = s.amax if ord == 1 else s.amin
        out = red(d1, True)
    elif ord in (float("inf"), -float("inf")):
        s = a.abs().sum(dim=d1, keepdim=True)
        red = s.amax if ord > 0 else s.amin
        out = red(d0, True)
    elif ord in ("nuc", 2, -2):  # from the singular values: their sum, largest, smallest
        rest = [d for d in range(a.ndim) if d not in (d0, d1)]
        s = svdvals(a.permute(*rest, d0, d1))
        v = s.sum(-1) if ord == "nuc" else (s.amax(-1) if ord == 2 else s.amin(-1))
        return v.unsqueeze(min(d0, d1)).unsqueeze(max(d0, d1)) if keepdim else v
    else:
        raise ValueError(f"[linalg.matrix_norm] ord must be 'fro', 'nuc', 1, -1, 2, -2, inf or "
                         f"-inf, got {ord!r}")
    return out if keepdim else out.squeeze((d0, d1))


def norm(A, ord=None, dim=None, keepdim=False):  # noqa: A002
    """torch.linalg.norm: a vector norm over one dim (or the flattened input), a matrix norm over
    two dims (ord None: 2-norm of the vector, Frobenius of the matrix)."""
    a = _T(A)
    if dim is None:
        if ord is None:
            return vector_norm(a.reshape(-1), 2, 0, False).reshape((1,) * a.ndim
                                                                   if keepdim else ())
        dim = tuple(range(a.ndim)) if a.ndim <= 2 else None
        if dim is None:
            raise RuntimeError("[linalg.norm] a specific ord needs a 1-D or 2-D input or dim")
    dims = (dim,) if isinstance(dim, int) else tuple(dim)
    if len(dims) == 1:
        return vector_norm(a, 2 if ord is None else ord, dims[0], keepdim)
    return matrix_norm(a, "fro" if ord is None else ord, dims, keepdim)


from .torch_functions_more import linalg_cross as cross  # noqa: E402  (dim=-1 default)
from .linalg_decompositions import eigh, eigvalsh, qr, svd, svdvals  # noqa: E402,F401
from .linalg_solvers import lstsq, pinv  # noqa: E402,F401


# tf.linalg.matmul (torch.linalg.matmul's two-argument form too), tf.linalg.global_norm,
# matrix_transpose, adjoint and einsum
from .tf_names_more import global_norm  # noqa: E402,F401
from .linalg_set_diag import set_diag  # noqa: E402,F401  (tf.linalg.set_diag)
from .tf_nn_more import linalg_matmul as matmul  # noqa: E402,F401
# tf.linalg.diag_part / set_diag / diag / trace / band_part / matvec, tf_linalg_diag.py
from .tf_linalg_diag import band_part, diag, diag_part, matvec, set_diag, trace  # noqa: E402,F401,E501
from .tf_nn_more import adjoint, matrix_transpose  # noqa: E402,F401
from .tf_nn_more import tf_einsum as einsum  # noqa: E402,F401
