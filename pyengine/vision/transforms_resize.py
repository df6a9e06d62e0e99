"""transforms.Resize with bilinear resampling (torchvision's default interpolation), the
separable triangle filter of Pillow's resize, which torchvision reproduces for tensors
(antialias=True): when shrinking, the filter widens by the scale so every source pixel is
weighted (no aliasing); when enlarging (or antialias=False) it is plain half-pixel bilinear.
Weights falling outside the image are dropped and the rest renormalised (Pillow's edge rule).
Integer images are rounded and clipped back to their dtype. Other interpolation modes are
refused by name rather than silently replaced by bilinear."""
import numpy as np

from ..ops.image_filter import triangle_weights
from .transforms import _spatial

__all__ = ["Resize"]


def _resize_axis(a, axis, n_out, antialias):
    w = triangle_weights(a.shape[axis], n_out, antialias)
    return np.moveaxis(np.tensordot(w, np.moveaxis(a, axis, 0), axes=(1, 0)), 0, axis)


def _target_size(size, max_size, h, w):
    if isinstance(size, (list, tuple)) and len(size) == 2:
        return int(size[0]), int(size[1])
    s = size[0] if isinstance(size, (list, tuple)) else size
    short, long = (h, w) if h <= w else (w, h)
    new_short, new_long = s, int(s * long / short)
    if max_size is not None and new_long > max_size:
        new_short, new_long = int(max_size * new_short / new_long), max_size
    return (new_short, new_long) if h <= w else (new_long, new_short)


class Resize:
    """Resize((h, w)) to that size, Resize(s) to s on the shorter edge (aspect kept)."""

    def __init__(self, size, interpolation="bilinear", max_size=None, antialias=True):
        ok_int = isinstance(size, int) and not isinstance(size, bool) and size > 0
        ok_seq = (isinstance(size, (list, tuple)) and len(size) in (1, 2)
                  and all(isinstance(v, int) and v > 0 for v in size))
        if not (ok_int or ok_seq):
            raise TypeError(f"[Resize] size must be a positive int or (h, w), got {size!r}")
        if max_size is not None and (ok_seq and len(size) == 2):
            raise ValueError("[Resize] max_size is only allowed when size is a single int")
        mode = getattr(interpolation, "value", interpolation)
        if str(mode).lower() != "bilinear":
            raise NotImplementedError(f"[Resize] interpolation {interpolation!r}: only "
                                      "bilinear is implemented")
        if antialias is None:
            antialias = True
        self.size, self.max_size, self.antialias = size, max_size, bool(antialias)
        self.interpolation = interpolation

    def __call__(self, img):
        def resize(a, h_axis):
            th, tw = _target_size(self.size, self.max_size, a.shape[h_axis], a.shape[h_axis + 1])
            out = a.astype(np.float64)
            if th != a.shape[h_axis]:
                out = _resize_axis(out, h_axis, th, self.antialias)
            if tw != a.shape[h_axis + 1]:
                out = _resize_axis(out, h_axis + 1, tw, self.antialias)
            if np.issubdtype(a.dtype, np.integer):
                info = np.iinfo(a.dtype)
                return np.clip(np.rint(out), info.min, info.max).astype(a.dtype)
            return out.astype(a.dtype)
        return _spatial(img, "Resize", resize)

    def __repr__(self):
        return f"Resize(size={self.size}, interpolation={self.interpolation}, " \
               f"max_size={self.max_size}, antialias={self.antialias})"
