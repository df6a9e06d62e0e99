"""where(condition) alone: PyTorch's tuple of index tensors, TensorFlow's (N, rank) int64
coordinates for a program that imported pyengine as tf (pyengine/calling_face.py), and
keras.ops.where's tuple; where(condition, x, y) unchanged."""
import numpy as np
import pytest

import pyengine as pe
from pyengine import keras

COND = np.array([[True, False, True], [False, False, True]])


def test_torch_face_gives_the_tuple_of_index_tensors():
    rows, cols = pe.where(pe.tensor(COND))
    expected = np.nonzero(COND)
    assert rows.dtype == pe.int64 and rows.tolist() == expected[0].tolist()
    assert cols.tolist() == expected[1].tolist()
    ns = {"m": COND}
    exec("import pyengine as torch\nout = torch.where(torch.tensor(m)[0])[0]", ns)
    assert ns["out"].tolist() == [0, 2]


def test_tensorflow_face_gives_the_coordinates():
    ns2 = {"m": COND, "np": np}
    exec("import pyengine as tf\nout = tf.where(tf.constant(m))\n"
         "picked = tf.gather_nd(tf.constant(np.arange(6).reshape(2, 3)), out)", ns2)
    assert ns2["out"].dtype == pe.int64 and ns2["out"].numpy().tolist() == np.argwhere(COND).tolist()
    assert ns2["picked"].numpy().tolist() == [0, 2, 5]
    both = {"m": COND}  # a module that binds both names keeps PyTorch's meaning
    exec("import pyengine as tf\nimport pyengine as torch\nout = tf.where(torch.tensor(m))", both)
    assert isinstance(both["out"], tuple)


def test_keras_ops_where_alone_and_the_three_argument_form():
    (idx,) = keras.ops.where(np.array([0, 2, 0, 1]) > 0)
    assert idx.tolist() == [1, 3]
    np.testing.assert_array_equal(pe.where(pe.tensor([True, False]), 1.0, 2.0).numpy(), [1, 2])
    with pytest.raises(ValueError, match="give both x and y"):
        pe.where(pe.tensor([True]), 1.0)
