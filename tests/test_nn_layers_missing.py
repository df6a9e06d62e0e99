"""RReLU, LPPool1d / 2d, SoftMarginLoss, MultiMarginLoss, Bilinear, RMSNorm, AlphaDropout /
FeatureAlphaDropout, ChannelShuffle, LazyLinear and nn.init.sparse_ / dirac_: forward against
NumPy float64 formulas, against torch with the same weights and inputs when it is importable,
gradcheck, train / eval behaviour, reprs and errors."""
import math

import numpy as np
import pytest

import pyengine as pe
from pyengine import nn
from pyengine.nn import functional as F
from pyengine.testing import gradcheck


def rnd(*shape, seed=0):
    return np.random.default_rng(seed).standard_normal(shape)


def t64(a, grad=False):
    return pe.tensor(np.asarray(a, np.float64), dtype=pe.float64, requires_grad=grad)


# ---- RReLU ---------------------------------------------------------------------------------
def test_rrelu_eval_is_the_mean_slope_and_train_draws_per_element():
    x = rnd(4, 50)
    m = nn.RReLU(0.1, 0.3)
    m.eval()
    np.testing.assert_allclose(m(t64(x)).numpy(), np.where(x >= 0, x, 0.2 * x))
    m.train()
    pe.manual_seed(3)
    y1 = m(t64(x)).numpy()
    pe.manual_seed(3)
    y2 = F.rrelu(t64(x), 0.1, 0.3, training=True).numpy()
    np.testing.assert_array_equal(y1, y2)
    neg = x < 0
    slope = y1[neg] / x[neg]
    assert slope.min() >= 0.1 and slope.max() <= 0.3 and len(np.unique(slope)) > 10
    np.testing.assert_array_equal(y1[~neg], x[~neg])
    xt = t64(x, grad=True)
    pe.manual_seed(3)
    F.rrelu(xt, 0.1, 0.3, training=True).sum().backward()
    np.testing.assert_allclose(xt.grad.numpy()[neg], slope)
    assert gradcheck(lambda v: F.rrelu(v), [t64(x[:2, :5], grad=True)])


def test_rrelu_repr_and_errors():
    assert repr(nn.RReLU()) == "RReLU(lower=0.125, upper=0.3333333333333333)"
    assert repr(nn.RReLU(0.1, 0.2, inplace=True)) == "RReLU(lower=0.1, upper=0.2, inplace=True)"
    with pytest.raises(ValueError, match=r"\[RReLU\] lower must not exceed upper"):
        nn.RReLU(0.5, 0.1)


# ---- LPPool ----------------------------------------------------------------------------------
def _lp_ref_2d(x, p, k, s):
    n, c, h, w = x.shape
    oh, ow = (h - k) // s + 1, (w - k) // s + 1
    out = np.empty((n, c, oh, ow))
    for i in range(oh):
        for j in range(ow):
            win = x[:, :, i * s:i * s + k, j * s:j * s + k]
            out[:, :, i, j] = (win ** p).sum((2, 3)) ** (1 / p)
    return out


def test_lp_pool_values_and_gradients():
    x = np.abs(rnd(2, 3, 7, 6)) + 0.1
    for p, k, s in ((2, 2, None), (3, 3, 2), (1.5, 2, 1)):
        got = nn.LPPool2d(p, k, s)(t64(x)).numpy()
        np.testing.assert_allclose(got, _lp_ref_2d(x, p, k, s or k), rtol=1e-12)
    x1 = x[:, :, 0, :]
    ref = (x1[..., :4] ** 2).sum(-1) ** 0.5, (x1[..., 2:6] ** 2).sum(-1) ** 0.5
    got = F.lp_pool1d(t64(x1), 2, 4, stride=2).numpy()
    np.testing.assert_allclose(got, np.stack(ref, -1), rtol=1e-12)
    assert gradcheck(lambda v: F.lp_pool2d(v, 2, 2), [t64(x[:1, :2, :4, :4], grad=True)])
    assert gradcheck(lambda v: nn.LPPool1d(3, 2)(v), [t64(x1[:1], grad=True)])
    assert repr(nn.LPPool2d(2, 3)) == \
        "LPPool2d(norm_type=2, kernel_size=3, stride=None, ceil_mode=False)"
    with pytest.raises(ValueError, match=r"\[lp_pool2d\] norm_type"):
        F.lp_pool2d(t64(x), 0, 2)


