"""Original tests of the patterns of keras-io's guide "Understanding masking & padding" (TF 2
form, run as `import pyengine as tf`): `_keras_mask` on eager and symbolic tensors, a layer
whose compute_mask splits the mask with `tf.split`, a custom embedding with
`tf.nn.embedding_lookup` and `tf.not_equal`, and a model's second positional argument (its
`training`). No program text of the guide is used."""
import numpy as np
import pytest

import pyengine as tf
from pyengine import keras
from pyengine.keras import layers


def _padded():
    return keras.preprocessing.sequence.pad_sequences([[5, 6, 7], [1, 2, 3, 4, 5], [9] * 6],
                                                      padding="post")


def test_keras_mask_on_eager_outputs():
    x = _padded()
    out = layers.Embedding(20, 4, mask_zero=True)(x)
    np.testing.assert_array_equal(out._keras_mask.numpy(), x != 0)
    assert out._keras_mask.dtype == tf.bool
    np.testing.assert_array_equal(layers.Dense(2)(out)._keras_mask.numpy(), x != 0)  # Keras 3
    assert layers.GlobalAveragePooling1D()(out)._keras_mask is None  # the mask is consumed
    emb = tf.cast(tf.tile(tf.expand_dims(x, axis=-1), [1, 1, 3]), tf.float32)
    masked = layers.Masking()(emb)
    np.testing.assert_array_equal(masked._keras_mask.numpy(), x != 0)
    masked._keras_mask = np.ones_like(x, bool)  # Keras lets code set it
    assert masked._keras_mask.numpy().all()


class TemporalSplit(layers.Layer):
    def call(self, inputs):
        return tf.split(inputs, 2, axis=1)

    def compute_mask(self, inputs, mask=None):
        return None if mask is None else tf.split(mask, 2, axis=1)


def test_compute_mask_with_tf_split_halves_the_mask():
    x = _padded()
    masked = layers.Masking()(tf.cast(tf.expand_dims(x, -1), tf.float32))
    first, second = TemporalSplit()(masked)
    assert first.shape == (3, 3, 1) and second.shape == (3, 3, 1)
    np.testing.assert_array_equal(first._keras_mask.numpy(), (x != 0)[:, :3])
    np.testing.assert_array_equal(second._keras_mask.numpy(), (x != 0)[:, 3:])


def test_split_in_torch_and_tensorflow_spellings():
    x = tf.tensor(np.arange(24.0).reshape(2, 12))
    assert [p.shape for p in tf.split(x, 3, axis=1)] == [(2, 4)] * 3  # TensorFlow: 3 pieces
    assert [p.shape for p in tf.split(x, 5, dim=1)] == [(2, 5), (2, 5), (2, 2)]  # torch: size
    assert [p.shape for p in tf.split(x, 5, 1)] == [(2, 5), (2, 5), (2, 2)]
    parts = tf.split(x, num_or_size_splits=[2, -1, 3], axis=1)
    assert [p.shape[1] for p in parts] == [2, 7, 3]
    np.testing.assert_array_equal(parts[1].numpy(), np.arange(24.0).reshape(2, 12)[:, 2:9])
    with pytest.raises(ValueError, match="equal pieces"):
        tf.split(x, 5, axis=1)
    with pytest.raises(ValueError, match="num=4"):
        tf.split(x, 3, axis=1, num=4)


def test_symbolic_keras_mask_is_computed_with_the_graph():
    class Relu(layers.Layer):
        def __init__(self, **kwargs):
            super().__init__(**kwargs)
            self.supports_masking = True

        def call(self, inputs):
            return tf.nn.relu(inputs)

    inputs = keras.Input(shape=(None,), dtype="int32")
    x = Relu()(layers.Embedding(50, 4, mask_zero=True)(inputs))
    mask = x._keras_mask
    assert mask is not None and mask.shape == (None, None) and mask.dtype == "bool"
    assert layers.GlobalAveragePooling1D()(x)._keras_mask is None
    model = keras.Model(inputs, [layers.LSTM(3)(x), mask])
    ids = _padded()
    _, got = model(ids)
    np.testing.assert_array_equal(got.numpy(), ids != 0)


def test_custom_embedding_with_embedding_lookup_and_not_equal():
    class CustomEmbedding(layers.Layer):
        def __init__(self, input_dim, output_dim, **kwargs):
            super().__init__(**kwargs)
            self.input_dim, self.output_dim = input_dim, output_dim

        def build(self, input_shape):
            self.embeddings = self.add_weight(shape=(self.input_dim, self.output_dim),
                                              initializer="random_normal")

        def call(self, inputs):
            return tf.nn.embedding_lookup(self.embeddings, inputs)

        def compute_mask(self, inputs, mask=None):
            return tf.not_equal(inputs, 0)

    ids = np.array([[1, 0, 3], [2, 2, 0]], "int32")
    layer = CustomEmbedding(5, 4)
    out = layer(ids)
    table = layer.embeddings.numpy()
    np.testing.assert_array_equal(out.numpy(), table[ids])
    np.testing.assert_array_equal(out._keras_mask.numpy(), ids != 0)
    np.testing.assert_array_equal(layer.compute_mask(ids).numpy(), ids != 0)
    # gradients reach the looked-up rows (summed over repeats)
    params = tf.tensor(np.arange(10.0).reshape(5, 2), requires_grad=True)
    tf.nn.embedding_lookup(params, np.array([2, 2, 4])).sum().backward()
    np.testing.assert_array_equal(params.grad.numpy(), [[0, 0], [0, 0], [2, 2], [0, 0], [1, 1]])
    clipped = tf.nn.embedding_lookup(tf.tensor([[3.0, 4.0], [0.3, 0.4]]), [0, 1], max_norm=1.0)
    np.testing.assert_allclose(clipped.numpy(), [[0.6, 0.8], [0.3, 0.4]], rtol=1e-6)
    with pytest.raises(TypeError, match="integers"):
        tf.nn.embedding_lookup(params, np.array([0.5]))
    np.testing.assert_array_equal(tf.greater_equal(tf.tensor([1, 2, 3]), 2).numpy(),
                                  [False, True, True])
    np.testing.assert_array_equal(tf.less(tf.tensor([1, 2, 3]), 2).numpy(), [True, False, False])


def test_a_models_second_positional_argument_is_training():
    inputs = keras.Input((4,))
    model = keras.Model(inputs, layers.Dropout(0.5)(inputs))
    x = np.ones((64, 4), "float32")
    assert (model(x, True).numpy() == 0).any()  # training: dropout active
    np.testing.assert_array_equal(model(x, False).numpy(), x)
    with pytest.raises(TypeError, match="training must be a bool"):
        model(x, np.random.random((64, 4)))
