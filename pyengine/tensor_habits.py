"""PyTorch tensor habits: the methods that pytorch/examples and the PyTorch tutorials call on
tensors, mixed into `Tensor` (``class Tensor(TorchHabits)``). Each forwards to an existing op,
so there is no new math here; in-place methods (``add_``, ``normal_`` ...) follow Tensor's
rule: a tensor that requires grad is only modified under ``pe.no_grad()``.

``.data`` is a Tensor sharing the storage (see Tensor.data), so ``p.data.add_(...)`` works as
in PyTorch. Deliberately absent (see docs/data.md): float16 (``half``), storage / stride
manipulation (``set_``, ``as_strided``).
"""
import numpy as np

from .tensor_math_habits import MathHabits
from .tensor_special_habits import SpecialHabits
from .tensor_window_habits import WindowHabits


_TYPE_NAMES = {"float32": "FloatTensor", "float64": "DoubleTensor", "int32": "IntTensor",
               "int64": "LongTensor", "uint8": "ByteTensor", "bool": "BoolTensor"}


class TorchHabits(MathHabits, SpecialHabits, WindowHabits):
    __slots__ = ()
    is_sparse = False  # SparseCOOTensor (sparse_coo.py) says True

    @property
    def layout(self):
        from .sparse_coo import strided
        return strided

    def to_dense(self):
        return self  # torch: a strided tensor is already dense

    def to_sparse(self, sparse_dim=None):
        """The sparse COO form (pyengine/sparse_coo.py): the nonzeros, coalesced."""
        from .sparse_coo import dense_to_sparse
        return dense_to_sparse(self, sparse_dim)

    # ---- comparisons and linear algebra --------------------------------------------------
    def eq(self, other): return self == other
    def ne(self, other): return self != other
    def lt(self, other): return self < other
    def le(self, other): return self <= other
    def gt(self, other): return self > other
    def ge(self, other): return self >= other

    def equal(self, other):
        """True when shapes and every element are equal (a Python bool)."""
        o = other._data if isinstance(other, _tensor()) else np.asarray(other)
        return self._data.shape == o.shape and bool((self._data == o).all())

    def mm(self, other):
        """Matrix product of two 2-D tensors (use matmul / @ for batches and vectors)."""
        o = other if isinstance(other, _tensor()) else _tensor()._wrap(np.asarray(other))
        if self.ndim != 2 or o.ndim != 2:
            raise RuntimeError(f"[mm] both arguments must be 2-D, got shapes {self.shape} and "
                               f"{o.shape}")
        return self @ o

    def t(self):
        """Transpose of a tensor with at most 2 dimensions."""
        if self.ndim > 2:
            raise RuntimeError(f"[t] expects a tensor with <= 2 dimensions, got {self.ndim}-D; "
                               "use transpose(dim0, dim1) or permute")
        return self.T if self.ndim == 2 else self

    # ---- shape -----------------------------------------------------------------------------
    def view_as(self, other): return self.reshape(other.shape)
    def reshape_as(self, other): return self.reshape(other.shape)

    def expand_as(self, other): return self.expand(other.shape)

    def type_as(self, other): return self.astype(other.dtype)

    def type(self, dtype=None, non_blocking=False):
        """PyTorch's ``Tensor.type``: with no dtype the type name ('pyengine.FloatTensor' where
        torch says 'torch.FloatTensor'); with a dtype, a dtype name or a type name
        ('torch.LongTensor', 'pyengine.BoolTensor') a cast, as ``astype`` (self when the dtype
        is already that). `non_blocking` only matters for GPU copies, as in torch."""
        from . import dtypes as dt
        if dtype is None:
            return "pyengine." + _TYPE_NAMES[dt.from_numpy_dtype(self._data.dtype).name]
        if callable(dtype) and isinstance(getattr(dtype, "dtype", None), str):
            dtype = dtype.dtype  # a legacy constructor: x.type(torch.FloatTensor)
        if isinstance(dtype, str) and dtype.endswith("Tensor"):
            short = dtype.rsplit(".", 1)[-1]
            names = {v: k for k, v in _TYPE_NAMES.items()}
            if short not in names:
                raise TypeError(f"[type] unknown tensor type '{dtype}'; valid: "
                                f"{', '.join(sorted(names))}")
            dtype = names[short]
        want = dt.as_dtype(dtype)
        return self if want.np == self._data.dtype else self.astype(want)

    def repeat(self, *sizes):
        """Tile: ``x.repeat(2, 3)`` repeats a (a, b) tensor into (2a, 3b) (np.tile's rule,
        sizes may add leading dimensions). Built from reshape + expand, so it differentiates."""
        sizes = tuple(sizes[0]) if len(sizes) == 1 and isinstance(sizes[0], (tuple, list)) \
            else tuple(sizes)
        if len(sizes) < self.ndim:
            raise RuntimeError(f"[repeat] number of repeat dims ({len(sizes)}) can not be smaller "
                               f"than number of tensor dims ({self.ndim})")
        # a 0-d integer tensor counts as its int (tf.tile(token, (tf.shape(x)[0], 1, 1)))
        sizes = tuple(_int_size(s) for s in sizes)
        if any(not isinstance(s, (int, np.integer)) or s < 0 for s in sizes):
            raise ValueError(f"[repeat] sizes must be non-negative ints, got {sizes}")
        shape = (1,) * (len(sizes) - self.ndim) + tuple(self.shape)
        inter = tuple(v for s in shape for v in (1, s))
        tiled = tuple(v for r, s in zip(sizes, shape) for v in (r, s))
        return self.reshape(inter).expand(tiled).reshape(
            tuple(r * s for r, s in zip(sizes, shape)))

    def narrow(self, dim, start, length):
        dim = dim % self.ndim
        return self[(slice(None),) * dim + (slice(start, start + length),)]

    def index_select(self, dim, index):
        idx = index._data if isinstance(index, _tensor()) else np.asarray(index)
        if idx.ndim != 1:
            raise IndexError(f"[index_select] index must be 1-D, got shape {idx.shape}")
        dim = dim % self.ndim
        return self[(slice(None),) * dim + (_tensor()._wrap(idx.astype(np.int64)),)]

    def gather(self, dim, index):
        """out[i][j] = self[i][index[i][j]] for dim=1 (any rank / dim). Differentiable."""
        idx = index._data if isinstance(index, _tensor()) else np.asarray(index)
        if idx.ndim != self.ndim:
            raise RuntimeError(f"[gather] index has {idx.ndim} dims but the input has "
                               f"{self.ndim}")
        dim = dim % self.ndim
        grids = list(np.indices(idx.shape, sparse=True))
        grids[dim] = idx.astype(np.int64)
        return self[tuple(_tensor()._wrap(np.broadcast_to(g, idx.shape)) for g in grids)]

    def sort(self, dim=-1, descending=False, stable=True):
        """(values, indices) along dim, as PyTorch; values differentiate through gather. The
        sort is always stable (equal values keep their order): stable=False allows any order
        of equal values, so the stable answer is one PyTorch may give too."""
        idx = np.argsort(_descending_key(self._data) if descending else self._data, axis=dim,
                         kind="stable")
        return _SortResult(self.gather(dim, idx), _tensor()._wrap(idx.astype(np.int64)))

    def argsort(self, dim=-1, descending=False, stable=False):
        """Indices that sort along dim (stable, see sort)."""
        return self.sort(dim, descending, stable).indices

    def topk(self, k, dim=-1, largest=True, sorted=True):
        """(values, indices) of the k largest (smallest) entries along dim, in order: always
        sorted, which sorted=False (any order) allows too."""
        n = self.shape[dim]
        if not 0 <= k <= n:
            raise RuntimeError(f"[topk] k ({k}) is out of range for dimension of size {n}")
        key = _descending_key(self._data) if largest else self._data
        idx = np.take(np.argsort(key, axis=dim, kind="stable"), np.arange(k), axis=dim)
        return _SortResult(self.gather(dim, idx), _tensor()._wrap(idx.astype(np.int64)))

    def norm(self, p="fro", dim=None, keepdim=False):
        """The 2-norm (p=2 or 'fro'), 1-norm or inf-norm over all or `dim`; differentiable."""
        if p in ("fro", 2, 2.0):
            return (self * self).sum(dim=dim, keepdim=keepdim).sqrt()
        if p in (1, 1.0):
            return self.abs().sum(dim=dim, keepdim=keepdim)
        if p == float("inf"):
            return self.abs().max(axis=dim, keepdims=keepdim)
        raise ValueError(f"[norm] p must be 1, 2, 'fro' or inf, got {p!r}")

    def masked_fill(self, mask, value):
        m = mask if isinstance(mask, _tensor()) else _tensor()._wrap(np.asarray(mask, bool))
        from .ops.elementwise import where
        return where(m, _tensor()._wrap(np.asarray(value, self._data.dtype)), self)

    def new_zeros(self, *size, dtype=None): return self._new(np.zeros, size, dtype)
    def new_ones(self, *size, dtype=None): return self._new(np.ones, size, dtype)
    def new_empty(self, *size, dtype=None): return self._new(np.empty, size, dtype)

    def new_full(self, size, fill_value, dtype=None):
        return self._new(lambda s, dtype: np.full(s, fill_value, dtype), (size,), dtype)

    def new(self, *args):
        """torch's legacy Tensor.new: new(*sizes) is a new (zero-filled; torch leaves it
        uninitialized) tensor of this dtype and device, new(data) the data in this dtype,
        new() an empty one."""
        from .tensor import _is_size
        if not args:
            return self._new(np.zeros, ((0,),), None)
        if all(_is_size(a) for a in args):
            return self._new(np.zeros, args, None)
        if len(args) != 1:
            raise TypeError(f"[new] expected sizes (ints) or one data argument, got {len(args)} "
                            "arguments")
        return self.new_tensor(args[0])

    def new_tensor(self, data, dtype=None):
        return _tensor()._from_data(data, dtype=dtype or self.dtype, device=self.device)

    def _new(self, fn, size, dtype):
        shape = tuple(size[0]) if len(size) == 1 and isinstance(size[0], (tuple, list)) \
            else tuple(size)
        npd = self._data.dtype if dtype is None else _dt.as_dtype(dtype).np
        return _tensor()._wrap(fn(shape, dtype=npd), self.device)

    # ---- random --------------------------------------------------------------------------
    def bernoulli(self, generator=None):
        """0/1 samples, 1 with probability self (values in [0, 1]); same dtype, no gradient."""
        p = self._data
        if p.size and (p.min() < 0 or p.max() > 1):
            raise RuntimeError("[bernoulli] probabilities must be in [0, 1]")
        u = _random.get_generator(generator).random(p.shape)
        return _tensor()._wrap((u < p).astype(p.dtype), self.device)

    def normal_(self, mean=0.0, std=1.0, generator=None):
        g = _random.get_generator(generator)
        return self._fill_from(g.normal(mean, std, self.shape))

    def uniform_(self, a=0.0, b=1.0, generator=None):
        return self._fill_from(_random.get_generator(generator).uniform(a, b, self.shape))

    def random_(self, low=0, high=None, generator=None):
        if high is None:
            low, high = 0, low
        return self._fill_from(_random.get_generator(generator).integers(low, high, self.shape))

    def bernoulli_(self, p=0.5, generator=None):
        u = _random.get_generator(generator).random(self.shape)
        return self._fill_from(u < (p._data if isinstance(p, _tensor()) else p))

    def exponential_(self, lambd=1.0, generator=None):
        return self._fill_from(_random.get_generator(generator).exponential(1.0 / lambd,
                                                                            self.shape))

    def _fill_from(self, values):
        if self.requires_grad and _autograd.is_grad_enabled() and self._node is not None:
            # a tensor computed in a recorded graph takes the random values as a write
            # (Tensor._adopt): its old gradient path ends, as PyTorch's
            return self._setitem_recorded(Ellipsis, np.asarray(values).astype(self._data.dtype),
                                          "fill")
        self._check_inplace("fill")
        self._check_writable("fill")
        np.copyto(self._data, values, casting="unsafe")
        self._mark_written()
        return self

    def _check_inplace(self, op):
        if self.requires_grad and _autograd.is_grad_enabled():
            raise RuntimeError(f"[{op}_] a leaf tensor that requires grad can't be modified in "
                               "place; wrap it in pe.no_grad()")

    # ---- in-place arithmetic (x.op_(...) == x.copy_(x.op(...))) --------------------------
    def add_(self, other, alpha=1):
        if isinstance(alpha, _tensor()) and not isinstance(other, _tensor()):
            other, alpha = alpha, other  # PyTorch 0.x's add_(value, tensor), still in examples
        return self._inplace(self + (other if alpha == 1 else other * alpha))

    def sub_(self, other, alpha=1):
        return self._inplace(self - (other if alpha == 1 else other * alpha))

    def mul_(self, other): return self._inplace(self * other)
    def div_(self, other, *, rounding_mode=None):
        return self._inplace(self.div(other, rounding_mode=rounding_mode))

    # ---- batched products as methods (the chatbot tutorial: attn_weights.bmm(encoder_out)) --
    def bmm(self, mat2):
        from .ops.attention import bmm
        return bmm(self, mat2)

    def baddbmm(self, batch1, batch2, *, beta=1.0, alpha=1.0):
        from .ops.attention import baddbmm
        return baddbmm(self, batch1, batch2, beta=beta, alpha=alpha)

    # ---- shape changes in place (char-RNN generation: target.unsqueeze_(-1)) ---------------
    def _restride(self, view, op):
        """self becomes `view` of its own storage (torch's in-place view ops). A tensor computed
        in a recorded graph adopts the view and its node (Tensor._adopt: ops that read it before
        keep its old shape); a leaf that requires grad refuses."""
        if self.requires_grad and _autograd.is_grad_enabled():
            if self._node is None:
                raise RuntimeError(f"[{op}] changes the shape of a leaf tensor that requires "
                                   f"grad in place; use {op[:-1]}() (out of place)")
            return self._adopt(view, op, values_only_here=True)
        self._data = view._data
        return self

    def unsqueeze_(self, dim): return self._restride(self.unsqueeze(dim), "unsqueeze_")
    def squeeze_(self, dim=None): return self._restride(self.squeeze(dim=dim), "squeeze_")
    def t_(self): return self._restride(self.t(), "t_")
    def transpose_(self, dim0, dim1): return self._restride(self.transpose(dim0, dim1),
                                                            "transpose_")

    # torch's long names
    def subtract(self, other, *, alpha=1): return self.sub(other, alpha=alpha)
    def multiply(self, other): return self * other
    def divide(self, other, *, rounding_mode=None): return self.div(other, rounding_mode=rounding_mode)
    def true_divide(self, other): return self / other
    def pow_(self, exponent): return self._inplace(self ** exponent)
    def neg_(self): return self._inplace(-self)
    def abs_(self): return self._inplace(self.abs())
    def sqrt_(self): return self._inplace(self.sqrt())
    def exp_(self): return self._inplace(self.exp())
    def clamp_(self, min=None, max=None): return self._inplace(self.clamp(min, max))
    clip_ = clamp_
    def relu_(self): return self._inplace(self.relu())
    def sigmoid_(self): return self._inplace(self.sigmoid())
    def tanh_(self): return self._inplace(self.tanh())

    def addcmul_(self, tensor1, tensor2, value=1):
        return self._inplace(self + value * tensor1 * tensor2)

    def addcdiv_(self, tensor1, tensor2, value=1):
        return self._inplace(self + value * tensor1 / tensor2)

    def lerp_(self, end, weight):
        return self._inplace(self + weight * (end - self))

    def masked_fill_(self, mask, value):
        return self._inplace(self.masked_fill(mask, value))

    # ---- facts about the tensor ---------------------------------------------------------
    @property
    def is_cuda(self): return self.device.type == "cuda"

    @property
    def is_cpu(self): return self.device.type == "cpu"

    def is_floating_point(self): return self._data.dtype.kind == "f"

    def share_memory_(self):
        """Moves the values into memory shared with child processes (pe.multiprocessing): a
        child that receives this tensor maps the same memory, so in-place updates are seen by
        all. No-op if already shared, and for device tensors."""
        from .multiprocessing.shared_tensors import share_memory_
        return share_memory_(self)

    def is_shared(self):
        from .multiprocessing.shared_tensors import is_shared
        return is_shared(self)
    def is_contiguous(self, memory_format=None):
        if memory_format is None:
            return bool(self._data.flags.c_contiguous)
        from . import memory_formats as _mf
        return _mf.is_in(self._data, _mf.check(memory_format, "is_contiguous"))
    def nelement(self): return int(self._data.size)
    def ndimension(self): return self._data.ndim
    def element_size(self): return self._data.itemsize
    def data_ptr(self): return self._data.ctypes.data

    def storage_offset(self):
        """Elements between the start of the memory this tensor views (its storage: the array
        that owns it) and its first element."""
        from .ops.strided_view import byte_bounds, data_address, memory_owner
        return (data_address(self._data) - byte_bounds(memory_owner(self._data))[0]) // \
            self._data.itemsize

    def as_strided(self, size, stride, storage_offset=None):
        """torch.as_strided: the view of this tensor's storage with `size`, `stride` (in
        elements) and `storage_offset` (this tensor's own by default); its gradient sums into
        the elements each value views."""
        from .ops.strided_view import StridedView
        size, stride = tuple(int(n) for n in size), tuple(int(n) for n in stride)
        if len(size) != len(stride):
            raise RuntimeError(f"[as_strided] mismatch in length of strides and shape: "
                               f"{len(size)} sizes, {len(stride)} strides")
        if any(n < 0 for n in size) or any(s < 0 for s in stride):
            raise RuntimeError(f"[as_strided] sizes and strides must be non-negative, got "
                               f"{size} and {stride}")
        own = self.storage_offset()
        start = own if storage_offset is None else int(storage_offset)
        if start < 0:
            raise RuntimeError(f"[as_strided] storage_offset must be non-negative, got {start}")
        item = self._data.itemsize
        return StridedView.apply(self, shape=size, strides=tuple(s * item for s in stride),
                                 offset=(start - own) * item)

    def stride(self, dim=None):
        """Strides in elements (PyTorch's unit), or the stride of one dimension."""
        s = tuple(b // self._data.itemsize for b in self._data.strides)
        return s if dim is None else s[dim]

    # ---- DLPack (zero-copy exchange; see pyengine/interop.py) -----------------------------
    def __dlpack__(self, *, stream=None, max_version=None, dl_device=None, copy=None):
        if self.device.type != "cpu":
            raise BufferError("[__dlpack__] only CPU tensors can be exported")
        kw = {k: v for k, v in (("max_version", max_version), ("dl_device", dl_device),
                                ("copy", copy)) if v is not None}
        return self._data.__dlpack__(stream=stream, **kw)

    def __dlpack_device__(self):
        return self._data.__dlpack_device__()

    def __format__(self, spec):
        """``f'{loss:.4f}'`` formats a one-element tensor as its number (as PyTorch)."""
        if self._data.size == 1 and self.ndim <= 1 or (self._data.size == 1 and spec):
            return format(self.item(), spec)
        if spec:
            raise TypeError(f"unsupported format string {spec!r} passed to a Tensor of shape "
                            f"{self.shape}: format a one-element tensor or tensor.tolist()")
        return str(self)


class _SortResult(tuple):
    """(values, indices), also by name as torch.return_types.sort / topk."""

    def __new__(cls, values, indices):
        return super().__new__(cls, (values, indices))

    values = property(lambda self: self[0])
    indices = property(lambda self: self[1])


def Variable(data, requires_grad=False, volatile=False):
    """``torch.autograd.Variable``: a pre-0.4 wrapper that is just a Tensor now. Returns `data`
    itself when it is a Tensor (with requires_grad set when asked), else a new tensor."""
    if volatile:
        raise ValueError("[Variable] volatile was removed in PyTorch 0.4; use pe.no_grad()")
    t = data if isinstance(data, _tensor()) else _tensor()._from_data(data)
    if requires_grad:
        t.requires_grad_(True)
    return t


def bernoulli(input, generator=None):
    """pe.bernoulli(p): 0/1 samples with probabilities p."""
    return input.bernoulli(generator=generator)


from . import autograd as _autograd  # noqa: E402
from . import dtypes as _dt  # noqa: E402
from . import random as _random  # noqa: E402


def _tensor():
    # tensor.py imports this module before it defines Tensor: look it up at call time.
    from .tensor import Tensor
    return Tensor


def _descending_key(a):
    """A key whose ascending order is `a`'s descending order (unsigned and bool values are
    widened first: -uint8(0) would stay 0 and sort first)."""
    return -(a.astype(np.int64) if a.dtype.kind in "bu" else a)


def whole_number_size(s, op):
    """A 0-d tensor / array holding a whole number as its int, for TensorFlow's shape-like
    arguments (tf.tile's multiples, tf.reshape's shape): keras-io RetinaNet tiles by
    `tf.math.ceil(height / 8)`, a float tensor. 2.5, inf and NaN are refused; any other value
    is returned unchanged for the caller's own check."""
    data = getattr(s, "_data", s)
    if isinstance(data, (np.ndarray, np.floating)) and np.ndim(data) == 0 \
            and np.asarray(data).dtype.kind == "f":
        v = float(data)
        if not np.isfinite(v) or v != np.floor(v):
            raise ValueError(f"[{op}] a size must be a whole number, got {v}")
        return int(v)
    return _int_size(s)


def _int_size(s):
    """A 0-d integer tensor / array as its int, anything else unchanged (for the check)."""
    data = getattr(s, "_data", s)
    if isinstance(data, np.ndarray) and data.ndim == 0 and data.dtype.kind in "iu":
        return int(data)
    return s
