"""Neural-network building blocks (PyTorch-style)."""
from . import functional
from . import utils
from .loss import (BCELoss, BCEWithLogitsLoss, CrossEntropyLoss, L1Loss, MSELoss, NLLLoss)
