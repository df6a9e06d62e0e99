"""PyTorch tensor habits (pyengine/tensor_habits.py): NumPy references, gradcheck, torch
cross-checks where installed."""
import numpy as np
import pytest

import pyengine as pe
from pyengine.testing import gradcheck


def _r(*shape, seed=0):
    return np.random.default_rng(seed).standard_normal(shape).astype(np.float32)


def test_compare_mm_t_views():
    a, b = _r(3, 4), _r(4, 2, seed=1)
    ta, tb = pe.tensor(a), pe.tensor(b)
    np.testing.assert_allclose(ta.mm(tb).numpy(), a.astype(np.float32) @ b.astype(np.float32),
                               rtol=1e-5)
    assert ta.t().shape == (4, 3) and pe.tensor([1.0, 2.0]).t().shape == (2,)
    with pytest.raises(RuntimeError, match=r"\[mm\] both arguments must be 2-D"):
        ta.mm(pe.ones(4))
    with pytest.raises(RuntimeError, match=r"\[t\]"):
        pe.ones(2, 2, 2).t()
    for name, ref in (("eq", np.equal), ("ne", np.not_equal), ("lt", np.less),
                      ("le", np.less_equal), ("gt", np.greater), ("ge", np.greater_equal)):
        np.testing.assert_array_equal(getattr(ta, name)(0.0).numpy(),
                                      ref(a.astype(np.float32), 0.0))
    pred = pe.tensor([[1], [2], [0]])
    target = pe.tensor([1, 0, 0])
    assert pred.eq(target.view_as(pred)).sum().item() == 2  # the pytorch/examples MNIST line
    assert ta.equal(pe.tensor(a)) and not ta.equal(pe.zeros(3, 4))
    assert pe.ones(3, 1).expand_as(ta).shape == (3, 4)
    assert ta.type_as(pe.tensor([1])).dtype == pe.int64
    assert ta.new_zeros(2, 2).dtype == ta.dtype and ta.new_full((2,), 7.0).tolist() == [7.0, 7.0]
    np.testing.assert_array_equal(ta.narrow(1, 1, 2).numpy(), a.astype(np.float32)[:, 1:3])


@pytest.mark.parametrize("sizes", [(2, 3), (1, 1), (2, 1, 2), (0, 2)])
def test_repeat_matches_np_tile_and_gradcheck(sizes):
    a = _r(2, 3)
    np.testing.assert_array_equal(pe.tensor(a).repeat(*sizes).numpy(),
                                  np.tile(a.astype(np.float32), sizes))
    x = pe.tensor(a, dtype=pe.float64, requires_grad=True)
    assert gradcheck(lambda t: t.repeat(*sizes), [x])
    with pytest.raises(RuntimeError, match="repeat dims"):
        pe.ones(2, 2).repeat(2)


def test_gather_index_select_masked_fill():
    a = _r(3, 4)
    idx = np.array([[0, 3], [1, 1], [2, 0]])
    x = pe.tensor(a, dtype=pe.float64, requires_grad=True)
    np.testing.assert_array_equal(x.gather(1, pe.tensor(idx)).detach().numpy(),
                                  np.take_along_axis(a, idx, 1))
    assert gradcheck(lambda t: t.gather(1, pe.tensor(idx)), [x])
    idx0 = np.array([[2, 0, 1, 1]])
    np.testing.assert_array_equal(x.gather(0, pe.tensor(idx0)).detach().numpy(),
                                  np.take_along_axis(a, idx0, 0))
    np.testing.assert_array_equal(x.index_select(1, pe.tensor([3, 0])).detach().numpy(),
                                  a[:, [3, 0]])
    mask = a > 0
    np.testing.assert_array_equal(x.masked_fill(pe.tensor(mask), -1.0).detach().numpy(),
                                  np.where(mask, -1.0, a))
    assert gradcheck(lambda t: t.masked_fill(pe.tensor(mask), 0.0), [x])


def test_sort_topk_norm():
    a = _r(3, 5)
    t = pe.tensor(a, dtype=pe.float64, requires_grad=True)
    v, i = t.sort(dim=1, descending=True)
    np.testing.assert_array_equal(i.numpy(), np.argsort(-a, axis=1, kind="stable"))
    np.testing.assert_array_equal(v.detach().numpy(), -np.sort(-a.astype(np.float64), axis=1))
    top = t.topk(2, dim=1)
    np.testing.assert_array_equal(top.values.detach().numpy(),
                                  -np.sort(-a.astype(np.float64), axis=1)[:, :2])
    assert gradcheck(lambda x: x.topk(2, dim=0).values, [t])
    np.testing.assert_allclose(t.norm().item(), np.linalg.norm(a.astype(np.float64)))
    np.testing.assert_allclose(t.norm(p=1, dim=1).detach().numpy(), np.abs(a).sum(1), rtol=1e-6)
    assert gradcheck(lambda x: x.norm(dim=1), [t])
    with pytest.raises(RuntimeError, match="topk"):
        t.topk(6)


