"""metrics=["accuracy"] beside a loss that does not say which accuracy fits (keras-io's siamese
network: a contrastive loss function on one sigmoid unit): Keras 3 picks it from the shapes.
It used to be categorical accuracy, which on one unit compares argmaxes of length 1 and
reported 1.0 whatever the predictions."""
import numpy as np
import pytest

import pyengine as pe
from pyengine import keras
from pyengine.keras import metrics as M


def custom_loss(y_true, y_pred):  # a function: says nothing about which accuracy fits
    return pe.reduce_mean(pe.square(y_pred)) + 0.0 * pe.reduce_mean(pe.cast(y_true, "float32"))


@pytest.mark.parametrize("units, labels, want", [
    (1, "binary", "binary"), (3, "sparse", "sparse"), (3, "sparse_column", "sparse"),
    (3, "onehot", "categorical")])
def test_accuracy_follows_the_shapes(units, labels, want):
    rng = np.random.default_rng(0)
    x = rng.standard_normal((40, 4)).astype(np.float32)
    cls = rng.integers(0, max(units, 2), 40)
    y = {"binary": cls.astype(np.float32), "sparse": cls, "sparse_column": cls[:, None],
         "onehot": np.eye(units, dtype=np.float32)[cls % units]}[labels]
    pe.manual_seed(0)
    act = "sigmoid" if units == 1 else "softmax"
    m = keras.Sequential([keras.Input((4,)), keras.layers.Dense(units, activation=act)])
    m.compile("sgd", custom_loss, metrics=["accuracy"])
    got = m.evaluate(x, y, verbose=0, return_dict=True)["accuracy"]
    p = m.predict(x, verbose=0)
    if want == "binary":
        ref = np.mean((p[:, 0] > 0.5) == (y > 0.5))
    elif want == "sparse":
        ref = np.mean(p.argmax(-1) == y.reshape(-1))
    else:
        ref = np.mean(p.argmax(-1) == y.argmax(-1))
    assert got == pytest.approx(ref)
    if units == 1:
        assert got < 1.0  # not the length-1 argmax comparison


def test_known_losses_keep_their_accuracy():
    assert isinstance(M.get("accuracy", keras.losses.get("binary_crossentropy")),
                      M.BinaryAccuracy)
    assert isinstance(M.get("acc", keras.losses.get("sparse_categorical_crossentropy")),
                      M.SparseCategoricalAccuracy)
    assert isinstance(M.get("accuracy", keras.losses.get("categorical_crossentropy")),
                      M.CategoricalAccuracy)
    assert isinstance(M.get("accuracy", None), M.ShapeAccuracy)
