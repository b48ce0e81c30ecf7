"""Targets on the sphere: the coordinate symbols and the one type that decides scalar or vector.

Everything that accepts a target f (constructions, certificates, harmonic
expansions, moduli of continuity) reads it through :class:`Target`, so the
rules for what a target may be are written once.
"""

from __future__ import annotations

import numpy as np
import sympy

from ._validate import check_dimension

__all__ = ["Target", "sphere_symbols", "coordinate_expr", "output_expressions", "VECTOR_CONTAINERS"]

#: Containers whose entries are the outputs of a vector-valued sympy target.
VECTOR_CONTAINERS = (list, tuple, sympy.MatrixBase, np.ndarray)


def output_expressions(expr):
    """The expressions of a sympy target, one per output, and whether the target is scalar valued.

    The one rule for what a vector-valued sympy target is: a list, tuple, sympy
    Matrix or array of expressions (flattened in row-major order); anything else
    is one scalar expression.

    Parameters
    ----------
    expr : sympy expression or container of them
        The target.

    Returns
    -------
    tuple
        ``(expressions, scalar)``: a list of the outputs' expressions and a bool.

    Examples
    --------
    >>> x = sympy.Symbol("x0")
    >>> output_expressions(x), output_expressions(sympy.Matrix([x, 2 * x]))
    (([x0], True), ([x0, 2*x0], False))
    """
    if isinstance(expr, VECTOR_CONTAINERS):
        return list(np.ravel(np.asarray(expr, dtype=object))), False
    return [expr], True


def sphere_symbols(m):
    """The sympy symbols ``x0, ..., xm`` used for polynomials on S^m.

    Parameters
    ----------
    m : int
        Sphere dimension, m >= 1.

    Returns
    -------
    tuple of sympy.Symbol
        ``(x0, ..., xm)``, declared real.

    Examples
    --------
    >>> sphere_symbols(2)
    (x0, x1, x2)
    """
    m = check_dimension(m)
    return sympy.symbols(f"x0:{m + 1}", real=True)


def coordinate_expr(expr, m, name="expr"):
    """``expr`` written in the coordinates :func:`sphere_symbols` of S^m.

    Plain ``Symbol("x0")`` (no assumptions) is accepted and renamed to the real
    coordinate symbols; any other free symbol is an error.

    Parameters
    ----------
    expr : sympy expression
        An expression in the coordinates x0..xm.
    m : int
        Sphere dimension, m >= 1.
    name : str
        How to call the expression in error messages.

    Returns
    -------
    sympy expression
        The expression in the real symbols :func:`sphere_symbols`.

    Examples
    --------
    >>> coordinate_expr(sympy.Symbol("x1") ** 2, 2).free_symbols == {sphere_symbols(2)[1]}
    True
    """
    gens = sphere_symbols(m)
    e = sympy.sympify(expr).xreplace({sympy.Symbol(g.name): g for g in gens})
    extra = e.free_symbols - set(gens)
    if extra:
        raise ValueError(f"{name} has symbols {sorted(map(str, extra))} other than the coordinates {gens}")
    return e


class Target:
    """A target f on S^m: float evaluation, and its sympy form when there is one.

    The one place that decides what a target is: a sympy expression (scalar
    valued), a list, tuple, sympy Matrix or array of expressions (vector valued,
    one output per entry), or a callable mapping points (k, m+1) to (k,)
    (scalar) or (k, d_out) (vector); a callable's output shape on two probe
    points decides.

    Parameters
    ----------
    f : sympy expression, container of them, or callable
        The target.
    m : int
        Sphere dimension.

    Attributes
    ----------
    exprs : list of sympy expressions or None
        The expressions in the coordinates :func:`sphere_symbols`, for sympy targets.
    scalar : bool
        Whether f is scalar valued (outputs are still returned as (k, 1)).
    d_out : int
        Number of outputs.

    Examples
    --------
    >>> x0, x1, x2 = sphere_symbols(2)
    >>> t = Target([x0, x1 * x2], 2)
    >>> t.scalar, t.d_out, t(np.array([[0.0, 0.6, 0.8]])).tolist()
    (False, 2, [[0.0, 0.48]])
    """

    def __init__(self, f, m):
        self.m = check_dimension(m)
        self.exprs = None
        if isinstance(f, (sympy.Basic, *VECTOR_CONTAINERS)):
            gens = sphere_symbols(m)
            items, self.scalar = output_expressions(f)
            if not items:
                raise ValueError("f is an empty list: give at least one expression")
            self.exprs = [coordinate_expr(e, m, "f") for e in items]
            for e in self.exprs:
                if e.has(sympy.I) or e.has(sympy.zoo) or e.has(sympy.nan) or e.has(sympy.oo):
                    raise ValueError(f"f = {e} is not a finite real expression on the sphere")
            fns = [sympy.lambdify(gens, e, "numpy") for e in self.exprs]
            self.func = lambda X: np.stack([np.broadcast_to(fn(*X.T), (X.shape[0],)) for fn in fns], axis=1)
        elif callable(f):
            self.func = f
            probe = np.asarray(f(np.eye(m + 1)[:2]))
            if probe.ndim not in (1, 2) or probe.shape[0] != 2:
                raise ValueError(f"f must map points (k, {m + 1}) to shape (k,) or (k, d_out); "
                                 f"for k = 2 it returned shape {probe.shape}")
            if np.iscomplexobj(probe) or not np.issubdtype(probe.dtype, np.number):
                raise TypeError(f"f must return real numbers, got dtype {probe.dtype}")
            self.scalar = probe.ndim == 1
        else:
            raise TypeError(f"f must be a sympy expression, a list of them, or a callable; got {type(f).__name__}")
        self.d_out = self(np.eye(m + 1)[:1]).shape[1]

    def __call__(self, X):
        F = np.asarray(self.func(X))
        if np.iscomplexobj(F):
            raise TypeError("f returned complex values: the target must be real on the sphere")
        F = F.astype(float)
        F = F[:, None] if F.ndim == 1 else F
        if F.ndim != 2 or F.shape[0] != X.shape[0]:
            raise ValueError(f"f must return shape (k,) or (k, d_out) for k = {X.shape[0]} points, got {F.shape}")
        if not np.all(np.isfinite(F)):
            bad = X[~np.all(np.isfinite(F), axis=1)][0]
            raise ValueError(f"f returned NaN or infinite values (first at {bad})")
        return F

    @property
    def is_polynomial(self):
        """True for sympy targets that are polynomials in the coordinates."""
        return self.exprs is not None and all(e.is_polynomial(*sphere_symbols(self.m)) for e in self.exprs)
