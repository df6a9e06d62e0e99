"""keras-io vision/image_classification_from_scratch (the small Xception: Rescaling,
SeparableConv2D, BatchNormalization, residual layers.add, RandomFlip / RandomRotation mapped over
a tf.data pipeline with AUTOTUNE, prefetch, ModelCheckpoint to .keras each epoch,
compile(jit_compile=True)) with only its imports changed (`import pyengine as tf`,
`from pyengine import keras`). changed: 32 synthetic 32x32 images through
tf.data.Dataset.from_tensor_slices in place of image_dataset_from_directory (not provided),
3 epochs; plotting and plot_model removed; the last print takes float(score)."""
import numpy as np

import pyengine as tf
from pyengine import keras
from pyengine.keras import layers


def test_keras_io_image_classification_from_scratch(tmp_path):
    image_size = (32, 32)  # changed: 32x32 (the program: 180x180)
    batch_size = 8  # changed: 8 (the program: 128)
    rng = np.random.default_rng(0)
    imgs = rng.integers(0, 255, (32, 32, 32, 3)).astype("float32")
    labels = rng.integers(0, 2, 32)
    imgs[labels == 1, :, :, 0] = 255.0  # class 1: a saturated red channel
    train_ds = tf.data.Dataset.from_tensor_slices((imgs[:24], labels[:24])).batch(batch_size)
    val_ds = tf.data.Dataset.from_tensor_slices((imgs[24:], labels[24:])).batch(batch_size)

    data_augmentation = keras.Sequential(
        [
            layers.RandomFlip("horizontal"),
            layers.RandomRotation(0.1),
        ]
    )
    for images, _ in train_ds.take(1):
        for i in range(9):
            augmented_images = data_augmentation(images)
            a = augmented_images[0].numpy().astype("uint8")
    train_ds = train_ds.prefetch(buffer_size=32)
    val_ds = val_ds.prefetch(buffer_size=32)
    def make_model(input_shape, num_classes):
        inputs = keras.Input(shape=input_shape)
        x = layers.Rescaling(1.0 / 255)(inputs)
        x = layers.Conv2D(32, 3, strides=2, padding="same")(x)
        x = layers.BatchNormalization()(x)
        x = layers.Activation("relu")(x)
        x = layers.Conv2D(64, 3, padding="same")(x)
        x = layers.BatchNormalization()(x)
        x = layers.Activation("relu")(x)
        previous_block_activation = x
        for size in [128, 256, 512, 728]:
            x = layers.Activation("relu")(x)
            x = layers.SeparableConv2D(size, 3, padding="same")(x)
            x = layers.BatchNormalization()(x)
            x = layers.Activation("relu")(x)
            x = layers.SeparableConv2D(size, 3, padding="same")(x)
            x = layers.BatchNormalization()(x)
            x = layers.MaxPooling2D(3, strides=2, padding="same")(x)
            residual = layers.Conv2D(size, 1, strides=2, padding="same")(previous_block_activation)
            x = layers.add([x, residual])
            previous_block_activation = x
        x = layers.SeparableConv2D(1024, 3, padding="same")(x)
        x = layers.BatchNormalization()(x)
        x = layers.Activation("relu")(x)
        x = layers.GlobalAveragePooling2D()(x)
        if num_classes == 2:
            activation = "sigmoid"
            units = 1
        else:
            activation = "softmax"
            units = num_classes
        x = layers.Dropout(0.5)(x)
        outputs = layers.Dense(units, activation=activation)(x)
        return keras.Model(inputs, outputs)
    model = make_model(input_shape=image_size + (3,), num_classes=2)
    train_ds = train_ds.map(
        lambda img, label: (data_augmentation(img), label),
        num_parallel_calls=tf.data.AUTOTUNE,
    )
    train_ds = train_ds.prefetch(tf.data.AUTOTUNE)
    epochs = 3  # changed: 3 (the program: 25)
    callbacks = [keras.callbacks.ModelCheckpoint(str(tmp_path / "save_at_{epoch}.keras"))]
    model.compile(
        optimizer=keras.optimizers.Adam(1e-3),
        loss="binary_crossentropy",
        metrics=["accuracy"],
        jit_compile=True,  # Enable XLA compilation for faster execution
    )
    history = model.fit(train_ds, epochs=epochs, callbacks=callbacks, validation_data=val_ds)

    img_array = tf.expand_dims(imgs[0], 0)
    predictions = model.predict(img_array)
    score = float(predictions[0][0])
    print(f"This image is {100 * (1 - score):.2f}% cat and {100 * score:.2f}% dog.")
    loss = history.history["loss"]
    assert loss[-1] < 0.5 * loss[0]
    assert a.shape == (32, 32, 3) and 0.0 <= score <= 1.0
    assert sorted(p.name for p in tmp_path.iterdir()) == [
        "save_at_1.keras", "save_at_2.keras", "save_at_3.keras"]
    reloaded = keras.models.load_model(str(tmp_path / "save_at_3.keras"))
    np.testing.assert_allclose(reloaded.predict(img_array), predictions, rtol=1e-4, atol=1e-6)
