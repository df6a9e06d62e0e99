"""API patterns of TensorFlow's guides (tensorflow/docs site/en/guide) and of keras-team/keras
examples, run with `import pyengine as tf`: original tests with tiny synthetic data
(docs/public_examples.md lists the programs)."""
import numpy as np
import pytest

import pyengine as tf


# ---- tf.Module: variables found through attributes ----------------------------------------
class _Dense(tf.Module):
    def __init__(self, n_in, n_out, name=None):
        super().__init__(name=name)
        self.w = tf.Variable(tf.random.normal([n_in, n_out]), name="w")
        self.b = tf.Variable(tf.zeros([n_out]), name="b")

    def __call__(self, x):
        return tf.nn.relu(tf.matmul(x, self.w) + self.b)


class _Lazy(tf.Module):
    def __init__(self, n_out, name=None):
        super().__init__(name=name)
        self.built, self.n_out = False, n_out

    def __call__(self, x):
        if not self.built:
            self.w = tf.Variable(tf.random.normal([x.shape[-1], self.n_out]))
            self.b = tf.Variable(tf.zeros([self.n_out]))
            self.built = True
        return tf.matmul(x, self.w) + self.b


class _Two(tf.Module):
    def __init__(self, layer, name=None):
        super().__init__(name=name)
        self.first, self.second = layer(3), layer(2)

    def __call__(self, x):
        return self.second(self.first(x))


def test_module_collects_variables_in_sorted_attribute_order_and_recurses():
    class M(tf.Module):
        def __init__(self):
            super().__init__()
            self.z = tf.Variable(1.0)
            self.a = tf.Variable(2.0, trainable=False)
            self.layers = [_Dense(2, 3), {"k": tf.Variable(3.0)}]
            self.const = tf.constant(4.0)  # a tensor, not a variable: not collected
            self.again = self.z  # each variable once

    m = M()
    assert m.name == "m"
    vals = [v.numpy().tolist() for v in m.variables]
    # attributes sorted: a, again (= z), layers[0].(b, w) after the own leaves, layers[1]['k']
    assert vals[0] == 2.0 and vals[1] == 1.0 and vals[2] == 3.0
    assert [tuple(v.shape) for v in m.variables[3:]] == [(3,), (2, 3)]
    assert len(m.trainable_variables) == 4 and len(m.non_trainable_variables) == 1
    assert m.non_trainable_variables[0] is m.a
    assert [type(s) for s in m.submodules] == [_Dense]
    assert isinstance(m.variables, tuple)


def test_module_without_super_init_still_finds_variables_and_trains():
    class Quad(tf.Module):  # TensorFlow's basics guide: no super().__init__()
        def __init__(self):
            self.w_q, self.w_l, self.b = tf.Variable(0.5), tf.Variable(0.5), tf.Variable(0.0)

        def __call__(self, x):
            return self.w_q * x ** 2 + self.w_l * x + self.b

    q = Quad()
    assert [v is w for v, w in zip(q.variables, (q.b, q.w_l, q.w_q))] == [True] * 3
    with pytest.raises(AttributeError, match="super"):
        q.name
    x = tf.cast(tf.linspace(-2, 2, 41), tf.float32)
    y = x ** 2 + 2 * x - 5
    first = None
    for _ in range(200):
        with tf.GradientTape() as tape:
            loss = tf.reduce_mean(tf.square(q(x) - y))
        grads = tape.gradient(loss, q.variables)
        for g, v in zip(grads, q.variables):
            v.assign_sub(0.05 * g)
        first = float(loss) if first is None else first
    assert float(loss) < 0.01 * first
    np.testing.assert_allclose([q.w_q.numpy(), q.w_l.numpy(), q.b.numpy()], [1, 2, -5],
                               atol=0.05)


def test_module_names_and_name_scope():
    assert _Dense(1, 1).name == "__dense"  # TensorFlow's camel_to_snake of '_Dense'

    class MyFancyMLP(tf.Module):
        pass
    assert MyFancyMLP().name == "my_fancy_mlp"
    m = _Dense(1, 1, name="layer_1")
    with m.name_scope as scope:
        assert scope == "layer_1/"
    with pytest.raises(ValueError, match="valid Python identifiers"):
        _Dense(1, 1, name="not valid")


