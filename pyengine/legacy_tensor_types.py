"""torch.FloatTensor / DoubleTensor / LongTensor / IntTensor / BoolTensor / ByteTensor, the legacy
typed constructors older tutorials and pytorch/examples gcn still call: `FloatTensor(2, 3)` is a
new (2, 3) float32 tensor (zeros; torch leaves it uninitialized), `LongTensor(data)` the data
converted to int64 (a NumPy array of another dtype is cast, as torch does); `x.type(FloatTensor)`
casts to it. They are functions here, so `isinstance(x, pe.FloatTensor)` is not available:
compare `x.dtype` instead."""
from .tensor import Tensor, _is_size

__all__ = ["FloatTensor", "DoubleTensor", "LongTensor", "IntTensor", "BoolTensor", "ByteTensor"]


def _typed(name, dtype):
    def make(*args, device=None):
        if all(_is_size(a) for a in args):  # sizes (or none: an empty tensor)
            return Tensor(*args, dtype=dtype, device=device)
        if len(args) != 1:
            raise TypeError(f"[{name}] expected sizes (ints) or one data argument, got "
                            f"{len(args)} arguments")
        data = args[0]
        if isinstance(data, Tensor):
            data = data.detach()._data
        return Tensor(data, dtype=dtype, device=device)
    make.__name__ = make.__qualname__ = name
    make.__doc__ = f"torch.{name}(*sizes) or torch.{name}(data): a {dtype} tensor."
    make.dtype = dtype  # x.type(torch.FloatTensor) casts to it (Tensor.type)
    return make


FloatTensor = _typed("FloatTensor", "float32")
DoubleTensor = _typed("DoubleTensor", "float64")
LongTensor = _typed("LongTensor", "int64")
IntTensor = _typed("IntTensor", "int32")
BoolTensor = _typed("BoolTensor", "bool")
ByteTensor = _typed("ByteTensor", "uint8")
