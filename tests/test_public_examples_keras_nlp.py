"""Patterns of keras-io NLP / structured-data programs run with only their imports changed
(docs/public_examples.md): text classification with a Transformer, imbalanced classification,
the English-to-Spanish sequence-to-sequence Transformer (TF 2 text), ... Tiny sizes, synthetic
data, references in NumPy float64."""
import numpy as np
import pytest

import pyengine as tf
from pyengine import keras
from pyengine.keras import layers


def _masked_seq_model():
    inp = keras.Input(shape=(None,), dtype="int64")
    x = layers.Embedding(10, 4, mask_zero=True)(inp)
    x = layers.LayerNormalization()(x)  # passes the mask on, as Dense does
    out = layers.Dense(5, activation="softmax")(x)
    return keras.Model(inp, out)


def _padded_batch():
    x = np.array([[1, 2, 0, 0], [3, 4, 5, 0], [6, 0, 0, 0]])
    y = np.random.default_rng(0).integers(0, 5, size=(3, 4))
    return x, y


# ---- tf.newaxis (the translation Transformer's `mask[:, tf.newaxis, :]`) -------------------

def test_tf_newaxis_indexes_a_new_axis():
    assert tf.newaxis is None
    m = tf.math.not_equal(tf.constant([[1, 0, 2]]), 0)
    assert tuple(tf.cast(m[:, tf.newaxis, :], dtype="int32").shape) == (1, 1, 3)


# ---- a masked output's loss and mean metrics (Keras 3: positions the mask drops do not count) --

def test_fit_and_evaluate_weigh_the_loss_by_the_output_mask():
    # Keras 3: the loss counts the unmasked positions; mean metrics use the mask only with
    # sample weights (weighted_metrics), plain `metrics` count every position
    model = _masked_seq_model()
    model.compile(optimizer=keras.optimizers.SGD(0.0), loss="sparse_categorical_crossentropy",
                  metrics=["accuracy"], weighted_metrics=["accuracy"])
    x, y = _padded_batch()
    sw = np.array([1.0, 2.0, 0.5])
    logs = model.evaluate(x, y, sample_weight=sw, verbose=0, return_dict=True)
    p = model.predict(x, verbose=0).astype(np.float64)
    keep = (x != 0).astype(np.float64)
    nll = -np.log(np.take_along_axis(p, y[..., None], -1)[..., 0])
    hit = (p.argmax(-1) == y).astype(np.float64)
    w = keep * sw[:, None]
    np.testing.assert_allclose(logs["loss"], (nll * w).sum() / keep.sum(), rtol=1e-5)
    np.testing.assert_allclose(logs["accuracy"], hit.mean(), rtol=1e-6)
    np.testing.assert_allclose(logs["weighted_accuracy"], (hit * w).sum() / w.sum(), rtol=1e-6)
    hist = model.fit(x, y, batch_size=3, epochs=1, verbose=0).history  # lr 0: same weights
    np.testing.assert_allclose(hist["loss"][0], (nll * keep).sum() / keep.sum(), rtol=1e-5)


def test_loss_object_on_a_masked_prediction_follows_keras_reductions():
    model = _masked_seq_model()
    x, y = _padded_batch()
    pred = model(x)
    p = pred.numpy().astype(np.float64)
    keep = (x != 0).astype(np.float64)
    nll = -np.log(np.take_along_axis(p, y[..., None], -1)[..., 0])
    scce = keras.losses.SparseCategoricalCrossentropy
    np.testing.assert_allclose(float(scce()(y, pred)), (nll * keep).sum() / keep.sum(), rtol=1e-5)
    np.testing.assert_allclose(float(scce(reduction="sum")(y, pred)), (nll * keep).sum(),
                               rtol=1e-5)
    none = scce(reduction="none")(y, pred).numpy()
    np.testing.assert_allclose(none, nll * keep, rtol=1e-5, atol=1e-7)
    acc = keras.metrics.SparseCategoricalAccuracy()
    acc.update_state(y, pred)  # no sample weights: Keras 3 does not use the mask
    np.testing.assert_allclose(acc.result(), (p.argmax(-1) == y).mean())
    acc = keras.metrics.SparseCategoricalAccuracy()
    acc.update_state(y, pred, sample_weight=np.ones(3))
    np.testing.assert_allclose(acc.result(), ((p.argmax(-1) == y) * keep).sum() / keep.sum())


