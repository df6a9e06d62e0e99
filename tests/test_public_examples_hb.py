"""Original tests of the API patterns of keras-io vision programs (M-Z) run with only their
imports changed: MLP-Mixer / gMLP blocks (tf.linalg.matrix_transpose), a mixture-of-experts
model whose custom train_step / test_step return extra logs (evaluate's list order), metric
learning on x-only Sequence batches with a custom train_step, RandAugment's py_function
pipeline with save_weights / load_weights, and Reptile's meta-step (get_weights / set_weights,
tf.argmax on predict's NumPy output). Tiny sizes, synthetic data; no program text is used."""
import numpy as np
import pytest

import pyengine as tf
from pyengine import keras
from pyengine.keras import layers


# ---- tf.linalg.matrix_transpose (MLP-Mixer, gMLP) ------------------------------------------
def test_matrix_transpose_and_adjoint_match_numpy():
    a = np.random.default_rng(0).normal(size=(2, 3, 4, 5)).astype("float32")
    out = tf.linalg.matrix_transpose(a)
    np.testing.assert_array_equal(out.numpy(), np.swapaxes(a, -1, -2))
    np.testing.assert_array_equal(tf.linalg.adjoint(tf.constant(a)).numpy(),
                                  np.swapaxes(a, -1, -2))
    np.testing.assert_array_equal(tf.linalg.matrix_transpose(a, conjugate=True).numpy(),
                                  np.swapaxes(a, -1, -2))
    with pytest.raises(ValueError, match="matrix_transpose"):
        tf.linalg.matrix_transpose(np.ones(3, "float32"))


def test_matrix_transpose_gradient_and_symbolic_graph():
    x = tf.tensor(np.arange(6.0).reshape(2, 3), requires_grad=True)
    w = tf.tensor(np.arange(6.0).reshape(3, 2))
    (tf.linalg.matrix_transpose(x) * w).sum().backward()
    np.testing.assert_array_equal(x.grad.numpy(), w.numpy().T)
    inp = keras.Input((4, 6))
    out = tf.linalg.matrix_transpose(inp)
    assert tuple(out.shape) == (None, 6, 4)
    m = keras.Model(inp, out)
    a = np.random.default_rng(1).normal(size=(3, 4, 6)).astype("float32")
    np.testing.assert_array_equal(m.predict(a, verbose=0), np.swapaxes(a, 1, 2))


class _TokenMixer(layers.Layer):
    """The mixer pattern: an MLP over the patch axis through two matrix transposes."""

    def __init__(self, num_patches, **kwargs):
        super().__init__(**kwargs)
        self.mlp = keras.Sequential([layers.Dense(num_patches), layers.Activation("gelu"),
                                     layers.Dense(num_patches)])
        self.norm = layers.LayerNormalization(epsilon=1e-6)

    def call(self, inputs):
        x = tf.linalg.matrix_transpose(self.norm(inputs))
        return tf.linalg.matrix_transpose(self.mlp(x)) + inputs


def test_mixer_block_classifier_learns():
    keras.utils.set_random_seed(2)
    rng = np.random.default_rng(2)
    y = rng.integers(0, 3, 96)
    x = rng.normal(size=(96, 4, 8)).astype("float32")
    x[np.arange(96), :, y] += 1.5  # the class is the feature that is bright
    inp = keras.Input((4, 8))
    h = keras.Sequential([_TokenMixer(4), _TokenMixer(4)])(layers.Dense(8)(inp))
    out = layers.Dense(3)(layers.GlobalAveragePooling1D()(h))
    model = keras.Model(inp, out)
    model.compile(keras.optimizers.AdamW(learning_rate=0.01, weight_decay=1e-4),
                  keras.losses.SparseCategoricalCrossentropy(from_logits=True),
                  metrics=[keras.metrics.SparseCategoricalAccuracy(name="acc"),
                           keras.metrics.SparseTopKCategoricalAccuracy(2, name="top2")])
    hist = model.fit(x, y[:, None], batch_size=32, epochs=12, verbose=0,
                     validation_split=0.1,
                     callbacks=[keras.callbacks.ReduceLROnPlateau("val_loss", patience=5)])
    assert hist.history["loss"][-1] < 0.6 * hist.history["loss"][0]
    loss, acc, top2 = model.evaluate(x, y[:, None], verbose=0)
    assert acc > 0.8 and top2 >= acc


# ---- evaluate's list order with custom steps (mixture of experts) ---------------------------
class _ExtraLogsModel(keras.Model):
    """A custom step returning its own key first, then the metrics, as the MoE program does."""

    def __init__(self):
        super().__init__()
        self.dense = layers.Dense(3, activation="softmax")

    def call(self, x):
        return self.dense(x)

    def train_step(self, data):
        x, y = data
        with tf.GradientTape() as tape:
            pred = self(x, training=True)
            loss = self.compute_loss(x, y, pred)
            aux = 0.0 * tf.reduce_sum(pred) + 7.0
            total = loss + 0.0 * aux
        grads = tape.gradient(total, self.trainable_variables)
        self.optimizer.apply_gradients(zip(grads, self.trainable_variables))
        self.compiled_metrics.update_state(y, pred)
        return {"aux_loss": aux, **{m.name: m.result() for m in self.metrics}}

    def test_step(self, data):
        x, y = data
        pred = self(x, training=False)
        self.compiled_metrics.update_state(y, pred)
        return {"zz_extra": 7.0, "aux_loss": 5.0, **{m.name: m.result() for m in self.metrics}}


def test_evaluate_lists_metrics_first_then_other_keys_sorted():
    rng = np.random.default_rng(3)
    x = rng.normal(size=(40, 5)).astype("float32")
    y = keras.utils.to_categorical(rng.integers(0, 3, 40), 3)
    model = _ExtraLogsModel()
    model.compile("adam", keras.losses.CategoricalCrossentropy(), metrics=["accuracy"])
    model.fit(x, y, epochs=1, batch_size=20, verbose=0)
    logs = model.evaluate(x, y, verbose=0, return_dict=True)
    score = model.evaluate(x, y, verbose=0)
    names = [m.name for m in model.metrics]
    assert names[:2] == ["loss", "accuracy"]
    # Keras' order: the metrics by name (the untouched loss tracker reads 0), then the other
    # keys sorted: aux_loss before zz_extra, whatever order the step returned them in
    assert score == [logs["loss"], logs["accuracy"], 5.0, 7.0]
    assert 0.0 <= score[1] <= 1.0
    assert model.test_on_batch(x, y) == score


# ---- metric learning: x-only Sequence batches, custom train_step ---------------------------
class _PairBatches(keras.utils.Sequence):
    def __init__(self, images, labels, steps):
        super().__init__()
        self.images, self.labels, self.steps = images, labels, steps
        self.rng = np.random.default_rng(4)

    def __len__(self):
        return self.steps

    def __getitem__(self, idx):
        out = np.empty((2, 4) + self.images.shape[1:], "float32")
        for c in range(4):
            a, p = self.rng.choice(np.flatnonzero(self.labels == c), 2, replace=False)
            out[0, c], out[1, c] = self.images[a], self.images[p]
        return out  # x only: the step makes its own labels


class _PairModel(keras.Model):
    def train_step(self, data):
        anchors, positives = data[0], data[1]
        with tf.GradientTape() as tape:
            sims = tf.einsum("ae,pe->ap", self(anchors, training=True),
                             self(positives, training=True)) / 0.2
            loss = self.compiled_loss(tf.range(4), sims)
        grads = tape.gradient(loss, self.trainable_variables)
        self.optimizer.apply_gradients(zip(grads, self.trainable_variables))
        return {m.name: m.result() for m in self.metrics}


def test_metric_learning_on_x_only_sequence():
    keras.utils.set_random_seed(5)
    rng = np.random.default_rng(5)
    labels = rng.integers(0, 4, 80)
    images = rng.uniform(0, 0.5, (80, 8, 8, 3)).astype("float32")
    images[..., 0] += 0.15 * labels[:, None, None]
    inp = layers.Input((8, 8, 3))
    h = layers.Conv2D(8, 3, strides=2, activation="relu")(inp)
    h = layers.Dense(4)(layers.GlobalAveragePooling2D()(h))
    model = _PairModel(inp, tf.nn.l2_normalize(h, axis=-1))
    model.compile(keras.optimizers.Adam(1e-2),
                  keras.losses.SparseCategoricalCrossentropy(from_logits=True))
    hist = model.fit(_PairBatches(images, labels, 20), epochs=4, verbose=0)
    assert hist.history["loss"][-1] < 0.8 * hist.history["loss"][0]
    emb = model.predict(images, verbose=0)
    np.testing.assert_allclose(np.linalg.norm(emb, axis=1), 1.0, rtol=1e-5)


def test_default_train_step_still_requires_targets():
    model = keras.Sequential([keras.Input((3,)), layers.Dense(1)])
    model.compile("sgd", "mse")
    data = tf.data.Dataset.from_tensor_slices(np.ones((4, 3), "float32")).batch(2)
    with pytest.raises(ValueError, match=r"\(x, y\)"):
        model.fit(data, epochs=1, verbose=0)
    with pytest.raises(ValueError, match="y"):
        model.evaluate(np.ones((4, 3), "float32"), verbose=0)


# ---- tf.argmax on NumPy (Reptile) ----------------------------------------------------------
def test_argmax_reads_tensorflow_and_torch_calls():
    p = np.array([[0.1, 0.7, 0.2], [0.8, 0.1, 0.1], [0.1, 0.1, 0.9], [0.0, 0.6, 0.4]],
                 "float32")
    # tf.argmax(ndarray): axis 0 (torch refuses non-tensors)
    np.testing.assert_array_equal(tf.argmax(p).numpy(), [1, 0, 2])
    np.testing.assert_array_equal(tf.argmin(p).numpy(), [3, 1, 1])  # first minimum
    np.testing.assert_array_equal(tf.math.argmax(p.tolist()).numpy(), [1, 0, 2])
    # torch.argmax(tensor): the flattened index
    assert tf.argmax(tf.tensor(p)).item() == 8
    assert tf.argmax(tf.tensor(p), dim=1, keepdim=True).shape == (4, 1)
    # TensorFlow's keywords and positional output_type
    t = tf.tensor(p)
    out = tf.argmax(t, output_type=tf.int32)
    assert out.dtype == tf.int32
    np.testing.assert_array_equal(out.numpy(), [1, 0, 2])
    out = tf.argmax(t, 1, tf.int32)
    assert out.dtype == tf.int32
    np.testing.assert_array_equal(out.numpy(), [1, 0, 2, 1])
    assert tf.argmax(p, axis=1).dtype == tf.int64
    with pytest.raises(TypeError, match="argmax"):
        tf.argmax(p, output_type=tf.float32)
    # keras.ops.argmax keeps NumPy's rule (flattened)
    assert int(keras.ops.argmax(p)) == 8


