"""Keras' training API (Keras 3's Trainer): compile resolves names and stores; fit loops
`train_step(data)`, evaluate `test_step`, predict `predict_step`; all three are overridable, and
a custom train_step takes gradients with pe.GradientTape (or loss.backward()) and updates with
`self.optimizer.apply_gradients`. Several outputs take a loss each (list / dict, loss_weights).
A Dense-only model trained with the default train_step hands whole runs of batches to the fused
C++ trainer (keras/fused.py) when that provably computes the same thing."""
import itertools
import math
import warnings

import numpy as np

from .. import random as _random
from ..autograd import no_grad
from ..tensor import Tensor
from . import batching as _b
from . import callbacks as _cb
from . import compiled_objects as _compiled
from . import data_adapters as _adapters
from . import fixed_batch as _fixed
from . import losses as _losses
from . import metrics as _metrics
from . import optimizers as _opt
from . import tree
from .trainer_generators import GeneratorMethods, loading_arguments


def _floats(logs):
    """A step's logs as Python floats, nested dicts flattened (Keras' _pythonify_logs). A
    value with more than one element (keras-io NNCLR returns its per-sample contrastive loss)
    is logged as its mean, the number Keras' progress bar shows for it."""
    out = {}
    for k, v in (logs or {}).items():
        if isinstance(v, dict):
            out.update(_floats(v))
        else:
            a = np.asarray(v._data if isinstance(v, Tensor) else v)
            out[k] = float(a) if a.size == 1 else float(a.mean())
    return out


