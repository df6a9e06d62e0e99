"""keras.preprocessing.image.ImageDataGenerator and its .flow() iterator."""
import numpy as np
import pytest

import pyengine as pe
from pyengine import keras
from pyengine.keras.preprocessing.image import ImageDataGenerator

RNG = np.random.default_rng(0)


def data(n=40, h=8, w=9, c=2):
    return RNG.random((n, h, w, c)).astype(np.float32), RNG.integers(0, 3, n)


def test_plain_generator_only_rescales_and_keeps_pairs():
    x, y = data()
    it = ImageDataGenerator(rescale=2.0).flow(x, y, batch_size=16, shuffle=False)
    batches = list(it)
    assert len(it) == 3 and [len(b[0]) for b in batches] == [16, 16, 8]
    np.testing.assert_array_equal(np.concatenate([b[0] for b in batches]), 2 * x)
    np.testing.assert_array_equal(np.concatenate([b[1] for b in batches]), y)


def test_shuffled_batches_keep_x_y_pairs():
    x = np.arange(30, dtype=np.float32).reshape(30, 1, 1, 1) * np.ones((1, 2, 2, 1), np.float32)
    y = np.arange(30)
    for xb, yb in ImageDataGenerator().flow(x, y, batch_size=7, seed=3):
        np.testing.assert_array_equal(xb[:, 0, 0, 0], yb)


def test_flips_are_exact_and_integer_shifts_move_whole_pixels():
    x, y = data(32)
    xb, _ = ImageDataGenerator(horizontal_flip=True).flow(x, y, batch_size=32, shuffle=False,
                                                          seed=1)[0]
    flipped = [np.array_equal(xb[i], x[i, :, ::-1]) for i in range(32)]
    assert all(f or np.array_equal(xb[i], x[i]) for i, f in enumerate(flipped))
    assert 4 < sum(flipped) < 28
    g = ImageDataGenerator(width_shift_range=[2], fill_mode="constant", cval=-1.0,
                           interpolation_order=0)
    xb, _ = g.flow(x, y, batch_size=32, shuffle=False, seed=0)[0]
    np.testing.assert_allclose(xb[:, :, 2:], x[:, :, :-2], atol=1e-6)
    assert np.all(xb[:, :, :2] == -1.0)


def test_featurewise_and_zca_need_fit_then_normalise():
    x, y = data(200, 4, 4, 1)
    g = ImageDataGenerator(featurewise_center=True, featurewise_std_normalization=True)
    with pytest.warns(UserWarning, match="hasn't been fit on any training data"):
        raw, _ = g.flow(x, y, batch_size=200, shuffle=False)[0]  # Keras 2: warns, skips
    np.testing.assert_array_equal(raw, x)
    g.fit(x)
    xb, _ = g.flow(x, y, batch_size=200, shuffle=False)[0]
    assert abs(xb.mean()) < 1e-4 and abs(xb.std() - 1) < 1e-3
    z = ImageDataGenerator(zca_whitening=True, zca_epsilon=1e-8).fit(x)
    flat = z.standardize(x - x.mean(0)).reshape(200, -1)
    np.testing.assert_allclose(flat.T @ flat / 200, np.eye(16), atol=2e-2)


def test_random_transform_and_subsets_and_sample_weight():
    x, y = data(50)
    g = ImageDataGenerator(rotation_range=20, zoom_range=0.2, shear_range=10,
                           height_shift_range=0.1, validation_split=0.2)
    out = g.random_transform(x[0], seed=5)
    assert out.shape == x[0].shape and not np.array_equal(out, x[0])
    np.testing.assert_array_equal(out, g.random_transform(x[0], seed=5))
    assert g.flow(x, y, batch_size=10, subset="training").n == 40
    assert g.flow(x, y, batch_size=10, subset="validation").n == 10
    sw = np.arange(50, dtype=np.float32)
    xb, yb, wb = ImageDataGenerator().flow(x, y, sample_weight=sw, batch_size=50,
                                           shuffle=False)[0]
    np.testing.assert_array_equal(wb, sw)


