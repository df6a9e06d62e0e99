"""The batch-lane conv2d kernels (csrc/conv/conv_batch_lanes_impl.h: small planes, the images of
a panel in the vector lanes, taps in the padding skipped — DCGAN's strided layers) against the
NumPy float64 reference, against the general im2col path, on every ISA, 1 vs 2 threads
bitwise, and through gradcheck. Each case first checks that the kernels it means to cover are
the ones conv2d chooses (_C.conv2d_algorithms)."""
import numpy as np
import pytest
from hypothesis import assume, given, settings, strategies as st

import pyengine as pe
import pyengine.nn.functional as F
from pyengine import _C
from pyengine.testing import gradcheck
from test_conv import out_size, ref_conv
from test_conv_small_k import check_against_reference, conv, grads, make

ISAS = ("generic", "avx2", "avx512")


def each_isa():
    """Sets each ISA path the CPU has in turn (yielding its name), then restores the active one."""
    before = _C.cpu_isa()
    try:
        for isa in ISAS[:ISAS.index(_C.cpu_isa_detected()) + 1]:
            _C.set_cpu_isa(isa)
            yield isa
    finally:
        _C.set_cpu_isa(before)


def lanes(names):
    """Whether any of the algorithm names is a batch-lane kernel."""
    return any(a.startswith("batch_lanes") for a in names)


def algorithms(x, w, s, p, d):
    return _C.conv2d_algorithms(x, w, s[0], s[1], p[0], p[1], d[0], d[1], 1)


def winograd_scale(algorithm, dtype):
    """A pass's extra tolerance, as a fraction of its largest value: Winograd F(4x4, 2x2) rounds
    differently from a direct sum, by up to ~1e-5 of the largest output in float32 on these
    cases (1e-14 in float64; docs/conv.md, "Batch lanes")."""
    if algorithm != "batch_lanes_winograd":
        return 0.0
    return 2e-5 if dtype == np.float32 else 1e-13


def scales(x, w, s, p, d):
    """check_against_reference's (forward, input gradient, weight gradient) tolerance scales for
    this conv."""
    return tuple(winograd_scale(a, x.dtype) for a in algorithms(x, w, s, p, d))


# (N, C, H, W, OC, KH, KW, stride, pad, dilation). Batches of 24, 32 and 56 fill at least 3/4
# of the lanes of every ISA's panels (4 to 32 images), 24 and 56 with a partial last panel on
# some. DCGAN's discriminator pair (4x4 s2 on 14x14, 3x3 s2 on 7x7, 65 channels: a partial
# channel panel), rectangular kernels with unequal strides and paddings, dilation, a pointwise
# conv, padding wider than the kernel (output positions with no tap inside the input), strides
# wider than the kernel (input positions no tap reaches), a 1x1 output, and a 5x5 kernel with
# partial channel panels on both sides (more than a cache line of taps: the packed weight layout
# in float too; float 3x3 and 4x4 read the weights in place, double above 8 taps packs them).
CASES = [
    (32, 32, 14, 14, 64, 4, 4, (2, 2), (1, 1), (1, 1)),
    (24, 65, 7, 7, 24, 3, 3, (2, 2), (1, 1), (1, 1)),
    (56, 9, 7, 7, 17, 3, 3, (2, 2), (1, 1), (1, 1)),
    (32, 8, 5, 6, 8, 3, 2, (1, 2), (2, 1), (1, 1)),
    (24, 12, 6, 7, 10, 3, 3, (1, 1), (2, 2), (2, 2)),
    (32, 40, 4, 4, 24, 1, 1, (1, 1), (0, 0), (1, 1)),
    (24, 9, 3, 3, 8, 2, 2, (1, 1), (3, 3), (1, 1)),
    (24, 9, 9, 9, 8, 2, 2, (3, 3), (0, 0), (1, 1)),
    (24, 8, 3, 3, 9, 3, 3, (1, 1), (0, 0), (1, 1)),
    (24, 9, 7, 7, 10, 5, 5, (1, 1), (2, 2), (1, 1)),
]


