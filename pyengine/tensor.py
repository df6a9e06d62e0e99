"""Tensor: an array on a device, plus what autograd needs (requires_grad, grad, the node that
made it). Every method forwards to an op in pyengine/ops, so the math lives in one place.

Import order (no circle): backend, dtypes <- autograd <- ops <- tensor <- creation. autograd and
the ops this module uses do not import it; autograd receives the class from _bind_tensor_class
below, before any op runs."""
import sys as _sys
import weakref
from collections import namedtuple as _namedtuple

import numpy as np

from . import autograd as _autograd
from . import dtypes as _dt
from .backend import CPU, Device, checked_device, is_ordinal
from .backend import cpu as _cpu
from .ops import activation as _act
from .ops import elementwise as _ew
from .ops import matmul as _mm
from .ops import reduce as _red
from .ops import shape as _shape
from .ops.setitem import strip_leading_ones as _strip_leading_ones


def _to_array(data, dtype, op):
    """NumPy array for `data` (copied), with pyengine's default dtypes: get_default_dtype()
    (float32 unless changed) for Python floats, int64 for ints, bool for bools. Ragged or
    non-numeric data is a clear error."""
    want = None if dtype is None else _dt.as_dtype(dtype).np
    if isinstance(data, Tensor):
        data = data._data
    if isinstance(data, np.ndarray):
        arr = _cpu.copy(data, want)  # large ones 64-byte aligned, as the kernels' outputs
    else:
        try:
            arr = np.array(data, dtype=want)
        except ValueError as e:
            if "inhomogeneous" in str(e) or "sequence" in str(e):
                raise ValueError(f"[{op}] ragged nested sequence: all rows must have the same "
                                 f"length ({e})") from None
            raise ValueError(f"[{op}] cannot convert {type(data).__name__} to a tensor: {e}") from None
        except TypeError as e:
            raise TypeError(f"[{op}] cannot convert {type(data).__name__} to a tensor: {e}") from None
        if want is None and arr.dtype == np.float64:
            arr = arr.astype(_dt.default_float_np(), copy=False)
        elif want is None and arr.dtype.kind in "iu" and arr.dtype != np.uint8:
            arr = arr.astype(np.int64)
    if arr.dtype == object or arr.dtype.kind in "USV":
        raise TypeError(f"[{op}] data must be numeric, got {arr.dtype} from {type(data).__name__}")
    _dt.from_numpy_dtype(arr.dtype)  # unsupported dtypes (float16, complex) raise here
    return arr

from .tensor_habits import TorchHabits  # PyTorch tensor habits (mm, t, eq, add_, ...)

_NO_DATA = object()  # Tensor() with no argument: torch's empty float tensor


def _format_body(a):
    """The values as torch prints them under pe.set_printoptions (print_options.py; defaults:
    floats with 4 decimals, scientific with 4 when the magnitudes span more than 1e3, or reach
    1e8 or go below 1e-4: NumPy's switch is the same rule; integral floats as `1.`; 80 columns;
    1000 elements before summarizing, 3 at each edge). sci_mode True / False forces scientific
    notation / fixed point."""
    from .print_options import OPTIONS
    precision, sci = OPTIONS.precision, OPTIONS.sci_mode
    fixed = a.dtype.kind == "f" and a.size > 0
    if fixed and sci is None:
        finite = a[np.isfinite(a)]
        if np.array_equal(finite, np.round(finite)):
            big = np.abs(finite[finite != 0])  # integral: `1.` unless scientific is due
            fixed = big.size > 0 and (big.max() > 1e8 or big.max() / big.min() > 1e3)
    elif fixed and sci is False:
        finite = a[np.isfinite(a)]
        fixed = not np.array_equal(finite, np.round(finite))  # integral: `1.`, never e+09
    formatter = None
    if a.dtype == np.bool_ and a.size:  # padded to the widest value present, as torch
        width = 5 if not a.all() else 4
        formatter = {"bool": lambda v: str(bool(v)).rjust(width)}
    elif sci and a.dtype.kind == "f" and a.size:
        def sci_str(v):
            return np.format_float_scientific(v, precision=precision, unique=False,
                                              exp_digits=2)
        finite = a[np.isfinite(a)]
        probes = [finite.min(), finite.max(), np.abs(finite).min()] if finite.size else []
        width = max([len(sci_str(v)) for v in probes] + [1])
        formatter = {"float_kind": lambda v: sci_str(v).rjust(width)}
    elif sci is False and a.dtype.kind == "f" and a.size:
        def fixed_str(v):  # NumPy switches to e+ from 1e8 on whatever suppress says
            if fixed:
                return np.format_float_positional(v, precision=precision, unique=False)
            return np.format_float_positional(v, trim=".")
        finite = a[np.isfinite(a)]
        probes = [finite.min(), finite.max()] if finite.size else []
        width = max([len(fixed_str(v)) for v in probes] + [1])
        formatter = {"float_kind": lambda v: fixed_str(v).rjust(width)}
    threshold = OPTIONS.threshold
    body = np.array2string(a, separator=", ", prefix="tensor(", max_line_width=OPTIONS.linewidth,
                           precision=precision if fixed else None,
                           floatmode="fixed" if fixed else None, formatter=formatter,
                           suppress_small=sci is False,
                           threshold=_sys.maxsize if threshold == float("inf") else int(threshold),
                           edgeitems=OPTIONS.edgeitems)
    return body.replace(", ..., ", ",  ..., ")  # torch's summary mark is " ..."


def _is_size(n):
    # Python ints only: NumPy integer scalars stay data (internal callers wrap them)
    return n is _NO_DATA or (isinstance(n, int) and not isinstance(n, bool))


