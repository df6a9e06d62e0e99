"""F.scaled_dot_product_attention and nn.MultiheadAttention: NumPy float64 reference, gradcheck,
and PyTorch (same inputs / same state_dict) where torch is installed."""
import numpy as np
import pytest

import pyengine as pe
import pyengine.nn.functional as F
from pyengine.testing import gradcheck

try:
    import torch
except ImportError:  # CI has no torch
    torch = None
needs_torch = pytest.mark.skipif(torch is None, reason="torch not installed")


def T(a, grad=False):
    return pe.tensor(np.asarray(a), requires_grad=grad)


def ref_sdpa(q, k, v, bias=None, scale=None):
    """float64 reference: softmax(q k^T * scale + bias) v, fully masked rows -> 0."""
    scale = 1 / np.sqrt(q.shape[-1]) if scale is None else scale
    s = q @ np.swapaxes(k, -1, -2) * scale
    if bias is not None:
        s = s + bias
    dead = np.isneginf(s).all(-1, keepdims=True)
    s = np.where(dead, 0.0, s)
    e = np.exp(s - s.max(-1, keepdims=True))
    w = e / e.sum(-1, keepdims=True) * ~dead
    return w @ v, w


def rand(*shape, seed=0):
    return np.random.default_rng(seed).standard_normal(shape)


# ---- scaled_dot_product_attention ---------------------------------------------------------------
@pytest.mark.parametrize("shape", [((2, 3, 4, 8), (2, 3, 6, 8), (2, 3, 6, 5)),
                                   ((4, 8), (1, 8), (1, 3)),
                                   ((2, 1, 4, 8), (1, 3, 6, 8), (1, 3, 6, 5))])
def test_sdpa_matches_numpy(shape):
    q, k, v = (rand(*s, seed=i) for i, s in enumerate(shape))
    out = F.scaled_dot_product_attention(T(q), T(k), T(v))
    np.testing.assert_allclose(out.numpy(), ref_sdpa(q, k, v)[0], rtol=1e-10, atol=1e-12)


def test_sdpa_masks_and_causal():
    q, k, v = rand(2, 5, 4, seed=1), rand(2, 6, 4, seed=2), rand(2, 6, 3, seed=3)
    keep = np.random.default_rng(4).random((5, 6)) > 0.4
    keep[:, 0] = True
    keep[2] = False  # a fully masked row gives zeros
    bias = np.where(keep, 0.0, -np.inf)
    out = F.scaled_dot_product_attention(T(q), T(k), T(v), attn_mask=T(keep))
    np.testing.assert_allclose(out.numpy(), ref_sdpa(q, k, v, bias)[0], atol=1e-12)
    assert np.all(out.numpy()[:, 2] == 0)
    fmask = rand(5, 6, seed=5)
    out = F.scaled_dot_product_attention(T(q), T(k), T(v), attn_mask=T(fmask), scale=0.7)
    np.testing.assert_allclose(out.numpy(), ref_sdpa(q, k, v, fmask, 0.7)[0], atol=1e-12)
    causal = np.where(np.tril(np.ones((5, 6), bool)), 0.0, -np.inf)
    out = F.scaled_dot_product_attention(T(q), T(k), T(v), is_causal=True)
    np.testing.assert_allclose(out.numpy(), ref_sdpa(q, k, v, causal)[0], atol=1e-12)


def test_sdpa_float32_and_dropout():
    q = rand(2, 4, 8).astype(np.float32)
    out = F.scaled_dot_product_attention(T(q), T(q), T(q))
    assert out.dtype == pe.float32
    np.testing.assert_allclose(out.numpy(), ref_sdpa(*(q.astype(np.float64),) * 3)[0], rtol=1e-5,
                               atol=1e-6)
    pe.manual_seed(0)
    ones = np.ones((1, 3, 50, 4))
    out = F.scaled_dot_product_attention(T(ones), T(ones), T(ones), dropout_p=0.5).numpy()
    # every weight is 1/50, kept ones scaled by 2: the row sums are 2 * kept / 50, not all 1
    assert not np.allclose(out, 1.0) and np.isfinite(out).all()
    assert F.scaled_dot_product_attention(T(ones), T(ones), T(ones), dropout_p=1.0).numpy().max() == 0