@pytest.mark.parametrize("case", CASES)
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_batch_lanes_matches_reference(case, dtype, isa):
    n, c, h, w_, oc, kh, kw, s, p, d = case
    x, w, b = make(n, c, h, w_, oc, kh, kw, dtype)
    fwd, dx, _ = algorithms(x, w, s, p, d)
    assert fwd.startswith("batch_lanes") and dx.startswith("batch_lanes")
    check_against_reference(x, w, b, s, p, d, *scales(x, w, s, p, d))


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_batch_lanes_weight_gradient_is_chosen_for_dcgan(dtype, isa):
    """The weight gradient has its own bound (input channels filling the tile's columns): the
    DCGAN layers are inside it, a 9-channel input is not on AVX-512 (9 of 32 columns)."""
    x, w, _ = make(64, 32, 14, 14, 64, 4, 4, dtype)
    assert algorithms(x, w, (2, 2), (1, 1), (1, 1))[2] == "batch_lanes_winograd"
    assert algorithms(x[..., :12, :12], w, (2, 2), (1, 1), (1, 1))[2] == "batch_lanes"  # 6x6
    x, w, _ = make(64, 64, 7, 7, 128, 3, 3, dtype)
    assert algorithms(x, w, (2, 2), (1, 1), (1, 1))[2] == "batch_lanes"
    if isa == "avx512" and dtype == np.float32:
        x, w, _ = make(64, 9, 7, 7, 17, 3, 3, dtype)
        assert algorithms(x, w, (2, 2), (1, 1), (1, 1))[2] != "batch_lanes"


def test_batch_lanes_bounds():
    """Where the kernels do not run: groups, few channels, large planes, a batch that would
    leave most lanes empty (AVX-512 float: 32 per panel, so 40 images use 40 of 64)."""
    x, w, _ = make(64, 32, 14, 14, 64, 4, 4, np.float32)
    for _ in each_isa():
        assert algorithms(x, w, (2, 2), (1, 1), (1, 1))[0] == "batch_lanes_winograd"
        assert algorithms(x, w[..., :3, :3], (2, 2), (1, 1), (1, 1))[0] == "batch_lanes"
        assert not lanes(algorithms(x[:4], w, (2, 2), (1, 1), (1, 1)))
        assert not lanes(_C.conv2d_algorithms(x, w[:, :16], 2, 2, 1, 1, 1, 1, 2))
        assert not lanes(algorithms(x[:, :4], w[:, :4], (2, 2), (1, 1), (1, 1)))
        big = np.zeros((64, 32, 40, 40), np.float32)
        assert not lanes(algorithms(big, w, (2, 2), (1, 1), (1, 1)))
    if _C.cpu_isa_detected() == "avx512":
        for isa in each_isa():
            if isa == "avx512":
                x40 = np.zeros((40, 32, 14, 14), np.float32)
                assert not lanes(algorithms(x40, w, (2, 2), (1, 1), (1, 1)))


@settings(max_examples=25, deadline=None)
@given(n=st.sampled_from([24, 32]), c=st.integers(8, 20), oc=st.integers(8, 20),
       kh=st.integers(1, 4), kw=st.integers(1, 4), h=st.integers(1, 9), w_=st.integers(1, 9),
       sh=st.integers(1, 3), sw=st.integers(1, 3), ph=st.integers(0, 2), pw=st.integers(0, 2),
       dh=st.integers(1, 2), dw=st.integers(1, 2), double=st.booleans())
def test_batch_lanes_hypothesis_shapes(n, c, oc, kh, kw, h, w_, sh, sw, ph, pw, dh, dw, double):
    """Any small-plane geometry (size-1 planes, strides, paddings, dilations, channel counts
    that are not multiples of the tiles) on every ISA."""
    assume(out_size(h, kh, sh, ph, dh) >= 1 and out_size(w_, kw, sw, pw, dw) >= 1)
    assume(c * kh * kw > 32)  # smaller reductions run on the small-K kernels
    x, w, b = make(n, c, h, w_, oc, kh, kw, np.float64 if double else np.float32)
    s, p, d = (sh, sw), (ph, pw), (dh, dw)
    for _ in each_isa():
        if algorithms(x, w, s, p, d)[0].startswith("batch_lanes"):  # F(2x2, 3x3) goes first
            check_against_reference(x, w, b, s, p, d, *scales(x, w, s, p, d))


