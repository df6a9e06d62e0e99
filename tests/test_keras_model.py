"""pe.keras: Sequential, layers, compile / fit / evaluate / predict / summary, callbacks, weights
on disk, datasets and the errors users meet. Synthetic data only."""
import os

import numpy as np
import pytest

import pyengine as pe
from pyengine import keras
from pyengine.keras import callbacks, layers


def churn_like(n=400, seed=0):
    rng = np.random.default_rng(seed)
    x = rng.normal(size=(n, 11)).astype(np.float32)
    y = ((x[:, 0] - x[:, 3] + 0.3 * rng.normal(size=n)) > 0.4).astype(np.float32)
    return x, y


def tutorial_model():
    pe.manual_seed(0)
    m = keras.models.Sequential()
    m.add(layers.Dense(units=6, kernel_initializer="uniform", activation="relu", input_dim=11))
    m.add(layers.Dense(units=6, kernel_initializer="uniform", activation="relu"))
    m.add(layers.Dense(units=1, kernel_initializer="uniform", activation="sigmoid"))
    return m


def test_import_paths_and_version():
    import pyengine.keras.layers
    import pyengine.keras.models
    assert pe.keras.models.Sequential is keras.Sequential
    assert pyengine.keras.layers.Dense is layers.Dense
    assert isinstance(pe.__version__, str)
    np.testing.assert_allclose(pe.nn.softmax(np.array([[0.0, 0.0]], np.float32)).numpy(), [[0.5, 0.5]])


def test_churn_tutorial_learns():
    x, y = churn_like()
    m = tutorial_model()
    m.compile(optimizer="adam", loss="binary_crossentropy", metrics=["accuracy"])
    h = m.fit(x, y, batch_size=10, epochs=20, verbose=0)
    assert set(h.history) == {"loss", "accuracy"} and len(h.history["loss"]) == 20
    loss, acc = m.evaluate(x, y, verbose=0)
    assert acc > 0.85 and loss < h.history["loss"][0]
    p = m.predict(x)
    assert p.shape == (400, 1) and isinstance(p, np.ndarray) and ((p > 0) & (p < 1)).all()


def test_dense_config_and_layout():
    d = layers.Dense(3, use_bias=False)
    out = d(np.ones((2, 4), np.float32))
    assert d.kernel.shape == (4, 3) and d.bias is None and out.shape == (2, 3)
    np.testing.assert_allclose(out.numpy(), np.ones((2, 4)) @ d.kernel.data, rtol=1e-6)
    with pytest.raises(ValueError, match="Received: units=0"):
        layers.Dense(0)
    with pytest.raises(ValueError, match="Valid names"):
        layers.Dense(2, activation="relux")
    with pytest.raises(ValueError, match="Valid names"):
        layers.Dense(2, kernel_initializer="unifrom")
    u = layers.Dense(50, kernel_initializer="uniform")
    u.build((None, 40))
    assert np.abs(u.kernel.data).max() <= 0.05 and (u.bias.data == 0).all()


def test_models_callable_on_numpy_and_tensors_and_nestable():
    pe.manual_seed(1)
    inner = keras.Sequential([layers.Flatten(input_shape=(4, 4)), layers.Dense(5, activation="relu")])
    outer = keras.Sequential([inner, layers.Dense(3), layers.Softmax()])
    x = np.random.rand(6, 4, 4)
    a, b = outer(x).numpy(), outer(pe.tensor(x.astype(np.float32))).numpy()
    np.testing.assert_allclose(a, b)
    np.testing.assert_allclose(a.sum(1), 1, rtol=1e-5)
    assert len(outer.weights) == 4 and outer.count_params() == 16 * 5 + 5 + 5 * 3 + 3
    outer.compile("sgd", "categorical_crossentropy", metrics=["accuracy"])
    outer.fit(x, keras.utils.to_categorical(np.arange(6) % 3, 3), epochs=2, verbose=0)


