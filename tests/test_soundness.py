"""Proven means proven: adversarial soundness, rounding bounds, refusals of bad or infeasible input.

The reproducers of the soundness issue live in ``spherical_approx.testing.soundness_cases``
(shared with the ``soundness.adversarial`` claim, which runs the full list).
"""

import math
import warnings

import mpmath
import numpy as np
import pytest
import sympy
from hypothesis import given, settings
from hypothesis import strategies as st

import spherical_approx as sa
from spherical_approx import limits
from spherical_approx.bounds import delta_net_parameters, packing_constant
from spherical_approx.certify import certify_sup_error
from spherical_approx.constructions import EpsNotMetError, NotAnalyticError, approximate, cauchy_majorants
from spherical_approx.continuity import NotLipschitzError, lipschitz_bound
from spherical_approx.heads import Prefix, UniversalHead
from spherical_approx.inequalities import prove_inequality
from spherical_approx.kernels import expected_modulus, funk_hecke_coefficients
from spherical_approx.rounding import head_rounding_bound
from spherical_approx.testing import assert_refuses, run_soundness_case, soundness_cases

x0, x1, x2, x3 = sympy.symbols("x0:4", real=True)


@pytest.mark.parametrize("case", soundness_cases(), ids=lambda c: c.name)
def test_no_proven_bound_below_a_sampled_error(case):
    ok, outcome = run_soundness_case(case, samples=10000)
    assert ok, f"{case.name}: expected {case.expect}, got {outcome}"


# --------------------------------------------------------------------------- rounding of the head


def _exact_head(X, prefix, c, dps=60):
    """The head in exact-ish arithmetic (mpmath, 60 digits) at the float64 points X."""
    ctx = mpmath.MPContext()
    ctx.dps = dps
    out = np.empty((len(X), prefix.d_out))
    for q, x in enumerate(X):
        xs = [ctx.mpf(float(v)) for v in x]
        s = [ctx.fsum(xi * ctx.mpf(float(k)) for xi, k in zip(xs, key)) + ctx.mpf(float(b))
             for key, b in zip(prefix.keys, prefix.biases)]
        M = max(s)
        w = [ctx.exp(si - M) for si in s]
        den = ctx.fsum(w) + c * ctx.exp(-M)
        for j in range(prefix.d_out):
            out[q, j] = float(ctx.fsum(wi * ctx.mpf(float(v)) for wi, v in zip(w, prefix.values[:, j])) / den)
    return out


@settings(max_examples=25, deadline=None)
@given(m=st.integers(1, 3), N=st.integers(1, 40), d_out=st.integers(1, 2), c=st.integers(0, 3),
       log_lam=st.floats(-2, 6), log_v=st.floats(-3, 9), log_b=st.floats(-3, 3), seed=st.integers(0, 2**16))
def test_float64_head_within_its_rounding_bound(m, N, d_out, c, log_lam, log_v, log_b, seed):
    rng = np.random.default_rng(seed)
    keys = rng.normal(size=(N, m + 1))
    keys *= 10**log_lam / np.linalg.norm(keys, axis=1)[:, None]
    prefix = Prefix(keys, rng.normal(size=N) * 10**log_b, rng.normal(size=(N, d_out)) * 10**log_v)
    X = sa.sample_uniform(m, 6, seed=rng)
    X[0] = keys[0] / np.linalg.norm(keys[0])  # a query on a key: one dominant weight
    got = UniversalHead(m, d_out)(X, prefix, c)
    err = np.linalg.norm(got - _exact_head(X, prefix, c), axis=1).max()
    assert err <= head_rounding_bound(prefix, c), (err, head_rounding_bound(prefix, c))


def test_rounding_bound_is_not_vacuous_and_grows_with_precision():
    prefix = Prefix(np.array([[50.0, 0.0], [0.0, 50.0]]), np.zeros(2), np.array([[1.0], [-1.0]]))
    b64 = head_rounding_bound(prefix, 1)
    b32 = head_rounding_bound(prefix, 1, dtype=np.float32, inputs_rounded=True)
    assert 1e-16 < b64 < 1e-12 and 1e-8 < b32 < 1e-3
    with pytest.raises(ValueError, match="float64 and float32"):
        head_rounding_bound(prefix, 1, dtype=np.float16)


def test_no_content_token_and_all_scores_far_below_zero_is_finite():
    # every score below -745: exp underflows unless the shift is the largest score (it was 0)
    prefix = Prefix(np.array([[-1000.0, 0.0], [-900.0, 0.0]]), np.zeros(2), np.array([[2.0], [4.0]]))
    out = UniversalHead(1, 1)(np.array([[1.0, 0.0]]), prefix, 0)
    assert np.isfinite(out).all() and abs(out[0, 0] - 4.0) < 1e-12


