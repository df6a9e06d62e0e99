"""keras.preprocessing.text (Keras 2 / keras_preprocessing): Tokenizer, text_to_word_sequence,
one_hot, hashing_trick, tokenizer_from_json, on Python strings and lists, with Keras' rules:
index 0 is never a word; words are indexed by falling count (ties in first-seen order); with
`num_words` only indices < num_words are kept; `oov_token` takes index 1. Keras 3 replaced this
with the TextVectorization layer (keras/layers/text_vectorization.py), which pyengine also has."""
import hashlib
import json
from collections import OrderedDict, defaultdict

import numpy as np

FILTERS = '!"#$%&()*+,-./:;<=>?@[\\]^_`{|}~\t\n'


def text_to_word_sequence(input_text, filters=FILTERS, lower=True, split=" "):
    """Lower-cases, replaces every character of `filters` by `split`, splits, drops empties.

    >>> text_to_word_sequence("Hello, World!  again")
    ['hello', 'world', 'again']
    """
    if lower:
        input_text = input_text.lower()
    input_text = input_text.translate(str.maketrans({c: split for c in filters}))
    return [w for w in input_text.split(split) if w]


def hashing_trick(text, n, hash_function=None, filters=FILTERS, lower=True, split=" ",
                  analyzer=None):
    """Each word -> hash_function(word) % (n - 1) + 1 (0 stays free). hash_function: None
    (Python's hash, which varies between runs unless PYTHONHASHSEED is set, as in Keras),
    'md5', or a callable."""
    if hash_function is None:
        hash_function = hash
    elif hash_function == "md5":
        def hash_function(w):
            return int(hashlib.md5(w.encode()).hexdigest(), 16)
    elif not callable(hash_function):
        raise ValueError(f"[hashing_trick] hash_function must be None, 'md5' or a callable. "
                         f"Received: hash_function={hash_function!r}")
    if n < 2:
        raise ValueError(f"[hashing_trick] n must be at least 2 (index 0 is reserved). "
                         f"Received: n={n}")
    words = (text_to_word_sequence(text, filters, lower, split) if analyzer is None
             else analyzer(text))
    return [hash_function(w) % (n - 1) + 1 for w in words]


def one_hot(input_text, n, filters=FILTERS, lower=True, split=" ", analyzer=None):
    """hashing_trick with Python's hash: word -> an index in [1, n)."""
    return hashing_trick(input_text, n, hash, filters, lower, split, analyzer)


