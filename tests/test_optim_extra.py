"""Adadelta, Adamax, NAdam (fused C++ updates) against NumPy float64 references of PyTorch's
formulas, on every ISA and 1 vs 2 threads, and against PyTorch where installed."""
import numpy as np
import pytest

import pyengine as pe
from pyengine import optim

try:
    import torch
except ImportError:  # optional cross-check
    torch = None

needs_torch = pytest.mark.skipif(torch is None, reason="PyTorch not installed")
SHAPES = [(3, 4), (5,), (70000,)]  # the last one is above the threading grain
STEPS = 5


def adadelta_ref(p, g, s, t, lr=1.0, rho=0.9, eps=1e-6, weight_decay=0.0, maximize=False):
    g = (-g if maximize else g) + weight_decay * p
    s["v"] = rho * s.get("v", 0) + (1 - rho) * g * g
    delta = np.sqrt(s.get("u", 0) + eps) / np.sqrt(s["v"] + eps) * g
    s["u"] = rho * s.get("u", 0) + (1 - rho) * delta * delta
    return p - lr * delta


def adamax_ref(p, g, s, t, lr=2e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=0.0,
               maximize=False):
    b1, b2 = betas
    g = (-g if maximize else g) + weight_decay * p
    s["m"] = b1 * s.get("m", 0) + (1 - b1) * g
    s["u"] = np.maximum(b2 * s.get("u", 0), np.abs(g) + eps)
    return p - lr / (1 - b1 ** t) * s["m"] / s["u"]


def nadam_ref(p, g, s, t, lr=2e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=0.0,
              momentum_decay=4e-3, decoupled_weight_decay=False, maximize=False):
    b1, b2 = betas
    g = -g if maximize else g
    if decoupled_weight_decay:
        p = p * (1 - lr * weight_decay)
    else:
        g = g + weight_decay * p
    mu = b1 * (1 - 0.5 * 0.96 ** (t * momentum_decay))
    mu_next = b1 * (1 - 0.5 * 0.96 ** ((t + 1) * momentum_decay))
    s["prod"] = s.get("prod", 1.0) * mu
    s["m"] = b1 * s.get("m", 0) + (1 - b1) * g
    s["v"] = b2 * s.get("v", 0) + (1 - b2) * g * g
    denom = np.sqrt(s["v"] / (1 - b2 ** t)) + eps
    return p - lr * (1 - mu) / (1 - s["prod"]) * g / denom \
        - lr * mu_next / (1 - s["prod"] * mu_next) * s["m"] / denom


CASES = [
    (optim.Adadelta, adadelta_ref, dict()),
    (optim.Adadelta, adadelta_ref, dict(lr=0.5, rho=0.8, weight_decay=0.1, maximize=True)),
    (optim.Adamax, adamax_ref, dict(lr=0.01)),
    (optim.Adamax, adamax_ref, dict(lr=0.01, betas=(0.8, 0.9), weight_decay=0.1)),
    (optim.NAdam, nadam_ref, dict(lr=0.01)),
    (optim.NAdam, nadam_ref, dict(lr=0.01, weight_decay=0.1, momentum_decay=0.01)),
    (optim.NAdam, nadam_ref, dict(lr=0.01, weight_decay=0.1, decoupled_weight_decay=True,
                                  maximize=True)),
]
IDS = [f"{c.__name__}{i}" for i, (c, _, _) in enumerate(CASES)]


def _run(cls, kw, dtype):
    rng = np.random.default_rng(0)
    params = [pe.tensor(rng.standard_normal(s), dtype=dtype, requires_grad=True) for s in SHAPES]
    start = [p._data.astype(np.float64) for p in params]
    opt = cls(params, **kw)
    grads = []
    for t in range(1, STEPS + 1):
        gs = [np.random.default_rng(100 + t).standard_normal(s) for s in SHAPES]
        grads.append(gs)
        for p, g in zip(params, gs):
            p.grad = pe.tensor(g, dtype=dtype)
        opt.step()
    return params, start, grads


@pytest.mark.parametrize("cls,ref,kw", CASES, ids=IDS)
@pytest.mark.parametrize("dtype", [pe.float64, pe.float32])
def test_update_rule_against_numpy(cls, ref, kw, dtype, isa):
    params, want, grads = _run(cls, kw, dtype)
    states = [{} for _ in params]
    for t, gs in enumerate(grads, 1):
        want = [ref(w, g, s, t, **kw) for w, g, s in zip(want, gs, states)]
    tol = dict(rtol=1e-11, atol=1e-12) if dtype == pe.float64 else dict(rtol=2e-5, atol=2e-6)
    for p, w in zip(params, want):
        np.testing.assert_allclose(p.data, w, **tol)


@pytest.mark.parametrize("cls,ref,kw", CASES[::2], ids=IDS[::2])
def test_one_and_two_threads_agree(cls, ref, kw, threads):
    threads(1)
    a, _, _ = _run(cls, kw, pe.float32)
    threads(2)
    b, _, _ = _run(cls, kw, pe.float32)
    for x, y in zip(a, b):
        np.testing.assert_array_equal(x.data, y.data)


@needs_torch
@pytest.mark.parametrize("name,kw", [("Adadelta", dict(lr=0.5, weight_decay=0.1)),
                                     ("Adamax", dict(lr=0.01)), ("NAdam", dict(lr=0.01)),
                                     ("NAdam", dict(lr=0.01, weight_decay=0.1,
                                                    decoupled_weight_decay=True))])
def test_against_torch(name, kw):
    params, _, grads = _run(getattr(optim, name), kw, pe.float64)
    rng = np.random.default_rng(0)
    tp = [torch.tensor(rng.standard_normal(s), requires_grad=True) for s in SHAPES]
    topt = getattr(torch.optim, name)(tp, **kw)
    for gs in grads:
        for p, g in zip(tp, gs):
            p.grad = torch.tensor(g)
        topt.step()
    for p, q in zip(params, tp):
        # float64; torch folds the bias corrections in another order (NAdam: ~1e-9 apart)
        np.testing.assert_allclose(p.data, q.detach().numpy(), rtol=1e-8, atol=1e-9)


def test_state_dict_round_trip_and_validation():
    params, _, _ = _run(optim.NAdam, dict(lr=0.01), pe.float64)
    opt = optim.NAdam(params, lr=0.01)
    for p in params:
        p.grad = pe.ones_like(p).double()
    opt.step()
    other = optim.NAdam(params, lr=0.01)
    other.load_state_dict(opt.state_dict())
    assert other.state[params[0]]["mu_product"] == opt.state[params[0]]["mu_product"]
    with pytest.raises(ValueError, match="Invalid rho"):
        optim.Adadelta(params, rho=1.5)
    with pytest.raises(ValueError, match="beta parameter"):
        optim.Adamax(params, betas=(1.0, 0.9))
    from pyengine import _C
    p = np.zeros(3, np.float32)
    with pytest.raises(ValueError, match=r"\[nadam\].*coefficients"):
        _C.nadam_step([p], [p.copy()], [p.copy()], [p.copy()], [], [], [], 0.1, 0.9, 0.999,
                      1e-8, 0.0, False, False)
    with pytest.raises(TypeError, match=r"\[adadelta\]"):
        _C.adadelta_step([p], [p.astype(np.float64)], [p.copy()], [p.copy()], 1.0, 0.9, 1e-6,
                         0.0, False)
