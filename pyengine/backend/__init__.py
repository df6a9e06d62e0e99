"""Backends: where a tensor's storage lives and which kernels run on it.

Ops never call NumPy or _C directly; they call the backend of their inputs' device, so a CUDA
backend slots in by providing the same functions (see backend/cpu.py for the list).
"""
import numbers

from . import cpu


def is_ordinal(spec):
    """An integer (not a bool) given as a device: PyTorch reads it as a CUDA device's index
    (``x.to(0)``, ``model.to(local_rank)``, ``device=0``)."""
    return isinstance(spec, numbers.Integral) and not isinstance(spec, bool)


class Device:
    """A device such as ``cpu`` or ``cuda:0``; compares equal to its string form."""

    __slots__ = ("type", "index", "_soft")

    def __init__(self, spec="cpu"):
        self._soft = False
        if isinstance(spec, Device):
            self.type, self.index, self._soft = spec.type, spec.index, spec._soft
            return
        if isinstance(spec, str) and (spec.startswith("/") or spec[:3] in ("CPU", "GPU")):
            spec, self._soft = _tf_device(spec), True
        if is_ordinal(spec):  # torch.device(0): a CUDA device's index
            if spec < 0:
                raise ValueError(f"device index must be non-negative, got {spec}")
            spec = f"cuda:{int(spec)}"
        if not isinstance(spec, str):
            raise TypeError(f"device must be a string like 'cpu' or 'cuda:0', got {spec!r}")
        kind, _, idx = spec.partition(":")
        if kind not in ("cpu", "cuda"):
            raise ValueError(f"unknown device '{spec}'; valid: 'cpu', 'cuda', 'cuda:N'")
        try:
            self.index = int(idx) if idx else (0 if kind == "cuda" else None)
        except ValueError:
            raise ValueError(f"bad device index in '{spec}'") from None
        self.type = kind

    def __repr__(self):
        return f"device(type='{self.type}'" + ("" if self.index is None else f", index={self.index}") + ")"

    def __str__(self):
        return self.type if self.index is None else f"{self.type}:{self.index}"

    def __eq__(self, other):
        if isinstance(other, str):
            try:
                other = Device(other)
            except (ValueError, TypeError):
                return False
        return isinstance(other, Device) and (self.type, self.index) == (other.type, other.index)

    def __hash__(self):
        return hash((self.type, self.index))

    # TensorFlow's tensor.device is a string, '/job:localhost/replica:0/task:0/device:CPU:0';
    # TF programs test it with string methods (TF's customization/basics tutorial:
    # `assert x.device.endswith("CPU:0")`)
    @property
    def tf_name(self):
        kind = "CPU" if self.type == "cpu" else "GPU"
        return f"/job:localhost/replica:0/task:0/device:{kind}:{self.index or 0}"

    def endswith(self, suffix, *args):
        return self.tf_name.endswith(suffix, *args)

    def startswith(self, prefix, *args):
        return self.tf_name.startswith(prefix, *args)

    # `with tf.device("/CPU:0"):` / `with torch.device("cpu"):` -- pyengine computes on the CPU,
    # so a CPU scope changes nothing. TensorFlow's "/GPU:0" falls back to the CPU when no GPU
    # serves it (TF 2's soft device placement); torch's "cuda" scope is refused as
    # set_default_device refuses it, rather than ignored.
    def __enter__(self):
        if self.type != "cpu" and not self._soft:
            from ..default_device import set_default_device
            set_default_device(self)
        return self

    def __exit__(self, *exc):
        return False


def _tf_device(spec):
    """TensorFlow's device names ('/CPU:0', '/device:GPU:1', '/job:localhost/replica:0/task:0/
    device:CPU:0', 'GPU:0') as 'cpu' / 'cuda:N'."""
    name = spec.rsplit("device:", 1)[-1].lstrip("/")
    kind, _, idx = name.partition(":")
    kind = {"cpu": "cpu", "gpu": "cuda"}.get(kind.lower())
    if kind is None:
        raise ValueError(f"unknown device '{spec}'; valid: 'cpu', 'cuda', 'cuda:N' or "
                         "TensorFlow's '/CPU:0', '/GPU:N'")
    return (f"cpu:{idx}" if idx else "cpu") if kind == "cpu" else f"cuda:{idx or 0}"


CPU = Device("cpu")


def get_backend(device):
    """The backend module serving `device`; a clear error when it is not available."""
    if device.type == "cpu":
        return cpu
    from .. import cuda
    cuda.require(f"[device] cannot use {device}")
    raise NotImplementedError(f"[device] the CUDA tensor backend is not implemented yet ({device})")


def checked_device(spec):
    """Device(spec) once a backend serves it, else get_backend's clear error. Every constructor
    that takes PyTorch's `device=` argument goes through here, so none accepts and ignores it."""
    device = Device(spec)
    get_backend(device)
    return CPU if device == CPU else device
