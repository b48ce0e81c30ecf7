"""Claims about compiled heads: the universal head algebra, the
element-wise property, and the constructions meeting their bounds."""

from __future__ import annotations

import numpy as np
import sympy

import spherical_approx as sa
from spherical_approx.bounds import discretisation_bound
from spherical_approx.constructions import approximate, sampled_sup_error
from spherical_approx.heads import Prefix, UniversalHead
from spherical_approx.testing import random_polynomial

from ..claims import Quantity, Result, claim

GROUP = "heads"
X = sympy.symbols("x0:4")


@claim(
    "heads.algebra",
    "Universal head: prefix scores <x, kappa_i> + b_i, content scores and values 0, so "
    "head(x_t) = sum e^(s_i) v_i / (sum e^(s_i) + c_t) "
    "(generic attention vs closed form, with and without causal mask)",
    "[toolkit]", GROUP, params={"ms": [1, 2, 3], "N": 64, "T": 8}, quick={"ms": [2], "N": 32, "T": 5},
)
def _algebra(p):
    rng = np.random.default_rng(0)
    worst = 0.0
    for m in p["ms"]:
        H = UniversalHead(m, 2)
        prefix = Prefix(3 * rng.normal(size=(p["N"], m + 1)), rng.normal(size=p["N"]), rng.normal(size=(p["N"], 2)))
        pts = sa.sample_uniform(m, p["T"], seed=m)
        Z, U = H.content_tokens(pts), H.prefix_tokens(prefix)
        for causal, c in ((False, p["T"]), (True, np.arange(1, p["T"] + 1))):
            worst = max(worst, float(np.abs(H.attend_tokens(Z, U, causal) - H(pts, prefix, c)).max()))
    return Result.bounded("max dev", worst, 1e-13, "<", "absolute", "random prefixes, fixed matrices",
                          measured=f"{worst:.2g}")


@claim(
    "heads.element_wise",
    "A prefixed universal head applies the same function to every token: the output at t depends on x_t "
    "and on the count c_t only (other tokens changed, output unchanged)",
    "[paper]", GROUP, params={"trials": 20}, quick={"trials": 5},
)
def _element_wise(p):
    rng = np.random.default_rng(1)
    H = UniversalHead(2, 1)
    prefix = Prefix(4 * rng.normal(size=(40, 3)), rng.normal(size=40), rng.normal(size=(40, 1)))
    pts = sa.sample_uniform(2, 6, seed=0)
    ref = H.attend_tokens(H.content_tokens(pts), H.prefix_tokens(prefix))[0]
    worst = 0.0
    for k in range(p["trials"]):
        other = pts.copy()
        other[1:] = sa.sample_uniform(2, 5, seed=100 + k)
        out = H.attend_tokens(H.content_tokens(other), H.prefix_tokens(prefix))[0]
        worst = max(worst, float(np.abs(out - ref).max()))
    return Result.bounded("max change", worst, 1e-15, unit="absolute",
                          details="the paper's explanation, exact for the universal head (content scores and "
                          "values are 0)", predicted="output at token 0 unchanged", measured=f"max change {worst:.2g}")


@claim(
    "constructions.quadrature_prediction",
    "The compiled quadrature-vMF head matches the prediction sum_n a_n proj_n p within the Bessel-tail bound "
    "plus the proven float64 rounding bound of the head's evaluation",
    "[toolkit]", GROUP, params={"cases": [(1, 6), (2, 6), (3, 4)]}, quick={"cases": [(2, 4)]},
    case_fields=("m", "degree"),
)
def _quad_pred(p):
    rows, ok = [], True
    for m, d in p["cases"]:
        poly = random_polynomial(m, d, seed=10 * m + d) / 20
        a = approximate(poly, m, 0.1, method="quadrature", context_tokens=0)
        pts = sa.sample_uniform(m, 500, seed=1)
        measured = float(np.abs(a(pts)[:, 0] - a.prediction(pts)).max())
        q = a.parameters
        bound = discretisation_bound(m, q["lam"], q["rule_degree"], d, q["sup_f"])
        bound += q["rounding_bound"]
        ok &= measured <= bound
        rows.append(f"S^{m} deg {d}: N={a.prefix_length}, lam={q['lam']:.3g}: {measured:.2g} <= {bound:.2g}")
    return Result("measured <= tail bound + rounding", "; ".join(rows), ok, "random polynomials / 20, 500 points")


