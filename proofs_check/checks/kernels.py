"""Claims about the softmax kernel (smoothing, distance law) and the
[toolkit] smoothing / discretisation bounds (docs/theory/kernels.rst, bounds.rst)."""

from __future__ import annotations

import math

import mpmath
import numpy as np
import sympy

import spherical_approx as sa
from spherical_approx.bounds import discretisation_bound, quadrature_lipschitz_bound, smoothing_bound
from spherical_approx.kernels import (
    distance_density,
    expected_modulus,
    funk_hecke_coefficients,
    smooth,
    softmax_funk_hecke,
    softmax_multipliers,
)
from spherical_approx.testing import random_polynomial

from ..claims import Quantity, Result, claim, fmt

GROUP = "kernels"
T = sympy.Symbol("t")


@claim(
    "funk_hecke.softmax",
    "mu_n(lam) = (2 pi)^(nu+1) lam^(-nu) I_(n+nu)(lam) equals the Funk-Hecke integral of e^(lam t) (30 digits)",
    "[classical]", GROUP,
    params={"ms": [1, 2, 3, 5, 7], "lams": ["1/1000", "7/4", "30"], "nmax": 20},
    quick={"ms": [1, 3], "lams": ["7/4", "30"], "nmax": 8},
    cost=14,
)
def _funk_hecke(p):
    worst = mpmath.mpf(0)
    for m in p["ms"]:
        for lam_s in p["lams"]:
            lam = sympy.Rational(lam_s)
            ref = softmax_funk_hecke(m, lam, p["nmax"], backend="mp", dps=40)
            loss = max(0, -int(mpmath.log10(abs(ref[-1] / ref[0]))))
            bp = [k / math.sqrt(float(lam)) for k in (1, 2, 4, 8, 16) if k / math.sqrt(float(lam)) < 3]
            quad = funk_hecke_coefficients(sympy.exp(lam * T), m, p["nmax"], dps=35 + loss, breakpoints=bp)
            worst = max(worst, max(abs((a - b) / b) for a, b in zip(quad, ref)))
    return Result.bounded("rel. dev.", float(worst), 1e-30, unit="relative", measured=mpmath.nstr(worst, 3),
                          details=f"mpmath Gauss-Legendre at 35+ digits, n <= {p['nmax']}")


@claim(
    "kernels.multipliers",
    "a_n(lam) = I_(n+nu)/I_nu lies in (0, 1], decreases in n, and 1 - a_n = n(n+2nu)/(2 lam) + O(lam^-2); "
    "finite in float64 for lam up to 1e12, n up to 1000",
    "[classical]", GROUP, params={"ms": [1, 2, 3, 7], "nmax": 1000}, quick={"ms": [2, 3], "nmax": 300},
)
def _multipliers(p):
    worst_rel, worst_heat, sane = 0.0, 0.0, True
    ctx = mpmath.MPContext()
    ctx.dps = 40
    for m in p["ms"]:
        nu = (m - 1) / 2
        for lam in (1e-3, 1.0, 1e3, 1e6, 1e12):
            a = softmax_multipliers(m, lam, p["nmax"])
            la = softmax_multipliers(m, lam, p["nmax"], log=True)
            sane &= bool(np.all(np.isfinite(la)) and a[0] == 1 and np.all((a >= 0) & (a <= 1))
                         and np.all(np.diff(a) <= 0) and np.all(a[la > -700] > 0))
            i0 = ctx.besseli(ctx.mpf(nu), lam)
            for n in (1, 10, p["nmax"]):
                ref = ctx.log(ctx.besseli(nu + n, lam) / i0)
                worst_rel = max(worst_rel, abs(la[n] - float(ref)) / max(1.0, abs(float(ref))))
            if lam >= 1e6:
                c = softmax_multipliers(m, lam, 5, one_minus=True)
                n = np.arange(1, 6)
                worst_heat = max(worst_heat, float(np.max(np.abs(c[1:] * 2 * lam / (n * (n + 2 * nu)) - 1))))
    ok = sane and worst_rel < 1e-12 and worst_heat < 1e-4
    return Result("in (0,1], decreasing; log err < 1e-12; heat law < 1e-4 at lam >= 1e6",
                  f"sane={sane}; log err {fmt(worst_rel)}; heat-law dev {fmt(worst_heat)}", ok,
                  "lam in {1e-3, 1, 1e3, 1e6, 1e12}")


