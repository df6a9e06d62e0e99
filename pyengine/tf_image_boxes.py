"""tf.image.crop_to_bounding_box / pad_to_bounding_box (keras-io ShiftViT shifts channel
groups by cropping one pixel off a side and zero-padding the other). TensorFlow's rules:
(height, width, channels) or (batch, height, width, channels) images; the box must lie inside
the image (crop) or hold it (pad), else a ValueError; padding is zeros. Both are a slice / a pad
of the tensor, so gradients flow. central_crop keeps the centre by a fraction (keras-io
distillation recipes' evaluation preprocessing)."""
import numpy as np

from .nn import functional as F
from .tf_image import _batched
from .tf_names import _t


def _ints(op, **values):
    out = []
    for k, v in values.items():
        v = int(getattr(v, "_data", v))
        if v < 0:
            raise ValueError(f"[image.{op}] {k} must be >= 0. Received: {k}={v}")
        out.append(v)
    return out


def crop_to_bounding_box(image, offset_height, offset_width, target_height, target_width):
    op = "crop_to_bounding_box"
    x, unbatched = _batched(image, op)
    oh, ow, th, tw = _ints(op, offset_height=offset_height, offset_width=offset_width,
                           target_height=target_height, target_width=target_width)
    if th == 0 or tw == 0:
        raise ValueError(f"[image.{op}] target_height and target_width must be > 0. "
                         f"Received: {th}, {tw}")
    h, w = x.shape[1], x.shape[2]
    if oh + th > h or ow + tw > w:
        raise ValueError(f"[image.{op}] the box (offset {oh}, {ow}; size {th}, {tw}) does not "
                         f"fit in images of height {h} and width {w}")
    y = x[:, oh:oh + th, ow:ow + tw, :]
    return y.squeeze(0) if unbatched else y


def pad_to_bounding_box(image, offset_height, offset_width, target_height, target_width):
    op = "pad_to_bounding_box"
    x, unbatched = _batched(image, op)
    oh, ow, th, tw = _ints(op, offset_height=offset_height, offset_width=offset_width,
                           target_height=target_height, target_width=target_width)
    h, w = x.shape[1], x.shape[2]
    bottom, right = th - oh - h, tw - ow - w
    if bottom < 0 or right < 0:
        raise ValueError(f"[image.{op}] target size ({th}, {tw}) must hold the offset ({oh}, "
                         f"{ow}) plus the image ({h}, {w})")
    y = F.pad(x, (0, 0, ow, right, oh, bottom))  # last axis first: channels, width, height
    return y.squeeze(0) if unbatched else y


def extract_patches(images, sizes, strides, rates, padding, name=None):
    """tf.image.extract_patches (keras-io Perceiver / ViT patch layers, Involution's K x K
    neighbourhoods): TensorFlow's 4-element sizes / strides / rates ([1, rows, cols, 1]) and
    'VALID' / 'SAME' padding; (B, H, W, C) -> (B, oh, ow, rows * cols * C), each patch in
    (row, column, channel) order, zeros where a 'SAME' patch reaches outside the image.
    keras.ops.image.extract_patches does the computation."""
    from .keras.ops_image import extract_patches as _patches

    def four(v, what):
        v = [int(a) for a in v]
        if len(v) != 4 or v[0] != 1 or v[3] != 1:
            raise ValueError(f"[image.extract_patches] {what} must be [1, rows, cols, 1]. "
                             f"Received: {what}={v}")
        return v[1], v[2]
    size, stride, rate = four(sizes, "sizes"), four(strides, "strides"), four(rates, "rates")
    if str(padding).upper() not in ("VALID", "SAME"):
        raise ValueError(f"[image.extract_patches] padding must be 'VALID' or 'SAME'. Received: "
                         f"{padding!r}")
    if _t(images).ndim != 4:
        raise ValueError(f"[image.extract_patches] images must be 4-D (batch, height, width, "
                         f"channels). Received: shape {tuple(_t(images).shape)}")
    return _patches(images, size, strides=stride, dilation_rate=rate,
                    padding=str(padding).lower())


def central_crop(image, central_fraction):
    """The centre of each image keeping `central_fraction` of its height and width, with
    TensorFlow's rounding: start = int((size - size * fraction) / 2), size - 2 * start kept.
    (h, w, c) or (batch, h, w, c) images; fraction in (0, 1]."""
    op = "central_crop"
    if isinstance(central_fraction, bool) or not isinstance(
            central_fraction, (int, float, np.integer, np.floating)) or \
            not 0.0 < central_fraction <= 1.0:
        raise ValueError(f"[image.{op}] central_fraction must be in (0, 1]. Received: "
                         f"central_fraction={central_fraction!r}")
    x, unbatched = _batched(image, op)
    if central_fraction == 1.0:
        return x.squeeze(0) if unbatched else x
    h, w = x.shape[1], x.shape[2]
    top = int((h - h * central_fraction) / 2)
    left = int((w - w * central_fraction) / 2)
    y = x[:, top:h - top, left:w - left, :]
    return y.squeeze(0) if unbatched else y
