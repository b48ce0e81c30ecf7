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
"""

from __future__ import annotations

import heapq
import math
from dataclasses import dataclass, field

import numpy as np
import sympy

from ._validate import check_dimension, check_int, check_positive
from .arith import compile_expression
from .harmonics import _as_callable, coordinate_expr, sphere_symbols
from .limits import check_feasible
from .sphere import sample_uniform

__all__ = [
    "arb_function",
    "modulus_of_continuity",
    "ModulusEstimate",
    "lipschitz_bound",
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


def _sqrt_nonneg(x):
    """Ball containing sqrt(max(v, 0)) for every v in the ball x (rigorous)."""
    import flint

    if x >= 0:
        return x.sqrt()
    upper = x.upper()
    if upper < 0:
        return flint.arb(0)
    return flint.arb(0).union(flint.arb(upper).sqrt())


def _arb_square(x):
    """Ball containing v^2 for every v in x, never below 0 (x*x dips below 0 when x contains 0)."""
    import flint

    if x > 0 or x < 0:
        return x * x
    top = max(abs(float(x.lower())), abs(float(x.upper()))) * (1 + 2**-50)
    return flint.arb(0).union(flint.arb(top) * flint.arb(top))


def arb_function(expr, symbols, complex_balls=False):
    """Compile a sympy expression into a rigorous function of arb (or acb) balls.

    The result contains the value of the expression at every point of the
    input balls (see :func:`spherical_approx.arith.compile_expression`); call it
    at the working precision you want (``flint.ctx.workprec``).

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
    """A sampled lower bound of omega(f, delta), with the pair that attains it."""

    value: float
    delta: float
    witness: tuple
    pairs_evaluated: int
    kind: str = "lower bound (sampled)"


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
    func, _ = _as_callable(f, m)
    rng = np.random.default_rng(seed)

    def gaps(X, Y):
        diff = np.asarray(func(X), dtype=float) - np.asarray(func(Y), dtype=float)
        g = np.abs(diff) if diff.ndim == 1 else np.linalg.norm(diff, axis=1)
        if not np.all(np.isfinite(g)):
            raise ValueError("f returned NaN or infinite values")
        return g

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


@dataclass
class CertifiedBound:
    """A rigorous upper bound (arb ball's upper end) and the best value attained at a point.

    ``upper`` is certified: the quantity is <= upper. ``lower`` is attained at
    ``witness``, so the quantity is >= lower (up to the float rounding of the
    witness point onto the sphere). ``boxes`` counts the boxes processed.
    """

    upper: float
    lower: float
    witness: np.ndarray
    boxes: int
    quantity: str
    certified: bool = True
    notes: list = field(default_factory=list)

    @property
    def ratio(self):
        return self.upper / self.lower if self.lower > 0 else math.inf


def _face_boxes(m):
    """Initial cubed-sphere faces as (axis, sign, lo, hi) with lo/hi in [-1, 1]^m."""
    return [(axis, sign, np.full(m, -1.0), np.full(m, 1.0)) for axis in range(m + 1) for sign in (1, -1)]


def _box_to_balls(axis, sign, lo, hi):
    """arb enclosure of {u/|u| : u = (sign at axis, v), v in [lo, hi]} and its centre point."""
    import flint

    v = [flint.arb((a + b) / 2, (b - a) / 2) for a, b in zip(lo, hi)]
    norm2 = flint.arb(1)
    for vi in v:
        norm2 = norm2 + _arb_square(vi)
    inv = 1 / norm2.sqrt()
    coords, k = [], 0
    for j in range(len(lo) + 1):
        if j == axis:
            coords.append(sign * inv)
        else:
            coords.append(v[k] * inv)
            k += 1
    centre = np.insert((lo + hi) / 2, axis, float(sign))
    return coords, centre / np.linalg.norm(centre)


def _split_box(box):
    """The two halves of a cubed-sphere box across its longest side."""
    axis, sign, lo, hi = box
    j = int(np.argmax(hi - lo))
    mid = (lo[j] + hi[j]) / 2
    hi1, lo2 = hi.copy(), lo.copy()
    hi1[j], lo2[j] = mid, mid
    return (axis, sign, lo.copy(), hi1), (axis, sign, lo2, hi.copy())


