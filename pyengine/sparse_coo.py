"""Sparse COO tensors (torch.sparse_coo_tensor, Tensor.to_sparse, torch.sparse.mm / torch.spmm):
the minimal set graph programs use (pytorch/examples gcn: a normalized sparse adjacency times
dense node features), written over existing differentiable ops, so autograd needs nothing new.

A SparseCOOTensor holds `indices` (a (ndim, nnz) int64 array), `values` (a 1-D Tensor, the
graph's leaf or node: gradients flow to it) and a shape. Products with dense tensors gather the
dense rows the nonzeros need and sum them with index_add, never densifying the sparse operand.
Supported: sparse @ dense and dense @ sparse (2-D sparse; dense 1-D or 2-D) -> dense,
sparse @ sparse -> sparse, dense + / - sparse -> dense, sparse + / - sparse and sparse * or /
scalar -> sparse, sparse * dense (same shape) -> sparse, sum() of all elements, to_dense(),
coalesce(), t() / transpose, to(device / dtype). Values with more than one dimension (torch's
hybrid tensors) are refused.

It subclasses Tensor so that `dense @ sparse` and `dense + sparse` reach its reflected operators
first (Python's rule for subclasses) and `isinstance(x, pe.Tensor)` holds, as in torch. Any
other dense operation reads `._data`, which raises an error naming the operation and the way
out (`.to_dense()`), never a wrong answer."""
import sys

import numpy as np

from . import dtypes as _dt
from .package_frames import is_package_frame
from .tensor import Tensor


class _Layout:
    def __init__(self, name):
        self.name = name

    def __repr__(self):
        return f"pyengine.{self.name}"


strided = _Layout("strided")
sparse_coo = _Layout("sparse_coo")


def _as_tensor(x):
    return x if isinstance(x, Tensor) else Tensor._from_data(np.asarray(x))


_PLUMBING = {"wrapper", "apply", "apply1", "apply2", "apply_tensors", "f", "<listcomp>",
             "<genexpr>", "<lambda>", "<dictcomp>"}


def _public_caller(frame):
    """The name of the pyengine function the user called (the outermost pyengine frame that is
    not plumbing or private), so an error says [exp] or [save], not [apply] or [_encode]."""
    chain = []
    while frame is not None and is_package_frame(frame):
        chain.append(frame.f_code.co_name)
        frame = frame.f_back
    for name in reversed(chain):
        if name not in _PLUMBING and not (name.startswith("_") and not name.startswith("__")):
            return name
    return chain[0] if chain else "operation"


