"""Zonal kernels on S^m: Funk-Hecke coefficients, the softmax (von Mises-Fisher)
kernel, its smoothing operator and the distance law it induces.

Facts used (proved or referenced in docs/theory/kernels.rst):

* Funk-Hecke [classical]: for ``phi`` on [-1, 1] and ``Y`` in H_n,
  ``int phi(<x,y>) Y(y) d sigma(y) = mu_n[phi] Y(x)`` with
  ``mu_n[phi] = A_(m-1) int_0^pi phi(cos t) P_n(cos t) sin^(m-1) t dt``
  (the substitution ``t = cos theta`` of the theory page's form; the integrand is then
  smooth at both ends, which quadrature and arb's rigorous integration need).
* Softmax kernel [classical]: ``mu_n(lam) = (2 pi)^(nu+1) lam^(-nu) I_(n+nu)(lam)``,
  ``nu = (m-1)/2``.
* Smoothing [classical]: ``S_lam f = int e^(lam <x,y>) f(y) d sigma(y) / mu_0(lam)``
  acts on H_n by ``a_n(lam) = I_(n+nu)(lam) / I_nu(lam)``.
* Distance law [classical]: with y distributed as ``e^(lam <x,y>) / mu_0`` the angle
  ``Theta = d(x, y)`` has density ``A_(m-1) e^(lam cos t) sin^(m-1) t / mu_0(lam)``
  and ``E[cos Theta] = a_1(lam)``.

Float evaluation never overflows: it works with exponentially scaled Bessel
functions (``scipy.special.ive``), ratios, and logarithms.
"""

from __future__ import annotations

import functools
import math

import numpy as np
import scipy.integrate as si
import sympy

from ._validate import check_dimension, check_int, check_positive
from .arith import ArbBackend, ExactBackend, FloatBackend, MpBackend, get_backend
from .bessel import hankel_deficit, hankel_regime, log_bessel_i, log_ive_orders
from .gegenbauer import zonal_polynomials, zonal_recurrence
from .harmonics import HarmonicExpansion
from .sphere import sphere_area

__all__ = [
    "funk_hecke_coefficients",
    "softmax_funk_hecke",
    "softmax_multipliers",
    "smooth",
    "distance_density",
    "expected_cos_distance",
    "expected_distance",
    "expected_modulus",
]

# ive values below this are treated as underflowed; ratios switch to logarithms.


def check_lambda(lam, name="lam", allow_zero=True):
    """A finite real concentration lam >= 0; exact rationals are returned unchanged."""
    check_positive(lam, name, allow_zero=allow_zero)
    return lam


# --------------------------------------------------------------------------- Funk-Hecke


def funk_hecke_coefficients(phi, m, nmax, backend="mp", dps=None, breakpoints=()):
    """Funk-Hecke coefficients ``mu_0[phi] .. mu_nmax[phi]`` of a zonal kernel by quadrature.

    ``mu_n[phi] = A_(m-1) int_0^pi phi(cos t) P_n(cos t) sin^(m-1) t dt``.

    Parameters
    ----------
    phi : callable or sympy expression
        The kernel profile on [-1, 1]. A callable receives backend numbers
        (mpf for "mp", acb for "arb", float arrays for "float"); a sympy
        expression in one symbol is converted for each backend.
    m : int
        Sphere dimension.
    nmax : int
        Highest degree.
    backend : {"mp", "arb", "float"}
        "mp": Gauss-Legendre at ``dps`` digits (node count doubled until two
        levels agree), all degrees from one pass over the nodes; "arb":
        python-flint's rigorous integration (the result is a ball that
        contains the true value; phi must be analytic near [0, pi] after the
        substitution); "float": scipy's adaptive quadrature (absolute accuracy
        ~1e-14 times the integral of ``|phi|``).
    breakpoints : sequence of float
        Extra angles in (0, pi) at which to split the integral ("mp", "float"),
        e.g. multiples of ``lam^(-1/2)`` for a peaked kernel ``e^(lam t)``.
    dps : int, optional
        Decimal digits for "mp" and "arb".

    Returns
    -------
    list
        ``[mu_0, ..., mu_nmax]`` in the backend's number type.

    Examples
    --------
    >>> import mpmath, sympy
    >>> t = sympy.Symbol("t")
    >>> mu = funk_hecke_coefficients(sympy.exp(2 * t), 2, 2, dps=20)
    >>> ref = softmax_funk_hecke(2, 2, 2, backend="mp", dps=20)
    >>> [mpmath.nstr(a - b, 3) for a, b in zip(mu, ref)]
    ['0.0', '0.0', '0.0']
    """
    m = check_dimension(m)
    nmax = check_int(nmax, "nmax")
    return _funk_hecke(get_backend(backend, dps), phi, m, nmax, breakpoints)


