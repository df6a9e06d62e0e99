"""The functional API: keras.Input with None dimensions, multi-input / multi-output graphs,
shared layers, nested models, merge layers, symbolic ops, summary connections, losses per
output with loss_weights, save / load_model round trips (registry, size budget), and shape
errors raised when the graph is built."""
import numpy as np
import pytest

import pyengine as pe
from pyengine import keras
from pyengine.keras import layers, ops


def two_in_two_out():
    pe.manual_seed(0)
    a = keras.Input(shape=(4,), name="a")
    b = keras.Input(shape=(3,), name="b")
    shared = layers.Dense(5, activation="relu", name="shared")
    x = layers.concatenate([shared(layers.Dense(4, name="pa")(a)),
                            layers.Dense(5, name="pb")(b)])
    o1 = layers.Dense(1, name="o1")(x)
    o2 = layers.Dense(3, activation="softmax", name="o2")(x)
    return keras.Model(inputs=[a, b], outputs=[o1, o2]), shared


def data(n=64, seed=0):
    rng = np.random.default_rng(seed)
    xa, xb = rng.normal(size=(n, 4)).astype(np.float32), rng.normal(size=(n, 3)).astype(np.float32)
    return xa, xb, xa[:, :1] - xb[:, :1], (xa[:, 0] > 0).astype(np.int64) + (xb[:, 0] > 0)


def test_multi_input_output_graph_trains_and_reports():
    m, shared = two_in_two_out()
    assert [t.name for t in m.inputs] == ["a", "b"] and len(m.outputs) == 2
    assert m.get_layer("shared") is shared and shared.output.shape == (None, 5)
    assert m.count_params() == 20 + 25 + 20 + 11 + 33
    lines = []
    m.summary(print_fn=lines.append)
    text = "\n".join(lines)
    assert "shared[0][0], pb[0][0]" in text and "Connected to" in text
    xa, xb, y1, y2 = data()
    m.compile("adam", loss=["mse", "sparse_categorical_crossentropy"], loss_weights=[1.0, 0.5],
              metrics={"o2": "accuracy"})
    h = m.fit([xa, xb], [y1, y2], epochs=8, batch_size=16, verbose=0)
    assert set(h.history) == {"loss", "o2_accuracy"}
    assert h.history["loss"][-1] < h.history["loss"][0]
    p1, p2 = m.predict({"a": xa, "b": xb})
    assert p1.shape == (64, 1) and p2.shape == (64, 3)
    # the weighted loss is what evaluate reports
    l_all = m.evaluate([xa, xb], [y1, y2], verbose=0, return_dict=True)["loss"]
    mse = float(np.mean((p1 - y1) ** 2))
    ce = float(np.mean(-np.log(np.clip(p2[np.arange(64), y2], 1e-7, 1))))
    assert l_all == pytest.approx(mse + 0.5 * ce, rel=1e-4)


def test_dict_outputs_and_loss_dict():
    i = keras.Input(shape=(2,))
    h = layers.Dense(4)(i)
    m = keras.Model(i, {"r": layers.Dense(1)(h), "c": layers.Dense(2)(h)})
    m.compile("sgd", loss={"r": "mse", "c": keras.losses.SparseCategoricalCrossentropy(True)})
    x = np.random.rand(10, 2)
    m.fit(x, {"r": np.random.rand(10, 1), "c": np.arange(10) % 2}, verbose=0)
    out = m.predict(x)
    assert set(out) == {"r", "c"} and out["c"].shape == (10, 2)


def test_shared_layer_weights_are_shared_and_counted_once():
    d = layers.Dense(3)
    a, b = keras.Input((3,)), keras.Input((3,))
    m = keras.Model([a, b], layers.add([d(a), d(b)]))
    assert len(m.weights) == 2
    x = np.ones((2, 3), np.float32)
    np.testing.assert_allclose(m.predict([x, x]), 2 * d(x).numpy(), rtol=1e-6)
    with pytest.raises(ValueError, match="multiple inbound nodes"):
        d.output


