"""Writes through a view of a recorded graph's tensor reach the tensor viewed, as PyTorch's
CopySlices (pyengine/tensor_view_write.py): values and gradients equal to the out-of-place
composition, gradcheck, and torch's when it is installed. Also the views that make it
possible: diagonal() is a view, and as_strided / storage_offset."""
import numpy as np
import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

import pyengine as pe
import pyengine.nn.functional as F
from pyengine.testing import gradcheck

RNG = np.random.default_rng(11)
A, B = RNG.standard_normal((3, 4)), RNG.standard_normal((3, 4))


# Each case: (in place on lib, out of place on pyengine), both f(a, b) -> tensor.
def buffer_rows(lib, a, b):
    buf = lib.zeros(3, 4, dtype=lib.float64)
    for i in range(3):
        buf[i].copy_(a[i] * b[i])
    return buf * a


def buffer_rows_ref(a, b):
    return pe.stack([a[i] * b[i] for i in range(3)]) * a


def slice_mul(lib, a, b):
    y = a * 2.0
    y[1:].mul_(b[0])
    return y * b


def slice_mul_ref(a, b):
    y = a * 2.0
    return pe.cat([y[:1], y[1:] * b[0]]) * b


def one_view_written_twice(lib, a, b):
    y = a * 1.0
    row = y[1]
    row[0] = b[0, 0] * 5.0
    row[2] = row[0] * 2.0
    return y * y


def one_view_written_twice_ref(a, b):
    v = b[0, 0] * 5.0
    row = pe.stack([v, a[1, 1], v * 2.0, a[1, 3]])
    y = pe.stack([a[0], row, a[2]])
    return y * y


def flat_view(lib, a, b):
    y = a * 1.5
    y.view(-1)[5] = b[2, 3]
    return y * a


def flat_view_ref(a, b):
    y = a * 1.5
    mask = np.zeros((3, 4), bool)
    mask[1, 1] = True
    return pe.where(pe.tensor(mask), b[2, 3], y) * a


def narrow_then_row(lib, a, b):
    out = lib.empty(2, 4, dtype=lib.float64)
    out.narrow(0, 0, 1).copy_(a[0].unsqueeze(0))
    out[1] = b[1] * 3.0
    return out.tanh()


def narrow_then_row_ref(a, b):
    return pe.stack([a[0], b[1] * 3.0]).tanh()


def transposed_row(lib, a, b):
    y = a * b
    y.t()[2].fill_(1.5)
    return y * a


def transposed_row_ref(a, b):
    y = a * b
    mask = np.zeros((3, 4), bool)
    mask[:, 2] = True
    return pe.where(pe.tensor(mask), 1.5, y) * a


def diagonal_add(lib, a, b):
    k = a[:, :3] @ b[:, :3].t()
    k.diagonal().add_(b[0, :3])
    return k * a[:, :3]


def diagonal_add_ref(a, b):
    return (a[:, :3] @ b[:, :3].t() + pe.diag(b[0, :3])) * a[:, :3]


def relu_inplace_on_row(lib, a, b):
    y = a * b
    F.relu(y[0], inplace=True) if lib is pe else lib.nn.functional.relu(y[0], inplace=True)
    return y * 2.0


def relu_inplace_on_row_ref(a, b):
    y = a * b
    return pe.cat([y[:1].relu(), y[1:]]) * 2.0


CASES = [buffer_rows, slice_mul, one_view_written_twice, flat_view, narrow_then_row,
         transposed_row, diagonal_add, relu_inplace_on_row]


def _leaves(lib=pe):
    return [lib.tensor(v, requires_grad=True) for v in (A, B)]


