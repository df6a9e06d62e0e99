"""Original tests of the Keras API patterns used by public keras-io programs
(timeseries_classification_from_scratch, collaborative_filtering_movielens,
timeseries_weather_forecasting, structured_data_classification_from_scratch): a functional
Conv1D + BatchNormalization classifier checkpointed to .h5 and reloaded with load_model under
ReduceLROnPlateau / EarlyStopping; a subclassed Model with two regularized Embeddings joined by
layers.Dot; timeseries_dataset_from_array feeding an LSTM with a weights-only checkpoint; Lookup
output_mode aliases. No program text of those examples is reproduced here."""
import numpy as np

import pyengine as pe
from pyengine import keras
from pyengine.keras import layers


def _wave_classes(rng, count, length):
    labels = rng.integers(0, 2, count)
    bump = np.cos(np.linspace(0.0, 6.0, length))
    series = 0.7 * rng.standard_normal((count, length)) + labels[:, None] * bump
    return series[..., None].astype("float32"), labels


def test_conv1d_batchnorm_classifier_checkpoint_h5_roundtrip(tmp_path):
    rng = np.random.default_rng(3)
    xs, ys = _wave_classes(rng, 72, 24)
    inp = keras.Input((24, 1))
    h = inp
    for width in (12, 12):
        h = layers.Conv1D(width, 5, padding="same")(h)
        h = layers.BatchNormalization()(h)
        h = layers.ReLU()(h)
    h = layers.GlobalAveragePooling1D()(h)
    clf = keras.Model(inp, layers.Dense(2, activation="softmax")(h))
    clf.compile(optimizer=keras.optimizers.Adam(0.01), loss="sparse_categorical_crossentropy",
                metrics=["accuracy"])
    ckpt = str(tmp_path / "clf.h5")
    hist = clf.fit(xs[:60], ys[:60], epochs=6, batch_size=16, validation_split=0.25, verbose=0,
                   callbacks=[keras.callbacks.ModelCheckpoint(ckpt, monitor="val_loss",
                                                              save_best_only=True),
                              keras.callbacks.ReduceLROnPlateau(monitor="val_loss", factor=0.5,
                                                                patience=2, min_lr=1e-4),
                              keras.callbacks.EarlyStopping(monitor="val_loss", patience=10)])
    losses = hist.history["loss"]
    assert losses[-1] < 0.8 * losses[0]
    restored = keras.models.load_model(ckpt)
    assert restored.predict(xs[60:], verbose=0).shape == (12, 2)
    # the file holds the best epoch: re-evaluating its validation rows gives min(val_loss)
    best = restored.evaluate(xs[45:60], ys[45:60], verbose=0)[0]
    np.testing.assert_allclose(best, min(hist.history["val_loss"]), rtol=1e-4)


class _PairScorer(keras.Model):
    """score(a, b) = sigmoid(<P[a], Q[b]> + bias_a + bias_b) with L2-penalized factors."""

    def __init__(self, n_left, n_right, rank):
        super().__init__()
        reg = keras.regularizers.l2(1e-5)
        self.left = layers.Embedding(n_left, rank, embeddings_initializer="he_normal",
                                     embeddings_regularizer=reg)
        self.right = layers.Embedding(n_right, rank, embeddings_initializer="he_normal",
                                      embeddings_regularizer=reg)
        self.left_bias = layers.Embedding(n_left, 1)
        self.right_bias = layers.Embedding(n_right, 1)
        self.dot = layers.Dot(axes=1)

    def call(self, pairs):
        a, b = pairs[:, 0], pairs[:, 1]
        logit = self.dot([self.left(a), self.right(b)]) + self.left_bias(a) + self.right_bias(b)
        return pe.nn.sigmoid(logit)


