"""Autograd Functions behind PyTorch tensor functions that are not compositions of other ops:
running sums and products, products over an axis, diagonals, the less common elementwise math
(tan, asin, ..., atan2) and the scatter family. Forward and backward side by side; the engine
reduces gradients of broadcast operands (atan2)."""
import numpy as np

from ..autograd import Function


def _axis(dim, ndim, op):
    if not isinstance(dim, (int, np.integer)) or isinstance(dim, bool) or \
            not -max(ndim, 1) <= dim < max(ndim, 1):
        raise IndexError(f"[{op}] dim {dim!r} out of range for a {ndim}-D tensor")
    return int(dim) % max(ndim, 1)


def _reverse_cumsum(g, axis):
    return np.flip(np.cumsum(np.flip(g, axis), axis), axis)


class CumSum(Function):
    @staticmethod
    def forward(ctx, x, dim=0):
        ctx.dim = dim
        return np.cumsum(x, axis=dim, dtype=x.dtype if x.dtype.kind == "f" else np.int64)

    @staticmethod
    def backward(ctx, g):
        return _reverse_cumsum(g, ctx.dim)  # each x_k feeds every running sum from k on


class CumProd(Function):
    @staticmethod
    def forward(ctx, x, dim=0):
        out = np.cumprod(x, axis=dim, dtype=x.dtype if x.dtype.kind == "f" else np.int64)
        ctx.dim = dim
        ctx.save_for_backward(x, out)
        return out

    @staticmethod
    def backward(ctx, g):
        x, out = ctx.saved_tensors
        dim = ctx.dim
        if (x != 0).all():  # d out_i / d x_k = out_i / x_k for i >= k
            return _reverse_cumsum(g * out, dim) / x
        # zeros: per position k, sum over i >= k of g_i * prod_{j <= i, j != k} x_j, exactly
        xm, gm = np.moveaxis(x, dim, -1), np.moveaxis(g, dim, -1)
        n = xm.shape[-1]
        gx = np.zeros_like(xm)
        for k in range(n):
            left = np.prod(xm[..., :k], axis=-1, keepdims=True)       # x_0 .. x_{k-1}
            right = np.cumprod(xm[..., k + 1:], axis=-1)              # x_{k+1} .. x_i
            terms = np.concatenate([np.ones_like(left), right], -1)   # i = k, k + 1, ...
            gx[..., k] = (left * terms * gm[..., k:]).sum(-1)
        return np.moveaxis(gx, -1, dim)


class Prod(Function):
    """The product over one axis (dim) or all elements (dim None)."""

    @staticmethod
    def forward(ctx, x, dim=None, keepdim=False):
        ctx.dim, ctx.keepdim, ctx.shape = dim, keepdim, x.shape
        ctx.save_for_backward(x)
        kind = x.dtype if x.dtype.kind == "f" else np.int64
        return np.asarray(np.prod(x, axis=dim, keepdims=keepdim, dtype=kind))

    @staticmethod
    def backward(ctx, g):
        (x,) = ctx.saved_tensors
        flat = x.reshape(-1) if ctx.dim is None else np.moveaxis(x, ctx.dim, -1)
        # the product of all the others, by products from the left and from the right (exact
        # with zeros, where out / x_k is not)
        ones = np.ones(flat.shape[:-1] + (1,), x.dtype)
        left = np.cumprod(np.concatenate([ones, flat[..., :-1]], -1), -1)
        right = np.flip(np.cumprod(np.concatenate([ones, np.flip(flat, -1)[..., :-1]], -1), -1),
                        -1)
        others = left * right
        if ctx.dim is None:
            return (others * g).reshape(ctx.shape)
        gk = g if ctx.keepdim else np.expand_dims(g, ctx.dim)
        return np.moveaxis(others, -1, ctx.dim) * gk


class Diag(Function):
    """1-D -> the square matrix with it on diagonal k; 2-D -> its diagonal k (a copy)."""

    @staticmethod
    def forward(ctx, x, k=0):
        ctx.k, ctx.shape = k, x.shape
        return np.array(np.diag(x, k))

    @staticmethod
    def backward(ctx, g):
        if len(ctx.shape) == 1:
            return np.array(np.diag(g, ctx.k))
        out = np.zeros(ctx.shape, g.dtype)
        i = np.arange(len(g))
        if ctx.k >= 0:
            out[i, i + ctx.k] = g
        else:
            out[i - ctx.k, i] = g
        return out


