"""Gegenbauer, Chebyshev, Legendre and zonal polynomials from one recurrence.

Every family here satisfies a three-term recurrence

    P_0 = 1,   P_1 = c t,   P_k = a_k t P_{k-1} - b_k P_{k-2}   (k >= 2)

with rational coefficients. :func:`three_term` runs it once over the number
system of a backend (see :mod:`spherical_approx.arith`): exact rationals or a
sympy symbol (giving the polynomial itself), mpmath numbers, arb balls, or
float64 arrays evaluated elementwise. The families are thin wrappers that
supply ``c, a_k, b_k``, in the manner of sympy's ``polys/orthopolys.py``.

The zonal polynomial of S^m is normalised by ``P_n(1) = 1`` [classical]:
``P_n = C_n^nu / C_n^nu(1)`` with ``nu = (m-1)/2`` for m >= 2 and ``P_n = T_n``
for m = 1. Dividing the Gegenbauer recurrence by ``C_k^nu(1)`` gives one
recurrence valid for every m >= 1,

    P_k = ((2k + m - 3) t P_{k-1} - (k - 1) P_{k-2}) / (k + m - 2),

whose values stay in [-1, 1] on [-1, 1]; forward evaluation is stable to
degree well beyond 1000 in float64.
"""

from __future__ import annotations

import functools
import math
from fractions import Fraction

import numpy as np
import sympy

from ._validate import check_dimension, check_int
from .arith import ArbBackend, FloatBackend, get_backend

__all__ = [
    "three_term",
    "gegenbauer",
    "chebyshev_t",
    "legendre",
    "zonal_polynomial",
    "zonal_polynomials",
    "zonal_recurrence",
]


def _coerce(t, B):
    """Bring ``t`` into the ring of backend ``B``; return (value, finish)."""
    if isinstance(t, sympy.Basic) and t.free_symbols:  # the polynomials themselves (exact backend)
        B.convert(t)  # refused by every inexact backend
        poly = sympy.Poly(t, *sorted(t.free_symbols, key=str))
        return poly, lambda p: p.as_expr() if isinstance(p, sympy.Poly) else p
    return B.convert_array(t), lambda v: v


def three_term(n, t, c1, coeff, backend="float", dps=None):
    """All values ``P_0(t), ..., P_n(t)`` of a three-term recurrence.

    Parameters
    ----------
    n : int
        Highest degree (>= 0).
    t : number, array, or sympy expression
        Where to evaluate; a sympy symbol with ``backend="exact"`` gives the
        polynomials themselves.
    c1 : rational
        ``P_1 = c1 * t``.
    coeff : callable
        ``coeff(k) -> (a_k, b_k)`` as exact rationals (int or Fraction) for k >= 2.
    backend, dps
        See :func:`spherical_approx.arith.get_backend`.

    Returns
    -------
    list
        ``[P_0(t), ..., P_n(t)]`` in the backend's number type.

    Examples
    --------
    Chebyshev polynomials T_0..T_3 as exact polynomials:

    >>> import sympy
    >>> x = sympy.Symbol("x")
    >>> three_term(3, x, 1, lambda k: (2, 1), backend="exact")
    [1, x, 2*x**2 - 1, 4*x**3 - 3*x]
    """
    n = check_int(n, "n")
    B = get_backend(backend, dps)
    # Ball arithmetic widens the recurrence by up to (1 + sqrt 2) per step on
    # [-1, 1] (it cannot see that the errors cancel), log10(1 + sqrt 2) = 0.38 digits a
    # step: the arb backend starts with that many guard digits and escalates further
    # until the balls are as tight as requested.
    return B.tightened(lambda C: _run_recurrence(n, t, c1, coeff, C), _tight, int(0.4 * n) + 10, 8 * n + 100,
                       first_extra=int(0.4 * n) + 10)


def _run_recurrence(n, t, c1, coeff, B):
    with B.local():
        tv, finish = _coerce(t, B)
        one = tv * 0 + 1 if not isinstance(tv, sympy.Poly) else sympy.Poly(1, *tv.gens)
        vals = [one]
        if n >= 1:
            vals.append(tv * B.convert(c1))
        for k in range(2, n + 1):
            a, b = coeff(k)
            vals.append(tv * vals[-1] * B.convert(a) - vals[-2] * B.convert(b))
        return [finish(v) for v in vals]


