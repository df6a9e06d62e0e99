"""CUDA availability. A CPU-only build answers False everywhere and raises clear errors."""
from .backend import cuda_runtime as _rt


def is_built():
    """True when pyengine was compiled with the CUDA toolkit."""
    return _rt.built()


def device_count():
    return _rt.device_count()


def is_available():
    """True when pyengine was built with CUDA and a CUDA device is present."""
    return is_built() and device_count() > 0


def get_device_name(index=0):
    return _rt.device_name(index)


def require(what):
    if not is_built():
        raise RuntimeError(f"{what}: pyengine was built without CUDA (no toolkit found at build "
                           "time, or PYENGINE_CUDA=OFF)")
    if device_count() == 0:
        raise RuntimeError(f"{what}: no CUDA device is available")
