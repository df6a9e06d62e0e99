"""torchvision.transforms' basic tensor conversions, the ones the PyTorch tutorials compose:
ToTensor, Normalize, Compose, Lambda. Images are PIL images (when Pillow is installed) or NumPy
arrays in (H, W) / (H, W, C) layout, as pyengine.vision.datasets returns them.

Geometric and colour augmentations (Resize, RandomCrop, ...) are not here; a transform
applied to something it cannot read raises a TypeError that names it."""
import numpy as np

from ..creation import tensor
from ..tensor import Tensor

__all__ = ["ToTensor", "Normalize", "Compose", "Lambda"]


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
