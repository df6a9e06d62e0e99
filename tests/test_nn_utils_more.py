"""nn.utils additions (parameters_to_vector / vector_to_parameters, nn.utils.rnn.pad_sequence)
and the composed schedulers SequentialLR / ChainedScheduler, against torch when installed."""
import numpy as np
import pytest

import pyengine as pe
import pyengine.nn as nn
from pyengine.nn.utils.rnn import pad_sequence, unpad_sequence


def _rates(S, opt_cls, param, build, steps):
    opt = opt_cls([param], lr=0.1)
    sched = build(S, opt)
    out = []
    for _ in range(steps):
        out.append(opt.param_groups[0]["lr"])
        opt.step()
        sched.step()
    return np.array(out)


BUILDS = {
    "warmup_then_cosine": lambda S, o: S.SequentialLR(
        o, [S.LinearLR(o, start_factor=0.1, total_iters=3), S.CosineAnnealingLR(o, T_max=5)],
        milestones=[3]),
    "three_phases": lambda S, o: S.SequentialLR(
        o, [S.ConstantLR(o, factor=0.5, total_iters=2), S.ExponentialLR(o, gamma=0.8),
            S.StepLR(o, step_size=2, gamma=0.5)], milestones=[2, 5]),
    "chained": lambda S, o: S.ChainedScheduler(
        [S.ConstantLR(o, factor=0.1, total_iters=2), S.ExponentialLR(o, gamma=0.9)]),
    "chained_step_poly": lambda S, o: S.ChainedScheduler(
        [S.StepLR(o, step_size=3, gamma=0.5), S.PolynomialLR(o, total_iters=6, power=2.0)]),
}


@pytest.mark.parametrize("name", sorted(BUILDS))
def test_composed_schedulers(name):
    got = _rates(pe.optim.lr_scheduler, pe.optim.SGD, nn.Parameter(pe.zeros(1)), BUILDS[name],
                 10)
    if name == "warmup_then_cosine":  # closed form, checked without torch too
        want = [0.01, 0.04, 0.07] + [0.05 * (1 + np.cos(np.pi * e / 5)) for e in range(7)]
        np.testing.assert_allclose(got, want, rtol=1e-9, atol=1e-12)
    torch = pytest.importorskip("torch")
    want = _rates(torch.optim.lr_scheduler, torch.optim.SGD,
                  torch.nn.Parameter(torch.zeros(1)), BUILDS[name], 10)
    np.testing.assert_allclose(got, want, rtol=1e-9, atol=1e-12)


def test_composed_scheduler_errors():
    S, opt = pe.optim.lr_scheduler, pe.optim.SGD([nn.Parameter(pe.zeros(1))], lr=0.1)
    a, b = S.StepLR(opt, 2), S.ExponentialLR(opt, 0.9)
    with pytest.raises(ValueError, match="2 schedulers need 1 milestones"):
        S.SequentialLR(opt, [a, b], milestones=[1, 2])
    with pytest.raises(TypeError, match="not an epoch-based scheduler"):
        S.ChainedScheduler([a, S.ReduceLROnPlateau(opt)])
    other = pe.optim.SGD([nn.Parameter(pe.zeros(1))], lr=0.1)
    with pytest.raises(ValueError, match="another optimizer"):
        S.ChainedScheduler([a, S.StepLR(other, 2)])


def test_parameters_vector_round_trip():
    m = nn.Sequential(nn.Linear(3, 4), nn.ReLU(), nn.Linear(4, 2))
    v = nn.utils.parameters_to_vector(m.parameters())
    assert v.shape == (3 * 4 + 4 + 4 * 2 + 2,)
    np.testing.assert_array_equal(v.detach().numpy(), np.concatenate(
        [p.detach().numpy().ravel() for p in m.parameters()]))
    nn.utils.vector_to_parameters(pe.arange(float(v.shape[0])), m.parameters())
    assert m[0].weight.detach().numpy().ravel().tolist() == list(range(12))
    with pytest.raises(ValueError, match="the vector has 3 values, the parameters 26"):
        nn.utils.vector_to_parameters(pe.zeros(3), m.parameters())


@pytest.mark.parametrize("batch_first", [False, True])
@pytest.mark.parametrize("side", ["right", "left"])
def test_pad_sequence(batch_first, side):
    rng = np.random.default_rng(0)
    arrays = [rng.standard_normal((n, 2)) for n in (3, 1, 4)]
    seqs = [pe.tensor(a, requires_grad=True) for a in arrays]
    out = pad_sequence(seqs, batch_first=batch_first, padding_value=-9.0, padding_side=side)
    want = np.full((3, 4, 2), -9.0)
    for i, a in enumerate(arrays):
        if side == "right":
            want[i, :len(a)] = a
        else:
            want[i, 4 - len(a):] = a
    np.testing.assert_array_equal(out.detach().numpy(),
                                  want if batch_first else want.transpose(1, 0, 2))
    (out * 2).sum().backward()
    assert all((s.grad.numpy() == 2).all() for s in seqs)
    if side == "right":
        back = unpad_sequence(out, pe.tensor([3, 1, 4]), batch_first=batch_first)
        assert [b.shape for b in back] == [(3, 2), (1, 2), (4, 2)]
    torch = pytest.importorskip("torch")
    t = torch.nn.utils.rnn.pad_sequence([torch.tensor(a) for a in arrays],
                                        batch_first=batch_first, padding_value=-9.0,
                                        padding_side=side)
    np.testing.assert_array_equal(out.detach().numpy(), t.numpy())


def test_pad_sequence_errors():
    with pytest.raises(ValueError, match="empty list"):
        pad_sequence([])
    with pytest.raises(ValueError, match=r"sequence 1 has shape \(2, 3\)"):
        pad_sequence([pe.zeros(2, 2), pe.zeros(2, 3)])
