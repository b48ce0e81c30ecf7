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

from ._validate import UNIT_TOL, check_points

__all__ = ["Backend", "ExactBackend", "MpBackend", "ArbBackend", "AcbBackend", "FloatBackend", "get_backend",
           "dps_to_bits", "BACKENDS", "DEFAULT_DPS", "NonAnalyticFunction"]

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


def dps_to_bits(dps) -> int:
    """Working precision in bits for ``dps`` decimal digits (guard digits included).

    The one conversion between the API's unit of precision (decimal digits,
    ``dps``) and the bits of ball arithmetic.

    Parameters
    ----------
    dps : int
        Decimal digits requested, >= 1.

    Returns
    -------
    int
        ``ceil((dps + GUARD_DPS) * log2(10))``.

    Examples
    --------
    >>> dps_to_bits(30)
    133
    """
    return int(math.ceil((dps + GUARD_DPS) * math.log2(10)))


def _is_exact_number(x) -> bool:
    return isinstance(x, (int, Fraction, sympy.Rational, str, np.integer)) and not isinstance(x, bool)


class Backend:
    """A number system with a fixed working precision.

    Library code is written once against these methods, plus ``+ - * /`` on
    the numbers they return, and never asks which backend it holds. Where one
    number system needs a different algorithm, its subclass overrides a method
    (the arb precision escalation, :meth:`tightened`), or a whole function is
    registered for its class with :func:`functools.singledispatch` (the
    log-scaled float path of the softmax multipliers, the arb Funk-Hecke
    integral).

    Attributes
    ----------
    name : str
        One of :data:`BACKENDS`.
    dps : int or None
        Decimal digits requested (``None`` for "exact" and "float").
    dtype : type
        numpy dtype of arrays of this backend's numbers (``float`` or ``object``).
    """

    name = "?"
    dps = None
    dtype = object
    #: Rough cost of one arithmetic operation relative to a float64 one (for feasibility checks).
    cost_per_operation = 1000

    @property
    def bits(self):
        """Working precision in bits (``None`` for exact arithmetic)."""
        return dps_to_bits(self.dps)

    def local(self):
        """Context manager that sets this backend's working precision locally.

        Returns
        -------
        context manager
            Sets the working precision on entry and restores it on exit.
        """
        return contextlib.nullcontext()

    def finish(self, x):
        """Final form of a result: Python ``float`` for scalar float64 results.

        Parameters
        ----------
        x : number
            The argument, a number of this backend.

        Returns
        -------
        number or ndarray
            The result as returned to the user.
        """
        return x

    def simplify(self, x):
        """Tidy a final exact result (sympy's ``simplify``); the identity elsewhere.

        Parameters
        ----------
        x : number
            The argument, a number of this backend.

        Returns
        -------
        number
            The simplified (exact) or finished (inexact) result.
        """
        return self.finish(x)

    def expand(self, x):
        """Expand exact polynomial results entrywise (``sympy.expand``); the identity elsewhere.

        Parameters
        ----------
        x : number
            The argument, a number of this backend.

        Returns
        -------
        number or ndarray
            ``x``, expanded where exact.
        """
        return x

    # conversions
    def rational(self, p, q=1):
        """The number ``p/q`` for integers or exact rationals ``p``, ``q``.

        Parameters
        ----------
        p : int or exact rational
            Numerator.
        q : int or exact rational
            Denominator, nonzero.
        """
        raise NotImplementedError

    def convert(self, x):
        """``x`` as a number of this backend.

        Exact rationals (int, Fraction, sympy Rational, rational strings, numpy
        integers) convert exactly; a float converts to its exact binary value
        (rounded once for "float"); a number of this backend is returned as is.

        Parameters
        ----------
        x : int, Fraction, sympy Rational, str, float, or a number of this backend
            The value.

        Returns
        -------
        number
            ``x`` in this backend.
        """
        if isinstance(x, (float, np.floating)):
            return self._from_float(float(x))
        if _is_exact_number(x):
            fr = _as_fraction(int(x) if isinstance(x, np.integer) else x)
            return self.rational(fr.numerator, fr.denominator)
        if self._owns(x):
            return x
        raise TypeError(f"cannot convert {type(x).__name__} to a {self.name} number")

    def _from_float(self, x):
        raise NotImplementedError

    def _owns(self, x):
        """True when x is already a number of this backend."""
        return False

    def convert_array(self, t):
        """A scalar or array argument in this backend's ring (object arrays of numbers).

        Parameters
        ----------
        t : number or array_like
            A scalar or an array of numbers.

        Returns
        -------
        number or ndarray
            The converted scalar, or an array of converted numbers.
        """
        if isinstance(t, (list, tuple, np.ndarray)):
            return np.frompyfunc(self.convert, 1, 1)(np.asarray(t, dtype=object))
        return self.convert(t)

    def convert_points(self, X, m):
        """Points X of S^m as a (k, m+1) array of this backend's numbers.

        Rows must be unit vectors within :data:`UNIT_TOL` (checked in float64);
        symbolic points (exact backend) are taken as given.

        Parameters
        ----------
        X : array_like
            Points of S^m as rows, shape (k, m+1).
        m : int
            Sphere dimension, m >= 1.

        Returns
        -------
        ndarray
            Shape (k, m+1), of this backend's numbers (float64 for "float").
        """
        arr = np.asarray(X, dtype=object)
        if arr.ndim == 1:
            arr = arr[None, :]
        if arr.ndim != 2 or arr.shape[1] != m + 1:
            raise ValueError(f"X must have shape (k, {m + 1}) for points on S^{m}, got shape {np.shape(X)}")
        arr = self.convert_array(arr)
        if not any(getattr(v, "free_symbols", None) for v in arr.ravel()):
            norms = np.sqrt(np.sum(self.to_float(arr) ** 2, axis=1))
            if np.any(~np.isfinite(norms)) or np.any(np.abs(norms - 1) > UNIT_TOL):
                raise ValueError(f"X must hold finite unit vectors (|x| = 1 within {UNIT_TOL:g})")
        return arr

    def to_float(self, x):
        """Nearest float64 (midpoint for balls); arrays of numbers become float arrays.

        Parameters
        ----------
        x : number
            The argument, a number of this backend.
        """
        raise NotImplementedError

    def to_sympy(self, x):
        """x as a sympy number (floats and mpf at their precision); balls are refused.

        Parameters
        ----------
        x : number
            The argument, a number of this backend.

        Returns
        -------
        sympy number
            ``x`` as a sympy number.
        """
        return sympy.sympify(x)

    def is_finite(self, x):
        """True when the (scalar) number x is finite.

        Parameters
        ----------
        x : number
            The argument, a number of this backend.

        Returns
        -------
        bool
            Whether x is finite.
        """
        return math.isfinite(self.to_float(x))

    def stack(self, values):
        """A list of values of a recurrence as returned to the user (a list; float: one array).

        Parameters
        ----------
        values : list
            The values ``P_0..P_n`` of a recurrence.

        Returns
        -------
        list or ndarray
            The list, or for "float" one array of shape (n+1, ...).
        """
        return values

    def tightened(self, compute, is_tight, extra, max_extra, first_extra=0):
        """``compute(self)``; the arb backend retries with ``extra`` more digits
        (doubling, up to ``max_extra``) until ``is_tight(values, dps)``.

        Parameters
        ----------
        compute : callable
            ``compute(backend)`` returns the values.
        is_tight : callable
            ``is_tight(values, dps)`` says whether they are tight enough.
        extra : int
            Extra digits for the first retry.
        max_extra : int
            Largest number of extra digits tried.
        first_extra : int
            Guard digits of the arb backend's first attempt (a known loss, such as a
            recurrence's growth, spent up front instead of in retries).

        Returns
        -------
        list
            The values of the last computation.
        """
        return compute(self)

    def in_logs_if(self, large, direct, in_logs):
        """``in_logs()`` when ``large`` (past where Gamma and powers overflow float64), else ``direct()``.

        Exact arithmetic never overflows and always takes ``direct()``.

        Parameters
        ----------
        large : bool
            Whether the arguments are past the float64 range of the direct form.
        direct : callable
            The direct form, called without arguments.
        in_logs : callable
            The same value computed through logarithms.

        Returns
        -------
        number
            The value of the form chosen.
        """
        return in_logs() if large else direct()

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

    def tan(self, x):
        raise NotImplementedError

    def atan(self, x):
        raise NotImplementedError

    def sinh(self, x):
        raise NotImplementedError

    def cosh(self, x):
        raise NotImplementedError

    def tanh(self, x):
        raise NotImplementedError

    def abs(self, x):
        return abs(x)

    def sign(self, x):
        raise NotImplementedError

    def min(self, a, b):
        return a if a <= b else b

    def max(self, a, b):
        return a if a >= b else b

    def power(self, x, k):
        """``x**k`` for an integer k.

        Parameters
        ----------
        x : number
            The argument, a number of this backend.
        k : int
            The exponent (negative: a reciprocal).

        Returns
        -------
        number
            ``x**k``.
        """
        return x**k if k >= 0 else 1 / x ** (-k)

    def real_power(self, x, y):
        """``x**y`` for a non-integer exponent.

        Parameters
        ----------
        x : number
            The argument, a number of this backend.
        y : number
            The exponent.

        Returns
        -------
        number
            ``x**y`` (principal branch).
        """
        return x**y

    def gamma(self, x):
        raise NotImplementedError

    def loggamma(self, x):
        """``log Gamma(x)`` for x > 0.

        Parameters
        ----------
        x : number
            The argument, a number of this backend.
        """
        raise NotImplementedError

    def betainc(self, a, b, x):
        """Regularised incomplete beta function I_x(a, b).

        Parameters
        ----------
        a : number
            First shape parameter, > 0.
        b : number
            Second shape parameter, > 0.
        x : number
            The argument, a number of this backend.
        """
        raise NotImplementedError

    def besseli(self, order, x):
        """Modified Bessel function ``I_order(x)``.

        Parameters
        ----------
        order : number
            The order of the Bessel function.
        x : number
            The argument, a number of this backend.
        """
        raise NotImplementedError

    def __repr__(self):
        extra = f", dps={self.dps}" if self.dps is not None else ""
        return f"<Backend {self.name}{extra}>"


