"""keras-io "Image classification with Vision Transformer" (Keras 3 version): data
augmentation, Patches (keras.ops.image.extract_patches), PatchEncoder, MultiHeadAttention
blocks, AdamW, top-k metric, ModelCheckpoint; verbatim but for the imports, with tiny sizes and
synthetic images (the tutorial uses CIFAR-100): the loss falls. Also extract_patches itself."""
import numpy as np
import pytest

import pyengine as pe
from pyengine import keras
from pyengine.keras import layers, ops

num_classes = 3
input_shape = (16, 16, 3)
_rng = np.random.default_rng(0)
x_train = _rng.random((48,) + input_shape).astype("float32")
y_train = _rng.integers(0, num_classes, (48, 1))
x_train[np.arange(48), :, :, y_train[:, 0]] += 1.0  # learnable: the class colour is brighter

learning_rate = 0.001
weight_decay = 0.0001
batch_size = 16
num_epochs = 12
image_size = 16
patch_size = 4
num_patches = (image_size // patch_size) ** 2
projection_dim = 16
num_heads = 2
transformer_units = [projection_dim * 2, projection_dim]
transformer_layers = 2
mlp_head_units = [32, 16]

data_augmentation = keras.Sequential(
    [
        layers.Normalization(),
        layers.Resizing(image_size, image_size),
        layers.RandomFlip("horizontal"),
        layers.RandomRotation(factor=0.02),
        layers.RandomZoom(height_factor=0.2, width_factor=0.2),
    ],
    name="data_augmentation",
)
data_augmentation.layers[0].adapt(x_train)

def mlp(x, hidden_units, dropout_rate):
    for units in hidden_units:
        x = layers.Dense(units, activation=keras.activations.gelu)(x)
        x = layers.Dropout(dropout_rate)(x)
    return x

class Patches(layers.Layer):
    def __init__(self, patch_size):
        super().__init__()
        self.patch_size = patch_size

    def call(self, images):
        input_shape = ops.shape(images)
        batch_size = input_shape[0]
        height = input_shape[1]
        width = input_shape[2]
        channels = input_shape[3]
        num_patches_h = height // self.patch_size
        num_patches_w = width // self.patch_size
        patches = keras.ops.image.extract_patches(images, size=self.patch_size)
        patches = ops.reshape(
            patches,
            (
                batch_size,
                num_patches_h * num_patches_w,
                self.patch_size * self.patch_size * channels,
            ),
        )
        return patches

    def get_config(self):
        config = super().get_config()
        config.update({"patch_size": self.patch_size})
        return config

class PatchEncoder(layers.Layer):
    def __init__(self, num_patches, projection_dim):
        super().__init__()
        self.num_patches = num_patches
        self.projection = layers.Dense(units=projection_dim)
        self.position_embedding = layers.Embedding(
            input_dim=num_patches, output_dim=projection_dim
        )

    def call(self, patch):
        positions = ops.expand_dims(
            ops.arange(start=0, stop=self.num_patches, step=1), axis=0
        )
        projected_patches = self.projection(patch)
        encoded = projected_patches + self.position_embedding(positions)
        return encoded

    def get_config(self):
        config = super().get_config()
        config.update({"num_patches": self.num_patches})
        return config

def create_vit_classifier():
    inputs = keras.Input(shape=input_shape)
    augmented = data_augmentation(inputs)
    patches = Patches(patch_size)(augmented)
    encoded_patches = PatchEncoder(num_patches, projection_dim)(patches)
    for _ in range(transformer_layers):
        x1 = layers.LayerNormalization(epsilon=1e-6)(encoded_patches)
        attention_output = layers.MultiHeadAttention(
            num_heads=num_heads, key_dim=projection_dim, dropout=0.1
        )(x1, x1)
        x2 = layers.Add()([attention_output, encoded_patches])
        x3 = layers.LayerNormalization(epsilon=1e-6)(x2)
        x3 = mlp(x3, hidden_units=transformer_units, dropout_rate=0.1)
        encoded_patches = layers.Add()([x3, x2])
    representation = layers.LayerNormalization(epsilon=1e-6)(encoded_patches)
    representation = layers.Flatten()(representation)
    representation = layers.Dropout(0.5)(representation)
    features = mlp(representation, hidden_units=mlp_head_units, dropout_rate=0.5)
    logits = layers.Dense(num_classes)(features)
    model = keras.Model(inputs=inputs, outputs=logits)
    return model

def run_experiment(model, checkpoint_filepath):
    optimizer = keras.optimizers.AdamW(learning_rate=learning_rate, weight_decay=weight_decay)
    model.compile(
        optimizer=optimizer,
        loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True),
        metrics=[
            keras.metrics.SparseCategoricalAccuracy(name="accuracy"),
            keras.metrics.SparseTopKCategoricalAccuracy(5, name="top-5-accuracy"),
        ],
    )
    checkpoint_callback = keras.callbacks.ModelCheckpoint(
        checkpoint_filepath, monitor="val_accuracy", save_best_only=True, save_weights_only=True,
    )
    history = model.fit(x=x_train, y=y_train, batch_size=batch_size, epochs=num_epochs,
                        validation_split=0.1, callbacks=[checkpoint_callback], verbose=0)
    model.load_weights(checkpoint_filepath)
    _, accuracy, top_5_accuracy = model.evaluate(x_train, y_train, verbose=0)
    return history



def test_keras_io_vision_transformer_learns(tmp_path):
    pe.manual_seed(0)
    vit_classifier = create_vit_classifier()
    history = run_experiment(vit_classifier, str(tmp_path / "checkpoint.weights.h5"))
    loss = history.history["loss"]
    assert np.mean(loss[-3:]) < 0.7 * np.mean(loss[:2]), loss


def test_extract_patches():
    x = np.arange(2 * 5 * 6 * 2, dtype=np.float32).reshape(2, 5, 6, 2)
    p = ops.image.extract_patches(pe.tensor(x), 2).numpy()
    ref = np.stack([np.stack([x[:, i * 2:i * 2 + 2, j * 2:j * 2 + 2, :].reshape(2, -1)
                              for j in range(3)], 1) for i in range(2)], 1)
    np.testing.assert_array_equal(p, ref)
    np.testing.assert_array_equal(ops.image.extract_patches(pe.tensor(x[0]), (2, 3)).numpy(),
                                  ops.image.extract_patches(pe.tensor(x), (2, 3)).numpy()[0])
    with pytest.raises(ValueError, match="non-overlapping"):
        ops.image.extract_patches(pe.tensor(x), 2, strides=1)
    with pytest.raises(ValueError, match="larger than the image"):
        ops.image.extract_patches(pe.tensor(x), 8)
    inp = keras.Input(shape=(8, 8, 3))
    assert ops.image.extract_patches(inp, 4).shape == (None, 2, 2, 48)
