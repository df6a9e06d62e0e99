"""The nn.functional functions and nn modules added in nn/functional_more.py,
functional_loss_more.py, loss_more.py and layers/{activation_more,distance,pooling1d,groupnorm,
parameter_containers}.py: forward against NumPy float64 formulas, forward and input gradients
against torch when it is importable, every reduction, size-1 and broadcast shapes, the modules
against their functional forms, and the errors for bad arguments."""
import math

import numpy as np
import pytest

import pyengine as pe
from pyengine import nn
from pyengine.nn import functional as F
from pyengine.testing import gradcheck

TOL = dict(rtol=1e-9, atol=1e-11)


def rnd(*shape, seed=0, scale=1.0):
    return np.random.default_rng(seed).standard_normal(shape) * scale


def t64(a, grad=True):
    return pe.tensor(np.asarray(a, np.float64), dtype=pe.float64, requires_grad=grad)


def against_torch(pe_fn, torch_fn, arrays, grad=None, tol=TOL):
    """Runs pe_fn on float64 pe tensors and torch_fn on torch tensors of the same arrays;
    compares the outputs and the gradients of sum(out * v) for the inputs marked in `grad`
    (default: every input)."""
    torch = pytest.importorskip("torch")
    grad = [True] * len(arrays) if grad is None else grad
    pts = [t64(a, g) for a, g in zip(arrays, grad)]
    tts = [torch.tensor(np.asarray(a, np.float64), requires_grad=g) for a, g in zip(arrays, grad)]
    out, ref = pe_fn(*pts), torch_fn(*tts)
    np.testing.assert_allclose(out.detach().numpy(), ref.detach().numpy(), **tol)
    assert tuple(out.shape) == tuple(ref.shape)
    if any(grad):
        v = np.random.default_rng(7).standard_normal(ref.shape)
        (out * t64(v, False)).sum().backward()
        (ref * torch.tensor(v)).sum().backward()
        for i, (p, t) in enumerate(zip(pts, tts)):
            if grad[i]:
                np.testing.assert_allclose(p.grad.numpy(), t.grad.numpy(), err_msg=f"input {i}",
                                           **tol)
    return out


# ---- activations ---------------------------------------------------------------------------
def _np_sig(x):
    return 1 / (1 + np.exp(-x))


def _np_softplus(x):
    return np.logaddexp(0, x)


SELU_A, SELU_S = 1.6732632423543772848170429916717, 1.0507009873554804934193349852946
ACTS = {  # name: (pe call, torch call name and args, NumPy float64 reference)
    "silu": (lambda x: F.silu(x), ("silu",), lambda x: x * _np_sig(x)),
    "relu6": (lambda x: F.relu6(x), ("relu6",), lambda x: np.clip(x, 0, 6)),
    "hardtanh": (lambda x: F.hardtanh(x, -0.5, 2.0), ("hardtanh", -0.5, 2.0),
                 lambda x: np.clip(x, -0.5, 2.0)),
    "logsigmoid": (F.logsigmoid, ("logsigmoid",), lambda x: -_np_softplus(-x)),
    "selu": (lambda x: F.selu(x), ("selu",),
             lambda x: SELU_S * np.where(x > 0, x, SELU_A * np.expm1(x))),
    "celu": (lambda x: F.celu(x, 0.7), ("celu", 0.7),
             lambda x: np.maximum(x, 0) + np.minimum(0, 0.7 * np.expm1(x / 0.7))),
    "mish": (lambda x: F.mish(x), ("mish",), lambda x: x * np.tanh(_np_softplus(x))),
    "softsign": (F.softsign, ("softsign",), lambda x: x / (1 + np.abs(x))),
    "hardsigmoid": (lambda x: F.hardsigmoid(x), ("hardsigmoid",),
                    lambda x: np.clip(x / 6 + 0.5, 0, 1)),
    "hardswish": (lambda x: F.hardswish(x), ("hardswish",),
                  lambda x: x * np.clip(x / 6 + 0.5, 0, 1)),
    "tanhshrink": (F.tanhshrink, ("tanhshrink",), lambda x: x - np.tanh(x)),
    "threshold": (lambda x: F.threshold(x, 0.3, -2.0), ("threshold", 0.3, -2.0),
                  lambda x: np.where(x > 0.3, x, -2.0)),
    "hardshrink": (lambda x: F.hardshrink(x, 0.4), ("hardshrink", 0.4),
                   lambda x: np.where(np.abs(x) > 0.4, x, 0.0)),
    "softshrink": (lambda x: F.softshrink(x, 0.4), ("softshrink", 0.4),
                   lambda x: np.sign(x) * np.maximum(np.abs(x) - 0.4, 0)),
}


def _act_input(shape):
    # scaled past every kink (+-3, 6) and then nudged off them, so gradients are unambiguous
    x = rnd(*shape, seed=3, scale=4.0)
    return np.where(np.abs(np.abs(x) - np.round(np.abs(x))) < 1e-3, x + 0.01, x)


@pytest.mark.parametrize("name", sorted(ACTS))
@pytest.mark.parametrize("shape", [(), (1,), (3, 7), (2, 1, 5)])
def test_activation_matches_numpy(name, shape):
    fn, _, ref = ACTS[name]
    x = _act_input(shape)
    out = fn(t64(x, False))
    assert out.shape == shape
    np.testing.assert_allclose(out.detach().numpy(), ref(x), **TOL)


@pytest.mark.parametrize("name", sorted(ACTS))
def test_activation_matches_torch_forward_and_grad(name):
    torch = pytest.importorskip("torch")
    fn, (tname, *args), _ = ACTS[name]
    # torch's float64 celu / hardsigmoid backward use float32 constants (1/alpha, 1/6):
    # agreement to ~3e-8 there; pyengine's own gradient is exact (gradcheck below)
    loose = dict(rtol=1e-7, atol=1e-10) if name in ("celu", "hardsigmoid") else TOL
    against_torch(fn, lambda x: getattr(torch.nn.functional, tname)(x, *args),
                  [_act_input((4, 6))], tol=loose)


@pytest.mark.parametrize("name", sorted(ACTS))
def test_activation_gradcheck(name):
    assert gradcheck(ACTS[name][0], [t64(_act_input((3, 4)))])


