"""Original tests for the API patterns of the PyTorch tutorials run by helper gd (pruning,
parametrizations, torch.func, transfer learning, DCGAN): tiny sizes, synthetic data, NumPy float64
references, torch cross-checks where torch is installed."""
import numpy as np
import pytest

import pyengine as pe
from pyengine import nn
from pyengine.nn.utils import parametrize, prune


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


def test_pruned_and_parametrized_bias_reach_linear_forward():
    x = pe.randn(3, 4)
    for lin in (nn.Linear(4, 5), nn.Conv2d(4, 5, 1)):
        inp = x if isinstance(lin, nn.Linear) else x.reshape(3, 4, 1, 1)
        prune.l1_unstructured(lin, "bias", amount=2)
        b = lin.bias.detach().numpy()
        assert int((b == 0).sum()) == 2
        w = lin.weight.detach().numpy().reshape(5, 4)
        out = lin(inp).detach().numpy().reshape(3, 5)
        np.testing.assert_allclose(out, x.numpy() @ w.T + b, rtol=1e-5, atol=1e-6)
    lin = nn.Linear(4, 5)

    class Zero(nn.Module):
        def forward(self, X):
            return X * 0

    parametrize.register_parametrization(lin, "bias", Zero())
    np.testing.assert_allclose(lin(x).detach().numpy(),
                               x.numpy() @ lin.weight.detach().numpy().T, rtol=1e-5, atol=1e-6)


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
    lin = prune.random_structured(nn.Linear(5, 4), "weight", amount=2, dim=1)
    cols = lin.weight_mask.numpy().any(0)
    assert cols.sum() == 3 and np.all(lin.weight_mask.numpy()[:, cols] == 1)


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


# ---- torch.nn.utils.parametrize, matrix_exp --------------------------------------------------


class _Sym(nn.Module):
    def forward(self, X):
        return X.triu() + X.triu(1).transpose(-1, -2)


class _Skew(nn.Module):
    def forward(self, X):
        A = X.triu(1)
        return A - A.transpose(-1, -2)

    def right_inverse(self, A):
        return A.triu(1)


class _Expm(nn.Module):
    def forward(self, X):
        return pe.matrix_exp(X)


def test_parametrized_weight_is_a_property_with_gradients_to_original():
    lin = nn.Linear(4, 4)
    w0 = lin.weight.detach().numpy().copy()
    parametrize.register_parametrization(lin, "weight", _Sym())
    assert type(lin).__name__ == "ParametrizedLinear" and isinstance(lin, nn.Linear)
    assert parametrize.type_before_parametrizations(lin) is nn.Linear
    assert sorted(dict(lin.named_parameters())) == ["bias", "parametrizations.weight.original"]
    ref = np.triu(w0) + np.triu(w0, 1).T
    np.testing.assert_allclose(lin.weight.detach().numpy(), ref, rtol=1e-6)
    x = pe.randn(5, 4)
    np.testing.assert_allclose(lin(x).detach().numpy(), x.numpy() @ ref.T + lin.bias.detach().numpy(),
                               rtol=1e-5, atol=1e-6)
    g = pe.randn(4, 4)
    (lin.weight * g).sum().backward()
    G = g.numpy()
    np.testing.assert_allclose(lin.parametrizations.weight.original.grad.numpy(),
                               np.triu(G) + np.triu(G.T, 1), rtol=1e-6)
    # state_dict round trip into another parametrized layer; pickling is refused
    other = parametrize.register_parametrization(nn.Linear(4, 4), "weight", _Sym())
    other.load_state_dict(lin.state_dict())
    np.testing.assert_allclose(other(x).detach().numpy(), lin(x).detach().numpy(), rtol=1e-6)
    import pickle
    with pytest.raises(RuntimeError, match="state_dict"):
        pickle.dumps(lin)
    import copy
    twin = copy.deepcopy(lin)
    np.testing.assert_allclose(twin(x).detach().numpy(), lin(x).detach().numpy(), rtol=1e-6)
    assert twin.parametrizations.weight.original is not lin.parametrizations.weight.original
    with pytest.raises(ValueError, match="no parameter, buffer"):
        parametrize.register_parametrization(lin, "nope", _Sym())


