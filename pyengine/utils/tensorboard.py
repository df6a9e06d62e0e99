"""torch.utils.tensorboard.SummaryWriter for scalars: add_scalar and add_scalars write TensorBoard
event files (the TFRecord framing with masked CRC-32C checksums around Event protocol buffers,
encoded here by hand, so neither tensorboard nor protobuf is needed), as the PyTorch "Training
with PyTorch" tutorial logs its training and validation losses.

Events are written and flushed when they are added, which meets max_queue / flush_secs (they
bound how long torch may buffer). The other add_* methods (images, histograms, graphs,
embeddings ...) and the new-style tensor scalars raise NotImplementedError naming themselves."""
import os
import socket
import struct
import time
from datetime import datetime

__all__ = ["SummaryWriter"]


def _crc32c_table():
    table = []
    for n in range(256):
        c = n
        for _ in range(8):
            c = (c >> 1) ^ 0x82F63B78 if c & 1 else c >> 1
        table.append(c)
    return table


_TABLE = _crc32c_table()


def crc32c(data):
    """CRC-32C (Castagnoli), the checksum of TFRecord framing."""
    crc = 0xFFFFFFFF
    for b in data:
        crc = _TABLE[(crc ^ b) & 0xFF] ^ (crc >> 8)
    return crc ^ 0xFFFFFFFF


def _masked_crc(data):
    crc = crc32c(data)
    return (((crc >> 15) | (crc << 17)) + 0xA282EAD8) & 0xFFFFFFFF


def _varint(n):
    n &= 0xFFFFFFFFFFFFFFFF  # int64 two's complement, as protobuf encodes negative steps
    out = bytearray()
    while True:
        byte = n & 0x7F
        n >>= 7
        if n:
            out.append(byte | 0x80)
        else:
            out.append(byte)
            return bytes(out)


def _field_bytes(number, payload):  # a length-delimited protobuf field
    return _varint(number << 3 | 2) + _varint(len(payload)) + payload


def _event(wall_time, step=None, file_version=None, summary=None):
    out = _varint(1 << 3 | 1) + struct.pack("<d", wall_time)
    if step is not None:
        out += _varint(2 << 3) + _varint(int(step))
    if file_version is not None:
        out += _field_bytes(3, file_version.encode())
    if summary is not None:
        out += _field_bytes(5, summary)
    return out


def _scalar_summary(tag, value):
    v = _field_bytes(1, tag.encode()) + _varint(2 << 3 | 5) + struct.pack("<f", value)
    return _field_bytes(1, v)


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


class _EventFile:
    _count = 0

    def __init__(self, log_dir, filename_suffix):
        os.makedirs(log_dir, exist_ok=True)
        _EventFile._count += 1
        name = (f"events.out.tfevents.{int(time.time())}.{socket.gethostname()}."
                f"{os.getpid()}.{_EventFile._count}{filename_suffix}")
        self.path = os.path.join(log_dir, name)
        self.file = open(self.path, "wb")
        self.write(_event(time.time(), file_version="brain.Event:2"))

    def write(self, event):
        header = struct.pack("<Q", len(event))
        self.file.write(header + struct.pack("<I", _masked_crc(header)) + event +
                        struct.pack("<I", _masked_crc(event)))
        self.file.flush()

    def close(self):
        self.file.close()


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
        self._main = _EventFile(self.log_dir, filename_suffix)
        self._per_tag = {}

    def get_logdir(self):
        return self.log_dir

    def add_scalar(self, tag, scalar_value, global_step=None, walltime=None, new_style=False,
                   double_precision=False):
        if new_style or double_precision:
            raise NotImplementedError("[SummaryWriter.add_scalar] new_style / double_precision "
                                      "(tensor summaries) are not supported")
        value = _scalar_value(scalar_value, "SummaryWriter.add_scalar")
        self._main.write(_event(time.time() if walltime is None else walltime, global_step,
                                summary=_scalar_summary(str(tag), value)))

    def add_scalars(self, main_tag, tag_scalar_dict, global_step=None, walltime=None):
        """One run per key, as torch: log_dir/<main_tag>_<key>, each logging main_tag."""
        wall = time.time() if walltime is None else walltime
        for key, scalar in tag_scalar_dict.items():
            value = _scalar_value(scalar, "SummaryWriter.add_scalars")
            run = os.path.join(self.log_dir, main_tag.replace("/", "_") + "_" + str(key))
            if run not in self._per_tag:
                self._per_tag[run] = _EventFile(run, self._suffix)
            self._per_tag[run].write(_event(wall, global_step,
                                            summary=_scalar_summary(str(main_tag), value)))

    def flush(self):
        for f in [self._main, *self._per_tag.values()]:
            f.file.flush()

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
                                  "SummaryWriter writes scalars (add_scalar, add_scalars)")
    method.__name__ = name
    return method


for _name in ("add_histogram", "add_histogram_raw", "add_image", "add_images",
              "add_image_with_boxes", "add_figure", "add_video", "add_audio", "add_text",
              "add_onnx_graph", "add_graph", "add_embedding", "add_pr_curve",
              "add_pr_curve_raw", "add_custom_scalars", "add_mesh", "add_hparams"):
    setattr(SummaryWriter, _name, _unsupported(_name))