def test_fit_accepts_flow():
    pe.manual_seed(0)
    x = RNG.random((64, 8, 8, 1)).astype(np.float32)
    y = (x.mean(axis=(1, 2, 3)) > 0.5).astype(np.int64)
    model = keras.Sequential([keras.Input((8, 8, 1)), keras.layers.Flatten(),
                              keras.layers.Dense(2, activation="softmax")])
    model.compile("adam", "sparse_categorical_crossentropy")
    gen = ImageDataGenerator(horizontal_flip=True, vertical_flip=True)
    hist = model.fit(gen.flow(x, y, batch_size=16, seed=0), epochs=3, verbose=0)
    assert len(hist.history["loss"]) == 3


@pytest.mark.parametrize("kwargs,msg", [
    (dict(fill_mode="mirror"), "fill_mode"), (dict(interpolation_order=3), "interpolation_order"),
    (dict(zoom_range=(0.5, 0.2)), "zoom_range"), (dict(zoom_range=1.5), "zoom_range must stay"),
    (dict(data_format="channels_first"), "channels_last"), (dict(validation_split=1.5),
                                                            "validation_split"),
])
def test_bad_config(kwargs, msg):
    with pytest.raises(ValueError, match=msg):
        ImageDataGenerator(**kwargs)


def test_bad_flow_input():
    g = ImageDataGenerator()
    with pytest.raises(ValueError, match=r"x must be \(N, H, W, C\)"):
        g.flow(np.zeros((4, 4)), batch_size=2)
    with pytest.raises(ValueError, match="y has 3 entries"):
        g.flow(np.zeros((4, 2, 2, 1)), np.zeros(3), batch_size=2)
    with pytest.raises(ValueError, match="batch_size"):
        g.flow(np.zeros((4, 2, 2, 1)), batch_size=0)
    with pytest.raises(ValueError, match=r"flow_from_directory\] directory not found"):
        g.flow_from_directory("no-such-folder/")  # reading folders: tests/test_image_files.py
    with pytest.raises(NotImplementedError, match="flow_from_dataframe"):
        g.flow_from_dataframe(None)


def test_fit_generator_and_steps_beyond_one_pass():
    """Keras 2's fit_generator (the classic courses' call) warns and trains; steps_per_epoch
    larger than one pass of a Sequence restarts it, as Keras does, instead of running out."""
    import warnings
    x = np.random.default_rng(0).random((12, 4, 4, 1)).astype(np.float32)
    y = (x.mean((1, 2, 3)) > 0.5).astype(np.float32)
    model = keras.Sequential([keras.Input((4, 4, 1)), keras.layers.Flatten(),
                              keras.layers.Dense(1, activation="sigmoid")])
    model.compile("adam", "binary_crossentropy", metrics=["accuracy"])
    flow = ImageDataGenerator(horizontal_flip=True).flow(x, y, batch_size=4, seed=0)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        hist = model.fit_generator(flow, steps_per_epoch=5, epochs=2, validation_data=flow,
                                   validation_steps=2, verbose=0)
    messages = [str(w.message) for w in caught]
    assert any("fit_generator` is deprecated" in m for m in messages)
    assert not any("ran out of data" in m for m in messages)  # 5 steps > 3 batches per pass
    assert len(hist.history["loss"]) == 2 and "val_loss" in hist.history
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)
        assert model.predict_generator(flow, steps=2).shape == (8, 1)
        assert len(model.evaluate_generator(flow, steps=1)) == 2
    with pytest.raises(ValueError, match="use_multiprocessing"):
        model.fit_generator(flow, workers=4, use_multiprocessing=True)
    gen = iter([(x[:4], y[:4])] * 3)  # a plain generator is read by one thread
    with pytest.raises(ValueError, match="workers=4 needs a keras.utils.Sequence"):
        model.fit_generator(gen, steps_per_epoch=1, workers=4)
