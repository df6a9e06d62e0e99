"""keras.utils.FeatureSpace: every feature kind against NumPy references, crosses, concat /
dict outputs, adapt on batched and unbatched datasets, errors, saving, and keras-io's
structured_data_classification_with_feature_space pattern end to end (tiny, synthetic)."""
import numpy as np
import pytest

import pyengine as tf
from pyengine import keras
from pyengine.keras.utils import FeatureSpace

N = 120


def _table(n=N, seed=0):
    rng = np.random.default_rng(seed)
    return {"age": rng.integers(29, 78, n), "sex": rng.integers(0, 2, n),
            "ca": rng.choice([0, 1, 1, 2, 2, 2, 3], n),
            "chol": rng.normal(240.0, 50.0, n), "oldpeak": np.round(rng.uniform(0, 6, n), 1),
            "thal": rng.choice(["normal", "normal", "fixed", "reversible"], n)}


def _adapted(features, data=None, batch=16, **kwargs):
    fs = FeatureSpace(features, **kwargs)
    fs.adapt(tf.data.Dataset.from_tensor_slices(data or _table()).batch(batch))
    return fs


def _only(data, fs):
    """The columns fs takes (as in Keras, a key that is not a feature is an error)."""
    return {k: data[k] for k in fs.features}


def _vocab_by_count(values):
    """Keras' vocabulary order: count descending, ties by value descending."""
    uniq, counts = np.unique(values, return_counts=True)
    order = np.lexsort((uniq, counts))[::-1]
    return uniq[order].tolist()


def test_float_kinds_against_numpy():
    data = _table()
    fs = _adapted({"chol": "float_normalized", "oldpeak": "float",
                   "age": FeatureSpace.float_rescaled(scale=0.5, offset=-1.0)},
                  output_mode="dict")
    out = fs(_only(data, fs))
    chol = data["chol"].astype(np.float32).astype(np.float64)
    np.testing.assert_allclose(out["chol"].numpy()[:, 0], (chol - chol.mean()) / chol.std(),
                               rtol=1e-4, atol=1e-5)
    np.testing.assert_allclose(out["oldpeak"].numpy()[:, 0], data["oldpeak"], rtol=1e-6)
    np.testing.assert_allclose(out["age"].numpy()[:, 0], data["age"] * 0.5 - 1.0)
    assert all(v.numpy().dtype == np.float32 and v.shape == (N, 1) for v in out.values())
    norm = fs.preprocessors["chol"]
    np.testing.assert_allclose(norm.mean.numpy(), [chol.mean()], rtol=1e-5)
    np.testing.assert_allclose(norm.variance.numpy(), [chol.var()], rtol=1e-4)


def test_float_discretized_bins():
    data = _table()
    fs = _adapted({"age": FeatureSpace.float_discretized(num_bins=4, bin_boundaries=[40, 50, 60]),
                   "chol": FeatureSpace.float_discretized(num_bins=5, output_mode="int")},
                  output_mode="dict")
    out = fs(_only(data, fs))
    want = np.searchsorted([40, 50, 60], data["age"], side="right")
    np.testing.assert_array_equal(out["age"].numpy(), np.eye(4, dtype=np.float32)[want])
    bounds = fs.preprocessors["chol"].bin_boundaries
    assert len(bounds) == 4  # learned quantiles: about a fifth of the values per bin
    ids = out["chol"].numpy()[:, 0]
    np.testing.assert_array_equal(ids, np.searchsorted(
        bounds, data["chol"].astype(np.float32), side="right"))
    assert np.bincount(ids, minlength=5).min() >= N // 5 - 6
    with pytest.raises(ValueError, match="bin_boundaries"):
        FeatureSpace.float_discretized(num_bins=3, bin_boundaries=[1.0])


def test_categorical_one_hot_int_and_oov():
    data = _table()
    fs = _adapted({"ca": "integer_categorical", "thal": "string_categorical",
                   "sex": FeatureSpace.integer_categorical(num_oov_indices=0, output_mode="int")},
                  output_mode="dict")
    ca_vocab, thal_vocab = _vocab_by_count(data["ca"]), _vocab_by_count(data["thal"])
    assert fs.preprocessors["ca"].get_vocabulary() == [-1] + ca_vocab
    assert fs.preprocessors["thal"].get_vocabulary() == ["[UNK]"] + thal_vocab
    new = {"ca": np.array([ca_vocab[0], 9]), "thal": np.array(["nope", thal_vocab[1]]),
           "sex": np.array([0, 1])}
    out = fs(new)
    np.testing.assert_array_equal(out["ca"].numpy(), np.eye(5, dtype=np.float32)[[1, 0]])
    np.testing.assert_array_equal(out["thal"].numpy(), np.eye(4, dtype=np.float32)[[0, 2]])
    sex_vocab = _vocab_by_count(data["sex"])
    assert out["sex"].numpy().dtype == np.int64
    assert out["sex"].numpy()[:, 0].tolist() == [sex_vocab.index(0), sex_vocab.index(1)]
    with pytest.raises(ValueError, match="not in the vocabulary"):
        fs({"ca": np.array([1]), "thal": np.array(["normal"]), "sex": np.array([5])})