def test_nested_model_as_layer_and_symbolic_ops():
    inner_in = keras.Input((4,))
    inner = keras.Model(inner_in, layers.Dense(2, activation="tanh")(inner_in), name="inner")
    x = keras.Input((4,))
    y = inner(x) * 2.0 + ops.mean(inner(x), axis=-1, keepdims=True)
    m = keras.Model(x, y)
    v = np.random.rand(5, 4).astype(np.float32)
    r = inner.predict(v)
    np.testing.assert_allclose(m.predict(v), 2 * r + r.mean(-1, keepdims=True), rtol=1e-5)


def test_merge_layers():
    a, b = keras.Input((3,)), keras.Input((3,))
    xa = np.random.rand(4, 3).astype(np.float32)
    xb = np.random.rand(4, 3).astype(np.float32)
    cases = [(layers.Add(), xa + xb), (layers.Subtract(), xa - xb), (layers.Multiply(), xa * xb),
             (layers.Average(), (xa + xb) / 2), (layers.Maximum(), np.maximum(xa, xb)),
             (layers.Minimum(), np.minimum(xa, xb)),
             (layers.Concatenate(), np.concatenate([xa, xb], -1)),
             (layers.Dot(axes=1), (xa * xb).sum(1, keepdims=True))]
    for layer, want in cases:
        m = keras.Model([a, b], layer([a, b]))
        np.testing.assert_allclose(m.predict([xa, xb]), want, rtol=1e-6, err_msg=layer.name)


def test_none_dimensions_for_sequences():
    x = keras.Input(shape=(None,), dtype="int64")
    e = layers.Embedding(20, 4)(x)
    assert e.shape == (None, None, 4)
    m = keras.Model(x, layers.Dense(1)(e))
    assert m.predict(np.arange(14).reshape(2, 7)).shape == (2, 7, 1)


def test_shape_errors_name_the_layer_and_both_shapes():
    a = keras.Input((3,))
    with pytest.raises(ValueError, match=r"\[add.*\(None, 3\).*\(None, 4\)"):
        layers.Add()([layers.Dense(3)(a), layers.Dense(4)(a)])
    d = layers.Dense(2, name="fixed")
    d(keras.Input((5,)))
    with pytest.raises(ValueError, match=r"\[fixed\].*\(None, 3\).*last dimension 5"):
        d(a)
    with pytest.raises(ValueError, match="graph disconnected"):
        keras.Model(keras.Input((2,)), layers.Dense(1)(a))


def test_save_load_round_trip_identical(tmp_path):
    m, _ = two_in_two_out()
    xa, xb, _, _ = data()
    path = tmp_path / "f.keras"
    m.save(path)
    back = keras.models.load_model(path)
    for p, q in zip(m.predict([xa, xb]), back.predict([xa, xb])):
        np.testing.assert_array_equal(p, q)
    assert [lyr.name for lyr in back.layers] == [lyr.name for lyr in m.layers]


def test_load_model_resolves_classes_only_from_registry(tmp_path):
    class Scale(layers.Layer):
        def call(self, x):
            return x * 2.0
    i = keras.Input((2,))
    m = keras.Model(i, Scale()(layers.Dense(2)(i)))
    m.save(tmp_path / "c.keras")
    with pytest.raises(ValueError, match="unknown class 'Scale'"):
        keras.models.load_model(tmp_path / "c.keras")
    back = keras.models.load_model(tmp_path / "c.keras", custom_objects={"Scale": Scale})
    x = np.random.rand(3, 2)
    np.testing.assert_array_equal(m.predict(x), back.predict(x))


def test_load_model_checks_sizes_before_allocating(tmp_path):
    import json
    m = keras.Sequential([keras.Input((4,)), layers.Dense(2)])
    m.save(tmp_path / "s.keras")
    with np.load(tmp_path / "s.keras") as f:
        arrays = {k: f[k] for k in f.files}
    cfg = json.loads(str(arrays["__config__"]))
    cfg["kwargs"]["layers"][1]["args"] = [2 ** 27]
    cfg["kwargs"]["layers"][1]["kwargs"].pop("units", None)
    arrays["__config__"] = np.array(json.dumps(cfg))
    np.savez(tmp_path / "evil.npz", **arrays)
    with pytest.raises(ValueError, match=r"declares a weight of shape \(4, 134217728\)"):
        keras.models.load_model(tmp_path / "evil.npz")
    with pytest.raises(ValueError, match="declares a weight"):
        keras.models.load_model(tmp_path / "s.keras", max_weight_bytes=8)


