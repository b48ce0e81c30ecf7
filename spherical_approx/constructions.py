"""Constructions: prefixes for the universal head that approximate a target f on S^m.

``approximate(f, m, eps, method=...)`` returns an :class:`Approximation`: the
compiled head (fixed matrices), the prefix (the only part that depends on f),
and the bound the construction guarantees.

============  =============  =====================================================
method        provenance     error_bound
============  =============  =====================================================
delta_net     [third-party]  ``3 L delta + B T e^(-lam cos delta)`` (proven)
quadrature    [toolkit]      smoothing + discretisation + content term (proven)
spectral      [toolkit]      Taylor truncation + discretisation + content (proven)
fitted        [toolkit]      sup error on a held-out dense sample (measured only)
============  =============  =====================================================

Targets: a sympy expression (or a list, for vector values) in x0..xm, or a
callable on (k, m+1) arrays returning (k,) or (k, d_out). A Lipschitz constant is
certified for sympy targets when not given; a plain callable must come with one
where the method needs it.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np
import sympy

from ._validate import check_dimension, check_int, check_positive
from .bounds import (
    bessel_tail,
    delta_net_parameters,
    discretisation_bound,
    expansion_sup_bound,
    quadrature_parameters,
)
from .harmonics import HarmonicExpansion, coordinate_expr, sphere_symbols
from .heads import Prefix, UniversalHead
from .kernels import smooth, softmax_funk_hecke, softmax_multipliers
from .quadrature import quadrature_rule
from .sphere import delta_net, sample_uniform

__all__ = ["approximate", "Approximation", "Target", "taylor_truncation", "cauchy_majorants", "METHODS"]

METHODS = ("delta_net", "quadrature", "spectral", "fitted")
_U = np.finfo(float).eps / 2  # unit roundoff


class Target:
    """A target f on S^m: float evaluation, and its sympy form when there is one."""

    def __init__(self, f, m):
        self.m = check_dimension(m)
        self.exprs = None
        if isinstance(f, (sympy.Basic, list, tuple)):
            gens = sphere_symbols(m)
            items = list(f) if isinstance(f, (list, tuple)) else [f]
            self.exprs = [coordinate_expr(e, m, "f") for e in items]
            fns = [sympy.lambdify(gens, e, "numpy") for e in self.exprs]
            self.func = lambda X: np.stack([np.broadcast_to(fn(*X.T), (X.shape[0],)) for fn in fns], axis=1)
            self.scalar = not isinstance(f, (list, tuple))
        elif callable(f):
            self.func = f
            probe = np.asarray(f(np.eye(m + 1)[:1]), dtype=float)
            self.scalar = probe.ndim == 1
        else:
            raise TypeError(f"f must be a sympy expression, a list of them, or a callable; got {type(f).__name__}")
        self.d_out = self(np.eye(m + 1)[:1]).shape[1]

    def __call__(self, X):
        F = np.asarray(self.func(X), dtype=float)
        F = F[:, None] if F.ndim == 1 else F
        if F.shape[0] != X.shape[0] or not np.all(np.isfinite(F)):
            raise ValueError("f must return finite values of shape (k,) or (k, d_out)")
        return F

    @property
    def is_polynomial(self):
        return self.exprs is not None and all(e.is_polynomial(*sphere_symbols(self.m)) for e in self.exprs)


@dataclass
class Approximation:
    """A compiled prefixed head approximating a target (the API contract's object).

    Call it on points X (k, m+1) to get the head output (k, d_out).
    """

    method: str
    m: int
    head: UniversalHead
    prefix_data: Prefix
    error_bound: float
    bound_kind: str
    context_tokens: int
    parameters: dict = field(default_factory=dict)
    prediction: object = None  # a HarmonicExpansion when the head's limit is known exactly

    def __call__(self, X, context_tokens=None, truncated=None):
        T = self.context_tokens if context_tokens is None else context_tokens
        if truncated is None:  # the truncated path pays off once keys are many and sharp
            lam = float(np.linalg.norm(self.prefix_data.keys[0]))
            truncated = self.prefix_length > 20000 and lam >= 1000 and np.ndim(T) == 0
        if truncated:
            return self.head.truncated(X, self.prefix_data, T).output
        return self.head(X, self.prefix_data, T)

    @property
    def prefix_length(self):
        return self.prefix_data.length

    @property
    def prefix(self):
        """Prefix tokens (N, d) in the universal head's token layout."""
        return self.head.prefix_tokens(self.prefix_data)

    def to_torch(self, dtype=None, device=None):
        """A ``torch.nn.Module`` computing the same head (float64 by default)."""
        from .torch_heads import TorchPrefixedHead

        return TorchPrefixedHead(self.head, self.prefix_data, self.context_tokens, dtype=dtype, device=device)

    def __repr__(self):
        return (f"Approximation(method={self.method!r}, m={self.m}, N={self.prefix_length}, "
                f"error_bound={self.error_bound:.3g} [{self.bound_kind}])")


def approximate(f, m, eps, method="delta_net", lipschitz=None, context_tokens=1, **options):
    """Build a prefix for the universal head that approximates f within eps on S^m.

    Parameters
    ----------
    f : sympy expression (or list), or callable
    m : int
    eps : float > 0
    method : {"delta_net", "quadrature", "spectral", "fitted"}
    lipschitz : float, optional
        Geodesic Lipschitz constant of f (certified automatically for sympy).
    context_tokens : int
        T, the number of content tokens each position sees (the head's content
        correction is part of every bound).
    **options
        ``seed`` (delta_net, fitted), ``samples`` (fitted), ``lam`` and
        ``degree`` (fitted keys).

    Returns
    -------
    Approximation

    Examples
    --------
    >>> import sympy
    >>> x0, x1 = sympy.symbols("x0:2")
    >>> a = approximate(x0 * x1, 1, 0.1, method="delta_net", lipschitz=1.0)
    >>> a.prefix_length, a.error_bound <= 0.1
    (376, True)
    >>> X = np.array([[0.6, 0.8]])
    >>> bool(abs(a(X)[0, 0] - 0.48) <= a.error_bound)
    True
    """
    m = check_dimension(m)
    eps = check_positive(eps, "eps")
    T = check_int(context_tokens, "context_tokens")
    if method not in METHODS:
        raise ValueError(f"method must be one of {METHODS}, got {method!r}")
    target = Target(f, m)
    builder = {"delta_net": _delta_net, "quadrature": _quadrature, "spectral": _spectral, "fitted": _fitted}[method]
    return builder(target, m, eps, lipschitz, T, **options)


def _lipschitz(target, lipschitz, method):
    if lipschitz is not None:
        return check_positive(lipschitz, "lipschitz", allow_zero=True)
    if target.exprs is None:
        raise ValueError(f"method {method!r} needs a Lipschitz constant: pass lipschitz=L for a plain callable "
                         "(or give f as a sympy expression to have one certified)")
    from .continuity import lipschitz_bound

    return lipschitz_bound(target.exprs if len(target.exprs) > 1 else target.exprs[0], target.m).upper


def _rule_content_shift(m, lam, rule_degree, sup_f, T, budget):
    """Bias shift beta making the content term of a quadrature head fit ``budget``.

    With biases log w_j the prefix mass is S >= mu_0 - 2 tau_D (discretisation
    bound with p = 1), so the content term |h| T / (e^beta S) is at most
    sup_f T e^-beta / (mu_0 (1 - 2 tau_D / mu_0)).
    """
    if T == 0 or sup_f == 0:
        return 0.0, 0.0
    log_min_mass = softmax_funk_hecke(m, lam, 0, log=True)[0] + math.log1p(-2 * bessel_tail(m, lam, rule_degree))
    beta = max(0.0, math.log(sup_f * T / budget) - log_min_mass)
    return beta, sup_f * T * math.exp(-beta - log_min_mass)


# --------------------------------------------------------------------------- delta-net [third-party]


def _delta_net(target, m, eps, lipschitz, T, seed=0):
    L = _lipschitz(target, lipschitz, "delta_net")
    head = UniversalHead(m, target.d_out)
    if L == 0:  # constant target: one token with zero key and value (T+1) f is exact
        x = np.eye(m + 1)[:1]
        prefix = Prefix(np.zeros((1, m + 1)), np.zeros(1), (T + 1) * target(x))
        return Approximation("delta_net", m, head, prefix, 0.0, "proven [third-party]", T, {"lipschitz": 0.0})
    delta = min(0.5, eps / (6 * L))
    net = delta_net(m, delta, seed=seed)
    values = target(net)
    # the net covers S^m within delta, so sup |f| <= max |f(b_i)| + L delta
    B = float(np.max(np.linalg.norm(values, axis=1))) + L * delta
    p = delta_net_parameters(m, eps, L, B, T, N=len(net))
    prefix = Prefix(p.lam * net, np.zeros(len(net)), values)
    return Approximation("delta_net", m, head, prefix, p.error_bound, "proven [third-party]", T, p.as_dict())


# --------------------------------------------------------------------------- quadrature [toolkit]


def _sup_bound(target):
    from .continuity import sup_norm_bound

    exprs = target.exprs
    return sup_norm_bound(exprs if len(exprs) > 1 else exprs[0], target.m, rtol=0.05).upper


def _quadrature(target, m, eps, lipschitz, T):
    head = UniversalHead(m, target.d_out)
    budget = 0.9 * eps
    prediction = None
    if target.is_polynomial:
        E = HarmonicExpansion.from_polynomial(target.exprs if not target.scalar else target.exprs[0], m)
        q = quadrature_parameters(m, budget, expansion=E)
        prediction = smooth(E, q.lam)  # the head's exact limit sum_n a_n proj_n f
        sup_f = expansion_sup_bound(E)
        kind = "proven [toolkit]: smoothing + discretisation + content"
    else:
        L = _lipschitz(target, lipschitz, "quadrature")
        q = quadrature_parameters(m, budget, lipschitz=max(L, 1e-300))
        sup_f = _sup_bound(target) if target.exprs is not None else None
        kind = "proven [toolkit]: a priori Lipschitz bound + content"
    Y, w = quadrature_rule(m, q.degree)
    values = target(Y)
    if sup_f is None:  # callable: |f| <= max |f(y_j)| + L pi (every point is within pi of a node)
        sup_f = float(np.max(np.linalg.norm(values, axis=1))) + L * math.pi
    beta, content = _rule_content_shift(m, q.lam, q.degree, sup_f, T, eps - q.error_bound)
    prefix = Prefix(q.lam * Y, np.log(w) + beta, values)
    params = dict(q.as_dict(), beta=beta, content_term=content, sup_f=sup_f)
    return Approximation("quadrature", m, head, prefix, q.error_bound + content, kind, T, params, prediction)


# --------------------------------------------------------------------------- spectral [toolkit]


def cauchy_majorants(expr, m, rhos=None):
    """Pairs ``(rho, M(rho))`` with ``M(rho) >= sup {|f(z)| : z in C^(m+1), |Re z_i|, |Im z_i| <= rho}``.

    Enclosed rigorously with acb balls (the box contains the polydisc ``|z_i| <= rho``).
    """
    import flint

    from .arith import compile_expression

    f, gens = coordinate_expr(expr, m), sphere_symbols(m)
    fn = compile_expression(f, gens, "arb", complex_balls=True)
    out = []
    for r in (rhos if rhos is not None else np.geomspace(1.05, 200.0, 80)):
        with flint.ctx.workprec(80):
            ball = flint.acb(flint.arb(0, r), flint.arb(0, r))
            M = fn(*[ball] * (m + 1))
            out.append((float(r), float(abs(M).upper()) if M.is_finite() else math.inf))
    return out


def _cauchy_bound(majorants, degree):
    """min over rho of M(rho) rho^-(d+1) / (1 - 1/rho): the Taylor remainder bound of degree d."""
    return min(M * r ** (-(degree + 1)) / (1 - 1 / r) for r, M in majorants)


def taylor_truncation(expr, m, degree, majorants=None):
    """Taylor polynomial p of degree ``degree`` of f at 0 and a proven bound on ``sup_(S^m) |f - p|``.

    [toolkit] For x on S^m, ``g(s) = f(s x)`` is analytic in s; with
    ``M(rho) >= sup |f(z)|`` over the complex polydisc ``|z_i| <= rho`` (which
    contains ``s x`` for ``|s| = rho``), Cauchy's estimate gives ``|c_k(x)| <= M / rho^k``
    for the Taylor coefficients of g, so
    ``|f(x) - p(x)| <= M rho^-(d+1) / (1 - 1/rho)`` for rho > 1, minimised over a
    grid of rho (see :func:`cauchy_majorants`).

    Returns
    -------
    (sympy expression, float)

    Examples
    --------
    >>> x0, x1, x2 = sympy.symbols("x0:3")
    >>> p, bound = taylor_truncation(sympy.exp(x0) * sympy.sin(x1 + x2), 2, 20)
    >>> bound < 1e-8
    True
    """
    m = check_dimension(m)
    d = check_int(degree, "degree")
    f, gens = coordinate_expr(expr, m), sphere_symbols(m)
    if f.is_polynomial(*gens) and sympy.Poly(f, *gens).total_degree() <= d:
        return sympy.expand(f), 0.0
    s = sympy.Symbol("s")
    series = sympy.series(f.subs({g: s * g for g in gens}, simultaneous=True), s, 0, d + 1).removeO()
    return sympy.expand(series.subs(s, 1)), _cauchy_bound(majorants or cauchy_majorants(f, m), d)


def _spectral(target, m, eps, lipschitz, T, max_degree=60):
    if target.exprs is None:
        raise ValueError("method 'spectral' needs f as a sympy expression (its Taylor polynomial is used)")
    head = UniversalHead(m, target.d_out)
    # 1) polynomial approximant p with a proven sup error <= eps/2: the smallest Taylor
    #    degree whose Cauchy bound (Euclidean over outputs) is small enough
    majorants = [cauchy_majorants(e, m) for e in target.exprs]

    def trunc_bound(d):
        return math.sqrt(sum(_cauchy_bound(mj, d) ** 2 for mj in majorants))

    d = next((k for k in range(0, max_degree + 1) if trunc_bound(k) <= eps / 2), None)
    if d is None:
        raise ValueError(f"no Taylor degree <= {max_degree} reaches eps/2 = {eps / 2:g}")
    pairs = [taylor_truncation(e, m, d, mj) for e, mj in zip(target.exprs, majorants)]
    polys = [p for p, _ in pairs]
    trunc = math.sqrt(sum(b * b for _, b in pairs))
    E = HarmonicExpansion.from_polynomial(polys if not target.scalar else polys[0], m)
    d = E.degree
    lam = float(max(d, 1))
    a = softmax_multipliers(m, lam, d)
    V = E.scaled(list(1.0 / a))  # deconvolved values: S_lam V = p
    sup_v = expansion_sup_bound(V)
    # 2) rule degree: discretisation of V within eps/4
    D = d
    while discretisation_bound(m, lam, D, d, sup_v) > eps / 4:
        D += max(1, D // 8)
    disc = discretisation_bound(m, lam, D, d, sup_v)
    Y, w = quadrature_rule(m, D)
    values = V(Y)
    values = values[:, None] if values.ndim == 1 else values
    beta, content = _rule_content_shift(m, lam, D, sup_v, T, eps / 8)
    prefix = Prefix(lam * Y, np.log(w) + beta, values)
    vmax = float(np.abs(values).max())
    rounding = 4 * (len(w) + m + 2) * _U * vmax  # float64 evaluation allowance (an estimate, see docs)
    params = {"taylor_degree": d, "taylor_bound": trunc, "lam": lam, "rule_degree": D, "N": len(w),
              "discretisation": disc, "content_term": content, "beta": beta, "max_abs_value": vmax,
              "sup_v_bound": sup_v, "rounding_allowance": rounding}
    bound = trunc + disc + content
    return Approximation("spectral", m, head, prefix, bound,
                         "proven [toolkit]: Taylor (Cauchy) + discretisation + content; plus rounding allowance",
                         T, params, E)


# --------------------------------------------------------------------------- fitted [toolkit]


def _fitted(target, m, eps, lipschitz, T, seed=0, samples=None, lam=None, degree=None, max_degree=400,
            max_design=5e7):
    """Keys on a quadrature grid, values by least squares (convex); increase D until eps is met.

    Stops (returning the best so far, with its measured error) once the next
    design matrix would exceed ``max_design`` entries.
    """
    head = UniversalHead(m, target.d_out)
    rng = np.random.default_rng(seed)
    D = degree or 2
    while True:
        Y, w = quadrature_rule(m, D)
        lam_D = lam if lam is not None else max(1.0, (D / 3.0) ** 2)  # width ~ node spacing
        n_fit = samples or max(4 * len(Y), 2000)
        Xfit = sample_uniform(m, n_fit, seed=rng)
        Xtest = sample_uniform(m, max(4000, n_fit), seed=rng)
        A = _design(Xfit, lam_D * Y, np.log(w), T)
        V, *_ = np.linalg.lstsq(A, target(Xfit), rcond=None)
        prefix = Prefix(lam_D * Y, np.log(w), V)
        measured = float(np.max(np.linalg.norm(head(Xtest, prefix, T) - target(Xtest), axis=1)))
        if measured <= eps or degree is not None or D >= max_degree:
            break
        D = int(D * 1.3) + 1
        from .quadrature import rule_size

        if samples is None and max(4 * rule_size(m, D), 2000) * rule_size(m, D) > max_design:
            break
    params = {"lam": lam_D, "rule_degree": D, "N": len(Y), "fit_samples": n_fit, "test_samples": len(Xtest),
              "measured_sup_error": measured}
    return Approximation("fitted", m, head, prefix, measured, "measured on a held-out sample (not proven)", T, params)


def _design(X, keys, biases, T):
    """Head output is linear in the values: rows are softmax weights (content mass included)."""
    S = X @ keys.T + biases
    M = np.maximum(S.max(axis=1), 0.0)
    W = np.exp(S - M[:, None])
    return W / (W.sum(axis=1) + T * np.exp(-M))[:, None]


def sampled_sup_error(approx, target_f, m, samples=20000, seed=0, refine=True, context_tokens=None):
    """Sampled sup error of a head against f (dense sample plus local maximisation); a lower bound."""
    target = target_f if isinstance(target_f, Target) else Target(target_f, m)
    rng = np.random.default_rng(seed)
    X = sample_uniform(m, samples, seed=rng)
    err = np.linalg.norm(approx(X, context_tokens) - target(X), axis=1)
    best = float(err.max())
    if refine:
        P = X[np.argsort(err)[-20:]]
        step = 0.05
        for _ in range(40):
            Q = P + step * rng.standard_normal(P.shape)
            Q /= np.linalg.norm(Q, axis=1)[:, None]
            eq = np.linalg.norm(approx(Q, context_tokens) - target(Q), axis=1)
            ep = np.linalg.norm(approx(P, context_tokens) - target(P), axis=1)
            better = eq > ep
            P[better] = Q[better]
            best = max(best, float(eq.max()))
            step *= 0.85
    return best


__all__ += ["sampled_sup_error"]