@claim(
    "kernels.smoothing_diagonal",
    "S_lam acts on H_n by a_n(lam): sum_n a_n proj_n p equals the smoothing integral of p",
    "[classical]", GROUP, params={"cases": [(1, 5), (2, 4), (3, 4)], "lam": 6.0},
    quick={"cases": [(2, 3)], "lam": 6.0}, case_fields=("m", "degree"),
)
def _smoothing(p):
    worst = 0.0
    lam = p["lam"]
    for m, d in p["cases"]:
        poly = random_polynomial(m, d, seed=m)
        E = sa.HarmonicExpansion.from_polynomial(poly, m)
        X = sa.sample_uniform(m, 20, seed=2)
        Y, w = sa.quadrature_rule(m, 90, method="product")
        K = w * np.exp(lam * (X @ Y.T - 1))
        mu0_scaled = math.exp(softmax_funk_hecke(m, lam, 0, log=True)[0] - lam)
        brute = K @ sympy.lambdify(sa.sphere_symbols(m), poly, "numpy")(*Y.T) / mu0_scaled
        worst = max(worst, float(np.abs(smooth(E, lam)(X) - brute).max() / np.abs(brute).max()))
    return Result.bounded("rel. dev.", worst, 1e-12, "<", "relative", f"lam = {lam}, random polynomials {p['cases']}")


@claim(
    "kernels.distance_law",
    "Theta = d(x, y) has density A_(m-1) e^(lam cos t) sin^(m-1) t / mu_0 and E[cos Theta] = a_1(lam)",
    "[classical]", GROUP, params={"ms": [1, 2, 3, 5], "lams": [0.5, 20.0, 1e4, 1e8]},
    quick={"ms": [2], "lams": [20.0, 1e4]},
)
def _distance(p):
    from scipy.integrate import quad

    worst_mass, worst_cos = 0.0, 0.0
    for m in p["ms"]:
        for lam in p["lams"]:
            widths = [k / math.sqrt(lam) for k in (0.5, 1, 2, 4, 8, 16, 32)]
            pts = [0.0] + [w for w in widths if w < math.pi] + [math.pi]
            mass = sum(quad(lambda s, m=m, lam=lam: distance_density(m, lam, s), a, b, epsabs=0, epsrel=1e-12)[0]
                       for a, b in zip(pts[:-1], pts[1:]))
            worst_mass = max(worst_mass, abs(mass - 1))
            comp = softmax_multipliers(m, lam, 1, one_minus=True)[1]
            e = expected_modulus(m, lam, lambda s: 2 * math.sin(s / 2) ** 2)
            worst_cos = max(worst_cos, abs(e - comp) / comp)
    ok = worst_mass < 1e-9 and worst_cos < 1e-8
    return Result("|mass - 1| < 1e-9, E[1 - cos] = 1 - a_1 (rel 1e-8)", f"{fmt(worst_mass)}, {fmt(worst_cos)}", ok,
                  f"m in {p['ms']}, lam in {p['lams']}")


@claim(
    "bounds.smoothing",
    "|S_lam f - f| <= E[omega(f, Theta)] <= L E[Theta] <= L (pi/sqrt 2) sqrt(1 - a_1); "
    "attained by f = d(., e) at e",
    "[toolkit]", GROUP, params={"cases": [(1, 10.0), (2, 40.0), (3, 200.0)]}, quick={"cases": [(2, 40.0)]},
    case_fields=("m", "lam"),
)
def _smoothing_bound(p):
    rows, ok = [], True
    for m, lam in p["cases"]:
        b = smoothing_bound(m, lam)
        e = np.zeros(m + 1)
        e[-1] = 1.0
        Y, w = sa.quadrature_rule(m, 400 if m < 3 else 200, method="product")
        K = w * np.exp(lam * (Y @ e - 1))
        measured = float(K @ sa.geodesic_distance(Y, e) / K.sum())  # S f(e) - f(e) for f = d(., e)
        # The 2-d/3-d rule meets the cusp of d(., e) at e, so it matches to ~1e-3 only;
        # agreement within 3e-3 shows the bound is attained (a 1% smaller constant fails).
        ok &= abs(measured - b.bound_expected) <= 3e-3 * b.bound_expected
        ok &= b.bound_expected <= b.bound_closed_form
        rows.append(f"S^{m} lam={lam}: {measured:.5g} vs L E[Theta] {b.bound_expected:.5g} "
                    f"<= {b.bound_closed_form:.4g}")
    return Result("measured = L E[Theta] (rel 3e-3) <= closed form", "; ".join(rows), ok,
                  "distance-to-a-point target, L = 1; product rules of degree 400 (200 on S^3)")


