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


class _GraphAttention(layers.Layer):
    """keras-io gat_node_classification's head: edge scores normalised per target node."""

    def __init__(self, units, **kwargs):
        super().__init__(**kwargs)
        self.units = units

    def build(self, input_shape):
        self.kernel = self.add_weight(shape=(input_shape[0][-1], self.units),
                                      initializer="glorot_uniform", name="kernel")
        self.kernel_attention = self.add_weight(shape=(self.units * 2, 1),
                                                initializer="glorot_uniform", name="att")

    def call(self, inputs):
        from pyengine.keras import ops
        nodes, edges = inputs
        z = ops.matmul(nodes, self.kernel)
        tgt, src = edges[:, 0], edges[:, 1]
        pair = ops.concatenate([ops.take(z, tgt, axis=0), ops.take(z, src, axis=0)], axis=-1)
        scores = ops.exp(ops.clip(ops.squeeze(ops.leaky_relu(
            ops.matmul(pair, self.kernel_attention)), -1), -2, 2))
        n = ops.shape(nodes)[0]
        norm = scores / (ops.take(ops.segment_sum(scores, tgt, num_segments=n), tgt, axis=0)
                         + 1e-8)
        return ops.segment_sum(ops.take(z, src, axis=0) * ops.expand_dims(norm, -1), tgt,
                               num_segments=n)


def _gat_reference(nodes, edges, kernel, att):
    z = nodes @ kernel
    tgt, src = edges[:, 0], edges[:, 1]
    s = np.concatenate([z[tgt], z[src]], -1) @ att
    s = np.exp(np.clip(np.where(s > 0, s, 0.2 * s)[:, 0], -2, 2))
    total = np.zeros(len(nodes))
    np.add.at(total, tgt, s)
    out = np.zeros_like(z)
    np.add.at(out, tgt, z[src] * (s / (total[tgt] + 1e-8))[:, None])
    return out


def test_graph_attention_matches_numpy_and_a_gat_model_trains():
    from pyengine.keras import ops
    rng = np.random.default_rng(1)
    n, c = 60, 3
    labels = rng.integers(0, c, n)
    feats = np.eye(c, dtype=np.float32)[labels] * (rng.random((n, 1)) < 0.4) \
        + rng.random((n, c)).astype(np.float32) * 0.1
    src = rng.integers(0, n, 240)
    tgt = np.array([rng.choice(np.where(labels == labels[s])[0]) for s in src])
    edges = ops.convert_to_tensor(np.stack([tgt, src], 1), dtype="int32")
    head = _GraphAttention(4)
    out = head([ops.convert_to_tensor(feats), edges])
    ref = _gat_reference(feats.astype(np.float64), np.stack([tgt, src], 1),
                         head.kernel.numpy().astype(np.float64),
                         head.kernel_attention.numpy().astype(np.float64))
    np.testing.assert_allclose(out.numpy(), ref, rtol=1e-4, atol=1e-6)

    class GAT(keras.Model):
        def __init__(self, **kwargs):
            super().__init__(**kwargs)
            self.node_states, self.edges = ops.convert_to_tensor(feats), edges
            self.pre = layers.Dense(8, activation="relu")
            self.heads = [_GraphAttention(4) for _ in range(2)]
            self.out_layer = layers.Dense(c)

        def call(self, indices, training=False):
            x = self.pre(self.node_states)
            x = ops.relu(ops.concatenate([h([x, self.edges]) for h in self.heads], -1)) + x
            return ops.take(self.out_layer(x), indices, axis=0)

    keras.utils.set_random_seed(2)
    model = GAT()
    model.compile(loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True),
                  optimizer=keras.optimizers.SGD(learning_rate=0.1, momentum=0.9),
                  metrics=["accuracy"])
    train = np.arange(40)
    hist = model.fit(train, labels[train], validation_split=0.1, batch_size=16, epochs=8,
                     verbose=0)
    assert hist.history["loss"][-1] < 0.8 * hist.history["loss"][0]
    probs = ops.convert_to_numpy(ops.softmax(model.predict(np.arange(40, 60), verbose=0)))
    assert probs.shape == (20, c)
    np.testing.assert_allclose(probs.sum(-1), 1, rtol=1e-5)


def test_initializer_lowercase_aliases_are_the_classes():
    from pyengine.keras import initializers
    assert initializers.glorot_uniform is initializers.GlorotUniform
    assert initializers.he_normal is initializers.HeNormal
    w = initializers.glorot_uniform(seed=1)(shape=(30, 10), dtype="float32").numpy()
    limit = np.sqrt(6 / 40)
    assert w.dtype == np.float32 and np.abs(w).max() <= limit and np.abs(w).max() > 0.8 * limit
    np.testing.assert_array_equal(initializers.zeros()(shape=(2,)).numpy(), [0, 0])


