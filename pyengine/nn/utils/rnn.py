"""torch.nn.utils.rnn: pad_sequence (a batch of variable-length sequences as one padded tensor,
differentiable) and unpad_sequence; PackedSequence, pack_padded_sequence, pack_sequence and
pad_packed_sequence, which nn.RNN / LSTM / GRU take as PyTorch's do (each sequence runs for its
own length; the layers turn the packing into the recurrent kernel's step mask, see
nn/layers/rnn.py). Packing and unpacking are gathers and scatters of rows: differentiable."""
import numpy as np

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
    seqs = [s if isinstance(s, Tensor) else Tensor._from_data(s) for s in seqs]
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


class PackedSequence:
    """Sequences of different lengths, time-major and without padding, as PyTorch's:
    data (sum of lengths, *) holds step 0 of every sequence, then step 1 of those still running,
    ...; batch_sizes[t] (int64, CPU) is how many sequences run at step t. The sequences are
    ordered longest first: sorted_indices[k] is the original batch index of the k-th (None when
    the batch came sorted), unsorted_indices the inverse permutation."""

    __slots__ = ("data", "batch_sizes", "sorted_indices", "unsorted_indices")

    def __init__(self, data, batch_sizes, sorted_indices=None, unsorted_indices=None):
        self.data, self.batch_sizes = data, batch_sizes
        self.sorted_indices, self.unsorted_indices = sorted_indices, unsorted_indices
        if unsorted_indices is None and sorted_indices is not None:
            self.unsorted_indices = Tensor._from_data(np.argsort(_ints(sorted_indices)))

    # A namedtuple in PyTorch: `data, batch_sizes, *_ = packed` works there and here.
    def __iter__(self):
        return iter((self.data, self.batch_sizes, self.sorted_indices, self.unsorted_indices))

    def __len__(self):
        return 4

    def __getitem__(self, i):
        return tuple(self)[i]

    @property
    def is_cuda(self):
        return self.data.is_cuda

    def to(self, *args, **kwargs):
        """The same packing with data moved / cast as Tensor.to (the indices stay on the CPU)."""
        return PackedSequence(self.data.to(*args, **kwargs), self.batch_sizes,
                              self.sorted_indices, self.unsorted_indices)

    def __repr__(self):
        return (f"PackedSequence(data={self.data!r}, batch_sizes={self.batch_sizes!r}, "
                f"sorted_indices={self.sorted_indices!r}, "
                f"unsorted_indices={self.unsorted_indices!r})")


def _ints(v):
    """A 1-D int64 NumPy array from a Tensor, array or sequence of ints."""
    a = np.asarray(v._data if isinstance(v, Tensor) else v)
    if a.ndim != 1:
        raise ValueError(f"[pack_padded_sequence] lengths must be 1-D, got shape {a.shape}")
    if a.size and not np.issubdtype(a.dtype, np.integer):
        if not np.all(a == np.round(a)):
            raise ValueError(f"[pack_padded_sequence] lengths must be integers, got {a}")
    return a.astype(np.int64)


def _rows(batch_sizes, batch):
    """Flat indices t * batch + b of the packed rows, in packed order (b < batch_sizes[t])."""
    return np.concatenate([t * batch + np.arange(n) for t, n in enumerate(batch_sizes)])


def packed_rows(packed):
    """The packed rows' flat indices t * B + b into a padded (sorted) (T, B) batch, a Tensor."""
    bs = _ints(packed.batch_sizes)
    return Tensor._from_data(_rows(bs, int(bs[0])))


def packing_mask(packed):
    """(T, B) float 0 / 1 mask of the steps each (sorted) sequence runs: the recurrent
    kernel's step mask for a packed batch."""
    bs = _ints(packed.batch_sizes)
    return (np.arange(int(bs[0]))[None, :] < bs[:, None]).astype(np.float64)


