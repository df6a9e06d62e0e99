"""API patterns of the keras-io `keras_recipes` programs (docs/public_examples.md), tiny and on
synthetic data: a custom layer's initializer serialized in get_config and read back on load,
RandomFourierFeatures under a hinge loss (a quasi-SVM), a train_step mixing first- and
second-order gradients of a compiled sparse cross-entropy, `keras.__version__`."""
import numpy as np
import pytest

import pyengine as tf
from pyengine import keras
from pyengine.keras import layers, ops


# ---- antirectifier: keras.initializers.serialize / get(dict) in a custom layer's config -------
class Antirect(layers.Layer):
    def __init__(self, initializer="he_normal", **kwargs):
        super().__init__(**kwargs)
        self.initializer = keras.initializers.get(initializer)

    def build(self, input_shape):
        d = input_shape[-1]
        self.kernel = self.add_weight(shape=(2 * d, d), initializer=self.initializer,
                                      name="kernel")

    def call(self, x):
        x = x - ops.mean(x, axis=-1, keepdims=True)
        return ops.matmul(ops.concatenate([ops.relu(x), ops.relu(-x)], axis=-1), self.kernel)

    def get_config(self):
        config = super().get_config()
        config["initializer"] = keras.initializers.serialize(self.initializer)
        return config


def test_initializer_serialize_roundtrip_and_custom_layer_save(tmp_path):
    for init in [keras.initializers.HeNormal(seed=3), keras.initializers.Constant(0.5),
                 keras.initializers.RandomUniform(-1.0, 2.0, seed=1),
                 keras.initializers.Orthogonal(gain=2.0, seed=4)]:
        cfg = keras.initializers.serialize(init)
        assert cfg["module"] == "keras.initializers" and set(cfg["config"]) == set(
            init.get_config())
        back = keras.initializers.get(cfg)
        np.testing.assert_array_equal(back((3, 4)), init((3, 4)))  # same seed, same draw
    # Keras' own class-name form, as a config written by Keras holds it
    he = keras.initializers.deserialize({"class_name": "HeNormal", "config": {"seed": 0}})
    assert isinstance(he, keras.initializers.HeNormal) and he.get_config() == {"seed": 0}
    assert (he.scale, he.mode, he.distribution) == (2.0, "fan_in", "truncated_normal")
    assert keras.initializers.get("GlorotUniform").distribution == "uniform"
    # a config written by an earlier pyengine (VarianceScaling with all four arguments) loads
    vs = keras.initializers.deserialize({"class_name": "VarianceScaling", "config": {
        "scale": 2.0, "mode": "fan_in", "distribution": "truncated_normal", "seed": 0}})
    np.testing.assert_array_equal(vs((4, 3)), he((4, 3)))
    with pytest.raises(ValueError, match="unknown initializer class 'Nope'"):
        keras.initializers.deserialize({"class_name": "Nope", "config": {}})
    with pytest.raises(TypeError, match=r"\[initializers.serialize\]"):
        keras.initializers.serialize("he_normal")

    model = keras.Sequential([keras.Input((6,)), layers.Dense(5), Antirect(), layers.Dense(3)])
    x = np.random.RandomState(0).randn(8, 6).astype("float32")
    lay = model.layers[1]
    ref = x @ model.layers[0].kernel.numpy() + model.layers[0].bias.numpy()
    ref = ref - ref.mean(-1, keepdims=True)
    ref = np.concatenate([np.maximum(ref, 0), np.maximum(-ref, 0)], -1) @ lay.kernel.numpy()
    inner = keras.Model(model.inputs, lay.output)
    np.testing.assert_allclose(inner.predict(x, verbose=0), ref, rtol=1e-5, atol=1e-5)
    assert model.count_params() == 6 * 5 + 5 + 10 * 5 + 5 * 3 + 3
    path = str(tmp_path / "antirect.keras")
    model.save(path)
    back = keras.models.load_model(path, custom_objects={"Antirect": Antirect})
    np.testing.assert_array_equal(back.predict(x, verbose=0), model.predict(x, verbose=0))
    assert isinstance(back.layers[1].initializer, keras.initializers.VarianceScaling)


