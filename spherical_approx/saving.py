"""Saved heads: an :class:`~spherical_approx.constructions.Approximation` in one ``.npz`` file.

The file holds the prefix (keys, biases, values) as float64 arrays, and a JSON
record of everything else: the construction, the head's shape parameters
``(m, d_out)`` (the matrices are fixed by them), the error bound with its
provenance, the construction's parameters, the target's expressions when it
had some, and the package version. A SHA-256 digest over the record and the
arrays is stored beside them, so that a file that was edited, truncated or
assembled from parts is refused instead of being loaded as a wrong head.
Nothing is unpickled: the file is read with ``allow_pickle=False``.

The exact prediction of a head (a :class:`~spherical_approx.harmonics.HarmonicExpansion`,
where there is one) is not saved; everything that evaluates the head is.
"""

from __future__ import annotations

import hashlib
import json
import math
import os
import zipfile

import numpy as np

__all__ = ["save_head", "load", "FORMAT", "FORMAT_VERSION"]

#: The ``format`` entry of every saved head.
FORMAT = "spherical-approx head"
#: Incremented when the file layout changes.
FORMAT_VERSION = 1
_ARRAYS = ("keys", "biases", "values")


def _jsonable(value):
    """value as JSON data: numbers, strings, lists and dicts as they are, anything else by its repr."""
    if isinstance(value, (bool, str)) or value is None:
        return value
    if isinstance(value, (int, np.integer)):
        return int(value)
    if isinstance(value, (float, np.floating)):
        return float(value)
    if isinstance(value, dict):
        return {str(k): _jsonable(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_jsonable(v) for v in value]
    if isinstance(value, np.ndarray) and value.size <= 64:
        return _jsonable(value.tolist())
    return repr(value)


def _digest(record, arrays):
    h = hashlib.sha256(record.encode())
    for name in _ARRAYS:
        a = np.ascontiguousarray(arrays[name])
        h.update(f"{name}|{a.dtype.str}|{a.shape}|".encode())
        h.update(a.tobytes())
    return h.hexdigest()


def save_head(approx, path):
    """Write ``approx`` to ``path`` (``.npz`` is appended when missing).

    Parameters
    ----------
    approx : Approximation
        The head.
    path : str or os.PathLike
        Where to write.

    Returns
    -------
    str
        The path written.

    Examples
    --------
    >>> import os, sympy, tempfile
    >>> import spherical_approx as sa
    >>> x0, x1 = sympy.symbols("x0:2")
    >>> a = sa.approximate(x0 * x1, 1, 0.1, method="quadrature")
    >>> path = save_head(a, os.path.join(tempfile.mkdtemp(), "head"))
    >>> b = load(path)
    >>> X = sa.sample_uniform(1, 5, seed=0)
    >>> bool((a(X) == b(X)).all()), b.target_expressions
    (True, ('x0*x1',))
    """
    from . import __version__
    from .constructions import Approximation

    if not isinstance(approx, Approximation):
        raise TypeError(f"save_head needs an Approximation, got {type(approx).__name__}")
    path = os.fspath(path)
    if not path.endswith(".npz"):
        path += ".npz"
    prefix = approx.prefix
    arrays = {"keys": prefix.keys, "biases": prefix.biases, "values": prefix.values}
    record = json.dumps({
        "format": FORMAT, "format_version": FORMAT_VERSION, "package_version": __version__,
        "method": approx.method, "m": int(approx.m), "d_out": int(approx.head.d_out),
        "context_tokens": _jsonable(approx.context_tokens),
        "error_bound": "inf" if approx.error_bound == math.inf else float(approx.error_bound),
        "bound_kind": approx.bound_kind, "parameters": _jsonable(approx.parameters),
        "target_expressions": list(approx.target_expressions) if approx.target_expressions else None,
    }, sort_keys=True)
    with open(path, "wb") as fh:
        np.savez(fh, record=np.array(record), digest=np.array(_digest(record, arrays)), **arrays)
    return path


def _refuse(path, why):
    return ValueError(f"{path} is not a valid saved head: {why}")


def load(path):
    """Read a head written by :func:`save_head` (or ``Approximation.save``).

    Parameters
    ----------
    path : str or os.PathLike
        The ``.npz`` file.

    Returns
    -------
    Approximation
        The head: the same prefix and matrices, so the same outputs bit for bit.

    Raises
    ------
    FileNotFoundError
        If there is no such file.
    ValueError
        If the file is not a saved head, is truncated, or does not match its digest
        (it was changed after it was written).
    """
    from .constructions import Approximation
    from .heads import Prefix, UniversalHead

    path = os.fspath(path)
    if not os.path.isfile(path):
        raise FileNotFoundError(f"no saved head at {path}")
    try:
        with np.load(path, allow_pickle=False) as z:
            entries = {name: z[name] for name in z.files}
    except (zipfile.BadZipFile, EOFError, OSError, ValueError, KeyError) as exc:
        raise _refuse(path, f"unreadable npz ({type(exc).__name__}: {exc}); truncated or not written by save_head") \
            from None
    missing = sorted({"record", "digest", *_ARRAYS} - set(entries))
    if missing:
        raise _refuse(path, f"missing entries {missing}")
    if entries["record"].shape != () or entries["digest"].shape != ():
        raise _refuse(path, "the record and digest must be single strings")
    record, digest = str(entries["record"]), str(entries["digest"])
    arrays = {name: entries[name] for name in _ARRAYS}
    if any(a.dtype != np.float64 for a in arrays.values()):
        raise _refuse(path, "the prefix arrays must be float64")
    if _digest(record, arrays) != digest:
        raise _refuse(path, "its contents do not match the digest written with them (the file was modified)")
    meta = json.loads(record)
    if meta.get("format") != FORMAT or meta.get("format_version") != FORMAT_VERSION:
        raise _refuse(path, f"format {meta.get('format')!r} version {meta.get('format_version')!r}, expected "
                            f"{FORMAT!r} version {FORMAT_VERSION}")
    m, d_out = meta["m"], meta["d_out"]
    prefix = Prefix(arrays["keys"], arrays["biases"], arrays["values"])
    if prefix.keys.shape[1] != m + 1 or prefix.values.shape[1] != d_out:
        raise _refuse(path, f"prefix shapes {prefix.keys.shape}, {prefix.values.shape} do not fit m = {m}, "
                            f"d_out = {d_out}")
    bound = math.inf if meta["error_bound"] == "inf" else float(meta["error_bound"])
    targets = tuple(meta["target_expressions"]) if meta["target_expressions"] else None
    return Approximation(meta["method"], m, UniversalHead(m, d_out), prefix, bound, meta["bound_kind"],
                         meta["context_tokens"], meta["parameters"], target_expressions=targets)