class SparseCOOTensor(Tensor):
    is_sparse = True
    layout = sparse_coo
    _node = None  # never a graph node itself: its values tensor is
    _retain_grad = False

    def __init__(self, *args, **kwargs):
        raise TypeError("[SparseCOOTensor] create sparse tensors with pe.sparse_coo_tensor("
                        "indices, values, size) or dense.to_sparse()")

    @classmethod
    def _make(cls, indices, values, shape, coalesced=False):
        t = object.__new__(cls)
        object.__setattr__(t, "_sp", (np.ascontiguousarray(indices, np.int64), values,
                                      tuple(int(n) for n in shape), bool(coalesced)))
        return t

    # Dense storage does not exist: any Tensor method that needs it names itself and fails.
    @property
    def _data(self):
        op = _public_caller(sys._getframe(1))
        raise RuntimeError(f"[{op}] is not supported on a sparse COO tensor (pyengine's sparse "
                           "support: @ / mm / spmm with dense tensors, + and - with dense or "
                           "sparse, * and / by a scalar, sum(), to_dense(), coalesce(), t()); "
                           "call .to_dense() first")

    # ---- what a sparse tensor is ------------------------------------------------------------
    @property
    def shape(self):
        return self._sp[2]

    def size(self, dim=None):
        return self._sp[2] if dim is None else self._sp[2][dim]

    @property
    def ndim(self):
        return len(self._sp[2])

    def dim(self):
        return len(self._sp[2])

    def __len__(self):
        return self._sp[2][0]

    def numel(self):
        return int(np.prod(self._sp[2], dtype=np.int64))

    @property
    def dtype(self):
        return self._sp[1].dtype

    @property
    def device(self):
        return self._sp[1].device

    @property
    def _device(self):
        return self._sp[1]._device

    @property
    def requires_grad(self):
        return self._sp[1].requires_grad

    @requires_grad.setter
    def requires_grad(self, flag):
        self._sp[1].requires_grad_(flag)

    def requires_grad_(self, flag=True):
        self._sp[1].requires_grad_(flag)
        return self

    @property
    def grad(self):
        """The gradient as a sparse tensor of the same pattern (None before backward)."""
        g = self._sp[1].grad
        return None if g is None else SparseCOOTensor._make(self._sp[0], g, self._sp[2],
                                                            self._sp[3])

    @property
    def is_leaf(self):
        return self._sp[1].is_leaf

    @property
    def grad_fn(self):
        return self._sp[1].grad_fn

    def sparse_dim(self):
        return self.ndim

    def dense_dim(self):
        return 0

    def _nnz(self):
        return int(self._sp[0].shape[1])

    def is_coalesced(self):
        return self._sp[3]

    def _indices(self):
        return Tensor._wrap(self._sp[0].copy(), self._sp[1]._device)

    def _values(self):
        return self._sp[1]

    def indices(self):
        if not self._sp[3]:
            raise RuntimeError("[indices] cannot get indices on an uncoalesced sparse tensor; "
                               "call .coalesce() first (or ._indices())")
        return self._indices()

    def values(self):
        if not self._sp[3]:
            raise RuntimeError("[values] cannot get values on an uncoalesced sparse tensor; "
                               "call .coalesce() first (or ._values())")
        return self._sp[1]

    def __repr__(self):
        ind = repr(Tensor._wrap(self._sp[0])).replace("\n", "\n" + " " * 15)
        val = repr(self._sp[1]).replace("\n", "\n" + " " * 14)
        return (f"tensor(indices={ind},\n       values={val},\n       size={self._sp[2]}, "
                f"nnz={self._nnz()}, layout={sparse_coo})")

    __str__ = __repr__

    def __bool__(self):
        raise RuntimeError("[bool] the truth value of a sparse tensor is ambiguous")

    def __hash__(self):
        return id(self)

    # ---- conversions -----------------------------------------------------------------------
    def _flat(self):
        return (np.ravel_multi_index(tuple(self._sp[0]), self._sp[2]) if self._nnz()
                else np.zeros(0, np.int64))

    def to_dense(self):
        """The dense tensor (duplicate indices summed); differentiable w.r.t. the values."""
        ind, val, shape, _ = self._sp
        flat = Tensor._wrap(np.zeros(int(np.prod(shape, dtype=np.int64)), val._data.dtype),
                            val._device)
        return flat.index_add(0, Tensor._wrap(self._flat()), val).reshape(shape)

    def coalesce(self):
        """Duplicates summed, indices sorted (row-major); differentiable w.r.t. the values."""
        if self._sp[3]:
            return self
        ind, val, shape, _ = self._sp
        uniq, inverse = np.unique(self._flat(), return_inverse=True)
        summed = Tensor._wrap(np.zeros(len(uniq), val._data.dtype), val._device).index_add(
            0, Tensor._wrap(inverse.reshape(-1).astype(np.int64)), val)
        new_ind = (np.stack(np.unravel_index(uniq, shape)) if len(uniq)
                   else np.zeros((len(shape), 0), np.int64))
        return SparseCOOTensor._make(new_ind, summed, shape, True)

    def to_sparse(self, *args, **kwargs):
        if args or kwargs:
            raise NotImplementedError("[to_sparse] a sparse tensor only converts to itself here")
        return self

    def to(self, *args, **kwargs):
        """Device / dtype moves apply to the values (pyengine tensors live on the CPU)."""
        return SparseCOOTensor._make(self._sp[0], self._sp[1].to(*args, **kwargs), self._sp[2],
                                     self._sp[3])

    def cpu(self):
        return self

    def float(self):
        return self.to(_dt.float32)

    def double(self):
        return self.to(_dt.float64)

    def long(self):
        return self.to(_dt.int64)

    def detach(self):
        return SparseCOOTensor._make(self._sp[0], self._sp[1].detach(), self._sp[2], self._sp[3])

    def clone(self):
        return SparseCOOTensor._make(self._sp[0].copy(), self._sp[1].clone(), self._sp[2],
                                     self._sp[3])

    def t(self):
        if self.ndim != 2:
            raise RuntimeError(f"[t] expects a 2-D sparse tensor, got {self.ndim}-D")
        return self.transpose(0, 1)

    @property
    def T(self):
        return self.t()

    def transpose(self, dim0, dim1):
        d0, d1 = dim0 % self.ndim, dim1 % self.ndim
        order = list(range(self.ndim))
        order[d0], order[d1] = order[d1], order[d0]
        ind, val, shape, _ = self._sp
        return SparseCOOTensor._make(ind[order], val, tuple(shape[i] for i in order),
                                     self.ndim == 1)

    # ---- arithmetic ------------------------------------------------------------------------
    def _same_shape(self, other, op):
        if tuple(other.shape) != self._sp[2]:
            raise RuntimeError(f"[{op}] shapes differ: sparse {self._sp[2]} and "
                               f"{tuple(other.shape)}")

    def __add__(self, other):
        if isinstance(other, SparseCOOTensor):
            self._same_shape(other, "add")
            from .ops.shape import cat
            dtype = _result_dtype(self, other)
            vals = [v if v.dtype == dtype else v.to(dtype) for v in (self._sp[1], other._sp[1])]
            ind = np.concatenate([self._sp[0], other._sp[0]], axis=1)
            return SparseCOOTensor._make(ind, cat(vals, 0), self._sp[2]).coalesce()
        raise RuntimeError("[add] add(sparse, dense) is not supported. Use add(dense, sparse) "
                           "instead (dense + sparse gives a dense tensor)")

    def __radd__(self, other):
        if isinstance(other, Tensor):
            self._same_shape(other, "add")
            return other + self.to_dense()
        raise RuntimeError(f"[add] cannot add {type(other).__name__} and a sparse tensor")

    def __sub__(self, other):
        if isinstance(other, SparseCOOTensor):
            return self + (-other)
        raise RuntimeError("[sub] sub(sparse, dense) is not supported. Use sub(dense, sparse) "
                           "instead")

    def __rsub__(self, other):
        if isinstance(other, Tensor):
            self._same_shape(other, "sub")
            return other - self.to_dense()
        raise RuntimeError(f"[sub] cannot subtract a sparse tensor from {type(other).__name__}")

    def __neg__(self):
        return SparseCOOTensor._make(self._sp[0], -self._sp[1], self._sp[2], self._sp[3])

    def __mul__(self, other):
        ind, val, shape, co = self._sp
        if isinstance(other, SparseCOOTensor):
            raise NotImplementedError("[mul] sparse * sparse is not supported; multiply by "
                                      "other.to_dense()")
        if isinstance(other, Tensor) and other.ndim > 0:
            self._same_shape(other, "mul")
            return SparseCOOTensor._make(ind, val * other[tuple(ind)], shape, co)
        return SparseCOOTensor._make(ind, val * other, shape, co)

    __rmul__ = __mul__

    def __truediv__(self, other):
        if isinstance(other, Tensor) and other.ndim > 0:
            raise NotImplementedError("[div] a sparse tensor divides by a scalar only")
        ind, val, shape, co = self._sp
        return SparseCOOTensor._make(ind, val / other, shape, co)

    def sum(self, *args, **kwargs):
        """Sum of all elements (a dense 0-d tensor). Sums over some dimensions are not
        implemented (torch.sparse.sum(x, dim) gives a sparse tensor)."""
        if any(a not in (None, False) for a in args + tuple(kwargs.values())):
            raise NotImplementedError("[sum] only the full sum of a sparse tensor is supported; "
                                      "use x.to_dense().sum(dim)")
        return self._sp[1].sum()

    # ---- products --------------------------------------------------------------------------
    def _times_dense(self, dense, op):
        """self (M, N) @ dense (N,) or (N, K): out[r] += v * dense[c] for each nonzero."""
        if self.ndim != 2:
            raise NotImplementedError(f"[{op}] only 2-D sparse tensors multiply, got "
                                      f"{self.ndim}-D")
        if dense.ndim not in (1, 2) or dense.shape[0] != self._sp[2][1]:
            raise RuntimeError(f"[{op}] shapes cannot be multiplied: sparse {self._sp[2]} and "
                               f"{tuple(dense.shape)}")
        ind, val, (m, _), _ = self._sp
        dtype = _result_dtype(self, dense)
        col = dense if dense.ndim == 2 else dense.reshape(-1, 1)
        col = col if col.dtype == dtype else col.to(dtype)
        val = val if val.dtype == dtype else val.to(dtype)
        rows = col.index_select(0, Tensor._wrap(ind[1]))  # (nnz, K)
        out = Tensor._wrap(np.zeros((m, col.shape[1]), dtype.np), col._device).index_add(
            0, Tensor._wrap(ind[0]), val.reshape(-1, 1) * rows)
        return out if dense.ndim == 2 else out.reshape(m)

    def __matmul__(self, other):
        if isinstance(other, SparseCOOTensor):
            return (self._times_dense(other.to_dense(), "matmul")).to_sparse()
        return self._times_dense(_as_tensor(other), "matmul")

    def __rmatmul__(self, other):
        other = _as_tensor(other)
        if other.ndim == 1:  # v @ S = (S^T @ v)
            return self.t()._times_dense(other, "matmul")
        if other.ndim != 2:
            raise NotImplementedError(f"[matmul] dense {other.ndim}-D @ sparse is not supported")
        return self.t()._times_dense(other.t(), "matmul").t()

    def mm(self, other):
        if not (isinstance(other, Tensor) and other.ndim == 2):
            raise RuntimeError(f"[mm] expects a 2-D second argument, got "
                               f"{getattr(other, 'shape', type(other).__name__)}")
        return self @ other

    matmul = __matmul__


