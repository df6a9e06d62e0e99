"""Patterns of further public PyTorch programs run with only their imports changed
(docs/public_examples.md): pytorch/examples vision_transformer (Tensor.unfold patches,
torch.hub.tqdm, transforms.Resize), the spatial transformer tutorial (F.affine_grid,
F.grid_sample). Tiny sizes; values against NumPy float64, and torch when installed."""
import io

import numpy as np
import pytest

import pyengine as pe
import pyengine.nn as nn
import pyengine.nn.functional as F
from pyengine.testing import gradcheck

try:
    import torch
except ImportError:  # the cross-checks are optional
    torch = None


def _np_unfold(a, dim, size, step):
    n = (a.shape[dim] - size) // step + 1
    pieces = [np.take(a, range(i * step, i * step + size), axis=dim) for i in range(n)]
    return np.moveaxis(np.stack(pieces, axis=dim), dim + 1, -1)


@pytest.mark.parametrize("dim,size,step", [(2, 4, 4), (3, 3, 2), (-1, 6, 1), (0, 1, 1)])
def test_tensor_unfold_windows_and_gradient(dim, size, step):
    a = np.random.default_rng(0).standard_normal((2, 3, 8, 6))
    out = pe.tensor(a).unfold(dim, size, step)
    np.testing.assert_array_equal(out.numpy(), _np_unfold(a, dim % 4, size, step))
    # overlapping windows accumulate: each element's gradient is how many windows hold it
    x = pe.tensor(a, requires_grad=True)
    x.unfold(dim, size, step).sum().backward()
    counts = _np_unfold(np.zeros_like(a), dim % 4, size, step)
    ones = np.zeros_like(a)
    idx = np.arange(a.shape[dim % 4])
    n = (a.shape[dim % 4] - size) // step + 1
    per = np.array([sum(i * step <= j < i * step + size for i in range(n)) for j in idx], float)
    shape = [1] * 4
    shape[dim % 4] = -1
    np.testing.assert_array_equal(x.grad.numpy(), ones + per.reshape(shape))
    assert counts.shape == out.shape


def test_tensor_unfold_vit_patches_and_errors():
    img = pe.tensor(np.arange(2 * 3 * 4 * 4, dtype=np.float32).reshape(2, 3, 4, 4))
    p = img.unfold(2, 2, 2).unfold(3, 2, 2).permute(0, 2, 3, 1, 4, 5).contiguous().view(2, 4, -1)
    assert p.shape == (2, 4, 12)
    np.testing.assert_array_equal(p.numpy()[0, 1, :4], [2, 3, 6, 7])  # patch (0, 1), channel 0
    with pytest.raises(RuntimeError, match="unfold"):
        img.unfold(2, 5, 1)
    with pytest.raises(RuntimeError, match="unfold"):
        img.unfold(2, 2, 0)
    assert pe.tensor(5.0).unfold(0, 1, 1).shape == (1,)
    x = pe.tensor(np.random.default_rng(1).standard_normal((2, 7)), requires_grad=True)
    assert gradcheck(lambda t: t.unfold(1, 3, 2) * 1.5, (x,))


def test_hub_tqdm_wraps_a_loader():
    from pyengine.hub import tqdm
    assert pe.hub.tqdm is tqdm
    stream = io.StringIO()
    bar = tqdm([1, 2, 3], desc="EPOCH", file=stream)
    assert len(bar) == 3
    seen = []
    for t, item in enumerate(bar):
        seen.append(item)
        bar.set_postfix({"Loss": "%6f" % (1.0 / (t + 1))})
    assert seen == [1, 2, 3]


def _np_resize_bilinear(a, out, antialias=True):
    """Pillow's separable triangle filter, written out independently in float64."""
    def axis_weights(n_in, n_out):
        scale = n_in / n_out
        sup = scale if antialias and scale > 1 else 1.0
        w = np.zeros((n_out, n_in))
        for i in range(n_out):
            c = (i + 0.5) * scale
            for j in range(n_in):
                w[i, j] = max(0.0, 1 - abs((j + 0.5 - c) / sup))
            w[i] /= w[i].sum()
        return w
    wh, ww = axis_weights(a.shape[-2], out[0]), axis_weights(a.shape[-1], out[1])
    return np.einsum("ih,...hw,jw->...ij", wh, a, ww)


