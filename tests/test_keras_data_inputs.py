"""fit / evaluate / predict on pe.data Datasets, DataLoaders, generators and PyDatasets;
validation_data in each form; class_weight / sample_weight; clear errors on bad elements."""
import numpy as np
import pytest

import pyengine as pe
from pyengine import keras
from pyengine.utils.data import DataLoader, TensorDataset


def _data(n=48, seed=0):
    rng = np.random.default_rng(seed)
    x = rng.standard_normal((n, 4)).astype(np.float32)
    y = (x[:, 0] + x[:, 1] > 0).astype(np.float32).reshape(-1, 1)
    return x, y


def _model(seed=0):
    pe.manual_seed(seed)
    m = keras.Sequential([keras.layers.Dense(6, activation="relu", input_shape=(4,)),
                          keras.layers.Dense(1, activation="sigmoid")])
    m.compile(keras.optimizers.SGD(0.1), "binary_crossentropy", metrics=["accuracy"],
              jit_compile=False)
    return m


def _weights(m):
    return [np.array(w) for w in m.get_weights()]


def _same(a, b):
    for u, v in zip(_weights(a), _weights(b)):
        np.testing.assert_allclose(u, v, rtol=1e-5, atol=1e-6)


def test_dataset_dataloader_generator_sequence_equal_array_training():
    x, y = _data()
    ref = _model()
    ref.fit(x, y, batch_size=8, epochs=2, shuffle=False, verbose=0)

    m = _model()
    m.fit(pe.data.Dataset.from_tensor_slices((x, y)).batch(8), epochs=2, verbose=0)
    _same(ref, m)

    m = _model()
    m.fit(DataLoader(TensorDataset(pe.tensor(x), pe.tensor(y)), batch_size=8), epochs=2,
          verbose=0)
    _same(ref, m)

    def gen():
        while True:
            for s in range(0, 48, 8):
                yield x[s:s + 8], y[s:s + 8]
    m = _model()
    m.fit(gen(), steps_per_epoch=6, epochs=2, verbose=0)
    _same(ref, m)

    class Seq(keras.utils.Sequence):
        epochs_seen = 0

        def __len__(self):
            return 6

        def __getitem__(self, i):
            return x[8 * i:8 * i + 8], y[8 * i:8 * i + 8]

        def on_epoch_end(self):
            Seq.epochs_seen += 1
    m = _model()
    m.fit(Seq(), epochs=2, shuffle=False, verbose=0)
    _same(ref, m)
    assert Seq.epochs_seen == 2
    assert m.predict(Seq(), verbose=0).shape == (48, 1)
    assert len(m.evaluate(Seq(), verbose=0)) == 2


def test_sample_weight_and_class_weight_from_datasets():
    x, y = _data()
    sw = np.linspace(0.5, 2.0, 48).astype(np.float32)
    ref = _model()
    ref.fit(x, y, sample_weight=sw, batch_size=8, epochs=1, shuffle=False, verbose=0)
    m = _model()
    m.fit(pe.data.Dataset.from_tensor_slices((x, y, sw)).batch(8), epochs=1, verbose=0)
    _same(ref, m)
    ref = _model()
    ref.fit(x, y, class_weight={0: 1.0, 1: 3.0}, batch_size=8, epochs=1, shuffle=False,
            verbose=0)
    m = _model()
    m.fit(pe.data.Dataset.from_tensor_slices((x, y)).batch(8), class_weight={0: 1.0, 1: 3.0},
          epochs=1, verbose=0)
    _same(ref, m)


def test_validation_data_in_each_form():
    x, y = _data()
    xv, yv = _data(16, seed=1)
    forms = [(xv, yv), (xv, yv, np.ones(16, np.float32)),
             pe.data.Dataset.from_tensor_slices((xv, yv)).batch(4),
             DataLoader(TensorDataset(pe.tensor(xv), pe.tensor(yv)), batch_size=4)]
    vals = []
    for v in forms:
        m = _model()
        h = m.fit(x, y, batch_size=8, epochs=1, shuffle=False, validation_data=v, verbose=0)
        vals.append(h.history["val_loss"][0])
    np.testing.assert_allclose(vals, vals[0], rtol=1e-5)

    def vgen():
        while True:
            yield xv[:4], yv[:4]
    m = _model()
    h = m.fit(x, y, epochs=2, validation_data=vgen(), validation_steps=2, verbose=0)
    assert len(h.history["val_loss"]) == 2


def test_one_shot_generator_runs_out_with_a_warning():
    x, y = _data()

    def gen():
        for s in range(0, 48, 8):
            yield x[s:s + 8], y[s:s + 8]
    m = _model()
    with pytest.warns(UserWarning, match="ran out of data"):
        h = m.fit(gen(), epochs=3, verbose=0)
    assert len(h.history["loss"]) == 1
    with pytest.warns(UserWarning, match="ran out of data"):
        m.fit(gen(), steps_per_epoch=4, epochs=3, verbose=0)


