"""Optimizers against hand-written NumPy update rules over several steps; schedulers;
gradient clipping; state_dict round trips; PyTorch cross-checks when it is installed."""
import math

import numpy as np
import pytest

import pyengine as pe
from pyengine import optim

try:
    import torch
except ImportError:  # optional cross-check
    torch = None

needs_torch = pytest.mark.skipif(torch is None, reason="PyTorch not installed")
SHAPES = [(3, 4), (5,), (1, 2, 3)]
STEPS = 5


# ---- NumPy references: one function per rule, state in a dict, g already computed --------------
def sgd_ref(p, g, s, t, lr, momentum=0.0, dampening=0.0, weight_decay=0.0, nesterov=False,
            maximize=False):
    g = -g if maximize else g
    g = g + weight_decay * p
    if momentum:
        s["buf"] = g.copy() if t == 1 else momentum * s["buf"] + (1 - dampening) * g
        g = g + momentum * s["buf"] if nesterov else s["buf"]
    return p - lr * g


def adam_ref(p, g, s, t, lr, betas=(0.9, 0.999), eps=1e-8, weight_decay=0.0, amsgrad=False,
             maximize=False, decoupled=False):
    b1, b2 = betas
    g = -g if maximize else g
    if decoupled:
        p = p * (1 - lr * weight_decay)
    else:
        g = g + weight_decay * p
    s["m"] = b1 * s.get("m", 0) + (1 - b1) * g
    s["v"] = b2 * s.get("v", 0) + (1 - b2) * g * g
    vhat = s["v"]
    if amsgrad:
        s["vmax"] = vhat = np.maximum(s.get("vmax", 0), s["v"])
    mhat = s["m"] / (1 - b1 ** t)
    return p - lr * mhat / (np.sqrt(vhat / (1 - b2 ** t)) + eps)


def rmsprop_ref(p, g, s, t, lr, alpha=0.99, eps=1e-8, weight_decay=0.0, momentum=0.0,
                centered=False, maximize=False):
    g = -g if maximize else g
    g = g + weight_decay * p
    s["sq"] = alpha * s.get("sq", 0) + (1 - alpha) * g * g
    var = s["sq"]
    if centered:
        s["ga"] = alpha * s.get("ga", 0) + (1 - alpha) * g
        var = var - s["ga"] ** 2
    upd = g / (np.sqrt(var) + eps)
    if momentum:
        s["buf"] = momentum * s.get("buf", 0) + upd
        upd = s["buf"]
    return p - lr * upd


def adagrad_ref(p, g, s, t, lr, lr_decay=0.0, weight_decay=0.0, initial_accumulator_value=0.0,
                eps=1e-10, maximize=False):
    g = -g if maximize else g
    g = g + weight_decay * p
    clr = lr / (1 + (t - 1) * lr_decay)
    s["sum"] = s.get("sum", initial_accumulator_value) + g * g
    return p - clr * g / (np.sqrt(s["sum"]) + eps)


CASES = [
    (optim.SGD, sgd_ref, dict(lr=0.1)),
    (optim.SGD, sgd_ref, dict(lr=0.1, momentum=0.9)),
    (optim.SGD, sgd_ref, dict(lr=0.1, momentum=0.9, dampening=0.3, weight_decay=0.01)),
    (optim.SGD, sgd_ref, dict(lr=0.05, momentum=0.8, nesterov=True, weight_decay=0.1)),
    (optim.SGD, sgd_ref, dict(lr=0.05, maximize=True, weight_decay=0.1)),
    (optim.Adam, adam_ref, dict(lr=0.01)),
    (optim.Adam, adam_ref, dict(lr=0.01, betas=(0.8, 0.99), weight_decay=0.1, eps=1e-6)),
    (optim.Adam, adam_ref, dict(lr=0.01, amsgrad=True, maximize=True)),
    (optim.AdamW, lambda *a, **k: adam_ref(*a, decoupled=True, **k),
     dict(lr=0.01, weight_decay=0.01)),
    (optim.AdamW, lambda *a, **k: adam_ref(*a, decoupled=True, **k),
     dict(lr=0.02, weight_decay=0.3, amsgrad=True)),
    (optim.RMSprop, rmsprop_ref, dict(lr=0.01)),
    (optim.RMSprop, rmsprop_ref, dict(lr=0.01, alpha=0.9, centered=True, momentum=0.5,
                                      weight_decay=0.1)),
    (optim.Adagrad, adagrad_ref, dict(lr=0.1)),
    (optim.Adagrad, adagrad_ref, dict(lr=0.1, lr_decay=0.01, weight_decay=0.1,
                                      initial_accumulator_value=0.5)),
]


