"""PyTorch Tensor methods and top-level aliases that pyengine lacked: method forms of top-level
functions (x.addmm, x.cross, x.kron, x.histc, x.where(condition, y), x.greater ...), torch's
other spellings (absolute, positive, negative, arccosh ...), the complex-number API of a real
tensor (conj, angle, isreal, is_complex, resolve_conj ...), writes by flat or multi-dimensional
index (put, index_put), shape helpers (split_with_sizes, sum_to_size, dstack, trapz) and facts
about a tensor (is_signed, nbytes, get_device ...).

Each is one line over an existing pe op or a composition of differentiable ones, so gradients
follow (put / index_put differentiate in self and the values, through scatter). `install`
attaches the methods where Tensor has none of the name; FUNCTIONS holds the top-level forms."""
import numpy as np

from . import dtypes as _dt
from .tensor import Tensor
from .torch_functions_extra import _int_index, _need_tensor


# ---- complex-number API of a real tensor --------------------------------------------------
def angle(self):
    """The argument of each (real) element: pi where negative, 0 where not, NaN kept; float
    (integers become float32); no gradient (it is 0 almost everywhere)."""
    a = self._data if self._data.dtype.kind == "f" else self._data.astype(np.float32)
    out = np.where(a < 0, np.pi, 0).astype(a.dtype)
    return Tensor._wrap(np.where(np.isnan(a), a, out))


def isreal(self):
    """True for every element (pyengine tensors are real)."""
    return Tensor._wrap(np.ones(self._data.shape, bool))


def conj(self):
    """The tensor itself: a real tensor is its own conjugate (as torch, no copy)."""
    return self


def positive(self):
    """The tensor itself (torch.positive, unary +); bool tensors refuse, as in torch."""
    if self._data.dtype == np.bool_:
        raise RuntimeError("[positive] the `+` operator, on a bool tensor is not supported")
    return self


# ---- clamps, products, comparisons as methods -------------------------------------------
def clamp_min(self, min):  # noqa: A002 (torch's argument name)
    return self.clamp(min=min)


def clamp_max(self, max):  # noqa: A002
    return self.clamp(max=max)


def addmm(self, mat1, mat2, *, beta=1, alpha=1):
    """beta self + alpha (mat1 @ mat2) (torch.addmm)."""
    from .torch_functions_more import addmm as _addmm
    return _addmm(self, mat1, mat2, beta=beta, alpha=alpha)


def cross(self, other, dim=None):
    from .torch_functions_more import cross as _cross
    return _cross(self, other, dim)


def kron(self, other):
    from .torch_functions_more import kron as _kron
    return _kron(self, other)


def histc(self, bins=100, min=0, max=0):  # noqa: A002
    from .torch_functions_missing import histc as _histc
    return _histc(self, bins, min, max)


def where(self, condition, y):
    """x.where(condition, y) is pe.where(condition, x, y) (note the order)."""
    from .ops.elementwise import where as _where
    return _where(condition, self, y)


# ---- shapes -------------------------------------------------------------------------------
def split_with_sizes(self, split_sizes, dim=0):
    """Pieces of the given sizes along dim (they must add up to the dimension's size)."""
    from .torch_functions_extra import _dim
    d = _dim(dim, self.ndim, "split_with_sizes")
    sizes = [int(s) for s in split_sizes]
    if sum(sizes) != self.shape[d] or any(s < 0 for s in sizes):
        raise RuntimeError(f"[split_with_sizes] expects split_sizes to sum exactly to "
                           f"{self.shape[d]} (input tensor's size at dimension {d}), but got "
                           f"split_sizes={sizes}")
    return self.split(sizes, dim=d)


