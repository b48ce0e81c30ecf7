"""Figures of compiled heads: curves on S^1, error maps on S^2, error against prefix length.

Every function returns a ``matplotlib.figure.Figure`` (or draws into the axes it is
given) without touching pyplot: no global state, no backend switch, nothing shown.
Save with ``fig.savefig(path)``; in a notebook a Figure displays itself.

>>> import sympy
>>> import spherical_approx as sa
>>> x0, x1 = sa.sphere_symbols(1)
>>> approx = sa.approximate(x0 * x1, 1, 0.1, method="quadrature")
>>> fig = head_on_circle(approx, x0 * x1)
>>> [ax.get_ylabel() for ax in fig.axes]
['f(x), head(x)', 'head - f']
"""

from __future__ import annotations

import math

import numpy as np

from .targets import Target

__all__ = ["new_figure", "head_on_circle", "error_map", "error_against_prefix", "sphere_grid"]


def new_figure(nrows=1, ncols=1, figsize=(6.0, 4.0), **subplot_kw):
    """A ``matplotlib.figure.Figure`` and its axes, without pyplot.

    Parameters
    ----------
    nrows, ncols : int
        The grid of axes.
    figsize : tuple of float
        Size in inches.
    **subplot_kw
        Passed to ``Figure.subplots`` (``sharex``, ``gridspec_kw``, ...).

    Returns
    -------
    tuple
        (Figure, axes as ``Figure.subplots`` returns them).
    """
    from matplotlib.figure import Figure

    fig = Figure(figsize=figsize)
    return fig, fig.subplots(nrows, ncols, **subplot_kw)


def head_on_circle(approx, f, points=2000, axes=None, colour="tab:blue", label=None):
    """Target and head on S^1 (top) and their difference with the head's bound (bottom).

    Parameters
    ----------
    approx : Approximation
        A head on S^1.
    f : sympy expression or callable
        The target.
    points : int
        Angles drawn.
    axes : pair of matplotlib Axes, optional
        Where to draw (top, bottom); a new Figure when omitted.
    colour : str
        The head's colour.
    label : str, optional
        Title of the top axes.

    Returns
    -------
    matplotlib.figure.Figure
        The figure drawn on.
    """
    if approx.m != 1:
        raise ValueError(f"head_on_circle draws heads on S^1, this one is on S^{approx.m}")
    if axes is None:
        fig, axes = new_figure(2, 1, (7, 5), sharex=True, gridspec_kw={"height_ratios": [2, 1]})
    top, bottom = axes
    theta = np.linspace(-math.pi, math.pi, points)
    X = np.stack([np.cos(theta), np.sin(theta)], axis=1)
    fx = Target(f, 1)(X)[:, 0]
    hx = approx(X)[:, 0]
    top.plot(theta, fx, "k-", lw=2.5, alpha=0.4, label="target f")
    top.plot(theta, hx, "-", color=colour, lw=1.2, label=f"head, N = {approx.prefix_length}")
    top.set_ylabel("f(x), head(x)")
    top.legend(loc="lower right", fontsize=8)
    if label:
        top.set_title(label)
    bottom.plot(theta, hx - fx, "-", color=colour, lw=1)
    if math.isfinite(approx.error_bound):
        kind = "proven bound" if approx.bound_kind.startswith("proven") else "measured error"
        bottom.axhline(approx.error_bound, color="grey", ls="--", lw=1, label=f"{kind} {approx.error_bound:.2g}")
        bottom.axhline(-approx.error_bound, color="grey", ls="--", lw=1)
        bottom.legend(loc="lower right", fontsize=8)
    bottom.set_xlabel("angle theta (x = (cos theta, sin theta))")
    bottom.set_ylabel("head - f")
    return top.figure


def sphere_grid(resolution=120):
    """A longitude/latitude grid of S^2: (lon, lat, points (resolution * 2 resolution, 3)).

    Parameters
    ----------
    resolution : int
        Latitudes (longitudes: twice as many).

    Returns
    -------
    tuple
        (lon in radians, lat in radians, points as rows, latitude-major).
    """
    lon = np.linspace(-math.pi, math.pi, 2 * resolution)
    lat = np.linspace(-math.pi / 2, math.pi / 2, resolution)
    LON, LAT = np.meshgrid(lon, lat)
    X = np.stack([np.cos(LAT) * np.cos(LON), np.cos(LAT) * np.sin(LON), np.sin(LAT)], axis=-1).reshape(-1, 3)
    return lon, lat, X


