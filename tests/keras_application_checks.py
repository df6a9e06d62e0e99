"""The checks every keras.applications test file makes: the small model with a 3-class top
classifies and trains, a headless model's pooling head, and a save / load round trip."""
import numpy as np

from pyengine import keras


def assert_classifies_and_trains(model, x, labels):
    """predict gives finite probabilities over 3 classes that sum to 1, and one fit step on
    `labels` gives a finite loss."""
    y = model.predict(x, verbose=0)
    assert y.shape == (len(x), 3) and np.isfinite(y).all()
    np.testing.assert_allclose(y.sum(1), 1.0, rtol=1e-5)
    model.compile("adam", "sparse_categorical_crossentropy")
    history = model.fit(x, np.array(labels), epochs=1, batch_size=len(x), verbose=0)
    assert np.isfinite(history.history["loss"][0])


def assert_pooling_head(model, shape, base_params, last=None):
    """A model built with include_top=False: its output shape, its last layer's name (when
    given) and the base's parameter count (a pooling head adds none)."""
    assert model.outputs[0].shape == shape and model.count_params() == base_params
    if last is not None:
        assert model.layers[-1].name == last


def assert_save_load_predicts_same(model, path, x):
    """model.save to `path`, keras.models.load_model back: the same predictions on x."""
    model.save(path)
    again = keras.models.load_model(path)
    np.testing.assert_allclose(again.predict(x, verbose=0), model.predict(x, verbose=0),
                               rtol=1e-5, atol=1e-6)
