"""A weight passed to the fused dense op as the transpose of a (K, O) array (Keras' Dense passes
kernel.T) gets its gradient in the (K, O) layout: contiguous for the optimizer (no per-step copy
of every kernel gradient) and bitwise equal to the composition x @ kernel on every ISA and 1 or
2 threads. Keras' Dense runs relu / sigmoid / tanh in the GEMM epilogue, with the same bits as
applying them after."""
import numpy as np
import pytest

import pyengine as pe
import pyengine.nn.functional as F
from pyengine import _C, keras
from pyengine.keras import layers


def _kernel_grad(fn, x, kernel, b, g):
    kernel.grad = None
    x.grad = None
    fn(x, kernel, b).backward(g)
    return kernel.grad._data, x.grad._data


@pytest.mark.parametrize("act", [None, "relu", "sigmoid", "tanh"])
@pytest.mark.parametrize("shape", [(1, 1, 1), (10, 11, 6), (64, 256, 50), (33, 70, 129), (5, 0, 3)])
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_transposed_weight_grad_is_contiguous_and_bitwise(isa, threads, act, shape, dtype):
    n, k, o = shape
    rng = np.random.default_rng(n + 7 * k + 31 * o)
    x = pe.tensor(rng.standard_normal((n, k)).astype(dtype), requires_grad=True)
    kernel = pe.tensor(rng.standard_normal((k, o)).astype(dtype), requires_grad=True)
    b = pe.tensor(rng.standard_normal(o).astype(dtype), requires_grad=True)
    g = pe.tensor(rng.standard_normal((n, o)).astype(dtype))

    def composed(x, kern, b):
        y = x @ kern + b
        return y if act is None else getattr(y, act)()

    for nt in (1, 2):
        threads(nt)
        gk1, gx1 = _kernel_grad(lambda x, kern, b: F.linear(x, kern.T, b, activation=act),
                                x, kernel, b, g)
        gk0, gx0 = _kernel_grad(composed, x, kernel, b, g)
        assert gk1.flags.c_contiguous and gk1.shape == (k, o)
        np.testing.assert_array_equal(gk1, gk0)
        np.testing.assert_array_equal(gx1, gx0)


def test_kernel_accepts_a_transposed_grad_weight_output():
    rng = np.random.default_rng(0)
    x = rng.standard_normal((6, 5)).astype(np.float32)
    kernel = rng.standard_normal((5, 4)).astype(np.float32)
    g = rng.standard_normal((6, 4)).astype(np.float32)
    out = np.empty((5, 4), np.float32)
    _, gw, _ = _C.linear_backward(x, kernel.T, None, g, False, out.T, False, "none")
    assert np.shares_memory(gw, out)
    np.testing.assert_allclose(out, x.T @ g, rtol=1e-5, atol=1e-5)
    # True allocates the weight's layout: a C-contiguous weight keeps C-contiguous grads
    _, gw, _ = _C.linear_backward(x, np.ascontiguousarray(kernel.T), None, g, False, True, False,
                                  "none")
    assert gw.flags.c_contiguous and gw.shape == (4, 5)
    with pytest.raises(ValueError, match=r"linear.*grad_weight"):
        _C.linear_backward(x, kernel.T, None, g, False, np.empty((4, 5), np.float32).T, False,
                           "none")


@pytest.mark.parametrize("act", ["relu", "sigmoid", "tanh", "elu", None])
def test_keras_dense_fused_activation_matches_applied_after(act):
    rng = np.random.default_rng(1)
    x = rng.standard_normal((16, 12)).astype(np.float32)
    fused = layers.Dense(7, activation=act)
    plain = layers.Dense(7)
    fused.build((None, 12))
    plain.build((None, 12))
    plain.set_weights(fused.get_weights())
    after = keras.activations.get(act)
    xs = [pe.tensor(x, requires_grad=True) for _ in range(2)]
    y1 = fused(xs[0])
    y0 = after(plain(xs[1]))
    np.testing.assert_array_equal(y1.detach().numpy(), y0.detach().numpy())
    (y1 * y1).sum().backward()
    (y0 * y0).sum().backward()
    np.testing.assert_array_equal(xs[0].grad.numpy(), xs[1].grad.numpy())
    np.testing.assert_array_equal(fused.kernel.grad.numpy(), plain.kernel.grad.numpy())
    assert fused.kernel.grad._data.flags.c_contiguous


def test_keras_dense_follows_a_replaced_activation():
    layer = layers.Dense(3, activation="relu")
    x = pe.tensor(np.random.default_rng(2).standard_normal((4, 5)).astype(np.float32))
    assert (layer(x).detach().numpy() >= 0).all()
    layer.activation = keras.activations.get("linear")
    assert (layer(x).detach().numpy() < 0).any()
