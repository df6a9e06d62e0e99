"""Backprop fine-tuning of a classifier built from pretrained layers (DBN.to_module), and the
small helpers the examples share: predictions in batches and the error rate.

    for each epoch: shuffle; for each batch:  loss = cross_entropy(net(x), y);  SGD step
"""
import time

import numpy as np

from ._estimator import check_2d, seed_from


def _labels(y, n, where):
    y = np.asarray(y)
    if y.ndim != 1 or y.shape[0] != n or y.dtype.kind not in "iu":
        raise ValueError(f"[{where}] y must be integer class labels of shape ({n},), got "
                         f"dtype {y.dtype} and shape {y.shape}")
    return y.astype(np.int64)


def fine_tune(module, X, y, *, epochs=10, batch_size=100, learning_rate=0.1, momentum=0.9,
              weight_decay=0.0, lr_decay=1.0, random_state=None, verbose=0,
              X_test=None, y_test=None, X_val=None, y_val=None):
    """Trains `module` (logits out) on (X, y) with SGD + momentum on the softmax cross-entropy;
    the learning rate is multiplied by lr_decay after every epoch. Returns a history dict:
    loss and seconds per epoch, plus test_error when X_test / y_test are given.

    With X_val / y_val (held out from the training data), the error on them is recorded per
    epoch (val_error) and the module ends with the weights of the epoch where it was lowest
    (the first such epoch; history["best_epoch"], 1-based): the epoch is chosen without
    looking at the test set."""
    import pyengine as pe
    import pyengine.nn.functional as F
    X = check_2d(X, "fine_tune", np.float32)
    y = _labels(y, X.shape[0], "fine_tune")
    if epochs < 0 or batch_size < 1:
        raise ValueError(f"[fine_tune] need epochs >= 0 and batch_size >= 1, got {epochs}, "
                         f"{batch_size}")
    opt = pe.optim.SGD(module.parameters(), lr=learning_rate, momentum=momentum,
                       weight_decay=weight_decay)
    rng = np.random.RandomState(seed_from(random_state) % 2**32)
    history = {"loss": [], "seconds": [], "test_error": [], "val_error": [], "best_epoch": 0}
    if X_val is not None:
        y_val = _labels(y_val, np.asarray(X_val).shape[0], "fine_tune")
    best = None
    for epoch in range(epochs):
        t0 = time.perf_counter()
        order = rng.permutation(X.shape[0])
        total = 0.0
        module.train()
        for s in range(0, X.shape[0], batch_size):
            idx = order[s:s + batch_size]
            opt.zero_grad()
            loss = F.cross_entropy(module(pe.from_numpy(X[idx])), pe.from_numpy(y[idx]))
            loss.backward()
            opt.step()
            total += float(loss.item()) * len(idx)
        for group in opt.param_groups:
            group["lr"] *= lr_decay
        history["loss"].append(total / max(1, X.shape[0]))
        history["seconds"].append(time.perf_counter() - t0)
        if X_test is not None:
            history["test_error"].append(error_rate(module, X_test, y_test))
        if X_val is not None:
            history["val_error"].append(error_rate(module, X_val, y_val))
            if best is None or history["val_error"][-1] < min(history["val_error"][:-1]):
                best = [p._data.copy() for p in module.parameters()]
                history["best_epoch"] = epoch + 1
        if verbose:
            extra = (f", validation error {history['val_error'][-1] * 100:.2f}%"
                     if X_val is not None else "")
            extra += (f", test error {history['test_error'][-1] * 100:.2f}%"
                      if X_test is not None else "")
            print(f"[fine_tune] epoch {epoch + 1}: loss {history['loss'][-1]:.4f}{extra}, "
                  f"{history['seconds'][-1]:.1f}s", flush=True)
    if best is not None:
        for p, saved in zip(module.parameters(), best):
            p._data[...] = saved
    return history


def predict(module, X, batch_size=2000):
    """Class index of the largest logit, in batches, without building a graph."""
    import pyengine as pe
    X = check_2d(X, "predict", np.float32)
    module.eval()
    out = []
    with pe.no_grad():
        for s in range(0, X.shape[0], batch_size):
            out.append(np.argmax(module(pe.from_numpy(X[s:s + batch_size])).numpy(), axis=1))
    return np.concatenate(out) if out else np.zeros(0, np.int64)


def error_rate(module, X, y):
    """Fraction of rows of X whose predicted class differs from y."""
    y = _labels(y, np.asarray(X).shape[0], "error_rate")
    return float(np.mean(predict(module, X) != y))
