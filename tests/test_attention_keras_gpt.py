"""keras-io "Text generation with a miniature GPT" (Keras 3 version): its causal_attention_mask,
TransformerBlock, TokenAndPositionEmbedding, create_model (outputs [logits, x],
loss=[loss_fn, None], one y array) and the TextGenerator callback's sampling, verbatim but
for the imports, at tiny sizes on synthetic tokens."""
import numpy as np

import pyengine as pe
from pyengine import keras
from pyengine.keras import layers, ops


def causal_attention_mask(batch_size, n_dest, n_src, dtype):
    i = ops.arange(n_dest)[:, None]
    j = ops.arange(n_src)
    m = i >= j - n_src + n_dest
    mask = ops.cast(m, dtype)
    mask = ops.reshape(mask, [1, n_dest, n_src])
    mult = ops.concatenate(
        [ops.expand_dims(batch_size, -1), ops.convert_to_tensor([1, 1])], 0
    )
    return ops.tile(mask, mult)


class TransformerBlock(layers.Layer):
    def __init__(self, embed_dim, num_heads, ff_dim, rate=0.1):
        super().__init__()
        self.att = layers.MultiHeadAttention(num_heads, embed_dim)
        self.ffn = keras.Sequential(
            [
                layers.Dense(ff_dim, activation="relu"),
                layers.Dense(embed_dim),
            ]
        )
        self.layernorm1 = layers.LayerNormalization(epsilon=1e-6)
        self.layernorm2 = layers.LayerNormalization(epsilon=1e-6)
        self.dropout1 = layers.Dropout(rate)
        self.dropout2 = layers.Dropout(rate)

    def call(self, inputs):
        input_shape = ops.shape(inputs)
        batch_size = input_shape[0]
        seq_len = input_shape[1]
        causal_mask = causal_attention_mask(batch_size, seq_len, seq_len, "bool")
        attention_output = self.att(inputs, inputs, attention_mask=causal_mask)
        attention_output = self.dropout1(attention_output)
        out1 = self.layernorm1(inputs + attention_output)
        ffn_output = self.ffn(out1)
        ffn_output = self.dropout2(ffn_output)
        return self.layernorm2(out1 + ffn_output)


class TokenAndPositionEmbedding(layers.Layer):
    def __init__(self, maxlen, vocab_size, embed_dim):
        super().__init__()
        self.token_emb = layers.Embedding(input_dim=vocab_size, output_dim=embed_dim)
        self.pos_emb = layers.Embedding(input_dim=maxlen, output_dim=embed_dim)

    def call(self, x):
        maxlen = ops.shape(x)[-1]
        positions = ops.arange(0, maxlen, 1)
        positions = self.pos_emb(positions)
        x = self.token_emb(x)
        return x + positions


vocab_size = 30
maxlen = 10
embed_dim = 16
num_heads = 2
feed_forward_dim = 32


def create_model():
    inputs = layers.Input(shape=(maxlen,), dtype="int32")
    embedding_layer = TokenAndPositionEmbedding(maxlen, vocab_size, embed_dim)
    x = embedding_layer(inputs)
    transformer_block = TransformerBlock(embed_dim, num_heads, feed_forward_dim)
    x = transformer_block(x)
    outputs = layers.Dense(vocab_size)(x)
    model = keras.Model(inputs=inputs, outputs=[outputs, x])
    loss_fn = keras.losses.SparseCategoricalCrossentropy(from_logits=True)
    model.compile(
        "adam",
        loss=[loss_fn, None],
    )  # No loss and optimization based on word embeddings from transformer block
    return model


def sample_from(logits, k=5):
    logits, indices = ops.top_k(logits, k=k, sorted=True)
    indices = np.asarray(indices).astype("int32")
    preds = keras.activations.softmax(ops.expand_dims(logits, 0))[0]
    preds = np.asarray(preds).astype("float32")
    return np.random.choice(indices, p=preds / preds.sum())


def test_keras_io_miniature_gpt_trains_with_one_y_and_a_none_loss():
    pe.manual_seed(0)
    np.random.seed(0)
    model = create_model()
    rng = np.random.default_rng(0)
    start = rng.integers(1, vocab_size - maxlen - 1, 256)
    seqs = (start[:, None] + np.arange(maxlen + 1)) % vocab_size  # next token = this + 1
    x, y = seqs[:, :-1], seqs[:, 1:]
    h = model.fit(x, y, epochs=6, batch_size=32, verbose=0)
    assert h.history["loss"][-1] < 0.7 * h.history["loss"][0]
    logits, emb = model.predict(x[:1], verbose=0)  # `y, _ = self.model.predict(x)` as keras-io
    assert logits.shape == (1, maxlen, vocab_size) and emb.shape == (1, maxlen, embed_dim)
    token = sample_from(logits[0][maxlen - 1])
    assert 0 <= token < vocab_size
    # evaluate takes the same single y; a list of one target for the one output with a loss too
    assert np.isfinite(model.evaluate(x, y, verbose=0))
    assert np.isfinite(model.evaluate(x, [y], verbose=0))