def test_variance_scaling_distributions_follow_keras():
    big = (400, 400)
    trunc = keras.initializers.VarianceScaling(1.0, "fan_in", "truncated_normal", seed=0)(big)
    plain = keras.initializers.VarianceScaling(1.0, "fan_in", "untruncated_normal", seed=0)(big)
    alias = keras.initializers.VarianceScaling(1.0, "fan_in", "normal", seed=0)(big)
    std = np.sqrt(1.0 / 400)
    assert np.abs(trunc).max() <= 2 * std / 0.87962566103423978 + 1e-7
    assert np.abs(plain).max() > 3 * std  # untruncated: tails beyond 2 std exist
    np.testing.assert_allclose(plain.std(), std, rtol=0.02)
    np.testing.assert_array_equal(alias, trunc)  # Keras: 'normal' means truncated_normal
    with pytest.raises(ValueError, match="distribution must be"):
        keras.initializers.VarianceScaling(distribution="gaussian")


# ---- quasi_svm: RandomFourierFeatures + hinge loss ----------------------------------------------
def test_random_fourier_features_matches_formula_and_counts():
    rff = layers.experimental.RandomFourierFeatures(output_dim=16, kernel_initializer="gaussian")
    assert layers.RandomFourierFeatures is type(rff)
    x = np.random.RandomState(1).randn(5, 7).astype("float32")
    y = np.asarray(rff(x))
    w, b = rff.unscaled_kernel.numpy(), rff.bias.numpy()
    scale = np.sqrt(7 / 2.0)  # TF 2 Keras' default for the gaussian kernel
    np.testing.assert_allclose(rff.kernel_scale.numpy(), [scale], rtol=1e-6)
    np.testing.assert_allclose(y, np.sqrt(2 / 16) * np.cos(x @ (w / scale) + b), atol=1e-5)
    assert (b >= 0).all() and (b <= 2 * np.pi).all()
    # every weight is non-trainable by default (TF 2: trainable=False)
    assert rff.trainable_weights == [] and len(rff.non_trainable_weights) == 3
    # z(x).z(x') approximates the gaussian kernel exp(-|x - x'|^2 / (2 scale^2))
    big = layers.experimental.RandomFourierFeatures(output_dim=20000, scale=2.0)
    z = np.asarray(big(x[:2]), np.float64)
    exact = np.exp(-np.sum((x[0] - x[1]) ** 2) / (2 * 2.0 ** 2))
    assert abs(z[0] @ z[1] - exact) < 0.03
    lap = layers.experimental.RandomFourierFeatures(8, kernel_initializer="laplacian")
    lap(x)
    np.testing.assert_allclose(lap.kernel_scale.numpy(), [1.0])
    for bad in [dict(output_dim=0), dict(output_dim=4, kernel_initializer="cosine"),
                dict(output_dim=4, scale=-1.0)]:
        with pytest.raises(ValueError, match=r"\[RandomFourierFeatures\]"):
            layers.experimental.RandomFourierFeatures(**bad)


def test_quasi_svm_trains_with_hinge_loss(tmp_path):
    rng = np.random.RandomState(0)
    centers = rng.randn(3, 10) * 3
    y = rng.randint(0, 3, 300)
    x = (centers[y] + rng.randn(300, 10)).astype("float32")
    model = keras.Sequential([
        keras.Input((10,)),
        layers.experimental.RandomFourierFeatures(output_dim=256, scale=5.0),
        layers.Dense(3)])
    model.compile(optimizer=keras.optimizers.Adam(1e-2), loss=keras.losses.hinge,
                  metrics=[keras.metrics.CategoricalAccuracy(name="acc")])
    # Keras' counts: 10*256 + 256 + 1 frozen, 256*3 + 3 trained
    assert model.count_params() == 2817 + 771
    assert sum(int(np.prod(w.shape)) for w in model.trainable_weights) == 771
    frozen = model.layers[0].unscaled_kernel.numpy().copy()
    h = model.fit(x, keras.utils.to_categorical(y), epochs=8, batch_size=32, verbose=0)
    assert h.history["loss"][-1] < 0.6 * h.history["loss"][0]
    assert h.history["acc"][-1] > 0.9
    np.testing.assert_array_equal(model.layers[0].unscaled_kernel.numpy(), frozen)
    path = str(tmp_path / "svm.keras")
    model.save(path)
    back = keras.models.load_model(path)
    np.testing.assert_array_equal(back.predict(x[:20], verbose=0),
                                  model.predict(x[:20], verbose=0))


