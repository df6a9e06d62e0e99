"""API patterns of the Keras 2 example programs of keras-team/keras and pytorch/examples'
imagenet/main.py (helper gc's rows in docs/public_examples.md): original tests with tiny sizes
and synthetic data, against NumPy float64 references."""
import numpy as np
import pytest

import pyengine as pe
from pyengine import keras
from pyengine.keras import backend as K
from pyengine.testing import gradcheck


def _rand(*shape, seed=0):
    return np.random.default_rng(seed).standard_normal(shape)


def _t64(a, grad=False):
    return pe.tensor(np.asarray(a, np.float64), requires_grad=grad)


# --- K.batch_dot / K.conv1d / K.local_conv1d (cifar10_cnn_capsule) ---------------------------

def _batch_dot_ref(x, y, a0, a1):
    """TF-Keras 2's batch_dot: (b,) + x's other axes + y's other axes."""
    xr = np.moveaxis(x, a0, -1)
    yr = np.moveaxis(y, a1, 1)
    xm = xr.reshape(len(x), -1, x.shape[a0])
    ym = yr.reshape(len(y), y.shape[a1], -1)
    out = np.einsum("bmk,bkn->bmn", xm, ym)
    return out.reshape((len(x),) + xr.shape[1:-1] + yr.shape[2:])


@pytest.mark.parametrize("xs,ys,axes", [((3, 4, 5), (3, 5, 6), None), ((3, 4, 5), (3, 6, 5), (2, 2)),
                                        ((3, 4, 5), (3, 4, 6, 2), [1, 1]),
                                        ((2, 3, 4, 5), (2, 5, 3), (-1, 1)),
                                        ((3, 7, 5), (3, 5), None), ((3, 4), (3, 4, 6), 1)])
def test_batch_dot_matches_tf_keras_rule(xs, ys, axes):
    x, y = _rand(*xs, seed=1), _rand(*ys, seed=2)
    xn, yn = len(xs), len(ys)
    a = (xn - 1, yn - 1 if yn == 2 else yn - 2) if axes is None else \
        ((axes, axes) if isinstance(axes, int) else tuple(axes))
    a = (a[0] % xn, a[1] % yn)
    got = K.batch_dot(_t64(x), _t64(y), axes).numpy()
    np.testing.assert_allclose(got, _batch_dot_ref(x, y, *a), rtol=1e-10, atol=1e-12)


def test_batch_dot_2d_gives_batch_by_one_and_keras_doc_shape():
    x, y = _rand(4, 3), _rand(4, 3, seed=1)
    got = K.batch_dot(_t64(x), _t64(y), axes=1).numpy()
    assert got.shape == (4, 1)
    np.testing.assert_allclose(got[:, 0], (x * y).sum(1), rtol=1e-12)
    # the Keras docstring's example: (32, 20, 1) . (32, 30, 20) over axes (1, 2) -> (32, 1, 30)
    assert K.batch_dot(_rand(32, 20, 1), _rand(32, 30, 20), axes=(1, 2)).shape == (32, 1, 30)


def test_batch_dot_gradcheck_and_errors():
    x, y = _t64(_rand(2, 3, 4), True), _t64(_rand(2, 5, 4, seed=3), True)
    assert gradcheck(lambda a, b: K.batch_dot(a, b, [2, 2]), [x, y])
    # the capsule routing written for Keras <= 2.2.4 fails as in Keras 2.3 / tf.keras
    with pytest.raises(ValueError, match=r"\[batch_dot\].*x.shape\[2\] != y.shape\[3\] \(10 != 16\)"):
        K.batch_dot(_rand(2, 10, 10, 16), _rand(2, 10, 7, 16), [2, 3])
    with pytest.raises(ValueError, match=r"\[batch_dot\].*axis 0"):
        K.batch_dot(_rand(2, 3), _rand(2, 3), (0, 1))
    with pytest.raises(ValueError, match=r"\[batch_dot\].*batch sizes"):
        K.batch_dot(_rand(2, 3), _rand(3, 3))
    with pytest.raises(ValueError, match=r"\[batch_dot\] axes must be"):
        K.batch_dot(_rand(2, 3), _rand(2, 3), [[1], [1]])


