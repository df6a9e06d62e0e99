"""Keras optimizers' use_ema: the moving average of the updated variables (Keras' rule), the
periodic overwrite, finalize_variable_values, fit ending on the averages, and argument errors."""
import numpy as np
import pytest

import pyengine as pe
from pyengine import keras


def _variable(values):
    return pe.nn.Parameter(pe.tensor(np.asarray(values, np.float32)))


def _updates(opt, w, grads):
    """Applies each gradient in turn; returns the variable's value after each update."""
    seen = []
    for g in grads:
        opt.apply_gradients([(pe.tensor(np.asarray(g, np.float32)), w)])
        seen.append(w.detach().numpy().copy())
    return seen


def test_average_follows_keras_rule():
    w = _variable([1.0, -2.0])
    opt = keras.optimizers.SGD(0.5, use_ema=True, ema_momentum=0.9)
    values = _updates(opt, w, [[1.0, 2.0], [0.5, -1.0], [2.0, 0.0]])
    avg = values[0].astype(np.float64)  # the first update: the average is the variable
    for v in values[1:]:
        avg = 0.9 * avg + 0.1 * v
    np.testing.assert_allclose(opt._averages[w], avg, rtol=1e-6)
    np.testing.assert_array_equal(w.detach().numpy(), values[-1])  # training weights untouched
    opt.finalize_variable_values([w])
    np.testing.assert_allclose(w.detach().numpy(), avg, rtol=1e-6)


def test_overwrite_frequency():
    w = _variable([0.0])
    opt = keras.optimizers.SGD(1.0, use_ema=True, ema_momentum=0.5, ema_overwrite_frequency=2)
    after = _updates(opt, w, [[-1.0], [-1.0]])
    # update 1: w = 1, avg = 1; update 2: w = 2, avg = 1.5, then copied into w
    np.testing.assert_allclose(after, [[1.0], [1.5]])


def test_without_use_ema_nothing_is_averaged():
    w = _variable([0.0])
    opt = keras.optimizers.Adam(0.1)
    _updates(opt, w, [[1.0]])
    before = w.detach().numpy().copy()
    opt.finalize_variable_values([w])
    np.testing.assert_array_equal(w.detach().numpy(), before)
    assert not opt._averages


def test_fit_ends_on_the_averages():
    rng = np.random.default_rng(0)
    x = rng.standard_normal((64, 4)).astype(np.float32)
    y = (x @ np.array([1.0, -1.0, 0.5, 2.0], np.float32))[:, None]
    pe.manual_seed(0)
    model = keras.Sequential([keras.Input((4,)), keras.layers.Dense(1)])
    opt = keras.optimizers.SGD(0.05, use_ema=True, ema_momentum=0.8)
    model.compile(optimizer=opt, loss="mse")
    seen = []

    class Record(keras.callbacks.Callback):
        def on_train_batch_end(self, batch, logs=None):
            seen.append(model.layers[0].kernel.detach().numpy().copy())

    model.fit(x, y, batch_size=16, epochs=2, verbose=0, callbacks=[Record()])
    avg = seen[0].astype(np.float64)
    for v in seen[1:]:
        avg = 0.8 * avg + 0.2 * v
    np.testing.assert_allclose(model.layers[0].kernel.detach().numpy(), avg, rtol=1e-5)
    assert not np.allclose(avg, seen[-1])


def test_config_round_trip():
    opt = keras.optimizers.Adam(1e-3, use_ema=True, ema_momentum=0.95, ema_overwrite_frequency=10)
    cfg = opt.get_config()
    assert (cfg["use_ema"], cfg["ema_momentum"], cfg["ema_overwrite_frequency"]) == (True, 0.95, 10)
    # Keras optimizers here have no from_config: the config is the constructor's arguments
    again = keras.optimizers.Adam(**{k: v for k, v in cfg.items() if k != "name"})
    assert again.use_ema and again.ema_momentum == 0.95


@pytest.mark.parametrize("kwargs, match", [
    ({"use_ema": "yes"}, "use_ema must be a bool"),
    ({"use_ema": True, "ema_momentum": 1.5}, "ema_momentum"),
    ({"use_ema": True, "ema_overwrite_frequency": 0}, "ema_overwrite_frequency"),
])
def test_bad_arguments(kwargs, match):
    with pytest.raises(ValueError, match=match):
        keras.optimizers.SGD(0.1, **kwargs)
