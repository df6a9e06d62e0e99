"""torch.nn.parameter: Parameter (`from torch.nn.parameter import Parameter`)."""
from .module import Parameter  # noqa: F401