def test_mask_of_another_shape_than_the_losses_is_refused():
    pred = tf.constant(np.full((2, 3, 4), 0.25, np.float32))
    pred._keras_mask = np.ones((2, 5), bool)
    with pytest.raises(ValueError, match="mask of shape"):
        keras.losses.SparseCategoricalCrossentropy()(np.zeros((2, 3)), pred)


def test_mask_set_as_attribute_inside_call_reaches_the_loss():
    class Halve(layers.Layer):  # TF 2's way: `outputs._keras_mask = mask` inside call
        def call(self, x):
            y = x * 0.5
            y._keras_mask = tf.math.not_equal(x[..., 0], 0.0)
            return y

    x = np.array([[[1.0, 1.0], [0.0, 1.0], [2.0, 1.0]]], np.float32)
    out = Halve()(x)
    np.testing.assert_array_equal(out._keras_mask.numpy(), [[True, False, True]])
    mse = keras.losses.MeanSquaredError()(np.zeros((1, 3, 2), np.float32), out)
    per = (0.5 * x.astype(np.float64)) ** 2
    per = per.mean(-1)[0]  # positions 0 and 2 count, position 1 is masked
    np.testing.assert_allclose(float(mse), (per[0] + per[2]) / 2, rtol=1e-6)


# ---- SparseCategoricalCrossentropy(ignore_class=) (the Keras 3 translation Transformer) -------

def test_sparse_crossentropy_ignore_class_against_numpy():
    y = np.array([0, 1, 2])
    p = np.array([[0.8, 0.1, 0.1], [0.05, 0.95, 0.0], [0.1, 0.8, 0.1]], np.float32)
    scce = keras.losses.SparseCategoricalCrossentropy
    want = (-np.log(0.95) - np.log(0.1)) / 2  # the mean over the two labels not ignored
    np.testing.assert_allclose(float(scce(ignore_class=0)(y, p)), want, rtol=1e-6)
    np.testing.assert_allclose(scce(ignore_class=0, reduction="none")(y, p).numpy(),
                               [0.0, -np.log(0.95), -np.log(0.1)], rtol=1e-6)
    # an ignored label outside [0, classes) is allowed (padding labelled -1)
    np.testing.assert_allclose(float(scce(ignore_class=-1)(np.array([-1, 1, 2]), p)), want,
                               rtol=1e-6)
    logits = np.log(np.clip(p, 1e-7, 1.0))
    np.testing.assert_allclose(float(scce(from_logits=True, ignore_class=0)(y, logits)),
                               want, rtol=1e-5)
    with pytest.raises(ValueError, match="ignore_class"):
        scce(ignore_class=0.5)


def test_fit_with_ignore_class_trains_only_on_kept_positions():
    rng = np.random.default_rng(1)
    x = rng.normal(size=(16, 5, 3)).astype(np.float32)
    y = rng.integers(1, 4, size=(16, 5))
    y[:, 3:] = 0  # padding targets
    model = keras.Sequential([keras.Input((5, 3)), layers.Dense(4, activation="softmax")])
    model.compile(optimizer=keras.optimizers.SGD(0.0),
                  loss=keras.losses.SparseCategoricalCrossentropy(ignore_class=0))
    loss = model.evaluate(x, y, verbose=0)
    p = model.predict(x, verbose=0).astype(np.float64)
    nll = -np.log(np.take_along_axis(p, y[..., None], -1)[..., 0])
    np.testing.assert_allclose(loss, nll[y != 0].mean(), rtol=1e-5)
    model.compile(optimizer=keras.optimizers.Adam(0.05),
                  loss=keras.losses.SparseCategoricalCrossentropy(ignore_class=0))
    hist = model.fit(x, y, epochs=5, batch_size=16, verbose=0).history["loss"]
    assert hist[-1] < hist[0]


# ---- the NER program's input pipeline: TextLineDataset, tf.strings.split / to_number,
# ---- padded_batch, and its loss written with Reduction.NONE ----------------------------------

def _write(path, text, opener=open, mode="w"):
    with opener(path, mode) as f:
        f.write(text)
    return str(path)


