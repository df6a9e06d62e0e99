"""API patterns of keras-io vision programs (conv_lstm, cutmix, gradient_centralization,
involution, ...) run with imports changed only: original tests, tiny sizes, synthetic data,
NumPy references. No program text is used."""
import numpy as np
import pytest

import pyengine as tf
from pyengine import keras
from pyengine.keras import layers


def _patches_ref(x, k, s, r, same):
    """TensorFlow's extract_patches written out: zero padding split with the odd pixel after."""
    b, h, w, c = x.shape
    geo = []
    for n, kk, ss, rr in ((h, k[0], s[0], r[0]), (w, k[1], s[1], r[1])):
        span = (kk - 1) * rr + 1
        out = -(-n // ss) if same else (n - span) // ss + 1
        geo.append((out, max((out - 1) * ss + span - n, 0) // 2 if same else 0))
    (oh, top), (ow, left) = geo
    ref = np.zeros((b, oh, ow, k[0] * k[1] * c), x.dtype)
    for i in range(oh):
        for j in range(ow):
            cells = []
            for a in range(k[0]):
                for e in range(k[1]):
                    y, z = i * s[0] + a * r[0] - top, j * s[1] + e * r[1] - left
                    inside = 0 <= y < h and 0 <= z < w
                    cells.append(x[:, y, z, :] if inside else np.zeros((b, c), x.dtype))
            ref[:, i, j] = np.concatenate(cells, axis=1)
    return ref


@pytest.mark.parametrize("hw,k,s,r,pad", [
    ((7, 6), (3, 3), (1, 1), (1, 1), "SAME"),    # Involution's K x K neighbourhood
    ((8, 8), (5, 5), (2, 2), (1, 1), "SAME"),    # ... with stride 2
    ((9, 7), (2, 3), (2, 1), (2, 1), "VALID"),   # dilated rows
    ((5, 5), (2, 2), (3, 3), (2, 2), "SAME"),
])
def test_tf_image_extract_patches_overlapping_matches_reference(hw, k, s, r, pad):
    x = np.random.default_rng(0).normal(size=(2, *hw, 3)).astype("float32")
    got = tf.image.extract_patches(images=x, sizes=[1, *k, 1], strides=[1, *s, 1],
                                   rates=[1, *r, 1], padding=pad)
    np.testing.assert_array_equal(got.numpy(), _patches_ref(x, k, s, r, pad == "SAME"))


def test_extract_patches_gradient_counts_covering_patches():
    x = tf.Variable(np.ones((1, 4, 4, 2), "float32"))
    with tf.GradientTape() as tape:
        y = tf.reduce_sum(tf.image.extract_patches(x, [1, 3, 3, 1], [1, 1, 1, 1],
                                                   [1, 1, 1, 1], "SAME"))
    g = tape.gradient(y, x).numpy()[0, :, :, 0]
    cover = np.array([2, 3, 3, 2])  # 3-tap windows centred on each of 4 positions
    np.testing.assert_array_equal(g, np.outer(cover, cover))
    with pytest.raises(ValueError, match="larger than the image"):
        keras.ops.image.extract_patches(np.ones((1, 3, 3, 1), "float32"), 4, strides=1)


class _Involution(layers.Layer):
    """A position-specific, channel-agnostic K x K kernel generated from the input."""

    def __init__(self, k, stride, name):
        super().__init__(name=name)
        self.k, self.stride = k, stride

    def build(self, input_shape):
        _, h, w, c = input_shape
        h, w = h // self.stride, w // self.stride
        self.pool = (layers.AveragePooling2D(self.stride, self.stride, padding="same")
                     if self.stride > 1 else tf.identity)
        self.gen = keras.Sequential([layers.Conv2D(2, 1), layers.BatchNormalization(),
                                     layers.ReLU(), layers.Conv2D(self.k * self.k, 1)])
        self.kshape = layers.Reshape((h, w, self.k * self.k, 1, 1))
        self.pshape = layers.Reshape((h, w, self.k * self.k, c, 1))
        self.oshape = layers.Reshape((h, w, c))

    def call(self, x):
        kernel = self.kshape(self.gen(self.pool(x)))
        patches = tf.image.extract_patches(x, [1, self.k, self.k, 1],
                                           [1, self.stride, self.stride, 1], [1, 1, 1, 1],
                                           "SAME")
        out = tf.reduce_sum(tf.multiply(kernel, self.pshape(patches)), axis=3)
        return self.oshape(out), kernel


def test_involution_layer_trains_and_exposes_its_kernels():
    out, kern = _Involution(3, 2, "inv_eager")(tf.random.normal((2, 8, 8, 3)))
    assert out.shape == (2, 4, 4, 3) and kern.shape == (2, 4, 4, 9, 1, 1)
    rng = np.random.default_rng(1)
    y = rng.integers(0, 2, (32, 1))
    x = rng.normal(size=(32, 8, 8, 3)).astype("float32") + y[:, :, None, None] * 1.5
    inp = keras.Input((8, 8, 3))
    h, _ = _Involution(3, 1, "inv_a")(inp)
    h = layers.MaxPooling2D(2)(layers.ReLU()(h))
    h, _ = _Involution(3, 1, "inv_b")(h)
    logits = layers.Dense(2)(layers.Flatten()(layers.ReLU()(h)))
    model = keras.Model(inputs=[inp], outputs=[logits])
    model.compile(optimizer=keras.optimizers.Adam(0.01),
                  loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True),
                  metrics=["accuracy"])
    hist = model.fit(x, y, batch_size=16, epochs=6, verbose=0)
    assert hist.history["loss"][-1] < hist.history["loss"][0]
    # each involution: conv 3->2 (8) + BN (8) + conv 2->9 (27)
    assert model.get_layer("inv_a").count_params() == 43
    vis = keras.Model(model.input, [model.get_layer(n).output for n in ("inv_a", "inv_b")])
    (o1, k1), (o2, k2) = vis.predict(x[:1], verbose=0)
    assert o1.shape == (1, 8, 8, 3) and k1.shape == (1, 8, 8, 9, 1, 1)
    assert o2.shape == (1, 4, 4, 3) and k2.shape == (1, 4, 4, 9, 1, 1)
    assert tf.reduce_sum(k2, axis=[-1, -2, -3]).shape == (1, 4, 4)


def test_xla_dynamic_update_slice_and_dynamic_slice():
    from pyengine.compiler.tf2xla.python import xla
    base = np.arange(12, dtype="float64").reshape(3, 4)
    out = xla.dynamic_update_slice(base, np.full((2, 2), -1.0), [1, 1]).numpy()
    ref = base.copy()
    ref[1:3, 1:3] = -1.0
    np.testing.assert_array_equal(out, ref)
    # XLA clamps the start so the update fits: [2, 3] becomes [1, 2]
    ref = base.copy()
    ref[1:3, 2:4] = -1.0
    np.testing.assert_array_equal(
        xla.dynamic_update_slice(base, np.full((2, 2), -1.0), [tf.constant(2), 3]).numpy(), ref)
    # an inf under the replaced block does not leak (no multiply-by-mask)
    got = xla.dynamic_update_slice(np.array([np.inf, 1.0, 2.0]), np.array([5.0]), [0]).numpy()
    np.testing.assert_array_equal(got, [5.0, 1.0, 2.0])
    np.testing.assert_array_equal(xla.dynamic_slice(base, [2, 1], [1, 3]).numpy(),
                                  base[2:3, 1:4])
    with pytest.raises(TypeError, match="dynamic_update_slice.*same dtype"):
        xla.dynamic_update_slice(np.zeros(3, "float32"), np.zeros(1, "float64"), [0])
    with pytest.raises(ValueError, match="start indices"):
        xla.dynamic_update_slice(np.zeros((2, 2)), np.zeros((1, 1)), [0])
    x, u = tf.Variable(np.ones((2, 3))), tf.Variable(np.ones((1, 2)))
    with tf.GradientTape() as tape:
        y = tf.reduce_sum(xla.dynamic_update_slice(x, u * 3.0, [1, 0]) * np.arange(6.0).reshape(2, 3))
    gx, gu = tape.gradient(y, [x, u])
    np.testing.assert_array_equal(gx.numpy(), [[0, 1, 2], [0, 0, 5]])
    np.testing.assert_array_equal(gu.numpy(), [[9, 12]])


def test_tf_math_elementwise_aliases_eager_and_symbolic():
    np.testing.assert_allclose(tf.math.divide(tf.constant([3.0]), 2.0).numpy(), [1.5])
    np.testing.assert_allclose(tf.math.truediv(tf.constant([3.0]), 4.0).numpy(), [0.75])
    np.testing.assert_allclose(tf.math.pow(tf.constant([2.0, 3.0]), 2).numpy(), [4.0, 9.0])
    np.testing.assert_array_equal(tf.math.round(tf.constant([0.5, 1.5, 2.5])).numpy(),
                                  [0.0, 2.0, 2.0])  # half to even, as TensorFlow
    inp = keras.Input((3,))
    model = keras.Model(inp, tf.math.subtract(tf.math.divide(tf.math.pow(inp, 2), 2.0), 1.0))
    np.testing.assert_allclose(model.predict(np.array([[1.0, 2.0, 4.0]]), verbose=0),
                               [[-0.5, 1.0, 7.0]])


def test_tf_norm_vector_and_matrix_forms_match_numpy():
    x = np.random.default_rng(2).normal(size=(4, 5)).astype("float32")
    np.testing.assert_allclose(tf.norm(x, ord=2, axis=1, keepdims=True).numpy(),
                               np.linalg.norm(x, axis=1, keepdims=True), rtol=1e-5)
    np.testing.assert_allclose(tf.norm(x).numpy(), np.linalg.norm(x), rtol=1e-5)
    np.testing.assert_allclose(tf.norm(x, ord=3, axis=0).numpy(),
                               np.linalg.norm(x, 3, axis=0), rtol=1e-5)
    np.testing.assert_allclose(tf.norm(x, ord=np.inf, axis=-1).numpy(),
                               np.abs(x).max(-1), rtol=1e-6)
    for o in (1, np.inf, "fro"):
        np.testing.assert_allclose(tf.norm(x, ord=o, axis=[0, 1]).numpy(),
                                   np.linalg.norm(x, o), rtol=1e-5)
    assert tf.norm(x, axis=(0, 1), keepdims=True).shape == (1, 1)
    # the torch spelling is unchanged: p / dim / keepdim
    np.testing.assert_allclose(tf.norm(tf.tensor(x), 2, 1, True).numpy(),
                               np.linalg.norm(x, axis=1, keepdims=True), rtol=1e-5)
    with pytest.raises(ValueError, match="vector norm"):
        tf.norm(x, ord="fro", axis=1)
    np.testing.assert_allclose(tf.norm(x, ord=2, axis=(0, 1)).numpy(), np.linalg.norm(x, 2),
                               rtol=1e-5)  # the largest singular value
    v = tf.Variable(np.array([[3.0, 4.0]], "float32"))
    with tf.GradientTape() as tape:
        n = tf.reduce_sum(tf.norm(v, ord=2, axis=1))
    np.testing.assert_allclose(tape.gradient(n, v).numpy(), [[0.6, 0.8]], rtol=1e-6)


def test_layers_in_list_attributes_tracked_after_iadd():
    class Net(keras.Model):
        def __init__(self):
            super().__init__()
            self.stack = [keras.Input(shape=(3,))]   # not a layer: the list starts untracked
            self.stack += [layers.Dense(4)]
            self.more = [layers.Dense(4)]
            self.more += [layers.Dense(2)]          # += on a tracked list keeps tracking
            self.more.append(layers.Dense(1))

        def call(self, x):
            for lyr in self.stack[1:] + list(self.more):
                x = lyr(x)
            return x

    net = Net()
    assert [type(lyr).__name__ for lyr in net.layers] == ["Dense"] * 4
    net(np.zeros((2, 3), "float32"))
    assert len(net.trainable_weights) == 8
    net.more.pop()
    assert len(net.layers) == 3 and len(net.trainable_weights) == 6


def test_dataset_elements_keep_float64_in_custom_train_step():
    seen = []

    class Probe(keras.Model):
        def __init__(self):
            super().__init__()
            self.dense = layers.Dense(1)

        def train_step(self, data):
            x, y = data
            seen.append((x.dtype, self.dense(x).dtype))
            return {"n": tf.reduce_sum(x)}

    model = Probe()
    model.compile(optimizer="sgd", loss="mse")
    x = np.random.default_rng(0).normal(size=(4, 3))  # float64
    model.fit(tf.data.Dataset.from_tensor_slices((x, np.zeros(4))).batch(4), epochs=1,
              verbose=0)
    model.fit(x, np.zeros(4), batch_size=4, epochs=1, verbose=0)  # arrays: floatx, as Keras
    assert seen == [(tf.float64, tf.float32), (tf.float32, tf.float32)]


class _LocalDense(layers.Layer):
    """A layer that trains itself with its own tape and optimizer (Forward-Forward style)."""

    def __init__(self, units, optimizer):
        super().__init__()
        self.dense, self.optimizer = layers.Dense(units, activation="relu"), optimizer
        self.loss_metric = keras.metrics.Mean()

    def call(self, x):
        return self.dense(x / (tf.norm(x, ord=2, axis=1, keepdims=True) + 1e-4))

    def local_fit(self, pos, neg, steps):
        for _ in range(steps):
            with tf.GradientTape() as tape:
                gp = tf.math.reduce_mean(tf.math.pow(self.call(pos), 2), 1)
                gn = tf.math.reduce_mean(tf.math.pow(self.call(neg), 2), 1)
                loss = tf.math.reduce_mean(tf.math.log(1 + tf.math.exp(
                    tf.concat([-gp + 1.5, gn - 1.5], 0))))
                self.loss_metric.update_state([loss])
            grads = tape.gradient(loss, self.dense.trainable_weights)
            self.optimizer.apply_gradients(zip(grads, self.dense.trainable_weights))
        return tf.stop_gradient(self.call(pos)), tf.stop_gradient(self.call(neg)), loss


def test_forward_forward_pattern_layer_local_training_in_fit():
    from pyengine.compiler.tf2xla.python import xla

    class FF(keras.Model):
        def __init__(self):
            super().__init__()
            shared = keras.optimizers.Adam(0.03)   # one optimizer for both layers
            self.blocks = [keras.Input(shape=(12,))]
            self.blocks += [_LocalDense(16, shared), _LocalDense(16, shared)]
            self.total = tf.Variable(0.0, trainable=False)

        def overlay(self, data):
            x, label = data
            mark = xla.dynamic_update_slice(tf.zeros([4], dtype=tf.float64),
                                            tf.ones([1], dtype=tf.float64), [label])
            return xla.dynamic_update_slice(x, mark, [0]), label

        def train_step(self, data):
            x, y = data
            pos, y = tf.map_fn(fn=self.overlay, elems=(x, y))
            neg, _ = tf.map_fn(fn=self.overlay, elems=(x, (y + 1) % 4))
            losses = []
            for lyr in self.layers:
                pos, neg, loss = lyr.local_fit(pos, neg, 5)
                losses.append(loss)
            return {"loss": tf.math.divide(losses[0] + losses[1], 2.0)}

    rng = np.random.default_rng(3)
    y = rng.integers(0, 4, 64)
    x = rng.normal(size=(64, 12)) * 0.3
    x[np.arange(64), 4 + y] += 2.0  # the class shows in the data
    model = FF()
    model.compile(optimizer="adam")
    hist = model.fit(tf.data.Dataset.from_tensor_slices((x, y)).batch(64), epochs=4, verbose=0)
    assert len(model.layers) == 2
    assert hist.history["loss"][-1] < hist.history["loss"][0]


def test_tf_transpose_perm_keyword_eager_and_symbolic():
    x = np.arange(24, dtype="float32").reshape(2, 3, 4)
    np.testing.assert_array_equal(tf.transpose(x, perm=[2, 0, 1]).numpy(), x.transpose(2, 0, 1))
    np.testing.assert_array_equal(tf.transpose(x).numpy(), x.T)            # TF: reversed
    np.testing.assert_array_equal(tf.transpose(x, 0, 2).numpy(), x.swapaxes(0, 2))  # torch
    with pytest.raises(TypeError, match="perm"):
        tf.transpose(x, 0, perm=[0, 1, 2])
    # conjugate=True is the identity on real tensors, as in TensorFlow
    np.testing.assert_array_equal(tf.transpose(x, perm=[2, 0, 1], conjugate=True).numpy(),
                                  x.transpose(2, 0, 1))
    # EANet's external attention: reshape / transpose(perm=) on symbolic tensors, heads split
    inp = keras.Input((8, 4))
    h = layers.Dense(8)(inp)
    h = tf.transpose(tf.reshape(h, (-1, 8, 2, 4)), perm=[0, 2, 1, 3])
    attn = layers.Softmax(axis=2)(layers.Dense(3)(h))
    attn = attn / (1e-9 + tf.reduce_sum(attn, axis=-1, keepdims=True))
    h = tf.reshape(tf.transpose(layers.Dense(4)(attn), perm=[0, 2, 1, 3]), [-1, 8, 8])
    out = layers.Dense(2)(layers.GlobalAvgPool1D()(h))
    model = keras.Model(inp, out)
    assert model.output_shape == (None, 2)
    rng = np.random.default_rng(4)
    xs = rng.normal(size=(32, 8, 4)).astype("float32")
    ys = (xs[:, :, 0].mean(1) > 0).astype("int64")
    model.compile(optimizer=keras.optimizers.AdamW(0.01, weight_decay=1e-4),
                  loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True))
    hist = model.fit(xs, ys, batch_size=16, epochs=5, verbose=0)
    assert hist.history["loss"][-1] < hist.history["loss"][0]


def test_tf_keras_optimizer_module_paths():
    from pyengine.keras.optimizers.experimental import AdamW
    from pyengine.keras.optimizers.legacy import SGD
    from pyengine.keras.optimizers.schedules import CosineDecay, LearningRateSchedule
    assert AdamW is keras.optimizers.AdamW and SGD is keras.optimizers.SGD
    assert CosineDecay is keras.optimizers.schedules.CosineDecay
    assert issubclass(CosineDecay, LearningRateSchedule)
    with pytest.raises(ImportError):
        from pyengine.keras.optimizers.legacy import AdamW  # noqa: F401  (not in TF's legacy)


def _keys_resize_axis(a, n_out):
    """TensorFlow's half-pixel bicubic along axis 0, written out tap by tap (a = -0.5,
    offsets on a 1/1024 grid, outside taps dropped and the rest renormalised)."""
    def kern(t):
        t = abs(t)
        return 1.5 * t ** 3 - 2.5 * t ** 2 + 1 if t <= 1 else -0.5 * t ** 3 + 2.5 * t ** 2 - 4 * t + 2
    n = a.shape[0]
    out = np.zeros((n_out,) + a.shape[1:])
    for o in range(n_out):
        f = (o + 0.5) * n / n_out - 0.5
        i = int(np.floor(f))
        d = np.rint((f - i) * 1024) / 1024
        taps = [(k, kern(k - i - d)) for k in range(i - 1, i + 3) if 0 <= k < n]
        total = sum(w for _, w in taps)
        out[o] = sum(w / total * a[k] for k, w in taps)
    return out


def test_tf_image_resize_bicubic_matches_tensorflow_rule():
    img = np.random.default_rng(5).random((5, 7, 2)).astype("float32")
    for size in [(9, 12), (3, 4), (16, 5)]:
        ref = _keys_resize_axis(_keys_resize_axis(img, size[0]).swapaxes(0, 1), size[1])
        got = tf.image.resize(img, size, method="bicubic")
        assert got.dtype == tf.float32
        np.testing.assert_allclose(got.numpy(), ref.swapaxes(0, 1), atol=1e-6)
    ramp = np.tile(np.arange(8.0)[:, None, None], (1, 3, 1))  # linear along rows
    up = tf.image.resize(ramp, (16, 3), method="bicubic").numpy()[4:12, 0, 0]
    np.testing.assert_allclose(up, (np.arange(4, 12) + 0.5) / 2 - 0.5, atol=1e-3)
    batch = np.random.default_rng(6).integers(0, 255, (2, 6, 6, 3)).astype("uint8")
    by_layer = layers.Resizing(10, 4, interpolation="bicubic")(batch)
    np.testing.assert_allclose(by_layer.numpy(),
                               tf.image.resize(batch, (10, 4), method="bicubic").numpy(),
                               rtol=1e-6)
    v = tf.Variable(np.ones((1, 4, 4, 1), "float32"))
    with tf.GradientTape() as tape:
        s = tf.reduce_sum(tf.image.resize(v, (8, 8), method="bicubic"))
    g = tape.gradient(s, v).numpy()
    np.testing.assert_allclose(g.sum(), 64.0, rtol=1e-5)  # each output's weights sum to 1
    with pytest.raises(NotImplementedError, match="lanczos3"):
        tf.image.resize(img, (4, 4), method="lanczos3")


def test_sample_distorted_bounding_box_then_slice():
    img = np.arange(40 * 60 * 3, dtype="float32").reshape(40, 60, 3)
    for seed in range(1, 30):
        begin, size, box = tf.image.sample_distorted_bounding_box(
            tf.shape(img), tf.zeros([0, 0, 4], tf.float32), seed=seed, area_range=(0.05, 1.0),
            min_object_covered=0, use_image_if_no_bounding_boxes=True)
        (y, x, z), (h, w, c) = begin.numpy(), size.numpy()
        assert z == 0 and c == -1 and begin.dtype == tf.int32
        assert 0 <= y and y + h <= 40 and 0 <= x and x + w <= 60
        assert 0.05 * 2400 <= h * w <= 2400
        assert 0.75 - 0.05 <= w / h <= 1.33 + 0.05  # the ratio range, up to rounding
        crop = tf.slice(img, begin, size)
        np.testing.assert_array_equal(crop.numpy(), img[y:y + h, x:x + w])
        np.testing.assert_allclose(box.numpy(), [[[y / 40, x / 60, (y + h) / 40, (x + w) / 60]]],
                                   rtol=1e-6)
        crop.set_shape([None, None, 3])
    again = tf.image.sample_distorted_bounding_box(tf.shape(img), tf.zeros([0, 0, 4]), seed=7,
                                                   use_image_if_no_bounding_boxes=True)
    first = tf.image.sample_distorted_bounding_box(tf.shape(img), tf.zeros([0, 0, 4]), seed=7,
                                                   use_image_if_no_bounding_boxes=True)
    assert again[0].tolist() == first[0].tolist() and again[1].tolist() == first[1].tolist()
    # the object box [rows 10-20, cols 30-45] must be covered by at least 90 %
    obj = np.array([[[0.25, 0.5, 0.5, 0.75]]], "float32")
    for seed in range(1, 15):
        (y, x, _), (h, w, _), _ = tf.image.sample_distorted_bounding_box(
            [40, 60, 3], obj, seed=seed, min_object_covered=0.9)
        inter = max(0, min(y + h, 20) - max(y, 10)) * max(0, min(x + w, 45) - max(x, 30))
        assert inter / (10 * 15) >= 0.9
    # no window can have this ratio and area: TensorFlow falls back to the whole image
    b, s, _ = tf.image.sample_distorted_bounding_box(
        [40, 40, 3], tf.zeros([0, 0, 4]), seed=3, aspect_ratio_range=(3.0, 4.0),
        area_range=(0.9, 1.0), use_image_if_no_bounding_boxes=True)
    assert b.tolist() == [0, 0, 0] and s.tolist() == [40, 40, -1]
    with pytest.raises(Exception, match="No bounding boxes"):
        tf.image.sample_distorted_bounding_box([4, 4, 3], tf.zeros([0, 0, 4]))
    with pytest.raises(ValueError, match="not compatible"):
        tf.ones((2, 3)).set_shape([2, 4])
    with pytest.raises(Exception, match="slice"):
        tf.slice(img, [0, 0, 0], [41, -1, -1])


def test_split_accepts_the_tensor_as_value_or_tensor_keyword():
    x = np.arange(12, dtype="float32").reshape(2, 6)
    q, c, g = tf.split(value=x, num_or_size_splits=[2, 3, 1], axis=-1)
    np.testing.assert_array_equal(g.numpy(), x[:, 5:])
    assert [p.shape for p in tf.split(value=x, num_or_size_splits=3, axis=1)] == [(2, 2)] * 3
    assert [p.shape for p in tf.split(tensor=x, split_size_or_sections=4, dim=1)] == \
        [(2, 4), (2, 2)]  # torch's keywords: 4 is the size of each piece
    with pytest.raises(TypeError, match="once"):
        tf.split(x, 2, value=x)

    class Gate(layers.Layer):  # a layer keeping a slice of its projection as an attribute
        def __init__(self):
            super().__init__()
            self.proj = layers.Dense(5)

        def call(self, t):
            query, self.gates = tf.split(value=self.proj(t), num_or_size_splits=[4, 1], axis=-1)
            return query * self.gates

    gate = Gate()
    assert gate(x).shape == (2, 4) and gate.gates.shape == (2, 1)


def test_keras_batchnorm_trains_on_one_value_per_channel():
    # a last batch of one image whose feature map is 1 x 1 (ResNet50V2 on 32 x 32 inputs)
    bn = layers.BatchNormalization(beta_initializer="ones")
    x = np.array([[[[2.0, -3.0]]]], "float32")
    out = bn(x, training=True).numpy()
    np.testing.assert_allclose(out, np.ones((1, 1, 1, 2)), atol=1e-6)  # x_hat = 0 -> beta
    np.testing.assert_allclose(bn.moving_mean.numpy(), 0.01 * x.reshape(-1), rtol=1e-5)
    np.testing.assert_allclose(bn.moving_variance.numpy(), [0.99, 0.99], rtol=1e-6)
    import pyengine.nn as nn
    with pytest.raises(ValueError, match="more than 1 value per channel"):
        nn.BatchNorm2d(2).train()(tf.ones((1, 2, 1, 1)))  # PyTorch refuses it


def test_conv_lstm_video_model_on_any_number_of_frames():
    inp = layers.Input(shape=(None, 6, 6, 1))
    h = layers.ConvLSTM2D(4, (3, 3), padding="same", return_sequences=True, activation="relu")(inp)
    h = layers.BatchNormalization()(h)
    out = layers.Conv3D(1, (3, 3, 3), activation="sigmoid", padding="same")(h)
    model = keras.Model(inp, out)
    # 3x3 kernel on 1 + 4 channels, 4 gates x 4 filters, plus the bias
    assert model.layers[1].count_params() == 3 * 3 * (1 + 4) * 16 + 16
    frames = (np.random.default_rng(7).random((8, 5, 6, 6, 1)) > 0.7).astype("float32")
    model.compile(loss=keras.losses.binary_crossentropy, optimizer=keras.optimizers.Adam(0.01))
    hist = model.fit(frames[:, :-1], frames[:, 1:], batch_size=4, epochs=4, verbose=0,
                     validation_data=(frames[:2, :-1], frames[:2, 1:]),
                     callbacks=[keras.callbacks.ReduceLROnPlateau(monitor="val_loss",
                                                                  patience=5)])
    assert hist.history["loss"][-1] < hist.history["loss"][0]
    for t in (2, 3, 5):  # predictions fed back on a growing clip
        assert model.predict(frames[:1, :t], verbose=0).shape == (1, t, 6, 6, 1)


def test_cutmix_pipeline_pieces():
    g = tf.random.gamma(shape=[1], alpha=[0.25])
    assert g.shape == (1, 1)  # shape + alpha's shape, as TensorFlow
    imgs = np.random.default_rng(8).random((6, 8, 8, 3)).astype("float32")
    labels = np.eye(3, dtype="float32")[[0, 1, 2, 0, 1, 2]]

    def mix(one, two):
        (a, la), (b, lb) = one, two
        patch = tf.image.pad_to_bounding_box(tf.image.crop_to_bounding_box(b, 2, 3, 4, 4),
                                             2, 3, 8, 8)
        hole = tf.image.pad_to_bounding_box(tf.image.crop_to_bounding_box(a, 2, 3, 4, 4),
                                            2, 3, 8, 8)
        lam = tf.cast(1 - 16 / 64, tf.float32)
        return a - hole + patch, lam * la + (1 - lam) * lb

    ds = tf.data.Dataset.from_tensor_slices((imgs, labels))
    pairs = tf.data.Dataset.zip((ds, ds.map(lambda x, y: (x[:, ::-1], y))))
    x, y = next(iter(pairs.map(mix).batch(6)))
    ref = imgs.copy()
    ref[:, 2:6, 3:7] = imgs[:, :, ::-1][:, 2:6, 3:7]
    np.testing.assert_allclose(x.numpy(), ref, rtol=1e-6)
    np.testing.assert_allclose(y.numpy().sum(1), np.ones(6), rtol=1e-6)


def test_optimizer_subclass_with_unused_get_gradients_trains_as_its_base():
    # the built-in RMSprop takes the fused Dense trainer, the subclass the general path: with
    # shuffling on, both must draw the same batch orders and give the same losses
    class GC(keras.optimizers.RMSprop):
        def get_gradients(self, loss, params):  # never called by fit (TF 2 / Keras 3)
            raise AssertionError("fit must not call get_gradients")

    rng = np.random.default_rng(9)
    x = rng.normal(size=(32, 4)).astype("float32")
    y = (x.sum(1) > 0).astype("float32")
    losses = []
    for opt in (keras.optimizers.RMSprop(0.01), GC(0.01)):
        keras.utils.set_random_seed(3)
        model = keras.Sequential([keras.Input((4,)), layers.Dense(1, activation="sigmoid")])
        model.compile(loss="binary_crossentropy", optimizer=opt)
        losses.append(model.fit(x, y, batch_size=8, epochs=3, verbose=0).history["loss"])
    np.testing.assert_allclose(losses[0], losses[1], rtol=1e-6)


def test_mil_attention_layer_with_list_inputs_and_outputs():
    class Attn(layers.Layer):
        def build(self, input_shape):
            self.v = self.add_weight(shape=(input_shape[0][1], 8), name="v")
            self.w = self.add_weight(shape=(8, 1), name="w")

        def call(self, inputs):
            scores = keras.ops.stack([keras.ops.tensordot(keras.ops.tanh(
                keras.ops.tensordot(t, self.v, axes=1)), self.w, axes=1) for t in inputs])
            alpha = keras.ops.softmax(scores, axis=0)
            return [alpha[i] for i in range(alpha.shape[0])]

    dense = layers.Dense(6, activation="relu")
    inputs = [layers.Input((5,)) for _ in range(3)]
    emb = [dense(i) for i in inputs]
    alpha = Attn(name="alpha")(emb)
    out = layers.Dense(2, activation="softmax")(
        layers.concatenate([layers.multiply([a, e]) for a, e in zip(alpha, emb)], axis=1))
    model = keras.Model(inputs, out)
    rng = np.random.default_rng(10)
    bags = [rng.normal(size=(24, 5)).astype("float32") for _ in range(3)]
    y = (bags[0][:, 0] > 0.8).astype("int64").reshape(-1, 1)
    model.compile(optimizer="adam", loss="sparse_categorical_crossentropy",
                  metrics=["accuracy"])
    hist = model.fit(bags, y, batch_size=1, epochs=2, verbose=0,
                     class_weight={0: 0.6, 1: 2.0})
    assert hist.history["loss"][-1] < hist.history["loss"][0]
    weights = keras.Model(model.input, model.get_layer("alpha").output).predict(bags, verbose=0)
    assert len(weights) == 3 and weights[0].shape == (24, 1)
    np.testing.assert_allclose(np.sum(weights, axis=0), np.ones((24, 1)), rtol=1e-5)


def test_rot90_and_depth_to_space_for_super_resolution():
    a = np.arange(2 * 3 * 4 * 2).reshape(2, 3, 4, 2)
    for k in (-1, 0, 1, 2, 3, 5):
        np.testing.assert_array_equal(tf.image.rot90(a[0], tf.constant(k)).numpy(),
                                      np.rot90(a[0], k, axes=(0, 1)))
    np.testing.assert_array_equal(tf.image.rot90(a, 1).numpy(), np.rot90(a, 1, axes=(1, 2)))
    x = np.arange(2 * 2 * 3 * 8, dtype="float32").reshape(2, 2, 3, 8)
    y = tf.nn.depth_to_space(x, block_size=2).numpy()
    assert y.shape == (2, 4, 6, 2)
    np.testing.assert_array_equal(y[:, 1, 2], x[:, 0, 1, 4:6])  # i=1, j=0 -> channels 4..5
    np.testing.assert_array_equal(y[:, 3, 5], x[:, 1, 2, 6:8])  # i=1, j=1 -> channels 6..7
    np.testing.assert_array_equal(tf.nn.space_to_depth(y, 2).numpy(), x)
    with pytest.raises(ValueError, match="divisible"):
        tf.nn.depth_to_space(np.zeros((1, 2, 2, 6), "float32"), 2)
    # EDSR-like: sub-pixel upsampling in a functional model with any input size
    inp = layers.Input(shape=(None, None, 3))
    h = layers.Conv2D(12, 3, padding="same")(layers.Rescaling(1.0 / 255)(inp))
    out = layers.Rescaling(255)(layers.Conv2D(3, 3, padding="same")(
        tf.nn.depth_to_space(h, block_size=2)))
    model = keras.Model(inp, out)
    lo = np.random.default_rng(11).integers(0, 255, (8, 6, 6, 3)).astype("float32")
    hi = np.repeat(np.repeat(lo, 2, 1), 2, 2)
    model.compile(optimizer=keras.optimizers.Adam(
        keras.optimizers.schedules.PiecewiseConstantDecay([50], [1e-2, 5e-3])), loss="mae")
    hist = model.fit(lo, hi, batch_size=4, epochs=4, verbose=0)
    assert hist.history["loss"][-1] < hist.history["loss"][0]
    assert model.predict(lo[:1, :5, :3], verbose=0).shape == (1, 10, 6, 3)


def test_preprocess_input_on_tensors_and_keras_inputs_and_ops_nn():
    x = np.random.default_rng(12).random((2, 5, 5, 3)).astype("float32") * 255
    ref = x[..., ::-1] - np.array([103.939, 116.779, 123.68], "float32")  # caffe: BGR - mean
    np.testing.assert_allclose(keras.applications.resnet50.preprocess_input(x), ref, rtol=1e-6)
    t = keras.applications.resnet50.preprocess_input(tf.constant(x))
    assert isinstance(t, tf.Tensor) and t.dtype == tf.float32
    np.testing.assert_allclose(t.numpy(), ref, rtol=1e-6)
    inp = keras.Input((5, 5, 3))
    model = keras.Model(inp, keras.applications.resnet50.preprocess_input(inp))
    np.testing.assert_allclose(model.predict(x, verbose=0), ref, rtol=1e-6)
    np.testing.assert_allclose(keras.ops.nn.relu(np.array([-1.0, 2.0])).numpy(), [0.0, 2.0])
    assert keras.ops.nn.softmax is keras.ops.softmax and keras.ops.numpy.sum is keras.ops.sum
    assert not hasattr(keras.ops.nn, "sum") and not hasattr(keras.ops.numpy, "relu")


def test_deeplab_style_head_on_an_application_trunk():
    inp = keras.Input(shape=(32, 32, 3))
    trunk = keras.applications.ResNet50(weights=None, include_top=False,
                                        input_tensor=keras.applications.resnet50.preprocess_input(inp))
    deep = trunk.get_layer("conv4_block6_2_relu").output   # 2 x 2
    low = trunk.get_layer("conv2_block3_2_relu").output    # 8 x 8
    pooled = layers.AveragePooling2D(pool_size=(deep.shape[1], deep.shape[2]))(deep)
    pooled = layers.UpSampling2D(size=(2, 2), interpolation="bilinear")(pooled)
    atrous = keras.ops.nn.relu(layers.Conv2D(8, 3, dilation_rate=2, padding="same")(deep))
    h = layers.UpSampling2D(size=(4, 4), interpolation="bilinear")(
        layers.Concatenate()([pooled, atrous]))
    h = layers.Concatenate()([h, layers.Conv2D(4, 1)(low)])
    out = layers.Conv2D(3, 1)(layers.UpSampling2D(size=(4, 4), interpolation="bilinear")(h))
    model = keras.Model(inp, out)
    assert model.output_shape == (None, 32, 32, 3)
    assert model.inputs[0] is inp  # the trunk starts at the caller's Input
    imgs = np.random.default_rng(13).integers(0, 255, (2, 32, 32, 3)).astype("float32")
    masks = (imgs[..., :1] > 128).astype("int64")
    model.compile(optimizer="adam",
                  loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True))
    hist = model.fit(imgs, masks, batch_size=2, epochs=3, verbose=0)
    assert hist.history["loss"][-1] < hist.history["loss"][0]