def test_chained_parametrizations_cached_right_inverse_and_remove():
    pe.manual_seed(0)
    lin = nn.Linear(3, 3)
    parametrize.register_parametrization(lin, "weight", _Skew())
    parametrize.register_parametrization(lin, "weight", _Expm())
    opt = pe.optim.SGD(lin.parameters(), lr=0.1)
    x, y = pe.randn(16, 3), pe.randn(16, 3)
    losses = []
    for _ in range(5):
        opt.zero_grad()
        loss = ((lin(x) - y) ** 2).mean()
        loss.backward()
        opt.step()
        losses.append(loss.item())
    assert losses[-1] < losses[0]
    W = lin.weight.detach().numpy().astype(np.float64)
    np.testing.assert_allclose(W.T @ W, np.eye(3), atol=1e-5)  # still orthogonal
    # cached(): one evaluation per tensor inside the block
    calls = []

    class Count(nn.Module):
        def forward(self, X):
            calls.append(1)
            return X

        def right_inverse(self, X):
            return X

    lin2 = parametrize.register_parametrization(nn.Linear(2, 2), "weight", Count())
    calls.clear()
    _ = lin2.weight + lin2.weight
    assert len(calls) == 2
    calls.clear()
    with parametrize.cached():
        _ = lin2.weight + lin2.weight.T
    assert len(calls) == 1
    # assigning goes through right_inverse into the same Parameter object
    skew = parametrize.register_parametrization(nn.Linear(3, 3), "weight", _Skew())
    orig = skew.parametrizations.weight.original
    A = np.array([[0, 1, 2], [-1, 0, 3], [-2, -3, 0]], np.float32)
    skew.weight = pe.tensor(A)
    assert skew.parametrizations.weight.original is orig
    np.testing.assert_allclose(skew.weight.detach().numpy(), A)
    with pytest.raises(RuntimeError, match="right_inverse"):
        lin.weight = pe.eye(3)  # _Expm has no right_inverse
    # remove: keep the parametrized value, or the original
    parametrize.remove_parametrizations(skew, "weight")
    assert type(skew) is nn.Linear and not parametrize.is_parametrized(skew)
    np.testing.assert_allclose(skew.weight.detach().numpy(), A)
    assert isinstance(skew.weight, nn.Parameter)
    s2 = parametrize.register_parametrization(nn.Linear(3, 3), "weight", _Skew())
    raw = s2.parametrizations.weight.original.detach().numpy().copy()
    parametrize.remove_parametrizations(s2, "weight", leave_parametrized=False)
    np.testing.assert_array_equal(s2.weight.detach().numpy(), raw)


def test_matrix_exp_against_numpy_and_gradcheck():
    rng = np.random.default_rng(0)
    S = rng.standard_normal((2, 4, 4)) * 2.0
    S = S + np.swapaxes(S, -1, -2)  # symmetric: e^S = V diag(e^w) V^T
    w, V = np.linalg.eigh(S)
    ref = V @ (np.exp(w)[..., None] * np.swapaxes(V, -1, -2))
    got = pe.matrix_exp(pe.tensor(S)).numpy()
    np.testing.assert_allclose(got, ref, rtol=1e-10)
    np.testing.assert_allclose(pe.tensor(S[0]).matrix_exp().numpy(), ref[0], rtol=1e-10)
    np.testing.assert_allclose(pe.linalg.matrix_exp(pe.zeros(3, 3)).numpy(), np.eye(3))
    a = pe.tensor(rng.standard_normal((3, 3)), requires_grad=True)
    assert pe.testing.gradcheck(pe.matrix_exp, [a])
    with pytest.raises(RuntimeError, match="matrix_exp.*square"):
        pe.matrix_exp(pe.zeros(2, 3))
    m = pe.tensor([[2.0, 1.0], [1.0, 3.0]], dtype=pe.float64)
    assert abs(m.det().item() - 5.0) < 1e-12 and abs(m.logdet().item() - np.log(5.0)) < 1e-12
    np.testing.assert_allclose(m.inverse().numpy(), np.linalg.inv(m.numpy()))
    m.requires_grad_(True)
    m.logdet().backward()  # d log det / dA = A^-T, finite (0 * nan once poisoned it)
    np.testing.assert_allclose(m.grad.numpy(), np.linalg.inv(m.detach().numpy()).T, rtol=1e-12)
    torch = pytest.importorskip("torch")
    A = rng.standard_normal((3, 3)).astype(np.float32)
    np.testing.assert_allclose(pe.matrix_exp(pe.tensor(A)).numpy(),
                               torch.matrix_exp(torch.from_numpy(A)).numpy(), rtol=1e-5, atol=1e-6)


# ---- transfer learning: ImageFolder, RandomResizedCrop, set_grad_enabled ----------------------
def _write_png(path, arr):
    import struct
    import zlib
    h, w, _ = arr.shape
    raw = b"".join(b"\x00" + arr[i].tobytes() for i in range(h))

    def chunk(t, d):
        return struct.pack(">I", len(d)) + t + d + struct.pack(">I", zlib.crc32(t + d) & 0xFFFFFFFF)
    with open(path, "wb") as f:
        f.write(b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", w, h, 8, 2, 0, 0, 0))
                + chunk(b"IDAT", zlib.compress(raw)) + chunk(b"IEND", b""))


