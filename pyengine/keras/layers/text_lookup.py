"""Keras' vocabulary layers on Python / NumPy data: StringLookup, IntegerLookup and
TextVectorization (text_vectorization.py). They map tokens to indices (and back with
invert=True) before the model, as Keras programs use them: ``vectorizer.adapt(texts);
x = vectorizer(texts)``. The index layout is Keras':

    [mask_token (if any)] + [oov_token] * num_oov_indices + vocabulary

so a vocabulary saved from Keras (get_vocabulary()) gives the same indices. adapt() orders the
vocabulary as Keras does: by count, descending, ties by token descending (NumPy lexsort,
reversed). Output modes: 'int' (indices, the input's shape), 'one_hot' (a trailing axis of
vocabulary_size()), and 'multi_hot', 'count', 'tf_idf' (the last axis holds one sample's
tokens: (batch, tokens) -> (batch, vocabulary_size())). tf_idf weights are Keras':
log(1 + documents / (1 + document frequency)), the OOV slot weighted by their mean.
Called on a keras.Input (`keras.Input(shape=(), dtype="string")`), a lookup is a node of the
functional model, as in keras-io's structured-data programs (the shapes come from placeholder
example tokens, which are not looked up as data).
Not implemented, and rejected with an error: num_oov_indices > 1 (Keras hashes OOV tokens into
buckets with FarmHash), sparse / ragged outputs, a mask token with non-int modes."""
import numpy as np

from ...ragged import RaggedTensor
from ...tensor import Tensor
from ..symbolic import on_examples
from .adapt_data import adapt_data
from .base import Layer

_MODES = ("int", "one_hot", "multi_hot", "count", "tf_idf")


def _as_array(x, what):
    if isinstance(x, Tensor):
        x = x.numpy()
    from ..symbolic import KerasTensor
    if isinstance(x, KerasTensor):
        raise TypeError(f"[{what}] needs data here, not a symbolic keras.Input (adapt() "
                        "learns the vocabulary from arrays or a dataset)")
    return np.asarray(x)