def test_volume_classifier_with_numpy_function_augmentation_and_h5_checkpoint(tmp_path):
    rng = np.random.default_rng(14)
    y = np.array([0, 1] * 6)
    vols = rng.random((12, 8, 8, 6)).astype("float32") * 0.3
    vols[y == 1, 2:6, 2:6, 1:5] += 0.6

    @tf.function
    def flip(volume):
        return tf.numpy_function(lambda v: np.ascontiguousarray(v[::-1]), [volume], tf.float32)

    ds = tf.data.Dataset.from_tensor_slices((vols, y)).shuffle(12).map(
        lambda v, t: (tf.expand_dims(flip(v), axis=3), t)).batch(4)
    x0, _ = next(iter(ds))
    assert x0.shape == (4, 8, 8, 6, 1) and x0.dtype == tf.float32
    inp = keras.Input((8, 8, 6, 1))
    h = layers.BatchNormalization()(layers.MaxPool3D(2)(layers.Conv3D(4, 3, activation="relu")(inp)))
    out = layers.Dense(1, activation="sigmoid")(layers.GlobalAveragePooling3D()(h))
    model = keras.Model(inp, out, name="3dcnn")
    model.compile(loss="binary_crossentropy", metrics=["acc"], optimizer=keras.optimizers.Adam(
        keras.optimizers.schedules.ExponentialDecay(0.01, 100000, 0.96, staircase=True)))
    path = str(tmp_path / "best.h5")
    model.fit(ds, validation_data=ds, epochs=3, verbose=0,
              callbacks=[keras.callbacks.ModelCheckpoint(path, save_best_only=True)])
    assert set(model.history.history) >= {"loss", "acc", "val_loss", "val_acc"}
    assert len(model.history.history["acc"]) == 3  # model.history is fit's History
    fresh = keras.models.load_model(path)
    model.load_weights(path)
    np.testing.assert_allclose(fresh.predict(vols[:2, ..., None], verbose=0),
                               model.predict(vols[:2, ..., None], verbose=0), rtol=1e-6)


