"""Certified sup-norm error of a compiled head over the whole sphere (ball arithmetic).

``certify_sup_error(approx, f, eps)`` runs a branch and bound over a cubed-sphere
subdivision of S^m (on S^1: arcs) and returns a :class:`Certificate`:

* **proved**: every box has a rigorous upper bound of ``|head - f|`` and the largest is
  <= eps; the bound is an arb ball's upper end;
* **refuted**: a point where ``|head - f| > eps``, with the error enclosed in arb at
  that exact point (its lower end exceeds eps);
* **undecided**: the budget ran out first; the best bounds so far are reported.

Enclosures on a box [toolkit] (proofs in ``docs/theory/certify.rst``). Let P be the
exact point of S^m at the box centre, R >= sup ``|x - P|`` over the box, ``a = lam P`` with
lam the median key norm, and ``s~_j(z) = <k_j - a, z> + b_j`` the scores shifted by
``<a, z>`` (the shift cancels in the softmax, except against the content tokens, which
are kept exactly). Over the ball ``|z - P| <= R`` the shifted score moves by at most
``|k_j - a| R``, which is ``lam |y_j - P| R``: small for the keys that matter, so boxes
may be far larger than ``1/lam``.

* far keys: those whose shifted score stays 40 below the best key's guaranteed score
  carry total relative weight <= (count) e^-40, bounded en bloc;
* the mean-value form: ``|e(x)| <= |e(P)| + R sqrt(S_k S_v) + (normal term) + |f(x) - f(P)|``
  with ``grad h = sum_j w_j (k_j - a)(v_j - h) + a h w_T`` and Cauchy-Schwarz:
  ``S_k >= sum w_j |k_j - a|^2``, ``S_v >= sum w_j |v_j - h|^2`` (bounded through any
  fixed q by the variance inequality);
* the convex form: ``e(x) = sum_j w_j (v_j - f(x)) - w_T f(x)`` with weights summing to 1,
  so ``|e| <= max over significant keys of sup |v_j - f|`` plus the small weights.

The box bound is the smaller of the two. f is enclosed with arb (a sympy expression,
intersected with its mean-value form) or, for a plain callable, through a given
Lipschitz constant.
"""

from __future__ import annotations

import heapq
import math
import time
from dataclasses import dataclass, field

import numpy as np

from ._validate import check_dimension, check_positive
from .continuity import _box_to_balls, _face_boxes, _mean_value_enclosure, _split_box
from .harmonics import coordinate_expr, sphere_symbols

__all__ = ["Certificate", "certify_sup_error"]

_FAR_GAP = 40.0  # keys this far below the best (in shifted score) are bounded en bloc
_SIGNIFICANCE = (2.0, 4.0, 8.0, 16.0, _FAR_GAP)  # thresholds tried in the convex form


@dataclass
class Certificate:
    """Outcome of :func:`certify_sup_error`.

    Attributes
    ----------
    status : {"proved", "refuted", "undecided"}
    eps : float
    upper : float
        Rigorous upper bound of ``sup |head - f|`` over S^m (inf if none was reached).
    lower : float
        ``|head - f|`` at ``witness``, rigorously (the lower end of an arb ball).
    witness : ndarray
        The point (float64 coordinates of an exact point of S^m) where ``lower`` was attained.
    boxes, key_evaluations : int
        Work done: boxes enclosed, and key terms evaluated in ball arithmetic.
    precision : int
        Working precision in bits.
    seconds : float
    notes : list of str
    """

    status: str
    eps: float
    upper: float
    lower: float
    witness: np.ndarray | None
    boxes: int
    key_evaluations: int
    precision: int
    seconds: float
    notes: list = field(default_factory=list)

    @property
    def proved(self):
        return self.status == "proved"

    def __str__(self):
        verdict = {"proved": f"proved: sup |head - f| <= {self.upper:.4g} <= eps = {self.eps:g}",
                   "refuted": f"refuted: |head - f| >= {self.lower:.4g} > eps = {self.eps:g} at {self.witness}",
                   "undecided": f"undecided within the budget: {self.lower:.4g} <= sup |head - f| <= "
                                f"{self.upper:.4g}, eps = {self.eps:g}"}[self.status]
        return (f"{verdict} ({self.boxes} boxes, {self.key_evaluations} key evaluations, "
                f"{self.precision} bits, {self.seconds:.1f} s)")


