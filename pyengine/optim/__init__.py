"""Optimizers with fused C++ updates (one kernel call per parameter group per step) and
learning-rate schedulers. See docs/optim.md."""
from . import lr_scheduler
from .adagrad import Adagrad
from .adadelta import Adadelta
from .adam import Adam, AdamW
from .adamax import Adamax
from .lbfgs import LBFGS
from .nadam import NAdam
from .optimizer import Optimizer
from .rmsprop import RMSprop
from .sgd import SGD
from . import swa_utils  # torch.optim.swa_utils: AveragedModel, SWALR, update_bn

__all__ = ["Optimizer", "SGD", "Adam", "AdamW", "RMSprop", "Adagrad", "lr_scheduler",
           "Adadelta", "Adamax", "NAdam", "LBFGS", "swa_utils"]