def test_bad_elements_give_clear_errors():
    x, y = _data()
    m = _model()
    with pytest.raises(ValueError, match=r"must be \(x, y\)"):
        m.fit(pe.data.Dataset.from_tensor_slices(x).batch(8), epochs=1, verbose=0)
    with pytest.raises(ValueError, match="tuple of 4"):
        m.fit(pe.data.Dataset.from_tensor_slices((x, y, y, y)).batch(8), epochs=1, verbose=0)
    with pytest.raises(ValueError, match="sample_weight has 3 entries"):
        m.fit(iter([(x[:8], y[:8], np.ones(3))]), epochs=1, verbose=0)
    with pytest.raises(ValueError, match="different numbers of samples"):
        m.fit(iter([(x[:8], y[:5])]), epochs=1, verbose=0)
    with pytest.raises(ValueError, match="sample_weight"):
        m.fit(x, y, sample_weight=np.ones(5), verbose=0)
    with pytest.raises(ValueError, match="sample_weight has 5 entries"):
        m.evaluate(x, y, sample_weight=np.ones(5), verbose=0)

    def ragged():
        yield x[:8], y[:8]
        yield x[:8, :3], y[:8]
    with pytest.raises(ValueError):
        m.fit(ragged(), epochs=1, verbose=0)
    with pytest.raises(ValueError, match="validation_split"):
        m.fit(pe.data.Dataset.from_tensor_slices((x, y)).batch(8), validation_split=0.2)
    with pytest.raises(ValueError, match="come from its elements"):
        m.fit(pe.data.Dataset.from_tensor_slices((x, y)).batch(8), y, verbose=0)


def test_predict_on_dataset_ignores_targets():
    x, y = _data()
    m = _model()
    a = m.predict(x, batch_size=8, verbose=0)
    b = m.predict(pe.data.Dataset.from_tensor_slices((x, y)).batch(8), verbose=0)
    c = m.predict(pe.data.Dataset.from_tensor_slices(x).batch(16), verbose=0)
    np.testing.assert_allclose(a, b, rtol=1e-6)
    np.testing.assert_allclose(a, c, rtol=1e-6)


def test_multi_input_model_from_dict_dataset():
    rng = np.random.default_rng(0)
    a = rng.standard_normal((32, 3)).astype(np.float32)
    b = rng.standard_normal((32, 2)).astype(np.float32)
    y = (a[:, :1] + b[:, :1] > 0).astype(np.float32)
    ia, ib = keras.Input(shape=(3,), name="a"), keras.Input(shape=(2,), name="b")
    h = keras.layers.Concatenate()([keras.layers.Dense(4)(ia), keras.layers.Dense(4)(ib)])
    m = keras.Model({"a": ia, "b": ib}, keras.layers.Dense(1, activation="sigmoid")(h))
    m.compile("adam", "binary_crossentropy", jit_compile=False)
    ds = pe.data.Dataset.from_tensor_slices(({"a": a, "b": b}, y)).batch(8)
    h1 = m.fit(ds, epochs=2, verbose=0)
    assert len(h1.history["loss"]) == 2
    np.testing.assert_allclose(m.predict(ds, verbose=0), m.predict({"a": a, "b": b}, verbose=0),
                               rtol=1e-6)


def test_sample_weight_weights_the_loss_and_weighted_metrics_as_keras():
    """Keras: the loss is sum(w * l) / batch size; `metrics` ignore the weights and
    `weighted_metrics` use them (sum(w * v) / sum(w)); class_weight is a per-class weight."""
    rng = np.random.default_rng(0)
    x = rng.standard_normal((10, 3)).astype(np.float32)
    y = (rng.random((10, 1)) > 0.5).astype(np.float32)
    sw = (rng.random(10) * 2).astype(np.float32)
    pe.manual_seed(0)
    m = keras.Sequential([keras.layers.Dense(1, activation="sigmoid", input_shape=(3,))])
    m.compile("sgd", "binary_crossentropy", metrics=["accuracy"], weighted_metrics=["accuracy"])
    p = m.predict(x, verbose=0).astype(np.float64)
    loss = -(y * np.log(p) + (1 - y) * np.log(1 - p)).ravel()
    acc = ((p > 0.5) == y).ravel()
    r = m.evaluate(x, y, sample_weight=sw, batch_size=10, verbose=0, return_dict=True)
    assert r["loss"] == pytest.approx((sw * loss).sum() / 10, rel=1e-5)
    assert r["accuracy"] == pytest.approx(acc.mean(), rel=1e-6)
    assert r["weighted_accuracy"] == pytest.approx((sw * acc).sum() / sw.sum(), rel=1e-5)
    w0 = m.get_weights()
    m2 = keras.Sequential([keras.layers.Dense(1, activation="sigmoid", input_shape=(3,))])
    m2.set_weights(w0)
    m2.compile(keras.optimizers.SGD(0.0), "binary_crossentropy", jit_compile=False)
    h = m2.fit(x, y, class_weight={0: 1.0, 1: 3.0}, batch_size=10, epochs=1, shuffle=False,
               verbose=0)
    cw = np.where(y.ravel() > 0, 3.0, 1.0)
    assert h.history["loss"][0] == pytest.approx((cw * loss).sum() / 10, rel=1e-5)


def test_validation_data_as_tensors_and_pydataset():
    x, y = _data()
    xv, yv = _data(16, seed=1)
    m = _model()
    ref = m.fit(x, y, batch_size=8, epochs=1, shuffle=False, validation_data=(xv, yv),
                verbose=0).history["val_loss"][0]

    class Val(keras.utils.PyDataset):
        def __len__(self):
            return 4

        def __getitem__(self, i):
            return xv[4 * i:4 * i + 4], yv[4 * i:4 * i + 4]
    for v in ((pe.tensor(xv), pe.tensor(yv)), Val()):
        m = _model()
        h = m.fit(x, y, batch_size=8, epochs=1, shuffle=False, validation_data=v, verbose=0)
        assert h.history["val_loss"][0] == pytest.approx(ref, rel=1e-5)
