"""pe.optim.LBFGS and the added learning-rate schedulers, against PyTorch where installed."""
import math

import numpy as np
import pytest

import pyengine as pe
from pyengine import optim
from pyengine.optim import lr_scheduler as sched

try:
    import torch
except ImportError:  # optional cross-check
    torch = None

needs_torch = pytest.mark.skipif(torch is None, reason="PyTorch not installed")


def _rosenbrock_closure(opt, w):
    def closure():
        opt.zero_grad()
        loss = (1 - w[0]) ** 2 + 100 * (w[1] - w[0] ** 2) ** 2
        loss.backward()
        return loss
    return closure


def test_lbfgs_minimises_and_matches_torch():
    w = pe.tensor([-1.5, 2.0], dtype=pe.float64, requires_grad=True)
    opt = optim.LBFGS([w], lr=0.5, max_iter=50, history_size=10)
    for _ in range(20):
        opt.step(_rosenbrock_closure(opt, w))
    np.testing.assert_allclose(w.data, [1.0, 1.0], atol=1e-3)
    with pytest.raises(ValueError, match="closure"):
        opt.step()
    with pytest.raises(ValueError, match="strong_wolfe"):
        optim.LBFGS([w], line_search_fn="strong_wolfe")
    if torch is None:
        return
    w = pe.tensor([-1.5, 2.0], dtype=pe.float64, requires_grad=True)
    tw = torch.tensor([-1.5, 2.0], dtype=torch.float64, requires_grad=True)
    opt = optim.LBFGS([w], lr=0.3, max_iter=7, history_size=4)
    topt = torch.optim.LBFGS([tw], lr=0.3, max_iter=7, history_size=4)
    for _ in range(3):
        opt.step(_rosenbrock_closure(opt, w))
        topt.step(_rosenbrock_closure(topt, tw))
        np.testing.assert_allclose(w.data, tw.detach().numpy(), rtol=1e-9)


SCHEDULERS = [
    ("LambdaLR", dict(lr_lambda=lambda e: 0.95 ** e)),
    ("MultiplicativeLR", dict(lr_lambda=lambda e: 0.9)),
    ("MultiStepLR", dict(milestones=[3, 7], gamma=0.5)),
    ("LinearLR", dict(start_factor=0.25, total_iters=4)),
    ("ConstantLR", dict(factor=0.5, total_iters=3)),
    ("PolynomialLR", dict(total_iters=8, power=2.0)),
    ("CosineAnnealingLR", dict(T_max=6, eta_min=0.01)),
    ("CosineAnnealingWarmRestarts", dict(T_0=3, T_mult=2, eta_min=0.001)),
    ("OneCycleLR", dict(max_lr=0.5, total_steps=12)),
    ("OneCycleLR", dict(max_lr=0.5, epochs=3, steps_per_epoch=4, three_phase=True,
                        anneal_strategy="linear")),
    ("CyclicLR", dict(base_lr=0.01, max_lr=0.1, step_size_up=3)),
    ("CyclicLR", dict(base_lr=0.01, max_lr=0.1, step_size_up=2, step_size_down=3,
                      mode="triangular2")),
    ("CyclicLR", dict(base_lr=0.01, max_lr=0.1, step_size_up=2, mode="exp_range",
                      gamma=0.9)),
]


@needs_torch
@pytest.mark.parametrize("name,kw", SCHEDULERS, ids=[s[0] + str(i) for i, s in
                                                      enumerate(SCHEDULERS)])
def test_schedulers_match_torch(name, kw):
    w = pe.zeros(2, requires_grad=True)
    tw = torch.zeros(2, requires_grad=True)
    opt = optim.SGD([w], lr=0.1, momentum=0.9)
    topt = torch.optim.SGD([tw], lr=0.1, momentum=0.9)
    s = getattr(sched, name)(opt, **kw)
    ts = getattr(torch.optim.lr_scheduler, name)(topt, **kw)
    for _ in range(12 if name == "OneCycleLR" else 15):
        assert math.isclose(opt.param_groups[0]["lr"], topt.param_groups[0]["lr"],
                            rel_tol=1e-9, abs_tol=1e-12), name
        assert math.isclose(opt.param_groups[0]["momentum"], topt.param_groups[0]["momentum"],
                            rel_tol=1e-9)
        opt.step()
        topt.step()
        s.step()
        ts.step()
    assert s.get_last_lr() == pytest.approx(ts.get_last_lr())


def test_scheduler_formulas_without_torch():
    w = pe.zeros(2, requires_grad=True)
    opt = optim.SGD([w], lr=1.0)
    s = sched.CosineAnnealingLR(opt, T_max=4)
    lrs = []
    for _ in range(5):
        lrs.append(opt.param_groups[0]["lr"])
        s.step()
    np.testing.assert_allclose(lrs, [(1 + math.cos(math.pi * e / 4)) / 2 for e in range(5)])
    opt = optim.Adam([w], lr=1.0)
    oc = sched.OneCycleLR(opt, max_lr=1.0, total_steps=4)
    assert opt.param_groups[0]["betas"][0] == 0.95
    for _ in range(3):
        oc.step()
    with pytest.raises(ValueError, match="total steps"):
        oc.step()
        oc.step()
    with pytest.raises(ValueError, match="momentum"):
        sched.CyclicLR(optim.Adagrad([w]), 0.1, 1.0)
    with pytest.raises(ValueError, match="total_steps"):
        sched.OneCycleLR(optim.SGD([w], lr=1.0), max_lr=1.0)
