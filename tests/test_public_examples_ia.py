"""Original tests for what the keras-io programs of docs/public_examples.md's helper-ha rows of the sixteenth session
needed (fgsm, alexnet, googleNet, ...): tiny sizes, synthetic data, no network."""
import glob
import os

import numpy as np
import pytest

import pyengine as pe
from pyengine import keras
from pyengine.utils.tensorboard import SummaryWriter
from pyengine.utils.tensorboard_histograms import read_histograms, tensorflow_bucket_edges


def _one_file(d):
    files = glob.glob(os.path.join(d, "events.out.tfevents.*"))
    assert len(files) == 1, files
    return files[0]


# --- histograms: tf.summary.histogram, SummaryWriter.add_histogram, TensorBoard(histogram_freq)

def test_tf_summary_histogram_matches_numpy_buckets(tmp_path):
    rng = np.random.RandomState(0)
    data = rng.randn(4, 50).astype("float32")
    w = pe.summary.create_file_writer(str(tmp_path / "h"))
    assert pe.summary.histogram("x", data, step=3) is False  # no default writer yet
    with w.as_default():
        assert pe.summary.histogram("x", data, step=3, buckets=7)
        assert pe.summary.histogram("y", pe.tensor(data), step=4)  # default: 30 buckets
    w.close()
    got = read_histograms(_one_file(str(tmp_path / "h")))
    assert [(s, t) for s, t, _ in got] == [(3, "x"), (4, "y")]
    x = data.astype(np.float64).ravel()
    counts, edges = np.histogram(x, bins=7, range=(x.min(), x.max()))
    h = got[0][2]
    np.testing.assert_allclose(h["bucket"], counts)
    np.testing.assert_allclose(h["bucket_limit"], edges[1:], rtol=1e-12)
    assert h["num"] == 200 and h["min"] == x.min() and h["max"] == x.max()
    np.testing.assert_allclose([h["sum"], h["sum_squares"]], [x.sum(), (x * x).sum()],
                               rtol=1e-12)
    assert got[1][2]["bucket"].sum() == 200 and len(got[1][2]["bucket"]) <= 30