@pytest.mark.parametrize("size,antialias", [((5, 7), True), ((13, 20), True), ((5, 7), False)])
def test_resize_bilinear_matches_the_filter(size, antialias):
    from pyengine.vision.transforms import Resize
    a = np.random.default_rng(2).random((2, 3, 9, 11))
    got = Resize(size, antialias=antialias)(pe.tensor(a)).numpy()
    np.testing.assert_allclose(got, _np_resize_bilinear(a, size, antialias), atol=1e-12)
    if torch is not None:
        want = torch.nn.functional.interpolate(torch.tensor(a), size=size, mode="bilinear",
                                               align_corners=False, antialias=antialias)
        np.testing.assert_allclose(got, want.numpy(), atol=1e-12)


def test_resize_compose_uint8_and_short_edge():
    from pyengine.vision.transforms import Compose, Resize, ToTensor
    img = np.random.default_rng(3).integers(0, 256, (8, 8, 3), dtype=np.uint8)
    out = Compose([Resize((16, 16)), ToTensor()])(img)
    assert out.shape == (3, 16, 16) and out.dtype == pe.float32
    assert Resize(10)(np.zeros((20, 40, 3), np.uint8)).shape == (10, 20, 3)
    with pytest.raises(NotImplementedError, match="Resize"):
        Resize(4, interpolation="bicubic")


# ---- spatial transformer tutorial: F.affine_grid + F.grid_sample ------------------------------
def _np_affine_grid(theta, h, w, align_corners):
    def axis(n):
        s = np.linspace(-1, 1, n)
        return s if align_corners else s * (n - 1) / n
    ys, xs = np.meshgrid(axis(h), axis(w), indexing="ij")
    base = np.stack([xs, ys, np.ones_like(xs)], -1)  # (h, w, 3)
    return np.einsum("hwk,njk->nhwj", base, theta)


def _np_grid_sample_zeros(x, grid, align_corners):
    n, c, h, w = x.shape
    out = np.zeros((n, c) + grid.shape[1:3])
    for b in range(n):
        for i in range(grid.shape[1]):
            for j in range(grid.shape[2]):
                gx, gy = grid[b, i, j]
                px = (gx + 1) * (w - 1) / 2 if align_corners else ((gx + 1) * w - 1) / 2
                py = (gy + 1) * (h - 1) / 2 if align_corners else ((gy + 1) * h - 1) / 2
                x0, y0 = int(np.floor(px)), int(np.floor(py))
                for xx, yy in ((x0, y0), (x0 + 1, y0), (x0, y0 + 1), (x0 + 1, y0 + 1)):
                    if 0 <= xx < w and 0 <= yy < h:
                        wt = (1 - abs(px - xx)) * (1 - abs(py - yy))
                        out[b, :, i, j] += wt * x[b, :, yy, xx]
    return out


@pytest.mark.parametrize("align_corners", [False, True])
def test_affine_grid_and_bilinear_sampling_values(align_corners):
    rng = np.random.default_rng(4)
    theta = rng.standard_normal((2, 2, 3)) * 0.6
    grid = F.affine_grid(pe.tensor(theta), (2, 3, 5, 6), align_corners=align_corners)
    want = _np_affine_grid(theta, 5, 6, align_corners)
    np.testing.assert_allclose(grid.numpy(), want, atol=1e-12)
    x = rng.standard_normal((2, 3, 5, 6))
    out = F.grid_sample(pe.tensor(x), grid, align_corners=align_corners)
    np.testing.assert_allclose(out.numpy(), _np_grid_sample_zeros(x, want, align_corners),
                               atol=1e-12)
    # the identity theta reproduces the image (the tutorial's initial transform)
    eye = pe.tensor(np.tile([[1.0, 0, 0], [0, 1.0, 0]], (2, 1, 1)))
    same = F.grid_sample(pe.tensor(x), F.affine_grid(eye, (2, 3, 5, 6), align_corners=align_corners),
                         align_corners=align_corners)
    np.testing.assert_allclose(same.numpy(), x, atol=1e-12)


