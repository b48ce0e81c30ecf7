"""Moduli of continuity, certified Lipschitz constants and certified sup norms on S^m.

* :func:`modulus_of_continuity` is a *sampled lower bound* of
  ``omega(f, delta) = sup {|f(x) - f(y)| : d(x, y) <= delta}``: every reported
  value is attained by a concrete pair, returned as the witness.
* :func:`lipschitz_bound` is a *certified upper bound* of the geodesic
  Lipschitz constant of a sympy expression: for f defined near the sphere,
  ``Lip(f) = sup_x |grad_T f(x)|`` with the tangential gradient
  ``grad_T f = grad f - <x, grad f> x`` [classical]. The sphere is covered by
  the boxes of a cubed-sphere subdivision, each is enclosed in an arb box of
  R^(m+1), ``|grad_T f|^2 = |grad f|^2 - <x, grad f>^2`` is enclosed by ball
  arithmetic, and branch and bound splits the box with the largest upper bound
  until it is within ``rtol`` of the best value attained at a box centre.
  (Expressions with ``Abs`` are fine: ``sign`` is enclosed by [-1, 1] where its
  argument changes sign, which bounds the Clarke gradient.)
* :func:`sup_norm_bound` certifies ``sup_x |f(x)|`` the same way.
* :func:`cube_lipschitz_bound` certifies the Lipschitz constant of a function of
  sequences on the cube [0, 1]^T in the max norm, ``sup_x sum_p |d f / d x_p|``,
  by the same branch and bound over boxes of the cube.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import sympy

from ._validate import check_dimension, check_int, check_positive
from .arith import compile_expression, get_backend
from .boxes import CertifiedBound, branch_and_bound, mean_value_enclosure, sqrt_nonnegative
from .sphere import sample_uniform
from .targets import Target, coordinate_expr, output_expressions, sphere_symbols

__all__ = [
    "arb_function",
    "modulus_of_continuity",
    "ModulusEstimate",
    "lipschitz_bound",
    "cube_lipschitz_bound",
    "sup_norm_bound",
    "CertifiedBound",
    "NotLipschitzError",
    "lipschitz_form",
    "LIPSCHITZ_FUNCTIONS",
]


# --------------------------------------------------------------------------- what can be certified


class NotLipschitzError(ValueError):
    """The expression may jump (or has an unbounded gradient): no Lipschitz constant is certified."""


#: Functions through which a certified Lipschitz constant is computed: each is
#: continuous where defined, and its derivative (with ``d|x| = sign x`` enclosed by
#: [-1, 1] at the kink) bounds its Lipschitz constant. ``Max``/``Min`` are first
#: rewritten as ``(a + b +- |a - b|) / 2``.
LIPSCHITZ_FUNCTIONS = (sympy.exp, sympy.log, sympy.sin, sympy.cos, sympy.tan, sympy.atan, sympy.sinh,
                       sympy.cosh, sympy.tanh, sympy.Abs, sympy.Max, sympy.Min)


_JUMPS = (sympy.Piecewise, sympy.sign, sympy.floor, sympy.ceiling, sympy.Heaviside, sympy.Mod, sympy.frac,
          sympy.atan2, sympy.DiracDelta, sympy.re, sympy.im, sympy.arg)


def _without_max_min(e):
    """Max/Min as Abs: ``Max(a, b) = (a + b + |a - b|) / 2`` (folded over more arguments)."""
    def fold(args, s):
        out = args[0]
        for a in args[1:]:
            out = (out + a + s * sympy.Abs(out - a)) / 2
        return out

    return e.replace(lambda x: isinstance(x, (sympy.Max, sympy.Min)),
                     lambda x: fold(list(x.args), 1 if isinstance(x, sympy.Max) else -1))


def lipschitz_form(expr, m):
    """``expr`` in sphere coordinates, checked to be built from continuous pieces only.

    Raises :class:`NotLipschitzError` naming the first function that can jump
    (``Piecewise``, ``sign``, ``floor``, ``ceiling``, ``Heaviside``, ``Mod``, ``frac``,
    ``atan2``, ...) or that the certifier does not know; ``Max``/``Min`` are
    rewritten with ``Abs`` (kinks are fine, jumps are not).

    Parameters
    ----------
    expr : sympy expression
        An expression in the coordinates x0..xm.
    m : int
        Sphere dimension, m >= 1.

    Returns
    -------
    sympy expression
        The expression with Max and Min written through Abs.

    Examples
    --------
    >>> x0, x1 = sphere_symbols(1)
    >>> lipschitz_form(sympy.Max(x0, x1), 1)
    x0/2 + x1/2 + Abs(x0 - x1)/2
    >>> lipschitz_form(sympy.sign(x0), 1)
    Traceback (most recent call last):
    ...
    spherical_approx.continuity.NotLipschitzError: cannot certify a Lipschitz constant: sign(x0) may jump ...
    """
    e = coordinate_expr(expr, m)
    for node in sympy.preorder_traversal(e):
        if node.is_Symbol or node.is_Number or node.is_Add or node.is_Mul or node.is_Pow:
            continue
        if node in (sympy.pi, sympy.E) or isinstance(node, LIPSCHITZ_FUNCTIONS):
            continue
        if isinstance(node, _JUMPS) or node.is_Relational or node.is_Boolean:
            raise NotLipschitzError(
                f"cannot certify a Lipschitz constant: {node} may jump ({type(node).__name__} is not continuous "
                "in general); pass a callable with lipschitz=L if you know one")
        name = type(node).__name__
        raise NotLipschitzError(
            f"cannot certify a Lipschitz constant through {name} (in {e}): the certifier knows "
            f"{', '.join(f.__name__ for f in LIPSCHITZ_FUNCTIONS)}; pass a callable with lipschitz=L if you know one")
    if e.has(sympy.I):
        raise NotLipschitzError(f"{e} is not real on the sphere")
    return _without_max_min(e)


# --------------------------------------------------------------------------- sympy -> arb


def arb_function(expr, symbols, complex_balls=False):
    """Compile a sympy expression into a rigorous function of arb (or acb) balls.

    The result contains the value of the expression at every point of the
    input balls (see :func:`spherical_approx.arith.compile_expression`); call it
    at the working precision you want (``flint.ctx.workprec``).

    Parameters
    ----------
    expr : sympy expression
        An expression in the coordinates x0..xm.
    symbols : sequence of sympy.Symbol
        The arguments, in order.
    complex_balls : bool
        Compile for acb balls with analyticity guards.

    Returns
    -------
    callable
        The compiled function of balls.

    Examples
    --------
    >>> import flint, sympy
    >>> x = sympy.Symbol("x")
    >>> f = arb_function(sympy.sin(x) ** 2 + sympy.cos(x) ** 2, (x,))
    >>> f(flint.arb("0.3")).contains(1)
    True
    """
    return compile_expression(expr, symbols, "arb", complex_balls=complex_balls)


# --------------------------------------------------------------------------- sampled modulus


@dataclass
class ModulusEstimate:
    """A sampled lower bound of omega(f, delta), with the pair that attains it.

    Parameters
    ----------
    value : float
        The largest ``|f(x) - f(y)|`` found with ``d(x, y) <= delta``.
    delta : float
        Geodesic distance, > 0.
    witness : tuple
        The pair (x, y) attaining it.
    pairs_evaluated : int
        Pairs evaluated.
    """

    value: float
    delta: float
    witness: tuple
    pairs_evaluated: int


def _pair_at(X, V, d):
    """Points at geodesic distance d from the rows of X in the tangent directions V."""
    V = V - np.sum(V * X, axis=1)[:, None] * X
    V /= np.linalg.norm(V, axis=1)[:, None]
    Y = np.cos(d)[:, None] * X + np.sin(d)[:, None] * V
    return Y / np.linalg.norm(Y, axis=1)[:, None]


def modulus_of_continuity(f, m, delta, samples=20000, refine=30, seed=0):
    """A sampled lower bound of ``omega(f, delta)`` with local refinement.

    Pairs (x, y) with ``d(x, y) <= delta`` are drawn (x uniform, y at distance
    ``delta`` or a uniform fraction of it in a random direction); the best
    pairs are then improved by a shrinking random local search. The result is a
    lower bound: the value is attained by the returned witness pair, which
    satisfies ``d(x, y) <= delta``.

    Parameters
    ----------
    f : callable or sympy expression
        ``f(X)`` with X of shape (k, m+1), returning (k,) or (k, d_out)
        (Euclidean norm of differences for vector output).
    m : int
    delta : float in (0, pi]
    samples : int
        Random pairs in the first pass.
    refine : int
        Rounds of local refinement of the best pairs.
    seed : int or numpy.random.Generator, optional
        Random seed or generator.

    Returns
    -------
    ModulusEstimate
        The lower bound and the pair attaining it.

    Examples
    --------
    >>> import sympy
    >>> x0, x1, x2 = sympy.symbols("x0:3")
    >>> est = modulus_of_continuity(x2, 2, 0.1)
    >>> bool(0.09 < est.value <= 0.1)      # omega(x2, delta) = sin(delta)... at most delta
    True
    """
    m = check_dimension(m)
    delta = check_positive(delta, "delta")
    if delta > math.pi:
        raise ValueError(f"delta must be in (0, pi], got {delta}")
    samples = check_int(samples, "samples", minimum=1)
    target = Target(f, m)
    rng = np.random.default_rng(seed)

    def gaps(X, Y):
        return np.linalg.norm(target(X) - target(Y), axis=1)

    X = sample_uniform(m, samples, seed=rng)
    d = np.where(rng.random(samples) < 0.75, delta, delta * rng.random(samples))
    Y = _pair_at(X, rng.standard_normal(X.shape), d)
    g = gaps(X, Y)
    evaluated = samples
    top = np.argsort(g)[-min(20, samples):]
    bestX, bestY, bestg = X[top], Y[top], g[top]
    step = 0.5 * delta
    for _ in range(refine):
        Xn = bestX + step * rng.standard_normal(bestX.shape)
        Xn /= np.linalg.norm(Xn, axis=1)[:, None]
        Yn = _pair_at(Xn, bestY - Xn + step * rng.standard_normal(bestX.shape), np.full(len(Xn), delta))
        gn = gaps(Xn, Yn)
        evaluated += len(Xn)
        better = gn > bestg
        bestX[better], bestY[better], bestg[better] = Xn[better], Yn[better], gn[better]
        step *= 0.85
    k = int(np.argmax(bestg))
    # report only pairs that are provably within delta in float arithmetic
    dist = 2 * np.arctan2(np.linalg.norm(bestX[k] - bestY[k]), np.linalg.norm(bestX[k] + bestY[k]))
    if dist > delta:
        bestY[k] = _pair_at(bestX[k:k + 1], bestY[k:k + 1] - bestX[k:k + 1], np.array([delta * (1 - 1e-12)]))[0]
        bestg[k] = gaps(bestX[k:k + 1], bestY[k:k + 1])[0]
    return ModulusEstimate(float(bestg[k]), delta, (bestX[k].copy(), bestY[k].copy()), evaluated)


# --------------------------------------------------------------------------- certified bounds


def lipschitz_bound(expr, m, rtol=0.02, max_boxes=20000, dps=20):
    """Certified upper bound of the geodesic Lipschitz constant of a sympy expression on S^m.

    ``Lip(f) = sup_(x in S^m) |grad_T f(x)|`` for f defined near the sphere
    (geodesic distance) [classical]; enclosed by branch and bound with ball
    arithmetic (see the module docstring).

    Parameters
    ----------
    expr : sympy expression, or a list of them (vector valued: the operator norm
        of the tangential Jacobian is bounded by its Frobenius norm)
    m : int
    rtol : float
        Stop when the certified upper bound is within ``rtol`` (relative) of
        the value attained at a box centre.
    max_boxes : int
        Budget; if reached, the bound is still certified but may be looser.
    dps : int, optional
        Decimal digits for "mp" and "arb".

    Returns
    -------
    CertifiedBound
        ``upper`` >= Lip(f) (rigorous), ``lower`` <= Lip(f) (attained).

    Examples
    --------
    >>> x0, x1, x2 = sympy.symbols("x0:3")
    >>> b = lipschitz_bound(x2, 2)          # |grad_T x2| = sin(theta) <= 1
    >>> bool(1.0 <= b.upper <= 1.02), round(b.lower, 6)
    (True, 1.0)
    """
    m = check_dimension(m)
    exprs, _ = output_expressions(expr)
    gens = sphere_symbols(m)
    # G = |grad f|^2 - <x, grad f>^2 = |grad_T f|^2 on the sphere (summed over outputs)
    G = 0
    for e in exprs:
        e = lipschitz_form(e, m)  # jumps refused here: sympy's derivatives would drop them
        grad = [sympy.diff(e, g) for g in gens]
        G += sum(v**2 for v in grad) - sum(x * v for x, v in zip(gens, grad)) ** 2
    enclose = mean_value_enclosure(G, gens)

    dps = check_int(dps, "dps", minimum=1)
    with get_backend("arb", dps).local():
        # |grad_T|^2 >= 0; the enclosure's negative part is clipped before the square root
        result = branch_and_bound(lambda coords: sqrt_nonnegative(enclose(coords)), m, rtol, max_boxes,
                                   "geodesic Lipschitz constant")
    if not math.isfinite(result.upper):
        at = "" if result.witness is None else f" (largest attained value {result.lower:.4g})"
        raise NotLipschitzError(
            f"cannot certify a finite Lipschitz constant for {expr} on S^{m}: the gradient is unbounded or "
            f"undefined near the sphere{at} within {max_boxes} boxes")
    return result


def cube_lipschitz_bound(expr, T, rtol=0.02, max_boxes=20000, dps=20):
    """Certified L with ``|f(x) - f(y)| <= L max_p |x_p - y_p|`` on [0, 1]^T, for sympy f in x1..xT.

    For f Lipschitz on the convex cube, the best such L is ``sup_x |grad f(x)|_1``
    (the dual norm of the max norm) [classical]; the sum of ``|d f / d x_p|`` is
    enclosed over boxes of the cube in ball arithmetic and maximised by branch and
    bound. For a list of expressions (one output per position) the largest of
    their constants is returned.

    Parameters
    ----------
    expr : sympy expression, or a list of them
        In the symbols x1..xT (1-based: x1 is the first token).
    T : int
        Sequence length, T >= 2.
    rtol : float
        Stop when the certified upper bound is within ``rtol`` of the attained value.
    max_boxes : int
        Budget of boxes (per output).
    dps : int, optional
        Decimal digits of the ball arithmetic.

    Returns
    -------
    CertifiedBound
        ``upper`` >= L (rigorous), ``lower`` attained at a box centre.

    Examples
    --------
    >>> x1, x2 = sympy.symbols("x1:3")
    >>> b = cube_lipschitz_bound(x1 * x2, 2)       # |x2| + |x1| <= 2 on [0, 1]^2
    >>> bool(2.0 <= b.upper <= 2.04), round(b.lower, 6)
    (True, 2.0)
    """
    T = check_int(T, "T", minimum=2)
    exprs, _ = output_expressions(expr)
    gens = sphere_symbols(T - 1)
    # x1..xT -> x0..x(T-1): the sphere's coordinate symbols, so lipschitz_form's checks apply
    rename = {sympy.Symbol(f"x{p + 1}"): gens[p] for p in range(T)}
    rename.update({sympy.Symbol(f"x{p + 1}", real=True): gens[p] for p in range(T)})
    best = None
    dps = check_int(dps, "dps", minimum=1)
    for e in exprs:
        e = sympy.sympify(e)
        extra = {str(s) for s in e.free_symbols} - {f"x{p + 1}" for p in range(T)}
        if extra:
            raise ValueError(f"{e} has symbols {sorted(extra)} other than the tokens x1..x{T}")
        if isinstance(e, (sympy.Max, sympy.Min)) or isinstance(e, sympy.Abs):
            # Lip(max_i g_i), Lip(min_i g_i) <= max_i Lip(g_i) and Lip|g| <= Lip g in any norm; bounding the
            # pieces avoids enclosing |1 + s| + |1 - s| (s = sign in [-1, 1]) by 2 on the kink
            part = cube_lipschitz_bound(list(e.args), T, rtol, max_boxes, dps)
            best = part if best is None or part.upper > best.upper else best
            continue
        e = lipschitz_form(e.xreplace(rename), T - 1)  # jumps refused here
        grad = [compile_expression(sympy.diff(e, g), gens, "arb") for g in gens]
        def gradient_l1(coords, grad=grad):
            return sum((abs(d(*coords)) for d in grad[1:]), abs(grad[0](*coords)))

        with get_backend("arb", dps).local():
            result = branch_and_bound(gradient_l1, T, rtol, max_boxes, "max-norm Lipschitz constant", domain="cube")
        if not math.isfinite(result.upper):
            raise NotLipschitzError(f"cannot certify a finite Lipschitz constant for {e} on [0, 1]^{T}: the "
                                    f"gradient is unbounded or undefined within {max_boxes} boxes")
        best = result if best is None or result.upper > best.upper else best
    return best


def sup_norm_bound(expr, m, rtol=0.01, max_boxes=20000, dps=20):
    """Certified upper bound of ``sup_(x in S^m) |f(x)|`` for a sympy expression.

    Parameters
    ----------
    expr : sympy expression
        An expression in the coordinates x0..xm.
    m : int
        Sphere dimension, m >= 1.
    rtol : float
        Stop when the upper bound is within rtol of the attained value.
    max_boxes : int
        Budget of boxes.
    dps : int, optional
        Decimal digits for "mp" and "arb".

    Returns
    -------
    CertifiedBound
        ``upper >= sup |f|`` (rigorous) and the attained ``lower``.

    Examples
    --------
    >>> x0, x1, x2 = sympy.symbols("x0:3")
    >>> b = sup_norm_bound(x0 * x1, 2)      # max of x0 x1 on S^2 is 1/2
    >>> bool(0.5 <= b.upper <= 0.505), round(b.lower, 3)
    (True, 0.5)
    """
    m = check_dimension(m)
    exprs, _ = output_expressions(expr)
    gens = sphere_symbols(m)
    fns = [mean_value_enclosure(coordinate_expr(e, m), gens) for e in exprs]
    import flint

    def value(coords):
        vals = [f(coords) for f in fns]
        if len(vals) == 1:
            return abs(vals[0])
        return sqrt_nonnegative(sum((v * v for v in vals), flint.arb(0)))

    dps = check_int(dps, "dps", minimum=1)
    with get_backend("arb", dps).local():
        return branch_and_bound(value, m, rtol, max_boxes, "sup norm")
