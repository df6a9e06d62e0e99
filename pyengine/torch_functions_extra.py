"""PyTorch top-level functions a `import pyengine as torch` probe found missing: selection
(take, take_along_dim, select, tensor_split, index_copy), fused arithmetic (rsub, addcmul,
addcdiv, addmv), products and distances (vdot, inner, dist, hypot), NaN-aware and promoting
elementwise ops (fmax, fmin, sgn, floor_divide, float_power, nansum, aminmax), shape helpers
(atleast_1d/2d/3d, broadcast_tensors, block_diag, rot90, diag_embed) and the function forms of
clip / equal / detach.

Most are compositions of differentiable pe ops, so autograd supplies the gradients; hypot,
fmax / fmin, index_copy and diag_embed are Functions with forward and backward side by side.
Errors start with the op's name, as the rest of pyengine. Tensor methods that PyTorch also has
(x.take, x.index_copy_ ...) are attached to Tensor by `install_methods`."""
import numbers

import numpy as np

from .autograd import Function
from .tensor import Tensor

__all__ = ["clip", "equal", "detach", "take", "take_along_dim", "select", "tensor_split", "rsub",
           "addcmul", "addcdiv", "addmv", "vdot", "inner", "dist", "hypot", "fmax", "fmin", "sgn",
           "floor_divide", "float_power", "nansum", "aminmax", "atleast_1d", "atleast_2d",
           "atleast_3d", "broadcast_tensors", "block_diag", "index_copy", "rot90", "diag_embed"]


def _t(v):
    return v if isinstance(v, Tensor) else Tensor._from_data(v)


def _need_tensor(v, op, name="input"):
    if not isinstance(v, Tensor):
        raise TypeError(f"[{op}] {name} must be a pe.Tensor, got {type(v).__name__}")
    return v


def _dim(dim, ndim, op):
    if isinstance(dim, bool) or not isinstance(dim, (numbers.Integral, np.integer)) or \
            not -max(ndim, 1) <= dim < max(ndim, 1):
        raise IndexError(f"[{op}] dim {dim!r} is out of range for a {ndim}-D tensor (expected "
                         f"to be in range of [{-max(ndim, 1)}, {max(ndim, 1) - 1}])")
    return int(dim) % max(ndim, 1)


def _int_index(index, op, name="index"):
    idx = index._data if isinstance(index, Tensor) else np.asarray(index)
    if idx.dtype.kind not in "iu":
        raise TypeError(f"[{op}] {name} must be an integer (long) tensor, got {idx.dtype}")
    return idx.astype(np.int64)


class _NamedPair(tuple):
    """A two-field result, readable by position and by torch's field names."""
    _fields = ()

    def __new__(cls, a, b):
        return super().__new__(cls, (a, b))

    def __repr__(self):
        (a, b), name = self._fields, type(self).__name__
        return f"{name}({a}={self[0]!r}, {b}={self[1]!r})"


class aminmax_result(_NamedPair):
    """torch.return_types.aminmax: (min, max)."""
    _fields = ("min", "max")
    min = property(lambda self: self[0])  # noqa: A003
    max = property(lambda self: self[1])  # noqa: A003


aminmax_result.__name__ = "aminmax"


# ---- function forms of existing methods ----------------------------------------------------
def clip(input, min=None, max=None, *, out=None):  # noqa: A002
    """torch.clip: an alias of clamp (min / max numbers or tensors)."""
    from .torch_arithmetic import write_out
    return write_out(_t(input).clamp(min, max), out, "clip")


class EqualResult(Tensor):
    """pe.equal's answer for two Tensors, which serves both of its meanings: elementwise it is
    tf.equal's bool tensor (tf.cast(tf.equal(a, b), tf.float32), tf.reduce_mean, tf.where...),
    and as a truth value (if / assert / not / bool()) it is torch.equal's: same shape and every
    element equal. TensorFlow programs run as `import pyengine as tf` compare two tensors with
    tf.equal far more often than with anything else, and a single bool there was a silently
    wrong accuracy."""
    __slots__ = ()  # Tensor's layout: made by changing an elementwise result's class

    def __bool__(self):
        return self.__dict__["_all_equal"]


