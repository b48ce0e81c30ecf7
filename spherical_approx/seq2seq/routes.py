"""``compile_seq2seq``: one entry point for both sequence-to-sequence routes.

=============  =============================================  ==========================
route          layers                                         error_bound
=============  =============================================  ==========================
"direct"       T gathering heads + one prefixed torus head    proven [toolkit]
               (depth T + 1, :mod:`.direct`)
"kolmogorov"   Kolmogorov–Arnold superposition                ``inf`` (measured only)
               (depth 2T + 3, :mod:`.transformer`)
=============  =============================================  ==========================
"""

from __future__ import annotations

from .._validate import check_int, check_positive
from .direct import compile_direct, sequence_expressions, sequence_symbols
from .kolmogorov import InnerFunction, sprecher_outer
from .transformer import compile_transformer

__all__ = ["compile_seq2seq", "ROUTES"]

#: the routes and the methods each accepts (None: the route's default)
ROUTES = {"direct": (None, "torus_net"), "kolmogorov": (None,)}


def _as_callable(F, T):
    """A callable on (k, T) arrays for sympy targets in x1..xT (the Kolmogorov route samples F)."""
    import numpy as np
    import sympy

    exprs = sequence_expressions(F, T)
    if exprs is None:
        return F
    fns = [sympy.lambdify(sequence_symbols(T), e, "numpy") for e in exprs]

    def F_callable(X):
        cols = [np.broadcast_to(np.asarray(f(*X.T), dtype=float), (len(X),)) for f in fns]
        return cols[0] if len(cols) == 1 else np.stack(cols, axis=1)

    return F_callable


def compile_seq2seq(F, T, eps, route="direct", lipschitz=None, method=None):
    """A transformer of single-head layers, matrices fixed by T, computing F on [0, 1]^T.

    Parameters
    ----------
    F : callable or sympy expression (or a list of T)
        A callable on (k, T) arrays returning (k,) (the same output at every position)
        or (k, T) (output t at position t); or sympy expressions in x1..xT.
    T : int
        Sequence length, T >= 2.
    eps : float
        Target sup error, > 0 (the direct route refuses when its proven bound is above it;
        the Kolmogorov route records it and measures).
    route : {"direct", "kolmogorov"}
        See the module docstring.
    lipschitz : float, optional
        L with ``|F(x) - F(y)| <= L max_p |x_p - y_p|``; needed by the direct route for
        callables, certified for sympy targets when not given.
    method : str, optional
        The direct route's construction for its last head: "torus_net" (the default).

    Returns
    -------
    DirectTransformer or PrefixTransformer
        With ``depth``, ``prefix_lengths``, ``error_bound``, ``__call__``, ``matrices()``
        and ``to_torch()``.

    Examples
    --------
    >>> import numpy as np
    >>> net = compile_seq2seq(lambda X: X.max(axis=1), 2, 0.05, lipschitz=1.0)
    >>> net.depth, net.error_bound <= 0.05
    (3, True)
    >>> ka = compile_seq2seq(lambda X: X.max(axis=1), 2, 0.05, route="kolmogorov")
    >>> ka.depth, ka.error_bound
    (7, inf)
    """
    T = check_int(T, "T", minimum=2)
    eps = check_positive(eps, "eps")
    if route not in ROUTES:
        raise ValueError(f"route must be one of {sorted(ROUTES)}, got {route!r}")
    if method not in ROUTES[route]:
        raise ValueError(f"route {route!r} has the methods {[m for m in ROUTES[route] if m]} "
                         f"(or None for its default), got {method!r}")
    if route == "direct":
        return compile_direct(F, T, eps, lipschitz)
    net = compile_transformer(sprecher_outer(InnerFunction(T), _as_callable(F, T)))
    net.info["eps"] = eps
    return net