def test_sdpa_gradcheck():
    q, k, v = (T(rand(2, 3, 4, seed=i), grad=True) for i in range(3))
    keep = np.array([[1, 1, 0, 1], [1, 0, 0, 0], [1, 1, 1, 1]], bool)[:, :4]
    k4, v4 = T(rand(2, 4, 4, seed=7), grad=True), T(rand(2, 4, 2, seed=8), grad=True)
    assert gradcheck(lambda a, b, c: F.scaled_dot_product_attention(a, b, c), [q, k, v])
    assert gradcheck(lambda a, b, c: F.scaled_dot_product_attention(a, b, c, attn_mask=T(keep)),
                     [q, k4, v4])
    fm = T(rand(3, 4, seed=9), grad=True)
    assert gradcheck(lambda a, m: F.scaled_dot_product_attention(a, k4, v4, attn_mask=m),
                     [q, fm])


def test_sdpa_bad_input():
    q = T(rand(2, 3, 4))
    with pytest.raises(ValueError, match=r"\[scaled_dot_product_attention\] query and key"):
        F.scaled_dot_product_attention(q, T(rand(2, 3, 5)), T(rand(2, 3, 5)))
    with pytest.raises(ValueError, match="sequence lengths differ"):
        F.scaled_dot_product_attention(q, q, T(rand(2, 4, 4)))
    with pytest.raises(ValueError, match="either attn_mask or is_causal"):
        F.scaled_dot_product_attention(q, q, q, attn_mask=T(np.ones((3, 3), bool)), is_causal=True)
    with pytest.raises(ValueError, match="does not broadcast"):
        F.scaled_dot_product_attention(q, q, q, attn_mask=T(np.ones((2, 2), bool)))
    with pytest.raises(NotImplementedError, match="enable_gqa"):
        F.scaled_dot_product_attention(q, q, q, enable_gqa=True)
    with pytest.raises(ValueError, match="dropout_p"):
        F.scaled_dot_product_attention(q, q, q, dropout_p=1.5)


@needs_torch
@pytest.mark.parametrize("kw", [{}, {"is_causal": True}, {"scale": 0.3}, {"mask": "bool"},
                                {"mask": "float"}])
def test_sdpa_matches_torch(kw):
    q, k, v = rand(2, 3, 4, 8, seed=1), rand(2, 3, 6, 8, seed=2), rand(2, 3, 6, 5, seed=3)
    kw = dict(kw)
    mask = kw.pop("mask", None)
    if mask == "bool":
        m = np.random.default_rng(0).random((4, 6)) > 0.5
        m[1] = False
        kw["attn_mask"] = m
    elif mask == "float":
        kw["attn_mask"] = rand(3, 4, 6, seed=4)
    ours = F.scaled_dot_product_attention(T(q), T(k), T(v), **{
        a: (T(b) if a == "attn_mask" else b) for a, b in kw.items()}).numpy()
    theirs = torch.nn.functional.scaled_dot_product_attention(
        *(torch.tensor(x) for x in (q, k, v)),
        **{a: (torch.tensor(b) if a == "attn_mask" else b) for a, b in kw.items()}).numpy()
    np.testing.assert_allclose(ours, theirs, atol=1e-12)


# ---- MultiheadAttention -----------------------------------------------------------------------
def _to64(module):
    for p in module.parameters():
        p._data = p._data.astype(np.float64)
    return module


def ref_mha(m, x, kv, H, bias):
    """float64 NumPy reference of MultiheadAttention (batch_first layout), weights per head."""
    sd = {k: v.detach().numpy().astype(np.float64) for k, v in m.state_dict().items()}
    E = x.shape[-1]
    if "in_proj_weight" in sd:
        wq, wk, wv = np.split(sd["in_proj_weight"], 3)
    else:
        wq, wk, wv = sd["q_proj_weight"], sd["k_proj_weight"], sd["v_proj_weight"]
    bq, bk, bv = np.split(sd["in_proj_bias"], 3)
    N, L, S, hd = x.shape[0], x.shape[1], kv.shape[1], E // H
    split = lambda t, n: t.reshape(N, n, H, hd).transpose(0, 2, 1, 3)  # noqa: E731
    o, w = ref_sdpa(split(x @ wq.T + bq, L), split(kv @ wk.T + bk, S), split(kv @ wv.T + bv, S),
                    bias)
    o = o.transpose(0, 2, 1, 3).reshape(N, L, E)
    return o @ sd["out_proj.weight"].T + sd["out_proj.bias"], w