class Tokenizer:
    """Vocabulary from texts (fit_on_texts), then texts -> index lists (texts_to_sequences) or
    -> (n, num_words) float64 matrices (texts_to_matrix / sequences_to_matrix, modes 'binary',
    'count', 'freq', 'tfidf').

    >>> t = Tokenizer(num_words=3); t.fit_on_texts(["a b b", "b c"])
    >>> t.word_index, t.texts_to_sequences(["b a c"])
    ({'b': 1, 'a': 2, 'c': 3}, [[1, 2]])
    """

    def __init__(self, num_words=None, filters=FILTERS, lower=True, split=" ", char_level=False,
                 oov_token=None, analyzer=None, **kwargs):
        if "nb_words" in kwargs:  # Keras 1 spelling, still accepted by Keras 2
            num_words = kwargs.pop("nb_words")
        document_count = kwargs.pop("document_count", 0)
        if kwargs:
            raise TypeError(f"[Tokenizer] Unrecognized keyword arguments: {sorted(kwargs)}")
        if num_words is not None and (not isinstance(num_words, (int, np.integer))
                                      or num_words < 1):
            raise ValueError(f"[Tokenizer] num_words must be a positive int or None. "
                             f"Received: num_words={num_words!r}")
        self.num_words, self.filters, self.lower, self.split = num_words, filters, lower, split
        self.char_level, self.oov_token, self.analyzer = char_level, oov_token, analyzer
        self.document_count = document_count
        self.word_counts = OrderedDict()
        self.word_docs = defaultdict(int)
        self.index_docs = defaultdict(int)
        self.word_index, self.index_word = {}, {}

    def _words(self, text):
        if self.char_level or isinstance(text, list):
            if self.lower:
                text = [t.lower() for t in text] if isinstance(text, list) else text.lower()
            return text
        if self.analyzer is not None:
            return self.analyzer(text)
        return text_to_word_sequence(text, self.filters, self.lower, self.split)

    def fit_on_texts(self, texts):
        """Counts words over `texts` (strings, or lists of tokens) and rebuilds word_index."""
        if isinstance(texts, str):
            raise TypeError("[Tokenizer.fit_on_texts] expected a list of texts, received one "
                            "string (it would be read as a list of characters)")
        for text in texts:
            self.document_count += 1
            seq = self._words(text)
            for w in seq:
                self.word_counts[w] = self.word_counts.get(w, 0) + 1
            for w in set(seq):
                self.word_docs[w] += 1
        ranked = sorted(self.word_counts.items(), key=lambda wc: wc[1], reverse=True)  # stable
        vocab = ([] if self.oov_token is None else [self.oov_token]) + [w for w, _ in ranked]
        self.word_index = {w: i for i, w in enumerate(vocab, start=1)}
        self.index_word = {i: w for w, i in self.word_index.items()}
        for w, c in self.word_docs.items():
            self.index_docs[self.word_index[w]] = c

    def fit_on_sequences(self, sequences):
        """Document counts per index, for tfidf on sequences that were not made here."""
        self.document_count += len(sequences)
        for seq in sequences:
            for i in set(seq):
                self.index_docs[i] += 1

    def texts_to_sequences_generator(self, texts):
        oov = self.word_index.get(self.oov_token)
        for text in texts:
            out = []
            for w in self._words(text):
                i = self.word_index.get(w)
                if i is not None and not (self.num_words and i >= self.num_words):
                    out.append(i)
                elif oov is not None:
                    out.append(oov)
            yield out

    def texts_to_sequences(self, texts):
        return list(self.texts_to_sequences_generator(texts))

    def sequences_to_texts_generator(self, sequences):
        oov = self.word_index.get(self.oov_token)
        for seq in sequences:
            words = []
            for i in seq:
                w = self.index_word.get(i)
                if w is not None and not (self.num_words and i >= self.num_words):
                    words.append(w)
                elif oov is not None:
                    words.append(self.index_word[oov])
            yield " ".join(words)

    def sequences_to_texts(self, sequences):
        return list(self.sequences_to_texts_generator(sequences))

    def texts_to_matrix(self, texts, mode="binary"):
        return self.sequences_to_matrix(self.texts_to_sequences(texts), mode=mode)

    def sequences_to_matrix(self, sequences, mode="binary"):
        """(len(sequences), num_words) float64; indices >= num_words are ignored. binary: 1 where
        the index occurs; count; freq: count / len(seq); tfidf: (1 + log count) *
        log(1 + documents / (1 + documents with the index))."""
        if mode not in ("binary", "count", "freq", "tfidf"):
            raise ValueError(f"[Tokenizer.sequences_to_matrix] Unknown vectorization mode: "
                             f"{mode!r} (expected 'binary', 'count', 'freq' or 'tfidf')")
        if self.num_words:
            num_words = self.num_words
        elif self.word_index:
            num_words = len(self.word_index) + 1
        else:
            raise ValueError("[Tokenizer.sequences_to_matrix] Specify a dimension (`num_words` "
                             "argument), or fit on some text data first.")
        if mode == "tfidf" and not self.document_count:
            raise ValueError("[Tokenizer.sequences_to_matrix] Fit the Tokenizer on some data "
                             "before using tfidf mode.")
        x = np.zeros((len(sequences), num_words))
        for row, seq in enumerate(sequences):
            counts = defaultdict(int)
            for j in seq:
                if 0 <= j < num_words:
                    counts[int(j)] += 1
            for j, c in counts.items():
                if mode == "count":
                    x[row, j] = c
                elif mode == "freq":
                    x[row, j] = c / len(seq)
                elif mode == "binary":
                    x[row, j] = 1
                else:
                    idf = np.log(1 + self.document_count / (1 + self.index_docs.get(j, 0)))
                    x[row, j] = (1 + np.log(c)) * idf
        return x

    def get_config(self):
        return {"num_words": self.num_words, "filters": self.filters, "lower": self.lower,
                "split": self.split, "char_level": self.char_level,
                "oov_token": self.oov_token, "document_count": self.document_count,
                "word_counts": json.dumps(self.word_counts),
                "word_docs": json.dumps(self.word_docs),
                "index_docs": json.dumps(self.index_docs),
                "index_word": json.dumps(self.index_word),
                "word_index": json.dumps(self.word_index)}

    def to_json(self, **kwargs):
        """The tokenizer as a JSON string (tokenizer_from_json reads it back)."""
        return json.dumps({"class_name": self.__class__.__name__, "config": self.get_config()},
                          **kwargs)


def tokenizer_from_json(json_string):
    """A Tokenizer from the string Tokenizer.to_json wrote."""
    config = dict(json.loads(json_string).get("config", {}))
    state = {k: json.loads(config.pop(k)) for k in
             ("word_counts", "word_docs", "index_docs", "index_word", "word_index")}
    t = Tokenizer(**config)
    t.word_counts = OrderedDict(state["word_counts"])
    t.word_docs = defaultdict(int, state["word_docs"])
    t.index_docs = defaultdict(int, {int(k): v for k, v in state["index_docs"].items()})
    t.index_word = {int(k): v for k, v in state["index_word"].items()}
    t.word_index = state["word_index"]
    return t
