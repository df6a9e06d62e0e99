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


# ---- tf.gather / tf.equal beside torch.gather / torch.equal (keras-io DDPM) ------------------
def test_tf_gather_forms_match_numpy_and_torch_form_still_works():
    rng = np.random.default_rng(2)
    p = rng.normal(size=(2, 3, 4)).astype("float32")
    coef = tf.constant(np.linspace(0.1, 1.0, 10).astype("float32"))
    t = np.array([9, 0, 3], np.int64)
    np.testing.assert_allclose(tf.reshape(tf.gather(coef, t), [3, 1, 1, 1]).numpy().ravel(),
                               coef.numpy()[t])  # DDPM's _extract
    np.testing.assert_allclose(tf.gather(p, [[2, 0], [1, 1]], axis=1).numpy(),
                               np.take(p, [[2, 0], [1, 1]], axis=1))
    np.testing.assert_allclose(tf.gather(p, 1, axis=-1).numpy(), p[..., 1])
    np.testing.assert_allclose(tf.gather(p, indices=[3, 0], axis=2).numpy(), p[:, :, [3, 0]])
    bidx = np.array([[2, 0], [1, 1]])  # batch_dims=1: row b picks its own columns
    out = tf.gather(p, bidx, axis=2, batch_dims=1)
    ref = np.stack([p[b][:, bidx[b]] for b in range(2)])
    assert out.shape == (2, 3, 2) and np.allclose(out.numpy(), ref)
    out = tf.gather(p, bidx, axis=1, batch_dims=1)
    assert np.allclose(out.numpy(), np.stack([p[b][bidx[b]] for b in range(2)]))
    with pytest.raises(Exception, match="tf.gather"):
        tf.gather(p, [3], axis=1)  # out of range, as TF on the CPU
    with pytest.raises(TypeError, match="int32 or int64"):
        tf.gather(p, [0.5])
    v = tf.Variable(p)
    with tf.GradientTape() as tape:
        s = tf.reduce_sum(tf.gather(v, [0, 0, 2], axis=1))
    g = np.zeros_like(p)
    g[:, 0], g[:, 2] = 2.0, 1.0
    np.testing.assert_allclose(tape.gradient(s, v).numpy(), g)
    # torch.gather(input, dim, index) is unchanged
    x = tf.tensor(np.array([[1.0, 2.0], [3.0, 4.0]]))
    idx = tf.tensor(np.array([[0, 0], [1, 0]]))
    np.testing.assert_array_equal(tf.gather(x, 1, idx).numpy(), [[1, 1], [4, 3]])
    np.testing.assert_array_equal(tf.gather(x, dim=0, index=idx).numpy(), [[1, 2], [3, 2]])
    with pytest.raises(TypeError, match="mixed"):
        tf.gather(x, 1, idx, axis=0)


def test_equal_is_torch_for_two_tensors_and_tf_with_a_number():
    t = tf.constant(np.array([0, 3, 0], np.int64))
    mask = 1 - tf.cast(tf.equal(t, 0), tf.float32)  # DDPM's p_sample: no noise at t == 0
    np.testing.assert_array_equal(mask.numpy(), [0.0, 1.0, 0.0])
    np.testing.assert_array_equal(tf.equal([1, 2], t[:2]).numpy(), [False, False])
    assert tf.equal(t, tf.constant(np.array([0, 3, 0], np.int64)))  # torch.equal's truth value
    assert not tf.equal(t, t[:2])


# ---- the DDPM U-Net's pieces: GroupNormalization, einsum attention, an int64 time input ------
def test_ddpm_unet_pieces_train_and_round_trip(tmp_path):
    keras.utils.set_random_seed(1)
    img = keras.Input(shape=(4, 4, 8))
    time = keras.Input(shape=(), dtype=tf.int64)
    temb = layers.Dense(8)(tf.cast(time, tf.float32)[:, None] / 10.0)
    x = layers.Add()([layers.GroupNormalization(groups=4)(img), temb[:, None, None, :]])
    q, k = layers.Dense(8)(x), layers.Dense(8)(x)
    score = tf.nn.softmax(tf.reshape(tf.einsum("bhwc, bHWc->bhwHW", q, k), [-1, 4, 4, 16]), -1)
    out = tf.einsum("bhwHW,bHWc->bhwc", tf.reshape(score, [-1, 4, 4, 4, 4]), layers.Dense(8)(x))
    model = keras.Model([img, time], layers.Conv2D(8, 1)(out))
    rng = np.random.default_rng(0)
    xs = rng.normal(size=(16, 4, 4, 8)).astype("float32")
    ts = rng.integers(0, 10, 16).astype(np.int64)
    ys = np.roll(xs, 1, axis=-1)
    model.compile(optimizer=keras.optimizers.Adam(1e-2), loss=keras.losses.MeanSquaredError())
    hist = model.fit([xs, ts], ys, epochs=15, batch_size=8, verbose=0)
    assert hist.history["loss"][-1] < 0.8 * hist.history["loss"][0]
    twin = keras.models.clone_model(model)
    twin.set_weights(model.get_weights())
    path = str(tmp_path / "ema_ckpt")
    twin.save_weights(path)
    fresh = keras.models.clone_model(model)
    fresh.load_weights(path)
    np.testing.assert_allclose(fresh.predict([xs, ts], verbose=0),
                               model.predict([xs, ts], verbose=0), atol=1e-5)
    # the whole model (its tf.cast(..., tf.float32) node keeps its dtype argument) round-trips
    model.save(str(tmp_path / "unet.keras"))
    back = keras.models.load_model(str(tmp_path / "unet.keras"))
    np.testing.assert_allclose(back.predict([xs, ts], verbose=0),
                               model.predict([xs, ts], verbose=0), atol=1e-5)


