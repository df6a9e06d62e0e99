"""Blockers of held-out public programs outside the attention layers: a Sequential built by its
first call takes another sequence length; sparse labels of shape (n, steps); loss=[fn, None]
with one y; Tensor.type; tf.range; a vectorised erf; log(0) without a NumPy warning."""
import numpy as np
import pytest

import pyengine as pe
from pyengine import keras
from pyengine.keras import layers


def test_sequential_built_by_call_takes_another_sequence_length():
    """keras-io English-to-Spanish: dense_proj = Sequential([Dense, Dense]) is built by its first
    call on (b, 8, 16) and then called on (b, 9, 16); Keras checks only the dims layers need."""
    seq = keras.Sequential([layers.Dense(4, activation="relu"), layers.Dense(3)])
    assert seq(pe.randn(2, 8, 16)).shape == (2, 8, 3)
    assert seq(pe.randn(5, 9, 16)).shape == (5, 9, 3)
    with pytest.raises(ValueError, match="16"):  # the Dense kernel still checks the last dim
        seq(pe.randn(2, 9, 15))
    with pytest.raises(ValueError, match="expected input"):  # and the rank
        seq(pe.randn(2, 9, 16, 2))
    # an extra trailing axis of size 1 is dropped (Keras' rank adjustment of model inputs)
    assert seq(pe.randn(2, 9, 16, 1)).shape == (2, 9, 3)


def test_sequential_declared_input_is_still_checked():
    seq = keras.Sequential([keras.Input(shape=(8, 16)), layers.Dense(3)])
    with pytest.raises(ValueError, match=r"expected input of shape \(None,\) \+ \(8, 16\)"):
        seq(pe.randn(2, 9, 16))


def test_sequential_fit_built_by_data_takes_other_lengths():
    seq = keras.Sequential([layers.Dense(3)])
    seq.compile("sgd", "mse")
    seq.fit(np.ones((4, 5, 2), np.float32), np.zeros((4, 5, 3), np.float32), verbose=0)
    assert seq.predict(np.ones((3, 7, 2), np.float32), verbose=0).shape == (3, 7, 3)


@pytest.mark.parametrize("loss", ["sparse_categorical_crossentropy",
                                  keras.losses.SparseCategoricalCrossentropy()])
def test_sparse_sequence_labels(loss):
    """(n, steps) integer labels with (n, steps, classes) predictions, as Keras; the sparse
    accuracy follows. The value equals the mean over every step of -log p[label]."""
    pe.manual_seed(0)
    model = keras.Sequential([keras.Input(shape=(6, 4)), layers.Dense(5, activation="softmax")])
    model.compile("adam", loss=loss, metrics=["accuracy"])
    rng = np.random.default_rng(0)
    x = rng.normal(size=(32, 6, 4)).astype(np.float32)
    y = rng.integers(0, 5, (32, 6))
    p = model.predict(x, verbose=0).astype(np.float64)
    want = -np.log(np.take_along_axis(p, y[..., None], -1)).mean()
    acc = (p.argmax(-1) == y).mean()
    res = model.evaluate(x, y, verbose=0, return_dict=True)
    assert res["loss"] == pytest.approx(want, rel=1e-5)
    assert res["accuracy"] == pytest.approx(acc, abs=1e-6)
    assert model.evaluate(x, y[..., None], verbose=0, return_dict=True)["loss"] == \
        pytest.approx(want, rel=1e-5)
    h = model.fit(x, y, epochs=3, batch_size=8, verbose=0)
    assert h.history["loss"][-1] < h.history["loss"][0]


def test_sparse_labels_wrong_shape_rejected():
    model = keras.Sequential([keras.Input(shape=(6, 4)), layers.Dense(5, activation="softmax")])
    model.compile("adam", loss="sparse_categorical_crossentropy")
    x = np.zeros((8, 6, 4), np.float32)
    with pytest.raises(ValueError, match=r"shape \(n, 6\)"):
        model.fit(x, np.zeros((8, 5), int), verbose=0)
    with pytest.raises(ValueError, match=r"shape \(n, 6\)"):
        model.fit(x, np.zeros((8,), int), verbose=0)


def _two_output_model(losses):
    inp = keras.Input(shape=(4,))
    h = layers.Dense(3)(inp)
    out = layers.Dense(2)(h)
    model = keras.Model(inp, [out, h])
    model.compile("sgd", loss=losses)
    return model


def test_none_loss_output_takes_no_target():
    """loss=[fn, None] and one y (keras-io miniature GPT): y is the first output's target; the
    loss equals the one-output loss; a generator of (x, y) batches works the same."""
    model = _two_output_model(["mse", None])
    rng = np.random.default_rng(0)
    x = rng.normal(size=(16, 4)).astype(np.float32)
    y = rng.normal(size=(16, 2)).astype(np.float32)
    pred = model.predict(x, verbose=0)[0].astype(np.float64)
    assert model.evaluate(x, y, verbose=0) == pytest.approx(((pred - y) ** 2).mean(), rel=1e-5)
    model.fit(x, y, epochs=2, batch_size=4, verbose=0)
    model.fit(((x[i:i + 4], y[i:i + 4]) for i in range(0, 16, 4)), epochs=1, verbose=0)


