"""Original tests of the PyTorch API patterns that public pytorch/examples programs and
pytorch/tutorials beginner pages need (see docs/public_examples.md for which program needed
what). Tiny sizes, synthetic data; values against NumPy float64 or torch when installed.
No program or tutorial text is used."""
import warnings

import numpy as np
import pytest

import pyengine as pe
import pyengine.nn as nn
import pyengine.nn.functional as F
from pyengine import optim

try:  # optional cross-check only
    import torch as _torch
except ImportError:  # pragma: no cover
    _torch = None


# ---- Dropout2d / Dropout3d ranks (mnist_rnn puts Dropout2d after an LSTM's last step) ------
def _quiet(fn, *a, **k):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return fn(*a, **k)


def test_dropout2d_on_2d_input_is_element_dropout_with_warning():
    pe.manual_seed(0)
    x = pe.ones(64, 32)
    with pytest.warns(UserWarning, match="2-D input to dropout2d"):
        y = F.dropout2d(x, 0.5, True).numpy()
    assert set(np.unique(y)) <= {0.0, 2.0}
    # element-wise: rows are not all-equal (a per-sample mask would make them so)
    assert any(len(set(row)) == 2 for row in y)
    assert 0.35 < (y == 0).mean() < 0.65
    assert np.array_equal(_quiet(F.dropout2d, x, 0.5, False).numpy(), np.ones((64, 32)))


def test_dropout2d_3d_input_masks_each_n_c_pair_as_torch():
    pe.manual_seed(1)
    with pytest.warns(UserWarning, match="3D input"):
        y = F.dropout2d(pe.ones(16, 8, 5), 0.5, True).numpy()
    # constant along L, varying over (n, c): PyTorch's (N, C, L) reading
    assert np.all(y == y[:, :, :1])
    per_nc = y[:, :, 0]
    assert any(len(set(row)) == 2 for row in per_nc)


def test_dropout2d_and_3d_masks_broadcast_over_trailing_dims():
    pe.manual_seed(2)
    y = _quiet(F.dropout2d, pe.ones(4, 6, 2, 2, 2), 0.5, True).numpy()
    assert np.all(y == y[:, :, :1, :1, :1])
    y4 = F.dropout2d(pe.ones(4, 6, 3, 3), 0.5, True).numpy()
    assert np.all(y4 == y4[:, :, :1, :1])
    y3 = F.dropout3d(pe.ones(5, 2, 3, 3), 0.5, True).numpy()  # unbatched (C, D, H, W)
    assert np.all(y3 == y3[:, :1, :1, :1])
    y5 = F.dropout3d(pe.ones(3, 5, 2, 3, 3), 0.5, True).numpy()
    assert np.all(y5 == y5[:, :, :1, :1, :1])
    with pytest.raises(ValueError, match="dropout2d.*at least 2"):
        _quiet(F.dropout2d, pe.ones(5), 0.5, True)


def test_dropout3d_module_gradient_is_the_mask():
    pe.manual_seed(4)
    m = nn.Dropout3d(0.5)
    x = pe.randn(2, 3, 2, 2, 2, requires_grad=True)
    y = m(x)
    y.sum().backward()
    mask = y.detach().numpy() / np.where(x.detach().numpy() == 0, 1, x.detach().numpy())
    assert np.allclose(x.grad.numpy(), mask, atol=1e-5)
    m.eval()
    assert np.array_equal(m(x).detach().numpy(), x.detach().numpy())
    assert "p=0.5" in repr(m)


def test_lstm_last_step_batchnorm_dropout2d_classifier_trains():
    """mnist_rnn's pattern: rows of an image through LSTM(batch_first), last step,
    BatchNorm1d, Dropout2d on (N, C), Linear, log_softmax + nll_loss, Adadelta, StepLR."""
    pe.manual_seed(0)
    rs = np.random.RandomState(0)
    y = rs.randint(0, 3, 48)
    x = rs.randn(48, 1, 6, 6).astype(np.float32) * 0.3
    for i, k in enumerate(y):
        x[i, 0, 2 * k:2 * k + 2] += 2.0

    class RowLSTM(nn.Module):
        def __init__(self):
            super().__init__()
            self.rnn = nn.LSTM(input_size=6, hidden_size=16, batch_first=True)
            self.bn = nn.BatchNorm1d(16)
            self.drop = nn.Dropout2d(0.1)
            self.fc = nn.Linear(16, 3)

        def forward(self, inp):
            out, _ = self.rnn(inp.reshape(-1, 6, 6))
            return F.log_softmax(self.fc(self.drop(self.bn(out[:, -1, :]))), dim=1)

    model = RowLSTM()
    opt = optim.Adadelta(model.parameters(), lr=1.0)
    sched = optim.lr_scheduler.StepLR(opt, step_size=1, gamma=0.9)
    xt, yt = pe.tensor(x), pe.tensor(y, dtype=pe.long)
    losses = []
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        for _ in range(30):
            model.train()
            opt.zero_grad()
            loss = F.nll_loss(model(xt), yt)
            loss.backward()
            opt.step()
            sched.step()
            losses.append(loss.item())
    model.eval()
    with pe.no_grad():
        pred = _quiet(model, xt).argmax(dim=1, keepdim=True)
    assert losses[-1] < 0.5 * losses[0]
    assert pred.eq(yt.view_as(pred)).sum().item() >= 40


# ---- torch.xpu / torch.mps availability (mnist_forward_forward picks its device so) -------
def test_xpu_and_mps_report_no_device():
    assert pe.xpu.is_available() is False and pe.xpu.device_count() == 0
    assert pe.mps.device_count() == 0 and pe.backends.mps.is_available() is False


def test_forward_forward_layer_pattern_matches_numpy():
    """mnist_forward_forward: an nn.Linear subclass built with positional (in, out, bias,
    device, dtype), rows scaled to unit norm, relu(mm(x, W.T) + b), the label overlaid with
    x_[range(n), y] = x.max(); goodness = mean of squares; log1p(exp(cat(...))) loss."""
    class Layer(nn.Linear):
        def __init__(self, i, o, bias=True, device=None, dtype=None):
            super().__init__(i, o, bias, device, dtype)
            self.opt = optim.Adam(self.parameters(), lr=0.03)

        def forward(self, x):
            d = x / (x.norm(2, 1, keepdim=True) + 1e-4)
            return F.relu(pe.mm(d, self.weight.T) + self.bias.unsqueeze(0))

    pe.manual_seed(0)
    rs = np.random.RandomState(0)
    x = pe.tensor(rs.randn(6, 12).astype(np.float32))
    y = pe.tensor([0, 3, 1, 2, 3, 0])
    x_ = x.clone()
    x_[:, :4] *= 0.0
    x_[range(x.shape[0]), y] = x.max()
    ref = x.numpy().copy()
    ref[:, :4] = 0
    ref[np.arange(6), y.numpy()] = ref.max() if ref.max() > x.numpy().max() else x.numpy().max()
    np.testing.assert_allclose(x_.numpy(), ref)
    layer = Layer(12, 5)
    w, b = layer.weight.detach().numpy().astype(np.float64), layer.bias.detach().numpy()
    xd = ref.astype(np.float64)
    expect = np.maximum((xd / (np.linalg.norm(xd, axis=1, keepdims=True) + 1e-4)) @ w.T + b, 0)
    np.testing.assert_allclose(layer(x_).detach().numpy(), expect, rtol=1e-5, atol=1e-6)
    neg = x_.clone()
    neg[range(6), (y + 1) % 4] = x.max()
    losses = []
    for _ in range(40):
        g_pos = layer(x_).pow(2).mean(1)
        g_neg = layer(neg).pow(2).mean(1)
        loss = pe.log1p(pe.exp(pe.cat([-g_pos + 2.0, g_neg - 2.0]))).mean()
        layer.opt.zero_grad()
        loss.backward()
        layer.opt.step()
        losses.append(loss.item())
    assert losses[-1] < losses[0]
    goodness = sum([layer(x_).pow(2).mean(1), layer(x_).pow(2).mean(1)]).unsqueeze(1)
    assert goodness.shape == (6, 1)
    pick = pe.tensor([4, 1, 7])[pe.randint(3, size=(1,))].item()
    assert pick in (4, 1, 7)


