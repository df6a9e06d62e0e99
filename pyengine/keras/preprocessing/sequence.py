"""keras.preprocessing.sequence.pad_sequences (also keras.utils.pad_sequences); skipgrams and
make_sampling_table live in skipgrams.py, TimeseriesGenerator in timeseries_generator.py."""
import numpy as np

from .skipgrams import make_sampling_table, skipgrams  # noqa: F401
from .timeseries_generator import TimeseriesGenerator  # noqa: F401


def pad_sequences(sequences, maxlen=None, dtype="int32", padding="pre", truncating="pre",
                  value=0.0):
    """Lists of sequences -> one (num_sequences, maxlen, ...) array, Keras' defaults: sequences
    longer than maxlen lose their beginning (truncating='pre'; 'post' drops the end), shorter
    ones get `value` in front (padding='pre'; 'post' pads at the end). maxlen defaults to the
    longest sequence. Empty sequences become rows of `value`.

    >>> pad_sequences([[1, 2, 3], [4, 5], [6]], maxlen=2)
    array([[2, 3],
           [4, 5],
           [0, 6]], dtype=int32)
    """
    if not hasattr(sequences, "__len__"):
        raise ValueError("[pad_sequences] sequences must be iterable (a list of sequences)")
    if padding not in ("pre", "post"):
        raise ValueError(f'[pad_sequences] padding type "{padding}" not understood')
    if truncating not in ("pre", "post"):
        raise ValueError(f'[pad_sequences] truncating type "{truncating}" not understood')
    if maxlen is not None and (not isinstance(maxlen, (int, np.integer)) or maxlen < 0):
        raise ValueError(f"[pad_sequences] maxlen must be a non-negative integer or None. "
                         f"Received: maxlen={maxlen!r}")
    lengths, sample_shape = [], ()
    for i, s in enumerate(sequences):
        if not hasattr(s, "__len__"):
            raise ValueError(f"[pad_sequences] `sequences` must be a list of iterables. Found "
                             f"non-iterable: {s!r} (sequence {i})")
        lengths.append(len(s))
        if len(s) and not sample_shape:
            sample_shape = np.asarray(s).shape[1:]
    if maxlen is None:
        maxlen = max(lengths, default=0)
    out = np.full((len(lengths), maxlen) + tuple(sample_shape), value, dtype=dtype)
    for i, s in enumerate(sequences):
        if not len(s) or not maxlen:
            continue
        trunc = np.asarray(s[-maxlen:] if truncating == "pre" else s[:maxlen], dtype=dtype)
        if trunc.shape[1:] != tuple(sample_shape):
            raise ValueError(f"[pad_sequences] shape of sample {trunc.shape[1:]} of sequence "
                             f"{i} differs from the expected shape {tuple(sample_shape)}")
        if padding == "post":
            out[i, :len(trunc)] = trunc
        else:
            out[i, -len(trunc):] = trunc
    return out
