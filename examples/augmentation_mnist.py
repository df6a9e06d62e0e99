"""Data augmentation with Keras preprocessing layers on a small MNIST training set: the same
convnet trained on 1,000 images with and without an augmentation stack (RandomRotation,
RandomZoom, RandomTranslation: digits must not be mirrored), both test accuracies printed.

    python examples/augmentation_mnist.py --data ../shared/data/mnist.npz
    python examples/augmentation_mnist.py --quick

Picture: augmentation_samples.png (one digit, many augmented copies).
"""
import argparse
import os
import time

import numpy as np

import pyengine as tf
from pyengine import keras
from pyengine.keras import layers

from _pictures import load_mnist, save_grid, synthetic_digits

ap = argparse.ArgumentParser(description="augmentation on 1,000 MNIST images")
ap.add_argument("--data", help="Keras-format mnist.npz (required unless --quick)")
ap.add_argument("--train-size", type=int, default=1000)
ap.add_argument("--epochs", type=int, default=40)
ap.add_argument("--quick", action="store_true")
ap.add_argument("--out", default=".")
ap.add_argument("--seed", type=int, default=0)
args = ap.parse_args()
os.makedirs(args.out, exist_ok=True)
if args.data:
    (x_train, y_train), (x_test, y_test) = load_mnist(args.data)
elif args.quick:
    (x_train, y_train), (x_test, y_test) = synthetic_digits(200, 0), synthetic_digits(100, 1)
else:
    ap.error("--data is required unless --quick")
if args.quick:
    args.epochs, args.train_size = 1, 100
rng = np.random.default_rng(args.seed)
pick = rng.permutation(len(x_train))[:args.train_size]
x_small, y_small = x_train[pick, ..., None], y_train[pick]
x_test = x_test[..., None]

augment = keras.Sequential([layers.RandomRotation(0.05), layers.RandomZoom(0.1),
                            layers.RandomTranslation(0.1, 0.1)], name="augmentation")


def convnet(with_augmentation):
    inputs = keras.Input(shape=(28, 28, 1))
    x = augment(inputs) if with_augmentation else inputs
    x = layers.Conv2D(32, 3, activation="relu")(x)
    x = layers.MaxPooling2D(2)(x)
    x = layers.Conv2D(64, 3, activation="relu")(x)
    x = layers.MaxPooling2D(2)(x)
    x = layers.Flatten()(x)
    x = layers.Dropout(0.5)(x)
    outputs = layers.Dense(10, activation="softmax")(x)
    return keras.Model(inputs, outputs)


results = {}
for with_aug in (False, True):
    tf.manual_seed(args.seed)
    model = convnet(with_aug)
    model.compile(optimizer="adam", loss="sparse_categorical_crossentropy", metrics=["accuracy"])
    t0 = time.perf_counter()
    model.fit(x_small, y_small, batch_size=64, epochs=args.epochs, verbose=0)
    seconds = time.perf_counter() - t0
    results[with_aug] = model.evaluate(x_test, y_test, verbose=0)[1]
    print(f"{'with' if with_aug else 'without':>7} augmentation: test accuracy "
          f"{results[with_aug]:.4f} ({args.epochs} epochs on {len(x_small)} images, "
          f"{seconds:.0f} s)")
print(f"augmentation {'helps' if results[True] > results[False] else 'does not help'}: "
      f"{results[False]:.4f} -> {results[True]:.4f}")
copies = np.repeat(x_small[:1], 30, axis=0)
save_grid(augment(copies, training=True).numpy()[..., 0],
          os.path.join(args.out, "augmentation_samples.png"), title="augmented copies of a digit")