def test_layers_zoo_shapes():
    x = np.random.rand(2, 3, 4).astype(np.float32)
    assert layers.Reshape((4, 3))(x).shape == (2, 4, 3)
    assert layers.Activation("tanh")(x).shape == (2, 3, 4)
    assert layers.Dropout(0.5)(x).numpy() is not None
    np.testing.assert_array_equal(layers.Dropout(0.5)(x, training=False).numpy(), x)


def test_trainable_false_freezes_layer():
    x, y = churn_like(100)
    m = tutorial_model()
    m.layers[0].trainable = False
    before = m.layers[0].get_weights()
    m.compile("adam", "binary_crossentropy")
    for jit in ("auto", False):
        m.compile("adam", "binary_crossentropy", jit_compile=jit)
        m.fit(x, y, epochs=2, batch_size=10, verbose=0)
        for a, b in zip(before, m.layers[0].get_weights()):
            np.testing.assert_array_equal(a, b)
    assert len(m.trainable_weights) == 4 and len(m.non_trainable_weights) == 2


def test_compile_accepts_objects_and_loss_objects_are_callable():
    loss = keras.losses.SparseCategoricalCrossentropy(from_logits=True)
    v = loss(np.array([0, 1]), np.array([[2.0, 0.0], [0.0, 2.0]], np.float32))
    np.testing.assert_allclose(v.numpy(), np.log(1 + np.exp(-2.0)), rtol=1e-5)
    bce = keras.losses.BinaryCrossentropy()
    np.testing.assert_allclose(bce(np.array([[1.0]]), np.array([[0.0]], np.float32)).numpy(),
                               -np.log(1e-7), rtol=1e-4)  # Keras' epsilon clipping
    m = keras.Sequential([layers.Dense(3, input_shape=(4,))])
    m.compile(optimizer=keras.optimizers.Adam(learning_rate=0.01), loss=loss, metrics=["acc"])
    m.fit(np.random.rand(20, 4), np.arange(20) % 3, epochs=1, verbose=0)
    for opt in ("sgd", "rmsprop", "adam"):
        m.compile(opt, "mse")
        m.fit(np.random.rand(20, 4), np.random.rand(20, 3), epochs=1, verbose=0)


def test_unknown_names_list_valid_choices():
    m = keras.Sequential([layers.Dense(1, input_shape=(2,))])
    with pytest.raises(ValueError, match="Valid names: .*adam"):
        m.compile(optimizer="adamm", loss="mse")
    with pytest.raises(ValueError, match="Valid names: .*binary_crossentropy"):
        m.compile(optimizer="adam", loss="binary_crossentropyy")
    with pytest.raises(ValueError, match="Valid names: accuracy"):
        m.compile(optimizer="adam", loss="mse", metrics=["acuracy"])


def test_bad_input_errors():
    x, y = churn_like(50)
    m = tutorial_model()
    with pytest.raises(RuntimeError, match="compile"):
        m.fit(x, y)
    m.compile("adam", "binary_crossentropy")
    with pytest.raises(ValueError, match="expected input of shape"):
        m.fit(x[:, :10], y, verbose=0)
    with pytest.raises(ValueError, match="expected input of shape"):
        m.predict(np.zeros((3, 12)))
    with pytest.warns(UserWarning, match=r"labels outside \[0, 1\]"):  # computed, as Keras
        m.fit(x, y * 3, verbose=0)
    with pytest.raises(ValueError, match="labels have shape"):
        m.fit(x, np.stack([y, y], 1), verbose=0)
    with pytest.raises(ValueError, match="different numbers of samples"):
        m.fit(x, y[:10], verbose=0)
    c = keras.Sequential([layers.Dense(3, input_shape=(11,))])
    c.compile("adam", keras.losses.SparseCategoricalCrossentropy(from_logits=True))
    with pytest.raises(ValueError, match=r"labels must be in \[0, 3\)"):
        c.fit(x, np.full(50, 3), verbose=0)
    c.compile("adam", "categorical_crossentropy")
    with pytest.raises(ValueError, match="one-hot"):
        c.fit(x, np.zeros(50), verbose=0)


