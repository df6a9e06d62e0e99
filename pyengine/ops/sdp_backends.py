"""Which scaled_dot_product_attention backends a program has enabled (torch.nn.attention.
sdpa_kernel, torch.backends.cuda.enable_*_sdp). pyengine has one CPU implementation, exact
softmax attention, which stands for the two backends torch serves on the CPU (MATH and
FLASH_ATTENTION); EFFICIENT_ATTENTION and CUDNN_ATTENTION are CUDA kernels. With neither MATH nor
FLASH_ATTENTION enabled, scaled_dot_product_attention raises, as torch does on the CPU."""
import enum


class SDPBackend(enum.IntEnum):
    ERROR = -1
    MATH = 0
    FLASH_ATTENTION = 1
    EFFICIENT_ATTENTION = 2
    CUDNN_ATTENTION = 3
    OVERRIDEABLE = 4


_ALL = (SDPBackend.MATH, SDPBackend.FLASH_ATTENTION, SDPBackend.EFFICIENT_ATTENTION,
        SDPBackend.CUDNN_ATTENTION, SDPBackend.OVERRIDEABLE)
_enabled = set(_ALL)


def enabled():
    return frozenset(_enabled)


def set_enabled(backends):
    backends = set(backends)
    for b in backends:
        if not isinstance(b, SDPBackend) or b is SDPBackend.ERROR:
            raise TypeError(f"[sdpa_kernel] expected SDPBackend members, got {b!r}")
    _enabled.clear()
    _enabled.update(backends)


def check_available(op):
    if SDPBackend.MATH not in _enabled and SDPBackend.FLASH_ATTENTION not in _enabled:
        raise RuntimeError(f"[{op}] No viable backend for scaled_dot_product_attention was "
                           "found: on the CPU it runs as MATH or FLASH_ATTENTION, and both are "
                           f"disabled (enabled: {sorted(b.name for b in _enabled)})")