def test_float32_points_are_accepted():
    a = approximate(x0 * x1, 1, 0.05, method="quadrature")
    X = sa.sample_uniform(1, 50, seed=3).astype(np.float32)
    assert np.ptp(np.linalg.norm(X.astype(float), axis=1)) > 0  # not unit to float64 precision
    np.testing.assert_allclose(a(X), a(X.astype(float) / np.linalg.norm(X.astype(float), axis=1)[:, None]),
                               rtol=0, atol=1e-15)


def test_torch_float32_bound_includes_its_rounding():
    torch = pytest.importorskip("torch")
    a = approximate(sympy.exp(x0) * x1, 2, 1e-6, method="spectral")
    with pytest.warns(UserWarning, match="float32"):
        mod = a.to_torch(dtype=torch.float32)
    assert mod.error_bound > a.error_bound and mod.error_bound > 1e-6
    X = sa.sample_uniform(2, 2000, seed=5)
    err = np.abs(mod(X).detach().double().numpy()[:, 0] - np.exp(X[:, 0]) * X[:, 1]).max()
    assert err <= mod.error_bound  # the float32 module's bound holds (and is above eps: the warning)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert a.to_torch().error_bound == a.error_bound  # float64: the same proven bound
    for bad in (np.full((1, 3), np.nan), np.array([[1.0, 1.0, 0.0]])):
        with pytest.raises(ValueError, match="NaN|unit"):
            mod(bad)


# --------------------------------------------------------------------------- analyticity


def test_majorants_are_infinite_past_a_branch_point():
    finite = [r for r, M in cauchy_majorants(sympy.sqrt(2 + x0), 2, rhos=[1.5, 1.99, 2.01, 3.0]) if M < math.inf]
    assert finite == [1.5, 1.99]
    # a pole is a branch point too: 1/(3 + x0) on rho < 3 only
    finite = [r for r, M in cauchy_majorants(1 / (3 + x0), 1, rhos=[2.0, 2.9, 3.1]) if M < math.inf]
    assert finite == [2.0, 2.9]


@pytest.mark.parametrize("f", [sympy.Abs(x0), sympy.Max(x0, x1), sympy.sign(x0) * x1, sympy.floor(x0)])
def test_spectral_refuses_non_analytic_targets_by_name(f):
    with pytest.raises(NotAnalyticError, match="not analytic|analytic"):
        approximate(f, 1, 1e-3, method="spectral")


# --------------------------------------------------------------------------- Lipschitz constants


@pytest.mark.parametrize("f", [sympy.Piecewise((1, x0 > 0), (0, True)), sympy.sign(x0), sympy.floor(2 * x0),
                               sympy.ceiling(x0), sympy.Heaviside(x0), sympy.Mod(x0, 1), sympy.frac(x0),
                               sympy.atan2(x1, x0)])
def test_lipschitz_refuses_jumps(f):
    with pytest.raises(NotLipschitzError, match="may jump"):
        lipschitz_bound(f, 1)


def test_lipschitz_of_max_and_min_is_a_true_upper_bound():
    f = sympy.Max(x0, x1 * x2)
    b = lipschitz_bound(f, 2)
    # measured difference quotients never exceed it
    X = sa.sample_uniform(2, 20000, seed=0)
    Y = X + 1e-4 * np.random.default_rng(1).normal(size=X.shape)
    Y /= np.linalg.norm(Y, axis=1)[:, None]
    F = sympy.lambdify((x0, x1, x2), f, "numpy")
    q = np.abs(F(*X.T) - F(*Y.T)) / (2 * np.arcsin(np.linalg.norm(X - Y, axis=1) / 2))
    assert q.max() <= b.upper and b.lower <= b.upper
    assert lipschitz_bound(sympy.Min(x0, x1, 0), 1).upper >= 1.0


def test_unbounded_gradient_is_refused_not_inf():
    with pytest.raises(NotLipschitzError, match="unbounded"):
        lipschitz_bound(sympy.sqrt(1 + x0), 1, max_boxes=2000)


def test_callable_lipschitz_is_stated_as_assumed():
    a = approximate(lambda X: X[:, 0], 1, 0.1, method="delta_net", lipschitz=1.0)
    assert "assuming Lip(f) <= 1" in a.bound_kind


# --------------------------------------------------------------------------- bad and infeasible input

