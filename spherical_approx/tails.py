"""[toolkit] Bessel tails of the softmax kernel: ``tau_K(lam) = sum_(n > K) mu_n(lam) dim H_n``.

The discretisation error of a quadrature head is bounded by these tails
(docs/theory/bounds). Float64 sums them past the peak ``n ~ lam``; "arb"
encloses them rigorously, with a geometric bound of the remainder from
``I_v(x) <= (x/2)^v e^(x^2/(4(v+1))) / Gamma(v+1)`` [classical].
"""

from __future__ import annotations

import functools
import math

import numpy as np

from ._validate import check_dimension, check_int
from .arith import ArbBackend, FloatBackend, get_backend
from .harmonics import harmonic_dimension, harmonic_dimensions
from .kernels import check_lambda, softmax_multipliers

__all__ = ["bessel_tail"]


def bessel_tail(m, lam, K, backend="float", dps=None, normalized=True):
    """[toolkit] ``tau_K(lam) = sum_(n > K) mu_n(lam) dim H_n`` (divided by ``mu_0`` by default).

    Normalised, ``tau_K / mu_0 = sum_(n > K) a_n(lam) dim H_n`` never overflows.
    Float: summed until the terms are below 1e-18 of the sum, beyond the peak
    ``n ~ lam``. "arb": a rigorous ball: the terms up to some N1 exactly, plus
    the geometric bound of the remainder from
    ``I_v(x) <= (x/2)^v e^(x^2/(4(v+1))) / Gamma(v+1)`` [classical].

    Parameters
    ----------
    m : int
        Sphere dimension, m >= 1.
    lam : float
        Softmax inverse temperature lambda > 0.
    K : int
        The tail starts after degree K.
    backend : {"float", "mp", "arb", "exact"} or Backend
        The number system (see :func:`spherical_approx.arith.get_backend`).
    dps : int, optional
        Decimal digits for "mp" and "arb".
    normalized : bool
        Divide by ``mu_0(lam)``.

    Returns
    -------
    float or flint.arb
        The tail (a ball for "arb").

    See Also
    --------
    spherical_approx.bounds.discretisation_bound : The bound built from these tails.
    spherical_approx.kernels.softmax_multipliers : The a_n(lam) summed here.

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
    return _bessel_tail(get_backend(backend, dps), m, lam, K, normalized)


@functools.singledispatch
def _bessel_tail(B, m, lam, K, normalized):
    raise ValueError("bessel_tail supports backend 'float' and 'arb'")


@_bessel_tail.register
def _(B: FloatBackend, m, lam, K, normalized):
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


@_bessel_tail.register
def _(B: ArbBackend, m, lam, K, normalized):
    return _bessel_tail_arb(m, lam, K, B, normalized)


def _tail_terms(m, lam, K, nmax):
    """``a_n dim H_n`` for n = K+1..nmax, and whether the sum may stop at nmax.

    Beyond the peak the terms fall at least geometrically with ratio about
    ``e^(-n/lam)``, so the rest is at most ``last * max(1, lam/n)``; stop once that
    is below 1e-18 of the sum (or the multipliers underflow).
    """
    a = softmax_multipliers(m, lam, nmax)
    terms = a[K + 1:] * harmonic_dimensions(m, np.arange(K + 1, nmax + 1))
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


def _bessel_tail_arb(m, lam, K, B, normalized):
    import flint

    with B.local():
        x = B.convert(lam)
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
