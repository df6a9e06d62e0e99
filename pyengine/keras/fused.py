"""The fused fast path of fit: a model whose layers are exactly Dense (relu / sigmoid / tanh /
linear / softmax), optionally an Activation layer after one and a Dropout, after any leading
Flatten, compiled with one built-in loss (the exact Keras classes: binary cross-entropy, or the
from_logits cross-entropies) and SGD / Adam / RMSprop,
trained with the default train_step and no per-batch callback, trains runs of batches in ONE
C++ call (backend.mlp_train -> csrc/fused/mlp_train.cpp): forward, loss, backward and the
optimizer update with no Python per batch. Anything else returns no plan and fit runs
train_step. The kernel updates the layers' weights and pe.optim's state arrays (moments, step)
in place, so the two paths can alternate; tests check they reach the same weights, and both stop
the same way on a non-finite loss (that batch's update is not applied)."""
import time

import numpy as np

from .. import random as _random
from ..backend import cpu as _cpu
from . import activations as _act
from . import losses as _losses
from . import metrics as _metrics
from . import optimizers as _opt
from .layers.base import InputLayer
from .layers.core import Activation, Dense, Dropout, Flatten

_ACT = {"linear": 0, "relu": 1, "sigmoid": 2, "tanh": 3, "softmax": 4}
# losses whose generic form runs one C++ loss kernel (csrc/loss), which the fused trainer calls too;
# mean squared error and probability-input categorical cross-entropy run as NumPy ops in the
# generic path, so they are not fused (no second copy of their math in C++)
_LOSS = {(_losses.BinaryCrossentropy, False): 0, (_losses.BinaryCrossentropy, True): 1,
         (_losses.CategoricalCrossentropy, True): 2,
         (_losses.SparseCategoricalCrossentropy, True): 3}
_METRIC = {_metrics.BinaryAccuracy: 1, _metrics.CategoricalAccuracy: 2,
           _metrics.SparseCategoricalAccuracy: 3}
_OPT = {_opt.SGD: 0, _opt.Adam: 1, _opt.RMSprop: 2}
_CHUNK_SECONDS = 0.1  # progress-bar refresh while the kernel runs


def _flat_layers(model):
    from .sequential import Sequential
    out = []
    for layer in model.layers:
        if isinstance(layer, Sequential) and type(layer) is Sequential:
            sub = _flat_layers(layer)
            if sub is None:
                return None
            out += sub
        else:
            out.append(layer)
    return out


def _default_steps(model):
    """True when fit would run the Trainer's own steps (nothing a subclass overrides)."""
    from .trainer import Trainer
    cls = type(model)
    return all(getattr(cls, n) is getattr(Trainer, n)
               for n in ("train_step", "compute_loss", "compute_metrics"))


def _optimizer_ok(opt):
    code = _OPT.get(type(opt))
    if code is None or opt.weight_decay or opt.clipnorm or opt.clipvalue or \
            opt.global_clipnorm or opt.use_ema:
        return None
    if code == 1 and opt.amsgrad or code == 2 and opt.centered:
        return None
    return code


def plan(model, y):
    """The fused trainer's description of `model`, or None when it does not apply."""
    from .sequential import Sequential
    if model.jit_compile is False or not isinstance(model, Sequential) or \
            not _default_steps(model) or model.losses:
        return None
    if not model._compiled_losses or len(model._compiled_losses) != 1:
        return None
    loss, weight, metrics = model._compiled_losses[0]
    code = _LOSS.get((type(loss), loss.from_logits))
    if code is None or weight != 1.0 or loss.reduction != "sum_over_batch_size" \
            or getattr(loss, "label_smoothing", 0.0) \
            or getattr(loss, "ignore_class", None) is not None:  # nor smoothing, nor ignored
        return None
    opt_code = _optimizer_ok(model.optimizer)
    if opt_code is None or len(metrics) > 1:
        return None
    if any(m not in [model._loss_tracker] + metrics for m in model.metrics):
        return None  # a metric the kernel does not compute
    metric = 0
    if metrics:
        metric = _METRIC.get(type(metrics[0]))
        if metric is None or getattr(metrics[0], "threshold", 0.5) != 0.5:
            return None
    layers = _flat_layers(model)
    if not layers:
        return None
    while layers and type(layers[0]) in (InputLayer, Flatten):
        layers = layers[1:]
    dense = []
    for layer in layers:
        if type(layer) is Dense:
            if layer._regularizers or layer.activity_regularizer is not None or \
                    _act.name_of(layer.activation) not in _ACT or \
                    any(getattr(w, "constraint", None) is not None for w in layer.weights):
                return None
            dense.append([layer, _act.name_of(layer.activation), 0.0])
        elif type(layer) is Activation and dense and dense[-1][1] == "linear" \
                and dense[-1][2] == 0.0 and _act.name_of(layer.activation) in _ACT:
            dense[-1][1] = _act.name_of(layer.activation)
        elif type(layer) is Dropout and dense and dense[-1][2] == 0.0 and \
                layer.noise_shape is None and layer.seed is None:  # the kernel's masks
            dense[-1][2] = layer.rate
        else:
            return None
    if not dense or any(d[2] >= 1.0 for d in dense) or dense[-1][2] > 0.0:
        return None  # a Dropout on the output changes what the loss sees: keep it generic
    return {"layers": dense, "loss": code, "metric": metric, "optimizer": opt_code}


