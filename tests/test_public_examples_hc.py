"""The API patterns of keras-io's generative / audio / rl programs tried in docs/public_examples.md
(dcgan_overriding_train_step, ddim, ppo_cartpole, ddpg_pendulum, deep_q_network_breakout, ...),
with tiny synthetic data: the TF 2.9 - 2.15 optimizer namespaces, ImageNet preprocess_input on
tensors inside a model, tf.image.resize(antialias=True) against TensorFlow's scale-and-translate
rule, a subclassed model with its own train_step fitted on an x-only dataset while compiled with
a loss, checkpointing that model's weights, and the RL programs' tape / target-network updates."""
import math

import numpy as np
import pytest

import pyengine as tf
from pyengine import keras
from pyengine.keras import layers


# ---- keras.optimizers.experimental / legacy (TF 2.9 - 2.15) ----------------------------------
def test_optimizer_namespaces_are_the_keras_optimizers():
    from pyengine.keras.optimizers.experimental import AdamW
    from pyengine.keras.optimizers.legacy import Adam
    assert AdamW is keras.optimizers.AdamW and Adam is keras.optimizers.Adam
    assert keras.optimizers.experimental.SGD is keras.optimizers.SGD
    assert tf.keras.optimizers.legacy.RMSprop is keras.optimizers.RMSprop
    with pytest.raises(AttributeError):
        keras.optimizers.legacy.AdamW  # TF's legacy namespace never had AdamW
    w = tf.Variable(np.ones(3, np.float32))
    opt = keras.optimizers.experimental.AdamW(learning_rate=0.1, weight_decay=0.5)
    opt.apply_gradients([(tf.constant(np.zeros(3, np.float32)), w)])
    np.testing.assert_allclose(w.numpy(), 1.0 - 0.1 * 0.5, rtol=1e-6)  # decoupled decay only


# ---- applications.*.preprocess_input on tensors ---------------------------------------------
def test_preprocess_input_keeps_tensors_inside_a_model():
    from pyengine.keras.applications import inception_v3, vgg16
    inp = keras.Input(shape=(4, 4, 3))
    out = layers.Lambda(inception_v3.preprocess_input)(layers.Rescaling(255.0)(inp))
    model = keras.Model(inp, out)
    x = np.random.default_rng(0).random((2, 4, 4, 3)).astype("float32")
    np.testing.assert_allclose(model.predict(x, verbose=0), x * 255.0 / 127.5 - 1.0, atol=1e-5)
    t = tf.constant(x * 255.0)
    caffe = vgg16.preprocess_input(t)
    assert isinstance(caffe, tf.Tensor)
    ref = (x * 255.0)[..., ::-1] - np.array([103.939, 116.779, 123.68], np.float32)
    np.testing.assert_allclose(caffe.numpy(), ref, atol=1e-4)
    np.testing.assert_allclose(vgg16.preprocess_input(x * 255.0), ref, atol=1e-4)  # NumPy path
    g = tf.Variable(x)
    with tf.GradientTape() as tape:
        s = tf.reduce_sum(inception_v3.preprocess_input(g))
    np.testing.assert_allclose(tape.gradient(s, g).numpy(), 1 / 127.5, rtol=1e-6)
    ints = inception_v3.preprocess_input(tf.constant(np.full((1, 2, 2, 3), 255, np.uint8)))
    assert ints.dtype == tf.float32 and np.allclose(ints.numpy(), 1.0)


# ---- tf.image.resize(antialias=True) --------------------------------------------------------
def _tf_scale_and_translate_weights(n_in, n_out):
    """TensorFlow's ComputeSpansCore (scale_and_translate_op.cc), triangle kernel, antialias."""
    inv_scale = n_in / n_out
    kscale = max(inv_scale, 1.0)
    w = np.zeros((n_out, n_in))
    for x in range(n_out):
        sample = (x + 0.5) * inv_scale
        start = min(max(math.ceil(sample - kscale - 0.5), 0), n_in - 1)
        end = min(max(math.floor(sample + kscale - 0.5), 0), n_in - 1) + 1
        ks = np.array([max(0.0, 1.0 - abs((s + 0.5 - sample) / kscale)) for s in range(start, end)])
        w[x, start:end] = ks / ks.sum()
    return w


