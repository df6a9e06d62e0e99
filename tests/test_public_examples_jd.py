"""Original tests of the API patterns TensorFlow's own tutorials (tensorflow/docs
site/en/tutorials, the "jd" rows of docs/public_examples.md) need: tiny sizes, synthetic data."""
import numpy as np
import pytest

import pyengine as tf
from pyengine import keras
from pyengine.keras import layers


# ---- Keras' rank adjustment of a Sequential's input (a (N,) column into input_shape=[1]) -----

def test_sequential_takes_a_column_one_rank_short_of_its_declared_input():
    rng = np.random.default_rng(0)
    x = rng.normal(size=64).astype(np.float32)
    y = 3.0 * x + 1.0
    norm = layers.Normalization(input_shape=[1], axis=None)
    norm.adapt(x)
    model = keras.Sequential([norm, layers.Dense(1)])
    np.testing.assert_allclose(model.predict(x[:5], verbose=0), model.predict(x[:5, None], verbose=0))
    assert model(x[:5]).shape == (5, 1)
    model.compile(optimizer=keras.optimizers.Adam(0.1), loss="mean_absolute_error")
    h = model.fit(x, y, epochs=15, verbose=0, validation_split=0.2)
    assert h.history["loss"][-1] < h.history["loss"][0] / 2
    assert model.evaluate(x, y, verbose=0) < h.history["loss"][0]


def test_sequential_drops_an_extra_trailing_axis_of_one_and_rejects_other_ranks():
    model = keras.Sequential([keras.Input((3,)), layers.Dense(2)])
    x = np.ones((4, 3), np.float32)
    np.testing.assert_allclose(model.predict(x[..., None], verbose=0), model.predict(x, verbose=0))
    with pytest.raises(ValueError, match=r"expected input of shape \(None,\) \+ \(3,\)"):
        model.predict(np.ones(4, np.float32), verbose=0)  # last input dim is 3, not 1
    with pytest.raises(ValueError, match="expected input of shape"):
        model.predict(np.ones((4, 3, 2), np.float32), verbose=0)


# ---- tf.keras 2's lists of scalars as one array ---------------------------------------------

def test_lists_of_scalars_are_one_array_in_fit_and_predict():
    model = keras.Sequential([keras.Input((2,)), layers.Dense(1)])
    model.compile(optimizer="sgd", loss="mse")
    model.fit([[1.0, 2.0], [3.0, 4.0]], [1.0, 2.0], verbose=0)
    a = model.predict([[1.0, 2.0], [3.0, 4.0]], verbose=0)
    np.testing.assert_allclose(a, model.predict(np.array([[1, 2], [3, 4]], np.float32), verbose=0))
    col = keras.Sequential([keras.Input((1,)), layers.Dense(1)])
    assert col.predict([1.0, 2.0, 3.0], verbose=0).shape == (3, 1)


def test_a_list_of_strings_feeds_a_text_vectorization_model():
    texts = ["good fun film", "bad dull film", "good good", "dull bad bad"]
    vec = layers.TextVectorization(max_tokens=20, output_sequence_length=4)
    vec.adapt(texts)
    model = keras.Sequential([layers.Embedding(20, 4), layers.GlobalAveragePooling1D(),
                              layers.Dense(1)])
    export = keras.Sequential([vec, model, layers.Activation("sigmoid")])
    p_list = export.predict(texts, verbose=0)
    p_const = export.predict(tf.constant(texts), verbose=0)
    assert p_list.shape == (4, 1)
    np.testing.assert_allclose(p_list, p_const)
    assert ((p_list > 0) & (p_list < 1)).all()


# ---- tf.data.experimental.CsvDataset (the overfit_and_underfit tutorial's HIGGS reader) -------

def _write_csv(path, lines, gz=False):
    import gzip
    opener = gzip.open if gz else open
    with opener(path, "wt") as f:
        f.write("\n".join(lines) + "\n")


def test_csv_dataset_gzip_records_batch_and_pack(tmp_path):
    rng = np.random.default_rng(1)
    table = rng.normal(size=(25, 5)).astype(np.float32)
    path = tmp_path / "rows.csv.gz"
    _write_csv(path, [",".join(repr(float(v)) for v in row) for row in table], gz=True)
    ds = tf.data.experimental.CsvDataset(str(path), [float()] * 5, compression_type="GZIP")
    first = next(iter(ds))
    assert isinstance(first, tuple) and len(first) == 5 and first[0].dtype == tf.float32

    def pack_row(*row):
        return tf.stack(row[1:], 1), row[0]
    packed = ds.batch(10).map(pack_row).unbatch()
    feats, labels = next(iter(packed.batch(25)))
    np.testing.assert_allclose(feats.numpy(), table[:, 1:], rtol=1e-6)
    np.testing.assert_allclose(labels.numpy(), table[:, 0], rtol=1e-6)
    assert len(list(packed.skip(20).take(10))) == 5


