"""Keras image layers (issue 15): Conv2DTranspose, DepthwiseConv2D, SeparableConv2D,
UpSampling2D, ZeroPadding2D, Cropping2D, noise layers, parameterised activations, preprocessing
and augmentation. References are written here in NumPy float64 (or as the adjoint of Conv2D,
which is how TF defines the transposed convolution)."""
import math

import numpy as np
import pytest

import pyengine as pe
import pyengine.nn.functional as F
from pyengine import keras
from pyengine.keras import layers as L

RNG = np.random.default_rng(0)


def images(n=2, h=7, w=7, c=4):
    return RNG.standard_normal((n, h, w, c)).astype(np.float32)


# ---- Conv2DTranspose -------------------------------------------------------------------------
@pytest.mark.parametrize("k,s,padding,op,d", [(3, 2, "same", None, 1), (4, 2, "same", None, 1),
                                              (3, 2, "valid", None, 1), (4, 2, "valid", 1, 1),
                                              (3, 2, "same", 1, 1), (3, 1, "same", None, 2),
                                              (1, 3, "same", None, 1), (5, 3, "valid", 2, 1)])
def test_conv2d_transpose_is_the_adjoint_of_conv2d(k, s, padding, op, d):
    """TF defines conv2d_transpose as the gradient of conv2d: <T(x), z> == <x, conv2d(z)>."""
    layer = L.Conv2DTranspose(5, k, strides=s, padding=padding, output_padding=op,
                              dilation_rate=d, use_bias=False)
    x = images(2, 5, 6, 3)
    y = layer(x).numpy()
    z = RNG.standard_normal(y.shape).astype(np.float32)
    conv = F.conv2d_nhwc(pe.tensor(z), pe.tensor(layer.kernel.numpy()), None, (s, s),
                         padding, (d, d)).numpy()
    assert conv.shape == x.shape
    np.testing.assert_allclose(float((y.astype(np.float64) * z).sum()),
                               float((x.astype(np.float64) * conv).sum()), rtol=1e-4)


def test_conv2d_transpose_shapes_params_and_bias():
    layer = L.Conv2DTranspose(16, 3, strides=2, padding="same", bias_initializer="ones")
    y = layer(np.zeros((1, 7, 7, 8), np.float32))
    assert y.shape == (1, 14, 14, 16) and layer.count_params() == 3 * 3 * 16 * 8 + 16
    assert layer.kernel.shape == (3, 3, 16, 8)  # Keras layout (kh, kw, filters, in)
    assert np.all(y.numpy() == 1.0)
    assert L.Conv2DTranspose(4, 3)(np.zeros((1, 5, 5, 2))).shape == (1, 7, 7, 4)


def test_conv2d_transpose_bad_config():
    with pytest.raises(ValueError, match=r"\[Conv2DTranspose\] output_padding must be smaller"):
        L.Conv2DTranspose(4, 3, strides=2, output_padding=2)
    with pytest.raises(ValueError, match=r"\[Conv2DTranspose\] filters"):
        L.Conv2DTranspose(0, 3)
    with pytest.raises(ValueError, match="channels_last"):
        L.Conv2DTranspose(4, 3, data_format="NHWC")  # channels_first exists since session 12
    with pytest.raises(ValueError, match="expects"):
        L.Conv2DTranspose(4, 3)(np.zeros((5, 5, 2), np.float32))


# ---- depthwise / separable -------------------------------------------------------------------
def ref_depthwise(x, k, stride=1):
    n, h, w, c = x.shape
    kh, kw, _, m = k.shape
    oh, ow = (h - kh) // stride + 1, (w - kw) // stride + 1
    y = np.zeros((n, oh, ow, c * m))
    for i in range(oh):
        for j in range(ow):
            patch = x[:, i * stride:i * stride + kh, j * stride:j * stride + kw, :]
            y[:, i, j, :] = np.einsum("nabc,abcm->ncm", patch, k).reshape(n, c * m)
    return y


def test_depthwise_conv2d_matches_reference():
    x = images(2, 8, 9, 3)
    layer = L.DepthwiseConv2D(3, strides=2, depth_multiplier=2, use_bias=False)
    y = layer(x).numpy()
    np.testing.assert_allclose(y, ref_depthwise(x.astype(np.float64),
                                                layer.depthwise_kernel.numpy(), 2),
                               rtol=1e-5, atol=1e-5)
    assert layer.depthwise_kernel.shape == (3, 3, 3, 2)


