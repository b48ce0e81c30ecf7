"""Test helpers shipped with the library, for our tests and for users' own checks.

In the manner of scipy.special's ``FuncData``: compare a function against an
oracle point by point and, on failure, print *every* failing point, not just
the first.

Examples
--------
>>> import numpy as np, mpmath
>>> from spherical_approx.gegenbauer import zonal_polynomial
>>> t = np.linspace(-1, 1, 7)
>>> check_against_oracle(lambda t: zonal_polynomial(2, 5, t),
...                      lambda t: mpmath.legendre(5, t), t, rtol=1e-13, label="P_5")
"""

from __future__ import annotations

import itertools

import mpmath
import numpy as np
import sympy

from .sphere import monomial_integral

__all__ = [
    "check_against_oracle",
    "random_polynomial",
    "exact_sphere_integral",
    "arb_contains",
    "zonal_oracle",
    "gegenbauer_oracle",
]


def check_against_oracle(func, oracle, points, rtol, atol=0.0, label="", dps=40):
    """Assert ``|func(p) - oracle(p)| <= atol + rtol |oracle(p)|`` at every point.

    ``func`` is called once on the whole array of points (vectorised);
    ``oracle`` is called per point inside a private mpmath context at ``dps``
    digits (the global ``mpmath.mp`` is not touched) and may return an mpf.
    On failure an ``AssertionError`` lists every failing point with both
    values and the relative error.
    """
    pts = np.asarray(points)
    got = np.asarray(func(pts), dtype=float).reshape(pts.shape[0] if pts.ndim > 1 else pts.shape)
    ctx = mpmath.MPContext()
    ctx.dps = dps
    bad = []
    for idx, p in enumerate(pts):
        ref = ctx.mpf(oracle(p))
        tol = atol + rtol * abs(ref)
        err = abs(ctx.mpf(float(got.flat[idx])) - ref)
        if not err <= tol:  # also catches NaN
            rel = err / abs(ref) if ref != 0 else ctx.inf
            bad.append(f"  {label} at {p!r}: got {got.flat[idx]!r}, expected {ctx.nstr(ref, 17)}, "
                       f"abs err {ctx.nstr(err, 3)}, rel err {ctx.nstr(rel, 3)}")
    if bad:
        raise AssertionError(f"{len(bad)} of {len(pts)} points fail (rtol={rtol}, atol={atol}):\n"
                             + "\n".join(bad))


def random_polynomial(m, degree, seed=None, variables=None, exact_degree=True):
    """A random dense sympy polynomial of total degree ``degree`` in x0..xm.

    Coefficients are small random rationals; with ``exact_degree`` at least one
    monomial of top degree has a nonzero coefficient.
    """
    rng = np.random.default_rng(seed)
    gens = variables or sympy.symbols(f"x0:{m + 1}", real=True)
    terms = []
    for d in range(degree + 1):
        for exps in _compositions(d, m + 1):
            c = sympy.Rational(int(rng.integers(-9, 10)), int(rng.integers(1, 6)))
            terms.append(c * sympy.Mul(*[g**e for g, e in zip(gens, exps)]))
    if exact_degree and degree > 0:
        terms.append(sympy.Rational(1, 3) * gens[int(rng.integers(0, m + 1))] ** degree)
    return sympy.Add(*terms)


def _compositions(total, parts):
    """All tuples of ``parts`` nonnegative integers summing to ``total``."""
    for cuts in itertools.combinations(range(total + parts - 1), parts - 1):
        prev, out = -1, []
        for c in cuts:
            out.append(c - prev - 1)
            prev = c
        out.append(total + parts - 2 - prev)
        yield tuple(out)


def exact_sphere_integral(expr, m, variables=None):
    """Exact ``int_{S^m} p d sigma`` of a sympy polynomial p in x0..xm."""
    gens = variables or sympy.symbols(f"x0:{m + 1}", real=True)
    poly = sympy.Poly(expr, *gens)
    return sympy.Add(*[sympy.sympify(c) * monomial_integral(mon) for mon, c in poly.terms()])


def arb_contains(ball, value, tol=0) -> bool:
    """True if the arb ``ball`` comes within ``tol`` of ``value`` (mpmath mpf, float or int).

    With ``tol = 0`` this is exact containment. An oracle value computed to
    finitely many digits carries its own error, so pass that error as ``tol``
    when the ball may be narrower than the oracle is accurate. The mpf is
    converted to an exact arb (mantissa times a power of two) and the distance is
    bounded below rigorously, so the test never depends on a working precision.
    """
    import flint

    # Read the binary value without rounding (mpmath.mpf() would round to the
    # global precision, 53 bits by default).
    raw = value._mpf_ if hasattr(value, "_mpf_") else mpmath.mpf(float(value))._mpf_
    sign, man, exp, bc = raw
    if man == 0 and raw != mpmath.libmp.fzero:  # inf or nan
        return False
    # 4096 guard bits: the outward rounding of the subtraction is negligible.
    with flint.ctx.workprec(bc + 4096):
        exact = flint.arb(0) if man == 0 else flint.arb(flint.fmpz((-1) ** sign * int(man))) * flint.arb(2) ** int(exp)
        gap = (ball - exact).abs_lower()
        return bool(gap <= flint.arb(tol))


def gegenbauer_oracle(n, alpha, t, dps=40):
    """Reference ``C_n^alpha(t)`` from the explicit sum, independent of the recurrence.

    ``C_n^alpha(t) = sum_k (-1)^k (alpha)_(n-k) / (k! (n-2k)!) (2t)^(n-2k)``,
    summed in a private mpmath context with 0.4 n + 20 extra digits to absorb
    the cancellation between terms; accurate to about ``dps`` digits.
    """
    ctx = mpmath.MPContext()
    ctx.dps = dps + int(0.4 * n) + 20
    t, alpha = ctx.mpf(t), ctx.mpf(alpha)
    total = ctx.mpf(0)
    for k in range(n // 2 + 1):
        total += (-1) ** k * ctx.rf(alpha, n - k) / (ctx.factorial(k) * ctx.factorial(n - 2 * k)) * (2 * t) ** (n - 2 * k)
    return total


def zonal_oracle(m, n, t, dps=40):
    """Reference value of the zonal polynomial P_n(t) of S^m, independent of the recurrence.

    m = 1: ``cos(n arccos t)``; m >= 2: :func:`gegenbauer_oracle` with
    ``nu = (m-1)/2`` divided by ``C_n^nu(1) = (2 nu)_n / n!``.
    """
    ctx = mpmath.MPContext()
    ctx.dps = dps + int(0.4 * n) + 20
    if m == 1:
        return ctx.cos(n * ctx.acos(ctx.mpf(t)))
    nu = ctx.mpf(m - 1) / 2
    return ctx.mpf(gegenbauer_oracle(n, nu, t, dps)) / (ctx.rf(2 * nu, n) / ctx.factorial(n))
