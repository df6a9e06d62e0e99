"""Layer(autocast=, batch_size=), add_weight(autocast=, aggregation=), Model.summary's options,
Tensor.sort/argsort/topk, metric dtype, AUC(num_labels=) and ImageDataGenerator.flow's
ignore_class_split: each acts or is refused, never accepted and ignored."""
import numpy as np
import pytest

import pyengine as pe
from pyengine import keras


def test_layer_autocast_casts_float64_tensors():
    x = pe.tensor(np.ones((2, 3)), dtype="float64", requires_grad=True)
    y = keras.layers.Dense(2)(x)
    assert y.dtype == pe.float32
    y.sum().backward()                       # the cast is differentiable
    assert x.grad is not None and x.grad.shape == (2, 3)
    kept = keras.layers.Dense(2, autocast=False)(pe.tensor(np.ones((2, 3)), dtype="float64"))
    assert kept.dtype == pe.float64
    with pytest.raises(ValueError, match=r"\[Dense\] autocast must be True or False"):
        keras.layers.Dense(2, autocast="yes")


def test_layer_batch_size_needs_an_input_shape_and_a_positive_int():
    # the fixed batch itself is kept and checked: tests/test_keras_fixed_batch.py
    with pytest.raises(ValueError, match=r"\[Dense\] batch_size=8 needs input_shape="):
        keras.layers.Dense(2, batch_size=8)
    with pytest.raises(ValueError, match=r"\[Dense\] batch_size must be a positive integer"):
        keras.layers.Dense(2, input_shape=(3,), batch_size=0)


def test_add_weight_checks_autocast_and_aggregation():
    layer = keras.layers.Dense(2)
    w = layer.add_weight((2,), "zeros", autocast=False, aggregation="mean", name="w")
    assert w.shape == (2,)
    with pytest.raises(ValueError, match="aggregation must be"):
        layer.add_weight((2,), "zeros", aggregation="max")
    with pytest.raises(ValueError, match="autocast must be True or False"):
        layer.add_weight((2,), "zeros", autocast=None)


def _nested_model():
    inner = keras.Sequential([keras.Input((4,)), keras.layers.Dense(3, name="inner_a"),
                              keras.layers.Dense(2, name="inner_b")], name="inner")
    m = keras.Sequential([keras.Input((5,)), keras.layers.Dense(4, name="first"), inner,
                          keras.layers.Dense(1, name="last")], name="outer")
    m.get_layer("first").trainable = False
    return m


def _summary(m, **kw):
    lines = []
    m.summary(print_fn=lines.append, **kw)
    return lines


def test_summary_line_length_and_positions():
    m = _nested_model()
    assert {len(s) for s in _summary(m) if set(s) <= {"_", "="}} == {65}
    lines = _summary(m, line_length=100)
    assert {len(s) for s in lines if set(s) <= {"_", "="}} == {100}
    row = next(s for s in _summary(m, positions=[10, 40, 50]) if s.startswith("last"))
    assert row.index("(None, 1)") == 10 and row.index("3") == 40
    wide = next(s for s in _summary(m, positions=[0.5, 0.8, 1.0]) if s.startswith("last"))
    assert wide.index("(None, 1)") == 32                       # 0.5 * 65
    with pytest.raises(ValueError, match="positions needs 3 column ends"):
        _summary(m, positions=[0.5, 1.0])


def test_summary_show_trainable_expand_nested_layer_range():
    m = _nested_model()
    plain = "\n".join(_summary(m))
    assert "inner_a" not in plain and "Trainable  " not in plain
    lines = _summary(m, show_trainable=True, expand_nested=True)
    assert "Trainable" in lines[2]
    first = next(s for s in lines if s.startswith("first"))
    last = next(s for s in lines if s.startswith("last"))
    assert first.rstrip().endswith("N") and last.rstrip().endswith("Y")
    assert any(s.startswith("  inner_a (Dense)") for s in lines)
    part = "\n".join(_summary(m, layer_range=["inner", "last"]))
    assert "first" not in part and "inner (Sequential)" in part and "last (Dense)" in part
    with pytest.raises(ValueError, match="matches no range"):
        _summary(m, layer_range=["nothing", "last"])
    with pytest.raises(ValueError, match="list of 2 strings"):
        _summary(m, layer_range="first")


