"""torch.nn.utils.stateless: functional_call, the PyTorch 1.x home of torch.func.functional_call
(deprecated since PyTorch 2.0, with the same FutureWarning here). The forward-AD tutorial's
older text runs a module on dual parameters through it."""
import warnings


def functional_call(module, parameters_and_buffers, args=None, kwargs=None, *, tie_weights=True,
                    strict=False):
    """module(*args, **kwargs) with the given tensors in place of its parameters / buffers;
    see pyengine.func.functional_call."""
    warnings.warn("`torch.nn.utils.stateless.functional_call` is deprecated as of PyTorch 2.0 "
                  "and will be removed in a future version of PyTorch. Please use "
                  "`torch.func.functional_call` instead which is a drop-in replacement.",
                  FutureWarning, stacklevel=2)
    from ...func import functional_call as _functional_call
    return _functional_call(module, parameters_and_buffers, args, kwargs,
                            tie_weights=tie_weights, strict=strict)
