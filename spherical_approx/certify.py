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
* the convex form: ``e(x) = sum_j w_j (v_j - f(x))`` with weights summing to 1, so
  ``|e| <= max over significant keys of sup |v_j - f|`` plus the small weights.

The box bound is the smallest of the three. Sums over keys run in float64 with proven
outward margins (:mod:`spherical_approx._outward`: exp from arb tables, IEEE rounding
bounds); f and the box geometry are enclosed with arb (a sympy expression, intersected
with its mean-value form) or, for a plain callable, through a given Lipschitz constant.
"""

from __future__ import annotations

import heapq
import math
import time
import uuid
from dataclasses import dataclass, field

import numpy as np

from ._outward import U as _U
from ._outward import exp_bounds, minus_bounds, sum_lower, sum_upper
from ._validate import check_dimension, check_int, check_positive
from .arith import get_backend
from .boxes import box_to_balls, face_boxes, mean_value_enclosure, split_box
from .rounding import head_rounding_bound
from .targets import Target, coordinate_expr, sphere_symbols

__all__ = ["Certificate", "certify_sup_error"]

_FAR_GAP = 40.0  # keys this far below the best (in shifted score) are bounded en bloc
_SIGNIFICANCE = (2.0, 4.0, 8.0, 16.0, _FAR_GAP)  # thresholds tried in the convex form


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
        self.V = np.vstack([V, np.zeros((1, V.shape[1]))])
        self.mult = np.append(np.ones(len(K)), float(T))  # exact small integers
        self.m = m
        self.N = len(self.K)
        # max |v| and max |k| rounded up (a relative 1e-12 covers the float rounding of the norms)
        self.vmax = float(np.linalg.norm(self.V, axis=1).max()) * (1 + 1e-12)
        self.kmax = float(norms.max()) * (1 + 1e-12) if len(K) else 0.0
        self.d_out = self.V.shape[1]
        if isinstance(target, list):
            gens = sphere_symbols(m)
            self.f_enclose = [mean_value_enclosure(coordinate_expr(e, m), gens) for e in target]
            self.f_callable, self.L = None, None
        else:
            self.f_enclose, self.f_callable, self.L = None, target, float(lipschitz)
        self.key_evaluations = 0
        self.e_far = float(exp_bounds(-_FAR_GAP)[1])  # an upper bound of e^-40

    # ------------------------------------------------------------------ pieces

    def _f_ball(self, P_balls, X_balls, P_float, R):
        """(f(P) balls, f over the box, sup |f(x) - f(P)| over the box, sup |f| over the box,
        f's partial derivatives over the box per output or None)."""
        arb = self.flint.arb
        if self.f_enclose is not None:
            fP = [enc(P_balls) for enc in self.f_enclose]
            fX, grads = zip(*(enc.with_gradient(X_balls) for enc in self.f_enclose))
            var = _norm([_upper(x - p) for x, p in zip(fX, fP)])
            fmax = _norm([_upper(x) for x in fX])
            grads = None if any(g is None for g in grads) else grads
            return fP, fX, var * (1 + 1e-12), fmax * (1 + 1e-12), grads
        # callable: evaluated in float64 at P, widened by L times the geodesic radius
        val = np.asarray(self.f_callable(P_float[None, :]), float).reshape(-1)
        geo = 2 * math.asin(min(1.0, R / 2)) * (1 + 1e-12)
        var = self.L * geo
        fP = [arb(float(v)) for v in val]
        fX = [arb(float(v), var) for v in val]
        fmax = float(np.linalg.norm(val)) + var
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
        """Bounds over one box: (upper bound of ``|head - f|``, rigorous lower bound of ``|e(P)|``,
        P in float, the near keys).

        ``coords`` enclose the box's points, ``P`` (tight balls) its exact centre point.
        ``candidates``: the keys that may be near (a parent box's near keys); every other
        key is known to be far on this box (docs/theory/certify.rst, "Far keys").
        Sums over keys run in float64 with the outward margins of :mod:`._outward`.
        """
        arb = self.flint.arb
        Pf = np.array([float(p.mid()) for p in P])
        rho = math.sqrt(sum(float(p.rad()) ** 2 for p in P)) * (1 + 1e-12)  # |P - Pf|
        R = _norm([_upper(x - p) for x, p in zip(coords, P)]) * (1 + 1e-12)
        a = self.lam * Pf  # the score shift
        anorm = float(np.linalg.norm(a)) * (1 + 1e-12)
        idx = np.arange(self.N) if candidates is None else candidates
        # shifted scores <k_j - a, Pf> + b_j in float; the margin covers their rounding
        A = self.K[idx] - a
        d = np.linalg.norm(A, axis=1) * (1 + 1e-12) + 1e-15 * (self.kmax + anorm)
        s = A @ Pf + self.b[idx]
        # rounding of k - a, of the dot product with the bias (<= (m + 3) U (|k| + |a| + |b|) |Pf|)
        # and of the three additions that form lo, hi and the scores at P (<= 9 U (1 + d + |b|))
        err = 4 * (self.m + 4) * _U * (1 + d + np.abs(self.b[idx]) + self.kmax + anorm)
        hi, lo = s + d * (R + rho) + err, s - d * (R + rho) - err  # over the ball |z - P| <= R
        S_lo = float(lo.max())
        keep = hi >= S_lo - _FAR_GAP
        near, far_count = idx[keep], float(self.mult.sum() - self.mult[idx[keep]].sum())
        A, s, d, err, hi, lo = A[keep], s[keep], d[keep], err[keep], hi[keep], lo[keep]
        mu, V, n = self.mult[near], self.V[near], len(near)
        phi = far_count * self.e_far * (1 + 1e-12)  # far weight / near sum
        self.key_evaluations += n
        # one call for all exponentials: at P (scores +- d rho), over the box (lo, hi)
        args = np.concatenate([minus_bounds(s - d * rho - err, S_lo)[0], minus_bounds(s + d * rho + err, S_lo)[1],
                               minus_bounds(lo, S_lo)[0], minus_bounds(hi, S_lo)[1]])
        e_lo, e_hi = exp_bounds(args)
        # a product with an integer multiplicity rounds once: 1 -+ 4U covers it
        wP_lo, wP_hi = e_lo[:n] * mu * (1 - 4 * _U), e_hi[n : 2 * n] * mu * (1 + 4 * _U)
        wB_lo, wB_hi = e_lo[2 * n : 3 * n] * mu * (1 - 4 * _U), e_hi[3 * n :] * mu * (1 + 4 * _U)
        # ------------------------------------------------------------- h(P) at the exact P
        # centred form h = q0 + sum w (v - q0) / sum w: the weights' uncertainty meets |v - q0| only
        ZP_lo, ZP_hi = sum_lower(wP_lo), sum_upper(wP_hi)
        with np.errstate(invalid="ignore", over="ignore"):
            q0 = (wP_lo @ V) / wP_lo.sum() if ZP_lo > 0 else np.zeros(self.d_out)
        q0 = np.where(np.isfinite(q0), q0, 0.0)  # any float vector will do
        Vc = V - q0  # rounding: |fl - (v - q0)| <= U |v - q0|, absorbed in slack below
        with np.errstate(invalid="ignore"):
            terms_lo = np.minimum(wP_lo[:, None] * Vc, wP_hi[:, None] * Vc)
            terms_hi = np.maximum(wP_lo[:, None] * Vc, wP_hi[:, None] * Vc)
        # signed sums: fl errs by <= gamma_n sum |terms| (and each product and difference by U)
        slack = 4 * (n + 4) * _U * sum_upper(wP_hi[:, None] * np.abs(Vc))
        # far keys: weight <= phi Z, |value - q0| <= vmax + |q0|
        far_v = phi * ZP_hi * (self.vmax + float(np.abs(q0).max())) * (1 + 1e-12)
        num_lo = terms_lo.sum(axis=0) - slack - far_v
        num_hi = terms_hi.sum(axis=0) + slack + far_v
        D_lo, D_hi = ZP_lo * (1 - 1e-12), ZP_hi * (1 + phi) * (1 + 1e-12)
        hP, h_float = [], []
        for c0, lo_k, hi_k in zip(q0, num_lo, num_hi):
            with np.errstate(invalid="ignore", divide="ignore", over="ignore"):  # inf/inf: no bound
                r_lo, r_hi = min(lo_k / D_lo, lo_k / D_hi), max(hi_k / D_lo, hi_k / D_hi)
            if not math.isfinite(r_hi - r_lo):
                hP.append(arb(0, math.inf))
                h_float.append(0.0)
                continue
            pad = 4 * _U * (abs(r_lo) + abs(r_hi)) + 1e-300  # the two divisions
            hP.append(arb(float(c0)) + arb((r_lo + r_hi) / 2, (r_hi - r_lo) / 2 + pad))
            h_float.append(float(c0) + (r_lo + r_hi) / 2)
        q = np.array(h_float)
        h_rad = _norm([_upper(h - float(c)) for h, c in zip(hP, q)]) * (1 + 1e-12)  # |h(P) - q|
        fP, fX, f_var, fmax, f_grads = self._f_ball(P, coords, Pf, R)
        eP = [h - fv for h, fv in zip(hP, fP)]
        eP_upper = _norm([_upper(e) for e in eP]) * (1 + 1e-12)
        eP_lower = _norm([max(0.0, float(abs(e).lower())) if e.is_finite() else 0.0 for e in eP]) * (1 - 1e-12)
        with np.errstate(invalid="ignore", over="ignore", divide="ignore"):
            # --------------------------------------------------------- weights over the box
            # the denominator Z(z) on the ball, from below: each key at its lowest, or by Jensen
            # Z(z) >= Z(P) exp(<kbar - a, z - P>) >= Z(P) exp(-slope R), kbar the weighted mean key at P
            wq_mid = (wP_lo + wP_hi) / 2 / ((D_lo + D_hi) / 2)
            dw = (wP_hi / D_lo - wP_lo / D_hi) * (1 + 1e-12)
            slope = (float(np.linalg.norm(A.T @ wq_mid)) * (1 + 1e-12) + sum_upper(dw * d)
                 + 4 * (n + 4) * _U * sum_upper(wq_mid * d) + phi * (self.kmax + anorm)) * (1 + 1e-12)
            jensen = ZP_lo * max(0.0, 1 - slope * R * (1 + 1e-12)) * (1 - 1e-12)  # e^-x >= 1 - x
            Dlo = max(sum_lower(wB_lo) * (1 - 1e-12), jensen)
            w_hi = wB_hi / Dlo * (1 + 1e-12)  # omega_j <= w_hi_j everywhere on the ball
            vq = np.sqrt(np.sum((V - q) ** 2, axis=1)) * (1 + 1e-12)  # |v_j - q|
            S_1 = sum_upper(w_hi * d) + phi * (self.kmax + anorm)
            S_2 = sum_upper(w_hi * d**2) + phi * (self.kmax + anorm) ** 2
            S_4 = sum_upper(w_hi * d**4) + phi * (self.kmax + anorm) ** 4
            S_v = sum_upper(w_hi * vq**2) + phi * (self.vmax + float(np.linalg.norm(q))) ** 2
            # ----------------------------------------------------------- mean-value form
            mean_value = (eP_upper + R * math.sqrt(S_2 * S_v) + f_var) * (1 + 1e-12)
            # ----------------------------------------------------------- Taylor form
            # G = grad h(P) in float, and a bound of |grad h(P) - G| (weights known to ~1e-9)
            G = A.T @ (wq_mid[:, None] * (V - q))  # (m+1, d_out)
            # grad h(P) - G = sum (omega - w~) A (v - h) + sum w~ A (q - h) + far keys, |v - h| <= vq + h_rad
            G_err = (sum_upper(dw * d * vq) + 2 * sum_upper(wP_hi / D_lo * d) * h_rad
                     + 4 * (n + 4) * _U * sum_upper(wq_mid * d * vq) * 2
                     + phi * (self.kmax + anorm) * (self.vmax + float(np.linalg.norm(q)) + h_rad)) * (1 + 1e-12)
            second = (math.sqrt(S_4) + 2 * S_1 * math.sqrt(S_2)) * math.sqrt(S_v)
            taylor = (eP_upper + R * G_err + self._f_linear_rest(f_grads, coords, P, G.T)
                      + R * R / 2 * second) * (1 + 1e-12)
            # ----------------------------------------------------------- convex form
            Flo = np.array([float(x.lower()) for x in fX])
            Fhi = np.array([float(x.upper()) for x in fX])
            c = np.sqrt(np.sum(np.maximum(np.abs(V - Flo), np.abs(V - Fhi)) ** 2, axis=1)) * (1 + 1e-12) + 1e-15
            convex = math.inf
            for gap in _SIGNIFICANCE:
                sig = hi >= S_lo - gap  # the best key is always significant
                minor = sum_upper(w_hi[~sig])
                c_minor = float(c[~sig].max()) if (~sig).any() else 0.0
                bound = (float(c[sig].max()) + minor * c_minor + phi * (self.vmax + fmax)) * (1 + 1e-12)
                convex = min(convex, bound)
        # a form that gave nan (inf times 0 on a huge box) gives no bound; the others still count
        upper = min((b for b in (mean_value, taylor, convex) if b >= 0), default=math.inf)
        return upper, eP_lower, Pf, near


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


def _pack(indices, n):
    """Key indices as a bit mask (n bits): what travels to and from workers instead of int arrays."""
    if indices is None:
        return None
    mask = np.zeros(n, dtype=bool)
    mask[indices] = True
    return np.packbits(mask)


def _unpack(bits, n):
    return None if bits is None else np.flatnonzero(np.unpackbits(bits, count=n)).astype(np.int32)


def _enclose_chunk(spec, items):
    """Enclose (box, packed candidates) pairs in a worker: ([(upper, lower, point, packed near)], key evaluations)."""
    backend = get_backend("arb", spec.dps)
    n = len(spec.keys) + 1  # the keys and the content tokens' key
    with backend.local():
        enc = _WORKER_ENCLOSURES.get(spec.token)
        if enc is None:
            _WORKER_ENCLOSURES.clear()  # one search at a time per worker
            enc = _WORKER_ENCLOSURES[spec.token] = spec.enclosures()
        found, evaluated = _enclose_local(enc, [(box, _unpack(bits, n)) for box, bits in items])
    return [(up, low, point, _pack(near, n)) for up, low, point, near in found], evaluated


def _enclose_local(enc, items):
    from threadpoolctl import threadpool_limits

    before = enc.key_evaluations
    found = []
    # one BLAS thread, here and in every worker: the float sums (and so the certificate) are the same
    # whether or not the boxes are spread over processes, and parallel workers do not oversubscribe
    with threadpool_limits(limits=1, user_api="blas"):
        for box, candidates in items:
            axis, sign, lo, hi = box
            coords, _ = box_to_balls(axis, sign, lo, hi)
            mid = (lo + hi) / 2
            centre, _ = box_to_balls(axis, sign, mid, mid)  # the exact centre point, as tight balls
            found.append(enc.box(coords, centre, candidates))
    return found, enc.key_evaluations - before


def _enclose_boxes(spec, enc, items, executor):
    """Enclosures of the boxes ``items`` in order, here or on the executor (same numbers either way)."""
    if executor is None or len(items) < 2:
        return _enclose_local(enc, items)
    n = len(spec.keys) + 1
    packed = [(box, _pack(candidates, n)) for box, candidates in items]
    size = -(-len(items) // CHUNKS)
    futures = [executor.submit(_enclose_chunk, spec, packed[i:i + size]) for i in range(0, len(items), size)]
    found, evaluated = [], 0
    for future in futures:
        part, count = future.result()
        found += [(up, low, point, _unpack(bits, n)) for up, low, point, bits in part]
        evaluated += count
    return found, evaluated


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
        heap, counter, boxes, key_evaluations = [], 0, 0, 0
        best_lower, witness = 0.0, None

        def push_all(items):
            """Enclose (box, candidates) pairs, on the executor when there is one, and push them."""
            nonlocal counter, boxes, best_lower, witness, key_evaluations
            found, evaluated = _enclose_boxes(spec, enc, items, executor)
            key_evaluations += evaluated
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
    notes.append(f"upper includes the float64 evaluation's allowance {rounding:.2e} (rounding, truncation)")
    return Certificate(status, eps, upper, best_lower, witness, boxes, key_evaluations, backend.bits,
                       time.perf_counter() - t0, notes)
