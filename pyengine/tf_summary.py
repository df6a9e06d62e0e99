"""tf.summary for scalars: `create_file_writer(logdir)`, `with writer.as_default():
tf.summary.scalar(name, value, step=...)`, as keras-io's sklearn_metric_callbacks logs a metric
from a callback, and `tf.summary.histogram(name, data, step=, buckets=30)`
(utils/tensorboard_histograms.py). Events go to a TensorBoard event file through the writer
Keras' TensorBoard callback uses (utils/tensorboard_events.py: no tensorflow or protobuf
needed). Images, text and audio summaries raise NotImplementedError naming themselves."""
import contextlib
import os
import time
import types

from .utils.tensorboard import _scalar_value
from .utils.tensorboard_events import EventFileWriter

_state = {"writer": None, "step": None}


class SummaryWriter:
    """What create_file_writer returns: an event file in `logdir`, the default writer inside
    `as_default()`."""

    def __init__(self, logdir, filename_suffix=None):
        self.logdir = os.fspath(logdir)
        self._events = EventFileWriter(self.logdir, filename_suffix or ".v2")

    @contextlib.contextmanager
    def as_default(self, step=None):
        saved = dict(_state)
        _state["writer"] = self
        if step is not None:
            _state["step"] = int(step)
        try:
            yield self
        finally:
            _state.update(saved)

    def set_as_default(self, step=None):
        _state["writer"] = self
        if step is not None:
            _state["step"] = int(step)

    def flush(self):
        self._events.flush()

    def close(self):
        self._events.close()


def create_file_writer(logdir, max_queue=None, flush_millis=None, filename_suffix=None,
                       name=None, experimental_trackable=False, experimental_mesh=None):
    """A SummaryWriter on `logdir` (created when missing). Events are written and flushed as
    they come, which meets max_queue / flush_millis (bounds on how long TF may buffer)."""
    return SummaryWriter(logdir, filename_suffix)


def scalar(name, data, step=None, description=None):
    """Writes `data` (a number or one-element tensor) under `name` at `step` to the default
    writer; returns False when no writer is the default (as TensorFlow)."""
    writer, step = _writer_and_step(step, "summary.scalar")
    if writer is None:
        return False
    value = _scalar_value(data, "summary.scalar")
    writer._events.write(time.time(), step, [(str(name), value)])
    return True


def _writer_and_step(step, op):
    """The default writer (None: nothing is written) and the step to write at."""
    writer = _state["writer"]
    if writer is None:
        return None, None
    step = _state["step"] if step is None else step
    if step is None:
        raise ValueError(f"[{op}] no step: pass step= or call "
                         "tf.summary.experimental.set_step(step)")
    return writer, int(step)


def histogram(name, data, step=None, buckets=None, description=None):
    """Writes the histogram of `data` (any shape, flattened) under `name` at `step` to the
    default writer, in `buckets` (default 30) equal-width buckets over [min, max]; returns
    False when no writer is the default (as TensorFlow)."""
    from .utils.tensorboard_histograms import histogram_value
    writer, step = _writer_and_step(step, "summary.histogram")
    if writer is None:
        return False
    if buckets is not None and (isinstance(buckets, bool) or not isinstance(buckets, int)):
        raise TypeError(f"[summary.histogram] buckets must be a positive int. Received: "
                        f"{buckets!r}")
    value = histogram_value(name, data, 30 if buckets is None else buckets, "summary.histogram")
    writer._events.write_values(time.time(), step, [value])
    return True


def flush(writer=None):
    w = writer or _state["writer"]
    if w is not None:
        w.flush()


def _set_step(step):
    _state["step"] = None if step is None else int(step)


experimental = types.SimpleNamespace(set_step=_set_step, get_step=lambda: _state["step"])


def _unsupported(kind):
    def fn(*args, **kwargs):
        raise NotImplementedError(f"[summary.{kind}] is not written by pyengine: its "
                                  "tf.summary writes scalars (tf.summary.scalar)")
    fn.__name__ = kind
    return fn


image, text, audio = map(_unsupported, ("image", "text", "audio"))
