"""Claims and their results.

A :class:`Claim` is one statement of the toolkit's mathematics (docs/theory/) with its provenance tag
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


@dataclass(frozen=True)
class Quantity:
    """One measured number and the bound it is checked against: ``value relation bound``.

    Parameters
    ----------
    name : str
        What is measured ("rel. dev.", "max |G - I|", "error bound / eps").
    value : float
        The measurement.
    bound : float
        What it must not exceed.
    relation : {"<=", "<"}
        The comparison.
    unit : str
        The unit or kind of the number ("relative", "absolute", "ratio"); empty when evident.
    """

    name: str
    value: float
    bound: float
    relation: str = "<="
    unit: str = ""

    def __post_init__(self):
        if self.relation not in ("<=", "<"):
            raise ValueError(f"relation must be '<=' or '<', got {self.relation!r}")

    @property
    def holds(self) -> bool:
        """Whether ``value relation bound`` (False for NaN)."""
        return bool(self.value <= self.bound) if self.relation == "<=" else bool(self.value < self.bound)

    def as_dict(self):
        """The quantity for report.json.

        Returns
        -------
        dict
            name, value, bound, relation, unit and holds.
        """
        return {"name": self.name, "value": float(self.value), "bound": float(self.bound),
                "relation": self.relation, "unit": self.unit, "holds": self.holds}


@dataclass
class Result:
    """Outcome of one claim: what was predicted (or the bound), what was measured, and the verdict.

    ``quantities`` carries the numbers behind the verdict (see :meth:`bounded`), so that
    report.json can be checked by a machine: the verdict of a result built from quantities is
    that every one of them holds.
    """

    predicted: str
    measured: str
    passed: bool
    details: str = ""
    seconds: float = 0.0
    error: str = ""
    data: Any = None  # a report Section (proofs_check.report), or None
    quantities: list = field(default_factory=list)

    def _repr_html_(self):
        from spherical_approx.records import html_table

        rows = [("predicted / bound", self.predicted), ("measured", self.measured),
                ("result", "PASS" if self.passed else "FAIL"), ("seconds", self.seconds)]
        rows += [(f"{q.name} ({q.relation} {q.bound:.6g})", q.value) for q in self.quantities]
        if self.error:
            rows.append(("error", self.error))
        return html_table("claim result", rows)

    @classmethod
    def bounded(cls, name, value, bound, relation="<=", unit="", details="", predicted=None, measured=None):
        """A result whose verdict is ``value relation bound``, its text derived from the numbers.

        Parameters
        ----------
        name, value, bound, relation, unit
            As for :class:`Quantity`.
        details : str
            What was checked, in words.
        predicted, measured : str, optional
            Other wording of the two text cells (default ``"{name} {relation} {bound:g}"`` and
            the value to 3 digits).

        Returns
        -------
        Result
            The result, with the quantity attached.
        """
        q = Quantity(name, float(value), float(bound), relation, unit)
        return cls(predicted if predicted is not None else f"{name} {relation} {bound:g}",
                   measured if measured is not None else fmt(float(value)), q.holds, details, quantities=[q])

    def as_dict(self):
        """The result for report.json.

        Returns
        -------
        dict
            The text cells, the verdict, the time and the quantities.
        """
        return {
            "predicted": self.predicted,
            "measured": self.measured,
            "passed": bool(self.passed),
            "details": self.details,
            "seconds": round(self.seconds, 3),
            "error": self.error,
            "quantities": [q.as_dict() for q in self.quantities],
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
    case_fields: tuple = ()  # names of the entries of each tuple in params["cases"]
    override: Callable | None = None  # override(params, m, eps) -> params, where the default rule does not fit
    cost: float = 1.0  # rough seconds of a full serial run: the parallel runner starts the longest first

    def __post_init__(self):
        if self.provenance not in PROVENANCE:
            raise ValueError(f"claim {self.id}: provenance must be one of {PROVENANCE}, got {self.provenance!r}")
        if "cases" in self.params and not self.case_fields:
            raise ValueError(f"claim {self.id}: parameters with 'cases' must name their case_fields")

    def parameters(self, quick: bool = False, m: int | None = None, eps: float | None = None) -> dict:
        """The parameters of a run: defaults (or quick ones), with the dimension and tolerance overrides.

        ``m`` replaces a list of dimensions ``ms`` by ``[m]``, a range bound ``mmax`` by m
        (the claim then covers 1..m), and keeps the ``cases`` of dimension m (or the
        case of the nearest dimension, moved to m). ``eps`` replaces ``eps`` and every case's eps.
        Parameters that are not about m or eps are left as they are.
        """
        p = dict(self.quick_params) if quick and self.quick_params is not None else dict(self.params)
        if self.override is not None and (m is not None or eps is not None):
            return self.override(p, m, eps)
        if m is not None:
            if "ms" in p:
                p["ms"] = [m]
            if "mmax" in p:
                p["mmax"] = m
            if "m" in self.case_fields:
                i = self.case_fields.index("m")
                same = [c for c in p["cases"] if c[i] == m]
                # else the case of the nearest dimension, moved to m
                near = min(p["cases"], key=lambda c: (abs(c[i] - m), -c[i]))
                p["cases"] = same or [tuple(m if k == i else v for k, v in enumerate(near))]
        if eps is not None:
            if "eps" in p:
                p["eps"] = [eps] if isinstance(p["eps"], (list, tuple)) else eps
            if "eps" in self.case_fields:
                i = self.case_fields.index("eps")
                p["cases"] = list(dict.fromkeys(tuple(eps if k == i else v for k, v in enumerate(c))
                                                for c in p["cases"]))
        return p

    def overridable(self) -> set:
        """Which of "m" and "eps" this claim's parameters depend on."""
        keys = set(self.params) | set(self.case_fields)
        return {name for name, ks in (("m", {"ms", "mmax", "m"}), ("eps", {"eps"})) if keys & ks}

    def execute(self, quick: bool = False, m: int | None = None, eps: float | None = None) -> Result:
        """Run the claim; an exception becomes a FAIL whose reason is the error.

        The suite does heavy work on purpose (certificates, large prefixes): it runs under
        :data:`SUITE_LIMITS` instead of the library's interactive defaults.
        """
        from threadpoolctl import threadpool_limits

        from spherical_approx import limits

        t0 = time.perf_counter()
        try:
            # one BLAS thread: claims run side by side in parallel runs, and a claim's last bits must not
            # depend on how many threads its matrix products were split over
            with limits.override(**SUITE_LIMITS), threadpool_limits(limits=1, user_api="blas"):
                res = self.run(self.parameters(quick, m, eps))
        except Exception as exc:  # a crash is a failure, with the reason shown
            res = Result("-", "-", False, error=f"{type(exc).__name__}: {exc}",
                         details=traceback.format_exc(limit=3))
        broken = [q.name for q in res.quantities if not q.holds]
        if res.passed and broken:  # a verdict may not contradict its own numbers
            res.passed = False
            res.error = f"the claim passed, but these quantities exceed their bounds: {', '.join(broken)}"
        res.seconds = time.perf_counter() - t0
        return res


