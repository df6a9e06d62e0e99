"""pyengine.utils.tensorboard.SummaryWriter (scalars), as the PyTorch "Training with PyTorch"
tutorial uses it. The event files are read back here with an independent decoder of the
TFRecord framing (length, masked CRC-32C, payload, masked CRC-32C) and of the Event / Summary
protocol buffers; tensorboard itself is not needed."""
import os
import struct

import numpy as np
import pytest

import pyengine as pe
from pyengine.utils.tensorboard import SummaryWriter, crc32c


def _mask(crc):
    return (((crc >> 15) | (crc << 17)) + 0xA282EAD8) & 0xFFFFFFFF


def _records(path):
    data = open(path, "rb").read()
    pos, out = 0, []
    while pos < len(data):
        header = data[pos:pos + 8]
        (n,) = struct.unpack("<Q", header)
        assert struct.unpack("<I", data[pos + 8:pos + 12])[0] == _mask(crc32c(header))
        payload = data[pos + 12:pos + 12 + n]
        assert struct.unpack("<I", data[pos + 12 + n:pos + 16 + n])[0] == _mask(crc32c(payload))
        out.append(payload)
        pos += 16 + n
    return out


def _varint(buf, i):
    shift = value = 0
    while True:
        b = buf[i]
        i += 1
        value |= (b & 0x7F) << shift
        shift += 7
        if not b & 0x80:
            return value, i


def _fields(buf):
    i, out = 0, []
    while i < len(buf):
        key, i = _varint(buf, i)
        number, wire = key >> 3, key & 7
        if wire == 0:
            v, i = _varint(buf, i)
        elif wire == 1:
            v, i = buf[i:i + 8], i + 8
        elif wire == 5:
            v, i = buf[i:i + 4], i + 4
        else:
            n, i = _varint(buf, i)
            v, i = buf[i:i + n], i + n
        out.append((number, v))
    return out


def _scalars(path):
    """[(step, tag, value)] of the scalar events in one file."""
    events = [dict(_fields(r)) for r in _records(path)]
    assert events[0][3] == b"brain.Event:2"
    out = []
    for e in events[1:]:
        value = dict(_fields(dict(_fields(e[5]))[1]))
        out.append((e.get(2, 0), value[1].decode(), struct.unpack("<f", value[2])[0]))
        assert isinstance(struct.unpack("<d", e[1])[0], float)
    return out


def _one_file(folder):
    files = [f for f in os.listdir(folder) if f.startswith("events.out.tfevents.")]
    assert len(files) == 1
    return os.path.join(folder, files[0])


def test_crc32c_known_vector():
    assert crc32c(b"123456789") == 0xE3069283


def test_add_scalar_and_add_scalars_as_the_training_tutorial(tmp_path):
    log_dir = str(tmp_path / "runs" / "fashion_trainer")
    writer = SummaryWriter(log_dir)
    for step, loss in [(1000, 1.25), (2000, 0.75)]:
        writer.add_scalar("Loss/train", loss, step)
    vloss = pe.tensor(0.5, requires_grad=True) * 1.0  # a graph tensor, as the tutorial logs
    writer.add_scalars("Training vs. Validation Loss", {"Training": 0.8, "Validation": vloss}, 1)
    writer.flush()
    writer.close()
    assert _scalars(_one_file(log_dir)) == [(1000, "Loss/train", 1.25), (2000, "Loss/train", 0.75)]
    train = _scalars(_one_file(os.path.join(log_dir, "Training vs. Validation Loss_Training")))
    valid = _scalars(_one_file(os.path.join(log_dir, "Training vs. Validation Loss_Validation")))
    assert train[0][:2] == (1, "Training vs. Validation Loss")
    np.testing.assert_allclose([train[0][2], valid[0][2]], [0.8, 0.5], rtol=1e-6)
    assert writer.get_logdir() == log_dir


def test_writer_refuses_what_it_cannot_write(tmp_path):
    with SummaryWriter(str(tmp_path)) as w:
        with pytest.raises(NotImplementedError, match="add_image"):
            w.add_image("img", np.zeros((3, 4, 4)))
        with pytest.raises(NotImplementedError, match="new_style"):
            w.add_scalar("x", 1.0, new_style=True)
        with pytest.raises(ValueError, match="one-element"):
            w.add_scalar("x", pe.ones(2))
        w.add_scalar("neg", 2.0, -1)
    assert _scalars(_one_file(str(tmp_path)))[0][0] == 2 ** 64 - 1  # int64 -1, as protobuf
    with pytest.raises(NotImplementedError, match="purge_step"):
        SummaryWriter(str(tmp_path / "b"), purge_step=3)


def test_tf_summary_scalar_in_a_keras_callback(tmp_path):
    """keras-io sklearn_metric_callbacks: a callback computes a NumPy metric on predict()
    output, averages it with keras.metrics.Mean and logs result().numpy() with tf.summary."""
    from pyengine import keras
    assert pe.summary.scalar("x", 1.0, step=0) is False  # no default writer: nothing written

    class IoU(keras.callbacks.Callback):
        def __init__(self, x, y, log_dir):
            self.x, self.y, self.epoch, self.seen = x, y, 0, []
            self.metric = keras.metrics.Mean("iou")
            self.writer = pe.summary.create_file_writer(log_dir)

        def on_epoch_end(self, epoch, logs=None):
            self.epoch += 1
            self.metric.reset_state()
            pred = np.argmax(self.model.predict(self.x, verbose=0), -1)
            per_class = [np.sum((pred == c) & (self.y == c)) / max(1, np.sum((pred == c) |
                                                                          (self.y == c)))
                         for c in range(3)]
            self.metric.update_state(per_class)
            value = self.metric.result().numpy().astype(float)
            assert value == pytest.approx(np.mean(per_class), rel=1e-6)
            self.seen.append(value)
            with self.writer.as_default():
                assert pe.summary.scalar(self.metric.name, value, step=self.epoch)
                self.writer.flush()

    rng = np.random.RandomState(0)
    x = rng.randn(120, 4).astype("float32")
    y = np.argmax(x[:, :3], 1)
    model = keras.Sequential([keras.Input((4,)), keras.layers.Dense(3, activation="softmax")])
    model.compile(optimizer=keras.optimizers.Adam(0.05), loss="sparse_categorical_crossentropy")
    cb = IoU(x, y, str(tmp_path / "run"))
    model.fit(x, y, epochs=3, verbose=0, callbacks=[cb])
    got = _scalars(_one_file(str(tmp_path / "run")))
    assert [(s, t) for s, t, _ in got] == [(1, "iou"), (2, "iou"), (3, "iou")]
    np.testing.assert_allclose([v for _, _, v in got], cb.seen, rtol=1e-6)
    with pytest.raises(ValueError, match="no step"):
        with cb.writer.as_default():
            pe.summary.scalar("x", 1.0)
    with pytest.raises(NotImplementedError, match=r"\[summary.image\]"):
        pe.summary.image("w", np.zeros((1, 2, 2, 1)), step=0)
