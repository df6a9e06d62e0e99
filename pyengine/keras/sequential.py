"""Sequential: a stack of single-input layers (from a list or with .add(); a Sequential may
contain a Sequential). Once its input shape is known (an Input first, input_shape= on the first
layer, or the first call) it also records the stack as a functional graph, so shape errors name
the layer at build time and `model.inputs`, `layer.output` work as in Keras."""
import numpy as np

from . import tree
from .layers.base import InputLayer, Layer, add_layer_module, remove_layer_module
from .model import Model, _expand_last
from ..string_dtype import is_string
from ..tensor import Tensor
from .symbolic import KerasTensor


def _functional_input(layer):
    """The one symbolic Input of a functional model (not a Sequential), else None."""
    if isinstance(layer, Sequential) or not isinstance(layer, Model):
        return None
    inputs = layer.__dict__.get("inputs")
    if isinstance(inputs, (list, tuple)) and len(inputs) == 1 and \
            isinstance(inputs[0], KerasTensor):
        return inputs[0]
    return None


class Sequential(Model):
    def __init__(self, layers=None, name=None, trainable=True):
        super().__init__(name=name, trainable=trainable)
        self._layers = []
        self._declared_input = None
        self._declared_batch = None  # fixed batch dimension: Input(batch_size=), batch_input_shape=
        self._input_from_call = False  # shape taken from the first call: only its rank is checked
        # the input's dtype when it is not the float default: Input(dtype="string"), or a string
        # graph tensor the model is called on (Sequential([StringLookup, Embedding])(text_input))
        self._declared_dtype = None
        for layer in layers or []:
            self.add(layer)

    # ---- structure -----------------------------------------------------------------------
    def add(self, layer):
        if isinstance(layer, KerasTensor) and isinstance(layer._keras_history[0], InputLayer):
            layer = layer._keras_history[0]
        if not isinstance(layer, Layer):
            raise TypeError(f"[Sequential] only keras layers can be added. Received: {layer!r}")
        if isinstance(layer, InputLayer):
            if self._layers:
                raise ValueError("[Sequential] an Input must be the first layer")
            self._declared_input = layer._input_shape_arg
            self._declared_batch = layer._batch_size_arg
            self._declared_dtype = layer.input_dtype
            self._input_from_call = False
            return
        # a Sequential's input shape counts when declared (Input / input_shape=), not when
        # taken from its first call: TF's data_augmentation tutorial calls
        # resize_and_rescale on one unbatched image, then stacks it first in another
        # Sequential that later gets batches (Keras builds only from a declared Input)
        declared = (None if layer._input_from_call else layer._declared_input) \
            if isinstance(layer, Sequential) else layer._input_shape_arg
        batch = layer._declared_batch if isinstance(layer, Sequential) else layer._batch_size_arg
        graph_input = _functional_input(layer)
        if declared is None and graph_input is not None:
            # a functional model first (Sequential([MobileNetV2(input_shape=...), ...])): its
            # Input gives the shape, and Keras builds the stack at once
            declared, batch = graph_input.shape[1:], graph_input.shape[0]
            if self._declared_dtype is None and is_string(graph_input.dtype):
                self._declared_dtype = graph_input.dtype
        if not self._layers and self._declared_input is None and declared:
            self._declared_input = tuple(declared)
            self._declared_batch = batch
        if any(lyr.name == layer.name for lyr in self._layers):
            raise ValueError(f"[Sequential] all layers must have unique names; "
                             f"'{layer.name}' is already in the model")
        self._layers.append(layer)
        add_layer_module(self, layer)
        self.built = False
        if self._declared_input is not None:
            try:
                self._build_graph()  # Keras builds as soon as the input shape is known
            except Exception:
                self._layers.pop()
                remove_layer_module(self, layer)
                raise

    def pop(self):
        if not self._layers:
            raise TypeError("[Sequential] there are no layers in the model")
        self.built = False
        layer = self._layers.pop()
        remove_layer_module(self, layer)
        outs = self.__dict__.get("_graph_outs")
        if outs and len(outs) > len(self._layers) + 1:
            outs.pop()
        return layer

    @property
    def layers(self):
        return list(self._layers)

    @property
    def input_shape(self):
        return None if self._declared_input is None else \
            (self._declared_batch,) + tuple(self._declared_input)

    def _build_graph(self):
        """Runs the stack on a symbolic Input of the declared shape: builds every layer, checks
        shapes, and records nodes (model.inputs / outputs, layer.output)."""
        from .layers.base import Input
        outs = self.__dict__.get("_graph_outs")
        if not outs or len(outs) > len(self._layers) + 1 or \
                outs[0].shape != (self._declared_batch,) + tuple(self._declared_input):
            outs = [Input(shape=self._declared_input, batch_size=self._declared_batch,
                          dtype=self._declared_dtype)]
        del outs[len(self._layers) + 1:]
        for layer in self._layers[len(outs) - 1:]:
            outs.append(layer(outs[-1]))
        self._graph_outs = outs
        self.inputs, self.outputs = [outs[0]], [outs[-1]]
        self.built = True

    def build(self, input_shape=None):
        if input_shape is not None:
            self._declared_input = tuple(input_shape[1:])
            self._input_from_call = False
        if self._declared_input is None:
            raise ValueError(f"[{self.name}] the input shape is unknown: pass input_shape= / "
                             "input_dim= to the first layer, start with keras.Input(shape=...), "
                             "or call the model on data first")
        self._build_graph()

    def _buildable_without_data(self):
        return self.built or self._declared_input is not None

    def _ensure_built(self, x=None):
        if self.built and all(lyr.built for lyr in self._layers):
            return
        if self._declared_input is None and x is not None:
            self._declared_input = tuple(np.shape(x)[1:])
            self._input_from_call = True
        self.build()

    def _rank_step(self, shape):
        """Keras' rank adjustment of a model input (Functional._adjust_input_rank): +1 where the
        data is one rank short of the input and the input's last dimension is 1 (a (N,) column
        into input_shape=[1]), -1 where it has one extra trailing dimension of 1, else 0."""
        decl = self._declared_input
        if not decl:
            return 0
        if len(shape) == len(decl) and decl[-1] == 1:
            return 1
        if len(shape) == len(decl) + 2 and shape[-1] == 1:
            return -1
        return 0

    def _rank_adjusted(self, x):
        step = self._rank_step(tuple(x.shape))
        return _expand_last(x) if step == 1 else x[..., 0] if step == -1 else x

    def _check_input(self, shape):
        """A declared input shape (Input, input_shape=, build) is checked dim by dim; one taken
        from the first call only by rank, as Keras 3: the layers check the dims they need (Dense
        the last), so a second batch with another sequence length runs. Shapes Keras' rank
        adjustment conforms (see _rank_step) pass."""
        step = self._rank_step(tuple(shape))
        shape = tuple(shape) + (1,) if step == 1 else tuple(shape)[:-1] if step == -1 else shape
        decl = self._declared_input
        if decl is not None and self._input_from_call:
            decl = (None,) * len(decl)
        if decl is not None and (len(shape) != len(decl) + 1 or any(
                d is not None and d != s for d, s in zip(decl, shape[1:]))):
            raise ValueError(f"[{self.name}] expected input of shape (None,) + {tuple(decl)}, "
                             f"received {tuple(shape)}")

    def call(self, x, training=None):
        if not tree.is_nested(x):
            x = self._rank_adjusted(x)
            self._check_input(x.shape)
        for layer in self._layers:
            x = layer(x)
        return x

    def __call__(self, *args, **kwargs):
        x = args[0] if args else kwargs.get("inputs")
        if self._declared_input is None and hasattr(x, "shape") and not tree.is_nested(x):
            self._declared_input = tuple(x.shape[1:])
            if getattr(x, "_free", False) and len(self._declared_input) > 1:
                # a None dimension lies upstream: the sizes a symbolic tensor shows there may be
                # its short examples' (8 and 9 both give 2 after a stride-4 convolution), so
                # only the last (feature) size is taken; the inner graph stays free to be tried
                # on longer examples (ConvNeXt's stem and downsampling Sequentials on a
                # (None, None, 3) input)
                self._declared_input = (None,) * (len(self._declared_input) - 1) + \
                    self._declared_input[-1:]
            self._input_from_call = True
            raw = x._data if isinstance(x, Tensor) else x  # a Tensor may wrap text
            if is_string(getattr(raw, "dtype", None)):
                self._declared_dtype = "string"
            self._build_graph()
        return super().__call__(*args, **kwargs)

    # Keras 2 (up to TF 2.5) gave Sequential these two; its example programs call them
    # (addition_rnn.py: `model.predict_classes(rowX, verbose=0)`).
    def predict_proba(self, x, batch_size=32, verbose=0):
        """Keras 2: the predictions, warned about when they are not in [0, 1]."""
        preds = self.predict(x, batch_size=batch_size, verbose=verbose)
        if preds.min() < 0.0 or preds.max() > 1.0:
            import warnings
            warnings.warn("[predict_proba] Network returning invalid probability values. The last "
                          "layer might not normalize predictions into probabilities (like "
                          "softmax or sigmoid would).", stacklevel=2)
        return preds

    def predict_classes(self, x, batch_size=32, verbose=0):
        """Keras 2: argmax over the last axis of predict(x), or (p > 0.5) as int32 when that
        axis has one unit (a sigmoid output)."""
        proba = self.predict(x, batch_size=batch_size, verbose=verbose)
        if proba.shape[-1] > 1:
            return proba.argmax(axis=-1)
        return (proba > 0.5).astype("int32")

    def get_config(self):
        from .saving import layer_config
        layers = ([{"class_name": "InputLayer", "args": [], "kwargs":
                    {"shape": list(self._declared_input), "batch_size": self._declared_batch,
                     "dtype": self._declared_dtype}}]
                  if self._declared_input else [])
        return {"class_name": "Sequential", "args": [],
                "kwargs": {"name": self.name,
                           "layers": layers + [layer_config(lyr) for lyr in self._layers]}}
