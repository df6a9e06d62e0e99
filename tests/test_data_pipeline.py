"""pe.data: tf.data-style pipelines (streaming, order, shapes, errors)."""
import threading

import numpy as np
import pytest

import pyengine as pe
from pyengine.data import AUTOTUNE, Dataset, TensorSpec


def _np(ds):
    return list(ds.as_numpy_iterator())


def test_from_tensor_slices_structures_and_batch():
    x = np.arange(14, dtype=np.float32).reshape(7, 2)
    y = np.arange(7)
    ds = Dataset.from_tensor_slices((x, y))
    assert len(ds) == 7 and ds.element_spec[0].shape == (2,)
    b = _np(ds.batch(3))
    assert [len(e[1]) for e in b] == [3, 3, 1]
    np.testing.assert_array_equal(np.concatenate([e[0] for e in b]), x)
    assert len(_np(ds.batch(3, drop_remainder=True))) == 2 == len(ds.batch(3, drop_remainder=True))
    d = _np(Dataset.from_tensor_slices({"a": x, "b": y}).batch(4))
    assert d[0]["a"].shape == (4, 2) and d[1]["b"].tolist() == [4, 5, 6]
    assert [int(v) for v in Dataset.from_tensor_slices([1, 2, 3])] == [1, 2, 3]
    xb, yb = next(iter(ds.batch(2)))
    assert isinstance(xb, pe.Tensor) and xb.shape == (2, 2)
    with pytest.raises(ValueError, match="first dimensions"):
        Dataset.from_tensor_slices((x, np.arange(3)))


def test_from_tensors_range_zip_take_skip_repeat_concat():
    assert len(_np(Dataset.from_tensors(np.zeros((3, 2))))) == 1
    assert [int(v) for v in _np(Dataset.range(2, 8, 2))] == [2, 4, 6]
    z = _np(Dataset.zip((Dataset.range(3), Dataset.range(10, 20))))
    assert [(int(a), int(b)) for a, b in z] == [(0, 10), (1, 11), (2, 12)]
    r = Dataset.range(5)
    assert [int(v) for v in _np(r.skip(1).take(2))] == [1, 2]
    assert [int(v) for v in _np(r.repeat(2))] == [0, 1, 2, 3, 4] * 2
    assert r.repeat().cardinality() == pe.data.INFINITE_CARDINALITY
    assert [int(v) for v in _np(r.repeat().take(7))] == [0, 1, 2, 3, 4, 0, 1]
    assert len(r.concatenate(r)) == 10
    assert [int(v) for v in _np(r.filter(lambda v: v % 2 == 0))] == [0, 2, 4]
    assert [int(v) for v in _np(r.shard(2, 1))] == [1, 3]
    assert [int(i) for i, _ in _np(r.enumerate(5))][:2] == [5, 6]


def test_map_sequential_and_parallel_keep_order():
    x = np.arange(20, dtype=np.float32)
    ds = Dataset.from_tensor_slices((x, x))
    want = [(2 * v, v + 1) for v in x]
    for calls in (None, 3, AUTOTUNE):
        got = _np(ds.map(lambda a, b: (a * 2, b + 1), num_parallel_calls=calls))
        assert [(float(a), float(b)) for a, b in got] == want
    single = _np(Dataset.range(3).map(lambda v: v * 10))
    assert [int(v) for v in single] == [0, 10, 20]


def test_shuffle_is_a_permutation_reproducible_and_reshuffles():
    ds = Dataset.range(50).shuffle(10, seed=3)
    a, b = [int(v) for v in _np(ds)], [int(v) for v in _np(ds)]
    assert sorted(a) == list(range(50)) and a != list(range(50)) and a != b
    again = [int(v) for v in _np(Dataset.range(50).shuffle(10, seed=3))]
    assert again == a
    fixed = Dataset.range(50).shuffle(10, seed=3, reshuffle_each_iteration=False)
    assert _np(fixed) == _np(fixed)
    pe.manual_seed(4)
    c = [int(v) for v in _np(Dataset.range(50).shuffle(100))]
    pe.manual_seed(4)
    assert c == [int(v) for v in _np(Dataset.range(50).shuffle(100))]


def test_unbatch_cache_prefetch():
    x = np.arange(12).reshape(6, 2)
    ds = Dataset.from_tensor_slices(x).batch(4).unbatch()
    np.testing.assert_array_equal(np.stack(_np(ds)), x)
    calls = []

    def gen():
        calls.append(1)
        yield from range(4)
    cached = Dataset.from_generator(gen).cache()
    assert [int(v) for v in _np(cached)] == [0, 1, 2, 3] == [int(v) for v in _np(cached)]
    assert len(calls) == 1
    pf = Dataset.range(100).map(lambda v: v + 1).prefetch(AUTOTUNE)
    assert [int(v) for v in _np(pf)] == list(range(1, 101))
    with pytest.raises(ValueError, match="in-memory"):
        Dataset.range(3).cache("/tmp/somewhere")


def test_streaming_does_not_materialise():
    pulled = []

    def endless():
        i = 0
        while True:
            pulled.append(i)
            yield np.float32(i)
            i += 1
    ds = Dataset.from_generator(endless).batch(4).prefetch(2)
    it = iter(ds)
    first = next(it)
    assert first.shape == (4,)
    assert len(pulled) < 40  # only the prefetch window was read, not the infinite stream


