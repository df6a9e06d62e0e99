"""Original tests of the API patterns the keras-io programs of docs/public_examples.md ("jb"
rows: rl, recipes, guides) need: tiny sizes, synthetic data."""
import numpy as np
import pytest

import pyengine as tf
from pyengine import keras
from pyengine.keras import layers


# ---- NumPy's reductions of a tensor (np.amax(model(s)[0]) in a Q-learning loop) -----------------

@pytest.mark.parametrize("fn", [np.amax, np.max, np.amin, np.min, np.sum, np.mean, np.prod,
                                np.all, np.any, np.std, np.var])
def test_numpy_reductions_of_a_tensor_match_numpy(fn):
    a = np.array([[1.5, -2.0, 3.0], [4.0, 0.5, -6.0]], np.float32)
    t = tf.convert_to_tensor(a)
    np.testing.assert_allclose(np.asarray(fn(t)), fn(a), rtol=1e-6)
    np.testing.assert_allclose(np.asarray(fn(t, axis=1)), fn(a, axis=1), rtol=1e-6)
    np.testing.assert_allclose(np.asarray(fn(t, axis=0, keepdims=True)),
                               fn(a, axis=0, keepdims=True), rtol=1e-6)


def test_numpy_reduction_arguments_of_a_tensor():
    a = np.array([[1.0, 2.0, 4.0], [3.0, 5.0, 9.0]], np.float32)
    t = tf.convert_to_tensor(a)
    np.testing.assert_allclose(np.asarray(np.std(t, axis=0, ddof=1)), np.std(a, axis=0, ddof=1),
                               rtol=1e-6)
    assert np.sum(t, dtype=np.float64).dtype == tf.float64
    assert t.sum(dtype=tf.float64).dtype == tf.float64  # torch's keyword, the same cast
    with pytest.raises(TypeError, match=r"\[sum\] out= is not supported"):
        np.sum(t, out=np.zeros((), np.float32))
    with pytest.raises(TypeError, match=r"\[var\] give correction= or ddof="):
        t.var(correction=1, ddof=0)
    # torch's forms are unchanged: max(dim) is (values, indices), std is unbiased
    values, indices = t.max(1)
    np.testing.assert_array_equal(indices.numpy(), [2, 2])
    np.testing.assert_allclose(t.std().item(), np.std(a, ddof=1), rtol=1e-6)


def test_numpy_reductions_against_torch():
    torch = pytest.importorskip("torch")
    a = np.random.RandomState(0).randn(3, 4).astype(np.float32)
    t, r = tf.tensor(a), torch.tensor(a)
    np.testing.assert_allclose(t.sum(1, dtype=tf.float64).numpy(),
                               r.sum(1, dtype=torch.float64).numpy(), rtol=1e-12)
    np.testing.assert_allclose(t.prod(1, True).numpy(), r.prod(1, True).numpy(), rtol=1e-6)
    np.testing.assert_allclose(t.var(0, correction=0).numpy(), r.var(0, correction=0).numpy(),
                               rtol=1e-5)


def test_q_learning_targets_from_numpy_reductions_of_model_outputs():
    # the replay update of a DQN on a 4-d state: targets r + gamma * np.amax(Q(s')[0]), one
    # sample at a time, then fit on the batch; the Q of the taken actions moves to the targets
    rng = np.random.RandomState(0)
    inputs = layers.Input(shape=(4,))
    h = layers.Dense(16, activation="relu")(inputs)
    model = keras.Model(inputs, layers.Dense(2, activation="linear")(h))
    model.compile(loss=keras.losses.MeanSquaredError(), optimizer=keras.optimizers.Adam(0.01))
    states = rng.randn(32, 4)  # float64, as a gym env gives
    nexts, rewards = rng.randn(32, 4), rng.rand(32)
    actions = rng.randint(0, 2, 32)

    def targets():
        out = []
        for s, s2, r, a in zip(states, nexts, rewards, actions):
            q_next = model(tf.expand_dims(tf.convert_to_tensor(s2), 0))
            q_update = r + 0.9 * np.amax(q_next[0])
            q = np.array(model(tf.expand_dims(tf.convert_to_tensor(s), 0)))[0]
            q[a] = q_update
            out.append(q)
        return out

    def gap(q_targets):
        q = model.predict(states, verbose=0)
        return float(np.mean((q - np.asarray(q_targets)) ** 2))

    q_targets = targets()
    assert np.asarray(q_targets).shape == (32, 2)
    before = gap(q_targets)
    for _ in range(30):
        model.fit(tf.convert_to_tensor(states), tf.convert_to_tensor(q_targets), verbose=0)
    assert gap(q_targets) < 0.5 * before


