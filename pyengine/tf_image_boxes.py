"""tf.image.crop_to_bounding_box / pad_to_bounding_box (keras-io ShiftViT shifts channel
groups by cropping one pixel off a side and zero-padding the other). TensorFlow's rules:
(height, width, channels) or (batch, height, width, channels) images; the box must lie inside
the image (crop) or hold it (pad), else a ValueError; padding is zeros. Both are a slice / a pad
of the tensor, so gradients flow. central_crop keeps the centre by a fraction (keras-io
distillation recipes' evaluation preprocessing); resize_with_crop_or_pad centres the image in
a target size (TensorFlow's data augmentation tutorial)."""
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


def resize_with_crop_or_pad(image, target_height, target_width):
    """The image centred in (target_height, target_width): cropped around its centre where it
    is larger, zero-padded around it where smaller (each axis on its own; TensorFlow's offsets:
    (size - target) // 2 cropped, (target - size) // 2 padded before)."""
    op = "resize_with_crop_or_pad"
    x, unbatched = _batched(image, op)
    th, tw = _ints(op, target_height=target_height, target_width=target_width)
    if th == 0 or tw == 0:
        raise ValueError(f"[image.{op}] target_height and target_width must be > 0. "
                         f"Received: {th}, {tw}")
    h, w = x.shape[1], x.shape[2]
    y = crop_to_bounding_box(x, max((h - th) // 2, 0), max((w - tw) // 2, 0), min(th, h),
                             min(tw, w))
    y = pad_to_bounding_box(y, max((th - h) // 2, 0), max((tw - w) // 2, 0), th, tw)
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


def _box_coords(lo, hi, size, crop):
    """Source coordinates of the crop's pixels along one axis: lo*(size-1) + i*(hi-lo)*(size-1)
    /(crop-1), or the box centre for a crop of one pixel (TensorFlow's rule)."""
    if crop > 1:
        return lo[:, None] * (size - 1) + np.arange(crop) * ((hi - lo) * (size - 1) /
                                                             (crop - 1))[:, None]
    return (0.5 * (lo + hi) * (size - 1))[:, None]


def crop_and_resize(image, boxes, box_indices, crop_size, method="bilinear",
                    extrapolation_value=0.0, name=None):
    """tf.image.crop_and_resize: for each box (y1, x1, y2, x2, normalized to [0, 1], flipped
    boxes allowed) of image box_indices[i], a crop_size (height, width) sample of that region
    by bilinear or nearest interpolation; samples outside the image are extrapolation_value.
    Output (num_boxes, crop_height, crop_width, channels) float32. Differentiable in image
    (the boxes are constants here)."""
    op = "crop_and_resize"
    x = _t(image)
    if x.ndim != 4:
        raise ValueError(f"[image.{op}] image must be 4-D (batch, height, width, channels), "
                         f"got shape {tuple(x.shape)}")
    if method not in ("bilinear", "nearest"):
        raise ValueError(f"[image.{op}] method must be 'bilinear' or 'nearest', got {method!r}")
    bx = np.asarray(getattr(boxes, "_data", boxes), np.float64)
    bi = np.asarray(getattr(box_indices, "_data", box_indices))
    ch, cw = (int(np.asarray(getattr(s, "_data", s))) for s in
              np.asarray(getattr(crop_size, "_data", crop_size), dtype=object).reshape(-1))
    n, h, w = x.shape[0], x.shape[1], x.shape[2]
    if bx.ndim != 2 or bx.shape[1] != 4 or bi.shape != (bx.shape[0],):
        raise ValueError(f"[image.{op}] boxes must be (num_boxes, 4) and box_indices "
                         f"(num_boxes,), got {bx.shape} and {bi.shape}")
    if bi.dtype.kind not in "iu" or (bi.size and (bi.min() < 0 or bi.max() >= n)):
        raise ValueError(f"[image.{op}] box_indices must be integers in [0, {n}), got {bi}")
    if ch <= 0 or cw <= 0:
        raise ValueError(f"[image.{op}] crop_size must be positive, got ({ch}, {cw})")
    from . import float32
    x = x if x.dtype == float32 else x.astype(float32)
    ys, xs = _box_coords(bx[:, 0], bx[:, 2], h, ch), _box_coords(bx[:, 1], bx[:, 3], w, cw)
    inside = ((ys >= 0) & (ys <= h - 1))[:, :, None] & ((xs >= 0) & (xs <= w - 1))[:, None, :]
    ys, xs = np.clip(ys, 0, h - 1), np.clip(xs, 0, w - 1)
    b = bi.astype(np.int64)[:, None, None]

    def pick(yi, xi):  # (boxes, ch, cw, channels)
        from .tensor import Tensor
        return x[Tensor._wrap(np.broadcast_to(b, inside.shape)),
                 Tensor._wrap(np.broadcast_to(yi[:, :, None], inside.shape)),
                 Tensor._wrap(np.broadcast_to(xi[:, None, :], inside.shape))]
    if method == "nearest":  # C's roundf: halves away from zero
        out = pick(np.floor(ys + 0.5).astype(np.int64), np.floor(xs + 0.5).astype(np.int64))
    else:
        top, left = np.floor(ys).astype(np.int64), np.floor(xs).astype(np.int64)
        bottom, right = np.ceil(ys).astype(np.int64), np.ceil(xs).astype(np.int64)
        dy = _t((ys - top)[:, :, None, None].astype(np.float32))
        dx = _t((xs - left)[:, None, :, None].astype(np.float32))
        upper = pick(top, left) + (pick(top, right) - pick(top, left)) * dx
        lower = pick(bottom, left) + (pick(bottom, right) - pick(bottom, left)) * dx
        out = upper + (lower - upper) * dy
    if inside.all():
        return out
    fill = _t(np.full(out.shape, extrapolation_value, np.float32))
    return F.where(_t(np.broadcast_to(inside[..., None], out.shape)), out, fill)