def test_image_folder_classes_samples_and_loader(tmp_path):
    from pyengine.vision import datasets, transforms
    rng = np.random.default_rng(0)
    imgs = {}
    for cls in ("bees", "ants"):
        (tmp_path / cls / "sub").mkdir(parents=True)
        for k in range(2):
            arr = rng.integers(0, 255, (5 + k, 7, 3)).astype(np.uint8)
            p = tmp_path / cls / ("sub" if k else "") / f"{k}.png"
            _write_png(p, arr)
            imgs[str(p)] = arr
    (tmp_path / "ants" / "notes.txt").write_text("not an image")
    ds = datasets.ImageFolder(str(tmp_path), transform=transforms.ToTensor())
    assert ds.classes == ["ants", "bees"] and ds.class_to_idx == {"ants": 0, "bees": 1}
    assert len(ds) == 4 and ds.targets == [0, 0, 1, 1] and ds.imgs == ds.samples
    for (path, target), i in zip(ds.samples, range(4)):
        x, y = ds[i]
        assert y == target and x.shape == (3,) + imgs[path].shape[:2]
        np.testing.assert_allclose(x.numpy(), imgs[path].transpose(2, 0, 1) / 255.0, rtol=1e-6)
    (tmp_path / "empty").mkdir()
    with pytest.raises(FileNotFoundError, match="empty"):
        datasets.ImageFolder(str(tmp_path))
    assert len(datasets.ImageFolder(str(tmp_path), allow_empty=True)) == 4
    only_sub = datasets.ImageFolder(str(tmp_path), is_valid_file=lambda p: "sub" in p,
                                    allow_empty=True)
    assert len(only_sub) == 2


def test_random_resized_crop_params_and_output():
    from pyengine.vision import transforms
    rng = np.random.default_rng(0)
    for _ in range(50):
        top, left, h, w = transforms.RandomResizedCrop.get_params(40, 60, (0.2, 0.6), (0.5, 2.0), rng)
        assert 0 <= top <= 40 - h and 0 <= left <= 60 - w
        assert 0.2 * 2400 * 0.8 <= h * w <= 0.6 * 2400 * 1.2
        assert 0.5 * 0.8 <= w / h <= 2.0 * 1.25
    # impossible area: torchvision's fallback, the central crop with the ratio clamped
    assert transforms.RandomResizedCrop.get_params(40, 100, (5.0, 6.0), (1.0, 1.5), rng) == \
        (0, 20, 40, 60)
    img = rng.integers(0, 255, (30, 30, 3)).astype(np.uint8)
    out = transforms.RandomResizedCrop(12, scale=(1.0, 1.0), ratio=(1.0, 1.0))(img)
    np.testing.assert_array_equal(out, transforms.Resize((12, 12))(img))
    t = transforms.RandomResizedCrop((8, 10))(pe.rand(2, 3, 20, 24))
    assert tuple(t.shape) == (2, 3, 8, 10)
    with pytest.raises(NotImplementedError, match="RandomResizedCrop.*bilinear"):
        transforms.RandomResizedCrop(8, interpolation="nearest")


def test_set_grad_enabled_function_context_and_decorator():
    x = pe.ones(2, requires_grad=True)
    with pe.set_grad_enabled(False):
        assert not (x * 2).requires_grad
    assert pe.is_grad_enabled()
    for phase in ("train", "val"):
        with pe.set_grad_enabled(phase == "train"):
            assert (x * 2).requires_grad == (phase == "train")
    pe.set_grad_enabled(False)
    try:
        assert not pe.is_grad_enabled()
    finally:
        pe.set_grad_enabled(True)

    @pe.set_grad_enabled(False)
    def f():
        return (x * 2).requires_grad
    assert pe.is_grad_enabled() and f() is False and pe.is_grad_enabled()
    with pytest.raises(TypeError, match="set_grad_enabled"):
        pe.set_grad_enabled("no")


# ---- torch.func: functional_call, grad, vmap, stack_module_state -------------------------------
from pyengine.func import functional_call, grad, grad_and_value, stack_module_state, vmap  # noqa: E402


