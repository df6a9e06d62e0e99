"""Padding modules over F.pad: ReflectionPad1d/2d/3d, ReplicationPad1d/2d/3d, CircularPad1d/2d/3d,
ZeroPad1d/2d/3d, ConstantPad1d/2d/3d (PyTorch's nn.*Pad*); PixelShuffle / PixelUnshuffle.
padding: an int (every side) or a tuple (left, right[, top, bottom[, front, back]]) as F.pad
takes it."""
import numpy as np

from .. import functional as F
from ..module import Module


def _padding(padding, n, name):
    if isinstance(padding, (int, np.integer)) and not isinstance(padding, bool):
        return (int(padding),) * (2 * n)
    padding = tuple(padding)
    if len(padding) != 2 * n or not all(isinstance(p, (int, np.integer))
                                        and not isinstance(p, bool) for p in padding):
        raise ValueError(f"[{name}] padding must be an int or a tuple of {2 * n} ints, got "
                         f"{padding!r}")
    return tuple(int(p) for p in padding)


class _Pad(Module):
    mode, dims = "constant", 1

    def __init__(self, padding, value=0.0):
        super().__init__()
        self.padding = _padding(padding, self.dims, type(self).__name__)
        self.value = value

    def forward(self, x):
        if self.mode == "constant":
            return F.pad(x, self.padding, mode="constant", value=self.value)
        return F.pad(x, self.padding, mode=self.mode)

    def extra_repr(self):
        return f"{self.padding}" + (f", value={self.value}" if self.mode == "constant" else "")


class ReflectionPad1d(_Pad):
    mode, dims = "reflect", 1

    def __init__(self, padding):
        super().__init__(padding)


class ReflectionPad2d(_Pad):
    mode, dims = "reflect", 2

    def __init__(self, padding):
        super().__init__(padding)


class ReplicationPad1d(_Pad):
    mode, dims = "replicate", 1

    def __init__(self, padding):
        super().__init__(padding)


class ReplicationPad2d(_Pad):
    mode, dims = "replicate", 2

    def __init__(self, padding):
        super().__init__(padding)


class ConstantPad1d(_Pad):
    dims = 1

    def __init__(self, padding, value):
        super().__init__(padding, float(value))


class ConstantPad2d(_Pad):
    dims = 2

    def __init__(self, padding, value):
        super().__init__(padding, float(value))


class ZeroPad2d(_Pad):
    dims = 2

    def __init__(self, padding):
        super().__init__(padding, 0.0)


def _make(name, mode, dims, value=None):
    if value is None:  # padding only (value fixed: zero, or none for the non-constant modes)
        def __init__(self, padding):
            _Pad.__init__(self, padding, 0.0)
    else:
        def __init__(self, padding, value):
            _Pad.__init__(self, padding, float(value))
    return type(name, (_Pad,), {"mode": mode, "dims": dims, "__init__": __init__,
                                "__module__": __name__})


ReflectionPad3d = _make("ReflectionPad3d", "reflect", 3)
ReplicationPad3d = _make("ReplicationPad3d", "replicate", 3)
CircularPad1d = _make("CircularPad1d", "circular", 1)
CircularPad2d = _make("CircularPad2d", "circular", 2)
CircularPad3d = _make("CircularPad3d", "circular", 3)
ConstantPad3d = _make("ConstantPad3d", "constant", 3, value=0.0)
ZeroPad1d = _make("ZeroPad1d", "constant", 1)
ZeroPad3d = _make("ZeroPad3d", "constant", 3)


class PixelShuffle(Module):
    """(N, C * r^2, H, W) -> (N, C, H * r, W * r) (F.pixel_shuffle)."""

    def __init__(self, upscale_factor):
        super().__init__()
        self.upscale_factor = int(upscale_factor)

    def forward(self, x):
        return F.pixel_shuffle(x, self.upscale_factor)

    def extra_repr(self):
        return f"upscale_factor={self.upscale_factor}"


class PixelUnshuffle(Module):
    """(N, C, H * r, W * r) -> (N, C * r^2, H, W) (F.pixel_unshuffle)."""

    def __init__(self, downscale_factor):
        super().__init__()
        self.downscale_factor = int(downscale_factor)

    def forward(self, x):
        return F.pixel_unshuffle(x, self.downscale_factor)

    def extra_repr(self):
        return f"downscale_factor={self.downscale_factor}"
