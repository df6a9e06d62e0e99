"""EmbeddingBag: an embedding table whose lookups are reduced per bag (F.embedding_bag)."""
from .. import functional as F
from .embedding import EmbeddingTable


class EmbeddingBag(EmbeddingTable):
    """out[b] = sum / mean / max of weight[i] over the indices i of bag b; weight
    (num_embeddings, embedding_dim) ~ N(0, 1) at init, the row at padding_idx zero and left out
    of every bag. forward(input, offsets=None, per_sample_weights=None): see F.embedding_bag.

    >>> bag = pe.nn.EmbeddingBag(10, 3, mode="sum")
    >>> bag(pe.tensor([1, 2, 4, 5, 4]), pe.tensor([0, 2])).shape
    (2, 3)
    """

    def __init__(self, num_embeddings, embedding_dim, max_norm=None, norm_type=2.0,
                 scale_grad_by_freq=False, mode="mean", sparse=False, _weight=None,
                 include_last_offset=False, padding_idx=None, device=None, dtype=None):
        if max_norm is not None:
            raise NotImplementedError("[EmbeddingBag] max_norm is not supported")
        if scale_grad_by_freq:
            raise NotImplementedError("[EmbeddingBag] scale_grad_by_freq=True is not supported")
        if sparse:
            raise NotImplementedError("[EmbeddingBag] sparse=True is not supported (gradients "
                                      "are dense)")
        if mode not in ("sum", "mean", "max"):
            raise ValueError(f"[EmbeddingBag] mode must be 'sum', 'mean' or 'max', got "
                             f"mode={mode!r}")
        super().__init__(num_embeddings, embedding_dim, padding_idx=padding_idx,
                         _weight=_weight, device=device, dtype=dtype)
        self.mode, self.include_last_offset = mode, bool(include_last_offset)

    @classmethod
    def from_pretrained(cls, embeddings, freeze=True, max_norm=None, norm_type=2.0,
                        scale_grad_by_freq=False, mode="mean", sparse=False,
                        include_last_offset=False, padding_idx=None):
        """An EmbeddingBag around a (num, dim) tensor; freeze=True makes it not trainable."""
        if embeddings.ndim != 2:
            raise ValueError(f"[EmbeddingBag.from_pretrained] embeddings must be 2-D, got shape "
                             f"{tuple(embeddings.shape)}")
        m = cls(*embeddings.shape, max_norm=max_norm, scale_grad_by_freq=scale_grad_by_freq,
                mode=mode, sparse=sparse, _weight=embeddings,
                include_last_offset=include_last_offset, padding_idx=padding_idx)
        m.weight.requires_grad_(not freeze)
        return m

    def forward(self, input, offsets=None, per_sample_weights=None):
        return F.embedding_bag(input, self.weight, offsets, mode=self.mode,
                               per_sample_weights=per_sample_weights,
                               include_last_offset=self.include_last_offset,
                               padding_idx=self.padding_idx)

    def extra_repr(self):
        return super().extra_repr() + f", mode={self.mode!r}"
