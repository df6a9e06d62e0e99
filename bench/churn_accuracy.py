"""The churn tutorial's test accuracy over several seeds, in pyengine, PyTorch or Keras.

    python bench/churn_accuracy.py [seeds=8] [--framework pyengine|torch|keras] [--data CSV]

Same model, split and training everywhere: Dense 11-6-6-1 (relu, relu, sigmoid), weights uniform
in [-0.05, 0.05] and zero biases (Keras' 'uniform'), Adam lr 1e-3 eps 1e-7 (Keras' defaults),
binary cross-entropy, batch 10, 50 epochs, reshuffled each epoch; the preprocessing of
examples/churn_ann.py. pyengine and Keras run the tutorial's Keras code itself; PyTorch the same
model written by hand. The accuracy of this model depends on the seed (it lands near 0.84 or
near 0.86), so compare distributions, not single runs. Keras needs `pip install keras jax` and
runs with KERAS_BACKEND=jax unless another backend is set.
"""
import argparse
import contextlib
import io
import os
import sys

import numpy as np

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "examples"))
import churn_ann  # noqa: E402  (its loader, split and scaler)


def tutorial_model(keras):
    """The tutorial's classifier, built and compiled with `keras` (pyengine.keras or Keras)."""
    classifier = keras.models.Sequential()
    classifier.add(keras.layers.Dense(units=6, kernel_initializer='uniform', activation='relu',
                                      input_dim=11))
    classifier.add(keras.layers.Dense(units=6, kernel_initializer='uniform', activation='relu'))
    classifier.add(keras.layers.Dense(units=1, kernel_initializer='uniform',
                                      activation='sigmoid'))
    classifier.compile(optimizer='adam', loss='binary_crossentropy', metrics=['accuracy'])
    return classifier


def run_keras_like(keras, set_seed, data, seed):
    X_train, X_test, y_train, y_test = data
    set_seed(seed)
    classifier = tutorial_model(keras)
    classifier.fit(X_train, y_train, batch_size=10, epochs=50, verbose=0)
    with contextlib.redirect_stdout(io.StringIO()):
        y_pred = np.asarray(classifier.predict(X_test)) > 0.5
    return float((y_pred.ravel() == y_test).mean())


def run_torch(data, seed):
    import torch
    X_train, X_test, y_train, y_test = data
    X_train = torch.tensor(X_train, dtype=torch.float32)
    X_test = torch.tensor(X_test, dtype=torch.float32)
    y_train = torch.tensor(y_train, dtype=torch.float32)[:, None]
    torch.set_num_threads(1)
    torch.manual_seed(seed)
    model = torch.nn.Sequential(torch.nn.Linear(11, 6), torch.nn.ReLU(), torch.nn.Linear(6, 6),
                                torch.nn.ReLU(), torch.nn.Linear(6, 1), torch.nn.Sigmoid())
    for layer in model:
        if isinstance(layer, torch.nn.Linear):
            torch.nn.init.uniform_(layer.weight, -0.05, 0.05)
            torch.nn.init.zeros_(layer.bias)
    opt = torch.optim.Adam(model.parameters(), lr=1e-3, eps=1e-7)
    for _ in range(50):
        perm = torch.randperm(len(X_train))
        for i in range(0, len(X_train), 10):
            idx = perm[i:i + 10]
            opt.zero_grad()
            p = model(X_train[idx]).clamp(1e-7, 1 - 1e-7)
            torch.nn.functional.binary_cross_entropy(p, y_train[idx]).backward()
            opt.step()
    with torch.no_grad():
        return float(((model(X_test) > 0.5).numpy().ravel() == y_test).mean())


def runner(framework):
    if framework == "pyengine":
        import pyengine as pe
        return lambda data, seed: run_keras_like(pe.keras, pe.manual_seed, data, seed)
    if framework == "keras":
        os.environ.setdefault("KERAS_BACKEND", "jax")
        import keras
        return lambda data, seed: run_keras_like(keras, keras.utils.set_random_seed, data, seed)
    return run_torch


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("seeds", nargs="?", type=int, default=8)
    ap.add_argument("--framework", choices=["pyengine", "torch", "keras"], default="pyengine")
    ap.add_argument("--data", default="../shared/data/Churn_Modelling.csv")
    args = ap.parse_args()
    X, y = churn_ann.load(args.data)
    X_train, X_test, y_train, y_test = churn_ann.train_test_split(X, y)
    sc = churn_ann.StandardScaler()
    data = (sc.fit_transform(X_train), sc.transform(X_test), y_train, y_test)
    run = runner(args.framework)
    accs = []
    for seed in range(args.seeds):
        accs.append(run(data, seed))
        print(f"seed {seed}: test accuracy {accs[-1]:.4f}", flush=True)
    accs = np.array(accs)
    print(f"{args.framework}, {len(accs)} seeds: mean {accs.mean():.4f}, median "
          f"{np.median(accs):.4f}, >= 0.85 in {(accs >= 0.85).sum()} of {len(accs)}")


if __name__ == "__main__":
    main()
