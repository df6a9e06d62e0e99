"""The TensorFlow 2 quickstart for beginners, on pyengine: only `import tensorflow as tf`
changed (to `import pyengine as tf`), plus a --data option naming a local mnist.npz.

    python examples/mnist_quickstart.py --data ../shared/data/mnist.npz

Without --data, mnist.load_data() reads $PYENGINE_HOME/datasets/mnist.npz (default
~/.pyengine/datasets), downloading it when missing.
"""
import argparse
import os
import time

import pyengine as tf   # was: import tensorflow as tf

ap = argparse.ArgumentParser(description="TensorFlow quickstart on pyengine")
ap.add_argument("--data", default=None, help="path of a Keras-format mnist.npz")
ap.add_argument("--seed", type=int, default=0)
args = ap.parse_args()
tf.manual_seed(args.seed)
print("TensorFlow version:", tf.__version__)

mnist = tf.keras.datasets.mnist
(x_train, y_train), (x_test, y_test) = (mnist.load_data(os.path.abspath(args.data)) if args.data
                                        else mnist.load_data())
x_train, x_test = x_train / 255.0, x_test / 255.0

model = tf.keras.models.Sequential([
  tf.keras.layers.Flatten(input_shape=(28, 28)),
  tf.keras.layers.Dense(128, activation='relu'),
  tf.keras.layers.Dropout(0.2),
  tf.keras.layers.Dense(10)
])

predictions = model(x_train[:1]).numpy()
print(predictions)
print(tf.nn.softmax(predictions).numpy())

loss_fn = tf.keras.losses.SparseCategoricalCrossentropy(from_logits=True)
print(loss_fn(y_train[:1], predictions).numpy())

model.compile(optimizer='adam',
              loss=loss_fn,
              metrics=['accuracy'])
t0 = time.perf_counter()
model.fit(x_train, y_train, epochs=5)
print(f"fit: {time.perf_counter() - t0:.1f}s for 5 epochs")
model.evaluate(x_test,  y_test, verbose=2)

probability_model = tf.keras.Sequential([
  model,
  tf.keras.layers.Softmax()
])
print(probability_model(x_test[:5]))
