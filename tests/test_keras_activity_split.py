"""Layer(activity_regularizer=) (every layer, as Keras 3: the penalty of each call's outputs
joins model.losses, not divided by the batch size), keras.layers.ActivityRegularization,
keras.utils.split_dataset and pack / unpack_x_y_sample_weight."""
import numpy as np
import pytest

import pyengine as pe
from pyengine import keras

L = keras.layers


def test_activity_regularizer_adds_the_outputs_penalty_each_call():
    m = keras.Sequential([keras.Input((3,)),
                          L.Dense(2, kernel_initializer="ones",
                                  activity_regularizer=keras.regularizers.l2(0.5)),
                          L.ActivityRegularization(l1=0.1)])
    x = np.ones((2, 3), np.float32)
    m(x)
    # Dense gives 3 everywhere: 0.5 * (4 * 9) and 0.1 * (4 * 3)
    np.testing.assert_allclose(sorted(float(v) for v in m.losses), [1.2, 18.0], rtol=1e-6)
    m(x)
    assert len(m.losses) == 2  # cleared at each top-level call, not accumulated


def test_activity_penalty_is_trained_on_and_saved(tmp_path):
    rng = np.random.default_rng(0)
    x = rng.standard_normal((64, 4)).astype(np.float32)
    y = (x[:, :1] > 0).astype(np.float32)

    def fit(reg):
        pe.manual_seed(0)
        m = keras.Sequential([keras.Input((4,)),
                              L.Dense(8, activation="relu", activity_regularizer=reg),
                              L.Dense(1, activation="sigmoid")])
        m.compile(keras.optimizers.SGD(0.5), "binary_crossentropy")
        from pyengine.keras import fused
        assert (fused.plan(m, y) is None) == (reg is not None)  # the fused trainer declines it
        m.fit(x, y, epochs=5, batch_size=16, verbose=0)
        return m
    free, penalised = fit(None), fit(keras.regularizers.l1(0.05))
    act = lambda m: np.abs(keras.Model(m.inputs, m.layers[0].output).predict(x, verbose=0)).sum()  # noqa: E731
    assert act(penalised) < act(free)
    penalised.save(tmp_path / "a.keras")
    back = keras.models.load_model(tmp_path / "a.keras")
    assert back.layers[0].activity_regularizer.get_config() == {"l1": 0.05}   # Keras 3: L1's config


def test_split_dataset_arrays_and_datasets():
    x, y = np.arange(20).reshape(10, 2), np.arange(10)
    left, right = keras.utils.split_dataset((x, y), left_size=0.8)
    assert (len(left), len(right)) == (8, 2)
    assert [int(e[1]) for e in right] == [8, 9]
    ds = pe.data.Dataset.from_tensor_slices((x, y))
    left, right = keras.utils.split_dataset(ds, right_size=3, shuffle=True, seed=1)
    got = sorted([int(e[1]) for e in left] + [int(e[1]) for e in right])
    assert got == list(range(10)) and len(right) == 3
    left2, right2 = keras.utils.split_dataset(ds, right_size=3, shuffle=True, seed=1)
    assert [int(e[1]) for e in right2] == [int(e[1]) for e in right]
    a, b = keras.utils.split_dataset(x, left_size=4, right_size=3)  # 3 in the middle unused
    assert [e.numpy().tolist() for e in b] == x[7:].tolist() and len(a) == 4
    assert [len(p) for p in keras.utils.split_dataset(x)] == [5, 5]
    with pytest.raises(ValueError, match=r"\[split_dataset\] a fractional left_size"):
        keras.utils.split_dataset(x, left_size=1.5)
    with pytest.raises(ValueError, match=r"exceeds"):
        keras.utils.split_dataset(x, left_size=8, right_size=5)
    with pytest.raises(ValueError, match=r"same first dimension"):
        keras.utils.split_dataset((x, y[:5]))


def test_pack_unpack_x_y_sample_weight():
    u = keras.utils.unpack_x_y_sample_weight
    p = keras.utils.pack_x_y_sample_weight
    assert u((1, 2)) == (1, 2, None) and u(5) == (5, None, None) and u((1, 2, 3)) == (1, 2, 3)
    assert p(1) == 1 and p((1, 2)) == ((1, 2),) and p(1, 2) == (1, 2) and p(1, 2, 3) == (1, 2, 3)
