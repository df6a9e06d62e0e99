"""Reuters newswire topics (46 classes): load_data(...) -> ((x_train, y_train), (x_test, y_test)),
keras.datasets.reuters' processing (see imdb.py) with a test_split of the shuffled whole."""
import numpy as np

from ._fetch import KERAS_ORIGIN, get_file, load_npz
from ._sequences import limit_vocabulary, object_array, shift_and_filter, word_index

SHA256 = "d6586e694ee56d7a4e65172e12b3e987c03096cb01eab99753921ef915959916"
WORD_INDEX_MD5 = "4d44cc38712099c9e383dc6e5f11a921"
OP = "reuters.load_data"
LABELS = ("cocoa", "grain", "veg-oil", "earn", "acq", "wheat", "copper", "housing",
          "money-supply", "coffee", "sugar", "trade", "reserves", "ship", "cotton", "carcass",
          "crude", "nat-gas", "cpi", "money-fx", "interest", "gnp", "meal-feed", "alum", "oilseed",
          "gold", "tin", "strategic-metal", "livestock", "retail", "ipi", "iron-steel", "rubber",
          "heat", "jobs", "lei", "bop", "zinc", "orange", "pet-chem", "dlr", "gas", "silver",
          "wpi", "hog", "lead")


def load_data(path="reuters.npz", num_words=None, skip_top=0, maxlen=None, test_split=0.2,
              seed=113, start_char=1, oov_char=2, index_from=3, **kwargs):
    if "nb_words" in kwargs:
        num_words = kwargs.pop("nb_words")
    if kwargs:
        raise TypeError(f"[{OP}] Unrecognized keyword arguments: {sorted(kwargs)}")
    dest = get_file(path, KERAS_ORIGIN + "reuters.npz", SHA256, OP)
    d = load_npz(dest, ["x", "y"], OP)
    idx = np.arange(len(d["x"]))
    np.random.RandomState(seed).shuffle(idx)
    xs, labels = shift_and_filter(d["x"][idx], d["y"][idx], maxlen, start_char, index_from, OP)
    xs = limit_vocabulary(xs, num_words, skip_top, oov_char)
    cut = int(len(xs) * (1 - test_split))
    return ((object_array(xs[:cut]), np.array(labels[:cut])),
            (object_array(xs[cut:]), np.array(labels[cut:])))


def get_word_index(path="reuters_word_index.json"):
    return word_index(path, "reuters_word_index.json", WORD_INDEX_MD5, "reuters.get_word_index")


def get_label_names():
    """The 46 topic names, in label order."""
    return LABELS
