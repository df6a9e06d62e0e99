"""pe.string (tf.string): text leaves of pe.data report a dtype equal to "string" / pe.string
in element_spec, in map functions and while iterating, while the data stay NumPy str arrays."""
import numpy as np
import pytest

import pyengine as pe
from pyengine.string_dtype import StringArray


def _ds():
    return pe.data.Dataset.from_tensor_slices(
        ({"town": np.array(["ayr", "bree", "cork"]), "n": np.array([1.0, 2.0, 3.0])},
         np.array([0, 1, 0])))


def test_element_spec_dtype_is_string():
    spec = _ds().element_spec[0]
    assert spec["town"].dtype == "string"
    assert spec["town"].dtype == pe.string and spec["town"].dtype is pe.string
    assert not spec["n"].dtype == "string"
    assert spec["town"] == pe.data.TensorSpec((), pe.string)
    assert pe.data.TensorSpec((), "string").dtype is pe.string
    assert repr(pe.string) == "pyengine.string"


def test_map_sees_string_dtype_and_numpy_data():
    seen = []

    def look(feats, label):
        town = feats["town"]
        seen.append((town.dtype == "string", town.dtype == pe.string,
                     feats["n"].dtype == "string", str(town), bool(town == "bree")))
        return {"town": np.char.upper(town), "n": feats["n"]}, label
    out = list(_ds().map(look).as_numpy_iterator())
    assert seen == [(True, True, False, "ayr", False), (True, True, False, "bree", True),
                    (True, True, False, "cork", False)]
    # what map returns is stored as the plain NumPy array again
    assert [type(e[0]["town"]) for e in out] == [np.str_] * 3
    assert [e[0]["town"] for e in out] == ["AYR", "BREE", "CORK"]


def test_iteration_gives_string_views_of_the_same_data():
    batch = next(iter(_ds().batch(3)))
    town = batch[0]["town"]
    assert isinstance(town, StringArray) and town.dtype == "string"
    assert np.dtype(town.dtype) == np.dtype("<U4")      # NumPy still sees str data
    assert town.tolist() == ["ayr", "bree", "cork"]
    assert (town == "cork").dtype == np.bool_          # results of other kinds are plain
    assert np.asarray(town).dtype.kind == "U"
    plain = next(_ds().batch(3).as_numpy_iterator())[0]["town"]
    assert type(plain) is np.ndarray


def test_from_generator_output_types_string():
    ds = pe.data.Dataset.from_generator(lambda: iter([1, 22]), output_types=pe.string)
    got = list(ds.as_numpy_iterator())
    assert got == ["1", "22"]
    assert ds.element_spec.dtype == "string"


def test_string_dtype_compares_as_tf_string():
    assert pe.string == "string" and pe.string == np.dtype("U3") and pe.string == np.bytes_
    assert pe.string != "float32" and pe.string != pe.float32
    assert len({pe.string, pe.string}) == 1
    with pytest.raises(TypeError, match=r"\[string\] a string dtype wraps"):
        type(pe.string)(np.float32)


def test_a_scalar_tf_strings_result_decodes_as_tensorflow_programs_do():
    # keras-io OCR programs: tf.strings.reduce_join(num_to_char(res)).numpy().decode("utf-8")
    import pyengine as tf
    chars = np.array(["c", "a", "t"])
    joined = tf.strings.reduce_join(chars)
    text = joined.numpy().decode("utf-8")
    assert text == "cat" and type(text) is str and joined == "cat"
    assert joined.numpy() == b"cat"  # TensorFlow's bytes
    assert tf.strings.lower("CAT").numpy().decode() == "cat"
    assert tf.strings.as_string(np.array(7)).numpy().decode() == "7"
    rows = tf.strings.reduce_join(np.array([["a", "b"], ["c", "d"]]), axis=1)
    assert rows.tolist() == ["ab", "cd"]  # arrays stay NumPy arrays of str