def test_logsigmoid_is_exact_for_large_inputs():
    x = np.array([-800.0, -40.0, -25.0, 0.0, 25.0, 40.0])
    np.testing.assert_allclose(F.logsigmoid(t64(x, False)).detach().numpy(), -np.logaddexp(0, -x),
                               rtol=1e-12, atol=0)


@pytest.mark.parametrize("name", ["silu", "relu6", "hardtanh", "selu", "celu", "mish",
                                  "hardsigmoid", "hardswish", "threshold"])
def test_inplace_writes_into_a_plain_tensor(name):
    x = pe.tensor([-3.5, -0.2, 0.4, 7.0])
    expected = ACTS[name][2](x.detach().numpy().astype(np.float64))
    args = {"hardtanh": (-0.5, 2.0), "celu": (0.7,), "threshold": (0.3, -2.0)}.get(name, ())
    out = getattr(F, name)(x, *args, inplace=True)
    assert out is x
    np.testing.assert_allclose(x.detach().numpy(), expected, rtol=1e-6)


def test_inplace_on_a_tensor_needing_grad_leaves_it_alone():
    x = pe.tensor([-1.0, 2.0], requires_grad=True)
    out = F.silu(x, inplace=True)
    assert out is not x
    np.testing.assert_array_equal(x.detach().numpy(), [-1.0, 2.0])


@pytest.mark.parametrize("shape,dim", [((4, 6), -1), ((4, 6), 0), ((2, 6, 3), 1), ((2,), 0)])
def test_glu(shape, dim):
    torch = pytest.importorskip("torch")
    x = rnd(*shape, seed=1)
    a, b = np.split(x, 2, axis=dim)
    np.testing.assert_allclose(F.glu(t64(x, False), dim).detach().numpy(), a * _np_sig(b), **TOL)
    against_torch(lambda t: F.glu(t, dim), lambda t: torch.nn.functional.glu(t, dim), [x])


def test_glu_odd_dimension_raises():
    with pytest.raises(ValueError, match=r"\[glu\] the halved dimension -1 must be even, got "
                                         r"size 5"):
        F.glu(pe.randn(2, 5))


@pytest.mark.parametrize("shape,dim", [((3, 5), 1), ((3, 5), 0), ((5,), None), ((2, 3, 4), None),
                                       ((2, 3, 4, 2), None), ((1, 1), -1)])
def test_softmin(shape, dim):
    torch = pytest.importorskip("torch")
    x = rnd(*shape, seed=2)
    d = dim if dim is not None else (0 if len(shape) in (0, 1, 3) else 1)
    e = np.exp(-x - (-x).max(axis=d, keepdims=True))
    np.testing.assert_allclose(F.softmin(t64(x, False), dim).detach().numpy(),
                               e / e.sum(axis=d, keepdims=True), **TOL)
    against_torch(lambda t: F.softmin(t, d), lambda t: torch.nn.functional.softmin(t, d), [x])


ACT_MODULES = [  # (module, its functional form)
    (nn.SiLU(), F.silu), (nn.ReLU6(), F.relu6), (nn.Hardtanh(-0.5, 2.0),
                                                 lambda x: F.hardtanh(x, -0.5, 2.0)),
    (nn.SELU(), F.selu), (nn.CELU(0.7), lambda x: F.celu(x, 0.7)), (nn.Mish(), F.mish),
    (nn.LogSigmoid(), F.logsigmoid), (nn.Softsign(), F.softsign),
    (nn.Hardsigmoid(), F.hardsigmoid), (nn.Hardswish(), F.hardswish),
    (nn.Tanhshrink(), F.tanhshrink), (nn.Threshold(0.3, -2.0), lambda x: F.threshold(x, 0.3, -2.0)),
    (nn.Hardshrink(0.4), lambda x: F.hardshrink(x, 0.4)),
    (nn.Softshrink(0.4), lambda x: F.softshrink(x, 0.4)), (nn.GLU(1), lambda x: F.glu(x, 1)),
    (nn.Softmin(1), lambda x: F.softmin(x, 1)), (nn.Softmin(), lambda x: F.softmin(x)),
]


@pytest.mark.parametrize("i", range(len(ACT_MODULES)))
def test_activation_module_matches_functional(i):
    mod, fn = ACT_MODULES[i]
    x = t64(_act_input((3, 4)), False)
    np.testing.assert_array_equal(mod(x).detach().numpy(), fn(x).detach().numpy())
    assert list(mod.state_dict()) == []


def test_softmax2d():
    torch = pytest.importorskip("torch")
    for shape in [(2, 3, 4, 5), (3, 4, 5), (1, 1, 1, 1)]:
        x = rnd(*shape, seed=4)
        against_torch(nn.Softmax2d(), torch.nn.Softmax2d(), [x])
    with pytest.raises(ValueError, match=r"\[Softmax2d\] expected a 3-D or 4-D input"):
        nn.Softmax2d()(pe.randn(2, 3))


def test_activation_bad_arguments():
    with pytest.raises(ValueError, match=r"\[celu\] alpha must not be 0"):
        F.celu(pe.randn(3), 0.0)
    with pytest.raises(ValueError, match=r"\[hardtanh\] max_val must be >= min_val"):
        F.hardtanh(pe.randn(3), 1.0, -1.0)
    with pytest.raises(ValueError, match=r"\[softshrink\] lambd must be >= 0"):
        F.softshrink(pe.randn(3), -1.0)


# ---- normalize, cosine similarity, pairwise distance ---------------------------------------
def _np_norm(x, p, axis, keepdims):
    a = np.abs(x)
    if p == math.inf:
        return a.max(axis=axis, keepdims=keepdims)
    return (a ** p).sum(axis=axis, keepdims=keepdims) ** (1 / p)


@pytest.mark.parametrize("p", [1, 2, 3.0, math.inf])
@pytest.mark.parametrize("shape,dim", [((4, 5), 1), ((4, 5), 0), ((2, 3, 4), -1), ((1, 1), 1),
                                       ((5,), 0)])
def test_normalize(p, shape, dim):
    torch = pytest.importorskip("torch")
    x = rnd(*shape, seed=5)
    ref = x / np.maximum(_np_norm(x, p, dim, True), 1e-12)
    np.testing.assert_allclose(F.normalize(t64(x, False), p, dim).detach().numpy(), ref, **TOL)
    against_torch(lambda t: F.normalize(t, p, dim),
                  lambda t: torch.nn.functional.normalize(t, p, dim), [x])


