"""tf.distribute in one process (pyengine/tf_distribute.py): the strategies TensorFlow programs
create behave as TensorFlow's on a machine with only a CPU (one replica), the TPU probe falls
back to get_strategy(), hardware pyengine does not drive raises, and the distributed custom
training loop gives the same weights as the plain loop."""
import numpy as np
import pytest

import pyengine as tf
from pyengine import keras


def test_strategies_are_one_cpu_replica_and_scope_sets_the_current_strategy():
    default = tf.distribute.get_strategy()
    assert default.num_replicas_in_sync == 1 and not tf.distribute.has_strategy()
    for s in (tf.distribute.MirroredStrategy(), tf.distribute.MirroredStrategy(["/cpu:0"]),
              tf.distribute.MirroredStrategy(
                  cross_device_ops=tf.distribute.HierarchicalCopyAllReduce()),
              tf.distribute.OneDeviceStrategy("/device:CPU:0"),
              tf.distribute.MultiWorkerMirroredStrategy(),
              tf.distribute.experimental.MultiWorkerMirroredStrategy()):
        assert s.num_replicas_in_sync == 1
        with s.scope():
            assert tf.distribute.get_strategy() is s and tf.distribute.has_strategy()
            assert tf.distribute.in_cross_replica_context()
            assert tf.distribute.get_replica_context() is None
            with s.scope():  # the same strategy may be re-entered
                pass
        assert tf.distribute.get_strategy() is default
    ctx = tf.distribute.get_replica_context()  # outside any scope: the default replica
    assert ctx.num_replicas_in_sync == 1 and ctx.replica_id_in_sync_group == 0


def test_the_tpu_probe_falls_back_and_unavailable_hardware_raises(monkeypatch):
    try:  # keras-io's probe
        tpu = tf.distribute.cluster_resolver.TPUClusterResolver.connect()
        strategy = tf.distribute.TPUStrategy(tpu)
    except ValueError:
        strategy = tf.distribute.get_strategy()
    assert strategy is tf.distribute.get_strategy()
    with pytest.raises(ValueError, match="no TPU"):
        tf.distribute.cluster_resolver.TPUClusterResolver()
    with pytest.raises(ValueError, match="no TPU"):
        tf.distribute.TPUStrategy()
    with pytest.raises(ValueError, match="GPU or TPU"):
        tf.distribute.MirroredStrategy(["/gpu:0", "/gpu:1"])
    with pytest.raises(ValueError, match="GPU or TPU"):
        tf.distribute.OneDeviceStrategy("/gpu:0")
    with pytest.raises(ValueError, match="cannot parse the device"):
        tf.distribute.OneDeviceStrategy("/fpga:0")
    with pytest.raises(TypeError, match="CrossDeviceOps"):
        tf.distribute.MirroredStrategy(cross_device_ops="nccl")
    with pytest.raises(ValueError, match="num_packs"):
        tf.distribute.NcclAllReduce(num_packs=-1)
    monkeypatch.setenv("TF_CONFIG", '{"cluster": {"worker": ["a:1", "b:1"]}, '
                                    '"task": {"type": "worker", "index": 0}}')
    with pytest.raises(ValueError, match="2 workers: pyengine trains across processes"):
        tf.distribute.MultiWorkerMirroredStrategy()
    monkeypatch.setenv("TF_CONFIG", '{"cluster": {"worker": ["a:1"]}}')
    assert tf.distribute.MultiWorkerMirroredStrategy().num_replicas_in_sync == 1
    a, b = tf.distribute.MirroredStrategy(), tf.distribute.MirroredStrategy()
    with a.scope():
        with pytest.raises(ValueError, match="mixing different strategies"):
            with b.scope():
                pass


def test_run_reduce_and_datasets():
    s = tf.distribute.MirroredStrategy()
    seen = []

    def step(x, scale=1.0):
        ctx = tf.distribute.get_replica_context()
        seen.append((ctx.replica_id_in_sync_group, tf.distribute.in_cross_replica_context()))
        return ctx.all_reduce(tf.distribute.ReduceOp.SUM, x * scale)
    v = s.run(step, args=(tf.constant([[1.0, 2.0], [3.0, 4.0]]),), kwargs={"scale": 2.0})
    assert seen == [(0, False)] and v.numpy().tolist() == [[2.0, 4.0], [6.0, 8.0]]
    assert s.reduce(tf.distribute.ReduceOp.SUM, v, axis=None) is v
    np.testing.assert_allclose(s.reduce("SUM", v, axis=0).numpy(), [8.0, 12.0])
    np.testing.assert_allclose(s.reduce(tf.distribute.ReduceOp.MEAN, v, axis=1).numpy(),
                               [3.0, 7.0])
    with pytest.raises(ValueError, match="ReduceOp.SUM or MEAN"):
        s.reduce("MAX", v, axis=None)
    with pytest.raises(TypeError, match="must be callable"):
        s.run(3)
    ds = tf.data.Dataset.from_tensor_slices(np.arange(10.0)).batch(4)
    assert s.experimental_distribute_dataset(ds) is ds
    got = s.distribute_datasets_from_function(
        lambda ctx: tf.data.Dataset.from_tensor_slices(np.arange(
            ctx.get_per_replica_batch_size(6) * 2.0)).batch(ctx.get_per_replica_batch_size(6)))
    assert [b.numpy().tolist() for b in got] == [[0.0, 1.0, 2.0, 3.0, 4.0, 5.0],
                                                 [6.0, 7.0, 8.0, 9.0, 10.0, 11.0]]
    assert s.experimental_local_results(v) == (v,)


