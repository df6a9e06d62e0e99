"""Reverse-mode automatic differentiation.

A `Function` computes its forward on backend arrays and, when any input requires a gradient,
records a `Node` on the output tensor. `backward()` orders the recorded nodes topologically
(iteratively: a chain of 10,000 ops needs no recursion) and walks them once in reverse, calling
each node's backward. Gradients of broadcast inputs are summed back to the input's shape here,
once, so no op has to repeat that logic.
"""
import contextlib
import itertools
import threading
import weakref

import numpy as np

from . import backend as _backend_pkg
from .backend import CPU, get_backend

# The Tensor class. tensor.py imports this module (and the ops, which import it too), so this
# module cannot import tensor.py back without an import circle: tensor.py hands the class over
# with _bind_tensor_class right after defining it, before any op can run.
Tensor = None


def _bind_tensor_class(cls):
    global Tensor
    Tensor = cls


class _GradState(threading.local):
    enabled = True  # class default: every new thread starts with grad enabled
    backward_callbacks = None  # a list while backward() runs (queue_callback), else None
    vmap_frees = None  # while vmap calls its function: one dict per vmap level (held_frees)


_state = _GradState()


def is_grad_enabled():
    return _state.enabled


def _set_grad_mode(mode):
    _state.enabled = bool(mode)


class _GradMode(contextlib.ContextDecorator):
    def __init__(self, mode):
        self.mode = mode

    def __enter__(self):
        self.prev = is_grad_enabled()
        _set_grad_mode(self.mode)

    def __exit__(self, *exc):
        _set_grad_mode(self.prev)
        return False


class set_grad_enabled(_GradMode):
    """torch.set_grad_enabled(mode): sets grad mode at once when called as a function, and as
    a context manager (`with torch.set_grad_enabled(phase == "train"):`) or decorator restores
    the previous mode on exit."""

    def __init__(self, mode):
        if not isinstance(mode, (bool, int, np.bool_)):
            raise TypeError(f"[set_grad_enabled] mode must be a bool, got {type(mode).__name__}")
        self.prev, self.mode = is_grad_enabled(), bool(mode)
        _set_grad_mode(self.mode)

    def __call__(self, func):
        _set_grad_mode(self.prev)  # as a decorator it only applies inside the function
        return super().__call__(func)

    def _recreate_cm(self):
        return _GradMode(self.mode)

    def __enter__(self):
        _set_grad_mode(self.mode)


def no_grad():
    """Context manager / decorator: ops inside record no graph (inference, optimizer steps)."""
    return _GradMode(False)


def enable_grad():
    return _GradMode(True)


class Context:
    """Per-call scratch space of a Function: what backward needs, and which inputs want grads.

    The defaults are class attributes so that creating one per op costs no __init__: `apply`
    sets `backend` only off the CPU and `needs_input_grad` only when it records a node
    (None means nothing is recorded, so forward may skip saving for backward)."""

    backend = _backend_pkg.cpu
    needs_input_grad = None
    saved_tensors = ()
    # A backward that returns newly allocated arrays, none shared with anything else, sets this:
    # a leaf's first gradient then takes the array as is instead of a copy (for a conv input,
    # one copy of the whole input per step). Arrays that may alias (the incoming grad, views,
    # one array for two inputs) must leave it False.
    grads_are_fresh = False

    def save_for_backward(self, *arrays):
        if _SAVED_HOOKS.stack:
            return pack_saved(self, arrays)
        self.saved_tensors = arrays


class _SavedHooks(threading.local):
    # torch.autograd.graph.saved_tensors_hooks (autograd_graph.py): a tuple of (pack, unpack)
    # pairs, innermost last; (None, message) while disable_saved_tensors_hooks holds
    stack = ()


_SAVED_HOOKS = _SavedHooks()
_PACKED_CLASSES = {}


def pack_saved(ctx, items):
    """ctx.save_for_backward(*items) under saved_tensors_hooks: each array or Tensor goes
    through the innermost pack hook now and its unpack hook when backward reads
    ctx.saved_tensors (ctx's class becomes its _Packed subclass, so contexts saved without
    hooks keep the plain attribute)."""
    pack, unpack = _SAVED_HOOKS.stack[-1]
    if pack is None:  # disable_saved_tensors_hooks
        ctx.saved_tensors = items
        return
    packed = []
    for item in items:
        if isinstance(item, np.ndarray):
            packed.append((pack(Tensor._wrap(item)), item.shape, False))
        elif isinstance(item, Tensor):
            packed.append((pack(item), tuple(item.shape), True))
        else:
            packed.append((item, None, None))
    cls = type(ctx)
    sub = _PACKED_CLASSES.get(cls)
    if sub is None:
        sub = _PACKED_CLASSES[cls] = type("_Packed" + cls.__name__, (_PackedSaved, cls), {})
    ctx.__class__ = sub
    ctx._saved_packed, ctx._saved_unpack = tuple(packed), unpack