def _tight(vals, dps) -> bool:
    """True when every ball has radius <= 10^-dps * max(1, |midpoint|)."""
    tol = 10.0 ** (-dps)
    bits = math.ceil(dps * math.log2(10))  # relative accuracy that implies the test (one call)
    for v in vals:
        for ball in v.ravel() if isinstance(v, np.ndarray) else (v,):
            if ball.rel_accuracy_bits() >= bits:
                continue
            if not ball.is_finite() or float(ball.rad()) > tol * max(1.0, abs(float(ball.mid()))):
                return False
    return True


def _alpha(alpha):
    if isinstance(alpha, (float, np.floating)):
        return Fraction(float(alpha))
    return Fraction(alpha) if not isinstance(alpha, sympy.Rational) else Fraction(int(alpha.p), int(alpha.q))


def gegenbauer(n, alpha, t, backend="float", dps=None):
    """Gegenbauer polynomial ``C_n^alpha(t)`` for ``alpha > -1/2``, ``alpha != 0``.

    Uses ``k C_k = 2(k + alpha - 1) t C_{k-1} - (k + 2 alpha - 2) C_{k-2}``.

    Parameters
    ----------
    n : int
        Degree, >= 0.
    alpha : rational or float
        The parameter, > -1/2 and nonzero.
    t : number, array or sympy expression
        Where to evaluate.
    backend : {"float", "mp", "arb", "exact"} or Backend
        The number system (see :func:`spherical_approx.arith.get_backend`).
    dps : int, optional
        Decimal digits for "mp" and "arb".

    Returns
    -------
    number, array or sympy expression
        ``C_n^alpha(t)``.

    Examples
    --------
    >>> import sympy
    >>> gegenbauer(2, sympy.Rational(3, 2), sympy.Symbol("t"), backend="exact")
    15*t**2/2 - 3/2
    >>> round(float(gegenbauer(3, 1.5, 0.3)), 12)   # (35 t^3 - 15 t) / 2
    -1.7775
    """
    n = check_int(n, "n")
    al = _alpha(alpha)
    if al <= Fraction(-1, 2) or al == 0:
        raise ValueError(f"alpha must be > -1/2 and nonzero (use chebyshev_t for 0), got {alpha!r}")
    return _gegenbauer_value(get_backend(backend, dps), n, al, t)


@functools.singledispatch
def _gegenbauer_value(B, n, al, t):
    vals = three_term(n, t, 2 * al, lambda k: (Fraction(2 * (k + al - 1), k), Fraction(k + 2 * al - 2, k)), B)
    return vals[n]


@_gegenbauer_value.register
def _(B: ArbBackend, n, al, t):
    # flint's own C_n^alpha (arb_hypgeom_gegenbauer_c): rigorous, and no Python-level recurrence
    return _native(B, t, lambda x, C: x.gegenbauer_c(n, C.convert(al)), int(0.4 * n) + 10, 8 * n + 100)


def _native(B, t, value, extra, max_extra):
    """``value(x, C)`` at every point of t (a number, or an array of them) with flint's native
    functions, at the precision of backend C, tightened like :func:`three_term`."""
    def compute(C):
        with C.local():
            tv = B.convert_array(t)
            if isinstance(tv, np.ndarray):
                return np.frompyfunc(lambda x: value(x, C), 1, 1)(tv)
            return value(tv, C)

    return B.tightened(lambda C: [compute(C)], _tight, extra, max_extra)[0]


def chebyshev_t(n, t, backend="float", dps=None):
    """Chebyshev polynomial of the first kind ``T_n(t)``.

    Parameters
    ----------
    n : int
        Degree, >= 0.
    t : number, array or sympy expression
        Where to evaluate.
    backend : {"float", "mp", "arb", "exact"} or Backend
        The number system (see :func:`spherical_approx.arith.get_backend`).
    dps : int, optional
        Decimal digits for "mp" and "arb".

    Returns
    -------
    number, array or sympy expression
        ``T_n(t)`` in the backend's number type.

    Examples
    --------
    >>> float(chebyshev_t(5, 0.5))   # cos(5 pi / 3)
    0.5
    """
    return zonal_polynomial(1, n, t, backend, dps)