BAD = [
    # (call, exception type, fragment of the message)
    (lambda: approximate(x0, 1, 0.1, lipschitz=-5), ValueError, "lipschitz must be > 0"),
    (lambda: approximate(x0, 1, 0.1, lipschitz=math.inf), ValueError, "finite"),
    (lambda: approximate(x0, 1, 0.1, context_tokens=-1), ValueError, "context_tokens must be >= 0"),
    (lambda: approximate(x0, 1, float("nan")), ValueError, "eps must be finite"),
    (lambda: approximate(lambda X: 1.0, 1, 0.1, lipschitz=1.0), ValueError, "shape"),
    (lambda: approximate(lambda X: X[:, 0] + 1j, 1, 0.1, lipschitz=1.0), TypeError, "real"),
    (lambda: approximate(x0 + sympy.I * x1, 1, 0.1), ValueError, "not a finite real expression"),
    (lambda: approximate(lambda X: np.full(len(X), np.nan), 1, 0.1, lipschitz=1.0), ValueError, "NaN"),
    (lambda: certify_sup_error(approximate(x0, 1, 0.1, method="quadrature"), x0, 0.1, context_tokens=-1),
     ValueError, "context_tokens must be >= 0"),
    (lambda: certify_sup_error(approximate(x0, 1, 0.1, method="quadrature"), lambda X: X[:, 0], 0.1, lipschitz=-5),
     ValueError, "lipschitz must be > 0"),
    (lambda: certify_sup_error(approximate(x0, 1, 0.1, method="quadrature"), x0, float("nan")), ValueError,
     "eps must be finite"),
    (lambda: prove_inequality(lambda t: t.cos(), 1.0, 0.0), ValueError, "reversed"),
    (lambda: funk_hecke_coefficients(lambda t: float("nan"), 2, 2, backend="float"), ValueError, "NaN"),
    (lambda: expected_modulus(2, 10.0, lambda t: float("nan")), ValueError, "NaN"),
    (lambda: sa.HarmonicExpansion.from_polynomial(x0**200, 2), limits.InfeasibleError, "harmonic decomposition"),
    (lambda: sa.quadrature_rule(2, 10**6), limits.InfeasibleError, "quadrature rule"),
    (lambda: sa.quadrature_rule(10, 100), limits.InfeasibleError, "quadrature rule"),
    (lambda: sa.harmonic_basis(10, 30), limits.InfeasibleError, "harmonic basis"),
    (lambda: sa.delta_net(1, 1e-12), limits.InfeasibleError, "delta-net"),
    (lambda: sa.delta_net(3, 0.05), limits.InfeasibleError, "delta-net"),
    (lambda: sa.delta_net(2, 0.3, seed=1.5), TypeError, "seed must be an integer or a numpy Generator"),
    (lambda: sa.sample_uniform(2, 10**12), limits.InfeasibleError, r"points on S\^2"),
    (lambda: approximate(x0 * x1, 1, 1e-12, method="delta_net"), limits.InfeasibleError, "delta-net"),
    (lambda: approximate(x0 * x1, 1, 1e-12, method="fitted"), EpsNotMetError, "above eps"),
    (lambda: approximate(x0 * x1, 10, 0.1, method="delta_net"), limits.InfeasibleError, "delta-net"),
    (lambda: approximate(sympy.Abs(x0) + x1 * x2 * x3, 3, 1e-4, method="quadrature"), limits.InfeasibleError,
     "quadrature rule"),
    (lambda: delta_net_parameters(50, 1e-6, 1.0, 1.0), limits.InfeasibleError, "beyond float64"),
    (lambda: packing_constant(700), limits.InfeasibleError, "outside the range of float numbers"),
    (lambda: packing_constant(560), limits.InfeasibleError, "A_\\(m-1\\) underflows"),
    (lambda: lipschitz_bound(sympy.Max(x0, x1), 1, max_boxes=0), ValueError, "max_boxes"),
    (lambda: limits.set_limits(max_elements=-1), ValueError, "max_elements must be > 0"),
]


@pytest.mark.filterwarnings("ignore::scipy.integrate.IntegrationWarning")  # quad meets the NaN first
@pytest.mark.parametrize("call,exc,fragment", BAD, ids=[f"bad{i}" for i in range(len(BAD))])
def test_bad_or_infeasible_input_is_refused_clearly(call, exc, fragment):
    assert_refuses(call, exc, fragment)


def test_float_coefficients_decompose_exactly():
    E = sa.HarmonicExpansion.from_polynomial(0.1 * x0**2 + x1, 2)
    X = sa.sample_uniform(2, 20, seed=0)
    np.testing.assert_allclose(E(X), 0.1 * X[:, 0] ** 2 + X[:, 1], rtol=0, atol=1e-14)


