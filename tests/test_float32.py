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