class _PackedSaved:
    """The saved_tensors of a context saved under hooks: unpacked at each read, checked."""

    @property
    def saved_tensors(self):
        override = self.__dict__.get("_saved_override")
        if override is not None:
            return override
        out = []
        for packed, shape, as_tensor in self._saved_packed:
            if shape is None:
                out.append(packed)
                continue
            got = self._saved_unpack(packed)
            arr = got._data if isinstance(got, Tensor) else np.asarray(got)
            if tuple(arr.shape) != tuple(shape):
                raise RuntimeError(f"[saved_tensors_hooks] unpack_hook returned a tensor of "
                                   f"shape {tuple(arr.shape)} for a saved tensor of shape "
                                   f"{tuple(shape)}")
            if as_tensor:
                out.append(got if isinstance(got, Tensor) else Tensor._wrap(arr))
            else:
                out.append(arr)
        return tuple(out)

    @saved_tensors.setter
    def saved_tensors(self, value):  # a create_graph rule swaps in graph tensors for a while
        self.__dict__["_saved_override"] = value


class _Unrecorded:
    """The context apply1 / apply2 hand a CPU forward when nothing is recorded: one shared,
    read-only object instead of a new Context per op (a tenth of a 10x10 add's cost). It has
    Context's defaults and no instance attributes, so a forward that stored anything here
    would raise AttributeError instead of sharing state between calls: the ops apply1 / apply2
    serve save and store only when ``ctx.needs_input_grad`` is set."""

    __slots__ = ()
    backend = _backend_pkg.cpu
    needs_input_grad = None
    saved_tensors = ()
    grads_are_fresh = False


_UNRECORDED = _Unrecorded()


class Node:
    # versions: None, or each input's Tensor._version when the op ran, kept only when some
    # input does not require grad (a data batch, a mask: a constant of the graph). Those are the
    # tensors a program may still write in place before backward (under no_grad, or because
    # nothing of theirs is recorded), and the op may have saved their array; backward checks
    # the versions and raises, as PyTorch does, instead of reading the new values. Inputs that
    # require grad are not written in place while in a graph: a write into one makes it adopt
    # a new node (Tensor.__setitem__, note_adoption), so recording only the constants keeps the
    # common op free of the cost.
    # epoch: the number of such adoptions when the node was recorded (node_inputs).
    # seq: the order nodes were recorded in (a GradientTape gives no gradient for a tensor
    # made before it opened, unless watched, as TensorFlow's tape has not recorded its op).
    __slots__ = ("fn", "ctx", "inputs", "freed", "versions", "epoch", "seq", "__weakref__")

    def __init__(self, fn, ctx, inputs):
        self.fn = fn
        self.ctx = ctx
        self.inputs = inputs
        self.freed = False
        self.versions = None
        self.epoch = _ADOPTED_EPOCH[0]
        self.seq = next(_NODE_SEQ)

    @property
    def name(self):
        return self.fn.__name__ + "Backward"

    def __repr__(self):
        return f"<{self.name} object at {id(self):#x}>"

    @property
    def next_functions(self):
        """torch's grad_fn.next_functions: one (node, 0) pair per input, the input's own node,
        an AccumulateGrad for a leaf that requires grad, or None (the blitz tutorial walks
        loss.grad_fn.next_functions[0][0] back through the graph)."""
        out = []
        for t in node_inputs(self):
            node = getattr(t, "_node", None)
            if node is None and getattr(t, "requires_grad", False):
                node = AccumulateGrad(t)
            out.append((node, 0))
        return tuple(out)


# Writes into a graph's own tensors (PyTorch's CopySlices: `x[i] = v`, `x[i] += v` with x or v
# in the graph). The tensor keeps its identity for the program and adopts the write's node; the
# nodes recorded before the write that read it must keep reading the tensor as it was. Each write
# counts an epoch and keeps, under id(tensor), (epoch, the tensor as it was before the write);
# nodes record the epoch they were made in, and node_inputs swaps an input written after its
# node for the version the node read. Empty (one test per node walked) unless a program writes.
_ADOPTED_EPOCH = [0]
_NODE_SEQ = itertools.count()
_ADOPTED = {}


def note_adoption(tensor, before):
    """`tensor` now holds a write's result and node; `before` (a new Tensor object) holds its
    data and node as they were: nodes recorded until now read `before`."""
    _ADOPTED_EPOCH[0] += 1
    key = id(tensor)
    history = _ADOPTED.get(key)
    if history is None:
        history = _ADOPTED[key] = []
        weakref.finalize(tensor, _ADOPTED.pop, key, None)
    history.append((_ADOPTED_EPOCH[0], before))


