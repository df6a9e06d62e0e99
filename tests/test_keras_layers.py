"""Keras layers against NumPy float64 references: Conv2D (channels_last, Keras kernel layout),
pooling, BatchNormalization, Embedding, SimpleRNN / LSTM / GRU (Keras gate orders), and one
training step through each."""
import numpy as np
import pytest

import pyengine as pe
from pyengine import keras
from pyengine.keras import layers as L
from pyengine.keras.layers import conv as C


def conv_ref(x, k, b, stride, pad):
    if pad == "same":
        kh, kw = k.shape[:2]
        ph, pw = kh - 1, kw - 1
        x = np.pad(x, ((0, 0), (ph // 2, ph - ph // 2), (pw // 2, pw - pw // 2), (0, 0)))
    n, h, w, c = x.shape
    kh, kw, _, o = k.shape
    ho, wo = (h - kh) // stride + 1, (w - kw) // stride + 1
    out = np.zeros((n, ho, wo, o))
    for i in range(ho):
        for j in range(wo):
            patch = x[:, i * stride:i * stride + kh, j * stride:j * stride + kw, :]
            out[:, i, j, :] = np.einsum("nhwc,hwco->no", patch, k)
    return out + b


@pytest.mark.parametrize("stride,pad", [(1, "valid"), (2, "valid"), (1, "same")])
def test_conv2d_matches_reference(stride, pad):
    pe.manual_seed(0)
    x = np.random.default_rng(0).normal(size=(2, 7, 6, 3)).astype(np.float32)
    conv = L.Conv2D(4, (3, 2), strides=stride, padding=pad)
    y = conv(x).numpy()
    k, b = conv.get_weights()
    assert k.shape == (3, 2, 3, 4)
    np.testing.assert_allclose(y, conv_ref(x.astype(np.float64), k, b, stride, pad), rtol=1e-4,
                               atol=1e-5)


def test_pooling_matches_reference():
    x = np.random.default_rng(1).normal(size=(2, 6, 4, 3)).astype(np.float32)
    r = x.reshape(2, 3, 2, 2, 2, 3)
    np.testing.assert_allclose(L.MaxPooling2D()(x).numpy(), r.max(axis=(2, 4)))
    np.testing.assert_allclose(L.AveragePooling2D()(x).numpy(), r.mean(axis=(2, 4)), rtol=1e-6)
    np.testing.assert_allclose(L.GlobalAveragePooling2D()(x).numpy(), x.mean(axis=(1, 2)),
                               rtol=1e-6)
    assert L.MaxPooling2D(3, strides=1, padding="same")(x).shape == (2, 6, 4, 3)


def test_batchnorm_train_and_inference():
    x = np.random.default_rng(2).normal(3.0, 2.0, size=(64, 5)).astype(np.float32)
    bn = L.BatchNormalization(momentum=0.5)
    y = bn(x, training=True).numpy()
    np.testing.assert_allclose(y.mean(0), 0, atol=1e-5)
    np.testing.assert_allclose(y.std(0), 1, atol=1e-3)
    np.testing.assert_allclose(bn.moving_mean.data, 0.5 * x.mean(0), rtol=1e-5)
    yi = bn(x, training=False).numpy()
    np.testing.assert_allclose(yi, (x - bn.moving_mean.data) /
                               np.sqrt(bn.moving_variance.data + 1e-3), rtol=1e-4, atol=1e-5)
    assert len(bn.trainable_weights) == 2 and len(bn.non_trainable_weights) == 2


@pytest.mark.parametrize("shape", [(16, 3), (4, 5, 6, 3)])
def test_batchnorm_moving_statistics_follow_keras_rule(shape):
    # Keras: moving = moving * momentum + batch_stat * (1 - momentum), the batch variance the
    # biased one (ops.moments); nn.BatchNorm2d keeps PyTorch's unbiased one through the same op
    x = np.random.default_rng(3).normal(1.0, 2.0, size=shape)
    bn = L.BatchNormalization(momentum=0.9)
    mm, mv = np.zeros(3), np.ones(3)
    for step in range(3):
        xs = (x * (step + 1)).astype(np.float32)
        bn(xs, training=True)
        flat = xs.astype(np.float64).reshape(-1, 3)
        mm = mm * 0.9 + flat.mean(0) * 0.1
        mv = mv * 0.9 + flat.var(0) * 0.1  # ddof=0
    np.testing.assert_allclose(bn.moving_mean.data, mm, rtol=1e-5)
    np.testing.assert_allclose(bn.moving_variance.data, mv, rtol=1e-5)
    if len(shape) == 4:
        nb = pe.nn.BatchNorm2d(3, momentum=0.1)
        xs = pe.tensor(x.transpose(0, 3, 1, 2).astype(np.float32))
        nb.train()
        nb(xs)
        flat = x.reshape(-1, 3)
        np.testing.assert_allclose(nb.running_var.data, 0.9 + 0.1 * flat.var(0, ddof=1),
                                   rtol=1e-5)


def test_embedding():
    e = L.Embedding(10, 3)
    idx = np.array([[1, 2], [9, 1]])
    np.testing.assert_array_equal(e(idx).numpy(), e.embeddings.data[idx])
    with pytest.raises(ValueError, match=r"in \[0, 10\)"):
        e(np.array([[10]]))


def _sig(v):
    return 1 / (1 + np.exp(-v))


def rnn_ref(kind, x, W, U, b, units):
    h = np.zeros((x.shape[0], units))
    c = np.zeros_like(h)
    for t in range(x.shape[1]):
        xt = x[:, t]
        if kind == "SimpleRNN":
            h = np.tanh(xt @ W + h @ U + b)
        elif kind == "LSTM":
            z = xt @ W + h @ U + b
            i, f, g, o = np.split(z, 4, axis=1)
            c = _sig(f) * c + _sig(i) * np.tanh(g)
            h = _sig(o) * np.tanh(c)
        else:
            xz = xt @ W + b[0]
            rz = h @ U + b[1]
            z = _sig(xz[:, :units] + rz[:, :units])
            r = _sig(xz[:, units:2 * units] + rz[:, units:2 * units])
            hh = np.tanh(xz[:, 2 * units:] + r * rz[:, 2 * units:])
            h = z * h + (1 - z) * hh
    return h


@pytest.mark.parametrize("cls", [L.SimpleRNN, L.LSTM, L.GRU])
def test_rnn_matches_reference(cls):
    pe.manual_seed(3)
    x = np.random.default_rng(3).normal(size=(2, 5, 4)).astype(np.float32)
    layer = cls(6)
    y = layer(x).numpy()
    W, U, b = [w.astype(np.float64) for w in layer.get_weights()]
    if cls is L.LSTM:
        np.testing.assert_array_equal(b[6:12], 1.0)  # unit_forget_bias
    b = b + np.random.default_rng(4).normal(size=b.shape) * 0.1
    layer.set_weights([W, U, b])
    y = layer(x).numpy()
    np.testing.assert_allclose(y, rnn_ref(cls.__name__, x.astype(np.float64), W, U, b, 6),
                               rtol=1e-4, atol=1e-5)
    assert cls(6, return_sequences=True)(x).shape == (2, 5, 6)


def test_cnn_and_rnn_models_train():
    pe.manual_seed(0)
    x = np.random.rand(16, 8, 8, 1).astype(np.float32)
    y = (x.mean(axis=(1, 2, 3)) > 0.5).astype(np.float32)
    m = keras.Sequential([L.Conv2D(4, 3, activation="relu", input_shape=(8, 8, 1)),
                          L.MaxPooling2D(), L.Flatten(), L.Dense(1, activation="sigmoid")])
    m.compile("adam", "binary_crossentropy", metrics=["accuracy"])
    h = m.fit(x, y, epochs=5, batch_size=4, verbose=0)
    assert h.history["loss"][-1] < h.history["loss"][0]
    s = np.random.randint(0, 20, (16, 6))
    r = keras.Sequential([L.Embedding(20, 4), L.LSTM(5), L.Dense(2)])
    r.compile(keras.optimizers.Adam(0.01),
              keras.losses.SparseCategoricalCrossentropy(from_logits=True))
    h = r.fit(s, np.arange(16) % 2, epochs=5, verbose=0)
    assert h.history["loss"][-1] < h.history["loss"][0]


@pytest.mark.parametrize("k,stride", [((2, 2), 1), ((3, 3), 2), ((4, 3), 2)])
def test_conv2d_same_padding_asymmetric_cases(k, stride):
    pe.manual_seed(1)
    x = np.random.default_rng(5).normal(size=(2, 7, 8, 2)).astype(np.float32)
    conv = L.Conv2D(3, k, strides=stride, padding="same")
    y = conv(x).numpy()
    kk, b = conv.get_weights()
    h, w = x.shape[1:3]
    ho, wo = -(-h // stride), -(-w // stride)
    ph = max((ho - 1) * stride + k[0] - h, 0)
    pw = max((wo - 1) * stride + k[1] - w, 0)
    xp = np.pad(x.astype(np.float64), ((0, 0), (ph // 2, ph - ph // 2), (pw // 2, pw - pw // 2),
                                       (0, 0)))
    np.testing.assert_allclose(y, conv_ref(xp, kk, b, stride, "valid"), rtol=1e-4, atol=1e-5)


@pytest.mark.parametrize("pad,stride,act", [("valid", 1, None), ("same", 2, "relu"),
                                            ("same", 1, "tanh")])
def test_conv_gradients_match_float64_reference(pad, stride, act):
    # Conv2D on NHWC (F.conv2d_nhwc, activation fused in the kernel) against NumPy float64:
    # loss = sum(act(conv(x))^2); d loss / d kernel = sum over windows of patch^T dz
    pe.manual_seed(2)
    x = np.random.default_rng(6).normal(size=(2, 7, 6, 3)).astype(np.float32)
    conv = L.Conv2D(4, 3, strides=stride, padding=pad, activation=act)
    y = conv(x)
    (y * y).sum().backward()
    k, b = (w.astype(np.float64) for w in conv.get_weights())
    xd = x.astype(np.float64)
    if pad == "same":
        pads = [C.same_pads(n, 3, stride) for n in x.shape[1:3]]
        xd = np.pad(xd, ((0, 0), pads[0], pads[1], (0, 0)))
    z = conv_ref(xd, k, b, stride, "valid")
    a = {None: z, "relu": np.maximum(z, 0), "tanh": np.tanh(z)}[act]
    np.testing.assert_allclose(y.numpy(), a, rtol=1e-4, atol=1e-5)
    da = 2 * a * {None: 1.0, "relu": (z > 0), "tanh": 1 - a * a}[act]
    gk = np.zeros_like(k)
    for i in range(z.shape[1]):
        for j in range(z.shape[2]):
            patch = xd[:, i * stride:i * stride + 3, j * stride:j * stride + 3, :]
            gk += np.einsum("nhwc,no->hwco", patch, da[:, i, j, :])
    np.testing.assert_allclose(conv.kernel.grad.numpy(), gk, rtol=1e-3, atol=1e-3)
    np.testing.assert_allclose(conv.bias.grad.numpy(), da.sum((0, 1, 2)), rtol=1e-3, atol=1e-3)


def test_keras_conv_layers_never_transpose():
    # channels-last all the way: no permute / pad node between input and output
    x = pe.tensor(np.random.default_rng(0).normal(size=(2, 8, 8, 3)).astype(np.float32),
                  requires_grad=True)
    for layer in (L.Conv2D(4, 2, strides=2, padding="same"), L.MaxPooling2D(3, 2, "same"),
                  L.AveragePooling2D(2, padding="same"), L.BatchNormalization()):
        y = layer(x, training=True)
        names = []
        stack = [y]
        while stack:
            t = stack.pop()
            if t._node is not None:
                names.append(type(t._node.fn).__name__)
                stack += [i for i in t._node.inputs if i is not None]
        assert names and not {"Permute", "Pad", "Transpose"} & set(names), (layer.name, names)


def test_convolution_op_hook_moments_and_tf_conv2d():
    # keras_recipes/subclassing_conv_layers: a Conv2D subclass overriding convolution_op, and
    # one calling it from call with a standardized kernel (tf.nn.moments, tf.nn.conv2d)
    import pyengine as tf
    rng = np.random.default_rng(5)
    x = rng.normal(size=(2, 7, 6, 3)).astype(np.float32)

    class Over(L.Conv2D):
        def convolution_op(self, inputs, kernel):
            mean, var = tf.nn.moments(kernel, axes=[0, 1, 2], keepdims=True)
            return tf.nn.conv2d(inputs, (kernel - mean) / tf.sqrt(var + 1e-10),
                                padding="VALID", strides=list(self.strides))

    class ViaCall(L.Conv2D):
        def call(self, inputs):
            mean, var = keras.ops.moments(self.kernel, axes=[0, 1, 2], keepdims=True)
            return self.convolution_op(inputs, (self.kernel - mean) / tf.sqrt(var + 1e-10)) \
                + self.bias
    a, b = Over(4, 3, activation="relu"), ViaCall(4, 3)
    ya, yb = a(x).numpy(), b(x).numpy()
    for layer, y, act in ((a, ya, lambda v: np.maximum(v, 0)), (b, yb, lambda v: v)):
        k = layer.kernel.numpy().astype(np.float64)
        ks = (k - k.mean((0, 1, 2), keepdims=True)) / np.sqrt(k.var((0, 1, 2), keepdims=True)
                                                             + 1e-10)
        np.testing.assert_allclose(y, act(conv_ref(x, ks, layer.bias.numpy(), 1, "valid")),
                                   rtol=1e-4, atol=1e-4)
    m, v = tf.nn.moments(x, axes=[0, 1])
    np.testing.assert_allclose(m.numpy(), x.astype(np.float64).mean((0, 1)), rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(v.numpy(), x.astype(np.float64).var((0, 1)), rtol=1e-5)
    k = rng.normal(size=(3, 3, 3, 2)).astype(np.float32)
    same = tf.nn.conv2d(x, k, strides=1, padding="SAME").numpy()
    np.testing.assert_allclose(same, conv_ref(x, k, np.zeros(2), 1, "same"), rtol=1e-4, atol=1e-4)
    valid = tf.nn.conv2d(x, k, strides=[1, 2, 2, 1], padding=[[0, 0], [1, 0], [0, 0], [0, 0]])
    np.testing.assert_allclose(valid.numpy(), conv_ref(np.pad(x, ((0, 0), (1, 0), (0, 0), (0, 0))),
                                                       k, np.zeros(2), 2, "valid"),
                               rtol=1e-4, atol=1e-4)
    with pytest.raises(ValueError, match="NHWC"):
        tf.nn.conv2d(x, k, 1, "SAME", data_format="NCHW")


def test_masks_propagate_through_supporting_layers():
    # Keras 3: Embedding(mask_zero) makes a mask; Dense, Dropout, Activation, BatchNormalization
    # pass it on (supports_masking); a call(mask=) receives it; Conv1D / Flatten end it
    from pyengine.keras.layers.masking import get_mask
    seen = {}

    class Probe(L.Layer):
        supports_masking = True

        def call(self, x, mask=None):
            seen["mask"] = None if mask is None else np.asarray(mask)
            return x

    class MakesMask(L.Layer):  # a mask from compute_mask alone
        def call(self, x):
            return x

        def compute_mask(self, inputs, mask=None):
            return inputs.numpy()[..., 0] > 0

    idx = np.array([[3, 5, 0, 0], [2, 0, 0, 0]])
    want = idx != 0
    emb = L.Embedding(10, 4, mask_zero=True)
    h = emb(idx)
    for layer in (L.Dense(4), L.Dropout(0.5), L.Activation("tanh"), L.BatchNormalization(),
                  Probe()):
        h = layer(h)
        np.testing.assert_array_equal(get_mask(h), want)
    np.testing.assert_array_equal(seen["mask"], want)
    assert get_mask(L.Conv1D(2, 1)(h)) is None and get_mask(L.Flatten()(h)) is None
    summed = L.Add()([h, emb(np.array([[3, 5, 5, 0], [2, 2, 0, 0]]))])
    np.testing.assert_array_equal(get_mask(summed), want)
    made = MakesMask()(pe.tensor(np.array([[[1.0], [-1.0]]], np.float32)))
    np.testing.assert_array_equal(get_mask(made), [[True, False]])
    # the LSTM after a Dense sees the Embedding's mask: padded steps change nothing
    pe.manual_seed(0)
    model = keras.Sequential([keras.Input((None,), dtype="int64"),
                              L.Embedding(10, 4, mask_zero=True), L.Dense(3), L.LSTM(2)])
    short = model.predict(np.array([[3, 5]]), verbose=0)
    padded = model.predict(np.array([[3, 5, 0, 0]]), verbose=0)
    np.testing.assert_allclose(short, padded, rtol=1e-5, atol=1e-6)


def test_layer_normalization_against_numpy():
    x = np.random.default_rng(4).normal(2.0, 3.0, size=(2, 3, 5)).astype(np.float32)
    ln = L.LayerNormalization(gamma_initializer="ones")
    y = ln(x).numpy()
    xd = x.astype(np.float64)
    want = (xd - xd.mean(-1, keepdims=True)) / np.sqrt(xd.var(-1, keepdims=True) + 1e-3)
    np.testing.assert_allclose(y, want, rtol=1e-4, atol=1e-5)
    both = L.LayerNormalization(axis=[-2, -1], epsilon=1e-5)
    y2 = both(x).numpy()
    flat = xd.reshape(2, -1)
    want2 = ((flat - flat.mean(1, keepdims=True)) / np.sqrt(flat.var(1, keepdims=True) + 1e-5))
    np.testing.assert_allclose(y2, want2.reshape(x.shape), rtol=1e-4, atol=1e-5)
    assert both.gamma.shape == (3, 5)
    with pytest.raises(ValueError, match="trailing"):
        L.LayerNormalization(axis=1)(x)


def test_normalization_given_statistics_are_constants(tmp_path):
    # Keras 3: Normalization(mean=, variance=) holds no weights (EfficientNetV2's stem has one;
    # Keras' parameter counts leave it out); they live in the config, so a saved model reloads
    x = np.random.default_rng(1).normal(size=(4, 2, 2, 3)).astype(np.float32)
    mean, var = [0.5, -1.0, 2.0], [0.25, 4.0, 1.0]
    inputs = keras.Input((2, 2, 3))
    model = keras.Model(inputs, L.Normalization(mean=mean, variance=var, axis=3)(inputs))
    assert model.count_params() == 0 and model.weights == []
    want = (x - np.array(mean)) / np.sqrt(var)
    np.testing.assert_allclose(model.predict(x, verbose=0), want, rtol=1e-5, atol=1e-6)
    model.save(tmp_path / "n.keras")
    np.testing.assert_allclose(keras.models.load_model(tmp_path / "n.keras")
                               .predict(x, verbose=0), want, rtol=1e-5, atol=1e-6)
    adapted = L.Normalization(axis=-1)
    adapted.adapt(x.reshape(-1, 3))
    assert [w.name for w in adapted.weights] == ["mean", "variance"]


def test_normalization_adapt_invert_and_save(tmp_path):
    # the TensorFlow regression tutorial: Normalization().adapt(features) before the Dense stack
    rng = np.random.default_rng(0)
    x = rng.normal(5, 3, size=(100, 3)).astype(np.float32)
    norm = L.Normalization(axis=-1)
    norm.adapt(x)
    xd = x.astype(np.float64)
    np.testing.assert_allclose(norm(x).numpy(), (xd - xd.mean(0)) / xd.std(0), rtol=1e-4,
                               atol=1e-5)
    back = L.Normalization(mean=np.asarray(norm.mean), variance=np.asarray(norm.variance),
                           invert=True)
    np.testing.assert_allclose(back(norm(x)).numpy(), x, rtol=1e-4, atol=1e-4)
    single = L.Normalization(axis=None)
    single.adapt(x[:, 0])
    np.testing.assert_allclose(single(x[:3, :1]).numpy().ravel(),
                               (xd[:3, 0] - xd[:, 0].mean()) / xd[:, 0].std(), rtol=1e-4)
    model = keras.Sequential([keras.Input((3,)), norm, L.Dense(1)])
    model.compile("adam", "mse")
    model.save(tmp_path / "m.keras")
    np.testing.assert_array_equal(keras.models.load_model(tmp_path / "m.keras")
                                  .predict(x, verbose=0), model.predict(x, verbose=0))


def test_default_names_skip_named_layers():
    # Keras numbers only the layers given no name: programs look layers up by those names
    # (keras examples/class_activation_maps.py: NASNetLarge's 'activation_260')
    class NamingProbe(keras.layers.Layer):
        def call(self, x):
            return x

    names = [NamingProbe(name="first").name, NamingProbe().name, NamingProbe(name="x").name,
             NamingProbe(name=None).name, NamingProbe().name]
    assert names == ["first", "naming_probe", "x", "naming_probe_1", "naming_probe_2"]
