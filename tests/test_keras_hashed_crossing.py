"""keras.layers.HashedCrossing: TensorFlow's cross_hashed bins on the example Keras documents,
shapes and output modes, determinism across processes, range, and errors."""
import os
import subprocess
import sys
import tempfile

import numpy as np
import pytest

import pyengine as pe
from pyengine import keras

FEAT1 = np.array(["A", "B", "A", "B", "A"])
FEAT2 = np.array([101, 101, 101, 102, 102])


def test_keras_documented_bins():
    # the docstring example of keras.layers.HashedCrossing (TensorFlow's bins)
    out = keras.layers.HashedCrossing(num_bins=5)((FEAT1, FEAT2))
    assert out.numpy().tolist() == [1, 4, 1, 1, 3]
    assert out.numpy().dtype == np.int64
    hot = keras.layers.HashedCrossing(num_bins=5, output_mode="one_hot")((FEAT1, FEAT2)).numpy()
    assert hot.dtype == np.float32 and hot.shape == (5, 5)
    np.testing.assert_array_equal(hot, np.eye(5, dtype=np.float32)[[1, 4, 1, 1, 3]])


def test_shapes_scalar_column_and_batch_of_one_column():
    layer = keras.layers.HashedCrossing(num_bins=5)
    flat = layer((FEAT1, FEAT2)).numpy()
    col = layer((FEAT1[:, None], FEAT2[:, None])).numpy()
    assert col.shape == (5, 1) and col[:, 0].tolist() == flat.tolist()
    scalar = layer(("B", 102)).numpy()
    assert scalar.shape == () and int(scalar) == 1
    hot = keras.layers.HashedCrossing(num_bins=5, output_mode="one_hot")
    assert hot((FEAT1[:, None], FEAT2[:, None])).numpy().shape == (5, 5)
    assert hot(("B", 102)).numpy().tolist() == [0.0, 1.0, 0.0, 0.0, 0.0]
    assert hot.compute_output_shape([(None, 1), (None, 1)]) == (None, 5)


def test_three_columns_range_and_whole_floats():
    rng = np.random.default_rng(0)
    a, b = rng.integers(-50, 50, 400), rng.choice(["x", "y", "zz", "é"], 400)
    c = rng.integers(0, 3, 400)
    bins = keras.layers.HashedCrossing(num_bins=7)((a, b, c)).numpy()
    assert bins.min() >= 0 and bins.max() < 7 and len(np.unique(bins)) == 7
    # equal rows get equal bins
    rows = {}
    for row, v in zip(zip(a.tolist(), b.tolist(), c.tolist()), bins.tolist()):
        assert rows.setdefault(row, v) == v
    # a functional model feeds float32: whole numbers hash as the integers
    again = keras.layers.HashedCrossing(num_bins=7)((a.astype(np.float32), b, c)).numpy()
    np.testing.assert_array_equal(again, bins)


def test_order_of_columns_matters():
    # FingerprintCat64 is not commutative: with 2**62 bins, swapping columns changes the hash
    layer = keras.layers.HashedCrossing(num_bins=2 ** 62)
    assert int(layer(("A", "B")).numpy()) != int(layer(("B", "A")).numpy())


def test_same_bins_in_another_process():
    code = ("import numpy as np; from pyengine import keras; "
            "print(keras.layers.HashedCrossing(1000)((np.array(['A','B','A','B','A']), "
            "np.array([101, 101, 101, 102, 102]))).numpy().tolist())")
    # the child imports the pyengine this process imported (the source tree in development,
    # site-packages when the installed wheel is tested), from a folder holding no other
    package_parent = os.path.dirname(os.path.dirname(os.path.abspath(pe.__file__)))
    env = dict(os.environ, PYTHONPATH=package_parent, OMP_WAIT_POLICY="PASSIVE",
               PYTHONHASHSEED="123")
    with tempfile.TemporaryDirectory() as cwd:
        out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                             timeout=120, env=env, cwd=cwd)
    here = keras.layers.HashedCrossing(1000)((FEAT1, FEAT2)).numpy().tolist()
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == str(here)


def test_in_a_functional_model_with_a_string_input():
    s = keras.Input(shape=(1,), dtype="string")
    i = keras.Input(shape=(1,), dtype="int32")
    out = keras.layers.HashedCrossing(5, output_mode="one_hot")([s, i])
    assert out.shape == (None, 5)
    model = keras.Model([s, i], out)
    pred = model.predict([FEAT1[:, None], FEAT2[:, None]], verbose=0)
    np.testing.assert_array_equal(pred, np.eye(5)[[1, 4, 1, 1, 3]])


def test_config_round_trip():
    layer = keras.layers.HashedCrossing(num_bins=9, output_mode="one_hot", name="cross")
    again = keras.layers.HashedCrossing.from_config(layer.get_config())
    assert again.num_bins == 9 and again.output_mode == "one_hot"
    np.testing.assert_array_equal(again((FEAT1, FEAT2)).numpy(), layer((FEAT1, FEAT2)).numpy())


@pytest.mark.parametrize("inputs, message", [
    (FEAT1, "list or tuple"),
    ((FEAT1,), "at least two"),
    ((FEAT1, FEAT2[:4]), "equal shapes"),
    ((np.zeros((2, 3), np.int64), np.zeros((2, 3), np.int64)), "(batch_size, 1)"),
    ((np.array([0.5, 1.0]), np.array([1, 2])), "integer or string"),
    ((np.array([True, False]), np.array([1, 2])), "integer or string"),
])
def test_input_errors(inputs, message):
    with pytest.raises(ValueError, match=message.replace("(", r"\(").replace(")", r"\)")):
        keras.layers.HashedCrossing(num_bins=5)(inputs)


def test_argument_errors():
    with pytest.raises(ValueError, match="num_bins"):
        keras.layers.HashedCrossing(num_bins=0)
    with pytest.raises(ValueError, match="output_mode"):
        keras.layers.HashedCrossing(num_bins=4, output_mode="multi_hot")
    with pytest.raises(ValueError, match="sparse"):
        keras.layers.HashedCrossing(num_bins=4, output_mode="one_hot", sparse=True)