def test_csv_dataset_defaults_columns_and_errors(tmp_path):
    path = tmp_path / "t.csv"
    _write_csv(path, ["a,b,c,d", "1,2.5,x,7", "NA,,y,8"])
    ds = tf.data.experimental.CsvDataset(str(path), [[-1], [0.5], "z"], header=True,
                                         na_value="NA", select_cols=[0, 1, 2])
    rows = [tuple(np.asarray(v).item() for v in r) for r in ds.as_numpy_iterator()]
    assert rows == [(1, 2.5, "x"), (-1, 0.5, "y")]
    assert next(iter(ds))[0].dtype == tf.int32
    ex = tf.data.experimental.CsvDataset(str(path), [tf.float32], header=True, exclude_cols=[0, 1, 2])
    assert [float(np.asarray(r[0])) for r in ex.as_numpy_iterator()] == [7.0, 8.0]
    required = tf.data.experimental.CsvDataset(str(path), [tf.int32, tf.float32], header=True,
                                               select_cols=[0, 1])
    with pytest.raises(ValueError, match=r"CsvDataset.*line 3 field 0 is not a valid int32"):
        list(required)  # 'NA' is no int and na_value is not set
    with pytest.raises(ValueError, match="select_cols and exclude_cols"):
        tf.data.experimental.CsvDataset(str(path), [0], select_cols=[0], exclude_cols=[1])
    with pytest.raises(ValueError, match="fields"):
        list(tf.data.experimental.CsvDataset(str(path), [0.0] * 3, header=True))


# ---- tf.add_n (tf.add_n(model.losses)) ------------------------------------------------------

def test_add_n_sums_equal_shapes_with_gradients():
    a = np.arange(6, dtype=np.float32).reshape(2, 3)
    xs = [tf.Variable(a * k) for k in (1.0, 2.0, 3.0)]
    with tf.GradientTape() as tape:
        total = tf.add_n(xs)
        s = tf.reduce_sum(total * total)
    np.testing.assert_allclose(total.numpy(), 6 * a)
    grads = tape.gradient(s, xs)
    for g in grads:
        np.testing.assert_allclose(g.numpy(), 2 * 6 * a)
    assert tf.math.add_n([tf.constant(2.0)]).numpy() == 2.0
    with pytest.raises(ValueError, match=r"\[add_n\].*input 1"):
        tf.add_n([tf.ones((2, 3)), tf.ones((3,))])
    with pytest.raises(ValueError, match=r"\[add_n\] inputs must be a non-empty"):
        tf.add_n([])


def test_add_n_of_model_losses_is_the_l2_penalty():
    model = keras.Sequential([keras.Input((4,)), layers.Dense(3, kernel_regularizer=keras.regularizers.l2(0.01)),
                              layers.Dense(1, kernel_regularizer=keras.regularizers.l2(0.001))])
    model(np.ones((2, 4), np.float32))
    k1, k2 = model.layers[0].kernel.numpy(), model.layers[1].kernel.numpy()
    expected = 0.01 * (k1 ** 2).sum() + 0.001 * (k2 ** 2).sum()
    np.testing.assert_allclose(float(tf.add_n(model.losses)), expected, rtol=1e-5)


# ---- save_and_load: tf.version, ModelCheckpoint(save_freq=5 * n_batches) ---------------------

def test_version_module_spells_tf_and_torch_names():
    assert tf.version.VERSION == tf.__version__ == tf.version.__version__


def test_checkpoint_every_five_epochs_of_batches_and_latest_restores(tmp_path):
    import math
    import os
    rng = np.random.default_rng(2)
    x = rng.normal(size=(40, 6)).astype(np.float32)
    y = (x[:, 0] > 0).astype(np.int64)

    def create_model():
        m = keras.Sequential([layers.Dense(8, activation="relu", input_shape=(6,)), layers.Dense(2)])
        m.compile(optimizer="adam", loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True),
                  metrics=[keras.metrics.SparseCategoricalAccuracy()])
        return m
    path = str(tmp_path / "cp-{epoch:04d}.weights.h5")
    n_batches = math.ceil(len(x) / 10)
    cb = keras.callbacks.ModelCheckpoint(filepath=path, save_weights_only=True,
                                         save_freq=np.int64(5 * n_batches))
    model = create_model()
    model.save_weights(path.format(epoch=0))
    model.fit(x, y, epochs=10, batch_size=10, callbacks=[cb], verbose=0)
    assert sorted(os.listdir(tmp_path)) == ["cp-0000.weights.h5", "cp-0005.weights.h5",
                                            "cp-0010.weights.h5"]
    restored = create_model()
    restored.load_weights(path.format(epoch=10))
    np.testing.assert_allclose(restored.predict(x, verbose=0), model.predict(x, verbose=0), rtol=1e-6)
    with pytest.raises(ValueError, match=r"\[ModelCheckpoint\] unrecognized save_freq.*Tensor"):
        keras.callbacks.ModelCheckpoint(path, save_freq=5 * tf.math.ceil(tf.constant(3.5)))
    with pytest.raises(ValueError, match="unrecognized save_freq"):
        keras.callbacks.ModelCheckpoint(path, save_freq="batch")


