"""keras-io's WGAN-GP (generative/wgan_gp.py) pattern, tiny and on synthetic images: a Keras
Model subclass whose train_step trains the critic with a gradient penalty taken by a GradientTape
inside another (ZeroPadding2D, strided 'same' Conv2D, LeakyReLU, Dropout in training mode,
Flatten, Dense), and a generator of Dense / BatchNormalization / UpSampling2D / Conv2D /
Cropping2D. Checks that fit runs, the penalty is positive and finite, and that the penalty's
gradient reaches the critic's kernels (its weights change differently with gp_weight)."""
import numpy as np

import pyengine as tf
from pyengine import keras
from pyengine.keras import layers

NOISE = 8


def critic():
    inp = layers.Input(shape=(12, 12, 1))
    x = layers.ZeroPadding2D((2, 2))(inp)
    for filters, drop in ((4, False), (8, True)):
        x = layers.Conv2D(filters, (3, 3), strides=(2, 2), padding="same")(x)
        x = layers.LeakyReLU(0.2)(x)
        if drop:
            x = layers.Dropout(0.3)(x)
    x = layers.Flatten()(x)
    return keras.models.Model(inp, layers.Dense(1)(x))


def generator():
    noise = layers.Input(shape=(NOISE,))
    x = layers.Dense(4 * 4 * 4, use_bias=False)(noise)
    x = layers.BatchNormalization()(x)
    x = layers.LeakyReLU(0.2)(x)
    x = layers.Reshape((4, 4, 4))(x)
    x = layers.UpSampling2D((2, 2))(x)
    x = layers.Conv2D(4, (3, 3), padding="same", use_bias=False)(x)
    x = layers.BatchNormalization()(x)
    x = layers.LeakyReLU(0.2)(x)
    x = layers.UpSampling2D((2, 2))(x)
    x = layers.Conv2D(1, (3, 3), padding="same", activation="tanh")(x)
    return keras.models.Model(noise, layers.Cropping2D((2, 2))(x))


class WGAN(keras.Model):
    def __init__(self, discriminator, generator, gp_weight):
        super().__init__()
        self.discriminator, self.generator, self.gp_weight = discriminator, generator, gp_weight
        self.gps = []

    def compile(self, d_optimizer, g_optimizer):
        super().compile()
        self.d_optimizer, self.g_optimizer = d_optimizer, g_optimizer

    def gradient_penalty(self, batch_size, real, fake):
        alpha = tf.random.normal([batch_size, 1, 1, 1], 0.0, 1.0)
        interpolated = real + alpha * (fake - real)
        with tf.GradientTape() as gp_tape:
            gp_tape.watch(interpolated)
            pred = self.discriminator(interpolated, training=True)
        grads = gp_tape.gradient(pred, [interpolated])[0]
        norm = tf.sqrt(tf.reduce_sum(tf.square(grads), axis=[1, 2, 3]))
        return tf.reduce_mean((norm - 1.0) ** 2)

    def train_step(self, real):
        batch_size = tf.shape(real)[0]
        z = tf.random.normal(shape=(batch_size, NOISE))
        with tf.GradientTape() as tape:
            fake = self.generator(z, training=True)
            d_cost = tf.reduce_mean(self.discriminator(fake, training=True)) - \
                tf.reduce_mean(self.discriminator(real, training=True))
            gp = self.gradient_penalty(batch_size, real, fake)
            d_loss = d_cost + gp * self.gp_weight
        grads = tape.gradient(d_loss, self.discriminator.trainable_variables)
        self.d_optimizer.apply_gradients(zip(grads, self.discriminator.trainable_variables))
        self.gps.append(float(gp))
        with tf.GradientTape() as tape:
            g_loss = -tf.reduce_mean(self.discriminator(self.generator(z, training=True),
                                                        training=True))
        grads = tape.gradient(g_loss, self.generator.trainable_variables)
        self.g_optimizer.apply_gradients(zip(grads, self.generator.trainable_variables))
        return {"d_loss": d_loss, "g_loss": g_loss}


def run(gp_weight):
    tf.manual_seed(0)
    d, g = critic(), generator()
    w0 = [w.numpy().copy() for w in d.trainable_weights]
    wgan = WGAN(d, g, gp_weight)
    wgan.compile(keras.optimizers.Adam(1e-3, beta_1=0.5, beta_2=0.9),
                 keras.optimizers.Adam(1e-3, beta_1=0.5, beta_2=0.9))
    images = np.random.default_rng(0).uniform(-1, 1, (16, 12, 12, 1)).astype("float32")
    hist = wgan.fit(images, batch_size=8, epochs=2, verbose=0)
    return wgan, hist, [w.numpy() - a for w, a in zip(d.trainable_weights, w0)]


def test_wgan_gp_trains_with_a_nested_tape_penalty():
    wgan, hist, moved = run(10.0)
    assert len(wgan.gps) == 4 and all(np.isfinite(wgan.gps)) and min(wgan.gps) > 0
    assert all(np.isfinite(hist.history[k]).all() for k in ("d_loss", "g_loss"))
    _, _, moved_without = run(0.0)
    # the first kernel's update differs once the penalty's gradient is added
    assert not np.allclose(moved[0], moved_without[0])
