"""torch.nn.modules.conv: the convolution layers and their base _ConvNd."""
from ..layers.conv import *  # noqa: F401,F403
from ..layers.conv import _ConvNd  # noqa: F401
