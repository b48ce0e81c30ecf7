import math

import flint
import numpy as np
import pytest
import sympy
from scipy.optimize import minimize

import spherical_approx as sa
from spherical_approx.continuity import arb_function, lipschitz_bound, modulus_of_continuity, sup_norm_bound
from spherical_approx.testing import assert_refuses

x0, x1, x2 = sympy.symbols("x0:3")


def _true_sup(fun, m, starts=400, seed=0):
    """A reference maximum of fun over S^m: dense sampling, then local optimisation."""
    X = sa.sample_uniform(m, 20000, seed=seed)
    vals = np.array([fun(x) for x in X])
    best = -np.inf
    for x in X[np.argsort(vals)[-starts // 20:]]:
        res = minimize(lambda u: -fun(u / np.linalg.norm(u)), x, method="Nelder-Mead",
                       options={"xatol": 1e-12, "fatol": 1e-14, "maxiter": 4000})
        best = max(best, -res.fun)
    return best


def _grad_t_norm(expr, m):
    gens = sa.sphere_symbols(m)
    e = expr.xreplace({sympy.Symbol(g.name): g for g in gens})
    grad = sympy.lambdify(gens, [sympy.diff(e, g) for g in gens], "numpy")

    def fun(x):
        g = np.array(grad(*x), dtype=float)
        return float(np.sqrt(max(g @ g - (x @ g) ** 2, 0.0)))

    return fun


CASES = [
    (x0 * x1 + x2**3, 2),
    (sympy.exp(x0) * sympy.sin(x1 + x2), 2),
    (x0**2 - x1 * x2 + x2, 2),
    (x0 * x1, 1),
]


@pytest.mark.parametrize("expr,m", CASES)
def test_certified_lipschitz_is_an_upper_bound_within_10_percent(expr, m):
    true = _true_sup(_grad_t_norm(expr, m), m)
    b = lipschitz_bound(expr, m)
    assert b.upper >= true, (b.upper, true)
    assert b.upper <= 1.1 * true
    assert b.lower <= true * (1 + 1e-9)
    # the sampled modulus never exceeds the certified bound
    for delta in (0.01, 0.1, 0.5):
        est = modulus_of_continuity(expr, m, delta, samples=5000)
        assert est.value <= b.upper * delta
        x, y = est.witness
        assert sa.geodesic_distance(x, y) <= delta


def test_lipschitz_of_abs_expression():
    # |x0| + x1 x2 on S^2 (not differentiable on x0 = 0): Lip = sqrt(2) (a 45-degree arc through x0 = 0)
    b = lipschitz_bound(sympy.Abs(x0) + x1 * x2, 2)
    est = modulus_of_continuity(sympy.Abs(x0) + x1 * x2, 2, 0.01, samples=20000)
    assert est.value / 0.01 <= b.upper
    assert b.upper >= math.sqrt(2) and b.upper <= 1.1 * math.sqrt(2)


def test_lipschitz_bound_refutes_a_too_small_constant():
    # x2 on S^2 has Lipschitz constant exactly 1 (attained on the equator)
    b = lipschitz_bound(x2, 2, rtol=1e-3)
    assert 1.0 <= b.upper <= 1.001 and abs(b.lower - 1) < 1e-12


def test_modulus_is_a_lower_bound_and_close():
    # omega(x2, delta) = 2 sin(delta/2) * ... for f = x2: max |cos a - cos b| with |a - b| <= delta is 2 sin(delta/2)
    for delta in (0.05, 0.3, 1.0):
        est = modulus_of_continuity(x2, 2, delta)
        exact = 2 * math.sin(delta / 2)
        assert est.value <= exact + 1e-12
        assert est.value >= 0.999 * exact


def test_vector_valued_modulus_and_lipschitz():
    f = [x0, x1]
    est = modulus_of_continuity(f, 2, 0.2)
    b = lipschitz_bound(f, 2)
    assert est.value <= b.upper * 0.2 and b.upper >= 1.0


@pytest.mark.parametrize("expr,m,true", [(x0 * x1, 2, 0.5), (x0 + x1 + x2, 2, math.sqrt(3)),
                                          (sympy.exp(x0) * sympy.sin(x1 + x2), 2, None)])
def test_certified_sup_norm(expr, m, true):
    b = sup_norm_bound(expr, m)
    if true is None:
        gens = sa.sphere_symbols(m)
        f = sympy.lambdify(gens, expr.xreplace({sympy.Symbol(f"x{i}"): g for i, g in enumerate(gens)}))
        true = _true_sup(lambda x: abs(f(*x)), m)
    assert true <= b.upper <= 1.01 * true


def test_arb_function_is_rigorous():
    f = arb_function(sympy.Rational(1, 3) * x0 + sympy.pi + sympy.sqrt(x1), (x0, x1))
    with flint.ctx.workprec(200):
        v = f(flint.arb(3), flint.arb(4))
        assert (v - (flint.arb.pi() + 3)).contains(0)
        assert float(v.rad()) < 1e-50
    ball = f(flint.arb(0, 0.1), flint.arb(1, 0.1))
    for a, b in [(-0.1, 0.9), (0.1, 1.1), (0.0, 1.0)]:
        assert ball.contains(flint.arb(a) / 3 + flint.arb.pi() + flint.arb(b).sqrt())


BAD = [
    (lambda: modulus_of_continuity(x0, 2, 0.0), ValueError, "delta"),
    (lambda: modulus_of_continuity(x0, 2, 4.0), ValueError, "delta"),
    (lambda: modulus_of_continuity(lambda X: np.full(len(X), np.nan), 2, 0.1), ValueError, "NaN"),
    (lambda: lipschitz_bound(x0 + sympy.Symbol("y"), 2), ValueError, "other than"),
    (lambda: lipschitz_bound(sympy.gamma(x0), 2), ValueError, "cannot certify a Lipschitz constant through gamma"),
    (lambda: sup_norm_bound(x0, 0), ValueError, "m must be >= 1"),
]


@pytest.mark.parametrize("call,exc,msg", BAD)
def test_bad_input(call, exc, msg):
    assert_refuses(call, exc, msg)


def test_square_root_of_nonnegative_part_keeps_undefined_balls_undefined():
    # an enclosure that is NaN (an unbounded gradient) must not become the finite ball 0
    import flint

    from spherical_approx.boxes import sqrt_nonnegative

    assert not sqrt_nonnegative(flint.arb("nan")).is_finite()
    assert sqrt_nonnegative(flint.arb(-2, 1)) == 0  # certainly negative: max(v, 0) = 0
    assert sqrt_nonnegative(flint.arb(-1, 2)).contains(1) and sqrt_nonnegative(flint.arb(4)).contains(2)
