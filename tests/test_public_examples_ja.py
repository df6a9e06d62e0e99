"""API patterns of keras-io vision programs (video_classification, xray_classification_with_tpus,
...) run with imports changed only: original tests, tiny sizes, synthetic data, NumPy
references. No program text is used."""
import os

import numpy as np
import pytest

import pyengine as tf
from pyengine import keras


def _write_png(path, img):
    tf.io.write_file(str(path), tf.io.encode_png(img))


# ---- tf.image.decode_jpeg / decode_png: TensorFlow's one kernel for PNG, JPEG and GIF ------
def test_decode_jpeg_and_decode_png_read_png_bytes_whatever_the_file_name(tmp_path):
    rng = np.random.default_rng(0)
    img = rng.integers(0, 256, (5, 7, 3)).astype(np.uint8)
    _write_png(tmp_path / "scan.jpeg", img)  # PNG bytes under a .jpeg name
    data = tf.io.read_file(str(tmp_path / "scan.jpeg"))
    for decode in (tf.image.decode_jpeg, tf.io.decode_jpeg, tf.image.decode_png):
        got = decode(data, channels=3)
        assert got.dtype == tf.uint8 and tuple(got.shape) == (5, 7, 3)
        np.testing.assert_array_equal(got.numpy(), img)
    grey = tf.image.decode_jpeg(data, channels=1).numpy()[..., 0]
    want = np.rint(img.astype(np.float64) @ [0.299, 0.587, 0.114])
    assert np.abs(grey.astype(np.int64) - want).max() <= 1
    # tf.image.convert_image_dtype then resize: the pipeline of a folder classifier
    f = tf.image.resize(tf.image.convert_image_dtype(tf.image.decode_jpeg(data, channels=3),
                                                     tf.float32), [4, 4])
    assert f.dtype == tf.float32 and tuple(f.shape) == (4, 4, 3)
    assert 0.0 <= float(f.numpy().min()) and float(f.numpy().max()) <= 1.0


def test_decode_jpeg_and_png_refuse_bmp_and_unknown_bytes_by_name():
    with pytest.raises(ValueError, match=r"\[tf.image.decode_jpeg\].*use tf.io.decode_bmp"):
        tf.io.decode_jpeg(b"BM" + bytes(60))
    with pytest.raises(ValueError, match=r"\[tf.image.decode_png\] the contents are not a PNG / "
                                         r"JPEG / GIF image$"):
        tf.io.decode_png(b"plain text, no image")
    with pytest.raises(NotImplementedError, match="only uint8"):
        tf.io.decode_png(tf.io.encode_png(np.zeros((2, 2, 1), np.uint8)), dtype="uint16")


# ---- tf.io.gfile ----------------------------------------------------------------------------
def test_gfile_glob_exists_listdir_makedirs_and_errors(tmp_path):
    root = tmp_path / "chest"
    tf.io.gfile.makedirs(str(root / "train" / "A"))
    tf.io.gfile.makedirs(str(root / "train" / "A"))  # existing: fine, as TensorFlow
    tf.io.gfile.makedirs(str(root / "train" / "B"))
    for d, names in (("A", ["2.png", "1.png"]), ("B", ["3.png", ".hidden"])):
        for n in names:
            (root / "train" / d / n).write_bytes(b"x")
    got = tf.io.gfile.glob(str(root) + "/train/*/*")
    assert got == sorted(got) and all(isinstance(p, str) for p in got)
    assert [os.path.relpath(p, root) for p in got] == [
        "train/A/1.png", "train/A/2.png", "train/B/.hidden", "train/B/3.png"]
    both = tf.io.gfile.glob([str(root / "train/A/*"), str(root / "train/B/3*")])
    assert [os.path.basename(p) for p in both] == ["1.png", "2.png", "3.png"]
    assert tf.io.gfile.glob(str(root / "nowhere/*")) == []
    assert tf.io.gfile.exists(str(root / "train")) and tf.io.gfile.isdir(str(root / "train"))
    assert not tf.io.gfile.exists(str(root / "test"))
    assert sorted(tf.io.gfile.listdir(str(root / "train"))) == ["A", "B"]
    with pytest.raises(tf.errors.NotFoundError, match=r"\[tf.io.gfile.listdir\]"):
        tf.io.gfile.listdir(str(root / "test"))
    with pytest.raises(FileNotFoundError):  # NotFoundError is one
        tf.io.gfile.remove(str(root / "missing.png"))
    with pytest.raises(tf.errors.AlreadyExistsError):
        tf.io.gfile.mkdir(str(root / "train"))
    with pytest.raises(NotImplementedError, match="gs://"):
        tf.io.gfile.glob("gs://bucket/chest_xray/train/*/*")


