"""pe.finfo / pe.iinfo (torch.finfo / torch.iinfo): the limits of a float or integer dtype, read
from NumPy's for the dtype's storage. Accepts a pe dtype, a NumPy dtype, a name or a Python type."""
import numpy as np

from . import dtypes as _dt


def _np_dtype(dtype, op):
    if dtype is None:
        return np.dtype(np.float32)  # pyengine's default dtype
    try:
        return _dt.as_dtype(dtype).np
    except TypeError:
        try:  # a NumPy dtype pyengine does not store (float16, int16 ...) still has limits
            return np.dtype(dtype)
        except TypeError:
            raise TypeError(f"[{op}] cannot interpret {dtype!r} as a dtype") from None


class finfo:
    """Limits of a floating dtype: bits, eps, max, min, tiny (= smallest_normal), resolution.

    >>> pe.finfo(pe.float32).eps
    1.1920928955078125e-07
    """

    def __init__(self, type=None):  # noqa: A002  (torch's argument name)
        npd = _np_dtype(type, "finfo")
        if npd.kind != "f":
            raise TypeError(f"[finfo] requires a floating point dtype, got {npd} (use pe.iinfo "
                            f"for integers)")
        info = np.finfo(npd)
        self.dtype, self.bits = npd.name, int(info.bits)
        self.eps, self.max, self.min = float(info.eps), float(info.max), float(info.min)
        self.tiny = self.smallest_normal = float(info.smallest_normal)
        self.resolution = 10.0 ** -int(info.precision)  # as torch: 1e-06, not float32(1e-06)

    def __repr__(self):
        return (f"finfo(resolution={self.resolution:g}, min={self.min:g}, max={self.max:g}, "
                f"eps={self.eps:g}, smallest_normal={self.smallest_normal:g}, "
                f"tiny={self.tiny:g}, dtype={self.dtype})")


class iinfo:
    """Limits of an integer dtype: bits, max, min.

    >>> pe.iinfo(pe.int32).max
    2147483647
    """

    def __init__(self, type):  # noqa: A002
        npd = _np_dtype(type, "iinfo")
        if npd.kind not in "iu":
            raise TypeError(f"[iinfo] requires an integer dtype, got {npd} (use pe.finfo for "
                            f"floating point)")
        info = np.iinfo(npd)
        self.dtype, self.bits = npd.name, int(info.bits)
        self.max, self.min = int(info.max), int(info.min)

    def __repr__(self):
        return f"iinfo(min={self.min:g}, max={self.max:g}, dtype={self.dtype})"
