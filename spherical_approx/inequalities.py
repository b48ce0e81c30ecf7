"""Rigorous interval proofs of one-variable inequalities ``g(x) > 0`` on [a, b], with arb balls.

* :func:`prove_inequality`: bisection with ball arithmetic, for any ball function g.
* :func:`prove_gap_inequality` [third-party]: ``cos d - cos 2d >= d^2/2`` on (0, 1/2].
* :func:`prove_cap_inequality` [third-party]: ``|cap(d/2)| >= A_(m-1) d^m / (2 m pi^(m-1))``,
  the inequality behind the packing bound ``N <= C_m delta^-m``.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from ._validate import check_dimension, check_int, check_positive
from .arith import get_backend
from .records import AsDict
from .sphere import sphere_area

__all__ = ["InequalityProof", "prove_inequality", "prove_gap_inequality", "prove_cap_inequality"]


@dataclass(frozen=True)
class InequalityProof(AsDict):
    """Result of a rigorous interval check ``g(x) > 0`` on [a, b].

    Parameters
    ----------
    statement : str
        The inequality, in words.
    interval : tuple
        The interval (a, b).
    proved : bool
        Whether every piece was proved.
    pieces : int
        Pieces of the bisection.
    min_lower_bound : float
        Smallest lower bound of g over the pieces.
    failing_piece : tuple or None
        A piece where g could not be proved positive.
    """

    statement: str
    interval: tuple
    proved: bool
    pieces: int
    min_lower_bound: float
    failing_piece: tuple | None = None


def prove_inequality(g, a, b, statement="g > 0", max_depth=40, dps=30):
    """Prove ``g(x) > 0`` for all x in [a, b] by bisection with arb balls.

    ``g`` maps an arb ball X to an arb ball containing ``{g(x) : x in X}``.
    Each piece is accepted when the enclosure's lower end is > 0; otherwise it
    is bisected, down to ``max_depth`` levels. The proof is rigorous: every
    point of [a, b] lies in an accepted piece.

    Parameters
    ----------
    g : callable
        Maps an arb ball X to a ball containing ``g(X)``.
    a : float
        Left end.
    b : float
        Right end.
    statement : str
        The inequality, in words.
    max_depth : int
        Deepest bisection.
    dps : int, optional
        Decimal digits for "mp" and "arb".

    Returns
    -------
    InequalityProof
        The proof (``proved`` False when a piece fails at max_depth).

    Examples
    --------
    >>> p = prove_inequality(lambda x: x.cos(), 0, 1.57)
    >>> p.proved, p.pieces
    (True, 1)
    >>> prove_inequality(lambda x: x.cos(), 0, 1.58).proved     # cos(pi/2) = 0
    False
    """
    import flint

    if not callable(g):
        raise TypeError(f"g must be a callable on arb balls, got {type(g).__name__}")
    for name, v in (("a", a), ("b", b)):
        if isinstance(v, bool) or not isinstance(v, (int, float, np.integer, np.floating)) or not math.isfinite(v):
            raise ValueError(f"{name} must be a finite real number, got {v!r}")
    if not a <= b:
        raise ValueError(f"the interval [a, b] = [{a}, {b}] is reversed (a > b): nothing would be proved")
    max_depth = check_int(max_depth, "max_depth")
    dps = check_int(dps, "dps", minimum=1)
    with get_backend("arb", dps).local():
        stack = [(flint.arb(a), flint.arb(b), 0)]
        pieces, lowest = 0, math.inf
        while stack:
            lo, hi, depth = stack.pop()
            ball = lo.union(hi)
            val = g(ball)
            pieces += 1
            low = float(val.lower()) if val.is_finite() else -math.inf
            if low > 0:
                lowest = min(lowest, low)
                continue
            if depth >= max_depth:
                return InequalityProof(statement, (float(a), float(b)), False, pieces, low,
                                       (float(lo), float(hi)))
            mid = (lo + hi) / 2
            stack.append((mid, hi, depth + 1))
            stack.append((lo, mid, depth + 1))
    return InequalityProof(statement, (float(a), float(b)), True, pieces, lowest)


def prove_gap_inequality(constant=0.5, upper=0.5):
    """[third-party] Rigorous proof of ``cos d - cos 2d >= c d^2`` on (0, upper] (c = 1/2).

    ``cos d - cos 2d = 2 sin(3d/2) sin(d/2) = (3 d^2 / 2) sinc(3d/2) sinc(d/2)``, so
    the claim is ``3 sinc(3d/2) sinc(d/2) - 2c > 0`` on [0, upper], which arb
    proves by bisection (the sinc form removes the 0/0 at d = 0).

    Parameters
    ----------
    constant : float
        The constant c.
    upper : float
        Right end of the interval of d.

    Returns
    -------
    InequalityProof
        The proof.

    Examples
    --------
    >>> prove_gap_inequality().proved
    True
    >>> prove_gap_inequality(constant=1.5).proved     # false for c = 3/2 near 0
    False
    """
    c = check_positive(constant, "constant")
    import flint

    g = lambda x: 3 * (3 * x / 2).sinc() * (x / 2).sinc() - 2 * flint.arb(c)  # noqa: E731
    return prove_inequality(g, 0, upper, f"cos d - cos 2d >= {c} d^2 for d in (0, {upper}]", max_depth=30)


def prove_cap_inequality(m, upper=0.5, constant_factor=1.0, dps=30):
    """[third-party] Rigorous proof of ``|cap(d/2)| >= A_(m-1) d^m / (2 m pi^(m-1))`` on (0, upper].

    This is the inequality behind ``N <= C_m delta^-m``. Checked as
    ``R(d) = |cap(d/2)| 2 m pi^(m-1) / (A_(m-1) d^m) >= 1`` with the exact cap
    area (regularised incomplete beta in arb) on [1e-3, upper], and near 0 via
    ``R(d) >= ((pi/2) sinc(d/2))^(m-1)`` (from ``sinc`` decreasing on [0, pi]).
    For m = 1, R = 1 identically (``|cap(r)| = 2r``) and nothing is left to prove.
    ``constant_factor`` scales the claimed constant (for tests that a wrong
    constant is refuted).

    Parameters
    ----------
    m : int
        Sphere dimension, m >= 1.
    upper : float
        Right end of the interval of d.
    constant_factor : float
        Factor on the claimed constant (1: the true statement).
    dps : int, optional
        Decimal digits for "mp" and "arb".

    Returns
    -------
    InequalityProof
        The proof.

    Examples
    --------
    >>> prove_cap_inequality(2).proved
    True
    """
    m = check_dimension(m)
    import flint

    k = flint.arb(constant_factor)
    if m == 1:
        # |cap(r)| = 2r exactly, so R(d) = 1 / constant_factor: prove 1 - k >= 0 exactly.
        ok = constant_factor <= 1
        return InequalityProof(f"m = 1: R(d) = {1 / constant_factor:g} >= 1", (0.0, float(upper)), ok, 1,
                               1 / constant_factor - 1)
    B = get_backend("arb", dps)

    def ratio(d):
        with B.local():
            a_prev = sphere_area(m - 1, B)
            r = d / 2
            s = r.sin()
            # |cap(r)| = (A_m / 2) I_(sin^2 r)(m/2, 1/2) for r <= pi/2 (see sphere.cap_area)
            cap = sphere_area(m, B) / 2 * (s * s).beta_lower(flint.arb(m) / 2, flint.arb(1) / 2, regularized=1)
            return cap * 2 * m * flint.arb.pi() ** (m - 1) / (a_prev * d**m) - k

    near = prove_inequality(lambda d: (flint.arb.pi() / 2 * (d / 2).sinc()) ** (m - 1) - k, 0, 1e-3,
                            "near 0", max_depth=20, dps=dps)
    far = prove_inequality(ratio, 1e-3, upper, "far", max_depth=30, dps=dps)
    proved = near.proved and far.proved
    return InequalityProof(
        f"|cap(d/2)| >= A_(m-1) d^m / (2 m pi^(m-1)) on S^{m}, d in (0, {upper}]", (0.0, float(upper)), proved,
        near.pieces + far.pieces, min(near.min_lower_bound, far.min_lower_bound),
        near.failing_piece or far.failing_piece,
    )