class Trainer(GeneratorMethods):
    compiled = False
    stop_training = False
    optimizer = None
    jit_compile = "auto"
    _compiled_losses = None

    # ---- compile -----------------------------------------------------------------------------
    def compile(self, optimizer="rmsprop", loss=None, metrics=None, loss_weights=None,
                weighted_metrics=None, run_eagerly=False, steps_per_execution=1,
                jit_compile="auto", auto_scale_loss=True, target_tensors=None):
        """Resolves `optimizer`, `loss` (one, or a list / dict per output; None for a model
        that computes its own loss) and `metrics` (names, objects or functions) and stores them.
        As in Keras, `metrics` ignore sample_weight / class_weight and `weighted_metrics` use
        them. jit_compile=False forces the generic (unfused) training path. Keras 2's
        `target_tensors` (graph-mode targets fed by TensorFlow 1 input pipelines) raises."""
        if target_tensors is not None:
            raise NotImplementedError("[compile] target_tensors (Keras 2's graph-mode targets, "
                                      "removed in TensorFlow 2.2) is not supported: give the "
                                      "targets to fit (arrays, or a dataset of (x, y) batches)")
        if steps_per_execution == "auto":
            steps_per_execution = 1  # Keras' choice to make; one step per execution here
        if isinstance(steps_per_execution, bool) or not isinstance(steps_per_execution, int) \
                or steps_per_execution < 1:
            raise ValueError(f"[compile] steps_per_execution must be a positive int or 'auto'. "
                             f"Received: steps_per_execution={steps_per_execution!r}")
        # Keras 3: batch-level callbacks (and the progress bar) run once per execution of this
        # many steps, with the step index where it began and the last step's logs
        self._steps_per_execution = steps_per_execution
        self.optimizer = _opt.get(optimizer)
        self._loss_spec, self._loss_weights_spec, self._metrics_spec = loss, loss_weights, metrics
        self._weighted_metrics_spec = weighted_metrics
        self.loss = loss if loss is None or isinstance(loss, (list, tuple, dict)) else \
            _losses.get(loss)
        self.jit_compile = jit_compile
        self._loss_tracker = _metrics.Mean(name="loss")
        self._compiled_losses = None
        self.compiled_metrics = _compiled.CompiledMetrics(self, [])
        self.compiled_loss = _compiled.CompiledLoss(self)
        self.compiled = True
        # Keras (2 and 3): compile freezes which weights train until the next compile
        self._compiled_trainable = list(self.trainable_weights) or None
        n = len(self.outputs) if getattr(self, "outputs", None) else None
        if n is None and not isinstance(loss, (list, tuple, dict)):
            n = 1
        if n is not None:
            self._resolve_compile(n)

    def _output_names(self, n):
        out = getattr(self, "_outputs_struct", None)
        if isinstance(out, dict):
            return list(out)
        # Keras names a functional model's outputs after the layers that make them, one output
        # too: image_ocr.py compiles loss={'ctc': ...} for its single Lambda(name='ctc') output
        if getattr(self, "outputs", None) and len(self.outputs) == n:
            return [t._keras_history[0].name for t in self.outputs]
        return [f"output_{i}" for i in range(n)]

    def _per_output(self, spec, names, what):
        if isinstance(spec, dict):
            unknown = sorted(set(spec) - set(names))
            if unknown:
                raise ValueError(f"[compile] {what} names outputs {unknown}; the model's outputs "
                                 f"are {names}")
            return [spec.get(n) for n in names]
        if isinstance(spec, (list, tuple)) and len(names) > 1:
            if len(spec) != len(names):
                raise ValueError(f"[compile] {what} has {len(spec)} entries for a model with "
                                 f"{len(names)} outputs {names}")
            return list(spec)
        return [spec] * len(names)

    def _resolve_compile(self, n):
        """Per output: its loss (or None), weight and metric objects."""
        names = self._output_names(n)
        spec = self._loss_spec
        if isinstance(spec, (list, tuple)) and n == 1 and len(spec) == 1:
            spec = spec[0]
        losses = [None if s is None else _losses.get(s)
                  for s in self._per_output(spec, names, "loss")]
        weights = self._per_output(self._loss_weights_spec, names, "loss_weights")
        weights = [1.0 if w is None else float(w) for w in weights]
        per = [[] for _ in names]
        # Keras 3: `metrics` ignore sample_weight / class_weight, `weighted_metrics` use them
        for spec, weighted in ((self._metrics_spec, False),
                               (getattr(self, "_weighted_metrics_spec", None), True)):
            if isinstance(spec, (str, _metrics.Metric)) or callable(spec):
                spec = [spec]
            # a list with one list (or None) per output: each output's metrics (Keras'
            # `metrics=[[mape, mae], [accuracy]]`), or as many Metric objects as outputs (Keras
            # 3 pairs them with the outputs; keras-io BASNet: one MeanAbsoluteError per output;
            # one object cannot serve several outputs, its state would mix them)
            per_output = isinstance(spec, (list, tuple)) and n > 1 and len(spec) == n and (
                all(s is None or isinstance(s, (list, tuple)) for s in spec)
                or all(isinstance(s, _metrics.Metric) for s in spec))
            for i, name in enumerate(names):
                ms = spec.get(name, []) if isinstance(spec, dict) else \
                    (spec[i] if spec[i] is not None else []) if per_output else (spec or [])
                ms = [ms] if isinstance(ms, (str, _metrics.Metric)) or callable(ms) else ms
                objs = [_metrics.get(m, losses[i]) for m in ms]
                for m in objs:
                    m._weighted = weighted
                    if weighted and any(o.name == m.name for o in per[i]):
                        m.name = f"weighted_{m.name}"
                    if n > 1:
                        m.name = f"{name}_{m.name}"
                per[i].extend(objs)
        self._compiled_losses = list(zip(losses, weights, per))
        self.compiled_metrics = _compiled.CompiledMetrics(self, [m for objs in per for m in objs])

    def _array_options(self):
        """How batching.as_arrays reads this model's inputs: str arrays kept for a text model;
        for a functional model, the names of its inputs (keys of a dict x that name no input,
        such as image_ocr.py's 'source_str' list, are dropped with a warning, as in Keras)."""
        keys = None
        struct = getattr(self, "_inputs_struct", None)
        if isinstance(struct, dict):
            keys = list(struct)
        elif getattr(self, "inputs", None):
            keys = [t.name for t in self.inputs]
        return {"text": self._takes_text(), "input_keys": keys,
                "int_inputs": self._int_input_flags()}

    def _int_input_flags(self):
        """Which inputs are a keras.Input of an integer or bool dtype (by key for a dict of
        inputs, else by position), or None when none is: their integer arrays stay integers
        in fit / evaluate / predict instead of going through floatx (float32 rounds ids above
        2^24), and the functional call gives them the Input's dtype."""
        def integer(t):
            return _b.is_integer_dtype_name(getattr(t, "dtype", None))
        struct = getattr(self, "_inputs_struct", None)
        if isinstance(struct, dict):
            flags = {k: integer(v) for k, v in struct.items()}
            return flags if any(flags.values()) else None
        flags = [integer(t) for t in getattr(self, "inputs", None) or ()]
        return flags if any(flags) else None

    def _takes_text(self):
        """True when a keras.Input(dtype="string") is among the model's inputs: its data is text,
        kept as str arrays for the TextVectorization behind it."""
        if any(getattr(t, "dtype", None) == "string" for t in getattr(self, "inputs", ()) or ()):
            return True
        # a Sequential opening with TextVectorization / StringLookup (keras-io's
        # `Sequential([text_vectorizer, model])` inference model) takes raw strings too
        first = (self.__dict__.get("_layers") or [None])[0]
        return bool(getattr(first, "takes_text", False))

    def _require_compiled(self, what):
        if not self.compiled:
            raise RuntimeError(f"[{what}] you must call compile() before {what}(), e.g. "
                               "model.compile(optimizer='adam', loss='binary_crossentropy')")

    @property
    def metrics(self):
        """The loss tracker, the compiled metrics, then metric objects held by the model or its
        layers (attributes, add_metric). A model used as a layer contributes none of its own
        (its loss tracker and compiled metrics would shadow this model's, as keras-io's
        end-to-end text model nests the compiled classifier); Keras 3 skips them too."""
        out = [self._loss_tracker] + list(self.compiled_metrics) if self.compiled else []
        for layer in self.modules():  # metrics held by the model and its layers (Keras 3)
            if layer is not self and isinstance(layer, Trainer):
                continue
            for v in getattr(layer, "_own_metrics", list)():
                if all(v is not m for m in out):
                    out.append(v)
        return out

    @property
    def metrics_names(self):
        return [m.name for m in self.metrics]

    def _default_step(self, step):
        """Whether `step` ('train_step' / 'test_step') is the built-in one: only that one
        needs (x, y) batches of equal sample counts; an overridden step decides for itself
        (keras-io's metric-learning model trains on x-only batches, NNCLR on a zip of an
        unlabeled and a labeled batch)."""
        return getattr(type(self), step) is getattr(Trainer, step)

    def _step_data(self, step, data):
        """The batch `step` gets: arrays for the built-in step (its fast path), Tensors for an
        overridden one (batching.as_tensors)."""
        return data if self._default_step(step) else _b.as_tensors(data)

    def _needs_y(self, step):
        """Whether every batch must bring targets: the built-in step of a model compiled with
        a loss."""
        return self._loss_spec is not None and self._default_step(step)

    def _logs_as_list(self, logs):
        """The values of `logs` in Keras' order (its _flatten_metrics_in_order): the model's
        metrics (loss tracker, compiled metrics, then its own) by name, then any other key a
        custom train_step / test_step returned, sorted by name; one value alone is returned
        bare."""
        names = [m.name for m in self.metrics]
        vals = [logs[n] for n in names if n in logs]
        vals += [logs[k] for k in sorted(logs) if k not in names]
        return vals[0] if len(vals) == 1 else vals

    def reset_metrics(self):
        for m in self.metrics:
            m.reset_state()

    # ---- the steps ---------------------------------------------------------------------------
    def compute_loss(self, x=None, y=None, y_pred=None, sample_weight=None, training=True):
        """Sum over outputs of loss_weight * loss(y, y_pred), plus the model's `losses`
        (add_loss terms and weight penalties)."""
        preds = tree.flatten(y_pred)
        if self._compiled_losses is None and self._loss_spec is not None:
            self._resolve_compile(len(preds))
        total = None
        if self._compiled_losses is not None and any(lf for lf, _, _ in self._compiled_losses):
            if y is None:
                raise ValueError("[compute_loss] the model was compiled with a loss, so y "
                                 "(the targets) is required")
            ys = self._flat_targets(y, len(preds))
            sws = self._flat_sample_weights(sample_weight, len(preds))
            for (loss_fn, w, _), yt, yp, sw in zip(self._compiled_losses, ys, preds, sws):
                if loss_fn is not None:
                    term = loss_fn(yt, yp, sw)
                    term = term if w == 1.0 else term * w
                    total = term if total is None else total + term
        for penalty in self.losses:
            total = penalty if total is None else total + penalty
        if total is None:  # Keras 3: no compiled loss and no added loss is a zero loss
            from ..creation import tensor as _tensor
            return _tensor(np.float32(0.0))
        return total

    def _require_loss(self):
        owner = next(c for c in type(self).__mro__ if "compute_loss" in c.__dict__)
        if not owner.__module__.startswith("pyengine."):
            return  # the model's own compute_loss decides the loss (compile(optimizer) only)
        if not any(lf for lf, _, _ in self._compiled_losses or ()) and not self.losses:
            raise ValueError("[fit] there is no loss to minimize: pass loss= to compile(), "
                             "call self.add_loss() in call(), or override train_step")

    def _flat_targets(self, y, n):
        if n == 1:
            if isinstance(y, dict) and list(y) == self._output_names(1):
                return [y[next(iter(y))]]  # {output name: targets} (Keras 2 generators)
            return [y[0] if isinstance(y, (list, tuple)) and len(y) == 1 else y]
        if isinstance(y, dict):
            names = self._output_names(n)
            losses = [lf for lf, _, _ in self._compiled_losses or [(True, 0, 0)] * n]
            missing = [k for k, lf in zip(names, losses) if k not in y and lf]
            if missing:
                raise ValueError(f"[fit] targets lack outputs {missing}; expected keys {names}")
            return [y.get(k) for k in names]  # None for an output without a loss (Keras 3)
        if isinstance(y, (list, tuple)) and len(y) == n:
            return list(y)
        # Keras 3: with loss=[fn, None] the targets given (one array, or a list) go, in order,
        # to the outputs that have a loss (keras-io miniature GPT: outputs [logits, x], one y)
        with_loss = [i for i, (lf, _, _) in enumerate(self._compiled_losses or ()) if lf]
        given = list(y) if isinstance(y, (list, tuple)) else [y]
        if with_loss and len(with_loss) < n and len(given) == len(with_loss):
            out = [None] * n
            for i, t in zip(with_loss, given):
                out[i] = t
            return out
        if not with_loss and len(given) < n:
            # no compiled loss (a compute_loss override, keras-io BASNet: 8 side outputs, one
            # mask): Keras 3 zips the targets with the outputs, so the metrics of the first
            # len(y) outputs are updated and the others are not
            return given + [None] * (n - len(given))
        if not isinstance(y, (list, tuple)) and len(with_loss) == n:
            # Keras (tf.keras' _conform_to_outputs, Keras 3): one target array serves every
            # output (the migration guide's evaluate(x, y) of a two-output model)
            return [y] * n
        raise ValueError(f"[fit] the model has {n} outputs; pass y as a list or dict of "
                         f"{n} target arrays" + (f", or {len(with_loss)} for the outputs "
                         f"that have a loss ({with_loss})" if len(with_loss) < n else ""))

    def _flat_sample_weights(self, sample_weight, n):
        """One sample weight per output: a list (or a dict by output name) of per-output
        weights, as Keras' multi-output models take them (ACGAN weights its auxiliary loss
        on real images only), or one array for every output."""
        if sample_weight is None:
            return [None] * n
        if isinstance(sample_weight, dict):
            names = self._output_names(n)
            unknown = sorted(set(sample_weight) - set(names))
            if unknown:
                raise ValueError(f"[compute_loss] sample_weight has keys {unknown} that are "
                                 f"not outputs; expected keys among {names}")
            return [sample_weight.get(k) for k in names]
        if n > 1 and isinstance(sample_weight, (list, tuple)):
            if len(sample_weight) != n:
                raise ValueError(f"[compute_loss] sample_weight is a list of "
                                 f"{len(sample_weight)} entries for a model with {n} outputs: "
                                 "pass one weight array per output, or one array for all")
            return list(sample_weight)
        return [sample_weight] * n

    def compute_metrics(self, x, y, y_pred, sample_weight=None):
        """Updates the compiled metrics with this batch; returns every metric's result."""
        if self._compiled_losses is not None and y is not None:
            preds = tree.flatten(y_pred)
            for (_, _, ms), yt, yp, sw in zip(self._compiled_losses,
                                             self._flat_targets(y, len(preds)), preds,
                                             self._flat_sample_weights(sample_weight,
                                                                       len(preds))):
                if yt is None:  # an output without a loss and without a target
                    continue
                for m in ms:
                    # mean metrics read y_pred's Keras mask (as Keras 3); others get arrays
                    pred = yp._data if isinstance(yp, Tensor) and not isinstance(
                        m, _metrics.MeanMetricWrapper) else yp
                    m.update_state(yt, pred, sw if getattr(m, "_weighted", False) else None)
        return self.get_metrics_result()

    def get_metrics_result(self):
        out = {}
        for m in self.metrics:
            r = m.result()
            if isinstance(r, dict):
                out.update(r)
            else:
                out[m.name] = r
        return out

    def train_step(self, data):
        """One optimizer step on a batch: forward, compute_loss, gradients, apply_gradients
        (skipped when the loss is not finite: fit then stops), metrics. Returns the logs."""
        x, y, sample_weight = _b.unpack_x_y_sample_weight(data)
        # weights frozen after compile still train here (they get gradients for this step)
        thawed = [p for p in getattr(self, "_compiled_trainable", None) or ()
                  if not p.requires_grad]
        for p in thawed:
            p.requires_grad = True
        try:
            y_pred = self(x, training=True)
            params = self._weights_to_train()  # after the call: a lazily built model has them
            loss = self._compute_loss(x, y, y_pred, sample_weight, training=True)
            self._require_loss()
            self._loss_tracker.update_state(loss._data, sample_weight=_b.first_leaf_samples(x))
            if not params:  # Keras 3 warns and trains nothing (a model of pass-through layers)
                warnings.warn(f"[{self.name}] the model does not have any trainable weights",
                              stacklevel=2)
            elif np.isfinite(loss._data).all():
                for p in params:
                    p.grad = None
                if loss.requires_grad:  # else no weight reaches the loss: every gradient is None
                    # a compute_loss override may return a per-sample vector (keras-io BASNet):
                    # as TensorFlow's tape.gradient, the gradient is that of its sum (the
                    # tracked loss above is its mean)
                    (loss if loss.ndim == 0 else loss.sum()).backward()
                self.optimizer.apply_gradients([(p.grad, p) for p in params])
        finally:
            for p in thawed:
                p.requires_grad = False
        return self.compute_metrics(x, y, y_pred, sample_weight)

    def _weights_to_train(self):
        """The weights that were trainable at compile: Keras documents that `trainable` set
        after compile takes effect at the next compile (ACGAN compiles its discriminator, sets
        `discriminator.trainable = False`, then compiles the combined model: the discriminator
        still trains in its own train_on_batch and is frozen in the combined one). A model
        without weights at compile (built at its first batch) takes them at its first step."""
        if getattr(self, "_compiled_trainable", None) is None:
            self._compiled_trainable = list(self.trainable_weights) or None
        return self._compiled_trainable or []

    def _trainable_as_compiled(self):
        snap = getattr(self, "_compiled_trainable", None)
        return snap is None or [id(w) for w in snap] == [id(w) for w in self.trainable_weights]

    def test_step(self, data):
        x, y, sample_weight = _b.unpack_x_y_sample_weight(data)
        y_pred = self(x, training=False)
        loss = self._compute_loss(x, y, y_pred, sample_weight, training=False)
        self._loss_tracker.update_state(loss._data, sample_weight=_b.first_leaf_samples(x))
        return self.compute_metrics(x, y, y_pred, sample_weight)

    def _compute_loss(self, x, y, y_pred, sample_weight, training):
        """compute_loss with `training` when it takes it: as Keras 3's wrapper, since an
        override written before Keras 3.3 added the argument (keras-io AdaIN's
        `compute_loss(self, x=None, y=None, y_pred=None, sample_weight=None)`) has none."""
        import inspect
        try:
            params = inspect.signature(self.compute_loss).parameters
        except (TypeError, ValueError):
            params = {}
        if "training" in params or any(p.kind is p.VAR_KEYWORD for p in params.values()):
            return self.compute_loss(x, y, y_pred, sample_weight, training=training)
        return self.compute_loss(x, y, y_pred, sample_weight)

    def predict_step(self, data):
        x, _, _ = _b.unpack_x_y_sample_weight(data)
        return self(x, training=False)

    # ---- data checks -------------------------------------------------------------------------
    def _output_shapes(self, x):
        outs = getattr(self, "outputs", None)
        if outs:
            return [t.shape for t in outs]
        with no_grad():
            y = self(_b.take(x, slice(0, 2)), training=False)
        return [(None,) + tuple(t.shape[1:]) for t in tree.flatten(y)]

    def _prepare(self, x, y, what, sample_weight=None):
        x = _b.as_arrays(x, what, **self._array_options())
        n = _b.num_samples(x, what)
        if n == 0:
            raise ValueError(f"[{what}] x is empty")
        if hasattr(self, "_check_input") and not tree.is_nested(x):
            self._check_input(x.shape)
        elif getattr(self, "_nodes", None) is not None:
            self._flat_inputs(x)
        if y is None:
            return x, None
        y = _b.as_arrays(y, what, floating=False)
        if _b.num_samples(y, what, "y") != n:
            raise ValueError(f"[{what}] x and y have different numbers of samples: {n} vs "
                             f"{_b.num_samples(y, what, 'y')}")
        if getattr(self, "_nodes", None) is None and \
                getattr(type(self).call, "_subclass_defines", False):
            # A Model subclass without call() whose own train_step / test_step run other
            # models (keras-io's Distiller, GANs): no output of its own to check y against.
            return x, y
        shapes = self._output_shapes(x)
        if self._compiled_losses is None and self._loss_spec is not None:
            self._resolve_compile(len(shapes))
        if self._compiled_losses is not None:
            ys = self._flat_targets(y, len(shapes))
            try:
                ys = [yt if lf is None else lf.validate(yt, shape)
                      for (lf, _, _), yt, shape in zip(self._compiled_losses, ys, shapes)]
            except ValueError as e:
                if len(shapes) == 1 or isinstance(y, (list, tuple, dict)):
                    raise
                raise ValueError(f"[{what}] the model has {len(shapes)} outputs; pass y as a "
                                 f"list or dict of {len(shapes)} target arrays (one array "
                                 f"serves every output only when it fits each: {e})") from None
            if len(shapes) == 1:
                y = ys[0]
            elif isinstance(y, dict):
                y = {k: yt for k, yt in zip(self._output_names(len(shapes)), ys)
                     if yt is not None}
            elif isinstance(y, (list, tuple)) and len(y) == len(shapes):
                y = ys
            else:  # targets for the outputs that have a loss only (see _flat_targets)
                ys = [yt for yt in ys if yt is not None]
                y = ys if isinstance(y, (list, tuple)) else ys[0]
        return x, y

    # ---- fit -------------------------------------------------------------------------------
    def fit(self, x=None, y=None, batch_size=None, epochs=1, verbose="auto", callbacks=None,
            validation_split=0.0, validation_data=None, shuffle=True, class_weight=None,
            sample_weight=None, initial_epoch=0, steps_per_epoch=None, validation_steps=None,
            validation_batch_size=None, validation_freq=1, **kwargs):
        """Trains for `epochs` epochs; returns a History whose .history maps 'loss', metric
        names and their 'val_' forms to per-epoch values. x may also be an iterable of
        batches (each x, (x, y) or (x, y, sample_weight))."""
        self._require_compiled("fit")
        epochs = kwargs.pop("nb_epoch", epochs)  # Keras 1 spelling, still in tutorials
        loading = {k: kwargs.pop(k) for k in ("workers", "max_queue_size", "use_multiprocessing")
                   if k in kwargs}  # Keras 2's (trainer_generators.loading_arguments)
        if kwargs:
            raise TypeError(f"[fit] unrecognized arguments: {sorted(kwargs)}")
        if loading:
            x = loading_arguments("fit", x, **loading)
        batch_size = _fixed.batch_size_for(self, batch_size, x, "fit")
        verbose = 1 if verbose == "auto" else verbose
        dataset = _adapters.is_source(x)
        if dataset:
            if y is not None or sample_weight is not None:
                raise ValueError("[fit] with a dataset, DataLoader, generator or PyDataset x, y "
                                 "and sample_weight come from its elements; do not pass them")
            if validation_split:
                raise ValueError("[fit] validation_split is only supported for arrays; pass "
                                 "validation_data with a dataset or generator")
            adapter = _adapters.Adapter(x, "fit", steps_per_epoch, shuffle, class_weight,
                                        need_y=self._needs_y("train_step"),
                                        check_counts=self._default_step("train_step"),
                                        **self._array_options())
            n = None
        else:
            x = _b.as_arrays(x, "fit", **self._array_options())
            y = _b.as_arrays(y, "fit", floating=False)
            if class_weight is not None:
                if sample_weight is not None or tree.is_nested(y):
                    raise ValueError("[fit] class_weight needs a single target array and no "
                                     "sample_weight")
                sample_weight = _b.class_weights_to_sample_weights(class_weight, y, "fit")
            if validation_data is None and validation_split:
                if not 0.0 < validation_split < 1.0:
                    raise ValueError(f"[fit] validation_split must be in (0, 1). Received: "
                                     f"validation_split={validation_split}")
                cut = int(_b.num_samples(x, "fit") * (1.0 - validation_split))
                validation_data = (_b.take(x, slice(cut, None)), _b.take(y, slice(cut, None)))
                x, y = _b.take(x, slice(0, cut)), _b.take(y, slice(0, cut))
                sample_weight = _b.take(sample_weight, slice(0, cut))
            x, y = self._prepare(x, y, "fit")
            if sample_weight is not None:
                sample_weight = np.asarray(sample_weight, np.float32).reshape(-1)
                if len(sample_weight) != _b.num_samples(x, "fit"):
                    raise ValueError("[fit] sample_weight must have one weight per sample")
            n = _b.num_samples(x, "fit")
        if validation_data is not None and not _adapters.is_source(validation_data):
            # (x_val,) too, as Keras 3 unpacks it: a model whose compute_loss needs no targets
            if not isinstance(validation_data, (tuple, list)) or \
                    len(validation_data) not in (1, 2, 3):
                raise ValueError("[fit] validation_data must be a tuple (x_val,), (x_val, y_val) "
                                 "or (x_val, y_val, val_sample_weight), a dataset, DataLoader, "
                                 "generator or PyDataset")
        steps = adapter.steps_per_epoch if dataset else math.ceil(n / batch_size)
        stream = None
        if steps_per_epoch is not None and n is not None:
            # arrays with steps_per_epoch: each epoch continues where the last one stopped and
            # a used-up pass starts a new one (new order), as for datasets (data_adapters.py),
            # so every sample is reached even with shuffle=False, as in Keras 3
            steps = int(steps_per_epoch)
            stream = _index_stream(n, batch_size, shuffle)
        history = _cb.History()
        progbar = _cb.ProgbarLogger(verbose)
        cbs = _cb.CallbackList([progbar] + list(callbacks or []) + [history], self,
                               {"epochs": epochs, "steps": steps, "verbose": verbose})
        from . import fused
        plan = None
        if not dataset and sample_weight is None and steps_per_epoch is None \
                and not cbs.wants_batches() and getattr(self.optimizer, "_schedule", None) is None \
                and self._trainable_as_compiled():
            plan = fused.plan(self, y)
        self.stop_training = False
        logs = {}
        self._initial_epoch = initial_epoch  # BackupAndRestore moves it when resuming
        cbs.on_train_begin()
        for epoch in range(self._initial_epoch, epochs):
            self.reset_metrics()
            cbs.on_epoch_begin(epoch)
            if dataset:
                logs = self._epoch(adapter.epoch(), cbs, progbar, steps)
                if adapter.exhausted and not logs:
                    break  # a one-shot source ran out before this epoch
            else:
                order = None if stream is not None else \
                    (_random.get_generator().permutation(n) if shuffle
                     else np.arange(n)).astype(np.int64)
                if plan is not None:
                    nan_ok = any(isinstance(c, _cb.TerminateOnNaN) for c in cbs.callbacks)
                    logs = fused.run_epoch(self, plan, x, y, order, batch_size, progbar, nan_ok)
                else:
                    index_batches = itertools.islice(stream, steps) if stream is not None \
                        else (order[s:s + batch_size] for s in range(0, n, batch_size))
                    batches = ((i, _b.pack(_b.take(x, idx), _b.take(y, idx),
                                           _b.take(sample_weight, idx)))
                               for i, idx in enumerate(index_batches))
                    logs = self._epoch(batches, cbs, progbar, steps)
            if validation_data is not None and not self.stop_training \
                    and (epoch + 1) % validation_freq == 0:
                val = self._validate(validation_data, validation_batch_size or batch_size,
                                     validation_steps, cbs)
                logs.update({f"val_{k}": v for k, v in val.items()})
            cbs.on_epoch_end(epoch, logs)
            if self.stop_training:
                break
        if epochs > self._initial_epoch and getattr(self.optimizer, "use_ema", False):
            # as Keras: the model ends training with the optimizer's moving averages
            self.optimizer.finalize_variable_values(self.trainable_weights)
        cbs.on_train_end(logs)
        return history

    def _validate(self, data, batch_size, steps, cbs):
        # fit's own CallbackList, so its callbacks see on_test_* during validation (as Keras 3)
        if _adapters.is_source(data):
            return self.evaluate(data, verbose=0, return_dict=True, steps=steps, callbacks=cbs)
        x, y, sw = (tuple(data) + (None, None))[:3]
        return self.evaluate(x, y, batch_size=batch_size, verbose=0, return_dict=True,
                             steps=steps, sample_weight=sw, callbacks=cbs)

    def _epoch(self, batches, cbs, progbar, steps):
        """One epoch of train_step calls, grouped into executions of steps_per_execution steps
        for the batch-level callbacks and the progress bar (Keras 3)."""
        logs = {}
        per = getattr(self, "_steps_per_execution", 1)
        start, open_exec, done = 0, False, 0
        for step, data in batches:
            if steps is not None and step >= steps:
                break
            if not open_exec:
                start, open_exec = step, True
                cbs.on_train_batch_begin(start)
            logs = _floats(self.train_step(self._step_data("train_step", data)))
            done = step + 1
            loss = logs.get("loss")
            if loss is not None and not math.isfinite(loss):
                cbs.on_train_batch_end(start, logs)
                if self.stop_training:
                    return logs
                raise FloatingPointError(
                    f"[fit] the loss became NaN or infinite at batch {step}; training stopped and "
                    "that batch's update was not applied. Lower the learning rate, scale the "
                    "inputs, or check the data for NaN/inf")
            if done - start == per:
                open_exec = False
                cbs.on_train_batch_end(start, logs)
                progbar.update(done, logs)
                if self.stop_training:
                    break
        if open_exec:  # the data ended inside an execution
            cbs.on_train_batch_end(start, logs)
            progbar.update(done, logs)
        return logs

    # ---- evaluate / predict ----------------------------------------------------------------
    def evaluate(self, x=None, y=None, batch_size=None, verbose="auto", sample_weight=None,
                 steps=None, callbacks=None, return_dict=False, max_queue_size=10, workers=1,
                 use_multiprocessing=False):
        """[loss, *metrics] on (x, y), batched (a float when there are no metrics). `callbacks`
        get on_test_begin / on_test_batch_begin / on_test_batch_end (running logs) /
        on_test_end (final logs). workers / max_queue_size / use_multiprocessing: Keras 2's,
        see trainer_generators.loading_arguments."""
        self._require_compiled("evaluate")
        x = loading_arguments("evaluate", x, workers, max_queue_size, use_multiprocessing)
        if isinstance(callbacks, _cb.CallbackList):  # fit's, during validation: params kept
            cbs = callbacks
        else:
            cbs = _cb.CallbackList(callbacks or [], self, {"steps": steps, "verbose": verbose},
                                   what="evaluate")
        batch_size = _fixed.batch_size_for(self, batch_size, x, "evaluate")
        if _adapters.is_source(x):
            if y is not None or sample_weight is not None:
                raise ValueError("[evaluate] with a dataset, DataLoader, generator or PyDataset "
                                 "x, y and sample_weight come from its elements")
            adapter = _adapters.Adapter(x, "evaluate", steps, need_y=self._needs_y("test_step"),
                                        check_counts=self._default_step("test_step"),
                                        **self._array_options())
            batches = (data for _, data in adapter.epoch())
        else:
            x, y = self._prepare(x, y, "evaluate")
            if y is None and self._needs_y("test_step") and \
                    self._compiled_losses is not None and \
                    any(lf for lf, _, _ in self._compiled_losses):
                raise ValueError("[evaluate] y (the targets) is required")
            sw = None if sample_weight is None else np.asarray(sample_weight, np.float32)
            n = _b.num_samples(x, "evaluate")
            if sw is not None and len(sw.reshape(-1)) != n:
                raise ValueError(f"[evaluate] sample_weight has {len(sw.reshape(-1))} entries "
                                 f"for {n} samples")
            batches = (_b.pack(_b.take(x, slice(s, s + batch_size)),
                               _b.take(y, slice(s, s + batch_size)),
                               _b.take(sw, slice(s, s + batch_size)))
                       for s in range(0, n, batch_size))
        self.reset_metrics()
        logs, done = {}, 0
        cbs.on_test_begin()
        per, start = getattr(self, "_steps_per_execution", 1), None
        with no_grad():
            for data in batches:
                if steps is not None and done >= steps:
                    break
                if start is None:
                    start = done
                    cbs.on_test_batch_begin(start)
                logs = _floats(self.test_step(self._step_data("test_step", data)))
                done += 1
                if done - start == per:
                    cbs.on_test_batch_end(start, logs)
                    start = None
            if start is not None:
                cbs.on_test_batch_end(start, logs)
        cbs.on_test_end(logs)
        if verbose not in (0, False):
            print(f"{done}/{done} - " + " - ".join(f"{k}: {v:.4f}" for k, v in logs.items()))
        return logs if return_dict else self._logs_as_list(logs)

    def predict(self, x, batch_size=None, verbose="auto", steps=None, callbacks=None,
                max_queue_size=10, workers=1, use_multiprocessing=False):
        """Model outputs as NumPy arrays (the model's output structure), computed in batches.
        verbose 'auto'/1/2 prints the number of batches done (0: silent); `callbacks` get
        on_predict_begin / on_predict_batch_begin / on_predict_batch_end ({'outputs': ...}) /
        on_predict_end. workers / max_queue_size / use_multiprocessing: Keras 2's, see
        trainer_generators.loading_arguments."""
        x = loading_arguments("predict", x, workers, max_queue_size, use_multiprocessing)
        batch_size = _fixed.batch_size_for(self, batch_size, x, "predict")
        cbs = _cb.CallbackList(callbacks or [], self, {"steps": steps, "verbose": verbose},
                               what="predict")
        if _adapters.is_source(x):
            batches = (data for _, data in _adapters.Adapter(
                x, "predict", steps, **self._array_options()).epoch())
        else:
            x = _b.as_arrays(x, "predict", **self._array_options())
            if hasattr(self, "_check_input") and not tree.is_nested(x):
                self._check_input(x.shape)
            n = _b.num_samples(x, "predict")
            batches = (_b.pack(_b.take(x, slice(s, s + batch_size)))
                       for s in range(0, n, batch_size))
        outs = []
        per, start = getattr(self, "_steps_per_execution", 1), None
        cbs.on_predict_begin()

        def execution_outputs():  # the outputs of the steps since `start`, concatenated
            parts = outs[start:]
            return parts[0] if len(parts) == 1 else tree.pack_sequence_as(
                parts[0], [np.concatenate(p) for p in zip(*(tree.flatten(o) for o in parts))])
        with no_grad():
            for i, data in enumerate(batches):
                if steps is not None and i >= steps:
                    break
                if start is None:
                    start = i
                    cbs.on_predict_batch_begin(start)
                outs.append(tree.map_structure(
                    lambda t: t._data if isinstance(t, Tensor) else np.asarray(t),
                    self.predict_step(self._step_data("predict_step", data))))
                if i + 1 - start == per:
                    cbs.on_predict_batch_end(start, {"outputs": execution_outputs()})
                    start = None
            if start is not None:
                cbs.on_predict_batch_end(start, {"outputs": execution_outputs()})
        cbs.on_predict_end()
        if not outs:
            raise ValueError("[predict] x holds no samples")
        if verbose not in (0, False):
            print(f"{len(outs)}/{len(outs)}")
        return tree.pack_sequence_as(outs[0], [np.concatenate(parts) for parts in
                                               zip(*(tree.flatten(o) for o in outs))])

    def predict_on_batch(self, x):
        with no_grad():
            return tree.map_structure(lambda t: t._data, self(
                _b.as_arrays(x, "predict", **self._array_options()), training=False))

    def train_on_batch(self, x, y=None, sample_weight=None, class_weight=None,
                       return_dict=False):
        self._require_compiled("train_on_batch")
        if class_weight is not None:  # as fit: per-sample weights class_weight[label]
            if sample_weight is not None or tree.is_nested(y) or y is None:
                raise ValueError("[train_on_batch] class_weight needs a single target array "
                                 "and no sample_weight")
            sample_weight = _b.class_weights_to_sample_weights(
                class_weight, _b.as_arrays(y, "train_on_batch", floating=False), "train_on_batch")
        x, y = self._prepare(x, y, "train_on_batch")
        self.reset_metrics()
        data = self._step_data("train_step", _b.pack(x, y, sample_weight))
        logs = _floats(self.train_step(data))
        return logs if return_dict else self._logs_as_list(logs)

    def test_on_batch(self, x, y=None, sample_weight=None, return_dict=False):
        self._require_compiled("test_on_batch")
        x, y = self._prepare(x, y, "test_on_batch")
        self.reset_metrics()
        with no_grad():
            data = self._step_data("test_step", _b.pack(x, y, sample_weight))
            logs = _floats(self.test_step(data))
        return logs if return_dict else self._logs_as_list(logs)


def _index_stream(n, batch_size, shuffle):
    """Endless batches of row indices: passes over the n rows, each in a new random order when
    shuffle; a pass's last batch may be short, as Keras' array batches."""
    while True:
        order = (_random.get_generator().permutation(n) if shuffle
                 else np.arange(n)).astype(np.int64)
        for s in range(0, n, batch_size):
            yield order[s:s + batch_size]