# ---- an ensemble sharing one input (keras_recipes asynch_ensemble_shared_session) ------------------

def _small_net(x):
    x = layers.Conv2D(4, 3, activation="relu")(x)
    x = layers.Flatten()(x)
    return layers.Dense(3, activation="softmax")(x)


def test_ensemble_of_submodels_cut_at_an_identity_of_the_shared_input():
    # each member is a Model whose input is tf.identity(shared Input), an intermediate tensor;
    # the ensemble averages the members' stacked outputs and sees their training
    rng = np.random.RandomState(0)
    x = rng.rand(24, 6, 6, 2).astype(np.float32)
    y = keras.utils.to_categorical(rng.randint(0, 3, 24), 3)
    shared = keras.Input(shape=(6, 6, 2))
    members, outputs = [], []
    for _ in range(2):
        inp = tf.identity(shared)
        out = _small_net(inp)
        members.append(keras.Model(inputs=inp, outputs=out))
        outputs.append(out)
    ensemble = keras.Model(inputs=shared, outputs=tf.reduce_mean(tf.stack(outputs, axis=-1),
                                                                 axis=-1))
    for m in members:
        m.compile(loss="categorical_crossentropy", optimizer="adam")
        m.fit(x, y, batch_size=8, epochs=2, verbose=0)
    preds = [m.predict(x, verbose=0) for m in members]
    assert not np.allclose(preds[0], preds[1])
    np.testing.assert_allclose(ensemble.predict(x, batch_size=8, verbose=0),
                               (preds[0] + preds[1]) / 2, rtol=1e-5, atol=1e-6)


# ---- restoring the newest file of a ModelCheckpoint folder (guide distributed_training) ---------

def _mlp():
    inputs = keras.Input(shape=(6,))
    model = keras.Model(inputs, layers.Dense(3)(layers.Dense(8, activation="relu")(inputs)))
    model.compile(optimizer="adam",
                  loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True))
    return model


def test_model_checkpoint_folder_holds_only_models(tmp_path):
    # TF 2's ModelCheckpoint("ckpt/ckpt-{epoch}") saves whole models; a program restores the
    # newest entry of the folder with load_model, so nothing else may be written there (the
    # TF checkpoint state file belongs to save_weights only)
    rng = np.random.RandomState(0)
    x, y = rng.rand(40, 6).astype(np.float32), rng.randint(0, 3, 40)
    folder = tmp_path / "ckpt"
    folder.mkdir()
    model = _mlp()
    model.fit(x, y, epochs=2, verbose=0, callbacks=[keras.callbacks.ModelCheckpoint(
        filepath=str(folder / "ckpt-{epoch}"), save_freq="epoch")])
    assert sorted(p.name for p in folder.iterdir()) == ["ckpt-1", "ckpt-2"]
    restored = keras.models.load_model(str(folder / "ckpt-2"))
    np.testing.assert_allclose(restored.predict(x, verbose=0), model.predict(x, verbose=0),
                               rtol=1e-6)
    # save_weights in TF's checkpoint format still records itself for tf.train.latest_checkpoint
    model.save_weights(str(tmp_path / "w" / "weights-1"))
    assert tf.train.latest_checkpoint(str(tmp_path / "w")).endswith("weights-1")


# ---- keras.distribution on one device (guide distribution) -----------------------------------

