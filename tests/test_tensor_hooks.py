"""Tensor.register_hook: hooks see (and may replace) a tensor's gradient, on intermediate
tensors and leaves, as PyTorch's; handles remove them; the Grad-CAM pattern works."""
import gc

import numpy as np
import pytest

import pyengine as pe
import pyengine.nn as nn
from pyengine import autograd


def _graph(lib, x0, scale_hidden):
    x = lib.tensor(x0, requires_grad=True)
    h = (x * 3).tanh()
    seen = []
    h.register_hook(lambda g: seen.append(np.array(g.detach().numpy() if hasattr(g, "detach")
                                                   else g.numpy())))
    h.register_hook(lambda g: g * scale_hidden)
    x.register_hook(lambda g: g + 1)
    ((h * h).sum() + x.sum()).backward()
    return x.grad.numpy(), seen[0]


def test_hooks_match_torch_semantics():
    x0 = np.array([0.1, -0.4, 0.7])
    gx, seen = _graph(pe, x0, 2.0)
    t = np.tanh(3 * x0)
    np.testing.assert_allclose(seen, 2 * t, rtol=1e-12)  # the hook saw d/dh before scaling
    want = 2.0 * 2 * t * (1 - t * t) * 3 + 1 + 1  # scaled chain, + d(sum x), + the leaf hook
    np.testing.assert_allclose(gx, want, rtol=1e-12)
    torch = pytest.importorskip("torch")
    gx_t, seen_t = _graph(torch, x0, 2.0)
    np.testing.assert_allclose(gx, gx_t, rtol=1e-12)
    np.testing.assert_allclose(seen, seen_t, rtol=1e-12)


def test_remove_and_collection():
    x = pe.ones(2, requires_grad=True)
    handle = x.register_hook(lambda g: g * 0)
    handle.remove()
    (x * 2).sum().backward()
    assert x.grad.tolist() == [2.0, 2.0]
    y = pe.ones(2, requires_grad=True) * 1
    y.register_hook(lambda g: None)
    assert autograd._HOOKS
    del y
    gc.collect()
    assert not autograd._HOOKS  # the entry went with its tensor


def test_grad_cam_pattern():
    pe.manual_seed(0)
    conv, head = nn.Conv2d(1, 4, 3), nn.Linear(4, 2)
    saved = {}
    act = conv(pe.randn(1, 1, 6, 6)).relu()
    act.register_hook(lambda g: saved.setdefault("grad", g))
    score = head(act.mean((2, 3)))[0, 1]
    score.backward()
    assert saved["grad"].shape == act.shape
    weights = saved["grad"].mean((2, 3), keepdim=True)
    cam = (weights * act.detach()).sum(1).relu()
    assert cam.shape == (1, 4, 4)


def test_errors():
    with pytest.raises(RuntimeError, match="doesn't require gradient"):
        pe.ones(2).register_hook(lambda g: g)
    x = pe.ones(2, requires_grad=True)
    x.register_hook(lambda g: pe.ones(3))
    with pytest.raises(RuntimeError, match=r"returned a gradient of shape \(3,\)"):
        (x * 2).sum().backward()


# ---- autograd.queue_callback: run once backward() has written every .grad -----------------
def test_queued_callbacks_run_after_every_grad_is_written_in_order():
    from pyengine.autograd import queue_callback
    a, b = pe.tensor([1.0, 2.0], requires_grad=True), pe.tensor([3.0], requires_grad=True)
    seen = []

    def hook(g):
        # from inside the walk: queued, not run yet
        assert queue_callback(lambda: seen.append(("first", a.grad.numpy().tolist(),
                                                   b.grad.numpy().tolist())))
        assert queue_callback(lambda: seen.append(("second",)))
        assert seen == []
    a.register_hook(hook)
    ((a * b).sum() + b.sum()).backward()
    assert seen == [("first", [3.0, 3.0], [4.0]), ("second",)]
    seen.clear()
    (a * b).sum().backward()  # callbacks are per backward: none queued this time... but the hook
    assert [s[0] for s in seen] == ["first", "second"]  # ...queues again, for this one only
    assert seen[0][1] == [6.0, 6.0]


def test_queue_callback_outside_backward_and_in_autograd_grad_queues_nothing():
    from pyengine.autograd import queue_callback
    assert queue_callback(lambda: None) is False
    x = pe.tensor([2.0], requires_grad=True)
    calls = []
    x.register_hook(lambda g: calls.append(queue_callback(lambda: calls.append("ran"))))
    (gx,) = pe.autograd.grad((x * x).sum(), [x])
    assert calls == [False] and x.grad is None and gx.numpy().tolist() == [4.0]
    (x * x).sum().backward(create_graph=True)  # the recording walk runs them too
    assert calls == [False, True, "ran"]


def test_a_callback_may_run_backward_and_an_error_propagates():
    from pyengine.autograd import queue_callback
    x = pe.tensor([1.0], requires_grad=True)
    y = pe.tensor([1.0], requires_grad=True)
    state = {"n": 0}

    def again():
        state["n"] += 1
        (y * 5).sum().backward()  # a backward of its own from the callback
    h = x.register_hook(lambda g: queue_callback(again) and None)
    (x * 2).sum().backward()
    assert state["n"] == 1 and y.grad.numpy().tolist() == [5.0]
    h.remove()

    def boom():
        raise RuntimeError("from the callback")
    x.register_hook(lambda g: queue_callback(boom) and None)
    with pytest.raises(RuntimeError, match="from the callback"):
        (x * 2).sum().backward()
    assert queue_callback(lambda: None) is False  # the state was restored