def _conv1d_ref(x, w, stride=1, padding="valid", dilation=1):
    k = w.shape[0]
    span = dilation * (k - 1) + 1
    if padding == "causal":
        x = np.pad(x, ((0, 0), (span - 1, 0), (0, 0)))
    elif padding == "same":
        out = -(-x.shape[1] // stride)
        total = max((out - 1) * stride + span - x.shape[1], 0)
        x = np.pad(x, ((0, 0), (total // 2, total - total // 2), (0, 0)))
    n = (x.shape[1] - span) // stride + 1
    return np.stack([sum(x[:, i * stride + j * dilation] @ w[j] for j in range(k))
                     for i in range(n)], 1)


@pytest.mark.parametrize("k,stride,padding,dilation", [(1, 1, "valid", 1), (3, 2, "valid", 1),
                                                       (3, 1, "same", 1), (3, 1, "causal", 2),
                                                       (2, 1, "same", 1)])
def test_conv1d_matches_numpy(k, stride, padding, dilation):
    x, w = _rand(2, 9, 3), _rand(k, 3, 4, seed=5)
    got = K.conv1d(_t64(x), _t64(w), strides=stride, padding=padding, dilation_rate=dilation)
    np.testing.assert_allclose(got.numpy(), _conv1d_ref(x, w, stride, padding, dilation),
                               rtol=1e-9, atol=1e-10)


def test_conv1d_and_local_conv1d_gradients_and_errors():
    x, w = _t64(_rand(2, 6, 3), True), _t64(_rand(3, 3, 2, seed=1), True)
    assert gradcheck(lambda a, b: K.conv1d(a, b, padding="causal"), [x, w])
    lw = _t64(_rand(2, 6, 2, seed=2), True)
    x5 = _t64(_rand(2, 5, 3), True)           # (5 - 2) // 3 + 1 = 2 outputs
    assert gradcheck(lambda a, b: K.local_conv1d(a, b, (2,), (3,)), [x5, lw])
    with pytest.raises(ValueError, match=r"\[conv1d\] x has 3 channels"):
        K.conv1d(_rand(2, 6, 3), _rand(1, 4, 2))
    with pytest.raises(NotImplementedError, match=r"\[conv1d\].*channels_first"):
        K.conv1d(_rand(2, 6, 3), _rand(1, 3, 2), data_format="channels_first")
    with pytest.raises(ValueError, match=r"\[local_conv1d\].*need a kernel of shape \(2, 6, filters\)"):
        K.local_conv1d(_rand(2, 5, 3), _rand(3, 6, 2), (2,), (3,))


def test_local_conv1d_matches_numpy():
    x, w = _rand(2, 7, 3), _rand(3, 6, 4, seed=9)       # kernel 2, stride 2 -> 3 windows
    ref = np.stack([x[:, 2 * i:2 * i + 2].reshape(2, 6) @ w[i] for i in range(3)], 1)
    np.testing.assert_allclose(K.local_conv1d(_t64(x), _t64(w), [2], [2]).numpy(), ref,
                               rtol=1e-10)


class _Routing(keras.layers.Layer):
    """Dynamic routing written with Keras 2's backend functions (shared and unshared weights)."""

    def __init__(self, n, d, share, **kw):
        super().__init__(**kw)
        self.n, self.d, self.share = n, d, share

    def build(self, input_shape):
        rows = 1 if self.share else input_shape[-2]
        self.kernel = self.add_weight(name="k", shape=(rows, input_shape[-1], self.n * self.d),
                                      initializer="glorot_uniform")

    def call(self, x):
        u = K.conv1d(x, self.kernel) if self.share else K.local_conv1d(x, self.kernel, [1], [1])
        b_, m = K.shape(x)[0], K.shape(x)[1]
        u = K.permute_dimensions(K.reshape(u, (b_, m, self.n, self.d)), (0, 2, 1, 3))
        logits = K.zeros_like(u[:, :, :, 0])
        for i in range(2):
            c = K.softmax(logits, axis=1)
            # (b, n, m) x (b, n, m, d) -> (b, n, d) one capsule at a time via batch_dot
            o = K.stack([K.batch_dot(c[:, j], u[:, j], [1, 1]) for j in range(self.n)], 1)
            if i == 0:
                logits = K.stack([K.batch_dot(o[:, j], u[:, j], [1, 2]) for j in range(self.n)], 1)
        return o


@pytest.mark.parametrize("share", [True, False])
def test_capsule_style_routing_model_trains(share):
    rng = np.random.default_rng(0)
    y = rng.integers(0, 3, 96)
    x = rng.standard_normal((96, 4, 5)).astype("float32") * 0.3
    x[np.arange(96), :, y] += 1.0
    inp = keras.Input((4, 5))
    caps = _Routing(3, 4, share)(inp)
    out = keras.layers.Lambda(lambda z: K.sqrt(K.sum(K.square(z), 2)))(caps)
    model = keras.Model(inp, out)
    assert model.output_shape == (None, 3)
    model.compile(loss="categorical_crossentropy", optimizer=keras.optimizers.Adam(0.05))
    onehot = keras.utils.to_categorical(y, 3)
    h = model.fit(x, onehot, batch_size=32, epochs=6, verbose=0)
    assert h.history["loss"][-1] < 0.8 * h.history["loss"][0]


# --- Keras 1 Conv2D arguments, K.image_dim_ordering, keras.wrappers.scikit_learn -------------
# (mnist_sklearn_wrapper)

def test_keras1_convolution2d_arguments_are_converted_with_a_warning():
    with pytest.warns(UserWarning, match=r"Update your `Conv2D` call to the Keras 2 API"):
        layer = keras.layers.Convolution2D(4, 3, 2, border_mode="same", subsample=(2, 1),
                                           init="ones", bias=False, dim_ordering="tf")
    assert layer.kernel_size == (3, 2) and layer.strides == (2, 1)
    assert layer.padding == "same" and layer.use_bias is False
    x = np.random.default_rng(0).standard_normal((1, 5, 4, 1)).astype("float32")
    y = layer(x).numpy()
    xp = np.pad(x[0, :, :, 0].astype(np.float64), ((1, 1), (0, 1)))  # SAME for 3x2, strides (2, 1)
    ref = np.array([[xp[2 * i:2 * i + 3, j:j + 2].sum() for j in range(4)] for i in range(3)])
    np.testing.assert_allclose(y[0, :, :, 0], ref, rtol=1e-5)
    assert np.allclose(y[..., 1:], y[..., :1])
    # keyword forms; Keras 3's positional strides stay strides without Keras 1 keywords
    with pytest.warns(UserWarning):
        assert keras.layers.Conv2D(2, 5, nb_col=3).kernel_size == (5, 3)
    assert keras.layers.Conv2D(2, 3, 2).strides == (2, 2)
    with pytest.raises(ValueError, match=r"dim_ordering must be"):
        keras.layers.Conv2D(2, 3, 3, dim_ordering="nhwc")
    assert K.image_dim_ordering() == "tf"


def _sk_model(units=8, lr=0.05):
    m = keras.Sequential([keras.Input((4,)), keras.layers.Dense(units, activation="relu"),
                          keras.layers.Dense(3, activation="softmax")])
    m.compile(loss="categorical_crossentropy", optimizer=keras.optimizers.Adam(lr),
              metrics=["accuracy"])
    return m


def _sk_data(n=120, seed=0):
    rng = np.random.default_rng(seed)
    labels = np.array(["a", "b", "c"])[rng.integers(0, 3, n)]
    x = rng.standard_normal((n, 4)).astype("float32") * 0.3
    x[:, 0] += (labels == "a") * 2.0
    x[:, 1] += (labels == "b") * 2.0
    return x, labels


def test_keras_classifier_fits_labels_and_scores_accuracy():
    from pyengine.keras.wrappers.scikit_learn import KerasClassifier
    x, labels = _sk_data()
    clf = KerasClassifier(_sk_model, units=16, epochs=30, batch_size=16, verbose=0)
    clf.fit(x, labels)
    assert list(clf.classes_) == ["a", "b", "c"] and clf.n_classes_ == 3
    pred = clf.predict(x)
    assert pred.dtype.kind == "U" and pred.shape == (120,)
    acc = (pred == labels).mean()
    assert acc > 0.9
    proba = clf.predict_proba(x)
    np.testing.assert_allclose(proba.sum(1), 1.0, rtol=1e-5)
    assert np.array_equal(clf.classes_[proba.argmax(1)], pred)
    assert abs(clf.score(x, labels) - acc) < 1e-6   # evaluate's accuracy on the same rows
    # scikit-learn's clone: rebuild from get_params, set_params checks the names
    params = clf.get_params()
    assert params["build_fn"] is _sk_model and params["units"] == 16
    twin = type(clf)(**params).set_params(units=4)
    assert twin.sk_params["units"] == 4 and clf.sk_params["units"] == 16
    with pytest.raises(ValueError, match=r"nonsense is not a legal parameter"):
        clf.set_params(nonsense=1)
    with pytest.raises(RuntimeError, match=r"call fit first"):
        KerasClassifier(_sk_model).predict(x)


def test_keras_classifier_one_hot_and_binary_and_regressor():
    from pyengine.keras.wrappers.scikit_learn import KerasClassifier, KerasRegressor
    x, labels = _sk_data(seed=1)
    onehot = (labels[:, None] == np.array(["a", "b", "c"])).astype("float32")
    clf = KerasClassifier(_sk_model, epochs=20, batch_size=16, verbose=0).fit(x, onehot)
    assert clf.history["loss"][-1] < clf.history["loss"][0]

    def binary():
        m = keras.Sequential([keras.Input((4,)), keras.layers.Dense(1, activation="sigmoid")])
        m.compile(loss="binary_crossentropy", optimizer=keras.optimizers.Adam(0.1))
        return m
    b = KerasClassifier(binary, epochs=20, verbose=0)
    b.fit(x, labels == "a")
    p = b.predict_proba(x)
    assert p.shape == (120, 2) and np.allclose(p.sum(1), 1.0)
    assert (b.predict(x) == (labels == "a")).mean() > 0.9
    with pytest.raises(ValueError, match=r"not configured to compute accuracy"):
        b.score(x, labels == "a")

    def reg():
        m = keras.Sequential([keras.Input((4,)), keras.layers.Dense(1)])
        m.compile(loss="mse", optimizer=keras.optimizers.Adam(0.1))
        return m
    r = KerasRegressor(reg, epochs=40, batch_size=16, verbose=0)
    target = x @ np.array([1.0, -2.0, 0.5, 0.0], np.float32)
    r.fit(x, target)
    assert r.predict(x).shape == (120,)
    mse = float(np.mean((r.predict(x) - target) ** 2))
    assert abs(r.score(x, target) + mse) < 1e-4 * max(1.0, mse) and mse < 0.1 * target.var()


# --- TensorBoard's embedding projector (tensorboard_embeddings_mnist) ------------------------

def _read_pbtxt(path):
    blocks, cur = [], None
    for line in open(path).read().splitlines():
        line = line.strip()
        if line == "embeddings {":
            cur = {}
        elif line == "}":
            blocks.append(cur)
        elif line:
            k, v = line.split(": ", 1)
            cur.setdefault(k, []).append(v.strip('"'))
    return blocks


def test_tensorboard_writes_layer_output_embeddings_keras2(tmp_path):
    rng = np.random.default_rng(0)
    x = rng.standard_normal((40, 6)).astype("float32")
    y = keras.utils.to_categorical(rng.integers(0, 2, 40), 2)
    probe_x = rng.standard_normal((10, 6)).astype("float32")
    model = keras.Sequential([keras.Input((6,)), keras.layers.Dense(5, activation="tanh",
                                                                    name="features"),
                              keras.layers.Dense(2, activation="softmax")])
    model.compile(loss="categorical_crossentropy", optimizer="sgd")
    tb = keras.callbacks.TensorBoard(log_dir=str(tmp_path), batch_size=4, embeddings_freq=2,
                                     embeddings_layer_names=["features"],
                                     embeddings_metadata="meta.tsv", embeddings_data=probe_x)
    model.fit(x, y, epochs=1, verbose=0, callbacks=[tb])
    assert not (tmp_path / "projector_config.pbtxt").exists()   # epoch 1 of freq 2
    model.fit(x, y, epochs=2, verbose=0, callbacks=[tb])
    (block,) = _read_pbtxt(tmp_path / "projector_config.pbtxt")
    assert block["tensor_name"] == ["features_embedding"] and block["metadata_path"] == ["meta.tsv"]
    assert block["tensor_shape"] == ["10", "5"]
    values = np.loadtxt(tmp_path / block["tensor_path"][0], delimiter="\t")
    k, b = (w.astype(np.float64) for w in model.get_layer("features").get_weights())
    np.testing.assert_allclose(values, np.tanh(probe_x.astype(np.float64) @ k + b), rtol=1e-5,
                               atol=1e-6)


def test_tensorboard_embedding_weights_mode_and_errors(tmp_path):
    model = keras.Sequential([keras.Input((3,), dtype="int32"),
                              keras.layers.Embedding(7, 4, name="emb"),
                              keras.layers.GlobalAveragePooling1D(), keras.layers.Dense(1)])
    model.compile(loss="mse", optimizer="sgd")
    tb = keras.callbacks.TensorBoard(log_dir=str(tmp_path), embeddings_freq=1,
                                     embeddings_metadata={"emb": "words.tsv"})
    model.fit(np.arange(12).reshape(4, 3) % 7, np.zeros((4, 1)), verbose=0, callbacks=[tb])
    (block,) = _read_pbtxt(tmp_path / "projector_config.pbtxt")
    assert block["tensor_name"] == ["emb/embeddings"] and block["metadata_path"] == ["words.tsv"]
    np.testing.assert_allclose(np.loadtxt(tmp_path / block["tensor_path"][0], delimiter="\t"),
                               model.get_layer("emb").get_weights()[0], rtol=1e-6)
    with pytest.raises(ValueError, match=r"need embeddings_freq > 0"):
        keras.callbacks.TensorBoard(embeddings_data=np.zeros((2, 3)))
    with pytest.raises(NotImplementedError, match=r"write_grads"):
        keras.callbacks.TensorBoard(write_grads=True)
    bad = keras.callbacks.TensorBoard(log_dir=str(tmp_path), embeddings_freq=1,
                                      embeddings_layer_names=["nope"])
    with pytest.raises(ValueError, match=r"'nope', which is not a layer"):
        model.fit(np.zeros((2, 3), "int32"), np.zeros((2, 1)), verbose=0, callbacks=[bad])


# --- Input(tensor=value), Keras 1 pooling arguments, ops not in model.layers (neural_doodle) ---

def test_input_bound_to_a_tensor_is_a_constant_of_the_graph():
    rng = np.random.default_rng(0)
    masks = rng.random((2, 8, 8, 3)).astype("float32")
    with pytest.warns(UserWarning, match=r"Update your `AveragePooling2D` call"):
        pool = keras.layers.AveragePooling2D((3, 3), strides=(1, 1), border_mode="same",
                                             name="mask_pool")
    m_in = keras.Input(tensor=K.concatenate([K.variable(masks[:1]), K.variable(masks[1:])], 0),
                       shape=(None, None, None), name="mask_input")
    assert m_in.shape == (2, 8, 8, 3)
    pooled = pool(m_in)
    mask_model = keras.Model(m_in, pooled)
    assert [lyr.name for lyr in mask_model.layers] == ["mask_input", "mask_pool"]
    # a model (here K.function) on a placeholder whose loss also reads the bound input's graph
    target = K.placeholder(shape=(1, 8, 8, 3))
    loss = K.sum(K.square(target[0] - pooled[1]))
    grads = K.gradients(loss, target)
    f = K.function([target], [loss] + grads)
    x = rng.standard_normal((1, 8, 8, 3)).astype("float32")
    padded = np.pad(masks[1].astype(np.float64), ((1, 1), (1, 1), (0, 0)))
    counts = np.pad(np.ones((8, 8)), 1)
    ref_pool = sum(padded[i:i + 8, j:j + 8] for i in range(3) for j in range(3)) / \
        sum(counts[i:i + 8, j:j + 8] for i in range(3) for j in range(3))[..., None]
    loss_v, grad_v = f([x])
    np.testing.assert_allclose(loss_v, ((x[0] - ref_pool) ** 2).sum(), rtol=1e-4)
    np.testing.assert_allclose(grad_v[0], 2 * (x[0] - ref_pool), rtol=1e-4, atol=1e-5)
    with pytest.raises(ValueError, match=r"does not match the declared shape"):
        keras.Input(tensor=masks, shape=(8, 8, 4))
    with pytest.raises(NotImplementedError, match=r"symbolic"):
        keras.Input(tensor=keras.Input((3,)))


def test_ops_on_graph_tensors_are_not_model_layers():
    inp = keras.Input((4,))
    x = keras.layers.Dense(3, name="d1")(K.concatenate([inp, inp * 2.0], -1))
    model = keras.Model(inp, keras.layers.Dense(2, name="d2")(x))
    assert [type(lyr).__name__ for lyr in model.layers] == ["InputLayer", "Dense", "Dense"]
    v = np.ones((2, 4), "float32")
    k1, b1 = model.get_layer("d1").get_weights()
    k2, b2 = model.get_layer("d2").get_weights()
    ref = (np.concatenate([v, 2 * v], -1) @ k1 + b1) @ k2 + b2
    np.testing.assert_allclose(model.predict(v, verbose=0), ref, rtol=1e-5)


# --- tf.contrib.image, tf.compat.v1, tf.name_scope, tf.random_uniform (cifar10_cnn_tfaugment2d) ---

def _warp_ref(img, t):
    """TensorFlow's projective warp, bilinear, each neighbour outside the image reading 0."""
    h, w, c = img.shape
    out = np.zeros((h, w, c))
    for yy in range(h):
        for xx in range(w):
            k = t[6] * xx + t[7] * yy + 1.0
            sx, sy = (t[0] * xx + t[1] * yy + t[2]) / k, (t[3] * xx + t[4] * yy + t[5]) / k
            x0, y0 = int(np.floor(sx)), int(np.floor(sy))
            for dy, dx in ((0, 0), (0, 1), (1, 0), (1, 1)):
                wy = (sy - y0) if dy else (1 - (sy - y0))
                wx = (sx - x0) if dx else (1 - (sx - x0))
                yi, xi = y0 + dy, x0 + dx
                if 0 <= yi < h and 0 <= xi < w:
                    out[yy, xx] += wy * wx * img[yi, xi]
    return out


def test_contrib_image_transform_rotate_compose_match_references():
    import pyengine as tf
    rng = np.random.default_rng(0)
    img = rng.random((2, 6, 7, 2)).astype("float32")
    angles = np.array([0.3, -0.5], "float32")
    rot = tf.contrib.image.angles_to_projective_transforms(angles, 6, 7).numpy()
    flip = np.array([[-1, 0, 6, 0, 1, 0, 0, 0]] * 2, "float32")   # mirror x (width 7)
    both = tf.contrib.image.compose_transforms(rot, flip).numpy()
    # composition = the matrix product (the flip applied to output coordinates first)
    m = lambda t: np.append(t, 1.0).reshape(3, 3)  # noqa: E731
    for i in range(2):
        ref = m(rot[i].astype(np.float64)) @ m(flip[i].astype(np.float64))
        np.testing.assert_allclose(both[i], (ref / ref[2, 2]).reshape(9)[:8], rtol=1e-5,
                                   atol=1e-6)
    got = tf.contrib.image.transform(img, both, interpolation="BILINEAR").numpy()
    for i in range(2):
        np.testing.assert_allclose(got[i], _warp_ref(img[i].astype(np.float64), both[i]),
                                   atol=1e-5)
    sq = rng.random((5, 5)).astype("float32")
    np.testing.assert_allclose(tf.contrib.image.rotate(sq, np.pi / 2).numpy(), np.rot90(sq),
                               atol=1e-6)   # counterclockwise, as TensorFlow's
    moved = tf.contrib.image.translate(sq[..., None], [1.0, 0.0]).numpy()[..., 0]
    np.testing.assert_allclose(moved[:, 1:], sq[:, :-1])
    np.testing.assert_allclose(moved[:, 0], 0)
    with pytest.raises(ValueError, match=r"\[transform\] interpolation"):
        tf.contrib.image.transform(img, both, interpolation="BICUBIC")
    with pytest.raises(TypeError, match=r"\[transform\].*convert_image_dtype"):
        tf.contrib.image.transform(np.zeros((4, 4), np.uint8), flip[0])
    with pytest.raises(AttributeError, match=r"only tf.contrib.image"):
        tf.contrib.slim  # noqa: B018


def test_contrib_transform_gradient_and_lambda_augmentation_trains():
    import pyengine as tf
    x = _t64(np.random.default_rng(1).random((1, 4, 5, 1)), True)
    t = tf.contrib.image.angles_to_projective_transforms(0.2, 4, 5)
    assert gradcheck(lambda a: tf.contrib.image.transform(a, t, "BILINEAR"), [x])

    def augment(inputs):
        coin = tf.less(tf.random_uniform([tf.shape(inputs)[0]], 0, 1.0), 0.5)
        flip = tf.tile(tf.constant([[-1., 0., 5., 0., 1., 0., 0., 0.]]), [tf.shape(inputs)[0], 1])
        same = tf.tile(tf.constant([[1., 0., 0., 0., 1., 0., 0., 0.]]), [tf.shape(inputs)[0], 1])
        return tf.contrib.image.transform(inputs, tf.compat.v1.where(coin, flip, same), "BILINEAR")
    rng = np.random.default_rng(2)
    y = rng.integers(0, 2, 64)
    imgs = rng.random((64, 6, 6, 1)).astype("float32") * 0.2
    imgs[y == 1, 2:4, 2:4] += 1.0      # a centred square survives flips
    model = keras.Sequential([keras.Input((6, 6, 1)), keras.layers.Lambda(augment),
                              keras.layers.Flatten(), keras.layers.Dense(2, activation="softmax")])
    model.compile(loss="sparse_categorical_crossentropy", optimizer=keras.optimizers.Adam(0.05))
    h = model.fit(imgs, y, batch_size=16, epochs=4, verbose=0)
    assert h.history["loss"][-1] < 0.5 * h.history["loss"][0]


def test_compat_v1_where_name_scope_random_uniform():
    import pyengine as tf
    v1 = tf.compat.v1
    x, y = np.arange(16.).reshape(8, 2), -np.arange(16.).reshape(8, 2)
    coin = np.array([1, 0, 1, 0, 0, 0, 1, 1], bool)
    np.testing.assert_array_equal(v1.where(coin, x, y).numpy(), np.where(coin[:, None], x, y))
    sq, sq2 = np.arange(64.).reshape(8, 8), -np.arange(64.).reshape(8, 8)
    # a batch of 8 rows: TensorFlow 1 picks rows, TensorFlow 2's tf.where broadcasts columns
    np.testing.assert_array_equal(v1.where(coin, sq, sq2).numpy(), np.where(coin[:, None], sq, sq2))
    np.testing.assert_array_equal(tf.where(coin, sq, sq2).numpy(), np.where(coin, sq, sq2))
    np.testing.assert_array_equal(v1.where(np.array([[0, 1], [1, 1]])).numpy(),
                                  [[0, 1], [1, 0], [1, 1]])
    with pytest.raises(ValueError, match=r"same shape"):
        v1.where(coin, x, y[:, :1])
    assert v1.reduce_sum is tf.reduce_sum
    with tf.name_scope("outer") as outer:
        with tf.name_scope("aug") as inner:
            pass
    assert (outer, inner) == ("outer/", "outer/aug/")
    draws = tf.random_uniform([tf.constant(500)], -2.0, 2.0, seed=3).numpy()
    assert draws.shape == (500,) and draws.min() >= -2 and draws.max() < 2 and abs(draws.mean()) < 0.3
    assert tf.random_uniform((3,), seed=1).numpy().max() < 1.0
    with pytest.raises(ValueError, match=r"integer dtype needs maxval"):
        tf.random_uniform((2,), dtype="int32")


def test_compile_target_tensors_is_refused_by_name():
    # mnist_dataset_api / mnist_tfrecord feed targets from TensorFlow 1 pipelines this way
    inp = keras.Input((3,))
    model = keras.Model(inp, keras.layers.Dense(1)(inp))
    with pytest.raises(NotImplementedError, match=r"\[compile\] target_tensors"):
        model.compile(loss="mse", optimizer="sgd", target_tensors=[np.zeros((4, 1))])


# --- pytorch/examples imagenet/main.py --dummy: FakeData, the checkpoint round trip ----------

def test_fake_data_is_repeatable_per_index_and_leaves_the_generator_alone():
    from pyengine.vision import datasets, transforms
    ds = datasets.FakeData(6, (3, 5, 4), 7, transforms.ToTensor(), random_offset=3)
    assert len(ds) == 6
    pe.manual_seed(0)
    before = pe.rand(3).numpy()
    pe.manual_seed(0)
    img, target = ds[2]
    after = pe.rand(3).numpy()
    np.testing.assert_array_equal(before, after)          # reading draws from its own seed
    assert isinstance(target, int) and 0 <= target < 7
    assert tuple(img.shape) == (3, 5, 4) and img.dtype == pe.float32
    again, t2 = ds[2]
    np.testing.assert_array_equal(img.numpy(), again.numpy())
    assert t2 == target
    assert not np.array_equal(img.numpy(), ds[3][0].numpy())
    v = img.numpy()
    assert v.min() >= 0 and v.max() <= 1 and 0.3 < v.mean() < 0.7   # ToPILImage's wrapped bytes
    np.testing.assert_array_equal(ds[-1][0].numpy(), ds[5][0].numpy())
    with pytest.raises(IndexError):
        ds[6]
    with pytest.raises(ValueError, match=r"\[FakeData\] image_size"):
        datasets.FakeData(2, (3, 4))
    gray, _ = datasets.FakeData(1, (1, 3, 3))[0]
    assert np.asarray(gray).shape == (3, 3)
    targets = [datasets.FakeData(200, (1, 1, 1), 5)[i][1] for i in range(200)]
    assert set(targets) == set(range(5))
    loader = pe.utils.data.DataLoader(ds, batch_size=4, shuffle=False)
    xb, yb = next(iter(loader))
    assert tuple(xb.shape) == (4, 3, 5, 4) and yb.dtype == pe.int64


def test_imagenet_style_checkpoint_resume_and_evaluate(tmp_path):
    """A BatchNorm convnet (resnet18's parts, small) + SGD(momentum, weight_decay) + StepLR
    trained on FakeData, saved as {epoch, arch, state_dict, best_acc1, optimizer, scheduler},
    resumed into fresh objects: identical eval outputs and an identical next training step."""
    from pyengine.vision import datasets, transforms
    nn = pe.nn
    from pyengine.optim.lr_scheduler import StepLR
    ds = datasets.FakeData(8, (3, 16, 16), 10, transforms.ToTensor())
    loader = pe.utils.data.DataLoader(ds, batch_size=4, shuffle=False)

    def make():
        pe.manual_seed(0)
        model = nn.Sequential(nn.Conv2d(3, 8, 3, padding=1, bias=False), nn.BatchNorm2d(8),
                              nn.ReLU(inplace=True), nn.MaxPool2d(2),
                              nn.Conv2d(8, 16, 3, padding=1, bias=False), nn.BatchNorm2d(16),
                              nn.ReLU(inplace=True), nn.AdaptiveAvgPool2d((1, 1)),
                              nn.Flatten(), nn.Linear(16, 10))
        opt = pe.optim.SGD(model.parameters(), 0.1, momentum=0.9, weight_decay=1e-4)
        return model, opt, StepLR(opt, step_size=1, gamma=0.5)

    def step(model, opt, images, target):
        model.train()
        loss = pe.nn.CrossEntropyLoss()(model(images), target)
        opt.zero_grad()
        loss.backward()
        opt.step()
        return loss.item()

    model, opt, sched = make()
    x, y = next(iter(loader))
    losses = [step(model, opt, x, y) for _ in range(3)]
    assert losses[-1] < losses[0]              # it learns the 4 fixed images
    sched.step()
    path = tmp_path / "checkpoint.pth.tar"
    pe.save({"epoch": 1, "arch": "small", "state_dict": model.state_dict(),
             "best_acc1": pe.tensor([12.5]), "optimizer": opt.state_dict(),
             "scheduler": sched.state_dict()}, str(path))
    ck = pe.load(str(path))
    model2, opt2, sched2 = make()
    model2.load_state_dict(ck["state_dict"])
    opt2.load_state_dict(ck["optimizer"])
    sched2.load_state_dict(ck["scheduler"])
    assert ck["epoch"] == 1 and float(ck["best_acc1"][0]) == 12.5
    assert opt2.param_groups[0]["lr"] == pytest.approx(0.05)
    model.eval(), model2.eval()
    with pe.no_grad():
        np.testing.assert_array_equal(model(x).numpy(), model2(x).numpy())   # -e after --resume
    assert step(model, opt, x, y) == step(model2, opt2, x, y)   # momentum buffers restored
    for p, q in zip(model.parameters(), model2.parameters()):
        np.testing.assert_array_equal(p.detach().numpy(), q.detach().numpy())
