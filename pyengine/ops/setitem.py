"""`buf[key] = value` recorded for autograd, as PyTorch's CopySlices: the seq2seq tutorial
fills `encoder_outputs = torch.zeros(...)` row by row with `encoder_outputs[ei] =
encoder_output[0, 0]` and attends over it, so the gradient must reach the encoder through
those rows. The result is a new array (the old one is never written), so values an earlier
op saved stay intact; Tensor.__setitem__ makes the tensor adopt the result and its node.
Gradients: the overwritten positions get none from the old tensor; the value receives the
gradient of the positions it was written to, summed over the dimensions it was broadcast.
As in torch, a value's leading size-1 dimensions are dropped before it is broadcast to the
indexed region (torch's slicePrefix1sSize): a (1,) tensor fills one element, `R[-1, 0] = r +
gamma * v` with v of shape (1,) in the A3C tutorial."""
import numpy as np

from ..autograd import Function


def strip_leading_ones(v):
    """v without its leading size-1 dimensions (a view), as torch's setitem takes a value."""
    shape = np.shape(v)
    k = 0
    while k < len(shape) and shape[k] == 1:
        k += 1
    return np.reshape(v, shape[k:]) if k else v


class SetItem(Function):
    @staticmethod
    def forward(ctx, a, v, key=None):
        ctx.key, ctx.v_shape, ctx.v_dtype = key, v.shape, v.dtype
        v = strip_leading_ones(v)
        ctx.vs_shape = v.shape
        out = a.copy()
        try:
            out[key] = v
        except (IndexError, ValueError) as e:
            raise type(e)(f"[setitem] {e} (tensor of shape {a.shape}, value of shape "
                          f"{v.shape})") from None
        return out

    @staticmethod
    def backward(ctx, g):
        ga = g.copy()
        ga[ctx.key] = 0
        gv = np.asarray(g[ctx.key])
        extra = gv.ndim - len(ctx.vs_shape)
        if extra > 0:
            gv = gv.sum(axis=tuple(range(extra)))
        dims = tuple(i for i, n in enumerate(ctx.vs_shape) if n == 1 and gv.shape[i] != 1)
        if dims:
            gv = gv.sum(axis=dims, keepdims=True)
        return ga, gv.reshape(ctx.v_shape).astype(ctx.v_dtype, copy=False)