def test_compute_average_loss_and_scale_regularization_loss():
    per_example = tf.constant([1.0, 2.0, 3.0, 6.0])
    assert tf.nn.compute_average_loss(per_example).numpy() == pytest.approx(3.0)
    assert tf.nn.compute_average_loss(per_example, global_batch_size=8).numpy() == \
        pytest.approx(1.5)
    w = np.array([1.0, 0.0, 2.0, 0.5], np.float32)
    assert tf.nn.compute_average_loss(per_example, sample_weight=w, global_batch_size=4).numpy() \
        == pytest.approx((1 + 6 + 3) / 4)
    with pytest.raises(ValueError, match="global_batch_size"):
        tf.nn.compute_average_loss(per_example, global_batch_size=0)
    assert tf.nn.scale_regularization_loss(tf.constant(3.0)).numpy() == pytest.approx(3.0)


def _model():
    keras.utils.set_random_seed(0)
    return keras.Sequential([keras.Input((5,)), keras.layers.Dense(8, activation="relu"),
                             keras.layers.Dense(3)])


def test_the_distributed_custom_loop_gives_the_plain_loops_weights():
    """TensorFlow's "custom training with tf.distribute" tutorial shape: losses with
    Reduction.NONE, compute_average_loss over the global batch, strategy.run + reduce(SUM)."""
    rng = np.random.default_rng(0)
    x = rng.normal(size=(64, 5)).astype(np.float32)
    y = rng.integers(0, 3, 64)
    batch = 16

    strategy = tf.distribute.MirroredStrategy()
    with strategy.scope():
        model = _model()
        opt = keras.optimizers.SGD(0.1)
        loss_object = keras.losses.SparseCategoricalCrossentropy(
            from_logits=True, reduction=keras.losses.Reduction.NONE)

    def train_step(inputs):
        xb, yb = inputs
        with tf.GradientTape() as tape:
            loss = tf.nn.compute_average_loss(loss_object(yb, model(xb, training=True)),
                                              global_batch_size=batch)
        grads = tape.gradient(loss, model.trainable_variables)
        opt.apply_gradients(zip(grads, model.trainable_variables))
        return loss

    @tf.function
    def distributed_train_step(inputs):
        per_replica = strategy.run(train_step, args=(inputs,))
        return strategy.reduce(tf.distribute.ReduceOp.SUM, per_replica, axis=None)

    ds = strategy.experimental_distribute_dataset(
        tf.data.Dataset.from_tensor_slices((x, y)).batch(batch))
    losses = [float(distributed_train_step(b)) for _ in range(3) for b in ds]

    plain = _model()
    plain.compile(optimizer=keras.optimizers.SGD(0.1),
                  loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True))
    hist = plain.fit(x, y, batch_size=batch, epochs=3, shuffle=False, verbose=0)
    for a, b in zip(model.get_weights(), plain.get_weights()):
        np.testing.assert_allclose(a, b, rtol=1e-5, atol=1e-6)
    assert np.mean(losses[-4:]) < np.mean(losses[:4])  # epoch 3 against epoch 1
    np.testing.assert_allclose(np.mean(losses[-4:]), hist.history["loss"][-1], rtol=1e-4)


def test_fit_under_a_strategy_scope():
    x = np.random.default_rng(1).normal(size=(32, 5)).astype(np.float32)
    y = (x[:, 0] > 0).astype(np.int64)
    with tf.distribute.MirroredStrategy().scope():
        model = _model()
        model.compile("adam", keras.losses.SparseCategoricalCrossentropy(from_logits=True),
                      metrics=["accuracy"])
    h = model.fit(x, y, epochs=5, batch_size=8, verbose=0)
    assert h.history["loss"][-1] < h.history["loss"][0]
