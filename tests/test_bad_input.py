"""Bad input raises a Python exception that names the problem; nothing crashes."""
import numpy as np
import pytest

import pyengine as pe
from pyengine import _C

CASES = {
    # creation
    "zeros_huge": (lambda: pe.zeros(2 ** 62), ValueError, "too large"),
    "ones_huge_2d": (lambda: pe.ones(2 ** 31, 2 ** 31), ValueError, "too large"),
    "zeros_negative": (lambda: pe.zeros(2, -1), ValueError, "negative dimension"),
    "randn_negative": (lambda: pe.randn(-3), ValueError, "negative dimension"),
    "zeros_float_size": (lambda: pe.zeros(2.5), TypeError, "size must be ints"),
    "full_huge": (lambda: pe.full((2 ** 62,), 1.0), ValueError, "too large"),
    "arange_zero_step": (lambda: pe.arange(0, 5, 0), ValueError, "step"),
    "arange_huge": (lambda: pe.arange(0, 2 ** 62), ValueError, "too large"),
    "linspace_negative": (lambda: pe.linspace(0, 1, -2), ValueError, "negative"),
    "eye_negative": (lambda: pe.eye(-1), ValueError, "negative"),
    "randint_empty_range": (lambda: pe.randint(5, 5, (2,)), ValueError, "high"),
    "ragged": (lambda: pe.tensor([[1, 2], [3]]), ValueError, "ragged"),
    "ragged_deep": (lambda: pe.tensor([[[1.0]], [[1.0, 2.0]]]), ValueError, "ragged"),
    "strings": (lambda: pe.tensor(["a", "b"]), TypeError, "numeric"),
    "object": (lambda: pe.tensor([object()]), TypeError, "tensor"),
    "unknown_dtype": (lambda: pe.zeros(2, dtype="float13"), TypeError, "unknown dtype"),
    "unsupported_dtype": (lambda: pe.from_numpy(np.ones(2, np.float16)), TypeError, "float16"),
    "complex": (lambda: pe.tensor([1j]), TypeError, "complex"),
    "from_numpy_list": (lambda: pe.from_numpy([1, 2]), TypeError, "ndarray"),
    "bad_seed": (lambda: pe.manual_seed(-1), ValueError, "seed"),
    "bad_threads": (lambda: pe.set_num_threads(0), ValueError, "positive"),
    "bad_device": (lambda: pe.zeros(2).to("tpu"), ValueError, "unknown device"),
    # arithmetic and matmul
    "add_shapes": (lambda: pe.ones(2, 3) + pe.ones(4), ValueError, r"\[add\] shapes \(2, 3\) and \(4,\)"),
    "mul_shapes": (lambda: pe.ones(3) * pe.ones(2), ValueError, r"\[mul\].*broadcast"),
    "rsub_shapes": (lambda: np.ones(3) - pe.ones(2), ValueError, r"\[sub\].*broadcast"),
    "pow_shapes": (lambda: pe.ones(3) ** pe.ones(2), ValueError, r"\[pow\].*broadcast"),
    "stack_axis": (lambda: pe.stack([pe.ones(2), pe.ones(2)], axis=3), ValueError, r"\[stack\]"),
    "where_shapes": (lambda: pe.where(pe.ones(2) > 0, pe.ones(3), pe.ones(2)), ValueError, r"\[where\].*broadcast"),
    "matmul_inner": (lambda: pe.ones(2, 3) @ pe.ones(4, 5), ValueError, r"\[matmul\] inner dimensions differ"),
    "matmul_batch": (lambda: pe.ones(2, 2, 3) @ pe.ones(3, 3, 4), ValueError, r"\[matmul\] batch"),
    "matmul_scalar": (lambda: pe.tensor(2.0) @ pe.ones(2), ValueError, r"\[matmul\]"),
    "clamp_none": (lambda: pe.ones(2).clamp(), ValueError, r"\[clamp\]"),
    # reductions
    "sum_axis": (lambda: pe.ones(2, 3).sum(axis=2), ValueError, r"\[sum\] axis 2 is out of range"),
    "mean_axis_neg": (lambda: pe.ones(2, 3).mean(axis=-3), ValueError, r"\[mean\] axis -3"),
    "max_repeated": (lambda: pe.ones(2, 3).max(axis=(0, 0)), ValueError, "repeated"),
    "argmax_axis": (lambda: pe.ones(2, 3).argmax(axis=5), ValueError, r"\[argmax\] axis 5"),
    "sum_axis_type": (lambda: pe.ones(2).sum(axis=1.5), TypeError, r"\[sum\] axis must be"),
    "logsumexp_axis": (lambda: pe.ones(2).logsumexp(axis=1), ValueError, r"\[logsumexp\]"),
    "var_axis": (lambda: pe.ones(2).var(axis=3), ValueError, r"\[var\]"),
    # shape ops and indexing
    "reshape": (lambda: pe.ones(2, 3).reshape(4, 2), ValueError, r"\[reshape\].*\(2, 3\)"),
    "permute": (lambda: pe.ones(2, 3).permute(0, 0), ValueError, r"\[permute\]"),
    "permute_len": (lambda: pe.ones(2, 3).permute(0), ValueError, r"\[permute\]"),
    "transpose_axis": (lambda: pe.ones(2, 3).transpose(0, 2), ValueError, r"\[transpose\]"),
    "squeeze_axis": (lambda: pe.ones(2, 3).squeeze(3), ValueError, r"\[squeeze\]"),
    "unsqueeze_axis": (lambda: pe.ones(2, 3).unsqueeze(4), ValueError, r"\[unsqueeze\]"),
    "flatten_axis": (lambda: pe.ones(2, 3).flatten(3), ValueError, r"\[flatten\]"),
    "expand": (lambda: pe.ones(2, 3).expand(4, 3), ValueError, r"\[expand\]"),
    "index_int": (lambda: pe.ones(2, 3)[5], IndexError, r"\[index\] index 5 is out of bounds"),
    "index_neg": (lambda: pe.ones(2, 3)[:, -4], IndexError, "out of bounds"),
    "index_array": (lambda: pe.ones(2, 3)[pe.tensor([0, 7])], IndexError, "out of bounds"),
    "index_too_many": (lambda: pe.ones(2)[0, 0], IndexError, "too many indices"),
    "index_float": (lambda: pe.ones(2)[pe.tensor([0.5])], IndexError, "integer"),
    "cat_axis": (lambda: pe.cat([pe.ones(2), pe.ones(2)], axis=1), ValueError, r"\[cat\]"),
    "cat_shapes": (lambda: pe.cat([pe.ones(2, 2), pe.ones(2, 3)]), ValueError, r"\[cat\]"),
    "stack_shapes": (lambda: pe.stack([pe.ones(2), pe.ones(3)]), ValueError, r"\[stack\]"),
    "split_axis": (lambda: pe.ones(2).split(1, axis=1), ValueError, r"\[split\]"),
    "split_size": (lambda: pe.ones(2).split(0), ValueError, r"\[split\]"),
    # activations
    "softmax_axis": (lambda: pe.ones(2, 3).softmax(axis=2), ValueError, r"\[softmax\] axis 2"),
    "log_softmax_axis": (lambda: pe.ones(2, 3).log_softmax(-3), ValueError, r"\[log_softmax\]"),
    "gelu_approx": (lambda: pe.nn.functional.gelu(pe.ones(2), approximate="tanh"), ValueError, r"\[gelu\]"),
    "softplus_beta": (lambda: pe.nn.functional.softplus(pe.ones(2), beta=0), ValueError, r"\[softplus\]"),
    "linear_features": (lambda: pe.nn.functional.linear(pe.ones(2, 3), pe.ones(4, 5)), ValueError, r"\[linear\]"),
    # autograd
    "int_requires_grad": (lambda: pe.ones(2, dtype=pe.int64).requires_grad_(), RuntimeError, "floating"),
    "item_many": (lambda: pe.ones(3).item(), ValueError, r"\[item\]"),
}


