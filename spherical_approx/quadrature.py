"""Quadrature rules on S^m exact to a given polynomial degree.

A rule ``{(y_j, w_j)}`` is *exact to degree D* if ``sum_j w_j p(y_j)`` equals
``int_{S^m} p d sigma`` for every polynomial p of degree <= D [classical].

Product rule (any m, any D). Write ``x = (sqrt(1 - t^2) xi, t)`` with
``t = x_m`` and ``xi`` in S^(m-1); then ``d sigma_m = (1 - t^2)^((m-2)/2) dt
d sigma_{m-1}``. A polynomial of degree <= D becomes a sum of terms
``t^a (1 - t^2)^(b/2) q_b(xi)`` with ``a + b <= D`` and ``q_b`` homogeneous of
degree b; the xi-integral vanishes for odd b, and for even b the t-factor is a
polynomial of degree <= D. So a Gauss rule for the weight
``(1 - t^2)^((m-2)/2)`` with ``ceil((D+1)/2)`` nodes (exact to degree D),
crossed with a rule on S^(m-1) exact to D, is exact to D on S^m. On S^1 the
trapezoid rule with D + 1 equally spaced nodes is exact to degree D.
Node count: ``(D + 1) ceil((D+1)/2)^(m-1)``.

Lebedev rules (scipy, m = 2, orders up to 131) are used when they are smaller;
the orders 13, 25 and 27, whose weights are not all positive, are skipped.
"""

from __future__ import annotations

import math
from functools import lru_cache

import numpy as np
from scipy.integrate import lebedev_rule
from scipy.special import roots_jacobi

from ._validate import check_dimension, check_int
from .limits import check_feasible

__all__ = ["quadrature_rule", "product_rule", "rule_size", "product_size", "LEBEDEV_ORDERS"]

#: Orders (exact degrees) of the Lebedev rules that scipy provides.
LEBEDEV_ORDERS = (
    3, 5, 7, 9, 11, 13, 15, 17, 19, 21, 23, 25, 27, 29, 31, 35,
    41, 47, 53, 59, 65, 71, 77, 83, 89, 95, 101, 107, 113, 119, 125, 131,
)
#: scipy's Lebedev orders whose rules have negative weights; never returned.
_LEBEDEV_SIGNED = (13, 25, 27)
_LEBEDEV_SIZES = (
    6, 14, 26, 38, 50, 74, 86, 110, 146, 170, 194, 230, 266, 302, 350, 434,
    590, 770, 974, 1202, 1454, 1730, 2030, 2354, 2702, 3074, 3470, 3890, 4334, 4802, 5294, 5810,
)