def test_functional_call_swaps_and_restores_parameters_and_buffers():
    pe.manual_seed(0)
    net = nn.Sequential(nn.Linear(3, 4), nn.BatchNorm1d(4), nn.Linear(4, 2)).eval()
    x = pe.randn(5, 3)
    before = net(x).detach().numpy()
    new = {k: pe.randn(*v.shape) for k, v in net.named_parameters()}
    bufs = {"1.running_mean": pe.full((4,), 0.5), "1.running_var": pe.full((4,), 4.0)}
    out = functional_call(net, (new, bufs), (x,)).detach().numpy()
    h = x.numpy() @ new["0.weight"].numpy().T + new["0.bias"].numpy()
    h = (h - 0.5) / np.sqrt(4.0 + 1e-5) * new["1.weight"].numpy() + new["1.bias"].numpy()
    ref = h @ new["2.weight"].numpy().T + new["2.bias"].numpy()
    np.testing.assert_allclose(out, ref, rtol=1e-5, atol=1e-5)
    np.testing.assert_array_equal(net(x).detach().numpy(), before)  # restored
    assert all(isinstance(p, nn.Parameter) for p in net.parameters())
    # only some keys: the others keep the module's own
    part = functional_call(net, {"2.bias": pe.zeros(2)}, x).detach().numpy()
    np.testing.assert_allclose(part, before - net[2].bias.detach().numpy(), rtol=1e-5, atol=1e-6)
    with pytest.raises(RuntimeError, match="strict=True: missing keys"):
        functional_call(net, {"2.bias": pe.zeros(2)}, (x,), strict=True)
    with pytest.raises(AttributeError, match="no submodule"):
        functional_call(net, {"7.bias": pe.zeros(2)}, (x,))
    # tied weights follow the one given
    tied = nn.Sequential(nn.Linear(2, 2, bias=False), nn.Linear(2, 2, bias=False))
    tied[1].weight = tied[0].weight
    w = pe.eye(2) * 3
    y = functional_call(tied, {"0.weight": w}, (pe.ones(1, 2),))
    np.testing.assert_allclose(y.detach().numpy(), [[9.0, 9.0]])
    # a parametrized module: the plain name replaces the parametrization for the call only
    sym = parametrize.register_parametrization(nn.Linear(2, 2, bias=False), "weight", _Sym())
    w = pe.tensor([[1.0, 2.0], [3.0, 4.0]])
    np.testing.assert_allclose(functional_call(sym, {"weight": w}, (pe.ones(1, 2),)).numpy(),
                               [[3.0, 7.0]])
    np.testing.assert_allclose(functional_call(sym, {"parametrizations.weight.original": w},
                                               (pe.ones(1, 2),)).numpy(), [[3.0, 6.0]])
    assert bool((sym.weight == sym.weight.T).all())  # the property is back


def test_grad_of_pytree_against_closed_form_and_nesting():
    rng = np.random.default_rng(0)
    X, Y = rng.standard_normal((8, 3)), rng.standard_normal(8)
    W, B = rng.standard_normal(3), 0.3

    def loss(params, x, y):
        return ((x @ params["w"] + params["b"] - y) ** 2).mean()

    params = {"w": pe.tensor(W), "b": pe.tensor(B, dtype=pe.float64)}
    g = grad(loss)(params, pe.tensor(X), pe.tensor(Y))
    r = X @ W + B - Y
    np.testing.assert_allclose(g["w"].numpy(), 2 * X.T @ r / 8, rtol=1e-12)
    np.testing.assert_allclose(g["b"].numpy(), 2 * r.mean(), rtol=1e-12)
    assert not g["w"].requires_grad and not params["w"].requires_grad
    (gw, gx), (val, aux) = grad_and_value(lambda p, x, y: (loss(p, x, y), "aux"),
                                          argnums=(0, 1), has_aux=True)(params, pe.tensor(X),
                                                                        pe.tensor(Y))
    assert aux == "aux" and abs(val.item() - (r ** 2).mean()) < 1e-12
    np.testing.assert_allclose(gx.numpy(), 2 * np.outer(r, W) / 8, rtol=1e-12)
    # grad of grad: d2/dx2 sum(x^3) = 6x
    x = pe.tensor([1.0, -2.0, 0.5], dtype=pe.float64)
    d2 = grad(lambda t: grad(lambda u: (u ** 3).sum())(t).sum())(x)
    np.testing.assert_allclose(d2.numpy(), 6 * x.numpy(), rtol=1e-12)
    from pyengine.func import hessian, jacrev
    W = np.arange(6.0).reshape(2, 3)
    J = jacrev(lambda w, t: (w @ t).sin(), argnums=1)(pe.tensor(W), x)
    np.testing.assert_allclose(J.numpy(), np.cos(W @ x.numpy())[:, None] * W, rtol=1e-12)
    np.testing.assert_allclose(hessian(lambda t: (t ** 3).sum())(x).numpy(),
                               np.diag(6 * x.numpy()), rtol=1e-12)
    with pytest.raises(RuntimeError, match="one-element"):
        grad(lambda t: t * 2)(x)
    with pytest.raises(TypeError, match="floating-point"):
        grad(lambda t: t.sum())(pe.tensor([1, 2]))