def test_normalize_zero_row_has_zero_output_and_finite_gradient():
    torch = pytest.importorskip("torch")
    x = np.array([[0.0, 0.0, 0.0], [1.0, -2.0, 2.0]])
    out = against_torch(lambda t: F.normalize(t), lambda t: torch.nn.functional.normalize(t),
                        [x], tol=dict(rtol=1e-9, atol=1e-6))
    np.testing.assert_array_equal(out.detach().numpy()[0], 0.0)


@pytest.mark.parametrize("s1,s2,dim", [((4, 6), (4, 6), 1), ((4, 6), (1, 6), 1), ((6,), (6,), 0),
                                       ((2, 3, 5), (3, 5), -1), ((3, 1), (3, 1), 1)])
def test_cosine_similarity(s1, s2, dim):
    torch = pytest.importorskip("torch")
    a, b = rnd(*s1, seed=6), rnd(*s2, seed=7)
    na = np.maximum(np.sqrt((a * a).sum(dim, keepdims=True)), 1e-8)
    nb = np.maximum(np.sqrt((b * b).sum(dim, keepdims=True)), 1e-8)
    ref = ((a / na) * (b / nb)).sum(dim)
    np.testing.assert_allclose(F.cosine_similarity(t64(a, False), t64(b, False), dim).numpy(),
                               ref, **TOL)
    against_torch(lambda x, y: F.cosine_similarity(x, y, dim),
                  lambda x, y: torch.nn.functional.cosine_similarity(x, y, dim), [a, b])
    mod = nn.CosineSimilarity(dim)
    np.testing.assert_array_equal(mod(t64(a), t64(b)).detach().numpy(),
                                  F.cosine_similarity(t64(a), t64(b), dim).detach().numpy())


@pytest.mark.parametrize("p", [1, 2, 3.0, math.inf])
@pytest.mark.parametrize("s1,s2,keepdim", [((4, 6), (4, 6), False), ((4, 6), (6,), True),
                                           ((5,), (5,), False), ((3, 1), (3, 1), True)])
def test_pairwise_distance(p, s1, s2, keepdim):
    torch = pytest.importorskip("torch")
    a, b = rnd(*s1, seed=8), rnd(*s2, seed=9)
    ref = _np_norm(a - b + 1e-6, p, -1, keepdim)
    out = F.pairwise_distance(t64(a, False), t64(b, False), p, 1e-6, keepdim)
    np.testing.assert_allclose(out.detach().numpy(), ref, **TOL)
    against_torch(lambda x, y: F.pairwise_distance(x, y, p, 1e-6, keepdim),
                  lambda x, y: torch.nn.functional.pairwise_distance(x, y, p, 1e-6, keepdim),
                  [a, b])
    mod = nn.PairwiseDistance(p, keepdim=keepdim)
    np.testing.assert_array_equal(mod(t64(a), t64(b)).detach().numpy(),
                                  out.detach().numpy())


def test_distance_bad_shapes_raise():
    with pytest.raises(ValueError, match=r"\[cosine_similarity\] x1 \(3, 4\) and x2 \(3, 5\) do "
                                         r"not broadcast"):
        F.cosine_similarity(pe.randn(3, 4), pe.randn(3, 5))
    with pytest.raises(ValueError, match=r"\[pairwise_distance\] x1 \(3, 4\) and x2 \(2, 4\)"):
        F.pairwise_distance(pe.randn(3, 4), pe.randn(2, 4))
    with pytest.raises(NotImplementedError, match=r"\[normalize\] out="):
        F.normalize(pe.randn(3), out=pe.randn(3))


# ---- gumbel softmax -------------------------------------------------------------------------
def test_gumbel_softmax_soft_and_hard():
    logits = t64(rnd(5, 4, seed=10))
    pe.manual_seed(0)
    y = F.gumbel_softmax(logits, tau=0.5)
    pe.manual_seed(0)
    y_again = F.gumbel_softmax(logits, tau=0.5)
    # pe.manual_seed governs the noise
    np.testing.assert_array_equal(y.detach().numpy(), y_again.detach().numpy())
    np.testing.assert_allclose(y.detach().numpy().sum(-1), 1.0, rtol=1e-12)
    assert (y.detach().numpy() > 0).all()
    pe.manual_seed(0)
    h = F.gumbel_softmax(logits, tau=0.5, hard=True)
    hv = h.detach().numpy()
    assert set(np.unique(hv).tolist()) <= {0.0, 1.0} and (hv.sum(-1) == 1).all()
    np.testing.assert_array_equal(hv.argmax(-1), y.detach().numpy().argmax(-1))
    # straight-through: the hard sample's gradient is the soft sample's
    v = t64(rnd(5, 4, seed=11), False)
    (h * v).sum().backward()
    g_hard = logits.grad.detach().numpy().copy()
    logits.grad = None
    (y * v).sum().backward()
    np.testing.assert_allclose(g_hard, logits.grad.detach().numpy(), **TOL)


def test_gumbel_softmax_dim_and_errors():
    pe.manual_seed(1)
    y = F.gumbel_softmax(pe.randn(3, 4, 2), hard=True, dim=1)
    np.testing.assert_array_equal(y.detach().numpy().sum(1), 1.0)
    with pytest.raises(ValueError, match=r"\[gumbel_softmax\] tau must be positive"):
        F.gumbel_softmax(pe.randn(3), tau=0.0)


# ---- 1-D pooling ----------------------------------------------------------------------------
POOL_CASES = [  # (input shape, kwargs)
    ((2, 3, 10), dict(kernel_size=3)),
    ((2, 3, 10), dict(kernel_size=3, stride=2, padding=1)),
    ((2, 3, 11), dict(kernel_size=4, stride=3, ceil_mode=True)),
    ((3, 9), dict(kernel_size=2, stride=1)),
    ((1, 1, 5), dict(kernel_size=5)),
    ((2, 2, 7), dict(kernel_size=(3,), stride=(2,), padding=(1,))),
]


def _np_max_pool1d(x, k, s, p):
    xp = np.pad(x, [(0, 0)] * (x.ndim - 1) + [(p, p)], constant_values=-np.inf)
    n = (x.shape[-1] + 2 * p - k) // s + 1
    return np.stack([xp[..., i * s:i * s + k].max(-1) for i in range(n)], -1)


