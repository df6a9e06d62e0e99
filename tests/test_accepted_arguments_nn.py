"""nn.functional / nn activation and dropout modules' inplace=True: the caller's tensor holds the
result afterwards (as PyTorch) when it has no autograd history; inside a recorded graph the
result is out of place and gradients stay right."""
import numpy as np
import pytest

import pyengine as pe
import pyengine.nn as nn
import pyengine.nn.functional as F

VALUES = np.array([-2.0, -0.5, 0.0, 1.5, 7.0], np.float32)


@pytest.mark.parametrize("fn, ref", [
    (lambda x, ip: F.relu(x, inplace=ip), np.maximum(VALUES, 0)),
    (lambda x, ip: F.leaky_relu(x, 0.1, inplace=ip), np.where(VALUES > 0, VALUES, 0.1 * VALUES)),
    (lambda x, ip: F.elu(x, inplace=ip), np.where(VALUES > 0, VALUES, np.expm1(VALUES))),
    (lambda x, ip: nn.ReLU(inplace=ip)(x), np.maximum(VALUES, 0)),
    (lambda x, ip: nn.ReLU6(inplace=ip)(x), np.clip(VALUES, 0, 6)),
    (lambda x, ip: nn.Hardtanh(inplace=ip)(x), np.clip(VALUES, -1, 1)),
    (lambda x, ip: nn.LeakyReLU(0.2, inplace=ip)(x), np.where(VALUES > 0, VALUES, 0.2 * VALUES)),
    (lambda x, ip: nn.ELU(inplace=ip)(x), np.where(VALUES > 0, VALUES, np.expm1(VALUES))),
    (lambda x, ip: nn.SiLU(inplace=ip)(x), VALUES / (1 + np.exp(-VALUES))),
])
def test_inplace_activations_write_into_the_input(fn, ref):
    x = pe.tensor(VALUES.copy())
    out = fn(x, True)
    assert out is x
    np.testing.assert_allclose(x.numpy(), ref, rtol=1e-6, atol=1e-7)
    y = pe.tensor(VALUES.copy())
    out = fn(y, False)
    np.testing.assert_array_equal(y.numpy(), VALUES)          # untouched without inplace
    np.testing.assert_allclose(out.numpy(), ref, rtol=1e-6, atol=1e-7)


def test_inplace_under_no_grad_on_weights_like_pytorch():
    w = pe.tensor(VALUES.copy(), requires_grad=True)
    with pe.no_grad():
        F.relu(w, inplace=True)
    np.testing.assert_array_equal(w.detach().numpy(), np.maximum(VALUES, 0))


def test_inplace_in_a_graph_keeps_gradients_right():
    w = pe.tensor(VALUES.copy(), requires_grad=True)
    h = w.tanh()                          # tanh's backward needs its output
    out = nn.ReLU(inplace=True)(h)
    out.sum().backward()
    t = np.tanh(VALUES)
    np.testing.assert_allclose(w.grad.numpy(), (t > 0) * (1 - t * t), rtol=1e-5, atol=1e-6)
    # written into h, as PyTorch: h adopts the result; tanh's backward kept its own output
    assert out is h
    np.testing.assert_allclose(h.detach().numpy(), np.maximum(t, 0), rtol=1e-6)


@pytest.mark.parametrize("make", [
    lambda ip: nn.Dropout(0.5, inplace=ip),
    lambda ip: nn.Dropout2d(0.5, inplace=ip),
])
def test_inplace_dropout(make):
    pe.manual_seed(0)
    x = pe.ones(2, 3, 4, 4)
    out = make(True).train()(x)
    assert out is x
    vals = np.unique(x.numpy())
    assert set(vals.tolist()) == {0.0, 2.0}
    y = pe.ones(2, 3, 4, 4)
    make(False).train()(y)
    np.testing.assert_array_equal(y.numpy(), 1.0)


def test_inplace_repr_like_pytorch():
    assert repr(nn.LeakyReLU(0.2, inplace=True)) == "LeakyReLU(negative_slope=0.2, inplace=True)"
    assert repr(nn.ReLU6(inplace=True)) == "ReLU6(inplace=True)"
    assert repr(nn.ELU()) == "ELU(alpha=1.0)"


@pytest.mark.parametrize("fn,op", [(lambda t: F.relu(t, inplace=True), "relu"),
                                   (lambda t: F.elu(t, inplace=True), "elu"),
                                   (lambda t: nn.ReLU6(inplace=True)(t), "ReLU6")])
def test_inplace_into_an_integer_tensor_raises_naming_the_op(fn, op):
    x = pe.tensor([-1, 2, -3])
    with pytest.raises(TypeError, match=rf"\[{op}\] inplace=True cannot write the float\d+ "
                                        r"result into the int64 input"):
        fn(x)
    np.testing.assert_array_equal(x.numpy(), [-1, 2, -3])  # untouched