@pytest.mark.parametrize("jit", ["auto", False])
def test_nonfinite_loss_stops_with_clear_message(jit):
    x, y = churn_like(50)
    x[7, 0] = np.nan
    m = tutorial_model()
    m.compile("adam", "mse", jit_compile=jit)
    with pytest.raises(FloatingPointError, match="NaN|nan"):
        m.fit(x, y, batch_size=10, shuffle=False, verbose=0)


def test_terminate_on_nan_callback():
    x, y = churn_like(50)
    x[7, 0] = np.inf
    m = tutorial_model()
    m.compile("adam", "mse")
    h = m.fit(x, y, batch_size=10, epochs=3, verbose=0, shuffle=False,
              callbacks=[callbacks.TerminateOnNaN()])
    assert len(h.history["loss"]) == 1


def test_validation_split_and_early_stopping_restores_best(tmp_path):
    x, y = churn_like(300)
    m = tutorial_model()
    m.compile("adam", "binary_crossentropy", metrics=["accuracy"])
    es = callbacks.EarlyStopping(monitor="val_loss", patience=1, restore_best_weights=True)
    ck = callbacks.ModelCheckpoint(str(tmp_path / "best.weights.h5"), save_best_only=True)
    seen = []
    lam = callbacks.LambdaCallback(on_epoch_end=lambda epoch, logs: seen.append(epoch))
    h = m.fit(x, y, batch_size=10, epochs=200, validation_split=0.2, callbacks=[es, ck, lam],
              verbose=0)
    assert {"loss", "accuracy", "val_loss", "val_accuracy"} <= set(h.history)
    assert len(seen) == len(h.history["loss"]) < 200
    assert m.evaluate(x[240:], y[240:], verbose=0)[0] == pytest.approx(min(h.history["val_loss"]), rel=1e-4)
    assert os.path.exists(tmp_path / "best.weights.h5")


def test_batch_callbacks_see_every_batch():
    x, y = churn_like(95)
    m = tutorial_model()
    m.compile("adam", "binary_crossentropy")
    batches = []
    m.fit(x, y, batch_size=10, epochs=1, verbose=0,
          callbacks=[callbacks.LambdaCallback(on_batch_end=lambda b, logs: batches.append(b))])
    assert batches == list(range(10))


def test_validation_data_and_summary(capsys):
    x, y = churn_like(100)
    m = tutorial_model()
    m.compile("adam", "binary_crossentropy", metrics=["accuracy"])
    m.fit(x, y, validation_data=(x[:20], y[:20]), epochs=1, verbose=1)
    m.summary()
    out = capsys.readouterr().out
    assert "Epoch 1/1" in out and "val_accuracy" in out and "4/4 [" in out
    assert "(None, 6)" in out and "Total params: 121" in out


def test_save_and_load_weights_roundtrip_and_atomic(tmp_path, monkeypatch):
    x, _ = churn_like(20)
    m = tutorial_model()
    path = tmp_path / "w.weights.h5"
    m.save_weights(path)
    m2 = tutorial_model()
    for layer in m2.layers:
        layer.set_weights([w * 0 for w in layer.get_weights()])
    m2.load_weights(path)
    np.testing.assert_array_equal(m.predict(x), m2.predict(x))
    # a failed write leaves the old file intact and no temp file behind
    old = path.read_bytes()
    monkeypatch.setattr(np, "savez", lambda *a, **k: (_ for _ in ()).throw(OSError("disk full")))
    with pytest.raises(OSError):
        m.save_weights(path)
    assert path.read_bytes() == old and os.listdir(tmp_path) == ["w.weights.h5"]
    small = keras.Sequential([layers.Dense(1, input_shape=(11,))])
    with pytest.raises(ValueError, match="holds 6 weights"):
        small.load_weights(path)