# ---- tf.transpose(perm=) and a two-output model with loss=[fn, None] (miniature GPT) ---------
def test_transpose_torch_and_tf_forms():
    x = np.arange(24, dtype=np.float32).reshape(2, 3, 4)
    np.testing.assert_array_equal(tf.transpose(x, perm=[0, 2, 1]).numpy(), x.transpose(0, 2, 1))
    np.testing.assert_array_equal(tf.transpose(x).numpy(), x.transpose())  # TF: all reversed
    np.testing.assert_array_equal(tf.transpose(tf.constant(x), 0, 2).numpy(), x.swapaxes(0, 2))
    np.testing.assert_array_equal(tf.transpose(x, tf.constant([1, 0, 2])).numpy(),
                                  x.transpose(1, 0, 2))
    with pytest.raises(TypeError, match="perm"):
        tf.transpose(x, 0, 1, perm=[1, 0, 2])
    inp = keras.Input(shape=(3, 4))
    model = keras.Model(inp, tf.transpose(inp, perm=[0, 2, 1]))  # a graph node on Keras tensors
    np.testing.assert_array_equal(model.predict(x, verbose=0), x.transpose(0, 2, 1))


class _CausalSelfAttention(layers.Layer):
    def __init__(self, dim):
        super().__init__()
        self.q, self.k, self.v = layers.Dense(dim), layers.Dense(dim), layers.Dense(dim)

    def call(self, x):
        b = tf.shape(x)[0]
        heads = [tf.transpose(tf.reshape(d(x), (b, -1, 2, 4)), perm=[0, 2, 1, 3])
                 for d in (self.q, self.k, self.v)]
        score = tf.matmul(heads[0], heads[1], transpose_b=True) / tf.math.sqrt(4.0)
        n = tf.shape(score)[2]
        mask = tf.cast(tf.range(n)[:, None] >= tf.range(n), score.dtype)
        w = tf.nn.softmax(score * mask - 1e4 * (1 - mask), axis=-1)
        out = tf.transpose(tf.matmul(w, heads[2]), perm=[0, 2, 1, 3])
        return tf.reshape(out, (b, -1, 8)), w


def test_causal_lm_with_a_lossless_second_output_learns():
    keras.utils.set_random_seed(3)
    inp = keras.Input(shape=(6,), dtype=tf.int32)
    emb = layers.Embedding(12, 8)(inp)
    att_layer = _CausalSelfAttention(8)
    h = layers.LayerNormalization(epsilon=1e-6)(emb + att_layer(emb)[0])
    model = keras.Model(inp, [layers.Dense(12)(h), h])
    model.compile("adam", loss=[keras.losses.SparseCategoricalCrossentropy(from_logits=True),
                                None])
    seqs = (np.arange(40)[:, None] + np.arange(7)[None]) % 12  # next token = token + 1
    hist = model.fit(seqs[:, :-1].astype("int32"), seqs[:, 1:], epochs=40, batch_size=8,
                     verbose=0)
    assert hist.history["loss"][-1] < 0.5 * hist.history["loss"][0]
    logits, hidden = model.predict(seqs[:4, :-1].astype("int32"), verbose=0)
    assert logits.shape == (4, 6, 12) and hidden.shape == (4, 6, 8)
    # causality: changing a later token leaves the earlier positions' outputs unchanged
    a = seqs[:1, :-1].astype("int32")
    b = a.copy()
    b[0, 4] = (b[0, 4] + 5) % 12
    la, lb = model.predict(a, verbose=0)[0], model.predict(b, verbose=0)[0]
    np.testing.assert_allclose(la[0, :4], lb[0, :4], atol=1e-5)
    assert not np.allclose(la[0, 4:], lb[0, 4:], atol=1e-3)
    _, w = att_layer(layers.Embedding(12, 8)(tf.constant(a)))
    assert np.allclose(np.triu(w.numpy()[0, 0], 1), 0.0, atol=1e-6)


