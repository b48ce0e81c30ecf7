"""Boxes on the sphere and branch and bound over them, in ball arithmetic.

The sphere S^m is covered by the 2(m+1) faces of the cube [-1, 1]^(m+1),
projected radially; a box is ``(axis, sign, lo, hi)``: the points
``u / |u|`` with ``u_axis = sign`` and the other coordinates in ``[lo, hi]``.
:func:`box_to_balls` encloses a box in arb balls, :func:`split_box` halves
it, and :func:`branch_and_bound` maximises a ball function over the sphere.
:func:`mean_value_enclosure` gives second-order tight enclosures of a sympy
expression over a box. Both :mod:`spherical_approx.continuity` (Lipschitz and
sup-norm certificates) and :mod:`spherical_approx.certify` (error
certificates of heads) are built on this module.
"""

from __future__ import annotations

import heapq
import math
from dataclasses import dataclass, field

import numpy as np
import sympy

from ._validate import check_int, check_positive
from .arith import compile_expression
from .limits import check_feasible

__all__ = ["CertifiedBound", "face_boxes", "box_to_balls", "split_box", "branch_and_bound",
           "mean_value_enclosure", "sqrt_nonnegative", "cube_box_to_balls", "split_cube_box"]


def sqrt_nonnegative(x):
    """Ball containing ``sqrt(max(v, 0))`` for every v in the arb ball x (rigorous).

    Parameters
    ----------
    x : flint.arb
        A ball, possibly reaching below 0 (an enclosure of a square).

    Returns
    -------
    flint.arb
        An enclosure of the square root of its nonnegative part.

    Examples
    --------
    >>> import flint
    >>> sqrt_nonnegative(flint.arb(-1, 2)).contains(1)
    True
    """
    import flint

    if x >= 0:
        return x.sqrt()
    # [0, sqrt(upper)] exactly (python-flint's nonnegative_part() rounds the radius to 30 bits,
    # which loosened certified Lipschitz constants by 1e-9); an undefined ball (upper NaN) stays
    # undefined: only a certainly negative one gives 0
    upper = x.upper()
    return flint.arb(0) if upper < 0 else flint.arb(0).union(flint.arb(upper).sqrt())


def _square(x):
    """Ball containing v^2 for every v in x, never below 0 (x*x dips below 0 when x contains 0)."""
    import flint

    if x > 0 or x < 0:
        return x * x
    # [0, top^2] with top >= max |v|: the float's rounding (2^-53) is covered by 2^-50
    top = max(abs(float(x.lower())), abs(float(x.upper()))) * (1 + 2**-50)
    return flint.arb(0).union(flint.arb(top) * flint.arb(top))


@dataclass
class CertifiedBound:
    """A rigorous upper bound (arb ball's upper end) and the best value attained at a point.

    ``upper`` is certified: the quantity is <= upper. ``lower`` is attained at
    ``witness``, so the quantity is >= lower (up to the float rounding of the
    witness point onto the sphere). ``boxes`` counts the boxes processed.

    Parameters
    ----------
    upper : float
        Certified upper bound of the quantity.
    lower : float
        Value attained at ``witness``.
    witness : ndarray
        A point of S^m where ``lower`` is attained.
    boxes : int
        Boxes processed.
    quantity : str
        What was bounded, in words.
    notes : list of str
        Remarks (a budget reached, ...).
    """

    upper: float
    lower: float
    witness: np.ndarray
    boxes: int
    quantity: str
    notes: list = field(default_factory=list)


def face_boxes(m):
    """Initial cubed-sphere faces as (axis, sign, lo, hi) with lo/hi in [-1, 1]^m.

    Parameters
    ----------
    m : int
        Sphere dimension, m >= 1.

    Returns
    -------
    list of tuple
        The 2(m+1) faces as boxes ``(axis, sign, lo, hi)``.
    """
    return [(axis, sign, np.full(m, -1.0), np.full(m, 1.0)) for axis in range(m + 1) for sign in (1, -1)]


def box_to_balls(axis, sign, lo, hi):
    """arb enclosure of ``{u/|u| : u = (sign at axis, v), v in [lo, hi]}`` and its centre point.

    Parameters
    ----------
    axis : int
        The coordinate fixed at ``sign`` on this cube face.
    sign : int
        +1 or -1.
    lo : ndarray
        Lower corner of the box in the face's other m coordinates.
    hi : ndarray
        Upper corner.

    Returns
    -------
    tuple
        (list of m+1 arb balls, the box centre as a unit float vector).
    """
    import flint

    v = [flint.arb((a + b) / 2, (b - a) / 2) for a, b in zip(lo, hi)]
    norm2 = flint.arb(1)
    for vi in v:
        norm2 = norm2 + _square(vi)
    inv = 1 / norm2.sqrt()
    coords, k = [], 0
    for j in range(len(lo) + 1):
        if j == axis:
            coords.append(sign * inv)
        else:
            coords.append(v[k] * inv)
            k += 1
    mid = (lo + hi) / 2
    centre = np.concatenate([mid[:axis], [float(sign)], mid[axis:]])
    return coords, centre / math.sqrt(float(centre @ centre))


