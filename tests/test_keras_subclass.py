"""Subclassing as in Keras 3: layers / lists / dicts of layers tracked, `training` passed only
where call accepts it, tuples in and out, add_weight / add_loss / build, Layer-as-Module
(parameters, state_dict, train/eval, trainable == requires_grad), GradientTape and custom
train_step (a small GAN step), compile() without a loss, metric objects, optimizers honouring
clipnorm / clipvalue / weight_decay."""
import numpy as np
import pytest

import pyengine as pe
import pyengine as tf
from pyengine import keras
from pyengine.keras import layers


class MLP(keras.Model):
    def __init__(self, width=16):
        super().__init__()
        self.blocks = [layers.Dense(width, activation="relu") for _ in range(2)]
        self.heads = {"out": layers.Dense(1)}
        self.drop = layers.Dropout(0.1)

    def call(self, x, training=False):
        for b in self.blocks:
            x = b(x)
        return self.heads["out"](self.drop(x, training=training))


def regression(n=128, seed=0):
    rng = np.random.default_rng(seed)
    x = rng.normal(size=(n, 4)).astype(np.float32)
    return x, (x[:, :1] * 2 - x[:, 1:2]).astype(np.float32)


def test_subclassed_model_trains_and_counts_params():
    pe.manual_seed(0)
    m = MLP()
    m.compile(keras.optimizers.Adam(0.01), "mse")
    x, y = regression()
    h = m.fit(x, y, epochs=15, batch_size=16, verbose=0)
    assert h.history["loss"][-1] < 0.3 * h.history["loss"][0]
    assert m.count_params() == (4 * 16 + 16) + (16 * 16 + 16) + 17
    assert len(m.trainable_weights) == 6 and len(list(m.parameters())) == 6
    assert "blocks.0.kernel" in m.state_dict() and "heads.out.bias" in m.state_dict()
    lines = []
    m.summary(print_fn=lines.append)
    assert "Total params: 369" in "\n".join(lines)


def test_layer_is_module_and_trainable_is_requires_grad():
    d = layers.Dense(3)
    d.build((None, 2))
    assert isinstance(d, pe.nn.Module) and [n for n, _ in d.named_parameters()] == ["kernel", "bias"]
    d.trainable = False
    assert not d.kernel.requires_grad and d.trainable_weights == []
    d.trainable = True
    assert d.kernel.requires_grad
    bn = layers.BatchNormalization()
    bn.build((None, 3))
    assert set(bn.state_dict()) == {"gamma", "beta", "moving_mean", "moving_variance"}
    assert len(list(bn.parameters())) == 2  # moving statistics are buffers
    opt = pe.optim.SGD(d.parameters(), lr=0.1)  # a keras layer trains with pe.optim too
    x = pe.tensor(np.ones((4, 2), np.float32))
    loss = d(x).sum()
    loss.backward()
    before = d.kernel._data.copy()
    opt.step()
    np.testing.assert_allclose(d.kernel.data, before - 0.4, rtol=1e-6)
    m = keras.Sequential([layers.Dropout(0.5)])
    m.train()  # nn's train() turns on Keras' training behaviour for plain calls
    assert (m(np.ones((100, 10))).numpy() == 0).any()
    m.eval()
    assert (m(np.ones((100, 10))).numpy() == 1).all()


def test_call_without_training_tuples_add_weight_add_loss_build():
    class Pair(layers.Layer):
        def build(self, input_shape):
            self.w = self.add_weight(shape=(input_shape[0][-1],), initializer="ones", name="w")

        def call(self, inputs):           # no training argument
            a, b = inputs
            self.add_loss(0.01 * (self.w * self.w).sum())
            return a * self.w, b + 1.0    # a tuple out

    p = Pair()
    a, b = p((np.ones((2, 3)), np.zeros((2, 3))), training=True)
    assert a.shape == (2, 3) and (b.numpy() == 1).all()
    assert len(p.losses) == 1 and float(p.losses[0].data) == pytest.approx(0.03)
    p((np.ones((2, 3)), np.zeros((2, 3))))
    assert len(p.losses) == 1  # cleared at each top-level call


def test_add_loss_only_model_compiles_without_loss():
    class AE(keras.Model):
        def __init__(self):
            super().__init__()
            self.enc, self.dec = layers.Dense(2), layers.Dense(4)

        def call(self, x):
            r = self.dec(self.enc(x))
            self.add_loss(((r - x) ** 2).mean())
            return r

    m = AE()
    m.compile(keras.optimizers.Adam(0.05))
    x = np.random.default_rng(0).normal(size=(64, 4)).astype(np.float32)
    h = m.fit(x, epochs=10, batch_size=16, verbose=0)
    assert h.history["loss"][-1] < h.history["loss"][0]