# ---- torch.Tensor(*sizes) and the typed legacy constructors (gcn, older tutorials) --------
def test_tensor_sizes_form_and_legacy_typed_constructors():
    t = pe.Tensor(3, 4)
    assert t.shape == (3, 4) and t.dtype == pe.float32
    assert pe.Tensor(5).shape == (5,) and pe.Tensor(5).dtype == pe.float32
    assert pe.Tensor().shape == (0,)
    p = nn.Parameter(pe.Tensor(4, 2))
    nn.init.xavier_normal_(p)
    assert p.shape == (4, 2) and np.abs(p.detach().numpy()).sum() > 0
    assert pe.Tensor([1.5, 2.5]).tolist() == [1.5, 2.5]
    assert pe.Tensor(np.array([1, 2]), "float64").dtype == pe.float64  # older positional dtype
    f = pe.FloatTensor(np.array([[1, 0], [2, 3]], np.int32))
    assert f.dtype == pe.float32 and f.tolist() == [[1.0, 0.0], [2.0, 3.0]]
    assert pe.LongTensor(np.array([0, 2, 1])).dtype == pe.int64
    assert pe.LongTensor([1.7]).tolist() == [1]
    assert pe.DoubleTensor(2, 2).dtype == pe.float64 and pe.IntTensor(3).shape == (3,)
    assert pe.BoolTensor([1, 0]).dtype == pe.bool and pe.ByteTensor([3]).dtype == pe.uint8
    with pytest.raises(TypeError, match="FloatTensor"):
        pe.FloatTensor([1.0], [2.0])


# ---- sparse COO (gcn: normalized sparse adjacency, torch.spmm, to_sparse) -----------------
def _coo(rs, shape, nnz, dtype=np.float64):
    ind = np.stack([rs.randint(0, n, nnz) for n in shape])
    return ind, rs.randn(nnz).astype(dtype)


def test_sparse_coo_tensor_to_dense_coalesce_and_errors():
    ind = np.array([[0, 1, 0, 2], [1, 0, 1, 2]])
    s = pe.sparse_coo_tensor(ind, pe.tensor([1.0, 2.0, 3.0, 4.0]), (3, 3))
    assert s.is_sparse and s.layout == pe.sparse_coo and pe.ones(1).layout == pe.strided
    assert not pe.ones(1).is_sparse
    assert s.shape == (3, 3) and s.size(1) == 3 and s._nnz() == 4 and not s.is_coalesced()
    want = np.zeros((3, 3))
    np.add.at(want, (ind[0], ind[1]), [1, 2, 3, 4])
    np.testing.assert_allclose(s.to_dense().numpy(), want)
    c = s.coalesce()
    assert c.is_coalesced() and c._nnz() == 3
    assert c.indices().tolist() == [[0, 1, 2], [1, 0, 2]] and c.values().tolist() == [4, 2, 4]
    with pytest.raises(RuntimeError, match="uncoalesced"):
        s.indices()
    with pytest.raises(ValueError, match="out of range"):
        pe.sparse_coo_tensor(ind, pe.ones(4), (2, 3))
    with pytest.raises(NotImplementedError, match="hybrid"):
        pe.sparse_coo_tensor(ind, pe.ones(4, 2), (3, 3))
    with pytest.raises(RuntimeError, match=r"add\(dense, sparse\)"):
        s + pe.ones(3, 3)
    with pytest.raises(RuntimeError, match=r"\[numpy\].*sparse.*to_dense"):
        s.numpy()
    with pytest.raises(NotImplementedError, match="full sum"):
        pe.sum(s, dim=1)
    assert pe.sparse_coo_tensor(ind, pe.ones(4)).shape == (3, 3)  # size inferred
    i64 = pe.sparse_coo_tensor(ind, pe.ones(4), (3, 3), dtype=pe.int64)
    assert i64.dtype == pe.int64
    mixed = pe.eye(3) + i64  # float32 dense + int64 sparse -> float32 dense, as torch
    assert mixed.dtype == pe.float32 and not mixed.is_sparse
    np.testing.assert_allclose(mixed.numpy(), np.eye(3) + (want != 0) * np.array(
        [[0, 2, 0], [1, 0, 0], [0, 0, 1]]))


def test_sparse_products_match_numpy_float64():
    rs = np.random.RandomState(0)
    ind, val = _coo(rs, (5, 4), 9)
    s = pe.sparse_coo_tensor(ind, pe.tensor(val), (5, 4))
    dense = np.zeros((5, 4))
    np.add.at(dense, (ind[0], ind[1]), val)
    b = rs.randn(4, 3)
    a = rs.randn(2, 5)
    v = rs.randn(4)
    np.testing.assert_allclose((s @ pe.tensor(b)).numpy(), dense @ b, rtol=1e-12)
    np.testing.assert_allclose(pe.mm(s, pe.tensor(b)).numpy(), dense @ b, rtol=1e-12)
    np.testing.assert_allclose(pe.spmm(s, pe.tensor(b)).numpy(), dense @ b, rtol=1e-12)
    np.testing.assert_allclose(pe.sparse.mm(s, pe.tensor(b)).numpy(), dense @ b, rtol=1e-12)
    np.testing.assert_allclose((pe.tensor(a) @ s).numpy(), a @ dense, rtol=1e-12)
    np.testing.assert_allclose((s @ pe.tensor(v)).numpy(), dense @ v, rtol=1e-12)
    ss = s @ s.t()
    assert ss.is_sparse
    np.testing.assert_allclose(ss.to_dense().numpy(), dense @ dense.T, rtol=1e-12)
    np.testing.assert_allclose((s + s).to_dense().numpy(), 2 * dense)
    np.testing.assert_allclose((s * 3.0).to_dense().numpy(), 3 * dense)
    np.testing.assert_allclose((pe.tensor(dense) - s).numpy(), 0 * dense, atol=1e-15)
    np.testing.assert_allclose(s.sum().item(), dense.sum())
    sd = pe.tensor(dense).to_sparse()
    assert sd.is_coalesced() and sd._nnz() == int((dense != 0).sum())
    np.testing.assert_allclose(sd.to_dense().numpy(), dense)
    with pytest.raises(RuntimeError, match="cannot be multiplied"):
        s @ pe.ones(3, 2, dtype=pe.float64)


def test_sparse_products_gradcheck():
    rs = np.random.RandomState(1)
    ind, val = _coo(rs, (4, 3), 7)
    vals = pe.tensor(val, requires_grad=True)
    dense = pe.tensor(rs.randn(3, 2), requires_grad=True)
    left = pe.tensor(rs.randn(2, 4), requires_grad=True)

    def sp(v):
        return pe.sparse_coo_tensor(ind, v, (4, 3))
    assert pe.testing.gradcheck(lambda v, d: pe.spmm(sp(v), d), [vals, dense])
    assert pe.testing.gradcheck(lambda v, d: d @ sp(v), [vals, left])
    assert pe.testing.gradcheck(lambda v: sp(v).coalesce().to_dense(), [vals])
    x = pe.tensor(rs.randn(3, 3), requires_grad=True)
    assert pe.testing.gradcheck(lambda t: pe.mm(t.to_sparse(), t), [x])
    assert x.to_dense() is x
    leaf = pe.sparse_coo_tensor(ind, pe.tensor(val), (4, 3), requires_grad=True)
    (leaf @ pe.ones(3, 2, dtype=pe.float64)).sum().backward()
    assert leaf.grad.is_sparse
    np.testing.assert_allclose(leaf.grad._values().numpy(), np.full(7, 2.0))


