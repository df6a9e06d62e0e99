"""Original tests of the API patterns of public PyTorch tutorial / example programs (tiny sizes,
synthetic data); docs/public_examples.md names the programs."""
import numpy as np
import pytest

import pyengine as pe


# ---- vmap over a function that backpropagates through a graph built outside vmap -----------
def test_vmap_of_autograd_grad_builds_the_jacobian_from_one_graph():
    x = pe.tensor(np.array([0.5, -1.0, 2.0], np.float32), requires_grad=True)
    y = x * x * x
    basis = pe.eye(3)
    jac = pe.vmap(lambda v: pe.autograd.grad(y, x, v)[0])(basis)
    np.testing.assert_allclose(jac.numpy(), np.diag(3 * x.detach().numpy() ** 2), rtol=1e-6)
    # the batched call freed the graph once, as torch's single batched call does
    with pytest.raises(RuntimeError, match="second time"):
        pe.autograd.grad(y, x, basis[0])


def test_vmap_backward_twice_in_one_call_still_raises_and_nested_vmap_shares_the_graph():
    x = pe.tensor(np.array([0.1, 0.2, 0.3, 0.4], np.float32), requires_grad=True)
    y = x.exp()
    with pytest.raises(RuntimeError, match="second time"):
        pe.vmap(lambda v: (pe.autograd.grad(y, x, v)[0], pe.autograd.grad(y, x, v)[0]))(pe.eye(4))
    y = x.exp()
    inner = pe.vmap(lambda v: pe.autograd.grad(y, x, v)[0])
    jac = pe.vmap(inner)(pe.eye(4).reshape(2, 2, 4))
    np.testing.assert_allclose(jac.numpy().reshape(4, 4), np.diag(np.exp(x.detach().numpy())),
                               rtol=1e-6)
    # a graph built and freed inside each call is that call's own
    z = pe.vmap(lambda r: pe.autograd.grad((r * x).sum(), x)[0])(pe.eye(4) * 2.0)
    np.testing.assert_allclose(z.numpy(), 2 * np.eye(4), rtol=1e-6)


def test_vmap_autograd_grad_jacobian_against_torch():
    torch = pytest.importorskip("torch")
    a = np.array([0.3, -0.7, 1.1, 2.0], np.float32)
    xp = pe.tensor(a, requires_grad=True)
    xt = torch.tensor(a, requires_grad=True)
    yp, yt = (xp.sin() * xp).relu(), (xt.sin() * xt).relu()
    jp = pe.vmap(lambda v: pe.autograd.grad(yp, xp, v)[0])(pe.eye(4))
    jt = torch.vmap(lambda v: torch.autograd.grad(yt, xt, v)[0])(torch.eye(4))
    np.testing.assert_allclose(jp.numpy(), jt.numpy(), rtol=1e-5, atol=1e-6)


# ---- inspecting a model's parameters: names, sizes, counts, freezing -------------------------
def _inspect_net(nn):
    return nn.Sequential(nn.Conv2d(1, 4, 3), nn.ReLU(inplace=True), nn.MaxPool2d((2, 2)),
                         nn.Flatten(), nn.Linear(4 * 3 * 3, 6), nn.ReLU(), nn.Linear(6, 2))


def test_parameter_inspection_counts_and_freezing_match_torch():
    from pyengine import nn
    net = _inspect_net(nn)
    got = [(n, tuple(p.size()), p.numel()) for n, p in net.named_parameters()]
    assert [g[0] for g in got] == ["0.weight", "0.bias", "4.weight", "4.bias", "6.weight",
                                   "6.bias"]
    assert all(int(np.prod(s)) == k for _, s, k in got)
    for name, p in net.named_parameters():
        if name == "4.weight":
            p.requires_grad = False
    trainable = sum(p.numel() for p in net.parameters() if p.requires_grad)
    assert trainable == sum(k for _, _, k in got) - 36 * 6
    per_layer = {}
    for name, p in net.named_parameters():
        per_layer[name.rsplit(".", 1)[0]] = per_layer.get(name.rsplit(".", 1)[0], 0) + p.numel()
    assert per_layer == {"0": 40, "4": 222, "6": 14}
    torch = pytest.importorskip("torch")
    ref = [(n, tuple(p.size()), p.numel()) for n, p in _inspect_net(torch.nn).named_parameters()]
    assert got == ref


# ---- shape mismatches are RuntimeErrors as in torch (and still ValueErrors) ------------------
def test_wrong_in_features_is_caught_by_except_runtime_error():
    from pyengine import nn
    net = nn.Sequential(nn.Conv2d(1, 2, 3), nn.MaxPool2d((2, 2)), nn.Flatten(),
                        nn.Linear(2 * 4 * 4, 3))
    x = pe.ones(1, 1, 12, 12)  # 2 x 5 x 5 after the pool, not 2 x 4 x 4
    try:
        net(x)
    except RuntimeError as e:
        msg = str(e)
    else:
        pytest.fail("the mismatched Linear did not raise")
    assert msg.startswith("[linear]") and "50" in msg and "32" in msg
    net[3] = nn.Linear(2 * 5 * 5, 3)
    assert tuple(net(x).shape) == (1, 3)


@pytest.mark.parametrize("bad", [
    lambda: pe.randn(2, 3) @ pe.randn(4, 5),
    lambda: pe.randn(2, 2, 3) @ pe.randn(3, 3, 4),
    lambda: pe.randn(2, 3) + pe.randn(4, 5),
    lambda: pe.randn(2, 3).view(5),
    lambda: pe.cat([pe.randn(2, 3), pe.randn(2, 4)]),
    lambda: pe.nn.Conv2d(3, 4, 3)(pe.randn(1, 2, 8, 8)),
])
def test_shape_errors_are_both_runtime_and_value_errors(bad):
    with pytest.raises(RuntimeError) as info:
        bad()
    assert isinstance(info.value, ValueError)
    assert str(info.value).startswith("[")


