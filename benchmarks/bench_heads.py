"""Head evaluation benchmark: dense numpy vs truncated (grid search) vs torch, as ratios in one run.

Run:  python benchmarks/bench_heads.py [--queries Q] [--sizes 1e4,1e5,1e6] [--lams 10,1e4,1e6] [--device cuda]

Prefix: N points drawn uniformly on S^2 with keys lam * y, biases 0, values y_2. The
dense path's rate is reported in GFLOP/s counting 2(m+1) + 2 d_out + 2 flops per score
(score, shift, the exponential as one flop, and the weighted sums), next to the
machine's float64 matmul rate measured in the same process. "max |diff|" against the
dense path includes the rounding of the scores, ~(m+1) lam u, not only truncation.
"64/32" is the dense path's float64 time over its ``dtype=np.float32`` time, "32 diff" the
largest difference of the float32 outputs from float64. The header prints the float32 over
float64 rate of each operation a head is built from (matmul, exp, a memory-bound in-place
pass) on blocks of ``BLOCK`` floats, as the head uses them: the head runs the same operations
in both precisions, so "64/32" is at most their largest ratio. "bare/64" and "bare/32" are the
time of :func:`bare_tiled` (the same arithmetic written plainly: query tiles of ``BLOCK``
scores, in place, scores clamped before exp, no input checks) over the library's, in float64
and float32: >= 0.9 is the goal. "32/torch32" is the numpy float32 time over the torch
export's in float32. "tree s" is the one-time build of a prefix's search structures
(KD-tree and direction grid, cached on it); "trunc s" is an evaluation with them built.
"""

import argparse

import numpy as np
from _timing import best_of, exp_rate, matmul_rate, subtract_rate

import spherical_approx as sa
from spherical_approx.heads import BLOCK, Prefix, UniversalHead
from spherical_approx.rounding import EXP_FLOOR


def bare_tiled(X, K, b, V, c):
    """Softmax attention over the prefix and c content tokens (score 0, value 0), written plainly."""
    out = np.empty((len(X), V.shape[1]), X.dtype)
    rows = max(1, BLOCK // len(K))
    for s in range(0, len(X), rows):
        S = X[s:s + rows] @ K.T
        S += b
        M = np.maximum(S.max(axis=1), 0)
        S -= M[:, None]
        np.maximum(S, -EXP_FLOOR, out=S)
        np.exp(S, out=S)
        out[s:s + rows] = (S @ V) / (S.sum(axis=1) + c * np.exp(-M))[:, None]
    return out


def main(argv=None):
    ap = argparse.ArgumentParser()
    ap.add_argument("--queries", type=int, default=2000)
    ap.add_argument("--sizes", default="1e4,1e5,1e6")
    ap.add_argument("--lams", default="10,1e4,1e6")
    ap.add_argument("--device", default="cpu")
    args = ap.parse_args(argv)
    print(f"numpy float64 matmul: {matmul_rate():.1f} GFLOP/s (reference)")
    # every step of a head is one of these: float32 can be no faster than their largest ratio
    rates = {name: (rate(n=n, dtype=np.float64), rate(n=n, dtype=np.float32))
             for name, rate, n in (("matmul", matmul_rate, 1500), ("exp", exp_rate, BLOCK),
                                   ("in-place subtract", subtract_rate, BLOCK))}
    print("float32 over float64, per operation: " + ", ".join(
        f"{name} {r32 / r64:.1f}x ({r64:.2f} -> {r32:.2f})" for name, (r64, r32) in rates.items()))
    m, H = 2, UniversalHead(2, 1)
    X = sa.sample_uniform(m, args.queries, seed=1)
    try:
        import torch
    except ImportError:
        torch = None
    flops_per_score = 2 * (m + 1) + 2 * 1 + 2
    print(f"{'N':>8} {'lam':>8} | {'dense s':>8} {'GFLOP/s':>8} {'bare/64':>7} | {'64/32':>7} {'32 diff':>9} "
          f"{'bare/32':>7} | "
          f"{'tree s':>6} {'trunc s':>8} {'dense/trunc':>11} {'max |diff|':>10} "
          f"{'bound':>9} | {'torch s':>8} {'dense/torch':>11} {'max |diff|':>10} {'32/torch32':>10}")
    for N in [int(float(s)) for s in args.sizes.split(",")]:
        Y = sa.sample_uniform(m, N, seed=2)
        for lam in [float(s) for s in args.lams.split(",")]:
            prefix = Prefix(lam * Y, np.zeros(N), Y[:, 2:3])
            t_dense = best_of(lambda prefix=prefix: H(X, prefix, 1), repeat=2)
            dense = H(X, prefix, 1)
            t_tree = best_of(lambda prefix=prefix: H.truncated(X[:1], prefix, 1), repeat=1)  # builds, caches
            t_tr = best_of(lambda prefix=prefix: H.truncated(X, prefix, 1), repeat=2)
            tr = H.truncated(X, prefix, 1)
            t_single = best_of(lambda prefix=prefix: H(X, prefix, 1, dtype=np.float32), repeat=2)
            single = np.abs(H(X, prefix, 1, dtype=np.float32) - dense).max()
            bare = {dt: best_of(lambda dt=dt, prefix=prefix: bare_tiled(
                X.astype(dt), prefix.keys.astype(dt), prefix.biases.astype(dt), prefix.values.astype(dt), 1.0),
                repeat=2) for dt in (np.float64, np.float32)}
            row = (f"{N:>8} {lam:>8.0e} | {t_dense:>8.3f} {flops_per_score * N * len(X) / t_dense / 1e9:>8.2f} "
                   f"{bare[np.float64] / t_dense:>7.2f} | {t_dense / t_single:>7.1f} {single:>9.1e} "
                   f"{bare[np.float32] / t_single:>7.2f} | "
                   f"{t_tree:>6.2f} {t_tr:>8.3f} {t_dense / t_tr:>11.1f} {np.abs(tr.output - dense).max():>10.2e} "
                   f"{tr.error_bound.max():>9.1e} |")
            if torch is not None:
                from spherical_approx.torch_heads import TorchPrefixedHead

                times = {}
                for dt in (torch.float64, torch.float32):
                    mod = TorchPrefixedHead(H, prefix, 1, dtype=dt, device=args.device)
                    Xt = torch.tensor(X, dtype=dt, device=args.device)

                    def run(mod=mod, Xt=Xt):
                        with torch.no_grad():
                            out = mod(Xt)
                        if args.device != "cpu":
                            torch.cuda.synchronize()
                        return out

                    run()
                    times[dt] = best_of(run)
                    if dt == torch.float64:
                        diff = np.abs(run().cpu().numpy() - dense).max()
                t_torch = times[torch.float64]
                row += (f" {t_torch:>8.3f} {t_dense / t_torch:>11.1f} {diff:>10.2e} "
                        f"{t_single / times[torch.float32]:>10.1f}")
            print(row, flush=True)


if __name__ == "__main__":
    main()
