"""tf.image for programs run as `import pyengine as tf`: `resize`, which keras-io's transfer
learning guide maps over its dataset (`tf.image.resize(x, (150, 150))`).

TensorFlow 2's rules: images (height, width, channels) or a batch of them; 'bilinear' samples
at half-pixel centres (the Keras Resizing layer's kernel, csrc/image) and returns float32 for
any input dtype; 'nearest' takes the half-pixel nearest pixel and keeps the dtype;
`preserve_aspect_ratio=True` scales both sides by the smaller of the two ratios. The other
methods and `antialias=True` raise (no kernel for them here) rather than resizing otherwise."""
import numpy as np

from .ops.image import resize_planes
from .tensor import Tensor

_METHODS = {"bilinear": "bilinear", "nearest": "nearest-exact"}
_OTHER_METHODS = ("bicubic", "area", "lanczos3", "lanczos5", "gaussian", "mitchellcubic")


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
    if method == "bilinear":
        from . import float32
        batched = batched.astype(float32) if dtype != float32 else batched
    out = batched if (h, w) == size else \
        resize_planes(batched, size, _METHODS[method], op="tf.image.resize")
    if method == "nearest" and out.dtype != dtype:  # picked pixels: exact in the input dtype
        out = out.astype(dtype)
    return out.squeeze(0) if x.ndim == 3 else out
