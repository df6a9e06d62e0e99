"""Original tests of the patterns of keras-io's guide "Writing a training loop from scratch in
TensorFlow" run as `import pyengine as tf`: `@tf.function` steps (with and without
input_signature), GradientTape + optimizer.apply, metrics updated per batch and reset per epoch,
`loss_value += sum(model.losses)` inside the tape, and the GAN step's label arithmetic. Plus
the semantics of `+=` on tensors of a recorded graph that the guide relies on. No program text
of the guide is used."""
import numpy as np
import pytest

import pyengine as tf
from pyengine import keras


# ---- tf.function ------------------------------------------------------------------------------
def test_tf_function_decorates_plain_functions_and_methods():
    calls = []

    @tf.function
    def double(x):
        calls.append(1)
        return x * 2

    np.testing.assert_array_equal(double(tf.constant([1.0, 2.0])).numpy(), [2.0, 4.0])
    assert double.python_function(3) == 6 and double.__name__ == "double"
    assert calls == [1, 1]  # eager: the body runs at every call

    @tf.function(jit_compile=True, reduce_retracing=True)
    def add(a, b=1):
        return a + b
    assert add(2) == 3 and add.function_options["jit_compile"] is True

    class Scaler:
        def __init__(self, k):
            self.k = k

        @tf.function(input_signature=[tf.TensorSpec((None, 2), tf.float32)])
        def __call__(self, x):  # `self` is not counted by input_signature, as in TensorFlow
            return x * self.k
    out = Scaler(3.0)(np.ones((4, 2)))  # float64 NumPy becomes the spec's float32
    assert out.dtype == tf.float32 and out.shape == (4, 2)
    np.testing.assert_array_equal(out.numpy(), np.full((4, 2), 3.0))


def test_tf_function_input_signature_is_enforced():
    @tf.function(input_signature=[tf.TensorSpec((None, 3), tf.float32),
                                  tf.TensorSpec((), tf.int64)])
    def f(x, n):
        return x.sum() * n
    assert float(f(np.ones((2, 3)), 2)) == 12.0
    assert float(f(np.ones((2, 3)), n=2)) == 12.0
    with pytest.raises(TypeError, match="not compatible"):
        f(np.ones((2, 4)), 2)
    with pytest.raises(TypeError, match="dtype"):
        f(tf.zeros((2, 3), dtype=tf.float64), 2)
    with pytest.raises(TypeError, match="2 entries, received 1"):
        f(np.ones((2, 3)))


def test_tf_function_rejects_what_it_cannot_honour():
    with pytest.raises(TypeError, match="experimental_implements"):
        tf.function(lambda x: x, experimental_implements="embedded_matmul")
    with pytest.raises(TypeError, match="TensorSpec"):
        tf.function(lambda x: x, input_signature=[(None, 3)])
    with pytest.raises(TypeError, match="jit_compile must be a bool"):
        tf.function(lambda x: x, jit_compile="xla")
    # TensorFlow 2.x's old spellings are its current options
    f = tf.function(lambda x: x, experimental_relax_shapes=True, experimental_compile=False)
    assert f.function_options == {"autograph": True, "jit_compile": False,
                                  "reduce_retracing": True}


# ---- += on tensors of the recorded graph -------------------------------------------------------
def test_augmented_assignment_on_graph_tensors_rebinds_and_keeps_the_gradient():
    w = tf.tensor([1.0, 2.0, 3.0], requires_grad=True)
    with tf.GradientTape() as tape:
        loss = tf.reduce_sum(w * w)
        before = loss
        loss += 10.0 * tf.reduce_sum(w)       # a computed tensor: out of place
        acc = tf.zeros(())
        acc += tf.reduce_sum(w)               # a plain tensor + a graph tensor joins the graph
        total = loss + acc
    grad = tape.gradient(total, [w])[0]
    np.testing.assert_allclose(grad.numpy(), 2 * np.array([1, 2, 3]) + 11.0)
    assert float(before) == 14.0 and float(loss) == 74.0 and float(acc) == 6.0


def test_augmented_assignment_still_refuses_weights_and_shape_changes():
    w = tf.ones(3, requires_grad=True)
    with pytest.raises(RuntimeError, match="in place"):
        w += 1.0
    small = tf.zeros(())
    with pytest.raises(ValueError):
        small += w * 2.0  # would need a (3,) result in a () tensor
    plain = tf.zeros(3)
    ref = plain
    plain += np.ones(3, "float32")  # no graph: written in place, as before
    assert ref is plain and float(ref.sum()) == 3.0