def earlier_versions(tensor):
    """The Tensor objects keeping `tensor` as it was before each write into it, oldest first."""
    return [before for _, before in _ADOPTED.get(id(tensor), ())]


def node_inputs(node):
    """node.inputs, each tensor written after the node was recorded replaced, once and for good,
    by the version the node read (note_adoption)."""
    inputs = node.inputs
    if not _ADOPTED:
        return inputs
    resolved, changed = [], False
    for t in inputs:
        history = _ADOPTED.get(id(t)) if t is not None else None
        if history is not None:
            for epoch, before in history:
                if epoch > node.epoch:
                    t, changed = before, True
                    break
        resolved.append(t)
    if changed:
        node.inputs = inputs = tuple(resolved)
    return inputs


def note_view_of(result, source):
    """Links the result of a view op that recorded nothing (Function.makes_view) to its source
    when it views the source's memory, so that a later write of a graph value into the view
    reaches the source (tensor_view_write.view_root)."""
    if isinstance(source, Tensor) and result._data.base is not None and \
            np.may_share_memory(result._data, source._data):
        result._view_of = source


def note_constant_versions(node):
    """Keeps the inputs' versions on `node` when one of them is a constant of the graph (a
    Tensor that does not require grad); see Node."""
    inputs = node.inputs
    if getattr(node.fn, "reads_inputs", True) and any(
            t is not None and not t.requires_grad for t in inputs):
        node.versions = tuple([None if t is None else t._version for t in inputs])


def check_versions(node):
    """Raises if an input of `node` was written in place after the op read it."""
    for i, (t, v) in enumerate(zip(node.inputs, node.versions)):
        if t is not None and t._version != v:
            raise RuntimeError(
                f"[backward] one of the tensors needed for gradient computation has been "
                f"modified by an inplace operation: input {i} of {node.name} (shape "
                f"{tuple(t.shape)}) was at version {v} when the op ran and is at version "
                f"{t._version} now. Write it after backward(), or give the op a copy "
                f"(x.clone()) or a new tensor")


class AccumulateGrad:
    """The graph's end at a leaf tensor that requires grad (torch's AccumulateGrad node)."""
    __slots__ = ("variable",)
    name = "AccumulateGrad"
    next_functions = ()

    def __init__(self, variable):
        self.variable = variable

    def __repr__(self):
        return f"<AccumulateGrad object at {id(self):#x}>"


class Function:
    """Base of differentiable ops. Subclasses define, side by side:

    ``forward(ctx, *args, **params) -> array`` on backend arrays (Tensor args arrive unwrapped), and
    ``backward(ctx, grad) -> one gradient (array or None) per positional arg``.
    """

    # False where backward never reads the inputs' values (add, sub, cat, stack): an
    # in-place write into a constant input after the op then changes no gradient, and PyTorch
    # (which checks only what an op saved) accepts it, so the versions are not kept.
    reads_inputs = True
    # True where the result may view the first input's memory (index, reshape, permute): when
    # nothing is recorded the result keeps a link to that input, so a later write of a graph
    # value into the view reaches it (tensor_view_write.py).
    makes_view = False

    def __init_subclass__(cls, **kwargs):
        super().__init_subclass__(**kwargs)
        if not cls.__module__.startswith("pyengine"):
            # A user's torch.autograd.Function: forward / backward on Tensors, as in torch
            # (pyengine/autograd_function.py); pyengine's own ops stay array-level.
            from .autograd_function import make_user_function
            make_user_function(cls)

    @staticmethod
    def forward(ctx, *args, **params):
        raise NotImplementedError

    @staticmethod
    def backward(ctx, grad):
        raise NotImplementedError

    @classmethod
    def apply(cls, *args, **params):
        # Dispatch cost matters for small tensors (the NumPy work of a 10x10 add is ~0.3 us).
        # One or two Tensor inputs without parameters (most ops) skip the generic scan, and
        # forward is called with explicit positional arguments: a *args call costs a tuple and
        # the slow call protocol.
        n = len(args)
        a0 = args[0] if n else None
        if n == 2 and not params and isinstance(a0, Tensor) and isinstance(args[1], Tensor):
            # Two tensors, no parameters (x + y, x @ w, ...): the whole call inline.
            a1 = args[1]
            device = a0._device
            if a1._device is not device and a1._device != device:
                _mixed_devices(cls, device, a1._device)
            ctx = Context()
            if device is not CPU and device.type != "cpu":
                ctx.backend = get_backend(device)
            r0, r1 = a0.requires_grad, a1.requires_grad
            record = (r0 or r1) and _state.enabled
            if record:
                ctx.needs_input_grad = (r0, r1)
            out = cls.forward(ctx, a0._data, a1._data)
            result = _new_tensor(Tensor)
            result._data = out if type(out) is np.ndarray else np.asarray(out)
            result._device = device
            result.grad = None
            result._retain_grad = False
            result.requires_grad = record
            if record:
                node = result._node = Node(cls, ctx, args)
                if not (r0 and r1) and cls.reads_inputs:
                    node.versions = (a0._version, a1._version)
            else:
                result._node = None
            return result
        if n == 1 and isinstance(a0, Tensor):
            device, record, mixed = a0._device, a0.requires_grad, False
        else:
            device, record, mixed = _scan(cls, args)
        ctx = Context()
        if device is not CPU and device.type != "cpu":
            ctx.backend = get_backend(device)
        if record and _state.enabled:
            ctx.needs_input_grad = (
                (a0.requires_grad, args[1].requires_grad) if n == 2 and not mixed
                else tuple([isinstance(a, Tensor) and a.requires_grad for a in args]))
        else:
            record = False
        if params or mixed or n > 2:
            out = cls.forward(ctx, *[a._data if isinstance(a, Tensor) else a for a in args],
                              **params)
        elif n == 2:
            out = cls.forward(ctx, a0._data, args[1]._data)
        else:
            out = cls.forward(ctx, a0._data) if n else cls.forward(ctx)
        result = _new_tensor(Tensor)
        result._data = out if type(out) is np.ndarray else np.asarray(out)
        result._device = device
        result.grad = None
        result._retain_grad = False
        if record:
            result.requires_grad = True
            inputs = tuple([a if isinstance(a, Tensor) else None for a in args]) if mixed else args
            node = result._node = Node(cls, ctx, inputs)
            if n > 1 or mixed:
                note_constant_versions(node)
        else:
            result.requires_grad = False
            result._node = None
            if cls.makes_view:
                note_view_of(result, a0)
        return result


