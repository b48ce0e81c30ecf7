"""Spherical harmonics on S^m for any m: dimensions, real orthonormal bases,
the addition theorem, and harmonic expansions.

The basis [classical] is the Gelfand-Tsetlin (Vilenkin) basis adapted to the
chain S^m > S^(m-1) > ... > S^1, peeling off x_m, then x_(m-1), and so on.
A basis function of degree n is labelled by a pattern
``n = l_m >= l_(m-1) >= ... >= l_1 >= 0`` and, when ``l_1 > 0``, a sign
(+1 for the cosine, -1 for the sine of ``l_1 phi``). It is built as a solid
(homogeneous, harmonic) polynomial, level by level:

* level 1, in (x_0, x_1): ``Re (x_0 + i x_1)^l / sqrt(pi)`` and
  ``Im (...) / sqrt(pi)`` (``1/sqrt(2 pi)`` for l = 0);
* level k >= 2, in (x_0..x_k): ``F = g_j^alpha(x_k, r_k^2) H_l(x_0..x_(k-1))``
  with ``j = L - l``, ``alpha = l + (k-1)/2``, ``r_k^2 = x_0^2 + ... + x_k^2``,
  and ``g_j^alpha(s, r^2) = r^j p_j^alpha(s/r)`` the homogenised *orthonormal*
  Gegenbauer polynomial (weight ``(1 - t^2)^(alpha - 1/2)`` on [-1, 1]).

On S^k, ``x_k = t`` and ``H_l = (1 - t^2)^(l/2) Y_l(xi)``, and
``d sigma_k = (1 - t^2)^((k-2)/2) dt d sigma_(k-1)``, so orthonormality of
``p_j^alpha`` in the weight ``(1-t^2)^(l + (k-2)/2)`` and of the ``Y_l`` on
S^(k-1) gives orthonormality on S^k. The homogenised recurrence

    g_0 = 1/sqrt(h_0),  g_1 = s g_0 / a_1,
    g_j = (s g_(j-1) - a_(j-1) r^2 g_(j-2)) / a_j,
    a_j = sqrt(j (j + 2 alpha - 1) / (4 (j + alpha)(j + alpha - 1))),
    h_0 = sqrt(pi) Gamma(alpha + 1/2) / Gamma(alpha + 1),

never divides by r, so it evaluates everywhere (poles included), gives exact
polynomials with ``backend="exact"``, and stays O(1) in float64.
"""

from __future__ import annotations

import math
from functools import lru_cache

import numpy as np
import scipy.special as sc
import sympy

from ._validate import check_dimension, check_int, check_points
from .arith import get_backend
from .gegenbauer import zonal_polynomials
from .limits import InfeasibleError, check_feasible
from .sphere import polynomial_integral, sphere_area
from .targets import Target, coordinate_expr, output_expressions, sphere_symbols

__all__ = [
    "harmonic_dimension",
    "harmonic_dimensions",
    "harmonic_labels",
    "harmonic_basis",
    "HarmonicBasis",
    "zonal_kernel",
    "HarmonicExpansion",
    "check_symbolic_dimension",
    "MAX_SYMBOLIC_DIMENSION",
]


def harmonic_dimension(m, n):
    """``dim H_n(S^m) = C(n+m, m) - C(n+m-2, m)`` (second term 0 for n < 2).

    Parameters
    ----------
    m : int
        Sphere dimension, m >= 1.
    n : int
        Degree, >= 0.

    Returns
    -------
    int
        ``dim H_n(S^m)``.

    Examples
    --------
    >>> [harmonic_dimension(1, n) for n in range(5)]
    [1, 2, 2, 2, 2]
    >>> [harmonic_dimension(2, n) for n in range(5)]
    [1, 3, 5, 7, 9]
    >>> harmonic_dimension(3, 20)       # (n + 1)^2 on S^3
    441
    """
    m = check_dimension(m)
    n = check_int(n, "n")
    return math.comb(n + m, m) - (math.comb(n + m - 2, m) if n >= 2 else 0)


