"""Original tests for the API patterns of the PyTorch tutorials run by helper gd (pruning,
parametrizations, torch.func, transfer learning, DCGAN): tiny sizes, synthetic data, NumPy float64
references, torch cross-checks where torch is installed."""
import numpy as np
import pytest

import pyengine as pe
from pyengine import nn
from pyengine.nn.utils import prune


def _small_net():
    pe.manual_seed(0)
    return nn.Sequential(nn.Conv2d(1, 4, 3), nn.ReLU(), nn.Flatten(), nn.Linear(4 * 4 * 4, 5))


# ---- torch.nn.utils.prune -------------------------------------------------------------------
def test_l1_unstructured_reparametrises_and_masks_gradients():
    lin = nn.Linear(6, 4)
    w0 = lin.weight.detach().numpy().copy()
    prune.l1_unstructured(lin, "weight", amount=0.25)
    assert [n for n, _ in lin.named_parameters()] == ["bias", "weight_orig"]
    assert [n for n, _ in lin.named_buffers()] == ["weight_mask"]
    mask = lin.weight_mask.numpy()
    # the 6 entries of smallest |w| are the pruned ones
    order = np.argsort(np.abs(w0).ravel(), kind="stable")
    expect = np.ones(24)
    expect[order[:6]] = 0
    np.testing.assert_array_equal(mask.ravel(), expect)
    np.testing.assert_allclose(lin.weight.numpy(), w0 * expect.reshape(4, 6))
    x = pe.randn(3, 6)
    lin(x).sum().backward()
    g = lin.weight_orig.grad.numpy()
    np.testing.assert_allclose(g, np.tile(x.numpy().sum(0), (4, 1)) * mask, rtol=1e-5)
    assert pe.nn.utils.prune.is_pruned(lin)


def test_iterative_pruning_container_and_remove():
    conv = nn.Conv2d(2, 6, 3)
    prune.random_unstructured(conv, "weight", amount=0.3)
    first = conv.weight_mask.numpy().copy()
    assert int((first == 0).sum()) == round(0.3 * first.size)
    prune.ln_structured(conv, "weight", amount=0.5, n=2, dim=0)
    hooks = [h for h in conv._forward_pre_hooks.values() if h._tensor_name == "weight"]
    assert len(hooks) == 1 and isinstance(hooks[0], prune.PruningContainer)
    assert [type(m).__name__ for m in hooks[0]] == ["RandomUnstructured", "LnStructured"]
    mask = conv.weight_mask.numpy()
    assert np.all(mask <= first)  # the earlier mask still holds
    w_alive = conv.weight_orig.detach().numpy() * first
    norms = np.sqrt((w_alive ** 2).reshape(6, -1).sum(1))
    kept = np.sort(np.argsort(-norms, kind="stable")[:3])
    assert sorted(np.nonzero(mask.reshape(6, -1).any(1))[0].tolist()) == kept.tolist()
    prune.remove(conv, "weight")
    assert "weight" in dict(conv.named_parameters()) and not list(conv.named_buffers())
    np.testing.assert_array_equal(conv.weight.detach().numpy() == 0, mask == 0)
    with pytest.raises(ValueError, match="has to be pruned"):
        prune.remove(conv, "weight")


def test_global_unstructured_and_custom_method_and_state_dict():
    net = _small_net()
    pairs = [(net[0], "weight"), (net[3], "weight")]
    allw = np.concatenate([m.weight.detach().numpy().ravel() for m, _ in pairs])
    prune.global_unstructured(pairs, pruning_method=prune.L1Unstructured, amount=0.2)
    zeros = sum(int((m.weight == 0).sum()) for m, _ in pairs)
    assert zeros == round(0.2 * allw.size)
    thresh = np.sort(np.abs(allw))[zeros - 1]
    for m, _ in pairs:
        w = m.weight_orig.detach().numpy()
        assert np.all((m.weight_mask.numpy() == 0) == (np.abs(w) <= thresh))
    sd = net.state_dict()
    assert {"0.weight_orig", "0.weight_mask", "3.weight_orig", "3.weight_mask"} <= set(sd)
    other = _small_net()
    prune.identity(other[0], "weight")
    prune.identity(other[3], "weight")
    other.load_state_dict(sd)
    x = pe.randn(2, 1, 6, 6)
    np.testing.assert_allclose(other(x).detach().numpy(), net(x).detach().numpy(), rtol=1e-6)

    class EveryOther(prune.BasePruningMethod):
        PRUNING_TYPE = "unstructured"

        def compute_mask(self, t, default_mask):
            mask = default_mask.clone()
            mask.flatten()[::2] = 0
            return mask

    lin = nn.Linear(3, 5)
    EveryOther.apply(lin, "bias")
    np.testing.assert_array_equal(lin.bias_mask.numpy(), [0, 1, 0, 1, 0])
    # bad input names the op
    with pytest.raises(ValueError, match="amount"):
        prune.l1_unstructured(nn.Linear(2, 2), "weight", amount=1.5)
    with pytest.raises(ValueError, match="smaller than the number"):
        prune.l1_unstructured(nn.Linear(2, 2), "weight", amount=9)
    lin2 = nn.Linear(2, 2)
    with pytest.raises(ValueError, match="2 or more"):
        prune.ln_structured(lin2, "bias", amount=1, n=1, dim=0)
    assert "bias" in dict(lin2.named_parameters())  # rolled back


def test_prune_masks_match_torch():
    torch = pytest.importorskip("torch")
    import torch.nn.utils.prune as tprune
    rng = np.random.default_rng(1)
    w = rng.standard_normal((5, 3, 2, 2)).astype(np.float32)
    tc = torch.nn.Conv2d(3, 5, 2)
    pc = nn.Conv2d(3, 5, 2)
    with torch.no_grad():
        tc.weight.copy_(torch.from_numpy(w))
    with pe.no_grad():
        pc.weight.copy_(pe.tensor(w))
    for mod, pr in ((tc, tprune), (pc, prune)):
        pr.l1_unstructured(mod, "weight", amount=0.3)
        pr.ln_structured(mod, "weight", amount=2, n=1, dim=1)
        pr.l1_unstructured(mod, "weight", amount=7)
    np.testing.assert_array_equal(pc.weight_mask.numpy(), tc.weight_mask.numpy())