def test_custom_train_step_takes_zipped_datasets_of_different_batch_sizes():
    rng = np.random.default_rng(15)
    src = tf.data.Dataset.from_tensor_slices(
        (rng.normal(size=(16, 3)).astype("float32"), np.eye(2, dtype="float32")[[0, 1] * 8]))
    tgt = tf.data.Dataset.from_tensor_slices(
        (rng.normal(size=(48, 3)).astype("float32"), np.zeros(48, "int64")))
    seen = []

    class Both(keras.Model):
        def __init__(self):
            super().__init__()
            self.net = keras.Sequential([keras.Input((3,)), layers.Dense(2)])
            self.tracker = keras.metrics.Mean(name="loss")

        @property
        def metrics(self):
            return [self.tracker]

        def train_step(self, data):
            (xs, ys), (xt, _) = data
            seen.append((xs.shape[0], xt.shape[0]))
            with tf.GradientTape() as tape:
                loss = keras.losses.CategoricalCrossentropy(from_logits=True)(ys, self.net(xs)) \
                    + 0.1 * tf.reduce_mean(tf.square(self.net(xt, training=True)))
            grads = tape.gradient(loss, self.net.trainable_variables)
            self.optimizer.apply_gradients(zip(grads, self.net.trainable_variables))
            self.tracker.update_state(loss)
            return {"loss": self.tracker.result()}

    model = Both()
    model.compile(optimizer=keras.optimizers.Adam(0.05))
    hist = model.fit(tf.data.Dataset.zip((src.batch(4), tgt.batch(12))), epochs=3, verbose=0)
    assert seen[:4] == [(4, 12)] * 4
    assert hist.history["loss"][-1] < hist.history["loss"][0]
    # the built-in train_step still names the mismatch
    plain = keras.Sequential([keras.Input((3,)), layers.Dense(2)])
    plain.compile(optimizer="sgd", loss="mse")
    bad = tf.data.Dataset.zip((src.map(lambda x, y: x).batch(4), tgt.map(lambda x, y: x).batch(12)))
    with pytest.raises(ValueError, match="different numbers of samples"):
        plain.fit(bad, epochs=1, verbose=0)