def apply2(cls, a0, a1):
    """``cls.apply(a0, a1)`` for exactly two Tensors and no parameters (``x + y``, ``x @ w``):
    the same steps as `Function.apply`, without packing and unpacking an argument tuple and a
    keyword dict or testing which form the call has (a third of the dispatch cost of a 10x10
    add). Tensor's operators call it once they know both operands are Tensors; `cls` is one of
    the ops whose forward writes nothing to ctx when nothing is recorded (see _Unrecorded)."""
    device = a0._device
    result = _new_tensor(Tensor)
    if (a0.requires_grad or a1.requires_grad) and _state.enabled:
        if a1._device is not device and a1._device != device:
            _mixed_devices(cls, device, a1._device)
        ctx = Context()
        if device is not CPU and device.type != "cpu":
            ctx.backend = get_backend(device)
        r0, r1 = ctx.needs_input_grad = (a0.requires_grad, a1.requires_grad)
        out = cls.forward(ctx, a0._data, a1._data)
        result.requires_grad = True
        node = result._node = Node(cls, ctx, (a0, a1))
        if not (r0 and r1) and cls.reads_inputs:
            node.versions = (a0._version, a1._version)
    else:
        if device is CPU and a1._device is CPU:
            out = cls.forward(_UNRECORDED, a0._data, a1._data)
        else:
            if a1._device is not device and a1._device != device:
                _mixed_devices(cls, device, a1._device)
            ctx = Context()
            if device.type != "cpu":
                ctx.backend = get_backend(device)
            out = cls.forward(ctx, a0._data, a1._data)
        result.requires_grad = False
        result._node = None
    result._data = out if type(out) is _ndarray else np.asarray(out)
    result._device = device
    result.grad = None
    result._retain_grad = False
    return result


def apply1(cls, a0):
    """``cls.apply(a0)`` for exactly one Tensor and no parameters (``x.relu()``, ``x.sum()``),
    as `apply2`."""
    device = a0._device
    result = _new_tensor(Tensor)
    if a0.requires_grad and _state.enabled:
        ctx = Context()
        if device is not CPU and device.type != "cpu":
            ctx.backend = get_backend(device)
        ctx.needs_input_grad = (True,)
        out = cls.forward(ctx, a0._data)
        result.requires_grad = True
        result._node = Node(cls, ctx, (a0,))
    else:
        if device is CPU:
            out = cls.forward(_UNRECORDED, a0._data)
        else:
            ctx = Context()
            if device.type != "cpu":
                ctx.backend = get_backend(device)
            out = cls.forward(ctx, a0._data)
        result.requires_grad = False
        result._node = None
    result._data = out if type(out) is _ndarray else np.asarray(out)
    result._device = device
    result.grad = None
    result._retain_grad = False
    return result


