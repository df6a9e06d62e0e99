"""Connectionist temporal classification (Graves et al. 2006): the loss of PyTorch's
F.ctc_loss / nn.CTCLoss (and, through keras/ctc.py, Keras' ctc_batch_cost / ops.ctc_loss), and
greedy decoding.

With the target l extended by blanks, l' = (blank, l1, blank, l2, ..., blank) of length 2S+1,
the forward variables (log space) are
    alpha[0, 0] = lp[0, blank], alpha[0, 1] = lp[0, l'1]
    alpha[t, s] = logsumexp(alpha[t-1, s], alpha[t-1, s-1], alpha[t-1, s-2] if l'_s is not
                  blank and l'_s != l'_(s-2)) + lp[t, l'_s]
and -log P = -logsumexp(alpha[T-1, 2S], alpha[T-1, 2S-1]). The backward variables beta run the
same recursion from the end; alpha[t, s] + beta[t, s] - lp[t, l'_s] is the log of the
probability of all alignments through (t, s), so
    d(-log P) / d lp[t, c] = -sum_(s: l'_s = c) exp(alpha[t, s] + beta[t, s] - lp[t, c] + log P).
That is the gradient with respect to the log-probabilities themselves, whatever produced them
(PyTorch's kernel returns exp(lp) minus it, which equals it only after a log_softmax; through a
log_softmax both give the same gradient for the logits). Every sample of the batch runs in the
same vectorised recursion over time, in float64; time steps past a sample's input length and
label positions past its target are masked.
"""
import numpy as np

from ..autograd import Function

_NEG = -np.inf


def _lse3(a, b, c):
    m = np.maximum(np.maximum(a, b), c)
    safe = np.where(np.isfinite(m), m, 0.0)
    with np.errstate(under="ignore", divide="ignore"):
        out = safe + np.log(np.exp(a - safe) + np.exp(b - safe) + np.exp(c - safe))
    return np.where(np.isfinite(m), out, m)


def ctc_nll_and_grad(lp, ext, ext_len, in_len, want_grad):
    """-log P per sample and, if asked, its gradient w.r.t. lp (T, N, C) (float64).
    ext (N, L) extended labels, ext_len (N,) their lengths 2S+1, in_len (N,) input lengths."""
    T, N, C = lp.shape
    L = ext.shape[1]
    rows = np.arange(N)[:, None]
    lpe = lp[:, rows, ext]  # (T, N, L): lp[t, n, l'_s]
    valid = np.arange(L)[None, :] < ext_len[:, None]
    skip = np.zeros((N, L), bool)  # L is 1 when every target of the batch is empty
    skip[:, 2:] = (ext[:, 2:] != ext[:, :1]) & (ext[:, 2:] != ext[:, :-2])
    # ext[:, 0] is the blank: l'_s != blank and l'_s != l'_(s-2)
    neg = np.full((N, 1), _NEG)
    alpha = np.full((T, N, L), _NEG)
    a = np.full((N, L), _NEG)
    a[:, 0] = lpe[0, :, 0]
    if L > 1:
        a[:, 1] = np.where(ext_len > 1, lpe[0, :, 1], _NEG)
    a = np.where(valid, a, _NEG)
    alpha[0] = a
    for t in range(1, T):
        s1 = np.concatenate([neg, a[:, :-1]], 1)
        s2 = np.where(skip, np.concatenate([neg, neg, a[:, :-2]], 1)[:, :L], _NEG)
        new = np.where(valid, _lse3(a, s1, s2) + lpe[t], _NEG)
        a = np.where((t < in_len)[:, None], new, a)
        alpha[t] = a
    last = alpha[in_len - 1, np.arange(N)]  # (N, L) at each sample's last step
    end = last[np.arange(N), ext_len - 1]
    end2 = np.where(ext_len > 1, last[np.arange(N), np.maximum(ext_len - 2, 0)], _NEG)
    log_p = np.logaddexp(end, end2)
    nll = -log_p
    if not want_grad:
        return nll, None
    beta = np.full((T, N, L), _NEG)
    b = np.full((N, L), _NEG)
    init = np.full((N, L), _NEG)
    idx = np.arange(N)
    tl = in_len - 1
    init[idx, ext_len - 1] = lpe[tl, idx, ext_len - 1]
    has2 = ext_len > 1
    init[idx[has2], ext_len[has2] - 2] = lpe[tl[has2], idx[has2], ext_len[has2] - 2]
    skip_next = np.zeros((N, L), bool)
    skip_next[:, :-2] = skip[:, 2:]
    for t in range(T - 1, -1, -1):
        s1 = np.concatenate([b[:, 1:], neg], 1)
        s2 = np.where(skip_next, np.concatenate([b[:, 2:], neg, neg], 1)[:, :L], _NEG)
        step = np.where(valid, _lse3(b, s1, s2) + lpe[t], _NEG)
        b = np.where((t == tl)[:, None], init, np.where((t < tl)[:, None], step, _NEG))
        beta[t] = b
    with np.errstate(invalid="ignore", over="ignore", under="ignore"):
        q = np.exp(alpha + beta - lpe - log_p[None, :, None])  # (T, N, L)
    q = np.where(np.isfinite(log_p)[None, :, None], np.nan_to_num(q, nan=0.0), np.nan)
    grad = np.zeros((T, N, C))
    t_i = np.arange(T)[:, None, None]
    np.add.at(grad, (np.broadcast_to(t_i, q.shape), np.broadcast_to(rows[None], q.shape),
                     np.broadcast_to(ext[None], q.shape)), -q)
    return nll, grad


