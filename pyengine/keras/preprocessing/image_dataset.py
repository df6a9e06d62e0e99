"""keras.utils.image_dataset_from_directory, load_img, img_to_array, array_to_img: image files
on disk to batches that fit / evaluate / predict take (files decoded by image_decode.py).

The folder layout is Keras': one subfolder per class (main/cat/*.png, main/dog/*.png), class
names sorted unless given, files searched in each class folder and its subfolders. Images are
decoded a batch at a time as the dataset is iterated (a folder larger than memory streams),
resized to image_size with the batched C++ resize (bilinear or nearest, optionally cropped or
padded to the target's aspect ratio first) and returned as float32 in [0, 255], as Keras."""
import math
import os

import numpy as np

from ...data.dataset import Dataset
from ...tensor import Tensor
from .image_decode import MODES, read_image

ALLOWED_FORMATS = (".bmp", ".gif", ".jpeg", ".jpg", ".png")
_INTERPOLATIONS = ("bilinear", "nearest")


def index_directory(directory, labels, formats, class_names=None, follow_links=False,
                    op="image_dataset_from_directory"):
    """(file paths, integer labels or None, class names): files with the given extensions under
    directory, by class subfolder when labels == 'inferred' (paths sorted within a class)."""
    if not os.path.isdir(directory):
        raise ValueError(f"[{op}] directory not found: {directory!r}")
    if labels == "inferred":
        subdirs = sorted(d for d in os.listdir(directory)
                         if os.path.isdir(os.path.join(directory, d)))
        if class_names is not None:
            class_names = list(class_names)
            if sorted(class_names) != sorted(set(class_names)) or \
                    any(c not in subdirs for c in class_names):
                raise ValueError(f"[{op}] class_names must be distinct names of subfolders of "
                                 f"{directory!r}; its subfolders are {subdirs}. Received: "
                                 f"class_names={class_names}")
        else:
            class_names = subdirs
        paths, ids = [], []
        for k, name in enumerate(class_names):
            found = _files(os.path.join(directory, name), formats, follow_links)
            paths += found
            ids += [k] * len(found)
        return paths, np.asarray(ids, np.int32), class_names
    paths = _files(directory, formats, follow_links)
    return paths, None, class_names


def _files(root, formats, follow_links):
    found = []
    for dirpath, dirnames, filenames in os.walk(root, followlinks=follow_links):
        dirnames.sort()
        found += [os.path.join(dirpath, f) for f in sorted(filenames)
                  if f.lower().endswith(formats)]
    return found


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


