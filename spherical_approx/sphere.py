"""Geometry of the unit sphere S^m in R^(m+1).

Conventions [classical]
-----------------------
* ``A_m = |S^m| = 2 pi^((m+1)/2) / Gamma((m+1)/2)``; ``A_0 = 2`` (two points).
* Geodesic distance ``d(x, y) = arccos <x, y>`` in ``[0, pi]``, computed in the
  stable form ``2 atan2(|x - y|, |x + y|)``.
* Hyperspherical coordinates ``(phi, theta_2, ..., theta_m)`` with
  ``phi in [0, 2 pi)`` and ``theta_k in [0, pi]``::

      x_m     = cos theta_m
      x_{m-1} = sin theta_m cos theta_{m-1}
      ...
      x_1     = sin theta_m ... sin theta_2 sin phi
      x_0     = sin theta_m ... sin theta_2 cos phi

  This is the order in which :mod:`spherical_approx.harmonics` and
  :mod:`spherical_approx.quadrature` peel coordinates off (``x_m`` first).
"""

from __future__ import annotations

import functools
import math
from functools import lru_cache

import numpy as np
from scipy.spatial import ConvexHull, cKDTree

from ._validate import check_dimension, check_int, check_points, check_positive
from .arith import ExactBackend, get_backend
from .limits import check_feasible

__all__ = [
    "sphere_area",
    "cap_area",
    "monomial_integral",
    "polynomial_integral",
    "geodesic_distance",
    "sample_uniform",
    "to_hyperspherical",
    "from_hyperspherical",
    "delta_net",
    "delta_net_size_estimate",
    "check_delta_net_feasible",
    "covering_radius",
]


def sphere_area(m, backend="float", dps=None):
    """Surface measure ``A_m = |S^m| = 2 pi^((m+1)/2) / Gamma((m+1)/2)``.

    ``m = 0`` is allowed and gives ``A_0 = 2`` (the measure of the two-point sphere S^0).

    Parameters
    ----------
    m : int
        Sphere dimension, m >= 1.
    backend : {"float", "mp", "arb", "exact"} or Backend
        The number system (see :func:`spherical_approx.arith.get_backend`).
    dps : int, optional
        Decimal digits for "mp" and "arb".

    Returns
    -------
    number
        ``|S^m|`` in the backend's number type.

    Examples
    --------
    >>> sphere_area(2, backend="exact")
    4*pi
    >>> sphere_area(3, backend="exact")
    2*pi**2
    >>> sphere_area(1)
    6.283185307179586
    """
    m = check_int(m, "m", minimum=0)
    B = get_backend(backend, dps)
    with B.local():
        half = B.rational(m + 1, 2)
        # in logs from m = 340: Gamma(half) overflows float64 (m >= 342) long before the ratio underflows
        return B.finish(B.in_logs_if(m >= 340, lambda: 2 * B.pi() ** half / B.gamma(half),
                                     lambda: 2 * B.exp(half * B.log(B.pi()) - B.loggamma(half))))


def cap_area(m, radius, backend="float", dps=None):
    """Area of the geodesic cap ``{y : d(x, y) <= radius}`` on S^m.

    ``A_{m-1} int_0^r sin^(m-1) t dt``, evaluated with the regularised
    incomplete beta function: ``(A_m / 2) I_{sin^2 r}(m/2, 1/2)`` for
    ``r <= pi/4``, ``(A_m / 2)(1 -+ I_{cos^2 r}(1/2, m/2))`` around pi/2, and by
    complement near pi.

    Parameters
    ----------
    m : int
        Sphere dimension, m >= 1.
    radius : float or exact rational
        Cap radius in [0, pi]. For ``backend="exact"`` any sympy number
        (e.g. ``pi/3``) is accepted.
    backend : {"float", "mp", "arb", "exact"} or Backend
        The number system (see :func:`spherical_approx.arith.get_backend`).
    dps : int, optional
        Decimal digits for "mp" and "arb".

    Returns
    -------
    number
        The area, in the backend's number type.

    Examples
    --------
    >>> import sympy
    >>> cap_area(2, sympy.pi / 3, backend="exact")     # 2 pi (1 - cos r)
    pi
    >>> round(cap_area(2, math.pi / 3), 12)
    3.14159265359
    >>> round(cap_area(1, 0.25), 12)                   # an arc of length 2 r
    0.5
    """
    m = check_dimension(m)
    return _cap_area(get_backend(backend, dps), m, radius)


