"""Key directions binned in a grid of cubes: the truncated head's searches for near keys.

A direction u (a row of R^(m+1)) lies in the cell ``floor(u * 2^k)`` (per coordinate)
of the grid of cubes of side ``h = 2^-k``. The keys are stored sorted by cell with the
last coordinate varying fastest, so the cells of one *column* (the first m cell
coordinates fixed) are contiguous. The keys within chord distance r of a query q then
lie in the columns whose boxes come within r of q, and in each such column in the
cells between ``floor((q_m - e) / h)`` and ``floor((q_m + e) / h)``, e the ball's
half-height over the column's box: one contiguous range of sorted keys per column.

The ranges hold every key u whose exact distance ``|u - q|`` (u and q the floats
given) is at most r: every rounding is padded outward (docs/theory/soundness.rst, "The
truncated path", the key search). They hold a few keys more, those in cells that meet the
ball but lie outside it; summing those too only makes the truncated sum more exact.
"""

from __future__ import annotations

import numpy as np

__all__ = ["DirectionGrid", "cell_exponent"]

#: Relative and absolute outward pads of the searches' float arithmetic (proof in docs/theory/soundness.rst).
_REL = 2.0**-40
_ABS = 2.0**-48
#: Box distances below this are taken as 0 (their squares stay normal floats).
_TINY = 2.0**-400
#: A query whose search would visit more columns than this is left to the caller (dense).
MAX_COLUMNS = 4096
#: Cost of visiting one grid column, in visits of one key (measured on S^2: about 50 ns against 10 ns).
_COLUMN_COST = 8.0
#: Keys in the cells that meet a ball of radius r, cells of side h: about (1 + 0.72 h / r)^m times the
#: ball's keys (measured on S^2 for h / r from 0.09 to 0.7).
_CELL_EXCESS = 0.72