# ---- losses ------------------------------------------------------------------------------------
def test_soft_margin_loss():
    x, y = rnd(4, 5), np.sign(rnd(4, 5, seed=1))
    ref = np.log1p(np.exp(-y * x))
    for red, want in (("mean", ref.mean()), ("sum", ref.sum()), ("none", ref)):
        np.testing.assert_allclose(nn.SoftMarginLoss(reduction=red)(t64(x), t64(y)).numpy(), want,
                                   rtol=1e-13)
    assert gradcheck(lambda a: F.soft_margin_loss(a, t64(y)), [t64(x, grad=True)])
    assert F.soft_margin_loss(t64([1000.0]), t64([-1.0])).item() == 1000.0  # no overflow
    with pytest.raises(ValueError, match=r"\[soft_margin_loss\] input"):
        F.soft_margin_loss(t64(x), t64(y[:2]))


def _multi_margin_ref(x, y, p, margin, w):
    n, c = x.shape
    out = np.zeros(n)
    for i in range(n):
        for j in range(c):
            if j != y[i]:
                z = max(0.0, margin - x[i, y[i]] + x[i, j]) ** p
                out[i] += z * (1.0 if w is None else w[y[i]])
    return out / c


def test_multi_margin_loss():
    x, y = rnd(6, 4), np.array([0, 3, 1, 1, 2, 0])
    w = np.abs(rnd(4, seed=2))
    for p, margin, weight in ((1, 1.0, None), (2, 0.5, w), (1, 2.0, w)):
        ref = _multi_margin_ref(x, y, p, margin, weight)
        m = nn.MultiMarginLoss(p, margin, None if weight is None else t64(weight),
                               reduction="none")
        np.testing.assert_allclose(m(t64(x), pe.tensor(y)).numpy(), ref, rtol=1e-13)
        np.testing.assert_allclose(F.multi_margin_loss(t64(x), pe.tensor(y), p, margin,
                                                       None if weight is None else t64(weight)
                                                       ).item(), ref.mean(), rtol=1e-13)
    np.testing.assert_allclose(F.multi_margin_loss(t64(x[0]), pe.tensor(0)).item(),
                               _multi_margin_ref(x[:1], y[:1], 1, 1.0, None)[0])
    assert gradcheck(lambda a: F.multi_margin_loss(a, pe.tensor(y), p=2, reduction="sum"),
                     [t64(x, grad=True)])
    assert "weight" in dict(nn.MultiMarginLoss(weight=t64(w)).named_buffers())
    assert repr(nn.MultiMarginLoss()) == "MultiMarginLoss()" and \
        repr(nn.SoftMarginLoss()) == "SoftMarginLoss()"
    with pytest.raises(ValueError, match=r"\[MultiMarginLoss\] only p == 1 and p == 2"):
        nn.MultiMarginLoss(p=3)
    with pytest.raises(IndexError, match=r"\[multi_margin_loss\] target values"):
        F.multi_margin_loss(t64(x), pe.tensor([0, 1, 2, 3, 4, 0]))
    with pytest.raises(TypeError, match=r"\[multi_margin_loss\] target must hold class indices"):
        F.multi_margin_loss(t64(x), t64(y))


