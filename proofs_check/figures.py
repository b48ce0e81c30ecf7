"""The report's figures (PNG files drawn on ``matplotlib.figure.Figure`` objects; no pyplot state).

* ``heads_s1.png``: (a) target and compiled head on S^1 for each construction, with the error
  against the proven bound below.
* ``error_map_s2.png``: (b) the error of a quadrature-vMF head on S^2 on a longitude/latitude grid.
* ``error_vs_prefix.png``: (c) sampled sup error against prefix length N for each construction,
  with the proven bounds and the paper's rate (slope only) as lines.
* ``multipliers.png``: (d) softmax multipliers a_n(lam) against n with the heat-kernel
  approximation ``exp(-n(n+2nu)/(2 lam))``.

Each function takes the output folder and returns the path it wrote.
"""

from __future__ import annotations

import os

import numpy as np

from spherical_approx.bounds import packing_constant, paper_rate_exponent
from spherical_approx.constructions import approximate
from spherical_approx.kernels import softmax_multipliers
from spherical_approx.plot import error_against_prefix, error_map, head_on_circle, new_figure

from .prefix_lengths import targets

METHOD_STYLE = {  # one colour and marker per construction, shared by every figure
    "delta_net": ("tab:blue", "o", "delta-net [third-party]"),
    "quadrature": ("tab:orange", "s", "quadrature-vMF [toolkit]"),
    "spectral": ("tab:green", "^", "spectral [toolkit]"),
    "fitted": ("tab:red", "D", "fitted (measured only)"),
}


def _save(fig, out, name):
    path = os.path.join(out, name)
    fig.savefig(path, dpi=120, bbox_inches="tight")  # a Figure prints PNG with Agg by itself
    return path


def heads_on_circle(out, eps=0.1, points=2000):
    """(a) Target and head on S^1, one column per construction, error and bound below."""
    f = targets(1)["smooth"]
    fig, axes = new_figure(2, 4, (16, 6), sharex=True, gridspec_kw={"height_ratios": [2, 1]})
    for j, method in enumerate(METHOD_STYLE):
        colour, _, label = METHOD_STYLE[method]
        head_on_circle(approximate(f, 1, eps, method=method), f, points, axes=axes[:, j], colour=colour, label=label)
        if j:
            axes[0, j].set_ylabel("")
            axes[1, j].set_ylabel("")
    fig.suptitle(f"(a) Compiled heads on S^1 for f = exp(x0) sin(x1), eps = {eps}")
    return _save(fig, out, "heads_s1.png")


def error_map_sphere(out, eps=0.1, resolution=120):
    """(b) |head - f| of the quadrature-vMF head on S^2 for the Lipschitz target, lon/lat grid."""
    f = targets(2)["lipschitz"]
    a = approximate(f, 2, eps, method="quadrature")
    fig = error_map(a, f, resolution)
    ax = fig.axes[0]
    ax.set_title(f"(b) Error of the quadrature-vMF head on S^2, f = |x0| + x1 x2: N = {a.prefix_length}, "
                 f"lam = {a.parameters['lam']:.3g}\n{ax.get_title().split(': ', 1)[1]}, eps = {eps}", fontsize=10)
    return _save(fig, out, "error_map_s2.png")


def error_vs_prefix(out, sweep, m=1):
    """(c) Sampled sup error (filled) and proven bound (hollow) against N, per construction."""
    fig, axes = new_figure(1, 2, (14, 5.5), sharey=True)
    for ax, kind in zip(axes, ("lipschitz", "smooth")):
        runs = [r for r in sweep.runs if r.m == m and r.target == kind and r.N is not None]
        Ns = [r.N for r in runs]
        series = []
        for method, (colour, marker, label) in METHOD_STYLE.items():
            rs = sorted((r for r in runs if r.method == method), key=lambda r: r.N)
            if not rs:
                continue
            N = [r.N for r in rs]
            series.append({"N": N, "error": [r.measured for r in rs], "label": f"{label}: sampled sup error",
                           "colour": colour, "marker": marker})
            if method != "fitted":
                series.append({"N": N, "error": [r.bound for r in rs], "label": f"{label}: proven bound",
                               "colour": colour, "marker": marker, "bound": True})
        L = sweep.lipschitz[m, kind]
        eps = np.array(sorted({r.eps for r in runs}))
        ex = paper_rate_exponent(m)
        n0 = min(Ns)
        grid = np.geomspace(n0, max(Ns) * 10, 50)
        lines = [
            # delta-net a priori size: N = C_m delta^-m with delta = eps / (6L), drawn as eps against N
            {"N": packing_constant(m) * (eps / (6 * L)) ** -m, "error": eps, "style": "k:",
             "label": "delta-net theorem: N = C_m (eps/6L)^-m at error eps"},
            # the paper's rate: only the slope is known; anchored at the smallest N of this panel
            {"N": grid, "error": eps.max() * (grid / n0) ** (-1.0 / ex), "style": "-", "colour": "purple",
             "label": f"paper's rate N ~ eps^-{ex} (slope only, constant unknown)"},
        ]
        error_against_prefix(series, ax, lines)
        name = "Lipschitz target |x0| + x0 x1" if kind == "lipschitz" else "smooth target exp(x0) sin(x1)"
        ax.set_title(f"S^{m}, {name}"
                     f" (L = {L:.3g})", fontsize=10)
    axes[1].set_ylabel("")
    handles, labels = axes[1].get_legend_handles_labels()  # the smooth panel has every construction
    fig.legend(handles, labels, loc="lower center", ncol=3, fontsize=8, bbox_to_anchor=(0.5, -0.12))
    fig.suptitle("(c) Error against prefix length, one point per eps")
    return _save(fig, out, "error_vs_prefix.png")


def multipliers(out, ms=(2, 5), lams=(1.0, 10.0, 100.0, 1e3, 1e4), nmax=300):
    """(d) a_n(lam) against n, with the heat-kernel approximation exp(-n(n+2nu)/(2 lam)) dashed."""
    fig, axes = new_figure(1, len(ms), (7 * len(ms), 5), sharey=True)
    n = np.arange(nmax + 1)
    for ax, m in zip(np.atleast_1d(axes), ms):
        nu = (m - 1) / 2
        for k, lam in enumerate(lams):
            colour = f"C{k}"
            a = softmax_multipliers(m, lam, nmax)
            ax.plot(n, a, color=colour, lw=2.5, alpha=0.6, label=f"lam = {lam:g}")
            ax.plot(n, np.exp(-n * (n + 2 * nu) / (2 * lam)), color="k", ls=":", lw=1)
        ax.set_yscale("log")
        ax.set_ylim(1e-12, 1.5)
        ax.set_xlabel("degree n")
        ax.set_title(f"S^{m} (nu = {nu:g})")
        ax.grid(True, alpha=0.3)
        ax.plot([], [], color="grey", lw=2.5, alpha=0.6, label="a_n (solid)")
        ax.plot([], [], color="k", ls=":", lw=1, label="heat exp(-n(n+2nu)/(2 lam)) (dotted)")
        ax.legend(fontsize=8, loc="upper right")
    np.atleast_1d(axes)[0].set_ylabel("a_n(lam) = I_(n+nu)(lam) / I_nu(lam)")
    fig.suptitle("(d) Softmax smoothing multipliers and the heat-kernel approximation")
    return _save(fig, out, "multipliers.png")