# ---- a Tensor lr (torch.compile's optimizer recipes) followed by the schedulers --------------
def _tensor_lr_run(torch, opt_name, make_sched, tensor_lr=True):
    w0 = np.linspace(-1, 1, 12).astype(np.float32).reshape(3, 4)
    x = torch.tensor(np.linspace(0, 1, 8).astype(np.float32).reshape(2, 4))
    w = torch.nn.Parameter(torch.tensor(w0))
    lr = torch.tensor(0.05) if tensor_lr else 0.05
    opt = getattr(torch.optim, opt_name)([w], lr=lr)
    sched = make_sched(torch, opt)
    lrs = []
    for _ in range(4):
        opt.zero_grad()
        (w @ x.T).square().mean().backward()
        opt.step()
        sched.step()
        lrs.append(float(opt.param_groups[0]["lr"]))
    if tensor_lr:
        assert opt.param_groups[0]["lr"] is lr  # written in place, never replaced
        last = sched.get_last_lr()[0]
        assert isinstance(last, type(lr)) and last is not lr
    return np.array(lrs), w.detach().numpy()


_SCHEDS = {
    "linear": lambda t, o: t.optim.lr_scheduler.LinearLR(o, total_iters=3),
    "cosine": lambda t, o: t.optim.lr_scheduler.CosineAnnealingLR(o, T_max=3),
    "sequential": lambda t, o: t.optim.lr_scheduler.SequentialLR(
        o, [t.optim.lr_scheduler.ConstantLR(o, factor=0.5, total_iters=2),
            t.optim.lr_scheduler.ExponentialLR(o, 0.9)], milestones=[2]),
}


@pytest.mark.parametrize("opt_name", ["Adam", "SGD"])
@pytest.mark.parametrize("sched", sorted(_SCHEDS))
def test_tensor_lr_follows_the_scheduler_in_place(opt_name, sched):
    lrs, w = _tensor_lr_run(pe, opt_name, _SCHEDS[sched])
    float_lrs, float_w = _tensor_lr_run(pe, opt_name, _SCHEDS[sched], tensor_lr=False)
    np.testing.assert_allclose(lrs, float_lrs, rtol=1e-6)  # 0.05 as float32, then the same
    np.testing.assert_allclose(w, float_w, rtol=1e-5, atol=1e-6)
    if sched == "linear":  # start_factor 1/3, up to 1 over 3 steps, then constant
        np.testing.assert_allclose(lrs, 0.05 * np.array([5 / 9, 7 / 9, 1.0, 1.0]), rtol=1e-6)
    torch = pytest.importorskip("torch")
    t_lrs, t_w = _tensor_lr_run(torch, opt_name, _SCHEDS[sched])
    np.testing.assert_allclose(lrs, t_lrs, rtol=1e-6)
    np.testing.assert_allclose(w, t_w, rtol=1e-5, atol=1e-6)


def test_tensor_lr_checks_and_reduce_on_plateau():
    w = pe.nn.Parameter(pe.ones(3))
    with pytest.raises(ValueError, match="1-element"):
        pe.optim.SGD([w], lr=pe.tensor([0.1, 0.2]))
    with pytest.raises(ValueError, match="Invalid learning rate"):
        pe.optim.SGD([w], lr=pe.tensor(-0.1))
    with pytest.raises(ValueError, match="foreach=True"):
        pe.optim.Adam([w], lr=pe.tensor(0.1), foreach=True)
    lr = pe.tensor(0.1)
    opt = pe.optim.SGD([w], lr=lr)
    sched = pe.optim.lr_scheduler.ReduceLROnPlateau(opt, patience=0, factor=0.5)
    for _ in range(3):
        sched.step(1.0)
    assert opt.param_groups[0]["lr"] is lr and abs(lr.item() - 0.025) < 1e-8


# ---- minGPT-ddp: MultiheadAttention with a float 0/1 "mask", weight-decay groups by name ------
def _mha_block(nn, torch):
    class Attn(nn.Module):
        def __init__(self):
            super().__init__()
            self.register_buffer("mask", torch.tril(torch.ones(6, 6)).view(1, 1, 6, 6))
            self.attn = nn.MultiheadAttention(embed_dim=8, num_heads=2, dropout=0.0,
                                              batch_first=True)
            self.c_proj = nn.Linear(8, 8)

        def forward(self, x):
            t = x.size()[1]
            return self.c_proj(self.attn(x, x, x, attn_mask=self.mask[0, 0, :t, :t])[0])
    return Attn()


