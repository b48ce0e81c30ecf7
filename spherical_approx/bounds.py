"""Prefix-length and error bounds (docs/theory/bounds.rst), as small dataclasses of numbers.

* :func:`paper_rate_exponent` [paper]: ``N = O(eps^-(4m^2+14m+10))``
* :func:`packing_constant` [third-party]: ``N <= C_m delta^-m``
* :func:`delta_net_parameters` [third-party]: delta, lambda, N and the error bound
* :func:`smoothing_bound` [toolkit]: ``|S f - f| <= E[omega(f, Theta)]``
* :func:`bessel_tail` [toolkit]: ``tau_K = sum_(n>K) mu_n dim H_n``
* :func:`discretisation_bound` [toolkit]: ``|h - S p| <= 2 |p| (tau_(D-d) + tau_D) / (mu_0 - 2 tau_D)``
* :func:`quadrature_lipschitz_bound` [toolkit]: ``|h - f| <= L pi/sqrt2 sqrt(1 - a_1 + eta_D)``
* :func:`quadrature_parameters` [toolkit]: (lambda, D, N) meeting eps
* :func:`prove_gap_inequality` [third-party]: ``cos d - cos 2d >= d^2/2`` on (0, 1/2]
* :func:`prove_cap_inequality` [third-party]: ``|cap(d/2)| >= A_(m-1) d^m / (2 m pi^(m-1))``

Proofs of the [toolkit] statements are in ``docs/theory/bounds.rst``.
"""

from __future__ import annotations

import functools
import math
from dataclasses import asdict, dataclass

import numpy as np

from ._validate import check_dimension, check_int, check_positive
from .arith import get_backend
from .harmonics import harmonic_dimension
from .kernels import check_lambda, expected_modulus, softmax_multipliers
from .limits import InfeasibleError
from .quadrature import rule_size
from .sphere import sphere_area

__all__ = [
    "paper_rate_exponent",
    "packing_constant",
    "DeltaNetParameters",
    "delta_net_parameters",
    "SmoothingBound",
    "smoothing_bound",
    "bessel_tail",
    "discretisation_bound",
    "quadrature_lipschitz_bound",
    "QuadratureParameters",
    "quadrature_parameters",
    "expansion_sup_bound",
    "InequalityProof",
    "prove_inequality",
    "prove_gap_inequality",
    "prove_cap_inequality",
]


class _AsDict:
    def as_dict(self):
        return {k: (float(v) if isinstance(v, (np.floating,)) else v) for k, v in asdict(self).items()}


# --------------------------------------------------------------------------- [paper]


def paper_rate_exponent(m):
    """[paper] The exponent of the Jackson-type bound ``N = O(eps^-(4m^2 + 14m + 10))``.

    The constant in the O is not known explicitly (it depends on the target).

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

    Examples
    --------
    >>> packing_constant(1, backend="exact")
    2*pi
    >>> packing_constant(2, backend="exact")
    8*pi
    """
    m = check_dimension(m)
    B = get_backend(backend, dps)
    if B.name == "float" and m > 600:  # pi^(m-1) alone is past float64's range
        raise InfeasibleError(f"the packing constant C_{m} overflows float64 (m > 600); use backend 'mp' or 'arb'")
    with B.local():
        value = 2 * m * B.pi() ** (m - 1) * sphere_area(m, B) / sphere_area(m - 1, B)
        if B.name == "exact":
            import sympy

            return sympy.simplify(value)
        return B.finish(value)


@dataclass(frozen=True)
class DeltaNetParameters(_AsDict):
    """[third-party] Parameters and bound of the delta-net construction (docs/theory/bounds.rst)."""

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
class SmoothingBound(_AsDict):
    """[toolkit] Bounds on ``sup |S_lam f - f|`` for an L-Lipschitz f (or a given modulus)."""

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


# --------------------------------------------------------------------------- Bessel tails [toolkit]


