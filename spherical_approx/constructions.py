"""Constructions: prefixes for the universal head that approximate a target f on S^m.

``approximate(f, m, eps, method=...)`` returns an :class:`Approximation`: the
compiled head (fixed matrices), the prefix (the only part that depends on f),
and the bound the construction guarantees.

============  =============  =====================================================
method        provenance     error_bound
============  =============  =====================================================
delta_net     [third-party]  ``3 L delta + B T e^(-lam cos delta)`` (proven)
quadrature    [toolkit]      smoothing + discretisation + content term (proven)
spectral      [toolkit]      Taylor truncation + discretisation + content (proven);
                             for a plain callable ``inf``, with an a posteriori
                             estimate from the decay of f's projections (measured)
fitted        [toolkit]      sup error on a held-out dense sample (measured only)
============  =============  =====================================================

Targets: a sympy expression (or a list, for vector values) in x0..xm, or a
callable on (k, m+1) arrays returning (k,) or (k, d_out). A Lipschitz constant is
certified for sympy targets when not given; a plain callable must come with one
where the method needs it.
"""

from __future__ import annotations

import math
import warnings
from dataclasses import dataclass, field
from functools import lru_cache

import numpy as np
import sympy

from ._validate import check_dimension, check_int, check_positive
from .bounds import (
    degree_sup_bounds,
    delta_net_parameters,
    discretisation_bound,
    expansion_sup_bound,
    quadrature_parameters,
)
from .harmonics import HarmonicExpansion, check_symbolic_dimension
from .heads import Prefix, UniversalHead, log_sum_exp_shift
from .kernels import smooth, softmax_funk_hecke, softmax_multipliers
from .limits import check_feasible
from .quadrature import check_rule_feasible, quadrature_rule, rule_size
from .rounding import float_dtype, gamma, head_rounding_bound, max_row_norm, unit_roundoff
from .sphere import check_delta_net_feasible, delta_net, sample_uniform
from .tails import bessel_tail
from .targets import Target, coordinate_expr, sphere_symbols

__all__ = ["approximate", "Approximation", "taylor_truncation", "cauchy_majorants", "METHODS",
           "EpsNotMetError", "NotAnalyticError", "truncation_allowance", "TRUNCATION_MARGIN", "sampled_sup_error"]

METHODS = ("delta_net", "quadrature", "spectral", "fitted")


