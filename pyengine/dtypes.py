"""Data types. Each pyengine dtype wraps the NumPy dtype its CPU storage uses."""
import builtins

import numpy as np


class DType:
    __slots__ = ("name", "np", "is_floating_point", "itemsize")

    def __init__(self, name, np_dtype):
        self.name = name
        self.np = np.dtype(np_dtype)
        self.is_floating_point = self.np.kind == "f"
        self.itemsize = self.np.itemsize

    def __repr__(self):
        return f"pyengine.{self.name}"

    def __eq__(self, other):
        try:
            return self.np == as_dtype(other).np
        except TypeError:
            return NotImplemented

    def __hash__(self):
        return hash(self.np)


float32 = DType("float32", np.float32)
float64 = DType("float64", np.float64)
int32 = DType("int32", np.int32)
int64 = DType("int64", np.int64)
uint8 = DType("uint8", np.uint8)
int8 = DType("int8", np.int8)
int16 = DType("int16", np.int16)
bool_ = DType("bool", np.bool_)
float = float32  # noqa: A001  (torch aliases: pe.float is float32, pe.double float64, pe.long int64)
double = float64
long = int64
short = int16

_ALL = (float32, float64, int32, int64, uint8, int8, int16, bool_)
_BY_NP = {d.np: d for d in _ALL}
_BY_NAME = {d.name: d for d in _ALL}
_BY_NAME.update({"float": float32, "double": float64, "long": int64, "int": int64,
                 "short": int16})
_PY_TYPES = {builtins.float: float32, builtins.int: int64, builtins.bool: bool_}


def as_dtype(value):
    """Resolve a pyengine dtype from a DType, NumPy dtype, name or Python type."""
    if isinstance(value, DType):
        return value
    if isinstance(value, str):
        if value in _BY_NAME:
            return _BY_NAME[value]
        raise TypeError(f"unknown dtype '{value}'; valid: {', '.join(sorted(_BY_NAME))}")
    if value in _PY_TYPES:
        return _PY_TYPES[value]
    try:
        npd = np.dtype(value)
    except TypeError:
        raise TypeError(f"cannot interpret {value!r} as a pyengine dtype") from None
    if npd in _BY_NP:
        return _BY_NP[npd]
    raise TypeError(f"unsupported dtype {npd}; pyengine supports "
                    f"{', '.join(d.name for d in _ALL)}")


def from_numpy_dtype(npd):
    """The pyengine dtype of a NumPy dtype, or a TypeError naming the unsupported one."""
    d = _BY_NP.get(npd)
    if d is None:
        raise TypeError(f"unsupported dtype {npd}; pyengine supports "
                        f"{', '.join(x.name for x in _ALL)}")
    return d


_default_float = float32  # torch's default dtype: Python floats, rand / zeros / ..., new layers


def get_default_dtype():
    """The dtype of new floating tensors where none is given (float32 unless changed)."""
    return _default_float


def set_default_dtype(d):
    """Set the default floating dtype, float32 or float64 (as torch.set_default_dtype): it applies
    to tensors made from Python floats, zeros / ones / empty / full / rand / randn / eye /
    linspace, arange with a float argument, and the parameters of new nn layers."""
    global _default_float
    try:
        dt = as_dtype(d)
    except TypeError:
        dt = None
    if dt not in (float32, float64):
        raise TypeError(f"[set_default_dtype] only float32 and float64 are supported, got {d!r}")
    _default_float = dt


def default_float_np():
    """The NumPy dtype of get_default_dtype()."""
    return _default_float.np
