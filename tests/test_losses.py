"""Losses against NumPy float64 references, gradcheck, and PyTorch when it is installed."""
import numpy as np
import pytest
from hypothesis import given, settings, strategies as st

import pyengine as pe
import pyengine.nn.functional as F
from pyengine.testing import gradcheck

try:
    import torch
    import torch.nn.functional as TF
except ImportError:  # optional cross-check
    torch = None

needs_torch = pytest.mark.skipif(torch is None, reason="PyTorch not installed")
rng = np.random.default_rng(0)
REDUCTIONS = ["mean", "sum", "none"]


def t64(a, grad=False):
    return pe.tensor(np.asarray(a, dtype=np.float64), dtype=pe.float64, requires_grad=grad)


def reduce_ref(loss, reduction, denom=None):
    if reduction == "none":
        return loss
    with np.errstate(invalid="ignore"):  # an empty or all-ignored mean is NaN, as in PyTorch
        return loss.sum() if reduction == "sum" else loss.sum() / (loss.size if denom is None else denom)


def log_softmax_ref(x, axis):
    m = x.max(axis=axis, keepdims=True)
    return x - m - np.log(np.exp(x - m).sum(axis=axis, keepdims=True))


# ---- NumPy float64 references ----------------------------------------------------------------
def mse_ref(x, y, r): return reduce_ref((x - y) ** 2, r)
def l1_ref(x, y, r): return reduce_ref(np.abs(x - y), r)


def bce_ref(p, y, r, w=None):
    l = -(y * np.maximum(np.log(p), -100) + (1 - y) * np.maximum(np.log(1 - p), -100))
    return reduce_ref(l if w is None else l * w, r)


def bce_logits_ref(x, y, r, w=None, pw=None):
    pw = 1.0 if pw is None else pw
    sp = np.logaddexp(0, -x)  # softplus(-x) = -log sigmoid(x)
    l = pw * y * sp + (1 - y) * (x + sp)
    return reduce_ref(l if w is None else l * w, r)


def ce_ref(x, t, r, w=None, smoothing=0.0, ignore_index=-100):
    """x (N, C[, d...]); t indices (N[, d...]) or probabilities like x."""
    ls = log_softmax_ref(x, 1)
    c = x.shape[1]
    wv = np.ones(c) if w is None else w
    wshape = (1, c) + (1,) * (x.ndim - 2)
    if t.dtype.kind in "iu":
        keep = t != ignore_index
        safe = np.where(keep, t, 0)
        onehot = np.moveaxis(np.eye(c)[safe], -1, 1)
        q = (1 - smoothing) * onehot + smoothing / c
        loss = -(q * ls * wv.reshape(wshape)).sum(1) * keep
        return reduce_ref(loss, r, (wv[safe] * keep).sum())
    q = (1 - smoothing) * t + smoothing / c
    return reduce_ref(-(q * ls * wv.reshape(wshape)).sum(1), r, x.shape[0] * np.prod(x.shape[2:]))


def nll_ref(x, t, r, w=None, ignore_index=-100):
    c = x.shape[1]
    wv = np.ones(c) if w is None else w
    keep = t != ignore_index
    safe = np.where(keep, t, 0)
    picked = np.take_along_axis(x, safe[:, None], 1)[:, 0]
    loss = -picked * wv[safe] * keep
    return reduce_ref(loss, r, (wv[safe] * keep).sum())


def probs(shape):
    return rng.uniform(0.02, 0.98, shape)