def split_box(box):
    """The two halves of a cubed-sphere box across its longest side.

    Parameters
    ----------
    box : tuple
        ``(axis, sign, lo, hi)``.

    Returns
    -------
    tuple
        The two halves.
    """
    axis, sign, lo, hi = box
    j = int(np.argmax(hi - lo))
    mid = (lo[j] + hi[j]) / 2
    hi1, lo2 = hi.copy(), lo.copy()
    hi1[j], lo2[j] = mid, mid
    return (axis, sign, lo.copy(), hi1), (axis, sign, lo2, hi.copy())


def cube_box_to_balls(lo, hi):
    """arb enclosure of the box ``[lo, hi]`` of R^m and its centre point.

    Parameters
    ----------
    lo : ndarray
        Lower corner.
    hi : ndarray
        Upper corner.

    Returns
    -------
    tuple
        (list of m arb balls, the box centre).
    """
    import flint

    # halving [0, 1] keeps every corner dyadic, so midpoint and radius are exact floats
    return [flint.arb((a + b) / 2, (b - a) / 2) for a, b in zip(lo, hi)], (lo + hi) / 2


def split_cube_box(box):
    """The two halves of a box ``(lo, hi)`` of R^m across its longest side.

    Parameters
    ----------
    box : tuple
        ``(lo, hi)``.

    Returns
    -------
    tuple
        The two halves.
    """
    lo, hi = box
    j = int(np.argmax(hi - lo))
    mid = (lo[j] + hi[j]) / 2
    hi1, lo2 = hi.copy(), lo.copy()
    hi1[j], lo2[j] = mid, mid
    return (lo.copy(), hi1), (lo2, hi.copy())


def branch_and_bound(value_fn, m, rtol, max_boxes, quantity, domain="sphere"):
    """Maximise value_fn (arb in, arb out) over S^m (cubed-sphere boxes) or over the cube [0, 1]^m.

    Parameters
    ----------
    value_fn : callable
        Maps m+1 arb balls (a box) to an arb ball containing the function's values there.
    m : int
        Sphere dimension, m >= 1.
    rtol : float
        Stop when the upper bound is within rtol (relative) of the attained value.
    max_boxes : int
        Budget of boxes.
    quantity : str
        What is maximised, in words (for messages).
    domain : {"sphere", "cube"}
        S^m, covered by :func:`face_boxes`, or the unit cube [0, 1]^m (boxes ``(lo, hi)``).

    Returns
    -------
    CertifiedBound
        The certified maximum and the best attained value.
    """
    import flint

    if domain == "sphere":
        initial, to_balls, split = face_boxes(m), (lambda box: box_to_balls(*box)), split_box
    elif domain == "cube":
        initial, to_balls, split = [(np.zeros(m), np.ones(m))], (lambda box: cube_box_to_balls(*box)), split_cube_box
    else:
        raise ValueError(f"domain must be 'sphere' or 'cube', got {domain!r}")

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
        coords, centre = to_balls(box)
        enclosure = value_fn(coords)
        processed += 1
        up = float(enclosure.upper()) if enclosure.is_finite() else math.inf
        at_centre = value_fn([flint.arb(c) for c in centre])
        lo = float(at_centre.lower()) if at_centre.is_finite() else -math.inf
        if lo > best_lower:
            best_lower, best_point = lo, centre
        counter += 1
        heapq.heappush(heap, (-up, counter, box))

    for box in initial:
        push(box)
    while heap:
        up = -heap[0][0]
        if up <= best_lower + rtol * abs(best_lower) or processed >= max_boxes:
            break
        for half in split(heapq.heappop(heap)[2]):
            push(half)
    upper = -heap[0][0] if heap else best_lower
    converged = upper <= best_lower + rtol * abs(best_lower)
    if not converged:
        notes.append(f"box budget {max_boxes} reached before rtol {rtol}")
    return CertifiedBound(upper, best_lower, best_point, processed, quantity, notes)


def mean_value_enclosure(expr, gens):
    """Enclosure of expr over a box: the naive interval value intersected with the
    mean-value form ``G(c) + sum_i dG/dx_i(X) (X_i - c_i)`` (c the box midpoint).

    The mean-value form is valid because the box is convex; its overestimate is
    second order in the box width, which naive evaluation (first order, and hit by
    cancellations such as ``|grad|^2 - <x, grad>^2``) cannot reach.

    Parameters
    ----------
    expr : sympy expression
        An expression in the coordinates x0..xm.
    gens : tuple of sympy.Symbol
        The coordinates.

    Returns
    -------
    callable
        ``enclose(coords)``: an arb ball containing expr over the box;
        ``enclose.with_gradient`` also returns the partials.
    """
    import flint

    value = compile_expression(expr, gens, "arb")
    # differentiate with real symbols: then d|x|/dx is sign(x), which has an arb enclosure
    real = sympy.symbols(f"_r0:{len(gens)}", real=True)
    to_real, back = dict(zip(gens, real)), dict(zip(real, gens))
    try:
        partials = [compile_expression(sympy.diff(expr.subs(to_real), r).subs(back), gens, "arb") for r in real]
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
