"""Dropout's counter-based kernel (csrc/dropout): the exact mask against a NumPy uint64
reference, its statistics, reproducibility under pe.manual_seed, every ISA and thread count,
and the gradient."""
import numpy as np
import pytest

import pyengine as pe
import pyengine.nn.functional as F
from pyengine.backend import cpu as backend
from pyengine.testing import gradcheck


def reference_bits(seed, n):
    """The high 32 bits of splitmix64(seed + (i + 1) * gamma) for i < n (uint64 wraps)."""
    u = np.uint64
    with np.errstate(over="ignore"):
        z = u(seed) + (np.arange(n, dtype=u) + u(1)) * u(0x9E3779B97F4A7C15)
        z = (z ^ (z >> u(30))) * u(0xBF58476D1CE4E5B9)
        z = (z ^ (z >> u(27))) * u(0x94D049BB133111EB)
        return (z ^ (z >> u(31))) >> u(32)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("n", [0, 1, 7, 65, 100003])
def test_kernel_matches_reference_every_isa_and_thread_count(isa, threads, dtype, n):
    x = np.random.default_rng(n).standard_normal(n).astype(dtype)
    seed, threshold, scale = 2 ** 62 + 12345, int(0.3 * 2 ** 32), 1 / 0.7
    keep = reference_bits(seed, n) >= threshold
    want = x.astype(np.float64) * np.where(keep, dtype(scale), 0).astype(np.float64)
    outs = []
    for t in (1, 2):
        threads(t)
        y = backend.dropout(x, seed, threshold, scale)
        assert y.dtype == dtype and y.shape == x.shape
        np.testing.assert_array_equal(y.astype(np.float64), want.astype(dtype))
        outs.append(y)
    np.testing.assert_array_equal(outs[0], outs[1])


def test_kernel_thresholds_at_the_ends():
    x = np.ones(1000, np.float32)
    np.testing.assert_array_equal(backend.dropout(x, 5, 0, 1.0), x)  # p = 0: keep all
    np.testing.assert_array_equal(backend.dropout(x, 5, 2 ** 32, 1.0), 0 * x)  # drop all


def test_kernel_rejects_bad_arguments():
    x = np.ones(8, np.float32)
    with pytest.raises(TypeError, match=r"\[dropout\]"):
        backend.dropout(x.astype(np.int32), 1, 10, 2.0)
    with pytest.raises(ValueError, match=r"\[dropout\] threshold"):
        backend.dropout(x, 1, 2 ** 32 + 1, 2.0)


@pytest.mark.parametrize("p", [0.1, 0.5, 0.9])
def test_keep_rate_and_scale(p):
    pe.manual_seed(3)
    y = F.dropout(pe.ones(400, 500), p=p).numpy()
    kept = y != 0
    n = y.size
    # the kept fraction within 5 standard deviations of 1 - p
    assert abs(kept.mean() - (1 - p)) < 5 * np.sqrt(p * (1 - p) / n)
    np.testing.assert_allclose(y[kept], np.float32(1 / (1 - p)))
    # no structure along rows or columns: each row's and column's rate is plausible too
    assert abs(kept.mean(0) - (1 - p)).max() < 6 * np.sqrt(p * (1 - p) / 400)


def test_reproducible_under_manual_seed_and_fresh_per_call():
    x = pe.ones(64, 32)
    pe.manual_seed(7)
    a, b = F.dropout(x, 0.5).numpy(), F.dropout(x, 0.5).numpy()
    pe.manual_seed(7)
    np.testing.assert_array_equal(F.dropout(x, 0.5).numpy(), a)
    assert not np.array_equal(a, b)
    gen = pe.Generator().manual_seed(1)
    c = pe.ops.dropout.dropout(x, 0.5, generator=gen).numpy()
    gen.manual_seed(1)
    np.testing.assert_array_equal(pe.ops.dropout.dropout(x, 0.5, generator=gen).numpy(), c)


def test_backward_uses_the_forward_mask():
    pe.manual_seed(11)
    x = pe.tensor(np.random.default_rng(0).standard_normal((33, 17)).astype(np.float32),
                  requires_grad=True)
    y = F.dropout(x, 0.4)
    g = np.random.default_rng(1).standard_normal(y.shape).astype(np.float32)
    y.backward(pe.tensor(g))
    mask = np.where(y.detach().numpy() != 0, np.float32(1 / 0.6), np.float32(0))  # x has no 0
    np.testing.assert_array_equal(x.grad.numpy(), g * mask)


def test_gradcheck():
    x = pe.tensor(np.random.default_rng(2).standard_normal((6, 9)), requires_grad=True)
    # the same seed on every evaluation, so finite differences see one fixed mask
    assert gradcheck(lambda t: (pe.manual_seed(5), F.dropout(t, 0.3))[1], [x])


def test_nan_and_inf_stay_visible():
    pe.manual_seed(0)
    x = np.full(1000, np.nan, np.float32)
    x[::2] = np.inf
    y = F.dropout(pe.tensor(x), 0.5).numpy()
    assert np.isnan(y[1::2]).all()  # nan * 0 and nan * 2 are nan
    assert (np.isinf(y[::2]) | np.isnan(y[::2])).all()


def test_broadcast_mask_shape_drops_whole_slices():
    pe.manual_seed(4)
    y = pe.ops.dropout.dropout(pe.ones(8, 5, 6), 0.5, mask_shape=(8, 1, 6)).numpy()
    assert set(np.unique(y)) <= {0.0, 2.0}
    assert (y == y[:, :1, :]).all()  # one draw per (n, c), broadcast over the middle axis


def test_integer_input_takes_the_same_mask_as_float():
    # An integer tensor has no kernel of its own: it takes the mask path with the same stream.
    pe.manual_seed(3)
    ints = F.dropout(pe.tensor(np.arange(1, 41)), 0.5)
    pe.manual_seed(3)
    floats = F.dropout(pe.tensor(np.arange(1, 41, dtype=np.float32)), 0.5)
    assert ints.numpy().dtype.kind == "f"  # x * mask / (1 - p): a floating result
    np.testing.assert_array_equal(ints.numpy(), floats.numpy())