def test_distribution_api_on_a_one_device_mesh_trains_as_without_it():
    dist = keras.distribution
    dist.initialize()  # one process: nothing to connect
    devices = dist.list_devices()
    assert devices == ["cpu:0"] or devices[0].startswith("gpu:")
    mesh = dist.DeviceMesh(shape=(1, 1), axis_names=["data", "model"], devices=devices[:1])
    assert mesh.devices.shape == (1, 1)
    layout_map = dist.LayoutMap(mesh)
    layout_map["d1/kernel"] = (None, "model")
    layout_map["d1/bias"] = ("model",)
    assert layout_map["outer/d1/kernel"].axes == (None, "model")  # regex search over paths
    assert layout_map["d2/kernel"] is None and len(layout_map) == 2

    def run(distribution):
        tf.manual_seed(0)
        model = keras.Sequential([layers.Input(shape=(5,)), layers.Dense(4, name="d1"),
                                  layers.Dense(2, name="d2")])
        model.compile(loss="mse", optimizer=keras.optimizers.SGD(0.1))
        rng = np.random.RandomState(1)
        x, y = rng.rand(16, 5).astype(np.float32), rng.rand(16, 2).astype(np.float32)
        if distribution is None:
            model.fit(x, y, epochs=2, batch_size=8, shuffle=False, verbose=0)
        else:
            with distribution.scope():
                assert dist.distribution() is distribution
                model.fit(x, y, epochs=2, batch_size=8, shuffle=False, verbose=0)
        return model

    plain = run(None)
    parallel = dist.ModelParallel(layout_map=layout_map, batch_dim_name="data")
    sharded = run(parallel)
    assert dist.distribution() is None  # scope() restored the previous (none)
    for a, b in zip(plain.get_weights(), sharded.get_weights()):
        np.testing.assert_array_equal(a, b)
    kernel = sharded.get_layer("d1").kernel
    assert parallel.get_variable_layout(kernel).axes == (None, "model")
    assert parallel.get_variable_layout(sharded.get_layer("d2").kernel).axes == (None, None)
    assert parallel.get_data_layout((8, 5)).axes == ("data", None)
    data_parallel = dist.DataParallel(devices=devices[:1])
    assert data_parallel.device_mesh.axis_names == ["batch"]
    assert data_parallel.get_tensor_layout("d1/output") is None


def test_distribution_api_refuses_what_one_device_cannot_carry_out():
    dist = keras.distribution
    with pytest.raises(ValueError, match="does not match the number of devices"):
        dist.DeviceMesh(shape=(2, 2), axis_names=["a", "b"], devices=["cpu:0"])
    two = dist.DeviceMesh(shape=(2,), axis_names=["batch"], devices=["cpu:0", "cpu:1"])
    with pytest.raises(NotImplementedError, match=r"\[DataParallel\] the device mesh holds 2"):
        dist.DataParallel(device_mesh=two)
    with pytest.raises(NotImplementedError, match="one process"):
        dist.initialize(num_processes=2, process_id=0)
    mesh = dist.DeviceMesh(shape=(1,), axis_names=["batch"], devices=["cpu:0"])
    with pytest.raises(ValueError, match="invalid axis names"):
        dist.TensorLayout(("model",), mesh)
    layout_map = dist.LayoutMap(mesh)
    layout_map["dense.*kernel"] = (None, None)
    layout_map["dense_1.*"] = (None,)
    with pytest.raises(ValueError, match="matches several layout keys"):
        layout_map["dense_1/kernel"]
    with pytest.raises(ValueError, match="already in the map"):
        layout_map["dense_1.*"] = (None,)
    with pytest.raises(ValueError, match="expected a Distribution"):
        dist.set_distribution("data_parallel")
    with pytest.raises(ValueError, match="batch_dim_name 'data' is not an axis"):
        dist.ModelParallel(layout_map=dist.LayoutMap(mesh), batch_dim_name="data")


# ---- tf.train.Checkpoint / CheckpointManager (TF 2 training loops) ---------------------------

def _regressor():
    inputs = keras.Input(shape=(4,))
    return keras.Model(inputs, layers.Dense(2)(layers.Dense(8, activation="relu")(inputs)))


def _tape_step(model, opt, x, y):
    with tf.GradientTape() as tape:
        loss = tf.reduce_mean((model(x) - y) ** 2)
    grads = tape.gradient(loss, model.trainable_variables)
    opt.apply_gradients(zip(grads, model.trainable_variables))
    return float(loss)