def harmonic_dimensions(m, degrees):
    """``dim H_n(S^m)`` for an array of degrees, in float64 (exact while below 2^53).

    The vectorised companion of :func:`harmonic_dimension` for sums over many
    degrees, from ``(2n+m-1)/(m-1) C(n+m-2, m-2)``.

    Parameters
    ----------
    m : int
        Sphere dimension, m >= 1.
    degrees : array_like of int
        Degrees n >= 0.

    Returns
    -------
    ndarray
        The dimensions, as floats, in the shape of ``degrees``.

    Examples
    --------
    >>> harmonic_dimensions(2, [0, 1, 2, 10])
    array([ 1.,  3.,  5., 21.])
    """
    n = np.asarray(degrees, dtype=float)
    if m == 1:
        return np.where(n == 0, 1.0, 2.0)
    out = (2 * n + m - 1) / (m - 1) * sc.comb(n + m - 2, m - 2)
    return np.where(n == 0, 1.0, out)


@lru_cache(maxsize=256)
def _labels(k, nmax):
    """Patterns of all degrees deg <= nmax at level k: dict deg -> list of tuples."""
    if k == 1:
        return {deg: [(0, 0)] if deg == 0 else [(deg, 1), (deg, -1)] for deg in range(nmax + 1)}
    lower = _labels(k - 1, nmax)
    return {deg: [(deg,) + lab for l in range(deg + 1) for lab in lower[l]] for deg in range(nmax + 1)}


def harmonic_labels(m, n):
    """Gelfand-Tsetlin labels ``(l_m, ..., l_1, sign)`` of the basis of H_n(S^m), in basis order.

    Parameters
    ----------
    m : int
        Sphere dimension, m >= 1.
    n : int
        Degree, >= 0.

    Returns
    -------
    list of tuple
        One label per basis function of degree n.

    Examples
    --------
    >>> harmonic_labels(2, 1)
    [(1, 0, 0), (1, 1, 1), (1, 1, -1)]
    """
    m = check_dimension(m)
    n = check_int(n, "n")
    return list(_labels(m, n)[n])


def _gegenbauer_constants(alpha2, jmax, B):
    """``1/sqrt(h_0)`` and ``a_1..a_jmax`` for ``alpha = alpha2 / 2`` in backend B."""
    alpha = B.rational(alpha2, 2)
    half = B.rational(1, 2)
    # Gamma overflows float64 past 171: take the ratio in logs there
    ratio = B.in_logs_if(alpha2 >= 300, lambda: B.gamma(alpha + half) / B.gamma(alpha + 1),
                         lambda: B.exp(B.loggamma(alpha + half) - B.loggamma(alpha + 1)))
    inv_sqrt_h0 = 1 / B.sqrt(B.sqrt(B.pi()) * ratio)
    a = [None] + [
        B.sqrt(B.rational(j * (j + alpha2 - 1), (2 * j + alpha2) * (2 * j + alpha2 - 2)))
        for j in range(1, jmax + 1)
    ]
    return inv_sqrt_h0, a


def _basis_values(m, nmax, cols, B, top_only):
    """Basis values for degrees <= nmax from coordinate columns ``cols[0..m]``.

    Returns dict deg -> array of shape (k, dim H_deg) (float or object dtype).
    """
    x0, x1 = cols[0], cols[1]
    one = x0 * 0 + 1
    # level 1: Re/Im (x0 + i x1)^l, normalised on S^1
    c, s = one, x0 * 0
    inv_sqrt_pi = 1 / B.sqrt(B.pi())
    vals = {0: np.stack([one * (inv_sqrt_pi / B.sqrt(B.rational(2)))], axis=1)}
    for deg in range(1, nmax + 1):
        c, s = x0 * c - x1 * s, x0 * s + x1 * c
        vals[deg] = np.stack([c * inv_sqrt_pi, s * inv_sqrt_pi], axis=1)
    r2 = x0 * x0 + x1 * x1
    for k in range(2, m + 1):
        xk = cols[k]
        r2 = r2 + xk * xk
        new = {deg: [] for deg in range(nmax + 1)}
        for l in range(nmax + 1):
            # alpha = l + (k-1)/2, i.e. 2 alpha = 2l + k - 1
            inv_sqrt_h0, a = _gegenbauer_constants(2 * l + k - 1, nmax - l, B)
            g_prev, g = None, one * inv_sqrt_h0
            for j in range(0, nmax - l + 1):
                if j == 1:
                    g_prev, g = g, xk * g / a[1]
                elif j >= 2:
                    g_prev, g = g, (xk * g - a[j - 1] * r2 * g_prev) / a[j]
                deg = l + j
                if not top_only or k < m or deg == nmax:
                    new[deg].append(g[:, None] * vals[l])
        vals = {deg: np.concatenate(v, axis=1) for deg, v in new.items() if v}
    return vals


