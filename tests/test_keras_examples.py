"""Public Keras example programs (keras-io), written from their published code with only the
imports changed and the data shrunk to synthetic arrays: they must run and learn."""
import numpy as np

import pyengine as pe
import pyengine as tf
from pyengine import keras
from pyengine.keras import layers


def test_mnist_convnet():
    # keras-io/examples/vision/mnist_convnet.py
    num_classes, input_shape = 10, (28, 28, 1)
    rng = np.random.default_rng(0)
    x_train = rng.random((64, 28, 28)).astype("float32")
    y_train = rng.integers(0, 10, 64)
    x_train = np.expand_dims(x_train, -1)
    y_train = keras.utils.to_categorical(y_train, num_classes)
    pe.manual_seed(0)
    model = keras.Sequential([
        keras.Input(shape=input_shape),
        layers.Conv2D(32, kernel_size=(3, 3), activation="relu"),
        layers.MaxPooling2D(pool_size=(2, 2)),
        layers.Conv2D(64, kernel_size=(3, 3), activation="relu"),
        layers.MaxPooling2D(pool_size=(2, 2)),
        layers.Flatten(),
        layers.Dropout(0.5),
        layers.Dense(num_classes, activation="softmax"),
    ])
    lines = []
    model.summary(print_fn=lines.append)
    assert "Total params: 34,826" in "\n".join(lines)
    model.compile(loss="categorical_crossentropy", optimizer="adam", metrics=["accuracy"])
    h = model.fit(x_train, y_train, batch_size=16, epochs=3, validation_split=0.25, verbose=0)
    assert h.history["loss"][-1] < h.history["loss"][0]
    score = model.evaluate(x_train, y_train, verbose=0)
    assert len(score) == 2


def test_functional_multi_input_multi_output():
    # keras-io/guides/functional_api.py: "Models with multiple inputs and outputs"
    num_tags, num_words, num_departments = 12, 100, 4
    title_input = keras.Input(shape=(None,), name="title")
    body_input = keras.Input(shape=(None,), name="body")
    tags_input = keras.Input(shape=(num_tags,), name="tags")
    title_features = layers.Embedding(num_words, 8)(title_input)
    body_features = layers.Embedding(num_words, 8)(body_input)
    title_features = layers.LSTM(16)(title_features)
    body_features = layers.LSTM(4)(body_features)
    x = layers.concatenate([title_features, body_features, tags_input])
    priority_pred = layers.Dense(1, name="priority")(x)
    department_pred = layers.Dense(num_departments, name="department")(x)
    model = keras.Model(inputs=[title_input, body_input, tags_input],
                        outputs={"priority": priority_pred, "department": department_pred})
    model.compile(optimizer=keras.optimizers.RMSprop(1e-3),
                  loss={"priority": keras.losses.BinaryCrossentropy(from_logits=True),
                        "department": keras.losses.CategoricalCrossentropy(from_logits=True)},
                  loss_weights={"priority": 1.0, "department": 0.2})
    title_data = np.random.randint(num_words, size=(32, 5))
    body_data = np.random.randint(num_words, size=(32, 9))
    tags_data = np.random.randint(2, size=(32, num_tags)).astype("float32")
    priority_targets = np.random.random(size=(32, 1))
    dept_targets = np.random.randint(2, size=(32, num_departments))
    h = model.fit({"title": title_data, "body": body_data, "tags": tags_data},
                  {"priority": priority_targets, "department": dept_targets},
                  epochs=2, batch_size=8, verbose=0)
    assert len(h.history["loss"]) == 2 and np.isfinite(h.history["loss"]).all()


class Sampling(layers.Layer):
    """Uses (z_mean, z_log_var) to sample z, the vector encoding a digit."""

    def call(self, inputs):
        z_mean, z_log_var = inputs
        batch = tf.shape(z_mean)[0]
        dim = tf.shape(z_mean)[1]
        epsilon = tf.random.normal(shape=(batch, dim))
        return z_mean + tf.exp(0.5 * z_log_var) * epsilon


