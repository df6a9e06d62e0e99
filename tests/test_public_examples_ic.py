"""Original tests for the fixes the pytorch/tutorials recipes needed (docs/public_examples.md,
rows of helper hc, sixteenth session): load(mmap=True), load_state_dict(assign=True), utils.swap_tensors, ..."""
import numpy as np
import pytest

import pyengine as pe
from pyengine import nn


# ---- pe.load(mmap=True) and Module.load_state_dict(assign=True) ------------------------------
def _two_layer():
    return nn.Sequential(nn.Linear(3, 4), nn.BatchNorm1d(4), nn.Linear(4, 2))


def test_load_mmap_round_trip_and_copy_on_write(tmp_path):
    path = str(tmp_path / "ckpt.pth")
    m = _two_layer()
    pe.save({"model": m.state_dict(), "epoch": 3}, path)
    plain = pe.load(path)
    mapped = pe.load(path, mmap=True)
    assert mapped["epoch"] == 3
    for k, v in plain["model"].items():
        np.testing.assert_array_equal(mapped["model"][k].numpy(), v.numpy())
    # writing to a mapped tensor changes the tensor, never the file
    mapped["model"]["0.weight"].mul_(0.0)
    assert float(mapped["model"]["0.weight"].abs().sum()) == 0.0
    again = pe.load(path, mmap=True)
    np.testing.assert_array_equal(again["model"]["0.weight"].numpy(),
                                  m[0].weight.detach().numpy())
    with open(path, "rb") as fh, pytest.raises(ValueError, match="file path"):
        pe.load(fh, mmap=True)
    with pytest.raises(TypeError, match="mmap must be a bool"):
        pe.load(path, mmap="yes")


def test_load_mmap_detects_damage(tmp_path):
    path = tmp_path / "ckpt.pth"
    pe.save({"w": pe.ones(64)}, str(path))
    raw = bytearray(path.read_bytes())
    raw[-5] ^= 0xFF
    path.write_bytes(bytes(raw))
    with pytest.raises(ValueError, match="checksum"):
        pe.load(str(path), mmap=True)
    empty = tmp_path / "empty.pth"
    empty.write_bytes(b"")
    with pytest.raises(ValueError, match="not a pyengine file"):
        pe.load(str(empty), mmap=True)


def test_load_state_dict_assign_takes_the_tensors(tmp_path):
    src = _two_layer()
    src(pe.randn(8, 3))  # move BatchNorm's running stats away from their initial values
    path = str(tmp_path / "ckpt.pth")
    pe.save(src.state_dict(), path)
    sd = pe.load(path, mmap=True)
    dst = _two_layer()
    dst[2].weight.requires_grad_(False)
    old_w = dst[0].weight
    res = dst.load_state_dict(sd, assign=True)
    assert res.missing_keys == [] and res.unexpected_keys == []
    assert dst[0].weight is not old_w and isinstance(dst[0].weight, nn.Parameter)
    assert np.shares_memory(dst[0].weight._data, sd["0.weight"]._data)
    assert dst[1].running_mean is sd["1.running_mean"]  # buffers: the loaded tensor itself
    assert dst[0].weight.requires_grad and not dst[2].weight.requires_grad  # kept per slot
    assert [n for n, _ in dst.named_parameters()] == [n for n, _ in src.named_parameters()]
    x = pe.randn(5, 3)
    src.eval(), dst.eval()
    np.testing.assert_allclose(dst(x).numpy(), src(x).detach().numpy(), rtol=1e-6)
    # an optimizer built after the load trains the assigned parameters
    dst.train()
    opt = pe.optim.SGD(dst.parameters(), lr=0.1)
    before = dst[0].weight.detach().numpy().copy()
    dst(x).pow(2).mean().backward()
    opt.step()
    assert not np.allclose(dst[0].weight.detach().numpy(), before)
    with pytest.raises(TypeError, match="assign must be a bool"):
        dst.load_state_dict(sd, assign="yes")


def test_load_state_dict_assign_keeps_tied_weights_and_checks_shapes():
    class Tied(nn.Module):
        def __init__(self):
            super().__init__()
            self.emb = nn.Embedding(5, 3)
            self.out = nn.Linear(3, 5, bias=False)
            self.out.weight = self.emb.weight

    src, dst = Tied(), Tied()
    dst.load_state_dict(src.state_dict(), assign=True)
    assert dst.out.weight is dst.emb.weight
    np.testing.assert_array_equal(dst.emb.weight.detach().numpy(),
                                  src.emb.weight.detach().numpy())
    bad = {"emb.weight": pe.zeros(4, 3), "out.weight": pe.zeros(4, 3)}
    with pytest.raises(RuntimeError, match="size mismatch"):
        dst.load_state_dict(bad, assign=True)
    part = nn.Linear(3, 5)
    res = part.load_state_dict({"weight": np.ones((5, 3), np.float32)}, strict=False,
                               assign=True)
    assert res.missing_keys == ["bias"]
    np.testing.assert_array_equal(part.weight.detach().numpy(), np.ones((5, 3)))


# ---- pe.utils.swap_tensors ---------------------------------------------------------------------
def test_swap_tensors_swaps_everything_the_objects_hold():
    a, b = pe.arange(2), pe.arange(3.0)
    a.tag = "a"
    pe.utils.swap_tensors(a, b)
    assert a.shape == (3,) and b.shape == (2,)
    assert a.dtype == pe.float32 and b.dtype == pe.int64
    assert b.tag == "a" and not hasattr(a, "tag")
    # the class travels too (torch's rule): a plain tensor swapped with a Parameter
    p, q = nn.Parameter(pe.zeros(1)), pe.ones(1)
    pe.utils.swap_tensors(p, q)
    assert type(p) is pe.Tensor and type(q) is nn.Parameter and q.requires_grad
    # the Parameter an optimizer holds takes the new value: the optimizer sees it
    lin = nn.Linear(2, 1, bias=False)
    opt = pe.optim.SGD(lin.parameters(), lr=1.0)
    new = nn.Parameter(pe.tensor([[3.0, 4.0]]))
    held = lin.weight
    pe.utils.swap_tensors(lin.weight, new)
    assert lin.weight is held and opt.param_groups[0]["params"][0] is held
    np.testing.assert_array_equal(held.detach().numpy(), [[3.0, 4.0]])
    lin(pe.ones(1, 2)).sum().backward()
    opt.step()
    np.testing.assert_allclose(held.detach().numpy(), [[2.0, 3.0]])
    with pytest.raises(TypeError, match="swap_tensors"):
        pe.utils.swap_tensors(a, np.zeros(2))


