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
