"""L-BFGS (Nocedal & Wright, Algorithm 7.4), PyTorch's implementation without line search."""
import numpy as np

from ..autograd import enable_grad
from .optimizer import Optimizer, _check, check_lr, scalar


def _dot(a, b):
    """a . b of two flat vectors without BLAS: NumPy's `@` on 1-D arrays is OpenBLAS's ddot, which
    wakes OpenBLAS's own threads from ~10k elements; right after the kernels' OpenMP region (whose
    threads still spin) the two pools fight for the cores, and on 2 cores the LBFGS step of
    pytorch/examples' time_sequence_prediction ran 8x slower on 2 threads than on 1. einsum's
    1-D loop is single-threaded and vectorised."""
    return float(np.einsum("i,i->", a, b))


class LBFGS(Optimizer):
    r"""Limited-memory BFGS, PyTorch's rule; ``step(closure)`` runs up to `max_iter`
    iterations, calling ``closure()`` (zero_grad, forward, backward, return loss) to
    re-evaluate. Each iteration builds the direction d = -H g by the two-loop recursion over
    the last `history_size` pairs (s = t d, y = g_new - g_old, kept when y.s > 1e-10) with
    H0 = y.s / y.y, then moves p += t d with t = lr (the first iteration uses
    t = min(1, 1 / |g|_1) * lr). It stops when |g|_inf <= tolerance_grad, when the
    directional derivative g.d > -tolerance_change, when a step or the loss change is below
    tolerance_change, or after max_eval closure calls. One parameter group; the parameters are
    treated as one flat vector (NumPy dot products and axpys: there is no per-element fused
    update to make here). line_search_fn='strong_wolfe' is not implemented (rejected).

    >>> opt = pe.optim.LBFGS(model.parameters(), lr=0.8)
    >>> def closure():
    ...     opt.zero_grad(); loss = crit(model(x), y); loss.backward(); return loss
    >>> opt.step(closure)
    """

    def __init__(self, params, lr=1.0, max_iter=20, max_eval=None, tolerance_grad=1e-7,
                 tolerance_change=1e-9, history_size=100, line_search_fn=None):
        check_lr(lr)
        _check(isinstance(max_iter, int) and max_iter >= 1, f"Invalid max_iter: {max_iter}")
        max_eval = max_iter * 5 // 4 if max_eval is None else max_eval
        _check(isinstance(history_size, int) and history_size >= 1,
               f"Invalid history_size: {history_size}")
        if line_search_fn is not None:
            raise ValueError(f"[LBFGS] line_search_fn={line_search_fn!r} is not implemented; "
                             "only line_search_fn=None (a fixed step lr) is")
        super().__init__(params, dict(lr=lr, max_iter=max_iter, max_eval=max_eval,
                                      tolerance_grad=tolerance_grad,
                                      tolerance_change=tolerance_change,
                                      history_size=history_size, line_search_fn=None))
        if len(self.param_groups) != 1:
            raise ValueError("[LBFGS] doesn't support per-parameter options (parameter groups)")
        self._params = self.param_groups[0]["params"]

    def _flat_grad(self):
        return np.concatenate([(p.grad._data if p.grad is not None else np.zeros_like(p._data))
                               .reshape(-1).astype(p._data.dtype, copy=False)
                               for p in self._params])

    def _add(self, t, d):
        offset = 0
        for p in self._params:
            n = p._data.size
            p._data += (t * d[offset:offset + n]).reshape(p._data.shape).astype(p._data.dtype)
            offset += n

    def step(self, closure=None):
        if closure is None:
            raise ValueError("[LBFGS] step() needs a closure that re-evaluates the model and "
                             "returns the loss")
        group = self.param_groups[0]
        lr, max_iter, max_eval = scalar(group["lr"]), group["max_iter"], group["max_eval"]
        tol_grad, tol_change = group["tolerance_grad"], group["tolerance_change"]
        history = group["history_size"]

        def evaluate():
            with enable_grad():
                return closure()
        state = self.state.setdefault(self._params[0], {})
        state.setdefault("func_evals", 0)
        state.setdefault("n_iter", 0)
        orig_loss = evaluate()
        loss = float(orig_loss)
        evals = 1
        state["func_evals"] += 1
        g = self._flat_grad()
        if np.abs(g).max() <= tol_grad:
            return orig_loss
        d, t = state.get("d"), state.get("t")
        old_dirs, old_stps = state.get("old_dirs", []), state.get("old_stps", [])
        ro, h_diag = state.get("ro", []), state.get("H_diag", 1.0)
        prev_g, prev_loss = state.get("prev_flat_grad"), state.get("prev_loss")
        n_iter = 0
        while n_iter < max_iter:
            n_iter += 1
            state["n_iter"] += 1
            if state["n_iter"] == 1:
                d, old_dirs, old_stps, ro, h_diag = -g, [], [], [], 1.0
            else:
                y, s = g - prev_g, d * t
                ys = _dot(y, s)
                if ys > 1e-10:
                    if len(old_dirs) == history:
                        old_dirs.pop(0), old_stps.pop(0), ro.pop(0)
                    old_dirs.append(y), old_stps.append(s), ro.append(1.0 / ys)
                    h_diag = ys / _dot(y, y)
                al = [0.0] * len(old_dirs)
                q = -g
                for i in range(len(old_dirs) - 1, -1, -1):
                    al[i] = _dot(old_stps[i], q) * ro[i]
                    q = q - al[i] * old_dirs[i]
                r = q * h_diag
                for i in range(len(old_dirs)):
                    be = _dot(old_dirs[i], r) * ro[i]
                    r = r + (al[i] - be) * old_stps[i]
                d = r.astype(g.dtype, copy=False)
            prev_g, prev_loss = g.copy(), loss
            t = min(1.0, 1.0 / float(np.abs(g).sum())) * lr if state["n_iter"] == 1 else lr
            if _dot(g, d) > -tol_change:
                break
            self._add(t, d)
            stop = False
            if n_iter != max_iter:
                loss = float(evaluate())
                g = self._flat_grad()
                stop = np.abs(g).max() <= tol_grad
                evals += 1
                state["func_evals"] += 1
            if n_iter == max_iter or evals >= max_eval or stop:
                break
            if np.abs(d * t).max() <= tol_change or abs(loss - prev_loss) < tol_change:
                break
        state.update(d=d, t=t, old_dirs=old_dirs, old_stps=old_stps, ro=ro, H_diag=h_diag,
                     prev_flat_grad=prev_g, prev_loss=prev_loss)
        return orig_loss