class IndexLookup(Layer):
    """Shared core of StringLookup / IntegerLookup (Keras' IndexLookup)."""
    _kind = None  # 'str' or 'int'

    def __init__(self, max_tokens=None, num_oov_indices=1, mask_token=None, oov_token=None,
                 vocabulary=None, idf_weights=None, invert=False, output_mode="int",
                 sparse=False, pad_to_max_tokens=False, name=None, **kwargs):
        super().__init__(name=name, **kwargs)
        what = type(self).__name__
        # Keras' deprecated names, still accepted by Keras 3's IndexLookup
        output_mode = {"binary": "multi_hot", "tf-idf": "tf_idf"}.get(output_mode, output_mode)
        if output_mode not in _MODES:
            raise ValueError(f"[{what}] output_mode must be one of {_MODES}. Received: "
                             f"output_mode={output_mode!r}")
        if num_oov_indices not in (0, 1):
            raise ValueError(f"[{what}] num_oov_indices must be 0 or 1 (more OOV buckets "
                             f"need Keras' FarmHash bucketing, not implemented). Received: "
                             f"{num_oov_indices}")
        if sparse:
            raise ValueError(f"[{what}] sparse=True is not supported")
        if invert and output_mode != "int":
            raise ValueError(f"[{what}] invert=True needs output_mode='int'")
        if mask_token is not None and output_mode != "int":
            raise ValueError(f"[{what}] mask_token is only supported with output_mode='int'")
        if max_tokens is not None and max_tokens <= (mask_token is not None) + num_oov_indices:
            raise ValueError(f"[{what}] max_tokens={max_tokens} leaves no room for a vocabulary "
                             "after the mask and OOV tokens")
        if pad_to_max_tokens and max_tokens is None:
            raise ValueError(f"[{what}] pad_to_max_tokens=True needs max_tokens")
        self.max_tokens, self.num_oov_indices = max_tokens, int(num_oov_indices)
        self.mask_token, self.oov_token = mask_token, oov_token
        self.invert, self.output_mode = bool(invert), output_mode
        self.pad_to_max_tokens = bool(pad_to_max_tokens)
        self._vocab, self._idf, self._index = [], None, {}
        if vocabulary is not None:
            self.set_vocabulary(vocabulary, idf_weights)
        elif idf_weights is not None:
            raise ValueError(f"[{what}] idf_weights needs vocabulary")

    # ---- vocabulary ---------------------------------------------------------------------
    def _specials(self):
        return ([self.mask_token] if self.mask_token is not None else []) + \
            [self.oov_token] * self.num_oov_indices

    def get_vocabulary(self, include_special_tokens=True):
        return (self._specials() if include_special_tokens else []) + list(self._vocab)

    def vocabulary_size(self):
        return len(self._specials()) + len(self._vocab)

    def vocab_size(self):
        """TF 2.3 / 2.4's name of vocabulary_size() (`preprocessing.StringLookup(...).vocab_size()`
        in TF's load_data/csv tutorial of that time)."""
        return self.vocabulary_size()

    def _check_token(self, t):
        return t

    # ---- saving: the vocabulary is state, not a weight (Keras 3 keeps it in the layer's
    # assets); without these an adapted lookup reloaded empty and mapped every token to OOV
    def save_own_variables(self, store):
        vocab = self.get_vocabulary()
        store["vocabulary"] = np.asarray(vocab, dtype=np.str_ if self._kind == "str"
                                         else np.int64)
        if self._idf is not None:
            store["idf_weights"] = np.asarray(self._idf, np.float64)

    def load_own_variables(self, store):
        if "vocabulary" in store:
            vocab = np.asarray(store["vocabulary"]).tolist()
            if vocab or self._vocab:
                self.set_vocabulary(vocab, store.get("idf_weights"))

    def set_vocabulary(self, vocabulary, idf_weights=None):
        """The tokens in index order, without the special tokens (Keras strips them when they
        lead the list, as get_vocabulary() writes them)."""
        what = type(self).__name__
        if isinstance(vocabulary, str):
            with open(vocabulary, encoding="utf-8") as f:
                vocabulary = [line.rstrip("\n") for line in f]
        vocab = [self._check_token(t) for t in np.asarray(vocabulary).reshape(-1).tolist()]
        specials = self._specials()
        with_specials = bool(specials) and vocab[:len(specials)] == specials
        if with_specials:
            vocab = vocab[len(specials):]
        bad = [t for t in vocab if t in (self.mask_token, self.oov_token)]
        if bad:
            raise ValueError(f"[{what}] the vocabulary contains the special token {bad[0]!r} "
                             "after the start")
        if len(set(vocab)) != len(vocab):
            raise ValueError(f"[{what}] the vocabulary has repeated tokens")
        if self.max_tokens is not None and len(specials) + len(vocab) > self.max_tokens:
            raise ValueError(f"[{what}] the vocabulary has {len(specials) + len(vocab)} "
                             f"entries with special tokens, more than max_tokens="
                             f"{self.max_tokens}")
        if (self.output_mode == "tf_idf") != (idf_weights is not None):
            raise ValueError(f"[{what}] idf_weights must be given with a vocabulary exactly "
                             "when output_mode='tf_idf'")
        self._vocab = vocab
        self._index = {t: i + len(specials) for i, t in enumerate(vocab)}
        if idf_weights is not None:
            w = np.asarray(idf_weights, np.float64).reshape(-1)
            if with_specials and len(w) == len(specials) + len(vocab):
                self._idf = w  # weights for the special tokens given too
            elif len(w) == len(vocab):  # Keras: the OOV slot gets the mean weight
                self._idf = np.concatenate([np.full(len(specials), w.mean() if len(w) else 0.0),
                                            w])
            else:
                raise ValueError(f"[{what}] {len(w)} idf_weights for {len(vocab)} tokens")

    def adapt(self, data, batch_size=None, steps=None):
        """Builds the vocabulary from `data` (an array or an iterable of batches): the most
        frequent tokens, up to max_tokens with the special tokens. `steps` limits it to that
        many batches (see keras/layers/adapt_data.py)."""
        if isinstance(data, RaggedTensor):  # one document per row
            self._adapt_documents([[self._check_token(t) for t in row]
                                   for row in data.to_list()])
            return
        data = adapt_data(data, batch_size, steps, type(self).__name__,
                          arrays=(np.ndarray, Tensor, list, tuple))
        self._adapt_documents(self._documents(data))

    def _adapt_documents(self, docs):
        """docs: one list of tokens per sample."""
        counts, doc_freq = {}, {}
        for doc in docs:
            for t in doc:
                counts[t] = counts.get(t, 0) + 1
            for t in set(doc):
                doc_freq[t] = doc_freq.get(t, 0) + 1
        for t in self._specials():
            counts.pop(t, None)
        tokens = list(counts)
        if tokens:
            keys = np.array(tokens, dtype=object if self._kind == "str" else np.int64)
            order = np.lexsort((keys, np.array([counts[t] for t in tokens])))[::-1]
            tokens = [tokens[i] for i in order]
        room = None if self.max_tokens is None else self.max_tokens - len(self._specials())
        tokens = tokens[:room]
        idf = None
        if self.output_mode == "tf_idf":
            idf = np.log1p(len(docs) / (1.0 + np.array([doc_freq[t] for t in tokens], float)))
        self.set_vocabulary(tokens, idf)

    def _documents(self, data):
        """Lists of tokens, one per sample."""
        if not isinstance(data, (np.ndarray, Tensor, list, tuple)):
            data = [np.asarray(b[0] if isinstance(b, tuple) else b).reshape(-1)
                    for b in data]
            data = np.concatenate(data) if data else np.zeros(0)
        a = _as_array(data, type(self).__name__)
        a = a.reshape(len(a), -1) if a.ndim else a.reshape(1, 1)
        return [[self._check_token(t) for t in row] for row in a.tolist()]

    # ---- lookup -------------------------------------------------------------------------
    def _lookup(self, a):
        what = type(self).__name__
        oov = len(self._specials()) - 1 if self.num_oov_indices else None
        flat = [self._check_token(t) for t in a.reshape(-1).tolist()]
        out = np.empty(len(flat), np.int64)
        for i, t in enumerate(flat):
            if t == self.mask_token and self.mask_token is not None:
                out[i] = 0
                continue
            j = self._index.get(t, oov)
            if j is None and (getattr(self, "_on_examples", False) or on_examples()):
                j = len(self._specials())  # shapes only: any in-vocabulary index
            if j is None:
                raise ValueError(f"[{what}] token {t!r} is not in the vocabulary and "
                                 "num_oov_indices=0")
            out[i] = j
        return out.reshape(a.shape)

    def _encode(self, idx):
        """int indices -> the output mode."""
        if self.output_mode == "int":
            return Tensor._wrap(np.ascontiguousarray(idx))
        depth = self.max_tokens if self.pad_to_max_tokens else self.vocabulary_size()
        if self.output_mode == "one_hot":
            if idx.ndim and idx.shape[-1] == 1:
                idx = idx[..., 0]
            out = np.zeros(idx.shape + (depth,), np.float32)
            np.put_along_axis(out, idx[..., None], 1.0, axis=-1)
            return Tensor._wrap(out)
        lead = idx.shape[:-1] if idx.ndim else ()
        out = self._bags(idx.reshape(-1, idx.shape[-1] if idx.ndim else 1))
        return Tensor._wrap(out.reshape(lead + (depth,)))

    def _bags(self, rows):
        """(len(rows), depth) float32 multi_hot / count / tf_idf of rows of indices (each row
        one sample's tokens, rows may differ in length)."""
        depth = self.max_tokens if self.pad_to_max_tokens else self.vocabulary_size()
        out = np.zeros((len(rows), depth), np.float32)
        for r, row in enumerate(rows):
            np.add.at(out[r], np.asarray(row, np.int64), 1.0)
        if self.output_mode == "multi_hot":
            out = np.minimum(out, 1.0)
        elif self.output_mode == "tf_idf":
            out[:, :len(self._idf)] *= self._idf.astype(np.float32)
        return out

    def _invert(self, a):
        vocab = self.get_vocabulary()
        idx = np.asarray(a).astype(np.int64)
        if idx.size and (idx.min() < 0 or idx.max() >= len(vocab)):
            raise ValueError(f"[{type(self).__name__}] indices must be in [0, {len(vocab)}), "
                             f"received values in [{idx.min()}, {idx.max()}]")
        table = np.array(vocab, dtype=object if self._kind == "str" else np.int64)
        if self._kind == "int":
            return table[idx]
        from ...string_dtype import as_string_array  # tf.string results answer .numpy()
        return as_string_array(np.asarray(table[idx]).astype(np.str_))

    def __call__(self, inputs, *args, **kwargs):
        if args or set(kwargs) - {"training"}:
            raise TypeError(f"[{type(self).__name__}] takes one input")
        from ..symbolic import call_symbolic, is_symbolic
        if is_symbolic(inputs):  # a node of a functional model on a keras.Input
            self._on_examples = True  # the example batches' placeholder tokens are not data
            try:
                return call_symbolic(self, inputs, (), kwargs)
            finally:
                self._on_examples = False
        if isinstance(inputs, RaggedTensor):
            return self._call_ragged(inputs)
        a = _as_array(inputs, type(self).__name__)
        if self.invert:
            return self._invert(a)
        if not self._vocab and not self._specials():
            raise ValueError(f"[{type(self).__name__}] has no vocabulary: call adapt(data) or "
                             "pass vocabulary=")
        return self._encode(self._lookup(a))


    def _call_ragged(self, r):
        """Rows of tokens: 'int' gives the same rows of indices (invert=True the same rows of
        tokens), multi_hot / count / tf_idf one dense bag per row, as Keras does with a
        RaggedTensor."""
        if self.invert:  # rows of indices -> the same rows of tokens (TF's text_generation)
            tokens = self._invert(np.asarray(r._flat))
            return r.with_flat_values(tokens if self._kind == "int" else
                                      np.asarray(tokens, dtype=np.str_))
        if self.output_mode == "one_hot":
            raise NotImplementedError(f"[{type(self).__name__}] a RaggedTensor input is "
                                      f"supported for output_mode 'int', 'multi_hot', 'count' "
                                      f"and 'tf_idf' (not one_hot)")
        idx = self._lookup(np.asarray(r._flat, dtype=object))
        if self.output_mode == "int":
            return r.with_flat_values(idx)
        return Tensor._wrap(self._bags([idx[a:b] for a, b in zip(r._splits[:-1],
                                                                  r._splits[1:])]))


