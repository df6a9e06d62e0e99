"""Layers: forward against NumPy float64 references, gradcheck (float64, small sizes) on every
layer's input and parameters, output shapes and parameter counts, and PyTorch with the same
weights when it is installed."""
import numpy as np
import pytest

import pyengine as pe
from pyengine import nn
from pyengine.nn import functional as F
from pyengine.testing import gradcheck

try:
    import torch
except ImportError:  # optional cross-check
    torch = None

needs_torch = pytest.mark.skipif(torch is None, reason="PyTorch not installed")
HAS_CONV = all(hasattr(F, n) for n in ("conv2d", "conv1d", "max_pool2d", "avg_pool2d",
                                       "adaptive_avg_pool2d"))
needs_conv = pytest.mark.skipif(not HAS_CONV, reason="conv/pool ops (branch conv) not merged yet")


def rnd(*shape, seed=0, dtype=np.float64):
    return np.random.default_rng(seed).standard_normal(shape).astype(dtype)


def t64(a, grad=True):
    return pe.tensor(a, dtype=pe.float64, requires_grad=grad)


def check_module_grads(m, x):
    """gradcheck a module (cast to float64) w.r.t. its input and all its parameters."""
    m.double()
    params = list(m.parameters())
    assert gradcheck(lambda inp, *ps: m(inp), [x] + params)


def torch_twin(ours, theirs):
    """Copy our state_dict into the torch module (same keys, same layouts)."""
    theirs.load_state_dict({k: torch.from_numpy(np.array(v.data)) for k, v in
                            ours.state_dict().items()})
    return theirs.double()


def compare_with_torch(ours, theirs, x, atol=1e-9, out_index=None):
    """Same weights, same input (float64): outputs, input grads and parameter grads agree."""
    ours.double()
    torch_twin(ours, theirs)
    xp = t64(x, grad=np.issubdtype(x.dtype, np.floating))
    xt = torch.tensor(x, requires_grad=np.issubdtype(x.dtype, np.floating))
    yp, yt = ours(xp if xp.requires_grad else pe.tensor(x)), theirs(xt)
    if out_index is not None:
        yp, yt = yp[out_index], yt[out_index]
    np.testing.assert_allclose(yp.data, yt.detach().numpy(), atol=atol, rtol=1e-7)
    g = rnd(*yp.shape, seed=7)
    (yp * pe.tensor(g, dtype=pe.float64)).sum().backward()
    (yt * torch.tensor(g)).sum().backward()
    if xp.requires_grad:
        np.testing.assert_allclose(xp.grad.data, xt.grad.numpy(), atol=atol, rtol=1e-7)
    tparams = dict(theirs.named_parameters())
    for name, p in ours.named_parameters():
        np.testing.assert_allclose(p.grad.data, tparams[name].grad.numpy(), atol=atol, rtol=1e-7,
                                   err_msg=name)
    for name, b in ours.named_buffers():
        np.testing.assert_allclose(b.data, dict(theirs.named_buffers())[name].numpy(),
                                   atol=atol, err_msg=name)


# ---- Linear --------------------------------------------------------------------------------------
def test_linear_numpy_reference_shape_count():
    m = nn.Linear(5, 3)
    x = rnd(4, 2, 5, dtype=np.float32)
    y = m(pe.tensor(x))
    ref = x.astype(np.float64) @ m.weight._data.T.astype(np.float64) + m.bias.data
    assert y.shape == (4, 2, 3) and y.dtype == pe.float32
    np.testing.assert_allclose(y.data, ref, rtol=1e-5, atol=1e-5)
    assert sum(p.numel() for p in m.parameters()) == 5 * 3 + 3
    assert sum(p.numel() for p in nn.Linear(5, 3, bias=False).parameters()) == 15
    with pytest.raises(ValueError, match=r"\[linear\] input has 4 features"):
        m(pe.zeros(2, 4))
    with pytest.raises(ValueError, match="in_features"):
        nn.Linear(-1, 3)


def test_linear_gradcheck():
    check_module_grads(nn.Linear(4, 3), t64(rnd(2, 4)))
    check_module_grads(nn.Linear(4, 3, bias=False), t64(rnd(3, 4)))