def test_reptile_meta_step_with_get_set_weights():
    keras.utils.set_random_seed(6)
    rng = np.random.default_rng(6)
    inp = layers.Input((6, 6, 1))
    h = layers.ReLU()(layers.BatchNormalization()(layers.Conv2D(4, 3, strides=2,
                                                                padding="same")(inp)))
    model = keras.Model(inp, layers.Dense(3, activation="softmax")(layers.Flatten()(h)))
    model.compile()
    opt = keras.optimizers.SGD(learning_rate=0.05)
    x = rng.normal(size=(12, 6, 6, 1)).astype("float32")
    y = np.repeat(np.arange(3), 4).astype("int32")
    x[np.arange(12), y, 0, 0] += 3.0
    before = model.get_weights()
    ds = tf.data.Dataset.from_tensor_slices((x, y)).shuffle(100).batch(6).repeat(3)
    losses = []
    for images, labels in ds:
        with tf.GradientTape() as tape:
            loss = keras.losses.sparse_categorical_crossentropy(labels, model(images))
        grads = tape.gradient(loss, model.trainable_weights)
        opt.apply_gradients(zip(grads, model.trainable_weights))
        losses.append(float(tf.reduce_mean(loss)))
    after = model.get_weights()
    model.set_weights([o + (n - o) * 0.25 for o, n in zip(before, after)])
    for o, n, m in zip(before, after, model.get_weights()):
        np.testing.assert_allclose(m, o + (n - o) * 0.25, rtol=1e-6, atol=1e-7)
    assert losses[-1] < losses[0]
    pred = tf.argmax(model.predict(x[::4], verbose=0), axis=1).numpy()
    assert pred.shape == (3,)


# ---- semantic image clustering: tf.gather, tf.linalg.einsum on Keras tensors -----------------
def test_tf_gather_matches_numpy_take():
    p = np.arange(2 * 3 * 4, dtype=np.float32).reshape(2, 3, 4)
    np.testing.assert_array_equal(tf.gather(p, [2, 0], axis=1).numpy(), np.take(p, [2, 0], 1))
    idx = np.array([[1, 0], [1, 1]])
    np.testing.assert_array_equal(tf.gather(p, idx).numpy(), np.take(p, idx, 0))
    np.testing.assert_array_equal(tf.gather(p, 2, axis=-1).numpy(), p[..., 2])
    b = np.array([[0, 2], [1, 1]])  # batch_dims=1: each row picks its own slices
    np.testing.assert_array_equal(tf.gather(p, b, axis=1, batch_dims=1).numpy(),
                                  np.stack([p[k][b[k]] for k in range(2)]))
    np.testing.assert_array_equal(tf.gather(p, b, axis=2, batch_dims=1).numpy(),
                                  np.stack([p[k][:, b[k]] for k in range(2)]))
    with pytest.raises(tf.errors.InvalidArgumentError, match=r"tf.gather.*not in \[0, 3\)"):
        tf.gather(p, [3], axis=1)
    with pytest.raises(TypeError, match="tf.gather"):
        tf.gather(p, [0.5])
    with pytest.raises(TypeError, match="gather"):
        tf.gather(p, [0], axis=1, index=[0])


def test_tf_gather_gradient_and_torch_form():
    x = tf.tensor(np.arange(6.0).reshape(3, 2), requires_grad=True)
    tf.gather(x, tf.tensor(np.array([0, 0, 2]))).sum().backward()
    np.testing.assert_array_equal(x.grad.numpy(), [[2, 2], [0, 0], [1, 1]])
    t = tf.tensor(np.array([[1.0, 2.0], [3.0, 4.0]]))  # torch.gather(input, dim, index)
    ix = tf.tensor(np.array([[0, 0], [1, 0]]))
    np.testing.assert_array_equal(tf.gather(t, 1, ix).numpy(), [[1, 1], [4, 3]])
    np.testing.assert_array_equal(tf.gather(t, dim=0, index=ix).numpy(), [[1, 2], [3, 2]])


def test_einsum_on_arrays_and_keras_tensors_in_a_two_output_model():
    keras.utils.set_random_seed(7)
    a = np.random.default_rng(7).normal(size=(2, 3)).astype("float32")
    np.testing.assert_allclose(tf.einsum("ij,kj->ik", a, a).numpy(), a @ a.T, rtol=1e-6)
    np.testing.assert_allclose(tf.linalg.einsum("ij->j", [a]).numpy(), a.sum(0), rtol=1e-6)
    with pytest.raises(ValueError, match="optimize"):
        tf.einsum("ij->j", a, optimize="fastest")
    anchor, neigh = keras.Input((4,), name="anchors"), keras.Input((3, 4), name="neighbours")
    enc = layers.Dense(5, activation="softmax")
    pa = enc(anchor)
    pn = tf.reshape(enc(tf.reshape(neigh, (-1, 4))), (-1, 3, 5))
    sim = tf.linalg.einsum("bij,bkj->bik", tf.expand_dims(pa, axis=1), pn)
    sim = layers.Lambda(lambda s: tf.squeeze(s, axis=1), name="similarity")(sim)
    model = keras.Model([anchor, neigh], [sim, pa])
    rng = np.random.default_rng(8)
    xa, xn = rng.normal(size=(6, 4)).astype("float32"), rng.normal(size=(6, 3, 4)).astype(
        "float32")
    s, p = model.predict({"anchors": xa, "neighbours": xn}, verbose=0)
    w, bias = (v.numpy() for v in enc.weights)
    soft = lambda z: np.exp(z) / np.exp(z).sum(-1, keepdims=True)  # noqa: E731
    ref_a, ref_n = soft(xa @ w + bias), soft(xn @ w + bias)
    np.testing.assert_allclose(s, np.einsum("bj,bkj->bk", ref_a, ref_n), rtol=1e-5)
    np.testing.assert_allclose(p, ref_a, rtol=1e-5)
    model.compile("adam", [keras.losses.BinaryCrossentropy(from_logits=True), "mse"])
    hist = model.fit({"anchors": xa, "neighbours": xn}, [np.ones((6, 3), "float32"),
                                                         np.full((6, 5), 0.2, "float32")],
                     epochs=3, verbose=0)
    assert hist.history["loss"][-1] < hist.history["loss"][0]


# ---- SimSiam: tf.image colour jitter, tf.keras.experimental.CosineDecay -------------------
def _hsv_reference(rgb):
    import colorsys
    return np.array([colorsys.rgb_to_hsv(*p) for p in rgb.reshape(-1, 3)]).reshape(rgb.shape)


def _rgb_reference(hsv):
    import colorsys
    return np.array([colorsys.hsv_to_rgb(*p) for p in hsv.reshape(-1, 3)]).reshape(hsv.shape)


def test_adjust_contrast_saturation_hue_match_references():
    rng = np.random.default_rng(9)
    img = rng.uniform(0, 1, (2, 4, 5, 3))
    mean = img.mean(axis=(1, 2), keepdims=True)
    np.testing.assert_allclose(tf.image.adjust_contrast(img, 1.7).numpy(),
                               (img - mean) * 1.7 + mean, rtol=1e-12)
    hsv = _hsv_reference(img)
    np.testing.assert_allclose(tf.image.rgb_to_hsv(img).numpy(), hsv, atol=1e-12)
    np.testing.assert_allclose(tf.image.hsv_to_rgb(hsv).numpy(), img, atol=1e-12)
    sat = hsv.copy()
    sat[..., 1] = np.clip(sat[..., 1] * 1.6, 0, 1)
    np.testing.assert_allclose(tf.image.adjust_saturation(img, 1.6).numpy(),
                               _rgb_reference(sat), atol=1e-12)
    hue = hsv.copy()
    hue[..., 0] = np.mod(hue[..., 0] - 0.3, 1.0)
    np.testing.assert_allclose(tf.image.adjust_hue(img, -0.3).numpy(), _rgb_reference(hue),
                               atol=1e-12)


def test_colour_jitter_on_uint8_keeps_dtype_and_validates():
    rng = np.random.default_rng(10)
    img = rng.integers(0, 256, (6, 6, 3)).astype(np.uint8)
    for out in (tf.image.random_contrast(img, 0.68, 1.32),
                tf.image.random_saturation(img, 0.68, 1.32),
                tf.image.random_hue(img, 0.02),
                tf.image.adjust_contrast(img, 3.0)):
        assert out.dtype == tf.uint8 and out.shape == (6, 6, 3)
    flt = img / 255.0
    mean = flt.mean(axis=(0, 1), keepdims=True)
    ref = np.floor(np.clip((flt - mean) * 3.0 + mean, 0, 1) * 255.5)
    np.testing.assert_array_equal(tf.image.adjust_contrast(img, 3.0).numpy(), ref)
    a = tf.image.random_contrast(img.astype("float32"), 0.5, 1.5, seed=3).numpy()
    b = tf.image.random_contrast(img.astype("float32"), 0.5, 1.5, seed=3).numpy()
    np.testing.assert_array_equal(a, b)
    x = tf.tensor(flt, requires_grad=True)
    tf.image.adjust_contrast(x, 2.0).sum().backward()  # sum is unchanged: grad of ones
    np.testing.assert_allclose(x.grad.numpy(), np.ones_like(flt), atol=1e-12)
    with pytest.raises(ValueError, match="random_contrast"):
        tf.image.random_contrast(img, 1.2, 0.8)
    with pytest.raises(ValueError, match="random_hue"):
        tf.image.random_hue(img, 0.7)
    with pytest.raises(ValueError, match="adjust_saturation"):
        tf.image.adjust_saturation(img[..., :2], 1.0)
    with pytest.raises(TypeError, match="rgb_to_hsv"):
        tf.image.rgb_to_hsv(img)


def _siam_encoder():
    inp = layers.Input((8, 8, 3))
    h = layers.Conv2D(8, 3, padding="same", activation="relu")(
        layers.Rescaling(1.0 / 127.5, offset=-1)(inp))
    h = layers.GlobalAveragePooling2D(name="backbone_pool")(h)
    h = layers.Dense(16, use_bias=False, kernel_regularizer=keras.regularizers.l2(5e-4))(h)
    return keras.Model(inp, layers.BatchNormalization()(h), name="encoder")


