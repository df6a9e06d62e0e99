"""Original tests of the Keras API patterns that public keras-io programs and guides rely on
(vision/mnist_convnet, the functional API guide's multi-input / multi-output model,
generative/vae's custom train_step with GradientTape and Mean trackers, keras_recipes'
antirectifier / trainer / endpoint-layer patterns, the "customizing what happens in fit" guide):
written for this project with synthetic data; no program text of those examples is used."""
import numpy as np

import pyengine as pe
import pyengine as tf
from pyengine import keras
from pyengine.keras import layers


def test_sequential_convnet_summary_counts_and_fit():
    rng = np.random.default_rng(0)
    imgs = rng.random((48, 12, 12, 1)).astype("float32")
    cls = rng.integers(0, 3, 48)
    for k in range(3):  # class k: a bright band of rows
        imgs[cls == k, 4 * k:4 * k + 4] += 1.0
    onehot = keras.utils.to_categorical(cls, 3)
    assert onehot.shape == (48, 3) and (onehot.sum(1) == 1).all()
    pe.manual_seed(0)
    net = keras.Sequential([
        keras.Input(shape=(12, 12, 1)),
        layers.Conv2D(6, kernel_size=(3, 3), activation="relu"),   # -> 10x10x6
        layers.MaxPooling2D(pool_size=(2, 2)),                      # -> 5x5x6
        layers.Conv2D(8, kernel_size=(2, 2), activation="relu"),   # -> 4x4x8
        layers.Flatten(),
        layers.Dropout(0.3),
        layers.Dense(3, activation="softmax"),
    ])
    want = (3 * 3 * 1 * 6 + 6) + (2 * 2 * 6 * 8 + 8) + (4 * 4 * 8 * 3 + 3)
    lines = []
    net.summary(print_fn=lines.append)
    assert f"Total params: {want:,}" in "\n".join(lines) and net.count_params() == want
    net.compile(loss="categorical_crossentropy", optimizer="adam", metrics=["accuracy"])
    hist = net.fit(imgs, onehot, batch_size=12, epochs=4, validation_split=0.25, verbose=0)
    assert hist.history["loss"][-1] < hist.history["loss"][0]
    assert len(net.evaluate(imgs, onehot, verbose=0)) == 2


def test_functional_named_inputs_and_dict_outputs_with_loss_weights():
    vocab = 50
    words = keras.Input(shape=(None,), name="words")
    chars = keras.Input(shape=(None,), name="chars")
    flags = keras.Input(shape=(5,), name="flags")
    a = layers.LSTM(6)(layers.Embedding(vocab, 6)(words))
    b = layers.LSTM(3)(layers.Embedding(vocab, 4)(chars))
    joined = layers.concatenate([a, b, flags])
    net = keras.Model(inputs=[words, chars, flags],
                      outputs={"score": layers.Dense(1, name="score")(joined),
                               "kind": layers.Dense(3, name="kind")(joined)})
    net.compile(optimizer=keras.optimizers.RMSprop(1e-2),
                loss={"score": keras.losses.BinaryCrossentropy(from_logits=True),
                      "kind": keras.losses.CategoricalCrossentropy(from_logits=True)},
                loss_weights={"score": 1.0, "kind": 0.5})
    rng = np.random.default_rng(1)
    feed = {"words": rng.integers(0, vocab, (40, 6)), "chars": rng.integers(0, vocab, (40, 11)),
            "flags": rng.integers(0, 2, (40, 5)).astype("float32")}
    target = {"score": feed["flags"][:, :1],
              "kind": keras.utils.to_categorical(feed["words"][:, 0] % 3, 3)}
    hist = net.fit(feed, target, epochs=4, batch_size=10, verbose=0)
    assert np.isfinite(hist.history["loss"]).all()
    assert hist.history["loss"][-1] < hist.history["loss"][0]
    out = net.predict(feed, verbose=0)
    assert set(out) == {"score", "kind"} and out["kind"].shape == (40, 3)


class _GaussianDraw(layers.Layer):
    """(mean, log_var) -> mean + exp(log_var / 2) * noise, noise shaped by tf.shape."""

    def call(self, pair):
        mean, log_var = pair
        rows, cols = tf.shape(mean)[0], tf.shape(mean)[1]
        return mean + tf.exp(0.5 * log_var) * tf.random.normal(shape=(rows, cols))


class _TapeVAE(keras.Model):
    def __init__(self, enc, dec):
        super().__init__()
        self.enc, self.dec = enc, dec
        self.trackers = {k: keras.metrics.Mean(name=k) for k in ("loss", "recon", "kl")}

    @property
    def metrics(self):
        return list(self.trackers.values())

    def train_step(self, batch):
        with tf.GradientTape() as tape:
            mean, log_var, code = self.enc(batch)
            # binary_crossentropy averages over the 20 bits: x 20 gives the per-sample sum
            recon = 20.0 * tf.reduce_mean(keras.losses.binary_crossentropy(batch, self.dec(code)))
            kl = tf.reduce_mean(tf.reduce_sum(
                tf.exp(log_var) + tf.square(mean) - 1 - log_var, axis=1)) * 0.5
            total = recon + kl
        self.optimizer.apply_gradients(zip(tape.gradient(total, self.trainable_weights),
                                           self.trainable_weights))
        for key, value in (("loss", total), ("recon", recon), ("kl", kl)):
            self.trackers[key].update_state(value)
        return {k: t.result() for k, t in self.trackers.items()}


