"""More PyTorch tensor methods (mixed into Tensor through TorchHabits): running sums and
products, flips and rolls, the scatter family, diagonals, element tests, sampling, the less
common elementwise math, and torch's legacy svd / qr / pinverse / cholesky (pyengine/linalg*).
Each is an op of pyengine/ops (torch_math.py for the new Functions) or a composition of
existing differentiable ops, so gradients follow; results that are indices or booleans carry
none, as in PyTorch."""
import numpy as np


def _T():
    from .tensor import Tensor
    return Tensor


def _arr(v):
    return v._data if isinstance(v, _T()) else np.asarray(v)


def _dim(self, dim, op):
    from .ops.torch_math import _axis
    return _axis(dim, self.ndim, op)


class MathHabits:
    __slots__ = ()

    # ---- running sums and products, products --------------------------------------------
    def cumsum(self, dim, dtype=None):
        from .ops.torch_math import CumSum
        x = self if dtype is None else self.to(dtype)
        return CumSum.apply(x, dim=_dim(self, dim, "cumsum")) if self.ndim else x.clone()

    def cumprod(self, dim, dtype=None):
        from .ops.torch_math import CumProd
        x = self if dtype is None else self.to(dtype)
        return CumProd.apply(x, dim=_dim(self, dim, "cumprod")) if self.ndim else x.clone()

    def prod(self, dim=None, keepdim=False, dtype=None, *, axis=None, keepdims=False, out=None):
        """torch's x.prod(dim, keepdim, dtype), and NumPy's np.prod(x) call (axis=, out=None)."""
        from .ops.torch_math import Prod
        from .tensor import _numpy_reduction_input
        if axis is not None and dim is not None:
            raise TypeError("[prod] give dim= or axis=, not both")
        dim = axis if dim is None else dim
        x = _numpy_reduction_input(self, "prod", dtype, out)
        keepdim = keepdim or keepdims
        d = None if dim is None or self.ndim == 0 else _dim(self, dim, "prod")
        return Prod.apply(x, dim=d, keepdim=bool(keepdim) and d is not None)

    def amax(self, dim=(), keepdim=False):
        axes = None if dim in ((), None, []) else dim
        return self.max(axis=axes if not isinstance(axes, list) else tuple(axes), keepdims=keepdim)

    def amin(self, dim=(), keepdim=False):
        axes = None if dim in ((), None, []) else dim
        return self.min(axis=axes if not isinstance(axes, list) else tuple(axes), keepdims=keepdim)

    def diff(self, n=1, dim=-1):
        """Forward differences along dim, n times (x[1:] - x[:-1])."""
        d = _dim(self, dim, "diff")
        out = self
        for _ in range(int(n)):
            hi = (slice(None),) * d + (slice(1, None),)
            lo = (slice(None),) * d + (slice(None, -1),)
            out = out[hi] - out[lo]
        return out

    # ---- reordering ------------------------------------------------------------------------
    def flip(self, *dims):
        dims = dims[0] if len(dims) == 1 and isinstance(dims[0], (tuple, list)) else dims
        axes = {_dim(self, d, "flip") for d in dims}
        return self[tuple(slice(None, None, -1) if i in axes else slice(None)
                          for i in range(self.ndim))]

    def fliplr(self): return self.flip(1)
    def flipud(self): return self.flip(0)

    def roll(self, shifts, dims=None):
        """Elements shifted by `shifts` along `dims`, wrapping around (a flat roll without
        dims). Built from slices and cat, so it differentiates."""
        from .nn.functional import cat
        if dims is None:
            return self.reshape(-1).roll(shifts, 0).reshape(self.shape)
        shifts = shifts if isinstance(shifts, (tuple, list)) else (shifts,)
        dims = dims if isinstance(dims, (tuple, list)) else (dims,)
        if len(shifts) != len(dims):
            raise RuntimeError(f"[roll] shifts {shifts} and dims {dims} must have the same "
                               "length")
        out = self
        for s, d in zip(shifts, dims):
            d = _dim(self, d, "roll")
            n = self.shape[d]
            if n == 0:
                continue
            s = int(s) % n
            if s:
                cut = (slice(None),) * d
                out = cat([out[cut + (slice(n - s, None),)], out[cut + (slice(0, n - s),)]], d)
        return out

    def repeat_interleave(self, repeats, dim=None):
        """Each element repeated `repeats` times (an int, or one count per element along dim)."""
        x, d = (self.reshape(-1), 0) if dim is None else (self, _dim(self, dim, "repeat_interleave"))
        reps = _arr(repeats)
        if reps.ndim == 0:
            idx = np.repeat(np.arange(x.shape[d]), int(reps))
        else:
            if reps.shape != (x.shape[d],):
                raise RuntimeError(f"[repeat_interleave] repeats must have {x.shape[d]} entries "
                                   f"(the size of dim {d}), got shape {reps.shape}")
            if (reps < 0).any():
                raise ValueError("[repeat_interleave] repeats must be non-negative")
            idx = np.repeat(np.arange(x.shape[d]), reps)
        return x[(slice(None),) * d + (_T()._wrap(idx.astype(np.int64)),)]

    def tile(self, *dims):
        if len(dims) == 1 and isinstance(getattr(dims[0], "_data", dims[0]), np.ndarray):
            dims = (np.asarray(getattr(dims[0], "_data", dims[0])).tolist(),)  # tf: a 1-D tensor
        dims = tuple(dims[0]) if len(dims) == 1 and isinstance(dims[0], (tuple, list)) else dims
        from .tensor_habits import whole_number_size
        dims = tuple(whole_number_size(d, "tile") for d in dims)
        return self.repeat(*((1,) * (self.ndim - len(dims)) + tuple(dims)))

    def unbind(self, dim=0):
        d = _dim(self, dim, "unbind")
        return tuple(self[(slice(None),) * d + (i,)] for i in range(self.shape[d]))

    def unflatten(self, dim, sizes):
        d = _dim(self, dim, "unflatten")
        return self.reshape(tuple(self.shape[:d]) + tuple(sizes) + tuple(self.shape[d + 1:]))

    def movedim(self, source, destination):
        src = [int(v) % self.ndim for v in np.atleast_1d(source)]
        dst = [int(v) % self.ndim for v in np.atleast_1d(destination)]
        if len(src) != len(dst) or len(set(src)) != len(src) or len(set(dst)) != len(dst):
            raise RuntimeError(f"[movedim] source {source} and destination {destination} must "
                               "be distinct dims of the same count")
        perm = [None] * self.ndim
        for s_, d_ in zip(src, dst):
            perm[d_] = s_
        rest = iter(a for a in range(self.ndim) if a not in src)
        return self.permute(*[p if p is not None else next(rest) for p in perm])

    moveaxis = movedim

    def swapaxes(self, a, b): return self.transpose(a, b)
    swapdims = swapaxes

    @property
    def mT(self):
        return self.transpose(-2, -1)

    def adjoint(self): return self.transpose(-2, -1)  # conjugate transpose; tensors are real
    mH = property(adjoint)

    @property
    def H(self):
        if self.ndim != 2:
            raise RuntimeError(f"[H] expects a 2-D tensor (matrix), got {self.ndim}-D; use mH "
                               f"for batches")
        return self.t()

    @property
    def real(self):
        """The real part: the tensor itself (tensors are real here), as torch for real dtypes."""
        return self

    @property
    def imag(self):
        raise RuntimeError("[imag] is not implemented for tensors with non-complex dtypes")

    def ravel(self): return self.reshape(-1)
    def narrow_copy(self, dim, start, length): return self.narrow(dim, start, length).clone()

    def hsplit(self, sections): return self._split_along("hsplit", 1 if self.ndim > 1 else 0,
                                                           sections, 1)
    def vsplit(self, sections): return self._split_along("vsplit", 0, sections, 2)
    def dsplit(self, sections): return self._split_along("dsplit", 2, sections, 3)

    def _split_along(self, op, dim, sections, min_ndim):
        """torch.hsplit / vsplit / dsplit: tensor_split along one dimension, where an int must
        divide that dimension evenly."""
        from .torch_functions_extra import tensor_split
        if self.ndim < min_ndim:
            raise RuntimeError(f"[{op}] expects a tensor of at least {min_ndim} dimensions, got "
                               f"{self.ndim}")
        if isinstance(sections, (int, np.integer)) and not isinstance(sections, bool) and \
                sections > 0 and self.shape[dim] % sections:
            raise RuntimeError(f"[{op}] attempted to split along dimension {dim}, but the size "
                               f"of the dimension {self.shape[dim]} is not divisible by the "
                               f"split_size {sections}")
        return tensor_split(self, sections, dim)

    # ---- diagonals, products of vectors ------------------------------------------------------
    def diag(self, diagonal=0):
        from .ops.torch_math import Diag
        if self.ndim not in (1, 2):
            raise RuntimeError(f"[diag] expects a 1-D or 2-D tensor, got {self.ndim}-D")
        return Diag.apply(self, k=int(diagonal))

    def diagonal(self, offset=0, dim1=0, dim2=1):
        """A view of the diagonal `offset` of the (dim1, dim2) planes, as a last dimension:
        written in place (`K.diagonal().add_(eps)`), the tensor sees the write, as in PyTorch."""
        from .ops.strided_view import StridedView
        nd = self.ndim
        if nd < 2:
            raise RuntimeError(f"[diagonal] expects a tensor of at least 2 dimensions, got {nd}")
        for d in (dim1, dim2):
            if not -nd <= d < nd:
                raise IndexError(f"[diagonal] dimension {d} out of range for a {nd}-D tensor")
        d1, d2 = dim1 % nd, dim2 % nd
        if d1 == d2:
            raise RuntimeError(f"[diagonal] diagonal dimensions cannot be identical {dim1}, "
                               f"{dim2}")
        a, offset = self._data, int(offset)
        n = max(0, min(a.shape[d1] - max(0, -offset), a.shape[d2] - max(0, offset)))
        rest = [i for i in range(nd) if i not in (d1, d2)]
        start = offset * a.strides[d2] if offset >= 0 else -offset * a.strides[d1]
        return StridedView.apply(self, shape=tuple(a.shape[i] for i in rest) + (n,),
                                 strides=tuple(a.strides[i] for i in rest) +
                                 (a.strides[d1] + a.strides[d2],),
                                 offset=start if n else 0, op="diagonal")

    def trace(self):
        if self.ndim != 2:
            raise RuntimeError(f"[trace] expects a 2-D tensor, got {self.ndim}-D")
        return self.diag().sum()

    def outer(self, other):
        o = other if isinstance(other, _T()) else _T()._wrap(np.asarray(other))
        if self.ndim != 1 or o.ndim != 1:
            raise RuntimeError(f"[outer] expects two 1-D tensors, got shapes {self.shape} and "
                               f"{o.shape}")
        return self.unsqueeze(1) * o.unsqueeze(0)

    ger = outer

    def dot(self, other):
        o = other if isinstance(other, _T()) else _T()._wrap(np.asarray(other))
        if self.ndim != 1 or o.ndim != 1 or self.shape != o.shape:
            raise RuntimeError(f"[dot] expects two 1-D tensors of the same size, got shapes "
                               f"{self.shape} and {o.shape}")
        return (self * o).sum()

    def mv(self, vec):
        if self.ndim != 2 or vec.ndim != 1:
            raise RuntimeError(f"[mv] expects a 2-D matrix and a 1-D vector, got shapes "
                               f"{self.shape} and {vec.shape}")
        return self @ vec

    def tril(self, diagonal=0):
        from .nn.functional import tril
        return tril(self, diagonal)

    def triu(self, diagonal=0):
        from .nn.functional import triu
        return triu(self, diagonal)

    def erf(self):
        from .nn.functional import erf
        return erf(self)

    def lerp(self, end, weight):
        return self + weight * (end - self)

    # ---- elementwise math without a kernel of its own ------------------------------------------
    def _unary(self, name):
        from .ops.torch_math import UnaryMath
        return UnaryMath.apply(self, name=name)

    def tan(self): return self._unary("tan")
    def asin(self): return self._unary("asin")
    def acos(self): return self._unary("acos")
    def atan(self): return self._unary("atan")
    def sinh(self): return self._unary("sinh")
    def cosh(self): return self._unary("cosh")
    def asinh(self): return self._unary("asinh")
    def acosh(self): return self._unary("acosh")
    def atanh(self): return self._unary("atanh")
    def expm1(self): return self._unary("expm1")
    def log2(self): return self._unary("log2")
    def log10(self): return self._unary("log10")
    def exp2(self): return self._unary("exp2")
    def trunc(self): return self._unary("trunc")
    def frac(self): return self._unary("frac")
    def reciprocal(self): return self._unary("reciprocal")
    def rsqrt(self): return self._unary("rsqrt")
    arcsin, arccos, arctan, fix = asin, acos, atan, trunc

    def atan2(self, other):
        from .ops.torch_math import Atan2
        o = other if isinstance(other, _T()) else _T()._wrap(np.asarray(other, self._data.dtype))
        return Atan2.apply(self, o)

    arctan2 = atan2

    def remainder(self, other):
        from .ops.remainder import remainder
        return remainder(self, other)

    def fmod(self, other):
        from .ops.remainder import fmod
        return fmod(self, other)

    # ---- tests and selections (no gradient: booleans and indices) ----------------------------
    def isnan(self): return _T()._wrap(np.isnan(self._data))
    def isinf(self): return _T()._wrap(np.isinf(self._data))
    def isfinite(self): return _T()._wrap(np.isfinite(self._data))
    def isposinf(self): return _T()._wrap(np.isposinf(self._data))
    def isneginf(self): return _T()._wrap(np.isneginf(self._data))
    def logical_not(self): return _T()._wrap(np.logical_not(self._data))
    def logical_and(self, other): return _T()._wrap(np.logical_and(self._data, _arr(other)))
    def logical_or(self, other): return _T()._wrap(np.logical_or(self._data, _arr(other)))
    def logical_xor(self, other): return _T()._wrap(np.logical_xor(self._data, _arr(other)))

    def nonzero(self, as_tuple=False):
        """Indices of the non-zero elements: (count, ndim) int64, or a tuple of 1-D index
        tensors (as_tuple=True, what x[...] takes)."""
        idx = np.nonzero(self._data) if self.ndim else np.nonzero(self._data.reshape(1))
        if as_tuple:
            return tuple(_T()._wrap(i.astype(np.int64)) for i in idx)
        return _T()._wrap(np.stack(idx, 1).astype(np.int64) if self.ndim else
                          np.zeros((len(idx[0]), 0), np.int64))

    def argwhere(self): return self.nonzero()

    def count_nonzero(self, dim=None):
        return _T()._wrap(np.asarray(np.count_nonzero(self._data, axis=dim), np.int64))

    def masked_select(self, mask):
        """The elements where mask (broadcast) is True, as a 1-D tensor; differentiable."""
        m = np.broadcast_to(_arr(mask).astype(bool), np.broadcast_shapes(self.shape,
                                                                           _arr(mask).shape))
        x = self.expand(m.shape) if m.shape != self.shape else self
        return x[_T()._wrap(np.ascontiguousarray(m))]

    def isclose(self, other, rtol=1e-05, atol=1e-08, equal_nan=False):
        return _T()._wrap(np.isclose(self._data, _arr(other), rtol, atol, equal_nan))

    def allclose(self, other, rtol=1e-05, atol=1e-08, equal_nan=False):
        return bool(np.allclose(self._data, _arr(other), rtol, atol, equal_nan))

    def bincount(self, weights=None, minlength=0):
        if self.ndim != 1 or self._data.dtype.kind not in "iu":
            raise RuntimeError(f"[bincount] expects a 1-D tensor of non-negative integers, got "
                               f"{self.ndim}-D {self._data.dtype}")
        w = None if weights is None else _arr(weights)
        out = np.bincount(self._data, w, minlength)
        return _T()._wrap(out if w is not None else out.astype(np.int64))

    def unique(self, sorted=True, return_inverse=False, return_counts=False, dim=None):
        """Distinct values (always sorted, which sorted=False allows), optionally the inverse
        indices and the counts; dim picks unique slices along it."""
        vals, inv, counts = np.unique(self._data, return_inverse=True, return_counts=True,
                                      axis=dim)
        out = [_T()._wrap(vals)]
        if return_inverse:
            out.append(_T()._wrap(inv.reshape(self.shape if dim is None else -1)
                                  .astype(np.int64)))
        if return_counts:
            out.append(_T()._wrap(counts.astype(np.int64)))
        return out[0] if len(out) == 1 else tuple(out)

    def median(self, dim=None, keepdim=False):
        """The lower median (PyTorch's rule): over all elements, or (values, indices) along
        dim. Values differentiate (to the chosen element)."""
        if dim is None:
            flat = self.reshape(-1)
            return flat.sort().values[(flat.shape[0] - 1) // 2]
        d = _dim(self, dim, "median")
        s = self.sort(d)
        k = (self.shape[d] - 1) // 2
        key = (slice(None),) * d + (slice(k, k + 1),)
        values, indices = s.values[key], s.indices[key]
        if not keepdim:
            values, indices = values.squeeze(d), indices.squeeze(d)
        from .tensor_habits import _SortResult
        return _SortResult(values, indices)

    def multinomial(self, num_samples, replacement=False, generator=None):
        """num_samples category indices per row, drawn with probabilities proportional to
        the (non-negative) weights; without replacement each index at most once per row."""
        from . import random as _random
        p = np.asarray(self._data, np.float64)
        if p.ndim not in (1, 2):
            raise RuntimeError(f"[multinomial] probabilities must be 1-D or 2-D, got {p.ndim}-D")
        rows = p.reshape(-1, p.shape[-1])
        if not np.isfinite(rows).all() or (rows < 0).any():
            raise RuntimeError("[multinomial] probabilities must be finite and non-negative")
        total = rows.sum(1, keepdims=True)
        if (total <= 0).any():
            raise RuntimeError("[multinomial] each row of probabilities must have a positive sum")
        k = int(num_samples)
        if k < 1:
            raise RuntimeError(f"[multinomial] num_samples must be positive, got {k}")
        if not replacement and k > (rows > 0).sum(1).min():
            raise RuntimeError(f"[multinomial] cannot draw {k} samples without replacement from "
                               "fewer non-zero categories")
        rng = _random.get_generator(generator)
        p = rows / total
        if replacement:
            u = rng.random((len(p), k))
            out = np.stack([np.searchsorted(np.cumsum(r), v, side="right") for r, v in zip(p, u)])
            out = np.minimum(out, p.shape[1] - 1)
        else:  # Gumbel top-k: the k largest of log p + Gumbel noise, a draw without replacement
            with np.errstate(divide="ignore"):
                keys = np.log(p) - np.log(-np.log(rng.random(p.shape)))
            out = np.argsort(-keys, axis=1, kind="stable")[:, :k]
        out = out.astype(np.int64)
        return _T()._wrap(out if self.ndim == 2 else out[0])

    # ---- the scatter family --------------------------------------------------------------
    def _scatter(self, dim, index, src, add, op):
        from .ops.torch_math import Scatter, check_scatter
        d = _dim(self, dim, op)
        idx = _arr(index)
        if idx.ndim == 0 and self.ndim == 1:
            # torch reads a 0-d index (and src) of a 1-D tensor as one element: the tutorials'
            # one-hot target transform, zeros(10).scatter_(0, torch.tensor(y), value=1)
            idx = idx.reshape(1)
            if isinstance(src, _T()) and src.ndim == 0:
                src = src.reshape(1)
        if isinstance(src, _T()):
            s = src
        else:
            s = _T()._wrap(np.broadcast_to(np.asarray(src, self._data.dtype), idx.shape).copy())
        check_scatter(op, self.shape, d, idx, s.shape)
        return Scatter.apply(self, s, dim=d, index=idx.astype(np.int64), add=add)

    def scatter(self, dim, index, src=None, value=None, reduce=None):
        if reduce not in (None, "add"):
            raise ValueError(f"[scatter] reduce must be None or 'add', got {reduce!r}")
        source = src if src is not None else value
        if source is None:
            raise TypeError("[scatter] pass src (a tensor) or value (a number)")
        return self._scatter(dim, index, source, reduce == "add", "scatter")

    def scatter_add(self, dim, index, src):
        return self._scatter(dim, index, src, True, "scatter_add")

    def scatter_(self, dim, index, src=None, value=None, reduce=None):
        return self._inplace(self.scatter(dim, index, src, value, reduce))

    def scatter_add_(self, dim, index, src):
        return self._inplace(self.scatter_add(dim, index, src))

    def index_add(self, dim, index, source, alpha=1):
        from .ops.torch_math import IndexAdd
        d = _dim(self, dim, "index_add")
        idx = _arr(index)
        if idx.ndim != 1 or idx.dtype.kind not in "iu":
            raise IndexError(f"[index_add] index must be a 1-D integer tensor, got shape "
                             f"{idx.shape} {idx.dtype}")
        src = source if isinstance(source, _T()) else _T()._wrap(np.asarray(source))
        want = tuple(self.shape[:d]) + (len(idx),) + tuple(self.shape[d + 1:])
        if tuple(src.shape) != want:
            raise RuntimeError(f"[index_add] source has shape {tuple(src.shape)}, expected {want}")
        n = self.shape[d]
        if idx.size and (idx.min() < -n or idx.max() >= n):
            raise IndexError(f"[index_add] index out of range for dimension {d} of size {n}")
        return IndexAdd.apply(self, src, dim=d, index=idx.astype(np.int64), alpha=alpha)

    def index_add_(self, dim, index, source, alpha=1):
        return self._inplace(self.index_add(dim, index, source, alpha))

    def index_fill(self, dim, index, value):
        d = _dim(self, dim, "index_fill")
        mask = np.zeros(self.shape[d], bool)
        mask[_arr(index)] = True
        shape = [1] * self.ndim
        shape[d] = self.shape[d]
        return self.masked_fill(_T()._wrap(mask.reshape(shape)), value)

    def index_fill_(self, dim, index, value):
        return self._inplace(self.index_fill(dim, index, value))

    def nan_to_num(self, nan=0.0, posinf=None, neginf=None):
        """NaN -> nan, +inf / -inf -> posinf / neginf (default: the dtype's extremes); the
        gradient passes where the value was finite."""
        x = self._data
        big = np.finfo(x.dtype).max if x.dtype.kind == "f" else 0
        from .nn.functional import where
        fixed = np.nan_to_num(x, nan=nan, posinf=big if posinf is None else posinf,
                              neginf=-big if neginf is None else neginf)
        return where(_T()._wrap(np.isfinite(x)), self, _T()._wrap(fixed))

    # ---- linear algebra (torch's legacy forms; pyengine/linalg*.py) ------------------------
    def svd(self, some=True, compute_uv=True):
        """(U, S, V) with V, not Vh (torch.svd); pe.linalg.svd returns Vh."""
        from .linalg_decompositions import svd_legacy
        return svd_legacy(self, some, compute_uv)

    def qr(self, some=True):
        from .linalg_decompositions import qr_legacy
        return qr_legacy(self, some)

    def pinverse(self, rcond=1e-15):
        from .linalg_solvers import pinverse
        return pinverse(self, rcond)

    def cholesky(self, upper=False):
        from .linalg import cholesky
        return cholesky(self, upper)

    def matrix_exp(self):
        from .linalg import matrix_exp
        return matrix_exp(self)

    def det(self):
        from .linalg import det
        return det(self)

    def logdet(self):
        from .torch_functions import logdet
        return logdet(self)

    def slogdet(self):
        from .linalg import slogdet
        return slogdet(self)

    def inverse(self):
        from .linalg import inv
        return inv(self)


def math_tensor_functions():
    """Names pe exports at the top level that forward to these methods (pe.flip(x, dims) ...)."""
    return ("cumsum", "cumprod", "prod", "amax", "amin", "diff", "flip", "fliplr", "flipud",
            "roll", "repeat_interleave", "tile", "unbind", "unflatten", "movedim", "moveaxis",
            "swapaxes", "swapdims", "diag", "diagonal", "trace", "outer", "ger", "dot", "mv",
            "lerp", "tan", "asin", "acos", "atan", "sinh", "cosh", "asinh", "acosh", "atanh",
            "expm1", "log2", "log10", "exp2", "trunc", "frac", "reciprocal", "rsqrt", "arcsin",
            "arccos", "arctan", "fix", "atan2", "arctan2", "isnan", "isinf", "isfinite",
            "isposinf", "isneginf", "logical_not", "logical_and", "logical_or", "logical_xor",
            "nonzero", "argwhere", "count_nonzero", "masked_select", "isclose", "allclose",
            "bincount", "unique", "median", "multinomial", "scatter", "scatter_add", "index_add",
            "index_fill", "nan_to_num", "svd", "qr", "pinverse", "cholesky", "adjoint",
            "ravel", "narrow_copy", "hsplit", "vsplit", "dsplit")

