"""``pe.backends``: the torch.backends flags PyTorch programs set or read.

cudnn.benchmark / cudnn.deterministic / cudnn.enabled are inert: pyengine has no cuDNN, its CPU
kernels are always deterministic (results never depend on the thread count) and choose their
algorithm from the shapes. mps.is_available() is False (no Apple GPU backend).
cuda.matmul.allow_tf32 is inert (no TF32 path). openmp.is_available() is True.
"""
import sys
import types


def _module(name, **attrs):
    """A submodule, so that `import torch.backends.cudnn as cudnn` ports too."""
    m = types.ModuleType(f"{__name__}.{name}")
    m.__dict__.update(attrs)
    sys.modules[m.__name__] = m
    return m


cudnn = _module("cudnn", benchmark=False, deterministic=False, enabled=True,
                is_available=lambda: False, version=lambda: None)
mps = _module("mps", is_available=lambda: False, is_built=lambda: False)
cuda = _module("cuda", matmul=types.SimpleNamespace(allow_tf32=False),
               is_built=lambda: __import__("pyengine").cuda.is_built())


def _sdp_switches():
    """torch.backends.cuda's scaled_dot_product_attention switches (they also govern the CPU
    kernels in torch): enable_*_sdp / *_sdp_enabled and the deprecated sdp_kernel context."""
    import contextlib
    import warnings

    from ..ops import sdp_backends as sb
    B = sb.SDPBackend
    names = {"flash": B.FLASH_ATTENTION, "math": B.MATH, "mem_efficient": B.EFFICIENT_ATTENTION,
             "cudnn": B.CUDNN_ATTENTION}

    def switch(backend):
        def enable(enabled):
            if not isinstance(enabled, bool):
                raise TypeError(f"expected a bool, got {enabled!r}")
            sb.set_enabled(sb.enabled() | {backend} if enabled else sb.enabled() - {backend})

        def is_enabled():
            return backend in sb.enabled()
        return enable, is_enabled

    out = {"SDPBackend": B}
    for name, backend in names.items():
        out[f"enable_{name}_sdp"], out[f"{name}_sdp_enabled"] = switch(backend)

    @contextlib.contextmanager
    def sdp_kernel(enable_flash=True, enable_math=True, enable_mem_efficient=True,
                   enable_cudnn=True):
        warnings.warn("torch.backends.cuda.sdp_kernel() is deprecated; use "
                      "torch.nn.attention.sdpa_kernel()", FutureWarning, stacklevel=3)
        chosen = {b for b, on in ((B.FLASH_ATTENTION, enable_flash), (B.MATH, enable_math),
                                  (B.EFFICIENT_ATTENTION, enable_mem_efficient),
                                  (B.CUDNN_ATTENTION, enable_cudnn)) if on}
        previous = sb.enabled()
        sb.set_enabled(chosen | (previous & {B.OVERRIDEABLE}))
        try:
            yield
        finally:
            sb.set_enabled(previous)
    out["sdp_kernel"] = sdp_kernel
    return out


cuda.__dict__.update(_sdp_switches())
openmp = _module("openmp", is_available=lambda: True)
mkldnn = _module("mkldnn", is_available=lambda: False, enabled=False)