def test_gfile_gfile_copy_rename_stat_walk(tmp_path):
    p = str(tmp_path / "labels.txt")
    with tf.io.gfile.GFile(p, "w") as f:
        f.write("cat\ndog\n")
    with tf.io.gfile.GFile(p) as f:
        assert f.size() == 8 and f.readline() == "cat\n" and f.read() == "dog\n"
    with tf.io.gfile.GFile(p, "rb") as f:
        assert list(f) == [b"cat\n", b"dog\n"]
    with pytest.raises(tf.errors.NotFoundError):
        tf.io.gfile.GFile(str(tmp_path / "none.txt"))
    with pytest.raises(ValueError, match="mode"):
        tf.io.gfile.GFile(p, "x")
    q = str(tmp_path / "copy.txt")
    tf.io.gfile.copy(p, q)
    with pytest.raises(tf.errors.AlreadyExistsError, match="overwrite=True"):
        tf.io.gfile.copy(p, q)
    tf.io.gfile.rename(q, str(tmp_path / "moved.txt"))
    assert not tf.io.gfile.exists(q)
    st = tf.io.gfile.stat(str(tmp_path / "moved.txt"))
    assert st.length == 8 and not st.is_directory and st.mtime_nsec > 0
    top, dirs, files = next(tf.io.gfile.walk(str(tmp_path)))
    assert top == str(tmp_path) and sorted(files) == ["labels.txt", "moved.txt"]
    tf.io.gfile.rmtree(str(tmp_path))
    assert not tf.io.gfile.exists(str(tmp_path))


# ---- tf.data.Dataset.list_files ------------------------------------------------------------
def test_dataset_list_files_sorted_shuffled_and_no_match(tmp_path):
    for i in range(6):
        (tmp_path / f"f{i}.png").write_bytes(b"x")
    want = [str(tmp_path / f"f{i}.png") for i in range(6)]
    ds = tf.data.Dataset.list_files(str(tmp_path / "*.png"), shuffle=False)
    assert [str(e.numpy()) for e in ds] == want
    assert int(tf.data.experimental.cardinality(ds).numpy()) == 6
    seeded = tf.data.Dataset.list_files(str(tmp_path / "*.png"), seed=3)
    first = [str(e.numpy()) for e in seeded]
    assert sorted(first) == want
    shuffled = tf.data.Dataset.list_files(str(tmp_path / "*.png"))  # shuffle=None: shuffled
    orders = {tuple(str(e.numpy()) for e in shuffled) for _ in range(8)}
    assert len(orders) > 1 and all(sorted(o) == want for o in orders)
    with pytest.raises(tf.errors.InvalidArgumentError, match="No files matched pattern"):
        tf.data.Dataset.list_files(str(tmp_path / "*.jpeg"))


def test_folder_of_png_as_jpeg_through_map_batch_and_fit_with_class_weight(tmp_path):
    """A glob / split / decode_jpeg / resize pipeline into a small CNN with Precision / Recall
    metrics and class_weight, the label taken from the folder name."""
    rng = np.random.default_rng(1)
    for cls, n in (("NORMAL", 6), ("PNEUMONIA", 10)):
        os.makedirs(tmp_path / cls)
        for i in range(n):
            img = rng.integers(0, 60, (10, 12, 3)).astype(np.uint8)
            if cls == "PNEUMONIA":
                img[3:7, 3:9] += 150
            _write_png(tmp_path / cls / f"{i}.jpeg", img)
    files = tf.io.gfile.glob(str(tmp_path / "*" / "*"))

    def process(path):
        parts = tf.strings.split(path, os.path.sep)
        img = tf.image.decode_jpeg(tf.io.read_file(path), channels=3)
        img = tf.image.resize(tf.image.convert_image_dtype(img, tf.float32), [8, 8])
        return img, parts[-2] == "PNEUMONIA"

    ds = tf.data.Dataset.from_tensor_slices(files).map(process).cache().shuffle(16, seed=0)
    ds = ds.batch(8)
    keras.utils.set_random_seed(1)
    model = keras.Sequential([keras.Input((8, 8, 3)),
                              keras.layers.SeparableConv2D(8, 3, activation="relu",
                                                           padding="same"),
                              keras.layers.GlobalAveragePooling2D(),
                              keras.layers.Dense(1, activation="sigmoid")])
    model.compile(optimizer=keras.optimizers.Adam(0.05), loss="binary_crossentropy",
                  metrics=["accuracy", keras.metrics.Precision(name="precision"),
                           keras.metrics.Recall(name="recall")])
    hist = model.fit(ds, epochs=20, class_weight={0: 16 / 12, 1: 16 / 20}, verbose=0)
    assert hist.history["loss"][-1] < 0.5 * hist.history["loss"][0]
    in_order = tf.data.Dataset.from_tensor_slices(files).map(process).batch(8)
    loss, acc, prec, rec = model.evaluate(in_order, verbose=0)
    pred = model.predict(in_order, verbose=0)[:, 0] > 0.5
    truth = np.array(["PNEUMONIA" in p for p in files])
    tp = np.sum(pred & truth)
    assert prec == pytest.approx(tp / max(pred.sum(), 1)) and rec == pytest.approx(tp / 10)
    assert acc == pytest.approx(np.mean(pred == truth)) and acc >= 0.75


