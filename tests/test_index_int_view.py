"""x[i] (every axis indexed by an int) is a 0-d view, as in PyTorch: in-place ops on it change x
(NumPy would return a copied scalar); gradients still flow to the indexed element."""
import numpy as np
import pytest

import pyengine as pe


@pytest.mark.parametrize("shape, key", [((3,), 1), ((3,), -1), ((2, 3), (1, 2)),
                                        ((2, 3), (Ellipsis, 1, 0)), ((4, 1, 2), (3, 0, 1))])
def test_int_index_is_a_view(shape, key):
    x = pe.zeros(*shape)
    v = x[key]
    assert v.shape == () and v.ndim == 0
    v.add_(5.0)
    expected = np.zeros(shape, np.float32)
    expected[key] = 5.0
    np.testing.assert_array_equal(x.numpy(), expected)


def test_chained_int_index_and_grad():
    x = pe.arange(6.0).reshape(2, 3)
    x[1][2].mul_(10)
    assert x.numpy()[1, 2] == 50 and x[1, 2].item() == 50.0
    w = pe.ones(3, requires_grad=True)
    (w[1] * 3).backward()
    np.testing.assert_array_equal(w.grad.numpy(), [0, 3, 0])


def test_out_of_range_names_the_shape():
    with pytest.raises(IndexError, match=r"\[index\].*shape \(3,\)"):
        pe.zeros(3)[3]
