"""Property-based tests (hypothesis) of identities that hold at every point."""

import math

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

import spherical_approx as sa

dims = st.integers(min_value=1, max_value=6)
degrees = st.integers(min_value=0, max_value=25)


def unit_vectors(m, count):
    raw = st.lists(st.floats(-1, 1, allow_nan=False), min_size=(m + 1) * count, max_size=(m + 1) * count)
    return raw.filter(lambda v: all(np.linalg.norm(np.reshape(v, (count, m + 1)), axis=1) > 1e-3)).map(
        lambda v: np.reshape(v, (count, m + 1)) / np.linalg.norm(np.reshape(v, (count, m + 1)), axis=1)[:, None]
    )


@settings(max_examples=60, deadline=None)
@given(dims.flatmap(lambda m: st.tuples(st.just(m), unit_vectors(m, 3))))
def test_geodesic_triangle_inequality(case):
    m, P = case
    d = sa.geodesic_distance
    assert d(P[0], P[2]) <= d(P[0], P[1]) + d(P[1], P[2]) + 1e-12
    assert 0 <= d(P[0], P[1]) <= math.pi


@settings(max_examples=60, deadline=None)
@given(dims.flatmap(lambda m: st.tuples(st.just(m), degrees, unit_vectors(m, 2))))
def test_sum_of_squares_of_basis_is_constant(case):
    # addition theorem at x = y: sum_k Y_k(x)^2 = dim H_n / A_m for every x
    m, n, P = case
    V = sa.harmonic_basis(m, n)(P)
    np.testing.assert_allclose((V**2).sum(axis=1), sa.harmonic_dimension(m, n) / sa.sphere_area(m), rtol=1e-11)


@settings(max_examples=100, deadline=None)
@given(dims, st.integers(0, 400), st.floats(-1, 1, allow_nan=False))
def test_zonal_polynomials_bounded_by_one(m, n, t):
    assert abs(float(sa.zonal_polynomial(m, n, t))) <= 1 + 1e-12


@settings(max_examples=40, deadline=None)
@given(dims, st.floats(1e-3, math.pi, allow_nan=False), st.floats(1e-3, math.pi, allow_nan=False))
def test_cap_area_monotone_and_complementary(m, r1, r2):
    a1, a2 = sa.cap_area(m, r1), sa.cap_area(m, r2)
    if r1 < r2:
        assert a1 <= a2 * (1 + 1e-14)
    # cap(r) + cap(pi - r) = A_m
    assert abs(a1 + sa.cap_area(m, math.pi - r1) - sa.sphere_area(m)) <= 1e-13 * sa.sphere_area(m)
