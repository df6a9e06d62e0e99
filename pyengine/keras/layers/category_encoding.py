"""CategoryEncoding: integer category ids -> dense one_hot / multi_hot / count vectors, Keras 3's
layer (also the encoder that Hashing and Discretization use for their non-'int' modes).

For ids x with values in [0, num_tokens):
    one_hot    out[..., k] = 1 if x == k            (a trailing axis of num_tokens is added,
                                                     unless the last axis already has size 1)
    multi_hot  out[..., k] = 1 if k occurs in x[..., :]     (the last axis is reduced)
    count      out[..., k] = sum_j w[..., j] [x[..., j] == k] (w = count_weights, default 1)
A 0-d input is one sample of one id. The output is float32 (count with float64 count_weights
stays float32, as Keras' default dtype). The ids are data, not a differentiable input, so the
encoding is computed on the NumPy array behind the Tensor (as the vocabulary layers do); only
dense output is implemented (sparse=True is rejected)."""
import numpy as np

from ...tensor import Tensor
from .base import Layer

MODES = ("one_hot", "multi_hot", "count")


def _ids(x, depth, what):
    """The integer ids of `x` (a Tensor or array; floats must hold whole numbers, as the
    float32 tensors Keras inputs become), checked to lie in [0, depth)."""
    a = np.asarray(x._data if isinstance(x, Tensor) else x)
    if a.dtype.kind == "f":
        if not np.all(np.isfinite(a)) or np.any(np.mod(a, 1) != 0):
            raise ValueError(f"[{what}] expects integer category ids; received non-integer "
                             f"values of dtype {a.dtype}")
    elif a.dtype.kind not in "biu":
        raise TypeError(f"[{what}] expects integer category ids, received dtype {a.dtype}")
    a = a.astype(np.int64)
    if a.size and (a.min() < 0 or a.max() >= depth):
        raise ValueError(f"[{what}] input values must be in the range 0 <= values < "
                         f"num_tokens={depth}; received values in [{a.min()}, {a.max()}]")
    return a


def encode_ids(ids, mode, depth, what, count_weights=None):
    """int64 ids (already range-checked) -> the float32 array of `mode` (see the module
    docstring for the shape rules)."""
    if ids.ndim == 0:
        ids = ids.reshape(1)
    if mode == "one_hot":
        if ids.shape[-1] != 1:
            ids = ids[..., None]
        out = np.zeros(ids.shape[:-1] + (depth,), np.float32)
        np.put_along_axis(out, ids, 1.0, axis=-1)
        return out
    lead, n = ids.shape[:-1], ids.shape[-1]
    nrows = int(np.prod(lead, dtype=np.int64))
    rows = np.repeat(np.arange(nrows), n)
    flat = np.zeros((nrows, depth), np.float32)
    if mode == "multi_hot":
        flat[rows, ids.reshape(-1)] = 1.0
    else:
        w = np.ones(ids.size, np.float32) if count_weights is None else \
            count_weights.reshape(-1).astype(np.float32)
        np.add.at(flat, (rows, ids.reshape(-1)), w)
    return flat.reshape(lead + (depth,))


def check_mode(mode, what, allowed):
    mode = {"binary": "multi_hot"}.get(mode, mode)  # Keras' deprecated name
    if mode not in allowed:
        raise ValueError(f"[{what}] output_mode must be one of {allowed}. Received: "
                         f"output_mode={mode!r}")
    return mode


def check_sparse(sparse, what):
    if sparse:
        raise ValueError(f"[{what}] sparse=True is not supported (pyengine has no sparse "
                         "tensors); use the default sparse=False for a dense output")


class ArrayInputLayer(Layer):
    """A layer whose input is one array: a nested Python list of numbers is that array (as
    Keras' preprocessing layers read it), not a structure of several inputs."""

    def __call__(self, inputs, *args, **kwargs):
        from ..symbolic import is_symbolic
        if isinstance(inputs, (list, tuple)) and not is_symbolic(inputs):
            inputs = np.asarray(inputs)
        return super().__call__(inputs, *args, **kwargs)