def _np_avg_pool1d(x, k, s, p):
    xp = np.pad(x, [(0, 0)] * (x.ndim - 1) + [(p, p)])
    n = (x.shape[-1] + 2 * p - k) // s + 1
    return np.stack([xp[..., i * s:i * s + k].mean(-1) for i in range(n)], -1)


@pytest.mark.parametrize("kind", ["max", "avg"])
def test_pool1d_matches_numpy(kind):
    x = rnd(2, 3, 10, seed=12)
    ref = (_np_max_pool1d if kind == "max" else _np_avg_pool1d)(x, 3, 2, 1)
    out = getattr(F, f"{kind}_pool1d")(t64(x, False), 3, 2, 1)
    np.testing.assert_allclose(out.detach().numpy(), ref, **TOL)


@pytest.mark.parametrize("i", range(len(POOL_CASES)))
@pytest.mark.parametrize("kind", ["max", "avg"])
def test_pool1d_matches_torch(kind, i):
    torch = pytest.importorskip("torch")
    shape, kw = POOL_CASES[i]
    x = rnd(*shape, seed=13 + i)
    name = f"{kind}_pool1d"
    against_torch(lambda t: getattr(F, name)(t, **kw),
                  lambda t: getattr(torch.nn.functional, name)(t, **kw), [x])
    mod = (nn.MaxPool1d if kind == "max" else nn.AvgPool1d)(**kw)
    np.testing.assert_array_equal(mod(t64(x, False)).detach().numpy(),
                                  getattr(F, name)(t64(x, False), **kw).detach().numpy())


def test_pool1d_options_match_torch():
    torch = pytest.importorskip("torch")
    x = rnd(2, 3, 12, seed=20)
    against_torch(lambda t: F.max_pool1d(t, 3, 2, 1, dilation=2),
                  lambda t: torch.nn.functional.max_pool1d(t, 3, 2, 1, dilation=2), [x])
    against_torch(lambda t: F.avg_pool1d(t, 4, 3, 2, count_include_pad=False, ceil_mode=True),
                  lambda t: torch.nn.functional.avg_pool1d(t, 4, 3, 2, count_include_pad=False,
                                                           ceil_mode=True), [x])
    out, idx = F.max_pool1d(t64(x, False), 3, 2, 1, return_indices=True)
    ref, ridx = torch.nn.functional.max_pool1d(torch.tensor(x), 3, 2, 1, return_indices=True)
    np.testing.assert_array_equal(idx.detach().numpy(), ridx.detach().numpy())
    np.testing.assert_allclose(out.detach().numpy(), ref.detach().numpy(), **TOL)
    out_m, idx_m = nn.MaxPool1d(3, 2, 1, return_indices=True)(t64(x, False))
    np.testing.assert_array_equal(idx_m.detach().numpy(), ridx.detach().numpy())


def test_pool1d_bad_arguments():
    with pytest.raises(ValueError, match=r"\[max_pool1d\] input must be 2-D \(C, L\) or 3-D"):
        F.max_pool1d(pe.randn(1, 2, 3, 4), 2)
    with pytest.raises(ValueError, match=r"\[avg_pool1d\] padding 2 must be at most half"):
        F.avg_pool1d(pe.randn(1, 2, 8), 3, padding=2)
    with pytest.raises(ValueError, match=r"\[max_pool1d\] kernel_size must be an int or a "
                                         r"1-tuple"):
        F.max_pool1d(pe.randn(1, 2, 8), (2, 2))
    with pytest.raises(ValueError, match=r"\[avg_pool1d\] input length 2"):
        F.avg_pool1d(pe.randn(1, 2, 2), 3)


# ---- group norm ---------------------------------------------------------------------------
def _np_group_norm(x, g, w, b, eps):
    n, c = x.shape[:2]
    xr = x.reshape(n, g, -1)
    y = (xr - xr.mean(-1, keepdims=True)) / np.sqrt(xr.var(-1, keepdims=True) + eps)
    y = y.reshape(x.shape)
    shape = (1, c) + (1,) * (x.ndim - 2)
    return y * w.reshape(shape) + b.reshape(shape)


@pytest.mark.parametrize("shape,groups", [((2, 6), 3), ((2, 6, 5), 2), ((3, 4, 3, 2), 4),
                                          ((2, 4, 3, 2), 1), ((1, 2, 1), 1),
                                          ((2, 3, 1, 1), 3)])
def test_group_norm(shape, groups):
    torch = pytest.importorskip("torch")
    c = shape[1]
    x, w, b = rnd(*shape, seed=21), rnd(c, seed=22), rnd(c, seed=23)
    ref = _np_group_norm(x, groups, w, b, 1e-5)
    out = F.group_norm(t64(x, False), groups, t64(w, False), t64(b, False))
    np.testing.assert_allclose(out.detach().numpy(), ref, rtol=1e-9, atol=1e-9)
    tol = dict(rtol=1e-7, atol=1e-9)
    against_torch(lambda t, tw, tb: F.group_norm(t, groups, tw, tb),
                  lambda t, tw, tb: torch.nn.functional.group_norm(t, groups, tw, tb),
                  [x, w, b], tol=tol)
    against_torch(lambda t: F.group_norm(t, groups, eps=1e-3),
                  lambda t: torch.nn.functional.group_norm(t, groups, eps=1e-3), [x], tol=tol)


def test_group_norm_module():
    m = nn.GroupNorm(2, 6)
    assert [k for k, _ in m.named_parameters()] == ["weight", "bias"]
    assert list(m.state_dict()) == ["weight", "bias"]
    np.testing.assert_array_equal(m.weight.detach().numpy(), 1.0)
    x = pe.randn(3, 6, 4)
    np.testing.assert_array_equal(m(x).detach().numpy(),
                                  F.group_norm(x, 2, m.weight, m.bias).detach().numpy())
    bare = nn.GroupNorm(3, 6, affine=False)
    assert list(bare.state_dict()) == [] and list(bare.parameters()) == []
    np.testing.assert_array_equal(bare(x).detach().numpy(), F.group_norm(x, 3).detach().numpy())
    assert repr(m) == "GroupNorm(2, 6, eps=1e-05, affine=True)"
    loss = m(x).square().sum() if hasattr(pe.Tensor, "square") else (m(x) * m(x)).sum()
    loss.backward()
    assert m.weight.grad.shape == (6,) and m.bias.grad.shape == (6,)