def _state(opt, code, w):
    """pe.optim's state arrays (s1, s2) of `w` for the kernel, created like pe.optim does."""
    st = opt.variable_state(w)
    if code == 0:  # SGD: momentum_buffer (a zero buffer gives the same first step as buf = g)
        if opt.momentum == 0.0:
            return None, None
        return st.setdefault("momentum_buffer", np.zeros_like(w._data)), None
    st.setdefault("step", 0)
    if code == 1:
        return (st.setdefault("exp_avg", np.zeros_like(w._data)),
                st.setdefault("exp_avg_sq", np.zeros_like(w._data)))
    s1 = st.setdefault("square_avg", np.zeros_like(w._data))
    return s1, (st.setdefault("momentum_buffer", np.zeros_like(w._data))
                if opt.momentum > 0 else None)


def _hyper(opt, code):
    """lr, momentum, beta1 / rho, beta2, eps, nesterov: the kernel's hyperparameter vector."""
    if code == 0:
        return [opt.learning_rate, opt.momentum, 0.0, 0.0, 0.0, float(opt.nesterov)]
    if code == 1:
        return [opt.learning_rate, 0.0, opt.beta_1, opt.beta_2, opt.epsilon, 0.0]
    return [opt.learning_rate, opt.momentum, opt.rho, 0.0, opt.epsilon, 0.0]


def run_epoch(model, plan, x, y, order, batch_size, progbar, terminate_on_nan=False):
    """Trains one epoch over x[order] in batches; returns the epoch's logs."""
    dense = [d[0] for d in plan["layers"]]
    opt, code = model.optimizer, plan["optimizer"]
    kernels = [d.kernel._data for d in dense]
    biases = [d.bias._data if d.bias is not None else None for d in dense]
    trainable = [d.kernel.requires_grad for d in dense]
    params = [w for d, t in zip(dense, trainable) if t for w in (d.kernel, d.bias)
              if w is not None]
    opt.impl(params)
    s1, s2, steps = [], [], []
    for d, t in zip(dense, trainable):
        for w in (d.kernel, d.bias):
            st = _state(opt, code, w) if (t and w is not None) else (None, None)
            s1.append(st[0])
            s2.append(st[1])
            if t and w is not None and code != 0:
                steps.append(opt.variable_state(w)["step"])
    if len(set(steps)) > 1:
        raise RuntimeError("[fit] the optimizer's variables have different step counts; "
                           "compile with jit_compile=False")
    step = steps[0] if steps else opt.iterations
    x2 = x.reshape(len(x), -1)
    y2 = np.ascontiguousarray(y.reshape(len(y), -1), dtype=np.float32)
    acts = [_ACT[d[1]] for d in plan["layers"]]
    rates = [float(d[2]) for d in plan["layers"]]
    n_batches = (len(order) + batch_size - 1) // batch_size
    chunk = max(1, n_batches if progbar.verbose != 1 else 64)
    loss_sum = hits = 0.0
    rows = done = 0
    logs = {}
    gen = _random.get_generator()
    metrics = model._compiled_losses[0][2]
    while done < n_batches:
        take = min(chunk, n_batches - done)
        idx = order[done * batch_size:(done + take) * batch_size]
        t0 = time.perf_counter()
        ls, h, r, b, bad = _cpu.mlp_train(
            x2, y2, idx, batch_size, kernels, biases, acts, rates, trainable, s1, s2,
            plan["loss"], plan["metric"], code, _hyper(opt, code), step,
            # a dropout seed only when there is dropout: without it the fused run draws from
            # pyengine's generator exactly what the general path draws (the shuffles), so
            # the next epochs' orders and results match it
            int(gen.integers(0, 2**63 - 1)) if any(rates) else 0)
        opt.iterations += b
        step += b
        for w in params:
            if code != 0:
                opt.variable_state(w)["step"] += b
        loss_sum, hits, rows, done = loss_sum + ls, hits + h, rows + r, done + b
        model._loss_tracker.total, model._loss_tracker.count = loss_sum, float(rows)
        if metrics:
            metrics[0].total, metrics[0].count = hits, float(rows)
        if bad and terminate_on_nan:
            print(f"Batch {done}: Invalid loss, terminating training")
            model.stop_training = True
            return {"loss": float("nan")}
        if bad:
            raise FloatingPointError(
                f"[fit] the loss became NaN or infinite at batch {done}; training stopped and "
                "that batch's update was not applied. Lower the learning rate, scale the inputs, "
                "or check the data for NaN/inf")
        logs = model.get_metrics_result()
        progbar.update(done, logs)
        if progbar.verbose == 1:  # aim for ~10 refreshes a second
            per = (time.perf_counter() - t0) / take
            chunk = int(min(max(_CHUNK_SECONDS / max(per, 1e-7), 1), 100000))
    return logs