def test_mha_float_mask_is_added_and_decay_groups_by_parameter_name():
    from pyengine import nn
    block = _mha_block(nn, pe)
    names = {f"{mn}.{pn}" if mn else pn for mn, m in block.named_modules()
             for pn, _ in m.named_parameters()}
    assert {"attn.in_proj_weight", "attn.in_proj_bias", "attn.out_proj.weight",
            "c_proj.weight"} <= names
    decay = sorted(n for n in names if n.endswith("in_proj_weight") or n == "c_proj.weight"
                   or n == "attn.out_proj.weight")
    params = dict(block.named_parameters())
    opt = pe.optim.AdamW([{"params": [params[n] for n in decay], "weight_decay": 0.1},
                          {"params": [p for n, p in params.items() if n not in decay],
                           "weight_decay": 0.0}], lr=3e-3, betas=(0.9, 0.95))
    x = pe.tensor(np.random.default_rng(0).normal(size=(3, 5, 8)).astype(np.float32))
    losses = []
    for _ in range(15):
        loss = block(x).square().mean()
        opt.zero_grad(set_to_none=True)
        loss.backward()
        pe.nn.utils.clip_grad_norm_(block.parameters(), 1.0)
        opt.step()
        losses.append(loss.item())
    assert losses[-1] < 0.7 * losses[0]
    torch = pytest.importorskip("torch")
    ref = _mha_block(torch.nn, torch)
    fresh = _mha_block(nn, pe)
    ref.load_state_dict({k: torch.tensor(v.numpy()) for k, v in fresh.state_dict().items()})
    with torch.no_grad():
        want = ref(torch.tensor(x.numpy())).numpy()
    np.testing.assert_allclose(fresh(x).detach().numpy(), want, rtol=1e-5, atol=1e-6)


# ---- custom Dataset of dict samples, callable transforms in Compose, workers, make_grid ------
class _DictSamples(pe.utils.data.Dataset):
    def __init__(self, transform):
        rng = np.random.default_rng(1)
        self.images = [rng.random((10 + k % 3, 12, 3)) for k in range(6)]  # float64, HWC
        self.points = [rng.random((5, 2)) * 8 for _ in range(6)]
        self.transform = transform

    def __len__(self):
        return len(self.images)

    def __getitem__(self, idx):
        if pe.is_tensor(idx):
            idx = idx.tolist()
        return self.transform({"image": self.images[idx], "landmarks": self.points[idx]})


class _Crop:
    def __call__(self, sample):
        return {"image": sample["image"][1:9, 2:10], "landmarks": sample["landmarks"] - [2, 1]}


class _ToTensor:
    def __call__(self, sample):
        return {"image": pe.from_numpy(sample["image"].transpose((2, 0, 1))),
                "landmarks": pe.from_numpy(sample["landmarks"])}


def test_dict_samples_batch_through_workers_and_make_grid():
    from pyengine.vision import transforms, utils
    ds = _DictSamples(transforms.Compose([_Crop(), _ToTensor()]))
    batches = list(pe.utils.data.DataLoader(ds, batch_size=4, num_workers=2))
    assert [tuple(b["image"].size()) for b in batches] == [(4, 3, 8, 8), (2, 3, 8, 8)]
    assert batches[0]["image"].dtype == pe.float64
    assert tuple(batches[0]["landmarks"].shape) == (4, 5, 2)
    np.testing.assert_array_equal(batches[1]["landmarks"][0].numpy(), ds.points[4] - [2, 1])
    grid = utils.make_grid(batches[0]["image"])  # padding 2, 8 per row
    assert tuple(grid.shape) == (3, 12, 42) and grid.dtype == pe.float64
    np.testing.assert_array_equal(grid.numpy()[:, 2:10, 12:20], batches[0]["image"][1].numpy())


# ---- a convolutional autoencoder: Flatten -> Linear code -> Unflatten -> ConvTranspose2d ------
def _conv_autoencoder(nn):
    return nn.Sequential(
        nn.Conv2d(1, 4, (3, 3)), nn.LeakyReLU(), nn.Conv2d(4, 6, (2, 2), stride=(2, 2)),
        nn.LeakyReLU(), nn.Flatten(), nn.Linear(6 * 3 * 3, 5),
        nn.Linear(5, 6 * 3 * 3), nn.Unflatten(1, (6, 3, 3)),
        nn.ConvTranspose2d(6, 4, (2, 2), stride=(2, 2)), nn.LeakyReLU(),
        nn.ConvTranspose2d(4, 1, (3, 3), padding=0), nn.Sigmoid())


def test_conv_autoencoder_reconstructs_and_matches_torch():
    from pyengine import nn
    rng = np.random.default_rng(3)
    x = pe.tensor((rng.random((16, 1, 8, 8)) > 0.5).astype(np.float32))
    model = _conv_autoencoder(nn)
    opt = pe.optim.Adam(model.parameters(), lr=0.02)
    loss_fn = nn.MSELoss()
    first = None
    for _ in range(60):
        opt.zero_grad()
        loss = loss_fn(model(x), x)
        loss.backward()
        opt.step()
        first = loss.item() if first is None else first
    assert loss.item() < 0.7 * first
    model.eval()
    with pe.inference_mode():
        out = model(x[:1])
    assert tuple(out.shape) == (1, 1, 8, 8) and not out.requires_grad
    torch = pytest.importorskip("torch")
    ref = _conv_autoencoder(torch.nn)
    ref.load_state_dict({k: torch.tensor(v.numpy()) for k, v in model.state_dict().items()})
    with torch.inference_mode():
        want = ref(torch.tensor(x.numpy())).numpy()
    np.testing.assert_allclose(model(x).detach().numpy(), want, rtol=1e-4, atol=1e-5)


