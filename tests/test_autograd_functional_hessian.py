"""torch.autograd.functional.hessian / hvp / vhp (pyengine/autograd_functional.py) over
create_graph: closed forms in float64, PyTorch's values when it is installed, tuple inputs,
strict, argument errors."""
import numpy as np
import pytest

import pyengine as pe
from pyengine.autograd import functional as AF

try:
    import torch
except ImportError:
    torch = None


def f(x, y):
    return (x ** 2 * y.sum() + x.sin()).sum() + (y ** 3).sum()


def test_hessian_closed_form_and_tuple_blocks():
    x = pe.tensor([0.5, -1.0], dtype=pe.float64)
    y = pe.tensor([2.0, 1.0, 3.0], dtype=pe.float64)
    h = AF.hessian(f, (x, y))
    xn, yn = x.numpy(), y.numpy()
    np.testing.assert_allclose(h[0][0].numpy(), np.diag(2 * yn.sum() - np.sin(xn)), rtol=1e-12)
    np.testing.assert_allclose(h[0][1].numpy(), np.tile(2 * xn[:, None], (1, 3)), rtol=1e-12)
    np.testing.assert_allclose(h[1][0].numpy(), h[0][1].numpy().T, rtol=1e-12)
    np.testing.assert_allclose(h[1][1].numpy(), np.diag(6 * yn), rtol=1e-12)
    single = AF.hessian(lambda t: (t ** 3).sum(), pe.tensor([[1.0, 2.0]], dtype=pe.float64))
    assert single.shape == (1, 2, 1, 2)


def test_hvp_vhp_equal_hessian_times_v():
    x = pe.tensor(np.random.default_rng(0).standard_normal(4))
    v = pe.tensor(np.random.default_rng(1).standard_normal(4))
    g = lambda t: (t.exp() * t.tanh()).sum() + (t @ t) ** 2  # noqa: E731
    h = AF.hessian(g, x).numpy()
    out, hv = AF.hvp(g, x, v)
    _, vh = AF.vhp(g, x, v)
    np.testing.assert_allclose(hv.numpy(), h @ v.numpy(), rtol=1e-10)
    np.testing.assert_allclose(vh.numpy(), v.numpy() @ h, rtol=1e-10)
    assert not out.requires_grad
    if torch is not None:
        tg = lambda t: (t.exp() * t.tanh()).sum() + (t @ t) ** 2  # noqa: E731
        tx = torch.tensor(x.numpy())
        np.testing.assert_allclose(h, torch.autograd.functional.hessian(tg, tx).numpy(),
                                   rtol=1e-10)
        np.testing.assert_allclose(hv.numpy(), torch.autograd.functional.hvp(
            tg, tx, torch.tensor(v.numpy()))[1].numpy(), rtol=1e-10)


def test_strict_and_errors():
    x, z = pe.tensor([1.0, 2.0]), pe.tensor([3.0])
    h = AF.hessian(lambda a, b: (a ** 2).sum(), (x, z))
    assert float(np.abs(h[1][1].numpy()).sum()) == 0.0  # b unused: zeros
    with pytest.raises(RuntimeError, match="strict=True"):
        AF.hessian(lambda a, b: (a ** 2).sum(), (x, z), strict=True)
    with pytest.raises(RuntimeError, match="single-element"):
        AF.hessian(lambda a: a ** 2, x)
    with pytest.raises(RuntimeError, match="v has shape"):
        AF.hvp(lambda a: (a ** 2).sum(), x, pe.tensor([1.0]))
    with pytest.raises(NotImplementedError, match="create_graph=True"):
        AF.hvp(lambda a: (a ** 2).sum(), x, x, create_graph=True)


def test_jacobian_of_an_unused_input_is_zeros():
    """autograd.grad raises for an unused input unless allow_unused=True; jacobian asks for it
    and fills zeros (strict=True raises), as torch."""
    ja, jb = AF.jacobian(lambda a, b: a * 2.0, (pe.tensor([1.0, 2.0]), pe.tensor([3.0])))
    np.testing.assert_array_equal(ja.numpy(), 2 * np.eye(2))
    np.testing.assert_array_equal(jb.numpy(), np.zeros((2, 1)))
    with pytest.raises(RuntimeError, match="strict=True"):
        AF.jacobian(lambda a, b: a * 2.0, (pe.tensor([1.0]), pe.tensor([3.0])), strict=True)