def test_rewriting_the_list_a_multi_output_model_returned_keeps_the_graph():
    trunk_in = keras.Input((8, 8, 3))
    a = layers.Conv2D(4, 3, padding="same", name="a")(trunk_in)
    b = layers.MaxPooling2D(2, name="b")(a)
    trunk = keras.Model(trunk_in, [a, b])
    trunk.trainable = False
    inp = keras.Input((8, 8, 3))
    feats = trunk(inp)
    feats[-1] = layers.Conv2D(4, 1, name="head")(feats[-1])  # FCN: x[-1] = dense_convs(x[-1])
    low, high = feats
    out = layers.Conv2D(2, 1, activation="softmax")(
        layers.Add()([low, layers.UpSampling2D(2, interpolation="bilinear")(high)]))
    model = keras.Model(inp, out)
    assert trunk.outputs[1] is not feats[1]  # the recorded outputs were not rewritten
    x = np.random.default_rng(16).random((4, 8, 8, 3)).astype("float32")
    y = (x[..., :1] > 0.5).astype("int64")
    model.compile(optimizer=keras.optimizers.AdamW(0.01, weight_decay=1e-4),
                  loss=keras.losses.SparseCategoricalCrossentropy(),
                  metrics=[keras.metrics.MeanIoU(num_classes=2, sparse_y_pred=False)])
    hist = model.fit(x, y, batch_size=2, epochs=3, verbose=0)
    assert "mean_io_u" in hist.history
    assert hist.history["loss"][-1] < hist.history["loss"][0]
    assert len(model.trainable_weights) == 4  # head + classifier; the trunk is frozen


