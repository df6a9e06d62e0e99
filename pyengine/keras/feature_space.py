"""keras.utils.FeatureSpace: one object that indexes, normalises, discretises, hashes and
crosses the columns of a structured-data table (Keras 3's utility, keras-io's
structured_data_classification_with_feature_space), built on the existing preprocessing layers:

    kind                  preprocessor (output)                  encoded as
    float                 Identity                (n, 1) float   itself
    float_rescaled        Rescaling(scale, offset)               itself
    float_normalized      Normalization (adapted mean / var)     itself
    float_discretized     Discretization (adapted quantiles)     one_hot (num_bins) or int
    integer_categorical   IntegerLookup (adapted vocabulary)     one_hot (vocabulary_size) or int
    string_categorical    StringLookup  (adapted vocabulary)     one_hot or int
    integer_hashed /
    string_hashed         Hashing(num_bins)                      one_hot (num_bins) or int
    cross (names...)      HashedCrossing of the preprocessed     one_hot (crossing_dim) or int
                          (int) columns

As in Keras, crosses hash the *preprocessed* columns (lookup indices, bucket ids), one_hot is
CategoryEncoding(output_mode="multi_hot") of the (n, 1) ids, and outputs are ordered by sorted
feature name, then sorted cross name ("a_X_b"); "concat" joins them on the last axis (float32),
"dict" returns them by name. Every column is (n, 1) inside: a (n,) column gains the axis, a
scalar (one unbatched example) is a batch of one and the batch axis is dropped again at the end.

Unlike Keras' version, whose sub-layers each become nodes of the graph, get_encoded_features()
records ONE node, the FeatureSpace itself applied to the dict of keras.Input: StringLookup /
IntegerLookup here work on NumPy data, not on symbolic tensors, and a single node is enough for
both of keras-io's models (a training model cut at the encoded features, and an inference
model from the raw dict inputs through the FeatureSpace). Saving: feature_space.save(path)
writes pyengine's model file (.npz holding a JSON config with the adapted vocabularies and bin
boundaries, plus the Normalization weights) whatever the extension, not Keras' .keras zip;
keras.saving.load_model reads it back, and a model holding the FeatureSpace saves and loads the
same way. A custom FeatureSpace.feature(preprocessor=...) is saved by its layer config: state
that config does not hold (other than lookup vocabularies, Normalization statistics and
Discretization boundaries) is not restored."""
import json

import numpy as np

from ..tensor import Tensor
from .layers.base import Layer, as_output
from .saving import register_keras_serializable

_FEATURE_MODES = ("int", "one_hot", "float")
_CROSS_MODES = ("int", "one_hot")


def _auto_name(base):
    from .utils import unique_name
    return unique_name(base)


def _numpy(x):
    """The NumPy data of a column: Tensors give their array, pe.string arrays (StringArray
    views) plain str arrays, anything else np.asarray."""
    if isinstance(x, Tensor):
        return x._data
    if isinstance(x, np.ndarray):
        return x.view(np.ndarray)
    return np.asarray(x)


def _positive_int(value, what, arg):
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < 1:
        raise ValueError(f"[{what}] {arg} must be a positive int. Received: {arg}={value!r}")
    return int(value)


class Cross:
    """A feature cross: the named features' preprocessed values hashed together into
    crossing_dim bins (HashedCrossing), one_hot encoded by default."""

    def __init__(self, feature_names, crossing_dim, output_mode="one_hot"):
        if output_mode not in _CROSS_MODES:
            raise ValueError(f"[FeatureSpace.cross] invalid value for argument `output_mode`. "
                             f"Expected one of {set(_CROSS_MODES)}. Received: "
                             f"output_mode={output_mode!r}")
        if isinstance(feature_names, str) or len(tuple(feature_names)) < 2:
            raise ValueError(f"[FeatureSpace.cross] a cross needs at least two feature names. "
                             f"Received: feature_names={feature_names!r}")
        self.feature_names = tuple(feature_names)
        self.crossing_dim = _positive_int(crossing_dim, "FeatureSpace.cross", "crossing_dim")
        self.output_mode = output_mode

    @property
    def name(self):
        return "_X_".join(self.feature_names)

    def get_config(self):
        return {"feature_names": list(self.feature_names), "crossing_dim": self.crossing_dim,
                "output_mode": self.output_mode}

    @classmethod
    def from_config(cls, config):
        return cls(**config)