def sum_to_size(self, *size):
    """The sum of self down to `size`, a shape self broadcasts from (the gradient of an
    expand): leading dimensions and dimensions of size 1 in `size` are summed."""
    size = tuple(size[0]) if len(size) == 1 and isinstance(size[0], (tuple, list)) else size
    size, shape = tuple(int(s) for s in size), tuple(self.shape)
    lead = len(shape) - len(size)
    if lead < 0 or any(s not in (1, n) for s, n in zip(size, shape[lead:])):
        raise RuntimeError(f"[sum_to_size] size {list(size)} is not expandable to size "
                           f"{list(shape)}")
    out = self.sum(dim=tuple(range(lead))) if lead else self
    dims = tuple(i for i, (s, n) in enumerate(zip(size, shape[lead:])) if s == 1 and n != 1)
    return out.sum(dim=dims, keepdim=True) if dims else out


def dstack(tensors):
    """The tensors (made at least 3-D) joined along their third dimension; differentiable."""
    from .nn.functional import cat
    from .torch_functions_extra import atleast_3d
    if not isinstance(tensors, (tuple, list)) or not tensors:
        raise TypeError("[dstack] expects a non-empty sequence of tensors")
    return cat([atleast_3d(t) for t in tensors], 2)


# ---- writes by index ----------------------------------------------------------------------
def put(self, index, source, accumulate=False):
    """A copy of self with self.flatten()[index] = source (+= with accumulate, adding repeated
    indices); index counts elements of the flattened tensor, negative from the end.
    Differentiable in self and source."""
    op = "put"
    _need_tensor(source, op, "source")
    idx = _int_index(index, op).reshape(-1)
    n = self._data.size
    bad = (idx < -n) | (idx >= n)
    if bad.any():
        raise IndexError(f"[{op}] out of range: tried to access index {int(idx[bad][0])} on a "
                         f"tensor of {n} elements")
    if source._data.size != idx.size:
        raise RuntimeError(f"[{op}] expected source and index to have the same number of "
                           f"elements, got {source._data.size} and {idx.size}")
    if source._data.dtype != self._data.dtype:
        raise RuntimeError(f"[{op}] expected source of dtype {self.dtype}, got {source.dtype}")
    flat, src, idx = self.reshape(-1), source.reshape(-1), Tensor._wrap(idx % max(n, 1))
    out = flat.scatter_add(0, idx, src) if accumulate else flat.scatter(0, idx, src)
    return out.reshape(self.shape)


def index_put(self, indices, values, accumulate=False):
    """A copy of self with self[indices] = values (+= with accumulate, adding repeated
    positions); indices is a tuple of index tensors (long or bool), values broadcast to the
    indexed shape. Differentiable in self and values."""
    op = "index_put"
    if not isinstance(indices, (tuple, list)):
        raise TypeError(f"[{op}] indices must be a tuple of tensors, got "
                        f"{type(indices).__name__}")
    vals = _need_tensor(values, op, "values")
    if vals._data.dtype != self._data.dtype:
        raise RuntimeError(f"[{op}] requires the source and destination dtypes match, got "
                           f"{self.dtype} for the destination and {vals.dtype} for the source")
    keys = tuple(i._data if isinstance(i, Tensor) else i for i in indices)
    try:
        positions = np.arange(self._data.size).reshape(self._data.shape)[keys]
        vals = vals.expand(positions.shape)
    except (IndexError, ValueError, RuntimeError) as e:
        raise IndexError(f"[{op}] {e}") from None
    return put(self, Tensor._wrap(np.ascontiguousarray(positions)), vals.contiguous(),
               accumulate)


# ---- facts about the tensor ---------------------------------------------------------------
def is_signed(self):
    """True for signed dtypes (floats and signed integers), False for uint8 and bool."""
    return self._data.dtype.kind in "if"


def is_nonzero(self):
    """The truth of a one-element tensor (RuntimeError for none or several)."""
    n = self._data.size
    if n != 1:
        what = "no values" if n == 0 else "more than one value"
        raise RuntimeError(f"[is_nonzero] Boolean value of Tensor with {what} is ambiguous")
    return bool(self._data.reshape(-1)[0] != 0)


def is_same_size(self, other):
    return tuple(self.shape) == tuple(_need_tensor(other, "is_same_size", "other").shape)