def test_linalg_diag_part_and_set_diag_with_gradients():
    c = np.arange(12, dtype="float64").reshape(2, 2, 3)
    np.testing.assert_array_equal(tf.linalg.diag_part(c).numpy(), [[0, 4], [6, 10]])
    out = tf.linalg.set_diag(c, np.array([[-1.0, -2.0], [-3.0, -4.0]])).numpy()
    ref = c.copy()
    ref[:, [0, 1], [0, 1]] = [[-1, -2], [-3, -4]]
    np.testing.assert_array_equal(out, ref)
    v = tf.Variable(np.ones((3, 3)))
    with tf.GradientTape() as tape:
        y = tf.reduce_sum(tf.linalg.set_diag(v * 2.0, tf.zeros(3, dtype=tf.float64)) ** 2) \
            + tf.reduce_sum(tf.linalg.diag_part(v))
    np.testing.assert_array_equal(tape.gradient(y, v).numpy(), np.where(np.eye(3), 1.0, 8.0))
    with pytest.raises(ValueError, match="diagonal must have shape"):
        tf.linalg.set_diag(c, np.zeros(3))
    with pytest.raises(NotImplementedError, match="k=0"):
        tf.linalg.diag_part(c, k=1)


def test_colour_jitter_matches_colorsys():
    import colorsys
    rgb = np.random.default_rng(17).random((3, 4, 3)).astype("float32")
    px = rgb.reshape(-1, 3)
    hsv = np.array([colorsys.rgb_to_hsv(*p) for p in px])
    np.testing.assert_allclose(tf.image.rgb_to_hsv(rgb).numpy().reshape(-1, 3), hsv, atol=1e-6)
    np.testing.assert_allclose(tf.image.hsv_to_rgb(hsv.reshape(3, 4, 3).astype("float32"))
                               .numpy(), rgb, atol=1e-6)
    sat = np.array([colorsys.hsv_to_rgb(h, min(s * 1.5, 1.0), v) for h, s, v in hsv])
    np.testing.assert_allclose(tf.image.adjust_saturation(rgb, 1.5).numpy().reshape(-1, 3), sat,
                               atol=1e-6)
    hue = np.array([colorsys.hsv_to_rgb((h - 0.25) % 1.0, s, v) for h, s, v in hsv])
    np.testing.assert_allclose(tf.image.adjust_hue(rgb, -0.25).numpy().reshape(-1, 3), hue,
                               atol=1e-6)
    mean = rgb.mean((0, 1))
    np.testing.assert_allclose(tf.image.adjust_contrast(rgb, 0.5).numpy(),
                               (rgb - mean) * 0.5 + mean, rtol=1e-6)
    img8 = (rgb * 255).astype("uint8")
    assert tf.image.random_saturation(img8, 0.4, 1.6, seed=1).dtype == tf.uint8
    assert tf.image.random_hue(rgb, 0.2, seed=1).shape == (3, 4, 3)
    with pytest.raises(ValueError, match="upper must be > lower"):
        tf.image.random_contrast(rgb, 1.6, 0.4)
    with pytest.raises(ValueError, match=r"\[0, 0.5\]"):
        tf.image.random_hue(rgb, 0.7)


