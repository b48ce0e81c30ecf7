from fractions import Fraction

import flint
import mpmath
import pytest
import sympy

from spherical_approx.arith import BACKENDS, dps_to_bits, get_backend
from spherical_approx.testing import arb_contains


def test_every_backend_computes_gamma_half_integer():
    # Gamma(5/2) = 3 sqrt(pi) / 4
    exact = get_backend("exact")
    with exact.local():
        assert exact.gamma(exact.rational(5, 2)) == 3 * sympy.sqrt(sympy.pi) / 4
    ref = mpmath.mpf(3) * mpmath.sqrt(mpmath.pi) / 4
    for name in ("mp", "arb", "float"):
        B = get_backend(name, dps=40)
        with B.local():
            v = B.gamma(B.rational(5, 2))
            if name == "arb":
                with mpmath.workdps(60):
                    assert arb_contains(v, 3 * mpmath.sqrt(mpmath.pi) / 4)
                assert float(v.rad()) < 1e-40
            else:
                assert abs(B.to_float(v) - float(ref)) < 1e-15


def test_mp_backend_carries_requested_digits_without_touching_global_precision():
    before = mpmath.mp.prec
    B = get_backend("mp", dps=60)
    with B.local():
        v = B.sqrt(B.rational(2))
    assert mpmath.mp.prec == before
    with mpmath.workdps(80):
        assert abs(v - mpmath.sqrt(2)) < mpmath.mpf(10) ** -60


def test_arb_precision_is_local():
    before = flint.ctx.prec
    B = get_backend("arb", dps=50)
    with B.local():
        assert flint.ctx.prec > before
        v = B.sqrt(B.rational(2))
    assert flint.ctx.prec == before
    assert float(v.rad()) < 1e-50


def test_rational_conversions_are_exact():
    B = get_backend("exact")
    assert B.convert(Fraction(3, 7)) == sympy.Rational(3, 7)
    assert B.convert("5/11") == sympy.Rational(5, 11)
    F = get_backend("float")
    assert F.convert(sympy.Rational(1, 4)) == 0.25


@pytest.mark.parametrize("bad", ["quad", "", None, 3])
def test_unknown_backend_is_rejected(bad):
    with pytest.raises(ValueError, match="backend must be one of"):
        get_backend(bad)


@pytest.mark.parametrize("dps", [0, -3, 2.5, True])
def test_bad_dps_is_rejected(dps):
    with pytest.raises(ValueError, match="dps"):
        get_backend("mp", dps=dps)


def test_backend_names():
    assert set(BACKENDS) == {"exact", "mp", "arb", "float"}
    assert [get_backend(n).bits for n in BACKENDS] == [None, 136, 133, 53]
    assert get_backend("arb", 30).bits == dps_to_bits(30) == 133


def test_backend_functions_agree_across_number_systems():
    # every function compile_expression reads from a Backend, at one point, in all three numeric systems
    import flint

    x = Fraction(3, 10)
    for name in ("sqrt", "exp", "log", "sin", "cos", "tan", "atan", "sinh", "cosh", "tanh", "abs", "sign"):
        ref = float(getattr(get_backend("mp", 40), name)(get_backend("mp", 40).convert(x)))
        got_float = getattr(get_backend("float"), name)(float(x))
        with get_backend("arb", 30).local():
            ball = getattr(get_backend("arb", 30), name)(get_backend("arb", 30).convert(x))
        assert abs(got_float - ref) <= 4e-16 * max(1, abs(ref)), name
        assert abs(float(ball.mid()) - ref) <= 2e-16 * max(1, abs(ref)) and float(ball.rad()) < 1e-30, name
    A = get_backend("arb", 30)
    with A.local():
        assert A.sign(flint.arb(0, 1)).contains(-1) and A.sign(flint.arb(0, 1)).contains(1)
        assert A.power(flint.arb(0, 1), 2).contains(1) and A.power(flint.arb(0, 1), -1).is_finite() is False
        assert A.min(flint.arb(1), flint.arb(2)) == 1 and A.max(flint.arb(1), flint.arb(2)) == 2
    assert get_backend("exact").besseli(sympy.Rational(1, 2), 1) == sympy.besseli(sympy.Rational(1, 2), 1)
