"""The fused fast path of fit: a Sequential of Dense layers (relu / sigmoid / tanh / linear /
softmax, optionally followed by an Activation layer and a Dropout), after any leading Flatten,
compiled with a standard loss and SGD / Adam / RMSprop, trains runs of batches in ONE C++ call
(pyengine._C.mlp_train, csrc/fused/mlp_train.cpp): forward, loss, backward and the optimizer
update, with no Python per batch. Anything else returns no plan and fit uses train_step.
The kernel shares the optimizer's state arrays and the weights' storage with the generic path,
so the two can alternate; tests check they reach the same weights."""
import time

import numpy as np

from .. import _C
from .. import random as _random
from . import activations as _act
from . import optimizers as _opt
from .layers.base import InputLayer
from .layers.core import Activation, Dense, Dropout, Flatten

_ACT = {"linear": 0, "relu": 1, "sigmoid": 2, "tanh": 3, "softmax": 4}
_LOSS = {("mse", False): 0, ("bce", False): 1, ("bce", True): 2, ("cce", False): 3,
         ("cce", True): 4, ("scce", False): 5, ("scce", True): 6}
_METRIC = {"binary": 1, "categorical": 2, "sparse": 3}
_CHUNK_SECONDS = 0.1  # progress-bar refresh while the kernel runs


def _flat_layers(model):
    out = []
    for layer in model.layers:
        if hasattr(layer, "layers") and not isinstance(layer, Dense):
            if not layer.trainable:
                return None  # a frozen nested model: keep the simple path
            sub = _flat_layers(layer)
            if sub is None:
                return None
            out += sub
        else:
            out.append(layer)
    return out


def plan(model, y):
    """The fused trainer's description of `model`, or None when it does not apply."""
    if model.jit_compile is False or not model.trainable:
        return None
    loss = model.loss
    code = _LOSS.get((loss.kind, loss.from_logits))
    if code is None or getattr(loss, "reduction", None) != "sum_over_batch_size":
        return None
    opt = model.optimizer
    if type(opt) not in (_opt.SGD, _opt.Adam, _opt.RMSprop):
        return None
    if len(model.compiled_metrics) > 1:
        return None
    metric = 0
    if model.compiled_metrics:
        metric = _METRIC.get(model.compiled_metrics[0].kind)
        if metric is None:
            return None
    layers = _flat_layers(model)
    if not layers:
        return None
    while layers and isinstance(layers[0], (InputLayer, Flatten)):
        layers = layers[1:]
    dense = []
    for layer in layers:
        if isinstance(layer, Dense):
            if (layer.kernel_regularizer or layer.bias_regularizer or
                    _act.name_of(layer.activation) not in _ACT):
                return None
            dense.append([layer, _act.name_of(layer.activation), 0.0])
        elif isinstance(layer, Activation) and dense and dense[-1][1] == "linear" \
                and dense[-1][2] == 0.0 and _act.name_of(layer.activation) in _ACT:
            dense[-1][1] = _act.name_of(layer.activation)
        elif isinstance(layer, Dropout) and dense and dense[-1][2] == 0.0:
            dense[-1][2] = layer.rate
        else:
            return None
    if not dense or any(d[2] >= 1.0 for d in dense) or dense[-1][2] > 0.0:
        return None  # a Dropout on the output changes what the loss sees: keep it generic
    return {"layers": dense, "loss": code, "metric": metric,
            "sparse": loss.kind == "scce"}


def run_epoch(model, plan, x, y, order, batch_size, progbar, terminate_on_nan=False):
    """Trains one epoch over x[order] in batches; returns the epoch's logs."""
    dense = [d[0] for d in plan["layers"]]
    opt = model.optimizer
    kernels = [d.kernel.data for d in dense]
    biases = [d.bias.data if d.bias is not None else None for d in dense]
    trainable = [d.trainable and model.trainable for d in dense]
    s1, s2 = [], []
    for d, t in zip(dense, trainable):
        for w in (d.kernel, d.bias):
            st = opt.slots(w) if (t and w is not None) else [None, None]
            s1.append(st[0])
            s2.append(st[1])
    x2 = x.reshape(len(x), -1)
    y2 = y.reshape(len(y), -1).astype(np.float32, copy=False)
    y2 = np.ascontiguousarray(y2)
    acts = [_ACT[d[1]] for d in plan["layers"]]
    rates = [float(d[2]) for d in plan["layers"]]
    n_batches = (len(order) + batch_size - 1) // batch_size
    chunk = max(1, n_batches if progbar.verbose != 1 else 64)
    loss_sum = hits = 0.0
    rows = done = 0
    logs = {}
    gen = _random.get_generator()
    while done < n_batches:
        take = min(chunk, n_batches - done)
        idx = order[done * batch_size:(done + take) * batch_size]
        t0 = time.perf_counter()
        ls, h, r, b, bad = _C.mlp_train(
            x2, y2, idx, batch_size, kernels, biases, acts, rates, trainable, s1, s2,
            plan["loss"], plan["metric"], opt.code, opt.hyper(), opt.iterations,
            int(gen.integers(0, 2**63 - 1)))
        opt.iterations += b
        loss_sum, hits, rows, done = loss_sum + ls, hits + h, rows + r, done + b
        if bad and terminate_on_nan:
            print(f"Batch {done}: Invalid loss, terminating training")
            model.stop_training = True
            return {"loss": float("nan")}
        if bad:
            raise FloatingPointError(
                f"[fit] the loss became NaN or infinite at batch {done}; training stopped and "
                "that batch's update was not applied. Lower the learning rate, scale the inputs, "
                "or check the data for NaN/inf")
        logs = {"loss": loss_sum / max(rows, 1)}
        if plan["metric"]:
            logs[model.compiled_metrics[0].name] = hits / max(rows, 1)
        progbar.update(done, logs)
        if progbar.verbose == 1:  # aim for ~10 refreshes a second
            per = (time.perf_counter() - t0) / take
            chunk = int(min(max(_CHUNK_SECONDS / max(per, 1e-7), 1), 100000))
    return logs