def test_add_histogram_tensorflow_bins_and_constant_values(tmp_path):
    edges = tensorflow_bucket_edges()
    assert edges[len(edges) // 2] == 0.0 and np.all(np.diff(edges) > 0)
    pos = edges[len(edges) // 2 + 1:-1]
    np.testing.assert_allclose(pos[1:] / pos[:-1], 1.1, rtol=1e-9)
    assert pos[0] == 1e-12 and pos[-1] < 1e20 <= pos[-1] * 1.1
    values = np.array([-3.0, -0.5, 0.25, 0.3, 2.0, 2.0, 40.0])
    with SummaryWriter(str(tmp_path / "t")) as sw:
        sw.add_histogram("w", pe.tensor(values), global_step=5)
        sw.add_histogram("c", np.full(4, 2.5), global_step=6, bins=4)
    got = dict((t, (s, h)) for s, t, h in read_histograms(_one_file(str(tmp_path / "t"))))
    step, h = got["w"]
    assert step == 5 and h["bucket"].sum() == 7
    # every value lies in its bucket (left edge: the previous limit)
    counts, _ = np.histogram(values, bins=edges)
    nz = np.nonzero(counts)[0]
    np.testing.assert_array_equal(h["bucket"], counts[nz[0]:nz[-1] + 1])
    np.testing.assert_array_equal(h["bucket_limit"], edges[nz[0] + 1:nz[-1] + 2])
    step, c = got["c"]
    assert step == 6 and c["min"] == c["max"] == 2.5 and c["bucket"].sum() == 4


def test_histogram_bad_input_raises(tmp_path):
    w = pe.summary.create_file_writer(str(tmp_path / "bad"))
    with w.as_default():
        with pytest.raises(ValueError, match=r"\[summary.histogram\].*empty"):
            pe.summary.histogram("x", np.zeros(0), step=0)
        with pytest.raises(ValueError, match=r"\[summary.histogram\].*NaN"):
            pe.summary.histogram("x", np.array([1.0, np.nan]), step=0)
        with pytest.raises(TypeError, match=r"\[summary.histogram\] buckets"):
            pe.summary.histogram("x", np.ones(3), step=0, buckets=2.5)
        with pytest.raises(ValueError, match="no step"):
            pe.summary.histogram("x", np.ones(3))
    with SummaryWriter(str(tmp_path / "bad2")) as sw:
        with pytest.raises(ValueError, match=r"\[SummaryWriter.add_histogram\] bins"):
            sw.add_histogram("x", np.ones(3), bins=0)
        with pytest.raises(NotImplementedError, match="max_bins"):
            sw.add_histogram("x", np.arange(10.0), bins=8, max_bins=4)


def test_keras_tensorboard_histogram_freq_logs_each_weight(tmp_path):
    rng = np.random.RandomState(1)
    x = rng.randn(64, 5).astype("float32")
    y = (x[:, :1] - x[:, 1:2] > 0).astype("float32")
    model = keras.Sequential([keras.Input((5,)), keras.layers.Dense(4, activation="relu"),
                              keras.layers.BatchNormalization(),
                              keras.layers.Dense(1, activation="sigmoid")])
    model.compile(optimizer=keras.optimizers.Adam(0.05), loss="binary_crossentropy")
    log_dir = str(tmp_path / "logs")
    hist = model.fit(x, y, epochs=3, batch_size=16, verbose=0,
                     callbacks=[keras.callbacks.TensorBoard(log_dir, histogram_freq=2)])
    assert hist.history["loss"][-1] < hist.history["loss"][0]
    got = read_histograms(_one_file(os.path.join(log_dir, "train")))
    tags = sorted({t for _, t, _ in got})
    assert tags == sorted(f"{w.path}/histogram" for w in model.weights)
    assert sorted({s for s, _, _ in got}) == [0, 2]  # epochs 0 and 2 of 3
    final = {t: h for s, t, h in got if s == 2}
    for w in model.weights:  # epoch 2 is the last: its histograms are the final weights
        v = np.asarray(w.numpy(), np.float64).ravel()
        h = final[f"{w.path}/histogram"]
        assert h["num"] == v.size and h["bucket"].sum() == v.size
        np.testing.assert_allclose([h["min"], h["max"], h["sum"]], [v.min(), v.max(), v.sum()],
                                   rtol=1e-6, atol=1e-7)
    # the scalars beside them are still read back
    from pyengine.utils.tensorboard_events import read_scalars
    scalars = read_scalars(_one_file(os.path.join(log_dir, "train")))
    assert [s for s, t, _ in scalars if t == "epoch_loss"] == [0, 1, 2]


def test_tensorboard_reads_the_histograms(tmp_path):
    accumulator = pytest.importorskip(
        "tensorboard.backend.event_processing.event_accumulator")
    with SummaryWriter(str(tmp_path / "r")) as sw:
        sw.add_histogram("w", np.linspace(-1, 1, 11), global_step=1, bins=4)
    acc = accumulator.EventAccumulator(str(tmp_path / "r"))
    acc.Reload()
    (ev,) = acc.Histograms("w")
    assert ev.step == 1 and ev.histogram_value.num == 11


# --- Keras 2's fit / evaluate / predict(workers=, max_queue_size=, use_multiprocessing=)

class _Batches(keras.utils.Sequence):
    def __init__(self, x, y, bs):
        super().__init__()
        self.x, self.y, self.bs, self.seen = x, y, bs, []

    def __len__(self):
        return len(self.x) // self.bs

    def __getitem__(self, i):
        self.seen.append(i)
        s = slice(i * self.bs, (i + 1) * self.bs)
        return self.x[s], self.y[s]

    def on_epoch_end(self):
        pass


def _tiny_regressor(seed):
    keras.utils.set_random_seed(seed)
    m = keras.Sequential([keras.Input((3,)), keras.layers.Dense(8, activation="tanh"),
                          keras.layers.Dense(1)])
    m.compile(optimizer=keras.optimizers.SGD(0.1), loss="mse")
    return m


def test_keras2_workers_read_a_sequence_by_threads_with_the_same_result():
    rng = np.random.RandomState(2)
    x = rng.randn(48, 3).astype("float32")
    y = (x @ np.array([[1.0], [-2.0], [0.5]])).astype("float32")
    runs = []
    for workers in (1, 3):
        m = _tiny_regressor(7)
        seq = _Batches(x, y, 8)
        h = m.fit(seq, epochs=3, shuffle=False, verbose=0, workers=workers, max_queue_size=2)
        assert sorted(seq.seen) == sorted(list(range(6)) * 3)
        ev = m.evaluate(seq, verbose=0, workers=workers)
        pred = m.predict(seq, verbose=0, workers=workers)
        runs.append((h.history["loss"], ev, pred))
    assert runs[0][0][-1] < runs[0][0][0]
    np.testing.assert_allclose(runs[0][0], runs[1][0], rtol=1e-6)
    np.testing.assert_allclose(runs[0][1], runs[1][1], rtol=1e-6)
    np.testing.assert_allclose(runs[0][2], runs[1][2], rtol=1e-6)
    ref = m.predict(x, verbose=0)  # the same batches as the arrays
    np.testing.assert_allclose(pred, ref, rtol=1e-6, atol=1e-7)


def test_keras2_workers_on_other_inputs_warn_or_raise():
    x = np.ones((8, 3), "float32")
    y = np.zeros((8, 1), "float32")
    m = _tiny_regressor(0)
    with pytest.warns(UserWarning, match=r"\[fit\] workers=-1 does nothing"):
        m.fit(x, y, epochs=1, verbose=0, workers=-1)
    m.fit(x, y, epochs=1, verbose=0, workers=1, max_queue_size=4)  # the defaults: no warning
    with pytest.raises(ValueError, match=r"\[fit\] use_multiprocessing=True"):
        m.fit(x, y, verbose=0, use_multiprocessing=True)
    with pytest.raises(ValueError, match=r"\[predict\] workers must be an int"):
        m.predict(x, verbose=0, workers=2.0)
    with pytest.raises(ValueError, match=r"\[evaluate\] max_queue_size"):
        m.evaluate(x, y, verbose=0, max_queue_size=0)
    gen = ((x, y) for _ in range(3))
    with pytest.raises(ValueError, match=r"\[fit\] workers=2 needs a keras.utils.Sequence"):
        m.fit(gen, steps_per_epoch=1, verbose=0, workers=2)
    with pytest.raises(TypeError, match=r"\[fit\] unrecognized arguments: \['workerz'\]"):
        m.fit(x, y, verbose=0, workerz=2)


# --- tf.data cardinality as a tensor (`cardinality(ds).numpy()`, keras-io aodnet)

def test_dataset_cardinality_is_an_int64_tensor():
    ds = pe.data.Dataset.from_tensor_slices(np.arange(10))
    card = pe.data.experimental.cardinality(ds)
    assert isinstance(card, pe.Tensor) and card.dtype == pe.int64 and card.shape == ()
    assert card.numpy() == 10 and int(card) == 10
    n = card.numpy()
    assert [len(list(ds.skip(int(n * 0.3)))), len(list(ds.take(int(n * 0.3))))] == [7, 3]
    assert bool(ds.repeat().cardinality() == pe.data.INFINITE_CARDINALITY)
    assert int(ds.filter(lambda v: v > 3).cardinality()) == pe.data.UNKNOWN_CARDINALITY
    assert int(ds.batch(4).cardinality()) == 3 and int(ds.batch(4, drop_remainder=True)
                                                        .cardinality()) == 2


# --- Sequential([functional model, ...]) is built at once (keras-io classification_to_detection)

def _conv_trunk(size):
    inp = keras.Input((size, size, 3))
    out = keras.layers.Conv2D(4, 3, activation="relu", name="trunk_conv")(inp)
    return keras.Model(inp, out, name=f"trunk_{size}")


def test_sequential_starting_with_a_functional_model_builds_and_slides():
    keras.utils.set_random_seed(3)
    small = keras.Sequential([_conv_trunk(8), keras.layers.Conv2D(2, 6, name="head")])
    assert small.built and small.output.shape == (None, 1, 1, 2)  # before any data
    assert len(small.weights) == 4
    big = keras.Sequential([_conv_trunk(12), keras.layers.Conv2D(2, 6, name="head")])
    assert big.output.shape == (None, 5, 5, 2)
    big.set_weights(small.get_weights())  # the weights do not depend on the input size
    x = np.random.RandomState(0).rand(1, 12, 12, 3).astype("float32")
    out = big.predict(x, verbose=0)
    for i, j in [(0, 0), (2, 3), (4, 4)]:  # each output pixel is the small model on a window
        ref = small.predict(x[:, i:i + 8, j:j + 8], verbose=0)[0, 0, 0]
        np.testing.assert_allclose(out[0, i, j], ref, rtol=1e-5, atol=1e-6)
    # and a NumPy float64 check of one window through both convolutions
    w1, b1, w2, b2 = [np.asarray(w, np.float64) for w in small.get_weights()]
    win = x[0, 2:10, 3:11].astype(np.float64)
    h = np.zeros((6, 6, 4))
    for a in range(6):
        for b in range(6):
            h[a, b] = np.tensordot(win[a:a + 3, b:b + 3], w1, axes=3) + b1
    h = np.maximum(h, 0)
    np.testing.assert_allclose(out[0, 2, 3], np.tensordot(h, w2, axes=3) + b2, rtol=1e-4,
                               atol=1e-5)


# --- compute_loss overrides with and without Keras 3.3's `training` (keras-io AdaIN)

class _OldStyleLoss(keras.Model):
    """compute_loss written before Keras 3.3: no `training` argument; a dict output."""

    def __init__(self):
        super().__init__()
        self.dense = keras.layers.Dense(1)
        self.tracker = keras.metrics.Mean(name="mse")

    def call(self, inputs, training=False):
        return {"pred": self.dense(inputs), "x": inputs}

    def compute_loss(self, x=None, y=None, y_pred=None, sample_weight=None):
        target = keras.ops.sum(y_pred["x"], axis=-1, keepdims=True) * 0.5
        loss = keras.ops.mean((y_pred["pred"] - target) ** 2)
        self.tracker.update_state(loss)
        return loss

    @property
    def metrics(self):
        return [self.tracker]


class _NewStyleLoss(_OldStyleLoss):
    def __init__(self):
        super().__init__()
        self.seen = []

    def compute_loss(self, x=None, y=None, y_pred=None, sample_weight=None, training=True):
        self.seen.append(training)
        return super().compute_loss(x, y, y_pred, sample_weight)


@pytest.mark.parametrize("cls", [_OldStyleLoss, _NewStyleLoss])
def test_compute_loss_override_with_or_without_training(cls):
    keras.utils.set_random_seed(4)
    x = np.random.RandomState(5).randn(32, 3).astype("float32")
    m = cls()
    m.compile(optimizer=keras.optimizers.Adam(0.05))
    h = m.fit(x, epochs=4, batch_size=8, verbose=0, validation_data=(x,))
    assert h.history["mse"][-1] < 0.5 * h.history["mse"][0]
    assert "val_mse" in h.history
    ev = m.evaluate(x, verbose=0, return_dict=True)
    w, b = [np.asarray(v, np.float64) for v in m.dense.get_weights()]
    ref = np.mean((x.astype(np.float64) @ w + b - 0.5 * x.sum(-1, keepdims=True)) ** 2)
    np.testing.assert_allclose(ev["mse"], ref, rtol=1e-4)
    if cls is _NewStyleLoss:  # 4 steps x 4 epochs in training; validation (batch 8), evaluate (32)
        assert m.seen.count(True) == 16 and m.seen.count(False) == 4 * 4 + 1
