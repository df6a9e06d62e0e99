"""torchvision.transforms' basic conversions and the exact geometric ones the PyTorch tutorials
compose: ToTensor, ToPILImage, Normalize, Compose, Lambda, and Pad, CenterCrop, RandomCrop,
RandomHorizontalFlip, RandomVerticalFlip. Images are PIL images (when Pillow is installed),
NumPy arrays in (H, W) / (H, W, C) layout, as pyengine.vision.datasets returns them, or tensors
in (..., H, W) layout; the random transforms draw from pyengine's generator (pe.manual_seed).

Resize (bilinear, antialiased as torchvision) is in transforms_resize.py; colour augmentations,
GaussianBlur and RandomApply (on tensors) in transforms_color.py; a transform applied to
something it cannot read raises a TypeError naming it."""
import numpy as np

from ..creation import tensor
from ..tensor import Tensor

__all__ = ["ToTensor", "ToPILImage", "Normalize", "Compose", "Lambda", "Pad", "CenterCrop",
           "RandomCrop", "RandomHorizontalFlip", "RandomVerticalFlip"]


class Compose:
    """Apply transforms in order."""

    def __init__(self, transforms):
        self.transforms = list(transforms)

    def __call__(self, img):
        for t in self.transforms:
            img = t(img)
        return img

    def __repr__(self):
        inner = "".join(f"\n    {t!r}" for t in self.transforms)
        return f"Compose({inner}\n)"


class ToTensor:
    """(H, W[, C]) image -> float32 (C, H, W) tensor; 8-bit images are scaled to [0, 1] (as
    torchvision: other dtypes keep their values)."""

    def __call__(self, pic):
        arr = _as_array(pic, "ToTensor")
        if arr.ndim == 2:
            arr = arr[:, :, None]
        if arr.ndim != 3:
            raise TypeError(f"[ToTensor] expects an (H, W) or (H, W, C) image, got shape "
                            f"{arr.shape}")
        chw = np.ascontiguousarray(arr.transpose(2, 0, 1))
        if chw.dtype == np.uint8:
            return tensor(chw.astype(np.float32) / 255.0)
        if chw.dtype == np.bool_:
            return tensor(chw.astype(np.float32))
        return tensor(chw)

    def __repr__(self):
        return "ToTensor()"


class ToPILImage:
    """A (C, H, W) tensor or (H, W, C) array back to an image: float values are scaled by 255
    and truncated to uint8 (as torchvision's `pic.mul(255).byte()`); 1, 3 or 4 channels give
    mode 'L', 'RGB' or 'RGBA' (or `mode` as given). A PIL image with Pillow, as torchvision;
    without Pillow the (H, W[, C]) uint8 array, pyengine.vision's image form without it (the
    neural style tutorial's `unloader(image)` before plt.imshow)."""

    _MODES = {1: "L", 3: "RGB", 4: "RGBA"}

    def __init__(self, mode=None):
        if mode is not None and mode not in ("L", "RGB", "RGBA"):
            raise ValueError(f"[ToPILImage] mode must be None, 'L', 'RGB' or 'RGBA', got {mode!r}")
        self.mode = mode

    def __call__(self, pic):
        if isinstance(pic, Tensor):
            a = np.asarray(pic.detach()._data)
            if a.ndim not in (2, 3):
                raise ValueError(f"[ToPILImage] pic should be 2 or 3 dimensional, got "
                                 f"{a.ndim} dimensions")
            a = a[None] if a.ndim == 2 else a
            a = a.transpose(1, 2, 0)
            if a.dtype.kind == "f":
                a = (a * 255).astype(np.uint8)  # mul(255).byte(): truncation, as torchvision
        elif isinstance(pic, np.ndarray):
            if pic.ndim not in (2, 3):
                raise ValueError(f"[ToPILImage] pic should be 2 or 3 dimensional, got "
                                 f"{pic.ndim} dimensions")
            a = pic[:, :, None] if pic.ndim == 2 else pic
            if a.dtype.kind == "f":
                a = (a * 255).astype(np.uint8)
        else:
            raise TypeError(f"[ToPILImage] pic should be a Tensor or ndarray, got "
                            f"{type(pic).__name__}")
        if a.dtype != np.uint8:
            raise TypeError(f"[ToPILImage] expects float or uint8 values, got {a.dtype}")
        c = a.shape[2]
        mode = self.mode or self._MODES.get(c)
        if mode is None or {"L": 1, "RGB": 3, "RGBA": 4}[mode] != c:
            raise ValueError(f"[ToPILImage] an image with {c} channels cannot be mode "
                             f"{self.mode or 'inferred'}")
        a = np.ascontiguousarray(a[:, :, 0] if c == 1 else a)
        try:
            from PIL import Image
        except ImportError:
            return a
        return Image.fromarray(a, mode=mode)

    def __repr__(self):
        return "ToPILImage()" if self.mode is None else f"ToPILImage(mode={self.mode!r})"