def test_keras_layers_inside_a_module_are_modules_and_layers_have_submodules():
    class Holder(tf.Module):
        def __init__(self):
            super().__init__()
            self.dense = tf.keras.layers.Dense(2)
            self.dense.build((None, 3))

    h = Holder()
    assert len(h.variables) == 2 and h.submodules == (h.dense,)
    model = tf.keras.Sequential([tf.keras.layers.Dense(3), tf.keras.layers.Dense(1)])
    model.build((None, 4))
    assert list(model.submodules)[-2:] == list(model.layers)


def test_checkpoint_of_module_restores_variables_created_after_restore(tmp_path):
    x = tf.constant([[2.0, 1.0, -1.0]])
    model = _Two(_Lazy)
    expected = model(x).numpy()
    path = str(tmp_path / "ckpt")
    tf.train.Checkpoint(model=model).write(path)
    names = [k for k, _ in tf.train.list_variables(path)]
    assert names == ["model/first/b", "model/first/w", "model/second/b", "model/second/w",
                     "save_counter"]
    assert tf.train.list_variables(path)[1][1] == [3, 3]
    np.testing.assert_array_equal(tf.train.load_variable(path, "model/second/w"),
                                  model.second.w.numpy())
    fresh = _Two(_Lazy)  # no variables yet: restored when its first call creates them
    status = tf.train.Checkpoint(model=fresh).restore(path)
    with pytest.raises(AssertionError, match="not built"):
        status.assert_consumed()
    np.testing.assert_array_equal(fresh(x).numpy(), expected)
    status.assert_consumed()
    built = _Two(lambda n: _Dense(3, n))  # variables exist: restored at once
    tf.train.Checkpoint(model=built).restore(path)
    np.testing.assert_array_equal(built.first.w.numpy(), model.first.w.numpy())
    with pytest.raises(KeyError, match="model/first/kernel"):
        tf.train.load_variable(path, "model/first/kernel")
    reader = tf.train.load_checkpoint(str(tmp_path / "ckpt"))
    assert reader.get_variable_to_shape_map()["model/first/b"] == [3]


def test_matmul_shape_error_is_tf_invalid_argument_and_value_error():
    layer_w = tf.Variable(tf.zeros([3, 3]))
    with pytest.raises(tf.errors.InvalidArgumentError, match=r"\[matmul\] inner dimensions"):
        tf.matmul(tf.ones([1, 4]), layer_w)
    with pytest.raises(ValueError):
        tf.ones([2, 2, 4]) @ tf.ones([3, 4, 1])


def test_keras_losses_upper_case_aliases_and_function_initializer():
    assert tf.keras.losses.MSE is tf.keras.losses.mean_squared_error
    assert tf.keras.losses.MAE is tf.keras.losses.mean_absolute_error
    assert tf.keras.losses.KLD is tf.keras.losses.kl_divergence
    yt, yp = np.array([[1.0, 2.0]]), np.array([[0.0, 4.0]])
    np.testing.assert_allclose(tf.keras.losses.MSE(yt, yp).numpy(), [2.5])
    # basics guide: kernel_initializer=tf.random.normal, called as init(shape, dtype=...)
    tf.random.set_seed(3)
    model = tf.keras.Sequential([
        tf.keras.layers.Lambda(lambda x: tf.stack([x, x ** 2], axis=1)),
        tf.keras.layers.Dense(units=1, kernel_initializer=tf.random.normal)])
    model.compile(loss=tf.keras.losses.MSE, optimizer=tf.keras.optimizers.SGD(learning_rate=0.01))
    x = np.linspace(-2, 2, 64).astype("float32")
    hist = model.fit(x, x ** 2 + 2 * x - 5, epochs=30, batch_size=16, verbose=0)
    assert hist.history["loss"][-1] < 0.2 * hist.history["loss"][0]