# ---- torch.nn.parameter's lazy placeholders ----------------------------------------------------
def test_uninitialized_parameter_materializes_in_place_and_lazy_linear_uses_it():
    from pyengine.nn.parameter import Parameter, UninitializedBuffer, UninitializedParameter, \
        is_lazy
    p = UninitializedParameter(dtype=pe.float64)
    assert repr(p) == "<UninitializedParameter>" and p.requires_grad and is_lazy(p)
    with pytest.raises(RuntimeError, match="shape of an uninitialized parameter"):
        p.shape
    p.materialize((2, 3))
    assert type(p) is Parameter and tuple(p.shape) == (2, 3) and p.dtype == pe.float64
    assert not is_lazy(p)
    b = UninitializedBuffer()
    assert not b.requires_grad
    b.materialize(4)
    assert type(b) is pe.Tensor and tuple(b.shape) == (4,)
    m = pe.nn.LazyLinear(3)
    assert isinstance(m.weight, UninitializedParameter) and pe.nn.UninitializedParameter is \
        UninitializedParameter
    assert repr(m) == "LazyLinear(in_features=0, out_features=3, bias=True)"
    weight = m.weight
    opt = pe.optim.SGD(m.parameters(), lr=0.1)  # made before the dry run, as torch allows
    x = pe.ones(2, 5)
    m(x).sum().backward()
    before = weight.detach().numpy().copy()
    opt.step()
    assert m.weight is weight and type(weight) is Parameter and tuple(weight.shape) == (3, 5)
    np.testing.assert_allclose(weight.detach().numpy(), before - 0.1 * 2.0, rtol=1e-6)


# ---- DataLoader: persistent_workers, in_order, __getitems__ (data-loading optimization tutorial)
class _Batched(pe.utils.data.Dataset):
    def __init__(self, n):
        self.n, self.calls = n, []

    def __len__(self):
        return self.n

    def __getitem__(self, idx):
        raise AssertionError("__getitems__ should have been used")

    def __getitems__(self, indices):
        self.calls.append(list(indices))
        return [(pe.tensor([float(i)]), i) for i in indices]


def test_getitems_fetches_each_batch_in_one_call():
    ds = _Batched(10)
    for workers in (0, 2):
        ds.calls.clear()
        batches = list(pe.utils.data.DataLoader(ds, batch_size=4, num_workers=workers))
        assert sorted(map(tuple, ds.calls)) == [(0, 1, 2, 3), (4, 5, 6, 7), (8, 9)]
        assert [b[1].tolist() for b in batches] == [[0, 1, 2, 3], [4, 5, 6, 7], [8, 9]]


def test_persistent_workers_keep_their_setup_and_restart_cleanly_after_an_early_break():
    import threading
    inits = []
    seeds = []

    def init(wid):
        inits.append(wid)

    class Rows(pe.utils.data.Dataset):
        def __len__(self):
            return 12

        def __getitem__(self, i):
            seeds.append(pe.utils.data.get_worker_info().seed)
            return i
    loader = pe.utils.data.DataLoader(Rows(), batch_size=3, num_workers=2,
                                      persistent_workers=True, worker_init_fn=init)
    for b in loader:  # an epoch left early: its batches in flight must not leak into the next
        break
    for _ in range(2):
        assert [b.tolist() for b in loader] == [[0, 1, 2], [3, 4, 5], [6, 7, 8], [9, 10, 11]]
    assert sorted(inits) == [0, 1] and len(set(seeds)) == 2
    with pytest.raises(ValueError, match="num_workers > 0"):
        pe.utils.data.DataLoader(Rows(), num_workers=0, persistent_workers=True)
    before = threading.active_count()
    it = iter(pe.utils.data.DataLoader(Rows(), batch_size=3, num_workers=2))
    next(it)
    del it  # a loop left early: its worker threads end
    import time
    for _ in range(100):
        if threading.active_count() <= before:
            break
        time.sleep(0.01)
    assert threading.active_count() <= before


def test_persistent_workers_reiterate_an_iterable_dataset_and_in_order_false_gives_every_batch():
    class Stream(pe.utils.data.IterableDataset):
        def __iter__(self):
            info = pe.utils.data.get_worker_info()
            return iter(range(info.id, 8, info.num_workers))
    loader = pe.utils.data.DataLoader(Stream(), batch_size=2, num_workers=2,
                                      persistent_workers=True)
    for _ in range(2):
        assert sorted(x for b in loader for x in b.tolist()) == list(range(8))
    unordered = pe.utils.data.DataLoader(list(range(20)), batch_size=3, num_workers=2,
                                         in_order=False)
    got = [b.tolist() for b in unordered]
    assert sorted(got) == [list(range(i, min(i + 3, 20))) for i in range(0, 20, 3)]


# ---- leaf / non-leaf, requires_grad, retain_grad / retains_grad ----------------------------------
def test_retain_grad_rules_and_retains_grad_match_torch():
    x = pe.ones(1, 3)
    w = pe.ones(3, 2, requires_grad=True)
    b = pe.ones(1, 2, requires_grad=True)
    z = x @ w + b
    y_pred = pe.nn.functional.relu(z)
    loss = pe.nn.functional.mse_loss(y_pred, pe.ones(1, 2))
    assert x.is_leaf and not z.is_leaf and z.requires_grad and not x.requires_grad
    for t in (z, y_pred, loss):
        t.retain_grad()
    w.retain_grad()  # a leaf: no-op
    assert [t.retains_grad for t in (z, y_pred, loss, w, x)] == [True, True, True, False, False]
    with pytest.raises(RuntimeError, match="requires_grad=False"):
        x.retain_grad()
    loss.backward()
    np.testing.assert_array_equal(w.grad.numpy(), np.full((3, 2), 3.0))
    np.testing.assert_array_equal(z.grad.numpy(), [[3.0, 3.0]])
    assert loss.grad.item() == 1.0 and x.grad is None


