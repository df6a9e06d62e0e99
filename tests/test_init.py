"""nn.init: gains and fans against the formulas (and PyTorch when installed), the ranges and
moments of each initialiser, orthogonality, reproducibility under pe.manual_seed, layer defaults."""
import math

import numpy as np
import pytest

import pyengine as pe
from pyengine import nn
from pyengine.nn import init

try:
    import torch
except ImportError:  # optional cross-check
    torch = None

needs_torch = pytest.mark.skipif(torch is None, reason="PyTorch not installed")
GAINS = [("linear", None, 1.0), ("conv2d", None, 1.0), ("sigmoid", None, 1.0),
         ("tanh", None, 5 / 3), ("relu", None, math.sqrt(2)),
         ("leaky_relu", None, math.sqrt(2 / (1 + 0.01 ** 2))),
         ("leaky_relu", 0.2, math.sqrt(2 / 1.04)), ("selu", None, 0.75)]


@pytest.mark.parametrize("name,param,want", GAINS)
def test_calculate_gain(name, param, want):
    assert init.calculate_gain(name, param) == pytest.approx(want)


@needs_torch
@pytest.mark.parametrize("name,param,want", GAINS)
def test_calculate_gain_vs_torch(name, param, want):
    assert init.calculate_gain(name, param) == pytest.approx(torch.nn.init.calculate_gain(name, param))


def test_calculate_gain_errors():
    with pytest.raises(ValueError, match="unsupported nonlinearity"):
        init.calculate_gain("swish")
    with pytest.raises(ValueError, match="not a valid number"):
        init.calculate_gain("leaky_relu", "x")


def test_fans():
    assert init._calculate_fan_in_and_fan_out(pe.empty(30, 20)) == (20, 30)
    assert init._calculate_fan_in_and_fan_out(pe.empty(8, 3, 5, 5)) == (75, 200)
    with pytest.raises(ValueError, match="fewer than 2 dimensions"):
        init.xavier_uniform_(pe.empty(5))
    with pytest.raises(ValueError, match="mode"):
        init.kaiming_uniform_(pe.empty(3, 3), mode="fan_avg")


def uniform_bound_ok(t, bound):
    d = t.data
    return np.abs(d).max() <= bound and np.abs(d).max() > 0.9 * bound and abs(d.mean()) < 0.05 * bound


def test_uniform_family_bounds():
    pe.manual_seed(0)
    w = pe.empty(200, 300)
    assert uniform_bound_ok(init.xavier_uniform_(w), math.sqrt(6 / 500))
    assert uniform_bound_ok(init.glorot_uniform_(w, gain=2.0), 2 * math.sqrt(6 / 500))
    assert uniform_bound_ok(init.kaiming_uniform_(w, nonlinearity="relu"), math.sqrt(6 / 300))
    assert uniform_bound_ok(init.he_uniform_(w, mode="fan_out", nonlinearity="relu"),
                            math.sqrt(6 / 200))
    assert uniform_bound_ok(init.kaiming_uniform_(w, a=math.sqrt(5)), 1 / math.sqrt(300))
    init.uniform_(w, -2, 3)
    assert w._data.min() >= -2 and w._data.max() <= 3 and abs(w._data.mean() - 0.5) < 0.05


def test_normal_family_moments():
    pe.manual_seed(0)
    w = pe.empty(400, 500, dtype=pe.float64)
    for fill, std in [(lambda: init.normal_(w, 1.0, 0.5), 0.5),
                      (lambda: init.xavier_normal_(w), math.sqrt(2 / 900)),
                      (lambda: init.kaiming_normal_(w, nonlinearity="relu"), math.sqrt(2 / 500)),
                      (lambda: init.he_normal_(w, mode="fan_out", nonlinearity="tanh"),
                       5 / 3 / math.sqrt(400))]:
        fill()
        assert w._data.std() == pytest.approx(std, rel=0.02)
    init.trunc_normal_(w, std=1.0, a=-1.5, b=1.0)
    assert w._data.min() >= -1.5 and w._data.max() <= 1.0


def test_constant_zeros_ones_eye():
    w = pe.empty(3, 4)
    assert (init.zeros_(w).data == 0).all()
    assert (init.ones_(w).data == 1).all()
    assert (init.constant_(w, 2.5).data == 2.5).all()
    np.testing.assert_array_equal(init.eye_(w).data, np.eye(3, 4))
    with pytest.raises(ValueError):
        init.eye_(pe.empty(2, 2, 2))


@pytest.mark.parametrize("shape", [(6, 6), (4, 9), (9, 4), (5, 2, 3)])
def test_orthogonal(shape):
    pe.manual_seed(0)
    w = init.orthogonal_(pe.empty(*shape, dtype=pe.float64), gain=2.0)._data.reshape(shape[0], -1)
    small = min(w.shape)
    gram = w @ w.T if w.shape[0] <= w.shape[1] else w.T @ w
    np.testing.assert_allclose(gram, 4 * np.eye(small), atol=1e-10)


def test_init_in_place_no_graph_and_reproducible():
    w = nn.Parameter(pe.empty(3, 3))
    before = w._data
    pe.manual_seed(5)
    init.kaiming_normal_(w)
    assert w._data is before and w.grad_fn is None and w.requires_grad
    first = w._data.copy()
    pe.manual_seed(5)
    np.testing.assert_array_equal(init.kaiming_normal_(w).data, first)
    g = np.random.default_rng(1)
    a = init.uniform_(pe.empty(4), generator=g)._data.copy()
    np.testing.assert_array_equal(init.uniform_(pe.empty(4), generator=np.random.default_rng(1)).data, a)


def test_layer_defaults_reproducible_under_seed():
    pe.manual_seed(0)
    a = nn.Sequential(nn.Linear(4, 8), nn.Linear(8, 2)).state_dict()
    pe.manual_seed(0)
    b = nn.Sequential(nn.Linear(4, 8), nn.Linear(8, 2)).state_dict()
    for k in a:
        np.testing.assert_array_equal(a[k].data, b[k].data)
    pe.manual_seed(0)
    lin = nn.Linear(300, 400)
    assert uniform_bound_ok(lin.weight, 1 / math.sqrt(300))
    assert np.abs(lin.bias.data).max() <= 1 / math.sqrt(300)
    emb = nn.Embedding(1000, 50)
    assert emb.weight._data.std() == pytest.approx(1.0, rel=0.03)
    bn = nn.BatchNorm1d(5)
    assert (bn.weight.data == 1).all() and (bn.bias.data == 0).all()