@functools.singledispatch
def _funk_hecke(B, phi, m, nmax, breakpoints):
    raise ValueError("funk_hecke_coefficients integrates numerically: use backend 'mp', 'arb' or 'float'")


@_funk_hecke.register
def _(B: FloatBackend, phi, m, nmax, breakpoints):
    f = _kernel_callable(phi, B)
    area = sphere_area(m - 1)
    pts = [0.0] + sorted(float(b) for b in breakpoints) + [math.pi]
    out, scale = [], 0.0
    for n in range(nmax + 1):
        g = lambda th, n=n: f(math.cos(th)) * zonal_polynomials(m, n, math.cos(th))[n] * math.sin(th) ** (m - 1)  # noqa: E731
        # absolute accuracy relative to the integral of |phi| (mu_n can be 0 or tiny)
        if n == 0:
            scale = sum(si.quad(lambda th: abs(f(math.cos(th))) * math.sin(th) ** (m - 1), a, b, limit=200)[0]
                        for a, b in zip(pts[:-1], pts[1:]))
        val = sum(si.quad(g, a, b, limit=200, epsabs=1e-14 * scale, epsrel=1e-13)[0]
                  for a, b in zip(pts[:-1], pts[1:]))
        if not math.isfinite(val):
            raise ValueError(f"phi returned NaN or infinite values on [-1, 1] (mu_{n} = {val})")
        out.append(area * val)
    return out


@_funk_hecke.register
def _(B: MpBackend, phi, m, nmax, breakpoints):
    return _funk_hecke_mp(_kernel_callable(phi, B), m, nmax, B, breakpoints)


@_funk_hecke.register
def _(B: ArbBackend, phi, m, nmax, breakpoints):
    # rigorous integration over [0, pi]
    import flint

    f = _kernel_callable(phi, B, complex_balls=True)
    with B.local():
        area = sphere_area(m - 1, backend=B)
        out = []
        for n in range(nmax + 1):
            def integrand(th, analytic, n=n):
                c = th.cos()
                return f(c) * zonal_recurrence(m, n, c, B)[n] * th.sin() ** (m - 1)

            val = flint.acb.integral(integrand, 0, flint.arb.pi())
            out.append(area * val.real)
        return out


def _funk_hecke_mp(f, m, nmax, B, breakpoints):
    """All mu_n at once: Gauss-Legendre on each piece of [0, pi], doubling the
    node count until two successive levels agree to the working precision."""
    from mpmath.calculus.quadrature import GaussLegendre

    ctx = B.ctx
    rule = GaussLegendre(ctx)
    pts = sorted({ctx.mpf(0), ctx.pi / 2, ctx.pi} | {ctx.mpf(b) for b in breakpoints})
    area = sphere_area(m - 1, backend=B)
    totals = [ctx.mpf(0)] * (nmax + 1)
    for a, b in zip(pts[:-1], pts[1:]):
        prev = None
        for degree in range(4, 12):
            acc = [ctx.mpf(0)] * (nmax + 1)
            for th, w in rule.get_nodes(a, b, degree, ctx.prec):
                c = ctx.cos(th)
                weight = w * f(c) * ctx.sin(th) ** (m - 1)
                for n, pn in enumerate(zonal_recurrence(m, nmax, c, B)):
                    acc[n] += weight * pn
            scale = max(abs(v) for v in acc) or 1
            if prev is not None and max(abs(x - y) for x, y in zip(acc, prev)) <= scale * ctx.eps * 2**20:
                break
            prev = acc
        else:
            raise ArithmeticError("Funk-Hecke quadrature did not converge; add breakpoints or raise dps")
        totals = [t + v for t, v in zip(totals, acc)]
    return [area * t for t in totals]