@pytest.mark.parametrize("case", [CASES[i] for i in (0, 1, 3, 4, 7)])
def test_batch_lanes_matches_general_path(case, isa):
    """The same batch run 4 images at a time (below the batch bound: im2col + GEMM) gives the
    same values up to summation order."""
    n, c, h, w_, oc, kh, kw, s, p, d = case
    x, w, b = make(n, c, h, w_, oc, kh, kw, np.float32)
    assert not lanes(algorithms(x[:4], w, s, p, d))
    y = conv(x, w, b, s, p, d)
    dy = np.random.default_rng(3).standard_normal(y.shape).astype(np.float32)
    (dx, dw, db), _ = grads(x, w, dy, s, p, d)
    parts = [(conv(x[i:i + 4], w, b, s, p, d), grads(x[i:i + 4], w, dy[i:i + 4], s, p, d)[0])
             for i in range(0, n, 4)]
    # Winograd's transforms round differently from a direct sum: up to ~2e-5 of the largest
    # output (docs/conv.md), hence a tolerance scaled to it.
    np.testing.assert_allclose(y, np.concatenate([q[0] for q in parts]), rtol=1e-5,
                               atol=max(1e-4, 2e-5 * np.abs(y).max()))
    np.testing.assert_allclose(dx, np.concatenate([q[1][0] for q in parts]), rtol=1e-5,
                               atol=max(1e-4, 2e-5 * np.abs(dx).max()))
    np.testing.assert_allclose(dw, sum(q[1][1] for q in parts), rtol=1e-4, atol=1e-3)
    np.testing.assert_allclose(db, sum(q[1][2] for q in parts), rtol=1e-4, atol=1e-3)


@pytest.mark.parametrize("case", [CASES[i] for i in (0, 1, 2, 6)])
def test_batch_lanes_thread_count_independent(case, isa, threads):
    n, c, h, w_, oc, kh, kw, s, p, d = case
    x, w, b = make(n, c, h, w_, oc, kh, kw, np.float32)
    dy = np.random.default_rng(2).standard_normal(conv(x, w, b, s, p, d).shape).astype(np.float32)
    outs = []
    for nt in (1, 2):
        threads(nt)
        fused, single = grads(x, w, dy, s, p, d)
        outs.append([conv(x, w, b, s, p, d), *fused, *single])
    for a, c_ in zip(*outs):
        np.testing.assert_array_equal(a, c_)


def test_batch_lanes_python_threads_keep_their_own_scratch():
    """The kernels' scratch (lanes, stages, packed weights) is kept per calling thread between
    calls (call_scratch): two Python threads convolving at once (the GIL is released in the
    kernels), each alternating two geometries so that its buffers are reused and regrown, get
    exactly what one thread alone gets."""
    import threading
    jobs = []
    for case in (CASES[0], CASES[1], CASES[9], CASES[5]):
        n, c, h, w_, oc, kh, kw, s, p, d = case
        x, w, b = make(n, c, h, w_, oc, kh, kw, np.float32)
        assert lanes(algorithms(x, w, s, p, d))
        dy = np.random.default_rng(5).standard_normal(conv(x, w, b, s, p, d).shape)
        jobs.append((x, w, b, s, p, d, dy.astype(np.float32)))

    def run(job):
        x, w, b, s, p, d, dy = job
        return [conv(x, w, b, s, p, d), *grads(x, w, dy, s, p, d)[0]]

    alone = [run(j) for j in jobs]
    got, errors = [], []

    def worker(k):
        try:
            for rep in range(3):
                for i in (k, k + 2, k, k + 2):
                    got.append((i, run(jobs[i])))
        except Exception as e:  # reported below: an assert in a thread would be lost
            errors.append(e)

    ts = [threading.Thread(target=worker, args=(k,)) for k in (0, 1)]
    for t in ts:
        t.start()
    for t in ts:
        t.join()
    assert not errors
    assert len(got) == 24
    for i, outs in got:
        for a, e in zip(outs, alone[i]):
            np.testing.assert_array_equal(a, e)


def _t(a):
    return pe.tensor(a, requires_grad=True)