def test_data_options_and_jit_switch_record_settings_only():
    opts = tf.data.Options()
    opts.threading.max_intra_op_parallelism = 1
    opts.deterministic = True
    ds = tf.data.Dataset.from_tensor_slices(np.arange(6)).map(lambda v: v * 2).with_options(opts)
    assert ds.options().threading.max_intra_op_parallelism == 1
    assert [int(b) for b in ds] == [0, 2, 4, 6, 8, 10]
    with pytest.raises(AttributeError, match="max_intra_parallelism"):
        opts.threading.max_intra_parallelism = 2
    with pytest.raises(TypeError, match="Options"):
        ds.with_options({"deterministic": True})
    before = tf.config.optimizer.get_jit()
    tf.config.optimizer.set_jit(True)
    assert tf.config.optimizer.get_jit() is True
    tf.config.optimizer.set_jit(before)


def test_barlow_style_loss_object_called_with_two_embeddings():
    class CrossCorrLoss(keras.losses.Loss):
        def call(self, z_a, z_b):
            za = (z_a - tf.reduce_mean(z_a, axis=0)) / tf.math.reduce_std(z_a, axis=0)
            zb = (z_b - tf.reduce_mean(z_b, axis=0)) / tf.math.reduce_std(z_b, axis=0)
            c = (tf.transpose(za) @ zb) / 16
            off = tf.linalg.set_diag(c, tf.zeros(c.shape[-1]))
            return tf.reduce_sum(tf.pow(tf.linalg.diag_part(c) - 1, 2)) + \
                5e-3 * tf.reduce_sum(tf.pow(off, 2))

    class Twins(keras.Model):
        def __init__(self):
            super().__init__()
            self.net = keras.Sequential([keras.Input((6,)), layers.Dense(8),
                                         layers.BatchNormalization(), layers.Dense(4)])
            self.tracker = keras.metrics.Mean(name="loss")

        @property
        def metrics(self):
            return [self.tracker]

        def train_step(self, batch):
            y_a, y_b = batch
            with tf.GradientTape() as tape:
                loss = self.loss(self.net(y_a, training=True), self.net(y_b, training=True))
            grads = tape.gradient(loss, self.net.trainable_variables)
            self.optimizer.apply_gradients(zip(grads, self.net.trainable_variables))
            self.tracker.update_state(loss)
            return {"loss": self.tracker.result()}

    base = np.random.default_rng(18).normal(size=(64, 6)).astype("float32")
    views = tf.data.Dataset.zip((
        tf.data.Dataset.from_tensor_slices(base + 0.05).batch(16, drop_remainder=True),
        tf.data.Dataset.from_tensor_slices(base - 0.05).batch(16, drop_remainder=True)))
    model = Twins()
    model.compile(optimizer=keras.optimizers.Lamb(0.01), loss=CrossCorrLoss())
    hist = model.fit(views, epochs=6, verbose=0)
    assert hist.history["loss"][-1] < hist.history["loss"][0]


