"""keras.preprocessing.sequence.pad_sequences and timeseries_dataset_from_array (Keras'
defaults and examples), and a fit on the windows."""
import numpy as np
import pytest

from pyengine import keras
from pyengine.keras.preprocessing.sequence import pad_sequences


def test_pad_sequences_keras_defaults():
    seqs = [[1, 2, 3], [4, 5], [6], []]
    np.testing.assert_array_equal(pad_sequences(seqs),
                                  [[1, 2, 3], [0, 4, 5], [0, 0, 6], [0, 0, 0]])
    np.testing.assert_array_equal(pad_sequences(seqs, maxlen=2), [[2, 3], [4, 5], [0, 6], [0, 0]])
    np.testing.assert_array_equal(
        pad_sequences(seqs, maxlen=2, padding="post", truncating="post", value=-1),
        [[1, 2], [4, 5], [6, -1], [-1, -1]])
    assert pad_sequences(seqs).dtype == np.int32
    out = pad_sequences([np.ones((2, 3)), np.ones((1, 3))], dtype="float32")
    assert out.shape == (2, 2, 3) and out[1, 0].sum() == 0
    assert keras.utils.pad_sequences is pad_sequences


@pytest.mark.parametrize("kw, message", [(dict(padding="middle"), "padding type"),
                                         (dict(truncating="x"), "truncating type"),
                                         (dict(maxlen=-1), "maxlen")])
def test_pad_sequences_bad_arguments(kw, message):
    with pytest.raises(ValueError, match=message):
        pad_sequences([[1]], **kw)
    with pytest.raises(ValueError, match="non-iterable"):
        pad_sequences([1, 2])


def test_timeseries_windows_keras_example():
    # Keras' documented example: windows of 3 from range(10), targets = data shifted by 3.
    ds = keras.utils.timeseries_dataset_from_array(np.arange(10), np.arange(3, 10), 3,
                                                   batch_size=2)
    batches = list(ds)
    assert len(ds) == len(batches) == 4
    xs = np.concatenate([b[0] for b in batches])
    ys = np.concatenate([b[1] for b in batches])
    np.testing.assert_array_equal(xs, [[i, i + 1, i + 2] for i in range(7)])
    np.testing.assert_array_equal(ys, np.arange(3, 10))


def test_timeseries_stride_rate_indices_shuffle():
    data = np.arange(100)
    ds = keras.preprocessing.timeseries_dataset_from_array(
        data, None, 4, sequence_stride=3, sampling_rate=2, batch_size=None, start_index=10,
        end_index=40)
    windows = list(ds)
    assert windows[0].tolist() == [10, 12, 14, 16] and windows[1].tolist() == [13, 15, 17, 19]
    assert windows[-1][-1] < 40
    a = np.concatenate(list(keras.utils.timeseries_dataset_from_array(
        data, None, 2, batch_size=8, shuffle=True, seed=3)))
    assert sorted(a[:, 0].tolist()) == list(range(99)) and a[:, 0].tolist() != list(range(99))
    with pytest.raises(ValueError, match="sequence_length"):
        keras.utils.timeseries_dataset_from_array(data, None, 0)
    with pytest.raises(ValueError, match="end_index"):
        keras.utils.timeseries_dataset_from_array(data, None, 2, start_index=5, end_index=5)


def test_fit_on_timeseries_dataset():
    t = np.linspace(0, 20, 300).astype(np.float32)
    series = np.sin(t)[:, None]
    ds = keras.utils.timeseries_dataset_from_array(series[:-10], series[10:, 0], 10,
                                                   batch_size=32)
    model = keras.Sequential([keras.Input((10, 1)), keras.layers.GRU(8), keras.layers.Dense(1)])
    model.compile("adam", "mse")
    hist = model.fit(ds, epochs=3, verbose=0)
    assert hist.history["loss"][-1] < hist.history["loss"][0]
