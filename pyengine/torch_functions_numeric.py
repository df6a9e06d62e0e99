"""PyTorch's numeric top-level functions that pyengine lacked (each also a Tensor method):
order statistics (quantile, nanquantile, msort), NaN-aware and second-moment statistics
(nanmean, cov, corrcoef), log-space sums (logaddexp, logaddexp2), sign and float-format
helpers (signbit, copysign, heaviside, frexp, ldexp, nextafter), unit changes (deg2rad,
rad2deg), integer arithmetic (gcd, lcm), set membership (isin) and matrix builders (diagflat,
vander).

The differentiable ones are compositions of differentiable pe ops (gather, where, sum, mm,
exp / log ...), so gradients come from the one engine; isin, signbit, heaviside, frexp,
nextafter, gcd and lcm return tensors without gradient, as in PyTorch. Errors start with the
op's name."""
import numbers

import numpy as np

from .tensor import Tensor
from .torch_functions_extra import _dim, _dtype_of, _float_pair, _NamedPair, _need_tensor, nansum

__all__ = ["quantile", "nanquantile", "nanmean", "isin", "cov", "corrcoef", "logaddexp",
           "logaddexp2", "signbit", "copysign", "heaviside", "deg2rad", "rad2deg", "gcd", "lcm",
           "frexp", "ldexp", "nextafter", "msort", "diagflat", "vander"]

_INTERPOLATIONS = ("linear", "lower", "higher", "midpoint", "nearest")


def _const(a, like):
    """A constant tensor (no gradient) holding `a` in the dtype of the tensor `like`."""
    return Tensor._wrap(np.asarray(a, like._data.dtype))


def _need_float(x, op):
    if x._data.dtype.kind != "f":
        raise RuntimeError(f"[{op}] expects a floating point tensor, got {x.dtype}")
    return x


def _tensor_or_number(v, op, name):
    if isinstance(v, Tensor):
        return v
    if isinstance(v, (numbers.Number, np.number)):
        return Tensor._from_data(v)
    raise TypeError(f"[{op}] {name} must be a pe.Tensor or a number, got {type(v).__name__}")


# ---- order statistics -------------------------------------------------------------------
def _q_array(q, x, op):
    """q as a float64 array (0-D or 1-D), checked as torch does."""
    if isinstance(q, Tensor):
        if q.ndim > 1:
            raise RuntimeError(f"[{op}] q must be a scalar or 1D tensor, got {q.ndim}-D")
        if q._data.dtype != x._data.dtype:
            raise RuntimeError(f"[{op}] q tensor must be same dtype as the input tensor, got "
                               f"{q.dtype} and {x.dtype}")
        qa = q._data.astype(np.float64)
    elif isinstance(q, (numbers.Real, np.floating, np.integer)) and not isinstance(q, bool):
        qa = np.asarray(float(q))
    else:
        raise TypeError(f"[{op}] q must be a float or a pe.Tensor, got {type(q).__name__}")
    if not np.all((qa >= 0) & (qa <= 1)):
        raise RuntimeError(f"[{op}] q must be in the range [0, 1] but got {q!r}")
    return qa


def _quantile(input, q, dim, keepdim, interpolation, op, ignore_nan):
    x = _need_tensor(input, op)
    if x._data.dtype.kind != "f":
        raise RuntimeError(f"[{op}] input tensor must be either float or double dtype, got "
                           f"{x.dtype}")
    if x._data.size == 0:
        raise RuntimeError(f"[{op}] input tensor must be non-empty")
    if interpolation not in _INTERPOLATIONS:
        raise RuntimeError(f"[{op}] interpolation must be one of linear, lower, higher, midpoint "
                           f"or nearest, but got {interpolation!r}")
    qa = _q_array(q, x, op)
    if dim is None or x.ndim == 0:
        if dim is not None:
            _dim(dim, 0, op)
        rows = x.reshape(-1)
    else:
        d = _dim(dim, x.ndim, op)
        rows = x.movedim(d, -1)
    order = np.argsort(rows._data, axis=-1, kind="stable")  # NaN sorts last
    s = rows.gather(-1, order)  # sorted values, differentiable
    n = s.shape[-1]
    nan = np.isnan(s._data)
    qs = qa.reshape(-1)
    if ignore_nan:  # ranks among the non-NaN values; an all-NaN row reads its (NaN) last value
        ranks = qs * (n - nan.sum(-1, keepdims=True) - 1)
        ranks = np.where(ranks < 0, n - 1, ranks)
    else:  # a row with a NaN reads its (NaN) last value
        ranks = np.where(nan.any(-1, keepdims=True), n - 1, qs * (n - 1))
    ranks = np.broadcast_to(ranks, s.shape[:-1] + (len(qs),))
    lo, hi = np.floor(ranks).astype(np.int64), np.ceil(ranks).astype(np.int64)
    if interpolation in ("lower", "higher", "nearest"):
        pick = {"lower": lo, "higher": hi, "nearest": np.round(ranks).astype(np.int64)}
        out = s.gather(-1, pick[interpolation])
    else:
        w = ranks - lo if interpolation == "linear" else np.full(ranks.shape, 0.5)
        below, above = s.gather(-1, lo), s.gather(-1, hi)
        out = below + _const(w, x) * (above - below)
    if keepdim:
        out = out.reshape((1,) * x.ndim + (len(qs),)) if dim is None else \
            out.unsqueeze(d) if x.ndim else out
    return out.movedim(-1, 0) if qa.ndim else out.squeeze(-1)