# ---- load_data/csv: interleave, list_files, tf.io.decode_csv, an ndarray vocabulary saved ----

def test_interleave_cycles_children_in_tf_order():
    ds = tf.data.Dataset.range(1, 4).interleave(
        lambda n: tf.data.Dataset.from_tensors(n).repeat(int(n)), cycle_length=2, block_length=1)
    # a finished child frees its slot; the next element opens there at the slot's next turn
    assert [int(v) for v in ds.as_numpy_iterator()] == [1, 2, 2, 3, 3, 3]
    docs = tf.data.Dataset.range(1, 6).interleave(
        lambda x: tf.data.Dataset.from_tensors(x).repeat(6), cycle_length=2, block_length=4)
    assert [int(v) for v in docs.as_numpy_iterator()] == (
        [1] * 4 + [2] * 4 + [1] * 2 + [2] * 2 + [3] * 4 + [4] * 4 + [3] * 2 + [4] * 2 + [5] * 6)
    blocks = tf.data.Dataset.range(2).interleave(
        lambda n: tf.data.Dataset.range(int(n) * 10, int(n) * 10 + 4), cycle_length=2,
        block_length=2)
    assert [int(v) for v in blocks.as_numpy_iterator()] == [0, 1, 10, 11, 2, 3, 12, 13]
    with pytest.raises(TypeError, match=r"\[Dataset.interleave\] map_func must return a Dataset"):
        list(tf.data.Dataset.range(2).interleave(lambda n: n, cycle_length=1))
    with pytest.raises(ValueError, match="cycle_length"):
        tf.data.Dataset.range(2).interleave(lambda n: tf.data.Dataset.range(1), cycle_length=0)


def test_list_files_interleaved_csv_files(tmp_path):
    for k, name in enumerate(["a", "b", "c"]):
        _write_csv(tmp_path / f"{name}.csv", ["name,v"] + [f"{name},{k * 10 + i}" for i in range(3)])
    files = tf.data.Dataset.list_files(str(tmp_path / "*.csv"), shuffle=False)
    assert [str(f) for f in files.as_numpy_iterator()] == [str(tmp_path / f"{n}.csv") for n in "abc"]
    shuffled = tf.data.Dataset.list_files(str(tmp_path / "*.csv"), seed=3)
    assert sorted(str(f) for f in shuffled.as_numpy_iterator()) == [str(tmp_path / f"{n}.csv") for n in "abc"]
    rows = files.interleave(lambda p: tf.data.experimental.CsvDataset(p, [str(), int()], header=True),
                            cycle_length=2)
    got = [(str(r[0]), int(r[1])) for r in rows.as_numpy_iterator()]
    assert got == [("a", 0), ("b", 10), ("a", 1), ("b", 11), ("a", 2), ("b", 12),
                   ("c", 20), ("c", 21), ("c", 22)]
    with pytest.raises(ValueError, match=r"\[Dataset.list_files\] No files matched"):
        tf.data.Dataset.list_files(str(tmp_path / "*.tsv"))


def test_decode_csv_columns_dtypes_and_errors():
    lines = ["1,male,22.5,x", "0,female,,y"]
    cols = tf.io.decode_csv(lines, record_defaults=[int(), str(), [-1.0], str()])
    assert [c.dtype for c in cols] == [tf.int32, tf.string, tf.float32, tf.string]
    np.testing.assert_array_equal(cols[0].numpy(), [1, 0])
    np.testing.assert_allclose(cols[2].numpy(), [22.5, -1.0])
    assert list(np.asarray(cols[1])) == ["male", "female"]
    sel = tf.io.decode_csv(tf.constant([["1,a,2"], ["3,b,4"]]), [0, 0], select_cols=[0, 2])
    assert sel[1].shape == (2, 1) and sel[1].numpy().tolist() == [[2], [4]]
    ds = tf.data.Dataset.from_tensor_slices(lines).batch(2).map(
        lambda x: tf.io.decode_csv(x, record_defaults=[int(), str(), [0.0], str()]))
    first = next(iter(ds))
    assert len(first) == 4 and first[0].numpy().tolist() == [1, 0]
    with pytest.raises(ValueError, match=r"\[decode_csv\] record 1 has 2 fields, expected 3"):
        tf.io.decode_csv(["1,2,3", "1,2"], [0, 0, 0])
    with pytest.raises(ValueError, match=r"\[decode_csv\] record 0 field 1 is not a valid float32"):
        tf.io.decode_csv(["1,abc"], [0, 0.0])