def apply_tensors(cls, args, params):
    """``cls.apply(*args, **params)`` when every arg is known to be a Tensor (a layer's x,
    weight and bias, checked by its caller): `Function.apply` without the scan for
    non-Tensor arguments and the per-argument unwrapping it needs."""
    a0 = args[0]
    device = a0._device
    for a in args:
        if a._device is not device and a._device != device:
            _mixed_devices(cls, device, a._device)
    ctx = Context()
    if device is not CPU and device.type != "cpu":
        ctx.backend = get_backend(device)
    result = _new_tensor(Tensor)
    needs = tuple([a.requires_grad for a in args])
    if True in needs and _state.enabled:
        ctx.needs_input_grad = needs
        out = cls.forward(ctx, *[a._data for a in args], **params)
        result.requires_grad = True
        node = result._node = Node(cls, ctx, args)
        if False in needs and cls.reads_inputs:
            node.versions = tuple([a._version for a in args])
    else:
        out = cls.forward(ctx, *[a._data for a in args], **params)
        result.requires_grad = False
        result._node = None
    result._data = out if type(out) is np.ndarray else np.asarray(out)
    result._device = device
    result.grad = None
    result._retain_grad = False
    return result


def _scan(fn, args):
    """(device, any input requires grad, some args are not Tensors) for any argument list."""
    device, record, mixed = None, False, False
    for a in args:
        if isinstance(a, Tensor):
            if device is None:
                device = a._device
            elif a._device is not device and a._device != device:
                _mixed_devices(fn, device, a._device)
            record = record or a.requires_grad
        else:
            mixed = True
    return (CPU if device is None else device), record, mixed


def _mixed_devices(fn, d1, d2):
    raise RuntimeError(f"[{fn.__name__.lower()}] tensors on different devices: {d1} and {d2}")


def _sum_to_shape(grad, shape):
    """Sum a broadcast gradient back to `shape` (NumPy broadcasting rules in reverse)."""
    if grad.shape == shape:
        return grad
    extra = grad.ndim - len(shape)
    if extra > 0:
        grad = grad.sum(axis=tuple(range(extra)))
    axes = tuple(i for i, s in enumerate(shape) if s == 1 and grad.shape[i] != 1)
    if axes:
        grad = grad.sum(axis=axes, keepdims=True)
    return grad.reshape(shape)


def _topological_order(root):
    """Tensors with a node, inputs before outputs (iterative depth-first post-order)."""
    # node_inputs only once a program has written into a graph's tensor (the common walk
    # pays one dict test per node)
    order, visited, stack = [], {id(root)}, [(root, iter(node_inputs(root._node)))]
    while stack:
        t, inputs = stack[-1]
        for inp in inputs:
            if inp is not None and inp._node is not None and id(inp) not in visited:
                visited.add(id(inp))
                node = inp._node
                stack.append((inp, iter(node.inputs if not _ADOPTED else node_inputs(node))))
                break
        else:  # every input is done
            stack.pop()
            order.append(t)
    return order


# Tensor.register_hook: id(tensor) -> {handle id: hook}. Tensor has no slot to spare, and a
# dict keyed by tensors would call their elementwise __eq__; an entry is dropped when its tensor
# is collected (weakref.finalize). Empty in the common case, so backward pays one test per node.
_HOOKS = {}


# Tensor.register_post_accumulate_grad_hook: the hooks live on the leaf (`_post_hooks`, a dict
# handle id -> hook), so a hook that refers back to its tensor (an optimizer holding the
# parameter) is an ordinary collectable cycle; _POST_HOOKS tracks the hooked leaves weakly, to
# make "any hooks?" one test on the backward path and `id(t) in _POST_HOOKS` a lookup.
_POST_HOOKS = weakref.WeakValueDictionary()  # id(leaf) -> leaf


class RemovableHandle:
    _next = 0

    def __init__(self, key):
        self.key, self.id = key, RemovableHandle._next
        RemovableHandle._next += 1

    def remove(self):
        hooks = _HOOKS.get(self.key)
        if hooks is not None:
            hooks.pop(self.id, None)
            if not hooks:
                _HOOKS.pop(self.key, None)


def register_hook(tensor, hook):
    """hook(grad) -> None or a replacement grad, called when tensor's gradient is computed
    (for a leaf: before it is added to .grad)."""
    import weakref
    if not tensor.requires_grad:
        raise RuntimeError("[register_hook] cannot register a hook on a tensor that doesn't "
                           "require gradient")
    key = id(tensor)
    if key not in _HOOKS:
        _HOOKS[key] = {}
        weakref.finalize(tensor, _HOOKS.pop, key, None)
    handle = RemovableHandle(key)
    _HOOKS[key][handle.id] = hook
    return handle