def test_batch_lanes_gradcheck_conv_and_transposed_conv():
    """Through autograd (float64, 24 images: the batch-lane path on every ISA): Conv2d(16, 8,
    3, stride 2, padding 1) and ConvTranspose2d(8, 16, 4, stride 2, padding 1), whose forward
    is the batch-lane input gradient and whose backward the batch-lane forward and weight
    gradient; the conv's input is a transposed (non-contiguous) view."""
    rng = np.random.default_rng(4)
    xa = rng.standard_normal((24, 16, 3, 3))
    assert _C.conv2d_algorithms(xa, np.zeros((8, 16, 3, 3)), 2, 2, 1, 1, 1, 1, 1) == \
        ("batch_lanes",) * 3
    x = _t(xa.transpose(0, 1, 3, 2))
    w, b = _t(rng.standard_normal((8, 16, 3, 3))), _t(rng.standard_normal(8))
    assert gradcheck(lambda x_, w_, b_: F.conv2d(x_, w_, b_, stride=2, padding=1), [x, w, b])
    # As a conv: input (24, 16, 4, 4), weight (8, 16, 4, 4), output (24, 8, 2, 2).
    xt = _t(rng.standard_normal((24, 8, 2, 2)))
    assert _C.conv2d_algorithms(np.zeros((24, 16, 4, 4)), np.zeros((8, 16, 4, 4)), 2, 2, 1, 1,
                                1, 1, 1) == ("batch_lanes",) * 3
    wt, bt = _t(rng.standard_normal((8, 16, 4, 4))), _t(rng.standard_normal(16))
    assert gradcheck(lambda x_, w_, b_: F.conv_transpose2d(x_, w_, b_, stride=2, padding=1),
                     [xt, wt, bt])


def test_batch_lanes_dcgan_layer_matches_reference():
    """DCGAN's 64->128 3x3 stride-2 layer at its real batch of 64, float32, against float64."""
    x, w, b = make(64, 64, 7, 7, 128, 3, 3, np.float32)
    assert algorithms(x, w, (2, 2), (1, 1), (1, 1)) == ("batch_lanes",) * 3
    np.testing.assert_allclose(conv(x, w, b, (2, 2), (1, 1), (1, 1)),
                               ref_conv(x, w, b, (2, 2), (1, 1), (1, 1), 1), rtol=1e-4, atol=1e-4)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_conv_transpose2d_forward_adds_bias_on_every_path(dtype, isa):
    """_C.conv_transpose2d_forward = conv2d's input gradient + bias per channel: the batch-lane
    Winograd kernel adds it as it stores (32 images), the other paths in a pass of their own
    (2)."""
    from test_conv import ref_conv_grads
    for n, want in ((32, "batch_lanes_winograd"), (2, None)):
        xc, w, _ = make(n, 32, 14, 14, 64, 4, 4, dtype)  # the conv whose input gradient it is
        assert _C.conv2d_algorithms(xc, w, 2, 2, 1, 1, 1, 1, 1)[1] == (want or "im2col_image_blocks")
        rng = np.random.default_rng(5)
        x = rng.standard_normal((n, 64, 7, 7)).astype(dtype)
        b = rng.standard_normal(32).astype(dtype)
        ref = ref_conv_grads(xc, w, x, (2, 2), (1, 1), (1, 1), 1)[0]
        for bias in (b, None):
            out = np.empty_like(xc)
            _C.conv_transpose2d_forward(x, w, bias, out, 2, 2, 1, 1, 1, 1, 1)
            want_y = ref + (0 if bias is None else b.reshape(1, -1, 1, 1))
            tl = {"rtol": 1e-4, "atol": 1e-4} if dtype == np.float32 else {"rtol": 1e-7}
            tl["atol"] = tl.get("atol", 0) + winograd_scale(want, dtype) * np.abs(want_y).max()
            np.testing.assert_allclose(out, want_y, **tl)


def test_conv_transpose2d_forward_bad_arguments():
    x = np.zeros((32, 64, 7, 7), np.float32)
    w = np.zeros((64, 32, 4, 4), np.float32)
    out = np.empty((32, 32, 14, 14), np.float32)
    with pytest.raises(ValueError, match=r"\[conv_transpose2d\] bias"):
        _C.conv_transpose2d_forward(x, w, np.zeros(64, np.float32), out, 2, 2, 1, 1, 1, 1, 1)
    with pytest.raises(ValueError, match=r"\[conv_transpose2d\] input"):
        _C.conv_transpose2d_forward(x[:, :60], w, None, out, 2, 2, 1, 1, 1, 1, 1)
    with pytest.raises(TypeError, match=r"\[conv_transpose2d\]"):
        _C.conv_transpose2d_forward(x.astype(np.float64), w, None, out, 2, 2, 1, 1, 1, 1, 1)
    big = np.zeros(32 * 64 * 14 * 14, np.float32)
    with pytest.raises(ValueError, match=r"\[conv_transpose2d\].*overlap"):
        _C.conv_transpose2d_forward(big[:32 * 64 * 49].reshape(32, 64, 7, 7), w, None,
                                    big[:32 * 32 * 196].reshape(32, 32, 14, 14),
                                    2, 2, 1, 1, 1, 1, 1)