def bessel_tail(m, lam, K, backend="float", dps=None, normalized=True):
    """[toolkit] ``tau_K(lam) = sum_(n > K) mu_n(lam) dim H_n`` (divided by ``mu_0`` by default).

    Normalised, ``tau_K / mu_0 = sum_(n > K) a_n(lam) dim H_n`` never overflows.
    Float: summed until the terms are below 1e-18 of the sum, beyond the peak
    ``n ~ lam``. "arb": a rigorous ball: the terms up to some N1 exactly, plus
    the geometric bound of the remainder from
    ``I_v(x) <= (x/2)^v e^(x^2/(4(v+1))) / Gamma(v+1)`` [classical].

    Examples
    --------
    >>> t = bessel_tail(2, 30.0, 40)
    >>> 1e-12 < t < 1e-8
    True
    >>> bool(bessel_tail(2, 30.0, 40, backend="arb").contains(bessel_tail(2, 30.0, 40, backend="arb").mid()))
    True
    """
    m = check_dimension(m)
    check_lambda(lam, allow_zero=False)
    K = check_int(K, "K")
    B = get_backend(backend, dps)
    if B.is_float:
        lamf = float(lam)
        tails, remainder = _float_tails(m, lamf)
        # the cached tails serve K while the cut-off remainder is negligible against them
        if K < len(tails) and tails[K] >= 1e12 * remainder:
            total = float(tails[K]) + remainder
        else:
            total = _float_tail_from(m, lamf, K)
        if normalized:
            return total
        from .kernels import softmax_funk_hecke

        return total * softmax_funk_hecke(m, lamf, 0)[0]
    if B.name != "arb":
        raise ValueError("bessel_tail supports backend 'float' and 'arb'")
    return _bessel_tail_arb(m, lam, K, B, normalized)


def _tail_terms(m, lam, K, nmax):
    """``a_n dim H_n`` for n = K+1..nmax, and whether the sum may stop at nmax.

    Beyond the peak the terms fall at least geometrically with ratio about
    ``e^(-n/lam)``, so the rest is at most ``last * max(1, lam/n)``; stop once that
    is below 1e-18 of the sum (or the multipliers underflow).
    """
    a = softmax_multipliers(m, lam, nmax)
    terms = a[K + 1:] * _dims(m, np.arange(K + 1, nmax + 1))
    rest = float(terms[-1]) * max(1.0, lam / nmax) if len(terms) else 0.0
    return terms, rest, rest <= 1e-18 * max(float(terms.sum()), 1e-300) or a[-1] == 0


@functools.lru_cache(maxsize=256)
def _float_tails(m, lam):
    """All tails ``sum_(n > K) a_n dim H_n`` for K = 0..nmax-1 at once (cached per (m, lam)),
    with an estimate of what lies beyond nmax; the bisections over D reuse them."""
    nmax = int(15 * math.sqrt(lam)) + 80  # a_n ~ e^(-n^2/(2 lam)): past 1e-18 by here
    while True:
        terms, rest, done = _tail_terms(m, lam, -1, nmax)
        if done:
            break
        nmax *= 2
    tails = np.cumsum(terms[::-1])[::-1][1:]  # tails[K] = sum of terms n >= K+1 (summed small to large)
    tails.setflags(write=False)
    return tails, rest


def _float_tail_from(m, lam, K):
    """``sum_(n > K) a_n dim H_n`` summed directly from K (far tails, below the cached range)."""
    nmax = max(K + 20, K + int(15 * math.sqrt(lam)) + 80)
    while True:
        terms, rest, done = _tail_terms(m, lam, K, nmax)
        if done:
            return float(terms.sum()) + rest
        nmax *= 2


def _dims(m, n):
    """dim H_n(S^m) for an integer array n >= 0, in float64 (exact for moderate sizes)."""
    n = np.asarray(n, dtype=float)
    if m == 1:
        return np.where(n == 0, 1.0, 2.0)
    # (2n + m - 1) (n + m - 2)! / (n! (m - 1)!) = (2n+m-1)/(m-1) * C(n+m-2, m-2)
    from scipy.special import comb

    out = (2 * n + m - 1) / (m - 1) * comb(n + m - 2, m - 2)
    return np.where(n == 0, 1.0, out)


