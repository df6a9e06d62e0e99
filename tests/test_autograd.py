"""The autograd engine: seed examples, long chains, retain_graph, no_grad, accumulation."""
import numpy as np
import pytest

import pyengine as pe


def test_seed_example():
    x = pe.tensor(1.0, requires_grad=True)
    y = pe.tensor(3.0, requires_grad=True)
    z = pe.tensor(-3.0, requires_grad=True)
    g = (x + y) * z
    g.backward()
    assert g.item() == -12.0
    assert (x.grad.item(), y.grad.item(), z.grad.item()) == (-3.0, -3.0, 4.0)


def test_micrograd_example():
    a = pe.tensor(-4.0, dtype=pe.float64, requires_grad=True)
    b = pe.tensor(2.0, dtype=pe.float64, requires_grad=True)
    c = a + b
    d = a * b + b ** 3
    c = c + c + 1
    c = c + 1 + c + (-a)
    d = d + d * 2 + (b + a).relu()
    d = d + 3 * d + (b - a).relu()
    e = c - d
    f = e ** 2
    g = f / 2.0
    g = g + 10.0 / f
    g.backward()
    assert abs(g.item() - 24.70408163265306) < 1e-9
    assert abs(a.grad.item() - 138.83381924198252) < 1e-9
    assert abs(b.grad.item() - 645.5772594752186) < 1e-9


def test_long_chain_no_recursion():
    x = pe.tensor(1.0, dtype=pe.float64, requires_grad=True)
    y = x
    for _ in range(10_000):
        y = y * 1.0001 + 0.0
    y.backward()
    np.testing.assert_allclose(x.grad.item(), 1.0001 ** 10_000, rtol=1e-9)


def test_retain_graph():
    x = pe.tensor([1.0, 2.0], requires_grad=True)
    y = (x * x).sum()
    y.backward(retain_graph=True)
    y.backward()
    np.testing.assert_allclose(x.grad.numpy(), [4.0, 8.0])  # accumulated twice
    with pytest.raises(RuntimeError, match="second time"):
        y.backward()


def test_non_scalar_backward_needs_gradient():
    x = pe.tensor([1.0, 2.0], requires_grad=True)
    y = x * 2
    with pytest.raises(RuntimeError, match="scalar"):
        y.backward()
    y.backward(pe.tensor([1.0, 0.5]))
    np.testing.assert_allclose(x.grad.numpy(), [2.0, 1.0])
    with pytest.raises(ValueError, match="gradient has shape"):
        (x * 2).backward(pe.ones(3))


def test_backward_without_grad_errors():
    with pytest.raises(RuntimeError, match="does not require grad"):
        pe.ones(2).sum().backward()


def test_no_grad():
    x = pe.tensor([1.0], requires_grad=True)
    with pe.no_grad():
        y = x * 2
    assert not y.requires_grad and y.grad_fn is None and not pe.is_grad_enabled() is False

    @pe.no_grad()
    def f(t):
        return t * 3
    assert not f(x).requires_grad
    assert (x * 2).requires_grad
    with pe.no_grad():
        with pe.enable_grad():
            assert (x * 2).requires_grad


def test_gradient_accumulation_and_zero():
    x = pe.tensor([1.0, 2.0], requires_grad=True)
    for _ in range(3):
        (x * 2).sum().backward()
    np.testing.assert_allclose(x.grad.numpy(), [6.0, 6.0])
    x.grad = None
    (x * x).sum().backward()
    np.testing.assert_allclose(x.grad.numpy(), [2.0, 4.0])


def test_shared_subexpression_and_diamond():
    x = pe.tensor(2.0, requires_grad=True)
    a = x * x
    y = a + a * a  # dy/dx = 2x + 4x^3
    y.backward()
    assert x.grad.item() == 2 * 2 + 4 * 8


def test_broadcast_gradients_sum_back():
    x = pe.ones(3, 1, requires_grad=True)
    b = pe.ones(4, requires_grad=True)
    (x * b).sum().backward()
    assert x.grad.shape == (3, 1) and b.grad.shape == (4,)
    np.testing.assert_allclose(x.grad.numpy(), 4.0)
    np.testing.assert_allclose(b.grad.numpy(), 3.0)


def test_detach_and_leaf():
    x = pe.tensor([1.0], requires_grad=True)
    y = x * 2
    assert x.is_leaf and not y.is_leaf and y.grad_fn.name == "MulBackward"
    d = y.detach()
    assert not d.requires_grad and d.is_leaf
    assert not y.numpy().flags.writeable  # read-only view (TF programs call .numpy())
    np.testing.assert_allclose(y.detach().numpy(), [2.0])


def test_retain_grad_and_autograd_grad():
    x = pe.tensor([1.0, 2.0], requires_grad=True)
    h = x * 3
    h.retain_grad()
    (h * h).sum().backward()
    np.testing.assert_allclose(h.grad.numpy(), [6.0, 12.0])
    from pyengine.autograd import grad
    x2 = pe.tensor([3.0], requires_grad=True)
    (g,) = grad((x2 * x2).sum(), [x2])
    np.testing.assert_allclose(g.numpy(), [6.0])
    assert x2.grad is None


def test_integer_tensors_cannot_require_grad():
    with pytest.raises(RuntimeError, match="floating-point"):
        pe.tensor([1, 2], requires_grad=True)


def test_gradcheck_reports_wrong_gradient():
    from pyengine.autograd import Function

    class Bad(Function):
        @staticmethod
        def forward(ctx, a):
            return a * 2

        @staticmethod
        def backward(ctx, g):
            return g * 3

    x = pe.tensor([1.0, 2.0], dtype=pe.float64, requires_grad=True)
    with pytest.raises(pe.testing.GradcheckError, match="differs"):
        pe.testing.gradcheck(lambda t: Bad.apply(t), [x])
    assert pe.testing.gradcheck(lambda t: Bad.apply(t), [x], raise_exception=False) is False