# ---- debugging_tips: second-order gradients of a compiled sparse cross-entropy -------------------
def test_second_order_train_step_through_sparse_crossentropy():
    class SecondOrder(keras.Model):
        def train_step(self, data):
            inputs, targets = data
            trainable_vars = self.trainable_variables
            with tf.GradientTape() as tape2:
                with tf.GradientTape() as tape1:
                    preds = self(inputs, training=True)
                    loss = self.compiled_loss(targets, preds)
                dl_dw = tape1.gradient(loss, trainable_vars)
            d2l_dw2 = tape2.gradient(dl_dw, trainable_vars)
            dl_dw = [tf.math.l2_normalize(w) for w in dl_dw]
            d2l_dw2 = [tf.math.l2_normalize(w) for w in d2l_dw2]
            grads = [0.2 * a + 0.8 * b for a, b in zip(d2l_dw2, dl_dw)]
            self.optimizer.apply_gradients(zip(grads, trainable_vars))
            self.compiled_metrics.update_state(targets, preds)
            return {m.name: m.result() for m in self.metrics}

    tf.manual_seed(0)
    rng = np.random.RandomState(0)
    x = rng.randn(256, 12).astype("float32")
    y = (x[:, :4].argmax(1)).astype("int64")
    inputs = keras.Input((12,))
    outputs = layers.Dense(4, activation="softmax")(layers.Dense(16, activation="relu")(inputs))
    model = SecondOrder(inputs, outputs)
    model.compile(optimizer=keras.optimizers.SGD(0.1), loss="sparse_categorical_crossentropy",
                  metrics=["accuracy"])
    h = model.fit(x, y, epochs=6, batch_size=64, verbose=0)
    assert h.history["loss"][-1] < h.history["loss"][0], h.history
    assert h.history["accuracy"][-1] > 0.7, h.history


@pytest.mark.parametrize("reduction", ["mean", "sum", "none"])
@pytest.mark.parametrize("shape", [(4, 3), (2, 3, 5)])
def test_nll_loss_hessian_vector_product_equals_finite_differences(reduction, shape):
    from pyengine.ops.loss import NLLLoss
    rng = np.random.RandomState(1)
    t = rng.randint(0, 3, size=(shape[0],) + shape[2:])

    def f(x):
        loss = NLLLoss.apply((x * x).tanh(), t, None, -100, reduction)
        return loss.sum() if reduction == "none" else loss

    def grad_at(a):
        xa = tf.tensor(a, dtype=tf.float64, requires_grad=True)
        return tf.autograd.grad(f(xa), [xa])[0].numpy()

    x0, v = rng.randn(*shape), rng.randn(*shape)
    x = tf.tensor(x0, dtype=tf.float64, requires_grad=True)
    (g,) = tf.autograd.grad(f(x), [x], create_graph=True)
    (hv,) = tf.autograd.grad((g * tf.tensor(v, dtype=tf.float64)).sum(), [x])
    fd = (grad_at(x0 + 1e-6 * v) - grad_at(x0 - 1e-6 * v)) / 2e-6
    np.testing.assert_allclose(hv.numpy(), fd, atol=1e-7)


def test_mse_loss_second_derivative():
    from pyengine.ops.loss import MSELoss
    x0 = np.array([[0.3, -1.2], [2.0, 0.5]])
    y = np.array([[1.0, 0.0], [0.0, 1.0]])
    x = tf.tensor(x0, dtype=tf.float64, requires_grad=True)
    (g,) = tf.autograd.grad(MSELoss.apply(x * x, tf.tensor(y, dtype=tf.float64), "mean"), [x],
                            create_graph=True)
    (h,) = tf.autograd.grad(g.sum(), [x])
    # d/dx of 2 (x^2 - y) 2x / n = (12 x^2 - 4 y) / n
    np.testing.assert_allclose(h.numpy(), (12 * x0 ** 2 - 4 * y) / 4, rtol=1e-12)


def test_keras_version():
    assert keras.__version__.split(".")[0] == "3" and keras.version() == keras.__version__


