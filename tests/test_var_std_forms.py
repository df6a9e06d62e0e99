"""var / std take PyTorch's argument forms: (dim, unbiased, keepdim) positionally, correction= as
a keyword, and NumPy / Keras' axis= / keepdims= keywords; the same answers through Tensor
methods, pe.var / pe.std and nn.functional."""
import numpy as np
import pytest

import pyengine as pe
import pyengine.nn.functional as F

X = np.random.default_rng(0).normal(size=(5, 4)).astype(np.float64)


@pytest.mark.parametrize("name", ["var", "std"])
def test_positional_forms_follow_pytorch(name):
    x = pe.tensor(X)
    ref = getattr(np, name)
    for call in (lambda *a, **k: getattr(x, name)(*a, **k),
                 lambda *a, **k: getattr(pe, name)(x, *a, **k),
                 lambda *a, **k: getattr(F, name)(x, *a, **k)):
        np.testing.assert_allclose(call().numpy(), ref(X, ddof=1))
        np.testing.assert_allclose(call(0).numpy(), ref(X, 0, ddof=1))
        # x.std(0, False): the population form, not keepdim (PyTorch's legacy order)
        np.testing.assert_allclose(call(0, False).numpy(), ref(X, 0, ddof=0))
        out = call(1, True, True).numpy()
        assert out.shape == (5, 1)
        np.testing.assert_allclose(out, ref(X, 1, ddof=1, keepdims=True))
        np.testing.assert_allclose(call(dim=1, correction=0, keepdim=True).numpy(),
                                   ref(X, 1, ddof=0, keepdims=True))
        np.testing.assert_allclose(call(axis=(0, 1), keepdims=True).numpy(),
                                   ref(X, (0, 1), ddof=1, keepdims=True))


@pytest.mark.parametrize("name", ["var", "std"])
def test_bad_unbiased_and_both_spellings_raise(name):
    x = pe.tensor(X)
    with pytest.raises(TypeError, match=rf"\[{name}\] unbiased must be a bool"):
        getattr(x, name)(0, 1)
    with pytest.raises(TypeError, match=rf"\[{name}\] give unbiased= or correction="):
        getattr(x, name)(0, True, correction=0)


def test_std_gradient_through_population_form():
    x = pe.tensor(X, requires_grad=True)
    x.std(0, False).sum().backward()
    d = X - X.mean(0)
    np.testing.assert_allclose(x.grad.numpy(), d / (len(X) * X.std(0)), rtol=1e-10)
