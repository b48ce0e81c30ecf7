"""Prefix-length and error bounds (docs/theory/bounds.rst), as small dataclasses of numbers.

* :func:`paper_rate_exponent` [paper]: ``N = O(eps^-(4m^2+14m+10))``
* :func:`packing_constant` [third-party]: ``N <= C_m delta^-m``
* :func:`delta_net_parameters` [third-party]: delta, lambda, N and the error bound
* :func:`smoothing_bound` [toolkit]: ``|S f - f| <= E[omega(f, Theta)]``
* :func:`discretisation_bound` [toolkit]: ``|h - S p| <= 2 |p| (tau_(D-d) + tau_D) / (mu_0 - 2 tau_D)``
* :func:`quadrature_lipschitz_bound` [toolkit]: ``|h - f| <= L pi/sqrt2 sqrt(1 - a_1 + eta_D)``
* :func:`quadrature_parameters` [toolkit]: (lambda, D, N) meeting eps

They use the Bessel tails of :mod:`spherical_approx.tails`; the packing inequality is proved in
:mod:`spherical_approx.inequalities`. Proofs of the [toolkit] statements are in ``docs/theory/bounds.rst``.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from ._validate import check_dimension, check_int, check_positive
from .arith import get_backend
from .harmonics import harmonic_dimensions
from .kernels import check_lambda, expected_modulus, softmax_multipliers
from .limits import InfeasibleError
from .quadrature import rule_size
from .records import AsDict
from .sphere import sphere_area
from .tails import bessel_tail

__all__ = [
    "paper_rate_exponent",
    "packing_constant",
    "DeltaNetParameters",
    "delta_net_parameters",
    "SmoothingBound",
    "smoothing_bound",
    "discretisation_bound",
    "quadrature_lipschitz_bound",
    "QuadratureParameters",
    "quadrature_parameters",
    "expansion_sup_bound",
    "degree_sup_bounds",
]




# --------------------------------------------------------------------------- [paper]


def paper_rate_exponent(m):
    """[paper] The exponent of the Jackson-type bound ``N = O(eps^-(4m^2 + 14m + 10))``.

    The constant in the O is not known explicitly (it depends on the target).

    Parameters
    ----------
    m : int
        Sphere dimension, m >= 1.

    Returns
    -------
    int
        ``4m^2 + 14m + 10``.

    Examples
    --------
    >>> [paper_rate_exponent(m) for m in (1, 2, 3)]
    [28, 54, 88]
    """
    m = check_dimension(m)
    return 4 * m * m + 14 * m + 10


# --------------------------------------------------------------------------- delta-net [third-party]


def packing_constant(m, backend="float", dps=None):
    """[third-party] ``C_m = 2 m pi^(m-1) A_m / A_(m-1)``, so that a maximal
    delta-separated set has ``N <= C_m delta^-m`` (C_1 = 2 pi).

    Parameters
    ----------
    m : int
        Sphere dimension, m >= 1.
    backend : {"float", "mp", "arb", "exact"} or Backend
        The number system (see :func:`spherical_approx.arith.get_backend`).
    dps : int, optional
        Decimal digits for "mp" and "arb".

    Returns
    -------
    number
        ``C_m`` in the backend's number type.

    See Also
    --------
    delta_net_parameters : Where C_m enters.
    spherical_approx.inequalities.prove_cap_inequality : Its rigorous proof.

    Examples
    --------
    >>> packing_constant(1, backend="exact")
    2*pi
    >>> packing_constant(2, backend="exact")
    8*pi
    """
    m = check_dimension(m)
    B = get_backend(backend, dps)
    with B.local(), np.errstate(over="ignore", invalid="ignore"):
        try:
            value = 2 * m * B.pi() ** (m - 1) * sphere_area(m, B) / sphere_area(m - 1, B)
        except (OverflowError, ZeroDivisionError):  # pi^(m-1) overflows, or A_(m-1) underflows to 0
            value = math.inf
        if not B.is_finite(value):
            raise InfeasibleError(f"the packing constant C_{m} is outside the range of {B.name} numbers (pi^(m-1) "
                                  "overflows or A_(m-1) underflows); use backend 'mp' or 'arb'")
        return B.simplify(value)


@dataclass(frozen=True)
class DeltaNetParameters(AsDict):
    """[third-party] Parameters and bound of the delta-net construction (docs/theory/bounds.rst).

    Parameters
    ----------
    m : int
        Sphere dimension, m >= 1.
    eps : float
        Target accuracy (sup error) > 0.
    lipschitz : float
        Geodesic Lipschitz constant of the target.
    sup_norm : float
        Bound on ``sup |f|``.
    context_tokens : int
        Content tokens each query attends to (the query's own included).
    delta : float
        Geodesic distance, > 0.
    packing_constant : float
        ``C_m``.
    N_bound : float
        The packing bound ``C_m delta^-m`` on the net size.
    N : int
        The net size used.
    lambda_loc : float
        Inverse temperature that localises the attention to delta.
    lambda_ctx : float
        Inverse temperature that suppresses the content tokens.
    lam : float
        Softmax inverse temperature lambda > 0.
    near_term : float
        The error contributed by the keys within delta.
    context_term : float
        The error contributed by the content tokens.
    error_bound : float
        The total proven error bound.
    """

    m: int
    eps: float
    lipschitz: float
    sup_norm: float
    context_tokens: int
    delta: float
    packing_constant: float
    N_bound: float
    N: int
    lambda_loc: float
    lambda_ctx: float
    lam: float
    near_term: float
    context_term: float
    error_bound: float


def delta_net_parameters(m, eps, lipschitz, sup_norm, context_tokens=1, N=None):
    """[third-party] delta, lambda and the error bound of the delta-net construction.

    ``delta = min(1/2, eps/(6L))``; ``lambda = max(lambda_loc, lambda_ctx)`` with
    ``lambda_loc = (2/delta^2) log(pi N / delta)`` and
    ``lambda_ctx = max(0, log(2 B T / eps)) / cos(delta)``; then
    ``sup |head - f| <= 3 L delta + B T e^(-lambda cos delta) <= eps``.

    Parameters
    ----------
    m : int
    eps : float > 0
    lipschitz : float > 0
        Geodesic Lipschitz constant L (use the L = 0 construction otherwise).
    sup_norm : float >= 0
        ``B = sup |f|``.
    context_tokens : int >= 0
        T, the number of content tokens each position sees.
    N : int, optional
        The size of the net actually used (default: the bound C_m delta^-m,
        rounded down).

    Returns
    -------
    DeltaNetParameters
        The parameters and the error bound.

    See Also
    --------
    packing_constant : The constant C_m of the net size bound.
    spherical_approx.inequalities.prove_cap_inequality : The cap inequality behind it.
    quadrature_parameters : The quadrature construction's parameters.

    Examples
    --------
    >>> p = delta_net_parameters(2, 0.05, 1.0, 1.0)
    >>> round(p.delta, 6), p.error_bound <= 0.05
    (0.008333, True)
    """
    m = check_dimension(m)
    eps = check_positive(eps, "eps")
    L = check_positive(lipschitz, "lipschitz")
    Bsup = check_positive(sup_norm, "sup_norm", allow_zero=True)
    T = check_int(context_tokens, "context_tokens")
    delta = min(0.5, eps / (6 * L))
    C = packing_constant(m)
    log_N_bound = math.log(C) - m * math.log(delta)
    if log_N_bound > 700:
        raise InfeasibleError(f"the delta-net bound C_m delta^-m = 10^{log_N_bound / math.log(10):.1f} (m = {m}, "
                              f"delta = {delta:.3g}) is beyond float64 and any prefix: ask for a larger eps or a "
                              "smaller m")
    N_bound = math.exp(log_N_bound)
    N_used = int(math.floor(N_bound)) if N is None else check_int(N, "N", minimum=1)
    ratio = math.pi * float(N_used) / delta
    log_ratio = math.log(ratio) if math.isfinite(ratio) else math.log(math.pi / delta) + math.log(N_used)
    lam_loc = (2 / delta**2) * log_ratio
    lam_ctx = max(0.0, math.log(2 * Bsup * T / eps)) / math.cos(delta) if Bsup * T > 0 else 0.0
    lam = max(lam_loc, lam_ctx)
    near = 3 * L * delta
    ctx_term = Bsup * T * math.exp(-lam * math.cos(delta))
    return DeltaNetParameters(m, eps, L, Bsup, T, delta, C, N_bound, N_used, lam_loc, lam_ctx, lam,
                              near, ctx_term, near + ctx_term)


# --------------------------------------------------------------------------- smoothing [toolkit]


@dataclass(frozen=True)
class SmoothingBound(AsDict):
    """[toolkit] Bounds on ``sup |S_lam f - f|`` for an L-Lipschitz f (or a given modulus).

    Parameters
    ----------
    m : int
        Sphere dimension, m >= 1.
    lam : float
        Softmax inverse temperature lambda > 0.
    lipschitz : float
        Geodesic Lipschitz constant of the target.
    expected_distance : float
        ``E[Theta]`` under the distance law.
    bound_expected : float
        ``L E[Theta]``.
    bound_closed_form : float
        ``L (pi/sqrt 2) sqrt(1 - a_1(lam))``.
    """

    m: int
    lam: float
    lipschitz: float
    expected_distance: float  # E[Theta]
    bound_expected: float  # L E[Theta]  (or E[omega(Theta)] with a modulus)
    bound_closed_form: float  # L (pi/sqrt 2) sqrt(1 - a_1)


def smoothing_bound(m, lam, lipschitz=1.0, omega=None):
    """[toolkit] ``|S_lam f - f|(x) <= E[omega(f, Theta)] <= L E[Theta] <= L (pi/sqrt2) sqrt(1 - a_1(lam))``.

    Parameters
    ----------
    omega : callable, optional
        A modulus of continuity of f on [0, pi]; if given, ``bound_expected`` is
        ``E[omega(Theta)]``, else ``L E[Theta]``.
    m : int
        Sphere dimension, m >= 1.
    lam : float
        Softmax inverse temperature lambda > 0.
    lipschitz : float
        Geodesic Lipschitz constant of the target.

    Returns
    -------
    SmoothingBound
        The bounds.

    See Also
    --------
    quadrature_lipschitz_bound : The same bound plus the discretisation term.
    spherical_approx.kernels.expected_modulus : E[omega(Theta)] for any modulus.

    Examples
    --------
    >>> b = smoothing_bound(2, 100.0)
    >>> b.bound_expected <= b.bound_closed_form
    True
    """
    m = check_dimension(m)
    check_lambda(lam, allow_zero=False)
    L = check_positive(lipschitz, "lipschitz", allow_zero=True)
    lam = float(lam)
    e_theta = expected_modulus(m, lam, lambda t: t)
    e_omega = expected_modulus(m, lam, omega) if omega is not None else L * e_theta
    comp = float(softmax_multipliers(m, lam, 1, one_minus=True)[1])
    closed = L * math.pi / math.sqrt(2) * math.sqrt(comp)
    return SmoothingBound(m, lam, L, e_theta, e_omega, closed)


def discretisation_bound(m, lam, rule_degree, poly_degree, sup_norm=1.0, backend="float"):
    """[toolkit] ``sup |h - S_lam p| <= 2 ||p|| (tau_(D-d) + tau_D) / (mu_0 - 2 tau_D)``.

    h is the quadrature-vMF head's prefix part for a rule exact to degree D =
    ``rule_degree`` and a polynomial p of degree d = ``poly_degree <= D``.
    Returns ``inf`` when ``2 tau_D >= mu_0`` (the rule is too coarse for lam).

    Parameters
    ----------
    m : int
        Sphere dimension, m >= 1.
    lam : float
        Softmax inverse temperature lambda > 0.
    rule_degree : int
        Exactness D of the quadrature rule.
    poly_degree : int
        Degree d of the polynomial p.
    sup_norm : float
        Bound on ``||p||``.
    backend : {"float", "mp", "arb", "exact"} or Backend
        The number system (see :func:`spherical_approx.arith.get_backend`).

    Returns
    -------
    float or flint.arb
        The bound (inf when ``2 tau_D >= mu_0``).

    See Also
    --------
    spherical_approx.tails.bessel_tail : The tails tau_K it is built from.
    quadrature_lipschitz_bound : The bound for a Lipschitz target.
    quadrature_parameters : Choosing lam and D.

    Examples
    --------
    >>> b = discretisation_bound(2, 30.0, 40, 3)    # 861 nodes, bound 3.9e-8
    >>> float(f"{b:.2g}")
    3.9e-08
    """
    m = check_dimension(m)
    D = check_int(rule_degree, "rule_degree")
    d = check_int(poly_degree, "poly_degree")
    if d > D:
        raise ValueError(f"poly_degree must be <= rule_degree, got {d} > {D}")
    S = check_positive(sup_norm, "sup_norm", allow_zero=True)
    t1 = bessel_tail(m, lam, D - d, backend=backend)
    t2 = bessel_tail(m, lam, D, backend=backend)
    denom = 1 - 2 * t2
    if not denom > 0:
        return get_backend(backend).convert(math.inf)
    return 2 * S * (t1 + t2) / denom


def quadrature_lipschitz_bound(m, lam, rule_degree, lipschitz=1.0):
    """[toolkit] A priori bound for the quadrature-vMF head of an L-Lipschitz target.

    ``sup |h - f| <= L (pi/sqrt 2) sqrt(1 - a_1(lam) + eta_D)`` with
    ``eta_D = discretisation_bound(m, lam, D, 1)`` (proof: docs/theory/bounds).

    Parameters
    ----------
    m : int
        Sphere dimension, m >= 1.
    lam : float
        Softmax inverse temperature lambda > 0.
    rule_degree : int
        Exactness D of the quadrature rule.
    lipschitz : float
        Geodesic Lipschitz constant of the target.

    Returns
    -------
    float
        The bound.

    See Also
    --------
    smoothing_bound : The smoothing term alone.
    discretisation_bound : The discretisation term.
    quadrature_parameters : Choosing lam and D from these bounds.

    Examples
    --------
    >>> round(quadrature_lipschitz_bound(2, 1e3, 300), 4)   # eta_300 ~ 3e-16: the smoothing term
    0.0702
    >>> round(quadrature_lipschitz_bound(2, 1e3, 150), 4)   # D too small: eta_D dominates
    0.7174
    """
    L = check_positive(lipschitz, "lipschitz", allow_zero=True)
    eta = discretisation_bound(m, lam, rule_degree, 1)
    comp = float(softmax_multipliers(m, lam, 1, one_minus=True)[1])
    return L * math.pi / math.sqrt(2) * math.sqrt(comp + eta)


@dataclass(frozen=True)
class QuadratureParameters(AsDict):
    """[toolkit] Parameters of the quadrature-vMF construction chosen from eps.

    Parameters
    ----------
    m : int
        Sphere dimension, m >= 1.
    eps : float
        Target accuracy (sup error) > 0.
    target : str
        "lipschitz" or "polynomial".
    lam : float
        Softmax inverse temperature lambda > 0.
    rule_degree : int
        Exactness D of the quadrature rule.
    N : int
        Nodes of the rule (prefix length).
    smoothing_part : float
        Bound of ``|S_lam f - f|``.
    discretisation_part : float
        Bound of ``|h - S_lam f|``.
    error_bound : float
        Their sum.
    """

    m: int
    eps: float
    target: str
    lam: float
    rule_degree: int
    N: int
    smoothing_part: float
    discretisation_part: float
    error_bound: float


def _smallest_passing(ok, lo, hi, grow, midpoint, converged):
    """The smallest x passing a monotone test ``ok``: grow ``hi`` until it passes
    (``lo`` following it), then bisect ``[lo, hi]`` until ``converged(lo, hi)``."""
    while not ok(hi):
        lo, hi = hi, grow(hi)
    while not converged(lo, hi):
        mid = midpoint(lo, hi)
        if ok(mid):
            hi = mid
        else:
            lo = mid
    return hi


def _min_degree(ok, start):
    """Smallest integer D >= start with ok(D) (ok monotone in D): doubling, then bisection."""
    return _smallest_passing(ok, start - 1, max(start, 1), lambda D: 2 * D, lambda lo, hi: (lo + hi) // 2,
                             lambda lo, hi: hi - lo <= 1)


def quadrature_parameters(m, eps, lipschitz=1.0, expansion=None):
    """[toolkit] Choose lam and the rule degree D of the quadrature-vMF construction.

    * Lipschitz target (``expansion=None``): the smallest lam with
      ``L (pi/sqrt2) sqrt(2 (1 - a_1)) <= eps``, then the smallest D with
      ``eta_D <= 1 - a_1``, so that :func:`quadrature_lipschitz_bound` <= eps.
    * Polynomial target (a :class:`~spherical_approx.harmonics.HarmonicExpansion`
      of degree d): the smallest lam with
      ``sum_n (1 - a_n) sqrt(dim H_n / A_m) ||proj_n p||_2 <= eps / 2`` (a bound
      on ``sup |S p - p|`` by the addition theorem), then the smallest D with
      the discretisation bound ``<= eps / 2`` (``||p||_inf`` bounded the same way).

    Parameters
    ----------
    m : int
        Sphere dimension, m >= 1.
    eps : float
        Target accuracy (sup error) > 0.
    lipschitz : float
        Geodesic Lipschitz constant of the target.
    expansion : HarmonicExpansion, optional
        For a polynomial target: its expansion.

    Returns
    -------
    QuadratureParameters
        lam, D, N and the error bound.

    See Also
    --------
    quadrature_lipschitz_bound, discretisation_bound : The bounds it inverts.
    delta_net_parameters : The delta-net construction's parameters.

    Examples
    --------
    >>> q = quadrature_parameters(2, 0.1)
    >>> q.error_bound <= 0.1, q.N == rule_size(2, q.rule_degree)
    (True, True)
    """
    m = check_dimension(m)
    eps = check_positive(eps, "eps")
    L = check_positive(lipschitz, "lipschitz")
    if expansion is None:
        target_comp = (eps / (L * math.pi)) ** 2  # (pi/sqrt2) sqrt(2 c) = pi sqrt(c) <= eps/L
        lam = _solve_lambda(lambda lam: float(softmax_multipliers(m, lam, 1, one_minus=True)[1]) <= target_comp)
        comp = float(softmax_multipliers(m, lam, 1, one_minus=True)[1])
        D = _min_degree(lambda D: discretisation_bound(m, lam, D, 1) <= comp, 2)
        bound = quadrature_lipschitz_bound(m, lam, D, L)
        smooth_part = L * math.pi / math.sqrt(2) * math.sqrt(comp)
        return QuadratureParameters(m, eps, "lipschitz", lam, D, rule_size(m, D), smooth_part,
                                    bound - smooth_part, bound)
    d = expansion.degree
    weighted = degree_sup_bounds(expansion)
    sup_p = float(np.sum(weighted))

    def smoothing(lam):
        c = softmax_multipliers(m, lam, d, one_minus=True)
        return float(np.sum(c * weighted))

    lam = _solve_lambda(lambda lam: smoothing(lam) <= eps / 2)
    D = _min_degree(lambda D: discretisation_bound(m, lam, D, d, sup_p) <= eps / 2, d)
    s_part, d_part = smoothing(lam), discretisation_bound(m, lam, D, d, sup_p)
    return QuadratureParameters(m, eps, "polynomial", lam, D, rule_size(m, D), s_part, d_part, s_part + d_part)


def degree_sup_bounds(expansion):
    """[toolkit] ``sqrt(dim H_n / A_m) ||proj_n f||_2`` per degree n: each bounds ``sup |proj_n f|``
    (addition theorem and Cauchy-Schwarz), so their sum bounds ``||f||_inf``.

    Parameters
    ----------
    expansion : HarmonicExpansion
        The function.

    Returns
    -------
    ndarray
        One bound per degree 0..degree.

    Examples
    --------
    >>> from spherical_approx.harmonics import HarmonicExpansion
    >>> from spherical_approx.targets import sphere_symbols
    >>> x0, x1, x2 = sphere_symbols(2)
    >>> degree_sup_bounds(HarmonicExpansion.from_polynomial(x2, 2)).round(12).tolist()
    [0.0, 1.0]
    """
    m, d = expansion.m, expansion.degree
    norms = np.asarray(expansion.norms(exact=False), dtype=float)
    return np.sqrt(harmonic_dimensions(m, np.arange(d + 1)) / sphere_area(m)) * norms


def expansion_sup_bound(expansion):
    """[toolkit] ``||f||_inf <= sum_n sqrt(dim H_n / A_m) ||proj_n f||_2`` for a HarmonicExpansion.

    Parameters
    ----------
    expansion : HarmonicExpansion
        The function.

    Returns
    -------
    float
        The bound.

    Examples
    --------
    >>> from spherical_approx.harmonics import HarmonicExpansion
    >>> from spherical_approx.targets import sphere_symbols
    >>> x0, x1, x2 = sphere_symbols(2)
    >>> expansion_sup_bound(HarmonicExpansion.from_polynomial(x2, 2))    # sqrt(3/(4pi)) sqrt(4pi/3) = 1
    1.0
    """
    return float(np.sum(degree_sup_bounds(expansion)))


def _solve_lambda(ok, lo=1e-3, hi=1.0):
    """Smallest lam (to 0.1%) with ok(lam), for ok monotone in lam."""
    def grow(lam):
        if 2 * lam > 1e15:
            raise ValueError("no lam <= 1e15 meets the requested accuracy")
        return 2 * lam

    return _smallest_passing(ok, lo, hi, grow, lambda a, b: math.sqrt(a * b), lambda a, b: b / a <= 1.001)