class Feature:
    """One feature: the dtype of its keras.Input ('float32', 'int32' or 'string'), its
    preprocessing layer, and how its output is encoded ('int', 'one_hot' or 'float')."""

    def __init__(self, dtype, preprocessor, output_mode):
        if output_mode not in _FEATURE_MODES:
            raise ValueError(f"[FeatureSpace.feature] invalid value for argument `output_mode`. "
                             f"Expected one of {set(_FEATURE_MODES)}. Received: "
                             f"output_mode={output_mode!r}")
        if isinstance(preprocessor, dict):
            preprocessor = _preprocessor_from_config(preprocessor)
        if not callable(preprocessor):
            raise ValueError(f"[FeatureSpace.feature] preprocessor must be a layer. Received: "
                             f"{preprocessor!r}")
        self.dtype = str(dtype)
        self.preprocessor = preprocessor
        self.output_mode = output_mode

    def get_config(self):
        return {"dtype": self.dtype, "output_mode": self.output_mode,
                "preprocessor": _preprocessor_config(self.preprocessor)}

    @classmethod
    def from_config(cls, config):
        return cls(**config)


# ---- preprocessors on disk: their layer config plus the state adapt() learned ---------------
def _preprocessor_config(layer):
    from . import layers
    from .layers.text_lookup import IndexLookup
    from .saving import layer_config
    cfg = layer_config(layer)
    kwargs = cfg.get("kwargs", cfg.get("config"))
    if isinstance(layer, IndexLookup) and layer._vocab:
        kwargs["vocabulary"] = layer.get_vocabulary(include_special_tokens=False)
    elif isinstance(layer, layers.Normalization) and layer.built:
        kwargs["mean"] = layer.mean.numpy().tolist()
        kwargs["variance"] = layer.variance.numpy().tolist()
        cfg["built"] = True  # its weights are in the file: build it when loading
    elif isinstance(layer, layers.Normalization) and layer._given is not None:
        kwargs["mean"], kwargs["variance"] = (a.tolist() for a in layer._given)  # JSON lists
    return cfg


def _preprocessor_from_config(cfg):
    from . import layers
    from .saving import _REGISTRY, _build, _builtin_classes
    classes = _builtin_classes()
    classes.update(_REGISTRY)
    cfg = dict(cfg)
    built = cfg.pop("built", False)
    if built and cfg.get("class_name") == "Normalization":
        # adapted statistics: weights read from the file; the config's copy of them would make
        # constants (Keras 3's given mean / variance), holding no weights to read into
        key = "kwargs" if "kwargs" in cfg else "config"
        cfg[key] = {k: v for k, v in cfg[key].items() if k not in ("mean", "variance")}
    layer = _build(cfg, classes)
    if built and isinstance(layer, layers.Normalization) and not layer.built:
        # its statistics are weights: build now so a saved FeatureSpace / model finds as many
        # weights here as it wrote (they are overwritten with the same values by load_weights)
        layer._build_for(Tensor._wrap(np.zeros((1, 1), np.float32)))
    return layer


