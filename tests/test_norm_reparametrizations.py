"""nn.utils.spectral_norm / remove_spectral_norm: the weight divided by its largest singular
value (power iteration in training, frozen in eval), PyTorch's state_dict keys, gradients to
weight_orig equal to torch's for the same u and v; weight_norm / remove_weight_norm: torch's
keys, outputs and gradients."""
import numpy as np
import pytest

import pyengine as pe
import pyengine.nn as nn


@pytest.mark.parametrize("make, dim", [(lambda: nn.Linear(6, 4), 0),
                                       (lambda: nn.Conv2d(3, 5, 3), 0),
                                       (lambda: nn.ConvTranspose2d(3, 5, 4, 2, 1), 1)])
def test_normalises_to_unit_spectral_norm(make, dim):
    pe.manual_seed(0)
    m = nn.utils.spectral_norm(make())
    assert sorted(k for k in m.state_dict() if k.startswith("weight")) == \
        ["weight_orig", "weight_u", "weight_v"]
    assert sorted(n for n, _ in m.named_parameters()) == ["bias", "weight_orig"]
    x = pe.randn(2, 6) if isinstance(m, nn.Linear) else pe.randn(2, 3, 5, 5)
    for _ in range(20):
        y = m(x)
    w = np.moveaxis(m.weight.detach().numpy(), dim, 0)
    assert abs(np.linalg.svd(w.reshape(w.shape[0], -1), compute_uv=False)[0] - 1) < 1e-4
    y.sum().backward()
    assert m.weight_orig.grad is not None and m.weight_orig.grad.shape == m.weight_orig.shape


def test_eval_mode_freezes_u_and_v():
    m = nn.utils.spectral_norm(nn.Linear(4, 3))
    m(pe.randn(2, 4))
    m.eval()
    u = m.weight_u.numpy().copy()
    m(pe.randn(2, 4))
    np.testing.assert_array_equal(m.weight_u.numpy(), u)


def test_matches_torch_given_the_same_vectors():
    torch = pytest.importorskip("torch")
    pe.manual_seed(1)
    m = nn.utils.spectral_norm(nn.Linear(5, 3))
    t = torch.nn.utils.spectral_norm(torch.nn.Linear(5, 3))
    with torch.no_grad():
        t.weight_orig.copy_(torch.tensor(m.weight_orig.detach().numpy()))
        t.bias.copy_(torch.tensor(m.bias.detach().numpy()))
        t.weight_u.copy_(torch.tensor(m.weight_u.numpy()))
        t.weight_v.copy_(torch.tensor(m.weight_v.numpy()))
    x = np.random.default_rng(0).standard_normal((4, 5)).astype(np.float32)
    yp, yt = m(pe.tensor(x)), t(torch.tensor(x))  # one power iteration each, then the forward
    np.testing.assert_allclose(yp.detach().numpy(), yt.detach().numpy(), rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(m.weight_u.numpy(), t.weight_u.numpy(), rtol=1e-5, atol=1e-6)
    (yp ** 2).sum().backward()
    (yt ** 2).sum().backward()
    np.testing.assert_allclose(m.weight_orig.grad.numpy(), t.weight_orig.grad.numpy(),
                               rtol=1e-4, atol=1e-5)


def test_remove_and_errors():
    m = nn.utils.spectral_norm(nn.Linear(4, 3))
    m(pe.randn(1, 4))
    w = m.weight.detach().numpy().copy()
    nn.utils.remove_spectral_norm(m)
    assert isinstance(m.weight, nn.Parameter) and sorted(m.state_dict()) == ["bias", "weight"]
    np.testing.assert_allclose(m.weight.detach().numpy(), w, rtol=1e-6)
    with pytest.raises(ValueError, match="spectral_norm of 'weight' not found"):
        nn.utils.remove_spectral_norm(m)
    with pytest.raises(ValueError, match="has no parameter 'kernel'"):
        nn.utils.spectral_norm(nn.Linear(2, 2), name="kernel")
    twice = nn.utils.spectral_norm(nn.Linear(2, 2))
    with pytest.raises(ValueError, match="spectrally normalised already"):
        nn.utils.spectral_norm(twice)


def test_weight_norm_matches_torch():
    torch = pytest.importorskip("torch")
    for dim in (0, 1, None):
        m = nn.utils.weight_norm(nn.Linear(5, 3), dim=dim)
        assert sorted(m.state_dict()) == ["bias", "weight_g", "weight_v"]
        t = torch.nn.Linear(5, 3)
        with torch.no_grad():
            t.weight.copy_(torch.tensor(m.weight_v.detach().numpy()))
            t.bias.copy_(torch.tensor(m.bias.detach().numpy()))
        t = torch.nn.utils.weight_norm(t, dim=dim)
        np.testing.assert_allclose(m.weight_g.detach().numpy(), t.weight_g.detach().numpy(),
                                   rtol=1e-6)
        x = np.random.default_rng(0).standard_normal((4, 5)).astype(np.float32)
        yp, yt = m(pe.tensor(x)), t(torch.tensor(x))
        np.testing.assert_allclose(yp.detach().numpy(), yt.detach().numpy(), rtol=1e-5,
                                   atol=1e-6)
        (yp ** 2).sum().backward()
        (yt ** 2).sum().backward()
        for a, b in (("weight_g", t.weight_g), ("weight_v", t.weight_v)):
            np.testing.assert_allclose(getattr(m, a).grad.numpy(), b.grad.numpy(), rtol=1e-4,
                                       atol=1e-5)


def test_weight_norm_remove_and_errors():
    m = nn.utils.weight_norm(nn.Conv2d(2, 3, 3))
    w = m.weight.detach().numpy().copy()
    nn.utils.remove_weight_norm(m)
    assert sorted(m.state_dict()) == ["bias", "weight"]
    np.testing.assert_allclose(m.weight.detach().numpy(), w, rtol=1e-6)
    with pytest.raises(ValueError, match="weight_norm of 'weight' not found"):
        nn.utils.remove_weight_norm(m)
    with pytest.raises(IndexError, match="dim 4 out of range"):
        nn.utils.weight_norm(nn.Linear(2, 2), dim=4)


def test_not_a_module():
    with pytest.raises(TypeError, match=r"\[spectral_norm\] expected a pe.nn.Module"):
        nn.utils.spectral_norm(pe.ones(3))
    with pytest.raises(TypeError, match=r"\[weight_norm\] expected a pe.nn.Module"):
        nn.utils.weight_norm(pe.ones(3))
