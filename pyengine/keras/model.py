"""keras.Model: the functional API (`keras.Model(inputs, outputs)` over a graph of layer calls)
and subclassing (`class M(keras.Model)` with `__init__` + `call`), both with Keras' training API
(keras/trainer.py), summary, and weights / whole models on disk (keras/saving.py)."""
import warnings

import numpy as np

from ..autograd import no_grad
from ..nn.layers.container import ModuleDict, ModuleList
from ..tensor import Tensor
from . import batching as _b
from . import tree
from .layers.base import InputLayer, Layer, add_layer_module, call_build, to_tensor
from .symbolic import KerasTensor, Node
from .utils import unique_name as _unique_name
from .trainer import Trainer


def _topological_nodes(outputs, stop=()):
    """Nodes producing `outputs`, each after the nodes it reads (iterative DFS); the walk does
    not go behind tensors whose id is in `stop`."""
    order, done, active = [], set(), set()
    stack = [(t, False) for t in reversed(tree.flatten(outputs))]
    while stack:
        t, expanded = stack.pop()
        if id(t) in stop:
            continue
        layer, ni, _ = t._keras_history
        node = layer._inbound_nodes[ni]
        if id(node) in done:
            continue
        if expanded:
            active.discard(id(node))
            done.add(id(node))
            order.append(node)
            continue
        if id(node) in active:
            raise ValueError(f"[Model] the graph has a cycle through layer '{layer.name}'")
        active.add(id(node))
        stack.append((t, True))
        stack += [(p, False) for p in reversed(node.parents)]
    return order


def _cut_at_inputs(inputs, outputs):
    """Keras 3's clone_graph_nodes: model inputs that are intermediate tensors (not made by
    keras.Input) become new keras.Input tensors of the same shape and dtype, and the nodes
    between them and the outputs are recorded again reading those; what lies before the cut
    is not part of the model. Returns the new (inputs, outputs) structures."""
    new = {}  # id(old KerasTensor) -> its replacement
    for t in tree.flatten(inputs):
        if isinstance(t, KerasTensor) and not isinstance(t._keras_history[0], InputLayer) \
                and id(t) not in new:
            from .symbolic import settle_shape
            settle_shape(t)
            new[id(t)] = InputLayer(shape=t.shape[1:], batch_size=t.shape[0], dtype=t.dtype,
                                    name=_unique_name(f"{t.name}_input"))._output
    if not new:
        return inputs, outputs

    def swap(a):
        return new.get(id(a), a) if isinstance(a, KerasTensor) else a
    for node in _topological_nodes(outputs, stop=set(new)):
        if isinstance(node.layer, InputLayer):
            continue  # an input not given: _init_graph names it as missing
        index = len(node.layer._inbound_nodes)
        outs = tree.map_structure(lambda kt: KerasTensor(
            kt.shape, kt.dtype, kt._examples, (node.layer, index, kt._keras_history[2]),
            name=kt.name, level=kt._level, free=kt._free), node.outputs)
        node.layer._inbound_nodes.append(Node(
            node.layer, tree.map_structure(swap, node.call_args),
            tree.map_structure(swap, node.call_kwargs), outs))
        for old, kt in zip(tree.flatten(node.outputs), tree.flatten(outs)):
            new[id(old)] = kt
    return tree.map_structure(swap, inputs), tree.map_structure(swap, outputs)


def _input_needing_grad(x):
    """x as a float tensor that requires gradients (a new leaf over the same values when it
    requires none; a tensor already in a graph stays as it is)."""
    if isinstance(x, Tensor):
        if x.requires_grad or x._data.dtype.kind != "f":
            return x
        t = x.detach()
    else:
        a = np.asarray(x)
        if a.dtype.kind not in "f":
            return x
        t = Tensor._wrap(np.ascontiguousarray(a, dtype=np.float32 if a.dtype == np.float64
                                              else a.dtype))
    t.requires_grad = True
    return t


