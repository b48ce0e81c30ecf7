"""The universal attention head (docs/theory/heads.rst) and its stable float64 evaluation.

Universal head [toolkit]. For (m, d_out) fix ``d = 2(m+2) + d_out`` and the token
layout ``u = (q-block in R^(m+2), k-block in R^(m+2), v-block in R^d_out)``;
``W_Q`` selects the q-block, ``W_K`` the k-block, ``W_V`` the v-block. A content
token for input x is ``(x, 1, 0, 0)``, a prefix token ``(0, (kappa_i, b_i), v_i)``.
Then the prefix scores are ``<x, kappa_i> + b_i``, every content score and value
is 0, and the output at a content position t is exactly

    head(x_t) = sum_i e^(s_i) v_i / (sum_i e^(s_i) + c_t),

``c_t`` the number of content tokens visible to t (T without a mask, t with a
causal mask). The matrices never depend on the target; only the prefix does.

Evaluation never forms more than a bounded block of scores, and uses the
log-sum-exp shift ``M = max(0, max_i s_i)`` (``max_i s_i`` when no content token is
seen) so that lam up to 1e12 neither overflows nor loses the content term. The truncated path visits only keys near
each query (a grid of cubes over the key directions) and returns a bound on the neglected mass.
"""

from __future__ import annotations

import functools
import math
from dataclasses import dataclass

import numpy as np
from scipy.spatial import cKDTree

from ._validate import check_dimension, check_int, check_points
from .grid import MAX_COLUMNS, DirectionGrid, cell_exponent
from .rounding import (
    EXP_FLOOR,
    EXP_FLOOR_SINGLE,
    EXP_ULPS,
    INPUT_NORM_ULPS,
    float_dtype,
    gamma,
    max_row_norm,
    unit_roundoff,
)

__all__ = ["UniversalHead", "Prefix", "softmax_attention", "TruncatedResult", "log_sum_exp_shift", "on_sphere"]

#: Scores per block in the dense path (about 32 MB of float64 per block).
BLOCK = 1 << 22
#: The truncated path evaluates densely the queries whose ball covers more than this fraction of S^m.
DENSE_FRACTION = 1 / 16
#: Query-key pairs per step of the truncated path's sums: small temporaries stay in cache and are
#: reused by the allocator (at 2^20 pairs, fresh pages cost a third of the time at N = 1e5).
_PAIRS_PER_BLOCK = 1 << 16
#: Grid columns per search of the truncated path (bounds the memory of its column and range arrays).
_COLUMNS_PER_PART = 1 << 19


def _range_indices(start, stop):
    """The integers of the ranges [start, stop), range after range, as one array."""
    lengths = stop - start
    return np.repeat(start - (np.cumsum(lengths) - lengths), lengths) + np.arange(int(lengths.sum()))


def _key_spacing2(prefix):
    """Squared typical distance between neighbouring key directions: ``(area(S^m) / N)^(2/m)``."""
    from .sphere import sphere_area

    return (float(sphere_area(prefix.m)) / prefix.length) ** (2 / prefix.m)


@functools.lru_cache(maxsize=None)
def _dense_chord2(m):
    """Squared chord radius of the cap holding DENSE_FRACTION of S^m."""
    from scipy.optimize import brentq

    from .sphere import cap_area, sphere_area

    angle = brentq(lambda t: cap_area(m, t) / sphere_area(m) - DENSE_FRACTION, 1e-9, np.pi)
    return 2 * (1 - np.cos(angle))


