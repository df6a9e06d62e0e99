"""Original test of the pattern of keras-io timeseries_anomaly_detection (a strided Conv1D
encoder and Conv1DTranspose decoder trained as an autoencoder; windows whose reconstruction
error exceeds the training maximum are flagged), plus Conv1DTranspose against a NumPy float64
transposed convolution (Keras' output-length rule). No program text of the example is used."""
import numpy as np
import pytest

from pyengine import keras
from pyengine.keras import layers


def _slide(series, width):
    return np.lib.stride_tricks.sliding_window_view(series, width, axis=0).transpose(0, 2, 1)


def test_conv1d_transpose_autoencoder_flags_a_level_shift():
    rng = np.random.default_rng(11)
    clock = np.arange(512)
    clean = np.cos(2 * np.pi * clock / 32) + 0.05 * rng.standard_normal(512)
    mu, sd = clean.mean(), clean.std()
    width = 32
    train = _slide(((clean - mu) / sd)[:, None].astype("float32"), width).copy()
    auto = keras.Sequential([
        layers.Input((width, 1)),
        layers.Conv1D(16, 5, strides=2, padding="same", activation="relu"),
        layers.Dropout(0.1),
        layers.Conv1D(8, 5, strides=2, padding="same", activation="relu"),
        layers.Conv1DTranspose(8, 5, strides=2, padding="same", activation="relu"),
        layers.Conv1DTranspose(16, 5, strides=2, padding="same", activation="relu"),
        layers.Conv1DTranspose(1, 5, padding="same"),
    ])
    auto.compile(optimizer=keras.optimizers.Adam(learning_rate=0.005), loss="mse")
    hist = auto.fit(train, train, epochs=8, batch_size=64, validation_split=0.1, verbose=0,
                    callbacks=[keras.callbacks.EarlyStopping(monitor="val_loss", patience=4)])
    assert hist.history["loss"][-1] < 0.5 * hist.history["loss"][0]
    recon = auto.predict(train, verbose=0)
    assert recon.shape == train.shape
    limit = np.abs(recon - train).mean(axis=1).max()
    shifted = clean.copy()
    shifted[250:290] += 3.0
    probe = _slide(((shifted - mu) / sd)[:, None].astype("float32"), width).copy()
    err = np.abs(auto.predict(probe, verbose=0) - probe).mean(axis=1).ravel()
    flagged = err > limit
    assert flagged[250 - width + 1:290].mean() > 0.5
    assert not flagged[:250 - width - 8].any()


@pytest.mark.parametrize("padding, strides, k, op", [("valid", 1, 3, None), ("valid", 2, 3, None),
                                                     ("same", 2, 3, None), ("same", 1, 4, None),
                                                     ("valid", 3, 2, None), ("valid", 2, 3, 1)])
def test_conv1d_transpose_matches_numpy(padding, strides, k, op):
    rng = np.random.default_rng(1)
    layer = layers.Conv1DTranspose(5, k, strides=strides, padding=padding, output_padding=op,
                                   bias_initializer="glorot_uniform")
    x = rng.standard_normal((2, 6, 4)).astype("float32")
    y = np.asarray(layer(x))
    w, b = (v.astype(np.float64) for v in layer.get_weights())
    assert w.shape == (k, 5, 4)  # Keras' layout (kernel_size, filters, in_channels)
    if op is None:  # Keras' deconv_output_length
        n = 6 * strides if padding == "same" else 6 * strides + max(k - strides, 0)
    else:
        n = (6 - 1) * strides + k - 2 * (k // 2 if padding == "same" else 0) + op
    full = np.zeros((2, max((6 - 1) * strides + k, n) + k, 5))
    for s in range(6):
        for j in range(k):
            full[:, s * strides + j] += x[:, s].astype(np.float64) @ w[j].T
    top = max((6 - 1) * strides + k - n, 0) // 2 if padding == "same" else 0
    np.testing.assert_allclose(y, full[:, top:top + n] + b, rtol=1e-5, atol=1e-5)
    assert layer.compute_output_shape((None, 6, 4)) == (None, n, 5)
    with pytest.raises(ValueError, match="steps"):
        layer(np.zeros((2, 6, 4, 1), "float32"))