class VAE(keras.Model):
    def __init__(self, encoder, decoder, **kwargs):
        super().__init__(**kwargs)
        self.encoder = encoder
        self.decoder = decoder
        self.total_loss_tracker = keras.metrics.Mean(name="total_loss")
        self.reconstruction_loss_tracker = keras.metrics.Mean(name="reconstruction_loss")
        self.kl_loss_tracker = keras.metrics.Mean(name="kl_loss")

    @property
    def metrics(self):
        return [self.total_loss_tracker, self.reconstruction_loss_tracker, self.kl_loss_tracker]

    def train_step(self, data):
        with tf.GradientTape() as tape:
            z_mean, z_log_var, z = self.encoder(data)
            reconstruction = self.decoder(z)
            reconstruction_loss = tf.reduce_mean(tf.reduce_sum(
                keras.losses.binary_crossentropy(data, reconstruction), axis=(1, 2)))
            kl_loss = -0.5 * (1 + z_log_var - tf.square(z_mean) - tf.exp(z_log_var))
            kl_loss = tf.reduce_mean(tf.reduce_sum(kl_loss, axis=1))
            total_loss = reconstruction_loss + kl_loss
        grads = tape.gradient(total_loss, self.trainable_weights)
        self.optimizer.apply_gradients(zip(grads, self.trainable_weights))
        self.total_loss_tracker.update_state(total_loss)
        self.reconstruction_loss_tracker.update_state(reconstruction_loss)
        self.kl_loss_tracker.update_state(kl_loss)
        return {"loss": self.total_loss_tracker.result(),
                "reconstruction_loss": self.reconstruction_loss_tracker.result(),
                "kl_loss": self.kl_loss_tracker.result()}


def test_variational_autoencoder():
    # keras-io/examples/generative/vae.py (dense encoder / decoder for speed)
    pe.manual_seed(0)
    latent_dim = 2
    encoder_inputs = keras.Input(shape=(8, 8, 1))
    x = layers.Flatten()(encoder_inputs)
    x = layers.Dense(16, activation="relu")(x)
    z_mean = layers.Dense(latent_dim, name="z_mean")(x)
    z_log_var = layers.Dense(latent_dim, name="z_log_var")(x)
    z = Sampling()([z_mean, z_log_var])
    encoder = keras.Model(encoder_inputs, [z_mean, z_log_var, z], name="encoder")
    latent_inputs = keras.Input(shape=(latent_dim,))
    x = layers.Dense(16, activation="relu")(latent_inputs)
    x = layers.Dense(64, activation="sigmoid")(x)
    decoder_outputs = layers.Reshape((8, 8, 1))(x)
    decoder = keras.Model(latent_inputs, decoder_outputs, name="decoder")
    digits = (np.random.default_rng(0).random((128, 8, 8, 1)) > 0.5).astype("float32")
    vae = VAE(encoder, decoder)
    vae.compile(optimizer=keras.optimizers.Adam())
    h = vae.fit(digits, epochs=4, batch_size=32, verbose=0)
    assert set(h.history) == {"loss", "reconstruction_loss", "kl_loss"}
    assert h.history["loss"][-1] < h.history["loss"][0]


# ---- patterns of TF-Keras 2 / Keras 3 example programs (keras-io keras_recipes, keras/examples)
def _digits(n=96, seed=0):
    rng = np.random.default_rng(seed)
    y = rng.integers(0, 4, n)
    x = rng.normal(size=(n, 16)).astype("float32") + np.eye(4, 16)[y].astype("float32") * 3
    return x, y


def test_custom_layer_with_tf_ops_and_inplace_rebinding():
    # antirectifier: `inputs -= mean` inside call, tf.nn.relu, tf.concat, tf.matmul
    class Anti(layers.Layer):
        def build(self, input_shape):
            self.kernel = self.add_weight(shape=(input_shape[-1] * 2, input_shape[-1]),
                                          initializer="he_normal", name="kernel")

        def call(self, inputs):
            inputs -= tf.reduce_mean(inputs, axis=-1, keepdims=True)
            both = tf.concat([tf.nn.relu(inputs), tf.nn.relu(-inputs)], axis=-1)
            return tf.matmul(both, self.kernel)
    x, y = _digits()
    pe.manual_seed(0)
    model = keras.Sequential([keras.Input((16,)), layers.Dense(8), Anti(), layers.Dense(4)])
    model.compile(loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True),
                  optimizer=keras.optimizers.RMSprop(), metrics=["accuracy"])
    h = model.fit(x, y, batch_size=16, epochs=5, verbose=0)
    assert h.history["loss"][-1] < h.history["loss"][0]
    # the rebinding left the caller's tensor alone (TensorFlow tensors are immutable)
    a = pe.tensor(np.ones((2, 3), np.float32))
    model2 = keras.Sequential([keras.Input((3,)), Anti()])
    model2(a)
    np.testing.assert_array_equal(a.numpy(), np.ones((2, 3), np.float32))


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