def test_text_line_dataset_lines_files_and_compression(tmp_path):
    import gzip
    import zlib
    a = _write(tmp_path / "a.txt", "a1\r\na2\na3")
    b = _write(tmp_path / "b.txt", "b1\n")
    c = _write(tmp_path / "c.txt", "c1\nc2\n")
    lines = lambda ds: [str(x) for x in ds.as_numpy_iterator()]  # noqa: E731
    assert lines(tf.data.TextLineDataset(a)) == ["a1", "a2", "a3"]
    assert lines(tf.data.TextLineDataset([a, b, c])) == ["a1", "a2", "a3", "b1", "c1", "c2"]
    # two files at a time, one line from each in turn (tf.data's interleave order)
    assert lines(tf.data.TextLineDataset([a, b, c], num_parallel_reads=2)) == \
        ["a1", "b1", "a2", "a3", "c1", "c2"]
    gz = _write(tmp_path / "g.gz", "x\ny\n".encode(), gzip.open, "wb")
    assert lines(tf.data.TextLineDataset(gz, compression_type="GZIP")) == ["x", "y"]
    zl = _write(tmp_path / "z.zz", zlib.compress("p\nq".encode()), open, "wb")
    assert lines(tf.data.TextLineDataset(zl, compression_type="ZLIB")) == ["p", "q"]
    with pytest.raises(ValueError, match="compression_type"):
        tf.data.TextLineDataset(a, compression_type="BZ2")
    element = next(iter(tf.data.TextLineDataset(a)))
    assert element.dtype == tf.string and element.shape == ()


def test_strings_split_and_to_number():
    record = tf.strings.split(np.asarray("3\tEU\trejects\tGerman\t3\t0\t7"), sep="\t")
    n = tf.strings.to_number(record[0], out_type=tf.int32)
    assert n.dtype == tf.int32 and int(n) == 3
    tags = tf.strings.to_number(record[n + 1:], out_type=tf.int64)
    tags += 1
    np.testing.assert_array_equal(tags.numpy(), [4, 1, 8])
    assert list(tf.strings.lower(record[1:n + 1])) == ["eu", "rejects", "german"]
    assert list(tf.strings.split("  a b\tc ")) == ["a", "b", "c"]
    assert list(tf.strings.split("a,,b", sep=",")) == ["a", "", "b"]
    np.testing.assert_allclose(tf.strings.to_number(["1.5", "-2"]).numpy(), [1.5, -2.0])
    with pytest.raises(ValueError, match="not a valid int64"):
        tf.strings.to_number("x1", out_type=tf.int64)
    # a batch splits into ragged rows (tests/test_ragged.py); a 2-D batch is refused
    assert tf.strings.split(["a b", "c"]).to_list() == [["a", "b"], ["c"]]
    with pytest.raises(ValueError, match="ragged"):
        tf.strings.split([["a b"], ["c"]])


def test_padded_batch_pads_each_component():
    seqs = [np.arange(1, n + 1) for n in (2, 4, 1)]
    ds = tf.data.Dataset.from_generator(
        lambda: ((s, s * 10) for s in seqs),
        output_signature=(tf.TensorSpec((None,), tf.int64), tf.TensorSpec((None,), tf.int64)))
    (x, y), = list(ds.padded_batch(3).as_numpy_iterator())
    np.testing.assert_array_equal(x, [[1, 2, 0, 0], [1, 2, 3, 4], [1, 0, 0, 0]])
    np.testing.assert_array_equal(y[1], [10, 20, 30, 40])
    batches = list(ds.padded_batch(2, padded_shapes=([5], [None]), padding_values=(-1, 0))
                   .as_numpy_iterator())
    assert [b[0].shape for b in batches] == [(2, 5), (1, 5)]
    np.testing.assert_array_equal(batches[0][0][0], [1, 2, -1, -1, -1])
    with pytest.raises(ValueError, match="more than the padded shape"):
        list(ds.padded_batch(3, padded_shapes=([3], [None])))
    words = tf.data.Dataset.from_generator(lambda: iter([np.array(["a", "b"]), np.array(["c"])]),
                                           output_signature=tf.TensorSpec((None,), tf.string))
    np.testing.assert_array_equal(next(words.padded_batch(2).as_numpy_iterator()),
                                  [["a", "b"], ["c", ""]])


def test_map_may_return_text_from_tf_strings():
    ds = tf.data.Dataset.from_tensor_slices(np.array(["A b", "C"]))
    out = list(ds.map(lambda s: tf.strings.lower(tf.strings.split(s))).as_numpy_iterator())
    assert [list(o) for o in out] == [["a", "b"], ["c"]]


