"""keras.ops.image: the image ops Keras programs call through keras.ops (Vision Transformer's
patch extraction). Channels-last; each is a view / reshape over existing Tensor ops, so autograd
flows through."""
import numpy as np

from .. import tf_names as _tf
from ..nn import functional as F
from ..tensor import Tensor
from .symbolic import graph_op


def _batched(images, op):
    """(4-D images, whether a 3-D image was given) for a channels-last op."""
    x = _tf._t(images)
    unbatched = x.ndim == 3
    if unbatched:
        x = x.unsqueeze(0)
    if x.ndim != 4:
        raise ValueError(f"[{op}] images must be (batch, height, width, channels) or (height, "
                         f"width, channels). Received: shape {tuple(x.shape)}")
    return x, unbatched


def _pair(v, what, op):
    v = (v, v) if isinstance(v, (int, np.integer)) else tuple(v)
    if len(v) != 2 or any(isinstance(a, bool) or int(a) != a or a < 1 for a in v):
        raise ValueError(f"[{op}] {what} must be a positive int or a pair of them. "
                         f"Received: {what}={v!r}")
    return int(v[0]), int(v[1])


def _window_starts(n, k, stride, dilation, padding, op):
    """(output length, padding before, padding after) along one axis: TensorFlow's (and
    Keras') 'valid' / 'same' rules for a window of k taps spaced `dilation` apart."""
    span = (k - 1) * dilation + 1
    if padding == "valid":
        out = (n - span) // stride + 1 if n >= span else 0
        before = after = 0
    else:
        out = -(-n // stride)
        total = max((out - 1) * stride + span - n, 0)
        before, after = total // 2, total - total // 2
    if out < 1:
        raise ValueError(f"[{op}] the patch (size {k}, dilation {dilation}) is larger than the "
                         f"image axis of {n} with padding 'valid'")
    return out, before, after


@graph_op
def extract_patches(images, size, strides=None, dilation_rate=1, padding="valid",
                    data_format=None):
    """(B, H, W, C) -> (B, oh, ow, ph * pw * C): the ph x pw patch (taps `dilation_rate` apart)
    at every `strides` step, each flattened in (row, column, channel) order, as Keras'
    extract_patches and tf.image.extract_patches. strides defaults to size (non-overlapping
    patches). padding 'valid': oh = (H - ((ph - 1) * dh + 1)) // sh + 1; 'same': oh = ceil(H /
    sh), zeros padded around the image (the odd one after). A 3-D (H, W, C) image gives
    (oh, ow, ph * pw * C). channels_first is rejected.

    >>> keras.ops.image.extract_patches(pe.randn(2, 8, 8, 3), 4).shape
    (2, 2, 2, 48)
    >>> keras.ops.image.extract_patches(pe.randn(2, 8, 8, 3), 3, 1, padding="same").shape
    (2, 8, 8, 27)
    """
    op = "keras.ops.image.extract_patches"
    ph, pw = _pair(size, "size", op)
    sh, sw = (ph, pw) if strides is None else _pair(strides, "strides", op)
    dh, dw = _pair(dilation_rate, "dilation_rate", op)
    pad_mode = str(padding).lower()
    if pad_mode not in ("valid", "same"):
        raise ValueError(f"[{op}] padding must be 'valid' or 'same'. Received: {padding!r}")
    if data_format not in (None, "channels_last"):
        raise ValueError(f"[{op}] only data_format='channels_last' is supported. Received: "
                         f"{data_format!r}")
    x, unbatched = _batched(images, op)
    B, H, W, C = x.shape
    if (sh, sw) == (ph, pw) and (dh, dw) == (1, 1) and pad_mode == "valid":
        nh, nw = H // ph, W // pw
        if nh == 0 or nw == 0:
            raise ValueError(f"[{op}] patch size {(ph, pw)} is larger than the image {(H, W)}")
        x = x[:, :nh * ph, :nw * pw, :]
        p = x.reshape(B, nh, ph, nw, pw, C).permute(0, 1, 3, 2, 4, 5)
        p = p.reshape(B, nh, nw, ph * pw * C)
        return p[0] if unbatched else p
    oh, top, bottom = _window_starts(H, ph, sh, dh, pad_mode, op)
    ow, left, right = _window_starts(W, pw, sw, dw, pad_mode, op)
    if top or bottom or left or right:
        x = F.pad(x, (0, 0, left, right, top, bottom))
    wp = W + left + right
    rows = (np.arange(oh) * sh)[:, None, None, None] + (np.arange(ph) * dh)[None, None, :, None]
    cols = (np.arange(ow) * sw)[None, :, None, None] + (np.arange(pw) * dw)[None, None, None, :]
    pos = (rows * wp + cols).reshape(-1).astype(np.int64)
    p = x.reshape(B, -1, C).index_select(1, Tensor._wrap(pos)).reshape(B, oh, ow, ph * pw * C)
    return p[0] if unbatched else p


@graph_op
def resize(images, size, interpolation="bilinear", antialias=False, crop_to_aspect_ratio=False,
           pad_to_aspect_ratio=False, fill_mode="constant", fill_value=0.0, data_format=None):
    """Keras 3's keras.ops.image.resize on channels-last images ((B,) H, W, C): 'bilinear'
    (half-pixel centres) or 'nearest', optionally centre-cropped or padded to the target aspect
    ratio first: keras.layers.Resizing's computation."""
    from .layers.image_preprocessing import resize_images
    op = "keras.ops.image.resize"
    if data_format not in (None, "channels_last"):
        raise ValueError(f"[{op}] only data_format='channels_last' is supported. Received: "
                         f"{data_format!r}")
    if antialias:
        raise ValueError(f"[{op}] antialias=True is not supported")
    if fill_mode != "constant":
        raise ValueError(f"[{op}] only fill_mode='constant' is supported. Received: "
                         f"{fill_mode!r}")
    if crop_to_aspect_ratio and pad_to_aspect_ratio:
        raise ValueError(f"[{op}] crop_to_aspect_ratio and pad_to_aspect_ratio are exclusive")
    x, unbatched = _batched(images, op)
    if x._data.dtype.kind != "f":
        x = x.astype("float32")
    y = resize_images(x, int(size[0]), int(size[1]), interpolation, crop_to_aspect_ratio,
                      pad_to_aspect_ratio, fill_value, layer=op)
    return y.squeeze(0) if unbatched else y