def _kernel_callable(phi, B, complex_balls=False):
    """phi as a function of backend numbers (sympy expressions compiled for B)."""
    if callable(phi) and not isinstance(phi, sympy.Basic):
        return phi
    from .arith import compile_expression

    expr = sympy.sympify(phi)
    syms = sorted(expr.free_symbols, key=str)
    if len(syms) > 1:
        raise ValueError(f"phi must be an expression in one variable, got symbols {syms}")
    sym = syms[0] if syms else sympy.Symbol("t")
    return compile_expression(expr, (sym,), B, complex_balls=complex_balls)


# --------------------------------------------------------------------------- softmax kernel


def softmax_funk_hecke(m, lam, nmax, backend="float", dps=None, log=False):
    """Closed form ``mu_n(lam) = (2 pi)^(nu+1) lam^(-nu) I_(n+nu)(lam)``, n = 0..nmax.

    Parameters
    ----------
    m : int
    lam : float or exact rational, > 0
    nmax : int
    backend : {"float", "mp", "arb", "exact"}
    log : bool
        Return ``log mu_n`` instead (float backend only); finite for every
        lam up to 1e12 and every n, where ``mu_n`` itself overflows float64
        once lam exceeds about 700.
    dps : int, optional
        Decimal digits for "mp" and "arb".

    Returns
    -------
    list
        ``mu_0..mu_nmax`` (or their logarithms) in the backend's number type.

    Raises
    ------
    OverflowError
        If a float ``mu_n`` exceeds the float64 range (use ``log=True`` or
        another backend).

    Examples
    --------
    >>> softmax_funk_hecke(1, 1.0, 1)          # 2 pi I_0(1), 2 pi I_1(1)
    [7.954926521012845, 3.5509993784243608]
    >>> softmax_funk_hecke(2, sympy.Integer(1), 0, backend="exact")   # 4 pi sinh(1)
    [4*pi*sinh(1)]
    """
    m = check_dimension(m)
    nmax = check_int(nmax, "nmax")
    check_lambda(lam, allow_zero=False)
    return _softmax_funk_hecke(get_backend(backend, dps), m, lam, nmax, log)


@functools.singledispatch
def _softmax_funk_hecke(B, m, lam, nmax, log):
    if log:
        raise ValueError("log=True is available for the float backend only")
    with B.local():
        nu = B.rational(m - 1, 2)
        lamb = B.convert(lam)
        pref = (2 * B.pi()) ** (nu + 1) * lamb ** (-nu)
        return [pref * B.besseli(nu + n, lamb) for n in range(nmax + 1)]


@_softmax_funk_hecke.register
def _(B: ExactBackend, m, lam, nmax, log):
    if log:
        raise ValueError("log=True is available for the float backend only")
    nu = B.rational(m - 1, 2)
    lamb = B.convert(lam)
    pref = (2 * B.pi()) ** (nu + 1) * lamb ** (-nu)
    vals = [sympy.simplify(pref * sympy.besseli(nu + n, lamb)) for n in range(nmax + 1)]
    return [sympy.simplify(sympy.expand_func(v)) if m % 2 == 1 else v for v in vals]


@_softmax_funk_hecke.register
def _(B: FloatBackend, m, lam, nmax, log):
    lamf = float(lam)
    nu = (m - 1) / 2
    logs = (nu + 1) * math.log(2 * math.pi) - nu * math.log(lamf) + log_bessel_i(nu, nmax, lamf)
    if log:
        return [float(v) for v in logs]
    if np.any(logs > 709.7):
        raise OverflowError(f"mu_n({lam}) overflows float64; use log=True or backend='mp'/'arb'")
    return [float(v) for v in np.exp(logs)]


