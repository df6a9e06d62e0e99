"""The keras-io structured-data pattern end to end, tiny and synthetic: string and integer
categorical columns in a pe.data pipeline told apart by `dtype == "string"` and one-hot
encoded in map(); a numeric column normalised by an adapted Normalization whose OUTPUT is
given as the model input (Keras 3 cuts the graph there); a dict-taking layer; fit with a
validation dataset."""
import numpy as np

import pyengine as tf
from pyengine import keras

VOCAB = {"colour": ["blue", "green", "red"], "size": [1, 2, 3, 4]}


def _frame(n, rng):
    colour = rng.choice(VOCAB["colour"], n)
    size = rng.integers(1, 5, n)
    weight = rng.normal(50.0, 10.0, n).astype(np.float32)
    label = ((colour == "red") | (weight > 55)).astype(np.int64)
    return {"colour": colour, "size": size, "weight": weight}, label


def _encode(features, label):
    out = dict(features)
    for name, vocab in VOCAB.items():
        kind = keras.layers.StringLookup if features[name].dtype == "string" \
            else keras.layers.IntegerLookup
        out[name] = kind(vocabulary=vocab, mask_token=None, num_oov_indices=0,
                         output_mode="binary")(features[name])
    return out, label


class _Head(keras.layers.Layer):
    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self.hidden = keras.layers.Dense(16, activation="relu")
        self.out = keras.layers.Dense(1, activation="sigmoid")

    def call(self, inputs):
        return self.out(self.hidden(keras.layers.concatenate(list(inputs.values()))))


def test_structured_pipeline_with_string_column_and_cut_inputs():
    tf.manual_seed(0)
    rng = np.random.default_rng(0)
    kinds = []
    train = tf.data.Dataset.from_tensor_slices(_frame(96, rng)).map(
        lambda f, y: (kinds.append(f["colour"].dtype == "string") or _encode(f, y)))
    val = tf.data.Dataset.from_tensor_slices(_frame(32, rng)).map(_encode)
    inputs = {}
    for name, vocab in VOCAB.items():
        inputs[name] = keras.Input((len(vocab),), name=name, dtype="int64")
    raw = keras.Input((1,), name="weight")
    norm = keras.layers.Normalization()
    norm.adapt(train.map(lambda f, y: tf.expand_dims(f["weight"], -1)))
    inputs["weight"] = norm(raw)                      # an intermediate tensor as model input
    model = keras.Model(inputs, _Head()(inputs))
    assert "normalization" not in [lyr.name for lyr in model.layers]
    model.compile(keras.optimizers.Adam(0.02), "binary_crossentropy", metrics=["accuracy"])
    # the cut drops the normalisation: the pipeline feeds standardised weights itself
    mean, std = 50.0, 10.0
    scale = lambda f, y: (dict(f, weight=tf.expand_dims((f["weight"] - mean) / std, -1)), y)
    hist = model.fit(train.map(scale).batch(16), epochs=12, verbose=0,
                     validation_data=val.map(scale).batch(16))
    assert all(kinds) and kinds
    assert hist.history["loss"][-1] < 0.8 * hist.history["loss"][0]
    assert "val_accuracy" in hist.history
    sample = {"colour": np.array([[0, 0, 1]]), "size": np.array([[1, 0, 0, 0]]),
              "weight": np.array([[0.0]], np.float32)}
    assert model.predict(sample, verbose=0).shape == (1, 1)
