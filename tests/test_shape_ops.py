"""Shape ops: indexing (basic and integer arrays, with scatter-add gradients), reshape / view,
flatten, squeeze / unsqueeze, transpose / permute, expand, cat / stack / split / chunk."""
import numpy as np
import pytest
from hypothesis import given, settings, strategies as st
from hypothesis.extra import numpy as hnp

import pyengine as pe
from helpers import check_op, values

X = np.random.default_rng(0).standard_normal((3, 4, 5))

INDEX = {
    "int": 1, "neg": -1, "slice": slice(1, 3), "step": slice(None, None, 2),
    "rev": slice(None, None, -1), "tuple": (1, slice(0, 3), -2), "ellipsis": (Ellipsis, 1),
    "newaxis": (None, 0), "int_array": [2, 0, 2], "bool_mask": X[:, 0, 0] > 0,
    "two_arrays": ([0, 2, 2], [1, 1, 3]), "mixed": (slice(None), [3, 0, 3], 1),
    "empty": slice(2, 2), "nd_array": np.array([[0, 1], [2, 2]]),
}


@pytest.mark.parametrize("name", sorted(INDEX))
def test_getitem(name):
    key = INDEX[name]
    check_op(lambda t: t[key], lambda a: a[key], X)


def test_index_with_tensors():
    t = pe.tensor(X, dtype=pe.float32)
    idx = pe.tensor([2, 0, 2])
    np.testing.assert_array_equal(t[idx].numpy(), X.astype(np.float32)[[2, 0, 2]])
    np.testing.assert_array_equal(t[t[:, 0, 0] > 0].numpy(), X.astype(np.float32)[X[:, 0, 0] > 0])


def test_repeated_index_gradient_accumulates():
    w = pe.tensor(np.zeros((4, 2)), requires_grad=True)
    w[pe.tensor([1, 1, 3, 1])].sum().backward()
    np.testing.assert_array_equal(w.grad.numpy()[:, 0], [0, 3, 0, 1])


def test_setitem():
    t = pe.zeros(3, 4)
    t[1] = 2.0
    t[:, pe.tensor([0, 3])] = pe.tensor([5.0, 6.0])
    assert t.numpy()[1, 1] == 2.0 and t.numpy()[2, 3] == 6.0
    w = pe.zeros(2, requires_grad=True)
    with pytest.raises(RuntimeError, match="setitem"):
        w[0] = 1.0


SHAPE_OPS = {
    "reshape": (lambda t: t.reshape(4, -1), lambda a: a.reshape(4, -1)),
    "reshape_tuple": (lambda t: t.reshape((2, 30)), lambda a: a.reshape(2, 30)),
    "view": (lambda t: t.view(-1), lambda a: a.reshape(-1)),
    "flatten": (lambda t: t.flatten(), lambda a: a.reshape(-1)),
    "flatten1": (lambda t: t.flatten(1), lambda a: a.reshape(3, -1)),
    "flatten_mid": (lambda t: pe.flatten(t, 0, 1), lambda a: a.reshape(12, 5)),
    "unsqueeze": (lambda t: t.unsqueeze(1), lambda a: a[:, None]),
    "unsqueeze_neg": (lambda t: pe.unsqueeze(t, -1), lambda a: a[..., None]),
    "squeeze": (lambda t: t[:, :1].squeeze(), lambda a: a[:, 0]),
    "squeeze_axis": (lambda t: t[:, :1].squeeze(1), lambda a: a[:, 0]),
    "squeeze_noop": (lambda t: t.squeeze(0), lambda a: a),
    "T": (lambda t: t.T, lambda a: a.T),
    "transpose": (lambda t: t.transpose(0, 2), lambda a: a.swapaxes(0, 2)),
    "permute": (lambda t: t.permute(2, 0, 1), lambda a: a.transpose(2, 0, 1)),
    "pe.permute": (lambda t: pe.permute(t, (1, 2, 0)), lambda a: a.transpose(1, 2, 0)),
    "expand": (lambda t: t[:, :1].expand(3, 4, 5), lambda a: np.broadcast_to(a[:, :1], (3, 4, 5))),
    "expand_neg": (lambda t: t[None].expand(2, -1, -1, -1), lambda a: np.broadcast_to(a, (2, 3, 4, 5))),
    "contiguous": (lambda t: t.T.contiguous(), lambda a: a.T),
    "clone": (lambda t: t.clone(), lambda a: a),
}


@pytest.mark.parametrize("name", sorted(SHAPE_OPS))
def test_shape_op(name):
    op, ref = SHAPE_OPS[name]
    check_op(op, ref, X)


@settings(max_examples=15, deadline=None)
@given(data=st.data(), shape=hnp.array_shapes(min_dims=1, max_dims=3, min_side=0, max_side=4))
def test_cat_stack_split(data, shape):
    axis = data.draw(st.integers(-len(shape), len(shape) - 1))
    a, b = data.draw(values(shape)), data.draw(values(shape))
    check_op(lambda x, y: pe.cat([x, y], axis=axis), lambda x, y: np.concatenate([x, y], axis), a, b)
    check_op(lambda x, y: pe.stack([x, y], dim=axis), lambda x, y: np.stack([x, y], axis), a, b)
    n = shape[axis]
    check_op(lambda x: pe.cat(x.split(2, axis=axis) or [x], axis=axis) * 2, lambda x: x * 2, a)
    if n:
        parts = pe.split(pe.tensor(a), [1, n - 1], axis)
        assert [p.shape[axis] for p in parts] == [1, n - 1]
        chunks = pe.tensor(a).chunk(2, axis)
        np.testing.assert_array_equal(pe.cat(chunks, axis).numpy(), a)


def test_cat_uneven_and_errors():
    a, b = pe.ones(2, 3), pe.zeros(4, 3)
    assert pe.cat([a, b]).shape == (6, 3)
    with pytest.raises(ValueError, match=r"\[cat\]"):
        pe.cat([a, pe.zeros(2, 4)])
    with pytest.raises(ValueError, match=r"\[stack\]"):
        pe.stack([a, b])
    with pytest.raises(ValueError, match=r"\[split\]"):
        a.split([1, 2])
    with pytest.raises(ValueError, match=r"\[cat\]"):
        pe.cat([])


def test_views_share_memory():
    a = np.zeros((2, 3), np.float32)
    t = pe.from_numpy(a)
    t.T.numpy()[0, 1] = 7.0
    assert a[1, 0] == 7.0
    t.reshape(6).numpy()[5] = 1.0
    assert a[1, 2] == 1.0
    assert np.shares_memory(t[0].numpy(), a)


def test_iter_and_len():
    t = pe.tensor([[1.0, 2.0], [3.0, 4.0]])
    assert len(t) == 2
    assert [r.tolist() for r in t] == [[1.0, 2.0], [3.0, 4.0]]
    with pytest.raises(TypeError):
        len(pe.tensor(1.0))
