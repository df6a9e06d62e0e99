"""More PyTorch top-level functions: order statistics (kthvalue, mode, nanmedian; quantile and
nanquantile are in torch_functions_numeric.py), running
extremes and sums (cummax, cummin, logcumsumexp), runs and combinatorics (unique_consecutive,
cartesian_prod, combinations), renorm, the trapezoid rule (trapezoid, cumulative_trapezoid),
finite-difference gradients (gradient) and Poisson draws (poisson).

Values are read through gather / indexing / compositions of pe ops, so they differentiate as in
PyTorch (to the selected element); logcumsumexp is a Function with its backward beside it.
Indices, counts and draws carry no gradient."""
import itertools
import numbers

import numpy as np

from . import random as _random
from .autograd import Function
from .tensor import Tensor
from .torch_functions_extra import _NamedPair, _dim, _need_tensor

__all__ = ["kthvalue", "mode", "nanmedian", "cummax", "cummin",
           "logcumsumexp", "unique_consecutive", "cartesian_prod", "combinations", "renorm", "trapezoid",
           "cumulative_trapezoid", "gradient", "poisson"]


def _values_indices(name):
    cls = type(name, (_NamedPair,), {
        "__doc__": f"torch.return_types.{name}: (values, indices).",
        "_fields": ("values", "indices"),
        "values": property(lambda self: self[0]),
        "indices": property(lambda self: self[1])})
    return cls


kthvalue_result = _values_indices("kthvalue")
mode_result = _values_indices("mode")
nanmedian_result = _values_indices("nanmedian")
cummax_result = _values_indices("cummax")
cummin_result = _values_indices("cummin")


def _rows(a, d):
    """a with dim d moved last, as (rows, n), and the moved shape."""
    moved = np.moveaxis(a, d, -1)
    return moved.reshape(-1, moved.shape[-1]), moved.shape


def _pick(x, d, idx_moved, keepdim, result):
    """(values, indices): x's values at idx (given with dim d last, one per row) along d."""
    idx = np.moveaxis(idx_moved[..., None], -1, d)  # keepdim shape
    values = x.gather(d, idx)
    indices = Tensor._wrap(np.ascontiguousarray(idx))
    if not keepdim:
        values, indices = values.squeeze(d), indices.squeeze(d)
    return result(values, indices)


def _int_arg(v, op, name):
    if isinstance(v, bool) or not isinstance(v, (numbers.Integral, np.integer)):
        raise TypeError(f"[{op}] {name} must be an int, got {type(v).__name__}")
    return int(v)


# ---- order statistics -------------------------------------------------------------------
def kthvalue(input, k, dim=-1, keepdim=False):
    """(values, indices) of the k-th smallest element (k from 1) along dim; NaN counts as the
    largest, equal values keep their order."""
    op = "kthvalue"
    x = _need_tensor(input, op)
    k = _int_arg(k, op, "k")
    d = _dim(dim, x.ndim, op)
    base = x.reshape(1) if x.ndim == 0 else x
    n = base.shape[d]
    if not 1 <= k <= n:
        raise IndexError(f"[{op}] selected number k={k} out of range for dimension {d} of size {n}")
    order = np.argsort(base._data, axis=d, kind="stable")
    idx = np.moveaxis(order, d, -1)[..., k - 1]
    out = _pick(base, d, idx, keepdim or x.ndim == 0, kthvalue_result)
    return out if x.ndim else kthvalue_result(out[0].reshape(()), out[1].reshape(()))