def _bessel_tail_arb(m, lam, K, B, normalized):
    import flint

    with B.local():
        x = B.from_float(lam) if isinstance(lam, float) else B.num(lam)
        nu = B.rational(m - 1, 2)
        i_nu = x.bessel_i(nu)
        # exact terms up to N1, where the geometric remainder is safely small
        N1 = max(K + 1, int(2 * float(lam) + 10 * math.sqrt(float(lam)) + 40))
        total = flint.arb(0)
        for n in range(K + 1, N1 + 1):
            total += harmonic_dimension(m, n) * x.bessel_i(nu + n)
        # remainder: b_n = dim_n (x/2)^v e^(x^2/(4(v+1))) / Gamma(v+1), v = n + nu, n > N1;
        # b_(n+1)/b_n <= q := [(2n+m+1)/(2n+m-1)] [(n+m-1)/(n+1)] (x/2)/(v+1) at n = N1+1,
        # and each factor decreases in n, so sum_(n > N1) b_n <= b_(N1+1) / (1 - q).
        n = N1 + 1
        v = nu + n
        b = harmonic_dimension(m, n) * (x / 2) ** v * (x * x / (4 * (v + 1))).exp() / (v + 1).gamma()
        q = (flint.arb(2 * n + m + 1) / (2 * n + m - 1)) * (flint.arb(n + m - 1) / (n + 1)) * (x / 2) / (v + 1)
        if not q < 1:
            raise ArithmeticError("tail ratio bound not below 1; increase N1")
        remainder = b / (1 - q)
        total = total + flint.arb(0).union(remainder)  # the remainder lies in [0, bound]
        if normalized:
            return total / i_nu
        pref = (2 * B.pi()) ** (nu + 1) * x ** (-nu)
        return total * pref


def discretisation_bound(m, lam, rule_degree, poly_degree, sup_norm=1.0, backend="float"):
    """[toolkit] ``sup |h - S_lam p| <= 2 ||p|| (tau_(D-d) + tau_D) / (mu_0 - 2 tau_D)``.

    h is the quadrature-vMF head's prefix part for a rule exact to degree D =
    ``rule_degree`` and a polynomial p of degree d = ``poly_degree <= D``.
    Returns ``inf`` when ``2 tau_D >= mu_0`` (the rule is too coarse for lam).

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
    if get_backend(backend).name == "arb":
        import flint

        denom = 1 - 2 * t2
        if not denom > 0:
            return flint.arb("inf")
        return 2 * S * (t1 + t2) / denom
    if 2 * t2 >= 1:
        return math.inf
    return 2 * S * (t1 + t2) / (1 - 2 * t2)


def quadrature_lipschitz_bound(m, lam, rule_degree, lipschitz=1.0):
    """[toolkit] A priori bound for the quadrature-vMF head of an L-Lipschitz target.

    ``sup |h - f| <= L (pi/sqrt 2) sqrt(1 - a_1(lam) + eta_D)`` with
    ``eta_D = discretisation_bound(m, lam, D, 1)`` (proof: docs/theory/bounds).

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
class QuadratureParameters(_AsDict):
    """[toolkit] Parameters of the quadrature-vMF construction chosen from eps."""

    m: int
    eps: float
    target: str
    lam: float
    degree: int
    N: int
    smoothing_part: float
    discretisation_part: float
    error_bound: float


