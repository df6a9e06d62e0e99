"""Module / Parameter: registration, the walker (parameters, buffers, state_dict), modes,
load_state_dict errors, dtype casts, hooks and printing; PyTorch's repr when it is installed."""
from collections import OrderedDict

import numpy as np
import pytest

import pyengine as pe
from pyengine import nn

try:
    import torch
except ImportError:  # optional cross-check
    torch = None

needs_torch = pytest.mark.skipif(torch is None, reason="PyTorch not installed")


class Net(nn.Module):
    def __init__(self):
        super().__init__()
        self.fc = nn.Linear(4, 3)
        self.bn = nn.BatchNorm1d(3)
        self.head = nn.Sequential(nn.ReLU(), nn.Linear(3, 2, bias=False))
        self.scale = nn.Parameter(pe.ones(1))

    def forward(self, x):
        return self.head(self.bn(self.fc(x))) * self.scale


def test_parameter_is_a_leaf_tensor_sharing_memory():
    a = np.zeros(3, np.float32)
    p = nn.Parameter(pe.from_numpy(a))
    assert isinstance(p, pe.Tensor) and p.requires_grad and p.is_leaf
    p.data[0] = 5
    assert a[0] == 5
    assert not nn.Parameter(pe.zeros(2), requires_grad=False).requires_grad
    assert repr(p).startswith("Parameter containing:")
    assert type(p * 2) is pe.Tensor


def test_registration_order_and_names():
    net = Net()
    names = [n for n, _ in net.named_parameters()]
    assert names == ["scale", "fc.weight", "fc.bias", "bn.weight", "bn.bias", "head.1.weight"]
    assert [n for n, _ in net.named_buffers()] == [
        "bn.running_mean", "bn.running_var", "bn.num_batches_tracked"]
    assert [n for n, _ in net.named_children()] == ["fc", "bn", "head"]
    assert [n for n, _ in net.named_modules()] == ["", "fc", "bn", "head", "head.0", "head.1"]
    assert len(list(net.parameters(recurse=False))) == 1
    assert sum(p.numel() for p in net.parameters()) == 1 + 12 + 3 + 3 + 3 + 6
    assert net.get_submodule("head.1") is net.head[1]
    assert net.get_parameter("fc.bias") is net.fc.bias


def test_state_dict_keys_values_share_memory():
    net = Net()
    sd = net.state_dict()
    assert list(sd) == ["scale", "fc.weight", "fc.bias", "bn.weight", "bn.bias",
                        "bn.running_mean", "bn.running_var", "bn.num_batches_tracked",
                        "head.1.weight"]
    assert not sd["fc.weight"].requires_grad
    assert np.shares_memory(sd["fc.weight"].data, net.fc.weight.data)


def test_shared_parameter_counted_once_but_in_state_dict_twice():
    lin = nn.Linear(2, 2)
    seq = nn.Sequential(lin, lin)
    assert len(list(seq.parameters())) == 2
    assert list(seq.state_dict()) == ["0.weight", "0.bias", "1.weight", "1.bias"]


def test_load_state_dict_roundtrip_and_errors():
    a, b = Net(), Net()
    b.load_state_dict(a.state_dict())
    for (_, p), (_, q) in zip(a.state_dict().items(), b.state_dict().items()):
        np.testing.assert_array_equal(p.data, q.data)
    sd = a.state_dict()
    sd.pop("fc.bias")
    sd["extra"] = pe.zeros(1)
    with pytest.raises(RuntimeError, match=r'Missing key\(s\) in state_dict: "fc.bias"'):
        b.load_state_dict(sd)
    with pytest.raises(RuntimeError, match=r'Unexpected key\(s\) in state_dict: "extra"'):
        b.load_state_dict(sd)
    res = b.load_state_dict(sd, strict=False)
    assert res.missing_keys == ["fc.bias"] and res.unexpected_keys == ["extra"]
    bad = a.state_dict()
    bad["fc.weight"] = pe.zeros(4, 3)
    with pytest.raises(RuntimeError, match=r"size mismatch for fc.weight.*\(4, 3\).*\(3, 4\)"):
        b.load_state_dict(bad, strict=False)
    b.load_state_dict({k: v.numpy() for k, v in a.state_dict().items()})  # plain arrays work


def test_load_state_dict_keeps_parameter_objects():
    a, b = nn.Linear(3, 2), nn.Linear(3, 2)
    w = b.weight
    b.load_state_dict(a.state_dict())
    assert b.weight is w
    np.testing.assert_array_equal(w.data, a.weight.data)


def test_train_eval_propagates():
    net = Net()
    assert net.training and net.head[0].training
    net.eval()
    assert not any(m.training for m in net.modules())
    net.train()
    assert all(m.training for m in net.modules())
    with pytest.raises(ValueError):
        net.train("yes")


def test_zero_grad_and_requires_grad():
    net = Net()
    net(pe.randn(5, 4)).sum().backward()
    assert all(p.grad is not None for p in net.parameters())
    net.zero_grad(set_to_none=False)
    assert all(not p.grad.data.any() for p in net.parameters())
    net.zero_grad()
    assert all(p.grad is None for p in net.parameters())
    net.requires_grad_(False)
    assert not any(p.requires_grad for p in net.parameters())


