"""IMDB movie reviews (sentiment): load_data(...) -> ((x_train, y_train), (x_test, y_test)) with
x an object array of word-index lists, as keras.datasets.imdb: shuffled with
RandomState(seed), each review starts with start_char, word i of the index is i + index_from,
words outside [skip_top, num_words) become oov_char. get_word_index() maps word -> index (add
index_from to decode)."""
import numpy as np

from ._fetch import KERAS_ORIGIN, get_file, load_npz
from ._sequences import limit_vocabulary, object_array, shift_and_filter, word_index

SHA256 = "69664113be75683a8fe16e3ed0ab59fda8886cb3cd7ada244f7d9544e4676b9f"
WORD_INDEX_MD5 = "bfafd718b763782e994055a2d397834f"
OP = "imdb.load_data"


def load_data(path="imdb.npz", num_words=None, skip_top=0, maxlen=None, seed=113, start_char=1,
              oov_char=2, index_from=3, **kwargs):
    if "nb_words" in kwargs:  # Keras 1 spelling
        num_words = kwargs.pop("nb_words")
    if kwargs:
        raise TypeError(f"[{OP}] Unrecognized keyword arguments: {sorted(kwargs)}")
    dest = get_file(path, KERAS_ORIGIN + "imdb.npz", SHA256, OP)
    d = load_npz(dest, ["x_train", "y_train", "x_test", "y_test"], OP)
    rng = np.random.RandomState(seed)
    parts = []
    for xk, yk in (("x_train", "y_train"), ("x_test", "y_test")):
        x, y = d[xk], d[yk]
        idx = np.arange(len(x))
        rng.shuffle(idx)
        parts.append(shift_and_filter(x[idx], y[idx], maxlen, start_char, index_from, OP))
    n = len(parts[0][0])
    xs = limit_vocabulary(parts[0][0] + parts[1][0], num_words, skip_top, oov_char)
    return ((object_array(xs[:n]), parts[0][1]), (object_array(xs[n:]), parts[1][1]))


def get_word_index(path="imdb_word_index.json"):
    """{word: index}; in load_data's sequences the word appears as index + index_from."""
    return word_index(path, "imdb_word_index.json", WORD_INDEX_MD5, "imdb.get_word_index")