def test_sequential_exposes_graph():
    s = keras.Sequential([keras.Input((3,)), layers.Dense(4, name="h"), layers.Dense(1)])
    assert s.inputs[0].shape == (None, 3) and s.get_layer("h").output.shape == (None, 4)
    feat = keras.Model(s.inputs, s.get_layer("h").output)
    x = np.random.rand(2, 3)
    np.testing.assert_allclose(feat.predict(x), s.layers[0](x).numpy(), rtol=1e-6)
    with pytest.raises(ValueError, match=r"\[add.*cannot be called on input of shape \(None, 1\)"):
        s.add(layers.Add())
    assert len(s.layers) == 2  # the failed add left the model as it was


def _square_plus(x, c=1.0):  # a module-level function: a Lambda wrapping it can be saved
    return x * x + c


def test_save_load_graph_with_ops_and_named_lambda(tmp_path):
    import pyengine as tf
    inp = keras.Input((4,))
    h = layers.Dense(6, activation="relu")(inp)
    r = h
    h = layers.Dense(6)(h)
    h += r                                                # arithmetic on symbolic tensors
    h = tf.nn.relu(h)                                     # a tf op
    h = keras.ops.mean(h[:, :3], axis=-1, keepdims=True) + tf.reduce_sum(h, 1, keepdims=True)
    h = layers.Lambda(_square_plus, arguments={"c": 2.0})(h)
    out = tf.concat([h, -h, 2.0 * h], axis=-1)
    model = keras.Model(inp, out)
    x = np.random.default_rng(0).normal(size=(5, 4)).astype("float32")
    model.save(tmp_path / "m.keras")
    # a user's function loads through custom_objects (safe_mode=True, the default, refuses to
    # look one up by module path: tests/test_accepted_arguments_saving.py)
    loaded = keras.models.load_model(tmp_path / "m.keras",
                                     custom_objects={"_square_plus": _square_plus})
    np.testing.assert_array_equal(loaded.predict(x, verbose=0), model.predict(x, verbose=0))
    # a lambda cannot be saved: the error names the layer and says what to do
    bad = keras.Model(inp, layers.Lambda(lambda t: t * 2, name="doubler")(inp))
    with pytest.raises(ValueError, match=r"\[doubler\] cannot save .*<lambda>.*module-level"):
        bad.save(tmp_path / "bad.keras")
    # a function the loading program does not have is named in the error
    import json
    with np.load(tmp_path / "m.keras") as f:
        cfg = str(f["__config__"])
    assert json.loads(cfg)  # the architecture is plain JSON
    from pyengine.keras.layers.code_layers import resolve_function
    with pytest.raises(ValueError, match="custom_objects"):
        resolve_function({"__function__": ["not_imported_module", "f"]}, {})


def test_layer_names_with_dots_and_model_shapes():
    m = keras.Sequential([keras.Input((5,)), layers.Dense(3, name="block1.dense"),
                          layers.Dense(2, name="head.out")])
    assert m.get_layer("block1.dense").output_shape == (None, 3)
    assert m.input_shape == (None, 5) and m.output_shape == (None, 2)
    assert list(m.state_dict()) == ["block1_dense.kernel", "block1_dense.bias",
                                    "head_out.kernel", "head_out.bias"]
    a, b = keras.Input((4,)), keras.Input((2,))
    two = keras.Model([a, b], [layers.Dense(1)(a), layers.Dense(3)(b)])
    assert two.input_shape == [(None, 4), (None, 2)]
    assert two.output_shape == [(None, 1), (None, 3)]
    with pytest.raises(ValueError, match="without '/'"):
        layers.Dense(3, name="a/b")