class ImageDirectoryDataset(Dataset):
    """A pe.data.Dataset (Keras returns a tf.data.Dataset) of (images, labels) batches, or images
    alone when label_mode is None; .class_names and .file_paths as Keras sets them. Iterate it
    once per epoch; with shuffle, each pass draws a new order from the seeded generator."""

    def __init__(self, paths, labels, class_names, label_mode, image_size, color_mode,
                 batch_size, shuffle, seed, interpolation, crop, pad, data_format):
        self.file_paths, self.class_names = list(paths), class_names
        self._labels, self._label_mode = labels, label_mode
        self._size, self._mode, self._batch = image_size, color_mode, batch_size
        self._shuffle, self._rng = shuffle, np.random.default_rng(seed)
        self._interp, self._crop, self._pad = interpolation, crop, pad
        self._channels_first = data_format == "channels_first"
        n = len(paths) if batch_size is None else math.ceil(len(paths) / batch_size)
        super().__init__(self._batches, n)

    def _encode(self, ids):
        if self._label_mode == "int":
            return ids.astype(np.int32)
        if self._label_mode == "binary":
            return ids.astype(np.float32)[:, None]
        return np.eye(len(self.class_names), dtype=np.float32)[ids]  # categorical

    def _batches(self):
        order = self._rng.permutation(len(self.file_paths)) if self._shuffle else \
            np.arange(len(self.file_paths))
        step = self._batch or 1
        for i in range(0, len(order), step):
            idx = order[i:i + step]
            x = load_images([self.file_paths[j] for j in idx], self._size, self._mode,
                            self._interp, self._crop, self._pad)
            if self._channels_first:
                x = np.ascontiguousarray(x.transpose(0, 3, 1, 2))
            y = None if self._label_mode is None else self._encode(self._labels[idx])
            if self._batch is None:
                x, y = x[0], None if y is None else y[0]
            yield x if y is None else (x, y)


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
    if label_mode not in ("int", "categorical", "binary", None):
        raise ValueError(f"[{op}] label_mode must be 'int', 'categorical', 'binary' or None. "
                         f"Received: label_mode={label_mode!r}")
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
    if batch_size is not None and (isinstance(batch_size, bool) or
                                   not isinstance(batch_size, (int, np.integer)) or
                                   batch_size < 1):
        raise ValueError(f"[{op}] batch_size must be a positive int or None. Received: "
                         f"batch_size={batch_size!r}")
    listed = isinstance(labels, (list, tuple, np.ndarray))
    if not listed and labels not in ("inferred", None):
        raise ValueError(f"[{op}] labels must be 'inferred', None, or a list of integer "
                         f"labels. Received: labels={labels!r}")
    if labels is None:
        label_mode = None
    if class_names is not None and (listed or labels is None):
        raise ValueError(f"[{op}] class_names is only valid with labels='inferred'")
    if validation_split is not None and not 0 < validation_split < 1:
        raise ValueError(f"[{op}] validation_split must be between 0 and 1. Received: "
                         f"validation_split={validation_split!r}")
    if (subset is None) != (validation_split is None):
        raise ValueError(f"[{op}] subset and validation_split go together: pass both or "
                         f"neither. Received: subset={subset!r}, "
                         f"validation_split={validation_split!r}")
    if subset not in (None, "training", "validation", "both"):
        raise ValueError(f"[{op}] subset must be 'training', 'validation' or 'both'. "
                         f"Received: subset={subset!r}")
    if validation_split is not None and shuffle and seed is None:
        raise ValueError(f"[{op}] with validation_split and shuffle, pass a seed: the training "
                         "and validation subsets must come from the same shuffle")

    paths, ids, class_names = index_directory(os.fspath(directory),
                                              "listed" if listed else labels, ALLOWED_FORMATS,
                                              class_names, follow_links, op)
    if listed:
        ids = np.asarray(labels)
        if ids.ndim != 1 or len(ids) != len(paths) or ids.dtype.kind not in "iu":
            raise ValueError(f"[{op}] labels must be {len(paths)} integers, one per image file "
                             f"found (sorted by path). Received {len(ids)} labels")
        class_names = [str(k) for k in range(int(ids.max(initial=-1)) + 1)]
    if not paths:
        raise ValueError(f"[{op}] no images found in directory {directory!r}. Allowed formats: "
                         f"{ALLOWED_FORMATS}")
    if label_mode == "binary" and len(class_names) != 2:
        raise ValueError(f"[{op}] label_mode='binary' needs exactly 2 classes; found "
                         f"{len(class_names)}: {class_names}")
    if verbose:
        print(f"Found {len(paths)} files" + ("" if ids is None else
                                            f" belonging to {len(class_names)} classes") + ".")
    if seed is None:
        seed = int(np.random.default_rng().integers(1 << 31))
    order = np.random.default_rng(seed).permutation(len(paths)) if shuffle else \
        np.arange(len(paths))
    paths = [paths[i] for i in order]
    ids = None if ids is None else ids[order]

    def make(part, name):
        p = [paths[i] for i in part]
        if verbose and name:
            print(f"Using {len(p)} files for {name}.")
        return ImageDirectoryDataset(p, None if ids is None else ids[part], class_names,
                                     label_mode, size, color_mode, batch_size, shuffle, seed,
                                     interpolation, crop_to_aspect_ratio, pad_to_aspect_ratio,
                                     data_format)

    everything = np.arange(len(paths))
    if validation_split is None:
        return make(everything, None)
    n_val = int(validation_split * len(paths))
    train, val = everything[:len(paths) - n_val], everything[len(paths) - n_val:]
    if subset == "training":
        return make(train, "training")
    if subset == "validation":
        return make(val, "validation")
    return make(train, "training"), make(val, "validation")


def load_img(path, color_mode="rgb", target_size=None, interpolation="nearest",
             keep_aspect_ratio=False):
    """keras.utils.load_img. With Pillow installed, a PIL Image (as Keras returns); without
    it, the uint8 (height, width, channels) array (PNG and BMP), which img_to_array and
    model.predict take alike."""
    if interpolation not in _INTERPOLATIONS:
        raise ValueError(f"[load_img] interpolation must be one of {list(_INTERPOLATIONS)}. "
                         f"Received: interpolation={interpolation!r}")
    arr = read_image(os.fspath(path), color_mode)
    if target_size is not None:
        size = _check_size(target_size, "load_img")
        if arr.shape[:2] != size:
            arr = resized(arr.astype(np.float32), size, interpolation, keep_aspect_ratio)
            arr = np.clip(np.rint(arr), 0, 255).astype(np.uint8)
    try:
        from PIL import Image
    except ImportError:
        return arr
    return Image.fromarray(arr[..., 0] if arr.shape[2] == 1 else arr)


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
    x = np.asarray(x, np.float32)
    if x.ndim != 3:
        raise ValueError(f"[array_to_img] expected an image of rank 3, received shape {x.shape}")
    if data_format == "channels_first":
        x = x.transpose(1, 2, 0)
    if scale:
        x = x - x.min()
        top = x.max()
        if top != 0:
            x = x / top
        x = x * 255
    x = np.clip(np.rint(x), 0, 255).astype(np.uint8)
    return Image.fromarray(x[..., 0] if x.shape[2] == 1 else x)
