"""How far the outer functions get for T = 2 with the exact inner sums (no transformer error).

Run:  python benchmarks/seq2seq_outer_limits.py [--slow]

Every error is ``sup |F - sum_q chi_q(s_q)|`` (and the rms) on the 40x40 grid of [0, 1]^2
that issue 7 judges, with the inner sums ``s_q`` computed from Köppen's psi in float64
(table accuracy ~1e-3 of the level-2 image spacing), so what is measured is the outer
functions alone: a lower bound on what any compiled transformer with these inner sums
reaches. Three ways to get chi:

1. Braun–Griebel's iteration: one Sprecher step per level on the residual of the previous
   levels (levels 1, 2, 3; ``--slow`` adds level 4, 1.7 million cubes per shift);
2. the same at levels 1, 2 for a larger base gamma (fewer points per gap, steeper psi);
3. a least-squares fit of piecewise-linear chi with a node at each end of every good-cube
   image, on random points plus a 301x301 grid (level 2; ``--slow`` adds level 3, 93k nodes
   per shift and 690k fitting points, about 2 minutes per target). "fit" is the sup error on
   the fitting points, "40x40" on the judged grid (none of its interior points is fitted).
"""

import argparse
import time

import numpy as np
import scipy.sparse as sp
from scipy.interpolate import BSpline
from scipy.sparse.linalg import lsqr

from proofs_check.checks.seq2seq import targets
from spherical_approx.seq2seq import InnerFunction
from spherical_approx.seq2seq.kolmogorov import evaluate_target, good_cubes, sprecher_levels
from spherical_approx.seq2seq.transformer import grid

T = 2
X_JUDGED = grid(T, 40)


def errors(residual):
    return f"sup {np.abs(residual).max():.3f} rms {np.sqrt(np.mean(residual**2)):.3f}"


def multilevel(inner, F, levels):
    """Sprecher steps at increasing levels, each on the residual of the ones before."""
    report, t0 = [], time.perf_counter()
    for row in sprecher_levels(inner, F, X_JUDGED, levels):
        report.append(f"L{row['level']}: sup {row['sup']:.3f} rms {row['rms']:.3f} ({time.perf_counter() - t0:.0f} s)")
    return " | ".join(report)


def least_squares(inner, F, level, n_random=600_000, damp=1e-3):
    """chi_q piecewise linear, nodes at both ends of every good-cube image; lsqr fit."""
    start = good_cubes(inner, level).image_starts
    nodes = np.unique(np.concatenate([start, start + inner.image_width(level), [0.0, inner.alphas.sum()]]))
    Q, N = 2 * T + 1, len(nodes)
    knots = np.concatenate([nodes[:1], nodes, nodes[-1:]])  # degree-1 B-splines = hats at the nodes

    def design(X):
        S = inner.inner_sums(X)
        return sp.hstack([BSpline.design_matrix(S[:, q], knots, 1, extrapolate=True) for q in range(Q)],
                         format="csr")

    X_fit = np.concatenate([np.random.default_rng(0).random((n_random, T)), grid(T, 301)])
    y_fit = evaluate_target(F, X_fit, T)
    A_fit, A_judged = design(X_fit), design(X_JUDGED)
    y_judged = evaluate_target(F, X_JUDGED, T)
    fit, judged = [], []
    for col in range(y_fit.shape[1]):
        c = lsqr(A_fit, y_fit[:, col], damp=damp, atol=1e-10, btol=1e-10, iter_lim=5000)[0]
        fit.append(A_fit @ c - y_fit[:, col])
        judged.append(A_judged @ c - y_judged[:, col])
    return f"L{level} ({N} nodes/shift): fit {errors(np.array(fit))}, 40x40 {errors(np.array(judged))}"


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--slow", action="store_true", help="add level 4 (iteration) and level 3 (fit)")
    slow = parser.parse_args().slow
    chosen = {name: F for name, F in targets(T).items() if name != "seq2seq"}
    inner = InnerFunction(T)  # one instance, so its psi tables are built once
    print("1. Braun-Griebel iteration, gamma = 6")
    for name, F in chosen.items():
        print(f"  {name:>15}: {multilevel(inner, F, [1, 2, 3, 4] if slow else [1, 2, 3])}")
    print("2. the same at levels 1, 2 for larger gamma")
    for gamma in (12, 20):
        for name, F in chosen.items():
            print(f"  gamma={gamma} {name:>15}: {multilevel(InnerFunction(T, gamma), F, [1, 2])}")
    print("3. least-squares chi, gamma = 6")
    for name, F in chosen.items():
        for level in ([2, 3] if slow else [2]):
            t0 = time.perf_counter()
            print(f"  {name:>15}: {least_squares(inner, F, level)} ({time.perf_counter() - t0:.0f} s)")


if __name__ == "__main__":
    main()
