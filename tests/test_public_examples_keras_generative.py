"""keras-io explainability, generative and RL programs (vision/grad_cam,
vision/integrated_gradients, generative/pixelcnn, generative/vq_vae, rl/actor_critic_cartpole,
generative/real_nvp), each as a tiny model on synthetic data: the pieces the programs needed,
checked against NumPy."""
import importlib.util

import numpy as np
import pytest

import pyengine as tf
from pyengine import keras
from pyengine.keras import layers


# ---- vision/grad_cam -----------------------------------------------------------------------

def _gradcam_model(seed=0):
    keras.utils.set_random_seed(seed)
    inp = keras.Input(shape=(6, 6, 2))
    x = layers.Conv2D(3, 3, padding="same", activation="relu", name="last_conv")(inp)
    x = layers.GlobalAveragePooling2D()(x)
    return keras.Model(inp, layers.Dense(4, activation="softmax", name="head")(x))


def _make_gradcam_heatmap(img_array, model, last_conv_layer_name, pred_index=None):
    # the program's function, as written there
    grad_model = keras.models.Model(
        model.input, [model.get_layer(last_conv_layer_name).output, model.output])
    with tf.GradientTape() as tape:
        last_conv_layer_output, preds = grad_model(img_array)
        if pred_index is None:
            pred_index = tf.argmax(preds[0])
        class_channel = preds[:, pred_index]
    grads = tape.gradient(class_channel, last_conv_layer_output)
    pooled_grads = tf.reduce_mean(grads, axis=(0, 1, 2))
    last_conv_layer_output = last_conv_layer_output[0]
    heatmap = last_conv_layer_output @ pooled_grads[..., tf.newaxis]
    heatmap = tf.squeeze(heatmap)
    heatmap = tf.maximum(heatmap, 0) / tf.math.reduce_max(heatmap)
    return heatmap.numpy()


def test_gradcam_heatmap_equals_numpy_after_removing_softmax():
    model = _gradcam_model()
    model.layers[-1].activation = None  # the program removes the softmax this way
    img = np.random.default_rng(1).normal(size=(1, 6, 6, 2)).astype("float32")
    conv = keras.Model(model.input, model.get_layer("last_conv").output)
    a = conv.predict(img, verbose=0)[0].astype(np.float64)           # (6, 6, 3), after relu
    w, b = [v.astype(np.float64) for v in model.get_layer("head").get_weights()]
    logits = a.mean(axis=(0, 1)) @ w + b
    np.testing.assert_allclose(model.predict(img, verbose=0)[0], logits, rtol=1e-5, atol=1e-6)
    k = int(np.argmax(logits))
    pooled = w[:, k] / 36.0  # d logit_k / d a[i, j, c] = w[c, k] / (6 * 6), the same everywhere
    want = np.maximum(a @ pooled, 0) / np.max(a @ pooled)
    np.testing.assert_allclose(_make_gradcam_heatmap(img, model, "last_conv"), want,
                               rtol=1e-4, atol=1e-6)
    j = next(j for j in range(4) if j != k and np.max(a @ w[:, j]) > 0)  # pred_index=: another class
    other = a @ (w[:, j] / 36.0)
    np.testing.assert_allclose(_make_gradcam_heatmap(img, model, "last_conv", pred_index=j),
                               np.maximum(other, 0) / np.max(other), rtol=1e-4, atol=1e-6)


@pytest.mark.parametrize("make", [
    lambda: layers.Conv2D(2, 1, activation="relu"),
    lambda: layers.Dense(2, activation="relu"),
    lambda: layers.Conv1D(2, 1, activation="relu"),
    lambda: layers.SimpleRNN(2, activation="relu"),
])
def test_activation_replaced_after_build_takes_effect(make):
    layer = make()
    x = np.random.default_rng(0).normal(size=(3, 4, 4, 2) if isinstance(layer, layers.Conv2D)
                                        else (3, 4, 2) if not isinstance(layer, layers.Dense)
                                        else (3, 2)).astype("float32")
    assert (np.asarray(layer(x)) >= 0).all()
    layer.activation = None  # linear, as in Keras: negative outputs come back
    assert layer.activation is keras.activations.get("linear")
    assert (np.asarray(layer(x)) < 0).any()
    layer.activation = "tanh"
    assert layer.activation is keras.activations.get("tanh")