# Winograd F(4x4, 2x2) on the polyphase components (conv_batch_lanes_winograd.h): 4x4 stride-2
# kernels whose 4x4 tiles are at least 70 % inside the output (forward) or the input plane
# (input gradient: four phase planes of tiles). (N, C, H, W, OC, padding, (forward, input
# gradient) algorithms): DCGAN's 32->64 on 14x14, an 8x8 output (whole tiles; its 16x16 input
# plane takes 3x3 tiles per phase, 44 % used, so its input gradient stays direct), odd planes
# with unequal paddings (the phase planes' last row or column outside the input), padding 0 and
# 3, channel counts off the tiles, a partial lane panel, and a 3x3 output from 7x7 (forward
# direct, input gradient on F(4x4, 2x2)).
W, L = "batch_lanes_winograd", "batch_lanes"
WINOGRAD_CASES = [
    (32, 32, 14, 14, 64, (1, 1), (W, W)),
    (24, 9, 16, 16, 17, (1, 1), (W, L)),
    (32, 8, 15, 13, 10, (1, 2), (W, W)),
    (32, 8, 15, 17, 10, (1, 0), (W, L)),
    (24, 12, 18, 10, 8, (3, 0), (W, L)),
    (56, 10, 12, 12, 9, (2, 2), (W, L)),
    (24, 16, 7, 7, 8, (1, 1), (L, W)),
]


@pytest.mark.parametrize("case", WINOGRAD_CASES)
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_batch_lanes_winograd_matches_reference(case, dtype, isa):
    n, c, h, w_, oc, p, want = case
    x, w, b = make(n, c, h, w_, oc, 4, 4, dtype)
    assert algorithms(x, w, (2, 2), p, (1, 1))[:2] == want
    check_against_reference(x, w, b, (2, 2), p, (1, 1), *scales(x, w, (2, 2), p, (1, 1)))


# The weight gradient on F(2x2, 4x4) (conv2d_batch_lanes_winograd_backward_weight): channel
# counts that keep the weight-gradient tile useful on every ISA and dtype (so the pass is the
# same everywhere), dy's 4x4 tiles at least 70 % inside dy. (N, C, H, W, OC, padding): DCGAN's
# 32->64 on 14x14 (7x7 dy), an 8x8 dy (whole tiles), odd planes with unequal paddings, padding
# 3 and 1 on a 12x12 plane (8x6 dy), a partial input-channel panel (48 on AVX-512's 32 lanes),
# a partial output-channel panel (20), and an odd batch.
WEIGHT_CASES = [
    (32, 32, 14, 14, 64, (1, 1)),
    (32, 32, 16, 16, 8, (1, 1)),
    (24, 32, 15, 13, 16, (1, 2)),
    (24, 64, 12, 12, 16, (3, 1)),
    (32, 48, 14, 14, 8, (1, 1)),
    (25, 32, 14, 14, 20, (1, 1)),
]


@pytest.mark.parametrize("case", WEIGHT_CASES)
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_batch_lanes_winograd_weight_gradient_matches_reference(case, dtype, isa):
    n, c, h, w_, oc, p = case
    x, w, b = make(n, c, h, w_, oc, 4, 4, dtype)
    assert algorithms(x, w, (2, 2), p, (1, 1))[2] == "batch_lanes_winograd"
    check_against_reference(x, w, b, (2, 2), p, (1, 1), *scales(x, w, (2, 2), p, (1, 1)))