def equal(input, other, name=None):
    """torch.equal and tf.equal in one name. Two Tensors: an EqualResult, the elementwise bool
    tensor whose truth value is torch.equal's (same shape and every element equal; NaN is never
    equal to itself); shapes that do not broadcast give torch.equal's False. An array, list or
    number on either side (which torch.equal refuses), or TensorFlow's name=: tf.equal's
    elementwise bool tensor. tf.math.equal is always the elementwise one."""
    from .nn import functional as F
    if name is not None or not (isinstance(input, Tensor) and isinstance(other, Tensor)):
        a = input if isinstance(input, Tensor) else Tensor._from_data(input)
        return F.eq(a, other if isinstance(other, Tensor) else Tensor._from_data(other))
    same = input.equal(other)
    try:
        out = F.eq(input, other)
    except (ValueError, RuntimeError):  # shapes that do not broadcast: only torch's answer
        return same
    out.__class__ = EqualResult
    out.__dict__["_all_equal"] = bool(same)
    return out


def detach(input):
    """input.detach(): the same values, cut from the graph."""
    return _need_tensor(input, "detach").detach()


# ---- selection ---------------------------------------------------------------------------
def take(input, index):
    """input read as 1-D, at `index` (any shape; negatives count from the end): the result has
    index's shape. Differentiable to input.

    >>> pe.take(pe.tensor([[4, 3], [5, 6]]), pe.tensor([0, 3]))
    tensor([4, 6])
    """
    x = _need_tensor(input, "take")
    idx = _int_index(index, "take")
    n = x._data.size
    if idx.size:
        bad = idx[(idx < -n) | (idx >= n)]
        if bad.size:
            raise IndexError(f"[take] index {int(bad.flat[0])} is out of bounds for {n} elements")
    flat = np.where(idx < 0, idx + n, idx).reshape(-1)
    return x.reshape(-1)[Tensor._wrap(flat)].reshape(idx.shape)


def take_along_dim(input, indices, dim=None):
    """Values of input at `indices` along `dim` (input and indices broadcast in the other
    dims); dim=None reads both as 1-D. Differentiable to input."""
    op = "take_along_dim"
    x = _need_tensor(input, op)
    idx = _int_index(indices, op, "indices")
    if dim is None:
        return take_along_dim(x.reshape(-1), idx.reshape(-1), 0)
    if x.ndim != idx.ndim:
        raise RuntimeError(f"[{op}] input and indices should have the same number of dimensions, "
                           f"but got {x.ndim} dimensions for input, and {idx.ndim} dimensions for "
                           "indices")
    d = _dim(dim, x.ndim, op)
    xs, ish = list(x.shape), list(idx.shape)
    try:
        rest = np.broadcast_shapes(tuple(xs[:d] + [1] + xs[d + 1:]),
                                   tuple(ish[:d] + [1] + ish[d + 1:]))
    except ValueError:
        raise RuntimeError(f"[{op}] input {tuple(xs)} and indices {tuple(ish)} do not broadcast "
                           f"outside dim {d}") from None
    n = xs[d] if x.ndim else 1
    if idx.size and (idx.min() < -n or idx.max() >= n):
        bad = idx[(idx < -n) | (idx >= n)].flat[0]
        raise IndexError(f"[{op}] index {int(bad)} is out of bounds for dimension {d} with size "
                         f"{n}")
    idx = np.where(idx < 0, idx + n, idx)
    if x.ndim == 0:
        return x.reshape(1)[Tensor._wrap(idx.reshape(-1))].reshape(idx.shape)
    xb = x.expand(tuple(rest[:d]) + (xs[d],) + tuple(rest[d + 1:]))
    ib = np.broadcast_to(idx, tuple(rest[:d]) + (ish[d],) + tuple(rest[d + 1:]))
    return xb.gather(d, np.ascontiguousarray(ib))


def select(input, dim, index):
    """input[..., index, ...] at `dim` (the dim is removed); a view, differentiable."""
    x = _need_tensor(input, "select")
    if x.ndim == 0:
        raise IndexError("[select] cannot be applied to a 0-dim tensor")
    d = _dim(dim, x.ndim, "select")
    n = x.shape[d]
    if isinstance(index, Tensor):
        index = index.item()
    if isinstance(index, bool) or not isinstance(index, (numbers.Integral, np.integer)):
        raise TypeError(f"[select] index must be an int, got {type(index).__name__}")
    if not -n <= index < n:
        raise IndexError(f"[select] index {index} out of range for tensor of size "
                         f"{list(x.shape)} at dimension {d}")
    return x[(slice(None),) * d + (int(index) % n,)]