class _RoadGraphConv(layers.Layer):
    """keras-io timeseries_traffic_forecasting's layer: a tf.Variable weight, neighbours
    gathered along the node axis of a (nodes, batch, time, feat) tensor, mean-aggregated."""

    def __init__(self, out_feat, edges, num_nodes, **kwargs):
        super().__init__(**kwargs)
        self.edges, self.num_nodes = edges, num_nodes
        self.weight = tf.Variable(initial_value=keras.initializers.glorot_uniform()(
            shape=(1, out_feat), dtype="float32"), trainable=True)

    def call(self, features):
        agg = tf.math.unsorted_segment_mean(tf.gather(features, self.edges[1]), self.edges[0],
                                            num_segments=self.num_nodes)
        return tf.concat([tf.matmul(features, self.weight), tf.matmul(agg, self.weight)], -1)


class _LSTMGC(layers.Layer):
    def __init__(self, edges, num_nodes, horizon, **kwargs):
        super().__init__(**kwargs)
        self.conv = _RoadGraphConv(4, edges, num_nodes)
        self.lstm = layers.LSTM(8, activation="relu")
        self.dense = layers.Dense(horizon)
        self.horizon = horizon

    def call(self, inputs):
        x = self.conv(tf.transpose(inputs, [2, 0, 1, 3]))
        shape = tf.shape(x)
        n, b, t, f = shape[0], shape[1], shape[2], shape[3]
        out = self.dense(self.lstm(tf.reshape(x, (b * n, t, f))))
        return tf.transpose(tf.reshape(out, (n, b, self.horizon)), [1, 2, 0])


def test_graph_conv_lstm_forecaster_on_windowed_datasets():
    from pyengine.keras.preprocessing import timeseries_dataset_from_array
    rng = np.random.default_rng(3)
    steps, nodes, seq, horizon = 160, 5, 6, 2
    series = np.sin(np.arange(steps)[:, None] / 6 + rng.random(nodes)) \
        + rng.normal(0, 0.05, (steps, nodes))
    inputs = timeseries_dataset_from_array(np.expand_dims(series[:-horizon], -1), None,
                                           sequence_length=seq, shuffle=False, batch_size=32)
    targets = timeseries_dataset_from_array(series[seq:], None, sequence_length=horizon,
                                            shuffle=False, batch_size=32)
    ds = tf.data.Dataset.zip((inputs, targets)).shuffle(100).prefetch(4).cache()
    x0, y0 = next(iter(ds))
    assert x0.shape[1:] == (seq, nodes, 1) and y0.shape[1:] == (horizon, nodes)
    edges = ([0, 1, 1, 2, 3, 4], [1, 0, 2, 1, 4, 3])  # Python lists, as np.where(...).tolist()
    keras.utils.set_random_seed(0)
    block = _LSTMGC(edges, nodes, horizon)
    inp = layers.Input((seq, nodes, 1))
    model = keras.models.Model(inp, block(inp))
    assert any(w is block.conv.weight or w.shape == (1, 4) for w in model.trainable_weights)
    w0 = block.conv.weight.numpy().copy()
    model.compile(optimizer=keras.optimizers.RMSprop(learning_rate=0.01), loss="mse")
    hist = model.fit(ds, validation_data=ds, epochs=4, verbose=0)
    assert hist.history["loss"][-1] < hist.history["loss"][0]
    assert not np.array_equal(block.conv.weight.numpy(), w0)  # the tf.Variable was trained
    x, y = next(ds.as_numpy_iterator())
    assert model.predict(x, verbose=0).shape == (len(x), horizon, nodes)


def test_build_without_input_shape_and_string_cast_in_a_csv_pipeline(tmp_path):
    # keras-io classification_with_grn_and_vsn: make_csv_dataset -> map(tf.cast(.., "string"),
    # StringLookup, a weight column popped as sample weight) -> dict of shape-() Inputs
    rng = np.random.default_rng(5)
    rows = [(float(rng.integers(18, 80)), rng.choice(["a", "b", "c"]), float(rng.random() + 0.5))
            for _ in range(120)]
    path = tmp_path / "t.csv"
    path.write_text("".join(f"{a},{c},{w},{int((a > 45) ^ (c == 'b'))}\n" for a, c, w in rows))
    vocab = ["a", "b", "c"]

    def process(features, target):
        features["cat"] = layers.StringLookup(vocabulary=vocab, mask_token=None,
                                              num_oov_indices=0)(tf.cast(features["cat"], "string"))
        weight = features.pop("w")
        return dict(features), target, weight

    ds = tf.data.experimental.make_csv_dataset(
        str(path), batch_size=40, column_names=["age", "cat", "w", "y"],
        column_defaults=[[0.0], ["NA"], [0.0], [0.0]], label_name="y", num_epochs=1,
        header=False, shuffle=False).map(process)

    class Select(layers.Layer):
        def __init__(self, units):
            super().__init__()
            self.emb = layers.Embedding(3, units)
            self.proj = layers.Dense(units)
            self.weights_dense = layers.Dense(2, activation="softmax")

        def call(self, inputs):
            parts = [self.emb(keras.ops.clip(inputs["cat"], 0, 2)),
                     self.proj(keras.ops.expand_dims(inputs["age"], -1) / 80.0)]
            v = keras.ops.expand_dims(self.weights_dense(layers.concatenate(parts)), -1)
            return keras.ops.squeeze(tf.matmul(v, keras.ops.stack(parts, axis=1),
                                               transpose_a=True), axis=1)

        def build(self):  # Keras 3 calls a build without an input-shape argument so
            self.built = True

    inputs = {"age": layers.Input(name="age", shape=(), dtype="float32"),
              "cat": layers.Input(name="cat", shape=(), dtype="int64")}
    out = layers.Dense(1, activation="sigmoid")(Select(8)(inputs))
    model = keras.Model(inputs, out)
    model.compile(optimizer=keras.optimizers.Adam(0.05), loss=keras.losses.BinaryCrossentropy(),
                  metrics=[keras.metrics.BinaryAccuracy(name="accuracy")])
    hist = model.fit(ds, epochs=6, validation_data=ds, verbose=0)
    assert hist.history["loss"][-1] < hist.history["loss"][0]
    with pytest.raises(TypeError, match=r"\[tf.cast\] cannot cast int64 to string"):
        tf.cast(np.array([1, 2]), "string")
    with pytest.raises(TypeError, match=r"\[tf.cast\] cannot cast string to float32"):
        tf.cast(np.array(["1"]), "float32")