CLAIMS: dict[str, Claim] = {}

#: Work limits for claims (spherical_approx.limits): hours of work are still refused.
SUITE_LIMITS = {"max_operations": 1e13}


def claim(id: str, statement: str, provenance: str, group: str, params: dict | None = None,
          quick: dict | None = None, case_fields: tuple = (), override: Callable | None = None, cost: float = 1.0):
    """Decorator registering ``run(params) -> Result`` as a claim.

    ``case_fields`` names the entries of the tuples in ``params["cases"]`` (for
    example ``("m", "eps")``), so that ``--m`` and ``--eps`` can override them;
    ``override(params, m, eps)`` replaces that rule for one claim. ``cost`` (rough
    seconds of a full serial run) orders the work of a parallel run, longest first.
    """

    def wrap(fn):
        if id in CLAIMS:
            raise ValueError(f"duplicate claim id {id!r}")
        CLAIMS[id] = Claim(id, statement, provenance, group, fn, dict(params or {}), quick, tuple(case_fields),
                           override, float(cost))
        return fn

    return wrap


#: Groups run in the order of the data flow; modules not listed follow alphabetically.
CHECK_ORDER = ["foundations", "kernels", "bounds", "heads", "soundness", "certify", "prefix_lengths", "seq2seq"]


def load_checks():
    """Import every module of proofs_check.checks so that their claims register."""
    from . import checks

    names = [mod.name for mod in pkgutil.iter_modules(checks.__path__)]
    for name in sorted(names, key=lambda n: (CHECK_ORDER.index(n) if n in CHECK_ORDER else len(CHECK_ORDER), n)):
        importlib.import_module(f"{checks.__name__}.{name}")
    return CLAIMS


