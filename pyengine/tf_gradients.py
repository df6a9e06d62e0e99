"""tf.gradients for `import pyengine as tf`. TensorFlow 2 allows it only in graphs: Keras 2
functional models (a Lambda layer computing d output / d input, keras-io's physics-informed
Neural Eikonal Solver) and tf.function. pyengine runs eagerly, so:

- called on eager tensors, it is autograd.grad with create_graph=True (the gradients can be
  differentiated again: the eikonal loss trains the weights through |grad T|), summed over ys
  as TensorFlow's, grad_ys weighting each y;
- a functional graph whose layer asked for the gradient w.r.t. a tensor that did not require
  one (the model's own inputs, while its shapes are found on example batches) is remembered
  (requested_input_gradients); such a model then runs with its float inputs requiring
  gradients, under enable_grad, so the gradient exists at run time.

unconnected_gradients 'none' gives None for an x the ys do not depend on, 'zero' zeros;
stop_gradients is refused (NotImplementedError). gate_gradients and aggregation_method only
steer TensorFlow's graph scheduling and summation order: accepted, the values are the same."""
import threading

import numpy as np

from .autograd import enable_grad, grad as _grad
from .tensor import Tensor

_state = threading.local()


def requested_input_gradients():
    """Whether a gradient w.r.t. a tensor that did not require one was asked since the last
    call (then resets): the symbolic graph builder marks the layer that asked."""
    asked = getattr(_state, "asked", False)
    _state.asked = False
    return asked


def gradients(ys, xs, grad_ys=None, name="gradients", gate_gradients=False,
              aggregation_method=None, stop_gradients=None, unconnected_gradients="none"):
    op = "tf.gradients"
    if stop_gradients is not None:
        raise NotImplementedError(f"[{op}] stop_gradients= is not supported; apply "
                                  "tf.stop_gradient to those tensors instead")
    mode = getattr(unconnected_gradients, "value", unconnected_gradients)
    if mode not in ("none", "zero"):
        raise ValueError(f"[{op}] unconnected_gradients must be 'none' or 'zero', got "
                         f"{unconnected_gradients!r}")
    ys_list = list(ys) if isinstance(ys, (list, tuple)) else [ys]
    xs_list = list(xs) if isinstance(xs, (list, tuple)) else [xs]
    sym = __import__("sys").modules.get("pyengine.keras.symbolic")
    if sym is not None and sym.is_symbolic((ys_list, xs_list)):
        from .keras.backend_graph import gradients as graph_gradients
        if grad_ys is not None or len(ys_list) != 1:
            raise NotImplementedError(f"[{op}] on Keras graph tensors: one ys and no grad_ys")
        return graph_gradients(ys_list[0], xs_list)
    for t in ys_list + xs_list:
        if not isinstance(t, Tensor):
            raise TypeError(f"[{op}] ys and xs must be tensors, got {type(t).__name__}")
    if grad_ys is None:
        weights = [None] * len(ys_list)
    else:
        weights = list(grad_ys) if isinstance(grad_ys, (list, tuple)) else [grad_ys]
        if len(weights) != len(ys_list):
            raise ValueError(f"[{op}] {len(weights)} grad_ys for {len(ys_list)} ys")
    if any(not x.requires_grad for x in xs_list):
        _state.asked = True
    needing = [x for x in xs_list if x.requires_grad]
    live = [(y, w) for y, w in zip(ys_list, weights) if y.requires_grad]
    got = {}
    if needing and live:
        with enable_grad():
            total = None
            for y, w in live:
                term = (y * (w if isinstance(w, Tensor) else Tensor._wrap(
                    np.asarray(w, y._data.dtype)))).sum() if w is not None else y.sum()
                total = term if total is None else total + term
            found = _grad(total, needing, create_graph=True, allow_unused=True)
        got = {id(x): g for x, g in zip(needing, found)}
    out = []
    for x in xs_list:
        g = got.get(id(x))
        if g is None and mode == "zero":
            g = Tensor._wrap(np.zeros(tuple(x.shape), x._data.dtype))
        out.append(g)
    return out