def test_optimizer_takes_frozen_parameters_and_refuses_non_leaves():
    # torch's rule: model.parameters() with a frozen layer builds; the step skips it until unfrozen
    lin = nn.Linear(2, 1)
    lin.weight.requires_grad_(False)
    opt = pe.optim.SGD(lin.parameters(), lr=0.5)
    w0, b0 = lin.weight.detach().numpy().copy(), lin.bias.detach().numpy().copy()
    lin(pe.ones(1, 2)).sum().backward()
    opt.step()
    np.testing.assert_array_equal(lin.weight.detach().numpy(), w0)
    np.testing.assert_allclose(lin.bias.detach().numpy(), b0 - 0.5)
    lin.weight.requires_grad_(True)
    opt.zero_grad()
    lin(pe.ones(1, 2)).sum().backward()
    opt.step()
    np.testing.assert_allclose(lin.weight.detach().numpy(), w0 - 0.5)
    with pytest.raises(ValueError, match="non-leaf"):
        pe.optim.SGD([pe.ones(2, requires_grad=True) * 2], lr=0.1)


# ---- pe.utils.benchmark (Timer, Measurement, Compare) --------------------------------------------
def test_benchmark_timer_measures_python_statements():
    import pickle
    from pyengine.utils import benchmark
    calls = []
    t = benchmark.Timer(stmt="f(x)", setup="""
        y = torch.ones(4)
    """, globals={"f": lambda v: calls.append(1), "x": 1}, label="L", sub_label="s",
                        description="d")
    assert t._task_spec.setup == "y = torch.ones(4)"  # dedented like torch
    m = t.timeit(50)
    assert m.number_per_run == 50 and len(m.times) == 1 and m.median > 0
    assert len(calls) == 50 + 2  # the runs and the warm-up
    m = t.blocked_autorange(min_run_time=0.01)
    assert sum(m.raw_times) >= 0.01 and m.number_per_run >= 1
    times = np.sort(np.asarray(m.times))
    assert m.median == pytest.approx(np.median(times))
    assert m.mean == pytest.approx(times.mean())
    assert m.iqr == pytest.approx(np.quantile(times, 0.75) - np.quantile(times, 0.25))
    assert 1 <= m.significant_figures <= 4
    text = repr(m)
    assert "L: s" in text and "setup: y = torch.ones(4)" in text and "runs" in text
    assert m.label == "L" and m.num_threads == 1 and m.stmt == "f(x)"
    back = pickle.loads(pickle.dumps(m))
    assert back.raw_times == m.raw_times and back.task_spec == m.task_spec
    m = t.adaptive_autorange(threshold=10.0, min_run_time=0.005)  # stops once 4 blocks agree
    assert len(m.raw_times) >= 4
    before = pe.get_num_threads()
    seen = []
    t2 = benchmark.Timer("seen.append(torch.get_num_threads())", globals={"seen": seen},
                         num_threads=before + 1)
    t2.timeit(3)
    assert set(seen) == {before + 1} and pe.get_num_threads() == before


def test_benchmark_manual_measurement_statistics_and_compare_table():
    from pyengine.utils import benchmark

    def meas(times, desc, sub, env=None, threads=1):
        spec = benchmark.TaskSpec(stmt="s", setup="pass", label="Dot", sub_label=sub,
                                  description=desc, env=env, num_threads=threads)
        return benchmark.Measurement(number_per_run=10, raw_times=[t * 10 for t in times],
                                     task_spec=spec)

    a = meas([1e-6, 2e-6, 3e-6, 4e-6, 5e-6], "mul", "[1, 1]")
    assert a.median == pytest.approx(3e-6) and a.mean == pytest.approx(3e-6)
    assert a.iqr == pytest.approx(2e-6)  # quantiles 0.25 / 0.75 of 1..5 us: 2 and 4
    assert a.has_warnings  # IQR is 67 % of the median
    b = meas([2e-5] * 4, "bmm", "[1, 1]")
    c = meas([4e-6] * 4, "mul", "[8, 8]", threads=2)
    cmp = benchmark.Compare([a, b, c])
    text = str(cmp)
    lines = text.splitlines()
    assert "Dot" in lines[0] and "mul" in lines[1] and "bmm" in lines[1]
    assert any(l.startswith("1 threads:") for l in lines)
    assert any(l.startswith("2 threads:") for l in lines)
    row = next(l for l in lines if "[1, 1]" in l)
    assert "3.0" in row and "20.0" in row
    assert "Times are in microseconds (us)." in text
    cmp.trim_significant_figures()
    cmp.colorize()
    assert "\033[92m" in str(cmp)  # the best of a column is highlighted
    with pytest.raises(ValueError, match="Measurements"):
        benchmark.Compare([1.0])


def test_benchmark_refuses_what_it_cannot_do():
    from pyengine.utils import benchmark
    with pytest.raises(NotImplementedError, match="C\\+\\+"):
        benchmark.Timer("x * y;", language=benchmark.Language.CPP)
    with pytest.raises(NotImplementedError, match="callgrind"):
        benchmark.Timer("pass").collect_callgrind()
    with pytest.raises(ValueError, match="num_threads"):
        benchmark.Timer("pass", num_threads=0)
    with pytest.raises(ValueError, match="string"):
        benchmark.Timer(lambda: None)
    assert pe.utils.benchmark is benchmark