def register_post_accumulate_grad_hook(tensor, hook):
    """hook(tensor) -> None, called once a backward pass has added the leaf's whole gradient
    for that pass to its .grad (torch 2.1's API: an optimizer step fused into backward).
    pyengine runs these hooks at the end of the backward walk, after every leaf's .grad is
    final, rather than while other gradients are still being computed: the results are the
    same, the memory torch saves by stepping early is not saved."""
    if not tensor.requires_grad:
        raise RuntimeError("[register_post_accumulate_grad_hook] cannot register a hook on a "
                           "tensor that doesn't require gradient")
    if tensor._node is not None:
        raise RuntimeError("[register_post_accumulate_grad_hook] post accumulate grad hooks "
                           "cannot be registered on non-leaf tensors")
    if not callable(hook):
        raise TypeError("[register_post_accumulate_grad_hook] hook must be callable")
    hooks = tensor.__dict__.setdefault("_post_hooks", {})
    _POST_HOOKS[id(tensor)] = tensor
    handle = _PostHookHandle(tensor)
    hooks[handle.id] = hook
    return handle


class _PostHookHandle:
    """register_post_accumulate_grad_hook's handle: .remove() drops the hook."""
    _next = 0

    def __init__(self, tensor):
        self._ref, self.id = weakref.ref(tensor), _PostHookHandle._next
        _PostHookHandle._next += 1

    def remove(self):
        t = self._ref()
        if t is not None:
            hooks = t.__dict__.get("_post_hooks", {})
            hooks.pop(self.id, None)
            if not hooks:
                _POST_HOOKS.pop(id(t), None)


def _post_hooked_leaves(root, inputs):
    """The leaves with post-accumulate hooks that a backward from `root` (into `inputs`, when
    given) accumulates into."""
    if inputs is not None:
        wanted = inputs if isinstance(inputs, (list, tuple)) else [inputs]
        return [t for t in wanted if t._node is None and id(t) in _POST_HOOKS]
    if root._node is None:
        return [root] if id(root) in _POST_HOOKS else []
    found = {}
    for t in _topological_order(root):
        for inp in node_inputs(t._node):
            if inp is not None and inp._node is None and inp.requires_grad \
                    and id(inp) in _POST_HOOKS:
                found[id(inp)] = inp
    return list(found.values())


def _run_post_hooks(leaves):
    for leaf in leaves:
        for hook in list(leaf.__dict__.get("_post_hooks", {}).values()):
            if hook(leaf) is not None:
                raise RuntimeError("[register_post_accumulate_grad_hook] hooks should return "
                                   "None")


def _run_hooks(key, g, device):
    for hook in list(_HOOKS[key].values()):
        out = hook(Tensor._wrap(g, device))
        if out is not None:
            new = out._data if isinstance(out, Tensor) else np.asarray(out)
            if new.shape != g.shape:
                raise RuntimeError(f"[register_hook] a hook returned a gradient of shape "
                                   f"{new.shape} for a tensor of shape {g.shape}")
            g = new
    return g


def _initial_gradient(tensor, gradient, op="backward"):
    if not tensor.requires_grad:
        raise RuntimeError(f"[{op}] tensor does not require grad and has no grad_fn")
    if gradient is None:
        if tensor._data.size != 1:
            raise RuntimeError(f"[{op}] grad can be implicitly created only for scalar outputs; "
                               f"got shape {tensor.shape}: pass gradient=")
        return np.ones(tensor._data.shape, tensor._data.dtype)  # np.ones_like: ~1 us of Python
    g0 = gradient._data if isinstance(gradient, Tensor) else np.asarray(gradient)
    if g0.shape != tensor._data.shape:
        raise ValueError(f"[{op}] gradient has shape {g0.shape}, expected {tensor.shape}")
    return g0.astype(tensor._data.dtype, copy=False)


def queue_callback(fn):
    """Run fn() once the backward() now running has written every ``.grad`` (PyTorch's
    ``Variable._execution_engine.queue_callback``), e.g. from a tensor hook; callbacks run in
    the order queued, after the walk, outside it (they may call backward again). Returns True,
    or False and queues nothing when no backward() is running: autograd.grad() writes no
    ``.grad`` and runs none. DistributedDataParallel averages the gradients from one."""
    callbacks = _state.backward_callbacks
    if callbacks is None:
        return False
    callbacks.append(fn)
    return True


def is_freed(node):
    """Whether a backward without retain_graph has freed this node (for this vmap call too)."""
    if node.freed:
        return True
    held = _state.vmap_frees
    return held is not None and any(id(node) in level for level in held)


class held_frees:
    """vmap's per-index calls stand for one call of the function on the batch (torch runs it
    once, batched), so a backward without retain_graph inside it may free a graph made outside
    vmap only once, for all indices: ``vmap(lambda v: autograd.grad(y, x, v)[0])(eye)`` builds a
    Jacobian in the vmap tutorial. While this is active, such a backward marks the nodes it
    would free as freed for the current call only (a second backward in that call still
    raises); next_call() starts the next index with the graph whole, and leaving the outermost
    level frees, for good, the nodes still alive that any call freed. Nested vmaps are levels:
    what an inner vmap freed counts as freed for the rest of the enclosing call."""

    def __enter__(self):
        if _state.vmap_frees is None:
            _state.vmap_frees = []
        _state.vmap_frees.append({})
        self.ever = weakref.WeakValueDictionary()  # nodes die with their graph, as unheld
        return self

    def next_call(self):
        level = _state.vmap_frees
        self.ever.update(level[-1])
        level[-1] = {}

    def __exit__(self, *exc):
        held = _state.vmap_frees
        self.ever.update(held.pop())
        if held:
            held[-1].update(self.ever)
        else:
            _state.vmap_frees = None
            for node in list(self.ever.values()):
                node.ctx = None
                node.freed = True
        return False


