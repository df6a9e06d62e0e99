"""Trains the convnet of Keras' mnist_transfer_cnn on digits 0-4 and saves it with model.save,
for examples/transfer_learning_mnist.py --base (the keras-io pattern: a base model saved by one
script, loaded by another with keras.models.load_model, frozen, and given a new head).

    python examples/mnist_base_model.py --data ../shared/data/mnist.npz --save mnist_base.keras
"""
import argparse
import time

import numpy as np

import pyengine as tf
from pyengine import keras
from pyengine.keras import layers

from _pictures import load_mnist, synthetic_digits

ap = argparse.ArgumentParser(description="train and save a digits-0-4 convnet")
ap.add_argument("--data", help="Keras-format mnist.npz (required unless --quick)")
ap.add_argument("--save", default="mnist_base.keras")
ap.add_argument("--epochs", type=int, default=3)
ap.add_argument("--quick", action="store_true")
ap.add_argument("--seed", type=int, default=0)
args = ap.parse_args()
tf.manual_seed(args.seed)
if args.data:
    (x_train, y_train), (x_test, y_test) = load_mnist(args.data)
elif args.quick:
    (x_train, y_train), (x_test, y_test) = synthetic_digits(300, 0), synthetic_digits(100, 1)
else:
    ap.error("--data is required unless --quick")
if args.quick:
    args.epochs = 1
low_train, low_test = y_train < 5, y_test < 5

inputs = keras.Input(shape=(28, 28, 1))
x = layers.Conv2D(32, 3, activation="relu", name="conv1")(inputs)
x = layers.Conv2D(32, 3, activation="relu", name="conv2")(x)
x = layers.MaxPooling2D(2, name="pool")(x)
x = layers.Dropout(0.25)(x)
features = layers.Flatten(name="features")(x)
x = layers.Dense(128, activation="relu")(features)
x = layers.Dropout(0.5)(x)
outputs = layers.Dense(5, activation="softmax")(x)
model = keras.Model(inputs, outputs, name="mnist_base")
model.compile(optimizer="adam", loss="sparse_categorical_crossentropy", metrics=["accuracy"])
t0 = time.perf_counter()
model.fit(x_train[low_train, ..., None], y_train[low_train], batch_size=128, epochs=args.epochs,
          verbose=2 if not args.quick else 0)
_, acc = model.evaluate(x_test[low_test, ..., None], y_test[low_test], verbose=0)
print(f"base model on digits 0-4: test accuracy {acc:.4f}, trained in "
      f"{time.perf_counter() - t0:.0f} s")
model.save(args.save)
print(f"saved {args.save}")