def error_map(approx, f, resolution=120, ax=None, samples=20000):
    """``|head - f|`` over the sphere: a curve on S^1, a longitude/latitude map on S^2,
    a histogram at random points beyond.

    Parameters
    ----------
    approx : Approximation
        The head.
    f : sympy expression or callable
        The target.
    resolution : int
        Latitudes of the S^2 map (angles on S^1: 16 times as many).
    ax : matplotlib Axes, optional
        Where to draw; a new Figure when omitted.
    samples : int
        Random points of the histogram (m >= 3).

    Returns
    -------
    matplotlib.figure.Figure
        The figure drawn on.

    Examples
    --------
    >>> import spherical_approx as sa
    >>> x0, x1, x2 = sa.sphere_symbols(2)
    >>> approx = sa.approximate(x2, 2, 0.2, method="spectral")
    >>> fig = error_map(approx, x2, resolution=20)
    >>> fig.axes[0].get_xlabel()
    'longitude (deg)'
    """
    from .sphere import sample_uniform

    m, target = approx.m, Target(f, approx.m)
    if ax is None:
        fig, ax = new_figure(1, 1, (9, 4.5) if m == 2 else (6, 4))
    fig = ax.figure
    if m == 1:
        t = np.linspace(-math.pi, math.pi, 16 * resolution)
        X = np.stack([np.cos(t), np.sin(t)], axis=1)
        err = np.linalg.norm(approx(X) - target(X), axis=1)
        ax.plot(t, err)
        ax.set_xlabel("angle theta (x = (cos theta, sin theta))")
        ax.set_ylabel("|head(x) - f(x)|")
    elif m == 2:
        lon, lat, X = sphere_grid(resolution)
        err = np.linalg.norm(approx(X) - target(X), axis=1).reshape(len(lat), len(lon))
        mesh = ax.pcolormesh(np.degrees(lon), np.degrees(lat), err, shading="auto", cmap="viridis")
        fig.colorbar(mesh, ax=ax).set_label("|head(x) - f(x)|")
        ax.set_xlabel("longitude (deg)")
        ax.set_ylabel("latitude (deg)")
    else:
        X = sample_uniform(m, samples, seed=0)
        err = np.linalg.norm(approx(X) - target(X), axis=1)
        ax.hist(err, bins=60)
        ax.set_xlabel(f"|head - f| at {samples} random points")
    bound = approx.error_bound
    ax.set_title(f"{approx.method} head on S^{m}, N = {approx.prefix_length}: max {err.max():.2g}"
                 + (f", bound {bound:.2g}" if math.isfinite(bound) else ""), fontsize=10)
    return fig


def error_against_prefix(series, ax=None, reference_lines=()):
    """Error against prefix length N on log-log axes.

    Parameters
    ----------
    series : list of dict
        Each with ``N`` (prefix lengths), ``error`` (the values), ``label``, and optionally
        ``colour``, ``marker`` and ``bound`` (True draws a dashed, hollow-marker line: a
        proven bound; False a solid one: a sampled error).
    ax : matplotlib Axes, optional
        Where to draw; a new Figure when omitted.
    reference_lines : list of dict
        Lines with ``N``, ``error``, ``label`` and optionally ``style`` (a format string)
        and ``colour``: theorems and rates drawn without markers.

    Returns
    -------
    matplotlib.figure.Figure
        The figure drawn on.

    Examples
    --------
    >>> fig = error_against_prefix([{"N": [10, 100], "error": [0.1, 0.01], "label": "head"}])
    >>> fig.axes[0].get_xscale(), fig.axes[0].get_xlabel()
    ('log', 'prefix length N')
    """
    if ax is None:
        fig, ax = new_figure(1, 1, (7, 5))
    for s in series:
        bound = s.get("bound", False)
        ax.plot(s["N"], np.maximum(np.asarray(s["error"], dtype=float), 1e-16), marker=s.get("marker", "o"),
                color=s.get("colour"), ls="--" if bound else "-", mfc="none" if bound else None, label=s["label"])
    for line in reference_lines:
        colour = {"color": line["colour"]} if "colour" in line else {}
        ax.plot(line["N"], line["error"], line.get("style", "k:"), lw=1.5, label=line["label"], **colour)
    ax.set_xscale("log")
    ax.set_yscale("log")
    ax.set_xlabel("prefix length N")
    ax.set_ylabel("sup |head - f|")
    ax.grid(True, which="both", alpha=0.3)
    return ax.figure
