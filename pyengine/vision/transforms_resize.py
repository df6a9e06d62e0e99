"""transforms.Resize with bilinear resampling (torchvision's default interpolation), the
separable triangle filter of Pillow's resize, which torchvision reproduces for tensors
(antialias=True): when shrinking, the filter widens by the scale so every source pixel is
weighted (no aliasing); when enlarging (or antialias=False) it is plain half-pixel bilinear.
Weights falling outside the image are dropped and the rest renormalised (Pillow's edge rule).
Integer images are rounded and clipped back to their dtype. Other interpolation modes are
refused by name rather than silently replaced by bilinear. RandomResizedCrop crops a random
area / aspect ratio (torchvision's sampling: 10 tries, then the central crop) and resizes it
the same way."""
import numpy as np

from ..ops.image_filter import triangle_weights
from .transforms import _spatial

__all__ = ["Resize", "RandomResizedCrop"]


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


def _check_size(op, size):
    ok_int = isinstance(size, int) and not isinstance(size, bool) and size > 0
    ok_seq = (isinstance(size, (list, tuple)) and len(size) in (1, 2)
              and all(isinstance(v, int) and v > 0 for v in size))
    if not (ok_int or ok_seq):
        raise TypeError(f"[{op}] size must be a positive int or (h, w), got {size!r}")
    return ok_seq


def _check_interpolation(op, interpolation):
    mode = getattr(interpolation, "value", interpolation)
    if str(mode).lower() != "bilinear":
        raise NotImplementedError(f"[{op}] interpolation {interpolation!r}: only bilinear is "
                                  "implemented")


def _resize_array(a, h_axis, th, tw, antialias):
    out = a.astype(np.float64)
    if th != a.shape[h_axis]:
        out = _resize_axis(out, h_axis, th, antialias)
    if tw != a.shape[h_axis + 1]:
        out = _resize_axis(out, h_axis + 1, tw, antialias)
    if np.issubdtype(a.dtype, np.integer):
        info = np.iinfo(a.dtype)
        return np.clip(np.rint(out), info.min, info.max).astype(a.dtype)
    return out.astype(a.dtype)


class Resize:
    """Resize((h, w)) to that size, Resize(s) to s on the shorter edge (aspect kept)."""

    def __init__(self, size, interpolation="bilinear", max_size=None, antialias=True):
        ok_seq = _check_size("Resize", size)
        if max_size is not None and (ok_seq and len(size) == 2):
            raise ValueError("[Resize] max_size is only allowed when size is a single int")
        _check_interpolation("Resize", interpolation)
        if antialias is None:
            antialias = True
        self.size, self.max_size, self.antialias = size, max_size, bool(antialias)
        self.interpolation = interpolation

    def __call__(self, img):
        def resize(a, h_axis):
            th, tw = _target_size(self.size, self.max_size, a.shape[h_axis], a.shape[h_axis + 1])
            return _resize_array(a, h_axis, th, tw, self.antialias)
        return _spatial(img, "Resize", resize)

    def __repr__(self):
        return f"Resize(size={self.size}, interpolation={self.interpolation}, " \
               f"max_size={self.max_size}, antialias={self.antialias})"


class RandomResizedCrop:
    """A random crop of `scale` times the image area (uniform) and aspect ratio drawn
    log-uniformly from `ratio`, resized to `size` (torchvision's get_params: 10 tries, then the
    central crop of the ratio clamped to `ratio`); draws from pyengine's generator."""

    def __init__(self, size, scale=(0.08, 1.0), ratio=(3.0 / 4.0, 4.0 / 3.0),
                 interpolation="bilinear", antialias=True):
        _check_size("RandomResizedCrop", size)
        _check_interpolation("RandomResizedCrop", interpolation)
        if not (len(scale) == 2 and len(ratio) == 2):
            raise ValueError("[RandomResizedCrop] scale and ratio must be (min, max) pairs")
        if scale[0] > scale[1] or ratio[0] > ratio[1]:
            raise ValueError(f"[RandomResizedCrop] scale {scale} and ratio {ratio} must be "
                             "(min, max) with min <= max")
        self.size = (size, size) if isinstance(size, int) else \
            (size[0], size[0]) if len(size) == 1 else (int(size[0]), int(size[1]))
        self.scale, self.ratio = tuple(scale), tuple(ratio)
        self.interpolation, self.antialias = interpolation, True if antialias is None else bool(antialias)

    @staticmethod
    def get_params(height, width, scale, ratio, rng):
        """(top, left, h, w) of the crop."""
        area = height * width
        log_ratio = np.log(ratio)
        for _ in range(10):
            target = area * rng.uniform(scale[0], scale[1])
            aspect = np.exp(rng.uniform(log_ratio[0], log_ratio[1]))
            w = int(round(np.sqrt(target * aspect)))
            h = int(round(np.sqrt(target / aspect)))
            if 0 < w <= width and 0 < h <= height:
                return int(rng.integers(0, height - h + 1)), int(rng.integers(0, width - w + 1)), h, w
        in_ratio = width / height
        if in_ratio < min(ratio):
            w, h = width, int(round(width / min(ratio)))
        elif in_ratio > max(ratio):
            h, w = height, int(round(height * max(ratio)))
        else:
            w, h = width, height
        return (height - h) // 2, (width - w) // 2, h, w

    def __call__(self, img):
        from .. import random as _random
        rng = _random.get_generator()

        def crop_resize(a, h_axis):
            top, left, h, w = self.get_params(a.shape[h_axis], a.shape[h_axis + 1], self.scale,
                                              self.ratio, rng)
            index = [slice(None)] * a.ndim
            index[h_axis], index[h_axis + 1] = slice(top, top + h), slice(left, left + w)
            return _resize_array(a[tuple(index)], h_axis, self.size[0], self.size[1],
                                 self.antialias)
        return _spatial(img, "RandomResizedCrop", crop_resize)

    def __repr__(self):
        return (f"RandomResizedCrop(size={self.size}, scale={self.scale}, ratio={self.ratio}, "
                f"interpolation={self.interpolation}, antialias={self.antialias})")
