"""Neural-network building blocks (PyTorch-style): Module, Parameter, layers, init, functional."""
from . import functional
from . import init
from .module import Module, Parameter
from .layers import *  # noqa: F401,F403

# losses, utils: added by their owners below this line
from . import utils
from .loss import (BCELoss, BCEWithLogitsLoss, CrossEntropyLoss, L1Loss, MSELoss, NLLLoss)
from .functional import softmax  # tf.nn.softmax(logits) in the TensorFlow quickstart