def tensor_split(input, indices_or_sections, dim=0):
    """Views of input along dim: an int n gives n parts (the first size % n one longer), a list
    (or 1-D tensor) of indices splits before each (as NumPy's array_split)."""
    op = "tensor_split"
    x = _need_tensor(input, op)
    if x.ndim == 0:
        raise RuntimeError(f"[{op}] expected at least a 1-dimensional tensor")
    d = _dim(dim, x.ndim, op)
    n = x.shape[d]
    ios = indices_or_sections
    if isinstance(ios, Tensor):
        if ios._data.dtype.kind not in "iu" or ios.ndim > 1:
            raise RuntimeError(f"[{op}] tensor indices_or_sections must be a 0-D or 1-D long "
                               f"tensor, got {ios.ndim}-D {ios.dtype}")
        ios = ios.item() if ios.ndim == 0 else ios._data.tolist()
    if isinstance(ios, (numbers.Integral, np.integer)) and not isinstance(ios, bool):
        k = int(ios)
        if k <= 0:
            raise RuntimeError(f"[{op}] number of sections must be larger than 0, got {k}")
        big, small = n % k, n // k
        bounds = [i * (small + 1) if i <= big else big * (small + 1) + (i - big) * small
                  for i in range(1, k)]
    elif isinstance(ios, (list, tuple)):
        bounds = [int(i) for i in ios]
    else:
        raise TypeError(f"[{op}] indices_or_sections must be an int, a list of ints or a long "
                        f"tensor, got {type(ios).__name__}")
    cut = (slice(None),) * d
    starts = [0] + bounds
    ends = bounds + [n]

    def clip_index(i):  # Python slicing: negatives count from the end, past the ends clamp
        return min(max(i + n if i < 0 else i, 0), n)
    return tuple(x[cut + (slice(clip_index(s), max(clip_index(s), clip_index(e))),)]
                 for s, e in zip(starts, ends))


class IndexCopy(Function):
    """out = input with out.select(dim, index[i]) = source.select(dim, i)."""

    @staticmethod
    def forward(ctx, x, src, dim=0, index=None):
        ctx.dim, ctx.index = dim, index
        out = x.copy()
        key = (slice(None),) * dim + (index,)
        out[key] = src
        return out

    @staticmethod
    def backward(ctx, g):
        key = (slice(None),) * ctx.dim + (ctx.index,)
        gx = g.copy()
        gx[key] = 0  # the copied rows hide input's
        return gx, g[key]


def index_copy(input, dim, index, source):
    """A copy of input whose slices index[i] along dim are source's slice i (torch.index_copy;
    with repeated indices the last copy wins). Differentiable to input and source."""
    op = "index_copy"
    x = _need_tensor(input, op)
    src = source if isinstance(source, Tensor) else Tensor._wrap(np.asarray(source, x._data.dtype))
    d = _dim(dim, x.ndim, op)
    idx = _int_index(index, op)
    if idx.ndim > 1:
        raise IndexError(f"[{op}] index should have dimension 1 or 0 (got {idx.ndim})")
    idx = idx.reshape(-1)
    if x.ndim == 0:
        want = () if src.ndim == 0 else (len(idx),)
        if idx.size and (idx != 0).any():
            raise IndexError(f"[{op}] index {int(idx[idx != 0][0])} is out of bounds for a 0-D "
                             "tensor")
        return IndexCopy.apply(x.reshape(1), src.reshape(-1), dim=0, index=idx).reshape(())
    want = tuple(x.shape[:d]) + (len(idx),) + tuple(x.shape[d + 1:])
    if tuple(src.shape) != want and not (src.ndim == x.ndim - 1 and len(idx) == 1 and
                                          tuple(src.shape) == want[:d] + want[d + 1:]):
        raise RuntimeError(f"[{op}] source has shape {tuple(src.shape)}, expected {want} (input "
                           f"{tuple(x.shape)} with {len(idx)} indices along dim {d})")
    src = src.reshape(want)
    n = x.shape[d]
    if idx.size and (idx.min() < -n or idx.max() >= n):
        bad = idx[(idx < -n) | (idx >= n)][0]
        raise IndexError(f"[{op}] index {int(bad)} is out of bounds for dimension {d} with size "
                         f"{n}")
    if src._data.dtype != x._data.dtype:
        raise RuntimeError(f"[{op}] source dtype {src.dtype} differs from input dtype {x.dtype}")
    return IndexCopy.apply(x, src, dim=d, index=np.where(idx < 0, idx + n, idx))


