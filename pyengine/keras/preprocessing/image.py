"""keras.preprocessing.image.ImageDataGenerator (the Keras 2 augmentation API) with .flow().

Per batch, each image's rotation, shifts, shear, zoom and flips are composed into one projective
transform and the whole batch is warped by one call of the C++ kernel (F.affine_warp, OpenMP over
images); brightness, channel shift and standardisation are array arithmetic. Differences from
Keras 2, on purpose: rotations, shears and zooms turn about the exact pixel centre ((size - 1) / 2,
not size / 2 + 0.5); interpolation_order is 0 (nearest) or 1 (bilinear); flow_from_dataframe is not implemented.
flow_from_directory reads the files a batch at a time (image_decode.py: PNG and BMP built in,
every format through Pillow when installed) and resizes them as Keras 2's load_img does, with
Pillow's filters (pil_resample.py). A feature-wise step asked for but not fit is skipped with
Keras 2's warning."""
import math
import os
import warnings

import numpy as np

from ... import random as _random
from ...nn import functional as F
from ...tensor import Tensor
from ..layers import image_transforms as T
from .directory_dataset import index_directory
from .image_dataset import (  # noqa: F401  (keras.preprocessing.image's names)
    array_to_img, img_to_array, load_img, load_img_array)
from .image_encode import save_img  # noqa: F401,E402

_FILL = ("constant", "nearest", "reflect", "wrap")


def _range_pair(v, name, around=None):
    """Keras' forms: a number r means [-r, r] (or [around - r, around + r]); a pair is [lo, hi]."""
    if isinstance(v, (tuple, list)) and len(v) == 2:
        lo, hi = float(v[0]), float(v[1])
    elif isinstance(v, (int, float, np.integer, np.floating)) and not isinstance(v, bool):
        c = 0.0 if around is None else around
        lo, hi = c - float(v), c + float(v)
    else:
        raise ValueError(f"[ImageDataGenerator] {name} must be a number or a pair [lower, upper]. "
                         f"Received: {name}={v!r}")
    if lo > hi:
        raise ValueError(f"[ImageDataGenerator] {name} lower bound exceeds upper bound. "
                         f"Received: {name}={v!r}")
    return lo, hi


