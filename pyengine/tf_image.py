"""tf.image for programs run as `import pyengine as tf`: `resize` (keras-io's transfer learning
guide maps it over its dataset, its conditional GAN resizes samples), the flips,
rgb_to_grayscale and psnr; the gradient flows through each.

TensorFlow 2's rules: images (height, width, channels) or a batch of them; 'bilinear' samples
at half-pixel centres (the Keras Resizing layer's kernel, csrc/image) and returns float32 for
any input dtype; 'nearest' takes the half-pixel nearest pixel and keeps the dtype; 'area'
averages the input pixels each output pixel covers, weighted by overlap (float32);
`preserve_aspect_ratio=True` scales both sides by the smaller of the two ratios. The other
methods and `antialias=True` raise (no kernel for them here) rather than resizing otherwise."""
import numpy as np

from .ops.image import resize_planes
from .tensor import Tensor
from .tf_names import _t

_METHODS = {"bilinear": "bilinear", "nearest": "nearest-exact", "area": "area"}
_OTHER_METHODS = ("bicubic", "lanczos3", "lanczos5", "gaussian", "mitchellcubic")


def _area_weights(n_in, n_out):
    """(n_out, n_in): output pixel o averages input [o * s, (o + 1) * s), s = n_in / n_out,
    each input pixel weighted by its overlap (TensorFlow's ResizeArea)."""
    s = n_in / n_out
    lo, hi = np.arange(n_out)[:, None] * s, (np.arange(n_out)[:, None] + 1) * s
    i = np.arange(n_in)[None, :]
    return np.clip(np.minimum(hi, i + 1) - np.maximum(lo, i), 0, None) / s


def _resize_area(x, size):
    """Area resize of (batch, h, w, c) float32 as two linear maps (differentiable)."""
    from .nn import functional as F
    wh = Tensor._wrap(_area_weights(x.shape[1], size[0]).astype(np.float32))
    ww = Tensor._wrap(_area_weights(x.shape[2], size[1]).astype(np.float32))
    return F.einsum("pw,bowc->bopc", ww, F.einsum("oh,bhwc->bowc", wh, x))


def resize(images, size, method="bilinear", preserve_aspect_ratio=False, antialias=False,
           name=None):
    method = getattr(method, "value", method)  # tf.image.ResizeMethod.BILINEAR
    if method in _OTHER_METHODS:
        raise NotImplementedError(f"[tf.image.resize] method={method!r} is not implemented; "
                                  "'bilinear' and 'nearest' are")
    if method not in _METHODS:
        raise ValueError(f"[tf.image.resize] unknown method {method!r}")
    if antialias:
        raise NotImplementedError("[tf.image.resize] antialias=True is not implemented (no "
                                  "antialiasing kernel); pass antialias=False")
    x = images if isinstance(images, Tensor) else Tensor._wrap(np.asarray(images))
    if x.ndim not in (3, 4):
        raise ValueError(f"[tf.image.resize] images must be 3-D (height, width, channels) or "
                         f"4-D (batch, height, width, channels), received shape "
                         f"{tuple(x.shape)}")
    size = tuple(int(s) for s in np.asarray(getattr(size, "_data", size)).reshape(-1))
    if len(size) != 2 or min(size) < 1:
        raise ValueError(f"[tf.image.resize] size must be (new_height, new_width) of positive "
                         f"ints, received {size}")
    batched = x.unsqueeze(0) if x.ndim == 3 else x
    h, w = batched.shape[1], batched.shape[2]
    if preserve_aspect_ratio:
        scale = min(size[0] / h, size[1] / w)
        size = (max(1, int(round(h * scale))), max(1, int(round(w * scale))))
    dtype = x.dtype
    if method in ("bilinear", "area"):
        from . import float32
        batched = batched.astype(float32) if dtype != float32 else batched
    if (h, w) == size:
        out = batched
    elif method == "area":
        out = _resize_area(batched, size)
    else:
        out = resize_planes(batched, size, _METHODS[method], op="tf.image.resize")
    if method == "nearest" and out.dtype != dtype:  # picked pixels: exact in the input dtype
        out = out.astype(dtype)
    return out.squeeze(0) if x.ndim == 3 else out


def _batched(images, op):
    x = _t(images)
    if x.ndim not in (3, 4):
        raise ValueError(f"[image.{op}] images must be (height, width, channels) or (batch, "
                         f"height, width, channels). Received: shape {tuple(x.shape)}")
    return (x.unsqueeze(0), True) if x.ndim == 3 else (x, False)


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
    channel, in the images' dtype: an integer image is converted to float ([0, 1]), weighed
    and converted back (convert_image_dtype), as TensorFlow does."""
    x = _t(images)
    if x.ndim < 3 or x.shape[-1] != 3:
        raise ValueError(f"[image.rgb_to_grayscale] images must have 3 channels last. Received: "
                         f"shape {tuple(x.shape)}")
    if x._data.dtype.kind != "f":
        from .tf_image_adjust import convert_image_dtype
        from . import float32
        return convert_image_dtype(rgb_to_grayscale(convert_image_dtype(x, float32)), x.dtype)
    w = _t(np.array([0.2989, 0.5870, 0.1140], dtype=x._data.dtype))
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


# tf.image.crop_to_bounding_box / pad_to_bounding_box (after _batched, which they use)
from .tf_image_boxes import (central_crop, crop_and_resize, crop_to_bounding_box,  # noqa: E402,F401
                             extract_patches, pad_to_bounding_box)
# tf.image.random_crop / random_flip_left_right / random_flip_up_down
from .tf_image_random import (random_crop, random_flip_left_right,  # noqa: E402,F401
                              random_flip_up_down)
# tf.image.convert_image_dtype / per_image_standardization / adjust_brightness /
# random_brightness / resize_with_pad
from .tf_image_adjust import (adjust_brightness, convert_image_dtype,  # noqa: E402,F401
                              per_image_standardization, random_brightness, resize_with_pad)
# tf.image's contrast / saturation / hue adjustments, their random_* forms, rgb_to_hsv / hsv_to_rgb
from .tf_image_color import (adjust_contrast, adjust_hue, adjust_saturation,  # noqa: E402,F401
                             hsv_to_rgb, random_contrast, random_hue, random_saturation,
                             rgb_to_hsv, rgb_to_yuv, yuv_to_rgb)
# tf.image.decode_png / decode_jpeg / decode_image / encode_png (file bytes <-> uint8 images)
from .tf_io import decode_image, decode_jpeg, decode_png, encode_png  # noqa: E402,F401