# ---- pe.jit (TorchScript's Python-facing calls, eager) -------------------------------------------
def test_jit_script_and_trace_keep_eager_results():
    @pe.jit.script
    def fused_gelu(x):
        return x * 0.5 * (1.0 + pe.erf(x / 1.41421))

    x = pe.tensor([-2.0, -0.5, 0.0, 0.7, 3.0], dtype=pe.float64)
    ref = np.array([v * 0.5 * (1.0 + __import__("math").erf(v / 1.41421))
                    for v in [-2.0, -0.5, 0.0, 0.7, 3.0]])
    np.testing.assert_allclose(fused_gelu(x).numpy(), ref, rtol=1e-12)
    seen = []

    class Net(nn.Module):
        def __init__(self):
            super().__init__()
            self.fc = nn.Linear(3, 2)

        def forward(self, a):
            seen.append((pe.jit.is_tracing(), pe.is_grad_enabled()))
            return self.fc(a)

    net = Net()
    traced = pe.jit.trace(net, (pe.ones(4, 3),))
    assert traced is net and seen == [(True, False)]  # run once on the example, no graph
    assert not pe.jit.is_tracing() and not pe.jit.is_scripting()
    assert not isinstance(traced, pe.jit.ScriptModule)
    with pytest.raises(RuntimeError, match="eval mode"):
        pe.jit.freeze(traced)
    frozen = pe.jit.freeze(traced.eval())
    a = pe.randn(5, 3)
    np.testing.assert_allclose(frozen(a).numpy(), net(a).detach().numpy())
    with pytest.raises(ValueError, match="features"):  # the example run reports shape errors
        pe.jit.trace(net, pe.ones(4, 5))
    assert pe.jit.ignore(fused_gelu) is fused_gelu
    assert pe.jit.ignore(drop=True)(fused_gelu) is fused_gelu
    with pytest.raises(NotImplementedError, match="state_dict"):
        pe.jit.save(frozen, "model.pt")
    with pytest.raises(NotImplementedError, match="TorchScript"):
        pe.jit.load("model.pt")
    with pytest.raises(NotImplementedError, match="check_inputs"):
        pe.jit.trace(net, pe.ones(1, 3), check_inputs=[(pe.ones(2, 3),)])
    pe.jit.enable_onednn_fusion(True)
    assert pe.jit.onednn_fusion_enabled()
    pe.jit.enable_onednn_fusion(False)
    with pytest.raises(TypeError):
        pe.jit.enable_onednn_fusion("yes")


# ---- vision.models.resnet50 / 101 / 152 (Bottleneck) ---------------------------------------------
def test_resnet_bottleneck_models_match_torchvision_layout():
    from pyengine.vision import models
    # torchvision's parameter counts (num_classes=1000)
    assert sum(p.numel() for p in models.resnet50().parameters()) == 25_557_032
    assert sum(p.numel() for p in models.resnet50(groups=32, width_per_group=4)
               .parameters()) == 25_028_904  # resnext50_32x4d
    m = models.resnet50(num_classes=3, zero_init_residual=True)
    blk = m.layer2[0]
    assert isinstance(blk, models.Bottleneck)
    assert blk.conv2.stride == (2, 2) and blk.conv1.stride == (1, 1)  # v1.5: stride on the 3x3
    assert float(blk.bn3.weight.abs().sum()) == 0.0
    assert list(m.state_dict())[6:12] == ["layer1.0.conv1.weight", "layer1.0.bn1.weight",
                                          "layer1.0.bn1.bias", "layer1.0.bn1.running_mean",
                                          "layer1.0.bn1.running_var",
                                          "layer1.0.bn1.num_batches_tracked"]
    x = pe.randn(2, 3, 32, 32)
    out = m(x)
    assert out.shape == (2, 3)
    out.sum().backward()
    assert m.conv1.weight.grad is not None
    with pytest.raises(ValueError, match="groups"):
        models.resnet18(groups=2)


# ---- scaled_dot_product_attention backend switches -----------------------------------------------
def test_sdpa_kernel_switches_follow_torch_on_cpu():
    import warnings
    from pyengine.nn.attention import SDPBackend, sdpa_kernel
    import pyengine.nn.functional as F
    rng = np.random.default_rng(0)
    q = pe.tensor(rng.standard_normal((2, 3, 4, 5)))
    k = pe.tensor(rng.standard_normal((2, 3, 6, 5)))
    v = pe.tensor(rng.standard_normal((2, 3, 6, 2)))
    s = q.numpy() @ np.swapaxes(k.numpy(), -1, -2) / np.sqrt(5)
    w = np.exp(s - s.max(-1, keepdims=True))
    ref = (w / w.sum(-1, keepdims=True)) @ v.numpy()
    for backends in (SDPBackend.MATH, SDPBackend.FLASH_ATTENTION,
                     [SDPBackend.EFFICIENT_ATTENTION, SDPBackend.MATH]):
        with sdpa_kernel(backends):
            np.testing.assert_allclose(F.scaled_dot_product_attention(q, k, v).numpy(), ref,
                                       rtol=1e-10)
    for backends in (SDPBackend.EFFICIENT_ATTENTION, SDPBackend.CUDNN_ATTENTION):
        with sdpa_kernel(backends), pytest.raises(RuntimeError, match="No viable backend"):
            F.scaled_dot_product_attention(q, k, v)
    cuda = pe.backends.cuda
    assert cuda.flash_sdp_enabled() and cuda.math_sdp_enabled()  # restored on exit
    with sdpa_kernel([SDPBackend.MATH]):
        assert cuda.math_sdp_enabled() and not cuda.flash_sdp_enabled()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", FutureWarning)
        with cuda.sdp_kernel(enable_math=False, enable_flash=False):
            assert cuda.mem_efficient_sdp_enabled()
            with pytest.raises(RuntimeError, match="No viable backend"):
                F.scaled_dot_product_attention(q, k, v)
    cuda.enable_math_sdp(False)
    try:
        assert not cuda.math_sdp_enabled()
        F.scaled_dot_product_attention(q, k, v)  # flash still serves
    finally:
        cuda.enable_math_sdp(True)
    with pytest.raises(TypeError):
        with sdpa_kernel("math"):
            pass


