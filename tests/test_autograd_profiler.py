"""pe.autograd.profiler.profile / pe.profiler (torch.autograd.profiler, torch.profiler) on the
CPU, as the "Fundamentals of autograd" tutorial uses it: op counts, self vs total time with
record_function blocks, torch's table columns, dispatch restored afterwards, refusals."""
import json
import sys

import numpy as np
import pytest

import pyengine as pe
from pyengine import autograd


def test_profile_counts_the_tutorials_ops_and_restores_dispatch():
    tensor_mod = sys.modules["pyengine.tensor"]
    before = (autograd.Function.__dict__["apply"], autograd.apply1, autograd.apply2,
              autograd.apply_tensors, autograd.backward, tensor_mod._apply2, tensor_mod._mul)
    x = pe.randn(2, 3, requires_grad=True)
    y = pe.rand(2, 3, requires_grad=True)
    z = pe.ones(2, 3, requires_grad=True)
    want = z.detach().numpy()
    for _ in range(50):
        want = (want / x.detach().numpy()) * y.detach().numpy()
    with pe.autograd.profiler.profile(use_cuda=False) as prf:
        for _ in range(50):
            z = (z / x) * y
        z.sum().backward()
    np.testing.assert_allclose(z.detach().numpy(), want, rtol=1e-5)
    rows = {r.key: r for r in prf.key_averages()}
    assert rows["Div"].count == 50 and rows["Mul"].count == 50
    assert rows["autograd::backward"].count == 1
    table = prf.key_averages().table(sort_by="self_cpu_time_total")
    for col in ("Name", "Self CPU %", "Self CPU", "CPU total", "CPU time avg", "# of Calls"):
        assert col in table
    assert "Self CPU time total" in table
    after = (autograd.Function.__dict__["apply"], autograd.apply1, autograd.apply2,
             autograd.apply_tensors, autograd.backward, tensor_mod._apply2, tensor_mod._mul)
    assert all(a is b for a, b in zip(before, after))
    with pytest.raises(ValueError, match="sort_by"):
        prf.key_averages().table(sort_by="gpu_seconds")
    # torch's CPU-only profile takes the device-time keys (all 0): recorded order kept
    by_device = prf.key_averages().table(sort_by="cuda_time_total")
    assert by_device == prf.key_averages().table(sort_by=None)


def test_record_function_self_time_and_shapes(tmp_path):
    from pyengine.profiler import ProfilerActivity, profile, record_function
    lin = pe.nn.Linear(3, 2)

    @record_function("decorated")
    def step():
        return lin(pe.randn(4, 3))

    with profile(activities=[ProfilerActivity.CPU], record_shapes=True) as prof:
        with record_function("model_inference"):
            out = step()
    rows = {r.key: r for r in prof.key_averages()}
    block, inner = rows["model_inference"], rows["Linear"]
    assert block.cpu_time_total >= inner.cpu_time_total
    assert block.self_cpu_time_total <= block.cpu_time_total - inner.cpu_time_total + 1e-6
    shaped = {r.key: r.input_shapes for r in prof.key_averages(group_by_input_shape=True)}
    assert shaped["Linear"] == [[4, 3], [2, 3], [2]]
    path = tmp_path / "trace.json"
    prof.export_chrome_trace(str(path))
    names = {e["name"] for e in json.loads(path.read_text())["traceEvents"]}
    assert {"model_inference", "decorated", "Linear"} <= names
    assert out.shape == (4, 2)


def test_profile_refuses_what_it_cannot_record():
    with pytest.raises(RuntimeError, match="CUDA"):
        pe.autograd.profiler.profile(use_cuda=True)
    with pytest.raises(NotImplementedError, match="with_flops"):
        pe.profiler.profile(with_flops=True)
    with pytest.raises(RuntimeError, match="ProfilerActivity.CPU"):
        pe.profiler.profile(activities=[pe.profiler.ProfilerActivity.CUDA])
    with pe.profiler.profile():
        with pytest.raises(RuntimeError, match="already running"):
            with pe.profiler.profile():
                pass