@dataclass(frozen=True, eq=False)
class Prefix:
    """Prefix tokens of the universal head: keys (N, m+1), biases (N,), values (N, d_out).

    Frozen: the arrays are private read-only copies, so a bound proven for a prefix (and
    its cached search structures) cannot change behind its back; build a new one to edit.

    Parameters
    ----------
    keys : array_like
        Unit key directions scaled by lambda, shape (N, m+1).
    biases : array_like
        Shape (N,).
    values : array_like
        Shape (N, d_out).
    """

    keys: np.ndarray
    biases: np.ndarray
    values: np.ndarray

    def __post_init__(self):
        # private read-only copies: a bound proven for this prefix (and its cached direction
        # tree) must not change when the caller edits the arrays it passed in
        keys = np.atleast_2d(np.array(self.keys, dtype=float))
        biases = np.array(self.biases, dtype=float).reshape(-1)
        vals = np.array(self.values, dtype=float)
        vals = vals[:, None] if vals.ndim == 1 else vals
        for name, arr in (("keys", keys), ("biases", biases), ("values", vals)):
            arr.flags.writeable = False
            object.__setattr__(self, name, arr)  # the dataclass is frozen
        N = self.keys.shape[0]
        if self.biases.shape != (N,) or self.values.ndim != 2 or self.values.shape[0] != N:
            raise ValueError(f"prefix shapes disagree: keys {self.keys.shape}, biases {self.biases.shape}, "
                             f"values {self.values.shape}")
        for name in ("keys", "biases", "values"):
            if not np.all(np.isfinite(getattr(self, name))):
                raise ValueError(f"prefix {name} contain NaN or infinite entries")

    def __getstate__(self):
        # a pickle (process pools, Dask) holds the arrays only: the cached search structures
        # (KD-tree, grids: several times the arrays' size) are rebuilt where they are needed
        return {name: self.__dict__[name] for name in ("keys", "biases", "values")}

    def __setstate__(self, state):
        for name, arr in state.items():
            arr.flags.writeable = False
            object.__setattr__(self, name, arr)

    @property
    def length(self):
        return self.keys.shape[0]

    @property
    def m(self):
        return self.keys.shape[1] - 1

    @property
    def d_out(self):
        return self.values.shape[1]

    @functools.cached_property
    def _key_norms(self):
        """The key norms, each within (m + 3) u relative: the keys are scaled by a power of two
        first (exact), so that squares neither overflow nor leave the normal range."""
        top = float(np.abs(self.keys).max()) if self.keys.size else 0.0
        scale = 2.0 ** np.frexp(top)[1] if top > 0 else 1.0
        return np.linalg.norm(self.keys / scale, axis=1) * scale

    @functools.cached_property
    def _tree(self):
        norms = self._key_norms
        return cKDTree(self.keys / np.where(norms > 0, norms, 1.0)[:, None])

    def common_key_norm(self):
        """lam when every key has norm lam > 0 (within 1e-9 relative), else None (computed once).

        Returns
        -------
        float or None
            The common norm.
        """
        return self._common_norm

    @functools.cached_property
    def _common_norm(self):
        norms = self._key_norms
        lam = float(norms.max()) if len(norms) else 0.0
        return None if lam == 0 or not math.isfinite(lam) or np.max(np.abs(norms - lam)) > 1e-9 * lam else lam

    def key_norm_range(self):
        """Bounds ``(lo, hi)`` of the key norms: ``lo <= |kappa_i| <= hi`` for every key (computed once).

        Returns
        -------
        tuple of float
            The bounds.
        """
        return self._norm_range

    @functools.cached_property
    def _norm_range(self):
        norms = self._key_norms  # each within (m + 3) u relative of the exact norm
        pad = 2 * (self.m + 4) * unit_roundoff()
        return float(norms.min()) * (1 - pad), float(norms.max()) * (1 + pad)

    def direction_grid(self, k):
        """The key directions sorted into the grid of cubes of side 2^-k (built once per k).

        Parameters
        ----------
        k : int
            Cell exponent (see :func:`spherical_approx.grid.cell_exponent`).

        Returns
        -------
        spherical_approx.grid.DirectionGrid
            The grid, holding keys, biases and values in its order.
        """
        grids = self._grids
        if k not in grids:
            # keys and values transposed: the truncated path gathers them one coordinate at a time
            grids[k] = DirectionGrid(self._tree.data, k, (self.keys.T, self.biases, self.values.T))
        return grids[k]

    @functools.cached_property
    def _grids(self):
        return {}

    def direction_tree(self):
        """KD-tree of the key directions (built once; the keys are read-only).

        Returns
        -------
        scipy.spatial.cKDTree
            The tree.
        """
        return self._tree

    def shifted(self, beta):
        """The same prefix with ``beta`` added to every bias (scales the content term by e^-beta).

        Parameters
        ----------
        beta : float
            Added to every bias.

        Returns
        -------
        Prefix
            The shifted prefix.
        """
        return Prefix(self.keys, self.biases + beta, self.values)