@pytest.mark.skipif(_torch is None, reason="torch not installed")
def test_sparse_normalized_adjacency_matches_torch():
    """gcn's preprocessing: D^-1/2 (I + A) D^-1/2 from a sparse int64 edge list, scaled
    features, both back to sparse; then a two-layer spmm model's output."""
    rs = np.random.RandomState(2)
    edges = rs.randint(0, 6, (2, 10)).astype(np.int32)
    warnings.simplefilter("error", RuntimeWarning)  # 1 / 0 is inf without a warning, as torch
    feats = (rs.rand(6, 4) < 0.5).astype(np.int32)
    feats[1] = 0
    outs = []
    for lib in (pe, _torch):
        f = lib.FloatTensor(feats)
        scale = 1 / lib.sum(f, dim=1)
        scale[scale == float("inf")] = 0
        f = lib.diag(scale).to_sparse() @ f
        adj = lib.sparse_coo_tensor(edges, lib.ones(10), (6, 6), dtype=lib.int64)
        adj = lib.eye(6) + adj
        deg = lib.sqrt(1 / lib.sum(adj, dim=1))
        deg[deg == float("inf")] = 0
        deg = lib.diag(deg).to_sparse()
        adj = (deg @ adj @ deg).to_sparse()
        w = lib.tensor(np.linspace(-1, 1, 12, dtype=np.float32).reshape(4, 3))
        out = lib.spmm(adj, lib.mm(f.to_sparse(), w))
        outs.append((f.to_dense().numpy(), adj.to_dense().numpy(), adj._nnz(), out.numpy()))
    (f1, a1, n1, o1), (f2, a2, n2, o2) = outs
    np.testing.assert_allclose(f1, f2, rtol=1e-6)
    np.testing.assert_allclose(a1, a2, rtol=1e-6)
    assert n1 == n2
    np.testing.assert_allclose(o1, o2, rtol=1e-5, atol=1e-6)


def test_gcn_pattern_trains_on_sparse_graph():
    rs = np.random.RandomState(3)
    n, labels = 40, rs.randint(0, 2, 40)
    feats = rs.rand(n, 6) * 0.2 + np.eye(2)[labels].repeat(3, axis=1)
    src = rs.randint(0, n, 120)
    dst = np.array([rs.choice(np.where(labels == labels[i])[0]) for i in src])
    adj = pe.eye(n) + pe.sparse_coo_tensor(np.stack([src, dst]), pe.ones(120), (n, n))
    deg = pe.diag(pe.sqrt(1 / pe.sum(adj, dim=1))).to_sparse()
    adj = (deg @ adj @ deg).to_sparse()
    x = pe.FloatTensor(feats).to_sparse()
    y = pe.LongTensor(labels)

    class GraphConv(nn.Module):
        def __init__(self, i, o):
            super().__init__()
            self.kernel = nn.Parameter(pe.Tensor(i, o))
            nn.init.xavier_normal_(self.kernel)
            self.bias = nn.Parameter(pe.Tensor(o))
            nn.init.zeros_(self.bias)

        def forward(self, h, a):
            return pe.spmm(a, pe.mm(h, self.kernel)) + self.bias

    pe.manual_seed(0)
    g1, g2 = GraphConv(6, 8), GraphConv(8, 2)
    opt = optim.Adam(list(g1.parameters()) + list(g2.parameters()), lr=0.05, weight_decay=5e-4)
    train = pe.randperm(n)[:30]
    losses = []
    for _ in range(40):
        out = F.log_softmax(g2(F.relu(g1(x, adj)), adj), dim=1)
        loss = nn.NLLLoss()(out[train], y[train])
        opt.zero_grad()
        loss.backward()
        opt.step()
        losses.append(loss.item())
    assert g1.kernel.grad is not None and losses[-1] < 0.3 * losses[0]


# ---- tutorials' tensor page: out=, torch.add / sub / mul / div, rounding_mode, printing ----
def test_matmul_and_mul_write_into_out_as_torch():
    rs = np.random.RandomState(0)
    a = pe.tensor(rs.randn(4, 4).astype(np.float32))
    y3 = pe.rand_like(a)
    ret = pe.matmul(a, a.T, out=y3)
    assert ret is y3
    np.testing.assert_allclose(y3.numpy(), a.numpy() @ a.numpy().T, rtol=1e-5)
    z3 = pe.empty(0)
    pe.mul(a, a, out=z3)  # an empty out is resized silently
    np.testing.assert_allclose(z3.numpy(), a.numpy() ** 2, rtol=1e-6)
    with pytest.warns(UserWarning, match="resized"):
        pe.add(a, 1, out=pe.zeros(2))
    ints = pe.zeros(4, 4, dtype=pe.int64)
    with pytest.raises(RuntimeError, match="can't be cast"):
        pe.mul(a, a, out=ints)
    w = pe.ones(2, requires_grad=True)
    with pytest.raises(RuntimeError, match="automatic differentiation"):
        pe.mul(w, 2.0, out=pe.zeros(2))
    with pe.no_grad():
        assert pe.mul(w, 2.0, out=pe.zeros(2)).tolist() == [2.0, 2.0]


def test_torch_arithmetic_functions_alpha_and_rounding_mode():
    a = pe.tensor([7.0, -7.0, 5.5, -0.5])
    b = pe.tensor([2.0, 2.0, -2.0, 3.0])
    assert pe.add(a, b, alpha=2).tolist() == [11.0, -3.0, 1.5, 5.5]
    assert pe.sub(a, b, alpha=0.5).tolist() == [6.0, -8.0, 6.5, -2.0]
    assert a.add(b, alpha=-1).tolist() == pe.subtract(a, b).tolist()
    assert pe.multiply(a, b).tolist() == pe.mul(a, b).tolist() == (a * b).tolist()
    np.testing.assert_allclose(pe.div(a, b).numpy(), a.numpy() / b.numpy())
    assert pe.div(a, b, rounding_mode="trunc").tolist() == [3.0, -3.0, -2.0, -0.0]
    assert pe.div(a, b, rounding_mode="floor").tolist() == [3.0, -4.0, -3.0, -1.0]
    i, j = pe.tensor([7, -7, 7, -7]), pe.tensor([2, 2, -2, -2])
    assert pe.div(i, j).dtype == pe.float32  # int / int is true division
    t = pe.divide(i, j, rounding_mode="trunc")
    f = i.div(j, rounding_mode="floor")
    assert t.dtype == pe.int64 and t.tolist() == [3, -3, -3, 3]
    assert f.tolist() == [3, -4, -4, 3]
    x = pe.tensor([9.0, -9.0])
    x.div_(4, rounding_mode="floor")
    assert x.tolist() == [2.0, -3.0]
    with pytest.raises(ValueError, match="rounding_mode"):
        pe.div(a, b, rounding_mode="round")
    if _torch is not None:
        for mode in (None, "trunc", "floor"):
            np.testing.assert_allclose(
                pe.div(i, j, rounding_mode=mode).numpy(),
                _torch.div(_torch.tensor([7, -7, 7, -7]), _torch.tensor([2, 2, -2, -2]),
                           rounding_mode=mode).numpy())
    g = pe.tensor([1.0, 2.0], requires_grad=True)
    pe.add(g, g, alpha=3).sum().backward()
    assert g.grad.tolist() == [4.0, 4.0]


def test_tensors_print_as_torch_prints_them():
    assert repr(pe.tensor([0.1234567, 2.0])) == "tensor([0.1235, 2.0000])"
    assert repr(pe.tensor([1.0, 200.0])) == "tensor([  1., 200.])"
    assert repr(pe.tensor([1.0, 2000.0])) == "tensor([1.0000e+00, 2.0000e+03])"
    assert repr(pe.tensor([1e-5, 1.0])) == "tensor([1.0000e-05, 1.0000e+00])"
    assert repr(pe.tensor(2.5)) == "tensor(2.5000)"
    assert repr(pe.tensor([1, 2])) == "tensor([1, 2])"
    if _torch is not None:
        rs = np.random.RandomState(0)
        for arr in (rs.rand(2, 3), rs.randn(3, 2) * 100, np.array([np.nan, 1.5, np.inf])):
            arr = arr.astype(np.float32)
            assert repr(pe.tensor(arr)) == repr(_torch.tensor(arr))


