"""Original tests of the patterns of keras-io's guide "Training & evaluation with the built-in
methods" (TF 2 form, run as `import pyengine as tf`): a Metric subclass keeping its state in
add_weight variables, `tf.reshape(..., shape=)`, `keras.backend.std`, a functional model's
`model.add_loss` / `model.add_metric` of symbolic tensors, a loss layer whose target is a graph
tensor, metrics given per output as a list of lists, scalar weights. No program text of the
guide is used."""
import numpy as np
import pytest

import pyengine as tf
from pyengine import keras
from pyengine.keras import layers
import pyengine.nn.functional as F


def _blobs(n=96, seed=0):
    rng = np.random.default_rng(seed)
    y = rng.integers(0, 3, n)
    x = rng.standard_normal((n, 6)).astype("float32") * 0.3
    x[np.arange(n), y] += 2.0
    return x, y


class TruePositives(keras.metrics.Metric):
    """Counts rows whose argmax equals the label; its reset_state reads the variable created
    after super().__init__ (which must therefore not call it)."""

    def __init__(self, name="true_positives", **kwargs):
        super().__init__(name=name, **kwargs)
        self.count = self.add_weight(name="count", initializer="zeros")

    def update_state(self, y_true, y_pred, sample_weight=None):
        pred = tf.reshape(tf.argmax(y_pred, axis=1), shape=(-1, 1))
        hits = tf.cast(tf.reshape(y_true, (-1, 1)), "int32") == tf.cast(pred, "int32")
        self.count.assign_add(tf.reduce_sum(tf.cast(hits, "float32")))

    def result(self):
        return self.count

    def reset_state(self):
        self.count.assign(0.0)


def test_metric_subclass_with_state_variables_counts_per_epoch():
    x, y = _blobs()
    metric = TruePositives()
    assert metric.count.shape == () and metric.variables == [metric.count]
    inputs = keras.Input((6,))
    model = keras.Model(inputs, layers.Dense(3, activation="softmax")(inputs))
    model.compile(optimizer=keras.optimizers.RMSprop(1e-2),
                  loss="sparse_categorical_crossentropy", metrics=[metric])
    seen = []
    counter = keras.callbacks.LambdaCallback(
        on_epoch_end=lambda e, logs: seen.append(np.argmax(model.predict(x, verbose=0), -1)))
    hist = model.fit(x, y, batch_size=32, epochs=3, shuffle=False, verbose=0,
                     callbacks=[counter])
    counts = hist.history["true_positives"]
    assert all(isinstance(c, float) for c in counts)
    assert all(0 <= c <= len(x) for c in counts)  # reset each epoch, not accumulated
    assert counts[-1] >= counts[0]
    assert len(model.weights) == 2  # the metric's state is not a model weight
    # evaluate counts with the final weights: NumPy's count of correct rows
    result = model.evaluate(x, y, batch_size=32, verbose=0, return_dict=True)
    assert result["true_positives"] == float(np.sum(seen[-1] == y))
    metric.reset_states()  # Keras 2's name runs the subclass's reset_state
    assert float(metric.result()) == 0.0


def test_backend_std_var_and_scalar_weights():
    x = np.random.default_rng(2).standard_normal((5, 4)).astype("float32")
    np.testing.assert_allclose(float(keras.backend.std(x)), x.std(), rtol=1e-6)
    np.testing.assert_allclose(keras.backend.var(x, axis=0).numpy(), x.var(0), rtol=1e-5)
    layer = layers.Dense(2)
    layer.build((None, 3))
    scale = layer.add_weight(shape=(), initializer="ones", name="scale")
    assert scale.shape == () and float(scale) == 1.0
    np.testing.assert_array_equal(tf.reshape(np.arange(6), shape=(2, 3)).numpy(),
                                  np.arange(6).reshape(2, 3))
    with pytest.raises(TypeError, match="both"):
        tf.reshape(np.arange(6), (3, 2), shape=(2, 3))


