"""Original tests of the API patterns keras-io programs need (MIRNet, NeRF, RetinaNet, BASNet,
GCViT, GauGAN, molecule generation, Eikonal, float8 training): tiny sizes, synthetic data,
NumPy float64 references. See docs/public_examples.md."""
import numpy as np
import pytest

import pyengine as tf
from pyengine import keras
from pyengine.keras import layers


def _pool2(x):  # NHWC 2x2 max pooling, float64 reference
    n, h, w, c = x.shape
    return x[:, :h // 2 * 2, :w // 2 * 2].reshape(n, h // 2, 2, w // 2, 2, c).max(axis=(2, 4))


def _up2(x):
    return x.repeat(2, axis=1).repeat(2, axis=2)


def test_none_by_none_encoder_decoder_adds_its_input():
    # two poolings then two upsamplings added to the input on a None x None image: the symbolic
    # example sizes must survive / 4 * 4 (97 -> 24 -> 96 did not match 97 before)
    inp = keras.Input(shape=(None, None, 2))
    down = layers.MaxPooling2D()(layers.MaxPooling2D()(inp))
    out = layers.Add()([inp, layers.UpSampling2D()(layers.UpSampling2D()(down))])
    model = keras.Model(inp, out)
    assert tuple(model.output.shape) == (None, None, None, 2)
    rng = np.random.default_rng(0)
    for size in (8, 12):
        x = rng.normal(size=(2, size, size, 2)).astype("float32")
        ref = x.astype(np.float64) + _up2(_up2(_pool2(_pool2(x.astype(np.float64)))))
        np.testing.assert_allclose(model.predict(x, verbose=0), ref, rtol=1e-6, atol=1e-6)


# ---- RetinaNet: tf.data ignore_errors, tf.TensorArray, float tile / reshape sizes, one_hot of
# out-of-range labels, tf.train.latest_checkpoint, non-max suppression

@pytest.mark.parametrize("workers", [None, 2])
def test_dataset_ignore_errors_skips_failed_map_elements_in_order(workers):
    def f(x):
        if int(x) % 3 == 0:
            raise ValueError("bad element")
        return x * 10
    ds = tf.data.Dataset.range(10).map(f, num_parallel_calls=workers)
    kept = [int(v) for v in ds.apply(tf.data.experimental.ignore_errors())]
    assert kept == [10, 20, 40, 50, 70, 80]
    assert [int(v) for v in ds.ignore_errors().batch(4).take(1)
            .unbatch()] == [10, 20, 40, 50]
    with pytest.raises(ValueError, match="bad element"):
        list(ds)  # without ignore_errors the error propagates


def test_tensor_array_write_stack_read_and_gradient():
    x = tf.Variable(np.arange(6, dtype=np.float32).reshape(2, 3))
    with tf.GradientTape() as tape:
        ta = tf.TensorArray(dtype=tf.float32, size=0, dynamic_size=True)
        for i in range(2):
            ta = ta.write(i, x[i] * float(i + 1))
        ta = ta.write(3, x[0])  # index 2 never written: zeros
        out = ta.stack()
        loss = tf.reduce_sum(out * out)
    ref = np.stack([np.arange(3), 2 * np.arange(3, 6), np.zeros(3), np.arange(3)])
    np.testing.assert_allclose(out.numpy(), ref)
    assert int(ta.size()) == 4
    g = tape.gradient(loss, x).numpy()
    np.testing.assert_allclose(g, [2 * np.arange(3) * 2, 2 * np.arange(3, 6) * 4])
    fixed = tf.TensorArray(tf.float32, size=2)
    with pytest.raises(IndexError, match="not resizeable"):
        fixed.write(2, [1.0, 2.0])
    with pytest.raises(TypeError, match="dtype is float32"):
        fixed.write(0, np.zeros(2, np.int64))
    fixed = fixed.unstack(np.array([[1.0, 2.0], [3.0, 4.0]], np.float32))
    np.testing.assert_allclose(fixed.read(1).numpy(), [3.0, 4.0])
    with pytest.raises(ValueError, match="twice"):
        fixed.read(1)
    np.testing.assert_allclose(fixed.gather([0]).numpy(), [[1.0, 2.0]])


def test_tile_and_reshape_take_whole_number_float_sizes():
    x = tf.constant(np.arange(6, dtype=np.float32).reshape(1, 1, 6))
    h = tf.math.ceil(tf.constant(13.0) / 8.0)  # 2.0, as RetinaNet's anchor grid
    out = tf.tile(x, [h, h * 1.5, 1])
    np.testing.assert_array_equal(out.numpy(), np.tile(np.arange(6).reshape(1, 1, 6), (2, 3, 1)))
    np.testing.assert_array_equal(tf.reshape(out, [h * 9.0, 2]).numpy(),
                                  np.tile(np.arange(6), 6).reshape(18, 2))
    with pytest.raises(ValueError, match="whole number"):
        tf.tile(x, [tf.constant(1.5), 1, 1])
    with pytest.raises(ValueError, match="whole number"):
        tf.reshape(x, [tf.constant(2.5), -1])


def test_one_hot_gives_zero_rows_outside_depth():
    labels = np.array([[0, -1, 2], [-2, 3, 1]], np.int32)
    out = tf.one_hot(labels, depth=3).numpy()
    ref = np.zeros((2, 3, 3), np.float32)
    for idx in np.ndindex(labels.shape):
        if 0 <= labels[idx] < 3:
            ref[idx + (labels[idx],)] = 1.0
    np.testing.assert_array_equal(out, ref)
    np.testing.assert_array_equal(tf.one_hot(np.array([4, 1]), 3, on_value=5.0,
                                             off_value=-1.0, axis=0).numpy(),
                                  [[-1, -1], [-1, 5], [-1, -1]])


def test_latest_checkpoint_follows_tf_format_save_weights(tmp_path):
    assert tf.train.latest_checkpoint(str(tmp_path)) is None
    model = keras.Sequential([keras.Input((3,)), layers.Dense(2)])
    first = model.get_weights()
    model.save_weights(str(tmp_path / "w_epoch_1"))
    model.set_weights([w + 1.0 for w in first])
    model.save_weights(str(tmp_path / "w_epoch_2"))
    latest = tf.train.latest_checkpoint(str(tmp_path))
    assert latest == str(tmp_path / "w_epoch_2")
    text = (tmp_path / "checkpoint").read_text()
    assert 'model_checkpoint_path: "w_epoch_2"' in text and '"w_epoch_1"' in text
    model.set_weights(first)
    model.load_weights(latest)
    for a, b in zip(model.get_weights(), first):
        np.testing.assert_allclose(a, b + 1.0)
    model.save_weights(str(tmp_path / "k.weights.h5"))  # Keras format: no state entry
    assert tf.train.latest_checkpoint(str(tmp_path)) == latest


def test_non_max_suppression_and_combined_match_hand_computed():
    boxes = np.array([[0, 0, 1, 1], [0, 0.1, 1, 1.1], [0, 2, 1, 3], [1, 1, 0, 0]], np.float32)
    scores = np.array([0.9, 0.8, 0.7, 0.95], np.float32)
    # box 3 is box 0 with its corners swapped: IoU 1, so it suppresses box 0 (lower score);
    # box 1 overlaps box 3 with IoU 0.9 / 1.1 = 0.818
    np.testing.assert_array_equal(tf.image.non_max_suppression(boxes, scores, 10, 0.8).numpy(),
                                  [3, 2])
    np.testing.assert_array_equal(tf.image.non_max_suppression(boxes, scores, 10, 0.82).numpy(),
                                  [3, 1, 2])
    np.testing.assert_array_equal(
        tf.image.non_max_suppression(boxes, scores, 1, 0.5, score_threshold=0.96).numpy(), [])
    two = np.stack([boxes / 4.0, boxes[::-1] / 4.0])[:, :, None, :]  # (2, 4, 1, 4), q = 1
    cls = np.stack([np.stack([scores, 1 - scores], -1), np.stack([scores[::-1], 0 * scores], -1)])
    det = tf.image.combined_non_max_suppression(two, cls, 2, 3, 0.5, 0.15)
    assert det.nmsed_boxes.shape == (2, 3, 4)
    np.testing.assert_array_equal(det.valid_detections.numpy(), [3, 2])
    np.testing.assert_allclose(det.nmsed_scores.numpy(), [[0.95, 0.7, 0.3], [0.95, 0.7, 0.0]],
                               rtol=1e-6)
    np.testing.assert_array_equal(det.nmsed_classes.numpy(), [[0, 0, 1], [0, 0, 0]])
    np.testing.assert_allclose(det.nmsed_boxes.numpy()[0, 2], boxes[2] / 4.0)
    np.testing.assert_array_equal(det.nmsed_boxes.numpy()[1, 2], 0.0)


# ---- BASNet: a model cut from a strided None-input backbone, tf.image.ssim broadcasting,
# a per-sample loss vector from compute_loss, one mask for several outputs

def test_model_from_intermediate_tensor_of_strided_none_backbone():
    inp = keras.Input(shape=(None, None, 2))
    x = inp
    for k in range(4):  # 8 and 9 both end at 1 x 1: the shape looked fixed
        x = layers.Conv2D(3, 3, strides=2, padding="same", name=f"down{k}")(x)
    mid = layers.Conv2D(4, 1, name="mid")(x)
    out = layers.Conv2D(5, 1, name="head")(mid)
    backbone = keras.Model(inp, out)
    cut = keras.Model(backbone.get_layer("mid").input, backbone.get_layer("head").output)
    assert tuple(cut.inputs[0].shape) == (None, None, None, 3)
    z = np.random.default_rng(1).normal(size=(2, 4, 5, 3)).astype("float32")
    w_mid, b_mid = backbone.get_layer("mid").get_weights()
    w_head, b_head = backbone.get_layer("head").get_weights()
    ref = (z.astype(np.float64) @ w_mid[0, 0] + b_mid) @ w_head[0, 0] + b_head
    np.testing.assert_allclose(cut.predict(z, verbose=0), ref, rtol=1e-4, atol=1e-5)


def test_ssim_broadcasts_batch_dimensions_and_stacks_lists():
    rng = np.random.default_rng(2)
    mask = rng.random((2, 12, 12, 1)).astype("float32")
    preds = [rng.random((2, 12, 12, 1)).astype("float32") for _ in range(3)]
    out = tf.image.ssim(mask, preds, max_val=1.0)
    assert tuple(out.shape) == (3, 2)
    each = np.stack([tf.image.ssim(mask, p, max_val=1.0).numpy() for p in preds])
    np.testing.assert_allclose(out.numpy(), each, rtol=1e-6)
    assert abs(float(tf.image.ssim(mask, mask, 1.0).numpy()[0]) - 1.0) < 1e-5
    with pytest.raises(ValueError, match="do not broadcast"):
        tf.image.ssim(mask, np.zeros((3, 12, 12, 1), "float32"), 1.0)


def test_compute_loss_vector_single_mask_and_metric_per_output():
    class TwoHeads(keras.Model):
        def compute_loss(self, x, y, y_pred, sample_weight=None, training=False):
            # a per-sample vector, as keras-io BASNet's SSIM term: gradient of its sum
            return sum(tf.reduce_mean(tf.square(y - p), axis=[1, 2]) for p in y_pred)

    inp = keras.Input(shape=(4, 1))
    a = layers.Dense(1, name="a")(inp)
    b = layers.Dense(1, name="b")(inp)
    model = TwoHeads(inp, [a, b])
    model.compile(optimizer=keras.optimizers.SGD(0.05),
                  metrics=[keras.metrics.MeanAbsoluteError(name="mae") for _ in range(2)])
    rng = np.random.default_rng(3)
    x = rng.normal(size=(16, 4, 1)).astype("float32")
    y = (2.0 * x + 1.0).astype("float32")
    first = model.evaluate(x, y, verbose=0, return_dict=True)
    ref_mae = np.abs(y - model.predict(x, verbose=0)[0]).mean()
    assert abs(first["a_mae"] - ref_mae) < 1e-5  # the one mask goes to the first output
    assert first["b_mae"] == 0.0  # not updated: Keras 3 pairs targets with outputs in order
    h = model.fit(x, y, batch_size=16, epochs=20, verbose=0)
    assert h.history["loss"][-1] < 0.5 * h.history["loss"][0]


# ---- GauGAN: tf.image.decode_bmp, a map function returning a list, hinge loss against a
# scalar label, a Loss subclass over lists of outputs

def _bmp(pixels, bits):
    import struct
    h, w = pixels.shape[:2]
    row = w * bits // 8
    stride = (row + 3) & ~3
    rows = np.zeros((h, stride), np.uint8)
    rows[:, :row] = (pixels if bits == 8 else pixels[..., ::-1]).reshape(h, row)[::-1]
    pal = np.zeros((256, 4), np.uint8) if bits == 8 else np.zeros((0, 4), np.uint8)
    pal[:, :3] = 255 - np.arange(len(pal))[:, None]  # a palette unlike the indices
    offset = 54 + pal.size
    head = b"BM" + struct.pack("<IHHI", offset + rows.size, 0, 0, offset)
    dib = struct.pack("<IiiHHIIiiII", 40, w, h, 1, bits, 0, rows.size, 0, 0, len(pal), 0)
    return head + dib + pal.tobytes() + rows.tobytes()


def test_decode_bmp_reads_8_bit_values_and_24_bit_rgb():
    rng = np.random.default_rng(4)
    labels = rng.integers(0, 12, (5, 7)).astype(np.uint8)
    out = tf.image.decode_bmp(_bmp(labels, 8), channels=0)
    assert out.dtype == tf.uint8 and tuple(out.shape) == (5, 7, 1)
    np.testing.assert_array_equal(tf.squeeze(out).numpy(), labels)  # stored values, no palette
    rgb = rng.integers(0, 256, (3, 5, 3)).astype(np.uint8)
    np.testing.assert_array_equal(tf.io.decode_bmp(_bmp(rgb, 24)).numpy(), rgb)
    with pytest.raises(Exception, match="not a BMP"):
        tf.image.decode_bmp(b"\x89PNG\r\n\x1a\n....")


def test_dataset_map_returning_a_list_gives_tuple_components():
    ds = tf.data.Dataset.from_tensor_slices(np.arange(6, dtype=np.float32).reshape(3, 2))
    ds = ds.map(lambda x: [x, x * 2.0, tf.reduce_sum(x)]).batch(3)
    a, b, c = next(iter(ds))
    np.testing.assert_allclose(b.numpy(), 2 * np.arange(6).reshape(3, 2))
    np.testing.assert_allclose(c.numpy(), [1.0, 5.0, 9.0])
    assert tuple(a.shape) == (3, 2)


def test_hinge_against_scalar_label_and_loss_subclass_over_lists():
    patches = np.random.default_rng(5).normal(size=(2, 3, 3, 1)).astype("float32")
    for label in (1.0, -1.0):
        got = float(keras.losses.Hinge()(label, patches))
        assert abs(got - np.maximum(1.0 - label * patches.astype(np.float64), 0).mean()) < 1e-6

    class FeatureMatch(keras.losses.Loss):
        def call(self, y_true, y_pred):
            assert isinstance(y_pred, list) and len(y_pred) == 3
            return sum(tf.reduce_mean(tf.abs(t - p)) for t, p in zip(y_true, y_pred))

    rng = np.random.default_rng(6)
    shapes = [(2, 8, 8, 4), (2, 4, 4, 8), (2, 1, 1, 1)]
    real = [rng.normal(size=s).astype("float32") for s in shapes]
    fake = [tf.Variable(rng.normal(size=s).astype("float32")) for s in shapes]
    with tf.GradientTape() as tape:
        loss = FeatureMatch()(real, fake)
    ref = sum(np.abs(r - f.numpy()).mean() for r, f in zip(real, fake))
    assert abs(float(loss) - ref) < 1e-5
    g = tape.gradient(loss, fake[1]).numpy()
    np.testing.assert_allclose(g, np.sign(fake[1].numpy() - real[1]) / real[1].size, rtol=1e-5)


# ---- Music Transformer: keras.utils.Config, ops.scatter_update / scatter, load_model of a
# subclassed model whose get_config returns only its constructor arguments

def test_keras_utils_config_attributes_and_freezing():
    cfg = keras.utils.Config(max_len=8, dim=4)
    cfg.batch = 2
    assert (cfg.max_len, cfg["dim"], cfg.batch) == (8, 4, 2)
    assert sorted(cfg) == ["batch", "dim", "max_len"] and cfg.as_dict()["batch"] == 2
    with pytest.raises(AttributeError, match="unknown attribute"):
        cfg.missing
    cfg.freeze()
    with pytest.raises(ValueError, match="frozen"):
        cfg.dim = 5
    with pytest.raises(ValueError, match="frozen"):
        cfg.update(dim=5)
    cfg.unfreeze()
    cfg.update(dim=5)
    assert cfg.dim == 5 and '"dim": 5' in cfg.to_json()


def test_ops_scatter_update_and_scatter_with_gradients():
    ops = keras.ops
    x = tf.Variable(np.arange(6, dtype=np.float32).reshape(2, 3))
    u = tf.Variable(np.array([10.0, 20.0], np.float32))
    with tf.GradientTape(persistent=True) as tape:
        out = ops.scatter_update(x, [[0, 1], [1, 2]], u)
        loss = tf.reduce_sum(out * np.array([[1.0, 2.0, 3.0], [4.0, 5.0, 6.0]], np.float32))
    np.testing.assert_array_equal(out.numpy(), [[0, 10, 2], [3, 4, 20]])
    np.testing.assert_array_equal(tape.gradient(loss, x).numpy(), [[1, 0, 3], [4, 5, 0]])
    np.testing.assert_array_equal(tape.gradient(loss, u).numpy(), [2, 6])
    tokens = ops.scatter_update(np.zeros((1, 4), np.int32), ((0, 2),), np.array([7], np.int32))
    np.testing.assert_array_equal(ops.convert_to_numpy(tokens), [[0, 0, 7, 0]])
    np.testing.assert_array_equal(ops.scatter([[1], [1], [3]], [1.0, 2.0, 5.0], (4,)).numpy(),
                                  [0, 3, 0, 5])


def test_subclassed_model_with_argument_only_get_config_saves_and_loads(tmp_path):
    @keras.saving.register_keras_serializable(package="gb_test")
    class Tiny(keras.Model):
        def __init__(self, units=3, **kwargs):
            super().__init__(**kwargs)
            self.units = units
            self.dense = layers.Dense(units)

        def call(self, x):
            return self.dense(x) * 2.0

        def get_config(self):
            return {"units": self.units}

        @classmethod
        def from_config(cls, config):
            return cls(**config)

    model = Tiny(4)
    model.compile(optimizer="adam", loss="mse")
    x = np.random.default_rng(7).normal(size=(5, 2)).astype("float32")
    model.fit(x, np.zeros((5, 4), "float32"), epochs=1, verbose=0)
    path = str(tmp_path / "tiny.keras")
    model.save(path)
    loaded = keras.models.load_model(path)
    assert type(loaded).__name__ == "Tiny" and loaded.units == 4
    np.testing.assert_allclose(loaded.predict(x, verbose=0), model.predict(x, verbose=0),
                               rtol=1e-6)


# ---- Eikonal solver: tf.gradients in a Lambda layer of a functional model

def test_tf_gradients_eager_sums_ys_and_handles_unconnected():
    x = tf.Variable(np.array([1.0, 2.0], np.float32))
    z = tf.Variable(np.array([3.0], np.float32))
    with tf.GradientTape() as tape:
        y1, y2 = x ** 3, tf.reduce_sum(x) * 2.0
        g = tf.gradients([y1, y2], [x, z], unconnected_gradients="zero")
        total = tf.reduce_sum(g[0])
    np.testing.assert_allclose(g[0].numpy(), 3 * np.array([1.0, 4.0]) + 2.0)
    np.testing.assert_array_equal(g[1].numpy(), [0.0])
    assert tf.gradients(y1, [z])[0] is None  # 'none': unconnected gives None
    np.testing.assert_allclose(tape.gradient(total, x).numpy(), [6.0, 12.0])  # d/dx sum(3x^2)
    with pytest.raises(NotImplementedError, match="stop_gradients"):
        tf.gradients(y1, x, stop_gradients=[x])


def test_lambda_gradient_layer_trains_through_input_gradient():
    a = 0.7
    inp = layers.Input(shape=(1,), name="x")
    h = layers.Dense(1, use_bias=False, kernel_initializer=keras.initializers.Constant(a))(inp)
    y = layers.Lambda(lambda t: t ** 3)(h)
    g = layers.Lambda(lambda v: tf.gradients(v[0], v[1], unconnected_gradients="zero")[0])(
        [y, [inp]])
    model = keras.Model(inp, g)
    x = np.array([[0.5], [1.0], [-2.0]], np.float32)
    np.testing.assert_allclose(model.predict(x, verbose=0), 3 * a ** 3 * x ** 2, rtol=1e-5)
    kernel = model.layers[1].kernel
    with tf.GradientTape() as tape:
        loss = tf.reduce_mean(model(x))
    # d/da mean(3 a^3 x^2) = mean(9 a^2 x^2): the gradient layer's output depends on a
    np.testing.assert_allclose(tape.gradient(loss, kernel).numpy().ravel(),
                               [np.mean(9 * a ** 2 * x.astype(np.float64) ** 2)], rtol=1e-5)
    model.compile(optimizer=keras.optimizers.SGD(0.05), loss="mae")
    target = np.full((3, 1), 0.2, np.float32)
    h = model.fit(x, target, epochs=15, verbose=0).history["loss"]
    assert h[-1] < 0.5 * h[0]