# ---- memory formats (channels_last) --------------------------------------------------------------
def test_channels_last_strides_and_checks_as_torch():
    x = pe.empty(10, 3, 32, 32)
    assert x.stride() == (3072, 1024, 32, 1)
    cl = x.to(memory_format=pe.channels_last)
    assert cl.shape == (10, 3, 32, 32) and cl.stride() == (3072, 1, 96, 3)
    assert cl.is_contiguous(memory_format=pe.channels_last) and not cl.is_contiguous()
    assert cl.to(memory_format=pe.channels_last) is cl  # nothing to do: itself, as torch
    back = cl.to(memory_format=pe.contiguous_format)
    assert back.stride() == (3072, 1024, 32, 1)
    assert x.contiguous(memory_format=pe.channels_last).stride() == (3072, 1, 96, 3)
    special = pe.empty(4, 1, 4, 4)  # N1HW: both layouts at once
    assert special.is_contiguous(memory_format=pe.channels_last)
    assert special.is_contiguous(memory_format=pe.contiguous_format)
    made = pe.empty(10, 3, 32, 32, memory_format=pe.channels_last)
    assert made.stride() == (3072, 1, 96, 3)
    assert made.clone().stride() == (3072, 1, 96, 3)  # preserve_format
    assert made.clone(memory_format=pe.contiguous_format).is_contiguous()
    assert pe.empty_like(made).stride() == (3072, 1, 96, 3)
    assert pe.zeros_like(made, memory_format=pe.contiguous_format).is_contiguous()
    assert pe.empty(2, 3, 4, 5, 6, memory_format=pe.channels_last_3d).stride() == \
        (360, 1, 90, 18, 3)
    with pytest.raises(RuntimeError, match="rank 4"):
        pe.empty(2, 3, 4).to(memory_format=pe.channels_last)
    with pytest.raises(TypeError, match="memory_format"):
        x.contiguous(memory_format="channels_last")
    with pytest.raises(RuntimeError, match="preserve"):
        x.contiguous(memory_format=pe.preserve_format)


def test_channels_last_values_gradients_and_conv_layout():
    rng = np.random.default_rng(1)
    a = rng.standard_normal((2, 3, 6, 5))
    x = pe.tensor(a, requires_grad=True)
    xc = x.to(memory_format=pe.channels_last)
    np.testing.assert_array_equal(xc.detach().numpy(), a)
    (xc * pe.tensor(np.arange(3.0).reshape(1, 3, 1, 1))).sum().backward()
    np.testing.assert_array_equal(x.grad.numpy(), np.broadcast_to(
        np.arange(3.0).reshape(1, 3, 1, 1), a.shape))  # the relayout is an identity for grads
    conv = nn.Conv2d(3, 4, 3).double()
    ref = conv(pe.tensor(a)).detach().numpy()
    plain_in_cl_model = conv(xc.detach())
    assert plain_in_cl_model.is_contiguous(memory_format=pe.channels_last)
    np.testing.assert_allclose(plain_in_cl_model.detach().numpy(), ref, rtol=1e-12)
    w = conv.weight
    conv.to(memory_format=pe.channels_last)
    assert conv.weight is w and conv.weight.is_contiguous(memory_format=pe.channels_last)
    out = conv(pe.tensor(a))  # a channels_last weight makes the output channels_last
    assert out.is_contiguous(memory_format=pe.channels_last) and not out.is_contiguous()
    np.testing.assert_allclose(out.detach().numpy(), ref, rtol=1e-12)
    y = (out + out)  # pointwise ops between channels_last tensors keep the layout
    assert y.stride() == out.stride()
    out.sum().backward()
    assert conv.weight.grad.shape == (4, 3, 3, 3)
    t = pe.randint(1, 10, (2, 8, 4, 4), dtype=pe.float32, requires_grad=True)
    assert t.requires_grad and t.is_leaf
    with pytest.raises(RuntimeError, match="floating-point"):
        pe.randint(1, 10, (2,), requires_grad=True)


# ---- optimizer step fused into backward (register_post_accumulate_grad_hook) ---------------------
def _mlp(seed):
    pe.manual_seed(seed)
    return nn.Sequential(nn.Linear(6, 5), nn.Tanh(), nn.Linear(5, 3))


def test_post_accumulate_grad_hook_fuses_optimizer_step():
    rng = np.random.default_rng(0)
    xs = [pe.tensor(rng.standard_normal((4, 6)).astype(np.float32)) for _ in range(3)]
    plain, fused = _mlp(3), _mlp(3)
    opt = pe.optim.Adam(plain.parameters(), lr=0.01)
    opts = {p: pe.optim.Adam([p], lr=0.01, foreach=False) for p in fused.parameters()}
    calls = []

    def hook(p):
        calls.append(p.grad is not None)
        opts[p].step()
        opts[p].zero_grad()

    handles = [p.register_post_accumulate_grad_hook(hook) for p in fused.parameters()]
    for x in xs:
        plain(x).pow(2).sum().backward()
        opt.step()
        opt.zero_grad()
        y = fused(x)
        y.pow(2).sum().backward()
    assert calls == [True] * 12  # once per parameter and backward, with .grad complete
    for a, b in zip(plain.parameters(), fused.parameters()):
        np.testing.assert_allclose(b.detach().numpy(), a.detach().numpy(), rtol=1e-6)
        assert b.grad is None
    # a parameter used twice gets its hook once, with the summed gradient
    w = pe.tensor([1.0, 2.0], requires_grad=True)
    seen = []
    w.register_post_accumulate_grad_hook(lambda t: seen.append(t.grad.numpy().copy()))
    (w * 3.0 + w * w).sum().backward()
    np.testing.assert_allclose(seen[0], [5.0, 7.0])
    handles[0].remove()
    calls.clear()
    fused(xs[0]).sum().backward()
    assert len(calls) == 3
    with pytest.raises(RuntimeError, match="non-leaf"):
        (w * 2).register_post_accumulate_grad_hook(lambda t: None)
    with pytest.raises(TypeError, match="foreach"):
        pe.optim.SGD([w], lr=0.1, foreach="yes")
    with pytest.raises(NotImplementedError, match="differentiable"):
        pe.optim.Adam([w], differentiable=True)
    pe.optim.SGD([w], lr=0.1, fused=True)
    pe.optim.AdamW([w], foreach=True, capturable=True)


