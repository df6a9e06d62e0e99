"""Original tests of the patterns of keras-io's guide "Transfer learning & fine-tuning" (and the
transfer-learning blueprints of "The Sequential model"): a frozen base model called with
`training=False` inside a functional model, then unfrozen for fine-tuning while its
BatchNormalization stays in inference mode; `keras.applications.Xception`; `tf.image.resize`
mapped over a dataset of images of different sizes; the progress bar of a dataset of unknown
length. No program text of the guides is used."""
import numpy as np
import pytest

import pyengine as tf
from pyengine import keras
from pyengine.keras import layers


def _base():
    inputs = keras.Input((6,))
    h = layers.BatchNormalization()(layers.Dense(8)(inputs))
    return keras.Model(inputs, layers.Activation("relu")(h))


def _data():
    rng = np.random.default_rng(0)
    x = (rng.standard_normal((48, 6)) * 3 + 1).astype("float32")
    return x, (x[:, 0] > 1).astype("float32")


def test_base_called_with_training_false_keeps_bn_in_inference_while_fine_tuning(tmp_path):
    x, y = _data()
    base = _base()
    dense, bn = base.layers[1], base.layers[2]
    base.trainable = False
    inputs = keras.Input((6,))
    outputs = layers.Dense(1)(layers.Dropout(0.2)(base(inputs, training=False)))
    model = keras.Model(inputs, outputs)
    model.compile(keras.optimizers.Adam(0.01), keras.losses.BinaryCrossentropy(from_logits=True))
    frozen = [w.copy() for w in base.get_weights()]
    model.fit(x, y, epochs=2, batch_size=16, verbose=0)
    for a, b in zip(frozen, base.get_weights()):
        np.testing.assert_array_equal(a, b)  # frozen: nothing moves

    base.trainable = True  # fine-tuning: the weights train, the statistics stay
    model.compile(keras.optimizers.Adam(1e-3), keras.losses.BinaryCrossentropy(from_logits=True))
    assert len(model.trainable_weights) == 6 and len(model.non_trainable_weights) == 2
    stats = [bn.moving_mean.numpy().copy(), bn.moving_variance.numpy().copy()]
    kernel = dense.kernel.numpy().copy()
    model.fit(x, y, epochs=2, batch_size=16, verbose=0)
    assert np.abs(dense.kernel.numpy() - kernel).max() > 0
    np.testing.assert_array_equal(bn.moving_mean.numpy(), stats[0])
    np.testing.assert_array_equal(bn.moving_variance.numpy(), stats[1])
    # the base's forward in the model is its inference form
    np.testing.assert_allclose(model.layers[1](x, training=False).numpy(),
                               base(x, training=False).numpy(), rtol=1e-6)
    # the recorded training=False survives save / load
    path = str(tmp_path / "tl.keras")
    model.save(path)
    loaded = keras.models.load_model(path)
    bn2 = loaded.layers[1].layers[2]
    before = bn2.moving_mean.numpy().copy()
    loaded.fit(x, y, epochs=1, batch_size=16, verbose=0)
    np.testing.assert_array_equal(bn2.moving_mean.numpy(), before)


def test_an_unpinned_base_still_follows_fit():
    x, y = _data()
    base = _base()
    bn = base.layers[2]
    inputs = keras.Input((6,))
    model = keras.Model(inputs, layers.Dense(1)(base(inputs)))
    model.compile("adam", keras.losses.BinaryCrossentropy(from_logits=True))
    before = bn.moving_mean.numpy().copy()
    model.fit(x, y, epochs=1, batch_size=16, verbose=0)
    assert np.abs(bn.moving_mean.numpy() - before).max() > 0  # training mode in fit


def test_xception_architecture():
    base = keras.applications.Xception(weights=None, input_shape=(71, 71, 3), include_top=False)
    assert base.count_params() == 20861480  # Keras' Xception without the top
    assert base.output_shape == (None, 3, 3, 2048)
    names = [lyr.name for lyr in base.layers]
    for n in ("block1_conv1", "block2_sepconv2_act", "block12_sepconv3_bn", "block13_pool",
              "block14_sepconv2_act"):
        assert n in names
    n_stats = sum(int(np.prod(w.shape)) for w in base.non_trainable_weights)
    assert n_stats == 54528  # the guide's non-trainable count once the base is unfrozen
    base.trainable = False
    assert base.trainable_weights == [] and len(base.non_trainable_weights) == 234
    with pytest.raises(ValueError, match="xception_weights_tf_dim_ordering_tf_kernels_notop"):
        keras.applications.Xception(input_shape=(150, 150, 3), include_top=False)
    np.testing.assert_allclose(keras.applications.xception.preprocess_input(
        np.array([0.0, 127.5, 255.0])), [-1.0, 0.0, 1.0])


