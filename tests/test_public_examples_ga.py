"""Original tests of the API patterns of keras-io vision programs run with only their imports
changed (helper ga): tf.keras 2 checkpoint paths ("logs/" folders for ModelCheckpoint with
save_weights_only, model.save(..., save_format="h5")). Tiny sizes, synthetic data; no program
text is used."""
import os

import numpy as np
import pytest

from pyengine import keras
from pyengine.keras import layers

RNG = np.random.default_rng(7)


def _regressor(seed=0):
    keras.utils.set_random_seed(seed)
    inp = keras.Input((6,))
    h = layers.Dense(8, activation="relu")(inp)
    return keras.Model(inp, layers.Dense(4)(h))


# ---- a folder path ("logs/") as the weights file (object_detection_using_vision_transformer) --
def test_checkpoint_into_folder_path_keeps_the_best_epoch_and_reloads(tmp_path):
    x = RNG.normal(size=(64, 6)).astype("float32")
    y = (x[:, :4] * 0.5).astype("float32")
    model = _regressor()
    model.compile(optimizer=keras.optimizers.AdamW(1e-2, weight_decay=1e-4), loss="mse")
    folder = str(tmp_path / "logs") + os.sep
    best = {}

    class Record(keras.callbacks.Callback):
        def on_epoch_end(self, epoch, logs=None):
            if logs["val_loss"] < best.get("val_loss", np.inf):
                best.update(val_loss=logs["val_loss"], weights=self.model.get_weights())

    hist = model.fit(x, y, batch_size=16, epochs=4, validation_split=0.25, verbose=0,
                     callbacks=[keras.callbacks.ModelCheckpoint(
                         folder, monitor="val_loss", save_best_only=True,
                         save_weights_only=True), Record()])
    assert hist.history["loss"][-1] < hist.history["loss"][0]
    assert os.path.isfile(os.path.join(folder, "weights.npz"))
    fresh = _regressor(seed=1)
    fresh.load_weights(folder)
    for a, b in zip(fresh.get_weights(), best["weights"]):
        np.testing.assert_array_equal(a, b)
    fresh.compile(loss="mse")
    np.testing.assert_allclose(fresh.evaluate(x[48:], y[48:], verbose=0), best["val_loss"],
                               rtol=1e-5)


def test_existing_folder_without_separator_is_refused_by_name(tmp_path):
    model = _regressor()
    (tmp_path / "ckpt").mkdir()
    with pytest.raises(IsADirectoryError, match=r"\[save_weights\].*folder"):
        model.save_weights(str(tmp_path / "ckpt"))
    with pytest.raises(IsADirectoryError, match=r"\[load_weights\].*folder"):
        model.load_weights(str(tmp_path / "ckpt"))


def test_model_save_with_tf2_save_format_and_folder_round_trip(tmp_path):
    x = RNG.normal(size=(5, 6)).astype("float32")
    model = _regressor()
    model.compile("adam", "mse")
    ref = model.predict(x, verbose=0)
    model.save(str(tmp_path / "det.h5"), save_format="h5")
    np.testing.assert_array_equal(
        keras.models.load_model(str(tmp_path / "det.h5")).predict(x, verbose=0), ref)
    folder = str(tmp_path / "saved") + os.sep
    model.save(folder)
    np.testing.assert_array_equal(keras.models.load_model(folder).predict(x, verbose=0), ref)
    with pytest.raises(ValueError, match="save_format='tf'"):
        model.save(str(tmp_path / "m"), save_format="tf")
    with pytest.raises(TypeError, match="unrecognized arguments"):
        model.save(str(tmp_path / "m.keras"), signatures=None)


# ---- load_weights into an unbuilt subclassed twin (temporal_latent_bottleneck's eager_model) --
class _Twin(keras.Model):
    def __init__(self, trunk, **kwargs):
        super().__init__(**kwargs)
        self.trunk = trunk  # shared with the trained model, already built
        self.pool = layers.GlobalAveragePooling1D()
        self.head = layers.Dense(3, activation="softmax")

    def call(self, x):
        return self.head(self.pool(self.trunk(x)))


