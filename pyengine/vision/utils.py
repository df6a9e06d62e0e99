"""torchvision.utils.make_grid / save_image: the PyTorch tutorials show a batch of images as one
grid (`imshow(torchvision.utils.make_grid(images))`). make_grid follows torchvision's layout:
nrow images per row, `padding` pixels around each, pad_value in the gaps, one-channel images
repeated to three channels, normalize / value_range / scale_each rescaling to [0, 1]. The grid
is a new tensor outside autograd. save_image needs Pillow to write the file."""
import math

import numpy as np

from ..tensor import Tensor

__all__ = ["make_grid", "save_image"]


def _batch(tensor):
    if isinstance(tensor, (list, tuple)):
        arr = np.stack([t.detach()._data if isinstance(t, Tensor) else np.asarray(t)
                        for t in tensor])
    elif isinstance(tensor, Tensor):
        arr = tensor.detach()._data
    else:
        raise TypeError(f"[make_grid] expects a tensor or a list of tensors, got "
                        f"{type(tensor).__name__}")
    if arr.ndim == 2:
        arr = arr[None]
    if arr.ndim == 3:
        arr = np.concatenate([arr] * 3, 0) if arr.shape[0] == 1 else arr
        arr = arr[None]
    if arr.ndim != 4:
        raise ValueError(f"[make_grid] expects (B, C, H, W), (C, H, W) or (H, W) images, got "
                         f"shape {arr.shape}")
    if arr.shape[1] == 1:
        arr = np.concatenate([arr] * 3, 1)
    return arr


def _rescale(arr, value_range):
    low, high = value_range if value_range is not None else (arr.min(), arr.max())
    arr = np.clip(arr, low, high)
    return (arr - low) / max(high - low, 1e-5)


def make_grid(tensor, nrow=8, padding=2, normalize=False, value_range=None, scale_each=False,
              pad_value=0.0):
    arr = _batch(tensor)
    arr = arr.astype(arr.dtype if arr.dtype.kind == "f" else np.float32, copy=True)
    if value_range is not None and (not isinstance(value_range, tuple) or len(value_range) != 2):
        raise TypeError("[make_grid] value_range must be a (min, max) tuple")
    if normalize:
        arr = (np.stack([_rescale(a, value_range) for a in arr]) if scale_each
               else _rescale(arr, value_range)).astype(arr.dtype)
    if arr.shape[0] == 1:
        return Tensor._wrap(arr[0])
    n, c, h, w = arr.shape
    xmaps = min(nrow, n)
    ymaps = int(math.ceil(n / xmaps))
    height, width = h + padding, w + padding
    grid = np.full((c, height * ymaps + padding, width * xmaps + padding), pad_value, arr.dtype)
    for k in range(n):
        y, x = divmod(k, xmaps)
        grid[:, y * height + padding:y * height + padding + h,
             x * width + padding:x * width + padding + w] = arr[k]
    return Tensor._wrap(grid)


def save_image(tensor, fp, format=None, **kwargs):  # noqa: A002 (torchvision's name)
    """make_grid(tensor, **kwargs) written as an 8-bit image file: with Pillow in any format
    it writes; without it, PNG (a path ending in .png, or format="png") is written with the
    standard library (keras' PNG encoder) and other formats need Pillow."""
    try:
        from PIL import Image
    except ImportError:
        Image = None
    name = fp if isinstance(fp, (str, bytes)) or hasattr(fp, "__fspath__") else None
    png = (format or "").lower() == "png" or (
        format is None and name is not None and str(name).lower().endswith(".png"))
    if Image is None and not png:
        raise ImportError("[save_image] writing this image format needs Pillow (pip install "
                          "pillow); PNG is written without it, and make_grid gives the grid as a "
                          "tensor")
    grid = make_grid(tensor, **kwargs)._data
    img = np.clip(grid * 255 + 0.5, 0, 255).astype(np.uint8).transpose(1, 2, 0)
    if Image is not None:
        Image.fromarray(img).save(fp, format=format)
        return
    from ..keras.preprocessing.image_encode import encode_png
    data = encode_png(img)
    if name is None:
        fp.write(data)
        return
    with open(fp, "wb") as f:
        f.write(data)
