import math

import mpmath
import numpy as np
import pytest
import sympy
from scipy.spatial import cKDTree

from spherical_approx.sphere import (
    cap_area,
    covering_radius,
    delta_net,
    from_hyperspherical,
    geodesic_distance,
    monomial_integral,
    sample_uniform,
    sphere_area,
    to_hyperspherical,
)
from spherical_approx.testing import arb_contains, assert_refuses


def test_sphere_area_known_values():
    assert sphere_area(0) == 2.0
    assert sphere_area(1, backend="exact") == 2 * sympy.pi
    assert sphere_area(2, backend="exact") == 4 * sympy.pi
    assert sphere_area(3, backend="exact") == 2 * sympy.pi**2
    assert sphere_area(4, backend="exact") == sympy.Rational(8, 3) * sympy.pi**2
    for m in range(0, 12):
        exact = float(sphere_area(m, backend="exact"))
        assert abs(sphere_area(m) - exact) <= 1e-15 * exact
        with mpmath.workdps(50):
            ref = 2 * mpmath.pi ** (mpmath.mpf(m + 1) / 2) / mpmath.gamma(mpmath.mpf(m + 1) / 2)
            assert abs(sphere_area(m, backend="mp") - ref) < ref * mpmath.mpf(10) ** -30
            assert arb_contains(sphere_area(m, backend="arb"), ref, tol=1e-45)


def test_area_recursion():
    # A_m = A_{m-1} * int_0^pi sin^{m-1} t dt
    for m in range(1, 9):
        integral = mpmath.quad(lambda t, m=m: mpmath.sin(t) ** (m - 1), [0, mpmath.pi])
        assert abs(sphere_area(m) - sphere_area(m - 1) * float(integral)) < 1e-13 * sphere_area(m)


@pytest.mark.parametrize("m", [1, 2, 3, 4, 7])
@pytest.mark.parametrize("r", [0.0, 1e-4, 0.3, 1.2, math.pi / 2, 2.0, 3.0, math.pi])
def test_cap_area_against_direct_integral(m, r):
    with mpmath.workdps(40):
        ref = sphere_area(m - 1, backend="mp") * mpmath.quad(lambda t: mpmath.sin(t) ** (m - 1), [0, r])
    got = cap_area(m, r)
    assert abs(got - float(ref)) <= 1e-14 * sphere_area(m)
    if r > 0:
        assert abs(got - float(ref)) <= 1e-13 * float(ref)
    assert abs(cap_area(m, r, backend="mp") - ref) <= mpmath.mpf(10) ** -28 * max(ref, 1)
    assert arb_contains(cap_area(m, r, backend="arb"), ref, tol=1e-35)


def test_cap_area_exact():
    assert cap_area(2, sympy.pi / 3, backend="exact") == sympy.pi
    assert cap_area(3, sympy.pi, backend="exact") == 2 * sympy.pi**2
    assert sympy.simplify(cap_area(1, sympy.Rational(1, 4), backend="exact") - sympy.Rational(1, 2)) == 0


def test_monomial_integral_against_quadrature():
    from spherical_approx.quadrature import product_rule

    Y, w = product_rule(3, 8)
    for exps in [(2, 0, 2, 4), (0, 0, 0, 0), (1, 1, 2, 0), (6, 2, 0, 0)]:
        num = w @ np.prod(Y ** np.array(exps), axis=1)
        assert abs(num - float(monomial_integral(exps))) < 1e-13


def test_geodesic_distance_stable_and_symmetric(rng):
    X = sample_uniform(4, 200, seed=rng)
    Y = sample_uniform(4, 200, seed=rng)
    d = geodesic_distance(X, Y)
    ref = np.arccos(np.clip(np.sum(X * Y, axis=1), -1, 1))
    np.testing.assert_allclose(d, ref, atol=1e-7)  # arccos itself is only ~1e-8 accurate
    np.testing.assert_array_equal(d, geodesic_distance(Y, X))
    assert np.all(geodesic_distance(X, X) == 0)
    np.testing.assert_allclose(geodesic_distance(X, -X), math.pi, rtol=1e-15)
    # nearly coincident: arccos would return 0 or ~1e-8
    e = 1e-12
    y = np.array([math.cos(e), math.sin(e), 0.0])
    assert abs(geodesic_distance([1.0, 0, 0], y) - e) < 1e-26


@pytest.mark.parametrize("m", [1, 2, 5])
def test_sample_uniform_moments(m):
    X = sample_uniform(m, 200_000, seed=1)
    np.testing.assert_allclose(np.linalg.norm(X, axis=1), 1, atol=1e-15)
    # E[x] = 0, E[x_i^2] = 1/(m+1); 6 standard errors
    se = 1 / math.sqrt(200_000)
    assert np.all(np.abs(X.mean(axis=0)) < 6 * se)
    assert np.all(np.abs((X**2).mean(axis=0) - 1 / (m + 1)) < 6 * se)
    np.testing.assert_array_equal(sample_uniform(m, 5, seed=3), sample_uniform(m, 5, seed=3))