@functools.singledispatch
def _cap_area(B, m, radius):
    r = check_positive(radius, "radius", allow_zero=True)
    if r > math.pi:
        raise ValueError(f"radius must be in [0, pi], got {radius!r}")
    with B.local():
        area = sphere_area(m, B)
        rr = B.convert(radius)
        half_m, half = B.rational(m, 2), B.rational(1, 2)
        # Three forms, each free of cancellation on its range: near r = pi/2 the
        # argument sin^2 r is within rounding of 1, where I_x(m/2, 1/2) has an
        # infinite slope, so use the cos^2 r form there.
        if r <= math.pi / 4:
            s = B.sin(rr)
            value = area / 2 * B.betainc(half_m, half, s * s)
        elif r < 3 * math.pi / 4:
            c = B.cos(rr)
            lower = B.betainc(half, half_m, c * c)
            value = area / 2 * (1 - lower) if r <= math.pi / 2 else area / 2 * (1 + lower)
        else:
            s = B.sin(rr)
            value = area - area / 2 * B.betainc(half_m, half, s * s)
        return B.finish(value)


@_cap_area.register
def _(B: ExactBackend, m, radius):
    import sympy

    r = sympy.sympify(radius)
    if not (r.is_real and 0 <= r <= sympy.pi):
        raise ValueError(f"radius must be in [0, pi], got {radius!r}")
    t = sympy.Symbol("t")
    integral = sympy.integrate(sympy.sin(t) ** (m - 1), (t, 0, r))
    return sympy.simplify(sphere_area(m - 1, backend=B) * integral)


def polynomial_integral(poly, backend="exact", dps=None):
    """Exact ``int_{S^m} p d sigma`` for a sympy ``Poly`` p in the m+1 coordinates.

    Parameters
    ----------
    poly : sympy.Poly
        A polynomial in m+1 generators (the coordinates of R^(m+1)).
    backend, dps
        As for :func:`monomial_integral`.

    Returns
    -------
    number
        The integral over S^m, term by term from :func:`monomial_integral`.

    Examples
    --------
    >>> import sympy
    >>> x0, x1, x2 = sympy.symbols("x0:3")
    >>> polynomial_integral(sympy.Poly(x0**2 + 1, x0, x1, x2))      # 4 pi / 3 + 4 pi
    16*pi/3
    """
    import sympy

    total = sympy.Integer(0)
    for monom, coeff in poly.terms():
        total += sympy.sympify(coeff) * monomial_integral(monom, backend, dps)
    return total


def monomial_integral(exponents, backend="exact", dps=None):
    """``int_{S^m} x_0^a_0 ... x_m^a_m d sigma`` for nonnegative integers a_i.

    Zero unless every exponent is even; otherwise
    ``2 prod Gamma(b_i) / Gamma(sum b_i)`` with ``b_i = (a_i + 1)/2``
    (m = len(exponents) - 1) [classical].

    Parameters
    ----------
    exponents : sequence of int
        The exponents a_0..a_m (m+1 of them).
    backend : {"float", "mp", "arb", "exact"} or Backend
        The number system (see :func:`spherical_approx.arith.get_backend`).
    dps : int, optional
        Decimal digits for "mp" and "arb".

    Returns
    -------
    number
        The integral, in the backend's number type.

    Examples
    --------
    >>> monomial_integral((2, 0, 0))          # int x^2 over S^2
    4*pi/3
    >>> monomial_integral((1, 2))
    0
    """
    exps = [check_int(a, "exponent") for a in exponents]
    if len(exps) < 2:
        raise ValueError("exponents must have length m + 1 >= 2")
    B = get_backend(backend, dps)
    with B.local():
        if any(a % 2 for a in exps):
            return B.rational(0)
        halves = [B.rational(a + 1, 2) for a in exps]
        num = 2
        for h in halves:
            num = num * B.gamma(h)
        return B.finish(num / B.gamma(B.rational(sum(exps) + len(exps), 2)))