@pytest.mark.parametrize("case", CASES, ids=lambda f: f.__name__)
def test_a_write_through_a_view_matches_the_out_of_place_composition(case):
    ref = globals()[case.__name__ + "_ref"]
    a, b = _leaves()
    got, want = case(pe, a, b), ref(a, b)
    np.testing.assert_allclose(got.detach().numpy(), want.detach().numpy(), rtol=1e-13)
    g_got = pe.autograd.grad(case(pe, a, b).sum(), (a, b))
    g_want = pe.autograd.grad(ref(a, b).sum(), (a, b))
    for x, y in zip(g_got, g_want):
        np.testing.assert_allclose(x.numpy(), y.numpy(), rtol=1e-12, atol=1e-14)
    assert gradcheck(lambda a, b: case(pe, a, b), (a, b))


@pytest.mark.parametrize("case", CASES, ids=lambda f: f.__name__)
def test_a_write_through_a_view_against_torch(case):
    torch = pytest.importorskip("torch")
    a, b = _leaves()
    ta, tb = _leaves(torch)
    got, want = case(pe, a, b), case(torch, ta, tb)
    np.testing.assert_allclose(got.detach().numpy(), want.detach().numpy(), rtol=1e-12)
    got.sum().backward()
    want.sum().backward()
    np.testing.assert_allclose(a.grad.numpy(), ta.grad.numpy(), rtol=1e-12, atol=1e-14)
    np.testing.assert_allclose(b.grad.numpy(), tb.grad.numpy(), rtol=1e-12, atol=1e-14)


def test_sibling_views_each_write_into_the_tensor():
    # torch refuses in-place writes into chunk / unbind outputs; here the second view, made
    # before the first write gave the tensor a new array, is taken again over it
    def gates(a, b):
        g = a * b
        i, f, c, o = g.chunk(4, 1)
        i.sigmoid_()
        f.sigmoid_()
        c.tanh_()
        o.mul_(a[:, :1])
        return g * a

    def gates_ref(a, b):
        i, f, c, o = (a * b).chunk(4, 1)
        return pe.cat([i.sigmoid(), f.sigmoid(), c.tanh(), o * a[:, :1]], 1) * a
    a, b = _leaves()
    np.testing.assert_allclose(gates(a, b).detach().numpy(), gates_ref(a, b).detach().numpy(),
                               rtol=1e-13)
    assert gradcheck(gates, (a, b))
    g1 = pe.autograd.grad(gates(a, b).sum(), (a, b))
    g2 = pe.autograd.grad(gates_ref(a, b).sum(), (a, b))
    for x, y in zip(g1, g2):
        np.testing.assert_allclose(x.numpy(), y.numpy(), rtol=1e-12, atol=1e-14)


def test_ops_recorded_before_the_write_read_the_old_values():
    a, b = _leaves()
    y = a * 2.0
    before = y * b  # read before the write (torch would raise at backward here)
    y[0].fill_(0.0)
    (before.sum() + y.sum()).backward()
    np.testing.assert_array_equal(before.detach().numpy(), A * 2.0 * B)
    np.testing.assert_array_equal(y.detach().numpy()[0], 0.0)
    want = 2.0 * B + 2.0
    want[0] = 2.0 * B[0]
    np.testing.assert_allclose(a.grad.numpy(), want, rtol=1e-15)


def test_refusals():
    a, b = _leaves()
    with pytest.raises(RuntimeError, match=r"\[fill_\] a view of a leaf tensor that requires"):
        a[0].fill_(1.0)
    y = a[0:1] * 1.0
    with pytest.raises(RuntimeError, match="more than one element of the written-to tensor"):
        y.expand(3, 4).mul_(2.0)
    with pe.no_grad():  # a leaf's view written outside autograd: the leaf sees it
        a[1].fill_(7.0)
    np.testing.assert_array_equal(a.detach().numpy()[1], 7.0)