def test_model_with_ndarray_vocabulary_saves_and_reloads(tmp_path):
    column = np.array(["male", "female", "female", "male"], dtype=object)
    inp = keras.Input(shape=(1,), dtype="string", name="sex")
    lookup = layers.StringLookup(vocabulary=np.unique(column))
    out = layers.Dense(1)(layers.CategoryEncoding(num_tokens=lookup.vocabulary_size())(lookup(inp)))
    model = keras.Model({"sex": inp}, out)
    path = str(tmp_path / "m.keras")
    model.save(path)
    reloaded = keras.models.load_model(path)
    x = {"sex": column[:, None].astype(str)}
    np.testing.assert_allclose(reloaded.predict(x, verbose=0), model.predict(x, verbose=0))
    assert reloaded.layers[1].get_vocabulary() == lookup.get_vocabulary()


def test_tf23_lookup_vocab_size_and_category_encoding_max_tokens():
    from pyengine.keras.layers.experimental import preprocessing
    lookup = preprocessing.StringLookup(vocabulary=np.array(["a", "b"]))
    assert lookup.vocab_size() == lookup.vocabulary_size() == 3
    one_hot = preprocessing.CategoryEncoding(max_tokens=lookup.vocab_size())
    out = one_hot(lookup(np.array([["b"], ["zzz"]])))
    np.testing.assert_array_equal(np.asarray(out), [[0, 0, 1], [1, 0, 0]])


# ---- images/data_augmentation: nested Sequentials, stateless image ops, seeds, zip, Counter ---

def test_sequential_called_on_one_image_then_stacked_in_a_batched_model():
    image = np.random.default_rng(3).random((20, 24, 3)).astype(np.float32) * 255
    resize_and_rescale = keras.Sequential([layers.Resizing(8, 8), layers.Rescaling(1.0 / 255)])
    one = resize_and_rescale(image)  # an unbatched image: its first call fixes nothing upstream
    assert one.shape == (8, 8, 3)
    # stacking it builds nothing from that unbatched shape (Keras builds from an Input only)
    model = keras.Sequential([resize_and_rescale, layers.Conv2D(4, 3, padding="same"),
                              layers.GlobalAveragePooling2D(), layers.Dense(2)])
    assert not model.built
    ds = tf.data.Dataset.from_tensor_slices((image[None].repeat(3, 0), np.arange(3)))
    mapped = ds.map(lambda x, y: (resize_and_rescale(x), y)).batch(3)
    xb, _ = next(iter(mapped))
    assert xb.shape == (3, 8, 8, 3)
    np.testing.assert_allclose(xb.numpy()[2], np.asarray(one), rtol=1e-6)


def test_stateless_image_ops_repeat_for_a_seed_and_match_their_adjustments():
    rng = np.random.default_rng(4)
    image = tf.constant(rng.random((10, 12, 3)).astype(np.float32))
    for op, kw in [("stateless_random_brightness", dict(max_delta=0.5)),
                   ("stateless_random_contrast", dict(lower=0.2, upper=0.9)),
                   ("stateless_random_saturation", dict(lower=0.2, upper=2.0)),
                   ("stateless_random_hue", dict(max_delta=0.3)),
                   ("stateless_random_crop", dict(size=[5, 6, 3])),
                   ("stateless_random_flip_left_right", {}),
                   ("stateless_random_flip_up_down", {})]:
        fn = getattr(tf.image, op)
        a, b = fn(image, seed=(7, 1), **kw), fn(image, seed=tf.constant([7, 1]), **kw)
        np.testing.assert_array_equal(np.asarray(a), np.asarray(b))
    outs = {float(np.asarray(tf.image.stateless_random_brightness(image, 0.5, seed=(i, 0)))[0, 0, 0])
            for i in range(6)}
    assert len(outs) > 1  # the seed changes the draw
    delta = np.asarray(tf.image.stateless_random_brightness(image, 0.5, seed=(3, 0))) - np.asarray(image)
    assert np.ptp(delta) < 1e-6 and abs(delta.flat[0]) <= 0.5  # one delta, as adjust_brightness
    crop = np.asarray(tf.image.stateless_random_crop(image, size=[5, 6, 3], seed=(1, 2)))
    windows = [np.asarray(image)[i:i + 5, j:j + 6] for i in range(6) for j in range(7)]
    assert any(np.array_equal(crop, w) for w in windows)
    with pytest.raises(ValueError, match=r"stateless_random_contrast\] upper must be > lower"):
        tf.image.stateless_random_contrast(image, 0.9, 0.1, seed=(1, 1))
    with pytest.raises(ValueError, match="seed must be a shape"):
        tf.image.stateless_random_brightness(image, 0.1, seed=3)


