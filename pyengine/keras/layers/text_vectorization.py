"""keras.layers.TextVectorization on Python / NumPy strings: standardize, split, then a
StringLookup (text_lookup.py) with Keras' index layout ('' the mask at 0 and '[UNK]' at 1 in
'int' mode; '[UNK]' at 0 in the other modes).

    vectorizer = TextVectorization(max_tokens=20000, output_sequence_length=200)
    vectorizer.adapt(train_texts)          # a list / array of strings, or batches of them
    x = vectorizer(["the cat sat"])        # int64 Tensor (1, 200)

standardize: 'lower_and_strip_punctuation' (Keras' default: lowercase, then remove Keras'
punctuation set !"#$%&()*+,-./:;<=>?@[\\]^_`{|}~'), 'lower', 'strip_punctuation', None or a
callable on a NumPy array of str returning one. split: 'whitespace' (runs of whitespace, as
tf.strings.split), 'character', None (each string one token) or a callable on one string
returning its tokens. 'int' output pads with 0 (or truncates) to output_sequence_length, or to
the longest sample of the call when it is None. Called on a `keras.Input(shape=(1,),
dtype="string")` it is a node of a functional model (keras-io's end-to-end model taking raw
strings). ngrams=N adds every n-gram for n = 1..N (a tuple: those widths), joined by a
space, after the split (tf.strings.ngrams' order: all of one width, then the next).
output_mode="tf-idf" is TF 2.5's name of "tf_idf". Rejected:
ragged / sparse outputs."""
import re

import numpy as np

from ...tensor import Tensor
from .adapt_data import adapt_data
from .base import Layer
from .text_lookup import StringLookup, _as_array

_PUNCTUATION = re.compile(r'[!"#$%&()\*\+,\-\./:;<=>?@\[\\\]^_`{|}~\']')


def _standardizer(standardize):
    if standardize is None or callable(standardize):
        return standardize
    lower = standardize in ("lower_and_strip_punctuation", "lower")
    strip = standardize in ("lower_and_strip_punctuation", "strip_punctuation")
    if not (lower or strip):
        raise ValueError("[TextVectorization] standardize must be 'lower_and_strip_punctuation', "
                         "'lower', 'strip_punctuation', None or a callable. Received: "
                         f"{standardize!r}")

    def run(texts):
        out = [t.lower() if lower else t for t in texts.reshape(-1).tolist()]
        out = [_PUNCTUATION.sub("", t) if strip else t for t in out]
        return np.array(out, dtype=object).reshape(texts.shape)
    return run


def _splitter(split):
    if split is None or callable(split):
        return split
    if split == "whitespace":
        return str.split
    if split == "character":
        return list
    raise ValueError(f"[TextVectorization] split must be 'whitespace', 'character', None or a "
                     f"callable. Received: {split!r}")


def _ngram_widths(ngrams):
    """Keras' ngrams: None (the tokens), N (every n-gram for n = 1..N) or a tuple of widths."""
    if ngrams is None:
        return None
    widths = tuple(range(1, ngrams + 1)) if isinstance(ngrams, (int, np.integer)) \
        and not isinstance(ngrams, bool) else ngrams
    if not isinstance(widths, (tuple, list)) or not widths or any(
            not isinstance(w, (int, np.integer)) or isinstance(w, bool) or w < 1
            for w in widths):
        raise ValueError(f"[TextVectorization] ngrams must be None, a positive int or a tuple "
                         f"of positive ints. Received: ngrams={ngrams!r}")
    return tuple(int(w) for w in widths)


def _with_ngrams(tokens, widths):
    """tf.strings.ngrams(tokens, widths, separator=' '): the n-grams of each width in turn."""
    return [" ".join(tokens[i:i + w]) for w in widths for i in range(len(tokens) - w + 1)]