def test_ner_loss_with_reduction_none_masks_padding():
    class CustomLoss(keras.losses.Loss):  # the NER program's loss (TF 2 spelling)
        def call(self, y_true, y_pred):
            loss_fn = keras.losses.SparseCategoricalCrossentropy(
                from_logits=True, reduction=keras.losses.Reduction.NONE)
            loss = loss_fn(y_true, y_pred)
            mask = tf.cast((y_true > 0), dtype=tf.float32)
            return tf.reduce_sum(loss * mask) / tf.reduce_sum(mask)

    assert keras.losses.Reduction.AUTO == "auto"
    assert keras.losses.SparseCategoricalCrossentropy(reduction="auto").reduction == \
        "sum_over_batch_size"
    rng = np.random.default_rng(2)
    logits = rng.normal(size=(2, 3, 4)).astype(np.float32)
    y = np.array([[1, 2, 0], [3, 0, 0]])
    z = logits.astype(np.float64)
    logp = z - np.log(np.exp(z).sum(-1, keepdims=True))
    nll = -np.take_along_axis(logp, y[..., None], -1)[..., 0]
    np.testing.assert_allclose(float(CustomLoss()(y, logits)), nll[y > 0].mean(), rtol=1e-5)


def test_keras3_ner_spellings():
    # keras.ops.backend.shape, reduction=None, keras.ops.reshape(new_shape=) (Keras 3 NER text)
    x = np.zeros((2, 7), np.int64)
    assert keras.ops.backend.shape(x)[-1] == 7
    loss = keras.losses.SparseCategoricalCrossentropy(from_logits=True, reduction=None)
    assert loss.reduction == "none"
    assert tuple(loss(np.zeros((2, 3)), np.zeros((2, 3, 4), np.float32)).shape) == (2, 3)
    assert tuple(keras.ops.reshape(np.arange(6), new_shape=[1, -1]).shape) == (1, 6)
    assert tuple(keras.ops.reshape(np.arange(6), (3, 2)).shape) == (3, 2)
    with pytest.raises(TypeError, match="newshape or new_shape"):
        keras.ops.reshape(np.arange(6), (3, 2), new_shape=(2, 3))


# ---- structured data: make_csv_dataset and StringLookup on string keras.Inputs (keras-io
# ---- wide_deep_cross_networks) ----------------------------------------------------------------

def _csv(tmp_path):
    text = "a,b,c,y\n1,2.5,x,0\n2,,\"q,r\",1\n3,4,z,0\n"
    return _write(tmp_path / "t.csv", text)


def test_make_csv_dataset_types_defaults_and_label(tmp_path):
    path = _csv(tmp_path)
    ds = tf.data.experimental.make_csv_dataset(
        path, batch_size=2, label_name="y", num_epochs=1, shuffle=False,
        column_defaults=[[0], [0.0], ["NA"], [0]])
    (f1, y1), (f2, y2) = list(ds.as_numpy_iterator())
    assert f1["a"].dtype == np.int32 and f1["b"].dtype == np.float32 and f1["c"].dtype.kind == "U"
    np.testing.assert_array_equal(f1["b"], [2.5, 0.0])  # the empty field takes its default
    assert list(f1["c"]) == ["x", "q,r"] and list(f2["c"]) == ["z"]
    np.testing.assert_array_equal(np.concatenate([y1, y2]), [0, 1, 0])
    # inferred types: numeric columns are required, as in TensorFlow
    inferred = tf.data.experimental.make_csv_dataset(path, batch_size=3, num_epochs=1,
                                                     shuffle=False)
    with pytest.raises(ValueError, match="row 3: column 'b' is empty"):
        list(inferred)
    kept = tf.data.experimental.make_csv_dataset(path, batch_size=3, num_epochs=1,
                                                 shuffle=False, ignore_errors=True)
    (f,) = list(kept.as_numpy_iterator())
    np.testing.assert_array_equal(f["a"], [1, 3])
    # num_epochs=None repeats; shuffle with a seed permutes rows
    rep = tf.data.experimental.make_csv_dataset(path, batch_size=2, label_name="y",
                                                column_defaults=[[0], [0.0], [""], [0]],
                                                shuffle=True, shuffle_seed=1)
    labels = np.concatenate([y for _, y in rep.take(6).as_numpy_iterator()])
    assert len(labels) == 12 and sorted(labels[:3]) == [0, 0, 1]
    with pytest.raises(ValueError, match="label_name"):
        tf.data.experimental.make_csv_dataset(path, batch_size=2, label_name="nope")