class _SoftTree(keras.Model):
    """keras-io deep_neural_decision_forests' tree: sigmoid routing, leaves' class weights
    created by add_weight in a Model's __init__."""

    def __init__(self, depth, num_features, num_classes):
        super().__init__()
        from pyengine.keras import ops
        self.depth, self.num_leaves = depth, 2 ** depth
        self.mask = ops.convert_to_tensor(np.eye(num_features)[::-1].copy(), dtype="float32")
        self.pi = self.add_weight(initializer="random_normal", dtype="float32", trainable=True,
                                  shape=[self.num_leaves, num_classes])
        self.decision_fn = layers.Dense(self.num_leaves, activation="sigmoid")

    def call(self, features):
        from pyengine.keras import ops
        batch = ops.shape(features)[0]
        d = ops.expand_dims(self.decision_fn(ops.matmul(features, ops.transpose(self.mask))), 2)
        d = layers.concatenate([d, 1 - d], axis=2)
        mu, begin, end = ops.ones([batch, 1, 1]), 1, 2
        for level in range(self.depth):
            mu = ops.tile(ops.reshape(mu, [batch, -1, 1]), (1, 1, 2)) * d[:, begin:end, :]
            begin, end = end, end + 2 ** (level + 1)
        return ops.matmul(ops.reshape(mu, [batch, self.num_leaves]),
                          keras.activations.softmax(self.pi))


def _soft_tree_reference(x, mask, kernel, bias, pi, depth):
    p = 1 / (1 + np.exp(-((x @ mask.T) @ kernel + bias)))
    d = np.stack([p, 1 - p], -1)
    mu, begin = np.ones((len(x), 1)), 1
    for level in range(depth):
        n = 2 ** level
        mu = (mu[:, :, None] * d[:, begin:begin + n, :]).reshape(len(x), -1)
        begin += n
    e = np.exp(pi - pi.max(-1, keepdims=True))
    return mu @ (e / e.sum(-1, keepdims=True))


def test_soft_decision_forest_matches_numpy_and_trains():
    from pyengine.keras import ops
    rng = np.random.default_rng(7)
    x = rng.standard_normal((200, 4)).astype(np.float32)
    y = ((x[:, 0] > 0) ^ (x[:, 1] > 0.5)).astype(np.int64)
    keras.utils.set_random_seed(1)
    tree = _SoftTree(3, 4, 2)
    out = tree(x[:5]).numpy()
    k, b = (w.numpy().astype(np.float64) for w in tree.decision_fn.weights)
    ref = _soft_tree_reference(x[:5].astype(np.float64), tree.mask.numpy(), k, b,
                               tree.pi.numpy().astype(np.float64), 3)
    np.testing.assert_allclose(out, ref, rtol=1e-5)
    np.testing.assert_allclose(out.sum(-1), 1, rtol=1e-5)  # leaves' probabilities sum to one

    class Forest(keras.Model):
        def __init__(self):
            super().__init__()
            self.ensemble = [_SoftTree(3, 4, 2) for _ in range(3)]

        def call(self, inputs):
            outputs = ops.zeros([ops.shape(inputs)[0], 2])
            for t in self.ensemble:
                outputs += t(inputs)
            outputs /= len(self.ensemble)
            return outputs

    inp = layers.Input((4,))
    model = keras.Model(inp, Forest()(layers.BatchNormalization()(inp)))
    model.compile(optimizer=keras.optimizers.Adam(0.05),
                  loss=keras.losses.SparseCategoricalCrossentropy(),
                  metrics=[keras.metrics.SparseCategoricalAccuracy()])
    hist = model.fit(x, y, batch_size=50, epochs=10, verbose=0)
    assert hist.history["loss"][-1] < 0.8 * hist.history["loss"][0]
    assert len(model.trainable_weights) == 2 + 3 * 3  # BN gamma/beta, per tree pi + Dense


