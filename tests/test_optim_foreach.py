"""The optimizers' steady state (optimizer.py's plan + backend.cpu.<algo>_foreach): the same bits
as the general per-group path on every ISA and thread count, a NumPy float64 reference, the
fallbacks (missing grad, grad needing a copy, replaced params list / state) and the C++ checks."""
import numpy as np
import pytest

import pyengine as pe
from pyengine import optim
from pyengine.backend import cpu as _cpu

SHAPES = [(7, 5), (5,), (2, 3, 4), (300_001,)]  # the last one is updated on threads
CONFIGS = [
    (optim.SGD, dict(lr=0.1)),
    (optim.SGD, dict(lr=0.1, momentum=0.9)),
    (optim.SGD, dict(lr=0.1, momentum=0.9, nesterov=True, weight_decay=0.01)),
    (optim.SGD, dict(lr=0.1, momentum=0.5, dampening=0.3, maximize=True)),
    (optim.Adam, dict(lr=0.01)),
    (optim.Adam, dict(lr=0.01, amsgrad=True, weight_decay=0.1)),
    (optim.AdamW, dict(lr=0.01, maximize=True)),
    (optim.RMSprop, dict(lr=0.01)),
    (optim.RMSprop, dict(lr=0.01, centered=True, momentum=0.3, weight_decay=0.1)),
    (optim.Adagrad, dict(lr=0.1, lr_decay=0.01, initial_accumulator_value=0.1)),
    (optim.Adadelta, dict(lr=1.0, weight_decay=0.1)),
    (optim.Adamax, dict(lr=0.01, maximize=True)),
]
IDS = [f"{c.__name__}-{'-'.join(f'{k}={v}' for k, v in kw.items())}" for c, kw in CONFIGS]
STEPS = 4


def _isas():
    order = ["generic", "avx2", "avx512"]
    return order[:order.index(pe._C.cpu_isa_detected()) + 1]


def _grads(dtype, steps=STEPS, seed=5):
    rng = np.random.default_rng(seed)
    return [[rng.standard_normal(s).astype(dtype) for s in SHAPES] for _ in range(steps)]


def _run(cls, kw, dtype, general, grads):
    """Params and state after len(grads) steps; `general`: never take the plan."""
    rng = np.random.default_rng(1)
    params = [pe.tensor(rng.standard_normal(s).astype(dtype), requires_grad=True) for s in SHAPES]
    opt = cls(params, **kw)
    if general:
        opt._step_foreach = None
    for gs in grads:
        for p, g in zip(params, gs):
            p.grad = pe.tensor(g.copy())
        opt.step()
    assert (0 in opt._plans) != general  # the plan is used exactly when allowed
    state = [{k: (v.copy() if isinstance(v, np.ndarray) else v) for k, v in opt.state[p].items()}
             for p in params]
    return [p._data.copy() for p in params], state


def _assert_same(a, b, what):
    (pa, sa), (pb, sb) = a, b
    for x, y in zip(pa, pb):
        np.testing.assert_array_equal(x, y, err_msg=what)
    for x, y in zip(sa, sb):
        assert x.keys() == y.keys(), what
        for k in x:
            np.testing.assert_array_equal(x[k], y[k], err_msg=f"{what}: state {k}")


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("cls,kw", CONFIGS, ids=IDS)
def test_plan_matches_general_path_bitwise_on_every_isa_and_thread_count(cls, kw, dtype):
    grads = _grads(dtype)
    saved_isa, saved_threads = pe._C.cpu_isa(), pe.get_num_threads()
    try:
        for isa in _isas():
            pe._C.set_cpu_isa(isa)
            results = {}
            for threads in (1, 2):
                pe.set_num_threads(threads)
                results[threads] = _run(cls, kw, dtype, False, grads)
                _assert_same(results[threads], _run(cls, kw, dtype, True, grads),
                             f"{isa}, {threads} threads: plan vs general")
            _assert_same(results[1], results[2], f"{isa}: 1 vs 2 threads")
    finally:
        pe._C.set_cpu_isa(saved_isa)
        pe.set_num_threads(saved_threads)


