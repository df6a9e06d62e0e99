"""An MLP GAN on MNIST written as a Keras model with a custom train_step (the keras-io pattern
"Customizing what happens in fit(): GAN"), on pyengine: two optimizers, tf.GradientTape per
network, metric objects tracked through the `metrics` property.

    python examples/gan_mnist_keras.py --data ../shared/data/mnist.npz
    python examples/gan_mnist_keras.py --quick

The networks are the classic MLP GAN (G with LeakyReLU 0.2 and, as in eriklindernoren's Keras
GAN, BatchNormalization(momentum=0.8); D 512-256 with LeakyReLU 0.2 and Dropout), Adam 2e-4 with
beta1 0.5, held for the first half of the run and then decayed linearly to 0 (as CycleGAN does;
a keras.optimizers.schedules object). Additions, each measured in docs/image.md:
- the generator is twice the classic width (512-1024-1024, --g-width 2);
- D ends in a minibatch-discrimination layer (Salimans et al. 2016, a custom Keras layer below)
  and sees the real and the generated batch separately, which spreads the samples over the
  digits; its dropout is 0.1 (keras-io's 0.3 measured lower);
- an InfoGAN code (Chen et al. 2016, --info 1): G gets one of 10 categories (one-hot) beside the
  noise, and a second head on D's features (Q) learns to tell which category made an image while
  G learns to make it tellable. No labels are used; G ends up drawing one kind of digit per
  category, so fewer samples fall between two digits;
- the generator that is sampled is an exponential moving average of the trained one's weights
  (decay 0.999, about the last epoch's steps: Yazici et al. 2019, "The unusual effectiveness of
  averaging in GAN training"), kept by train_step in a clone of the generator; it samples with
  batch statistics (training=True).

Measured quality: a classifier trained in this script on the real digits labels 1,000 generated
samples after each epoch (of the averaged generator and, for comparison, of the trained one: share
with confidence above 0.9; at the end the share of each digit).
Pictures: a sample grid per epoch (gan_keras_epoch_N.png).
"""
import argparse
import os
import time

import numpy as np

import pyengine as tf                 # was: import tensorflow as tf
from pyengine import keras            # was: import keras
from pyengine.keras import layers, ops

from _gan_judge import epoch_line, report, train_judge
from _pictures import load_mnist, save_grid, synthetic_digits

ap = argparse.ArgumentParser(description="MLP GAN with a custom train_step")
ap.add_argument("--data", help="Keras-format mnist.npz (required unless --quick)")
ap.add_argument("--epochs", type=int, default=11)
ap.add_argument("--batch-size", type=int, default=64)
ap.add_argument("--ema", type=float, default=0.999,
                help="decay of the generator's weight average that is sampled (0: the last weights)")
ap.add_argument("--decay-from", type=float, default=0.5,
                help="share of the run after which the learning rates fall linearly to 0 (1: never)")
ap.add_argument("--lr-d", type=float, default=2e-4, help="the discriminator's Adam learning rate")
ap.add_argument("--lr-g", type=float, default=2e-4, help="the generator's Adam learning rate")
ap.add_argument("--loss", choices=("bce", "ls"), default="bce",
                help="bce: binary cross-entropy on D's logit; ls: least squares (LSGAN, Mao et al. 2017)")
ap.add_argument("--mbdisc", type=int, default=50,
                help="kernels of D's minibatch-discrimination layer (Salimans et al. 2016; 0: none)")
ap.add_argument("--dropout", type=float, default=0.1, help="D's dropout rate (keras-io: 0.3)")
ap.add_argument("--g-width", type=int, default=2,
                help="the generator's first two layers are 256 and 512 units times this")
ap.add_argument("--info", type=float, default=1.0,
                help="weight of the InfoGAN code loss (Chen et al. 2016; 0: a plain GAN whose "
                     "generator ignores the code)")
ap.add_argument("--quick", action="store_true")
ap.add_argument("--out", default=".")
ap.add_argument("--seed", type=int, default=0)
args = ap.parse_args()
tf.manual_seed(args.seed)
os.makedirs(args.out, exist_ok=True)
if args.data:
    (x_train, y_train), test = load_mnist(args.data)
elif args.quick:
    x_train, y_train = synthetic_digits(256, args.seed)
    test = synthetic_digits(128, args.seed + 1)
else:
    ap.error("--data is required unless --quick")
if args.quick:
    x_train, y_train, args.epochs = x_train[:256], y_train[:256], 1
    test = (test[0][:128], test[1][:128])
t_start, cpu_start = time.perf_counter(), time.process_time()
# The judge first (a small convnet on the real digits), so that every epoch is scored.
judge = train_judge(x_train, y_train, args.seed, epochs=1 if args.quick else 3, test=test)
tf.manual_seed(args.seed)
latent_dim = 64
CODES = 10  # the InfoGAN code: one of 10 categories, drawn uniformly, beside the noise

