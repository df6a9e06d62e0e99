"""In-place writes into tensors of a recorded graph (PyTorch rebases the tensor's history):
the in-place methods, zero_ / fill_ / copy_ and F.*(inplace=True) make the tensor adopt the
result and its node, and ops that read the tensor before the write keep the version they
read. Checked by gradcheck and against the out-of-place composition (and torch when present)."""
import numpy as np
import pytest

import pyengine as pe
import pyengine.nn.functional as F
from pyengine.testing import gradcheck


def _inputs(seed, shape=(2, 3)):
    rng = np.random.default_rng(seed)
    return [pe.tensor(rng.standard_normal(shape), requires_grad=True) for _ in range(2)]


def test_in_place_methods_in_a_graph_match_the_out_of_place_composition():
    mask = pe.tensor([[True, False, False], [False, True, False]])

    def in_place(a, b):
        t = a * 2.0
        read_before = t * b  # reads t's first version
        t.add_(b)
        t.mul_(b)
        t.clamp_(-1.5, 1.5)
        t.masked_fill_(mask, 0.25)
        t.tanh_()
        return t + read_before

    def out_of_place(a, b):
        t = a * 2.0
        read_before = t * b
        t = ((t + b) * b).clamp(-1.5, 1.5).masked_fill(mask, 0.25).tanh()
        return t + read_before
    a, b = _inputs(0)
    np.testing.assert_array_equal(in_place(a, b).detach().numpy(),
                                  out_of_place(a, b).detach().numpy())
    assert gradcheck(in_place, (a, b))
    ga = pe.autograd.grad(in_place(a, b).sum(), (a, b))
    gb = pe.autograd.grad(out_of_place(a, b).sum(), (a, b))
    for x, y in zip(ga, gb):
        np.testing.assert_array_equal(x.numpy(), y.numpy())


def test_zero_fill_and_copy_end_the_old_gradient_path():
    a, b = _inputs(1)
    t = a * 3.0
    t.zero_()
    (t * 2.0 + a).sum().backward()  # only the direct `+ a` path is left
    np.testing.assert_array_equal(a.grad.numpy(), 1.0)
    assert t.grad_fn is not None and not t.detach().numpy().any()
    a.grad = None
    t = a * 3.0
    t.fill_(7.0)
    assert (t.detach().numpy() == 7.0).all()
    (t * a).sum().backward()  # d/da (7 a) = 7: nothing through the filled tensor
    np.testing.assert_array_equal(a.grad.numpy(), 7.0)
    a.grad = None
    t = a * 3.0
    t.copy_(b)  # the gradient now reaches b, not a
    (t * 2.0).sum().backward()
    np.testing.assert_array_equal(a.grad.numpy(), 0.0)  # zeros, as PyTorch's CopyBackwards
    np.testing.assert_array_equal(b.grad.numpy(), 2.0)
    b.grad = None
    buf = pe.zeros(2, 3, dtype=pe.float32)  # a plain buffer takes a float64 graph value
    buf.copy_(b * 4.0)
    assert buf.requires_grad and buf.dtype == pe.float32
    buf.sum().backward()
    np.testing.assert_allclose(b.grad.numpy(), 4.0)
    a.grad = None
    t = a * 3.0
    t.uniform_(2.0, 3.0)  # random fills too: the values are constants of the graph
    (t * a).sum().backward()
    np.testing.assert_array_equal(a.grad.numpy(), t.detach().numpy())
    assert (t.detach().numpy() >= 2.0).all() and t.grad_fn is not None


def test_a_plain_tensor_joins_the_graph_through_an_in_place_method():
    a, _ = _inputs(2)
    acc = pe.zeros(2, 3, dtype=pe.float64)
    for k in range(3):
        acc.add_(a * float(k + 1))  # 6 a in all
    assert acc.requires_grad
    acc.relu_()
    acc.sum().backward()
    np.testing.assert_array_equal(a.grad.numpy(), np.where(a.detach().numpy() > 0, 6.0, 0.0))


