"""Kolmogorov–Arnold superposition in Sprecher's form, made computable.

``F_t(x_1..x_T) ~ sum_{q=0}^{2T} chi_{t,q}( sum_{p=1}^{T} alpha_p psi(x_p + q a) )``

* :class:`InnerFunction` is Köppen's universal inner function ``psi`` with base
  ``gamma >= 2T + 2``, the shift ``a = 1/(gamma (gamma - 1))`` and the constants
  ``alpha_p``. Braun & Griebel (Constr. Approx. 30, 2009) prove it continuous and
  increasing [third-party]. Values on terminating base-gamma expansions are exact
  (Fractions); anywhere else ``psi`` is evaluated in float64 by monotone
  interpolation in a table, with the bracket width as the stated accuracy.
* :func:`sprecher_outer` builds the outer functions ``chi_{t,q}`` for a target F by
  Sprecher's iteration at a fixed resolution level: one value per "good" cube of
  the level-k grid and per shift q, refined by residual sweeps at the cube centres.

Inputs are mapped affinely into ``[0, 1 - 2Ta]`` before the shifts
(:attr:`InnerFunction.scale`), so that every shifted argument ``scale x + q a``
stays in ``[0, 1]``, the domain on which the images of distinct good cubes are
disjoint (checked by :meth:`InnerFunction.image_separation`).
"""

from __future__ import annotations

import itertools
from fractions import Fraction

import numpy as np

from .._validate import check_int

__all__ = ["InnerFunction", "check_sequences", "good_cubes", "OuterFunctions", "evaluate_target", "sprecher_outer",
           "sprecher_levels", "extrapolate_levels", "float64_resolution_level"]

_MAX_TABLE = 3_000_000  # float tables beyond this many nodes are refused (memory)


