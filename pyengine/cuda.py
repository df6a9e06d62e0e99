"""CUDA availability. A CPU-only build answers False everywhere and raises clear errors.

A CUDA build sees the GPUs (is_built(), device_count(), get_device_name()), but tensors cannot
live there yet: the CUDA tensor backend (kernels, allocator) is a later issue. So is_available()
answers whether a program can use CUDA tensors, as PyTorch's does, and is False on every build
for now: a program written as `device = "cuda" if torch.cuda.is_available() else "cpu"` runs on
the CPU instead of failing at its first `.to(device)`."""
from .backend import cuda_runtime as _rt

# Flipped when the CUDA tensor backend (pyengine/backend/cuda*.py) serves tensors.
TENSOR_BACKEND = False


def is_built():
    """True when pyengine was compiled with the CUDA toolkit."""
    return _rt.built()


def device_count():
    return _rt.device_count()


def is_available():
    """True when CUDA tensors can be used: a CUDA build, a device present and the CUDA tensor
    backend implemented (not yet: see the module docstring)."""
    return TENSOR_BACKEND and is_built() and device_count() > 0


def get_device_name(index=0):
    return _rt.device_name(index)


def require(what):
    if not is_built():
        raise RuntimeError(f"{what}: pyengine was built without CUDA (no toolkit found at build "
                           "time, or PYENGINE_CUDA=OFF)")
    if device_count() == 0:
        raise RuntimeError(f"{what}: no CUDA device is available")


# Calls that training scripts make unconditionally and that torch answers without touching a
# device when CUDA was never initialized: no CUDA state exists in pyengine, so there is nothing
# to seed or to free (pyengine's CPU generator is seeded by pe.manual_seed).
def is_initialized():
    return False


def manual_seed(seed):
    """torch.cuda.manual_seed: seeds the CUDA generators, which pyengine has none of."""
    int(seed)  # a non-integer seed is still an error, as in torch


def manual_seed_all(seed):
    int(seed)


def empty_cache():
    """torch.cuda.empty_cache: frees cached device memory; pyengine caches none."""