def test_load_weights_builds_an_unbuilt_subclassed_model_from_the_saved_shape(tmp_path):
    keras.utils.set_random_seed(3)
    x = RNG.normal(size=(32, 5, 4)).astype("float32")
    y = (x.sum(axis=(1, 2)) > 0).astype("int64") + (x[:, 0, 0] > 1)
    trunk = layers.Dense(6, activation="tanh")
    model = _Twin(trunk)
    model.compile(keras.optimizers.Adam(1e-2), "sparse_categorical_crossentropy")
    hist = model.fit(x, y, batch_size=8, epochs=3, verbose=0)
    assert hist.history["loss"][-1] < hist.history["loss"][0]
    path = str(tmp_path / "weights.keras")
    model.save(path)
    twin = _Twin(trunk)
    assert not twin.built
    twin.load_weights(path)
    np.testing.assert_array_equal(twin.predict(x, verbose=0), model.predict(x, verbose=0))
    # a save_weights file records no shape: an unbuilt model still says how to build it
    model.save_weights(str(tmp_path / "only.weights.h5"))
    with pytest.raises(ValueError, match="not been built"):
        _Twin(layers.Dense(6)).load_weights(str(tmp_path / "only.weights.h5"))


# ---- Input((None, None)) broadcast against a known feature size (video_transformers) ----------
class _AddPositions(layers.Layer):
    def __init__(self, length, dim, **kwargs):
        super().__init__(**kwargs)
        self.table = layers.Embedding(length, dim)

    def call(self, x):
        n = keras.ops.shape(x)[1]
        return x + self.table(keras.ops.arange(n))


def test_unknown_feature_dimension_broadcasts_as_tensorflow_infers_it():
    keras.utils.set_random_seed(5)
    inp = keras.Input(shape=(None, None))
    h = _AddPositions(12, 16, name="pos")(inp)
    assert tuple(h.shape) == (None, None, 16)
    pooled = layers.GlobalMaxPooling1D()(h)
    assert tuple(pooled.shape) == (None, 16)
    out = layers.Dense(2, activation="softmax")(pooled)
    model = keras.Model(inp, out)
    x = RNG.normal(size=(6, 5, 16)).astype("float32")
    table = model.get_layer("pos").table.get_weights()[0].astype("float64")
    dense_w, dense_b = (w.astype("float64") for w in model.layers[-1].get_weights())
    logits = (x.astype("float64") + table[:5]).max(axis=1) @ dense_w + dense_b
    ref = np.exp(logits - logits.max(1, keepdims=True))
    ref /= ref.sum(1, keepdims=True)
    np.testing.assert_allclose(model.predict(x, verbose=0), ref, rtol=1e-5, atol=1e-6)
    # a real mismatch still names the layer: 16 features cannot meet a Dense built for 3
    with pytest.raises(ValueError, match=r"\[pos2\]"):
        _AddPositions(12, 16, name="pos2")(keras.Input((None, 3)))


# ---- tf.tile of a Keras tensor; a pooled summary tiled back to the points (pointnet_segmentation)
def test_tiled_global_max_pool_concatenated_with_points_matches_numpy_and_saves(tmp_path):
    import pyengine as tf
    keras.utils.set_random_seed(11)
    n = 16
    inp = keras.Input(shape=(None, 3))
    feats = layers.Conv1D(4, kernel_size=1, name="feats")(inp)
    pooled = layers.MaxPool1D(pool_size=n)(feats)
    tiled = tf.tile(pooled, [1, n, 1])
    assert tuple(tiled.shape) == (None, None, 4)
    both = layers.Concatenate()([feats, tiled])
    assert tuple(both.shape) == (None, None, 8)
    out = layers.Conv1D(2, kernel_size=1, activation="softmax", name="head")(both)
    model = keras.Model(inp, out)
    x = RNG.normal(size=(3, n, 3)).astype("float32")
    w1, b1 = (a.astype("float64") for a in model.get_layer("feats").get_weights())
    w2, b2 = (a.astype("float64") for a in model.get_layer("head").get_weights())
    f = x.astype("float64") @ w1[0] + b1
    cat = np.concatenate([f, np.repeat(f.max(axis=1, keepdims=True), n, axis=1)], -1)
    logits = cat @ w2[0] + b2
    ref = np.exp(logits - logits.max(-1, keepdims=True))
    ref /= ref.sum(-1, keepdims=True)
    np.testing.assert_allclose(model.predict(x, verbose=0), ref, rtol=1e-5, atol=1e-6)
    model.compile("adam", "categorical_crossentropy")
    y = np.eye(2, dtype="float32")[(x[..., 0] > 0).astype(int)]
    hist = model.fit(x, y, epochs=5, verbose=0)
    assert hist.history["loss"][-1] < hist.history["loss"][0]
    path = str(tmp_path / "seg.keras")
    model.save(path)
    np.testing.assert_array_equal(keras.models.load_model(path).predict(x, verbose=0),
                                  model.predict(x, verbose=0))
