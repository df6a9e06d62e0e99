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
openmp = _module("openmp", is_available=lambda: True)
mkldnn = _module("mkldnn", is_available=lambda: False, enabled=False)