@pytest.mark.parametrize("mode", ["bilinear", "nearest"])
@pytest.mark.parametrize("padding_mode", ["zeros", "border", "reflection"])
@pytest.mark.parametrize("align_corners", [False, True])
def test_grid_sample_against_torch(mode, padding_mode, align_corners):
    if torch is None:
        pytest.skip("torch not installed")
    rng = np.random.default_rng(5)
    x, grid = rng.standard_normal((2, 2, 4, 5)), rng.uniform(-1.5, 1.5, (2, 3, 4, 2))
    w = rng.standard_normal((2, 2, 3, 4))
    xi, gi = pe.tensor(x, requires_grad=True), pe.tensor(grid, requires_grad=True)
    out = F.grid_sample(xi, gi, mode=mode, padding_mode=padding_mode, align_corners=align_corners)
    (out * pe.tensor(w)).sum().backward()
    xt, gt = torch.tensor(x, requires_grad=True), torch.tensor(grid, requires_grad=True)
    ot = torch.nn.functional.grid_sample(xt, gt, mode=mode, padding_mode=padding_mode,
                                         align_corners=align_corners)
    (ot * torch.tensor(w)).sum().backward()
    np.testing.assert_allclose(out.numpy(), ot.detach().numpy(), atol=1e-12)
    np.testing.assert_allclose(xi.grad.numpy(), xt.grad.numpy(), atol=1e-12)
    np.testing.assert_allclose(gi.grad.numpy(), gt.grad.numpy(), atol=1e-12)


@pytest.mark.parametrize("padding_mode", ["zeros", "border", "reflection"])
def test_grid_sample_gradcheck_through_theta(padding_mode):
    rng = np.random.default_rng(6)
    x = pe.tensor(rng.standard_normal((1, 2, 4, 4)), requires_grad=True)
    # a theta whose sample points avoid pixel borders (where bilinear is not differentiable)
    theta = pe.tensor(np.array([[[0.83, 0.21, 0.07], [-0.17, 1.31, 0.11]]]), requires_grad=True)

    def f(inp, th):
        return F.grid_sample(inp, F.affine_grid(th, (1, 2, 3, 3), align_corners=False),
                             padding_mode=padding_mode, align_corners=False)
    assert gradcheck(f, (x, theta))


def test_affine_grid_3d_and_errors():
    theta = np.random.default_rng(7).standard_normal((1, 3, 4))
    g = F.affine_grid(pe.tensor(theta), (1, 1, 2, 3, 4), align_corners=False)
    assert g.shape == (1, 2, 3, 4, 3)
    if torch is not None:
        want = torch.nn.functional.affine_grid(torch.tensor(theta), (1, 1, 2, 3, 4),
                                               align_corners=False)
        np.testing.assert_allclose(g.numpy(), want.numpy(), atol=1e-12)
    with pytest.raises(ValueError, match="affine_grid"):
        F.affine_grid(pe.tensor(theta), (1, 1, 3, 4))
    x, grid = pe.zeros(1, 1, 3, 3), pe.zeros(1, 2, 2, 2)
    with pytest.raises(NotImplementedError, match="bicubic"):
        F.grid_sample(x, grid, mode="bicubic")
    with pytest.raises(ValueError, match="padding_mode"):
        F.grid_sample(x, grid, padding_mode="circular")


def test_spatial_transformer_trains():
    pe.manual_seed(0)

    class STN(nn.Module):
        def __init__(self):
            super().__init__()
            self.loc = nn.Sequential(nn.Conv2d(1, 4, 3), nn.MaxPool2d(2), nn.ReLU(True))
            self.fc_loc = nn.Sequential(nn.Linear(4 * 3 * 3, 8), nn.ReLU(True), nn.Linear(8, 6))
            self.fc_loc[2].weight.data.zero_()
            self.fc_loc[2].bias.data.copy_(pe.tensor([1, 0, 0, 0, 1, 0], dtype=pe.float))
            self.head = nn.Linear(64, 3)

        def forward(self, x):
            theta = self.fc_loc(self.loc(x).view(-1, 36)).view(-1, 2, 3)
            x = F.grid_sample(x, F.affine_grid(theta, x.size()))
            return F.log_softmax(self.head(x.view(x.size(0), -1)), dim=1)

    rng = np.random.default_rng(8)
    y = rng.integers(0, 3, 24)
    imgs = rng.random((24, 1, 8, 8)).astype(np.float32) * 0.2
    for i, c in enumerate(y):
        imgs[i, 0, 2 * c:2 * c + 2, 1:7] = 1.0
    x, t = pe.tensor(imgs), pe.tensor(y)
    model = STN()
    opt = pe.optim.SGD(model.parameters(), lr=0.1)
    losses = []
    for _ in range(25):
        opt.zero_grad()
        loss = F.nll_loss(model(x), t)
        loss.backward()
        opt.step()
        losses.append(loss.item())
    assert losses[-1] < 0.6 * losses[0]
    # gradients reached the regressor of theta through the sampler
    assert np.abs(model.fc_loc[2].weight.grad.numpy()).sum() > 0


