"""torch.amp / torch.cuda.amp (GradScaler, autocast when disabled), torch.compile and the
runtime settings training scripts call at start-up."""
import warnings

import numpy as np
import pytest

import pyengine as pe
from pyengine import nn, optim


def test_grad_scaler_on_the_cpu_matches_an_unscaled_step():
    pe.manual_seed(0)
    a, b = nn.Linear(3, 1), nn.Linear(3, 1)
    b.load_state_dict(a.state_dict())
    x = pe.randn(5, 3)
    oa, ob = optim.SGD(a.parameters(), lr=0.1), optim.SGD(b.parameters(), lr=0.1)
    scaler = pe.amp.GradScaler("cpu", init_scale=1024.0, growth_interval=2)
    for _ in range(3):
        oa.zero_grad()
        scaler.scale(a(x).pow(2).mean()).backward()
        scaler.step(oa)
        scaler.update()
        ob.zero_grad()
        b(x).pow(2).mean().backward()
        ob.step()
    np.testing.assert_allclose(a.weight.detach().numpy(), b.weight.detach().numpy(), rtol=1e-5)
    assert scaler.get_scale() == 2048.0  # grew once after two clean steps
    before = a.weight.detach().numpy().copy()
    oa.zero_grad()
    scaler.scale(a(x).sum() * float("inf")).backward()
    scaler.step(oa)  # inf gradients: the step is skipped
    scaler.update()
    np.testing.assert_array_equal(a.weight.detach().numpy(), before)
    assert scaler.get_scale() == 1024.0  # backed off
    state = scaler.state_dict()
    other = pe.amp.GradScaler("cpu")
    other.load_state_dict(state)
    assert other.get_scale() == 1024.0


def test_cuda_grad_scaler_without_cuda_disables_itself_and_autocast_off_is_a_noop():
    with pytest.warns(UserWarning, match="Disabling"):
        scaler = pe.cuda.amp.GradScaler(enabled=True)
    assert not scaler.is_enabled() and scaler.get_scale() == 1.0
    lin = nn.Linear(2, 1)
    opt = optim.SGD(lin.parameters(), lr=0.1)
    loss = lin(pe.ones(1, 2)).sum()
    assert scaler.scale(loss) is loss
    loss.backward()
    scaler.step(opt)
    scaler.update()
    with pe.autocast(device_type="cpu", enabled=False):
        assert lin(pe.ones(1, 2)).dtype == pe.float32
    with pytest.raises(NotImplementedError, match="float16"):
        pe.autocast(device_type="cpu", dtype=pe.float32)
    from pyengine.cuda.amp import GradScaler, autocast  # noqa: F401  (the import form)


def test_compile_and_settings():
    lin = nn.Linear(2, 2)
    assert pe.compile(lin) is lin

    @pe.compile(mode="max-autotune")
    def twice(t):
        return t * 2
    assert twice(pe.ones(1)).tolist() == [2.0]
    with pytest.raises(ValueError, match="mode"):
        pe.compile(lin, mode="fastest")
    pe.set_float32_matmul_precision("high")
    assert pe.get_float32_matmul_precision() == "high"
    pe.set_float32_matmul_precision("highest")
    with pytest.raises(ValueError):
        pe.set_float32_matmul_precision("low")
    pe.use_deterministic_algorithms(True)
    assert pe.are_deterministic_algorithms_enabled()
    pe.use_deterministic_algorithms(False)