class ExactBackend(Backend):
    name = "exact"

    @property
    def bits(self):
        return None

    def simplify(self, x):
        return sympy.simplify(x)

    def expand(self, x):
        return np.frompyfunc(sympy.expand, 1, 1)(x) if isinstance(x, np.ndarray) else sympy.expand(x)

    def rational(self, p, q=1):
        return sympy.Rational(p) / sympy.Rational(q)

    def convert(self, x):
        """Any sympy-convertible value (symbols included); floats exactly.

        Parameters
        ----------
        x : number
            The argument, a number of this backend.

        Returns
        -------
        sympy expression
            ``x`` as a sympy object.
        """
        if isinstance(x, (float, np.floating)):
            return self._from_float(float(x))
        return sympy.sympify(x)

    def _from_float(self, x):
        return sympy.Rational(Fraction(x).numerator, Fraction(x).denominator)

    def to_float(self, x):
        if isinstance(x, np.ndarray):
            return np.array([float(sympy.N(v, 20)) for v in x.ravel()]).reshape(x.shape)
        return float(sympy.N(x, 20))

    def is_finite(self, x):
        return bool(sympy.sympify(x).is_finite)

    def in_logs_if(self, large, direct, in_logs):
        return direct()

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

    def tan(self, x):
        return sympy.tan(x)

    def atan(self, x):
        return sympy.atan(x)

    def sinh(self, x):
        return sympy.sinh(x)

    def cosh(self, x):
        return sympy.cosh(x)

    def tanh(self, x):
        return sympy.tanh(x)

    def abs(self, x):
        return sympy.Abs(x)

    def sign(self, x):
        return sympy.sign(x)

    def min(self, a, b):
        return sympy.Min(a, b)

    def max(self, a, b):
        return sympy.Max(a, b)

    def gamma(self, x):
        return sympy.gamma(x)

    def loggamma(self, x):
        return sympy.loggamma(x)

    def betainc(self, a, b, x):
        return sympy.betainc_regularized(a, b, 0, x)

    def besseli(self, order, x):
        return sympy.besseli(order, x)


