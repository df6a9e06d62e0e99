"""load_model(safe_mode=), GradientTape(watch_accessed_variables=), preprocess_input(data_format=)
and the preprocessing layers' adapt(batch_size=, steps=): each argument changes the result."""
import numpy as np
import pytest

import pyengine as pe
from pyengine import keras
from pyengine.keras import layers


def triple(t):
    return t * 3


def _save_with_function(tmp_path, fn, name="m.keras"):
    inp = keras.Input((2,))
    m = keras.Model(inp, layers.Lambda(fn, name="fn_layer")(inp))
    path = tmp_path / name
    m.save(path)
    return path


def _rewrite_function(path, module, qual):
    """The same file with the Lambda's function reference replaced (a hostile file)."""
    with np.load(path) as f:
        arrays = {k: f[k] for k in f.files}
    cfg = str(arrays["__config__"]).replace(f'"{__name__}", "triple"', f'"{module}", "{qual}"')
    assert f'["{module}", "{qual}"]' in cfg
    arrays["__config__"] = np.array(cfg)
    with open(path, "wb") as f:      # a file object: np.savez would add '.npz' to the name
        np.savez(f, **arrays)


def test_safe_mode_refuses_functions_outside_pyengine_and_the_registry(tmp_path):
    path = _save_with_function(tmp_path, triple)
    x = np.ones((1, 2), np.float32)
    with pytest.raises(ValueError, match=r"\[load_model\].*triple.*safe_mode=True"):
        keras.models.load_model(path)
    # the ways Keras offers: custom_objects, the registry, or trusting the file
    np.testing.assert_allclose(
        keras.models.load_model(path, custom_objects={"triple": triple}).predict(x, verbose=0), 3)
    np.testing.assert_allclose(
        keras.models.load_model(path, safe_mode=False).predict(x, verbose=0), 3)


def test_safe_mode_refuses_a_file_naming_os_functions(tmp_path):
    path = _save_with_function(tmp_path, triple)
    _rewrite_function(path, "os", "system")
    with pytest.raises(ValueError, match=r"os\.system.*safe_mode=True"):
        keras.models.load_model(path)
    path = _save_with_function(tmp_path, triple, "m2.keras")
    _rewrite_function(path, "pyengine.io", "save")   # pyengine's own, but it writes files
    with pytest.raises(ValueError, match=r"pyengine\.io\.save"):
        keras.models.load_model(path)


def test_safe_mode_keeps_pyengine_ops_and_operators(tmp_path):
    inp = keras.Input((3,))
    out = keras.ops.mean(keras.ops.exp(inp) + inp * 2.0, axis=-1)
    m = keras.Model(inp, out)
    m.save(tmp_path / "ops.keras")
    x = np.arange(6, dtype=np.float32).reshape(2, 3) / 6
    back = keras.models.load_model(tmp_path / "ops.keras")
    np.testing.assert_allclose(back.predict(x, verbose=0), m.predict(x, verbose=0), rtol=1e-6)


def test_safe_mode_keeps_the_torch_and_tf_faces_ops(tmp_path):
    inp = keras.Input((2, 3))
    h = pe.stack([pe.abs(inp), pe.exp(inp)], 1)                # pyengine.ops.shape
    h = pe.nn.relu(pe.reduce_sum(h, 1)) + pe.nn.softmax(inp, -1)   # tf_names, nn.functional
    m = keras.Model(inp, h)
    m.save(tmp_path / "faces.keras")
    x = np.linspace(-1, 1, 12, dtype=np.float32).reshape(2, 2, 3)
    back = keras.models.load_model(tmp_path / "faces.keras")
    np.testing.assert_allclose(back.predict(x, verbose=0), m.predict(x, verbose=0), rtol=1e-6)


def test_safe_mode_refuses_names_a_safe_module_imported(tmp_path):
    path = _save_with_function(tmp_path, triple)
    _rewrite_function(path, "pyengine.keras.ops_more", "_py_slice")   # builtins.slice there
    with pytest.raises(ValueError, match="_py_slice.*safe_mode=True"):
        keras.models.load_model(path)


def test_safe_mode_flag_does_not_leak(tmp_path):
    from pyengine.keras.layers.code_layers import load_policy
    path = _save_with_function(tmp_path, triple)
    with pytest.raises(ValueError):
        keras.models.load_model(path)
    assert load_policy.safe_mode is False


def test_gradient_tape_watch_accessed_variables_false():
    w = pe.Tensor(np.array([2.0], np.float32), requires_grad=True)
    x = pe.Tensor(np.array([3.0], np.float32))
    with pe.GradientTape(watch_accessed_variables=False) as tape:
        tape.watch(x)
        y = (w * x * x).sum()
    gw, gx = tape.gradient(y, [w, x])
    assert gw is None
    np.testing.assert_allclose(gx.numpy(), [12.0])
    with pe.GradientTape(watch_accessed_variables=False, persistent=True) as tape:
        y = (w * x).sum()
    assert tape.gradient(y, w) is None
    np.testing.assert_allclose(tape.gradient(y, w, unconnected_gradients="zero").numpy(), [0.0])
    with pe.GradientTape() as tape:                       # the default watches w
        y = (w * x).sum()
    np.testing.assert_allclose(tape.gradient(y, w).numpy(), [3.0])