def _result_dtype(a, b):
    """PyTorch's promotion for two tensors: a float dtype wins over an integer one, else the
    wider of the two."""
    fa, fb = a.dtype.np.kind == "f", b.dtype.np.kind == "f"
    if fa != fb:
        return a.dtype if fa else b.dtype
    return _dt.from_numpy_dtype(np.result_type(a.dtype.np, b.dtype.np))


def sparse_coo_tensor(indices, values, size=None, *, dtype=None, device=None,
                      requires_grad=False, check_invariants=None, is_coalesced=None):
    """A sparse COO tensor from (ndim, nnz) integer `indices` and (nnz,) `values`; size inferred
    (max index + 1 per dimension) when None. Indices are always checked against the size
    (check_invariants only accepts None / True / False). is_coalesced=True is checked too:
    indices must be sorted and unique. Duplicates are allowed and summed by coalesce(),
    to_dense() and the products."""
    if check_invariants not in (None, True, False):
        raise TypeError(f"[sparse_coo_tensor] check_invariants must be a bool, got "
                        f"{check_invariants!r}")
    ind = indices.detach()._data if isinstance(indices, Tensor) else np.asarray(indices)
    if ind.dtype.kind not in "iu" or ind.ndim != 2:
        raise ValueError(f"[sparse_coo_tensor] indices must be a 2-D (ndim, nnz) integer "
                         f"array, got shape {ind.shape} {ind.dtype}")
    val = values if isinstance(values, Tensor) else Tensor._from_data(values)
    if val.ndim != 1:
        raise NotImplementedError(f"[sparse_coo_tensor] values must be 1-D (nnz,); hybrid "
                                  f"sparse tensors (values of shape {tuple(val.shape)}) are not "
                                  "supported")
    if val.shape[0] != ind.shape[1]:
        raise ValueError(f"[sparse_coo_tensor] {ind.shape[1]} indices but {val.shape[0]} values")
    ind = ind.astype(np.int64)
    if size is None:
        size = tuple(int(m) + 1 for m in ind.max(axis=1)) if ind.shape[1] else (0,) * len(ind)
    size = tuple(int(n) for n in size)
    if len(size) != ind.shape[0]:
        raise ValueError(f"[sparse_coo_tensor] indices have {ind.shape[0]} rows but size "
                         f"{size} has {len(size)} dimensions")
    if ind.shape[1] and ((ind < 0).any() or (ind.max(axis=1) >= np.array(size)).any()):
        raise ValueError(f"[sparse_coo_tensor] an index is out of range for size {size}")
    if dtype is not None and val.dtype != _dt.as_dtype(dtype):
        val = val.to(dtype)
    if device is not None:
        val = val.to(device)
    if requires_grad:
        if val.requires_grad and not val.is_leaf:
            raise RuntimeError("[sparse_coo_tensor] requires_grad=True needs values that are "
                               "not the result of a differentiable operation")
        val = val.detach().clone().requires_grad_(True)
    out = SparseCOOTensor._make(ind, val, size)
    if is_coalesced:
        flat = out._flat()
        if not (np.diff(flat) > 0).all():
            raise ValueError("[sparse_coo_tensor] is_coalesced=True but the indices are not "
                             "sorted and unique")
        out = SparseCOOTensor._make(ind, val, size, True)
    return out


def dense_to_sparse(x, sparse_dim=None):
    """Tensor.to_sparse(): the nonzeros of a dense tensor, coalesced; values stay in the graph
    (gradients reach x at the nonzero positions)."""
    if sparse_dim is not None and sparse_dim != x.ndim:
        raise NotImplementedError(f"[to_sparse] sparse_dim={sparse_dim} (a hybrid tensor) is "
                                  f"not supported; only all {x.ndim} dimensions sparse")
    if x.ndim == 0:
        raise RuntimeError("[to_sparse] a 0-d tensor has no sparse form here")
    nz = np.nonzero(x._data)
    ind = np.stack(nz).astype(np.int64) if nz[0].size else np.zeros((x.ndim, 0), np.int64)
    val = x[tuple(Tensor._wrap(i.astype(np.int64)) for i in nz)]
    return SparseCOOTensor._make(ind, val, x.shape, True)
