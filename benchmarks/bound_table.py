"""The a priori prefix-length table: delta-net bound, quadrature-vMF parameters, paper exponent.

Run:  python benchmarks/bound_table.py

Smooth target: the polynomial p = x0 x1 + x_m^3 (exact projections); Lipschitz target: any
f with L = 1 (the bound depends on L only). N for the quadrature construction is the node
count of the rule exact to degree D (product rule; Lebedev on S^2 where smaller).
"""

import time

import spherical_approx as sa
from spherical_approx.bounds import delta_net_parameters, paper_rate_exponent, quadrature_parameters


def main():
    print(f"{'m':>2} {'eps':>5} | {'paper exp':>9} | {'delta-net N bound':>17} | "
          f"{'smooth: lam, D, N':>26} | {'Lipschitz: lam, D, N':>28}")
    for m in (1, 2, 3):
        xs = sa.sphere_symbols(m)
        E = sa.HarmonicExpansion.from_polynomial(xs[0] * xs[1] + xs[m] ** 3, m)
        for eps in (0.1, 0.01):
            t0 = time.perf_counter()
            dn = delta_net_parameters(m, eps, 1.0, 1.0, 1)
            qs = quadrature_parameters(m, eps, expansion=E)
            ql = quadrature_parameters(m, eps)
            print(f"{m:>2} {eps:>5} | {paper_rate_exponent(m):>9} | {dn.N_bound:>17.3g} | "
                  f"{qs.lam:>8.3g} {qs.degree:>5} {qs.N:>11.3g} | {ql.lam:>9.3g} {ql.degree:>6} {ql.N:>11.3g}"
                  f"   ({time.perf_counter() - t0:.1f} s)")


if __name__ == "__main__":
    main()