# ---- torch.profiler.tensorboard_trace_handler as on_trace_ready ---------------------------------
@pytest.mark.parametrize("use_gzip", [False, True])
def test_tensorboard_trace_handler_writes_one_trace_per_cycle(tmp_path, use_gzip):
    import gzip
    import json
    lin = pe.nn.Linear(4, 3)
    x = pe.randn(2, 4)
    out_dir = tmp_path / "log" / "run"
    with pe.profiler.profile(
            schedule=pe.profiler.schedule(wait=1, warmup=1, active=2, repeat=2),
            on_trace_ready=pe.profiler.tensorboard_trace_handler(str(out_dir), worker_name="w0",
                                                                 use_gzip=use_gzip),
            record_shapes=True) as prof:
        for _ in range(8):
            lin(x).sum().backward()
            prof.step()
    files = sorted(p.name for p in out_dir.iterdir())
    suffix = ".pt.trace.json.gz" if use_gzip else ".pt.trace.json"
    assert len(files) == 2 and all(f.startswith("w0.") and f.endswith(suffix) for f in files)
    with (gzip.open if use_gzip else open)(out_dir / files[0], "rt") as f:
        events = json.load(f)["traceEvents"]
    steps = [e["name"] for e in events if e["name"].startswith("ProfilerStep")]
    assert steps == ["ProfilerStep#2", "ProfilerStep#3"]
    linear = [e for e in events if e["name"] == "Linear"]
    assert linear and linear[0]["args"]["Input Dims"][0] == [2, 4]


# ---- torch.jit.freeze: a constant snapshot that keeps forward and the preserved names ---------
def test_jit_freeze_snapshots_the_module_and_keeps_only_preserved_names():
    class Net(pe.nn.Module):
        def __init__(self):
            super().__init__()
            self.fc = pe.nn.Linear(3, 2)
            self.drop = pe.nn.Dropout(0.5)

        def forward(self, x):
            return self.drop(self.fc(x))

        @pe.jit.export
        def version(self):
            return 1.0
    net = pe.jit.script(Net())
    with pytest.raises(RuntimeError, match="eval mode"):
        pe.jit.freeze(net)
    net.eval()
    frozen = pe.jit.freeze(net)
    kept = pe.jit.freeze(net, ["version"])
    x = pe.ones(4, 3)
    want = net(x).detach().numpy()
    with pytest.raises(AttributeError, match="fc"):
        frozen.fc
    with pytest.raises(AttributeError, match="version"):
        frozen.version()
    assert kept.version() == 1.0 and list(frozen.parameters()) == []
    with pe.no_grad():
        net.fc.bias.add_(1.0)  # training the original further leaves the frozen copy alone
    frozen.train()  # the flag follows; the frozen computation stays eval-mode (no dropout)
    np.testing.assert_array_equal(frozen(x).numpy(), want)
    assert not frozen(x).requires_grad
    torch = pytest.importorskip("torch")
    import warnings
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)  # torch 2.13 deprecates jit
        ref = torch.jit.freeze(torch.jit.script(torch.nn.Linear(3, 2).eval()))
    assert list(ref.parameters()) == []
    with pytest.raises(AttributeError):
        ref.weight


# ---- setitem drops a value's leading size-1 dims, as torch (A3C tutorial's returns) -----------
def test_setitem_value_with_leading_ones_fills_the_slot_and_gets_its_gradient():
    gamma, rewards = 0.9, [1.0, 0.5, 2.0]
    v = pe.tensor([4.0])
    r = pe.zeros(size=(3, 1), dtype=pe.float32)
    r[-1, 0] = rewards[-1] + gamma * v  # a (1,) value into one element
    for idx in (-2, -3):
        r[idx, 0] = rewards[idx] + gamma * r[idx + 1, 0]
    np.testing.assert_allclose(r.numpy().ravel(), [1.0 + 0.9 * (0.5 + 0.9 * 5.6), 0.5 + 0.9 * 5.6,
                                                   5.6], rtol=1e-6)
    x = pe.zeros(2, 3)
    x[1:] = pe.ones(1, 1, 3) * 2  # (1, 1, 3) into (1, 3)
    np.testing.assert_array_equal(x.numpy(), [[0, 0, 0], [2, 2, 2]])
    w = pe.ones(1, requires_grad=True)
    y = pe.zeros(3)
    y[1] = w * 3  # recorded: the gradient comes back in w's shape
    (y * pe.tensor([1.0, 2.0, 3.0])).sum().backward()
    np.testing.assert_array_equal(w.grad.numpy(), [6.0])
    with pytest.raises(RuntimeError, match=r"\[setitem\]"):
        x[0] = pe.ones(2)


# ---- torch.nn.utils.stateless.functional_call (the older forward-AD tutorial) ------------------
def test_stateless_functional_call_warns_and_runs_dual_parameters():
    import pyengine.autograd.forward_ad as fwAD
    model = pe.nn.Linear(3, 2)
    x = pe.tensor(np.arange(12, dtype=np.float32).reshape(4, 3))
    params = dict(model.named_parameters())
    tangents = {"weight": pe.ones(2, 3), "bias": pe.tensor([1.0, -1.0])}
    with fwAD.dual_level():
        duals = {k: fwAD.make_dual(p, tangents[k]) for k, p in params.items()}
        with pytest.warns(FutureWarning, match="torch.func.functional_call"):
            out = pe.nn.utils.stateless.functional_call(model, duals, x)
        jvp = fwAD.unpack_dual(out).tangent
    want = x.numpy() @ np.ones((3, 2), np.float32) + np.array([1.0, -1.0], np.float32)
    np.testing.assert_allclose(jvp.numpy(), want, rtol=1e-6)
    np.testing.assert_allclose(out.detach().numpy(), model(x).detach().numpy(), rtol=1e-6)