def test_in_place_view_ops_reshape_a_graph_tensor():
    a, _ = _inputs(6)
    t = a * pe.tensor([[1.0, 2.0, 3.0]], dtype=pe.float64)
    u = t * 2.0  # reads t in its (2, 3) shape
    t.unsqueeze_(0)
    t.transpose_(1, 2)
    assert tuple(t.shape) == (1, 3, 2)
    (t.sum() * 3.0 + u.sum()).backward()
    np.testing.assert_array_equal(a.grad.numpy(), np.array([[5.0, 10.0, 15.0]] * 2))
    with pytest.raises(RuntimeError, match="leaf tensor that requires grad"):
        a.unsqueeze_(0)


def test_functional_inplace_writes_into_a_graph_tensor():
    a, _ = _inputs(3)
    t = a - 0.5
    out = F.relu(t, inplace=True)
    assert out is t and (t.detach().numpy() >= 0).all()
    t.sum().backward()
    np.testing.assert_array_equal(a.grad.numpy(), (a.detach().numpy() > 0.5).astype(float))


def test_refusals_leaf_view_and_dtype():
    a, _ = _inputs(4)
    with pytest.raises(RuntimeError, match="leaf tensor that requires grad"):
        a.add_(1.0)
    with pytest.raises(RuntimeError, match="leaf tensor that requires grad"):
        a.zero_()
    t = a * 2.0
    with pytest.raises(RuntimeError, match="view of a leaf tensor that requires grad"):
        a[0].zero_()  # (writes through views: tests/test_view_writes.py)
    with pytest.raises(RuntimeError, match=r"\[copy_\] the source of shape \(4,\)"):
        t.copy_(pe.ones(4, dtype=pe.float64))  # in the graph
    with pytest.raises(RuntimeError, match=r"\[copy_\] the source of shape \(2, 2\)"):
        pe.zeros(2).copy_(pe.ones(2, 2))  # outside it
    with pytest.raises(RuntimeError, match="0-dimension value tensor"):
        pe.zeros(3).fill_(pe.ones(2))
    v = a.view(6)  # F.*(inplace=True) on a view of a leaf: the out-of-place result
    out = F.relu(v, inplace=True)
    assert out is not v and (v.detach().numpy() == a.detach().numpy().reshape(6)).all()
    ints = pe.zeros(2, 3, dtype=pe.int64)
    with pytest.raises(TypeError, match="can't be written into a int64 tensor"):
        ints.add_(a)
    with pe.no_grad():  # outside autograd the methods write into the array, views included
        base = a.detach().clone()
        base.view(6).add_(1.0)
        np.testing.assert_array_equal(base.numpy(), a.detach().numpy() + 1.0)


def test_against_torch_when_installed():
    torch = pytest.importorskip("torch")
    rng = np.random.default_rng(5)
    av, bv = rng.standard_normal((3, 4)), rng.standard_normal((3, 4))

    def run(lib, a, b):
        t = a * 2.0
        t.add_(b, alpha=0.5)
        t.mul_(b)
        buf = lib.zeros(3, 4, dtype=lib.float64)
        buf.copy_(t)
        buf.clamp_(min=-1.0)
        return (buf * a).sum()
    pa, pb = (pe.tensor(v, requires_grad=True) for v in (av, bv))
    ta, tb = (torch.tensor(v, requires_grad=True) for v in (av, bv))
    lp, lt = run(pe, pa, pb), run(torch, ta, tb)
    lp.backward()
    lt.backward()
    np.testing.assert_allclose(lp.item(), lt.item(), rtol=1e-12)
    np.testing.assert_allclose(pa.grad.numpy(), ta.grad.numpy(), rtol=1e-12)
    np.testing.assert_allclose(pb.grad.numpy(), tb.grad.numpy(), rtol=1e-12)
