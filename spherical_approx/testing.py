"""Test helpers shipped with the library, for our tests and for users' own checks.

In the manner of scipy.special's ``FuncData``: compare a function against an
oracle point by point and, on failure, print *every* failing point, not just
the first.

Examples
--------
>>> import numpy as np, mpmath
>>> from spherical_approx.gegenbauer import zonal_polynomial
>>> t = np.linspace(-1, 1, 7)
>>> check_against_oracle(lambda t: zonal_polynomial(2, 5, t),
...                      lambda t: mpmath.legendre(5, t), t, rtol=1e-13, label="P_5")
"""

from __future__ import annotations

import itertools
import re

import mpmath
import numpy as np
import sympy

from .sphere import polynomial_integral

__all__ = [
    "assert_refuses",
    "check_against_oracle",
    "random_polynomial",
    "exact_sphere_integral",
    "arb_contains",
    "zonal_oracle",
    "gegenbauer_oracle",
    "SoundnessCase",
    "soundness_cases",
    "run_soundness_case",
]


def assert_refuses(call, exception, message):
    """Assert that ``call()`` raises ``exception`` with a message matching ``message``.

    The shared check of every bad-input test: a refusal must be the documented
    exception, and its message must name the problem.

    Parameters
    ----------
    call : callable
        Called without arguments.
    exception : type
        The exception class expected (subclasses count).
    message : str
        A regular expression searched for in the exception's message.

    Raises
    ------
    AssertionError
        If ``call()`` returns, raises another exception, or says something else;
        the message shows what happened instead.

    Examples
    --------
    >>> assert_refuses(lambda: int("x"), ValueError, "invalid literal")
    >>> assert_refuses(lambda: 1, ValueError, "")
    Traceback (most recent call last):
    ...
    AssertionError: expected ValueError matching '', but the call returned 1
    """
    try:
        result = call()
    except exception as exc:
        if not re.search(message, str(exc)):
            raise AssertionError(f"{type(exc).__name__} raised, but its message {str(exc)!r} does not match "
                                 f"{message!r}") from exc
        return
    except Exception as exc:
        raise AssertionError(f"expected {exception.__name__} matching {message!r}, got {type(exc).__name__}: "
                             f"{exc}") from exc
    raise AssertionError(f"expected {exception.__name__} matching {message!r}, but the call returned {result!r:.200}")


def check_against_oracle(func, oracle, points, rtol, atol=0.0, label="", dps=40):
    """Assert ``|func(p) - oracle(p)| <= atol + rtol |oracle(p)|`` at every point.

    ``func`` is called once on the whole array of points (vectorised);
    ``oracle`` is called per point inside a private mpmath context at ``dps``
    digits (the global ``mpmath.mp`` is not touched) and may return an mpf.
    On failure an ``AssertionError`` lists every failing point with both
    values and the relative error.

    Parameters
    ----------
    func : callable
        The function under test.
    oracle : callable
        The reference.
    points : iterable
        Arguments.
    rtol : float
        Relative tolerance.
    atol : float
        Absolute tolerance.
    label : str
        Name in the failure message.
    dps : int, optional
        Decimal digits for "mp" and "arb".
    """
    pts = np.asarray(points)
    got = np.asarray(func(pts), dtype=float).reshape(pts.shape[0] if pts.ndim > 1 else pts.shape)
    ctx = mpmath.MPContext()
    ctx.dps = dps
    bad = []
    for idx, p in enumerate(pts):
        ref = ctx.mpf(oracle(p))
        tol = atol + rtol * abs(ref)
        err = abs(ctx.mpf(float(got.flat[idx])) - ref)
        if not err <= tol:  # also catches NaN
            rel = err / abs(ref) if ref != 0 else ctx.inf
            bad.append(f"  {label} at {p!r}: got {got.flat[idx]!r}, expected {ctx.nstr(ref, 17)}, "
                       f"abs err {ctx.nstr(err, 3)}, rel err {ctx.nstr(rel, 3)}")
    if bad:
        raise AssertionError(f"{len(bad)} of {len(pts)} points fail (rtol={rtol}, atol={atol}):\n"
                             + "\n".join(bad))