def test_separable_conv2d_matches_reference_and_counts_like_keras():
    x = images(2, 6, 6, 4)
    layer = L.SeparableConv2D(5, 3)
    y = layer(x).numpy()
    dw = ref_depthwise(x.astype(np.float64), layer.depthwise_kernel.numpy())
    ref = dw @ layer.pointwise_kernel.numpy()[0, 0] + layer.bias.numpy()
    np.testing.assert_allclose(y, ref, rtol=1e-5, atol=1e-5)
    assert layer.count_params() == 3 * 3 * 4 + 4 * 5 + 5


# ---- resampling, padding, cropping -----------------------------------------------------------
def test_upsampling2d_nearest_is_repeat_and_bilinear_is_half_pixel():
    x = images(2, 3, 4, 2)
    y = L.UpSampling2D((2, 3))(x).numpy()
    np.testing.assert_array_equal(y, x.repeat(2, axis=1).repeat(3, axis=2))
    yb = L.UpSampling2D(2, interpolation="bilinear")(x).numpy()
    # half-pixel bilinear along one axis: output 1 of 2 per input pixel = 0.75 x[0] + 0.25 x[1]
    np.testing.assert_allclose(yb[:, 1, 1, :], 0.75 * (0.75 * x[:, 0, 0] + 0.25 * x[:, 0, 1])
                               + 0.25 * (0.75 * x[:, 1, 0] + 0.25 * x[:, 1, 1]), rtol=1e-5)


def test_zero_padding_and_cropping():
    x = images(1, 4, 5, 2)
    y = L.ZeroPadding2D(((1, 2), (0, 3)))(x).numpy()
    np.testing.assert_array_equal(y, np.pad(x, ((0, 0), (1, 2), (0, 3), (0, 0))))
    np.testing.assert_array_equal(L.Cropping2D(((1, 0), (2, 1)))(x).numpy(), x[:, 1:, 2:4, :])
    with pytest.raises(ValueError, match="removes the whole input"):
        L.Cropping2D(2)(x)
    with pytest.raises(ValueError, match=r"\[ZeroPadding2D\] padding must be non-negative"):
        L.ZeroPadding2D(-1)


# ---- noise -----------------------------------------------------------------------------------
def test_noise_layers_are_identity_at_inference_and_seeded():
    x = np.ones((64, 4, 4, 8), np.float32)
    for layer in (L.GaussianNoise(0.5, seed=3), L.GaussianDropout(0.3, seed=3),
                  L.SpatialDropout2D(0.5, seed=3)):
        np.testing.assert_array_equal(layer(x).numpy(), x)
        a = layer(x, training=True).numpy()
        assert not np.array_equal(a, x)
    y = L.GaussianNoise(0.5, seed=1)(x, training=True).numpy()
    assert abs(y.std() - 0.5) < 0.02 and abs(y.mean() - 1.0) < 0.02
    y1 = L.GaussianNoise(0.5, seed=1)(x, training=True).numpy()
    np.testing.assert_array_equal(y, y1)
    sd = L.SpatialDropout2D(0.5, seed=0)(x, training=True).numpy()
    per_map = sd.reshape(64, 16, 8)
    assert np.all((per_map == per_map[:, :1, :]))  # whole feature maps kept or dropped
    assert set(np.unique(sd)) <= {0.0, 2.0}


# ---- activations -----------------------------------------------------------------------------
def test_parameterised_activations():
    x = np.array([[-2.0, -0.5, 0.0, 3.0]], np.float32)
    np.testing.assert_allclose(L.LeakyReLU()(x).numpy(), np.where(x > 0, x, 0.3 * x))
    np.testing.assert_allclose(L.LeakyReLU(alpha=0.1)(x).numpy(), np.where(x > 0, x, 0.1 * x))
    np.testing.assert_allclose(L.ELU(0.5)(x).numpy(), np.where(x > 0, x, 0.5 * np.expm1(x)),
                               rtol=1e-6)
    p = L.PReLU(alpha_initializer="ones", shared_axes=[1, 2])
    y = p(images(2, 3, 3, 4))
    assert p.alpha.shape == (1, 1, 4) and y.shape == (2, 3, 3, 4)
    np.testing.assert_allclose(L.PReLU(alpha_initializer=keras.initializers.Constant(0.25))(x)
                               .numpy(), np.where(x > 0, x, 0.25 * x))


