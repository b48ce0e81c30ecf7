import math

import mpmath
import numpy as np
import pytest
import sympy

import spherical_approx as sa
from spherical_approx.kernels import (
    distance_density,
    expected_cos_distance,
    expected_distance,
    expected_modulus,
    funk_hecke_coefficients,
    smooth,
    softmax_funk_hecke,
    softmax_multipliers,
)
from spherical_approx.testing import assert_refuses, random_polynomial

t = sympy.Symbol("t")


def _breakpoints(lam):
    return [k / math.sqrt(lam) for k in (1, 2, 4, 8, 16, 32) if k / math.sqrt(lam) < 3]


# lam as exact rationals so that both sides see the same number
FH_CASES = [(m, lam) for m in (1, 2, 3, 4, 5, 6, 7) for lam in (sympy.Rational(1, 1000), sympy.Rational(7, 4), 30)]
FH_CASES += [(1, 1000), (4, 1000)]


@pytest.mark.parametrize("m,lam", FH_CASES)
def test_closed_form_funk_hecke_matches_direct_quadrature_to_30_digits(m, lam):
    ref = softmax_funk_hecke(m, lam, 20, backend="mp", dps=40)
    # mu_20 can be 1e-85 of mu_0: the quadrature must carry those digits too
    loss = max(0, -int(mpmath.log10(abs(ref[20] / ref[0]))))
    quad = funk_hecke_coefficients(sympy.exp(lam * t), m, 20, dps=35 + loss, breakpoints=_breakpoints(float(lam)))
    for n, (a, b) in enumerate(zip(quad, ref)):
        assert abs(a - b) <= abs(b) * mpmath.mpf(10) ** -30, (m, float(lam), n)


@pytest.mark.parametrize("m,lam", [(1, sympy.Rational(1, 1000)), (2, 2), (3, 30), (5, sympy.Rational(1, 2))])
def test_arb_closed_form_and_rigorous_integral_overlap(m, lam):
    quad = funk_hecke_coefficients(sympy.exp(lam * t), m, 6, backend="arb", dps=30)
    closed = softmax_funk_hecke(m, lam, 6, backend="arb", dps=30)
    for a, b in zip(quad, closed):
        assert a.overlaps(b)
        assert float(b.rad()) <= 1e-25 * abs(float(b.mid()))


def test_float_funk_hecke_and_general_kernel():
    # a non-softmax kernel: phi(t) = t^2 has mu_0 = A_m/(m+1)... on S^2: 4 pi / 3, mu_2 = 8 pi / 15
    mu = funk_hecke_coefficients(t**2, 2, 3, backend="float")
    np.testing.assert_allclose(mu, [4 * np.pi / 3, 0, 8 * np.pi / 15, 0], atol=1e-13)
    mu_mp = funk_hecke_coefficients(lambda c: c**2, 2, 2, backend="mp", dps=30)
    with mpmath.workdps(40):
        assert abs(mu_mp[2] - 8 * mpmath.pi / 15) < mpmath.mpf(10) ** -30


def test_exact_closed_form():
    assert softmax_funk_hecke(2, sympy.Integer(1), 0, backend="exact") == [4 * sympy.pi * sympy.sinh(1)]
    # S^1: 2 pi I_n(lam)
    v = softmax_funk_hecke(1, sympy.Integer(3), 2, backend="exact")[2]
    assert abs(float(v) - 2 * math.pi * float(mpmath.besseli(2, 3))) < 1e-12


@pytest.mark.parametrize("m", [1, 2, 3, 7])
@pytest.mark.parametrize("lam", [1e-3, 1.0, 37.5, 1e3, 1e6, 1e9, 1e12])
def test_multipliers_finite_in_unit_interval_decreasing_and_accurate(m, lam):
    a = softmax_multipliers(m, lam, 1000)
    la = softmax_multipliers(m, lam, 1000, log=True)
    assert a.shape == (1001,) and np.all(np.isfinite(a)) and np.all(np.isfinite(la))
    assert a[0] == 1 and np.all((a >= 0) & (a <= 1)) and np.all(np.diff(a) <= 0)
    assert np.all(a[la > -700] > 0)  # positive wherever float64 can represent the value
    ctx = mpmath.MPContext()
    ctx.dps = 40
    nu = ctx.mpf(m - 1) / 2
    i0 = ctx.besseli(nu, lam)
    for n in (1, 2, 10, 100, 1000):
        ref = ctx.besseli(nu + n, lam) / i0
        assert abs(la[n] - float(ctx.log(ref))) <= 1e-12 * max(1.0, abs(float(ctx.log(ref)))), n
        if ref > 1e-300:
            # scipy's ive is accurate to ~1e-13 relative (measured against mpmath)
            assert abs(a[n] - float(ref)) <= 3e-13 * float(ref), n
        comp = softmax_multipliers(m, lam, n, one_minus=True)[n]
        assert abs(comp - float(1 - ref)) <= 1e-12 * float(1 - ref), n


@pytest.mark.parametrize("m", [1, 2, 5])
def test_one_minus_multiplier_first_order_heat_law(m):
    nu = (m - 1) / 2
    for lam in (1e4, 1e6, 1e9, 1e12):
        c = softmax_multipliers(m, lam, 10, one_minus=True)
        n = np.arange(1, 11)
        ratio = c[1:] * 2 * lam / (n * (n + 2 * nu))
        # 1 - a_n = n(n+2nu)/(2 lam) (1 + O(n^2 / lam))
        assert np.all(np.abs(ratio - 1) <= 2 * (n + 1) ** 2 / lam), (lam, ratio)