class ImageDataGenerator:
    """Real-time augmentation of NHWC image batches (Keras 2 arguments)."""

    def __init__(self, featurewise_center=False, samplewise_center=False,
                 featurewise_std_normalization=False, samplewise_std_normalization=False,
                 zca_whitening=False, zca_epsilon=1e-6, rotation_range=0, width_shift_range=0.0,
                 height_shift_range=0.0, brightness_range=None, shear_range=0.0, zoom_range=0.0,
                 channel_shift_range=0.0, fill_mode="nearest", cval=0.0, horizontal_flip=False,
                 vertical_flip=False, rescale=None, preprocessing_function=None, data_format=None,
                 validation_split=0.0, interpolation_order=1, dtype=None):
        if data_format not in (None, "channels_last"):
            raise ValueError(f"[ImageDataGenerator] only data_format='channels_last' is "
                             f"supported. Received: data_format={data_format!r}")
        if fill_mode not in _FILL:
            raise ValueError(f"[ImageDataGenerator] fill_mode must be one of {list(_FILL)}. "
                             f"Received: fill_mode={fill_mode!r}")
        if interpolation_order not in (0, 1):
            raise ValueError(f"[ImageDataGenerator] interpolation_order must be 0 (nearest) or 1 "
                             f"(bilinear). Received: interpolation_order={interpolation_order!r}")
        if not 0.0 <= validation_split < 1.0:
            raise ValueError(f"[ImageDataGenerator] validation_split must be in [0, 1). Received: "
                             f"validation_split={validation_split!r}")
        if dtype not in (None, "float32", np.float32):
            raise ValueError(f"[ImageDataGenerator] only dtype='float32' is supported. Received: "
                             f"dtype={dtype!r}")
        self.featurewise_center, self.samplewise_center = featurewise_center, samplewise_center
        self.featurewise_std_normalization = featurewise_std_normalization
        self.samplewise_std_normalization = samplewise_std_normalization
        self.zca_whitening, self.zca_epsilon = zca_whitening, zca_epsilon
        self.rotation_range = float(rotation_range)
        self.width_shift_range, self.height_shift_range = width_shift_range, height_shift_range
        self.brightness_range = None if brightness_range is None else \
            _range_pair(brightness_range, "brightness_range")
        self.shear_range = float(shear_range)
        self.zoom_range = _range_pair(zoom_range, "zoom_range", around=1.0)
        if self.zoom_range[0] <= 0:
            raise ValueError(f"[ImageDataGenerator] zoom_range must stay above 0. Received: "
                             f"zoom_range={zoom_range!r}")
        self.channel_shift_range = float(channel_shift_range)
        self.fill_mode, self.cval = fill_mode, float(cval)
        self.horizontal_flip, self.vertical_flip = bool(horizontal_flip), bool(vertical_flip)
        self.rescale, self.preprocessing_function = rescale, preprocessing_function
        self.validation_split = float(validation_split)
        self.interpolation_order = interpolation_order
        self.mean = self.std = self.zca_matrix = None
        for name in ("width_shift_range", "height_shift_range"):
            v = getattr(self, name)
            if not isinstance(v, (int, float, list, tuple, np.ndarray)) or isinstance(v, bool):
                raise ValueError(f"[ImageDataGenerator] {name} must be a number or a list. "
                                 f"Received: {name}={v!r}")

    # ---- statistics ------------------------------------------------------------------------
    def fit(self, x, augment=False, rounds=1, seed=None):
        """Featurewise mean / std and the ZCA matrix from sample images x (N, H, W, C)."""
        x = np.asarray(x, np.float32)
        if x.ndim != 4:
            raise ValueError(f"[ImageDataGenerator.fit] expects (N, H, W, C) images, received "
                             f"shape {x.shape}")
        if augment:
            rng = np.random.default_rng(seed)
            x = np.concatenate([self._augment(x, rng) for _ in range(rounds)])
        if self.featurewise_center:
            self.mean = x.mean(axis=(0, 1, 2), keepdims=True)[0]
        if self.featurewise_std_normalization:
            self.std = x.std(axis=(0, 1, 2), keepdims=True)[0]
        if self.zca_whitening:
            flat = x.reshape(len(x), -1)
            flat = flat - flat.mean(0)
            sigma = flat.T @ flat / len(flat)
            u, s, _ = np.linalg.svd(sigma)
            self.zca_matrix = (u * (1.0 / np.sqrt(s + self.zca_epsilon))) @ u.T
        return self

    def standardize(self, x):
        """preprocessing_function, rescale, sample- then feature-wise normalisation, ZCA."""
        x = np.asarray(x, np.float32)
        if self.preprocessing_function is not None:
            x = np.stack([np.asarray(self.preprocessing_function(xi), np.float32) for xi in x]) \
                if x.ndim == 4 else np.asarray(self.preprocessing_function(x), np.float32)
        if self.rescale:
            x = x * np.float32(self.rescale)
        axes = (-3, -2, -1)
        if self.samplewise_center:
            x = x - x.mean(axis=axes, keepdims=True)
        if self.samplewise_std_normalization:
            x = x / (x.std(axis=axes, keepdims=True) + 1e-6)
        # a feature-wise step without fitted statistics is skipped with Keras 2's warning
        for flag, stat, what in ((self.featurewise_center, self.mean, "featurewise_center"),
                                 (self.featurewise_std_normalization, self.std,
                                  "featurewise_std_normalization"),
                                 (self.zca_whitening, self.zca_matrix, "zca_whitening")):
            if flag and stat is None:
                warnings.warn(f"This ImageDataGenerator specifies `{what}`, but it hasn't been "
                              f"fit on any training data. Fit it first by calling "
                              f"`.fit(numpy_data)`.", stacklevel=3)
        if self.featurewise_center and self.mean is not None:
            x = x - self.mean
        if self.featurewise_std_normalization and self.std is not None:
            x = x / (self.std + 1e-6)
        if self.zca_whitening and self.zca_matrix is not None:
            shape = x.shape
            x = (x.reshape(len(x), -1) @ self.zca_matrix).reshape(shape).astype(np.float32)
        return x

    # ---- augmentation ----------------------------------------------------------------------
    def _shift(self, spec, size, n, rng):
        if isinstance(spec, (list, tuple, np.ndarray)):
            return rng.choice(np.asarray(spec, np.float64), n)
        if isinstance(spec, (int, np.integer)) and spec >= 1:  # whole pixels, as Keras
            return rng.integers(-int(spec), int(spec) + 1, n).astype(np.float64)
        v = float(spec)
        s = rng.uniform(-v, v, n)
        return s * size if v < 1 else s

    def transforms(self, n, h, w, rng):
        """One (8,) projective transform per image: rotation, shift, shear, zoom, flips."""
        t = T.identity(n)
        if self.rotation_range:
            t = T.compose(t, T.rotation(np.deg2rad(rng.uniform(-self.rotation_range,
                                                               self.rotation_range, n)), h, w))
        if self.height_shift_range or self.width_shift_range:
            dy = self._shift(self.height_shift_range, h, n, rng) if self.height_shift_range \
                else np.zeros(n)
            dx = self._shift(self.width_shift_range, w, n, rng) if self.width_shift_range \
                else np.zeros(n)
            t = T.compose(t, T.translation(dx, dy))
        if self.shear_range:
            t = T.compose(t, T.shear(np.deg2rad(rng.uniform(-self.shear_range, self.shear_range,
                                                            n)), h, w))
        if self.zoom_range != (1.0, 1.0):
            t = T.compose(t, T.zoom(rng.uniform(*self.zoom_range, n),
                                    rng.uniform(*self.zoom_range, n), h, w))
        if self.horizontal_flip or self.vertical_flip:
            hz = rng.random(n) < 0.5 if self.horizontal_flip else np.zeros(n, bool)
            vt = rng.random(n) < 0.5 if self.vertical_flip else np.zeros(n, bool)
            t = T.compose(T.flips(hz, vt, h, w), t)
        return t

    def _augment(self, x, rng):
        n, h, w, _ = x.shape
        t = self.transforms(n, h, w, rng)
        if not np.array_equal(t, T.identity(n)):
            x = F.affine_warp(Tensor._from_data(x), t,
                              interpolation="bilinear" if self.interpolation_order else "nearest",
                              fill_mode=self.fill_mode, fill_value=self.cval).numpy()
        if self.channel_shift_range:
            lo, hi = x.min(axis=(1, 2, 3), keepdims=True), x.max(axis=(1, 2, 3), keepdims=True)
            shift = rng.uniform(-self.channel_shift_range, self.channel_shift_range,
                                (n, 1, 1, 1)).astype(np.float32)
            x = np.clip(x + shift, lo, hi)
        if self.brightness_range is not None:
            x = x * rng.uniform(*self.brightness_range, (n, 1, 1, 1)).astype(np.float32)
        return x.astype(np.float32, copy=False)

    def random_transform(self, x, seed=None):
        """One augmented copy of a single image (H, W, C)."""
        rng = np.random.default_rng(seed) if seed is not None else _random.get_generator()
        x = np.asarray(x, np.float32)
        if x.ndim != 3:
            raise ValueError(f"[ImageDataGenerator.random_transform] expects one (H, W, C) image, "
                             f"received shape {x.shape}")
        return self._augment(x[None], rng)[0]

    def flow(self, x, y=None, batch_size=32, shuffle=True, sample_weight=None, seed=None,
             save_to_dir=None, save_prefix="", save_format="png", ignore_class_split=False,
             subset=None):
        """An iterator of augmented, standardised batches (x, y[, sample_weight]) for fit.
        With `subset`, the training and validation parts must hold the same classes unless
        ignore_class_split=True (as Keras). save_prefix / save_format only name the files
        save_to_dir would write, which is rejected, so they cannot act (docs/hardening.md)."""
        if save_to_dir is not None:
            raise ValueError("[ImageDataGenerator.flow] save_to_dir is not supported (no image "
                             "encoder ships with pyengine); save batches with numpy instead")
        if subset is not None and y is not None and not ignore_class_split:
            labels = np.asarray(y)
            cut = int(len(labels) * self.validation_split)   # validation: the first part
            if not np.array_equal(np.unique(labels[:cut]), np.unique(labels[cut:])):
                raise ValueError("[ImageDataGenerator.flow] the training and validation subsets "
                                 "hold different classes after the split (is y sorted by "
                                 "label? shuffle x and y first), or pass "
                                 "ignore_class_split=True")
        return NumpyArrayIterator(self, x, y, batch_size, shuffle, sample_weight, seed, subset)

    def flow_from_directory(self, directory, target_size=(256, 256), color_mode="rgb",
                            classes=None, class_mode="categorical", batch_size=32, shuffle=True,
                            seed=None, save_to_dir=None, save_prefix="", save_format="png",
                            follow_links=False, subset=None, interpolation="nearest",
                            keep_aspect_ratio=False):
        """Augmented batches from one subfolder per class (Keras 2): class_mode 'categorical'
        (one-hot), 'binary', 'sparse' (integer), 'input' (the images as targets) or None;
        classes: the subfolders to use, in label order (default: all, sorted). With a
        validation_split, subset 'validation' takes the first share of each class's files and
        'training' the rest, as Keras 2."""
        if save_to_dir is not None:
            raise ValueError("[ImageDataGenerator.flow_from_directory] save_to_dir is not "
                             "supported (no image encoder ships with pyengine)")
        return DirectoryIterator(self, directory, target_size, color_mode, classes, class_mode,
                                 batch_size, shuffle, seed, follow_links, subset, interpolation,
                                 keep_aspect_ratio)

    def flow_from_dataframe(self, *args, **kwargs):
        raise NotImplementedError("[ImageDataGenerator.flow_from_dataframe] is not implemented "
                                  "(pyengine has no DataFrame dependency); use "
                                  "flow_from_directory, or load the images and use .flow(x, y)")


