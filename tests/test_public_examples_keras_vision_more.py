"""API patterns of keras-io vision programs (ConvMixer, CCT, ...) run with imports changed
only: original tests, tiny sizes, NumPy references."""
import json

import numpy as np
import pytest

import pyengine as tf
from pyengine import keras
from pyengine.keras import layers


def test_conv2d_get_config_has_keras_flat_keys():
    # ConvMixer: `layer.get_config()["kernel_size"] == (5, 5)` picks the depthwise convs
    conv = layers.Conv2D(8, kernel_size=5, groups=8, padding="same", activation="relu")
    cfg = conv.get_config()
    assert cfg["kernel_size"] == (5, 5) and cfg["strides"] == (1, 1)
    assert cfg["filters"] == 8 and cfg["groups"] == 8 and cfg["padding"] == "same"
    assert cfg["activation"] == "relu" and cfg["name"] == conv.name
    dense = layers.Dense(3)
    assert dense.get_config()["units"] == 3 and dense.get_config()["activation"] == "linear"
    json.dumps(cfg)  # still a JSON value (model.save)


def test_flat_config_keys_survive_save_and_rebuild(tmp_path):
    inp = keras.Input((6, 6, 2))
    out = layers.Dense(2)(layers.GlobalAvgPool2D()(layers.Conv2D(4, 3)(inp)))
    model = keras.Model(inp, out)
    path = str(tmp_path / "m.keras")
    model.save(path)
    again = keras.models.load_model(path)
    x = np.random.default_rng(0).normal(size=(2, 6, 6, 2)).astype("float32")
    np.testing.assert_allclose(again.predict(x, verbose=0), model.predict(x, verbose=0),
                               rtol=1e-6)
    assert again.layers[1].get_config()["kernel_size"] == (3, 3)


def test_layers_experimental_preprocessing_aliases():
    pre = layers.experimental.preprocessing
    assert pre.Rescaling is layers.Rescaling and pre.RandomFlip is layers.RandomFlip
    y = pre.Rescaling(scale=0.5)(np.full((1, 2, 2, 1), 4.0, "float32"))
    np.testing.assert_allclose(y.numpy(), 2.0)


def test_embedding_size_from_tf_shape_scalar():
    # CCT: Embedding(input_dim=tf.shape(x)[1], output_dim=tf.shape(x)[-1])
    s = tf.shape(tf.ones((1, 5, 3)))
    emb = layers.Embedding(input_dim=s[1], output_dim=s[-1])
    assert emb.input_dim == 5 and emb.output_dim == 3
    assert emb(tf.range(5)).shape == (5, 3)
    with pytest.raises(ValueError, match="input_dim"):
        layers.Embedding(input_dim=tf.constant(1.5), output_dim=2)