def test_gradient_tape_and_apply_gradients():
    w = pe.tensor(np.array([1.0, 2.0], np.float32), requires_grad=True)
    b = pe.tensor(np.array(0.5, np.float32), requires_grad=True)
    with tf.GradientTape() as tape:
        loss = tf.reduce_sum(tf.square(w * 3.0)) + b
    gw, gb = tape.gradient(loss, [w, b])
    np.testing.assert_allclose(gw.numpy(), 18 * np.array([1.0, 2.0]))
    assert float(gb.data) == 1.0 and w.grad is None
    with pytest.raises(RuntimeError, match="once"):
        tape.gradient(loss, [w])
    x = pe.tensor(np.array([3.0], np.float32))
    with tf.GradientTape(persistent=True) as tape:
        tape.watch(x)
        y = x * x
    assert tape.gradient(y, x).item() == 6.0 and tape.gradient(y, x).item() == 6.0
    opt = keras.optimizers.SGD(0.1)
    opt.apply_gradients(zip([gw, gb], [w, b]))
    np.testing.assert_allclose(w.data, [1 - 1.8, 2 - 3.6], rtol=1e-6)


class GAN(keras.Model):
    """keras-io's 'GAN overriding Model.train_step', dense and small."""

    def __init__(self, discriminator, generator, latent_dim):
        super().__init__()
        self.discriminator = discriminator
        self.generator = generator
        self.latent_dim = latent_dim
        self.d_loss_metric = keras.metrics.Mean(name="d_loss")
        self.g_loss_metric = keras.metrics.Mean(name="g_loss")

    def compile(self, d_optimizer, g_optimizer, loss_fn):
        super().compile()
        self.d_optimizer = d_optimizer
        self.g_optimizer = g_optimizer
        self.loss_fn = loss_fn

    @property
    def metrics(self):
        return [self.d_loss_metric, self.g_loss_metric]

    def train_step(self, real_images):
        if isinstance(real_images, tuple):
            real_images = real_images[0]
        batch_size = tf.shape(real_images)[0]
        random_latent_vectors = tf.random.normal(shape=(batch_size, self.latent_dim))
        generated_images = self.generator(random_latent_vectors)
        combined_images = tf.concat([generated_images, real_images], axis=0)
        labels = tf.concat([tf.ones((batch_size, 1)), tf.zeros((batch_size, 1))], axis=0)
        labels += 0.05 * tf.random.uniform(tf.shape(labels))
        with tf.GradientTape() as tape:
            predictions = self.discriminator(combined_images)
            d_loss = self.loss_fn(labels, predictions)
        grads = tape.gradient(d_loss, self.discriminator.trainable_weights)
        self.d_optimizer.apply_gradients(zip(grads, self.discriminator.trainable_weights))
        random_latent_vectors = tf.random.normal(shape=(batch_size, self.latent_dim))
        misleading_labels = tf.zeros((batch_size, 1))
        with tf.GradientTape() as tape:
            predictions = self.discriminator(self.generator(random_latent_vectors))
            g_loss = self.loss_fn(misleading_labels, predictions)
        grads = tape.gradient(g_loss, self.generator.trainable_weights)
        self.g_optimizer.apply_gradients(zip(grads, self.generator.trainable_weights))
        self.d_loss_metric.update_state(d_loss)
        self.g_loss_metric.update_state(g_loss)
        return {"d_loss": self.d_loss_metric.result(), "g_loss": self.g_loss_metric.result()}


def test_gan_custom_train_step():
    pe.manual_seed(0)
    latent_dim = 4
    discriminator = keras.Sequential([keras.Input(shape=(8,)), layers.Dense(16),
                                      layers.LeakyReLU(negative_slope=0.2), layers.Dense(1)],
                                     name="discriminator")
    generator = keras.Sequential([keras.Input(shape=(latent_dim,)), layers.Dense(16),
                                  layers.LeakyReLU(negative_slope=0.2),
                                  layers.Dense(8, activation="tanh")], name="generator")
    gan = GAN(discriminator, generator, latent_dim)
    gan.compile(d_optimizer=keras.optimizers.Adam(learning_rate=0.001),
                g_optimizer=keras.optimizers.Adam(learning_rate=0.001),
                loss_fn=keras.losses.BinaryCrossentropy(from_logits=True))
    d0, g0 = discriminator.get_weights(), generator.get_weights()
    real = np.random.default_rng(0).uniform(-1, 1, size=(64, 8)).astype(np.float32)
    h = gan.fit(real, epochs=2, batch_size=16, verbose=0)
    assert set(h.history) == {"d_loss", "g_loss"} and len(h.history["d_loss"]) == 2
    assert all(np.isfinite(v) for v in h.history["d_loss"] + h.history["g_loss"])
    assert all((a != b).any() for a, b in zip(d0, discriminator.get_weights()))
    assert all((a != b).any() for a, b in zip(g0, generator.get_weights()))
    assert gan.count_params() == discriminator.count_params() + generator.count_params()