class _Scalar0d(np.ndarray):
    """What Tensor.numpy() returns for a 0-d tensor: the 0-d array PyTorch gives (a view, no
    copy), hashable by its value as the NumPy scalar TensorFlow's .numpy() gives, so
    `class_names[pred.numpy()]` works with a dict (keras-io PointNet's CLASS_MAP)."""

    def __hash__(self):
        return hash(self.item())

    def __repr__(self):
        return repr(self.view(np.ndarray))

    def __array_ufunc__(self, ufunc, method, *inputs, **kwargs):
        # arithmetic gives plain NumPy results, as on the array it views
        def plain(x):
            return x.view(np.ndarray) if isinstance(x, _Scalar0d) else x
        if "out" in kwargs:
            kwargs["out"] = tuple(plain(o) for o in kwargs["out"])
        return getattr(ufunc, method)(*(plain(i) for i in inputs), **kwargs)


class Tensor(TorchHabits):
    # "__dict__": torch tensors take attributes of the program's own (`t.name = ...`, and the
    # course line `target.require_grad = False`); the dict is made only when one is set
    __slots__ = ("_data", "requires_grad", "grad", "_node", "_device", "_retain_grad",
                 "__weakref__", "__dict__")
    __array_priority__ = 1000  # ndarray <op> Tensor defers to Tensor's reflected operator
    # Bumped by every in-place write (_mark_written); a recorded op keeps its constants'
    # versions and backward checks them (autograd.Node). The class default serves tensors
    # never written; a write stores the count in the instance's __dict__.
    _version = 0
    # _view_of: the tensor a view op's result views when the op recorded nothing (no input
    # requires grad), so that a later write of a graph value into the view reaches it
    # (tensor_view_write.py). _live: on the Tensor object keeping a written tensor's old
    # version (_snapshot), a weak reference to the tensor written. Class defaults; set in the
    # instance's __dict__ when they apply.
    _view_of = None
    _live = None

    def __reduce_ex__(self, protocol):
        # pickle / deepcopy: the links above are bookkeeping of this process's graph, not the
        # tensor's state (a slice's _view_of would pickle the whole tensor it views)
        rv = super().__reduce_ex__(protocol)
        state = rv[2] if len(rv) > 2 else None
        if isinstance(state, tuple) and len(state) == 2 and isinstance(state[0], dict) and (
                "_view_of" in state[0] or "_live" in state[0]):
            kept = {k: v for k, v in state[0].items() if k not in ("_view_of", "_live")}
            rv = rv[:2] + ((kept or None, state[1]),) + rv[3:]
        return rv

    def _check_writable(self, op):
        """An in-place write outside autograd needs writable memory: an expand() result views
        each element many times (NumPy makes it read-only), and a read-only NumPy array shared
        through from_numpy stays so."""
        if not self._data.flags.writeable:
            if 0 in self._data.strides and self._data.size > 1:
                raise RuntimeError(f"[{op}] unsupported operation: more than one element of the "
                                   f"written-to tensor refers to a single memory location (an "
                                   f"expand or broadcast result); clone() it before writing")
            raise RuntimeError(f"[{op}] the tensor's memory is read-only (it shares a "
                               f"read-only NumPy array, through from_numpy or a view of one); "
                               f"clone() it before writing")

    def _mark_written(self):
        self._version += 1
        source = self._view_of
        while source is not None:  # a view written: the tensors it views were written too
            source._version += 1
            source = source._view_of

    def __init__(self, data=_NO_DATA, *sizes, dtype=None, requires_grad=False, device=None):
        if _is_size(data) and all(_is_size(n) for n in sizes):
            # torch.Tensor(3, 4) / torch.Tensor(): the legacy constructor's sizes form, a new
            # tensor of that shape in the default dtype (torch leaves it uninitialized; zeros
            # here). Before, pe.Tensor(3, 4) read 4 as a dtype and pe.Tensor(5) made tensor(5).
            shape = () if data is _NO_DATA else (int(data),) + tuple(int(n) for n in sizes)
            data = np.zeros(shape if shape else (0,),
                            _dt.as_dtype(dtype).np if dtype is not None
                            else _dt.default_float_np())
        elif sizes:  # the older positional form Tensor(data, dtype, requires_grad, device)
            if len(sizes) > 3:
                raise TypeError(f"[Tensor] too many positional arguments: {len(sizes) + 1}")
            dtype, requires_grad, device = (tuple(sizes) + (dtype, requires_grad, device)[
                len(sizes):])
        if dtype is None and not isinstance(data, Tensor):
            # torch.Tensor(data) is torch.FloatTensor(data): the default float dtype, whatever
            # the data (torch.Tensor([1, 2]) is tensor([1., 2.])); pe.tensor infers it instead
            dtype = _dt.get_default_dtype()
        self._init_data(data, dtype, requires_grad, device)

    @classmethod
    def _from_data(cls, data, dtype=None, requires_grad=False, device=None):
        """pe.tensor(data): always data, so pe.tensor(3) is the 0-d tensor 3 (the legacy
        constructor's sizes form does not apply)."""
        t = object.__new__(cls)
        t._init_data(data, dtype, requires_grad, device)
        return t

    def _init_data(self, data, dtype, requires_grad, device):
        self._data = _to_array(data, dtype, "tensor")
        self._device = CPU if device is None else checked_device(device)
        self.grad = None
        self._node = None
        self._retain_grad = False
        self.requires_grad = False
        if requires_grad:
            self.requires_grad_(True)

    @classmethod
    def _wrap(cls, array, device=None):
        """A Tensor around an existing array, no copy, no checks (internal fast path)."""
        t = object.__new__(cls)
        t._data = array if isinstance(array, np.ndarray) else np.asarray(array)
        t._device = CPU if device is None else device
        t.requires_grad = False
        t.grad = None
        t._node = None
        t._retain_grad = False
        return t

    # ---- properties -------------------------------------------------------------------
    @property
    def data(self):
        """PyTorch's ``.data``: a Tensor sharing this one's storage, outside the graph and never
        requiring grad, so ``p.data.add_(...)``, ``w.data.normal_(0, 0.02)`` or
        ``p.data.copy_(q)`` change ``p`` without autograd seeing it. The engine itself reads
        the storage array as ``._data``."""
        return Tensor._wrap(self._data, self._device)  # (its writes are not counted: torch's)

    @data.setter
    def data(self, value):
        """``p.data = t`` makes `p` use `t`'s storage (shape and dtype may change, as PyTorch's);
        a NumPy array is taken as the storage itself."""
        if isinstance(value, Tensor):
            self._data = value._data
        elif isinstance(value, np.ndarray):
            _dt.from_numpy_dtype(value.dtype)  # unsupported dtypes raise here
            self._data = value
        else:
            raise TypeError(f"[data] can only be set to a Tensor or a NumPy array, "
                            f"got {type(value).__name__}")

    @property
    def shape(self):
        return self._data.shape

    def get_shape(self):
        """TensorFlow's name for .shape, a tf.TensorShape (keras-io pixelcnn:
        `self.conv.kernel.get_shape()`, Swin: `x.get_shape().as_list()`)."""
        from .tensor_shape import TensorShape
        return TensorShape(self._data.shape)

    def set_shape(self, shape):
        """TensorFlow's static-shape assertion: an eager tensor already has its full shape, so
        this only checks that `shape` (None for any size) is compatible with it, as TF does
        for eager tensors (keras-io FixRes: `image.set_shape([None, None, channels])`)."""
        want = None if shape is None else list(getattr(shape, "as_list", lambda: shape)())
        if want is not None and (len(want) != self.ndim or any(
                w is not None and int(w) != n for w, n in zip(want, self.shape))):
            raise ValueError(f"[set_shape] Tensor's shape {tuple(self.shape)} is not compatible "
                             f"with supplied shape {want}")

    def size(self, dim=None):
        """Shape (PyTorch habit) or the length of one dimension; see also `numel()`."""
        if dim is None:
            from .size import Size  # torch.Size: prints as pyengine.Size([2, 3])
            return Size(self._data.shape)
        return self._data.shape[dim]

    @property
    def ndim(self):
        return self._data.ndim

    def dim(self):
        return self._data.ndim

    def numel(self):
        return int(self._data.size)

    @property
    def dtype(self):
        return _dt.from_numpy_dtype(self._data.dtype)

    @property
    def device(self):
        return self._device

    @property
    def T(self):
        return _shape.Permute.apply(self, axes=tuple(reversed(range(self.ndim))))

    @property
    def grad_fn(self):
        return self._node

    @property
    def is_leaf(self):
        return self._node is None

    def __len__(self):
        if self.ndim == 0:
            raise TypeError("len() of a 0-d tensor")
        return self._data.shape[0]

    def __repr__(self):
        body = _format_body(self._data)
        # torch names the dtype unless it is float32, int64 or bool (inferred when read back)
        extra = "" if self._data.dtype in (np.float32, np.int64, np.bool_) else \
            f", dtype={self.dtype}"
        if self._node is not None:
            extra += f", grad_fn=<{self._node.name}>"
        elif self.requires_grad:
            extra += ", requires_grad=True"
        return f"tensor({body}{extra})"

    # ---- conversion ------------------------------------------------------------------
    def numpy(self):
        """The underlying array (no copy). For a tensor that requires grad, a read-only view:
        TensorFlow / Keras programs read model outputs with .numpy() (PyTorch refuses them and
        asks for .detach().numpy(), which works here too), and writing into an array autograd
        may have saved for the backward would corrupt the gradients silently."""
        if self._data.ndim == 0:  # a 0-d view that hashes by value (below)
            view = self._data.view(_Scalar0d)
            view.flags.writeable = not self.requires_grad
            return view
        if self.requires_grad:
            view = self._data.view()
            view.flags.writeable = False
            return view
        return self._data

    def __array__(self, dtype=None, copy=None):
        """NumPy 2 protocol: copy=True always copies (np.array(t)), copy=None copies only to
        change dtype (np.asarray(t) shares memory), copy=False raises if a copy is needed."""
        a = self._data
        if copy:
            return np.array(a, dtype=dtype, copy=True)
        if dtype is None or np.dtype(dtype) == a.dtype:
            return a
        if copy is False:
            raise ValueError(f"[__array__] converting a {a.dtype} tensor to {np.dtype(dtype)} "
                             "needs a copy, but copy=False was given")
        return a.astype(dtype)

    def item(self):
        if self._data.size != 1:
            raise ValueError(f"[item] only one-element tensors can be converted to a Python "
                             f"scalar, got shape {self.shape}")
        return self._data.reshape(()).item()

    def tolist(self):
        return self._data.tolist()

    def __float__(self):
        return float(self.item())

    def __int__(self):
        return int(self.item())

    def __bool__(self):
        if self._data.size != 1:
            raise RuntimeError(f"boolean value of a tensor with {self._data.size} elements is "
                               "ambiguous")
        return bool(self._data.reshape(()).item())

    def __index__(self):
        if self._data.dtype.kind not in "iu" or self._data.size != 1:
            raise TypeError("only integer tensors of a single element can be used as an index")
        return int(self.item())

    def astype(self, dtype):
        return _ew.Cast.apply(self, dtype=_dt.as_dtype(dtype).np)

    def to(self, *args, dtype=None, device=None, non_blocking=False, copy=False,
           memory_format=None):
        """torch's forms: to(dtype), to(device[, dtype]), to(other_tensor) (its dtype and
        device); copy=True always returns a new tensor; non_blocking only concerns
        asynchronous device copies, and every pyengine copy is a synchronous CPU one.
        memory_format=channels_last / contiguous_format lays the values out so (a copy unless
        they already are; see pyengine/memory_formats.py)."""
        for a in args:
            if isinstance(a, Tensor):
                dtype, device = a.dtype, a.device
            elif isinstance(a, (str, Device)) or is_ordinal(a):
                device = a
            else:
                dtype = a
        if non_blocking not in (True, False) or copy not in (True, False):
            raise TypeError("[to] non_blocking and copy must be bools")
        out = self
        if device is not None and Device(device) != self._device:
            from .backend import get_backend
            get_backend(Device(device))  # raises a clear error when unavailable
        if dtype is not None and _dt.as_dtype(dtype).np != self._data.dtype:
            out = out.astype(dtype)
        elif copy:
            out = out.clone()
        if memory_format is not None:
            out = out._relaid(memory_format, "to")
        return out

    def _relaid(self, fmt, op):
        """self, or a copy (recorded as one, gradients pass through) in the layout `fmt`."""
        from . import memory_formats as _mf
        arr = _mf.laid_out(self._data, fmt, op)
        if arr is self._data:
            return self
        out = self.clone()
        out._data = arr
        return out

    def cpu(self):
        return self.to("cpu")

    def cuda(self):
        return self.to("cuda")

    def float(self):
        return self.astype(_dt.float32)

    def double(self):
        return self.astype(_dt.float64)

    def long(self):
        return self.astype(_dt.int64)

    def int(self):
        return self.astype(_dt.int32)

    def bool(self):
        return self.astype(_dt.bool_)

    # ---- autograd --------------------------------------------------------------------
    def requires_grad_(self, flag=True):
        if flag and not self._data.dtype.kind == "f":
            raise RuntimeError(f"only floating-point tensors can require gradients, got {self.dtype}")
        self.requires_grad = bool(flag)
        return self

    def retain_grad(self):
        """Make backward fill this non-leaf tensor's .grad (a leaf that requires grad gets one
        anyway: no-op). torch's rule: a tensor that does not require grad cannot retain one."""
        if not self.requires_grad:
            raise RuntimeError("[retain_grad] can't retain_grad on Tensor that has "
                               "requires_grad=False")
        if self._node is not None:
            self._retain_grad = True
        return self

    @property
    def retains_grad(self):
        """True for a non-leaf tensor whose .grad backward fills (after retain_grad()); False
        for leaves, as torch."""
        return self._node is not None and self._retain_grad

    def register_hook(self, hook):
        """hook(grad) runs when this tensor's gradient is computed; it may return a replacement
        (PyTorch's Tensor.register_hook). Returns a handle with .remove()."""
        return _autograd.register_hook(self, hook)

    def register_post_accumulate_grad_hook(self, hook):
        """hook(self) runs once backward has added this leaf's gradient to .grad (an optimizer
        step fused into backward). Returns a handle with .remove()."""
        return _autograd.register_post_accumulate_grad_hook(self, hook)

    def backward(self, gradient=None, retain_graph=None, create_graph=False, inputs=None):
        _autograd.backward(self, gradient, retain_graph, create_graph, inputs)

    def detach(self):
        return Tensor._wrap(self._data, self._device)

    def detach_(self):
        self._node = None
        self.requires_grad = False
        return self

    def _accumulate(self, g, owned=False):
        """Adds g to .grad; owned: g belongs to no one else, so a first gradient needs no copy."""
        if self.grad is None:
            if not (owned and g.dtype == self._data.dtype and g.flags.c_contiguous):
                g = np.array(g, dtype=self._data.dtype, copy=True)
            self.grad = Tensor._wrap(g, self._device)
        else:
            self.grad = Tensor._wrap(self.grad._data + g, self._device)

    # zero_ / fill_ / copy_ in a recorded graph (the tensor, or copy_'s source, requires grad)
    # are the write `self[...] = value` (_setitem_recorded): the tensor's old gradient path ends
    # there and the source's begins, as PyTorch's ZeroBackward / FillBackward / CopyBackwards.
    def zero_(self):
        if self.requires_grad and _autograd.is_grad_enabled():
            return self._setitem_recorded(Ellipsis, 0, "zero_")
        self._check_writable("zero_")
        self._data[...] = 0
        self._mark_written()
        return self

    def fill_(self, value):
        if isinstance(value, Tensor) and value.ndim:
            raise RuntimeError(f"[fill_] only supports a 0-dimension value tensor, got one of "
                               f"shape {tuple(value.shape)}")
        if _autograd.is_grad_enabled() and (
                self.requires_grad or (isinstance(value, Tensor) and value.requires_grad)):
            return self._setitem_recorded(Ellipsis, value, "fill_")
        self._check_writable("fill_")
        self._data[...] = value._data if isinstance(value, Tensor) else value
        self._mark_written()
        return self

    def copy_(self, src):
        if _autograd.is_grad_enabled() and (
                self.requires_grad or (isinstance(src, Tensor) and src.requires_grad)):
            if isinstance(src, Tensor) and src._data.dtype != self._data.dtype:
                src = src.to(self.dtype)  # copy_ casts, and the gradient goes back cast
            _copy_shape_check(np.shape(getattr(src, "_data", src)), self._data.shape)
            return self._setitem_recorded(Ellipsis, src, "copy_")
        src = src._data if isinstance(src, Tensor) else np.asarray(src)
        _copy_shape_check(src.shape, self._data.shape)
        self._check_writable("copy_")
        np.copyto(self._data, np.broadcast_to(src, self._data.shape), casting="unsafe")
        self._mark_written()
        return self

    def clone(self, *, memory_format=None):
        """A copy; by default (torch's preserve_format) a channels_last tensor stays so."""
        out = _ew.Clone.apply(self)
        if memory_format is None and (self.ndim < 4 or self._data.flags.c_contiguous):
            return out  # the common case: a C-contiguous copy
        from . import memory_formats as _mf
        fmt = _mf.preserve_format if memory_format is None else \
            _mf.check(memory_format, "clone")
        if fmt is _mf.preserve_format:
            fmt = _mf.suggested(self._data)
        out._data = _mf.laid_out(out._data, fmt, "clone")
        return out

    def contiguous(self, memory_format=None):
        if memory_format is not None:
            from . import memory_formats as _mf
            if _mf.check(memory_format, "contiguous") is _mf.preserve_format:
                raise RuntimeError("[contiguous] preserve memory format is unsupported by the "
                                   "contiguous operator")
            return self._relaid(memory_format, "contiguous")
        return self if self._data.flags.c_contiguous else self.clone(
            memory_format=_contiguous_format())

    # ---- arithmetic ------------------------------------------------------------------
    # Tensor (op) Tensor goes straight to apply2 (no argument packing); scalars and arrays take
    # Function.apply's general path. Same Function, same forward either way.
    # An operand whose type sets _pyengine_defer_ops (keras' symbolic KerasTensor) builds its
    # own graph: its reflected method takes `tensor + symbolic`.
    def __add__(self, o):
        if isinstance(o, Tensor):
            return _apply2(_Add, self, o)
        return NotImplemented if getattr(o, "_pyengine_defer_ops", False) else _add(self, o)
    def __radd__(self, o): return _add(self, o)  # self first, as torch records 1 + x
    def __sub__(self, o):
        if isinstance(o, Tensor):
            return _apply2(_Sub, self, o)
        return NotImplemented if getattr(o, "_pyengine_defer_ops", False) else _sub(self, o)
    def __rsub__(self, o): return _sub(o, self)
    def __mul__(self, o):
        if isinstance(o, Tensor):
            return _apply2(_Mul, self, o)
        return NotImplemented if getattr(o, "_pyengine_defer_ops", False) else _mul(self, o)
    def __rmul__(self, o): return _mul(self, o)  # (grad_fn.next_functions in torch's order)
    def __truediv__(self, o):
        return NotImplemented if getattr(o, "_pyengine_defer_ops", False) else \
            _ew.Div.apply(self, o)
    def __rtruediv__(self, o): return _ew.Div.apply(o, self)
    def __pow__(self, o):
        return NotImplemented if getattr(o, "_pyengine_defer_ops", False) else \
            _ew.Pow.apply(self, o)
    def __rpow__(self, o): return _ew.Pow.apply(o, self)
    def __matmul__(self, o):
        if getattr(o, "_pyengine_defer_ops", False):
            return NotImplemented
        return _apply2(_MatMul, self, o if isinstance(o, Tensor) else _ensure(o, self))
    def __rmatmul__(self, o): return _mm.MatMul.apply(_ensure(o, self), self)
    def __neg__(self): return _ew.Neg.apply(self)
    def __pos__(self): return self
    def __abs__(self): return _ew.Abs.apply(self)

    def __floordiv__(self, o): return _ew.compare("floor_divide", self, o)
    # % is pe.remainder (ops/remainder.py): differentiable and promoted as PyTorch's %, one op
    # for both spellings.
    def __mod__(self, o):
        from .ops.remainder import remainder
        return remainder(self, o)

    def __rmod__(self, o):
        from .ops.remainder import remainder
        return remainder(o, self)

    def __eq__(self, o): return _ew.compare("eq", self, o)
    def __ne__(self, o): return _ew.compare("ne", self, o)
    def __lt__(self, o): return _ew.compare("lt", self, o)
    def __le__(self, o): return _ew.compare("le", self, o)
    def __gt__(self, o): return _ew.compare("gt", self, o)
    def __ge__(self, o): return _ew.compare("ge", self, o)
    # &, |, ^, ~ are bitwise, as torch's: logical on bool tensors, on the bits of integer ones,
    # refused on floats (pyengine/torch_bitwise.py)
    def __and__(self, o): return _bitwise().bitwise_and(self, o)
    def __rand__(self, o): return _bitwise().bitwise_and(o, self)
    def __or__(self, o): return _bitwise().bitwise_or(self, o)
    def __ror__(self, o): return _bitwise().bitwise_or(o, self)
    def __xor__(self, o): return _bitwise().bitwise_xor(self, o)
    def __rxor__(self, o): return _bitwise().bitwise_xor(o, self)
    def __invert__(self): return _bitwise().bitwise_not(self)
    def bitwise_and(self, other): return _bitwise().bitwise_and(self, other)
    def bitwise_or(self, other): return _bitwise().bitwise_or(self, other)
    def bitwise_xor(self, other): return _bitwise().bitwise_xor(self, other)
    def bitwise_not(self): return _bitwise().bitwise_not(self)
    __hash__ = object.__hash__

    def __iadd__(self, o): return self._augmented(self + o)
    def __isub__(self, o): return self._augmented(self - o)
    def __imul__(self, o): return self._augmented(self * o)
    def __itruediv__(self, o): return self._augmented(self / o)

    def _augmented(self, result):
        # `a += b` rebinds `a` to what this returns. When the result belongs to the recorded
        # autograd graph (a is a computed tensor, or b is), it is returned out of place: the
        # graph PyTorch records for the in-place form, and TensorFlow's meaning of += on its
        # immutable tensors (keras-io's `loss_value += sum(model.losses)`). It never writes
        # into a graph's tensor a backward may read (as F.relu(inplace=True)); other references
        # keep the old values. Only an indexed write (`x[i] += v`, __setitem__) changes a graph
        # tensor in place, by making it adopt the write's node.
        # A leaf that requires grad (a weight) still refuses, as in PyTorch, and so do results
        # that an in-place write could not hold (another shape, a dtype not castable to a's).
        # A symbolic result (`variable += keras_tensor`, Keras 2's graph mode) rebinds too.
        if not isinstance(result, Tensor):
            return result
        if _autograd.is_grad_enabled() and not (self.requires_grad and self._node is None) \
                and (self._node is not None or result._node is not None) \
                and tuple(result.shape) == tuple(self.shape) \
                and np.can_cast(result._data.dtype, self._data.dtype, "same_kind"):
            return result if result.dtype == self.dtype else result.astype(self.dtype)
        return self._inplace(result)

    def _inplace(self, result):
        if tuple(result.shape) != tuple(self.shape):  # (x op y broadcast beyond x's shape)
            raise ValueError(f"[in-place] a result of shape {tuple(result.shape)} can't be "
                             f"written into a tensor of shape {tuple(self.shape)}")
        if _autograd.is_grad_enabled() and (self.requires_grad or result.requires_grad):
            # x.add_(y), x.masked_fill_(m, v), x.clamp_() on a tensor of the graph, or with a
            # result in it: x adopts the result and its node (_adopt), as PyTorch rebases x's
            # history; copying the values would keep x's old gradient path (a wrong backward)
            if not np.can_cast(result._data.dtype, self._data.dtype, "same_kind"):
                raise TypeError(f"[in-place] a {result._data.dtype} result can't be written "
                                f"into a {self._data.dtype} tensor")
            if result._data.dtype != self._data.dtype:
                result = result.to(self.dtype)
            return self._adopt(result, "in-place")
        self._check_writable("in-place")
        np.copyto(self._data, result._data, casting="same_kind")
        self._mark_written()
        return self

    def _adopt(self, result, op, values_only_here=False):
        """A write into this tensor in a recorded graph: it takes `result`'s values and node,
        and the ops recorded before that read it keep reading a new Tensor object holding it as
        it was, `before` (autograd.note_adoption / node_inputs, PyTorch's version counters).
        `result` is a Tensor, or a function of `before` making it (setitem). The saved arrays
        of those ops are untouched: the write makes a new array. A leaf that requires grad
        refuses, as in PyTorch. A view of another tensor (a slice, view or reshape) passes the
        write on to the tensor it views, as PyTorch's CopySlices (tensor_view_write.py;
        values_only_here: the in-place view ops, which write no values, skip that)."""
        if self._node is None and self.requires_grad:
            raise RuntimeError(f"[{op}] a leaf tensor that requires grad can't be modified in "
                               "place; wrap it in pe.no_grad()")
        if not values_only_here and self._views_another():
            from .tensor_view_write import write_through
            return write_through(self, result, op)
        before = self._snapshot()
        if not isinstance(result, Tensor):
            result = result(before)
        _autograd.note_adoption(self, before)
        self._data, self._node = result._data, result._node
        self.requires_grad = result.requires_grad
        return self

    def _snapshot(self):
        """A new Tensor object holding this one's array, node and version: the version that
        the ops recorded before a write read (note_adoption)."""
        before = Tensor._wrap(self._data, self._device)
        before.requires_grad, before._node = self.requires_grad, self._node
        if self._version:
            before._version = self._version
        before._live = weakref.ref(self)
        return before

    def add(self, o, *, alpha=1): return self + (o if alpha == 1 else o * alpha)
    def sub(self, o, *, alpha=1): return self - (o if alpha == 1 else o * alpha)
    def mul(self, o): return self * o

    def div(self, o, *, rounding_mode=None):
        if rounding_mode is None:
            return self / o
        from .torch_arithmetic import divide_rounded  # 'trunc' / 'floor' (torch.div)
        return divide_rounded(self, o, rounding_mode)

    def pow(self, o): return self ** o
    def matmul(self, o): return self @ o
    def neg(self): return -self
    def abs(self): return _ew.Abs.apply(self)
    def exp(self): return _ew.Exp.apply(self)
    def log(self): return _ew.Log.apply(self)
    def log1p(self): return _ew.Log1p.apply(self)
    def sqrt(self): return _ew.Sqrt.apply(self)
    def rsqrt(self): return 1.0 / _ew.Sqrt.apply(self)
    def sin(self): return _ew.Sin.apply(self)
    def cos(self): return _ew.Cos.apply(self)
    def square(self): return _ew.Mul.apply(self, self)
    def reciprocal(self): return 1.0 / self
    def sign(self): return _ew.compare("sign", self)
    def floor(self): return _ew.compare("floor", self)
    def ceil(self): return _ew.compare("ceil", self)
    def round(self): return _ew.compare("round", self)
    def clamp(self, min=None, max=None): return _ew.Clamp.apply(self, min=min, max=max)
    clip = clamp
    def maximum(self, o): return _ew.Maximum.apply(self, o)
    def minimum(self, o): return _ew.Minimum.apply(self, o)

    # activations (C++ kernels)
    def relu(self): return _apply1(_act.ReLU, self)
    def sigmoid(self): return _apply1(_act.Sigmoid, self)
    def tanh(self): return _apply1(_act.Tanh, self)
    def softmax(self, axis=-1, dim=None):
        return _act.Softmax.apply(self, axis=axis if dim is None else dim, log=False)
    def log_softmax(self, axis=-1, dim=None):
        return _act.Softmax.apply(self, axis=axis if dim is None else dim, log=True)

    # ---- reductions ------------------------------------------------------------------
    # The reductions also take NumPy's call, np.sum / np.amax / np.mean / np.std ... (tensor):
    # NumPy hands a non-ndarray to its method as x.max(axis=, out=None, ...) and, for sum /
    # mean / prod / var / std, dtype= (TF programs do np.amax(model(s)[0]) on eager tensors).
    def sum(self, axis=None, keepdims=False, dim=None, keepdim=None, *, dtype=None, out=None):
        x = self if dtype is None and out is None else \
            _numpy_reduction_input(self, "sum", dtype, out)  # (the common call pays one test)
        if axis is None and dim is None and not keepdims and not keepdim:
            return _apply1(_SumAll, x)  # the loss-style full reduction, without parameters
        return _red.Sum.apply(x, axis=_axis(axis, dim), keepdims=keepdims or bool(keepdim))

    def mean(self, axis=None, keepdims=False, dim=None, keepdim=None, *, dtype=None, out=None):
        x = self if dtype is None and out is None else \
            _numpy_reduction_input(self, "mean", dtype, out)
        return _red.Mean.apply(x, axis=_axis(axis, dim), keepdims=keepdims or bool(keepdim))

    def max(self, dim=None, keepdim=False, *, axis=None, keepdims=False, out=None):
        """PyTorch: x.max() -> the maximum; x.max(dim) -> (values, indices); x.max(other) ->
        elementwise. NumPy / Keras: x.max(axis=int or tuple) -> the values only."""
        _numpy_reduction_input(self, "max", None, out)
        return _extremum(self, dim, keepdim, axis, keepdims, True)

    def min(self, dim=None, keepdim=False, *, axis=None, keepdims=False, out=None):
        """The minimum, with max's forms."""
        _numpy_reduction_input(self, "min", None, out)
        return _extremum(self, dim, keepdim, axis, keepdims, False)

    def var(self, dim=None, unbiased=None, keepdim=False, *, correction=None, axis=None,
            keepdims=False, ddof=None, dtype=None, out=None):
        """PyTorch's forms: x.var(dim, unbiased, keepdim) (the legacy positional order) and
        x.var(dim, correction=, keepdim=); NumPy / Keras' axis=, keepdims= and ddof= (NumPy's
        name for correction; np.var(x) passes ddof=0) as keywords. Unbiased (correction 1) by
        default."""
        x = _numpy_reduction_input(self, "var", dtype, out)
        return _red.var(x, _axis(axis, dim), keepdims or bool(keepdim),
                        _correction(unbiased, _ddof(correction, ddof, "var"), "var"))

    def std(self, dim=None, unbiased=None, keepdim=False, *, correction=None, axis=None,
            keepdims=False, ddof=None, dtype=None, out=None):
        """The square root of var, with var's arguments."""
        x = _numpy_reduction_input(self, "std", dtype, out)
        return _red.var(x, _axis(axis, dim), keepdims or bool(keepdim),
                        _correction(unbiased, _ddof(correction, ddof, "std"), "std")).sqrt()

    def logsumexp(self, axis=None, keepdims=False, dim=None, keepdim=None):
        return _red.LogSumExp.apply(self, axis=_axis(axis, dim), keepdims=keepdims or bool(keepdim))

    def argmax(self, axis=None, keepdims=False, dim=None, keepdim=None):
        return _red.arg_extremum(self, _axis(axis, dim), keepdims or bool(keepdim), True)

    def argmin(self, axis=None, keepdims=False, dim=None, keepdim=None):
        return _red.arg_extremum(self, _axis(axis, dim), keepdims or bool(keepdim), False)

    def all(self, dim=None, keepdim=False, *, axis=None, keepdims=False, out=None):
        _numpy_reduction_input(self, "all", None, out)
        return self._logical_reduce("all", _axis(axis, dim), keepdim or keepdims)

    def any(self, dim=None, keepdim=False, *, axis=None, keepdims=False, out=None):
        _numpy_reduction_input(self, "any", None, out)
        return self._logical_reduce("any", _axis(axis, dim), keepdim or keepdims)

    def _logical_reduce(self, op, dim, keepdim):
        """torch.all / any over everything, a dim or a tuple of dims (a bool tensor)."""
        if dim is None:
            out = getattr(np, op)(self._data)
        else:
            dims = dim if isinstance(dim, (tuple, list)) else (dim,)
            nd = max(self.ndim, 1)
            for d in dims:
                if not -nd <= d < nd:
                    raise IndexError(f"[{op}] dim {d} is out of range for a {self.ndim}-d tensor")
            axes = tuple(sorted({d % nd for d in dims})) if self.ndim else None
            out = getattr(np, op)(self._data, axis=axes, keepdims=bool(keepdim))
        return Tensor._wrap(np.asarray(out), self._device)

    # ---- shape -----------------------------------------------------------------------
    def reshape(self, *shape): return _shape.Reshape.apply(self, shape=_shape_arg(shape))
    def view(self, *shape):
        if len(shape) == 1 and isinstance(shape[0], (_dt.DType, np.dtype)):
            return self._view_as_dtype(_dt.as_dtype(shape[0]))
        return _shape.Reshape.apply(self, shape=_shape_arg(shape))

    def _view_as_dtype(self, dtype):
        """x.view(dtype): the same bytes read as another dtype (the last dimension scales by the
        itemsizes), sharing memory; not differentiable, as in PyTorch."""
        if dtype.np == self._data.dtype:
            return self.view(self.shape)
        a = self._data
        if a.ndim == 0 and dtype.itemsize != a.itemsize:
            raise RuntimeError(f"[view] a 0-d tensor can be viewed as {dtype.name} only if its "
                               f"itemsize {a.itemsize} equals {dtype.itemsize}")
        if a.ndim and a.strides[-1] != a.itemsize and a.shape[-1] != 1:
            raise RuntimeError(f"[view] viewing a tensor as {dtype.name} needs its last "
                               f"dimension contiguous (stride 1), got strides "
                               f"{tuple(s // a.itemsize for s in a.strides)}")
        try:
            out = a.view(dtype.np)
        except ValueError:
            last = a.shape[-1] * a.itemsize if a.ndim else a.itemsize
            raise RuntimeError(f"[view] a tensor of shape {tuple(a.shape)} and dtype "
                               f"{self.dtype} can't be viewed as {dtype.name}: the last "
                               f"dimension's bytes ({last}) must divide into "
                               f"{dtype.itemsize}-byte elements") from None
        result = Tensor._wrap(out, self._device)
        result._view_of = self
        return result
    def flatten(self, start_dim=0, end_dim=-1): return _shape.flatten(self, start_dim, end_dim)
    def squeeze(self, axis=None, dim=None): return _shape.squeeze(self, _axis(axis, dim))
    def unsqueeze(self, axis): return _shape.unsqueeze(self, axis)
    def expand_dims(self, axis): return _shape.unsqueeze(self, axis)
    def transpose(self, *axes): return _shape.transpose(self, axes)
    def permute(self, *axes): return _shape.Permute.apply(self, axes=_shape_arg(axes))
    def expand(self, *shape): return _shape.BroadcastTo.apply(self, shape=_shape_arg(shape))
    def broadcast_to(self, *shape): return _shape.BroadcastTo.apply(self, shape=_shape_arg(shape))
    def split(self, split_size_or_sections, axis=0, dim=None):
        return _shape.split(self, split_size_or_sections, _axis(axis, dim))
    def chunk(self, chunks, axis=0, dim=None): return _shape.chunk(self, chunks, _axis(axis, dim))

    def __getitem__(self, key): return _shape.Index.apply(self, key=_shape.index_key(key))

    def __setitem__(self, key, value):
        if _autograd.is_grad_enabled() and (
                self.requires_grad or (isinstance(value, Tensor) and value.requires_grad)):
            return self._setitem_recorded(key, value)
        self._check_writable("setitem")
        v = value._data if isinstance(value, Tensor) else value
        if type(v) is np.ndarray and v.ndim and v.shape[0] == 1:
            v = _strip_leading_ones(v)  # torch drops a value's leading 1-dims: (1,) fills one
        index = _shape.index_key(key)
        try:
            self._data[index] = v
        except ValueError as e:
            from .ops.shape_errors import ShapeError
            raise ShapeError(f"[setitem] {e} (tensor of shape {self._data.shape}, value of shape "
                             f"{np.shape(v)})") from None
        self._mark_written()

    def _views_another(self):
        """Whether this tensor's array is a view of another tensor's (of an input of the op that
        made it: `x.view(...)`, `x[0:2]`; or, outside any graph, of any array)."""
        if self._node is not None:
            from .tensor_view_write import views_version_of
            return any(t is not None and t is not self and views_version_of(self, t)
                       for t in self._node.inputs)
        return self._view_of is not None or self._data.base is not None

    def _setitem_recorded(self, key, value, op="setitem"):
        # A value in the graph written into a tensor (PyTorch's CopySlices): the tensor adopts
        # the SetItem result and its node (_adopt); SetItem's first input is the tensor as it
        # was. Ops recorded before the write that read the tensor (the `x[i]` of `x[i] += v`,
        # an earlier `y = x * 2`) keep reading that version at backward.
        from .ops.setitem import SetItem
        if not isinstance(value, Tensor):
            value = Tensor._wrap(np.asarray(value, dtype=self._data.dtype), self._device)
        index = _shape.index_key(key)
        return self._adopt(lambda before: SetItem.apply(before, value, key=index), op)

    def __iter__(self):
        if self.ndim == 0:
            raise TypeError("iteration over a 0-d tensor")
        return (self[i] for i in range(self._data.shape[0]))