# ---- neural style transfer: optimizing an image Variable; Variable.numpy() is a copy --------
def test_variable_numpy_is_a_copy_and_image_optimization_descends():
    v = tf.Variable(np.zeros((2, 3), np.float32))
    shown = v.numpy()
    shown[:, 0] += 100.0  # NST's deprocess_image edits the array it displays
    assert np.all(v.numpy() == 0.0)
    keras.utils.set_random_seed(4)
    inp = keras.Input(shape=(8, 8, 3))
    c1 = layers.Conv2D(4, 3, padding="same", activation="relu", name="block1_conv1")(inp)
    c2 = layers.Conv2D(4, 3, padding="same", activation="relu", name="block2_conv1")(c1)
    base = keras.Model(inp, c2)
    features = keras.Model(base.inputs, {lyr.name: lyr.output for lyr in base.layers})
    rng = np.random.default_rng(0)
    style = tf.constant(rng.uniform(-1, 1, (1, 8, 8, 3)).astype("float32"))
    image = tf.Variable(rng.uniform(-1, 1, (1, 8, 8, 3)).astype("float32"))

    def gram(x):
        f = tf.reshape(tf.transpose(x, (2, 0, 1)), (tf.shape(x)[2], -1))
        return tf.matmul(f, tf.transpose(f))

    def loss_fn():
        feats = features(tf.concat([style, image], axis=0))
        loss = tf.zeros(shape=())
        for name in ("block1_conv1", "block2_conv1"):
            loss += tf.reduce_sum(tf.square(gram(feats[name][0]) - gram(feats[name][1])))
        return loss

    opt = keras.optimizers.SGD(keras.optimizers.schedules.ExponentialDecay(
        initial_learning_rate=1e-3, decay_steps=10, decay_rate=0.5))
    losses = []
    for _ in range(15):
        with tf.GradientTape() as tape:
            loss = loss_fn()
        grads = tape.gradient(loss, image)
        opt.apply_gradients([(grads, image)])
        losses.append(float(loss))
        image.numpy()[:] = 0.0  # writes into a copy: the optimization is unaffected
    assert losses[-1] < 0.5 * losses[0]
    assert float(opt.learning_rate) == pytest.approx(1e-3 * 0.5 ** 1.5, rel=1e-5)


# ---- Deep Dream: gradient ascent on an image the previous step computed ----------------------
def test_tape_watch_stops_recording_after_gradient_and_steps_chain():
    w = tf.constant(np.array([[0.5, -1.0], [2.0, 0.25]], np.float32))

    def loss_fn(img):
        return tf.reduce_sum(tf.square(tf.matmul(img, w)))

    img = tf.constant(np.array([[1.0, 2.0]], np.float32))
    history = []
    for _ in range(4):  # each step watches the tensor the last one produced outside the tape
        with tf.GradientTape() as tape:
            tape.watch(img)
            loss = loss_fn(img)
        grads = tape.gradient(loss, img)
        ref = 2 * (img.numpy() @ w.numpy()) @ w.numpy().T  # d/dimg sum((img w)^2)
        np.testing.assert_allclose(grads.numpy(), ref, rtol=1e-5)
        grads /= tf.maximum(tf.reduce_mean(tf.abs(grads)), 1e-6)
        img += -0.1 * grads  # outside the tape: a plain tensor, as in TensorFlow
        assert not img.requires_grad
        shown = img.numpy()
        assert shown.flags.writeable
        history.append(float(loss))
    assert history[-1] < history[0]
    # a persistent tape keeps its watch (it may be asked again)
    x = tf.constant(np.ones(2, np.float32))
    with tf.GradientTape(persistent=True) as tape:
        tape.watch(x)
        y = tf.reduce_sum(x * x)
    tape.gradient(y, x)
    np.testing.assert_allclose(tape.gradient(y, x).numpy(), [2.0, 2.0])


def test_autograd_grad_runs_only_the_nodes_above_a_wanted_tensor():
    import pyengine as pe
    a = pe.tensor(np.array([1.0, 2.0]), requires_grad=True)
    mid = a * 3.0  # a non-leaf: its own node must not run (or be freed) for grad wrt mid
    out = (mid * mid).sum()
    (gm,) = pe.autograd.grad(out, [mid])
    np.testing.assert_allclose(gm.numpy(), 2 * mid.numpy())
    out2 = (mid * 2.0).sum()  # the node that made mid is still usable
    out2.backward()
    np.testing.assert_allclose(a.grad.numpy(), [6.0, 6.0])
    # both a tensor and something beneath it wanted: the walk goes on below
    b = pe.tensor(np.array([1.0, -1.0]), requires_grad=True)
    m = b * b
    ga, gb = pe.autograd.grad((m * 4.0).sum(), [m, b])
    np.testing.assert_allclose(ga.numpy(), [4.0, 4.0])
    np.testing.assert_allclose(gb.numpy(), 8.0 * b.numpy())


# ---- GAN-ADA: area resize, tf.math.round & co., BinaryAccuracy with a scalar label ------------
def test_resize_area_matches_tensorflow_rule():
    def area_ref(n_in, n_out):  # TensorFlow's ResizeAreaOp, align_corners=False
        s = n_in / n_out
        w = np.zeros((n_out, n_in))
        for i in range(n_out):
            lo, hi = i * s, min((i + 1) * s, n_in)
            for j in range(n_in):
                w[i, j] = max(0.0, min(j + 1, hi) - max(j, lo)) / s
        return w
    rng = np.random.default_rng(5)
    img = rng.uniform(0, 255, (2, 9, 7, 3)).astype(np.uint8)
    out = tf.image.resize(img, [4, 5], method=tf.image.ResizeMethod.AREA)
    ref = np.einsum("oh,nhwc,pw->nopc", area_ref(9, 4), img.astype(np.float64), area_ref(7, 5))
    assert out.dtype == tf.float32 and out.shape == (2, 4, 5, 3)
    np.testing.assert_allclose(out.numpy(), ref, rtol=1e-5, atol=1e-3)
    box = tf.image.resize(np.arange(16, dtype=np.float32).reshape(4, 4, 1), (2, 2), method="area")
    np.testing.assert_allclose(box.numpy().ravel(), [2.5, 4.5, 10.5, 12.5])  # 2x2 box means
    assert tf.image.ResizeMethod.BILINEAR == "bilinear"
    with pytest.raises(NotImplementedError, match="lanczos3"):
        tf.image.resize(img, [4, 5], method=tf.image.ResizeMethod.LANCZOS3)


