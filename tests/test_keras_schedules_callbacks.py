"""keras.optimizers.schedules and the callbacks that steer or record training."""
import math
import os

import numpy as np
import pytest

import pyengine as pe
from pyengine import keras
from pyengine.keras import callbacks as C
from pyengine.keras.optimizers import schedules as S


def test_schedule_formulas():
    e = S.ExponentialDecay(0.1, decay_steps=10, decay_rate=0.5)
    assert e(0) == 0.1 and e(10) == pytest.approx(0.05) and e(5) == pytest.approx(0.1 * 0.5 ** .5)
    assert S.ExponentialDecay(0.1, 10, 0.5, staircase=True)(15) == pytest.approx(0.05)
    p = S.PiecewiseConstantDecay([10, 20], [1.0, 0.5, 0.1])
    assert [p(0), p(10), p(11), p(20), p(21)] == [1.0, 1.0, 0.5, 0.5, 0.1]
    c = S.CosineDecay(1.0, decay_steps=10, alpha=0.1)
    assert c(0) == pytest.approx(1.0) and c(10) == pytest.approx(0.1) and c(20) == \
        pytest.approx(0.1)
    assert c(5) == pytest.approx(0.9 * 0.5 + 0.1)
    w = S.CosineDecay(0.0, decay_steps=10, warmup_target=1.0, warmup_steps=4)
    assert w(2) == pytest.approx(0.5) and w(4) == pytest.approx(1.0)
    i = S.InverseTimeDecay(1.0, decay_steps=2, decay_rate=0.5)
    assert i(4) == pytest.approx(1 / 2) and S.InverseTimeDecay(1.0, 2, 0.5, True)(3) == \
        pytest.approx(1 / 1.5)
    assert S.PolynomialDecay(1.0, 10, 0.0)(5) == pytest.approx(0.5)
    assert S.deserialize(S.serialize(e))(10) == pytest.approx(0.05)
    with pytest.raises(ValueError, match="1 less"):
        S.PiecewiseConstantDecay([1, 2], [1.0])


def _xy():
    rng = np.random.default_rng(0)
    x = rng.standard_normal((32, 3)).astype(np.float32)
    return x, (x.sum(1, keepdims=True) > 0).astype(np.float32)


def _model(opt="sgd"):
    pe.manual_seed(0)
    m = keras.Sequential([keras.layers.Dense(4, activation="relu", input_shape=(3,)),
                          keras.layers.Dense(1, activation="sigmoid")])
    m.compile(opt, "binary_crossentropy", metrics=["accuracy"])
    return m


def test_optimizer_evaluates_its_schedule_each_step():
    sched = S.PiecewiseConstantDecay([2], [0.1, 0.0])  # lr 0 after the 3rd update
    opt = keras.optimizers.SGD(learning_rate=sched)
    m = _model(opt)
    x, y = _xy()
    m.fit(x, y, batch_size=8, epochs=1, verbose=0)  # 4 updates
    w = [np.array(v) for v in m.get_weights()]
    m.fit(x, y, batch_size=8, epochs=1, verbose=0)
    for a, b in zip(w, m.get_weights()):
        np.testing.assert_array_equal(a, np.array(b))
    assert opt.iterations == 8 and opt.learning_rate == 0.0


def test_learning_rate_scheduler_and_logs():
    m = _model(keras.optimizers.SGD(0.1))
    x, y = _xy()
    seen = []
    h = m.fit(x, y, epochs=3, verbose=0, callbacks=[
        C.LearningRateScheduler(lambda epoch, lr: lr * 0.5),
        C.LambdaCallback(on_epoch_begin=lambda e, logs: seen.append(m.optimizer.learning_rate))])
    assert seen == pytest.approx([0.05, 0.025, 0.0125])
    assert h.history["learning_rate"] == pytest.approx(seen)
    m.fit(x, y, epochs=1, verbose=0, callbacks=[C.LearningRateScheduler(lambda e: 0.3)])
    assert m.optimizer.learning_rate == pytest.approx(0.3)
    with pytest.raises(ValueError, match="float"):
        m.fit(x, y, epochs=1, verbose=0, callbacks=[C.LearningRateScheduler(lambda e: "x")])


def test_reduce_lr_on_plateau():
    m = _model(keras.optimizers.SGD(1.0))
    cb = C.ReduceLROnPlateau(monitor="loss", factor=0.5, patience=2, min_lr=0.2, cooldown=1)
    cb.set_model(m)
    cb.on_train_begin()
    lrs = []
    for epoch, loss in enumerate([1.0, 1.0, 1.0, 1.0, 1.0, 1.0, 1.0, 0.5]):
        logs = {"loss": loss}
        cb.on_epoch_end(epoch, logs)
        lrs.append(m.optimizer.learning_rate)
    assert lrs == pytest.approx([1.0, 1.0, 0.5, 0.5, 0.25, 0.25, 0.2, 0.2])  # Keras' rule
    with pytest.raises(ValueError, match="factor"):
        C.ReduceLROnPlateau(factor=1.5)


def test_csv_logger(tmp_path):
    m = _model()
    x, y = _xy()
    f = tmp_path / "log.csv"
    m.fit(x, y, epochs=2, verbose=0, validation_data=(x, y), callbacks=[C.CSVLogger(f)])
    lines = f.read_text().splitlines()
    assert lines[0] == "epoch,accuracy,loss,val_accuracy,val_loss" and len(lines) == 3
    m.fit(x, y, epochs=1, verbose=0, validation_data=(x, y), callbacks=[C.CSVLogger(f,
                                                                                    append=True)])
    assert len(f.read_text().splitlines()) == 4


