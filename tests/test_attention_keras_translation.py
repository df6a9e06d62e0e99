"""keras-io "English-to-Spanish translation with a sequence-to-sequence Transformer" (Keras 3
version): its TransformerEncoder / PositionalEmbedding / TransformerDecoder layers and model,
verbatim but for the imports, on synthetic token data; and its whole data pipeline (string
pairs, TextVectorization with the tf.strings standardization, tf.data format_dataset) on a tiny
synthetic corpus, feeding fit.

It used to be blocked outside the attention layers (now fixed, tests in
tests/test_keras_new_names_blockers.py): a Sequential built by its first call (dense_proj)
fixed every input dim, so the functional API's second example batch (None -> 9 steps) was
rejected; SparseCategoricalCrossentropy rejected (n, steps) labels."""
import numpy as np

import pyengine as pe
from pyengine import keras
from pyengine.keras import layers, ops


class TransformerEncoder(layers.Layer):
    def __init__(self, embed_dim, dense_dim, num_heads, **kwargs):
        super().__init__(**kwargs)
        self.embed_dim = embed_dim
        self.dense_dim = dense_dim
        self.num_heads = num_heads
        self.attention = layers.MultiHeadAttention(num_heads=num_heads, key_dim=embed_dim)
        self.dense_proj = keras.Sequential(
            [layers.Dense(dense_dim, activation="relu"), layers.Dense(embed_dim), ]
        )
        self.layernorm_1 = layers.LayerNormalization()
        self.layernorm_2 = layers.LayerNormalization()
        self.supports_masking = True

    def call(self, inputs, mask=None):
        if mask is not None:
            padding_mask = ops.cast(mask[:, None, :], dtype="int32")
        else:
            padding_mask = None
        attention_output = self.attention(query=inputs, value=inputs, key=inputs,
                                          attention_mask=padding_mask)
        proj_input = self.layernorm_1(inputs + attention_output)
        proj_output = self.dense_proj(proj_input)
        return self.layernorm_2(proj_input + proj_output)


class PositionalEmbedding(layers.Layer):
    def __init__(self, sequence_length, vocab_size, embed_dim, **kwargs):
        super().__init__(**kwargs)
        self.token_embeddings = layers.Embedding(input_dim=vocab_size, output_dim=embed_dim)
        self.position_embeddings = layers.Embedding(input_dim=sequence_length,
                                                    output_dim=embed_dim)
        self.sequence_length = sequence_length
        self.vocab_size = vocab_size
        self.embed_dim = embed_dim

    def call(self, inputs):
        length = ops.shape(inputs)[-1]
        positions = ops.arange(0, length, 1)
        embedded_tokens = self.token_embeddings(inputs)
        embedded_positions = self.position_embeddings(positions)
        return embedded_tokens + embedded_positions

    def compute_mask(self, inputs, mask=None):
        if mask is None:
            return None
        else:
            return ops.not_equal(inputs, 0)


class TransformerDecoder(layers.Layer):
    def __init__(self, embed_dim, latent_dim, num_heads, **kwargs):
        super().__init__(**kwargs)
        self.embed_dim = embed_dim
        self.latent_dim = latent_dim
        self.num_heads = num_heads
        self.attention_1 = layers.MultiHeadAttention(num_heads=num_heads, key_dim=embed_dim)
        self.attention_2 = layers.MultiHeadAttention(num_heads=num_heads, key_dim=embed_dim)
        self.dense_proj = keras.Sequential(
            [layers.Dense(latent_dim, activation="relu"), layers.Dense(embed_dim), ]
        )
        self.layernorm_1 = layers.LayerNormalization()
        self.layernorm_2 = layers.LayerNormalization()
        self.layernorm_3 = layers.LayerNormalization()
        self.supports_masking = True

    def call(self, inputs, encoder_outputs, mask=None):
        causal_mask = self.get_causal_attention_mask(inputs)
        if mask is not None:
            padding_mask = ops.cast(mask[:, None, :], dtype="int32")
            padding_mask = ops.minimum(padding_mask, causal_mask)
        else:
            padding_mask = None
        attention_output_1 = self.attention_1(query=inputs, value=inputs, key=inputs,
                                              attention_mask=causal_mask)
        out_1 = self.layernorm_1(inputs + attention_output_1)
        attention_output_2 = self.attention_2(query=out_1, value=encoder_outputs,
                                              key=encoder_outputs, attention_mask=padding_mask)
        out_2 = self.layernorm_2(out_1 + attention_output_2)
        proj_output = self.dense_proj(out_2)
        return self.layernorm_3(out_2 + proj_output)

    def get_causal_attention_mask(self, inputs):
        input_shape = ops.shape(inputs)
        batch_size, sequence_length = input_shape[0], input_shape[1]
        i = ops.arange(sequence_length)[:, None]
        j = ops.arange(sequence_length)
        mask = ops.cast(i >= j, dtype="int32")
        mask = ops.reshape(mask, (1, input_shape[1], input_shape[1]))
        mult = ops.concatenate(
            [ops.expand_dims(batch_size, -1), ops.convert_to_tensor([1, 1])], axis=0,
        )
        return ops.tile(mask, mult)


def test_causal_mask_helper_runs():
    """The decoder's get_causal_attention_mask (ops.tile with tensor repeats) works alone."""
    m = TransformerDecoder(8, 16, 2).get_causal_attention_mask(pe.zeros(3, 4, 8))
    np.testing.assert_array_equal(np.asarray(m.numpy()), np.broadcast_to(np.tril(np.ones((4, 4))),
                                                                          (3, 4, 4)))