def test_string_lookup_on_string_inputs_inside_a_model():
    s = layers.Input(name="s", shape=(), dtype="string")
    n = layers.Input(name="n", shape=(), dtype="float32")
    multi = layers.StringLookup(vocabulary=["a", "b"], mask_token=None, num_oov_indices=0,
                                output_mode="binary")(keras.ops.expand_dims(s, -1))
    ids = layers.StringLookup(vocabulary=["a", "b"], mask_token=None, num_oov_indices=0)(s)
    emb = layers.Embedding(2, 3)(ids)
    x = layers.concatenate([multi, emb, keras.ops.expand_dims(n, -1)])
    assert tuple(x.shape) == (None, 6)
    enc = keras.Model({"s": s, "n": n}, x)
    out = enc({"s": np.array(["b", "a"]), "n": np.array([5.0, 7.0], np.float32)}).numpy()
    np.testing.assert_array_equal(out[:, :2], [[0, 1], [1, 0]])
    np.testing.assert_array_equal(out[:, -1], [5.0, 7.0])
    table = enc.layers[[type(layer).__name__ for layer in enc.layers].index("Embedding")]
    np.testing.assert_allclose(out[:, 2:5], table.get_weights()[0][[1, 0]])
    with pytest.raises(ValueError, match="not in the vocabulary"):
        enc({"s": np.array(["c"]), "n": np.array([1.0], np.float32)})
    model = keras.Model({"s": s, "n": n}, layers.Dense(2, activation="softmax")(x))
    model.compile("adam", "sparse_categorical_crossentropy")
    rng = np.random.default_rng(0)
    words = rng.choice(["a", "b"], size=64)
    hist = model.fit({"s": words, "n": rng.normal(size=64).astype(np.float32)},
                     (words == "b").astype(np.int64), epochs=5, batch_size=16, verbose=0)
    assert hist.history["loss"][-1] < hist.history["loss"][0]


def test_more_keras_activations_against_numpy():
    # keras-io TabTransformer's MLP uses keras.activations.selu
    x = np.array([-2.0, -0.5, 0.0, 1.0, 7.0])
    alpha, scale = 1.6732632423543772848170429916717, 1.0507009873554804934193349852946
    want = {"selu": scale * np.where(x > 0, x, alpha * np.expm1(x)),
            "relu6": np.clip(x, 0, 6), "softsign": x / (1 + np.abs(x)),
            "mish": x * np.tanh(np.log1p(np.exp(x))), "exponential": np.exp(x)}
    for name, ref in want.items():
        fn = getattr(keras.activations, name)
        np.testing.assert_allclose(fn(x.astype(np.float32)).numpy(), ref, rtol=1e-5, atol=1e-6)
        assert keras.activations.get(name).__name__ == name
    dense = layers.Dense(2, activation=keras.activations.selu)
    dense.build((None, 3))
    assert dense.get_config()["activation"] == "selu"  # saved by name


def test_one_weight_per_sample_for_sequence_values():
    # (N,) weights with (N, steps) values: each sample's mean is weighed (Keras 3); with
    # N == steps the weights used to be broadcast along the steps, silently
    v = np.arange(16.0).reshape(4, 4)
    w = np.array([1.0, 0.0, 0.0, 3.0])
    m = keras.metrics.Mean()
    m.update_state(v, sample_weight=w)
    np.testing.assert_allclose(m.result(), (v.mean(1) * w).sum() / w.sum())
    p = np.random.default_rng(3).dirichlet(np.ones(5), size=(4, 4)).astype(np.float32)
    y = np.random.default_rng(4).integers(0, 5, size=(4, 4))
    nll = -np.log(np.take_along_axis(p.astype(np.float64), y[..., None], -1)[..., 0])
    loss = keras.losses.SparseCategoricalCrossentropy()(y, p, sample_weight=w)
    np.testing.assert_allclose(float(loss), (nll * w[:, None]).mean(), rtol=1e-5)


def test_keras_backend_backend_names_the_backend(monkeypatch):
    # keras-io GRN / VSN and StyleGAN branch on keras.backend.backend(): the TensorFlow branch
    # runs on pyengine's tf names, or the torch branch when the program chose torch
    monkeypatch.delenv("KERAS_BACKEND", raising=False)
    assert keras.backend.backend() == keras.config.backend() == "tensorflow"
    monkeypatch.setenv("KERAS_BACKEND", "torch")
    assert keras.backend.backend() == "torch"
    monkeypatch.setenv("KERAS_BACKEND", "jax")  # no jax here: the TensorFlow branch
    assert keras.backend.backend() == "tensorflow"