# ---- mixture_of_experts: activations.serialize in a custom layer's config ----------------------
class TinyDenseMoE(layers.Layer):
    def __init__(self, units, n_experts, expert_activation=None, gating_activation=None,
                 **kwargs):
        super().__init__(**kwargs)
        self.units, self.n_experts = units, n_experts
        self.expert_activation = keras.activations.get(expert_activation)
        self.gating_activation = keras.activations.get(gating_activation)

    def build(self, input_shape):
        d = input_shape[-1]
        self.expert_kernel = self.add_weight(name="ek", shape=(d, self.units, self.n_experts))
        self.gating_kernel = self.add_weight(name="gk", shape=(d, self.n_experts))

    def call(self, x):
        experts = self.expert_activation(ops.tensordot(x, self.expert_kernel, axes=1))
        gates = self.gating_activation(ops.tensordot(x, self.gating_kernel, axes=1))
        return ops.sum(experts * ops.expand_dims(gates, axis=1), axis=-1)

    def get_config(self):
        config = super().get_config()
        config.update(units=self.units, n_experts=self.n_experts,
                      expert_activation=keras.activations.serialize(self.expert_activation),
                      gating_activation=keras.activations.serialize(self.gating_activation))
        return config


def test_activations_serialize_and_moe_layer_save(tmp_path):
    A = keras.activations
    assert A.serialize(A.relu) == "relu" and A.serialize(A.get("softmax")) == "softmax"
    assert A.serialize(None) == "linear" and A.serialize(tf.nn.relu) == "relu"
    assert A.deserialize("tanh") is A.get("tanh")
    with pytest.raises(ValueError, match=r"\[activations.serialize\] .* not a built-in"):
        A.serialize(lambda t: t)
    model = keras.Sequential([keras.Input((5,)), TinyDenseMoE(3, 4, "relu", "softmax"),
                              layers.Dense(2)])
    x = np.random.RandomState(2).randn(6, 5).astype("float32")
    moe = model.layers[0]
    ek, gk = moe.expert_kernel.numpy(), moe.gating_kernel.numpy()
    experts = np.maximum(np.einsum("nd,due->nue", x, ek), 0)
    g = np.exp(x @ gk)
    g /= g.sum(-1, keepdims=True)
    np.testing.assert_allclose(np.asarray(moe(x)), (experts * g[:, None, :]).sum(-1),
                               rtol=1e-5, atol=1e-6)
    assert model.count_params() == 5 * 3 * 4 + 5 * 4 + 3 * 2 + 2
    path = str(tmp_path / "moe.keras")
    model.save(path)
    back = keras.models.load_model(path, custom_objects={"TinyDenseMoE": TinyDenseMoE})
    np.testing.assert_array_equal(back.predict(x, verbose=0), model.predict(x, verbose=0))


# ---- approximating_non_function_mappings: a mixture-density loss of tf ops -----------------------
def test_tf_negative_and_reduce_logsumexp():
    x = np.random.RandomState(3).randn(3, 4, 5).astype("float32")
    m = x.max(axis=(0, 2), keepdims=True)
    ref = np.log(np.exp(x - m).sum(axis=(0, 2), keepdims=True)) + m
    np.testing.assert_allclose(tf.reduce_logsumexp(x, axis=[0, 2], keepdims=True).numpy(), ref,
                               rtol=1e-6)
    np.testing.assert_allclose(tf.math.reduce_logsumexp(x, axis=-1).numpy(),
                               np.log(np.exp(x).sum(-1)), rtol=1e-5)
    np.testing.assert_array_equal(tf.negative(x).numpy(), -x)
    np.testing.assert_array_equal(tf.math.negative(tf.constant(x)).numpy(), -x)
    assert tf.negative(keras.Input((3,))).shape == (None, 3)  # a graph node on symbolic input


