"""torch.nn.modules.batchnorm: BatchNorm1d / 2d / 3d and their base _BatchNorm."""
from ..layers.normalization import *  # noqa: F401,F403
from ..layers.normalization import _BatchNorm  # noqa: F401