def test_tf_math_elementwise_aliases():
    x = np.array([0.5, 1.5, 2.5, -1.7], np.float32)
    np.testing.assert_array_equal(tf.math.round(x).numpy(), np.round(x))  # half to even
    assert tf.cast(tf.math.round(tf.constant(x)), tf.int32).dtype == tf.int32
    np.testing.assert_allclose(tf.math.pow(tf.constant(x), 2).numpy(), x ** 2)
    np.testing.assert_allclose(tf.math.atan2(x, np.ones(4, np.float32)).numpy(),
                               np.arctan2(x, 1.0), rtol=1e-6)
    np.testing.assert_allclose(tf.math.squared_difference(x, 1.0).numpy(), (x - 1.0) ** 2)
    np.testing.assert_array_equal(tf.math.sign(x).numpy(), np.sign(x))
    v = tf.Variable(np.array([1.0, 2.0], np.float32))
    d = tf.constant(np.array([0.0, 4.0], np.float32))
    with tf.GradientTape() as tape:
        q = tf.math.divide_no_nan(v, d)
        s = tf.reduce_sum(q)
    np.testing.assert_allclose(q.numpy(), [0.0, 0.5])
    np.testing.assert_allclose(tape.gradient(s, v).numpy(), [0.0, 0.25])  # no nan at d == 0


def test_binary_accuracy_broadcasts_a_scalar_label_and_compares_exactly():
    logits = np.array([[2.0], [-1.0], [0.5], [-3.0]], np.float32)
    step = 0.5 * (1.0 + np.sign(logits))
    real = keras.metrics.BinaryAccuracy(name="real_acc")
    real.update_state(1.0, step)
    assert float(real.result()) == pytest.approx(0.5)
    gen = keras.metrics.BinaryAccuracy()
    gen.update_state(0.0, step)
    assert float(gen.result()) == pytest.approx(0.5)
    soft = keras.metrics.BinaryAccuracy()
    soft.update_state(np.array([[0.9], [0.0]]), np.array([[0.8], [0.2]]))
    assert float(soft.result()) == pytest.approx(0.5)  # Keras: 0.9 != 1, only the 0 matches
    flat = keras.metrics.BinaryAccuracy()
    flat.update_state(np.array([1, 0, 1]), np.array([[0.7], [0.6], [0.9]]))
    assert float(flat.result()) == pytest.approx(2 / 3)


def test_adaptive_augmenter_probability_and_persistent_tape_two_gradients():
    keras.utils.set_random_seed(6)
    prob = tf.Variable(0.0)
    aug = keras.Sequential([layers.InputLayer(input_shape=(8, 8, 3)), layers.RandomFlip("horizontal"),
                            layers.RandomTranslation(0.125, 0.125, interpolation="nearest"),
                            layers.RandomRotation(0.125), layers.RandomZoom((-0.25, 0.0), (-0.25, 0.0))])
    imgs = np.random.default_rng(0).random((4, 8, 8, 3)).astype("float32")
    choose = tf.math.less(tf.random.uniform((4, 1, 1, 1)), prob)
    np.testing.assert_array_equal(tf.where(choose, aug(imgs, True), imgs).numpy(), imgs)
    prob.assign(tf.clip_by_value(prob + (1.0 - 0.8) / 0.1, 0.0, 1.0))
    assert float(prob.numpy()) == 1.0
    choose = tf.math.less(tf.random.uniform((4, 1, 1, 1)), prob)
    assert not np.allclose(tf.where(choose, aug(imgs, True), imgs).numpy(), imgs)
    g = keras.Sequential([keras.Input(shape=(4,)), layers.Dense(8 * 8 * 3, activation="sigmoid"),
                          layers.Reshape((8, 8, 3))])
    d = keras.Sequential([keras.Input(shape=(8, 8, 3)), layers.Flatten(), layers.Dense(1)])
    with tf.GradientTape(persistent=True) as tape:
        fake = aug(g(tf.random.normal((4, 4)), training=True), training=True)
        fl, rl = d(fake, training=True), d(imgs, training=True)
        g_loss = tf.reduce_mean(keras.losses.binary_crossentropy(tf.ones((4, 1)), fl,
                                                                 from_logits=True))
        d_loss = tf.reduce_mean(keras.losses.binary_crossentropy(
            tf.concat([tf.ones((4, 1)), tf.zeros((4, 1))], 0), tf.concat([rl, fl], 0),
            from_logits=True))
    gg = tape.gradient(g_loss, g.trainable_weights)
    dg = tape.gradient(d_loss, d.trainable_weights)
    assert all(x is not None and np.any(x.numpy() != 0) for x in gg + dg)