def test_functional_summary_show_trainable():
    i = keras.Input((3,))
    out = keras.layers.Dense(2, name="d")(i)
    lines = _summary(keras.Model(i, out), show_trainable=True)
    assert "Connected to" in lines[2] and "Trainable" in lines[2]


def test_sort_descending_unsigned_and_stable():
    t = pe.tensor(np.array([0, 3, 2, 3], np.uint8))
    vals, idx = t.sort(descending=True)
    np.testing.assert_array_equal(vals.numpy(), [3, 3, 2, 0])
    np.testing.assert_array_equal(idx.numpy(), [1, 3, 2, 0])   # equal values keep their order
    np.testing.assert_array_equal(t.argsort(descending=True, stable=True).numpy(), [1, 3, 2, 0])
    np.testing.assert_array_equal(t.topk(2).indices.numpy(), [1, 3])
    b = pe.tensor(np.array([False, True, False]))
    np.testing.assert_array_equal(b.argsort(descending=True).numpy(), [1, 0, 2])


def test_metric_dtype_checked_and_kept():
    for cls in (keras.metrics.Mean, keras.metrics.BinaryAccuracy, keras.metrics.AUC,
                keras.metrics.TopKCategoricalAccuracy, keras.metrics.RootMeanSquaredError):
        assert cls(dtype="float64").dtype == "float64"
        assert cls().dtype == "float32"
        with pytest.raises(ValueError, match="dtype='int32' is not supported"):
            cls(dtype="int32")


def test_auc_num_labels():
    y = np.array([[1, 0, 1], [0, 1, 0]], np.float32)
    p = np.array([[0.9, 0.2, 0.7], [0.1, 0.8, 0.3]], np.float32)
    auc = keras.metrics.AUC(multi_label=True, num_labels=3)
    auc.update_state(y, p)
    assert auc.result() == pytest.approx(1.0)
    with pytest.raises(ValueError, match=r"expects 2 label columns \(num_labels\)"):
        keras.metrics.AUC(multi_label=True, num_labels=2).update_state(y, p)
    free = keras.metrics.AUC(multi_label=True)
    free.update_state(y, p)
    with pytest.raises(ValueError, match="expects 3 label columns"):
        free.update_state(y[:, :2], p[:, :2])
    with pytest.raises(ValueError, match="num_labels must be a positive int"):
        keras.metrics.AUC(num_labels=0)


def test_flow_ignore_class_split():
    gen = keras.preprocessing.image.ImageDataGenerator(validation_split=0.25)
    x = np.arange(8, dtype=np.float32).reshape(8, 1, 1, 1) * np.ones((1, 2, 2, 1), np.float32)
    sorted_y = np.array([0, 0, 0, 0, 0, 0, 1, 1])
    with pytest.raises(ValueError, match="different classes.*ignore_class_split=True"):
        gen.flow(x, sorted_y, subset="training")
    it = gen.flow(x, sorted_y, subset="validation", ignore_class_split=True, batch_size=8,
                  shuffle=False)
    xb, yb = next(iter(it))
    # Keras' ImageDataGenerator keeps the FIRST validation_split of the samples for validation
    np.testing.assert_array_equal(xb[:, 0, 0, 0], [0, 1])
    np.testing.assert_array_equal(yb, [0, 0])
    mixed = np.array([0, 1, 0, 1, 0, 1, 0, 1])
    train = gen.flow(x, mixed, subset="training", batch_size=6, shuffle=False)
    np.testing.assert_array_equal(next(iter(train))[0][:, 0, 0, 0], [2, 3, 4, 5, 6, 7])


def test_to_json_passes_json_dumps_arguments():
    m = keras.Sequential([keras.Input((3,)), keras.layers.Dense(2)])
    compact = m.to_json()
    pretty = m.to_json(indent=2)
    assert "\n" not in compact and "\n  " in pretty
    import json
    assert json.loads(pretty) == json.loads(compact)
    rebuilt = keras.models.model_from_json(pretty)
    assert rebuilt.count_params() == m.count_params()