def test_multiplier_backends_agree():
    f = softmax_multipliers(3, 12.5, 8)
    mp = softmax_multipliers(3, 12.5, 8, backend="mp", dps=40)
    arb = softmax_multipliers(3, 12.5, 8, backend="arb", dps=40)
    for n in range(9):
        assert abs(f[n] - float(mp[n])) < 1e-15
        assert (arb[n].overlaps(sa.get_backend("arb").convert(float(mp[n])))
                or abs(float(arb[n].mid()) - float(mp[n])) < 1e-30)
    ex = softmax_multipliers(2, sympy.Integer(10), 1, backend="exact")[1]
    assert abs(float(ex) - (1 / math.tanh(10) - 0.1)) < 1e-15
    np.testing.assert_array_equal(softmax_multipliers(2, 0, 3), [1, 0, 0, 0])


def test_softmax_funk_hecke_overflow_and_log():
    with pytest.raises(OverflowError, match="log=True"):
        softmax_funk_hecke(2, 1e4, 2)
    logs = softmax_funk_hecke(2, 1e12, 3, log=True)
    assert all(np.isfinite(logs))
    ref = mpmath.log(softmax_funk_hecke(2, 1e12, 0, backend="mp")[0])
    assert abs(logs[0] - float(ref)) < 1e-15 * float(ref)


@pytest.mark.parametrize("m", [1, 2, 3])
def test_smooth_matches_brute_force_integral(m):
    xs = sa.sphere_symbols(m)
    p = random_polynomial(m, 4, seed=m)
    E = sa.HarmonicExpansion.from_polynomial(p, m)
    lam = 6.0
    X = sa.sample_uniform(m, 20, seed=2)
    Y, w = sa.quadrature_rule(m, 90, method="product")
    fp = sympy.lambdify(xs, p, "numpy")
    # S f(x) = int e^(lam <x,y>) f(y) dsigma / mu_0, scaled by e^-lam on both sides
    K = w * np.exp(lam * (X @ Y.T - 1))
    mu0_scaled = math.exp(softmax_funk_hecke(m, lam, 0, log=True)[0] - lam)
    brute = K @ fp(*Y.T) / mu0_scaled
    for pred in (smooth(E, lam)(X), smooth(sa.HarmonicExpansion.from_function(p, m, 4), lam)(X)):
        np.testing.assert_allclose(pred, brute, atol=1e-12 * np.abs(brute).max())
    # exact multipliers stay symbolic
    S = smooth(E, sympy.Integer(6), backend="exact")
    assert S.exact and any(c.has(sympy.besseli) for c in S._exact[1])


@pytest.mark.parametrize("m", [1, 2, 4])
@pytest.mark.parametrize("lam", [0.5, 20.0, 1e4, 1e8])
def test_distance_law_normalised_and_mean_cosine(m, lam):
    from scipy.integrate import quad

    pts = [0.0] + [k / math.sqrt(lam) for k in (0.5, 1, 2, 4, 8, 16, 32) if k / math.sqrt(lam) < math.pi] + [math.pi]
    mass = sum(quad(lambda s: distance_density(m, lam, s), a, b, epsabs=0, epsrel=1e-12)[0]
               for a, b in zip(pts[:-1], pts[1:]))
    assert abs(mass - 1) < 1e-10
    # E[1 - cos Theta] = 1 - a_1, computed without cancellation
    ecomp = expected_modulus(m, lam, lambda s: 2 * math.sin(s / 2) ** 2)
    comp = softmax_multipliers(m, lam, 1, one_minus=True)[1]
    assert abs(ecomp - comp) <= 1e-9 * comp
    assert abs(expected_cos_distance(m, lam) - (1 - comp)) < 1e-14


def test_expected_distance_mp_and_limits():
    e_f = expected_distance(3, 50.0)
    e_mp = expected_distance(3, 50.0, backend="mp", dps=30)
    assert abs(e_f - float(e_mp)) < 1e-12
    # large lam: Theta ~ chi_m / sqrt(lam): E = sqrt(2/lam) Gamma((m+1)/2)/Gamma(m/2)
    lam = 1e8
    for m in (1, 2, 3):
        limit = math.sqrt(2 / lam) * math.gamma((m + 1) / 2) / math.gamma(m / 2)
        assert abs(expected_distance(m, lam) / limit - 1) < 1e-6


BAD = [
    (lambda: softmax_multipliers(2, -1.0, 3), ValueError, "lam must be >= 0"),
    (lambda: softmax_multipliers(2, float("nan"), 3), ValueError, "finite"),
    (lambda: softmax_multipliers(2, 1.0, -3), ValueError, "nmax"),
    (lambda: softmax_multipliers(0, 1.0, 3), ValueError, "m must be >= 1"),
    (lambda: softmax_funk_hecke(2, 0.0, 3), ValueError, "lam must be > 0"),
    (lambda: softmax_multipliers(2, "big", 3), TypeError, "lam"),
    (lambda: distance_density(2, 1.0, 4.0), ValueError, "theta"),
    (lambda: smooth([1, 2], 1.0), TypeError, "HarmonicExpansion"),
    (lambda: funk_hecke_coefficients(t, 2, 2, backend="exact"), ValueError, "numerically"),
    (lambda: funk_hecke_coefficients(t * sympy.Symbol("s"), 2, 2), ValueError, "one variable"),
]


@pytest.mark.parametrize("call,exc,msg", BAD)
def test_bad_input(call, exc, msg):
    assert_refuses(call, exc, msg)