def test_conv1d_classifier_class_weight_on_one_hot_dataset_and_h5_checkpoint(tmp_path):
    # keras-io eeg_signal_classification: one-hot labels in a tf.data pipeline, class_weight,
    # TopK / AUC / Precision / Recall, ReduceLROnPlateau on a val_ metric, .h5 checkpoint
    rng = np.random.default_rng(11)
    n, c = 96, 3
    labels = rng.integers(0, c, n)
    t = np.arange(64)
    x = (np.sin(t[None] * (0.1 + 0.2 * labels[:, None])) + rng.normal(0, 0.1, (n, 64)))
    x = x.astype(np.float32)[..., None]
    y = keras.utils.to_categorical(labels.astype(np.float32).reshape(-1, 1))
    weights = {k: 1 - v / n for k, v in zip(*np.unique(labels, return_counts=True))}
    ds = tf.data.Dataset.from_tensor_slices((x, y)).batch(n)

    def build():
        inp = keras.Input(shape=(64, 1))
        h = layers.Conv1D(8, 3, strides=2, activation="relu", padding="same")(inp)
        h = layers.BatchNormalization()(h)
        h = layers.Flatten()(h)
        h = layers.Dense(16, activation="relu", kernel_regularizer=keras.regularizers.L2())(h)
        return keras.Model(inp, layers.Dense(c, activation="softmax")(h))

    # with a zero learning rate the reported loss is the class-weighted mean, as Keras
    keras.utils.set_random_seed(0)
    probe = build()
    probe.compile(optimizer=keras.optimizers.SGD(0.0), loss=keras.losses.CategoricalCrossentropy())
    p = probe(x, training=True).numpy().astype(np.float64)
    reg = 0.01 * float(np.sum(probe.layers[4].kernel.numpy().astype(np.float64) ** 2))
    w = np.array([weights[k] for k in labels])
    expect = np.sum(w * -np.log(np.clip(p[np.arange(n), labels], 1e-7, 1))) / n + reg
    got = probe.fit(ds, epochs=1, class_weight=weights, verbose=0).history["loss"][0]
    np.testing.assert_allclose(got, expect, rtol=2e-4)

    model = build()
    model.compile(optimizer=keras.optimizers.Adam(amsgrad=True, learning_rate=0.003),
                  loss=keras.losses.CategoricalCrossentropy(),
                  metrics=[keras.metrics.TopKCategoricalAccuracy(k=2), keras.metrics.AUC(),
                           keras.metrics.Precision(), keras.metrics.Recall()])
    path = str(tmp_path / "best_model.h5")
    hist = model.fit(ds.unbatch().shuffle(64).batch(32), epochs=5, validation_data=ds,
                     class_weight=weights, verbose=0, callbacks=[
                         keras.callbacks.ModelCheckpoint(path, save_best_only=True,
                                                         monitor="loss"),
                         keras.callbacks.ReduceLROnPlateau(
                             monitor="val_top_k_categorical_accuracy", factor=0.2,
                             patience=1, min_lr=1e-6)])
    assert {"top_k_categorical_accuracy", "auc", "precision", "recall",
            "val_top_k_categorical_accuracy", "learning_rate"} <= set(hist.history)
    assert hist.history["loss"][-1] < hist.history["loss"][0]
    best = keras.models.load_model(path)
    assert best.count_params() == model.count_params()
    assert best.predict([x[:4]], verbose=0).shape == (4, c)  # a list of one array


def test_accuracy_metric_counts_exact_matches_and_named_inputs_take_a_dict():
    # keras-io event_classification_for_payment_card_fraud_detection: a list of named
    # Inputs fed by a dataset of feature dicts, metrics=[Accuracy(), AUC()]
    acc = keras.metrics.Accuracy()
    acc.update_state([[1], [2], [3], [4]], [[0], [2], [3], [4]])
    assert acc.name == "accuracy" and float(acc.result()) == 0.75
    acc.update_state([1.0, 0.0], [0.9, 0.0], sample_weight=[1.0, 3.0])  # 0.9 != 1: no match
    np.testing.assert_allclose(float(acc.result()), (3 + 3) / (4 + 4))
    rng = np.random.default_rng(2)
    names = ["a_7_days", "b_7_days", "calendar_hour"]
    y = (rng.random(256) < 0.3).astype(np.int64)
    feats = {k: (rng.standard_normal(256) + (1.5 * y if k[0] == "a" else 0)).astype(np.float32)
             for k in names}
    ds = tf.data.Dataset.from_tensor_slices({**feats, "TX_FRAUD": y}).batch(32).map(
        lambda e: ({k: e[k] for k in names}, tf.cast(e["TX_FRAUD"], tf.int32)))
    inputs = [keras.Input(shape=(1,), name=n) for n in names]
    h = keras.layers.Dense(8, activation="sigmoid")(keras.layers.concatenate(inputs))
    model = keras.Model(inputs=inputs, outputs=keras.layers.Dense(1, activation="sigmoid")(h))
    model.compile(optimizer=keras.optimizers.Adam(0.05), loss=keras.losses.BinaryCrossentropy(),
                  metrics=[keras.metrics.Accuracy(), keras.metrics.AUC()])
    hist = model.fit(ds, epochs=4, verbose=0)
    assert hist.history["loss"][-1] < hist.history["loss"][0]
    assert hist.history["auc"][-1] > 0.75
    assert hist.history["accuracy"][-1] == 0.0  # probabilities never equal the 0 / 1 labels
    labels = np.concatenate([label for _, label in ds])
    assert model.predict(ds, verbose=0).shape == (256, 1) and labels.shape == (256,)