def _as_input_dtype(x, dtype):
    """x in the integer or bool dtype of its keras.Input, as Keras 3's functional call converts
    each input to its Input's dtype: an `Input(dtype="int32")` feeding one_hot, gather or
    bitwise ops sees int32 ids, whether fit kept the batch's integers (Trainer's int_inputs)
    or a caller passed floats. Float Inputs take x as it is (layers autocast). Values the
    Input's dtype cannot hold (fractions, out of its range) raise rather than wrap."""
    if not _b.is_integer_dtype_name(dtype):
        return x
    a = x._data if isinstance(x, Tensor) else x
    want = np.dtype(dtype)
    if not isinstance(a, np.ndarray) or a.dtype.kind not in "fbiu" or a.dtype == want:
        return x
    if want.kind == "b":
        return Tensor._wrap(a != 0)
    if a.dtype.kind == "f" and not np.array_equal(a, np.trunc(a)):
        raise ValueError(f"[keras.Model] input of dtype {dtype} received non-integer values")
    info = np.iinfo(want)
    if a.size and (a.min() < info.min or a.max() > info.max):
        raise ValueError(f"[keras.Model] input of dtype {dtype} received values outside "
                         f"[{info.min}, {info.max}] (min {a.min()}, max {a.max()})")
    return Tensor._wrap(a.astype(want))