class CategoryEncoding(ArrayInputLayer):
    """Encodes integer category ids in [0, num_tokens) as dense float32 vectors.

    >>> keras.layers.CategoryEncoding(num_tokens=4, output_mode="one_hot")([3, 0]).numpy()
    array([[0., 0., 0., 1.],
           [1., 0., 0., 0.]], dtype=float32)
    """

    def __init__(self, num_tokens=None, output_mode="multi_hot", sparse=False, max_tokens=None,
                 **kwargs):
        super().__init__(**kwargs)
        what = "CategoryEncoding"
        self.output_mode = check_mode(output_mode, what, MODES)
        check_sparse(sparse, what)
        if max_tokens is not None:  # TF 2.3 / 2.4's name of num_tokens
            if num_tokens is not None:
                raise ValueError(f"[{what}] pass num_tokens or its old name max_tokens, not "
                                 f"both. Received: num_tokens={num_tokens!r}, "
                                 f"max_tokens={max_tokens!r}")
            num_tokens = max_tokens
        if num_tokens is not None and (isinstance(num_tokens, bool) or
                                       not isinstance(num_tokens, (int, np.integer)) or
                                       num_tokens < 1):
            raise ValueError(f"[{what}] num_tokens must be a positive int. Received: "
                             f"num_tokens={num_tokens!r}")
        # None until adapt() sets it (TF 2.3 / 2.4's CategoryEncoding().adapt(ids))
        self.num_tokens = None if num_tokens is None else int(num_tokens)
        self.sparse = False

    def get_config(self):
        """The constructor's arguments with num_tokens as the layer holds it (adapt() may
        have set it), so a saved model reloads with the adapted depth."""
        config = super().get_config()
        kw = config["kwargs"]
        kw.pop("max_tokens", None)
        if self.num_tokens is not None:
            kw["num_tokens"] = self.num_tokens
            if config["args"]:  # num_tokens given positionally
                config["args"] = []
                kw.setdefault("output_mode", self.output_mode)
        config["max_tokens"] = None
        return config

    def __call__(self, inputs, *args, **kwargs):
        from ..symbolic import KerasTensor
        if isinstance(inputs, KerasTensor) and tuple(inputs.shape) == (None,) and \
                self.output_mode != "one_hot":
            # a graph tensor of shape (batch,) (from keras.Input(shape=())): each sample is
            # one id, as TensorFlow's Keras 2 encodes it (Keras 3 would reduce the batch away
            # and leave no batch axis); this layer then reads rank-1 ids that way
            self._ids_per_sample = True
        return super().__call__(inputs, *args, **kwargs)

    def _depth(self, what):
        if self.num_tokens is None:
            raise ValueError(f"[{what}] num_tokens must be set. Received: num_tokens=None "
                             "(pass num_tokens=, or call adapt(ids) first)")
        return self.num_tokens

    def adapt(self, data, batch_size=None, steps=None):
        """TF 2.3 / 2.4's form: num_tokens becomes the largest id in `data` plus one (ids are
        non-negative integers); a layer made with num_tokens checks the ids fit it."""
        from .adapt_data import adapt_data
        what = f"CategoryEncoding {self.name}"
        data = adapt_data(data, batch_size, steps, "CategoryEncoding")
        batches = [data] if isinstance(data, (np.ndarray, Tensor, list, tuple)) or \
            np.isscalar(data) else data
        top = -1
        for b in batches:
            if isinstance(b, tuple) and len(b) == 2:  # (x, y) from a dataset: adapt reads x
                b = b[0]
            ids = _ids(b, np.iinfo(np.int64).max, what)
            if ids.size:
                top = max(top, int(ids.max()))
        if top < 0:
            raise ValueError(f"[{what}.adapt] received no ids")
        if self.num_tokens is not None and top >= self.num_tokens:
            raise ValueError(f"[{what}.adapt] ids reach {top}, outside num_tokens="
                             f"{self.num_tokens}")
        if self.num_tokens is None:
            self.num_tokens = top + 1

    def call(self, inputs, count_weights=None):
        what = f"CategoryEncoding {self.name}"
        ids = _ids(inputs, self._depth(what), what)
        if ids.ndim == 1 and getattr(self, "_ids_per_sample", False):
            ids = ids[:, None]
        if count_weights is not None:
            if self.output_mode != "count":
                raise ValueError(f"[{what}] count_weights is only used with output_mode="
                                 f"'count'. Received: output_mode={self.output_mode!r}")
            count_weights = np.asarray(count_weights._data if isinstance(count_weights, Tensor)
                                       else count_weights)
            if count_weights.shape != ids.shape:
                raise ValueError(f"[{what}] count_weights has shape {count_weights.shape}, "
                                 f"expected the inputs' shape {ids.shape}")
        return Tensor._wrap(encode_ids(ids, self.output_mode, self.num_tokens, what,
                                       count_weights))

    def compute_output_shape(self, input_shape):
        self._depth(f"CategoryEncoding {self.name}")
        shape = tuple(input_shape) or (1,)
        if shape == (None,) and self.output_mode != "one_hot":  # see __call__
            return (None, self.num_tokens)
        if self.output_mode == "one_hot" and shape[-1] != 1:
            return shape + (self.num_tokens,)
        return shape[:-1] + (self.num_tokens,)