class Normalize:
    """(tensor - mean) / std per channel of a (..., C, H, W) float tensor."""

    def __init__(self, mean, std, inplace=False):
        self.mean, self.std, self.inplace = tuple(mean), tuple(std), bool(inplace)
        if any(s == 0 for s in self.std):
            raise ValueError(f"[Normalize] std contains a zero: {self.std}")

    def __call__(self, t):
        if not isinstance(t, Tensor) or t._data.dtype.kind != "f":
            raise TypeError(f"[Normalize] expects a float tensor (apply ToTensor first), got "
                            f"{getattr(t, 'dtype', type(t).__name__)}")
        if t.ndim < 3:
            raise ValueError(f"[Normalize] expects a (..., C, H, W) tensor, got shape {t.shape}")
        c = t.shape[-3]
        mean = np.broadcast_to(np.asarray(self.mean, t._data.dtype), (c,)).reshape(-1, 1, 1)
        std = np.broadcast_to(np.asarray(self.std, t._data.dtype), (c,)).reshape(-1, 1, 1)
        out = (t - Tensor._wrap(mean)) / Tensor._wrap(std)
        if self.inplace:
            return t.copy_(out) if not t.requires_grad else out
        return out

    def __repr__(self):
        return f"Normalize(mean={self.mean}, std={self.std})"


class Lambda:
    """A user function as a transform."""

    def __init__(self, lambd):
        if not callable(lambd):
            raise TypeError(f"[Lambda] argument should be callable, got {type(lambd).__name__}")
        self.lambd = lambd

    def __call__(self, img):
        return self.lambd(img)

    def __repr__(self):
        return "Lambda()"


def _as_array(pic, op):
    if isinstance(pic, Tensor):
        raise TypeError(f"[{op}] pic should be a PIL Image or ndarray, got a Tensor")
    if isinstance(pic, np.ndarray):
        return pic
    if hasattr(pic, "mode") and hasattr(pic, "size"):  # a PIL image
        return np.asarray(pic)
    raise TypeError(f"[{op}] pic should be a PIL Image or ndarray, got {type(pic).__name__}")


# ---- geometric transforms (exact: index arithmetic only) -----------------------------------
def _spatial(img, op, fn):
    """fn(array, h_axis) on the image's pixels, returned in the image's own kind."""
    if isinstance(img, Tensor):
        if img.ndim < 2:
            raise TypeError(f"[{op}] expects a (..., H, W) tensor, got shape {img.shape}")
        return Tensor._wrap(np.ascontiguousarray(fn(img.detach()._data, img.ndim - 2)),
                            img._device)
    if isinstance(img, np.ndarray):
        if img.ndim not in (2, 3):
            raise TypeError(f"[{op}] expects an (H, W) or (H, W, C) array, got {img.shape}")
        return np.ascontiguousarray(fn(img, 0))
    if hasattr(img, "mode") and hasattr(img, "size"):  # a PIL image
        from PIL import Image
        return Image.fromarray(np.ascontiguousarray(fn(np.asarray(img), 0)))
    raise TypeError(f"[{op}] expects a PIL Image, ndarray or Tensor, got {type(img).__name__}")


def _pair(size, op):
    if isinstance(size, int) and not isinstance(size, bool):
        return size, size
    if isinstance(size, (tuple, list)) and len(size) in (1, 2):
        return (size[0], size[0]) if len(size) == 1 else (int(size[0]), int(size[1]))
    raise TypeError(f"[{op}] size must be an int or an (h, w) pair, got {size!r}")


def _ltrb(padding, op):
    if isinstance(padding, int) and not isinstance(padding, bool):
        return (padding,) * 4
    if isinstance(padding, (tuple, list)) and len(padding) == 2:
        return padding[0], padding[1], padding[0], padding[1]
    if isinstance(padding, (tuple, list)) and len(padding) == 4:
        return tuple(padding)
    raise TypeError(f"[{op}] padding must be an int or a 2- or 4-sequence, got {padding!r}")


_MODES = {"constant": "constant", "edge": "edge", "reflect": "reflect",
          "symmetric": "symmetric"}


