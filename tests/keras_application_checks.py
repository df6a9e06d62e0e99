"""The check every keras.applications test file makes of its small model with a 3-class top."""
import numpy as np


def assert_classifies_and_trains(model, x, labels):
    """predict gives finite probabilities over 3 classes that sum to 1, and one fit step on
    `labels` gives a finite loss."""
    y = model.predict(x, verbose=0)
    assert y.shape == (len(x), 3) and np.isfinite(y).all()
    np.testing.assert_allclose(y.sum(1), 1.0, rtol=1e-5)
    model.compile("adam", "sparse_categorical_crossentropy")
    history = model.fit(x, np.array(labels), epochs=1, batch_size=len(x), verbose=0)
    assert np.isfinite(history.history["loss"][0])
