"""Restricted Boltzmann machine: a scikit-learn-compatible estimator over the C++ kernels of
csrc/rbm (backend.cpu.rbm_*).

An RBM is two layers of units joined by a weight matrix W (n_components, n_features) and no
connections inside a layer. Its energy for visible v and hidden h is

    E(v, h) = -v . b_v - h . b_h - h . W v                 (Bernoulli visible units)
    E(v, h) = |v - b_v|^2 / 2 - h . b_h - h . W v          (unit-variance Gaussian visible)

so each layer given the other is independent units: the *forward pass* (encode)
p(h_j = 1 | v) = sigmoid(W_j . v + b_h[j]) and the *backward pass* (reconstruct)
p(v_i = 1 | h) = sigmoid(h . W[:, i] + b_v[i]) (Gaussian: mean h . W[:, i] + b_v[i]).
Training makes the data and its reconstruction agree: contrastive divergence (CD-k) follows
the gradient  <v h^T>_data - <v h^T>_model, the model side estimated by k Gibbs steps from the
data (CD) or from chains kept between updates (persistent CD, scikit-learn's choice).

Example::

    rbm = BernoulliRBM(n_components=100, learning_rate=0.06, n_iter=10, random_state=0)
    features = rbm.fit(X).transform(X)          # X in [0, 1], shape (n, 64) -> (n, 100)

fit / partial_fit / fit_transform take `y` only so that scikit-learn pipelines can pass it;
training is unsupervised, so y cannot act (scikit-learn's BernoulliRBM documents it as ignored).
"""
import time

import numpy as np

from ..backend import cpu as backend
from ._estimator import Estimator, check_2d, seed_from

_VISIBLE = ("bernoulli", "gaussian")
_HISTORY_ROWS = 1000  # rows of the training data the per-epoch history is measured on