@dataclass
class Approximation:
    """A compiled prefixed head approximating a target (the API contract's object).

    Call it on points X (k, m+1) to get the head output (k, d_out).

    ``error_bound`` is a theorem about the float64 head this object evaluates when
    ``bound_kind`` starts with "proven": the construction's mathematical bound
    (``parameters["math_bound"]``) plus the proven rounding bound of the float64
    evaluation (``parameters["rounding_bound"]``, see
    :func:`~spherical_approx.rounding.head_rounding_bound`) plus, where the head
    evaluates large sharp prefixes on its truncated path, that path's a priori
    allowance (``parameters["truncation_allowance"]``). A "measured" kind is a
    sampled figure, not a bound.

    Parameters
    ----------
    method : str
        The construction.
    m : int
        Sphere dimension, m >= 1.
    head : UniversalHead
        The fixed matrices.
    prefix : Prefix
        The prefix tokens (keys, biases, values).
    error_bound : float
        Proven bound (inf when none applies).
    bound_kind : str
        What the bound is, with its provenance.
    context_tokens : int
        Content tokens each query attends to (the query's own included).
    parameters : dict
        The construction's parameters and the terms of the bound.
    prediction : object, optional
        The predicted function where one exists.
    target_expressions : tuple of str, optional
        The target's sympy expressions (one per output), when it was given as expressions.
    """

    method: str
    m: int
    head: UniversalHead
    prefix: Prefix
    error_bound: float
    bound_kind: str
    context_tokens: int
    parameters: dict = field(default_factory=dict)
    prediction: object = None  # a HarmonicExpansion when the head's limit is known exactly
    target_expressions: tuple | None = None

    def __call__(self, X, context_tokens=None, truncated=None, dtype=np.float64):
        """Head output at points X (k, m+1).

        ``dtype=np.float32`` evaluates the dense path in single precision (its bound:
        :meth:`error_bound_in`); the truncated path runs in float64 only.
        """
        T = self.context_tokens if context_tokens is None else context_tokens
        if float_dtype(dtype) == np.float32:
            if truncated:
                raise ValueError("the truncated path runs in float64 only; use dtype=np.float64 or truncated=False")
            return self.head(X, self.prefix, T, dtype=np.float32)
        if truncated is None:  # the truncated path pays off once keys are many and sharp
            truncated = _auto_truncates(self.prefix) and np.ndim(T) == 0
        if truncated:
            return self.head.truncated(X, self.prefix, T, margin=TRUNCATION_MARGIN).output
        return self.head(X, self.prefix, T)

    def error_bound_in(self, dtype):
        """The proven error bound of this head evaluated in ``dtype`` (``self(X, dtype=dtype)``).

        The construction's mathematical bound plus :meth:`evaluation_allowance` in that
        precision; for float64 it is :attr:`error_bound`. inf when no bound is proven (a
        measured head in float32) or when float32 rounding of the scores alone can
        change the weights by a factor 2 (sharp prefixes: lam (m + 2) 2^-24 near 1).

        Parameters
        ----------
        dtype : np.float64 or np.float32

        Returns
        -------
        float
            The bound.

        Examples
        --------
        >>> import sympy
        >>> x0, x1 = sympy.symbols("x0:2")
        >>> a = approximate(x0 * x1, 1, 0.1, method="quadrature")
        >>> a.error_bound_in(np.float64) == a.error_bound, a.error_bound_in(np.float32) <= 0.1
        (True, True)
        """
        if float_dtype(dtype) == np.float64:
            return self.error_bound
        if "math_bound" not in self.parameters:
            return math.inf
        return self.parameters["math_bound"] + self.evaluation_allowance(dtype=np.float32)

    @property
    def prefix_length(self):
        return self.prefix.length

    def evaluation_allowance(self, context_tokens=None, dtype=np.float64):
        """Proven bound of ``|self(X) - exact head(X)|``: float64 rounding, plus the truncated
        path's a priori allowance when ``__call__`` truncates by default; with
        ``dtype=np.float32``, the single-precision dense path's rounding (inputs rounded too).

        Parameters
        ----------
        context_tokens : int
            Content tokens each query attends to (the query's own included).
        dtype : np.float64 or np.float32
            The precision of the evaluation.

        Returns
        -------
        float
            The allowance.
        """
        T = self.context_tokens if context_tokens is None else context_tokens
        if float_dtype(dtype) == np.float32:
            return head_rounding_bound(self.prefix, T, dtype=np.float32, inputs_rounded=True)
        return sum(_evaluation_terms(self.prefix, T))

    def save(self, path):
        """Write this head to an ``.npz`` file; :func:`spherical_approx.load` reads it back.

        See :mod:`spherical_approx.saving` for what the file holds and how it is protected.

        Parameters
        ----------
        path : str or os.PathLike
            Where to write (``.npz`` is appended when missing).

        Returns
        -------
        str
            The path written.
        """
        from .saving import save_head

        return save_head(self, path)

    def prefix_tokens(self):
        """Prefix tokens (N, d) in the universal head's token layout (a read-only copy).

        Returns
        -------
        ndarray
            Shape (N, d).
        """
        return self.head.prefix_tokens(self.prefix)

    def to_torch(self, dtype=None, device=None):
        """A ``torch.nn.Module`` computing the same head (float64 by default).

        The module's ``error_bound`` is this head's bound with the rounding bound of
        the module's precision in place of float64's (float32 rounds keys, biases,
        values and queries to single precision too); a ``UserWarning`` says so when
        that bound is above the eps the head was built for.

        Parameters
        ----------
        dtype : torch.dtype, optional
            Floating type of the module (float64 by default).
        device : torch.device or str, optional
            Where the module's tensors live.

        Returns
        -------
        TorchPrefixedHead
            The module.
        """
        from .torch_heads import TorchPrefixedHead

        module = TorchPrefixedHead(self.head, self.prefix, self.context_tokens, dtype=dtype, device=device)
        module.error_bound = self.error_bound  # measured heads: the float64 figure, as labelled
        if "math_bound" in self.parameters:
            module.error_bound = self.parameters["math_bound"] + module.rounding_bound()
            eps = self.parameters.get("eps", math.inf)
            if module.error_bound > eps:
                warnings.warn(f"in {module.dtype} this head's proven error bound is {module.error_bound:.3g}, above "
                              f"eps = {eps:g} it was built for (float64: {self.error_bound:.3g}); use float64 or "
                              "a larger eps", UserWarning, stacklevel=2)
        return module

    def _repr_html_(self):
        from .records import html_table

        rows = [("method", self.method), ("sphere", f"S^{self.m}"), ("prefix length N", self.prefix_length),
                ("error bound", self.error_bound), ("bound", self.bound_kind),
                ("content tokens", self.context_tokens)]
        if self.target_expressions:
            rows.append(("target", ", ".join(self.target_expressions)))
        return html_table("Approximation", rows)

    def __repr__(self):
        return (f"Approximation(method={self.method!r}, m={self.m}, N={self.prefix_length}, "
                f"error_bound={self.error_bound:.3g} [{self.bound_kind}])")