def _graph_model():
    inputs = keras.Input(shape=(6,), name="digits")
    x1 = layers.Dense(8, activation="relu", name="hidden")(inputs)
    outputs = layers.Dense(3, name="predictions")(x1)
    return keras.Model(inputs, outputs), x1


def test_functional_add_loss_and_add_metric_of_symbolic_tensors():
    x, y = _blobs()
    model, x1 = _graph_model()
    model.add_loss(tf.reduce_sum(x1) * 0.01)
    model.add_metric(keras.backend.std(x1), name="std_of_activation", aggregation="mean")
    model.compile(optimizer=keras.optimizers.RMSprop(1e-2),
                  loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True))
    hist = model.fit(x, y, batch_size=32, epochs=2, verbose=0)
    assert set(hist.history) == {"loss", "std_of_activation"}
    out = model.evaluate(x, y, batch_size=len(x), verbose=0, return_dict=True)
    w1, b1, w2, b2 = (a.astype(np.float64) for a in model.get_weights())
    hidden = np.maximum(x @ w1 + b1, 0)
    logits = hidden @ w2 + b2
    logp = logits - np.log(np.exp(logits - logits.max(1, keepdims=True)).sum(1, keepdims=True)) \
        - logits.max(1, keepdims=True)
    ce = -logp[np.arange(len(y)), y].mean()
    np.testing.assert_allclose(out["loss"], ce + 0.01 * hidden.sum(), rtol=1e-4)
    np.testing.assert_allclose(out["std_of_activation"], hidden.std(), rtol=1e-4)
    assert len(model.losses) == 1  # this call's term only
    with pytest.raises(NotImplementedError, match="add_loss"):
        model.get_config()


def test_symbolic_add_loss_must_come_from_the_models_graph():
    model, _ = _graph_model()
    other = keras.Input(shape=(6,))
    with pytest.raises(ValueError, match="disconnected"):
        model.add_loss(tf.reduce_sum(layers.Dense(2)(other)))
    with pytest.raises(ValueError, match="name="):
        model.add_metric(tf.reduce_sum(model.outputs[0]))
    assert model.losses == []  # the refused terms were not kept


def test_binary_cross_entropy_differentiates_a_graph_target():
    rng = np.random.default_rng(3)
    x = rng.standard_normal((4, 3))
    y = rng.random((4, 3))
    pw = rng.random(3) + 0.5
    for logits in (True, False):
        inp = x if logits else 1 / (1 + np.exp(-x))
        a = tf.tensor(inp, requires_grad=True)
        t = tf.tensor(y, requires_grad=True)
        if logits:
            loss = F.binary_cross_entropy_with_logits(a, t, pos_weight=tf.tensor(pw))
            s = 1 / (1 + np.exp(-x))
            want = -(pw * y * np.log(s) + (1 - y) * np.log(1 - s)).mean()
            dy = -(pw * np.log(s) - np.log(1 - s)) / y.size
            dx = ((1 + (pw - 1) * y) * s - pw * y) / y.size
        else:
            loss = F.binary_cross_entropy(a, t)
            want = -(y * np.log(inp) + (1 - y) * np.log(1 - inp)).mean()
            dy = -(np.log(inp) - np.log(1 - inp)) / y.size
            dx = (inp - y) / (inp * (1 - inp)) / y.size
        loss.backward()
        np.testing.assert_allclose(float(loss), want, rtol=1e-10)
        np.testing.assert_allclose(t.grad.numpy(), dy, rtol=1e-8, atol=1e-12)
        np.testing.assert_allclose(a.grad.numpy(), dx, rtol=1e-8, atol=1e-12)