class InnerFunction:
    """Köppen's inner function psi for sequences of length T.

    Parameters
    ----------
    T : int
        Number of variables (sequence length), ``T >= 2``.
    gamma : int, optional
        Base of the expansions; ``gamma >= 2T + 2`` (default ``2T + 2``).

    Examples
    --------
    >>> from fractions import Fraction
    >>> psi = InnerFunction(2)
    >>> psi.gamma, psi.a
    (6, Fraction(1, 30))
    >>> psi.exact(Fraction(1, 6))           # level 1: psi(d) = d
    Fraction(1, 6)
    >>> psi.exact(Fraction(2, 36))          # digit 2 at level 2 adds 2 gamma^-beta(2)
    Fraction(1, 108)
    >>> float(psi(0.5)) == float(psi.exact(Fraction(1, 2)))
    True
    """

    def __init__(self, T, gamma=None):
        self.T = check_int(T, "T", minimum=2)
        if gamma is None:
            gamma = 2 * self.T + 2
        self.gamma = check_int(gamma, "gamma", minimum=2 * self.T + 2)
        self.a = Fraction(1, self.gamma * (self.gamma - 1))
        #: affine map of inputs in [0, 1] so that scale*x + q*a <= 1 for q <= 2T
        self.scale = 1.0 - 2 * self.T * float(self.a)
        self.alphas = np.array([self._alpha(p) for p in range(1, self.T + 1)])
        self._psi_memo, self._tables = {}, {}  # per instance: freed with it

    # -- constants -----------------------------------------------------------
    def beta(self, k):
        """``beta_T(k) = (T^k - 1)/(T - 1)``: the exponent of level k's increment.

        Parameters
        ----------
        k : int
            The level.

        Returns
        -------
        int
            ``beta_T(k)``.
        """
        return (self.T**k - 1) // (self.T - 1)

    def _alpha(self, p):
        # alpha_1 = 1, alpha_p = sum_r gamma^-((p-1) beta(r)); terms fall below 1e-300 fast
        if p == 1:
            return 1.0
        total, r = 0.0, 1
        while True:
            e = (p - 1) * self.beta(r)
            if e * np.log10(self.gamma) > 320:
                return total
            total += float(self.gamma) ** (-e)
            r += 1

    # -- exact values ----------------------------------------------------------
    def exact(self, x):
        """psi at a terminating base-gamma expansion in [0, 1], as an exact Fraction.

        ``psi(d) = psi_k(d)`` for ``d`` with k digits: Köppen's recursion.

        Parameters
        ----------
        x : fractions.Fraction, int or str
            A terminating base-gamma expansion in [0, 1].

        Returns
        -------
        fractions.Fraction
            ``psi(x)``.
        """
        x = Fraction(x)
        if not 0 <= x <= 1:
            raise ValueError(f"x must lie in [0, 1], got {x}")
        k, j = 1, x * self.gamma
        while j.denominator != 1:
            k, j = k + 1, j * self.gamma
            if k > 64:
                raise ValueError(f"x = {x} has no terminating base-{self.gamma} expansion")
        return self._psi_k(int(j), k)

    def _psi_k(self, j, k):
        # psi_k(j / gamma^k); j = gamma^k stands for 1. Memoised per instance (an lru_cache on
        # the method would keep every InnerFunction alive through its cache)
        key = (j, k)
        if key not in self._psi_memo:
            g = self.gamma
            if k == 1:
                value = Fraction(j, g)
            else:
                J, i = divmod(j, g)
                if i < g - 1:
                    value = self._psi_k(J, k - 1) + Fraction(i, g ** self.beta(k))
                else:
                    value = (self._psi_k(j - 1, k) + self._psi_k(J + 1, k - 1)) / 2
            self._psi_memo[key] = value
        return self._psi_memo[key]

    # -- float values ------------------------------------------------------------
    def table(self, level):
        """psi at ``j / gamma^level`` for ``j = 0..gamma^level`` in float64.

        The same recursion as :meth:`exact`, run level by level on arrays.

        Parameters
        ----------
        level : int
            Level of Köppen's construction.

        Returns
        -------
        ndarray
            Shape (gamma^level + 1,).
        """
        level = check_int(level, "level", minimum=1)
        if self.gamma**level + 1 > _MAX_TABLE:
            raise ValueError(f"a level-{level} table has {self.gamma ** level + 1} nodes; too many")
        if level not in self._tables:
            self._tables[level] = self._table(level)
        return self._tables[level]

    def _table(self, level):
        g = self.gamma
        P = np.arange(g + 1) / g
        for k in range(2, level + 1):
            inc = float(g) ** (-self.beta(k))
            new = np.empty(g**k + 1)
            base = np.arange(g ** (k - 1)) * g
            for i in range(g - 1):
                new[base + i] = P[:-1] + i * inc
            new[base + g - 1] = 0.5 * (new[base + g - 2] + P[1:])
            new[-1] = 1.0
            P = new
        P.setflags(write=False)
        return P

    def default_level(self):
        """The finest level whose table has at most 200,000 nodes.

        Returns
        -------
        int
            The level.
        """
        return max(1, int(np.log(2e5) / np.log(self.gamma)))

    def accuracy(self, level=None):
        """Largest bracket ``psi(d + gamma^-level) - psi(d)``: the float evaluation error bound.

        Because psi is increasing, psi(x) lies between the table values at the two
        nodes around x, and so does the linear interpolant.

        Parameters
        ----------
        level : int
            Level of Köppen's construction.

        Returns
        -------
        float
            The bound.
        """
        level = self.default_level() if level is None else level
        return float(np.diff(self.table(level)).max())

    def __call__(self, x, level=None):
        """psi(x) for x in [0, 1] (array), within :meth:`accuracy` of the true value."""
        x = np.asarray(x, dtype=float)
        if not np.all(np.isfinite(x)) or x.size and (x.min() < 0 or x.max() > 1):
            raise ValueError("psi is evaluated on [0, 1]; got values outside it or NaN")
        level = self.default_level() if level is None else level
        P = self.table(level)
        return np.interp(x * (len(P) - 1), np.arange(len(P)), P)

    # -- the superposition's inner part -----------------------------------------
    def shifted(self, X):
        """The arguments ``scale x_p + q a``: shape (k, 2T+1, T) for X of shape (k, T).

        Parameters
        ----------
        X : array_like
            Sequences as rows, shape (k, T), entries in [0, 1].

        Returns
        -------
        ndarray
            Shape (k, 2T+1, T).
        """
        X = check_sequences(X, self.T)
        q = np.arange(2 * self.T + 1) * float(self.a)
        return np.clip(self.scale * X[:, None, :] + q[None, :, None], 0.0, 1.0)

    def inner_map(self, X, level=None):
        """The element-wise map ``x_t -> (alpha_t psi(scale x_t + q a))_q``: (k, T, 2T+1).

        Parameters
        ----------
        X : array_like
            Sequences as rows, shape (k, T), entries in [0, 1].
        level : int
            Level of Köppen's construction.

        Returns
        -------
        ndarray
            Shape (k, T, 2T+1).
        """
        return self.alphas[None, :, None] * np.swapaxes(self(self.shifted(X), level), 1, 2)

    def inner_sums(self, X, level=None):
        """``s_q(x) = sum_p alpha_p psi(scale x_p + q a)`` for q = 0..2T: shape (k, 2T+1).

        Parameters
        ----------
        X : array_like
            Sequences as rows, shape (k, T), entries in [0, 1].
        level : int
            Level of Köppen's construction.

        Returns
        -------
        ndarray
            Shape (k, 2T+1).
        """
        return self.inner_map(X, level).sum(axis=1)

    def image_width(self, level):
        """Width of the image of a good level-`level` cube: the same for every cube.

        Parameters
        ----------
        level : int
            Level of Köppen's construction.

        Returns
        -------
        float
            The width.
        """
        tail, r = 0.0, level + 1
        while self.beta(r) * np.log10(self.gamma) < 330:
            tail += float(self.gamma) ** (-self.beta(r))
            r += 1
        return (self.gamma - 2) * tail * float(self.alphas.sum())

    def image_separation(self, level):
        """Smallest gap between the images of distinct good level-`level` cubes.

        A good cube is ``prod_p [d_p, d_p + delta]`` with ``delta = (gamma-2)/(gamma-1)
        gamma^-level``; its image under ``sum_p alpha_p psi`` is an interval, the same for
        every shift q (the shift moves the cube in input space, not its image). Returns
        the smallest gap between consecutive images (positive = disjoint).
        The images are exact: ``psi(d + delta) = psi(d) + (gamma-2) sum_{r>level}
        gamma^-beta(r)`` because every digit of ``d + delta`` beyond the level is gamma-2.

        Parameters
        ----------
        level : int
            Level of Köppen's construction.

        Returns
        -------
        float
            The gap.
        """
        start = good_cubes(self, level).image_starts
        end = start + self.image_width(level)
        order = np.argsort(start)
        return float((start[order][1:] - end[order][:-1]).min())