def _float_multipliers(m, lam, nmax, log=False, one_minus=False):
    nu = (m - 1) / 2
    logs = log_ive_orders(nu, nmax, lam)
    la = np.minimum(logs - logs[0], 0.0)
    a = np.exp(la)
    with np.errstate(divide="ignore"):
        comp = -np.expm1(la)
    orders = nu + np.arange(nmax + 1)
    hank = hankel_regime(orders, lam)
    if hank[0]:
        # a_n = (1 - D_(nu+n)) / (1 - D_nu): the ratio and its complement without
        # cancellation where lam >> n^2 (the regime in which 1 - a_n is tiny).
        d = hankel_deficit(orders[hank], lam)
        a[hank] = (1 - d) / (1 - d[0])
        comp[hank] = (d - d[0]) / (1 - d[0])
        la[hank] = np.log1p(-comp[hank])
    if log:
        return la
    return comp if one_minus else a


def softmax_multipliers(m, lam, nmax, backend="float", dps=None, log=False, one_minus=False):
    """Smoothing multipliers ``a_n(lam) = I_(n+nu)(lam) / I_nu(lam)``, n = 0..nmax.

    ``S_lam Y = a_n(lam) Y`` for Y in H_n; ``a_0 = 1`` and the a_n decrease in n.
    ``lam = 0`` gives ``a_n = [n == 0]`` (the kernel is constant).

    Parameters
    ----------
    m : int
    lam : float or exact rational, >= 0
    nmax : int
    backend : {"float", "mp", "arb", "exact"}
        "float" uses scaled Bessel ratios (finite for lam up to 1e12 and any n;
        values below ~1e-308 underflow to 0, see ``log``); "mp" mpmath at
        ``dps`` digits; "arb" rigorous balls; "exact" sympy ``besseli`` ratios.
    log : bool
        Float only: return ``log a_n`` (finite wherever lam > 0).
    one_minus : bool
        Return ``1 - a_n`` instead, computed without cancellation in float
        (for large lam, 1 - a_n ~ n(n + 2 nu)/(2 lam) is tiny).
    dps : int, optional
        Decimal digits for "mp" and "arb".

    Returns
    -------
    ndarray (float) or list

    Examples
    --------
    >>> np.round(softmax_multipliers(2, 10.0, 3), 6)
    array([1.   , 0.9  , 0.73 , 0.535])
    >>> c = softmax_multipliers(2, 1e12, 2, one_minus=True)
    >>> float(c[2] * 2e12 / (2 * (2 + 1)))     # 1 - a_n ~ n(n+2nu)/(2 lam)
    0.999999999999
    """
    m = check_dimension(m)
    nmax = check_int(nmax, "nmax")
    check_lambda(lam)
    return _multipliers(get_backend(backend, dps), m, lam, nmax, log, one_minus)


@functools.singledispatch
def _multipliers(B, m, lam, nmax, log, one_minus):
    if float(lam) == 0:
        with B.local():
            return [B.rational((0 if n == 0 else 1) if one_minus else (1 if n == 0 else 0)) for n in range(nmax + 1)]
    if one_minus:
        with B.local():
            return [1 - a for a in _multipliers(B, m, lam, nmax, log, False)]
    if log:
        raise ValueError("log=True is available for the float backend only")
    with B.local():
        nu = B.rational(m - 1, 2)
        lamb = B.convert(lam)
        i0 = B.besseli(nu, lamb)
        return [B.besseli(nu + n, lamb) / i0 for n in range(nmax + 1)]


@_multipliers.register
def _(B: FloatBackend, m, lam, nmax, log, one_minus):
    if float(lam) == 0:
        out = np.zeros(nmax + 1)
        out[0] = 1.0
        if one_minus:
            return 1.0 - out
        with np.errstate(divide="ignore"):
            return np.log(out) if log else out
    return _float_multipliers(m, float(lam), nmax, log=log, one_minus=one_minus)