def _columns(X, m, B):
    """Coordinate columns of X in the ring of backend B."""
    P = B.convert_points(X, m)
    return [P[:, i] for i in range(m + 1)], P.shape[0]


class HarmonicBasis:
    """A real orthonormal basis ``Y_(n,1..dim)`` of H_n(S^m), evaluated on demand.

    Create with :func:`harmonic_basis`. Calling it on points X of shape
    (k, m+1) returns the (k, dim H_n) matrix ``[Y_(n,i)(x_j)]``.

    Parameters
    ----------
    m : int
        Sphere dimension, m >= 1.
    n : int
        Degree, >= 0.
    backend : {"float", "mp", "arb", "exact"} or Backend
        The number system (see :func:`spherical_approx.arith.get_backend`).
    dps : int, optional
        Decimal digits for "mp" and "arb".

    Attributes
    ----------
    m, n : int
    dim : int
        ``dim H_n(S^m)``.
    labels : list of tuple
        Gelfand-Tsetlin labels, one per column (see :func:`harmonic_labels`).
    backend : Backend
    """

    def __init__(self, m, n, backend="float", dps=None):
        self.m = check_dimension(m)
        self.n = check_int(n, "n")
        self.backend = get_backend(backend, dps)
        self.dim = harmonic_dimension(self.m, self.n)
        check_feasible(f"the harmonic basis of degree {self.n} on S^{self.m} ({self.dim:.4g} functions)",
                       elements=float(self.dim) * (self.m + 1), operations=float(self.dim) * (self.m + 1),
                       advice="ask for a lower degree or a smaller m")
        self.labels = harmonic_labels(self.m, self.n)

    def __call__(self, X):
        B = self.backend
        k_points = len(X) if hasattr(X, "__len__") else 1
        # the level before last holds every degree <= n of S^(m-1): dim H_n(S^m) columns in all
        check_feasible(f"the degree-{self.n} harmonic basis on S^{self.m} at {k_points} points",
                       elements=3.0 * k_points * self.dim,
                       operations=float(k_points) * self.dim * (self.n + 1) * self.m
                       * B.cost_per_operation,
                       advice="evaluate at fewer points at a time, or ask for a lower degree")
        with B.local():
            cols, k = _columns(X, self.m, B)
            if k == 0:
                return np.zeros((0, self.dim), dtype=B.dtype)
            out = _basis_values(self.m, self.n, cols, B, top_only=True)[self.n]
        return B.expand(out)

    def __repr__(self):
        return f"HarmonicBasis(m={self.m}, n={self.n}, dim={self.dim}, backend={self.backend.name!r})"


def harmonic_basis(m, n, backend="float", dps=None):
    """A real orthonormal basis of H_n(S^m) for any m >= 1 and n >= 0.

    Parameters
    ----------
    m : int
        Sphere dimension.
    n : int
        Degree.
    backend : {"float", "mp", "arb", "exact"}
        Number system for the evaluation. With "exact", points may be sympy
        numbers or the symbols of :func:`sphere_symbols`, giving the basis as
        harmonic homogeneous polynomials.
    dps : int, optional
        Decimal digits for "mp" and "arb".

    Returns
    -------
    HarmonicBasis
        Callable: ``basis(X)`` has shape (len(X), dim H_n).

    Examples
    --------
    >>> Y = harmonic_basis(2, 1)
    >>> np.round(Y(np.array([[0.0, 0.0, 1.0]])) * np.sqrt(4 * np.pi / 3), 12)
    array([[1., 0., 0.]])
    >>> harmonic_basis(2, 1, backend="exact")([sphere_symbols(2)])
    array([[sqrt(3)*x2/(2*sqrt(pi)), sqrt(3)*x0/(2*sqrt(pi)),
            sqrt(3)*x1/(2*sqrt(pi))]], dtype=object)
    """
    return HarmonicBasis(m, n, backend, dps)


def _all_degrees(m, nmax, X):
    """Float basis matrices for every degree 0..nmax at points X (one shared pass)."""
    B = get_backend("float")
    cols, _ = _columns(X, m, B)
    return _basis_values(m, nmax, cols, B, top_only=False)


