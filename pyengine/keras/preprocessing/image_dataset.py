"""keras.utils.image_dataset_from_directory, load_img, img_to_array, array_to_img: image files
on disk to batches that fit / evaluate / predict take (files decoded by image_decode.py).

The folder layout is Keras': one subfolder per class (main/cat/*.png, main/dog/*.png), class
names sorted unless given, files searched in each class folder and its subfolders. Images are
decoded a batch at a time as the dataset is iterated (a folder larger than memory streams),
resized to image_size with the batched C++ resize (bilinear or nearest, optionally cropped or
padded to the target's aspect ratio first) and returned as float32 in [0, 255], as Keras.
load_img resizes with Pillow's filters instead (pil_resample.py), as Keras' load_img does."""
import os

import numpy as np

from ...tensor import Tensor
from .directory_dataset import DirectoryDataset, dataset_from_directory
from .image_decode import MODES, read_image

ALLOWED_FORMATS = (".bmp", ".gif", ".jpeg", ".jpg", ".png")
_INTERPOLATIONS = ("bilinear", "nearest")


def resized(img, size, interpolation, crop=False, pad=False, op="load_img"):
    """float32 (h, w, c) -> (size[0], size[1], c) by the batched C++ resize (Resizing's)."""
    from ..layers.image_preprocessing import resize_images
    if img.shape[:2] == tuple(size) and not crop and not pad:
        return img
    return resize_images(Tensor._wrap(img[None]), size[0], size[1], interpolation, crop, pad,
                         layer=op)._data[0]


def load_images(paths, size, color_mode, interpolation, crop_to_aspect_ratio=False,
                pad_to_aspect_ratio=False, op="image_dataset_from_directory"):
    """float32 (n, height, width, channels) in [0, 255]: each file decoded and resized."""
    out = np.empty((len(paths),) + tuple(size) + (MODES[color_mode],), np.float32)
    for i, path in enumerate(paths):
        out[i] = resized(read_image(path, color_mode).astype(np.float32), size, interpolation,
                         crop_to_aspect_ratio, pad_to_aspect_ratio, op)
    return out


class ImageDirectoryDataset(DirectoryDataset):
    """image_dataset_from_directory's Dataset: each batch's files decoded and resized."""

    def __init__(self, paths, labels, class_names, label_mode, image_size, color_mode,
                 batch_size, shuffle, seed, interpolation, crop, pad, data_format):
        self._size, self._mode = image_size, color_mode
        self._interp, self._crop, self._pad = interpolation, crop, pad
        self._channels_first = data_format == "channels_first"
        super().__init__(paths, labels, class_names, label_mode, batch_size, shuffle, seed)

    def _load(self, paths):
        x = load_images(paths, self._size, self._mode, self._interp, self._crop, self._pad)
        return np.ascontiguousarray(x.transpose(0, 3, 1, 2)) if self._channels_first else x


def _check_size(image_size, op):
    if not (isinstance(image_size, (tuple, list)) and len(image_size) == 2 and
            all(isinstance(v, (int, np.integer)) and not isinstance(v, bool) and v > 0
                for v in image_size)):
        raise ValueError(f"[{op}] image_size must be (height, width), two positive ints. "
                         f"Received: image_size={image_size!r}")
    return int(image_size[0]), int(image_size[1])


def image_dataset_from_directory(directory, labels="inferred", label_mode="int",
                                 class_names=None, color_mode="rgb", batch_size=32,
                                 image_size=(256, 256), shuffle=True, seed=None,
                                 validation_split=None, subset=None, interpolation="bilinear",
                                 follow_links=False, crop_to_aspect_ratio=False,
                                 pad_to_aspect_ratio=False, data_format=None, verbose=True):
    """Keras' image_dataset_from_directory. labels: 'inferred' (from the subfolders), None, or
    a list of integer labels for the files in sorted path order. label_mode: 'int', 'categorical'
    (one-hot), 'binary' (float (batch, 1), two classes), or None. subset 'training' /
    'validation' (the last validation_split of the files after the seeded shuffle) or 'both'
    (the pair). interpolation: 'bilinear' or 'nearest'."""
    op = "image_dataset_from_directory"
    if color_mode not in MODES:
        raise ValueError(f"[{op}] color_mode must be one of {sorted(MODES)}. Received: "
                         f"color_mode={color_mode!r}")
    if interpolation not in _INTERPOLATIONS:
        raise ValueError(f"[{op}] interpolation must be one of {list(_INTERPOLATIONS)} (the "
                         f"others of tf.image.resize are not implemented). Received: "
                         f"interpolation={interpolation!r}")
    if data_format not in (None, "channels_last", "channels_first"):
        raise ValueError(f"[{op}] data_format must be 'channels_last' or 'channels_first'. "
                         f"Received: data_format={data_format!r}")
    if crop_to_aspect_ratio and pad_to_aspect_ratio:
        raise ValueError(f"[{op}] crop_to_aspect_ratio and pad_to_aspect_ratio cannot both be "
                         "True")
    size = _check_size(image_size, op)

    def make(paths, ids, names, mode, seed):
        return ImageDirectoryDataset(paths, ids, names, mode, size, color_mode, batch_size,
                                     shuffle, seed, interpolation, crop_to_aspect_ratio,
                                     pad_to_aspect_ratio, data_format)
    return dataset_from_directory(make, op, "image", ALLOWED_FORMATS, directory, labels,
                                  label_mode, class_names, batch_size, shuffle, seed,
                                  validation_split, subset, follow_links, verbose)


