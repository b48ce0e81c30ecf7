"""Argument checks shared by the public functions: clear errors, never silent NaN."""

from __future__ import annotations

import numbers

import numpy as np

#: Points whose norm differs from 1 by more than this are rejected as "not unit".
UNIT_TOL = 1e-8


def check_int(value, name: str, minimum: int = 0) -> int:
    """Return ``value`` as an int if it is an integer >= ``minimum``; raise otherwise."""
    if isinstance(value, bool) or not isinstance(value, numbers.Integral):
        if isinstance(value, float) and value.is_integer():
            raise TypeError(f"{name} must be an integer, got the float {value!r}")
        raise TypeError(f"{name} must be an integer, got {type(value).__name__} {value!r}")
    if value < minimum:
        raise ValueError(f"{name} must be >= {minimum}, got {value}")
    return int(value)


def check_dimension(m, name: str = "m") -> int:
    """The sphere dimension: an integer m >= 1 (S^m lives in R^(m+1))."""
    return check_int(m, name, minimum=1)


def check_positive(value, name: str, allow_zero: bool = False) -> float:
    """A finite real number > 0 (>= 0 with ``allow_zero``)."""
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        raise TypeError(f"{name} must be a real number, got {type(value).__name__}")
    v = float(value)
    if not np.isfinite(v):
        raise ValueError(f"{name} must be finite, got {value!r}")
    if v < 0 or (v == 0 and not allow_zero):
        raise ValueError(f"{name} must be {'>= 0' if allow_zero else '> 0'}, got {value!r}")
    return v


def check_points(X, m: int, name: str = "X", unit: bool = True) -> np.ndarray:
    """Return ``X`` as a float64 array of shape (k, m+1) of finite unit rows.

    A single point of shape (m+1,) is accepted and promoted to (1, m+1). Rows
    must have norm 1 within :data:`UNIT_TOL` (float64 input) or within
    ``16 (m+1)`` machine epsilons of a lower-precision input dtype (float32).
    """
    arr = np.asarray(X)
    if arr.dtype == object or not np.issubdtype(arr.dtype, np.number):
        raise TypeError(f"{name} must be a numeric array, got dtype {arr.dtype}")
    if np.iscomplexobj(arr):
        raise TypeError(f"{name} must be real, got a complex array")
    # a unit vector stored in a lower precision is unit only to that precision
    tol = UNIT_TOL
    if np.issubdtype(arr.dtype, np.floating) and np.finfo(arr.dtype).eps > np.finfo(np.float64).eps:
        tol = max(UNIT_TOL, 16 * (m + 1) * float(np.finfo(arr.dtype).eps))
    arr = arr.astype(float, copy=False)
    if arr.ndim == 1:
        arr = arr[None, :]
    if arr.ndim != 2 or arr.shape[1] != m + 1:
        raise ValueError(
            f"{name} must have shape (k, {m + 1}) for points on S^{m}, got shape {np.shape(X)}"
        )
    if not np.all(np.isfinite(arr)):
        raise ValueError(f"{name} contains NaN or infinite entries")
    if unit and arr.shape[0]:
        dev = np.abs(np.linalg.norm(arr, axis=1) - 1.0)
        worst = int(np.argmax(dev))
        if not dev[worst] <= tol:
            raise ValueError(
                f"{name} must hold unit vectors (|x| = 1 within {tol:g}); "
                f"row {worst} has norm {np.linalg.norm(arr[worst]):.12g}"
            )
    return arr
