"""Original tests of the API patterns the keras-io graph / structured-data / time-series
programs of docs/public_examples.md ("hd" rows) need: tiny sizes, synthetic data."""
import numpy as np
import pytest

import pyengine as tf
from pyengine import keras
from pyengine.keras import layers


def test_keras_batchnorm_trains_on_a_batch_of_one():
    # a validation_split can leave a last batch of one sample; Keras normalises it (variance 0)
    bn = layers.BatchNormalization(momentum=0.9, beta_initializer="ones")
    x = np.array([[2.0, -3.0, 0.5]], np.float32)
    y = bn(x, training=True).numpy()
    np.testing.assert_allclose(y, np.ones((1, 3)), atol=1e-6)  # (x - mean) = 0, then beta
    np.testing.assert_allclose(bn.moving_mean.numpy(), 0.1 * x[0], rtol=1e-6)
    np.testing.assert_allclose(bn.moving_variance.numpy(), 0.9 * np.ones(3), rtol=1e-6)
    with pytest.raises(ValueError, match="more than 1 value per channel"):
        tf.nn.BatchNorm1d(3)(tf.zeros(1, 3))  # PyTorch's unbiased running variance refuses it


def test_layer_called_on_python_numbers_keeps_their_shape():
    # a Python number is a 0-d tensor, a list of them a 1-D one once stacked (it was (1,) / (n, 1))
    class Echo(layers.Layer):
        def call(self, x):
            return x
    assert Echo()(3.0).shape == ()
    assert tf.convert_to_tensor(Echo()([1, 10, 100])).shape == (3,)


def _ffn(units, name=None):
    return keras.Sequential([layers.BatchNormalization(), layers.Dropout(0.2),
                             layers.Dense(units, activation=tf.nn.gelu)], name=name)


class _GraphConv(layers.Layer):
    """Messages of the neighbours (gather), aggregated per node (unsorted_segment_*)."""

    def __init__(self, units, aggregation, **kwargs):
        super().__init__(**kwargs)
        self.aggregation = aggregation
        self.prepare, self.update = _ffn(units), _ffn(units)

    def call(self, inputs):
        nodes, edges, weights = inputs
        messages = self.prepare(tf.gather(nodes, edges[1])) * tf.expand_dims(weights, -1)
        agg = getattr(tf.math, f"unsorted_segment_{self.aggregation}")(
            messages, edges[0], num_segments=nodes.shape[0])
        return tf.nn.l2_normalize(self.update(tf.concat([nodes, agg], axis=1)), axis=-1)


class _NodeClassifier(keras.Model):
    """Graph held as attributes; the model's input is a batch of node ids."""

    def __init__(self, graph, num_classes, aggregation, **kwargs):
        super().__init__(**kwargs)
        self.node_features, self.edges, w = graph
        self.edge_weights = w / tf.math.reduce_sum(w)
        self.pre = _ffn(16)
        self.conv = _GraphConv(16, aggregation)
        self.logits = layers.Dense(num_classes)

    def call(self, ids):
        x = self.pre(self.node_features)
        x = x + self.conv((x, self.edges, self.edge_weights))
        return self.logits(tf.gather(x, ids))


@pytest.mark.parametrize("aggregation", ["sum", "mean"])
def test_gnn_node_classifier_on_a_graph_held_by_the_model(aggregation):
    # keras-io gnn_citations' pattern: the nodes' own features carry little signal, the
    # neighbours' (same-class edges) carry it
    rng = np.random.default_rng(0)
    n, c = 120, 3
    labels = rng.integers(0, c, n)
    feats = (rng.random((n, 12)) < 0.1).astype(np.float32)
    feats[np.arange(n), labels] += rng.random(n) < 0.5
    src = np.repeat(np.arange(n), 4)
    dst = np.array([rng.choice(np.where(labels == labels[i])[0]) for i in src])
    graph = (tf.cast(feats, tf.float32), np.stack([src, dst]), tf.ones(shape=len(src)))
    tf.random.set_seed(0)
    model = _NodeClassifier(graph, c, aggregation)
    assert model([1, 10, 100]).shape == (3, c)
    model.compile(optimizer=keras.optimizers.Adam(0.03),
                  loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True),
                  metrics=[keras.metrics.SparseCategoricalAccuracy(name="acc")])
    ids = rng.permutation(n)[:97]  # 82 training ids after the split: batches of 81 and 1
    hist = model.fit(ids, labels[ids], epochs=15, batch_size=81, validation_split=0.15,
                     verbose=0, callbacks=[keras.callbacks.EarlyStopping(
                         monitor="val_acc", patience=50, restore_best_weights=True)])
    assert hist.history["loss"][-1] < hist.history["loss"][0]
    assert set(hist.history) == {"loss", "acc", "val_loss", "val_acc"}
    # new nodes and edges swapped in after training: the output follows the new graph
    model.node_features = np.concatenate([feats, feats[:2]])
    model.edges = np.concatenate([graph[1], [[n, n + 1], [0, 1]]], axis=1)
    model.edge_weights = tf.ones(shape=model.edges.shape[1])
    assert model.predict(tf.convert_to_tensor([n, n + 1]), verbose=0).shape == (2, c)