def test_custom_train_step_vae_with_tape_and_mean_trackers():
    pe.manual_seed(0)
    x_in = keras.Input(shape=(20,))
    h = layers.Dense(12, activation="relu")(x_in)
    mean, log_var = layers.Dense(3)(h), layers.Dense(3)(h)
    enc = keras.Model(x_in, [mean, log_var, _GaussianDraw()([mean, log_var])])
    z_in = keras.Input(shape=(3,))
    dec = keras.Model(z_in, layers.Dense(20, activation="sigmoid")(
        layers.Dense(12, activation="relu")(z_in)))
    rng = np.random.default_rng(2)
    bits = (rng.random((96, 20)) < np.linspace(0.1, 0.9, 20)).astype("float32")
    vae = _TapeVAE(enc, dec)
    vae.compile(optimizer=keras.optimizers.Adam(0.01))
    hist = vae.fit(bits, epochs=5, batch_size=24, verbose=0)
    assert set(hist.history) == {"loss", "recon", "kl"}
    assert hist.history["loss"][-1] < hist.history["loss"][0]


# ---- Layer / Model customisation patterns (TF-Keras 2 and Keras 3 spellings)
def _digits(n=96, seed=0):
    rng = np.random.default_rng(seed)
    y = rng.integers(0, 4, n)
    x = rng.normal(size=(n, 16)).astype("float32") + np.eye(4, 16)[y].astype("float32") * 3
    return x, y


def test_custom_layer_with_tf_ops_and_inplace_rebinding():
    """`x -= ...` inside call rebinds a local name (TensorFlow tensors are immutable): the
    caller's tensor must stay untouched."""
    class SignSplit(layers.Layer):
        def build(self, input_shape):
            self.w = self.add_weight(shape=(2 * input_shape[-1], 3), initializer="he_normal",
                                     name="w")

        def call(self, x):
            x -= tf.reduce_mean(x, axis=-1, keepdims=True)
            halves = tf.concat([tf.nn.relu(x), tf.nn.relu(-x)], axis=-1)
            return tf.matmul(halves, self.w)
    x, y = _digits()
    pe.manual_seed(0)
    model = keras.Sequential([keras.Input((16,)), layers.Dense(6), SignSplit(), layers.Dense(4)])
    model.compile(loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True),
                  optimizer=keras.optimizers.RMSprop(), metrics=["accuracy"])
    h = model.fit(x, y, batch_size=16, epochs=5, verbose=0)
    assert h.history["loss"][-1] < h.history["loss"][0]
    a = pe.tensor(np.full((2, 3), 2.0, np.float32))
    keras.Sequential([keras.Input((3,)), SignSplit()])(a)
    np.testing.assert_array_equal(a.numpy(), np.full((2, 3), 2.0, np.float32))


def test_tf_ops_on_symbolic_tensors_and_tf_shape():
    inp = keras.Input((4,))
    h = tf.nn.relu(tf.matmul(inp, np.ones((4, 3), np.float32)))
    out = tf.reduce_sum(tf.math.square(tf.expand_dims(h, -1)), axis=-1)
    model = keras.Model(inp, tf.nn.softmax(out))
    x = np.arange(8, dtype=np.float32).reshape(2, 4) - 3
    want = np.maximum(x @ np.ones((4, 3), np.float32), 0) ** 2
    want = np.exp(want - want.max(1, keepdims=True))
    np.testing.assert_allclose(model.predict(x, verbose=0), want / want.sum(1, keepdims=True),
                               rtol=1e-5)
    s = tf.shape(pe.zeros(5, 7))
    assert isinstance(s, pe.Tensor) and s.dtype == pe.int32 and s.shape == (2,)
    assert int(s[0]) == 5 and list(range(s[1])) == list(range(7))
    assert tf.random.normal(shape=(s[0], 2)).shape == (5, 2)
    assert keras.ops.shape(pe.zeros(5, 7)) == (5, 7)  # Keras 3's ops.shape: a tuple