def test_setattr_rules():
    m = nn.Module()
    m.w = nn.Parameter(pe.zeros(2))
    m.w = None  # a declared-but-absent parameter
    assert "w" in m._parameters and m.w is None
    with pytest.raises(TypeError, match="cannot assign 'Tensor' as parameter 'w'"):
        m.w = pe.zeros(2)
    m.sub = nn.ReLU()
    with pytest.raises(TypeError):
        m.sub = 3
    m.register_buffer("buf", pe.zeros(3))
    m.register_buffer("tmp", pe.zeros(1), persistent=False)
    assert list(m.state_dict()) == ["buf"]
    assert len(list(m.buffers())) == 2
    del m.sub
    assert list(m.children()) == []
    with pytest.raises(AttributeError, match="has no attribute 'nope'"):
        m.nope
    with pytest.raises(KeyError):
        m.register_buffer("a.b", pe.zeros(1))

    class Early(nn.Module):
        def __init__(self):
            self.w = nn.Parameter(pe.zeros(1))

    with pytest.raises(AttributeError, match="before Module.__init__"):
        Early()


def test_apply_and_to_double():
    net = Net()
    seen = []
    net.apply(lambda m: seen.append(type(m).__name__))
    assert seen == ["Linear", "BatchNorm1d", "ReLU", "Linear", "Sequential", "Net"]
    w = net.fc.weight
    net.double()
    assert net.fc.weight is w and w.dtype == pe.float64
    assert net.bn.running_mean.dtype == pe.float64
    assert net.bn.num_batches_tracked.dtype == pe.int64
    assert net(pe.randn(3, 4, dtype=pe.float64)).dtype == pe.float64
    net.to(pe.float32)
    assert w.dtype == pe.float32
    with pytest.raises(TypeError):
        net.to(pe.int64)


def test_forward_hooks():
    lin = nn.Linear(2, 2)
    calls = []
    h = lin.register_forward_hook(lambda m, args, out: calls.append(out.shape))
    lin.register_forward_pre_hook(lambda m, args: (args[0] * 0,))
    out = lin(pe.ones(1, 2))
    np.testing.assert_allclose(out.data, lin.bias.data[None], rtol=1e-6)
    h.remove()
    lin(pe.ones(1, 2))
    assert calls == [(1, 2)]


def test_forward_not_defined():
    with pytest.raises(NotImplementedError, match="must define forward"):
        nn.Module()(1)


def build_repr_net(lib):
    return lib.nn.Sequential(lib.nn.Conv2d(1, 4, 3, padding=1), lib.nn.BatchNorm2d(4),
                             lib.nn.ReLU(), lib.nn.MaxPool2d(2), lib.nn.Flatten(),
                             lib.nn.Dropout(0.25), lib.nn.Linear(16, 10),
                             lib.nn.LSTM(4, 8, num_layers=2, batch_first=True),
                             lib.nn.Embedding(10, 3), lib.nn.LayerNorm(3))


@needs_torch
def test_repr_matches_torch():
    assert repr(build_repr_net(pe)) == repr(build_repr_net(torch))


def test_repr_nested():
    net = Net()
    r = repr(net)
    assert r.startswith("Net(\n  (fc): Linear(in_features=4, out_features=3, bias=True)\n")
    assert "  (head): Sequential(\n    (0): ReLU()\n" in r


@needs_torch
def test_state_dict_keys_match_torch():
    def build(lib):
        return lib.nn.Sequential(OrderedDict(
            fc=lib.nn.Linear(4, 3), bn=lib.nn.BatchNorm1d(3), act=lib.nn.ReLU(),
            rnn=lib.nn.GRU(3, 2, num_layers=2, bidirectional=True), emb=lib.nn.Embedding(5, 2)))
    ours = {k: tuple(v.shape) for k, v in build(pe).state_dict().items()}
    theirs = {k: tuple(v.shape) for k, v in build(torch).state_dict().items()}
    assert list(ours.items()) == list(theirs.items())


def test_state_dict_save_load_roundtrip(tmp_path):
    if not hasattr(pe, "save"):
        pytest.skip("pe.save / pe.load not merged")
    pe.manual_seed(0)
    a = nn.Sequential(nn.Linear(2, 3), nn.BatchNorm1d(3), nn.LSTM(3, 2))
    a[1](pe.randn(4, 3))  # non-trivial running stats
    pe.save(a.state_dict(), tmp_path / "m.pe")
    b = nn.Sequential(nn.Linear(2, 3), nn.BatchNorm1d(3), nn.LSTM(3, 2))
    b.load_state_dict(pe.load(tmp_path / "m.pe"))
    for (ka, va), (kb, vb) in zip(a.state_dict().items(), b.state_dict().items()):
        assert ka == kb
        np.testing.assert_array_equal(va.data, vb.data)


@needs_torch
def test_torch_state_dict_loads_and_gives_the_same_outputs():
    def build(lib):
        return lib.nn.Sequential(lib.nn.Linear(4, 8), lib.nn.LayerNorm(8), lib.nn.Tanh(),
                                 lib.nn.Linear(8, 8), lib.nn.BatchNorm1d(8), lib.nn.ReLU(),
                                 lib.nn.Linear(8, 3))
    torch.manual_seed(0)
    theirs = build(torch)
    theirs(torch.randn(16, 4))  # move BatchNorm's running stats off their defaults
    theirs.eval()
    ours = build(pe).eval()
    result = ours.load_state_dict({k: v.numpy() for k, v in theirs.state_dict().items()})
    assert result.missing_keys == [] and result.unexpected_keys == []
    x = np.random.default_rng(0).standard_normal((5, 4)).astype(np.float32)
    with torch.no_grad():
        want = theirs(torch.from_numpy(x)).numpy()
    np.testing.assert_allclose(ours(pe.tensor(x)).data, want, rtol=1e-5, atol=1e-5)