# ---- video_classification: frame features + bool mask into stacked GRUs --------------------
def test_gru_bool_mask_input_propagates_through_stacked_grus():
    t, f = 5, 4
    feats, mask = keras.Input((t, f)), keras.Input((t,), dtype="bool")
    x = keras.layers.GRU(6, return_sequences=True)(feats, mask=mask)
    x = keras.layers.GRU(3)(x)
    model = keras.Model([feats, mask], x)
    rng = np.random.default_rng(0)
    a = rng.normal(size=(2, t, f)).astype(np.float32)
    m = np.zeros((2, t), bool)
    m[0, :3], m[1, :4] = True, True
    noisy = a.copy()
    noisy[0, 3:], noisy[1, 4:] = 50.0, -50.0  # padded frames must not matter
    np.testing.assert_allclose(model.predict([a, m], verbose=0),
                               model.predict([noisy, m], verbose=0), rtol=0, atol=1e-6)
    # the masked run equals a run on the first frames only
    g1, g2 = [layer for layer in model.layers if isinstance(layer, keras.layers.GRU)]
    short = g2(g1(a[:1, :3])).numpy()
    np.testing.assert_allclose(model.predict([a, m], verbose=0)[:1], short, atol=1e-5)


def test_string_lookup_labels_and_checkpointed_sequence_model(tmp_path):
    tags = np.array(["Punch", "Biking", "Punch", "Cello", "Biking", "Cello"] * 4, dtype=object)
    lookup = keras.layers.StringLookup(num_oov_indices=0, vocabulary=np.unique(tags))
    assert lookup.get_vocabulary() == ["Biking", "Cello", "Punch"]
    labels = keras.ops.convert_to_numpy(lookup(tags[..., None]))
    assert labels.shape == (24, 1) and labels.dtype == np.int64
    np.testing.assert_array_equal(labels[:3, 0], [2, 0, 2])
    with pytest.raises(ValueError, match="num_oov_indices=0"):
        lookup(np.array([["Golf"]], dtype=object))
    rng = np.random.default_rng(0)
    t, f = 4, 6
    feats = rng.normal(size=(24, t, f)).astype(np.float32) * 0.1
    feats[np.arange(24), :, labels[:, 0]] += 1.0
    masks = np.ones((24, t), bool)
    masks[::3, 2:] = False
    feats[~masks] = 0.0

    x_in, m_in = keras.Input((t, f)), keras.Input((t,), dtype="bool")
    x = keras.layers.GRU(8, return_sequences=True)(x_in, mask=m_in)
    x = keras.layers.GRU(8)(x)
    out = keras.layers.Dense(3, activation="softmax")(keras.layers.Dropout(0.1)(x))
    model = keras.Model([x_in, m_in], out)
    model.compile(loss="sparse_categorical_crossentropy", optimizer=keras.optimizers.Adam(0.03),
                  metrics=["accuracy"])
    path = str(tmp_path / "ckpt.weights.h5")
    ckpt = keras.callbacks.ModelCheckpoint(path, save_weights_only=True, save_best_only=True,
                                           verbose=0)
    hist = model.fit([feats, masks], labels, validation_split=0.25, epochs=6, callbacks=[ckpt],
                     verbose=0)
    assert hist.history["loss"][-1] < hist.history["loss"][0]
    best = int(np.argmin(hist.history["val_loss"]))
    model.load_weights(path)
    val = model.evaluate([feats[18:], masks[18:]], labels[18:], verbose=0, return_dict=True)
    assert val["loss"] == pytest.approx(hist.history["val_loss"][best], rel=1e-5)


# ---- MLP-Mixer / ConvMixer variants: metric ties, function activations, matrix_transpose ----
def test_top_k_accuracy_counts_ties_at_the_boundary_as_keras_in_top_k():
    m = keras.metrics.TopKCategoricalAccuracy(2)
    m.update_state(np.eye(4)[[3, 0]], np.array([[1, 0, 0, 0], [0, .5, .5, 0]], np.float32))
    assert float(m.result()) == pytest.approx(0.5)  # a saturated softmax: every 0 ties
    s = keras.metrics.SparseTopKCategoricalAccuracy(1)
    s.update_state(np.array([2, 0]), np.array([[.3, .3, .3], [.1, .8, .1]], np.float32))
    assert float(s.result()) == pytest.approx(0.5)