def _order(c: Claim):
    module = c.run.__module__.rsplit(".", 1)[-1]
    return CHECK_ORDER.index(module) if module in CHECK_ORDER else len(CHECK_ORDER), module


def select(ids=None) -> list[Claim]:
    """The claims with the given ids (all by default), in the data-flow order of CHECK_ORDER
    (whatever order their modules were imported in), each module's claims as defined."""
    load_checks()
    wanted = set(ids or CLAIMS)
    return sorted((c for c in CLAIMS.values() if c.id in wanted), key=_order)


def execute_claim(claim_id: str, quick: bool = False, m: int | None = None, eps: float | None = None) -> Result:
    """Run one claim by its id, in this process or in an executor's worker (what the parallel runner submits).

    Parameters
    ----------
    claim_id : str
        The claim.
    quick : bool
        Reduced parameters.
    m, eps : optional
        The dimension and tolerance overrides.

    Returns
    -------
    Result
        The claim's result.
    """
    load_checks()
    return CLAIMS[claim_id].execute(quick, m, eps)


def run_claims(ids=None, quick=False, progress=None, m=None, eps=None, executor=None) -> list[tuple[Claim, Result]]:
    """Run the claims with the given ids (all by default); results in registry order.

    Serially by default: ``progress(k, total, claim)`` is called before each claim and once
    at the end with None. With a ``concurrent.futures.Executor`` (a process pool, or
    ``dask.distributed.Client.get_executor()``) every claim is submitted, longest
    (:attr:`Claim.cost`) first, and ``progress(k, total, claim)`` is called as each one
    finishes. Each claim is deterministic, so the results are the same either way
    (apart from the time-budgeted certificates' numbers, which depend on the speed of the
    machine in any run).
    """
    selected = select(ids)
    if executor is None:
        out = []
        for k, c in enumerate(selected):
            if progress:
                progress(k, len(selected), c)
            out.append((c, c.execute(quick, m, eps)))
        if progress:
            progress(len(selected), len(selected), None)
        return out
    from concurrent.futures import as_completed

    longest_first = sorted(range(len(selected)), key=lambda k: -selected[k].cost)
    futures = {executor.submit(execute_claim, selected[k].id, quick, m, eps): k for k in longest_first}
    results = [None] * len(selected)
    for done, future in enumerate(as_completed(futures), start=1):
        k = futures[future]
        try:
            results[k] = future.result()
        except Exception as exc:  # the worker died (out of memory, killed): a failure, with the reason
            results[k] = Result("-", "-", False, error=f"the worker running this claim failed: "
                                f"{type(exc).__name__}: {exc}")
        if progress:
            progress(done, len(selected), selected[k])
    if progress:
        progress(len(selected), len(selected), None)
    return list(zip(selected, results))


def fmt(x: Any, digits: int = 3) -> str:
    """Short numeric formatting for tables."""
    if isinstance(x, float):
        return f"{x:.{digits}g}"
    return str(x)