def test_seed_split_generator_seeds_counter_and_nested_zip():
    s = tf.random.split(tf.constant([1, 2]), num=3)
    assert s.shape == (3, 2) and s.dtype == tf.int64
    np.testing.assert_array_equal(s.numpy(), tf.random.split((1, 2), num=3).numpy())
    assert not np.array_equal(s.numpy(), tf.random.split((1, 3), num=3).numpy())
    g1, g2 = tf.random.Generator.from_seed(123, alg="philox"), tf.random.Generator.from_seed(123)
    m = g1.make_seeds(4)
    assert m.shape == (2, 4) and m.dtype == tf.int64
    np.testing.assert_array_equal(m.numpy(), g2.make_seeds(4).numpy())
    assert not np.array_equal(m.numpy(), g1.make_seeds(4).numpy())  # the stream advances
    with pytest.raises(ValueError, match="threefry"):
        tf.random.Generator.from_seed(1, alg="threefry")
    counter = tf.data.experimental.Counter()
    assert counter.cardinality().numpy() == tf.data.INFINITE_CARDINALITY
    images = tf.data.Dataset.from_tensor_slices(np.arange(3.0))
    zipped = tf.data.Dataset.zip((images, (counter, counter)))
    got = [(float(x), int(a), int(b)) for x, (a, b) in zipped.as_numpy_iterator()]
    assert got == [(0.0, 0, 0), (1.0, 1, 1), (2.0, 2, 2)]
    assert zipped.cardinality().numpy() == 3
    d = tf.data.Dataset.zip({"x": images, "c": tf.data.experimental.Counter(10, 5, tf.int32)})
    first = next(iter(d.as_numpy_iterator()))
    assert first["c"] == 10 and first["c"].dtype == np.int32
    with pytest.raises(TypeError, match=r"\[Dataset.zip\] expected Datasets"):
        tf.data.Dataset.zip((images, 3))


# ---- images/transfer_learning: as_numpy_iterator().next(), tf.where(c, 0, 1) ---------------

def test_numpy_iterator_next_and_integer_where():
    ds = tf.data.Dataset.from_tensor_slices((np.arange(6.0).reshape(3, 2), np.arange(3))).batch(2)
    it = ds.as_numpy_iterator()
    xb, yb = it.next()
    np.testing.assert_array_equal(xb, [[0.0, 1.0], [2.0, 3.0]])
    xb2, _ = next(it)
    assert xb2.shape == (1, 2)
    with pytest.raises(StopIteration):
        it.next()
    preds = np.array([0.2, 0.7, 0.5], np.float32)
    r = tf.where(preds < 0.5, 0, 1)
    assert r.dtype == tf.int32 and r.numpy().tolist() == [0, 1, 1]
    f = tf.where(tf.constant(preds) < 0.5, 0.0, 1.0)
    assert f.dtype == tf.float32 and f.numpy().tolist() == [0.0, 1.0, 1.0]
    g = tf.where(preds > 0.4, np.int16(3), np.array([1, 2, 4], np.int16))
    assert g.dtype == tf.int16 and g.numpy().tolist() == [1, 3, 3]


# ---- customization/custom_layers and basics: tf.keras 2's add_weight order, device strings ----

def test_add_weight_takes_tf_keras2_positional_name():
    class MyDense(layers.Layer):
        def __init__(self, units):
            super().__init__()
            self.units = units

        def build(self, input_shape):
            self.kernel = self.add_weight("kernel", shape=[int(input_shape[-1]), self.units])
            self.bias = self.add_weight("bias", [self.units], None, "ones")

        def call(self, inputs):
            return tf.matmul(inputs, self.kernel) + self.bias
    layer = MyDense(3)
    out = layer(tf.ones([2, 4]))
    assert out.shape == (2, 3) and [v.name for v in layer.trainable_variables] == ["kernel", "bias"]
    np.testing.assert_allclose(layer.bias.numpy(), np.ones(3))
    np.testing.assert_allclose(out.numpy(), np.ones((2, 4)) @ layer.kernel.numpy() + 1, rtol=1e-5,
                               atol=1e-6)
    k3 = layers.Dense(2)
    k3.build((None, 2))
    w = k3.add_weight((2, 5), "zeros", name="extra")  # Keras 3's order still
    assert w.shape == (2, 5) and float(np.abs(w.numpy()).sum()) == 0.0
    with pytest.raises(TypeError, match="two values for 'shape'"):
        k3.add_weight((2,), shape=(3,))


def test_tensor_device_answers_tensorflow_string_tests():
    x = tf.random.uniform([2, 2])
    assert x.device.endswith("CPU:0") and not x.device.endswith("GPU:0")
    assert x.device.startswith("/job:localhost")
    with tf.device("CPU:0"):
        y = tf.random.uniform([2, 2])
    assert y.device.endswith("CPU:0") and y.device == "cpu"


# ---- customization/custom_training_walkthrough: optimizer.iterations.numpy() -------------------