def test_checkpoint_manager_keeps_the_last_and_restore_continues_training(tmp_path):
    rng = np.random.RandomState(0)
    x, y = rng.rand(16, 4).astype(np.float32), rng.rand(16, 2).astype(np.float32)
    model, opt = _regressor(), keras.optimizers.Adam(0.01)
    for _ in range(3):
        _tape_step(model, opt, x, y)
    ckpt = tf.train.Checkpoint(step=tf.Variable(1), optimizer=opt, net=model)
    manager = tf.train.CheckpointManager(ckpt, str(tmp_path), max_to_keep=2)
    assert manager.latest_checkpoint is None
    assert ckpt.restore(manager.latest_checkpoint).expect_partial() is not None  # fresh start
    paths = []
    for _ in range(3):
        ckpt.step.assign_add(1)
        paths.append(manager.save())
    assert [p.rsplit("-", 1)[1] for p in paths] == ["1", "2", "3"]
    assert sorted(p.name for p in tmp_path.iterdir()) == ["checkpoint", "ckpt-2", "ckpt-3"]
    assert manager.checkpoints == paths[1:]
    assert tf.train.latest_checkpoint(str(tmp_path)) == paths[-1] == manager.latest_checkpoint
    expected = [_tape_step(model, opt, x, y) for _ in range(2)]

    model2, opt2 = _regressor(), keras.optimizers.Adam(0.01)  # before any step: no state yet
    ckpt2 = tf.train.Checkpoint(step=tf.Variable(1), optimizer=opt2, net=model2)
    ckpt2.restore(tf.train.CheckpointManager(ckpt2, str(tmp_path), 2).latest_checkpoint) \
        .assert_consumed()
    assert int(ckpt2.step.numpy()) == 4 and opt2.iterations == 3
    assert int(ckpt2.save_counter.numpy()) == 3
    # the restored weights and Adam moments continue the run exactly
    assert [_tape_step(model2, opt2, x, y) for _ in range(2)] == expected


def test_checkpoint_save_write_and_restore_errors(tmp_path):
    model = _regressor()
    ckpt = tf.train.Checkpoint(model=model, extra=[tf.Variable(np.ones(3, np.float32))])
    path = ckpt.save(str(tmp_path / "ckpt"))
    assert path.endswith("ckpt-1") and tf.train.latest_checkpoint(str(tmp_path)) == path
    written = ckpt.write(str(tmp_path / "exact"))
    assert written == str(tmp_path / "exact") and tf.train.latest_checkpoint(str(tmp_path)) == path
    before = [w.numpy().copy() for w in model.weights]
    for w in model.weights:
        w.assign(np.zeros(w.shape, np.float32))
    ckpt.extra[0].assign(np.zeros(3, np.float32))
    ckpt.restore(path).assert_consumed()
    for w, b in zip(model.weights, before):
        np.testing.assert_array_equal(w.numpy(), b)
    np.testing.assert_array_equal(ckpt.extra[0].numpy(), np.ones(3))
    # a partial match: the status says so when asked
    status = tf.train.Checkpoint(model=model).restore(path)
    with pytest.raises(AssertionError, match="saved values not used"):
        status.assert_consumed()
    status.expect_partial().assert_existing_objects_matched()
    with pytest.raises(AssertionError, match="no checkpoint specified"):
        tf.train.Checkpoint(model=model).restore(None).assert_consumed()

    class Unbuilt(keras.Model):
        def __init__(self):
            super().__init__()
            self.d = layers.Dense(2)

        def call(self, x):
            return self.d(x)
    unbuilt = Unbuilt()  # restored at its first call (TF's deferred restoration)
    status = tf.train.Checkpoint(model=unbuilt).restore(ckpt.write(str(tmp_path / "sub")))
    with pytest.raises(AssertionError, match="models not built yet"):
        status.expect_partial().assert_consumed()
    sub = tf.train.Checkpoint(model=Unbuilt())
    sub.model(np.zeros((1, 8), np.float32))
    want = [w.numpy().copy() for w in sub.model.weights]
    sub.write(str(tmp_path / "sub"))
    status = tf.train.Checkpoint(model=unbuilt).restore(str(tmp_path / "sub"))
    ones = np.ones((2, 8), np.float32)
    # the first call already computes with the restored weights
    np.testing.assert_array_equal(unbuilt(ones).numpy(), sub.model(ones).numpy())
    status.assert_consumed()
    for w, b in zip(unbuilt.weights, want):
        np.testing.assert_array_equal(w.numpy(), b)
    with pytest.raises(ValueError, match="must be a trackable object"):
        tf.train.Checkpoint(step=1)
    wide = tf.train.Checkpoint(model=keras.Sequential([keras.Input((5,)), layers.Dense(2)]))
    with pytest.raises(ValueError, match="has shape"):
        wide.restore(ckpt.write(str(tmp_path / "narrow")))
    with pytest.raises(NotImplementedError, match="keep_checkpoint_every_n_hours"):
        tf.train.CheckpointManager(ckpt, str(tmp_path), 2, keep_checkpoint_every_n_hours=1)


