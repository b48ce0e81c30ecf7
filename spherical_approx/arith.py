"""The arithmetic layer: one small interface over four number systems.

Library functions are written once against a :class:`Backend` and run in any
of them, the way mpmath writes each special function once against a context:

========  =====================  ==========================================
name      numbers                precision
========  =====================  ==========================================
"exact"   sympy (Rational, pi)   exact; symbolic constants stay symbolic
"mp"      mpmath ``mpf``         ``dps`` decimal digits (+ guard digits)
"arb"     python-flint ``arb``   ``dps`` digits of working precision; every
                                 result is a ball that contains the truth
"float"   numpy float64          IEEE double; works elementwise on arrays
========  =====================  ==========================================

Precision is handled here only and always locally: the "mp" backend owns a
private :class:`mpmath.MPContext`, so the global ``mpmath.mp`` is never
touched; the "arb" backend sets python-flint's working precision only inside
``with backend.local():`` (``flint.ctx.workprec``), which restores it on exit.
Every computation with an "arb" backend must run inside that block.

Examples
--------
>>> from spherical_approx.arith import get_backend
>>> B = get_backend("exact")
>>> with B.local():
...     B.gamma(B.rational(5, 2))
3*sqrt(pi)/4
>>> F = get_backend("float")
>>> with F.local():
...     round(float(F.gamma(F.rational(5, 2))), 12)
1.329340388179
"""

from __future__ import annotations

import contextlib
import math
import numbers
from fractions import Fraction
from functools import lru_cache

import mpmath
import numpy as np
import scipy.special as sc
import sympy

__all__ = ["Backend", "get_backend", "BACKENDS", "DEFAULT_DPS", "NonAnalyticFunction"]

#: Default decimal digits for the "mp" and "arb" backends.
DEFAULT_DPS = 30
#: Extra digits carried internally by the "mp" and "arb" backends (guard digits).
GUARD_DPS = 10

BACKENDS = ("exact", "mp", "arb", "float")


def _as_fraction(x) -> Fraction:
    """Exact rational value of an int, Fraction, sympy Rational or rational string."""
    if isinstance(x, bool):
        raise TypeError("expected a rational number, got a bool")
    if isinstance(x, (int, Fraction)):
        return Fraction(x)
    if isinstance(x, sympy.Rational):
        return Fraction(int(x.p), int(x.q))
    if isinstance(x, str):
        return Fraction(x)
    if isinstance(x, numbers.Integral):
        return Fraction(int(x))
    raise TypeError(f"expected an exact rational (int, Fraction, sympy.Rational), got {type(x).__name__}")


class Backend:
    """A number system with a fixed working precision.

    Subclasses provide the constants and functions below; library code only
    uses these names, plus ``+ - * / **`` on the numbers they return.

    Attributes
    ----------
    name : str
        One of :data:`BACKENDS`.
    dps : int or None
        Decimal digits requested (``None`` for "exact" and "float").
    """

    name = "?"
    dps = None
    #: True when results are rigorous enclosures (balls).
    rigorous = False
    #: True for the vectorised numpy float64 backend.
    is_float = False

    def local(self):
        """Context manager that sets this backend's working precision locally."""
        return contextlib.nullcontext()

    def finish(self, x):
        """Final form of a result: Python ``float`` for scalar float64 results."""
        return x

    # conversions
    def rational(self, p, q=1):
        """The number ``p/q`` for integers or exact rationals ``p``, ``q``."""
        raise NotImplementedError

    def num(self, x):
        """Convert an exact rational (int, Fraction, sympy Rational, str) or, for
        inexact backends, a float, to a number of this backend."""
        if isinstance(x, float):
            return self.from_float(x)
        fr = _as_fraction(x)
        return self.rational(fr.numerator, fr.denominator)

    def from_float(self, x):
        """Convert a Python float exactly (binary value) to this backend."""
        raise NotImplementedError

    def to_float(self, x):
        """Nearest float64 (midpoint for balls); arrays of numbers become float arrays."""
        raise NotImplementedError

    # constants and functions
    def pi(self):
        raise NotImplementedError

    def sqrt(self, x):
        raise NotImplementedError

    def exp(self, x):
        raise NotImplementedError

    def log(self, x):
        raise NotImplementedError

    def cos(self, x):
        raise NotImplementedError

    def sin(self, x):
        raise NotImplementedError

    def gamma(self, x):
        raise NotImplementedError

    def loggamma(self, x):
        """``log Gamma(x)`` for x > 0."""
        raise NotImplementedError

    def betainc(self, a, b, x):
        """Regularised incomplete beta function I_x(a, b)."""
        raise NotImplementedError

    def __repr__(self):
        extra = f", dps={self.dps}" if self.dps is not None else ""
        return f"<Backend {self.name}{extra}>"