@pytest.mark.parametrize("app", ["vgg16", "resnet50", "mobilenet_v2"])
def test_preprocess_input_data_format(app):
    mod = getattr(keras.applications, app)
    rng = np.random.default_rng(0)
    nhwc = rng.uniform(0, 255, (2, 4, 5, 3)).astype(np.float32)
    nchw = np.ascontiguousarray(nhwc.transpose(0, 3, 1, 2))
    last = mod.preprocess_input(nhwc)
    np.testing.assert_allclose(mod.preprocess_input(nhwc, data_format="channels_last"), last)
    first = mod.preprocess_input(nchw, data_format="channels_first")
    np.testing.assert_allclose(first, last.transpose(0, 3, 1, 2), rtol=1e-6)
    one = mod.preprocess_input(nchw[0], data_format="channels_first")
    np.testing.assert_allclose(one, first[0], rtol=1e-6)
    with pytest.raises(ValueError, match="data_format"):
        mod.preprocess_input(nhwc, data_format="NHWC")


def test_caffe_preprocess_channels_first_rejects_wrong_axis():
    with pytest.raises(ValueError, match="3 \\(RGB\\) channels on axis 1"):
        keras.applications.vgg16.preprocess_input(np.zeros((1, 8, 8, 3)),
                                                  data_format="channels_first")


def test_normalization_adapt_steps_and_batch_size():
    x = np.concatenate([np.zeros((40, 2)), np.full((40, 2), 10.0)]).astype(np.float32)
    full = layers.Normalization()
    full.adapt(x)
    np.testing.assert_allclose(full.mean.numpy(), [5.0, 5.0])
    part = layers.Normalization()
    part.adapt(x, batch_size=10, steps=4)                 # the first 40 samples: all zeros
    np.testing.assert_allclose(part.mean.numpy(), [0.0, 0.0])
    default_batch = layers.Normalization()
    default_batch.adapt(x, steps=2)                       # 2 batches of 32 samples
    np.testing.assert_allclose(default_batch.mean.numpy(), [(24 * 10) / 64] * 2, rtol=1e-6)
    gen = layers.Normalization()
    gen.adapt((x[i:i + 20] for i in range(0, 80, 20)), steps=2)
    np.testing.assert_allclose(gen.mean.numpy(), [0.0, 0.0])
    with pytest.raises(ValueError, match=r"\[Normalization.adapt\] batch_size=8 applies to "
                                         "arrays only"):
        layers.Normalization().adapt(iter([x]), batch_size=8)
    with pytest.raises(ValueError, match="steps must be a positive int"):
        layers.Normalization().adapt(x, steps=0)


def test_text_adapt_steps():
    words = ["a"] * 4 + ["b"] * 4
    lookup = layers.StringLookup()
    lookup.adapt(words, batch_size=2, steps=2)
    assert lookup.get_vocabulary() == ["[UNK]", "a"]
    vec = layers.TextVectorization()
    vec.adapt(["x y", "x", "z w", "w"], batch_size=1, steps=2)
    assert sorted(vec.get_vocabulary()[2:]) == ["x", "y"]
    vec = layers.TextVectorization()
    vec.adapt(iter([["x y"], ["z"]]), steps=1)
    assert sorted(vec.get_vocabulary()[2:]) == ["x", "y"]


def test_register_keras_serializable_package():
    from pyengine.keras import saving

    @keras.saving.register_keras_serializable(package="harden_pkg")
    class HardenDoubler(keras.layers.Layer):
        def call(self, x):
            return x * 2

    class Unregistered(HardenDoubler):
        pass

    try:
        assert keras.saving.get_registered_name(HardenDoubler) == "harden_pkg>HardenDoubler"
        assert keras.saving.get_registered_name(Unregistered) == "Unregistered"
        assert keras.saving.get_registered_object("harden_pkg>HardenDoubler") is HardenDoubler
        assert keras.saving.get_registered_object("nothing>HardenDoubler") is None
    finally:  # the registry is process-wide: leave it as it was for other tests
        for key in ("HardenDoubler", "harden_pkg>HardenDoubler"):
            saving._REGISTRY.pop(key, None)
        saving._NAMES.pop(HardenDoubler, None)


def test_current_accelerator_check_available(monkeypatch):
    from pyengine import accelerator, cuda
    monkeypatch.setattr(cuda, "is_built", lambda: True)
    monkeypatch.setattr(cuda, "is_available", lambda: False)
    assert accelerator.current_accelerator().type == "cuda"     # what the build targets
    assert accelerator.current_accelerator(check_available=True) is None
    monkeypatch.setattr(cuda, "is_built", lambda: False)
    assert accelerator.current_accelerator() is None


def test_from_generator_output_types():
    def gen():
        for i in range(3):
            yield np.array([i, i + 1]), np.float64(i) / 2

    ds = pe.data.Dataset.from_generator(gen, output_types=("float32", "int64"))
    first = next(iter(ds))
    assert first[0].numpy().dtype == np.float32 and first[1].numpy().dtype == np.int64
    one = pe.data.Dataset.from_generator(lambda: iter([np.arange(3)]), output_types="float64")
    assert next(iter(one)).numpy().dtype == np.float64
    bad = pe.data.Dataset.from_generator(lambda: iter([np.arange(3)]),
                                         output_types=("float32", "int64"))
    with pytest.raises(ValueError, match="structure of output_types"):
        next(iter(bad))