def test_subclassed_two_embedding_dot_model_learns_affinities():
    rng = np.random.default_rng(5)
    fa, fb = rng.standard_normal(12), rng.standard_normal(15)
    pairs = np.stack([rng.integers(0, 12, 500), rng.integers(0, 15, 500)], 1)
    target = 1.0 / (1.0 + np.exp(-3.0 * fa[pairs[:, 0]] * fb[pairs[:, 1]]))
    scorer = _PairScorer(12, 15, 6)
    scorer.compile(optimizer=keras.optimizers.Adam(lr=0.02),
                   loss=keras.losses.BinaryCrossentropy())
    hist = scorer.fit(pairs[:450], target[:450], batch_size=64, epochs=12, verbose=0,
                      validation_data=(pairs[450:], target[450:]))
    assert hist.history["loss"][-1] < hist.history["loss"][0] - 0.05
    assert hist.history["val_loss"][-1] < hist.history["val_loss"][0]
    out = scorer.predict(np.array([[2, k] for k in range(4)]), verbose=0)
    assert out.shape == (4, 1) and np.all((out > 0) & (out < 1))
    assert len(scorer.losses) == 2  # one penalty per regularized Embedding


def test_embedding_regularizer_adds_the_penalty():
    emb = layers.Embedding(4, 3, embeddings_regularizer=keras.regularizers.l2(0.5))
    emb(np.array([[0, 1]]))
    (penalty,) = emb.losses
    w = emb.embeddings.detach().numpy()
    np.testing.assert_allclose(float(penalty.detach().numpy()),
                               0.5 * np.sum(w.astype(np.float64) ** 2), rtol=1e-5)
    assert layers.Embedding(4, 3).losses == []


def test_timeseries_dataset_lstm_weights_only_checkpoint(tmp_path):
    rng = np.random.default_rng(8)
    steps = np.arange(500)
    table = np.stack([np.cos(steps / 15.0 + 0.5 * c) for c in range(3)], 1)
    table = (table + 0.05 * rng.standard_normal(table.shape)).astype("float32")
    window, stride, ahead = 10, 2, 6
    span = window * stride
    def windows(rows):
        return keras.preprocessing.timeseries_dataset_from_array(
            rows[:-(span + ahead)], rows[span + ahead:, :1], sequence_length=window,
            sampling_rate=stride, batch_size=24)
    train, val = windows(table[:380]), windows(table[380:])
    for xb, yb in train.take(1):
        assert xb.numpy().shape == (24, window, 3) and yb.numpy().shape == (24, 1)
    inp = keras.Input((window, 3))
    net = keras.Model(inp, layers.Dense(1)(layers.LSTM(16)(inp)))
    net.compile(optimizer=keras.optimizers.Adam(learning_rate=0.02), loss="mse")
    weights = str(tmp_path / "w.h5")
    hist = net.fit(train, epochs=5, validation_data=val, verbose=0, callbacks=[
        keras.callbacks.ModelCheckpoint(filepath=weights, monitor="val_loss",
                                        save_weights_only=True, save_best_only=True),
        keras.callbacks.EarlyStopping(monitor="val_loss", patience=4)])
    assert hist.history["loss"][-1] < 0.5 * hist.history["loss"][0]
    net.load_weights(weights)
    np.testing.assert_allclose(net.evaluate(val, verbose=0), min(hist.history["val_loss"]),
                               rtol=1e-4)


def test_lookup_output_mode_binary_is_multi_hot():
    """Keras maps the deprecated output_mode="binary" to "multi_hot" and "tf-idf" to "tf_idf"
    (structured_data_classification_from_scratch still passes "binary")."""
    for cls, vocab, x in ((layers.IntegerLookup, [1, 2, 3], np.array([1, 3])),
                          (layers.StringLookup, ["a", "b", "c"], np.array(["a", "c"]))):
        binary = cls(vocabulary=vocab, mask_token=None, num_oov_indices=0,
                     output_mode="binary")
        multi = cls(vocabulary=vocab, mask_token=None, num_oov_indices=0,
                    output_mode="multi_hot")
        np.testing.assert_array_equal(np.asarray(binary(x)), [1, 0, 1])
        np.testing.assert_array_equal(np.asarray(binary(x)), np.asarray(multi(x)))
    tfidf = layers.IntegerLookup(vocabulary=[1, 2], idf_weights=[0.5, 0.25], mask_token=None,
                                 num_oov_indices=0, output_mode="tf-idf")
    np.testing.assert_allclose(np.asarray(tfidf(np.array([1, 1, 2]))), [1.0, 0.25])