@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_forward_against_numpy(reduction, dtype):
    tol = dict(rtol=1e-5, atol=1e-5) if dtype == np.float32 else dict(rtol=1e-10, atol=1e-12)
    x, y = rng.standard_normal((5, 4)), rng.standard_normal((5, 4))
    p, b = probs((5, 4)), (rng.random((5, 4)) > 0.5).astype(np.float64)
    idx = rng.integers(0, 4, 5)
    w = rng.uniform(0.5, 2.0, 4)
    T = lambda a: pe.tensor(np.asarray(a, dtype=dtype), dtype=pe.float64 if dtype == np.float64 else pe.float32)
    cases = [
        (F.mse_loss(T(x), T(y), reduction=reduction), mse_ref(x, y, reduction)),
        (F.l1_loss(T(x), T(y), reduction=reduction), l1_ref(x, y, reduction)),
        (F.binary_cross_entropy(T(p), T(b), reduction=reduction), bce_ref(p, b, reduction)),
        (F.binary_cross_entropy(T(p), T(b), weight=T(w), reduction=reduction),
         bce_ref(p, b, reduction, w)),
        (F.binary_cross_entropy_with_logits(T(x), T(b), reduction=reduction, pos_weight=T(w)),
         bce_logits_ref(x, b, reduction, pw=w)),
        (F.cross_entropy(T(x), pe.tensor(idx), reduction=reduction), ce_ref(x, idx, reduction)),
        (F.cross_entropy(T(x), pe.tensor(idx), weight=T(w), label_smoothing=0.2,
                         reduction=reduction), ce_ref(x, idx, reduction, w, 0.2)),
        (F.cross_entropy(T(x), T(p / p.sum(1, keepdims=True)), reduction=reduction),
         ce_ref(x, p / p.sum(1, keepdims=True), reduction)),
        (F.nll_loss(T(log_softmax_ref(x, 1)), pe.tensor(idx), weight=T(w), reduction=reduction),
         nll_ref(log_softmax_ref(x, 1), idx, reduction, w)),
    ]
    for i, (got, want) in enumerate(cases):
        assert got.data.dtype == dtype, i
        np.testing.assert_allclose(got.data, want, **tol, err_msg=f"case {i}")


def test_cross_entropy_spatial_and_ignore_index():
    x = rng.standard_normal((2, 3, 4, 5))
    t = rng.integers(0, 3, (2, 4, 5))
    t[0, 0, :2] = -100
    for r in REDUCTIONS:
        np.testing.assert_allclose(F.cross_entropy(t64(x), pe.tensor(t), reduction=r).data,
                                   ce_ref(x, t, r), rtol=1e-10, atol=1e-12)
    np.testing.assert_allclose(F.cross_entropy(t64(x[0, :, 0, 0]), pe.tensor(t[0, 1, 0])).data,
                               ce_ref(x[:1, :, 0, 0], t[:1, 1, 0], "mean"), rtol=1e-10)


def test_stability_extreme_inputs():
    big = pe.tensor([[1000.0, -1000.0, 0.0]])
    assert np.isfinite(F.cross_entropy(big, pe.tensor([1])).item())
    np.testing.assert_allclose(F.cross_entropy(big, pe.tensor([1])).item(), 2000.0, rtol=1e-6)
    x = pe.tensor([-200.0, 200.0, 0.0], requires_grad=True)
    l = F.binary_cross_entropy_with_logits(x, pe.tensor([1.0, 0.0, 1.0]), reduction="sum")
    l.backward()
    np.testing.assert_allclose(l.item(), 400.0 + np.log(2), rtol=1e-6)
    assert np.all(np.isfinite(x.grad.data))
    masked = pe.tensor([[0.5, -np.inf, 1.0]], requires_grad=True)  # a masked-out class
    l = F.cross_entropy(masked, pe.tensor([2]))
    l.backward()
    np.testing.assert_allclose(l.item(), np.log1p(np.exp(-0.5)), rtol=1e-6)
    assert np.all(np.isfinite(masked.grad.data)) and masked.grad.data[0, 1] == 0
    p = pe.tensor([0.0, 1.0, 0.5], requires_grad=True)  # log(0) is clamped at -100
    l = F.binary_cross_entropy(p, pe.tensor([1.0, 0.0, 1.0]), reduction="sum")
    l.backward()
    np.testing.assert_allclose(l.item(), 200.0 + np.log(2), rtol=1e-6)
    assert np.all(np.isfinite(p.grad.data))


