"""Original test of the Keras pattern of keras-io "Image classification with Vision
Transformer" (Keras 3 version): an augmentation Sequential (adapted Normalization, Resizing,
RandomFlip / RandomRotation / RandomZoom) in the model, a Layer that cuts patches with
keras.ops.image.extract_patches, a patch projection plus learned position Embedding, pre-norm
MultiHeadAttention(dropout=) blocks with layers.Add, AdamW, SparseTopKCategoricalAccuracy, a
weights-only ModelCheckpoint on val_accuracy; also extract_patches itself. No program text of
the example is used."""
import numpy as np
import pytest

import pyengine as pe
from pyengine import keras
from pyengine.keras import layers, ops


class _PatchTokens(layers.Layer):
    """(B, H, W, C) images -> (B, patches, width) tokens with a learned position per patch."""

    def __init__(self, cut, count, width):
        super().__init__()
        self.cut, self.count = cut, count
        self.lift = layers.Dense(width)
        self.slot = layers.Embedding(count, width)

    def call(self, images):
        grid = ops.image.extract_patches(images, size=self.cut)
        b = ops.shape(images)[0]
        flat = ops.reshape(grid, (b, self.count, -1))
        return self.lift(flat) + self.slot(ops.expand_dims(ops.arange(0, self.count, 1), 0))


def _vit(images, classes, side=12, cut=4, width=12, depth=2):
    prep = keras.Sequential([layers.Normalization(), layers.Resizing(side, side),
                             layers.RandomFlip("horizontal"), layers.RandomRotation(0.02),
                             layers.RandomZoom(0.1, 0.1)])
    prep.layers[0].adapt(images)
    inp = keras.Input(images.shape[1:])
    tok = _PatchTokens(cut, (side // cut) ** 2, width)(prep(inp))
    for _ in range(depth):
        normed = layers.LayerNormalization(epsilon=1e-6)(tok)
        tok = layers.Add()([tok, layers.MultiHeadAttention(2, width // 2, dropout=0.1)(
            normed, normed)])
        wide = layers.Dense(2 * width, activation=keras.activations.gelu)(
            layers.LayerNormalization(epsilon=1e-6)(tok))
        tok = layers.Add()([tok, layers.Dense(width)(layers.Dropout(0.1)(wide))])
    pooled = layers.GlobalAveragePooling1D()(layers.LayerNormalization(epsilon=1e-6)(tok))
    return keras.Model(inp, layers.Dense(classes)(pooled))


def test_patch_transformer_classifier_learns_and_checkpoints(tmp_path):
    pe.manual_seed(5)
    rng = np.random.default_rng(5)
    pics = rng.random((60, 12, 12, 3)).astype("float32")
    tags = rng.integers(0, 3, (60, 1))
    pics[np.arange(60), :6, :, tags[:, 0]] += 1.2  # the class colour fills the top half
    net = _vit(pics, 3)
    net.compile(optimizer=keras.optimizers.AdamW(learning_rate=3e-3, weight_decay=1e-4),
                loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True),
                metrics=[keras.metrics.SparseCategoricalAccuracy(name="acc"),
                         keras.metrics.SparseTopKCategoricalAccuracy(2, name="top2")])
    best = str(tmp_path / "vit.weights.h5")
    hist = net.fit(pics, tags, batch_size=12, epochs=10, validation_split=0.2, verbose=0,
                   callbacks=[keras.callbacks.ModelCheckpoint(
                       best, monitor="val_acc", save_best_only=True, save_weights_only=True)])
    curve = hist.history["loss"]
    assert np.mean(curve[-3:]) < 0.7 * np.mean(curve[:2]), curve
    net.load_weights(best)
    loss, acc, top2 = net.evaluate(pics, tags, verbose=0)
    assert 0.0 <= acc <= top2 <= 1.0 and np.isfinite(loss)


def test_extract_patches():
    x = np.arange(2 * 5 * 6 * 2, dtype=np.float32).reshape(2, 5, 6, 2)
    p = ops.image.extract_patches(pe.tensor(x), 2).numpy()
    ref = np.stack([np.stack([x[:, i * 2:i * 2 + 2, j * 2:j * 2 + 2, :].reshape(2, -1)
                              for j in range(3)], 1) for i in range(2)], 1)
    np.testing.assert_array_equal(p, ref)
    np.testing.assert_array_equal(ops.image.extract_patches(pe.tensor(x[0]), (2, 3)).numpy(),
                                  ops.image.extract_patches(pe.tensor(x), (2, 3)).numpy()[0])
    assert ops.image.extract_patches(pe.tensor(x), 2, strides=1).shape == (2, 4, 5, 8)
    with pytest.raises(ValueError, match="padding"):
        ops.image.extract_patches(pe.tensor(x), 2, padding="causal")
    with pytest.raises(ValueError, match="larger than the image"):
        ops.image.extract_patches(pe.tensor(x), 8)
    inp = keras.Input(shape=(8, 8, 3))
    assert ops.image.extract_patches(inp, 4).shape == (None, 2, 2, 48)