def test_model_checkpoint_whole_model_weights_and_save_freq(tmp_path):
    m = _model()
    x, y = _xy()
    path = str(tmp_path / "m-{epoch:02d}.keras")
    m.fit(x, y, epochs=2, verbose=0, callbacks=[C.ModelCheckpoint(path, monitor="loss")])
    loaded = keras.models.load_model(str(tmp_path / "m-02.keras"))
    np.testing.assert_allclose(loaded.predict(x, verbose=0), m.predict(x, verbose=0), rtol=1e-6)
    wpath = str(tmp_path / "w.weights.h5")
    m.fit(x, y, epochs=1, verbose=0, callbacks=[C.ModelCheckpoint(wpath, save_weights_only=True)])
    other = _model()
    other.load_weights(wpath)
    np.testing.assert_allclose(other.predict(x, verbose=0), m.predict(x, verbose=0), rtol=1e-6)
    bpath = str(tmp_path / "b{epoch}-{batch}.weights.h5")
    m.fit(x, y, batch_size=8, epochs=1, verbose=0,
          callbacks=[C.ModelCheckpoint(bpath, save_weights_only=True, save_freq=2)])
    assert sorted(os.listdir(tmp_path))[:2] == ["b1-1.weights.h5", "b1-3.weights.h5"]
    best = str(tmp_path / "best.keras")
    cb = C.ModelCheckpoint(best, monitor="val_loss", save_best_only=True)
    m.fit(x, y, epochs=1, verbose=0, validation_data=(x, y), callbacks=[cb])
    assert os.path.exists(best) and math.isfinite(cb.best)
    with pytest.raises(ValueError, match=".keras"):
        C.ModelCheckpoint(str(tmp_path / "model.keras"), save_weights_only=True)
    h5 = str(tmp_path / "old_style.h5")  # Keras 2: a whole model at any path
    m.fit(x, y, epochs=1, verbose=0, callbacks=[C.ModelCheckpoint(h5)])
    assert keras.models.load_model(h5).predict(x, verbose=0).shape == (32, 1)


def test_backup_and_restore_resumes(tmp_path):
    x, y = _xy()
    backup = str(tmp_path / "backup")

    class Interrupt(C.Callback):
        def on_epoch_end(self, epoch, logs=None):
            if epoch == 1:
                raise KeyboardInterrupt
    m = _model(keras.optimizers.Adam(0.01))
    with pytest.raises(KeyboardInterrupt):
        m.fit(x, y, epochs=4, verbose=0, callbacks=[C.BackupAndRestore(backup), Interrupt()])
    assert os.path.exists(os.path.join(backup, "latest.pe"))
    m2 = _model(keras.optimizers.Adam(0.01))
    h = m2.fit(x, y, epochs=4, verbose=0, callbacks=[C.BackupAndRestore(backup)])
    assert h.epoch == [2, 3]  # backed up at the end of epoch 1, before the interrupt
    assert not os.path.exists(backup)


def test_keras2_batch_hooks_and_positional_logs():
    calls = []

    class Old(C.Callback):
        def on_batch_end(self, batch, logs={}):  # Keras 2 name and default
            calls.append(("batch", batch, "loss" in logs))

        def on_epoch_end(self, epoch, logs):  # logs positional, no default
            calls.append(("epoch", epoch))
    m = _model()
    x, y = _xy()
    m.fit(x, y, batch_size=16, epochs=1, verbose=0, callbacks=[Old()])
    assert calls == [("batch", 0, True), ("batch", 1, True), ("epoch", 0)]


@pytest.mark.parametrize("name,cls", [("adadelta", "Adadelta"), ("adamax", "Adamax"),
                                      ("nadam", "Nadam"), ("adamw", "AdamW")])
def test_keras_optimizers_train_and_match_pe_optim(name, cls):
    x, y = _xy()
    m = _model(name)
    before = m.evaluate(x, y, verbose=0)[0]
    m.fit(x, y, epochs=3, verbose=0)
    assert isinstance(m.optimizer, getattr(keras.optimizers, cls))
    assert m.evaluate(x, y, verbose=0)[0] < before or name == "adadelta"
    # one update through the Keras optimizer equals pe.optim's rule on the same gradient
    w = pe.tensor(np.ones(3, np.float32), requires_grad=True)
    w2 = pe.tensor(np.ones(3, np.float32), requires_grad=True)
    g = pe.tensor(np.array([0.5, -1.0, 2.0], np.float32))
    kopt = getattr(keras.optimizers, cls)(learning_rate=0.1)
    kopt.apply_gradients([(g, w)])
    ref = {"adadelta": lambda p: pe.optim.Adadelta(p, lr=0.1, rho=0.95, eps=1e-7),
           "adamax": lambda p: pe.optim.Adamax(p, lr=0.1, eps=1e-7),
           "nadam": lambda p: pe.optim.NAdam(p, lr=0.1, eps=1e-7, momentum_decay=0.004),
           "adamw": lambda p: pe.optim.AdamW(p, lr=0.1, eps=1e-7, weight_decay=0.004)}[name]([w2])
    w2.grad = g
    ref.step()
    np.testing.assert_allclose(w.detach().numpy(), w2.detach().numpy(), rtol=1e-6)