@pytest.mark.parametrize("reduction", REDUCTIONS)
def test_gradcheck_each_loss(reduction):
    x, y = t64(rng.standard_normal((3, 4)), True), t64(rng.standard_normal((3, 4)), True)
    p, b = t64(probs((3, 4)), True), t64((rng.random((3, 4)) > 0.5) * 1.0)
    idx = pe.tensor(np.array([0, 3, -100]))
    w = t64(rng.uniform(0.5, 2.0, 4))
    soft = t64(probs((3, 4)) / 3)
    gradcheck(lambda a, c: F.mse_loss(a, c, reduction=reduction), [x, y])
    gradcheck(lambda a, c: F.l1_loss(a, c, reduction=reduction), [x, y])
    gradcheck(lambda a: F.binary_cross_entropy(a, b, weight=w, reduction=reduction), [p])
    gradcheck(lambda a: F.binary_cross_entropy_with_logits(a, b, reduction=reduction,
                                                           pos_weight=w), [x])
    gradcheck(lambda a: F.cross_entropy(a, idx, weight=w, label_smoothing=0.1,
                                        reduction=reduction), [x])
    gradcheck(lambda a: F.cross_entropy(a, soft, reduction=reduction), [x])
    gradcheck(lambda a: F.nll_loss(a, idx, weight=w, reduction=reduction), [x])
    x4 = t64(rng.standard_normal((2, 3, 2, 2)), True)
    t4 = pe.tensor(rng.integers(0, 3, (2, 2, 2)))
    gradcheck(lambda a: F.cross_entropy(a, t4, reduction=reduction), [x4])


def test_modules_and_errors():
    x, idx = pe.randn(4, 3), pe.tensor([0, 1, 2, 1])
    assert np.isclose(pe.nn.CrossEntropyLoss()(x, idx).item(), F.cross_entropy(x, idx).item())
    assert pe.nn.MSELoss(reduction="sum")(x, x).item() == 0.0
    assert pe.nn.NLLLoss()(x.log_softmax(1), idx).item() > 0
    assert pe.nn.BCEWithLogitsLoss()(x, (x > 0).float()).item() > 0
    with pytest.raises(ValueError, match="reduction"):
        pe.nn.L1Loss(reduction="avg")
    with pytest.raises(ValueError, match="out of bounds"):
        F.cross_entropy(x, pe.tensor([0, 1, 2, 3]))
    with pytest.raises(ValueError, match="shape"):
        F.cross_entropy(x, pe.tensor([0, 1]))
    with pytest.raises(ValueError, match="shape"):
        F.binary_cross_entropy(pe.rand(4), pe.rand(3))


@needs_torch
@pytest.mark.parametrize("reduction", REDUCTIONS)
def test_against_torch(reduction):
    x = rng.standard_normal((6, 5))
    idx = rng.integers(0, 5, 6)
    idx[2] = -100
    w = rng.uniform(0.5, 2.0, 5)
    p, b = probs((6, 5)), (rng.random((6, 5)) > 0.5) * 1.0

    def both(pe_fn, torch_fn, *arrays, grad_of=0):
        ours = [t64(a, i == grad_of) if a.dtype.kind == "f" else pe.tensor(a)
                for i, a in enumerate(arrays)]
        theirs = [torch.tensor(a, requires_grad=(i == grad_of)) for i, a in enumerate(arrays)]
        lo, lt = pe_fn(*ours), torch_fn(*theirs)
        np.testing.assert_allclose(lo.data, lt.detach().numpy(), rtol=1e-10, atol=1e-12)
        lo.sum().backward()
        lt.sum().backward()
        np.testing.assert_allclose(ours[grad_of].grad.data, theirs[grad_of].grad.numpy(),
                                   rtol=1e-9, atol=1e-12)

    r = dict(reduction=reduction)
    both(lambda a, t: F.cross_entropy(a, t, weight=t64(w), label_smoothing=0.15, **r),
         lambda a, t: TF.cross_entropy(a, t, weight=torch.tensor(w), label_smoothing=0.15, **r),
         x, idx)
    both(lambda a, t: F.cross_entropy(a, t, label_smoothing=0.1, **r),
         lambda a, t: TF.cross_entropy(a, t, label_smoothing=0.1, **r), x, p / p.sum(1, keepdims=True))
    both(lambda a, t: F.binary_cross_entropy(a, t, **r),
         lambda a, t: TF.binary_cross_entropy(a, t, **r), p, b)
    both(lambda a, t: F.binary_cross_entropy_with_logits(a, t, pos_weight=t64(w), **r),
         lambda a, t: TF.binary_cross_entropy_with_logits(a, t, pos_weight=torch.tensor(w), **r),
         x, b)
    both(lambda a, t: F.nll_loss(a, t, weight=t64(w), **r),
         lambda a, t: TF.nll_loss(a, t, weight=torch.tensor(w), **r), x, idx)
    both(lambda a, t: F.mse_loss(a, t, **r), lambda a, t: TF.mse_loss(a, t, **r), x, p)
    both(lambda a, t: F.l1_loss(a, t, **r), lambda a, t: TF.l1_loss(a, t, **r), x, p)