def check_sequences(X, T):
    """Input sequences as a float (k, T) array with entries in [0, 1].

    Parameters
    ----------
    X : array_like
        Shape (k, T), or (T,) for one sequence.
    T : int
        Sequence length.

    Returns
    -------
    ndarray
        The sequences, shape (k, T).

    Raises
    ------
    ValueError
        On a wrong shape, or entries that are not finite or lie outside [0, 1].

    Examples
    --------
    >>> check_sequences([0.25, 0.5], 2)
    array([[0.25, 0.5 ]])
    """
    arr = np.asarray(X, dtype=float)
    if arr.ndim == 1:
        arr = arr[None, :]
    if arr.ndim != 2 or arr.shape[1] != T:
        raise ValueError(f"X must have shape (k, {T}) (one row per input sequence), got {np.shape(X)}")
    if not np.all(np.isfinite(arr)) or arr.size and (arr.min() < 0 or arr.max() > 1):
        raise ValueError("sequence values must be finite and lie in [0, 1]")
    return arr


class _Cubes:
    """Good cubes of one level: starts (N, T) in [0, 1)^T, their side, and the left ends
    of their images ``sum_p alpha_p psi(start_p)`` (N,)."""

    def __init__(self, starts, width, image_starts):
        self.starts, self.width, self.image_starts = starts, width, image_starts


def good_cubes(inner, level):
    """All level-`level` cube starts ``d in D_level^T`` (gamma^(level T) of them).

    Parameters
    ----------
    inner : InnerFunction
        The inner function.
    level : int
        Level of Köppen's construction.

    Returns
    -------
    _Cubes
        The cube starts, their side and their left ends.
    """
    g = inner.gamma
    n = g**level
    if n**inner.T > 2_000_000:
        raise ValueError(f"level {level} has {n ** inner.T} cubes for T = {inner.T}; too many")
    idx = np.array(list(itertools.product(range(n), repeat=inner.T)), dtype=np.int64)
    image_starts = (inner.alphas * inner.table(level)[idx]).sum(axis=1)
    return _Cubes(idx / n, (g - 2) / (g - 1) / n, image_starts)