generator = keras.Sequential([
    keras.Input(shape=(latent_dim + CODES,)),
    layers.Dense(256 * args.g_width), layers.LeakyReLU(negative_slope=0.2),
    layers.BatchNormalization(momentum=0.8),
    layers.Dense(512 * args.g_width), layers.LeakyReLU(negative_slope=0.2),
    layers.BatchNormalization(momentum=0.8),
    layers.Dense(1024), layers.LeakyReLU(negative_slope=0.2),
    layers.BatchNormalization(momentum=0.8),
    layers.Dense(28 * 28, activation="tanh"), layers.Reshape((28, 28, 1))], name="generator")


@keras.saving.register_keras_serializable(package="examples")
class MinibatchDiscrimination(layers.Layer):
    """Salimans et al. 2016 ("Improved techniques for training GANs"), section 3.2: each sample's
    features f (A,) are projected to B kernels of C values, M = f T (B, C); for kernel b the
    sample gets o_b = sum over the other samples j of exp(-||M_b - M_jb||_1), appended to f. A
    batch of look-alike fakes has large o, which D learns to reject: the generator is pushed to
    spread over all digits. D must see real and generated images in separate batches."""

    def __init__(self, num_kernels=50, kernel_dim=5, **kwargs):
        super().__init__(**kwargs)
        self.num_kernels, self.kernel_dim = num_kernels, kernel_dim

    def build(self, input_shape):
        self.kernel = self.add_weight(
            shape=(input_shape[-1], self.num_kernels * self.kernel_dim), name="kernel",
            initializer=keras.initializers.RandomNormal(stddev=0.1))

    def call(self, x):
        # M laid out (n, C, B): the L1 sum runs over a middle axis of contiguous rows of B
        # values, several times faster than over a last axis of C = 5
        m = ops.reshape(ops.matmul(x, self.kernel), (-1, self.kernel_dim, self.num_kernels))
        l1 = ops.sum(ops.abs(ops.expand_dims(m, 1) - ops.expand_dims(m, 0)), axis=2)  # (n, n, B)
        return ops.concatenate([x, ops.sum(ops.exp(-l1), axis=1) - 1.0], axis=-1)  # minus self

    def compute_output_shape(self, input_shape):
        return (*input_shape[:-1], input_shape[-1] + self.num_kernels)

    def get_config(self):
        return {**super().get_config(), "num_kernels": self.num_kernels,
                "kernel_dim": self.kernel_dim}


# D: one body, two heads: the real/fake logit (after minibatch discrimination) and, with
# --info, the InfoGAN head Q that guesses which of the 10 codes made a generated image
d_input = keras.Input(shape=(28, 28, 1))
h = layers.Flatten()(d_input)
h = layers.Dropout(args.dropout)(layers.LeakyReLU(negative_slope=0.2)(layers.Dense(512)(h)))
h = layers.Dropout(args.dropout)(layers.LeakyReLU(negative_slope=0.2)(layers.Dense(256)(h)))
logit = layers.Dense(1, name="real_or_fake")(MinibatchDiscrimination(args.mbdisc)(h)
                                            if args.mbdisc else h)
discriminator = keras.Model(d_input, [logit, layers.Dense(CODES, name="code")(h)],
                            name="discriminator")