def test_isa_paths_and_threads_agree():
    isas = ["generic", "avx2", "avx512"]
    isas = isas[:isas.index(pe._C.cpu_isa_detected()) + 1]
    x = rng.standard_normal((4000, 37)).astype(np.float32)
    idx = rng.integers(0, 37, 4000)
    z = rng.standard_normal(70_000).astype(np.float32)
    b = (rng.random(70_000) > 0.5).astype(np.float32)
    saved_isa, saved_threads = pe._C.cpu_isa(), pe.get_num_threads()
    out = {}
    try:
        for isa in isas:
            for threads in (1, 2):
                pe._C.set_cpu_isa(isa)
                pe.set_num_threads(threads)
                xt, zt = pe.tensor(x, requires_grad=True), pe.tensor(z, requires_grad=True)
                l1 = F.cross_entropy(xt, pe.tensor(idx), reduction="sum", label_smoothing=0.1)
                l2 = F.binary_cross_entropy_with_logits(zt, pe.tensor(b), reduction="sum")
                (l1 + l2).backward()
                out[isa, threads] = (l1.item(), l2.item(), xt.grad.data, zt.grad.data)
    finally:
        pe._C.set_cpu_isa(saved_isa)
        pe.set_num_threads(saved_threads)
    ref = out["generic", 1]
    for key, got in out.items():
        for g, r in zip(got, ref):
            np.testing.assert_allclose(g, r, rtol=2e-5, atol=1e-6, err_msg=str(key))
        for g, r in zip(got, out[key[0], 1]):  # thread count never changes a bit
            np.testing.assert_array_equal(g, r, err_msg=f"threads {key}")



@settings(max_examples=40, deadline=None)
@given(n=st.integers(0, 6), c=st.integers(1, 6), extra=st.integers(0, 3),
       smoothing=st.sampled_from([0.0, 0.3]), reduction=st.sampled_from(REDUCTIONS),
       transpose=st.booleans(), seed=st.integers(0, 2 ** 16))
def test_cross_entropy_random_shapes(n, c, extra, smoothing, reduction, transpose, seed):
    r = np.random.default_rng(seed)
    shape = (n, c) + ((extra,) if extra else ())
    x = r.standard_normal(shape[::-1]).T if transpose else r.standard_normal(shape)  # views too
    t = r.integers(0, c, (n,) + ((extra,) if extra else ()))
    got = F.cross_entropy(t64(x), pe.tensor(t), label_smoothing=smoothing, reduction=reduction)
    want = ce_ref(x, t, reduction, smoothing=smoothing)
    np.testing.assert_allclose(got.data, want, rtol=1e-10, atol=1e-12)


@settings(max_examples=30, deadline=None)
@given(shape=st.lists(st.integers(0, 4), min_size=0, max_size=3),
       reduction=st.sampled_from(REDUCTIONS), seed=st.integers(0, 2 ** 16))