def _upper(ball):
    """Upper end of |ball| as a float, inf when not finite or beyond float range."""
    if not ball.is_finite():
        return math.inf
    u = float(abs(ball).upper())
    return u if u < 1e300 else math.inf


def _norm(values):
    """Euclidean norm of nonnegative floats that may be inf, without overflow."""
    top = max(values, default=0.0)
    if top == 0.0 or math.isinf(top):
        return top
    return top * math.sqrt(sum((v / top) ** 2 for v in values))


class _Enclosures:
    """The head's prefix and the target, prepared for box enclosures."""

    def __init__(self, keys, biases, values, T, target, m, lipschitz):
        import flint

        self.flint = flint
        self.K = np.asarray(keys, float)
        self.b = np.asarray(biases, float)
        self.V = np.asarray(values, float).reshape(len(self.K), -1)
        self.T = float(T)
        self.m = m
        self.N = len(self.K)
        norms = np.linalg.norm(self.K, axis=1)
        self.lam = float(np.median(norms))
        # |v_j| and max |v| rounded up (a relative 1e-12 covers the float rounding of the norm)
        self.vnorm = np.linalg.norm(self.V, axis=1) * (1 + 1e-12)
        self.vmax = float(self.vnorm.max()) if self.N else 0.0
        self.kmax = float(norms.max()) * (1 + 1e-12) if self.N else 0.0
        self.d_out = self.V.shape[1]
        if isinstance(target, list):
            gens = sphere_symbols(m)
            self.f_enclose = [_mean_value_enclosure(coordinate_expr(e, m), gens) for e in target]
            self.f_callable, self.L = None, None
        else:
            self.f_enclose, self.f_callable, self.L = None, target, float(lipschitz)
        self.key_evaluations = 0

    # ------------------------------------------------------------------ pieces

    def _f_ball(self, P_balls, X_balls, P_float, R):
        """(f(P) balls, sup |f(x) - f(P)| over the box as a float upper bound, sup |f| over the box)."""
        arb = self.flint.arb
        if self.f_enclose is not None:
            fP = [enc(P_balls) for enc in self.f_enclose]
            fX = [enc(X_balls) for enc in self.f_enclose]
            var = _norm([_upper(x - p) for x, p in zip(fX, fP)])
            fmax = _norm([_upper(x) for x in fX])
            return fP, fX, var * (1 + 1e-12), fmax * (1 + 1e-12)
        # callable: evaluated in float64 at P, widened by L times the geodesic radius
        val = np.asarray(self.f_callable(P_float[None, :]), float).reshape(-1)
        geo = 2 * math.asin(min(1.0, R / 2)) * (1 + 1e-12)
        var = self.L * geo
        fP = [arb(float(v)) for v in val]
        fX = [arb(float(v), var) for v in val]
        fmax = float(np.linalg.norm(val)) + var
        return fP, fX, var, fmax

    def box(self, coords, P):
        """(upper bound of |head - f| over the box, rigorous lower bound of |e(P)|, P in float).

        ``coords`` enclose the box's points, ``P`` (tight balls) its exact centre point.
        """
        arb = self.flint.arb
        Pf = np.array([float(p.mid()) for p in P])
        rho = math.sqrt(sum(float(p.rad()) ** 2 for p in P)) * (1 + 1e-12)  # |P - Pf|
        R = _norm([_upper(x - p) for x, p in zip(coords, P)]) * (1 + 1e-12)
        a = self.lam * Pf  # the score shift (an exact binary vector)
        anorm = float(np.linalg.norm(a)) * (1 + 1e-12)
        # shifted scores <k_j - a, Pf> + b_j in float; the margin covers their rounding
        Ka = self.K - a
        d = np.linalg.norm(Ka, axis=1) * (1 + 1e-12) + 1e-15 * (self.kmax + anorm)
        s = Ka @ Pf + self.b
        err = 1e-12 * (1 + d + np.abs(self.b) + self.kmax + anorm)
        hi, lo = s + d * (R + rho) + err, s - d * (R + rho) - err  # over the ball |z - P| <= R
        S_lo = float(lo.max())
        near = np.flatnonzero(hi >= S_lo - _FAR_GAP)
        phi = arb(self.N - len(near)) * arb(-_FAR_GAP).exp()  # far weight relative to the near sum
        self.key_evaluations += len(near)
        # ------------------------------------------------------------- e(P) in arb, at the exact P
        aP = sum((arb(float(al)) * pl for al, pl in zip(a, P)), arb(0))
        Z, A = arb(0), [arb(0)] * self.d_out
        for j in near:
            sj = arb(float(self.b[j])) - aP - S_lo
            for l, pl in enumerate(P):
                sj += arb(float(self.K[j, l])) * pl
            w = sj.exp()
            Z += w
            A = [Ai + w * float(self.V[j, k]) for k, Ai in enumerate(A)]
        G = arb(0).union(phi * Z)  # far keys: weight in [0, phi Z], |value| <= vmax
        Tc = self.T * (-aP - S_lo).exp()
        hP = [(Ai + arb(0, 1) * G * self.vmax) / (Z + G + Tc) for Ai in A]
        fP, fX, f_var, fmax = self._f_ball(P, coords, Pf, R)
        eP = [h - fv for h, fv in zip(hP, fP)]
        eP_upper = _norm([_upper(e) for e in eP]) * (1 + 1e-12)
        eP_lower = _norm([max(0.0, float(abs(e).lower())) if e.is_finite() else 0.0 for e in eP]) * (1 - 1e-12)
        # ------------------------------------------------------------- weights over the box
        T_lo = self.T * (-aP - anorm * R - S_lo).exp()
        T_hi = self.T * (-aP + anorm * R - S_lo).exp()
        Dlo = sum(((arb(float(lo[j])) - S_lo).exp() for j in near), arb(0)) + T_lo
        wT = T_hi / (Dlo + T_hi) if self.T else arb(0)
        w_hi = [(arb(float(hi[j])) - S_lo).exp() / Dlo for j in near]
        # ------------------------------------------------------------- mean-value form
        q = np.array([float(h.mid()) for h in hP])
        dv2 = np.sum((self.V[near] - q) ** 2, axis=1) * (1 + 1e-12)
        qn = float(np.linalg.norm(q)) * (1 + 1e-12)
        S_k = sum((w * float(d[j] ** 2 * (1 + 1e-12)) for w, j in zip(w_hi, near)), arb(0))
        S_k += phi * (self.kmax + anorm) ** 2
        S_v = sum((w * float(v) for w, v in zip(w_hi, dv2)), arb(0)) + phi * (self.vmax + qn) ** 2
        S_v += wT * wT * self.vmax**2
        normal = anorm * (R * R / 2 + rho * R) * self.vmax * wT
        mean_value = _upper(eP_upper + R * (S_k * S_v).sqrt() + normal + f_var)
        # ------------------------------------------------------------- convex form
        Flo = np.array([float(x.lower()) for x in fX])
        Fhi = np.array([float(x.upper()) for x in fX])
        Vn = self.V[near]
        with np.errstate(over="ignore"):  # an unbounded enclosure of f gives inf, which is the right bound
            c = np.sqrt(np.sum(np.maximum(np.abs(Vn - Flo), np.abs(Vn - Fhi)) ** 2, axis=1)) * (1 + 1e-12)
        convex = math.inf
        for gap in _SIGNIFICANCE:
            sig = hi[near] >= S_lo - gap  # the best key is always significant
            minor = sum((w_hi[i] for i in np.flatnonzero(~sig)), arb(0))
            bound = (float(c[sig].max()) + minor * (float(c[~sig].max()) if (~sig).any() else 0.0)
                     + phi * (self.vmax + fmax) + wT * fmax)
            convex = min(convex, _upper(bound))
        return min(mean_value, convex), eP_lower, Pf