def test_group_norm_gradcheck():
    x, w, b = t64(rnd(2, 4, 3, seed=24)), t64(rnd(4, seed=25)), t64(rnd(4, seed=26))
    assert gradcheck(lambda a, ww, bb: F.group_norm(a, 2, ww, bb), [x, w, b])


def test_group_norm_bad_arguments():
    with pytest.raises(ValueError, match=r"\[group_norm\] num_groups 3 must divide the 8 "
                                         r"channels"):
        F.group_norm(pe.randn(2, 8, 4), 3)
    with pytest.raises(ValueError, match=r"\[GroupNorm\] num_groups 3 must divide the 8 "
                                         r"channels"):
        nn.GroupNorm(3, 8)
    with pytest.raises(ValueError, match=r"\[group_norm\] weight has shape \(4,\), expected "
                                         r"\(8,\)"):
        F.group_norm(pe.randn(2, 8, 4), 2, pe.ones(4))
    with pytest.raises(ValueError, match=r"\[group_norm\] expected more than 1 value per "
                                         r"channel"):
        F.group_norm(pe.randn(1, 2, 1), 2)
    with pytest.raises(ValueError, match=r"\[group_norm\] expected input of shape \(N, C, \*\)"):
        F.group_norm(pe.randn(8), 2)


# ---- losses --------------------------------------------------------------------------------
REDUCTIONS = ["mean", "sum", "none"]


def _reduce(loss, reduction):
    return loss if reduction == "none" else (loss.sum() if reduction == "sum" else loss.mean())


def _log_probs(*shape, seed):
    x = rnd(*shape, seed=seed)
    return x - np.log(np.exp(x).sum(-1, keepdims=True))


@pytest.mark.filterwarnings("ignore:reduction")  # torch's note on 'mean' vs 'batchmean'
@pytest.mark.parametrize("reduction", REDUCTIONS + ["batchmean"])
@pytest.mark.parametrize("log_target", [False, True])
def test_kl_div(reduction, log_target):
    torch = pytest.importorskip("torch")
    inp = _log_probs(4, 5, seed=30)
    tgt = np.exp(_log_probs(4, 5, seed=31))
    tgt[0, 1] = 0.0  # xlogy(0, 0) = 0
    t_arg = np.log(np.where(tgt > 0, tgt, 1e-300)) if log_target else tgt
    if log_target:
        pointwise = np.exp(t_arg) * (t_arg - inp)
    else:
        pointwise = np.where(tgt > 0, tgt * np.log(np.where(tgt > 0, tgt, 1)), 0) - tgt * inp
    ref = pointwise.sum() / 4 if reduction == "batchmean" else _reduce(pointwise, reduction)
    out = F.kl_div(t64(inp, False), t64(t_arg, False), reduction=reduction, log_target=log_target)
    np.testing.assert_allclose(out.detach().numpy(), ref, **TOL)
    against_torch(lambda a, b: F.kl_div(a, b, reduction=reduction, log_target=log_target),
                  lambda a, b: torch.nn.functional.kl_div(a, b, reduction=reduction,
                                                          log_target=log_target),
                  [inp, t_arg], grad=[True, False])
    mod = nn.KLDivLoss(reduction=reduction, log_target=log_target)
    np.testing.assert_array_equal(mod(t64(inp), t64(t_arg)).detach().numpy(),
                                  out.detach().numpy())


@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize("p,swap", [(2, False), (1, True), (3.0, False), (2, True)])
def test_triplet_margin_loss(reduction, p, swap):
    torch = pytest.importorskip("torch")
    a, po, ne = rnd(6, 4, seed=32), rnd(6, 4, seed=33), rnd(6, 4, seed=34)
    d = lambda x, y: _np_norm(x - y + 1e-6, p, -1, False)  # noqa: E731
    dn = np.minimum(d(a, ne), d(po, ne)) if swap else d(a, ne)
    ref = _reduce(np.maximum(d(a, po) - dn + 0.8, 0), reduction)
    kw = dict(margin=0.8, p=p, swap=swap, reduction=reduction)
    out = F.triplet_margin_loss(t64(a, False), t64(po, False), t64(ne, False), **kw)
    np.testing.assert_allclose(out.detach().numpy(), ref, **TOL)
    against_torch(lambda x, y, z: F.triplet_margin_loss(x, y, z, **kw),
                  lambda x, y, z: torch.nn.functional.triplet_margin_loss(x, y, z, **kw),
                  [a, po, ne])
    mod = nn.TripletMarginLoss(**kw)
    np.testing.assert_array_equal(mod(t64(a), t64(po), t64(ne)).detach().numpy(),
                                  out.detach().numpy())


def test_triplet_margin_loss_1d():
    torch = pytest.importorskip("torch")
    a, po, ne = rnd(4, seed=35), rnd(4, seed=36), rnd(4, seed=37)
    against_torch(lambda x, y, z: F.triplet_margin_loss(x, y, z),
                  lambda x, y, z: torch.nn.functional.triplet_margin_loss(x, y, z), [a, po, ne])


@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize("shapes", [((5,), (5,), (5,)), ((3, 4), (3, 4), (1, 4)),
                                    ((1,), (1,), (1,))])
def test_margin_ranking_loss(reduction, shapes):
    torch = pytest.importorskip("torch")
    x1, x2 = rnd(*shapes[0], seed=38), rnd(*shapes[1], seed=39)
    y = np.where(rnd(*shapes[2], seed=40) > 0, 1.0, -1.0)
    ref = _reduce(np.maximum(0, -y * (x1 - x2) + 0.3), reduction)
    out = F.margin_ranking_loss(t64(x1, False), t64(x2, False), t64(y, False), 0.3,
                                reduction=reduction)
    np.testing.assert_allclose(out.detach().numpy(), ref, **TOL)
    against_torch(lambda a, b, t: F.margin_ranking_loss(a, b, t, 0.3, reduction=reduction),
                  lambda a, b, t: torch.nn.functional.margin_ranking_loss(
                      a, b, t, 0.3, reduction=reduction), [x1, x2, y], grad=[True, True, False])
    mod = nn.MarginRankingLoss(0.3, reduction=reduction)
    np.testing.assert_array_equal(mod(t64(x1), t64(x2), t64(y)).detach().numpy(),
                                  out.detach().numpy())