def make_params(dtype, seed=0):
    rng = np.random.default_rng(seed)
    return [pe.tensor(rng.standard_normal(s), dtype=dtype, requires_grad=True) for s in SHAPES]


def grads_for(step, seed=1):
    rng = np.random.default_rng(seed + step)
    return [rng.standard_normal(s) for s in SHAPES]


@pytest.mark.parametrize("cls,ref,kw", CASES, ids=lambda v: getattr(v, "__name__", str(v)))
@pytest.mark.parametrize("dtype", [pe.float64, pe.float32])
def test_update_rule_against_numpy(cls, ref, kw, dtype):
    params = make_params(dtype)
    want = [p._data.astype(np.float64) for p in params]
    states = [{} for _ in params]
    opt = cls(params, **kw)
    for t in range(1, STEPS + 1):
        gs = grads_for(t)
        for p, g in zip(params, gs):
            p.grad = pe.tensor(g, dtype=dtype)
        opt.step()
        want = [ref(w, g, s, t, **kw) for w, g, s in zip(want, gs, states)]
    tol = dict(rtol=1e-12, atol=1e-12) if dtype == pe.float64 else dict(rtol=1e-5, atol=1e-6)
    for p, w in zip(params, want):
        np.testing.assert_allclose(p.data, w, **tol)


def test_param_without_grad_is_skipped_and_state_is_lazy():
    a, b = make_params(pe.float64)[:2]
    opt = optim.Adam([a, b], lr=0.1)
    b_before = b._data.copy()
    a.grad = pe.ones_like(a).double()
    opt.step()
    np.testing.assert_array_equal(b.data, b_before)
    assert a in opt.state and b not in opt.state
    assert opt.state[a]["step"] == 1


def test_param_groups_use_their_own_hyperparameters():
    a, b = make_params(pe.float64)[:2]
    opt = optim.SGD([{"params": [a]}, {"params": [b], "lr": 1.0}], lr=0.1)
    a0, b0 = a._data.copy(), b._data.copy()
    a.grad, b.grad = pe.ones_like(a).double(), pe.ones_like(b).double()
    opt.step()
    np.testing.assert_allclose(a.data, a0 - 0.1)
    np.testing.assert_allclose(b.data, b0 - 1.0)


def test_zero_grad():
    (a,) = make_params(pe.float64)[:1]
    opt = optim.SGD([a], lr=0.1)
    a.grad = pe.ones_like(a).double()
    opt.zero_grad(set_to_none=False)
    assert np.all(a.grad._data == 0)
    opt.zero_grad()
    assert a.grad is None


def test_trains_a_quadratic_with_autograd():
    w = pe.tensor([3.0, -2.0], requires_grad=True)
    opt = optim.Adam([w], lr=0.1)
    for _ in range(300):
        opt.zero_grad()
        ((w - pe.tensor([1.0, 0.5])) ** 2).sum().backward()
        opt.step()
    np.testing.assert_allclose(w.data, [1.0, 0.5], atol=1e-2)


