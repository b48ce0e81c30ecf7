"""Prefix lengths N reached by each construction (closing-note table of the heads issue).

Run:  python benchmarks/prefix_table.py [--eps 0.1,0.05,0.01] [--max-net 300000]

Targets: Lipschitz f = |x0| + x0 x1 (S^1), |x0| + x1 x2 (S^2); smooth g = exp(x0) sin(x1)
(S^1), exp(x0) sin(x1 + x2) (S^2). Columns: the delta-net bound C_m delta^-m, the net the
construction builds, the smallest net (larger delta, lambda from the same formulas) whose
head still meets eps on a sampled sup, the quadrature-vMF rule size (a priori), the
spectral rule size (smooth targets only), and the fitted prefix (measured).
"""

import argparse
import math

import sympy

import spherical_approx as sa
from spherical_approx.bounds import delta_net_parameters, packing_constant
from spherical_approx.constructions import Approximation, Target, approximate, sampled_sup_error
from spherical_approx.heads import Prefix, UniversalHead

x0, x1, x2 = sympy.symbols("x0:3")
TARGETS = {
    1: {"lipschitz": sympy.Abs(x0) + x0 * x1, "smooth": sympy.exp(x0) * sympy.sin(x1)},
    2: {"lipschitz": sympy.Abs(x0) + x1 * x2, "smooth": sympy.exp(x0) * sympy.sin(x1 + x2)},
}


def needed_net(f, m, eps, L, start_delta, max_net):
    """Smallest delta-net (growing delta by 1.25x) whose theorem-parameter head meets eps (sampled)."""
    target = Target(f, m)
    best = None
    delta = start_delta
    while delta <= 0.5:
        if packing_constant(m) * delta**-m > 50 * max_net:
            delta *= 1.25
            continue
        net = sa.delta_net(m, delta)
        if len(net) > max_net:
            delta *= 1.25
            continue
        vals = target(net)
        p = delta_net_parameters(m, eps, L, float(abs(vals).max()) + L * delta, 1, N=len(net))
        lam = (2 / delta**2) * math.log(math.pi * len(net) / delta)
        lam = max(lam, p.lambda_ctx)
        a = Approximation("delta_net", m, UniversalHead(m, 1), Prefix(lam * net, [0.0] * len(net), vals),
                          math.inf, "measured", 1)
        if sampled_sup_error(a, f, m, samples=5000) > eps:
            break
        best = len(net)
        delta *= 1.25
    return best


def main(argv=None):
    ap = argparse.ArgumentParser()
    ap.add_argument("--eps", default="0.1,0.05,0.01")
    ap.add_argument("--max-net", type=int, default=300000)
    args = ap.parse_args(argv)
    print(f"{'m':>2} {'target':>9} {'eps':>5} | {'net bound':>10} {'net built':>9} {'net needed':>10} | "
          f"{'quadrature':>10} {'spectral':>8} {'fitted':>7}", flush=True)
    for m, targets in TARGETS.items():
        for kind, f in targets.items():
            L = sa.continuity.lipschitz_bound(f, m).upper
            for eps in [float(e) for e in args.eps.split(",")]:
                delta = min(0.5, eps / (6 * L))
                bound = packing_constant(m) * delta**-m
                built = needed = "-"
                if bound <= 3 * args.max_net:
                    built = approximate(f, m, eps, method="delta_net", lipschitz=L).prefix_length
                    needed = needed_net(f, m, eps, L, delta, args.max_net)
                quad = approximate(f, m, eps, method="quadrature", lipschitz=L).prefix_length if bound < 1e7 else "-"
                spec = approximate(f, m, eps, method="spectral").prefix_length if kind == "smooth" else "n/a"
                fit = approximate(f, m, eps, method="fitted", max_degree=200)
                fitted = fit.prefix_length if fit.error_bound <= eps else f">{fit.prefix_length}"
                print(f"{m:>2} {kind:>9} {eps:>5} | {bound:>10.3g} {built!s:>9} {needed!s:>10} | "
                      f"{quad!s:>10} {spec!s:>8} {fitted!s:>7}", flush=True)


if __name__ == "__main__":
    main()
