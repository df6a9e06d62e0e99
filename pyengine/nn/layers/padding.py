"""Padding modules over F.pad: ReflectionPad1d/2d, ReplicationPad1d/2d, ZeroPad2d,
ConstantPad1d/2d (PyTorch's nn.*Pad*). padding: an int (every side) or a tuple
(left, right[, top, bottom]) as F.pad takes it."""
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
