"""Rigorous certificates: the compiled default heads are within eps everywhere on the sphere."""

from __future__ import annotations

import sympy

from spherical_approx.certify import certify_sup_error
from spherical_approx.constructions import approximate, sampled_sup_error
from spherical_approx.heads import Prefix

from ..claims import Quantity, Result, claim

GROUP = "certificates"
X = sympy.symbols("x0:3")
TARGETS = {1: sympy.Abs(X[0]) + X[0] * X[1], 2: sympy.Abs(X[0]) + X[1] * X[2]}


@claim(
    "certify.default_heads",
    "The default delta-net and quadrature heads are within eps of f on all of S^m, proved by branch and bound "
    "with ball arithmetic and float sums with proven rounding margins; on S^1 the proved bound is within a "
    "factor 2 of the sampled maximum error, on S^2 the factor reached within the budget is reported",
    "[toolkit]", GROUP,
    params={"cases": [(1, 0.01, "quadrature"), (1, 0.01, "delta_net"), (2, 0.1, "quadrature"),
                      (2, 0.1, "delta_net")], "max_seconds": {1: 60, 2: 300}},
    quick={"cases": [(1, 0.05, "quadrature")], "max_seconds": {1: 60}},
    case_fields=("m", "eps", "method"),
    cost=290,
)
def _default_heads(p):
    rows, ok, qs, times = [], True, [], []
    for m, eps, method in p["cases"]:
        f = TARGETS[m]
        a = approximate(f, m, eps, method=method)
        # on S^2 the budget goes to tightening once eps is proved; stop at a factor 2
        cert = certify_sup_error(a, f, eps, max_seconds=p["max_seconds"][m], max_boxes=2_000_000,
                                 tightness=1.5 if m == 1 else 1.9)
        sampled = sampled_sup_error(a, f, m, samples=20000)
        # the sampled error is a lower bound of the sup: above the proved bound it would expose a bug
        ok &= cert.proved and sampled <= cert.upper
        qs += [Quantity(f"S^{m} {method} proved sup error", cert.upper, eps, unit="absolute"),
               Quantity(f"S^{m} {method} sampled sup error", sampled, cert.upper, unit="absolute")]
        if m == 1:
            ok &= cert.upper <= 2 * sampled
            qs.append(Quantity(f"S^{m} {method} proved / sampled", cert.upper / sampled, 2.0, unit="ratio"))
        rows.append(f"S^{m} {method} N={a.prefix_length}: sup <= {cert.upper:.3g} (sampled {sampled:.3g}, "
                    f"ratio {cert.upper / sampled:.2f}, {cert.boxes} boxes) [{cert.status}]")
        times.append(f"S^{m} {method} {cert.seconds:.1f} s")
    return Result("proved <= eps and sampled max <= bound; on S^1 bound <= 2 x sampled max", "; ".join(rows), ok,
                  "f = |x0| + x0 x1 on S^1, |x0| + x1 x2 on S^2; cubed-sphere boxes; " + ", ".join(times),
                  quantities=qs)


@claim(
    "certify.soundness",
    "A head built to fail (one prefix value perturbed) is never proved within eps: the certifier refutes it "
    "with a witness whose error exceeds eps in ball arithmetic",
    "[toolkit]", GROUP, params={"eps": 0.05}, quick={"eps": 0.05},
)
def _soundness(p):
    f = TARGETS[1]
    a = approximate(f, 1, p["eps"], method="quadrature")
    good = a.prefix
    values = good.values.copy()
    j = len(values) // 3
    values[j] += 1.0  # one token's value off by 1: the head is off by about its weight there
    bad = Prefix(good.keys, good.biases, values)
    cert = certify_sup_error(a.head, f, p["eps"], m=1, prefix=bad, context_tokens=a.context_tokens,
                             max_seconds=60)
    ok = cert.status == "refuted" and cert.lower > p["eps"]
    return Result("refuted, witness error > eps", f"{cert.status}: |head - f| >= {cert.lower:.3g} at "
                  f"{cert.witness} ({cert.boxes} boxes)", ok, f"value of token {j} of {len(values)} + 1")