def test_wrapper_model_tf2_train_step_with_compiled_loss_and_metrics():
    """A Model that owns another model and drives it from a TF2-style train_step through
    compiled_loss / compiled_metrics (the keras_recipes trainer pattern)."""
    class Driver(keras.Model):
        def __init__(self, inner):
            super().__init__()
            self.inner = inner

        def call(self, x):
            return self.inner(x)

        def train_step(self, batch):
            feats, labels = batch
            with tf.GradientTape() as tape:
                probs = self.inner(feats, training=True)
                cost = self.compiled_loss(labels, probs, regularization_losses=self.losses)
            weights = self.trainable_variables
            self.optimizer.apply_gradients(zip(tape.gradient(cost, weights), weights))
            self.compiled_metrics.update_state(labels, probs)
            return {m.name: m.result() for m in self.metrics}
    x, y = _digits()
    inp = keras.Input((16, 1))  # data are (N, 16): Keras adds the trailing 1
    pe.manual_seed(0)
    drv = Driver(keras.Model(inp, layers.Dense(4, activation="softmax")(layers.Flatten()(inp))))
    drv.compile(keras.optimizers.Adam(0.01), loss="sparse_categorical_crossentropy",
                metrics=["accuracy"])
    h = drv.fit(x, y, epochs=10, batch_size=16, verbose=0)
    assert set(h.history) == {"loss", "accuracy"}
    assert h.history["loss"][-1] < h.history["loss"][0] and h.history["accuracy"][-1] > 0.5


def test_loss_layer_add_loss_add_metric_with_keyword_inputs():
    """A layer computes the loss and metrics itself (add_loss / add_metric) from targets passed
    as keyword inputs; the model compiles with no loss (the keras_recipes endpoint pattern)."""
    class ScoreHead(layers.Layer):
        def __init__(self):
            super().__init__()
            self.bce = keras.losses.BinaryCrossentropy(from_logits=True)
            self.hit = keras.metrics.BinaryAccuracy(name="accuracy")

        def call(self, logits, labels=None, weights=None):
            if labels is not None:
                self.add_loss(self.bce(labels, logits, weights))
                self.add_metric(self.hit(labels, logits, weights))
                self.add_metric(tf.reduce_mean(logits), name="mean_logit")
            return tf.nn.sigmoid(logits)

    class Scorer(keras.Model):
        def __init__(self):
            super().__init__()
            self.lin = layers.Dense(1)
            self.head = ScoreHead()

        def call(self, feed):
            return self.head(self.lin(feed["feats"]), labels=feed["labels"],
                             weights=feed["weights"])
    rng = np.random.default_rng(3)
    feats = rng.normal(size=(120, 4)).astype("float32")
    feed = {"feats": feats, "labels": (feats[:, 1:2] < 0).astype("float32"),
            "weights": np.ones((120, 1), "float32")}
    pe.manual_seed(0)
    sc = Scorer()
    sc.compile(keras.optimizers.Adam(0.05))
    h = sc.fit(feed, epochs=8, batch_size=30, verbose=0)
    assert set(h.history) == {"loss", "accuracy", "mean_logit"}
    assert h.history["loss"][-1] < h.history["loss"][0] and h.history["accuracy"][-1] > 0.8
    with np.testing.assert_raises(ValueError):
        layers.Layer().add_metric(1.0)


def test_random_dropout_with_seed_generator():
    gen = keras.random.SeedGenerator(1337)
    x = pe.ones(1000, 4)
    y = keras.random.dropout(x, 0.25, seed=gen).numpy()
    assert set(np.unique(y)) <= {0.0, np.float32(1 / 0.75)}
    assert 0.2 < (y == 0).mean() < 0.3
    y2 = keras.random.dropout(x, 0.5, noise_shape=(None, 1), seed=gen).numpy()
    assert (y2 == y2[:, :1]).all()


def test_keras3_custom_train_step_compute_loss_and_metrics_loop():
    """Keras 3 form of a custom train_step: compute_loss, optimizer.apply, and a loop over
    self.metrics that feeds the loss tracker the loss and the others (y, y_pred)."""
    class Stepper(keras.Model):
        def train_step(self, batch):
            feats, want = batch
            with tf.GradientTape() as tape:
                got = self(feats, training=True)
                cost = self.compute_loss(y=want, y_pred=got)
            self.optimizer.apply(tape.gradient(cost, self.trainable_variables),
                                 self.trainable_variables)
            for tracker in self.metrics:
                tracker.update_state(cost) if tracker.name == "loss" else \
                    tracker.update_state(want, got)
            return {t.name: t.result() for t in self.metrics}
    rng = np.random.default_rng(4)
    x = rng.random((200, 6)).astype("float32")
    y = x @ rng.random((6, 1)).astype("float32")
    inp = keras.Input((6,))
    pe.manual_seed(0)
    m = Stepper(inp, layers.Dense(1)(inp))
    m.compile(optimizer=keras.optimizers.Adam(0.05), loss="mse", metrics=["mae"])
    h = m.fit(x, y, epochs=6, batch_size=25, verbose=0)
    assert set(h.history) == {"loss", "mae"} and h.history["loss"][-1] < h.history["loss"][0]
    # Keras 3: compute_loss without any loss is zero; the default train_step says what is wrong
    plain = keras.Model(inp, layers.Dense(1)(inp))
    plain.compile("adam")
    assert float(plain.compute_loss(x, y, plain(x))) == 0.0
    with np.testing.assert_raises_regex(ValueError, "no loss to minimize"):
        plain.fit(x, y, verbose=0)