# ---- torch.compile's backend argument, torch._dynamo ---------------------------------------------
def test_compile_named_backends_run_eagerly_custom_backends_refused():
    import pyengine._dynamo as dynamo

    def f1(x, y):  # data-dependent control flow: still followed after compile
        return -y if float(x.sum()) < 0 else y

    x, y = pe.ones(3), pe.tensor([1.0, 2.0, 3.0])
    for backend in ("inductor", "eager", "aot_eager", "cudagraphs"):
        g = pe.compile(f1, backend=backend)
        np.testing.assert_array_equal(g(-x, y).numpy(), [-1.0, -2.0, -3.0])
    dynamo.reset()
    assert "inductor" in dynamo.list_backends()
    with pytest.raises(NotImplementedError, match="custom backend"):
        pe.compile(f1, backend=lambda gm, example_inputs: gm.forward)
    with pytest.raises(TypeError, match="backend"):
        pe.compile(f1, backend=3)


# ---- setitem on tensors already read by recorded ops (torch's versions) --------------------------
def _spring(rest, steps=6, lib=pe):
    p0 = lib.zeros(2, dtype=rest.dtype)
    positions = lib.cat([p0.unsqueeze(0), rest], dim=0)
    velocities = lib.zeros(2, 2, dtype=rest.dtype)
    for _ in range(steps):
        forces = lib.zeros_like(positions)
        d = positions[1] - positions[0]
        dist = d.norm()
        f = 10.0 * (dist - 1.0) * d / (dist + 1e-6)
        forces[0] += f  # reads forces, then writes it: twice per step
        forces[1] -= f
        forces[:, 1] -= 9.81
        velocities = velocities + forces * 0.05
        positions = positions + velocities * 0.05  # reads velocities ...
        positions[0] = p0
        velocities[0] = lib.zeros(2, dtype=rest.dtype)  # ... which is then written
    return positions


def test_setitem_after_reads_keeps_each_version_gradcheck():
    from pyengine.autograd import gradcheck
    rest = pe.tensor([[0.3, -0.7]], dtype=pe.float64, requires_grad=True)
    assert gradcheck(lambda r: _spring(r), (rest,))
    # the version an op read is the one it differentiates: y read x before x[0] was written
    w = pe.tensor([2.0, 3.0], dtype=pe.float64, requires_grad=True)
    x = w * 1.0
    y = x * x  # reads x = w
    x[0] = w[1] * 5.0  # x = [5 w1, w1]
    (y.sum() + x.sum()).backward()
    np.testing.assert_allclose(w.grad.numpy(), [2 * 2.0, 2 * 3.0 + 5.0 + 1.0])


