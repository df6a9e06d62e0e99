"""Keras layers added for programs that failed with AttributeError: 3-D reshaping / dropout,
AlphaDropout, ThresholdedReLU, DepthwiseConv1D / SeparableConv1D, SpectralNormalization, the
colour preprocessing layers and Pipeline, each against a NumPy float64 reference, with a
get_config round trip and one model that fits and saves."""
import json

import numpy as np
import pytest

import pyengine as pe
from pyengine import keras

RNG = np.random.default_rng(1)


def _v(t):
    return np.asarray(t._data if isinstance(t, pe.Tensor) else t, np.float64)


def _save_load(model, tmp_path, x):
    path = tmp_path / "m.keras"
    model.save(path)
    loaded = keras.models.load_model(path)
    np.testing.assert_array_equal(model.predict(x, verbose=0), loaded.predict(x, verbose=0))
    return loaded


# ---- layers ----------------------------------------------------------------------------------
L = keras.layers


def _roundtrip(layer, x):
    """get_config -> from_config gives a layer with the same config and, with the weights
    copied, the same output."""
    cfg = json.loads(json.dumps(layer.get_config()))
    again = type(layer).from_config(cfg)
    again(x)
    again.set_weights(layer.get_weights())
    np.testing.assert_array_equal(_v(again(x)), _v(layer(x)))
    return again


def test_volume_layers_against_numpy():
    x = RNG.normal(size=(2, 3, 4, 5, 2)).astype(np.float32)
    up = L.UpSampling3D((1, 2, 3))
    want = x.repeat(2, axis=2).repeat(3, axis=3)
    np.testing.assert_array_equal(_v(up(x)), want)
    pad = L.ZeroPadding3D(((1, 0), (0, 2), (1, 1)))
    np.testing.assert_array_equal(_v(pad(x)), np.pad(x, ((0, 0), (1, 0), (0, 2), (1, 1), (0, 0))))
    np.testing.assert_array_equal(_v(L.ZeroPadding3D(2)(x)),
                                  np.pad(x, ((0, 0), (2, 2), (2, 2), (2, 2), (0, 0))))
    crop = L.Cropping3D(((1, 0), (0, 1), (1, 2)))
    np.testing.assert_array_equal(_v(crop(x)), x[:, 1:, :3, 1:3])
    for layer in (up, pad, crop):
        _roundtrip(layer, x)
    first = L.UpSampling3D(2, data_format="channels_first")
    xf = np.moveaxis(x, -1, 1)
    np.testing.assert_array_equal(_v(first(xf)), np.moveaxis(x.repeat(2, 1).repeat(2, 2)
                                                              .repeat(2, 3), -1, 1))
    with pytest.raises(ValueError, match=r"\[Cropping3D\] cropping"):
        L.Cropping3D(((1, 0), (0, 1), 3))
    with pytest.raises(ValueError, match="removes the whole input"):
        L.Cropping3D(((2, 1), (0, 0), (0, 0)))(x)
    with pytest.raises(ValueError, match=r"expects \(batch, dim1, dim2, dim3, channels\)"):
        L.UpSampling3D()(x[0])
    y = pe.tensor(x, requires_grad=True)
    crop(up(y)).sum().backward()
    assert y.grad.shape == x.shape


