"""TensorFlow spellings added for keras-io's conditional GAN and super-resolution programs:
tf.repeat (pe.repeat), tf.image.resize / flip_left_right / flip_up_down / rgb_to_grayscale /
psnr (pe.image) and keras.ops.image.resize, against NumPy float64 and keras.layers.Resizing (the
same resize, whose own tests check it against a NumPy bilinear reference)."""
import numpy as np
import pytest

import pyengine as tf
from pyengine import keras
from pyengine.testing import gradcheck

RNG = np.random.default_rng(0)


@pytest.mark.parametrize("repeats, axis", [(2, None), ([3], None), ([3], 0), ([1, 0, 2], 1),
                                           (np.array([2, 1]), 0)])
def test_repeat_matches_numpy(repeats, axis):
    a = RNG.standard_normal((2, 3))
    np.testing.assert_array_equal(tf.repeat(a, repeats, axis=axis).numpy(),
                                  np.repeat(a, repeats, axis=axis))


def test_repeat_keras_io_label_maps_and_gradient():
    labels = np.eye(4, dtype=np.float32)[[1, 3]]
    maps = tf.reshape(tf.repeat(labels[:, :, None, None], repeats=[5 * 5]), (-1, 5, 5, 4))
    # what TensorFlow computes for keras-io's expression (flattened repeat, then reshape)
    np.testing.assert_array_equal(maps.numpy(), np.repeat(labels[:, :, None, None], 25)
                                  .reshape(-1, 5, 5, 4))
    x = tf.tensor(RNG.standard_normal((2, 3)), requires_grad=True)
    assert gradcheck(lambda t: tf.repeat(t, [2, 1, 3], axis=1), [x])
    with pytest.raises(ValueError, match=r"\[repeat\] repeats must be integers"):
        tf.repeat(x, 1.5)
    with pytest.raises(RuntimeError, match=r"\[repeat_interleave\] repeats must have 3"):
        tf.repeat(x, [1, 2], axis=1)


def test_resize_is_the_resizing_layers_computation():
    imgs = RNG.uniform(0, 255, (2, 7, 9, 3)).astype(np.float32)
    want = keras.layers.Resizing(14, 5)(imgs).numpy()
    np.testing.assert_array_equal(tf.image.resize(imgs, (14, 5)).numpy(), want)
    np.testing.assert_array_equal(keras.ops.image.resize(imgs, (14, 5)).numpy(), want)
    np.testing.assert_array_equal(tf.image.resize(imgs[0], (14, 5)).numpy(), want[0])
    u8 = imgs.astype(np.uint8)
    out = tf.image.resize(u8, (14, 5))
    assert out.dtype == tf.float32  # TensorFlow's bilinear result is float32
    np.testing.assert_allclose(out.numpy(), keras.layers.Resizing(14, 5)(
        u8.astype(np.float32)).numpy())
    near = tf.image.resize(u8, (14, 18), method="nearest")
    assert near.dtype == tf.uint8 and near.shape == (2, 14, 18, 3)
    np.testing.assert_array_equal(near.numpy(), keras.layers.Resizing(
        14, 18, interpolation="nearest")(u8.astype(np.float32)).numpy().astype(np.uint8))
    # 7x9 into at most 14x14 keeping the aspect ratio: scale 14/9 -> 11x14
    assert tf.image.resize(imgs, (14, 14), preserve_aspect_ratio=True).shape == (2, 11, 14, 3)
    crop = keras.ops.image.resize(imgs, (4, 4), crop_to_aspect_ratio=True)
    np.testing.assert_array_equal(crop.numpy(), keras.layers.Resizing(
        4, 4, crop_to_aspect_ratio=True)(imgs).numpy())


def test_resize_errors_and_gradient():
    x = tf.tensor(RNG.standard_normal((1, 3, 4, 2)), requires_grad=True)
    assert gradcheck(lambda t: keras.ops.image.resize(t, (5, 6)), [x])  # keeps float64
    assert tf.image.resize(x, (5, 6)).dtype == tf.float32  # TensorFlow's bilinear: float32
    with pytest.raises(NotImplementedError, match=r"\[tf.image.resize\] method='lanczos3'"):
        tf.image.resize(x, (5, 6), method="lanczos3")
    # antialias=True shrinks with the widened triangle filter (test_public_examples_hc.py)
    # (float32 out, so no float64 gradcheck): each output pixel's weights sum to 1
    fresh = x.detach().requires_grad_(True)
    tf.image.resize(fresh, (2, 2), antialias=True).sum().backward()
    assert fresh.grad.shape == x.shape and abs(float(fresh.grad.sum()) - 2 * 2 * 2) < 1e-5
    with pytest.raises(ValueError, match=r"\[tf.image.resize\] images must be"):
        tf.image.resize(np.zeros((3, 4)), (5, 6))
    with pytest.raises(ValueError, match=r"keras.ops.image.resize\] only data_format"):
        keras.ops.image.resize(x, (5, 6), data_format="channels_first")


def test_flips_grayscale_psnr_match_numpy():
    a = RNG.uniform(0, 1, (2, 4, 5, 3))
    np.testing.assert_array_equal(tf.image.flip_left_right(a).numpy(), a[:, :, ::-1])
    np.testing.assert_array_equal(tf.image.flip_up_down(a[0]).numpy(), a[0, ::-1])
    np.testing.assert_allclose(tf.image.rgb_to_grayscale(a).numpy(),
                               (a * [0.2989, 0.5870, 0.1140]).sum(-1, keepdims=True))
    b = np.clip(a + RNG.normal(0, 0.05, a.shape), 0, 1)
    mse = ((a - b) ** 2).mean(axis=(1, 2, 3))
    np.testing.assert_allclose(tf.image.psnr(a, b, max_val=1.0).numpy(), 10 * np.log10(1 / mse),
                               rtol=1e-10)
    with pytest.raises(ValueError, match=r"\[image.rgb_to_grayscale\]"):
        tf.image.rgb_to_grayscale(a[..., :2])


def test_grayscale_of_integer_images_keeps_the_dtype():
    """TensorFlow converts uint8 to [0, 1] floats, weighs and converts back (x 255.5, floor)."""
    a = np.array([[[255, 255, 255], [10, 200, 30], [0, 0, 0]]], np.uint8)
    out = tf.image.rgb_to_grayscale(a)
    assert out.dtype == tf.uint8 and out.shape == (1, 3, 1)
    ref = np.floor((a / 255.0 * [0.2989, 0.5870, 0.1140]).sum(-1) * 255.5)
    np.testing.assert_array_equal(out.numpy()[..., 0], ref)
