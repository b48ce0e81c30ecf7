import math

import mpmath
import numpy as np
import pytest
import sympy
from scipy.special import sph_harm_y

import spherical_approx as sa
from spherical_approx.gegenbauer import zonal_polynomial
from spherical_approx.harmonics import (
    HarmonicExpansion,
    harmonic_basis,
    harmonic_dimension,
    harmonic_labels,
    zonal_kernel,
)
from spherical_approx.quadrature import quadrature_rule
from spherical_approx.sphere import sample_uniform, sphere_area
from spherical_approx.targets import sphere_symbols
from spherical_approx.testing import arb_contains, assert_refuses, exact_sphere_integral, random_polynomial


@pytest.mark.parametrize("m", range(1, 11))
def test_dimension_closed_form_and_label_count(m):
    for n in range(0, 31):
        d = harmonic_dimension(m, n)
        # an independent closed form: (2n + m - 1)(n + m - 2)! / (n! (m - 1)!)
        alt = 1 if n == 0 else ((2 * n + m - 1) * math.factorial(n + m - 2)
                                // (math.factorial(n) * math.factorial(m - 1)))
        assert d == alt, (m, n)
        # branching rule: dim H_n(S^m) = sum_{l <= n} dim H_l(S^(m-1))
        if m >= 2:
            assert d == sum(harmonic_dimension(m - 1, l) for l in range(n + 1))
        if m <= 5 and n <= 12:
            assert len(harmonic_labels(m, n)) == d


@pytest.mark.parametrize("m", [1, 2, 3, 4, 5])
def test_orthonormal_by_quadrature(m):
    nmax = 8
    nodes, w = quadrature_rule(m, 2 * nmax)
    values = np.concatenate([harmonic_basis(m, n)(nodes) for n in range(nmax + 1)], axis=1)
    gram = values.T @ (w[:, None] * values)
    dev = np.abs(gram - np.eye(len(gram)))
    assert dev.max() < 1e-11, np.unravel_index(dev.argmax(), dev.shape)


@pytest.mark.parametrize("m", [1, 2, 3, 4, 6])
@pytest.mark.parametrize("n", [0, 1, 3, 7])
def test_addition_theorem(m, n, rng):
    X = sample_uniform(m, 30, seed=rng)
    Y = sample_uniform(m, 20, seed=rng)
    lhs = harmonic_basis(m, n)(X) @ harmonic_basis(m, n)(Y).T
    rhs = harmonic_dimension(m, n) / sphere_area(m) * zonal_polynomial(m, n, X @ Y.T)
    np.testing.assert_allclose(lhs, rhs, atol=1e-12 * max(1, np.abs(rhs).max()))
    np.testing.assert_allclose(zonal_kernel(m, n, X, Y), rhs, rtol=1e-15, atol=1e-15)


@pytest.mark.parametrize("n", [0, 1, 2, 5, 10])
def test_span_equals_scipy_sph_harm_y_on_s2(n):
    nodes, w = quadrature_rule(2, 2 * n + 2)
    theta = np.arccos(np.clip(nodes[:, 2], -1, 1))
    phi = np.arctan2(nodes[:, 1], nodes[:, 0])
    scipy_basis = np.stack([sph_harm_y(n, k, theta, phi) for k in range(-n, n + 1)], axis=1)
    ours = harmonic_basis(2, n)(nodes)
    M = ours.T @ (w[:, None] * scipy_basis)  # coefficients of scipy's basis in ours
    # both are orthonormal bases of H_n, so M is unitary and projecting one onto
    # the other loses nothing
    np.testing.assert_allclose(M @ M.conj().T, np.eye(2 * n + 1), atol=1e-12)
    np.testing.assert_allclose(ours @ M, scipy_basis, atol=1e-12)


@pytest.mark.parametrize("m,n", [(2, 3), (3, 3), (4, 2), (5, 2)])
def test_exact_basis_is_harmonic_homogeneous_and_matches_float(m, n):
    xs = sphere_symbols(m)
    polys = harmonic_basis(m, n, backend="exact")([xs])[0]
    X = sample_uniform(m, 5, seed=1)
    floats = harmonic_basis(m, n)(X)
    for i, p in enumerate(polys):
        assert sympy.expand(sum(sympy.diff(p, x, 2) for x in xs)) == 0
        poly = sympy.Poly(p, *xs)
        assert all(sum(mon) == n for mon in poly.monoms())
        vals = sympy.lambdify(xs, p, "numpy")(*X.T)
        np.testing.assert_allclose(vals, floats[:, i], atol=1e-13)
    # exact orthonormality for the exact basis
    gram = [[exact_sphere_integral(sympy.expand(p * q), m) for q in polys] for p in polys]
    assert sympy.Matrix(gram).applyfunc(sympy.simplify) == sympy.eye(len(polys))


def test_mp_and_arb_basis_agree_with_float():
    X = sample_uniform(3, 4, seed=2)
    f = harmonic_basis(3, 6)(X)
    mp = harmonic_basis(3, 6, backend="mp", dps=40)(X)
    arb = harmonic_basis(3, 6, backend="arb", dps=40)(X)
    exact = harmonic_basis(3, 6, backend="exact")([sphere_symbols(3)])[0]
    ctx = mpmath.MPContext()
    ctx.dps = 60
    for i in range(X.shape[0]):
        for j in range(f.shape[1]):
            ref = sympy.N(exact[j].subs(dict(zip(sphere_symbols(3), [sympy.Rational(v) for v in X[i]]))), 60)
            ref = ctx.mpf(str(ref))
            assert abs(mp[i, j] - ref) < ctx.mpf(10) ** -38
            assert arb_contains(arb[i, j], ref, tol=1e-55)
            assert abs(f[i, j] - float(ref)) < 1e-13


def test_poles_and_degenerate_points_are_finite():
    for m in (2, 3, 5):
        P = np.concatenate([np.eye(m + 1), -np.eye(m + 1)])
        V = harmonic_basis(m, 9)(P)
        assert np.all(np.isfinite(V))
        # addition theorem at coincident points: sum_k Y_k(x)^2 = dim / A_m
        np.testing.assert_allclose((V**2).sum(axis=1), harmonic_dimension(m, 9) / sphere_area(m), rtol=1e-12)


def test_high_degree_float_basis_stays_orthonormal():
    nodes, w = quadrature_rule(2, 2 * 60)
    Y = harmonic_basis(2, 60)(nodes)
    assert np.abs(Y.T @ (w[:, None] * Y) - np.eye(121)).max() < 1e-11


# ----------------------------------------------------------------- expansions


@pytest.mark.parametrize("m,degree", [(1, 5), (2, 4), (3, 4), (4, 3)])
def test_exact_expansion_reproduces_polynomial(m, degree):
    xs = sphere_symbols(m)
    p = random_polynomial(m, degree, seed=m)
    E = HarmonicExpansion.from_polynomial(p, m)
    assert E.exact and E.degree == degree
    for n in range(degree + 1):
        h = E.component_expr(n)
        assert sympy.expand(sum(sympy.diff(h, x, 2) for x in xs)) == 0  # harmonic
        assert all(sum(mon) == n for mon in sympy.Poly(h, *xs).monoms()) or h == 0
    X = sample_uniform(m, 50, seed=0)
    direct = sympy.lambdify(xs, p, "numpy")(*X.T)
    np.testing.assert_allclose(E(X), direct, atol=1e-12 * max(1, np.abs(direct).max()))
    # exact Parseval: sum of squared norms = int p^2
    total = sum(v**2 for v in E.norms())
    assert sympy.simplify(total - exact_sphere_integral(sympy.expand(p**2), m)) == 0


@pytest.mark.parametrize("m", [1, 2, 3, 5])
def test_quadrature_expansion_matches_exact(m):
    p = random_polynomial(m, 4, seed=7 + m)
    E = HarmonicExpansion.from_polynomial(p, m)
    F = HarmonicExpansion.from_function(p, m, degree=4)
    fn = sympy.lambdify(sphere_symbols(m), p, "numpy")
    G = HarmonicExpansion.from_function(lambda P: fn(*P.T), m, degree=4)
    exact_norms = np.array([float(v) for v in E.norms()])
    np.testing.assert_allclose(F.norms(), exact_norms, atol=1e-12)
    np.testing.assert_allclose(G.norms(), exact_norms, atol=1e-12)
    for n in range(5):
        np.testing.assert_allclose(F.coefficients(n), E.coefficients(n), atol=1e-12)
    X = sample_uniform(m, 40, seed=1)
    np.testing.assert_allclose(F(X), E(X), atol=1e-11)
    np.testing.assert_allclose(F(X, degrees=[2]), E(X, degrees=[2]), atol=1e-12)


def test_projection_of_a_single_harmonic_is_itself():
    Y = harmonic_basis(3, 3)
    X = sample_uniform(3, 10, seed=3)
    E = HarmonicExpansion.from_function(lambda P: Y(P)[:, 4], 3, degree=5)
    norms = E.norms()
    np.testing.assert_allclose(norms, [0, 0, 0, 1, 0, 0], atol=1e-13)
    np.testing.assert_allclose(E.coefficients(3)[:, 0], np.eye(Y.dim)[4], atol=1e-13)
    np.testing.assert_allclose(E(X), Y(X)[:, 4], atol=1e-13)


def test_vector_valued_and_scaled():
    x0, x1, x2 = sphere_symbols(2)
    E = HarmonicExpansion.from_polynomial([x0 * x1, x2 + 1], 2)
    assert E.d_out == 2 and not E.scalar
    X = sample_uniform(2, 6, seed=0)
    np.testing.assert_allclose(E(X), np.stack([X[:, 0] * X[:, 1], X[:, 2] + 1], 1), atol=1e-14)
    half = E.scaled([1, sympy.Rational(1, 2), sympy.Rational(1, 3)])
    np.testing.assert_allclose(half(X), np.stack([X[:, 0] * X[:, 1] / 3, X[:, 2] / 2 + 1], 1), atol=1e-14)
    F = HarmonicExpansion.from_function(lambda P: np.stack([P[:, 0] * P[:, 1], P[:, 2] + 1], 1), 2, degree=2)
    assert F.d_out == 2 and not F.scalar
    np.testing.assert_allclose(F.scaled([1, 0.5, 1 / 3])(X), half(X), atol=1e-13)


def test_non_polynomial_by_quadrature_converges():
    f = lambda P: np.exp(P[:, 0]) * np.sin(P[:, 1] + P[:, 2])  # noqa: E731
    X = sample_uniform(2, 200, seed=5)
    errs = [np.abs(HarmonicExpansion.from_function(f, 2, degree=d, rule_degree=2 * d + 10)(X) - f(X)).max()
            for d in (4, 8, 12)]
    assert errs[0] > errs[1] > errs[2] and errs[2] < 1e-8


BAD = [
    (lambda: harmonic_basis(0, 1), ValueError, "m must be >= 1"),
    (lambda: harmonic_basis(2, -1), ValueError, "n must be >= 0"),
    (lambda: harmonic_dimension(2, 1.5), TypeError, "n must be an integer"),
    (lambda: harmonic_basis(2, 2)(np.ones((3, 3))), ValueError, "unit"),
    (lambda: harmonic_basis(2, 2)(np.ones((3, 4)) / 2), ValueError, "shape"),
    (lambda: harmonic_basis(2, 2)([[np.nan, 0, 1]]), ValueError, "NaN"),
    (lambda: harmonic_basis(2, 2)([["a", "b", "c"]]), TypeError, "numeric"),
    (lambda: harmonic_basis(2, 2, backend="mp")([[1, 1, 1]]), ValueError, "unit"),
    (lambda: HarmonicExpansion.from_polynomial(sympy.sin(sympy.Symbol("x0")), 2), ValueError, "not a polynomial"),
    (lambda: HarmonicExpansion.from_polynomial(sympy.Symbol("y") + 1, 2), ValueError, "other than"),
    (lambda: HarmonicExpansion.from_function(lambda P: np.full(len(P), np.nan), 2, 2), ValueError, "NaN"),
    (lambda: HarmonicExpansion.from_function(lambda P: np.ones((3,)), 2, 2), ValueError, "shape"),
    (lambda: HarmonicExpansion.from_function(lambda P: P[:, 0], 2, -2), ValueError, "degree"),
    (lambda: HarmonicExpansion.from_polynomial(sphere_symbols(2)[0], 2).scaled([1]), ValueError, "factors"),
]


@pytest.mark.parametrize("call,exc,msg", BAD)
def test_bad_input_raises_clear_errors(call, exc, msg):
    assert_refuses(call, exc, msg)


def test_expansion_built_from_exact_components_evaluates():
    x0, x1, x2 = sa.sphere_symbols(2)
    E = sa.HarmonicExpansion(2, 1, exact=[(sympy.Integer(1),), (x0,)])  # was AttributeError: _gens
    np.testing.assert_allclose(E(np.array([[0.6, 0.8, 0.0]])), [1.6])
