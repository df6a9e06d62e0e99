"""Transfer learning on MNIST with the Keras API of pyengine, two ways:

1. the protocol of Keras' classic mnist_transfer_cnn example: train a convnet on digits 0-4,
   freeze its feature layers (`layer.trainable = False`), train a new classifier head on digits
   5-9; the frozen weights are checked bitwise unchanged, and the time is compared with training
   the same network on 5-9 from scratch;
2. (--base PATH) the keras-io pattern: a base model saved by another script
   (examples/mnist_base_model.py), loaded with keras.models.load_model, frozen with
   `base_model.trainable = False` and called with `training=False` under a new head.

    python examples/transfer_learning_mnist.py --data ../shared/data/mnist.npz
    python examples/mnist_base_model.py --data ../shared/data/mnist.npz --save base.keras
    python examples/transfer_learning_mnist.py --data ../shared/data/mnist.npz --base base.keras
"""
import argparse
import time

import numpy as np

import pyengine as tf
from pyengine import keras
from pyengine.keras import layers

from _pictures import load_mnist, synthetic_digits

ap = argparse.ArgumentParser(description="transfer learning on MNIST")
ap.add_argument("--data", help="Keras-format mnist.npz (required unless --quick)")
ap.add_argument("--base", help="a base model saved by examples/mnist_base_model.py")
ap.add_argument("--epochs", type=int, default=5)
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
x_train, x_test = x_train[..., None], x_test[..., None]
lt, lv = y_train < 5, y_test < 5
ht, hv = ~lt, ~lv
verbose = 2 if not args.quick else 0


def train(model, x, y, xt, yt, epochs):
    model.compile(optimizer="adam", loss="sparse_categorical_crossentropy", metrics=["accuracy"])
    t0 = time.perf_counter()
    model.fit(x, y, batch_size=128, epochs=epochs, verbose=verbose)
    seconds = time.perf_counter() - t0
    return model.evaluate(xt, yt, verbose=0)[1], seconds


def feature_layers():  # mnist_transfer_cnn's feature extractor
    return [layers.Conv2D(32, 3, padding="valid", input_shape=(28, 28, 1)),
            layers.Activation("relu"), layers.Conv2D(32, 3), layers.Activation("relu"),
            layers.MaxPooling2D(pool_size=2), layers.Dropout(0.25), layers.Flatten()]


def classification_layers():
    return [layers.Dense(128), layers.Activation("relu"), layers.Dropout(0.5), layers.Dense(5),
            layers.Activation("softmax")]


if not args.base:
    features = feature_layers()
    model = keras.Sequential(features + classification_layers())
    acc04, t04 = train(model, x_train[lt], y_train[lt], x_test[lv], y_test[lv], args.epochs)
    print(f"digits 0-4, full network: test accuracy {acc04:.4f} ({t04:.0f} s)")
    for layer in features:
        layer.trainable = False
    frozen = [w.numpy().copy() for layer in features for w in layer.weights]
    head = classification_layers()
    model = keras.Sequential(features + head)
    acc59, t59 = train(model, x_train[ht], y_train[ht] - 5, x_test[hv], y_test[hv] - 5,
                       args.epochs)
    unchanged = all(np.array_equal(a, w.numpy()) for a, w in
                    zip(frozen, [w for layer in features for w in layer.weights]))
    print(f"digits 5-9, frozen features + new head: test accuracy {acc59:.4f} ({t59:.0f} s); "
          f"frozen weights bitwise unchanged: {unchanged}")
    tf.manual_seed(args.seed + 1)
    scratch = keras.Sequential(feature_layers() + classification_layers())
    accs, ts = train(scratch, x_train[ht], y_train[ht] - 5, x_test[hv], y_test[hv] - 5,
                     args.epochs)
    print(f"digits 5-9 from scratch: test accuracy {accs:.4f} ({ts:.0f} s); the transfer run "
          f"took {t59 / ts:.2f}x the time")
else:
    base_model = keras.models.load_model(args.base)
    features = keras.Model(base_model.inputs, base_model.get_layer("features").output,
                           name="base_features")
    features.trainable = False
    before = [w.numpy().copy() for w in features.weights]
    inputs = keras.Input(shape=(28, 28, 1))
    x = features(inputs, training=False)
    x = layers.Dense(128, activation="relu")(x)
    x = layers.Dropout(0.5)(x)
    outputs = layers.Dense(5, activation="softmax")(x)
    model = keras.Model(inputs, outputs)
    acc, t = train(model, x_train[ht], y_train[ht] - 5, x_test[hv], y_test[hv] - 5, args.epochs)
    unchanged = all(np.array_equal(a, w.numpy()) for a, w in zip(before, features.weights))
    print(f"loaded base {args.base}, frozen, new head on digits 5-9: test accuracy {acc:.4f} "
          f"({t:.0f} s); base weights bitwise unchanged: {unchanged}")