class ExactBackend(Backend):
    name = "exact"

    def rational(self, p, q=1):
        return sympy.Rational(p) / sympy.Rational(q)

    def from_float(self, x):
        return sympy.Rational(Fraction(x).numerator, Fraction(x).denominator)

    def to_float(self, x):
        if isinstance(x, np.ndarray):
            return np.array([float(sympy.N(v, 20)) for v in x.ravel()]).reshape(x.shape)
        return float(sympy.N(x, 20))

    def pi(self):
        return sympy.pi

    def sqrt(self, x):
        return sympy.sqrt(x)

    def exp(self, x):
        return sympy.exp(x)

    def log(self, x):
        return sympy.log(x)

    def cos(self, x):
        return sympy.cos(x)

    def sin(self, x):
        return sympy.sin(x)

    def gamma(self, x):
        return sympy.gamma(x)

    def loggamma(self, x):
        return sympy.loggamma(x)

    def betainc(self, a, b, x):
        return sympy.betainc_regularized(a, b, 0, x)


class MpBackend(Backend):
    name = "mp"

    def __init__(self, dps):
        self.dps = dps
        # A private context: the global mpmath.mp precision is never changed.
        self.ctx = mpmath.MPContext()
        self.ctx.dps = dps + GUARD_DPS

    def rational(self, p, q=1):
        p, q = _as_fraction(p), _as_fraction(q)
        r = p / q
        return self.ctx.mpf(r.numerator) / r.denominator

    def from_float(self, x):
        return self.ctx.mpf(x)

    def to_float(self, x):
        if isinstance(x, np.ndarray):
            return np.array([float(v) for v in x.ravel()]).reshape(x.shape)
        return float(x)

    def pi(self):
        return +self.ctx.pi

    def sqrt(self, x):
        return self.ctx.sqrt(x)

    def exp(self, x):
        return self.ctx.exp(x)

    def log(self, x):
        return self.ctx.log(x)

    def cos(self, x):
        return self.ctx.cos(x)

    def sin(self, x):
        return self.ctx.sin(x)

    def gamma(self, x):
        return self.ctx.gamma(x)

    def loggamma(self, x):
        return self.ctx.loggamma(x)

    def betainc(self, a, b, x):
        return self.ctx.betainc(a, b, 0, x, regularized=True)


class ArbBackend(Backend):
    name = "arb"
    rigorous = True

    def __init__(self, dps):
        import flint  # noqa: F401  (fail early with a clear ImportError)

        self.dps = dps
        self.prec = int(math.ceil((dps + GUARD_DPS) * math.log2(10)))

    def local(self):
        import flint

        return flint.ctx.workprec(self.prec)

    def rational(self, p, q=1):
        import flint

        r = _as_fraction(p) / _as_fraction(q)
        return flint.arb(flint.fmpq(r.numerator, r.denominator))

    def from_float(self, x):
        import flint

        return flint.arb(x)

    def to_float(self, x):
        if isinstance(x, np.ndarray):
            return np.array([float(v.mid()) for v in x.ravel()]).reshape(x.shape)
        return float(x.mid())

    def pi(self):
        import flint

        return flint.arb.pi()

    def sqrt(self, x):
        return self._arb(x).sqrt()

    def exp(self, x):
        return self._arb(x).exp()

    def log(self, x):
        return self._arb(x).log()

    def cos(self, x):
        return self._arb(x).cos()

    def sin(self, x):
        return self._arb(x).sin()

    def gamma(self, x):
        return self._arb(x).gamma()

    def loggamma(self, x):
        return self._arb(x).lgamma()

    def betainc(self, a, b, x):
        return self._arb(x).beta_lower(self._arb(a), self._arb(b), regularized=1)

    @staticmethod
    def _arb(x):
        import flint

        return x if isinstance(x, flint.arb) else flint.arb(x)


