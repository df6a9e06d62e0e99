"""Keras callbacks that steer or record training: LearningRateScheduler, ReduceLROnPlateau,
CSVLogger, BackupAndRestore, and ModelCheckpoint with whole-model saves and save_freq.
Keras 3's arguments and behaviour."""
import csv
import inspect
import os
import shutil
import warnings

import numpy as np

from .callbacks import Callback, _mode_op


def _lr(model, owner):
    opt = getattr(model, "optimizer", None)
    if opt is None or not hasattr(opt, "learning_rate"):
        raise ValueError(f"[{owner}] the optimizer must have a learning_rate attribute")
    return float(opt.learning_rate)


class LearningRateScheduler(Callback):
    """At each epoch start: lr = schedule(epoch, lr) (or schedule(epoch), Keras 1/2 style); the
    epoch's logs get 'learning_rate'."""

    def __init__(self, schedule, verbose=0):
        super().__init__()
        if not callable(schedule):
            raise TypeError(f"[LearningRateScheduler] schedule must be callable, got "
                            f"{type(schedule).__name__}")
        self.schedule, self.verbose = schedule, verbose
        try:
            self._two_args = len(inspect.signature(schedule).parameters) >= 2
        except (TypeError, ValueError):
            self._two_args = True

    def on_epoch_begin(self, epoch, logs=None):
        lr = _lr(self.model, "LearningRateScheduler")
        new = self.schedule(epoch, lr) if self._two_args else self.schedule(epoch)
        try:
            new = float(new)
        except (TypeError, ValueError):
            raise ValueError(f"[LearningRateScheduler] the output of the schedule function "
                             f"should be a float. Got: {new!r}") from None
        self.model.optimizer.learning_rate = new
        if self.verbose:
            print(f"\nEpoch {epoch + 1}: LearningRateScheduler setting learning rate to {new}.")

    def on_epoch_end(self, epoch, logs=None):
        if logs is not None:
            logs["learning_rate"] = _lr(self.model, "LearningRateScheduler")


class ReduceLROnPlateau(Callback):
    """lr *= factor when `monitor` has not improved by min_delta for `patience` epochs, then
    waits `cooldown` epochs; never below min_lr."""

    def __init__(self, monitor="val_loss", factor=0.1, patience=10, verbose=0, mode="auto",
                 min_delta=1e-4, cooldown=0, min_lr=0.0, **kwargs):
        super().__init__()
        if "epsilon" in kwargs:  # Keras 2 spelling
            min_delta = kwargs.pop("epsilon")
        if kwargs:
            raise TypeError(f"[ReduceLROnPlateau] unrecognized arguments: {sorted(kwargs)}")
        if factor >= 1.0:
            raise ValueError(f"[ReduceLROnPlateau] does not support a factor >= 1.0. Received "
                             f"factor={factor}")
        self.monitor, self.factor, self.patience, self.verbose = monitor, float(factor), \
            patience, verbose
        self.min_delta, self.cooldown, self.min_lr = min_delta, cooldown, min_lr
        self.op = _mode_op(monitor, mode)
        self._reset()

    def _reset(self):
        self.best = -np.inf if self.op is np.greater else np.inf
        self.cooldown_counter, self.wait = 0, 0

    def on_train_begin(self, logs=None):
        self._reset()

    def _improved(self, current):
        if self.op is np.greater:
            return current > self.best + self.min_delta
        return current < self.best - self.min_delta

    def on_epoch_end(self, epoch, logs=None):
        logs = logs if logs is not None else {}
        logs["learning_rate"] = _lr(self.model, "ReduceLROnPlateau")
        current = logs.get(self.monitor)
        if current is None:
            warnings.warn(f"[ReduceLROnPlateau] conditioned on metric `{self.monitor}` which is "
                          f"not available. Available metrics are: {','.join(sorted(logs))}")
            return
        if self.cooldown_counter > 0:
            self.cooldown_counter -= 1
            self.wait = 0
        if self._improved(current):
            self.best, self.wait = current, 0
        elif self.cooldown_counter <= 0:
            self.wait += 1
            if self.wait >= self.patience:
                old = logs["learning_rate"]
                if old > np.float32(self.min_lr):
                    new = max(old * self.factor, self.min_lr)
                    self.model.optimizer.learning_rate = new
                    if self.verbose:
                        print(f"\nEpoch {epoch + 1}: ReduceLROnPlateau reducing learning rate "
                              f"to {new}.")
                    self.cooldown_counter, self.wait = self.cooldown, 0