class MpBackend(Backend):
    name = "mp"

    def __init__(self, dps):
        self.dps = dps
        # A private context: the global mpmath.mp precision is never changed.
        self.ctx = mpmath.MPContext()
        self.ctx.dps = dps + GUARD_DPS

    @property
    def bits(self):
        return self.ctx.prec

    def rational(self, p, q=1):
        p, q = _as_fraction(p), _as_fraction(q)
        r = p / q
        return self.ctx.mpf(r.numerator) / r.denominator

    def _from_float(self, x):
        return self.ctx.mpf(x)

    def _owns(self, x):
        return hasattr(x, "_mpf_")

    def to_sympy(self, x):
        return sympy.Float(mpmath.nstr(x, self.dps + 5), self.dps)

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

    def tan(self, x):
        return self.ctx.tan(x)

    def atan(self, x):
        return self.ctx.atan(x)

    def sinh(self, x):
        return self.ctx.sinh(x)

    def cosh(self, x):
        return self.ctx.cosh(x)

    def tanh(self, x):
        return self.ctx.tanh(x)

    def sign(self, x):
        return self.ctx.sign(x)

    def gamma(self, x):
        return self.ctx.gamma(x)

    def loggamma(self, x):
        return self.ctx.loggamma(x)

    def betainc(self, a, b, x):
        return self.ctx.betainc(a, b, 0, x, regularized=True)

    def besseli(self, order, x):
        return self.ctx.besseli(order, x)


