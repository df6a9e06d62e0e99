"""tf.image's common functions for programs written `import tensorflow as tf` (`pe.image`):
resize (keras-io's conditional GAN, super-resolution), the flips, rgb_to_grayscale and psnr.
Images are (height, width, channels) or (batch, height, width, channels), channels last, as
TensorFlow's. resize runs the same batched C++ resize as keras.layers.Resizing (bilinear at
half-pixel centres, TensorFlow's sampling); the gradient flows through every function."""
import numpy as np

from .ops.image import resize_planes
from .tf_names import _t

_METHODS = {"bilinear": "bilinear", "nearest": "nearest-exact"}


def _batched(images, op):
    x = _t(images)
    if x.ndim not in (3, 4):
        raise ValueError(f"[image.{op}] images must be (height, width, channels) or (batch, "
                         f"height, width, channels). Received: shape {tuple(x.shape)}")
    return (x.unsqueeze(0), True) if x.ndim == 3 else (x, False)


def resize(images, size, method="bilinear", preserve_aspect_ratio=False, antialias=False,
           name=None):
    """Images resized to `size` = (new_height, new_width); float32 out (integer images are
    converted first), as TensorFlow returns for every method but 'nearest', which keeps the
    dtype. preserve_aspect_ratio: the largest size within `size` with the image's aspect ratio.
    antialias=True (a low-pass filter when shrinking) is not implemented and is refused when it
    would change the result (shrinking); methods other than bilinear / nearest are refused."""
    if method not in _METHODS:
        raise ValueError(f"[image.resize] method must be one of {sorted(_METHODS)}. Received: "
                         f"method={method!r}")
    if len(size) != 2 or any(int(s) < 1 for s in size):
        raise ValueError(f"[image.resize] size must be (new_height, new_width) of positive ints."
                         f" Received: size={size!r}")
    x, unbatched = _batched(images, "resize")
    h, w = x.shape[1], x.shape[2]
    th, tw = int(size[0]), int(size[1])
    if preserve_aspect_ratio:
        scale = min(th / h, tw / w)
        th, tw = max(1, int(round(h * scale))), max(1, int(round(w * scale)))
    if antialias and (th < h or tw < w):
        raise ValueError("[image.resize] antialias=True when shrinking is not supported")
    keep = None
    if x._data.dtype.kind != "f":
        if method == "nearest":  # picks pixels: exact in float64, cast back to the input's dtype
            keep, x = x._data.dtype, x.astype(np.float64)
        else:
            x = x.astype(np.float32)
    y = x if (th, tw) == (h, w) else resize_planes(x, (th, tw), _METHODS[method],
                                                   op="image.resize")
    if keep is not None:
        y = y.astype(keep)
    return y.squeeze(0) if unbatched else y


def flip_left_right(image):
    x, unbatched = _batched(image, "flip_left_right")
    y = x.flip(2)
    return y.squeeze(0) if unbatched else y


def flip_up_down(image):
    x, unbatched = _batched(image, "flip_up_down")
    y = x.flip(1)
    return y.squeeze(0) if unbatched else y


def rgb_to_grayscale(images, name=None):
    """The ITU-R BT.601 luma (0.2989 R + 0.5870 G + 0.1140 B, TensorFlow's weights) as one
    channel."""
    x = _t(images)
    if x.ndim < 3 or x.shape[-1] != 3:
        raise ValueError(f"[image.rgb_to_grayscale] images must have 3 channels last. Received: "
                         f"shape {tuple(x.shape)}")
    w = _t(np.array([0.2989, 0.5870, 0.1140], dtype=x._data.dtype
                    if x._data.dtype.kind == "f" else np.float32))
    return (x * w).sum(-1, keepdim=True)


def psnr(a, b, max_val, name=None):
    """Peak signal-to-noise ratio per image: 10 log10(max_val^2 / mean((a - b)^2)) over the last
    three axes."""
    x, y = _t(a), _t(b)
    if tuple(x.shape) != tuple(y.shape) or x.ndim < 3:
        raise ValueError(f"[image.psnr] a and b must be images of one shape. Received: "
                         f"{tuple(x.shape)} and {tuple(y.shape)}")
    mse = ((x - y) ** 2).mean(dim=(-3, -2, -1))
    return (np.log10(float(max_val) ** 2) - mse.log() / np.log(10.0)) * 10.0
