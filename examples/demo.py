"""pyengine demo: a Keras-style network trained end to end on generated data, in seconds.

    pip install .  &&  python examples/demo.py

The data is a synthetic bank-churn-like table (10,000 customers, 11 standardized features, a
churn label from a hidden nonlinear rule plus noise), so nothing needs downloading. The model,
compile, fit, evaluate lines are written exactly as in a Keras tutorial.
"""
import argparse
import time

import numpy as np

import pyengine as pe
from pyengine.keras.layers import Dense, Dropout
from pyengine.keras.models import Sequential


def make_data(n=10000, seed=0):
    rng = np.random.default_rng(seed)
    x = rng.normal(size=(n, 11)).astype(np.float32)
    score = (1.2 * x[:, 0] - 0.9 * x[:, 1] + 0.8 * x[:, 2] * x[:, 3] + 0.6 * np.abs(x[:, 4])
             - 0.7 * np.maximum(x[:, 5], 0) + 0.3 * rng.normal(size=n))
    y = (score > 0.8).astype(np.float32)
    cut = int(0.8 * n)
    return (x[:cut], y[:cut]), (x[cut:], y[cut:])


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--epochs", type=int, default=20)
    args = ap.parse_args()
    pe.manual_seed(0)
    (x_train, y_train), (x_test, y_test) = make_data()

    model = Sequential([
        Dense(32, activation="relu", input_shape=(11,)),
        Dropout(0.1),
        Dense(16, activation="relu"),
        Dense(1, activation="sigmoid"),
    ])
    model.compile(optimizer="adam", loss="binary_crossentropy", metrics=["accuracy"])
    model.summary()
    t0 = time.perf_counter()
    model.fit(x_train, y_train, batch_size=10, epochs=args.epochs, validation_split=0.1,
              verbose=2)
    seconds = time.perf_counter() - t0
    loss, acc = model.evaluate(x_test, y_test, verbose=0)
    print(f"test accuracy: {acc:.4f} (loss {loss:.4f}); trained {args.epochs} epochs of "
          f"{len(x_train)} rows in {seconds:.1f}s")


if __name__ == "__main__":
    main()