def quantile(input, q, dim=None, keepdim=False, *, interpolation="linear"):
    """The q-th quantiles of input (float) over all elements or along dim: with n values sorted
    and rank = q (n - 1), 'linear' is v[floor] + (rank - floor) (v[ceil] - v[floor]);
    'lower' / 'higher' / 'nearest' pick v[floor] / v[ceil] / v[round] and 'midpoint' averages
    v[floor] and v[ceil]. A 1-D q puts a dimension of len(q) first. A NaN gives NaN.
    Differentiable (to the values read).

    >>> pe.quantile(pe.tensor([0., 1., 2., 3.]), 0.5)  # 1.5"""
    return _quantile(input, q, dim, keepdim, interpolation, "quantile", ignore_nan=False)


def nanquantile(input, q, dim=None, keepdim=False, *, interpolation="linear"):
    """quantile over the non-NaN values (NaN where all are NaN)."""
    return _quantile(input, q, dim, keepdim, interpolation, "nanquantile", ignore_nan=True)


def msort(input):
    """input sorted along its first dimension (values, differentiable): sort(input, 0)[0]."""
    x = _need_tensor(input, "msort")
    return x.sort(dim=0).values if x.ndim else x.clone()


# ---- statistics ---------------------------------------------------------------------------
def nanmean(input, dim=None, keepdim=False, *, dtype=None):
    """The mean of the non-NaN values: nansum / count of non-NaN (NaN where there are none);
    NaNs get gradient 0."""
    x = _need_tensor(input, "nanmean")
    if x._data.dtype.kind != "f":
        raise RuntimeError(f"[nanmean] expected input to have floating point dtype but got "
                           f"{x.dtype}")
    if dtype is not None:
        x = x.to(dtype)
    count = Tensor._wrap((~np.isnan(x._data)).astype(x._data.dtype))
    return nansum(x, dim, keepdim) / nansum(count, dim, keepdim)


def _weights(w, name, kind, n_obs):
    op = "cov"
    w = _need_tensor(w, op, name)
    if w.ndim > 1:
        raise RuntimeError(f"[{op}] expected {name} to have one or fewer dimensions but got "
                           f"{name} with {w.ndim} dimensions")
    if w._data.size != n_obs:
        raise RuntimeError(f"[{op}] expected {name} to have the same numel as there are "
                           f"observations in the input but got {w._data.size} != {n_obs}")
    if (kind == "f") != (w._data.dtype.kind == "f") or w._data.dtype.kind == "b":
        what = "floating point" if kind == "f" else "integral"
        raise RuntimeError(f"[{op}] expected {name} to have {what} dtype but got {name} with "
                           f"{w.dtype} dtype")
    if np.any(w._data < 0):
        raise RuntimeError(f"[{op}] {name} cannot be negative")
    return w.reshape(-1)