@pytest.mark.parametrize("cls,kw,msg", [
    (optim.SGD, dict(lr=-1), "Invalid learning rate: -1"),
    (optim.SGD, dict(lr=0.1, momentum=-0.5), "Invalid momentum value: -0.5"),
    (optim.SGD, dict(lr=0.1, nesterov=True), "Nesterov momentum requires"),
    (optim.Adam, dict(betas=(1.0, 0.999)), "Invalid beta parameter at index 0: 1.0"),
    (optim.Adam, dict(betas=(0.9, -0.1)), "Invalid beta parameter at index 1"),
    (optim.Adam, dict(eps=-1e-8), "Invalid epsilon value"),
    (optim.AdamW, dict(weight_decay=-1), "Invalid weight_decay value: -1"),
    (optim.RMSprop, dict(alpha=-0.1), "Invalid alpha value"),
    (optim.Adagrad, dict(lr_decay=-1), "Invalid lr_decay value"),
])
def test_hyperparameter_validation(cls, kw, msg):
    with pytest.raises(ValueError, match=msg.replace("(", r"\(")):
        cls(make_params(pe.float32), **kw)


def test_bad_inputs_raise_clear_errors():
    with pytest.raises(ValueError, match="empty parameter list"):
        optim.SGD([], lr=0.1)
    with pytest.raises(TypeError, match="iterable"):
        optim.SGD(pe.ones(2, requires_grad=True), lr=0.1)
    a = make_params(pe.float32)[0]
    with pytest.raises(ValueError, match="more than one parameter group"):
        optim.SGD([{"params": [a]}, {"params": [a]}], lr=0.1)
    from pyengine import _C
    p, g = np.zeros((2, 3), np.float32), np.zeros((3, 2), np.float32)
    with pytest.raises(ValueError, match=r"\[sgd\] param 0 and grad 0 shapes differ"):
        _C.sgd_step([p], [g], [None], [False], 0.1, 0.0, 0.0, 0.0, False, False)
    with pytest.raises(TypeError, match=r"\[adam\] grad 0 must be float32"):
        _C.adam_step([p], [g.astype(np.float64).T], [p.copy()], [p.copy()], [None], [1],
                     0.1, 0.9, 0.999, 1e-8, 0.0, False, False, False)
    with pytest.raises(ValueError, match="C-contiguous"):
        _C.adagrad_step([p], [np.zeros((3, 2), np.float32).T], [p.copy()], [1], 0.1, 0, 0,
                        1e-10, False)


@pytest.mark.parametrize("cls,kw", [(optim.SGD, dict(lr=0.1, momentum=0.9)),
                                    (optim.Adam, dict(lr=0.01, amsgrad=True)),
                                    (optim.RMSprop, dict(centered=True, momentum=0.3)),
                                    (optim.Adagrad, dict(lr=0.1))])
def test_state_dict_round_trip_continues_identically(cls, kw, tmp_path):
    pa, pb = make_params(pe.float64), make_params(pe.float64)
    oa = cls(pa, **kw)
    for t in (1, 2):
        for p, g in zip(pa, grads_for(t)):
            p.grad = pe.tensor(g, dtype=pe.float64)
        oa.step()
    for p, q in zip(pa, pb):
        q.data[...] = p.data
    pe.save(oa.state_dict(), tmp_path / "opt.pe")
    ob = cls(pb, lr=123.0)  # hyperparameters come back from the state dict too
    ob.load_state_dict(pe.load(tmp_path / "opt.pe"))
    assert ob.param_groups[0]["lr"] == oa.param_groups[0]["lr"]
    for t in (3, 4):
        for ps in (pa, pb):
            for p, g in zip(ps, grads_for(t)):
                p.grad = pe.tensor(g, dtype=pe.float64)
        oa.step()
        ob.step()
    for p, q in zip(pa, pb):
        np.testing.assert_array_equal(p.data, q.data)


def test_load_state_dict_rejects_mismatch():
    oa = optim.SGD(make_params(pe.float32), lr=0.1)
    ob = optim.SGD(make_params(pe.float32)[:2], lr=0.1)
    with pytest.raises(ValueError, match="parameter group has 3 parameters"):
        ob.load_state_dict(oa.state_dict())


