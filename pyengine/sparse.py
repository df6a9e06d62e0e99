"""``pe.sparse`` (torch.sparse): mm and sum over the sparse COO tensors of sparse_coo.py.
torch.sparse.mm(sparse, dense) is the product the graph-convolution examples use; its gradient
reaches both the sparse values and the dense operand."""
from .sparse_coo import SparseCOOTensor

__all__ = ["mm", "sum"]


def mm(mat1, mat2):
    """mat1 @ mat2 with at least one sparse COO operand (2-D): dense result for sparse @ dense
    and dense @ sparse, sparse for sparse @ sparse."""
    if not (isinstance(mat1, SparseCOOTensor) or isinstance(mat2, SparseCOOTensor)):
        raise TypeError("[sparse.mm] expects a sparse COO operand; use pe.mm for dense tensors")
    for m in (mat1, mat2):
        if m.ndim != 2:
            raise RuntimeError(f"[sparse.mm] expects 2-D operands, got shape {tuple(m.shape)}")
    return mat1 @ mat2


def sum(input, dim=None, dtype=None):  # noqa: A001 (torch's name)
    """Sum of all elements of a sparse tensor (dense 0-d). torch.sparse.sum(x, dim), a sparse
    result, is not implemented: sum x.to_dense() over dim instead."""
    if not isinstance(input, SparseCOOTensor):
        raise TypeError("[sparse.sum] expects a sparse COO tensor")
    return input.sum(dim, dtype)

# tf.sparse's SparseTensor / to_dense / from_dense share the namespace (`import pyengine as tf`)
from .tf_sparse import SparseTensor, from_dense, to_dense  # noqa: E402,F401
