"""keras.utils.plot_model / model_to_dot: the layer graph's boxes and edges (DOT text), its
options, nested models, and the renderers (Graphviz when installed, else matplotlib, else a
clear ImportError)."""
import importlib.util
import sys

import pytest

import pyengine.keras as keras
from pyengine.keras import layers
from pyengine.keras import model_plot

HAS_MPL = importlib.util.find_spec("matplotlib") is not None


def residual_model():
    inputs = keras.Input(shape=(784,), name="img")
    x = layers.Dense(64, activation="relu", name="d1")(inputs)
    y = layers.Dense(64, activation="relu", name="d2")(x)
    z = layers.add([x, y], name="sum")
    outputs = layers.Dense(10, name="logits")(z)
    return keras.Model(inputs=inputs, outputs=outputs, name="mnist_model")


def test_functional_graph_boxes_and_edges():
    g = keras.utils.model_to_dot(residual_model())
    assert list(g.nodes) == ["img", "d1", "d2", "sum", "logits"]
    assert g.edges == [("img", "d1"), ("d1", "d2"), ("d1", "sum"), ("d2", "sum"),
                       ("sum", "logits")]
    text = g.to_string()
    assert text.startswith('digraph "mnist_model" {') and text.rstrip().endswith("}")
    assert '"d1" -> "sum";' in text and '"d2" -> "sum";' in text
    assert '"d1" [label="d1 (Dense)"];' in text
    # rows by longest path: the skip edge d1 -> sum puts sum below d2
    assert g.layers_by_depth() == [["img"], ["d1"], ["d2"], ["sum"], ["logits"]]


def test_label_options():
    m = residual_model()
    g = keras.utils.model_to_dot(m, show_shapes=True, show_dtype=True, show_layer_names=False,
                                 show_layer_activations=True, show_trainable=True)
    assert g.nodes["d1"][0] == ["Dense", "Activation: relu", "Input shape: (None, 784)",
                                "Output shape: (None, 64)", "Input dtype: float32",
                                "Output dtype: float32", "Trainable: True"]
    assert g.nodes["sum"][0][1] == "Input shape: [(None, 64), (None, 64)]"
    m.get_layer("d2").trainable = False
    assert "Trainable: False" in keras.utils.model_to_dot(m, show_trainable=True).nodes["d2"][0]


def test_sequential_and_nested_expansion():
    inner = keras.Sequential([keras.Input((8,)), layers.Dense(4, name="a"),
                              layers.Dense(2, name="b")], name="inner")
    outer = keras.Sequential([keras.Input((8,), name="x"), inner, layers.Dense(3, name="c")],
                             name="outer")
    flat = keras.utils.model_to_dot(outer)
    names = list(flat.nodes)
    assert names[1:] == ["inner", "c"] and flat.edges == [(names[0], "inner"), ("inner", "c")]
    nested = keras.utils.model_to_dot(outer, expand_nested=True)
    assert nested.nodes["inner/a"][1] == ("inner",)
    assert ("inner/a", "inner/b") in nested.edges and ("inner/b", "c") in nested.edges
    assert 'subgraph "cluster_inner" {' in nested.to_string()


def test_subclassed_model_is_one_box():
    class Net(keras.Model):
        def __init__(self):
            super().__init__(name="net")
            self.d = layers.Dense(2)

        def call(self, x):
            return self.d(x)

    net = Net()
    with pytest.raises(ValueError, match="has not yet been built"):
        keras.utils.model_to_dot(net)
    net(keras.ops.ones((3, 4)))
    g = keras.utils.model_to_dot(net)
    assert list(g.nodes) == ["net"] and g.edges == []


def test_bad_arguments():
    m = residual_model()
    with pytest.raises(ValueError, match="rankdir must be 'TB' or 'LR'"):
        keras.utils.model_to_dot(m, rankdir="BT")
    with pytest.raises(ValueError, match="dpi must be a positive number"):
        keras.utils.model_to_dot(m, dpi=0)
    with pytest.raises(TypeError, match="expected a keras Model"):
        keras.utils.model_to_dot(layers.Dense(2))
    with pytest.raises(TypeError, match="unexpected arguments"):
        keras.utils.plot_model(m, "m.png", show_colors=True)
    with pytest.raises(ValueError, match="the extension must be one of"):
        keras.utils.plot_model(m, "model.bmp")


def test_dot_file_needs_no_renderer(tmp_path, monkeypatch):
    monkeypatch.setitem(sys.modules, "matplotlib.figure", None)
    monkeypatch.setattr(model_plot.shutil, "which", lambda name: None)
    m = residual_model()
    assert keras.utils.plot_model(m, tmp_path / "m.dot", show_shapes=True) is None
    assert (tmp_path / "m.dot").read_text() == \
        keras.utils.model_to_dot(m, show_shapes=True, show_layer_names=False).to_string()
    with pytest.raises(ImportError, match=r"needs Graphviz's `dot` program or matplotlib"):
        keras.utils.plot_model(m, tmp_path / "m.png")


@pytest.mark.skipif(not HAS_MPL, reason="matplotlib not installed")
@pytest.mark.parametrize("rankdir, ext", [("TB", "png"), ("LR", "svg"), ("TB", "pdf")])
def test_matplotlib_drawing(tmp_path, monkeypatch, rankdir, ext):
    monkeypatch.setattr(model_plot.shutil, "which", lambda name: None)  # no Graphviz
    monkeypatch.setitem(sys.modules, "IPython", None)  # plain scripts get None back
    import matplotlib
    backend = matplotlib.get_backend()
    path = tmp_path / f"model.{ext}"
    out = keras.utils.plot_model(residual_model(), path, show_shapes=True, rankdir=rankdir,
                                 dpi=50)
    assert out is None
    head = path.read_bytes()[:8]
    assert head[:4] in (b"\x89PNG", b"<?xm", b"%PDF")
    assert matplotlib.get_backend() == backend  # the user's backend is left alone