@register_keras_serializable(package="keras")
class FeatureSpace(Layer):
    """Preprocesses and encodes a dict of structured-data columns (see the module docstring).

    >>> fs = FeatureSpace({"age": "float_discretized", "city": "string_categorical"},
    ...                   crosses=[("age", "city")], output_mode="concat")
    >>> fs.adapt(pe.data.Dataset.from_tensor_slices(columns))   # columns: a dict of arrays
    >>> fs(columns).shape      # (n, 32 bins + vocabulary size + 32 crossing bins)
    """

    # ---- feature constructors (Keras 3's names and defaults) --------------------------------
    @classmethod
    def cross(cls, feature_names, crossing_dim, output_mode="one_hot"):
        return Cross(feature_names, crossing_dim, output_mode=output_mode)

    @classmethod
    def feature(cls, dtype, preprocessor, output_mode):
        return Feature(dtype, preprocessor, output_mode)

    @classmethod
    def float(cls, name=None):
        from .layers import Identity
        name = name or _auto_name("float")
        return Feature("float32", Identity(name=f"{name}_preprocessor"), "float")

    @classmethod
    def float_rescaled(cls, scale=1.0, offset=0.0, name=None):
        from .layers import Rescaling
        name = name or _auto_name("float_rescaled")
        return Feature("float32", Rescaling(scale=scale, offset=offset,
                                            name=f"{name}_preprocessor"), "float")

    @classmethod
    def float_normalized(cls, name=None):
        from .layers import Normalization
        name = name or _auto_name("float_normalized")
        return Feature("float32", Normalization(axis=-1, name=f"{name}_preprocessor"), "float")

    @classmethod
    def float_discretized(cls, num_bins, bin_boundaries=None, output_mode="one_hot",
                          name=None):
        from .layers import Discretization
        name = name or _auto_name("float_discretized")
        num_bins = _positive_int(num_bins, "FeatureSpace.float_discretized", "num_bins")
        if bin_boundaries is not None:
            # pyengine's Discretization takes one of the two; Keras checks they agree
            if len(bin_boundaries) != num_bins - 1:
                raise ValueError(f"[FeatureSpace.float_discretized] {len(bin_boundaries)} "
                                 f"bin_boundaries make {len(bin_boundaries) + 1} bins, not "
                                 f"num_bins={num_bins}")
            layer = Discretization(bin_boundaries=list(bin_boundaries),
                                   name=f"{name}_preprocessor")
        else:
            layer = Discretization(num_bins=num_bins, name=f"{name}_preprocessor")
        return Feature("float32", layer, output_mode)

    @classmethod
    def integer_categorical(cls, max_tokens=None, num_oov_indices=1, output_mode="one_hot",
                            name=None):
        from .layers import IntegerLookup
        name = name or _auto_name("integer_categorical")
        return Feature("int32", IntegerLookup(name=f"{name}_preprocessor", max_tokens=max_tokens,
                                              num_oov_indices=num_oov_indices), output_mode)

    @classmethod
    def string_categorical(cls, max_tokens=None, num_oov_indices=1, output_mode="one_hot",
                           name=None):
        from .layers import StringLookup
        name = name or _auto_name("string_categorical")
        return Feature("string", StringLookup(name=f"{name}_preprocessor", max_tokens=max_tokens,
                                              num_oov_indices=num_oov_indices), output_mode)

    @classmethod
    def string_hashed(cls, num_bins, output_mode="one_hot", name=None):
        from .layers import Hashing
        name = name or _auto_name("string_hashed")
        return Feature("string", Hashing(name=f"{name}_preprocessor", num_bins=num_bins),
                       output_mode)

    @classmethod
    def integer_hashed(cls, num_bins, output_mode="one_hot", name=None):
        from .layers import Hashing
        name = name or _auto_name("integer_hashed")
        return Feature("int32", Hashing(name=f"{name}_preprocessor", num_bins=num_bins),
                       output_mode)

    # ---- construction -------------------------------------------------------------------------
    def __init__(self, features, output_mode="concat", crosses=None, crossing_dim=32,
                 hashing_dim=32, num_discretization_bins=32, name=None, adapted=False):
        # adapted (not a Keras argument): set by from_config, whose features carry the state
        # adapt() learned (Keras restores it through build_from_config instead)
        super().__init__(name=name)
        if not features or not isinstance(features, dict):
            raise ValueError("[FeatureSpace] the `features` argument must be a non-empty dict "
                             f"of feature name -> type. Received: {features!r}")
        if output_mode not in ("dict", "concat"):
            raise ValueError("[FeatureSpace] invalid value for argument `output_mode`. Expected "
                             f"one of {{'dict', 'concat'}}. Received: output_mode={output_mode!r}")
        self.crossing_dim, self.hashing_dim = crossing_dim, hashing_dim
        self.num_discretization_bins = num_discretization_bins
        self.output_mode = output_mode
        self.features = {n: self._standardize_feature(n, v) for n, v in features.items()}
        cross_list = []
        for cross in crosses or ():
            if isinstance(cross, dict):
                cross = Cross.from_config(cross)
            elif not isinstance(cross, Cross):
                if not crossing_dim:
                    raise ValueError("[FeatureSpace] when specifying `crosses`, the argument "
                                     "`crossing_dim` (dimensionality of the crossing space) "
                                     "should be specified as well")
                cross = Cross(cross, crossing_dim=crossing_dim)
            unknown = [n for n in cross.feature_names if n not in self.features]
            if unknown:
                raise ValueError(f"[FeatureSpace] all features referenced in the `crosses` "
                                 f"argument should be present in the `features` dict. Received "
                                 f"unknown features {unknown} in the cross {cross.feature_names}; "
                                 f"known features: {sorted(self.features)}")
            cross_list.append(cross)
        self.crosses = tuple(cross_list)
        self.crosses_by_name = {c.name: c for c in self.crosses}
        # the layers, tracked as sub-layers (Normalization's statistics are the weights)
        self.preprocessors = {n: f.preprocessor for n, f in self.features.items()}
        from .layers import HashedCrossing
        self.crossers = {c.name: HashedCrossing(c.crossing_dim, name=c.name)
                         for c in self.crosses}
        self.one_hot_encoders = {}
        self._names = sorted(self.features) + sorted(self.crosses_by_name)
        self.inputs = None
        self.encoded_features = None
        self._is_adapted = bool(adapted)
        self._sublayers_built = False
        self._on_examples = 0  # > 0 while the symbolic graph runs the layer on example batches

    def _standardize_feature(self, name, feature):
        if isinstance(feature, Feature):
            return feature
        if isinstance(feature, dict):
            return Feature.from_config(feature)
        makers = {
            "float": lambda: self.float(name=name),
            "float_normalized": lambda: self.float_normalized(name=name),
            "float_rescaled": lambda: self.float_rescaled(name=name),
            "float_discretized": lambda: self.float_discretized(
                num_bins=self.num_discretization_bins, name=name),
            "integer_categorical": lambda: self.integer_categorical(name=name),
            "string_categorical": lambda: self.string_categorical(name=name),
            "integer_hashed": lambda: self.integer_hashed(self.hashing_dim, name=name),
            "string_hashed": lambda: self.string_hashed(self.hashing_dim, name=name)}
        if not isinstance(feature, str) or feature not in makers:
            raise ValueError(f"[FeatureSpace] invalid feature type for '{name}': {feature!r}. "
                             f"Expected a FeatureSpace.<kind>(...) object or one of "
                             f"{sorted(makers)}")
        return makers[feature]()

    # ---- adapt ----------------------------------------------------------------------------------
    def _adaptable(self):
        """Names of the features whose preprocessor learns from data (Keras' rule: anything
        with adapt(), except a Normalization given its mean / variance; here also a
        Discretization given its boundaries, which pyengine's cannot re-learn)."""
        from .layers import Discretization, Normalization
        out = []
        for name, layer in self.preprocessors.items():
            if isinstance(layer, Normalization) and layer._given is not None:
                continue
            if isinstance(layer, Discretization) and layer.num_bins is None:
                continue
            if hasattr(layer, "adapt"):
                out.append(name)
        return out

    def adapt(self, dataset):
        """Learns every adaptable preprocessor's state from `dataset`, a pe.data (tf.data)
        Dataset of dicts of feature values, batched or not, without labels. The dataset is
        read once; each column is gathered as (n, 1) and given to its layer's adapt()."""
        from ..data.dataset import Dataset
        if not isinstance(dataset, Dataset):
            raise ValueError(f"[FeatureSpace] adapt() can only be called on a pe.data.Dataset "
                             f"(tf.data.Dataset). Received instead: {type(dataset).__name__}")
        names = self._adaptable()
        parts = {n: [] for n in names}
        if names:
            for element in dataset:
                if not isinstance(element, dict):
                    raise ValueError(f"[FeatureSpace] adapt() expects a dataset of dicts of "
                                     f"feature values, without labels; its elements are "
                                     f"{type(element).__name__}. For (features, label) "
                                     f"elements use dataset.map(lambda x, y: x)")
                for n in names:
                    if n not in element:
                        raise ValueError(f"[FeatureSpace] adapt(): the dataset's elements lack "
                                         f"the feature '{n}'; their keys are {sorted(element)}")
                    a = _numpy(element[n])
                    parts[n].append(a.reshape(-1, 1) if a.ndim <= 1 else a)
        for n in names:
            if not parts[n]:
                raise ValueError("[FeatureSpace] adapt() received an empty dataset")
            column = self._typed(n, np.concatenate(parts[n]))
            self.preprocessors[n].adapt(column)
        self._is_adapted = True
        self._build_encoders()
        self.encoded_features = None  # a graph from an earlier adapt has the old widths
        self.built = True

    # ---- the encoders --------------------------------------------------------------------------
    def _cardinality(self, name, layer):
        from . import layers
        if isinstance(layer, (layers.IntegerLookup, layers.StringLookup)):
            return layer.vocabulary_size()
        if isinstance(layer, layers.CategoryEncoding):
            return layer.num_tokens
        if isinstance(layer, layers.Discretization):
            return layer.num_bins if layer.num_bins is not None else \
                len(layer.bin_boundaries) + 1
        if isinstance(layer, (layers.HashedCrossing, layers.Hashing)):
            return layer.num_bins
        raise ValueError(f"[FeatureSpace] feature '{name}' has output_mode='one_hot', but it "
                         f"isn't a standard feature and the dimensionality of its output space "
                         f"({type(layer).__name__}) is not known, thus it cannot be one-hot "
                         f"encoded. Try using output_mode='int'")

    def _check_ready(self):
        if not self._is_adapted:
            if self._adaptable():
                raise ValueError("[FeatureSpace] you need to call `.adapt(dataset)` on the "
                                 "FeatureSpace before you can start using it")
            self._is_adapted = True
        if not self._sublayers_built:
            self._build_encoders()

    def _build_encoders(self):
        from .layers import CategoryEncoding
        encoders = {}
        for name in self._names:
            spec = self.features.get(name) or self.crosses_by_name[name]
            if spec.output_mode != "one_hot":
                continue
            layer = self.preprocessors[name] if name in self.preprocessors \
                else self.crossers[name]
            encoders[name] = CategoryEncoding(num_tokens=self._cardinality(name, layer),
                                              output_mode="multi_hot",
                                              name=f"{self.name}_{name}_one_hot")
        self.one_hot_encoders = encoders
        self._sublayers_built = True

    # ---- calling --------------------------------------------------------------------------------
    def _typed(self, name, a):
        """Column `a` in the dtype its feature declares: float32 for float features (adapt and
        call see the same values, whether from a dataset or a model input), whole-number floats
        as int64 for integer features (a model feeds float32)."""
        dtype = self.features[name].dtype
        if dtype.startswith("float"):
            if a.dtype.kind not in "biuf":
                raise ValueError(f"[FeatureSpace] feature '{name}' is numeric ({dtype}); "
                                 f"received values of dtype {a.dtype}")
            return a.astype(np.float32)
        if dtype.startswith("int") and a.dtype.kind == "f" and np.all(np.isfinite(a)) \
                and not np.any(np.mod(a, 1)):
            return a.astype(np.int64)
        return a

    def _preprocess(self, name, a):
        layer = self.preprocessors[name]
        if self._on_examples and getattr(layer, "num_oov_indices", 1) == 0 \
                and getattr(layer, "_vocab", None):
            # the symbolic graph's example batches (zeros, empty strings) are not in the
            # vocabulary, which a lookup without OOV index refuses: use a known token there
            a = np.full(a.shape, layer._vocab[0], dtype=object)
        out = layer(a)
        return _numpy(out)

    def _check_keys(self, data):
        if not isinstance(data, dict):
            raise ValueError(f"[FeatureSpace] a FeatureSpace can only be called with a dict of "
                             f"feature values. Received: {type(data).__name__}")
        missing = [n for n in self.features if n not in data]
        unknown = [k for k in data if k not in self.features]
        if missing or unknown:
            raise ValueError(f"[FeatureSpace] the input dict's keys must be the features "
                             f"{sorted(self.features)}; missing {missing}, unknown {unknown}")

    def _encode(self, data):
        self._check_keys(data)
        columns, rebatched = {}, False
        for name in self.features:
            a = _numpy(data[name])
            if a.ndim == 0:
                a, rebatched = a.reshape(1, 1), True
            elif a.ndim == 1:
                a = a[:, None]
            columns[name] = self._typed(name, a)
        values = {n: self._preprocess(n, columns[n]) for n in sorted(self.features)}
        for cross in self.crosses:
            floats = [n for n in cross.feature_names if values[n].dtype.kind == "f"]
            if floats:  # (whole-valued floats would hash; Keras refuses the float dtype)
                raise ValueError(f"[FeatureSpace] the cross {cross.name!r} needs integer or "
                                 f"string values, but feature(s) {floats} give floats: cross "
                                 f"categorical, hashed or discretized features")
            values[cross.name] = self.crossers[cross.name].cross_values(
                [values[n] for n in cross.feature_names])
        outputs = {}
        for name in self._names:
            x = values[name]
            encoder = self.one_hot_encoders.get(name)
            if encoder is not None:
                x = _numpy(encoder(x))
            outputs[name] = x
        if self.output_mode == "concat":
            for name, x in outputs.items():
                if x.dtype.kind in "biuSUO":
                    raise ValueError(f"[FeatureSpace] cannot concatenate features because "
                                     f"feature '{name}' has not been encoded (it has dtype "
                                     f"{x.dtype}). Consider using output_mode='dict'")
            merged = np.concatenate([x.astype(np.float32) for x in outputs.values()], axis=-1)
            if rebatched:
                merged = merged[0]
            return as_output(Tensor._wrap(np.ascontiguousarray(merged)))
        result = {}
        for name, x in outputs.items():
            if rebatched and x.ndim == 2 and x.shape[0] == 1:
                x = x[0]
            result[name] = as_output(Tensor._wrap(np.array(x)))
        return result

    def __call__(self, data, *args, **kwargs):
        from .symbolic import is_symbolic
        self._check_ready()
        if args or set(kwargs) - {"training"}:
            raise TypeError("[FeatureSpace] takes one input: a dict of feature values")
        if is_symbolic(data):
            self._check_keys(data)
            self._on_examples += 1
            try:  # one graph node; its example batches come back through this method
                return Layer.__call__(self, data, **kwargs)
            finally:
                self._on_examples -= 1
        return self._encode(data)

    def call(self, inputs):
        return self._encode(inputs)

    # ---- the functional API ------------------------------------------------------------------
    def get_inputs(self):
        """{feature name: keras.Input(shape=(1,), dtype=the feature's dtype, name=name)}."""
        self._check_ready()
        if self.inputs is None:
            from .layers import Input
            self.inputs = {n: Input(shape=(1,), dtype=f.dtype, name=n)
                           for n, f in self.features.items()}
        return self.inputs

    def get_encoded_features(self):
        """The symbolic output of the FeatureSpace on get_inputs(): one KerasTensor
        ("concat") or a dict of them ("dict"), to build a model on."""
        self._check_ready()
        if self.encoded_features is None:
            self.encoded_features = self(self.get_inputs())
        return self.encoded_features

    # ---- saving -------------------------------------------------------------------------------
    def get_config(self):
        return {"features": {n: f.get_config() for n, f in self.features.items()},
                "output_mode": self.output_mode,
                "crosses": [c.get_config() for c in self.crosses],
                "crossing_dim": self.crossing_dim, "hashing_dim": self.hashing_dim,
                "num_discretization_bins": self.num_discretization_bins,
                "name": self.name, "adapted": self._is_adapted}

    @classmethod
    def from_config(cls, config):
        return cls(**config)

    def save(self, filepath):
        """Writes the FeatureSpace (config with the adapted state, and its weights) to
        `filepath` in pyengine's model format; keras.saving.load_model(filepath) reloads it.
        The file is an .npz archive whatever its extension, not Keras' .keras zip."""
        from .saving import layer_config, write_weights
        config = json.dumps(layer_config(self))
        write_weights(self, filepath, extra={"__config__": np.array(config)}, op="save")

    def load_weights(self, filepath):
        """The weights save() wrote (load_model calls it after from_config)."""
        from .saving import read_weights
        read_weights(self, filepath)