def test_dense_with_function_activation_and_matrix_transpose_against_numpy():
    rng = np.random.default_rng(0)
    x = rng.normal(size=(2, 5, 3)).astype(np.float32)
    np.testing.assert_array_equal(tf.linalg.matrix_transpose(x).numpy(), x.transpose(0, 2, 1))
    dense = keras.layers.Dense(4, activation=keras.activations.gelu)
    y = dense(tf.linalg.matrix_transpose(x)).numpy()
    w, b = (v.numpy() for v in dense.weights)
    z = x.transpose(0, 2, 1).astype(np.float64) @ w + b
    from math import erf
    want = 0.5 * z * (1 + np.vectorize(erf)(z / np.sqrt(2)))
    np.testing.assert_allclose(y, want, rtol=1e-5, atol=1e-6)


# ---- attention_mll_classification: softmax over a Python list of per-instance scores --------
def test_tf_math_softmax_of_a_list_of_tensors_stacks_them_with_gradients():
    rng = np.random.default_rng(0)
    scores = [rng.normal(size=(4, 1)).astype(np.float32) for _ in range(3)]
    weights = rng.normal(size=(3, 4, 1)).astype(np.float32)
    vs = [tf.Variable(s) for s in scores]
    with tf.GradientTape() as tape:
        alpha = tf.math.softmax([v * 1.0 for v in vs], axis=0)
        loss = tf.reduce_sum(alpha * weights)
    grads = tape.gradient(loss, vs)
    s = np.stack(scores).astype(np.float64)
    e = np.exp(s - s.max(0))
    want = e / e.sum(0)
    np.testing.assert_allclose(alpha.numpy(), want, rtol=1e-5)
    np.testing.assert_allclose(np.stack([g.numpy() for g in grads]),
                               want * (weights - (want * weights).sum(0)), rtol=1e-4, atol=1e-6)
    logs = tf.math.log_softmax([tf.constant(x) for x in scores], axis=0)
    np.testing.assert_allclose(logs.numpy(), np.log(want), rtol=1e-5, atol=1e-6)
    torch = pytest.importorskip("torch")
    ts = [torch.tensor(x, requires_grad=True) for x in scores]
    (torch.softmax(torch.stack(ts), 0) * torch.tensor(weights)).sum().backward()
    for g, t in zip(grads, ts):
        np.testing.assert_allclose(g.numpy(), t.grad.numpy(), rtol=1e-4, atol=1e-6)


def test_convert_to_tensor_packs_a_list_of_tensors_differentiably():
    a, b = tf.Variable(np.float32(2.0)), tf.Variable(np.float32(3.0))
    with tf.GradientTape() as tape:
        packed = tf.convert_to_tensor([[a, b], [b, a]])
        loss = tf.reduce_sum(packed * tf.constant([[1.0, 10.0], [100.0, 1000.0]]))
    ga, gb = tape.gradient(loss, [a, b])
    assert tuple(packed.shape) == (2, 2) and float(ga) == 1001.0 and float(gb) == 110.0
    assert tf.convert_to_tensor([1, 2]).dtype == tf.int32  # plain values: constant's rule
    assert tf.convert_to_tensor([tf.constant([1.0])], dtype="float64").dtype == tf.float64


def test_gated_attention_layer_over_a_list_of_instances_trains_and_checkpoints(tmp_path):
    """A Layer taking a list of per-instance embeddings, tensordot scores, a softmax over the
    list, and per-instance outputs multiplied back: the attention weights train and sum to 1."""
    class Gate(keras.layers.Layer):
        def build(self, input_shape):
            d = input_shape[0][1]
            self.v = self.add_weight(shape=(d, 8), initializer="glorot_uniform", name="v")
            self.w = self.add_weight(shape=(8, 1), initializer="glorot_uniform", name="w")

        def call(self, xs):
            scores = [tf.tensordot(tf.math.tanh(tf.tensordot(x, self.v, axes=1)), self.w,
                                   axes=1) for x in xs]
            alpha = tf.math.softmax(scores, axis=0)
            return [alpha[i] for i in range(alpha.shape[0])]

    rng = np.random.default_rng(0)
    bag = [rng.normal(size=(64, 5)).astype(np.float32) for _ in range(3)]
    y = (np.max([b[:, 0] for b in bag], axis=0) > 1.0).astype(np.int64)
    ins = [keras.Input((5,)) for _ in range(3)]
    emb = [keras.layers.Dense(6, activation="relu")(i) for i in ins]
    alpha = Gate(name="alpha")(emb)
    out = keras.layers.Dense(2, activation="softmax")(
        keras.layers.concatenate([keras.layers.multiply([a, e]) for a, e in zip(alpha, emb)]))
    model = keras.Model(ins, out)
    model.compile(optimizer=keras.optimizers.Adam(0.02), loss="sparse_categorical_crossentropy")
    before = [v.numpy().copy() for v in model.get_layer("alpha").weights]
    hist = model.fit(bag, y, epochs=5, batch_size=16, verbose=0)
    assert hist.history["loss"][-1] < hist.history["loss"][0]
    after = [v.numpy() for v in model.get_layer("alpha").weights]
    assert all(np.abs(a - b).max() > 1e-4 for a, b in zip(after, before))  # gradients arrived
    att = keras.Model(model.input, model.get_layer("alpha").output).predict(bag, verbose=0)
    np.testing.assert_allclose(np.sum(att, axis=0), 1.0, rtol=1e-5)
    path = str(tmp_path / "best.weights.h5")
    model.save_weights(path)
    saved = model.predict(bag, verbose=0)
    model.fit(bag, y, epochs=1, batch_size=16, verbose=0)
    assert np.abs(model.predict(bag, verbose=0) - saved).max() > 1e-6
    model.load_weights(path)
    np.testing.assert_array_equal(model.predict(bag, verbose=0), saved)


