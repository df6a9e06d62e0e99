"""torch.nn.modules: the paths programs import layers and bases from
(`from torch.nn.modules.module import Module`, `torch.nn.modules.loss._Loss`, ...). Every layer
lives in pyengine.nn; these modules only re-export them under torch's names."""
from .. import *  # noqa: F401,F403
from ..module import Module  # noqa: F401