def smooth(expansion, lam, backend="float", dps=None):
    """The predicted ``S_lam f = sum_n a_n(lam) proj_n f`` as a HarmonicExpansion.

    With an exact expansion and ``backend="exact"`` the multipliers stay
    symbolic (sympy ``besseli`` ratios); with "mp" they become sympy Floats of
    ``dps`` digits; with "float" the result is evaluated in float64.

    Parameters
    ----------
    expansion : HarmonicExpansion
        The expansion of f.
    lam : float
        Softmax inverse temperature lambda > 0.
    backend : {"float", "mp", "arb", "exact"} or Backend
        The number system (see :func:`spherical_approx.arith.get_backend`).
    dps : int, optional
        Decimal digits for "mp" and "arb".

    Returns
    -------
    HarmonicExpansion
        The expansion of ``S_lam f``.

    Examples
    --------
    >>> from spherical_approx.targets import sphere_symbols
    >>> x0, x1, x2 = sphere_symbols(2)
    >>> E = HarmonicExpansion.from_polynomial(x2, 2)
    >>> S = smooth(E, 10.0)
    >>> S(np.array([[0.0, 0.0, 1.0]]))          # a_1(10) = coth(10) - 1/10
    array([0.9000000...])
    """
    if not isinstance(expansion, HarmonicExpansion):
        raise TypeError(f"expansion must be a HarmonicExpansion, got {type(expansion).__name__}")
    B = get_backend(backend, dps)
    a = softmax_multipliers(expansion.m, lam, expansion.degree, backend=B)
    if expansion.exact:  # the multipliers enter the exact coefficients as sympy numbers
        a = [B.to_sympy(v) for v in a]
    return expansion.scaled(list(a))


# --------------------------------------------------------------------------- distance law


def _log_mu0_scaled(m, lam):
    """log(mu_0(lam) e^(-lam)) in float64."""
    nu = (m - 1) / 2
    return (nu + 1) * math.log(2 * math.pi) - nu * math.log(lam) + float(log_ive_orders(nu, 0, lam)[0])


def distance_density(m, lam, theta):
    """Density of ``Theta = d(x, y)`` when y has density ``e^(lam <x,y>) / mu_0(lam)``.

    ``A_(m-1) e^(lam cos t) sin^(m-1) t / mu_0(lam)`` on [0, pi], evaluated as
    ``A_(m-1) exp(lam (cos t - 1)) sin^(m-1) t / (mu_0 e^(-lam))`` so that it never
    overflows (lam up to 1e12).

    Parameters
    ----------
    m : int
        Sphere dimension, m >= 1.
    lam : float
        Softmax inverse temperature lambda > 0.
    theta : float or ndarray
        Angles in [0, pi].

    Returns
    -------
    float or ndarray
        The density at theta.

    Examples
    --------
    >>> from scipy.integrate import quad
    >>> round(quad(lambda t: distance_density(3, 50.0, t), 0, np.pi)[0], 12)
    1.0
    """
    m = check_dimension(m)
    check_lambda(lam, allow_zero=False)
    t = np.asarray(theta, dtype=float)
    if np.any((t < 0) | (t > math.pi)) or not np.all(np.isfinite(t)):
        raise ValueError("theta must lie in [0, pi]")
    lam = float(lam)
    log_const = math.log(sphere_area(m - 1)) - _log_mu0_scaled(m, lam)
    # cos t - 1 = -2 sin^2(t/2) without cancellation
    with np.errstate(divide="ignore"):
        logd = log_const - 2 * lam * np.sin(t / 2) ** 2 + (m - 1) * np.log(np.sin(t))
    out = np.exp(logd)
    return float(out) if out.ndim == 0 else out


def expected_cos_distance(m, lam, backend="float", dps=None):
    """``E[cos Theta] = a_1(lam)`` under the softmax distance law.

    Parameters
    ----------
    m : int
        Sphere dimension, m >= 1.
    lam : float
        Softmax inverse temperature lambda > 0.
    backend : {"float", "mp", "arb", "exact"} or Backend
        The number system (see :func:`spherical_approx.arith.get_backend`).
    dps : int, optional
        Decimal digits for "mp" and "arb".

    Returns
    -------
    number
        ``a_1(lam)``.

    Examples
    --------
    >>> expected_cos_distance(2, 10.0)        # coth(10) - 1/10
    0.900000004122...
    """
    a1 = softmax_multipliers(m, lam, 1, backend, dps)[1]
    return get_backend(backend, dps).finish(a1)