def softmax_attention(Q, K, V, mask=None):
    """Plain single-head softmax attention ``softmax(Q K^T) V`` with a boolean mask (True = visible).

    A reference implementation on explicit matrices (stable log-sum-exp), used to
    check the closed form of the universal head.

    Parameters
    ----------
    Q : ndarray
        Queries, shape (k, d).
    K : ndarray
        Keys, shape (n, d).
    V : ndarray
        Values, shape (n, d_v).
    mask : ndarray of bool, optional
        Shape (k, n); True where a key is visible.

    Returns
    -------
    ndarray
        Shape (k, d_v).
    """
    S = Q @ K.T
    if mask is not None:
        S = np.where(mask, S, -np.inf)
    S = S - S.max(axis=1, keepdims=True)
    W = np.exp(S)
    return (W @ V) / W.sum(axis=1, keepdims=True)


@dataclass
class TruncatedResult:
    """Output of the truncated evaluation and a bound on what truncation changed.

    Parameters
    ----------
    output : ndarray
        The head output, shape (k, d_out).
    error_bound : ndarray
        Bound of ``|output - dense output|`` per query.
    neglected_mass : ndarray
        Bound of the softmax mass of the keys not visited, per query.
    keys_visited : int
        Keys visited in all.
    """

    output: np.ndarray
    error_bound: np.ndarray  # per query: sup-norm bound of |truncated - exact| (over outputs)
    neglected_mass: np.ndarray  # per query: bound on neglected softmax mass / kept mass
    keys_visited: int


def on_sphere(X, m):
    """Checked query points, rows renormalised in float64 where they are further from norm 1
    than the rounding proof covers (``INPUT_NORM_ULPS (m + 2) u``; float32 input, sloppy input).

    Rows already that close are returned unchanged (bit for bit).

    Parameters
    ----------
    X : array_like
        Points of S^m as rows, shape (k, m+1).
    m : int
        Sphere dimension, m >= 1.

    Returns
    -------
    ndarray
        Shape (k, m+1), rows of norm 1.
    """
    P = check_points(X, m)
    if P.shape[0]:
        norms = np.linalg.norm(P, axis=1)
        far = np.abs(norms - 1.0) > INPUT_NORM_ULPS * (m + 2) * unit_roundoff()
        if far.any():
            P = P.copy()
            P[far] /= norms[far, None]
    return P


def _single_queries(P, m):
    """Unit float64 queries rounded to float32, renormalised in float32 where the rounding moved
    them off the sphere by more than the rounding proof's ``INPUT_NORM_ULPS (m + 2) u``."""
    X = P.astype(np.float32)
    n = np.linalg.norm(X, axis=1, keepdims=True)
    far = np.abs(n - 1) > INPUT_NORM_ULPS * (m + 2) * unit_roundoff(np.float32)
    return np.where(far, X / n, X)


def log_sum_exp_shift(max_score, content_count):
    """Log-sum-exp shift: the largest score, content scores (0) included when a content token is seen.

    With it the computed denominator is >= 1 (a weight e^0, or c e^0 with c >= 1),
    so it never underflows to 0 (the rounding proof relies on this too).

    Parameters
    ----------
    max_score : ndarray
        Largest prefix score per query.
    content_count : int
        Content tokens seen (their scores are 0).

    Returns
    -------
    ndarray
        The shift.
    """
    return np.where(np.asarray(content_count) > 0, np.maximum(max_score, 0.0), max_score)