def test_optimizer_iterations_is_an_int_with_numpy():
    rng = np.random.default_rng(5)
    x = rng.normal(size=(30, 4)).astype(np.float32)
    y = (x[:, 0] > 0).astype(np.int64)
    model = keras.Sequential([layers.Dense(8, activation=tf.nn.relu, input_shape=(4,)), layers.Dense(2)])
    loss_object = keras.losses.SparseCategoricalCrossentropy(from_logits=True)
    opt = keras.optimizers.SGD(learning_rate=0.1)
    assert opt.iterations.numpy() == 0 and isinstance(opt.iterations.numpy(), np.int64)
    losses = []
    for _ in range(3):
        with tf.GradientTape() as tape:
            loss = loss_object(y_true=y, y_pred=model(x, training=True))
        grads = tape.gradient(loss, model.trainable_variables)
        opt.apply_gradients(zip(grads, model.trainable_variables))
        losses.append(float(loss))
    assert opt.iterations == 3 and opt.iterations.numpy() == 3 and int(opt.iterations) + 1 == 4
    assert "Step: 3" == "Step: {}".format(opt.iterations.numpy())
    assert losses[-1] < losses[0]
    acc = keras.metrics.Accuracy()
    pred = tf.argmax(model(x), axis=1, output_type=tf.int32)
    acc(pred, y)
    assert abs(acc.result() - np.mean(pred.numpy() == y)) < 1e-6


# ---- generative/autoencoder: Dense(tf.math.reduce_prod(shape).numpy()) ------------------------

def test_layer_sizes_take_zero_d_integer_arrays():
    shape = (6, 5)
    units = tf.math.reduce_prod(shape).numpy()
    dense = layers.Dense(units, activation="sigmoid")
    decoder = keras.Sequential([dense, layers.Reshape(shape)])
    out = decoder(np.ones((2, 3), np.float32))
    assert dense.units == 30 and isinstance(dense.units, int) and out.shape == (2, 6, 5)
    with pytest.raises(ValueError, match=r"\[Dense\] units must be a positive integer"):
        layers.Dense(np.array(2.5))


# ---- text/text_classification_rnn: one element of a string batch answers .numpy() ------------

def test_string_batch_elements_are_str_with_numpy():
    batch = tf.constant(["a good film", "a dull one"])
    first = batch[0]
    assert isinstance(first, str) and first == "a good film" and first.split()[1] == "good"
    assert first.numpy() == b"a good film" and first.dtype == tf.string  # bytes, as TensorFlow
    assert [s.upper() for s in batch] == ["A GOOD FILM", "A DULL ONE"]
    assert batch[:1].shape == (1,) and batch[:1].dtype == tf.string
    vec = layers.TextVectorization(max_tokens=10)
    vec.adapt(batch)
    vocab = np.array(vec.get_vocabulary())
    enc = vec(batch)[:2].numpy()
    assert " ".join(vocab[enc[0]]) == first.numpy().decode()


# ---- text/word2vec: log_uniform_candidate_sampler, tf.strings.length --------------------------

def test_log_uniform_candidate_sampler_distribution_and_expected_counts():
    R = 10
    true = tf.constant([[3], [0]], dtype=tf.int64)
    p = (np.log(np.arange(R) + 2.0) - np.log(np.arange(R) + 1.0)) / np.log(R + 1.0)
    s, t, e = tf.random.log_uniform_candidate_sampler(true, 1, 20000, False, R, seed=1)
    counts = np.bincount(s.numpy(), minlength=R) / 20000
    np.testing.assert_allclose(counts, p, atol=0.01)
    np.testing.assert_allclose(t.numpy(), 20000 * p[[3, 0]][:, None], rtol=1e-5)
    u, tu, eu = tf.random.log_uniform_candidate_sampler(true, 1, 4, True, R, seed=42)
    assert u.dtype == tf.int64 and len(set(u.numpy().tolist())) == 4 and u.numpy().max() < R
    assert tu.shape == (2, 1) and eu.shape == (4,) and ((eu.numpy() > 0) & (eu.numpy() <= 1)).all()
    again = tf.random.log_uniform_candidate_sampler(true, 1, 4, True, R, seed=42)[0]
    np.testing.assert_array_equal(u.numpy(), again.numpy())
    with pytest.raises(ValueError, match="num_sampled"):
        tf.random.log_uniform_candidate_sampler(true, 1, 11, True, R)


def test_strings_length_filters_empty_lines(tmp_path):
    path = tmp_path / "t.txt"
    path.write_text("to be\n\nor not\n\n")
    ds = tf.data.TextLineDataset(str(path)).filter(lambda x: tf.cast(tf.strings.length(x), bool))
    assert [str(s) for s in ds.as_numpy_iterator()] == ["to be", "or not"]
    n = tf.strings.length(tf.constant(["ab", "", "é"]))
    assert n.dtype == tf.int32 and n.numpy().tolist() == [2, 0, 2]
    assert tf.strings.length(tf.constant(["é"]), unit="UTF8_CHAR").numpy().tolist() == [1]
    with pytest.raises(ValueError, match="unit must be"):
        tf.strings.length("x", unit="CHAR")


