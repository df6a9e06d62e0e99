"""torch.nn.parameter: Parameter, and the placeholders of lazy modules (UninitializedParameter,
UninitializedBuffer, is_lazy) that `from torch.nn.parameter import ...` lines name."""
import numpy as np

from ..tensor import Tensor
from .module import Parameter  # noqa: F401

_NO_SHAPE = ("Can't access the shape of an uninitialized parameter or buffer. This error usually "
             "happens in `load_state_dict` when trying to load an uninitialized parameter into an "
             "initialized one. Call `forward` to initialize the parameters before accessing their "
             "attributes.")


def _np_dtype(dtype, device):
    from .. import dtypes as _dt
    if device is not None:
        from ..backend import Device, get_backend
        get_backend(Device(device))
    return _dt.default_float_np() if dtype is None else _dt.as_dtype(dtype).np


class _UninitializedMixin:
    """A tensor whose shape is not known yet (a lazy module's weight before its first call):
    it holds no values, its shape cannot be read, and materialize(shape) gives it storage (not
    initialised, as torch.empty) and turns it into cls_to_become in place: the module, and an
    optimizer made before the first call, keep the same object (as torch's)."""
    __slots__ = ()
    cls_to_become = None

    @property
    def shape(self):
        raise RuntimeError(_NO_SHAPE)

    def size(self, dim=None):
        raise RuntimeError(_NO_SHAPE)

    def numel(self):
        raise RuntimeError(_NO_SHAPE)

    def materialize(self, shape, device=None, dtype=None):
        name = type(self).__name__
        if isinstance(shape, (int, np.integer)):
            shape = (int(shape),)
        shape = tuple(shape)
        if not all(isinstance(d, (int, np.integer)) and d >= 0 for d in shape):
            raise ValueError(f"[{name}.materialize] shape must be non-negative ints, got {shape}")
        dt = self._data.dtype if dtype is None else _np_dtype(dtype, None)
        if device is not None:
            _np_dtype(None, device)
        self._data = np.empty(shape, dt)
        self.__class__ = self.cls_to_become

    def __repr__(self):
        return f"<{type(self).__name__}>"

    def __reduce_ex__(self, protocol):
        raise RuntimeError(f"[{type(self).__name__}] cannot be pickled before it is materialized "
                           "(run the module's forward once first)")


class UninitializedParameter(_UninitializedMixin, Parameter):
    """torch.nn.parameter.UninitializedParameter(requires_grad=True, device=None, dtype=None):
    the weight of a lazy module (nn.LazyLinear) until its first call; materialize(shape) makes
    it a Parameter."""
    __slots__ = ()
    cls_to_become = Parameter

    def __init__(self, requires_grad=True, device=None, dtype=None):
        super().__init__(np.empty((0,), _np_dtype(dtype, device)),
                         requires_grad)


class UninitializedBuffer(_UninitializedMixin, Tensor):
    """torch.nn.parameter.UninitializedBuffer(requires_grad=False, device=None, dtype=None):
    a lazy module's buffer until its first call; materialize(shape) makes it a Tensor."""
    __slots__ = ()
    cls_to_become = Tensor

    def __init__(self, requires_grad=False, device=None, dtype=None):
        arr = np.empty((0,), _np_dtype(dtype, device))
        self._data, self.grad, self._node, self._retain_grad = arr, None, None, False
        self._device = Tensor._wrap(arr, None).device
        self.requires_grad = False
        self.requires_grad_(requires_grad)


def is_lazy(param):
    """Whether `param` is an UninitializedParameter / UninitializedBuffer not yet materialized."""
    return isinstance(param, _UninitializedMixin)
