"""Original test of the TF 2 spellings used by the TF 2 version of keras-io "Text
classification with Transformer" (`tf.shape(x)[-1]`, `tf.range(start=, limit=, delta=)`, a
Layer whose call takes `training` and forwards it to Dropout, pad_sequences), and pe.range's
rule (TensorFlow's range, exclusive limit; see docs/attention.md). No program text of the
example is used."""
import numpy as np
import pytest

import pyengine as tf
from pyengine import keras
from pyengine.keras import layers


class _PositionalTokens(layers.Layer):
    def __init__(self, vocab, span, width):
        super().__init__()
        self.word = layers.Embedding(vocab, width)
        self.slot = layers.Embedding(span, width)

    def call(self, ids):
        return self.word(ids) + self.slot(tf.range(start=0, limit=tf.shape(ids)[-1], delta=1))


class _EncoderBlock(layers.Layer):
    def __init__(self, width, heads, drop):
        super().__init__()
        self.mha = layers.MultiHeadAttention(num_heads=heads, key_dim=width // heads)
        self.drop = layers.Dropout(drop)
        self.dense = layers.Dense(width, activation="relu")
        self.norm = layers.LayerNormalization()

    def call(self, seq, training):
        mixed = self.drop(self.mha(seq, seq), training=training)
        return self.norm(seq + self.dense(seq + mixed))


def test_tf2_style_attention_classifier_learns():
    tf.manual_seed(2)
    rng = np.random.default_rng(2)
    span, vocab = 9, 25
    seqs = [list(rng.integers(2, vocab, rng.integers(4, span + 1))) for _ in range(160)]
    labels = rng.integers(0, 2, 160)
    for s, lab in zip(seqs, labels):
        if lab:
            s[rng.integers(0, len(s))] = 1  # the marker token
    x = keras.preprocessing.sequence.pad_sequences(seqs, maxlen=span)
    assert x.shape == (160, span) and (x[:, 0] == 0).any()
    inp = layers.Input(shape=(span,))
    block = _EncoderBlock(16, 2, 0.1)
    h = block(_PositionalTokens(vocab, span, 16)(inp))
    out = layers.Dense(2, activation="softmax")(layers.GlobalAveragePooling1D()(h))
    clf = keras.Model(inp, out)
    clf.compile(keras.optimizers.Adam(4e-3), "sparse_categorical_crossentropy",
                metrics=["accuracy"])
    hist = clf.fit(x, labels, batch_size=32, epochs=8, verbose=0)
    assert hist.history["loss"][-1] < 0.7 * hist.history["loss"][0]
    probe = tf.tensor(np.ones((2, span, 16), "float32"))
    np.testing.assert_allclose(np.asarray(block(probe, training=False)),
                               np.asarray(block(probe, training=False)))


@pytest.mark.parametrize("args, kwargs, want", [
    ((5,), {}, np.arange(5)),
    ((2, 9, 3), {}, np.arange(2, 9, 3)),
    ((), dict(start=0, limit=6, delta=2), np.arange(0, 6, 2)),
    ((1.0, 2.0, 0.25), {}, np.arange(1.0, 2.0, 0.25)),
    ((5, 0, -2), {}, np.arange(5, 0, -2)),
    ((3, 3), {}, np.arange(3, 3)),
])
def test_range_is_tensorflows(args, kwargs, want):
    got = tf.range(*args, **kwargs).numpy()
    np.testing.assert_array_equal(got, want)
    assert got.dtype.kind == want.dtype.kind


def test_range_dtype_tensor_limit_and_torch_keywords():
    assert tf.range(3, dtype="float32").dtype == tf.float32
    np.testing.assert_array_equal(tf.range(tf.shape(tf.zeros((2, 4)))[-1]).numpy(), np.arange(4))
    with pytest.raises(TypeError, match=r"torch.range \(inclusive end, deprecated"):
        tf.range(0, end=5)
    with pytest.raises(TypeError, match="torch.range"):
        tf.range(0, 5, step=1)
    with pytest.raises(ValueError, match="step must be non-zero"):
        tf.range(0, 5, 0)
