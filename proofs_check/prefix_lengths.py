"""Prefix lengths: the paper's rate, the delta-net bound, and what each construction needed.

The paper's Jackson-type bound gives ``N = O(eps^-(4m^2+14m+10))`` with a constant
that is not known, so only its exponent can be compared. This module builds every
construction for a Lipschitz and a smooth target at several eps, measures the sup
error of each compiled head (dense sample plus local maximisation: a lower bound
of the true sup), and reports the prefix length N each one used. It answers the
paper's open question about the prefix length empirically.

``needed`` for the delta-net is the smallest net in the sequence
``delta = 1/2, 0.4, 0.32, ...`` whose head (theorem parameters) meets eps on the
sample: the theorem's own net is a sufficient size, this is what was necessary.
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass, field

import numpy as np
import sympy

from spherical_approx.bounds import delta_net_parameters, packing_constant, paper_rate_exponent, quadrature_parameters
from spherical_approx.constructions import Approximation, EpsNotMetError, approximate, sampled_sup_error
from spherical_approx.continuity import lipschitz_bound
from spherical_approx.heads import Prefix, UniversalHead
from spherical_approx.limits import InfeasibleError
from spherical_approx.sphere import delta_net
from spherical_approx.targets import Target

X = sympy.symbols("x0:4")


def targets(m):
    """The Lipschitz and the smooth target used on S^m (the same family for every m)."""
    tail = X[1] * X[2] if m >= 2 else X[0] * X[1]
    return {
        "lipschitz": sympy.Abs(X[0]) + tail,
        "smooth": sympy.exp(X[0]) * sympy.sin(X[1] + (X[2] if m >= 2 else 0)),
    }


@dataclass
class Run:
    """One construction built for one (m, target, eps)."""

    m: int
    target: str
    eps: float
    method: str
    N: int | None  # None: skipped (a priori size over the budget)
    bound: float  # proven bound (inf if none); for "fitted" the held-out measurement
    measured: float  # sampled sup error (nan when skipped)
    seconds: float
    note: str = ""


@dataclass
class Sweep:
    runs: list = field(default_factory=list)
    needed_net: dict = field(default_factory=dict)  # (m, target, eps) -> N or None
    lipschitz: dict = field(default_factory=dict)  # (m, target) -> certified L
    table_eps: list | None = None  # the eps shown in the table (None: all)

    def merge(self, other):
        self.runs += other.runs
        self.needed_net.update(other.needed_net)
        self.lipschitz.update(other.lipschitz)

    def get(self, m, target, eps, method):
        return next((r for r in self.runs if (r.m, r.target, r.eps, r.method) == (m, target, eps, method)), None)


def _measure(approx, f, m, samples):
    return sampled_sup_error(approx, f, m, samples=samples)


def smallest_net(f, m, eps, L, samples=4000, max_net=200000, shrink=0.8, start=0.5):
    """Smallest delta-net head (theorem parameters, delta = start * shrink^k) meeting eps on a sample.

    Returns ``(N, delta)``, or ``(None, delta)`` once the next net would exceed ``max_net``.
    """
    target = Target(f, m)
    delta, size = start, 0
    while size * shrink**-m <= max_net:
        net = delta_net(m, delta)
        size = len(net)
        if size > max_net:
            break
        vals = target(net)
        p = delta_net_parameters(m, eps, L, float(np.abs(vals).max()) + L * delta, 1, N=size)
        # lambda from the theorem's formulas at this delta (local term and content term)
        lam = max((2 / delta**2) * math.log(math.pi * size / delta), p.lambda_ctx)
        a = Approximation("delta_net", m, UniversalHead(m, 1), Prefix(lam * net, np.zeros(size), vals),
                          math.inf, "measured", 1)
        if _measure(a, f, m, samples) <= eps:
            return size, delta
        delta *= shrink
    return None, delta


def run_sweep(ms, eps_list, max_prefix=200000, samples=4000, progress=None, methods=None):
    """Build every construction for both targets on each S^m and eps; measure each head."""
    methods = methods or ("delta_net", "quadrature", "spectral", "fitted")
    sweep = Sweep()
    jobs = [(m, kind, eps) for m in ms for kind in ("lipschitz", "smooth") for eps in sorted(eps_list, reverse=True)]
    start = {}  # the net search for a smaller eps starts where the larger eps succeeded
    for k, (m, kind, eps) in enumerate(jobs):
        if progress:
            progress(k, len(jobs), f"S^{m} {kind} eps={eps}")
        f = targets(m)[kind]
        if (m, kind) not in sweep.lipschitz:
            sweep.lipschitz[m, kind] = lipschitz_bound(f, m).upper
        L = sweep.lipschitz[m, kind]
        for method in methods:
            if method == "spectral" and kind != "smooth":
                continue
            a_priori = _a_priori_size(method, m, eps, L)
            if a_priori is not None and a_priori > max_prefix:
                sweep.runs.append(Run(m, kind, eps, method, None, math.inf, math.nan, 0.0,
                                      f"a priori N = {a_priori:.3g} > budget {max_prefix:.3g}"))
                continue
            t0 = time.perf_counter()
            opts = {"max_design": 2e7} if method == "fitted" else {}
            try:
                a = approximate(f, m, eps, method=method, lipschitz=L if method != "spectral" else None, **opts)
                note = a.bound_kind
            except EpsNotMetError as exc:  # refused; a fitted head that missed is still measured
                if exc.approximation is None:
                    sweep.runs.append(Run(m, kind, eps, method, None, math.inf, math.nan,
                                          time.perf_counter() - t0, f"refused: {exc}"))
                    continue
                a, note = exc.approximation, f"refused (missed eps): {exc}"
            except InfeasibleError as exc:
                sweep.runs.append(Run(m, kind, eps, method, None, math.inf, math.nan, time.perf_counter() - t0,
                                      f"infeasible: {exc}"))
                continue
            measured = _measure(a, f, m, samples)
            bound = a.error_bound  # proven bounds include the float64 rounding
            sweep.runs.append(Run(m, kind, eps, method, a.prefix_length, bound, measured,
                                  time.perf_counter() - t0, note))
        if kind == "lipschitz":
            N, start[m] = smallest_net(f, m, eps, L, samples, max_prefix, start=start.get(m, 0.5))
            sweep.needed_net[m, kind, eps] = N
    if progress:
        progress(len(jobs), len(jobs), None)
    return sweep


def _a_priori_size(method, m, eps, L):
    """Prefix length known before building (delta-net, quadrature), else None."""
    if method == "delta_net":
        return packing_constant(m) * min(0.5, eps / (6 * L)) ** -m
    if method == "quadrature":
        return quadrature_parameters(m, 0.9 * eps, lipschitz=L).N
    return None


def _n(x):
    if x is None:
        return "-"
    return f"{x:.3g}" if x >= 1e4 else str(int(x))


def table_rows(sweep):
    """Rows of the prefix-length table (strings), one per (m, eps)."""
    rows = []

    def needed(N):
        return _n(N) if N is not None else "> budget"

    shown = {(r.m, r.eps) for r in sweep.runs if sweep.table_eps is None or r.eps in sweep.table_eps}
    for m, eps in sorted(shown, key=lambda t: (t[0], -t[1])):
        L = sweep.lipschitz[m, "lipschitz"]
        ex = paper_rate_exponent(m)

        def cell(target, method, m=m, eps=eps):
            r = sweep.get(m, target, eps, method)
            if r is None:
                return "n/a"
            if r.N is None:
                return "> budget"
            return _n(r.N) + ("" if r.measured <= eps else f" (missed: {r.measured:.2g})")

        rows.append([
            str(m), f"{eps:g}", f"eps^-{ex} = {eps ** -ex:.2g}",
            f"{packing_constant(m) * min(0.5, eps / (6 * L)) ** -m:.3g}",
            cell("lipschitz", "delta_net"), needed(sweep.needed_net.get((m, "lipschitz", eps))),
            cell("lipschitz", "quadrature"), cell("lipschitz", "fitted"),
            cell("smooth", "quadrature"), cell("smooth", "spectral"), cell("smooth", "fitted"),
        ])
    return rows


TABLE_HEADERS = ["m", "eps", "paper rate (exponent only)", "delta-net bound C_m delta^-m",
                 "delta-net built", "delta-net needed", "quadrature (Lip.)", "fitted (Lip.)",
                 "quadrature (smooth)", "spectral (smooth)", "fitted (smooth)"]


#: The legend of the prefix-length table.
TABLE_LEGEND = (
    "Targets: Lipschitz |x0| + x0 x1 (S^1), |x0| + x1 x2 (S^2, S^3) with certified L; smooth "
    "exp(x0) sin(x1 + x2) (sin(x1) on S^1). The paper's rate column is eps^-(4m^2+14m+10) with "
    "constant 1: the paper's constant is unknown, so only the exponent is meaningful. "
    "'built' is the net of the theorem's delta = eps/(6L); 'needed' is the smallest net "
    "(delta = 0.5 * 0.8^k) whose head met eps on the sample. Every other cell is the N the "
    "construction used, with a sampled sup error <= eps unless marked '(missed: sampled error)' (a fitted "
    "head that misses eps is refused by approximate() and shown here for the record); '> budget' means "
    "the a priori N exceeded the run's prefix budget or the work limits, and the head was not built.\n"
)
