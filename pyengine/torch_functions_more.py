"""More of PyTorch's top-level functions: normal (its four call forms), logspace, addmm, kron and
cross (torch.cross and torch.linalg.cross). Each is composed of differentiable pe ops, so autograd
supplies the gradients; remainder / fmod are in ops/remainder.py, finfo / iinfo in
dtype_info.py."""
import numbers

import numpy as np

from . import random as _random
from .creation import _np_dtype, _size, tensor
from .ops.shape import stack
from .tensor import Tensor

__all__ = ["normal", "logspace", "addmm", "kron", "cross"]


def _is_number(v):
    return isinstance(v, numbers.Real) and not isinstance(v, bool)


def normal(mean, std=1.0, size=None, *, generator=None, dtype=None, device=None,
           requires_grad=False):
    """Samples of N(mean, std^2) from pe's generator (or `generator`), as torch.normal:

    - normal(mean: float, std: float, size, dtype=None): a new tensor of `size`;
    - normal(mean: Tensor, std: Tensor | float = 1.0) and normal(mean: float, std: Tensor):
      one sample per element of the broadcast shape, in the float tensor's dtype.
    The samples carry no gradient to mean and std (PyTorch's are zero).

    >>> pe.normal(0.0, 1.0, (2, 3)).shape
    (2, 3)
    >>> pe.normal(pe.zeros(4), 0.0)
    tensor([0., 0., 0., 0.])
    """
    op = "normal"
    gen = _random.get_generator(generator)
    if not isinstance(mean, Tensor) and not isinstance(std, Tensor):
        if not _is_number(mean) or not _is_number(std):
            raise TypeError(f"[{op}] mean and std must be numbers or pe.Tensors, got "
                            f"{type(mean).__name__} and {type(std).__name__}")
        if size is None:
            raise TypeError(f"[{op}] normal(mean: float, std: float) needs a size")
        if std < 0:
            raise ValueError(f"[{op}] std must be >= 0, got std={std}")
        shape = tuple(_size((size,), op))
        npd = _np_dtype(dtype)
        if npd.kind != "f":
            raise TypeError(f"[{op}] dtype must be floating point, got {npd}")
        arr = (gen.standard_normal(shape) * std + mean).astype(npd)
        return tensor(arr, dtype=dtype or npd.name, device=device, requires_grad=requires_grad)
    if size is not None or dtype is not None or requires_grad:
        raise TypeError(f"[{op}] size, dtype and requires_grad go with the (float mean, float "
                        f"std, size) form only; with a tensor mean or std the shape and dtype "
                        f"come from the tensors")
    arrays = [v._data if isinstance(v, Tensor) else np.asarray(v, np.float32)
              for v in (mean, std)]
    if any(a.dtype.kind != "f" for a in arrays):
        raise TypeError(f"[{op}] mean and std must be floating point, got "
                        f"{arrays[0].dtype} and {arrays[1].dtype}")
    if (arrays[1] < 0).any():
        raise ValueError(f"[{op}] std must be >= 0, got a minimum of {arrays[1].min()}")
    try:
        shape = np.broadcast_shapes(arrays[0].shape, arrays[1].shape)
    except ValueError:
        raise ValueError(f"[{op}] mean {arrays[0].shape} and std {arrays[1].shape} do not "
                         f"broadcast") from None
    npd = np.result_type(*[v._data.dtype for v in (mean, std) if isinstance(v, Tensor)])
    arr = gen.standard_normal(shape) * arrays[1] + arrays[0]
    device = (mean if isinstance(mean, Tensor) else std).device
    return Tensor._wrap(arr.astype(npd), device)


def logspace(start, end, steps, base=10.0, *, dtype=None, device=None, requires_grad=False):
    """base ** linspace(start, end, steps): `steps` points, geometrically spaced.

    >>> pe.logspace(0, 2, 3)
    tensor([  1.,  10., 100.])
    """
    (steps,) = _size((steps,), "logspace")
    npd = _np_dtype(dtype)
    arr = np.power(float(base), np.linspace(float(start), float(end), steps))
    if npd.kind in "iu":
        arr = np.trunc(arr)
    return tensor(arr.astype(npd), dtype=dtype or npd.name, device=device,
                  requires_grad=requires_grad)