# ---- Planets and Moons: flow_from_directory(interpolation="lanczos"), unfit feature-wise steps
def _pil_reference(img, size, fn, support):
    """Pillow's resize written plainly: float weights per output pixel, fixed point with 22
    fraction bits, horizontal then vertical pass, each rounded and clipped to uint8."""
    def weights(n_in, n_out):
        scale = n_in / n_out
        f = max(scale, 1.0)
        w = np.zeros((n_out, n_in))
        for i in range(n_out):
            c = (i + 0.5) * scale
            lo, hi = max(int(c - support * f + 0.5), 0), min(int(c + support * f + 0.5), n_in)
            k = np.array([fn((j - c + 0.5) * (1.0 / f)) for j in range(lo, hi)])
            w[i, lo:hi] = k / k.sum()
        q = w * (1 << 22)
        return np.where(q < 0, np.trunc(q - 0.5), np.trunc(q + 0.5)).astype(np.int64)

    def one_pass(a, w, axis):
        acc = np.moveaxis(np.tensordot(w, a.astype(np.int64), ([1], [axis])), 0, axis)
        return np.clip((acc + (1 << 21)) >> 22, 0, 255).astype(np.uint8)
    out = one_pass(img, weights(img.shape[1], size[1]), 1)
    return one_pass(out, weights(img.shape[0], size[0]), 0)


def _lanczos(x):
    s = (lambda v: 1.0 if v == 0 else np.sin(np.pi * v) / (np.pi * v))
    return s(x) * s(x / 3) if -3 <= x < 3 else 0.0


def test_load_img_and_flow_from_directory_resample_as_pillow(tmp_path):
    rng = np.random.default_rng(0)
    img = rng.integers(0, 256, (23, 31, 3)).astype(np.uint8)
    os.makedirs(tmp_path / "a")
    _write_png(tmp_path / "a" / "x.png", img)
    got = keras.utils.img_to_array(keras.utils.load_img(tmp_path / "a" / "x.png",
                                                        target_size=(9, 12),
                                                        interpolation="lanczos"))
    want = _pil_reference(img, (9, 12), _lanczos, 3.0)
    np.testing.assert_array_equal(got.astype(np.uint8), want)
    up = keras.utils.img_to_array(keras.utils.load_img(tmp_path / "a" / "x.png",
                                                       target_size=(40, 50),
                                                       interpolation="bicubic"))
    cubic = (lambda x: (lambda a: (1.5 * a - 2.5) * a * a + 1 if a < 1 else
                        (((a - 5) * a + 8) * a - 4) * -0.5 if a < 2 else 0.0)(abs(x)))
    np.testing.assert_array_equal(up.astype(np.uint8), _pil_reference(img, (40, 50), cubic, 2.0))
    # shrinking antialiases (Pillow's bilinear widens its filter), unlike tf.image.resize
    small = keras.utils.img_to_array(keras.utils.load_img(tmp_path / "a" / "x.png",
                                                          target_size=(5, 7),
                                                          interpolation="bilinear"))
    tri = (lambda x: max(0.0, 1.0 - abs(x)))
    np.testing.assert_array_equal(small.astype(np.uint8), _pil_reference(img, (5, 7), tri, 1.0))
    torch = pytest.importorskip("torch")  # torch's uint8 antialias kernel follows Pillow's
    ref = torch.nn.functional.interpolate(torch.tensor(img.transpose(2, 0, 1)[None].copy()),
                                          size=(5, 7), mode="bilinear", antialias=True)
    assert np.abs(small.astype(int) - ref[0].numpy().transpose(1, 2, 0).astype(int)).max() <= 1
    gen = keras.preprocessing.image.ImageDataGenerator(rescale=1 / 255.0)
    it = gen.flow_from_directory(str(tmp_path), target_size=(9, 12), batch_size=1,
                                 class_mode="categorical", interpolation="lanczos")
    xb, yb = next(iter(it))
    np.testing.assert_allclose(xb[0], want.astype(np.float32) / 255.0, rtol=1e-6)
    with pytest.raises(ValueError, match="interpolation must be one of"):
        keras.utils.load_img(tmp_path / "a" / "x.png", target_size=(4, 4), interpolation="area")