class FloatBackend(Backend):
    name = "float"
    is_float = True

    def rational(self, p, q=1):
        return float(_as_fraction(p) / _as_fraction(q))

    def from_float(self, x):
        return float(x)

    def to_float(self, x):
        return np.asarray(x, dtype=float) if isinstance(x, np.ndarray) else float(x)

    def finish(self, x):
        return float(x) if np.ndim(x) == 0 else x

    def pi(self):
        return math.pi

    sqrt = staticmethod(np.sqrt)
    exp = staticmethod(np.exp)
    log = staticmethod(np.log)
    cos = staticmethod(np.cos)
    sin = staticmethod(np.sin)
    gamma = staticmethod(sc.gamma)
    loggamma = staticmethod(sc.gammaln)

    def betainc(self, a, b, x):
        return sc.betainc(a, b, x)


@lru_cache(maxsize=64)
def _make(name: str, dps: int) -> Backend:
    if name == "exact":
        return ExactBackend()
    if name == "float":
        return FloatBackend()
    if name == "mp":
        return MpBackend(dps)
    return ArbBackend(dps)


def get_backend(backend="float", dps=None) -> Backend:
    """Return the :class:`Backend` called ``backend`` at ``dps`` decimal digits.

    Parameters
    ----------
    backend : {"float", "mp", "arb", "exact"} or Backend
        The number system. A :class:`Backend` instance is returned unchanged.
    dps : int, optional
        Decimal digits for "mp" and "arb" (default :data:`DEFAULT_DPS`);
        ignored by "exact" and "float".

    Raises
    ------
    ValueError
        If ``backend`` is not a known name or ``dps`` is not a positive integer.

    Examples
    --------
    >>> get_backend("mp", dps=50)
    <Backend mp, dps=50>
    >>> get_backend("quad")
    Traceback (most recent call last):
    ...
    ValueError: backend must be one of ('exact', 'mp', 'arb', 'float'), got 'quad'
    """
    if isinstance(backend, Backend):
        return backend
    if backend not in BACKENDS:
        raise ValueError(f"backend must be one of {BACKENDS}, got {backend!r}")
    if dps is None:
        dps = DEFAULT_DPS
    if isinstance(dps, bool) or not isinstance(dps, numbers.Integral) or dps < 1:
        raise ValueError(f"dps must be a positive integer, got {dps!r}")
    if backend in ("exact", "float"):
        dps = 0
    return _make(backend, int(dps))


