import mpmath
import numpy as np
import pytest
import sympy

from spherical_approx.gegenbauer import (
    chebyshev_t,
    gegenbauer,
    legendre,
    three_term,
    zonal_polynomial,
    zonal_polynomials,
)
from spherical_approx.testing import arb_contains, check_against_oracle, gegenbauer_oracle, zonal_oracle

T = np.concatenate([np.linspace(-1, 1, 41), [-0.999999, 0.999999, 1e-9]])
T_FEW = np.array([-1.0, -0.999999, -0.6, -0.05, 1e-9, 0.31, 0.9, 0.999999, 1.0])


@pytest.mark.parametrize("m", [1, 2, 3, 4, 7])
@pytest.mark.parametrize("n", [0, 1, 2, 5, 17, 100, 1000])
def test_zonal_float_against_mpmath(m, n):
    # |P_n| <= 1 on [-1, 1], so the tolerance is relative to that scale (1e-12),
    # which is what "relative" can mean near the zeros of P_n.
    pts = T_FEW if n == 1000 else T
    check_against_oracle(
        lambda t: zonal_polynomial(m, n, t), lambda t: zonal_oracle(m, n, t), pts,
        rtol=1e-12, atol=1e-12, label=f"P_{n} on S^{m}",
    )


@pytest.mark.parametrize("m", [1, 2, 5])
@pytest.mark.parametrize("n", [3, 40, 1000])
def test_zonal_mp_to_30_digits(m, n):
    for t in [-0.73, 0.1, 0.999]:
        v = zonal_polynomial(m, n, t, backend="mp", dps=30)
        ref = zonal_oracle(m, n, t, dps=50)
        assert abs(v - ref) <= mpmath.mpf(10) ** -30 * max(1, abs(ref)), (m, n, t)


@pytest.mark.parametrize("m", [1, 2, 3, 6])
@pytest.mark.parametrize("n", [0, 4, 50, 1000])
def test_zonal_arb_balls_contain_mpmath(m, n):
    for t in [-1.0, -0.31, 0.5, 0.99]:
        ball = zonal_polynomial(m, n, t, backend="arb", dps=30)
        ref = zonal_oracle(m, n, t, dps=80)  # accurate to ~1e-80
        assert arb_contains(ball, ref, tol=1e-75), (m, n, t, ball.str(40), ref)
        assert float(ball.rad()) <= 1e-30 * max(1.0, abs(float(ball.mid())))


@pytest.mark.parametrize("m", [1, 2, 3, 4, 7])
def test_zonal_all_degrees_arb_contains_mpmath(m):
    # every degree at once (the recurrence over arb with flint rational coefficients) against the
    # mpmath oracle degree by degree, with balls as tight as asked; |t| > 1 grows like (2|t|)^n
    beyond = [1.7, -3.0] if m > 1 else []  # the S^1 oracle is cos(n acos t): complex for |t| > 1
    for t in [-1.0, -0.71, 1e-9, 0.3, 0.999, 1.0] + beyond:
        balls = zonal_polynomials(m, 120, t, backend="arb", dps=30)
        assert len(balls) == 121
        for n in [0, 1, 2, 3, 7, 50, 119, 120]:
            ref = zonal_oracle(m, n, t, dps=80)
            assert arb_contains(balls[n], ref, tol=1e-75), (m, n, t, balls[n].str(40), ref)
            assert float(balls[n].rad()) <= 1e-30 * max(1.0, abs(float(balls[n].mid()))), (m, n, t)
    assert [float(b.mid()) for b in zonal_polynomials(m, 0, 0.5, backend="arb", dps=20)] == [1.0]


@pytest.mark.parametrize("alpha", [0.25, 1.5, 4.0, 12.5])
@pytest.mark.parametrize("n", [1, 6, 60])
def test_gegenbauer_float_against_mpmath(alpha, n):
    # Tolerance relative to sup |C_n^alpha| = C_n^alpha(1) on [-1, 1].
    scale = float(gegenbauer_oracle(n, alpha, 1.0))
    check_against_oracle(
        lambda t: gegenbauer(n, alpha, t), lambda t: gegenbauer_oracle(n, alpha, t),
        T, rtol=1e-12, atol=1e-12 * scale, label=f"C_{n}^{alpha}",
    )
    # and mpmath's own (hypergeometric) gegenbauer at points where it converges
    for t in (-0.7, 0.2, 0.95):
        assert abs(float(gegenbauer(n, alpha, t)) - float(mpmath.gegenbauer(n, alpha, t))) <= 1e-12 * scale


def test_gegenbauer_arb_and_mp():
    with mpmath.workdps(60):
        ref = mpmath.gegenbauer(30, mpmath.mpf(5) / 2, mpmath.mpf(0.3))
        assert arb_contains(gegenbauer(30, 2.5, 0.3, backend="arb"), ref, tol=1e-55)
        assert abs(gegenbauer(30, 2.5, 0.3, backend="mp") - ref) < abs(ref) * mpmath.mpf(10) ** -30


def test_exact_polynomials():
    t = sympy.Symbol("t")
    assert sympy.expand(chebyshev_t(4, t, backend="exact") - sympy.chebyshevt(4, t)) == 0
    assert sympy.expand(legendre(6, t, backend="exact") - sympy.legendre(6, t)) == 0
    for alpha in [sympy.Rational(1, 3), 2, sympy.Rational(7, 2)]:
        got = gegenbauer(5, alpha, t, backend="exact")
        assert sympy.expand(got - sympy.gegenbauer(5, alpha, t)) == 0
    # S^4: nu = 3/2
    nu = sympy.Rational(3, 2)
    want = sympy.gegenbauer(7, nu, t) / sympy.gegenbauer(7, nu, 1)
    assert sympy.expand(zonal_polynomial(4, 7, t, backend="exact") - want) == 0
    assert zonal_polynomial(3, 5, sympy.Rational(1, 3), backend="exact") == sympy.Rational(115, 729)


def test_zonal_value_at_one_and_vectorised_shape():
    P = zonal_polynomials(5, 30, np.ones((2, 3)))
    assert P.shape == (31, 2, 3)
    np.testing.assert_allclose(P, 1.0, rtol=0, atol=1e-14)


def test_three_term_generic_recurrence():
    # Hermite-like recurrence with c1 = 2, a_k = 2, b_k = 2(k-1): H_n(x)
    x = sympy.Symbol("x")
    vals = three_term(4, x, 2, lambda k: (2, 2 * (k - 1)), backend="exact")
    assert sympy.expand(vals[4] - sympy.hermite(4, x)) == 0


def test_bad_input():
    with pytest.raises(ValueError, match="n must be >= 0"):
        zonal_polynomial(2, -1, 0.5)
    with pytest.raises(ValueError, match="m must be >= 1"):
        zonal_polynomial(0, 2, 0.5)
    with pytest.raises(TypeError, match="n must be an integer"):
        zonal_polynomial(2, 2.0, 0.5)
    with pytest.raises(ValueError, match="alpha"):
        gegenbauer(3, -0.5, 0.2)
    with pytest.raises(ValueError, match="alpha"):
        gegenbauer(3, 0, 0.2)
    with pytest.raises(ValueError, match="NaN"):
        zonal_polynomial(2, 3, np.array([0.1, np.nan]))
