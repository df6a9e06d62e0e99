"""Original tests of the patterns of keras-io's guide "Writing your own callbacks": every hook
with the log keys Keras gives it, a callback that stops training and restores the best
weights, a learning-rate scheduler written with `keras.backend.get_value / set_value` on
`optimizer.lr` (Keras 2 form) or `optimizer.learning_rate.assign` (Keras 3 form), and
`steps_per_epoch` with array data. No program text of the guide is used."""
import numpy as np
import pytest

from pyengine import keras


def _linear(lr=0.1, optimizer="sgd"):
    model = keras.Sequential([keras.Input((3,)), keras.layers.Dense(1)])
    opt = keras.optimizers.SGD(learning_rate=lr) if optimizer == "sgd" else \
        keras.optimizers.RMSprop(learning_rate=lr)
    model.compile(optimizer=opt, loss="mean_squared_error", metrics=["mean_absolute_error"])
    return model


def _data(n=40, seed=0):
    rng = np.random.default_rng(seed)
    x = rng.standard_normal((n, 3)).astype("float32")
    return x, (x @ np.array([1.0, -2.0, 0.5], "float32") + 0.3)[:, None]


# ---- optimizer.learning_rate as an assignable value ------------------------------------------
def test_learning_rate_is_a_float_that_can_be_assigned():
    opt = keras.optimizers.RMSprop(learning_rate=0.1)
    lr = opt.learning_rate
    assert isinstance(lr, float) and lr == 0.1 and f"{lr:6.4f}" == "0.1000"
    assert float(keras.backend.get_value(opt.learning_rate)) == pytest.approx(0.1)
    opt.learning_rate.assign(0.05)
    assert opt.learning_rate == 0.05
    keras.backend.set_value(opt.lr, np.float32(0.01))
    assert opt.learning_rate == pytest.approx(0.01) and opt.lr == pytest.approx(0.01)
    opt.learning_rate.assign_add(0.02)
    assert opt.learning_rate == pytest.approx(0.03)
    assert opt.get_config()["learning_rate"] == pytest.approx(0.03)
    with pytest.raises(ValueError, match="one number"):
        opt.learning_rate.assign([0.1, 0.2])


def test_a_scheduled_learning_rate_cannot_be_assigned():
    sched = keras.optimizers.schedules.ExponentialDecay(0.1, decay_steps=10, decay_rate=0.5)
    opt = keras.optimizers.SGD(learning_rate=sched)
    with pytest.raises(TypeError, match="LearningRateSchedule"):
        opt.learning_rate.assign(0.01)
    with pytest.raises(TypeError, match="plain number"):
        keras.backend.set_value(0.1, 0.2)


def test_set_value_writes_a_weight():
    model = _linear()
    kernel = model.layers[0].kernel
    keras.backend.set_value(kernel, np.ones((3, 1), "float32"))
    np.testing.assert_array_equal(model.get_weights()[0], np.ones((3, 1)))
    with pytest.raises(ValueError, match="shape"):
        keras.backend.set_value(kernel, np.ones((2, 1), "float32"))


def test_scheduler_callback_sets_the_rate_each_epoch_uses():
    x, y = _data()
    schedule = {0: 0.1, 1: 0.05, 2: 0.01}

    class Scheduler(keras.callbacks.Callback):
        def on_epoch_begin(self, epoch, logs=None):
            current = float(keras.backend.get_value(self.model.optimizer.learning_rate))
            keras.backend.set_value(self.model.optimizer.lr, schedule.get(epoch, current))

    model = _linear()
    w, b = (a.astype(np.float64) for a in model.get_weights())
    model.fit(x, y, batch_size=len(x), epochs=3, shuffle=False, verbose=0,
              callbacks=[Scheduler()])
    for epoch in range(3):  # full-batch SGD on the MSE with the scheduled rates, in NumPy
        err = x @ w + b - y
        w = w - schedule[epoch] * 2 * x.T @ err / len(x)
        b = b - schedule[epoch] * 2 * err.mean(0)
    np.testing.assert_allclose(model.get_weights()[0], w, rtol=1e-4, atol=1e-6)
    np.testing.assert_allclose(model.get_weights()[1], b, rtol=1e-4, atol=1e-6)
    assert model.optimizer.learning_rate == pytest.approx(0.01)