class ArbBackend(Backend):
    """python-flint ``arb`` balls: every result contains the exact value.

    Parameters
    ----------
    dps : int, optional
        Decimal digits for "mp" and "arb".
    """

    name = "arb"

    def __init__(self, dps):
        import flint  # noqa: F401  (fail early with a clear ImportError)

        self.dps = dps
        self.prec = dps_to_bits(dps)

    @property
    def bits(self):
        return self.prec

    def local(self):
        import flint

        return flint.ctx.workprec(self.prec)

    def complex_balls(self):
        """The same precision over acb balls, with functions guarded for analyticity.

        Returns
        -------
        AcbBackend
            The acb backend at this backend's dps.
        """
        return _make("acb", self.dps)

    def rational(self, p, q=1):
        import flint

        r = _as_fraction(p) / _as_fraction(q)
        return flint.arb(flint.fmpq(r.numerator, r.denominator))

    def _from_float(self, x):
        import flint

        # arb(inf) would be the ball [+/- inf] (midpoint 0): keep infinities as points
        return flint.arb(x) if math.isfinite(x) else flint.arb(repr(x))

    def _owns(self, x):
        import flint

        return isinstance(x, (flint.arb, flint.acb))

    def to_float(self, x):
        if isinstance(x, np.ndarray):
            return np.array([float(v.mid()) for v in x.ravel()]).reshape(x.shape)
        return float(x.mid())

    def is_finite(self, x):
        return self._arb(x).is_finite()

    def to_sympy(self, x):
        raise ValueError("arb balls have no exact sympy form; use backend 'mp' or 'exact'")

    def tightened(self, compute, is_tight, extra, max_extra, first_extra=0):
        # Ball arithmetic cannot see that rounding errors cancel, so its balls can
        # be much wider than the precision suggests: retry with more digits.
        values = compute(self if first_extra <= 0 else _make("arb", self.dps + first_extra))
        while not is_tight(values, self.dps) and extra <= max_extra:
            values = compute(_make("arb", self.dps + extra))
            extra *= 2
        return values

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

    def tan(self, x):
        return self._arb(x).tan()

    def atan(self, x):
        return self._arb(x).atan()

    def sinh(self, x):
        return self._arb(x).sinh()

    def cosh(self, x):
        return self._arb(x).cosh()

    def tanh(self, x):
        return self._arb(x).tanh()

    def sign(self, x):
        import flint

        x = self._arb(x)
        # exactly [-1, 1] where undecided: python-flint's sgn() returns a radius of
        # 1 + 2^-30 there, which loosened certified Lipschitz constants by 1e-9
        return x.sgn() if x > 0 or x < 0 or x == 0 else flint.arb(0, 1)

    def min(self, a, b):
        return a.min(b)

    def max(self, a, b):
        return a.max(b)

    def power(self, x, k):
        # python-flint's ** gives NaN for balls that contain 0: repeated squaring,
        # from |x| for even powers (the product of balls around 0 may still reach
        # below 0; it is an enclosure all the same)
        if k < 0:
            return 1 / self.power(x, -k)
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

    def gamma(self, x):
        return self._arb(x).gamma()

    def loggamma(self, x):
        return self._arb(x).lgamma()

    def betainc(self, a, b, x):
        return self._arb(x).beta_lower(self._arb(a), self._arb(b), regularized=1)

    def besseli(self, order, x):
        return self._arb(x).bessel_i(order)

    @staticmethod
    def _arb(x):
        import flint

        return x if isinstance(x, flint.arb) else flint.arb(x)