def load_img(path, color_mode="rgb", target_size=None, interpolation="nearest",
             keep_aspect_ratio=False):
    """keras.utils.load_img. With Pillow installed, a PIL Image (as Keras returns); without
    it, the uint8 (height, width, channels) array (PNG and BMP), which img_to_array and
    model.predict take alike. Resizing is Pillow's for every `interpolation` ('nearest',
    'bilinear', 'bicubic', 'lanczos', 'hamming', 'box'; pil_resample.py), as Keras passes it
    to Pillow; keep_aspect_ratio resizes the centred box of the target's aspect ratio."""
    arr = load_img_array(path, color_mode, target_size, interpolation, keep_aspect_ratio)
    try:
        from PIL import Image
    except ImportError:
        return arr
    return Image.fromarray(arr[..., 0] if arr.shape[2] == 1 else arr)


def load_img_array(path, color_mode, target_size, interpolation, keep_aspect_ratio,
                   op="load_img"):
    """load_img's pixels as a uint8 (height, width, channels) array (also
    ImageDataGenerator.flow_from_directory's loader, which is load_img in Keras)."""
    from .pil_resample import FILTERS, pil_resize
    if interpolation != "nearest" and interpolation not in FILTERS:
        raise ValueError(f"[{op}] interpolation must be one of "
                         f"{['nearest'] + sorted(FILTERS)}. Received: "
                         f"interpolation={interpolation!r}")
    arr = read_image(os.fspath(path), color_mode)
    if target_size is None:
        return arr
    size = _check_size(target_size, op)
    if arr.shape[:2] == size:
        return arr
    if interpolation == "nearest":  # Pillow's pick is the half-pixel one of the C++ resize
        arr = resized(arr.astype(np.float32), size, interpolation, keep_aspect_ratio, op=op)
        return np.clip(np.rint(arr), 0, 255).astype(np.uint8)
    box = None
    if keep_aspect_ratio:  # Keras' centred crop box, in whole pixels
        h, w = arr.shape[:2]
        crop_h, crop_w = min(h, (w * size[0]) // size[1]), min(w, (h * size[1]) // size[0])
        top, left = (h - crop_h) // 2, (w - crop_w) // 2
        box = (left, top, left + crop_w, top + crop_h)
    return pil_resize(arr, size, interpolation, box, op=op)


def img_to_array(img, data_format=None, dtype="float32"):
    """keras.utils.img_to_array: a PIL Image or array -> (height, width, channels) of dtype
    (channels first with data_format='channels_first')."""
    x = np.asarray(img, dtype=dtype)
    if x.ndim == 2:
        x = x[..., None]
    if x.ndim != 3:
        raise ValueError(f"[img_to_array] expected an image of rank 2 or 3, received shape "
                         f"{x.shape}")
    if data_format == "channels_first":
        x = x.transpose(2, 0, 1)
    elif data_format not in (None, "channels_last"):
        raise ValueError(f"[img_to_array] data_format must be 'channels_last' or "
                         f"'channels_first'. Received: {data_format!r}")
    return x


def array_to_img(x, data_format=None, scale=True, dtype=None):
    """keras.utils.array_to_img: an array (h, w, c) -> a PIL Image (needs Pillow); with
    scale, values are shifted and scaled to 0..255 first, as Keras does."""
    try:
        from PIL import Image
    except ImportError:
        raise ImportError("[array_to_img] needs Pillow (pip install pillow)") from None
    x = to_uint8_image(x, data_format, scale, "array_to_img", dtype)
    return Image.fromarray(x[..., 0] if x.shape[2] == 1 else x)


def to_uint8_image(x, data_format, scale, op, dtype=None):
    """(h, w, c) uint8 pixels of an image array, channels last; with scale, shifted and
    scaled to 0..255 first, as Keras' array_to_img. The scaling runs in `dtype` (Keras'
    array_to_img argument; float32, Keras' floatx, when None)."""
    try:
        dtype = np.dtype(np.float32 if dtype is None else getattr(dtype, "np", dtype))
    except TypeError:
        raise TypeError(f"[{op}] dtype {dtype!r} is not a NumPy dtype") from None
    x = np.asarray(getattr(x, "_data", x), dtype)
    if x.ndim != 3:
        raise ValueError(f"[{op}] expected an image of rank 3, received shape {x.shape}")
    if data_format == "channels_first":
        x = x.transpose(1, 2, 0)
    elif data_format not in (None, "channels_last"):
        raise ValueError(f"[{op}] data_format must be 'channels_last' or 'channels_first'. "
                         f"Received: {data_format!r}")
    if x.shape[2] not in (1, 3, 4):
        raise ValueError(f"[{op}] expected 1, 3 or 4 channels, received shape {x.shape}")
    if scale:
        x = x - x.min()
        top = x.max()
        if top != 0:
            x = x / top
        x = x * 255
    return np.clip(np.rint(x), 0, 255).astype(np.uint8)