def test_replaced_activation_is_saved(tmp_path):
    inp = keras.Input(shape=(3,))
    x = layers.Conv1D(2, 1, activation="relu")(layers.Reshape((3, 1))(inp))
    model = keras.Model(inp, layers.Dense(2, "softmax")(layers.Flatten()(x)))  # positional
    model.layers[-1].activation = None
    model.layers[2].activation = "tanh"  # the Conv1D
    assert model.layers[-1].get_config()["activation"] == "linear"
    model.save(tmp_path / "m.keras")
    loaded = keras.models.load_model(tmp_path / "m.keras")
    x = np.random.default_rng(15).normal(size=(4, 3)).astype(np.float32)
    np.testing.assert_allclose(loaded.predict(x, verbose=0), model.predict(x, verbose=0),
                               rtol=1e-6, atol=1e-7)
    assert (model.predict(x, verbose=0) < 0).any()  # logits, not probabilities
    assert "activation" not in layers.Dense(3).get_config()["kwargs"]  # record unchanged


def test_activation_assignment_checks_the_name():
    with pytest.raises(ValueError, match="nonsense"):
        layers.Dense(2).activation = "nonsense"


# ---- vision/integrated_gradients -------------------------------------------------------------

def test_integrated_gradients_sum_to_the_output_difference():
    keras.utils.set_random_seed(2)
    inp = keras.Input(shape=(5, 5, 3))
    x = layers.Conv2D(4, 3, activation="tanh")(inp)
    x = layers.Flatten()(x)
    model = keras.Model(inp, layers.Dense(3, activation="softmax")(x))

    def get_gradients(img_input, top_pred_idx):  # the program's two functions, as written
        images = tf.cast(img_input, tf.float32)
        with tf.GradientTape() as tape:
            tape.watch(images)
            preds = model(images)
            top_class = preds[:, top_pred_idx]
        return tape.gradient(top_class, images)

    def get_integrated_gradients(img_input, top_pred_idx, baseline, num_steps):
        img_input = img_input.astype(np.float32)
        interpolated = np.array([baseline + (step / num_steps) * (img_input - baseline)
                                 for step in range(num_steps + 1)]).astype(np.float32)
        grads = []
        for img in interpolated:
            grads.append(get_gradients(tf.expand_dims(img, axis=0), top_pred_idx)[0])
        grads = tf.convert_to_tensor(grads, dtype=tf.float32)
        grads = (grads[:-1] + grads[1:]) / 2.0
        return (img_input - baseline) * tf.reduce_mean(grads, axis=0)

    rng = np.random.default_rng(3)
    img = rng.normal(size=(5, 5, 3)).astype(np.float32)
    baseline = np.zeros((5, 5, 3), np.float32)
    top = tf.argmax(model.predict(img[None], verbose=0)[0])
    ig = get_integrated_gradients(img, top, baseline, num_steps=64)
    runs = tf.convert_to_tensor([ig, ig])  # random_baseline_integrated_gradients' stacking
    assert tuple(tf.reduce_mean(runs, axis=0).shape) == (5, 5, 3)
    f = lambda a: float(model.predict(a[None], verbose=0)[0, int(top)])  # noqa: E731
    np.testing.assert_allclose(float(np.sum(ig.numpy())), f(img) - f(baseline), rtol=2e-2,
                               atol=1e-4)
    # one gradient against central differences in float64 terms
    g = get_gradients(img[None], top).numpy()[0]
    e = np.zeros_like(img); e[2, 1, 0] = 1e-2
    np.testing.assert_allclose(g[2, 1, 0], (f(img + e) - f(img - e)) / 2e-2, rtol=5e-2, atol=1e-4)


# ---- generative/pixelcnn ---------------------------------------------------------------------

