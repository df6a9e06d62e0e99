"""Top-level functions torch exports beside torch.nn.functional's (torch.conv2d, torch.dropout,
torch.embedding, torch.selu ...), with torch's own argument lists where they differ from F's
(torch.dropout(input, p, train); torch.embedding(weight, indices)); pdist (the condensed
pairwise distances), slogdet, asarray, frombuffer and typename. Each maps onto
pyengine.nn.functional, pe.linalg or pe.tensor, so there is one implementation; pdist is a
differentiable composition."""
import numpy as np

from .tensor import Tensor
from .torch_functions_extra import _need_tensor

# the same arguments as pyengine.nn.functional's
SAME_AS_F = ("conv1d", "conv2d", "conv3d", "selu", "celu", "prelu", "rrelu", "threshold",
             "hardshrink", "bilinear")


def functional_aliases():
    """{name: F.name} for the functions torch exports under the same name and arguments."""
    from .nn import functional as F
    return {n: getattr(F, n) for n in SAME_AS_F if hasattr(F, n)}


def dropout(input, p=0.5, train=True):
    """torch.dropout(input, p, train): F.dropout with torch's third argument name."""
    from .nn.functional import dropout as _dropout
    return _dropout(input, p, train)


def embedding(weight, indices, padding_idx=-1, scale_grad_by_freq=False, sparse=False):
    """torch.embedding(weight, indices): the rows of weight (note the order, F.embedding's is
    (indices, weight)); padding_idx -1 is none."""
    from .nn.functional import embedding as _embedding
    return _embedding(indices, weight, padding_idx=None if padding_idx < 0 else padding_idx)


def pdist(input, p=2):
    """The p-norm distances between the rows of an (N, M) input, pair (i, j) for i < j in
    row-major order: N (N - 1) / 2 values. Differentiable (gradient 0 for equal rows, as
    torch)."""
    op = "pdist"
    x = _need_tensor(input, op)
    if x.ndim != 2:
        raise RuntimeError(f"[{op}] only supports 2D tensors, got: {x.ndim}D")
    if x._data.dtype.kind != "f":
        raise RuntimeError(f"[{op}] only supports floating-point dtypes, got {x.dtype}")
    if p < 0:
        raise RuntimeError(f"[{op}] only supports non-negative p values, got {p}")
    i, j = np.triu_indices(x.shape[0], 1)
    diff = (x[Tensor._wrap(i)] - x[Tensor._wrap(j)]).abs()
    if p == float("inf"):
        return diff.max(axis=-1) if diff.shape[0] else diff.sum(-1)
    if p == 0:
        return Tensor._wrap((diff._data != 0).sum(-1).astype(x._data.dtype))
    from .nn.functional import where
    powered = diff.sum(-1) if p == 1 else (diff ** p).sum(-1)
    if p == 1:
        return powered
    nonzero = Tensor._wrap(powered._data > 0)
    one = Tensor._wrap(np.ones((), x._data.dtype))
    # root of 1 where the sum is 0, so the root's infinite slope there never meets the gradient
    return where(nonzero, where(nonzero, powered, one) ** (1.0 / p), one * 0)


def slogdet(input):
    """(sign, logabsdet) of square matrices: pe.linalg.slogdet."""
    from .linalg import slogdet as _slogdet
    return _slogdet(input)


def asarray(obj, *, dtype=None, device=None, copy=None, requires_grad=False):
    """A tensor of obj: the tensor itself when it already is one of that dtype (copy=True
    copies), NumPy arrays without a copy where the dtype allows, anything else converted."""
    from .creation import as_tensor
    if isinstance(obj, Tensor) and (dtype is None or obj.dtype == dtype) and not copy:
        out = obj
    elif copy:
        out = as_tensor(obj.clone() if isinstance(obj, Tensor) else np.array(obj), dtype=dtype,
                        device=device)
    else:
        out = as_tensor(obj, dtype=dtype, device=device)
    return out.requires_grad_() if requires_grad else out


def frombuffer(buffer, *, dtype, count=-1, offset=0, requires_grad=False):
    """A 1-D tensor viewing the memory of a Python buffer (bytearray, memoryview, array ...)
    read as dtype: writes through either are seen by the other."""
    from .creation import from_numpy
    from .dtypes import as_dtype
    try:
        arr = np.frombuffer(buffer, dtype=as_dtype(dtype).np, count=count, offset=offset)
    except (ValueError, TypeError) as e:
        raise ValueError(f"[frombuffer] {e}") from None
    out = from_numpy(arr)
    return out.requires_grad_() if requires_grad else out


def typename(obj):
    """The type name of obj: 'pyengine.FloatTensor' ... for tensors, module.QualName of a class
    or function, else of obj's class (builtins without their module), as torch.typename."""
    if isinstance(obj, Tensor):
        return obj.type()
    if hasattr(obj, "__qualname__"):
        module, name = getattr(obj, "__module__", "") or "", obj.__qualname__
    else:
        module, name = type(obj).__module__ or "", type(obj).__qualname__
    return name if module in ("builtins", "") else f"{module}.{name}"


def install_methods():
    """x.prelu(weight) and x.hardshrink(lambd), as torch's Tensor has them."""
    from .nn import functional as F
    for name in ("prelu", "hardshrink"):
        if not hasattr(Tensor, name) and hasattr(F, name):
            def method(self, *args, _f=getattr(F, name), **kwargs):
                return _f(self, *args, **kwargs)
            method.__name__ = method.__qualname__ = name
            setattr(Tensor, name, method)


install_methods()