def random_polynomial(m, degree, seed=None, variables=None, exact_degree=True):
    """A random dense sympy polynomial of total degree ``degree`` in x0..xm.

    Coefficients are small random rationals; with ``exact_degree`` at least one
    monomial of top degree has a nonzero coefficient.

    Parameters
    ----------
    m : int
        Sphere dimension, m >= 1.
    degree : int
        Polynomial degree, >= 0.
    seed : int or numpy.random.Generator, optional
        Random seed or generator.
    variables : tuple of sympy.Symbol, optional
        The coordinates (default x0..xm).
    exact_degree : bool
        Make the top-degree part nonzero.

    Returns
    -------
    sympy expression
        The polynomial.
    """
    rng = np.random.default_rng(seed)
    gens = variables or sympy.symbols(f"x0:{m + 1}", real=True)
    terms = []
    for d in range(degree + 1):
        for exps in _compositions(d, m + 1):
            c = sympy.Rational(int(rng.integers(-9, 10)), int(rng.integers(1, 6)))
            terms.append(c * sympy.Mul(*[g**e for g, e in zip(gens, exps)]))
    if exact_degree and degree > 0:
        terms.append(sympy.Rational(1, 3) * gens[int(rng.integers(0, m + 1))] ** degree)
    return sympy.Add(*terms)


def _compositions(total, parts):
    """All tuples of ``parts`` nonnegative integers summing to ``total``."""
    for cuts in itertools.combinations(range(total + parts - 1), parts - 1):
        prev, out = -1, []
        for c in cuts:
            out.append(c - prev - 1)
            prev = c
        out.append(total + parts - 2 - prev)
        yield tuple(out)


def exact_sphere_integral(expr, m, variables=None):
    """Exact ``int_{S^m} p d sigma`` of a sympy polynomial p in x0..xm.

    Parameters
    ----------
    expr : sympy expression
        An expression in the coordinates x0..xm.
    m : int
        Sphere dimension, m >= 1.
    variables : tuple of sympy.Symbol, optional
        The coordinates (default x0..xm).

    Returns
    -------
    sympy expression
        The integral.
    """
    gens = variables or sympy.symbols(f"x0:{m + 1}", real=True)
    return polynomial_integral(sympy.Poly(expr, *gens))


def arb_contains(ball, value, tol=0) -> bool:
    """True if the arb ``ball`` comes within ``tol`` of ``value`` (mpmath mpf, float or int).

    With ``tol = 0`` this is exact containment. An oracle value computed to
    finitely many digits carries its own error, so pass that error as ``tol``
    when the ball may be narrower than the oracle is accurate. The mpf is
    converted to an exact arb (mantissa times a power of two) and the distance is
    bounded below rigorously, so the test never depends on a working precision.

    Parameters
    ----------
    ball : flint.arb
        The ball.
    value : mpf, float or int
        The value.
    tol : float
        Allowed distance.

    Returns
    -------
    bool
        Whether the ball comes within tol of the value.
    """
    import flint

    # Read the binary value without rounding (mpmath.mpf() would round to the
    # global precision, 53 bits by default).
    raw = value._mpf_ if hasattr(value, "_mpf_") else mpmath.mpf(float(value))._mpf_
    sign, man, exp, bc = raw
    if man == 0 and raw != mpmath.libmp.fzero:  # inf or nan
        return False
    # 4096 guard bits: the outward rounding of the subtraction is negligible.
    with flint.ctx.workprec(bc + 4096):
        exact = flint.arb(0) if man == 0 else flint.arb(flint.fmpz((-1) ** sign * int(man))) * flint.arb(2) ** int(exp)
        gap = (ball - exact).abs_lower()
        return bool(gap <= flint.arb(tol))


