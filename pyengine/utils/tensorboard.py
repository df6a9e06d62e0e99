"""torch.utils.tensorboard.SummaryWriter for scalars: add_scalar and add_scalars write TensorBoard
event files (utils/tensorboard_events.py, shared with Keras' TensorBoard callback: TFRecord
framing around Event protocol buffers encoded by hand, so neither tensorboard nor protobuf is
needed), as the PyTorch "Training
with PyTorch" tutorial logs its training and validation losses.

Events are written and flushed when they are added, which meets max_queue / flush_secs (they
bound how long torch may buffer). The other add_* methods (images, histograms, graphs,
embeddings ...) and the new-style tensor scalars raise NotImplementedError naming themselves."""
import os
import socket
import time
from datetime import datetime

from .tensorboard_events import EventFileWriter, crc32c  # noqa: F401  (crc32c: for readers)

__all__ = ["SummaryWriter"]


def _scalar_value(value, op):
    if hasattr(value, "detach") and hasattr(value, "numel"):  # a Tensor (maybe in a graph)
        if value.numel() != 1:
            raise ValueError(f"[{op}] a scalar needs a one-element tensor, got shape "
                             f"{tuple(value.shape)}")
        return float(value.detach().item())
    try:
        return float(value)
    except (TypeError, ValueError):
        raise TypeError(f"[{op}] scalar_value must be a number or a one-element tensor, got "
                        f"{type(value).__name__}") from None


class SummaryWriter:
    def __init__(self, log_dir=None, comment="", purge_step=None, max_queue=10,
                 flush_secs=120, filename_suffix=""):
        if purge_step is not None:
            raise NotImplementedError("[SummaryWriter] purge_step is not supported")
        if log_dir is None:
            stamp = datetime.now().strftime("%b%d_%H-%M-%S")
            log_dir = os.path.join("runs", f"{stamp}_{socket.gethostname()}{comment}")
        self.log_dir = os.fspath(log_dir)
        self.max_queue, self.flush_secs = max_queue, flush_secs  # see the module docstring
        self._suffix = filename_suffix
        self._main = EventFileWriter(self.log_dir, filename_suffix)
        self._per_tag = {}

    def get_logdir(self):
        return self.log_dir

    def add_scalar(self, tag, scalar_value, global_step=None, walltime=None, new_style=False,
                   double_precision=False):
        if new_style or double_precision:
            raise NotImplementedError("[SummaryWriter.add_scalar] new_style / double_precision "
                                      "(tensor summaries) are not supported")
        value = _scalar_value(scalar_value, "SummaryWriter.add_scalar")
        self._main.write(time.time() if walltime is None else walltime, global_step or 0,
                         [(str(tag), value)])

    def add_histogram(self, tag, values, global_step=None, bins="tensorflow", walltime=None,
                      max_bins=None):
        """The histogram of `values` (a tensor or array, flattened) under `tag`: `bins` as
        torch's (TensorFlow's exponential bucket edges by default, else np.histogram's bins);
        utils/tensorboard_histograms.py."""
        from .tensorboard_histograms import histogram_value
        value = histogram_value(tag, values, bins, "SummaryWriter.add_histogram", max_bins)
        self._main.write_values(time.time() if walltime is None else walltime,
                                global_step or 0, [value])

    def add_scalars(self, main_tag, tag_scalar_dict, global_step=None, walltime=None):
        """One run per key, as torch: log_dir/<main_tag>_<key>, each logging main_tag."""
        wall = time.time() if walltime is None else walltime
        for key, scalar in tag_scalar_dict.items():
            value = _scalar_value(scalar, "SummaryWriter.add_scalars")
            run = os.path.join(self.log_dir, main_tag.replace("/", "_") + "_" + str(key))
            if run not in self._per_tag:
                self._per_tag[run] = EventFileWriter(run, self._suffix)
            self._per_tag[run].write(wall, global_step or 0, [(str(main_tag), value)])

    def flush(self):
        for f in [self._main, *self._per_tag.values()]:
            f.flush()

    def close(self):
        for f in [self._main, *self._per_tag.values()]:
            f.close()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()


def _unsupported(name):
    def method(self, *args, **kwargs):
        raise NotImplementedError(f"[SummaryWriter.{name}] is not supported: pyengine's "
                                  "SummaryWriter writes scalars (add_scalar, add_scalars) and "
                                  "histograms (add_histogram)")
    method.__name__ = name
    return method


for _name in ("add_histogram_raw", "add_image", "add_images",
              "add_image_with_boxes", "add_figure", "add_video", "add_audio", "add_text",
              "add_onnx_graph", "add_graph", "add_embedding", "add_pr_curve",
              "add_pr_curve_raw", "add_custom_scalars", "add_mesh", "add_hparams"):
    setattr(SummaryWriter, _name, _unsupported(_name))