def test_a_view_made_before_a_write_and_a_backward_pass_still_reaches_its_tensor():
    def run(lib):
        a, b = _leaves(lib)
        y = a * 1.0
        row, col = y[0], y.t()[1]
        y[1] = b[1]  # y takes a new array; row and col view the old one
        (row * 2.0).sum().backward(retain_graph=True)  # row's node now reads y's old version
        row[0] = b[0, 0] * 3.0  # (a write computed from row's values raises: see below)
        col.copy_(b[:, 2] * 2.0)  # taken again over y's array: y sees the write
        out = (y * y).sum()
        out.backward()
        return y, a.grad, b.grad
    got = run(pe)
    y = A.copy()
    y[1] = B[1]
    y[0, 0] = B[0, 0] * 3.0
    y[:, 1] = B[:, 2] * 2.0
    np.testing.assert_allclose(got[0].detach().numpy(), y, rtol=1e-15)
    torch = pytest.importorskip("torch")
    for g, w in zip(got, run(torch)):
        np.testing.assert_allclose(g.detach().numpy(), w.detach().numpy(), rtol=1e-12)


def test_an_in_place_method_on_an_out_of_date_view_raises():
    a, b = _leaves()
    y = a * 1.0
    col = y[:, 1]
    y[1] = b[1]  # y takes a new array; col's values are out of date at y[1, 1]
    with pytest.raises(RuntimeError, match=r"\[in-place\] this view was taken before a write"):
        col.mul_(2.0)  # computed from the old values
    y = a * 1.0
    left, right = y.chunk(2, 1)
    left.mul_(2.0)
    right.mul_(3.0)  # disjoint from the write through left: taken again, right is current
    np.testing.assert_array_equal(y.detach().numpy(),
                                  np.concatenate([A[:, :2] * 2.0, A[:, 2:] * 3.0], 1))
    y.sum().backward()
    np.testing.assert_array_equal(a.grad.numpy(), [[2.0, 2.0, 3.0, 3.0]] * 3)


def test_a_view_of_a_constant_takes_a_graph_value():
    buf = pe.zeros(2, 3, dtype=pe.float64)
    a, _ = _leaves()
    buf[1:, 1:].copy_(a[0, :2].unsqueeze(0))
    assert buf.requires_grad and buf.grad_fn is not None
    buf.sum().backward()
    np.testing.assert_array_equal(a.grad.numpy(), [[1, 1, 0, 0], [0] * 4, [0] * 4])
    np.testing.assert_array_equal(buf.detach().numpy(), [[0, 0, 0], [0, A[0, 0], A[0, 1]]])


@pytest.mark.parametrize("shape,offset,dims", [((3, 4), 0, (0, 1)), ((3, 4), 1, (0, 1)),
                                               ((3, 4), -2, (1, 0)), ((2, 3, 4), 1, (2, 0)),
                                               ((2, 3, 4), -1, (-1, -2)), ((3, 4), 9, (0, 1))])
def test_diagonal_is_a_view(shape, offset, dims):
    x = np.arange(np.prod(shape), dtype=np.float64).reshape(shape)
    t = pe.tensor(x.copy())
    d = t.diagonal(offset, *dims)
    np.testing.assert_array_equal(d.numpy(), np.diagonal(x, offset, *dims))
    d.fill_(-1.0)  # outside autograd: the tensor sees the write (it was a copy before)
    want = x.copy()
    idx = np.diagonal(np.arange(x.size).reshape(shape), offset, *dims).reshape(-1)
    want.reshape(-1)[idx] = -1.0
    np.testing.assert_array_equal(t.numpy(), want)
    w = pe.tensor(x, requires_grad=True)
    assert gradcheck(lambda w: w.diagonal(offset, *dims) * 3.0, (w,))


def test_diagonal_of_a_non_contiguous_tensor():
    x = np.arange(12.0).reshape(3, 4)
    t = pe.tensor(x).t()
    np.testing.assert_array_equal(t.diagonal(1).numpy(), np.diagonal(x.T, 1))
    with pytest.raises(RuntimeError, match="diagonal dimensions cannot be identical"):
        t.diagonal(0, 1, -1)