def test_high_degree_basis_and_huge_dimension_stay_finite():
    Y = sa.harmonic_basis(2, 200)(sa.sample_uniform(2, 5, seed=0))
    assert np.isfinite(Y).all()
    assert sa.sphere_area(2000) == 0.0 and 0 < sa.sphere_area(400) < 1e-250


def test_limits_can_be_raised_for_one_block():
    with limits.override(max_elements=1e13, max_operations=1e16):
        limits.check_feasible("big", elements=1e12)
    with pytest.raises(limits.InfeasibleError):
        limits.check_feasible("big", elements=1e12)


@settings(max_examples=60, deadline=None)
@given(rows=st.integers(0, 4), cols=st.integers(1, 5), flat=st.booleans(),
       dtype=st.sampled_from([np.float64, np.float32, np.int64, np.complex128, object]),
       scale=st.one_of(st.floats(1e-300, 1e300), st.just(np.nan), st.just(np.inf), st.just(1.0)),
       unit=st.booleans(), seed=st.integers(0, 100))
def test_head_accepts_only_finite_unit_points_and_returns_finite_values(rows, cols, flat, dtype, scale, unit, seed):
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(rows, cols))
    if unit:
        X /= np.linalg.norm(X, axis=1, keepdims=True)
    X = X * scale
    X = X[0] if flat and rows else X
    try:
        with np.errstate(invalid="ignore", over="ignore"):  # NaN or huge to int: garbage input is fine
            X = X.astype(dtype)
    except (ValueError, OverflowError):
        return
    prefix = Prefix(rng.normal(size=(5, 3)) * 1e3, rng.normal(size=5), rng.normal(size=(5, 1)) * 1e100)
    try:
        out = UniversalHead(2, 1)(X, prefix, int(seed % 3))
    except (ValueError, TypeError) as exc:
        assert str(exc)  # a message, not a crash inside numpy
        return
    assert out.ndim == 2 and out.shape[1] == 1 and np.isfinite(out).all()
    assert out.shape[0] == (1 if X.ndim == 1 else X.shape[0])
    if out.size:  # a sub-convex combination of the values
        assert np.abs(out).max() <= np.abs(prefix.values).max() * (1 + 1e-12)


def test_cli_refuses_empty_only_and_unwritable_out_before_running(tmp_path, capsys):
    from proofs_check.__main__ import main

    assert main(["--only", ","]) == 2
    assert "names no claim" in capsys.readouterr().err
    blocker = tmp_path / "file"
    blocker.write_text("not a folder")
    assert main(["--only", "sphere.area", "--out", str(blocker / "sub")]) == 2
    assert "not a writable folder" in capsys.readouterr().err


def test_a_prefix_cannot_change_behind_its_bound():
    keys, biases, values = np.array([[2000.0, 0.0]] * 30000), np.zeros(30000), np.ones((30000, 1))
    P = Prefix(keys, biases, values)
    H = UniversalHead(1, 1)
    X = np.array([[1.0, 0.0]])
    before = (H(X, P, 1), H.truncated(X, P, 1).output)
    keys[:] = -keys  # the caller edits its own arrays afterwards: the prefix keeps its copy
    values[:] = 5.0
    np.testing.assert_array_equal(H(X, P, 1), before[0])
    np.testing.assert_array_equal(H.truncated(X, P, 1).output, before[1])
    with pytest.raises(ValueError, match="read-only"):
        P.values[0, 0] = 3.0
    a = approximate(x0, 1, 0.1, method="quadrature")
    with pytest.raises(ValueError, match="read-only"):  # was silently discarded (a fresh copy)
        a.prefix_tokens()[0, 0] = 1.0
    with pytest.raises(ValueError, match="read-only"):
        a.prefix.values[0, 0] = 1.0
    with pytest.raises(AttributeError):  # a frozen Prefix: no field can be replaced either
        a.prefix.values = np.zeros_like(a.prefix.values)


def test_torch_module_pickles_whole():
    torch = pytest.importorskip("torch")
    import io

    a = approximate(x0 * x1, 1, 0.05, method="quadrature")
    mod = a.to_torch()
    buf = io.BytesIO()
    torch.save(mod, buf)
    buf.seek(0)
    back = torch.load(buf, weights_only=False)
    X = sa.sample_uniform(1, 20, seed=0)
    np.testing.assert_array_equal(back(X).detach().numpy(), mod(X).detach().numpy())


def test_delta_net_takes_a_generator():
    P = sa.delta_net(2, 0.3, seed=np.random.default_rng(7))
    assert sa.covering_radius(P) < 0.3
