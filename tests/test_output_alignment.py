"""Output arrays on a 64-byte boundary (csrc/bindings/output_array.cpp): _C.empty behaves as
np.empty, the engine's large outputs and tensor copies start on a cache line, small ones stay
plain NumPy arrays, and the arrays' lifetimes and reuse stay right."""
import gc
import sys

import numpy as np
import pytest

import pyengine as pe
import pyengine.nn.functional as F
from pyengine import _C
from pyengine.ops.rnn import recurrence

ALIGN_FROM = _C.OUTPUT_ALIGN_FROM_BYTES
BIG = (4, 64, 64, 16)  # 1 MiB of float32
assert 4 * np.prod(BIG) >= ALIGN_FROM


def address(a):
    return a.__array_interface__["data"][0]


@pytest.mark.parametrize("shape", [(), (0,), (3, 0, 2), (7,), (10, 10), (ALIGN_FROM // 4,),
                                   BIG, (ALIGN_FROM // 8, 3)])
@pytest.mark.parametrize("dtype", [np.float32, np.float64, np.uint8, np.int64, np.bool_])
def test_empty_is_np_empty(shape, dtype):
    a = _C.empty(shape, dtype)
    b = np.empty(shape, dtype)
    assert a.shape == b.shape and a.dtype == b.dtype and a.strides == b.strides
    assert a.flags.c_contiguous and a.flags.writeable and a.flags.aligned
    big = a.nbytes >= ALIGN_FROM
    if big:
        assert address(a) % 64 == 0
        assert a.base is not None and a.base.dtype == np.uint8
        assert address(a) + a.nbytes <= address(a.base) + a.base.nbytes
    else:
        assert a.flags.owndata  # below the threshold: NumPy's own block, as before
    a[...] = 1
    assert np.all(a == 1)


def test_empty_takes_lists_numpy_ints_and_dtype_names():
    a = _C.empty([np.int64(3), 4], "float64")
    assert a.shape == (3, 4) and a.dtype == np.float64


@pytest.mark.parametrize("args,err", [
    (((-1,), np.float32), ValueError),
    (((2 ** 62, 2 ** 62), np.float32), ValueError),
    (((2.5,), np.float32), TypeError),
    ((3, np.float32), TypeError),
    (((2,), "not a dtype"), TypeError),
    (((1,) * 65, np.float32), ValueError),
])
def test_empty_errors(args, err):
    with pytest.raises(err):
        _C.empty(*args)


def test_empty_needs_shape_and_dtype():
    with pytest.raises(TypeError, match="takes a shape and a dtype"):
        _C.empty((2,))


def test_out_of_memory_names_the_requested_shape_and_dtype():
    with pytest.raises(MemoryError, match="float32"):
        _C.empty((2 ** 45,), np.float32)  # 128 TiB


def test_object_dtype_takes_numpys_path():
    a = _C.empty((ALIGN_FROM,), object)  # NumPy initialises object arrays; no raw view
    assert a.flags.owndata and all(v is None for v in a[:10])


def test_block_outlives_the_view_and_is_freed_with_it():
    a = _C.empty(BIG, np.float32)
    block = a.base
    before = sys.getrefcount(block)
    v = a[1:3]
    assert v.base is block  # NumPy points views at the owner
    del v
    assert sys.getrefcount(block) == before
    del block
    a[...] = 2.0  # the view keeps its block alive
    gc.collect()
    assert float(a.sum()) == 2.0 * a.size


def test_large_outputs_are_aligned_small_ones_plain():
    rng = np.random.default_rng(0)
    x = pe.tensor(rng.standard_normal(BIG).astype(np.float32))
    w = pe.tensor(rng.standard_normal((3, 3, 1, 16)).astype(np.float32))
    m = pe.tensor(rng.standard_normal((512, 256)).astype(np.float32))
    lin = pe.nn.Linear(256, 256)
    outs = {
        "tensor copy": x,
        "conv2d_nhwc": F.conv2d_nhwc(x, w, padding=1, groups=16),
        "conv2d": F.conv2d(x, pe.tensor(rng.standard_normal((8, 64, 3, 3)).astype(np.float32))),
        "relu": x.relu(),
        "softmax": F.softmax(m, 1),
        "matmul": m @ m.T,
        "linear": lin(m),
        "max_pool2d": F.max_pool2d(x, 2),
    }
    for name, t in outs.items():
        a = t.detach().numpy()
        assert a.nbytes >= ALIGN_FROM, name
        assert address(a) % 64 == 0, name
    small = pe.tensor(np.ones((10, 10), np.float32))
    assert small.numpy().flags.owndata and (small @ small).numpy().flags.owndata
    assert small.relu().numpy().flags.owndata


def test_aligned_tensor_copy_keeps_values_dtype_and_independence():
    src = np.asfortranarray(np.random.default_rng(1).standard_normal((300, 300)))
    t = pe.tensor(src)
    assert t.dtype == pe.float64 and address(t.numpy()) % 64 == 0
    np.testing.assert_array_equal(t.numpy(), src)
    assert t.numpy().flags.c_contiguous
    src[0, 0] = 123.0
    assert t.numpy()[0, 0] != 123.0  # a copy, not a view
    f = pe.tensor(src, dtype=pe.float32)
    np.testing.assert_array_equal(f.numpy(), src.astype(np.float32))
    i = pe.tensor(np.arange(ALIGN_FROM, dtype=np.int32))
    assert i.dtype == pe.int32 and address(i.numpy()) % 64 == 0
    np.testing.assert_array_equal(i.numpy(), np.arange(ALIGN_FROM))


def test_rnn_workspace_kept_by_a_view_of_a_large_output_is_not_reused():
    # backend.cpu reuses an RNN output once nothing refers to it; a large output is a view of its
    # aligned block, and views of it refer to the block, so the check must look there too.
    def args(seed):
        r = np.random.default_rng(seed)
        t = lambda *s: pe.tensor(r.standard_normal(s).astype(np.float32) * 0.3)  # noqa: E731
        return (t(64, 32, 8), t(256, 8), t(256, 64), t(256), t(256), None, None)

    with pe.no_grad():
        y, _, _ = recurrence(*args(3), mode="LSTM")
        assert y.numpy().nbytes >= ALIGN_FROM
        view = y.numpy()[1:3]
        first = view.copy()
        del y
        recurrence(*args(4), mode="LSTM")
    np.testing.assert_array_equal(view, first)