def cov(input, *, correction=1, fweights=None, aweights=None):
    """The covariance matrix of the variables in the rows of input (2-D; a 1-D input is one
    variable) over the observations in its columns: (X - mean) W (X - mean)^T / (sum w -
    correction), with w = fweights * aweights (ones by default; aweights enter the correction
    as torch.cov / np.cov do). A 0-D result for one variable. Differentiable in input.

    >>> pe.cov(pe.tensor([[0., 1., 2.], [2., 1., 0.]]))  # [[1, -1], [-1, 1]]"""
    op = "cov"
    x = _need_tensor(input, op)
    if x.ndim > 2:
        raise RuntimeError(f"[{op}] expected input to have two or fewer dimensions but got an "
                           f"input with {x.ndim} dimensions")
    if x._data.dtype.kind != "f":
        x = x.float()
    x = x.reshape(1, -1) if x.ndim < 2 else x
    n_obs = x.shape[1]
    w = None
    if fweights is not None:
        w = _weights(fweights, "fweights", "i", n_obs).to(x.dtype)
    aw = None
    if aweights is not None:
        aw = _weights(aweights, "aweights", "f", n_obs).to(x.dtype)
        w = aw if w is None else w * aw
    if w is None:
        avg = x.mean(dim=1)
        norm = n_obs - correction
    else:
        w_sum = w.sum()
        avg = (x * w).sum(dim=1) / w_sum
        norm = w_sum if correction == 0 else w_sum - correction * (w * aw).sum() / w_sum \
            if aw is not None else w_sum - correction
    if float(getattr(norm, "_data", norm)) <= 0:
        import warnings
        warnings.warn(f"[{op}] degrees of freedom is <= 0. Correction should be strictly less "
                      "than the number of observations.", RuntimeWarning, stacklevel=2)
        norm = 0.0 if not isinstance(norm, Tensor) else norm * 0
    centred = x - avg.unsqueeze(1)
    with np.errstate(divide="ignore", invalid="ignore"):
        c = (centred @ (centred if w is None else centred * w).t()) / norm
    return c.squeeze()


def corrcoef(input):
    """Pearson correlation coefficients of the rows of input: cov / (std_i std_j), clamped to
    [-1, 1]; a 0-D result (1, or NaN) for one variable. Differentiable."""
    c = cov(input)
    if c.ndim == 0:
        return c / c
    std = c.diagonal().sqrt()
    return (c / std.unsqueeze(1) / std.unsqueeze(0)).clamp(-1, 1)


# ---- log-space sums -------------------------------------------------------------------------
def logaddexp(input, other):
    """log(exp(input) + exp(other)) without overflow: m + log(exp(a - m) + exp(b - m)) with
    m = max(a, b) held constant (0 where infinite, so -inf with -inf is -inf). Differentiable
    (softmax weights)."""
    dt = _float_pair(input, other, "logaddexp")
    if dt.kind != "f":
        raise RuntimeError(f"[logaddexp] expects floating point tensors, got {input.dtype} and "
                           f"{other.dtype}")
    a, b = input.to(_dtype_of(dt)), other.to(_dtype_of(dt))
    with np.errstate(invalid="ignore"):
        m = np.maximum(a._data, b._data)
        m = _const(np.where(np.isfinite(m), m, 0), a)
    with np.errstate(divide="ignore", over="ignore"):
        return m + ((a - m).exp() + (b - m).exp()).log()


def logaddexp2(input, other):
    """log2(2^input + 2^other): logaddexp in base 2. Differentiable."""
    ln2 = float(np.log(2))
    _float_pair(input, other, "logaddexp2")
    return logaddexp(input * ln2, other * ln2) / ln2


# ---- signs and the float format ------------------------------------------------------------
def signbit(input):
    """True where the sign bit is set (negative numbers, -0.0 and NaNs with the bit); bool."""
    x = _need_tensor(input, "signbit")
    return Tensor._wrap(np.signbit(x._data))


def copysign(input, other):
    """|input| with the sign (bit) of other, a float tensor (integers become float32).
    Differentiable in input (gradient 0 where input is 0); other gets none."""
    x = _need_tensor(input, "copysign")
    o = _tensor_or_number(other, "copysign", "other")
    dt = _float_pair(x, o, "copysign") if isinstance(other, Tensor) else x._data.dtype
    dt = dt if np.dtype(dt).kind == "f" else np.dtype(np.float32)
    x = x.to(_dtype_of(np.dtype(dt)))
    sign = np.where(np.signbit(o._data), -1, 1)
    return x.abs() * _const(sign, x)


def heaviside(input, values):
    """0 where input < 0 (and NaN, as torch), values where input == 0, 1 where input > 0
    (tensors of one dtype); no gradient."""
    x = _need_tensor(input, "heaviside")
    v = _need_tensor(values, "heaviside", "values")
    if x._data.dtype != v._data.dtype:
        raise RuntimeError(f"[heaviside] expects tensors of one dtype, got {x.dtype} and "
                           f"{v.dtype}")
    _float_pair(x, v, "heaviside")
    out = np.where(x._data == 0, v._data, (x._data > 0).astype(x._data.dtype))  # NaN: 0
    return Tensor._wrap(np.asarray(out, x._data.dtype))


class frexp_result(_NamedPair):
    """torch.return_types.frexp: (mantissa, exponent)."""
    _fields = ("mantissa", "exponent")
    mantissa = property(lambda self: self[0])
    exponent = property(lambda self: self[1])


frexp_result.__name__ = "frexp"