# name -> (forward, derivative from (x, out))
_UNARY = {
    "tan": (np.tan, lambda x, y: 1 + y * y),
    "asin": (np.arcsin, lambda x, y: 1 / np.sqrt(1 - x * x)),
    "acos": (np.arccos, lambda x, y: -1 / np.sqrt(1 - x * x)),
    "atan": (np.arctan, lambda x, y: 1 / (1 + x * x)),
    "sinh": (np.sinh, lambda x, y: np.cosh(x)),
    "cosh": (np.cosh, lambda x, y: np.sinh(x)),
    "asinh": (np.arcsinh, lambda x, y: 1 / np.sqrt(x * x + 1)),
    "acosh": (np.arccosh, lambda x, y: 1 / np.sqrt(x * x - 1)),
    "atanh": (np.arctanh, lambda x, y: 1 / (1 - x * x)),
    "expm1": (np.expm1, lambda x, y: y + 1),
    "log2": (np.log2, lambda x, y: 1 / (x * np.log(2.0))),
    "log10": (np.log10, lambda x, y: 1 / (x * np.log(10.0))),
    "exp2": (np.exp2, lambda x, y: y * np.log(2.0)),
    "trunc": (np.trunc, lambda x, y: np.zeros_like(x)),
    "frac": (lambda x: x - np.trunc(x), lambda x, y: np.ones_like(x)),
    "reciprocal": (lambda x: 1 / x, lambda x, y: -y * y),
    "rsqrt": (lambda x: 1 / np.sqrt(x), lambda x, y: -0.5 * y * y * y),
}


class UnaryMath(Function):
    @staticmethod
    def forward(ctx, x, name="tan"):
        if x.dtype.kind != "f":
            x = x.astype(np.float32)
        f, _ = _UNARY[name]
        with np.errstate(all="ignore"):  # nan / inf outside the domain, as PyTorch
            out = np.asarray(f(x), x.dtype)
        ctx.name = name
        ctx.save_for_backward(x, out)
        return out

    @staticmethod
    def backward(ctx, g):
        x, out = ctx.saved_tensors
        with np.errstate(all="ignore"):
            return (g * _UNARY[ctx.name][1](x, out)).astype(g.dtype, copy=False)


class Atan2(Function):
    """atan2(y, x), broadcasting; d/dy = x / (x^2 + y^2), d/dx = -y / (x^2 + y^2)."""

    @staticmethod
    def forward(ctx, y, x):
        dtype = np.result_type(y.dtype if y.dtype.kind == "f" else np.float32,
                               x.dtype if x.dtype.kind == "f" else np.float32)
        y, x = y.astype(dtype, copy=False), x.astype(dtype, copy=False)
        ctx.save_for_backward(y, x)
        return np.arctan2(y, x)

    @staticmethod
    def backward(ctx, g):
        y, x = ctx.saved_tensors
        with np.errstate(all="ignore"):
            r = x * x + y * y
            return g * x / r, -g * y / r


def scatter_key(dim, index):
    """The fancy-index tuple that puts index (any shape) along dim, other axes by position."""
    grids = list(np.indices(index.shape, sparse=True))
    grids[dim] = index
    return tuple(np.broadcast_to(gr, index.shape) for gr in grids)


def check_scatter(op, x_shape, dim, index, src_shape):
    if index.dtype.kind not in "iu":
        raise TypeError(f"[{op}] index must hold integers, got {index.dtype}")
    if index.ndim != len(x_shape):
        raise RuntimeError(f"[{op}] index has {index.ndim} dims but the tensor has "
                           f"{len(x_shape)}")
    if src_shape is not None and (len(src_shape) != index.ndim or
                                  any(i > s for i, s in zip(index.shape, src_shape))):
        raise RuntimeError(f"[{op}] index {index.shape} must not be larger than src "
                           f"{tuple(src_shape)} in any dimension")
    if any(i > s for d, (i, s) in enumerate(zip(index.shape, x_shape)) if d != dim):
        raise RuntimeError(f"[{op}] index {index.shape} must not be larger than the tensor "
                           f"{tuple(x_shape)} outside dim {dim}")
    n = x_shape[dim]
    if index.size and (index.min() < -n or index.max() >= n):
        raise IndexError(f"[{op}] index out of range for dimension {dim} of size {n}")


class Scatter(Function):
    """out = x with out[index along dim] = src (add: += src, duplicates accumulate)."""

    @staticmethod
    def forward(ctx, x, src, dim=0, index=None, add=False):
        key = scatter_key(dim, index)
        ctx.key, ctx.add, ctx.src_shape = key, add, src.shape
        part = src[tuple(slice(0, s) for s in index.shape)]
        out = x.copy()
        if add:
            np.add.at(out, key, part)
        else:
            out[key] = part
        return out

    @staticmethod
    def backward(ctx, g):
        gx = g
        if not ctx.add:  # overwritten positions do not reach x
            gx = g.copy()
            gx[ctx.key] = 0
        gsrc = np.zeros(ctx.src_shape, g.dtype)
        gsrc[tuple(slice(0, s) for s in ctx.key[0].shape)] = g[ctx.key]
        return gx, gsrc


class IndexAdd(Function):
    """out = x; out[..., index[i], ...] += alpha * source[..., i, ...] along dim."""

    @staticmethod
    def forward(ctx, x, source, dim=0, index=None, alpha=1.0):
        ctx.dim, ctx.index, ctx.alpha = dim, index, alpha
        out = x.copy()
        key = (slice(None),) * dim + (index,)
        np.add.at(out, key, source * alpha if alpha != 1 else source)
        return out

    @staticmethod
    def backward(ctx, g):
        key = (slice(None),) * ctx.dim + (ctx.index,)
        gs = g[key]
        return g, gs * ctx.alpha if ctx.alpha != 1 else gs
