"""Claims and their results.

A :class:`Claim` is one statement of MATH.md with its provenance tag
([paper], [third-party], [classical] or [toolkit]), default parameters (and
smaller ``quick`` ones), and a ``run(params) -> Result``. Check modules in
:mod:`proofs_check.checks` register claims with :func:`claim`.
"""

from __future__ import annotations

import importlib
import pkgutil
import time
import traceback
from dataclasses import dataclass, field
from typing import Any, Callable

PROVENANCE = ("[paper]", "[third-party]", "[classical]", "[toolkit]")


@dataclass
class Result:
    """Outcome of one claim: what was predicted (or the bound), what was measured, and the verdict."""

    predicted: str
    measured: str
    passed: bool
    details: str = ""
    seconds: float = 0.0
    error: str = ""

    def as_dict(self):
        return {
            "predicted": self.predicted,
            "measured": self.measured,
            "passed": bool(self.passed),
            "details": self.details,
            "seconds": round(self.seconds, 3),
            "error": self.error,
        }


@dataclass
class Claim:
    id: str
    statement: str
    provenance: str
    group: str
    run: Callable[[dict], Result]
    params: dict = field(default_factory=dict)
    quick_params: dict | None = None

    def __post_init__(self):
        if self.provenance not in PROVENANCE:
            raise ValueError(f"claim {self.id}: provenance must be one of {PROVENANCE}, got {self.provenance!r}")

    def parameters(self, quick: bool) -> dict:
        return dict(self.quick_params) if quick and self.quick_params is not None else dict(self.params)

    def execute(self, quick: bool = False) -> Result:
        """Run the claim; an exception becomes a FAIL whose reason is the error."""
        t0 = time.perf_counter()
        try:
            res = self.run(self.parameters(quick))
        except Exception as exc:  # a crash is a failure, with the reason shown
            res = Result("-", "-", False, error=f"{type(exc).__name__}: {exc}",
                         details=traceback.format_exc(limit=3))
        res.seconds = time.perf_counter() - t0
        return res


CLAIMS: dict[str, Claim] = {}


def claim(id: str, statement: str, provenance: str, group: str, params: dict | None = None,
          quick: dict | None = None):
    """Decorator registering ``run(params) -> Result`` as a claim."""

    def wrap(fn):
        if id in CLAIMS:
            raise ValueError(f"duplicate claim id {id!r}")
        CLAIMS[id] = Claim(id, statement, provenance, group, fn, dict(params or {}), quick)
        return fn

    return wrap


#: Groups run in the order of the data flow; modules not listed follow alphabetically.
CHECK_ORDER = ["foundations", "kernels", "bounds", "heads"]


def load_checks():
    """Import every module of proofs_check.checks so that their claims register."""
    from . import checks

    names = [mod.name for mod in pkgutil.iter_modules(checks.__path__)]
    for name in sorted(names, key=lambda n: (CHECK_ORDER.index(n) if n in CHECK_ORDER else len(CHECK_ORDER), n)):
        importlib.import_module(f"{checks.__name__}.{name}")
    return CLAIMS


def run_claims(ids=None, quick=False, progress=None) -> list[tuple[Claim, Result]]:
    """Run the claims with the given ids (all by default), in registry order."""
    load_checks()
    selected = [CLAIMS[i] for i in (ids or CLAIMS)]
    out = []
    for k, c in enumerate(selected):
        if progress:
            progress(k, len(selected), c)
        out.append((c, c.execute(quick)))
    if progress:
        progress(len(selected), len(selected), None)
    return out


def fmt(x: Any, digits: int = 3) -> str:
    """Short numeric formatting for tables."""
    if isinstance(x, float):
        return f"{x:.{digits}g}"
    return str(x)
