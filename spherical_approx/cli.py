"""``python -m spherical_approx``: one's own target from the command line.

Commands::

    python -m spherical_approx approximate EXPR --m M --eps EPS [--method METHOD] [--certify]
                                          [--save head.npz] [--plot error.png]
    python -m spherical_approx certify head.npz EXPR --eps EPS

EXPR is a sympy expression in the coordinates x0..xM (for example ``"abs(x0) + x1*x2"``).
``approximate`` builds a head and prints its prefix length N, its error bound with the
bound's provenance, and the sup error sampled on 20,000 points with local maximisation;
``--certify`` adds a certificate over the whole sphere. ``certify`` proves (or refutes) the
error of a head saved with ``--save`` (or ``Approximation.save``) against EXPR.

Exit status: 0 on success (a certificate proved), 1 when eps is not met or a certificate is
not proved, 2 for bad input (an expression that does not parse, an unknown symbol, a target
that is not real on the sphere or that the method refuses, such as a target with no finite
Lipschitz constant or a non-analytic one for "spectral", a bad path, bad numbers).
"""

from __future__ import annotations

import argparse
import sys

import numpy as np
import sympy

__all__ = ["main", "parse_target"]


class BadInput(Exception):
    """A problem with what the user typed: reported in one line, exit status 2."""


def parse_target(text, m):
    """A sympy expression in x0..xm from the command line, checked to be real and finite on S^m.

    Parameters
    ----------
    text : str
        The expression (sympy syntax; ``abs`` and ``Abs`` both work).
    m : int
        Sphere dimension.

    Returns
    -------
    sympy expression
        The expression in the real coordinates :func:`~spherical_approx.targets.sphere_symbols`.

    Raises
    ------
    BadInput
        With a one-line message naming the problem.

    Examples
    --------
    >>> parse_target("abs(x0) + x1**2", 1)
    x1**2 + Abs(x0)
    >>> parse_target("x0 + y", 1)
    Traceback (most recent call last):
    ...
    spherical_approx.cli.BadInput: unknown symbol(s) y in 'x0 + y': use x0..x1 on S^1
    """
    from sympy.parsing.sympy_parser import TokenError, parse_expr, standard_transformations

    from .sphere import sample_uniform
    from .targets import sphere_symbols

    gens = sphere_symbols(m)
    names = {g.name: g for g in gens}
    try:
        expr = parse_expr(text, local_dict=dict(names), transformations=standard_transformations)
    except (SyntaxError, TokenError, TypeError, ValueError, AttributeError) as exc:
        raise BadInput(f"cannot parse {text!r}: {type(exc).__name__}: {exc}".splitlines()[0]) from None
    if not isinstance(expr, sympy.Expr):
        raise BadInput(f"{text!r} is not an expression (it parsed to {type(expr).__name__})")
    unknown = sorted(str(s) for s in expr.free_symbols - set(gens))
    if unknown:
        raise BadInput(f"unknown symbol(s) {', '.join(unknown)} in {text!r}: use x0..x{m} on S^{m}")
    X = sample_uniform(m, 2000, seed=0)
    with np.errstate(all="ignore"):
        values = np.asarray(sympy.lambdify(gens, expr, "numpy")(*X.T), dtype=complex) * np.ones(len(X))
    bad = ~np.isfinite(values) | (np.abs(values.imag) > 1e-12 * np.maximum(1.0, np.abs(values.real)))
    if expr.has(sympy.I, sympy.zoo, sympy.nan) or bad.any():
        at = X[np.argmax(bad)] if bad.any() else None
        raise BadInput(f"{text!r} is not real and finite on S^{m}"
                       + (f" (at {np.array2string(at, precision=3)})" if at is not None else ""))
    return expr


def _positive(kind):
    noun = {int: "integer", float: "number"}[kind]

    def convert(text):
        try:
            value = kind(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"expected a positive {noun}, got {text!r}") from None
        if not value > 0 or (kind is float and not np.isfinite(value)):
            raise argparse.ArgumentTypeError(f"expected a positive {noun}, got {text!r}")
        return value
    return convert