class _SimSiam(keras.Model):
    def __init__(self, encoder, predictor):
        super().__init__()
        self.encoder, self.predictor = encoder, predictor
        self.loss_tracker = keras.metrics.Mean(name="loss")

    @property
    def metrics(self):
        return [self.loss_tracker]

    def train_step(self, data):
        one, two = data

        def neg_cos(p, z):
            z = tf.math.l2_normalize(tf.stop_gradient(z), axis=1)
            return -tf.reduce_mean(tf.reduce_sum(tf.math.l2_normalize(p, axis=1) * z, axis=1))
        with tf.GradientTape() as tape:
            z1, z2 = self.encoder(one), self.encoder(two)
            loss = neg_cos(self.predictor(z1), z2) / 2 + neg_cos(self.predictor(z2), z1) / 2
        params = self.encoder.trainable_variables + self.predictor.trainable_variables
        self.optimizer.apply_gradients(zip(tape.gradient(loss, params), params))
        self.loss_tracker.update_state(loss)
        return {"loss": self.loss_tracker.result()}


def test_simsiam_pattern_zipped_seeded_views_and_linear_probe():
    keras.utils.set_random_seed(11)
    rng = np.random.default_rng(11)
    images = rng.integers(0, 200, (48, 10, 10, 3)).astype(np.uint8)

    def augment(im):
        im = tf.image.random_crop(tf.image.random_flip_left_right(im), (8, 8, 3))
        im = tf.image.random_contrast(tf.image.random_brightness(im, 0.3), 0.7, 1.3)
        return tf.clip_by_value(tf.tile(tf.image.rgb_to_grayscale(im), [1, 1, 3]), 0, 255)

    def view():
        return (tf.data.Dataset.from_tensor_slices(images).shuffle(64, seed=26)
                .map(augment, num_parallel_calls=tf.data.AUTOTUNE).batch(16))
    order = [tf.data.Dataset.from_tensor_slices(np.arange(48)).shuffle(64, seed=26)
             for _ in range(2)]
    assert [int(v) for v in order[0]] == [int(v) for v in order[1]]
    first = next(iter(view()))
    assert first.dtype == tf.uint8 and first.shape == (16, 8, 8, 3)
    predictor = keras.Sequential([layers.Input((16,)), layers.Dense(4, use_bias=False),
                                  layers.ReLU(), layers.BatchNormalization(), layers.Dense(16)])
    assert keras.experimental.CosineDecay is keras.optimizers.schedules.CosineDecay
    lr = keras.experimental.CosineDecay(initial_learning_rate=0.05, decay_steps=12)
    model = _SimSiam(_siam_encoder(), predictor)
    model.compile(optimizer=keras.optimizers.SGD(lr, momentum=0.6))
    hist = model.fit(tf.data.Dataset.zip((view(), view())), epochs=4, verbose=0,
                     callbacks=[keras.callbacks.EarlyStopping("loss", patience=5,
                                                              restore_best_weights=True)])
    assert hist.history["loss"][-1] < hist.history["loss"][0]
    assert all(-1.0 <= v <= 1.0 for v in hist.history["loss"])
    backbone = keras.Model(model.encoder.input, model.encoder.get_layer("backbone_pool").output)
    backbone.trainable = False
    inp = layers.Input((8, 8, 3))
    probe = keras.Model(inp, layers.Dense(2, activation="softmax")(backbone(inp, training=False)))
    probe.compile("adam", "sparse_categorical_crossentropy", metrics=["accuracy"])
    frozen = [w.copy() for w in backbone.get_weights()]
    probe.fit(images[:, :8, :8], np.arange(48) % 2, epochs=1, batch_size=16, verbose=0)
    for a, b in zip(frozen, backbone.get_weights()):
        np.testing.assert_array_equal(a, b)


# ---- NNCLR: crop_and_resize, zipped unlabeled + labeled batches, per-sample loss logs --------
def _crop_and_resize_reference(img, boxes, idx, ch, cw, extrapolation=0.0):
    """TensorFlow's crop_and_resize kernel, one output pixel at a time."""
    n, h, w, c = img.shape
    out = np.zeros((len(boxes), ch, cw, c))
    for b, ((y1, x1, y2, x2), k) in enumerate(zip(boxes, idx)):
        for i in range(ch):
            y = y1 * (h - 1) + i * (y2 - y1) * (h - 1) / (ch - 1) if ch > 1 else \
                0.5 * (y1 + y2) * (h - 1)
            for j in range(cw):
                x = x1 * (w - 1) + j * (x2 - x1) * (w - 1) / (cw - 1) if cw > 1 else \
                    0.5 * (x1 + x2) * (w - 1)
                if not (0 <= y <= h - 1 and 0 <= x <= w - 1):
                    out[b, i, j] = extrapolation
                    continue
                t, lft = int(np.floor(y)), int(np.floor(x))
                bt, r = int(np.ceil(y)), int(np.ceil(x))
                top = img[k, t, lft] + (img[k, t, r] - img[k, t, lft]) * (x - lft)
                bottom = img[k, bt, lft] + (img[k, bt, r] - img[k, bt, lft]) * (x - lft)
                out[b, i, j] = top + (bottom - top) * (y - t)
    return out


def test_crop_and_resize_matches_the_kernel_and_flows_gradients():
    rng = np.random.default_rng(12)
    img = rng.uniform(0, 1, (2, 6, 7, 2)).astype("float32")
    boxes = np.array([[0.0, 0.0, 1.0, 1.0], [0.1, 0.2, 0.7, 0.9], [0.8, 0.6, 0.2, 0.1],
                      [-0.2, 0.3, 0.5, 1.3], [0.4, 0.4, 0.4, 0.4]], "float32")
    idx = np.array([1, 0, 1, 0, 1], "int32")
    out = tf.image.crop_and_resize(img, boxes, idx, (4, 5), extrapolation_value=-1.0)
    assert out.dtype == tf.float32 and out.shape == (5, 4, 5, 2)
    ref = _crop_and_resize_reference(img.astype(np.float64), boxes.astype(np.float64), idx,
                                     4, 5, -1.0)
    np.testing.assert_allclose(out.numpy(), ref, rtol=1e-5, atol=1e-6)
    one = tf.image.crop_and_resize(img, boxes[:2], idx[:2], (1, 1)).numpy()
    np.testing.assert_allclose(one, _crop_and_resize_reference(
        img.astype(np.float64), boxes[:2].astype(np.float64), idx[:2], 1, 1), rtol=1e-5)
    near = tf.image.crop_and_resize(img, boxes[:1], [0], (6, 7), method="nearest").numpy()
    np.testing.assert_array_equal(near[0], img[0])
    x = tf.tensor(img, requires_grad=True)
    tf.image.crop_and_resize(x, boxes[:1], [0], (6, 7)).sum().backward()
    np.testing.assert_allclose(x.grad.numpy()[0], 1.0, rtol=1e-5)
    np.testing.assert_array_equal(x.grad.numpy()[1], 0.0)
    with pytest.raises(ValueError, match="box_indices"):
        tf.image.crop_and_resize(img, boxes[:1], [2], (3, 3))
    with pytest.raises(ValueError, match="method"):
        tf.image.crop_and_resize(img, boxes[:1], [0], (3, 3), method="bicubic")


def test_shape_out_type():
    x = np.zeros((3, 4), "float32")
    assert tf.shape(x).dtype == tf.int32
    assert tf.shape(x, out_type=tf.int64).dtype == tf.int64
    s = tf.shape(x, out_type=tf.float32)
    assert s.dtype == tf.float32 and s.numpy().tolist() == [3.0, 4.0]
    with pytest.raises(TypeError, match="tf.shape"):
        tf.shape(x, out_type=tf.bool)


class _TwoSourceModel(keras.Model):
    """NNCLR's step: a zip of an unlabeled and a labeled batch of different sizes, a
    per-sample contrastive loss returned in the logs."""

    def __init__(self):
        super().__init__()
        self.encoder = keras.Sequential([layers.Input((4,)), layers.Dense(6, activation="relu")])
        self.probe = keras.Sequential([layers.Input((6,)), layers.Dense(2)])
        self.acc = keras.metrics.SparseCategoricalAccuracy()

    def compile(self, contrastive_optimizer, probe_optimizer, **kwargs):
        super().compile(**kwargs)
        self.c_opt, self.p_opt = contrastive_optimizer, probe_optimizer

    def train_step(self, data):
        (unlabeled, _), (labeled, labels) = data
        images = tf.concat((unlabeled, labeled), axis=0)
        with tf.GradientTape() as tape:
            f = tf.math.l2_normalize(self.encoder(images), axis=1)
            sims = tf.matmul(f, f, transpose_b=True) / 0.5
            c_loss = keras.losses.sparse_categorical_crossentropy(
                tf.range(tf.shape(images)[0]), sims, from_logits=True)
        w = self.encoder.trainable_weights
        self.c_opt.apply_gradients(zip(tape.gradient(c_loss, w), w))
        with tf.GradientTape() as tape:
            logits = self.probe(self.encoder(labeled))
            p_loss = keras.losses.sparse_categorical_crossentropy(labels, logits,
                                                                  from_logits=True)
            p_loss = tf.reduce_mean(p_loss)
        w = self.probe.trainable_weights
        self.p_opt.apply_gradients(zip(tape.gradient(p_loss, w), w))
        self.acc.update_state(labels, logits)
        self.last_c_loss = c_loss.numpy()
        return {"c_loss": c_loss, "p_loss": p_loss, "p_acc": self.acc.result()}

    def test_step(self, data):
        x, y = data
        logits = self.probe(self.encoder(x))
        self.acc.update_state(y, logits)
        return {"p_acc": self.acc.result()}


def test_zipped_sources_of_different_batch_sizes_with_own_train_step():
    keras.utils.set_random_seed(13)
    rng = np.random.default_rng(13)
    unl = tf.data.Dataset.from_tensor_slices(
        (rng.normal(size=(40, 4)).astype("float32"), np.full(40, -1))).batch(10)
    y = rng.integers(0, 2, 16)
    x = rng.normal(size=(16, 4)).astype("float32") + y[:, None]
    lab = tf.data.Dataset.from_tensor_slices((x, y)).batch(4)
    model = _TwoSourceModel()
    model.compile(keras.optimizers.Adam(0.01), keras.optimizers.Adam(0.05))
    hist = model.fit(tf.data.Dataset.zip((unl, lab)), epochs=3, verbose=0,
                     validation_data=lab)
    assert len(hist.history["c_loss"]) == 3
    assert model.last_c_loss.shape == (14,)  # per sample: logged as its mean
    assert hist.history["c_loss"][-1] < hist.history["c_loss"][0]
    assert set(hist.history) == {"c_loss", "p_loss", "p_acc", "val_p_acc"}
    # the built-in step still checks that x and y agree
    plain = keras.Sequential([layers.Input((4,)), layers.Dense(1)])
    plain.compile("sgd", "mse")
    bad = tf.data.Dataset.zip((tf.data.Dataset.from_tensor_slices(x).batch(4),
                               tf.data.Dataset.from_tensor_slices(y[:8]).batch(2)))
    with pytest.raises(ValueError, match="different numbers of samples"):
        plain.fit(bad, epochs=1, verbose=0)