# ---- the guide's loops --------------------------------------------------------------------------
def _blobs(rng, n):
    y = rng.integers(0, 4, n)
    x = rng.standard_normal((n, 8)).astype("float32") * 0.5
    x[np.arange(n), y] += 3.0
    return x, y


def _mlp(regularize=False):
    class ActivityPenalty(keras.layers.Layer):
        def call(self, inputs):
            self.add_loss(1e-3 * tf.reduce_sum(inputs))
            return inputs
    inputs = keras.Input(shape=(8,))
    x = keras.layers.Dense(16, activation="relu")(inputs)
    if regularize:
        x = ActivityPenalty()(x)
    return keras.Model(inputs, keras.layers.Dense(4)(x))


def test_compiled_step_with_metrics_reset_per_epoch():
    keras.utils.set_random_seed(0)  # the weights' draw, not whatever earlier tests left
    rng = np.random.default_rng(0)
    x, y = _blobs(rng, 256)
    ds = tf.data.Dataset.from_tensor_slices((x, y)).shuffle(64, seed=1).batch(32)
    model = _mlp()
    optimizer = keras.optimizers.Adam(learning_rate=1e-2)
    loss_fn = keras.losses.SparseCategoricalCrossentropy(from_logits=True)
    acc = keras.metrics.SparseCategoricalAccuracy()

    @tf.function
    def train_step(xb, yb):
        with tf.GradientTape() as tape:
            logits = model(xb, training=True)
            loss_value = loss_fn(yb, logits)
        grads = tape.gradient(loss_value, model.trainable_weights)
        optimizer.apply(grads, model.trainable_weights)
        acc.update_state(yb, logits)
        return loss_value

    epoch_loss, epoch_acc = [], []
    for _ in range(3):
        losses = []
        for xb, yb in ds:
            losses.append(float(train_step(xb, yb)))
        epoch_loss.append(np.mean(losses))
        epoch_acc.append(float(acc.result()))
        acc.reset_state()
        assert float(acc.result()) == 0.0
    assert epoch_loss[-1] < 0.5 * epoch_loss[0] and epoch_acc[-1] > 0.8  # (trains; not the point)
    # the metric over one pass equals NumPy's accuracy of the same logits
    for xb, yb in ds:
        acc.update_state(yb, model(xb, training=False))
    pred = np.argmax(model(x, training=False).numpy(), -1)
    np.testing.assert_allclose(float(acc.result()), np.mean(pred == y), rtol=1e-6)


def test_added_model_losses_join_the_taped_loss():
    rng = np.random.default_rng(1)
    x, y = _blobs(rng, 32)
    model = _mlp(regularize=True)
    loss_fn = keras.losses.SparseCategoricalCrossentropy(from_logits=True)
    with tf.GradientTape(persistent=True) as tape:
        logits = model(x, training=True)
        data_loss = loss_fn(y, logits)
        loss_value = data_loss
        loss_value += sum(model.losses)
        by_hand = data_loss + model.losses[0]
    assert len(model.losses) == 1  # this call's penalty only
    hidden = np.maximum(x @ model.layers[1].kernel.numpy() + model.layers[1].bias.numpy(), 0)
    np.testing.assert_allclose(float(loss_value) - float(data_loss), 1e-3 * hidden.sum(),
                               rtol=1e-4)
    g1 = tape.gradient(loss_value, model.trainable_weights)
    g2 = tape.gradient(by_hand, model.trainable_weights)
    g0 = tape.gradient(data_loss, model.trainable_weights)
    for a, b in zip(g1, g2):
        np.testing.assert_allclose(a.numpy(), b.numpy(), rtol=1e-6)
    assert np.abs(g1[0].numpy() - g0[0].numpy()).max() > 1e-5  # the penalty reached the kernel


def test_gan_step_label_arithmetic():
    batch = 4
    real = np.zeros((3, 2), "float32")
    labels = tf.concat([tf.ones((batch, 1)), tf.zeros((real.shape[0], 1))], axis=0)
    plain = labels
    labels += 0.05 * tf.random.uniform(labels.shape)
    assert labels is plain and labels.shape == (7, 1)  # no graph here: in place
    v = labels.numpy()
    assert (v[:4] >= 1.0).all() and (v[:4] <= 1.05).all() and (v[4:] <= 0.05).all()