# ---- siamese_network: the deprecated nn.init names ---------------------------------------------
@pytest.mark.parametrize("old", ["uniform", "normal", "constant", "eye", "dirac", "xavier_uniform",
                                 "xavier_normal", "kaiming_uniform", "kaiming_normal",
                                 "orthogonal", "sparse"])
def test_deprecated_init_aliases_warn_and_initialise(old):
    fn = getattr(nn.init, old)
    shape = (4, 3, 3, 3) if old == "dirac" else (4, 6)
    args = {"constant": (0.25,), "sparse": (0.5,)}.get(old, ())
    pe.manual_seed(0)
    w = pe.zeros(*shape)
    with pytest.warns(FutureWarning, match=f"nn.init.{old}_"):
        fn(w, *args)
    pe.manual_seed(0)
    want = getattr(nn.init, old + "_")(pe.zeros(*shape), *args)
    np.testing.assert_array_equal(w.numpy(), want.numpy())
    if old not in ("sparse",):
        assert np.abs(w.numpy()).sum() > 0


# ---- seq2seq tutorial: `encoder_outputs[ei] = encoder_output[0, 0]` keeps the graph -----------
def test_setitem_of_a_graph_value_into_a_buffer_carries_the_gradient():
    rng = np.random.default_rng(9)
    wv = rng.standard_normal(2)
    c = rng.standard_normal((3, 2))
    w = pe.tensor(wv, requires_grad=True)
    z = pe.zeros(3, 2, dtype=pe.float64)
    z[1] = w * 2.0
    z[2] = w
    z[2, 0] = 5.0  # overwrites: w[0] loses this position's gradient
    assert z.requires_grad and z.grad_fn is not None
    (z * pe.tensor(c)).sum().backward()
    np.testing.assert_allclose(w.grad.numpy(), [2 * c[1, 0], 2 * c[1, 1] + c[2, 1]])
    np.testing.assert_allclose(z.detach().numpy(), [[0, 0], wv * 2, [5.0, wv[1]]])
    # a broadcast value gets the sum over the positions it filled
    v = pe.tensor([[3.0]], requires_grad=True)
    b = pe.zeros(2, 3)
    b[:, 1:] = v
    b.sum().backward()
    np.testing.assert_allclose(v.grad.numpy(), [[4.0]])


def test_setitem_gradcheck_and_refusals():
    def f(a, b):
        buf = pe.zeros(4, 3, dtype=pe.float64)
        buf[0] = a
        buf[2:] = b * a
        return buf.tanh()
    a = pe.tensor(np.random.default_rng(10).standard_normal(3), requires_grad=True)
    b = pe.tensor(np.random.default_rng(11).standard_normal((2, 1)), requires_grad=True)
    assert gradcheck(f, (a, b))
    leaf = pe.zeros(2, requires_grad=True)
    with pytest.raises(RuntimeError, match="setitem"):
        leaf[0] = a[0]
    buf = pe.zeros(3, dtype=pe.float64)
    used = a * buf  # an op took buf as input: the new version must not reach its backward
    buf[0] = a[1]  # allowed, as torch: `used` keeps the version it read
    assert buf.requires_grad and buf.detach().numpy()[0] == a.detach().numpy()[1]
    a.grad = None
    used.sum().backward()
    np.testing.assert_array_equal(a.grad.numpy(), 0.0)
    a.grad = None
    buf.sum().backward()  # the new version: d buf[0] / d a[1] = 1
    np.testing.assert_array_equal(a.grad.numpy(), [0.0, 1.0, 0.0])
    out = a * 2
    held = [out]  # a second holder sees the write (the same tensor), as in torch
    out[0] = 1.0
    assert held[0].detach().numpy()[0] == 1.0
    del held
    with pe.no_grad():  # outside autograd the write is a plain in-place store
        leaf[0] = 3.0
    assert leaf.detach().numpy()[0] == 3.0


