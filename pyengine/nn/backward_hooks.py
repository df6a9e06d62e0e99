"""Module backward hooks: register_full_backward_hook(hook(module, grad_input, grad_output)) and
register_full_backward_pre_hook(hook(module, grad_output)), as torch; the PyTorch tutorials'
"nn package" page registers one on a Conv2d to print gradient norms.

How: the module's tensor inputs that require grad pass through an identity op, so their
gradients (grad_input) arrive on tensors of their own, and the outputs get tensor hooks that
record grad_output first (outputs are differentiated before inputs). The hook runs once, when
the last input gradient arrives, or right after the output gradients when no input requires
grad (grad_input is then all None). A returned tuple replaces grad_input; with several tensor
inputs only a module with one input requiring grad can have it replaced (the others have
already flowed on), and anything else raises a clear error rather than being ignored."""
from ..autograd import Function, is_grad_enabled
from ..tensor import Tensor


class _Identity(Function):
    """y = x, dy/dx = 1: gives a module input a gradient of its own."""

    @staticmethod
    def forward(ctx, x):
        return x

    @staticmethod
    def backward(ctx, g):
        return g


def _as_tuple(x):
    return x if isinstance(x, tuple) else (x,)


class _Call:
    """The bookkeeping of one forward call of a module with backward hooks."""

    def __init__(self, module, n_inputs):
        self.module = module
        self.grad_outputs = None
        self.grad_inputs = [None] * n_inputs
        self.waiting = 0
        self.done = False

    def outputs_ready(self, grads):
        """All output gradients known: run the pre-hooks, and the hooks if no input waits."""
        self.grad_outputs = tuple(grads)
        for hook in list(self.module._backward_pre_hooks.values()):
            res = hook(self.module, self.grad_outputs)
            if res is not None:
                res = _as_tuple(res)
                if len(res) != len(self.grad_outputs):
                    raise RuntimeError(f"[register_full_backward_pre_hook] the hook returned "
                                       f"{len(res)} gradients for {len(self.grad_outputs)} "
                                       "outputs")
                self.grad_outputs = res
        if self.waiting == 0:
            self._run_hooks(None)
        return self.grad_outputs

    def _run_hooks(self, position):
        if self.done:
            return None
        self.done = True
        grad_input = tuple(self.grad_inputs)
        for hook in list(self.module._backward_hooks.values()):
            res = hook(self.module, grad_input, self.grad_outputs or ())
            if res is not None:
                res = _as_tuple(res)
                if len(res) != len(grad_input):
                    raise RuntimeError(f"[register_full_backward_hook] the hook returned "
                                       f"{len(res)} gradients for {len(grad_input)} inputs")
                changed = [i for i, (a, b) in enumerate(zip(res, grad_input)) if a is not b]
                if any(i != position for i in changed):
                    raise RuntimeError("[register_full_backward_hook] the hook replaced the "
                                       "gradient of an input whose gradient has already been "
                                       "passed on (pyengine can replace grad_input only for a "
                                       "module with one input that requires grad)")
                grad_input = res
        return grad_input[position] if position is not None else None


def call_with_backward_hooks(module, forward, args, kwargs):
    """forward(*args, **kwargs) with the module's backward hooks attached to the graph."""
    if not is_grad_enabled():
        return forward(*args, **kwargs)
    tensor_positions = [i for i, a in enumerate(args) if isinstance(a, Tensor)]
    call = _Call(module, len(tensor_positions))
    new_args = list(args)
    for slot, i in enumerate(tensor_positions):
        a = args[i]
        if a.requires_grad:
            wrapped = _Identity.apply(a)
            new_args[i] = wrapped
            call.waiting += 1

            def on_input_grad(g, slot=slot):
                call.grad_inputs[slot] = g
                call.waiting -= 1
                if call.waiting == 0 and call.grad_outputs is not None:
                    return call._run_hooks(slot)
                return None
            wrapped.register_hook(on_input_grad)
    out = forward(*new_args, **kwargs)
    outs = [o for o in _as_tuple(out) if isinstance(o, Tensor) and o.requires_grad]
    if not outs:
        return out
    # The hooks live in autograd's global table until their tensors are collected, so they
    # must not refer to the tensors themselves (only to counts and gradients).
    n_outs = len(outs)
    pending = {"left": n_outs, "grads": [None] * n_outs}

    def make_output_hook(k):
        def on_output_grad(g):
            pending["grads"][k] = g
            pending["left"] -= 1
            if pending["left"] == 0:
                new = call.outputs_ready(pending["grads"])
                if any(new[j] is not pending["grads"][j] for j in range(n_outs) if j != k):
                    raise RuntimeError("[register_full_backward_pre_hook] the hook replaced the "
                                       "gradient of an output that has already been passed on "
                                       "(pyengine can replace grad_output only for a module "
                                       "with one output that requires grad)")
                return new[k]
            return None
        return on_output_grad

    for k, o in enumerate(outs):
        o.register_hook(make_output_hook(k))
    return out