def test_vmap_in_out_dims_nesting_and_randomness():
    rng = np.random.default_rng(1)
    A, v = rng.standard_normal((4, 3, 5)), rng.standard_normal(5)
    out = vmap(lambda a, b: a @ b, in_dims=(0, None))(pe.tensor(A), pe.tensor(v))
    np.testing.assert_allclose(out.numpy(), A @ v, rtol=1e-12)
    out = vmap(lambda a: a.sum(0), in_dims=2, out_dims=1)(pe.tensor(A))
    np.testing.assert_allclose(out.numpy(), A.sum(0), rtol=1e-12)  # (3, 5): mapped axis last
    outer = vmap(vmap(lambda a, b: a * b, in_dims=(0, None)), in_dims=(0, 0))
    B = rng.standard_normal((4, 5))
    np.testing.assert_allclose(outer(pe.tensor(A), pe.tensor(B)).numpy(), A * B[:, None, :])
    d = vmap(lambda t: {"s": t.sum(), "m": (t.max(), t.min())})(pe.tensor(B))
    np.testing.assert_allclose(d["s"].numpy(), B.sum(1))
    np.testing.assert_allclose(d["m"][1].numpy(), B.min(1))
    with pytest.raises(ValueError, match="same size"):
        vmap(lambda a, b: a + b)(pe.zeros(3, 2), pe.zeros(4, 2))
    with pytest.raises(RuntimeError, match="randomness='error'"):
        vmap(lambda t: t + pe.randn(2))(pe.zeros(3, 2))
    assert pe.randn(1).shape == (1,)  # the guard is gone after the call
    pe.manual_seed(0)
    same = vmap(lambda t: t + pe.rand(2), randomness="same")(pe.zeros(3, 2)).numpy()
    assert np.all(same == same[0])
    diff = vmap(lambda t: t + pe.rand(2), randomness="different")(pe.zeros(3, 2)).numpy()
    assert not np.allclose(diff[0], diff[1])
    assert tuple(pe.randint(10, (6,)).shape) == (6,)  # torch's randint(high, size)
    assert pe.vmap is vmap


def test_per_sample_grads_and_ensemble_match_loops():
    pe.manual_seed(0)
    model = nn.Sequential(nn.Conv2d(1, 2, 3), nn.ReLU(), nn.Flatten(), nn.Linear(2 * 4 * 4, 3))
    x, y = pe.randn(5, 1, 6, 6), pe.tensor([0, 2, 1, 1, 0])
    params = {k: v.detach() for k, v in model.named_parameters()}

    def loss_one(p, xi, yi):
        return nn.functional.cross_entropy(functional_call(model, p, (xi[None],)), yi[None])

    psg = vmap(grad(loss_one), in_dims=(None, 0, 0))(params, x, y)
    for i in range(5):
        model.zero_grad()
        nn.functional.cross_entropy(model(x[i:i + 1]), y[i:i + 1]).backward()
        for k, p in model.named_parameters():
            np.testing.assert_allclose(psg[k][i].numpy(), p.grad.numpy(), rtol=1e-5, atol=1e-7)
    # an ensemble of 3 models: stacked state, vmap over models, same minibatch
    models = [nn.Linear(4, 2) for _ in range(3)]
    sp, sb = stack_module_state(models)
    assert sp["weight"].shape == (3, 2, 4) and sp["weight"].requires_grad and sb == {}
    xb = pe.randn(6, 4)
    ens = vmap(lambda p, b, t: functional_call(models[0], (p, b), (t,)), in_dims=(0, 0, None))
    np.testing.assert_allclose(ens(sp, sb, xb).detach().numpy(),
                               np.stack([m(xb).detach().numpy() for m in models]), rtol=1e-6)
    models[1].eval()
    with pytest.raises(RuntimeError, match="training / eval"):
        stack_module_state(models)
    torch = pytest.importorskip("torch")  # torch's own per-sample loop (torch.func imports slowly)
    tm = torch.nn.Sequential(torch.nn.Conv2d(1, 2, 3), torch.nn.ReLU(), torch.nn.Flatten(),
                             torch.nn.Linear(32, 3))
    tm.load_state_dict({k: torch.from_numpy(v.numpy()) for k, v in model.state_dict().items()})
    tx, ty = torch.from_numpy(x.numpy()), torch.from_numpy(y.numpy())
    for i in range(5):
        tg = torch.autograd.grad(torch.nn.functional.cross_entropy(tm(tx[i:i + 1]), ty[i:i + 1]),
                                 list(tm.parameters()))
        for (k, _), g in zip(tm.named_parameters(), tg):
            np.testing.assert_allclose(psg[k][i].numpy(), g.numpy(), rtol=1e-4, atol=1e-6)