def test_resize_antialias_matches_tensorflow_rule():
    rng = np.random.default_rng(1)
    img = rng.random((2, 13, 10, 3)).astype("float32")
    out = tf.image.resize(img, (5, 4), antialias=True)
    wh, ww = _tf_scale_and_translate_weights(13, 5), _tf_scale_and_translate_weights(10, 4)
    ref = np.einsum("oh,nhwc,pw->nopc", wh, img.astype(np.float64), ww)
    assert out.shape == (2, 5, 4, 3) and out.dtype == tf.float32
    np.testing.assert_allclose(out.numpy(), ref, atol=1e-5)
    # a known value: 4 -> 2 averages with weights 3/7, 3/7, 1/7
    row = tf.image.resize(np.arange(4, dtype="float32").reshape(1, 4, 1), (1, 2), antialias=True)
    np.testing.assert_allclose(row.numpy().reshape(-1), [5 / 7, 16 / 7], atol=1e-5)
    # without antialias a shrink samples two pixels only, so the results differ
    assert not np.allclose(tf.image.resize(img, (5, 4)).numpy(), out.numpy(), atol=1e-3)
    # enlarging: antialias changes nothing (as in TF)
    np.testing.assert_allclose(tf.image.resize(img, (20, 17), antialias=True).numpy(),
                               tf.image.resize(img, (20, 17)).numpy(), atol=1e-6)
    v = tf.Variable(img[0])
    with tf.GradientTape() as tape:
        s = tf.reduce_sum(tf.image.resize(v, (5, 4), antialias=True))
    np.testing.assert_allclose(tape.gradient(s, v).numpy()[..., 0],
                               np.outer(wh.sum(0), ww.sum(0)), atol=1e-5)


# ---- a subclassed model with its own train_step on an x-only dataset (keras-io DDIM) ---------
class _Denoiser(keras.Model):
    def __init__(self):
        super().__init__()
        inp = keras.Input(shape=(4,))
        self.network = keras.Model(inp, layers.Dense(4)(layers.Dense(8, activation="swish")(inp)))
        self.ema_network = keras.models.clone_model(self.network)
        self.tracker = keras.metrics.Mean(name="n_loss")

    @property
    def metrics(self):
        return [self.tracker]

    def train_step(self, images):
        noises = tf.random.normal(shape=tf.shape(images))
        with tf.GradientTape() as tape:
            pred = self.network(images + noises, training=True)
            loss = self.loss(noises, pred)
        grads = tape.gradient(loss, self.network.trainable_weights)
        self.optimizer.apply_gradients(zip(grads, self.network.trainable_weights))
        self.tracker.update_state(loss)
        for w, ema_w in zip(self.network.weights, self.ema_network.weights):
            ema_w.assign(0.5 * ema_w + 0.5 * w)
        return {m.name: m.result() for m in self.metrics}

    def test_step(self, images):
        pred = self.ema_network(images, training=False)
        self.tracker.update_state(self.loss(images * 0.0, pred))
        return {m.name: m.result() for m in self.metrics}


def test_custom_train_step_fits_images_only_dataset_and_checkpoints(tmp_path):
    keras.utils.set_random_seed(0)
    data = np.random.default_rng(0).normal(size=(64, 4)).astype("float32")
    ds = tf.data.Dataset.from_tensor_slices(data).batch(16, drop_remainder=True)
    model = _Denoiser()
    model.compile(optimizer=keras.optimizers.experimental.AdamW(learning_rate=3e-2),
                  loss=keras.losses.mean_absolute_error)
    path = str(tmp_path / "ckpt" / "diffusion_model")
    ckpt = keras.callbacks.ModelCheckpoint(path, save_weights_only=True, monitor="val_n_loss",
                                           mode="min", save_best_only=True)
    hist = model.fit(ds, epochs=6, validation_data=ds, callbacks=[ckpt], verbose=0)
    losses = hist.history["n_loss"]
    assert losses[-1] < losses[0] and "val_n_loss" in hist.history
    import os
    assert os.path.exists(path)  # the best epoch's checkpoint
    final = str(tmp_path / "final")
    model.save_weights(final)
    # the file holds every sublayer's weights: a fresh model loads them and predicts the same
    fresh = _Denoiser()
    fresh.compile(optimizer="adam", loss="mae")
    fresh.fit(ds, epochs=1, verbose=0)
    assert not np.allclose(fresh.ema_network.predict(data, verbose=0),
                           model.ema_network.predict(data, verbose=0), atol=1e-3)
    fresh.load_weights(final)
    np.testing.assert_allclose(fresh.ema_network.predict(data, verbose=0),
                               model.ema_network.predict(data, verbose=0), atol=1e-6)
    np.testing.assert_allclose(fresh.network.predict(data, verbose=0),
                               model.network.predict(data, verbose=0), atol=1e-6)
    # a model compiled with a loss and the built-in train_step still needs targets
    plain = keras.Sequential([keras.Input(shape=(4,)), layers.Dense(1)])
    plain.compile(optimizer="adam", loss="mse")
    with pytest.raises(ValueError, match="must be \\(x, y\\)"):
        plain.fit(ds, epochs=1, verbose=0)


def test_save_weights_of_unbuilt_subclass_still_raises(tmp_path):
    class Holder(keras.Model):
        def __init__(self):
            super().__init__()
            self.inner = layers.Dense(2)  # never called: no weights yet

    with pytest.raises(ValueError, match="not been built"):
        Holder().save_weights(str(tmp_path / "w"))
