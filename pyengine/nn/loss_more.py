"""More loss modules (PyTorch names and arguments): configuration in __init__, forward calls
the functional form in nn/functional_loss_more.py."""
from . import functional as F
from .module import Module


class _Loss(Module):
    """Keeps `reduction`, resolving PyTorch's deprecated size_average / reduce pair."""
    _reductions = ("mean", "sum", "none")

    def __init__(self, size_average=None, reduce=None, reduction="mean"):
        super().__init__()
        name = type(self).__name__
        if size_average is not None or reduce is not None:
            reduction = F._loss_reduction(reduction, size_average, reduce, name)
        reduction = F._loss.legacy_reduction(reduction, name)
        if reduction not in self._reductions:
            raise ValueError(f"[{name}] reduction must be one of "
                             f"{', '.join(map(repr, self._reductions))}, got {reduction!r}")
        self.reduction = reduction

    def extra_repr(self):
        return f"reduction={self.reduction!r}"


class KLDivLoss(_Loss):
    """KL divergence of target from log-probabilities input; see F.kl_div."""
    _reductions = ("mean", "batchmean", "sum", "none")

    def __init__(self, size_average=None, reduce=None, reduction="mean", log_target=False):
        super().__init__(size_average, reduce, reduction)
        self.log_target = log_target

    def forward(self, input, target):
        return F.kl_div(input, target, reduction=self.reduction, log_target=self.log_target)


class TripletMarginLoss(_Loss):
    """max(d(a, p) - d(a, n) + margin, 0); see F.triplet_margin_loss."""

    def __init__(self, margin=1.0, p=2.0, eps=1e-6, swap=False, size_average=None, reduce=None,
                 reduction="mean"):
        super().__init__(size_average, reduce, reduction)
        if margin <= 0:
            raise ValueError(f"[TripletMarginLoss] margin must be greater than 0, got {margin}")
        self.margin, self.p, self.eps, self.swap = margin, p, eps, swap

    def forward(self, anchor, positive, negative):
        return F.triplet_margin_loss(anchor, positive, negative, margin=self.margin, p=self.p,
                                     eps=self.eps, swap=self.swap, reduction=self.reduction)


class MarginRankingLoss(_Loss):
    """max(0, -target * (input1 - input2) + margin)."""

    def __init__(self, margin=0.0, size_average=None, reduce=None, reduction="mean"):
        super().__init__(size_average, reduce, reduction)
        self.margin = margin

    def forward(self, input1, input2, target):
        return F.margin_ranking_loss(input1, input2, target, margin=self.margin,
                                     reduction=self.reduction)


class HingeEmbeddingLoss(_Loss):
    """input where target is 1, max(0, margin - input) where target is -1."""

    def __init__(self, margin=1.0, size_average=None, reduce=None, reduction="mean"):
        super().__init__(size_average, reduce, reduction)
        self.margin = margin

    def forward(self, input, target):
        return F.hinge_embedding_loss(input, target, margin=self.margin, reduction=self.reduction)


class CosineEmbeddingLoss(_Loss):
    """1 - cos(x1, x2) where target is 1, max(0, cos(x1, x2) - margin) where it is -1."""

    def __init__(self, margin=0.0, size_average=None, reduce=None, reduction="mean"):
        super().__init__(size_average, reduce, reduction)
        self.margin = margin

    def forward(self, input1, input2, target):
        return F.cosine_embedding_loss(input1, input2, target, margin=self.margin,
                                       reduction=self.reduction)


class PoissonNLLLoss(_Loss):
    """Poisson negative log-likelihood; see F.poisson_nll_loss."""

    def __init__(self, log_input=True, full=False, size_average=None, eps=1e-8, reduce=None,
                 reduction="mean"):
        super().__init__(size_average, reduce, reduction)
        self.log_input, self.full, self.eps = log_input, full, eps

    def forward(self, log_input, target):
        return F.poisson_nll_loss(log_input, target, log_input=self.log_input, full=self.full,
                                  eps=self.eps, reduction=self.reduction)


class GaussianNLLLoss(_Loss):
    """Gaussian negative log-likelihood with predicted variance; see F.gaussian_nll_loss."""

    def __init__(self, *, full=False, eps=1e-6, reduction="mean"):
        super().__init__(reduction=reduction)
        self.full, self.eps = full, eps

    def forward(self, input, target, var):
        return F.gaussian_nll_loss(input, target, var, full=self.full, eps=self.eps,
                                   reduction=self.reduction)


class MultiLabelSoftMarginLoss(_Loss):
    """Per-class logistic loss averaged over the classes; see F.multilabel_soft_margin_loss."""

    def __init__(self, weight=None, size_average=None, reduce=None, reduction="mean"):
        super().__init__(size_average, reduce, reduction)
        self.weight = weight

    def forward(self, input, target):
        return F.multilabel_soft_margin_loss(input, target, weight=self.weight,
                                             reduction=self.reduction)


class SoftMarginLoss(_Loss):
    """Two-class logistic loss log(1 + exp(-y x)) averaged over the elements; see
    F.soft_margin_loss."""

    def forward(self, input, target):
        return F.soft_margin_loss(input, target, reduction=self.reduction)

    def extra_repr(self):
        return ""  # torch's repr: SoftMarginLoss()


class MultiMarginLoss(_Loss):
    """Multi-class hinge loss; see F.multi_margin_loss. weight (C,) is a buffer."""

    def __init__(self, p=1, margin=1.0, weight=None, size_average=None, reduce=None,
                 reduction="mean"):
        super().__init__(size_average, reduce, reduction)
        if p not in (1, 2) or isinstance(p, bool):
            raise ValueError(f"[MultiMarginLoss] only p == 1 and p == 2 are supported, got p={p!r}")
        if weight is not None and weight.ndim != 1:
            raise ValueError(f"[MultiMarginLoss] weight must be 1-D, got shape "
                             f"{tuple(weight.shape)}")
        self.p, self.margin = p, margin
        self.register_buffer("weight", weight)

    def forward(self, input, target):
        return F.multi_margin_loss(input, target, p=self.p, margin=self.margin,
                                   weight=self.weight, reduction=self.reduction)

    def extra_repr(self):
        return ""  # torch's repr: MultiMarginLoss()