# ---- structured_data/imbalanced_data: Dataset.sample_from_datasets ---------------------------

def test_sample_from_datasets_weights_exhaustion_and_repeatability():
    zeros = tf.data.Dataset.from_tensor_slices(np.zeros(10)).repeat()
    ones = tf.data.Dataset.from_tensor_slices(np.ones(10)).repeat()
    mixed = tf.data.Dataset.sample_from_datasets([zeros, ones], weights=[0.25, 0.75], seed=3)
    v = np.array([float(x) for x in mixed.take(4000).as_numpy_iterator()])
    assert abs(v.mean() - 0.75) < 0.03
    assert mixed.cardinality().numpy() == tf.data.INFINITE_CARDINALITY
    finite = tf.data.Dataset.sample_from_datasets([tf.data.Dataset.range(3), tf.data.Dataset.range(10, 14)],
                                                  seed=0)
    got = [int(x) for x in finite.as_numpy_iterator()]
    assert sorted(got) == [0, 1, 2, 10, 11, 12, 13]  # an exhausted input is dropped
    assert [a for a in got if a < 10] == [0, 1, 2]
    assert got == [int(x) for x in finite.as_numpy_iterator()]  # same choices each pass
    stop = tf.data.Dataset.sample_from_datasets([tf.data.Dataset.range(1), ones], seed=0,
                                                stop_on_empty_dataset=True)
    assert len(list(stop.take(100))) < 100
    legacy = tf.data.experimental.sample_from_datasets([zeros, ones], [1.0, 0.0], seed=1)
    assert {float(x) for x in legacy.take(20).as_numpy_iterator()} == {0.0}
    with pytest.raises(ValueError, match=r"\[Dataset.sample_from_datasets\] weights"):
        tf.data.Dataset.sample_from_datasets([zeros, ones], weights=[1.0])


# ---- text/text_generation: characters, inverted lookups, GRU states, SparseTensor mask --------

def test_character_pipeline_round_trips():
    chars = tf.strings.unicode_split(["abcé", "xy"], input_encoding="UTF-8")
    assert chars.to_list() == [["a", "b", "c", "é"], ["x", "y"]]
    assert tf.strings.unicode_split("héllo", "UTF-8").tolist() == list("héllo")
    ids_from_chars = layers.StringLookup(vocabulary=list("abcxyé"), mask_token=None)
    chars_from_ids = layers.StringLookup(vocabulary=ids_from_chars.get_vocabulary(), invert=True,
                                         mask_token=None)
    ids = ids_from_chars(chars)
    back = chars_from_ids(ids)
    assert back.to_list() == chars.to_list()
    joined = tf.strings.reduce_join(back, axis=-1)
    assert joined.numpy().tolist() == ["abcé", "xy"]
    one = chars_from_ids(tf.constant(2, dtype=tf.int64))
    assert one.numpy() == "b"  # (a 0-d string array: str where TensorFlow gives bytes)
    assert tf.strings.reduce_join(["a", "b"]).numpy() == b"ab"
    steps = [tf.constant(["RO", "JU"]), tf.constant(["M", "L"]), tf.constant(["E", "I"])]
    out = tf.strings.join(steps)
    assert out.numpy().tolist() == ["ROME", "JULI"] and out[0].numpy() == b"ROME"
    assert tf.strings.join([["a", "b"], "c"], separator="-").numpy().tolist() == ["a-c", "b-c"]
    with pytest.raises(ValueError, match="input_encoding"):
        tf.strings.unicode_split("x", "UTF-16")


def test_subclass_passing_self_gru_initial_state_and_sparse_mask():
    class CharModel(keras.Model):
        def __init__(self, vocab, units):
            super().__init__(self)  # tf.keras 2 ignored it; so does pyengine
            self.embedding = layers.Embedding(vocab, 4)
            self.gru = layers.GRU(units, return_sequences=True, return_state=True)
            self.dense = layers.Dense(vocab)

        def call(self, inputs, states=None, return_state=False, training=False):
            x = self.embedding(inputs, training=training)
            if states is None:
                states = self.gru.get_initial_state(x)
            x, states = self.gru(x, initial_state=states, training=training)
            x = self.dense(x, training=training)
            return (x, states) if return_state else x
    model = CharModel(6, 5)
    ids = np.array([[1, 2, 3], [4, 5, 1]])
    init = model.gru.get_initial_state(2)
    assert len(init) == 1 and init[0].shape == (2, 5) and float(np.abs(init[0].numpy()).sum()) == 0
    assert len(layers.LSTM(3).get_initial_state(4)) == 2
    logits, state = model(ids, return_state=True)
    assert logits.shape == (2, 3, 6) and state.shape == (2, 5)
    # carrying the state over equals running the whole sequence at once
    first, s1 = model(ids[:, :2], return_state=True)
    last, _ = model(ids[:, 2:], states=s1, return_state=True)
    np.testing.assert_allclose(last.numpy()[:, 0], logits.numpy()[:, 2], rtol=1e-5, atol=1e-6)
    mask = tf.sparse.to_dense(tf.SparseTensor(values=[-float("inf")], indices=[[1]], dense_shape=[6]))
    assert mask.dtype == tf.float32 and np.isneginf(mask.numpy()[1]) and mask.numpy()[[0, 2]].tolist() == [0, 0]
    masked = logits[:, -1, :] + mask
    sampled = tf.random.categorical(masked, num_samples=20).numpy()
    assert (sampled != 1).all()
    with pytest.raises(ValueError, match=r"\[SparseTensor\] an index is outside"):
        tf.SparseTensor(indices=[[7]], values=[1.0], dense_shape=[6])
    with pytest.raises(ValueError, match="indices repeat"):
        tf.sparse.to_dense(tf.SparseTensor(indices=[[1], [1]], values=[1.0, 2.0], dense_shape=[3]))