@pytest.mark.parametrize("reduction", REDUCTIONS)
def test_hinge_embedding_loss(reduction):
    torch = pytest.importorskip("torch")
    x = np.abs(rnd(4, 5, seed=41)) * 1.5 + 0.01
    y = np.where(rnd(4, 5, seed=42) > 0, 1.0, -1.0)
    ref = _reduce(np.where(y == 1, x, np.maximum(0, 1.2 - x)), reduction)
    out = F.hinge_embedding_loss(t64(x, False), t64(y, False), 1.2, reduction=reduction)
    np.testing.assert_allclose(out.detach().numpy(), ref, **TOL)
    against_torch(lambda a, t: F.hinge_embedding_loss(a, t, 1.2, reduction=reduction),
                  lambda a, t: torch.nn.functional.hinge_embedding_loss(a, t, 1.2,
                                                                        reduction=reduction),
                  [x, y], grad=[True, False])
    mod = nn.HingeEmbeddingLoss(1.2, reduction=reduction)
    np.testing.assert_array_equal(mod(t64(x), t64(y)).detach().numpy(),
                                  out.detach().numpy())


@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize("shape", [(5, 3), (4,), (1, 1)])
def test_cosine_embedding_loss(reduction, shape):
    torch = pytest.importorskip("torch")
    x1, x2 = rnd(*shape, seed=43), rnd(*shape, seed=44)
    y = np.where(rnd(*shape[:-1], seed=45) > 0, 1.0, -1.0)
    cos = (x1 * x2).sum(-1) / np.sqrt(((x1 * x1).sum(-1) + 1e-12) * ((x2 * x2).sum(-1) + 1e-12))
    ref = _reduce(np.where(y == 1, 1 - cos, np.maximum(0, cos - 0.1)), reduction)
    out = F.cosine_embedding_loss(t64(x1, False), t64(x2, False), t64(y, False), 0.1,
                                  reduction=reduction)
    np.testing.assert_allclose(out.detach().numpy(), ref, **TOL)
    against_torch(lambda a, b, t: F.cosine_embedding_loss(a, b, t, 0.1, reduction=reduction),
                  lambda a, b, t: torch.nn.functional.cosine_embedding_loss(
                      a, b, t, 0.1, reduction=reduction), [x1, x2, y], grad=[True, True, False])
    mod = nn.CosineEmbeddingLoss(0.1, reduction=reduction)
    np.testing.assert_array_equal(mod(t64(x1), t64(x2), t64(y)).detach().numpy(),
                                  out.detach().numpy())


@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize("log_input,full", [(True, False), (False, False), (True, True),
                                            (False, True)])
def test_poisson_nll_loss(reduction, log_input, full):
    torch = pytest.importorskip("torch")
    x = rnd(4, 5, seed=46)
    if not log_input:
        x = np.abs(x) + 0.1
    t = np.random.default_rng(47).poisson(2.0, (4, 5)).astype(np.float64)
    loss = np.exp(x) - t * x if log_input else x - t * np.log(x + 1e-8)
    if full:
        ts = np.where(t > 1, t, 1)
        loss = loss + np.where(t > 1, ts * np.log(ts) - ts + 0.5 * np.log(2 * np.pi * ts), 0)
    ref = _reduce(loss, reduction)
    kw = dict(log_input=log_input, full=full, reduction=reduction)
    out = F.poisson_nll_loss(t64(x, False), t64(t, False), **kw)
    np.testing.assert_allclose(out.detach().numpy(), ref, **TOL)
    against_torch(lambda a, b: F.poisson_nll_loss(a, b, **kw),
                  lambda a, b: torch.nn.functional.poisson_nll_loss(a, b, **kw), [x, t],
                  grad=[True, False])
    mod = nn.PoissonNLLLoss(**kw)
    np.testing.assert_array_equal(mod(t64(x), t64(t)).detach().numpy(),
                                  out.detach().numpy())


@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize("var_shape", [(4, 3), (4, 1), (4,)])
@pytest.mark.parametrize("full", [False, True])
def test_gaussian_nll_loss(reduction, var_shape, full):
    torch = pytest.importorskip("torch")
    x, t = rnd(4, 3, seed=48), rnd(4, 3, seed=49)
    var = np.abs(rnd(*var_shape, seed=50)) + 0.05
    var.flat[0] = 1e-9  # below eps: clamped in the forward pass
    v = var.reshape(4, -1) if var.ndim == 1 else var
    vc = np.maximum(v, 1e-6)
    loss = 0.5 * (np.log(vc) + (x - t) ** 2 / vc) + (0.5 * np.log(2 * np.pi) if full else 0)
    ref = _reduce(loss, reduction)
    kw = dict(full=full, reduction=reduction)
    out = F.gaussian_nll_loss(t64(x, False), t64(t, False), t64(var, False), **kw)
    np.testing.assert_allclose(out.detach().numpy(), ref, **TOL)
    against_torch(lambda a, b, c: F.gaussian_nll_loss(a, b, c, **kw),
                  lambda a, b, c: torch.nn.functional.gaussian_nll_loss(a, b, c, **kw),
                  [x, t, var], tol=dict(rtol=1e-9, atol=1e-9))
    mod = nn.GaussianNLLLoss(**kw)
    np.testing.assert_array_equal(mod(t64(x), t64(t), t64(var)).detach().numpy(),
                                  out.detach().numpy())