def test_keras_model_with_init_variables_and_own_call_fits_and_saves(tmp_path):
    class Line(tf.keras.Model):  # basic_training_loops: __call__ overridden, no sublayers
        def __init__(self, **kwargs):
            super().__init__(**kwargs)
            self.w = tf.Variable(5.0)
            self.b = tf.Variable(0.0)

        def __call__(self, x, **kwargs):
            return self.w * x + self.b

    rng = np.random.default_rng(0)
    x = rng.normal(size=200).astype("float32")
    y = 3 * x + 2
    model = Line()
    model.compile(optimizer=tf.keras.optimizers.SGD(learning_rate=0.1),
                  loss=tf.keras.losses.mean_squared_error)
    hist = model.fit(x, y, epochs=10, batch_size=200, verbose=0)
    assert hist.history["loss"][-1] < 0.05 * hist.history["loss"][0]
    path = str(tmp_path / "line_ckpt")
    model.save_weights(path)
    other = Line()
    other.load_weights(path)
    np.testing.assert_array_equal([other.w.numpy(), other.b.numpy()],
                                  [model.w.numpy(), model.b.numpy()])


# ---- autodiff guide: tf.constant(name=, shape=), UnconnectedGradients, adjust_contrast ------
def test_constant_name_and_shape_and_convert_to_tensor_dtype_hint():
    c = tf.constant(3.0, name="x3")
    assert c.dtype == tf.float32 and float(c) == 3.0
    np.testing.assert_array_equal(tf.constant(7, shape=(2, 3)).numpy(), np.full((2, 3), 7))
    assert tf.constant(7, shape=(2, 3)).dtype == tf.int32
    np.testing.assert_array_equal(tf.constant([1, 2, 3, 4, 5, 6], shape=[2, 3]).numpy(),
                                  np.arange(1, 7).reshape(2, 3))
    with pytest.raises(TypeError, match=r"\[constant\] the value has 3 elements"):
        tf.constant([1, 2, 3], shape=(2, 3))
    with pytest.raises(TypeError, match="name must be a string"):
        tf.constant(1.0, name=5)
    assert tf.convert_to_tensor([1, 2], dtype_hint=tf.float32).dtype == tf.float32
    assert tf.convert_to_tensor(np.array([1, 2]), dtype_hint=tf.float32).dtype == tf.int64
    assert tf.convert_to_tensor([1, 2], name="v").dtype == tf.int32