class BernoulliRBM(Estimator):
    """RBM with Bernoulli hidden units (scikit-learn's BernoulliRBM, plus the training choices a
    course discusses).

    Parameters (scikit-learn's first):
      n_components: hidden units. learning_rate, batch_size, n_iter (epochs), verbose,
      random_state (None: pyengine's generator, so pe.manual_seed reproduces a fit).
      k: Gibbs steps per update (CD-k). persistent: keep the negative chains between updates
        (PCD, batch_size chains; scikit-learn's algorithm) instead of restarting at the data.
      momentum (0 <= m < 1), or a sequence of per-epoch values whose last one repeats (Hinton's
        recipe: [0.5] * 5 + [0.9]; partial_fit uses the last), weight_decay (L2 on W),
        sparsity_target / sparsity_cost (push the
        mean activation of each hidden unit towards the target; cost 0 turns it off).
      visible: "bernoulli" (data in [0, 1]) or "gaussian" (real-valued, unit variance:
        standardise the data first; no pseudo-likelihood).
      dtype: None follows X (float32 stays float32, anything else float64, as scikit-learn);
        "float32" computes in float32 (about twice the speed).

    Learned: components_ (n_components, n_features) = W, intercept_hidden_, intercept_visible_,
    h_samples_ (the persistent chains), n_features_in_, history_ (per epoch:
    reconstruction_error, pseudo_likelihood, seconds).
    """

    def __init__(self, n_components=256, *, learning_rate=0.1, batch_size=10, n_iter=10,
                 verbose=0, random_state=None, k=1, persistent=True, momentum=0.0,
                 weight_decay=0.0, sparsity_target=0.1, sparsity_cost=0.0,
                 visible="bernoulli", dtype=None):
        self.n_components = n_components
        self.learning_rate = learning_rate
        self.batch_size = batch_size
        self.n_iter = n_iter
        self.verbose = verbose
        self.random_state = random_state
        self.k = k
        self.persistent = persistent
        self.momentum = momentum
        self.weight_decay = weight_decay
        self.sparsity_target = sparsity_target
        self.sparsity_cost = sparsity_cost
        self.visible = visible
        self.dtype = dtype

    # ---- parameter and input checks --------------------------------------------------------
    def _check_params(self, where):
        name = f"{type(self).__name__}.{where}"

        def need(ok, what):
            if not ok:
                raise ValueError(f"[{name}] {what}")
        n = self.n_components
        need(isinstance(n, (int, np.integer)) and not isinstance(n, bool) and n >= 1,
             f"n_components must be an int >= 1, got {n!r}")
        need(np.isfinite(self.learning_rate) and self.learning_rate > 0,
             f"learning_rate must be > 0, got {self.learning_rate!r}")
        need(isinstance(self.batch_size, (int, np.integer)) and self.batch_size >= 1,
             f"batch_size must be an int >= 1, got {self.batch_size!r}")
        need(isinstance(self.n_iter, (int, np.integer)) and self.n_iter >= 0,
             f"n_iter must be an int >= 0, got {self.n_iter!r}")
        need(isinstance(self.k, (int, np.integer)) and self.k >= 1,
             f"k must be an int >= 1, got {self.k!r}")
        need(self._momenta() is not None,
             f"momentum must be in [0, 1) or a non-empty sequence of such values, got "
             f"{self.momentum!r}")
        need(self.weight_decay >= 0, f"weight_decay must be >= 0, got {self.weight_decay!r}")
        need(0 < self.sparsity_target < 1,
             f"sparsity_target must be in (0, 1), got {self.sparsity_target!r}")
        need(self.sparsity_cost >= 0, f"sparsity_cost must be >= 0, got {self.sparsity_cost!r}")
        need(self.visible in _VISIBLE,
             f"visible must be one of {', '.join(_VISIBLE)}, got {self.visible!r}")
        need(self.dtype in (None, "float32", "float64", np.float32, np.float64),
             f"dtype must be None, 'float32' or 'float64', got {self.dtype!r}")

    def _momenta(self):
        """momentum as a list of per-epoch values (the last repeats), or None when invalid."""
        m = self.momentum
        values = list(m) if isinstance(m, (list, tuple, np.ndarray)) else [m]
        try:
            ok = len(values) > 0 and all(0 <= float(x) < 1 for x in values)
        except (TypeError, ValueError):
            ok = False
        return [float(x) for x in values] if ok else None

    def _check_X(self, X, where, fitted=True):
        name = f"{type(self).__name__}.{where}"
        dtype = self._weights()[0].dtype if fitted else (
            None if self.dtype is None else np.dtype(self.dtype))
        X = check_2d(X, name, dtype)
        if fitted and X.shape[1] != self.n_features_in_:
            raise ValueError(f"[{name}] X has {X.shape[1]} features, but {type(self).__name__} "
                             f"was fitted with {self.n_features_in_} features")
        if self.visible == "bernoulli" and X.size and (X.min() < 0 or X.max() > 1):
            raise ValueError(
                f"[{name}] Bernoulli visible units need values in [0, 1], got values in "
                f"[{X.min():g}, {X.max():g}]; scale the data (e.g. X / 255) or use "
                f"visible='gaussian' for real-valued data")
        return X

    # ---- fitting ----------------------------------------------------------------------------
    def _init_state(self, n_features, dtype):
        rs = self.random_state
        init_rng = (rs if isinstance(rs, np.random.RandomState)
                    else np.random.RandomState(seed_from(rs) % 2**32))
        self._seed = seed_from(rs) if not isinstance(rs, np.random.RandomState) else \
            int(init_rng.randint(0, 2**31 - 1))
        self._stream = 0
        # scikit-learn's initialisation: N(0, 0.01^2) weights, zero biases, zero chains (for an
        # int random_state the same weights as its BernoulliRBM).
        self.components_ = np.ascontiguousarray(
            init_rng.normal(0, 0.01, (self.n_components, n_features)), dtype=dtype)
        self.intercept_hidden_ = np.zeros(self.n_components, dtype)
        self.intercept_visible_ = np.zeros(n_features, dtype)
        self.h_samples_ = np.zeros((self.batch_size, self.n_components), dtype)
        self._vel = (np.zeros_like(self.components_), np.zeros_like(self.intercept_hidden_),
                     np.zeros_like(self.intercept_visible_))
        self.n_features_in_ = n_features
        self.history_ = {"reconstruction_error": [], "pseudo_likelihood": [], "seconds": []}

    def _update(self, X, momentum, bounds=None):
        """One CD-k / PCD update with X as the batch, or with bounds (int64) one update per
        batch X[bounds[b]:bounds[b + 1]], in order, in one kernel call. X: C-contiguous, the
        model's dtype."""
        chain = self.h_samples_ if self.persistent else None
        args = (self.components_, self.intercept_hidden_, self.intercept_visible_, *self._vel,
                chain, int(self.k), self.visible, float(self.learning_rate), momentum,
                float(self.weight_decay), float(self.sparsity_target), float(self.sparsity_cost),
                self._seed, self._stream)
        n_updates = 1 if bounds is None else len(bounds) - 1
        self._stream += n_updates * (2 * int(self.k) + 2)
        if bounds is None:
            return backend.rbm_cd_step(X, *args)
        return backend.rbm_cd_epoch(X, bounds, *args)

    def fit(self, X, y=None):
        """Trains on X (n_samples, n_features) for n_iter epochs of mini-batches (in order, as
        scikit-learn: batches of nearly equal size). Returns self."""
        self._check_params("fit")
        X = self._check_X(X, "fit", fitted=False)
        self._init_state(X.shape[1], X.dtype)
        n = X.shape[0]
        n_batches = int(np.ceil(n / self.batch_size))
        bounds = [n * i // n_batches for i in range(n_batches + 1)]
        probe = X[np.linspace(0, n - 1, min(n, _HISTORY_ROWS)).astype(np.int64)] if n else X
        bounds = np.asarray(bounds, np.int64)
        momenta = self._momenta()
        for epoch in range(self.n_iter):
            t0 = time.perf_counter()
            if n_batches:  # one kernel call per epoch: bitwise the same as one per batch
                self._update(X, momenta[min(epoch, len(momenta) - 1)], bounds)
            seconds = time.perf_counter() - t0
            self._record(probe, epoch, seconds)
        return self

    def partial_fit(self, X, y=None):
        """One update with X as a single batch (scikit-learn's partial_fit); initialises the
        model on the first call."""
        self._check_params("partial_fit")
        fitted = hasattr(self, "components_")
        X = self._check_X(X, "partial_fit", fitted=fitted)
        if not fitted:
            self._init_state(X.shape[1], X.dtype)
        if X.shape[0]:
            self._update(X, self._momenta()[-1])
        return self

    def _record(self, probe, epoch, seconds):
        h = self.hidden_means(probe)
        err = float(np.mean((probe - self.visible_means(h)) ** 2)) if probe.size else 0.0
        pl = (float(np.mean(self.score_samples(probe)))
              if self.visible == "bernoulli" and probe.size else float("nan"))
        self.history_["reconstruction_error"].append(err)
        self.history_["pseudo_likelihood"].append(pl)
        self.history_["seconds"].append(seconds)
        if self.verbose:
            print(f"[{type(self).__name__}] Iteration {epoch + 1}, pseudo-likelihood = {pl:.2f}, "
                  f"reconstruction error = {err:.4f}, time = {seconds:.2f}s")

    # ---- inference ---------------------------------------------------------------------------
    def _weights(self):
        """(W, b_h, b_v) C-contiguous in the model's dtype (attributes may have been assigned)."""
        W = np.ascontiguousarray(self.components_)
        if W.dtype not in (np.float32, np.float64):
            W = W.astype(np.float64)
        return (W, np.ascontiguousarray(self.intercept_hidden_, W.dtype),
                np.ascontiguousarray(self.intercept_visible_, W.dtype))

    def hidden_means(self, v):
        """p(h = 1 | v) = sigmoid(v W^T + b_h), shape (n, n_components); no checks (internal)."""
        W, bh, _ = self._weights()
        return backend.rbm_layer(np.ascontiguousarray(v, W.dtype), W, True, bh, "bernoulli")[0]

    def visible_means(self, h):
        """E[v | h] = sigmoid(h W + b_v) (Bernoulli) or h W + b_v (Gaussian); no checks."""
        W, _, bv = self._weights()
        return backend.rbm_layer(np.ascontiguousarray(h, W.dtype), W, False, bv, self.visible)[0]

    def _sample(self, x, to_hidden):
        """(means, samples) of the layer above (to_hidden) or below x, on a fresh stream."""
        if not hasattr(self, "_seed"):  # fitted by attribute assignment
            self._seed, self._stream = seed_from(self.random_state), 0
        stream = self._stream
        self._stream += 1
        W, bh, bv = self._weights()
        x = np.ascontiguousarray(x, W.dtype)
        if to_hidden:
            return backend.rbm_layer(x, W, True, bh, "bernoulli", self._seed, stream,
                                     want_sample=True)
        return backend.rbm_layer(x, W, False, bv, self.visible, self._seed, stream,
                                 want_sample=True)

    def transform(self, X):
        """The hidden units' probabilities p(h = 1 | X): the features an RBM learns."""
        self._check_fitted("transform")
        return self.hidden_means(self._check_X(X, "transform"))

    def fit_transform(self, X, y=None):
        return self.fit(X).transform(X)

    def gibbs(self, v):
        """One Gibbs step v -> h ~ p(h | v) -> v' ~ p(v | h); returns v' (scikit-learn's gibbs)."""
        self._check_fitted("gibbs")
        v = self._check_X(v, "gibbs")
        h = self._sample(v, True)[1]
        return self._sample(h, False)[1]

    def sample(self, n_samples=1, n_steps=1000, init=None):
        """Runs n_samples Gibbs chains for n_steps steps, from `init` (n_samples, n_features) or
        from random visible states, and returns the visible means of the last step (the
        noise-free picture of where the chains are)."""
        self._check_fitted("sample")
        if init is None:
            rng = np.random.default_rng(self._seed + self._stream)
            self._stream += 1
            v = (rng.random((n_samples, self.n_features_in_)) < 0.5).astype(
                self.components_.dtype)
        else:
            v = self._check_X(init, "sample")
        if n_steps < 1:
            raise ValueError(f"[{type(self).__name__}.sample] n_steps must be >= 1, got {n_steps}")
        for _ in range(n_steps):
            h = self._sample(v, True)[1]
            mean, v = self._sample(h, False)
        return mean

    def free_energy(self, X):
        """F(v) = -log sum_h exp(-E(v, h)):  -v . b_v - sum_j softplus(W_j . v + b_h[j])
        (Gaussian visible: |v - b_v|^2 / 2 - sum_j softplus(...)). Shape (n_samples,)."""
        self._check_fitted("free_energy")
        return self._free_energy(self._check_X(X, "free_energy"))

    def _free_energy(self, v):
        W, bh, bv = self._weights()
        # v W^T + b_h through the RBM layer kernel with the identity unit (a Gaussian unit's mean
        # is its pre-activation): the kernel's thread policy, not a bare GEMM's.
        pre = backend.rbm_layer(np.ascontiguousarray(v, W.dtype), W, True, bh, "gaussian")[0]
        hidden = np.logaddexp(0, pre).sum(axis=1)
        if self.visible == "gaussian":
            return 0.5 * ((v - bv) ** 2).sum(axis=1) - hidden
        return -(v @ bv) - hidden

    def score_samples(self, X):
        """Pseudo-likelihood, as scikit-learn defines it: for each sample flip one randomly
        chosen visible unit i and return  n_features * log sigmoid(F(v_flipped) - F(v)), the
        stochastic estimate of sum_i log p(v_i | v_-i). The unit is drawn as scikit-learn does
        (RandomState(random_state).randint), so an int random_state flips the same units."""
        self._check_fitted("score_samples")
        if self.visible != "bernoulli":
            raise ValueError(f"[{type(self).__name__}.score_samples] the pseudo-likelihood is "
                             f"defined for Bernoulli visible units only")
        v = self._check_X(X, "score_samples")
        rs = self.random_state
        rng = (rs if isinstance(rs, np.random.RandomState) else
               np.random.RandomState(seed_from(rs) % 2**32))
        flip = (np.arange(v.shape[0]), rng.randint(0, v.shape[1], v.shape[0]))
        v_ = v.copy()
        v_[flip] = 1 - v_[flip]
        fe, fe_ = self._free_energy(v), self._free_energy(v_)
        return -v.shape[1] * np.logaddexp(0, -(fe_ - fe))


class GaussianBernoulliRBM(BernoulliRBM):
    """BernoulliRBM with unit-variance Gaussian visible units, for real-valued data (standardise
    each feature first). Same parameters; learning rates about 10x smaller are typical."""

    def __init__(self, n_components=256, *, learning_rate=0.01, batch_size=10, n_iter=10,
                 verbose=0, random_state=None, k=1, persistent=False, momentum=0.0,
                 weight_decay=0.0, sparsity_target=0.1, sparsity_cost=0.0, visible="gaussian",
                 dtype=None):
        super().__init__(n_components, learning_rate=learning_rate, batch_size=batch_size,
                         n_iter=n_iter, verbose=verbose, random_state=random_state, k=k,
                         persistent=persistent, momentum=momentum, weight_decay=weight_decay,
                         sparsity_target=sparsity_target, sparsity_cost=sparsity_cost,
                         visible=visible, dtype=dtype)