def test_as_strided_values_gradient_and_bounds():
    x = np.arange(12.0)
    t = pe.tensor(x)
    w = pe.as_strided(t, (4, 3), (2, 1), 1)  # overlapping windows
    np.testing.assert_array_equal(
        w.numpy(), np.lib.stride_tricks.as_strided(x[1:], (4, 3), (16, 8)))
    assert t[3:].storage_offset() == 3 and t.storage_offset() == 0
    np.testing.assert_array_equal(t[3:].as_strided((2,), (1,), 0).numpy(), [0.0, 1.0])
    a = pe.tensor(x, requires_grad=True)
    y = (a * 1.0).as_strided((4, 3), (2, 1))
    (y * pe.tensor(np.arange(12.0).reshape(4, 3))).sum().backward()
    np.testing.assert_array_equal(a.grad.numpy(),
                                  [0, 1, 5, 4, 11, 7, 17, 10, 11, 0, 0, 0])
    assert gradcheck(lambda a: (a * 1.0).as_strided((3, 3), (3, 1), 2), (a,))
    with pytest.raises(RuntimeError, match=r"\[as_strided\] a view of shape \(5, 5\)"):
        t.as_strided((5, 5), (1, 1), 9)
    with pytest.raises(RuntimeError, match="mismatch in length of strides and shape"):
        t.as_strided((2, 2), (1,))


def test_as_strided_against_torch():
    torch = pytest.importorskip("torch")
    x = RNG.standard_normal(20)
    got, want = pe.tensor(x, requires_grad=True), torch.tensor(x, requires_grad=True)
    for lib, v in ((pe, got), (torch, want)):
        y = (v * 2.0).as_strided((3, 4), (5, 2), 1)
        (y ** 2).sum().backward()
    np.testing.assert_allclose(got.grad.numpy(), want.grad.numpy(), rtol=1e-14)


def test_a_view_pickles_without_the_tensor_it_views():
    import copy
    import pickle
    big = pe.zeros(500, 100)
    row = big[3:4]  # links to big (a write of a graph value into it must reach big)
    assert len(pickle.dumps(row)) < 4 * 100 * 4
    clone = copy.deepcopy(row)
    assert clone.shape == (1, 100) and clone._view_of is None


@settings(max_examples=60, deadline=None)
@given(shape=st.lists(st.integers(0, 4), min_size=2, max_size=4), offset=st.integers(-5, 5),
       dims=st.tuples(st.integers(0, 3), st.integers(0, 3)), transposed=st.booleans())
def test_diagonal_against_numpy(shape, offset, dims, transposed):
    d1, d2 = (d % len(shape) for d in dims)
    assume(d1 != d2)
    x = np.arange(np.prod(shape), dtype=np.float64).reshape(shape) + 1.0
    if transposed:  # a non-contiguous input
        x = np.swapaxes(x, 0, -1)
    t = pe.tensor(x, requires_grad=True)
    d = t.diagonal(offset, d1, d2)
    want = np.diagonal(x, offset, d1, d2)
    np.testing.assert_array_equal(d.detach().numpy(), want)
    g = np.arange(want.size, dtype=np.float64).reshape(want.shape) + 0.5
    d.backward(pe.tensor(g))
    ref = np.zeros(x.shape)  # C order: idx below are C-order flat indices
    idx = np.diagonal(np.arange(x.size).reshape(x.shape), offset, d1, d2)
    ref.reshape(-1)[idx.reshape(-1)] = g.reshape(-1)
    np.testing.assert_array_equal(t.grad.numpy(), ref)