#: Keys more than this many nats below the best are skipped on the truncated path.
TRUNCATION_MARGIN = 40.0


def _auto_truncates(prefix):
    """Whether ``Approximation.__call__`` evaluates this prefix on the truncated path by default."""
    lam = float(np.linalg.norm(prefix.keys[0]))
    return prefix.length > 20000 and lam >= 1000


def truncation_allowance(prefix, margin=TRUNCATION_MARGIN):
    """[toolkit] A priori bound of ``|truncated - dense|`` for every query (see ``UniversalHead.truncated``).

    The neglected mass relative to the kept mass is at most
    ``N e^(-margin + (max b - min b) + s_err)``, ``s_err`` covering the float
    rounding of the scores and of the chord distances; the output moves by at most
    ``2 max|v|`` times that.

    Parameters
    ----------
    prefix : Prefix
        The prefix tokens (keys, biases, values).
    margin : float
        Keys more than ``margin`` below the best score are bounded instead of visited.

    Returns
    -------
    float
        The allowance.
    """
    u = unit_roundoff()
    lam = max_row_norm(prefix.keys)
    spread = float(prefix.biases.max() - prefix.biases.min())
    s_err = gamma(prefix.m + 2, u) * (lam + float(np.abs(prefix.biases).max())) * 4 + 64 * (prefix.m + 3) * u * lam
    vmax = max_row_norm(prefix.values)
    return 2 * vmax * prefix.length * math.exp(-margin + spread + s_err) * (1 + 1e-9)


def _evaluation_terms(prefix, T):
    """(float64 rounding bound, truncated-path allowance or 0) of the head ``Approximation`` evaluates."""
    return head_rounding_bound(prefix, T), truncation_allowance(prefix) if _auto_truncates(prefix) else 0.0


class EpsNotMetError(ValueError):
    """A construction's proven (or measured) error, rounding included, is above the requested eps.

    ``approximation`` holds the head that missed (for inspection, never as a result), or None.

    Parameters
    ----------
    message : str
        The explanation.
    approximation : Approximation, optional
        The head that missed eps.
    """

    def __init__(self, message, approximation=None):
        super().__init__(message)
        self.approximation = approximation


def _proven(method, m, head, prefix, math_bound, kind, T, params, eps, prediction=None):
    """The Approximation with the float64 evaluation's rounding added to its proven bound;
    refuses (EpsNotMetError) when the total is above eps."""
    rounding, trunc = _evaluation_terms(prefix, T)
    total = math_bound + rounding + trunc  # = math_bound + Approximation.evaluation_allowance()
    params = dict(params, eps=eps, math_bound=math_bound, rounding_bound=rounding, truncation_allowance=trunc)
    if not total <= eps:
        raise EpsNotMetError(
            f"{method}: the proven error {total:.3g} is above eps = {eps:g} (mathematical bound {math_bound:.3g}, "
            f"float64 rounding {rounding:.3g}{f', truncation {trunc:.3g}' if trunc else ''}); the values are too "
            "large for float64 at this eps: scale the target down or ask for a larger eps")
    return Approximation(method, m, head, prefix, total, kind + "; float64 rounding included", T, params, prediction)