class NumpyArrayIterator:
    """Batches of (x, y[, sample_weight]) drawn by an ImageDataGenerator. len() is batches per
    epoch; iterating yields one epoch (reshuffled each time); next() cycles forever, as Keras'."""

    def __init__(self, gen, x, y, batch_size, shuffle, sample_weight, seed, subset):
        x = np.asarray(x, np.float32)
        if x.ndim != 4:
            raise ValueError(f"[ImageDataGenerator.flow] x must be (N, H, W, C) images, received "
                             f"shape {x.shape}")
        if isinstance(batch_size, bool) or not isinstance(batch_size, (int, np.integer)) \
                or batch_size < 1:
            raise ValueError(f"[ImageDataGenerator.flow] batch_size must be a positive int. "
                             f"Received: batch_size={batch_size!r}")
        y = None if y is None else np.asarray(y)
        sw = None if sample_weight is None else np.asarray(sample_weight, np.float32)
        for name, a in (("y", y), ("sample_weight", sw)):
            if a is not None and len(a) != len(x):
                raise ValueError(f"[ImageDataGenerator.flow] x has {len(x)} images but {name} "
                                 f"has {len(a)} entries")
        if subset is not None:
            if subset not in ("training", "validation"):
                raise ValueError(f"[ImageDataGenerator.flow] subset must be 'training' or "
                                 f"'validation'. Received: subset={subset!r}")
            # as Keras' ImageDataGenerator: validation is the first validation_split of the
            # samples, training the rest (model.fit's validation_split takes the last part)
            cut = int(len(x) * gen.validation_split)
            part = slice(cut, None) if subset == "training" else slice(0, cut)
            x = x[part]
            y = None if y is None else y[part]
            sw = None if sw is None else sw[part]
        self.gen, self.x, self.y, self.sample_weight = gen, x, y, sw
        self.batch_size, self.shuffle = int(batch_size), shuffle
        self.rng = np.random.default_rng(seed) if seed is not None else _random.get_generator()
        self.n = len(x)
        self._order = None
        self._pos = 0
        self.on_epoch_end()

    def __len__(self):
        return math.ceil(self.n / self.batch_size)

    def on_epoch_end(self):
        self._order = self.rng.permutation(self.n) if self.shuffle else np.arange(self.n)

    def _images(self, idx):
        return self.x[idx]

    def __getitem__(self, i):
        if not 0 <= i < len(self):
            raise IndexError(f"[{type(self).__name__}] batch {i} out of range ({len(self)} "
                             "batches)")
        idx = self._order[i * self.batch_size:(i + 1) * self.batch_size]
        xb = self.gen.standardize(self.gen._augment(self._images(idx), self.rng))
        if getattr(self, "class_mode", None) == "input":
            return xb, xb
        out = (xb,) if self.y is None else (xb, self.y[idx])
        if self.sample_weight is not None:
            out = out + (self.sample_weight[idx],)
        return out[0] if len(out) == 1 else out

    def __iter__(self):
        for i in range(len(self)):
            yield self[i]
        self.on_epoch_end()

    def __next__(self):
        if self._pos >= len(self):
            self._pos = 0
            self.on_epoch_end()
        self._pos += 1
        return self[self._pos - 1]

    next = __next__  # Keras' Iterator.next() (`train_generator.next()[0]`)