def compile_expression(expr, symbols, backend="float", dps=None, complex_balls=False):
    """Compile a sympy expression into a function of backend numbers.

    Constants become backend numbers exactly (rationals through
    :meth:`Backend.rational`, pi through :meth:`Backend.pi`), and every
    operation is the backend's own, so with "mp" the private context's
    precision is used throughout (``sympy.lambdify`` would fall back to the
    global mpmath precision), and with "arb" the result is a rigorous
    enclosure over the input balls (acb balls with ``complex_balls``).
    Supported: + - * /, powers, exp, log, sqrt, sin, cos, tan, atan, sinh,
    cosh, tanh, Abs, sign, Min, Max.

    Call the result inside ``with backend.local():`` for "arb".

    Examples
    --------
    >>> x = sympy.Symbol("x")
    >>> B = get_backend("mp", dps=40)
    >>> f = compile_expression(sympy.exp(x) / 3, (x,), B)
    >>> str(f(B.rational(1)))[:30]
    '0.9060939428196816781779350623'
    """
    B = get_backend(backend, dps)
    symbols = tuple(symbols)
    index = {s: i for i, s in enumerate(symbols)}
    if B.name == "arb":
        import flint

        ball = flint.acb if complex_balls else flint.arb

        def const_rational(p, q):
            return lambda: ball(flint.arb(flint.fmpq(p, q)))

        def const_pi():
            return ball(flint.arb.pi())

        method = lambda name: (lambda v: getattr(v, name)())  # noqa: E731
        unary = {sympy.exp: method("exp"), sympy.log: method("log"), sympy.sin: method("sin"),
                 sympy.cos: method("cos"), sympy.tan: method("tan"), sympy.atan: method("atan"),
                 sympy.sinh: method("sinh"), sympy.cosh: method("cosh"), sympy.tanh: method("tanh"),
                 sympy.Abs: abs, sympy.sign: _arb_sign}
        sqrt = method("sqrt")
        minimum, maximum = (lambda a, b: a.min(b)), (lambda a, b: a.max(b))
        if complex_balls:
            unary, sqrt, minimum, maximum = _analytic_acb_functions(flint)
    else:
        def const_rational(p, q):
            return lambda: B.rational(p, q)

        const_pi = B.pi
        if B.name == "mp":
            ctx = B.ctx
            unary = {sympy.exp: ctx.exp, sympy.log: ctx.log, sympy.sin: ctx.sin, sympy.cos: ctx.cos,
                     sympy.tan: ctx.tan, sympy.atan: ctx.atan, sympy.sinh: ctx.sinh, sympy.cosh: ctx.cosh,
                     sympy.tanh: ctx.tanh, sympy.Abs: abs, sympy.sign: ctx.sign}
            sqrt = ctx.sqrt
        elif B.name == "float":
            unary = {sympy.exp: np.exp, sympy.log: np.log, sympy.sin: np.sin, sympy.cos: np.cos,
                     sympy.tan: np.tan, sympy.atan: np.arctan, sympy.sinh: np.sinh, sympy.cosh: np.cosh,
                     sympy.tanh: np.tanh, sympy.Abs: np.abs, sympy.sign: np.sign}
            sqrt = np.sqrt
        else:
            raise ValueError("compile_expression supports backends 'float', 'mp' and 'arb'")
        minimum, maximum = (lambda a, b: a if a <= b else b), (lambda a, b: a if a >= b else b)
        if B.name == "float":
            minimum, maximum = np.minimum, np.maximum

    def fold(parts, op):
        def run(args):
            total = parts[0](args)
            for p in parts[1:]:
                total = op(total, p(args))
            return total
        return run

    def build(e):
        if complex_balls and isinstance(e, _NOT_ANALYTIC):
            raise NonAnalyticFunction(f"{type(e).__name__} is not analytic (in {expr})")
        if e in index:
            i = index[e]
            return lambda args: args[i]
        if e.is_Rational:
            c = const_rational(int(e.p), int(e.q))
            return lambda args: c()
        if e is sympy.pi:
            return lambda args: const_pi()
        if e is sympy.E:
            one = const_rational(1, 1)
            return lambda args: unary[sympy.exp](one())
        if e.is_Float:
            fr = Fraction(float(e))  # the exact binary value of the literal
            c = const_rational(fr.numerator, fr.denominator)
            return lambda args: c()
        if e.is_Add:
            return fold([build(a) for a in e.args], lambda a, b: a + b)
        if e.is_Mul:
            return fold([build(a) for a in e.args], lambda a, b: a * b)
        if e.is_Pow:
            base, ex = build(e.base), e.exp
            if ex.is_Integer:
                k = int(ex)
                pw = _arb_int_power if B.name == "arb" and not complex_balls else (lambda v, n: v**n)
                if k < 0 and complex_balls:  # a pole: finite only when the base is bounded away from 0
                    return lambda args: _acb_reciprocal(pw(base(args), -k))
                return (lambda args: pw(base(args), k)) if k >= 0 else (lambda args: 1 / pw(base(args), -k))
            if ex == sympy.Rational(1, 2):
                return lambda args: sqrt(base(args))
            if ex == sympy.Rational(-1, 2):
                return lambda args: 1 / sqrt(base(args))
            power = build(ex)
            if complex_balls:  # principal branch: analytic where the base keeps Re > 0
                return lambda args: _acb_guard(base(args), lambda b: (power(args) * b.log()).exp())
            return lambda args: base(args) ** power(args)
        if isinstance(e, sympy.Min):
            return fold([build(a) for a in e.args], minimum)
        if isinstance(e, sympy.Max):
            return fold([build(a) for a in e.args], maximum)
        if e.func in unary and len(e.args) == 1:
            inner, op = build(e.args[0]), unary[e.func]
            return lambda args: op(inner(args))
        raise ValueError(f"cannot compile {e.func.__name__} (in {expr}) for backend {B.name!r}")

    compiled = build(sympy.sympify(expr))
    return lambda *args: compiled(args)