def test_tf_matmul_transpose_flags():
    rng = np.random.default_rng(1)
    a = rng.normal(size=(2, 4, 3)).astype("float32")
    b = rng.normal(size=(2, 4, 5)).astype("float32")
    np.testing.assert_allclose(tf.matmul(a, b, transpose_a=True).numpy(),
                               np.swapaxes(a, -1, -2) @ b, rtol=1e-5, atol=1e-6)
    c = rng.normal(size=(2, 5, 3)).astype("float32")
    np.testing.assert_allclose(tf.matmul(a, c, transpose_b=True).numpy(),
                               a @ np.swapaxes(c, -1, -2), rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(tf.matmul(a, c, adjoint_b=True).numpy(),
                               a @ np.swapaxes(c, -1, -2), rtol=1e-5, atol=1e-6)
    with pytest.raises(ValueError, match="transpose_a"):
        tf.matmul(a, b, transpose_a=True, adjoint_a=True)


def test_sequence_pooling_on_symbolic_tensors():
    # CCT's sequence pooling: softmax(Dense(1)) ^T @ tokens, then tf.squeeze(-2)
    inp = keras.Input((4, 3))
    w = tf.nn.softmax(layers.Dense(1)(inp), axis=1)
    pooled = tf.squeeze(tf.matmul(w, inp, transpose_a=True), -2)
    model = keras.Model(inp, pooled)
    x = np.random.default_rng(2).normal(size=(2, 4, 3)).astype("float32")
    dense = model.layers[1]
    k, bias = (v.numpy() for v in dense.weights)
    logits = x @ k + bias
    p = np.exp(logits - logits.max(1, keepdims=True))
    p /= p.sum(1, keepdims=True)
    expect = np.einsum("bti,btd->bd", p, x)
    assert model.output_shape == (None, 3)
    np.testing.assert_allclose(model.predict(x, verbose=0), expect, rtol=1e-5, atol=1e-6)


def test_categorical_crossentropy_label_smoothing():
    rng = np.random.default_rng(3)
    logits = rng.normal(size=(4, 5)).astype("float32")
    y = np.eye(5, dtype="float32")[[0, 2, 4, 1]]
    ys = y * 0.9 + 0.1 / 5
    logp = logits - np.log(np.exp(logits).sum(-1, keepdims=True))
    expect = -(ys * logp).sum(-1).mean()
    loss = keras.losses.CategoricalCrossentropy(from_logits=True, label_smoothing=0.1)
    np.testing.assert_allclose(float(loss(y, logits)), expect, rtol=1e-5)
    probs = np.exp(logp)
    np.testing.assert_allclose(
        float(keras.losses.CategoricalCrossentropy(label_smoothing=0.1)(y, probs)), expect,
        rtol=1e-5)
    with pytest.raises(ValueError, match="label_smoothing"):
        keras.losses.CategoricalCrossentropy(label_smoothing=1.5)


def test_binary_crossentropy_label_smoothing():
    z = np.array([[0.3, -1.2], [2.0, 0.1]], "float32")
    y = np.array([[1, 0], [0, 1]], "float32")
    ys = y * 0.8 + 0.1
    p = 1 / (1 + np.exp(-z))
    expect = (-(ys * np.log(p) + (1 - ys) * np.log(1 - p))).mean()
    loss = keras.losses.BinaryCrossentropy(from_logits=True, label_smoothing=0.2)
    np.testing.assert_allclose(float(loss(y, z)), expect, rtol=1e-5)


def test_smoothed_loss_in_fit_is_the_smoothed_value():
    # a Dense-only model would take the fused C++ trainer, whose loss has no smoothing
    rng = np.random.default_rng(4)
    x = rng.normal(size=(8, 3)).astype("float32")
    y = np.eye(4, dtype="float32")[rng.integers(0, 4, 8)]
    model = keras.Sequential([keras.Input((3,)), layers.Dense(4)])
    loss = keras.losses.CategoricalCrossentropy(from_logits=True, label_smoothing=0.3)
    model.compile(optimizer=keras.optimizers.SGD(0.0), loss=loss)
    h = model.fit(x, y, batch_size=8, epochs=1, verbose=0)
    np.testing.assert_allclose(h.history["loss"][0], float(loss(y, model.predict(x, verbose=0))),
                               rtol=1e-5)


def test_eager_result_added_to_graph_is_a_constant():
    # CCT: position_embeddings = pos_embed(tf.range(n)) runs eagerly, then joins the graph
    pos = layers.Embedding(input_dim=4, output_dim=3)(tf.range(start=0, limit=4, delta=1))
    inp = keras.Input((4, 3))
    out = layers.Dense(2)(inp + pos)
    model = keras.Model(inp, out)
    model.compile(optimizer="adam", loss="mse")
    rng = np.random.default_rng(5)
    x, y = rng.normal(size=(6, 4, 3)).astype("float32"), rng.normal(size=(6, 4, 2))
    h = model.fit(x, y, batch_size=2, epochs=3, verbose=0)  # several steps: no second backward
    assert h.history["loss"][-1] < h.history["loss"][0]
    np.testing.assert_allclose(model.predict(x, verbose=0),
                               (x + pos.detach().numpy()) @ model.layers[-1].weights[0].numpy()
                               + model.layers[-1].weights[1].numpy(), rtol=1e-5, atol=1e-5)


def test_crop_and_pad_to_bounding_box_shift_channels():
    # ShiftViT's shift: crop one pixel off one side, zero-pad the other
    rng = np.random.default_rng(6)
    x = rng.normal(size=(2, 4, 5, 3)).astype("float32")
    crop = tf.image.crop_to_bounding_box(x, offset_height=0, offset_width=1,
                                         target_height=4, target_width=4)
    np.testing.assert_array_equal(crop.numpy(), x[:, :, 1:, :])
    right = tf.image.pad_to_bounding_box(crop, offset_height=0, offset_width=1,
                                         target_height=4, target_width=5)
    expect = np.zeros_like(x)
    expect[:, :, 1:, :] = x[:, :, 1:, :]
    np.testing.assert_array_equal(right.numpy(), expect)
    down = tf.image.pad_to_bounding_box(x[0, :3], 1, 0, 4, 5)  # unbatched image
    assert down.shape == (4, 5, 3) and np.all(down.numpy()[0] == 0)
    np.testing.assert_array_equal(down.numpy()[1:], x[0, :3])
    with pytest.raises(ValueError, match="does not fit"):
        tf.image.crop_to_bounding_box(x, 1, 0, 4, 5)
    with pytest.raises(ValueError, match="must hold"):
        tf.image.pad_to_bounding_box(x, 1, 0, 4, 5)
    v = tf.Variable(x)
    with tf.GradientTape() as tape:
        y = tf.reduce_sum(tf.image.pad_to_bounding_box(
            tf.image.crop_to_bounding_box(v, 0, 0, 3, 5), 1, 0, 4, 5))
    g = tape.gradient(y, v).numpy()
    np.testing.assert_array_equal(g[:, :3], 1.0)
    np.testing.assert_array_equal(g[:, 3], 0.0)


def test_tf_split_returns_a_list():
    parts = tf.split(tf.ones((2, 6)), num_or_size_splits=3, axis=-1)
    assert isinstance(parts, list) and len(parts) == 3 and parts[0].shape == (2, 2)
    parts[0] = parts[0] * 2  # ShiftViT replaces pieces in place
    np.testing.assert_allclose(tf.concat(parts, axis=-1).numpy()[0], [2, 2, 1, 1, 1, 1])


def test_custom_schedule_written_with_tf_ops():
    # ShiftViT's WarmUpCosine returns tf.where(..., name="learning_rate"), a 0-d tensor
    class Halving(keras.optimizers.schedules.LearningRateSchedule):
        def __call__(self, step):
            s = tf.cast(step, tf.float32)
            return tf.where(s > 0, 0.1 / (s + 1.0), 0.1, name="learning_rate")

    w = tf.Variable(np.array([1.0], "float32"))
    opt = keras.optimizers.SGD(learning_rate=Halving())
    for _ in range(3):
        opt.apply_gradients([(tf.constant(np.array([1.0], "float32")), w)])
    # iterations 0, 1, 2: 0.1, 0.05, 0.0333...; w = 1 - sum(lr)
    np.testing.assert_allclose(w.numpy(), [1 - 0.1 - 0.05 - 0.1 / 3], rtol=1e-5)


def test_saved_model_export_and_tfsm_layer_raise_clearly():
    model = keras.Sequential([keras.Input((2,)), layers.Dense(1)])
    with pytest.raises(NotImplementedError, match="SavedModel"):
        model.export("unused_dir")
    with pytest.raises(NotImplementedError, match="TFSMLayer"):
        keras.layers.TFSMLayer("unused_dir")


def test_tile_by_batch_size_from_tf_shape():
    # DeiT: tf.tile(self.cls_token, (tf.shape(x)[0], 1, 1))
    token = tf.Variable(np.arange(3, dtype="float32").reshape(1, 1, 3))
    n = tf.shape(tf.ones((4, 2)))[0]
    out = tf.tile(token, (n, 1, 1))
    np.testing.assert_array_equal(out.numpy(), np.tile(token.numpy(), (4, 1, 1)))
    np.testing.assert_array_equal(tf.tile(token, tf.constant([2, 2, 1])).numpy(),
                                  np.tile(token.numpy(), (2, 2, 1)))


def test_image_random_crop_and_flips():
    img = np.arange(5 * 6 * 2, dtype="float32").reshape(5, 6, 2)
    crop = tf.image.random_crop(img, (3, 4, 2)).numpy()
    # the crop is one contiguous window of the image
    hits = [(i, j) for i in range(3) for j in range(3)
            if np.array_equal(img[i:i + 3, j:j + 4], crop)]
    assert len(hits) == 1
    with pytest.raises(ValueError, match="within"):
        tf.image.random_crop(img, (6, 4, 2))
    batch = np.stack([img] * 64)
    flipped = tf.image.random_flip_left_right(batch).numpy()
    same = [np.array_equal(f, img) for f in flipped]
    mirrored = [np.array_equal(f, img[:, ::-1]) for f in flipped]
    assert all(s or m for s, m in zip(same, mirrored)) and 10 < sum(mirrored) < 54
    one = tf.image.random_flip_up_down(img, seed=3).numpy()
    assert np.array_equal(one, img) or np.array_equal(one, img[::-1])


def test_imagenet_utils_correct_pad_and_swish_block():
    # MobileViT's stride-2 inverted residual: ZeroPadding2D(correct_pad(m, 3)) + valid dwconv
    from pyengine.keras.applications import imagenet_utils
    assert imagenet_utils.correct_pad(keras.Input((8, 8, 2)), 3) == ((0, 1), (0, 1))
    assert imagenet_utils.correct_pad(keras.Input((7, 7, 2)), (3, 5)) == ((1, 1), (2, 2))
    x = np.linspace(-3, 3, 7, dtype="float32")
    np.testing.assert_allclose(tf.nn.swish(x).numpy(), x / (1 + np.exp(-x)), rtol=1e-6)
    assert bool(tf.math.equal(16, 16)) and not bool(tf.math.equal(16, 24))
    np.testing.assert_array_equal(tf.math.less([1, 3], [2, 2]).numpy(), [True, False])


def test_activation_given_as_tf_nn_function_saves_by_name(tmp_path):
    inp = keras.Input((4,))
    out = layers.Dense(3, activation=tf.nn.swish)(layers.Dense(5, activation=tf.nn.gelu)(inp))
    model = keras.Model(inp, out)
    assert model.layers[-1].get_config()["activation"] == "silu"
    path = str(tmp_path / "m.keras")
    model.save(path)
    x = np.random.default_rng(7).normal(size=(3, 4)).astype("float32")
    np.testing.assert_allclose(keras.models.load_model(path).predict(x, verbose=0),
                               model.predict(x, verbose=0), rtol=1e-6)


def _mha_numpy(layer, q, kv):
    (wq, bq), (wk, bk), (wv, bv), (wo, bo) = [
        (lyr.weights[0].numpy(), lyr.weights[1].numpy()) for lyr in
        (layer._query_dense, layer._key_dense, layer._value_dense, layer._output_dense)]
    Q = np.einsum("btd,dhk->bthk", q, wq) + bq
    K = np.einsum("bsd,dhk->bshk", kv, wk) + bk
    V = np.einsum("bsd,dhk->bshk", kv, wv) + bv
    s = np.einsum("bthk,bshk->bhts", Q, K) / np.sqrt(wq.shape[-1])
    p = np.exp(s - s.max(-1, keepdims=True))
    p /= p.sum(-1, keepdims=True)
    o = np.einsum("bhts,bshk->bthk", p, V)
    return np.einsum("bthk,hko->bto", o, wo) + bo, p


def test_multi_head_attention_rank4_attends_over_both_middle_axes():
    # MobileViT: tokens (batch, patch_area, patches, dim); Keras' default attention_axes
    # attend over axes 1 and 2 jointly
    rng = np.random.default_rng(8)
    x = rng.normal(size=(2, 2, 3, 4)).astype("float32")
    mha = layers.MultiHeadAttention(num_heads=2, key_dim=3)
    out, scores = mha(x, x, return_attention_scores=True)
    assert out.shape == (2, 2, 3, 4) and scores.shape == (2, 2, 2, 3, 2, 3)
    ref, p = _mha_numpy(mha, x.reshape(2, 6, 4), x.reshape(2, 6, 4))
    np.testing.assert_allclose(out.numpy(), ref.reshape(2, 2, 3, 4), rtol=1e-4, atol=1e-5)
    np.testing.assert_allclose(scores.numpy(), p.reshape(2, 2, 2, 3, 2, 3), rtol=1e-4,
                               atol=1e-6)
    mask = np.ones((2, 2, 3), bool)
    mask[:, 1, 2] = False  # one key position masked out
    am = np.broadcast_to(mask[:, None, None], (2, 2, 3, 2, 3))
    _, masked = mha(x, x, attention_mask=am, return_attention_scores=True)
    np.testing.assert_allclose(masked.numpy()[..., 1, 2], 0.0, atol=1e-7)
    inp = keras.Input((2, 3, 4))
    model = keras.Model(inp, layers.MultiHeadAttention(num_heads=1, key_dim=2)(inp, inp))
    assert model.output_shape == (None, 2, 3, 4)
    with pytest.raises(ValueError, match="rank"):
        mha(x, x.reshape(2, 6, 4))
    with pytest.raises(ValueError, match="built for rank 4"):  # Keras fixes it at build
        mha(x.reshape(2, 6, 4), x.reshape(2, 6, 4))


def test_tf_lite_converter_raises_clearly():
    with pytest.raises(NotImplementedError, match="TFLiteConverter"):
        tf.lite.TFLiteConverter.from_saved_model("unused")


def test_subclassed_model_build_runs_before_first_call():
    # Perceiver: build(input_shape) creates the sublayers and a latent weight, then
    # super().build(input_shape)
    class Latent(keras.Model):
        def build(self, input_shape):
            self.seen = input_shape
            self.latent = self.add_weight(shape=(2, input_shape[-1]), initializer="ones")
            self.head = layers.Dense(1, kernel_initializer="ones")
            super().build(input_shape)

        def call(self, x):
            return self.head(x + tf.reduce_sum(self.latent, axis=0))

    model = Latent()
    x = np.arange(6, dtype="float32").reshape(2, 3)
    np.testing.assert_allclose(model(x).numpy(), (x + 2).sum(-1, keepdims=True))
    assert model.seen == (2, 3) and len(model.trainable_weights) == 3
    model.compile(optimizer="sgd", loss="mse")
    h = model.fit(x, np.zeros((2, 1), "float32"), epochs=3, verbose=0)
    assert h.history["loss"][-1] < h.history["loss"][0]


def test_tf_image_extract_patches():
    x = np.arange(2 * 4 * 6 * 3, dtype="float32").reshape(2, 4, 6, 3)
    p = tf.image.extract_patches(images=x, sizes=[1, 2, 3, 1], strides=[1, 2, 3, 1],
                                 rates=[1, 1, 1, 1], padding="VALID")
    assert p.shape == (2, 2, 2, 18)
    np.testing.assert_array_equal(p.numpy()[1, 1, 0], x[1, 2:4, 0:3, :].reshape(-1))
    # overlapping patches (stride 1) now follow TensorFlow's 'VALID' rule
    q = tf.image.extract_patches(x, [1, 2, 2, 1], [1, 1, 1, 1], [1, 1, 1, 1], "VALID")
    assert q.shape == (2, 3, 5, 12)
    np.testing.assert_array_equal(q.numpy()[0, 2, 4], x[0, 2:4, 4:6, :].reshape(-1))
    with pytest.raises(ValueError, match="padding"):
        tf.image.extract_patches(x, [1, 2, 2, 1], [1, 1, 1, 1], [1, 1, 1, 1], "FULL")


def test_random_width_and_height_resize_the_batch_while_training():
    pre = layers.experimental.preprocessing
    x = np.random.default_rng(9).normal(size=(2, 10, 20, 3)).astype("float32")
    rw = pre.RandomWidth(0.2, seed=1)
    widths = {rw(x, training=True).shape[2] for _ in range(20)}
    assert widths <= set(range(16, 25)) and len(widths) > 2
    assert rw(x, training=True).shape[:2] == (2, 10)
    np.testing.assert_array_equal(rw(x).numpy(), x)  # inference: unchanged
    rh = layers.RandomHeight((0.5, 0.5), interpolation="nearest")
    y = rh(x, training=True)  # factor fixed at +50%: 15 rows, nearest rows of the input
    assert y.shape == (2, 15, 20, 3)
    rows = np.floor((np.arange(15) + 0.5) * 10 / 15).astype(int)
    np.testing.assert_array_equal(y.numpy(), x[:, rows])
    with pytest.raises(ValueError, match="factor"):
        layers.RandomWidth((-1.5, 0.2))
    with pytest.raises(ValueError, match="interpolation"):
        layers.RandomWidth(0.2, interpolation="bicubic")


def _lamb_numpy(w, grads, lr, wd, b1=0.9, b2=0.999, eps=1e-7):
    w = w.astype(np.float64).copy()
    m, v = np.zeros_like(w), np.zeros_like(w)
    for t, g in enumerate(grads, 1):
        w -= w * wd * lr  # Keras' decoupled decay first
        m = b1 * m + (1 - b1) * g
        v = b2 * v + (1 - b2) * g * g
        upd = (m / (1 - b1 ** t)) / (np.sqrt(v / (1 - b2 ** t)) + eps)
        w -= lr * (np.linalg.norm(w) / np.linalg.norm(upd)) * upd
    return w


def test_lamb_optimizer_matches_keras_rule():
    # Perceiver trains with LAMB (Addons' tfa.optimizers.LAMB; Keras 3's keras.optimizers.Lamb)
    rng = np.random.default_rng(10)
    w0 = rng.normal(size=(3, 2)).astype("float32")
    grads = [rng.normal(size=(3, 2)).astype("float32") for _ in range(3)]
    var = tf.Variable(w0)
    opt = keras.optimizers.Lamb(learning_rate=0.01, weight_decay=0.1)
    for g in grads:
        opt.apply_gradients([(tf.constant(g), var)])
    np.testing.assert_allclose(var.numpy(), _lamb_numpy(w0, grads, 0.01, 0.1), rtol=1e-5,
                               atol=1e-6)
    zero = tf.Variable(np.zeros((2,), "float32"))  # ||w|| = 0: trust ratio 1, Adam's step
    keras.optimizers.Lamb(learning_rate=0.1).apply_gradients(
        [(tf.constant(np.array([1.0, -2.0], "float32")), zero)])
    np.testing.assert_allclose(zero.numpy(), [-0.1, 0.1], rtol=1e-5)
    model = keras.Sequential([keras.Input((3,)), layers.Dense(1)])
    model.compile(optimizer="lamb", loss="mse")
    x = rng.normal(size=(16, 3)).astype("float32")
    h = model.fit(x, x.sum(-1, keepdims=True), epochs=5, verbose=0)
    assert h.history["loss"][-1] < h.history["loss"][0]
