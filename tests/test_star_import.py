"""`from pyengine import *` must not shadow Python builtins (pe.range is TensorFlow's range and
returns a Tensor; pe.sum, pe.abs, pe.max, pe.float are tensor functions / dtypes)."""
import builtins

import pyengine as pe


def test_star_import_keeps_builtins_and_exports_the_rest():
    ns = {}
    exec("from pyengine import *", ns)
    shadowed = sorted(n for n in ns if n != "__builtins__" and hasattr(builtins, n))
    assert shadowed == []
    for name in ("tensor", "Tensor", "nn", "exp", "matmul", "no_grad", "float32"):
        assert ns[name] is getattr(pe, name)
    assert pe.range(3).tolist() == [0, 1, 2]  # still reachable as an attribute