def _reference(cls, kw, p, gs):
    """NumPy float64 SGD (momentum, nesterov) / Adam (amsgrad) over the steps gs."""
    p = p.astype(np.float64)
    buf = m = v = vmax = None
    for t, g in enumerate(gs, 1):
        g = g.astype(np.float64)
        if cls is optim.SGD:
            g = g + kw["weight_decay"] * p
            buf = g.copy() if t == 1 else kw["momentum"] * buf + g
            p = p - kw["lr"] * (g + kw["momentum"] * buf)
        else:
            b1, b2 = 0.9, 0.999
            g = g + kw["weight_decay"] * p
            m = (1 - b1) * g if t == 1 else b1 * m + (1 - b1) * g
            v = (1 - b2) * g * g if t == 1 else b2 * v + (1 - b2) * g * g
            vmax = v if t == 1 else np.maximum(vmax, v)
            denom = np.sqrt(vmax) / np.sqrt(1 - b2 ** t) + 1e-8
            p = p - kw["lr"] / (1 - b1 ** t) * m / denom
    return p


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("cls,kw", [
    (optim.SGD, dict(lr=0.1, momentum=0.9, nesterov=True, weight_decay=0.01)),
    (optim.Adam, dict(lr=0.01, amsgrad=True, weight_decay=0.1))])
def test_plan_against_numpy_float64(cls, kw, dtype):
    grads = _grads(dtype, steps=6)
    got, _ = _run(cls, kw, dtype, False, grads)
    rng = np.random.default_rng(1)
    tol = dict(rtol=1e-12, atol=1e-12) if dtype == np.float64 else dict(rtol=2e-5, atol=2e-6)
    for i, s in enumerate(SHAPES):
        p0 = rng.standard_normal(s).astype(dtype)
        want = _reference(cls, kw, p0, [gs[i] for gs in grads])
        np.testing.assert_allclose(got[i], want, **tol)


def _model_opt(cls=optim.Adam, **kw):
    rng = np.random.default_rng(0)
    params = [pe.tensor(rng.standard_normal(s).astype(np.float32), requires_grad=True)
              for s in [(4, 3), (3,)]]
    return params, cls(params, **kw)


def _set_grads(params, seed):
    rng = np.random.default_rng(seed)
    for p in params:
        p.grad = pe.tensor(rng.standard_normal(p.shape).astype(np.float32))


def test_steady_state_makes_no_general_call_and_counts_steps(monkeypatch):
    params, opt = _model_opt()
    _set_grads(params, 0)
    opt.step()
    monkeypatch.setattr(opt, "_step_group", lambda g: pytest.fail("general path taken"))
    for t in range(2, 5):
        _set_grads(params, t)
        opt.step()
        assert all(opt.state[p]["step"] == t for p in params)
        assert all(type(opt.state[p]["step"]) is int for p in params)


def test_fallbacks_give_the_general_paths_result():
    # a missing grad, a non-contiguous float64 grad, a replaced params list, load_state_dict
    runs = []
    for general in (False, True):
        params, opt = _model_opt(optim.SGD, lr=0.1, momentum=0.9)
        if general:
            opt._step_foreach = None
        _set_grads(params, 0)
        opt.step()
        _set_grads(params, 1)
        params[1].grad = None
        opt.step()  # params[1] is skipped
        _set_grads(params, 2)
        params[0].grad = pe.tensor(np.asfortranarray(params[0].grad._data.astype(np.float64)))
        opt.step()
        opt.param_groups[0]["params"] = list(params)
        _set_grads(params, 3)
        opt.step()
        opt.load_state_dict(opt.state_dict())
        assert not opt._plans
        _set_grads(params, 4)
        opt.step()
        _set_grads(params, 5)
        opt.step()
        runs.append([p._data.copy() for p in params])
    for a, b in zip(*runs):
        np.testing.assert_array_equal(a, b)


