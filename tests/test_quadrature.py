import numpy as np
import pytest
import sympy

from spherical_approx.harmonics import harmonic_basis
from spherical_approx.quadrature import LEBEDEV_ORDERS, product_rule, quadrature_rule, rule_size
from spherical_approx.sphere import sphere_area
from spherical_approx.targets import sphere_symbols
from spherical_approx.testing import exact_sphere_integral, random_polynomial


def _integrate(expr, m, nodes, weights):
    f = sympy.lambdify(sphere_symbols(m), expr, "numpy")
    vals = np.broadcast_to(f(*[nodes[:, i] for i in range(m + 1)]), (len(nodes),))
    return float(weights @ vals)


# (m, degrees): the random-polynomial degrees tested on each sphere
CASES = [(1, [0, 1, 5, 12]), (2, [2, 7, 12]), (3, [3, 6, 9]), (4, [4, 6]), (5, [3, 5])]


@pytest.mark.parametrize("m,degrees", CASES)
def test_rules_integrate_random_polynomials_exactly(m, degrees):
    for D in degrees:
        for seed in range(2):
            # even part has a nonzero integral; add it so the relative error is meaningful
            p = random_polynomial(m, D, seed=100 * D + seed) + sum(g**2 for g in sphere_symbols(m)) ** (D // 2)
            exact = float(exact_sphere_integral(p, m))
            for method in ["auto", "product"] + (["lebedev"] if m == 2 else []):
                nodes, weights = quadrature_rule(m, D, method=method)
                got = _integrate(p, m, nodes, weights)
                assert abs(got - exact) <= 1e-12 * abs(exact), (m, D, method, got, exact)


@pytest.mark.parametrize("m", [1, 2, 3, 4, 5])
def test_product_rule_fails_at_degree_plus_one(m):
    # Re (x0 + i x1)^(D+1) has integral 0, but the D+1 point trapezoid rule
    # integrates cos((D+1) phi) to 2 pi: the rule is exact to D and no further.
    for D in [2, 5, 8]:
        nodes, weights = product_rule(m, D)
        p = sympy.re(sympy.expand((sphere_symbols(m)[0] + sympy.I * sphere_symbols(m)[1]) ** (D + 1)))
        assert abs(_integrate(p, m, nodes, weights)) > 0.1, (m, D)


@pytest.mark.parametrize("order", [5, 11, 17, 41])
def test_lebedev_fails_beyond_its_order(order):
    # Lebedev rules are octahedrally symmetric, so odd degrees integrate to 0 trivially;
    # order + 1 is even and some harmonic of that degree must be integrated wrongly.
    nodes, weights = quadrature_rule(2, order, method="lebedev")
    Y = harmonic_basis(2, order + 1)(nodes)
    assert np.max(np.abs(weights @ Y)) > 1e-3
    Yok = harmonic_basis(2, order - 1)(nodes)
    assert np.max(np.abs(weights @ Yok)) < 1e-13


@pytest.mark.parametrize("m", [1, 2, 3, 4, 5, 7])
@pytest.mark.parametrize("D", [0, 1, 4, 9])
def test_weights_positive_sum_to_area_and_nodes_unit(m, D):
    if m == 7 and D == 9:
        D = 5  # keep the node count small
    nodes, weights = quadrature_rule(m, D)
    assert np.all(weights > 0)
    assert abs(weights.sum() - sphere_area(m)) <= 1e-13 * sphere_area(m)
    np.testing.assert_allclose(np.linalg.norm(nodes, axis=1), 1, atol=1e-15)
    assert len(weights) == rule_size(m, D)


def test_all_used_lebedev_orders_are_positive():
    for D in range(0, LEBEDEV_ORDERS[-1] + 1, 6):
        nodes, weights = quadrature_rule(2, D, method="lebedev")
        assert np.all(weights > 0), D


def test_auto_prefers_the_smaller_rule():
    assert rule_size(2, 40) == 590          # Lebedev 41
    assert rule_size(2, 40, method="product") == 41 * 21
    assert rule_size(2, 200) == 201 * 101   # beyond Lebedev's range
    assert rule_size(3, 10) == 11 * 6 * 6


def test_high_degree_rule_integrates_harmonics_to_zero():
    nodes, weights = quadrature_rule(3, 40)
    for n in (1, 17, 40):
        assert np.max(np.abs(weights @ harmonic_basis(3, n)(nodes))) < 1e-12


@pytest.mark.parametrize(
    "args,exc,msg",
    [
        ((0, 3), ValueError, "m must be >= 1"),
        ((2, -1), ValueError, "degree must be >= 0"),
        ((2, 3.5), TypeError, "degree must be an integer"),
        ((3, 5, "lebedev"), ValueError, "only on S\\^2"),
        ((2, 500, "lebedev"), ValueError, "up to degree 131"),
        ((2, 5, "gauss"), ValueError, "method must be"),
    ],
)
def test_bad_input(args, exc, msg):
    with pytest.raises(exc, match=msg):
        quadrature_rule(*args)