def test_image_data_generator_unfit_featurewise_steps_warn_and_skip_as_keras():
    x = np.random.default_rng(0).random((6, 4, 4, 3)).astype(np.float32)
    gen = keras.preprocessing.image.ImageDataGenerator(featurewise_center=True,
                                                       featurewise_std_normalization=True,
                                                       zca_whitening=True)
    with pytest.warns(UserWarning) as record:
        out = gen.standardize(x.copy())
    assert [str(w.message).split("`")[1] for w in record] == [
        "featurewise_center", "featurewise_std_normalization", "zca_whitening"]
    assert all("hasn't been fit on any training data" in str(w.message) for w in record)
    np.testing.assert_array_equal(out, x)
    gen.fit(x)
    assert np.abs(gen.standardize(x.copy()) - x).max() > 1e-3


# ---- ensemble_of_modified_unets: tf.keras 2's `layer._name = ...` renames a layer ----------
def test_assigning_underscore_name_renames_a_layer_as_tf_keras_2():
    inputs = keras.Input((8, 8, 3))
    x = keras.layers.Conv2D(4, 3, padding="same", name="stem")(inputs)
    encoder = keras.Model(inputs, keras.layers.ReLU(name="stem_relu")(x))
    encoder.layers[0]._name = "input_1"
    encoder._name = "Encoder"
    assert encoder.name == "Encoder" and encoder.layers[0]._name == "input_1"
    skip = encoder.get_layer("input_1").output
    up = keras.layers.Concatenate()([encoder.get_layer("stem_relu").output, skip])
    unet = keras.Model(inputs, keras.layers.Conv2D(2, 1, activation="softmax")(up))
    assert unet.predict(np.zeros((1, 8, 8, 3), np.float32), verbose=0).shape == (1, 8, 8, 2)
    with pytest.raises(ValueError, match="without '/'"):
        encoder.layers[1]._name = "conv1/relu"


# ---- Quantum_with_6G's CNN half: mse + "accuracy" on one-hot rows, iterator.next() ----------
def test_accuracy_beside_mse_follows_the_shapes_and_directory_iterator_next(tmp_path):
    rng = np.random.default_rng(0)
    x = rng.random((33, 4, 4, 1)).astype(np.float32)
    y = np.eye(11, dtype=np.float32)[np.arange(33) % 11]
    model = keras.Sequential([keras.Input((4, 4, 1)), keras.layers.Conv2D(2, 2),
                              keras.layers.Flatten(), keras.layers.Dense(11)])
    model.compile(loss="mse", optimizer="adam", metrics=["accuracy"])
    _, acc = model.evaluate(x, y, verbose=0)
    p = model.predict(x, verbose=0)
    assert acc == pytest.approx(np.mean(p.argmax(-1) == y.argmax(-1)))  # not 10 / 11 zeros
    one = keras.Sequential([keras.Input((3,)), keras.layers.Dense(1, activation="sigmoid")])
    one.compile(loss="mse", optimizer="adam", metrics=["accuracy"])
    xb, yb = rng.random((20, 3)).astype(np.float32), (np.arange(20) % 2).astype(np.float32)
    _, acc1 = one.evaluate(xb, yb, verbose=0)
    assert acc1 == pytest.approx(np.mean((one.predict(xb, verbose=0)[:, 0] > 0.5) == yb))
    for c in ("a", "b"):
        os.makedirs(tmp_path / c)
        for i in range(3):
            _write_png(tmp_path / c / f"{i}.png", rng.integers(0, 256, (9, 9, 3)).astype(np.uint8))
    it = keras.preprocessing.image.ImageDataGenerator(rescale=1 / 255.0).flow_from_directory(
        str(tmp_path), target_size=(4, 4), batch_size=4, color_mode="grayscale",
        interpolation="lanczos")
    xs = np.concatenate([it.next()[0] for _ in range(it.__len__())])
    assert xs.shape == (6, 4, 4, 1) and 0.0 <= xs.min() and xs.max() <= 1.0