# ---- CycleGAN: a subclass holding models, checkpointed whole, instance norm, reflect pad ----
class _Pair(keras.Model):
    def __init__(self, gen, disc, weight=10.0, **kwargs):
        super().__init__(**kwargs)
        self.gen, self.disc, self.weight = gen, disc, weight

    def call(self, inputs):
        return self.disc(inputs), self.gen(inputs)

    def train_step(self, batch):
        x, y = batch
        with tf.GradientTape(persistent=True) as tape:
            fake = self.gen(x, training=True)
            g_loss = self.weight * keras.losses.MeanAbsoluteError()(y, fake)
            d_loss = keras.losses.MeanSquaredError()(tf.ones_like(self.disc(y)), self.disc(y))
        for loss, m in ((g_loss, self.gen), (d_loss, self.disc)):
            grads = tape.gradient(loss, m.trainable_variables)
            self.optimizer.apply_gradients(zip(grads, m.trainable_variables))
        return {"G_loss": g_loss, "D_loss": d_loss}


class _ReflectionPadding2D(layers.Layer):
    def __init__(self, padding=(1, 1), **kwargs):
        self.padding = tuple(padding)
        super().__init__(**kwargs)

    def call(self, x, mask=None):
        pw, ph = self.padding
        return tf.pad(x, [[0, 0], [ph, ph], [pw, pw], [0, 0]], mode="REFLECT")


def _cyclegan_nets():
    inp = keras.Input(shape=(6, 6, 2))
    x = _ReflectionPadding2D()(inp)
    x = layers.Conv2D(4, 3, use_bias=False)(x)
    x = layers.GroupNormalization(groups=-1, gamma_initializer=keras.initializers.RandomNormal(
        mean=1.0, stddev=0.02))(x)
    gen = keras.Model(inp, layers.Conv2D(2, 1, activation="tanh")(layers.Activation("relu")(x)),
                      name="generator_G")
    dinp = keras.Input(shape=(6, 6, 2))
    disc = keras.Model(dinp, layers.Conv2D(1, 3, padding="same")(dinp), name="discriminator_X")
    return gen, disc


def test_instance_norm_and_reflect_pad_match_numpy():
    x = np.random.default_rng(7).normal(size=(2, 5, 4, 3)).astype("float32")
    out = layers.GroupNormalization(groups=-1, epsilon=1e-3)(x).numpy()
    mu, var = x.mean(axis=(1, 2), keepdims=True), x.var(axis=(1, 2), keepdims=True)
    np.testing.assert_allclose(out, (x - mu) / np.sqrt(var + 1e-3), atol=1e-4)
    np.testing.assert_array_equal(
        tf.pad(x, [[0, 0], [2, 2], [1, 1], [0, 0]], mode="REFLECT").numpy(),
        np.pad(x, [(0, 0), (2, 2), (1, 1), (0, 0)], mode="reflect"))


def test_subclass_of_models_checkpoints_whole_and_reloads(tmp_path):
    keras.utils.set_random_seed(8)
    rng = np.random.default_rng(8)
    xs = rng.uniform(-1, 1, (8, 6, 6, 2)).astype("float32")
    ds = tf.data.Dataset.zip((tf.data.Dataset.from_tensor_slices(xs).batch(2),
                              tf.data.Dataset.from_tensor_slices(-xs).batch(2)))
    gen, disc = _cyclegan_nets()
    model = _Pair(gen, disc)
    model.compile(optimizer=keras.optimizers.Adam(learning_rate=1e-2, beta_1=0.5))
    ckpt = str(tmp_path / "model_checkpoints" / "cyclegan_checkpoints.{epoch:03d}")
    hist = model.fit(ds, epochs=4, callbacks=[keras.callbacks.ModelCheckpoint(filepath=ckpt)],
                     verbose=0)
    assert hist.history["G_loss"][-1] < hist.history["G_loss"][0]
    last = str(tmp_path / "model_checkpoints" / "cyclegan_checkpoints.004")
    twin = _Pair(*_cyclegan_nets())
    status = twin.load_weights(last)
    assert status.expect_partial() is status  # TF 2's checkpoint status, chained
    np.testing.assert_allclose(twin.gen.predict(xs, verbose=0), gen.predict(xs, verbose=0),
                               atol=1e-6)
    back = keras.models.load_model(last, custom_objects={
        "_Pair": _Pair, "_ReflectionPadding2D": _ReflectionPadding2D})
    assert isinstance(back, _Pair) and back.weight == 10.0
    np.testing.assert_allclose(back.gen.predict(xs, verbose=0), gen.predict(xs, verbose=0),
                               atol=1e-6)
    np.testing.assert_allclose(back.disc.predict(xs, verbose=0), disc.predict(xs, verbose=0),
                               atol=1e-6)