# ---- semi-supervised SimCLR: summary() of an unbuilt model ---------------------------------
def test_summary_of_unbuilt_models_lists_unbuilt_layers():
    lines = []
    enc = keras.Sequential([layers.Conv2D(4, 3, strides=2), layers.Flatten(), layers.Dense(3)],
                           name="encoder")
    enc.summary(print_fn=lines.append)
    rows = [ln for ln in lines if "(Conv2D)" in ln or "(Dense)" in ln or "(Flatten)" in ln]
    assert len(rows) == 3
    assert all(ln.split()[2] == "?" and ln.endswith("0 (unbuilt)") for ln in rows)
    assert "Total params: 0" in lines
    assert not enc.built
    enc(np.zeros((2, 9, 9, 1), "float32"))  # built by a call: the real table
    lines.clear()
    enc.summary(print_fn=lines.append)
    conv = next(ln for ln in lines if "(Conv2D)" in ln)
    assert "(None, 4, 4, 4)" in conv and conv.rstrip().endswith("40")
    assert f"Total params: {enc.count_params():,}" in lines

    class Sub(keras.Model):
        def __init__(self):
            super().__init__()
            self.dense = layers.Dense(2)

        def call(self, x):
            return self.dense(x)
    lines.clear()
    Sub().summary(print_fn=lines.append)
    assert any("(Dense)" in ln and ln.endswith("0 (unbuilt)") for ln in lines)
    wide = keras.Sequential([keras.Input((4,)), layers.Dense(300)])
    lines.clear()
    wide.summary(print_fn=lines.append, positions=[30, 50, 55])  # 5-character Param column
    assert any(ln.rstrip().endswith("1,500") for ln in lines)  # a count is never cut


# ---- Swin Transformer: get_shape().as_list(), tf.transpose(perm=), tf.roll, tf.math.* ---------
def test_get_shape_is_a_tensor_shape():
    t = tf.zeros((2, 3, 4))
    s = t.get_shape()
    assert s == (2, 3, 4) and s.as_list() == [2, 3, 4] and s.rank == 3 and s.ndims == 3
    assert s.num_elements() == 24 and s.is_fully_defined()
    assert isinstance(s[1:], tf.TensorShape) and s[1:].as_list() == [3, 4] and s[0] == 2
    sym = keras.Input((5, 6)).get_shape()
    assert sym.as_list() == [None, 5, 6] and not sym.is_fully_defined()
    assert sym.num_elements() is None and str(sym) == "(None, 5, 6)"
    assert tf.TensorShape([None, 2]).concatenate([3]).as_list() == [None, 2, 3]
    with pytest.raises(TypeError, match="TensorShape"):
        tf.TensorShape([1.5])


def test_tf_transpose_roll_and_math_names():
    x = np.arange(24, dtype=np.float32).reshape(2, 3, 4)
    np.testing.assert_array_equal(tf.transpose(x, perm=(2, 0, 1)).numpy(), x.transpose(2, 0, 1))
    np.testing.assert_array_equal(tf.transpose(x, (1, 0, 2)).numpy(), x.transpose(1, 0, 2))
    np.testing.assert_array_equal(tf.transpose(x).numpy(), x.transpose())
    np.testing.assert_array_equal(tf.transpose(tf.tensor(x), 0, 2).numpy(), x.swapaxes(0, 2))
    with pytest.raises(TypeError, match="transpose"):
        tf.transpose(x, (0, 1, 2), perm=(0, 1, 2))
    np.testing.assert_array_equal(tf.roll(x, shift=[-1, 2], axis=[1, 2]).numpy(),
                                  np.roll(x, (-1, 2), (1, 2)))
    np.testing.assert_array_equal(tf.roll(tf.tensor(x), 5).numpy(), np.roll(x, 5))
    np.testing.assert_array_equal(tf.roll(tf.tensor(x), shifts=1, dims=0).numpy(),
                                  np.roll(x, 1, 0))
    a, b = np.array([1.0, -2.0, 0.0, 3.0]), np.array([2.0, 0.0, 0.0, -1.5])
    np.testing.assert_allclose(tf.math.divide(a, b[:1]).numpy(), a / 2.0)
    np.testing.assert_allclose(tf.math.divide_no_nan(a, b).numpy(), [0.5, 0.0, 0.0, -2.0])
    np.testing.assert_allclose(tf.math.squared_difference(a, b).numpy(), (a - b) ** 2)
    np.testing.assert_allclose(tf.math.multiply(a, b, name="m").numpy(), a * b)
    np.testing.assert_allclose(tf.math.floor(a / 2).numpy(), np.floor(a / 2))
    np.testing.assert_allclose(tf.math.reciprocal(b[:1]).numpy(), [0.5])
    t = tf.tensor(a, requires_grad=True)
    tf.math.divide_no_nan(t, tf.tensor(b)).sum().backward()
    np.testing.assert_allclose(t.grad.numpy(), [0.5, 0.0, 0.0, -1 / 1.5])
    assert tf.initializers.Zeros is keras.initializers.Zeros
    assert tf.optimizers.Adam is keras.optimizers.Adam and tf.losses is keras.losses
    assert tf.metrics is keras.metrics