class GAN(keras.Model):
    def __init__(self, discriminator, generator, latent_dim, ema=0.999, info=1.0):
        super().__init__()
        self.info = info
        self.discriminator = discriminator
        self.generator = generator
        self.latent_dim = latent_dim
        self.seed_generator = keras.random.SeedGenerator(1337)
        # the averaged generator (what is sampled): same architecture, weights copied
        self.ema = ema
        self.ema_generator = keras.models.clone_model(generator)
        self.ema_generator.set_weights(generator.get_weights())
        self.steps = 0

    def compile(self, d_optimizer, g_optimizer, loss_fn):
        super().compile()
        self.d_optimizer = d_optimizer
        self.g_optimizer = g_optimizer
        self.loss_fn = loss_fn
        self.code_loss = keras.losses.SparseCategoricalCrossentropy(from_logits=True)
        self.d_loss_metric = keras.metrics.Mean(name="d_loss")
        self.g_loss_metric = keras.metrics.Mean(name="g_loss")

    @property
    def metrics(self):
        return [self.d_loss_metric, self.g_loss_metric]

    def latent(self, batch_size):
        """(noise and one-hot code, the codes): the generator's input and what Q must find."""
        codes = keras.random.randint((batch_size,), 0, CODES, seed=self.seed_generator)
        noise = keras.random.normal(shape=(batch_size, self.latent_dim), seed=self.seed_generator)
        return ops.concatenate([noise, ops.one_hot(codes, CODES)], axis=-1), codes

    def train_step(self, real_images):
        batch_size = ops.shape(real_images)[0]
        random_latent_vectors, codes = self.latent(batch_size)
        # training=True: BatchNormalization on batch statistics, Dropout on (a custom train_step
        # gets no training flag from fit, and a Keras model called without one is in inference mode)
        generated_images = self.generator(random_latent_vectors, training=True)
        # 1 for fake, 0 for real, with a little label noise (keras-io's trick). D sees the two
        # batches separately (keras-io concatenates them): minibatch discrimination compares a
        # sample with the others of its own batch
        fake_labels = ops.ones((batch_size, 1)) + 0.05 * tf.random.uniform((batch_size, 1))
        real_labels = 0.05 * tf.random.uniform((batch_size, 1))
        with tf.GradientTape() as tape:
            fake_logits, fake_codes = self.discriminator(generated_images, training=True)
            real_logits, _ = self.discriminator(real_images, training=True)
            d_loss = 0.5 * (self.loss_fn(fake_labels, fake_logits)
                            + self.loss_fn(real_labels, real_logits))
            if self.info:  # Q learns to read the code back from the image
                d_loss = d_loss + self.info * self.code_loss(codes, fake_codes)
        grads = tape.gradient(d_loss, self.discriminator.trainable_weights)
        self.d_optimizer.apply_gradients(zip(grads, self.discriminator.trainable_weights))

        random_latent_vectors, codes = self.latent(batch_size)
        misleading_labels = ops.zeros((batch_size, 1))  # "all real"
        with tf.GradientTape() as tape:
            predictions, guessed_codes = self.discriminator(
                self.generator(random_latent_vectors, training=True), training=True)
            g_loss = self.loss_fn(misleading_labels, predictions)
            if self.info:  # ... and G learns to make the code readable: one kind per code
                g_loss = g_loss + self.info * self.code_loss(codes, guessed_codes)
        grads = tape.gradient(g_loss, self.generator.trainable_weights)
        self.g_optimizer.apply_gradients(zip(grads, self.generator.trainable_weights))
        self.average_generator()
        self.d_loss_metric.update_state(d_loss)
        self.g_loss_metric.update_state(g_loss)
        return {"d_loss": self.d_loss_metric.result(), "g_loss": self.g_loss_metric.result()}

    def average_generator(self):
        """ema_generator <- d ema_generator + (1 - d) generator, with a short warm-up of d."""
        self.steps += 1
        d = min(self.ema, (1 + self.steps) / (10 + self.steps))
        for avg, w in zip(self.ema_generator.trainable_weights, self.generator.trainable_weights):
            avg.assign(d * avg + (1 - d) * w)

    def sample(self, z, averaged=True):
        """Images (N, 28, 28) in [-1, 1] from latent vectors z, batch statistics in BatchNorm."""
        net = self.ema_generator if averaged and self.ema else self.generator
        return ops.convert_to_numpy(net(z, training=True))[..., 0]


class SampleGrid(keras.callbacks.Callback):
    """After each epoch: a grid of 50 samples and the judge's note on 1,000."""

    def __init__(self):
        super().__init__()
        z = np.random.default_rng(args.seed + 1).normal(size=(1000, latent_dim))
        codes = np.eye(CODES)[np.arange(1000) % CODES]  # each code 100 times: a column per code
        self.z = np.concatenate([z, codes], axis=1).astype(np.float32)
        self.samples = None

    def on_epoch_end(self, epoch, logs=None):
        self.samples = gan.sample(self.z)
        if not args.quick:
            trained = (f"  (trained G: {epoch_line(judge, gan.sample(self.z, averaged=False))})"
                       if args.ema else "")
            print(f"epoch {epoch + 1}: {time.perf_counter() - t0:.0f} s, "
                  f"{epoch_line(judge, self.samples)}{trained}", flush=True)
        save_grid((self.samples[:50] + 1) / 2,
                  os.path.join(args.out, f"gan_keras_epoch_{epoch + 1}.png"),
                  title=f"epoch {epoch + 1}")


class HoldThenLinearDecay(keras.optimizers.schedules.LearningRateSchedule):
    """learning_rate for the first `hold` updates, then linearly down to 0 at update `total`."""

    def __init__(self, learning_rate, hold, total):
        self._store(learning_rate=learning_rate, hold=hold, total=total)

    def __call__(self, step):
        left = (self.total - step) / max(1, self.total - self.hold)
        return self.learning_rate * min(1.0, max(0.0, left))


steps = args.epochs * -(-len(x_train) // args.batch_size)  # fit's updates (last batch partial)
hold = int(args.decay_from * steps)
gan = GAN(discriminator=discriminator, generator=generator, latent_dim=latent_dim,
          ema=args.ema, info=args.info)
gan.compile(d_optimizer=keras.optimizers.Adam(HoldThenLinearDecay(args.lr_d, hold, steps), beta_1=0.5),
            g_optimizer=keras.optimizers.Adam(HoldThenLinearDecay(args.lr_g, hold, steps), beta_1=0.5),
            loss_fn=(keras.losses.BinaryCrossentropy(from_logits=True) if args.loss == "bce"
                     else keras.losses.MeanSquaredError()))
real = (x_train[..., None] * 2 - 1).astype(np.float32)
grids = SampleGrid()
t0 = time.perf_counter()
gan.fit(real, epochs=args.epochs, batch_size=args.batch_size, callbacks=[grids],
        verbose=2 if not args.quick else 0)
train_time = time.perf_counter() - t0
print(f"trained {args.epochs} epochs in {train_time:.0f} s; the whole run (judge included) "
      f"{time.perf_counter() - t_start:.0f} s wall, {time.process_time() - cpu_start:.0f} s CPU")
report(judge, grids.samples)  # the last epoch's 1,000 samples