class NonAnalyticFunction(ValueError):
    """An expression compiled for complex balls uses a function that is not analytic (Abs, sign, Max, ...)."""


_NOT_ANALYTIC = (sympy.Abs, sympy.sign, sympy.Min, sympy.Max, sympy.floor, sympy.ceiling, sympy.Piecewise,
                 sympy.Heaviside, sympy.Mod, sympy.frac, sympy.atan2, sympy.re, sympy.im, sympy.arg)


def _acb_indeterminate():
    import flint

    return flint.acb(flint.arb("nan"), flint.arb("nan"))


def _acb_guard(z, op):
    """op(z) for a principal-branch function (sqrt, log, powers) when the ball z lies in
    Re z > 0, where the branch is analytic; an indeterminate ball otherwise."""
    return op(z) if z.real > 0 else _acb_indeterminate()


def _acb_reciprocal(z):
    """1/z when the ball z excludes 0 (then 1/z is analytic on it); indeterminate otherwise."""
    return 1 / z if not z.contains(0) else _acb_indeterminate()


def _analytic_acb_functions(flint):
    """The complex-ball functions of :func:`compile_expression` with ``complex_balls=True``.

    Each returns a finite ball only when the function is *analytic* on the whole
    input ball (entire functions always; branch functions away from their cuts,
    meromorphic ones away from their poles); otherwise an indeterminate ball.
    A finite result over a polydisc is thus a proof of analyticity there, which
    Cauchy estimates and rigorous contour integration rely on. Functions that are
    not analytic at all (Abs, sign, Min, Max, ...) raise :class:`NonAnalyticFunction`
    when the expression is compiled.
    """
    def atan(z):  # principal atan: cuts on the imaginary axis at |Im z| >= 1
        return z.atan() if -1 < z.imag < 1 else _acb_indeterminate()

    def tan(z):
        c = z.cos()
        return z.sin() * _acb_reciprocal(c) if not c.contains(0) else _acb_indeterminate()

    def tanh(z):
        c = z.cosh()
        return z.sinh() * _acb_reciprocal(c) if not c.contains(0) else _acb_indeterminate()

    unary = {sympy.exp: lambda z: z.exp(), sympy.sin: lambda z: z.sin(), sympy.cos: lambda z: z.cos(),
             sympy.sinh: lambda z: z.sinh(), sympy.cosh: lambda z: z.cosh(),
             sympy.log: lambda z: _acb_guard(z, lambda w: w.log()), sympy.tan: tan, sympy.atan: atan,
             sympy.tanh: tanh}
    sqrt = lambda z: _acb_guard(z, lambda w: w.sqrt())  # noqa: E731
    return unary, sqrt, None, None  # Min and Max are refused before they are reached


def _arb_int_power(x, k):
    """x**k for an arb ball by repeated squaring (python-flint's ``**`` gives NaN for
    balls that contain 0); even powers start from |x| so they stay nonnegative."""
    if k == 0:
        return x * 0 + 1
    base = abs(x) if k % 2 == 0 else x
    result = None
    while k:
        if k & 1:
            result = base if result is None else result * base
        k >>= 1
        if k:
            base = base * base
    return result


def _arb_sign(x):
    """sign of an arb ball: +-1 or 0 where decided, the ball [-1, 1] otherwise."""
    import flint

    if x > 0:
        return flint.arb(1)
    if x < 0:
        return flint.arb(-1)
    if x == 0:
        return flint.arb(0)
    return flint.arb(0, 1)
