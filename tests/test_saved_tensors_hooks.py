"""torch.autograd.graph's saved-tensor hooks (pyengine/autograd_graph.py): what ops save goes
through pack / unpack, gradients are unchanged, the innermost hooks apply, per thread;
save_on_cpu, disable_saved_tensors_hooks, and the shape check of what unpack returns."""
import threading

import numpy as np
import pytest

import pyengine as pe
import pyengine.nn.functional as F
from pyengine.autograd.graph import (disable_saved_tensors_hooks, save_on_cpu,
                                     saved_tensors_hooks)


def _loss(w1, w2, x, y):
    return F.cross_entropy(F.relu(x @ w1) @ w2, y)


def _params(seed=0):
    rng = np.random.default_rng(seed)
    return (pe.tensor(rng.standard_normal((6, 5)), requires_grad=True),
            pe.tensor(rng.standard_normal((5, 3)), requires_grad=True),
            pe.tensor(rng.standard_normal((4, 6))), pe.tensor([0, 2, 1, 2]))


def test_hooks_see_the_saved_tensors_and_leave_the_gradients_alone():
    w1, w2, x, y = _params()
    log = []

    def pack(t):  # a disk-like round trip: the hook keeps its own copy
        log.append(("pack", tuple(t.shape)))
        return t.detach().numpy().copy()

    def unpack(a):
        log.append(("unpack", a.shape))
        return pe.tensor(a)
    with saved_tensors_hooks(pack, unpack):
        loss = _loss(w1, w2, x, y)
    assert sum(e[0] == "pack" for e in log) >= 3  # the matmuls' operands at least
    loss.backward()
    packs = [e[1] for e in log if e[0] == "pack"]
    assert sorted(e[1] for e in log if e[0] == "unpack") == sorted(packs)
    got = (w1.grad.numpy().copy(), w2.grad.numpy().copy())
    w1.grad = w2.grad = None
    _loss(w1, w2, x, y).backward()  # the same graph without hooks
    np.testing.assert_array_equal(got[0], w1.grad.numpy())
    np.testing.assert_array_equal(got[1], w2.grad.numpy())


def test_innermost_hooks_apply_and_they_are_per_thread():
    w1, w2, x, y = _params(1)
    outer, inner = [], []
    with saved_tensors_hooks(lambda t: outer.append(1) or t, lambda t: t):
        with saved_tensors_hooks(lambda t: inner.append(1) or t, lambda t: t):
            _loss(w1, w2, x, y)
            packed_here = len(inner)

            def work():  # another thread records without this thread's hooks
                _loss(w1, w2, x, y).backward()
            th = threading.Thread(target=work)
            th.start()
            th.join()
            assert len(inner) == packed_here > 0
        assert outer == []
        _loss(w1, w2, x, y)  # the outer hooks again once the inner ones exit
        assert outer


def test_custom_function_save_on_cpu_and_disable():
    class Cube(pe.autograd.Function):
        @staticmethod
        def forward(ctx, a):
            ctx.save_for_backward(a)
            return a * a * a

        @staticmethod
        def backward(ctx, g):
            (a,) = ctx.saved_tensors
            return 3.0 * a * a * g
    a = pe.tensor([1.0, -2.0, 0.5], requires_grad=True)
    with save_on_cpu(pin_memory=True):
        out = Cube.apply(a).sum()
    out.backward()
    np.testing.assert_allclose(a.grad.numpy(), 3.0 * np.array([1.0, 4.0, 0.25]))
    with pytest.raises(RuntimeError, match="not with this feature"):
        with disable_saved_tensors_hooks("not with this feature"):
            with saved_tensors_hooks(lambda t: t, lambda t: t):
                pass
    with pytest.raises(TypeError, match="pin_memory must be a bool"):
        save_on_cpu(pin_memory="yes")


def test_unpack_must_give_back_the_saved_shape():
    w1, w2, x, y = _params(2)
    with saved_tensors_hooks(lambda t: t, lambda t: pe.zeros(1)):
        loss = _loss(w1, w2, x, y)
    with pytest.raises(RuntimeError, match=r"unpack_hook returned a tensor of shape \(1,\)"):
        loss.backward()
