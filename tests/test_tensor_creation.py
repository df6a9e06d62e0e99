"""Creation functions, dtypes, conversion to and from NumPy / Python, casting, seeding."""
import numpy as np
import pytest

import pyengine as pe


@pytest.mark.parametrize("data,dtype", [
    (1.5, pe.float32), (3, pe.int64), (True, pe.bool), ([1.0, 2.0], pe.float32),
    ([[1, 2], [3, 4]], pe.int64), ([True, False], pe.bool), ([], pe.float32),
    (np.ones(2, np.float64), pe.float64), (np.ones(2, np.int64), pe.int64),
])
def test_tensor_default_dtypes(data, dtype):
    t = pe.tensor(data)
    assert t.dtype == dtype
    np.testing.assert_array_equal(t.numpy(), np.asarray(data))


@pytest.mark.parametrize("dtype", [pe.float32, pe.float64, pe.int64, pe.bool])
def test_tensor_explicit_dtype(dtype):
    t = pe.tensor([0, 1, 2], dtype=dtype)
    assert t.dtype == dtype and t.numpy().dtype == dtype.np
    assert pe.tensor(t).dtype == dtype  # copy of a tensor keeps its dtype


def test_tensor_copies_from_numpy_shares():
    a = np.arange(4, dtype=np.float32)
    t, s = pe.tensor(a), pe.from_numpy(a)
    a[0] = 9.0
    assert t.numpy()[0] == 0.0 and s.numpy()[0] == 9.0
    s.numpy()[1] = 7.0
    assert a[1] == 7.0
    assert s.numpy() is a


def test_properties():
    t = pe.zeros(2, 3, 4)
    assert t.shape == (2, 3, 4) and t.ndim == 3 and t.size() == (2, 3, 4) and t.size(1) == 3
    assert t.numel() == 24 and t.dim() == 3 and t.device == "cpu" and str(t.device) == "cpu"
    assert t.T.shape == (4, 3, 2) and t.dtype == pe.float32
    assert pe.tensor(2.5).item() == 2.5 and pe.tensor([[1, 2]]).tolist() == [[1, 2]]
    assert isinstance(pe.tensor([3]).item(), int)
    assert "tensor(" in repr(t) and "requires_grad=True" in repr(pe.ones(1, requires_grad=True))


@pytest.mark.parametrize("fn", [pe.zeros, pe.ones, pe.empty, pe.rand, pe.randn])
def test_size_forms(fn):
    assert fn(2, 3).shape == (2, 3) and fn((2, 3)).shape == (2, 3) and fn([4]).shape == (4,)
    assert fn().shape == () and fn(0, 3).shape == (0, 3)
    assert fn(2, dtype=pe.float64).dtype == pe.float64


def test_fills_and_ranges():
    np.testing.assert_array_equal(pe.zeros(2).numpy(), [0, 0])
    np.testing.assert_array_equal(pe.ones(2, dtype=pe.int64).numpy(), [1, 1])
    assert pe.full((2, 2), 7).dtype == pe.int64 and pe.full((2,), 0.5).dtype == pe.float32
    assert pe.full(3, True).dtype == pe.bool
    np.testing.assert_array_equal(pe.arange(5).numpy(), np.arange(5))
    assert pe.arange(5).dtype == pe.int64 and pe.arange(0.0, 1.0, 0.25).dtype == pe.float32
    np.testing.assert_allclose(pe.arange(1, 2, 0.25).numpy(), [1, 1.25, 1.5, 1.75])
    np.testing.assert_allclose(pe.arange(5, 0, -2).numpy(), [5, 3, 1])
    np.testing.assert_allclose(pe.linspace(0, 1, 5).numpy(), np.linspace(0, 1, 5))
    assert pe.linspace(0, 1, 5).dtype == pe.float32
    np.testing.assert_array_equal(pe.eye(3).numpy(), np.eye(3))
    np.testing.assert_array_equal(pe.eye(2, 3).numpy(), np.eye(2, 3))


def test_like():
    t = pe.ones(2, 3, dtype=pe.float64)
    for fn in (pe.zeros_like, pe.ones_like, pe.empty_like, pe.rand_like, pe.randn_like):
        r = fn(t)
        assert r.shape == (2, 3) and r.dtype == pe.float64
    assert pe.full_like(t, 3).numpy()[0, 0] == 3 and pe.full_like(t, 3).dtype == pe.float64
    r = pe.randint_like(pe.zeros(4, dtype=pe.int64), 0, 5)
    assert r.dtype == pe.int64 and r.shape == (4,)
    assert pe.zeros_like(t, dtype=pe.int64).dtype == pe.int64


def test_random_distributions_and_seed():
    pe.manual_seed(0)
    a = pe.rand(1000)
    b = pe.randn(1000)
    c = pe.randint(0, 10, (1000,))
    pe.manual_seed(0)
    np.testing.assert_array_equal(a.numpy(), pe.rand(1000).numpy())
    np.testing.assert_array_equal(b.numpy(), pe.randn(1000).numpy())
    np.testing.assert_array_equal(c.numpy(), pe.randint(0, 10, (1000,)).numpy())
    assert 0 <= a.numpy().min() and a.numpy().max() < 1 and a.dtype == pe.float32
    assert abs(b.numpy().mean()) < 0.2 and 0.8 < b.numpy().std() < 1.2
    assert c.dtype == pe.int64 and c.numpy().min() >= 0 and c.numpy().max() <= 9
    assert pe.randint(5, size=(3,)).numpy().max() < 5


@pytest.mark.parametrize("src", [pe.float32, pe.float64, pe.int64, pe.bool])
@pytest.mark.parametrize("dst", [pe.float32, pe.float64, pe.int64, pe.bool])
def test_casting(src, dst):
    t = pe.tensor([0, 1, 1], dtype=src)
    for r in (t.to(dst), t.astype(dst), t.to(dtype=dst)):
        assert r.dtype == dst
        np.testing.assert_array_equal(r.numpy(), np.array([0, 1, 1]).astype(dst.np))
    assert t.float().dtype == pe.float32 and t.double().dtype == pe.float64
    assert t.long().dtype == pe.int64 and t.bool().dtype == pe.bool


def test_cast_gradient_flows():
    x = pe.tensor([1.0, 2.0], requires_grad=True)
    (x.double() * 3).sum().backward()
    assert x.grad.dtype == pe.float32
    np.testing.assert_allclose(x.grad.numpy(), [3, 3])


def test_dtype_objects():
    assert pe.float32 == np.float32 and pe.float64 == "float64" and pe.int64 == pe.long
    assert pe.float == pe.float32 and pe.double == pe.float64
    assert pe.float32.is_floating_point and not pe.int64.is_floating_point
    assert repr(pe.float32) == "pyengine.float32"


def test_scalar_conversions():
    assert float(pe.tensor([2.5])) == 2.5 and int(pe.tensor(3)) == 3
    assert bool(pe.tensor(1.0)) and not bool(pe.tensor([0]))
    assert [10, 20, 30][pe.tensor(1)] == 20
    with pytest.raises(RuntimeError, match="ambiguous"):
        bool(pe.ones(2))
    with pytest.raises(ValueError, match=r"\[item\]"):
        pe.ones(2).item()
    assert np.asarray(pe.ones(2)).dtype == np.float32