# ---- schedulers --------------------------------------------------------------------------------
def test_step_and_exponential_lr():
    opt = optim.SGD(make_params(pe.float32), lr=1.0)
    sched = optim.lr_scheduler.StepLR(opt, step_size=2, gamma=0.5)
    lrs = []
    for _ in range(6):
        lrs.append(opt.param_groups[0]["lr"])
        opt.step()
        sched.step()
    assert lrs == [1.0, 1.0, 0.5, 0.5, 0.25, 0.25]
    opt = optim.SGD(make_params(pe.float32), lr=2.0)
    sched = optim.lr_scheduler.ExponentialLR(opt, gamma=0.9)
    for _ in range(3):
        sched.step()
    assert math.isclose(sched.get_last_lr()[0], 2.0 * 0.9 ** 3)


def test_step_lr_takes_a_whole_float_step_size_as_pytorch():
    """PyTorch's text-classification tutorial passes step_size=1.0: a whole float is the int.
    A fractional one is refused (PyTorch decays where epoch % step_size == 0, 1.5: epochs 3, 6),
    as are bools, zero, negatives, inf and non-numbers."""
    opt = optim.SGD(make_params(pe.float32), lr=1.0)
    sched = optim.lr_scheduler.StepLR(opt, 2.0, gamma=0.5)
    lrs = []
    for _ in range(5):
        lrs.append(opt.param_groups[0]["lr"])
        opt.step()
        sched.step()
    assert lrs == [1.0, 1.0, 0.5, 0.5, 0.25] and sched.step_size == 2
    for bad in (1.5, True, 0, -2, float("inf"), "2", None):
        with pytest.raises(ValueError, match="step_size must be a positive whole number"):
            optim.lr_scheduler.StepLR(opt, bad)


def test_reduce_lr_on_plateau():
    opt = optim.SGD(make_params(pe.float32), lr=1.0)
    sched = optim.lr_scheduler.ReduceLROnPlateau(opt, factor=0.5, patience=2, cooldown=1,
                                                 min_lr=0.2)
    lrs = []
    for metric in [5, 4] + [4] * 12:
        sched.step(metric)
        lrs.append(opt.param_groups[0]["lr"])
    # 3 bad epochs (> patience) reduce; the epoch after a reduction is cooldown; min_lr floors
    assert lrs == [1, 1, 1, 1, 0.5, 0.5, 0.5, 0.5, 0.25, 0.25, 0.25, 0.25, 0.2, 0.2]
    with pytest.raises(ValueError, match="Factor should be < 1.0"):
        optim.lr_scheduler.ReduceLROnPlateau(opt, factor=1.5)


# ---- gradient clipping -------------------------------------------------------------------------
@pytest.mark.parametrize("norm_type", [2.0, 1.0, math.inf])
def test_clip_grad_norm(norm_type):
    params = make_params(pe.float64)
    gs = grads_for(0)
    for p, g in zip(params, gs):
        p.grad = pe.tensor(g * 3, dtype=pe.float64)
    flat = np.concatenate([g.ravel() * 3 for g in gs])
    total = np.linalg.norm(flat, ord=norm_type)
    got = pe.nn.utils.clip_grad_norm_(params, max_norm=1.0, norm_type=norm_type)
    np.testing.assert_allclose(got.item(), total, rtol=1e-12)
    clipped = np.concatenate([p.grad._data.ravel() for p in params])
    np.testing.assert_allclose(clipped, flat / (total + 1e-6), rtol=1e-12)
    assert pe.nn.utils.clip_grad_norm_(params, max_norm=100.0, norm_type=norm_type).item() < 100


def test_clip_grad_value():
    p = pe.tensor([1.0, 2.0], requires_grad=True)
    p.grad = pe.tensor([-3.0, 0.5])
    pe.nn.utils.clip_grad_value_([p], 1.0)
    np.testing.assert_array_equal(p.grad.data, [-1.0, 0.5])