# ---- handwriting_recognition: unicode_split labels, CTC with padded labels, edit distance ---
def test_strings_unicode_split_into_string_lookup_ids_in_a_pipeline():
    assert tf.strings.unicode_split("héllo", input_encoding="UTF-8").tolist() == list("héllo")
    assert tf.strings.unicode_split(b"a\xc3\xa9\xff", "UTF-8").tolist() == ["a", "é", "\ufffd"]
    assert tf.strings.unicode_split(b"a\xff", "UTF-8", errors="ignore").tolist() == ["a"]
    assert tf.strings.unicode_split(b"a\xff", "UTF-8", replacement_char=63).tolist() == ["a", "?"]
    with pytest.raises(UnicodeDecodeError):
        tf.strings.unicode_split(b"a\xff", "UTF-8", errors="strict")
    with pytest.raises(ValueError, match="input_encoding"):
        tf.strings.unicode_split("ab", "latin-1")
    batch = tf.strings.unicode_split(["ab", "c"], input_encoding="UTF-8")
    assert batch.to_list() == [["a", "b"], ["c"]]
    to_ids = keras.layers.StringLookup(vocabulary=list("abc"), mask_token=None)

    def vectorize(label):
        ids = to_ids(tf.strings.unicode_split(label, input_encoding="UTF-8"))
        return tf.pad(ids, paddings=[[0, 4 - tf.shape(ids)[0]]], constant_values=99)
    ds = tf.data.Dataset.from_tensor_slices(["cab", "b"]).map(vectorize).batch(2)
    np.testing.assert_array_equal(next(iter(ds)).numpy(), [[3, 1, 2, 99], [2, 99, 99, 99]])


def test_ctc_batch_cost_reads_labels_as_tensorflows_ctc_kernel():
    """A label >= num_classes - 1 ends the sequence (keras-io pads with 99): the loss equals
    the loss of the unpadded labels; a real label after it, or labels longer than the input,
    raise."""
    rng = np.random.default_rng(0)
    n, t, c = 3, 9, 6
    probs = rng.dirichlet(np.ones(c), size=(n, t)).astype(np.float32)
    padded = np.array([[1, 2, 99, 99], [3, 99, 99, 99], [0, 0, 4, 5]], np.float32)
    got = keras.backend.ctc_batch_cost(padded, probs, np.full((n, 1), t),
                                       np.full((n, 1), 4)).numpy()[:, 0]
    torch = pytest.importorskip("torch")
    lp = torch.log_softmax(torch.log(torch.tensor(probs, dtype=torch.float64) + 1e-7), -1)
    want = torch.nn.functional.ctc_loss(lp.permute(1, 0, 2), torch.tensor([[1, 2, 0], [3, 0, 0],
                                                                          [0, 0, 4]]),
                                        [t] * n, [2, 1, 3], blank=c - 1, reduction="none")
    np.testing.assert_allclose(got, want.numpy(), rtol=1e-5)
    with pytest.raises(ValueError, match="follows a label >= num_classes - 1"):
        keras.backend.ctc_batch_cost(np.array([[1, 99, 2]]), probs[:1], [[t]], [[3]])
    with pytest.raises(ValueError, match="not enough time"):
        keras.backend.ctc_batch_cost(np.array([[1, 2, 3]]), probs[:1, :2], [[2]], [[3]])
    no_labels = torch.zeros((n, 0), dtype=torch.long)
    empty = torch.nn.functional.ctc_loss(lp.permute(1, 0, 2), no_labels, [t] * n, [0] * n,
                                         blank=c - 1, reduction="none")
    all_pad = keras.backend.ctc_batch_cost(np.full((n, 2), 99), probs, np.full((n, 1), t),
                                           np.full((n, 1), 2)).numpy()[:, 0]
    np.testing.assert_allclose(all_pad, empty.numpy(), rtol=1e-5)


def test_sparse_from_dense_cast_and_edit_distance_as_tensorflow():
    hyp = tf.SparseTensor([[0, 0, 0], [1, 0, 0]], ["a", "b"], (2, 1, 1))
    truth = tf.SparseTensor([[0, 1, 0], [1, 0, 0], [1, 0, 1], [1, 1, 0]], ["a", "b", "c", "a"],
                            (2, 2, 2))
    np.testing.assert_array_equal(tf.edit_distance(hyp, truth).numpy(),
                                  [[np.inf, 1.0], [0.5, 1.0]])  # TensorFlow's documented result
    np.testing.assert_array_equal(tf.edit_distance(hyp, truth, normalize=False).numpy(),
                                  [[1.0, 1.0], [1.0, 1.0]])
    labels = np.array([[3, 1, 99, 99], [2, 2, 2, 99]])
    decoded = np.array([[3, 2, -1, -1], [2, 2, -1, -1]])
    sp_labels = tf.cast(tf.sparse.from_dense(labels), dtype=tf.int64)
    assert sp_labels.values.dtype == tf.int64 and sp_labels.shape == (2, 4)
    np.testing.assert_array_equal(tf.sparse.to_dense(sp_labels).numpy(), labels)
    d = tf.edit_distance(tf.cast(tf.sparse.from_dense(decoded), tf.int64), sp_labels,
                         normalize=False)

    def lev(a, b):
        m = np.arange(len(b) + 1)
        for i, x in enumerate(a, 1):
            prev, m[0] = m.copy(), i
            for j, y in enumerate(b, 1):
                m[j] = min(prev[j] + 1, m[j - 1] + 1, prev[j - 1] + (x != y))
        return m[-1]
    np.testing.assert_array_equal(d.numpy(), [lev(decoded[i][decoded[i] != 0], labels[i])
                                              for i in range(2)])
    assert float(tf.reduce_mean(d)) == pytest.approx(np.mean(d.numpy()))
    with pytest.raises(TypeError, match="SparseTensor"):
        tf.edit_distance(labels, sp_labels)
    with pytest.raises(ValueError, match="outside dense_shape"):
        tf.SparseTensor([[0, 5]], [1], (2, 4))