def test_profile_self_cpu_time_total_sums_the_events_self_time():
    lin = pe.nn.Linear(8, 4)
    with pe.autograd.profiler.profile(use_cuda=False) as prof:
        with pe.autograd.profiler.record_function("block"):
            lin(pe.ones(16, 8)).relu()
    rows = prof.key_averages()
    assert prof.self_cpu_time_total > 0
    assert abs(prof.self_cpu_time_total - rows.self_cpu_time_total) < 1e-6
    assert abs(rows.self_cpu_time_total - sum(r.self_cpu_time_total for r in rows)) < 1e-6
    block = [r for r in rows if r.key == "block"][0]
    assert block.self_cpu_time_total <= block.cpu_time_total


# ---- quantile / nanquantile (DDIM tutorial's dynamic thresholding) ---------------------------
def test_quantile_matches_numpy_and_thresholds_a_sample():
    rng = np.random.default_rng(0)
    a = rng.normal(size=(3, 9))
    x = pe.tensor(a)
    for method in ("linear", "lower", "higher", "midpoint", "nearest"):
        np.testing.assert_allclose(pe.quantile(x, 0.7, dim=1, interpolation=method).numpy(),
                                   np.quantile(a, 0.7, axis=1, method=method), rtol=1e-12)
    q = pe.tensor([0.1, 0.5], dtype=pe.float64)
    got = pe.quantile(x, q, dim=0, keepdim=True)
    assert tuple(got.shape) == (2, 1, 9)
    np.testing.assert_allclose(got.numpy()[:, 0], np.quantile(a, [0.1, 0.5], axis=0), rtol=1e-12)
    assert tuple(x.quantile(0.5, keepdim=True).shape) == (1, 1)
    b = a.copy()
    b[1, 4] = np.nan
    assert np.isnan(pe.quantile(pe.tensor(b), 0.5, dim=1).numpy()[1])
    np.testing.assert_allclose(pe.nanquantile(pe.tensor(b), 0.5, dim=1).numpy(),
                               np.nanquantile(b, 0.5, axis=1), rtol=1e-12)
    with pytest.raises(RuntimeError, match=r"range \[0, 1\]"):
        pe.quantile(x, 1.5)
    with pytest.raises(RuntimeError, match="float or double"):
        pe.quantile(pe.tensor([1, 2, 3]), 0.5)
    # the gradient goes to the two neighbours of rank q * (n - 1) = 0.3 * 8 = 2.4
    w = pe.tensor(a, requires_grad=True)
    pe.quantile(w, 0.3, dim=1).sum().backward()
    rows = np.argsort(a, axis=1)
    want = np.zeros_like(a)
    for r in range(3):  # rank 2.4: 0.6 to the 3rd smallest, 0.4 to the 4th
        want[r, rows[r, 2]], want[r, rows[r, 3]] = 0.6, 0.4
    np.testing.assert_allclose(w.grad.numpy(), want, rtol=1e-12, atol=1e-12)
    # dynamic thresholding: clamp each sample to its 99.56 % |value| (at least 1), then rescale
    sample = pe.tensor(rng.normal(size=(2, 48)) * 3)
    s = pe.clamp(pe.quantile(sample.abs(), 0.9956, dim=1), min=1, max=1).unsqueeze(1)
    out = pe.clamp(sample, -s, s) / s
    assert float(out.abs().max()) <= 1.0


# ---- SimCLR's augmentations (ColorJitter, RandomGrayscale, GaussianBlur, RandomApply), STL10 --
def test_color_adjustments_follow_torchvisions_formulas():
    from pyengine.vision import transforms_color as C
    rng = np.random.default_rng(0)
    a = rng.random((3, 6, 7)).astype(np.float32)
    grey = 0.2989 * a[0] + 0.587 * a[1] + 0.114 * a[2]
    np.testing.assert_allclose(C.adjust_saturation(a, 0.0), np.broadcast_to(grey, a.shape),
                               rtol=1e-6)
    np.testing.assert_allclose(C.adjust_contrast(a, 0.0), np.full(a.shape, grey.mean()),
                               rtol=1e-5)
    np.testing.assert_allclose(C.adjust_brightness(a, 2.0), np.clip(2 * a, 0, 1), rtol=1e-6)
    np.testing.assert_allclose(C.adjust_hue(a, 0.0), a, atol=1e-6)
    red = np.zeros((3, 1, 1), np.float32)
    red[0] = 1.0
    np.testing.assert_allclose(C.adjust_hue(red, 1 / 3)[:, 0, 0], [0, 1, 0], atol=1e-6)
    np.testing.assert_allclose(C.adjust_hue(red, -1 / 3)[:, 0, 0], [0, 0, 1], atol=1e-6)
    # a hue turn of 1/2 twice is the identity
    np.testing.assert_allclose(C.adjust_hue(C.adjust_hue(a, 0.5), 0.5), a, atol=1e-5)