class CSVLogger(Callback):
    """One CSV row per epoch: 'epoch' then the logs' keys in sorted order (header first;
    append=True continues an existing file without a second header)."""

    def __init__(self, filename, separator=",", append=False):
        super().__init__()
        self.filename, self.sep, self.append = os.fspath(filename), separator, append
        self._file = self._writer = self._keys = None

    def on_train_begin(self, logs=None):
        exists = self.append and os.path.exists(self.filename) and \
            os.path.getsize(self.filename) > 0
        self._file = open(self.filename, "a" if self.append else "w", newline="")
        self._keys, self._header_written = None, exists

    def on_epoch_end(self, epoch, logs=None):
        logs = logs or {}
        if self._keys is None:
            self._keys = sorted(logs)
            self._writer = csv.DictWriter(self._file, fieldnames=["epoch"] + self._keys,
                                          delimiter=self.sep)
            if not self._header_written:
                self._writer.writeheader()
        row = {"epoch": epoch}
        for k in self._keys:
            v = logs.get(k, "NA")
            row[k] = v if not isinstance(v, np.ndarray) else "[" + ", ".join(map(str, v)) + "]"
        self._writer.writerow(row)
        self._file.flush()

    def on_train_end(self, logs=None):
        if self._file is not None:
            self._file.close()
            self._file = None


class BackupAndRestore(Callback):
    """Keeps the weights, optimizer state and epoch reached in `backup_dir` at each epoch end;
    a later fit() of the same model resumes from there (after an interruption), and a finished
    fit deletes the backup (delete_checkpoint=True)."""

    def __init__(self, backup_dir, save_freq="epoch", delete_checkpoint=True):
        super().__init__()
        if not backup_dir:
            raise ValueError("[BackupAndRestore] empty backup_dir")
        if save_freq != "epoch":
            raise ValueError(f"[BackupAndRestore] only save_freq='epoch' is supported. "
                             f"Received: save_freq={save_freq!r}")
        self.backup_dir, self.delete_checkpoint = os.fspath(backup_dir), delete_checkpoint
        self._path = os.path.join(self.backup_dir, "latest.pe")

    def on_train_begin(self, logs=None):
        from ..io import load
        if not os.path.exists(self._path):
            return
        state = load(self._path)
        self.model.set_weights(state["weights"])
        opt = getattr(self.model, "optimizer", None)
        if state.get("optimizer") is not None and opt is not None:
            opt.impl(self.model.trainable_weights).load_state_dict(state["optimizer"])
            opt.iterations = int(state["iterations"])
        self.model._initial_epoch = int(state["epoch"]) + 1

    def on_epoch_end(self, epoch, logs=None):
        from ..io import save
        os.makedirs(self.backup_dir, exist_ok=True)
        opt = getattr(self.model, "optimizer", None)
        impl = None
        if getattr(opt, "_impl", None) is not None:  # its one group over every trainable weight
            impl = opt.impl(self.model.trainable_weights)
        save({"epoch": epoch, "weights": [np.asarray(w) for w in self.model.get_weights()],
              "optimizer": None if impl is None else impl.state_dict(),
              "iterations": int(getattr(opt, "iterations", 0))}, self._path)

    def on_train_end(self, logs=None):
        if self.delete_checkpoint and not getattr(self.model, "stop_training", False) and \
                os.path.isdir(self.backup_dir):
            shutil.rmtree(self.backup_dir)