class UniversalHead:
    """The fixed matrices W_Q, W_K, W_V of the universal head for (m, d_out).

    Parameters
    ----------
    m : int
        Sphere dimension, m >= 1.
    d_out : int
        Output dimension.

    Examples
    --------
    >>> H = UniversalHead(2, 1)
    >>> H.d, H.W_Q.shape, H.W_K.shape, H.W_V.shape
    (9, (4, 9), (4, 9), (1, 9))
    >>> P = Prefix(keys=[[0.0, 0.0, 3.0]], biases=[0.0], values=[[2.0]])
    >>> x = np.array([[0.0, 0.0, 1.0]])
    >>> float(H(x, P, context_tokens=0)[0, 0])       # a single prefix token: its value
    2.0
    >>> round(float(H(x, P, context_tokens=1)[0, 0]), 12)  # e^3 * 2 / (e^3 + 1)
    1.905148253645
    """

    def __init__(self, m, d_out=1):
        self.m = check_dimension(m)
        self.d_out = check_int(d_out, "d_out", minimum=1)
        k = self.m + 2
        self.d = 2 * k + self.d_out
        eye = np.eye(self.d)
        self.W_Q = eye[:k].copy()
        self.W_K = eye[k:2 * k].copy()
        self.W_V = eye[2 * k:].copy()
        for W in (self.W_Q, self.W_K, self.W_V):
            W.flags.writeable = False

    # token forms -----------------------------------------------------------
    def content_tokens(self, X):
        """Content tokens ``(x, 1, 0, 0)`` for points X (k, m+1) -> (k, d).

        Parameters
        ----------
        X : array_like
            Points of S^m as rows, shape (k, m+1).

        Returns
        -------
        ndarray
            Shape (k, d).
        """
        P = on_sphere(X, self.m)
        Z = np.zeros((P.shape[0], self.d))
        Z[:, : self.m + 1] = P
        Z[:, self.m + 1] = 1.0
        return Z

    def prefix_tokens(self, prefix):
        """Prefix tokens ``(0, (kappa_i, b_i), v_i)`` -> (N, d).

        Parameters
        ----------
        prefix : Prefix
            The prefix tokens (keys, biases, values).

        Returns
        -------
        ndarray
            Shape (N, d).
        """
        self._check_prefix(prefix)
        k = self.m + 2
        Z = np.zeros((prefix.length, self.d))
        Z[:, k:k + self.m + 1] = prefix.keys
        Z[:, 2 * k - 1] = prefix.biases
        Z[:, 2 * k:] = prefix.values
        Z.flags.writeable = False  # a copy: writing to it would silently change nothing
        return Z

    def attend_tokens(self, content, prefix_tokens, causal=False):
        """Generic attention of the content tokens over [prefix; content] with the fixed matrices.

        This is the head as a transformer computes it (no closed form used);
        ``content`` is (T, d), ``prefix_tokens`` (N, d). Returns (T, d_out).

        Parameters
        ----------
        content : array_like
            Content tokens, shape (T, d).
        prefix_tokens : array_like
            Prefix tokens, shape (N, d).
        causal : bool
            Each content token sees only the prefix and the tokens before it.

        Returns
        -------
        ndarray
            Shape (T, d_out).
        """
        content = np.asarray(content, dtype=float)
        prefix_tokens = np.asarray(prefix_tokens, dtype=float)
        tokens = np.concatenate([prefix_tokens, content])
        Q = content @ self.W_Q.T
        K = tokens @ self.W_K.T
        V = tokens @ self.W_V.T
        mask = None
        if causal:
            T, N = content.shape[0], prefix_tokens.shape[0]
            mask = np.ones((T, N + T), dtype=bool)
            mask[:, N:] = np.tril(np.ones((T, T), dtype=bool))
        return softmax_attention(Q, K, V, mask)

    def _check_prefix(self, prefix):
        if not isinstance(prefix, Prefix):
            raise TypeError(f"prefix must be a Prefix, got {type(prefix).__name__}")
        if prefix.m != self.m or prefix.d_out != self.d_out:
            raise ValueError(f"prefix is for (m, d_out) = ({prefix.m}, {prefix.d_out}), "
                             f"head for ({self.m}, {self.d_out})")

    # evaluation ------------------------------------------------------------
    def __call__(self, X, prefix, context_tokens=1, dtype=np.float64):
        """Head output at content points X (k, m+1), each seeing ``context_tokens`` content tokens.

        ``context_tokens`` may be an int or an array of length k (c_t per query,
        e.g. ``np.arange(1, T+1)`` for a causal mask). Dense path, exact up to
        rounding, chunked so that no more than :data:`BLOCK` scores exist at once.

        ``dtype=np.float32`` evaluates in single precision: the queries and the prefix are
        rounded to float32 (queries renormalised there when the rounding moved them off the
        sphere by more than the rounding proof covers) and every step runs in float32. Its
        rounding bound is ``head_rounding_bound(prefix, T, dtype=np.float32,
        inputs_rounded=True)`` (:meth:`Approximation.error_bound_in
        <spherical_approx.constructions.Approximation.error_bound_in>` adds it to a head's
        proven bound); the result is a float32 array.

        Examples
        --------
        >>> H = UniversalHead(1, 1)
        >>> P = Prefix([[2.0, 0.0]], [0.0], [[3.0]])
        >>> X = np.array([[1.0, 0.0]])
        >>> float(H(X, P, context_tokens=0)[0, 0]), H(X, P, 0, dtype=np.float32).dtype
        (3.0, dtype('float32'))
        """
        self._check_prefix(prefix)
        dtype = float_dtype(dtype)
        P = on_sphere(X, self.m)
        c = self._context(context_tokens, P.shape[0])
        keys, biases, values = prefix.keys, prefix.biases, prefix.values
        if dtype == np.float32:
            P, c = _single_queries(P, self.m), c.astype(np.float32)
            keys, biases, values = keys.astype(np.float32), biases.astype(np.float32), values.astype(np.float32)
        out = np.empty((P.shape[0], self.d_out), dtype=dtype)
        floor = EXP_FLOOR_SINGLE if dtype == np.float32 else EXP_FLOOR
        rows = max(1, BLOCK // max(prefix.length, 1))
        for s in range(0, P.shape[0], rows):
            W = P[s:s + rows] @ keys.T
            W += biases
            M = log_sum_exp_shift(W.max(axis=1), c[s:s + rows])
            # in place, one block of scores at a time; arguments below -floor are clamped (the
            # rounding proof bounds such weights absolutely; exp is 4-5x slower in its underflow range)
            W -= M[:, None]
            np.maximum(W, -floor, out=W)
            np.exp(W, out=W)
            # (M >= 0 whenever c > 0; the clamp only keeps c = 0 from meeting e^-M = inf)
            den = W.sum(axis=1) + c[s:s + rows] * np.exp(-np.maximum(M, 0.0))
            out[s:s + rows] = (W @ values) / den[:, None]
        return out

    @staticmethod
    def _context(context_tokens, k):
        c = np.asarray(context_tokens, dtype=float)
        if c.ndim == 0:
            c = np.full(k, float(c))
        if c.shape != (k,) or not np.all(np.isfinite(c)) or np.any(c < 0) or np.any(c != np.floor(c)):
            raise ValueError(f"context_tokens must be a count >= 0 or {k} counts, got {context_tokens!r}")
        return c

    def truncated(self, X, prefix, context_tokens=1, margin=40.0):
        """Evaluate visiting only keys near each query; return the output with a bound.

        Requires keys of a common norm lam (``kappa_i = lam u_i``, u_i unit), as in
        the delta-net and quadrature constructions. For a query x with nearest key
        direction at chord distance rho, keys at chord distance ``> r`` with
        ``r^2 = rho^2 + 2 margin / lam`` score at most ``lam (1 - r^2/2) + max b``,
        i.e. ``margin`` below the nearest key's score up to the bias spread. The
        neglected mass relative to the kept mass (content term included) is then at
        most ``N_far exp(lam (1 - r^2/2) + max b - M) / den``, and the output changes
        by at most ``2 max|v|`` times that; the bound returned also covers the
        rounding of the scores and distances and a spread of the key norms
        (docs/theory/soundness.rst, "The truncated path").

        The keys within r are found in a grid of cubes over the key directions
        (:class:`spherical_approx.grid.DirectionGrid`, built once per prefix): one
        contiguous range of keys per grid column that meets the ball. The ranges hold
        every key of the ball and a few more (1.5 to 2.5 times the ball's keys on S^2);
        those are summed too. Queries whose ball would cover more than
        :data:`DENSE_FRACTION` of the sphere, or would visit too many grid columns,
        are evaluated densely (bound 0). The keys of all other queries are visited
        together, as segments of one flat array.

        Parameters
        ----------
        X : array_like
            Points of S^m as rows, shape (k, m+1).
        prefix : Prefix
            The prefix tokens (keys, biases, values).
        context_tokens : int
            Content tokens each query attends to (the query's own included).
        margin : float
            Keys more than ``margin`` below the best score are bounded instead of visited.

        Returns
        -------
        TruncatedResult
            The output and its bound.
        """
        self._check_prefix(prefix)
        P = on_sphere(X, self.m)
        c = self._context(context_tokens, P.shape[0])
        lam = prefix.common_key_norm()
        if lam is None:
            raise ValueError("the truncated path needs keys of one common norm lam > 0")
        if not (np.isfinite(margin) and margin > 0):
            raise ValueError(f"margin must be a finite number > 0, got {margin!r}")
        # every ball would be wide, or key norms whose squares leave float64's normal range (the
        # directions' rounding bound assumes normal squares): no search, the dense path
        if 2 * margin / lam >= _dense_chord2(self.m) or not 1e-150 <= lam <= 1e150:
            return TruncatedResult(self(P, prefix, c), np.zeros(len(P)), np.zeros(len(P)), len(P) * prefix.length)
        # the tree's nearest-key searches on every core (their results do not depend on the threads)
        near_dist, _ = prefix.direction_tree().query(P, k=1, workers=-1)
        r = np.sqrt(near_dist**2 + 2 * margin / lam)  # the ball's chord radius
        out = np.empty((P.shape[0], self.d_out))
        bound = np.zeros(P.shape[0])
        mass = np.zeros(P.shape[0])
        dense = r**2 >= _dense_chord2(self.m)  # the ball would hold many keys: the dense path is faster
        r_typical = np.sqrt(2 * margin / lam + _key_spacing2(prefix))
        grid = prefix.direction_grid(cell_exponent(self.m, r_typical, prefix.length * (r_typical / 2) ** self.m))
        visited = 0
        narrow = np.flatnonzero(~dense)
        # queries in parts of about _COLUMNS_PER_PART grid columns (bounds the memory of the search)
        columns = np.minimum((2 * r[narrow] * grid.scale + 2) ** self.m, MAX_COLUMNS)
        cuts = np.searchsorted(np.cumsum(columns), np.arange(1, int(columns.sum() // _COLUMNS_PER_PART) + 1)
                               * _COLUMNS_PER_PART)
        for part in np.split(narrow, np.unique(cuts)):
            if not len(part):
                continue
            qi, start, stop, wide = grid.ranges(P[part], r[part])
            lengths = np.bincount(qi, weights=stop - start, minlength=len(part)).astype(np.intp)
            dense[part[wide | (lengths == 0)]] = True  # no range (too many columns, or no key): dense
            kept = lengths > 0  # the queries with ranges, whose ranges come in query order
            n_ranges = np.bincount(qi, minlength=len(part))[kept]
            visited += self._truncated_sums(P, part[kept], lengths[kept], n_ranges, start, stop, grid.sorted,
                                            prefix, c, r, out, mass, bound)
        if dense.any():
            out[dense] = self(P[dense], prefix, c[dense])
        visited += int(dense.sum()) * prefix.length
        return TruncatedResult(out, bound, mass, visited)

    def _truncated_sums(self, P, queries, lengths, n_ranges, start, stop, arrays, prefix, c, r, out, mass, bound):
        """The truncated path's sums for ``queries``: query i has the next ``n_ranges[i]`` ranges
        ``[start, stop)``, ``lengths[i]`` keys in all (columns of ``arrays`` = keys transposed, biases,
        values transposed). Queries are taken in blocks of about ``_PAIRS_PER_BLOCK`` pairs, each query's
        keys a segment summed with reduceat; writes ``out``, ``mass`` and ``bound`` of those queries and
        returns the keys visited."""
        keys, biases, values = arrays
        starts = np.concatenate([[0], np.cumsum(lengths)])
        range_starts = np.concatenate([[0], np.cumsum(n_ranges)])
        lam_lo, lam_hi = prefix.key_norm_range()
        bmax = float(prefix.biases.max())
        vmax = max_row_norm(prefix.values)
        u = unit_roundoff()
        # far keys: exact chord > r from the float direction U, |U - kappa/|kappa|| <= 2(m+3)u, |x|^2 <= 1 + 2 I (m+2) u
        # (I = INPUT_NORM_ULPS), so <kappa/|kappa|, x> < 1 - r^2/2 + slack (proof in docs/theory/soundness.rst)
        slack = (8 * (self.m + 3) + 2 * INPUT_NORM_ULPS * (self.m + 2) + 8) * u
        score_err = 4 * gamma(self.m + 2, u) * (lam_hi + float(np.abs(prefix.biases).max())) + 2 * EXP_FLOOR * u
        per_block = _PAIRS_PER_BLOCK
        a = 0
        while a < len(queries):
            # as many queries as keep the pairs within one block (at least one query)
            b = max(a + 1, int(np.searchsorted(starts, starts[a] + per_block, side="right")) - 1)
            b = min(b, len(queries))
            q = queries[a:b]
            idx = _range_indices(start[range_starts[a]:range_starts[b]], stop[range_starts[a]:range_starts[b]])
            seg = starts[a:b] - starts[a]
            # one coordinate at a time: gathers of single floats (np.take) are 2x faster than of rows
            n = lengths[a:b]
            s = np.take(keys[0], idx) * np.repeat(P[q, 0], n)
            for j in range(1, self.m + 1):
                s += np.take(keys[j], idx) * np.repeat(P[q, j], n)
            s += np.take(biases, idx)
            M = log_sum_exp_shift(np.maximum.reduceat(s, seg), c[q])
            w = np.exp(np.maximum(s - np.repeat(M, n), -EXP_FLOOR))
            den = np.add.reduceat(w, seg) + c[q] * np.exp(-np.maximum(M, 0.0))
            for j in range(self.d_out):
                out[q, j] = np.add.reduceat(w * np.take(values[j], idx), seg) / den
            far = prefix.length - lengths[a:b]
            t = 1 - r[q] ** 2 / 2 + slack  # > <kappa/|kappa|, x> for every far key
            top = np.where(t >= 0, lam_hi * t, lam_lo * t) + bmax - M  # far scores - M, up to rounding:
            # of this line and the next (8u per operand), of the kept scores (as in truncation_allowance)
            # and of s - M (|s - M| <= EXP_FLOOR)
            top += (np.abs(lam_hi * t) + abs(bmax) + np.abs(M) + 64) * 8 * u + score_err
            with np.errstate(divide="ignore"):  # far = 0: no neglected keys, mass 0
                log_far = np.log(far) + top
            # den: a sum of len + 1 terms, each exp within EXP_ULPS ulps: relative error <= gamma(len + EXP_ULPS + 2)
            rel = 1 + 2 * (lengths[a:b] + EXP_ULPS + 4) * u
            with np.errstate(over="ignore"):
                mass[q] = np.where(far > 0, np.exp(log_far) / den * rel, 0.0)
            bound[q] = 2 * vmax * mass[q]
            a = b
        return int(lengths.sum())

    def __repr__(self):
        return f"UniversalHead(m={self.m}, d_out={self.d_out}, d={self.d})"