class TextVectorization(Layer):
    takes_text = True  # a model opening with it reads str arrays (trainer._takes_text)
    def __init__(self, max_tokens=None, standardize="lower_and_strip_punctuation",
                 split="whitespace", ngrams=None, output_mode="int",
                 output_sequence_length=None, pad_to_max_tokens=False, vocabulary=None,
                 idf_weights=None, sparse=False, ragged=False, encoding="utf-8", name=None,
                 **kwargs):
        super().__init__(name=name, **kwargs)
        self.ngrams = _ngram_widths(ngrams)
        if output_mode == "tf-idf":  # TF 2.5's spelling
            output_mode = "tf_idf"
        if ragged or sparse:
            raise ValueError("[TextVectorization] ragged / sparse outputs are not supported")
        if output_mode not in ("int", "multi_hot", "count", "tf_idf"):
            raise ValueError("[TextVectorization] output_mode must be 'int', 'multi_hot', "
                             f"'count' or 'tf_idf'. Received: {output_mode!r}")
        if output_sequence_length is not None and output_mode != "int":
            raise ValueError("[TextVectorization] output_sequence_length needs output_mode='int'")
        self._standardize = _standardizer(standardize)
        self._split = _splitter(split)
        self.output_mode = output_mode
        self.output_sequence_length = output_sequence_length
        # Keras: the mask token '' exists only in 'int' mode
        self._lookup = StringLookup(max_tokens=max_tokens, num_oov_indices=1,
                                    mask_token="" if output_mode == "int" else None,
                                    output_mode=output_mode, pad_to_max_tokens=pad_to_max_tokens,
                                    encoding=encoding)
        if vocabulary is not None:
            self.set_vocabulary(vocabulary, idf_weights)
        elif idf_weights is not None:
            raise ValueError("[TextVectorization] idf_weights needs vocabulary")

    def get_vocabulary(self, include_special_tokens=True):
        return self._lookup.get_vocabulary(include_special_tokens)

    def vocabulary_size(self):
        return self._lookup.vocabulary_size()

    def set_vocabulary(self, vocabulary, idf_weights=None):
        self._lookup.set_vocabulary(vocabulary, idf_weights)

    def _tokens(self, data):
        """One list of tokens per string; the input's leading shape ((n,) or (n, 1) -> n)."""
        a = _as_array(data, "TextVectorization")
        if a.ndim == 2 and a.shape[1] == 1:
            a = a[:, 0]
        if a.ndim > 1:
            raise ValueError(f"[TextVectorization] expects strings of shape (n,) or (n, 1), "
                             f"received {a.shape}")
        a = np.array([t.decode("utf-8") if isinstance(t, bytes) else t
                      for t in a.reshape(-1).tolist()], dtype=object).reshape(a.shape)
        if any(not isinstance(t, str) for t in a.reshape(-1).tolist()):
            raise TypeError("[TextVectorization] expects strings")
        if self._standardize is not None:
            a = np.asarray(self._standardize(a), dtype=object)
        texts = a.reshape(-1).tolist()
        docs = [[t] for t in texts] if self._split is None else \
            [list(self._split(t)) for t in texts]
        if self.ngrams is not None:
            docs = [_with_ngrams(d, self.ngrams) for d in docs]
        return docs, a.ndim == 0

    def adapt(self, data, batch_size=None, steps=None):
        """Builds the vocabulary from `data` (strings, or an iterable of batches of them);
        `steps` limits it to that many batches (see keras/layers/adapt_data.py)."""
        data = adapt_data(data, batch_size, steps, "TextVectorization")
        if not isinstance(data, (np.ndarray, Tensor, list, tuple, str)):
            data = [t for b in data for t in np.asarray(b[0] if isinstance(b, tuple) else b)
                    .reshape(-1).tolist()]
        docs, _ = self._tokens(data)
        self._lookup._adapt_documents(docs)

    def __call__(self, inputs, *args, **kwargs):
        if args or set(kwargs) - {"training"}:
            raise TypeError("[TextVectorization] takes one input")
        from ..symbolic import call_symbolic, is_symbolic
        if is_symbolic(inputs):  # keras.Input(shape=(1,), dtype="string"): a graph node
            return call_symbolic(self, inputs, (), kwargs)
        docs, scalar = self._tokens(inputs)
        if not self._lookup._vocab:
            raise ValueError("[TextVectorization] has no vocabulary: call adapt(data) or pass "
                             "vocabulary=")
        lookup = self._lookup._lookup
        if self.output_mode != "int":
            out = self._lookup._bags([lookup(np.array(d, dtype=object)) for d in docs])
            return Tensor._wrap(out[0] if scalar else out)
        length = self.output_sequence_length or max((len(d) for d in docs), default=0)
        idx = np.zeros((len(docs), length), np.int64)
        for r, d in enumerate(docs):
            ids = lookup(np.array(d[:length], dtype=object)) if d else []
            idx[r, :len(ids)] = ids
        return Tensor._wrap(idx[0] if scalar else idx)
