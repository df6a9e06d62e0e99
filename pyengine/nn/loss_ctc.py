"""nn.CTCLoss (PyTorch's arguments): configuration in __init__, forward calls F.ctc_loss."""
from . import functional as F
from .loss_more import _Loss


class CTCLoss(_Loss):
    """Connectionist temporal classification loss; see F.ctc_loss."""

    def __init__(self, blank=0, reduction="mean", zero_infinity=False):
        super().__init__(reduction=reduction)
        self.blank, self.zero_infinity = blank, zero_infinity

    def forward(self, log_probs, targets, input_lengths, target_lengths):
        return F.ctc_loss(log_probs, targets, input_lengths, target_lengths, blank=self.blank,
                          reduction=self.reduction, zero_infinity=self.zero_infinity)

    def extra_repr(self):
        return f"blank={self.blank}, reduction={self.reduction!r}, zero_infinity=" \
               f"{self.zero_infinity}"