def test_vjp_jvp_jacfwd_and_vector_hessian():
    from pyengine.func import hessian, jacfwd, jacrev, jvp, vjp
    rng = np.random.default_rng(3)
    W, b, x = rng.standard_normal((4, 3)), rng.standard_normal(4), rng.standard_normal(3)

    def predict(w, bb, t):
        return nn.functional.linear(t, w, bb).tanh()

    y = np.tanh(W @ x + b)
    J = (1 - y ** 2)[:, None] * W  # d tanh(Wx + b) / dx
    Wt, bt, xt = pe.tensor(W), pe.tensor(b), pe.tensor(x)
    out, fn = vjp(lambda t: predict(Wt, bt, t), xt)
    np.testing.assert_allclose(out.numpy(), y, rtol=1e-12)
    (rows,) = vmap(fn)(pe.eye(4, dtype=pe.float64))
    np.testing.assert_allclose(rows.numpy(), J, rtol=1e-10)
    v = rng.standard_normal(3)
    _, jv = jvp(lambda t: predict(Wt, bt, t), (xt,), (pe.tensor(v),))
    np.testing.assert_allclose(jv.numpy(), J @ v, rtol=1e-10)
    np.testing.assert_allclose(jacfwd(predict, argnums=2)(Wt, bt, xt).numpy(), J, rtol=1e-10)
    jw, jb = jacrev(predict, argnums=(0, 1))(Wt, bt, xt)
    np.testing.assert_allclose(jb.numpy(), np.diag(1 - y ** 2), rtol=1e-10)
    np.testing.assert_allclose(jw.numpy(), np.einsum("i,ij,k->ijk", 1 - y ** 2, np.eye(4), x),
                               rtol=1e-10)
    # d2 tanh(Wx + b)_i / dx dx = -2 y_i (1 - y_i^2) W_i W_i^T
    H = hessian(predict, argnums=2)(Wt, bt, xt).numpy()
    ref = np.einsum("i,ij,ik->ijk", -2 * y * (1 - y ** 2), W, W)
    np.testing.assert_allclose(H, ref, rtol=1e-9, atol=1e-12)
    np.testing.assert_allclose(jacrev(jacrev(predict, argnums=2), argnums=2)(Wt, bt, xt).numpy(),
                               ref, rtol=1e-9, atol=1e-12)
    with pytest.raises(ValueError, match="tangents"):
        jvp(lambda t: t, (xt,), (pe.zeros(2),))


def test_ntk_two_ways_with_convolutions():
    from pyengine.func import jacrev, jvp, vjp
    pe.manual_seed(0)
    net = nn.Sequential(nn.Conv2d(1, 2, 2), nn.ReLU(), nn.Flatten(), nn.Linear(2 * 2 * 2, 3))
    params = {k: v.detach() for k, v in net.named_parameters()}
    x1, x2 = pe.randn(2, 1, 3, 3), pe.randn(3, 1, 3, 3)

    def f(p, x):
        return functional_call(net, p, (x[None],))[0]

    def flat_jac(x):
        return pe.cat([j.flatten(2) for j in vmap(jacrev(f), (None, 0))(params, x).values()], 2)

    J1, J2 = flat_jac(x1), flat_jac(x2)  # (N, 3, P)
    ntk = np.einsum("naf,mbf->nmab", J1.numpy(), J2.numpy())

    def ntk_vp(a, b):
        out, fn = vjp(lambda p: f(p, a), params)
        return vmap(lambda e: jvp(lambda p: f(p, b), (params,), fn(e))[1])(pe.eye(3))

    by_vp = vmap(vmap(ntk_vp, (None, 0)), (0, None))(x1, x2).numpy()
    np.testing.assert_allclose(by_vp, ntk, rtol=1e-4, atol=1e-5)
    # J itself against per-output autograd.grad
    net.zero_grad()
    net(x1[:1])[0, 1].backward()
    np.testing.assert_allclose(J1[0, 1].numpy(),
                               np.concatenate([p.grad.numpy().ravel() for p in net.parameters()]),
                               rtol=1e-5, atol=1e-7)


