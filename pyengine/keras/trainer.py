"""Keras' training API for models: compile resolves names and stores; fit loops a train_step
(or, for a Dense-only model, hands whole runs of batches to the fused C++ trainer, keras/fused.py);
evaluate and predict run batched forward passes."""
import math

import numpy as np

from .. import random as _random
from ..autograd import no_grad
from . import callbacks as _cb
from . import losses as _losses
from . import metrics as _metrics
from . import optimizers as _opt
from .utils import as_array, as_float32


class Trainer:
    compiled = False
    stop_training = False

    def compile(self, optimizer="rmsprop", loss=None, metrics=None, loss_weights=None,
                weighted_metrics=None, run_eagerly=False, steps_per_execution=1,
                jit_compile="auto"):
        """Resolves `optimizer`, `loss`, `metrics` (names or objects) and stores them.
        jit_compile=False forces the generic (unfused) training path."""
        self.optimizer = _opt.get(optimizer)
        self.loss = _losses.get(loss)
        if isinstance(metrics, (str, _metrics.Metric)):
            metrics = [metrics]
        self.compiled_metrics = [_metrics.get(m, self.loss) for m in (metrics or [])]
        self.jit_compile = jit_compile
        self.compiled = True

    def _require_compiled(self, what):
        if not self.compiled:
            raise RuntimeError(f"[{what}] you must call compile() before {what}(), e.g. "
                               "model.compile(optimizer='adam', loss='binary_crossentropy')")

    # ---- steps -----------------------------------------------------------------------------
    def train_step(self, x, y):
        """One optimizer step on a batch; returns the batch loss and the model output."""
        params = self.trainable_weights
        y_pred = self(x, training=True)
        loss = self.loss(y, y_pred)
        for penalty in self.losses:
            loss = loss + penalty
        for p in params:
            p.grad = None
        loss.backward()
        self.optimizer.apply_gradients([(p.grad, p) for p in params])
        return float(loss.data), y_pred.data

    def _prepare(self, x, y, what):
        x = as_float32(x, what)
        if x.ndim == 0 or len(x) == 0:
            raise ValueError(f"[{what}] x is empty")
        self._check_input(x.shape)
        self._ensure_built(x)
        out_shape = (None,) + tuple(self.output_shape_[1:])
        if y is None:
            return x, None
        y = as_array(y, what)
        if len(y) != len(x):
            raise ValueError(f"[{what}] x and y have different numbers of samples: {len(x)} vs "
                             f"{len(y)}")
        return x, self.loss.validate(y, out_shape)

    # ---- fit -------------------------------------------------------------------------------
    def fit(self, x=None, y=None, batch_size=None, epochs=1, verbose="auto", callbacks=None,
            validation_split=0.0, validation_data=None, shuffle=True, initial_epoch=0,
            steps_per_epoch=None, validation_batch_size=None, class_weight=None,
            sample_weight=None, **kwargs):
        """Trains for `epochs` epochs; returns a History whose .history maps 'loss', metric
        names and their 'val_' forms to per-epoch values."""
        self._require_compiled("fit")
        epochs = kwargs.pop("nb_epoch", epochs)  # Keras 1 spelling, still in tutorials
        if kwargs:
            raise TypeError(f"[fit] unrecognized arguments: {sorted(kwargs)}")
        if y is None:
            raise ValueError("[fit] y (the targets) is required")
        if class_weight is not None or sample_weight is not None:
            raise ValueError("[fit] class_weight and sample_weight are not supported yet")
        batch_size = 32 if batch_size is None else batch_size
        if not isinstance(batch_size, int) or batch_size < 1:
            raise ValueError(f"[fit] batch_size must be a positive integer. Received: "
                             f"batch_size={batch_size}")
        verbose = 1 if verbose == "auto" else verbose
        x, y = as_float32(x, "fit"), as_array(y, "fit")
        if validation_data is None and validation_split:
            if not 0.0 < validation_split < 1.0:
                raise ValueError(f"[fit] validation_split must be in (0, 1). Received: "
                                 f"validation_split={validation_split}")
            cut = int(len(x) * (1.0 - validation_split))  # Keras takes the last part, unshuffled
            x, y, validation_data = x[:cut], y[:cut], (x[cut:], y[cut:])
        x, y = self._prepare(x, y, "fit")
        if validation_data is not None:
            if len(validation_data) != 2:
                raise ValueError("[fit] validation_data must be a tuple (x_val, y_val)")
            validation_data = self._prepare(*validation_data, "fit")
        steps = math.ceil(len(x) / batch_size)
        history = _cb.History()
        progbar = _cb.ProgbarLogger(verbose)
        cbs = _cb.CallbackList([progbar] + list(callbacks or []) + [history], self,
                               {"epochs": epochs, "steps": steps, "verbose": verbose})
        from . import fused
        plan = fused.plan(self, y) if not cbs.wants_batches() else None
        self.stop_training = False
        cbs.on_train_begin()
        for epoch in range(initial_epoch, epochs):
            cbs.on_epoch_begin(epoch)
            order = (_random.get_generator().permutation(len(x)) if shuffle
                     else np.arange(len(x))).astype(np.int64)
            if plan is not None:
                nan_ok = any(isinstance(c, _cb.TerminateOnNaN) for c in cbs.callbacks)
                logs = fused.run_epoch(self, plan, x, y, order, batch_size, progbar, nan_ok)
            else:
                logs = self._generic_epoch(x, y, order, batch_size, cbs, progbar)
            if validation_data is not None:
                val = self.evaluate(*validation_data, batch_size=validation_batch_size or
                                    batch_size, verbose=0, return_dict=True)
                logs.update({f"val_{k}": v for k, v in val.items()})
            cbs.on_epoch_end(epoch, logs)
            if self.stop_training:
                break
        cbs.on_train_end(logs if epochs > initial_epoch else {})
        return history

    def _generic_epoch(self, x, y, order, batch_size, cbs, progbar):
        for m in self.compiled_metrics:
            m.reset_state()
        total, seen = 0.0, 0
        logs = {}
        for step, start in enumerate(range(0, len(order), batch_size)):
            idx = order[start:start + batch_size]
            xb, yb = x[idx], y[idx]
            cbs.on_train_batch_begin(step)
            loss, y_pred = self.train_step(xb, yb)
            if not math.isfinite(loss):
                cbs.on_train_batch_end(step, {"loss": loss})
                if self.stop_training:
                    return {"loss": loss}
                raise FloatingPointError(
                    f"[fit] the loss became {loss} at batch {step}; training stopped. Lower the "
                    "learning rate, scale the inputs, or check the data for NaN/inf")
            total += loss * len(idx)
            seen += len(idx)
            for m in self.compiled_metrics:
                m.update_state(yb, y_pred)
            logs = {"loss": total / seen, **{m.name: m.result() for m in self.compiled_metrics}}
            cbs.on_train_batch_end(step, logs)
            progbar.update(step + 1, logs)
            if self.stop_training:
                break
        return logs

    # ---- evaluate / predict ----------------------------------------------------------------
    def evaluate(self, x=None, y=None, batch_size=None, verbose="auto", return_dict=False,
                 sample_weight=None, callbacks=None):
        """[loss, *metrics] on (x, y), batched (a float when there are no metrics)."""
        self._require_compiled("evaluate")
        x, y = self._prepare(x, y, "evaluate")
        if y is None:
            raise ValueError("[evaluate] y (the targets) is required")
        batch_size = batch_size or 32
        for m in self.compiled_metrics:
            m.reset_state()
        total = 0.0
        with no_grad():
            for start in range(0, len(x), batch_size):
                xb, yb = x[start:start + batch_size], y[start:start + batch_size]
                y_pred = self(xb, training=False)
                loss = self.loss(yb, y_pred)
                total += float(loss.data) * len(xb)
                for m in self.compiled_metrics:
                    m.update_state(yb, y_pred.data)
            penalty = sum(float(p.data) for p in self.losses)
        logs = {"loss": total / len(x) + penalty,
                **{m.name: m.result() for m in self.compiled_metrics}}
        if verbose not in (0, False):
            steps = math.ceil(len(x) / batch_size)
            print(f"{steps}/{steps} - " + " - ".join(f"{k}: {v:.4f}" for k, v in logs.items()))
        if return_dict:
            return logs
        vals = list(logs.values())
        return vals[0] if len(vals) == 1 else vals

    def predict(self, x, batch_size=None, verbose="auto", steps=None, callbacks=None):
        """Model outputs as a NumPy array, computed in batches."""
        x = as_float32(x, "predict")
        self._check_input(x.shape)
        self._ensure_built(x)
        batch_size = batch_size or 32
        outs = []
        with no_grad():
            for start in range(0, len(x), batch_size):
                outs.append(self(x[start:start + batch_size], training=False).data)
        return np.concatenate(outs) if outs else np.zeros((0,) + self.output_shape_[1:], np.float32)

    def predict_on_batch(self, x):
        with no_grad():
            return self(as_float32(x, "predict"), training=False).data

    def train_on_batch(self, x, y):
        self._require_compiled("train_on_batch")
        x, y = self._prepare(x, y, "train_on_batch")
        return self.train_step(x, y)[0]