def approximate(f, m, eps, method="delta_net", lipschitz=None, context_tokens=1, **options):
    """Build a prefix for the universal head that approximates f within eps on S^m.

    Parameters
    ----------
    f : sympy expression (or list), or callable
    m : int
    eps : float > 0
    method : {"delta_net", "quadrature", "spectral", "fitted"}
        "spectral" with a plain callable projects f on harmonics with an exact rule,
        chops the degree where the projections' decay puts the tail below eps/4, and
        returns ``error_bound = inf`` with the estimate in ``parameters["estimated_error"]``.
    lipschitz : float > 0, optional
        Geodesic Lipschitz constant of f. For a sympy target one is certified
        (:func:`~spherical_approx.continuity.lipschitz_bound`) and used; a value
        given here that is provably too small (below the certified lower end) is
        refused. For a callable it is required by delta_net and quadrature and
        *assumed*: the bound's provenance says so.
    context_tokens : int
        T, the number of content tokens each position sees (the head's content
        correction is part of every bound).
    **options
        ``seed`` (delta_net, fitted), ``samples`` (fitted), ``lam`` and
        ``degree`` (fitted keys), ``allow_miss`` (fitted: return a head whose
        measured error is above eps, with a warning, instead of refusing).

    Returns
    -------
    Approximation

    Raises
    ------
    EpsNotMetError
        When the construction cannot reach eps (rounding included).
    spherical_approx.continuity.NotLipschitzError
        When a sympy target may jump (Lipschitz methods).
    NotAnalyticError
        When method "spectral" cannot prove the target analytic.
    spherical_approx.limits.InfeasibleError
        When the prefix or the work would be above the limits.

    Examples
    --------
    >>> import sympy
    >>> x0, x1 = sympy.symbols("x0:2")
    >>> a = approximate(x0 * x1, 1, 0.1, method="delta_net")
    >>> a.prefix_length, a.error_bound <= 0.1
    (379, True)
    >>> X = np.array([[0.6, 0.8]])
    >>> bool(abs(a(X)[0, 0] - 0.48) <= a.error_bound)
    True
    """
    m = check_dimension(m)
    eps = check_positive(eps, "eps")
    T = check_int(context_tokens, "context_tokens")
    if method not in METHODS:
        raise ValueError(f"method must be one of {METHODS}, got {method!r}")
    if lipschitz is not None:
        lipschitz = check_positive(lipschitz, "lipschitz")
    target = Target(f, m)
    builder = {"delta_net": _delta_net, "quadrature": _quadrature, "spectral": _spectral, "fitted": _fitted}[method]
    approx = builder(target, m, eps, lipschitz, T, **options)
    if target.exprs is not None:
        approx.target_expressions = tuple(str(e) for e in target.exprs)
    return approx


def _lipschitz(target, lipschitz, method):
    """(L, provenance note): certified for sympy targets, the user's (assumed) for callables."""
    if target.exprs is None:
        if lipschitz is None:
            raise ValueError(f"method {method!r} needs a Lipschitz constant: pass lipschitz=L for a plain callable "
                             "(or give f as a sympy expression to have one certified)")
        return lipschitz, f"assuming Lip(f) <= {lipschitz:g} (user-supplied, not checked)"
    cert = _certified_lipschitz(tuple(target.exprs), target.m)
    if lipschitz is not None and lipschitz < cert.lower:
        raise ValueError(f"lipschitz={lipschitz:g} is too small: f's gradient reaches {cert.lower:.6g} on the "
                         f"sphere (certified Lip(f) <= {cert.upper:.6g}); leave lipschitz out to use the certified "
                         "constant")
    return cert.upper, f"Lip(f) <= {cert.upper:.4g} certified"


@lru_cache(maxsize=64)
def _certified_lipschitz(exprs, m):
    """lipschitz_bound of a target's expressions, computed once per (expressions, m)."""
    from .continuity import lipschitz_bound

    return lipschitz_bound(list(exprs) if len(exprs) > 1 else exprs[0], m)


def _lipschitz_lower_estimate(target, m):
    """A cheap sampled lower estimate of Lip(f), to refuse infeasible requests before certifying."""
    from .continuity import modulus_of_continuity

    est = modulus_of_continuity(target.func if target.exprs is None else
                                (target.exprs if len(target.exprs) > 1 else target.exprs[0]),
                                m, 1e-3, samples=2000, refine=5)
    return est.value / 1e-3


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
    if target.exprs is not None and lipschitz is None:  # refuse an infeasible net before certifying
        L_low = _lipschitz_lower_estimate(target, m)
        if L_low > 0:
            check_delta_net_feasible(m, min(0.5, eps / (6 * L_low)))
    L, note = _lipschitz(target, lipschitz, "delta_net")
    head = UniversalHead(m, target.d_out)
    kind = f"proven [third-party], {note}"
    if L == 0:  # certified constant target: one token with zero key and value (T+1) f is exact
        x = np.eye(m + 1)[:1]
        prefix = Prefix(np.zeros((1, m + 1)), np.zeros(1), (T + 1) * target(x))
        return _proven("delta_net", m, head, prefix, 0.0, kind, T, {"lipschitz": 0.0}, eps)
    # the construction's own bound meets eps_math <= eps exactly; rounding needs the rest
    eps_math = eps * (1 - 2**-30)
    for _ in range(3):
        delta = min(0.5, eps_math / (6 * L))
        net = delta_net(m, delta, seed=seed)  # refuses an infeasible net before building it
        values = target(net)
        # the net covers S^m within delta, so sup |f| <= max |f(b_i)| + L delta
        B = float(np.max(np.linalg.norm(values, axis=1))) + L * delta
        p = delta_net_parameters(m, eps_math, L, B, T, N=len(net))
        prefix = Prefix(p.lam * net, np.zeros(len(net)), values)
        rounding = sum(_evaluation_terms(prefix, T))
        if p.error_bound + rounding <= eps or eps - 2 * rounding <= eps / 2:
            break
        eps_math = eps - 2 * rounding
    return _proven("delta_net", m, head, prefix, p.error_bound, kind, T, p.as_dict(), eps)


