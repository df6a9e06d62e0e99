"""PyTorch's nn.utils: gradient clipping (clip_grad.py), parameters as one vector
(convert_parameters.py), spectral and weight normalisation (spectral_norm.py, weight_norm.py), padded sequences (rnn.py: `torch.nn.utils.rnn`),
pruning (prune.py: `torch.nn.utils.prune`), parametrizations (parametrize.py) and
weight_norm / spectral_norm in that form (parametrizations.py)."""
from . import rnn  # noqa: F401
from .clip_grad import clip_grad_norm_, clip_grad_value_  # noqa: F401
from .convert_parameters import parameters_to_vector, vector_to_parameters  # noqa: F401
from .spectral_norm import remove_spectral_norm, spectral_norm  # noqa: F401
from .weight_norm import remove_weight_norm, weight_norm  # noqa: F401



def __getattr__(name):
    # torch.nn.utils.prune / parametrize / parametrizations / stateless as attributes: loaded on first use
    # (about 10 ms of `import pyengine` otherwise); `import ...nn.utils.prune` works as well
    if name in ("prune", "parametrize", "parametrizations", "stateless"):
        import importlib
        return importlib.import_module(f".{name}", __name__)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