class OuterFunctions:
    """The outer functions chi_{t,q} as piecewise-linear interpolants on cube images.

    ``nodes[q]`` are the (sorted) images of the good cubes for shift q and
    ``values[q]`` (shape (N_q, d_out)) the values of chi_{., q} there.
    Calling it on inner sums S (k, 2T+1) gives ``sum_q chi_q(S[:, q])``: (k, d_out).

    Parameters
    ----------
    inner : InnerFunction
        The inner function.
    level : int
        Level of Köppen's construction.
    nodes : list
        Interpolation nodes per shift q.
    centres : list
        Cube centres per shift.
    values : list
        Outer function values per shift.
    residuals : list
        Sup residual after each Sprecher sweep.
    """

    def __init__(self, inner, level, nodes, centres, values, residuals):
        self.inner, self.level = inner, level
        self.nodes, self.centres, self.values = nodes, centres, values
        #: ``max |F - model|`` at the cube centres after each sweep (sweep 0 = first step)
        self.residuals = residuals
        #: the smallest of them: the values kept are those of that sweep
        self.residual = min(residuals) if residuals else float("nan")

    @property
    def d_out(self):
        return self.values[0].shape[1]

    def chi(self, q, s):
        """chi_{., q} at the points s (k,): shape (k, d_out).

        Parameters
        ----------
        q : int
            The shift, 0..2T.
        s : ndarray
            Points, shape (k,).

        Returns
        -------
        ndarray
            Shape (k, d_out).
        """
        s = np.asarray(s, dtype=float)
        return np.stack([np.interp(s, self.nodes[q], v) for v in self.values[q].T], axis=1)

    def __call__(self, S):
        S = np.asarray(S, dtype=float)
        return sum(self.chi(q, S[:, q]) for q in range(S.shape[1]))

    def represent(self, X):
        """The superposition with exact inner sums: ``sum_q chi_q(s_q(X))``: (k, d_out).

        Parameters
        ----------
        X : array_like
            Sequences as rows, shape (k, T), entries in [0, 1].

        Returns
        -------
        ndarray
            Shape (k, d_out).
        """
        return self(self.inner.inner_sums(X))


def evaluate_target(F, X, T):
    """F on sequences X (k, T) as a (k, d_out) float array (d_out = 1 or T).

    Parameters
    ----------
    F : callable
        The target on (k, T) arrays.
    X : array_like
        Sequences as rows, shape (k, T), entries in [0, 1].
    T : int
        Sequence length.

    Returns
    -------
    ndarray
        Shape (k, d_out).
    """
    Y = np.asarray(F(X), dtype=float)
    if Y.ndim == 1:
        Y = Y[:, None]
    if Y.ndim != 2 or Y.shape[0] != len(X) or Y.shape[1] not in (1, T):
        raise ValueError(f"the target must return shape (k,), (k, 1) or (k, {T}); got {Y.shape}")
    if not np.all(np.isfinite(Y)):
        raise ValueError("the target returned NaN or infinite values")
    return Y


def sprecher_outer(inner, F, level=None, sweeps=2):
    """Outer functions for F by Sprecher's iteration at a fixed level.

    Step 0 gives every good cube of shift q (a cube of side ``delta`` whose
    shifted points ``scale x + q a`` have no base-gamma digit gamma-1 below the
    level) the value ``F(centre) / (2T+1)`` at its image. Each further sweep adds
    ``(F - model) / (2T+1)`` at the cube centres, the residual being evaluated
    with the exact inner sums. For each x at least T+1 of the 2T+1 shifts are good
    (Braun–Griebel); the others land between images, where chi interpolates.

    Parameters
    ----------
    inner : InnerFunction
    F : callable
        ``F(X)`` for X of shape (k, T) in [0, 1]^T returns (k,) (one output shared
        by all positions) or (k, T) (output t at position t).
    level : int, optional
        Resolution level k; ``gamma^(k T)`` cubes per shift (default: the finest
        level with at most 5,000 cubes, at least 1).
    sweeps : int
        Residual sweeps after the first step.

    Returns
    -------
    OuterFunctions
        The outer functions.

    Examples
    --------
    >>> import numpy as np
    >>> psi = InnerFunction(2)
    >>> chi = sprecher_outer(psi, lambda X: X[:, 0] * X[:, 1], level=2)
    >>> X = np.array([[0.3, 0.7]])
    >>> bool(abs(chi.represent(X)[0, 0] - 0.21) < 0.05)
    True
    """
    if not isinstance(inner, InnerFunction):
        raise TypeError("inner must be an InnerFunction")
    T, g = inner.T, inner.gamma
    if level is None:
        level = max(1, int(np.log(5e3) / (T * np.log(g))))
    level = check_int(level, "level", minimum=1)
    sweeps = check_int(sweeps, "sweeps", minimum=0)
    cubes = good_cubes(inner, level)
    images = cubes.image_starts + inner.image_width(level) / 2
    a = float(inner.a)
    order = np.argsort(images, kind="stable")
    sorted_images = images[order]  # one array: the images do not depend on q
    nodes, centres = [], []
    for q in range(2 * T + 1):
        c = np.clip((cubes.starts + cubes.width / 2 - q * a) / inner.scale, 0.0, 1.0)
        nodes.append(sorted_images)
        centres.append(c[order])
    targets = [evaluate_target(F, c, T) for c in centres]
    Q = 2 * T + 1
    values = [y / Q for y in targets]
    outer = OuterFunctions(inner, level, nodes, centres, values, [])
    best = None
    for sweep in range(sweeps + 1):
        res = [y - outer.represent(c) for y, c in zip(targets, centres)]
        outer.residuals.append(float(max(np.abs(r).max() for r in res)))
        if best is None or outer.residuals[-1] < best[0]:
            best = (outer.residuals[-1], outer.values)
        if sweep < sweeps:
            outer.values = [v + r / Q for v, r in zip(outer.values, res)]
    # the sweeps at a fixed level need not contract: keep the best values seen
    outer.values = best[1]
    outer.residual = best[0]
    return outer