class ModelCheckpoint(Callback):
    """Saves the whole model (model.save: architecture + weights, loadable with
    keras.models.load_model) or only its weights (save_weights_only=True, or a path ending in
    '.weights.h5') at every epoch end, or every `save_freq` batches when it
    is an int; save_best_only keeps only improvements of `monitor`. `filepath` may hold format
    fields such as '{epoch:02d}-{val_loss:.2f}'. Writes are atomic (temp file + rename)."""

    def __init__(self, filepath, monitor="val_loss", verbose=0, save_best_only=False,
                 save_weights_only=False, mode="auto", save_freq="epoch",
                 initial_value_threshold=None, **kwargs):
        super().__init__()
        if "period" in kwargs:  # Keras 2: save every `period` epochs
            self._period = int(kwargs.pop("period"))
        else:
            self._period = 1
        if kwargs:
            raise TypeError(f"[ModelCheckpoint] unrecognized arguments: {sorted(kwargs)}")
        self.filepath, self.monitor, self.verbose = os.fspath(filepath), monitor, verbose
        self.save_best_only, self.save_weights_only = save_best_only, save_weights_only
        # a str is compared, anything else type-checked first (`save_freq != "epoch"` on a
        # tensor or array would compare elementwise)
        if not isinstance(save_freq, str) and isinstance(save_freq, np.integer):
            save_freq = int(save_freq)
        if (save_freq != "epoch") if isinstance(save_freq, str) else (
                not isinstance(save_freq, int) or isinstance(save_freq, bool) or save_freq < 1):
            raise ValueError(f"[ModelCheckpoint] unrecognized save_freq: {save_freq!r} of type "
                             f"{type(save_freq).__name__} (expected 'epoch' or a positive int "
                             "number of batches)")
        if save_weights_only and self.filepath.endswith(".keras"):
            raise ValueError(f"[ModelCheckpoint] with save_weights_only=True the filepath must "
                             f"not end in `.keras` (a whole-model file). Received: "
                             f"filepath={self.filepath}")
        # a '.weights.h5' path means weights only, as its name says (Keras 3 requires the
        # flag; Keras 2 programs leave it at its default)
        self._weights = save_weights_only or self.filepath.endswith(".weights.h5")
        self.save_freq = save_freq
        self.op = _mode_op(monitor, mode)
        self.best = initial_value_threshold if initial_value_threshold is not None else \
            (-np.inf if self.op is np.greater else np.inf)
        self._batches, self._epoch = 0, 0

    def wants_batches(self):
        return self.save_freq != "epoch"

    def on_epoch_begin(self, epoch, logs=None):
        self._epoch = epoch

    def on_train_batch_end(self, batch, logs=None):
        if self.save_freq == "epoch":
            return
        self._batches += 1
        if self._batches % self.save_freq == 0:
            self._save(self._epoch, batch, logs or {})

    def on_epoch_end(self, epoch, logs=None):
        if self.save_freq == "epoch" and (epoch + 1) % self._period == 0:
            self._save(epoch, None, logs or {})

    def _save(self, epoch, batch, logs):
        fields = {k: v for k, v in logs.items() if not isinstance(v, np.ndarray)}
        try:
            path = self.filepath.format(epoch=epoch + 1, batch=batch, **fields)
        except KeyError as e:
            raise KeyError(f"[ModelCheckpoint] failed to format filepath {self.filepath!r}: "
                           f"{e} is not in the logs ({', '.join(sorted(logs))})") from None
        if self.save_best_only:
            value = logs.get(self.monitor)
            if value is None:
                warnings.warn(f"[ModelCheckpoint] can save best model only with "
                              f"'{self.monitor}' available, skipping. Available: "
                              f"{', '.join(sorted(logs))}")
                return
            if not self.op(value, self.best):
                if self.verbose:
                    print(f"\nEpoch {epoch + 1}: {self.monitor} did not improve from "
                          f"{self.best:.5f}")
                return
            if self.verbose:
                print(f"\nEpoch {epoch + 1}: {self.monitor} improved from {self.best:.5f} to "
                      f"{value:.5f}, saving model to {path}")
            self.best = value
        elif self.verbose:
            print(f"\nEpoch {epoch + 1}: saving model to {path}")
        d = os.path.dirname(path)
        if d:
            os.makedirs(d, exist_ok=True)
        if self._weights:
            self.model.save_weights(path)
        else:
            self.model.save(path)