def _min_degree(m, lam, ok, start):
    """Smallest D >= start with ok(D), by doubling then bisection (ok is monotone)."""
    hi = max(start, 1)
    while not ok(hi):
        hi *= 2
    lo = start - 1
    while hi - lo > 1:
        mid = (lo + hi) // 2
        if mid >= start and ok(mid):
            hi = mid
        else:
            lo = mid
    return hi


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

    Examples
    --------
    >>> q = quadrature_parameters(2, 0.1)
    >>> q.error_bound <= 0.1, q.N == rule_size(2, q.degree)
    (True, True)
    """
    m = check_dimension(m)
    eps = check_positive(eps, "eps")
    L = check_positive(lipschitz, "lipschitz")
    if expansion is None:
        target_comp = (eps / (L * math.pi)) ** 2  # (pi/sqrt2) sqrt(2 c) = pi sqrt(c) <= eps/L
        lam = _solve_lambda(lambda lam: float(softmax_multipliers(m, lam, 1, one_minus=True)[1]) <= target_comp)
        comp = float(softmax_multipliers(m, lam, 1, one_minus=True)[1])
        D = _min_degree(m, lam, lambda D: discretisation_bound(m, lam, D, 1) <= comp, 2)
        bound = quadrature_lipschitz_bound(m, lam, D, L)
        smooth_part = L * math.pi / math.sqrt(2) * math.sqrt(comp)
        return QuadratureParameters(m, eps, "lipschitz", lam, D, rule_size(m, D), smooth_part,
                                    bound - smooth_part, bound)
    d = expansion.degree
    weighted = _sup_weights(expansion)
    sup_p = float(np.sum(weighted))

    def smoothing(lam):
        c = softmax_multipliers(m, lam, d, one_minus=True)
        return float(np.sum(c * weighted))

    lam = _solve_lambda(lambda lam: smoothing(lam) <= eps / 2)
    D = _min_degree(m, lam, lambda D: discretisation_bound(m, lam, D, d, sup_p) <= eps / 2, d)
    s_part, d_part = smoothing(lam), discretisation_bound(m, lam, D, d, sup_p)
    return QuadratureParameters(m, eps, "polynomial", lam, D, rule_size(m, D), s_part, d_part, s_part + d_part)


def _sup_weights(expansion):
    """``sqrt(dim H_n / A_m) ||proj_n f||_2`` per degree: each bounds ``sup |proj_n f|``
    (addition theorem and Cauchy-Schwarz), so their sum bounds ``||f||_inf``."""
    m, d = expansion.m, expansion.degree
    norms = np.asarray(expansion.norms(exact=False), dtype=float)
    return np.sqrt(_dims(m, np.arange(d + 1)) / sphere_area(m)) * norms


def expansion_sup_bound(expansion):
    """[toolkit] ``||f||_inf <= sum_n sqrt(dim H_n / A_m) ||proj_n f||_2`` for a HarmonicExpansion.

    Examples
    --------
    >>> from spherical_approx.harmonics import HarmonicExpansion, sphere_symbols
    >>> x0, x1, x2 = sphere_symbols(2)
    >>> expansion_sup_bound(HarmonicExpansion.from_polynomial(x2, 2))    # sqrt(3/(4pi)) sqrt(4pi/3) = 1
    1.0
    """
    return float(np.sum(_sup_weights(expansion)))


def _solve_lambda(ok, lo=1e-3, hi=1.0):
    """Smallest lam (to 0.1%) with ok(lam), for ok monotone in lam."""
    while not ok(hi):
        lo, hi = hi, hi * 2
        if hi > 1e15:
            raise ValueError("no lam <= 1e15 meets the requested accuracy")
    while hi / lo > 1.001:
        mid = math.sqrt(lo * hi)
        if ok(mid):
            hi = mid
        else:
            lo = mid
    return hi


# --------------------------------------------------------------------------- rigorous inequalities


@dataclass(frozen=True)
class InequalityProof(_AsDict):
    """Result of a rigorous interval check ``g(x) > 0`` on [a, b]."""

    statement: str
    interval: tuple
    proved: bool
    pieces: int
    min_lower_bound: float
    failing_piece: tuple | None = None


def prove_inequality(g, a, b, statement="g > 0", max_depth=40, dps=30):
    """Prove ``g(x) > 0`` for all x in [a, b] by bisection with arb balls.

    ``g`` maps an arb ball X to an arb ball containing ``{g(x) : x in X}``.
    Each piece is accepted when the enclosure's lower end is > 0; otherwise it
    is bisected, down to ``max_depth`` levels. The proof is rigorous: every
    point of [a, b] lies in an accepted piece.

    Examples
    --------
    >>> p = prove_inequality(lambda x: x.cos(), 0, 1.57)
    >>> p.proved, p.pieces
    (True, 1)
    >>> prove_inequality(lambda x: x.cos(), 0, 1.58).proved     # cos(pi/2) = 0
    False
    """
    import flint

    if not callable(g):
        raise TypeError(f"g must be a callable on arb balls, got {type(g).__name__}")
    for name, v in (("a", a), ("b", b)):
        if isinstance(v, bool) or not isinstance(v, (int, float, np.integer, np.floating)) or not math.isfinite(v):
            raise ValueError(f"{name} must be a finite real number, got {v!r}")
    if not a <= b:
        raise ValueError(f"the interval [a, b] = [{a}, {b}] is reversed (a > b): nothing would be proved")
    max_depth = check_int(max_depth, "max_depth")
    dps = check_int(dps, "dps", minimum=1)
    prec = int(dps * 3.33) + 10
    with flint.ctx.workprec(prec):
        stack = [(flint.arb(a), flint.arb(b), 0)]
        pieces, lowest = 0, math.inf
        while stack:
            lo, hi, depth = stack.pop()
            ball = lo.union(hi)
            val = g(ball)
            pieces += 1
            low = float(val.lower()) if val.is_finite() else -math.inf
            if low > 0:
                lowest = min(lowest, low)
                continue
            if depth >= max_depth:
                return InequalityProof(statement, (float(a), float(b)), False, pieces, low,
                                       (float(lo), float(hi)))
            mid = (lo + hi) / 2
            stack.append((mid, hi, depth + 1))
            stack.append((lo, mid, depth + 1))
    return InequalityProof(statement, (float(a), float(b)), True, pieces, lowest)


def prove_gap_inequality(constant=0.5, upper=0.5):
    """[third-party] Rigorous proof of ``cos d - cos 2d >= c d^2`` on (0, upper] (c = 1/2).

    ``cos d - cos 2d = 2 sin(3d/2) sin(d/2) = (3 d^2 / 2) sinc(3d/2) sinc(d/2)``, so
    the claim is ``3 sinc(3d/2) sinc(d/2) - 2c > 0`` on [0, upper], which arb
    proves by bisection (the sinc form removes the 0/0 at d = 0).

    Examples
    --------
    >>> prove_gap_inequality().proved
    True
    >>> prove_gap_inequality(constant=1.5).proved     # false for c = 3/2 near 0
    False
    """
    c = check_positive(constant, "constant")
    import flint

    g = lambda x: 3 * (3 * x / 2).sinc() * (x / 2).sinc() - 2 * flint.arb(c)  # noqa: E731
    return prove_inequality(g, 0, upper, f"cos d - cos 2d >= {c} d^2 for d in (0, {upper}]", max_depth=30)


def prove_cap_inequality(m, upper=0.5, constant_factor=1.0):
    """[third-party] Rigorous proof of ``|cap(d/2)| >= A_(m-1) d^m / (2 m pi^(m-1))`` on (0, upper].

    This is the inequality behind ``N <= C_m delta^-m``. Checked as
    ``R(d) = |cap(d/2)| 2 m pi^(m-1) / (A_(m-1) d^m) >= 1`` with the exact cap
    area (regularised incomplete beta in arb) on [1e-3, upper], and near 0 via
    ``R(d) >= ((pi/2) sinc(d/2))^(m-1)`` (from ``sinc`` decreasing on [0, pi]).
    For m = 1, R = 1 identically (``|cap(r)| = 2r``) and nothing is left to prove.
    ``constant_factor`` scales the claimed constant (for tests that a wrong
    constant is refuted).

    Examples
    --------
    >>> prove_cap_inequality(2).proved
    True
    """
    m = check_dimension(m)
    import flint

    k = flint.arb(constant_factor)
    if m == 1:
        # |cap(r)| = 2r exactly, so R(d) = 1 / constant_factor: prove 1 - k >= 0 exactly.
        ok = constant_factor <= 1
        return InequalityProof(f"m = 1: R(d) = {1 / constant_factor:g} >= 1", (0.0, float(upper)), ok, 1,
                               1 / constant_factor - 1)
    B = get_backend("arb", 30)

    def ratio(d):
        with B.local():
            a_prev = sphere_area(m - 1, B)
            r = d / 2
            s = r.sin()
            # |cap(r)| = (A_m / 2) I_(sin^2 r)(m/2, 1/2) for r <= pi/2 (see sphere.cap_area)
            cap = sphere_area(m, B) / 2 * (s * s).beta_lower(flint.arb(m) / 2, flint.arb(1) / 2, regularized=1)
            return cap * 2 * m * flint.arb.pi() ** (m - 1) / (a_prev * d**m) - k

    near = prove_inequality(lambda d: (flint.arb.pi() / 2 * (d / 2).sinc()) ** (m - 1) - k, 0, 1e-3,
                            "near 0", max_depth=20)
    far = prove_inequality(ratio, 1e-3, upper, "far", max_depth=30)
    proved = near.proved and far.proved
    return InequalityProof(
        f"|cap(d/2)| >= A_(m-1) d^m / (2 m pi^(m-1)) on S^{m}, d in (0, {upper}]", (0.0, float(upper)), proved,
        near.pieces + far.pieces, min(near.min_lower_bound, far.min_lower_bound),
        near.failing_piece or far.failing_piece,
    )