def test_batch_lanes_winograd_weight_gradient_error_and_transposed_conv(isa):
    """DCGAN's layer at its batch of 64: the float32 weight gradient within 1e-5 of its largest
    value of the float64 reference (2-3e-6 measured), and conv_transpose2d's weight gradient (the
    generator's 64->32 layer, 7x7 -> 14x14: the conv2d weight gradient with x and dy swapped)
    on the same kernel."""
    from test_conv import ref_conv_grads
    x, w, _ = make(64, 32, 14, 14, 64, 4, 4, np.float32)
    dy = np.random.default_rng(7).standard_normal((64, 64, 7, 7)).astype(np.float32)
    assert algorithms(x, w, (2, 2), (1, 1), (1, 1))[2] == "batch_lanes_winograd"
    gw = np.empty_like(w)
    _C.conv2d_backward(x, dy, w, None, gw, None, 2, 2, 1, 1, 1, 1, 1)
    ref = ref_conv_grads(x.astype(np.float64), w.astype(np.float64), dy.astype(np.float64),
                         (2, 2), (1, 1), (1, 1), 1)[1]
    assert np.abs(gw - ref).max() <= 1e-5 * np.abs(ref).max()
    xt = pe.tensor(dy, requires_grad=True)  # the transposed conv's input: (64, 64, 7, 7)
    wt = pe.tensor(w, requires_grad=True)   # (in 64, out 32, 4, 4)
    y = F.conv_transpose2d(xt, wt, stride=2, padding=1)
    assert y.shape == (64, 32, 14, 14)
    y.backward(pe.tensor(x))
    np.testing.assert_allclose(wt.grad.numpy(), gw, rtol=0, atol=0)


def test_batch_lanes_winograd_bounds():
    """Only 4x4 stride-2 kernels without dilation, and not where the tiles would be mostly
    outside the output (a 5x5 output: 25 of the 64 computed)."""
    x, w, _ = make(32, 16, 10, 10, 16, 4, 4, np.float32)
    assert algorithms(x, w, (2, 2), (1, 1), (1, 1))[0] == "batch_lanes"  # 5x5 output
    x, w, _ = make(32, 16, 14, 14, 16, 4, 4, np.float32)
    assert algorithms(x, w, (2, 2), (1, 1), (1, 1))[0] == "batch_lanes_winograd"
    assert algorithms(x, w, (1, 1), (1, 1), (1, 1))[0] != "batch_lanes_winograd"
    assert algorithms(x, w, (2, 2), (1, 1), (2, 2))[0] != "batch_lanes_winograd"
    assert algorithms(x, w[..., :3], (2, 2), (1, 1), (1, 1))[0] != "batch_lanes_winograd"


@settings(max_examples=20, deadline=None)
@given(n=st.sampled_from([24, 32]), c=st.integers(8, 20), oc=st.integers(8, 20),
       h=st.integers(6, 20), w_=st.integers(6, 20), ph=st.integers(0, 3), pw=st.integers(0, 3),
       double=st.booleans())
def test_batch_lanes_winograd_hypothesis_shapes(n, c, oc, h, w_, ph, pw, double):
    x, w, b = make(n, c, h, w_, oc, 4, 4, np.float64 if double else np.float32)
    assume("batch_lanes_winograd" in algorithms(x, w, (2, 2), (ph, pw), (1, 1)))
    check_against_reference(x, w, b, (2, 2), (ph, pw), (1, 1),
                            *scales(x, w, (2, 2), (ph, pw), (1, 1)))


def test_batch_lanes_winograd_gradcheck():
    """Through autograd (float64, 24 images): Conv2d(8, 8, 4, stride 2, padding 1) on 8x8 (its
    forward on F(4x4, 2x2); the weight and bias checked, whose finite differences run that
    forward, while x's 12,288 would take seconds) and ConvTranspose2d(8, 8, 4, stride 2,
    padding 1, output_padding 1) from 3x3 to 7x7 (its forward, bias included, the F(4x4, 2x2)
    input gradient; every input checked)."""
    rng = np.random.default_rng(6)
    x = pe.tensor(rng.standard_normal((24, 8, 8, 8)))
    w, b = _t(rng.standard_normal((8, 8, 4, 4))), _t(rng.standard_normal(8))
    assert algorithms(x.detach().numpy(), w.detach().numpy(), (2, 2), (1, 1), (1, 1))[0] == \
        "batch_lanes_winograd"
    assert gradcheck(lambda x_, w_, b_: F.conv2d(x_, w_, b_, stride=2, padding=1), [x, w, b])
    xt = _t(rng.standard_normal((24, 8, 3, 3)))
    assert algorithms(np.zeros((24, 8, 7, 7)), w.detach().numpy(), (2, 2), (1, 1), (1, 1))[1] == \
        "batch_lanes_winograd"
    assert gradcheck(lambda x_, w_, b_: F.conv_transpose2d(x_, w_, b_, stride=2, padding=1,
                                                           output_padding=1), [xt, w, b])