def gegenbauer_oracle(n, alpha, t, dps=40):
    """Reference ``C_n^alpha(t)`` from the explicit sum, independent of the recurrence.

    ``C_n^alpha(t) = sum_k (-1)^k (alpha)_(n-k) / (k! (n-2k)!) (2t)^(n-2k)``,
    summed in a private mpmath context with 0.4 n + 20 extra digits to absorb
    the cancellation between terms; accurate to about ``dps`` digits.

    Parameters
    ----------
    n : int
        Degree, >= 0.
    alpha : number
        The parameter.
    t : number, array or sympy expression
        Where to evaluate.
    dps : int, optional
        Decimal digits for "mp" and "arb".

    Returns
    -------
    mpf
        ``C_n^alpha(t)``.
    """
    ctx = mpmath.MPContext()
    ctx.dps = dps + int(0.4 * n) + 20
    t, alpha = ctx.mpf(t), ctx.mpf(alpha)
    total = ctx.mpf(0)
    for k in range(n // 2 + 1):
        total += ((-1) ** k * ctx.rf(alpha, n - k) / (ctx.factorial(k) * ctx.factorial(n - 2 * k))
                  * (2 * t) ** (n - 2 * k))
    return total


def zonal_oracle(m, n, t, dps=40):
    """Reference value of the zonal polynomial P_n(t) of S^m, independent of the recurrence.

    m = 1: ``cos(n arccos t)``; m >= 2: :func:`gegenbauer_oracle` with
    ``nu = (m-1)/2`` divided by ``C_n^nu(1) = (2 nu)_n / n!``.

    Parameters
    ----------
    m : int
        Sphere dimension, m >= 1.
    n : int
        Degree, >= 0.
    t : number, array or sympy expression
        Where to evaluate.
    dps : int, optional
        Decimal digits for "mp" and "arb".

    Returns
    -------
    mpf
        ``P_n(t)``.
    """
    ctx = mpmath.MPContext()
    ctx.dps = dps + int(0.4 * n) + 20
    if m == 1:
        return ctx.cos(n * ctx.acos(ctx.mpf(t)))
    nu = ctx.mpf(m - 1) / 2
    return ctx.mpf(gegenbauer_oracle(n, nu, t, dps)) / (ctx.rf(2 * nu, n) / ctx.factorial(n))


# --------------------------------------------------------------------------- adversarial soundness


class SoundnessCase:
    """One adversarial request: ``build()`` returns an Approximation or raises a refusal.

    ``expect`` is "refuse" (it must raise ``refusal``), "proven" (its proven bound must
    hold against a dense sample with local maximisation), "assumed" (a bound that
    rests on a user constant: labelled so) or "measured" (labelled, and within eps
    as sampled, or refused with EpsNotMetError).

    Parameters
    ----------
    name : str
        Short name.
    build : callable
        ``build()`` returns an Approximation or raises.
    f : target
        The target.
    m : int
        Sphere dimension, m >= 1.
    expect : str
        "bound" (a head whose bound must hold) or "refusal".
    refusal : type
        The exception a refusal must raise.
    """

    def __init__(self, name, build, f, m, expect, refusal=ValueError):
        self.name, self.build, self.f, self.m, self.expect, self.refusal = name, build, f, m, expect, refusal

    def __repr__(self):
        return f"SoundnessCase({self.name!r}, expect={self.expect!r})"


def soundness_cases(full=False):
    """The adversarial cases of the soundness issue (kinks, jumps, branch points, huge
    values, wrong constants, vector targets, S^3, large lam); ``full`` adds slower ones.

    Parameters
    ----------
    full : bool
        Include the slow cases.

    Returns
    -------
    list of SoundnessCase
        The cases.
    """
    from .constructions import approximate

    x = sympy.symbols("x0:4", real=True)
    half = sympy.Rational(1, 2)
    step = sympy.Piecewise((1, x[0] > 0), (0, True))
    max_kink = sympy.Max(x[0], x[1] * x[2])

    def case(name, f, m, eps, method, expect, **options):
        """The request approximate(f, m, eps, method, **options) with its expected outcome."""
        return SoundnessCase(name, lambda: approximate(f, m, eps, method=method, **options), f, m, expect)

    def spike(X):  # a bump about 1.4e-3 wide (in angle) around (1, 0): narrower than a net at eps 0.1
        return np.exp(-((1 - X[:, 0]) / 1e-6) ** 2)

    cases = [
        case("spectral |x0 + 1/2| (kink)", sympy.Abs(x[0] + half), 1, 1e-4, "spectral", "refuse"),
        case("spectral sqrt(1 + x0^2) (branch points at +-i)", sympy.sqrt(1 + x[0] ** 2), 1, 1e-6, "spectral",
             "refuse"),
        case("spectral sqrt(1 + x0) (branch point on the sphere)", sympy.sqrt(1 + x[0]), 1, 0.01, "spectral",
             "refuse"),
        case("spectral sqrt(2 + x0) on S^2 (analytic, branch point at -2)", sympy.sqrt(2 + x[0]), 2, 1e-3,
             "spectral", "proven"),
        case("spectral 1e9 exp(x0) at eps 1e-6 (rounding)", 10**9 * sympy.exp(x[0]), 1, 1e-6, "spectral", "refuse"),
        case("delta_net step (jump)", step, 1, 0.1, "delta_net", "refuse"),
        case("delta_net atan2 (jump)", sympy.atan2(x[1], x[0]), 1, 0.1, "delta_net", "refuse"),
        case("delta_net floor(2 x0) (jumps)", sympy.floor(2 * x[0]), 1, 0.1, "delta_net", "refuse"),
        case("quadrature sign(x0) x1 (jump)", sympy.sign(x[0]) * x[1], 2, 0.2, "quadrature", "refuse"),
        case("delta_net lipschitz=0 for a callable", lambda X: X[:, 0], 1, 0.1, "delta_net", "refuse", lipschitz=0),
        case("delta_net x0 with lipschitz=0.1 (too small)", x[0], 1, 0.1, "delta_net", "refuse", lipschitz=0.1),
        case("delta_net lipschitz=nan", x[0], 1, 0.1, "delta_net", "refuse", lipschitz=float("nan")),
        case("quadrature Max(x0, x1 x2) (kinks)", max_kink, 2, 0.2, "quadrature", "proven"),
        case("delta_net |x0| at eps 1e-3 (large lam)", sympy.Abs(x[0]), 1, 1e-3, "delta_net", "proven"),
        case("spectral vector [exp(x0), sin(x1 x2)] on S^2", [sympy.exp(x[0]), sympy.sin(x[1] * x[2])], 2, 1e-6,
             "spectral", "proven"),
        case("spectral exp(x0) x3 on S^3", sympy.exp(x[0]) * x[3], 3, 1e-4, "spectral", "proven"),
        case("delta_net spike narrower than the net, wrong user L", spike, 1, 0.1, "delta_net", "assumed",
             lipschitz=1.0),
        case("fitted Max(x0, x1 x2) on S^2", max_kink, 2, 0.1, "fitted", "measured"),
    ]
    if full:
        cases += [
            case("spectral sqrt(2 + x0) on S^2 at 1e-4", sympy.sqrt(2 + x[0]), 2, 1e-4, "spectral", "proven"),
            case("spectral (1 + x0^2)^(3/2)", (1 + x[0] ** 2) ** sympy.Rational(3, 2), 1, 1e-6, "spectral",
                 "refuse"),
            case("spectral exp(sqrt(1 + x0^2))", sympy.exp(sympy.sqrt(1 + x[0] ** 2)), 1, 1e-6, "spectral",
                 "refuse"),
            case("spectral 1/(3 + x0) on S^2 (pole at -3)", 1 / (3 + x[0]), 2, 1e-6, "spectral", "proven"),
            case("spectral atan(x0/2) (branch points at +-2i)", sympy.atan(x[0] / 2), 1, 1e-6, "spectral", "proven"),
            case("spectral vector [sqrt(2 + x0), x1] on S^2", [sympy.sqrt(2 + x[0]), x[1]], 2, 1e-3, "spectral",
                 "proven"),
            case("spectral Max(x0, x1) (kink)", sympy.Max(x[0], x[1]), 1, 1e-3, "spectral", "refuse"),
            case("quadrature |x0| + x1 x2 x3 on S^3", sympy.Abs(x[0]) + x[1] * x[2] * x[3], 3, 0.3, "quadrature",
                 "proven"),
            case("delta_net Mod(x0, 1/2) (jumps)", sympy.Mod(x[0], half), 1, 0.1, "delta_net", "refuse"),
            case("delta_net frac(3 x0) (jumps)", sympy.frac(3 * x[0]), 1, 0.1, "delta_net", "refuse"),
            case("delta_net Heaviside(x1) (jump)", sympy.Heaviside(x[1]), 2, 0.2, "delta_net", "refuse"),
            case("quadrature 1e6 x0 x1 at eps 1e-3 (rounding of huge values)", 10**6 * x[0] * x[1], 1, 1e-3,
                 "quadrature", "refuse"),
            case("quadrature 1e3 x0 x1 at eps 1 (huge values)", 10**3 * x[0] * x[1], 1, 1.0, "quadrature", "proven"),
            case("fitted Max(x0, x1 x2) on S^3 at 0.05", max_kink, 3, 0.05, "fitted", "measured"),
        ]
    return cases


def run_soundness_case(case, samples=20000, seed=0):
    """Run one :class:`SoundnessCase`: ``(ok, outcome)`` with the outcome in words.

    A refusal must be a clear error of the expected type (never a crash inside numpy);
    a proven bound must be at least the sampled error (dense sample with local
    maximisation, plus a 200,001-point grid on S^1).

    Parameters
    ----------
    case : SoundnessCase
        The case.
    samples : int
        Random points for the sampled error.
    seed : int or numpy.random.Generator, optional
        Random seed or generator.

    Returns
    -------
    tuple
        ``(ok, outcome)``.
    """
    from .constructions import EpsNotMetError, sampled_sup_error

    try:
        a = case.build()
    except case.refusal as exc:
        # a measured head that misses eps may not be returned: refusing it is the right answer too
        expected = case.expect == "refuse" or (case.expect == "measured" and isinstance(exc, EpsNotMetError))
        return expected, f"refused ({type(exc).__name__}: {str(exc)[:90]})"
    except Exception as exc:  # a crash is never an acceptable answer
        return False, f"crashed: {type(exc).__name__}: {exc}"
    if case.expect == "refuse":
        return False, f"not refused: N = {a.prefix_length}, bound {a.error_bound:.3g} [{a.bound_kind}]"
    sampled = sampled_sup_error(a, case.f, case.m, samples=samples, seed=seed)
    if case.m == 1:
        from .targets import Target

        t = np.linspace(0, 2 * np.pi, 200001)
        C = np.stack([np.cos(t), np.sin(t)], 1)
        sampled = max(sampled, float(np.max(np.linalg.norm(a(C) - Target(case.f, 1)(C), axis=1))))
    kind = a.bound_kind
    label = kind.split(":")[0].split(",")[0]
    text = f"N = {a.prefix_length}, bound {a.error_bound:.3g} [{label}], sampled {sampled:.3g}"
    if case.expect == "proven":
        return kind.startswith("proven") and "assuming" not in kind and sampled <= a.error_bound, text
    if case.expect == "assumed":
        return "assuming" in kind, text
    return "measured" in kind and sampled <= a.parameters["eps"], text