def test_hashed_kinds_match_the_hashing_layer():
    data = _table()
    fs = FeatureSpace({"thal": "string_hashed", "age": FeatureSpace.integer_hashed(8)},
                      hashing_dim=16, output_mode="dict")
    out = fs(_only(data, fs))  # nothing to adapt: usable at once
    for name, bins in (("thal", 16), ("age", 8)):
        ids = keras.layers.Hashing(num_bins=bins)(data[name]).numpy()
        np.testing.assert_array_equal(out[name].numpy(), np.eye(bins, dtype=np.float32)[ids])
    again = FeatureSpace({"thal": "string_hashed"}, hashing_dim=16)({"thal": data["thal"]})
    np.testing.assert_array_equal(again.numpy(), out["thal"].numpy())


def test_crosses_hash_the_preprocessed_columns():
    data = _table()
    fs = _adapted({"sex": "integer_categorical", "thal": "string_categorical",
                   "age": FeatureSpace.float_discretized(num_bins=4, bin_boundaries=[40, 50, 60])},
                  crosses=[("sex", "age"),
                           FeatureSpace.cross(("thal", "sex"), crossing_dim=8, output_mode="int")],
                  crossing_dim=16, output_mode="dict")
    out = fs(_only(data, fs))
    assert list(out) == ["age", "sex", "thal", "sex_X_age", "thal_X_sex"]
    sex_ids = fs.preprocessors["sex"](data["sex"]).numpy()
    thal_ids = fs.preprocessors["thal"](data["thal"]).numpy()
    age_ids = np.searchsorted([40, 50, 60], data["age"], side="right")
    want = keras.layers.HashedCrossing(16)((sex_ids, age_ids)).numpy()
    np.testing.assert_array_equal(out["sex_X_age"].numpy(), np.eye(16, dtype=np.float32)[want])
    want = keras.layers.HashedCrossing(8)((thal_ids, sex_ids)).numpy()
    np.testing.assert_array_equal(out["thal_X_sex"].numpy()[:, 0], want)
    assert isinstance(fs.crossers["sex_X_age"], keras.layers.HashedCrossing)


def test_concat_is_the_dict_in_sorted_order():
    data = _table()
    features = {"thal": "string_categorical", "chol": "float_normalized", "ca":
                "integer_categorical", "age": "float_discretized"}
    kw = dict(crosses=[("thal", "ca")], crossing_dim=8, num_discretization_bins=6)
    as_dict = _adapted(features, output_mode="dict", **kw)
    as_dict = as_dict(_only(data, as_dict))
    concat = _adapted(features, output_mode="concat", **kw)
    concat = concat(_only(data, concat))
    assert list(as_dict) == ["age", "ca", "chol", "thal", "thal_X_ca"]
    widths = [v.shape[1] for v in as_dict.values()]
    assert widths == [6, 5, 1, 4, 8] and concat.shape == (N, sum(widths))
    np.testing.assert_array_equal(concat.numpy(),
                                  np.concatenate([v.numpy() for v in as_dict.values()], -1))


def test_adapt_batched_unbatched_and_single_examples():
    data = _table()
    features = {"chol": "float_normalized", "thal": "string_categorical",
                "age": "float_discretized", "ca": "integer_categorical"}
    batched = _adapted(features, num_discretization_bins=5)
    unbatched = FeatureSpace(features, num_discretization_bins=5)
    unbatched.adapt(tf.data.Dataset.from_tensor_slices(data))
    cols = _only(data, batched)
    full = batched(cols).numpy()
    np.testing.assert_allclose(full, unbatched(cols).numpy(), atol=1e-6)
    one = {k: v[3] for k, v in cols.items()}  # one unbatched example: a 1-D result
    row = batched(one).numpy()
    assert row.shape == (full.shape[1],)
    np.testing.assert_allclose(row, full[3], atol=1e-6)
    # inside a pipeline, labels kept apart
    ds = tf.data.Dataset.from_tensor_slices((cols, np.arange(N))).batch(32)
    shapes = [(x.shape, y.shape) for x, y in ds.map(lambda x, y: (batched(x), y))]
    assert shapes[0] == ((32, row.shape[0]), (32,)) and len(shapes) == 4


