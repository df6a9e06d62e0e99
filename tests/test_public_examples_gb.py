"""Original tests of the API patterns keras-io programs need (MIRNet, NeRF, RetinaNet, BASNet,
GCViT, GauGAN, molecule generation, Eikonal, float8 training): tiny sizes, synthetic data,
NumPy float64 references. See docs/public_examples.md."""
import numpy as np
import pytest

import pyengine as tf
from pyengine import keras
from pyengine.keras import layers


def _pool2(x):  # NHWC 2x2 max pooling, float64 reference
    n, h, w, c = x.shape
    return x[:, :h // 2 * 2, :w // 2 * 2].reshape(n, h // 2, 2, w // 2, 2, c).max(axis=(2, 4))


def _up2(x):
    return x.repeat(2, axis=1).repeat(2, axis=2)


def test_none_by_none_encoder_decoder_adds_its_input():
    # two poolings then two upsamplings added to the input on a None x None image: the symbolic
    # example sizes must survive / 4 * 4 (97 -> 24 -> 96 did not match 97 before)
    inp = keras.Input(shape=(None, None, 2))
    down = layers.MaxPooling2D()(layers.MaxPooling2D()(inp))
    out = layers.Add()([inp, layers.UpSampling2D()(layers.UpSampling2D()(down))])
    model = keras.Model(inp, out)
    assert tuple(model.output.shape) == (None, None, None, 2)
    rng = np.random.default_rng(0)
    for size in (8, 12):
        x = rng.normal(size=(2, size, size, 2)).astype("float32")
        ref = x.astype(np.float64) + _up2(_up2(_pool2(_pool2(x.astype(np.float64)))))
        np.testing.assert_allclose(model.predict(x, verbose=0), ref, rtol=1e-6, atol=1e-6)