def mode(input, dim=-1, keepdim=False):
    """(values, indices) of the most frequent value along dim: the smallest of equally frequent
    values, and the index of its last occurrence (as PyTorch's CPU kernel)."""
    op = "mode"
    x = _need_tensor(input, op)
    d = _dim(dim, x.ndim, op)
    base = x.reshape(1) if x.ndim == 0 else x
    if base.shape[d] == 0:
        raise IndexError(f"[{op}] expected reduction dim {d} to have non-zero size")
    rows, moved_shape = _rows(base._data, d)
    best = np.empty(len(rows), np.int64)
    for r, row in enumerate(rows):
        vals, counts = np.unique(row, return_counts=True)  # ascending: ties go to the smallest
        v = vals[np.argmax(counts)]
        hits = np.flatnonzero(row == v) if v == v else np.flatnonzero(np.isnan(row))
        best[r] = hits[-1]
    idx = best.reshape(moved_shape[:-1])
    out = _pick(base, d, idx, keepdim or x.ndim == 0, mode_result)
    return out if x.ndim else mode_result(out[0].reshape(()), out[1].reshape(()))


def nanmedian(input, dim=None, keepdim=False):
    """The lower median of the non-NaN values (NaN where all are NaN): over all elements (a
    0-D tensor), or (values, indices) along dim."""
    op = "nanmedian"
    x = _need_tensor(input, op)
    if dim is None:
        if keepdim:
            raise TypeError(f"[{op}] keepdim needs a dim")
        flat = x.reshape(-1)
        if flat.shape[0] == 0:
            return Tensor._wrap(np.asarray(np.nan, x._data.dtype))
        return nanmedian(flat, 0).values
    d = _dim(dim, x.ndim, op)
    base = x.reshape(1) if x.ndim == 0 else x
    if base.shape[d] == 0:
        raise IndexError(f"[{op}] expected reduction dim {d} to have non-zero size")
    order = np.moveaxis(np.argsort(base._data, axis=d, kind="stable"), d, -1)  # NaN last
    count = np.moveaxis((~np.isnan(base._data)) if base._data.dtype.kind == "f" else
                        np.ones(base.shape, bool), d, -1).sum(-1)
    k = np.maximum((count - 1) // 2, 0)
    idx = np.take_along_axis(order, k[..., None], -1)[..., 0]
    out = _pick(base, d, idx, keepdim or x.ndim == 0, nanmedian_result)
    return out if x.ndim else nanmedian_result(out[0].reshape(()), out[1].reshape(()))


def _cum_extreme(input, dim, largest, result, op):
    x = _need_tensor(input, op)
    d = _dim(dim, x.ndim, op)
    if x.ndim == 0:
        return result(x.clone(), Tensor._wrap(np.zeros((), np.int64)))
    moved = np.moveaxis(x._data, d, -1)
    n = moved.shape[-1]
    idx = np.zeros(moved.shape, np.int64)
    if n:
        cur, cur_i = moved[..., 0].copy(), np.zeros(moved.shape[:-1], np.int64)
        floating = moved.dtype.kind == "f"
        for i in range(n):
            v = moved[..., i]
            with np.errstate(invalid="ignore"):
                take = (v >= cur) if largest else (v <= cur)  # ties: the later index
            if floating:
                take = take | np.isnan(v)  # a NaN wins, and stays: nothing beats it after
            cur = np.where(take, v, cur)
            cur_i = np.where(take, i, cur_i)
            idx[..., i] = cur_i
    idx = np.ascontiguousarray(np.moveaxis(idx, -1, d))
    return result(x.gather(d, idx), Tensor._wrap(idx))


def cummax(input, dim):
    """(values, indices): the running maximum along dim and where it was found (the latest of
    equal values; NaN propagates)."""
    return _cum_extreme(input, dim, True, cummax_result, "cummax")


def cummin(input, dim):
    """(values, indices): the running minimum along dim (see cummax)."""
    return _cum_extreme(input, dim, False, cummin_result, "cummin")


def _rev_logcumsumexp(a, axis):
    return np.flip(np.logaddexp.accumulate(np.flip(a, axis), axis=axis), axis)


class LogCumSumExp(Function):
    """out_i = log sum_{j <= i} exp(x_j), by logaddexp's running form (no overflow)."""

    @staticmethod
    def forward(ctx, x, dim=0):
        out = np.logaddexp.accumulate(x, axis=dim) if x.shape[dim] else x.copy()
        ctx.dim = dim
        ctx.save_for_backward(x, out)
        return out

    @staticmethod
    def backward(ctx, g):
        # dx_k = sum_{i >= k} g_i exp(x_k - out_i), split by the sign of g so that each part is
        # a log-sum-exp: exp(x_k + revlogcumsumexp(log|g| - out)) (PyTorch's formula)
        x, out = ctx.saved_tensors
        if not x.size:
            return np.zeros_like(x)
        d = ctx.dim
        with np.errstate(divide="ignore", invalid="ignore"):
            pos = np.exp(x + _rev_logcumsumexp(np.log(np.where(g > 0, g, 0)) - out, d))
            neg = np.exp(x + _rev_logcumsumexp(np.log(np.where(g < 0, -g, 0)) - out, d))
        return pos - neg


def logcumsumexp(input, dim):
    """log(cumsum(exp(input), dim)) computed without overflow; floating inputs."""
    op = "logcumsumexp"
    x = _need_tensor(input, op)
    if x._data.dtype.kind != "f":
        raise RuntimeError(f"[{op}] expects a floating point tensor, got {x.dtype}")
    d = _dim(dim, x.ndim, op)
    if x.ndim == 0:
        return x.clone()
    return LogCumSumExp.apply(x, dim=d)


# ---- runs and combinatorics --------------------------------------------------------------------
def unique_consecutive(input, return_inverse=False, return_counts=False, dim=None):
    """Collapse runs of equal consecutive elements (slices along dim) to one, optionally with
    the run number of each input element (inverse) and the run lengths (counts)."""
    op = "unique_consecutive"
    x = _need_tensor(input, op)
    a = x._data
    if dim is None:
        flat = a.reshape(-1)
        new_run = flat[1:] != flat[:-1]
        n = flat.shape[0]
    else:
        d = _dim(dim, x.ndim, op)
        if x.ndim == 0:
            raise IndexError(f"[{op}] dim {dim} is out of range for a 0-D tensor")
        rows = np.moveaxis(a, d, 0).reshape(a.shape[d], -1)
        new_run = (rows[1:] != rows[:-1]).any(1)
        n = rows.shape[0]
    starts = np.concatenate([[0], np.flatnonzero(new_run) + 1]).astype(np.int64) if n else \
        np.zeros(0, np.int64)
    counts = np.diff(np.concatenate([starts, [n]])).astype(np.int64)
    if dim is None:
        values = Tensor._wrap(np.ascontiguousarray(a.reshape(-1)[starts]))
        inverse_shape = a.shape
    else:
        values = Tensor._wrap(np.ascontiguousarray(np.take(a, starts, axis=d)))
        inverse_shape = (n,)
    out = [values]
    if return_inverse:
        inv = np.repeat(np.arange(len(starts), dtype=np.int64), counts)
        out.append(Tensor._wrap(inv.reshape(inverse_shape)))
    if return_counts:
        out.append(Tensor._wrap(counts))
    return out[0] if len(out) == 1 else tuple(out)


def cartesian_prod(*tensors):
    """All combinations of the 1-D tensors' elements, one per row (itertools.product order);
    one tensor is returned as is. Differentiable."""
    from .nn.functional import stack
    from .torch_functions import meshgrid
    op = "cartesian_prod"
    if len(tensors) == 1 and isinstance(tensors[0], (list, tuple)):
        tensors = tuple(tensors[0])
    if not tensors:
        raise TypeError(f"[{op}] expects at least one tensor")
    for i, t in enumerate(tensors):
        if _need_tensor(t, op, f"tensor {i}").ndim != 1:
            raise RuntimeError(f"[{op}] expects 1-D tensors, tensor {i} has shape "
                               f"{tuple(t.shape)}")
    if len(tensors) == 1:
        return tensors[0]
    if len({t._data.dtype for t in tensors}) > 1:
        raise RuntimeError(f"[{op}] expects all tensors to have the same dtype, got "
                           f"{[str(t.dtype) for t in tensors]}")
    grids = meshgrid(*tensors, indexing="ij")
    return stack([g.reshape(-1) for g in grids], 1)


def combinations(input, r=2, with_replacement=False):
    """The r-length combinations of a 1-D tensor's elements, one per row (itertools'
    combinations / combinations_with_replacement order). Differentiable."""
    op = "combinations"
    x = _need_tensor(input, op)
    if x.ndim != 1:
        raise RuntimeError(f"[{op}] expects a 1-D tensor, got shape {tuple(x.shape)}")
    r = _int_arg(r, op, "r")
    if r < 0:
        raise RuntimeError(f"[{op}] r must be non-negative, got {r}")
    if r == 0:
        return Tensor._wrap(np.zeros(0, x._data.dtype))
    gen = itertools.combinations_with_replacement if with_replacement else \
        itertools.combinations
    idx = np.array(list(gen(range(x.shape[0]), r)), np.int64).reshape(-1, r)
    return x[Tensor._wrap(idx.reshape(-1))].reshape(idx.shape)


def renorm(input, p, dim, maxnorm):
    """Each slice along dim whose p-norm exceeds maxnorm scaled to norm maxnorm (by
    maxnorm / (norm + 1e-7), as PyTorch); the others unchanged. Differentiable."""
    from .nn.functional import where
    op = "renorm"
    x = _need_tensor(input, op)
    if x._data.dtype.kind != "f":
        raise RuntimeError(f"[{op}] expects a floating point tensor, got {x.dtype}")
    for name, v in (("p", p), ("maxnorm", maxnorm)):
        if isinstance(v, bool) or not isinstance(v, (numbers.Real, np.number)):
            raise TypeError(f"[{op}] {name} must be a number, got {type(v).__name__}")
    if not p > 0:
        raise RuntimeError(f"[{op}] non-positive norm not supported, got p={p}")
    if maxnorm < 0:
        raise RuntimeError(f"[{op}] expected maxnorm to be >= 0 but got {maxnorm}")
    if x.ndim <= 1:
        raise RuntimeError(f"[{op}] needs at least 2 dimensions, got {x.ndim} dimensions")
    d = _dim(dim, x.ndim, op)
    others = tuple(i for i in range(x.ndim) if i != d)
    a = x.abs()
    if p == float("inf"):
        norm = a.amax(others, keepdim=True)
    elif p == 1:
        norm = a.sum(dim=others, keepdim=True)
    else:
        norm = (a ** float(p)).sum(dim=others, keepdim=True) ** (1.0 / float(p))
    over = Tensor._wrap(norm._data > maxnorm)
    factor = where(over, float(maxnorm) / (norm + 1e-7), Tensor._wrap(np.ones((), x._data.dtype)))
    return x * factor


# ---- the trapezoid rule and finite differences ------------------------------------------------
def _spacing_along(x, y, d, op):
    """The steps between samples along d: x's differences (1-D x: along d; else x broadcast
    with y), shaped to broadcast against y's pieces."""
    xt = x if isinstance(x, Tensor) else Tensor._from_data(x)
    if xt.ndim == 1:
        if xt.shape[0] != y.shape[d]:
            raise RuntimeError(f"[{op}] there must be one `x` value for each sample point: x has "
                               f"{xt.shape[0]}, y has {y.shape[d]} along dim {d}")
        dx = xt[1:] - xt[:-1]
        return dx.reshape((-1,) + (1,) * (y.ndim - 1 - d))
    nd = max(xt.ndim, y.ndim)
    xb = xt.reshape((1,) * (nd - xt.ndim) + tuple(xt.shape))
    dd = d + nd - y.ndim
    try:
        np.broadcast_shapes(tuple(xb.shape), (1,) * (nd - y.ndim) + tuple(y.shape))
    except ValueError:
        raise RuntimeError(f"[{op}] x {tuple(xt.shape)} does not broadcast with y "
                           f"{tuple(y.shape)}") from None
    if xb.shape[dd] != y.shape[d]:
        raise RuntimeError(f"[{op}] x has {xb.shape[dd]} samples along dim {d}, y has "
                           f"{y.shape[d]}")
    return xb.diff(dim=dd)


def _trapezoid_terms(y, x, dx, dim, op):
    y = _need_tensor(y, op, "y")
    if y.ndim == 0:
        raise IndexError(f"[{op}] dim {dim} is out of range for a 0-D tensor")
    d = _dim(dim, y.ndim, op)
    if x is not None and dx is not None:
        raise TypeError(f"[{op}] pass x or dx, not both")
    if y._data.dtype.kind != "f":
        from .dtypes import get_default_dtype
        y = y.to(get_default_dtype())
    lo = y[(slice(None),) * d + (slice(None, -1),)]
    hi = y[(slice(None),) * d + (slice(1, None),)]
    avg = (lo + hi) * 0.5
    if x is not None:
        return avg * _spacing_along(x, y, d, op), d
    step = 1.0 if dx is None else dx
    if isinstance(step, Tensor):
        step = step.item()
    if isinstance(step, bool) or not isinstance(step, (numbers.Real, np.number)):
        raise TypeError(f"[{op}] dx must be a number, got {type(step).__name__}")
    return avg * float(step), d


def trapezoid(y, x=None, *, dx=None, dim=-1):
    """The trapezoid rule along dim: sample points x (1-D, or broadcasting with y) or a constant
    spacing dx (default 1). Differentiable to y (and x)."""
    terms, d = _trapezoid_terms(y, x, dx, dim, "trapezoid")
    return terms.sum(dim=d)


def cumulative_trapezoid(y, x=None, *, dx=None, dim=-1):
    """The running trapezoid rule along dim (one value fewer than y has along dim)."""
    terms, d = _trapezoid_terms(y, x, dx, dim, "cumulative_trapezoid")
    if terms.shape[d] == 0:
        return terms
    return terms.cumsum(d)


def _gradient_dims(x, dim, op):
    if dim is None:
        return list(range(x.ndim))
    dims = [dim] if isinstance(dim, (numbers.Integral, np.integer)) else list(dim)
    out = [_dim(v, x.ndim, op) for v in dims]
    if len(set(out)) != len(out):
        raise RuntimeError(f"[{op}] dim {dim} names a dimension twice")
    return out


def _coefficients(h, n, edge_order, npd):
    """(rows, coefs) per output position group: interior, first, last; h is the coordinate
    array (float64) of the n samples along the dim. NumPy's np.gradient formulas."""
    dx = np.diff(h)
    dx1, dx2 = dx[:-1], dx[1:]
    inner = (-dx2 / (dx1 * (dx1 + dx2)), (dx2 - dx1) / (dx1 * dx2), dx1 / (dx2 * (dx1 + dx2)))
    if edge_order == 1:
        first = ((0, 1), (-1 / dx[0], 1 / dx[0]))
        last = ((n - 2, n - 1), (-1 / dx[-1], 1 / dx[-1]))
    else:
        a1, a2 = dx[0], dx[1]
        first = ((0, 1, 2), (-(2 * a1 + a2) / (a1 * (a1 + a2)), (a1 + a2) / (a1 * a2),
                             -a1 / (a2 * (a1 + a2))))
        b1, b2 = dx[-2], dx[-1]
        last = ((n - 3, n - 2, n - 1), (b2 / (b1 * (b1 + b2)), -(b2 + b1) / (b1 * b2),
                                        (2 * b2 + b1) / (b2 * (b1 + b2))))
    cast = (lambda c: np.asarray(c, npd))
    return [cast(c) for c in inner], (first[0], [cast(c) for c in first[1]]), \
        (last[0], [cast(c) for c in last[1]])


def gradient(input, *, spacing=1, dim=None, edge_order=1):
    """The derivative estimate of input along each of `dim` (all dims by default) by central
    differences inside and one-sided ones (edge_order 1 or 2) at the ends, as np.gradient:
    spacing is a number, one number per dim, or one 1-D coordinate tensor per dim. Returns a
    tuple of tensors. Differentiable to input."""
    from .nn.functional import cat
    op = "gradient"
    x = _need_tensor(input, op)
    if edge_order not in (1, 2) or isinstance(edge_order, bool):
        raise ValueError(f"[{op}] edge_order must be 1 or 2, got {edge_order!r}")
    dims = _gradient_dims(x, dim, op)
    if isinstance(spacing, (list, tuple)):
        if len(spacing) != len(dims):
            raise RuntimeError(f"[{op}] expected spacing to be unspecified, a scalar or a list of "
                               f"length {len(dims)} (one per dim), got a list of length "
                               f"{len(spacing)}")
        spacings = list(spacing)
    elif isinstance(spacing, Tensor) and spacing.ndim > 0:
        raise TypeError(f"[{op}] coordinates go in a list, one 1-D tensor per dim: "
                        f"spacing=[t], got a bare {spacing.ndim}-D tensor")
    else:
        spacings = [spacing] * len(dims)
    if x._data.dtype.kind != "f":
        from .dtypes import get_default_dtype
        x = x.to(get_default_dtype())
    npd = x._data.dtype
    out = []
    for d, s in zip(dims, spacings):
        n = x.shape[d]
        if n < edge_order + 1:
            raise RuntimeError(f"[{op}] expected each dimension size to be at least "
                               f"edge_order+1, got size {n} along dim {d}")
        if isinstance(s, Tensor) and s.ndim == 1:
            h = s._data.astype(np.float64)
            if h.shape[0] != n:
                raise RuntimeError(f"[{op}] the coordinates for dim {d} have {h.shape[0]} "
                                   f"values, the input has {n}")
        else:
            step = s.item() if isinstance(s, Tensor) else s
            if isinstance(step, bool) or not isinstance(step, (numbers.Real, np.number)):
                raise TypeError(f"[{op}] spacing must be numbers or 1-D tensors, got "
                                f"{type(s).__name__}")
            h = np.arange(n, dtype=np.float64) * float(step)
        inner, first, last = _coefficients(h, n, edge_order, npd)
        bshape = (-1,) + (1,) * (x.ndim - 1 - d)
        cut = (slice(None),) * d

        def piece(lo, hi):
            return x[cut + (slice(lo, hi),)]
        parts = []

        def edge(rows, coefs):
            acc = None
            for r, c in zip(rows, coefs):
                term = piece(r, r + 1) * float(c)
                acc = term if acc is None else acc + term
            return acc
        parts.append(edge(*first))
        if n > 2:
            mid = (piece(0, n - 2) * Tensor._wrap(inner[0].reshape(bshape))
                   + piece(1, n - 1) * Tensor._wrap(inner[1].reshape(bshape))
                   + piece(2, n) * Tensor._wrap(inner[2].reshape(bshape)))
            parts.append(mid)
        parts.append(edge(*last))
        out.append(cat(parts, d))
    return tuple(out)


def poisson(input, generator=None):
    """One Poisson(rate) draw per element of input (the rates, non-negative), in input's
    float dtype, from pyengine's generator (or `generator`). Carries no gradient."""
    op = "poisson"
    x = _need_tensor(input, op)
    if x._data.dtype.kind != "f":
        raise RuntimeError(f"[{op}] expects a floating point tensor of rates, got {x.dtype}")
    rates = x._data.astype(np.float64)
    if not np.isfinite(rates).all() or (rates < 0).any():
        raise RuntimeError(f"[{op}] invalid Poisson rate, expected rate to be non-negative and "
                           "finite")
    draw = _random.get_generator(generator).poisson(rates)
    return Tensor._wrap(np.asarray(draw, x._data.dtype), x._device)


_METHODS = ("kthvalue", "mode", "nanmedian", "cummax", "cummin",
            "logcumsumexp", "unique_consecutive", "renorm")


def install_methods():
    """x.kthvalue(...) & co. as Tensor methods (where Tensor has none of the name)."""
    from .torch_functions_extra import _method
    g = globals()
    for name in _METHODS:
        if not hasattr(Tensor, name):
            setattr(Tensor, name, _method(g[name]))


install_methods()