def test_errors_are_clear():
    data = _table()
    with pytest.raises(ValueError, match=r"unknown features \['nope'\]"):
        FeatureSpace({"sex": "integer_categorical"}, crosses=[("sex", "nope")])
    fs = FeatureSpace({"sex": "integer_categorical", "chol": "float_normalized"})
    with pytest.raises(ValueError, match="adapt"):
        fs({"sex": data["sex"], "chol": data["chol"]})
    with pytest.raises(ValueError, match="adapt"):
        fs.get_encoded_features()
    with pytest.raises(ValueError, match="without labels"):
        fs.adapt(tf.data.Dataset.from_tensor_slices((data, data["sex"])))
    with pytest.raises(ValueError, match="Dataset"):
        fs.adapt(data)
    fs.adapt(tf.data.Dataset.from_tensor_slices(data).batch(40))
    with pytest.raises(ValueError, match=r"missing \['chol'\], unknown \['age'\]"):
        fs({"sex": data["sex"], "age": data["age"]})
    with pytest.raises(ValueError, match="only be called with a dict"):
        fs(data["sex"])
    with pytest.raises(ValueError, match="invalid feature type"):
        FeatureSpace({"sex": "categorical"})
    with pytest.raises(ValueError, match="output_mode"):
        FeatureSpace({"sex": "integer_categorical"}, output_mode="list")
    with pytest.raises(ValueError, match="output_mode"):
        FeatureSpace.cross(("a", "b"), crossing_dim=4, output_mode="multi_hot")
    floats = _adapted({"sex": "integer_categorical", "chol": "float_normalized"},
                      crosses=[("sex", "chol")])
    with pytest.raises(ValueError, match=r"feature\(s\) \['chol'\] give floats"):
        floats(_only(data, floats))
    ints = _adapted({"sex": FeatureSpace.integer_categorical(output_mode="int")})
    with pytest.raises(ValueError, match="has not been encoded"):
        ints(_only(data, ints))


def _heart_like(n, seed):
    rng = np.random.default_rng(seed)
    cols = {"age": rng.integers(29, 78, n), "sex": rng.integers(0, 2, n),
            "cp": rng.integers(0, 5, n), "chol": rng.integers(126, 565, n),
            "oldpeak": np.round(rng.uniform(0, 6.2, n), 1), "ca": rng.integers(0, 4, n),
            "thal": rng.choice(["fixed", "normal", "reversible"], n)}
    label = (((cols["thal"] != "normal") & (cols["ca"] > 0)) | (cols["oldpeak"] > 3.5))
    return cols, label.astype(np.int64)


def test_keras_io_pattern_end_to_end(tmp_path):
    """Training model on the encoded features, inference model on raw dict inputs; both
    predict the same; the FeatureSpace and the inference model save and load."""
    tf.manual_seed(0)
    cols, label = _heart_like(240, 1)
    train = tf.data.Dataset.from_tensor_slices((cols, label)).shuffle(240).batch(32)
    fs = FeatureSpace(
        features={"sex": FeatureSpace.integer_categorical(num_oov_indices=0),
                  "cp": FeatureSpace.integer_categorical(num_oov_indices=0),
                  "ca": FeatureSpace.integer_categorical(num_oov_indices=0),
                  "thal": FeatureSpace.string_categorical(num_oov_indices=0),
                  "age": FeatureSpace.float_discretized(num_bins=10),
                  "chol": FeatureSpace.float_normalized(),
                  "oldpeak": FeatureSpace.float_normalized()},
        crosses=[FeatureSpace.cross(feature_names=("sex", "age"), crossing_dim=16),
                 FeatureSpace.cross(feature_names=("thal", "ca"), crossing_dim=8)],
        output_mode="concat")
    fs.adapt(train.map(lambda x, _: x))
    pre_train = train.map(lambda x, y: (fs(x), y), num_parallel_calls=tf.data.AUTOTUNE)
    pre_train = pre_train.prefetch(tf.data.AUTOTUNE)

    dict_inputs = fs.get_inputs()
    encoded = fs.get_encoded_features()
    width = 2 + 5 + 4 + 3 + 10 + 1 + 1 + 16 + 8
    assert encoded.shape == (None, width) and set(dict_inputs) == set(cols)
    assert dict_inputs["thal"].dtype == "string" and dict_inputs["sex"].shape == (None, 1)
    x = keras.layers.Dense(16, activation="relu")(encoded)
    x = keras.layers.Dropout(0.5)(x)
    predictions = keras.layers.Dense(1, activation="sigmoid")(x)
    training_model = keras.Model(inputs=encoded, outputs=predictions)
    training_model.compile(optimizer=keras.optimizers.Adam(0.01), loss="binary_crossentropy",
                           metrics=["accuracy"])
    inference_model = keras.Model(inputs=dict_inputs, outputs=predictions)
    hist = training_model.fit(pre_train, epochs=12, verbose=0)
    assert hist.history["loss"][-1] < 0.7 * hist.history["loss"][0]

    val, _ = _heart_like(20, 2)
    direct = inference_model.predict(val, verbose=0)
    np.testing.assert_allclose(direct, training_model.predict(fs(val), verbose=0), atol=1e-6)
    sample = {"age": 60, "sex": 1, "cp": 1, "chol": 233, "oldpeak": 2.3, "ca": 0,
              "thal": "fixed"}
    input_dict = {name: tf.convert_to_tensor([value]) for name, value in sample.items()}
    assert input_dict["thal"].dtype == tf.string
    one = inference_model.predict(input_dict, verbose=0)
    assert one.shape == (1, 1) and 0.0 <= one[0][0] <= 1.0

    fs.save(tmp_path / "fs.keras")
    again = keras.saving.load_model(tmp_path / "fs.keras")
    assert isinstance(again, FeatureSpace)
    np.testing.assert_array_equal(again(val).numpy(), fs(val).numpy())
    inference_model.save(tmp_path / "inference.keras")
    loaded = keras.saving.load_model(tmp_path / "inference.keras")
    np.testing.assert_allclose(loaded.predict(input_dict, verbose=0), one, atol=1e-6)
    np.testing.assert_allclose(loaded.predict(val, verbose=0), direct, atol=1e-6)


