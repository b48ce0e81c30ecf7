"""Work over 1 and 2 local processes, as ratios in one run: a certificate's boxes per second on
the two S^2 heads of ``certify.default_heads`` (identical certificates, checked) and the quick
main job's wall time (identical reports, checked).

Run:  python benchmarks/bench_parallel.py [--boxes 6000] [--workers 2]

The first few thousand boxes are large and see thousands of keys each; late boxes see tens
(delta net) to hundreds (quadrature), so ``--boxes 200000`` shows what a long search gets.
"""

import argparse
import multiprocessing
import time
from concurrent.futures import ProcessPoolExecutor

import sympy
from _timing import exp_rate, matmul_rate

import proofs_check
import spherical_approx as sa
from spherical_approx.certify import certify_sup_error

X = sympy.symbols("x0:3")
TARGET = sympy.Abs(X[0]) + X[1] * X[2]  # the S^2 target of certify.default_heads


def certificate(approx, boxes, executor=None):
    t0 = time.perf_counter()
    cert = certify_sup_error(approx, TARGET, 0.1, max_boxes=boxes, max_seconds=1e9, tightness=1.0,
                             executor=executor)
    return cert, time.perf_counter() - t0


def main(argv=None):
    ap = argparse.ArgumentParser()
    ap.add_argument("--boxes", type=int, default=6000)
    ap.add_argument("--workers", type=int, default=2)
    args = ap.parse_args(argv)
    print(f"machine: matmul {matmul_rate():.1f} GFLOP/s, np.exp {exp_rate():.2f} G exp/s (one core), "
          f"{multiprocessing.cpu_count()} cores")
    for method in ("quadrature", "delta_net"):
        approx = sa.approximate(TARGET, 2, 0.1, method=method)
        serial, t1 = certificate(approx, args.boxes)
        with ProcessPoolExecutor(args.workers, mp_context=multiprocessing.get_context("spawn")) as pool:
            certificate(approx, 50, pool)  # start the workers (imports) outside the timing
            parallel, t2 = certificate(approx, args.boxes, pool)
        same = (serial.upper, serial.lower, serial.boxes, serial.key_evaluations) == \
            (parallel.upper, parallel.lower, parallel.boxes, parallel.key_evaluations)
        print(f"certificate, S^2 {method} head (N = {approx.prefix_length}), {serial.boxes} boxes: "
              f"1 process {serial.boxes / t1:.0f} boxes/s, {args.workers} processes {parallel.boxes / t2:.0f} "
              f"boxes/s, ratio {t1 / t2:.2f}x; identical: {same}")
    t0 = time.perf_counter()
    one = proofs_check.run(quick=True, workers=1, progress=False)
    t1 = time.perf_counter() - t0
    t0 = time.perf_counter()
    two = proofs_check.run(quick=True, workers=args.workers, progress=False)
    t2 = time.perf_counter() - t0
    same = [(c.id, r.passed, [q.as_dict() for q in r.quantities]) for c, r in one.results] == \
        [(c.id, r.passed, [q.as_dict() for q in r.quantities]) for c, r in two.results]
    print(f"python -m proofs_check --quick: 1 worker {t1:.1f} s, {args.workers} workers {t2:.1f} s, "
          f"ratio {t1 / t2:.2f}x; identical verdicts and quantities: {same}")


if __name__ == "__main__":
    main()