def test_mixture_density_network_learns_two_branches():
    tf.manual_seed(0)
    rng = np.random.RandomState(0)
    x = rng.uniform(-1, 1, (2000, 1)).astype("float32")
    y = (np.where(rng.rand(2000, 1) < 0.5, 1.0, -1.0) * (1 + x) +
         0.05 * rng.randn(2000, 1)).astype("float32")
    K = 3

    def mdn_loss(y_true, y_pred):
        mu, sig, logit = tf.split(y_pred, num_or_size_splits=[K, K, K], axis=-1)
        z = (y_true - mu) / sig
        comp = -0.5 * z * z - tf.math.log(sig) - 0.5 * np.log(2 * np.pi)
        return tf.reduce_mean(tf.negative(
            tf.reduce_logsumexp(tf.nn.log_softmax(logit, axis=-1) + comp, axis=-1)))

    inputs = keras.Input((1,))
    h = layers.Dense(32, activation="tanh")(inputs)
    sig = layers.Dense(K, activation=lambda t: keras.activations.elu(t) + 1 + 1e-7)(h)
    out = layers.concatenate([layers.Dense(K)(h), sig, layers.Dense(K)(h)])
    model = keras.Model(inputs, out)
    model.compile(optimizer=keras.optimizers.Adam(1e-2), loss=mdn_loss)
    hist = model.fit(x, y, epochs=25, batch_size=100, verbose=0).history["loss"]
    assert hist[-1] < hist[0] - 1.0, hist
    # the two branches y = +-(1 + x): at x = 0.5 the heaviest components sit near +-1.5
    p = model.predict(np.array([[0.5]], "float32"), verbose=0)[0]
    mu, w = p[:K], np.exp(p[2 * K:]) / np.exp(p[2 * K:]).sum()
    top = mu[np.argsort(w)[-2:]]
    assert np.sort(top)[0] < -1.2 and np.sort(top)[1] > 1.2, (mu, w)


# ---- memory_efficient_embeddings: string ids through nested lookups, tf.lookup, floordiv --------
def test_experimental_preprocessing_imports_as_a_module():
    from pyengine.keras.layers.experimental.preprocessing import StringLookup
    assert StringLookup is layers.StringLookup


def test_tf_lookup_static_hash_table():
    init = tf.lookup.KeyValueTensorInitializer(["m1", "m2", "m3"], [0, 1, 1])
    table = tf.lookup.StaticHashTable(init, default_value=-1)
    out = table.lookup(np.array([["m3", "zz"], ["m1", "m2"]]))
    np.testing.assert_array_equal(out.numpy(), [[1, -1], [0, 1]])
    assert out.numpy().dtype == np.int32  # Python ints, as tf.constant makes them
    np.testing.assert_array_equal(table[np.array([b"m2"])].numpy(), [1])  # tf.string bytes
    assert int(table.size()) == 3
    keys, values = table.export()
    assert list(keys) == ["m1", "m2", "m3"] and values.numpy().tolist() == [0, 1, 1]
    rev = tf.lookup.StaticHashTable(tf.lookup.KeyValueTensorInitializer([7, 9], ["a", "b"]), "?")
    assert list(rev.lookup(np.array([9, 8]))) == ["b", "?"]
    with pytest.raises(ValueError, match="same length"):
        tf.lookup.KeyValueTensorInitializer(["a"], [1, 2])
    with pytest.raises(ValueError, match="unique"):
        tf.lookup.StaticHashTable(tf.lookup.KeyValueTensorInitializer(["a", "a"], [1, 2]), -1)
    with pytest.raises(TypeError, match="keys are strings"):
        table.lookup(np.array([1, 2]))
    with pytest.raises(TypeError, match="default_value"):
        tf.lookup.StaticHashTable(init, default_value="none")
    sym = table.lookup(keras.Input(shape=(), dtype="string"))
    assert sym.shape == (None,)


