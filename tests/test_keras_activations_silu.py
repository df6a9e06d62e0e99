"""keras.activations.silu / 'swish' (x * sigmoid(x), EfficientNet's activation): by name and as
functions, in layers, on symbolic tensors, its gradient, and a config round trip."""
import numpy as np

import pyengine as pe
from pyengine import keras


def _np_silu(x):
    return x / (1.0 + np.exp(-x))


def test_names_resolve_to_one_function():
    act = keras.activations
    assert act.get("silu") is act.get("swish") is act.get("SWISH")
    assert act.name_of(act.get("swish")) == "silu"  # Keras 3 serialises both as 'silu'
    assert act.get(act.swish) is act.get("silu")
    x = np.linspace(-6, 6, 13).astype(np.float32)
    np.testing.assert_allclose(act.swish(pe.tensor(x)).numpy(), _np_silu(x), rtol=1e-6,
                               atol=1e-7)


def test_gradient_matches_the_formula():
    x = np.array([-3.0, -0.5, 0.0, 0.7, 4.0], np.float32)
    t = pe.tensor(x, requires_grad=True)
    keras.activations.get("swish")(t).sum().backward()
    s = 1.0 / (1.0 + np.exp(-x))
    np.testing.assert_allclose(t.grad.numpy(), s * (1 + x * (1 - s)), rtol=1e-5, atol=1e-6)


def test_in_layers_symbolically_and_through_a_config():
    inputs = keras.Input((4,))
    x = keras.layers.Dense(3, activation="swish", kernel_initializer="ones")(inputs)
    outputs = keras.activations.silu(x)  # a functional-graph node on a KerasTensor
    model = keras.Model(inputs, outputs)
    data = np.array([[0.1, -0.2, 0.3, 0.4]], np.float32)
    expected = _np_silu(_np_silu(np.full((1, 3), data.sum(), np.float32)))
    np.testing.assert_allclose(model.predict(data, verbose=0), expected, rtol=1e-5)
    again = keras.Model.from_config(model.get_config())
    again.set_weights(model.get_weights())
    np.testing.assert_allclose(again.predict(data, verbose=0), expected, rtol=1e-5)


def test_hard_sigmoid_and_hard_silu():
    # Keras 3's hard_sigmoid relu6(x + 3) / 6 and hard_silu / 'hard_swish' x * hard_sigmoid(x)
    # (MobileNetV3's activation); a config names hard_swish 'hard_silu', as Keras 3
    act = keras.activations
    x = np.array([-5.0, -3.0, -1.5, 0.0, 1.0, 3.0, 4.5], np.float32)
    gate = np.clip(x + 3.0, 0.0, 6.0) / 6.0
    np.testing.assert_allclose(act.get("hard_sigmoid")(pe.tensor(x)).numpy(), gate, atol=1e-7)
    assert act.get("hard_swish") is act.get("hard_silu") and act.hard_swish is act.hard_silu
    np.testing.assert_allclose(act.hard_swish(pe.tensor(x)).numpy(), x * gate, atol=1e-6)
    layer = keras.layers.Activation("hard_swish")
    assert layer.get_config()["activation"] == "hard_silu"
    t = pe.tensor(x, requires_grad=True)
    act.get("hard_silu")(t).sum().backward()
    grad = np.where(x < -3, 0.0, np.where(x > 3, 1.0, (2 * x + 3) / 6))
    np.testing.assert_allclose(t.grad.numpy(), grad, atol=1e-6)