def _partition(x, w):
    _, h, wd, c = x.get_shape().as_list()
    x = tf.reshape(x, shape=(-1, h // w, w, wd // w, w, c))
    return tf.reshape(tf.transpose(x, perm=(0, 1, 3, 2, 4, 5)), shape=(-1, w, w, c))


class _ShiftedWindowBlock(layers.Layer):
    """Swin's pattern: a shift mask kept in a tf.Variable built in build(), tf.roll, window
    partition with perm=, a relative-position table read with tf.gather, DropPath's
    tf.math.divide."""

    def __init__(self, side, dim, **kwargs):
        super().__init__(**kwargs)
        self.side, self.dim = side, dim
        self.qkv, self.proj = layers.Dense(3 * dim), layers.Dense(dim)
        self.norm = layers.LayerNormalization(epsilon=1e-5)

    def build(self, input_shape):
        self.table = self.add_weight(shape=(9, 1), initializer=tf.initializers.Zeros(),
                                     trainable=True)
        c = np.stack(np.meshgrid(np.arange(2), np.arange(2), indexing="ij")).reshape(2, -1)
        rel = (c[:, :, None] - c[:, None, :]).transpose(1, 2, 0) + 1
        self.index = tf.Variable(initial_value=tf.convert_to_tensor(rel[..., 0] * 3 +
                                                                    rel[..., 1]),
                                 trainable=False)
        mask = np.zeros((1, self.side, self.side, 1))
        mask[:, -1:, :, :] = 1
        win = tf.reshape(_partition(tf.convert_to_tensor(mask), 2), shape=[-1, 4])
        m = tf.expand_dims(win, axis=1) - tf.expand_dims(win, axis=2)
        self.mask = tf.Variable(initial_value=tf.where(m != 0, -100.0, m), trainable=False)

    def call(self, x):
        _, n, c = x.get_shape().as_list()
        h = tf.roll(tf.reshape(self.norm(x), shape=(-1, self.side, self.side, c)),
                    shift=[-1, -1], axis=[1, 2])
        win = tf.reshape(_partition(h, 2), shape=(-1, 4, c))
        q, k, v = tf.split(self.qkv(win), 3, axis=-1)
        bias = tf.reshape(tf.gather(self.table, tf.reshape(self.index, shape=(-1,))),
                          shape=(4, 4))
        attn = q @ tf.transpose(k, perm=(0, 2, 1)) + bias
        nw = self.mask.get_shape()[0]
        attn = tf.reshape(tf.reshape(attn, shape=(-1, nw, 4, 4)) +
                          tf.cast(self.mask, tf.float32), shape=(-1, 4, 4))
        out = self.proj(keras.activations.softmax(attn, axis=-1) @ v)
        out = tf.reshape(out, shape=(-1, self.side // 2, self.side // 2, 2, 2, c))
        out = tf.reshape(tf.transpose(out, perm=(0, 1, 3, 2, 4, 5)),
                         shape=(-1, self.side, self.side, c))
        out = tf.roll(out, shift=[1, 1], axis=[1, 2])
        return x + tf.math.divide(tf.reshape(out, shape=(-1, n, c)), 1.0)


def test_shifted_window_block_trains_and_saves_weights(tmp_path):
    keras.utils.set_random_seed(14)
    rng = np.random.default_rng(14)
    y = rng.integers(0, 3, 60)
    x = rng.normal(size=(60, 16, 4)).astype("float32") + y[:, None, None] * 0.7
    inp = layers.Input((16, 4))
    block = _ShiftedWindowBlock(4, 4)
    out = layers.Dense(3, activation="softmax")(layers.GlobalAveragePooling1D()(block(inp)))
    model = keras.Model(inp, out)
    assert model.count_params() - sum(w.numpy().size for w in model.trainable_weights) == 16 + 64
    model.compile(loss=keras.losses.categorical_crossentropy,
                  optimizer=keras.optimizers.Adam(learning_rate=0.01, clipvalue=0.5),
                  metrics=[keras.metrics.CategoricalAccuracy(name="accuracy"),
                           keras.metrics.TopKCategoricalAccuracy(2, name="top-2")])
    hist = model.fit(x, keras.utils.to_categorical(y, 3), batch_size=20, epochs=5, verbose=0,
                     validation_split=0.1)
    assert hist.history["loss"][-1] < 0.8 * hist.history["loss"][0]
    path = str(tmp_path / "swin.weights.h5")
    model.save_weights(path)
    before = model.predict(x[:5], verbose=0)
    model2_in = layers.Input((16, 4))
    model2 = keras.Model(model2_in, layers.Dense(3, activation="softmax")(
        layers.GlobalAveragePooling1D()(_ShiftedWindowBlock(4, 4)(model2_in))))
    model2.load_weights(path)
    np.testing.assert_allclose(model2.predict(x[:5], verbose=0), before, rtol=1e-6)


# ---- ViT for small datasets: MultiHeadAttention subclass overriding _compute_attention -------
class _LocalitySelfAttention(layers.MultiHeadAttention):
    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self.tau = tf.Variable(float(np.sqrt(self._key_dim)), trainable=True)

    def _compute_attention(self, query, key, value, attention_mask=None, training=None):
        query = keras.ops.multiply(query, 1.0 / self.tau)
        scores = keras.ops.einsum(self._dot_product_equation, key, query)
        scores = self._masked_softmax(scores, attention_mask)
        out = keras.ops.einsum(self._combine_equation,
                               self._dropout_layer(scores, training=training), value)
        return out, scores


def test_mha_subclass_with_learned_temperature_and_diagonal_mask():
    keras.utils.set_random_seed(15)
    rng = np.random.default_rng(15)
    x = rng.normal(size=(3, 5, 6)).astype("float32")
    mask = keras.ops.cast([1 - keras.ops.eye(5)], dtype="int8")  # (1, T, T): no self-attention
    lsa = _LocalitySelfAttention(num_heads=2, key_dim=4)
    out, scores = lsa(x, x, attention_mask=mask, return_attention_scores=True)
    plain = layers.MultiHeadAttention(num_heads=2, key_dim=4)
    plain(x, x)
    plain.set_weights([w.numpy() for w in lsa.weights if w.shape != ()])
    ref_out, ref_scores = plain(x, x, attention_mask=mask, return_attention_scores=True)
    # tau = sqrt(key_dim) at the start: the same attention as the fused layer
    np.testing.assert_allclose(scores.numpy(), ref_scores.numpy(), rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(out.numpy(), ref_out.numpy(), rtol=1e-5, atol=1e-5)
    assert np.all(np.diagonal(scores.numpy(), axis1=-2, axis2=-1) == 0.0)
    # NumPy reference of the scores from the layer's own projections
    q_w, q_b = (w.numpy() for w in plain.weights[:2])  # query kernel, bias
    k_w, k_b = (w.numpy() for w in plain.weights[2:4])
    q = np.einsum("btd,dnh->btnh", x, q_w) + q_b
    k = np.einsum("btd,dnh->btnh", x, k_w) + k_b
    s = np.einsum("bsnh,btnh->bnts", k, q / 2.0)  # tau = sqrt(4)
    s = s - np.eye(5) * 1e9
    e = np.exp(s - s.max(-1, keepdims=True))
    np.testing.assert_allclose(scores.numpy(), e / e.sum(-1, keepdims=True), rtol=1e-5,
                               atol=1e-6)
    inp = layers.Input((5, 6))
    h = _LocalitySelfAttention(num_heads=2, key_dim=4, dropout=0.1)(inp, inp,
                                                                     attention_mask=mask)
    model = keras.Model(inp, layers.Dense(2)(layers.Flatten()(h)))
    taus = [w for w in model.trainable_weights if w.shape == ()]
    assert len(taus) == 1
    before = float(taus[0].numpy())
    model.compile(keras.optimizers.AdamW(learning_rate=0.01, weight_decay=1e-4),
                  keras.losses.SparseCategoricalCrossentropy(from_logits=True))
    y = (x[:, 0, 0] > 0).astype("int32")
    hist = model.fit(np.tile(x, (4, 1, 1)), np.tile(y, 4), epochs=4, batch_size=6, verbose=0)
    assert float(taus[0].numpy()) != before
    assert hist.history["loss"][-1] < hist.history["loss"][0]


# ---- Zero-DCE: tf.io.read_file + tf.image.decode_png over a dataset of paths ------------------
def test_read_file_decode_png_pipeline(tmp_path):
    rng = np.random.default_rng(16)
    imgs = [rng.integers(0, 256, (6, 9, 3)).astype(np.uint8) for _ in range(4)]
    paths = []
    for i, im in enumerate(imgs):
        p = str(tmp_path / f"{i}.png")
        tf.io.write_file(p, tf.image.encode_png(im))
        paths.append(p)
    raw = tf.io.read_file(paths[0])
    assert raw.dtype == tf.string and raw.tobytes()[:8] == b"\x89PNG\r\n\x1a\n"
    back = tf.image.decode_png(raw, channels=3)
    assert back.dtype == tf.uint8
    np.testing.assert_array_equal(back.numpy(), imgs[0])
    gray = tf.image.decode_png(raw, channels=1).numpy()
    ref = np.rint(imgs[0].astype(np.float32) @ np.array([0.299, 0.587, 0.114], np.float32))
    np.testing.assert_array_equal(gray[..., 0], ref.astype(np.uint8))
    assert tf.image.decode_image(raw, channels=4).shape == (6, 9, 4)

    def load(path):
        im = tf.image.decode_png(tf.io.read_file(path), channels=3)
        return tf.image.resize(images=im, size=[4, 4]) / 255.0
    batches = list(tf.data.Dataset.from_tensor_slices(paths)
                   .map(load, num_parallel_calls=tf.data.AUTOTUNE).batch(2, drop_remainder=True))
    assert len(batches) == 2 and batches[0].shape == (2, 4, 4, 3)
    np.testing.assert_allclose(batches[1].numpy()[1],
                               tf.image.resize(imgs[3], (4, 4)).numpy() / 255.0, rtol=1e-6)
    blob = str(tmp_path / "blob.bin")  # read_file is exact, trailing zero bytes included
    with open(blob, "wb") as f:
        f.write(b"ab\x00\x00")
    assert tf.io.read_file(blob).tobytes() == b"ab\x00\x00"
    with pytest.raises(ValueError, match="decode_png"):
        tf.image.decode_png(tf.io.read_file(blob))
    with pytest.raises(ValueError, match="channels"):
        tf.image.decode_png(raw, channels=2)
    with pytest.raises(ValueError, match="encode_png"):
        tf.image.encode_png(imgs[0].astype(np.float32))


class _CurveModel(keras.Model):
    """Zero-DCE's shape: compile(learning_rate) sets the optimizer, train_step returns a dict of
    several losses (every one logged), test_step the same."""

    def __init__(self):
        super().__init__()
        self.net = keras.Sequential([keras.Input((None, None, 3)),
                                     layers.Conv2D(3, 3, padding="same", activation="tanh")])

    def compile(self, learning_rate, **kwargs):
        super().compile(**kwargs)
        self.optimizer = keras.optimizers.Adam(learning_rate=learning_rate)

    def _calculate_losses(self, data):
        r = self.net(data)
        out = data + r * (tf.pow(data, 2) - data)
        exposure = tf.reduce_mean(tf.pow(keras.layers.AveragePooling2D(4)(
            tf.reduce_mean(out, 3, keepdims=True)) - 0.6, 2))
        smooth = tf.reduce_mean(tf.pow(r[:, 1:] - r[:, :-1], 2))
        return {"total_loss": exposure + smooth, "exposure_loss": exposure,
                "smoothness_loss": smooth}

    def train_step(self, data):
        with tf.GradientTape() as tape:
            losses = self._calculate_losses(data)
        grads = tape.gradient(losses["total_loss"], self.net.trainable_weights)
        self.optimizer.apply_gradients(zip(grads, self.net.trainable_weights))
        return losses

    def test_step(self, data):
        return self._calculate_losses(data)


def test_curve_model_with_dict_of_losses():
    keras.utils.set_random_seed(17)
    low = np.random.default_rng(17).uniform(0, 0.2, (16, 8, 8, 3)).astype("float32")
    model = _CurveModel()
    model.compile(learning_rate=1e-2)
    ds = tf.data.Dataset.from_tensor_slices(low).batch(4, drop_remainder=True)
    hist = model.fit(ds, validation_data=ds, epochs=3, verbose=0)
    assert set(hist.history) == {"total_loss", "exposure_loss", "smoothness_loss",
                                 "val_total_loss", "val_exposure_loss", "val_smoothness_loss"}
    assert hist.history["total_loss"][-1] < hist.history["total_loss"][0]
    assert model.net.predict(low[:2], verbose=0).shape == (2, 8, 8, 3)


# ---- PointNet: tf.tensordot(axes=), an activity regularizer class, 0-d .numpy() as a key -----
class _Orthogonal(keras.regularizers.Regularizer):
    def __init__(self, k, l2reg=0.001):
        self.k, self.l2reg, self.eye = k, l2reg, tf.eye(k)

    def __call__(self, x):
        x = tf.reshape(x, (-1, self.k, self.k))
        xxt = tf.reshape(tf.tensordot(x, x, axes=(2, 2)), (-1, self.k, self.k))
        return tf.reduce_sum(self.l2reg * tf.square(xxt - self.eye))


def test_tensordot_axes_and_orthogonal_activity_regularizer():
    a = np.random.default_rng(18).normal(size=(2, 3, 3))
    np.testing.assert_allclose(tf.tensordot(a, a, axes=(2, 2)).numpy(),
                               np.tensordot(a, a, axes=(2, 2)), rtol=1e-12)
    np.testing.assert_allclose(tf.tensordot(a, a, axes=[[1, 2], [1, 2]]).numpy(),
                               np.tensordot(a, a, axes=[[1, 2], [1, 2]]), rtol=1e-12)
    assert tf.tensordot(tf.ones((3, 4, 5)), tf.ones((4, 5, 2))).shape == (3, 2)  # torch dims=2
    with pytest.raises(TypeError, match="tensordot"):
        tf.tensordot(a, a, 1, axes=1)
    assert tf.tensordot(keras.Input((3, 3)), keras.Input((3, 3)), axes=(2, 2)).shape == \
        (None, 3, None, 3)
    keras.utils.set_random_seed(18)
    inp = keras.Input((5, 3))
    h = layers.GlobalMaxPooling1D()(layers.Conv1D(4, 1)(inp))
    t = layers.Dense(9, kernel_initializer="zeros",
                     bias_initializer=keras.initializers.Constant(np.eye(3).flatten() * 2.0),
                     activity_regularizer=_Orthogonal(3))(h)
    out = layers.Dot(axes=(2, 1))([inp, layers.Reshape((3, 3))(t)])
    model = keras.Model(inp, out)
    x = np.random.default_rng(19).normal(size=(4, 5, 3)).astype("float32")
    np.testing.assert_allclose(model.predict(x, verbose=0), 2.0 * x, rtol=1e-6)
    model(x)
    # T = 2I for every sample; Keras 3 adds the regularizer's value as it is (TF 2 divided it
    # by the batch size)
    big_t = np.stack([2.0 * np.eye(3)] * 4)
    xxt = np.tensordot(big_t, big_t, axes=(2, 2)).reshape(-1, 3, 3)
    ref = 0.001 * np.sum((xxt - np.eye(3)) ** 2)
    assert float(sum(float(v) for v in model.losses)) == pytest.approx(ref, rel=1e-5)


def test_numpy_of_a_0d_tensor_is_a_hashable_view():
    classes = {0: "chair", 2: "desk"}
    pred = tf.math.argmax(tf.tensor(np.array([[0.1, 0.2, 0.7]])), -1)[0]
    key = pred.numpy()
    assert classes[key] == "desk" and key.shape == () and repr(key) == "array(2)"
    t = tf.tensor(3.0)
    v = t.numpy()
    v += 1.0  # a view, as PyTorch's .numpy()
    assert t.item() == 4.0 and isinstance(v + 1.0, np.floating)
    assert not tf.tensor(1.0, requires_grad=True).numpy().flags.writeable
    assert type(tf.tensor([1, 2]).numpy()) is np.ndarray


def test_tf_io_decode_image_alias(tmp_path):
    img = np.arange(2 * 3 * 3, dtype=np.uint8).reshape(2, 3, 3)
    p = str(tmp_path / "a.png")
    tf.io.write_file(p, tf.io.encode_png(img))
    np.testing.assert_array_equal(tf.io.decode_image(tf.io.read_file(p)).numpy(), img)
    assert tf.io.decode_png is tf.image.decode_png


# ---- PatchConvNet: nested variable lists in tape.gradient, tf.where(name=), CLS attention ----
def test_nested_gradient_lists_and_class_token_attention():
    keras.utils.set_random_seed(20)
    cls = tf.Variable(tf.zeros((1, 1, 8)))
    mha = layers.MultiHeadAttention(num_heads=1, key_dim=8)
    dense = layers.Dense(3)
    x = np.random.default_rng(20).normal(size=(4, 6, 8)).astype("float32")
    with tf.GradientTape() as tape:
        tokens = tf.concat([tf.repeat(cls, repeats=tf.shape(x)[0], axis=0), x], axis=1)
        out, scores = mha(query=tokens[:, 0:1], key=tokens, value=tokens,
                          return_attention_scores=True)
        loss = tf.reduce_mean(tf.square(dense(layers.Flatten()(out))))
    groups = [[cls], mha.trainable_variables, dense.trainable_variables]
    grads = tape.gradient(loss, groups)
    assert [len(g) for g in grads] == [len(v) for v in groups]
    for g, v in zip(sum(grads, []), sum(groups, [])):
        assert tuple(g.shape) == tuple(v.shape)
    assert np.abs(grads[0][0].numpy()).sum() > 0
    viz = tf.squeeze(scores)[..., 1:]
    assert viz.shape == (4, 6)
    np.testing.assert_allclose(tf.squeeze(scores).numpy().sum(-1), 1.0, rtol=1e-5)
    lr = tf.where(tf.constant(7) > 5, 0.0, tf.constant(0.5), name="learning_rate")
    assert float(lr) == 0.0
    se = layers.GlobalAveragePooling2D(keepdims=True)(np.ones((2, 3, 3, 4), "float32"))
    assert se.shape == (2, 1, 1, 4)


# ---- ESPCN super-resolution: rgb_to_yuv, resize(method="area"), tf.nn.depth_to_space ----------
def test_yuv_area_resize_and_depth_to_space():
    rng = np.random.default_rng(21)
    rgb = rng.uniform(0, 1, (2, 6, 9, 3)).astype("float32")
    yuv = tf.image.rgb_to_yuv(rgb).numpy()
    np.testing.assert_allclose(yuv[..., 0], rgb @ np.array([0.299, 0.587, 0.114]), rtol=1e-5)
    np.testing.assert_allclose(tf.image.yuv_to_rgb(yuv).numpy(), rgb, atol=1e-5)
    y = yuv[..., :1]
    np.testing.assert_allclose(tf.image.resize(y, [2, 3], method="area").numpy(),
                               y.reshape(2, 2, 3, 3, 3, 1).mean(axis=(2, 4)), rtol=1e-5)
    out = tf.image.resize(y, [4, 4], method="area").numpy()  # fractional overlaps: 6/4, 9/4
    ref = np.zeros((2, 4, 4, 1))
    for o in range(4):
        for p in range(4):
            for i in range(6):
                for j in range(9):
                    wy = max(0.0, min((o + 1) * 1.5, i + 1) - max(o * 1.5, i)) / 1.5
                    wx = max(0.0, min((p + 1) * 2.25, j + 1) - max(p * 2.25, j)) / 2.25
                    ref[:, o, p] += wy * wx * y[:, i, j]
    np.testing.assert_allclose(out, ref, rtol=1e-5)
    x = np.arange(2 * 2 * 3 * 12, dtype=np.float32).reshape(2, 2, 3, 12)
    d2s = tf.nn.depth_to_space(x, 2).numpy()
    assert d2s.shape == (2, 4, 6, 3)
    for i in range(2):
        for j in range(2):
            np.testing.assert_array_equal(d2s[:, i::2, j::2, :],
                                          x[..., (i * 2 + j) * 3:(i * 2 + j + 1) * 3])
    np.testing.assert_array_equal(tf.nn.space_to_depth(d2s, 2).numpy(), x)
    with pytest.raises(ValueError, match="depth_to_space"):
        tf.nn.depth_to_space(x[..., :6], 2)
    with pytest.raises(TypeError, match="rgb_to_yuv"):
        tf.image.rgb_to_yuv(np.zeros((2, 2, 3), np.uint8))


def test_espcn_pattern_trains():
    keras.utils.set_random_seed(22)
    rng = np.random.default_rng(22)
    hi = rng.uniform(0, 1, (16, 12, 12, 3)).astype("float32")
    y = tf.image.rgb_to_yuv(hi)[..., :1]
    lo = tf.image.resize(y, [4, 4], method="area")
    inp = keras.Input((4, 4, 1))
    h = layers.Conv2D(16, 3, padding="same", activation="relu",
                      kernel_initializer="Orthogonal")(inp)
    h = layers.Conv2D(9, 3, padding="same", activation="relu")(h)
    model = keras.Model(inp, tf.nn.depth_to_space(h, 3))
    assert model.output_shape == (None, 12, 12, 1)
    model.compile(keras.optimizers.Adam(0.01), keras.losses.MeanSquaredError())
    psnr = []

    class Psnr(keras.callbacks.Callback):
        def on_test_batch_end(self, batch, logs=None):
            psnr.append(10 * np.log10(1 / logs["loss"]))
    hist = model.fit(lo.numpy(), y.numpy(), epochs=5, batch_size=8, verbose=0,
                     validation_data=(lo.numpy(), y.numpy()), callbacks=[Psnr()])
    assert hist.history["loss"][-1] < hist.history["loss"][0] and len(psnr) == 10


# ---- Masked autoencoder patterns: tf.argsort / tf.sort beside torch's, batched tf.gather -----
def test_argsort_sort_read_tensorflow_and_torch_calls():
    u = tf.random.uniform(shape=(3, 7))
    r = tf.argsort(u, axis=-1)
    assert r.dtype == tf.int32
    np.testing.assert_array_equal(r.numpy(), np.argsort(u.numpy(), -1, kind="stable"))
    np.testing.assert_array_equal(tf.argsort(u, direction="DESCENDING").numpy(),
                                  np.argsort(-u.numpy(), -1, kind="stable"))
    np.testing.assert_array_equal(tf.sort([3, 1, 2]).numpy(), [1, 2, 3])  # values only
    vals, idx = tf.sort(tf.tensor(np.array([3.0, 1.0, 2.0])))  # torch's pair
    np.testing.assert_array_equal(idx.numpy(), [1, 2, 0])
    assert tf.argsort(tf.tensor(np.array([3.0, 1.0]))).dtype == tf.int64  # torch's int64
    with pytest.raises(ValueError, match="direction"):
        tf.sort(u, direction="UP")
    emb = tf.random.normal((3, 7, 4))
    keep = r[:, 2:]
    got = tf.gather(emb, keep, axis=1, batch_dims=1).numpy()
    np.testing.assert_array_equal(got, np.take_along_axis(emb.numpy(),
                                                          keep.numpy()[..., None], 1))


# ---- Visualizing what convnets learn: gradient ascent on the input of a sub-model -----------
def test_filter_visualization_gradient_ascent():
    keras.utils.set_random_seed(23)
    inp = keras.Input((None, None, 3))
    h = layers.Conv2D(4, 3, activation="relu", name="c1")(inp)
    h = layers.Conv2D(6, 3, activation="relu", name="c2_out")(h)
    base = keras.Model(inp, layers.GlobalAveragePooling2D()(h))
    extractor = keras.Model(inputs=base.inputs, outputs=base.get_layer(name="c2_out").output)

    @tf.function
    def step(img, k, lr):
        with tf.GradientTape() as tape:
            tape.watch(img)
            loss = tf.reduce_mean(extractor(img)[:, 2:-2, 2:-2, k])
        grads = tf.math.l2_normalize(tape.gradient(loss, img))
        img += lr * grads
        return loss, img

    img = (tf.random.uniform((1, 16, 16, 3)) - 0.5) * 0.25
    losses = []
    for _ in range(4):
        loss, img = step(img, 1, 1.0)
        losses.append(float(loss))
    assert losses[-1] > losses[0] and img.shape == (1, 16, 16, 3)


# ---- keras-io structured_data batch: Keras 2 paths, one-input concatenate, pandas text columns,
# TF 2.4 CategoryEncoding.adapt, shape-() graph inputs, (n,) labels against wide outputs ----------

def test_keras2_vis_utils_path_has_plot_model(tmp_path):
    from pyengine.keras.utils.vis_utils import plot_model
    assert plot_model is keras.utils.plot_model
    inp = keras.Input(shape=(3,))
    model = keras.Model(inp, layers.Dense(2)(inp))
    out = tmp_path / "m.dot"
    plot_model(model, to_file=str(out))
    assert "dense" in out.read_text()


def test_concatenate_of_one_tensor_is_that_tensor_and_other_merges_still_need_two():
    x = np.arange(6, dtype=np.float32).reshape(2, 3)
    np.testing.assert_array_equal(layers.concatenate([tf.tensor(x)]).numpy(), x)
    inp = keras.Input(shape=(3,))
    model = keras.Model(inp, layers.Dense(1)(layers.Concatenate()([inp])))
    assert model(x).shape == (2, 1)
    with pytest.raises(ValueError, match="at least 2"):
        layers.Add()([tf.tensor(x)])


def test_string_columns_as_pandas_object_arrays_train_and_evaluate():
    # pandas' `df[[col]].values` of a text column is an object array of str
    rng = np.random.default_rng(0)
    words = np.array(["red", "green", "blue"])
    col = words[rng.integers(0, 3, 96)].astype(object).reshape(-1, 1)
    y = (col[:, 0] == "red").astype(np.float32)
    lookup = layers.StringLookup(output_mode="one_hot")
    lookup.adapt(col.astype(str))
    inp = keras.Input(shape=(1,), dtype="string")
    out = layers.Dense(1, activation="sigmoid")(layers.Flatten()(lookup(inp)))
    model = keras.Model(inp, out)
    model.compile(optimizer=keras.optimizers.Adam(0.1), loss="binary_crossentropy",
                  metrics=["accuracy"])
    h = model.fit(col, y, epochs=15, batch_size=32, verbose=0)
    assert h.history["loss"][-1] < 0.5 * h.history["loss"][0]
    loss, acc = model.evaluate(col, y, verbose=0)
    assert acc == 1.0
    with pytest.raises(TypeError, match="numeric"):
        model.evaluate(np.array([[1], ["a"]], dtype=object), y[:2], verbose=0)


def test_category_encoding_tf24_adapt_and_max_tokens():
    enc = layers.CategoryEncoding(output_mode="binary")
    with pytest.raises(ValueError, match="adapt"):
        enc(np.array([[1, 2]]))
    enc.adapt(np.array([0, 3, 1]))
    assert enc.num_tokens == 4
    np.testing.assert_array_equal(enc(np.array([[1, 3]])).numpy(), [[0, 1, 0, 1]])
    fixed = layers.CategoryEncoding(max_tokens=3, output_mode="count")
    assert fixed.num_tokens == 3
    with pytest.raises(ValueError, match="outside num_tokens=3"):
        fixed.adapt(np.array([0, 5]))
    with pytest.raises(ValueError, match="not both"):
        layers.CategoryEncoding(num_tokens=3, max_tokens=3)
    with pytest.raises(ValueError, match="positive int"):
        layers.CategoryEncoding(num_tokens=0)


def test_category_encoding_of_a_shape_0_input_keeps_the_batch_axis(tmp_path):
    # keras.Input(shape=()) -> StringLookup -> multi_hot: each sample holds one id (TF Keras 2)
    vocab = ["a", "b", "c", "d"]
    inp = keras.Input(shape=(), dtype="string")
    idx = layers.StringLookup(vocabulary=vocab, mask_token=None, num_oov_indices=0)(inp)
    hot = layers.CategoryEncoding(num_tokens=4, output_mode="binary")(idx)
    num = keras.Input(shape=())
    feats = layers.concatenate([hot, tf.expand_dims(num, -1)])
    assert tuple(feats.shape) == (None, 5)
    model = keras.Model({"s": inp, "n": num}, feats)
    s = np.array(["c", "a", "d"])
    n = np.array([0.5, 1.5, 2.5], np.float32)
    want = np.concatenate([np.eye(4, dtype=np.float32)[[2, 0, 3]], n[:, None]], axis=1)
    np.testing.assert_array_equal(model.predict({"s": s, "n": n}, verbose=0), want)
    path = str(tmp_path / "m.keras")
    model.save(path)
    again = keras.models.load_model(path)
    np.testing.assert_array_equal(again.predict({"s": s, "n": n}, verbose=0), want)
    # outside a graph a rank-1 input is still one sample's ids (Keras 3)
    np.testing.assert_array_equal(
        layers.CategoryEncoding(num_tokens=4, output_mode="multi_hot")(np.array([1, 3])).numpy(),
        [0, 1, 0, 1])


def test_mse_of_one_label_per_sample_against_a_wide_output_broadcasts():
    # TF-Keras expands labels of shape (n,) to (n, 1) against an (n, k) output
    rng = np.random.default_rng(1)
    x = rng.normal(size=(40, 3)).astype(np.float32)
    y = rng.normal(size=40)
    model = keras.Sequential([keras.Input(shape=(3,)), layers.Dense(5)])
    model.compile(optimizer="sgd", loss="mse", metrics=["mae", "mse"])
    loss, mae, mse = model.evaluate(x, y, verbose=0, batch_size=40)
    p = model.predict(x, verbose=0).astype(np.float64)
    want_mse = np.mean((p - y[:, None]) ** 2)
    np.testing.assert_allclose([loss, mse], [want_mse, want_mse], rtol=1e-5)
    np.testing.assert_allclose(mae, np.mean(np.abs(p - y[:, None])), rtol=1e-5)
    h = model.fit(x, y, epochs=5, verbose=0)
    assert h.history["loss"][-1] < h.history["loss"][0]
    with pytest.raises(ValueError, match="labels have shape"):
        model.fit(x, np.zeros((40, 3)), verbose=0)


# ---- keras.preprocessing.sequence.TimeseriesGenerator, tensorflow.python.framework paths -------
def _windows_reference(data, targets, length, rate, stride, start, end, batch):
    rows = np.arange(start + length, end + 1, stride)
    out = []
    for b in range(0, len(rows), batch):
        r = rows[b:b + batch]
        out.append((np.stack([data[i - length:i:rate] for i in r]), targets[r]))
    return out


def test_timeseries_generator_matches_a_numpy_reference():
    from pyengine.keras.preprocessing.sequence import TimeseriesGenerator
    data = np.arange(60, dtype=np.float64).reshape(30, 2)
    targets = np.arange(30) * 10
    for length, rate, stride, start, end, batch in [(2, 1, 1, 0, None, 1), (5, 2, 3, 1, 27, 4),
                                                    (4, 1, 1, 0, None, 7)]:
        gen = TimeseriesGenerator(data, targets, length=length, sampling_rate=rate,
                                  stride=stride, start_index=start, end_index=end,
                                  batch_size=batch)
        want = _windows_reference(data, targets, length, rate, stride, start,
                                  29 if end is None else end, batch)
        assert len(gen) == len(want)
        for i, (x, y) in enumerate(want):
            gx, gy = gen[i]
            np.testing.assert_array_equal(gx, x)
            np.testing.assert_array_equal(gy, y)
    rev = TimeseriesGenerator(data, targets, length=3, reverse=True, batch_size=2)[0][0]
    np.testing.assert_array_equal(rev[0], data[0:3][::-1])
    shuffled_x, shuffled_y = TimeseriesGenerator(data, targets, length=3, shuffle=True,
                                                 batch_size=6)[0]
    for w, t in zip(shuffled_x, shuffled_y):  # each window still ends right before its target
        np.testing.assert_array_equal(w[-1], data[t // 10 - 1])
    with pytest.raises(ValueError, match="same length"):
        TimeseriesGenerator(data, targets[:5], length=2)
    with pytest.raises(ValueError, match="no window fits"):
        TimeseriesGenerator(data, targets, length=31)
    with pytest.raises(IndexError):
        TimeseriesGenerator(data, targets, length=2, batch_size=100)[1]


def test_timeseries_generator_feeds_fit_evaluate_predict():
    from pyengine.keras.preprocessing.sequence import TimeseriesGenerator
    rng = np.random.default_rng(0)
    series = np.cumsum(rng.normal(size=(200, 2)), axis=0).astype(np.float32)
    series = (series - series.mean(0)) / series.std(0)
    gen = TimeseriesGenerator(series, series[:, 0], length=6, batch_size=32)
    model = keras.Sequential([keras.Input(shape=(6, 2)), layers.LSTM(8), layers.Dense(1)])
    model.compile(optimizer=keras.optimizers.Adam(0.02), loss="mse", metrics=["mae"])
    h = model.fit(gen, epochs=6, verbose=0, shuffle=False)
    assert h.history["loss"][-1] < 0.5 * h.history["loss"][0]
    assert model.predict(gen, verbose=0).shape == (194, 1)
    assert len(model.evaluate(gen, verbose=0)) == 2


def test_tensorflow_python_framework_tensor_shape_path():
    from pyengine.python.framework import tensor_shape
    import pyengine.python.framework.tensor_shape as ts
    assert ts is tensor_shape and tensor_shape.TensorShape is tf.TensorShape
    assert tensor_shape.TensorShape([None, 4, 3]).as_list() == [None, 4, 3]


# ---- tf.strings.reduce_join, tf.pad / tf.expand_dims of strings (multi-label tf-idf program) --
def test_strings_reduce_join_axes_keepdims_and_ragged_rows():
    a = np.array([["a", "b", "c"], ["d", "e", "f"]])
    assert tf.strings.reduce_join(a) == "abcdef"
    assert tf.strings.reduce_join(a, separator=" ") == "a b c d e f"
    np.testing.assert_array_equal(tf.strings.reduce_join(a, axis=0, separator="-"),
                                  np.array(["a-d", "b-e", "c-f"], dtype=object))
    out = tf.strings.reduce_join(a, axis=-1, keepdims=True)
    assert out.shape == (2, 1) and out[1, 0] == "def"
    assert tf.strings.reduce_join(a, axis=[0, 1]) == "abcdef"
    rows = tf.strings.split(np.array(["one two", "three"]))
    np.testing.assert_array_equal(tf.strings.reduce_join(rows, axis=-1, separator="_"),
                                  np.array(["one_two", "three"], dtype=object))
    words = tf.strings.split("w1 w2 w3 w4")
    assert tf.strings.reduce_join(words[:2], separator=" ") == "w1 w2"
    with pytest.raises(ValueError, match="out of range"):
        tf.strings.reduce_join(a, axis=2)
    with pytest.raises(TypeError, match="separator"):
        tf.strings.reduce_join(a, separator=1)
    with pytest.raises(NotImplementedError, match="rows"):
        tf.strings.reduce_join(rows, axis=0)


def test_pad_and_expand_dims_of_strings():
    n = tf.shape(tf.strings.split("a b"))[0]  # a Tensor amount, as in a dataset map
    padded = tf.pad(["abc"], [[0, 4 - n]], constant_values="<pad>")
    np.testing.assert_array_equal(padded, np.array(["abc", "<pad>", "<pad>"], dtype=object))
    assert tf.strings.reduce_join(padded) == "abc<pad><pad>"
    two = tf.pad(np.array([["a", "b"]]), [[1, 0], [0, 1]])
    np.testing.assert_array_equal(two, np.array([["", "", ""], ["a", "b", ""]], dtype=object))
    np.testing.assert_array_equal(tf.pad(np.array(["a", "b", "c"]), [[1, 1]], mode="reflect"),
                                  np.array(["b", "a", "b", "c", "b"], dtype=object))
    np.testing.assert_array_equal(tf.pad(np.array(["a", "b"]), [[2, 0]], mode="SYMMETRIC"),
                                  np.array(["b", "a", "a", "b"], dtype=object))
    with pytest.raises(TypeError, match="string constant_values"):
        tf.pad(["a"], [[0, 1]], constant_values=3)
    with pytest.raises(ValueError, match="paddings"):
        tf.pad(["a"], [[0, 1], [0, 1]], constant_values="x")
    # numbers still pad as before, with gradients
    x = tf.tensor(np.ones((2,)), requires_grad=True)
    tf.pad(x, [[1, 1]]).sum().backward()
    np.testing.assert_array_equal(x.grad.numpy(), [1.0, 1.0])
    e = tf.expand_dims("some text", -1)
    assert e.shape == (1,) and str(e[0]) == "some text"
    e2 = tf.expand_dims(np.array(["a", "b"], dtype=object), -1)
    assert e2.shape == (2, 1)


def test_tfidf_bigram_vectorizer_on_joined_text_trains_multilabel():
    rng = np.random.default_rng(0)
    topics = [["alpha", "beta"], ["gamma", "delta"], ["eps", "zeta"]]
    texts, labels = [], []
    for _ in range(120):
        lab = np.zeros(3, np.float32)
        words = list(rng.choice(["the", "a", "of"], 6))
        for k in rng.choice(3, rng.integers(1, 3), replace=False):
            lab[k] = 1
            words += list(rng.choice(topics[k], 4))
        rng.shuffle(words)
        texts.append(tf.strings.reduce_join(np.array(words)[:8], separator=" "))
        labels.append(lab)
    texts = tf.expand_dims(np.array(texts, dtype=object), -1)
    vec = layers.TextVectorization(max_tokens=40, ngrams=2, output_mode="tf_idf")
    vec.adapt(texts)
    model = keras.Sequential([vec, layers.Dense(16, activation="relu"),
                              layers.Dense(3, activation="sigmoid")])
    model.compile(optimizer=keras.optimizers.Adam(0.02), loss="binary_crossentropy")
    h = model.fit(texts, np.stack(labels), epochs=8, batch_size=32, verbose=0)
    assert h.history["loss"][-1] < 0.6 * h.history["loss"][0]


# ---- keras.ops.stft / istft, gradient_accumulation_steps (keras-io vocal_track_separation) --
def _stft_reference(x, nseq, stride, n, window, center):
    """Frames of the (reflect-padded) signal times the centred periodic window, rfft-ed."""
    k = np.arange(nseq)
    w = {"hann": 0.5 - 0.5 * np.cos(2 * np.pi * k / nseq),
         "hamming": 0.54 - 0.46 * np.cos(2 * np.pi * k / nseq), None: np.ones(nseq)}[window]
    left = (n - nseq) // 2
    w = np.pad(w, (left, n - nseq - left))
    if center:
        x = np.pad(x, [(0, 0)] * (x.ndim - 1) + [(n // 2, n // 2)], mode="reflect")
    frames = 1 + (x.shape[-1] - n) // stride
    z = np.stack([np.fft.rfft(x[..., f * stride:f * stride + n] * w) for f in range(frames)],
                 axis=-2)
    return z, w


@pytest.mark.parametrize("nseq,stride,n,window,center", [
    (64, 16, 64, "hann", True), (40, 10, 64, "hamming", False), (32, 32, 32, None, True)])
def test_ops_stft_istft_match_numpy_and_invert(nseq, stride, n, window, center):
    rng = np.random.default_rng(0)
    x = rng.normal(size=(2, 3, 300))
    re, im = keras.ops.stft(x, nseq, stride, n, window=window, center=center)
    z, w = _stft_reference(x, nseq, stride, n, window, center)
    np.testing.assert_allclose(re.numpy(), z.real, atol=1e-10)
    np.testing.assert_allclose(im.numpy(), z.imag, atol=1e-10)
    y = keras.ops.istft((re, im), nseq, stride, n, window=window, center=center).numpy()
    # overlap-add of irfft(z) * w over the overlap-added w ** 2
    frames, total = z.shape[-2], n + stride * (z.shape[-2] - 1)
    num, den = np.zeros(x.shape[:-1] + (total,)), np.zeros(total)
    for f in range(frames):
        num[..., f * stride:f * stride + n] += np.fft.irfft(z[..., f, :], n) * w
        den[f * stride:f * stride + n] += w * w
    ref = num / np.where(den > 1e-10, den, 1.0)
    ref = ref[..., n // 2:total - n // 2] if center else ref
    np.testing.assert_allclose(y, ref, atol=1e-10)
    if window == "hann" and center:  # a COLA window: the signal comes back
        np.testing.assert_allclose(y[..., :280], x[..., :280], atol=1e-10)
    assert keras.ops.istft((re, im), nseq, stride, n, length=100, window=window,
                           center=center).shape == (2, 3, 100)


def test_ops_stft_gradients_errors_and_a_saved_graph(tmp_path):
    from pyengine.autograd import gradcheck
    x = tf.tensor(np.random.default_rng(1).normal(size=(1, 40)), requires_grad=True)
    assert gradcheck(lambda t: keras.ops.stft(t, 16, 8, 16)[0].sum() +
                     (keras.ops.stft(t, 16, 8, 16)[1] ** 2).sum(), (x,))
    z = keras.ops.stft(x.detach(), 16, 8, 16)
    zr = tf.tensor(z[0].numpy(), requires_grad=True)
    zi = tf.tensor(z[1].numpy(), requires_grad=True)
    assert gradcheck(lambda a, b: (keras.ops.istft((a, b), 16, 8, 16) ** 2).sum(), (zr, zi))
    with pytest.raises(ValueError, match="window"):
        keras.ops.stft(np.ones(64), 16, 8, 16, window="kaiser")
    with pytest.raises(ValueError, match="fft_length"):
        keras.ops.stft(np.ones(64), 32, 8, 16)
    with pytest.raises(ValueError, match="more than"):
        keras.ops.stft(np.ones(8), 16, 8, 16)
    inp = keras.Input((256,))
    re, im = keras.ops.stft(inp, 64, 32, 64)
    out = keras.ops.istft((re * 2.0, im * 2.0), 64, 32, 64)
    model = keras.Model(inp, out)
    sig = np.random.default_rng(2).normal(size=(2, 256)).astype(np.float32)
    np.testing.assert_allclose(model.predict(sig, verbose=0)[:, :200], 2 * sig[:, :200],
                               atol=1e-4)
    model.save(str(tmp_path / "m.keras"))  # safe_mode load resolves keras.ops.stft / istft
    again = keras.models.load_model(str(tmp_path / "m.keras"))
    np.testing.assert_allclose(again.predict(sig, verbose=0), model.predict(sig, verbose=0))


def test_gradient_accumulation_steps_update_with_the_mean_every_n_calls():
    w = tf.nn.Parameter(tf.tensor(np.array([1.0, -2.0], np.float32)))
    opt = keras.optimizers.SGD(0.5, gradient_accumulation_steps=3)
    grads = [np.array([1.0, 2.0]), np.array([3.0, -1.0]), np.array([2.0, 2.0]),
             np.array([6.0, 0.0])]
    seen = []
    for g in grads:
        opt.apply_gradients([(g.astype(np.float32), w)])
        seen.append(w.numpy().copy())
    np.testing.assert_array_equal(seen[0], [1.0, -2.0])
    np.testing.assert_array_equal(seen[1], [1.0, -2.0])
    np.testing.assert_allclose(seen[2], [1.0 - 0.5 * 2.0, -2.0 - 0.5 * 1.0], rtol=1e-6)
    np.testing.assert_allclose(seen[3], seen[2], rtol=1e-6)  # a new sum has begun
    assert opt.iterations == 4
    assert opt.get_config()["gradient_accumulation_steps"] == 3
    for bad in (1, 2.5, True):
        with pytest.raises(ValueError, match="gradient_accumulation_steps"):
            keras.optimizers.Adam(gradient_accumulation_steps=bad)
    # in fit: two batches of 8 accumulate to the gradient of one batch of 16 (mean losses)
    rng = np.random.default_rng(3)
    x = rng.normal(size=(16, 4)).astype(np.float32)
    y = rng.normal(size=(16, 1)).astype(np.float32)
    a = keras.Sequential([keras.Input((4,)), layers.Dense(1)])
    b = keras.models.clone_model(a)
    b.set_weights(a.get_weights())
    a.compile(optimizer=keras.optimizers.SGD(0.1, gradient_accumulation_steps=2), loss="mse")
    b.compile(optimizer=keras.optimizers.SGD(0.1), loss="mse")
    a.fit(x, y, batch_size=8, epochs=1, shuffle=False, verbose=0)
    b.fit(x, y, batch_size=16, epochs=1, shuffle=False, verbose=0)
    for wa, wb in zip(a.get_weights(), b.get_weights()):
        np.testing.assert_allclose(wa, wb, rtol=1e-5, atol=1e-6)


def test_adapted_category_encoding_saves_its_depth(tmp_path):
    inp = keras.Input(shape=(2,))
    enc = layers.CategoryEncoding(output_mode="count")
    enc.adapt(np.array([[0, 4], [2, 1]]))
    model = keras.Model(inp, enc(inp))
    x = np.array([[4, 4], [0, 3]], np.float32)
    want = np.array([[0, 0, 0, 0, 2], [1, 0, 0, 1, 0]], np.float32)
    np.testing.assert_array_equal(model.predict(x, verbose=0), want)
    path = str(tmp_path / "enc.keras")
    model.save(path)
    np.testing.assert_array_equal(keras.models.load_model(path).predict(x, verbose=0), want)
    assert layers.CategoryEncoding(3, "one_hot").get_config()["kwargs"]["num_tokens"] == 3


def test_saving_a_lambda_whose_function_name_was_rebound_says_so(tmp_path):
    import types
    mod = types.ModuleType("hb_rebound_mod")
    exec("def is_fixed(x):\n    return x * 2.0\n", mod.__dict__)
    import sys
    sys.modules[mod.__name__] = mod
    try:
        inp = keras.Input((2,))
        out = layers.Lambda(mod.is_fixed)(inp)
        model = keras.Model(inp, out)
        mod.is_fixed = out  # the program's `is_fixed = Lambda(is_fixed)(...)`
        with pytest.raises(ValueError, match="now refers to a KerasTensor"):
            model.save(str(tmp_path / "m.keras"))
    finally:
        del sys.modules[mod.__name__]