def product_size(m, degree):
    """Number of nodes of the product rule on S^m exact to ``degree``.

    Parameters
    ----------
    m : int
        Sphere dimension, m >= 1.
    degree : int
        Polynomial degree, >= 0.

    Returns
    -------
    int
        The number of nodes.
    """
    return (degree + 1) * ((degree + 2) // 2) ** (m - 1)


@lru_cache(maxsize=32)
def _product_rule(m, degree):
    n_az = degree + 1
    phi = 2 * np.pi * np.arange(n_az) / n_az
    nodes = np.stack([np.cos(phi), np.sin(phi)], axis=1)
    weights = np.full(n_az, 2 * np.pi / n_az)
    n_gauss = (degree + 2) // 2  # ceil((degree + 1) / 2): exact to 2 n - 1 >= degree
    for k in range(2, m + 1):
        a = (k - 2) / 2.0
        if a == 0:
            from scipy.special import roots_legendre

            t, wt = roots_legendre(n_gauss)
        else:
            t, wt = roots_jacobi(n_gauss, a, a)
        s = np.sqrt(np.clip(1.0 - t * t, 0.0, None))
        nodes = np.concatenate(
            [np.kron(s, np.ones(len(nodes)))[:, None] * np.tile(nodes, (len(t), 1)),
             np.repeat(t, len(nodes))[:, None]],
            axis=1,
        )
        weights = np.kron(wt, weights)
    nodes.flags.writeable = False
    weights.flags.writeable = False
    return nodes, weights


def product_rule(m, degree):
    """The product Gauss-Gegenbauer x trapezoid rule on S^m exact to ``degree``.

    Parameters
    ----------
    m : int
        Sphere dimension, m >= 1.
    degree : int
        Polynomial degree, >= 0.

    Returns
    -------
    nodes : ndarray, shape (N, m+1)
    weights : ndarray, shape (N,)
        Positive, summing to ``|S^m|``.

    Examples
    --------
    >>> Y, w = product_rule(3, 4)
    >>> Y.shape, round(float(w.sum()), 12)    # |S^3| = 2 pi^2
    ((45, 4), 19.739208802179)
    """
    m = check_dimension(m)
    degree = check_int(degree, "degree")
    check_rule_feasible(m, degree)
    nodes, weights = _product_rule(m, degree)
    return nodes.copy(), weights.copy()


def quadrature_rule(m, degree, method="auto"):
    """A rule on S^m with positive weights, exact for polynomials of degree <= ``degree``.

    Parameters
    ----------
    m : int
        Sphere dimension, m >= 1.
    degree : int
        Polynomial degree to integrate exactly, >= 0.
    method : {"auto", "product", "lebedev"}
        "auto" takes the smaller of the product rule and (for m = 2 and
        ``degree <= 131``) the Lebedev rule of the lowest sufficient order.

    Returns
    -------
    nodes : ndarray, shape (N, m+1)
        Unit vectors.
    weights : ndarray, shape (N,)
        Positive weights with ``sum(weights) = |S^m|``.

    Raises
    ------
    ValueError
        For m < 1, degree < 0, an unknown method, or Lebedev asked for off S^2
        or beyond order 131.

    Examples
    --------
    Integrate ``x_0^2 x_1^2`` over S^2 (exact value 4 pi / 15):

    >>> Y, w = quadrature_rule(2, 4)
    >>> round(float(w @ (Y[:, 0]**2 * Y[:, 1]**2) / (4 * np.pi / 15)), 14)
    1.0
    >>> len(w)          # Lebedev order 5 (the product rule would need 15)
    14
    """
    order = _lebedev_order(m, degree, method)
    return _lebedev(order) if order else product_rule(m, degree)  # product_rule refuses infeasible sizes


def check_rule_feasible(m, degree):
    """Refuse before building a product rule that would not fit (its size is a closed form)."""
    log_size = math.log(degree + 1) + (m - 1) * math.log((degree + 2) // 2)
    size = math.exp(log_size) if log_size < 700 else math.inf
    check_feasible(f"a quadrature rule of degree {degree} on S^{m} ({size:.3g} nodes)",
                   elements=size * (m + 2), operations=size * (m + 2) + degree**2 * m,
                   advice="ask for a lower degree (a larger eps) or a smaller m")


def _lebedev_order(m, degree, method):
    """The Lebedev order to use, or None for the product rule (validates arguments)."""
    m = check_dimension(m)
    degree = check_int(degree, "degree")
    if method not in ("auto", "product", "lebedev"):
        raise ValueError(f"method must be 'auto', 'product' or 'lebedev', got {method!r}")
    order = next((o for o in LEBEDEV_ORDERS if o >= degree and o not in _LEBEDEV_SIGNED), None)
    if method == "lebedev":
        if m != 2:
            raise ValueError(f"Lebedev rules exist only on S^2, got m = {m}")
        if order is None:
            raise ValueError(f"Lebedev rules go up to degree {LEBEDEV_ORDERS[-1]}, got {degree}")
        return order
    if method == "auto" and m == 2 and order is not None:
        if _LEBEDEV_SIZES[LEBEDEV_ORDERS.index(order)] < product_size(2, degree):
            return order
    return None


def _lebedev(order):
    x, w = lebedev_rule(order)
    nodes = np.ascontiguousarray(x.T)
    # scipy's weights sum to 4 pi already; normalise the node rows to unit length
    # exactly in float64 so that downstream unit checks never trip.
    nodes /= np.linalg.norm(nodes, axis=1)[:, None]
    if np.any(w <= 0):  # not expected for scipy's orders; never return a signed rule
        raise RuntimeError(f"Lebedev rule of order {order} has non-positive weights")
    return nodes, np.asarray(w, dtype=float)


def rule_size(m, degree, method="auto"):
    """Number of nodes :func:`quadrature_rule` returns for these arguments, without building it.

    Parameters
    ----------
    m : int
        Sphere dimension, m >= 1.
    degree : int
        Polynomial degree, >= 0.
    method : {"auto", "lebedev", "product"}
        The rule family, as for :func:`quadrature_rule`.

    Returns
    -------
    int
        The number of nodes.

    Examples
    --------
    >>> rule_size(2, 40), rule_size(2, 40, method="product"), rule_size(3, 20)
    (590, 861, 2541)
    """
    order = _lebedev_order(m, degree, method)
    return _LEBEDEV_SIZES[LEBEDEV_ORDERS.index(order)] if order else product_size(m, degree)