@needs_torch
def test_linear_vs_torch():
    compare_with_torch(nn.Linear(6, 4), torch.nn.Linear(6, 4), rnd(3, 6))


# ---- activations, flatten, identity ----------------------------------------------------------------
ACTS = [
    (nn.ReLU(), lambda x: np.maximum(x, 0)),
    (nn.ReLU6(), lambda x: np.clip(x, 0, 6)),
    (nn.Hardtanh(-0.5, 0.5), lambda x: np.clip(x, -0.5, 0.5)),
    (nn.LeakyReLU(0.2), lambda x: np.where(x > 0, x, 0.2 * x)),
    (nn.ELU(0.7), lambda x: np.where(x > 0, x, 0.7 * (np.exp(x) - 1))),
    (nn.SiLU(), lambda x: x / (1 + np.exp(-x))),
    (nn.Sigmoid(), lambda x: 1 / (1 + np.exp(-x))),
    (nn.Tanh(), np.tanh),
    (nn.Softplus(), lambda x: np.log1p(np.exp(x))),
    (nn.Softmax(dim=1), lambda x: np.exp(x) / np.exp(x).sum(1, keepdims=True)),
    (nn.LogSoftmax(dim=-1), lambda x: x - np.log(np.exp(x).sum(-1, keepdims=True))),
]


@pytest.mark.parametrize("mod,ref", ACTS, ids=[type(m).__name__ for m, _ in ACTS])
def test_activation_modules(mod, ref):
    x = rnd(3, 5) * 3
    np.testing.assert_allclose(mod(t64(x, False)).data, ref(x), rtol=1e-6, atol=1e-7)
    x = x + np.sign(x) * 0.05  # keep finite differences off the kinks
    assert gradcheck(lambda a: mod(a), [t64(x)])


def test_gelu_module():
    from math import erf
    x = rnd(7)
    ref = np.array([v * 0.5 * (1 + erf(v / np.sqrt(2))) for v in x])
    np.testing.assert_allclose(nn.GELU()(t64(x, False)).data, ref, rtol=1e-6, atol=1e-7)


def test_flatten_unflatten_identity():
    x = pe.randn(2, 3, 4, 5)
    assert nn.Flatten()(x).shape == (2, 60)
    assert nn.Flatten(0, 2)(x).shape == (24, 5)
    assert nn.Unflatten(1, (3, 20))(nn.Flatten()(x)).shape == (2, 3, 20)
    assert nn.Identity(54, unused="x")(x) is x
    # "* 1" copies: gradcheck reads outputs after restoring inputs, and a view would follow
    assert gradcheck(lambda a: nn.Flatten()(a) * 1, [t64(rnd(2, 2, 3))])


# ---- Dropout ---------------------------------------------------------------------------------------
def test_dropout_statistics_scaling_and_eval():
    pe.manual_seed(0)
    d = nn.Dropout(0.3)
    y = d(pe.ones(200, 500)).data
    np.testing.assert_allclose(np.unique(y), [0.0, 1 / 0.7], rtol=1e-6)
    assert abs((y == 0).mean() - 0.3) < 0.01
    assert abs(y.mean() - 1.0) < 0.02  # inverted scaling keeps the expectation
    d.eval()
    x = pe.randn(4, 4)
    assert d(x) is x
    assert (nn.Dropout(1.0)(x).data == 0).all()
    with pytest.raises(ValueError, match="between 0 and 1"):
        nn.Dropout(1.5)


def test_dropout_reproducible_and_gradient_uses_mask():
    pe.manual_seed(3)
    a = nn.Dropout(0.5)(pe.ones(10))
    pe.manual_seed(3)
    x = pe.ones(10, requires_grad=True)
    b = nn.Dropout(0.5)(x)
    np.testing.assert_array_equal(a.data, b.data)
    b.sum().backward()
    np.testing.assert_array_equal(x.grad.data, b.data)

    def fn(v):
        pe.manual_seed(1)  # the same mask on every finite-difference evaluation
        return F.dropout(v, 0.4)
    assert gradcheck(fn, [t64(rnd(3, 4))])


