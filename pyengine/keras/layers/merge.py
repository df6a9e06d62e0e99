"""Merge layers (Keras names): Add, Subtract, Multiply, Average, Maximum, Minimum, Concatenate,
Dot, and their lowercase functional forms (`layers.add([a, b])`). Inputs are a list of tensors;
shapes are checked at build time, naming the layer and every shape."""
import numpy as np

from ...ops.shape import cat
from .base import Layer


class _Merge(Layer):
    min_inputs = 2
    supports_masking = True

    def compute_mask(self, inputs, mask=None):
        """Keras 3: a step is kept where every masked input keeps it (unmasked inputs keep
        all); None when no input has a mask."""
        if mask is None:
            return None
        masks = [np.asarray(getattr(m, "data", m), bool) for m in mask if m is not None]
        return np.logical_and.reduce(masks) if len(masks) > 1 else masks[0]

    def build(self, input_shape):
        if not isinstance(input_shape, (list, tuple)) or not input_shape or \
                not isinstance(input_shape[0], (list, tuple)):
            raise ValueError(f"[{self.name}] expects a list of inputs. Received: input_shape="
                             f"{input_shape}")
        if len(input_shape) < self.min_inputs:
            raise ValueError(f"[{self.name}] expects at least {self.min_inputs} inputs. "
                             f"Received: {len(input_shape)}")
        self._check_shapes([tuple(s) for s in input_shape])

    def _check_shapes(self, shapes):
        try:
            np.broadcast_shapes(*[s[1:] for s in shapes])
        except ValueError:
            raise ValueError(f"[{self.name}] inputs must have matching shapes. Received: "
                             f"{', '.join(str((None,) + s[1:]) for s in shapes)}") from None

    def call(self, inputs):
        out = inputs[0]
        for x in inputs[1:]:
            out = self.merge(out, x)
        return self.finish(out, len(inputs))

    def finish(self, out, n):
        return out


class Add(_Merge):
    def merge(self, a, b):
        return a + b


class Subtract(_Merge):
    def build(self, input_shape):
        super().build(input_shape)
        if len(input_shape) != 2:
            raise ValueError(f"[{self.name}] expects exactly 2 inputs. Received: "
                             f"{len(input_shape)}")

    def merge(self, a, b):
        return a - b


class Multiply(_Merge):
    def merge(self, a, b):
        return a * b


class Average(Add):
    def finish(self, out, n):
        return out * (1.0 / n)


class Maximum(_Merge):
    def merge(self, a, b):
        return a.maximum(b)


class Minimum(_Merge):
    def merge(self, a, b):
        return a.minimum(b)


class Concatenate(_Merge):
    min_inputs = 1  # Keras (2.x and 3): a list of one tensor is concatenated into itself

    def __init__(self, axis=-1, **kwargs):
        super().__init__(**kwargs)
        self.axis = int(axis)

    def _check_shapes(self, shapes):
        ranks = {len(s) for s in shapes}
        ax = self.axis % max(ranks)
        rest = {(tuple(s[1:ax]) + tuple(s[ax + 1:])) for s in shapes}
        if len(ranks) != 1 or len(rest) != 1:
            raise ValueError(f"[{self.name}] inputs must match except along axis {self.axis}. "
                             f"Received: {', '.join(str((None,) + tuple(s[1:])) for s in shapes)}")

    def call(self, inputs):
        return cat(list(inputs), axis=self.axis)


class Dot(_Merge):
    """Batched dot product of two inputs along `axes` (an int or a pair); normalize=True
    L2-normalizes both along those axes first (cosine similarity)."""

    def __init__(self, axes, normalize=False, **kwargs):
        super().__init__(**kwargs)
        self.axes = (axes, axes) if isinstance(axes, int) else tuple(axes)
        self.normalize = bool(normalize)

    def _check_shapes(self, shapes):
        if len(shapes) != 2:
            raise ValueError(f"[{self.name}] expects exactly 2 inputs. Received: {len(shapes)}")
        a, b = shapes
        if len(a) not in (2, 3) or len(b) not in (2, 3):
            raise ValueError(f"[{self.name}] supports inputs of rank 2 or 3. Received: {a}, {b}")
        if a[self.axes[0]] != b[self.axes[1]]:
            raise ValueError(f"[{self.name}] dimensions along axes {self.axes} differ: "
                             f"{(None,) + tuple(a[1:])} vs {(None,) + tuple(b[1:])}")

    def call(self, inputs):
        a, b = inputs
        ax = [ax % t.ndim for ax, t in zip(self.axes, (a, b))]
        if self.normalize:
            a = a / (a * a).sum(axis=ax[0], keepdims=True).clamp(1e-12, None).sqrt()
            b = b / (b * b).sum(axis=ax[1], keepdims=True).clamp(1e-12, None).sqrt()
        if a.ndim == 2:
            return (a * b).sum(axis=1, keepdims=True)
        # rank 3: move the contracted axes inward and batch-matmul
        a = a if ax[0] == 2 else a.permute(0, 2, 1)
        b = b if ax[1] == 1 else b.permute(0, 2, 1)
        return a @ b


def _functional(cls):
    def fn(inputs, **kwargs):
        return cls(**kwargs)(inputs)
    fn.__name__ = cls.__name__.lower()
    fn.__doc__ = f"`layers.{cls.__name__}(**kwargs)(inputs)`."
    return fn


add, subtract, multiply, average, maximum, minimum, concatenate = (
    _functional(c) for c in (Add, Subtract, Multiply, Average, Maximum, Minimum, Concatenate))


def dot(inputs, axes, normalize=False, **kwargs):
    return Dot(axes, normalize, **kwargs)(inputs)


# Keras 1's merge(inputs, mode='sum') function: `keras.layers.merge` is also callable, as in
# Keras 2.0 / 2.1 (merge_legacy.py)
import sys as _sys  # noqa: E402

from .merge_legacy import make_callable as _make_callable  # noqa: E402

_make_callable(_sys.modules[__name__])
