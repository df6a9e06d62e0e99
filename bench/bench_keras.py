"""One training epoch of the seed Keras tutorials, pyengine next to PyTorch (and Keras when
installed), in the same process: the churn ANN (8000 x 11, batch 10: Python overhead dominates),
the MNIST quickstart MLP (60000 x 784, batch 32) and the keras-io MNIST convnet (channels-last
Keras layers at batch 128; also the same network written with pe.nn, NCHW, as PyTorch is).

    python bench/bench_keras.py --data ../shared/data        # real data; synthetic if absent
    python bench/bench_keras.py --threads 1 --cpu-time       # CPU-time ratios (loaded machine)
    pytest bench/bench_keras.py                     # pytest-benchmark suite

PyTorch runs the same model, batch size, optimizer and loss, as an idiomatic loop over tensor
slices of a random permutation (no DataLoader), with torch.set_num_threads(threads).
"""
import argparse
import os
import statistics
import sys
import time

import numpy as np

# Imports the installed pyengine (for a source tree built in place: PYTHONPATH=.).
import pyengine as pe  # noqa: E402
from pyengine import keras  # noqa: E402


# ---- data -----------------------------------------------------------------------------------
def churn_data(folder):
    path = os.path.join(folder or "", "Churn_Modelling.csv")
    if folder and os.path.exists(path):
        sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..",
                                        "examples"))
        import churn_ann
        X, y = churn_ann.load(path)
        X_train, _, y_train, _ = churn_ann.train_test_split(X, y)
        X_train = churn_ann.StandardScaler().fit_transform(X_train)
        return X_train.astype(np.float32), y_train.astype(np.float32), "real"
    rng = np.random.default_rng(0)
    x = rng.normal(size=(8000, 11)).astype(np.float32)
    return x, (x[:, 0] - x[:, 4] > 0.8).astype(np.float32), "synthetic"


def mnist_data(folder):
    path = os.path.join(folder or "", "mnist.npz")
    if folder and os.path.exists(path):
        (x, y), _ = keras.datasets.mnist.load_data(os.path.abspath(path))
        return (x / 255.0).astype(np.float32), y.astype(np.int64), "real"
    rng = np.random.default_rng(0)
    return rng.random((60000, 28, 28), dtype=np.float32), rng.integers(0, 10, 60000), "synthetic"


# ---- models ---------------------------------------------------------------------------------
def pe_churn():
    m = keras.models.Sequential()
    m.add(keras.layers.Dense(units=6, kernel_initializer="uniform", activation="relu",
                             input_dim=11))
    m.add(keras.layers.Dense(units=6, kernel_initializer="uniform", activation="relu"))
    m.add(keras.layers.Dense(units=1, kernel_initializer="uniform", activation="sigmoid"))
    m.compile(optimizer="adam", loss="binary_crossentropy", metrics=["accuracy"])
    return m


def pe_mnist():
    m = keras.models.Sequential([keras.layers.Flatten(input_shape=(28, 28)),
                                 keras.layers.Dense(128, activation="relu"),
                                 keras.layers.Dropout(0.2), keras.layers.Dense(10)])
    m.compile(optimizer="adam", metrics=["accuracy"],
              loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True))
    return m


def torch_epoch_fn(kind, x, y, batch):
    import torch
    nn = torch.nn
    if kind == "churn":
        model = nn.Sequential(nn.Linear(11, 6), nn.ReLU(), nn.Linear(6, 6), nn.ReLU(),
                              nn.Linear(6, 1), nn.Sigmoid())
        loss_fn = nn.BCELoss()
        xt, yt = torch.from_numpy(x), torch.from_numpy(y.reshape(-1, 1))
    else:
        model = nn.Sequential(nn.Flatten(), nn.Linear(784, 128), nn.ReLU(), nn.Dropout(0.2),
                              nn.Linear(128, 10))
        loss_fn = nn.CrossEntropyLoss()
        xt, yt = torch.from_numpy(x), torch.from_numpy(y)
    opt = torch.optim.Adam(model.parameters(), lr=1e-3, eps=1e-7)

    def epoch():
        model.train()
        perm = torch.randperm(len(xt))
        for i in range(0, len(xt), batch):
            idx = perm[i:i + batch]
            loss = loss_fn(model(xt[idx]), yt[idx])
            opt.zero_grad()
            loss.backward()
            opt.step()
    return epoch