# ---- fused arithmetic -----------------------------------------------------------------------
def _number(v, op, name):
    if isinstance(v, bool) or not isinstance(v, (numbers.Number, np.number)):
        raise TypeError(f"[{op}] {name} must be a number, got {type(v).__name__}")
    return v


def rsub(input, other, *, alpha=1):
    """other - alpha * input (sub with its operands swapped)."""
    _number(alpha, "rsub", "alpha")
    x = _t(input)
    scaled = x if alpha == 1 else x * alpha
    if isinstance(other, Tensor):
        return other - scaled
    return (-scaled) + other


def _addc(input, tensor1, tensor2, value, op):
    _number(value, op, "value")
    x, a, b = _t(input), _t(tensor1), _t(tensor2)
    if op == "addcdiv" and a._data.dtype.kind in "iub" and b._data.dtype.kind in "iub":
        raise RuntimeError("[addcdiv] integer division with addcdiv is not supported (as in "
                           "PyTorch); use floating-point tensor1 / tensor2")
    try:
        np.broadcast_shapes(tuple(x.shape), tuple(a.shape), tuple(b.shape))
    except ValueError:
        raise RuntimeError(f"[{op}] shapes {tuple(x.shape)}, {tuple(a.shape)} and "
                           f"{tuple(b.shape)} do not broadcast") from None
    term = a * b if op == "addcmul" else a / b
    return x + (term if value == 1 else term * value)


def addcmul(input, tensor1, tensor2, *, value=1, out=None):
    """input + value * tensor1 * tensor2 (broadcast)."""
    from .torch_arithmetic import write_out
    return write_out(_addc(input, tensor1, tensor2, value, "addcmul"), out, "addcmul")


def addcdiv(input, tensor1, tensor2, *, value=1, out=None):
    """input + value * tensor1 / tensor2 (broadcast; floating tensor1 / tensor2)."""
    from .torch_arithmetic import write_out
    return write_out(_addc(input, tensor1, tensor2, value, "addcdiv"), out, "addcdiv")


def addmv(input, mat, vec, *, beta=1, alpha=1, out=None):
    """beta * input + alpha * (mat @ vec); mat (n, m), vec (m,), input broadcasts to (n,).
    beta=0 ignores input (NaN in it does not propagate), as PyTorch."""
    from .torch_arithmetic import write_out
    op = "addmv"
    _number(beta, op, "beta")
    _number(alpha, op, "alpha")
    _need_tensor(mat, op, "mat")
    _need_tensor(vec, op, "vec")
    if mat.ndim != 2 or vec.ndim != 1:
        raise RuntimeError(f"[{op}] vector + matrix @ vector expected, got {tuple(mat.shape)} @ "
                           f"{tuple(vec.shape)}")
    if mat.shape[1] != vec.shape[0]:
        raise RuntimeError(f"[{op}] size mismatch, got mat {tuple(mat.shape)} and vec "
                           f"{tuple(vec.shape)}")
    x = _t(input)
    n = mat.shape[0]
    if x.ndim > 1 or (x.ndim == 1 and x.shape[0] not in (1, n)):
        raise RuntimeError(f"[{op}] input {tuple(x.shape)} does not broadcast to the product's "
                           f"shape ({n},)")
    prod = mat @ vec
    prod = prod if alpha == 1 else prod * alpha
    if beta == 0:
        result = prod
    else:
        result = prod + (x if beta == 1 else x * beta)
    return write_out(result, out, op)