def zonal_kernel(m, n, X, Y):
    """The reproducing kernel of H_n: ``(dim H_n / A_m) P_n(<x, y>)``, shape (len X, len Y).

    By the addition theorem [classical] this equals ``sum_i Y_(n,i)(x) Y_(n,i)(y)``
    for any orthonormal basis.

    Parameters
    ----------
    m : int
        Sphere dimension, m >= 1.
    n : int
        Degree, >= 0.
    X : array_like
        Points of S^m as rows, shape (k, m+1).
    Y : array_like
        Points of S^m as rows, shape (l, m+1).

    Returns
    -------
    ndarray
        Shape (k, l).

    Examples
    --------
    >>> x = np.array([[1.0, 0.0, 0.0]])
    >>> K = zonal_kernel(2, 3, x, x)
    >>> bool(np.isclose(K[0, 0], 7 / (4 * np.pi)))
    True
    """
    m = check_dimension(m)
    n = check_int(n, "n")
    Xa, Ya = check_points(X, m, "X"), check_points(Y, m, "Y")
    t = np.clip(Xa @ Ya.T, -1.0, 1.0)
    return harmonic_dimension(m, n) / sphere_area(m) * zonal_polynomials(m, n, t)[n]


# --------------------------------------------------------------------------- expansions


def _laplacian(p, gens):
    out = sympy.Poly(0, *gens, domain=p.domain)
    for g in gens:
        out = out + p.diff(g).diff(g)
    return out


def _harmonic_components(poly, gens):
    """Exact decomposition of a polynomial restricted to the sphere into harmonic parts.

    Each homogeneous part q of degree d is split as ``q = h_d + r^2 q'`` where
    ``h_d = sum_j c_j r^(2j) Lap^j q`` is harmonic, with ``c_0 = 1`` and
    ``c_j = -c_(j-1) / (2 j (N + 2d - 2j - 2))`` (N = m + 1); this follows from
    ``Lap(r^(2j) g) = r^(2j) Lap g + 2j (N + 2k + 2j - 2) r^(2j-2) g`` for g
    homogeneous of degree k. On the sphere r^2 = 1, so the harmonic parts of
    q' contribute to degrees d-2, d-4, ... [classical].
    """
    N = len(gens)
    r2 = sympy.Poly(sum(g**2 for g in gens), *gens, domain=poly.domain)
    by_degree = {}
    for monom, coeff in poly.terms():
        d = sum(monom)
        by_degree[d] = by_degree.get(d, 0) + coeff * sympy.Mul(*[g**e for g, e in zip(gens, monom)])
    comps = {}
    for d, expr in by_degree.items():
        q = sympy.Poly(expr, *gens, domain=poly.domain)
        deg = d
        while not q.is_zero:
            h, lap, c, j = q, q, sympy.Integer(1), 0
            while True:
                lap = _laplacian(lap, gens)
                if lap.is_zero:
                    break
                j += 1
                c = -c / (2 * j * (N + 2 * deg - 2 * j - 2))
                h = h + (r2**j) * lap * c
            comps[deg] = comps[deg] + h if deg in comps else h
            q, rem = (q - h).div(r2)
            if not rem.is_zero:  # cannot happen: q - h is r^2 times a polynomial
                raise ArithmeticError("harmonic decomposition left a remainder")
            deg -= 2
    return comps


#: sympy's polynomial arithmetic recurses once per variable (dense recursive form): keep below
#: Python's recursion limit.
MAX_SYMBOLIC_DIMENSION = 200


def check_symbolic_dimension(m):
    """Refuse exact (sympy) polynomial arithmetic on S^m past :data:`MAX_SYMBOLIC_DIMENSION`.

    Parameters
    ----------
    m : int
        Sphere dimension, m >= 1.
    """
    if m >= MAX_SYMBOLIC_DIMENSION:
        raise InfeasibleError(f"exact polynomial arithmetic on S^{m} is beyond sympy (it recurses once per "
                              f"variable; m < {MAX_SYMBOLIC_DIMENSION} here): use method 'delta_net' or "
                              "HarmonicExpansion.from_function")


