"""Modified Bessel functions I_v(x) in float64, in logarithms, for every order and argument.

The softmax kernel's Funk-Hecke coefficients are Bessel functions
``I_(n+nu)(lam)`` (docs/theory/kernels), which overflow float64 past lam ~ 700
and underflow for orders far above lam. This module computes them as
logarithms of the scaled function ``ive(v, x) = e^-x I_v(x)``: scipy's ``ive``
where it is representable, the Hankel expansion where lam >> v^2 (where scipy
returns NaN past lam ~ 1e10), the uniform (Debye) expansion for large orders,
and the stable backward ratio recurrence beyond. Arbitrary-precision and
rigorous Bessel values come from the backends (:meth:`Backend.besseli`).
"""

from __future__ import annotations

import math

import numpy as np
import scipy.special as sc

__all__ = ["hankel_regime", "hankel_deficit", "log_ive_orders", "log_bessel_i"]

_TINY = 1e-280


def hankel_regime(v, x):
    """True where the Hankel expansion of ive(v, x) converges to double precision.

    Parameters
    ----------
    v : float or ndarray
        Orders.
    x : float
        The argument, > 0.

    Returns
    -------
    ndarray of bool
        Where the expansion is accurate.
    """
    return np.asarray(x >= 8.0 * np.asarray(v, dtype=float) ** 2 + 50.0)


def hankel_deficit(v, x):
    """``D = 1 - sqrt(2 pi x) ive(v, x)`` by the Hankel expansion, without cancellation.

    ``sqrt(2 pi x) e^-x I_v(x) ~ sum_k (-1)^k a_k(v) / x^k`` with
    ``a_k = prod_{j<=k} (4v^2 - (2j-1)^2) / (k! 8^k)`` [classical]; for
    ``x >= 8 v^2 + 50`` the terms fall by 1/16 or faster until far beyond
    k = 40, so the sum is accurate to rounding. Vectorised over v.

    Parameters
    ----------
    v : float or ndarray
        Orders.
    x : float
        The argument, > 0.

    Returns
    -------
    float or ndarray
        ``D`` for each order.
    """
    mu = 4.0 * np.asarray(v, dtype=float) ** 2
    term = np.ones_like(mu)
    deficit = np.zeros_like(mu)
    for k in range(1, 200):
        term = term * (-(mu - (2 * k - 1) ** 2) / (8.0 * k * x))
        deficit = deficit - term
        if np.all(np.abs(term) <= 1e-18 * np.maximum(np.abs(deficit), 1e-300)):
            break
    return deficit if deficit.ndim else float(deficit)


def _log_ive_debye(v, x):
    """log ive(v, x) by the uniform (Debye) expansion, two correction terms (v large)."""
    z = x / v
    sq = np.sqrt(1 + z * z)
    p = 1 / sq
    u1 = (3 * p - 5 * p**3) / 24
    u2 = (81 * p**2 - 462 * p**4 + 385 * p**6) / 1152
    return (v / (sq + z) + v * np.log(z / (1 + sq)) - 0.5 * np.log(2 * np.pi * v)
            - 0.5 * np.log(sq) + np.log1p(u1 / v + u2 / v**2))


def _log_ive(orders, x):
    """log ive(v, x) for each order; -inf marks 'underflows, use the ratio recurrence'."""
    orders = np.asarray(orders, dtype=float)
    out = np.full(len(orders), -np.inf)
    hank = hankel_regime(orders, x)
    if hank.any():
        out[hank] = np.log1p(-hankel_deficit(orders[hank], x)) - 0.5 * math.log(2 * math.pi * x)
    rest = ~hank
    if rest.any():
        with np.errstate(under="ignore"):
            e = sc.ive(orders[rest], x)
        idx = np.flatnonzero(rest)
        ok = np.isfinite(e) & (e > _TINY)
        out[idx[ok]] = np.log(e[ok])
        nan = ~np.isfinite(e)  # scipy gives NaN for very large x
        if nan.any():
            out[idx[nan]] = _log_ive_debye(orders[idx[nan]], x)
    return out


def log_bessel_i(nu, nmax, lam):
    """``log I_(nu+n)(lam)`` for n = 0..nmax in float64 (see :func:`log_ive_orders`).

    Parameters
    ----------
    nu : float
        The first order, >= 0.
    nmax : int
        Highest degree, >= 0.
    lam : float
        Softmax inverse temperature lambda > 0.

    Returns
    -------
    ndarray
        ``log I_(nu+n)(lam)``, n = 0..nmax.
    """
    return log_ive_orders(nu, nmax, lam) + lam


def log_ive_orders(nu, nmax, lam):
    """``log ive(nu+n, lam)`` for n = 0..nmax, for lam > 0, without overflow/underflow.

    Uses scipy's ive (or the Hankel expansion for lam >> order^2, where scipy's
    ive returns NaN beyond lam ~ 1e10) while ive is representable; beyond that,
    the ratios ``r_v = I_(v+1)/I_v`` from the backward recurrence
    ``r_(v-1) = 1/(2v/lam + r_v)``, which is stable there (the ratios are small,
    so errors are damped). Kept in the scaled form so that differences of these
    logarithms do not lose digits to the size of lam.

    Parameters
    ----------
    nu : float
        The first order, >= 0.
    nmax : int
        Highest degree, >= 0.
    lam : float
        Softmax inverse temperature lambda > 0.

    Returns
    -------
    ndarray
        ``log ive(nu+n, lam)``, n = 0..nmax.
    """
    out = _log_ive(nu + np.arange(nmax + 1), lam)
    good = np.isfinite(out)
    if good.all():
        return out
    first_bad = int(np.argmin(good))
    if first_bad == 0:
        # even ive(nu) underflows (lam tiny): series log I_v(x) ~ v log(x/2) - lgamma(v+1)
        out[0] = nu * math.log(lam / 2) - math.lgamma(nu + 1) + math.log1p(lam * lam / (4 * (nu + 1))) - lam
        first_bad = 1
    # Ratios r_k = I_(nu+k+1) / I_(nu+k) by the backward recurrence
    # r_(k-1) = 1 / (2 (nu+k) / lam + r_k), started far above nmax with an
    # Amos-type estimate; in this regime (order >> lam) the ratios are small and
    # the start error is damped by a factor ~r^2 per step.
    k_top = nmax + 40 + int(2 * math.sqrt(lam))
    v = nu + k_top
    r = lam / (v + 0.5 + math.sqrt((v + 0.5) ** 2 + lam * lam))
    ratios = np.empty(k_top)
    for k in range(k_top, 0, -1):
        r = 1.0 / (2 * (nu + k) / lam + r)
        ratios[k - 1] = r
    for k in range(first_bad, nmax + 1):
        out[k] = out[k - 1] + math.log(ratios[k - 1])
    return out