def frexp(input):
    """(mantissa, exponent) with input = mantissa * 2^exponent, |mantissa| in [0.5, 1):
    mantissa in input's dtype, exponent int32; floating input only, no gradient."""
    x = _need_tensor(input, "frexp")
    if x._data.dtype.kind != "f":
        raise RuntimeError(f"[frexp] only supports floating-point dtypes, got {x.dtype}")
    m, e = np.frexp(x._data)
    return frexp_result(Tensor._wrap(m), Tensor._wrap(e.astype(np.int32)))


def ldexp(input, other):
    """input * 2^other, a float tensor (integers become float32). Differentiable in both."""
    dt = _float_pair(input, other, "ldexp")
    dt = dt if dt.kind == "f" else np.dtype(np.float32)
    x = input.to(_dtype_of(dt))
    return x * other.to(_dtype_of(dt)).exp2()


def nextafter(input, other):
    """The next floating-point value after input towards other (floating tensors of one
    dtype); no gradient."""
    dt = _float_pair(input, other, "nextafter")
    if dt.kind != "f":
        raise RuntimeError(f"[nextafter] expects floating point tensors, got {input.dtype} and "
                           f"{other.dtype}")
    return Tensor._wrap(np.nextafter(input._data.astype(dt), other._data.astype(dt)))


# ---- units and integers --------------------------------------------------------------------
def _scaled(input, factor, op):
    x = _need_tensor(input, op)
    if x._data.dtype.kind != "f":
        x = x.float()
    return x * factor


def deg2rad(input):
    """input * pi / 180 (integers become float32); differentiable."""
    return _scaled(input, np.pi / 180, "deg2rad")


def rad2deg(input):
    """input * 180 / pi (integers become float32); differentiable."""
    return _scaled(input, 180 / np.pi, "rad2deg")


def _integer_pair(fn, input, other, op):
    dt = _float_pair(input, other, op)
    if dt.kind not in "iu":
        raise RuntimeError(f"[{op}] expects integer tensors, got {input.dtype} and {other.dtype}")
    return Tensor._wrap(np.asarray(fn(input._data, other._data), dt))


def gcd(input, other):
    """Elementwise greatest common divisor of integer tensors (gcd(0, 0) = 0)."""
    return _integer_pair(np.gcd, input, other, "gcd")


def lcm(input, other):
    """Elementwise least common multiple of integer tensors (0 where either is 0)."""
    return _integer_pair(np.lcm, input, other, "lcm")


def isin(elements, test_elements, *, assume_unique=False, invert=False):
    """A bool tensor of elements' shape: True where the element is in test_elements (either
    may be a number); invert=True negates. No gradient."""
    if not isinstance(elements, Tensor) and not isinstance(test_elements, Tensor):
        raise TypeError("[isin] expects elements or test_elements to be a pe.Tensor")
    e = _tensor_or_number(elements, "isin", "elements")
    t = _tensor_or_number(test_elements, "isin", "test_elements")
    return Tensor._wrap(np.isin(e._data, t._data, assume_unique=assume_unique, invert=invert))


# ---- matrix builders -----------------------------------------------------------------------
def diagflat(input, offset=0):
    """A 2-D tensor with the flattened input on its diagonal `offset`; differentiable."""
    x = _need_tensor(input, "diagflat")
    return x.reshape(-1).diag(offset)


def vander(x, N=None, increasing=False):
    """The Vandermonde matrix of a 1-D x: column j is x^(N-1-j) (x^j with increasing=True),
    N = len(x) by default; differentiable (integers stay int64)."""
    op = "vander"
    v = _need_tensor(x, op, "x")
    if v.ndim != 1:
        raise RuntimeError(f"[{op}] x must be a one-dimensional tensor, got {v.ndim}-D")
    n = v.shape[0] if N is None else N
    if isinstance(n, bool) or not isinstance(n, (numbers.Integral, np.integer)) or n < 0:
        raise RuntimeError(f"[{op}] N must be non-negative, got {N!r}")
    if v._data.dtype.kind in "biu":
        v = v.long()
    from .nn.functional import stack
    cols = [v.new_ones(v.shape[0])] + [v] * (n > 1)
    for _ in range(2, n):
        cols.append(cols[-1] * v)
    cols = cols[:n]
    if not cols:
        return v.new_zeros(v.shape[0], 0)
    return stack(cols if increasing else cols[::-1], 1)


# ---- Tensor methods PyTorch also has (x.quantile(0.5) ...) -------------------------------
def install_methods():
    """Attach x.quantile(...) & co. to Tensor, where Tensor has no method of the name."""
    from .torch_functions_extra import _method
    g = globals()
    for name in __all__:
        if name not in ("isin", "vander") and not hasattr(Tensor, name):
            setattr(Tensor, name, _method(g[name]))


install_methods()
