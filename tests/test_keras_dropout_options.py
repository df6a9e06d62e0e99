"""keras.layers.Dropout's noise_shape (a mask broadcast over the input) and seed (the layer's
own generator), and that such a Dropout keeps a Dense model off the fused trainer, whose
masks come from pyengine's generator over the whole input."""
import numpy as np
import pytest

import pyengine as pe
from pyengine import keras

L = keras.layers


def test_noise_shape_shares_the_mask_along_its_unit_axes():
    x = np.ones((4, 6, 5), np.float32)
    y = L.Dropout(0.5, noise_shape=(None, 1, 5), seed=0)(x, training=True).numpy()
    assert set(np.unique(y)) <= {0.0, 2.0}
    assert (y == y[:, :1, :]).all()  # the same features dropped at every step
    assert 0 < (y == 0).mean() < 1
    z = L.Dropout(0.5, noise_shape=[4, 6, 1], seed=1)(x, training=True).numpy()
    assert (z == z[..., :1]).all()


def test_seed_gives_the_same_masks_whatever_else_draws():
    x = np.ones((8, 10), np.float32)
    a, b = L.Dropout(0.5, seed=7), L.Dropout(0.5, seed=7)
    pe.manual_seed(1)
    ya = [a(x, training=True).numpy() for _ in range(3)]
    pe.manual_seed(2)
    pe.randn(5)
    yb = [b(x, training=True).numpy() for _ in range(3)]
    for u, v in zip(ya, yb):
        np.testing.assert_array_equal(u, v)
    assert not np.array_equal(ya[0], ya[1])  # a new mask each call
    assert not np.array_equal(L.Dropout(0.5, seed=8)(x, training=True).numpy(), ya[0])


def test_inference_and_rate_zero_are_the_identity():
    x = np.random.default_rng(0).standard_normal((3, 4)).astype(np.float32)
    np.testing.assert_array_equal(L.Dropout(0.5, noise_shape=(None, 1), seed=1)(x).numpy(), x)
    np.testing.assert_array_equal(
        L.Dropout(0.0, noise_shape=(None, 1))(x, training=True).numpy(), x)


def test_gradient_flows_through_the_broadcast_mask():
    x = pe.tensor(np.ones((2, 3, 4), np.float32), requires_grad=True)
    y = L.Dropout(0.5, noise_shape=(None, 1, 4), seed=3)(x, training=True)
    y.sum().backward()
    np.testing.assert_array_equal(x.grad.numpy(), y.numpy())  # d(x * m)/dx = m (0 or 2)


def test_bad_noise_shapes_are_clear_errors():
    with pytest.raises(ValueError, match=r"\[Dropout\] noise_shape must be a tuple"):
        L.Dropout(0.5, noise_shape=(None, 0))
    with pytest.raises(ValueError, match=r"\[Dropout\] noise_shape must be a tuple"):
        L.Dropout(0.5, noise_shape=5)
    with pytest.raises(ValueError, match=r"does not broadcast"):
        L.Dropout(0.5, noise_shape=(None, 3))(np.ones((2, 4), np.float32), training=True)
    with pytest.raises(ValueError, match=r"input's rank"):
        L.Dropout(0.5, noise_shape=(None, 1))(np.ones((2, 4, 3), np.float32), training=True)
    with pytest.raises(ValueError, match=r"seed must be a non-negative int"):
        L.Dropout(0.5, seed=-1)


def test_seeded_dropout_model_trains_off_the_fused_path():
    from pyengine.keras import fused
    rng = np.random.default_rng(0)
    x = rng.standard_normal((64, 4)).astype(np.float32)
    y = (x[:, :1] > 0).astype(np.float32)

    def model(**kw):
        pe.manual_seed(0)
        m = keras.Sequential([keras.Input((4,)), L.Dense(8, activation="relu"),
                              L.Dropout(0.3, **kw), L.Dense(1, activation="sigmoid")])
        m.compile(keras.optimizers.SGD(0.3), "binary_crossentropy")
        return m
    assert fused.plan(model(), y) is not None
    runs = []
    for _ in range(2):
        m = model(seed=5)
        assert fused.plan(m, y) is None
        h = m.fit(x, y, epochs=4, batch_size=16, shuffle=False, verbose=0)
        runs.append(h.history["loss"])
    assert runs[0] == runs[1] and runs[0][-1] < runs[0][0]