def test_random_methods_are_seeded_and_in_range():
    p = pe.full((10000,), 0.3)
    pe.manual_seed(0)
    s = p.bernoulli()
    pe.manual_seed(0)
    assert s.equal(pe.bernoulli(p))
    assert set(np.unique(s.numpy())) <= {0.0, 1.0} and abs(s.numpy().mean() - 0.3) < 0.03
    with pytest.raises(RuntimeError, match="bernoulli"):
        pe.tensor([1.5]).bernoulli()
    w = pe.empty(2000)
    assert w.normal_(0.0, 0.02) is w and abs(float(w.numpy().std()) - 0.02) < 0.003
    w.uniform_(-0.1, 0.1)
    assert w.numpy().min() >= -0.1 and w.numpy().max() <= 0.1
    g1 = pe.empty(5).normal_(generator=pe.Generator().manual_seed(1))
    g2 = pe.empty(5).normal_(generator=pe.Generator().manual_seed(1))
    assert g1.equal(g2)
    assert set(pe.empty(100, dtype=pe.int64).random_(0, 3).tolist()) <= {0, 1, 2}


def test_inplace_methods_on_leaves_only_under_no_grad():
    w = pe.tensor([1.0, 2.0], requires_grad=True)
    with pytest.raises(RuntimeError, match="in place"):
        w.add_(1.0)
    with pytest.raises(RuntimeError, match="in place"):
        w.normal_()
    w.grad = pe.tensor([0.5, 0.5])
    with pe.no_grad():
        w.add_(w.grad, alpha=-2.0)  # SGD written by hand, as in the PyTorch tutorials
        assert w.tolist() == [0.0, 1.0]
        w.mul_(3).sub_(1.0).clamp_(min=0.0)
        assert w.tolist() == [0.0, 2.0]
        w.addcmul_(pe.tensor([1.0, 1.0]), pe.tensor([2.0, 3.0]), value=0.5)
        assert w.tolist() == [1.0, 3.5]
        w.zero_()
    assert w.tolist() == [0.0, 0.0] and w.requires_grad
    x = pe.tensor([-1.0, 4.0])
    assert x.abs_().sqrt_().tolist() == [1.0, 2.0]
    assert x.masked_fill_(pe.tensor([True, False]), 9.0).tolist() == [9.0, 2.0]


def test_format_facts_variable_backends():
    loss = pe.tensor(0.123456)
    assert f"{loss:.3f}" == "0.123" and "{:.1f}".format(pe.tensor([2.0])) == "2.0"
    assert f"{pe.ones(2)}" == str(pe.ones(2))
    with pytest.raises(TypeError, match="format"):
        f"{pe.ones(2):.2f}"
    x = pe.ones(2, 3)
    assert not x.is_cuda and x.is_cpu and x.is_floating_point() and x.is_contiguous()
    assert x.stride() == (3, 1) and x.nelement() == 6 and x.element_size() == 4
    v = pe.autograd.Variable(pe.ones(2), requires_grad=True)
    assert isinstance(v, pe.Tensor) and v.requires_grad
    assert pe.backends.mps.is_available() is False and pe.backends.cudnn.deterministic is False
    pe.backends.cudnn.benchmark = True  # inert, accepted as in PyTorch programs
    assert pe.accelerator.is_available() == pe.cuda.is_available()


def test_habits_against_torch():
    torch = pytest.importorskip("torch")
    a = _r(2, 3)
    assert np.array_equal(pe.tensor(a).repeat(2, 1, 3).numpy(),
                          torch.tensor(a, dtype=torch.float32).repeat(2, 1, 3).numpy())
    idx = np.array([[1, 0, 0], [2, 2, 1]])
    assert np.array_equal(pe.tensor(a).gather(1, pe.tensor(idx)).numpy(),
                          torch.tensor(a, dtype=torch.float32).gather(1, torch.tensor(idx)).numpy())
    assert f"{pe.tensor(3.14159):.2f}" == f"{torch.tensor(3.14159):.2f}"