@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize("weighted", [False, True])
@pytest.mark.parametrize("shape", [(4, 5), (1, 1), (3,)])
def test_multilabel_soft_margin_loss(reduction, weighted, shape):
    torch = pytest.importorskip("torch")
    x = rnd(*shape, seed=51)
    y = (rnd(*shape, seed=52) > 0).astype(np.float64)
    w = np.abs(rnd(shape[-1], seed=53)) if weighted else None
    ls = lambda z: -np.logaddexp(0, -z)  # noqa: E731
    loss = -(y * ls(x) + (1 - y) * ls(-x)) * (1 if w is None else w)
    ref = _reduce(loss.mean(-1), reduction)
    wt = None if w is None else t64(w, False)
    out = F.multilabel_soft_margin_loss(t64(x, False), t64(y, False), wt, reduction=reduction)
    np.testing.assert_allclose(out.detach().numpy(), ref, **TOL)
    tw = None if w is None else torch.tensor(w)
    against_torch(lambda a, b: F.multilabel_soft_margin_loss(a, b, wt, reduction=reduction),
                  lambda a, b: torch.nn.functional.multilabel_soft_margin_loss(
                      a, b, tw, reduction=reduction), [x, y], grad=[True, False])
    mod = nn.MultiLabelSoftMarginLoss(wt, reduction=reduction)
    np.testing.assert_array_equal(mod(t64(x), t64(y)).detach().numpy(),
                                  out.detach().numpy())


def test_losses_gradcheck():
    x, t = t64(rnd(3, 4, seed=54)), t64(np.abs(rnd(3, 4, seed=55)) + 0.2)
    assert gradcheck(lambda a, b: F.gaussian_nll_loss(a, b, t), [x, t64(rnd(3, 4, seed=56))])
    assert gradcheck(lambda a: F.kl_div(a, t, reduction="batchmean"), [x])
    assert gradcheck(lambda a: F.poisson_nll_loss(a, t, full=True), [x])
    assert gradcheck(lambda a, b: F.cosine_embedding_loss(a, b, t64([1.0, -1.0, 1.0], False)),
                     [x, t64(rnd(3, 4, seed=57))])


LOSS_FNS = {
    "kl_div": lambda r: F.kl_div(pe.randn(2, 3), pe.randn(2, 3), reduction=r),
    "triplet_margin_loss": lambda r: F.triplet_margin_loss(pe.randn(2, 3), pe.randn(2, 3),
                                                           pe.randn(2, 3), reduction=r),
    "margin_ranking_loss": lambda r: F.margin_ranking_loss(pe.randn(3), pe.randn(3),
                                                           pe.ones(3), reduction=r),
    "hinge_embedding_loss": lambda r: F.hinge_embedding_loss(pe.randn(3), pe.ones(3),
                                                             reduction=r),
    "cosine_embedding_loss": lambda r: F.cosine_embedding_loss(pe.randn(2, 3), pe.randn(2, 3),
                                                               pe.ones(2), reduction=r),
    "poisson_nll_loss": lambda r: F.poisson_nll_loss(pe.randn(3), pe.ones(3), reduction=r),
    "gaussian_nll_loss": lambda r: F.gaussian_nll_loss(pe.randn(3), pe.ones(3), pe.ones(3),
                                                       reduction=r),
    "multilabel_soft_margin_loss": lambda r: F.multilabel_soft_margin_loss(
        pe.randn(2, 3), pe.ones(2, 3), reduction=r),
}


@pytest.mark.parametrize("name", sorted(LOSS_FNS))
def test_loss_invalid_reduction_names_the_function(name):
    with pytest.raises(ValueError, match=rf"\[{name}\] reduction must be"):
        LOSS_FNS[name]("average")


@pytest.mark.parametrize("cls", [nn.KLDivLoss, nn.TripletMarginLoss, nn.MarginRankingLoss,
                                 nn.HingeEmbeddingLoss, nn.CosineEmbeddingLoss, nn.PoissonNLLLoss,
                                 nn.GaussianNLLLoss, nn.MultiLabelSoftMarginLoss])
def test_loss_module_invalid_reduction(cls):
    with pytest.raises(ValueError, match=rf"\[{cls.__name__}\] reduction must be"):
        cls(reduction="average")
    assert list(cls().state_dict()) == []


def test_loss_size_average_reduce_legacy_pair():
    x, y = pe.randn(3, 4), (pe.randn(3, 4) > 0) * 1.0
    np.testing.assert_allclose(
        F.multilabel_soft_margin_loss(x, y, size_average=False).detach().numpy(),
        F.multilabel_soft_margin_loss(x, y, reduction="sum").detach().numpy())
    assert nn.KLDivLoss(reduce=False).reduction == "none"


def test_loss_bad_shapes_raise():
    with pytest.raises(ValueError, match=r"\[triplet_margin_loss\] anchor, positive and negative "
                                         r"must have the same number of dimensions"):
        F.triplet_margin_loss(pe.randn(2, 3), pe.randn(3), pe.randn(2, 3))
    with pytest.raises(ValueError, match=r"\[triplet_margin_loss\] margin must be greater"):
        F.triplet_margin_loss(pe.randn(3), pe.randn(3), pe.randn(3), margin=0.0)
    with pytest.raises(ValueError, match=r"\[margin_ranking_loss\] input1 \(3,\), input2 "
                                         r"\(1, 3\) and target"):
        F.margin_ranking_loss(pe.randn(3), pe.randn(1, 3), pe.ones(3))
    with pytest.raises(ValueError, match=r"\[cosine_embedding_loss\] target \(3,\) must be "
                                         r"\(N,\)"):
        F.cosine_embedding_loss(pe.randn(2, 4), pe.randn(2, 4), pe.ones(3))
    with pytest.raises(ValueError, match=r"\[gaussian_nll_loss\] var \(4, 2\) has the wrong size"):
        F.gaussian_nll_loss(pe.randn(4, 3), pe.randn(4, 3), pe.ones(4, 2))
    with pytest.raises(ValueError, match=r"\[gaussian_nll_loss\] var has negative entries"):
        F.gaussian_nll_loss(pe.randn(3), pe.randn(3), -pe.ones(3))
    with pytest.raises(ValueError, match=r"\[multilabel_soft_margin_loss\] input \(2, 3\) and "
                                         r"target \(2, 4\) must have the same shape"):
        F.multilabel_soft_margin_loss(pe.randn(2, 3), pe.ones(2, 4))
    with pytest.raises(ValueError, match=r"\[kl_div\] reduction must be 'mean', 'batchmean'"):
        F.kl_div(pe.randn(3), pe.randn(3), reduction="avg")


def test_gaussian_nll_loss_float_var():
    x, t = pe.randn(4, 3), pe.randn(4, 3)
    np.testing.assert_allclose(F.gaussian_nll_loss(x, t, 0.5).detach().numpy(),
                               F.gaussian_nll_loss(x, t, pe.full((4, 3), 0.5)).numpy(), rtol=1e-6)