# ---- two tapes open together (TensorFlow's DCGAN train_step) ----------------------------------

def test_two_tapes_recording_the_same_ops_each_take_their_gradient():
    rng = np.random.RandomState(0)
    gen = keras.Sequential([keras.Input((3,)), layers.Dense(4, activation="tanh")])
    disc = keras.Sequential([keras.Input((4,)), layers.Dense(1)])
    noise = rng.rand(5, 3).astype(np.float32)
    real = rng.rand(5, 4).astype(np.float32)
    bce = keras.losses.BinaryCrossentropy(from_logits=True)

    def losses():
        fake_out = disc(gen(noise, training=True), training=True)
        real_out = disc(real, training=True)
        g_loss = bce(tf.ones_like(fake_out), fake_out)
        d_loss = bce(tf.ones_like(real_out), real_out) + bce(tf.zeros_like(fake_out), fake_out)
        return g_loss, d_loss

    with tf.GradientTape() as gen_tape, tf.GradientTape() as disc_tape:
        g_loss, d_loss = losses()
    g_grads = gen_tape.gradient(g_loss, gen.trainable_variables)
    d_grads = disc_tape.gradient(d_loss, disc.trainable_variables)  # raised: graph freed
    with tf.GradientTape(persistent=True) as tape:  # the reference: one persistent tape
        g_ref, d_ref = losses()
    for got, want in zip(g_grads + d_grads,
                         tape.gradient(g_ref, gen.trainable_variables)
                         + tape.gradient(d_ref, disc.trainable_variables)):
        np.testing.assert_allclose(got.numpy(), want.numpy(), rtol=1e-6, atol=1e-7)
    with pytest.raises(RuntimeError, match="non-persistent tape can compute gradients once"):
        gen_tape.gradient(g_loss, gen.trainable_variables)


# ---- TensorFlow names of TF 2 programs: tf.linalg.band_part ..., tf.nn pooling / activations ---

def test_linalg_band_part_diag_trace_matvec_against_numpy():
    a = np.arange(24, dtype=np.float32).reshape(2, 3, 4)
    x = tf.constant(a)
    np.testing.assert_array_equal(tf.linalg.band_part(x, -1, 0).numpy(), np.tril(a))
    np.testing.assert_array_equal(tf.linalg.band_part(x, 0, -1).numpy(), np.triu(a))
    np.testing.assert_array_equal(tf.linalg.band_part(x, 1, 0).numpy(), np.tril(a) - np.tril(a, -2))
    # the Transformer's look-ahead mask, and the band as a graph op on a symbolic input
    mask = 1 - tf.linalg.band_part(tf.ones((3, 3)), -1, 0)
    np.testing.assert_array_equal(mask.numpy(), np.triu(np.ones((3, 3)), 1))
    assert tf.linalg.band_part(keras.Input((4, 4)), tf.constant(-1), 0).shape == (None, 4, 4)
    np.testing.assert_array_equal(tf.linalg.diag(tf.constant(a[:, 0])).numpy(),
                                  np.stack([np.diag(r) for r in a[:, 0]]))
    np.testing.assert_allclose(tf.linalg.trace(x).numpy(), np.trace(a, axis1=1, axis2=2))
    v = np.ones(4, np.float32)
    np.testing.assert_allclose(tf.linalg.matvec(x, tf.constant(v)).numpy(), a @ v)
    np.testing.assert_allclose(tf.linalg.matvec(x, tf.constant(v[:3]), transpose_a=True).numpy(),
                               np.swapaxes(a, 1, 2) @ v[:3])
    with pytest.raises(TypeError, match=r"\[tf.linalg.band_part\] num_lower must be an integer"):
        tf.linalg.band_part(x, 0.5, 0)
    with pytest.raises(ValueError, match=r"\[tf.linalg.matvec\] b's last dimension must be 4"):
        tf.linalg.matvec(x, tf.constant(v[:3]))
    w = tf.Variable(np.ones((3, 3), np.float32))
    with tf.GradientTape() as tape:
        loss = tf.reduce_sum(tf.linalg.band_part(w, 0, 1) * 2.0)
    np.testing.assert_array_equal(tape.gradient(loss, w).numpy(), 2 * np.triu(np.tril(np.ones((3, 3)), 1)))