def backward(tensor, gradient=None, retain_graph=None, create_graph=False, inputs=None):
    """Accumulate d(tensor)/d(leaf) into every leaf's ``.grad`` (or only into `inputs`'s, as
    PyTorch's ``backward(inputs=...)``). create_graph=True records the gradient computation
    itself, so the ``.grad`` it leaves can be differentiated again (autograd_higher.py)."""
    outer = _state.backward_callbacks
    _state.backward_callbacks = callbacks = []
    try:
        _backward(tensor, gradient, retain_graph, create_graph, inputs)
    finally:
        _state.backward_callbacks = outer
    for fn in callbacks:
        fn()


def _backward(tensor, gradient, retain_graph, create_graph, inputs):
    if retain_graph is None:
        retain_graph = create_graph
    if create_graph:
        hooked = _post_hooked_leaves(tensor, inputs) if _POST_HOOKS else ()
        from . import autograd_higher
        autograd_higher.backward(tensor, gradient, inputs)
        if hooked:
            _run_post_hooks(hooked)
        return
    g0 = _initial_gradient(tensor, gradient)
    if inputs is not None:
        wanted = list(inputs) if isinstance(inputs, (list, tuple)) else [inputs]
        got = _run_backward(tensor, g0, retain_graph, {id(t): None for t in wanted})
        for t in wanted:
            if got[id(t)] is not None:
                t._accumulate(got[id(t)])
        if _POST_HOOKS:
            _run_post_hooks([t for t in wanted if t._node is None and got[id(t)] is not None])
        return
    _run_backward(tensor, g0, retain_graph, None)


def _run_backward(tensor, g0, retain_graph, targets):
    """The reverse walk. targets None: gradients accumulate into the leaves' .grad. Otherwise a
    dict id(tensor) -> None naming the tensors whose gradient is wanted: the walk fills it in
    and leaves every .grad (and retain_grad) as it was."""
    collect = targets is not None

    def deliver(leaf, g):  # a leaf's final gradient (hooks already run)
        if not collect:
            leaf._accumulate(g)
        elif id(leaf) in targets:
            targets[id(leaf)] = g
    if tensor._node is None:  # a leaf: d(leaf)/d(leaf) = 1
        if _HOOKS and id(tensor) in _HOOKS:
            g0 = _run_hooks(id(tensor), g0, tensor._device)
        deliver(tensor, g0)
        if _POST_HOOKS and not collect:
            _run_post_hooks([tensor])
        return targets
    grads = {id(tensor): g0}
    hooked_leaves = {}  # id -> (leaf, summed gradient): leaves whose hooks wait for the total
    order = _topological_order(tensor)
    below = None
    if collect:
        # as PyTorch's autograd.grad, run only the nodes on a path to a wanted tensor: nothing
        # beneath a wanted non-leaf runs (or is freed) unless another wanted tensor is there
        # (keras-io Deep Dream watches the image its previous step computed, outside the tape)
        below = set()
        for t in order:  # the tensors a node reads come before it
            if any(inp is not None and (id(inp) in targets or id(inp) in below)
                   for inp in t._node.inputs):
                below.add(id(t))
    state = _state
    held = state.vmap_frees  # inside vmap: frees last for the current call (held_frees)
    prev = state.enabled
    state.enabled = False  # no_grad() without the context-manager object (~1 us a step)
    try:
        for t in reversed(order):
            node = t._node
            g = grads.pop(id(t), None)
            if g is None:
                continue
            if below is not None and id(t) not in below:
                if id(t) in targets:
                    targets[id(t)] = g if not (_HOOKS and id(t) in _HOOKS) else \
                        _run_hooks(id(t), g, t._device)
                continue
            if node.freed or (held is not None and any(id(node) in lv for lv in held)):
                raise RuntimeError("[backward] trying to backward through the graph a second time; "
                                   "pass retain_graph=True to the first backward()")
            if node.versions is not None:
                check_versions(node)
            if _HOOKS and id(t) in _HOOKS:
                g = _run_hooks(id(t), g, t._device)
            if collect:
                if id(t) in targets:
                    targets[id(t)] = g
            elif t._retain_grad:
                t._accumulate(g)
            ctx = node.ctx
            in_grads = node.fn.backward(ctx, g)
            if type(in_grads) is not tuple:
                in_grads = (in_grads,)
            fresh = ctx.grads_are_fresh
            for inp, ig in zip(node.inputs, in_grads):
                if inp is None or ig is None or not inp.requires_grad:
                    continue
                if type(ig) is not _ndarray:
                    ig = np.asarray(ig)
                data = inp._data
                if ig.shape != data.shape:
                    ig = _sum_to_shape(ig, data.shape)
                dt = data.dtype
                if ig.dtype is not dt and ig.dtype != dt:
                    ig = ig.astype(dt)
                if inp._node is None:
                    if (_HOOKS and id(inp) in _HOOKS) or (_POST_HOOKS and id(inp) in _POST_HOOKS):
                        # hooked leaf: its hooks see the total
                        prev_g = hooked_leaves.get(id(inp))
                        hooked_leaves[id(inp)] = (inp, ig if prev_g is None else prev_g[1] + ig)
                        continue
                    if collect:
                        if id(inp) in targets:
                            prev_g = targets[id(inp)]
                            targets[id(inp)] = ig if prev_g is None else prev_g + ig
                    elif fresh and inp.grad is None and ig.flags.c_contiguous:
                        # a leaf's first gradient, a new array of its dtype: taken as is
                        # (Tensor._accumulate's owned case, inline)
                        gt = _new_tensor(Tensor)
                        gt._data, gt._device, gt.requires_grad = ig, inp._device, False
                        gt.grad, gt._node, gt._retain_grad = None, None, False
                        inp.grad = gt
                    else:
                        inp._accumulate(ig, fresh)
                else:
                    prev_g = grads.get(id(inp))
                    grads[id(inp)] = ig if prev_g is None else prev_g + ig
            if not retain_graph:
                if held is None:
                    node.ctx = None
                    node.freed = True
                else:
                    held[-1][id(node)] = node
        for leaf, g in hooked_leaves.values():
            deliver(leaf, _run_hooks(id(leaf), g, leaf._device) if id(leaf) in _HOOKS else g)
    finally:
        state.enabled = prev
    if _POST_HOOKS and not collect:  # every .grad is final: the fused optimizer steps may run
        _run_post_hooks([leaf for leaf, _ in hooked_leaves.values()])
    return targets


