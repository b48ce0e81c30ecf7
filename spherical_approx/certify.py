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
``<a, z>`` (the shift cancels in the softmax). The T content tokens are one more key
(k = 0, value 0, multiplicity T). Over the ball ``|z - P| <= R`` the shifted score moves
by at most ``|k_j - a| R``, which is ``lam |y_j - P| R``: small for the keys that matter, so
boxes may be far larger than ``1/lam``.

* far keys: those whose shifted score stays 40 below the best key's guaranteed score
  carry total relative weight <= (count) e^-40, bounded en bloc; the halves of a box
  only look at its near keys;
* the weights are bounded on the ball from the scores' ranges, with the denominator
  bounded below by Jensen's inequality around the weighted mean key;
* the mean-value form: ``|e(x)| <= |e(P)| + R sqrt(S_k S_v) + |f(x) - f(P)|`` with
  ``grad h = sum_j w_j (k_j - a)(v_j - h)`` and Cauchy-Schwarz;
* the Taylor form: ``|e(x)| <= |e(P)| + |f(x) - f(P) - G (x - P)| + R eps_G + R^2/2 sup |h''|``
  with G the gradient of the head at P, for f with partial derivatives;
* the third-order Taylor form: the Hessian H of the head at P in float with an error bound,
  ``|e(x)| <= |e(P)| + |f(x) - f(P) - G (x - P)| + R eps_G + R^2/2 (|H| + eps_H) + R^3/6 sup |h'''|``,
  the third derivative (a fourth cumulant) bounded by Cauchy-Schwarz;
* the convex form: ``e(x) = sum_j w_j (v_j - f(x))`` with weights summing to 1, so
  ``|e| <= max over significant keys of sup |v_j - f|`` plus the small weights.

The box bound is the smallest of the four. Sums over keys run in float64 with proven
outward margins (:mod:`spherical_approx._outward`: exp from arb tables, IEEE rounding
bounds); f and the box geometry are enclosed with arb (a sympy expression, intersected
with its mean-value form) or, for a plain callable, through a given Lipschitz constant.
"""

from __future__ import annotations

import functools
import heapq
import math
import time
import uuid
from dataclasses import dataclass, field

import numpy as np

from ._outward import U as _U
from ._outward import exp_bounds
from ._validate import check_dimension, check_int, check_positive
from .arith import get_backend
from .boxes import box_to_balls, face_boxes, mean_value_enclosure, split_box
from .rounding import head_rounding_bound, max_row_norm
from .targets import Target, coordinate_expr, sphere_symbols

__all__ = ["Certificate", "certify_sup_error"]

#: Largest flat array (floats) one enclosure call builds; bigger rounds are enclosed in parts.
_FLAT_LIMIT = 2**24
_FAR_GAP = 40.0  # keys this far below the best (in shifted score) are bounded en bloc
_SIGNIFICANCE = (2.0, 4.0, 8.0, 16.0, _FAR_GAP)  # thresholds tried in the convex form
_FORMS = ("mean_value", "taylor", "taylor3", "convex")  # the enclosure forms, in :attr:`_Enclosures.forms`


@dataclass
class Certificate:
    """Outcome of :func:`certify_sup_error`.

    Parameters
    ----------
    status : str
        "proved", "refuted" or "undecided".
    eps : float
        Target accuracy (sup error) > 0.
    upper : float
        Proven upper bound of the sup error.
    lower : float
        Error attained at ``witness``.
    witness : ndarray or None
        A point with error ``lower``.
    boxes : int
        Boxes processed.
    key_evaluations : int
        Key evaluations in the box bounds.
    precision : int
        Working precision in bits.
    seconds : float
        Wall time.
    notes : list of str
        Remarks.

    Attributes
    ----------
    status : {"proved", "refuted", "undecided"}
    eps : float
    upper : float
        Rigorous upper bound of ``sup |head - f|`` over S^m for the head as evaluated
        in float64 (the exact head's bound plus
        :func:`~spherical_approx.rounding.head_rounding_bound`; inf if none was reached).
    lower : float
        ``|head - f|`` at ``witness`` for the exact head, rigorously (the lower end of an
        arb ball).
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
        """True when the sup error is proved <= eps."""
        return self.status == "proved"

    def _repr_html_(self):
        from .records import html_table

        return html_table(f"Certificate: {self}", [("status", self.status), ("eps", self.eps),
                                                    ("proved upper bound", self.upper), ("attained", self.lower),
                                                    ("witness", self.witness), ("boxes", self.boxes),
                                                    ("precision (bits)", self.precision), ("seconds", self.seconds)])

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
    """The head's prefix and the target, prepared for box enclosures.

    The T content tokens (score 0, value 0) are one more key ``k = 0`` with value 0 and
    multiplicity T, so every formula treats them like prefix keys.
    """

    def __init__(self, keys, biases, values, T, target, m, lipschitz):
        import flint

        self.flint = flint
        K = np.asarray(keys, float)
        V = np.asarray(values, float).reshape(len(K), -1)
        norms = np.linalg.norm(K, axis=1)
        self.lam = float(np.median(norms)) if len(K) else 0.0
        self.K = np.vstack([K, np.zeros((1, K.shape[1]))])
        self.b = np.append(np.asarray(biases, float), 0.0)
        # h is linear in the values: values far from 1 in size are enclosed scaled by 2^scale (exact),
        # f with them, and the bounds scaled back, so products of weights and values stay normal
        top = max_row_norm(V)
        self.scale = 0 if top == 0 or 2.0**-60 <= top <= 2.0**60 else -math.frexp(top)[1]
        self.V = np.vstack([np.ldexp(V, self.scale), np.zeros((1, V.shape[1]))])
        self.mult = np.append(np.ones(len(K)), float(T))  # exact small integers
        self.m = m
        self.N = len(self.K)
        # max |v| and max |k| rounded up (a relative 1e-12 covers the float rounding of the norms)
        self.vmax = max_row_norm(self.V) * (1 + 1e-12)
        self.kmax = max_row_norm(K) * (1 + 1e-12) if len(K) else 0.0
        self.d_out = self.V.shape[1]
        if isinstance(target, list):
            gens = sphere_symbols(m)
            self.f_enclose = [mean_value_enclosure(coordinate_expr(e, m), gens) for e in target]
            self.f_callable, self.L = None, None
        else:
            self.f_enclose, self.f_callable, self.L = None, target, float(lipschitz)
        self.key_evaluations = 0
        self.underflows = 0  # boxes left without a bound because an operation underflowed
        self.e_far = float(exp_bounds(-_FAR_GAP)[1])  # an upper bound of e^-40

    # ------------------------------------------------------------------ pieces

    def _f_ball(self, P_balls, X_balls, P_float, R):
        """(f(P) balls, f over the box, sup |f(x) - f(P)| over the box, sup |f| over the box,
        f's partial derivatives over the box per output or None)."""
        arb = self.flint.arb
        if self.f_enclose is not None:
            fP = [enc(P_balls) for enc in self.f_enclose]
            fX, grads = zip(*(enc.with_gradient(X_balls) for enc in self.f_enclose))
            if self.scale:  # by an exact power of two, like the values
                two = arb(2) ** self.scale
                fP, fX = [x * two for x in fP], [x * two for x in fX]
                grads = [None if g is None else [x * two for x in g] for g in grads]
            var = _norm([_upper(x - p) for x, p in zip(fX, fP)])
            fmax = _norm([_upper(x) for x in fX])
            grads = None if any(g is None for g in grads) else grads
            return fP, fX, var * (1 + 1e-12), fmax * (1 + 1e-12), grads
        # callable: evaluated in float64 at P, widened by L times the geodesic radius
        with np.errstate(under="ignore"):  # the user's code, trusted as before (not part of the float proof)
            val = np.asarray(self.f_callable(P_float[None, :]), float).reshape(-1)
        geo = 2 * math.asin(min(1.0, R / 2)) * (1 + 1e-12)
        val, var = np.ldexp(val, self.scale), math.ldexp(self.L * geo * (1 + 1e-12), self.scale)
        fP = [arb(float(v)) for v in val]
        fX = [arb(float(v), var) for v in val]
        fmax = max_row_norm(val[None, :]) * (1 + 1e-12) + var
        return fP, fX, var, fmax, None

    def _f_linear_rest(self, grads, coords, P, C):
        """Upper bound of ``sup |f(x) - f(P) - C (x - P)|`` over the box (inf without partials).

        Mean value theorem on the segment P..x, which lies in the coordinate box
        (convex, holding both): per output, ``sum_i sup |d_i f - C_i| sup |x_i - P_i|``,
        with ``grads`` the partials' enclosures over that box (from :meth:`_f_ball`).
        """
        if grads is None:
            return math.inf
        arb = self.flint.arb
        rests = []
        for grad, row in zip(grads, C):
            total = arb(0)
            for g, c, x, p in zip(grad, row, coords, P):
                total += abs(g - float(c)) * abs(x - p)
            rests.append(_upper(total))
        return _norm(rests) * (1 + 1e-12)

    def box(self, coords, P, candidates=None):
        """Bounds over one box: :meth:`enclose` of one item."""
        return self.enclose([(coords, P, candidates)])[0]

    def enclose(self, items):
        """Bounds over boxes: for each ``(coords, P, candidates)`` the tuple (upper bound of
        ``|head - f|`` over the box, rigorous lower bound of ``|e(P)|``, P in float, the near keys).

        The float margins assume the relative rounding model, which gradual underflow breaks, so
        the float work runs with numpy's underflow flag raising: an enclosure in which any
        operation underflowed inexactly is discarded and its boxes are enclosed one by one; a box
        that underflows on its own gets no bound (upper inf), so the search splits it further or
        ends undecided (docs/theory/certify.rst, "Underflow").
        """
        before = self.key_evaluations
        try:
            with np.errstate(under="raise"):
                return self._enclose_flat(items)
        except FloatingPointError:
            self.key_evaluations = before  # counted per box below: the same total however boxes are batched
        if len(items) > 1:
            return self._merged([[item] for item in items])
        coords, P, candidates = items[0]
        self.underflows += 1
        self.forms = {name: np.array([math.inf]) for name in _FORMS}
        near = np.arange(self.N) if candidates is None else np.asarray(candidates)
        return [(math.inf, 0.0, np.array([float(p.mid()) for p in P]), near)]

    def _merged(self, parts):
        """:meth:`enclose` of each list of items in turn, the results and forms joined."""
        found, forms = [], []
        for part in parts:
            found += self.enclose(part)
            forms.append(self.forms)
        self.forms = {name: np.concatenate([f[name] for f in forms]) for name in _FORMS}
        return found

    def _enclose_flat(self, items):
        """:meth:`enclose` without the underflow guard: one flat numpy pass over all boxes.

        ``coords`` enclose the box's points, ``P`` (tight balls) its exact centre point.
        ``candidates``: the keys that may be near (a parent box's near keys, or None for all);
        every other key is known to be far on that box (docs/theory/certify.rst, "Far keys").
        Sums over keys run in float64 with the outward margins of :mod:`._outward`. The boxes'
        keys are laid end to end in one flat array, so each step is one numpy call for all
        boxes; every sum runs over one box's segment (``reduceat``), so a box's numbers do not
        depend on which other boxes share the call.
        """
        sizes = [self.N if c is None else len(c) for _, _, c in items]
        if len(items) > 1 and sum(sizes) * (self.m + 1) ** 2 * self.d_out > _FLAT_LIMIT:
            half = len(items) // 2  # memory: the Hessian terms hold (m+1)^2 d_out floats per key
            return self._merged([items[:half], items[half:]])
        arb = self.flint.arb
        B = len(items)
        Pf = np.array([[float(p.mid()) for p in P] for _, P, _ in items])
        rho = np.array([math.sqrt(sum(float(p.rad()) ** 2 for p in P)) for _, P, _ in items]) * (1 + 1e-12)
        R = np.array([_norm([_upper(x - p) for x, p in zip(coords, P)]) for coords, P, _ in items]) * (1 + 1e-12)
        a = self.lam * Pf  # the score shift, one per box
        anorm = np.sqrt(np.sum(a * a, axis=1)) * (1 + 1e-12)
        idx = np.concatenate([np.arange(self.N) if c is None else c for _, _, c in items])
        box_of = np.repeat(np.arange(B), sizes)
        # shifted scores <k_j - a, Pf> + b_j in float; the margin covers their rounding
        # np.take gathers rows 3-5x faster than fancy indexing (the same values)
        A = np.take(self.K, idx, axis=0) - np.take(a, box_of, axis=0)
        d = np.sqrt(np.sum(A * A, axis=1)) * (1 + 1e-12) + 1e-15 * (self.kmax + anorm[box_of])
        s = np.sum(A * np.take(Pf, box_of, axis=0), axis=1) + self.b[idx]
        # rounding of k - a, of the dot product with the bias (<= (m + 3) U (|k| + |a| + |b|) |Pf|)
        # and of the three additions that form lo, hi and the scores at P (<= 9 U (1 + d + |b|))
        err = 4 * (self.m + 4) * _U * (1 + d + np.abs(self.b[idx]) + self.kmax + anorm[box_of])
        reach = d * (R + rho)[box_of]
        hi, lo = s + reach + err, s - reach - err  # over the ball |z - P| <= R
        S_lo = np.maximum.reduceat(lo, _starts(box_of, B))
        keep = hi >= S_lo[box_of] - _FAR_GAP  # the best key is always kept: no box is left empty
        idx, box_of, A, s, d, err, hi = idx[keep], box_of[keep], np.compress(keep, A, axis=0), s[keep], d[keep], \
            err[keep], hi[keep]
        lo, reach = lo[keep], reach[keep]
        starts = _starts(box_of, B)
        n = np.diff(np.append(starts, len(idx)))  # near keys per box

        def total(x):
            """Per-box sums over the boxes' segments (floats; the callers add the margins)."""
            return np.add.reduceat(x, starts, axis=0)

        def upper_sum(x, width=1):
            """Upper bounds of per-box sums of nonnegative terms (``sum_upper`` per segment)."""
            factor = 1 + 4 * (n * width + 1) * _U
            return total(x) * (factor if x.ndim == 1 else factor[:, None])

        def lower_sum(x):
            """Lower bounds of per-box sums of nonnegative terms. A float sum that overflowed to inf
            is no lower bound, but its exact value exceeds 1e300, which is one."""
            return np.minimum(total(x) * (1 - 4 * (n + 1) * _U), 1e300)

        mu, V, S = self.mult[idx], np.take(self.V, idx, axis=0), S_lo[box_of]
        far_count = self.mult.sum() - total(mu)  # small integers: exact
        phi = far_count * self.e_far * (1 + 1e-12)  # far weight / near sum
        self.key_evaluations += len(idx)
        # two exponentials per key: at the float score e^(s - S), and e^-x with x the score's reach
        # over the box; e^(s - S -+ delta) at P and e^(s - S -+ x) on the box follow by products
        t = s - S
        delta = (2.0**-50 * (np.abs(s) + np.abs(S)) + d * rho[box_of] + err) * (1 + 1e-12)  # |exact - t| at P
        x = (reach + delta) * (1 + 1e-12)  # >= |exact score - S - t| anywhere on the ball
        K = len(idx)
        e_lo, e_hi = exp_bounds(np.concatenate([t, -x]))
        et_lo, et_hi, ex_lo = e_lo[:K], e_hi[:K], e_lo[K:]
        # e^-delta >= 1 - delta, e^delta <= 1 + 2 delta (delta <= 1/2; delta is about 1e-11), e^x = 1/e^-x;
        # the (at most four) roundings of each product, the multiplicity's included, are within 1 -+ 8U
        with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
            # tiny weight bounds are dropped (lower) or raised (upper) so that no product below
            # underflows on ordinary boxes (docs/theory/certify.rst, "Underflow")
            et_lo = np.where(et_lo >= _DROP, et_lo, 0.0)
            wP_lo = et_lo * np.maximum(0.0, 1 - delta) * mu * (1 - 8 * _U)
            wP_hi = np.where(delta <= 0.5, np.maximum(et_hi * (1 + 2 * delta) * mu * (1 + 8 * _U), _RAISE), np.inf)
            wB_lo = et_lo * np.where(ex_lo >= _DROP, ex_lo, 0.0) * mu * (1 - 8 * _U)
            wB_hi = et_hi / ex_lo * mu * (1 + 8 * _U)  # inf where e^-x underflows
        kfar, nd = self.kmax + anorm, self.d_out
        with np.errstate(invalid="ignore", divide="ignore", over="ignore"):  # inf/inf or 0/0: no bound
            # ------------------------------------------------------------- h(P) at the exact P
            # centred form h = q0 + sum w (v - q0) / sum w: the weights' uncertainty meets |v - q0| only
            ZP_lo, ZP_hi = lower_sum(wP_lo), upper_sum(wP_hi)
            with np.errstate(under="ignore"):  # q0 is any float vector: its own rounding does not matter
                q0 = total(wP_lo[:, None] * V) / total(wP_lo)[:, None]
            q0 = np.where(np.isfinite(q0) & (ZP_lo > 0)[:, None], q0, 0.0)  # any float vector will do
            Vc = V - np.take(q0, box_of, axis=0)  # rounding: |fl - (v - q0)| <= U |v - q0|, absorbed in slack below
            terms_lo = np.minimum(wP_lo[:, None] * Vc, wP_hi[:, None] * Vc)
            terms_hi = np.maximum(wP_lo[:, None] * Vc, wP_hi[:, None] * Vc)
            # signed sums: fl errs by <= gamma_n sum |terms| (and each product and difference by U)
            slack = 4 * (n + 4) * _U * upper_sum(wP_hi[:, None] * np.abs(Vc), nd).sum(axis=1) * (1 + 1e-12)
            # far keys: weight <= phi Z, |value - q0| <= vmax + |q0|
            far_v = phi * ZP_hi * (self.vmax + np.abs(q0).max(axis=1)) * (1 + 1e-12)
            num_lo = total(terms_lo) - (slack + far_v)[:, None]
            num_hi = total(terms_hi) + (slack + far_v)[:, None]
            D_lo, D_hi = ZP_lo * (1 - 1e-12), ZP_hi * (1 + phi) * (1 + 1e-12)
            r_lo = np.minimum(num_lo / D_lo[:, None], num_lo / D_hi[:, None])
            r_hi = np.maximum(num_hi / D_lo[:, None], num_hi / D_hi[:, None])
            known = np.isfinite(r_hi - r_lo)
            pad = 4 * _U * (np.abs(r_lo) + np.abs(r_hi)) + 1e-300  # the two divisions
            q = np.where(known, q0 + (r_lo + r_hi) / 2, 0.0)  # h(P) in float
        # ----------------------------------------------------------------- per box, in arb
        eP_upper, eP_lower, h_rad = np.empty(B), np.empty(B), np.empty(B)
        f_parts = []
        for i, (coords, P, _) in enumerate(items):
            hP = [arb(float(c0)) + arb((rl + rh) / 2, (rh - rl) / 2 + p) if ok else arb(0, math.inf)
                  for c0, rl, rh, p, ok in zip(q0[i], r_lo[i], r_hi[i], pad[i], known[i])]
            h_rad[i] = _norm([_upper(h - float(c)) for h, c in zip(hP, q[i])]) * (1 + 1e-12)  # |h(P) - q|
            fP, fX, f_var, fmax, f_grads = self._f_ball(P, coords, Pf[i], R[i])
            eP = [h - fv for h, fv in zip(hP, fP)]
            eP_upper[i] = _norm([_upper(e) for e in eP]) * (1 + 1e-12)
            eP_lower[i] = _norm([max(0.0, float(abs(e).lower())) if e.is_finite() else 0.0 for e in eP]) * (1 - 1e-12)
            f_parts.append((fX, f_var, fmax, f_grads))
        f_var = np.array([part[1] for part in f_parts])
        fmax = np.array([part[2] for part in f_parts])
        with np.errstate(invalid="ignore", over="ignore", divide="ignore"):
            # --------------------------------------------------------- weights over the box
            # the denominator Z(z) on the ball, from below: each key at its lowest, or by Jensen
            # Z(z) >= Z(P) exp(<kbar - a, z - P>) >= Z(P) exp(-slope R), kbar the weighted mean key at P
            D_mid = ((D_lo + D_hi) / 2)[box_of]
            wq_mid = np.where(np.isfinite(D_mid), np.maximum((wP_lo + wP_hi) / 2, D_mid * _RATIO) / D_mid, 0.0)
            wP_up = _ratio_upper(wP_hi, D_lo[box_of])  # >= omega_j(P) >= _ratio_lower(wP_lo, D_hi)
            dw = (wP_up - _ratio_lower(wP_lo, D_hi[box_of])) * (1 + 1e-12)
            kbar = total(A * wq_mid[:, None])
            slope = (np.sqrt(np.sum(kbar * kbar, axis=1)) * (1 + 1e-12) + upper_sum(dw * d)
                     + 4 * (n + 4) * _U * upper_sum(wq_mid * d) + phi * kfar) * (1 + 1e-12)
            jensen = ZP_lo * np.fmax(0.0, 1 - slope * R * (1 + 1e-12)) * (1 - 1e-12)  # e^-x >= 1 - x (nan: 0)
            Dlo = np.fmax(lower_sum(wB_lo) * (1 - 1e-12), jensen)  # a nan Jensen bound is not used
            w_hi = _ratio_upper(wB_hi, Dlo[box_of]) * (1 + 1e-12)  # omega_j <= w_hi_j everywhere on the ball
            Vq = V - np.take(q, box_of, axis=0)
            vq = np.sqrt(np.sum(Vq * Vq, axis=1)) * (1 + 1e-12)  # |v_j - q|
            qnorm = np.sqrt(np.sum(q * q, axis=1))
            S_1 = upper_sum(w_hi * d) + phi * kfar
            S_2 = upper_sum(w_hi * d**2) + phi * kfar**2
            d2 = d * d
            S_4 = upper_sum(w_hi * d2 * d2) + phi * kfar**4
            S_6 = upper_sum(w_hi * d2 * d2 * d2) + phi * kfar**6
            S_v = upper_sum(w_hi * vq**2) + phi * (self.vmax + qnorm) ** 2
            # ----------------------------------------------------------- mean-value form
            mean_value = (eP_upper + R * np.sqrt(S_2 * S_v) + f_var) * (1 + 1e-12)
            # ----------------------------------------------------------- Taylor form
            # G = grad h(P) in float, and a bound of |grad h(P) - G| (weights known to ~1e-9)
            G = total(A[:, :, None] * (wq_mid[:, None] * Vq)[:, None, :])  # (boxes, m+1, d_out)
            # grad h(P) - G = sum (omega - w~) A (v - h) + sum w~ A (q - h) + far keys, |v - h| <= vq + h_rad
            G_err = (upper_sum(dw * d * vq) + 2 * upper_sum(wP_up * d) * h_rad
                     + 4 * (n + 4) * _U * upper_sum(wq_mid * d * vq) * 2
                     + phi * kfar * (self.vmax + qnorm + h_rad)) * (1 + 1e-12)
            second = (np.sqrt(S_4) + 2 * S_1 * np.sqrt(S_2)) * np.sqrt(S_v)
            # G's radial part is free: x - P is nearly tangent (<x - P, P> = -|x - P|^2 / 2 on the
            # sphere), so G + Pf c^T with c the radial slope f has and G lacks costs only
            # |c| (R^2/2 + rho R) and spares f_rest a first-order radial mismatch
            # (G + Pf c^T is formed in float: its rounding, at most 3U (|G| + |c| |Pf|) in norm, times R)
            G_norm = np.sqrt(np.sum(G * G, axis=(1, 2))) * (1 + 1e-12)
            f_rest, radial = np.full(B, math.inf), np.zeros(B)
            for i, ((coords, P, _), part) in enumerate(zip(items, f_parts)):
                if part[3] is None:
                    continue
                slopes = np.array([[float(g.mid()) for g in grad] for grad in part[3]])  # (d_out, m+1)
                c_rad = (slopes - G[i].T) @ Pf[i]
                radial[i] = float(np.sqrt(c_rad @ c_rad)) * (1 + 1e-12)
                f_rest[i] = self._f_linear_rest(part[3], coords, P, G[i].T + np.outer(c_rad, Pf[i]))
            f_rest = f_rest + radial * (R * R / 2 + rho * R) + 3 * _U * (G_norm + 1.01 * radial) * R
            taylor = (eP_upper + R * G_err + f_rest + R * R / 2 * second) * (1 + 1e-12)
            # ------------------------------------------------------ third-order Taylor form
            # H = the Hessian of h at P in float (without the (kbar - a) G terms, which go to its
            # error bound with slope >= |kbar - a|), then a third-derivative bound on the ball
            row, col = np.triu_indices(self.m + 1)  # H is symmetric: its upper triangle
            H = total((A[:, row] * A[:, col])[:, :, None] * (wq_mid[:, None] * Vq)[:, None, :])  # (boxes, pairs, d)
            twice = np.where(row == col, 1.0, 2.0)[None, :, None]  # off-diagonal entries count twice
            H_norm = np.sqrt(np.sum(twice * H * H, axis=(1, 2))) * (1 + 1e-12)
            H_err = (upper_sum(dw * d2 * vq) + 2 * upper_sum(wP_up * d2) * h_rad
                     + 4 * (n + 8) * _U * upper_sum(wq_mid * d2 * vq) * 2
                     + phi * kfar**2 * (self.vmax + qnorm + h_rad) + 2 * slope * (G_norm + G_err)) * (1 + 1e-12)
            tilt = np.fmin(S_1, slope + R * S_2)  # >= |kbar(z) - a| on the ball
            third = (((S_6 ** (1 / 6)) * (1 + 1e-12) + tilt) ** 3 + 3 * S_2 * np.sqrt(S_2)) * np.sqrt(S_v)
            taylor3 = (eP_upper + R * G_err + f_rest + R * R / 2 * (H_norm + H_err)
                       + R**3 / 6 * third) * (1 + 1e-12)
            # ----------------------------------------------------------- convex form
            # float() rounds an endpoint to nearest: one ulp outward keeps it an end (|f| may be large)
            Flo = np.nextafter([[float(x.lower()) for x in part[0]] for part in f_parts], -np.inf)
            Fhi = np.nextafter([[float(x.upper()) for x in part[0]] for part in f_parts], np.inf)
            gap_v = np.maximum(np.abs(V - np.take(Flo, box_of, axis=0)), np.abs(V - np.take(Fhi, box_of, axis=0)))
            c = np.sqrt(np.sum(gap_v * gap_v, axis=1)) * (1 + 1e-12) + 1e-15  # > 0: 0 is neutral in maxima
            convex = np.full(B, math.inf)
            for gap in _SIGNIFICANCE:
                sig = hi >= S - gap  # the best key is always significant
                minor = upper_sum(np.where(sig, 0.0, w_hi))
                c_sig = np.maximum.reduceat(np.where(sig, c, 0.0), starts)
                c_minor = np.maximum.reduceat(np.where(sig, 0.0, c), starts)
                bound = (c_sig + minor * c_minor + phi * (self.vmax + fmax)) * (1 + 1e-12)
                convex = np.minimum(convex, np.where(np.isnan(bound), math.inf, bound))
        # each form's bounds, kept for the tests (every one of them must hold on its own)
        forms = (mean_value, taylor, taylor3, convex)
        if self.scale:  # back to the head's units: exact, except a subnormal result errs by <= 2^-1075
            tiny = 2.0**-1074
            with np.errstate(over="ignore", under="ignore"):
                forms = [np.ldexp(b, -self.scale) + tiny for b in forms]
                eP_lower = np.maximum(np.ldexp(eP_lower, -self.scale) - tiny, 0.0)
            mean_value, taylor, taylor3, convex = forms
        self.forms = dict(zip(_FORMS, forms))

        near = np.split(idx, starts[1:])
        found = []
        for i in range(B):
            # a form that gave nan (inf times 0 on a huge box) gives no bound; the others still count
            upper = min((float(b) for b in (mean_value[i], taylor[i], taylor3[i], convex[i]) if b >= 0),
                        default=math.inf)
            found.append((upper, float(eP_lower[i]), Pf[i], near[i]))
        return found


#: Weight bounds below _DROP count as 0 (lower bounds) and upper bounds are at least _RAISE; weight
#: bounds divided by a sum are at least _RATIO: so products of them with the keys' and values' float
#: data stay above the normal range's bottom, 2^-1022, on every ordinary box.
_DROP, _RAISE, _RATIO = 2.0**-150, 2.0**-300, 2.0**-600


def _ratio_upper(w, D):
    """``w / D`` (w >= 0, D > 0 float arrays) rounded, raised to at least 2^-600 so that no result
    underflows (``D 2^-600`` is exact for ``D >= 2^-422``). An upper bound of the quotient up to its
    one rounding, which the callers' denominators cover (their margin is 1e-12 relative)."""
    return np.maximum(w, D * _RATIO) / D


def _ratio_lower(w, D):
    """``w / D`` rounded where it is at least about 2^-600, else 0 (no underflow): a lower bound of
    the quotient up to one rounding, covered like :func:`_ratio_upper`'s."""
    return np.divide(w, D, out=np.zeros_like(w), where=w >= D * _RATIO)


def _starts(box_of, count):
    """Where each box's segment begins in a flat array sorted by box (every box has one key at least)."""
    return np.searchsorted(box_of, np.arange(count))


#: Boxes split per round of the search (their halves are enclosed together).
BATCH = 64
#: Tasks a round is cut into on an executor (a fixed number: the results never depend on the workers).
CHUNKS = 4


@dataclass(frozen=True, eq=False)
class _Spec:
    """What a worker needs to enclose boxes: the prefix, the content count, the target, the precision."""

    keys: np.ndarray
    biases: np.ndarray
    values: np.ndarray
    T: int
    target: object  # a list of sympy expressions, or a callable
    m: int
    lipschitz: float | None
    dps: int
    #: names this search for the workers' cache (one per call of certify_sup_error)
    token: str = field(default_factory=lambda: uuid.uuid4().hex)

    def enclosures(self):
        return _Enclosures(self.keys, self.biases, self.values, self.T, self.target, self.m, self.lipschitz)


_WORKER_ENCLOSURES = {}  # token -> _Enclosures, built once per search in each worker process


def _flat_indices(arrays):
    """Index arrays (ascending int32, or None for all keys) as (sizes, one int32 array): what travels
    to and from workers. One array per chunk instead of one per box: pickling small arrays one by
    one cost the parent 5 ms a round (128 boxes)."""
    sizes = np.array([-1 if a is None else len(a) for a in arrays], dtype=np.int64)
    flat = [a for a in arrays if a is not None]
    return sizes, (np.concatenate(flat).astype(np.int32, copy=False) if flat else np.zeros(0, np.int32))


def _split_indices(sizes, flat):
    """The arrays :func:`_flat_indices` was given (int32; None where the size is -1)."""
    parts = np.split(flat, np.cumsum(np.maximum(sizes, 0))[:-1])
    return [None if size < 0 else part for size, part in zip(sizes.tolist(), parts)]


def _encode_boxes(items):
    """(box, candidates) pairs as a few arrays: faces (axis, sign), lo, hi and the candidates."""
    faces = np.array([(axis, sign) for (axis, sign, _, _), _ in items], dtype=np.int64)
    lo = np.array([box[2] for box, _ in items])
    hi = np.array([box[3] for box, _ in items])
    return faces, lo, hi, _flat_indices([candidates for _, candidates in items])


def _decode_boxes(faces, lo, hi, candidates):
    return [((axis, sign, l, h), c)
            for (axis, sign), l, h, c in zip(faces.tolist(), lo, hi, _split_indices(*candidates))]


def _encode_found(found):
    """Enclosure results (upper, lower, point, near keys) as arrays, like :func:`_encode_boxes`."""
    return (np.array([f[0] for f in found]), np.array([f[1] for f in found]), np.array([f[2] for f in found]),
            _flat_indices([f[3] for f in found]))


def _decode_found(upper, lower, points, near):
    return list(zip(upper.tolist(), lower.tolist(), points, _split_indices(*near)))


_MISSING = "spec missing"  # a worker's answer to a task without the spec it has not seen yet


def _enclose_chunk(token, spec, items):
    """Enclose (box, candidates) pairs (:func:`_encode_boxes`) in a worker: (the results as
    :func:`_encode_found` gives them, key evaluations, boxes lost to underflow), or
    :data:`_MISSING` when ``spec`` is None and this worker has not built the search ``token``'s
    enclosures (the caller sends it again with the spec: the prefix then travels once per worker,
    not with every task)."""
    if token not in _WORKER_ENCLOSURES:
        if spec is None:
            return _MISSING
        _WORKER_ENCLOSURES.clear()  # one search at a time per worker
        _WORKER_ENCLOSURES[token] = spec.enclosures(), spec.dps
    enc, dps = _WORKER_ENCLOSURES[token]
    with get_backend("arb", dps).local():
        found, evaluated, underflows = _enclose_local(enc, _decode_boxes(*items))
    return _encode_found(found), evaluated, underflows


@functools.lru_cache(maxsize=1)
def _blas_controller():
    """threadpoolctl's view of the loaded BLAS libraries, built once per process (building it
    reads the process's library map: 1.5 ms, too much to repeat every round)."""
    from threadpoolctl import ThreadpoolController

    return ThreadpoolController()


def _enclose_local(enc, items):
    """Enclose (box, candidates) pairs here: (found, key evaluations, boxes lost to underflow)."""
    before, underflows = enc.key_evaluations, enc.underflows
    balls = []
    for (axis, sign, lo, hi), candidates in items:
        coords, _ = box_to_balls(axis, sign, lo, hi)
        mid = (lo + hi) / 2
        centre, _ = box_to_balls(axis, sign, mid, mid)  # the exact centre point, as tight balls
        balls.append((coords, centre, candidates))
    # one BLAS thread, here and in every worker: the float sums (and so the certificate) are the same
    # whether or not the boxes are spread over processes, and parallel workers do not oversubscribe
    with _blas_controller().limit(limits=1, user_api="blas"):
        found = enc.enclose(balls) if balls else []
    return found, enc.key_evaluations - before, enc.underflows - underflows


def _enclose_boxes(spec, enc, items, executor, with_spec=True):
    """Enclosures of the boxes ``items`` in order, here or on the executor (same numbers either way).
    ``with_spec=False`` sends the executor's tasks the search's token only (its workers have had the
    spec); a worker that lacks it answers :data:`_MISSING` and its task is sent again with the spec."""
    if executor is None or len(items) < 2:
        return _enclose_local(enc, items)
    size = -(-len(items) // CHUNKS)
    chunks = [_encode_boxes(items[i:i + size]) for i in range(0, len(items), size)]
    futures = [executor.submit(_enclose_chunk, spec.token, spec if with_spec else None, chunk) for chunk in chunks]
    found, evaluated, underflows = [], 0, 0
    for future, chunk in zip(futures, chunks):
        answer = future.result()
        if isinstance(answer, str):  # _MISSING
            answer = executor.submit(_enclose_chunk, spec.token, spec, chunk).result()
        part, count, lost = answer
        found += _decode_found(*part)
        evaluated, underflows = evaluated + count, underflows + lost
    return found, evaluated, underflows


def certify_sup_error(approx, f, eps, m=None, prefix=None, context_tokens=None, lipschitz=None,
                      max_boxes=2_000_000, max_seconds=300.0, tightness=1.5, dps=9, progress=None,
                      executor=None, batch=BATCH):
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
    dps : int
        Working digits of the ball arithmetic (the default 9 is 64 bits, see
        :func:`spherical_approx.arith.dps_to_bits`).
    lipschitz : float
        Geodesic Lipschitz constant of the target.
    progress : callable, optional
        ``progress(boxes, upper, lower)`` is called as the search goes.
    executor : concurrent.futures.Executor, optional
        Encloses each round's boxes on the executor's workers (a process pool, or
        ``dask.distributed.Client.get_executor()``); a callable target must then be
        picklable. The search is the same with or without it, so is the certificate
        (bit for bit), except where ``max_seconds`` ends it.
    batch : int
        Boxes split per round: the ``batch`` boxes with the largest upper bounds are
        halved and their halves enclosed together (on the executor, in
        :data:`CHUNKS` tasks).

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

    from .constructions import Approximation
    from .heads import UniversalHead

    t0 = time.perf_counter()
    eps = check_positive(eps, "eps")
    if isinstance(approx, Approximation):
        pre, m = approx.prefix, approx.m
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
    T = check_int(T, "context_tokens")
    if max_boxes is not None:
        check_int(max_boxes, "max_boxes", minimum=1)
    check_positive(max_seconds, "max_seconds")
    backend = get_backend("arb", check_int(dps, "dps", minimum=2))
    if tightness is not None and check_positive(tightness, "tightness") < 1:
        raise ValueError(f"tightness must be >= 1 (a factor over the attained error), got {tightness}")
    target = Target(f, m)
    if target.exprs is None and lipschitz is None:
        raise ValueError("a callable target needs lipschitz=L (its geodesic Lipschitz constant), used as given")
    if lipschitz is not None:
        lipschitz = check_positive(lipschitz, "lipschitz")
    if target.d_out != pre.values.shape[1]:
        raise ValueError(f"f has {target.d_out} outputs but the head has {pre.values.shape[1]}")
    # the boxes bound the exact head; the float64 head (as Approximation evaluates it, truncated
    # path included) differs from it by at most this
    rounding = approx.evaluation_allowance(T) if isinstance(approx, Approximation) else head_rounding_bound(pre, T)
    notes = []
    if target.exprs is None:
        notes.append("f is a callable: evaluated in float64 at box centres and widened by L times the radius")
    batch = check_int(batch, "batch", minimum=1)
    spec = _Spec(pre.keys, pre.biases, pre.values, T, target.exprs if target.exprs is not None else target.func, m,
                 lipschitz, backend.dps)
    with backend.local():
        enc = spec.enclosures()
        heap, counter, boxes, key_evaluations, underflows = [], 0, 0, 0, 0
        spec_sent = False  # the prefix goes to the workers with the first round only
        best_lower, witness = 0.0, None

        def push_all(items):
            """Enclose (box, candidates) pairs, on the executor when there is one, and push them."""
            nonlocal counter, boxes, best_lower, witness, key_evaluations, underflows, spec_sent
            found, evaluated, lost = _enclose_boxes(spec, enc, items, executor, with_spec=not spec_sent)
            spec_sent = True
            key_evaluations, underflows = key_evaluations + evaluated, underflows + lost
            for (box, candidates), (up, low, point, near) in zip(items, found):
                boxes += 1
                if low > best_lower:
                    best_lower, witness = low, point
                counter += 1
                # the halves of this box only need its near keys as candidates; any superset will
                # do, so a box keeps its parent's array unless its own is much smaller (memory)
                if candidates is None or len(near) < 0.7 * len(candidates):
                    candidates = near.astype(np.int32)
                heapq.heappush(heap, (-up, counter, box, candidates))

        push_all([(box, None) for box in face_boxes(m)])
        status = "undecided"
        reported = 0
        while heap:
            top = -heap[0][0] + rounding
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
            parents = [heapq.heappop(heap) for _ in range(min(batch, len(heap)))]
            push_all([(half, near) for _, _, parent, near in parents for half in split_box(parent)])
            if progress and boxes - reported >= 2000:
                reported = boxes
                progress(boxes, top, best_lower)
        upper = -heap[0][0] + rounding if heap else math.inf
    if underflows:
        notes.append(f"{underflows} boxes got no bound: a float operation in their enclosure underflowed")
    notes.append(f"upper includes the float64 evaluation's allowance {rounding:.2e} (rounding, truncation)")
    return Certificate(status, eps, upper, best_lower, witness, boxes, key_evaluations, backend.bits,
                       time.perf_counter() - t0, notes)