# ---- Bilinear, RMSNorm, ChannelShuffle --------------------------------------------------------
def test_bilinear():
    pe.manual_seed(0)
    m = nn.Bilinear(3, 4, 5, dtype=pe.float64)
    w, b = m.weight.detach().numpy(), m.bias.detach().numpy()
    assert w.shape == (5, 3, 4) and np.abs(w).max() <= 1 / math.sqrt(3)
    x1, x2 = rnd(2, 6, 3), rnd(2, 6, 4, seed=1)
    ref = np.einsum("...i,oij,...j->...o", x1, w, x2) + b
    np.testing.assert_allclose(m(t64(x1), t64(x2)).detach().numpy(), ref, rtol=1e-12)
    assert gradcheck(F.bilinear, [t64(x1[0], True), t64(x2[0], True), t64(w, True),
                                  t64(b, True)])
    assert nn.Bilinear(2, 2, 2, bias=False).bias is None
    assert repr(m) == "Bilinear(in1_features=3, in2_features=4, out_features=5, bias=True)"
    with pytest.raises(ValueError, match=r"\[bilinear\] inputs"):
        m(t64(x2), t64(x1))
    with pytest.raises(ValueError, match=r"\[Bilinear\] in1_features must be a positive int"):
        nn.Bilinear(0, 2, 2)


def test_rms_norm():
    x = rnd(2, 3, 4)
    m = nn.RMSNorm([3, 4])
    assert m.weight.shape == (3, 4) and (m.weight.detach().numpy() == 1).all()
    m.weight.data = t64(rnd(3, 4, seed=5))
    wv = m.weight.detach().numpy()
    ref = x / np.sqrt((x ** 2).mean((1, 2), keepdims=True) + np.finfo(np.float64).eps) * wv
    np.testing.assert_allclose(m(t64(x)).detach().numpy(), ref, rtol=1e-13)
    np.testing.assert_allclose(F.rms_norm(t64(x), (4,), eps=0.1).numpy(),
                               x / np.sqrt((x ** 2).mean(-1, keepdims=True) + 0.1), rtol=1e-13)
    assert gradcheck(lambda a, g: F.rms_norm(a, (4,), g, 1e-3), [t64(x, True), t64(wv[0], True)])
    assert nn.RMSNorm(4, elementwise_affine=False).weight is None
    assert repr(nn.RMSNorm(4)) == "RMSNorm((4,), eps=None, elementwise_affine=True)"
    with pytest.raises(ValueError, match=r"\[rms_norm\] normalized_shape"):
        F.rms_norm(t64(x), (3,))


def test_channel_shuffle():
    x = rnd(2, 6, 3, 2)
    ref = x.reshape(2, 3, 2, 3, 2).transpose(0, 2, 1, 3, 4).reshape(2, 6, 3, 2)
    np.testing.assert_array_equal(nn.ChannelShuffle(3)(t64(x)).numpy(), ref)
    assert gradcheck(lambda a: F.channel_shuffle(a, 2) * t64(np.arange(36.0).reshape(1, 6, 3, 2)),
                     [t64(x[:1], True)])
    assert repr(nn.ChannelShuffle(3)) == "ChannelShuffle(groups=3)"
    with pytest.raises(ValueError, match=r"\[channel_shuffle\] the number of channels \(6\)"):
        F.channel_shuffle(t64(x), 4)


# ---- alpha dropouts ------------------------------------------------------------------------------
def test_alpha_dropout_train_eval():
    x = t64(rnd(200, 500))
    m = nn.AlphaDropout(0.2)
    m.eval()
    assert m(x) is x and F.alpha_dropout(x, 0.2) is x  # functional default training=False
    m.train()
    pe.manual_seed(1)
    y = m(x).numpy()
    pe.manual_seed(1)
    np.testing.assert_array_equal(F.alpha_dropout(x, 0.2, training=True).numpy(), y)
    p, alpha = 0.2, 1.7580993408473766
    a = 1 / math.sqrt((alpha ** 2 * p + 1) * (1 - p))
    dropped = np.isclose(y, -alpha * a + alpha * a * p)
    assert abs(dropped.mean() - p) < 0.01
    np.testing.assert_allclose(y[~dropped], (a * (x.numpy() + alpha * p))[~dropped])
    assert abs(y.mean()) < 0.02 and abs(y.std() - 1) < 0.02  # SELU's fixed point is kept
    assert (F.alpha_dropout(x, 1.0, True).numpy() == 0).all()
    assert gradcheck(lambda v: (pe.manual_seed(4), F.alpha_dropout(v, 0.5, True))[1],
                     [t64(rnd(3, 4), True)])
    with pytest.raises(ValueError, match=r"\[AlphaDropout\] dropout probability"):
        nn.AlphaDropout(1.5)
    assert repr(m) == "AlphaDropout(p=0.2, inplace=False)"