def geodesic_distance(X, Y):
    """Geodesic distance ``arccos <x, y>`` between unit vectors, broadcast over leading axes.

    Computed as ``2 atan2(|x - y|, |x + y|)``, accurate also for nearly equal or
    nearly antipodal points, where ``arccos`` loses half the digits.

    Parameters
    ----------
    X, Y : array_like, shape (..., m+1)
        Unit vectors; the leading axes broadcast against each other.

    Returns
    -------
    float or ndarray
        Shape ``broadcast(X.shape[:-1], Y.shape[:-1])``.

    Examples
    --------
    >>> geodesic_distance([1.0, 0.0], [0.0, 1.0])
    1.5707963267948966
    >>> y = np.array([1.0, 1e-9, 0.0]) / np.hypot(1.0, 1e-9)
    >>> geodesic_distance([[1.0, 0.0, 0.0]], [y])          # arccos would give 0
    array([1.e-09])
    >>> P = np.eye(3)
    >>> geodesic_distance(P[:, None, :], P[None, :, :]).round(6)   # all pairs
    array([[0.      , 1.570796, 1.570796],
           [1.570796, 0.      , 1.570796],
           [1.570796, 1.570796, 0.      ]])
    """
    Xa, Ya = np.asarray(X, dtype=float), np.asarray(Y, dtype=float)
    if Xa.ndim == 0 or Ya.ndim == 0 or Xa.shape[-1] != Ya.shape[-1] or Xa.shape[-1] < 2:
        raise ValueError(
            f"X and Y must end in the same axis of length m+1 >= 2, got shapes {Xa.shape} and {Ya.shape}"
        )
    m = Xa.shape[-1] - 1
    check_points(Xa.reshape(-1, m + 1), m, "X")
    check_points(Ya.reshape(-1, m + 1), m, "Y")
    d = 2.0 * np.arctan2(np.linalg.norm(Xa - Ya, axis=-1), np.linalg.norm(Xa + Ya, axis=-1))
    return float(d) if d.ndim == 0 else d


def sample_uniform(m, k, seed=None):
    """``k`` points drawn uniformly (w.r.t. sigma) from S^m, as a (k, m+1) array.

    Parameters
    ----------
    seed : int, numpy Generator or None
        Passed to :func:`numpy.random.default_rng`.
    m : int
        Sphere dimension, m >= 1.
    k : int
        Number of points.

    Returns
    -------
    ndarray
        Shape (k, m+1).

    Examples
    --------
    >>> X = sample_uniform(3, 5, seed=0)
    >>> X.shape, bool(np.allclose(np.linalg.norm(X, axis=1), 1))
    ((5, 4), True)
    """
    m = check_dimension(m)
    k = check_int(k, "k")
    check_feasible(f"{k} points on S^{m}", elements=3.0 * k * (m + 1), operations=10.0 * k * (m + 1),
                   advice="ask for fewer points")
    rng = np.random.default_rng(seed)
    G = rng.standard_normal((k, m + 1))
    norms = np.linalg.norm(G, axis=1)
    while np.any(norms == 0):  # probability zero; resample rather than divide by 0
        bad = norms == 0
        G[bad] = rng.standard_normal((int(bad.sum()), m + 1))
        norms = np.linalg.norm(G, axis=1)
    return G / norms[:, None]