# ---- preprocessing ---------------------------------------------------------------------------
def test_rescaling_resizing_centercrop():
    x = np.arange(2 * 6 * 8 * 1, dtype=np.float32).reshape(2, 6, 8, 1)
    np.testing.assert_allclose(L.Rescaling(1 / 255.0, offset=-1)(x).numpy(), x / 255.0 - 1,
                               rtol=1e-6)
    assert L.Resizing(3, 4)(x).shape == (2, 3, 4, 1)
    np.testing.assert_array_equal(L.Resizing(3, 4, interpolation="nearest")(x).numpy(),
                                  x[:, [1, 3, 5]][:, :, [1, 3, 5, 7]])  # half-pixel nearest
    assert L.Resizing(4, 4, crop_to_aspect_ratio=True)(x).shape == (2, 4, 4, 1)
    np.testing.assert_array_equal(L.CenterCrop(4, 4)(x).numpy(), x[:, 1:5, 2:6])
    assert L.CenterCrop(10, 10)(x).shape == (2, 10, 10, 1)
    assert L.Resizing(3, 4)(x[0]).shape == (3, 4, 1)  # unbatched
    with pytest.raises(ValueError, match=r"\[Resizing\] interpolation"):
        L.Resizing(3, 3, interpolation="lanczos5")


# ---- augmentation ----------------------------------------------------------------------------
AUGMENTERS = [lambda s: L.RandomFlip(seed=s), lambda s: L.RandomRotation(0.2, seed=s),
              lambda s: L.RandomTranslation(0.2, 0.1, seed=s), lambda s: L.RandomZoom(0.3, seed=s),
              lambda s: L.RandomContrast(0.5, seed=s), lambda s: L.RandomBrightness(0.3, seed=s),
              lambda s: L.RandomCrop(5, 5, seed=s)]


@pytest.mark.parametrize("make", AUGMENTERS)
def test_augmentation_inactive_at_inference_and_reproducible(make):
    x = (RNG.random((4, 8, 8, 3)) * 255).astype(np.float32)
    layer = make(7)
    if not isinstance(layer, L.RandomCrop):
        np.testing.assert_array_equal(layer(x).numpy(), x)
        np.testing.assert_array_equal(layer(x, training=False).numpy(), x)
    a = layer(x, training=True).numpy()
    b = make(7)(x, training=True).numpy()
    np.testing.assert_array_equal(a, b)  # seed= reproduces
    pe.manual_seed(11)
    c = make(None)(x, training=True).numpy()
    pe.manual_seed(11)
    d = make(None)(x, training=True).numpy()
    np.testing.assert_array_equal(c, d)  # pe.manual_seed reproduces


def test_random_flip_flips_exactly():
    x = images(32, 5, 6, 2)
    y = L.RandomFlip("horizontal", seed=0)(x, training=True).numpy()
    flipped = [np.array_equal(y[i], x[i, :, ::-1]) for i in range(32)]
    same = [np.array_equal(y[i], x[i]) for i in range(32)]
    assert all(f or s for f, s in zip(flipped, same)) and 4 < sum(flipped) < 28
    y = L.RandomFlip("vertical", seed=1)(x, training=True).numpy()
    assert all(np.array_equal(y[i], x[i, ::-1]) or np.array_equal(y[i], x[i]) for i in range(32))


def test_geometric_layers_at_zero_strength_are_identity():
    x = images(3, 6, 7, 2)
    for layer in (L.RandomRotation(0.0), L.RandomZoom(0.0), L.RandomTranslation(0.0, 0.0)):
        np.testing.assert_allclose(layer(x, training=True).numpy(), x, atol=1e-5)


def test_random_rotation_half_turn_and_translation_fill():
    x = images(2, 5, 5, 1)
    y = L.RandomRotation((0.5, 0.5), interpolation="nearest")(x, training=True).numpy()
    np.testing.assert_allclose(y, x[:, ::-1, ::-1], atol=1e-6)  # 180 degrees about the centre
    t = L.RandomTranslation((0.4, 0.4), (0.0, 0.0), fill_mode="constant", fill_value=9.0,
                            interpolation="nearest")(x, training=True).numpy()
    np.testing.assert_allclose(t[:, 2:], x[:, :3])  # shifted down by 0.4 * 5 = 2 rows
    assert np.all(t[:, :2] == 9.0)


