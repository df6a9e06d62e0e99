"""keras.random.randint, truncated_normal, shuffle and categorical: ranges, dtypes, seeding
(SeedGenerator streams, int seeds, pe.manual_seed), distributions, and argument errors."""
import numpy as np
import pytest

import pyengine as pe
from pyengine import keras

R = keras.random


def test_randint_range_dtype_and_seeding():
    a = R.randint((2000,), 3, 7, seed=R.SeedGenerator(0))
    assert a.dtype == pe.int32 and a.shape == (2000,)
    v = a.numpy()
    assert v.min() == 3 and v.max() == 6
    np.testing.assert_array_equal(v, R.randint((2000,), 3, 7, seed=R.SeedGenerator(0)).numpy())
    assert R.randint((4,), 0, 2, dtype="int64").dtype == pe.int64
    pe.manual_seed(5)
    x = R.randint((10,), 0, 100).numpy()
    pe.manual_seed(5)
    np.testing.assert_array_equal(x, R.randint((10,), 0, 100).numpy())
    with pytest.raises(ValueError, match="randint.*minval < maxval"):
        R.randint((2,), 5, 5)
    with pytest.raises(ValueError, match="randint.*int32 or int64"):
        R.randint((2,), 0, 5, dtype="float32")


def test_truncated_normal_is_within_two_stddevs():
    t = R.truncated_normal((20000,), mean=1.0, stddev=0.5, seed=1).numpy()
    assert t.dtype == np.float32
    assert np.abs(t - 1.0).max() <= 1.0 + 1e-6
    assert abs(t.mean() - 1.0) < 0.02
    # the standard deviation of N(0, 1) truncated at +-2 is 0.880
    assert abs(t.std() / 0.5 - 0.880) < 0.02


def test_shuffle_permutes_along_an_axis():
    x = np.arange(12).reshape(3, 4)
    s = R.shuffle(x, axis=1, seed=3).numpy()
    assert sorted(s[0]) == [0, 1, 2, 3]
    assert (s[1] - s[0] == 4).all()  # columns move together
    with pytest.raises(ValueError, match="shuffle.*axis 2"):
        R.shuffle(x, axis=2)


def test_categorical_follows_the_softmax():
    logits = np.log(np.array([[0.2, 0.8], [0.7, 0.3]]))
    draws = R.categorical(logits, 20000, seed=4).numpy()
    assert draws.shape == (2, 20000) and draws.dtype == np.int32
    assert abs(draws[0].mean() - 0.8) < 0.02 and abs(draws[1].mean() - 0.3) < 0.02
    with pytest.raises(ValueError, match="categorical.*2-D"):
        R.categorical(np.zeros(3), 2)
