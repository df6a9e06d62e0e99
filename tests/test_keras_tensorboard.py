"""keras.callbacks.TensorBoard (keras-io's built-in training guide constructs it): TensorBoard
event files written without TensorFlow, with Keras 3's tags, directories and steps; the
record framing (CRC-32C) checked against its published test vector; TensorBoard's own reader
when the package is installed."""
import glob
import os

import numpy as np
import pytest

from pyengine import keras
from pyengine.utils import tensorboard_events as tbe


def _fit(log_dir, **kwargs):
    rng = np.random.default_rng(0)
    x = rng.random((48, 3)).astype("float32")
    y = x.sum(1, keepdims=True)
    model = keras.Sequential([keras.Input((3,)), keras.layers.Dense(1)])
    model.compile(keras.optimizers.SGD(0.05), "mse", metrics=["mae"])
    hist = model.fit(x, y, epochs=3, batch_size=12, validation_split=0.25, verbose=0,
                     callbacks=[keras.callbacks.TensorBoard(log_dir, **kwargs)])
    return hist.history


def _scalars(log_dir, which):
    (path,) = glob.glob(os.path.join(log_dir, which, "events.out.tfevents.*"))
    out = {}
    for step, tag, value in tbe.read_scalars(path):
        out.setdefault(tag, []).append((step, value))
    return out


def test_crc32c_and_record_framing():
    assert tbe.crc32c(b"123456789") == 0xE3069283  # the CRC-32C check value
    data = tbe.event_bytes(1.5, 7, scalars=[("a", 2.0)])
    rec = tbe.record_bytes(data)
    assert len(rec) == len(data) + 16 and rec[12:-4] == data


def test_epoch_scalars_in_train_and_validation(tmp_path):
    log_dir = str(tmp_path / "logs")
    history = _fit(log_dir)
    train, val = _scalars(log_dir, "train"), _scalars(log_dir, "validation")
    assert set(train) == {"epoch_loss", "epoch_mae", "epoch_learning_rate"}
    assert [s for s, _ in train["epoch_loss"]] == [0, 1, 2]
    np.testing.assert_allclose([v for _, v in train["epoch_loss"]], history["loss"], rtol=1e-6)
    np.testing.assert_allclose([v for _, v in train["epoch_learning_rate"]], [0.05] * 3)
    np.testing.assert_allclose([v for _, v in val["epoch_mae"]], history["val_mae"], rtol=1e-6)
    # after each validation pass, at the optimizer's step count (3 batches per epoch)
    assert [s for s, _ in val["evaluation_loss_vs_iterations"]] == [3, 6, 9]


def test_batch_scalars_every_n_batches(tmp_path):
    log_dir = str(tmp_path / "logs")
    _fit(log_dir, update_freq=2, write_steps_per_second=True)
    train = _scalars(log_dir, "train")
    assert [s for s, _ in train["batch_loss"]] == [2, 4, 6, 8]
    assert all(v > 0 for _, v in train["batch_steps_per_second"])
    assert len(train["epoch_steps_per_second"]) == 3


@pytest.mark.parametrize("kwargs, error", [
    (dict(histogram_freq=-1), ValueError), (dict(write_images=True), NotImplementedError),
    (dict(write_grads=True), NotImplementedError), (dict(profile_batch=2), ValueError),
    (dict(update_freq="sometimes"), ValueError)])
def test_what_is_not_written_raises(kwargs, error):
    with pytest.raises(error):
        keras.callbacks.TensorBoard("logs", **kwargs)


def test_tensorboard_reads_the_files(tmp_path):
    accumulator = pytest.importorskip(
        "tensorboard.backend.event_processing.event_accumulator")
    log_dir = str(tmp_path / "logs")
    history = _fit(log_dir)
    ea = accumulator.EventAccumulator(os.path.join(log_dir, "train"))
    ea.Reload()
    np.testing.assert_allclose([e.value for e in ea.Scalars("epoch_loss")], history["loss"],
                               rtol=1e-6)
