"""GradientTape: TensorFlow's way of taking gradients, over pyengine's autograd.

    with pe.GradientTape() as tape:          # `import pyengine as tf; tf.GradientTape()`
        loss = loss_fn(y, model(x, training=True))
    grads = tape.gradient(loss, model.trainable_weights)
    optimizer.apply_gradients(zip(grads, model.trainable_weights))

pyengine records the graph of every op on tensors that require grad (weights do), so the tape
only has to ensure recording is on inside its block and to compute d(target)/d(sources) with
autograd.grad, which returns the gradients without touching the sources' `.grad`. Sources that
are not weights must be `tape.watch(x)`-ed before use (it sets requires_grad, which a
non-persistent tape clears again once its gradient() is taken: later ops on x are not recorded,
as in TensorFlow). A non-persistent
tape answers one gradient() call, as in TensorFlow; persistent=True keeps the graph for more.
Gradients of sources the target does not depend on are None (TensorFlow's default).
A gradient() called while another tape is open is recorded by it (nested tapes: second
derivatives, e.g. WGAN-GP's gradient penalty). Tapes open at the same time record the same ops
(TensorFlow's DCGAN step: `with GradientTape() as gen_tape, GradientTape() as disc_tape:`, both
losses through the discriminator): each keeps the graph for the others until they have taken
their gradient, so the first gradient() does not free what the second needs."""
import enum
import threading
import weakref

import numpy as np

from . import autograd as _ag
from .tensor import Tensor


def _flatten(x):
    if isinstance(x, dict):
        return [leaf for v in x.values() for leaf in _flatten(v)]
    if isinstance(x, (list, tuple)):
        return [leaf for v in x for leaf in _flatten(v)]
    return [x]


def _pack(structure, leaves):
    it = iter(leaves)

    def fill(x):
        if isinstance(x, dict):
            return type(x)((k, fill(v)) for k, v in x.items())
        if isinstance(x, (list, tuple)):
            return type(x)(fill(v) for v in x)
        return next(it)
    return fill(structure)


class UnconnectedGradients(enum.Enum):
    """tf.UnconnectedGradients: what gradient() gives a source the target does not depend on."""
    NONE = "none"
    ZERO = "zero"


class _OpenTapes(threading.local):
    def __init__(self):
        self.stack = []


_open_tapes = _OpenTapes()


def _outer_tape_recording(tape):
    """Whether another tape is open around this gradient() call: then, as in TensorFlow, the
    gradient is itself recorded (create_graph) so the outer tape can differentiate it (a
    gradient penalty: WGAN-GP's inner tape)."""
    return any(t is not tape for t in _open_tapes.stack)


class GradientTape:
    def __init__(self, persistent=False, watch_accessed_variables=True):
        """watch_accessed_variables=False: only what `tape.watch` named gets a gradient (other
        sources, trainable weights included, get None, as in TensorFlow)."""
        self.persistent = bool(persistent)
        self.watch_accessed_variables = bool(watch_accessed_variables)
        self._watched = set()
        self._switched = []  # tensors watch() made require grad, until this tape is done
        self._used = False
        self._prev = None
        self._overlapping = weakref.WeakSet()  # tapes that were open while this one was
        self._start = None  # the autograd node number when the tape opened

    def __enter__(self):
        self._start = next(_ag._NODE_SEQ)
        self._prev = _ag.is_grad_enabled()
        _ag._set_grad_mode(True)
        for other in _open_tapes.stack:
            other._overlapping.add(self)
            self._overlapping.add(other)
        _open_tapes.stack.append(self)
        return self

    def _graph_needed_by_others(self):
        """Whether a tape that recorded alongside this one may still differentiate through the
        same ops: then this tape's gradient() keeps the graph."""
        return any(t.persistent or not t._used for t in self._overlapping)

    def __exit__(self, *exc):
        _ag._set_grad_mode(self._prev)
        stack = _open_tapes.stack
        if self in stack:
            stack.remove(self)
        return False

    def watch(self, tensor):
        """Record operations on `tensor` (or each tensor of a structure) from now on."""
        for t in _flatten(tensor):
            if not isinstance(t, Tensor):
                raise TypeError(f"[GradientTape.watch] expected Tensors, received "
                                f"{type(t).__name__}")
            if t._node is None and not t.requires_grad:
                t.requires_grad_(True)
                self._switched.append(t)
            self._watched.add(id(t))

    def _recorded(self, source):
        """Whether this tape can differentiate with respect to `source`: a variable, a watched
        tensor, or a tensor an op made while the tape was open. A tensor computed before
        (`x2 = tf.Variable(2.0) + 1.0`) gets None, as TensorFlow's tape never recorded it."""
        node = source._node
        if node is None or self._start is None or id(source) in self._watched:
            return True
        seq = getattr(node, "seq", None)
        return seq is None or seq > self._start

    def gradient(self, target, sources, output_gradients=None,
                 unconnected_gradients="none"):
        """d(target)/d(sources) in the structure of `sources` (a tensor, list, tuple or dict);
        a non-scalar target (or a list of targets) is summed first, as TensorFlow does.
        unconnected_gradients: 'none' / 'zero' or tf.UnconnectedGradients.NONE / ZERO."""
        if isinstance(unconnected_gradients, UnconnectedGradients):
            unconnected_gradients = unconnected_gradients.value
        if unconnected_gradients not in ("none", "zero"):
            raise ValueError("[GradientTape.gradient] unconnected_gradients must be 'none' or "
                             f"'zero'. Received: {unconnected_gradients!r}")
        if self._used and not self.persistent:
            raise RuntimeError("[GradientTape.gradient] a non-persistent tape can compute "
                               "gradients once; use GradientTape(persistent=True)")
        self._used = True
        flat = _flatten(sources)
        for s in flat:
            if not isinstance(s, Tensor):
                raise TypeError(f"[GradientTape.gradient] sources must be Tensors / weights, "
                                f"received {type(s).__name__}")
        targets = [t for t in _flatten(target) if t is not None]
        if not targets or not all(isinstance(t, Tensor) for t in targets):
            raise TypeError("[GradientTape.gradient] target must be a Tensor (or a list of them)")
        with _ag.enable_grad():
            total = targets[0] if targets[0]._data.size == 1 else targets[0].sum()
            for t in targets[1:]:
                total = total + (t if t._data.size == 1 else t.sum())
        wanted = [s for s in flat if s.requires_grad and self._recorded(s) and
                  (self.watch_accessed_variables or id(s) in self._watched)]
        grads = {}
        if total.requires_grad and wanted:
            g0 = None if output_gradients is None else output_gradients
            got = _ag.grad(total, wanted, grad_outputs=g0,
                           retain_graph=self.persistent or self._graph_needed_by_others(),
                           create_graph=_outer_tape_recording(self), allow_unused=True)
            grads = {id(s): g for s, g in zip(wanted, got)}
        if not self.persistent:
            # the tape is spent: what it watched stops recording, as in TensorFlow, where ops
            # after the tape are not recorded (Deep Dream's `img += lr * grads`)
            for t in self._switched:
                if t._node is None:
                    t.requires_grad_(False)
            self._switched = []
        out = []
        for s in flat:
            g = grads.get(id(s))
            if g is None and unconnected_gradients == "zero":
                g = Tensor._wrap(np.zeros_like(s._data))
            out.append(g)
        return _pack(sources, out) if isinstance(sources, (list, tuple, dict)) else out[0]