def test_dict_mode_encoded_features_build_a_model():
    data = _table()
    fs = _adapted({"thal": "string_categorical", "chol": "float_normalized",
                   "sex": FeatureSpace.integer_categorical(output_mode="int")},
                  output_mode="dict")
    encoded = fs.get_encoded_features()
    assert {k: v.shape for k, v in encoded.items()} == {
        "chol": (None, 1), "sex": (None, 1), "thal": (None, 4)}
    assert encoded["sex"].dtype == "int64"
    emb = keras.layers.Flatten()(keras.layers.Embedding(3, 2)(encoded["sex"]))
    out = keras.layers.Dense(1)(keras.layers.concatenate([encoded["thal"], encoded["chol"], emb]))
    model = keras.Model(fs.get_inputs(), out)
    raw = model.predict(_only(data, fs), verbose=0)
    assert raw.shape == (N, 1)
    cut = keras.Model(encoded, out)  # Keras 3 cuts the graph at the encoded dict
    np.testing.assert_allclose(cut.predict(fs(_only(data, fs)), verbose=0), raw, atol=1e-6)


def test_feature_names_with_dots_and_a_layer_dict_keyed_by_them(tmp_path):
    # keras-io feature_space_advanced: the bank-marketing columns 'emp.var.rate', 'nr.employed'
    rng = np.random.default_rng(0)
    data = {"emp.var.rate": rng.normal(1.0, 2.0, 64).astype("float32"),
            "job.kind": rng.choice(["a", "b", "c"], 64)}
    fs = FeatureSpace(features={"emp.var.rate": FeatureSpace.float_normalized(),
                                "job.kind": FeatureSpace.string_categorical(num_oov_indices=0)},
                      output_mode="concat")
    fs.adapt(tf.data.Dataset.from_tensor_slices(data).batch(16))
    out = fs({k: v[:4] for k, v in data.items()}).numpy()
    mean, std = data["emp.var.rate"].mean(), data["emp.var.rate"].std()
    col = [i for i in range(out.shape[1]) if not np.isin(out[:, i], (0.0, 1.0)).all()]
    np.testing.assert_allclose(out[:, col[0]], (data["emp.var.rate"][:4] - mean) / std, rtol=1e-4)
    fs.save(str(tmp_path / "fs.keras"))
    again = keras.saving.load_model(str(tmp_path / "fs.keras"))
    np.testing.assert_allclose(again({k: v[:4] for k, v in data.items()}).numpy(), out)

    class ByName(keras.layers.Layer):
        def __init__(self):
            super().__init__()
            self.proj = {"a.b": keras.layers.Dense(2), "a_b": keras.layers.Dense(3)}

        def call(self, x):
            return keras.ops.concatenate([self.proj["a.b"](x), self.proj["a_b"](x)], -1)
    layer = ByName()
    assert layer(np.ones((1, 4), "float32")).shape == (1, 5)
    assert len(layer.trainable_weights) == 4  # both Dense layers tracked, no clash