def test_seq2seq_attention_over_a_filled_buffer_trains_the_encoder():
    pe.manual_seed(0)
    emb, gru = nn.Embedding(6, 8), nn.GRU(8, 8)
    attn = nn.Linear(8, 4)
    seq = pe.tensor([2, 3, 4])
    outputs = pe.zeros(4, 8)
    hidden = pe.zeros(1, 1, 8)
    for i in range(3):
        out, hidden = gru(emb(seq[i]).view(1, 1, -1), hidden)
        outputs[i] = out[0, 0]
    weights = F.softmax(attn(hidden[0]), dim=1)
    context = pe.bmm(weights.unsqueeze(0), outputs.unsqueeze(0))
    context.sum().backward()
    # the attention path reaches the first step's embedding row (hidden alone would too, so
    # compare with the gradient when the buffer is cut off from the graph)
    with_buffer = emb.weight.grad.numpy().copy()
    emb.weight.grad = None
    hidden = pe.zeros(1, 1, 8)
    outputs2 = pe.zeros(4, 8)
    for i in range(3):
        out, hidden = gru(emb(seq[i]).view(1, 1, -1), hidden)
        outputs2[i] = out[0, 0].detach()
    weights = F.softmax(attn(hidden[0]), dim=1)
    pe.bmm(weights.unsqueeze(0), outputs2.unsqueeze(0)).sum().backward()
    assert np.abs(with_buffer - emb.weight.grad.numpy()).max() > 1e-6


# ---- the Deep Learning A-Z stacked autoencoder: `output[target == 0] = 0` after the layer -------
def test_setitem_into_a_layer_output_masks_its_gradient():
    rng = np.random.default_rng(12)
    xv, wv, bv = rng.standard_normal((1, 5)), rng.standard_normal((4, 5)), rng.standard_normal(4)
    tv = np.array([[0.0, 3.0, 0.0, 5.0]])
    x, w, b = (pe.tensor(v, requires_grad=True) for v in (xv, wv, bv))
    target = pe.tensor(tv)
    output = x @ w.t() + b
    output[target == 0] = 0
    assert output.requires_grad
    loss = ((output - target) ** 2).mean()
    loss.backward()
    keep = (tv != 0).astype(float)
    out_ref = (xv @ wv.T + bv) * keep
    g_out = 2 * (out_ref - tv) / 4 * keep
    np.testing.assert_allclose(output.detach().numpy(), out_ref)
    np.testing.assert_allclose(w.grad.numpy(), g_out.T @ xv, rtol=1e-12)
    np.testing.assert_allclose(b.grad.numpy(), g_out[0], rtol=1e-12)
    np.testing.assert_allclose(x.grad.numpy(), g_out @ wv, rtol=1e-12)
    # the same through gradcheck, with a tensor value written into a computed tensor
    def f(x, w):
        y = (x @ w.t()).tanh()
        y[:, 1] = x[:, 0] * 3.0
        return y
    assert gradcheck(f, (x.detach().requires_grad_(), w.detach().requires_grad_()))


# ---- course programs open with `import torch.nn.parallel`; they also set attributes on tensors --
def test_nn_parallel_runs_the_module_here_and_names_the_distributed_path():
    import pyengine.nn.parallel as parallel
    lin = nn.Linear(3, 2)
    x = pe.randn(4, 3)
    np.testing.assert_array_equal(parallel.data_parallel(lin, x).detach().numpy(),
                                  lin(x).detach().numpy())
    np.testing.assert_array_equal(parallel.data_parallel(lin, (x,)).detach().numpy(),
                                  lin(x).detach().numpy())
    assert parallel.DataParallel is nn.DataParallel and nn.parallel is parallel
    with pytest.raises(RuntimeError, match="data_parallel"):
        parallel.data_parallel(lin, x, device_ids=[0])
    with pytest.raises(TypeError, match=r"\[data_parallel\] module must be callable"):
        parallel.data_parallel(3, x)
    with pytest.raises(TypeError, match="module_kwargs"):
        parallel.data_parallel(lin, x, module_kwargs=[1])
    # DistributedDataParallel runs on MPI: the name exists either way, as torch's does; without
    # the [dist] extra, making one names the extra
    from pyengine.distributed import DistributedDataParallel
    assert parallel.DistributedDataParallel is DistributedDataParallel
    try:
        import mpi4py  # noqa: F401
    except ImportError:
        with pytest.raises(ImportError, match=r"pyengine\[dist\]"):
            parallel.DistributedDataParallel(lin)
    with pytest.raises(AttributeError, match="no attribute 'nope'"):
        parallel.nope


def test_a_tensor_takes_attributes_of_the_program_as_torch_tensors_do():
    t = pe.zeros(2)
    t.require_grad = False  # the course's typo: harmless in torch, so harmless here
    t.name = "ratings"
    assert t.name == "ratings" and t.requires_grad is False
    assert not hasattr(pe.zeros(2), "name")