def _pad(arr, h_axis, ltrb, fill, mode, op):
    if mode not in _MODES:
        raise ValueError(f"[{op}] padding_mode must be one of {sorted(_MODES)}, got {mode!r}")
    left, top, right, bottom = ltrb
    widths = [(0, 0)] * arr.ndim
    widths[h_axis], widths[h_axis + 1] = (top, bottom), (left, right)
    if mode == "constant":
        return np.pad(arr, widths, mode="constant", constant_values=fill)
    return np.pad(arr, widths, mode=_MODES[mode])


class Pad:
    def __init__(self, padding, fill=0, padding_mode="constant"):
        self.padding, self.fill, self.padding_mode = _ltrb(padding, "Pad"), fill, padding_mode

    def __call__(self, img):
        return _spatial(img, "Pad", lambda a, h: _pad(a, h, self.padding, self.fill,
                                                        self.padding_mode, "Pad"))


class CenterCrop:
    """The central (h, w) region (torchvision's rounding; images smaller than the crop are
    zero-padded first, as torchvision)."""

    def __init__(self, size):
        self.size = _pair(size, "CenterCrop")

    def __call__(self, img):
        th, tw = self.size

        def crop(a, h_axis):
            H, W = a.shape[h_axis], a.shape[h_axis + 1]
            if th > H or tw > W:
                ltrb = ((tw - W) // 2 if tw > W else 0, (th - H) // 2 if th > H else 0,
                        (tw - W + 1) // 2 if tw > W else 0, (th - H + 1) // 2 if th > H else 0)
                a = _pad(a, h_axis, ltrb, 0, "constant", "CenterCrop")
                H, W = a.shape[h_axis], a.shape[h_axis + 1]
            top, left = int(round((H - th) / 2.0)), int(round((W - tw) / 2.0))
            index = [slice(None)] * a.ndim
            index[h_axis], index[h_axis + 1] = slice(top, top + th), slice(left, left + tw)
            return a[tuple(index)]
        return _spatial(img, "CenterCrop", crop)


class RandomCrop:
    def __init__(self, size, padding=None, pad_if_needed=False, fill=0, padding_mode="constant"):
        self.size = _pair(size, "RandomCrop")
        self.padding = None if padding is None else _ltrb(padding, "RandomCrop")
        self.pad_if_needed, self.fill, self.padding_mode = pad_if_needed, fill, padding_mode

    def __call__(self, img):
        from .. import random as _random
        th, tw = self.size

        def crop(a, h_axis):
            if self.padding is not None:
                a = _pad(a, h_axis, self.padding, self.fill, self.padding_mode, "RandomCrop")
            H, W = a.shape[h_axis], a.shape[h_axis + 1]
            if self.pad_if_needed and (H < th or W < tw):
                a = _pad(a, h_axis, (max(tw - W, 0), max(th - H, 0)) * 2, self.fill,
                         self.padding_mode, "RandomCrop")
                H, W = a.shape[h_axis], a.shape[h_axis + 1]
            if H < th or W < tw:
                raise ValueError(f"[RandomCrop] crop size {(th, tw)} is larger than the image "
                                 f"{(H, W)}")
            rng = _random.get_generator()
            top, left = int(rng.integers(0, H - th + 1)), int(rng.integers(0, W - tw + 1))
            index = [slice(None)] * a.ndim
            index[h_axis], index[h_axis + 1] = slice(top, top + th), slice(left, left + tw)
            return a[tuple(index)]
        return _spatial(img, "RandomCrop", crop)


class _RandomFlip:
    axis_offset = 1

    def __init__(self, p=0.5):
        if not 0.0 <= p <= 1.0:
            raise ValueError(f"[{type(self).__name__}] p must be in [0, 1], got {p}")
        self.p = p

    def __call__(self, img):
        from .. import random as _random
        if _random.get_generator().random() >= self.p:
            return img
        return _spatial(img, type(self).__name__,
                        lambda a, h: np.flip(a, axis=h + self.axis_offset))


class RandomHorizontalFlip(_RandomFlip):
    axis_offset = 1  # W


class RandomVerticalFlip(_RandomFlip):
    axis_offset = 0  # H


# Resize lives in its own file (the resampling filter); imported last, as it uses _spatial
from .transforms_resize import RandomResizedCrop, Resize  # noqa: E402
__all__ += ["Resize", "RandomResizedCrop"]

# Colour augmentations, blur and RandomApply on image tensors (transforms_color.py)
from .transforms_color import (ColorJitter, GaussianBlur, Grayscale,  # noqa: E402
                               RandomApply, RandomGrayscale)
__all__ += ["ColorJitter", "GaussianBlur", "Grayscale", "RandomApply", "RandomGrayscale"]