def cell_exponent(m, radius, keys_per_ball):
    """The k (cells of side 2^-k) for balls of chord radius ``radius`` on S^m.

    Finer cells fit a ball better but cost more columns per query: k minimises the
    estimated cost per query, ``8 (2 r / h + 1)^m`` column visits plus
    ``n (1 + 0.72 h / r)^m`` key visits for n keys per ball, among the k whose cell
    numbers fit an int64.

    Parameters
    ----------
    m : int
        Sphere dimension (directions have m+1 coordinates).
    radius : float
        Typical ball radius, > 0.
    keys_per_ball : float
        Typical number of keys in a ball.

    Returns
    -------
    int
        k >= 0.

    Examples
    --------
    >>> cell_exponent(2, 0.09, 200), cell_exponent(2, 0.09, 2000), cell_exponent(2, 0.0096, 23)
    (4, 5, 6)
    """
    r = max(float(radius), _TINY)
    k_fit = min(62 // (m + 1) - 2, 30)  # (2^(k+1) + 3)^(m+1) < 2^63: cell numbers fit an int64

    def cost(k):
        h_over_r = 2.0**-k / r
        return _COLUMN_COST * (2 / h_over_r + 1) ** m + float(keys_per_ball) * (1 + _CELL_EXCESS * h_over_r) ** m

    return min(range(0, k_fit + 1), key=cost)


class DirectionGrid:
    """Key directions sorted by grid cell, with the prefix arrays in the same order.

    Parameters
    ----------
    directions : ndarray
        Unit key directions, shape (N, m+1).
    k : int
        Cells are cubes of side 2^-k (from :func:`cell_exponent`).
    arrays : sequence of ndarray
        Arrays whose last axis runs over the keys (keys transposed, biases, values
        transposed), stored in cell order along that axis as ``sorted``.

    Examples
    --------
    >>> import numpy as np
    >>> U = np.array([[1.0, 0.0], [0.0, 1.0], [-1.0, 0.0]])
    >>> g = DirectionGrid(U, 2, [np.arange(3)])
    >>> qi, start, stop, wide = g.ranges(np.array([[1.0, 0.0]]), np.array([0.1]))
    >>> [int(i) for s, e in zip(start, stop) for i in g.sorted[0][s:e]]
    [0]
    """

    def __init__(self, directions, k, arrays=()):
        self.k = int(k)
        self.scale = 2.0**self.k  # multiplying by a power of two is exact
        self.offset = 2**self.k + 1  # floor(u 2^k) >= -2^k - 1 for |u| <= 1 + tiny
        self.side = 2 ** (self.k + 1) + 3  # shifted cell numbers lie in [0, side)
        self.dim = directions.shape[1]
        if self.k < 0 or self.side**self.dim >= 2**63:
            raise ValueError(f"k = {k} gives cell numbers beyond int64 in dimension {self.dim}; use cell_exponent")
        self.weights = self.side ** np.arange(self.dim - 1, -1, -1, dtype=np.int64)
        ids = self._cells(directions) @ self.weights
        self.order = np.argsort(ids, kind="stable")
        self.ids = np.take(ids, self.order)
        self.sorted = [np.take(a, self.order, axis=-1) for a in arrays]
        # where the grid has few cells, a table of the first key of every cell replaces binary searches
        cells = self.side**self.dim
        self.first = None
        if cells <= 8 * len(ids) + (1 << 21):  # at most about the memory of the sorted copies
            self.first = np.concatenate([[0], np.cumsum(np.bincount(ids, minlength=cells))])

    def _first_at_or_after(self, cell):
        """Position in the sorted keys of the first key in a cell >= ``cell``."""
        if self.first is not None:
            return np.take(self.first, cell)
        return np.searchsorted(self.ids, cell, side="left")

    def _cells(self, x):
        """Shifted cell numbers of the coordinates x (floor of an exact scaling), clipped to the grid."""
        return np.clip(np.floor(x * self.scale) + self.offset, 0, self.side - 1).astype(np.int64)

    def _below(self, q, e):
        """Cell numbers no greater than the cell of any real >= q - e (q - e rounded down, padded)."""
        return self._cells((q - e) - _ABS)

    def _above(self, q, e):
        """Cell numbers no smaller than the cell of any real <= q + e (q + e rounded up, padded)."""
        return self._cells((q + e) + _ABS)

    def ranges(self, Q, r):
        """Ranges of sorted keys that hold every key within chord distance r of each query.

        Parameters
        ----------
        Q : ndarray
            Queries, shape (n, m+1), coordinates in [-1, 1] up to rounding.
        r : ndarray
            Radii, shape (n,), each in (0, 2].

        Returns
        -------
        query, start, stop : ndarray
            One row per non-empty range, grouped by query in increasing order: the keys
            ``sorted[start:stop]`` belong to query ``query``.
        wide : ndarray of bool
            Queries whose search would visit more than :data:`MAX_COLUMNS` columns; they
            have no ranges (the caller evaluates them otherwise).
        """
        n, d = Q.shape
        # r (1 + 2^-40) rounded is >= r; radii below 2^-400 are raised (a larger ball is still covered)
        rp = np.maximum(r, _TINY) * (1 + _REL)
        lo = self._below(Q[:, :-1], rp[:, None])
        counts = self._above(Q[:, :-1], rp[:, None]) - lo + 1
        wide = np.prod(counts.astype(float), axis=1) > MAX_COLUMNS  # float: no int64 overflow
        columns = np.where(wide, 0, np.prod(counts, axis=1))
        qi = np.repeat(np.arange(n), columns)  # the query of each column, queries in order
        t = np.arange(len(qi)) - np.repeat(np.cumsum(columns) - columns, columns)
        cell = np.empty((len(qi), d - 1), dtype=np.int64)
        for j in range(d - 2, -1, -1):  # the last column coordinate varies fastest
            nj = np.repeat(counts[:, j], columns)
            cell[:, j] = np.repeat(lo[:, j], columns) + t % nj
            t //= nj
        # distance from q to the column's box, rounded down: each float step errs by a factor
        # (1 + u) at most, (1 + u)^(m+3) < 1 + 2^-40; tiny distances count as 0
        a = (cell - self.offset) / self.scale  # box ends: exact
        q = np.repeat(Q, columns, axis=0)
        gap = np.maximum(np.maximum(a - q[:, :-1], q[:, :-1] - (a + 1 / self.scale)), 0.0)
        gap = np.where(gap < _TINY, 0.0, gap)
        d2 = np.einsum("ij,ij->i", gap, gap) * (1 - _REL)
        c2 = np.repeat(rp * rp, columns) - d2  # >= 0 for every column that holds a key of the ball
        meets = c2 >= 0
        e = np.sqrt(np.where(meets, c2, 0.0)) * (1 + _REL)  # >= the ball's exact half-height over the box
        base = cell @ self.weights[:-1]
        start = self._first_at_or_after(base + self._below(q[:, -1], e))
        stop = self._first_at_or_after(base + self._above(q[:, -1], e) + 1)
        keep = meets & (stop > start)
        return qi[keep], start[keep], stop[keep], wide