def test_load_takes_torch_load_arguments(tmp_path):
    path = str(tmp_path / "model.pth")
    m = nn.Linear(3, 2)
    pe.save(m.state_dict(), path)
    for kw in ({"weights_only": True}, {"weights_only": False}, {"map_location": "cpu"},
               {"map_location": pe.device("cpu")}, {"map_location": {"cuda:0": "cpu"}}):
        m2 = nn.Linear(3, 2)
        m2.load_state_dict(pe.load(path, **kw))
        np.testing.assert_array_equal(m2.weight.detach().numpy(), m.weight.detach().numpy())
    with pytest.raises(NotImplementedError, match="callable map_location"):
        pe.load(path, map_location=lambda storage, loc: storage)
    with pytest.raises(ValueError, match="pickle_module"):
        pe.load(path, pickle_module=object())
    with open(path, "rb") as fh, pytest.raises(ValueError, match="mmap=True needs a file path"):
        pe.load(fh, mmap=True)
    with pytest.raises(TypeError, match="weights_only"):
        pe.load(path, weights_only="yes")


# ---- user autograd.Function on Tensors (examples_autograd: LegendrePolynomial3, MyReLU) ----
class _Legendre3(pe.autograd.Function):
    @staticmethod
    def forward(ctx, inp):
        ctx.save_for_backward(inp)
        return 0.5 * (5 * inp ** 3 - 3 * inp)

    @staticmethod
    def backward(ctx, grad_output):
        inp, = ctx.saved_tensors
        assert isinstance(grad_output, pe.Tensor) and isinstance(inp, pe.Tensor)
        return grad_output * 1.5 * (5 * inp ** 2 - 1)


class _ClampReLU(pe.autograd.Function):
    @staticmethod
    def forward(ctx, inp):
        ctx.save_for_backward(inp)
        return inp.clamp(min=0)  # a Tensor method: forward receives Tensors, as in torch

    @staticmethod
    def backward(ctx, grad_output):
        inp, = ctx.saved_tensors
        grad_input = grad_output.clone()
        grad_input[inp < 0] = 0
        return grad_input


class _ScaleSplit(pe.autograd.Function):
    """torch 2's split form: forward without ctx, setup_context, a non-tensor argument."""

    @staticmethod
    def forward(x, scale):
        return x * scale

    @staticmethod
    def setup_context(ctx, inputs, output):
        ctx.scale = inputs[1]

    @staticmethod
    def backward(ctx, g):
        return g * ctx.scale, None


def test_user_function_sees_tensors_and_matches_numpy():
    x = pe.tensor(np.linspace(-1.2, 1.2, 7), dtype=pe.float64, requires_grad=True)
    y = _Legendre3.apply(x)
    xn = x.detach().numpy()
    np.testing.assert_allclose(y.detach().numpy(), 0.5 * (5 * xn ** 3 - 3 * xn), rtol=1e-12)
    assert "_Legendre3Backward" in repr(y.grad_fn)
    y.sum().backward()
    np.testing.assert_allclose(x.grad.numpy(), 1.5 * (5 * xn ** 2 - 1), rtol=1e-12)
    assert pe.testing.gradcheck(_Legendre3.apply, [x])
    z = pe.tensor([-1.0, 0.5, 2.0], dtype=pe.float64, requires_grad=True)
    assert pe.testing.gradcheck(_ClampReLU.apply, [z])
    out = _ClampReLU.apply(z)
    assert out.tolist() == [0.0, 0.5, 2.0]
    s = pe.tensor([1.0, 2.0], dtype=pe.float64, requires_grad=True)
    assert pe.testing.gradcheck(lambda t: _ScaleSplit.apply(t, 3.0), [s])
    with pe.no_grad():
        assert not _Legendre3.apply(x).requires_grad
    assert not _Legendre3.apply(x.detach()).requires_grad


def test_user_function_errors_and_ctx_features():
    class TwoOut(pe.autograd.Function):  # several outputs are supported now (as torch)
        @staticmethod
        def forward(ctx, x):
            return x, x * 2

        @staticmethod
        def backward(ctx, g1, g2):
            return g1 + 2 * g2

    x = pe.ones(2, requires_grad=True)
    a, b = TwoOut.apply(x)
    (a.sum() + b.sum()).backward()
    assert x.grad.tolist() == [3.0, 3.0]

    class WrongCount(pe.autograd.Function):
        @staticmethod
        def forward(ctx, x, y):
            return x * y

        @staticmethod
        def backward(ctx, g):
            return g

    with pytest.raises(RuntimeError, match="incorrect number of gradients"):
        WrongCount.apply(pe.ones(2, requires_grad=True), pe.ones(2)).sum().backward()

    class Needs(pe.autograd.Function):
        seen = None

        @staticmethod
        def forward(ctx, x, y):
            Needs.seen = ctx.needs_input_grad
            out = x + y
            ctx.mark_non_differentiable(out)
            return out

    r = Needs.apply(pe.ones(2, requires_grad=True), pe.ones(2))
    assert Needs.seen == (True, False) and not r.requires_grad


def test_polynomial_custom_function_fit_matches_torch_numbers():
    """examples_autograd's fit: y = a + b * P3(c + d x) by plain gradient descent; the loss
    falls and, from the same start, the first steps equal torch's (when installed)."""
    x = pe.linspace(-np.pi, np.pi, 200)
    y = pe.sin(x)
    params = [pe.full((), v, requires_grad=True) for v in (0.0, -1.0, 0.0, 0.3)]
    losses = []
    for _ in range(300):
        a, b, c, d = params
        loss = (a + b * _Legendre3.apply(c + d * x) - y).pow(2).sum()
        loss.backward()
        with pe.no_grad():
            for p in params:
                p -= 5e-5 * p.grad
                p.grad = None
        losses.append(loss.item())
    assert losses[-1] < 0.5 * losses[0]
    if _torch is not None:
        class TL(_torch.autograd.Function):
            @staticmethod
            def forward(ctx, inp):
                ctx.save_for_backward(inp)
                return 0.5 * (5 * inp ** 3 - 3 * inp)

            @staticmethod
            def backward(ctx, g):
                inp, = ctx.saved_tensors
                return g * 1.5 * (5 * inp ** 2 - 1)
        tx = _torch.linspace(-np.pi, np.pi, 200)
        tp = [_torch.full((), v, requires_grad=True) for v in (0.0, -1.0, 0.0, 0.3)]
        for _ in range(300):
            a, b, c, d = tp
            loss = (a + b * TL.apply(c + d * tx) - _torch.sin(tx)).pow(2).sum()
            loss.backward()
            with _torch.no_grad():
                for p in tp:
                    p -= 5e-5 * p.grad
                    p.grad = None
        np.testing.assert_allclose([p.item() for p in params], [p.item() for p in tp],
                                   rtol=1e-3, atol=1e-5)


# ---- blitz: grad_fn.next_functions, integer MSE targets, 0-d scatter index, bool printing ---
def test_grad_fn_next_functions_walk_back_to_leaves():
    lin = nn.Linear(3, 2)
    out = F.relu(lin(pe.randn(4, 3)))
    loss = nn.MSELoss()(out, pe.zeros(4, 2))
    first = loss.grad_fn.next_functions[0][0]
    assert first is out.grad_fn and "Backward" in repr(first)
    assert loss.grad_fn.next_functions[1] == (None, 0)  # the target needs no gradient
    leaf = pe.ones(2, requires_grad=True)
    acc = (leaf * 2).grad_fn.next_functions[0][0]
    assert type(acc).__name__ == "AccumulateGrad" and acc.variable is leaf


