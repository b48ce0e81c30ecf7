"""Float64 arrays with rigorous outward error margins (used by :mod:`spherical_approx.certify`).

Only IEEE 754 round-to-nearest is assumed: ``fl(x op y) = (x op y)(1 + e)`` with
``|e| <= U = 2^-53`` for + - * / and sqrt [classical], for results in the normal range (the
certifier runs with numpy's underflow check raising; :func:`exp_bounds` never leaves that
range: its smallest product is above 3e-305). numpy's ``exp`` is *not* trusted
(it is not correctly rounded); :func:`exp_bounds` builds exp from tables of arb
enclosures and float products with explicit margins. The proofs are in
``docs/theory/certify.rst`` (section "Float enclosures").

Examples
--------
>>> import numpy as np
>>> lo, hi = exp_bounds(np.array([-1.0, 0.0, 2.5]))
>>> bool(np.all(lo <= np.exp([-1.0, 0.0, 2.5]))), bool(np.all(np.exp([-1.0, 0.0, 2.5]) <= hi))
(True, True)
>>> float(hi[1] / lo[1] - 1) < 1e-8
True
"""

from __future__ import annotations

import functools

import numpy as np

from .rounding import unit_roundoff

U = unit_roundoff(np.float64)  # 2^-53
_BITS = 13  # bits per table: exp(x_q) = E0[int] E1[j 2^-13] E2[k 2^-26], then 1 + r for the rest
_LEVELS = 2
_STEP = 2.0 ** (-_LEVELS * _BITS)  # quantisation of the argument
_X_MIN, _X_MAX = -700, 700  # below: exp in [0, E0[-700]]; above: inf (no overflow guessing)


#: Working digits of the arb values behind the tables (130 bits).
_TABLE_DPS = 29


@functools.lru_cache(maxsize=1)
def _tables():
    """(lo, hi) float tables whose entries enclose exp at the table points (from arb at 130 bits)."""
    import flint

    from .arith import get_backend

    def enclose(points):
        lo, hi = np.empty(len(points)), np.empty(len(points))
        with get_backend("arb", _TABLE_DPS).local():
            for i, p in enumerate(points):
                e = flint.arb(p).exp()
                # float() of an endpoint rounds to nearest; one extra ulp outward makes it a bound
                lo[i] = np.nextafter(float(e.lower()), 0.0)
                hi[i] = np.nextafter(float(e.upper()), np.inf)
        return lo, hi

    ints = enclose(range(_X_MIN, _X_MAX + 1))
    fracs = [enclose([j * 2.0 ** (-_BITS * level) for j in range(2**_BITS)]) for level in range(1, _LEVELS + 1)]
    return ints, fracs


def exp_bounds(x):
    """Arrays ``lo <= exp(x) <= hi`` (elementwise) for a float array x.

    ``x_q = floor(x / 2^-26) 2^-26`` is exact and ``x_q <= x < x_q + 2^-26``; exp(x_q) is a
    product of three table entries (integer part and two 13-bit fractions), and the rest
    ``r = x - x_q`` (computed with one rounding) enters as ``1 + r``: ``1 + r <= e^r <=
    (1 + r)(1 + 2^-52)``. The float products and the roundings of r and 1 + r err by at most
    ``(1 + U)^6``; the factors ``1 -+ 2^-48`` cover that. Relative width about 1e-14.
    Below -700 the lower bound is 0; above 700 the upper bound is inf.
    """
    x = np.asarray(x, dtype=float)
    (ilo, ihi), ((flo1, fhi1), (flo2, fhi2)) = _tables()
    xs = np.where(np.isnan(x), 0.0, x)  # nan is answered [0, inf] below
    xs = np.minimum(np.maximum(xs, _X_MIN), _X_MAX + 1)
    n = np.floor(xs / _STEP)  # exact: scaling by 2^26 and floor, |n| < 2^36
    i = np.floor(n * _STEP)
    rest = (n - i / _STEP).astype(np.int64)  # in [0, 2^26)
    k = np.minimum((i - _X_MIN).astype(np.int64), len(ilo) - 1)
    j1, j2 = rest >> _BITS, rest & (2**_BITS - 1)
    one_r = 1.0 + (xs - n * _STEP)  # 1 + r, r in [0, 2^-26], two roundings
    lo = ilo[k] * flo1[j1] * flo2[j2] * one_r * (1 - 2.0**-48)
    hi = ihi[k] * fhi1[j1] * fhi2[j2] * one_r * (1 + 2.0**-48)
    below, above = x < _X_MIN, (x > _X_MAX) | np.isnan(x)
    lo = np.where(below | above, 0.0, lo)
    hi = np.where(below, ihi[0], np.where(above, np.inf, hi))
    return lo, hi


def sum_upper(a):
    """An upper bound of the exact sum of a nonnegative float array (any summation order).

    ``|fl(sum) - sum| <= gamma_(n-1) sum`` with ``gamma_n = n U / (1 - n U)`` [classical,
    Higham 2002, (4.4)]; the factor ``1 + 4(n+1)U`` and the rounding of that product
    stay above it while ``n U < 0.01``, which holds for any array that fits in memory.
    """
    a = np.asarray(a, dtype=float)
    n = a.size
    return float(a.sum()) * (1 + 4 * (n + 1) * U)


def sum_lower(a):
    """A lower bound of the exact sum of a nonnegative float array (see :func:`sum_upper`)."""
    a = np.asarray(a, dtype=float)
    n = a.size
    return float(a.sum()) * (1 - 4 * (n + 1) * U)


def minus_bounds(x, c):
    """``lo <= x - c <= hi`` for float x (array) and c: the rounding of x - c and of the margin."""
    t = np.asarray(x, dtype=float) - c
    m = 2.0**-50 * (np.abs(x) + abs(c))
    return t - m, t + m