def test_unconnected_gradients_enum_and_contrast_factor_gradient():
    x, y = tf.Variable([2.0, 2.0]), tf.Variable(3.0)
    with tf.GradientTape(persistent=True) as tape:
        z = y ** 2
    assert tape.gradient(z, x, unconnected_gradients=tf.UnconnectedGradients.NONE) is None
    np.testing.assert_array_equal(
        tape.gradient(z, x, unconnected_gradients=tf.UnconnectedGradients.ZERO).numpy(), [0, 0])
    rng = np.random.default_rng(1)
    img = rng.random((4, 5, 3)).astype("float32")
    image, delta = tf.Variable(img), tf.Variable(0.7)
    with tf.GradientTape() as tape:
        out = tf.image.adjust_contrast(image, delta)
        loss = tf.reduce_sum(out * img)
    g_img, g_delta = tape.gradient(loss, [image, delta])
    mean = img.mean(axis=(0, 1), keepdims=True)
    np.testing.assert_allclose(out.numpy(), (img - mean) * 0.7 + mean, rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(float(g_delta), ((img - mean) * img).sum(), rtol=1e-4)
    # d/dx sum(((x - m) f + m) w) = f w + (1 - f) mean(w) over height and width
    np.testing.assert_allclose(g_img.numpy(), 0.7 * img + 0.3 * mean, rtol=1e-4, atol=1e-6)
    with pytest.raises(ValueError, match="contrast_factor must be a scalar"):
        tf.image.adjust_contrast(image, tf.Variable([0.5, 0.5]))


def test_argmax_of_a_tf_variable_is_tensorflows_and_of_a_tensor_torchs():
    m = np.array([[1.0, 2.0], [3.0, 4.0]], dtype="float32")
    np.testing.assert_array_equal(tf.argmax(tf.Variable(m)).numpy(), [1, 1])  # axis 0
    np.testing.assert_array_equal(tf.argmin(tf.Variable(m)).numpy(), [0, 0])
    assert int(tf.argmax(tf.tensor(m))) == 3  # torch.argmax: the flattened index
    np.testing.assert_array_equal(tf.argmax(tf.Variable(m), axis=1).numpy(), [1, 1])


# ---- Keras 1 texts (keras-team/keras examples/imdb_multilevel_gru.py) -----------------------
def test_keras1_merge_function_modes_and_model_input_output_names():
    from pyengine.keras import layers
    from pyengine.keras.layers import merge
    rng = np.random.default_rng(0)
    a_np, b_np = (rng.normal(size=(4, 3)).astype("float32") for _ in range(2))
    a, b = tf.keras.Input((3,)), tf.keras.Input((3,))
    expected = {"sum": a_np + b_np, "mul": a_np * b_np, "ave": (a_np + b_np) / 2,
                "max": np.maximum(a_np, b_np), "concat": np.concatenate([a_np, b_np], -1),
                "dot": (a_np * b_np).sum(-1, keepdims=True)}
    an, bn = a_np / np.linalg.norm(a_np, axis=-1, keepdims=True), \
        b_np / np.linalg.norm(b_np, axis=-1, keepdims=True)
    expected["cos"] = (an * bn).sum(-1, keepdims=True)
    for mode, want in expected.items():
        with pytest.warns(DeprecationWarning, match="merge"):
            out = merge([a, b], mode=mode)
        with pytest.warns(DeprecationWarning, match="Keras 1"):
            model = tf.keras.Model(input=[a, b], output=out)
        np.testing.assert_allclose(model.predict([a_np, b_np], verbose=0), want, rtol=1e-5,
                                   atol=1e-6, err_msg=mode)
    with pytest.warns(DeprecationWarning):
        out = merge([a, b], mode=lambda t: t[0] - t[1], output_shape=(3,))
    model = tf.keras.Model([a, b], out)
    np.testing.assert_allclose(model.predict([a_np, b_np], verbose=0), a_np - b_np, rtol=1e-6)
    assert merge.Add is layers.Add  # still the module of the merge layers
    with pytest.raises(ValueError, match="unknown mode 'min'"), pytest.warns(DeprecationWarning):
        merge([a, b], mode="min")
    with pytest.raises(TypeError, match="both input= .Keras 1. and inputs="):
        tf.keras.Model(inputs=a, input=a, outputs=a)


# ---- tensor guide ---------------------------------------------------------------------------
def test_tf_size_and_ragged_constant_error():
    t = tf.zeros([3, 2, 4, 5])
    assert tf.size(t).numpy() == 120 and tf.size(t).dtype == tf.int32
    assert tf.size([[1, 2], [3, 4]], out_type=tf.int64).dtype == tf.int64
    with pytest.raises(TypeError, match="out_type"):
        tf.size(t, out_type=tf.float32)
    assert tf.Size([2, 3]).numel() == 6  # torch.Size is still there
    with pytest.raises(ValueError, match=r"\[constant\] cannot convert a non-rectangular"):
        tf.constant([[0, 1, 2], [3]])
    assert tf.ragged.constant([[0, 1, 2], [3]]).shape == (2, None)


def test_strings_bytes_unicode_split_decode_and_io_decode_raw():
    assert tf.strings.bytes_split("Duck").tolist() == [b"D", b"u", b"c", b"k"]
    assert tf.strings.bytes_split("é").tolist() == [b"\xc3", b"\xa9"]  # bytes, not characters
    text = "アヒル 🦆"
    assert tf.strings.unicode_split(text, "UTF-8").tolist() == list(text)
    codes = tf.strings.unicode_decode(text, "UTF-8")
    assert codes.dtype == tf.int32 and codes.numpy().tolist() == [ord(c) for c in text]
    batch = tf.strings.unicode_decode(["ab", "ü"], "UTF-8")
    assert batch.to_list() == [[97, 98], [252]]
    assert tf.strings.unicode_split(b"a\xffb", "UTF-8").tolist() == ["a", "\ufffd", "b"]
    with pytest.raises(ValueError, match=r"\[strings.unicode_decode\] invalid start byte"):
        tf.strings.unicode_decode(b"a\xffb", "UTF-8", errors="strict")
    assert tf.strings.unicode_decode("a\u00e9".encode("utf-16-be"), "UTF-16-BE").tolist() == \
        [97, 233]
    with pytest.raises(ValueError, match="input_encoding must be one of"):
        tf.strings.unicode_split("x", "latin-1")
    np.testing.assert_array_equal(tf.io.decode_raw("Duck", tf.uint8).numpy(), [68, 117, 99, 107])
    raw = np.array([1, -2], dtype=">i4").tobytes()
    np.testing.assert_array_equal(tf.io.decode_raw(raw, tf.int32, little_endian=False).numpy(),
                                  [1, -2])
    with pytest.raises(ValueError, match="multiple of 4"):
        tf.io.decode_raw(b"abc", tf.float32)


def test_tf_sparse_tensor_to_dense_and_back():
    sp = tf.sparse.SparseTensor(indices=[[0, 0], [1, 2]], values=[1, 2], dense_shape=[3, 4])
    assert tf.SparseTensor is tf.sparse.SparseTensor and sp.shape == (3, 4)
    want = np.zeros((3, 4), np.int32)
    want[0, 0], want[1, 2] = 1, 2
    dense = tf.sparse.to_dense(sp)
    np.testing.assert_array_equal(dense.numpy(), want)
    assert dense.dtype == tf.int32 and sp.indices.dtype == tf.int64
    np.testing.assert_array_equal(tf.sparse.to_dense(sp, default_value=-1).numpy()[2], [-1] * 4)
    back = tf.sparse.from_dense(dense)
    np.testing.assert_array_equal(back.indices.numpy(), [[0, 0], [1, 2]])
    v = tf.Variable([0.5, 2.0])
    with tf.GradientTape() as tape:
        d = tf.sparse.to_dense(tf.sparse.SparseTensor([[0, 1], [1, 0]], v, [2, 2]))
        loss = tf.reduce_sum(d * tf.constant([[1.0, 3.0], [5.0, 7.0]]))
    np.testing.assert_allclose(tape.gradient(loss, v).numpy(), [3.0, 5.0])
    with pytest.raises(ValueError, match="outside dense_shape"):
        tf.sparse.SparseTensor([[3, 0]], [1], [3, 4])
    with pytest.raises(ValueError, match="repeat"):
        tf.sparse.to_dense(tf.sparse.SparseTensor([[0, 0], [0, 0]], [1, 2], [2, 2]))


def test_tf_range_dtype_follows_tensorflow():
    assert tf.range(1, 5).dtype == tf.int32  # Python ints: int32, as TensorFlow
    np.testing.assert_array_equal(tf.range(1, 5).numpy(), [1, 2, 3, 4])
    assert tf.range(5.0).dtype == tf.float32
    assert tf.range(np.int64(4)).dtype == tf.int64
    assert tf.range(tf.size(tf.zeros([2, 3]))).dtype == tf.int32
    assert tf.range(0, 3, dtype=tf.float64).dtype == tf.float64
    x = tf.reshape(tf.constant([1, 2, 3]), [3, 1])
    assert tf.multiply(x, tf.range(1, 5)).dtype == tf.int32  # the guide's broadcast stays int32


# ---- random_numbers guide: tf.random.Generator -----------------------------------------------
def test_tf_random_generator_seeding_reset_split_and_global():
    g = tf.random.Generator.from_seed(1)
    a = g.normal([2, 3])
    assert a.shape == (2, 3) and a.dtype == tf.float32
    b = g.normal([])
    assert not np.allclose(float(b), a.numpy().ravel()[0])  # the stream advances
    g.reset_from_seed(1)
    np.testing.assert_array_equal(g.normal([2, 3]).numpy(), a.numpy())
    np.testing.assert_array_equal(tf.random.Generator.from_seed(1).normal([2, 3]).numpy(),
                                  a.numpy())
    p = tf.random.Generator.from_seed(1, alg="philox")  # TensorFlow's auto_select is Philox on
    assert p.algorithm == "philox"                        # a CPU: the same stream
    np.testing.assert_array_equal(p.normal([2, 3]).numpy(), a.numpy())
    with pytest.raises(ValueError, match="ThreeFry"):
        tf.random.Generator.from_seed(1, alg="threefry")
    kids = tf.random.Generator.from_seed(7).split(3)
    draws = [k.normal([1000]).numpy() for k in kids]
    assert abs(np.corrcoef(draws[0], draws[1])[0, 1]) < 0.1
    again = [k.normal([1000]).numpy() for k in tf.random.Generator.from_seed(7).split(3)]
    np.testing.assert_array_equal(draws[2], again[2])  # split is reproducible from the seed
    u = tf.random.Generator.from_seed(3).uniform([500], minval=2, maxval=5, dtype=tf.int32)
    assert u.dtype == tf.int32 and set(np.unique(u.numpy())) == {2, 3, 4}
    glob = tf.random.get_global_generator()
    assert tf.random.get_global_generator() is glob
    tf.random.set_global_generator(tf.random.Generator.from_seed(1))
    np.testing.assert_array_equal(tf.random.get_global_generator().normal([2, 3]).numpy(),
                                  a.numpy())
    tf.random.set_global_generator(glob)
    assert tf.Generator().manual_seed(3).initial_seed() == 3  # torch.Generator unchanged


def test_checkpoint_with_optimizer_restores_an_unbuilt_subclassed_model(tmp_path):
    class Net(tf.keras.Model):  # the checkpoint guide's model: built at its first call
        def __init__(self):
            super().__init__()
            self.l1 = tf.keras.layers.Dense(5)

        def call(self, x):
            return self.l1(x)

    x = tf.constant(np.arange(8, dtype="float32").reshape(4, 2))
    y = tf.constant(np.arange(20, dtype="float32").reshape(4, 5))

    def step(net, opt):
        with tf.GradientTape() as tape:
            loss = tf.reduce_mean(tf.abs(net(x) - y))
        grads = tape.gradient(loss, net.trainable_variables)
        opt.apply_gradients(zip(grads, net.trainable_variables))
        return float(loss)

    net, opt = Net(), tf.keras.optimizers.Adam(0.1)
    for _ in range(3):
        step(net, opt)
    manager = tf.train.CheckpointManager(tf.train.Checkpoint(optimizer=opt, net=net),
                                         str(tmp_path / "ckpts"), max_to_keep=2)
    manager.save()
    fresh, fresh_opt = Net(), tf.keras.optimizers.Adam(0.1)
    ckpt = tf.train.Checkpoint(optimizer=fresh_opt, net=fresh)
    status = ckpt.restore(manager.latest_checkpoint)  # Adam's slots are not weights
    np.testing.assert_array_equal(fresh(x).numpy(), net(x).numpy())
    status.assert_consumed()  # the slots were restored with the weights at the first call
    assert fresh_opt.iterations == opt.iterations == 3
    # the next step continues from the same Adam moments: identical weights afterwards
    step(net, opt), step(fresh, fresh_opt)
    for a, b in zip(net.weights, fresh.weights):
        np.testing.assert_allclose(a.numpy(), b.numpy(), rtol=1e-6, atol=1e-7)


def test_tape_gives_none_for_tensors_made_before_it_unless_watched():
    x0 = tf.Variable(3.0)
    x2 = tf.Variable(2.0) + 1.0  # a tensor computed before the tape: not recorded by it
    with tf.GradientTape(persistent=True) as tape:
        y = x0 ** 2 + x2 ** 2
        z = y * 2.0  # an intermediate the tape did record
    g0, g2, gy = tape.gradient(z, [x0, x2, y])
    assert float(g0) == 12.0 and g2 is None and float(gy) == 2.0
    with tf.GradientTape() as tape:
        tape.watch(x2)  # watching it makes it a source again
        y = x2 ** 2
    assert float(tape.gradient(y, x2)) == 6.0
    x = tf.Variable(2.0)
    grads = []
    for _ in range(2):  # autodiff guide: `x = x + 1` replaces the variable with a tensor
        with tf.GradientTape() as tape:
            y = x + 1
        grads.append(tape.gradient(y, x))
        x = x + 1
    assert float(grads[0]) == 1.0 and grads[1] is None


def test_experimental_run_functions_eagerly_is_run_functions_eagerly():
    tf.config.experimental_run_functions_eagerly(True)
    assert tf.config.experimental_functions_run_eagerly() is True
    with pytest.raises(NotImplementedError, match="no graph mode"):
        tf.config.experimental_run_functions_eagerly(False)


# ---- keras-team/keras examples/cifar10_acgan.py ------------------------------------------------
def test_set_image_dim_ordering_sets_the_image_data_format():
    from pyengine.keras import backend as K
    try:
        K.set_image_dim_ordering("th")
        assert K.image_data_format() == "channels_first" and K.image_dim_ordering() == "th"
        conv = tf.keras.layers.Conv2D(4, 3, padding="same")
        assert conv(np.zeros((2, 3, 8, 8), "float32")).shape == (2, 4, 8, 8)
        with pytest.raises(ValueError, match="'th' or 'tf'"):
            K.set_image_dim_ordering("channels_first")
    finally:
        K.set_image_dim_ordering("tf")
    assert K.image_data_format() == "channels_last"