def test_endpoint_layer_trains_without_a_compiled_loss_and_logs_its_metric_once():
    class LogisticEndpoint(layers.Layer):
        def __init__(self, name=None):
            super().__init__(name=name)
            self.loss_fn = keras.losses.BinaryCrossentropy(from_logits=True)
            self.accuracy_fn = keras.metrics.BinaryAccuracy()

        def call(self, targets, logits):
            self.add_loss(self.loss_fn(targets, logits))
            self.add_metric(self.accuracy_fn(targets, logits), name="accuracy")
            return tf.nn.softmax(logits)

    rng = np.random.default_rng(4)
    data = rng.standard_normal((64, 3)).astype("float32")
    labels = (data @ rng.standard_normal((3, 4)) > 0).astype("float32")
    inputs = keras.Input(shape=(3,), name="inputs")
    targets = keras.Input(shape=(4,), name="targets")
    logits = layers.Dense(4)(inputs)
    # the guide passes (logits, targets) to call(targets, logits): the model's own output is
    # then the loss's *target*, so the gradient has to flow through y_true (as in TensorFlow)
    predictions = LogisticEndpoint(name="predictions")(logits, targets)
    model = keras.Model([inputs, targets], predictions)
    model.compile(optimizer=keras.optimizers.Adam(0.05))
    before = model.get_weights()[0].copy()
    hist = model.fit({"inputs": data, "targets": labels}, batch_size=16, epochs=2, verbose=0)
    assert set(hist.history) == {"loss", "binary_accuracy"}
    assert np.abs(model.get_weights()[0] - before).max() > 0  # it trained


def test_metrics_given_per_output_as_a_list_of_lists():
    rng = np.random.default_rng(5)
    img = rng.random((40, 8, 8, 3)).astype("float32")
    score = rng.random((40, 1)).astype("float32")
    classes = np.eye(5, dtype="float32")[rng.integers(0, 5, 40)]
    image_input = keras.Input(shape=(8, 8, 3), name="img_input")
    x = layers.GlobalMaxPooling2D()(layers.Conv2D(3, 3)(image_input))
    model = keras.Model(image_input, [layers.Dense(1, name="score_output")(x),
                                      layers.Dense(5, name="class_output")(x)])
    model.compile(optimizer=keras.optimizers.RMSprop(1e-3),
                  loss=[keras.losses.MeanSquaredError(),
                        keras.losses.CategoricalCrossentropy(from_logits=True)],
                  metrics=[[keras.metrics.MeanAbsoluteError()],
                           [keras.metrics.CategoricalAccuracy()]])
    out = model.evaluate(img, [score, classes], batch_size=40, verbose=0, return_dict=True)
    assert {"score_output_mean_absolute_error", "class_output_categorical_accuracy"} <= set(out)
    s_pred, c_pred = model.predict(img, verbose=0)
    np.testing.assert_allclose(out["score_output_mean_absolute_error"],
                               np.abs(s_pred - score).mean(), rtol=1e-5)
    np.testing.assert_allclose(out["class_output_categorical_accuracy"],
                               np.mean(c_pred.argmax(1) == classes.argmax(1)))


def test_metric_subclass_keeping_state_in_attributes_made_by_its_reset_state():
    class Total(keras.metrics.Metric):  # pyengine's earlier documented style: no add_weight
        def __init__(self, name="total"):
            super().__init__(name=name)

        def reset_state(self):
            self.total = 0.0

        def update_state(self, y_true, y_pred, sample_weight=None):
            self.total += float(np.sum(np.asarray(y_true)))

        def result(self):
            return self.total

    metric = Total()
    metric.update_state(np.ones(3), None)
    assert metric.result() == 3.0

    class StartsAtOne(keras.metrics.Metric):  # no reset_state override: left as made
        def __init__(self, **kwargs):
            super().__init__(**kwargs)
            self.v = self.add_weight(name="v", initializer="ones")

        def update_state(self, *args, **kwargs):
            pass

        def result(self):
            return self.v

    m = StartsAtOne()
    assert float(m.result()) == 1.0
    m.reset_state()
    assert float(m.result()) == 0.0  # Keras 3's default reset zeroes the variables
