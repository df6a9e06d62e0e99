"""compile(steps_per_execution=N) (Keras 3): fit / evaluate / predict run every step, and call
the batch-level callbacks once per execution of N steps (the index where it began, the last
step's logs; predict's outputs of the whole execution), a short last execution included; the
training itself is the same as with N = 1. Saved with the compile configuration."""
import numpy as np
import pytest

import pyengine as pe
from pyengine import keras


class Recorder(keras.callbacks.Callback):
    def __init__(self):
        super().__init__()
        self.events = []

    def on_train_batch_end(self, batch, logs=None):
        self.events.append(("train", batch))

    def on_test_batch_end(self, batch, logs=None):
        self.events.append(("test", batch))

    def on_predict_batch_end(self, batch, logs=None):
        self.events.append(("predict", batch, len(logs["outputs"])))


def model(n):
    pe.manual_seed(0)
    m = keras.Sequential([keras.Input((3,)), keras.layers.Dense(4, activation="relu"),
                          keras.layers.Dense(1)])
    m.compile("sgd", "mse", steps_per_execution=n)
    return m


def test_callbacks_once_per_execution_and_the_same_training():
    x = np.random.default_rng(0).standard_normal((70, 3)).astype(np.float32)
    y = x.sum(1, keepdims=True)
    rec = Recorder()
    m3 = model(3)
    h3 = m3.fit(x, y, batch_size=10, epochs=2, shuffle=False, verbose=0, callbacks=[rec])
    # 7 batches per epoch: executions start at 0, 3, 6 (the last one step long)
    assert [e for e in rec.events if e[0] == "train"] == [("train", b) for b in (0, 3, 6)] * 2
    h1 = model(1).fit(x, y, batch_size=10, epochs=2, shuffle=False, verbose=0)
    np.testing.assert_allclose(h3.history["loss"], h1.history["loss"], rtol=1e-6)
    rec.events.clear()
    m3.evaluate(x, y, batch_size=20, verbose=0, callbacks=[rec])
    assert rec.events == [("test", 0), ("test", 3)]  # 4 batches: executions 0-2 and 3
    rec.events.clear()
    out = m3.predict(x, batch_size=20, verbose=0, callbacks=[rec])
    assert out.shape == (70, 1)
    assert rec.events == [("predict", 0, 60), ("predict", 3, 10)]


def test_values_and_saving(tmp_path):
    assert model("auto")._steps_per_execution == 1
    with pytest.raises(ValueError, match=r"\[compile\] steps_per_execution must be"):
        model(0)
    m = model(4)
    x = np.ones((8, 3), np.float32)
    m.fit(x, x[:, :1], verbose=0)
    m.save(tmp_path / "m.keras")
    assert keras.models.load_model(tmp_path / "m.keras")._steps_per_execution == 4