# ---- products and distances --------------------------------------------------------------
def vdot(input, other, *, out=None):
    """The dot product of two 1-D tensors of the same size and dtype (real: as dot)."""
    from .torch_arithmetic import write_out
    op = "vdot"
    _need_tensor(input, op)
    _need_tensor(other, op, "other")
    if input.ndim != 1 or other.ndim != 1:
        raise RuntimeError(f"[{op}] 1D tensors expected, but got {input.ndim}D and {other.ndim}D "
                           "tensors")
    if input._data.dtype != other._data.dtype:
        raise RuntimeError(f"[{op}] expected both vectors to have same dtype, but found "
                           f"{input.dtype} and {other.dtype}")
    if input.shape[0] != other.shape[0]:
        raise RuntimeError(f"[{op}] inconsistent tensor size, expected tensor [{input.shape[0]}] "
                           f"and src [{other.shape[0]}] to have the same number of elements")
    return write_out((input * other).sum(), out, op)


def inner(input, other, *, out=None):
    """Sum over the last dims of input and other (a product when either is 0-D): the shape is
    input.shape[:-1] + other.shape[:-1]."""
    from .torch_arithmetic import write_out
    from .torch_functions_missing import tensordot
    op = "inner"
    a, b = _t(input), _t(other)
    if a.ndim == 0 or b.ndim == 0:
        return write_out(a * b, out, op)
    if a.shape[-1] != b.shape[-1]:
        raise RuntimeError(f"[{op}] the last dimensions of input ({tuple(a.shape)}) and other "
                           f"({tuple(b.shape)}) must match")
    return write_out(tensordot(a, b, dims=([a.ndim - 1], [b.ndim - 1])), out, op)


def dist(input, other, p=2):
    """The p-norm of input - other (broadcast), over all elements: p = 0 counts the non-zero
    differences, p = inf / -inf take the largest / smallest |difference|."""
    op = "dist"
    _need_tensor(input, op)
    _need_tensor(other, op, "other")
    if isinstance(p, Tensor):
        p = p.item()
    _number(p, op, "p")
    if input._data.dtype.kind != "f" or other._data.dtype.kind != "f":
        raise RuntimeError(f"[{op}] expects floating point inputs, got {input.dtype} and "
                           f"{other.dtype}")
    try:
        np.broadcast_shapes(tuple(input.shape), tuple(other.shape))
    except ValueError:
        raise RuntimeError(f"[{op}] shapes {tuple(input.shape)} and {tuple(other.shape)} do not "
                           "broadcast") from None
    a = (input - other).abs()
    if p == float("inf"):
        return a.max()
    if p == float("-inf"):
        return a.min()
    if p == 0:
        return Tensor._wrap(np.asarray(np.count_nonzero(a._data), a._data.dtype))
    if p == 1:
        return a.sum()
    if p == 2:
        return (a * a).sum().sqrt()
    return (a ** float(p)).sum() ** (1.0 / float(p))


def _float_pair(input, other, op):
    _need_tensor(input, op)
    _need_tensor(other, op, "other")
    try:
        np.broadcast_shapes(tuple(input.shape), tuple(other.shape))
    except ValueError:
        raise RuntimeError(f"[{op}] shapes {tuple(input.shape)} and {tuple(other.shape)} do not "
                           "broadcast") from None
    return promote_types(input._data.dtype, other._data.dtype)


def promote_types(*dtypes):
    """torch's promotion of tensor dtypes: the higher category (bool < int < float) wins and
    keeps its own width (int32 with float32 is float32, where NumPy says float64)."""
    rank = {"b": 0, "u": 1, "i": 1, "f": 2}
    top = max(rank[np.dtype(d).kind] for d in dtypes)
    return np.result_type(*[d for d in dtypes if rank[np.dtype(d).kind] == top])


class Hypot(Function):
    @staticmethod
    def forward(ctx, a, b):
        out = np.hypot(a, b)
        ctx.save_for_backward(a, b, out)
        return out

    @staticmethod
    def backward(ctx, g):
        a, b, out = ctx.saved_tensors
        with np.errstate(invalid="ignore", divide="ignore"):
            return g * a / out, g * b / out  # d sqrt(a^2 + b^2) = (a da + b db) / out


