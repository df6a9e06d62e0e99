"""`out=` for torch's creation functions (torch.rand(2, 2, out=c), torch.zeros(3, out=t) ...,
as the PyTorch "tensors in depth" tutorial uses them): the new values are written into `out`
under torch's contract (torch_arithmetic.write_out) and `out` is returned. Without dtype=, the
values take out's dtype, as torch does. pe.zeros & co. are these wrappers; pyengine's own code
keeps calling creation.py directly."""
import functools

from . import creation as _creation
from .torch_arithmetic import write_out

__all__ = ["zeros", "ones", "empty", "full", "arange", "linspace", "eye", "rand", "randn"]


def _with_out(fn):
    @functools.wraps(fn)
    def wrapper(*args, out=None, **kwargs):
        if out is None:
            return fn(*args, **kwargs)
        if kwargs.get("dtype") is None and hasattr(out, "dtype"):
            kwargs["dtype"] = out.dtype
        return write_out(fn(*args, **kwargs), out, fn.__name__)
    return wrapper


zeros, ones, empty, full, arange, linspace, eye, rand, randn = map(_with_out, (
    _creation.zeros, _creation.ones, _creation.empty, _creation.full, _creation.arange,
    _creation.linspace, _creation.eye, _creation.rand, _creation.randn))
