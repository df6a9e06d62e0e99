"""Original tests of the API patterns of keras-io's Keras 3 guides (custom train steps with the
torch and TF faces, training loops in torch style, saving hooks, serialization): tiny sizes,
synthetic data. The guides themselves are not in the repository (docs/public_examples.md)."""
import os

import numpy as np
import pytest

import pyengine as torch
import pyengine as tf
from pyengine import keras
from pyengine.keras import layers, ops


def _xy(n=64, d=8, k=1, seed=0):
    rng = np.random.default_rng(seed)
    x = rng.random((n, d)).astype("float32")
    w = rng.normal(size=(d, k)).astype("float32")
    return x, (x @ w).astype("float32")


# ---- custom train_step / test_step (torch face and TF face) ---------------------------------
class _TorchStepModel(keras.Model):
    def train_step(self, data):
        if len(data) == 3:
            x, y, sample_weight = data
        else:
            (x, y), sample_weight = data, None
        self.zero_grad()
        y_pred = self(x, training=True)
        loss = self.compute_loss(y=y, y_pred=y_pred, sample_weight=sample_weight)
        loss.backward()
        trainable = [v for v in self.trainable_weights]
        with torch.no_grad():
            self.optimizer.apply([v.value.grad for v in trainable], trainable)
        for m in self.metrics:
            if m.name == "loss":
                m.update_state(loss)
            else:
                m.update_state(y, y_pred, sample_weight=sample_weight)
        return {m.name: m.result() for m in self.metrics}

    def test_step(self, data):
        x, y = data
        y_pred = self(x, training=False)
        loss = self.compute_loss(y=y, y_pred=y_pred)
        for m in self.metrics:
            m.update_state(loss) if m.name == "loss" else m.update_state(y, y_pred)
        return {m.name: m.result() for m in self.metrics}


def test_torch_style_train_step_trains_and_test_step_reports_numpy_values():
    x, y = _xy()
    inputs = keras.Input(shape=(8,))
    model = _TorchStepModel(inputs, layers.Dense(1)(inputs))
    model.compile(optimizer=keras.optimizers.Adam(0.05), loss="mse", metrics=["mae"])
    h = model.fit(x, y, epochs=6, batch_size=16, verbose=0)
    assert h.history["loss"][-1] < 0.5 * h.history["loss"][0]
    sw = np.linspace(0.1, 1.0, len(x)).astype("float32")
    h = model.fit(x, y, sample_weight=sw, epochs=1, batch_size=64, verbose=0)
    assert np.isfinite(h.history["loss"][0])
    p = model.predict(x, verbose=0)
    out = model.evaluate(x, y, batch_size=64, verbose=0, return_dict=True)
    np.testing.assert_allclose(out["loss"], np.mean((p - y) ** 2), rtol=1e-5)
    np.testing.assert_allclose(out["mae"], np.mean(np.abs(p - y)), rtol=1e-5)


def test_tf_style_gan_step_with_symbolic_batch_size():
    disc = keras.Sequential([keras.Input((4,)), layers.Dense(8), layers.LeakyReLU(negative_slope=0.2),
                             layers.Dense(1)])
    gen = keras.Sequential([keras.Input((3,)), layers.Dense(4)])
    seed = keras.random.SeedGenerator(1)
    d_opt, g_opt = keras.optimizers.Adam(1e-2), keras.optimizers.Adam(1e-2)
    loss_fn = keras.losses.BinaryCrossentropy(from_logits=True)
    real = np.random.default_rng(0).normal(2.0, 0.1, (32, 4)).astype("float32")
    g_losses = []
    for _ in range(15):
        batch_size = tf.shape(real)[0]
        z = keras.random.normal(shape=(batch_size, 3), seed=seed)
        combined = tf.concat([gen(z), real], axis=0)
        labels = tf.concat([tf.ones((batch_size, 1)), tf.zeros((batch_size, 1))], axis=0)
        labels += 0.05 * keras.random.uniform(tf.shape(labels), seed=seed)
        assert tuple(labels.shape) == (64, 1)
        with tf.GradientTape() as tape:
            d_loss = loss_fn(labels, disc(combined))
        d_opt.apply(tape.gradient(d_loss, disc.trainable_weights), disc.trainable_weights)
        before = [w.numpy().copy() for w in disc.trainable_weights]
        with tf.GradientTape() as tape:
            g_loss = loss_fn(tf.zeros((batch_size, 1)), disc(gen(keras.random.normal(
                shape=(batch_size, 3), seed=seed))))
        g_opt.apply(tape.gradient(g_loss, gen.trainable_weights), gen.trainable_weights)
        for b, w in zip(before, disc.trainable_weights):  # the generator step leaves D alone
            np.testing.assert_array_equal(b, w.numpy())
        g_losses.append(float(g_loss))
    assert np.all(np.isfinite(g_losses))