def to_hyperspherical(X):
    """Angles ``(phi, theta_2, ..., theta_m)`` of unit rows X (see module docstring).

    Returns an array of shape (k, m): column 0 is phi in [0, 2 pi), column
    j >= 1 is theta_{j+1} in [0, pi].

    Parameters
    ----------
    X : array_like
        Points of S^m as rows, shape (k, m+1).

    Returns
    -------
    ndarray
        Angles, shape (k, m).

    Examples
    --------
    >>> to_hyperspherical([[0.0, 0.0, 1.0]])
    array([[0., 0.]])
    """
    Xa = np.asarray(X, dtype=float)
    m = Xa.shape[-1] - 1
    check_dimension(m, "X.shape[-1] - 1")
    Xa = check_points(Xa, m, "X")
    ang = np.empty((Xa.shape[0], m))
    ang[:, 0] = np.mod(np.arctan2(Xa[:, 1], Xa[:, 0]), 2 * np.pi)
    # theta_k = atan2(|x_0..x_{k-1}|, x_k): stable near the poles.
    sq = Xa[:, 0] ** 2 + Xa[:, 1] ** 2
    for k in range(2, m + 1):
        ang[:, k - 1] = np.arctan2(np.sqrt(sq), Xa[:, k])
        sq = sq + Xa[:, k] ** 2
    return ang


def from_hyperspherical(angles):
    """Unit points from hyperspherical angles (inverse of :func:`to_hyperspherical`).

    Parameters
    ----------
    angles : array_like
        Angles ``(phi, theta_2, ..., theta_m)`` as rows, shape (k, m).

    Returns
    -------
    ndarray
        Unit points, shape (k, m+1).

    Examples
    --------
    >>> from_hyperspherical([[0.0, np.pi / 2]])
    array([[1.000000e+00, 0.000000e+00, 6.123234e-17]])
    """
    A = np.asarray(angles, dtype=float)
    if A.ndim == 1:
        A = A[None, :]
    if A.ndim != 2 or A.shape[1] < 1:
        raise ValueError(f"angles must have shape (k, m) with m >= 1, got {np.shape(angles)}")
    if not np.all(np.isfinite(A)):
        raise ValueError("angles contains NaN or infinite entries")
    k, m = A.shape
    X = np.empty((k, m + 1))
    scale = np.ones(k)
    for j in range(m, 1, -1):  # theta_m first
        th = A[:, j - 1]
        X[:, j] = scale * np.cos(th)
        scale = scale * np.sin(th)
    X[:, 0] = scale * np.cos(A[:, 0])
    X[:, 1] = scale * np.sin(A[:, 0])
    return X


def _chord(delta):
    """Euclidean length of a geodesic of length ``delta``."""
    return 2.0 * math.sin(delta / 2.0)


def _greedy_separated(points, chord, keep=None):
    """Greedy maximal subset of ``points`` (in the given order) with pairwise chord >= ``chord``.

    ``keep`` are points already chosen; candidates closer than ``chord`` to them are
    discarded first. The conflict graph comes from one KD-tree pair query, so the
    Python loop only touches booleans.
    """
    n = len(points)
    alive = np.ones(n, dtype=bool)
    if keep is not None and len(keep):
        dist, _ = cKDTree(keep).query(points, k=1)
        alive &= dist >= chord
    pairs = cKDTree(points).query_pairs(chord, output_type="ndarray")
    if len(pairs):
        i, j = pairs[:, 0], pairs[:, 1]
        close = np.linalg.norm(points[i] - points[j], axis=1) < chord
        i, j = i[close], j[close]
        src = np.concatenate([i, j])
        dst = np.concatenate([j, i])
        order = np.argsort(src, kind="stable")
        src, dst = src[order], dst[order]
        indptr = np.searchsorted(src, np.arange(n + 1))
    else:
        dst = np.empty(0, dtype=np.intp)
        indptr = np.zeros(n + 1, dtype=np.intp)
    chosen = []
    for c in range(n):
        if alive[c]:
            chosen.append(c)
            alive[dst[indptr[c]:indptr[c + 1]]] = False
    return points[np.asarray(chosen, dtype=np.intp)]


