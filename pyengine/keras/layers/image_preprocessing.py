"""Keras' deterministic image preprocessing layers (channels_last): Rescaling, Resizing,
CenterCrop. Active in training and inference alike. Resizing runs the batched C++ resize
(csrc/image) on NHWC directly: bilinear samples at half-pixel centres as tf.image.resize does,
'nearest' takes the half-pixel nearest pixel, 'bicubic' is TensorFlow's Keys cubic."""
import numpy as np

from ...ops.image import resize_planes
from ...ops.image_cubic import resize_bicubic
from ...ops.pad import pad
from .base import Layer

_RESIZE = {"bilinear": "bilinear", "nearest": "nearest-exact", "bicubic": "bicubic"}


def _images(layer, x):
    if x.ndim not in (3, 4):
        raise ValueError(f"[{layer}] expected images of shape (height, width, channels) or "
                         f"(batch, height, width, channels), received input of shape "
                         f"{tuple(x.shape)}")
    return (x.unsqueeze(0), True) if x.ndim == 3 else (x, False)


def _size(v, name, layer):
    if isinstance(v, bool) or not isinstance(v, (int, np.integer)) or v < 1:
        raise ValueError(f"[{layer}] {name} must be a positive int. Received: {name}={v!r}")
    return int(v)


def resize_images(x, height, width, interpolation, crop_to_aspect_ratio=False,
                  pad_to_aspect_ratio=False, fill_value=0.0, layer="Resizing"):
    """Resize a 4-D NHWC batch to (height, width); optionally first centre-crop (or pad with
    fill_value) to the target aspect ratio, so nothing is distorted."""
    if interpolation not in _RESIZE:
        raise ValueError(f"[{layer}] interpolation must be one of {sorted(_RESIZE)}. Received: "
                         f"interpolation={interpolation!r}")
    h, w = x.shape[1], x.shape[2]
    if crop_to_aspect_ratio:
        ch = min(h, int(round(w * height / width)))
        cw = min(w, int(round(h * width / height)))
        top, left = (h - ch) // 2, (w - cw) // 2
        x = x[:, top:top + ch, left:left + cw, :]
    elif pad_to_aspect_ratio:
        ph = max(h, int(round(w * height / width)))
        pw = max(w, int(round(h * width / height)))
        top, left = (ph - h) // 2, (pw - w) // 2
        x = pad(x, (0, 0, left, pw - w - left, top, ph - h - top), value=fill_value)
    if (x.shape[1], x.shape[2]) == (height, width):
        return x
    if interpolation == "bicubic":
        return resize_bicubic(x if x._data.dtype.kind == "f" else x.astype("float32"),
                              (height, width))
    return resize_planes(x, (height, width), _RESIZE[interpolation], op=layer)


class Rescaling(Layer):
    """x * scale + offset, e.g. Rescaling(1. / 255) or Rescaling(1. / 127.5, offset=-1)."""

    def __init__(self, scale, offset=0.0, **kwargs):
        super().__init__(**kwargs)
        self.scale, self.offset = scale, offset

    def call(self, inputs):
        return inputs * self.scale + self.offset


class Resizing(Layer):
    """Resize images to (height, width) with 'bilinear', 'nearest' or 'bicubic' interpolation;
    crop_to_aspect_ratio / pad_to_aspect_ratio keep the aspect ratio."""

    def __init__(self, height, width, interpolation="bilinear", crop_to_aspect_ratio=False,
                 pad_to_aspect_ratio=False, fill_mode="constant", fill_value=0.0, **kwargs):
        super().__init__(**kwargs)
        self.height, self.width = _size(height, "height", "Resizing"), _size(width, "width",
                                                                              "Resizing")
        if interpolation not in _RESIZE:
            raise ValueError(f"[Resizing] interpolation must be one of {sorted(_RESIZE)}. "
                             f"Received: interpolation={interpolation!r}")
        if crop_to_aspect_ratio and pad_to_aspect_ratio:
            raise ValueError("[Resizing] crop_to_aspect_ratio and pad_to_aspect_ratio are "
                             "exclusive")
        if fill_mode != "constant":
            raise ValueError(f"[Resizing] only fill_mode='constant' is supported (as Keras). "
                             f"Received: fill_mode={fill_mode!r}")
        self.interpolation = interpolation
        self.crop_to_aspect_ratio, self.pad_to_aspect_ratio = crop_to_aspect_ratio, \
            pad_to_aspect_ratio
        self.fill_mode, self.fill_value = fill_mode, float(fill_value)

    def call(self, inputs):
        x, unbatched = _images("Resizing", inputs)
        y = resize_images(x, self.height, self.width, self.interpolation,
                          self.crop_to_aspect_ratio, self.pad_to_aspect_ratio, self.fill_value)
        return y.squeeze(0) if unbatched else y

    def compute_output_shape(self, input_shape):
        return tuple(input_shape[:-3]) + (self.height, self.width, input_shape[-1])


class CenterCrop(Layer):
    """The central (height, width) window; an input smaller than that is first resized with its
    aspect ratio kept (as Keras 3)."""

    def __init__(self, height, width, **kwargs):
        super().__init__(**kwargs)
        self.height, self.width = _size(height, "height", "CenterCrop"), _size(width, "width",
                                                                                "CenterCrop")

    def call(self, inputs):
        x, unbatched = _images("CenterCrop", inputs)
        h, w = x.shape[1], x.shape[2]
        if h >= self.height and w >= self.width:
            top, left = (h - self.height) // 2, (w - self.width) // 2
            y = x[:, top:top + self.height, left:left + self.width, :]
        else:
            y = resize_images(x, self.height, self.width, "bilinear", crop_to_aspect_ratio=True,
                              layer="CenterCrop")
        return y.squeeze(0) if unbatched else y

    def compute_output_shape(self, input_shape):
        return tuple(input_shape[:-3]) + (self.height, self.width, input_shape[-1])