def test_mnist_loader_from_pyengine_home(tmp_path, monkeypatch):
    d = tmp_path / "datasets"
    d.mkdir()
    rng = np.random.default_rng(0)
    np.savez(d / "mnist.npz", x_train=rng.integers(0, 255, (30, 28, 28), dtype=np.uint8),
             y_train=rng.integers(0, 10, 30, dtype=np.uint8),
             x_test=rng.integers(0, 255, (10, 28, 28), dtype=np.uint8),
             y_test=rng.integers(0, 10, 10, dtype=np.uint8))
    monkeypatch.setenv("PYENGINE_HOME", str(tmp_path))
    (xt, yt), (xs, ys) = keras.datasets.mnist.load_data()
    assert xt.shape == (30, 28, 28) and ys.shape == (10,) and xt.dtype == np.uint8
    # the quickstart model trains on it
    m = keras.Sequential([layers.Flatten(input_shape=(28, 28)), layers.Dense(16, activation="relu"),
                          layers.Dropout(0.2), layers.Dense(10)])
    m.compile("adam", keras.losses.SparseCategoricalCrossentropy(from_logits=True), ["accuracy"])
    m.fit(xt / 255.0, yt, epochs=1, verbose=0)
    assert len(m.evaluate(xs / 255.0, ys, verbose=0)) == 2


def test_mnist_loader_offline_message(tmp_path, monkeypatch):
    import urllib.request
    monkeypatch.setenv("PYENGINE_HOME", str(tmp_path))

    def offline(*a, **k):
        raise OSError("network is unreachable")
    monkeypatch.setattr(urllib.request, "urlopen", offline)
    with pytest.raises(OSError, match="offline.*mnist.npz"):
        keras.datasets.mnist.load_data()
    assert not any(p.name.startswith(".tmp") for p in (tmp_path / "datasets").iterdir())


def test_to_categorical():
    np.testing.assert_array_equal(keras.utils.to_categorical([0, 2], 3), [[1, 0, 0], [0, 0, 1]])
    with pytest.raises(ValueError):
        keras.utils.to_categorical([0, 5], 3)


def test_keras1_spellings_from_old_tutorials():
    x, y = churn_like(40)
    m = keras.Sequential()
    m.add(layers.Dense(output_dim=6, init="uniform", activation="relu", input_dim=11))
    m.add(layers.Dense(output_dim=1, init="uniform", activation="sigmoid"))
    assert np.abs(m.layers[0].kernel.data).max() <= 0.05
    m.compile(optimizer="adam", loss="binary_crossentropy", metrics=["accuracy"])
    h = m.fit(x, y, batch_size=10, nb_epoch=3, verbose=0)
    assert len(h.history["loss"]) == 3


def test_model_save_and_load_model(tmp_path):
    x, _ = churn_like(20)
    m = tutorial_model()
    inner = keras.Sequential([layers.Dense(4, activation="tanh", input_shape=(11,)),
                              layers.Dropout(0.1)])
    m2 = keras.Sequential([inner, layers.Dense(1, activation="sigmoid")], name="nested")
    for model in (m, m2):
        model.save(tmp_path / "model.keras")
        back = keras.models.load_model(tmp_path / "model.keras")
        np.testing.assert_array_equal(model.predict(x), back.predict(x))
    m.save_weights(tmp_path / "w.h5")
    with pytest.raises(ValueError, match="weights only"):
        keras.models.load_model(tmp_path / "w.h5")


def test_early_stopping_without_validation_warns_like_keras():
    x, y = churn_like(40)
    m = tutorial_model()
    m.compile("adam", "binary_crossentropy")
    with pytest.warns(UserWarning, match="val_loss"):
        h = m.fit(x, y, epochs=2, verbose=0, callbacks=[callbacks.EarlyStopping()])
    assert len(h.history["loss"]) == 2


@pytest.mark.parametrize("body,opt", [
    ("dense", lambda: keras.optimizers.Adam(0.01)),        # the fused trainer's path
    ("batchnorm", lambda: keras.optimizers.SGD(0.05, momentum=0.9)),  # the generic path
    ("dense", lambda: keras.optimizers.RMSprop(0.01))])