# --------------------------------------------------------------------------- quadrature [toolkit]


def _sup_bound(target):
    from .continuity import sup_norm_bound

    exprs = target.exprs
    return sup_norm_bound(exprs if len(exprs) > 1 else exprs[0], target.m, rtol=0.05).upper


def _quadrature(target, m, eps, lipschitz, T):
    if target.is_polynomial:
        check_symbolic_dimension(m)
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
        L, note = _lipschitz(target, lipschitz, "quadrature")
        if L == 0:  # a certified constant: the delta-net's one-token head is exact
            return _delta_net(target, m, eps, None, T)
        q = quadrature_parameters(m, budget, lipschitz=L)
        sup_f = _sup_bound(target) if target.exprs is not None else None
        kind = f"proven [toolkit]: a priori Lipschitz bound + content, {note}"
    Y, w = quadrature_rule(m, q.rule_degree)
    values = target(Y)
    if sup_f is None:  # callable: |f| <= max |f(y_j)| + L pi (every point is within pi of a node)
        sup_f = float(np.max(np.linalg.norm(values, axis=1))) + L * math.pi
    # rounding does not depend on beta beyond the biases' size: estimate it, then fit the content term
    reserve = 2 * head_rounding_bound(Prefix(q.lam * Y, np.log(w), values), T)
    budget = eps - q.error_bound - reserve
    if T > 0 and not budget > 0:
        raise EpsNotMetError(f"quadrature: the float64 rounding of this head ({reserve / 2:.3g}) leaves no room "
                             f"for the content term within eps = {eps:g}: scale the target down or ask for a "
                             "larger eps")
    beta, content = _rule_content_shift(m, q.lam, q.rule_degree, sup_f, T, budget)
    prefix = Prefix(q.lam * Y, np.log(w) + beta, values)
    params = dict(q.as_dict(), beta=beta, content_term=content, sup_f=sup_f)
    return _proven("quadrature", m, head, prefix, q.error_bound + content, kind, T, params, eps, prediction)


# --------------------------------------------------------------------------- spectral [toolkit]


class NotAnalyticError(ValueError):
    """The spectral construction could not prove the target analytic on a polydisc around the sphere."""