def test_contrast_and_brightness_stay_in_value_range():
    x = (RNG.random((8, 6, 6, 3)) * 255).astype(np.float32)
    for layer in (L.RandomContrast(0.9, seed=0), L.RandomBrightness(0.9, seed=0)):
        y = layer(x, training=True).numpy()
        assert y.min() >= 0 and y.max() <= 255
    y = L.RandomContrast((0.0, 0.0))(x, training=True).numpy()
    np.testing.assert_allclose(y, x, rtol=1e-5, atol=1e-3)


@pytest.mark.parametrize("make,msg", [
    (lambda: L.RandomTranslation(1.5, 0.1), r"\[RandomTranslation\] height_factor must lie"),
    (lambda: L.RandomZoom((-1.5, 0.2)), r"\[RandomZoom\] height_factor must lie"),
    (lambda: L.RandomRotation((0.3, 0.1)), r"\[RandomRotation\] factor's lower bound"),
    (lambda: L.RandomContrast(-0.2), r"\[RandomContrast\] factor must lie"),
    (lambda: L.RandomContrast(1.5), r"\[RandomContrast\] factor's lower bound must be at most 1"),
    (lambda: L.RandomBrightness(2.0), r"\[RandomBrightness\] factor must lie"),
    (lambda: L.RandomRotation(0.1, fill_mode="mirror"), r"\[RandomRotation\] fill_mode"),
    (lambda: L.RandomFlip("diagonal"), r"\[RandomFlip\] mode"),
    (lambda: L.RandomCrop(0, 3), r"\[RandomCrop\] height"),
])
def test_augmentation_bad_config(make, msg):
    with pytest.raises(ValueError, match=msg):
        make()


def test_augmentation_rejects_non_images():
    with pytest.raises(ValueError, match=r"\[RandomRotation\] expected images"):
        L.RandomRotation(0.1)(np.zeros((4, 10), np.float32), training=True)


# ---- in models -------------------------------------------------------------------------------
def test_model_with_image_layers_trains_and_round_trips(tmp_path):
    pe.manual_seed(0)
    inputs = keras.Input(shape=(8, 8, 1))
    x = L.RandomFlip("horizontal", seed=1)(inputs)
    x = L.RandomRotation(0.05, seed=2)(x)
    x = L.Conv2D(4, 3, strides=2, padding="same", activation="relu")(x)
    x = L.LeakyReLU(0.2)(x)
    x = L.Conv2DTranspose(4, 3, strides=2, padding="same")(x)
    x = L.PReLU()(x)
    x = L.UpSampling2D()(x)
    x = L.SeparableConv2D(1, 3, strides=2, padding="same", activation="sigmoid")(x)
    model = keras.Model(inputs, x)
    data = (RNG.random((64, 8, 8, 1)) > 0.5).astype(np.float32)
    model.compile(optimizer="adam", loss="binary_crossentropy")
    hist = model.fit(data, data, epochs=8, batch_size=16, verbose=0)
    assert hist.history["loss"][-1] < hist.history["loss"][0]
    path = tmp_path / "m.keras"
    model.save(path)
    again = keras.models.load_model(path)
    np.testing.assert_array_equal(model.predict(data, verbose=0), again.predict(data, verbose=0))


def test_keras_relu_arguments():
    x = np.array([[-2.0, -0.5, 0.0, 0.7, 3.0, 7.0]], np.float32)
    np.testing.assert_allclose(L.ReLU(6.0)(x).numpy(), np.clip(x, 0, 6))
    np.testing.assert_allclose(L.ReLU(negative_slope=0.1)(x).numpy(), np.where(x > 0, x, 0.1 * x))
    ref = np.where(x >= 2.0, 2.0, np.where(x >= 0.5, x, 0.1 * (x - 0.5)))
    np.testing.assert_allclose(L.ReLU(max_value=2.0, negative_slope=0.1, threshold=0.5)(x).numpy(),
                               ref, rtol=1e-6)
    with pytest.raises(ValueError, match=r"\[ReLU\] max_value cannot be a negative value"):
        L.ReLU(-1.0)