def test_feature_alpha_dropout_drops_whole_channels():
    x = t64(np.ones((8, 16, 5, 5)))
    m = nn.FeatureAlphaDropout(0.5)
    assert m.eval()(x) is x
    y = m.train()(x).numpy()
    assert (y == y[:, :, :1, :1]).all()  # one value per (sample, channel)
    assert len(np.unique(y)) == 2
    with pytest.raises(ValueError, match=r"\[feature_alpha_dropout\] expected an input of at "
                                         r"least 2 dims"):
        F.feature_alpha_dropout(t64([1.0]), 0.5, True)


# ---- LazyLinear ----------------------------------------------------------------------------------
def test_lazy_linear_infers_in_features_and_trains():
    pe.manual_seed(0)
    m = nn.LazyLinear(3)
    assert repr(m) == "LazyLinear(in_features=0, out_features=3, bias=True)"
    w0 = m.weight
    opt = pe.optim.SGD(m.parameters(), lr=0.1)  # torch recommends a dry run first; see docs
    y = m(pe.randn(4, 5))
    assert y.shape == (4, 3) and type(m) is nn.Linear and m.in_features == 5
    assert m.weight is w0 and m.weight.shape == (3, 5)  # materialised in place
    assert np.abs(m.weight.detach().numpy()).max() <= 1 / math.sqrt(5)
    assert repr(m) == "Linear(in_features=5, out_features=3, bias=True)"
    before = m.weight.detach().numpy().copy()
    y.sum().backward()
    opt.step()
    assert not np.allclose(before, m.weight.detach().numpy())
    assert nn.LazyLinear(2, bias=False)(pe.randn(1, 4)).shape == (1, 2)
    with pytest.raises(ValueError, match=r"\[LazyLinear\] out_features must be a positive int"):
        nn.LazyLinear(0)
    m = nn.LazyLinear(2, dtype=pe.float64)  # torch's dtype=: the parameters', kept when filled
    assert m(pe.randn(3, 4, dtype=pe.float64)).dtype == pe.float64 and m.weight.dtype == pe.float64
    assert nn.RMSNorm(4, dtype=pe.float64).weight.dtype == pe.float64


# ---- init ----------------------------------------------------------------------------------------
def test_init_sparse_and_dirac():
    w = pe.empty(10, 6)
    nn.init.sparse_(w, 0.3, std=0.5)
    zeros = (w.numpy() == 0).sum(0)
    assert (zeros == 3).all() and w.numpy().std() > 0.1
    with pytest.raises(ValueError, match=r"\[sparse_\] only 2-D tensors"):
        nn.init.sparse_(pe.empty(3), 0.1)
    k = pe.empty(4, 4, 3, 3)
    nn.init.dirac_(k)
    x = pe.randn(1, 4, 6, 6)
    np.testing.assert_allclose(F.conv2d(x, k, padding=1).numpy(), x.numpy(), atol=1e-6)
    g = pe.empty(6, 2, 3)
    nn.init.dirac_(g, groups=3)
    want = np.zeros((6, 2, 3))
    for grp in range(3):
        for d in range(2):
            want[grp * 2 + d, d, 1] = 1
    np.testing.assert_array_equal(g.numpy(), want)
    with pytest.raises(ValueError, match=r"\[dirac_\] only 3, 4 or 5-D"):
        nn.init.dirac_(pe.empty(3, 3))