# torch.return_types.max / min: a (values, indices) pair with names.
_MaxResult = _namedtuple("max", ["values", "indices"])
_MinResult = _namedtuple("min", ["values", "indices"])


def _extremum(x, dim, keepdim, axis, keepdims, largest):
    if isinstance(dim, Tensor):  # torch.max(a, b)
        return (_ew.Maximum if largest else _ew.Minimum).apply(x, dim)
    keep = bool(keepdim or keepdims)
    if axis is not None or dim is None or isinstance(dim, (tuple, list)):
        return _red.Extremum.apply(x, axis=_axis(axis, dim), keepdims=keep, largest=largest)
    values = _red.Extremum.apply(x, axis=dim, keepdims=keep, largest=largest)
    indices = _red.arg_extremum(x, dim, keep, largest)
    return (_MaxResult if largest else _MinResult)(values, indices)


def _axis(axis, dim):
    a = axis if dim is None else dim
    return tuple(a) if isinstance(a, list) else a


def _numpy_reduction_input(x, op, dtype, out):
    """The tensor a reduction reads: x, or x cast to dtype (torch's and NumPy's dtype=). NumPy's
    out= names an array to write into, which a tensor reduction does not do: it must be None."""
    if out is not None:
        raise TypeError(f"[{op}] out= is not supported: a tensor's {op} returns a new tensor "
                        f"(np.{op}(tensor, out=...) cannot write into {type(out).__name__})")
    return x if dtype is None else x.to(dtype=_dt.as_dtype(dtype))


