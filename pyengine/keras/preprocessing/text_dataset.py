"""keras.utils.text_dataset_from_directory: .txt files on disk to (texts, labels) batches,
with the folder layout, labels, shuffle and validation split of image_dataset_from_directory
(directory_dataset.py). Files are read a batch at a time as the dataset is iterated, decoded
as UTF-8 (undecodable bytes become U+FFFD; Keras keeps the raw bytes of a tf.string). A batch of
texts is a NumPy str array of shape (batch,); iterating or mapping the dataset hands it over
as a StringArray (dtype pe.string, `.numpy()` gives the array), which TextVectorization takes.

>>> train = keras.utils.text_dataset_from_directory("aclImdb/train", validation_split=0.2,
...                                                 subset="training", seed=1337)
>>> for texts, labels in train.take(1): print(texts.numpy()[0], labels.numpy()[0])
"""
import numpy as np

from .directory_dataset import DirectoryDataset, dataset_from_directory

ALLOWED_FORMATS = (".txt",)


class TextDirectoryDataset(DirectoryDataset):
    """text_dataset_from_directory's Dataset: each batch's files read, cut to max_length."""

    def __init__(self, paths, labels, class_names, label_mode, batch_size, shuffle, seed,
                 max_length):
        self._max_length = max_length
        super().__init__(paths, labels, class_names, label_mode, batch_size, shuffle, seed)

    def _load(self, paths):
        texts = []
        for path in paths:
            with open(path, encoding="utf-8", errors="replace", newline="") as f:
                texts.append(f.read() if self._max_length is None else f.read(self._max_length))
        return np.array(texts, dtype=np.str_)


def text_dataset_from_directory(directory, labels="inferred", label_mode="int",
                                class_names=None, batch_size=32, max_length=None, shuffle=True,
                                seed=None, validation_split=None, subset=None,
                                follow_links=False, verbose=True):
    """Keras' text_dataset_from_directory. labels: 'inferred' (from the subfolders, class
    names sorted), None, or a list of integer labels for the files in sorted path order.
    label_mode: 'int', 'categorical' (one-hot), 'binary' (float (batch, 1), two classes), or
    None (texts only). max_length: each text cut to its first max_length characters. subset
    'training' / 'validation' (the last validation_split of the files after the seeded
    shuffle) or 'both' (the pair). batch_size None yields one text at a time."""
    op = "text_dataset_from_directory"
    if max_length is not None and (isinstance(max_length, bool) or
                                   not isinstance(max_length, (int, np.integer)) or
                                   max_length < 1):
        raise ValueError(f"[{op}] max_length must be a positive int or None. Received: "
                         f"max_length={max_length!r}")

    def make(paths, ids, names, mode, seed):
        return TextDirectoryDataset(paths, ids, names, mode, batch_size, shuffle, seed,
                                    None if max_length is None else int(max_length))
    return dataset_from_directory(make, op, "text", ALLOWED_FORMATS, directory, labels,
                                  label_mode, class_names, batch_size, shuffle, seed,
                                  validation_split, subset, follow_links, verbose)
