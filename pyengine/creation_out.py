"""`out=` (and `size=`) for torch's creation functions (torch.rand(2, 2, out=c),
torch.zeros(3, out=t), torch.empty(size=(2, 3)) ...,
as the PyTorch "tensors in depth" tutorial uses them): the new values are written into `out`
under torch's contract (torch_arithmetic.write_out) and `out` is returned. Without dtype=, the
values take out's dtype, as torch does. pe.zeros & co. are these wrappers; pyengine's own code
keeps calling creation.py directly."""
import functools

from . import creation as _creation
from .torch_arithmetic import write_out

__all__ = ["zeros", "ones", "empty", "full", "arange", "linspace", "eye", "rand", "randn"]


def _with_out(fn, sized=False):
    @functools.wraps(fn)
    def wrapper(*args, out=None, **kwargs):
        if sized and "size" in kwargs:  # torch.empty(size=(2, 3)), as pytorch/examples gat
            if args:
                raise TypeError(f"[{fn.__name__}] got the size both positionally and as size=")
            args = (kwargs.pop("size"),)
        if out is None:
            return fn(*args, **kwargs)
        if kwargs.get("dtype") is None and hasattr(out, "dtype"):
            kwargs["dtype"] = out.dtype
        return write_out(fn(*args, **kwargs), out, fn.__name__)
    return wrapper


zeros, ones, empty, rand, randn = (_with_out(f, sized=True) for f in (
    _creation.zeros, _creation.ones, _creation.empty, _creation.rand, _creation.randn))
full, arange, linspace, eye = map(_with_out, (_creation.full, _creation.arange,
                                              _creation.linspace, _creation.eye))