def test_parametrizations_weight_norm_and_spectral_norm():
    from pyengine.nn.utils import parametrizations as P
    pe.manual_seed(0)
    conv = nn.Conv2d(3, 4, 2)
    w0 = conv.weight.detach().numpy().copy()
    P.weight_norm(conv)
    assert sorted(dict(conv.named_parameters())) == [
        "bias", "parametrizations.weight.original0", "parametrizations.weight.original1"]
    g = conv.parametrizations.weight.original0.detach().numpy()
    np.testing.assert_allclose(g.ravel(), np.sqrt((w0 ** 2).reshape(4, -1).sum(1)), rtol=1e-6)
    np.testing.assert_allclose(conv.weight.detach().numpy(), w0, rtol=1e-5, atol=1e-7)
    lin = P.spectral_norm(nn.Linear(6, 5))
    for _ in range(20):
        lin(pe.randn(2, 6))  # power iterations in training mode
    lin.eval()
    assert abs(np.linalg.svd(lin.weight.detach().numpy(), compute_uv=False)[0] - 1) < 1e-4
    for shape, omap in (((5, 5), None), ((6, 3), None), ((3, 6), "cayley")):
        lin = P.orthogonal(nn.Linear(shape[1], shape[0]), orthogonal_map=omap)
        opt = pe.optim.SGD(lin.parameters(), lr=0.5)
        for _ in range(3):
            opt.zero_grad()
            (lin(pe.randn(4, shape[1])) ** 2).sum().backward()
            opt.step()
        W = lin.weight.detach().numpy().astype(np.float64)
        G = W.T @ W if shape[0] >= shape[1] else W @ W.T
        np.testing.assert_allclose(G, np.eye(min(shape)), atol=1e-5)
    with pytest.raises(ValueError, match="orthogonal_map"):
        P.orthogonal(nn.Linear(2, 2), orthogonal_map="qr")
    rng = np.random.default_rng(0)
    A, tau = rng.standard_normal((5, 3)), rng.uniform(0, 2, 3)
    Q = np.eye(5)
    for i in range(3):
        v = np.where(np.arange(5) > i, A[:, i], 0.0) + (np.arange(5) == i)
        Q = Q @ (np.eye(5) - tau[i] * np.outer(v, v))
    np.testing.assert_allclose(pe.linalg.householder_product(pe.tensor(A), pe.tensor(tau)).numpy(),
                               Q[:, :3], rtol=1e-12)
    assert pe.testing.gradcheck(pe.linalg.householder_product,
                                [pe.tensor(A, requires_grad=True), pe.tensor(tau, requires_grad=True)])
    torch = pytest.importorskip("torch")
    tl = torch.nn.Linear(5, 4)
    pl = nn.Linear(5, 4)
    pl.load_state_dict({k: pe.tensor(v.detach().numpy()) for k, v in tl.state_dict().items()})
    torch.nn.utils.parametrizations.spectral_norm(tl)
    P.spectral_norm(pl)
    assert sorted(tl.state_dict()) == sorted(pl.state_dict())
    pl.load_state_dict({k: pe.tensor(v.detach().numpy()) for k, v in tl.state_dict().items()})
    x = np.random.default_rng(1).standard_normal((3, 5)).astype(np.float32)
    for _ in range(2):  # the same power iterations as torch's
        np.testing.assert_allclose(pl(pe.tensor(x)).detach().numpy(),
                                   tl(torch.from_numpy(x)).detach().numpy(), rtol=1e-5, atol=1e-6)
    for shape, omap, triv in (((4, 4), None, True), ((3, 5), None, True),
                              ((6, 3), "householder", False)):
        tl = torch.nn.Linear(shape[1], shape[0])
        pl = nn.Linear(shape[1], shape[0])
        pl.load_state_dict({k: pe.tensor(v.detach().numpy()) for k, v in tl.state_dict().items()})
        torch.nn.utils.parametrizations.orthogonal(tl, orthogonal_map=omap,
                                                   use_trivialization=triv)
        P.orthogonal(pl, orthogonal_map=omap, use_trivialization=triv)
        assert sorted(tl.state_dict()) == sorted(pl.state_dict())
        np.testing.assert_allclose(pl.weight.detach().numpy(), tl.weight.detach().numpy(),
                                   atol=2e-6)


# ---- custom autograd.Function: several outputs, double backward, torch.autograd.gradcheck -----
class _SinhParts(pe.autograd.Function):
    @staticmethod
    def forward(ctx, x):
        e, f = x.exp(), (-x).exp()
        ctx.save_for_backward(e, f)
        return (e - f) / 2, e, f

    @staticmethod
    def backward(ctx, g, ge, gf):
        e, f = ctx.saved_tensors
        return g * (e + f) / 2 + ge * e - gf * f


class _Cube(pe.autograd.Function):
    @staticmethod
    def forward(ctx, x):
        ctx.save_for_backward(x)
        return x ** 3

    @staticmethod
    def backward(ctx, g):
        (x,) = ctx.saved_tensors
        return g * 3 * x ** 2