def legendre(n, t, backend="float", dps=None):
    """Legendre polynomial ``P_n(t)`` (the zonal polynomial of S^2).

    Parameters
    ----------
    n : int
        Degree, >= 0.
    t : number, array or sympy expression
        Where to evaluate.
    backend : {"float", "mp", "arb", "exact"} or Backend
        The number system (see :func:`spherical_approx.arith.get_backend`).
    dps : int, optional
        Decimal digits for "mp" and "arb".

    Returns
    -------
    number, array or sympy expression
        ``P_n(t)``.

    Examples
    --------
    >>> import sympy
    >>> legendre(2, sympy.Symbol("t"), backend="exact")
    3*t**2/2 - 1/2
    """
    return zonal_polynomial(2, n, t, backend, dps)


def _zonal_coeff(m):
    return lambda k: (Fraction(2 * k + m - 3, k + m - 2), Fraction(k - 1, k + m - 2))


def _chebyshev_float(nmax, t):
    """T_0..T_nmax in float64 as cos(k theta), theta = 2 atan2(sqrt(1-t), sqrt(1+t)).

    Near t = +-1 the forward recurrence loses ~n^2 eps (2.8e-12 at n = 1000);
    the angle form loses only ~n theta eps. Used on [-1, 1] only.
    """
    theta = 2.0 * np.arctan2(np.sqrt(1.0 - t), np.sqrt(1.0 + t))
    k = np.arange(nmax + 1).reshape((-1,) + (1,) * np.ndim(t))
    return np.cos(k * theta)


def zonal_polynomials(m, nmax, t, backend="float", dps=None):
    """Zonal polynomials ``P_0..P_nmax`` of S^m at ``t`` (normalised ``P_n(1) = 1``).

    Parameters
    ----------
    m : int
        Sphere dimension, m >= 1.
    nmax : int
        Highest degree, >= 0.
    t : number, array or sympy expression
        Points in [-1, 1] (any real value is accepted; the polynomial is evaluated).
    backend : {"float", "mp", "arb", "exact"} or Backend
        The number system (see :func:`spherical_approx.arith.get_backend`).
    dps : int, optional
        Decimal digits for "mp" and "arb".

    Returns
    -------
    list or ndarray
        For ``backend="float"`` an array of shape ``(nmax + 1,) + shape(t)``;
        otherwise a list of backend numbers (or expressions).

    Examples
    --------
    >>> zonal_polynomials(3, 3, 0.5)      # U_n(t)/(n+1) on S^3
    array([ 1.  ,  0.5 ,  0.  , -0.25])
    """
    m = check_dimension(m)
    nmax = check_int(nmax, "nmax")
    return _zonal_polynomials(get_backend(backend, dps), m, nmax, t)


@functools.singledispatch
def _zonal_polynomials(B, m, nmax, t):
    return B.stack(three_term(nmax, t, 1, _zonal_coeff(m), B))


@_zonal_polynomials.register
def _(B: FloatBackend, m, nmax, t):
    if m == 1:
        tf = np.asarray(t, dtype=float)
        if np.all(np.abs(tf) <= 1.0):  # (NaN fails this test and goes to the checks in three_term)
            return _chebyshev_float(nmax, tf)
    return B.stack(three_term(nmax, t, 1, _zonal_coeff(m), B))


@_zonal_polynomials.register
def _(B: ArbBackend, m, nmax, t):
    tv = B.convert_array(t)
    if isinstance(tv, np.ndarray):  # arrays: the recurrence, elementwise
        return B.stack(three_term(nmax, t, 1, _zonal_coeff(m), B))
    # one argument: the three-term recurrence over arb scalars with its coefficients cached as
    # flint rationals (no conversion per step); ball arithmetic cannot see cancellation, so the
    # precision escalates until every ball is tight
    return B.tightened(lambda C: _zonal_arb(C, m, nmax, t), _tight, int(0.4 * nmax) + 10, 8 * nmax + 100,
                       first_extra=10)


