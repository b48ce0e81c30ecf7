"""Feasibility limits: refuse up front what would exhaust memory or take hours.

Entry points whose memory or work grows with a size the caller chooses indirectly
(a prefix length N from eps, a quadrature degree, a harmonic degree, a number of
points, boxes) estimate that size *before* allocating or looping, and raise
:class:`InfeasibleError` (a ``ValueError``) naming what was asked, what it would
take and how to ask for less, when the estimate is above a limit:

==================  ============  ===================================================
limit               default       meaning
==================  ============  ===================================================
``max_elements``    ``5e8``       numbers held at once (4 GB of float64)
``max_operations``  ``1e10``      elementary operations of one call (about 10 s on a core)
==================  ============  ===================================================

Operation counts are closed-form work models calibrated at about 1e9 operations per
second, so the default refuses what would run for more than roughly ten seconds;
long jobs (the verification suite, large certificates) raise the limit explicitly.
The limits are per thread of work (a :mod:`contextvars` variable) and adjustable:

>>> from spherical_approx import limits
>>> limits.get_limits()["max_elements"]
500000000.0
>>> with limits.override(max_elements=1e3):
...     limits.check_feasible("a test array", elements=1e4)
Traceback (most recent call last):
...
spherical_approx.limits.InfeasibleError: a test array needs about 1e+04 numbers in memory, ... max_elements = 1e+03 ...

``set_limits(max_elements=..., max_operations=...)`` changes them for the current
context from then on.
"""

from __future__ import annotations

import contextlib
import contextvars
import math
import types

__all__ = ["InfeasibleError", "check_feasible", "get_limits", "set_limits", "override", "DEFAULT_LIMITS"]

DEFAULT_LIMITS = types.MappingProxyType({"max_elements": 5e8, "max_operations": 1e10})
_LIMITS = contextvars.ContextVar("spherical_approx_limits", default=DEFAULT_LIMITS)  # read-only default


class InfeasibleError(ValueError):
    """A request whose estimated memory or work is above the limits (nothing was computed)."""


def get_limits():
    """The limits in force (a copy).

    Returns
    -------
    dict
        Name to value.
    """
    return dict(_LIMITS.get())


def _validated(changes):
    new = get_limits()
    for name, value in changes.items():
        if name not in DEFAULT_LIMITS:
            raise ValueError(f"unknown limit {name!r}; the limits are {sorted(DEFAULT_LIMITS)}")
        value = float(value)
        if not value > 0:  # also refuses NaN
            raise ValueError(f"{name} must be > 0 (math.inf for no limit), got {value!r}")
        new[name] = value
    return new


def set_limits(**changes):
    """Change limits for the current context (``max_elements``, ``max_operations``).

    Parameters
    ----------
    **changes
        New values of ``max_elements`` and ``max_operations``.
    """
    _LIMITS.set(_validated(changes))


@contextlib.contextmanager
def override(**changes):
    """Context manager: the given limits inside the block, the previous ones after it.

    Parameters
    ----------
    **changes
        New values of ``max_elements`` and ``max_operations``.

    Yields
    ------
    dict
        The limits in force inside the block.
    """
    token = _LIMITS.set(_validated(changes))
    try:
        yield get_limits()
    finally:
        _LIMITS.reset(token)


def check_feasible(what, elements=0.0, operations=0.0, advice=""):
    """Raise :class:`InfeasibleError` if ``what`` needs more than the limits allow.

    Parameters
    ----------
    what : str
        The request in words ("a quadrature rule of degree 400 on S^3").
    elements, operations : float
        Estimated numbers held at once and elementary operations (may be inf).
    advice : str
        How to ask for less (appended to the message).
    """
    lim = _LIMITS.get()
    tail = f"; {advice}" if advice else ""
    for value, name, unit in ((elements, "max_elements", "numbers in memory"),
                              (operations, "max_operations", "operations")):
        if not value <= lim[name]:  # NaN counts as infeasible
            shown = f"{value:.3g}" if math.isfinite(value) else "an unbounded number of"
            raise InfeasibleError(
                f"{what} needs about {shown} {unit}, above the limit {name} = {lim[name]:.3g} "
                f"(raise it with spherical_approx.limits.override({name}=...) or set_limits if you have the "
                f"{'memory' if name == 'max_elements' else 'time'}){tail}")