def test_dropout_layers():
    pe.manual_seed(0)
    x = np.ones((4, 2, 3, 2, 6), np.float32)
    sd = L.SpatialDropout3D(0.5, seed=1)
    np.testing.assert_array_equal(_v(sd(x)), x)
    out = _v(sd(x, training=True))
    per_channel = out.reshape(4, -1, 6)
    assert set(np.unique(out)) <= {0.0, 2.0}
    assert (per_channel == per_channel[:, :1]).all()  # one draw per sample and channel
    ad = L.AlphaDropout(0.2, seed=3)
    z = RNG.normal(size=(200, 50)).astype(np.float32)
    np.testing.assert_array_equal(_v(ad(z)), z)
    rate, alpha_p = 0.2, -1.6732632423543772 * 1.0507009873554805
    a = ((1 - rate) * (1 + rate * alpha_p ** 2)) ** -0.5
    b = -a * alpha_p * rate
    got = _v(ad(z, training=True))
    kept = np.isclose(got, a * z + b, atol=1e-5)
    dropped = np.isclose(got, a * alpha_p + b, atol=1e-5)
    assert (kept | dropped).all() and abs(dropped.mean() - rate) < 0.02
    assert abs(got.mean()) < 0.05 and abs(got.std() - 1) < 0.05  # SELU's fixed point kept
    shared = _v(L.AlphaDropout(0.5, noise_shape=(None, 1), seed=2)(z, training=True))
    a5 = (0.5 * (1 + 0.5 * alpha_p ** 2)) ** -0.5
    b5 = -a5 * alpha_p * 0.5
    rows_dropped = np.isclose(shared, a5 * alpha_p + b5, atol=1e-5).all(1)
    rows_kept = np.isclose(shared, a5 * z + b5, atol=1e-5).all(1)
    assert (rows_dropped | rows_kept).all() and rows_dropped.any() and rows_kept.any()
    _roundtrip(ad, z)
    with pytest.raises(ValueError, match=r"\[AlphaDropout\] rate"):
        L.AlphaDropout(1.0)


def test_thresholded_relu():
    x = RNG.normal(size=(3, 4)).astype(np.float32) * 2
    layer = L.ThresholdedReLU(theta=0.5)
    np.testing.assert_array_equal(_v(layer(x)), np.where(x > 0.5, x, 0))
    np.testing.assert_array_equal(_v(L.ThresholdedReLU()(x)), np.where(x > 1.0, x, 0))
    assert _roundtrip(layer, x).theta == 0.5
    with pytest.raises(ValueError, match=r"\[ThresholdedReLU\] theta"):
        L.ThresholdedReLU(-1)


