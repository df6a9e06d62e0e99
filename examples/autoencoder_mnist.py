"""Autoencoders on MNIST with the Keras API of pyengine:

1. a deep dense autoencoder with a 30-unit code (784-1000-500-250-30, Hinton & Salakhutdinov
   2006's shape), whose test reconstruction error is compared with PCA's on 30 components,
   computed in this script: squared error summed over the 784 pixels, averaged over test images;
2. a convolutional denoising autoencoder (keras-io "Convolutional autoencoder for image
   denoising": Conv2D / MaxPooling2D encoder, Conv2DTranspose decoder, functional API).

    python examples/autoencoder_mnist.py --data ../shared/data/mnist.npz
    python examples/autoencoder_mnist.py --quick            # seconds, for the tests

Pictures: autoencoder_dense.png (originals / PCA / autoencoder) and autoencoder_denoise.png
(originals / noisy inputs / reconstructions).
"""
import argparse
import os
import time

import numpy as np

import pyengine as tf                     # was: import tensorflow as tf
from pyengine import keras                # was: from tensorflow import keras
from pyengine.keras import layers

from _pictures import load_mnist, save_grid, synthetic_digits

ap = argparse.ArgumentParser(description="dense and denoising autoencoders on MNIST")
ap.add_argument("--data", help="Keras-format mnist.npz (required unless --quick)")
ap.add_argument("--epochs", type=int, default=20, help="dense autoencoder epochs")
ap.add_argument("--denoise-epochs", type=int, default=3)
ap.add_argument("--quick", action="store_true", help="tiny run (tests)")
ap.add_argument("--out", default=".")
ap.add_argument("--seed", type=int, default=0)
args = ap.parse_args()
tf.manual_seed(args.seed)
os.makedirs(args.out, exist_ok=True)
if args.data:
    (x_train, _), (x_test, _) = load_mnist(args.data)
elif args.quick:
    x_train, _ = synthetic_digits(600, args.seed)
    x_test, _ = synthetic_digits(200, args.seed + 1)
else:
    ap.error("--data is required unless --quick")
if args.quick:
    x_train, x_test, args.epochs, args.denoise_epochs = x_train[:600], x_test[:200], 1, 1

# ---- 1. deep dense autoencoder vs PCA --------------------------------------------------------
flat_train, flat_test = x_train.reshape(len(x_train), 784), x_test.reshape(len(x_test), 784)
mean = flat_train.mean(0)
_, _, vt = np.linalg.svd(flat_train - mean, full_matrices=False)
basis = vt[:30]
pca_rec = (flat_test - mean) @ basis.T @ basis + mean
pca_err = float(((flat_test - pca_rec) ** 2).sum(1).mean())

inputs = keras.Input(shape=(784,))
h = inputs
for units in (1000, 500, 250):
    h = layers.Dense(units, activation="relu")(h)
code = layers.Dense(30, name="code")(h)
h = code
for units in (250, 500, 1000):
    h = layers.Dense(units, activation="relu")(h)
outputs = layers.Dense(784, activation="sigmoid")(h)
autoencoder = keras.Model(inputs, outputs, name="deep_autoencoder")
autoencoder.compile(optimizer=keras.optimizers.Adam(1e-3), loss="binary_crossentropy")
t0 = time.perf_counter()
autoencoder.fit(flat_train, flat_train, epochs=args.epochs, batch_size=256, shuffle=True,
                verbose=2 if not args.quick else 0)
dense_time = time.perf_counter() - t0
ae_rec = autoencoder.predict(flat_test, batch_size=1000, verbose=0)
ae_err = float(((flat_test - ae_rec) ** 2).sum(1).mean())
print(f"dense autoencoder 784-1000-500-250-30: {args.epochs} epochs in {dense_time:.0f} s")
print(f"test squared error per image: autoencoder {ae_err:.2f}, PCA-30 {pca_err:.2f} "
      f"({'autoencoder better' if ae_err < pca_err else 'PCA better'})")
save_grid(np.concatenate([x_test[:10], pca_rec[:10].reshape(-1, 28, 28),
                          ae_rec[:10].reshape(-1, 28, 28)]),
          os.path.join(args.out, "autoencoder_dense.png"),
          title="originals / PCA-30 / autoencoder-30")

# ---- 2. convolutional denoising autoencoder --------------------------------------------------
def noise(array, factor=0.4):
    rng = np.random.default_rng(args.seed)
    return np.clip(array + factor * rng.normal(size=array.shape), 0.0, 1.0).astype(np.float32)


train, test = x_train[..., None], x_test[..., None]
if args.quick:
    train, test = train[:256], test[:64]
noisy_train, noisy_test = noise(train), noise(test)
inputs = layers.Input(shape=(28, 28, 1))
x = layers.Conv2D(32, (3, 3), activation="relu", padding="same")(inputs)
x = layers.MaxPooling2D((2, 2), padding="same")(x)
x = layers.Conv2D(32, (3, 3), activation="relu", padding="same")(x)
x = layers.MaxPooling2D((2, 2), padding="same")(x)
x = layers.Conv2DTranspose(32, (3, 3), strides=2, activation="relu", padding="same")(x)
x = layers.Conv2DTranspose(32, (3, 3), strides=2, activation="relu", padding="same")(x)
x = layers.Conv2D(1, (3, 3), activation="sigmoid", padding="same")(x)
denoiser = keras.Model(inputs, x, name="denoiser")
denoiser.compile(optimizer="adam", loss="binary_crossentropy")
t0 = time.perf_counter()
denoiser.fit(noisy_train, train, epochs=args.denoise_epochs, batch_size=128, shuffle=True,
             validation_data=(noisy_test, test), verbose=2 if not args.quick else 0)
denoise_time = time.perf_counter() - t0
clean = denoiser.predict(noisy_test, batch_size=500, verbose=0)
noisy_err = float(((noisy_test - test) ** 2).sum((1, 2, 3)).mean())
clean_err = float(((clean - test) ** 2).sum((1, 2, 3)).mean())
print(f"denoising autoencoder: {args.denoise_epochs} epochs in {denoise_time:.0f} s; squared "
      f"error per image to the clean test images: noisy {noisy_err:.2f}, denoised {clean_err:.2f}")
save_grid(np.concatenate([test[:10], noisy_test[:10], clean[:10]]),
          os.path.join(args.out, "autoencoder_denoise.png"),
          title="originals / noisy inputs / reconstructions")