def cauchy_majorants(expr, m, rhos=None, dps=14):
    """Pairs ``(rho, M(rho))`` with ``M(rho) >= sup {|f(z)| : z in C^(m+1), |Re z_i|, |Im z_i| <= rho}``.

    Enclosed rigorously with acb balls (the box contains the polydisc ``|z_i| <= rho``).
    ``M(rho)`` is finite only where f is *proven analytic* on the whole box: the
    compiled expression admits only entire functions, quotients whose denominator
    is bounded away from 0, and ``sqrt``, ``log``, fractional powers, ``atan``,
    ``tan``, ``tanh`` with their argument's enclosure away from every branch cut
    and pole (see :func:`spherical_approx.arith.compile_expression`); elsewhere
    ``M(rho) = inf``. ``Abs``, ``sign``, ``Max``, ``Min`` and unknown functions are
    not analytic: :class:`NotAnalyticError` names them.

    Parameters
    ----------
    expr : sympy expression
        An expression in the coordinates x0..xm.
    m : int
        Sphere dimension, m >= 1.
    rhos : sequence of float, optional
        The radii (default: 80 between 1.05 and 200).
    dps : int, optional
        Decimal digits for "mp" and "arb".

    Returns
    -------
    list of tuple
        ``(rho, M(rho))`` pairs.

    Examples
    --------
    >>> x0, x1 = sympy.symbols("x0:2")
    >>> [r for r, M in cauchy_majorants(sympy.sqrt(2 + x0), 1, rhos=[1.5, 2.5]) if M < math.inf]
    [1.5]
    """
    import flint

    from .arith import NonAnalyticFunction, compile_expression, get_backend

    f, gens = coordinate_expr(expr, m), sphere_symbols(m)
    try:
        fn = compile_expression(f, gens, "arb", complex_balls=True)
    except NonAnalyticFunction as exc:
        raise NotAnalyticError(f"method 'spectral' needs f analytic near the sphere: {exc}; use method "
                               "'quadrature' or 'delta_net' (Lipschitz bounds) instead") from None
    except ValueError as exc:
        raise NotAnalyticError(f"method 'spectral' cannot enclose f in complex balls: {exc}") from None
    out = []
    for r in (rhos if rhos is not None else np.geomspace(1.05, 200.0, 80)):
        with get_backend("arb", dps).local():
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

    Parameters
    ----------
    expr : sympy expression
        An expression in the coordinates x0..xm.
    m : int
        Sphere dimension, m >= 1.
    degree : int
        Polynomial degree, >= 0.
    majorants : list, optional
        Precomputed :func:`cauchy_majorants`.

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
    check_symbolic_dimension(m)
    d = check_int(degree, "degree")
    f, gens = coordinate_expr(expr, m), sphere_symbols(m)
    if f.is_polynomial(*gens) and sympy.Poly(f, *gens).total_degree() <= d:
        return sympy.expand(f), 0.0
    s = sympy.Symbol("s")
    series = sympy.series(f.subs({g: s * g for g in gens}, simultaneous=True), s, 0, d + 1).removeO()
    return sympy.expand(series.subs(s, 1)), _cauchy_bound(majorants or cauchy_majorants(f, m), d)


def _spectral(target, m, eps, lipschitz, T, max_degree=60):
    if target.exprs is None:
        return _spectral_callable(target, m, eps, T, max_degree)
    check_symbolic_dimension(m)
    head = UniversalHead(m, target.d_out)
    # 1) polynomial approximant p with a proven sup error <= eps/2: the smallest Taylor
    #    degree whose Cauchy bound (Euclidean over outputs) is small enough
    majorants = [cauchy_majorants(e, m) for e in target.exprs]
    for e, mj in zip(target.exprs, majorants):
        if all(M == math.inf for _, M in mj):
            raise NotAnalyticError(
                f"method 'spectral' could not prove f = {e} analytic on any polydisc |z_i| <= rho, "
                f"1.05 <= rho <= 200, around S^{m} (a branch point, pole or branch cut of sqrt/log/"
                "fractional powers/atan/tan reaches it); use method 'quadrature' or 'delta_net' instead")

    def trunc_bound(d):
        return math.sqrt(sum(_cauchy_bound(mj, d) ** 2 for mj in majorants))

    d = next((k for k in range(0, max_degree + 1) if trunc_bound(k) <= eps / 2), None)
    if d is None:
        raise EpsNotMetError(f"no Taylor degree <= {max_degree} reaches eps/2 = {eps / 2:g} "
                             f"(the Cauchy bound at degree {max_degree} is {trunc_bound(max_degree):.3g})")
    # the Taylor polynomial has about C(d + m + 1, m + 1) terms; its harmonic split costs their square
    n_terms = math.comb(d + m + 1, m + 1) * len(target.exprs)
    check_feasible(f"a Taylor polynomial of degree {d} on S^{m}", elements=n_terms,
                   operations=n_terms**2 * d, advice="ask for a larger eps or a smaller m")
    pairs = [taylor_truncation(e, m, d, mj) for e, mj in zip(target.exprs, majorants)]
    polys = [p for p, _ in pairs]
    trunc = math.sqrt(sum(b * b for _, b in pairs))
    E = HarmonicExpansion.from_polynomial(polys if not target.scalar else polys[0], m)
    prefix, params = _deconvolved_prefix(E, m, eps, T)
    params = {"taylor_degree": E.degree, "taylor_bound": trunc, **params}
    # the remaining eps/8 is for the float64 rounding, which _proven adds and checks
    return _proven("spectral", m, head, prefix, trunc + params["discretisation"] + params["content_term"],
                   "proven [toolkit]: Taylor (Cauchy, analyticity proven) + discretisation + content",
                   T, params, eps, E)