@pytest.mark.parametrize("m", [1, 2, 3, 6])
def test_hyperspherical_round_trip(m, rng):
    X = sample_uniform(m, 500, seed=rng)
    A = to_hyperspherical(X)
    assert A.shape == (500, m)
    assert np.all((A[:, 0] >= 0) & (A[:, 0] < 2 * np.pi))
    assert np.all((A[:, 1:] >= 0) & (A[:, 1:] <= np.pi))
    np.testing.assert_allclose(from_hyperspherical(A), X, atol=1e-14)
    # x_m = cos theta_m
    if m >= 2:
        np.testing.assert_allclose(np.cos(A[:, -1]), X[:, -1], atol=1e-14)


@pytest.mark.parametrize("m,delta", [(1, 0.1), (2, 0.2), (2, 0.05), (3, 0.3), (4, 0.5)])
def test_delta_net_is_maximal_separated_and_within_packing_bound(m, delta):
    P = delta_net(m, delta, seed=3)
    assert P.shape[1] == m + 1
    np.testing.assert_allclose(np.linalg.norm(P, axis=1), 1, atol=1e-14)
    # separated: no pair closer than delta (pairs from a KD-tree in chord distance)
    pairs = cKDTree(P).query_pairs(2 * math.sin(delta / 2) * 1.001, output_type="ndarray")
    if len(pairs):
        assert geodesic_distance(P[pairs[:, 0]], P[pairs[:, 1]]).min() >= delta * (1 - 1e-12)
    # maximal: the covering radius is below delta (nothing can be added)
    assert covering_radius(P) < delta
    # packing: caps of radius delta/2 are disjoint
    assert len(P) * cap_area(m, delta / 2) <= sphere_area(m) * (1 + 1e-12)
    # and a random sample of the sphere is within delta of the net
    X = sample_uniform(m, 20_000, seed=9)
    dist, _ = cKDTree(P).query(X)
    assert np.max(2 * np.arcsin(dist / 2)) < delta


def test_covering_radius_known_cases():
    octa = np.concatenate([np.eye(3), -np.eye(3)])
    assert abs(covering_radius(octa) - math.acos(1 / math.sqrt(3))) < 1e-14
    t = 2 * np.pi * np.arange(7) / 7
    assert abs(covering_radius(np.stack([np.cos(t), np.sin(t)], 1)) - np.pi / 7) < 1e-14
    cross = np.concatenate([np.eye(4), -np.eye(4)])  # S^3: vertex (1,1,1,1)/2 at arccos(1/2)
    assert abs(covering_radius(cross) - math.pi / 3) < 1e-12


BAD = [
    (lambda: sphere_area(-1), ValueError, "m must be >= 0"),
    (lambda: sphere_area(2.0), TypeError, "m must be an integer"),
    (lambda: cap_area(0, 0.1), ValueError, "m must be >= 1"),
    (lambda: cap_area(2, -0.1), ValueError, "radius"),
    (lambda: cap_area(2, 4.0), ValueError, "radius"),
    (lambda: cap_area(2, float("nan")), ValueError, "radius"),
    (lambda: geodesic_distance([1.0, 0.0], [0.0, 2.0]), ValueError, "unit"),
    (lambda: geodesic_distance([1.0, 0.0], [0.0, 1.0, 0.0]), ValueError, "same axis"),
    (lambda: geodesic_distance([1.0, np.nan], [0.0, 1.0]), ValueError, "NaN"),
    (lambda: sample_uniform(0, 3), ValueError, "m must be >= 1"),
    (lambda: sample_uniform(2, -3), ValueError, "k must be >= 0"),
    (lambda: to_hyperspherical([[1.0, 1.0, 0.0]]), ValueError, "unit"),
    (lambda: from_hyperspherical([[np.inf, 0.0]]), ValueError, "NaN or infinite"),
    (lambda: delta_net(2, 0.0), ValueError, "delta"),
    (lambda: delta_net(2, 2.0), ValueError, "delta"),
    (lambda: delta_net(0, 0.1), ValueError, "m must be >= 1"),
    (lambda: monomial_integral((1,)), ValueError, "length"),
    (lambda: monomial_integral((1, -2)), ValueError, "exponent"),
]


@pytest.mark.parametrize("call,exc,msg", BAD)
def test_bad_input_raises_clear_errors(call, exc, msg):
    assert_refuses(call, exc, msg)
