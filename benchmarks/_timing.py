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


def matmul_rate(n=1500, dtype=np.float64):
    """The machine's matmul rate in GFLOP/s (float64 unless told): the physical reference for the ratios."""
    A = np.random.default_rng(0).standard_normal((n, n)).astype(dtype)
    return 2 * n**3 / best_of(lambda: A @ A) / 1e9


def exp_rate(n=4_000_000, dtype=np.float64):
    """The machine's ``np.exp`` rate in G exp/s (one core, float64 unless told), beside the matmul rate."""
    x = (-np.random.default_rng(0).random(n) * 30).astype(dtype)
    out = np.empty_like(x)
    return n / best_of(lambda: np.exp(x, out=out)) / 1e9


def subtract_rate(n=1 << 22, dtype=np.float64):
    """The machine's rate of an in-place subtraction over a block of n floats, in G/s (memory-bound)."""
    x = np.random.default_rng(0).random(n).astype(dtype)
    one = dtype(1.0)
    return n / best_of(lambda: np.subtract(x, one, out=x), repeat=5) / 1e9
