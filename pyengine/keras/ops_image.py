"""keras.ops.image: the image ops Keras programs call through keras.ops (Vision Transformer's
patch extraction). Channels-last; each is a view / reshape over existing Tensor ops, so autograd
flows through."""
from .. import tf_names as _tf
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


@graph_op
def extract_patches(images, size, strides=None, dilation_rate=1, padding="valid",
                    data_format=None):
    """(B, H, W, C) -> (B, H // ph, W // pw, ph * pw * C): non-overlapping ph x pw patches, each
    flattened in (row, column, channel) order (Keras' extract_patches with strides == size,
    padding 'valid'; rows / columns that do not fill a patch are dropped). A 3-D (H, W, C) image
    gives (H // ph, W // pw, ph * pw * C). Overlapping strides, dilation, 'same' padding and
    channels_first are rejected.

    >>> keras.ops.image.extract_patches(pe.randn(2, 8, 8, 3), 4).shape
    (2, 2, 2, 48)
    """
    ph, pw = (size, size) if isinstance(size, int) else (int(size[0]), int(size[1]))
    st = (ph, pw) if strides is None else ((strides, strides) if isinstance(strides, int)
                                           else (int(strides[0]), int(strides[1])))
    op = "keras.ops.image.extract_patches"
    if st != (ph, pw) or dilation_rate not in (1, (1, 1), [1, 1]) or padding != "valid":
        raise ValueError(f"[{op}] only non-overlapping patches are supported (strides == size, "
                         f"dilation_rate=1, padding='valid'). Received: size={size}, strides="
                         f"{strides}, dilation_rate={dilation_rate}, padding={padding!r}")
    if data_format not in (None, "channels_last"):
        raise ValueError(f"[{op}] only data_format='channels_last' is supported. Received: "
                         f"{data_format!r}")
    x, unbatched = _batched(images, op)
    B, H, W, C = x.shape
    nh, nw = H // ph, W // pw
    if nh == 0 or nw == 0:
        raise ValueError(f"[{op}] patch size {(ph, pw)} is larger than the image {(H, W)}")
    x = x[:, :nh * ph, :nw * pw, :]
    p = x.reshape(B, nh, ph, nw, pw, C).permute(0, 1, 3, 2, 4, 5).reshape(B, nh, nw, ph * pw * C)
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