def pe_convnet():
    L = keras.layers
    m = keras.Sequential([keras.Input(shape=(28, 28, 1)),
                          L.Conv2D(32, kernel_size=(3, 3), activation="relu"),
                          L.MaxPooling2D(pool_size=(2, 2)),
                          L.Conv2D(64, kernel_size=(3, 3), activation="relu"),
                          L.MaxPooling2D(pool_size=(2, 2)),
                          L.Flatten(), L.Dropout(0.5), L.Dense(10, activation="softmax")])
    m.compile(loss="categorical_crossentropy", optimizer="adam", metrics=["accuracy"])
    return m


def convnet_nn_epoch_fn(x, y, batch):
    """The convnet in pe.nn (NCHW, as a PyTorch user writes it), an idiomatic loop."""
    nn, F = pe.nn, pe.nn.functional
    model = nn.Sequential(nn.Conv2d(1, 32, 3), nn.ReLU(), nn.MaxPool2d(2), nn.Conv2d(32, 64, 3),
                          nn.ReLU(), nn.MaxPool2d(2), nn.Flatten(), nn.Dropout(0.5),
                          nn.Linear(1600, 10))
    opt = pe.optim.Adam(model.parameters(), lr=1e-3, eps=1e-7)
    xt = pe.from_numpy(np.ascontiguousarray(x.transpose(0, 3, 1, 2)))
    labels = y.argmax(1)

    def epoch():
        model.train()
        perm = np.random.permutation(len(labels))
        for i in range(0, len(labels), batch):
            idx = perm[i:i + batch]
            loss = F.cross_entropy(model(pe.from_numpy(xt.numpy()[idx])), labels[idx])
            opt.zero_grad()
            loss.backward()
            opt.step()
    return epoch


def torch_convnet_epoch_fn(x, y, batch):
    import torch
    nn = torch.nn
    model = nn.Sequential(nn.Conv2d(1, 32, 3), nn.ReLU(), nn.MaxPool2d(2), nn.Conv2d(32, 64, 3),
                          nn.ReLU(), nn.MaxPool2d(2), nn.Flatten(), nn.Dropout(0.5),
                          nn.Linear(1600, 10))
    opt = torch.optim.Adam(model.parameters(), lr=1e-3, eps=1e-7)
    loss_fn = nn.CrossEntropyLoss()
    xt = torch.from_numpy(np.ascontiguousarray(x.transpose(0, 3, 1, 2)))
    yt = torch.from_numpy(y.argmax(1))

    def epoch():
        model.train()
        perm = torch.randperm(len(xt))
        for i in range(0, len(xt), batch):
            idx = perm[i:i + batch]
            loss = loss_fn(model(xt[idx]), yt[idx])
            opt.zero_grad()
            loss.backward()
            opt.step()
    return epoch


def run_convnet(args, torch):
    x, labels, src = mnist_data(args.data)
    x, labels = x[:args.convnet_rows, :, :, None], labels[:args.convnet_rows]
    y = keras.utils.to_categorical(labels, 10)
    model = pe_convnet()
    t_pe = timed(lambda: model.fit(x, y, batch_size=128, epochs=1, verbose=0), args.repeats)
    t_nn = timed(convnet_nn_epoch_fn(x, y, 128), args.repeats)
    line = (f"convnet ({src}, {len(x)} rows, batch 128): pyengine keras (NHWC) "
            f"{t_pe * 1e3:8.1f} ms | pe.nn (NCHW) {t_nn * 1e3:8.1f} ms | keras/pe.nn = "
            f"{t_pe / t_nn:.3f}")
    if torch is not None:
        t_pt = timed(torch_convnet_epoch_fn(x, y, 128), args.repeats)
        line += f" | PyTorch {t_pt * 1e3:8.1f} ms | keras/PyTorch = {t_pe / t_pt:.3f}"
    print(line, flush=True)


def keras_epoch_fn(kind, x, y, batch):
    import keras as real_keras  # optional
    L = real_keras.layers
    if kind == "churn":
        m = real_keras.Sequential([real_keras.Input((11,)), L.Dense(6, activation="relu"),
                                   L.Dense(6, activation="relu"), L.Dense(1, activation="sigmoid")])
        m.compile("adam", "binary_crossentropy", metrics=["accuracy"])
    else:
        m = real_keras.Sequential([real_keras.Input((28, 28)), L.Flatten(),
                                   L.Dense(128, activation="relu"), L.Dropout(0.2), L.Dense(10)])
        m.compile("adam", real_keras.losses.SparseCategoricalCrossentropy(from_logits=True),
                  metrics=["accuracy"])
    return lambda: m.fit(x, y, batch_size=batch, epochs=1, verbose=0)