def addmm(input, mat1, mat2, *, beta=1, alpha=1):
    """beta * input + alpha * (mat1 @ mat2); mat1 (n, m), mat2 (m, p), input broadcasts to
    (n, p). beta=0 ignores input (nan and inf in it do not propagate), as PyTorch.

    >>> pe.addmm(pe.ones(2, 2), pe.eye(2), pe.eye(2), beta=0.5, alpha=2)
    tensor([[2.5, 0.5],
            [0.5, 2.5]])
    """
    op = "addmm"
    for name, m in (("mat1", mat1), ("mat2", mat2)):
        if not isinstance(m, Tensor) or m.ndim != 2:
            raise ValueError(f"[{op}] {name} must be a 2-D pe.Tensor, got "
                             f"{getattr(m, 'shape', type(m).__name__)}")
    if mat1.shape[1] != mat2.shape[0]:
        raise ValueError(f"[{op}] inner dimensions differ: {tuple(mat1.shape)} @ "
                         f"{tuple(mat2.shape)}")
    out_shape = (mat1.shape[0], mat2.shape[1])
    try:
        if np.broadcast_shapes(tuple(np.shape(input)), out_shape) != out_shape:
            raise ValueError
    except ValueError:
        raise ValueError(f"[{op}] input {tuple(np.shape(input))} does not broadcast to the "
                         f"product's shape {out_shape}") from None
    prod = mat1 @ mat2
    prod = prod if alpha == 1 else prod * alpha
    if beta == 0:
        return prod
    return prod + (input if beta == 1 else input * beta)


def kron(input, other):
    """The Kronecker product: out[i * B + j] = input[i] * other[j] along every dim (the shorter
    operand gets leading size-1 dims).

    >>> pe.kron(pe.tensor([1.0, 2.0]), pe.tensor([1.0, 10.0]))
    tensor([ 1., 10.,  2., 20.])
    """
    op = "kron"
    if not isinstance(input, Tensor) or not isinstance(other, Tensor):
        raise TypeError(f"[{op}] expects two pe.Tensors, got {type(input).__name__} and "
                        f"{type(other).__name__}")
    nd = max(input.ndim, other.ndim)
    a = input.reshape((1,) * (nd - input.ndim) + tuple(input.shape))
    b = other.reshape((1,) * (nd - other.ndim) + tuple(other.shape))
    # interleave: a (a0, 1, a1, 1, ...) * b (1, b0, 1, b1, ...) -> (a0 b0, a1 b1, ...)
    a2 = a.reshape(tuple(s for d in a.shape for s in (d, 1)))
    b2 = b.reshape(tuple(s for d in b.shape for s in (1, d)))
    return (a2 * b2).reshape(tuple(x * y for x, y in zip(a.shape, b.shape)))


def _cross(input, other, dim, op):
    if not isinstance(input, Tensor) or not isinstance(other, Tensor):
        raise TypeError(f"[{op}] expects two pe.Tensors, got {type(input).__name__} and "
                        f"{type(other).__name__}")
    try:
        shape = np.broadcast_shapes(tuple(input.shape), tuple(other.shape))
    except ValueError:
        raise ValueError(f"[{op}] shapes {tuple(input.shape)} and {tuple(other.shape)} do not "
                         f"broadcast") from None
    if dim is None:  # torch.cross's legacy default: the first dim of size 3
        dim = next((d for d, s in enumerate(shape) if s == 3), None)
        if dim is None:
            raise ValueError(f"[{op}] no dimension of size 3 in the shape {shape}")
    if not isinstance(dim, (int, np.integer)) or not -len(shape) <= dim < len(shape):
        raise IndexError(f"[{op}] dim {dim!r} out of range for a {len(shape)}-D shape")
    dim = int(dim) % len(shape)
    if shape[dim] != 3:
        raise ValueError(f"[{op}] dimension {dim} must have size 3, got shape {shape}")
    a, b = input.expand(*shape), other.expand(*shape)

    def part(t, i):
        return t[(slice(None),) * dim + (i,)]

    # component i = a_j b_k - a_k b_j for (i, j, k) a cyclic shift of (0, 1, 2)
    return stack([part(a, j) * part(b, k) - part(a, k) * part(b, j)
                  for j, k in ((1, 2), (2, 0), (0, 1))], dim)


def cross(input, other, dim=None):
    """The cross product of 3-vectors along `dim` (input and other broadcast). dim=None takes the
    first dimension of size 3, torch.cross's default; pe.linalg.cross defaults to dim=-1.

    >>> pe.cross(pe.tensor([1.0, 0.0, 0.0]), pe.tensor([0.0, 1.0, 0.0]))
    tensor([0., 0., 1.])
    """
    return _cross(input, other, dim, "cross")


def linalg_cross(input, other, *, dim=-1):
    """pe.linalg.cross: the cross product along dim (default -1)."""
    return _cross(input, other, dim, "linalg.cross")