def test_spring_gradients_match_torch():
    torch = pytest.importorskip("torch")
    r0 = np.array([[0.3, -0.7]], np.float32)
    rest = pe.tensor(r0, requires_grad=True)
    out = _spring(rest, steps=20)
    (out - pe.tensor([[0.0, 0.0], [1.0, 0.0]])).pow(2).mean().backward()
    rt = torch.tensor(r0, requires_grad=True)
    ot = _spring(rt, steps=20, lib=torch)
    (ot - torch.tensor([[0.0, 0.0], [1.0, 0.0]])).pow(2).mean().backward()
    np.testing.assert_allclose(out.detach().numpy(), ot.detach().numpy(), rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(rest.grad.numpy(), rt.grad.numpy(), rtol=1e-4, atol=1e-6)


def test_inplace_methods_on_graph_tensors_as_torch():
    def f(lib):
        w = lib.tensor([1.0, -2.0, 3.0, 0.5], dtype=lib.float64, requires_grad=True)
        h = w * 2.0
        y = h * 3.0  # read before the writes below: keeps this version
        h.mul_(lib.tensor([1.0, 2.0, 3.0, 4.0], dtype=lib.float64))
        h.add_(w, alpha=2.0)
        z = lib.zeros(4, dtype=lib.float64)
        z.add_(w)  # a plain tensor takes a graph value and joins the graph
        h.relu_()
        (y.sum() + h.sum() + (z * z).sum()).backward()
        return w.grad.numpy()

    # by hand: y' = 6; h = relu(2w * c + 2w) -> (2c + 2) where positive; z' = 2w
    w = np.array([1.0, -2.0, 3.0, 0.5])
    c = np.array([1.0, 2.0, 3.0, 4.0])
    ref = 6.0 + np.where(2 * w * c + 2 * w > 0, 2 * c + 2, 0.0) + 2 * w
    np.testing.assert_allclose(f(pe), ref)
    torch = pytest.importorskip("torch")
    np.testing.assert_allclose(f(pe), f(torch))
    leaf = pe.ones(2, requires_grad=True)
    with pytest.raises(RuntimeError, match="leaf tensor"):
        leaf.add_(1.0)
    # a write through a view reaches the tensor viewed (tests/test_view_writes.py)
    x = leaf * 1.0
    x.view(2).add_(leaf)
    buf = pe.zeros(4)
    buf[0:2].add_(leaf)
    np.testing.assert_array_equal(x.detach().numpy(), [2.0, 2.0])
    np.testing.assert_array_equal(buf.detach().numpy(), [1.0, 1.0, 0.0, 0.0])
    (x.sum() + buf.sum()).backward()
    np.testing.assert_array_equal(leaf.grad.numpy(), [3.0, 3.0])
    used = x * 2.0  # x is now held by a recorded op, which keeps the version it read
    x.view(2)[0] = leaf[1] * 5.0
    np.testing.assert_array_equal(x.detach().numpy(), [5.0, 2.0])
    np.testing.assert_array_equal(used.detach().numpy(), [4.0, 4.0])


def test_torch_compiler_namespace_is_eager():
    import pyengine.compiler as compiler
    from pyengine.compiler.tf2xla.python import xla  # the TensorFlow side still imports
    assert xla is not None
    compiler.reset()
    assert compiler.is_compiling() is False and compiler.is_dynamo_compiling() is False
    f = compiler.disable(lambda v: v * 2)
    assert float(f(pe.tensor(3.0))) == 6.0
    assert compiler.disable()(len) is len
    assert "inductor" in compiler.list_backends()


# ---- profiler: profile_memory, with_stack / export_stacks, schedule + on_trace_ready ------------
def test_profiler_memory_stacks_and_schedule(tmp_path):
    from pyengine.profiler import ProfilerAction, ProfilerActivity, profile, schedule
    lin = nn.Linear(8, 16)
    x = pe.randn(4, 8)
    with profile(activities=[ProfilerActivity.CPU], profile_memory=True) as prof:
        y = lin(x)
        y.reshape(16, 4)  # a view: no new memory
    rows = {r.key: r for r in prof.key_averages()}
    assert rows["Linear"].self_cpu_memory_usage == 4 * 16 * 4  # float32 output bytes
    assert rows["Reshape"].self_cpu_memory_usage == 0
    table = prof.key_averages().table(sort_by="self_cpu_memory_usage", row_limit=5)
    assert "Self CPU Mem" in table and "256 b" in table
    with profile(with_stack=True) as prof:
        lin(x)
    grouped = prof.key_averages(group_by_stack_n=2)
    assert any("test_public_examples_ic.py" in fr for r in grouped for fr in r.stack)
    assert "Source Location" in grouped.table(sort_by="self_cpu_time_total")
    path = tmp_path / "stacks.txt"
    prof.export_stacks(str(path), "self_cpu_time_total")
    line = path.read_text().splitlines()[0]
    assert line.rsplit(" ", 1)[0].endswith(";Linear") and int(line.rsplit(" ", 1)[1]) >= 0
    # the schedule's actions, as torch.profiler.schedule gives them
    fn = schedule(skip_first=2, wait=1, warmup=1, active=2, repeat=2)
    A = ProfilerAction
    assert [fn(s) for s in range(12)] == [A.NONE, A.NONE, A.NONE, A.WARMUP, A.RECORD,
                                         A.RECORD_AND_SAVE, A.NONE, A.WARMUP, A.RECORD,
                                         A.RECORD_AND_SAVE, A.NONE, A.NONE]
    saved = []

    def handler(p):
        saved.append((p.step_num, sorted(r.key for r in p.key_averages())))

    with profile(schedule=schedule(wait=1, warmup=1, active=2), on_trace_ready=handler) as p:
        for _ in range(8):
            lin(x)
            p.step()
    assert [s for s, _ in saved] == [4, 8]
    assert saved[0][1] == ["Linear", "ProfilerStep#2", "ProfilerStep#3"]
    with pytest.raises(ValueError, match="active"):
        schedule(wait=1, warmup=1, active=0)


def test_torch_module_paths_for_layers_parameters_and_gradcheck():
    from pyengine.autograd.gradcheck import gradcheck
    from pyengine.nn.modules.batchnorm import BatchNorm2d, _BatchNorm
    from pyengine.nn.modules.conv import Conv2d, _ConvNd
    from pyengine.nn.modules.loss import MSELoss, _Loss
    from pyengine.nn.modules.module import Module
    from pyengine.nn.parameter import Parameter
    import pyengine.nn.modules as modules
    assert Module is nn.Module and Parameter is nn.Parameter and modules.Linear is nn.Linear
    assert issubclass(MSELoss, _Loss) and issubclass(Conv2d, _ConvNd)
    assert issubclass(BatchNorm2d, _BatchNorm)

    class Scale(Module):  # a parametrized custom layer in the tutorial's style
        def __init__(self):
            super().__init__()
            self.w = Parameter(pe.ones(3, dtype=pe.float64))

        def forward(self, x):
            return (x * self.w).sin()

    x = pe.tensor(np.linspace(-1, 1, 3), requires_grad=True)
    assert gradcheck(Scale(), [x], eps=1e-6, atol=1e-4)


# ---- torch.library custom ops ------------------------------------------------------------------
def test_library_custom_op_autograd_fake_and_opcheck():
    from pyengine import library

    @library.custom_op("hc_test::crop", mutates_args=())
    def crop(pic: pe.Tensor, box: list) -> pe.Tensor:
        x0, y0, x1, y1 = box
        return pe.from_numpy(pic.numpy()[:, y0:y1, x0:x1].copy())

    @crop.register_fake
    def _(pic, box):
        x0, y0, x1, y1 = box
        return pic.new_empty(pic.shape[0], y1 - y0, x1 - x0)

    @library.custom_op("hc_test::paste", mutates_args=())
    def paste(im1: pe.Tensor, im2: pe.Tensor, coord: list) -> pe.Tensor:
        out = im1.numpy().copy()
        out[:, coord[1]:coord[1] + im2.shape[1], coord[0]:coord[0] + im2.shape[2]] = im2.numpy()
        return pe.from_numpy(out)

    img = pe.tensor(np.random.default_rng(0).standard_normal((2, 6, 7)), requires_grad=True)
    with pytest.raises(RuntimeError, match="Autograd has not been implemented"):
        crop(img, [1, 2, 4, 5]).sum().backward()
    res = library.opcheck(crop, [img, [1, 2, 4, 5]], raise_exception=False)
    assert isinstance(res["test_autograd_registration"], RuntimeError)

    def backward(ctx, g):
        return paste(g.new_zeros(ctx.shape), g, ctx.box[:2]), None

    def setup_context(ctx, inputs, output):
        ctx.box, ctx.shape = inputs[1], inputs[0].shape

    crop.register_autograd(backward, setup_context=setup_context)
    w = pe.tensor(np.random.default_rng(1).standard_normal((2, 3, 3)))
    (crop(img, [1, 2, 4, 5]) * w).sum().backward()
    ref = np.zeros((2, 6, 7))
    ref[:, 2:5, 1:4] = w.numpy()
    np.testing.assert_array_equal(img.grad.numpy(), ref)
    assert library.opcheck(crop, [img, [0, 1, 3, 3]]) == {
        "test_schema": "SUCCESS", "test_autograd_registration": "SUCCESS",
        "test_faketensor": "SUCCESS"}

    @library.custom_op("hc_test::bad_sin", mutates_args=(), device_types="cpu")
    def bad_sin(x: pe.Tensor, out: pe.Tensor) -> None:
        np.sin(x.numpy(), out=out.numpy())  # writes `out` without declaring it

    with pytest.raises(RuntimeError, match="not in mutates_args"):
        library.opcheck(bad_sin, [pe.randn(3), pe.empty(3)])

    @library.custom_op("hc_test::sin_", mutates_args={"out"})
    def good_sin(x: pe.Tensor, out: pe.Tensor) -> None:
        np.sin(x.numpy(), out=out.numpy())

    x, out = pe.randn(4), pe.empty(4)
    good_sin(x, out)
    np.testing.assert_allclose(out.numpy(), np.sin(x.numpy()))
    assert out._version == 1
    assert library.opcheck(good_sin, [x, out])["test_schema"] == "SUCCESS"
    with pytest.raises(ValueError, match="namespace"):
        library.custom_op("nonamespace", mutates_args=())
    with pytest.raises(ValueError, match="no parameter"):
        library.custom_op("hc_test::z", mutates_args={"y"})(lambda x: x)
    with pytest.raises(NotImplementedError, match="CPU"):
        library.custom_op("hc_test::g", mutates_args=(), device_types="cuda")


def test_module_compile_checks_options_and_keeps_eager_results():
    lin = nn.Linear(3, 2)
    x = pe.randn(4, 3)
    before = lin(x).detach().numpy()
    assert lin.compile(mode="reduce-overhead") is None
    np.testing.assert_array_equal(lin(x).detach().numpy(), before)
    with pytest.raises(ValueError, match="mode"):
        lin.compile(mode="fastest")


def test_type_with_legacy_constructors_and_save_image_png(tmp_path):
    x = pe.tensor([1.7, -2.2])
    assert x.type(pe.LongTensor).dtype == pe.int64
    assert x.type(pe.LongTensor).tolist() == [1, -2]
    assert x.type(pe.FloatTensor) is x
    import pyengine.vision.utils as vutils
    imgs = pe.tensor(np.linspace(-1, 1, 4 * 3 * 5 * 6).reshape(4, 3, 5, 6).astype(np.float32))
    path = tmp_path / "grid.png"
    vutils.save_image(imgs, str(path), nrow=2, normalize=True)
    got = pe.io.decode_png(path.read_bytes()).numpy()
    want = vutils.make_grid(imgs, nrow=2, normalize=True).numpy()
    assert got.shape == (want.shape[1], want.shape[2], 3)
    np.testing.assert_array_equal(
        got, np.clip(want * 255 + 0.5, 0, 255).astype(np.uint8).transpose(1, 2, 0))


def test_elementwise_mean_reduction_is_mean_with_a_warning():
    logp = pe.tensor(np.log(np.array([[0.2, 0.8], [0.6, 0.4]])))
    target = pe.tensor([1, 0])
    with pytest.warns(UserWarning, match="elementwise_mean"):
        loss = nn.NLLLoss(reduction="elementwise_mean")
    assert loss.reduction == "mean"
    np.testing.assert_allclose(float(loss(logp, target)), -(np.log(0.8) + np.log(0.6)) / 2)
    with pytest.warns(UserWarning, match="elementwise_mean"):
        assert nn.KLDivLoss(reduction="elementwise_mean").reduction == "mean"
    with pytest.raises(ValueError, match="reduction"):
        nn.MSELoss(reduction="avg")


def test_post_accumulate_hooks_are_collected_and_run_with_create_graph():
    import gc
    import weakref
    from pyengine import autograd
    p = pe.tensor([1.0, 2.0], requires_grad=True)
    opt = pe.optim.SGD([p], lr=0.1)
    p.register_post_accumulate_grad_hook(lambda t: opt.step())  # hook -> opt -> p: a cycle
    ref = weakref.ref(p)
    del p, opt
    gc.collect()
    assert ref() is None and not autograd._POST_HOOKS  # nothing keeps the leaf alive
    q = pe.tensor([3.0], requires_grad=True)
    seen = []
    q.register_post_accumulate_grad_hook(lambda t: seen.append(float(t.grad)))
    (q * q).sum().backward(create_graph=True)  # runs the hook too, with the total gradient
    assert seen == [6.0]
    other = pe.tensor([1.0], requires_grad=True)
    pe.autograd.grad((other * 2).sum(), other, create_graph=True)  # q not involved: no call
    assert seen == [6.0]


# ---- control-flow operators (torch._higher_order_ops), testing.assert_close, torch.pi / nan --
def test_control_flow_ops_run_eagerly_and_differentiate():
    from pyengine._higher_order_ops.associative_scan import associative_scan
    from pyengine._higher_order_ops.cond import cond
    from pyengine._higher_order_ops.map import map as hmap
    from pyengine._higher_order_ops.scan import scan
    from pyengine._higher_order_ops.while_loop import while_loop
    x = pe.tensor([0.5, -1.0, 2.0], dtype=pe.float64)
    np.testing.assert_allclose(cond(x.sum() > 0, lambda t: t.cos(), lambda t: t.sin(), (x,))
                               .numpy(), np.cos(x.numpy()))
    i, s = while_loop(lambda i, s: i < 5, lambda i, s: (i + 1, s + i), (pe.tensor(0),
                                                                       pe.tensor(0)))
    assert int(i) == 5 and int(s) == 10
    carry, ys = scan(lambda c, v: (c + v, c * 2.0), pe.tensor(0.0), pe.arange(1.0, 5.0))
    assert float(carry) == 10.0 and ys.tolist() == [0.0, 2.0, 6.0, 12.0]  # torch's values
    carry, ys = scan(lambda c, v: (c + v, c * 2.0), pe.tensor(0.0), pe.arange(1.0, 5.0),
                     reverse=True)
    assert ys.tolist() == [18.0, 14.0, 8.0, 0.0]
    pre = associative_scan(lambda a, b: a + b, pe.arange(5.0), dim=0, combine_mode="generic")
    assert pre.tolist() == [0.0, 1.0, 3.0, 6.0, 10.0]
    with pytest.raises(ValueError, match="pointwise"):
        associative_scan(lambda a, b: a + b, pe.arange(5.0), dim=0)
    assert hmap(lambda v, p: v ** p, pe.arange(4), pe.tensor(2)).tolist() == [0, 1, 4, 9]
    # a scanned linear recurrence differentiates as its unrolled loop
    w = pe.tensor([0.9, -0.5], dtype=pe.float64, requires_grad=True)
    seq = pe.tensor(np.random.default_rng(0).standard_normal((6, 2)))
    _, outs = scan(lambda h, v: (h * w + v, (h * w + v).tanh()), pe.zeros(2, dtype=pe.float64),
                   seq)
    outs.sum().backward()
    g_scan = w.grad.numpy().copy()
    w.grad = None
    h, total = pe.zeros(2, dtype=pe.float64), 0
    for t in range(6):
        h = h * w + seq[t]
        total = total + h.tanh().sum()
    total.backward()
    np.testing.assert_allclose(g_scan, w.grad.numpy(), rtol=1e-12)


def test_assert_close_and_float_constants():
    import math
    pe.testing.assert_close(pe.tensor([1.0, 2.0]), pe.tensor([1.0, 2.000001]))
    with pytest.raises(AssertionError, match="not close"):
        pe.testing.assert_close(pe.tensor([1.0, 2.0]), pe.tensor([1.0, 2.01]))
    with pytest.raises(AssertionError, match="dtype"):
        pe.testing.assert_close(pe.tensor([1, 2]), pe.tensor([1.0, 2.0]))
    pe.testing.assert_close(pe.tensor([math.nan]), pe.tensor([math.nan]), equal_nan=True)
    assert pe.pi == math.pi and pe.e == math.e and pe.inf == math.inf and math.isnan(pe.nan)


def test_compat_v1_names_graph_mode_placeholders_clearly():
    import pyengine.compat.v1 as tf1
    with pytest.raises(AttributeError, match="graph mode is not provided"):
        tf1.placeholder
    assert tf1.random_normal((2, 3)).shape == (2, 3)


def test_benchmark_fuzzer_draws_bounded_possibly_strided_tensors():
    from pyengine.utils.benchmark import FuzzedParameter, FuzzedTensor, Fuzzer
    fuzzer = Fuzzer(
        parameters=[FuzzedParameter("k0", minval=1, maxval=64, distribution="loguniform"),
                    FuzzedParameter("k1", minval=2, maxval=9, distribution="uniform"),
                    FuzzedParameter("s", distribution={1: 0.5, 2: 0.5})],
        tensors=[FuzzedTensor("x", size=("k0", "k1"), steps=("s", "s"), min_elements=8,
                              max_elements=200, probability_contiguous=0.3)],
        constraints=[lambda p: p["k0"] != 3], seed=0)
    seen_strided = False
    for tensors, info, params in fuzzer.take(40):
        x = tensors["x"]
        assert x.shape == (params["k0"], params["k1"])
        assert 8 <= x.numel() <= 200 and params["k0"] != 3 and 2 <= params["k1"] <= 9
        assert info["x"]["is_contiguous"] == x.is_contiguous()
        seen_strided |= not x.is_contiguous()
        np.testing.assert_allclose(x.sum(-1).numpy(), x.numpy().sum(-1), rtol=1e-5, atol=1e-5)
    assert seen_strided
    again = next(Fuzzer(fuzzer._params, fuzzer._tensors, seed=0).take(1))
    first = next(Fuzzer(fuzzer._params, fuzzer._tensors, seed=0).take(1))
    np.testing.assert_array_equal(again[0]["x"].numpy(), first[0]["x"].numpy())  # seeded
    with pytest.raises(ValueError, match="distribution"):
        FuzzedParameter("bad", 1, 2, distribution="normal")
    from pyengine.utils.benchmark import ParameterAlias
    square = Fuzzer([FuzzedParameter("a", 2, 5, distribution="uniform"),
                     FuzzedParameter("b", distribution={ParameterAlias("a"): 1.0})],
                    [FuzzedTensor("m", size=("a", "b"))], seed=1)
    for _, _, params in square.take(5):
        assert params["a"] == params["b"]