def test_data_is_a_tensor_sharing_storage():
    """PyTorch's `.data`: a Tensor outside the graph that shares the parameter's storage, so the
    hand-written SGD / init / clipping idioms of pytorch/examples modify the parameter."""
    pe.manual_seed(0)
    lin = pe.nn.Linear(4, 3)
    w = lin.weight
    d = w.data
    assert type(d) is pe.Tensor and not d.requires_grad and d.grad_fn is None
    assert np.shares_memory(d.numpy(), w.detach().numpy()) and d.size() == (3, 4)
    before = w.detach().numpy().copy()
    lin(pe.randn(5, 4)).sum().backward()
    g = w.grad.detach().numpy().copy()
    for p in lin.parameters():                     # word_language_model / regression
        p.data.add_(-0.1 * p.grad.data)
    np.testing.assert_allclose(w.detach().numpy(), before - 0.1 * g, rtol=1e-6)
    w.data.add_(w.grad, alpha=-0.1)                # current word_language_model
    w.data.add_(-0.1, w.grad.data)                 # PyTorch 0.x's add_(value, tensor)
    np.testing.assert_allclose(w.detach().numpy(), before - 0.3 * g, rtol=1e-5)
    w.data.normal_(0.0, 0.02)                      # DCGAN weights_init, no no_grad needed
    assert 0 < w.detach().numpy().std() < 0.1
    lin.bias.data.fill_(0)
    assert not lin.bias.detach().numpy().any()
    w.data.clamp_(-0.01, 0.01)                     # WGAN weight clipping
    assert np.abs(w.detach().numpy()).max() <= 0.01
    w.data.copy_(pe.ones(3, 4))
    assert float(w.data.norm()) == pytest.approx(np.sqrt(12.0))
    w.data.zero_()
    w.data += 2                                    # in place, still the parameter's storage
    w.data[0] = 5
    assert w.detach().numpy().tolist()[0] == [5.0] * 4 and w.detach().numpy()[1, 0] == 2
    assert w.requires_grad and w.is_leaf           # the parameter itself is untouched as a leaf


def test_data_setter_replaces_storage_and_rejects_other_types():
    p = pe.nn.Parameter(pe.zeros(2, 2))
    q = pe.arange(6.0).reshape(3, 2)
    p.data = q                                     # shape may change, as in PyTorch
    assert p.shape == (3, 2) and p.requires_grad
    assert np.shares_memory(p.detach().numpy(), q.numpy())
    p.data = np.ones((1, 2), np.float32)           # a NumPy array becomes the storage itself
    assert p.detach().numpy().tolist() == [[1.0, 1.0]]
    with pytest.raises(TypeError, match=r"\[data\] can only be set to a Tensor"):
        p.data = [1.0, 2.0]
    h = pe.tensor([1.0, 2.0], requires_grad=True) * 2
    v = pe.autograd.Variable(h.data)               # repackage_hidden: detached from the graph
    assert v.grad_fn is None and h.grad_fn is not None
    assert np.shares_memory(v.numpy(), h.detach().numpy())


def test_backends_submodules_import_like_torch():
    """`import torch.backends.cudnn as cudnn` (dcgan, imagenet examples) ports."""
    import pyengine.backends.cudnn as cudnn
    import pyengine.backends.mps as mps
    assert cudnn is pe.backends.cudnn and mps.is_available() is False
    old = cudnn.benchmark
    cudnn.benchmark = True  # inert, but set and read back like PyTorch's flag
    assert pe.backends.cudnn.benchmark is True
    cudnn.benchmark = old


def test_engine_reads_the_storage_as__data():
    """Inside pyengine a tensor's array is `._data`; `.data` is the user-facing Tensor view.
    Code that reads `x.data` expecting an array (a merge from before the switch) is listed."""
    import io
    import pathlib
    import tokenize
    allowed_owner = {"pe", "tf", "utils", "torch", "ctypes", "keras", "np", "from", "import", "."}
    root = pathlib.Path(pe.__file__).parent
    found = []
    for f in sorted(root.rglob("*.py")):
        toks = [t for t in tokenize.generate_tokens(io.StringIO(f.read_text()).readline)
                if t.type not in (tokenize.COMMENT, tokenize.NL, tokenize.NEWLINE)]
        for a, b, c in zip(toks, toks[1:], toks[2:]):
            # PackedSequence.data is PyTorch's name for the packed rows (a Tensor, by design)
            packed = a.string in ("packed", "sequence") or (a.string == "self" and
                                                            f.name == "rnn.py" and
                                                            f.parent.name == "utils")
            if b.string == "." and c.type == tokenize.NAME and c.string == "data" and \
                    a.string not in allowed_owner and not packed and \
                    not (a.string == "self" and f.name == "timeseries.py"):
                found.append(f"{f.relative_to(root)}:{c.start[0]}")
    assert not found, f"switch these to ._data: {found}"


def test_cuda_is_available_false_until_tensors_can_live_there(monkeypatch):
    # A CUDA build with a GPU still cannot hold tensors: is_available() must say False, or the
    # common `"cuda" if torch.cuda.is_available() else "cpu"` picks a device that then fails.
    from pyengine import cuda
    monkeypatch.setattr(cuda, "is_built", lambda: True)
    monkeypatch.setattr(cuda, "device_count", lambda: 1)
    assert not cuda.is_available() and not pe.accelerator.is_available()
    assert pe.accelerator.current_accelerator(check_available=True) is None
    with pytest.raises((RuntimeError, NotImplementedError), match=r"\[device\]"):
        pe.zeros(2, device="cuda")