def test_custom_function_several_outputs_and_double_backward():
    xs = np.array([[0.3, -1.2], [2.0, 0.5]])
    x = pe.tensor(xs, requires_grad=True)
    s, e, f = _SinhParts.apply(x)
    np.testing.assert_allclose(s.detach().numpy(), np.sinh(xs), rtol=1e-12)
    np.testing.assert_allclose(f.detach().numpy(), np.exp(-xs), rtol=1e-12)
    (s.sum() + 2 * e.sum()).backward()
    np.testing.assert_allclose(x.grad.numpy(), np.cosh(xs) + 2 * np.exp(xs), rtol=1e-12)
    # second derivatives through the user's backward (saved outputs stand for the graph's)
    (g,) = pe.autograd.grad(_SinhParts.apply(x)[0].sum(), x, create_graph=True)
    assert g.grad_fn is not None
    (h,) = pe.autograd.grad(g.sum(), x)
    np.testing.assert_allclose(h.numpy(), np.sinh(xs), rtol=1e-12)
    assert pe.autograd.gradgradcheck(lambda t: _SinhParts.apply(t)[0], x)
    c = pe.tensor(2.0, dtype=pe.float64, requires_grad=True)
    (gc,) = pe.autograd.grad(_Cube.apply(c), c, create_graph=True)
    assert gc.item() == 12.0 and pe.autograd.grad(gc, c)[0].item() == 12.0
    # torch.autograd.gradcheck's signature, a non-leaf input (x.clone()) included
    assert pe.autograd.gradcheck(_Cube.apply, (pe.tensor(1.5, dtype=pe.float64,
                                                         requires_grad=True).clone(),))
    assert pe.autograd.gradcheck(_Cube.apply, (c,), check_forward_ad=True)
    with pytest.raises(NotImplementedError, match="check_batched_grad"):
        pe.autograd.gradcheck(_Cube.apply, (c,), check_batched_grad=True)


def test_once_differentiable_and_autograd_function_module():
    from pyengine.autograd.function import Function, once_differentiable

    class Sq(Function):
        @staticmethod
        def forward(ctx, x):
            ctx.save_for_backward(x)
            return x * x

        @staticmethod
        @once_differentiable
        def backward(ctx, g):
            (x,) = ctx.saved_tensors
            return 2 * x * g

    x = pe.tensor([1.0, -3.0], dtype=pe.float64, requires_grad=True)
    assert pe.autograd.gradcheck(Sq.apply, (x,))
    v = pe.ones(2, dtype=pe.float64, requires_grad=True)
    (g,) = pe.autograd.grad(Sq.apply(x), x, grad_outputs=v, create_graph=True)
    np.testing.assert_allclose(g.detach().numpy(), [2.0, -6.0])
    with pytest.raises(RuntimeError, match="once_differentiable"):
        g.sum().backward()


def test_forward_ad_dual_tensors_over_reverse_mode():
    import pyengine.autograd.forward_ad as fwAD
    from pyengine.func import jvp, make_functional_with_buffers
    rng = np.random.default_rng(5)
    X, T = rng.standard_normal((3, 4)), rng.standard_normal((3, 4))
    x, t = pe.tensor(X), pe.tensor(T)
    with fwAD.dual_level():
        d = fwAD.make_dual(x, t)
        assert fwAD.unpack_dual(d).tangent is t
        out = (d.sin() * d).sum(1)
        tan = fwAD.unpack_dual(out).tangent
        assert fwAD.unpack_dual(pe.ones(2)).tangent is None
    np.testing.assert_allclose(tan.numpy(), ((np.cos(X) * X + np.sin(X)) * T).sum(1), rtol=1e-12)
    assert fwAD.unpack_dual(out).tangent is None  # the level is closed
    with pytest.raises(RuntimeError, match="no dual level"):
        fwAD.make_dual(x, t)
    # a module's parameters as duals (through functional_call), against the closed form
    lin = nn.Linear(4, 2)
    inp = pe.randn(5, 4)
    tw, tb = pe.rand(2, 4), pe.rand(2)
    with fwAD.dual_level():
        o = functional_call(lin, {"weight": fwAD.make_dual(lin.weight.detach(), tw),
                                  "bias": fwAD.make_dual(lin.bias.detach(), tb)}, (inp,))
        got = fwAD.unpack_dual(o).tangent
    ref = inp.numpy() @ tw.numpy().T + tb.numpy()
    np.testing.assert_allclose(got.numpy(), ref, rtol=1e-5, atol=1e-6)
    func, params, buffers = make_functional_with_buffers(lin)
    _, jv = jvp(lambda p: func(p, buffers, inp), (params,), ((tw, tb),))
    np.testing.assert_allclose(jv.numpy(), ref, rtol=1e-5, atol=1e-6)

    class Exp(pe.autograd.Function):  # forward-mode only: jvp, no backward
        @staticmethod
        def forward(ctx, a):
            ctx.result = a.exp()
            return ctx.result

        @staticmethod
        def jvp(ctx, ga):
            return ga * ctx.result

    p = pe.tensor(X, requires_grad=True)
    with fwAD.dual_level():
        tan = fwAD.unpack_dual(Exp.apply(fwAD.make_dual(p, t)) * 2).tangent
    np.testing.assert_allclose(tan.numpy(), 2 * np.exp(X) * T, rtol=1e-12)
    assert pe.autograd.gradcheck(Exp.apply, (pe.tensor(X[:1, :2], requires_grad=True),),
                                 check_forward_ad=True, check_backward_ad=False)