def test_prefetch_runs_upstream_in_a_background_thread():
    threads = set()

    def gen():
        for i in range(3):
            threads.add(threading.current_thread().name)
            yield i
    list(Dataset.from_generator(gen).prefetch(1).as_numpy_iterator())
    assert threads == {"pyengine-data-prefetch"}


def test_from_generator_checks_shapes_and_signature():
    def ragged():
        yield np.zeros(3), 0
        yield np.zeros(4), 1
    with pytest.raises(ValueError, match="inconsistent shapes"):
        _np(Dataset.from_generator(ragged))
    sig = (TensorSpec(shape=(None,), dtype=pe.float32), TensorSpec(shape=(), dtype=pe.int64))
    got = _np(Dataset.from_generator(ragged, output_signature=sig))
    assert len(got) == 2
    with pytest.raises(ValueError, match="inconsistent shapes"):
        _np(Dataset.from_generator(ragged, output_signature=(TensorSpec((3,)), TensorSpec(()))))

    def not_pairs():
        yield np.zeros(2), 0
        yield np.zeros(2)
    with pytest.raises(ValueError, match="structure"):
        _np(Dataset.from_generator(not_pairs))
    with pytest.raises(ValueError, match="different shapes"):
        _np(Dataset.from_generator(ragged, output_signature=sig).batch(2))
    with pytest.raises(TypeError, match="callable"):
        Dataset.from_generator(iter([1, 2]))
    assert [int(v) for v in _np(Dataset.from_generator(lambda n: range(n), args=(3,)))] == \
        [0, 1, 2]


def test_tf_alias_and_errors_in_pipeline():
    import pyengine as tf
    assert tf.data.Dataset is Dataset and tf.data.AUTOTUNE == tf.data.experimental.AUTOTUNE
    with pytest.raises(ValueError, match="batch_size"):
        Dataset.range(3).batch(0)

    def bad(v):
        raise KeyError("boom in map")
    with pytest.raises(KeyError, match="boom"):
        _np(Dataset.range(3).map(bad).prefetch(2))
    with pytest.raises(TypeError, match="infinite"):
        len(Dataset.range(3).repeat())


def test_as_numpy_iterator_gives_numpy_scalars_for_scalar_elements():
    out = list(Dataset.range(3).as_numpy_iterator())
    assert out == [0, 1, 2] and all(type(v) is np.int64 for v in out)
    (a, b), = list(Dataset.from_tensor_slices(({"k": np.arange(1)}, np.ones((1, 2))))
                   .as_numpy_iterator())
    assert type(a["k"]) is np.int64 and b.shape == (2,)


def test_rejection_resample_reaches_the_target_distribution():
    labels = (np.arange(4000) % 20 == 0).astype(np.int64)  # 5 % positives
    ds = pe.data.Dataset.from_tensor_slices({"x": np.arange(4000.0), "y": labels})
    out = ds.rejection_resample(class_func=lambda e: pe.cast(e["y"], pe.int32),
                                target_dist=[0.5, 0.5], initial_dist=[0.95, 0.05], seed=3)
    pairs = list(out.as_numpy_iterator())
    classes = np.array([c for c, _ in pairs])
    elems = [e for _, e in pairs]
    assert classes.dtype == np.int32
    assert all(c == e["y"] for c, e in zip(classes, elems))  # the pair's class is its element's
    assert 0.4 < classes.mean() < 0.6 and len(pairs) > 300
    # the same seed gives the same stream; map(lambda _, x: x) drops the class again
    again = [c for c, _ in out.as_numpy_iterator()]
    np.testing.assert_array_equal(again, classes)
    firsts = list(out.map(lambda _, e: e).take(2).as_numpy_iterator())
    assert set(firsts[0]) == {"x", "y"}
    # without initial_dist the distribution is estimated from the stream
    est = np.array([c for c, _ in ds.rejection_resample(
        lambda e: pe.cast(e["y"], pe.int32), [0.7, 0.3], seed=1).as_numpy_iterator()])
    assert 0.2 < est.mean() < 0.4
    # target equal to the data's distribution: every element, in order
    same = [c for c, _ in ds.take(40).rejection_resample(
        lambda e: pe.cast(e["y"], pe.int32), [0.95, 0.05], [0.95, 0.05], seed=0)
        .as_numpy_iterator()]
    np.testing.assert_array_equal(same, labels[:40])


def test_rejection_resample_errors():
    ds = pe.data.Dataset.from_tensor_slices(np.arange(6))
    with pytest.raises(ValueError, match=r"\[Dataset.rejection_resample\] target_dist"):
        ds.rejection_resample(lambda x: x % 2, [0.5, 0.6])
    with pytest.raises(ValueError, match=r"initial_dist must be a 1-D distribution of 2"):
        ds.rejection_resample(lambda x: x % 2, [0.5, 0.5], [1.0])
    bad = ds.rejection_resample(lambda x: x, [0.5, 0.5], [0.5, 0.5])
    with pytest.raises(ValueError, match=r"class_func must return a scalar int class in \[0, 2\)"):
        list(bad)
