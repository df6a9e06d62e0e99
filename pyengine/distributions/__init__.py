"""pyengine.distributions: PyTorch's torch.distributions on pe Tensors. Parameters may be Python
floats, NumPy arrays or Tensors; log_prob, entropy, rsample and kl_divergence are compositions
of differentiable ops, so gradients reach parameters that require them. See
docs/distributions.md for what exists and how it differs from PyTorch."""
from . import constraints
from .bernoulli import Bernoulli
from .categorical import Categorical
from .distribution import Distribution
from .independent import Independent
from .kl import kl_divergence, register_kl
from .multivariate_normal import MultivariateNormal
from .normal import Normal
from .one_hot_categorical import OneHotCategorical
from .uniform import Uniform
from . import kl  # noqa: E402  (pe.distributions.kl.kl_divergence, as torch)

__all__ = ["Bernoulli", "Categorical", "Distribution", "Independent", "MultivariateNormal",
           "Normal", "OneHotCategorical", "Uniform", "constraints", "kl", "kl_divergence",
           "register_kl"]
