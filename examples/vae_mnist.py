"""The keras-io variational autoencoder (fchollet, "Variational AutoEncoder") on pyengine: a
convolutional encoder to a 2-D latent space, a Conv2DTranspose decoder, and a subclassed
keras.Model whose custom train_step takes gradients with tf.GradientTape. Only the imports and
the data loading changed.

    python examples/vae_mnist.py --data ../shared/data/mnist.npz
    python examples/vae_mnist.py --quick

Prints the losses per epoch and the test reconstruction loss; pictures: vae_latent_map.png (the
decoder over a grid of the latent plane) and vae_latent_classes.png (test digits' latent means).
"""
import argparse
import os
import time

import numpy as np

import pyengine as tf                  # was: import tensorflow as tf
from pyengine import keras             # was: import keras
from pyengine.keras import layers, ops

from _pictures import load_mnist, save_grid, synthetic_digits

ap = argparse.ArgumentParser(description="keras-io VAE on MNIST")
ap.add_argument("--data", help="Keras-format mnist.npz (required unless --quick)")
ap.add_argument("--epochs", type=int, default=10)
ap.add_argument("--quick", action="store_true")
ap.add_argument("--out", default=".")
ap.add_argument("--seed", type=int, default=0)
args = ap.parse_args()
tf.manual_seed(args.seed)
os.makedirs(args.out, exist_ok=True)


class Sampling(layers.Layer):
    """Uses (z_mean, z_log_var) to sample z, the vector encoding a digit."""

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self.seed_generator = keras.random.SeedGenerator(1337)

    def call(self, inputs):
        z_mean, z_log_var = inputs
        batch = ops.shape(z_mean)[0]
        dim = ops.shape(z_mean)[1]
        epsilon = keras.random.normal(shape=(batch, dim), seed=self.seed_generator)
        return z_mean + ops.exp(0.5 * z_log_var) * epsilon


latent_dim = 2
encoder_inputs = keras.Input(shape=(28, 28, 1))
x = layers.Conv2D(32, 3, activation="relu", strides=2, padding="same")(encoder_inputs)
x = layers.Conv2D(64, 3, activation="relu", strides=2, padding="same")(x)
x = layers.Flatten()(x)
x = layers.Dense(16, activation="relu")(x)
z_mean = layers.Dense(latent_dim, name="z_mean")(x)
z_log_var = layers.Dense(latent_dim, name="z_log_var")(x)
z = Sampling()([z_mean, z_log_var])
encoder = keras.Model(encoder_inputs, [z_mean, z_log_var, z], name="encoder")

latent_inputs = keras.Input(shape=(latent_dim,))
x = layers.Dense(7 * 7 * 64, activation="relu")(latent_inputs)
x = layers.Reshape((7, 7, 64))(x)
x = layers.Conv2DTranspose(64, 3, activation="relu", strides=2, padding="same")(x)
x = layers.Conv2DTranspose(32, 3, activation="relu", strides=2, padding="same")(x)
decoder_outputs = layers.Conv2DTranspose(1, 3, activation="sigmoid", padding="same")(x)
decoder = keras.Model(latent_inputs, decoder_outputs, name="decoder")


class VAE(keras.Model):
    def __init__(self, encoder, decoder, **kwargs):
        super().__init__(**kwargs)
        self.encoder = encoder
        self.decoder = decoder
        self.total_loss_tracker = keras.metrics.Mean(name="total_loss")
        self.reconstruction_loss_tracker = keras.metrics.Mean(name="reconstruction_loss")
        self.kl_loss_tracker = keras.metrics.Mean(name="kl_loss")

    @property
    def metrics(self):
        return [self.total_loss_tracker, self.reconstruction_loss_tracker, self.kl_loss_tracker]

    def train_step(self, data):
        with tf.GradientTape() as tape:
            z_mean, z_log_var, z = self.encoder(data)
            reconstruction = self.decoder(z)
            reconstruction_loss = ops.mean(ops.sum(
                keras.losses.binary_crossentropy(data, reconstruction), axis=(1, 2)))
            kl_loss = -0.5 * (1 + z_log_var - ops.square(z_mean) - ops.exp(z_log_var))
            kl_loss = ops.mean(ops.sum(kl_loss, axis=1))
            total_loss = reconstruction_loss + kl_loss
        grads = tape.gradient(total_loss, self.trainable_weights)
        self.optimizer.apply_gradients(zip(grads, self.trainable_weights))
        self.total_loss_tracker.update_state(total_loss)
        self.reconstruction_loss_tracker.update_state(reconstruction_loss)
        self.kl_loss_tracker.update_state(kl_loss)
        return {"loss": self.total_loss_tracker.result(),
                "reconstruction_loss": self.reconstruction_loss_tracker.result(),
                "kl_loss": self.kl_loss_tracker.result()}


if args.data:
    (x_train, _), (x_test, y_test) = load_mnist(args.data)
elif args.quick:
    x_train, _ = synthetic_digits(256, args.seed)
    x_test, y_test = synthetic_digits(128, args.seed + 1)
else:
    ap.error("--data is required unless --quick")
if args.quick:
    x_train, x_test, y_test, args.epochs = x_train[:128], x_test[:64], y_test[:64], 1
mnist_digits = np.expand_dims(x_train, -1).astype("float32")  # load_mnist scaled to [0, 1]

vae = VAE(encoder, decoder)
vae.compile(optimizer=keras.optimizers.Adam())
t0 = time.perf_counter()
vae.fit(mnist_digits, epochs=args.epochs, batch_size=128, verbose=2 if not args.quick else 0)
train_time = time.perf_counter() - t0

test = np.expand_dims(x_test, -1)
means, _, _ = encoder.predict(test, batch_size=500, verbose=0)
recon = decoder.predict(means, batch_size=500, verbose=0)
eps = 1e-7
bce = -(test * np.log(recon + eps) + (1 - test) * np.log(1 - recon + eps)).sum((1, 2, 3)).mean()
print(f"trained {args.epochs} epochs in {train_time:.0f} s; test reconstruction loss "
      f"(binary cross-entropy summed over pixels, decoding the latent mean) {bce:.1f}")

n, scale = 15, 1.0  # the decoder over a grid of the latent plane, as plot_latent_space does
grid = np.array([[xi, yi] for yi in np.linspace(scale, -scale, n)
                 for xi in np.linspace(-scale, scale, n)], np.float32)
save_grid(decoder.predict(grid, verbose=0)[..., 0], os.path.join(args.out, "vae_latent_map.png"),
          ncols=n, title="decoder over the latent plane [-1, 1]^2")
try:
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    plt.figure(figsize=(8, 7))
    plt.scatter(means[:, 0], means[:, 1], c=y_test, cmap="tab10", s=2)
    plt.colorbar()
    plt.xlabel("z[0]")
    plt.ylabel("z[1]")
    path = os.path.join(args.out, "vae_latent_classes.png")
    plt.savefig(path, dpi=80)
    print(f"wrote {path}")
except ImportError:
    print("matplotlib is not installed (pip install pyengine[plot]): vae_latent_classes.png "
          "not written")