@pytest.mark.parametrize("name", sorted(CASES))
def test_bad_input_raises(name):
    fn, exc, pattern = CASES[name]
    with pytest.raises(exc, match=pattern):
        fn()


f32 = np.ones((2, 3), np.float32)
KERNEL_CASES = {
    "unknown_act": (lambda: _C.act_forward("swish", f32, f32.copy()), ValueError, "unknown activation"),
    "shape_mismatch": (lambda: _C.act_forward("relu", f32, np.ones(5, np.float32)), ValueError, "shapes differ"),
    "dtype_int": (lambda: _C.act_forward("relu", np.ones(3, np.int64), np.ones(3, np.int64)), TypeError, "float32 or float64"),
    "dtype_mixed": (lambda: _C.act_forward("relu", f32, np.ones((2, 3))), TypeError, "out must be float32"),
    "non_contiguous": (lambda: _C.act_forward("relu", f32.T, np.ones((3, 2), np.float32)), ValueError, "C-contiguous"),
    "read_only": (lambda: _C.act_forward("relu", f32, np.broadcast_to(np.float32(0), (2, 3))), ValueError, "C-contiguous|writeable"),
    "backward_shapes": (lambda: _C.act_backward("relu", f32, f32, np.ones(2, np.float32), f32.copy()), ValueError, "shapes differ"),
    "softmax_axis": (lambda: _C.softmax(f32, f32.copy(), 5, False), ValueError, r"\[softmax\] axis 5"),
    "softmax_scalar": (lambda: _C.softmax(np.ones((), np.float32), np.ones((), np.float32), 0, False), ValueError, "at least 1"),
    "softmax_back_shape": (lambda: _C.softmax_backward(f32, np.ones(3, np.float32), f32.copy(), 0, False), ValueError, "shapes differ"),
    "isa_unknown": (lambda: _C.set_cpu_isa("neon"), ValueError, "unknown ISA"),
    "threads": (lambda: _C.set_num_threads(0), ValueError, "positive"),
    "matmul_rank": (lambda: _C.matmul(f32, np.ones(3, np.float32), np.ones(2, np.float32)), ValueError, r"\[matmul\]"),
}


