"""A fixed batch dimension (keras.Input(batch_size=) / batch_shape=, InputLayer and first-layer
batch_input_shape=, input_shape= + batch_size=) is kept in the symbolic shape and saved, and
is the default batch size of fit / evaluate / predict; as in Keras 3 (which strips the batch
dimension from a model's input specs) other batch sizes and a ragged last batch still run."""
import numpy as np
import pytest

import pyengine as pe
from pyengine import keras


def _sequential(first):
    pe.manual_seed(0)
    m = keras.Sequential(first + [keras.layers.Dense(1)])
    m.compile(optimizer=keras.optimizers.SGD(0.05), loss="mse")
    return m


@pytest.mark.parametrize("first", [
    lambda: [keras.layers.Dense(2, batch_input_shape=(4, 3))],
    lambda: [keras.layers.Dense(2, input_shape=(3,), batch_size=4)],
    lambda: [keras.layers.InputLayer(batch_input_shape=(4, 3)), keras.layers.Dense(2)],
    lambda: [keras.Input((3,), batch_size=4), keras.layers.Dense(2)],
], ids=["batch_input_shape", "input_shape+batch_size", "InputLayer", "Input"])
def test_sequential_keeps_the_fixed_batch(first, tmp_path):
    m = _sequential(first())
    assert m.input_shape == (4, 3)
    assert m.output_shape == (4, 1)
    x = np.random.default_rng(0).normal(size=(12, 3)).astype(np.float32)
    y = x.sum(1, keepdims=True)
    hist = m.fit(x, y, epochs=3, verbose=0)       # batch_size None: the fixed one
    assert len(hist.history["loss"]) == 3
    assert m.predict(x, verbose=0).shape == (12, 1)
    steps = []
    cb = keras.callbacks.LambdaCallback(on_train_batch_end=lambda b, logs: steps.append(b))
    m.fit(x, y, epochs=1, verbose=0, callbacks=[cb])
    assert len(steps) == 3                          # 12 samples in batches of the fixed 4
    m.fit(x, y, batch_size=5, verbose=0)            # Keras 3 runs other sizes too
    assert m.predict(x[:10], verbose=0).shape == (10, 1)   # and a ragged last batch
    assert np.isfinite(m.evaluate(x[:7], y[:7], verbose=0))
    assert m.predict_on_batch(x[:3]).shape == (3, 1)
    assert m(x[:4]).shape == (4, 1)
    m.save(tmp_path / "s.keras")
    assert keras.models.load_model(tmp_path / "s.keras").input_shape == (4, 3)


def test_functional_fixed_batch_and_round_trip(tmp_path):
    inp = keras.Input(batch_shape=(2, 5))
    m = keras.Model(inp, keras.layers.Dense(3)(inp))
    assert m.input_shape == (2, 5) and m.output_shape == (2, 3)
    m.compile(optimizer="sgd", loss="mse")
    x = np.ones((6, 5), np.float32)
    m.fit(x, np.zeros((6, 3), np.float32), verbose=0)
    assert m.predict(x[:5], verbose=0).shape == (5, 3)
    m.train_on_batch(x[:3], np.zeros((3, 3), np.float32))
    m.save(tmp_path / "m.keras")
    back = keras.models.load_model(tmp_path / "m.keras")
    assert back.input_shape == (2, 5)
    np.testing.assert_array_equal(back.predict(x, verbose=0), m.predict(x, verbose=0))


def test_fixed_batch_model_takes_datasets():
    m = _sequential([keras.Input((3,), batch_size=4), keras.layers.Dense(2)])
    ds = pe.data.Dataset.from_tensor_slices((np.ones((10, 3), np.float32),
                                             np.ones((10, 1), np.float32))).batch(4)
    assert len(m.fit(ds, epochs=2, verbose=0).history["loss"]) == 2


def test_none_batch_is_unchanged():
    m = _sequential([keras.layers.Dense(2, input_shape=(3,))])
    assert m.input_shape == (None, 3)
    assert m.predict(np.ones((7, 3), np.float32), batch_size=3, verbose=0).shape == (7, 1)