def _ssim_reference(x, y, max_val, size, sigma=1.5, k1=0.01, k2=0.03):
    """SSIM written with scipy's correlate: Gaussian-window means, variances, covariance."""
    from scipy.signal import correlate
    c = np.arange(size) - (size - 1) / 2
    g = np.exp(-c ** 2 / (2 * sigma ** 2))
    g = np.outer(g, g) / np.outer(g, g).sum()
    c1, c2 = (k1 * max_val) ** 2, (k2 * max_val) ** 2
    per_image = []
    for b in range(x.shape[0]):
        chans = []
        for ch in range(x.shape[-1]):
            a, d = x[b, ..., ch].astype(float), y[b, ..., ch].astype(float)
            win = lambda t: correlate(t, g, mode="valid")  # noqa: E731
            ma, md = win(a), win(d)
            va, vd, cov = win(a * a) - ma ** 2, win(d * d) - md ** 2, win(a * d) - ma * md
            chans.append((((2 * ma * md + c1) * (2 * cov + c2))
                          / ((ma ** 2 + md ** 2 + c1) * (va + vd + c2))).mean())
        per_image.append(np.mean(chans))
    return np.array(per_image)


def test_ssim_and_image_gradients_for_a_depth_loss():
    pytest.importorskip("scipy")  # the reference's correlate (not a pyengine dependency)
    rng = np.random.default_rng(19)
    x = rng.random((2, 12, 12, 1)).astype("float32")
    y = np.clip(x + rng.normal(0, 0.1, x.shape), 0, 1).astype("float32")
    np.testing.assert_allclose(tf.image.ssim(x, y, 1.0).numpy(), _ssim_reference(x, y, 1.0, 11),
                               rtol=1e-5)
    got = tf.image.ssim(x, y, max_val=10, filter_size=7, k1=0.01 ** 2, k2=0.03 ** 2).numpy()
    np.testing.assert_allclose(got, _ssim_reference(x, y, 10, 7, k1=1e-4, k2=9e-4), rtol=1e-5)
    np.testing.assert_allclose(tf.image.ssim(x, x, 1.0).numpy(), [1.0, 1.0], rtol=1e-6)
    dy, dx = tf.image.image_gradients(x)
    np.testing.assert_allclose(dy.numpy()[:, :-1], x[:, 1:] - x[:, :-1], rtol=1e-6)
    assert not dy.numpy()[:, -1].any() and not dx.numpy()[:, :, -1].any()
    with pytest.raises(ValueError, match="filter_size"):
        tf.image.ssim(x, y, 1.0, filter_size=13)
    # the depth-estimation loss trains a small encoder-decoder
    net = keras.Sequential([keras.Input((12, 12, 1)), layers.Conv2D(4, 3, padding="same",
                                                                   activation="relu"),
                            layers.Conv2D(1, 1, activation="tanh")])
    opt = keras.optimizers.Adam(0.01)
    losses = []
    for _ in range(8):
        with tf.GradientTape() as tape:
            pred = net(x, training=True)
            dyp, dxp = tf.image.image_gradients(pred)
            loss = 0.85 * tf.reduce_mean(1 - tf.image.ssim(y, pred, max_val=1.0, filter_size=7)) \
                + 0.1 * tf.reduce_mean(tf.abs(y - pred)) \
                + 0.9 * (tf.reduce_mean(abs(dxp)) + tf.reduce_mean(abs(dyp)))
        opt.apply_gradients(zip(tape.gradient(loss, net.trainable_variables),
                                net.trainable_variables))
        losses.append(float(loss))
    assert losses[-1] < losses[0]