def test_augmentation_pipeline_on_tensors_and_blur_against_torch_conv():
    from pyengine.vision import transforms as T
    pe.manual_seed(0)
    rng = np.random.default_rng(1)
    img = pe.tensor(rng.random((3, 12, 12)).astype(np.float32))
    jitter = T.ColorJitter(0.8, 0.8, 0.8, 0.2)
    pipe = T.Compose([T.RandomApply([jitter], p=0.8), T.RandomGrayscale(p=0.2),
                      T.RandomApply([T.GaussianBlur(kernel_size=[3, 3])], p=0.5)])
    outs = [pipe(img) for _ in range(6)]
    assert all(tuple(o.shape) == (3, 12, 12) and o.dtype == pe.float32 for o in outs)
    assert all(0.0 <= float(o.min()) and float(o.max()) <= 1.0 for o in outs)
    assert len({o.numpy().tobytes() for o in outs}) > 1  # random
    assert T.RandomApply([jitter], p=0.0)(img) is img
    g = T.RandomGrayscale(p=1.0)(img).numpy()
    np.testing.assert_allclose(g[0], g[1])
    np.testing.assert_allclose(g[1], g[2])
    with pytest.raises(TypeError, match="ToTensor"):
        jitter(img.numpy())
    with pytest.raises(ValueError, match="odd"):
        T.GaussianBlur(4)
    with pytest.raises(ValueError, match="hue"):
        T.ColorJitter(hue=0.7)
    torch = pytest.importorskip("torch")
    blur = T.GaussianBlur(kernel_size=(5, 3), sigma=0.8)
    got = blur(img).numpy()
    k = lambda n: np.exp(-0.5 * (np.linspace(-(n // 2), n // 2, n) / 0.8) ** 2)  # noqa: E731
    kx, ky = k(5) / k(5).sum(), k(3) / k(3).sum()
    w = torch.tensor(np.outer(ky, kx), dtype=torch.float32).expand(3, 1, 3, 5)
    x = torch.nn.functional.pad(torch.tensor(img.numpy())[None], (2, 2, 1, 1), mode="reflect")
    want = torch.nn.functional.conv2d(x, w, groups=3)[0].numpy()
    np.testing.assert_allclose(got, want, rtol=1e-5, atol=1e-6)


def test_stl10_reads_the_binary_release(tmp_path):
    from pyengine.vision import datasets
    folder = tmp_path / "stl10_binary"
    folder.mkdir()
    rng = np.random.default_rng(0)
    train = rng.integers(0, 256, (4, 3, 96, 96)).astype(np.uint8)
    train.transpose(0, 1, 3, 2).tofile(folder / "train_X.bin")  # stored column-major
    np.array([1, 10, 3, 3], np.uint8).tofile(folder / "train_y.bin")
    unl = rng.integers(0, 256, (2, 3, 96, 96)).astype(np.uint8)
    unl.transpose(0, 1, 3, 2).tofile(folder / "unlabeled_X.bin")
    (folder / "class_names.txt").write_text("\n".join(f"c{i}" for i in range(10)) + "\n")
    (folder / "fold_indices.txt").write_text("0 2\n1 3\n" + "0\n" * 8)
    ds = datasets.STL10(str(tmp_path), split="train", download=True)
    assert len(ds) == 4 and ds.data.shape == (4, 3, 96, 96) and ds.labels.tolist() == [0, 9, 2, 2]
    img, y = ds[1]
    assert y == 9 and np.array_equal(np.asarray(img), train[1].transpose(1, 2, 0))
    assert ds.classes[9] == "c9"
    both = datasets.STL10(str(tmp_path), split="train+unlabeled")
    assert len(both) == 6 and both.labels.tolist()[-2:] == [-1, -1]
    assert datasets.STL10(str(tmp_path), split="train", folds=1).labels.tolist() == [9, 2]
    unlabeled = datasets.STL10(str(tmp_path), split="unlabeled",
                               transform=pe.vision.transforms.ToTensor())
    x, _ = unlabeled[0]
    np.testing.assert_allclose(x.numpy(), unl[0] / 255.0, rtol=1e-6)
    with pytest.raises(RuntimeError, match="test_y.bin not found"):
        datasets.STL10(str(tmp_path), split="test")
    with pytest.raises(ValueError, match="split"):
        datasets.STL10(str(tmp_path), split="val")


# ---- neural style transfer: vgg19 features, ToPILImage, LBFGS on the image -------------------
def test_vgg19_layout_and_to_pil_image():
    from pyengine.vision import models, transforms
    from pyengine.vision.models.vgg import CFGS, make_layers
    assert models.vgg19.__name__ == "vgg19" and callable(models.vgg13_bn)
    feats = make_layers(CFGS["E"])  # vgg19().features without the 102 M-weight classifier
    convs = [m for m in feats if isinstance(m, pe.nn.Conv2d)]
    assert len(convs) == 16 and len(feats) == 37 and isinstance(feats[36], pe.nn.MaxPool2d)
    # torchvision's vgg19 has 143,667,240 parameters: features + the 123,642,856 classifier
    assert sum(p.numel() for p in feats.parameters()) == 143_667_240 - 123_642_856
    img = pe.tensor(np.array([[[0.0, 0.5], [0.999, 1.0]]] * 3, np.float32))
    out = transforms.ToPILImage()(img)
    arr = np.asarray(out)
    assert arr.shape == (2, 2, 3) and arr.dtype == np.uint8
    assert arr[:, :, 0].tolist() == [[0, 127], [254, 255]]  # mul(255).byte() truncates
    assert np.asarray(transforms.ToPILImage()(img[:1])).shape == (2, 2)
    with pytest.raises(ValueError, match="channels"):
        transforms.ToPILImage(mode="RGB")(img[:2])


def test_lbfgs_on_an_image_lowers_a_gram_style_loss():
    pe.manual_seed(0)
    conv = pe.nn.Sequential(pe.nn.Conv2d(3, 4, 3, padding=1), pe.nn.ReLU())

    def gram(x):
        a, b, c, d = x.size()
        f = x.view(a * b, c * d)
        return pe.mm(f, f.t()).div(a * b * c * d)
    rng = np.random.default_rng(0)
    target = gram(conv(pe.tensor(rng.random((1, 3, 8, 8)).astype(np.float32)))).detach()
    img = pe.tensor(rng.random((1, 3, 8, 8)).astype(np.float32))
    opt = pe.optim.LBFGS([img.requires_grad_()])
    losses = []

    def closure():
        img.data.clamp_(0, 1)
        opt.zero_grad()
        loss = pe.nn.functional.mse_loss(gram(conv(img)), target) * 1e4
        loss.backward()
        losses.append(loss.item())
        return loss
    for _ in range(3):
        opt.step(closure)
    img.data.clamp_(0, 1)
    assert losses[-1] < 0.2 * losses[0]
    assert 0.0 <= float(img.min()) and float(img.max()) <= 1.0


# ---- empty_strided (the mutable custom-op tutorial's opcheck examples) ------------------------
def test_empty_strided_lays_out_the_given_strides():
    e = pe.empty_strided((3, 2), (1, 3))
    assert tuple(e.shape) == (3, 2) and tuple(e.stride()) == (1, 3) and not e.is_contiguous()
    e.copy_(pe.tensor(np.arange(6.0, dtype=np.float32).reshape(3, 2)))
    np.testing.assert_array_equal(e.numpy(), np.arange(6.0).reshape(3, 2))
    np.testing.assert_array_equal(np.sin(e.numpy()), e.sin().numpy())
    assert tuple(pe.empty_strided((2, 0), (1, 1)).shape) == (2, 0)
    d = pe.empty_strided((2, 3), (3, 1), dtype=pe.float64, requires_grad=True)
    assert d.dtype == pe.float64 and d.requires_grad and d.is_contiguous()
    with pytest.raises(ValueError, match="stride"):
        pe.empty_strided((2, 2), (1,))
    torch = pytest.importorskip("torch")
    assert tuple(torch.empty_strided((3, 2), (1, 3)).stride()) == tuple(e.stride())


def test_opcheck_compares_the_fake_kernels_strides():
    def sin_strided(x):
        out = pe.empty_strided(tuple(x.shape), tuple(reversed(x.stride())), dtype=x.dtype)
        np.sin(x.detach().numpy(), out=out.numpy())
        return out

    @pe.library.custom_op("jc_test::sin_strided_bad", mutates_args=(), device_types="cpu")
    def bad(x: pe.Tensor) -> pe.Tensor:
        return sin_strided(x)

    @bad.register_fake
    def _(x):
        return pe.empty_like(x)

    @pe.library.custom_op("jc_test::sin_strided_good", mutates_args=(), device_types="cpu")
    def good(x: pe.Tensor) -> pe.Tensor:
        return sin_strided(x)

    @good.register_fake
    def _(x):
        return pe.empty_strided(tuple(x.shape), tuple(reversed(x.stride())), dtype=x.dtype)
    with pytest.raises(RuntimeError, match="strides"):
        pe.library.opcheck(bad, (pe.randn(2, 3),))
    pe.library.opcheck(good, (pe.randn(2, 3),))
    out = good(pe.ones(2, 3))
    assert tuple(out.stride()) == (1, 3)
    np.testing.assert_allclose(out.numpy(), np.sin(np.ones((2, 3))), rtol=1e-6)


# ---- tagged in-place / out= custom ops (torch.Tag), torch.sin(x, out=) ------------------------
def test_tagged_custom_ops_and_unary_out():
    Tag = pe.Tag
    assert hasattr(Tag, "inplace") and hasattr(Tag, "out")

    @pe.library.custom_op("jc_test::sin_", mutates_args={"x"}, tags=Tag.inplace)
    def sin_(x: pe.Tensor) -> pe.Tensor:
        x.sin_()
        return x

    @pe.library.custom_op("jc_test::sin_out", mutates_args={"out"}, tags=Tag.out)
    def sin_out(x: pe.Tensor, *, out: pe.Tensor) -> pe.Tensor:
        pe.sin(x, out=out)
        return out
    x = pe.tensor([0.1, 0.2, 0.3])
    want = np.sin(x.numpy())
    y = x.clone()
    assert sin_(y) is y
    np.testing.assert_allclose(y.numpy(), want, rtol=1e-6)
    buf = pe.empty(3)
    assert sin_out(x, out=buf) is buf
    np.testing.assert_allclose(buf.numpy(), want, rtol=1e-6)
    pe.library.opcheck(sin_, (pe.randn(3),))
    pe.library.opcheck(sin_out, (pe.randn(3),), {"out": pe.empty(3)})

    @pe.library.custom_op("jc_test::sin_copy", mutates_args={"x"}, tags=Tag.inplace)
    def sin_copy(x: pe.Tensor) -> pe.Tensor:
        x.sin_()
        return x.clone()
    with pytest.raises(RuntimeError, match="return its mutated first argument"):
        sin_copy(pe.ones(2))
    with pytest.raises(ValueError, match="keyword-only"):
        pe.library.custom_op("jc_test::bad_out", mutates_args={"out"}, tags=Tag.out)(
            lambda x, out: out)
    with pytest.raises(TypeError, match="Tag"):
        pe.library.custom_op("jc_test::bad_tag", mutates_args=(), tags="inplace")
    # torch.sin(x, out=y) and friends write into y (and refuse a graph, as torch)
    o = pe.empty(3)
    assert pe.exp(x, out=o) is o
    np.testing.assert_allclose(o.numpy(), np.exp(x.numpy()), rtol=1e-6)
    with pytest.raises(RuntimeError, match="automatic differentiation"):
        pe.sin(pe.ones(2, requires_grad=True), out=pe.empty(2))