def test_unfold_is_a_view_with_summed_gradients():
    x = np.arange(2 * 7, dtype=np.float64).reshape(2, 7)
    t = pe.tensor(x.copy())
    w = t.unfold(1, 3, 2)  # overlapping windows: columns 0-2, 2-4, 4-6
    np.testing.assert_array_equal(w.numpy(), np.stack([x[:, i:i + 3] for i in (0, 2, 4)], 1))
    t.unfold(1, 2, 3)[:, 1].fill_(-1.0)  # non-overlapping: the write reaches t
    np.testing.assert_array_equal(t.numpy()[:, 3:5], -1.0)
    a = pe.tensor(x, requires_grad=True)
    assert gradcheck(lambda a: (a * 1.0).unfold(1, 3, 2) ** 2, (a,))
    a.unfold(1, 3, 2).sum().backward()
    np.testing.assert_array_equal(a.grad.numpy()[0], [1, 1, 2, 1, 2, 1, 1])
    torch = pytest.importorskip("torch")
    ta = torch.tensor(x, requires_grad=True)
    (ta.unfold(1, 3, 2) ** 3).sum().backward()
    a.grad = None
    (a.unfold(1, 3, 2) ** 3).sum().backward()
    np.testing.assert_allclose(a.grad.numpy(), ta.grad.numpy(), rtol=1e-14)


def test_split_and_dtype_views_and_real_tensor_names():
    x = pe.arange(24.0).reshape(2, 3, 4)
    assert [p.shape for p in pe.hsplit(x, 3)] == [(2, 1, 4)] * 3
    assert [p.shape for p in x.vsplit([1])] == [(1, 3, 4), (1, 3, 4)]
    assert [p.shape for p in x.dsplit(2)] == [(2, 3, 2)] * 2
    with pytest.raises(RuntimeError, match=r"\[dsplit\] attempted to split along dimension 2"):
        x.dsplit(3)
    with pytest.raises(RuntimeError, match=r"\[dsplit\] expects a tensor of at least 3"):
        x[0].dsplit(2)
    hs = x.hsplit(3)
    hs[1].zero_()  # views, as torch's
    assert x[:, 1].sum().item() == 0.0
    bits = x.view(pe.int32)
    assert bits.dtype == pe.int32 and bits.shape == (2, 3, 4)
    np.testing.assert_array_equal(bits.numpy(), x.numpy().view(np.int32))
    assert x.view(pe.uint8).shape == (2, 3, 16)
    with pytest.raises(RuntimeError, match="needs its last dimension contiguous"):
        x.transpose(1, 2).view(pe.uint8)
    m = x[0]
    assert pe.real(m) is m and m.real is m
    with pytest.raises(RuntimeError, match="non-complex"):
        m.imag
    np.testing.assert_array_equal(m.H.numpy(), m.numpy().T)
    np.testing.assert_array_equal(pe.adjoint(x).numpy(), x.numpy().transpose(0, 2, 1))
    np.testing.assert_array_equal(x.mH.numpy(), x.numpy().transpose(0, 2, 1))
    np.testing.assert_array_equal(pe.ravel(m.t()).numpy(), m.numpy().T.reshape(-1))
    c = m.narrow_copy(1, 1, 2)
    c.zero_()  # a copy: m keeps its values
    assert m[:, 1:3].sum().item() > 0


@pytest.mark.parametrize("write", ["fill_", "zero_", "add_", "setitem", "uniform_", "copy_"])
def test_a_write_into_an_expanded_tensor_names_the_problem(write):
    e = pe.ones(1, 4).expand(3, 4)
    do = {"fill_": lambda: e.fill_(2.0), "zero_": e.zero_, "add_": lambda: e.add_(1.0),
          "setitem": lambda: e.__setitem__(0, 2.0), "uniform_": e.uniform_,
          "copy_": lambda: e.copy_(pe.zeros(3, 4))}[write]
    with pytest.raises(RuntimeError, match="more than one element of the written-to tensor"):
        do()
    frozen = np.ones(3)
    frozen.flags.writeable = False
    with pytest.raises(RuntimeError, match=r"\[in-place\] the tensor's memory is read-only"):
        pe.from_numpy(frozen).add_(1.0)