def test_tf_equal_on_arrays_is_elementwise_for_masked_caption_accuracy():
    y_true = np.array([[3, 1, 0], [2, 2, 0]])
    logits = np.zeros((2, 3, 4), "float32")
    logits[0, 0, 3] = logits[0, 1, 2] = logits[1, 0, 2] = logits[1, 1, 2] = 1.0
    mask = tf.math.not_equal(y_true, 0)
    hits = tf.math.logical_and(mask, tf.equal(y_true, tf.argmax(logits, axis=2)))
    acc = tf.reduce_sum(tf.cast(hits, tf.float32)) / tf.reduce_sum(tf.cast(mask, tf.float32))
    assert float(acc) == 0.75  # 3 of the 4 unmasked tokens
    assert tf.equal(tf.constant([1, 2]), tf.constant([1, 2]))  # two Tensors: torch's
    loss = keras.losses.SparseCategoricalCrossentropy(from_logits=True, reduction="none")(
        y_true, logits)
    assert loss.shape == (2, 3)  # per token, masked by the caller


def _png(rows_bytes, w, h, depth, color, filters, extra=b""):
    """A PNG file whose row k is written with filter filters[k] (0-4), per the specification."""
    import struct
    import zlib

    def chunk(kind, body):
        return struct.pack(">I", len(body)) + kind + body + struct.pack(
            ">I", zlib.crc32(kind + body) & 0xFFFFFFFF)
    bpp = {0: 1, 2: 3, 3: 1, 4: 2, 6: 4}[color] * depth // 8
    prev = np.zeros(len(rows_bytes[0]), np.int32)
    raw = b""
    for row, f in zip(rows_bytes, filters):
        cur = np.frombuffer(row, np.uint8).astype(np.int32)
        left = np.concatenate([np.zeros(bpp, np.int32), cur[:-bpp]])
        upleft = np.concatenate([np.zeros(bpp, np.int32), prev[:-bpp]])
        if f == 4:
            p = left + prev - upleft
            pa, pb, pc = abs(p - left), abs(p - prev), abs(p - upleft)
            pred = np.where((pa <= pb) & (pa <= pc), left, np.where(pb <= pc, prev, upleft))
        else:
            pred = [0 * cur, left, prev, (left + prev) // 2][f]
        raw += bytes([f]) + ((cur - pred) % 256).astype(np.uint8).tobytes()
        prev = cur
    head = struct.pack(">IIBBBBB", w, h, depth, color, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", head) + extra + \
        chunk(b"IDAT", zlib.compress(raw)) + chunk(b"IEND", b"")


def test_read_file_and_decode_png_all_filters_palette_and_16_bit(tmp_path):
    import struct
    import zlib
    rng = np.random.default_rng(20)
    rgb = rng.integers(0, 256, (5, 4, 3)).astype("uint8")
    path = tmp_path / "rgb.png"
    path.write_bytes(_png([r.tobytes() for r in rgb], 4, 5, 8, 2, [0, 1, 2, 3, 4]))
    got = tf.io.decode_png(tf.io.read_file(str(path)))
    assert got.dtype == tf.uint8
    np.testing.assert_array_equal(got.numpy(), rgb)
    grey = tf.image.decode_png(tf.io.read_file(str(path)), channels=1).numpy()[..., 0]
    np.testing.assert_array_equal(grey, np.rint(rgb @ np.array([0.299, 0.587, 0.114])))
    # palette with transparency -> RGBA
    pal = rng.integers(0, 256, (4, 3)).astype("uint8")
    idx = rng.integers(0, 4, (3, 6)).astype("uint8")

    def chunk(kind, body):
        return struct.pack(">I", len(body)) + kind + body + struct.pack(
            ">I", zlib.crc32(kind + body) & 0xFFFFFFFF)
    extra = chunk(b"PLTE", pal.tobytes()) + chunk(b"tRNS", bytes([0, 128]))
    png = _png([r.tobytes() for r in idx], 6, 3, 8, 3, [4, 1, 2], extra)
    rgba = tf.io.decode_png(png).numpy()
    np.testing.assert_array_equal(rgba[..., :3], pal[idx])
    np.testing.assert_array_equal(rgba[..., 3], np.array([0, 128, 255, 255])[idx])
    # 16-bit greyscale decodes to uint8 keeping the high byte (no uint16 tensors here)
    g16 = rng.integers(0, 65536, (2, 3)).astype(">u2")
    png = _png([r.tobytes() for r in g16], 3, 2, 16, 0, [2, 3])
    np.testing.assert_array_equal(tf.io.decode_png(png).numpy()[..., 0], g16 >> 8)
    with pytest.raises(NotImplementedError, match="uint16"):
        tf.io.decode_png(png, dtype="uint16")
    # encode_png round trip through write_file, and the dataset idiom of the keras-io programs
    img = rng.integers(0, 256, (6, 7, 4)).astype("uint8")
    tf.io.write_file(str(tmp_path / "a.png"), tf.io.encode_png(img))
    ds = tf.data.Dataset.from_tensor_slices([str(tmp_path / "a.png")]).map(
        lambda p: tf.image.decode_png(tf.io.read_file(p), channels=3))
    np.testing.assert_array_equal(next(iter(ds)).numpy(), img[..., :3])
    # decode_png / decode_jpeg share TensorFlow's kernel: PNG, JPEG and GIF, not BMP
    with pytest.raises(ValueError, match="not a PNG / JPEG / GIF image: use tf.io.decode_bmp"):
        tf.io.decode_png(b"BM" + bytes(60))
    with pytest.raises(ValueError, match="not a PNG / JPEG / GIF"):
        tf.io.decode_jpeg(b"\xff\xd8")