CLOCK = time.perf_counter  # --cpu-time: time.process_time (this process's CPU seconds)


def timed(fn, repeats):
    fn()  # warm-up: first-call costs (building, allocation) are not an epoch's cost
    times = []
    for _ in range(repeats):
        t = CLOCK()
        fn()
        times.append(CLOCK() - t)
    return statistics.median(times)


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--data", default=None, help="folder with Churn_Modelling.csv and mnist.npz")
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--repeats", type=int, default=3)
    ap.add_argument("--only", choices=["churn", "mnist", "convnet"], default=None)
    ap.add_argument("--convnet-rows", type=int, default=60000,
                    help="MNIST rows per convnet epoch (fewer for a quicker run)")
    ap.add_argument("--cpu-time", action="store_true",
                    help="measure process CPU time instead of wall time (with --threads 1, "
                         "ratios that survive a loaded machine)")
    args = ap.parse_args()
    global CLOCK
    if args.cpu_time:
        CLOCK = time.process_time
    pe.set_num_threads(args.threads)
    pe.manual_seed(0)
    try:
        import torch
        torch.set_num_threads(args.threads)
        torch.manual_seed(0)
    except ImportError:
        torch = None
    print(f"threads={args.threads}, median of {args.repeats} epochs after one warm-up epoch, "
          f"{'CPU' if args.cpu_time else 'wall'} time, load average "
          f"{os.getloadavg()[0]:.1f}", flush=True)
    for kind, batch in (("churn", 10), ("mnist", 32), ("convnet", 128)):
        if args.only and kind != args.only:
            continue
        if kind == "convnet":
            run_convnet(args, torch)
            continue
        x, y, src = churn_data(args.data) if kind == "churn" else mnist_data(args.data)
        model = pe_churn() if kind == "churn" else pe_mnist()
        t_pe = timed(lambda: model.fit(x, y, batch_size=batch, epochs=1, verbose=0), args.repeats)
        line = f"{kind:6s} ({src}, {len(x)} rows, batch {batch}): pyengine {t_pe * 1e3:8.1f} ms"
        if torch is not None:
            t_pt = timed(torch_epoch_fn(kind, x, y, batch), args.repeats)
            line += f" | PyTorch {t_pt * 1e3:8.1f} ms | pyengine/PyTorch = {t_pe / t_pt:.3f}"
        try:
            t_k = timed(keras_epoch_fn(kind, x, y, batch), args.repeats)
            line += f" | Keras {t_k * 1e3:8.1f} ms | pyengine/Keras = {t_pe / t_k:.3f}"
        except ImportError:
            pass
        print(line, flush=True)


# ---- pytest-benchmark suite (synthetic data, smaller than the script's) ---------------------
def test_bench_churn_epoch(benchmark):
    x, y, _ = churn_data(None)
    m = pe_churn()
    benchmark(lambda: m.fit(x, y, batch_size=10, epochs=1, verbose=0))


def test_bench_mnist_epoch_10k(benchmark):
    x, y, _ = mnist_data(None)
    m = pe_mnist()
    benchmark.pedantic(lambda: m.fit(x[:10000], y[:10000], batch_size=32, epochs=1, verbose=0),
                       rounds=3, iterations=1)


def test_bench_churn_generic_path(benchmark):
    x, y, _ = churn_data(None)
    m = pe_churn()
    m.compile(optimizer="adam", loss="binary_crossentropy", metrics=["accuracy"], jit_compile=False)
    benchmark.pedantic(lambda: m.fit(x[:2000], y[:2000], batch_size=10, epochs=1, verbose=0),
                       rounds=3, iterations=1)


def test_bench_convnet_epoch_2k(benchmark):
    x, labels, _ = mnist_data(None)
    x, y = x[:2048, :, :, None], keras.utils.to_categorical(labels[:2048], 10)
    m = pe_convnet()
    benchmark.pedantic(lambda: m.fit(x, y, batch_size=128, epochs=1, verbose=0), rounds=3,
                       iterations=1)


if __name__ == "__main__":
    main()
