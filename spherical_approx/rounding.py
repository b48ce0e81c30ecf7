"""Proven bounds on the floating-point error of the universal head's evaluation.

[toolkit] The head computes, for a query x and prefix (kappa_i, b_i, v_i),
``h(x) = sum_i e^(s_i - M) v_i / (sum_i e^(s_i - M) + c e^(-M))`` with
``s_i = <x, kappa_i> + b_i``. :func:`head_rounding_bound` bounds
``|fl(h)(x) - h(x)|`` (Euclidean over outputs) for *every* query that the head
accepts, with the standard model of floating-point arithmetic
(``fl(a op b) = (a op b)(1 + e)``, ``|e| <= u``; sums and dot products of n
terms within ``gamma_n = n u / (1 - n u)`` of the sum of absolute values,
whatever the order, FMA or not) and one assumption on the elementary function:
``exp`` is within :data:`EXP_ULPS` units in the last place (about
``2 EXP_ULPS u`` relative), and below the normal range within half the
smallest subnormal. The proof is in ``docs/theory/rounding.rst``.

Examples
--------
>>> import numpy as np
>>> from spherical_approx.heads import Prefix
>>> P = Prefix(keys=[[3.0, 0.0]], biases=[0.0], values=[[2.0]])
>>> b = head_rounding_bound(P, context_tokens=1)
>>> bool(0 < b < 1e-13)
True
>>> bool(head_rounding_bound(P, 1, dtype=np.float32) > 1e6 * b)
True
"""

from __future__ import annotations

import math

import numpy as np

from ._validate import check_int

__all__ = ["EXP_ULPS", "EXP_FLOOR", "EXP_FLOOR_SINGLE", "INPUT_NORM_ULPS", "unit_roundoff", "gamma",
           "head_rounding_bound", "max_row_norm"]

#: Assumed accuracy of ``exp`` (numpy's and torch's are documented at <= 1-4 ulp).
EXP_ULPS = 4
#: The float64 heads evaluate ``exp(max(s - M, -EXP_FLOOR))``: arguments in exp's underflow
#: range cost 4-5x more, and a weight below e^-700 is bounded absolutely by the proof anyway.
EXP_FLOOR = 700.0
#: The float32 heads (numpy and torch) clamp at ``-EXP_FLOOR_SINGLE`` instead: e^-87 is the
#: last exponential above float32's smallest normal (torch's float32 exp is 10x slower on
#: subnormal results), and the proof bounds every weight below e^-87 absolutely there.
EXP_FLOOR_SINGLE = 87.0
#: Queries are covered when ``| |x| - 1 | <= INPUT_NORM_ULPS (m + 2) u``: any point
#: normalised in the head's precision (``x / norm(x)``) is, far more than the
#: ``_validate.UNIT_TOL`` that the input check accepts (see the theory page).
INPUT_NORM_ULPS = 4


def unit_roundoff(dtype=np.float64):
    """``u = eps / 2`` of a float dtype (2^-53 for float64, 2^-24 for float32).

    ``dtype`` may be a numpy dtype, its name, or a torch dtype.

    Parameters
    ----------
    dtype : numpy dtype, its name, or torch dtype
        float64 or float32.

    Returns
    -------
    float
        The unit roundoff.
    """
    name = str(dtype).replace("torch.", "") if type(dtype).__module__ == "torch" else dtype
    return float(np.finfo(float_dtype(name, "rounding bounds are proven for float64 and float32 only")).eps) / 2


def float_dtype(dtype, refusal="dtype must be np.float64 or np.float32"):
    """``np.float64`` or ``np.float32`` from anything numpy reads as one of them; others are
    refused with ValueError(``refusal``)."""
    try:
        kind = np.dtype(dtype)
    except TypeError:
        kind = None
    if kind not in (np.dtype(np.float64), np.dtype(np.float32)):
        raise ValueError(f"{refusal}, got {dtype!r}")
    return kind.type


def gamma(n, u):
    """``gamma_n = n u / (1 - n u)`` (Higham); ``inf`` once ``n u >= 1``.

    Parameters
    ----------
    n : int
        Number of rounded operations.
    u : float
        The unit roundoff.

    Returns
    -------
    float
        ``gamma_n``.
    """
    nu = n * u
    return nu / (1 - nu) if nu < 1 else math.inf


def max_row_norm(rows):
    """An upper bound of the largest Euclidean norm of the rows, 0 only when every entry is 0.

    The rows are scaled by their largest entry first, so the squares of subnormal entries do
    not vanish (``np.linalg.norm([3e-320])`` is 0.0) and those of huge ones do not overflow.

    Parameters
    ----------
    rows : array_like
        Shape (n, d).

    Returns
    -------
    float
        The bound (inf when an entry is infinite).

    Examples
    --------
    >>> max_row_norm([[3e-320, 0.0]]) > 0, max_row_norm([[3.0, 4.0]]) >= 5.0
    (True, True)
    """
    rows = np.asarray(rows, dtype=float)
    top = float(np.abs(rows).max()) if rows.size else 0.0
    if top == 0.0 or not math.isfinite(top):
        return top
    if 1e-150 < top < 1e150:  # squares stay normal: the plain norm (its few roundings are the callers')
        return float(np.linalg.norm(rows, axis=-1).max())
    return top * float(np.linalg.norm(rows / top, axis=-1).max()) * (1 + 1e-12)


