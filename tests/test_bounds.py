import math

import mpmath
import numpy as np
import pytest
import sympy

import spherical_approx as sa
from spherical_approx.bounds import (
    delta_net_parameters,
    discretisation_bound,
    packing_constant,
    paper_rate_exponent,
    quadrature_lipschitz_bound,
    quadrature_parameters,
    smoothing_bound,
)
from spherical_approx.inequalities import prove_cap_inequality, prove_gap_inequality
from spherical_approx.kernels import smooth, softmax_multipliers
from spherical_approx.tails import bessel_tail


def test_paper_exponent():
    assert [paper_rate_exponent(m) for m in (1, 2, 3, 4)] == [28, 54, 88, 130]


def test_packing_constant_is_tight_on_the_circle_and_bounds_real_nets():
    assert packing_constant(1, backend="exact") == 2 * sympy.pi
    for delta in (0.5, 0.1, 0.013):
        N = len(sa.delta_net(1, delta))
        # floor(2 pi / delta) <= 2 pi / delta: within one point of the bound
        assert N <= packing_constant(1) / delta < N + 1
    for m, delta in [(2, 0.1), (3, 0.3)]:
        assert len(sa.delta_net(m, delta)) <= packing_constant(m) * delta**-m
    with mpmath.workdps(40):
        assert abs(packing_constant(3, backend="mp") - 3 * mpmath.pi**3) < 1e-25  # 2*3*pi^2 * 2pi^2/(4pi)


def test_delta_net_parameters_meet_eps_and_lambda_loc_is_exact():
    for m, eps, L, B, T in [(1, 0.01, 1, 1, 1), (2, 0.05, 2, 3, 8), (3, 0.3, 1, 1, 0)]:
        p = delta_net_parameters(m, eps, L, B, T)
        assert p.delta == min(0.5, eps / (6 * L))
        assert p.error_bound <= eps
        assert p.near_term == pytest.approx(3 * L * p.delta, rel=1e-15)
        # the far mass N e^(-lam_loc delta^2/2) equals delta/pi by the choice of lam_loc
        assert p.N * math.exp(-p.lambda_loc * p.delta**2 / 2) == pytest.approx(p.delta / math.pi, rel=1e-12)
        if T:
            assert B * T * math.exp(-p.lambda_ctx * math.cos(p.delta)) == pytest.approx(eps / 2, rel=1e-12)
    with pytest.raises(ValueError, match="eps"):
        delta_net_parameters(2, 0.0, 1, 1)


def test_smoothing_bound_is_attained_by_a_distance_function():
    # f(y) = d(y, e) is 1-Lipschitz and S f(e) - f(e) = E[Theta]: the bound L E[Theta] is attained.
    m, lam = 2, 40.0
    b = smoothing_bound(m, lam)
    e = np.array([0.0, 0.0, 1.0])
    Y, w = sa.quadrature_rule(m, 400, method="product")
    K = w * np.exp(lam * (Y @ e - 1))
    Sf = K @ sa.geodesic_distance(Y, e) / K.sum()
    # the 2-d rule meets the cusp of d(., e) at e, so it agrees to ~1e-5 only
    assert abs(Sf - b.bound_expected) < 2e-5 * b.bound_expected
    # on S^2 the closed form tends to sqrt(pi) E[Theta] as lam grows (Rayleigh law)
    assert b.bound_expected <= b.bound_closed_form <= 1.01 * math.sqrt(math.pi) * b.bound_expected
    # and for a smooth f = x2 the measured sup |S f - f| = 1 - a_1 is below the bound
    assert softmax_multipliers(m, lam, 1, one_minus=True)[1] <= b.bound_expected


def test_bessel_tail_against_mpmath_and_arb():
    for m, lam, K in [(1, 5.0, 10), (2, 30.0, 40), (3, 12.0, 20), (2, 1000.0, 300)]:
        ctx = mpmath.MPContext()
        ctx.dps = 30
        nu = ctx.mpf(m - 1) / 2
        i0 = ctx.besseli(nu, lam)
        def term(n, m=m, nu=nu, lam=lam, i0=i0, ctx=ctx):
            return sa.harmonic_dimension(m, int(n)) * ctx.besseli(nu + n, lam) / i0

        ref = ctx.nsum(term, [K + 1, ctx.inf])
        got = bessel_tail(m, lam, K)
        assert abs(got - float(ref)) <= 1e-12 * float(ref), (m, lam, K)
        ball = bessel_tail(m, lam, K, backend="arb")
        lo, hi = float(ball.lower()), float(ball.upper())
        assert lo <= float(ref) <= hi and hi - lo <= 1e-10 * float(ref)