def test_behavior_sequence_transformer_on_string_inputs():
    # keras-io movielens_recommendations_transformers (BST): string Inputs looked up in the
    # graph, a frozen Constant(genres) embedding, positions from tf.range embedded in the
    # graph, tf.unstack of a symbolic tensor, MultiHeadAttention, Adagrad, an endless dataset
    # cut by steps_per_epoch
    rng = np.random.default_rng(4)
    movies = [f"movie_{i}" for i in range(12)]
    quality = np.linspace(1, 5, 12)
    seq = rng.integers(0, 12, (200, 4))
    ids = np.array([[movies[j] for j in row] for row in seq])
    ratings = quality[seq].astype(np.float32)
    genres = (rng.random((12, 3)) < 0.5).astype(np.float32)
    x = {"sequence_movie_ids": ids[:, :3], "target_movie_id": ids[:, 3:],
         "sequence_ratings": ratings[:, :3]}
    ds = tf.data.Dataset.from_tensor_slices((x, ratings[:, 3])).repeat().batch(40)

    inputs = {"sequence_movie_ids": layers.Input(name="sequence_movie_ids", shape=(3,),
                                                 dtype=tf.string),
              "target_movie_id": layers.Input(name="target_movie_id", shape=(1,), dtype=tf.string),
              "sequence_ratings": layers.Input(name="sequence_ratings", shape=(3,))}
    lookup = layers.StringLookup(vocabulary=movies, mask_token=None, num_oov_indices=0)
    embed = layers.Embedding(12, 4)
    genre = layers.Embedding(12, 3, embeddings_initializer=keras.initializers.Constant(genres),
                             trainable=False)
    mix = layers.Dense(4, activation="relu")

    def encode(m):
        i = lookup(m)
        return mix(layers.concatenate([embed(i), genre(i)]))

    target = encode(inputs["target_movie_id"])
    positions = layers.Embedding(4, 4)(tf.range(start=0, limit=3, delta=1))
    weighted = layers.Multiply()([encode(inputs["sequence_movie_ids"]) + positions,
                                  tf.expand_dims(inputs["sequence_ratings"], -1)])
    parts = [tf.expand_dims(m, 1) for m in tf.unstack(weighted, axis=1)] + [target]
    feats = layers.concatenate(parts, axis=1)
    att = layers.MultiHeadAttention(num_heads=2, key_dim=feats.shape[2], dropout=0.1)(feats, feats)
    h = layers.LayerNormalization()(layers.Add()([feats, att]))
    out = layers.Dense(1)(layers.Flatten()(h))
    model = keras.Model(inputs=inputs, outputs=out)
    assert feats.shape[1:] == (4, 4)
    assert len(model.non_trainable_weights) == 1  # the frozen genres table
    model.compile(optimizer=keras.optimizers.Adagrad(learning_rate=0.1),
                  loss=keras.losses.MeanSquaredError(),
                  metrics=[keras.metrics.MeanAbsoluteError()])
    hist = model.fit(ds, epochs=4, steps_per_epoch=5, verbose=0)
    assert hist.history["loss"][-1] < 0.5 * hist.history["loss"][0]
    np.testing.assert_array_equal(genre.embeddings.numpy(), genres)  # frozen stays put
    _, mae = model.evaluate(ds.take(2), verbose=0)
    assert mae < hist.history["mean_absolute_error"][0]


