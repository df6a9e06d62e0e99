"""``pe.backends``: the torch.backends flags PyTorch programs set or read.

cudnn.benchmark / cudnn.deterministic / cudnn.enabled are inert: pyengine has no cuDNN, its CPU
kernels are always deterministic (results never depend on the thread count) and choose their
algorithm from the shapes. mps.is_available() is False (no Apple GPU backend).
cuda.matmul.allow_tf32 is inert (no TF32 path). openmp.is_available() is True.
"""
import types

cudnn = types.SimpleNamespace(benchmark=False, deterministic=False, enabled=True,
                              is_available=lambda: False, version=lambda: None)
mps = types.SimpleNamespace(is_available=lambda: False, is_built=lambda: False)
cuda = types.SimpleNamespace(matmul=types.SimpleNamespace(allow_tf32=False),
                             is_built=lambda: __import__("pyengine").cuda.is_built())
openmp = types.SimpleNamespace(is_available=lambda: True)
mkldnn = types.SimpleNamespace(is_available=lambda: False, enabled=False)