def np_depthwise1d(x, k, stride=1, dilation=1, padding="valid"):
    n, t, c = x.shape
    ks, _, m = k.shape
    span = dilation * (ks - 1) + 1
    if padding == "same":
        out = -(-t // stride)
        total = max((out - 1) * stride + span - t, 0)
        x = np.pad(x, ((0, 0), (total // 2, total - total // 2), (0, 0)))
    steps = (x.shape[1] - span) // stride + 1
    y = np.zeros((n, steps, c * m))
    for s in range(steps):
        for j in range(ks):
            xs = x[:, s * stride + j * dilation, :]  # (n, c)
            y[:, s, :] += (xs[:, :, None] * k[j][None]).reshape(n, c * m)
    return y


@pytest.mark.parametrize("stride,dilation,padding", [(1, 1, "valid"), (2, 1, "same"),
                                                     (1, 2, "same")])
def test_depthwise_and_separable_conv1d(stride, dilation, padding):
    x = RNG.normal(size=(2, 9, 3)).astype(np.float32)
    dw = L.DepthwiseConv1D(3, strides=stride, dilation_rate=dilation, padding=padding,
                           depth_multiplier=2, bias_initializer="ones")
    out = _v(dw(x))
    k = _v(dw.depthwise_kernel)
    assert k.shape == (3, 3, 2)
    np.testing.assert_allclose(out, np_depthwise1d(x, k, stride, dilation, padding) + 1,
                               rtol=1e-5, atol=1e-5)
    sep = L.SeparableConv1D(4, 3, strides=stride, dilation_rate=dilation, padding=padding,
                            depth_multiplier=2, activation="relu")
    out = _v(sep(x))
    dk, pk, bias = (_v(w) for w in (sep.depthwise_kernel, sep.pointwise_kernel, sep.bias))
    assert pk.shape == (1, 6, 4)
    want = np.maximum(np_depthwise1d(x, dk, stride, dilation, padding) @ pk[0] + bias, 0)
    np.testing.assert_allclose(out, want, rtol=1e-5, atol=1e-5)
    _roundtrip(dw, x), _roundtrip(sep, x)
    with pytest.raises(ValueError, match=r"\[DepthwiseConv1D\] padding"):
        L.DepthwiseConv1D(3, padding="causal")


def test_spectral_normalization():
    pe.manual_seed(4)
    x = RNG.normal(size=(5, 4)).astype(np.float32)
    sn = L.SpectralNormalization(L.Dense(3), power_iterations=2)
    np.testing.assert_array_equal(_v(sn(x)), _v(sn.layer(x)))  # inference: kernel unchanged
    k, u = _v(sn.layer.kernel), _v(sn.vector_u)
    for _ in range(2):
        v = u @ k.T
        v /= np.linalg.norm(v)
        u = v @ k
        u /= np.linalg.norm(u)
    sigma = (v @ k @ u.T).item()
    out = _v(sn(x, training=True))
    np.testing.assert_allclose(_v(sn.layer.kernel), k / sigma, rtol=1e-5)
    np.testing.assert_allclose(_v(sn.vector_u), u, rtol=1e-5)
    np.testing.assert_allclose(out, x @ (k / sigma) + _v(sn.layer.bias), rtol=1e-5, atol=1e-6)
    for _ in range(30):
        sn(x, training=True)
    assert abs(np.linalg.svd(_v(sn.layer.kernel), compute_uv=False)[0] - 1) < 1e-3
    assert _roundtrip(sn, x).power_iterations == 2
    with pytest.raises(ValueError, match=r"\[SpectralNormalization\] power_iterations"):
        L.SpectralNormalization(L.Dense(2), power_iterations=0)
    with pytest.raises(ValueError, match="no attribute 'kernel' nor 'embeddings'"):
        L.SpectralNormalization(L.Flatten())(x)


# colour layers: NumPy references (float64) of Keras 3's HSV conversion, written with colorsys
def np_hsv_shift(img, shift=0.0, sat_scale=1.0):
    import colorsys
    out = np.empty_like(img, dtype=np.float64)
    for idx in np.ndindex(img.shape[:-1]):
        h, s, v = colorsys.rgb_to_hsv(*img[idx])
        h = (h + shift) % 1.0
        s = min(max(s * sat_scale, 0.0), 1.0)
        out[idx] = colorsys.hsv_to_rgb(h, s, v)
    return out


def test_color_layers_against_numpy():
    img = RNG.uniform(0, 1, (2, 4, 5, 3)).astype(np.float32)
    # grayscale with probability 1
    gray = _v(L.RandomGrayscale(1.0, seed=0)(img))
    want = img.astype(np.float64) @ [0.2989, 0.5870, 0.1140]
    np.testing.assert_allclose(gray, np.repeat(want[..., None], 3, -1), rtol=1e-5)
    np.testing.assert_array_equal(_v(L.RandomGrayscale(0.0)(img)), img)
    # saturation factor fixed at f: saturation times f / (1 - f)
    sat = _v(L.RandomSaturation((0.7, 0.7), value_range=(0, 1))(img))
    np.testing.assert_allclose(sat, np_hsv_shift(img.astype(np.float64),
                                                 sat_scale=0.7 / (0.3 + 1e-7)), atol=1e-5)
    # hue factor fixed at f: shifted by +f/2 or -f/2 per image
    hue = _v(L.RandomHue((0.4, 0.4), value_range=(0, 255))(img * 255)) / 255
    for i in range(2):
        options = [np_hsv_shift(img[i].astype(np.float64), s) for s in (0.2, -0.2)]
        assert min(np.abs(hue[i] - o).max() for o in options) < 1e-4
    # inference: unchanged
    layer = L.RandomHue(0.4)
    m = keras.Sequential([keras.Input((4, 5, 3)), layer])
    np.testing.assert_array_equal(m.predict(img, verbose=0), img)


def test_solarization_autocontrast_equalization():
    img = RNG.uniform(0, 255, (2, 6, 5, 3)).astype(np.float32)
    sol = _v(L.Solarization(addition_factor=(0.1, 0.1), threshold_factor=(0.5, 0.5))(img))
    y = np.clip(img.astype(np.float64) + 25.5, 0, 255)
    np.testing.assert_allclose(sol, np.where(y < 127.5, y, 255 - y), rtol=1e-6, atol=1e-4)
    ac = _v(L.AutoContrast()(img))
    lo, hi = img.min((1, 2), keepdims=True), img.max((1, 2), keepdims=True)
    np.testing.assert_allclose(ac, (img - lo) * 255.0 / (hi - lo), rtol=1e-5, atol=1e-3)
    flat = np.full((1, 3, 3, 3), 7.0, np.float32)
    np.testing.assert_array_equal(_v(L.AutoContrast()(flat)), flat)
    # equalization: each channel's values mapped through its (batch-wide) normalised CDF
    q = np.round(RNG.uniform(0, 255, (2, 6, 5, 3))).astype(np.float32)
    eq = _v(L.Equalization()(q))
    for c in range(3):
        vals = q[..., c].astype(np.int64)
        hist = np.bincount(vals.ravel(), minlength=256)
        cdf = hist.cumsum()
        cmin = cdf[hist.nonzero()[0][0]]
        table = np.clip(np.round((cdf - cmin) * 255.0 / (cdf[-1] - cmin)), 0, 255)
        np.testing.assert_allclose(eq[..., c], table[vals], atol=1e-4)
    with pytest.raises(ValueError, match=r"\[Solarization\] addition_factor"):
        L.Solarization(addition_factor=2)
    with pytest.raises(ValueError, match=r"\[Equalization\] bins"):
        L.Equalization(bins=1)
    with pytest.raises(ValueError, match=r"\[RandomHue\] expects RGB"):
        L.RandomHue(0.2)(img[..., :2])


def test_color_jitter_and_pipeline():
    img = RNG.uniform(0, 255, (2, 4, 4, 3)).astype(np.float32)
    jitter = L.RandomColorJitter(brightness_factor=(0.1, 0.1), saturation_factor=(0.5, 0.5))
    got = _v(jitter(img))
    bright = np.clip(img + 25.5, 0, 255) / 255.0
    np.testing.assert_allclose(got / 255.0, np_hsv_shift(bright, sat_scale=0.5 / (0.5 + 1e-7)),
                               atol=1e-4)
    pipe = L.Pipeline([L.AutoContrast(), L.Solarization(threshold_factor=(1.0, 1.0))])
    ac = _v(L.AutoContrast()(img))  # threshold 255: only the stretched maxima (255) invert
    np.testing.assert_allclose(_v(pipe(img)), np.where(ac < 255, ac, 0.0), atol=1e-6)
    again = _roundtrip(pipe, img)
    assert [type(a).__name__ for a in again.layers] == ["AutoContrast", "Solarization"]
    with pytest.raises(ValueError, match=r"\[Pipeline\] layers"):
        L.Pipeline([3])


def test_layers_model_compiles_fits_saves(tmp_path):
    pe.manual_seed(6)
    vol = RNG.normal(size=(16, 2, 3, 3, 2)).astype(np.float32)
    seq = RNG.normal(size=(16, 8, 3)).astype(np.float32)
    y = (vol.mean((1, 2, 3, 4)) + seq.mean((1, 2)))[:, None].astype(np.float32)
    a = keras.Input((2, 3, 3, 2))
    h1 = L.Cropping3D(((0, 0), (1, 0), (0, 1)))(L.ZeroPadding3D(1)(L.UpSampling3D(2)(a)))
    h1 = L.Flatten()(L.SpatialDropout3D(0.1)(h1))
    b = keras.Input((8, 3))
    h2 = L.SeparableConv1D(4, 3, padding="same", activation="relu")(
        L.DepthwiseConv1D(3, depth_multiplier=2)(b))
    h2 = L.AlphaDropout(0.1)(L.ThresholdedReLU(0.1)(L.Flatten()(h2)))
    out = L.SpectralNormalization(L.Dense(1))(L.Concatenate()([h1, h2]))
    model = keras.Model([a, b], out)
    model.compile(optimizer=keras.optimizers.Adam(0.01), loss="mse")
    hist = model.fit([vol, seq], y, epochs=6, batch_size=8, verbose=0).history["loss"]
    assert hist[-1] < hist[0]
    _save_load(model, tmp_path, [vol, seq])