def test_mse_and_l1_with_integer_target_keep_the_float_dtype():
    out = pe.tensor(np.linspace(0, 1, 10, dtype=np.float32).reshape(1, -1), requires_grad=True)
    target = pe.arange(1, 11).view(1, -1)
    loss = nn.MSELoss()(out, target)
    want = np.mean((out.detach().numpy() - np.arange(1, 11)) ** 2)
    assert loss.dtype == pe.float32
    np.testing.assert_allclose(loss.item(), want, rtol=1e-6)
    loss.backward()
    assert out.grad.dtype == pe.float32
    assert F.l1_loss(out, target).dtype == pe.float32


def test_scatter_with_0d_index_one_hot_target_transform():
    onehot = pe.zeros(10, dtype=pe.float).scatter_(0, pe.tensor(3), value=1)
    assert onehot.tolist() == [0, 0, 0, 1, 0, 0, 0, 0, 0, 0]
    assert pe.zeros(4).scatter(0, pe.tensor(2), pe.tensor(7.0)).tolist() == [0, 0, 7, 0]
    assert repr(pe.tensor(True)) == "tensor(True)"


# ---- char-RNN classification: set_default_device, `batch_loss += loss`, random_split -------
def test_default_device_is_the_cpu_only():
    pe.set_default_device(pe.device("cpu"))
    pe.set_default_device("cpu")
    pe.set_default_device(None)
    assert pe.get_default_device() == pe.device("cpu")
    with pytest.raises((NotImplementedError, RuntimeError)):
        pe.set_default_device("cuda")


def test_augmented_assignment_accumulates_a_graph_loss():
    w = pe.tensor([1.0, 2.0], requires_grad=True)
    batch_loss = 0
    for k in (1.0, 2.0, 3.0):
        batch_loss += (w * k).sum()  # int += Tensor, then non-leaf += Tensor
    batch_loss.backward()
    assert batch_loss.item() == 18.0 and w.grad.tolist() == [6.0, 6.0]
    total = pe.zeros(())  # a plain tensor += a graph tensor keeps the graph, as torch
    w.grad = None
    total += (w * w).sum()
    total *= 2.0
    total.backward()
    assert w.grad.tolist() == [4.0, 8.0]
    with pytest.raises(RuntimeError, match="leaf tensor that requires grad"):
        w += 1.0
    with pe.no_grad():
        w -= 0.5  # the manual SGD step still writes in place
    assert w.tolist() == [0.5, 1.5] and w.requires_grad
    plain = pe.zeros(2)
    plain.add_(w * 2)  # the plain tensor joins the graph, as torch
    mid = w * 2
    mid.add_(plain)  # a graph tensor takes the result and its node
    w.grad = None
    mid.sum().backward()
    assert plain.requires_grad and w.grad.tolist() == [4.0, 4.0]


def test_char_rnn_classifier_pattern_trains():
    """nn.RNN over one-hot letters (seq, 1, n_letters), h2o on hidden[0], LogSoftmax, NLLLoss;
    random_split by fractions with a seeded Generator; batches from np.array_split index a
    Subset; summed per-example losses, clip_grad_norm_, SGD."""
    rng = np.random.RandomState(0)
    letters = "abcdefgh"
    words = [("".join(rng.choice(list("abcd" if k == 0 else "efgh"), rng.randint(3, 6))), k)
             for k in rng.randint(0, 2, 60)]

    def one_hot(word):
        t = pe.zeros(len(word), 1, len(letters))
        for i, ch in enumerate(word):
            t[i][0][letters.find(ch)] = 1
        return t

    data = [(pe.tensor([k], dtype=pe.long), one_hot(w)) for w, k in words]

    class DS(pe.utils.data.Dataset):
        def __len__(self):
            return len(data)

        def __getitem__(self, i):
            return data[i]

    train_set, test_set = pe.utils.data.random_split(
        DS(), [0.8, 0.2], generator=pe.Generator(device=pe.device("cpu")).manual_seed(2024))
    assert (len(train_set), len(test_set)) == (48, 12)

    class CharRNN(nn.Module):
        def __init__(self):
            super().__init__()
            self.rnn = nn.RNN(len(letters), 16)
            self.h2o = nn.Linear(16, 2)
            self.softmax = nn.LogSoftmax(dim=1)

        def forward(self, line):
            _, hidden = self.rnn(line)
            return self.softmax(self.h2o(hidden[0]))

    pe.manual_seed(0)
    model = CharRNN()
    opt = optim.SGD(model.parameters(), lr=0.2)
    crit = nn.NLLLoss()
    epoch_losses = []
    for _ in range(8):
        order = list(range(len(train_set)))
        rng.shuffle(order)
        total = 0.0
        for batch in np.array_split(order, 4):
            batch_loss = 0
            for i in batch:
                label, line = train_set[i]
                batch_loss += crit(model(line), label)
            batch_loss.backward()
            nn.utils.clip_grad_norm_(model.parameters(), 3)
            opt.step()
            opt.zero_grad()
            total += batch_loss.item() / len(batch)
        epoch_losses.append(total)
    assert epoch_losses[-1] < 0.5 * epoch_losses[0]
    with pe.no_grad():
        right = sum(model(line).topk(1)[1][0].item() == label.item()
                    for label, line in test_set)
    assert right >= 9


# ---- char-RNN generation: in-place view ops, `loss = torch.Tensor([0]); loss += l` --------
def test_in_place_view_methods_share_storage():
    t = pe.tensor([1, 2, 3])
    storage = t.numpy()
    assert t.unsqueeze_(-1) is t and t.shape == (3, 1)
    assert np.shares_memory(t.numpy(), storage)
    t.squeeze_()
    assert t.shape == (3,)
    m = pe.arange(6.0).reshape(2, 3)
    m.t_()
    assert m.shape == (3, 2) and m.tolist() == [[0, 3], [1, 4], [2, 5]]
    m.transpose_(0, 1)
    assert m.tolist() == [[0, 1, 2], [3, 4, 5]]
    with pytest.raises(RuntimeError, match="unsqueeze_.*requires grad"):
        pe.ones(2, requires_grad=True).unsqueeze_(0)


def test_char_generation_step_losses_summed_into_a_tensor_train():
    pe.manual_seed(0)
    n_letters, hidden = 6, 12
    i2h = nn.Linear(n_letters + hidden, hidden)
    i2o = nn.Linear(n_letters + hidden, n_letters)
    params = list(i2h.parameters()) + list(i2o.parameters())
    line = [0, 1, 2, 3, 4]
    target = pe.LongTensor(line[1:] + [5])
    target.unsqueeze_(-1)
    crit = nn.NLLLoss()
    history = []
    for _ in range(60):
        h = pe.zeros(1, hidden)
        loss = pe.Tensor([0])
        for step, ch in enumerate(line):
            x = pe.zeros(1, n_letters)
            x[0][ch] = 1
            combined = pe.cat((x, h), 1)
            h = i2h(combined)
            out = F.log_softmax(i2o(combined), dim=1)
            loss += crit(out, target[step])
        for p in params:
            p.grad = None
        loss.backward()
        for p in params:
            p.data.add_(p.grad.data, alpha=-0.05)
        history.append(loss.item() / len(line))
    assert loss.shape == (1,) and history[-1] < 0.3 * history[0]
    letters = "abcdef"
    assert letters[out.topk(1)[1][0][0]] in letters  # a 0-d index tensor indexes a str


# ---- chatbot tutorial: Tensor.bmm, Luong attention decoder, masked NLL, greedy decoding ----
def test_tensor_bmm_and_baddbmm_methods_match_numpy():
    rs = np.random.RandomState(0)
    a, b, c = rs.randn(2, 1, 4), rs.randn(2, 4, 3), rs.randn(2, 1, 3)
    ta, tb = pe.tensor(a, requires_grad=True), pe.tensor(b)
    np.testing.assert_allclose(ta.bmm(tb).detach().numpy(), a @ b, rtol=1e-12)
    np.testing.assert_allclose(pe.tensor(c).baddbmm(ta.detach(), tb, beta=0.5, alpha=2.0).numpy(),
                               0.5 * c + 2.0 * (a @ b), rtol=1e-12)
    assert pe.testing.gradcheck(lambda x: x.bmm(tb), [ta])
    with pytest.raises(ValueError, match="bmm"):
        pe.ones(2, 3).bmm(pe.ones(3, 2))


