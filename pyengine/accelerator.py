"""``pe.accelerator`` (torch.accelerator, used by current pytorch/examples): the CUDA device when
one is usable, else none (and programs fall back to the CPU)."""
from . import cuda as _cuda
from .backend import Device


def is_available():
    return _cuda.is_available()


def current_accelerator(check_available=False):
    """The accelerator pyengine was built for, Device('cuda'), else None (torch's answer: a
    CUDA build names cuda even on a machine without a GPU); check_available=True also asks
    for a usable device (None without one)."""
    if check_available:
        return Device("cuda") if _cuda.is_available() else None
    return Device("cuda") if _cuda.is_built() else None


def device_count():
    return _cuda.device_count() if _cuda.is_available() else 0
