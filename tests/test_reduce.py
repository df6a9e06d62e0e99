"""Reductions over no axis, one axis or several, with keepdims, against NumPy float64."""
import numpy as np
import pytest
from hypothesis import given, settings, strategies as st
from hypothesis.extra import numpy as hnp

import pyengine as pe
from helpers import check_op, values


def _lse(x, axis=None, keepdims=False):
    m = np.max(x, axis=axis, keepdims=True)
    out = np.log(np.sum(np.exp(x - m), axis=axis, keepdims=True)) + m
    return out if keepdims else np.squeeze(out, axis=axis)


REDUCE = {
    "sum": (lambda x, **k: x.sum(**k), np.sum, False),
    "mean": (lambda x, **k: x.mean(**k), np.mean, False),
    "max": (lambda x, **k: x.max(**k), np.max, True),
    "min": (lambda x, **k: pe.min(x, **k), np.min, True),
    "var": (lambda x, **k: x.var(**k), lambda x, **k: np.var(x, ddof=1, **k), True),
    "std": (lambda x, **k: x.std(**k), lambda x, **k: np.std(x, ddof=1, **k), True),
    "logsumexp": (lambda x, **k: x.logsumexp(**k), _lse, True),
}


@st.composite
def shape_and_axis(draw, min_side):
    shape = draw(hnp.array_shapes(min_dims=1, max_dims=3, min_side=min_side, max_side=4))
    n = len(shape)
    kind = draw(st.sampled_from(["none", "int", "neg", "tuple"]))
    if kind == "none":
        axis = None
    elif kind == "int":
        axis = draw(st.integers(0, n - 1))
    elif kind == "neg":
        axis = draw(st.integers(-n, -1))
    else:
        axis = tuple(draw(st.lists(st.integers(0, n - 1), min_size=1, max_size=n, unique=True)))
    return shape, axis, draw(st.booleans())


@pytest.mark.parametrize("name", sorted(REDUCE))
@pytest.mark.filterwarnings("ignore:Mean of empty slice", "ignore:invalid value encountered")
@settings(max_examples=12, deadline=None)
@given(data=st.data())
def test_reduce(name, data):
    op, ref, needs_nonempty = REDUCE[name]
    shape, axis, keepdims = data.draw(shape_and_axis(min_side=2 if name in ("var", "std") else
                                                     (1 if needs_nonempty else 0)))
    x = data.draw(values(shape))
    if name in ("max", "min", "std"):  # distinct values: max/min ties are a convention and
        x = x + np.arange(x.size).reshape(shape) * 0.3183099  # std(0) is singular
    check_op(lambda t: op(t, axis=axis, keepdims=keepdims),
             lambda a: ref(a, axis=axis, keepdims=keepdims), x)


def test_reduce_0d_and_empty():
    s = pe.tensor(3.0)
    assert s.sum().item() == 3.0 and s.mean().item() == 3.0 and s.max().item() == 3.0
    e = pe.zeros(0, 3)
    assert e.sum().item() == 0.0
    assert e.sum(axis=0).shape == (3,)
    with pytest.raises(ValueError, match=r"\[max\].*empty"):
        e.max()
    with pytest.raises(ValueError, match=r"\[argmax\].*empty"):
        e.argmax()


def test_torch_style_aliases():
    x = pe.tensor([[1.0, 5.0], [3.0, 2.0]])
    assert x.sum(dim=1, keepdim=True).shape == (2, 1)
    np.testing.assert_allclose(pe.sum(x, dim=0).numpy(), [4.0, 7.0])
    np.testing.assert_allclose(x.mean(axis=[0, 1]).numpy(), 2.75)


@pytest.mark.parametrize("fn,ref", [("argmax", np.argmax), ("argmin", np.argmin)])
def test_arg_extremum(fn, ref):
    x = np.random.default_rng(0).standard_normal((3, 4, 5)).astype(np.float32)
    t = pe.tensor(x)
    for axis in (None, 0, 1, -1):
        got = getattr(t, fn)(axis=axis)
        assert got.dtype == pe.int64
        np.testing.assert_array_equal(got.numpy(), ref(x, axis=axis))
    assert getattr(t, fn)(axis=1, keepdims=True).shape == (3, 1, 5)


def test_max_ties_share_gradient():
    x = pe.tensor([1.0, 3.0, 3.0], requires_grad=True)
    x.max().backward()
    np.testing.assert_allclose(x.grad.numpy(), [0.0, 0.5, 0.5])


def test_logsumexp_extremes():
    x = pe.tensor([[1000.0, 1000.0], [-1000.0, -1000.0], [-np.inf, -np.inf]])
    got = x.logsumexp(axis=1).numpy()
    np.testing.assert_allclose(got[:2], [1000 + np.log(2), -1000 + np.log(2)], rtol=1e-6)
    assert got[2] == -np.inf


def test_int_reductions():
    x = pe.tensor([[1, 2], [3, 4]])
    assert x.sum().dtype == pe.int64 and x.sum().item() == 10
    assert x.mean().dtype == pe.float32 and x.mean().item() == 2.5
    assert x.max().item() == 4


def test_max_min_follow_pytorch_forms():
    """x.max(dim) is (values, indices) as torch.max; axis= (NumPy / Keras) gives values only;
    x.max(other) is elementwise; no argument gives the overall extremum."""
    x = pe.tensor([[1.0, 5.0, 2.0], [7.0, 0.0, 3.0]])
    values, indices = x.max(1)
    np.testing.assert_array_equal(values.numpy(), [5.0, 7.0])
    np.testing.assert_array_equal(indices.numpy(), [1, 0])
    _, pred = pe.max(x, 1)  # the classic `_, predicted = torch.max(outputs, 1)`
    np.testing.assert_array_equal(pred.numpy(), [1, 0])
    r = x.min(dim=0, keepdim=True)
    assert r.values.shape == (1, 3) and r.indices.numpy().tolist() == [[0, 1, 0]]
    np.testing.assert_array_equal(x.max(axis=1).numpy(), [5.0, 7.0])
    assert float(x.max()) == 7.0 and float(x.min(axis=(0, 1))) == 0.0
    np.testing.assert_array_equal(pe.max(x, pe.full((2, 3), 4.0)).numpy(),
                                  np.maximum(x.numpy(), 4.0))
