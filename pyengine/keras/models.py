"""Sequential: a stack of layers (from a list or with .add(); a Sequential may contain a
Sequential) with Keras' training API from trainer.Trainer (compile / fit / evaluate / predict)."""
import json
import os
import tempfile

import numpy as np

from .layers.base import InputLayer, Layer, as_output, to_tensor
from .trainer import Trainer


class Sequential(Trainer, Layer):
    def __init__(self, layers=None, name=None, trainable=True):
        super().__init__(name=name, trainable=trainable)
        self._layers = []
        self._declared_input = None
        for layer in layers or []:
            self.add(layer)

    # ---- structure -----------------------------------------------------------------------
    def add(self, layer):
        if not isinstance(layer, Layer):
            raise TypeError(f"[Sequential] only keras layers can be added. Received: {layer!r}")
        if isinstance(layer, InputLayer):
            if self._layers:
                raise ValueError("[Sequential] an Input must be the first layer")
            self._declared_input = layer._input_shape_arg
            return
        declared = layer._declared_input if isinstance(layer, Sequential) else \
            layer._input_shape_arg
        if not self._layers and self._declared_input is None and declared:
            self._declared_input = tuple(declared)
        self._layers.append(layer)
        self.built = False
        if self._declared_input is not None:
            self.build()  # Keras builds as soon as the input shape is known

    def pop(self):
        if not self._layers:
            raise TypeError("[Sequential] there are no layers in the model")
        self.built = False
        return self._layers.pop()

    @property
    def layers(self):
        return list(self._layers)

    def _sublayers(self):
        return self._layers

    @property
    def input_shape(self):
        return None if self._declared_input is None else (None,) + tuple(self._declared_input)

    def build(self, input_shape=None):
        input_shape = tuple(input_shape) if input_shape is not None else self.input_shape
        if input_shape is None:
            raise ValueError(f"[{self.name}] the input shape is unknown: pass input_shape= / "
                             "input_dim= to the first layer, start with keras.Input(shape=...), "
                             "or call the model on data first")
        self._build_shape = (1,) + tuple(input_shape[1:])
        self(np.zeros(self._build_shape, np.float32))

    def _ensure_built(self, x=None):
        if not self.built or any(not lyr.built for lyr in self._layers):
            if x is not None:
                self(np.asarray(x[:1]))
            else:
                self.build()

    def _check_input(self, shape):
        decl = self._declared_input
        if decl is not None and tuple(shape[1:]) != tuple(decl) and None not in decl:
            raise ValueError(f"[{self.name}] expected input of shape (None,) + {tuple(decl)}, "
                             f"received {tuple(shape)}")

    def call(self, x, training=False):
        self._check_input(x.shape)
        for layer in self._layers:
            x = layer(x, training=training)
        return x

    def __call__(self, x, training=False):
        x = to_tensor(x)
        if self._declared_input is None:
            self._declared_input = tuple(x.shape[1:])
        y = self.call(x, training=training)
        self.built = True
        self.output_shape_ = (None,) + tuple(y.shape[1:])
        return as_output(y)

    # ---- reporting -------------------------------------------------------------------------
    def summary(self, print_fn=None):
        print_fn = print_fn or print
        self._ensure_built()
        rows = []
        for layer in self._layers:
            rows.append((f"{layer.name} ({type(layer).__name__})", str(layer.output_shape_),
                         f"{layer.count_params():,}"))
        line, thick = "_" * 65, "=" * 65
        out = [f'Model: "{self.name}"', line,
               f"{'Layer (type)':<29}{'Output Shape':<26}{'Param #':<10}", thick]
        for i, (a, b, c) in enumerate(rows):
            out.append(f"{a:<28} {b:<25} {c}")
            out.append(thick if i == len(rows) - 1 else line)
        total = self.count_params()
        trainable = int(sum(w.data.size for w in self.trainable_weights))
        out += [f"Total params: {total:,}", f"Trainable params: {trainable:,}",
                f"Non-trainable params: {total - trainable:,}", line]
        for s in out:
            print_fn(s)

    # ---- weights on disk -------------------------------------------------------------------
    def save_weights(self, filepath, overwrite=True, extra=None):
        """Writes every weight to an .npz file (no pickle), through a temp file and a rename,
        so a crash never leaves a half-written file."""
        filepath = os.fspath(filepath)
        if not overwrite and os.path.exists(filepath):
            raise FileExistsError(f"[save_weights] {filepath} exists and overwrite=False")
        self._ensure_built()
        arrays = {f"{i:04d}": w.data for i, w in enumerate(self.weights)}
        arrays.update(extra or {})
        folder = os.path.dirname(os.path.abspath(filepath))
        os.makedirs(folder, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=folder, prefix=".tmp-", suffix=".npz")
        try:
            with os.fdopen(fd, "wb") as f:
                np.savez(f, **arrays)
                f.flush()
                os.fsync(f.fileno())
            os.replace(tmp, filepath)
        except BaseException:
            if os.path.exists(tmp):
                os.remove(tmp)
            raise

    def load_weights(self, filepath):
        filepath = os.fspath(filepath)
        self._ensure_built()
        try:
            with np.load(filepath, allow_pickle=False) as f:
                arrays = [f[k] for k in sorted(f.files) if not k.startswith("__")]
        except (OSError, ValueError) as e:
            raise ValueError(f"[load_weights] cannot read weights from {filepath}: {e}") from None
        mine = self.weights
        if len(arrays) != len(mine):
            raise ValueError(f"[load_weights] {filepath} holds {len(arrays)} weights, the model "
                             f"has {len(mine)}")
        self.set_weights(arrays)

    def get_config(self):
        layers = ([{"class_name": "InputLayer", "args": [], "kwargs":
                    {"shape": list(self._declared_input)}}] if self._declared_input else [])
        return {"class_name": "Sequential", "args": [],
                "kwargs": {"name": self.name,
                           "layers": layers + [lyr.get_config() for lyr in self._layers]}}

    def save(self, filepath, overwrite=True):
        """Architecture (JSON of each layer's arguments) and weights in one .npz file, written
        atomically; `keras.models.load_model(filepath)` rebuilds the model. Compile again after
        loading (optimizer state is not saved)."""
        try:
            config = json.dumps(self.get_config())
        except TypeError as e:
            raise ValueError(f"[save] the model's layer arguments must be JSON values (strings, "
                             f"numbers, lists) to be saved; use save_weights instead "
                             f"({e})") from None
        self.save_weights(filepath, overwrite, extra={"__config__": np.array(config)})


def load_model(filepath, compile=True):
    """A model saved with `model.save(filepath)`, with its weights."""
    from . import layers as _layers

    def build(cfg):
        if cfg["class_name"] == "Sequential":
            kw = dict(cfg["kwargs"])
            return Sequential([build(c) for c in kw.pop("layers")], **kw)
        cls = getattr(_layers, cfg["class_name"], None)
        if cls is None:
            raise ValueError(f"[load_model] unknown layer class {cfg['class_name']!r}")
        return cls(*cfg["args"], **cfg["kwargs"])

    filepath = os.fspath(filepath)
    try:
        with np.load(filepath, allow_pickle=False) as f:
            if "__config__" not in f.files:
                raise ValueError("it holds weights only (save_weights); build the model in code "
                                 "and call load_weights")
            config = json.loads(str(f["__config__"]))
    except (OSError, ValueError) as e:
        raise ValueError(f"[load_model] cannot load a model from {filepath}: {e}") from None
    model = build(config)
    model.load_weights(filepath)
    return model
