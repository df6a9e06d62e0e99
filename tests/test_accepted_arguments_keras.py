"""Arguments that keras' evaluate / predict / train_on_batch, keras.ops, keras.random and
pe.random accept must act: each test here fails when the argument is ignored."""
import numpy as np
import pytest

import pyengine as pe
from pyengine import keras


def _model(seed=0):
    pe.manual_seed(seed)
    m = keras.Sequential([keras.Input((3,)), keras.layers.Dense(2, activation="softmax")])
    m.compile(optimizer=keras.optimizers.SGD(0.5), loss="sparse_categorical_crossentropy",
              metrics=["accuracy"])
    return m


class _Recorder(keras.callbacks.Callback):
    def __init__(self):
        super().__init__()
        self.calls = []

    def __getattribute__(self, name):
        if name.startswith("on_"):
            calls = object.__getattribute__(self, "calls")
            return lambda *a, **k: calls.append((name,) + tuple(
                x if not isinstance(x, dict) else sorted(x) for x in a))
        return object.__getattribute__(self, name)


def _data(n=10):
    rng = np.random.default_rng(1)
    return rng.normal(size=(n, 3)).astype(np.float32), (np.arange(n) % 2).astype(np.int64)


def test_evaluate_calls_test_hooks():
    x, y = _data()
    rec = _Recorder()
    _model().evaluate(x, y, batch_size=4, verbose=0, callbacks=[rec])
    names = [c[0] for c in rec.calls]
    assert names == ["on_test_begin"] + ["on_test_batch_begin", "on_test_batch_end"] * 3 + \
        ["on_test_end"]
    assert rec.calls[2] == ("on_test_batch_end", 0, ["accuracy", "loss"])
    assert rec.calls[-1] == ("on_test_end", ["accuracy", "loss"])


def test_predict_calls_predict_hooks_with_outputs():
    x, _ = _data()
    seen = []

    class Grab(keras.callbacks.Callback):
        def on_predict_batch_end(self, batch, logs=None):
            seen.append((batch, logs["outputs"].shape))

        def on_predict_end(self, logs=None):
            seen.append("end")

    _model().predict(x, batch_size=4, verbose=0, callbacks=[Grab()])
    assert seen == [(0, (4, 2)), (1, (4, 2)), (2, (2, 2)), "end"]


def test_callbacks_must_be_callbacks_in_evaluate_and_predict():
    x, y = _data()
    with pytest.raises(TypeError, match=r"\[evaluate\] callbacks"):
        _model().evaluate(x, y, verbose=0, callbacks=[lambda: None])
    with pytest.raises(TypeError, match=r"\[predict\] callbacks"):
        _model().predict(x, verbose=0, callbacks=[object()])


def test_predict_verbose(capsys):
    x, _ = _data()
    m = _model()
    m.predict(x, batch_size=4, verbose=0)
    assert capsys.readouterr().out == ""
    m.predict(x, batch_size=4, verbose=1)
    assert "3/3" in capsys.readouterr().out


def test_train_on_batch_class_weight_equals_sample_weight():
    x, y = _data()
    cw = {0: 0.25, 1: 3.0}
    a, b = _model(), _model()
    la = a.train_on_batch(x, y, class_weight=cw)
    lb = b.train_on_batch(x, y, sample_weight=np.where(y == 1, 3.0, 0.25).astype(np.float32))
    np.testing.assert_allclose(la, lb, rtol=1e-6)
    for wa, wb in zip(a.get_weights(), b.get_weights()):
        np.testing.assert_allclose(wa, wb, rtol=1e-6)
    c = _model()
    lc = c.train_on_batch(x, y)
    assert not np.allclose(la, lc)
    with pytest.raises(ValueError, match=r"\[train_on_batch\] class_weight"):
        _model().train_on_batch(x, y, sample_weight=np.ones(10), class_weight=cw)
    with pytest.raises(ValueError, match="no entry for classes"):
        _model().train_on_batch(x, y, class_weight={0: 1.0})


@pytest.mark.parametrize("make", [
    lambda d: keras.ops.ones((2, 3), dtype=d), lambda d: keras.ops.zeros((2,), dtype=d),
    lambda d: keras.ops.ones_like(np.zeros((2, 2), np.float32), dtype=d),
    lambda d: keras.ops.zeros_like(np.zeros((2, 2), np.float32), dtype=d),
    lambda d: keras.ops.arange(0, 5, dtype=d), lambda d: keras.ops.linspace(0, 1, 5, dtype=d),
    lambda d: keras.ops.full((2, 2), 3, dtype=d), lambda d: keras.ops.eye(3, dtype=d),
    lambda d: keras.ops.one_hot(np.array([0, 2]), 3, dtype=d),
])
def test_keras_ops_creation_dtype(make):
    assert make("float64").numpy().dtype == np.float64
    assert make("int32").numpy().dtype == np.int32