@functools.lru_cache(maxsize=32)
def _zonal_fmpq(m, nmax):
    """The recurrence's coefficients as flint rationals: ``P_n = a_n t P_(n-1) - b_n P_(n-2)``."""
    import flint

    coeff = _zonal_coeff(m)  # the same Fractions as the other backends' recurrence
    return [None, None] + [tuple(flint.fmpq(x.numerator, x.denominator) for x in coeff(n)) for n in range(2, nmax + 1)]


def _zonal_arb(B, m, nmax, t):
    """P_0..P_nmax of S^m at one number t in arb: ``(n + m - 2) P_n = (2n + m - 3) t P_(n-1) -
    (n - 1) P_(n-2)`` [classical, DLMF 18.9.1 normalised by P_n(1) = 1]. 4-5x faster than the
    generating function's power series (a series square root on S^2) it replaces."""
    import flint

    coeffs = _zonal_fmpq(m, nmax)
    with B.local():
        tv = B.convert(t)
        vals = [flint.arb(1), tv]
        for n in range(2, nmax + 1):
            a, b = coeffs[n]
            vals.append(tv * vals[-1] * a - vals[-2] * b)
        return vals[:nmax + 1]


def zonal_recurrence(m, nmax, t, B):
    """``P_0(t), ..., P_nmax(t)`` of S^m for a number ``t`` of backend ``B``, in one pass.

    Unlike :func:`zonal_polynomials` the precision is not escalated: this is the
    building block for integrands evaluated at many points (mpf, arb or acb).

    Parameters
    ----------
    m : int
        Sphere dimension, m >= 1.
    nmax : int
        Highest degree.
    t : backend number
        The argument (already converted to ``B``).
    B : Backend
        The number system.

    Returns
    -------
    list
        The values ``[P_0(t), ..., P_nmax(t)]``.

    Examples
    --------
    >>> from spherical_approx.arith import get_backend
    >>> [float(v) for v in zonal_recurrence(2, 2, 0.5, get_backend("float"))]
    [1.0, 0.5, -0.125]
    """
    return _run_recurrence(nmax, t, 1, _zonal_coeff(m), B)


def zonal_polynomial(m, n, t, backend="float", dps=None):
    """Zonal polynomial ``P_n(t)`` of S^m with ``P_n(1) = 1``.

    For m = 1 this is ``T_n``; for m = 2 Legendre; in general
    ``C_n^nu(t) / C_n^nu(1)`` with ``nu = (m-1)/2``.

    Parameters
    ----------
    m : int
        Sphere dimension, m >= 1.
    n : int
        Degree, >= 0.
    t : number, array or sympy expression
        Where to evaluate.
    backend : {"float", "mp", "arb", "exact"} or Backend
        The number system (see :func:`spherical_approx.arith.get_backend`).
    dps : int, optional
        Decimal digits for "mp" and "arb".

    Returns
    -------
    number, array or sympy expression
        ``P_n(t)``.

    Examples
    --------
    >>> import sympy
    >>> zonal_polynomial(4, 2, sympy.Symbol("t"), backend="exact")
    5*t**2/4 - 1/4
    >>> float(zonal_polynomial(2, 1000, 1.0))
    1.0
    """
    n = check_int(n, "n")
    m = check_dimension(m)
    return _zonal_value(get_backend(backend, dps), m, n, t)


@functools.singledispatch
def _zonal_value(B, m, n, t):
    return _zonal_polynomials(B, m, n, t)[n]


@_zonal_value.register
def _(B: ArbBackend, m, n, t):
    if isinstance(t, sympy.Basic) and t.free_symbols:
        B.convert(t)  # refused with the backend's message
    if m == 1:
        return _native(B, t, lambda x, C: x.chebyshev_t(n), int(0.4 * n) + 10, 8 * n + 100)
    if m == 2:
        return _native(B, t, lambda x, C: x.legendre_p(n, 0), int(0.4 * n) + 10, 8 * n + 100)
    # C_n^nu(t) / C_n^nu(1) with nu = (m - 1)/2 and C_n^nu(1) = (2 nu)_n / n!, an exact rational
    nu = Fraction(m - 1, 2)
    at_one = Fraction(math.prod(range(m - 1, m - 1 + n)), math.factorial(n))
    return _native(B, t, lambda x, C: x.gegenbauer_c(n, C.convert(nu)) / C.convert(at_one),
                   int(0.4 * n) + 10, 8 * n + 100)
