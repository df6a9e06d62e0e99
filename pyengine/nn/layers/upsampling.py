"""Upsample / UpsamplingNearest2d / UpsamplingBilinear2d over F.interpolate (csrc/image)."""
from .. import functional as F
from ..module import Module


class Upsample(Module):
    """Resize an NCHW batch by `size` or `scale_factor` (PyTorch's nn.Upsample, 4-D input).
    mode 'nearest' | 'nearest-exact' | 'bilinear' (align_corners).

    >>> pe.nn.Upsample(scale_factor=2, mode="bilinear")(pe.randn(1, 3, 4, 4)).shape
    (1, 3, 8, 8)
    """

    def __init__(self, size=None, scale_factor=None, mode="nearest", align_corners=None,
                 recompute_scale_factor=None):
        super().__init__()
        if (size is None) == (scale_factor is None):
            raise ValueError(f"[{type(self).__name__}] give exactly one of size and scale_factor, "
                             f"received size={size!r}, scale_factor={scale_factor!r}")
        self.size, self.scale_factor, self.mode = size, scale_factor, mode
        self.align_corners, self.recompute_scale_factor = align_corners, recompute_scale_factor

    def forward(self, x):
        return F.interpolate(x, self.size, self.scale_factor, self.mode, self.align_corners,
                             self.recompute_scale_factor)

    def extra_repr(self):
        what = f"size={self.size}" if self.size is not None else \
            f"scale_factor={self.scale_factor}"
        return f"{what}, mode={self.mode!r}"


class UpsamplingNearest2d(Upsample):
    def __init__(self, size=None, scale_factor=None):
        super().__init__(size, scale_factor, mode="nearest")


class UpsamplingBilinear2d(Upsample):
    """Bilinear with align_corners=True, as PyTorch's (deprecated) class defines it."""

    def __init__(self, size=None, scale_factor=None):
        super().__init__(size, scale_factor, mode="bilinear", align_corners=True)