def head_rounding_bound(prefix, context_tokens=1, dtype=np.float64, exp_ulps=EXP_ULPS, inputs_rounded=False,
                        query_deviation=None):
    """Proven bound on ``|fl(head)(x) - head(x)|`` for every unit query x.

    Parameters
    ----------
    prefix : Prefix
        Keys (N, m+1), biases (N,), values (N, d_out).
    context_tokens : int or array of ints >= 0
        Content tokens each query sees (the largest count is used).
    dtype : numpy or torch float dtype
        Precision the head is evaluated in (float64 or float32).
    exp_ulps : float
        Assumed accuracy of the library's ``exp`` in ulps.
    inputs_rounded : bool
        True when the float64 prefix and queries are first rounded to ``dtype``
        (the torch export in float32): the conversion errors are included.
    query_deviation : float, optional
        Bound on ``| |x| - 1 |`` of the queries covered, when it is larger than
        the default ``INPUT_NORM_ULPS (m + 2) u`` (queries computed by earlier
        layers, as in :mod:`spherical_approx.seq2seq.direct`).

    Returns
    -------
    float
        The bound (``inf`` when the scores' rounding alone can change the weights
        by a factor of 2 or more, i.e. no useful bound exists in this precision).
    """
    u = unit_roundoff(dtype)
    c = np.asarray(context_tokens, dtype=float)
    if c.size and (np.any(c < 0) or np.any(c != np.floor(c))):
        raise ValueError(f"context_tokens must be counts >= 0, got {context_tokens!r}")
    c_max = float(c.max()) if c.size else 0.0
    N = check_int(prefix.length, "N", minimum=1)
    m = prefix.m
    K = max_row_norm(prefix.keys)  # scaled: squares of tiny keys do not vanish
    Bb = float(np.abs(prefix.biases).max())
    vmax = max_row_norm(prefix.values)
    if vmax == 0.0:
        return 0.0  # every value 0: so is every output, exactly
    single = u > 1e-10
    info = np.finfo(np.float32 if single else np.float64)
    tiny, fmax = float(info.smallest_subnormal), float(info.max)
    # the weighted sum of values is at most (N + c) vmax and the scores |k| + |b|: beyond the
    # range (as float32 values above 3.4e38 are once rounded) the head overflows
    if (N + c_max + 2) * vmax >= fmax / 4 or K + Bb >= fmax / 4:
        return math.inf
    dev = INPUT_NORM_ULPS * (m + 2) * u  # | |x| - 1 | of an accepted query
    if query_deviation is not None:
        dev = max(dev, float(query_deviation))
    # score error: dot product of m+1 terms plus the bias, and the query's distance to the sphere
    score = gamma(m + 2, u) * ((1 + dev) * K + Bb) + dev * K
    out_extra = 0.0
    if inputs_rounded:  # x, kappa, b rounded to dtype: |x^ k^ - x k| <= (2u + u^2)|x||k|, |b^ - b| <= u|b|
        score += (2 * u + u * u) * (1 + dev) * K * (1 + gamma(m + 2, u)) + u * Bb
        out_extra = u * (1 + 2 * u)  # values rounded: a convex combination moves by u vmax (per vmax)
    if not score < math.log(2):
        return math.inf
    ce = 2 * exp_ulps * u  # relative error of exp
    # weights below e^-A are bounded absolutely; the heads clamp s - M at -A before exp (a clamped
    # weight is fl(e^-A) <= e^-A (1 + ce) + tiny, the true one below e^-A: both within `tail`)
    A = EXP_FLOOR_SINGLE if single else EXP_FLOOR
    # relative error of the weights with |s - M| <= A, summed against the exact
    # denominator D (entropy bound sum e^-a a <= max(Z, 1)(log N + 1/e); proof on the theory page)
    rho = (math.exp(score) * (1 + ce) - 1
           + math.exp(3 * score) * (1 + ce) * math.exp(u * A) * u * (math.log(N) + 1 / math.e))
    tail = math.exp(-A * (1 - u) + score) * (1 + ce) + tiny  # absolute error of a smaller weight
    # stage 1: weights and content term with their errors, exact arithmetic afterwards (D >= e^-score)
    scale = math.exp(score)
    num = 2 * rho + ce + (2 * N * tail + c_max * tiny) * scale
    den = 1 - rho - ce - (N * tail + c_max * tiny) * scale
    if den <= 0:
        return math.inf
    stage1 = num / den  # (the stages are per unit of vmax: no underflow in this formula)
    # stage 2: the two sums (N and N+2 terms), then one division
    g2 = gamma(N + 2, u)
    if g2 >= 1:
        return math.inf
    X = (gamma(N, u) + g2) / (1 - g2)
    stage2 = X * (1 + u) + u
    # gradual underflow: a product, sum or rounded value below the smallest normal errs by up to
    # tiny / 2 absolutely, not u relatively; N products and N + 2 sums over a denominator >= 1/2,
    # the division, the rounded values and the product vmax * (...) below
    underflow = (4 * N + 8) * tiny * (1 + vmax)
    # a final relative safety factor for the float evaluation of this formula itself
    return vmax * (stage1 + stage2 + out_extra) * (1 + 1e-10) + underflow