def test_more_keras_ops_against_numpy_and_on_symbolic_tensors():
    rng = np.random.default_rng(1)
    a = rng.normal(size=(3, 4)).astype("float32")
    b = rng.normal(size=(3, 4)).astype("float32") + 3
    A, B = pe.tensor(a), pe.tensor(b)
    cases = [
        (ops.add(A, B), a + b), (ops.subtract(A, B), a - b), (ops.multiply(A, B), a * b),
        (ops.divide(A, B), a / b), (ops.power(B, 2), b ** 2), (ops.negative(A), -a),
        (ops.sign(A), np.sign(a)), (ops.floor(A), np.floor(a)), (ops.round(A), np.round(a)),
        (ops.greater(A, 0), a > 0), (ops.less_equal(A, 0), a <= 0), (ops.equal(A, A), a == a),
        (ops.any(A > 1, axis=1), (a > 1).any(1)), (ops.all(B > 0, axis=0), (b > 0).all(0)),
        (ops.var(A, axis=1), a.var(1)), (ops.std(A, axis=0), a.std(0)),
        (ops.logsumexp(A, axis=-1), np.log(np.exp(a).sum(-1))),
        (ops.log_softmax(A), a - np.log(np.exp(a).sum(-1, keepdims=True))),
        (ops.norm(A, axis=-1), np.linalg.norm(a, axis=-1)),
        (ops.normalize(A), a / np.linalg.norm(a, axis=-1, keepdims=True)),
        (ops.dot(A, B.T), a @ b.T), (ops.tile(A, (2, 1)), np.tile(a, (2, 1))),
        (ops.repeat(A, 2, axis=1), np.repeat(a, 2, axis=1)), (ops.flip(A, axis=1), a[:, ::-1]),
        (ops.slice(A, (1, 1), (2, 2)), a[1:3, 1:3]), (ops.cumsum(A, axis=0), np.cumsum(a, 0)),
        (ops.cumsum(A, axis=1), np.cumsum(a, 1)), (ops.argsort(A), np.argsort(a, -1)),
        (ops.top_k(A, 2)[0], -np.sort(-a, -1)[:, :2]), (ops.silu(A), a / (1 + np.exp(-a))),
        (ops.gelu(A), 0.5 * a * (1 + np.tanh(0.7978845608 * (a + 0.044715 * a ** 3)))),
        (ops.arange(5), np.arange(5)), (ops.eye(3), np.eye(3)), (ops.full((2, 2), 3.0), [[3, 3]] * 2),
        (ops.split(A, 2, axis=1)[1], a[:, 2:]), (ops.split(A, [1], axis=0)[1], a[1:])]
    for got, want in cases:
        np.testing.assert_allclose(np.asarray(got.data, np.float64), np.asarray(want, np.float64),
                                   rtol=1e-5, atol=1e-5)
    # cumsum's gradient: the reversed running sum (through the matmul op)
    X = pe.tensor(a, requires_grad=True)
    ops.cumsum(X, axis=1).sum().backward()
    np.testing.assert_allclose(X.grad.data, np.cumsum(np.ones_like(a)[:, ::-1], 1)[:, ::-1])
    # on symbolic tensors: graph nodes, and keras.activations too
    inp = keras.Input((4,))
    out = keras.activations.sigmoid(ops.multiply(ops.cumsum(inp, axis=1), 2.0))
    mask = ops.where(inp > 0, inp, 0.0)
    model = keras.Model(inp, [out, mask])
    p, m = model.predict(a, verbose=0)
    np.testing.assert_allclose(p, 1 / (1 + np.exp(-2 * np.cumsum(a, 1))), rtol=1e-5)
    np.testing.assert_allclose(m, np.where(a > 0, a, 0), rtol=1e-6)
    assert layers.Dense(2, activation=keras.activations.relu).activation is pe.nn.functional.relu


def test_to_json_model_from_json_clone_model_and_set_random_seed():
    inp = keras.Input((3,))
    model = keras.Model(inp, layers.Dense(2, name="head")(layers.Dense(4)(inp)))
    x = np.ones((2, 3), "float32")
    again = keras.models.model_from_json(model.to_json())
    clone = keras.models.clone_model(model)
    for m in (again, clone):
        assert [w.shape for w in m.get_weights()] == [w.shape for w in model.get_weights()]
        assert m.get_layer("head") is not model.get_layer("head")
        m.set_weights(model.get_weights())
        np.testing.assert_array_equal(m.predict(x, verbose=0), model.predict(x, verbose=0))
    keras.utils.set_random_seed(7)
    a = (np.random.random(), keras.random.normal((3,)).numpy())
    keras.utils.set_random_seed(7)
    b = (np.random.random(), keras.random.normal((3,)).numpy())
    assert a[0] == b[0] and np.array_equal(a[1], b[1])