def test_nn_pooling_by_rank_and_activations_against_torch():
    torch = pytest.importorskip("torch")
    x = np.random.RandomState(0).randn(2, 7, 3).astype(np.float32)
    tx = torch.tensor(x).transpose(1, 2)
    np.testing.assert_allclose(tf.nn.max_pool(tf.constant(x), 2, 2, "VALID").numpy(),
                               torch.nn.functional.max_pool1d(tx, 2, 2).transpose(1, 2).numpy())
    np.testing.assert_allclose(tf.nn.avg_pool1d(tf.constant(x), [1, 3, 1], 1, "VALID").numpy(),
                               torch.nn.functional.avg_pool1d(tx, 3, 1).transpose(1, 2).numpy(),
                               rtol=1e-6, atol=1e-6)
    assert tf.nn.max_pool(tf.constant(x), 2, 2, "SAME").shape == (2, 4, 3)
    img = tf.constant(np.random.RandomState(1).rand(1, 4, 4, 2).astype(np.float32))
    np.testing.assert_array_equal(tf.nn.avg_pool(img, 2, 2, "VALID").numpy(),
                                  tf.nn.avg_pool2d(img, 2, 2, "VALID").numpy())
    with pytest.raises(NotImplementedError, match=r"\[tf.nn.max_pool\] 3-D \(NWC\) and 4-D"):
        tf.nn.max_pool(tf.zeros((1, 2, 2, 2, 1)), 2, 2, "VALID")
    t = torch.tensor(x * 4)
    for ours, ref in ((tf.nn.relu6, torch.nn.functional.relu6), (tf.nn.selu, torch.selu),
                      (tf.nn.softsign, torch.nn.functional.softsign),
                      (tf.math.log_sigmoid, torch.nn.functional.logsigmoid)):
        np.testing.assert_allclose(ours(tf.constant(x * 4)).numpy(), ref(t).numpy(), rtol=1e-5,
                                   atol=1e-6)


def test_math_names_against_numpy():
    a = np.array([[3.0, 0.0, -4.0], [0.0, 0.0, 12.0]], np.float32)
    np.testing.assert_allclose(tf.math.reduce_euclidean_norm(tf.constant(a), axis=1).numpy(),
                               np.linalg.norm(a, axis=1), rtol=1e-6)
    assert float(tf.math.reduce_euclidean_norm(tf.constant(a))) == pytest.approx(13.0)
    counts = tf.math.count_nonzero(tf.constant(a), axis=0, keepdims=True)
    assert counts.dtype == tf.int64
    np.testing.assert_array_equal(counts.numpy(), np.count_nonzero(a, axis=0, keepdims=True))
    np.testing.assert_array_equal(
        tf.math.multiply_no_nan(tf.constant([np.inf, np.nan, 2.0]), tf.constant([0.0, 0.0, 3.0]))
        .numpy(), [0.0, 0.0, 6.0])


def test_image_resize_with_crop_or_pad_and_total_variation_against_numpy():
    x = np.random.RandomState(0).rand(2, 5, 4, 3).astype(np.float32)
    out = tf.image.resize_with_crop_or_pad(tf.constant(x), 3, 7).numpy()
    want = np.zeros((2, 3, 7, 3), np.float32)
    want[:, :, 1:5] = x[:, 1:4]  # height 5 -> 3 cropped from row 1; width 4 -> 7 padded 1 before
    np.testing.assert_array_equal(out, want)
    assert tf.image.resize_with_crop_or_pad(tf.constant(x[0]), 5, 4).shape == (5, 4, 3)
    tv = np.abs(np.diff(x, axis=1)).sum((1, 2, 3)) + np.abs(np.diff(x, axis=2)).sum((1, 2, 3))
    np.testing.assert_allclose(tf.image.total_variation(tf.constant(x)).numpy(), tv, rtol=1e-5)
    img = tf.Variable(x[0])
    with tf.GradientTape() as tape:
        loss = tf.image.total_variation(img)
    assert float(loss) == pytest.approx(tv[0], rel=1e-5)
    assert tape.gradient(loss, img).shape == (5, 4, 3)