def test_luong_attention_seq2seq_with_masked_nll_trains():
    pe.manual_seed(0)
    rng = np.random.RandomState(1)
    vocab, hid, batch, pad, sos, eos = 9, 16, 6, 0, 1, 2
    seqs = [list(rng.randint(3, vocab, rng.randint(2, 5))) for _ in range(batch)]
    seqs.sort(key=len, reverse=True)
    lengths = pe.tensor([len(s) + 1 for s in seqs])
    import itertools
    src = pe.LongTensor(list(itertools.zip_longest(*[s + [eos] for s in seqs], fillvalue=pad)))
    tgt = pe.LongTensor(list(itertools.zip_longest(*[s[::-1] + [eos] for s in seqs],
                                                     fillvalue=pad)))
    mask = pe.BoolTensor((tgt.numpy() != pad).tolist())
    emb = nn.Embedding(vocab, hid)
    enc = nn.GRU(hid, hid, 1, bidirectional=True)
    dec = nn.GRU(hid, hid, 1)
    concat, out_l = nn.Linear(2 * hid, hid), nn.Linear(hid, vocab)
    params = [p for m in (emb, enc, dec, concat, out_l) for p in m.parameters()]
    opt = optim.Adam(params, lr=0.01)

    def encode(x):
        packed = nn.utils.rnn.pack_padded_sequence(emb(x), lengths)
        outputs, hidden = enc(packed)
        outputs, _ = nn.utils.rnn.pad_packed_sequence(outputs)
        return outputs[:, :, :hid] + outputs[:, :, hid:], hidden

    def step(inp, hidden, enc_out):
        rnn_out, hidden = dec(emb(inp), hidden)
        weights = F.softmax(pe.sum(rnn_out * enc_out, dim=2).t(), dim=1).unsqueeze(1)
        context = weights.bmm(enc_out.transpose(0, 1)).squeeze(1)
        h = pe.tanh(concat(pe.cat((rnn_out.squeeze(0), context), 1)))
        return F.softmax(out_l(h), dim=1), hidden

    history = []
    for _ in range(60):
        opt.zero_grad()
        enc_out, enc_h = encode(src)
        hidden, inp, loss = enc_h[:1], pe.LongTensor([[sos] * batch]), 0
        for t in range(tgt.shape[0]):
            probs, hidden = step(inp, hidden, enc_out)
            nll = -pe.log(pe.gather(probs, 1, tgt[t].view(-1, 1)).squeeze(1))
            loss += nll.masked_select(mask[t]).mean()
            inp = tgt[t].view(1, -1)
        loss.backward()
        nn.utils.clip_grad_norm_(params, 50.0)
        opt.step()
        history.append(loss.item())
    assert history[-1] < 0.3 * history[0]
    with pe.no_grad():  # greedy decoding of the first sequence, as GreedySearchDecoder
        enc_out, enc_h = encode(src)
        hidden, inp = enc_h[:1], pe.ones(1, batch, dtype=pe.long) * sos
        tokens = pe.zeros([0], dtype=pe.long)
        for _ in range(tgt.shape[0]):
            probs, hidden = step(inp, hidden, enc_out)
            _, best = pe.max(probs, dim=1)
            tokens = pe.cat((tokens, best[:1]), dim=0)
            inp = pe.unsqueeze(best, 0)
    assert tokens.dtype == pe.long and tokens.shape == (tgt.shape[0],)


def test_python_int_data_stays_data_outside_the_legacy_constructor():
    """pe.Tensor(5) is torch's sizes form; conversions of a Python int elsewhere keep it as the
    value (pe.tensor(3), new_tensor, function forms, xlogy's other, Variable)."""
    assert pe.tensor(3).shape == () and pe.tensor(3).item() == 3
    assert pe.ones(2).new_tensor(3).tolist() == 3.0
    assert pe.floor(5).item() == 5
    np.testing.assert_allclose(pe.tensor([1.0, 2.0]).xlogy(2).numpy(), [np.log(2), 2 * np.log(2)],
                               rtol=1e-6)
    assert pe.autograd.Variable(4).item() == 4


# ---- "tensors in depth" tutorial: bitwise ops, torch.sin_ & co., creation with out= ---------
def test_bitwise_operators_act_on_bits_as_torch():
    b, c = pe.tensor([1, 5, 11]), pe.tensor([2, 7, 10])
    assert pe.bitwise_xor(b, c).tolist() == [3, 2, 1]
    assert (b & c).tolist() == [0, 5, 10] and (b | c).tolist() == [3, 7, 11]
    assert (b ^ c).tolist() == [3, 2, 1] and (~b).tolist() == [-2, -6, -12]
    assert (b & 1).tolist() == [1, 1, 1] and (4 | b).tolist() == [5, 5, 15]
    assert b.bitwise_and(c).dtype == pe.int64
    t, f = pe.tensor([True, False, True]), pe.tensor([True, True, False])
    assert (t & f).tolist() == [True, False, False] and (t ^ f).tolist() == [False, True, True]
    assert (~t).tolist() == [False, True, False] and (t | f).dtype == pe.bool
    with pytest.raises(TypeError, match="bitwise_and.*float32"):
        pe.ones(2) & pe.ones(2)
    if _torch is not None:
        x = np.array([-7, 0, 3, 12])
        y = np.array([5, -1, 6, 9])
        for op in ("__and__", "__or__", "__xor__"):
            assert getattr(pe.tensor(x), op)(pe.tensor(y)).tolist() == \
                getattr(_torch.tensor(x), op)(_torch.tensor(y)).tolist()


def test_in_place_unary_function_forms():
    b = pe.tensor([0.0, np.pi / 2])
    out = pe.sin_(b)
    assert out is b and np.allclose(b.numpy(), [0.0, 1.0])
    a = pe.tensor([-1.5, 2.25])
    assert pe.abs_(a) is a and a.tolist() == [1.5, 2.25]
    assert a.floor_().tolist() == [1.0, 2.0] and a.log_() is a
    np.testing.assert_allclose(a.numpy(), [0.0, np.log(2.0)], rtol=1e-6)
    assert pe.clamp_(pe.tensor([-2.0, 0.5, 3.0]), 0, 1).tolist() == [0.0, 0.5, 1.0]
    w = pe.ones(2, requires_grad=True)
    with pytest.raises(RuntimeError, match="leaf"):
        w.sin_()


def test_creation_functions_write_into_out():
    c = pe.zeros(2, 2)
    old = id(c)
    pe.manual_seed(5)
    ret = pe.rand(2, 2, out=c)
    pe.manual_seed(5)
    assert ret is c and id(c) == old and np.array_equal(c.numpy(), pe.rand(2, 2).numpy())
    ints = pe.empty(0, dtype=pe.int64)
    assert pe.arange(4, out=ints) is ints and ints.tolist() == [0, 1, 2, 3]
    assert ints.dtype == pe.int64
    z = pe.ones(3)
    pe.zeros(3, out=z)
    assert z.tolist() == [0.0, 0.0, 0.0]
    assert pe.full((2,), 7.0, out=pe.empty(2)).tolist() == [7.0, 7.0]


