"""Original tests of the Keras patterns used by keras-io "English-to-Spanish translation with
a sequence-to-sequence Transformer" (Keras 3 version): Layer subclasses with
supports_masking / compute_mask (padding mask from ops.not_equal), a padding mask cast from
the incoming mask and combined with a causal mask by ops.minimum, a decoder sub-Model called
on the encoder's symbolic output, named int64 Inputs of length None fed by a dict, and a text
pipeline (string pairs -> TextVectorization with a pe.strings standardization -> Dataset
batch / map / cache / shuffle / prefetch -> fit). No program text of the example is used.

Blockers once hit on this path are unit-tested in tests/test_keras_new_names_blockers.py."""
import re

import numpy as np

import pyengine as pe
import pyengine.strings as pe_strings
from pyengine import keras
from pyengine.keras import layers, ops


def _causal(batch, steps):
    tri = ops.cast(ops.arange(steps)[:, None] >= ops.arange(steps)[None, :], dtype="int32")
    return ops.tile(ops.reshape(tri, (1, steps, steps)),
                    ops.concatenate([ops.expand_dims(batch, -1), ops.convert_to_tensor([1, 1])],
                                    axis=0))


class _Embedder(layers.Layer):
    def __init__(self, span, vocab, width, **kw):
        super().__init__(**kw)
        self.word = layers.Embedding(vocab, width)
        self.where = layers.Embedding(span, width)

    def call(self, ids):
        return self.word(ids) + self.where(ops.arange(0, ops.shape(ids)[-1], 1))

    def compute_mask(self, ids, mask=None):
        return ops.not_equal(ids, 0)


class _Encoder(layers.Layer):
    def __init__(self, width, inner, heads, **kw):
        super().__init__(**kw)
        self.supports_masking = True
        self.att = layers.MultiHeadAttention(num_heads=heads, key_dim=width // heads)
        self.ff = keras.Sequential([layers.Dense(inner, activation="relu"),
                                    layers.Dense(width)])
        self.n1, self.n2 = layers.LayerNormalization(), layers.LayerNormalization()

    def call(self, seq, mask=None):
        keep = None if mask is None else ops.cast(mask[:, None, :], dtype="int32")
        seq = self.n1(seq + self.att(query=seq, value=seq, key=seq, attention_mask=keep))
        return self.n2(seq + self.ff(seq))


class _Decoder(layers.Layer):
    def __init__(self, width, inner, heads, **kw):
        super().__init__(**kw)
        self.supports_masking = True
        self.own = layers.MultiHeadAttention(num_heads=heads, key_dim=width // heads)
        self.cross = layers.MultiHeadAttention(num_heads=heads, key_dim=width // heads)
        self.ff = keras.Sequential([layers.Dense(inner, activation="relu"),
                                    layers.Dense(width)])
        self.norms = [layers.LayerNormalization() for _ in range(3)]

    def call(self, seq, memory, mask=None):
        dims = ops.shape(seq)
        keep = _causal(dims[0], dims[1])
        if mask is not None:  # padded prefix positions are never attended to either
            keep = ops.minimum(ops.cast(mask[:, None, :], dtype="int32"), keep)
        seq = self.norms[0](seq + self.own(query=seq, value=seq, key=seq, attention_mask=keep))
        seq = self.norms[1](seq + self.cross(query=seq, value=memory, key=memory))
        return self.norms[2](seq + self.ff(seq))


def _seq2seq(span, vocab, width=16, inner=24, heads=2):
    # span >= 9: symbolic calls run example batches of 8 and 9 steps for a None length
    src = keras.Input(shape=(None,), dtype="int64", name="src")
    memory = _Encoder(width, inner, heads)(_Embedder(span, vocab, width)(src))
    prefix = keras.Input(shape=(None,), dtype="int64", name="prefix")
    given_memory = keras.Input(shape=(None, width), name="memory")
    h = _Decoder(width, inner, heads)(_Embedder(span, vocab, width)(prefix), given_memory)
    head = keras.Model([prefix, given_memory],
                       layers.Dense(vocab, activation="softmax")(layers.Dropout(0.2)(h)))
    net = keras.Model([src, prefix], head([prefix, memory]))
    net.compile("rmsprop", loss="sparse_categorical_crossentropy", metrics=["accuracy"])
    return net


def test_causal_mask_is_lower_triangular_per_batch():
    m = np.asarray(_causal(2, 5).numpy())
    np.testing.assert_array_equal(m, np.broadcast_to(np.tril(np.ones((5, 5))), (2, 5, 5)))


def test_masked_encoder_decoder_learns_a_token_map():
    pe.manual_seed(3)
    rng = np.random.default_rng(3)
    src = rng.integers(3, 18, (120, 7))
    src[:40, 5:] = 0  # padded sources exercise the masks
    out = np.where(src > 0, (src - 3 + 4) % 15 + 3, 0)
    tgt = np.concatenate([np.ones((120, 1), int), out, np.full((120, 1), 2)], 1)
    net = _seq2seq(12, 18)
    hist = net.fit({"src": src, "prefix": tgt[:, :-1]}, tgt[:, 1:], epochs=6, batch_size=24,
                   verbose=0)
    assert hist.history["loss"][-1] < 0.9 * hist.history["loss"][0]
    assert net.predict({"src": src[:3], "prefix": tgt[:3, :-1]}, verbose=0).shape == (3, 8, 18)


def test_text_pairs_through_text_vectorization_feed_fit():
    pe.manual_seed(4)
    colors = ["red", "blue", "green", "white", "black"]
    numbers = ["uno", "dos", "tres", "cuatro", "cinco"]
    rng = np.random.default_rng(4)
    pairs = []
    for _ in range(80):
        pick = rng.integers(0, 5, rng.integers(2, 4))
        pairs.append((" ".join(colors[i] for i in pick).capitalize() + "!",
                      "<< " + " ".join(numbers[i] for i in pick) + "?? >>"))
    noise = re.escape("!?¿¡.,")

    def tidy(text):
        return pe_strings.regex_replace(pe_strings.lower(text), f"[{noise}]", "")

    span, vocab = 9, 16
    left = layers.TextVectorization(max_tokens=vocab, output_mode="int",
                                    output_sequence_length=span)
    right = layers.TextVectorization(max_tokens=vocab, output_mode="int",
                                     output_sequence_length=span + 1, standardize=tidy)
    left.adapt([a for a, _ in pairs])
    right.adapt([b for _, b in pairs])
    assert "<<" in right.get_vocabulary() and "??" not in " ".join(right.get_vocabulary())

    def encode(a, b):
        b = right(b)
        return {"src": left(a), "prefix": b[:, :-1]}, b[:, 1:]

    ds = (pe.data.Dataset.from_tensor_slices(([a for a, _ in pairs], [b for _, b in pairs]))
          .batch(16).map(encode).cache().shuffle(100).prefetch(4))
    feats, labels = next(iter(ds))
    assert feats["src"].shape == (16, span) and feats["prefix"].shape == labels.shape == (16, span)
    hist = _seq2seq(span, vocab).fit(ds, epochs=4, verbose=0)
    assert hist.history["loss"][-1] < 0.9 * hist.history["loss"][0]
