"""CTC for Keras programs (OCR and speech: keras-io's captcha and handwriting recognition),
over the one CTC loss of ops/ctc.py (F.ctc_loss):

- keras.ops.ctc_loss(target, output, target_length, output_length, mask_index=0): Keras 3;
  output are logits (batch, time, classes), log_softmax applied; (batch,) losses.
- keras.backend.ctc_batch_cost(y_true, y_pred, input_length, label_length): TF-Keras 2; y_pred
  are softmax probabilities, the blank is the last class, and as TensorFlow does, log(y_pred +
  epsilon) is taken as logits; (samples, 1) losses. Labels are read as TensorFlow's CTCLoss
  kernel reads them (tf.compat.v1.nn.ctc_loss, ctc_loss_calculator): within label_length, a
  label >= num_classes - 1 ends the sequence and is dropped (keras-io's handwriting
  recognition pads its labels with 99), a real label after it is an error, and label_length
  may not exceed input_length.
- keras.ops.ctc_decode / keras.backend.ctc_decode: greedy (best-path) decoding, dense results
  padded with -1, TensorFlow's scores (the negated sum of each step's largest logit). Beam
  search is not implemented and is refused.
"""
import numpy as np

from ..nn import functional as F
from ..ops.ctc import greedy_decode
from ..tensor import Tensor
from ..tf_ctc import read_labels
from ..tf_names import _t


def epsilon():
    from .backend import epsilon as eps  # (keras.backend imports keras.ops, which imports this)
    return eps()


def _lengths(v, n, what, op):
    a = np.asarray(v._data if isinstance(v, Tensor) else v).reshape(-1)
    if a.shape != (n,):
        raise ValueError(f"[{op}] {what} must have one entry per sample ({n}), got shape "
                         f"{np.shape(v._data if isinstance(v, Tensor) else v)}")
    return a.astype(np.int64)


def ctc_loss(target, output, target_length, output_length, mask_index=0):
    """Keras 3's keras.ops.ctc_loss: per-sample CTC losses of logits `output` (batch, time,
    classes) against padded integer `target` (batch, max_label_length)."""
    out = _t(output)
    if out.ndim != 3:
        raise ValueError(f"[keras.ops.ctc_loss] output must be (batch, time, classes), got "
                         f"shape {tuple(out.shape)}")
    n = out.shape[0]
    lp = F.log_softmax(out.permute(1, 0, 2), dim=2)
    return F.ctc_loss(lp, target, _lengths(output_length, n, "output_length", "ctc_loss"),
                      _lengths(target_length, n, "target_length", "ctc_loss"),
                      blank=int(mask_index), reduction="none")


def ctc_batch_cost(y_true, y_pred, input_length, label_length):
    """TF-Keras 2's keras.backend.ctc_batch_cost: (samples, 1) CTC losses of softmax outputs
    y_pred (samples, time, classes), blank = the last class."""
    p = _t(y_pred)
    if p.ndim != 3:
        raise ValueError(f"[ctc_batch_cost] y_pred must be (samples, time, classes), got shape "
                         f"{tuple(p.shape)}")
    n, c = p.shape[0], p.shape[2]
    inputs = _lengths(input_length, n, "input_length", "ctc_batch_cost")
    targets, lengths = _tf_labels(y_true, _lengths(label_length, n, "label_length",
                                                   "ctc_batch_cost"), inputs, c)
    logits = (p + epsilon()).log().permute(1, 0, 2)
    loss = F.ctc_loss(F.log_softmax(logits, dim=2), targets, inputs, lengths, blank=c - 1,
                      reduction="none")
    return loss.unsqueeze(1)


def _tf_labels(y_true, label_length, input_length, c):
    """(targets, lengths) as TensorFlow's CTCLoss kernel reads dense labels: the first
    label_length entries of each row, read by tf_ctc.read_labels; a label_length above the
    input length raises (TensorFlow's 'not enough time')."""
    y = np.asarray(y_true._data if isinstance(y_true, Tensor) else y_true)
    if y.ndim != 2 or y.shape[0] != len(label_length):
        raise ValueError(f"[ctc_batch_cost] y_true must be (samples, max_label_length) with "
                         f"{len(label_length)} samples, got shape {y.shape}")
    if y.dtype.kind not in "iuf" or (y.dtype.kind == "f" and (np.mod(y, 1) != 0).any()):
        raise TypeError(f"[ctc_batch_cost] y_true must hold integer labels, got {y.dtype}")
    if (label_length > y.shape[1]).any():
        raise ValueError(f"[ctc_batch_cost] label_length must be at most y_true's width "
                         f"({y.shape[1]}), got {label_length.tolist()}")
    rows = [row[:k] for row, k in zip(y.astype(np.int64), label_length)]
    targets, lengths, too_long = read_labels(rows, input_length, c, "ctc_batch_cost")
    if too_long.any():
        i = int(np.flatnonzero(too_long)[0])
        raise ValueError(f"[ctc_batch_cost] sample {i}: not enough time for the labels "
                         f"(label_length {label_length[i]} > input_length {input_length[i]})")
    return targets, lengths


def _dense(labels, width):
    out = np.full((len(labels), width), -1, np.int64)
    for i, l in enumerate(labels):
        out[i, :len(l)] = l
    return out


def ctc_decode(inputs, sequence_lengths, strategy="greedy", beam_width=100, top_paths=1,
               merge_repeated=True, mask_index=0):
    """Keras 3's keras.ops.ctc_decode: (decoded (1, batch, time) padded with -1, scores
    (batch, 1)) for logits `inputs` (batch, time, classes). Greedy only."""
    if strategy != "greedy":
        raise ValueError(f"[keras.ops.ctc_decode] only strategy='greedy' is supported. "
                         f"Received: strategy={strategy!r}")
    if top_paths != 1:
        raise ValueError("[keras.ops.ctc_decode] greedy decoding gives top_paths=1")
    x = np.asarray(_t(inputs)._data, np.float64)
    lens = _lengths(sequence_lengths, x.shape[0], "sequence_lengths", "ctc_decode")
    labels, best = greedy_decode(x, lens, int(mask_index), merge_repeated)
    decoded = Tensor._wrap(_dense(labels, x.shape[1])[None])
    return decoded, Tensor._wrap((-best).astype(np.float32)[:, None])


def backend_ctc_decode(y_pred, input_length, greedy=True, beam_width=100, top_paths=1):
    """TF-Keras 2's keras.backend.ctc_decode: ([decoded (samples, longest) padded with -1],
    log_prob (samples, 1)) for softmax outputs y_pred; blank = the last class. Greedy only."""
    if not greedy:
        raise ValueError("[ctc_decode] beam search (greedy=False) is not supported")
    p = np.asarray(_t(y_pred)._data, np.float64)
    lens = _lengths(input_length, p.shape[0], "input_length", "ctc_decode")
    labels, best = greedy_decode(np.log(p + epsilon()), lens, p.shape[2] - 1, True)
    width = max((len(l) for l in labels), default=0)
    return [Tensor._wrap(_dense(labels, width))], Tensor._wrap((-best).astype(np.float32)[:, None])
