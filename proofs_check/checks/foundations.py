"""Claims about the foundations (sphere geometry, zonal polynomials, harmonics, quadrature)
and the packing part of the delta-net theorem (docs/theory/bounds.rst, step 1)."""

from __future__ import annotations

import math

import mpmath
import numpy as np
import sympy

import spherical_approx as sa
from spherical_approx import bounds
from spherical_approx.testing import exact_sphere_integral, random_polynomial, zonal_oracle

from ..claims import Result, claim, fmt

GROUP = "foundations"


@claim(
    "sphere.area",
    "A_m = |S^m| = 2 pi^((m+1)/2) / Gamma((m+1)/2), A_0 = 2; checked against A_m = A_(m-1) int_0^pi sin^(m-1)",
    "[classical]", GROUP, params={"mmax": 12, "dps": 30}, quick={"mmax": 6, "dps": 30},
)
def _area(p):
    ctx = mpmath.MPContext()
    ctx.dps = p["dps"] + 10
    worst = 0.0
    for m in range(1, p["mmax"] + 1):
        rec = sa.sphere_area(m - 1, backend="mp", dps=p["dps"] + 10) * ctx.quad(
            lambda t, m=m: ctx.sin(t) ** (m - 1), [0, ctx.pi])
        exact = sympy.N(sa.sphere_area(m, backend="exact"), p["dps"] + 10)
        worst = max(worst, float(abs(rec - ctx.mpf(str(exact))) / rec))
    tol = 10.0 ** -p["dps"]
    return Result.bounded("rel. dev.", worst, tol, unit="relative", details=f"m = 1..{p['mmax']}")


@claim(
    "zonal.normalisation",
    "P_n = C_n^nu / C_n^nu(1) (nu = (m-1)/2), P_n = T_n for m = 1: the one recurrence agrees with the explicit sum",
    "[classical]", GROUP, params={"ms": [1, 2, 3, 5, 8], "ns": [0, 3, 20, 200, 1000]},
    quick={"ms": [1, 2, 5], "ns": [3, 20, 200]},
)
def _zonal(p):
    t = np.array([-1.0, -0.999999, -0.5, 0.0, 0.3, 0.77, 0.999999, 1.0])
    worst = 0.0
    for m in p["ms"]:
        for n in p["ns"]:
            got = sa.zonal_polynomial(m, n, t)
            ref = np.array([float(zonal_oracle(m, n, x, dps=20)) for x in t])
            worst = max(worst, float(np.max(np.abs(got - ref))))
    return Result.bounded("max |err|", worst, 1e-12, unit="absolute",
                          details=f"m in {p['ms']}, n in {p['ns']}, float64 vs mpmath explicit sum")