def _parser():
    from .constructions import METHODS

    p = argparse.ArgumentParser(prog="python -m spherical_approx", description=__doc__,
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = p.add_subparsers(dest="command", required=True)
    a = sub.add_parser("approximate", help="build a head for EXPR on S^M within EPS")
    a.add_argument("expr", metavar="EXPR")
    a.add_argument("--m", type=_positive(int), required=True, metavar="M", help="sphere dimension")
    a.add_argument("--eps", type=_positive(float), required=True, metavar="EPS", help="target sup error")
    a.add_argument("--method", choices=METHODS, default="quadrature")
    a.add_argument("--certify", action="store_true", help="also certify the error over the whole sphere")
    a.add_argument("--save", metavar="PATH", help="save the head (npz)")
    a.add_argument("--plot", metavar="PNG", help="draw the error (S^1: a curve, S^2: a map, else a histogram)")
    c = sub.add_parser("certify", help="certify a saved head against EXPR")
    c.add_argument("head", metavar="HEAD.npz")
    c.add_argument("expr", metavar="EXPR")
    c.add_argument("--eps", type=_positive(float), required=True, metavar="EPS")
    return p


def _print_certificate(cert):
    if cert.status == "refuted":  # the witness is the news; the upper bound of the boxes so far is not
        where = np.array2string(np.asarray(cert.witness), precision=4)
        print(f"certificate: refuted: |head - f| >= {cert.lower:.4g} > eps = {cert.eps:g} at {where}"
              f" ({cert.boxes} boxes, {cert.seconds:.1f} s)")
        return
    print(f"certificate: {cert.status}: sup error <= {cert.upper:.4g}"
          + (f", attained {cert.lower:.4g}" if cert.lower > 0 else "")
          + f" ({cert.boxes} boxes, {cert.seconds:.1f} s)")


def _approximate(args):
    from .certify import certify_sup_error
    from .constructions import EpsNotMetError, approximate, sampled_sup_error
    from .plot import error_map

    expr = parse_target(args.expr, args.m)
    for path in (args.save, args.plot):
        _check_writable(path)
    try:
        approx = approximate(expr, args.m, args.eps, method=args.method)
    except EpsNotMetError as exc:
        print(f"eps not met: {exc}", file=sys.stderr)
        return 1
    sampled = sampled_sup_error(approx, expr, args.m)
    print(f"method {approx.method}, N = {approx.prefix_length}")
    print(f"error bound: {approx.error_bound:.4g} [{approx.bound_kind}]")
    print(f"sampled sup error: {sampled:.4g} (20,000 points and local maximisation)")
    status = 0
    if args.certify:
        cert = certify_sup_error(approx, expr, args.eps, max_seconds=120.0)
        _print_certificate(cert)
        status = 0 if cert.proved else 1
    if args.save:
        print(f"saved: {approx.save(args.save)}")
    if args.plot:
        error_map(approx, expr).savefig(args.plot, dpi=120)
        print(f"plot: {args.plot}")
    return status


def _certify(args):
    from .certify import certify_sup_error
    from .saving import load

    try:
        approx = load(args.head)
    except FileNotFoundError as exc:
        raise BadInput(str(exc)) from None
    except ValueError as exc:
        raise BadInput(str(exc)) from None
    expr = parse_target(args.expr, approx.m)
    cert = certify_sup_error(approx, expr, args.eps, max_seconds=120.0)
    print(f"head: {approx.method}, S^{approx.m}, N = {approx.prefix_length}")
    _print_certificate(cert)
    return 0 if cert.proved else 1


def _check_writable(path):
    import os

    if path is None:
        return
    folder = os.path.dirname(os.path.abspath(path))
    if not os.path.isdir(folder) or not os.access(folder, os.W_OK):
        raise BadInput(f"cannot write {path}: {folder} is not a writable folder")


def main(argv=None):
    """Run the command line; returns the exit status.

    Parameters
    ----------
    argv : list of str, optional
        The arguments (default ``sys.argv[1:]``).

    Returns
    -------
    int
        0, 1 or 2 (see the module docstring).
    """
    from .limits import InfeasibleError

    args = _parser().parse_args(argv)
    try:
        return _approximate(args) if args.command == "approximate" else _certify(args)
    except (BadInput, InfeasibleError, ValueError) as exc:
        # the library's refusals (not Lipschitz, not analytic, too large) are about the input too
        print(f"error: {exc}".splitlines()[0], file=sys.stderr)
        return 2