class PixelConvLayer(layers.Layer):  # the program's masked convolution, as written
    def __init__(self, mask_type, **kwargs):
        super(PixelConvLayer, self).__init__()
        self.mask_type = mask_type
        self.conv = layers.Conv2D(**kwargs)

    def build(self, input_shape):
        self.conv.build(input_shape)
        kernel_shape = self.conv.kernel.get_shape()
        self.mask = np.zeros(shape=kernel_shape)
        self.mask[: kernel_shape[0] // 2, ...] = 1.0
        self.mask[kernel_shape[0] // 2, : kernel_shape[1] // 2, ...] = 1.0
        if self.mask_type == "B":
            self.mask[kernel_shape[0] // 2, kernel_shape[1] // 2, ...] = 1.0

    def call(self, inputs):
        self.conv.kernel.assign(self.conv.kernel * self.mask)
        return self.conv(inputs)


def test_pixelcnn_masked_kernel_trains_and_stays_causal():
    keras.utils.set_random_seed(4)
    inputs = keras.Input(shape=(6, 6, 1))
    x = PixelConvLayer(mask_type="A", filters=8, kernel_size=5, padding="same",
                       activation="relu")(inputs)
    x = PixelConvLayer(mask_type="B", filters=8, kernel_size=3, padding="same",
                       activation="relu")(x)
    out = layers.Conv2D(1, 1, activation="sigmoid")(x)
    model = keras.Model(inputs, out)
    model.compile(optimizer=keras.optimizers.Adam(0.01), loss="binary_crossentropy")
    rng = np.random.default_rng(5)
    data = (rng.random((64, 6, 6, 1)) < 0.3).astype(np.float32)
    data[:, :, 3] = 1.0  # a column to learn from the pixels above
    hist = model.fit(data, data, batch_size=16, epochs=4, verbose=0).history["loss"]
    assert hist[-1] < hist[0]
    img = data[:1].copy()
    base = model.predict(img, verbose=0)[0, ..., 0]
    k = model.layers[1].conv.kernel.numpy()
    assert np.abs(k[2, 2:]).max() == 0 and np.abs(k[3:]).max() == 0  # mask 'A' after training
    # pixel (r, c) sees only the pixels before it in raster order: changing (3, 2) moves no
    # earlier output and (3, 2)'s own output neither
    img[0, 3, 2, 0] = 1 - img[0, 3, 2, 0]
    after = model.predict(img, verbose=0)[0, ..., 0].ravel()
    np.testing.assert_array_equal(after[:3 * 6 + 3], base.ravel()[:3 * 6 + 3])
    assert not np.allclose(after[3 * 6 + 3:], base.ravel()[3 * 6 + 3:])


def test_get_shape_is_tensorflows_shape():
    v = layers.Dense(3)
    v.build((None, 2))
    assert tuple(v.kernel.get_shape()) == (2, 3)
    assert tuple(tf.zeros((2, 5)).get_shape()) == (2, 5)
    assert tuple(keras.Input(shape=(4,)).get_shape()) == (None, 4)


def test_save_img_writes_a_png_that_load_img_reads(tmp_path):
    pic = np.zeros((4, 5), np.float32)
    pic[1, 2] = 1.0
    rgb = np.stack((pic, pic, pic), 2) * 255.0  # the program's deprocess_image
    keras.preprocessing.image.save_img(tmp_path / "g.png", rgb.astype("uint8"))
    back = keras.utils.img_to_array(keras.utils.load_img(tmp_path / "g.png"))
    np.testing.assert_array_equal(back, rgb)
    gray = np.arange(12, dtype=np.float32).reshape(3, 4, 1)  # scale=True: min..max -> 0..255
    keras.utils.save_img(str(tmp_path / "s.png"), gray)
    got = keras.utils.img_to_array(keras.utils.load_img(tmp_path / "s.png",
                                                        color_mode="grayscale"))
    np.testing.assert_array_equal(got[..., 0], np.rint(np.arange(12).reshape(3, 4) * 255 / 11))
    with pytest.raises(ValueError, match=r"\[save_img\].*rank 3"):
        keras.utils.save_img(tmp_path / "bad.png", np.zeros((4, 4)))


def test_save_img_without_pillow_refuses_other_formats_and_options(tmp_path):
    if importlib.util.find_spec("PIL") is not None:
        pytest.skip("Pillow installed: it writes every format")
    with pytest.raises(ImportError, match=r"\[save_img\] writing jpg files needs Pillow"):
        keras.utils.save_img(tmp_path / "a.jpg", np.zeros((2, 2, 3)))
    with pytest.raises(TypeError, match="quality"):
        keras.utils.save_img(tmp_path / "a.png", np.zeros((2, 2, 3)), quality=90)


# ---- generative/vq_vae -----------------------------------------------------------------------

class VectorQuantizer(layers.Layer):  # the program's layer, as written
    def __init__(self, num_embeddings, embedding_dim, beta=0.25, **kwargs):
        super().__init__(**kwargs)
        self.embedding_dim = embedding_dim
        self.num_embeddings = num_embeddings
        self.beta = beta
        w_init = tf.random_uniform_initializer()
        self.embeddings = tf.Variable(
            initial_value=w_init(shape=(self.embedding_dim, self.num_embeddings),
                                 dtype="float32"),
            trainable=True, name="embeddings_vqvae")

    def call(self, x):
        input_shape = tf.shape(x)
        flattened = tf.reshape(x, [-1, self.embedding_dim])
        encoding_indices = self.get_code_indices(flattened)
        encodings = tf.one_hot(encoding_indices, self.num_embeddings)
        quantized = tf.matmul(encodings, self.embeddings, transpose_b=True)
        quantized = tf.reshape(quantized, input_shape)
        commitment_loss = self.beta * tf.reduce_mean((tf.stop_gradient(quantized) - x) ** 2)
        codebook_loss = tf.reduce_mean((quantized - tf.stop_gradient(x)) ** 2)
        self.add_loss(commitment_loss + codebook_loss)
        quantized = x + tf.stop_gradient(quantized - x)
        return quantized

    def get_code_indices(self, flattened_inputs):
        similarity = tf.matmul(flattened_inputs, self.embeddings)
        distances = (tf.reduce_sum(flattened_inputs ** 2, axis=1, keepdims=True)
                     + tf.reduce_sum(self.embeddings ** 2, axis=0) - 2 * similarity)
        return tf.argmin(distances, axis=1)


def test_vector_quantizer_straight_through_gradients_equal_numpy():
    keras.utils.set_random_seed(6)
    vq = VectorQuantizer(5, 3, beta=0.25)
    rng = np.random.default_rng(7)
    x = tf.constant(rng.normal(scale=0.05, size=(2, 2, 2, 3)).astype(np.float32))
    w = rng.normal(size=(2, 2, 2, 3))
    with tf.GradientTape() as tape:
        tape.watch(x)
        out = vq(x)
        total = tf.reduce_sum(out * tf.constant(w.astype(np.float32))) + sum(vq.losses)
    gx, ge = tape.gradient(total, [x, vq.embeddings])
    assert len(vq.losses) == 1 and vq.trainable_weights[0] is vq.embeddings
    # NumPy float64: nearest code per row, forward = the codes, gradients by the formulas
    xf = x.numpy().reshape(-1, 3).astype(np.float64)
    e = vq.embeddings.numpy().astype(np.float64)
    idx = np.argmin(((xf[:, :, None] - e[None]) ** 2).sum(1), axis=1)
    q = e[:, idx].T
    n = xf.size
    np.testing.assert_allclose(out.numpy().reshape(-1, 3), q, rtol=1e-6, atol=1e-7)
    np.testing.assert_allclose(float(sum(vq.losses)), 1.25 * np.mean((q - xf) ** 2), rtol=1e-5)
    np.testing.assert_allclose(gx.numpy().reshape(-1, 3),
                               w.reshape(-1, 3) + 0.5 * (xf - q) / n, rtol=1e-5, atol=1e-7)
    want_e = np.zeros_like(e)
    np.add.at(want_e.T, idx, 2 * (q - xf) / n)
    np.testing.assert_allclose(ge.numpy(), want_e, rtol=1e-5, atol=1e-7)
    codes = vq.get_code_indices(tf.constant(xf.astype(np.float32)))
    np.testing.assert_array_equal(codes.numpy(), idx)


def test_reshape_takes_a_shape_tensor_and_stop_gradient_detaches():
    x = tf.constant(np.arange(24, dtype=np.float32).reshape(2, 3, 4))
    y = tf.reshape(tf.reshape(x, [-1, 4]), tf.shape(x))
    assert tuple(y.shape) == (2, 3, 4)
    assert tuple(tf.reshape(x, np.array([4, 6])).shape) == (4, 6)
    with pytest.raises(TypeError, match=r"\[reshape\].*integers"):
        tf.reshape(x, tf.constant([4.0, 6.0]))
    v = tf.Variable(np.ones(3, np.float32))
    with tf.GradientTape() as tape:
        s = tf.reduce_sum(v * 2 + tf.stop_gradient(v * 5))
    np.testing.assert_allclose(tape.gradient(s, v).numpy(), [2, 2, 2])
    assert float(s.numpy()) == 21.0
    sym = tf.stop_gradient(keras.Input(shape=(3,)))  # on a symbolic tensor: a graph node
    assert tuple(sym.shape) == (None, 3)


def test_vqvae_trainer_fits_with_its_own_train_step():
    keras.utils.set_random_seed(8)
    inp = keras.Input(shape=(8, 8, 1))
    h = layers.Conv2D(8, 3, activation="relu", strides=2, padding="same")(inp)
    enc = keras.Model(inp, layers.Conv2D(4, 1, padding="same")(h), name="encoder")
    lat = keras.Input(shape=enc.output.shape[1:])
    h = layers.Conv2DTranspose(8, 3, activation="relu", strides=2, padding="same")(lat)
    dec = keras.Model(lat, layers.Conv2DTranspose(1, 3, padding="same")(h), name="decoder")
    inputs = keras.Input(shape=(8, 8, 1))
    vqvae = keras.Model(inputs, dec(VectorQuantizer(16, 4, name="vector_quantizer")(
        enc(inputs))), name="vq_vae")
    seen = []

    class VQVAETrainer(keras.models.Model):  # the program's trainer, shortened
        def __init__(self, train_variance, **kwargs):
            super().__init__(**kwargs)
            self.train_variance = train_variance
            self.vqvae = vqvae
            self.total_loss_tracker = keras.metrics.Mean(name="total_loss")
            self.vq_loss_tracker = keras.metrics.Mean(name="vq_loss")

        @property
        def metrics(self):
            return [self.total_loss_tracker, self.vq_loss_tracker]

        def train_step(self, x):
            with tf.GradientTape() as tape:
                reconstructions = self.vqvae(x)
                reconstruction_loss = (tf.reduce_mean((x - reconstructions) ** 2)
                                       / self.train_variance)
                total_loss = reconstruction_loss + sum(self.vqvae.losses)
            seen.append(len(self.vqvae.losses))
            grads = tape.gradient(total_loss, self.vqvae.trainable_variables)
            self.optimizer.apply_gradients(zip(grads, self.vqvae.trainable_variables))
            self.total_loss_tracker.update_state(total_loss)
            self.vq_loss_tracker.update_state(sum(self.vqvae.losses))
            return {"loss": self.total_loss_tracker.result(),
                    "vqvae_loss": self.vq_loss_tracker.result()}

    rng = np.random.default_rng(9)
    x = np.zeros((64, 8, 8, 1), np.float32)
    for i, (r, c) in enumerate(rng.integers(0, 5, (64, 2))):
        x[i, r:r + 3, c:c + 3] = 1.0
    x = x - 0.5
    trainer = VQVAETrainer(float(np.var(x + 0.5)))
    trainer.compile(optimizer=keras.optimizers.Adam(0.01))
    hist = trainer.fit(x, epochs=4, batch_size=16, verbose=0).history
    assert set(hist) == {"loss", "vqvae_loss"} and seen == [1] * 16
    assert hist["loss"][-1] < hist["loss"][0]
    codes = vqvae.get_layer("vector_quantizer").get_code_indices(
        vqvae.get_layer("encoder").predict(x[:4], verbose=0).reshape(-1, 4))
    assert codes.numpy().shape == (64,) and codes.numpy().max() < 16  # 4 images x 4 x 4


# ---- rl/actor_critic_cartpole ----------------------------------------------------------------

def test_numpy_functions_of_a_model_output_give_numpy_values():
    keras.utils.set_random_seed(10)
    inputs = layers.Input(shape=(4,))
    common = layers.Dense(16, activation="relu")(inputs)
    model = keras.Model(inputs, [layers.Dense(2, activation="softmax")(common),
                                 layers.Dense(1)(common)])
    action_probs, critic_value = model(tf.expand_dims(tf.convert_to_tensor(
        np.array([0.01, -0.02, 0.03, 0.04], np.float32)), 0))
    p = np.squeeze(action_probs)  # as TensorFlow: a float32 ndarray, not a Tensor
    assert type(p) is np.ndarray and p.dtype == np.float32 and p.shape == (2,)
    assert type(np.sum(action_probs)) is np.float32
    assert type(np.concatenate([action_probs, action_probs])) is np.ndarray
    # float32 probabilities whose float64 sum is 1 - 6e-8: NumPy accepts them only as an ndarray
    off = tf.constant(np.array([[0.3, 0.69999994]], np.float32))
    assert np.random.choice(2, p=np.squeeze(layers.Activation("linear")(off))) in (0, 1)
    np.testing.assert_allclose(np.squeeze(action_probs), action_probs.numpy()[0])


def test_actor_critic_episode_updates_every_weight():
    keras.utils.set_random_seed(11)
    inputs = layers.Input(shape=(4,))
    common = layers.Dense(16, activation="relu")(inputs)
    action = layers.Dense(2, activation="softmax")(common)
    critic = layers.Dense(1)(common)
    model = keras.Model(inputs=inputs, outputs=[action, critic])
    optimizer = keras.optimizers.Adam(learning_rate=0.01)
    huber_loss = keras.losses.Huber()
    rng = np.random.default_rng(12)
    log_probs, values, rewards = [], [], []
    before = [v.numpy().copy() for v in model.trainable_variables]
    with tf.GradientTape() as tape:  # one episode of the program's loop, a random-walk world
        state = rng.normal(size=4).astype(np.float32)
        for _ in range(12):
            state = tf.expand_dims(tf.convert_to_tensor(state), 0)
            action_probs, critic_value = model(state)
            values.append(critic_value[0, 0])
            a = np.random.choice(2, p=np.squeeze(action_probs))
            log_probs.append(tf.math.log(action_probs[0, a]))
            state = rng.normal(size=4).astype(np.float32) + a
            rewards.append(float(a))
        returns, discounted = [], 0.0
        for r in rewards[::-1]:
            discounted = r + 0.99 * discounted
            returns.insert(0, discounted)
        returns = np.array(returns)
        returns = ((returns - returns.mean()) / (returns.std() + 1e-7)).tolist()
        actor_losses, critic_losses = [], []
        for log_prob, value, ret in zip(log_probs, values, returns):
            diff = ret - value
            actor_losses.append(-log_prob * diff)
            critic_losses.append(huber_loss(tf.expand_dims(value, 0), tf.expand_dims(ret, 0)))
        loss_value = sum(actor_losses) + sum(critic_losses)
    grads = tape.gradient(loss_value, model.trainable_variables)
    assert all(g is not None and np.isfinite(g.numpy()).all() for g in grads)
    optimizer.apply_gradients(zip(grads, model.trainable_variables))
    assert all(not np.array_equal(b, v.numpy()) for b, v in zip(before, model.trainable_variables))
    # the critic's loss term against NumPy: Huber(delta=1) of (ret, value) pairs
    v = np.array([float(x.numpy()) for x in values])
    d = np.abs(np.array(returns) - v)
    want = np.where(d <= 1, 0.5 * d ** 2, d - 0.5).sum()
    np.testing.assert_allclose(float(sum(critic_losses).numpy()), want, rtol=1e-5)


# ---- generative/real_nvp ---------------------------------------------------------------------

def test_call_signatures_training_default_is_used_as_keras_does():
    seen = []

    class Flow(keras.Model):  # real_nvp's RealNVP.call(self, x, training=True)
        def __init__(self):
            super().__init__()
            self.inner = Inner()

        def call(self, x, training=True):
            seen.append(("flow", training))
            return self.inner(x)

        def test_step(self, data):  # real_nvp's: self(x) without training=
            self(data)
            return {"loss": 0.0}

    class Inner(layers.Layer):
        def call(self, x, training=None):
            seen.append(("inner", training))
            return x * 1.0

    m = Flow()
    x = np.ones((4, 2), np.float32)
    m(x)  # no argument, no outer call: call's default (True); the inner layer inherits it
    assert seen == [("flow", True), ("inner", True)]
    seen.clear()
    m(x, training=False)
    m.predict(x, verbose=0)
    assert seen == [("flow", False), ("inner", False)] * 2
    seen.clear()
    m.compile(optimizer="adam")
    m.evaluate(x, verbose=0)
    assert seen == [("flow", True), ("inner", True)]
    seen.clear()
    Inner()(x)  # default None and no outer call: the layer's mode (False)
    assert seen == [("inner", False)]


def test_real_nvp_coupling_inverts_itself():
    keras.utils.set_random_seed(13)

    def coupling():
        inp = keras.Input(shape=(2,))
        s = layers.Dense(2, activation="tanh")(layers.Dense(8, activation="relu")(inp))
        t = layers.Dense(2)(layers.Dense(8, activation="relu")(inp))
        return keras.Model(inp, [s, t])

    class RealNVP(keras.Model):  # the program's call, with 2 couplings
        def __init__(self):
            super().__init__()
            self.masks = np.array([[0, 1], [1, 0]], dtype="float32")
            self.layers_list = [coupling() for _ in range(2)]

        def call(self, x, training=True):
            log_det_inv = 0
            direction = -1 if training else 1
            for i in range(2)[::direction]:
                x_masked = x * self.masks[i]
                reversed_mask = 1 - self.masks[i]
                s, t = self.layers_list[i](x_masked)
                s *= reversed_mask
                t *= reversed_mask
                gate = (direction - 1) / 2
                x = (reversed_mask * (x * tf.exp(direction * s) + direction * t
                                      * tf.exp(gate * s)) + x_masked)
                log_det_inv += gate * tf.reduce_sum(s, [1])
            return x, log_det_inv

    model = RealNVP()
    data = np.random.default_rng(14).normal(size=(6, 2)).astype(np.float32)
    z, logdet = model(data)  # data -> latent (training=True by default)
    back, _ = model.predict(np.asarray(z), verbose=0)  # latent -> data
    np.testing.assert_allclose(back, data, rtol=1e-5, atol=1e-5)
    # log|det dz/dx| against finite differences of the flow, in float64 terms
    eps = 1e-3
    for k in range(2):
        jac = np.stack([(np.asarray(model(data[k:k + 1] + eps * e)[0])
                         - np.asarray(model(data[k:k + 1] - eps * e)[0]))[0] / (2 * eps)
                        for e in np.eye(2, dtype=np.float32)], axis=1)
        np.testing.assert_allclose(float(np.asarray(logdet)[k]),
                                   np.log(abs(np.linalg.det(jac))), rtol=2e-2, atol=2e-3)


def test_array_to_img_dtype_is_the_dtype_the_pixels_are_converted_in():
    # keras.utils.array_to_img(dtype=) (Pillow builds the image; the conversion is shared)
    from pyengine.keras.preprocessing.image_dataset import to_uint8_image
    x = np.full((2, 2, 1), 2.7)
    assert to_uint8_image(x, None, False, "array_to_img")[0, 0, 0] == 3  # float32, rounded
    assert to_uint8_image(x, None, False, "array_to_img", "int32")[0, 0, 0] == 2  # truncated
    with pytest.raises(TypeError, match=r"\[array_to_img\] dtype 'nope'"):
        to_uint8_image(x, None, False, "array_to_img", "nope")