@claim(
    "harmonics.dimension",
    "dim H_n(S^m) = C(n+m, m) - C(n+m-2, m); the constructed basis has that many linearly independent functions",
    "[classical]", GROUP, params={"mmax": 10, "nmax": 30, "rank_m": 5, "rank_n": 8},
    quick={"mmax": 10, "nmax": 30, "rank_m": 3, "rank_n": 6},
)
def _dimension(p):
    mismatches = 0
    for m in range(1, p["mmax"] + 1):
        for n in range(p["nmax"] + 1):
            d = sa.harmonic_dimension(m, n)
            alt = 1 if n == 0 else ((2 * n + m - 1) * math.factorial(n + m - 2)
                                    // (math.factorial(n) * math.factorial(m - 1)))
            branch = d if m == 1 else sum(sa.harmonic_dimension(m - 1, l) for l in range(n + 1))
            mismatches += (d != alt) + (d != branch)
    rank_def = 0
    for m in range(1, p["rank_m"] + 1):
        for n in range(p["rank_n"] + 1):
            d = sa.harmonic_dimension(m, n)
            V = sa.harmonic_basis(m, n)(sa.sample_uniform(m, 3 * d + 10, seed=n))
            rank_def += d - np.linalg.matrix_rank(V)
    ok = mismatches == 0 and rank_def == 0
    return Result("0 mismatches, full rank", f"{mismatches} mismatches, rank deficit {rank_def}", ok,
                  f"formula vs branching rule vs (2n+m-1)(n+m-2)!/(n!(m-1)!) for m<={p['mmax']}, n<={p['nmax']}; "
                  f"rank on random points for m<={p['rank_m']}, n<={p['rank_n']}")


@claim(
    "harmonics.orthonormal",
    "The Gelfand-Tsetlin basis is a real orthonormal basis of H_0 + ... + H_n (Gram matrix by exact quadrature)",
    "[classical]", GROUP, params={"mmax": 5, "nmax": 8}, quick={"mmax": 3, "nmax": 6},
)
def _orthonormal(p):
    worst = 0.0
    for m in range(1, p["mmax"] + 1):
        nmax = p["nmax"] if m <= 4 else min(p["nmax"], 6)  # S^5: keep the product rule small
        nodes, w = sa.quadrature_rule(m, 2 * nmax)
        V = np.concatenate([sa.harmonic_basis(m, n)(nodes) for n in range(nmax + 1)], axis=1)
        worst = max(worst, float(np.abs(V.T @ (w[:, None] * V) - np.eye(V.shape[1])).max()))
    return Result.bounded("max |G - I|", worst, 1e-11, "<", "absolute", f"m = 1..{p['mmax']}, n <= {p['nmax']}")


@claim(
    "harmonics.addition_theorem",
    "sum_k Y_(n,k)(x) Y_(n,k)(y) = (dim H_n / A_m) P_n(<x,y>)",
    "[classical]", GROUP, params={"mmax": 7, "nmax": 12, "points": 40}, quick={"mmax": 4, "nmax": 8, "points": 20},
)
def _addition(p):
    worst = 0.0
    for m in range(1, p["mmax"] + 1):
        X = sa.sample_uniform(m, p["points"], seed=m)
        Y = sa.sample_uniform(m, p["points"], seed=100 + m)
        for n in range(p["nmax"] + 1):
            lhs = sa.harmonic_basis(m, n)(X) @ sa.harmonic_basis(m, n)(Y).T
            rhs = sa.zonal_kernel(m, n, X, Y)
            worst = max(worst, float(np.abs(lhs - rhs).max() / max(1.0, np.abs(rhs).max())))
    return Result.bounded("rel. dev.", worst, 1e-12, "<", "relative", f"m = 1..{p['mmax']}, n <= {p['nmax']}")


@claim(
    "harmonics.decomposition",
    "A polynomial of degree <= d restricted to S^m equals proj_0 p + ... + proj_d p with proj_n p in H_n "
    "(harmonic, homogeneous of degree n) and ||p||^2 = sum ||proj_n p||^2, exactly",
    "[classical]", GROUP, params={"cases": [(1, 6), (2, 5), (3, 4), (4, 3)]}, quick={"cases": [(2, 4), (3, 3)]},
    case_fields=("m", "degree"),
)
def _decomposition(p):
    failures = []
    for m, d in p["cases"]:
        xs = sa.sphere_symbols(m)
        poly = random_polynomial(m, d, seed=10 * m + d)
        E = sa.HarmonicExpansion.from_polynomial(poly, m)
        for n in range(E.degree + 1):
            h = E.component_expr(n)
            if sympy.expand(sum(sympy.diff(h, x, 2) for x in xs)) != 0:
                failures.append(f"proj_{n} not harmonic on S^{m}")
        total = sum(v**2 for v in E.norms())
        if sympy.simplify(total - exact_sphere_integral(sympy.expand(poly**2), m)) != 0:
            failures.append(f"Parseval fails on S^{m}")
        X = sa.sample_uniform(m, 30, seed=1)
        direct = sympy.lambdify(xs, poly, "numpy")(*X.T)
        if np.abs(E(X) - direct).max() > 1e-11 * max(1.0, np.abs(direct).max()):
            failures.append(f"sum of projections != p on S^{m}")
    return Result("harmonic, Parseval exact, sum = p", "; ".join(failures) or "all hold", not failures,
                  f"random rational polynomials (m, degree) in {p['cases']}")


@claim(
    "quadrature.exactness",
    "Product rules (Gauss-Gegenbauer x trapezoid) are exact to degree D on every S^m, and not to D+1; "
    "Lebedev rules serve S^2",
    "[classical]", GROUP, params={"cases": [(1, 12), (2, 12), (3, 9), (4, 6), (5, 5)]},
    quick={"cases": [(1, 8), (2, 8), (3, 6)]}, case_fields=("m", "degree"),
)
def _quadrature(p):
    worst, not_beyond = 0.0, True
    for m, D in p["cases"]:
        xs = sa.sphere_symbols(m)
        poly = random_polynomial(m, D, seed=m) + sum(x**2 for x in xs) ** (D // 2)
        exact = float(exact_sphere_integral(poly, m))
        f = sympy.lambdify(xs, poly, "numpy")
        for method in ["product"] + (["lebedev"] if m == 2 else []):
            nodes, w = sa.quadrature_rule(m, D, method=method)
            worst = max(worst, abs(float(w @ f(*nodes.T)) - exact) / abs(exact))
        nodes, w = sa.quadrature_rule(m, D, method="product")
        beyond = sympy.re(sympy.expand((xs[0] + sympy.I * xs[1]) ** (D + 1)))
        not_beyond &= abs(float(w @ sympy.lambdify(xs, beyond, "numpy")(*nodes.T))) > 0.1
    ok = worst < 1e-12 and not_beyond
    return Result("rel. err < 1e-12 to D; fails at D+1", f"{fmt(worst)}; fails at D+1: {not_beyond}", ok,
                  f"(m, D) in {p['cases']}, random polynomials")


@claim(
    "delta_net.packing",
    "A maximal delta-separated set on S^m is a delta-net with N <= C_m delta^-m, C_m = 2 m pi^(m-1) A_m / A_(m-1)",
    "[third-party]", GROUP, params={"cases": [(1, 0.01), (2, 0.05), (2, 0.02), (3, 0.2), (3, 0.1)]},
    quick={"cases": [(1, 0.05), (2, 0.1), (3, 0.3)]}, case_fields=("m", "delta"),
)
def _packing(p):
    rows, ok = [], True
    for m, delta in p["cases"]:
        P = sa.delta_net(m, delta)
        bound = bounds.packing_constant(m) * delta ** -m
        cover = sa.covering_radius(P)
        ok &= len(P) <= bound and cover < delta
        rows.append(f"S^{m} d={delta}: N={len(P)} <= {bound:.0f}, cover {cover:.4g}")
    return Result("N <= C_m delta^-m, cover < delta", "; ".join(rows), ok, "delta_net + exact covering radius")
