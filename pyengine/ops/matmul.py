"""Matrix product with NumPy's rules (1-D promotion, broadcast batch dims) on the C++ GEMM.
Backward uses transposed *views*, which the GEMM reads through strides without copying."""
import numpy as np

from ..autograd import Function, _sum_to_shape


class MatMul(Function):
    """a @ b; grad_a = g @ b^T, grad_b = a^T @ g (summed over broadcast batch dims)."""

    @staticmethod
    def forward(ctx, a, b):
        if ctx.needs_input_grad is not None:
            ctx.save_for_backward(a, b)
        return ctx.backend.matmul(a, b)

    @staticmethod
    def backward(ctx, g):
        a, b = ctx.saved_tensors
        need_a, need_b = ctx.needs_input_grad
        mm = ctx.backend.matmul
        if a.ndim == 2 and b.ndim == 2:  # no promotion, no batch dims: nothing to sum back
            return (mm(g, b.T) if need_a else None), (mm(a.T, g) if need_b else None)
        A = a if a.ndim > 1 else a[None, :]
        B = b if b.ndim > 1 else b[:, None]
        G = g
        if b.ndim == 1:  # this order also serves 1-D @ 1-D, where g is 0-d
            G = np.expand_dims(G, -1)
        if a.ndim == 1:
            G = np.expand_dims(G, -2)
        ga = gb = None
        if need_a:
            ga = _sum_to_shape(mm(G, np.swapaxes(B, -1, -2)), A.shape).reshape(a.shape)
        if need_b:
            gb = _sum_to_shape(mm(np.swapaxes(A, -1, -2), G), B.shape).reshape(b.shape)
        return ga, gb