def test_torch_optimizer_and_loss_on_a_keras_model_with_one_hot_targets():
    rng = np.random.default_rng(0)
    x = rng.random((96, 6)).astype("float32")
    labels = (x[:, 0] > x[:, 1]).astype("int64") + 2 * (x[:, 2] > 0.5)
    y = keras.utils.to_categorical(labels, 4)
    inputs = keras.Input(shape=(6,))
    model = keras.Model(inputs, layers.Dense(4)(layers.Dense(16, activation="relu")(inputs)))
    loader = torch.utils.data.DataLoader(torch.utils.data.TensorDataset(
        torch.from_numpy(x), torch.from_numpy(y)), batch_size=16, shuffle=True)
    optimizer = torch.optim.Adam(model.parameters(), lr=1e-2)
    loss_fn = torch.nn.CrossEntropyLoss()
    logits = model(torch.from_numpy(x))
    ls = logits.numpy() - np.log(np.exp(logits.numpy()).sum(1, keepdims=True))
    np.testing.assert_allclose(float(loss_fn(logits, torch.from_numpy(y))),
                               -(y * ls).sum(1).mean(), rtol=1e-5)   # probabilities as targets
    first = float(loss_fn(logits, torch.from_numpy(y)))
    for _ in range(20):
        for xb, yb in loader:
            loss = loss_fn(model(xb), yb)
            model.zero_grad()
            loss.backward()
            optimizer.step()
    assert float(loss_fn(model(torch.from_numpy(x)), torch.from_numpy(y))) < 0.6 * first


# ---- Keras 3 saving hooks ----------------------------------------------------------------------
@keras.saving.register_keras_serializable(package="he_tests")
class _ScaledDense(layers.Dense):
    def __init__(self, units, **kwargs):
        super().__init__(units, **kwargs)
        self.scale = keras.Variable(np.full((units,), 2.0), name="scale", dtype="float32")
        self.loaded_through_hook = False

    def save_own_variables(self, store):
        super().save_own_variables(store)
        store["scale"] = self.scale.numpy()

    def load_own_variables(self, store):
        self.scale.assign(store["scale"])
        for i, v in enumerate(self.weights):
            v.assign(store[f"{i}"])
        self.loaded_through_hook = True

    def call(self, inputs):
        return super().call(inputs) + self.scale


def test_save_and_load_own_variables_hooks(tmp_path):
    x, y = _xy(16, 5)
    model = keras.Sequential([keras.Input((5,)), _ScaledDense(1)])
    model.compile("adam", "mse")
    model.fit(x, y, epochs=2, verbose=0)
    model.layers[0].scale.assign(np.array([3.5], np.float32))
    model.save(tmp_path / "v.keras")
    back = keras.models.load_model(tmp_path / "v.keras")
    assert back.layers[0].loaded_through_hook
    np.testing.assert_array_equal(back.layers[0].scale.numpy(), [3.5])
    np.testing.assert_array_equal(back.predict(x, verbose=0), model.predict(x, verbose=0))


def test_default_own_variables_store_round_trips():
    layer = layers.Dense(3)
    layer.build((None, 4))
    store = {}
    layer.save_own_variables(store)
    assert sorted(store) == ["0", "1"] and store["0"].shape == (4, 3)
    other = layers.Dense(3)
    other.build((None, 4))
    other.load_own_variables(store)
    np.testing.assert_array_equal(other.get_weights()[0], layer.get_weights()[0])
    with pytest.raises(ValueError, match="load_own_variables.*expects 2"):
        other.load_own_variables({"0": store["0"]})


