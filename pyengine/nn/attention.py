"""torch.nn.attention: SDPBackend and the sdpa_kernel context manager that restricts which
scaled_dot_product_attention backends may run (see ops/sdp_backends.py for what each means on
pyengine's CPU)."""
import contextlib

from ..ops.sdp_backends import SDPBackend, enabled, set_enabled

__all__ = ["SDPBackend", "sdpa_kernel"]


@contextlib.contextmanager
def sdpa_kernel(backends, set_priority=False):
    """Within the block only `backends` (one SDPBackend or a list) may serve
    F.scaled_dot_product_attention; the previous set comes back on exit. set_priority orders the
    backends torch tries; pyengine's one implementation gives the same result whichever is
    first."""
    if isinstance(backends, SDPBackend):
        backends = [backends]
    if not isinstance(backends, (list, tuple, set)):
        raise TypeError(f"[sdpa_kernel] backends must be an SDPBackend or a list of them, got "
                        f"{type(backends).__name__}")
    if not isinstance(set_priority, bool):
        raise TypeError(f"[sdpa_kernel] set_priority must be a bool, got {set_priority!r}")
    previous = enabled()
    set_enabled(backends)
    try:
        yield
    finally:
        set_enabled(previous)