def certify_sup_error(approx, f, eps, m=None, prefix=None, context_tokens=None, lipschitz=None,
                      max_boxes=200000, max_seconds=300.0, tightness=1.5, prec=64, progress=None):
    """Prove (or refute) ``sup over S^m of |head(x) - f(x)| <= eps`` for a compiled head.

    Parameters
    ----------
    approx : Approximation, or UniversalHead with ``prefix=``
        The compiled head. Its matrices and prefix are read; nothing is rebuilt.
    f : sympy expression (or list), or callable
        The target. A callable needs ``lipschitz`` (a geodesic Lipschitz constant, used
        as given) and is evaluated in float64 at box centres.
    eps : float
        The tolerance to prove.
    m, prefix, context_tokens : optional
        For a bare UniversalHead: the sphere, the Prefix and the count T of content
        tokens (default: the Approximation's).
    max_boxes, max_seconds : budget
    tightness : float or None
        After the proof, keep refining until the bound is within this factor of the
        attained error (or the budget ends); None stops at the proof.
    prec : int
        Working precision (bits) of the ball arithmetic.

    Returns
    -------
    Certificate

    Examples
    --------
    >>> import sympy
    >>> import spherical_approx as sa
    >>> x0, x1 = sa.sphere_symbols(1)
    >>> approx = sa.approximate(x0 * x1, 1, 0.1, method="quadrature")
    >>> cert = certify_sup_error(approx, x0 * x1, 0.1)
    >>> cert.status, cert.upper <= 0.1, cert.upper <= 2 * cert.lower
    ('proved', True, True)
    """
    import flint

    from .constructions import Approximation, Target
    from .heads import UniversalHead

    t0 = time.perf_counter()
    eps = check_positive(eps, "eps")
    if isinstance(approx, Approximation):
        pre, m = approx.prefix_data, approx.m
        T = approx.context_tokens if context_tokens is None else context_tokens
    else:
        if prefix is None or m is None:
            raise ValueError("for a bare head pass m= and prefix= (or give an Approximation)")
        if not isinstance(approx, UniversalHead):
            raise TypeError(f"approx must be an Approximation or a UniversalHead, got {type(approx).__name__}")
        # only the prefix is read: the universal head's algebra is fixed (scores <x, k_i> + b_i,
        # content scores and values 0)
        pre, T = prefix, 0 if context_tokens is None else context_tokens
    m = check_dimension(m)
    if np.ndim(T) != 0:
        raise ValueError("certify_sup_error needs one content-token count T (a causal mask varies it per position)")
    target = Target(f, m)
    if target.exprs is None and lipschitz is None:
        raise ValueError("a callable target needs lipschitz=L (its geodesic Lipschitz constant), used as given")
    if target.d_out != pre.values.shape[1]:
        raise ValueError(f"f has {target.d_out} outputs but the head has {pre.values.shape[1]}")
    notes = []
    if target.exprs is None:
        notes.append("f is a callable: evaluated in float64 at box centres and widened by L times the radius")
    with flint.ctx.workprec(prec):
        enc = _Enclosures(pre.keys, pre.biases, pre.values, T,
                          target.exprs if target.exprs is not None else target.func, m, lipschitz)
        heap, counter, boxes = [], 0, 0
        best_lower, witness = 0.0, None

        def push(box):
            nonlocal counter, boxes, best_lower, witness
            axis, sign, lo, hi = box
            coords, _ = _box_to_balls(axis, sign, lo, hi)
            mid = (lo + hi) / 2
            centre, _ = _box_to_balls(axis, sign, mid, mid)  # the exact centre point, as tight balls
            up, low, point = enc.box(coords, centre)
            boxes += 1
            if low > best_lower:
                best_lower, witness = low, point
            counter += 1
            heapq.heappush(heap, (-up, counter, box))

        for box in _face_boxes(m):
            push(box)
        status = "undecided"
        while heap:
            top = -heap[0][0]
            if best_lower > eps:
                status = "refuted"
                break
            if top <= eps and (tightness is None or top <= tightness * best_lower):
                status = "proved"
                break
            if boxes >= max_boxes or time.perf_counter() - t0 > max_seconds:
                status = "proved" if top <= eps else "undecided"
                notes.append(f"budget reached ({boxes} boxes, {time.perf_counter() - t0:.0f} s)")
                break
            for half in _split_box(heapq.heappop(heap)[2]):
                push(half)
            if progress and boxes % 2000 < 2:
                progress(boxes, top, best_lower)
        upper = -heap[0][0] if heap else math.inf
    return Certificate(status, eps, upper, best_lower, witness, boxes, enc.key_evaluations, prec,
                       time.perf_counter() - t0, notes)
