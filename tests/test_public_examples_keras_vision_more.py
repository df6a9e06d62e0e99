"""API patterns of keras-io vision programs (ConvMixer, CCT, ...) run with imports changed
only: original tests, tiny sizes, NumPy references."""
import json

import numpy as np
import pytest

import pyengine as tf
from pyengine import keras
from pyengine.keras import layers


def test_conv2d_get_config_has_keras_flat_keys():
    # ConvMixer: `layer.get_config()["kernel_size"] == (5, 5)` picks the depthwise convs
    conv = layers.Conv2D(8, kernel_size=5, groups=8, padding="same", activation="relu")
    cfg = conv.get_config()
    assert cfg["kernel_size"] == (5, 5) and cfg["strides"] == (1, 1)
    assert cfg["filters"] == 8 and cfg["groups"] == 8 and cfg["padding"] == "same"
    assert cfg["activation"] == "relu" and cfg["name"] == conv.name
    dense = layers.Dense(3)
    assert dense.get_config()["units"] == 3 and dense.get_config()["activation"] == "linear"
    json.dumps(cfg)  # still a JSON value (model.save)


def test_flat_config_keys_survive_save_and_rebuild(tmp_path):
    inp = keras.Input((6, 6, 2))
    out = layers.Dense(2)(layers.GlobalAvgPool2D()(layers.Conv2D(4, 3)(inp)))
    model = keras.Model(inp, out)
    path = str(tmp_path / "m.keras")
    model.save(path)
    again = keras.models.load_model(path)
    x = np.random.default_rng(0).normal(size=(2, 6, 6, 2)).astype("float32")
    np.testing.assert_allclose(again.predict(x, verbose=0), model.predict(x, verbose=0),
                               rtol=1e-6)
    assert again.layers[1].get_config()["kernel_size"] == (3, 3)


def test_layers_experimental_preprocessing_aliases():
    pre = layers.experimental.preprocessing
    assert pre.Rescaling is layers.Rescaling and pre.RandomFlip is layers.RandomFlip
    y = pre.Rescaling(scale=0.5)(np.full((1, 2, 2, 1), 4.0, "float32"))
    np.testing.assert_allclose(y.numpy(), 2.0)


def test_embedding_size_from_tf_shape_scalar():
    # CCT: Embedding(input_dim=tf.shape(x)[1], output_dim=tf.shape(x)[-1])
    s = tf.shape(tf.ones((1, 5, 3)))
    emb = layers.Embedding(input_dim=s[1], output_dim=s[-1])
    assert emb.input_dim == 5 and emb.output_dim == 3
    assert emb(tf.range(5)).shape == (5, 3)
    with pytest.raises(ValueError, match="input_dim"):
        layers.Embedding(input_dim=tf.constant(1.5), output_dim=2)


