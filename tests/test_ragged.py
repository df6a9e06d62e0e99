"""pe.RaggedTensor (tf.RaggedTensor, ragged rank 1) and tf.strings on batches: rows, padding
by to_tensor, string functions mapped row by row, and the errors."""
import numpy as np
import pytest

import pyengine as tf


def test_split_batch_gives_rows_and_to_tensor_pads():
    r = tf.strings.split(np.array(["m_1,m_2,m_3", "m_4", ""]), ",")
    assert isinstance(r, tf.RaggedTensor) and r.shape == (3, None) and r.dtype == tf.string
    assert r.to_list() == [["m_1", "m_2", "m_3"], ["m_4"], [""]]
    np.testing.assert_array_equal(r.row_lengths().numpy(), [3, 1, 1])
    np.testing.assert_array_equal(r.row_splits.numpy(), [0, 3, 4, 5])
    dense = r.to_tensor()
    assert dense.dtype == tf.string and dense.shape == (3, 3)
    assert dense[:, -1].tolist() == ["m_3", "", ""] and dense[:, :-1].shape == (3, 2)
    assert r.to_tensor(default_value="<pad>")[1].tolist() == ["m_4", "<pad>", "<pad>"]
    assert r.to_tensor(shape=[None, 2]).tolist() == [["m_1", "m_2"], ["m_4", ""], ["", ""]]
    assert r[0].tolist() == ["m_1", "m_2", "m_3"] and r[1:].to_list() == [["m_4"], [""]]
    assert [list(row) for row in r] == [["m_1", "m_2", "m_3"], ["m_4"], [""]]
    assert tf.strings.upper(r).to_list() == [["M_1", "M_2", "M_3"], ["M_4"], [""]]


def test_to_number_of_ragged_rows():
    r = tf.strings.to_number(tf.strings.split(["4.0,5.0,3.0", "1.5"], ","), tf.float32)
    assert isinstance(r, tf.RaggedTensor) and r.dtype == tf.float32
    t = r.to_tensor()
    assert t.dtype == tf.float32
    np.testing.assert_array_equal(t.numpy(), [[4, 5, 3], [1.5, 0, 0]])
    np.testing.assert_array_equal(t[:, -1].numpy(), [3, 0])


def test_constructors_and_errors():
    r = tf.RaggedTensor.from_row_lengths(np.array([1, 2, 3]), [2, 0, 1])
    assert r.to_list() == [[1, 2], [], [3]] and r.nrows() == 3
    assert r.to_tensor(default_value=-1).numpy().tolist() == [[1, 2], [-1, -1], [3, -1]]
    assert tf.RaggedTensor.from_row_splits(np.array([1.0, 2.0]), [0, 2]).to_list() == [[1, 2]]
    with pytest.raises(ValueError, match=r"row_splits must be 1-D, start at 0"):
        tf.RaggedTensor.from_row_splits(np.array([1.0, 2.0]), [0, 3])
    with pytest.raises(ValueError, match=r"row_lengths must be 1-D and non-negative"):
        tf.RaggedTensor.from_row_lengths(np.array([1.0]), [2, -1])
    with pytest.raises(TypeError, match=r"call .to_tensor\(\)"):
        np.asarray(r)
    with pytest.raises(NotImplementedError, match=r"indexing with"):
        r[:, 0]
    with pytest.raises(TypeError, match=r"from_row_splits"):
        tf.RaggedTensor(np.zeros(2), np.array([0, 2]))


def test_ragged_split_inside_a_csv_pipeline(tmp_path):
    path = tmp_path / "seq.csv"
    path.write_text("u1|m_1,m_2,m_3|4.0,3.0,5.0\nu2|m_2,m_3,m_1|1.0,2.0,2.0\n")

    def process(features):
        ids = tf.strings.split(features["ids"], ",").to_tensor()
        ratings = tf.strings.to_number(tf.strings.split(features["r"], ","),
                                       tf.float32).to_tensor()
        features["target_id"], features["ids"] = ids[:, -1], ids[:, :-1]
        features["r"] = ratings[:, :-1]
        return features, ratings[:, -1]

    ds = tf.data.experimental.make_csv_dataset(
        str(path), batch_size=2, column_names=["user", "ids", "r"], num_epochs=1,
        header=False, field_delim="|", shuffle=False).map(process)
    features, target = next(iter(ds))
    assert features["ids"].tolist() == [["m_1", "m_2"], ["m_2", "m_3"]]
    assert features["target_id"].tolist() == ["m_3", "m_1"]
    np.testing.assert_array_equal(target.numpy(), [5.0, 2.0])
    assert features["r"].shape == (2, 2)


def test_ragged_constant():
    r = tf.ragged.constant([["a", "b"], ["c"], []])
    assert r.dtype == tf.string and r.to_list() == [["a", "b"], ["c"], []]
    n = tf.ragged.constant([[1, 2], [3]])
    assert n.dtype == tf.int64 and n.to_tensor().numpy().tolist() == [[1, 2], [3, 0]]
    with pytest.raises(NotImplementedError, match="ragged rank 1"):
        tf.ragged.constant([[[1], [2]], [[3]]])
