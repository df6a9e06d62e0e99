"""keras-io "Text classification with Transformer", TF 2 version (`import tensorflow as tf`,
`from tensorflow import keras`, `tf.range(start=0, limit=maxlen, delta=1)`,
`call(self, inputs, training)`), verbatim but for the imports, tiny sizes, synthetic tokens;
and pe.range's rule (TensorFlow's range, exclusive limit; see docs/attention.md)."""
import numpy as np
import pytest

import pyengine as tf
from pyengine import keras
from pyengine.keras import layers


class TransformerBlock(layers.Layer):
    def __init__(self, embed_dim, num_heads, ff_dim, rate=0.1):
        super().__init__()
        self.att = layers.MultiHeadAttention(num_heads=num_heads, key_dim=embed_dim)
        self.ffn = keras.Sequential(
            [layers.Dense(ff_dim, activation="relu"), layers.Dense(embed_dim),]
        )
        self.layernorm1 = layers.LayerNormalization(epsilon=1e-6)
        self.layernorm2 = layers.LayerNormalization(epsilon=1e-6)
        self.dropout1 = layers.Dropout(rate)
        self.dropout2 = layers.Dropout(rate)

    def call(self, inputs, training):
        attn_output = self.att(inputs, inputs)
        attn_output = self.dropout1(attn_output, training=training)
        out1 = self.layernorm1(inputs + attn_output)
        ffn_output = self.ffn(out1)
        ffn_output = self.dropout2(ffn_output, training=training)
        return self.layernorm2(out1 + ffn_output)


class TokenAndPositionEmbedding(layers.Layer):
    def __init__(self, maxlen, vocab_size, embed_dim):
        super().__init__()
        self.token_emb = layers.Embedding(input_dim=vocab_size, output_dim=embed_dim)
        self.pos_emb = layers.Embedding(input_dim=maxlen, output_dim=embed_dim)

    def call(self, x):
        maxlen = tf.shape(x)[-1]
        positions = tf.range(start=0, limit=maxlen, delta=1)
        positions = self.pos_emb(positions)
        x = self.token_emb(x)
        return x + positions


def test_keras_io_text_classification_tf2_version_learns():
    tf.manual_seed(0)
    rng = np.random.default_rng(0)
    vocab_size, maxlen, n = 30, 10, 192
    x_train = rng.integers(2, vocab_size, (n, maxlen))
    y_train = rng.integers(0, 2, n)
    for i in np.nonzero(y_train)[0]:
        x_train[i, rng.integers(0, maxlen)] = 1
    x_train = keras.preprocessing.sequence.pad_sequences(list(x_train), maxlen=maxlen)

    embed_dim, num_heads, ff_dim = 16, 2, 16
    inputs = layers.Input(shape=(maxlen,))
    embedding_layer = TokenAndPositionEmbedding(maxlen, vocab_size, embed_dim)
    x = embedding_layer(inputs)
    transformer_block = TransformerBlock(embed_dim, num_heads, ff_dim)
    x = transformer_block(x)
    x = layers.GlobalAveragePooling1D()(x)
    x = layers.Dropout(0.1)(x)
    x = layers.Dense(20, activation="relu")(x)
    x = layers.Dropout(0.1)(x)
    outputs = layers.Dense(2, activation="softmax")(x)
    model = keras.Model(inputs=inputs, outputs=outputs)
    model.compile(keras.optimizers.Adam(3e-3), "sparse_categorical_crossentropy",
                  metrics=["accuracy"])
    history = model.fit(x_train, y_train, batch_size=32, epochs=8, verbose=0)
    loss = history.history["loss"]
    assert loss[-1] < 0.7 * loss[0], loss


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