def test_tf_matmul_transpose_flags():
    rng = np.random.default_rng(1)
    a = rng.normal(size=(2, 4, 3)).astype("float32")
    b = rng.normal(size=(2, 4, 5)).astype("float32")
    np.testing.assert_allclose(tf.matmul(a, b, transpose_a=True).numpy(),
                               np.swapaxes(a, -1, -2) @ b, rtol=1e-5, atol=1e-6)
    c = rng.normal(size=(2, 5, 3)).astype("float32")
    np.testing.assert_allclose(tf.matmul(a, c, transpose_b=True).numpy(),
                               a @ np.swapaxes(c, -1, -2), rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(tf.matmul(a, c, adjoint_b=True).numpy(),
                               a @ np.swapaxes(c, -1, -2), rtol=1e-5, atol=1e-6)
    with pytest.raises(ValueError, match="transpose_a"):
        tf.matmul(a, b, transpose_a=True, adjoint_a=True)


def test_sequence_pooling_on_symbolic_tensors():
    # CCT's sequence pooling: softmax(Dense(1)) ^T @ tokens, then tf.squeeze(-2)
    inp = keras.Input((4, 3))
    w = tf.nn.softmax(layers.Dense(1)(inp), axis=1)
    pooled = tf.squeeze(tf.matmul(w, inp, transpose_a=True), -2)
    model = keras.Model(inp, pooled)
    x = np.random.default_rng(2).normal(size=(2, 4, 3)).astype("float32")
    dense = model.layers[1]
    k, bias = (v.numpy() for v in dense.weights)
    logits = x @ k + bias
    p = np.exp(logits - logits.max(1, keepdims=True))
    p /= p.sum(1, keepdims=True)
    expect = np.einsum("bti,btd->bd", p, x)
    assert model.output_shape == (None, 3)
    np.testing.assert_allclose(model.predict(x, verbose=0), expect, rtol=1e-5, atol=1e-6)


def test_categorical_crossentropy_label_smoothing():
    rng = np.random.default_rng(3)
    logits = rng.normal(size=(4, 5)).astype("float32")
    y = np.eye(5, dtype="float32")[[0, 2, 4, 1]]
    ys = y * 0.9 + 0.1 / 5
    logp = logits - np.log(np.exp(logits).sum(-1, keepdims=True))
    expect = -(ys * logp).sum(-1).mean()
    loss = keras.losses.CategoricalCrossentropy(from_logits=True, label_smoothing=0.1)
    np.testing.assert_allclose(float(loss(y, logits)), expect, rtol=1e-5)
    probs = np.exp(logp)
    np.testing.assert_allclose(
        float(keras.losses.CategoricalCrossentropy(label_smoothing=0.1)(y, probs)), expect,
        rtol=1e-5)
    with pytest.raises(ValueError, match="label_smoothing"):
        keras.losses.CategoricalCrossentropy(label_smoothing=1.5)


def test_binary_crossentropy_label_smoothing():
    z = np.array([[0.3, -1.2], [2.0, 0.1]], "float32")
    y = np.array([[1, 0], [0, 1]], "float32")
    ys = y * 0.8 + 0.1
    p = 1 / (1 + np.exp(-z))
    expect = (-(ys * np.log(p) + (1 - ys) * np.log(1 - p))).mean()
    loss = keras.losses.BinaryCrossentropy(from_logits=True, label_smoothing=0.2)
    np.testing.assert_allclose(float(loss(y, z)), expect, rtol=1e-5)


def test_smoothed_loss_in_fit_is_the_smoothed_value():
    # a Dense-only model would take the fused C++ trainer, whose loss has no smoothing
    rng = np.random.default_rng(4)
    x = rng.normal(size=(8, 3)).astype("float32")
    y = np.eye(4, dtype="float32")[rng.integers(0, 4, 8)]
    model = keras.Sequential([keras.Input((3,)), layers.Dense(4)])
    loss = keras.losses.CategoricalCrossentropy(from_logits=True, label_smoothing=0.3)
    model.compile(optimizer=keras.optimizers.SGD(0.0), loss=loss)
    h = model.fit(x, y, batch_size=8, epochs=1, verbose=0)
    np.testing.assert_allclose(h.history["loss"][0], float(loss(y, model.predict(x, verbose=0))),
                               rtol=1e-5)


def test_eager_result_added_to_graph_is_a_constant():
    # CCT: position_embeddings = pos_embed(tf.range(n)) runs eagerly, then joins the graph
    pos = layers.Embedding(input_dim=4, output_dim=3)(tf.range(start=0, limit=4, delta=1))
    inp = keras.Input((4, 3))
    out = layers.Dense(2)(inp + pos)
    model = keras.Model(inp, out)
    model.compile(optimizer="adam", loss="mse")
    rng = np.random.default_rng(5)
    x, y = rng.normal(size=(6, 4, 3)).astype("float32"), rng.normal(size=(6, 4, 2))
    h = model.fit(x, y, batch_size=2, epochs=3, verbose=0)  # several steps: no second backward
    assert h.history["loss"][-1] < h.history["loss"][0]
    np.testing.assert_allclose(model.predict(x, verbose=0),
                               (x + pos.detach().numpy()) @ model.layers[-1].weights[0].numpy()
                               + model.layers[-1].weights[1].numpy(), rtol=1e-5, atol=1e-5)