def extended_labels(targets, target_lengths, blank):
    """(N, 2 S_max + 1) labels with blanks between and around each target, and their lengths."""
    n = len(target_lengths)
    s_max = int(max(target_lengths)) if n else 0
    ext = np.full((n, 2 * s_max + 1), blank, np.int64)
    for i, (t, k) in enumerate(zip(targets, target_lengths)):
        ext[i, 1:2 * k:2] = t[:k]
    return ext, 2 * np.asarray(target_lengths, np.int64) + 1


class CTCLoss(Function):
    """log_probs (T, N, C) -> the reduced negative log-likelihood; parameters already checked
    and in NumPy form (ctc_loss below)."""

    @staticmethod
    def forward(ctx, log_probs, targets=None, input_lengths=None, target_lengths=None, blank=0,
                reduction="mean", zero_infinity=False):
        lp = np.asarray(log_probs, np.float64)
        ext, ext_len = extended_labels(targets, target_lengths, blank)
        nll, grad = ctc_nll_and_grad(lp, ext, ext_len, input_lengths,
                                     ctx.needs_input_grad is not None)
        if zero_infinity:
            bad = ~np.isfinite(nll)
            nll = np.where(bad, 0.0, nll)
            if grad is not None:
                grad[:, bad] = 0.0
        if reduction == "mean":
            scale = 1.0 / (np.maximum(np.asarray(target_lengths, np.float64), 1.0) * len(nll))
            out = np.asarray((nll * scale).sum())
        elif reduction == "sum":
            scale = np.ones(len(nll))
            out = np.asarray(nll.sum())
        else:
            scale = None
            out = nll
        ctx.grad, ctx.scale, ctx.dtype = grad, scale, log_probs.dtype
        return out.astype(log_probs.dtype)

    @staticmethod
    def backward(ctx, g):
        g = np.asarray(g, np.float64)
        per_sample = g[None, :, None] if ctx.scale is None else \
            (g * ctx.scale)[None, :, None]
        return (ctx.grad * per_sample).astype(ctx.dtype)


def greedy_decode(log_probs, lengths, blank, merge_repeated=True):
    """Best-path decoding: argmax per step (within each sample's length), repeats merged,
    blanks dropped. log_probs (N, T, C) -> (list of label arrays, their summed best scores)."""
    best = log_probs.argmax(-1)
    scores = np.take_along_axis(log_probs, best[..., None], -1)[..., 0]
    out, total = [], []
    for n in range(best.shape[0]):
        path = best[n, :int(lengths[n])]
        keep = path != blank
        if merge_repeated and len(path):
            keep &= np.concatenate([[True], path[1:] != path[:-1]])
        out.append(path[keep])
        total.append(scores[n, :int(lengths[n])].sum())
    return out, np.asarray(total)