def _deconvolved_prefix(E, m, eps, T):
    """The spectral prefix for a polynomial expansion E: values ``proj_n p / a_n(lam)`` at the nodes of a
    rule whose discretisation error is within eps/4, and the content shift within eps/8."""
    d = E.degree
    lam = float(max(d, 1))
    a = softmax_multipliers(m, lam, d)
    V = E.scaled(list(1.0 / a))  # deconvolved values: S_lam V = p
    sup_v = expansion_sup_bound(V)
    # rule degree: discretisation of V within eps/4
    D = d
    while discretisation_bound(m, lam, D, d, sup_v) > eps / 4:
        D += max(1, D // 8)
        check_rule_feasible(m, D)
    disc = discretisation_bound(m, lam, D, d, sup_v)
    Y, w = quadrature_rule(m, D)
    values = V(Y)
    values = values[:, None] if values.ndim == 1 else values
    beta, content = _rule_content_shift(m, lam, D, sup_v, T, eps / 8)
    prefix = Prefix(lam * Y, np.log(w) + beta, values)
    vmax = float(np.abs(values).max())
    return prefix, {"lam": lam, "rule_degree": D, "N": len(w), "discretisation": disc, "content_term": content,
                    "beta": beta, "max_abs_value": vmax, "sup_v_bound": sup_v}


#: Relative size at which projection coefficients count as rounding noise (the chop's plateau).
SPECTRAL_NOISE = 1e-13


def _spectral_callable(target, m, eps, T, max_degree):
    """Spectral head for a plain callable: project f on harmonics with an exact rule, chop the
    degree where the coefficients' decay says the tail is below eps/4 (as Chebfun chops), then
    compile as for a polynomial. The error is an a posteriori estimate, labelled measured."""
    head = UniversalHead(m, target.d_out)
    d = 8
    while True:
        d = min(d, max_degree)
        E = HarmonicExpansion.from_function(target.func, m, d, rule_degree=2 * d + 10)
        sup_terms = degree_sup_bounds(E)  # sqrt(dim H_n / A_m) ||proj_n f||_2 bounds sup |proj_n f|
        scale = max(float(sup_terms.max()), 1e-300)
        # the tail beyond d from the decay of the envelope max(term_(n-1), term_n) over the last
        # degrees (one parity can vanish: an odd f has no even degrees), taken geometric
        last, before = float(sup_terms[-2:].max()), float(sup_terms[-4:-2].max())
        ratio = min(0.9, ((last + 1e-300) / (before + 1e-300)) ** 0.5)
        beyond = last * ratio / (1 - ratio)
        settled = beyond <= eps / 16 or float(sup_terms[-4:].max()) <= SPECTRAL_NOISE * scale
        if settled or d == max_degree:
            break
        d *= 2
    tails = np.concatenate([np.cumsum(sup_terms[::-1])[::-1][1:], [0.0]]) + beyond  # tail after each degree
    cut = next((c for c in range(d + 1) if tails[c] <= eps / 4), None)
    if cut is None or not settled:
        raise EpsNotMetError(f"spectral (callable): the coefficients up to degree {d} do not settle below eps/4 = "
                             f"{eps / 4:g} (the tail beyond degree {d} is estimated at {beyond:.3g}); f may not be "
                             "smooth enough: use method 'fitted', or give f as a sympy expression")
    E = HarmonicExpansion(m, cut, coefficients=[E.coefficients(n) for n in range(cut + 1)], scalar=target.scalar)
    prefix, params = _deconvolved_prefix(E, m, eps, T)
    rounding, trunc_eval = _evaluation_terms(prefix, T)
    estimate = float(tails[cut]) + params["discretisation"] + params["content_term"] + rounding + trunc_eval
    params = {"degree": cut, "projection_degree": d, "estimated_tail": float(tails[cut]), **params,
              "rounding_bound": rounding, "truncation_allowance": trunc_eval, "estimated_error": estimate,
              "eps": eps}
    if not estimate <= eps:
        raise EpsNotMetError(f"spectral (callable): the estimated error {estimate:.3g} is above eps = {eps:g}")
    return Approximation("spectral", m, head, prefix, math.inf,
                         "measured: a posteriori estimate from the decay of f's projections (not proven; "
                         f"estimated error {estimate:.3g} in parameters['estimated_error'])", T, params, E)


# --------------------------------------------------------------------------- fitted [toolkit]


def _fitted(target, m, eps, lipschitz, T, seed=0, samples=None, lam=None, degree=None, max_degree=400,
            max_design=5e7, allow_miss=False):
    """Keys on a quadrature grid, values by least squares (convex); increase D until eps is met.

    The error is measured on a dense held-out sample with local maximisation
    (:func:`sampled_sup_error`); the fit aims at ``FIT_MARGIN * eps`` because a
    sample sees less than the true sup (by up to 20% in our tests). Once the next
    design matrix would exceed ``max_design`` entries, a head whose measured error is
    still above eps is refused (EpsNotMetError), or returned with a warning when
    ``allow_miss`` is set.
    """
    head = UniversalHead(m, target.d_out)
    rng = np.random.default_rng(seed)
    D = check_int(degree, "degree") if degree is not None else 2
    while True:
        check_rule_feasible(m, D)
        n_keys = rule_size(m, D)
        n_fit = samples or max(4 * n_keys, 2000)
        # least squares: 2 n k^2 flops in LAPACK, ~20x faster than the 1e9/s the limits assume
        check_feasible(f"a fitted head with {n_keys} keys on S^{m} ({n_fit} fitting points)",
                       elements=3.0 * n_fit * n_keys,
                       operations=0.1 * n_fit * float(n_keys) ** 2 + 50.0 * max(20000, 4 * n_fit) * n_keys,
                       advice="ask for a larger eps, fewer samples or a fixed lower degree")
        Y, w = quadrature_rule(m, D)
        lam_D = lam if lam is not None else max(1.0, (D / 3.0) ** 2)  # width ~ node spacing
        Xfit = sample_uniform(m, n_fit, seed=rng)
        A = _design(Xfit, lam_D * Y, np.log(w), T)
        V, *_ = np.linalg.lstsq(A, target(Xfit), rcond=None)
        prefix = Prefix(lam_D * Y, np.log(w), V)
        trial = Approximation("fitted", m, head, prefix, math.inf, "measured", T)
        n_test = max(20000, 4 * n_fit)
        measured = sampled_sup_error(trial, target, m, samples=n_test, seed=int(rng.integers(2**31)), starts=50)
        if measured <= FIT_MARGIN * eps or degree is not None or D >= max_degree:
            break
        D = int(D * 1.3) + 1
        if samples is None and max(4 * rule_size(m, D), 2000) * rule_size(m, D) > max_design:
            break
    params = {"lam": lam_D, "rule_degree": D, "N": len(Y), "fit_samples": n_fit, "test_samples": n_test,
              "measured_sup_error": measured, "eps": eps}
    approx = Approximation("fitted", m, head, prefix, measured,
                           "measured on a dense held-out sample with local maximisation (not proven)", T, params)
    if measured > eps:
        message = (f"fitted: the measured sup error {measured:.4g} is above eps = {eps:g} (degree {D}, "
                   f"N = {len(Y)}, stopped by max_design = {max_design:g} / max_degree = {max_degree})")
        if not allow_miss:
            raise EpsNotMetError(message + "; raise max_design, or pass allow_miss=True to get the head anyway",
                                 approx)
        warnings.warn(message, UserWarning, stacklevel=3)
    return approx


#: The fitted construction stops once its measured error is below this fraction of eps.
FIT_MARGIN = 0.8


def _design(X, keys, biases, T):
    """Head output is linear in the values: rows are softmax weights (content mass included)."""
    S = X @ keys.T + biases
    M = log_sum_exp_shift(S.max(axis=1), T)
    W = np.exp(S - M[:, None])
    return W / (W.sum(axis=1) + T * np.exp(-M))[:, None]


def sampled_sup_error(approx, target_f, m, samples=20000, seed=0, refine=True, context_tokens=None, starts=20):
    """Sampled sup error of a head against f (dense sample plus local maximisation); a lower bound.

    The ``starts`` worst sample points are improved by a shrinking random local search.

    Parameters
    ----------
    approx : Approximation or callable
        The head.
    target_f : target
        As for :func:`approximate`.
    m : int
        Sphere dimension, m >= 1.
    samples : int
        Random points.
    seed : int or numpy.random.Generator, optional
        Random seed or generator.
    refine : bool
        Maximise locally from the worst points.
    context_tokens : int
        Content tokens each query attends to (the query's own included).
    starts : int
        Points the local maximisation starts from.

    Returns
    -------
    float
        The largest error found.
    """
    target = target_f if isinstance(target_f, Target) else Target(target_f, m)
    rng = np.random.default_rng(seed)
    X = sample_uniform(m, samples, seed=rng)
    err = np.linalg.norm(approx(X, context_tokens) - target(X), axis=1)
    best = float(err.max())
    if refine:
        P = X[np.argsort(err)[-starts:]]
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