def test_save_load_resumes_training_bitwise(tmp_path, body, opt):
    # Keras saves the optimizer's variables: fit, save, load, fit == one uninterrupted fit
    rng = np.random.default_rng(0)
    x = rng.normal(size=(64, 5)).astype("float32")
    y = (x[:, 0] - x[:, 1] > 0).astype("float32")

    def make():
        pe.manual_seed(0)
        mid = [keras.layers.BatchNormalization()] if body == "batchnorm" else []
        m = keras.Sequential([keras.Input((5,)), keras.layers.Dense(4, activation="relu"), *mid,
                              keras.layers.Dense(1, activation="sigmoid")])
        m.compile(opt(), "binary_crossentropy", metrics=["accuracy"])
        return m
    whole = make()
    whole.fit(x, y, epochs=4, batch_size=16, shuffle=False, verbose=0)
    half = make()
    half.fit(x, y, epochs=2, batch_size=16, shuffle=False, verbose=0)
    half.save(tmp_path / "m.keras")
    loaded = keras.models.load_model(tmp_path / "m.keras")
    assert loaded.compiled and loaded.optimizer.iterations == 8
    assert type(loaded.optimizer) is type(whole.optimizer)
    loaded.fit(x, y, epochs=2, batch_size=16, shuffle=False, verbose=0)
    for a, b in zip(whole.get_weights(), loaded.get_weights()):
        np.testing.assert_array_equal(a, b)
    assert not keras.models.load_model(tmp_path / "m.keras", compile=False).compiled


def test_save_with_unsaveable_compile_arguments_loads_uncompiled(tmp_path):
    m = keras.Sequential([keras.Input((3,)), keras.layers.Dense(1)])
    m.compile("adam", loss=lambda yt, yp: ((yt - yp) ** 2).mean())
    m.fit(np.ones((4, 3), "float32"), np.ones((4, 1), "float32"), verbose=0)
    m.save(tmp_path / "m.keras")
    loaded = keras.models.load_model(tmp_path / "m.keras")
    assert not loaded.compiled
    np.testing.assert_array_equal(loaded.predict(np.ones((2, 3)), verbose=0),
                                  m.predict(np.ones((2, 3)), verbose=0))


def test_save_keeps_confusion_metrics_and_an_unsaveable_metric_leaves_it_uncompiled(tmp_path):
    # keras-io active_learning_review_classification evaluates a reloaded checkpoint and unpacks
    # [loss, accuracy, fn, fp]: the metrics (thresholds arrays inside) used to be dropped
    rng = np.random.default_rng(1)
    x = rng.normal(size=(32, 3)).astype("float32")
    y = (x[:, 0] > 0).astype("float32")
    m = keras.Sequential([keras.Input((3,)), keras.layers.Dense(1, activation="sigmoid")])
    metrics = [keras.metrics.BinaryAccuracy(), keras.metrics.FalseNegatives(),
               keras.metrics.FalsePositives(), keras.metrics.Precision(thresholds=0.7),
               keras.metrics.AUC(num_thresholds=50)]
    m.compile("rmsprop", "binary_crossentropy", metrics=metrics)
    m.fit(x, y, epochs=2, verbose=0)
    assert keras.metrics.Precision().thresholds == 0.5
    m.save(tmp_path / "m.keras")
    loaded = keras.models.load_model(tmp_path / "m.keras")
    want = m.evaluate(x, y, verbose=0)
    got = loaded.evaluate(x, y, verbose=0)
    assert len(got) == 6 and loaded.metrics[-2].thresholds == 0.7
    np.testing.assert_allclose(got, want, rtol=1e-6)
    m.compile("rmsprop", "binary_crossentropy", metrics=["accuracy", lambda yt, yp: yp])
    m.save(tmp_path / "f.keras")
    assert not keras.models.load_model(tmp_path / "f.keras").compiled  # not silently without


