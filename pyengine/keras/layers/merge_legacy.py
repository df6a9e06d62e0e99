"""Keras 1's `merge(inputs, mode=...)` function, which Keras 2.0 and 2.1 kept (deprecated) as
`keras.layers.merge` beside the module of the same name: Keras 1 programs (keras-team/keras
examples such as imdb_multilevel_gru) write `merge([a, b], mode='sum')`. Each string mode is the
Keras 2 merge layer Keras 2.0 mapped it to; a callable mode is a Lambda over the list of inputs.
The `keras.layers.merge` module is made callable so that both the module's names
(`keras.layers.merge.Add`) and the call work."""
import types
import warnings

_MODES = ("sum", "mul", "concat", "ave", "cos", "dot", "max")


def merge(inputs, mode="sum", concat_axis=-1, dot_axes=-1, output_shape=None,
          output_mask=None, arguments=None, node_indices=None, tensor_indices=None, name=None):
    """Keras 1's merge: 'sum' -> add, 'mul' -> multiply, 'concat' -> concatenate(concat_axis),
    'ave' -> average, 'max' -> maximum, 'dot' -> dot(dot_axes), 'cos' -> dot(dot_axes,
    normalize=True); a function mode(inputs) -> a Lambda (output_shape / arguments as Lambda's)."""
    from . import merge as m
    warnings.warn("The `merge` function is deprecated (Keras 1); use the layers of "
                  "keras.layers, e.g. `add`, `concatenate`", DeprecationWarning, stacklevel=2)
    if node_indices is not None or tensor_indices is not None:
        raise ValueError("[merge] node_indices / tensor_indices select nodes of Keras 1 layers "
                         "and are not supported: pass the tensors themselves")
    if output_mask is not None:
        raise ValueError("[merge] output_mask is not supported")
    if not isinstance(inputs, (list, tuple)) or len(inputs) < 2:
        raise ValueError(f"[merge] expects a list of at least 2 tensors. Received: {inputs!r}")
    kw = {} if name is None else {"name": name}
    if callable(mode):
        from .code_layers import Lambda
        return Lambda(mode, output_shape=output_shape, arguments=arguments, **kw)(list(inputs))
    if output_shape is not None or arguments is not None:
        raise ValueError(f"[merge] output_shape / arguments apply only to a function mode, "
                         f"not mode={mode!r}")
    if mode == "sum":
        return m.Add(**kw)(list(inputs))
    if mode == "mul":
        return m.Multiply(**kw)(list(inputs))
    if mode == "ave":
        return m.Average(**kw)(list(inputs))
    if mode == "max":
        return m.Maximum(**kw)(list(inputs))
    if mode == "concat":
        return m.Concatenate(axis=concat_axis, **kw)(list(inputs))
    if mode in ("dot", "cos"):
        return m.Dot(axes=dot_axes, normalize=mode == "cos", **kw)(list(inputs))
    raise ValueError(f"[merge] unknown mode {mode!r}; valid modes: {', '.join(_MODES)} or a "
                     "function")


class _CallableModule(types.ModuleType):
    def __call__(self, *args, **kwargs):
        return merge(*args, **kwargs)


def make_callable(module):
    module.__class__ = _CallableModule
