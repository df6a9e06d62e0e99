"""F.conv3d / conv3d_ndhwc / 3-D pooling (composed from the 2-D kernels), nn.Conv3d,
nn.MaxPool3d / AvgPool3d and keras Conv3D / pooling 3D, against NumPy float64 references
written from the definitions, gradcheck, and torch when installed."""
import numpy as np
import pytest

import pyengine as pe
from pyengine import keras, nn
from pyengine.nn import functional as F
from pyengine.testing import gradcheck

try:
    import torch
except ImportError:  # CI has no torch
    torch = None

rng = np.random.default_rng(0)


def t64(a, grad=True):
    return pe.tensor(np.asarray(a, np.float64), requires_grad=grad)


def ref_conv3d(x, w, b, stride, pads, dil, groups):
    """x (N, C, D, H, W), w (O, C/g, kD, kH, kW), pads ((b, a),) * 3 -> float64."""
    x = np.pad(x, ((0, 0), (0, 0)) + tuple(pads))
    n, c = x.shape[:2]
    o, cg, *k = w.shape
    sizes = [(x.shape[2 + i] - dil[i] * (k[i] - 1) - 1) // stride[i] + 1 for i in range(3)]
    y = np.zeros((n, o) + tuple(sizes))
    og = o // groups
    for oc in range(o):
        g = oc // og
        xs = x[:, g * cg:(g + 1) * cg]
        for kd in range(k[0]):
            for kh in range(k[1]):
                for kw in range(k[2]):
                    d0, h0, w0 = kd * dil[0], kh * dil[1], kw * dil[2]
                    win = xs[:, :, d0:d0 + stride[0] * sizes[0]:stride[0],
                             h0:h0 + stride[1] * sizes[1]:stride[1],
                             w0:w0 + stride[2] * sizes[2]:stride[2]]
                    y[:, oc] += np.einsum("ncdhw,c->ndhw", win, w[oc, :, kd, kh, kw])
        if b is not None:
            y[:, oc] += b[oc]
    return y


CASES = [  # x shape, w shape, stride, padding, dilation, groups
    ((2, 3, 4, 5, 6), (4, 3, 2, 3, 3), 1, 0, 1, 1),
    ((1, 4, 5, 5, 4), (6, 2, 3, 2, 3), (2, 1, 2), (1, 0, 1), 1, 2),
    ((2, 2, 6, 5, 5), (3, 2, 2, 2, 2), 1, 1, (2, 1, 2), 1),
    ((1, 1, 1, 3, 3), (2, 1, 1, 3, 3), 1, 0, 1, 1),
    ((1, 2, 4, 4, 5), (2, 2, 2, 3, 2), 1, "same", 1, 1),
]


@pytest.mark.filterwarnings("ignore:Using padding='same'")  # torch's note on even kernels
@pytest.mark.parametrize("xs,ws,stride,padding,dil,groups", CASES)
def test_conv3d_matches_reference_and_gradcheck(xs, ws, stride, padding, dil, groups):
    x, w, b = rng.normal(size=xs), rng.normal(size=ws), rng.normal(size=ws[0])
    st = (stride,) * 3 if isinstance(stride, int) else stride
    dl = (dil,) * 3 if isinstance(dil, int) else dil
    if padding == "same":
        pads = tuple(((dl[i] * (ws[2 + i] - 1)) // 2,
                      dl[i] * (ws[2 + i] - 1) - (dl[i] * (ws[2 + i] - 1)) // 2) for i in range(3))
    else:
        p = (padding,) * 3 if isinstance(padding, int) else padding
        pads = tuple((q, q) for q in p)
    y = F.conv3d(t64(x, False), t64(w, False), t64(b, False), stride, padding, dil, groups)
    np.testing.assert_allclose(y.numpy(), ref_conv3d(x, w, b, st, pads, dl, groups),
                               rtol=1e-10, atol=1e-10)
    small = [t64(x[:1]), t64(w), t64(b)]
    assert gradcheck(lambda a, k, c: F.conv3d(a, k, c, stride, padding, dil, groups), small)
    if torch is not None:
        ty = torch.nn.functional.conv3d(torch.tensor(x), torch.tensor(w), torch.tensor(b),
                                        st, padding, dl, groups)
        np.testing.assert_allclose(y.numpy(), ty.numpy(), rtol=1e-9, atol=1e-9)


def test_conv3d_float32_unbatched_and_no_bias():
    x = rng.normal(size=(3, 4, 5, 5)).astype(np.float32)
    w = rng.normal(size=(2, 3, 3, 3, 3)).astype(np.float32)
    y = F.conv3d(pe.tensor(x), pe.tensor(w))
    assert y.shape == (2, 2, 3, 3) and y.dtype == pe.float32
    want = ref_conv3d(x[None].astype(np.float64), w.astype(np.float64), None, (1,) * 3,
                      ((0, 0),) * 3, (1,) * 3, 1)[0]
    np.testing.assert_allclose(y.numpy(), want, rtol=1e-4, atol=1e-4)


@pytest.mark.parametrize("stride,padding,groups", [(1, "valid", 1), (2, "same", 1),
                                                   ((1, 2, 1), "same", 2)])
def test_conv3d_ndhwc_is_conv3d_in_keras_layout(stride, padding, groups):
    x = rng.normal(size=(2, 5, 4, 6, 4))
    w = rng.normal(size=(3, 2, 3, 4 // groups, 4))
    b = rng.normal(size=4)
    st = (stride,) * 3 if isinstance(stride, int) else stride
    if padding == "same":
        pads = []
        for n, k, s in zip(x.shape[1:4], w.shape[:3], st):
            total = max((-(-n // s) - 1) * s + k - n, 0)
            pads.append((total // 2, total - total // 2))
    else:
        pads = [(0, 0)] * 3
    want = ref_conv3d(x.transpose(0, 4, 1, 2, 3), w.transpose(4, 3, 0, 1, 2), b, st, pads,
                      (1, 1, 1), groups).transpose(0, 2, 3, 4, 1)
    y = F.conv3d_ndhwc(t64(x, False), t64(w, False), t64(b, False), stride, padding,
                       groups=groups)
    np.testing.assert_allclose(y.numpy(), want, rtol=1e-10, atol=1e-10)
    assert gradcheck(lambda a, k, c: F.conv3d_ndhwc(a, k, c, stride, padding, groups=groups),
                     [t64(x[:1, :3, :3, :4]), t64(w), t64(b)])


def ref_pool3d(x, k, s, p, kind, include_pad=True):
    """(N, C, D, H, W) max / mean over windows, float64, padding as -inf / excluded."""
    fill = -np.inf if kind == "max" else np.nan
    xp = np.pad(x, ((0, 0), (0, 0)) + tuple((q, q) for q in p), constant_values=fill)
    sizes = [(xp.shape[2 + i] - k[i]) // s[i] + 1 for i in range(3)]
    y = np.zeros(x.shape[:2] + tuple(sizes))
    for i, j, m in np.ndindex(*sizes):
        win = xp[:, :, i * s[0]:i * s[0] + k[0], j * s[1]:j * s[1] + k[1],
                 m * s[2]:m * s[2] + k[2]].reshape(x.shape[0], x.shape[1], -1)
        if kind == "max":
            y[:, :, i, j, m] = win.max(-1)
        elif include_pad:
            y[:, :, i, j, m] = np.nansum(win, -1) / win.shape[-1]
        else:
            y[:, :, i, j, m] = np.nanmean(win, -1)
    return y


@pytest.mark.parametrize("k,s,p", [((2, 2, 2), (2, 2, 2), (0, 0, 0)),
                                   ((3, 2, 3), (2, 1, 2), (1, 1, 1)),
                                   ((1, 3, 2), (1, 2, 1), (0, 1, 0))])
@pytest.mark.parametrize("kind,include", [("max", True), ("avg", True), ("avg", False)])
def test_pool3d_matches_reference(k, s, p, kind, include):
    x = rng.normal(size=(2, 3, 5, 6, 5))
    if kind == "max":
        y = F.max_pool3d(t64(x, False), k, s, p)
        m = nn.MaxPool3d(k, s, p)
    else:
        y = F.avg_pool3d(t64(x, False), k, s, p, count_include_pad=include)
        m = nn.AvgPool3d(k, s, p, count_include_pad=include)
    want = ref_pool3d(x, k, s, p, kind, include)
    np.testing.assert_allclose(y.numpy(), want, rtol=1e-12, atol=1e-12)
    np.testing.assert_allclose(m(t64(x, False)).numpy(), want, rtol=1e-12, atol=1e-12)
    assert gradcheck(m, [t64(x[:1, :1])])
    if torch is not None:
        tm = (torch.nn.MaxPool3d(k, s, p) if kind == "max" else
              torch.nn.AvgPool3d(k, s, p, count_include_pad=include))
        np.testing.assert_allclose(y.numpy(), tm(torch.tensor(x)).numpy(), rtol=1e-10,
                                   atol=1e-12)


@pytest.mark.parametrize("kind", ["max", "avg"])
def test_keras_pooling3d_same_excludes_padding(kind):
    x = rng.normal(size=(2, 3, 5, 4, 2))
    cls = keras.layers.MaxPooling3D if kind == "max" else keras.layers.AveragePooling3D
    y = cls(pool_size=2, padding="same")(x.astype(np.float32)).numpy()
    xc = x.transpose(0, 4, 1, 2, 3)  # 'same' with stride 2: one pad after on odd sizes
    xp = np.pad(xc, ((0, 0), (0, 0), (0, 1), (0, 1), (0, 0)),
                constant_values=-np.inf if kind == "max" else np.nan)
    want = ref_pool3d(xp, (2, 2, 2), (2, 2, 2), (0, 0, 0), kind, include_pad=False)
    np.testing.assert_allclose(y, want.transpose(0, 2, 3, 4, 1), rtol=1e-5, atol=1e-6)
    g = keras.layers.GlobalAveragePooling3D()(x.astype(np.float32)).numpy()
    np.testing.assert_allclose(g, x.mean((1, 2, 3)), rtol=1e-5, atol=1e-6)
    g = keras.layers.GlobalMaxPooling3D(keepdims=True)(x.astype(np.float32)).numpy()
    np.testing.assert_allclose(g, x.max((1, 2, 3), keepdims=True), rtol=1e-6)


def test_nn_conv3d_module_and_torch_state_dict():
    m = nn.Conv3d(2, 4, (2, 3, 3), stride=(1, 2, 2), padding=1, dtype=pe.float64)
    assert m.weight.shape == (4, 2, 2, 3, 3) and m.bias.shape == (4,)
    x = rng.normal(size=(2, 2, 4, 7, 7))
    y = m(t64(x, False)).detach().numpy()
    want = ref_conv3d(x, m.weight.detach().numpy(), m.bias.detach().numpy(), (1, 2, 2),
                      ((1, 1),) * 3, (1, 1, 1), 1)
    np.testing.assert_allclose(y, want, rtol=1e-10, atol=1e-10)
    if torch is not None:
        tm = torch.nn.Conv3d(2, 4, (2, 3, 3), stride=(1, 2, 2), padding=1).double()
        m.load_state_dict({k: v.numpy() for k, v in tm.state_dict().items()})
        np.testing.assert_allclose(m(t64(x, False)).detach().numpy(),
                                   tm(torch.tensor(x)).detach().numpy(), rtol=1e-9, atol=1e-9)


def test_keras_conv3d_model_trains():
    # its own generators: the module's rng state depends on which tests ran before
    x = np.random.default_rng(7).normal(size=(16, 4, 6, 6, 1)).astype(np.float32)
    pe.manual_seed(0)
    y = (x.mean((1, 2, 3, 4)) > 0).astype(np.float32)[:, None]
    model = keras.Sequential([
        keras.Input((4, 6, 6, 1)),
        keras.layers.Conv3D(4, 3, padding="same", activation="relu"),
        keras.layers.MaxPooling3D(2),
        keras.layers.Conv3D(4, (1, 2, 2), strides=(1, 1, 1), activation="relu"),
        keras.layers.GlobalAveragePooling3D(),
        keras.layers.Dense(1, activation="sigmoid")])
    assert model.layers[0].kernel.shape == (3, 3, 3, 1, 4)
    model.compile(optimizer=keras.optimizers.Adam(0.02), loss="binary_crossentropy")
    hist = model.fit(x, y, epochs=25, batch_size=16, verbose=0)
    assert hist.history["loss"][-1] < 0.7 * hist.history["loss"][0]


def test_errors_name_the_op_and_value():
    with pytest.raises(ValueError, match=r"\[conv3d\] input must be 5-D"):
        F.conv3d(pe.randn(2, 3, 4), pe.randn(1, 3, 1, 1, 1))
    with pytest.raises(ValueError, match=r"\[conv3d\] input has 3 channels"):
        F.conv3d(pe.randn(1, 3, 4, 4, 4), pe.randn(2, 2, 1, 1, 1))
    with pytest.raises(ValueError, match=r"\[conv3d\] padding='same' is not supported for str"):
        F.conv3d(pe.randn(1, 1, 4, 4, 4), pe.randn(1, 1, 1, 1, 1), stride=2, padding="same")
    with pytest.raises(ValueError, match=r"\[conv3d\] kernel .* larger"):
        F.conv3d(pe.randn(1, 1, 2, 4, 4), pe.randn(1, 1, 3, 1, 1))
    with pytest.raises(ValueError, match=r"\[conv3d\] stride must be a positive"):
        F.conv3d(pe.randn(1, 1, 4, 4, 4), pe.randn(1, 1, 1, 1, 1), stride=0)
    with pytest.raises(ValueError, match=r"\[max_pool3d\] padding should be at most half"):
        F.max_pool3d(pe.randn(1, 1, 4, 4, 4), 2, padding=2)
    with pytest.raises(ValueError, match=r"MaxPool3d\] ceil_mode=True is not supported"):
        nn.MaxPool3d(2, ceil_mode=True)
    with pytest.raises(ValueError, match=r"\[Conv3D\] kernel_size must be"):
        keras.layers.Conv3D(2, (3, 3))
    with pytest.raises(ValueError, match=r"\[Conv3D\] data_format must be"):
        keras.layers.Conv3D(2, 3, data_format="NCDHW")  # channels_first exists since session 12
    with pytest.raises(ValueError, match=r"expects \(batch, depth, height, width, channels\)"):
        keras.layers.Conv3D(2, 3)(np.zeros((1, 4, 4, 1), np.float32))


@pytest.mark.parametrize("nthreads", [1, 2])
def test_every_isa_path_and_thread_count_agree(isa, threads, nthreads):
    """float32 forward and gradients of both layouts and of pooling, on each ISA path and
    thread count, against the float64 reference (the 2-D kernels underneath are per ISA)."""
    threads(nthreads)
    x = rng.normal(size=(2, 3, 4, 6, 5)).astype(np.float32)
    w = rng.normal(size=(4, 3, 2, 3, 3)).astype(np.float32)
    xt, wt = pe.tensor(x, requires_grad=True), pe.tensor(w, requires_grad=True)
    y = F.conv3d(xt, wt, stride=(1, 2, 1), padding=1)
    want = ref_conv3d(x.astype(np.float64), w.astype(np.float64), None, (1, 2, 1),
                      ((1, 1),) * 3, (1, 1, 1), 1)
    np.testing.assert_allclose(y.detach().numpy(), want, rtol=1e-4, atol=1e-4)
    y.sum().backward()
    ones = np.ones_like(want)  # d(sum y)/dw[o, c, kd, kh, kw] = sum of the window it reads
    xp = np.pad(x.astype(np.float64), ((0, 0), (0, 0), (1, 1), (1, 1), (1, 1)))
    gw = np.zeros(w.shape)
    for kd, kh, kw in np.ndindex(*w.shape[2:]):
        win = xp[:, :, kd:kd + want.shape[2], kh:kh + 2 * want.shape[3]:2, kw:kw + want.shape[4]]
        gw[:, :, kd, kh, kw] = np.einsum("nodhw,ncdhw->oc", ones, win)
    np.testing.assert_allclose(wt.grad.numpy(), gw, rtol=1e-4, atol=1e-3)
    xl = pe.tensor(x.transpose(0, 2, 3, 4, 1).copy())
    yl = F.conv3d_ndhwc(xl, pe.tensor(w.transpose(2, 3, 4, 1, 0).copy()), None, (1, 2, 1), 1)
    np.testing.assert_allclose(yl.numpy(), want.transpose(0, 2, 3, 4, 1), rtol=1e-4, atol=1e-4)
    np.testing.assert_allclose(F.max_pool3d(pe.tensor(x), 2).numpy(),
                               ref_pool3d(x.astype(np.float64), (2,) * 3, (2,) * 3, (0,) * 3,
                                          "max"), rtol=1e-6)


def test_keras_default_names():
    assert keras.layers.Conv3D(2, 3).name.startswith("conv3d")
    assert keras.layers.GlobalAveragePooling3D().name.startswith("global_average_pooling3d")
    assert keras.layers.MaxPooling3D().name.startswith("max_pooling3d")