def _tf_bilinear(img, oh, ow):
    """TensorFlow 2's bilinear resize (half-pixel centres) in float64."""
    h, w = img.shape[:2]

    def taps(n_out, n_in):
        src = (np.arange(n_out) + 0.5) * n_in / n_out - 0.5
        lo = np.floor(src)
        frac = src - lo
        return np.clip(lo, 0, n_in - 1).astype(int), \
            np.clip(lo + 1, 0, n_in - 1).astype(int), frac
    y0, y1, fy = taps(oh, h)
    x0, x1, fx = taps(ow, w)
    img = img.astype(np.float64)
    top = img[y0][:, x0] * (1 - fx)[None, :, None] + img[y0][:, x1] * fx[None, :, None]
    bot = img[y1][:, x0] * (1 - fx)[None, :, None] + img[y1][:, x1] * fx[None, :, None]
    return top * (1 - fy)[:, None, None] + bot * fy[:, None, None]


def test_tf_image_resize():
    rng = np.random.default_rng(3)
    img = rng.integers(0, 256, (9, 13, 3)).astype("uint8")
    out = tf.image.resize(img, (5, 20))
    assert out.dtype == tf.float32 and out.shape == (5, 20, 3)
    np.testing.assert_allclose(out.numpy(), _tf_bilinear(img, 5, 20), rtol=1e-5, atol=1e-3)
    near = tf.image.resize(img[None], (18, 26), method="nearest")
    assert near.dtype == tf.uint8 and near.shape == (1, 18, 26, 3)
    np.testing.assert_array_equal(near.numpy()[0], np.repeat(np.repeat(img, 2, 0), 2, 1))
    assert tf.image.resize(img, (30, 30), preserve_aspect_ratio=True).shape == (21, 30, 3)
    with pytest.raises(NotImplementedError, match="lanczos3"):
        tf.image.resize(img, (5, 5), method="lanczos3")
    with pytest.raises(NotImplementedError, match="antialias=True with 'bicubic'"):
        tf.image.resize(img, (5, 5), method="bicubic", antialias=True)
    # shrinking with antialias=True weighs every source pixel: a 2x box-like average here
    small = tf.image.resize(img.astype(np.float32), (7, 7), antialias=True)
    assert small.shape == (7, 7, 3) and small.dtype == tf.float32
    assert abs(float(small.numpy().mean()) - float(img.mean())) < 2.0


def _images_of_different_sizes(n, seed):
    rng = np.random.default_rng(seed)

    def gen():
        for _ in range(n):
            label = int(rng.integers(0, 2))
            img = rng.integers(0, 200, (int(rng.integers(20, 40)), int(rng.integers(20, 40)), 3))
            img[..., label] += 55
            yield img.astype("uint8"), label
    return tf.data.Dataset.from_generator(
        gen, output_signature=(tf.TensorSpec((None, None, 3), tf.uint8),
                               tf.TensorSpec((), tf.int64)))


def test_resized_dataset_of_unknown_length_trains_with_a_progress_bar(capsys):
    ds = _images_of_different_sizes(40, 0)
    assert int(tf.data.experimental.cardinality(ds)) == -2  # TensorFlow's UNKNOWN
    ds = ds.map(lambda x, y: (tf.image.resize(x, (16, 16)), y)).cache().batch(16).prefetch(2)
    inputs = keras.Input((16, 16, 3))
    x = layers.Rescaling(1 / 127.5, offset=-1)(inputs)
    x = layers.GlobalAveragePooling2D()(layers.Conv2D(4, 3)(x))
    model = keras.Model(inputs, layers.Dense(1)(x))
    model.compile("adam", keras.losses.BinaryCrossentropy(from_logits=True),
                  metrics=[keras.metrics.BinaryAccuracy()])
    hist = model.fit(ds, epochs=2, verbose=1)
    assert len(hist.history["loss"]) == 2
    lines = [ln for ln in capsys.readouterr().out.splitlines() if "loss" in ln]
    assert len(lines) == 2 and all(ln.lstrip("\r").startswith("3/3 ") for ln in lines)


def test_a_recorded_training_flag_survives_replaying_longer_examples():
    # a None-length graph whose strided convolutions need longer symbolic examples replays
    # the nodes upstream, the nested model's training=False node among them
    inner_in = keras.Input((None, 4))
    inner = keras.Model(inner_in, layers.Dense(4)(inner_in))
    inputs = keras.Input((None, 4))
    x = inner(inputs, training=False)
    x = layers.Conv1D(2, 7, strides=3)(layers.Conv1D(2, 7, strides=3)(x))
    model = keras.Model(inputs, x)
    assert model.output_shape == (None, None, 2)
    assert model.predict(np.zeros((1, 40, 4), "float32"), verbose=0).shape == (1, 2, 2)
