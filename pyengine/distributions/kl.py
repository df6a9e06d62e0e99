"""kl_divergence(p, q) = E_p[log p(x) - log q(x)], by closed form per pair of types.
`register_kl(P, Q)` adds a formula; the lookup picks the most specific registered pair for
the two types (so a subclass uses its parent's formula unless it has its own)."""

from .bernoulli import Bernoulli
from .categorical import Categorical
from .distribution import Distribution
from .independent import Independent, _sum_last
from .multivariate_normal import MultivariateNormal, _diag
from .normal import Normal
from .one_hot_categorical import OneHotCategorical
from .uniform import Uniform

_KL = {}


def register_kl(type_p, type_q):
    """Decorator: `@register_kl(Normal, Normal) def kl(p, q): ...`."""
    for t in (type_p, type_q):
        if not (isinstance(t, type) and issubclass(t, Distribution)):
            raise TypeError(f"[register_kl] expected Distribution subclasses, got {t!r}")

    def decorator(fn):
        _KL[type_p, type_q] = fn
        return fn
    return decorator


def _lookup(tp, tq):
    matches = [(tp.__mro__.index(p) + tq.__mro__.index(q), fn) for (p, q), fn in _KL.items()
               if issubclass(tp, p) and issubclass(tq, q)]
    return min(matches, key=lambda m: m[0])[1] if matches else None


def kl_divergence(p, q):
    """KL(p || q), shaped like the broadcast batch shapes of p and q.

    >>> kl_divergence(Normal(0.0, 1.0), Normal(1.0, 1.0))
    tensor(0.5)
    """
    fn = _lookup(type(p), type(q))
    if fn is None:
        raise NotImplementedError(f"[kl_divergence] no formula for KL({type(p).__name__} || "
                                  f"{type(q).__name__}); add one with register_kl")
    return fn(p, q)


def _inf_where(cond, value):
    import pyengine as pe
    return pe.where(cond, float("inf"), value)


@register_kl(Normal, Normal)
def _kl_normal_normal(p, q):
    var_ratio = (p.scale / q.scale) ** 2
    t1 = ((p.loc - q.loc) / q.scale) ** 2
    return 0.5 * (var_ratio + t1 - 1 - var_ratio.log())


@register_kl(Bernoulli, Bernoulli)
def _kl_bernoulli_bernoulli(p, q):
    from .bernoulli import _softplus
    # log p = -softplus(-logits), log(1 - p) = -softplus(logits): finite for any logits.
    t1 = p.probs * (_softplus(-q.logits) - _softplus(-p.logits))
    t2 = (1 - p.probs) * (_softplus(q.logits) - _softplus(p.logits))
    return t1 + t2


@register_kl(Categorical, Categorical)
def _kl_categorical_categorical(p, q):
    import pyengine as pe
    t = p.probs * (p.logits - q.logits)
    t = _inf_where((q.probs == 0).expand(*t.shape), t)   # p puts mass where q has none
    t = pe.where((p.probs == 0).expand(*t.shape), 0.0, t)  # 0 * log 0 = 0
    return t.sum(-1)


@register_kl(OneHotCategorical, OneHotCategorical)
def _kl_onehot_onehot(p, q):
    return _kl_categorical_categorical(p._categorical, q._categorical)


@register_kl(Uniform, Uniform)
def _kl_uniform_uniform(p, q):
    kl = ((q.high - q.low) / (p.high - p.low)).log()
    return _inf_where((q.low > p.low) | (q.high < p.high), kl)  # p's support not inside q's


@register_kl(Independent, Independent)
def _kl_independent_independent(p, q):
    if p.reinterpreted_batch_ndims != q.reinterpreted_batch_ndims:
        raise NotImplementedError("[kl_divergence] Independent pairs need the same "
                                  f"reinterpreted_batch_ndims, got {p.reinterpreted_batch_ndims}"
                                  f" and {q.reinterpreted_batch_ndims}")
    return _sum_last(kl_divergence(p.base_dist, q.base_dist), p.reinterpreted_batch_ndims)


@register_kl(MultivariateNormal, MultivariateNormal)
def _kl_mvn_mvn(p, q):
    """0.5 * (tr(Sq^-1 Sp) + |Lq^-1 (mq - mp)|^2 - k + log det Sq - log det Sp)."""
    from ..linalg import solve_triangular
    if p.event_shape != q.event_shape:
        raise ValueError(f"[kl_divergence] MultivariateNormal event shapes differ: "
                         f"{p.event_shape} and {q.event_shape}")
    k = p.event_shape[0]
    Lp, Lq = p._unbroadcasted_scale_tril, q._unbroadcasted_scale_tril
    trace = (solve_triangular(Lq, Lp, upper=False) ** 2).sum(-1).sum(-1)
    maha = (solve_triangular(Lq, (q.loc - p.loc).unsqueeze(-1), upper=False) ** 2) \
        .sum(-1).sum(-1)
    half_log_det = _diag(Lq).log().sum(-1) - _diag(Lp).log().sum(-1)
    return 0.5 * (trace + maha - k) + half_log_det