def test_bce_random_shapes(shape, reduction, seed):
    r = np.random.default_rng(seed)
    x, b = r.standard_normal(shape), (r.random(shape) > 0.5) * 1.0
    np.testing.assert_allclose(
        F.binary_cross_entropy_with_logits(t64(x), t64(b), reduction=reduction).data,
        bce_logits_ref(x, b, reduction), rtol=1e-10, atol=1e-12)
    p = 1 / (1 + np.exp(-x))
    np.testing.assert_allclose(F.binary_cross_entropy(t64(p), t64(b), reduction=reduction).data,
                               bce_ref(p, b, reduction), rtol=1e-9, atol=1e-12)


def _huber_ref(x, t, delta):
    e = np.abs(x.astype(np.float64) - t)
    return np.where(e <= delta, 0.5 * e * e, delta * (e - 0.5 * delta))


@pytest.mark.parametrize("reduction", ["mean", "sum", "none"])
@pytest.mark.parametrize("delta", [0.5, 1.0, 3.0])
def test_huber_and_smooth_l1_against_float64(reduction, delta):
    rng = np.random.default_rng(3)
    x, t = rng.normal(size=(6, 5)) * 2, rng.normal(size=(6, 5))
    red = {"mean": np.mean, "sum": np.sum, "none": lambda v: v}[reduction]
    got = F.huber_loss(pe.tensor(x), pe.tensor(t), reduction=reduction, delta=delta)
    np.testing.assert_allclose(got.numpy(), red(_huber_ref(x, t, delta)), rtol=1e-12)
    got = F.smooth_l1_loss(pe.tensor(x), pe.tensor(t), reduction=reduction, beta=delta)
    np.testing.assert_allclose(got.numpy(), red(_huber_ref(x, t, delta) / delta), rtol=1e-12)
    assert pe.nn.HuberLoss(reduction, delta)(pe.tensor(x), pe.tensor(t)).shape == got.shape
    a, c = pe.tensor(x, requires_grad=True), pe.tensor(t, requires_grad=True)
    gradcheck(lambda u, v: F.huber_loss(u, v, reduction=reduction, delta=delta), [a, c])
    gradcheck(lambda u, v: F.smooth_l1_loss(u, v, reduction=reduction, beta=delta), [a, c])


def test_smooth_l1_beta_zero_is_l1_and_bad_arguments_raise():
    x, t = pe.randn(4, 3), pe.randn(4, 3)
    assert F.smooth_l1_loss(x, t, beta=0.0).item() == F.l1_loss(x, t).item()
    with pytest.raises(ValueError, match=r"\[huber_loss\] input and target shapes differ"):
        F.huber_loss(pe.randn(3, 1), pe.randn(3))
    with pytest.raises(ValueError, match=r"\[smooth_l1_loss\] beta must be"):
        F.smooth_l1_loss(x, t, beta=-1.0)
    with pytest.raises(ValueError, match="reduction"):
        pe.nn.SmoothL1Loss(reduction="avg")


@needs_torch
def test_huber_and_smooth_l1_match_pytorch():
    rng = np.random.default_rng(4)
    x, t = rng.normal(size=(7, 3)).astype(np.float32), rng.normal(size=(7, 3)).astype(np.float32)
    for beta in (0.0, 0.3, 1.0):
        ours = pe.nn.SmoothL1Loss(beta=beta)(pe.tensor(x), pe.tensor(t)).item()
        ref = torch.nn.SmoothL1Loss(beta=beta)(torch.tensor(x), torch.tensor(t)).item()
        assert abs(ours - ref) <= 1e-6 * max(1.0, abs(ref))
    a, b = pe.tensor(x, requires_grad=True), torch.tensor(x, requires_grad=True)
    F.huber_loss(a, pe.tensor(t), delta=0.7).backward()
    TF.huber_loss(b, torch.tensor(t), delta=0.7).backward()
    np.testing.assert_allclose(a.grad.numpy(), b.grad.numpy(), rtol=1e-5, atol=1e-7)
