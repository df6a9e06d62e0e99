"""Callbacks (Keras names and arguments): History, EarlyStopping, ModelCheckpoint, LambdaCallback,
TerminateOnNaN, and the progress bar (ProgbarLogger)."""
import math
import sys
import time
import warnings

import numpy as np


class Callback:
    def __init__(self):
        self.model = None
        self.params = {}

    def set_model(self, model):
        self.model = model

    def set_params(self, params):
        self.params = params

    def on_train_begin(self, logs=None): pass
    def on_train_end(self, logs=None): pass
    def on_epoch_begin(self, epoch, logs=None): pass
    def on_epoch_end(self, epoch, logs=None): pass
    # Keras 2 names: on_batch_begin / on_batch_end, called by the train-batch hooks (Keras 3)
    def on_batch_begin(self, batch, logs=None): pass
    def on_batch_end(self, batch, logs=None): pass
    def on_train_batch_begin(self, batch, logs=None): self.on_batch_begin(batch, logs=logs)
    def on_train_batch_end(self, batch, logs=None): self.on_batch_end(batch, logs=logs)
    def on_test_batch_begin(self, batch, logs=None): pass
    def on_test_batch_end(self, batch, logs=None): pass
    def on_predict_batch_begin(self, batch, logs=None): pass
    def on_predict_batch_end(self, batch, logs=None): pass
    def on_test_begin(self, logs=None): pass
    def on_test_end(self, logs=None): pass
    def on_predict_begin(self, logs=None): pass
    def on_predict_end(self, logs=None): pass

    def wants_batches(self):
        """True when this callback acts per batch (the fused trainer then steps batch by batch)."""
        cls = type(self)
        return (cls.on_train_batch_begin is not Callback.on_train_batch_begin or
                cls.on_train_batch_end is not Callback.on_train_batch_end or
                cls.on_batch_begin is not Callback.on_batch_begin or
                cls.on_batch_end is not Callback.on_batch_end)


class History(Callback):
    """`fit` returns it: .history maps each logged name to its per-epoch values. It is also
    `model.history` after each epoch, as Keras sets it (keras-io 3D CT classification plots
    `model.history.history`)."""

    def __init__(self):
        super().__init__()
        self.history = {}
        self.epoch = []

    def on_train_begin(self, logs=None):
        self.epoch = []

    def on_epoch_end(self, epoch, logs=None):
        self.epoch.append(epoch)
        for k, v in (logs or {}).items():
            self.history.setdefault(k, []).append(v)
        if self.model is not None:
            self.model.history = self


class LambdaCallback(Callback):
    def __init__(self, on_epoch_begin=None, on_epoch_end=None, on_batch_begin=None,
                 on_batch_end=None, on_train_begin=None, on_train_end=None, **kwargs):
        super().__init__()
        self._fns = dict(on_epoch_begin=on_epoch_begin, on_epoch_end=on_epoch_end,
                         on_train_batch_begin=on_batch_begin or kwargs.get("on_train_batch_begin"),
                         on_train_batch_end=on_batch_end or kwargs.get("on_train_batch_end"),
                         on_train_begin=on_train_begin, on_train_end=on_train_end)
        for name, fn in self._fns.items():
            if fn is not None:
                setattr(self, name, fn)

    def wants_batches(self):
        return bool(self._fns["on_train_batch_begin"] or self._fns["on_train_batch_end"])


class TerminateOnNaN(Callback):
    """Stops training when a batch loss is NaN or infinite."""

    def on_train_batch_end(self, batch, logs=None):
        loss = (logs or {}).get("loss")
        if loss is not None and not math.isfinite(loss):
            print(f"Batch {batch}: Invalid loss, terminating training")
            self.model.stop_training = True

    def wants_batches(self):
        return False  # the fused trainer reports non-finite losses itself


def _mode_op(monitor, mode):
    if mode not in ("auto", "min", "max"):
        raise ValueError(f"mode must be 'auto', 'min' or 'max'. Received: mode={mode}")
    if mode == "auto":
        mode = "max" if ("acc" in monitor or monitor.startswith("fmeasure")) else "min"
    return np.less if mode == "min" else np.greater


class EarlyStopping(Callback):
    def __init__(self, monitor="val_loss", min_delta=0, patience=0, verbose=0, mode="auto",
                 baseline=None, restore_best_weights=False, start_from_epoch=0):
        super().__init__()
        self.monitor, self.patience, self.verbose = monitor, int(patience), verbose
        self.baseline, self.restore_best_weights = baseline, restore_best_weights
        self.start_from_epoch = start_from_epoch
        self.op = _mode_op(monitor, mode)
        self.min_delta = abs(min_delta) * (1 if self.op is np.greater else -1)

    def on_train_begin(self, logs=None):
        self.wait, self.stopped_epoch, self.best_weights, self.best_epoch = 0, 0, None, 0
        self.best = self.baseline if self.baseline is not None else \
            (-np.inf if self.op is np.greater else np.inf)

    def on_epoch_end(self, epoch, logs=None):
        value = (logs or {}).get(self.monitor)
        if value is None:  # Keras warns and keeps training
            warnings.warn(f"[EarlyStopping] conditioned on '{self.monitor}', which is not "
                          f"available. Available metrics are: {', '.join(sorted(logs or {}))}")
            return
        if epoch < self.start_from_epoch:
            return
        self.wait += 1
        if self.op(value - self.min_delta, self.best):
            self.best, self.best_epoch, self.wait = value, epoch, 0
            if self.restore_best_weights:
                self.best_weights = self.model.get_weights()
            return
        if self.wait > self.patience and epoch > 0:
            self.stopped_epoch = epoch
            self.model.stop_training = True
            if self.restore_best_weights and self.best_weights is not None:
                if self.verbose:
                    print(f"Restoring model weights from the end of the best epoch: "
                          f"{self.best_epoch + 1}.")
                self.model.set_weights(self.best_weights)

    def on_train_end(self, logs=None):
        if self.stopped_epoch > 0 and self.verbose:
            print(f"Epoch {self.stopped_epoch + 1}: early stopping")