def sprecher_levels(inner, F, X, levels):
    """Braun–Griebel's iteration: one Sprecher step per level on the residual of the levels before.

    Measures the outer functions alone: the inner sums are exact (Köppen's psi from its
    table), so there is no transformer error in the figures.

    Parameters
    ----------
    inner : InnerFunction
        The inner function.
    F : callable
        The target on (k, T) arrays.
    X : array_like
        Sequences where the error is measured, shape (k, T).
    levels : sequence of int
        The levels, increasing.

    Returns
    -------
    list of dict
        Per level: ``level``, ``sup`` and ``rms`` error of the superposition of all
        steps so far on X, and ``nodes`` (cubes per shift added at this level,
        ``gamma^(level T)``).

    Examples
    --------
    >>> rows = sprecher_levels(InnerFunction(2), lambda X: X.max(axis=1), np.random.rand(50, 2), [1, 2])
    >>> [r["nodes"] for r in rows]
    [36, 1296]
    """
    T = inner.T
    X = check_sequences(X, T)
    steps, rows = [], []

    def residual(Y):
        r = evaluate_target(F, Y, T)
        for outer in steps:
            r = r - outer.represent(Y)
        return r

    for level in levels:
        steps.append(sprecher_outer(inner, residual, level=level, sweeps=0))
        r = residual(X)
        rows.append({"level": int(level), "sup": float(np.abs(r).max()), "rms": float(np.sqrt(np.mean(r**2))),
                     "nodes": inner.gamma ** (int(level) * T)})
    return rows


def extrapolate_levels(rows, eps, gamma, T):
    """The contraction factor per level fitted to :func:`sprecher_levels` and where it leads.

    The factor is the geometric mean of the ratios of successive sup errors; the
    error is extrapolated as ``sup_K factor^(k - K)`` from the last measured level K.

    Parameters
    ----------
    rows : list of dict
        Output of :func:`sprecher_levels` (two levels at least).
    eps : float
        The sup error to reach.
    gamma : int
        The inner function's base.
    T : int
        Sequence length.

    Returns
    -------
    dict
        ``factor``, ``level`` (the first level whose extrapolated error is <= eps;
        None when the factor is >= 1) and ``nodes`` (cubes per shift summed over the
        levels up to it).

    Examples
    --------
    >>> rows = [{"level": 1, "sup": 0.4}, {"level": 2, "sup": 0.2}]
    >>> extrapolate_levels(rows, 0.05, 6, 2)
    {'factor': 0.5, 'level': 4, 'nodes': 1727604}
    """
    sups = [r["sup"] for r in rows]
    if len(sups) < 2:
        raise ValueError("the fit needs two levels at least")
    factor = float(np.exp(np.mean(np.log(np.array(sups[1:]) / np.array(sups[:-1])))))
    last = rows[-1]["level"]
    if factor >= 1:
        return {"factor": factor, "level": None, "nodes": None}
    more = max(0, int(np.ceil(np.log(eps / sups[-1]) / np.log(factor) - 1e-12)))
    level = last + more
    return {"factor": factor, "level": level, "nodes": sum(gamma ** (k * T) for k in range(1, level + 1))}


def float64_resolution_level(inner):
    """The first level whose digits of psi, ``gamma^-beta(k)``, are below float64's spacing at 1.

    Level k of Köppen's recursion adds ``i_k gamma^-beta(k)`` to psi; once that is
    below ``2^-52`` a float64 psi (and the inner sums, which are of order 1) cannot
    tell the level's cubes apart.

    Parameters
    ----------
    inner : InnerFunction
        The inner function.

    Returns
    -------
    int
        The level.

    Examples
    --------
    >>> float64_resolution_level(InnerFunction(2))   # 6^-31 < 2^-52 <= 6^-15
    5
    """
    k = 1
    while Fraction(1, inner.gamma ** inner.beta(k)) >= Fraction(1, 2**52):
        k += 1
    return k