# ---- ParameterList / ParameterDict ---------------------------------------------------------
def test_parameter_list():
    pl = nn.ParameterList([nn.Parameter(pe.zeros(2)), pe.ones(3)])
    assert isinstance(pl[1], nn.Parameter) and pl[1].requires_grad  # a Tensor became a Parameter
    pl.append(nn.Parameter(pe.zeros(1)))
    pl += [pe.zeros(4)]
    assert len(pl) == 4 and pl[-1].shape == (4,)
    assert [k for k, _ in pl.named_parameters()] == ["0", "1", "2", "3"]
    assert list(pl.state_dict()) == ["0", "1", "2", "3"]
    assert [p.shape for p in pl] == [(2,), (3,), (1,), (4,)]
    pl[0] = nn.Parameter(pe.ones(5))
    assert pl[0].shape == (5,) and len(list(pl.parameters())) == 4
    assert len(pl[1:3]) == 2
    with pytest.raises(IndexError, match=r"\[ParameterList\] index 9 is out of range"):
        pl[9]
    with pytest.raises(TypeError, match=r"\[ParameterList\] entries must be"):
        pl.append(3.0)


def test_parameter_containers_inside_a_module_and_optimizer():
    class Net(nn.Module):
        def __init__(self):
            super().__init__()
            self.ws = nn.ParameterList([nn.Parameter(pe.ones(3)) for _ in range(2)])
            self.extra = nn.ParameterDict({"scale": nn.Parameter(pe.ones(1)),
                                           "shift": nn.Parameter(pe.zeros(1))})

        def forward(self, x):
            for w in self.ws:
                x = x * w
            return x * self.extra["scale"] + self.extra["shift"]

    net = Net()
    keys = ["ws.0", "ws.1", "extra.scale", "extra.shift"]
    assert [k for k, _ in net.named_parameters()] == keys
    assert list(net.state_dict()) == keys
    opt = pe.optim.SGD(net.parameters(), lr=0.1)
    net(pe.ones(3)).sum().backward()
    opt.step()
    np.testing.assert_allclose(net.extra["shift"].detach().numpy(), [-0.3])
    clone = Net()
    clone.load_state_dict(net.state_dict())
    np.testing.assert_array_equal(clone.extra["shift"].detach().numpy(),
                                  net.extra["shift"].detach().numpy())


def test_parameter_dict():
    pd = nn.ParameterDict({"a": nn.Parameter(pe.zeros(2))})
    pd["b"] = pe.ones(3)
    pd.update([("c", nn.Parameter(pe.zeros(1)))])
    assert list(pd.keys()) == ["a", "b", "c"] and "b" in pd and len(pd) == 3
    assert isinstance(pd["b"], nn.Parameter)
    assert list(pd.state_dict()) == ["a", "b", "c"]
    assert [k for k, _ in pd.items()] == ["a", "b", "c"]
    del pd["a"]
    assert list(pd) == ["b", "c"] and pd.get("zz") is None
    assert pd.pop("c").shape == (1,)
    assert list(pd.state_dict()) == ["b"]
    with pytest.raises(TypeError, match=r"\[ParameterDict\] entries must be"):
        pd["x"] = "weight"


def test_parameter_containers_match_torch_keys():
    torch = pytest.importorskip("torch")
    tl = torch.nn.ParameterList([torch.nn.Parameter(torch.zeros(2)) for _ in range(3)])
    td = torch.nn.ParameterDict({"w": torch.nn.Parameter(torch.zeros(2)),
                                 "b": torch.nn.Parameter(torch.zeros(2))})
    pl = nn.ParameterList([nn.Parameter(pe.zeros(2)) for _ in range(3)])
    pd = nn.ParameterDict({"w": nn.Parameter(pe.zeros(2)), "b": nn.Parameter(pe.zeros(2))})
    assert list(pl.state_dict()) == list(tl.state_dict())
    assert list(pd.state_dict()) == list(td.state_dict())


# ---- every requested name exists -----------------------------------------------------------
def test_all_names_present():
    fs = ("silu relu6 hardtanh logsigmoid selu celu mish softsign hardsigmoid hardswish glu "
          "softmin tanhshrink threshold normalize cosine_similarity pairwise_distance kl_div "
          "triplet_margin_loss margin_ranking_loss hinge_embedding_loss cosine_embedding_loss "
          "poisson_nll_loss gaussian_nll_loss multilabel_soft_margin_loss gumbel_softmax "
          "max_pool1d avg_pool1d group_norm hardshrink softshrink").split()
    ms = ("GroupNorm LogSigmoid Hardswish Hardsigmoid Mish Softsign Threshold Softmin Softmax2d "
          "Tanhshrink CosineSimilarity PairwiseDistance KLDivLoss TripletMarginLoss "
          "MarginRankingLoss HingeEmbeddingLoss CosineEmbeddingLoss PoissonNLLLoss GaussianNLLLoss "
          "MultiLabelSoftMarginLoss MaxPool1d AvgPool1d ParameterList ParameterDict SELU CELU GLU "
          "Hardshrink Softshrink").split()
    assert [f for f in fs if not hasattr(F, f)] == []
    assert [m for m in ms if not hasattr(nn, m)] == []


def test_float32_stays_float32():
    x, y = pe.randn(2, 4, 6), pe.randn(2, 4, 6)
    t = (y > 0) * 1.0
    outs = [getattr(F, n)(x) for n in ACTS if n not in ("threshold",)]
    outs += [F.threshold(x, 0.1, 2.0), F.glu(x), F.softmin(x, 1), F.normalize(x),
             F.gumbel_softmax(x), F.cosine_similarity(x, y), F.pairwise_distance(x, y),
             F.max_pool1d(x, 2), F.avg_pool1d(x, 2), F.group_norm(x, 2),
             F.kl_div(x, t), F.hinge_embedding_loss(x, t), F.poisson_nll_loss(x, t),
             F.multilabel_soft_margin_loss(x, t), F.gaussian_nll_loss(x, y, 0.5),
             F.triplet_margin_loss(x, y, 2 * x), F.margin_ranking_loss(x, y, t),
             F.cosine_embedding_loss(x[0], y[0], pe.ones(4))]
    assert {o.dtype for o in outs} == {pe.float32}