def test_cached_bessel_tails_agree_with_direct_sums():
    # bessel_tail reads a cached table of all tails per (m, lam); the far tails are summed from K
    from spherical_approx.tails import _float_tail_from, _float_tails

    for m, lam in [(1, 0.3), (2, 30.0), (3, 2500.0), (2, 1.2e5)]:
        tails, rest = _float_tails(m, lam)
        for K in {0, 1, 7, int(lam ** 0.5), int(3 * lam ** 0.5), len(tails) // 2}:
            direct = _float_tail_from(m, lam, K)
            assert abs(bessel_tail(m, lam, K) - direct) <= 1e-13 * direct, (m, lam, K)


@pytest.mark.parametrize("lam,D", [(30.0, 40), (30.0, 30), (10.0, 14), (5.0, 10), (20.0, 25)])
def test_discretisation_bound_against_the_compiled_quadrature_head(lam, D):
    x0, x1, x2 = sa.sphere_symbols(2)
    p = x0 * x1 + x2**3  # ||p||_inf = 1
    E = sa.HarmonicExpansion.from_polynomial(p, 2)
    X = sa.sample_uniform(2, 3000, seed=0)
    Y, w = sa.quadrature_rule(2, D, method="product")
    W = w * np.exp(lam * (X @ Y.T - 1))
    h = W @ sympy.lambdify((x0, x1, x2), p)(*Y.T) / W.sum(1)
    measured = np.abs(h - smooth(E, lam)(X)).max()
    bound = discretisation_bound(2, lam, D, 3, 1.0)
    # measured <= bound, and the bound is not loose by more than 10^4 (measured: 140x to 540x)
    assert measured <= bound <= 1e4 * measured


def test_quadrature_lipschitz_bound_against_distance_target():
    # f = d(., e), L = 1: the head at e averages d(e, y_j) with the softmax weights
    m, lam = 2, 200.0
    q = quadrature_parameters(m, 0.25)
    for lam, D in [(200.0, 80), (q.lam, q.rule_degree)]:
        Y, w = sa.quadrature_rule(m, D)
        X = sa.sample_uniform(m, 300, seed=1)
        S = X @ Y.T
        W = w * np.exp(lam * (S - S.max(axis=1, keepdims=True)))
        fY = sa.geodesic_distance(Y, np.array([0.0, 0.0, 1.0]))
        fX = sa.geodesic_distance(X, np.array([0.0, 0.0, 1.0]))
        measured = np.abs(W @ fY / W.sum(1) - fX).max()
        bound = quadrature_lipschitz_bound(m, lam, D)
        # measured ratios bound/measured: 3.3 at (200, 80), where eta_D still counts
        assert measured <= bound <= 5 * measured, (lam, D, measured, bound)


def test_quadrature_parameters_meet_eps():
    for m, eps in [(1, 0.1), (2, 0.1), (1, 0.01)]:
        q = quadrature_parameters(m, eps)
        assert q.error_bound <= eps and q.N == sa.rule_size(m, q.rule_degree)
        assert quadrature_lipschitz_bound(m, q.lam, q.rule_degree) == pytest.approx(q.error_bound)
    x0, x1, x2 = sa.sphere_symbols(2)
    E = sa.HarmonicExpansion.from_polynomial(x0 * x1 + x2**3, 2)
    q = quadrature_parameters(2, 0.01, expansion=E)
    assert q.error_bound <= 0.01 and q.target == "polynomial"


def test_gap_inequality_proved_and_wrong_constant_refuted():
    assert prove_gap_inequality().proved
    assert not prove_gap_inequality(constant=1.51).proved  # the true limit at 0 is 3/2
    assert prove_gap_inequality(constant=1.49, upper=0.01).proved


@pytest.mark.parametrize("m", [1, 2, 3, 4, 6])
def test_cap_inequality_proved(m):
    assert prove_cap_inequality(m).proved
    # the inequality at d = 1/2 has slack R(1/2); claiming more than that fails
    slack = sa.cap_area(m, 0.25) * 2 * m * math.pi ** (m - 1) / (sa.sphere_area(m - 1) * 0.5**m)
    assert not prove_cap_inequality(m, constant_factor=slack * 1.001).proved
    if m > 1:
        assert prove_cap_inequality(m, constant_factor=slack * 0.99).proved