def _ddof(correction, ddof, op):
    if ddof is not None and correction is not None:
        raise TypeError(f"[{op}] give correction= or ddof= (NumPy's name for it), not both")
    return correction if ddof is None else ddof


def _correction(unbiased, correction, op):
    """var / std's degrees-of-freedom correction from PyTorch's two spellings (default 1)."""
    if unbiased is not None and correction is not None:
        raise TypeError(f"[{op}] give unbiased= or correction=, not both")
    if unbiased is not None:
        if not isinstance(unbiased, (bool, np.bool_)):
            raise TypeError(f"[{op}] unbiased must be a bool, got {unbiased!r} (the keepdim "
                            f"flag is the third positional argument, as in PyTorch)")
        return int(unbiased)
    return 1 if correction is None else correction


def _shape_arg(shape):
    if len(shape) == 1 and isinstance(shape[0], (tuple, list)):
        return tuple(shape[0])
    if len(shape) == 1 and isinstance(shape[0], (Tensor, np.ndarray)) and np.ndim(
            getattr(shape[0], "_data", shape[0])) == 1:
        # a 1-D shape tensor: tf.reshape(q, tf.shape(x)) (keras-io vq_vae)
        a = np.asarray(getattr(shape[0], "_data", shape[0]))
        if a.dtype.kind not in "iu":
            raise TypeError(f"[reshape] a shape given as a tensor must hold integers; got dtype "
                            f"{a.dtype}")
        return tuple(int(v) for v in a)
    return tuple(shape)


def _bitwise():
    from . import torch_bitwise
    return torch_bitwise


def _ensure(o, like):
    return o if isinstance(o, Tensor) else Tensor._wrap(np.asarray(o, dtype=like._data.dtype), like.device)


_autograd._bind_tensor_class(Tensor)
# Bound once: `x + y` then costs one call less than looking the op class up every time.
_add, _sub, _mul = _ew.Add.apply, _ew.Sub.apply, _ew.Mul.apply
_Add, _Sub, _Mul, _MatMul, _SumAll = _ew.Add, _ew.Sub, _ew.Mul, _mm.MatMul, _red.SumAll
_apply1, _apply2 = _autograd.apply1, _autograd.apply2


def _copy_shape_check(src_shape, shape):
    """copy_'s source must broadcast to the tensor's shape (as torch's expand)."""
    try:
        ok = np.broadcast_shapes(tuple(src_shape), tuple(shape)) == tuple(shape)
    except ValueError:
        ok = False
    if not ok:
        raise RuntimeError(f"[copy_] the source of shape {tuple(src_shape)} can't be broadcast "
                           f"to the tensor's shape {tuple(shape)}")


def _contiguous_format():
    from .memory_formats import contiguous_format
    return contiguous_format
