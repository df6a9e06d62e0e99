"""Function.apply fast paths keep the semantics of the generic path: recording, needs_input_grad,
non-Tensor arguments, parameters, grad mode per thread, device checks."""
import threading

import numpy as np
import pytest

import pyengine as pe
from pyengine.autograd import Function


class Probe(Function):
    """Records what forward saw; y = sum of array args (+ k)."""

    seen = None

    @staticmethod
    def forward(ctx, *arrays, k=0.0):
        Probe.seen = (len(arrays), ctx.needs_input_grad)
        out = np.asarray(k, dtype=np.float64)
        for a in arrays:
            out = out + np.asarray(a, dtype=np.float64)
        return out

    @staticmethod
    def backward(ctx, g):
        return tuple(g for _ in range(Probe.seen[0]))


def t(v, grad=False):
    return pe.tensor(np.asarray(v, dtype=np.float64), dtype=pe.float64, requires_grad=grad)


@pytest.mark.parametrize("args,needs", [
    ((), None),
    (("T",), (True,)),
    (("T", "C"), (True, False)),
    (("C", "T"), (False, True)),
    (("T", 2.0), (True, False)),
    ((3.0, "T"), (False, True)),
    (("T", "C", "T"), (True, False, True)),
    (("C", "C"), None),
])
@pytest.mark.parametrize("params", [{}, {"k": 1.0}])
def test_apply_paths(args, needs, params):
    real = [t([1.0, 2.0], True) if a == "T" else t([5.0, 6.0]) if a == "C" else a for a in args]
    out = Probe.apply(*real, **params)
    assert Probe.seen == (len(args), needs)
    expected = params.get("k", 0.0) + sum(np.asarray(r.data if isinstance(r, pe.Tensor) else r)
                                          for r in real)
    np.testing.assert_allclose(out.data, expected)
    assert out.requires_grad == (needs is not None)
    assert (out.grad_fn is not None) == (needs is not None)
    if needs is not None:
        out.sum().backward()
        for r, n in zip(real, needs):
            if n:
                np.testing.assert_allclose(r.grad.data, [1.0, 1.0])
            elif isinstance(r, pe.Tensor):
                assert r.grad is None
        assert out.grad_fn.inputs[0] is (real[0] if isinstance(real[0], pe.Tensor) else None)


def test_no_grad_is_per_thread():
    x = t([1.0], True)
    seen = {}

    def other():
        seen["other"] = (x * 2).requires_grad  # grad mode is on in a new thread

    with pe.no_grad():
        assert not (x * 2).requires_grad
        th = threading.Thread(target=other)
        th.start()
        th.join()
    assert seen["other"] and (x * 2).requires_grad


def test_results_are_plain_tensors():
    x, y = t([[1.0, 2.0]]), t([[3.0], [4.0]])
    z = x + y
    assert type(z) is pe.Tensor and z.shape == (2, 2) and z.device == "cpu"
    assert z.grad is None and not z.requires_grad and z.is_leaf
    s = x.sum()  # a NumPy scalar result is wrapped as a 0-d array
    assert isinstance(s._data, np.ndarray) and s.shape == ()