@pytest.mark.parametrize("name", sorted(KERNEL_CASES))
def test_kernel_bindings_check_arguments(name):
    fn, exc, pattern = KERNEL_CASES[name]
    with pytest.raises(exc, match=pattern):
        fn()


class _NoMemory:
    def __getattr__(self, name):
        def fail(*args, **kwargs):
            raise MemoryError("simulated")
        return fail


@pytest.mark.parametrize("op,call", [
    ("zeros", lambda: pe.zeros(3, 4)), ("ones", lambda: pe.ones(5)), ("full", lambda: pe.full((2,), 1.0)),
    ("eye", lambda: pe.eye(3)), ("rand", lambda: pe.rand(4)), ("randn", lambda: pe.randn(4)),
    ("randint", lambda: pe.randint(0, 3, (4,))),
])
def test_out_of_memory_names_the_op(monkeypatch, op, call):
    """A failed allocation (simulated: a real one would be too large to risk) names op and size."""
    import pyengine.creation as creation
    import pyengine.random as random
    monkeypatch.setattr(creation, "np", _Patched(np))
    monkeypatch.setattr(random, "_generator", _NoMemory())
    with pytest.raises(MemoryError, match=rf"\[{op}\] cannot allocate a tensor of size"):
        call()


class _Patched:
    """numpy, except that allocating functions run out of memory."""

    def __init__(self, module):
        self._np = module

    def __getattr__(self, name):
        if name in ("zeros", "ones", "empty", "full", "eye"):
            return _NoMemory().fail
        return getattr(self._np, name)
