"""Original tests of the API patterns of public PyTorch tutorial / example programs (tiny sizes,
synthetic data); docs/public_examples.md names the programs."""
import numpy as np
import pytest

import pyengine as pe


# ---- vmap over a function that backpropagates through a graph built outside vmap -----------
def test_vmap_of_autograd_grad_builds_the_jacobian_from_one_graph():
    x = pe.tensor(np.array([0.5, -1.0, 2.0], np.float32), requires_grad=True)
    y = x * x * x
    basis = pe.eye(3)
    jac = pe.vmap(lambda v: pe.autograd.grad(y, x, v)[0])(basis)
    np.testing.assert_allclose(jac.numpy(), np.diag(3 * x.detach().numpy() ** 2), rtol=1e-6)
    # the batched call freed the graph once, as torch's single batched call does
    with pytest.raises(RuntimeError, match="second time"):
        pe.autograd.grad(y, x, basis[0])


def test_vmap_backward_twice_in_one_call_still_raises_and_nested_vmap_shares_the_graph():
    x = pe.tensor(np.array([0.1, 0.2, 0.3, 0.4], np.float32), requires_grad=True)
    y = x.exp()
    with pytest.raises(RuntimeError, match="second time"):
        pe.vmap(lambda v: (pe.autograd.grad(y, x, v)[0], pe.autograd.grad(y, x, v)[0]))(pe.eye(4))
    y = x.exp()
    inner = pe.vmap(lambda v: pe.autograd.grad(y, x, v)[0])
    jac = pe.vmap(inner)(pe.eye(4).reshape(2, 2, 4))
    np.testing.assert_allclose(jac.numpy().reshape(4, 4), np.diag(np.exp(x.detach().numpy())),
                               rtol=1e-6)
    # a graph built and freed inside each call is that call's own
    z = pe.vmap(lambda r: pe.autograd.grad((r * x).sum(), x)[0])(pe.eye(4) * 2.0)
    np.testing.assert_allclose(z.numpy(), 2 * np.eye(4), rtol=1e-6)


def test_vmap_autograd_grad_jacobian_against_torch():
    torch = pytest.importorskip("torch")
    a = np.array([0.3, -0.7, 1.1, 2.0], np.float32)
    xp = pe.tensor(a, requires_grad=True)
    xt = torch.tensor(a, requires_grad=True)
    yp, yt = (xp.sin() * xp).relu(), (xt.sin() * xt).relu()
    jp = pe.vmap(lambda v: pe.autograd.grad(yp, xp, v)[0])(pe.eye(4))
    jt = torch.vmap(lambda v: torch.autograd.grad(yt, xt, v)[0])(torch.eye(4))
    np.testing.assert_allclose(jp.numpy(), jt.numpy(), rtol=1e-5, atol=1e-6)


# ---- inspecting a model's parameters: names, sizes, counts, freezing -------------------------
def _inspect_net(nn):
    return nn.Sequential(nn.Conv2d(1, 4, 3), nn.ReLU(inplace=True), nn.MaxPool2d((2, 2)),
                         nn.Flatten(), nn.Linear(4 * 3 * 3, 6), nn.ReLU(), nn.Linear(6, 2))


def test_parameter_inspection_counts_and_freezing_match_torch():
    from pyengine import nn
    net = _inspect_net(nn)
    got = [(n, tuple(p.size()), p.numel()) for n, p in net.named_parameters()]
    assert [g[0] for g in got] == ["0.weight", "0.bias", "4.weight", "4.bias", "6.weight",
                                   "6.bias"]
    assert all(int(np.prod(s)) == k for _, s, k in got)
    for name, p in net.named_parameters():
        if name == "4.weight":
            p.requires_grad = False
    trainable = sum(p.numel() for p in net.parameters() if p.requires_grad)
    assert trainable == sum(k for _, _, k in got) - 36 * 6
    per_layer = {}
    for name, p in net.named_parameters():
        per_layer[name.rsplit(".", 1)[0]] = per_layer.get(name.rsplit(".", 1)[0], 0) + p.numel()
    assert per_layer == {"0": 40, "4": 222, "6": 14}
    torch = pytest.importorskip("torch")
    ref = [(n, tuple(p.size()), p.numel()) for n, p in _inspect_net(torch.nn).named_parameters()]
    assert got == ref


# ---- shape mismatches are RuntimeErrors as in torch (and still ValueErrors) ------------------
def test_wrong_in_features_is_caught_by_except_runtime_error():
    from pyengine import nn
    net = nn.Sequential(nn.Conv2d(1, 2, 3), nn.MaxPool2d((2, 2)), nn.Flatten(), nn.Linear(2 * 4 * 4, 3))
    x = pe.ones(1, 1, 12, 12)  # 2 x 5 x 5 after the pool, not 2 x 4 x 4
    try:
        net(x)
    except RuntimeError as e:
        msg = str(e)
    else:
        pytest.fail("the mismatched Linear did not raise")
    assert msg.startswith("[linear]") and "50" in msg and "32" in msg
    net[3] = nn.Linear(2 * 5 * 5, 3)
    assert tuple(net(x).shape) == (1, 3)


@pytest.mark.parametrize("bad", [
    lambda: pe.randn(2, 3) @ pe.randn(4, 5),
    lambda: pe.randn(2, 2, 3) @ pe.randn(3, 3, 4),
    lambda: pe.randn(2, 3) + pe.randn(4, 5),
    lambda: pe.randn(2, 3).view(5),
    lambda: pe.cat([pe.randn(2, 3), pe.randn(2, 4)]),
])
def test_shape_errors_are_both_runtime_and_value_errors(bad):
    with pytest.raises(RuntimeError) as info:
        bad()
    assert isinstance(info.value, ValueError)
    assert str(info.value).startswith("[")