def covering_radius(points):
    """Largest geodesic distance from a point of S^m to the set ``points``.

    Computed exactly (up to rounding) from the spherical Voronoi diagram: the
    distance to the set is maximal at Voronoi vertices, which are the outward
    unit normals of the facets of the convex hull of the points (each facet's
    cap is empty, so its own vertices are the nearest points). For m = 1 it is
    half the largest angular gap. For m >= 2 it needs at least m + 2 points
    not all on one hyperplane (qhull); otherwise a ``ValueError`` is raised.

    Parameters
    ----------
    points : array_like
        Points of S^m as rows, shape (k, m+1).

    Returns
    -------
    float
        An estimate of the covering radius (sampled, from below).

    Examples
    --------
    >>> octahedron = np.concatenate([np.eye(3), -np.eye(3)])
    >>> round(covering_radius(octahedron), 12)        # arccos(1/sqrt 3)
    0.955316618125
    """
    P = np.asarray(points, dtype=float)
    m = P.shape[-1] - 1
    P = check_points(P, m, "points")
    _, chord = _voronoi_vertices(P)
    return float(np.max(2 * np.arcsin(np.minimum(chord / 2, 1.0))))


def _voronoi_vertices(P):
    """Spherical Voronoi vertices of P and their chord distance to the set P."""
    m = P.shape[1] - 1
    if m == 1:
        ang = np.sort(np.mod(np.arctan2(P[:, 1], P[:, 0]), 2 * np.pi))
        gaps = np.diff(np.concatenate([ang, ang[:1] + 2 * np.pi]))
        mid = ang + gaps / 2
        vert = np.stack([np.cos(mid), np.sin(mid)], axis=1)
        return vert, 2 * np.sin(gaps / 4)
    if len(P) < m + 2:
        raise ValueError(f"need at least {m + 2} points on S^{m} for a Voronoi diagram")
    try:
        hull = ConvexHull(P)
    except Exception as exc:  # qhull errors: degenerate (flat) point sets
        raise ValueError(f"convex hull of the points failed: {exc}") from exc
    normals, offsets = hull.equations[:, :-1], hull.equations[:, -1]
    normals = normals / np.linalg.norm(normals, axis=1)[:, None]
    if np.all(offsets < 0):  # origin strictly inside: every facet cap is empty
        return normals, np.linalg.norm(normals - P[hull.simplices[:, 0]], axis=1)
    # points within a closed hemisphere: fall back to nearest-point queries
    dist, _ = cKDTree(P).query(normals, k=1)
    return normals, dist


def delta_net(m, delta, seed=0, max_rounds=50):
    """A maximal geodesically ``delta``-separated set on S^m.

    The returned points satisfy ``d(b_i, b_j) >= delta`` for i != j, and no point
    of S^m is at distance ``>= delta`` from all of them, so they also form a
    ``delta``-net (covering radius < delta) [classical].

    Method: a greedy pass over a random candidate cloud (KD-tree conflict
    graph, O(K log K)), then repair rounds that compute the covering radius
    exactly from the spherical Voronoi diagram (convex hull, see
    :func:`covering_radius`) and add every Voronoi vertex at distance
    ``>= delta`` (greedily, keeping separation) until none is left.
    For m = 1 the equally spaced set of ``floor(2 pi / delta)`` points is
    returned, which is maximal.

    Parameters
    ----------
    m : int
        Sphere dimension, m >= 1. The Voronoi repair uses qhull in dimension
        m + 1, practical for m <= 4 or so.
    delta : float
        Separation in (0, pi/2].
    seed : int or numpy Generator
        Seed for the candidate cloud and the greedy order (a Generator supplies one).
    max_rounds : int
        Rounds of the candidate sampling and repair.

    Returns
    -------
    ndarray, shape (N, m+1)

    Examples
    --------
    >>> P = delta_net(2, 0.3)
    >>> D = geodesic_distance(P[:, None, :], P[None, :, :])
    >>> bool(D[~np.eye(len(P), dtype=bool)].min() >= 0.3), covering_radius(P) < 0.3
    (True, True)
    """
    m = check_dimension(m)
    delta = check_positive(delta, "delta")
    if delta > math.pi / 2:
        raise ValueError(f"delta must be in (0, pi/2], got {delta!r}")
    if isinstance(seed, np.random.Generator):  # nets are cached per integer seed: draw one
        seed = int(seed.integers(2**63))
    if isinstance(seed, bool) or not isinstance(seed, (int, np.integer)):
        raise TypeError(f"seed must be an integer or a numpy Generator, got {type(seed).__name__}")
    max_rounds = check_int(max_rounds, "max_rounds", minimum=1)
    check_delta_net_feasible(m, delta)
    return _delta_net_cached(m, delta, int(seed), max_rounds).copy()


