"""An in-place write into a constant a recorded op read (a data batch, a mask: a tensor that
does not require grad) makes that op's backward raise, as in PyTorch, instead of computing the
gradient from the new values (autograd.Node.versions, Tensor._version)."""
import numpy as np
import pytest

import pyengine as pe
import pyengine.nn as nn

WRITES = {
    "setitem": lambda x: x.__setitem__(0, 5.0),
    "add_": lambda x: x.add_(1),
    "mul_": lambda x: x.mul_(2),
    "fill_": lambda x: x.fill_(2.0),
    "zero_": lambda x: x.zero_(),
    "copy_": lambda x: x.copy_(pe.full((3,), 4.0)),
    "iadd": lambda x: x.__iadd__(1.0),
    "uniform_": lambda x: x.uniform_(),
    "out=": lambda x: pe.add(x, 1.0, out=x),
    "sin_": lambda x: x.sin_(),
}


@pytest.mark.parametrize("write", list(WRITES))
def test_a_write_into_a_constant_the_graph_read_raises_at_backward(write):
    w = pe.tensor([1.0, 2.0, 3.0], requires_grad=True)
    x = pe.tensor([1.0, 1.0, 1.0])
    y = (w * x).sum()
    WRITES[write](x)
    with pytest.raises(RuntimeError, match=r"modified by an inplace operation: input 1 of "
                                           r"MulBackward \(shape \(3,\)\) was at version 0"):
        y.backward()
    assert w.grad is None


def test_writes_before_the_op_or_after_backward_are_fine():
    w = pe.tensor([1.0, 2.0, 3.0], requires_grad=True)
    x = pe.tensor([1.0, 1.0, 1.0])
    x[0] = 3.0  # before the op: the op reads version 1
    y = (w * x).sum()
    y.backward()
    np.testing.assert_array_equal(w.grad.numpy(), [3.0, 1.0, 1.0])
    x.add_(1)  # after backward: nothing left to read it
    w.grad = None
    (w * x).sum().backward()
    np.testing.assert_array_equal(w.grad.numpy(), [4.0, 2.0, 2.0])


def test_ops_whose_backward_does_not_read_the_constant_accept_the_write_as_pytorch_does():
    w = pe.tensor([1.0, 2.0], requires_grad=True)
    x = pe.tensor([1.0, 1.0])
    y = (w + x).sum() + (w - x).sum() + pe.cat([w, x]).sum() + pe.stack([w, x]).sum()
    x.add_(10)
    y.backward()
    np.testing.assert_array_equal(w.grad.numpy(), [4.0, 4.0])


def test_the_retained_graph_is_checked_again():
    w = pe.tensor([1.0, 2.0], requires_grad=True)
    x = pe.tensor([3.0, 4.0])
    y = (w * x).sum()
    y.backward(retain_graph=True)
    x[1] = 0.0
    with pytest.raises(RuntimeError, match="inplace"):
        y.backward()


def test_a_layer_input_batch_written_before_backward_raises():
    lin = nn.Linear(3, 2)
    xb = pe.randn(4, 3)
    loss = lin(xb).sum()
    xb.mul_(2)
    with pytest.raises(RuntimeError, match="inplace"):
        loss.backward()


def test_the_create_graph_walk_checks_too():
    w = pe.tensor([1.0, 2.0], requires_grad=True)
    x = pe.tensor([3.0, 4.0])
    y = (w * w * x).sum()
    x.fill_(0.0)
    with pytest.raises(RuntimeError, match="inplace"):
        pe.autograd.grad(y, w, create_graph=True)


def test_a_user_function_with_a_constant_input_is_checked():
    class Scale(pe.autograd.Function):
        @staticmethod
        def forward(ctx, a, s):
            ctx.save_for_backward(s)
            return a * s

        @staticmethod
        def backward(ctx, g):
            s, = ctx.saved_tensors
            return g * s, None

    w = pe.tensor([1.0, 2.0], requires_grad=True)
    s = pe.tensor([3.0, 3.0])
    y = Scale.apply(w, s).sum()
    s.zero_()
    with pytest.raises(RuntimeError, match="inplace"):
        y.backward()


def test_ops_on_tensors_that_all_require_grad_keep_no_versions():
    a = pe.tensor([1.0, 2.0], requires_grad=True)
    b = pe.tensor([3.0, 4.0], requires_grad=True)
    assert (a * b).grad_fn.versions is None
    assert (a * pe.tensor([1.0, 1.0])).grad_fn.versions == (0, 0)
    assert (a + pe.tensor([1.0, 1.0])).grad_fn.versions is None  # add reads no input


@pytest.mark.parametrize("alias", ["slice", "row", "view", "slice of a slice"])
def test_a_write_through_a_view_of_a_constant_counts_for_the_constant(alias):
    w = pe.tensor([1.0, 2.0, 3.0, 4.0], requires_grad=True)
    x = pe.ones(2, 2)
    y = (w.reshape(2, 2) * x).sum()
    view = {"slice": lambda: x[0:1], "row": lambda: x[1], "view": lambda: x.view(4),
            "slice of a slice": lambda: x[:, 1:][1:]}[alias]()
    view.mul_(3.0)  # changes x, which MulBackward saved
    assert x.detach().numpy().sum() > 4.0
    with pytest.raises(RuntimeError, match="modified by an inplace operation: input 1"):
        y.backward()


def test_a_write_through_data_is_not_counted_as_in_torch():
    w = pe.tensor([1.0, 2.0], requires_grad=True)
    x = pe.ones(2)
    y = (w * x).sum()
    x.data.mul_(3.0)  # torch's .data has a version counter of its own: backward reads 3s
    y.backward()
    np.testing.assert_array_equal(w.grad.numpy(), [3.0, 3.0])