class ProgbarLogger(Callback):
    """Keras' progress line: `250/250 [====...] - 1s 2ms/step - loss: 0.41 - accuracy: 0.83`."""

    def __init__(self, verbose=1, stream=None):
        super().__init__()
        self.verbose = verbose
        self.stream = stream or sys.stdout

    def on_epoch_begin(self, epoch, logs=None):
        # a terminal gets a live bar; a log file or pipe only each epoch's final line (as Keras)
        self._live = getattr(self.stream, "isatty", lambda: False)()
        self.start = self.last = time.perf_counter()
        if self.verbose:
            print(f"Epoch {epoch + 1}/{self.params.get('epochs', '?')}", file=self.stream)

    def _total(self):
        """Steps per epoch: fit's count, else (a source of unknown length, such as a generator
        dataset) the number the last epoch ran, as Keras' bar learns it after one epoch."""
        return self.params.get("steps") or getattr(self, "_inferred", None)

    def update(self, step, logs):
        """Called by fit with the number of batches done and running logs (verbose=1 only)."""
        now = time.perf_counter()
        self._seen = step
        total = self._total()
        if self.verbose != 1 or (total is not None and step >= total) or \
                now - self.last < 0.1 or not self._live:
            return
        self.last = now
        self.stream.write("\r" + self._line(step, total, logs, now))
        self.stream.flush()

    def _line(self, step, total, logs, now):
        if total is None:  # first epoch over a source of unknown length
            vals = "".join(f" - {k}: {v:.4f}" for k, v in logs.items())
            return f"{step}/Unknown - {now - self.start:.0f}s{vals}"
        width = 30
        done = int(width * step / max(total, 1))
        bar = "=" * max(done - 1, 0) + (">" if step < total else "=") * (done > 0) + \
            "." * (width - done)
        elapsed = now - self.start
        if step < total:
            eta = elapsed / max(step, 1) * (total - step)
            t = f"ETA: {eta:.0f}s"
        else:
            per = elapsed / max(step, 1)
            t = f"{elapsed:.0f}s {per * 1e3:.0f}ms/step" if per >= 1e-3 else \
                f"{elapsed:.0f}s {per * 1e6:.0f}us/step"
        vals = "".join(f" - {k}: {v:.4f}" for k, v in logs.items())
        w = len(str(total))
        return f"{step:>{w}}/{total} [{bar}] - {t}{vals}"

    def on_epoch_end(self, epoch, logs=None):
        if self.params.get("steps") is None and getattr(self, "_seen", None):
            self._inferred = self._seen
        steps = self._total() or 0
        if self.verbose == 1:
            line = self._line(steps, steps, logs or {}, time.perf_counter())
            self.stream.write(("\r" if self._live else "") + line + "\n")
        elif self.verbose == 2:
            elapsed = time.perf_counter() - self.start
            vals = "".join(f" - {k}: {v:.4f}" for k, v in (logs or {}).items())
            self.stream.write(f"{steps}/{steps} - {elapsed:.0f}s{vals}\n")
        self.stream.flush()


class CallbackList:
    def __init__(self, callbacks, model, params, what="fit"):
        self.callbacks = list(callbacks)
        for cb in self.callbacks:
            if not isinstance(cb, Callback):
                raise TypeError(f"[{what}] callbacks must be keras.callbacks.Callback objects, "
                                f"received {cb!r}")
            cb.set_model(model)
            cb.set_params(params)

    def wants_batches(self):
        return any(cb.wants_batches() for cb in self.callbacks)

    def __getattr__(self, name):
        # Keras' calling convention: (index, logs) for epoch / batch hooks, (logs) otherwise,
        # logs always passed positionally as one dict shared by every callback, so hooks
        # written `(self, epoch, logs)` or `(self, epoch, logs=None)` both work.
        indexed = "epoch" in name or "batch" in name

        def call(*args, logs=None):
            if indexed:
                index, rest = args[0], args[1:]
            else:
                index, rest = None, args
            logs = rest[0] if rest else logs
            logs = {} if logs is None else logs
            for cb in self.callbacks:
                hook = getattr(cb, name)
                hook(index, logs) if indexed else hook(logs)
        return call


# ---- callbacks that steer or record training (keras/callbacks_extra.py) -----------------------
from .callbacks_extra import (BackupAndRestore, CSVLogger, LearningRateScheduler,  # noqa: E402
                              ModelCheckpoint, ReduceLROnPlateau)
from .callbacks_tensorboard import TensorBoard  # noqa: E402,F401  (scalars, no TensorFlow)