def delta_net_size_estimate(m, delta):
    """Upper estimate of a maximal delta-separated set's size: ``|S^m| / |cap(delta/2)|`` (disjoint caps).

    Parameters
    ----------
    m : int
        Sphere dimension, m >= 1.
    delta : float
        Geodesic distance, > 0.

    Returns
    -------
    float
        The estimate.
    """
    if m == 1:
        return 2 * math.pi / delta
    cap = cap_area(m, delta / 2)
    return float(sphere_area(m) / cap) if cap > 0 else math.inf  # the cap's area underflows in high m


def check_delta_net_feasible(m, delta):
    """Refuse a delta-net whose construction would not fit in the limits (:mod:`spherical_approx.limits`).

    Parameters
    ----------
    m : int
        Sphere dimension, m >= 1.
    delta : float
        Geodesic distance, > 0.
    """
    n = delta_net_size_estimate(m, delta)
    # candidates (2n, capped at 4e6) plus qhull's hull in dimension m+1, whose facet count grows
    # like n 2^m; the work model n^1.2 4000 5^(m-2) is fitted to timings of the Voronoi repair
    # (S^2, 32k points: 1 s; S^3, 15k: 2 s, 43k: 7.5 s) at about 1e9 operations per second
    cand = min(max(2 * n, 200), 4e6)
    elements = (cand + n * 2 ** min(m, 60)) * (m + 1) if m > 1 else n * (m + 1)
    ops = n**1.2 * 4000 * 5.0 ** min(m - 2, 300) if m > 1 else n
    check_feasible(f"a delta-net on S^{m} with delta = {delta:.3g} (about {n:.3g} points)",
                   elements=elements, operations=ops, advice="ask for a larger delta (larger eps) or a smaller m")


@lru_cache(maxsize=8)
def _delta_net_cached(m, delta, seed, max_rounds):
    # deterministic in (m, delta, seed): nets are reused by constructions and checks
    if m == 1:
        n = int(math.floor(2 * math.pi / delta))
        t = 2 * math.pi * np.arange(n) / n
        return np.stack([np.cos(t), np.sin(t)], axis=1)
    rng = np.random.default_rng(seed)
    chord = _chord(delta)
    # Disjoint caps of radius delta/2 bound N; oversample that bound twice.
    n_max = sphere_area(m) / cap_area(m, delta / 2)
    n_cand = int(min(max(2 * n_max, 200), 4e6))
    P = _greedy_separated(sample_uniform(m, n_cand, seed=rng), chord)
    for _ in range(max_rounds):
        vert, dist = _voronoi_vertices(P)
        holes = vert[dist >= chord]
        if len(holes) == 0:
            return P
        holes = holes[rng.permutation(len(holes))]
        P = np.concatenate([P, _greedy_separated(holes, chord, keep=P)])
    raise RuntimeError(f"delta_net did not become maximal in {max_rounds} repair rounds")