def test_nested_sequential_on_an_image_of_unknown_size():
    # ConvNeXt's pattern: Sequential stages without an Input, called on a (None, None, 3)
    # image: after a stride-4 stem the short examples behind the symbolic tensor are 2x2, which
    # must not fix the next stage's input size (a 2x2 stride-2 convolution would leave 1x1, too
    # small for the one after it)
    L = keras.layers
    inputs = keras.Input((None, None, 3))
    x = inputs
    for i, (kernel, stride, width) in enumerate([(4, 4, 4), (2, 2, 6), (2, 2, 8), (2, 2, 10)]):
        x = keras.Sequential([L.LayerNormalization(), L.Conv2D(width, kernel, strides=stride)],
                             name=f"stage_{i}")(x)
    model = keras.Model(inputs, x)
    assert model.outputs[0].shape == (None, None, None, 10)
    assert model.get_layer("stage_1").input_shape == (None, None, None, 4)
    out = model.predict(np.random.default_rng(0).normal(size=(2, 64, 96, 3)).astype(np.float32),
                        verbose=0)
    assert out.shape == (2, 2, 3, 10) and np.isfinite(out).all()


class _SeesDtype(layers.Layer):
    """Records the dtype its call receives and one-hot encodes it (ints only in TensorFlow)."""
    seen = []

    def call(self, x):
        self.seen.append(str(x.dtype))
        return pe.nn.functional.one_hot(x.long(), 5).float().flatten(1)


def test_integer_inputs_reach_layers_in_their_input_dtype():
    # fit hands float32 batches; Keras 3's functional call converts each input to its Input's
    # dtype, so an Input(dtype="int32") gives its layers int32 ids
    inp = keras.Input((3,), dtype="int32")
    probe = _SeesDtype()
    model = keras.Model(inp, layers.Dense(1)(probe(inp)))
    model.compile("sgd", "mse")
    _SeesDtype.seen.clear()
    ids = np.array([[0, 1, 4], [2, 3, 3]])
    model.fit(ids, np.zeros((2, 1)), epochs=1, verbose=0)
    model.predict(ids.astype(np.float32), verbose=0)
    assert _SeesDtype.seen and set(_SeesDtype.seen) == {"pyengine.int32"}
    with pytest.raises(ValueError, match="non-integer values"):
        model.predict(np.array([[0.5, 1.0, 2.0]]), verbose=0)
    with pytest.raises(ValueError, match=r"outside \[-2147483648, 2147483647\]"):
        model.predict(np.array([[0, 1, 2 ** 31]], np.int64), verbose=0)  # would wrap
    flt = keras.Input((3,))  # a float Input still takes the float batch as it is
    assert keras.Model(flt, layers.Dense(1)(flt)).predict(ids, verbose=0).shape == (2, 1)


class _KeepsIds(layers.Layer):
    last = None

    def call(self, x):
        _KeepsIds.last = x.numpy().copy()
        return x.float() * 0.0


def test_integer_inputs_keep_ids_beyond_float32_precision():
    # float32 holds integers exactly only up to 2^24: ids must not pass through floatx
    inp = keras.Input((1,), dtype="int64", name="ids")
    model = keras.Model(inp, layers.Dense(1)(_KeepsIds()(inp)))
    model.compile("sgd", "mse")
    big = np.array([[2 ** 24 + 1], [2 ** 31 + 5]], np.int64)
    model.fit(big, np.zeros((2, 1)), batch_size=2, epochs=1, shuffle=False, verbose=0)
    assert _KeepsIds.last.dtype == np.int64 and _KeepsIds.last.ravel().tolist() == [
        2 ** 24 + 1, 2 ** 31 + 5]
    model.predict({"ids": big}, verbose=0)  # a dict of inputs, matched by name
    assert _KeepsIds.last.ravel().tolist() == [2 ** 24 + 1, 2 ** 31 + 5]
    ds = pe.data.Dataset.from_tensor_slices((big, np.zeros((2, 1), np.float32))).batch(2)
    model.fit(ds, epochs=1, verbose=0)
    assert _KeepsIds.last.ravel().tolist() == [2 ** 24 + 1, 2 ** 31 + 5]
    model(big)
    assert _KeepsIds.last.ravel().tolist() == [2 ** 24 + 1, 2 ** 31 + 5]