def test_masked_lm_compute_loss_override_with_per_token_sample_weights(tmp_path):
    # keras-io masked_language_modeling (Keras 3): compile(optimizer) only, compute_loss /
    # compute_metrics / metrics overridden, (x, y, sample_weight) batches with one weight per
    # token, .keras save / load with custom_objects, a frozen sub-model from get_layer().output
    rng = np.random.default_rng(8)
    vocab, steps, n = 30, 8, 64
    tokens = rng.integers(3, vocab, (n, steps))
    weights = (rng.random((n, steps)) < 0.3).astype(np.float64)
    masked = np.where(weights > 0, vocab - 1, tokens)
    loss_fn = keras.losses.SparseCategoricalCrossentropy(reduction=None)
    tracker = keras.metrics.Mean(name="loss")

    class MLM(keras.Model):
        def compute_loss(self, x=None, y=None, y_pred=None, sample_weight=None):
            loss = loss_fn(y, y_pred, sample_weight)
            tracker.update_state(loss, sample_weight=sample_weight)
            return keras.ops.sum(loss)

        def compute_metrics(self, x, y, y_pred, sample_weight):
            return {"loss": tracker.result()}

        @property
        def metrics(self):
            return [tracker]

    keras.utils.set_random_seed(3)
    inp = layers.Input((steps,), dtype="int64")
    h = layers.Embedding(vocab, 16)(inp)
    h = layers.LayerNormalization(name="encoder_norm")(h + layers.MultiHeadAttention(
        num_heads=2, key_dim=8)(h, h, h))
    model = MLM(inp, layers.Dense(vocab, activation="softmax")(h), name="mlm")
    model.compile(optimizer=keras.optimizers.Adam(0.01))
    ds = tf.data.Dataset.from_tensor_slices((masked, tokens, weights)).batch(n)
    p = model.predict(masked, verbose=0).astype(np.float64)
    nll = -np.log(np.take_along_axis(p, tokens[..., None], -1)[..., 0])
    hist = model.fit(ds, epochs=6, verbose=0)
    # the tracked loss is the weighted mean over the masked tokens only
    np.testing.assert_allclose(hist.history["loss"][0], (nll * weights).sum() / weights.sum(),
                               rtol=1e-4)
    # random tokens: only their frequencies can be learned (floor ln 27 = 3.30)
    assert hist.history["loss"][-1] < 0.92 * hist.history["loss"][0]
    path = str(tmp_path / "mlm.keras")
    model.save(path)
    again = keras.models.load_model(path, custom_objects={"MLM": MLM})
    np.testing.assert_allclose(again.predict(masked[:4], verbose=0),
                               model.predict(masked[:4], verbose=0), rtol=1e-5, atol=1e-6)
    trunk = keras.Model(again.input, again.get_layer("encoder_norm").output)
    trunk.trainable = False
    cls_in = layers.Input((steps,), dtype="int64")
    clf = keras.Model(cls_in, layers.Dense(1, activation="sigmoid")(
        layers.GlobalMaxPooling1D()(trunk(cls_in))))
    clf.compile(optimizer="adam", loss="binary_crossentropy", metrics=["accuracy"])
    assert len(clf.trainable_weights) == 2


def test_skipgrams_and_a_dot_product_embedding_model_with_weighted_pairs():
    # keras-io node2vec_movielens: skipgrams pairs of random-walk tokens, a shared Embedding,
    # Dot(axes=1) logits, a (dict, labels, weights) dataset, similar items by top_k
    import random
    from pyengine.keras.preprocessing.sequence import make_sampling_table, skipgrams
    couples, labels = skipgrams([1, 2, 0, 3], 5, window_size=1, negative_samples=0,
                                shuffle=False)
    assert couples == [[1, 2], [2, 1]] and labels == [1, 1]  # 0 is padding, never a word
    random.seed(0)
    couples, labels = skipgrams([1, 2, 3, 4], 10, window_size=2, negative_samples=2.0, seed=1)
    assert labels.count(1) == 10 and labels.count(0) == 20
    assert all(1 <= c[1] < 10 for c, lab in zip(couples, labels) if lab == 0)
    _, cat = skipgrams([1, 2], 5, window_size=1, negative_samples=1.0, categorical=True)
    assert sorted(map(tuple, cat)) == [(0, 1), (0, 1), (1, 0), (1, 0)]
    table = make_sampling_table(5)
    assert table.shape == (5,) and np.all((0 < table) & (table <= 1))

    rng = np.random.default_rng(6)
    n, vocab = 256, 12
    t, c = rng.integers(1, vocab, n), rng.integers(1, vocab, n)
    y = ((t % 3) == (c % 3)).astype(np.int64)
    w = rng.integers(1, 5, n).astype(np.float64)
    ds = tf.data.Dataset.from_tensor_slices(({"target": t, "context": c}, y, w)).batch(
        128, drop_remainder=True)
    inputs = {"target": layers.Input(name="target", shape=(), dtype="int32"),
              "context": layers.Input(name="context", shape=(), dtype="int32")}
    embed = layers.Embedding(vocab, 8, embeddings_initializer="he_normal", name="items")
    logits = layers.Dot(axes=1, normalize=False)([embed(inputs["target"]),
                                                  embed(inputs["context"])])
    model = keras.Model(inputs, logits)
    model.compile(optimizer=keras.optimizers.Adam(0.0),
                  loss=keras.losses.BinaryCrossentropy(from_logits=True))
    e = model.get_layer("items").get_weights()[0].astype(np.float64)
    z = (e[t] * e[c]).sum(-1)
    bce = np.maximum(z, 0) - z * y + np.log1p(np.exp(-np.abs(z)))
    expect = np.mean([np.sum((w * bce)[i:i + 128]) / 128 for i in (0, 128)])
    got = model.fit(ds, epochs=1, verbose=0).history["loss"][0]
    np.testing.assert_allclose(got, expect, rtol=1e-4)  # sum(w * loss) / batch, as Keras
    model.compile(optimizer=keras.optimizers.Adam(0.05),
                  loss=keras.losses.BinaryCrossentropy(from_logits=True))
    hist = model.fit(ds, epochs=8, verbose=0)
    assert hist.history["loss"][-1] < 0.7 * hist.history["loss"][0]
    emb = model.get_layer("items").get_weights()[0]
    sims = tf.linalg.matmul(tf.math.l2_normalize(emb[[3]]), tf.math.l2_normalize(emb),
                            transpose_b=True)
    _, idx = tf.math.top_k(sims, k=3)
    assert idx.numpy().tolist()[0][0] == 3


