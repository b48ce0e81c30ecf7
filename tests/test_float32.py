"""The single-precision dense path: ``UniversalHead(..., dtype=np.float32)`` and
``Approximation.error_bound_in(np.float32)``."""

import numpy as np
import pytest
import sympy

import spherical_approx as sa
from spherical_approx.heads import Prefix, UniversalHead

x0, x1, x2 = sympy.symbols("x0:3")


@pytest.mark.parametrize("f, m, eps, method", [
    (sympy.Abs(x0) + x1 * x2, 2, 0.3, "quadrature"),  # a kink
    (x0 * x1 + x2**2, 2, 0.05, "spectral"),
    ([x0 * x1, x1], 1, 0.1, "quadrature"),  # two outputs
    (sympy.Abs(x0) + x0 * x1, 1, 0.2, "delta_net"),
])
def test_float32_head_is_within_its_rounding_allowance_and_its_bound(f, m, eps, method):
    a = sa.approximate(f, m, eps, method=method)
    X = np.vstack([sa.sample_uniform(m, 20000, seed=4), np.eye(m + 1), -np.eye(m + 1)])
    h64, h32 = a(X, truncated=False), a(X, dtype=np.float32)
    assert h32.dtype == np.float32 and h32.shape == h64.shape
    # both differ from the exact head by at most their allowances, so from each other by the sum
    allowed = a.evaluation_allowance(dtype=np.float32) + a.evaluation_allowance()
    assert np.abs(h32.astype(float) - h64).max() <= allowed
    bound = a.error_bound_in(np.float32)
    assert a.error_bound_in(np.float64) == a.error_bound
    assert bound >= a.error_bound  # float32 rounding only adds
    if np.isfinite(bound):
        target = sympy.lambdify(sympy.symbols(f"x0:{m + 1}"), f if isinstance(f, list) else [f], "numpy")
        F = np.stack([np.broadcast_to(np.asarray(c, float), (len(X),)) for c in target(*X.T)], axis=1)
        assert np.linalg.norm(h32.astype(float) - F, axis=1).max() <= bound


def test_float32_bound_is_inf_for_a_measured_head():
    # a measured figure is not a proof: no float32 bound is derived from it
    fitted = sa.approximate(x0 * x1, 1, 0.1, method="fitted")
    assert fitted.bound_kind.startswith("measured") and fitted.error_bound_in(np.float32) == np.inf
    assert fitted.error_bound_in(np.float64) == fitted.error_bound
    proven = sa.approximate(x0 * x1, 1, 0.05, method="quadrature")
    assert proven.error_bound < proven.error_bound_in(np.float32) <= 0.05


def test_float32_refusals():
    H = UniversalHead(1, 1)
    P = Prefix([[2.0, 0.0]], [0.0], [[3.0]])
    X = np.array([[1.0, 0.0]])
    for bad in (np.float16, np.int64, "complex128", object):
        with pytest.raises(ValueError, match="dtype"):
            H(X, P, 0, dtype=bad)
    assert H(X, P, 0, dtype="float32").dtype == np.float32
    a = sa.approximate(x0 * x1, 1, 0.1, method="quadrature")
    with pytest.raises(ValueError, match="truncated"):
        a(X, truncated=True, dtype=np.float32)
    with pytest.raises(ValueError, match="dtype"):
        a.error_bound_in(np.float16)


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize("value", [1e39, 1e36, 1e-45, 3e-320, 1e-300, 1.0])
def test_rounding_bound_holds_for_subnormal_and_huge_values(dtype, value):
    # gradual underflow errs absolutely, not relatively, and float32 overflows above 3.4e38:
    # the bound must still cover the head (or be inf), checked against a 50-digit evaluation
    import mpmath

    from spherical_approx.rounding import head_rounding_bound

    H = UniversalHead(1, 1)
    P = Prefix([[2.0, 0.0], [0.0, 2.0]], [0.0, 0.0], [[value], [0.0]])
    with np.errstate(over="ignore", invalid="ignore"):
        out = float(H(np.array([[0.6, 0.8]]), P, 1, dtype=dtype)[0, 0])
    bound = head_rounding_bound(P, 1, dtype=dtype, inputs_rounded=dtype == np.float32)
    with mpmath.workdps(50):
        w1, w2 = mpmath.exp(2 * mpmath.mpf(0.6)), mpmath.exp(2 * mpmath.mpf(0.8))
        exact = w1 * mpmath.mpf(value) / (w1 + w2 + 1)
        error = abs(mpmath.mpf(out) - exact) if np.isfinite(out) else mpmath.inf
    assert bound > 0 and error <= bound, (out, float(exact), bound)