class AcbBackend(ArbBackend):
    """Complex balls for proofs of analyticity.

    Each function returns a finite ball only when it is *analytic* on the whole
    input ball (entire functions always; branch functions away from their cuts,
    meromorphic ones away from their poles), and an indeterminate ball
    otherwise. A finite result over a polydisc is thus a proof of analyticity
    there, which Cauchy estimates and rigorous contour integration rely on.
    Functions that are not analytic at all (Abs, sign, Min, Max, ...) are
    refused by :func:`compile_expression` before they are reached.

    Parameters
    ----------
    dps : int, optional
        Decimal digits for "mp" and "arb".
    """

    name = "acb"

    def rational(self, p, q=1):
        import flint

        return flint.acb(super().rational(p, q))

    def pi(self):
        import flint

        return flint.acb(flint.arb.pi())

    def _guard(self, z, op):
        """op(z) for a principal-branch function (sqrt, log, powers) when the ball z
        lies in Re z > 0, where the branch is analytic; indeterminate otherwise."""
        return op(z) if z.real > 0 else _acb_indeterminate()

    def _reciprocal(self, z):
        """1/z when the ball z excludes 0 (then 1/z is analytic on it); indeterminate otherwise."""
        return 1 / z if not z.contains(0) else _acb_indeterminate()

    def sqrt(self, x):
        return self._guard(x, lambda w: w.sqrt())

    def exp(self, x):
        return x.exp()

    def log(self, x):
        return self._guard(x, lambda w: w.log())

    def cos(self, x):
        return x.cos()

    def sin(self, x):
        return x.sin()

    def sinh(self, x):
        return x.sinh()

    def cosh(self, x):
        return x.cosh()

    def tan(self, x):
        c = x.cos()
        return x.sin() * self._reciprocal(c) if not c.contains(0) else _acb_indeterminate()

    def tanh(self, x):
        c = x.cosh()
        return x.sinh() * self._reciprocal(c) if not c.contains(0) else _acb_indeterminate()

    def atan(self, x):  # principal atan: cuts on the imaginary axis at |Im z| >= 1
        return x.atan() if -1 < x.imag < 1 else _acb_indeterminate()

    def power(self, x, k):
        if k < 0:  # a pole: finite only when the base is bounded away from 0
            return self._reciprocal(x ** (-k))
        return x**k

    def real_power(self, x, y):  # principal branch: analytic where the base keeps Re > 0
        return self._guard(x, lambda b: (y * b.log()).exp())

    def _not_analytic(self, *args):
        raise NonAnalyticFunction("not analytic")

    abs = sign = min = max = _not_analytic


class FloatBackend(Backend):
    """numpy float64, elementwise on arrays."""

    name = "float"
    dtype = float
    cost_per_operation = 1

    @property
    def bits(self):
        return 53

    def rational(self, p, q=1):
        return float(_as_fraction(p) / _as_fraction(q))

    def _from_float(self, x):
        return float(x)

    def convert_points(self, X, m):
        return check_points(X, m)

    def convert_array(self, t):
        arr = np.asarray(t, dtype=float)
        if not np.all(np.isfinite(arr)):
            raise ValueError("t contains NaN or infinite entries")
        return arr

    def to_float(self, x):
        return np.asarray(x, dtype=float) if isinstance(x, np.ndarray) else float(x)

    def is_finite(self, x):
        return bool(np.all(np.isfinite(x)))

    def stack(self, values):
        return np.stack([np.broadcast_to(v, np.shape(values[-1])) for v in values])

    def finish(self, x):
        return float(x) if np.ndim(x) == 0 else x

    def pi(self):
        return math.pi

    def sqrt(self, x):
        return np.sqrt(x)

    def exp(self, x):
        return np.exp(x)

    def log(self, x):
        return np.log(x)

    def cos(self, x):
        return np.cos(x)

    def sin(self, x):
        return np.sin(x)

    def tan(self, x):
        return np.tan(x)

    def atan(self, x):
        return np.arctan(x)

    def sinh(self, x):
        return np.sinh(x)

    def cosh(self, x):
        return np.cosh(x)

    def tanh(self, x):
        return np.tanh(x)

    def abs(self, x):
        return np.abs(x)

    def sign(self, x):
        return np.sign(x)

    def min(self, a, b):
        return np.minimum(a, b)

    def max(self, a, b):
        return np.maximum(a, b)

    def gamma(self, x):
        return sc.gamma(x)

    def loggamma(self, x):
        return sc.gammaln(x)

    def betainc(self, a, b, x):
        return sc.betainc(a, b, x)

    def besseli(self, order, x):
        return sc.iv(order, x)


