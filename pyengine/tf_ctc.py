"""TensorFlow 1's CTC loss, tf.compat.v1.nn.ctc_loss (keras-io's captcha OCR calls it with the
labels of a tf.SparseTensor; tf.keras 2's keras.backend.ctc_batch_cost is built on it), over
F.ctc_loss. Labels are read as TensorFlow's CTCLoss kernel reads them (ctc_loss_calculator):
within each sequence a label >= num_classes - 1 (the blank, the last class) ends it and is
dropped, a real label after it is an error, and unless ignore_longer_outputs_than_inputs a
sequence longer than its input is an error (with it, that sample's loss is 0)."""
import numpy as np

from .nn import functional as F
from .tensor import Tensor
from .tf_names import _t


def read_labels(rows, input_length, num_classes, op):
    """(targets (N, S) padded with 0, lengths, too_long mask) from each sample's label list."""
    width = max([len(r) for r in rows] + [1])
    targets = np.zeros((len(rows), width), np.int64)
    lengths = np.zeros(len(rows), np.int64)
    too_long = np.zeros(len(rows), bool)
    for i, (labels, t) in enumerate(zip(rows, input_length)):
        labels = np.asarray(labels, np.int64)
        if (labels < 0).any():
            raise ValueError(f"[{op}] sample {i}: labels must be nonnegative, got "
                             f"{labels.tolist()}")
        end = np.flatnonzero(labels >= num_classes - 1)
        k = end[0] if len(end) else len(labels)
        if (labels[k:] < num_classes - 1).any():
            raise ValueError(f"[{op}] sample {i}: a label below the blank ({num_classes - 1}) "
                             f"follows a label >= num_classes - 1, which ends a sequence; got "
                             f"{labels.tolist()}")
        too_long[i] = len(labels) > t
        targets[i, :k], lengths[i] = labels[:k], k
    return targets, lengths, too_long


def ctc_loss_v1(labels, inputs=None, sequence_length=None, preprocess_collapse_repeated=False,
                ctc_merge_repeated=True, ignore_longer_outputs_than_inputs=False,
                time_major=True, logits=None):
    """tf.compat.v1.nn.ctc_loss: (batch,) negative log-likelihoods of the unnormalised
    `inputs` (time, batch, classes) (batch-major with time_major=False; `logits` is its other
    name) against a tf.SparseTensor of labels (indices [batch, position]); softmax is applied
    here, the blank is the last class."""
    from .tf_sparse import SparseTensor
    op = "ctc_loss"
    if (inputs is None) == (logits is None):
        raise ValueError(f"[{op}] give inputs or logits (the same argument), exactly one")
    if not isinstance(labels, SparseTensor):
        raise TypeError(f"[{op}] labels must be a tf.SparseTensor, got {type(labels).__name__}")
    if not ctc_merge_repeated:
        raise NotImplementedError(f"[{op}] ctc_merge_repeated=False (TensorFlow's non-standard "
                                  f"CTC) is not implemented")
    x = _t(inputs if inputs is not None else logits)
    if x.ndim != 3:
        raise ValueError(f"[{op}] inputs must be 3-D, got shape {tuple(x.shape)}")
    if not time_major:
        x = x.permute(1, 0, 2)
    t, n, c = x.shape
    seq = np.asarray(getattr(sequence_length, "_data", sequence_length)).reshape(-1)
    if seq.shape != (n,):
        raise ValueError(f"[{op}] sequence_length must have one entry per sample ({n}), got "
                         f"shape {seq.shape}")
    idx, vals = labels._indices, labels._values
    if idx.shape[1] != 2:
        raise ValueError(f"[{op}] labels must be a 2-D SparseTensor (batch, position)")
    rows = []
    for b in range(n):
        mine = np.flatnonzero(idx[:, 0] == b)
        r = vals[mine[np.argsort(idx[mine, 1], kind="stable")]].astype(np.int64)
        if preprocess_collapse_repeated and len(r):
            r = r[np.concatenate([[True], r[1:] != r[:-1]])]
        rows.append(r)
    targets, lengths, too_long = read_labels(rows, seq, c, op)
    if too_long.any() and not ignore_longer_outputs_than_inputs:
        b = int(np.flatnonzero(too_long)[0])
        raise ValueError(f"[{op}] not enough time for target transition sequence (required: "
                         f"{len(rows[b])}, available: {int(seq[b])}) in sample {b}; "
                         f"ignore_longer_outputs_than_inputs=True gives such samples loss 0")
    lengths = np.where(too_long, 0, lengths)
    loss = F.ctc_loss(F.log_softmax(x, dim=2), targets, seq, lengths, blank=c - 1,
                      reduction="none")
    if too_long.any():  # TensorFlow's ignored samples: loss 0 and no gradient
        loss = loss * Tensor._wrap((~too_long).astype(loss._data.dtype))
    return loss