def test_trainer_pattern_tf2_compiled_loss_and_metrics():
    # keras_recipes/trainer_pattern.py: a Model wrapping a model, TF2-style train_step
    class Trainer(keras.Model):
        def __init__(self, model):
            super().__init__()
            self.model = model

        def train_step(self, data):
            x, y = data
            with tf.GradientTape() as tape:
                y_pred = self.model(x, training=True)
                loss = self.compiled_loss(y, y_pred, regularization_losses=self.losses)
            grads = tape.gradient(loss, self.trainable_variables)
            self.optimizer.apply_gradients(zip(grads, self.trainable_variables))
            self.compiled_metrics.update_state(y, y_pred)
            return {m.name: m.result() for m in self.metrics}

        def call(self, x):
            return self.model(x)
    x, y = _digits()
    inp = keras.Input((16, 1))  # data are (N, 16): Keras adds the trailing 1
    out = layers.Dense(4, activation="softmax")(layers.Flatten()(inp))
    pe.manual_seed(0)
    t = Trainer(keras.Model(inp, out))
    t.compile(keras.optimizers.Adam(0.01), loss="sparse_categorical_crossentropy",
              metrics=["accuracy"])
    h = t.fit(x, y, epochs=10, batch_size=16, verbose=0)
    assert set(h.history) == {"loss", "accuracy"}
    assert h.history["loss"][-1] < h.history["loss"][0] and h.history["accuracy"][-1] > 0.5


def test_endpoint_layer_add_loss_add_metric_and_keyword_inputs():
    # keras_recipes/endpoint_layer_pattern.py
    class Endpoint(layers.Layer):
        def __init__(self, name=None):
            super().__init__(name=name)
            self.loss_fn = keras.losses.BinaryCrossentropy(from_logits=True)
            self.acc = keras.metrics.BinaryAccuracy(name="accuracy")

        def call(self, logits, targets=None, sample_weight=None):
            if targets is not None:
                self.add_loss(self.loss_fn(targets, logits, sample_weight))
                self.add_metric(self.acc(targets, logits, sample_weight))
                self.add_metric(tf.reduce_mean(logits), name="mean_logit")
            return tf.nn.sigmoid(logits)

    class LogReg(keras.Model):
        def __init__(self):
            super().__init__()
            self.dense = layers.Dense(1)
            self.end = Endpoint()

        def call(self, inputs):
            return self.end(logits=self.dense(inputs["x"]), targets=inputs["t"],
                            sample_weight=inputs["w"])
    rng = np.random.default_rng(0)
    x = rng.normal(size=(128, 5)).astype("float32")
    data = {"x": x, "t": (x[:, :1] > 0).astype("float32"), "w": np.ones((128, 1), "float32")}
    pe.manual_seed(0)
    m = LogReg()
    m.compile(keras.optimizers.Adam(0.05))
    h = m.fit(data, epochs=5, batch_size=32, verbose=0)
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
    # keras-io guide "customizing what happens in fit" (Keras 3 form)
    class Custom(keras.Model):
        def train_step(self, data):
            x, y = data
            with tf.GradientTape() as tape:
                y_pred = self(x, training=True)
                loss = self.compute_loss(y=y, y_pred=y_pred)
            grads = tape.gradient(loss, self.trainable_variables)
            self.optimizer.apply(grads, self.trainable_variables)
            for metric in self.metrics:
                if metric.name == "loss":
                    metric.update_state(loss)
                else:
                    metric.update_state(y, y_pred)
            return {m.name: m.result() for m in self.metrics}
    rng = np.random.default_rng(0)
    x = rng.random((256, 8)).astype("float32")
    y = x @ rng.random((8, 1)).astype("float32")
    inp = keras.Input((8,))
    pe.manual_seed(0)
    m = Custom(inp, layers.Dense(1)(inp))
    m.compile(optimizer=keras.optimizers.Adam(0.05), loss="mse", metrics=["mae"])
    h = m.fit(x, y, epochs=6, batch_size=32, verbose=0)
    assert set(h.history) == {"loss", "mae"} and h.history["loss"][-1] < h.history["loss"][0]
    # Keras 3: compute_loss without any loss is zero; the default train_step says what is wrong
    plain = keras.Model(inp, layers.Dense(1)(inp))
    plain.compile("adam")
    assert float(plain.compute_loss(x, y, plain(x))) == 0.0
    with np.testing.assert_raises_regex(ValueError, "no loss to minimize"):
        plain.fit(x, y, verbose=0)