def _breakpoints(lam):
    """Integration breakpoints adapted to the width lam^(-1/2) of the distance law."""
    w = 1 / math.sqrt(max(lam, 1e-300))
    pts = [k * w for k in (0.5, 1, 2, 4, 8, 16, 32, 64) if k * w < math.pi]
    return pts


def expected_modulus(m, lam, omega, backend="float", dps=None):
    """``E[omega(Theta)]`` under the softmax distance law, for a function omega on [0, pi].

    With ``omega`` a modulus of continuity of f, this bounds
    ``sup |S_lam f - f|`` ([toolkit], docs/theory/smoothing).

    Parameters
    ----------
    omega : callable
        ``omega(t)`` for float t ("float") or mpf t ("mp").
    m : int
        Sphere dimension, m >= 1.
    lam : float
        Softmax inverse temperature lambda > 0.
    backend : {"float", "mp", "arb", "exact"} or Backend
        The number system (see :func:`spherical_approx.arith.get_backend`).
    dps : int, optional
        Decimal digits for "mp" and "arb".

    Returns
    -------
    number
        ``E[omega(Theta)]``.

    Examples
    --------
    >>> L = 2.0
    >>> abs(expected_modulus(2, 100.0, lambda t: L * t) - L * expected_distance(2, 100.0)) < 1e-14
    True
    """
    m = check_dimension(m)
    check_lambda(lam, allow_zero=False)
    return _expected_modulus(get_backend(backend, dps), m, lam, omega)


@functools.singledispatch
def _expected_modulus(B, m, lam, omega):
    raise ValueError("expected_modulus supports backend 'float' and 'mp'")


@_expected_modulus.register
def _(B: FloatBackend, m, lam, omega):
    lamf = float(lam)
    pts = [0.0] + _breakpoints(lamf) + [math.pi]
    total = 0.0
    for a, b in zip(pts[:-1], pts[1:]):
        val, _ = si.quad(lambda t: omega(t) * distance_density(m, lamf, t), a, b, epsabs=0, epsrel=1e-13, limit=200)
        total += val
    if not math.isfinite(total):
        raise ValueError(f"omega returned NaN or infinite values on [0, pi] (the integral is {total})")
    return total


@_expected_modulus.register
def _(B: MpBackend, m, lam, omega):
    ctx = B.ctx
    lamb = B.convert(lam)
    nu = ctx.mpf(m - 1) / 2
    # mu_0 e^-lam with scaled Bessel: besseli(nu, lam) * exp(-lam)
    mu0s = (2 * ctx.pi) ** (nu + 1) * lamb ** (-nu) * ctx.besseli(nu, lamb) * ctx.exp(-lamb)
    const = sphere_area(m - 1, backend=B) / mu0s
    dens = lambda t: const * ctx.exp(-2 * lamb * ctx.sin(t / 2) ** 2) * ctx.sin(t) ** (m - 1)  # noqa: E731
    pts = [ctx.mpf(0)] + [ctx.mpf(p) for p in _breakpoints(float(lam))] + [ctx.pi]
    return ctx.quad(lambda t: omega(t) * dens(t), pts)


def expected_distance(m, lam, backend="float", dps=None):
    """``E[Theta]`` under the softmax distance law (numerical integration).

    Parameters
    ----------
    m : int
        Sphere dimension, m >= 1.
    lam : float
        Softmax inverse temperature lambda > 0.
    backend : {"float", "mp", "arb", "exact"} or Backend
        The number system (see :func:`spherical_approx.arith.get_backend`).
    dps : int, optional
        Decimal digits for "mp" and "arb".

    Returns
    -------
    number
        ``E[Theta]``.

    Examples
    --------
    >>> round(expected_distance(2, 1e6) * math.sqrt(2 * 1e6 / math.pi), 4)   # Rayleigh limit
    1.0
    """
    return expected_modulus(m, lam, lambda t: t, backend, dps)