def test_one_y_for_two_losses_still_rejected():
    model = _two_output_model(["mse", "mse"])
    x = np.zeros((8, 4), np.float32)
    with pytest.raises(ValueError, match="2 outputs; pass y as a list or dict of 2"):
        model.fit(x, np.zeros((8, 2), np.float32), verbose=0)


def test_tensor_type_names_and_casts():
    """PyTorch's Tensor.type (the translation tutorial's create_mask: .type(torch.bool))."""
    import pyengine as torch
    x = torch.zeros((2, 3))
    assert x.type() == "pyengine.FloatTensor"
    assert torch.tensor([1, 2]).type() == "pyengine.LongTensor"
    assert x.double().type() == "pyengine.DoubleTensor"
    assert x.int().type() == "pyengine.IntTensor"
    assert x.bool().type() == "pyengine.BoolTensor"
    assert x.type(torch.uint8).type() == "pyengine.ByteTensor"
    m = x.type(torch.bool)
    assert m.dtype == torch.bool and not m.numpy().any()
    assert x.type("torch.LongTensor").dtype == torch.int64
    assert x.type("pyengine.DoubleTensor").dtype == torch.float64
    assert x.type("float64").dtype == torch.float64
    assert x.type(torch.float32) is x
    y = torch.tensor([1.5, -2.0], requires_grad=True)
    y.type(torch.float64).sum().backward()  # a cast is differentiable, as astype
    np.testing.assert_array_equal(y.grad.numpy(), [1.0, 1.0])
    with pytest.raises(TypeError, match=r"\[type\] unknown tensor type 'torch.HalfTensor'"):
        x.type("torch.HalfTensor")
    with pytest.raises(TypeError, match="unknown dtype"):
        x.type("complex")


def test_erf_matches_math_erf_on_a_dense_grid():
    """The backend's vectorised erf (Cody's rational approximations) against math.erf: every
    interval boundary (0.46875, 4, 6), tails, tiny and huge |x|, signed zeros, inf and NaN."""
    import math
    from pyengine.backend.cpu_erf import erf
    geo = np.geomspace(1e-300, 40.0, 40001)
    x = np.concatenate([np.linspace(-8.0, 8.0, 160001), geo, -geo,
                        np.nextafter([0.46875, 4.0, 6.0], 0), np.nextafter([0.46875, 4.0, 6.0], 9),
                        [0.46875, 4.0, 6.0, 27.0, 1e308, 5e-324, -5e-324, np.finfo(float).max]])
    got = erf(x)
    want = np.array([math.erf(v) for v in x])
    ulps = np.abs(got - want) / np.spacing(np.abs(want))
    assert ulps.max() <= 4.0, (x[np.argmax(ulps)], ulps.max())  # worst: erf = 1 - erfc near 0.47
    assert (ulps > 1).mean() < 0.05
    special = erf(np.array([0.0, -0.0, np.inf, -np.inf, np.nan]))
    np.testing.assert_array_equal(special[:4], [0.0, -0.0, 1.0, -1.0])
    assert np.signbit(special[1]) and np.isnan(special[4])
    x32 = np.linspace(-5, 5, 1001, dtype=np.float32)
    assert erf(x32).dtype == np.float32
    np.testing.assert_array_equal(erf(x32), np.array([math.erf(v) for v in x32.astype(float)],
                                                     np.float32))
    assert erf(np.zeros((0, 3))).shape == (0, 3)
    t = pe.erf(pe.tensor(x32[::-1]))  # a reversed (negative-stride) view through the op
    np.testing.assert_allclose(t.numpy(), erf(x32[::-1]), rtol=0, atol=0)


def test_log_of_zero_does_not_warn():
    import warnings
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        out = pe.log(pe.tensor([0.0, 1.0, -1.0])).numpy()
        pe.tensor([0.0]).log()
    assert out[0] == -np.inf and out[1] == 0.0 and np.isnan(out[2])


def test_dict_targets_may_omit_outputs_without_a_loss():
    inp = keras.Input(shape=(4,))
    h = layers.Dense(3, name="hidden")(inp)
    out = layers.Dense(2, name="out")(h)
    model = keras.Model(inp, {"out": out, "hidden": h})
    model.compile("sgd", loss={"out": "mse"})
    x = np.ones((8, 4), np.float32)
    model.fit(x, {"out": np.zeros((8, 2), np.float32)}, verbose=0)
    with pytest.raises(ValueError, match=r"targets lack outputs \['out'\]"):
        model.fit(x, {"hidden": np.zeros((8, 3), np.float32)}, verbose=0)