# ---- "Fundamentals of autograd" (introyt): autograd.functional, next_functions order -------
def test_autograd_functional_jacobian_vjp_jvp_against_numpy():
    AF = pe.autograd.functional
    from pyengine.autograd.functional import jacobian  # the import form works too
    x = pe.tensor([0.1, 0.2, 0.3], dtype=pe.float64)
    y = pe.tensor([1.0, 2.0, 3.0], dtype=pe.float64)

    def exp_adder(a, b):
        return 2 * a.exp() + 3 * b

    jx, jy = jacobian(exp_adder, (x, y))
    np.testing.assert_allclose(jx.numpy(), np.diag(2 * np.exp(x.numpy())), rtol=1e-12)
    np.testing.assert_allclose(jy.numpy(), 3 * np.eye(3), rtol=1e-12)
    assert not x.requires_grad  # the caller's tensors are left alone
    m = pe.tensor(np.arange(6.0).reshape(2, 3))
    jm = AF.jacobian(lambda t: t.sum(dim=1), m)
    assert jm.shape == (2, 2, 3)
    np.testing.assert_array_equal(jm.numpy()[1], [[0, 0, 0], [1, 1, 1]])
    v = pe.tensor([0.1, 1.0, 0.0001], dtype=pe.float64)
    out, g = AF.vjp(lambda t: t * 8.0, x, v=v)
    np.testing.assert_allclose(out.numpy(), 8 * x.numpy())
    np.testing.assert_allclose(g.numpy(), 8 * v.numpy())
    out, jv = AF.jvp(lambda t: t ** 2, pe.tensor([1.0, 2.0]), pe.tensor([1.0, 1.0]))
    assert jv.tolist() == [2.0, 4.0]
    # second order exists since the twelfth session (tests/test_autograd_functional_hessian.py)
    np.testing.assert_allclose(AF.hessian(lambda t: (t ** 3).sum(), pe.tensor([1.0, 2.0])).numpy(),
                               [[6.0, 0.0], [0.0, 12.0]])
    with pytest.raises(NotImplementedError, match="create_graph"):
        AF.jacobian(exp_adder, (x, y), create_graph=True)
    if _torch is not None:
        tx = _torch.tensor([0.1, 0.2, 0.3], dtype=_torch.float64)
        ty = _torch.tensor([1.0, 2.0, 3.0], dtype=_torch.float64)
        tj = _torch.autograd.functional.jacobian(exp_adder, (tx, ty))
        np.testing.assert_allclose(jx.numpy(), tj[0].numpy(), rtol=1e-12)


def test_next_functions_list_the_tensor_operand_first_as_torch():
    a = pe.linspace(0.0, 1.0, steps=5, requires_grad=True)
    b = pe.sin(a)
    c = 2 * b
    d = c + 1
    chain = d.grad_fn.next_functions[0][0]
    assert chain is c.grad_fn and d.grad_fn.next_functions[1] == (None, 0)
    assert chain.next_functions[0][0] is b.grad_fn
    acc = b.grad_fn.next_functions[0][0]
    assert acc.variable is a and acc.next_functions == ()
    np.testing.assert_allclose((1 - b).detach().numpy(), 1 - np.sin(a.detach().numpy()),
                               rtol=1e-6)


# ---- "Building Models" (introyt): nn.Softmax() / nn.LogSoftmax() without dim -------------
@pytest.mark.parametrize("shape, dim", [((4,), 0), ((2, 5), 1), ((2, 3, 4), 0), ((2, 3, 4, 2), 1)])
def test_softmax_modules_without_dim_use_torchs_legacy_dim(shape, dim):
    x = pe.tensor(np.random.RandomState(0).randn(*shape))
    with pytest.warns(UserWarning, match="Implicit dimension choice for softmax"):
        y = nn.Softmax()(x).numpy()
    e = np.exp(x.numpy() - x.numpy().max(axis=dim, keepdims=True))
    np.testing.assert_allclose(y, e / e.sum(axis=dim, keepdims=True), rtol=1e-10)
    with pytest.warns(UserWarning, match="logsoftmax"):
        ly = nn.LogSoftmax()(x).numpy()
    np.testing.assert_allclose(np.exp(ly), y, rtol=1e-10)
    if _torch is not None:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            np.testing.assert_allclose(y, _torch.nn.Softmax()(_torch.tensor(x.numpy())).numpy(),
                                       rtol=1e-10)


def test_size_is_torch_size():
    s = pe.ones(2, 3).size()
    assert isinstance(s, pe.Size) and isinstance(s, tuple)
    assert repr(s) == "pyengine.Size([2, 3])" and s == (2, 3) and s == pe.Size([2, 3])
    assert isinstance(s[1:], pe.Size) and s[1:] == (3,) and s.numel() == 6
    assert pe.ones(3, 2).view(pe.Size([2, 3])).shape == (2, 3)
    assert pe.zeros(pe.Size([2, 2])).shape == (2, 2)
    with pytest.raises(TypeError, match="ints"):
        pe.Size([2.5])


def test_sparse_tensor_graph_attributes_and_named_errors(tmp_path):
    v = pe.ones(2, requires_grad=True)
    s = pe.sparse_coo_tensor([[0, 1], [1, 0]], v * 2, (2, 2))
    assert s.grad_fn is not None and not s.is_leaf and s.requires_grad
    assert pe.eye(2).to_sparse().grad_fn is None
    with pytest.raises(RuntimeError, match=r"^\[save\].*to_dense"):
        pe.save(s, str(tmp_path / "s.pe"))
    with pytest.raises(RuntimeError, match=r"^\[exp\]"):
        pe.exp(s)


# ---- int8 / int16 (the tensors-in-depth tutorial's dtype=torch.int16) ----------------------
def test_int8_and_int16_tensors_follow_torch_promotion():
    a = pe.ones((2, 3), dtype=pe.int16)
    assert a.dtype == pe.int16 and pe.short == pe.int16 and repr(a).endswith("dtype=pyengine.int16)")
    assert (a + 1).dtype == pe.int16 and (a * 1.5).dtype == pe.float32 and (a / 2).dtype == pe.float32
    assert (a + pe.ones(2, 3, dtype=pe.int64)).dtype == pe.int64 and a.sum().dtype == pe.int64
    b = pe.tensor([1, 2, 3], dtype=pe.int8)
    assert (b * 100).tolist() == [100, -56, 44]  # wraps around, as torch's int8
    assert (pe.rand(4, dtype=pe.float64) * 20.0).to(pe.int16).dtype == pe.int16
    with pytest.raises(RuntimeError, match="floating-point"):
        pe.ones(2, dtype=pe.int16, requires_grad=True)
    if _torch is not None:
        t = _torch.ones((2, 3), dtype=_torch.int16)
        assert (t + 1).dtype == _torch.int16 and (t * 1.5).dtype == _torch.float32
        assert (_torch.tensor([1, 2, 3], dtype=_torch.int8) * 100).tolist() == [100, -56, 44]


def test_legacy_tensor_constructor_data_is_float_as_torch():
    """torch.Tensor(data) is torch.FloatTensor(data) (older tutorials: torch.Tensor([0]) as a
    running score); pe.tensor still infers the dtype."""
    assert pe.Tensor([1, 2]).dtype == pe.float32 and pe.Tensor([1, 2]).tolist() == [1.0, 2.0]
    assert pe.Tensor(np.array([3, 4])).dtype == pe.float32
    assert pe.Tensor([True]).tolist() == [1.0]
    assert pe.Tensor(pe.tensor([1, 2])).dtype == pe.int64  # a tensor keeps its dtype, as torch
    assert pe.tensor([1, 2]).dtype == pe.int64
    pe.set_default_dtype(pe.float64)
    try:
        assert pe.Tensor([1]).dtype == pe.float64
    finally:
        pe.set_default_dtype(pe.float32)
    if _torch is not None:
        assert str(_torch.Tensor([1, 2]).dtype).split(".")[-1] == pe.Tensor([1, 2]).dtype.name