@pytest.mark.parametrize("kdim", [None, 6])
def test_mha_matches_numpy(kdim):
    pe.manual_seed(0)
    m = _to64(pe.nn.MultiheadAttention(8, 2, kdim=kdim, vdim=kdim, batch_first=True))
    m.in_proj_bias._data[:] = rand(24, seed=3)
    m.out_proj.bias._data[:] = rand(8, seed=4)
    x, kv = rand(3, 4, 8, seed=1), rand(3, 5, kdim or 8, seed=2)
    kpm = np.zeros((3, 5), bool)
    kpm[0, 3:] = True
    am = np.triu(np.ones((4, 5), bool), 2)
    out, w = m(T(x), T(kv), T(kv), key_padding_mask=T(kpm), attn_mask=T(am),
               average_attn_weights=False)
    bias = np.where(am, -np.inf, 0.0)[None, None] + np.where(kpm, -np.inf, 0.0)[:, None, None]
    ro, rw = ref_mha(m, x, kv, 2, bias)
    np.testing.assert_allclose(out.detach().numpy(), ro, atol=1e-12)
    np.testing.assert_allclose(w.detach().numpy(), rw, atol=1e-12)
    _, wavg = m(T(x), T(kv), T(kv), key_padding_mask=T(kpm), attn_mask=T(am))
    np.testing.assert_allclose(wavg.detach().numpy(), rw.mean(1), atol=1e-12)


def test_mha_layouts_and_need_weights():
    pe.manual_seed(1)
    m = pe.nn.MultiheadAttention(8, 4)  # (L, N, E)
    x = pe.randn(5, 2, 8)
    out, w = m(x, x, x)
    assert out.shape == (5, 2, 8) and w.shape == (2, 5, 5)
    out1, w1 = m(x[:, 0], x[:, 0], x[:, 0])  # unbatched (L, E)
    np.testing.assert_allclose(out1.detach().numpy(), out[:, 0].detach().numpy(), atol=1e-6)
    assert w1.shape == (5, 5)
    assert m(x, x, x, need_weights=False)[1] is None
    m.batch_first = True
    outb, _ = m(x.transpose(0, 1), x.transpose(0, 1), x.transpose(0, 1))
    np.testing.assert_allclose(outb.detach().numpy(), out.transpose(0, 1).detach().numpy(),
                               atol=1e-6)


def test_mha_gradcheck():
    pe.manual_seed(2)
    m = _to64(pe.nn.MultiheadAttention(4, 2, batch_first=True))
    x = T(rand(2, 3, 4), grad=True)
    kpm = T(np.array([[False, False, True], [False, False, False]]))
    assert gradcheck(lambda a: m(a, a, a, key_padding_mask=kpm)[0], [x])
    w = m.in_proj_weight
    assert gradcheck(lambda W: (m(x, x, x)[0]), [w])


def test_mha_trains_and_state_dict_names():
    pe.manual_seed(3)
    m = pe.nn.MultiheadAttention(8, 2, batch_first=True, bias=False)
    assert sorted(m.state_dict()) == ["in_proj_weight", "out_proj.weight"]
    opt = pe.optim.Adam(m.parameters(), lr=1e-2)
    x, y = pe.randn(4, 5, 8), pe.randn(4, 5, 8)
    losses = []
    for _ in range(30):
        opt.zero_grad()
        loss = F.mse_loss(m(x, x, x)[0], y)
        loss.backward()
        opt.step()
        losses.append(loss.item())
    assert losses[-1] < 0.7 * losses[0]


