"""LSTM time-series forecaster (pe.keras): predicts the value `horizon` steps ahead of a noisy
seasonal series from the previous `window` values, with windows from
keras.utils.timeseries_dataset_from_array.

    python examples/lstm_timeseries.py                    # generated series
    python examples/lstm_timeseries.py --data series.csv  # one value per line (first column)
    python examples/lstm_timeseries.py --quick            # a few seconds (the test runs this)

Prints the test RMSE next to the naive forecast (the last value seen) and the training time.
"""
import argparse
import time

import numpy as np

import pyengine as pe
from pyengine import keras


def generated_series(n, rng):
    """Two seasonal components, a slow trend and noise."""
    t = np.arange(n, dtype=np.float64)
    return (np.sin(2 * np.pi * t / 50) + 0.5 * np.sin(2 * np.pi * t / 13) + 0.002 * t
            + 0.1 * rng.standard_normal(n))


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--data", help="CSV / text file, one value per line (first column)")
    ap.add_argument("--points", type=int, default=4000)
    ap.add_argument("--window", type=int, default=40)
    ap.add_argument("--horizon", type=int, default=10, help="steps ahead to forecast")
    ap.add_argument("--units", type=int, default=64)
    ap.add_argument("--epochs", type=int, default=8)
    ap.add_argument("--batch", type=int, default=64)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--quick", action="store_true", help="tiny run (tests)")
    args = ap.parse_args()
    if args.quick:
        args.points, args.epochs, args.units, args.window = 600, 2, 16, 20
    rng = np.random.default_rng(args.seed)
    pe.manual_seed(args.seed)
    if args.data:
        series = np.loadtxt(args.data, delimiter=",", ndmin=2)[:, 0]
    else:
        series = generated_series(args.points, rng)
    split = int(0.8 * len(series))
    mean, std = series[:split].mean(), series[:split].std()
    z = ((series - mean) / std).astype(np.float32)[:, None]
    w, hz = args.window, args.horizon
    # window [i, i + w) -> target z[i + w + hz - 1]: Keras' recipe, targets = the data shifted
    # by window + horizon - 1 (windows stop where the targets do)
    train = keras.utils.timeseries_dataset_from_array(z[:split], z[w + hz - 1:split, 0], w,
                                                      batch_size=args.batch, shuffle=True,
                                                      seed=args.seed)
    test = keras.utils.timeseries_dataset_from_array(z[split - w - hz + 1:], z[split:, 0], w,
                                                     batch_size=256)
    model = keras.Sequential([keras.Input((w, 1)), keras.layers.LSTM(args.units),
                              keras.layers.Dense(1)])
    model.compile(optimizer=keras.optimizers.Adam(1e-2), loss="mse")
    t0 = time.perf_counter()
    model.fit(train, epochs=args.epochs, verbose=0)
    train_time = time.perf_counter() - t0
    preds, truth, naive = [], [], []
    for x, y in test:
        preds.append(model.predict(x, verbose=0)[:, 0])
        truth.append(y)
        naive.append(x[:, -1, 0])
    preds, truth, naive = (np.concatenate(a) * std for a in (preds, truth, naive))
    rmse = float(np.sqrt(np.mean((preds - truth) ** 2)))
    naive_rmse = float(np.sqrt(np.mean((naive - truth) ** 2)))
    print(f"{len(series)} points, window {w}, horizon {hz}, LSTM({args.units}), "
          f"{args.epochs} epochs")
    print(f"test RMSE {rmse:.4f} (naive last-value forecast {naive_rmse:.4f}); trained in "
          f"{train_time:.1f} s")


if __name__ == "__main__":
    main()
