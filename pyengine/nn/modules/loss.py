"""torch.nn.modules.loss: the loss classes and their base _Loss."""
from ..loss import *  # noqa: F401,F403
from ..loss import _Loss  # noqa: F401
from ..loss_more import *  # noqa: F401,F403
