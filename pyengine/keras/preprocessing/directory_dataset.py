"""What keras.utils.image_dataset_from_directory and text_dataset_from_directory share: the
argument checks, the folder index (one subfolder per class, class names sorted unless given,
files searched in each class folder and its subfolders), the seeded shuffle and the
validation split, and the Dataset class that reads the files a batch at a time. Each caller
supplies only its file formats and how a batch of files is loaded."""
import math
import os

import numpy as np

from ...data.dataset import Dataset


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


def _check_arguments(op, labels, label_mode, class_names, batch_size, shuffle, seed,
                     validation_split, subset):
    """True when labels is a list of integers; ValueErrors name op and what was received."""
    if label_mode not in ("int", "categorical", "binary", None):
        raise ValueError(f"[{op}] label_mode must be 'int', 'categorical', 'binary' or None. "
                         f"Received: label_mode={label_mode!r}")
    if batch_size is not None and (isinstance(batch_size, bool) or
                                   not isinstance(batch_size, (int, np.integer)) or
                                   batch_size < 1):
        raise ValueError(f"[{op}] batch_size must be a positive int or None. Received: "
                         f"batch_size={batch_size!r}")
    listed = isinstance(labels, (list, tuple, np.ndarray))
    if not listed and labels not in ("inferred", None):
        raise ValueError(f"[{op}] labels must be 'inferred', None, or a list of integer "
                         f"labels. Received: labels={labels!r}")
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
    return listed


def dataset_from_directory(make, op, kind, formats, directory, labels, label_mode, class_names,
                           batch_size, shuffle, seed, validation_split, subset, follow_links,
                           verbose):
    """The *_dataset_from_directory arguments checked, the files indexed, shuffled with seed and
    split (validation: the last validation_split of the files after the shuffle, as Keras).
    make(paths, ids, class_names, label_mode, seed) builds one subset's dataset; subset='both'
    returns the (training, validation) pair. kind ('image', 'text') names the files in
    errors."""
    listed = _check_arguments(op, labels, label_mode, class_names, batch_size, shuffle, seed,
                              validation_split, subset)
    if labels is None:
        label_mode = None
    paths, ids, class_names = index_directory(os.fspath(directory),
                                              "listed" if listed else labels, formats,
                                              class_names, follow_links, op)
    if listed:
        ids = np.asarray(labels)
        if ids.ndim != 1 or len(ids) != len(paths) or ids.dtype.kind not in "iu":
            raise ValueError(f"[{op}] labels must be {len(paths)} integers, one per {kind} file "
                             f"found (sorted by path). Received {len(ids)} labels")
        class_names = [str(k) for k in range(int(ids.max(initial=-1)) + 1)]
    if not paths:
        what = "images" if kind == "image" else f"{kind} files"
        raise ValueError(f"[{op}] no {what} found in directory {directory!r}. Allowed formats: "
                         f"{formats}")
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

    def part(rows, name):
        if verbose and name:
            print(f"Using {len(rows)} files for {name}.")
        return make([paths[i] for i in rows], None if ids is None else ids[rows], class_names,
                    label_mode, seed)

    everything = np.arange(len(paths))
    if validation_split is None:
        return part(everything, None)
    n_val = int(validation_split * len(paths))
    train, val = everything[:len(paths) - n_val], everything[len(paths) - n_val:]
    if subset == "training":
        return part(train, "training")
    if subset == "validation":
        return part(val, "validation")
    return part(train, "training"), part(val, "validation")


class DirectoryDataset(Dataset):
    """A pe.data.Dataset (Keras returns a tf.data.Dataset) of (inputs, labels) batches, or
    inputs alone when label_mode is None; .class_names and .file_paths as Keras sets them.
    Subclasses define _load(paths) -> one batch of inputs. Iterate it once per epoch; with
    shuffle, each pass draws a new order from the seeded generator."""

    def __init__(self, paths, labels, class_names, label_mode, batch_size, shuffle, seed):
        self.file_paths, self.class_names = list(paths), class_names
        self._labels, self._label_mode = labels, label_mode
        self._batch, self._shuffle, self._rng = batch_size, shuffle, np.random.default_rng(seed)
        n = len(paths) if batch_size is None else math.ceil(len(paths) / batch_size)
        super().__init__(self._batches, n)

    def _load(self, paths):
        raise NotImplementedError

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
            x = self._load([self.file_paths[j] for j in idx])
            y = None if self._label_mode is None else self._encode(self._labels[idx])
            if self._batch is None:
                x, y = np.asarray(x[0]), None if y is None else y[0]
            yield x if y is None else (x, y)