def hypot(input, other, *, out=None):
    """sqrt(input^2 + other^2) without overflow in the squares (floating tensors)."""
    from .torch_arithmetic import write_out
    dt = _float_pair(input, other, "hypot")
    if dt.kind != "f":
        raise RuntimeError(f"[hypot] expects floating point inputs, got {input.dtype} and "
                           f"{other.dtype}")
    return write_out(Hypot.apply(input.to(_dtype_of(dt)), other.to(_dtype_of(dt))), out, "hypot")


def _dtype_of(npd):
    from .dtypes import as_dtype
    return as_dtype(npd.name)


class _FMaxMin(Function):
    @staticmethod
    def forward(ctx, a, b, largest=True):
        out = np.fmax(a, b) if largest else np.fmin(a, b)
        # the gradient goes to a where a was chosen (ties and a NaN b included), else to b
        with np.errstate(invalid="ignore"):
            pick_a = ((a >= b) if largest else (a <= b)) | np.isnan(b)
        ctx.pick_a = np.broadcast_to(pick_a, out.shape)
        return out

    @staticmethod
    def backward(ctx, g):
        return np.where(ctx.pick_a, g, 0), np.where(ctx.pick_a, 0, g)


def _fmaxmin(input, other, out, largest):
    from .torch_arithmetic import write_out
    op = "fmax" if largest else "fmin"
    dt = _float_pair(input, other, op)
    if dt == np.bool_:
        raise RuntimeError(f"[{op}] not implemented for bool tensors")
    a, b = input.to(_dtype_of(dt)), other.to(_dtype_of(dt))
    return write_out(_FMaxMin.apply(a, b, largest=largest), out, op)


def fmax(input, other, *, out=None):
    """Elementwise maximum where NaN loses to a number (NaN only where both are NaN)."""
    return _fmaxmin(input, other, out, True)


def fmin(input, other, *, out=None):
    """Elementwise minimum where NaN loses to a number (NaN only where both are NaN)."""
    return _fmaxmin(input, other, out, False)


def sgn(input, *, out=None):
    """The sign of each element (real tensors: as sign)."""
    from .torch_arithmetic import write_out
    return write_out(_need_tensor(input, "sgn").sign(), out, "sgn")


def floor_divide(input, other, *, out=None):
    """input / other rounded down (PyTorch >= 1.13: floor, not trunc); integer inputs stay
    integer."""
    from .torch_arithmetic import divide_rounded, write_out
    return write_out(divide_rounded(input, other, "floor", "floor_divide"), out, "floor_divide")


def float_power(input, exponent, *, out=None):
    """input ** exponent computed in float64 (both operands cast first), as torch."""
    from .dtypes import float64
    from .torch_arithmetic import write_out
    if not isinstance(input, Tensor) and not isinstance(exponent, Tensor):
        raise TypeError("[float_power] input or exponent must be a pe.Tensor")
    base = _t(input).to(float64) if isinstance(input, Tensor) else float(input)
    e = exponent.to(float64) if isinstance(exponent, Tensor) else float(exponent)
    if not isinstance(base, Tensor):
        base = Tensor._wrap(np.asarray(base, np.float64))
    if isinstance(out, Tensor) and out._data.dtype != np.float64:
        raise RuntimeError(f"[float_power] the output tensor must be float64, got {out.dtype}")
    return write_out(base ** e, out, "float_power")


def nansum(input, dim=None, keepdim=False, *, dtype=None):
    """The sum with NaNs counted as zero (their gradient is zero)."""
    from .nn.functional import where
    x = _need_tensor(input, "nansum")
    if dtype is not None:
        x = x.to(dtype)
    if x._data.dtype.kind == "f":
        nan = Tensor._wrap(np.isnan(x._data))
        x = where(nan, Tensor._wrap(np.zeros((), x._data.dtype)), x)
    if isinstance(dim, list):
        dim = tuple(dim)
    if dim == ():
        dim = None
    return x.sum(dim=dim, keepdim=keepdim)