def build_transformer(sequence_length, vocab_size, embed_dim=16, latent_dim=32, num_heads=2):
    """The program's model section, verbatim (sizes as arguments)."""
    encoder_inputs = keras.Input(shape=(None,), dtype="int64", name="encoder_inputs")
    x = PositionalEmbedding(sequence_length, vocab_size, embed_dim)(encoder_inputs)
    encoder_outputs = TransformerEncoder(embed_dim, latent_dim, num_heads)(x)

    decoder_inputs = keras.Input(shape=(None,), dtype="int64", name="decoder_inputs")
    encoded_seq_inputs = keras.Input(shape=(None, embed_dim), name="decoder_state_inputs")
    x = PositionalEmbedding(sequence_length, vocab_size, embed_dim)(decoder_inputs)
    x = TransformerDecoder(embed_dim, latent_dim, num_heads)(x, encoded_seq_inputs)
    x = layers.Dropout(0.5)(x)
    decoder_outputs = layers.Dense(vocab_size, activation="softmax")(x)
    decoder = keras.Model([decoder_inputs, encoded_seq_inputs], decoder_outputs)

    decoder_outputs = decoder([decoder_inputs, encoder_outputs])
    transformer = keras.Model([encoder_inputs, decoder_inputs], decoder_outputs,
                              name="transformer")
    transformer.compile("rmsprop", loss="sparse_categorical_crossentropy",
                        metrics=["accuracy"])
    return transformer


def test_keras_io_translation_transformer_learns():
    pe.manual_seed(0)
    vocab_size = 20
    transformer = build_transformer(20, vocab_size)
    rng = np.random.default_rng(0)
    src = rng.integers(3, vocab_size, (128, 8))
    tgt = np.concatenate([np.ones((128, 1), int), src[:, ::-1], np.full((128, 1), 2)], 1)
    h = transformer.fit({"encoder_inputs": src, "decoder_inputs": tgt[:, :-1]}, tgt[:, 1:],
                        epochs=6, batch_size=32, verbose=0)
    assert h.history["loss"][-1] < 0.9 * h.history["loss"][0]


def test_keras_io_translation_text_pipeline_feeds_fit():
    """The program's data section, verbatim but for the imports and sizes: string pairs ->
    TextVectorization (custom_standardization with tf.strings) -> tf.data -> fit."""
    import re
    import string
    import pyengine as tf
    import pyengine.strings as tf_strings
    from pyengine.keras.layers import TextVectorization
    pe.manual_seed(0)
    words = ["go", "run", "stop", "come", "eat", "sleep"]
    palabras = ["ve", "corre", "para", "ven", "come", "duerme"]
    rng = np.random.default_rng(0)
    text_pairs = []
    for _ in range(96):
        k = rng.integers(0, 6, 3)
        eng = " ".join(words[i] for i in k) + "."
        spa = "[start] ¡" + " ".join(palabras[i] for i in k) + "! [end]"
        text_pairs.append((eng, spa))

    strip_chars = string.punctuation + "¿¡"
    strip_chars = strip_chars.replace("[", "")
    strip_chars = strip_chars.replace("]", "")
    vocab_size = 20
    sequence_length = 10  # >= 9: the functional API runs None dims on example batches of 8, 9
    batch_size = 16

    def custom_standardization(input_string):
        lowercase = tf_strings.lower(input_string)
        return tf_strings.regex_replace(lowercase, "[%s]" % re.escape(strip_chars), "")

    eng_vectorization = TextVectorization(
        max_tokens=vocab_size, output_mode="int", output_sequence_length=sequence_length,
    )
    spa_vectorization = TextVectorization(
        max_tokens=vocab_size, output_mode="int", output_sequence_length=sequence_length + 1,
        standardize=custom_standardization,
    )
    train_eng_texts = [pair[0] for pair in text_pairs]
    train_spa_texts = [pair[1] for pair in text_pairs]
    eng_vectorization.adapt(train_eng_texts)
    spa_vectorization.adapt(train_spa_texts)

    def format_dataset(eng, spa):
        eng = eng_vectorization(eng)
        spa = spa_vectorization(spa)
        return ({"encoder_inputs": eng, "decoder_inputs": spa[:, :-1], }, spa[:, 1:])

    def make_dataset(pairs):
        eng_texts, spa_texts = zip(*pairs)
        eng_texts = list(eng_texts)
        spa_texts = list(spa_texts)
        dataset = tf.data.Dataset.from_tensor_slices((eng_texts, spa_texts))
        dataset = dataset.batch(batch_size)
        dataset = dataset.map(format_dataset)
        return dataset.cache().shuffle(2048).prefetch(16)

    train_ds = make_dataset(text_pairs)
    assert "[start]" in spa_vectorization.get_vocabulary()
    inputs, targets = next(iter(train_ds))
    assert inputs["encoder_inputs"].shape == (batch_size, sequence_length)
    assert inputs["decoder_inputs"].shape == targets.shape == (batch_size, sequence_length)

    transformer = build_transformer(sequence_length, vocab_size)
    h = transformer.fit(train_ds, epochs=4, verbose=0)
    assert h.history["loss"][-1] < 0.9 * h.history["loss"][0]
