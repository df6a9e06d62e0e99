"""nn.InstanceNorm1d/2d/3d(track_running_stats=True): running statistics and momentum by
PyTorch's rules, against a NumPy float64 reference and torch when installed."""
import numpy as np
import pytest

import pyengine as pe
from pyengine import nn
from pyengine.nn import functional as F
from pyengine.testing import gradcheck

try:
    import torch
except ImportError:  # CI has no torch
    torch = None

rng = np.random.default_rng(0)


def ref_step(x, rm, rv, momentum, eps, training, w=None, b=None):
    """(y, new running mean, new running var) in float64, from the formulas."""
    n, c = x.shape[:2]
    axes = tuple(range(2, x.ndim))
    bshape = (n, c) + (1,) * len(axes)
    if training:
        m = x.mean(axes)
        v = x.var(axes)
        size = int(np.prod(x.shape[2:]))
        y = (x - m.reshape(bshape)) / np.sqrt(v.reshape(bshape) + eps)
        rm = (1 - momentum) * rm + momentum * m.mean(0)
        rv = (1 - momentum) * rv + momentum * (v * size / (size - 1)).mean(0)
    else:
        cshape = (1, c) + (1,) * len(axes)
        y = (x - rm.reshape(cshape)) / np.sqrt(rv.reshape(cshape) + eps)
    cshape = (1, c) + (1,) * len(axes)
    if w is not None:
        y = y * w.reshape(cshape) + b.reshape(cshape)
    return y, rm, rv


@pytest.mark.parametrize("cls,shape", [(nn.InstanceNorm1d, (4, 3, 7)),
                                       (nn.InstanceNorm2d, (2, 3, 4, 5)),
                                       (nn.InstanceNorm3d, (2, 3, 2, 3, 4))])
@pytest.mark.parametrize("momentum", [0.1, 0.5])
@pytest.mark.parametrize("affine", [False, True])
def test_running_stats_match_reference(cls, shape, momentum, affine):
    m = cls(3, momentum=momentum, affine=affine, track_running_stats=True, dtype=pe.float64)
    assert set(m.state_dict()) >= {"running_mean", "running_var", "num_batches_tracked"}
    rm, rv = np.zeros(3), np.ones(3)
    w = b = None
    if affine:
        w, b = rng.normal(size=3), rng.normal(size=3)
        m.weight.data.copy_(pe.tensor(w))
        m.bias.data.copy_(pe.tensor(b))
    for step in range(3):
        x = rng.normal(loc=step, scale=1 + step, size=shape)
        y = m(pe.tensor(x)).detach().numpy()
        want, rm, rv = ref_step(x, rm, rv, momentum, 1e-5, True, w, b)
        np.testing.assert_allclose(y, want, rtol=1e-9, atol=1e-10)
        np.testing.assert_allclose(m.running_mean.numpy(), rm, rtol=1e-12)
        np.testing.assert_allclose(m.running_var.numpy(), rv, rtol=1e-12)
    m.eval()
    x = rng.normal(size=shape)
    want = ref_step(x, rm, rv, momentum, 1e-5, False, w, b)[0]
    np.testing.assert_allclose(m(pe.tensor(x)).detach().numpy(), want, rtol=1e-9, atol=1e-10)
    assert int(m.num_batches_tracked.numpy()) == 0  # PyTorch never counts instance-norm steps


def test_eval_and_train_gradients():
    m = nn.InstanceNorm2d(2, affine=True, track_running_stats=True, dtype=pe.float64)
    x = pe.tensor(rng.normal(size=(2, 2, 3, 3)), requires_grad=True)
    assert gradcheck(m, [x])  # training: instance statistics
    m.eval()
    assert gradcheck(m, [x])  # evaluation: running statistics


def test_unbatched_input_and_momentum_none():
    m = nn.InstanceNorm1d(3, track_running_stats=True, momentum=None)
    m(pe.tensor(rng.normal(size=(3, 6)).astype(np.float32)))
    np.testing.assert_array_equal(m.running_mean.numpy(), 0.0)  # PyTorch: unchanged
    np.testing.assert_array_equal(m.running_var.numpy(), 1.0)


def test_errors():
    with pytest.raises(ValueError, match=r"InstanceNorm2d.*expected 3 channels"):
        nn.InstanceNorm2d(3, track_running_stats=True)(pe.randn(2, 4, 3, 3))
    with pytest.raises(ValueError, match=r"InstanceNorm1d.*momentum=2"):
        nn.InstanceNorm1d(3, momentum=2)
    with pytest.raises(ValueError, match="use_input_stats=False needs"):
        F.instance_norm(pe.randn(2, 3, 4), use_input_stats=False)


@pytest.mark.skipif(torch is None, reason="torch not installed")
@pytest.mark.parametrize("momentum", [0.1, None])
def test_matches_torch_and_loads_its_state_dict(momentum):
    tm = torch.nn.InstanceNorm2d(3, affine=True, momentum=momentum,
                                 track_running_stats=True).double()
    with torch.no_grad():
        tm.weight.normal_()
        tm.bias.normal_()
    m = nn.InstanceNorm2d(3, affine=True, momentum=momentum, track_running_stats=True,
                          dtype=pe.float64)
    m.load_state_dict({k: v.numpy() for k, v in tm.state_dict().items()})
    for step in range(2):
        x = rng.normal(loc=step, size=(3, 3, 4, 4))
        np.testing.assert_allclose(m(pe.tensor(x)).detach().numpy(),
                                   tm(torch.tensor(x)).detach().numpy(), rtol=1e-9, atol=1e-9)
    for k, v in tm.state_dict().items():
        np.testing.assert_allclose(m.state_dict()[k].numpy(), v.numpy(), rtol=1e-10)
    m.eval()
    tm.eval()
    x = rng.normal(size=(2, 3, 4, 4))
    np.testing.assert_allclose(m(pe.tensor(x)).detach().numpy(),
                               tm(torch.tensor(x)).detach().numpy(), rtol=1e-9, atol=1e-9)