def test_keras_ops_arange_step_with_one_bound():
    np.testing.assert_array_equal(keras.ops.arange(6, step=2).numpy(), [0, 2, 4])
    np.testing.assert_array_equal(keras.ops.arange(5).numpy(), np.arange(5))


def test_keras_ops_one_hot_axis():
    idx = np.array([[0, 1], [2, 0]])
    ref = np.eye(3, dtype=np.float32)[idx]                 # (2, 2, 3)
    np.testing.assert_array_equal(keras.ops.one_hot(idx, 3).numpy(), ref)
    np.testing.assert_array_equal(keras.ops.one_hot(idx, 3, axis=0).numpy(),
                                  np.moveaxis(ref, -1, 0))
    np.testing.assert_array_equal(keras.ops.one_hot(idx, 3, axis=1).numpy(),
                                  np.moveaxis(ref, -1, 1))
    with pytest.raises(ValueError, match="axis=5"):
        keras.ops.one_hot(idx, 3, axis=5)


@pytest.mark.parametrize("draw", [
    lambda d, s: pe.random.normal((50,), dtype=d, seed=s),
    lambda d, s: pe.random.uniform((50,), dtype=d, seed=s),
    lambda d, s: keras.random.normal((50,), dtype=d, seed=s),
    lambda d, s: keras.random.uniform((50,), dtype=d, seed=s),
    lambda d, s: keras.random.normal((50,), dtype=d, seed=keras.random.SeedGenerator(s)),
    lambda d, s: keras.backend.random_normal((50,), dtype=d, seed=s),
    lambda d, s: keras.backend.random_uniform((50,), dtype=d, seed=s),
])
def test_random_dtype(draw):
    a, b = draw("float64", 3), draw(None, 3)
    assert a.numpy().dtype == np.float64 and b.numpy().dtype == np.float32
    # the same stream, only the precision differs
    np.testing.assert_allclose(a.numpy(), b.numpy(), rtol=1e-6)
    with pytest.raises(ValueError, match="dtype='bool' is not supported"):
        draw("bool", 3)


def test_random_uniform_integer_dtype():
    v = pe.random.uniform((1000,), 2, 7, dtype="int32", seed=0).numpy()
    assert v.dtype == np.int32 and v.min() == 2 and v.max() == 6
    with pytest.raises(ValueError, match=r"\[uniform\] an integer dtype"):
        pe.random.uniform((3,), 0.0, 1.5, dtype="int64")
    with pytest.raises(ValueError, match="keras.random.uniform"):
        keras.random.uniform((3,), 0, 5, dtype="int32")


def test_keras_ops_linspace_endpoint_and_axis():
    np.testing.assert_allclose(keras.ops.linspace(0, 1, 4, endpoint=False).numpy(),
                               [0, 0.25, 0.5, 0.75])
    two = keras.ops.linspace([0.0, 10.0], [1.0, 20.0], 3, axis=1).numpy()
    np.testing.assert_allclose(two, [[0, 0.5, 1], [10, 15, 20]])
    assert two.dtype == np.float32
    with pytest.raises(ValueError, match=r"\[keras.ops.linspace\].*axis=2"):
        keras.ops.linspace(0, 1, 3, axis=2)


@pytest.mark.parametrize("n, m, k", [(3, 4, 1), (4, 3, -2), (3, None, 0), (2, 2, 5), (3, 3, -5)])
def test_keras_ops_eye_k(n, m, k):
    np.testing.assert_array_equal(keras.ops.eye(n, m, k=k).numpy(),
                                  np.eye(n, m, k, dtype=np.float32))


def test_fit_validation_calls_test_hooks_between_epochs():
    # Keras 3 runs fit's validation through evaluate with fit's callbacks: on_test_* fire
    # once per validated epoch, before on_epoch_end, with the un-prefixed validation logs.
    x, y = _data()
    rec = _Recorder()
    _model().fit(x, y, batch_size=5, epochs=2, verbose=0, validation_data=(x[:6], y[:6]),
                 validation_batch_size=4, callbacks=[rec])
    names = [c[0] for c in rec.calls if c[0].startswith(("on_test", "on_epoch"))]
    one_epoch = ["on_epoch_begin", "on_test_begin"] + \
        ["on_test_batch_begin", "on_test_batch_end"] * 2 + ["on_test_end", "on_epoch_end"]
    assert names == one_epoch * 2
    ends = [c for c in rec.calls if c[0] in ("on_test_end", "on_epoch_end")]
    assert ends[0] == ("on_test_end", ["accuracy", "loss"])
    assert ends[1] == ("on_epoch_end", 0, ["accuracy", "loss", "val_accuracy", "val_loss"])


def test_fit_validation_freq_skips_test_hooks():
    x, y = _data()
    rec = _Recorder()
    _model().fit(x, y, epochs=3, verbose=0, validation_data=(x, y), validation_freq=2,
                 callbacks=[rec])
    assert [c[0] for c in rec.calls].count("on_test_begin") == 1