class StringLookup(IndexLookup):
    """Strings -> indices (Keras' StringLookup). oov_token defaults to '[UNK]'."""
    _kind = "str"
    takes_text = True  # a model opening with it reads str arrays (trainer._takes_text)

    def __init__(self, max_tokens=None, num_oov_indices=1, mask_token=None, oov_token="[UNK]",
                 vocabulary=None, idf_weights=None, invert=False, output_mode="int",
                 encoding="utf-8", **kwargs):
        if str(encoding).lower().replace("-", "") != "utf8":
            raise ValueError(f"[StringLookup] only encoding='utf-8' is supported. Received: "
                             f"{encoding!r}")
        super().__init__(max_tokens, num_oov_indices, mask_token, oov_token, vocabulary,
                         idf_weights, invert, output_mode, **kwargs)

    def _check_token(self, t):
        if isinstance(t, bytes):
            return t.decode("utf-8")
        if not isinstance(t, str):
            raise TypeError(f"[{type(self).__name__}] expects strings, received {t!r}")
        return t


class IntegerLookup(IndexLookup):
    """Integers -> indices (Keras' IntegerLookup). oov_token defaults to -1."""
    _kind = "int"

    def __init__(self, max_tokens=None, num_oov_indices=1, mask_token=None, oov_token=-1,
                 vocabulary=None, idf_weights=None, invert=False, output_mode="int",
                 vocabulary_dtype="int64", **kwargs):
        if str(vocabulary_dtype) not in ("int64", "int32"):
            raise ValueError(f"[IntegerLookup] vocabulary_dtype must be 'int64' or 'int32'. "
                             f"Received: {vocabulary_dtype!r}")
        super().__init__(max_tokens, num_oov_indices, mask_token, oov_token, vocabulary,
                         idf_weights, invert, output_mode, **kwargs)

    def _check_token(self, t):
        if isinstance(t, (bool, np.bool_)) or not float(t).is_integer():
            raise TypeError(f"[{type(self).__name__}] expects integers, received {t!r}")
        return int(t)
