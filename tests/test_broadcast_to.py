"""broadcast_to under its PyTorch (pe.broadcast_to) and Keras (keras.ops.broadcast_to) names:
NumPy's result, the gradient summed over the broadcast axes, clear errors."""
import numpy as np
import pytest

import pyengine as pe
from pyengine.keras import ops


@pytest.mark.parametrize("fn", [pe.broadcast_to, ops.broadcast_to])
@pytest.mark.parametrize("src,shape", [((3,), (2, 3)), ((2, 1), (2, 4)), ((1, 3, 1), (2, 3, 5)),
                                       ((), (4,)), ((0,), (2, 0))])
def test_matches_numpy_with_summed_gradient(fn, src, shape):
    a = np.random.default_rng(0).normal(size=src)
    x = pe.tensor(a, requires_grad=True)
    y = fn(x, shape)
    np.testing.assert_array_equal(y.detach().numpy(), np.broadcast_to(a, shape))
    w = np.random.default_rng(1).normal(size=shape)
    (y * pe.tensor(w)).sum().backward()
    lead = len(shape) - len(src)
    g = w.sum(axis=tuple(range(lead))) if lead else w
    g = g.sum(axis=tuple(i for i, n in enumerate(src) if n == 1 and shape[lead + i] != 1),
              keepdims=True) if src else g
    np.testing.assert_allclose(x.grad.numpy(), np.reshape(g, src))


def test_incompatible_shape_raises():
    with pytest.raises(ValueError, match=r"cannot broadcast shape \(3,\) to \(2, 4\)"):
        pe.broadcast_to(pe.ones(3), (2, 4))
