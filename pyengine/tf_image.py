"""tf.image for programs run as `import pyengine as tf`: `resize` (keras-io's transfer learning
guide maps it over its dataset, its conditional GAN resizes samples), the flips,
rgb_to_grayscale and psnr; the gradient flows through each.

TensorFlow 2's rules: images (height, width, channels) or a batch of them; 'bilinear' samples
at half-pixel centres (the Keras Resizing layer's kernel, csrc/image) and returns float32 for
any input dtype, as 'bicubic' does (Keys' cubic, ops/image_cubic.py); 'nearest' takes the
half-pixel nearest pixel and keeps the dtype; `preserve_aspect_ratio=True` scales both sides by
the smaller of the two ratios. `antialias=True` with 'bilinear' shrinks with TF's triangle
filter widened by the scale (ops/image_filter.py; when enlarging it is plain bilinear, as in
TF); 'nearest' and 'area' ignore it, as TF does; with 'bicubic' it raises when shrinking (no
antialiased cubic kernel here). 'area' (ResizeMethod.AREA) averages each output pixel's
footprint, partly covered pixels by their covered fraction, float32 out (TF's resize_area). The
other methods raise (no kernel for them here) rather than resizing otherwise."""
import numpy as np

from .ops.image import resize_planes
from .ops.image_cubic import resize_bicubic
from .ops.image_filter import area_weights, resize_antialiased, resize_separable
from .tensor import Tensor
from .tf_names import _t

_METHODS = {"bilinear": "bilinear", "nearest": "nearest-exact", "bicubic": "bicubic",
            "area": "area"}
_OTHER_METHODS = ("lanczos3", "lanczos5", "gaussian", "mitchellcubic")


class ResizeMethod:
    """tf.image.ResizeMethod's names (strings, as TensorFlow's)."""
    BILINEAR = "bilinear"
    NEAREST_NEIGHBOR = "nearest"
    BICUBIC = "bicubic"
    AREA = "area"
    LANCZOS3 = "lanczos3"
    LANCZOS5 = "lanczos5"
    GAUSSIAN = "gaussian"
    MITCHELLCUBIC = "mitchellcubic"


def resize(images, size, method="bilinear", preserve_aspect_ratio=False, antialias=False,
           name=None):
    method = getattr(method, "value", method)  # tf.image.ResizeMethod.BILINEAR
    if method in _OTHER_METHODS:
        raise NotImplementedError(f"[tf.image.resize] method={method!r} is not implemented; "
                                  "'bilinear', 'nearest', 'bicubic' and 'area' are")
    if method not in _METHODS:
        raise ValueError(f"[tf.image.resize] unknown method {method!r}")
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
    if method in ("bilinear", "bicubic", "area"):
        from . import float32
        batched = batched.astype(float32) if dtype != float32 else batched
    if (h, w) == size:
        out = batched
    elif antialias and method in ("bilinear", "bicubic") and (size[0] < h or size[1] < w):
        if method == "bicubic":
            raise NotImplementedError("[tf.image.resize] antialias=True with 'bicubic' when "
                                      "shrinking is not implemented (no antialiased cubic "
                                      "kernel); 'bilinear' has one")
        out = resize_antialiased(batched, size)  # TF's scale_and_translate 'triangle' kernel
    elif method == "bicubic":
        out = resize_bicubic(batched, size)
    elif method == "area":
        out = resize_separable(batched, size, area_weights)
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


def rot90(image, k=1, name=None):
    """Each image turned counter-clockwise by k quarter turns (k may be a 0-d int tensor, keras-io
    EDSR draws it with tf.random.uniform; negative k turns clockwise), as TensorFlow."""
    x, unbatched = _batched(image, "rot90")
    k = np.asarray(getattr(k, "_data", k))
    if k.shape != () or k.dtype.kind not in "iu":
        raise TypeError(f"[image.rot90] k must be a scalar int. Received: {k!r}")
    y = x.rot90(int(k) % 4, (1, 2))
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
                             extract_patches, pad_to_bounding_box, resize_with_crop_or_pad)
# tf.image.random_crop / random_flip_left_right / random_flip_up_down
from .tf_image_distort import sample_distorted_bounding_box  # noqa: E402,F401
from .tf_image_quality import image_gradients, ssim, total_variation  # noqa: E402,F401
from .tf_image_random import (random_crop, random_flip_left_right,  # noqa: E402,F401
                              random_flip_up_down, stateless_random_brightness,
                              stateless_random_contrast, stateless_random_crop,
                              stateless_random_flip_left_right, stateless_random_flip_up_down,
                              stateless_random_hue, stateless_random_saturation)
# tf.image.convert_image_dtype / per_image_standardization / adjust_brightness /
# random_brightness / resize_with_pad
from .tf_image_adjust import (adjust_brightness, convert_image_dtype,  # noqa: E402,F401
                              per_image_standardization, random_brightness, resize_with_pad)
# tf.image's contrast / saturation / hue adjustments, their random_* forms, rgb_to_hsv / hsv_to_rgb
from .tf_image_color import (adjust_contrast, adjust_hue, adjust_saturation,  # noqa: E402,F401
                             hsv_to_rgb, random_contrast, random_hue, random_saturation,
                             rgb_to_hsv, rgb_to_yuv, yuv_to_rgb)
# tf.image.decode_png / decode_jpeg / decode_image / encode_png (file bytes <-> uint8 images)
from .tf_io import decode_bmp, decode_image, decode_jpeg, decode_png, encode_png  # noqa: E402,F401,E501
# tf.image.non_max_suppression / combined_non_max_suppression (greedy NMS, no gradient)
from .tf_image_nms import combined_non_max_suppression, non_max_suppression  # noqa: E402,F401
