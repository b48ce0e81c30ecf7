"""Timing helpers shared by the benchmark scripts (ratios within one run)."""

import time

import numpy as np


def best_of(fn, repeat=3):
    """Smallest wall time of ``repeat`` calls of fn, in seconds."""
    times = []
    for _ in range(repeat):
        t0 = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t0)
    return min(times)


def matmul_rate(n=1500):
    """The machine's float64 matmul rate in GFLOP/s: the physical reference for the ratios."""
    A = np.random.default_rng(0).standard_normal((n, n))
    return 2 * n**3 / best_of(lambda: A @ A) / 1e9


def exp_rate(n=4_000_000):
    """The machine's float64 ``np.exp`` rate in G exp/s (one core), beside the matmul rate."""
    x = -np.random.default_rng(0).random(n) * 30
    return n / best_of(lambda: np.exp(x)) / 1e9