# ---- steps_per_epoch with arrays -------------------------------------------------------------
def test_steps_per_epoch_with_arrays_continues_across_epochs():
    x = np.arange(10, dtype="float32")[:, None]
    seen = []

    class Probe(keras.layers.Layer):
        def call(self, inputs):
            seen.append(np.asarray(inputs).ravel().tolist())
            return inputs
    model = keras.Sequential([keras.Input((1,)), Probe(), keras.layers.Dense(1)])
    model.compile("sgd", "mse")
    seen.clear()  # the symbolic build ran the layer on example rows
    hist = model.fit(x, x, batch_size=4, steps_per_epoch=2, epochs=3, shuffle=False, verbose=0)
    assert len(hist.history["loss"]) == 3
    # 3 epochs x 2 steps walk through the rows and start a second pass
    assert seen == [[0, 1, 2, 3], [4, 5, 6, 7], [8, 9], [0, 1, 2, 3], [4, 5, 6, 7], [8, 9]]
    seen.clear()
    model.fit(x, x, batch_size=4, steps_per_epoch=3, epochs=2, verbose=0)  # shuffled passes
    for one_pass in (seen[:3], seen[3:]):
        assert sorted(v for batch in one_pass for v in batch) == list(range(10))


# ---- the hooks and their logs -----------------------------------------------------------------
def test_every_hook_gets_keras_log_keys():
    x, y = _data()
    events = []

    class Recorder(keras.callbacks.Callback):
        pass
    for hook in ("train_begin", "train_end", "test_begin", "test_end", "predict_begin",
                 "predict_end"):
        setattr(Recorder, f"on_{hook}",
                lambda self, logs=None, h=hook: events.append((h, sorted(logs or {}))))
    for hook in ("epoch_begin", "epoch_end", "train_batch_begin", "train_batch_end",
                 "test_batch_begin", "test_batch_end", "predict_batch_begin",
                 "predict_batch_end"):
        setattr(Recorder, f"on_{hook}",
                lambda self, i, logs=None, h=hook: events.append((h, i, sorted(logs or {}))))
    model = _linear()
    model.fit(x, y, batch_size=16, epochs=1, verbose=0, validation_split=0.5,
              callbacks=[Recorder()])
    metrics = ["loss", "mean_absolute_error"]
    assert events == [
        ("train_begin", []), ("epoch_begin", 0, []),
        ("train_batch_begin", 0, []), ("train_batch_end", 0, metrics),
        ("train_batch_begin", 1, []), ("train_batch_end", 1, metrics),
        ("test_begin", []),
        ("test_batch_begin", 0, []), ("test_batch_end", 0, metrics),
        ("test_batch_begin", 1, []), ("test_batch_end", 1, metrics),
        ("test_end", metrics),
        ("epoch_end", 0, metrics + ["val_loss", "val_mean_absolute_error"]),
        ("train_end", metrics + ["val_loss", "val_mean_absolute_error"])]
    events.clear()
    model.predict(x, batch_size=32, verbose=0, callbacks=[Recorder()])
    assert events == [("predict_begin", []), ("predict_batch_begin", 0, []),
                      ("predict_batch_end", 0, ["outputs"]), ("predict_batch_begin", 1, []),
                      ("predict_batch_end", 1, ["outputs"]), ("predict_end", [])]


def test_stopping_at_min_loss_restores_the_best_weights():
    x, y = _data()

    class StopAtMinLoss(keras.callbacks.Callback):
        def on_train_begin(self, logs=None):
            self.best, self.best_weights, self.per_epoch = np.inf, None, []

        def on_epoch_end(self, epoch, logs=None):
            self.per_epoch.append(logs["loss"])
            if logs["loss"] < self.best:
                self.best, self.best_weights = logs["loss"], self.model.get_weights()
            else:
                self.model.stop_training = True
                self.model.set_weights(self.best_weights)

    stopper = StopAtMinLoss()
    model = _linear(lr=0.9, optimizer="rmsprop")  # large steps: the loss turns back up
    hist = model.fit(x, y, batch_size=8, epochs=40, verbose=0, callbacks=[stopper])
    assert len(hist.history["loss"]) == len(stopper.per_epoch) < 40
    assert stopper.per_epoch[-1] >= stopper.best
    for a, b in zip(model.get_weights(), stopper.best_weights):
        np.testing.assert_array_equal(a, b)