# ---- customization/custom_training: tf.Module ------------------------------------------------

def test_tf_module_tracks_variables_and_trains():
    class Linear(tf.Module):
        def __init__(self, **kwargs):
            super().__init__(**kwargs)
            self.w = tf.Variable(5.0)
            self.b = tf.Variable(0.0)
            self.step = tf.Variable(0, trainable=False)

        def __call__(self, x):
            return self.w * x + self.b

    class Stack(tf.Module):
        def __init__(self):
            super().__init__(name="stack")
            self.parts = [Linear(name="first"), Linear()]
    m = Linear()
    assert m.name == "linear" and m(3.0).numpy() == 15.0
    assert len(m.variables) == 3 and len(m.trainable_variables) == 2
    assert len(m.non_trainable_variables) == 1
    s = Stack()
    assert [p.name for p in s.submodules] == ["first", "linear"] and len(s.trainable_variables) == 4
    rng = np.random.default_rng(6)
    x = tf.constant(rng.normal(size=200).astype(np.float32))
    y = 3.0 * x + 2.0
    for _ in range(60):
        with tf.GradientTape() as tape:
            loss = tf.reduce_mean(tf.square(m(x) - y))
        dw, db = tape.gradient(loss, [m.w, m.b])
        m.w.assign_sub(0.1 * dw)
        m.b.assign_sub(0.1 * db)
    assert abs(float(m.w.numpy()) - 3.0) < 0.05 and abs(float(m.b.numpy()) - 2.0) < 0.05
    with pytest.raises(ValueError, match="not a valid module name"):
        Linear(name="has space")


# ---- structured_data/preprocessing_layers: adapted lookups survive save / load_model -----------

def test_adapted_lookups_are_saved_with_the_model(tmp_path):
    rng = np.random.default_rng(7)
    ages = rng.integers(0, 60, (80, 1))
    kinds = rng.choice(["Cat", "Dog"], (80, 1))
    ds = tf.data.Dataset.from_tensor_slices(({"Age": ages, "Type": kinds}, np.zeros(80))).batch(16)
    age_in = keras.Input(shape=(1,), name="Age", dtype="int64")
    type_in = keras.Input(shape=(1,), name="Type", dtype="string")
    age_lookup = layers.IntegerLookup(max_tokens=5)
    age_lookup.adapt(ds.map(lambda x, y: x["Age"]))
    type_lookup = layers.StringLookup(max_tokens=5)
    type_lookup.adapt(ds.map(lambda x, y: x["Type"]))
    feats = layers.concatenate([
        layers.CategoryEncoding(num_tokens=age_lookup.vocabulary_size())(age_lookup(age_in)),
        layers.CategoryEncoding(num_tokens=type_lookup.vocabulary_size())(type_lookup(type_in))])
    model = keras.Model({"Age": age_in, "Type": type_in}, layers.Dense(1)(feats))
    path = str(tmp_path / "pets.keras")
    model.save(path)
    reloaded = keras.models.load_model(path)
    x = {"Age": ages[:8], "Type": kinds[:8]}
    np.testing.assert_allclose(reloaded.predict(x, verbose=0), model.predict(x, verbose=0), rtol=1e-6)
    vocabs = {lyr.name: lyr.get_vocabulary() for lyr in reloaded.layers if hasattr(lyr, "get_vocabulary")}
    assert vocabs[age_lookup.name] == age_lookup.get_vocabulary()
    assert vocabs[type_lookup.name] == type_lookup.get_vocabulary()
    sample = {"Age": tf.convert_to_tensor([3]), "Type": tf.convert_to_tensor(["Cat"])}
    np.testing.assert_allclose(reloaded.predict(sample, verbose=0), model.predict(sample, verbose=0),
                               rtol=1e-6)