def test_mha_bad_input():
    with pytest.raises(ValueError, match="divisible"):
        pe.nn.MultiheadAttention(10, 3)
    with pytest.raises(NotImplementedError, match="add_bias_kv"):
        pe.nn.MultiheadAttention(8, 2, add_bias_kv=True)
    m = pe.nn.MultiheadAttention(8, 2, batch_first=True)
    x = pe.randn(2, 3, 8)
    with pytest.raises(ValueError, match="expected embed_dim=8"):
        m(pe.randn(2, 3, 6), x, x)
    with pytest.raises(ValueError, match="is_causal=True is a hint"):
        m(x, x, x, is_causal=True)
    with pytest.raises(ValueError, match="key_padding_mask must be"):
        m(x, x, x, key_padding_mask=T(np.zeros((3, 2), bool)))
    with pytest.raises(ValueError, match="attn_mask must be"):
        m(x, x, x, attn_mask=T(np.zeros((2, 2), bool)))


@needs_torch
@pytest.mark.parametrize("batch_first,kdim,bias", [(False, None, True), (True, None, True),
                                                   (True, 6, True), (False, None, False)])
def test_mha_matches_torch_same_state_dict(batch_first, kdim, bias):
    torch.manual_seed(0)
    tm = torch.nn.MultiheadAttention(16, 4, kdim=kdim, vdim=kdim, bias=bias,
                                     batch_first=batch_first).double()
    pm = pe.nn.MultiheadAttention(16, 4, kdim=kdim, vdim=kdim, bias=bias,
                                  batch_first=batch_first)
    sd = {k: pe.tensor(v.detach().numpy()) for k, v in tm.state_dict().items()}
    assert sorted(sd) == sorted(pm.state_dict())
    pm.load_state_dict(sd)
    _to64(pm)
    x = rand(2, 5, 16, seed=1) if batch_first else rand(5, 2, 16, seed=1)
    kv = rand(2, 7, kdim or 16, seed=2) if batch_first else rand(7, 2, kdim or 16, seed=2)
    kpm = np.random.default_rng(3).random((2, 7)) > 0.7
    kpm[:, 0] = False
    am = rand(5, 7, seed=4)
    for avg in (True, False):
        o1, w1 = pm(T(x), T(kv), T(kv), key_padding_mask=T(kpm), attn_mask=T(am),
                    average_attn_weights=avg)
        o2, w2 = tm(*(torch.tensor(a) for a in (x, kv, kv)), key_padding_mask=torch.tensor(kpm),
                    attn_mask=torch.tensor(am), average_attn_weights=avg)
        np.testing.assert_allclose(o1.detach().numpy(), o2.detach().numpy(), atol=1e-12)
        np.testing.assert_allclose(w1.detach().numpy(), w2.detach().numpy(), atol=1e-12)


def _encoder_step_float32():
    """Forward and backward of a TransformerEncoderLayer in float32 (GEMM, softmax, layer norm
    kernels): output and input gradient."""
    pe.manual_seed(7)
    layer = pe.nn.TransformerEncoderLayer(16, 4, 32, dropout=0.0, batch_first=True)
    x = pe.tensor(rand(3, 9, 16, seed=11).astype(np.float32), requires_grad=True)
    kpm = T(np.arange(9)[None, :] >= np.array([[9], [5], [7]]))
    out = layer(x, src_key_padding_mask=kpm)
    (out * pe.tensor(rand(3, 9, 16, seed=12).astype(np.float32))).sum().backward()
    return out.detach().numpy(), x.grad.numpy()


@pytest.mark.parametrize("n", [1, 2])
def test_attention_same_on_every_isa_and_thread_count(isa, threads, n):
    threads(n)
    out, grad = _encoder_step_float32()
    pe.set_num_threads(1)
    from pyengine import _C
    before = _C.cpu_isa()
    _C.set_cpu_isa("generic")
    try:
        ref_out, ref_grad = _encoder_step_float32()
    finally:
        _C.set_cpu_isa(before)
    np.testing.assert_allclose(out, ref_out, rtol=1e-5, atol=1e-5)
    np.testing.assert_allclose(grad, ref_grad, rtol=1e-4, atol=1e-5)


