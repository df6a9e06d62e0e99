"""Original test of the Keras API pattern of keras-io image_classification_from_scratch: a
small residual image classifier (Rescaling, SeparableConv2D, BatchNormalization, layers.add
shortcut, GlobalAveragePooling2D, sigmoid head) fed by a tf.data-style pipeline
(from_tensor_slices, batch, map with RandomFlip / RandomRotation, AUTOTUNE, prefetch),
compile(jit_compile=True), ModelCheckpoint to .keras per epoch and load_model. No program text
of the example is used."""
import numpy as np

import pyengine as pe
from pyengine import keras
from pyengine.keras import layers


def _residual_net(side):
    inp = keras.Input((side, side, 3))
    h = layers.Rescaling(1.0 / 255)(inp)
    h = layers.Activation("relu")(layers.BatchNormalization()(
        layers.Conv2D(8, 3, strides=2, padding="same")(h)))
    skip = h
    for width in (12, 16):
        h = layers.SeparableConv2D(width, 3, padding="same", activation="relu")(h)
        h = layers.BatchNormalization()(h)
        h = layers.MaxPooling2D(3, strides=2, padding="same")(h)
        h = layers.add([h, layers.Conv2D(width, 1, strides=2, padding="same")(skip)])
        skip = h
    h = layers.Dropout(0.3)(layers.GlobalAveragePooling2D()(h))
    return keras.Model(inp, layers.Dense(1, activation="sigmoid")(h))


def test_residual_separable_classifier_with_augmented_pipeline(tmp_path):
    rng = np.random.default_rng(21)
    pics = rng.uniform(0, 255, (40, 24, 24, 3)).astype("float32")
    tags = rng.integers(0, 2, 40)
    pics[tags == 0, ..., 2] = 0.0  # class 0: no blue at all
    augment = keras.Sequential([layers.RandomFlip("horizontal"), layers.RandomRotation(0.05)])
    train = (pe.data.Dataset.from_tensor_slices((pics[:32], tags[:32])).batch(8)
             .map(lambda im, t: (augment(im), t), num_parallel_calls=pe.data.AUTOTUNE)
             .prefetch(pe.data.AUTOTUNE))
    val = pe.data.Dataset.from_tensor_slices((pics[32:], tags[32:])).batch(8).prefetch(2)
    for batch, _ in train.take(1):
        assert batch.numpy().shape == (8, 24, 24, 3)
    net = _residual_net(24)
    net.compile(optimizer=keras.optimizers.Adam(2e-3), loss="binary_crossentropy",
                metrics=["accuracy"], jit_compile=True)
    hist = net.fit(train, epochs=4, validation_data=val, verbose=0, callbacks=[
        keras.callbacks.ModelCheckpoint(str(tmp_path / "ep{epoch}.keras"))])
    assert hist.history["loss"][-1] < 0.6 * hist.history["loss"][0]
    assert sorted(p.name for p in tmp_path.iterdir()) == [f"ep{i}.keras" for i in (1, 2, 3, 4)]
    one = pe.expand_dims(pics[5], 0)
    prob = net.predict(one, verbose=0)
    assert prob.shape == (1, 1) and 0.0 <= float(prob[0][0]) <= 1.0
    back = keras.models.load_model(str(tmp_path / "ep4.keras"))
    np.testing.assert_allclose(back.predict(one, verbose=0), prob, rtol=1e-4, atol=1e-6)
