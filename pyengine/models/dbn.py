"""Deep belief net: a stack of RBMs trained greedily, each on the hidden probabilities of the
one below, then unrolled into a feed-forward classifier that starts from the RBM weights.

    layer l:   h_l = sigmoid(h_{l-1} W_l^T + b_h,l)      (h_0 = the data)

Pretraining never sees labels; it puts every layer's weights where they already describe the
data, so that backprop (fine-tuning) starts near a good solution instead of from noise, which
is how Hinton, Osindero & Teh (2006) trained deep nets before ReLUs and good initialisations.

Example::

    dbn = DBN([500, 500, 2000], n_iter=10, random_state=0).fit(X)     # X in [0, 1], (n, 784)
    net = dbn.to_module(n_classes=10)       # pe.nn.Sequential: Linear/Sigmoid x 3, Linear(2000, 10)
    # or to_module(10, dropout=0.5, input_dropout=0.2): nn.Dropout layers for fine-tuning
    fine_tune(net, X, y, epochs=10)         # cross-entropy on the softmax of the last layer
    pictures = dbn.sample(16)               # top-level Gibbs chain, then down to pixels
"""
import time

import numpy as np

from ._estimator import Estimator, check_2d, seed_from
from .rbm import BernoulliRBM


class DBN(Estimator):
    """Stack of BernoulliRBMs, pretrained greedily by fit(X).

    Parameters: hidden_layer_sizes (one RBM per entry); the training parameters of every RBM
    (learning_rate, batch_size, n_iter, k, persistent, momentum, weight_decay,
    sparsity_target, sparsity_cost, dtype; see BernoulliRBM); visible: unit type of the
    first layer ("bernoulli" or "gaussian"; the layers above are always Bernoulli);
    verbose, random_state.
    Learned: rbms_ (the fitted RBMs, bottom first), pretrain_seconds_ (per layer).
    """

    def __init__(self, hidden_layer_sizes=(500, 500, 2000), *, learning_rate=0.1,
                 batch_size=100, n_iter=10, k=1, persistent=False, momentum=0.5,
                 weight_decay=2e-4, sparsity_target=0.1, sparsity_cost=0.0,
                 visible="bernoulli", dtype="float32", verbose=0, random_state=None):
        self.hidden_layer_sizes = hidden_layer_sizes
        self.learning_rate = learning_rate
        self.batch_size = batch_size
        self.n_iter = n_iter
        self.k = k
        self.persistent = persistent
        self.momentum = momentum
        self.weight_decay = weight_decay
        self.sparsity_target = sparsity_target
        self.sparsity_cost = sparsity_cost
        self.visible = visible
        self.dtype = dtype
        self.verbose = verbose
        self.random_state = random_state

    def _make_rbm(self, n_hidden, layer, seed):
        return BernoulliRBM(
            n_hidden, learning_rate=self.learning_rate, batch_size=self.batch_size,
            n_iter=self.n_iter, verbose=self.verbose, random_state=seed + layer, k=self.k,
            persistent=self.persistent, momentum=self.momentum, weight_decay=self.weight_decay,
            sparsity_target=self.sparsity_target, sparsity_cost=self.sparsity_cost,
            visible=self.visible if layer == 0 else "bernoulli", dtype=self.dtype)

    def fit(self, X, y=None):
        """Greedy layer-wise pretraining: RBM l is fitted on transform of RBM l-1 (unsupervised:
        y is accepted for scikit-learn pipelines and cannot act)."""
        sizes = self.hidden_layer_sizes
        if (not isinstance(sizes, (list, tuple)) or not sizes or
                not all(isinstance(s, (int, np.integer)) and s >= 1 for s in sizes)):
            raise ValueError(f"[DBN.fit] hidden_layer_sizes must be a non-empty list of ints >= 1, "
                             f"got {sizes!r}")
        x = check_2d(X, "DBN.fit", None if self.dtype is None else np.dtype(self.dtype))
        seed = seed_from(self.random_state) % 2**31
        self.rbms_, self.pretrain_seconds_ = [], []
        for layer, n_hidden in enumerate(sizes):
            rbm = self._make_rbm(int(n_hidden), layer, seed)
            t0 = time.perf_counter()
            rbm.fit(x)
            self.pretrain_seconds_.append(time.perf_counter() - t0)
            if self.verbose:
                print(f"[DBN] layer {layer + 1}: {x.shape[1]} -> {n_hidden}, "
                      f"{self.pretrain_seconds_[-1]:.1f}s")
            x = rbm.transform(x)
            self.rbms_.append(rbm)
        self.n_features_in_ = self.rbms_[0].n_features_in_
        return self

    def save(self, path):
        """Writes the fitted stack (weights and biases of every RBM, and the parameters) to an
        .npz file that DBN.load reads back."""
        self._check_fitted("save", "rbms_")
        arrays = {}
        for i, rbm in enumerate(self.rbms_):
            arrays[f"W{i}"], arrays[f"bh{i}"], arrays[f"bv{i}"] = rbm._weights()
        np.savez(path, params=np.array(repr(self.get_params())), **arrays)

    @classmethod
    def load(cls, path, **params):
        """A fitted DBN from DBN.save's file (parameters given here override the saved ones;
        pretrain_seconds_ is not restored)."""
        import ast
        with np.load(path) as f:
            saved = ast.literal_eval(str(f["params"]))
            dbn = cls(**{**saved, **params})
            dbn.rbms_ = []
            for i in range(len([k for k in f.files if k.startswith("W")])):
                rbm = dbn._make_rbm(f[f"W{i}"].shape[0], i, 0)
                rbm.components_, rbm.intercept_hidden_ = f[f"W{i}"], f[f"bh{i}"]
                rbm.intercept_visible_, rbm.n_features_in_ = f[f"bv{i}"], f[f"W{i}"].shape[1]
                dbn.rbms_.append(rbm)
        dbn.n_features_in_ = dbn.rbms_[0].n_features_in_
        return dbn

    def transform(self, X):
        """The top layer's hidden probabilities (a deterministic up-pass)."""
        self._check_fitted("transform", "rbms_")
        x = self.rbms_[0]._check_X(X, "transform")
        for rbm in self.rbms_:
            x = rbm.hidden_means(x)
        return x

    def sample(self, n_samples=16, n_steps=1000, init=None):
        """Pictures from the generative model: n_steps of Gibbs sampling in the top RBM (from
        the up-pass of `init` data when given, else from random states), then one deterministic
        down-pass through the lower RBMs' p(v | h). Returns (n_samples, n_features_in_)."""
        self._check_fitted("sample", "rbms_")
        top = self.rbms_[-1]
        start = None
        if init is not None:
            x = self.rbms_[0]._check_X(init, "sample")
            for rbm in self.rbms_[:-1]:
                x = rbm.hidden_means(x)
            start = (x > 0.5).astype(x.dtype)
        v = top.sample(n_samples, n_steps=n_steps, init=start)
        for rbm in reversed(self.rbms_[:-1]):
            v = rbm.visible_means(v)
        return v

    def _layers(self):
        self._check_fitted("to_module", "rbms_")
        return [(rbm.components_, rbm.intercept_hidden_) for rbm in self.rbms_]

    def to_module(self, n_classes, random_state=None, *, dropout=0.0, input_dropout=0.0):
        """A pe.nn.Sequential classifier: Linear + Sigmoid per RBM (weight = components_,
        bias = intercept_hidden_) and a Linear(top, n_classes) head producing logits (softmax
        in the loss). The head starts at N(0, 0.01^2), zero bias.

        dropout / input_dropout > 0 insert nn.Dropout layers for fine-tuning (Hinton et al.
        2012 fine-tuned this DBN with 0.5 on every hidden layer, 0.2 on the pixels):
        Dropout(input_dropout) before the first Linear and Dropout(dropout) after every
        Sigmoid. They act in train() mode only; in eval() mode the net is the up-pass."""
        from .. import nn
        p_hidden, p_input = _dropout_rates(dropout, input_dropout, "to_module")
        layers = [nn.Dropout(p_input)] if p_input else []
        for w, b in self._layers():
            lin = nn.Linear(w.shape[1], w.shape[0], dtype=_pe_dtype(w))
            lin.weight._data[...] = w
            lin.bias._data[...] = b
            layers += [lin, nn.Sigmoid()] + ([nn.Dropout(p_hidden)] if p_hidden else [])
        w_top = self._layers()[-1][0]
        head = nn.Linear(w_top.shape[0], n_classes, dtype=_pe_dtype(w_top))
        rng = np.random.RandomState(seed_from(random_state) % 2**32)
        head.weight._data[...] = rng.normal(0, 0.01, head.weight.shape)
        head.bias._data[...] = 0
        return nn.Sequential(*layers, head)

    def to_keras(self, n_classes, random_state=None, *, dropout=0.0, input_dropout=0.0):
        """The same classifier as a pyengine.keras Sequential: Dense(sigmoid) per RBM with
        set_weights([components_.T, intercept_hidden_]) and a Dense(n_classes, softmax) head;
        dropout / input_dropout add keras Dropout layers where to_module puts nn.Dropout."""
        from .. import keras
        p_hidden, p_input = _dropout_rates(dropout, input_dropout, "to_keras")
        layers = self._layers()
        stack = [keras.Input(shape=(layers[0][0].shape[1],))]
        stack += [keras.layers.Dropout(p_input)] if p_input else []
        for w, _ in layers:
            stack.append(keras.layers.Dense(w.shape[0], activation="sigmoid"))
            stack += [keras.layers.Dropout(p_hidden)] if p_hidden else []
        model = keras.Sequential(stack + [keras.layers.Dense(n_classes, activation="softmax")])
        dense = [layer for layer in model.layers if isinstance(layer, keras.layers.Dense)]
        for layer, (w, b) in zip(dense, layers):
            layer.set_weights([w.T, b])
        rng = np.random.RandomState(seed_from(random_state) % 2**32)
        top = layers[-1][0].shape[0]
        dense[-1].set_weights([rng.normal(0, 0.01, (top, n_classes)).astype(np.float32),
                               np.zeros(n_classes, np.float32)])
        return model


def _dropout_rates(dropout, input_dropout, where):
    for name, p in (("dropout", dropout), ("input_dropout", input_dropout)):
        if not isinstance(p, (int, float, np.floating)) or not 0 <= p < 1:
            raise ValueError(f"[DBN.{where}] {name} must be a probability in [0, 1), got {p!r}")
    return float(dropout), float(input_dropout)


def _pe_dtype(a):
    from .. import float32, float64
    return float64 if a.dtype == np.float64 else float32