def test_metrics_unweighted_weighted_metrics_weighted_and_confusion_counts():
    # Keras 3: compile(metrics=) ignore sample_weight / class_weight; weighted_metrics use them
    x = np.array([[1.0], [2.0], [3.0], [4.0]], "float32")
    y = np.array([[0.0], [1.0], [1.0], [1.0]], "float32")
    m = keras.Sequential([keras.Input((1,)), keras.layers.Dense(1, activation="sigmoid")])
    m.compile("sgd", "binary_crossentropy", jit_compile=False,
              metrics=["accuracy", keras.metrics.TruePositives(name="tp"),
                       keras.metrics.FalseNegatives(name="fn"),
                       keras.metrics.FalsePositives(name="fp"),
                       keras.metrics.TrueNegatives(name="tn")],
              weighted_metrics=["accuracy"])
    m.set_weights([np.array([[0.0]], "float32"), np.array([1.0], "float32")])  # all p > 0.5
    out = m.evaluate(x, y, sample_weight=np.array([3.0, 1.0, 1.0, 1.0]), return_dict=True,
                     verbose=0)
    assert out["accuracy"] == 0.75 and out["weighted_accuracy"] == 0.5
    assert (out["tp"], out["fn"], out["fp"], out["tn"]) == (3.0, 0.0, 1.0, 0.0)


def test_more_losses_against_numpy():
    y = np.array([[0.0, 1.0], [1.0, 0.0]], np.float32)
    p = np.array([[0.3, 0.8], [-0.5, 0.2]], np.float32)
    probs = np.array([[0.3, 0.7], [0.6, 0.4]], np.float32)
    e = (p - y).astype(np.float64)
    a = np.abs(e)
    q = np.minimum(a, 1.0)
    yc = np.clip(y, 1e-7, 1)
    un = lambda v: v / np.linalg.norm(v, axis=-1, keepdims=True)  # noqa: E731
    for loss, want in [
            (keras.losses.Hinge(), np.mean(np.maximum(1 - (2 * y - 1) * p, 0))),
            (keras.losses.SquaredHinge(), np.mean(np.maximum(1 - (2 * y - 1) * p, 0) ** 2)),
            (keras.losses.Huber(), np.mean(0.5 * q * q + (a - q))),
            (keras.losses.LogCosh(), np.mean(np.log(np.cosh(e)))),
            (keras.losses.CosineSimilarity(), -np.mean(np.sum(un(y) * un(p), -1)))]:
        np.testing.assert_allclose(float(loss(y, p)), want, rtol=1e-5, atol=1e-7)
    np.testing.assert_allclose(float(keras.losses.KLDivergence()(y, probs)),
                               np.mean(np.sum(yc * np.log(yc / probs), -1)), rtol=1e-5)
    np.testing.assert_allclose(keras.losses.hinge(y, p).numpy(),
                               np.mean(np.maximum(1 - (2 * y - 1) * p, 0), -1), rtol=1e-6)
    m = keras.Sequential([keras.Input((2,)), keras.layers.Dense(2)])
    m.compile("adam", loss=keras.losses.hinge)  # keras_recipes/quasi_svm compiles this way
    h = m.fit(np.random.default_rng(0).random((16, 2)), np.tile(y, (8, 1)), epochs=2, verbose=0)
    assert np.isfinite(h.history["loss"]).all()


def test_binary_crossentropy_of_soft_labels_above_one_as_keras():
    # keras-team/keras cifar10_acgan trains its discriminator on labels drawn from U(0.7, 1.2)
    from pyengine import keras
    y = np.array([[1.2], [0.7], [0.9]])
    p = np.array([[0.8], [0.6], [0.3]], np.float32)
    got = float(keras.losses.BinaryCrossentropy()(y, p))  # (fit warns: test_bad_input_errors)
    pc = np.clip(p.astype(np.float64), 1e-7, 1 - 1e-7)
    want = np.mean(-(y * np.log(pc) + (1 - y) * np.log(1 - pc)))
    np.testing.assert_allclose(got, want, rtol=1e-5)