# ---- against torch -----------------------------------------------------------------------------
def test_against_torch():
    torch = pytest.importorskip("torch")
    tnn, tF = torch.nn, torch.nn.functional
    x = rnd(2, 4, 6, 6)
    tx = torch.tensor(x)
    np.testing.assert_allclose(nn.RReLU(0.1, 0.4).eval()(t64(x)).numpy(),
                               tnn.RReLU(0.1, 0.4).eval()(tx).numpy())
    for p in (2, 3):
        np.testing.assert_allclose(F.lp_pool2d(t64(x), p, 3, 2).numpy(),
                                   tF.lp_pool2d(tx, p, 3, 2).numpy(), rtol=1e-12)
        np.testing.assert_allclose(F.lp_pool1d(t64(x[:, :, 0]), p, 2).numpy(),
                                   tF.lp_pool1d(tx[:, :, 0], p, 2).numpy(), rtol=1e-12)
    y = np.sign(rnd(2, 4, 6, 6, seed=1))
    np.testing.assert_allclose(F.soft_margin_loss(t64(x), t64(y)).item(),
                               tF.soft_margin_loss(tx, torch.tensor(y)).item(), rtol=1e-13)
    s, c = rnd(5, 7), np.array([0, 6, 2, 2, 1])
    w = np.abs(rnd(7, seed=3))
    for p, margin in ((1, 1.0), (2, 0.7)):
        for red in ("mean", "sum", "none"):
            np.testing.assert_allclose(
                F.multi_margin_loss(t64(s), pe.tensor(c), p, margin, t64(w), reduction=red).numpy(),
                tF.multi_margin_loss(torch.tensor(s), torch.tensor(c), p, margin, torch.tensor(w),
                                     reduction=red).numpy(), rtol=1e-13)
    bw, bb = rnd(3, 4, 5, seed=4), rnd(3, seed=5)
    a1, a2 = rnd(6, 4), rnd(6, 5, seed=6)
    np.testing.assert_allclose(F.bilinear(t64(a1), t64(a2), t64(bw), t64(bb)).numpy(),
                               tF.bilinear(torch.tensor(a1), torch.tensor(a2), torch.tensor(bw),
                                           torch.tensor(bb)).numpy(), rtol=1e-12)
    rw = rnd(6, seed=7)
    np.testing.assert_allclose(F.rms_norm(t64(x), (6,), t64(rw)).numpy(),
                               tF.rms_norm(tx, (6,), torch.tensor(rw)).numpy(), rtol=1e-12)
    np.testing.assert_array_equal(F.channel_shuffle(t64(x), 2).numpy(),
                                  tnn.ChannelShuffle(2)(tx).numpy())
    tk, k = torch.empty(6, 2, 3, 3), pe.empty(6, 2, 3, 3)
    tnn.init.dirac_(tk, groups=2)
    nn.init.dirac_(k, groups=2)
    np.testing.assert_array_equal(k.numpy(), tk.numpy())
    for mod, tmod in ((nn.RReLU(), tnn.RReLU()), (nn.LPPool1d(2, 3, 1), tnn.LPPool1d(2, 3, 1)),
                      (nn.Bilinear(2, 3, 4), tnn.Bilinear(2, 3, 4)),
                      (nn.RMSNorm(4), tnn.RMSNorm(4)),
                      (nn.AlphaDropout(), tnn.AlphaDropout()),
                      (nn.FeatureAlphaDropout(0.1), tnn.FeatureAlphaDropout(0.1)),
                      (nn.ChannelShuffle(2), tnn.ChannelShuffle(2)),
                      (nn.SoftMarginLoss(), tnn.SoftMarginLoss()),
                      (nn.MultiMarginLoss(), tnn.MultiMarginLoss())):
        assert repr(mod) == repr(tmod)