def _check_decomposition_feasible(degree, m):
    """Refuse an exact harmonic split that would run for hours: about (d/2)^2 Laplacians of
    polynomials with C(d + m, m) terms, each term operation costing ~1000 flops in sympy."""
    check_symbolic_dimension(m)
    terms = math.comb(degree + m, m)
    ops = 1000.0 * (degree / 2 + 1) ** 2 * terms * (m + 1)
    check_feasible(f"the exact harmonic decomposition of a degree-{degree} polynomial on S^{m}",
                   elements=float(terms) * (degree / 2 + 1), operations=ops,
                   advice="use HarmonicExpansion.from_function (quadrature, float64) for high degrees")


class HarmonicExpansion:
    """A (vector-valued) function on S^m given by its projections ``proj_n f``, n <= degree.

    Two representations, chosen by the constructor used:

    * exact (:meth:`from_polynomial`): each ``proj_n f`` is a harmonic
      homogeneous sympy polynomial in ``x0..xm``; nothing is rounded;
    * coefficients (:meth:`from_function`): ``proj_n f = sum_i c_(n,i) Y_(n,i)``
      in the basis of :func:`harmonic_basis`, computed by quadrature in float64.

    Calling the expansion evaluates ``sum_n proj_n f`` in float64 at points X of
    shape (k, m+1); the result has shape (k,) for scalar f and (k, d_out)
    otherwise.

    Parameters
    ----------
    m : int
        Sphere dimension, m >= 1.
    degree : int
        Polynomial degree, >= 0.
    exact : list of tuples of sympy expressions, optional
        ``exact[n][j]`` is ``proj_n`` of output j (exact representation).
    coefficients : list of ndarray, optional
        ``coefficients[n]`` has shape (dim H_n, d_out) (float representation).
    scalar : bool
        Whether the function is scalar valued.

    Examples
    --------
    >>> x0, x1, x2 = sphere_symbols(2)
    >>> E = HarmonicExpansion.from_polynomial(x2**2, 2)
    >>> E.component_expr(0), E.component_expr(2)
    (1/3, -x0**2/3 - x1**2/3 + 2*x2**2/3)
    >>> E.norms()       # exact L2 norms of proj_0, proj_1, proj_2
    [2*sqrt(pi)/3, 0, 4*sqrt(5)*sqrt(pi)/15]
    >>> F = HarmonicExpansion.from_function(lambda X: X[:, 2] ** 2, 2, degree=2)
    >>> np.allclose(F.norms(), [float(v) for v in E.norms()])
    True
    """

    def __init__(self, m, degree, *, exact=None, coefficients=None, scalar=True):
        self.m = check_dimension(m)
        self.degree = check_int(degree, "degree")
        if (exact is None) == (coefficients is None):
            raise ValueError("give exactly one of exact= or coefficients=")
        self._exact = exact  # list over n of tuples of sympy expressions
        self._coef = coefficients  # list over n of arrays (dim H_n, d_out)
        self.scalar = bool(scalar)
        self.d_out = len(exact[0]) if exact is not None else coefficients[0].shape[1]
        self._lambdified = None
        self._gens = sphere_symbols(self.m)  # from_polynomial replaces them by its variables

    # construction ------------------------------------------------------------
    @classmethod
    def from_polynomial(cls, expr, m, variables=None):
        """Exact expansion of a polynomial (or a list of polynomials) in x0..xm.

        Parameters
        ----------
        expr : sympy expression or sequence of them
            Polynomial(s) in ``variables``; restricted to S^m.
        m : int
        variables : sequence of sympy symbols, optional
            The m+1 coordinates (default :func:`sphere_symbols`; symbols named
            x0..xm without assumptions are accepted too).

        Raises
        ------
        ValueError
            If an expression is not a polynomial in the coordinates.
        """
        m = check_dimension(m)
        check_symbolic_dimension(m)
        gens = tuple(variables) if variables is not None else sphere_symbols(m)
        if len(gens) != m + 1:
            raise ValueError(f"variables must be {m + 1} symbols for S^{m}, got {len(gens)}")
        exprs, scalar = output_expressions(expr)
        if not exprs:
            raise ValueError("expr is empty")
        comps_per_output = []
        for e in exprs:
            if variables is None:
                e = coordinate_expr(e, m)
            else:
                e = sympy.sympify(e)
                extra = e.free_symbols - set(gens)
                if extra:
                    raise ValueError(f"expr has symbols {sorted(map(str, extra))} other than the coordinates {gens}")
            if not e.is_polynomial(*gens):
                raise ValueError(f"expr is not a polynomial in {gens}: {e}")
            # float coefficients by their exact binary values: the split is exact rational arithmetic
            e = e.xreplace({c: sympy.Rational(c) for c in e.atoms(sympy.Float)})
            poly = sympy.Poly(e, *gens)
            _check_decomposition_feasible(poly.total_degree(), m)
            comps_per_output.append(_harmonic_components(poly, gens))
        degree = max([max(c) for c in comps_per_output if c] or [0])
        exact = [
            tuple(c[n].as_expr() if n in c else sympy.Integer(0) for c in comps_per_output)
            for n in range(degree + 1)
        ]
        out = cls(m, degree, exact=exact, scalar=scalar)
        out._gens = gens
        return out

    @classmethod
    def from_function(cls, f, m, degree, rule_degree=None):
        """Projections ``proj_0 f .. proj_degree f`` by quadrature (float64).

        ``c_(n,i) = sum_j w_j f(y_j) Y_(n,i)(y_j)`` with a rule exact to
        ``rule_degree`` (default ``2 * degree``). For a polynomial f of degree
        <= ``rule_degree - degree`` the projections are exact up to rounding;
        otherwise they carry the quadrature (aliasing) error of f, which falls
        as ``rule_degree`` grows.

        Parameters
        ----------
        f : callable or sympy expression
            ``f(X)`` for X of shape (k, m+1) returns (k,) or (k, d_out); a sympy
            expression (or list of them) in x0..xm is lambdified.
        m : int
            Sphere dimension, m >= 1.
        degree : int
            Polynomial degree, >= 0.
        rule_degree : int, optional
            Exactness of the quadrature rule (default ``2 degree``).
        """
        m = check_dimension(m)
        degree = check_int(degree, "degree")
        rule_degree = 2 * degree if rule_degree is None else check_int(rule_degree, "rule_degree")
        from .quadrature import quadrature_rule

        target = Target(f, m)
        Y, w = quadrature_rule(m, rule_degree)
        F = target(Y)
        scalar = target.scalar
        basis = _all_degrees(m, degree, Y)
        coef = [basis[n].T @ (w[:, None] * F) for n in range(degree + 1)]
        return cls(m, degree, coefficients=coef, scalar=scalar)

    # access ------------------------------------------------------------------
    @property
    def exact(self):
        """True for the exact (sympy) representation."""
        return self._exact is not None

    def component_expr(self, n, output=None):
        """The exact ``proj_n f`` as a sympy polynomial (exact expansions only).

        Parameters
        ----------
        n : int
            Degree, >= 0.
        output : int, optional
            The output (default: the only one of a scalar function).

        Returns
        -------
        sympy expression
            ``proj_n f`` (of that output).
        """
        if not self.exact:
            raise ValueError("component_expr needs an exact expansion (use from_polynomial)")
        n = check_int(n, "n")
        if n > self.degree:
            return sympy.Integer(0)
        comps = self._exact[n]
        if self.scalar:
            return comps[0]
        return comps if output is None else comps[output]

    def coefficients(self, n):
        """Float coefficients of ``proj_n f`` in :func:`harmonic_basis`, shape (dim H_n, d_out).

        Parameters
        ----------
        n : int
            Degree, >= 0.

        Returns
        -------
        ndarray
            Shape (dim H_n, d_out).
        """
        n = check_int(n, "n")
        if n > self.degree:
            return np.zeros((harmonic_dimension(self.m, n), self.d_out))
        if not self.exact:
            return self._coef[n].copy()
        # proj_n f is in H_n, so a rule exact to 2n recovers its coefficients exactly.
        from .quadrature import quadrature_rule

        Y, w = quadrature_rule(self.m, 2 * n)
        vals = self._eval_exact(Y, [n])
        return harmonic_basis(self.m, n)(Y).T @ (w[:, None] * vals)

    def norms(self, exact=True):
        """L2(S^m) norm of each ``proj_n f`` (Euclidean over outputs), n = 0..degree.

        Exact sympy numbers for exact expansions (unless ``exact=False``: then, as
        for coefficient expansions, a float array from the basis coefficients,
        which is much faster for high degrees).

        Parameters
        ----------
        exact : bool
            Exact (sympy) norms where the expansion is exact; floats otherwise.

        Returns
        -------
        list
            ``||proj_n f||_2`` for n = 0..degree.
        """
        if not self.exact:
            return np.array([np.linalg.norm(c) for c in self._coef])
        if not exact:
            return np.array([np.linalg.norm(self.coefficients(n)) for n in range(self.degree + 1)])
        out = []
        for comps in self._exact:
            sq = sum(polynomial_integral(sympy.Poly(c**2, *self._gens)) for c in comps)
            out.append(sympy.sqrt(sympy.nsimplify(sq)) if sq.is_Rational else sympy.sqrt(sq))
        return out

    # evaluation --------------------------------------------------------------
    def _eval_exact(self, P, degrees):
        if self._lambdified is None:
            self._lambdified = [
                [sympy.lambdify(self._gens, c, "numpy") for c in comps] for comps in self._exact
            ]
        out = np.zeros((P.shape[0], self.d_out))
        cols = [P[:, i] for i in range(self.m + 1)]
        for n in degrees:
            for o, fn in enumerate(self._lambdified[n]):
                out[:, o] += np.broadcast_to(fn(*cols), (P.shape[0],))
        return out

    def __call__(self, X, degrees=None):
        """Evaluate ``sum_n proj_n f`` (or only the given ``degrees``) at X, in float64."""
        P = check_points(X, self.m)
        degs = range(self.degree + 1) if degrees is None else [check_int(n, "degree") for n in degrees]
        degs = [n for n in degs if n <= self.degree]
        if self.exact:
            out = self._eval_exact(P, degs)
        else:
            out = np.zeros((P.shape[0], self.d_out))
            if degs:
                basis = _all_degrees(self.m, max(degs), P)
                for n in degs:
                    out += basis[n] @ self._coef[n]
        return out[:, 0] if self.scalar else out

    def scaled(self, factors):
        """A new expansion with ``proj_n f`` multiplied by ``factors[n]``.

        This is how a zonal (Funk-Hecke) operator acts; exact factors keep an
        exact expansion exact.

        Parameters
        ----------
        factors : sequence
            One factor per degree 0..degree.

        Returns
        -------
        HarmonicExpansion
            The scaled expansion.

        Examples
        --------
        >>> x0, x1, x2 = sphere_symbols(2)
        >>> E = HarmonicExpansion.from_polynomial(x0 + x1 * x2, 2)
        >>> E.scaled([1, sympy.Rational(1, 2), sympy.Rational(1, 4)]).component_expr(2)
        x1*x2/4
        """
        if len(factors) < self.degree + 1:
            raise ValueError(f"need {self.degree + 1} factors (degrees 0..{self.degree}), got {len(factors)}")
        if self.exact:
            exact = [tuple(sympy.expand(sympy.sympify(factors[n]) * c) for c in comps)
                     for n, comps in enumerate(self._exact)]
            out = HarmonicExpansion(self.m, self.degree, exact=exact, scalar=self.scalar)
            out._gens = self._gens
            return out
        fl = np.asarray([float(v) for v in factors[: self.degree + 1]])
        if not np.all(np.isfinite(fl)):
            raise ValueError("factors must be finite")
        coef = [fl[n] * c for n, c in enumerate(self._coef)]
        return HarmonicExpansion(self.m, self.degree, coefficients=coef, scalar=self.scalar)

    def _repr_html_(self):
        from .records import html_table

        norms = ", ".join(f"{float(v):.3g}" for v in self.norms(exact=False))
        return html_table("HarmonicExpansion", [("sphere", f"S^{self.m}"), ("degree", self.degree),
                                                ("outputs", self.d_out),
                                                ("representation", "exact" if self.exact else "float"),
                                                ("||proj_n f||_2, n = 0..degree", norms)])

    def _repr_latex_(self):
        """The function as a formula, for exact scalar expansions of modest size (None otherwise)."""
        if not self.exact or self.d_out != 1:
            return None
        text = sympy.latex(sympy.Add(*[self.component_expr(n) for n in range(self.degree + 1)]))
        return f"${text}$" if len(text) <= 2000 else None

    def __repr__(self):
        kind = "exact" if self.exact else "float coefficients"
        return f"HarmonicExpansion(m={self.m}, degree={self.degree}, d_out={self.d_out}, {kind})"