def test_dropout2d_zeroes_whole_channels():
    pe.manual_seed(0)
    y = nn.Dropout2d(0.5)(pe.ones(8, 6, 3, 3)).numpy()
    per_channel = y.reshape(8, 6, 9)
    assert ((per_channel == 0).all(-1) | (per_channel == 2).all(-1)).all()
    y1 = nn.Dropout1d(0.5)(pe.ones(4, 5, 7)).numpy()
    assert ((y1 == 0).all(-1) | (y1 == 2).all(-1)).all()


# ---- BatchNorm -------------------------------------------------------------------------------------
def bn_ref(x, w, b, eps=1e-5):
    axes = (0,) + tuple(range(2, x.ndim))
    shape = [1] * x.ndim
    shape[1] = -1
    mean, var = x.mean(axes, keepdims=True), x.var(axes, keepdims=True)
    return (x - mean) / np.sqrt(var + eps) * w.reshape(shape) + b.reshape(shape)


@pytest.mark.parametrize("cls,shape", [(nn.BatchNorm1d, (6, 3)), (nn.BatchNorm1d, (4, 3, 5)),
                                       (nn.BatchNorm2d, (2, 3, 4, 5))])
def test_batchnorm_numpy_reference_and_running_stats(cls, shape):
    m = cls(3, momentum=0.2)
    m.weight.data[:] = [1.0, 2.0, -0.5]
    m.bias.data[:] = [0.0, 0.5, 1.0]
    x = rnd(*shape, dtype=np.float32) * 2 + 1
    y = m(pe.tensor(x))
    x64 = x.astype(np.float64)
    np.testing.assert_allclose(y.data, bn_ref(x64, m.weight.data, m.bias.data), rtol=1e-4,
                               atol=1e-5)
    axes = (0,) + tuple(range(2, x.ndim))
    n = x.size // 3
    np.testing.assert_allclose(m.running_mean.data, 0.2 * x64.mean(axes), rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(m.running_var.data, 0.8 + 0.2 * x64.var(axes) * n / (n - 1),
                               rtol=1e-5)
    assert int(m.num_batches_tracked.data) == 1
    m.eval()
    shp = [1, 3] + [1] * (x.ndim - 2)
    ref = ((x64 - m.running_mean._data.reshape(shp)) / np.sqrt(m.running_var._data.reshape(shp)
           + 1e-5) * m.weight._data.reshape(shp) + m.bias._data.reshape(shp))
    np.testing.assert_allclose(m(pe.tensor(x)).data, ref, rtol=1e-4, atol=1e-5)
    assert int(m.num_batches_tracked.data) == 1  # eval does not count


def test_batchnorm_gradcheck_train_and_eval():
    m = nn.BatchNorm2d(2)
    m.double()
    m.weight.data[:] = [1.5, -0.7]
    m.bias.data[:] = [0.1, 0.2]
    x = t64(rnd(3, 2, 2, 2))
    m.momentum = 0.0  # gradcheck runs forward many times; keep running stats fixed
    check_module_grads(m, x)
    m.eval()
    m.running_mean.data[:] = [0.3, -0.2]
    m.running_var.data[:] = [2.0, 0.5]
    check_module_grads(m, x)
    check_module_grads(nn.BatchNorm1d(3, affine=False).train(), t64(rnd(5, 3)))


def test_batchnorm_errors_and_options():
    with pytest.raises(ValueError, match=r"\[BatchNorm2d\] expected 4-D input"):
        nn.BatchNorm2d(3)(pe.zeros(2, 3))
    with pytest.raises(ValueError, match="more than 1 value per channel"):
        nn.BatchNorm1d(3)(pe.zeros(1, 3))
    m = nn.BatchNorm1d(3, track_running_stats=False)
    assert list(m.state_dict()) == ["weight", "bias"]
    m.eval()
    y = m(pe.randn(8, 3)).data  # no running stats: batch statistics even in eval
    np.testing.assert_allclose(y.mean(0), 0, atol=1e-5)
    cma = nn.BatchNorm1d(2, momentum=None)
    a, b = rnd(4, 2, dtype=np.float32), rnd(4, 2, seed=1, dtype=np.float32)
    cma(pe.tensor(a))
    cma(pe.tensor(b))
    np.testing.assert_allclose(cma.running_mean.data, (a.mean(0) + b.mean(0)) / 2, rtol=1e-5,
                               atol=1e-6)


@needs_torch
@pytest.mark.parametrize("shape", [(5, 3), (4, 3, 6)])
def test_batchnorm1d_vs_torch(shape):
    compare_with_torch(nn.BatchNorm1d(3), torch.nn.BatchNorm1d(3), rnd(*shape) * 2 + 1)
    ours, theirs = nn.BatchNorm1d(3), torch.nn.BatchNorm1d(3)
    compare_with_torch(ours, theirs, rnd(*shape))  # trains the running stats once
    ours.eval(), theirs.eval()
    compare_with_torch(ours, theirs, rnd(*shape, seed=2))


@needs_torch
def test_batchnorm2d_vs_torch():
    ours, theirs = nn.BatchNorm2d(4, momentum=0.3), torch.nn.BatchNorm2d(4, momentum=0.3)
    ours.weight.data[:] = rnd(4, dtype=np.float32)
    compare_with_torch(ours, theirs, rnd(2, 4, 3, 5))
    ours.eval(), theirs.eval()
    compare_with_torch(ours, theirs, rnd(2, 4, 3, 5, seed=1))


# ---- LayerNorm -------------------------------------------------------------------------------------
@pytest.mark.parametrize("normalized", [5, (4, 5)])
def test_layernorm_numpy_reference_and_gradcheck(normalized):
    m = nn.LayerNorm(normalized)
    shape = m.normalized_shape
    m.weight.data[...] = rnd(*shape, seed=3, dtype=np.float32)
    m.bias.data[...] = rnd(*shape, seed=4, dtype=np.float32)
    x = rnd(3, 4, 5, dtype=np.float32) * 3
    axes = tuple(range(3 - len(shape), 3))
    x64 = x.astype(np.float64)
    ref = ((x64 - x64.mean(axes, keepdims=True)) / np.sqrt(x64.var(axes, keepdims=True) + 1e-5)
           * m.weight.data + m.bias.data)
    np.testing.assert_allclose(m(pe.tensor(x)).data, ref, rtol=1e-4, atol=1e-5)
    assert sum(p.numel() for p in m.parameters()) == 2 * int(np.prod(shape))
    check_module_grads(m, t64(rnd(2, 4, 5)))
    check_module_grads(nn.LayerNorm(normalized, elementwise_affine=False), t64(rnd(2, 4, 5)))


def test_layernorm_shape_error():
    with pytest.raises(ValueError, match=r"\[layer_norm\] normalized_shape \(4,\)"):
        nn.LayerNorm(4)(pe.zeros(2, 5))


@needs_torch
def test_layernorm_vs_torch():
    ours, theirs = nn.LayerNorm((3, 4)), torch.nn.LayerNorm((3, 4))
    ours.weight.data[...] = rnd(3, 4, dtype=np.float32)
    compare_with_torch(ours, theirs, rnd(2, 3, 4) * 2)


# ---- Embedding -------------------------------------------------------------------------------------
def test_embedding_lookup_gradient_and_padding():
    m = nn.Embedding(6, 3, padding_idx=0)
    assert (m.weight.data[0] == 0).all()
    idx = pe.tensor([[0, 2, 2], [5, 1, 0]])
    y = m(idx)
    assert y.shape == (2, 3, 3)
    np.testing.assert_array_equal(y.data, m.weight.data[idx.data])
    y.sum().backward()
    counts = np.bincount(idx._data.ravel(), minlength=6).astype(np.float32)
    counts[0] = 0  # the padding row gets no gradient
    np.testing.assert_array_equal(m.weight.grad.data, np.repeat(counts[:, None], 3, 1))
    np.testing.assert_array_equal(m(np.array([1, 5])).data, m([1, 5]).data)  # arrays, lists
    m2 = nn.Embedding(5, 2).double()
    assert gradcheck(lambda w: F.embedding(pe.tensor([1, 3, 1]), w), [m2.weight])
    with pytest.raises(IndexError, match=r"\[embedding\] index out of range"):
        m(pe.tensor([6]))
    with pytest.raises(TypeError, match="must be integers"):
        m(pe.tensor([1.0]))


def test_embedding_from_pretrained():
    w = pe.randn(4, 2)
    m = nn.Embedding.from_pretrained(w)
    assert not m.weight.requires_grad
    np.testing.assert_array_equal(m(pe.tensor([3])).data, w.data[[3]])


@needs_torch
def test_embedding_vs_torch():
    compare_with_torch(nn.Embedding(7, 4, padding_idx=2), torch.nn.Embedding(7, 4, padding_idx=2),
                       np.array([[1, 2, 6], [2, 0, 1]]))


# ---- containers ------------------------------------------------------------------------------------
def test_sequential_indexing_append_insert_delete():
    seq = nn.Sequential(nn.Linear(2, 3), nn.ReLU())
    seq.append(nn.Linear(3, 1))
    assert len(seq) == 3 and isinstance(seq[-1], nn.Linear)
    assert isinstance(seq[:2], nn.Sequential) and len(seq[:2]) == 2
    assert seq(pe.randn(4, 2)).shape == (4, 1)
    seq.insert(1, nn.Tanh())
    assert [type(m).__name__ for m in seq] == ["Linear", "Tanh", "ReLU", "Linear"]
    del seq[1]
    assert [n for n, _ in seq.named_children()] == ["0", "1", "2"]
    seq[1] = nn.Sigmoid()
    assert isinstance(seq[1], nn.Sigmoid)
    with pytest.raises(IndexError):
        seq[5]
    ml = nn.ModuleList([nn.Linear(1, 1) for _ in range(3)])
    assert len(list(ml.parameters())) == 6 and len(ml[1:]) == 2
    md = nn.ModuleDict({"a": nn.Linear(1, 2), "b": nn.ReLU()})
    assert list(md.keys()) == ["a", "b"] and "a" in md
    assert [n for n, _ in md.named_parameters()] == ["a.weight", "a.bias"]


# ---- conv / pooling modules (ops come from branch conv) ----------------------------------------------
def test_conv_module_parameters_without_ops():
    c = nn.Conv2d(3, 8, 3, stride=2, padding=1)
    assert c.weight.shape == (8, 3, 3, 3) and c.bias.shape == (8,)
    assert sum(p.numel() for p in c.parameters()) == 8 * 27 + 8
    bound = 1 / np.sqrt(27)
    assert np.abs(c.weight.data).max() <= bound and np.abs(c.bias.data).max() <= bound
    assert nn.Conv1d(4, 6, 5, groups=2).weight.shape == (6, 2, 5)
    assert repr(c) == "Conv2d(3, 8, kernel_size=(3, 3), stride=(2, 2), padding=(1, 1))"
    with pytest.raises(ValueError, match="divisible by groups"):
        nn.Conv2d(3, 8, 3, groups=2)


@needs_conv
def test_conv_pool_module_shapes():
    x = pe.randn(2, 3, 8, 8)
    assert nn.Conv2d(3, 4, 3, padding=1)(x).shape == (2, 4, 8, 8)
    assert nn.Conv2d(3, 4, 3, stride=2)(x).shape == (2, 4, 3, 3)
    assert nn.MaxPool2d(2)(x).shape == (2, 3, 4, 4)
    assert nn.AvgPool2d(3, stride=1, padding=1)(x).shape == (2, 3, 8, 8)
    assert nn.AdaptiveAvgPool2d((1, 1))(x).shape == (2, 3, 1, 1)
    assert nn.Conv1d(3, 5, 3)(pe.randn(2, 3, 10)).shape == (2, 5, 8)


@needs_conv
def test_conv_modules_gradcheck():
    check_module_grads(nn.Conv2d(2, 3, 3, padding=1), t64(rnd(1, 2, 4, 4)))
    check_module_grads(nn.Conv1d(2, 3, 3, stride=2), t64(rnd(2, 2, 7)))
    check_module_grads(nn.AvgPool2d(2), t64(rnd(1, 2, 4, 4)))
    check_module_grads(nn.AdaptiveAvgPool2d(2), t64(rnd(1, 2, 5, 5)))
    check_module_grads(nn.MaxPool2d(2), t64(rnd(1, 2, 4, 4)))


@needs_conv
@needs_torch
@pytest.mark.parametrize("ours,theirs,shape", [
    (lambda: nn.Conv2d(3, 4, 3, padding=1), lambda: torch.nn.Conv2d(3, 4, 3, padding=1),
     (2, 3, 6, 6)),
    (lambda: nn.Conv2d(4, 6, (3, 2), stride=(2, 1), groups=2),
     lambda: torch.nn.Conv2d(4, 6, (3, 2), stride=(2, 1), groups=2), (2, 4, 7, 5)),
    (lambda: nn.Conv1d(3, 4, 3, padding=2, dilation=2),
     lambda: torch.nn.Conv1d(3, 4, 3, padding=2, dilation=2), (2, 3, 9)),
    (lambda: nn.MaxPool2d(3, 2, 1), lambda: torch.nn.MaxPool2d(3, 2, 1), (2, 3, 7, 7)),
    (lambda: nn.AvgPool2d(2), lambda: torch.nn.AvgPool2d(2), (2, 3, 6, 6)),
    (lambda: nn.AdaptiveAvgPool2d((2, 3)), lambda: torch.nn.AdaptiveAvgPool2d((2, 3)),
     (2, 3, 7, 8)),
])
def test_conv_pool_vs_torch(ours, theirs, shape):
    compare_with_torch(ours(), theirs(), rnd(*shape))


# ---- one table: output shape, parameter count, one training step -------------------------------
LAYERS = [
    # (factory, input shape or int-index array, output shape, parameter count)
    (lambda: nn.Linear(5, 3), (4, 5), (4, 3), 18),
    (lambda: nn.BatchNorm1d(5), (4, 5), (4, 5), 10),
    (lambda: nn.BatchNorm2d(3), (2, 3, 4, 4), (2, 3, 4, 4), 6),
    (lambda: nn.LayerNorm([3, 4]), (2, 3, 4), (2, 3, 4), 24),
    (lambda: nn.Embedding(10, 4), np.array([[1, 2, 3], [4, 5, 9]]), (2, 3, 4), 40),
    (lambda: nn.Sequential(nn.Flatten(), nn.Linear(12, 2), nn.Tanh()), (2, 3, 4), (2, 2), 26),
    (lambda: nn.Sequential(nn.Dropout(0.2), nn.Linear(3, 3), nn.GELU()), (5, 3), (5, 3), 12),
    (lambda: nn.Conv2d(3, 4, 3, padding=1), (2, 3, 5, 5), (2, 4, 5, 5), 112),
    (lambda: nn.Conv1d(3, 4, 3), (2, 3, 6), (2, 4, 4), 40),
]


@pytest.mark.parametrize("factory,inp,out_shape,count", LAYERS,
                         ids=[str(i) for i in range(len(LAYERS))])
def test_layer_shape_count_and_one_training_step(factory, inp, out_shape, count):
    pe.manual_seed(0)
    m = factory()
    assert sum(p.numel() for p in m.parameters()) == count
    if any(isinstance(s, (nn.Conv1d, nn.Conv2d)) for s in m.modules()) and not HAS_CONV:
        pytest.skip("conv/pool ops (branch conv) not merged yet")
    x = pe.tensor(inp) if isinstance(inp, np.ndarray) else pe.randn(*inp)
    pe.manual_seed(1)  # the same dropout mask before and after the step
    y = m(x)
    assert y.shape == out_shape
    target = pe.randn(*out_shape)
    loss = ((y - target) ** 2).mean()
    m.zero_grad()
    loss.backward()
    with pe.no_grad():
        for p in m.parameters():
            assert p.grad is not None and p.grad.shape == p.shape
            p.data -= 0.1 * p.grad.data
    pe.manual_seed(1)
    assert ((m(x) - target) ** 2).mean().item() < loss.item()


@needs_torch
def test_norm_layers_without_bias_vs_torch():
    compare_with_torch(nn.LayerNorm(4, bias=False), torch.nn.LayerNorm(4, bias=False), rnd(3, 4))
    ours, theirs = nn.BatchNorm1d(3, bias=False), torch.nn.BatchNorm1d(3, bias=False)
    assert repr(ours) == repr(theirs)
    compare_with_torch(ours, theirs, rnd(5, 3))
