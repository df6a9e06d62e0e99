"""Original test of the Keras pattern of keras-io "Text generation with a miniature GPT"
(Keras 3 version): a causal mask built from keras.ops (arange / cast / reshape / concatenate
of a symbolic batch size / tile with tensor repeats) passed as MultiHeadAttention's
attention_mask inside a Layer subclass, a model with outputs [logits, hidden] compiled with
loss=[fn, None] and fitted on one y, and top-k sampling with ops.top_k. No program text of the
example is used."""
import numpy as np

import pyengine as pe
from pyengine import keras
from pyengine.keras import layers, ops


def _lower_triangle(batch, length):
    rows = ops.arange(length)[:, None]
    keep = ops.cast(rows >= ops.arange(length)[None, :], "bool")
    reps = ops.concatenate([ops.expand_dims(batch, -1), ops.convert_to_tensor([1, 1])], 0)
    return ops.tile(ops.reshape(keep, [1, length, length]), reps)


class _CausalDecoder(layers.Layer):
    """Token + learned position embedding, one masked self-attention block, pre-output norm."""

    def __init__(self, vocab, span, width, heads):
        super().__init__()
        self.tokens = layers.Embedding(vocab, width)
        self.places = layers.Embedding(span, width)
        self.attend = layers.MultiHeadAttention(heads, width // heads)
        self.mix = keras.Sequential([layers.Dense(2 * width, activation="gelu"),
                                     layers.Dense(width)])
        self.norm_a = layers.LayerNormalization(epsilon=1e-5)
        self.norm_b = layers.LayerNormalization(epsilon=1e-5)

    def call(self, ids):
        dims = ops.shape(ids)
        h = self.tokens(ids) + self.places(ops.arange(dims[1]))
        h = self.norm_a(h + self.attend(h, h, attention_mask=_lower_triangle(dims[0], dims[1])))
        return self.norm_b(h + self.mix(h))


def test_causal_mask_helper_shape_and_values():
    m = np.asarray(_lower_triangle(3, 4))
    assert m.shape == (3, 4, 4) and m.dtype == bool
    np.testing.assert_array_equal(m[2], np.tril(np.ones((4, 4), bool)))


def test_gpt_style_model_with_none_loss_learns_and_is_causal():
    pe.manual_seed(1)
    vocab, span, width = 24, 8, 16
    ids = layers.Input(shape=(span,), dtype="int32")
    hidden = _CausalDecoder(vocab, span, width, 2)(ids)
    lm = keras.Model(ids, [layers.Dense(vocab)(hidden), hidden])
    lm.compile(keras.optimizers.Adam(5e-3),
               loss=[keras.losses.SparseCategoricalCrossentropy(from_logits=True), None])
    rng = np.random.default_rng(1)
    seqs = (rng.integers(0, vocab, (200, 1)) + 2 * np.arange(span + 1)) % vocab  # step of 2
    hist = lm.fit(seqs[:, :-1], seqs[:, 1:], epochs=6, batch_size=25, verbose=0)
    assert hist.history["loss"][-1] < 0.6 * hist.history["loss"][0]
    logits, states = lm.predict(seqs[:2, :-1], verbose=0)
    assert logits.shape == (2, span, vocab) and states.shape == (2, span, width)
    # changing the last token leaves every earlier position's logits untouched
    edited = seqs[:2, :-1].copy()
    edited[:, -1] = (edited[:, -1] + 5) % vocab
    np.testing.assert_allclose(lm.predict(edited, verbose=0)[0][:, :-1], logits[:, :-1],
                               rtol=1e-5, atol=1e-5)
    best, where = ops.top_k(logits[0, -1], k=4, sorted=True)
    probs = np.asarray(keras.activations.softmax(ops.expand_dims(best, 0))[0], np.float64)
    pick = np.random.default_rng(0).choice(np.asarray(where), p=probs / probs.sum())
    assert 0 <= pick < vocab and np.all(np.diff(np.asarray(best)) <= 0)
    assert np.isfinite(lm.evaluate(seqs[:, :-1], seqs[:, 1:], verbose=0))
    assert np.isfinite(lm.evaluate(seqs[:, :-1], [seqs[:, 1:]], verbose=0))
