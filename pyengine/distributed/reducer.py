"""Gradient averaging for data-parallel training: every gradient of a step is packed into ONE
contiguous buffer per dtype, reduced in place through mpi4py's buffer interface, and handed back
as views of that buffer (no copy on the way out; the buffer is reused every step).

Each parameter also puts a presence flag (1 when this rank has its gradient, else 0) at the end
of the buffer, reduced with the gradients: a parameter that no rank produced a gradient for keeps
``grad = None`` (the optimizer then skips it, as it would in one process), and a rank that lacks
one contributes zeros. Ranks check once, when the list of parameters changes, that they all pack
the same layout (names are not needed: shapes and dtypes in order).

Two reduction orders:
  fast (default)  MPI_Allreduce(SUM): MPI's own algorithm; every rank receives the same bits, but
                  the summation order depends on the MPI library and the number of ranks.
  deterministic   the buffer is cut into size() chunks; rank r receives chunk r from every rank
                  (Alltoallv), sums the rows in rank order 0, 1, ..., size-1 in the buffer's dtype,
                  divides by size(), and the reduced chunks are gathered back (Allgatherv). The
                  result is bitwise ((g_0 + g_1) + g_2 + ...) / size, as one process accumulating
                  the ranks' batch gradients in rank order would compute it; it moves the same
                  bytes as a ring allreduce (2 (n-1)/n of the buffer per rank).
"""
import numpy as np

from . import _mpi
from .collectives import Average, Sum, agree


class GradientReducer:
    """Averages (op=Average) or sums (op=Sum) lists of gradients across ranks, in one collective
    per dtype. `reduce(grads, params)` returns one reduced array (or None) per parameter."""

    def __init__(self, op=Average, deterministic=False, what="DistributedOptimizer",
                 bucket_bytes=None):
        if op is not Average and op is not Sum:
            raise ValueError(f"[{what}] op must be pyengine.distributed.Average or Sum, got "
                             f"{op!r}")
        if not isinstance(deterministic, bool):
            raise TypeError(f"[{what}] deterministic must be True or False, got "
                            f"{deterministic!r}")
        self.op, self.deterministic, self.what = op, deterministic, what
        # None: one MPI_Allreduce per dtype; else the buffer goes in pieces of at most this many
        # bytes (DistributedDataParallel's bucket_cap_mb), one call each, in order
        self.bucket_bytes = bucket_bytes
        self.counts = []      # after reduce(): how many ranks had each parameter's gradient
        self._layout = None   # ((shape, dtype str) per parameter)
        self._buckets = None  # dtype str -> (buffer, [(param index, offset, size)])
        self.bytes_per_step = 0

    def _plan(self, params):
        layout = tuple((p.shape, p.dtype.str) for p in params)
        if layout == self._layout:
            return
        for p in params:
            if p.dtype.kind != "f":
                raise TypeError(f"[{self.what}] gradients must be floating point, a parameter "
                                f"has dtype {p.dtype}")
        agree(layout, self.what, "parameters (shapes and dtypes, in order)")
        slots = {}
        for i, p in enumerate(params):
            slots.setdefault(p.dtype.str, []).append(i)
        buckets = {}
        for dtype, idx in slots.items():
            entries, offset = [], 0
            for i in idx:
                entries.append((i, offset, params[i].size))
                offset += params[i].size
            # gradients, then one presence flag per parameter
            buckets[dtype] = (np.empty(offset + len(idx), dtype=np.dtype(dtype)), entries)
        self._layout, self._buckets = layout, buckets
        self.bytes_per_step = sum(b.nbytes for b, _ in buckets.values())

    def reduce(self, grads, params):
        """grads: one array (any layout, cast to the parameter's dtype) or None per parameter;
        params: the parameters' arrays. Returns the reduced gradients as views of the buffer
        (one rank: the gradients themselves, contiguous, in the parameters' dtypes)."""
        if _mpi.size() == 1:  # the sum and the average of one gradient are that gradient
            self.counts = [0 if g is None else 1 for g in grads]
            return [None if g is None else np.ascontiguousarray(g, dtype=p.dtype)
                    for g, p in zip(grads, params)]
        self._plan(params)
        out = [None] * len(params)
        self.counts = [0] * len(params)
        for buf, entries in self._buckets.values():
            n_grad = buf.size - len(entries)
            flags = buf[n_grad:]
            for k, (i, offset, n) in enumerate(entries):
                g = grads[i]
                dest = buf[offset:offset + n]
                if g is None:
                    dest[...] = 0
                    flags[k] = 0
                else:
                    if g.shape != params[i].shape:
                        raise ValueError(f"[{self.what}] a gradient has shape {g.shape}, its "
                                         f"parameter {params[i].shape}")
                    dest.reshape(g.shape)[...] = g
                    flags[k] = 1
            if self.deterministic:
                self._reduce_in_rank_order(buf, n_grad)
            else:
                self._allreduce(buf, n_grad)
            for k, (i, offset, n) in enumerate(entries):
                self.counts[i] = int(flags[k])
                if flags[k] != 0:
                    out[i] = buf[offset:offset + n].reshape(params[i].shape)
        return out

    def _scale(self, grad_part):
        if self.op is Average:
            np.divide(grad_part, grad_part.dtype.type(_mpi.size()), out=grad_part)

    def _allreduce(self, buf, n_grad):
        MPI = _mpi.mpi()
        comm = _mpi.comm()
        step = buf.size if self.bucket_bytes is None else \
            max(1, int(self.bucket_bytes) // buf.itemsize)
        for lo in range(0, buf.size, step):  # same pieces on every rank: same layout
            comm.Allreduce(MPI.IN_PLACE, buf[lo:lo + step], op=MPI.SUM)
        self._scale(buf[:n_grad])

    def _reduce_in_rank_order(self, buf, n_grad):
        comm = _mpi.comm()
        n, me = comm.Get_size(), comm.Get_rank()
        bounds = np.linspace(0, buf.size, n + 1).astype(np.int64)
        counts = np.diff(bounds).tolist()
        displs = bounds[:-1].tolist()
        mine = counts[me]
        rows = np.empty((n, mine), dtype=buf.dtype)
        comm.Alltoallv([buf, (counts, displs)], [rows, ([mine] * n, [mine * r for r in range(n)])])
        acc = buf[displs[me]:displs[me] + mine]
        acc[...] = rows[0]
        for r in range(1, n):
            acc += rows[r]  # rank order: ((g_0 + g_1) + g_2) + ...
        lo, hi = displs[me], min(displs[me] + mine, n_grad)
        if hi > lo:
            self._scale(buf[lo:hi])
        comm.Allgatherv(_mpi.mpi().IN_PLACE, [buf, (counts, displs)])