from hypothesis import given, settings  # noqa: E402
from hypothesis import strategies as st  # noqa: E402


@settings(max_examples=40, deadline=None)
@given(batch=st.lists(st.integers(0, 3), max_size=2), L=st.integers(0, 4), S=st.integers(0, 4),
       E=st.integers(1, 5), Ev=st.integers(1, 3), masked=st.booleans(), seed=st.integers(0, 99),
       strided=st.booleans())
def test_sdpa_hypothesis_shapes(batch, L, S, E, Ev, masked, seed, strided):
    rng = np.random.default_rng(seed)
    b = tuple(batch)
    q, k, v = (rng.standard_normal(b + s) for s in ((L, E), (S, E), (S, Ev)))
    keep = rng.random((L, S)) > 0.3 if masked else None
    tq = T(q)
    if strided:  # a non-contiguous query: the transpose of a contiguous (E, L) array
        tq = T(np.ascontiguousarray(np.swapaxes(q, -1, -2))).transpose(-1, -2)
    out = F.scaled_dot_product_attention(tq, T(k), T(v),
                                         attn_mask=None if keep is None else T(keep))
    if S == 0:
        ref = np.zeros(b + (L, Ev))
    else:
        ref = ref_sdpa(q, k, v, None if keep is None else np.where(keep, 0.0, -np.inf))[0]
    assert out.shape == b + (L, Ev)
    np.testing.assert_allclose(out.numpy(), ref, atol=1e-12)


def test_bmm_baddbmm():
    a, b, c = rand(2, 3, 4, seed=1), rand(2, 4, 5, seed=2), rand(3, 5, seed=3)
    np.testing.assert_allclose(pe.bmm(T(a), T(b)).numpy(), a @ b, atol=1e-12)
    np.testing.assert_allclose(pe.baddbmm(T(c), T(a), T(b), beta=0.5, alpha=2.0).numpy(),
                               0.5 * c + 2 * (a @ b), atol=1e-12)
    np.testing.assert_allclose(pe.baddbmm(T(c), T(a), T(b), beta=0.0).numpy(), a @ b, atol=1e-12)
    ta, tb, tc = T(a, grad=True), T(b, grad=True), T(c, grad=True)
    assert gradcheck(lambda x, y, z: pe.baddbmm(z, x, y, alpha=0.3), [ta, tb, tc])
    with pytest.raises(ValueError, match=r"\[bmm\] mat2 must be a 3-D"):
        pe.bmm(T(a), T(b[0]))
    with pytest.raises(ValueError, match="do not multiply"):
        pe.bmm(T(a), T(rand(2, 5, 4)))


@pytest.mark.parametrize("batch_first", [False, True])
def test_mha_self_attention_fast_path_matches_general(batch_first):
    """x, x, x takes one GEMM against in_proj_weight; a copy of x (three distinct tensors) takes
    the three projections: same outputs and gradients."""
    pe.manual_seed(8)
    m = _to64(pe.nn.MultiheadAttention(8, 2, batch_first=batch_first))
    m.in_proj_bias._data[:] = rand(24, seed=1)
    x = T(rand(3, 4, 8, seed=2), grad=True)
    x2 = T(x.detach().numpy().copy(), grad=True)
    N, S = (3, 4) if batch_first else (4, 3)
    pad = np.zeros((N, S), bool)
    pad[1, -2:] = True
    kpm = T(pad)
    fast, wf = m(x, x, x, key_padding_mask=kpm)
    fast.sum().backward()
    gw_fast = m.in_proj_weight.grad.numpy().copy()
    m.zero_grad()
    slow, ws = m(x2, x2.clone(), x2.clone(), key_padding_mask=kpm)
    slow.sum().backward()
    np.testing.assert_allclose(fast.detach().numpy(), slow.detach().numpy(), atol=1e-12)
    np.testing.assert_allclose(wf.detach().numpy(), ws.detach().numpy(), atol=1e-12)
    np.testing.assert_allclose(x.grad.numpy(), x2.grad.numpy(), atol=1e-12)
    np.testing.assert_allclose(gw_fast, m.in_proj_weight.grad.numpy(), atol=1e-12)