def test_state_without_a_buffer_takes_the_general_path():
    params, opt = _model_opt(optim.SGD, lr=0.1, momentum=0.9)
    _set_grads(params, 0)
    opt.step()
    del opt.state[params[0]]["momentum_buffer"]
    datas = [p._data for p in params]
    before = [d.copy() for d in datas]
    grads = [p.grad._data for p in params]
    states = [opt.state[p] for p in params]
    assert _cpu.sgd_foreach(datas, grads, states, 0.1, 0.9, 0.0, 0.0, False, False) is False
    for d, b in zip(datas, before):  # nothing touched
        np.testing.assert_array_equal(d, b)
    opt.step()  # the general path recreates it (buf = g)
    assert "momentum_buffer" in opt.state[params[0]]


def test_foreach_entries_check_their_arguments():
    p = np.ones((2, 3), np.float32)
    g = np.ones((2, 3), np.float32)
    st = {"step": 1, "exp_avg": np.zeros_like(p), "exp_avg_sq": np.zeros_like(p)}
    args = (1e-3, 0.9, 0.999, 1e-8, 0.0, False, False, False)
    with pytest.raises(ValueError, match=r"\[adam\] got 1 params, 2 grads and 1 state dicts"):
        _cpu.adam_foreach([p], [g, g], [st], *args)
    with pytest.raises(ValueError, match=r"\[adam\] state 0 is not a dict"):
        _cpu.adam_foreach([p], [g], [[]], *args)
    with pytest.raises(TypeError, match=r"\[adam\] state 0 of param 0 must be float32"):
        _cpu.adam_foreach([p], [g], [dict(st, exp_avg=np.zeros((2, 3)))], *args)
    with pytest.raises(ValueError, match=r"\[adam\] param 0 and grad 0 shapes differ"):
        _cpu.adam_foreach([p], [np.ones(6, np.float32)], [st], *args)
    with pytest.raises(ValueError, match=r"\[adam\] state 1 of param overlaps its param"):
        _cpu.adam_foreach([p], [g], [dict(st, exp_avg_sq=p)], *args)
    with pytest.raises(ValueError, match=r"\[sgd\] state 0 of param overlaps its grad"):
        _cpu.sgd_foreach([p], [g], [{"momentum_buffer": g}], 0.1, 0.9, 0.0, 0.0, False, False)
    with pytest.raises(TypeError, match=r"\[rmsprop\] param 0 must be float32 or float64"):
        _cpu.rmsprop_foreach([p.astype(np.int32)], [g], [{"step": 0, "square_avg": p.copy()}],
                             0.01, 0.99, 1e-8, 0.0, 0.0, False, False)
    assert st["step"] == 1 and not st["exp_avg"].any()  # no failed call wrote anything
    # a grad of another dtype: not an error but the general path's job (it copies)
    assert _cpu.adagrad_foreach([p], [g.astype(np.float64)], [{"step": 0, "sum": p.copy()}],
                                0.1, 0.0, 0.0, 1e-10, False) is False


def test_params_list_edited_in_place_drops_the_plan():
    # two tensors of one shape swapped inside the group's own list: a stale plan would update
    # each with the other's state; the identity check sends the step down the general path
    runs = []
    for general in (False, True):
        rng = np.random.default_rng(2)
        params = [pe.tensor(rng.standard_normal((3, 3)).astype(np.float32), requires_grad=True)
                  for _ in range(2)]
        opt = optim.Adam(params, lr=0.1)
        if general:
            opt._step_foreach = None
        for t in range(4):
            if t == 2:
                assert (0 in opt._plans) != general
                group = opt.param_groups[0]["params"]
                group[0], group[1] = group[1], group[0]
            _set_grads(params, t)
            opt.step()
        runs.append([p._data.copy() for p in params] + [opt.state[p]["exp_avg"] for p in params])
    for a, b in zip(*runs):
        np.testing.assert_array_equal(a, b)