@claim(
    "constructions.delta_net",
    "[third-party] delta-net construction: the compiled head is within 3 L delta + B T e^(-lam cos delta) <= eps "
    "of f (sampled sup with local maximisation), for T = 1 and T = 8 content tokens",
    "[third-party]", GROUP,
    params={"cases": [(1, 0.01, "Abs(x0) + x0*x1"), (2, 0.05, "Abs(x0) + x1*x2")]},
    quick={"cases": [(1, 0.01, "Abs(x0) + x0*x1")]}, case_fields=("m", "eps", "f"),
    cost=16,
)
def _delta(p):
    rows, ok, qs = [], True, []
    for m, eps, s in p["cases"]:
        f = sympy.sympify(s)
        for T in (1, 8):
            a = approximate(f, m, eps, method="delta_net", context_tokens=T)
            measured = sampled_sup_error(a, f, m, samples=20000)
            ok &= measured <= a.error_bound <= eps
            rows.append(f"S^{m} T={T}: N={a.prefix_length}, {measured:.3g} <= {a.error_bound:.3g} <= {eps}")
            qs += [Quantity(f"S^{m} T={T} sampled sup error", measured, a.error_bound, unit="absolute"),
                   Quantity(f"S^{m} T={T} proven bound", a.error_bound, eps, unit="absolute")]
    return Result("measured <= bound <= eps", "; ".join(rows), ok,
                  "certified Lipschitz constant, net built by delta_net", quantities=qs)


@claim(
    "constructions.spectral",
    "Spectral (deconvolved) construction: Taylor polynomial with a Cauchy bound, values proj_n p / a_n; "
    "sup |head - f| <= proven bound <= eps",
    "[toolkit]", GROUP, params={"cases": [(1, 1e-8), (2, 1e-8), (3, 1e-5)]}, quick={"cases": [(1, 1e-8)]},
    case_fields=("m", "eps"),
    cost=18,
)
def _spectral(p):
    rows, ok, qs = [], True, []
    for m, eps in p["cases"]:
        f = sympy.exp(X[0]) * sympy.sin(X[1] + (X[2] if m >= 2 else 0))
        a = approximate(f, m, eps, method="spectral")
        q = a.parameters
        total = a.error_bound  # rounding included
        measured = sampled_sup_error(a, f, m, samples=4000)
        ok &= measured <= total <= eps
        qs += [Quantity(f"S^{m} sampled sup error", measured, total, unit="absolute"),
               Quantity(f"S^{m} proven bound", total, eps, unit="absolute")]
        rows.append(f"S^{m}: N={a.prefix_length}, d={q['taylor_degree']}, lam={q['lam']:.3g}, "
                    f"max|v|={q['max_abs_value']:.3g}: {measured:.2g} <= {total:.2g}")
    return Result("measured <= bound <= eps", "; ".join(rows), ok, "f = exp(x0) sin(x1 + x2)", quantities=qs)


@claim(
    "paper.density",
    "Prefix-tuning a single head with fixed matrices approximates continuous functions on S^m to any eps: "
    "the same matrices with different prefixes meet decreasing eps for different targets",
    "[paper]", GROUP, params={"eps": [0.1, 0.03, 0.01]}, quick={"eps": [0.1, 0.03]},
)
def _density(p):
    targets = {"|x0|": sympy.Abs(X[0]), "x0 x1": X[0] * X[1]}
    rows, ok, heads = [], True, set()
    for name, f in targets.items():
        for eps in p["eps"]:
            a = approximate(f, 1, eps, method="delta_net")
            measured = sampled_sup_error(a, f, 1, samples=5000)
            ok &= measured <= eps
            heads.add(a.head.W_Q.tobytes() + a.head.W_K.tobytes() + a.head.W_V.tobytes())
            rows.append(f"{name} eps={eps}: N={a.prefix_length} err={measured:.2g}")
    ok &= len(heads) == 1
    return Result("every eps met, one set of matrices", "; ".join(rows) + f"; distinct matrix sets: {len(heads)}",
                  ok, "S^1, delta-net prefixes")