_CLASS_MODES = ("categorical", "binary", "sparse", "input", None)


class DirectoryIterator(NumpyArrayIterator):
    """flow_from_directory's batches: the files of one batch decoded, resized to target_size,
    augmented and standardised; the same order, epochs and next() as NumpyArrayIterator.
    Attributes as Keras 2: class_indices, classes, filenames (relative), filepaths, samples,
    num_classes, image_shape."""

    def __init__(self, gen, directory, target_size, color_mode, classes, class_mode,
                 batch_size, shuffle, seed, follow_links, subset, interpolation,
                 keep_aspect_ratio):
        from .image_dataset import ALLOWED_FORMATS, _check_size
        from .image_decode import MODES
        op = "ImageDataGenerator.flow_from_directory"
        if class_mode not in _CLASS_MODES:
            raise ValueError(f"[{op}] class_mode must be one of {list(_CLASS_MODES)}. "
                             f"Received: class_mode={class_mode!r}")
        if color_mode not in MODES:
            raise ValueError(f"[{op}] color_mode must be one of {sorted(MODES)}. Received: "
                             f"color_mode={color_mode!r}")
        from .pil_resample import FILTERS
        if interpolation != "nearest" and interpolation not in FILTERS:
            raise ValueError(f"[{op}] interpolation must be one of "
                             f"{['nearest'] + sorted(FILTERS)}. Received: "
                             f"interpolation={interpolation!r}")
        if isinstance(batch_size, bool) or not isinstance(batch_size, (int, np.integer)) \
                or batch_size < 1:
            raise ValueError(f"[{op}] batch_size must be a positive int. Received: "
                             f"batch_size={batch_size!r}")
        if subset not in (None, "training", "validation"):
            raise ValueError(f"[{op}] subset must be 'training' or 'validation'. Received: "
                             f"subset={subset!r}")
        directory = os.fspath(directory)
        paths, ids, names = index_directory(directory, "inferred", ALLOWED_FORMATS, classes,
                                            follow_links, op)
        if class_mode == "binary" and len(names) != 2:
            raise ValueError(f"[{op}] class_mode='binary' needs exactly 2 classes; found "
                             f"{len(names)}: {names}")
        if subset is not None and gen.validation_split:
            keep = []
            for k in range(len(names)):  # per class: validation first, as Keras 2
                mine = np.flatnonzero(ids == k)
                cut = int(len(mine) * gen.validation_split)
                keep += list(mine[cut:] if subset == "training" else mine[:cut])
            keep = np.asarray(keep, np.int64)
            paths, ids = [paths[i] for i in keep], ids[keep]
        print(f"Found {len(paths)} images belonging to {len(names)} classes.")
        self.directory, self.class_mode, self.color_mode = directory, class_mode, color_mode
        self.target_size = _check_size(target_size, op)
        self.interpolation, self.keep_aspect_ratio = interpolation, keep_aspect_ratio
        self.class_indices = {name: k for k, name in enumerate(names)}
        self.num_classes, self.classes = len(names), ids
        self.filepaths = paths
        self.filenames = [os.path.relpath(p, directory) for p in paths]
        self.samples = len(paths)
        self.image_shape = self.target_size + (MODES[color_mode],)
        if class_mode == "categorical":
            y = np.eye(len(names), dtype=np.float32)[ids]
        elif class_mode == "binary":
            y = ids.astype(np.float32)
        elif class_mode == "sparse":
            y = ids.astype(np.int32)
        else:
            y = None
        self.gen, self.x, self.y, self.sample_weight = gen, None, y, None
        self.batch_size, self.shuffle = int(batch_size), shuffle
        self.rng = np.random.default_rng(seed) if seed is not None else _random.get_generator()
        self.n = len(paths)
        self._order, self._pos = None, 0
        self.on_epoch_end()

    def _images(self, idx):
        # Keras 2 reads each file with load_img (Pillow's resize for every interpolation)
        return np.stack([load_img_array(self.filepaths[i], self.color_mode, self.target_size,
                                        self.interpolation, self.keep_aspect_ratio,
                                        op="ImageDataGenerator.flow_from_directory")
                         for i in idx]).astype(np.float32)