# ---- PyTorch cross-check -----------------------------------------------------------------------
@needs_torch
@pytest.mark.parametrize("cls,ref,kw", CASES, ids=lambda v: getattr(v, "__name__", str(v)))
def test_against_torch(cls, ref, kw):
    params = make_params(pe.float64)
    tparams = [torch.tensor(p._data.copy(), requires_grad=True) for p in params]
    opt = cls(params, **kw)
    topt = getattr(torch.optim, cls.__name__)(tparams, **kw)
    for t in range(1, STEPS + 1):
        for p, tp, g in zip(params, tparams, grads_for(t)):
            p.grad = pe.tensor(g, dtype=pe.float64)
            tp.grad = torch.tensor(g)
        opt.step()
        topt.step()
    for p, tp in zip(params, tparams):
        np.testing.assert_allclose(p.data, tp.detach().numpy(), rtol=1e-10, atol=1e-12)


# ---- every ISA path and thread count gives the same update -------------------------------------
def _isas():
    order = ["generic", "avx2", "avx512"]
    return order[:order.index(pe._C.cpu_isa_detected()) + 1]


@pytest.mark.parametrize("cls,kw", [(optim.SGD, dict(lr=0.1, momentum=0.9, nesterov=True)),
                                    (optim.Adam, dict(lr=0.01, amsgrad=True)),
                                    (optim.AdamW, dict(lr=0.01)),
                                    (optim.RMSprop, dict(centered=True, momentum=0.3)),
                                    (optim.Adagrad, dict(lr=0.1))])
def test_isa_paths_and_threads_agree(cls, kw):
    rng = np.random.default_rng(3)
    p0 = rng.standard_normal(300_001).astype(np.float32)  # large enough to use threads
    gs = [rng.standard_normal(p0.size).astype(np.float32) for _ in range(3)]
    saved_isa, saved_threads = pe._C.cpu_isa(), pe.get_num_threads()
    results = {}
    try:
        for isa in _isas():
            for threads in (1, 2):
                pe._C.set_cpu_isa(isa)
                pe.set_num_threads(threads)
                p = pe.tensor(p0.copy(), requires_grad=True)
                opt = cls([p], **kw)
                for g in gs:
                    p.grad = pe.tensor(g)
                    opt.step()
                results[isa, threads] = p._data.copy()
    finally:
        pe._C.set_cpu_isa(saved_isa)
        pe.set_num_threads(saved_threads)
    ref = results["generic", 1]
    for key, got in results.items():
        # the same algorithm per element; FMA contraction may differ between ISAs in the last ulp
        np.testing.assert_allclose(got, ref, rtol=1e-5, atol=1e-6, err_msg=str(key))
        # the thread count never changes a bit
        np.testing.assert_array_equal(got, results[key[0], 1], err_msg=f"threads {key}")


def test_scheduler_state_dict_round_trip(tmp_path):
    opt = optim.SGD(make_params(pe.float32), lr=1.0)
    a = optim.lr_scheduler.StepLR(opt, step_size=2, gamma=0.5)
    p = optim.lr_scheduler.ReduceLROnPlateau(opt, patience=0)
    for _ in range(3):
        a.step()
    p.step(1.0)
    pe.save({"step": a.state_dict(), "plateau": p.state_dict()}, tmp_path / "s.pe")
    back = pe.load(tmp_path / "s.pe")
    opt2 = optim.SGD(make_params(pe.float32), lr=1.0)
    a2 = optim.lr_scheduler.StepLR(opt2, step_size=2, gamma=0.5)
    p2 = optim.lr_scheduler.ReduceLROnPlateau(opt2, patience=0)
    a2.load_state_dict(back["step"])
    p2.load_state_dict(back["plateau"])
    a.step()
    a2.step()
    assert a.get_last_lr() == a2.get_last_lr() == [0.25]
    assert p2.best == 1.0 and p2.last_epoch == 1