def pack_padded_sequence(input, lengths, batch_first=False, enforce_sorted=True):
    """Packs a padded batch (T, B, *) ((B, T, *) with batch_first) whose sequence b has
    lengths[b] valid steps. enforce_sorted=True requires lengths in decreasing order; False
    sorts the batch (stably) and records the permutation. lengths: a 1-D CPU tensor or list."""
    op = "pack_padded_sequence"
    lens = _ints(lengths)
    x = input if isinstance(input, Tensor) else Tensor._from_data(input)
    if x.ndim < 2:
        raise ValueError(f"[{op}] input must be at least 2-D (T, B, *), got shape {tuple(x.shape)}")
    if batch_first:
        x = x.transpose(0, 1)
    steps, batch = x.shape[0], x.shape[1]
    if lens.shape[0] != batch:
        raise ValueError(f"[{op}] got {lens.shape[0]} lengths for a batch of {batch}")
    if batch == 0 or lens.min() <= 0:
        raise ValueError(f"[{op}] every length must be positive (no empty sequences), got "
                         f"{lens.tolist()}")
    if lens.max() > steps:
        raise ValueError(f"[{op}] a length ({lens.max()}) exceeds the {steps} padded steps")
    if enforce_sorted:
        if np.any(np.diff(lens) > 0):
            raise ValueError(f"[{op}] lengths must be sorted in decreasing order with "
                             f"enforce_sorted=True, got {lens.tolist()}; pass "
                             f"enforce_sorted=False to have them sorted")
        order = None
    else:
        order = np.argsort(-lens, kind="stable")
        x = x.transpose(0, 1)[Tensor._from_data(order)].transpose(0, 1)  # the batch, longest first
        lens = lens[order]
    steps = int(lens[0])
    batch_sizes = (lens[None, :] > np.arange(steps)[:, None]).sum(1).astype(np.int64)
    flat = x[:steps].reshape(steps * batch, *x.shape[2:])
    data = flat[Tensor._from_data(_rows(batch_sizes, batch))]
    return PackedSequence(data, Tensor._from_data(batch_sizes),
                          None if order is None else Tensor._from_data(order.astype(np.int64)))


def pad_packed_sequence(sequence, batch_first=False, padding_value=0.0, total_length=None):
    """(padded (T, B, *) or (B, T, *), lengths (B,) int64): the inverse of pack_padded_sequence,
    in the original batch order, padded steps set to padding_value; total_length pads T to that
    many steps (at least the longest length)."""
    op = "pad_packed_sequence"
    if not isinstance(sequence, PackedSequence):
        raise TypeError(f"[{op}] expected a PackedSequence, got {type(sequence).__name__}")
    bs = _ints(sequence.batch_sizes)
    steps, batch = len(bs), int(bs[0])
    if total_length is not None:
        if total_length < steps:
            raise ValueError(f"[{op}] total_length={total_length} is below the longest "
                             f"sequence ({steps} steps)")
        steps = int(total_length)
    data = sequence.data
    tail = tuple(data.shape[1:])
    flat = Tensor._from_data(np.zeros((steps * batch,) + tail, data._data.dtype)).to(data.device)
    flat = flat.index_add(0, Tensor._from_data(_rows(bs, batch)), data)
    mask = np.zeros(steps * batch, bool)
    mask[_rows(bs, batch)] = True
    if padding_value != 0:
        fill = np.where(mask, 0.0, padding_value).astype(data._data.dtype)
        flat = flat + Tensor._from_data(fill.reshape((-1,) + (1,) * len(tail))).to(data.device)
    out = flat.reshape(steps, batch, *tail)
    lengths = (bs[:, None] > np.arange(batch)[None, :]).sum(0).astype(np.int64)  # sorted
    if sequence.unsorted_indices is not None:
        un = _ints(sequence.unsorted_indices)
        out = out.transpose(0, 1)[Tensor._from_data(un)].transpose(0, 1)
        lengths = lengths[un]
    if batch_first:
        out = out.transpose(0, 1)
    return out, Tensor._from_data(lengths)


def pack_sequence(sequences, enforce_sorted=True):
    """Packs a list of (L_i, *) tensors: pad_sequence then pack_padded_sequence."""
    seqs = list(sequences)
    return pack_padded_sequence(pad_sequence(seqs), [s.shape[0] for s in seqs],
                                enforce_sorted=enforce_sorted)