def aminmax(input, *, dim=None, keepdim=False):
    """(min, max) over all elements or along dim, as a named pair (.min, .max)."""
    op = "aminmax"
    x = _need_tensor(input, op)
    if dim is None:
        if x._data.size == 0:
            raise RuntimeError(f"[{op}] cannot compute aminmax over an empty tensor "
                               f"{tuple(x.shape)}")
        if keepdim:
            shape = (1,) * x.ndim
            return aminmax_result(x.amin().reshape(shape), x.amax().reshape(shape))
        return aminmax_result(x.amin(), x.amax())
    d = _dim(dim, x.ndim, op)
    if x.ndim == 0:
        return aminmax_result(x.clone(), x.clone())
    if x.shape[d] == 0:
        raise IndexError(f"[{op}] expected reduction dim {d} to have non-zero size")
    return aminmax_result(x.amin(d, keepdim), x.amax(d, keepdim))


# ---- shapes --------------------------------------------------------------------------------
def _atleast(tensors, n, op):
    if len(tensors) == 1 and isinstance(tensors[0], (list, tuple)):
        return tuple(_atleast(tuple(tensors[0]), n, op))
    if not tensors:
        raise TypeError(f"[{op}] expects at least one tensor")
    out = []
    for t in tensors:
        t = _need_tensor(t, op, "each argument")
        if t.ndim < n:
            if n == 3 and t.ndim == 2:  # (M, N) -> (M, N, 1)
                t = t.unsqueeze(-1)
            elif n == 3 and t.ndim == 1:  # (N,) -> (1, N, 1)
                t = t.reshape(1, t.shape[0], 1)
            else:
                t = t.reshape((1,) * (n - t.ndim) + tuple(t.shape))
        out.append(t)
    return out[0] if len(out) == 1 else tuple(out)


def atleast_1d(*tensors):
    """Each tensor with at least 1 dim (0-D becomes (1,)); one tensor in, one out."""
    return _atleast(tensors, 1, "atleast_1d")


def atleast_2d(*tensors):
    """Each tensor with at least 2 dims: () -> (1, 1), (N,) -> (1, N)."""
    return _atleast(tensors, 2, "atleast_2d")


def atleast_3d(*tensors):
    """Each tensor with at least 3 dims: () -> (1, 1, 1), (N,) -> (1, N, 1),
    (M, N) -> (M, N, 1)."""
    return _atleast(tensors, 3, "atleast_3d")


def broadcast_tensors(*tensors):
    """The tensors expanded to their common broadcast shape (differentiable views)."""
    if len(tensors) == 1 and isinstance(tensors[0], (list, tuple)):
        tensors = tuple(tensors[0])
    ts = [_need_tensor(t, "broadcast_tensors", "each argument") for t in tensors]
    try:
        shape = np.broadcast_shapes(*[tuple(t.shape) for t in ts])
    except ValueError:
        raise RuntimeError(f"[broadcast_tensors] shapes {[tuple(t.shape) for t in ts]} do not "
                           "broadcast") from None
    return tuple(t if tuple(t.shape) == shape else t.expand(shape) for t in ts)


def block_diag(*tensors):
    """The tensors (0-D, 1-D as one row, or 2-D) on the diagonal of a zero matrix, in the
    promoted dtype. Differentiable."""
    from .nn.functional import cat
    op = "block_diag"
    mats = []
    for i, t in enumerate(tensors):
        t = _need_tensor(t, op, f"tensor {i}")
        if t.ndim > 2:
            raise RuntimeError(f"[{op}] input tensors must have 2 or fewer dimensions. Input {i} "
                               f"has {t.ndim} dimensions")
        mats.append(t.reshape(1, 1) if t.ndim == 0 else t.reshape(1, -1) if t.ndim == 1 else t)
    if not mats:
        return Tensor._wrap(np.zeros((1, 0), np.float32))
    dt = promote_types(*[m._data.dtype for m in mats])
    mats = [m if m._data.dtype == dt else m.to(_dtype_of(dt)) for m in mats]
    width = sum(m.shape[1] for m in mats)
    rows, left = [], 0
    for m in mats:
        r, c = m.shape
        parts = []
        if left:
            parts.append(Tensor._wrap(np.zeros((r, left), dt)))
        parts.append(m)
        if width - left - c:
            parts.append(Tensor._wrap(np.zeros((r, width - left - c), dt)))
        rows.append(cat(parts, 1) if len(parts) > 1 else m)
        left += c
    return cat(rows, 0) if len(rows) > 1 else rows[0]


