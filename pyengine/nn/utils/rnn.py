"""torch.nn.utils.rnn's padding helpers: pad_sequence (a batch of variable-length sequences
as one padded tensor, differentiable) and unpad_sequence. PackedSequence and
pack_padded_sequence are not implemented: pyengine's recurrent layers take padded batches
(with a mask in Keras); pack_padded_sequence raises saying so."""
from ...tensor import Tensor


def pad_sequence(sequences, batch_first=False, padding_value=0.0, padding_side="right"):
    """sequences: tensors (L_i, *) with the same trailing shape -> (max L, B, *) or, with
    batch_first, (B, max L, *), padded with padding_value on padding_side."""
    from ..functional import stack
    from ...ops.pad import pad
    seqs = list(sequences)
    if not seqs:
        raise ValueError("[pad_sequence] received an empty list of sequences")
    if padding_side not in ("right", "left"):
        raise ValueError(f"[pad_sequence] padding_side must be 'right' or 'left', got "
                         f"{padding_side!r}")
    seqs = [s if isinstance(s, Tensor) else Tensor(s) for s in seqs]
    tail = tuple(seqs[0].shape[1:])
    for i, s in enumerate(seqs):
        if s.ndim < 1 or tuple(s.shape[1:]) != tail:
            raise ValueError(f"[pad_sequence] sequence {i} has shape {tuple(s.shape)}; all must "
                             f"be (length,) + {tail}")
    longest = max(s.shape[0] for s in seqs)
    padded = []
    for s in seqs:
        extra = longest - s.shape[0]
        if extra:  # F.pad's pairs run from the last axis: (0, 0) for each trailing one
            before, after = (0, extra) if padding_side == "right" else (extra, 0)
            s = pad(s, (0, 0) * len(tail) + (before, after), value=padding_value)
        padded.append(s)
    return stack(padded, 0 if batch_first else 1)


def unpad_sequence(padded_sequences, lengths, batch_first=False):
    """The inverse of pad_sequence: a list of the unpadded sequences."""
    x = padded_sequences if batch_first else padded_sequences.transpose(0, 1)
    lens = [int(v) for v in (lengths.tolist() if isinstance(lengths, Tensor) else lengths)]
    return [x[i, :n] for i, n in enumerate(lens)]


def pack_padded_sequence(*args, **kwargs):
    raise NotImplementedError("[pack_padded_sequence] PackedSequence is not implemented: "
                              "pyengine's nn.RNN / LSTM / GRU take the padded batch itself "
                              "(pad_sequence), and Keras layers a mask")


pack_sequence = pad_packed_sequence = pack_padded_sequence
