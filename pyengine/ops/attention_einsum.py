"""einsum over existing autograd ops: each operand is permuted and reshaped so that the
contraction is one batched matmul (pe.matmul), then reshaped and permuted to the output's
order. Indices that appear in one operand only and not in the output are summed first. The
gradient is that of permute / reshape / sum / matmul; nothing new to differentiate.

Supported: explicit or implicit ('ij,jk') output, one or two operands, '...' (leading
broadcast-free ellipsis of equal dims). Not supported (clear error): an index repeated inside
one operand (diagonals), more than two operands."""
import string

from ..tensor import Tensor

_LETTERS = set(string.ascii_letters)


def _parse(equation, operands):
    eq = equation.replace(" ", "")
    if "->" in eq:
        lhs, out = eq.split("->")
        explicit = True
    else:
        lhs, out, explicit = eq, None, False
    terms = lhs.split(",")
    if len(terms) != len(operands):
        raise ValueError(f"[einsum] equation '{equation}' names {len(terms)} operands, got "
                         f"{len(operands)}")
    ell_dims = None
    fixed = []
    for term, t in zip(terms, operands):
        if "..." in term:
            n = t.ndim - (len(term) - 3)
            if n < 0:
                raise ValueError(f"[einsum] operand of shape {t.shape} has fewer dims than "
                                 f"'{term}' names")
            dims = tuple(t.shape[:n]) if term.startswith("...") else None
            if dims is None:
                raise ValueError(f"[einsum] '...' is supported only at the start of a term, "
                                 f"got '{term}'")
            if ell_dims is not None and dims != ell_dims:
                raise ValueError(f"[einsum] '...' dims differ between operands: {ell_dims} vs "
                                 f"{dims} (broadcasting is not supported)")
            ell_dims = dims
            term = "".join(chr(0x100 + i) for i in range(n)) + term[3:]  # private letters
        fixed.append(term)
    for term, t in zip(fixed, operands):
        if len(term) != t.ndim:
            raise ValueError(f"[einsum] term '{term}' has {len(term)} indices but the operand "
                             f"has shape {t.shape}")
        if len(set(term)) != len(term):
            raise ValueError(f"[einsum] index repeated within one operand ('{term}': a "
                             "diagonal) is not supported")
        if any(c not in _LETTERS and ord(c) < 0x100 for c in term):
            raise ValueError(f"[einsum] invalid subscript in '{equation}'")
    ell = "".join(chr(0x100 + i) for i in range(len(ell_dims or ())))
    if explicit:
        if "..." in out:
            out = out.replace("...", ell)
        elif ell:
            raise ValueError(f"[einsum] '{equation}': output must keep '...'")
    else:
        counts = {}
        for term in fixed:
            for c in term:
                counts[c] = counts.get(c, 0) + 1
        out = ell + "".join(sorted(c for c, n in counts.items() if n == 1 and c not in ell))
    if len(set(out)) != len(out) or any(c not in "".join(fixed) for c in out):
        raise ValueError(f"[einsum] output '{out}' of '{equation}' repeats an index or names "
                         "one no operand has")
    sizes = {}
    for term, t in zip(fixed, operands):
        for c, d in zip(term, t.shape):
            if sizes.setdefault(c, d) != d:
                raise ValueError(f"[einsum] index '{c}' has size {sizes[c]} in one operand and "
                                 f"{d} in another ('{equation}', shapes "
                                 f"{[tuple(o.shape) for o in operands]})")
    return fixed, out, sizes


def _sum_private(t, term, keep):
    """Sum the axes of `t` whose index is not in `keep`."""
    axes = tuple(i for i, c in enumerate(term) if c not in keep)
    if not axes:
        return t, term
    return t.sum(axis=axes), "".join(c for c in term if c in keep)


def _permute(t, term, order):
    if term == order:
        return t
    return t.permute(*[term.index(c) for c in order])


def _prod(sizes, idx):
    n = 1
    for c in idx:
        n *= sizes[c]
    return n


def einsum(equation, *operands):
    """Einstein summation, e.g. einsum('bij,bjk->bik', a, b) is a batched matmul and
    einsum('abc,cde->abde', x, w) a projection to heads. Differentiable.

    >>> pe.einsum('ij,jk->ik', pe.ones(2, 3), pe.ones(3, 4)).shape
    (2, 4)
    """
    if len(operands) == 1 and isinstance(operands[0], (list, tuple)):
        operands = tuple(operands[0])
    if not operands or len(operands) > 2:
        raise ValueError(f"[einsum] one or two operands are supported, got {len(operands)}")
    if not all(isinstance(t, Tensor) for t in operands):
        raise TypeError("[einsum] operands must be Tensors")
    terms, out, sizes = _parse(equation, operands)
    if len(operands) == 1:
        t, term = _sum_private(operands[0], terms[0], out)
        return _permute(t, term, out)
    (a, b), (ta, tb) = operands, terms
    a, ta = _sum_private(a, ta, set(out) | set(tb))
    b, tb = _sum_private(b, tb, set(out) | set(ta))
    batch = "".join(c for c in ta if c in tb and c in out)
    contract = "".join(c for c in ta if c in tb and c not in out)
    left = "".join(c for c in ta if c not in tb)
    right = "".join(c for c in tb if c not in ta)
    nb, nl, nc, nr = (_prod(sizes, s) for s in (batch, left, contract, right))
    a2 = _permute(a, ta, batch + left + contract).reshape(nb, nl, nc)
    b2 = _permute(b, tb, batch + contract + right).reshape(nb, nc, nr)
    res = (a2 @ b2).reshape(tuple(sizes[c] for c in batch + left + right))
    return _permute(res, batch + left + right, out)