class _StepsSeeTensors(keras.Model):
    """Overridden steps that use their batch as Keras 3 hands it (tf / torch tensors): methods
    a NumPy array lacks, then the built-in step on the same data."""
    seen = []

    def train_step(self, data):
        x, y = data
        self.seen.append(("train", type(x).__name__, x.numpy().shape, x.size(0), y.dtype))
        return super().train_step(data)

    def test_step(self, data):
        x, y = data
        self.seen.append(("test", type(x).__name__, x.numpy().shape, x.size(0), y.dtype))
        return super().test_step(data)

    def predict_step(self, data):
        x = data
        self.seen.append(("predict", type(x).__name__, x.numpy().shape, x.size(0), None))
        return super().predict_step(data)


def test_overridden_steps_get_tensors_and_may_call_the_built_in_ones():
    inp = keras.Input((3,))
    model = _StepsSeeTensors(inp, layers.Dense(2, activation="softmax")(inp))
    model.compile("sgd", "sparse_categorical_crossentropy", metrics=["accuracy"])
    x = np.random.default_rng(0).standard_normal((6, 3)).astype(np.float32)
    y = np.array([0, 1, 1, 0, 1, 0])
    w0 = model.get_weights()[0].copy()
    model.fit(x, y, batch_size=4, epochs=1, verbose=0)
    logs = model.evaluate(x, y, batch_size=6, verbose=0, return_dict=True)
    out = model.predict(x, batch_size=6, verbose=0)
    model.train_on_batch(x[:2], y[:2])
    assert [s[0] for s in model.seen] == ["train", "train", "test", "predict", "train"]
    assert all(s[1] == "Tensor" for s in model.seen)
    assert [s[2:4] for s in model.seen] == [((4, 3), 4), ((2, 3), 2), ((6, 3), 6), ((6, 3), 6),
                                            ((2, 3), 2)]
    assert model.seen[0][4] == tf.int64 and model.seen[2][4] == tf.int64
    assert isinstance(out, np.ndarray) and out.shape == (6, 2)
    assert set(logs) == {"loss", "accuracy"} and np.isfinite(logs["loss"])
    assert (model.get_weights()[0] != w0).any()

def test_optimizers_honour_or_reject_hyperparameters():
    def step(opt, g):
        w = pe.nn.Parameter(pe.tensor(np.array([1.0, -1.0], np.float32)))
        opt.apply_gradients([(np.asarray(g, np.float32), w)])
        return w.data
    np.testing.assert_allclose(step(keras.optimizers.SGD(1.0, clipvalue=0.5), [3, -0.1]),
                               [0.5, -0.9], rtol=1e-6)
    np.testing.assert_allclose(step(keras.optimizers.SGD(1.0, clipnorm=1.0), [3, 4]),
                               [1 - 0.6, -1 - 0.8], rtol=1e-5)
    np.testing.assert_allclose(step(keras.optimizers.SGD(0.1, weight_decay=0.5), [0, 0]),
                               [0.95, -0.95], rtol=1e-6)
    w = step(keras.optimizers.Adam(0.1, weight_decay=0.5), [0, 0])  # AdamW's decoupled decay
    np.testing.assert_allclose(w, [0.95, -0.95], rtol=1e-6)
    with pytest.raises(ValueError, match="gradient_accumulation_steps"):
        keras.optimizers.Adam(gradient_accumulation_steps=1)  # Keras 3: an int >= 2
    with pytest.raises(TypeError, match="unrecognized"):
        keras.optimizers.SGD(0.1, clip_norm=1.0)
    assert type(keras.optimizers.get("adamw")._make([w_ for w_ in [pe.nn.Parameter(pe.ones(1))]])
                ).__name__ == "AdamW"
    opt = keras.optimizers.RMSprop(0.01)
    opt.learning_rate = 0.5
    assert opt.learning_rate == 0.5
