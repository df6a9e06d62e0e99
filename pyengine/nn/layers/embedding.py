"""Embedding: a lookup table of num_embeddings vectors of size embedding_dim."""
import numpy as np

from .. import functional as F
from .. import init
from ..module import Module, Parameter
from .linear import _dtype


class EmbeddingTable(Module):
    """The weight of Embedding and EmbeddingBag, (num_embeddings, embedding_dim) ~ N(0, 1) at
    init with the row at padding_idx zero. A base of both, as PyTorch's two classes share no
    base but Module: isinstance(bag, nn.Embedding) stays False, as user code that inits layers
    by type expects."""

    def __init__(self, num_embeddings, embedding_dim, padding_idx=None, _weight=None,
                 device=None, dtype=None):
        super().__init__()
        name = type(self).__name__
        if padding_idx is not None:
            if not -num_embeddings <= padding_idx < num_embeddings:
                raise ValueError(f"[{name}] padding_idx must be within num_embeddings, "
                                 f"received padding_idx={padding_idx}")
            padding_idx %= num_embeddings
        self.num_embeddings, self.embedding_dim = num_embeddings, embedding_dim
        self.padding_idx = padding_idx
        dt = _dtype(dtype, device)
        if _weight is None:
            self.weight = Parameter(np.empty((num_embeddings, embedding_dim), dt))
            self.reset_parameters()
        else:
            if tuple(_weight.shape) != (num_embeddings, embedding_dim):
                raise ValueError(f"[{name}] _weight has shape {tuple(_weight.shape)}, expected "
                                 f"{(num_embeddings, embedding_dim)}")
            self.weight = Parameter(_weight)

    def reset_parameters(self):
        init.normal_(self.weight)
        if self.padding_idx is not None:
            self.weight._data[self.padding_idx] = 0

    def extra_repr(self):
        s = f"{self.num_embeddings}, {self.embedding_dim}"
        return s if self.padding_idx is None else s + f", padding_idx={self.padding_idx}"


class Embedding(EmbeddingTable):
    """out = weight[input], weight (num_embeddings, embedding_dim) ~ N(0, 1) at init; the row at
    padding_idx is zero and receives no gradient.

    >>> pe.nn.Embedding(10, 3)(pe.tensor([[1, 2], [4, 5]])).shape
    (2, 2, 3)
    """

    def __init__(self, num_embeddings, embedding_dim, padding_idx=None, max_norm=None,
                 _weight=None, device=None, dtype=None):
        if max_norm is not None:
            raise NotImplementedError("[Embedding] max_norm is not supported")
        super().__init__(num_embeddings, embedding_dim, padding_idx, _weight, device, dtype)

    @classmethod
    def from_pretrained(cls, embeddings, freeze=True, padding_idx=None):
        """An Embedding around a (num, dim) tensor; freeze=True makes it not trainable."""
        if embeddings.ndim != 2:
            raise ValueError(f"[Embedding.from_pretrained] embeddings must be 2-D, got shape "
                             f"{tuple(embeddings.shape)}")
        m = cls(*embeddings.shape, padding_idx=padding_idx, _weight=embeddings)
        m.weight.requires_grad_(not freeze)
        return m

    def forward(self, x):
        return F.embedding(x, self.weight, self.padding_idx)
