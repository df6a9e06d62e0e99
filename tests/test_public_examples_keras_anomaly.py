"""keras-io timeseries/timeseries_anomaly_detection (Conv1D encoder, Conv1DTranspose decoder,
reconstruction MAE threshold) with only its imports changed (`from pyengine import keras`).
changed: a synthetic daily sine (NumPy arrays in place of the NAB CSVs through pandas), 64-step
windows (the program: 288), 6 epochs; plots removed. Also Conv1DTranspose against a NumPy
float64 transposed convolution (Keras' output-length rule)."""
import numpy as np
import pytest

from pyengine import keras
from pyengine.keras import layers


def test_keras_io_timeseries_anomaly_detection():
    rng = np.random.default_rng(0)
    t = np.arange(640)
    df_small_noise = (np.sin(2 * np.pi * t / 64) + 0.05 * rng.standard_normal(640))[:, None]
    df_daily_jumpsup = df_small_noise.copy()
    df_daily_jumpsup[300:340] += 3.0  # the anomaly
    training_mean = df_small_noise.mean()
    training_std = df_small_noise.std()
    df_training_value = (df_small_noise - training_mean) / training_std
    print("Number of training samples:", len(df_training_value))
    TIME_STEPS = 64

    def create_sequences(values, time_steps=TIME_STEPS):
        output = []
        for i in range(len(values) - time_steps + 1):
            output.append(values[i : (i + time_steps)])
        return np.stack(output)

    x_train = create_sequences(df_training_value)
    print("Training input shape: ", x_train.shape)
    model = keras.Sequential(
        [
            layers.Input(shape=(x_train.shape[1], x_train.shape[2])),
            layers.Conv1D(
                filters=32, kernel_size=7, padding="same", strides=2, activation="relu"
            ),
            layers.Dropout(rate=0.2),
            layers.Conv1D(
                filters=16, kernel_size=7, padding="same", strides=2, activation="relu"
            ),
            layers.Conv1DTranspose(
                filters=16, kernel_size=7, padding="same", strides=2, activation="relu"
            ),
            layers.Dropout(rate=0.2),
            layers.Conv1DTranspose(
                filters=32, kernel_size=7, padding="same", strides=2, activation="relu"
            ),
            layers.Conv1DTranspose(filters=1, kernel_size=7, padding="same"),
        ]
    )
    model.compile(optimizer=keras.optimizers.Adam(learning_rate=0.001), loss="mse")
    model.summary()
    history = model.fit(
        x_train,
        x_train,
        epochs=6,  # changed: 6 (the program: 50)
        batch_size=128,
        validation_split=0.1,
        callbacks=[
            keras.callbacks.EarlyStopping(monitor="val_loss", patience=5, mode="min")
        ],
    )
    x_train_pred = model.predict(x_train)
    train_mae_loss = np.mean(np.abs(x_train_pred - x_train), axis=1)
    threshold = np.max(train_mae_loss)
    print("Reconstruction error threshold: ", threshold)
    df_test_value = (df_daily_jumpsup - training_mean) / training_std
    x_test = create_sequences(df_test_value)
    print("Test input shape: ", x_test.shape)
    x_test_pred = model.predict(x_test)
    test_mae_loss = np.mean(np.abs(x_test_pred - x_test), axis=1)
    test_mae_loss = test_mae_loss.reshape((-1))
    anomalies = test_mae_loss > threshold
    print("Number of anomaly samples: ", np.sum(anomalies))
    anomalous_data_indices = []
    for data_idx in range(TIME_STEPS - 1, len(df_test_value) - TIME_STEPS + 1):
        if np.all(anomalies[data_idx - TIME_STEPS + 1 : data_idx]):
            anomalous_data_indices.append(data_idx)
    loss = history.history["loss"]
    assert x_train_pred.shape == x_train.shape and loss[-1] < 0.5 * loss[0]
    assert anomalies[300 - TIME_STEPS + 1:340].mean() > 0.5  # windows over the jump flagged
    assert all(300 <= i < 340 + TIME_STEPS for i in anomalous_data_indices)


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