def grad(outputs, inputs, grad_outputs=None, retain_graph=None, create_graph=False,
         only_inputs=True, allow_unused=None):
    """Gradients of `outputs` (a tensor or a sequence) w.r.t. `inputs`, returned: no tensor's
    ``.grad`` changes (PyTorch's torch.autograd.grad). create_graph=True returns gradients that
    carry a graph, so they can be differentiated again (a gradient penalty, Hessian-vector
    products). An input the outputs do not depend on raises unless allow_unused=True, which
    gives None for it. only_inputs (deprecated in PyTorch, where it no longer does anything)
    may only be True: gradients are only ever computed for `inputs`."""
    if only_inputs is not True:
        raise ValueError("[grad] only_inputs=False is not supported (PyTorch ignores it since "
                         "1.x): gradients are computed for `inputs` only")
    inputs = list(inputs) if isinstance(inputs, (list, tuple)) else [inputs]
    for t in inputs:
        if not isinstance(t, Tensor) or not t.requires_grad:
            raise RuntimeError("[grad] every input must be a Tensor that requires grad")
    outs = list(outputs) if isinstance(outputs, (list, tuple)) else [outputs]
    if grad_outputs is None:
        gos = [None] * len(outs)
    else:
        gos = list(grad_outputs) if isinstance(grad_outputs, (list, tuple)) else [grad_outputs]
        if len(gos) != len(outs):
            raise ValueError(f"[grad] {len(outs)} outputs but {len(gos)} grad_outputs")
    if retain_graph is None:
        retain_graph = create_graph
    if create_graph:
        from . import autograd_higher
        result = autograd_higher.grad(outs, gos, inputs)
    else:
        totals = {id(t): None for t in inputs}
        for i, (o, go) in enumerate(zip(outs, gos)):
            g0 = _initial_gradient(o, go, "grad")
            # every output but the last keeps the graph: they may share nodes
            got = _run_backward(o, g0, retain_graph or i < len(outs) - 1,
                                {id(t): None for t in inputs})
            for k, v in got.items():
                if v is not None:
                    totals[k] = v if totals[k] is None else totals[k] + v
        result = [None if totals[id(t)] is None else Tensor._wrap(totals[id(t)], t._device)
                  for t in inputs]
    if not allow_unused and any(r is None for r in result):
        raise RuntimeError("[grad] one of the differentiated Tensors appears to not have been "
                           "used in the graph; pass allow_unused=True to get None for it")
    return tuple(result)


_new_tensor = object.__new__
_ndarray = np.ndarray
