"""Foundation timings, printed as ratios within one run.

Run:  python benchmarks/bench_foundations.py

Reference: the machine's float64 matmul rate (GFLOP/s), measured first in the
same process, so that the figures transfer between machines as ratios.
"""

from __future__ import annotations

import time

from _timing import best_of, matmul_rate

import spherical_approx as sa


def main():
    rate = matmul_rate()
    print(f"numpy float64 matmul: {rate:.1f} GFLOP/s (reference)")
    X = sa.sample_uniform(3, 10_000, seed=0)
    t_basis = best_of(lambda: sa.harmonic_basis(3, 20)(X))
    Y = sa.harmonic_basis(3, 20)(X)
    t_mm = best_of(lambda: Y.T @ Y)  # a matmul touching the same output once
    print(f"harmonic_basis(3, 20) on 10^4 points: {t_basis:.3f} s  "
          f"({t_basis / t_mm:.1f}x the Gram matmul of its (10^4, 441) output)")
    for delta, label in [(0.0292, "~10^4"), (0.0094, "~10^5")]:
        t0 = time.perf_counter()
        P = sa.delta_net(2, delta)
        t_net = time.perf_counter() - t0
        n_points = len(P)
        t_sample = best_of(lambda n=n_points: sa.sample_uniform(2, n, seed=1))
        print(f"delta_net(2, {delta}) -> N = {len(P)} ({label}): {t_net:.2f} s  "
              f"({t_net / t_sample:.0f}x drawing N uniform points)")
    t_q = best_of(lambda: sa.product_rule(4, 30), repeat=1)
    print(f"product_rule(4, 30): {sa.rule_size(4, 30)} nodes in {t_q:.3f} s")
    t_mp = best_of(lambda: sa.harmonic_basis(3, 6, backend="mp")(X[:20]), repeat=1)
    t_fl = best_of(lambda: sa.harmonic_basis(3, 6)(X[:20]))
    t_arb = best_of(lambda: sa.harmonic_basis(3, 6, backend="arb")(X[:20]), repeat=1)
    print(f"harmonic_basis(3, 6) on 20 points: mp/float = {t_mp / t_fl:.0f}x, arb/mp = {t_arb / t_mp:.2f}x")


if __name__ == "__main__":
    main()
