"""The float enclosures behind the certificates: every bound checked against arb."""

import flint
import numpy as np

from spherical_approx._outward import U, exp_bounds, minus_bounds, sum_lower, sum_upper


def _points():
    rng = np.random.default_rng(7)
    edge = [-700.0, -699.9999999, -40.0, -1e-300, 0.0, 5e-324, 2.0**-41, 2.0**-26, 2.0**-26 - 2.0**-80,
            -2.0**-27, 1.0 - 2.0**-53, 1.0, 699.999, 700.0]
    return np.concatenate([edge, rng.uniform(-60, 60, 3000), rng.uniform(-700, 700, 500),
                           np.nextafter(np.arange(-50.0, 50.0), np.inf), np.nextafter(np.arange(-50.0, 50.0), -np.inf)])


def test_exp_bounds_enclose_exp_and_are_tight():
    x = _points()
    lo, hi = exp_bounds(x)
    bad = []
    with flint.ctx.workprec(200):
        for xi, l, h in zip(x, lo, hi):
            e = flint.arb(float(xi)).exp()
            if not (l <= e.lower() and e.upper() <= h):
                bad.append((xi, l, h))
    assert not bad, f"{len(bad)} points not enclosed, first: {bad[:5]}"
    assert np.max(hi / lo - 1) < 1e-14  # the margins 1 -+ 2^-48 and the tables' ulps: relative 8.7e-15


def test_exp_bounds_outside_the_table_range():
    lo, hi = exp_bounds(np.array([-800.0, -np.inf, 700.5, np.inf, np.nan]))
    assert lo.tolist() == [0.0] * 5
    assert 0 < hi[0] < 1e-300 and hi[1] == hi[0]
    assert np.isinf(hi[2:]).all()


def test_sum_bounds_bracket_the_exact_sum():
    rng = np.random.default_rng(3)
    for n in (1, 10, 1000, 100_000):
        a = rng.random(n) * 10.0 ** rng.uniform(-20, 20, n)
        exact = flint.arb(0)
        with flint.ctx.workprec(2000):  # exact for these magnitudes
            for v in a:
                exact += float(v)
            assert sum_lower(a) <= exact.lower() and exact.upper() <= sum_upper(a)
        assert sum_upper(a) / sum_lower(a) - 1 < 10 * (n + 1) * U


def test_minus_bounds_bracket_the_difference():
    rng = np.random.default_rng(5)
    x, c = rng.uniform(-1e6, 1e6, 500), 123456.789
    lo, hi = minus_bounds(x, c)
    with flint.ctx.workprec(200):
        for xi, l, h in zip(x, lo, hi):
            d = flint.arb(float(xi)) - flint.arb(c)
            assert l <= d.lower() and d.upper() <= h
