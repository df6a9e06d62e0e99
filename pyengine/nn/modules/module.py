"""torch.nn.modules.module: Module (and Parameter, which torch's module imports too)."""
from ..module import Module, Parameter  # noqa: F401