def _acb_indeterminate():
    import flint

    return flint.acb(flint.arb("nan"), flint.arb("nan"))


@lru_cache(maxsize=64)
def _make(name: str, dps: int) -> Backend:
    if name == "exact":
        return ExactBackend()
    if name == "float":
        return FloatBackend()
    if name == "mp":
        return MpBackend(dps)
    if name == "acb":
        return AcbBackend(dps)
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

    Returns
    -------
    Backend
        The backend (cached: equal arguments give the same object).

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
    backend_name = B.name
    if isinstance(B, ExactBackend):
        raise ValueError("compile_expression supports backends 'float', 'mp' and 'arb'")
    if complex_balls:
        if not isinstance(B, ArbBackend):
            raise ValueError("complex_balls=True needs backend 'arb'")
        B = B.complex_balls()
    symbols = tuple(symbols)
    index = {s: i for i, s in enumerate(symbols)}

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
            p, q = int(e.p), int(e.q)
            return lambda args: B.rational(p, q)  # at call time: the caller's working precision
        if e is sympy.pi:
            return lambda args: B.pi()
        if e is sympy.E:
            return lambda args: B.exp(B.rational(1))
        if e.is_Float:
            fr = Fraction(float(e))  # the exact binary value of the literal
            return lambda args: B.rational(fr.numerator, fr.denominator)
        if e.is_Add:
            return fold([build(a) for a in e.args], lambda a, b: a + b)
        if e.is_Mul:
            return fold([build(a) for a in e.args], lambda a, b: a * b)
        if e.is_Pow:
            base, ex = build(e.base), e.exp
            if ex.is_Integer:
                k = int(ex)
                return lambda args: B.power(base(args), k)
            if ex == sympy.Rational(1, 2):
                return lambda args: B.sqrt(base(args))
            if ex == sympy.Rational(-1, 2):
                return lambda args: 1 / B.sqrt(base(args))
            power = build(ex)
            return lambda args: B.real_power(base(args), power(args))
        if isinstance(e, sympy.Min):
            return fold([build(a) for a in e.args], B.min)
        if isinstance(e, sympy.Max):
            return fold([build(a) for a in e.args], B.max)
        if e.func in _UNARY and len(e.args) == 1:
            inner, op = build(e.args[0]), getattr(B, _UNARY[e.func])
            return lambda args: op(inner(args))
        raise ValueError(f"cannot compile {e.func.__name__} (in {expr}) for backend {backend_name!r}")

    compiled = build(sympy.sympify(expr))
    return lambda *args: compiled(args)


class NonAnalyticFunction(ValueError):
    """An expression compiled for complex balls uses a function that is not analytic (Abs, sign, Max, ...)."""


_NOT_ANALYTIC = (sympy.Abs, sympy.sign, sympy.Min, sympy.Max, sympy.floor, sympy.ceiling, sympy.Piecewise,
                 sympy.Heaviside, sympy.Mod, sympy.frac, sympy.atan2, sympy.re, sympy.im, sympy.arg)


#: sympy functions of one argument and the Backend method that computes each.
_UNARY = {sympy.exp: "exp", sympy.log: "log", sympy.sin: "sin", sympy.cos: "cos", sympy.tan: "tan",
          sympy.atan: "atan", sympy.sinh: "sinh", sympy.cosh: "cosh", sympy.tanh: "tanh", sympy.Abs: "abs",
          sympy.sign: "sign"}