def _branch_and_bound(value_fn, m, rtol, max_boxes, quantity):
    """Maximise value_fn (arb in, arb out) over S^m by cubed-sphere branch and bound."""
    import flint

    check_positive(rtol, "rtol", allow_zero=True)
    check_int(max_boxes, "max_boxes", minimum=1)
    # each box: an enclosure over m+1 coordinates of an expression whose size grows like (m+1)^2,
    # in ball arithmetic (~1000 flops an operation)
    check_feasible(f"branch and bound for the {quantity} over S^{m} ({max_boxes} boxes)",
                   operations=1000.0 * max_boxes * (m + 1) ** 2 + 1000.0 * 2 * (m + 1) ** 3,
                   advice="lower max_boxes, or pass the constant yourself (a callable with lipschitz=L)")

    best_lower, best_point = -math.inf, None
    heap, counter, processed = [], 0, 0
    notes = []

    def push(box):
        nonlocal best_lower, best_point, counter, processed
        coords, centre = _box_to_balls(*box)
        enclosure = value_fn(coords)
        processed += 1
        up = float(enclosure.upper()) if enclosure.is_finite() else math.inf
        at_centre = value_fn([flint.arb(c) for c in centre])
        lo = float(at_centre.lower()) if at_centre.is_finite() else -math.inf
        if lo > best_lower:
            best_lower, best_point = lo, centre
        counter += 1
        heapq.heappush(heap, (-up, counter, box))

    for box in _face_boxes(m):
        push(box)
    while heap:
        up = -heap[0][0]
        if up <= best_lower + rtol * abs(best_lower) or processed >= max_boxes:
            break
        for half in _split_box(heapq.heappop(heap)[2]):
            push(half)
    upper = -heap[0][0] if heap else best_lower
    converged = upper <= best_lower + rtol * abs(best_lower)
    if not converged:
        notes.append(f"box budget {max_boxes} reached before rtol {rtol}")
    return CertifiedBound(upper, best_lower, best_point, processed, quantity, True, notes)


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
    exprs = list(expr) if isinstance(expr, (list, tuple)) else [expr]
    gens = sphere_symbols(m)
    # G = |grad f|^2 - <x, grad f>^2 = |grad_T f|^2 on the sphere (summed over outputs)
    G = 0
    for e in exprs:
        e = lipschitz_form(e, m)  # jumps refused here: sympy's derivatives would drop them
        grad = [sympy.diff(e, g) for g in gens]
        G += sum(v**2 for v in grad) - sum(x * v for x, v in zip(gens, grad)) ** 2
    enclose = _mean_value_enclosure(G, gens)
    import flint

    dps = check_int(dps, "dps", minimum=1)
    with flint.ctx.workprec(int(dps * 3.33) + 10):
        # |grad_T|^2 >= 0; the enclosure's negative part is clipped before the square root
        result = _branch_and_bound(lambda coords: _sqrt_nonneg(enclose(coords)), m, rtol, max_boxes,
                                   "geodesic Lipschitz constant")
    if not math.isfinite(result.upper):
        at = "" if result.witness is None else f" (largest attained value {result.lower:.4g})"
        raise NotLipschitzError(
            f"cannot certify a finite Lipschitz constant for {expr} on S^{m}: the gradient is unbounded or "
            f"undefined near the sphere{at} within {max_boxes} boxes")
    return result


def _mean_value_enclosure(expr, gens):
    """Enclosure of expr over a box: the naive interval value intersected with the
    mean-value form ``G(c) + sum_i dG/dx_i(X) (X_i - c_i)`` (c the box midpoint).

    The mean-value form is valid because the box is convex; its overestimate is
    second order in the box width, which naive evaluation (first order, and hit by
    cancellations such as |grad|^2 - <x, grad>^2) cannot reach.
    """
    import flint

    value = arb_function(expr, gens)
    # differentiate with real symbols: then d|x|/dx is sign(x), which has an arb enclosure
    real = sympy.symbols(f"_r0:{len(gens)}", real=True)
    to_real, back = dict(zip(gens, real)), dict(zip(real, gens))
    try:
        partials = [arb_function(sympy.diff(expr.subs(to_real), r).subs(back), gens) for r in real]
    except (ValueError, TypeError):  # not differentiable (e.g. DiracDelta): naive enclosure only
        partials = None

    def with_gradient(coords):
        """(enclosure of expr, enclosures of its partial derivatives over the box, or None)."""
        naive = value(*coords)
        if partials is None:
            return naive, None
        mids = [flint.arb(c.mid()) for c in coords]
        grad = [dG(*coords) for dG in partials]
        mv = value(*mids)
        for g, c, mid in zip(grad, coords, mids):
            mv = mv + g * (c - mid)
        both = naive.intersection(mv) if naive.overlaps(mv) else mv
        return both, grad

    def enclose(coords):
        return with_gradient(coords)[0]

    enclose.with_gradient = with_gradient  # callers that also need the partials get them free
    return enclose


def sup_norm_bound(expr, m, rtol=0.01, max_boxes=20000, dps=20):
    """Certified upper bound of ``sup_(x in S^m) |f(x)|`` for a sympy expression.

    Examples
    --------
    >>> x0, x1, x2 = sympy.symbols("x0:3")
    >>> b = sup_norm_bound(x0 * x1, 2)      # max of x0 x1 on S^2 is 1/2
    >>> bool(0.5 <= b.upper <= 0.505), round(b.lower, 3)
    (True, 0.5)
    """
    m = check_dimension(m)
    exprs = list(expr) if isinstance(expr, (list, tuple)) else [expr]
    gens = sphere_symbols(m)
    fns = [_mean_value_enclosure(coordinate_expr(e, m), gens) for e in exprs]
    import flint

    def value(coords):
        vals = [f(coords) for f in fns]
        if len(vals) == 1:
            return abs(vals[0])
        return _sqrt_nonneg(sum((v * v for v in vals), flint.arb(0)))

    with flint.ctx.workprec(int(dps * 3.33) + 10):
        return _branch_and_bound(value, m, rtol, max_boxes, "sup norm")
