"""Word-index sequences as Keras' imdb and reuters loaders prepare them: a start marker,
indices shifted by index_from, sequences not shorter than maxlen dropped, rare (>= num_words)
and top (< skip_top) words replaced by oov_char (or dropped when oov_char is None)."""
import json

import numpy as np

from ._fetch import KERAS_ORIGIN, get_file


def shift_and_filter(xs, labels, maxlen, start_char, index_from, op):
    """Start marker + index_from shift, then drop sequences of length >= maxlen."""
    if start_char is not None:
        xs = [[start_char] + [int(w) + index_from for w in x] for x in xs]
    else:
        xs = [[int(w) + index_from for w in x] for x in xs]
    if maxlen:
        keep = [i for i, x in enumerate(xs) if len(x) < maxlen]
        xs, labels = [xs[i] for i in keep], labels[keep]
        if not xs:
            raise ValueError(f"[{op}] After filtering for sequences shorter than maxlen="
                             f"{maxlen}, no sequence was kept. Increase maxlen.")
    return xs, labels


def limit_vocabulary(xs, num_words, skip_top, oov_char):
    """Words outside [skip_top, num_words) become oov_char (dropped when it is None);
    num_words defaults to the largest index present."""
    if not num_words:
        num_words = max((max(x) for x in xs if x), default=0)
    if oov_char is not None:
        return [[w if skip_top <= w < num_words else oov_char for w in x] for x in xs]
    return [[w for w in x if skip_top <= w < num_words] for x in xs]


def object_array(lists):
    """Keras' np.array(list_of_lists, dtype="object") without NumPy stacking equal lengths."""
    out = np.empty(len(lists), dtype=object)
    out[:] = lists
    return out


def word_index(path, name, file_hash, op):
    dest = get_file(path, KERAS_ORIGIN + name, file_hash, op)
    with open(dest, encoding="utf8") as f:
        return json.load(f)