class Model(Trainer, Layer):
    """A functional model, `keras.Model(inputs, outputs)`, or the base of a subclassed model.

    >>> inputs = keras.Input(shape=(4,))
    >>> outputs = keras.layers.Dense(2)(keras.layers.Dense(8, activation="relu")(inputs))
    >>> model = keras.Model(inputs, outputs)
    """

    def __init__(self, *args, **kwargs):
        inputs = kwargs.pop("inputs", None)
        outputs = kwargs.pop("outputs", None)
        for old, new in (("input", "inputs"), ("output", "outputs")):
            if old in kwargs:  # Keras 1's Model(input=, output=), converted by Keras 2.0-2.2
                if (inputs if new == "inputs" else outputs) is not None:
                    raise TypeError(f"[Model] got both {old}= (Keras 1) and {new}=")
                warnings.warn(f"[Model] `{old}=` is Keras 1's name; use `{new}=`",
                              DeprecationWarning, stacklevel=2)
                if new == "inputs":
                    inputs = kwargs.pop(old)
                else:
                    outputs = kwargs.pop(old)
        if len(args) == 1 and args[0] is self and outputs is None:
            # `super().__init__(self)` in a subclass (TF's text_generation tutorial): tf.keras 2
            # reads one positional argument without outputs as no functional graph
            args = ()
        if args:
            if len(args) > 2:
                raise TypeError(f"[Model] expected (inputs, outputs), received {len(args)} "
                                "positional arguments")
            inputs = args[0]
            outputs = args[1] if len(args) > 1 else outputs
        super().__init__(name=kwargs.pop("name", None), trainable=kwargs.pop("trainable", True),
                         **kwargs)
        self._nodes = None
        if inputs is not None or outputs is not None:
            if inputs is None or outputs is None:
                raise ValueError("[Model] a functional model needs both inputs and outputs")
            self._init_graph(inputs, outputs)

    # ---- the functional graph ---------------------------------------------------------------
    def _init_graph(self, inputs, outputs):
        for t in tree.flatten(inputs):
            if not isinstance(t, KerasTensor):
                raise ValueError(f"[{self.name}] model inputs must be symbolic tensors "
                                 f"(keras.Input(...) or layer outputs). Received: {t!r}")
        for t in tree.flatten(outputs):
            if not isinstance(t, KerasTensor):
                raise ValueError(f"[{self.name}] model outputs must be results of layer calls "
                                 f"on keras.Input tensors. Received: {t!r}")
        inputs, outputs = _cut_at_inputs(inputs, outputs)
        flat_in, flat_out = tree.flatten(inputs), tree.flatten(outputs)
        nodes = _topological_nodes(outputs)
        given = {id(t._keras_history[0]) for t in flat_in}
        for node in nodes:
            if isinstance(node.layer, InputLayer) and id(node.layer) not in given \
                    and getattr(node.layer, "_bound_value", None) is None:
                raise ValueError(f"[{self.name}] graph disconnected: the outputs depend on input "
                                 f"'{node.layer.name}', which is not among the model's inputs "
                                 f"{[t.name for t in flat_in]}")
        layers = [t._keras_history[0] for t in flat_in]
        for node in nodes:
            if all(node.layer is not lyr for lyr in layers):
                layers.append(node.layer)
        names = [lyr.name for lyr in layers]
        dup = sorted({n for n in names if names.count(n) > 1})
        if dup:
            raise ValueError(f"[{self.name}] the layer name(s) {dup} are used more than once; "
                             "all layer names in a model must be unique")
        for lyr in layers:
            add_layer_module(self, lyr)
        self._nodes = [n for n in nodes if not isinstance(n.layer, InputLayer)]
        # Input(tensor=value) inputs the model is not given: constants fed at every run
        self._bound_inputs = [n.outputs for n in nodes if isinstance(n.layer, InputLayer)
                              and id(n.layer) not in given]
        self._graph_layers = layers
        self._inputs_struct, self._outputs_struct = inputs, outputs
        self.inputs, self.outputs = list(flat_in), list(flat_out)
        self.built = True

    # ---- TF-Keras 2's model.add_loss / add_metric of symbolic tensors ------------------------
    def add_loss(self, loss):
        """A scalar Tensor added to the training loss (Layer.add_loss), or, on a functional
        model, a symbolic tensor computed from its graph (`model.add_loss(tf.reduce_sum(x1) *
        0.1)`): TF-Keras 2 evaluates it from the activations of every call."""
        if isinstance(loss, KerasTensor):
            return self._add_graph_endpoint("loss", loss, None)
        return Layer.add_loss(self, loss)

    def add_metric(self, value, name=None, aggregation="mean"):
        """Layer.add_metric, or, on a functional model, a symbolic tensor of its graph whose
        value at every call is averaged over the epoch under `name` (TF-Keras 2)."""
        if isinstance(value, KerasTensor):
            if name is None:
                raise ValueError(f"[{self.name}] add_metric of a symbolic tensor needs name=")
            if aggregation != "mean":
                raise ValueError(f"[{self.name}] add_metric supports aggregation='mean' only. "
                                 f"Received: aggregation={aggregation!r}")
            return self._add_graph_endpoint("metric", value, name)
        return Layer.add_metric(self, value, name, aggregation)

    def _add_graph_endpoint(self, kind, tensor, name):
        if self._nodes is None or isinstance(tensor._keras_history[0], InputLayer) and \
                not any(tensor is t for t in self.inputs):
            raise ValueError(f"[{self.name}] add_{kind} of a symbolic tensor needs a functional "
                             "model (keras.Model(inputs, outputs)) whose graph computes it")
        ends = self.__dict__.setdefault("_graph_endpoints", [])
        ends.append((kind, tensor, name))
        try:
            self._refresh_nodes()
        except ValueError:
            ends.pop()
            raise

    def _refresh_nodes(self):
        """The graph's nodes again, now also those the add_loss / add_metric tensors need."""
        extra = [t for _, t, _ in self.__dict__.get("_graph_endpoints", ())]
        nodes = _topological_nodes(list(self.outputs) + extra)
        given = {id(t._keras_history[0]) for t in self.inputs}
        for node in nodes:
            if isinstance(node.layer, InputLayer) and id(node.layer) not in given \
                    and getattr(node.layer, "_bound_value", None) is None:
                raise ValueError(f"[{self.name}] graph disconnected: the added tensor depends "
                                 f"on input '{node.layer.name}', which is not among the "
                                 f"model's inputs {[t.name for t in self.inputs]}")
        for node in nodes:
            if all(node.layer is not lyr for lyr in self._graph_layers):
                add_layer_module(self, node.layer)
                self._graph_layers.append(node.layer)
        self._nodes = [n for n in nodes if not isinstance(n.layer, InputLayer)]
        # Input(tensor=value) inputs the model is not given: constants fed at every run
        self._bound_inputs = [n.outputs for n in nodes if isinstance(n.layer, InputLayer)
                              and id(n.layer) not in given]

    @property
    def layers(self):
        if self._nodes is not None:
            # Keras 3's Functional.layers (and Keras 2's): the Layer instances; the ops applied
            # to graph tensors (keras.ops / K.* calls and operators, recorded as OpLayer nodes)
            # are not layers. tf.* functions on graph tensors are listed, as tf.keras 2 lists
            # its TFOpLambda layers (tf_names.symbolic_aware marks them).
            from .layers.code_layers import OpLayer
            return [lyr for lyr in self._graph_layers if not isinstance(lyr, OpLayer)
                    or getattr(lyr, "_listed_as_layer", False)]
        # Keras: the direct sub-layers, those held in list / dict attributes included, once each
        found = []
        for m in self._modules.values():
            inner = m.values() if isinstance(m, ModuleDict) else m if isinstance(
                m, ModuleList) else (m,)
            found += [v for v in inner if isinstance(v, Layer) and not any(v is f for f in found)]
        return found

    def reset_states(self):
        """Keras 2: forget the carried state of every stateful layer inside (stateful RNNs
        keep the last batch's final state as the next batch's initial state until reset)."""
        for m in self.modules():
            if m is not self and getattr(m, "stateful", False) is True and \
                    hasattr(m, "reset_states") and not isinstance(m, Model):
                m.reset_states()

    def get_layer(self, name=None, index=None):
        """The layer called `name` (or at position `index` of model.layers)."""
        layers = self.layers
        if index is not None:
            if not -len(layers) <= index < len(layers):
                raise ValueError(f"[get_layer] index {index} out of range: the model has "
                                 f"{len(layers)} layers")
            return layers[index]
        for m in self.modules():
            if isinstance(m, Layer) and m.name == name and m is not self:
                return m
        raise ValueError(f"[get_layer] no layer named '{name}'. Layers: "
                         f"{[lyr.name for lyr in layers]}")

    # Keras 3's Functional overrides Layer.input / output: the structures given to the
    # constructor (a list for several inputs), whatever later calls of the model as a layer
    # recorded; keras-io's seq2seq builds its inference models from `model.input[0]`.
    @property
    def input(self):
        if self._nodes is not None:
            return self._inputs_struct
        if getattr(self, "inputs", None):  # a built Sequential: its one Input
            return _one_or_list(self.inputs)
        return Layer.input.fget(self)

    @property
    def output(self):
        if self._nodes is not None:
            return self._outputs_struct
        if getattr(self, "outputs", None):
            return _one_or_list(self.outputs)
        return Layer.output.fget(self)

    @property
    def input_shape(self):
        """The inputs' shapes (a tuple, or a list for several inputs), None for the batch."""
        if getattr(self, "inputs", None):
            return _shape_list(self.inputs)
        return Layer.input_shape.fget(self)  # a model used as a layer of a graph

    @property
    def output_shape(self):
        if getattr(self, "outputs", None):
            return _shape_list(self.outputs)
        return Layer.output_shape.fget(self)

    def _flat_inputs(self, inputs):
        names = [t.name for t in self.inputs]
        if isinstance(inputs, dict) and not isinstance(self._inputs_struct, dict):
            missing = [n for n in names if n not in inputs]
            if missing:
                raise ValueError(f"[{self.name}] input dict lacks {missing}; expected keys "
                                 f"{names}")
            flat = [inputs[n] for n in names]
        elif isinstance(inputs, dict) and isinstance(self._inputs_struct, dict):
            # matched by key, not by the data dict's order (a DataFrame's columns)
            missing = [k for k in self._inputs_struct if k not in inputs]
            if missing:
                raise ValueError(f"[{self.name}] input dict lacks {missing}; expected keys "
                                 f"{list(self._inputs_struct)}")
            extra = [k for k in inputs if k not in self._inputs_struct]
            if extra:
                warnings.warn(f"[{self.name}] input dict keys {extra} match no model input; "
                              "they are not used", stacklevel=3)
            flat = tree.flatten([inputs[k] for k in self._inputs_struct])
        elif len(self.inputs) == 1 and not isinstance(inputs, (list, tuple, dict)):
            flat = [inputs]
        else:
            flat = tree.flatten(inputs)
        if len(flat) != len(self.inputs):
            raise ValueError(f"[{self.name}] expects {len(self.inputs)} input(s) {names}, "
                             f"received {len(flat)}")
        for i, (t, x) in enumerate(zip(self.inputs, flat)):
            shape = tuple(getattr(x, "shape", np.shape(x)))
            want = t.shape
            # Keras' rank adjustment: a missing or extra trailing dimension of size 1 is
            # added or dropped ((N, 28, 28) into an Input of shape (28, 28, 1))
            if len(want) == len(shape) + 1 and want[-1] == 1:
                flat[i] = x = _expand_last(x)
                shape = shape + (1,)
            elif len(want) == len(shape) - 1 and shape[-1] == 1:
                flat[i] = x = x[..., 0]
                shape = shape[:-1]
            if len(shape) != len(want) or any(w is not None and w != s
                                              for w, s in zip(want[1:], shape[1:])):
                raise ValueError(f"[{self.name}] input '{t.name}' expected shape {want}, "
                                 f"received {shape}")
            flat[i] = _as_input_dtype(x, t.dtype)
        return flat

    def _run_graph(self, inputs):
        flat = self._flat_inputs(inputs)
        if any(n.layer.__dict__.get("_wants_input_gradients") for n in self._nodes):
            # a layer takes gradients w.r.t. graph tensors (tf.gradients in a Lambda, keras-io's
            # eikonal solver): float inputs require gradients and the graph is recorded even
            # under predict's no_grad, as TensorFlow's graph always holds them
            from ..autograd import enable_grad
            with enable_grad():
                return self._run_nodes([_input_needing_grad(x) for x in flat])
        return self._run_nodes(flat)

    def _run_nodes(self, flat):
        values = {id(kt): x for kt, x in zip(self.inputs, flat)}
        for kt in self.__dict__.get("_bound_inputs", ()):
            values[id(kt)] = Tensor._wrap(kt._keras_history[0]._bound_value)

        def fill(a):
            return values[id(a)] if isinstance(a, KerasTensor) else a
        for node in self._nodes:
            args = tree.map_structure(fill, node.call_args)
            kwargs = tree.map_structure(fill, node.call_kwargs)
            out = node.layer(*args, **kwargs)
            for kt, t in zip(tree.flatten(node.outputs), tree.flatten(out)):
                values[id(kt)] = t
        for kind, kt, name in self.__dict__.get("_graph_endpoints", ()):
            if kind == "loss":  # cleared at the next top-level call, as call-time add_loss
                Layer.add_loss(self, values[id(kt)])
            else:
                Layer.add_metric(self, values[id(kt)], name=name)
        return tree.map_structure(lambda kt: values[id(kt)], self._outputs_struct)

    def _inputs_to_tensors(self, inputs):
        # an integer keras.Input takes NumPy integers as they are, not through floatx (float32
        # rounds ids above 2^24); _as_input_dtype then gives them the Input's dtype
        flags = self._int_input_flags() if self._nodes is not None else None
        if not flags:
            return Layer._inputs_to_tensors(self, inputs)
        names = [t.name for t in self.inputs]

        def convert(a, integer):
            if integer and isinstance(a, np.ndarray) and a.dtype.kind in "biu":
                return Tensor._wrap(np.ascontiguousarray(a))
            return to_tensor(a)
        return _b.map_integer_inputs(inputs, flags, names, convert)

    def call(self, inputs, training=None):
        if self._nodes is None:
            raise NotImplementedError(f"[{type(self).__name__}] a subclassed Model must define "
                                      "call(self, inputs)")
        return self._run_graph(inputs)
    call._subclass_defines = True  # Trainer: a subclass without call has no forward of its own

    def _build_for(self, inputs):
        # a subclassed model creates its sublayers' weights in its first call; one that defines
        # build(input_shape) gets it called first, with the inputs' shapes, as Keras does
        # (keras-io Perceiver creates its sublayers and latent weight there)
        owner = next(c for c in type(self).__mro__ if "build" in c.__dict__)
        shapes = tree.map_structure(
            lambda t: tuple(t.shape) if isinstance(t, Tensor) else None, inputs)
        self.__dict__["_build_input_shape"] = tree.map_structure(  # get_build_config's
            lambda t: (None,) + tuple(t.shape[1:]) if isinstance(t, Tensor) else None, inputs)
        if not owner.__module__.startswith("pyengine."):
            self.__dict__["_in_user_build"] = True
            try:
                call_build(self, shapes)
            finally:
                self.__dict__["_in_user_build"] = False
        self.built = True

    def build(self, input_shape=None):
        """Creates the weights of a subclassed model by calling it once on zeros of
        `input_shape` (None for the batch dimension). Reached through super().build() from a
        subclass's own build, which the first call runs, it only marks the model built."""
        if self._nodes is not None:
            return
        if self.__dict__.get("_in_user_build"):
            self.built = True
            return
        if input_shape is None:
            raise ValueError(f"[{self.name}] build() needs an input_shape, e.g. (None, 784)")

        def zeros(shape):
            return np.zeros(tuple(1 if d is None else d for d in shape), np.float32)
        shapes = input_shape
        example = zeros(shapes) if not (shapes and isinstance(shapes[0], (list, tuple))) \
            else [zeros(s) for s in shapes]
        with no_grad():
            self(example, training=False)
        self.built = True

    def build_from_config(self, config):
        """Builds a subclassed model as its first call did (load_model): called once on zeros
        of the saved input shape, which runs a build(input_shape) of its own first."""
        if config and config.get("input_shape") is not None and not self.built:
            with no_grad():
                self(_zeros_like_shapes(config["input_shape"]), training=False)
        self.built = True

    # ---- reporting ------------------------------------------------------------------------
    def summary(self, line_length=None, positions=None, print_fn=None, expand_nested=False,
                show_trainable=False, layer_range=None):
        """Keras' table: each layer's name (type), output shape, parameter count and, for a
        functional model, the layers it is connected to; the options as Keras' (see
        keras/summary_table.py). A model that cannot be built yet (a Sequential without an
        input shape, a subclassed model never called) is listed as Keras 3 lists it: output
        shape '?' and '0 (unbuilt)' parameters for each layer not built."""
        from .summary_table import summary_lines
        print_fn = print_fn or print
        if self._buildable_without_data():
            self._ensure_built()
        for s in summary_lines(self, line_length, positions, expand_nested, show_trainable,
                               layer_range):
            print_fn(s)

    # ---- on disk (keras/saving.py) ---------------------------------------------------------
    def save_weights(self, filepath, overwrite=True):
        """Every weight in an .npz file (no pickle), written through a temp file and a rename;
        a path ending in a separator (TF 2's checkpoint prefix "logs/") is a folder holding
        the file (saving.weights_file)."""
        from .saving import write_weights
        self._ensure_built()
        write_weights(self, filepath, overwrite)

    def load_weights(self, filepath):
        """Weights from save_weights' or model.save's file. A subclassed model not built yet
        (a twin of a trained model, keras-io temporal_latent_bottleneck's eager_model) is
        first built on the input shape the model.save file recorded, as load_model does."""
        from .saving import LoadStatus, read_weights, saved_build_config
        if not self.built:
            build = saved_build_config(filepath)
            if build is not None:
                self.build_from_config(build)
        self._ensure_built()
        read_weights(self, filepath)
        return LoadStatus()

    def export(self, filepath, format="tf_saved_model", **kwargs):  # noqa: A002
        """Keras 3's export writes a TensorFlow SavedModel (or ONNX / OpenVINO) for serving;
        pyengine has no TensorFlow runtime to write or serve a SavedModel, so it raises, naming
        what exists instead (keras-io ShiftViT calls it after training)."""
        raise NotImplementedError(
            f"[Model.export] format={format!r} is not supported: pyengine cannot write a "
            "TensorFlow SavedModel (nor serve one through keras.layers.TFSMLayer). Use "
            "model.save('file.keras') with keras.models.load_model, or "
            "pyengine.onnx.export(model, example_input, 'model.onnx') for ONNX")

    def quantize(self, mode=None, config=None, **kwargs):
        """Keras 3 rewrites Dense / EinsumDense / Embedding kernels as int8 / int4 / float8 /
        GPTQ weights with scales; pyengine has no quantized kernels, so it raises rather than
        leaving the model unchanged."""
        raise NotImplementedError(
            f"[Model.quantize] mode={mode!r} is not supported: pyengine has no quantized "
            "(int8 / int4 / float8) kernels; the model runs in float32")

    def save(self, filepath, overwrite=True, **kwargs):
        """Architecture (JSON) and weights in one .npz file, written atomically;
        `keras.models.load_model(filepath)` rebuilds the model,
        with its compile configuration and optimizer state when compiled with keras' own
        optimizer / losses / metrics (keras/saving_state.py): fit continues where it stopped.
        tf.keras 2's save_format / include_optimizer are checked by saving.save_options; a
        path ending in a separator is a folder holding the file (saving.weights_file)."""
        from .saving import save_options, write_weights, model_config_json
        save_options(filepath, kwargs)
        from .saving_hooks import overrides, write_hooks
        from .saving_state import write_extra
        self._ensure_built()
        extra = {"__config__": np.array(model_config_json(self))}
        if not overrides(self, "get_compile_config"):
            extra.update(write_extra(self))
        extra.update(write_hooks(self))
        write_weights(self, filepath, overwrite, extra=extra, op="save")

    def get_compile_config(self):
        """The compile arguments as JSON-able data (None when not compiled or when they hold
        objects that cannot be saved). A model whose compile() takes other arguments overrides
        this and compile_from_config; model.save then stores what it returns."""
        from .saving_state import compile_config
        return compile_config(self)

    def compile_from_config(self, config):
        """Compiles the model from get_compile_config()'s result (load_model calls it)."""
        from .saving_state import compile_from
        compile_from(self, config)

    def to_json(self, **kwargs):
        """The architecture as JSON (keras.models.model_from_json rebuilds it, new weights);
        keyword arguments go to json.dumps (indent=2, sort_keys=True ...), as in Keras."""
        from .saving import model_config_json
        text = model_config_json(self)
        if not kwargs:
            return text
        import json
        return json.dumps(json.loads(text), **kwargs)

    @classmethod
    def from_config(cls, config, custom_objects=None):
        """A new model (fresh weights) from get_config(): a functional or Sequential config,
        with custom layer classes from custom_objects or the registry; a subclassed model's
        own config gives cls(**config), as Keras."""
        if isinstance(config, dict) and config.get("class_name") in ("Functional", "Sequential") \
                and "kwargs" in config:
            from .saving import from_config
            return from_config(config, custom_objects)
        return Layer.from_config.__func__(cls, config)

    def get_config(self):
        if self._nodes is None:
            return super().get_config()
        if self.__dict__.get("_graph_endpoints"):
            raise NotImplementedError(
                f"[{self.name}] a model with add_loss / add_metric of symbolic tensors cannot "
                "be serialized (its config would drop them); save_weights works, or compute "
                "the term in a layer's call with self.add_loss")
        from .saving import functional_config
        return functional_config(self)

    def _buildable_without_data(self):
        return self.built

    def _ensure_built(self, x=None):
        if self.built:
            return
        if x is not None:
            with no_grad():
                self(tree.map_structure(lambda a: np.asarray(a)[:1], x), training=False)
            return
        own_build = next(c for c in type(self).__mro__ if "build" in c.__dict__)
        if self._nodes is None and own_build.__module__.startswith("pyengine."):
            # a subclass without a build() of its own (keras-io's GANs, DDIM, CycleGAN: a
            # train_step over inner models) has exactly its sublayers' weights (and those its
            # __init__ made): once all sublayers are built, so is it; so is one holding only
            # variables its __init__ made (TensorFlow's basic_training_loops guide)
            inner = self.layers
            if (inner or self.weights) and all(lyr.built for lyr in inner):
                self.built = True
                return
        raise ValueError(f"[{self.name}] the model has not been built yet: call it on data, "
                         "call build(input_shape), or fit it first")


def _zeros_like_shapes(shapes):
    """Zeros (batch 1 for None) for a shape, or a list / dict of shapes as JSON keeps them."""
    if isinstance(shapes, dict):
        return {k: _zeros_like_shapes(v) for k, v in shapes.items()}
    if isinstance(shapes, (list, tuple)) and all(d is None or isinstance(d, int) for d in shapes):
        return np.zeros(tuple(1 if d is None else d for d in shapes), np.float32)
    return [_zeros_like_shapes(s) for s in shapes]


def _expand_last(x):
    return x.unsqueeze(-1) if isinstance(x, Tensor) else np.expand_dims(np.asarray(x), -1)


def _one_or_list(tensors):
    return tensors[0] if len(tensors) == 1 else list(tensors)


def _shape_list(tensors):
    shapes = [tuple(t.shape) for t in tensors]
    return shapes[0] if len(shapes) == 1 else shapes