@claim(
    "bounds.discretisation",
    "Quadrature-vMF head vs prediction: sup |h - S_lam p| <= 2||p|| (tau_(D-d) + tau_D)/(mu_0 - 2 tau_D)",
    "[toolkit]", GROUP, params={"cases": [(30.0, 40), (20.0, 25), (10.0, 14)]}, quick={"cases": [(30.0, 40)]},
    case_fields=("lam", "degree"),
)
def _discretisation(p):
    x0, x1, x2 = sa.sphere_symbols(2)
    poly = x0 * x1 + x2**3
    E = sa.HarmonicExpansion.from_polynomial(poly, 2)
    X = sa.sample_uniform(2, 3000, seed=0)
    rows, ok, qs = [], True, []
    for lam, D in p["cases"]:
        Y, w = sa.quadrature_rule(2, D, method="product")
        W = w * np.exp(lam * (X @ Y.T - 1))
        h = W @ sympy.lambdify((x0, x1, x2), poly)(*Y.T) / W.sum(1)
        measured = float(np.abs(h - smooth(E, lam)(X)).max())
        bound = discretisation_bound(2, lam, D, 3, 1.0)
        ok &= measured <= bound
        qs.append(Quantity(f"lam={lam} D={D} sup |h - S_lam p|", measured, bound, unit="absolute"))
        rows.append(f"lam={lam}, D={D}, N={len(w)}: {measured:.2g} <= {bound:.2g}")
    return Result("measured <= bound", "; ".join(rows), ok, "S^2, p = x0 x1 + x2^3, product rules, 3000 points",
                  quantities=qs)


@claim(
    "bounds.quadrature_lipschitz",
    "Quadrature-vMF head of an L-Lipschitz f: sup |h - f| <= L (pi/sqrt 2) sqrt(1 - a_1 + eta_D)",
    "[toolkit]", GROUP, params={"cases": [(1, 300.0, 60), (2, 200.0, 80), (2, 800.0, 150)]},
    quick={"cases": [(2, 200.0, 80)]}, case_fields=("m", "lam", "degree"),
)
def _quad_lip(p):
    rows, ok, qs = [], True, []
    for m, lam, D in p["cases"]:
        e = np.zeros(m + 1)
        e[-1] = 1.0
        Y, w = sa.quadrature_rule(m, D)
        X = np.concatenate([sa.sample_uniform(m, 500, seed=1), e[None, :]])
        S = X @ Y.T
        W = w * np.exp(lam * (S - S.max(axis=1, keepdims=True)))
        measured = float(np.abs(W @ sa.geodesic_distance(Y, e) / W.sum(1) - sa.geodesic_distance(X, e)).max())
        bound = quadrature_lipschitz_bound(m, lam, D)
        ok &= measured <= bound
        qs.append(Quantity(f"S^{m} lam={lam} D={D} sup |h - f|", measured, bound, unit="absolute"))
        rows.append(f"S^{m} lam={lam} D={D}: {measured:.3g} <= {bound:.3g}")
    return Result("measured <= bound", "; ".join(rows), ok, "f = d(., e), L = 1", quantities=qs)


@claim(
    "continuity.lipschitz",
    "Lip(f) = sup |grad_T f| on S^m: the certified upper bound is >= every sampled omega(f, delta)/delta "
    "and within 10% of a value attained",
    "[classical]", GROUP, params={"exprs": ["x0*x1 + x2**3", "Abs(x0) + x1*x2", "exp(x0)*sin(x1 + x2)"]},
    quick={"exprs": ["x0*x1 + x2**3"]},
)
def _lipschitz(p):
    from spherical_approx.continuity import lipschitz_bound, modulus_of_continuity

    rows, ok, qs = [], True, []
    for s in p["exprs"]:
        expr = sympy.sympify(s)
        b = lipschitz_bound(expr, 2)
        sampled = max(modulus_of_continuity(expr, 2, d, samples=5000).value / d for d in (0.003, 0.03))
        ok &= sampled <= b.upper and b.upper <= 1.1 * b.lower
        qs += [Quantity(f"{s} sampled Lipschitz ratio", sampled, b.upper),
               Quantity(f"{s} certified / attained", b.upper / b.lower, 1.1, unit="ratio")]
        rows.append(f"{s}: sampled {sampled:.4f} <= certified {b.upper:.4f} (attained {b.lower:.4f}, {b.boxes} boxes)")
    return Result("sampled <= certified <= 1.1 attained", "; ".join(rows), ok, "S^2, cubed-sphere branch and bound",
                  quantities=qs)
