"""The direct route: T gathering heads, then one prefixed head on a torus (docs/theory/seq2seq.rst).

Sequences x in [0, 1]^T. Token t carries its value on a half circle,
``(cos pi x_t, sin pi x_t)``, a constant 1, a one-hot position and the position on
a circle, ``(cos rho_t, sin rho_t)`` with ``rho_t = 2 pi t / T``.

1. **Gathering** (layers 1..T, no prefix): head j scores ``GATHER_MARGIN [s = j]``
   (query: the constant times the margin; key: the one-hot position j) and
   copies token j's value pair into the block ``g`` of every position. Token j
   weighs ``1 / (1 + (T - 1) e^-GATHER_MARGIN)``; the leakage is bounded in closed
   form (:func:`embedding_error`).
2. **The torus head** (layer T + 1, prefixed): its query is
   ``(g, cos rho_t, sin rho_t) / sqrt(T + 1)``, a point of S^(2T+1) on the torus
   (S^1)^(T+1). A prefix token for node y of the grid ``{0, h, ..., 1}^T`` (and
   position group t' for per-position targets) has key
   ``lam' (cos pi y_1, sin pi y_1, ..., cos rho_t', sin rho_t') / sqrt(T + 1)``
   and value F(y). The score is ``lam_c sum_p cos(pi (x_p - y_p)) (+ lam_c
   cos(rho_t - rho_t'))`` with ``lam_c = lam' / (T + 1)``: the softmax kernel
   factorises into circular kernels, one per token, and the head is a delta-net
   smoother on the grid. Its proven bound (:func:`torus_net_bound`) is
   ``L (h/2 + T e*)`` (e* certified in ball arithmetic by :func:`grid_excess_bound`)
   plus the gathering and rounding terms.

Depth T + 1; every matrix depends on T only (:func:`direct_layers`).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from .._validate import check_int, check_positive
from ..heads import Prefix
from ..limits import check_feasible
from ..records import AsDict, html_table
from ..rounding import EXP_FLOOR, gamma, head_rounding_bound, unit_roundoff
from .kolmogorov import check_sequences, evaluate_target
from .transformer import Layer, LayeredTransformer

__all__ = ["DirectLayout", "direct_layers", "DirectTransformer", "compile_direct", "grid_excess_bound",
           "embedding_error", "torus_net_bound", "TorusNetBound", "GATHER_MARGIN", "COS_ULPS", "sequence_symbols",
           "sequence_expressions"]

#: score of the gathered token over the others in a gathering head
GATHER_MARGIN = 80.0
#: assumed accuracy of numpy's ``cos`` and ``sin`` in ulps (documented <= 1-4 ulp, as ``exp``)
COS_ULPS = 4
#: the torus head's bound spends this fraction of L h / 2 on the kernel's spread beyond the nearest node
SPREAD_SHARE = 0.02


class DirectLayout:
    """Coordinates of the residual stream of the direct route for sequences of length T.

    ``value`` (cos, sin of pi x_t), ``one`` (1), ``pos`` (one-hot position), ``angle``
    (cos, sin of 2 pi t / T), ``g`` (the gathered values, 2T), ``y`` (the output),
    then ``key`` (2T + 3) and ``val`` (1), which only prefix tokens use.

    Parameters
    ----------
    T : int
        Sequence length.
    """

    def __init__(self, T):
        self.T = T
        sizes = [("value", 2), ("one", 1), ("pos", T), ("angle", 2), ("g", 2 * T), ("y", 1),
                 ("key", 2 * T + 3), ("val", 1)]
        start = 0
        for name, size in sizes:
            setattr(self, name, slice(start, start + size))
            start += size
        self.width = start
        self.query_dim = 2 * T + 2  # the torus head's query, without its bias coordinate

    def embed(self, X):
        """Residual streams (k, T, width) of sequences X (k, T) in [0, 1].

        Parameters
        ----------
        X : array_like
            Sequences as rows, shape (k, T), entries in [0, 1].

        Returns
        -------
        ndarray
            Shape (k, T, width).
        """
        X = check_sequences(X, self.T)
        theta = np.pi * X
        Z = np.zeros(X.shape + (self.width,))
        Z[..., self.value.start] = np.cos(theta)
        Z[..., self.value.start + 1] = np.sin(theta)
        Z[..., self.one.start] = 1.0
        Z[..., self.pos] = np.eye(self.T)
        rho = 2 * np.pi * np.arange(self.T) / self.T
        Z[..., self.angle.start] = np.cos(rho)
        Z[..., self.angle.start + 1] = np.sin(rho)
        return Z


def direct_layers(T):
    """The T + 1 layers of the direct route; they depend on T and nothing else.

    Parameters
    ----------
    T : int
        Sequence length, T >= 2.

    Returns
    -------
    list of Layer
        T gathering layers, then the torus head.

    Examples
    --------
    >>> [layer.name for layer in direct_layers(2)]
    ['gather token 1', 'gather token 2', 'torus head']
    """
    T = check_int(T, "T", minimum=2)
    L = DirectLayout(T)
    D = L.width
    layers = []
    for j in range(T):
        W_Q = np.zeros((1, D))
        W_Q[0, L.one.start] = GATHER_MARGIN
        W_K = np.zeros((1, D))
        W_K[0, L.pos.start + j] = 1.0
        W_V = np.zeros((2, D))
        W_V[[0, 1], [L.value.start, L.value.start + 1]] = 1.0
        W_O = np.zeros((D, 2))
        W_O[[L.g.start + 2 * j, L.g.start + 2 * j + 1], [0, 1]] = 1.0
        layers.append(Layer(f"gather token {j + 1}", W_Q, W_K, W_V, W_O))
    scale = 1 / np.sqrt(T + 1)
    W_Q = np.zeros((L.query_dim + 1, D))
    W_Q[np.arange(2 * T), L.g.start + np.arange(2 * T)] = scale
    W_Q[[2 * T, 2 * T + 1], [L.angle.start, L.angle.start + 1]] = scale
    W_Q[L.query_dim, L.one.start] = 1.0  # the bias coordinate
    W_K = np.zeros((L.query_dim + 1, D))
    W_K[np.arange(L.query_dim + 1), L.key.start + np.arange(L.query_dim + 1)] = 1.0
    W_V = np.zeros((1, D))
    W_V[0, L.val.start] = 1.0
    W_O = np.zeros((D, 1))
    W_O[L.y.start, 0] = 1.0
    layers.append(Layer("torus head", W_Q, W_K, W_V, W_O))
    for layer in layers:
        for W in (layer.W_Q, layer.W_K, layer.W_V, layer.W_O):
            W.setflags(write=False)
    return layers


# --------------------------------------------------------------------------- the bound [toolkit]


def embedding_error(T):
    """[toolkit] Bound on ``|x^ - x|_2`` for the torus head's computed query x^ and key directions.

    x is the exact point ``(cos pi x_1, ..., cos rho_t, sin rho_t) / sqrt(T + 1)`` (for
    keys: at the exact grid node ``i h``). Per coordinate, before the scaling: the angle
    ``fl(pi x)`` (or ``fl(2 pi t / T)``, or the node ``fl(i / (n - 1))``) is within
    ``6 pi u`` of the exact one, ``cos``/``sin`` add ``2 COS_ULPS u``, gathering adds
    ``2u + 2 (T - 1) e^-GATHER_MARGIN + gamma_T (1 + u)`` (the gathered token's weight
    rounds within 2u of 1, the others are below ``2 e^-GATHER_MARGIN``, and the
    weighted sum of T terms rounds within ``gamma_T``), and the scaling by
    ``fl(1 / sqrt(T + 1))`` adds ``4u``. Over the 2T + 2 coordinates, scaled by
    ``1 / sqrt(T + 1)``, the Euclidean error is at most ``sqrt(2)`` times the sum.

    Parameters
    ----------
    T : int
        Sequence length.

    Returns
    -------
    float
        The bound (about 50 u).
    """
    u = unit_roundoff()
    per_coordinate = (6 * math.pi * u * (1 + u) + 2 * COS_ULPS * u + 2 * u
                      + 2 * (T - 1) * math.exp(-GATHER_MARGIN) + gamma(T, u) * (1 + u) + 4 * u)
    return math.sqrt(2) * per_coordinate * (1 + 1e-6)


def grid_excess_bound(n, lam_c, pieces=4096, dps=25):
    """[toolkit] Certified ``e* >= sup_(x in [0, 1]) E[(|x - y| - h/2)_+]`` for the grid kernel.

    y is drawn from the nodes ``i h`` (``h = 1 / (n - 1)``) with weights proportional to
    ``exp(lam_c cos(pi (x - y)))``. With delta the distance from x to its nearest node,
    the other node of x's cell is at ``h - delta`` and the rest at ``k h -+ delta``; the
    ratio of a node's weight to the nearest one's is
    ``exp(-2 lam_c sin(pi k h / 2) sin(pi (k h -+ 2 delta) / 2))``, written with delta
    once so that ball arithmetic stays tight. The sup over delta in [0, h/2] is
    enclosed on ``pieces`` subintervals (the leading term) and on the whole interval
    (the others, which are below e^-30 in practice).

    Parameters
    ----------
    n : int
        Nodes per coordinate, n >= 2.
    lam_c : float
        Inverse temperature of the circular kernel, > 0.
    pieces : int
        Subintervals of [0, h/2] for the leading term.
    dps : int
        Decimal digits of the ball arithmetic.

    Returns
    -------
    float
        The certified bound.

    Examples
    --------
    >>> e = grid_excess_bound(21, 2e4)
    >>> bool(0 < e < 1e-4)      # far below h/2 = 0.025
    True
    """
    import flint

    from ..arith import get_backend

    n = check_int(n, "n", minimum=2)
    lam_c = check_positive(lam_c, "lam_c")
    pieces = check_int(pieces, "pieces", minimum=1)
    arb = flint.arb
    with get_backend("arb", dps).local():
        h, pi, lam = arb(1) / (n - 1), arb.pi(), arb(lam_c)

        def ratio(k, d, side):  # weight of the node at k h + side delta over the nearest one's
            return (-2 * lam * (pi * k * h / 2).sin() * (pi * (k * h + side * 2 * d) / 2).sin()).exp()

        whole = arb(0).union(h / 2)
        rest = arb(0)
        for k in range(1, n):
            if k >= 2:
                rest += (k * h - whole - h / 2) * ratio(k, whole, -1)
            rest += (k * h + whole - h / 2) * ratio(k, whole, 1)
        best = arb(0)
        for i in range(pieces):
            d = (h / 2 * i / pieces).union(h / 2 * (i + 1) / pieces)
            # the other node of the cell, over the two nodes of the cell (a lower bound of the total)
            term = (h / 2 - d) / (1 + 1 / ratio(1, d, -1))
            best = best.union(term) if i else term
        return float((best + rest).upper()) * (1 + 1e-12)


@dataclass(frozen=True)
class TorusNetBound(AsDict):
    """The terms of the direct route's proven bound (docs/theory/seq2seq.rst).

    Parameters
    ----------
    lipschitz : float
        L with ``|F(x) - F(y)| <= L max_p |x_p - y_p|``.
    n : int
        Grid nodes per token.
    h : float
        Grid spacing ``1 / (n - 1)``.
    lam_c : float
        Circular kernel's inverse temperature.
    excess : float
        Certified ``e*`` (:func:`grid_excess_bound`).
    sigma : float
        Score perturbation from the embedding's rounding and the gathering leakage.
    cross_ratio : float
        Mass of other positions' groups relative to the own group's.
    content_ratio : float
        Mass of the content tokens relative to the own group's.
    value_error : float
        Bound on the prefix values' own error (0 for callables).
    math_bound : float
        ``e^(2 sigma) (L (h/2 + u + T e*) + value_error + (cross + content) C)``.
    rounding : float
        Proven float64 rounding bound of the torus head.
    truncation : float
        Allowance of the grid-window evaluation.
    total : float
        The proven error bound.
    """

    lipschitz: float
    n: int
    h: float
    lam_c: float
    excess: float
    sigma: float
    cross_ratio: float
    content_ratio: float
    value_error: float
    math_bound: float
    rounding: float
    truncation: float
    total: float


def _window_gap(T, h, lam_c, groups, eta):
    """Least score gap (exact scores) between the nearest node and any node outside the grid window."""
    u = unit_roundoff()
    near = math.cos(math.pi * (h / 2 + u + eta))  # the nearest node, in every coordinate
    gap = lam_c * (near - math.cos(math.pi * min(1.0, 2 * h - eta - u))) - (T - 1) * lam_c * (1 - near)
    if groups > 1:  # other positions' nodes: at least lam_c (1 - cos(2 pi / T)) lower than their own twin
        gap = min(gap, lam_c * (1 - math.cos(2 * math.pi / T)) - T * lam_c * (1 - near))
    return gap - 1e-9 * lam_c * T  # the float evaluation of this formula


def torus_net_bound(T, n, lam_c, L, prefix, groups, value_error=0.0):
    """[toolkit] The direct route's proven error bound for the float64 transformer.

    Parameters
    ----------
    T : int
        Sequence length.
    n : int
        Grid nodes per token.
    lam_c : float
        Inverse temperature of each circular kernel.
    L : float
        Max-norm Lipschitz constant of the target.
    prefix : Prefix
        The torus head's prefix (keys, biases 0, values).
    groups : int
        1 (one output for all positions) or T (one group of nodes per position).
    value_error : float
        Bound on ``|v_j - F(y_j)|`` for the prefix values.

    Returns
    -------
    TorusNetBound
        The terms and the total.
    """
    u = unit_roundoff()
    h = 1.0 / (n - 1)
    lam_k = lam_c * (T + 1)
    delta = embedding_error(T)
    # scores at the computed query (normalised) and keys vs the exact ones
    sigma = lam_k * (3 * delta + 2 * u) * (1 + 1e-9)
    excess = grid_excess_bound(n, lam_c)
    vmax = float(np.abs(prefix.values).max())
    far = 2 * vmax + L * (h / 2 + u)  # |v_j - F(x)| for any node, and |0 - F(x)|
    cross = (T - 1) * math.exp(-lam_c * (1 - math.cos(2 * math.pi / T))) if groups > 1 else 0.0
    near = math.cos(math.pi * (h / 2 + u))
    best_score = lam_c * (T * near + (1 if groups > 1 else 0)) * (1 - 1e-12)
    content = T * math.exp(-best_score)
    math_bound = math.exp(2 * sigma) * (L * (h / 2 + u + T * excess) + value_error + (cross + content) * far)
    rounding = head_rounding_bound(prefix, T, query_deviation=delta)
    gap = _window_gap(T, h, lam_c, groups, eta=1e-9)
    truncation = 2 * vmax * prefix.length * math.exp(-gap + 2 * sigma) * (1 + 1e-9)
    total = (math_bound + rounding + truncation) * (1 + 1e-12)
    return TorusNetBound(L, n, h, lam_c, excess, sigma, cross, content, value_error, math_bound, rounding,
                         truncation, total)


# --------------------------------------------------------------------------- the compiled transformer


class DirectTransformer(LayeredTransformer):
    """The direct route's transformer: T gathering layers and the torus head.

    Calling it on sequences X (k, T) in [0, 1] gives the outputs (k, T), output t at
    position t. ``error_bound`` is proven for that call (rounding included).

    Parameters
    ----------
    T : int
        Sequence length.
    n : int
        Grid nodes per token.
    lam_c : float
        Inverse temperature of each circular kernel.
    prefix : Prefix
        The torus head's prefix.
    groups : int
        1 or T (per-position outputs).
    bound : TorusNetBound
        The proven bound's terms.
    info : dict, optional
        Construction details.
    """

    route = "direct"

    def __init__(self, T, n, lam_c, prefix, groups, bound, info=None):
        self.T, self.n, self.lam_c, self.prefix, self.groups, self.bound = T, n, lam_c, prefix, groups, bound
        self.layers = direct_layers(T)
        self.layout = DirectLayout(T)
        self.info = info or {}
        self.error_bound = bound.total

    @property
    def prefix_lengths(self):  # without building the stream-layout prefixes
        return [0] * self.T + [self.prefix.length]

    @property
    def prefixes(self):
        """Every layer's prefix tokens in the residual-stream layout (the gathering layers have none).

        Returns
        -------
        list of ndarray
            One (P, width) array per layer.
        """
        L = self.layout
        P = np.zeros((self.prefix.length, L.width))
        P[:, L.key.start:L.key.start + L.query_dim] = self.prefix.keys
        P[:, L.key.start + L.query_dim] = self.prefix.biases
        P[:, L.val.start] = self.prefix.values[:, 0]
        return [np.zeros((0, L.width))] * self.T + [P]

    def queries(self, X):
        """The torus head's queries (k, T, 2T + 2) as the gathering layers compute them.

        Parameters
        ----------
        X : array_like
            Sequences as rows, shape (k, T), entries in [0, 1].

        Returns
        -------
        ndarray
            Shape (k, T, 2T + 2).
        """
        Z = self.embed(X)
        empty = np.zeros((0, self.layout.width))
        for layer in self.layers[:-1]:
            Z = layer(Z, empty)
        return (Z @ self.layers[-1].W_Q.T)[..., : self.layout.query_dim]

    def __call__(self, X, chunk=20000):
        """Outputs (k, T): the torus head on its grid window of 4^T nodes per query.

        Nodes outside the window weigh less than ``e^-gap`` each relative to the
        nearest node; their mass is bounded a priori (``bound.truncation``).

        Parameters
        ----------
        X : array_like
            Sequences as rows, shape (k, T), entries in [0, 1].
        chunk : int
            Queries per block.

        Returns
        -------
        ndarray
            Shape (k, T).
        """
        Q = self.queries(X)
        k = Q.shape[0]
        flat = Q.reshape(-1, self.layout.query_dim)
        out = np.empty(len(flat))
        for s in range(0, len(flat), chunk):
            out[s:s + chunk] = self._window_head(flat[s:s + chunk], np.arange(s, min(s + chunk, len(flat))) % self.T)
        return out.reshape(k, self.T)

    def _window_head(self, Q, positions):
        T, n = self.T, self.n
        h = 1.0 / (n - 1)
        # each token's value from its gathered (cos, sin); the window only needs it within a cell
        x = np.arctan2(Q[:, 1:2 * T:2], Q[:, 0:2 * T:2]) / np.pi
        cell = np.clip(np.floor(x / h), 0, n - 2).astype(np.intp)
        start = np.clip(cell - 1, 0, max(n - 4, 0))
        width = min(4, n)
        offsets = np.stack(np.meshgrid(*[np.arange(width)] * T, indexing="ij"), axis=-1).reshape(-1, T)
        idx = (start[:, None, :] + offsets[None, :, :]) @ (n ** np.arange(T - 1, -1, -1))
        if self.groups > 1:
            idx = idx + (positions * n**T)[:, None]
        keys = self.prefix.keys[idx]  # (q, 4^T, 2T + 2)
        S = np.einsum("qd,qwd->qw", Q, keys) + self.prefix.biases[idx]
        M = np.maximum(S.max(axis=1), 0.0)  # content tokens (score 0) are in view
        W = np.exp(np.maximum(S - M[:, None], -EXP_FLOOR))  # as the universal head evaluates it
        den = W.sum(axis=1) + T * np.exp(-M)
        return np.einsum("qw,qw->q", W, self.prefix.values[idx, 0]) / den

    def _repr_html_(self):
        rows = [("route", "direct (gathering + torus head)"), ("T", self.T), ("depth", self.depth),
                ("prefix tokens per layer", self.prefix_lengths), ("grid nodes per token", self.n),
                ("error bound", self.error_bound),
                ("bound", f"proven [toolkit], {self.info.get('lipschitz_note', '')}"),
                *((f"term: {k}", v) for k, v in self.bound.as_dict().items())]
        return html_table("DirectTransformer", rows)

    def __repr__(self):
        return (f"DirectTransformer(T={self.T}, depth={self.depth}, prefix_lengths={self.prefix_lengths}, "
                f"error_bound={self.error_bound:.3g})")


def sequence_symbols(T):
    """The token symbols ``x1..xT`` of sympy targets of sequences (1-based), declared real.

    Parameters
    ----------
    T : int
        Sequence length.

    Returns
    -------
    tuple of sympy.Symbol
        ``(x1, ..., xT)``.

    Examples
    --------
    >>> sequence_symbols(3)
    (x1, x2, x3)
    """
    import sympy

    return sympy.symbols(f"x1:{check_int(T, 'T', minimum=2) + 1}", real=True)


def sequence_expressions(F, T):
    """A target's sympy expressions in the real symbols :func:`sequence_symbols`, or None for a callable.

    Parameters
    ----------
    F : callable, sympy expression, or a list of T expressions
        The target.
    T : int
        Sequence length.

    Returns
    -------
    list of sympy expressions or None
        One expression (shared by all positions) or T (one per position); None when F is
        a plain callable.

    Raises
    ------
    ValueError
        For a list of another length, or symbols other than x1..xT.

    Examples
    --------
    >>> import sympy
    >>> sequence_expressions(sympy.Symbol("x1") * sympy.Symbol("x2"), 2)
    [x1*x2]
    >>> sequence_expressions(lambda X: X[:, 0], 2) is None
    True
    """
    import sympy

    from ..targets import output_expressions

    if callable(F) and not isinstance(F, sympy.Basic):
        return None
    exprs, _ = output_expressions(F)
    if len(exprs) not in (1, T):
        raise ValueError(f"give one sympy expression (shared by all positions) or {T} (one per position), "
                         f"got {len(exprs)}")
    gens = sequence_symbols(T)
    real = {sympy.Symbol(g.name): g for g in gens}
    out = []
    for e in exprs:
        e = sympy.sympify(e).xreplace(real)
        extra = e.free_symbols - set(gens)
        if extra:
            raise ValueError(f"{e} has symbols {sorted(map(str, extra))} other than the tokens x1..x{T}")
        out.append(e)
    return out


def _sympy_values(exprs, T, Y):
    """Values of sympy targets at the nodes Y (k, T), evaluated in ball arithmetic: (k, d_out), error bound."""
    import flint

    from ..arith import compile_expression, get_backend

    fns = [compile_expression(e, sequence_symbols(T), "arb") for e in exprs]
    out = np.empty((len(Y), len(exprs)))
    err = 0.0
    with get_backend("arb", 30).local():
        for i, y in enumerate(Y):
            balls = [flint.arb(float(v)) for v in y]  # the float nodes, exactly
            for j, f in enumerate(fns):
                v = f(*balls)
                if not v.is_finite():
                    raise ValueError(f"the target {exprs[j]} is not finite at the node {y.tolist()}")
                out[i, j] = float(v.mid())
                err = max(err, float((abs(v - out[i, j])).upper()))
    return out, err


def _lipschitz(F, T, lipschitz):
    """(L, how it was obtained) for a callable (given) or sympy target (certified unless given)."""
    from ..continuity import cube_lipschitz_bound

    exprs = sequence_expressions(F, T)  # checked even when L is given
    if lipschitz is not None:
        return lipschitz, "L given"
    if exprs is None:
        raise ValueError("a callable target needs lipschitz=L (|F(x) - F(y)| <= L max_p |x_p - y_p|); "
                         "give sympy expressions in x1..xT to have L certified")
    return cube_lipschitz_bound(exprs, T).upper, "L certified"


def _target_values(F, T, Y):
    """(values (k, d_out), bound on their error) of a callable or sympy target at the nodes Y."""
    exprs = sequence_expressions(F, T)
    if exprs is None:
        return evaluate_target(F, Y, T), 0.0  # a callable is the target: its values are exact by definition
    return _sympy_values(exprs, T, Y)


def grid_nodes(T, n):
    """The grid ``{fl(i / (n - 1))}^T`` as rows (n^T, T), last token fastest.

    Parameters
    ----------
    T : int
        Sequence length.
    n : int
        Nodes per token.

    Returns
    -------
    ndarray
        Shape (n^T, T).
    """
    t = np.arange(n) / (n - 1)
    return np.stack(np.meshgrid(*[t] * T, indexing="ij"), axis=-1).reshape(-1, T)


def _torus_prefix(T, n, lam_c, values):
    """Prefix of the torus head: keys of the grid nodes (per position group), biases 0, the values."""
    groups = values.shape[1]
    Y = grid_nodes(T, n)
    scale = 1 / np.sqrt(T + 1)
    dirs = np.zeros((groups * len(Y), 2 * T + 2))
    for t in range(groups):
        rows = slice(t * len(Y), (t + 1) * len(Y))
        dirs[rows, 0:2 * T:2] = scale * np.cos(np.pi * Y)
        dirs[rows, 1:2 * T:2] = scale * np.sin(np.pi * Y)
        if groups > 1:
            rho = 2 * np.pi * t / T
            dirs[rows, 2 * T] = scale * np.cos(rho)
            dirs[rows, 2 * T + 1] = scale * np.sin(rho)
    return Prefix(lam_c * (T + 1) * dirs, np.zeros(len(dirs)), values.T.reshape(-1, 1))


def compile_direct(F, T, eps, lipschitz=None):
    """The direct route for a target F of sequences in [0, 1]^T: a proven bound <= eps.

    Parameters
    ----------
    F : callable or sympy expression (or a list of T)
        A callable on (k, T) arrays returning (k,) (one output for all positions) or
        (k, T) (output t at position t), with ``lipschitz``; or sympy expressions in
        x1..xT, whose max-norm Lipschitz constant is certified when not given.
    T : int
        Sequence length, T >= 2.
    eps : float
        Target sup error, > 0.
    lipschitz : float, optional
        L with ``|F(x) - F(y)| <= L max_p |x_p - y_p|`` (needed for callables).

    Returns
    -------
    DirectTransformer
        The transformer; ``error_bound <= eps`` (proven, rounding included).

    Examples
    --------
    >>> import sympy
    >>> x1, x2 = sympy.symbols("x1:3")
    >>> net = compile_direct(x1 * x2, 2, 0.1)
    >>> net.depth, net.error_bound <= 0.1
    (3, True)
    >>> X = np.array([[0.3, 0.7]])
    >>> bool(abs(net(X) - 0.21).max() <= net.error_bound)
    True
    """
    from ..constructions import EpsNotMetError

    T = check_int(T, "T", minimum=2)
    eps = check_positive(eps, "eps")
    if lipschitz is not None:
        lipschitz = check_positive(lipschitz, "lipschitz", allow_zero=True)
    L, note = _lipschitz(F, T, lipschitz)
    # the grid: L (h/2)(1 + SPREAD_SHARE) leaves 0.1% of eps for the small terms
    n = 2 if L == 0 else max(4, math.ceil(L * (1 + SPREAD_SHARE) / (2 * eps * (1 - 1e-3))) + 1)
    bound = None
    for _ in range(4):
        check_feasible(f"the direct route's prefix for T={T}, eps={eps:g} ({n}^{T} grid nodes per position)",
                       elements=float(n) ** T * T * (2 * T + 4))
        h = 1.0 / (n - 1)
        lam_c = 2 * T / (SPREAD_SHARE * math.e * math.pi**2 * h**2)
        values, value_error = _target_values(F, T, grid_nodes(T, n))
        prefix = _torus_prefix(T, n, lam_c, values)
        bound = torus_net_bound(T, n, lam_c, L, prefix, values.shape[1], value_error)
        if bound.total <= eps:
            return DirectTransformer(T, n, lam_c, prefix, values.shape[1], bound,
                                     {"lipschitz": L, "lipschitz_note": note, "eps": eps})
        n += max(1, n // 20)
    raise EpsNotMetError(f"direct route: the proven bound {bound.total:.3g} stays above eps = {eps:g} "
                         f"(terms {bound.as_dict()})")