def get_device(self):
    """-1 for a CPU tensor, the device index otherwise (torch.Tensor.get_device)."""
    dev = self.device
    return -1 if dev.type == "cpu" else (dev.index or 0)


def new_empty_strided(self, size, stride, *, dtype=None, device=None, requires_grad=False,
                      layout=None, pin_memory=False):
    """A new uninitialized tensor of `size` (C-contiguous: pyengine tensors own their
    layout, so `stride` is not kept)."""
    if len(tuple(size)) != len(tuple(stride)):
        raise RuntimeError(f"[new_empty_strided] mismatch in length of strides and shape: "
                           f"{len(tuple(size))} sizes, {len(tuple(stride))} strides")
    out = self.new_empty(tuple(size), dtype=dtype)
    return out.requires_grad_() if requires_grad else out


_METHODS = {
    "angle": angle, "isreal": isreal, "conj": conj, "resolve_conj": conj, "resolve_neg": conj,
    "conj_physical": conj, "positive": positive, "clamp_min": clamp_min,
    "clamp_max": clamp_max, "addmm": addmm, "cross": cross, "kron": kron, "histc": histc,
    "where": where, "split_with_sizes": split_with_sizes, "sum_to_size": sum_to_size,
    "put": put, "index_put": index_put, "is_signed": is_signed, "is_nonzero": is_nonzero,
    "is_same_size": is_same_size, "get_device": get_device,
    "new_empty_strided": new_empty_strided,
    "is_complex": lambda self: False, "is_conj": lambda self: False,
    "is_neg": lambda self: False, "is_inference": lambda self: False,
    "pin_memory": lambda self, device=None: self, "is_pinned": lambda self, device=None: False,
    "short": lambda self: self.astype(_dt.int16), "char": lambda self: self.astype(_dt.int8),
    "byte": lambda self: self.astype(_dt.uint8), "negative": lambda self: -self,
    "greater": lambda self, other: self.gt(other),
    "greater_equal": lambda self, other: self.ge(other),
    "less": lambda self, other: self.lt(other), "less_equal": lambda self, other: self.le(other),
    "not_equal": lambda self, other: self.ne(other),
}
# torch's second names of existing methods
_ALIASES = {"absolute": "abs", "arccosh": "acosh", "arcsinh": "asinh", "arctanh": "atanh"}
_PROPERTIES = {
    "is_meta": lambda self: False,
    "nbytes": lambda self: int(self._data.nbytes),
    "itemsize": lambda self: int(self._data.itemsize),
}
# Tensor methods that torch also offers as torch.name(input, ...)
FUNCTION_NAMES = ("angle", "isreal", "conj", "resolve_conj", "resolve_neg", "conj_physical",
                  "positive", "clamp_min", "clamp_max", "split_with_sizes", "put", "index_put",
                  "index_put_", "is_signed", "is_nonzero", "is_same_size", "get_device",
                  "is_complex", "is_conj", "is_neg", "is_inference", "absolute", "arccosh",
                  "arcsinh", "arctanh")


def _named(fn, name):
    fn.__name__ = fn.__qualname__ = name
    return fn


def install():
    """Attach the methods, aliases, properties and in-place put_ / index_put_ to Tensor, where
    Tensor has none of the name."""
    for name, fn in _METHODS.items():
        if not hasattr(Tensor, name):
            setattr(Tensor, name, _named(fn, name))
    for name, base in _ALIASES.items():
        if not hasattr(Tensor, name):
            setattr(Tensor, name, getattr(Tensor, base))
    for name, fn in _PROPERTIES.items():
        if not hasattr(Tensor, name):
            setattr(Tensor, name, property(_named(fn, name)))
    for name in ("put", "index_put"):
        if not hasattr(Tensor, name + "_"):
            def inplace(self, *args, _name=name, **kwargs):
                return self._inplace(getattr(self, _name)(*args, **kwargs))
            setattr(Tensor, name + "_", _named(inplace, name + "_"))


install()