@keras.saving.register_keras_serializable(package="he_tests")
class _VocabDense(layers.Dense):
    def __init__(self, vocab=None, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.vocab = vocab

    def save_assets(self, inner_path):
        os.makedirs(os.path.join(inner_path, "sub"))
        with open(os.path.join(inner_path, "sub", "vocab.txt"), "w") as f:
            f.write(self.vocab)

    def load_assets(self, inner_path):
        with open(os.path.join(inner_path, "sub", "vocab.txt")) as f:
            self.vocab = f.read().replace("<unk>", "little")


def test_save_and_load_assets_hooks(tmp_path):
    model = keras.Sequential([_VocabDense(vocab="a <unk> lamb", units=2)])
    model(np.ones((2, 3), np.float32))
    model.save(tmp_path / "a.keras")
    back = keras.models.load_model(tmp_path / "a.keras")
    assert back.layers[0].vocab == "a little lamb"


@keras.saving.register_keras_serializable(package="he_tests")
class _InitBuild(layers.Layer):
    def __init__(self, units=4, **kwargs):
        super().__init__(**kwargs)
        self.units = units

    def get_config(self):
        return dict(units=self.units, **super().get_config())   # no duplicate `units`

    def build(self, input_shape, layer_init):
        self.w = self.add_weight(shape=(input_shape[-1], self.units), initializer=layer_init)
        self.layer_init = layer_init

    def get_build_config(self):
        return {**super().get_build_config(), "layer_init": self.layer_init}

    def build_from_config(self, config):
        self.build(config["input_shape"], config["layer_init"])

    def call(self, inputs):
        return ops.matmul(inputs, self.w)


def test_get_build_config_and_build_from_config_hooks(tmp_path):
    layer = _InitBuild(units=3)
    layer.build(input_shape=(5,), layer_init="ones")
    assert layer.get_build_config() == {"input_shape": [5], "layer_init": "ones"}
    assert "units" in layer.get_config()
    model = keras.Sequential([layer, layers.Dense(1)])
    x = np.random.default_rng(1).random((4, 5)).astype("float32")
    model(x)
    model.save(tmp_path / "b.keras")
    back = keras.models.load_model(tmp_path / "b.keras")
    assert back.layers[0].layer_init == "ones" and back.built
    np.testing.assert_array_equal(back.predict(x, verbose=0), model.predict(x, verbose=0))


@keras.saving.register_keras_serializable(package="he_tests")
def _tenth_square_sum(y_true, y_pred):
    return ops.sum(ops.square(y_pred - y_true) / 10.0, axis=1)


@keras.saving.register_keras_serializable(package="he_tests")
class _OwnCompile(keras.Model):
    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self.d1 = layers.Dense(4, activation="relu")
        self.d2 = layers.Dense(3, activation="softmax")

    def call(self, inputs):
        return self.d2(self.d1(inputs))

    def compile(self, optimizer, loss_fn, metrics):
        super().compile(optimizer=optimizer, loss=loss_fn, metrics=metrics)
        self.model_optimizer, self.loss_fn, self.loss_metrics = optimizer, loss_fn, metrics

    def get_compile_config(self):
        return {"model_optimizer": self.model_optimizer, "loss_fn": self.loss_fn,
                "metric": self.loss_metrics}

    def compile_from_config(self, config):
        self.compile(optimizer=keras.utils.deserialize_keras_object(config["model_optimizer"]),
                     loss_fn=keras.utils.deserialize_keras_object(config["loss_fn"]),
                     metrics=keras.utils.deserialize_keras_object(config["metric"]))


def test_get_compile_config_hooks_and_subclassed_model_rebuilt_from_build_config(tmp_path):
    x = np.random.default_rng(2).random((6, 5)).astype("float32")
    y = np.random.default_rng(3).random((6, 3)).astype("float32")
    model = _OwnCompile()
    model.compile(optimizer="SGD", loss_fn=_tenth_square_sum, metrics=["mae"])
    model.fit(x, y, verbose=0)
    model.save(tmp_path / "c.keras")
    back = keras.models.load_model(tmp_path / "c.keras")
    assert back.model_optimizer == "SGD" and back.loss_fn is _tenth_square_sum
    assert back.loss_metrics == ["mae"]
    np.testing.assert_array_equal(back.predict(x, verbose=0), model.predict(x, verbose=0))
    back.fit(x, y, verbose=0)   # compiled from the hook: trains


def test_model_compile_config_defaults_round_trip():
    inputs = keras.Input((3,))
    model = keras.Model(inputs, layers.Dense(2)(inputs))
    assert model.get_compile_config() is None
    model.compile(keras.optimizers.Adam(0.01), "mse", metrics=["mae"])
    cfg = model.get_compile_config()
    other = keras.Model(inputs, layers.Dense(2)(inputs))
    other.compile_from_config(cfg)
    assert type(other.optimizer).__name__ == "Adam"
    np.testing.assert_allclose(float(other.optimizer.learning_rate), 0.01)


# ---- losses broadcast like Keras 3 ------------------------------------------------------------
@pytest.mark.parametrize("loss,ref", [("mse", lambda d: (d ** 2).mean(-1)),
                                      ("mae", lambda d: np.abs(d).mean(-1))])
def test_regression_losses_broadcast_labels_against_a_single_output(loss, ref):
    x, _ = _xy(32, 4)
    y = np.random.default_rng(4).random((32, 5)).astype("float32")
    model = keras.Sequential([keras.Input((4,)), layers.Dense(1)])
    model.compile("sgd", loss)
    p = model.predict(x, verbose=0)
    np.testing.assert_allclose(model.evaluate(x, y, verbose=0), ref(y - p).mean(), rtol=1e-5)
    h = model.fit(x, y, epochs=5, batch_size=8, verbose=0)
    assert h.history["loss"][-1] < h.history["loss"][0]
    with pytest.raises(ValueError, match="shapes must match or broadcast"):
        model.fit(x, np.zeros((32, 5, 2), np.float32), verbose=0)
    bce = keras.Sequential([keras.Input((4,)), layers.Dense(1, activation="sigmoid")])
    bce.compile("sgd", "binary_crossentropy")
    with pytest.raises(ValueError, match="labels have shape"):   # classification stays strict
        bce.fit(x, (y > 0.5).astype("float32"), verbose=0)


# ---- serialization ------------------------------------------------------------------------------
@keras.saving.register_keras_serializable(package="he_tests", name="KernelTimes")
class _MyDense(layers.Layer):
    def __init__(self, units, *, kernel_initializer=None, nested=None, **kwargs):
        super().__init__(**kwargs)
        self.hidden_units, self.kernel_initializer, self.nested = units, kernel_initializer, nested

    def get_config(self):
        config = super().get_config()
        config.update({"units": self.hidden_units, "kernel_initializer": self.kernel_initializer,
                       "nested": self.nested})
        return config

    def build(self, input_shape):
        self.kernel = self.add_weight(shape=(input_shape[-1], self.hidden_units),
                                      initializer=self.kernel_initializer)

    def call(self, inputs):
        return ops.matmul(inputs, self.kernel)


@keras.saving.register_keras_serializable(package="he_tests", name="cube")
def _cube(x):
    return x ** 3


def test_layers_serialize_with_a_nested_layer_and_a_registered_name():
    inner = _MyDense(4, kernel_initializer="ones")
    outer = _MyDense(2, nested=inner)
    config = keras.layers.serialize(outer)
    assert config["registered_name"] == "he_tests>KernelTimes"
    assert config["config"]["nested"]["class_name"] == "_MyDense"   # JSON, not the object
    import json
    json.dumps(config)
    back = keras.layers.deserialize(config)
    assert isinstance(back, _MyDense) and back.hidden_units == 2
    assert isinstance(back.nested, _MyDense) and back.nested is not inner
    assert back.nested.hidden_units == 4
    with pytest.raises(TypeError, match="layers.serialize"):
        keras.layers.serialize("dense")


def test_model_with_a_registered_activation_and_layer_arguments_saves(tmp_path):
    inputs = keras.Input((3,))
    h = _MyDense(4, kernel_initializer="glorot_uniform")(inputs)
    outputs = layers.Dense(2, activation=_cube)(h)
    model = keras.Model(inputs, outputs)
    x = np.random.default_rng(5).random((4, 3)).astype("float32")
    model.save(tmp_path / "f.keras")
    back = keras.models.load_model(tmp_path / "f.keras")
    np.testing.assert_array_equal(back.predict(x, verbose=0), model.predict(x, verbose=0))
    fresh = keras.Model.from_config(model.get_config())
    assert not any(a is b for a in model.weights for b in fresh.weights)


# ---- working_with_rnns: unbuilt summaries, tf.device, TensorShape, tf.nest, nested cells --------
def test_summary_of_an_unbuilt_sequential_lists_its_layers_as_unbuilt():
    model = keras.Sequential([layers.Embedding(100, 8), layers.LSTM(4), layers.Dense(2)])
    lines = []
    model.summary(print_fn=lines.append)
    rows = [ln for ln in lines if "(LSTM)" in ln]
    assert rows and "?" in rows[0] and rows[0].endswith("0 (unbuilt)")
    assert "Total params: 0" in lines
    model(np.zeros((2, 5), np.int64))
    lines = []
    model.summary(print_fn=lines.append)
    assert "Total params: 1,018" in lines   # Embedding 800 + LSTM 208 + Dense 10, as Keras


def test_tf_device_names_and_the_device_context():
    assert torch.device("CPU:0") == torch.device("cpu:0")
    assert torch.device("/device:GPU:1") == torch.device("cuda:1")
    assert torch.device("/job:localhost/replica:0/task:0/device:CPU:0").type == "cpu"
    with tf.device("CPU:0"):
        y = tf.argmax(tf.constant([[0.1, 0.9]]), axis=1)
    assert y.numpy().tolist() == [1]
    with torch.device("cpu"):
        pass
    with tf.device("/GPU:0"):  # TF 2's soft placement: computes on the CPU when no GPU serves
        assert tf.constant([1.0]).device == torch.device("cpu")
    with pytest.raises(ValueError, match="unknown device"):
        torch.device("TPU:0")


def test_tensor_shape():
    s = tf.TensorShape([20, None])
    assert s.rank == 2 and s.as_list() == [20, None] and len(s) == 2 and s[0] == 20
    assert s == [20, None] and s != (20, 3) and not s.is_fully_defined()
    assert tf.TensorShape([2, 3]).num_elements() == 6
    assert tf.TensorShape(3) == [3] and tf.TensorShape(None).rank is None
    assert (tf.TensorShape([1]) + [2]).as_list() == [1, 2]
    assert tf.TensorShape([4, 5])[1:] == [5]
    with pytest.raises(TypeError, match="TensorShape"):
        tf.TensorShape([2.5])


def test_tf_nest():
    s = {"b": (1, [2, 3]), "a": 4}
    assert tf.nest.flatten(s) == [4, 1, 2, 3]          # sorted keys, as tf.nest
    assert tf.nest.flatten(5) == [5]
    doubled = tf.nest.map_structure(lambda x, y: x + y, s, s)
    assert doubled == {"b": (2, [4, 6]), "a": 8}
    assert tf.nest.pack_sequence_as(s, [0, 1, 2, 3]) == {"b": (1, [2, 3]), "a": 0}
    with pytest.raises(ValueError, match="same nested structure"):
        tf.nest.map_structure(lambda x, y: x, (1, 2), (1, 2, 3))
    with pytest.raises(ValueError, match="3 values"):
        tf.nest.pack_sequence_as((1, 2), [1, 2, 3])


class _NestedCell(layers.Layer):
    def __init__(self, u1, u2, u3, **kwargs):
        self.u1, self.u2, self.u3 = u1, u2, u3
        self.state_size = [tf.TensorShape([u1]), tf.TensorShape([u2, u3])]
        self.output_size = [tf.TensorShape([u1]), tf.TensorShape([u2, u3])]
        super().__init__(**kwargs)

    def build(self, input_shapes):
        self.k1 = self.add_weight(shape=(input_shapes[0][1], self.u1), initializer="uniform")
        self.k23 = self.add_weight(shape=(input_shapes[1][1], input_shapes[1][2], self.u2,
                                          self.u3), initializer="uniform")

    def call(self, inputs, states):
        a, b = tf.nest.flatten(inputs)
        o1, o23 = tf.matmul(a, self.k1), tf.einsum("bij,ijkl->bkl", b, self.k23)
        return (o1, o23), (states[0] + o1, states[1] + o23)


def test_rnn_over_a_cell_with_nested_inputs_states_and_outputs():
    rng = np.random.default_rng(6)
    a = rng.random((8, 4, 3)).astype("float32")
    b = rng.random((8, 4, 2, 5)).astype("float32")
    in1, in2 = keras.Input((None, 3)), keras.Input((None, 2, 5))
    cell = _NestedCell(2, 3, 4)
    outs = layers.RNN(cell)((in1, in2))
    model = keras.Model([in1, in2], outs)
    p1, p23 = model.predict([a, b], verbose=0)
    k1, k23 = cell.k1.numpy(), cell.k23.numpy()
    np.testing.assert_allclose(p1, a[:, -1] @ k1, rtol=1e-5)   # the last step's output
    np.testing.assert_allclose(p23, np.einsum("bij,ijkl->bkl", b[:, -1], k23), atol=1e-6)
    seq = layers.RNN(_NestedCell(2, 3, 4), return_sequences=True, return_state=True)
    (s1, s23), st1, st23 = seq((a, b))
    assert tuple(s1.shape) == (8, 4, 2) and tuple(s23.shape) == (8, 4, 3, 4)
    np.testing.assert_allclose(st1.numpy(), s1.numpy().sum(1), rtol=1e-5)  # states sum outputs
    model.compile("adam", "mse")
    t1, t23 = rng.random((8, 2)).astype("float32"), rng.random((8, 3, 4)).astype("float32")
    h = model.fit([a, b], [t1, t23], epochs=8, batch_size=8, verbose=0)
    assert h.history["loss"][-1] < h.history["loss"][0]


# ---- preprocessing_layers: n-grams, TF-IDF, raw strings through a GRU model ------------------
_TEXTS = ["The Brain is wider than the Sky", "For put them side by side",
          "The one the other will contain", "With ease and You beside"]


def test_text_vectorization_ngrams_multi_hot_and_tf_idf():
    tv = layers.TextVectorization(output_mode="multi_hot", ngrams=2)
    tv.adapt(tf.constant(_TEXTS))
    vocab = tv.get_vocabulary()
    assert "the brain" in vocab and "side by" in vocab and "the" in vocab
    assert tv.vocabulary_size() == 41    # 23 words + 17 pairs + [UNK], as Keras
    out = tv(["The Brain is deeper than the sea"]).numpy()[0]
    seen = {"the", "brain", "is", "than", "the brain", "brain is", "than the"}
    assert {vocab[i] for i in np.flatnonzero(out) if i} == seen and out[0] == 1  # [UNK]
    idf = layers.TextVectorization(output_mode="tf-idf", ngrams=2)
    idf.adapt(tf.constant(_TEXTS))
    w = idf(["The Brain is deeper than the sea"]).numpy()[0]
    # tf-idf: count * log(1 + docs / (1 + docs containing the token)), 4 documents
    np.testing.assert_allclose(w[idf.get_vocabulary().index("brain")], np.log(1 + 4 / 2))
    np.testing.assert_allclose(w[idf.get_vocabulary().index("the")], 2 * np.log(1 + 4 / 3),
                               rtol=1e-6)
    only_pairs = layers.TextVectorization(ngrams=(2,), output_mode="int")
    only_pairs.adapt(["a b c"])
    assert sorted(only_pairs.get_vocabulary()[2:]) == ["a b", "b c"]


def test_raw_strings_through_text_vectorization_and_a_gru_model():
    tv = layers.TextVectorization(output_mode="int")
    tv.adapt(tf.constant(_TEXTS))
    inputs = keras.Input(shape=(None,), dtype="int64")
    h = layers.GRU(4)(layers.Embedding(tv.vocabulary_size(), 8)(inputs))
    model = keras.Model(inputs, layers.Dense(1)(h))
    ds = tf.data.Dataset.from_tensor_slices((["the brain is wider", "put them by side"],
                                             [1.0, 0.0])).batch(2)
    model.compile("rmsprop", "mse")
    model.fit(ds.map(lambda x, y: (tv(x), y)), verbose=0)
    s_in = keras.Input(shape=(1,), dtype="string")
    end_to_end = keras.Model(s_in, model(tv(s_in)))   # the length stays None
    text = tf.constant(["The one the other will absorb"])
    np.testing.assert_allclose(end_to_end(text).numpy(), model(tv(text)).numpy(), rtol=1e-6)


# ---- migrating_to_keras_3 ---------------------------------------------------------------------
def test_strings_as_string_formats_like_tensorflow():
    assert tf.strings.as_string(np.array([[1, -2]])).tolist() == [["1", "-2"]]
    assert tf.strings.as_string(np.float32(1.5)) == "1.500000"
    assert tf.strings.as_string(np.array([3.14159]), precision=2).tolist() == ["3.14"]
    assert tf.strings.as_string(np.array([1234.5]), scientific=True).tolist() == ["1.234500e+03"]
    assert tf.strings.as_string(np.array([0.5]), shortest=True).tolist() == ["0.5"]
    assert tf.strings.as_string(np.array([7]), width=3, fill="0").tolist() == ["007"]
    assert tf.strings.as_string(np.array([True, False])).tolist() == ["true", "false"]
    back = tf.strings.to_number(tf.strings.as_string(tf.constant([[1.0, 2.5]])))
    np.testing.assert_array_equal(back.numpy(), [[1.0, 2.5]])
    with pytest.raises(ValueError, match="fill"):
        tf.strings.as_string(np.array([1]), fill="x")
    with pytest.raises(TypeError, match="as_string"):
        tf.strings.as_string(np.array(["a"]))


def test_crossentropy_metrics_by_name_and_class():
    rng = np.random.default_rng(7)
    p = rng.random((6, 4)).astype("float32") + 0.05
    p /= p.sum(1, keepdims=True)
    y = np.eye(4, dtype="float32")[rng.integers(0, 4, 6)]
    cce = keras.metrics.CategoricalCrossentropy()
    cce.update_state(y, p)
    np.testing.assert_allclose(float(cce.result()), -(y * np.log(p)).sum(1).mean(), rtol=1e-5)
    scce = keras.metrics.get("sparse_categorical_crossentropy")
    scce.update_state(y.argmax(1), p)
    np.testing.assert_allclose(float(scce.result()), float(cce.result()), rtol=1e-5)
    bce = keras.metrics.BinaryCrossentropy(from_logits=True)
    z, t = rng.normal(size=(5, 1)).astype("float32"), (rng.random((5, 1)) > 0.5).astype("f")
    bce.update_state(t, z)
    ref = np.mean(np.maximum(z, 0) - z * t + np.log1p(np.exp(-np.abs(z))))
    np.testing.assert_allclose(float(bce.result()), ref, rtol=1e-5)
    with pytest.raises(ValueError, match="axis=-1"):
        keras.metrics.CategoricalCrossentropy(axis=1)


def test_one_target_array_serves_every_output_and_per_output_metric_names():
    inputs = layers.Input(shape=(6,))
    x1 = layers.Dense(4, activation="relu")(inputs)
    o1 = layers.Dense(3, activation="softmax", name="out_a")(x1)
    o2 = layers.Dense(3, activation="softmax", name="out_b")(layers.Dense(4)(x1))
    model = keras.Model(inputs, [o1, o2])
    model.compile("adam", "categorical_crossentropy",
                  metrics=["categorical_crossentropy", "categorical_crossentropy"])
    x = np.random.default_rng(8).random((10, 6)).astype("float32")
    y = np.eye(3, dtype="float32")[np.arange(10) % 3]
    out = model.evaluate(x, y, verbose=0, return_dict=True)
    pa, pb = model.predict(x, verbose=0)
    ca, cb = (-(y * np.log(np.clip(p, 1e-7, 1))).sum(1).mean() for p in (pa, pb))
    np.testing.assert_allclose(out["out_a_categorical_crossentropy"], ca, rtol=1e-4)
    np.testing.assert_allclose(out["out_b_categorical_crossentropy"], cb, rtol=1e-4)
    np.testing.assert_allclose(out["loss"], ca + cb, rtol=1e-4)
    with pytest.raises(ValueError, match="2 outputs"):
        model.evaluate(x, [y, y, y], verbose=0)


def test_symbolic_call_of_a_layer_returning_none_and_tf_function_on_call():
    class Nothing(layers.Layer):
        def call(self, inputs):
            return None
    ins = {"foo": keras.Input((1,)), "bar": {"baz": keras.Input((1,))}}
    assert Nothing()(ins) is None

    class Coin(layers.Layer):
        @tf.function()
        def call(self, inputs):
            return inputs * 2 if tf.random.uniform(()) > 0.5 else inputs / 2
    out = Coin()(np.ones((2, 2), np.float32)).numpy()
    assert np.all(out == 2) or np.all(out == 0.5)


def test_saved_model_and_torch_distributed_names_raise_clearly():
    with pytest.raises(NotImplementedError, match="saved_model.save.*model.save"):
        tf.saved_model.save(keras.Sequential([layers.Dense(1)]), "unused_dir")
    with pytest.raises(NotImplementedError, match="saved_model.load"):
        tf.saved_model.load("unused_dir")
    try:
        sampler = torch.utils.data.distributed.DistributedSampler
    except ImportError as e:            # without mpi4py: the extra is named
        assert "pyengine[dist]" in str(e)
    else:
        assert sampler.__name__ == "DistributedSampler"


def test_quantize_raises_instead_of_leaving_the_model_unchanged():
    model = keras.Sequential([keras.Input((4,)), layers.Dense(2)])
    with pytest.raises(NotImplementedError, match="quantize.*int8"):
        model.quantize("int8")


def test_in_memory_config_keeps_a_lambda_and_save_reports_it(tmp_path):
    inputs = keras.Input((3,))
    model = keras.Model(inputs, layers.Dense(2, activation=lambda t: t * 2.0)(inputs))
    clone = keras.Model.from_config(model.get_config())       # in memory: the lambda is kept
    x = np.ones((1, 3), np.float32)
    assert clone(x).shape == (1, 2)
    with pytest.raises(ValueError, match="save"):
        model.save(tmp_path / "lam.keras")


@keras.saving.register_keras_serializable(package="he_tests")
class _TwoInputs(keras.Model):
    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self.d = layers.Dense(2)

    def call(self, inputs):
        return self.d(ops.concatenate([inputs["a"], inputs["b"]], axis=-1))


def test_subclassed_model_with_dict_inputs_reloads(tmp_path):
    model = _TwoInputs()
    x = {"a": np.ones((2, 3), np.float32), "b": np.zeros((2, 1), np.float32)}
    y = model(x).numpy()
    model.save(tmp_path / "d.keras")
    back = keras.models.load_model(tmp_path / "d.keras")
    np.testing.assert_array_equal(back(x).numpy(), y)


def test_mask_with_a_nested_cell_raises():
    a = np.ones((2, 3, 3), np.float32)
    b = np.ones((2, 3, 2, 5), np.float32)
    rnn = layers.RNN(_NestedCell(2, 3, 4))
    with pytest.raises(NotImplementedError, match="mask"):
        rnn((a, b), mask=np.array([[True, True, False]] * 2))


def test_l1_and_l2_regularizers_serialize_under_their_own_names():
    config = keras.saving.serialize_keras_object(keras.regularizers.L1(0.005))
    assert config["class_name"] == "L1" and config["config"] == {"l1": 0.005}
    back = keras.saving.deserialize_keras_object(config)
    w = torch.tensor(np.array([[1.0, -2.0]], np.float32))
    np.testing.assert_allclose(float(back(w)), 0.005 * 3.0, rtol=1e-6)
    l2 = keras.regularizers.get("l2")
    assert type(l2).__name__ == "L2" and l2.get_config() == {"l2": 0.01}
    np.testing.assert_allclose(float(l2(w)), 0.01 * 5.0, rtol=1e-6)
