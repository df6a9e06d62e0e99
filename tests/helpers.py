"""One checker for every op: forward against NumPy float64, backward by finite differences.

Tests supply only the op, its NumPy reference and the inputs (tinygrad / Chainer style)."""
import numpy as np
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

import pyengine as pe

# Tolerances of the forward check, by dtype.
TOL = {np.float32: dict(rtol=2e-5, atol=2e-6), np.float64: dict(rtol=1e-10, atol=1e-12)}
LAYOUTS = ("contiguous", "transposed", "sliced")


def layout(array, kind):
    """The same values as `array`, stored as a contiguous array, a transposed view or a strided
    slice (both non-contiguous when ndim >= 1)."""
    if kind == "transposed" and array.ndim >= 2:
        return np.array(array.T, order="C").T
    if kind == "sliced" and array.ndim >= 1:
        wide = np.repeat(array, 2, axis=-1)  # keep every other element: stride 2
        view = wide[..., ::2]
        assert np.array_equal(view, array, equal_nan=True)
        return view
    return np.array(array, order="C")  # (ascontiguousarray would make 0-d arrays 1-d)


def shapes(min_dims=0, max_dims=3, min_side=0, max_side=4):
    return hnp.array_shapes(min_dims=min_dims, max_dims=max_dims, min_side=min_side,
                            max_side=max_side)


def values(shape, lo=-3.0, hi=3.0):
    """Strategy: a float64 array of `shape` with values in [lo, hi]."""
    return hnp.arrays(np.float64, shape, elements=st.floats(lo, hi, allow_nan=False, width=64))


def check_op(op, ref, *arrays, grad=True, kinds=None, dtypes=(np.float32, np.float64),
             tol=None, grad_tol=None):
    """Check ``op(*tensors)`` against ``ref(*float64 arrays)``.

    Forward: for each dtype and layout (contiguous / transposed / sliced views), the pyengine
    result matches the float64 reference within the dtype's tolerance, with the same shape.
    Backward (grad=True): gradcheck in float64 on every float input.
    Non-array arguments (scalars) pass through unchanged."""
    kinds = kinds or LAYOUTS
    expected = ref(*[np.asarray(a, np.float64) if isinstance(a, np.ndarray) else a
                     for a in arrays])
    expected = np.asarray(expected)
    for dt in dtypes:
        for kind in kinds:
            ts = [pe.from_numpy(layout(a.astype(dt), kind)) if isinstance(a, np.ndarray) else a
                  for a in arrays]
            out = op(*ts)
            got = out.numpy()
            assert got.shape == expected.shape, (got.shape, expected.shape)
            if expected.dtype.kind == "f":
                assert got.dtype == dt, f"dtype {got.dtype}, expected {np.dtype(dt)} ({kind})"
                np.testing.assert_allclose(got.astype(np.float64), expected,
                                           **(tol or {}).get(dt, TOL[dt]), err_msg=kind)
            else:
                np.testing.assert_array_equal(got, expected, err_msg=kind)
    if grad:
        for kind in kinds:
            ts = [pe.from_numpy(layout(a.astype(np.float64), kind)).requires_grad_()
                  if isinstance(a, np.ndarray) else a for a in arrays]
            pe.testing.gradcheck(op, ts, **(grad_tol or {}))