# ---- captcha_ocr: its own ctc_batch_cost over tf.compat.v1.scan and tf.compat.v1.nn.ctc_loss --
def test_scan_accumulates_forward_reverse_structured_and_differentiably():
    np.testing.assert_array_equal(tf.scan(lambda a, x: a + x, tf.constant([1., 2., 3., 4.]))
                                  .numpy(), [1, 3, 6, 10])
    np.testing.assert_array_equal(  # TensorFlow's reverse example: outputs in elems' order
        tf.scan(lambda a, x: a + x, tf.constant([1., 2., 3., 4.]), reverse=True).numpy(),
        [10, 9, 7, 4])
    out = tf.scan(lambda a, x: (a[0] + x[0] * x[1], a[1] + x[0]),
                  (np.array([1, 2, 3]), np.array([-1, 1, -1])), initializer=(np.array(0),
                                                                          np.array(1)))
    np.testing.assert_array_equal(out[0].numpy(), [-1, 1, -2])
    np.testing.assert_array_equal(out[1].numpy(), [2, 4, 7])
    v = tf.Variable(np.float32(2.0))
    with tf.GradientTape() as tape:
        seq = tf.compat.v1.scan(lambda a, x: a * v + x, tf.constant([1., 1., 1.]),
                                initializer=tf.constant(0.0), parallel_iterations=1)
        total = tf.reduce_sum(seq)
    np.testing.assert_array_equal(seq.numpy(), [1, 3, 7])
    assert float(tape.gradient(total, v)) == pytest.approx(6.0)  # 0 + 1 + (3 + 2 * 1)
    with pytest.raises(ValueError, match="structure of the initializer"):
        tf.scan(lambda a, x: (a, a), tf.constant([1., 2.]), initializer=tf.constant(0.))


def test_compat_v1_ctc_loss_over_sparse_labels_matches_ctc_batch_cost_and_torch():
    rng = np.random.default_rng(1)
    n, t, c = 3, 8, 5
    logits = rng.normal(size=(t, n, c)).astype(np.float32)
    dense = np.array([[1, 2, 3], [0, 0, 4], [2, 1, 0]])  # 4 = the blank ends sample 1
    labels = tf.SparseTensor([[0, 0], [0, 1], [0, 2], [1, 0], [1, 1], [1, 2], [2, 0], [2, 1]],
                             [1, 2, 3, 0, 0, 4, 2, 1], (3, 3))
    x = tf.Variable(logits)
    with tf.GradientTape() as tape:
        loss = tf.compat.v1.nn.ctc_loss(labels, x, np.array([8, 8, 6]))
        total = tf.reduce_sum(loss)
    grad = tape.gradient(total, x).numpy()
    torch = pytest.importorskip("torch")
    tx = torch.tensor(logits, dtype=torch.float64, requires_grad=True)
    want = torch.nn.functional.ctc_loss(torch.log_softmax(tx, -1), torch.tensor(dense),
                                        [8, 8, 6], [3, 2, 2], blank=c - 1, reduction="none")
    want.sum().backward()
    np.testing.assert_allclose(loss.numpy(), want.detach().numpy(), rtol=1e-5)
    np.testing.assert_allclose(grad, tx.grad.numpy(), rtol=1e-4, atol=1e-6)
    batch_major = tf.compat.v1.nn.ctc_loss(labels, logits=logits.transpose(1, 0, 2),
                                           sequence_length=[8, 8, 6], time_major=False)
    np.testing.assert_allclose(batch_major.numpy(), loss.numpy(), rtol=1e-6)
    short = tf.SparseTensor([[0, k] for k in range(4)], [1, 2, 1, 2], (1, 4))
    with pytest.raises(ValueError, match="not enough time"):
        tf.compat.v1.nn.ctc_loss(short, logits[:3, :1], [3])
    ignored = tf.compat.v1.nn.ctc_loss(short, logits[:3, :1], [3],
                                       ignore_longer_outputs_than_inputs=True)
    assert ignored.numpy().tolist() == [0.0]
    with pytest.raises(TypeError, match="SparseTensor"):
        tf.compat.v1.nn.ctc_loss(dense, logits, [8, 8, 6])
