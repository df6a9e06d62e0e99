"""F.ctc_loss, PyTorch's arguments and rules, over ops/ctc.py's CTCLoss Function.

Imported at the end of nn/functional.py; nn.CTCLoss (nn/loss_ctc.py) calls it."""
import numpy as _np

from ..ops.ctc import CTCLoss
from ..tensor import Tensor
from .functional import _loss_reduction

__all__ = ["ctc_loss"]
_OP = "ctc_loss"


def _ints(v, name):
    a = _np.asarray(v._data if isinstance(v, Tensor) else v)
    if a.dtype.kind not in "iu" and not (a.dtype.kind == "f" and _np.all(_np.mod(a, 1) == 0)):
        raise TypeError(f"[{_OP}] {name} must hold integers, got dtype {a.dtype}")
    return a.astype(_np.int64)


def ctc_loss(log_probs, targets, input_lengths, target_lengths, blank=0, reduction="mean",
             zero_infinity=False):
    """CTC loss of log_probs (T, N, C) (log_softmax outputs; (T, C) unbatched) against targets:
    padded (N, S) or all concatenated (sum(target_lengths),) ((S,) unbatched), with each
    sample's input length (<= T) and target length. reduction 'mean' divides each loss by its
    target length, then averages over the batch (PyTorch); 'sum'; 'none' gives (N,).
    zero_infinity: losses of impossible alignments (inputs too short) and their gradients
    become 0.

    >>> lp = pe.randn(12, 2, 5).log_softmax(2)
    >>> F.ctc_loss(lp, pe.tensor([[1, 2, 2], [3, 1, 0]]), [12, 10], [3, 2]).shape
    ()
    """
    reduction = _loss_reduction(reduction, None, None, _OP)
    if not isinstance(log_probs, Tensor):
        raise TypeError(f"[{_OP}] log_probs must be a pe.Tensor")
    if log_probs.dtype not in ("float32", "float64") and \
            log_probs._data.dtype.kind != "f":
        raise TypeError(f"[{_OP}] log_probs must be floating, got {log_probs.dtype}")
    unbatched = log_probs.ndim == 2
    if unbatched:
        log_probs = log_probs.unsqueeze(1)
    if log_probs.ndim != 3:
        raise ValueError(f"[{_OP}] log_probs must be (T, N, C) or (T, C), got shape "
                         f"{tuple(log_probs.shape)}")
    T, N, C = log_probs.shape
    if not isinstance(blank, (int, _np.integer)) or not 0 <= blank < C:
        raise ValueError(f"[{_OP}] blank must be a class index in [0, {C}), got {blank!r}")
    tg = _ints(targets, "targets")
    il = _ints(input_lengths, "input_lengths").reshape(-1)
    tl = _ints(target_lengths, "target_lengths").reshape(-1)
    if unbatched and tg.ndim == 1:
        tg = tg[None, :]
    if il.shape != (N,) or tl.shape != (N,):
        raise ValueError(f"[{_OP}] input_lengths and target_lengths need {N} entries (the "
                         f"batch), got {il.shape[0]} and {tl.shape[0]}")
    if (il < 1).any() or (il > T).any():
        raise ValueError(f"[{_OP}] input_lengths must be in [1, {T}], got {il.tolist()}")
    if (tl < 0).any():
        raise ValueError(f"[{_OP}] target_lengths must be >= 0, got {tl.tolist()}")
    if tg.ndim == 2:
        if tg.shape[0] != N or (tl > tg.shape[1]).any():
            raise ValueError(f"[{_OP}] padded targets must be (N={N}, S >= max target length "
                             f"{int(tl.max()) if N else 0}), got shape {tg.shape}")
        rows = [tg[i, :tl[i]] for i in range(N)]
    elif tg.ndim == 1:
        if tg.shape[0] != int(tl.sum()):
            raise ValueError(f"[{_OP}] concatenated targets must have sum(target_lengths) = "
                             f"{int(tl.sum())} entries, got {tg.shape[0]}")
        rows = _np.split(tg, _np.cumsum(tl)[:-1])
    else:
        raise ValueError(f"[{_OP}] targets must be (N, S) or 1-D, got shape {tg.shape}")
    for r in rows:
        if len(r) and ((r < 0).any() or (r >= C).any() or (r == blank).any()):
            raise ValueError(f"[{_OP}] target labels must be in [0, {C}) and not the blank "
                             f"({blank}), got {r.tolist()}")
    out = CTCLoss.apply(log_probs, targets=rows, input_lengths=il, target_lengths=tl,
                        blank=int(blank), reduction=reduction,
                        zero_infinity=bool(zero_infinity))
    return out.squeeze(0) if unbatched and reduction == "none" else out