# ---- pytorch/examples gat: torch.empty(size=...), masked multi-head graph attention ------
def test_creation_size_keyword_and_graph_attention_trains():
    assert pe.empty(size=(2, 3)).shape == (2, 3) and pe.zeros(size=(4,)).tolist() == [0.0] * 4
    assert pe.rand(size=(1, 2)).shape == (1, 2)
    with pytest.raises(TypeError, match="both"):
        pe.ones(2, size=(2,))
    rs = np.random.RandomState(0)
    n, heads, hid = 30, 2, 4
    labels = rs.randint(0, 2, n)
    feats = pe.FloatTensor(rs.rand(n, 5) * 0.2 + np.eye(2)[labels].repeat([3, 2], axis=1))
    src = rs.randint(0, n, 80)
    dst = np.array([rs.choice(np.where(labels == labels[i])[0]) for i in src])
    adj = pe.eye(n) + pe.sparse_coo_tensor(np.stack([src, dst]), pe.ones(80), (n, n),
                                           dtype=pe.int64)
    pe.manual_seed(0)
    W = nn.Parameter(pe.empty(size=(5, hid * heads)))
    a = nn.Parameter(pe.empty(size=(heads, 2 * hid, 1)))
    out_l = nn.Linear(hid, 2)
    nn.init.xavier_normal_(W)
    nn.init.xavier_normal_(a)
    opt = optim.Adam([W, a] + list(out_l.parameters()), lr=0.05)
    y = pe.LongTensor(labels)
    losses = []
    for _ in range(40):
        h = pe.mm(feats, W).view(n, heads, hid).permute(1, 0, 2)
        e = F.leaky_relu(pe.matmul(h, a[:, :hid, :]) + pe.matmul(h, a[:, hid:, :]).mT, 0.2)
        e = pe.where(adj > 0, e, -9e16 * pe.ones_like(e))
        h2 = pe.matmul(F.softmax(e, dim=-1), h).mean(dim=0)
        loss = F.nll_loss(F.log_softmax(out_l(F.elu(h2)), dim=1), y)
        opt.zero_grad()
        loss.backward()
        opt.step()
        losses.append(loss.item())
    assert losses[-1] < 0.3 * losses[0]


# ---- former_torchies "nn package": module backward hooks ---------------------------------
def test_full_backward_hooks_see_and_replace_gradients():
    pe.manual_seed(0)
    lin = nn.Linear(3, 2)
    x = pe.tensor(np.arange(6.0).reshape(2, 3), dtype=pe.float32, requires_grad=True)
    seen = []
    handle = lin.register_full_backward_hook(lambda m, gi, go: seen.append((m, gi, go)))
    (lin(x) * pe.tensor([[1.0, 2.0]])).sum().backward()
    m, gi, go = seen[0]
    assert m is lin and len(gi) == 1 and len(go) == 1
    np.testing.assert_allclose(go[0].numpy(), [[1, 2], [1, 2]])
    want_gx = np.array([[1.0, 2.0]] * 2) @ lin.weight.detach().numpy()
    np.testing.assert_allclose(gi[0].numpy(), want_gx, rtol=1e-6)
    np.testing.assert_allclose(x.grad.numpy(), want_gx, rtol=1e-6)
    handle.remove()
    x.grad = None
    lin(x).sum().backward()
    assert len(seen) == 1  # removed
    lin.register_full_backward_hook(lambda m, gi, go: (gi[0] * 0,))
    x.grad = None
    lin(x).sum().backward()
    assert np.all(x.grad.numpy() == 0) and lin.weight.grad is not None
    pre = nn.Linear(3, 1)
    pre.register_full_backward_pre_hook(lambda m, go: (go[0] * 3,))
    x2 = pe.ones(1, 3, requires_grad=True)
    pre(x2).sum().backward()
    np.testing.assert_allclose(x2.grad.numpy(), 3 * pre.weight.detach().numpy(), rtol=1e-6)
    data_only = nn.Linear(3, 2)
    got = []
    data_only.register_full_backward_hook(lambda m, gi, go: got.append(gi))
    data_only(pe.ones(4, 3)).sum().backward()
    assert got == [(None,)]  # no input requires grad: grad_input is None, as torch


def test_legacy_register_backward_hook_warns_and_reports_input_gradients():
    conv = nn.Conv2d(2, 3, 3)
    sizes = []
    with pytest.warns(FutureWarning, match="register_full_backward_hook"):
        conv.register_backward_hook(lambda m, gi, go: sizes.append((gi[0].size(), go[0].size())))
    conv(pe.randn(1, 2, 6, 6, requires_grad=True)).sum().backward()
    assert sizes == [((1, 2, 6, 6), (1, 3, 4, 4))]


def test_module_backward_hooks_do_not_keep_tensors_alive():
    import gc
    from pyengine import autograd
    lin = nn.Linear(3, 2)
    lin.register_full_backward_hook(lambda m, gi, go: None)
    before = len(autograd._HOOKS)
    x = pe.ones(2, 3, requires_grad=True)
    lin(x).sum().backward()
    del x
    gc.collect()
    assert len(autograd._HOOKS) == before


def test_legacy_tensor_new():
    y = pe.rand(3, dtype=pe.float64)
    assert y.new(2, 2).shape == (2, 2) and y.new(2, 2).dtype == pe.float64
    assert y.new([1, 2]).tolist() == [1.0, 2.0] and y.new([1, 2]).dtype == pe.float64
    assert y.new().shape == (0,)
    with pytest.raises(TypeError, match="new"):
        y.new([1], [2])


# ---- "math behind training": all / any over a dim; bool tensors print as torch ----------
def test_all_any_over_dims_and_bool_printing():
    x = pe.tensor([[True, False], [True, True]])
    assert x.all().item() is False and x.all(dim=0).tolist() == [True, False]
    assert x.any(1).tolist() == [True, True] and pe.all(x, 1).tolist() == [False, True]
    assert x.all(dim=(0, 1)).item() is False and x.all(0, keepdim=True).shape == (1, 2)
    dead = (pe.relu(pe.tensor([[-1.0, 2.0], [-3.0, 0.0]])) == 0).all(dim=0)
    assert dead.tolist() == [True, False]
    with pytest.raises(IndexError, match="out of range"):
        x.all(dim=2)
    assert repr(pe.tensor([True, True])) == "tensor([True, True])"
    assert repr(pe.tensor([True, False])) == "tensor([ True, False])"


def test_softmax_dtype_argument_casts_first():
    x = pe.tensor([[1.0, 2.0, 3.0]], requires_grad=True)
    y = F.softmax(x, dim=1, dtype=pe.float64)
    e = np.exp([1.0, 2.0, 3.0])
    assert y.dtype == pe.float64
    np.testing.assert_allclose(y.detach().numpy()[0], e / e.sum(), rtol=1e-12)
    assert F.log_softmax(x, 1, dtype=pe.float64).dtype == pe.float64
    y.sum().backward()
    assert x.grad.dtype == pe.float32


# ---- blitz data-parallel tutorial: nn.DataParallel without CUDA devices ---------------------
def test_data_parallel_without_devices_runs_the_module():
    inner = nn.Linear(3, 2)
    dp = nn.DataParallel(inner)
    x = pe.randn(4, 3)
    np.testing.assert_array_equal(dp(x).detach().numpy(), inner(x).detach().numpy())
    assert dp.module is inner and list(dp.state_dict()) == ["module.weight", "module.bias"]
    assert dp.device_ids == []
    opt = optim.SGD(dp.parameters(), lr=0.1)
    loss = dp(x).pow(2).sum()
    loss.backward()
    opt.step()
    assert dp(x).pow(2).sum().item() < loss.item()
    with pytest.raises(RuntimeError, match="no CUDA devices"):
        nn.DataParallel(inner, device_ids=[0, 1])
    with pytest.raises(TypeError, match="nn.Module"):
        nn.DataParallel(lambda t: t)


# ---- training-script habits: to(other, non_blocking=, copy=), torch.cuda no-ops ----------
def test_to_forms_and_cuda_noops():
    x, y = pe.ones(2), pe.zeros(2, dtype=pe.float64)
    assert x.to(y).dtype == pe.float64
    assert x.to("cpu", non_blocking=True) is x
    c = x.to(copy=True)
    assert c is not x and c.tolist() == x.tolist()
    with pytest.raises(TypeError, match="bools"):
        x.to("cpu", non_blocking="yes")
    pe.cuda.manual_seed(1)
    pe.cuda.manual_seed_all(2)
    pe.cuda.empty_cache()
    assert pe.cuda.is_initialized() is False