def test_message_passing_on_merged_graph_batches_from_a_pydataset():
    # keras-io mpnn-molecular-graphs (Keras 3): a PyDataset yields the atoms (B * 6 rows) and
    # bonds (B * 8 rows) of B molecules merged into one graph, y with B rows; an edge network,
    # GRUCell with a tensor state, ops.pad, segment_sum / segment_max readout; class_weight
    from pyengine.keras import ops
    atoms, bonds, B, units = 6, 8, 4, 8
    rng = np.random.default_rng(9)
    mols = []
    for _ in range(16):
        a = (rng.random((atoms, 5)) < 0.4).astype(np.float32)
        pair = np.stack([rng.integers(0, atoms, bonds), rng.integers(0, atoms, bonds)], 1)
        mols.append((a, np.eye(3, dtype=np.float32)[rng.integers(0, 3, bonds)], pair,
                     float(a[:, 0].sum() > 2)))

    class Graphs(keras.utils.PyDataset):
        def __len__(self):
            return len(mols) // B

        def __getitem__(self, i):
            part = mols[i * B:(i + 1) * B]
            pairs = np.concatenate([p + k * atoms for k, (_, _, p, _) in enumerate(part)])
            return ({"atoms": np.concatenate([m[0] for m in part]),
                     "bonds": np.concatenate([m[1] for m in part]),
                     "pairs": pairs.astype(np.int32),
                     "indicator": np.repeat(np.arange(B), atoms).astype(np.int32)},
                    np.array([[m[3]] for m in part], np.float32))

    class MPNN(keras.Model):
        def __init__(self):
            super().__init__()
            self.kernel_net = layers.Dense(units * units)
            self.gru = layers.GRUCell(units)
            self.norm = layers.LayerNormalization()
            self.out_layer = layers.Dense(1, activation="sigmoid")

        def call(self, x):
            h = ops.pad(x["atoms"], [(0, 0), (0, units - 5)])
            for _ in range(2):
                w = ops.reshape(self.kernel_net(x["bonds"]), (-1, units, units))
                nb = ops.take(h, ops.cast(x["pairs"][:, 1], "int32"), axis=0)
                msg = ops.squeeze(ops.matmul(w, ops.expand_dims(nb, -1)), -1)
                m = ops.segment_sum(msg, x["pairs"][:, 0], num_segments=B * atoms)
                h, _ = self.gru(m, h)
                h = self.norm(h)
            pooled = ops.concatenate(
                [ops.segment_sum(h, x["indicator"], num_segments=B) / atoms,
                 ops.segment_max(h, x["indicator"], num_segments=B)], -1)
            return self.out_layer(pooled)

    keras.utils.set_random_seed(4)
    model = MPNN()
    model.compile(loss="binary_crossentropy", metrics=[keras.metrics.AUC(name="AUC")],
                  optimizer=keras.optimizers.AdamW(learning_rate=0.02, weight_decay=1e-3,
                                                   global_clipnorm=0.5))
    hist = model.fit(Graphs(), epochs=6, verbose=0, class_weight={0: 2.0, 1: 0.5})
    assert hist.history["loss"][-1] < hist.history["loss"][0]
    assert model.predict(Graphs(), verbose=0).shape == (16, 1)