def rot90(input, k=1, dims=(0, 1)):
    """input rotated by 90 degrees k times, from the first towards the second of `dims`."""
    op = "rot90"
    x = _need_tensor(input, op)
    dims = list(dims)
    if len(dims) != 2:
        raise RuntimeError(f"[{op}] expected total rotation dims == 2, but got dims = {len(dims)}")
    if x.ndim < 2:
        raise RuntimeError(f"[{op}] expected total dims >= 2, but got total dims = {x.ndim}")
    d0, d1 = _dim(dims[0], x.ndim, op), _dim(dims[1], x.ndim, op)
    if d0 == d1:
        raise RuntimeError(f"[{op}] expected rotation dims to be different, but got dim0 = "
                           f"{dims[0]} and dim1 = {dims[1]}")
    if isinstance(k, bool) or not isinstance(k, (numbers.Integral, np.integer)):
        raise TypeError(f"[{op}] k must be an int, got {type(k).__name__}")
    k = int(k) % 4
    if k == 1:
        return x.flip(d1).transpose(d0, d1)
    if k == 2:
        return x.flip(d0, d1)
    if k == 3:
        return x.flip(d0).transpose(d0, d1)
    return x.clone()


class _DiagEmbedLast(Function):
    """(..., n) -> (..., m, m) with the values on diagonal `offset` of the last two dims."""

    @staticmethod
    def forward(ctx, x, offset=0):
        n = x.shape[-1]
        m = n + abs(offset)
        i = np.arange(n)
        r, c = (i, i + offset) if offset >= 0 else (i - offset, i)
        ctx.rc = (r, c)
        out = np.zeros(x.shape[:-1] + (m, m), x.dtype)
        out[..., r, c] = x
        return out

    @staticmethod
    def backward(ctx, g):
        r, c = ctx.rc
        return np.ascontiguousarray(g[..., r, c])


def diag_embed(input, offset=0, dim1=-2, dim2=-1):
    """A tensor whose (dim1, dim2) planes carry input's last dim on diagonal `offset` (zeros
    elsewhere); the result has one more dim. Differentiable."""
    op = "diag_embed"
    x = _need_tensor(input, op)
    nd = x.ndim + 1
    d1, d2 = _dim(dim1, nd, op), _dim(dim2, nd, op)
    if d1 == d2:
        raise RuntimeError(f"[{op}] diagonal dimensions cannot be identical {dim1}, {dim2}")
    if isinstance(offset, bool) or not isinstance(offset, (numbers.Integral, np.integer)):
        raise TypeError(f"[{op}] offset must be an int, got {type(offset).__name__}")
    base = x.reshape(1) if x.ndim == 0 else x
    out = _DiagEmbedLast.apply(base, offset=int(offset))
    if x.ndim == 0:
        out = out.reshape(out.shape[-2:])
    return out.movedim((nd - 2, nd - 1), (d1, d2))


# ---- Tensor methods PyTorch also has ---------------------------------------------------------
def _method(fn):
    def method(self, *args, **kwargs):
        return fn(self, *args, **kwargs)
    method.__name__ = method.__qualname__ = fn.__name__
    method.__doc__ = fn.__doc__
    return method


_METHODS = ("take", "take_along_dim", "select", "tensor_split", "addcmul", "addcdiv", "addmv",
            "vdot", "inner", "dist", "hypot", "fmax", "fmin", "sgn", "floor_divide",
            "float_power", "nansum", "aminmax", "index_copy", "rot90", "diag_embed")
_INPLACE = ("index_copy", "hypot", "float_power", "floor_divide", "addmv", "sgn")


def install_methods():
    """Attach x.take(...) & co. and the in-place x.index_copy_(...) & co. to Tensor, where
    Tensor has no method of the name yet."""
    g = globals()
    for name in _METHODS:
        if not hasattr(Tensor, name):
            setattr(Tensor, name, _method(g[name]))
    for name in _INPLACE:
        if not hasattr(Tensor, name + "_"):
            def inplace(self, *args, _name=name, **kwargs):
                return self._inplace(getattr(self, _name)(*args, **kwargs))
            inplace.__name__ = inplace.__qualname__ = name + "_"
            inplace.__doc__ = f"In-place {name}: self = self.{name}(...), returned."
            setattr(Tensor, name + "_", inplace)


install_methods()