# ---- audio/stft: STFTSpectrogram against NumPy's rfft; long None-length audio inputs ---------
def _stft_ref(x, frame, step, n_fft, window="hann", periodic=False, scaling="density"):
    import scipy.signal
    w = scipy.signal.get_window(window, frame, fftbins=periodic)
    w = w / (np.sqrt((w * w).sum()) if scaling == "density" else np.abs(w).sum())
    n = (x.shape[1] - frame) // step + 1
    frames = np.stack([x[:, i * step:i * step + frame] for i in range(n)], 1)  # (b, t, f, c)
    return np.fft.rfft(np.moveaxis(frames, -1, 1) * w, n=n_fft, axis=-1)  # (b, c, t, bins)


def test_stft_spectrogram_modes_match_numpy():
    pytest.importorskip("scipy")  # named windows come from SciPy, as in Keras
    rng = np.random.default_rng(9)
    x = rng.normal(size=(2, 300, 2)).astype("float32")
    spec = _stft_ref(x.astype(np.float64), 64, 32, 128)
    re, im = spec.real, spec.imag
    eps = keras.config.epsilon()

    def run(mode, **kw):
        layer = layers.STFTSpectrogram(mode=mode, frame_length=64, frame_step=32, fft_length=128,
                                       **kw)
        return layer(x).numpy()
    # channels_last without expand_dims: (batch, frames, channels * bins), channel-major
    np.testing.assert_allclose(run("real"), np.transpose(re, (0, 2, 1, 3)).reshape(2, 8, -1),
                               atol=2e-5)
    np.testing.assert_allclose(run("imag", expand_dims=True), np.transpose(im, (0, 2, 3, 1)),
                               atol=2e-5)
    mag = np.sqrt(np.maximum(re ** 2 + im ** 2, eps))
    np.testing.assert_allclose(run("magnitude", expand_dims=True),
                               np.transpose(mag, (0, 2, 3, 1)), rtol=1e-4, atol=1e-5)
    np.testing.assert_allclose(run("log", expand_dims=True),
                               np.log(np.maximum(np.transpose(mag, (0, 2, 3, 1)), eps)),
                               rtol=1e-4, atol=1e-4)
    power = re ** 2 + im ** 2
    power[..., 1:-1] *= 2.0
    np.testing.assert_allclose(run("psd", expand_dims=True), np.transpose(power, (0, 2, 3, 1)),
                               rtol=1e-4, atol=1e-6)
    assert run("stft").shape == (2, 8, 2 * 2 * 65)
    same = layers.STFTSpectrogram(frame_length=64, frame_step=32, padding="same")(x)
    assert same.shape == (2, 300 // 32 + 1, 2 * 33)  # fft_length: next power of two, 64
    frozen = layers.STFTSpectrogram(frame_length=64, trainable=False)
    frozen(x)
    assert len(frozen.trainable_weights) == 0 and len(frozen.weights) == 2
    with pytest.raises(ValueError, match="frame_step"):
        layers.STFTSpectrogram(frame_length=64, frame_step=65)
    with pytest.raises(ValueError, match="mode"):
        layers.STFTSpectrogram(mode="power")
    with pytest.raises(ValueError, match="time, channels"):
        layers.STFTSpectrogram(frame_length=8)(np.zeros((1, 32), np.float32))


def test_stft_front_end_on_none_length_audio_trains():
    pytest.importorskip("scipy")  # named windows come from SciPy, as in Keras
    keras.utils.set_random_seed(10)
    model = keras.Sequential([
        layers.InputLayer((None, 1)),
        layers.STFTSpectrogram(mode="log", frame_length=640, frame_step=240, trainable=False),
        layers.Conv1D(4, 64, activation="relu"),  # needs >= 64 frames: long symbolic examples
        layers.GlobalMaxPooling1D(),
        layers.Dense(2, activation="softmax")])
    assert model.output_shape == (None, 2)
    rng = np.random.default_rng(0)
    t = np.arange(16000) / 16000.0
    x = np.stack([np.sin(2 * np.pi * (300 if i % 2 else 2000) * t) + 0.1 * rng.normal(size=t.size)
                  for i in range(8)])[..., None].astype("float32")
    y = np.arange(8) % 2
    model.compile(optimizer=keras.optimizers.Adam(1e-2), loss="sparse_categorical_crossentropy")
    hist = model.fit(x, y, epochs=8, batch_size=4, verbose=0)
    assert hist.history["loss"][-1] < hist.history["loss"][0]
    # a genuine error is still reported from the short examples (no long retries)
    with pytest.raises(ValueError, match="cannot be called"):
        keras.Sequential([layers.InputLayer((None, None, 3)), layers.Conv2D(2, 3),
                          layers.Dense(4), layers.Reshape((7,))])


# ---- rl/: PPO's clipped objective, DDPG's soft target update, DQN's masked Huber step --------
def test_rl_patterns_ppo_ddpg_dqn():
    keras.utils.set_random_seed(11)
    obs = keras.Input(shape=(4,), dtype=tf.float32)
    actor = keras.Model(obs, layers.Dense(2)(layers.Dense(16, activation=tf.tanh)(obs)))
    critic = keras.Model(obs, tf.squeeze(layers.Dense(1)(layers.Dense(16, activation=tf.tanh)(obs)),
                                         axis=1))
    x = np.random.default_rng(0).normal(size=(32, 4)).astype("float32")
    logits = actor(x)
    acts = tf.squeeze(tf.random.categorical(logits, 1), axis=1)
    assert acts.shape == (32,) and set(np.unique(acts.numpy())) <= {0, 1}

    def logp(lg, a):
        return tf.reduce_sum(tf.one_hot(a, 2) * tf.nn.log_softmax(lg), axis=1)
    np.testing.assert_allclose(
        logp(logits, acts).numpy(),
        np.log(np.exp(logits.numpy()) / np.exp(logits.numpy()).sum(1, keepdims=True))[
            np.arange(32), acts.numpy()], rtol=1e-5)
    old = logp(logits, acts).numpy()
    adv = np.where(acts.numpy() == 1, 1.0, -1.0).astype("float32")  # favour action 1
    opt = keras.optimizers.Adam(learning_rate=1e-2)
    for _ in range(10):
        with tf.GradientTape() as tape:
            ratio = tf.exp(logp(actor(x), acts) - old)
            clipped = tf.where(adv > 0, 1.2 * adv, 0.8 * adv)
            loss = -tf.reduce_mean(tf.minimum(ratio * adv, clipped))
        opt.apply_gradients(zip(tape.gradient(loss, actor.trainable_variables),
                                actor.trainable_variables))
    assert tf.nn.softmax(actor(x)).numpy()[:, 1].mean() > tf.nn.softmax(logits).numpy()[:, 1].mean()
    assert critic(x).shape == (32,)
    # DDPG: target <- tau * online + (1 - tau) * target over .variables (BN statistics too)
    def net():
        i = layers.Input(shape=(3,))
        return keras.Model(i, layers.Dense(1)(layers.BatchNormalization()(layers.Dense(8)(i))))
    online, target = net(), net()
    target.set_weights(online.get_weights())
    online.compile("adam", "mse")
    online.fit(x[:, :3], x[:, 3:], epochs=2, verbose=0)  # moves weights and BN statistics
    before = [v.numpy() for v in target.variables]
    for a, b in zip(target.variables, online.variables):
        a.assign(b * 0.1 + a * (1 - 0.1))
    for a0, a, b in zip(before, target.variables, online.variables):
        np.testing.assert_allclose(a.numpy(), 0.1 * b.numpy() + 0.9 * a0, rtol=1e-5, atol=1e-6)
    assert len(target.variables) == len(target.trainable_variables) + 2  # moving mean / var
    # DQN: channels-first frames through a Lambda transpose, masked Q values, Huber + clipnorm
    q = keras.Sequential([
        layers.Lambda(lambda t: keras.ops.transpose(t, [0, 2, 3, 1]), output_shape=(8, 8, 2),
                      input_shape=(2, 8, 8)),
        layers.Conv2D(4, 4, strides=2, activation="relu", input_shape=(2, 8, 8)),
        layers.Flatten(), layers.Dense(3, activation="linear")])
    states = np.random.default_rng(1).random((16, 2, 8, 8)).astype("float32")
    rewards = [1.0] * 16
    future = q.predict(states, verbose=0)
    done = keras.ops.convert_to_tensor([0.0] * 15 + [1.0])
    updated = rewards + 0.99 * keras.ops.amax(future, axis=1)
    updated = updated * (1 - done) - done
    masks = keras.ops.one_hot([0, 1, 2, 0] * 4, 3)
    qopt = keras.optimizers.Adam(learning_rate=1e-2, clipnorm=1.0)
    first = None
    for _ in range(20):
        with tf.GradientTape() as tape:
            q_action = keras.ops.sum(keras.ops.multiply(q(states), masks), axis=1)
            loss = keras.losses.Huber()(updated, q_action)
        qopt.apply_gradients(zip(tape.gradient(loss, q.trainable_variables),
                                 q.trainable_variables))
        first = float(loss) if first is None else first
    assert float(loss) < first


# ---- StyleGAN's layers: ops.pad reflect + ops.conv, minibatch std, tensor axes ----------------
class _EqualizedConv(layers.Layer):
    def __init__(self, out_channels, kernel=3, **kwargs):
        super().__init__(**kwargs)
        self.kernel, self.out_channels = kernel, out_channels

    def build(self, input_shape):
        self.w = self.add_weight(shape=[self.kernel, self.kernel, input_shape[-1],
                                        self.out_channels],
                                 initializer=keras.initializers.RandomNormal(0.0, 1.0))
        self.scale = float(np.sqrt(2.0 / (self.kernel * self.kernel * input_shape[-1])))

    def call(self, x):
        x = keras.ops.pad(x, [[0, 0], [1, 1], [1, 1], [0, 0]], mode="reflect")
        return keras.ops.conv(x, self.scale * self.w, strides=1, padding="valid")


def test_stylegan_ops_pad_conv_minibatch_std_and_tensor_axes():
    rng = np.random.default_rng(12)
    x = rng.normal(size=(2, 5, 5, 3)).astype("float32")
    for pw, mode in ((1, "constant"), ((1, 2), "constant"), ([[0, 0], [2, 1], [1, 1], [0, 0]],
                                                            "reflect"),
                     ([[0, 0], [1, 1], [2, 2], [0, 0]], "symmetric")):
        np.testing.assert_array_equal(keras.ops.pad(x, pw, mode=mode).numpy(),
                                      np.pad(x, pw, mode=mode))
    np.testing.assert_array_equal(keras.ops.pad(x, 1, constant_values=2.5).numpy(),
                                  np.pad(x, 1, constant_values=2.5))
    np.testing.assert_array_equal(keras.ops.pad(x, 1, mode="edge").numpy(),
                                  np.pad(x, 1, mode="edge"))
    with pytest.raises(NotImplementedError, match="linear_ramp"):
        keras.ops.pad(x, 1, mode="linear_ramp")
    conv = _EqualizedConv(4)
    y = conv(x)
    w = conv.w.numpy() * conv.scale
    xp = np.pad(x, [(0, 0), (1, 1), (1, 1), (0, 0)], mode="reflect")
    ref = sum(np.einsum("nhwc,co->nhwo", xp[:, i:i + 5, j:j + 5], w[i, j])
              for i in range(3) for j in range(3))
    np.testing.assert_allclose(y.numpy(), ref, rtol=1e-4, atol=1e-4)
    # MinibatchStd: std over groups of the batch, averaged, tiled as one more channel
    t = rng.normal(size=(4, 2, 2, 3)).astype("float32")
    g = keras.ops.reshape(t, (2, -1, 2, 2, 3))
    std = keras.ops.sqrt(keras.ops.var(g, axis=0) + 1e-8)
    avg = keras.ops.mean(std, axis=[1, 2, 3], keepdims=True)
    out = keras.ops.concatenate([t, keras.ops.tile(avg, (2, 2, 2, 1))], axis=-1)
    ref = np.sqrt(t.reshape(2, -1, 2, 2, 3).var(axis=0) + 1e-8).mean(axis=(1, 2, 3))
    np.testing.assert_allclose(out.numpy()[:2, 0, 0, 3], ref, rtol=1e-5)
    # WGAN-GP's gradient norm over every axis but the first, the axes given as a tensor
    sq = keras.ops.square(x)
    assert keras.ops.size(keras.ops.shape(sq)) == 4
    norms = keras.ops.sum(sq, axis=keras.ops.arange(1, keras.ops.size(keras.ops.shape(sq))))
    np.testing.assert_allclose(norms.numpy(), (x ** 2).sum(axis=(1, 2, 3)), rtol=1e-5)
    np.testing.assert_allclose(keras.ops.mean(x, axis=np.array([1, 2])).numpy(),
                               x.mean(axis=(1, 2)), rtol=1e-5)


# ---- keras.ops.fft family on (real, imag) pairs (keras-io's FNet token mixing) ---------------
def test_keras_fft_ops_match_numpy_and_differentiate():
    from pyengine.testing import gradcheck
    rng = np.random.default_rng(13)
    a, b = rng.normal(size=(2, 5, 6)), rng.normal(size=(2, 5, 6))
    z = a + 1j * b
    for op, ref in ((keras.ops.fft, np.fft.fft), (keras.ops.ifft, np.fft.ifft),
                    (keras.ops.fft2, np.fft.fft2), (keras.ops.ifft2, np.fft.ifft2)):
        re, im = op((a, b))
        np.testing.assert_allclose(re.numpy() + 1j * im.numpy(), ref(z), atol=1e-9)
    for n in (None, 4, 9):
        re, im = keras.ops.rfft(a, n)
        np.testing.assert_allclose(re.numpy() + 1j * im.numpy(), np.fft.rfft(a, n), atol=1e-9)
    spec = np.fft.rfft(a)
    for n in (None, 7, 12):
        np.testing.assert_allclose(keras.ops.irfft((spec.real, spec.imag), n).numpy(),
                                   np.fft.irfft(spec, n), atol=1e-9)
    x = tf.tensor(a[0], requires_grad=True)
    assert gradcheck(lambda t: keras.ops.fft2((t, keras.ops.zeros_like(t)))[0], [x])
    with pytest.raises(ValueError, match="tuple"):
        keras.ops.fft(a)

    class FNetEncoder(layers.Layer):
        def __init__(self, dim):
            super().__init__()
            self.ffn = keras.Sequential([layers.Dense(dim, activation="relu"), layers.Dense(dim)])
            self.n1, self.n2 = layers.LayerNormalization(), layers.LayerNormalization()

        def call(self, inputs):
            x = keras.ops.fft2((inputs, keras.ops.zeros_like(inputs)))[0]
            x = self.n1(x + inputs)
            return self.n2(x + self.ffn(x))
    keras.utils.set_random_seed(14)
    inp = keras.Input(shape=(6,), dtype="int32")
    h = FNetEncoder(8)(layers.Embedding(10, 8)(inp))
    model = keras.Model(inp, layers.Dense(10)(h))
    model.compile(keras.optimizers.Adam(1e-2),
                  keras.losses.SparseCategoricalCrossentropy(from_logits=True))
    seqs = (np.arange(24)[:, None] + np.arange(7)[None]) % 10
    hist = model.fit(seqs[:, :-1].astype("int32"), seqs[:, 1:], epochs=20, verbose=0)
    assert hist.history["loss"][-1] < 0.6 * hist.history["loss"][0]