def test_graph_wgan_two_optimizers_gradient_penalty_and_list_inputs():
    # keras-io wgan-graphs: fit([adjacency, features]) without y reaches train_step as
    # ((adjacency, features),), Dense(tf.math.reduce_prod(shape)), a gradient penalty taken
    # with a watched GradientTape and tf.norm(axis=...), a compile taking two optimizers
    rng = np.random.default_rng(12)
    n, atoms, bonds, kinds = 32, 4, 3, 3
    adj = np.eye(bonds, dtype=np.float32)[rng.integers(0, bonds, (n, atoms, atoms))]
    adj = np.ascontiguousarray(np.moveaxis(adj, -1, 1))
    feat = np.eye(kinds, dtype=np.float32)[rng.integers(0, kinds, (n, atoms))]
    z_in = layers.Input((8,))
    h = layers.Dense(16, activation="tanh")(z_in)
    g_adj = layers.Softmax(axis=1)(layers.Reshape((bonds, atoms, atoms))(
        layers.Dense(tf.math.reduce_prod((bonds, atoms, atoms)))(h)))
    g_feat = layers.Softmax(axis=2)(layers.Reshape((atoms, kinds))(
        layers.Dense(tf.math.reduce_prod((atoms, kinds)))(h)))
    generator = keras.Model(z_in, [g_adj, g_feat])
    a_in, f_in = layers.Input((bonds, atoms, atoms)), layers.Input((atoms, kinds))
    mixed = tf.reduce_sum(tf.matmul(a_in, f_in[:, None, :, :]), axis=1)
    critic = keras.Model([a_in, f_in], layers.Dense(1)(layers.GlobalAveragePooling1D()(
        layers.Dense(8, activation="relu")(mixed))))
    seen = []

    class WGAN(keras.Model):
        def __init__(self):
            super().__init__()
            self.generator, self.critic = generator, critic

        def compile(self, opt_g, opt_d, **kwargs):
            super().compile(**kwargs)
            self.opt_g, self.opt_d = opt_g, opt_d
            self.m_g, self.m_d = keras.metrics.Mean(name="loss_gen"), keras.metrics.Mean(
                name="loss_dis")

        def train_step(self, inputs):
            seen.append(isinstance(inputs[0], tuple))
            if isinstance(inputs[0], tuple):
                inputs = inputs[0]
            b = tf.shape(inputs[0])[0]
            with tf.GradientTape() as tape:
                fake = self.generator(tf.random.normal((b, 8)), training=True)
                alpha = tf.reshape(tf.random.uniform([b]), (b, 1, 1, 1))
                a_mix = inputs[0] * alpha + (1 - alpha) * fake[0]
                f_mix = inputs[1] * tf.reshape(alpha, (b, 1, 1)) + (
                    1 - tf.reshape(alpha, (b, 1, 1))) * fake[1]
                with tf.GradientTape() as gp_tape:
                    gp_tape.watch(a_mix)
                    gp_tape.watch(f_mix)
                    logits = self.critic([a_mix, f_mix], training=True)
                ga, gf = gp_tape.gradient(logits, [a_mix, f_mix])
                gp = tf.reduce_mean(tf.reduce_mean((1 - tf.norm(ga, axis=1)) ** 2, axis=(-2, -1))
                                    + tf.reduce_mean((1 - tf.norm(gf, axis=2)) ** 2, axis=-1))
                loss_d = tf.reduce_mean(self.critic(fake, training=True)) - tf.reduce_mean(
                    self.critic(inputs, training=True)) + 10 * gp
            grads = tape.gradient(loss_d, self.critic.trainable_weights)
            self.opt_d.apply_gradients(zip(grads, self.critic.trainable_weights))
            self.m_d.update_state(loss_d)
            with tf.GradientTape() as tape:
                loss_g = -tf.reduce_mean(self.critic(
                    self.generator(tf.random.normal((b, 8)), training=True), training=True))
            grads = tape.gradient(loss_g, self.generator.trainable_weights)
            self.opt_g.apply_gradients(zip(grads, self.generator.trainable_weights))
            self.m_g.update_state(loss_g)
            return {m.name: m.result() for m in (self.m_g, self.m_d)}

    keras.utils.set_random_seed(5)
    wgan = WGAN()
    wgan.compile(keras.optimizers.Adam(5e-3), keras.optimizers.Adam(5e-3))
    w0 = [w.numpy().copy() for w in critic.trainable_weights]
    hist = wgan.fit([adj, feat], epochs=2, batch_size=16, verbose=0)
    assert seen and all(seen)  # the [adjacency, features] list arrives as a tuple, as Keras
    assert set(hist.history) >= {"loss_gen", "loss_dis"}
    assert all(np.isfinite(v) for v in hist.history["loss_dis"])
    assert any(not np.array_equal(a, b.numpy()) for a, b in zip(w0, critic.trainable_weights))


def test_spectrum_front_end_in_a_channels_first_sequential():
    # keras-io eeg_bci_ssvepformer: keras.ops.rfft as the model's first layer, channels_first
    # Conv1D blocks (K.set_image_data_format), a Dense applied channel by channel
    from pyengine.keras import backend as K
    rng = np.random.default_rng(13)
    n, ch, steps, classes = 96, 4, 64, 3
    y = rng.integers(0, classes, n)
    t = np.arange(steps) / 64.0
    x = (np.sin(2 * np.pi * (4 + 4 * y)[:, None, None] * t) + rng.normal(0, 0.5, (n, ch, steps)))
    x = x.astype(np.float32)

    class Spectrum(layers.Layer):
        def call(self, v):
            re, im = keras.ops.rfft(v, fft_length=64)
            return keras.ops.concatenate((re[:, :, 2:20] / 64, im[:, :, 2:20] / 64), axis=-1)

    old = K.image_data_format()
    K.set_image_data_format("channels_first")
    try:
        keras.utils.set_random_seed(2)
        model = keras.Sequential([keras.Input(shape=(ch, steps)), Spectrum(),
                                  layers.Conv1D(2 * ch, 3, padding="same"),
                                  layers.LayerNormalization(), layers.Activation("gelu"),
                                  layers.Flatten(), layers.Dense(classes, activation="softmax")])
        assert model.output_shape == (None, classes)
        model.compile(loss="sparse_categorical_crossentropy", metrics=["accuracy"],
                      optimizer=keras.optimizers.SGD(0.05, momentum=0.9, weight_decay=1e-3))
        hist = model.fit(tf.data.Dataset.from_tensor_slices((x, y)).batch(32), epochs=8, verbose=0)
    finally:
        K.set_image_data_format(old)
    assert hist.history["loss"][-1] < 0.5 * hist.history["loss"][0]
    assert hist.history["accuracy"][-1] > 0.9
