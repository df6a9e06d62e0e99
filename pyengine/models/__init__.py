"""Classic generative models: restricted Boltzmann machines and deep belief nets.

They live here, beside nn/ and keras/, because they are estimators (fit / transform on NumPy
arrays, scikit-learn's contract) trained by contrastive divergence, not by backprop through the
autograd graph; their kernels are csrc/rbm (through backend.cpu), and a DBN becomes a pe.nn or
Keras classifier for the backprop part. docs/rbm.md explains them.
"""
from ._estimator import NotFittedError
from .dbn import DBN
from .finetune import error_rate, fine_tune, predict
from .rbm import BernoulliRBM, GaussianBernoulliRBM

__all__ = ["BernoulliRBM", "GaussianBernoulliRBM", "DBN", "NotFittedError", "fine_tune",
           "predict", "error_rate"]