def test_floordiv_floormod_follow_python_rounding():
    a = np.array([7, -7, 5, 0])
    np.testing.assert_array_equal(tf.math.floordiv(a, 3).numpy(), a // 3)
    np.testing.assert_array_equal(tf.math.floormod(a, 3).numpy(), a % 3)
    np.testing.assert_allclose(tf.math.mod(tf.constant([-7.5, 7.5]), 2.0).numpy(), [0.5, 1.5])


class QR(layers.Layer):
    """Quotient-remainder embedding of string ids: a StringLookup inside a custom layer."""

    def __init__(self, vocabulary, dim, buckets, **kwargs):
        super().__init__(**kwargs)
        self.buckets = buckets
        self.lookup = layers.StringLookup(vocabulary=vocabulary, mask_token=None,
                                          num_oov_indices=0)
        self.q, self.r = layers.Embedding(buckets, dim), layers.Embedding(buckets, dim)

    def call(self, inputs):
        idx = self.lookup(inputs)
        return self.q(tf.math.floordiv(idx, self.buckets)) * \
            self.r(tf.math.floormod(idx, self.buckets))


class BlockEmbedding(layers.Layer):
    """Per-block embeddings chosen by a tf.lookup table (the mixed-dimension pattern)."""

    def __init__(self, blocks, dims, out_dim, **kwargs):
        super().__init__(**kwargs)
        keys = [k for b in blocks for k in b]
        vals = [i for i, b in enumerate(blocks) for _ in b]
        self.to_block = tf.lookup.StaticHashTable(tf.lookup.KeyValueTensorInitializer(keys, vals),
                                                  default_value=-1)
        self.encoders = [keras.Sequential([layers.StringLookup(vocabulary=b, mask_token=None),
                                           layers.Embedding(len(b) + 1, d)])
                         for b, d in zip(blocks, dims)]
        self.projectors = [layers.Dense(out_dim) for _ in blocks]
        self.out_dim = out_dim

    def call(self, inputs):
        block = self.to_block.lookup(inputs)
        out = tf.zeros(shape=(tf.shape(inputs)[0], self.out_dim))
        for i, (enc, proj) in enumerate(zip(self.encoders, self.projectors)):
            mask = tf.expand_dims(tf.cast(block == i, tf.float32), 1)
            out += proj(enc(inputs)) * mask
        return out


def test_string_id_embeddings_in_custom_layers_train():
    tf.manual_seed(0)
    rng = np.random.RandomState(0)
    users = [f"user_{i}" for i in range(40)]  # 40 ids, 8 buckets: quotient < 5 < 8
    items = [f"item_{i}" for i in range(12)]
    uf, itf = rng.randn(40, 3), rng.randn(12, 3)
    u, m = rng.randint(0, 40, 3000), rng.randint(0, 12, 3000)
    y = (2.5 + 2 * np.tanh((uf[u] * itf[m]).sum(1))).astype("float32")
    x = {"user": np.array(users)[u], "item": np.array(items)[m]}
    # an inner Sequential([StringLookup, Embedding]) called on a string Input builds on strings
    user_in = layers.Input(name="user", shape=(), dtype="string")
    item_in = layers.Input(name="item", shape=(), dtype="string")
    enc = keras.Sequential([layers.StringLookup(vocabulary=users, mask_token=None,
                                                num_oov_indices=0), layers.Embedding(40, 8)])
    base = keras.Model([user_in, item_in], layers.Dot(axes=1)([enc(user_in), layers.Embedding(
        13, 8)(layers.StringLookup(vocabulary=items, mask_token=None)(item_in))]))
    assert base.count_params() == 40 * 8 + 13 * 8
    qr = QR(users, 8, 8)(user_in)
    md = BlockEmbedding([items[:4], items[4:]], [8, 4], 8)(item_in)
    pred = keras.activations.sigmoid(layers.Dot(axes=1)([qr, md])) * 5
    model = keras.Model([user_in, item_in], pred)
    # QR: 2 * 8 * 8; blocks: 5 * 8 + 8 * 8 + 8 and 9 * 4 + 4 * 8 + 8
    assert model.count_params() == 128 + (40 + 72) + (36 + 40)
    model.compile(optimizer=keras.optimizers.Adam(0.02), loss="mse")
    hist = model.fit(x, y, epochs=6, batch_size=64, verbose=0).history["loss"]
    assert hist[-1] < 0.6 * hist[0], hist
    # the block table routes each item: changing block 1's projector moves only block-1 items
    layer = model.layers[[lyr.name for lyr in model.layers].index(
        next(lyr.name for lyr in model.layers if isinstance(lyr, BlockEmbedding)))]
    before = np.asarray(layer(np.array(items)))
    w = layer.projectors[1].kernel
    w.assign(w.numpy() * 0)
    after = np.asarray(layer(np.array(items)))
    np.testing.assert_array_equal(after[:4], before[:4])
    assert not np.allclose(after[4:], before[4:])


# ---- reproducibility_recipes: seeded initializers, tf.config, repeated training -------------------
def test_initializers_are_keras_classes_returning_tensors():
    I = keras.initializers
    for cls in [I.RandomNormal, I.RandomUniform, I.TruncatedNormal, I.VarianceScaling,
                I.GlorotNormal, I.GlorotUniform, I.HeNormal, I.HeUniform, I.LecunNormal,
                I.LecunUniform, I.Orthogonal]:
        assert isinstance(cls, type)
        a, b = float(cls(seed=42)(shape=(1, 1))), float(cls(seed=42)(shape=(1, 1)))
        assert a == b
        out = cls(seed=1)(shape=(3, 4))
        assert isinstance(out, tf.Tensor) and out.dtype == tf.float32
    t = I.TruncatedNormal(mean=1.0, stddev=0.5, seed=0)(shape=(20000,)).numpy()
    assert np.abs(t - 1.0).max() <= 1.0 + 1e-6  # 2 stddev
    # a normal truncated at 2 sigma has std 0.8796 sigma
    np.testing.assert_allclose(t.std(), 0.5 * 0.8796, rtol=0.03)
    assert isinstance(I.get("truncated_normal"), I.TruncatedNormal)


def test_tf_config_devices_and_determinism():
    devices = tf.config.list_physical_devices()
    assert devices[0].device_type == "CPU"
    assert tf.config.list_physical_devices("GPU") == [] or tf.cuda.is_available()
    tf.config.experimental.enable_op_determinism()
    with pytest.raises(ValueError, match="device_type"):
        tf.config.list_physical_devices("TPU")


def test_set_random_seed_reproduces_a_training_run():
    x = np.random.RandomState(0).rand(96, 8, 8, 1).astype("float32")
    y = np.random.RandomState(1).randint(0, 3, 96)

    def run():
        keras.utils.set_random_seed(812)
        ds = tf.data.Dataset.from_tensor_slices((x, y)).shuffle(96).batch(16)
        model = keras.Sequential([layers.Conv2D(4, 3, activation="relu"), layers.Dropout(0.2),
                                  layers.GlobalAveragePooling2D(), layers.Dense(3,
                                                                                activation="softmax")])
        model.compile(optimizer="adam", loss="sparse_categorical_crossentropy",
                      metrics=["accuracy"])
        return model.fit(ds, epochs=2, verbose=0).history

    first, second = run(), run()
    assert first == second


# ---- tensorflow_numpy_models: tnp layers, function losses on (n,) labels, default strategy ----
def test_tnp_names_are_differentiable_numpy_functions():
    import pyengine.experimental.numpy as tnp
    rng = np.random.RandomState(4)
    x, w = rng.randn(5, 4).astype("float32"), rng.randn(4, 3).astype("float32")
    np.testing.assert_allclose(tnp.maximum(tnp.matmul(x, w), 0.0).numpy(),
                               np.maximum(x @ w, 0), rtol=1e-6)
    np.testing.assert_allclose(tnp.mean(tnp.square(x), axis=0).numpy(), (x ** 2).mean(0),
                               rtol=1e-6)
    assert not hasattr(tnp, "relu") and tnp.ndarray is tf.Tensor
    wt = tf.tensor(w, requires_grad=True)
    tnp.sum(tnp.maximum(tnp.matmul(x, wt), 0.0)).backward()
    np.testing.assert_allclose(wt.grad.numpy(), x.T @ (x @ w > 0).astype("float32"), rtol=1e-5)


def test_function_loss_sees_labels_of_the_prediction_rank():
    """y (n,) against predictions (n, 1): Keras matches the ranks before a loss function runs,
    so `mean(square(y_true - y_pred), axis=0)` is the MSE, not an (n, n) broadcast."""
    import pyengine.experimental.numpy as tnp
    seen = []

    def tnp_mse(y_true, y_pred):
        seen.append((tuple(y_true.shape), tuple(y_pred.shape)))
        return tnp.mean(tnp.square(y_true - y_pred), axis=0)

    rng = np.random.RandomState(5)
    x, y = rng.randn(40, 3).astype("float32"), rng.randn(40).astype("float32")
    model = keras.Sequential([keras.Input((3,)), layers.Dense(1)])
    model.compile(optimizer="sgd", loss=tnp_mse)
    loss = model.evaluate(x, y, verbose=0, batch_size=40)
    assert seen[-1] == ((40, 1), (40, 1))
    np.testing.assert_allclose(loss, np.mean((y[:, None] - model.predict(x, verbose=0)) ** 2),
                               rtol=1e-5)
    # (n, 1) labels against a rank-1 prediction meet as (n, 1) too, as Keras' rule has it
    from pyengine.keras.losses import same_rank as _same_rank
    t, p = _same_rank(tf.ones((6, 1)), tf.ones(6))
    assert t.shape == (6, 1) and p.shape == (6, 1)
    t, p = _same_rank(tf.ones((6, 2)), tf.ones((6, 2, 1)))
    assert t.shape == (6, 2) and p.shape == (6, 2)


def test_default_distribution_strategy_and_logical_devices():
    strategy = tf.distribute.get_strategy()
    assert strategy.num_replicas_in_sync == 1 and not tf.distribute.has_strategy()
    with strategy.scope():
        model = keras.Sequential([keras.Input((2,)), layers.Dense(1)])
    assert model.count_params() == 3
    assert tf.config.list_logical_devices("CPU")[0].name == "/device:CPU:0"
    # the other strategies: tests/test_tf_distribute.py (one replica, as TensorFlow on a CPU)


# ---- sample_size_estimate: an application built on a preprocessed input_tensor ----------------
def test_application_on_an_intermediate_input_tensor_connects_to_the_outer_input():
    inputs = layers.Input(shape=(32, 32, 3))
    x = layers.Rescaling(scale=1.0 / 127.5, offset=-1)(inputs)
    base = keras.applications.MobileNetV2(include_top=False, weights=None, input_tensor=x,
                                          alpha=0.35)
    assert keras.utils.get_source_inputs(x) == [inputs]
    assert base.inputs[0] is inputs and "rescaling" in base.layers[1].name
    base.trainable = False
    out = layers.Dense(3, activation="softmax")(layers.GlobalAveragePooling2D()(base.output))
    model = keras.Model(inputs, out)
    assert len(model.trainable_weights) == 2
    img = np.random.RandomState(0).randint(0, 256, (2, 32, 32, 3)).astype("float32")
    # the outer model runs the rescaling once: same features as the base on the raw image
    feats = keras.Model(inputs, base.output).predict(img, verbose=0)
    np.testing.assert_allclose(feats, base.predict(img, verbose=0), rtol=1e-5, atol=1e-6)
    # unfreezing by layer name through model.layers reaches the base's layers
    names = [lyr.name for lyr in model.layers]
    assert any(n.startswith("block_10") for n in names)


def test_curve_fit_with_variables_and_python_lists():
    """a * x ** b with x a Python list and a, b tf.Variables, fitted by GradientTape steps."""
    x = [165, 330, 825, 1651]
    y = tf.convert_to_tensor([0.8, 0.87, 0.9, 0.91])
    a, b = tf.Variable(0.0), tf.Variable(0.0)
    mse = keras.losses.MeanSquaredError()
    for _ in range(3000):
        with tf.GradientTape() as tape:
            cost = mse(a * x ** b, y)
        ga, gb = tape.gradient(cost, [a, b])
        a.assign_sub(ga * 0.01)
        b.assign_sub(gb * 0.01)
    pred = float(a.numpy()) * np.array(x, np.float64) ** float(b.numpy())
    assert np.abs(pred - y.numpy()).max() < 0.03


# ---- distillation recipes: mixup with tf.reverse, central_crop evaluation preprocessing ------------
def test_tf_reverse_and_central_crop():
    x = np.arange(24.0).reshape(2, 3, 4)
    np.testing.assert_array_equal(tf.reverse(x, axis=[0]).numpy(), x[::-1])
    np.testing.assert_array_equal(tf.reverse(x, axis=[0, 2]).numpy(), x[::-1, :, ::-1])
    t = tf.tensor(x, requires_grad=True)
    (tf.reverse(t, axis=[1]) * tf.tensor(x)).sum().backward()
    np.testing.assert_array_equal(t.grad.numpy(), x[:, ::-1])
    img = np.random.RandomState(0).rand(48, 56, 3)
    # TensorFlow's rounding: start = int((48 - 42) / 2) = 3, int((56 - 49) / 2) = 3
    np.testing.assert_array_equal(tf.image.central_crop(img, 0.875).numpy(), img[3:45, 3:53])
    batch = np.random.RandomState(1).rand(2, 10, 10, 3)
    np.testing.assert_array_equal(tf.image.central_crop(batch, 0.5).numpy(),
                                  batch[:, 2:8, 2:8])
    np.testing.assert_array_equal(tf.image.central_crop(img, 1.0).numpy(), img)
    with pytest.raises(ValueError, match=r"\[image.central_crop\] central_fraction"):
        tf.image.central_crop(img, 0.0)
